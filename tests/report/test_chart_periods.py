"""Comparison charts (PNG and HTML) against a hand-made comparison (no solve): each
period's label gives the years of exactly the series the chart's legend shows, a value
not compared is marked, a run keeps its colour from the level to the change chart, and
nothing is drawn off the image (review out29 F1, F2, F4, F5)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=True)
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from chainopt import forks
from chainopt.report import charts, static


@pytest.fixture(autouse=True)
def _one_drawer(monkeypatch):
    """These tests look at the figures through a stand-in for ``static.save_figure`` in
    this process: the charts are drawn here, not shared with forked copies
    (``chainopt.forks.Shares``, whose files tests/report/test_chart_shares.py compares)."""
    monkeypatch.setattr(forks, "processes", lambda: 1)


BASE, NAK, DISC, LNG = ("proposal_base", "proposal_nakhodka_methanol_urea",
                        "proposal_discounted_petrochemicals", "proposal_lng_japan")


def _table(*periods: tuple[str, int, int]) -> list[dict]:
    return [{"period": p, "start_year": a, "length_yr": n} for p, a, n in periods]


#: the review's pack: the base, discounted and lng give p2026 5 years from 2026 (2026,
#: ..., 2030: '2026-30'); nakhodka splits it at 2029 and 2030, so its p2026 is 3 years
#: (2026-2028: '2026-28'), its p2029 1 (2029) and p2030 1 (2030); p2031 is 2031-35 in all
WHOLE = _table(("p2026", 2026, 5), ("p2031", 2031, 5))
SPLIT = _table(("p2026", 2026, 3), ("p2029", 2029, 1), ("p2030", 2030, 1), ("p2031", 2031, 5))
PACK = charts.period_years([WHOLE, SPLIT, WHOLE, WHOLE], [BASE, NAK, DISC, LNG])

#: p2026's label in every chart of the pack: 2026-30 is what most of the legend's series
#: give (3 of base, nakhodka, discounted, lng; 2 of Δ nakhodka, Δ discounted, Δ lng), so
#: it is said once, and nakhodka, the one that differs, by name
P2026 = f"p2026 (2026-30; {NAK}: 2026-28)"


def test_a_label_gives_the_years_of_the_legends_series():
    """The old label, 'p2026 (2026-30 | 2026-28 | 2026-30 | 2026-30)', gave the four runs'
    years in the runs' order and was read against the change chart's legend of three
    (Δ nakhodka, Δ discounted, Δ lng): nakhodka 2026-30 and discounted 2026-28, the
    reverse of the truth. Each label now names the run whose years differ (by hand from
    the starts and lengths of :data:`WHOLE` and :data:`SPLIT`):

    * level chart (all four) and change chart (three Δ): :data:`P2026`;
    * a change chart of nakhodka alone: its 2026-28, and the base's 2026-30 apart;
    * legend Δ c, Δ discounted, Δ nakhodka where c's p2026 is 2026-27 (2 years): each
      span once (a tie of one each), the base's 2026-30 first, then the others in the
      legend's order: c, then nakhodka;
    * legend Δ nakhodka, Δ c (a tie, the base's not in it): the first in the legend's,
      then c's, then the base's;
    * p2029, only nakhodka's: '2029'; no label in a chart of discounted alone;
    * p2031 alike in all: once."""
    assert PACK.labels() == PACK.labels([BASE, NAK, DISC, LNG]) == {
        "p2026": P2026, "p2029": "p2029 (2029)", "p2030": "p2030 (2030)",
        "p2031": "p2031 (2031-35)"}
    assert PACK.labels([f"Δ {NAK}", f"Δ {DISC}", f"Δ {LNG}"])["p2026"] == P2026
    assert PACK.labels([f"Δ {NAK}"])["p2026"] == "p2026 (2026-28; base: 2026-30)"
    assert PACK.labels([f"Δ {DISC}"]) == {"p2026": "p2026 (2026-30)",
                                          "p2031": "p2031 (2031-35)"}
    four = charts.period_years([WHOLE, SPLIT, WHOLE, _table(("p2026", 2026, 2))],
                               [BASE, NAK, DISC, "c"])
    assert four.labels(["Δ c", f"Δ {DISC}", f"Δ {NAK}"])["p2026"] == (
        f"p2026 (2026-30; c: 2026-27; {NAK}: 2026-28)")
    assert four.labels([f"Δ {NAK}", "Δ c"])["p2026"] == (
        "p2026 (2026-28; c: 2026-27; base: 2026-30)")
    # one run's own report: its years, always
    assert charts.run_period_labels({"period_table": SPLIT})["p2026"] == "p2026 (2026-28)"
    assert charts.span_text(2096, 10) == "2096-2105"


#: a cash-flow table of the pack (MUSD/yr): p2026 100, 90, 95, 100 (Δ -10, -5, 0); p2031
#: 100, 100, 110 and lng's blank (its period's years differ: not compared), Δ 0, 10, blank
CASHFLOW = pd.DataFrame({
    "period": ["p2026", "p2031"], BASE: [100.0, 100.0], NAK: [90.0, 100.0],
    DISC: [95.0, 110.0], LNG: [100.0, np.nan], f"Δ {NAK}": [-10.0, 0.0],
    f"Δ {DISC}": [-5.0, 10.0], f"Δ {LNG}": [0.0, np.nan]})


@pytest.fixture()
def drawn(monkeypatch, tmp_path):
    """The PNG charts of a comparison of :data:`CASHFLOW` (years :data:`PACK`): for each
    chart its tick labels, legend (label -> colour), titles and whether all it draws lies
    inside the image (its tight box within the figure's)."""
    monkeypatch.setattr(static, "read_tables", lambda folder: {"cashflow": CASHFLOW})
    monkeypatch.setattr(static, "period_years", lambda folder: PACK)
    out = {}

    def keep(plt_, fig, folder, key, fmt, dpi, pictures=None):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        delta = key.endswith("-delta")
        handles, names = ax.get_legend_handles_labels()
        colour = {}
        for h, n in zip(handles, names, strict=True):
            patch = h.patches[0] if hasattr(h, "patches") else None
            if patch is not None:
                colour[n] = to_hex(patch.get_facecolor())
        # what is drawn (tick labels of ticks outside the axes are not): inside the image
        tight, (w, h) = fig.get_tightbbox(renderer), fig.get_size_inches()
        out[key] = {
            "ticks": [t.get_text().replace("\n", " ") for t in (
                ax.get_yticklabels() if delta else ax.get_xticklabels())],
            "legend": names, "colour": colour,
            "title": fig._suptitle.get_text().replace("\n", " ") if fig._suptitle else "",
            "marks": [t.get_text() for t in ax.texts],
            # where each mark stands (the bar axis's position) and where each series'
            # bars stand, row by row
            "mark_at": [float(o[1] if delta else o[0]) for c in ax.collections
                        for o in c.get_offsets()],
            "slots": {n: [float(p.get_y() + p.get_height() / 2 if delta
                                else p.get_x() + p.get_width() / 2) for p in h.patches]
                      for h, n in zip(handles, names, strict=True) if hasattr(h, "patches")},
            "inside": (tight.x0 >= 0 and tight.y0 >= 0 and tight.x1 <= w
                       and tight.y1 <= h)}
        plt_.close(fig)
        return folder / f"report-{key}.{fmt}"

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_compare_static(tmp_path, tmp_path, "png")
    return out


def test_png_labels_marks_and_colours(drawn):
    """Level chart: the four runs, p2026 as :data:`P2026` and p2031 (2031-35); lng's blank
    p2031 marked 'not compared' (one mark) and the title says what the mark means.
    Change chart: both rows drawn in time order (p2031 changed by discounted's +10, and
    holds lng's blank), its labels the three Δ series' years, the same mark. Each run has
    one colour in both charts (sorted among the four runs: base, discounted, lng,
    nakhodka take tab10's 1st to 4th), and no text lies outside either image."""
    level, change = drawn["cashflow"], drawn["cashflow-delta"]
    assert level["ticks"] == [P2026, "p2031 (2031-35)"]
    assert change["ticks"] == [P2026, "p2031 (2031-35)"]
    assert [n for n in level["legend"] if n in (BASE, NAK, DISC, LNG)] == [BASE, NAK, DISC,
                                                                            LNG]
    assert [n for n in change["legend"] if n.startswith("Δ ")] == [
        f"Δ {NAK}", f"Δ {DISC}", f"Δ {LNG}"]
    for d, lng in ((level, LNG), (change, f"Δ {LNG}")):
        assert d["marks"] == [charts.NOT_COMPARED]
        # on lng's own slot of row p2031 (review s30 F3: nothing checked where it stood)
        assert d["mark_at"] == pytest.approx([d["slots"][lng][1]])
        assert charts.NOT_COMPARED_LEGEND in d["legend"]
        assert d["title"].endswith(charts.NOT_COMPARED_NOTE)
        assert d["inside"]
    tab10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    assert level["colour"] == dict(zip([BASE, DISC, LNG, NAK], tab10, strict=True))
    assert change["colour"] == {f"Δ {r}": c for r, c in zip(
        [DISC, LNG, NAK], tab10[1:], strict=True)}


def test_html_labels_marks_and_colours():
    """The HTML's level and change charts of :data:`CASHFLOW`: the same labels as the PNG
    (wrapped at 40 characters with <br>: 'p2026 (2026-30;' then the name and years), a
    'not compared' mark on lng's own bar at p2031, the run's colour in both."""
    from chainopt.report.html import _delta_figure, _values_figure

    v = _values_figure(CASHFLOW, "Cash flow", PACK)
    d = _delta_figure(CASHFLOW, "Cash flow: change against the base", years=PACK)
    bars = {t.name: t for t in v.data if t.type == "bar"}
    dbars = {t.name: t for t in d.data if t.type == "bar"}
    unwrap = [x.replace("<br>", " ") for x in bars[BASE].x]
    assert unwrap == [P2026, "p2031 (2031-35)"]
    assert [y.replace("<br>", " ") for y in dbars[f"Δ {NAK}"].y][::-1] == unwrap
    for fig, series, row in ((v, bars, 1), (d, dbars, 0)):  # d's rows run bottom-up
        # the mark is on lng's own bar (its slot in the group: review s30 F2, it stood at
        # the group's centre, on another run's bar), an empty bar at 0, and on no other
        marked = {n: [i for i, t in enumerate(b.text) if t] for n, b in series.items()}
        lng = f"Δ {LNG}" if fig is d else LNG
        assert marked == {n: ([row] if n == lng else []) for n in series}, marked
        assert series[lng].text[row] == f"× {charts.NOT_COMPARED}"
        assert (series[lng].x if fig is d else series[lng].y)[row] == 0.0
        assert not [t for t in fig.data if t.type == "scatter"]
        assert charts.NOT_COMPARED_NOTE in fig.layout.title.text.replace("<br>", " ")
    assert {n: t.marker.color for n, t in dbars.items()} == {
        f"Δ {r}": bars[r].marker.color for r in (NAK, DISC, LNG)}


#: production of three runs against the base (k t/yr): p2026 and p2029 where nakhodka
#: is split (discounted's p2026 holds years that differ there: blank, not compared);
#: p2029's row is blank in both runs (lng's, the second run here, too), p2031 compared in
#: nakhodka only
PRODUCTION = pd.DataFrame({
    "product": ["hdpe"] * 3, "period": ["p2026", "p2029", "p2031"],
    BASE: [100.0, 100.0, 100.0], NAK: [90.0, np.nan, 100.0], DISC: [np.nan, np.nan, np.nan],
    f"Δ {NAK}": [-10.0, np.nan, 0.0], f"Δ {DISC}": [np.nan, np.nan, np.nan]})


def _pngs(monkeypatch, tmp_path, tables: dict[str, pd.DataFrame]) -> dict[str, object]:
    """The PNG charts of a comparison of ``tables`` (years :data:`PACK`), by key: each
    drawn figure (kept open)."""
    monkeypatch.setattr(static, "read_tables", lambda folder: tables)
    monkeypatch.setattr(static, "period_years", lambda folder: PACK)
    figs: dict[str, object] = {}

    def keep(plt_, fig, folder, key, fmt, dpi, pictures=None):
        figs[key] = fig
        return folder / f"report-{key}.{fmt}"

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_compare_static(tmp_path, tmp_path, "png")
    return figs


def test_a_row_no_run_is_compared_in_is_left_out_of_the_change_chart(monkeypatch, tmp_path):
    """Review s30 F4: a row whose every Δ is blank took a group of the change chart with
    nothing but marks. In :data:`PRODUCTION` (by hand):

    * p2026: Δ nakhodka -10, Δ discounted blank: a change, and a mark: drawn;
    * p2029: both Δ blank (no run compared there): left out of the chart, kept in the table;
    * p2031: Δ nakhodka 0 (compared, no change), Δ discounted blank: drawn, its only news
      the blank (the rule of the uneven comparison's p2031, kept).

    So the chart has rows p2026 and p2031, in both the PNG and the HTML. A table all of
    whose rows are blank in every Δ (p2029 alone) draws no change chart at all, as a table
    without changes draws none (PNG: no file; HTML: no figure)."""
    from chainopt.report.html import _delta_figure

    assert list(charts.top_deltas(PRODUCTION)["period"]) == ["p2026", "p2031"]
    figs = _pngs(monkeypatch, tmp_path, {"production": PRODUCTION,
                                         "emissions": PRODUCTION.iloc[[1]]})
    ax = figs["production-delta"].axes[0]
    assert [t.get_text().split(" / ")[1].split(" ")[0] for t in ax.get_yticklabels()] == [
        "p2026", "p2031"]
    assert "emissions-delta" not in figs
    d = _delta_figure(PRODUCTION, "Production", years=PACK)
    assert [y.split(" / ")[1].split(" ")[0] for y in d.data[0].y][::-1] == ["p2026", "p2031"]
    assert _delta_figure(PRODUCTION.iloc[[1]], "Emissions", years=PACK) is None


#: the objective of the pack (MUSD; every run changes it) and the yearly incremental flows
#: of three projects: nakhodka's mp2, and lng's jp_lng and jp_terminal (two projects of
#: one run), two years each
OBJECTIVE = pd.DataFrame({"kpi (MUSD, NPV)": ["objective"], BASE: [100.0], NAK: [90.0],
                          DISC: [95.0], LNG: [120.0], f"Δ {NAK}": [-10.0],
                          f"Δ {DISC}": [-5.0], f"Δ {LNG}": [20.0]})
PROJECT_CASHFLOWS = pd.DataFrame({
    "scenario": [NAK, NAK, LNG, LNG, LNG, LNG],
    "effect": ["mp2", "mp2", "jp_lng", "jp_lng", "jp_terminal", "jp_terminal"],
    "year": [2026, 2027] * 3, "operating_musd": [0.0, 5.0, 0.0, 7.0, 0.0, 2.0],
    "capex_musd": [-10.0, 0.0, -8.0, 0.0, -3.0, 0.0], "net_musd": [-10.0, 5.0, -8.0, 7.0,
                                                                   -3.0, 2.0],
    "cumulative_musd": [-10.0, -5.0, -8.0, -1.0, -3.0, -1.0]})


def test_the_project_cash_flows_take_their_runs_colours(monkeypatch, tmp_path):
    """Review s30 F5: the projects' cash-flow chart gave its series colours of their own
    (sorted among the series' labels), so a run had one colour in the change charts and
    another there. Now each series takes its run's colour among the comparison's four
    runs, as the objective's change chart gives it (sorted: base, discounted, lng,
    nakhodka take tab10's 1st to 4th: nakhodka's mp2 #d62728, lng's two projects
    #2ca02c), bars and line alike; lng's second project, jp_terminal, is told from its
    first by a hatch ('//') and a dashed line, in the PNG and (pattern '/', dash) in the
    HTML."""
    from chainopt.report.html import _cashflow_figure

    figs = _pngs(monkeypatch, tmp_path, {"objective": OBJECTIVE,
                                         "project_cashflows": PROJECT_CASHFLOWS})
    ax = figs["project_cashflows"].axes[0]
    bars = {c.get_label(): c.patches[0] for c in ax.containers}
    lines = {ln.get_label(): ln for ln in ax.lines if not ln.get_label().startswith("_")}
    want = {f"{NAK} / mp2": ("#d62728", "", "-"), f"{LNG} / jp_lng": ("#2ca02c", "", "-"),
            f"{LNG} / jp_terminal": ("#2ca02c", "//", "--")}
    for name, (colour, hatch, ls) in want.items():
        bar, line = bars[f"{name}: net_musd"], lines[f"{name}: cumulative_musd"]
        assert (to_hex(bar.get_facecolor()), bar.get_hatch() or "") == (colour, hatch)
        assert (to_hex(line.get_color()), line.get_linestyle()) == (colour, ls)
    delta = figs["objective-delta"].axes[0]
    dcol = {c.get_label(): to_hex(c.patches[0].get_facecolor()) for c in delta.containers}
    assert dcol[f"Δ {NAK}"] == "#d62728" and dcol[f"Δ {LNG}"] == "#2ca02c"
    fig = _cashflow_figure(PROJECT_CASHFLOWS, [BASE, NAK, DISC, LNG])
    got = {t.name: (t.marker.color, t.marker.pattern.shape or "") if t.type == "bar"
           else (t.line.color, t.line.dash) for t in fig.data}
    assert got == {
        f"{NAK} / mp2: net_musd": ("#d62728", ""), f"{NAK} / mp2: cumulative_musd":
        ("#d62728", "solid"), f"{LNG} / jp_lng: net_musd": ("#2ca02c", ""),
        f"{LNG} / jp_lng: cumulative_musd": ("#2ca02c", "solid"),
        f"{LNG} / jp_terminal: net_musd": ("#2ca02c", "/"),
        f"{LNG} / jp_terminal: cumulative_musd": ("#2ca02c", "dash")}


def _legend_clear(fig) -> list[str]:
    """What is wrong with the legends of ``fig`` once drawn (its axes' and its own): a
    legend whose box overlaps the data area of an axes of the figure (its window extent),
    or that reaches out of the image."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    wrong = []
    for lg in [*(ax.get_legend() for ax in fig.axes), *fig.legends]:
        if lg is None:
            continue
        b = lg.get_window_extent(r)
        overlap = any(min(a.x1, b.x1) - max(a.x0, b.x0) > 0
                      and min(a.y1, b.y1) - max(a.y0, b.y0) > 0
                      for a in (ax.get_window_extent(r) for ax in fig.axes))
        inside = b.x0 >= 0 and b.y0 >= 0 and b.x1 <= fig.bbox.width and b.y1 <= fig.bbox.height
        if overlap or not inside:
            wrong.append(f"{lg.get_texts()[0].get_text()}: overlap {overlap}, "
                         f"inside {inside}")
    return wrong


def test_no_legend_covers_a_chart(monkeypatch, tmp_path):
    """Review s30 F6: the change charts' legend (matplotlib's 'best' place, inside the
    axes) covered the ends of bars, and the one-pager's cash-flow legend the tops of its
    first bars. Every legend now stands outside the data area of its axes (right of it;
    the map's and the one-pager's below it) and inside the image: checked on a
    comparison of nine runs with long names (a level, a change and a projects' cash-flow
    chart), a one-pager, a run's stacked bars and its map."""
    import matplotlib.pyplot as plt

    from chainopt.report import onepager

    runs = [f"proposal_run_number_{i}_with_a_long_name" for i in range(9)]
    values = {r: [100.0 + i, 50.0 - i, 10.0 * i] for i, r in enumerate(runs)}
    deltas = {f"Δ {r}": [float(i), -float(i), 10.0 * i] for i, r in enumerate(runs[1:], 1)}
    cash = pd.DataFrame({"period": ["p2026", "p2029", "p2031"], **values, **deltas})
    obj = pd.DataFrame({"kpi (MUSD, NPV)": ["objective", "npv_capex", "npv_supply"],
                        **values, **deltas})
    pcf = pd.concat([PROJECT_CASHFLOWS.assign(scenario=runs[i % 9], effect=f"p{i}")
                     for i in range(6)])
    monkeypatch.setattr(static, "period_years", lambda folder: charts.period_years([]))
    figs = _pngs(monkeypatch, tmp_path, {"objective": obj, "cashflow": cash,
                                         "project_cashflows": pcf})
    monkeypatch.undo()
    assert {"objective", "objective-delta", "cashflow", "cashflow-delta",
            "project_cashflows"} <= set(figs)
    cf = PROJECT_CASHFLOWS.iloc[:2]
    page = onepager.Page(
        scenario="sc", project="pj", summary={
            "incremental NPV (MUSD)": -5.0, "IRR": 0.05, "payback (yr)": 1.5,
            "overnight capex (MUSD)": 10.0, "built": "p2026", "first use": "2026"},
        waterfall=pd.DataFrame({"category": ["revenue", "capex"], "npv_musd": [5.0, -10.0]}),
        cashflows=cf, constraints=pd.DataFrame(columns=["constraint", "period",
                                                        "rent change (MUSD/yr)"]),
        parties=None)
    figs["onepager"] = onepager.static_figure(page, plt)
    pivot = pd.DataFrame({"p2026": [5.0, 3.0], "p2031": [6.0, 2.0]}, index=["hdpe", "pp"])
    figs["product_mix"] = static._bars(plt, pivot, "Product mix", "k t/yr", True)
    tables = {"sites": pd.DataFrame({"site": ["a", "b"], "lon_deg": [30.0, 40.0],
                                     "lat_deg": [55.0, 56.0]}),
              "flows": pd.DataFrame({"period": ["p2026", "p2026"], "link": ["ab", "ba"],
                                     "from_site": ["a", "b"], "to_site": ["b", "a"],
                                     "transport_mode": ["rail", "pipeline"],
                                     "commodity": ["hdpe", "gas"],
                                     "flow_k_per_yr": [10.0, 5.0]})}
    figs["map"] = static._map(plt, tables, "p2026")
    try:
        assert all(f.legends or any(ax.get_legend() for ax in f.axes)
                   for f in figs.values())
        assert {k: _legend_clear(f) for k, f in figs.items()} == {k: [] for k in figs}
    finally:
        for f in figs.values():
            plt.close(f)


def test_the_tables_for_humans_give_each_period_its_years(monkeypatch, tmp_path):
    """Review out29 F6: the HTML's tables and the deck's project table said `p2026`, the
    charts beside them `p2026 (2026-30; ...)`. By hand from :data:`PACK`:

    * the side-by-side cash-flow table (the four runs): p2026 as :data:`P2026` (as its
      level chart), p2031 '(2031-35)';
    * a row of one scenario, in its own years: nakhodka's mp2 built in p2026 and a
      constraint of p2029 -> 'p2026 (2026-28)', 'p2029 (2029)'; lng's jp_lng built in
      'p2026, p2031' -> 'p2026 (2026-30), p2031 (2031-35)'; 'not built' and a period no
      run has (p2099) stay as they are.

    The HTML report's tables say so; the deck's project table and a project's one-pager
    too; the CSV tables are not touched (bare names)."""
    from chainopt.report import compare, deck, html

    eco = pd.DataFrame({"scenario": [NAK, LNG, DISC], "effect": ["mp2", "jp_lng", "mp3"],
                        "built": ["p2026", "p2026, p2031", "not built"],
                        "first use": ["2029", "2035", ""],
                        "incremental NPV (MUSD)": [1.0, 2.0, 0.0],
                        "overnight capex (MUSD)": [10.0, 20.0, 0.0],
                        "Δ capex (MUSD)": [10.0, 20.0, 0.0], "IRR": [0.1, 0.2, np.nan],
                        "payback (yr)": [5.0, 6.0, np.nan]})
    cons = pd.DataFrame({"scenario": [NAK, NAK], "effect": ["mp2", "mp2"],
                         "constraint": ["capacity of unit u", "sales of x at y"],
                         "period": ["p2029", "p2099"], "rent change (MUSD/yr)": [1.0, 2.0]})
    shown = charts.with_years(eco, PACK)
    assert list(shown["built"]) == ["p2026 (2026-28)", "p2026 (2026-30), p2031 (2031-35)",
                                    "not built"]
    assert list(charts.with_years(cons, PACK)["period"]) == ["p2029 (2029)", "p2099"]
    assert list(charts.with_years(CASHFLOW, PACK)["period"]) == [P2026, "p2031 (2031-35)"]
    assert list(CASHFLOW["period"]) == ["p2026", "p2031"]  # the table itself: bare
    assert charts.with_years(CASHFLOW, charts.period_years([])) is CASHFLOW

    tables = {"cashflow": CASHFLOW, "project_constraints": cons}
    monkeypatch.setattr(html, "read_tables", lambda folder: tables)
    monkeypatch.setattr(compare, "period_years", lambda folder: PACK)
    page = html.compare_report_html(tmp_path)
    for cell in (P2026, "p2031 (2031-35)", "p2029 (2029)"):
        assert f'<td class="txt">{charts.esc(cell)}</td>' in page
    # the one-pager of mp2 (its key figures, its constraints' table and lines) alike
    from chainopt.report import onepager

    wf = pd.DataFrame({"scenario": [NAK], "effect": ["mp2"], "category": ["revenue"],
                       "npv_musd": [1.0]})
    page = onepager.pages({"economics": eco, "project_waterfall": wf,
                           "project_constraints": cons}, PACK)[0]
    assert ("built", "p2026 (2026-28)") in onepager.key_figures(page)
    assert list(page.constraints["period"]) == ["p2029 (2029)", "p2099"]
    said: dict[str, pd.DataFrame] = {}
    monkeypatch.setattr(deck.cmp, "read_tables", lambda folder: {"economics": eco})
    monkeypatch.setattr(deck._Deck, "table", lambda self, title, df, note="": said.update(
        {title: df}))
    monkeypatch.setattr(deck, "write_compare_static", lambda folder, out, fmt, only=None: [])
    monkeypatch.setattr(deck.onepager, "pages", lambda tables, years=None: [])
    deck.compare_deck(tmp_path, tmp_path / "deck.pptx")
    assert list(said["Projects"]["built"]) == ["p2026 (2026-28)",
                                               "p2026 (2026-30), p2031 (2031-35)"]
