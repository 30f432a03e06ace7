"""HTML report, static charts and the result workbook, on the small case.

The report is opened in a real headless browser (Debian's ``chromium``): it must
load without console errors or network requests, show the Sankey and the KPI table
with the run's objective, and render a hostile site name as text.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainopt import api
from chainopt.cli import app
from chainopt.errors import DamagedResultsError
from chainopt.report import charts
from chainopt.report.html import run_report_html, write_report
from chainopt.results import Results
from tests.conftest import as_written_before_checksums, reseal

ARTIFACTS = Path(__file__).parent / "artifacts"
HOSTILE = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium); "
                             "the headless-browser checks of the HTML report need it")


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    api.run("small_chain", out=out, name="small", excel=True)
    return out / "small"


@pytest.fixture(scope="module")
def hostile(solved, tmp_path_factory) -> Path:
    """A copy of the results with site 'tobolsk' renamed to a script tag in every table,
    its checksums written anew: a folder chainopt refuses as damaged (a site's name is a
    name: review safety3 F6). The report's own escaping is tested behind that check,
    with it switched off (:func:`_names_unchecked`)."""
    folder = tmp_path_factory.mktemp("hostile") / "small"
    shutil.copytree(solved, folder)
    for p in folder.glob("*.csv"):
        p.write_text(p.read_text().replace("tobolsk", HOSTILE))
    (folder / "report.html").unlink(missing_ok=True)
    reseal(folder)  # as if the site had that name: checksums that match
    return folder


def _names_unchecked(monkeypatch) -> None:
    """``Results.load`` without its check of the names (:func:`chainopt.results.check_names`):
    should a name ever get past it, the report still escapes it."""
    from chainopt import results

    monkeypatch.setattr(results, "check_names", lambda *args: None)


class _Tags(HTMLParser):
    """Collects (tag, attrs) of every element and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _parse(text: str) -> _Tags:
    p = _Tags()
    p.feed(text)
    return p


def _external(tags: _Tags) -> list[str]:
    return [f"{t} {k}={v}" for t, a in tags.tags for k, v in a.items()
            if k in ("src", "href", "srcset", "action", "data") and v
            and re.match(r"\s*(https?:)?//", v)]


def _chromium(html: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr",
           "--v=0", *args, html.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def _page_requests(net_log: Path) -> set[str]:
    """http(s) hosts the page (a file:// origin) asked for, from chromium's net log.

    Chromium's own background requests carry no file:// network key and are ignored.
    """
    import json

    events = json.loads(net_log.read_text()).get("events", [])
    text = [json.dumps(e.get("params", {})) for e in events]
    return {u for t in text if "file://" in t for u in re.findall(r"https?://[\w.\-]+", t)}


def _console_problems(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]


# -- static checks ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_report(solved) -> Path:
    """``solved``'s report.html, written once for the tests that read or open it."""
    return write_report(solved)[0]


def test_report_is_self_contained_and_small(solved, small_report):
    html = small_report
    text = html.read_text(encoding="utf-8")
    tags = _parse(text)
    assert _external(tags) == []
    scripts = [t for t, _ in tags.tags if t == "script"]
    assert sum("Plotly.newPlot" in s for s in tags.scripts) >= 5
    assert sum(len(s) > 1_000_000 for s in tags.scripts) == 1, "plotly.js embedded once"
    assert len(scripts) == len(tags.scripts)
    assert html.stat().st_size < 8_000_000
    objective = Results.load(solved).objective
    assert f"{objective:,.1f}" in text
    # the KPIs in words (KPI) and their ids, headed so as not to read as KPI twice
    assert "<th>KPI</th>" in text and "<th>id in kpis.csv</th>" in text
    assert "<th>kpi</th>" not in text


def test_hostile_names_are_escaped(hostile, monkeypatch):
    """The hostile folder is refused (activity.csv's first row, tob_cdu's cdu_run in
    p2026, is at tobolsk); past that check, the script tag is text in the report."""
    with pytest.raises(DamagedResultsError, match=r"activity.csv: damaged results table: "
                       r"row 1, column site: '<script>alert\(1\)</script>' is not a name"):
        write_report(hostile)
    _names_unchecked(monkeypatch)
    text = write_report(hostile)[0].read_text(encoding="utf-8")
    assert HOSTILE not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    tags = _parse(text)
    assert not any(s.strip() == "alert(1)" for s in tags.scripts)
    # figure JSON cannot close its script tag
    assert "\\u003cscript\\u003e" in text or "&lt;script&gt;" in text


def test_html_builder_escapes_tables_directly():
    tables = {"kpis": pd.DataFrame({"kpi": ["objective", f"production_{HOSTILE}"],
                                    "period": ["", "p1"], "value": [1.0, 2.0],
                                    "unit": ["MUSD", HOSTILE]}),
              "sites": pd.DataFrame({"site": [HOSTILE], "lat_deg": [1.0], "lon_deg": [2.0]})}
    text = run_report_html(tables, {"objective": 1.0, "case": HOSTILE, "periods": ["p1"]})
    assert HOSTILE not in text
    body = text.split("<main>")[1]
    assert len(re.findall(r"<script>", body)) == body.count("Plotly.newPlot")


def test_sankey_balances_at_commodity_nodes(solved):
    res = Results.load(solved)
    d = charts.sankey_data(res.tables, "p2026")
    assert {"supply", "commodity", "unit", "link", "market"} <= set(d.nodes["kind"])
    q_in = d.links.groupby("target")["quantity_k_per_yr"].sum()
    q_out = d.links.groupby("source")["quantity_k_per_yr"].sum()
    hubs = d.nodes.index[d.nodes["kind"] == "commodity"]
    for i in hubs:
        if i in q_in and i in q_out:
            assert q_in[i] == pytest.approx(q_out[i], rel=1e-6, abs=1e-6), d.nodes.label[i]
    sold = res["sales"].query("period == 'p2026'")["sales_k_per_yr"].sum()
    mk = d.nodes.index[d.nodes["kind"] == "market"]
    assert d.links[d.links["target"].isin(mk)]["quantity_k_per_yr"].sum() == pytest.approx(sold)


def test_static_charts_and_cli(solved, tmp_path, monkeypatch):
    """PNG and SVG charts of a run, and its deck. ``report --png --pptx`` drew the deck's
    four charts (the first period's Sankey and map, capacity, product mix) again after
    --png had just written them at the same dpi; the deck now takes those files: its
    pictures are the bytes of report-sankey-p2026.png, ... (python-pptx keeps a picture's
    bytes), and the map is drawn once per period and format, 3 x 2 for small_chain's
    p2026, p2031, p2036 (it was 7)."""
    from pptx import Presentation

    from chainopt import forks
    from chainopt.report import deck, static

    folder = tmp_path / "r"
    shutil.copytree(solved, folder)
    maps = []
    drawn = static._map

    def counted(plt, tables, period, label=None):
        maps.append(period)
        return drawn(plt, tables, period, label)

    monkeypatch.setattr(static, "_map", counted)
    # the maps counted in this process: no copies drawing their share (forks.Shares)
    monkeypatch.setattr(forks, "processes", lambda: 1)
    r = CliRunner().invoke(app, ["report", str(folder), "--png", "--svg", "--pptx"])
    assert r.exit_code == 0, r.output
    pngs = sorted(folder.glob("report-*.png"))
    names = {p.stem for p in pngs}
    keep = ["report-sankey-p2026", "report-map-p2026", "report-capacity",
            "report-product_mix"]
    assert set(keep) <= names
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert len(list(folder.glob("report-*.svg"))) == len(pngs)
    assert sorted(maps) == ["p2026", "p2026", "p2031", "p2031", "p2036", "p2036"]
    pictures = [shape.image.blob for slide in Presentation(folder / deck.DECK_FILE).slides
                for shape in slide.shapes if shape.shape_type == 13]  # 13: a picture
    assert pictures == [(folder / f"{k}.png").read_bytes() for k in keep]
    bad = CliRunner().invoke(app, ["report", str(tmp_path / "nothing")])
    assert bad.exit_code == 1


def test_results_workbook_kpi_sheet_first_and_equal(solved):
    from openpyxl import load_workbook

    wb = load_workbook(solved / "results.xlsx", read_only=True)
    assert wb.sheetnames[0] == "kpis"
    rows = list(wb["kpis"].iter_rows(values_only=True))
    wb.close()
    sheet = pd.DataFrame(rows[1:], columns=rows[0])
    kpis = pd.read_csv(solved / "kpis.csv", keep_default_na=False, na_values=[""])
    assert list(sheet.columns) == list(kpis.columns)
    assert list(sheet["kpi"]) == list(kpis["kpi"])
    assert list(sheet["period"].fillna("")) == list(kpis["period"].fillna("").astype(str))
    # the CSV keeps 10 significant digits, the workbook full precision
    assert sheet["value"].astype(float).tolist() == pytest.approx(kpis["value"].tolist(),
                                                                   rel=1e-9, abs=1e-9)


def test_compare_folder_report(tmp_path):
    """A comparison folder (CSV tables) gets a report with its tables and a cash-flow chart."""
    folder = tmp_path / "compare-x"
    folder.mkdir()
    pd.DataFrame({"kpi": ["objective", HOSTILE], "base": [1.0, 2.0], "alt": [1.5, 2.0],
                  "delta": [0.5, 0.0]}).to_csv(folder / "kpis.csv", index=False)
    pd.DataFrame({"project": ["port", "port"], "year": [2026, 2027],
                  "cash_flow_musd": [-10.0, 4.0]}).to_csv(folder / "cash_flows.csv",
                                                          index=False)
    pd.DataFrame({"project": ["port"], "npv_musd": [3.2], "irr": [0.12],
                  "payback_yr": [4.0]}).to_csv(folder / "economics.csv", index=False)
    (folder / "comparison.md").write_text("# Comparison: base, alt\n")  # compare's marker
    paths = write_report(folder, static=["png"])
    text = paths[0].read_text(encoding="utf-8")
    assert HOSTILE not in text and "npv_musd" in text and "fig-cash_flows-chart" in text
    assert _external(_parse(text)) == []
    assert any(p.suffix == ".png" for p in paths[1:])


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compare")
    scen = Path(__file__).parents[1] / "scenarios" / "small_port_expansion.yaml"
    _, _, folder = api.compare(["small_chain", str(scen)], out=out, name="port", jobs=1)
    return folder


@pytest.fixture(scope="module")
def compared_report(compared) -> list[Path]:
    """``compared``'s report with PNG charts, written once: its test reads them, the
    browser's opens its HTML (the same page as without charts)."""
    return write_report(compared, static=["png"])


def test_report_of_a_real_comparison(compared_report):
    paths = compared_report
    text = paths[0].read_text(encoding="utf-8")
    # side-by-side KPIs with deltas, project economics cards and the cash-flow chart
    assert 'id="objective"' in text and "Δ small_port_expansion" in text
    assert "IRR" in text and "payback" in text and 'id="fig-project_cashflows-chart"' in text
    assert 'id="fig-objective-delta"' in text
    assert _external(_parse(text)) == []
    assert {p.name for p in paths[1:]} >= {"report-project_cashflows.png",
                                           "report-objective.png"}


# -- the real browser ---------------------------------------------------------------------

@needs_chromium
def test_report_in_headless_chromium(solved, small_report, hostile, tmp_path, monkeypatch):
    """One browser start dumps the page, logs its requests and takes the screenshot
    (as test_decide's views do); one more opens the hostile folder's report."""
    ARTIFACTS.mkdir(exist_ok=True)
    html = small_report
    objective = f"{Results.load(solved).objective:,.1f}"
    net_log = tmp_path / "net.json"
    shot = ARTIFACTS / "report_small_chain.png"
    done = _chromium(html, tmp_path, "--dump-dom", f"--log-net-log={net_log}",
                     "--window-size=1400,3000", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert _console_problems(done.stderr) == []
    assert _page_requests(net_log) == set(), "the report made network requests"
    dom = done.stdout
    assert 'class="sankey"' in dom or "sankey-node" in dom, "no Sankey drawn"
    assert 'class="kpi-table"' in dom and objective in dom
    assert _external(_parse(dom)) == []
    assert shot.stat().st_size > 10_000

    _names_unchecked(monkeypatch)  # (the folder is refused: test_hostile_names_are_escaped)
    bad = write_report(hostile)[0]
    done = _chromium(bad, tmp_path, "--dump-dom")
    assert done.returncode == 0
    assert _console_problems(done.stderr) == []
    tags = _parse(done.stdout)
    assert not any(s.strip() == "alert(1)" for s in tags.scripts)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in done.stdout


@needs_chromium
def test_a_view_too_large_for_the_page_says_so_in_the_browser(solved, tmp_path, monkeypatch):
    """With at most 10 Sankey nodes on the page (MAX_PAGE_NODES patched), small_chain's
    petrochemicals drill-down (12 nodes, 12 bands in p2026) has no trace: opened at it
    (``#sankey=petrochemicals``, as a deck's link does), the page's title says it is too
    large to draw and the figure's middle says how large and where the flows are; the
    refining drill-down (9 nodes) is drawn as before, with neither."""
    monkeypatch.setattr(charts, "MAX_PAGE_NODES", 10)
    html = write_report(solved, out=tmp_path / "capped.html")[0]
    dumped = {}
    for view in ("petrochemicals", "refining"):
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
               f"{html.resolve().as_uri()}#sankey={view}"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr[-2000:]
        dumped[view] = done.stdout
    def shown(dom: str, what: str) -> list[str]:  # the SVG text drawn, not the script's
        return re.findall(rf'class="{what}"[^>]*>([^<]*)<', dom)

    big = dumped["petrochemicals"]
    assert any(t.endswith("period p2026 (2026-30): petrochemicals (too large to draw here)")
               for t in shown(big, "gtitle")), shown(big, "gtitle")
    assert any(t.startswith("12 nodes and 12 bands: too many for a browser to draw in "
                            "reasonable time") for t in shown(big, "annotation-text"))
    drawn = dumped["refining"]
    assert any(t.endswith("period p2026 (2026-30): refining")
               for t in shown(drawn, "gtitle")), shown(drawn, "gtitle")
    notes = [t for t in shown(drawn, "annotation-text")  # (the map's labels are some)
             if "too many" in t or t.startswith(charts.EMPTY_SANKEY)]
    assert notes == [] and "sankey-node" in drawn


@needs_chromium
def test_net_log_check_catches_a_request(tmp_path):
    """The network check itself: a page that loads an image from the web is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<html><body><img src="https://example.com/x.png"></body></html>')
    net_log = tmp_path / "net.json"
    _chromium(page, tmp_path, "--dump-dom", f"--log-net-log={net_log}")
    assert "https://example.com" in _page_requests(net_log)


def test_report_package_imports_no_pyomo_api_or_cli():
    import subprocess as sp
    import sys

    code = ("import sys, chainopt.report.html, chainopt.report.charts, chainopt.report.static, "
            "chainopt.report.excel; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('pyomo', 'highspy') or m in ('chainopt.api', 'chainopt.cli')]; print(bad); "
            "sys.exit(1 if bad else 0)")
    done = sp.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_sankey_cuts_recycle_loops():
    """naphtha -> cracker -> pygas -> btx -> naphtha: the loop ends at a '(recycled)' node."""
    uf = pd.DataFrame({
        "unit": ["crk", "crk", "btx", "btx"], "mode": ["m1", "m1", "m2", "m2"],
        "commodity": ["naphtha", "pygas", "pygas", "naphtha"], "period": ["p1"] * 4,
        "site": ["s"] * 4, "direction": ["in", "out", "in", "out"],
        "amount_k_per_yr": [10.0, 4.0, 4.0, 1.0]})
    pur = pd.DataFrame({"site": ["s"], "commodity": ["naphtha"], "period": ["p1"],
                        "cost_usd_per_unit": [500.0], "purchase_k_per_yr": [9.0]})
    d = charts.sankey_data({"unit_flows": uf, "purchases": pur}, "p1")
    assert "naphtha @ s (recycled)" in set(d.nodes["label"])
    layers = charts.sankey_layers(d)
    lab = dict(zip(d.nodes["label"], layers, strict=False))
    assert lab["supply naphtha @ s"] < lab["naphtha @ s"] < lab["unit crk"] < lab["pygas @ s"]
    v = d.links.loc[d.links["source"] == d.nodes.index[d.nodes["label"] == "supply naphtha @ s"]
                    [0], "value_musd_per_yr"]
    assert v.iloc[0] == pytest.approx(9.0 * 500 / 1000)


def test_map_falls_back_to_case_origin_without_sites_table(solved, tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(solved, folder)
    as_written_before_checksums(folder)  # and before the sites table
    (folder / "sites.csv").unlink()
    text = write_report(folder)[0].read_text(encoding="utf-8")
    assert "nakhodka" in text.split('id="fig-map"')[1]


@needs_chromium
def test_comparison_report_in_headless_chromium(compared_report, tmp_path):
    html = compared_report[0]
    done = _chromium(html, tmp_path, "--dump-dom")
    assert done.returncode == 0 and _console_problems(done.stderr) == []
    assert "main-svg" in done.stdout  # plotly drew the charts


def test_binding_section_covers_every_family(solved):
    """The report's binding constraints come from constraints.csv, every family: the
    ru_dom HDPE sales cap (138 USD per t, second in `chainopt explain`) was left out
    when only capacities and demand floors were listed."""
    tables = Results.load(solved).tables
    b = charts.binding_data(tables)
    cap = b[b["constraint"] == "sales cap for hdpe at ru_dom"]
    assert len(cap) == 1 and cap["largest value"].round(6).eq(138.0).all()
    assert set(cap["value_unit"]) == {"USD per t"}
    pe = b[b["constraint"] == "capacity of unit tob_pe"].iloc[0]
    assert "before fixed O&M" in pe["meaning"]


def test_rates_read_as_percentages_and_no_minus_zero():
    """The comparison's economics table showed IRR 0.24 beside the cards' 23.8 %; a tiny
    negative rounded to 0 read "-0.0" in the deck and the tables."""
    from chainopt.report import compare, numbers
    from chainopt.report.html import fmt_number

    assert [compare.cell("economics", "IRR", v) for v in (0.238, float("nan"))] == [
        "23.8%", ""]
    assert compare.cell("economics", "npv", 1.0) == "1.000"
    assert fmt_number(-0.0) == "0" and numbers.no_minus_zero("-0.00") == "0.00"
    assert numbers.no_minus_zero("-10.0") == "-10.0"
