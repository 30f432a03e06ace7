"""The report's charts show what their tables say: labels at their nodes, one cash-flow
series per project, cards named for what they show, the capacity projects bring, and
titles that say what a number is. Every expected value is worked out by hand from the
small tables written here, not from the charting code."""

from __future__ import annotations

import pandas as pd
import pytest

from chainopt import forks
from chainopt.report import charts, static
from chainopt.report import html as html_report
from chainopt.results import Results


@pytest.fixture(autouse=True)
def _one_drawer(monkeypatch):
    """These tests look at the figures through a stand-in for ``static.save_figure`` in
    this process: the charts are drawn here, not shared with forked copies
    (``chainopt.forks.Shares``, whose files tests/report/test_chart_shares.py compares)."""
    monkeypatch.setattr(forks, "processes", lambda: 1)


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


# -- 1. static Sankey: each label at its node ----------------------------------------------

def test_static_sankey_labels_sit_at_their_nodes():
    """Upstream sends 30 to gas processing and 70 to refining; both sell to markets.

    Columns (the segment layers): upstream 0, gas processing and refining 1, markets 4;
    five columns, node width w = 0.012, so x = layer / 4 x 0.988 and a label starts at
    x + 1.5 w = x + 0.018: 0.018, 0.265, 0.265, 1.006. Heights: column 1 holds 100 in
    two nodes with one gap of 0.02, so the scale is 0.98 / 100 = 0.0098 (columns 0 and
    4 would allow 0.01). Column 1: gas processing from 0 to 0.294 (middle 0.147),
    refining from 0.294 + 0.02 = 0.314 to 1.0 (middle 0.657); upstream and markets from
    0 to 0.98 (middle 0.49). Each label says the node's flow in the measure's unit:
    upstream sends 30 + 70 = 100, gas processing 30, refining 70, markets takes 100."""
    d = charts.SankeyData(
        nodes=pd.DataFrame({"label": ["upstream", "gas processing", "refining", "markets"],
                            "kind": "segment"}),
        links=pd.DataFrame({"source": [0, 0, 1, 2], "target": [1, 2, 3, 3],
                            "commodity": "", "quantity_k_per_yr": [30.0, 70.0, 30.0, 70.0],
                            "value_musd_per_yr": float("nan")}))
    plt = _plt()
    fig = static._sankey(plt, d, "t", unit="kt/yr")
    try:
        at = {t.get_text(): t.get_position() for t in fig.axes[0].texts}
    finally:
        plt.close(fig)
    expected = {"upstream: 100 kt/yr": (0.018, 0.49), "gas processing: 30 kt/yr": (0.265, 0.147),
                "refining: 70 kt/yr": (0.265, 0.657), "markets: 100 kt/yr": (1.006, 0.49)}
    assert set(at) == set(expected)
    for label, (x, y) in expected.items():
        assert at[label] == pytest.approx((x, y), abs=1e-9), label


# -- 2. the comparison's cash-flow chart: one series per scenario and project ---------------

#: two projects of one scenario, three years each. a: capex 15 in 2026, operating 10 in
#: 2027 and 2028, residual 5 after the horizon (in 2028 here); b: capex 6, operating 4,
#: residual 2. net = operating + capex + residual; cumulative_musd leaves the residual
#: out (as payback does): a -15, -5, 5; b -6, -2, 2 (the residual-including running sum
#: of net would end at 10 and 4).
PROJECT_FLOWS = pd.DataFrame({
    "scenario": ["s"] * 6, "effect": ["a", "a", "a", "b", "b", "b"],
    "year": [2026, 2027, 2028] * 2,
    "operating_musd": [0.0, 10.0, 10.0, 0.0, 4.0, 4.0],
    "capex_musd": [-15.0, 0.0, 0.0, -6.0, 0.0, 0.0],
    "residual_musd": [0.0, 0.0, 5.0, 0.0, 0.0, 2.0],
    "net_musd": [-15.0, 10.0, 15.0, -6.0, 4.0, 6.0],
    "cumulative_musd": [-15.0, -5.0, 5.0, -6.0, -2.0, 2.0]})


# the cumulative line as payback counts it (charts.cumulative_path): year y spans [y, y+1],
# its spend paid at its start, its operating flow through it. a: spend 15 at the start of
# 2026, +10 through 2027 and through 2028: (2026, 0) -> (2026, -15) -> (2027, -15) ->
# (2027, -15) -> (2028, -5) -> (2028, -5) -> (2029, 5), crossing 0 at 2028.5, payback
# 2.5 years from 2026 (the line through the table's end-of-year values at the ticks
# 2027 and 2028, -5 and +5, crossed at 2027.5, a year early); b likewise with 6 and 4
PATH_X = [2026.0, 2026.0, 2027.0, 2027.0, 2028.0, 2028.0, 2029.0]
PATH_A = [0.0, -15.0, -15.0, -15.0, -5.0, -5.0, 5.0]
PATH_B = [0.0, -6.0, -6.0, -6.0, -2.0, -2.0, 2.0]


def test_html_cashflow_chart_has_one_series_per_project():
    from chainopt.report.html import _cashflow_figure

    fig = _cashflow_figure(PROJECT_FLOWS)
    bars = {t.name: list(t.y) for t in fig.data if t.type == "bar"}
    lines = {t.name: list(t.y) for t in fig.data if t.type == "scatter"}
    assert bars == {"s / a: net_musd": [-15.0, 10.0, 15.0],
                    "s / b: net_musd": [-6.0, 4.0, 6.0]}
    assert lines == {"s / a: cumulative_musd": PATH_A, "s / b: cumulative_musd": PATH_B}
    assert all(list(t.x) == [2026.5, 2027.5, 2028.5] for t in fig.data if t.type == "bar")
    assert all(list(t.x) == PATH_X for t in fig.data if t.type == "scatter")


def test_static_cashflow_chart_has_one_series_per_project(tmp_path, monkeypatch):
    folder = tmp_path / "compare-x"
    folder.mkdir()
    PROJECT_FLOWS.to_csv(folder / "project_cashflows.csv", index=False)
    drawn = {}

    def keep(plt, fig, folder, key, fmt, dpi, pictures=None):
        ax = fig.axes[0]
        assert all(list(ln.get_xdata()) == PATH_X for ln in ax.get_lines()
                   if not ln.get_label().startswith("_"))
        drawn[key] = ({ln.get_label(): list(ln.get_ydata()) for ln in ax.get_lines()
                       if not ln.get_label().startswith("_")},
                      {c.get_label(): [p.get_height() for p in c] for c in ax.containers})
        plt.close(fig)
        return folder / f"report-{key}.{fmt}"

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_compare_static(folder, tmp_path, "png")
    lines, bars = drawn["project_cashflows"]
    assert lines == {"s / a: cumulative_musd": PATH_A, "s / b: cumulative_musd": PATH_B}
    assert bars == {"s / a: net_musd": [-15.0, 10.0, 15.0],
                    "s / b: net_musd": [-6.0, 4.0, 6.0]}


# -- 3. economics cards say whose and which project's they are -----------------------------

def _card_rows(html_text: str) -> list[tuple[str, str]]:
    """(heading, value of the first card) of each row of cards."""
    import re

    return re.findall(r'<h3>(.*?)</h3><div class="kpi-cards"><div class="card">'
                      r'<div class="v">(.*?)</div>', html_text)


def test_party_cards_name_the_party_project_and_scenario():
    """MP2's three parties (party_economics of the proposal comparison): ru_sponsor's
    equity NPV -1,341.75, jp_consortium's -8.67, ru_banks' loan -190.96 MUSD."""
    from chainopt.report.html import _economics_cards

    df = pd.DataFrame({
        "scenario": ["proposal_mp2"] * 3, "project": ["mp2"] * 3,
        "party": ["ru_sponsor", "jp_consortium", "ru_banks"],
        "role": ["equity", "equity", "lender"], "share": [0.8, 0.2, 0.5],
        "currency": ["RUB", "JPY", "RUB"], "discount rate": [0.14, 0.08, 0.16],
        "NPV (MUSD)": [-1341.754471, -8.668469398, -190.9586575],
        "IRR": [0.0790, 0.0790, 0.14], "payback (yr)": [15.6, 15.6, 6.9]})
    assert _card_rows(_economics_cards(df)) == [
        ("ru_sponsor (equity) · mp2 · proposal_mp2", "-1,341.8"),
        ("jp_consortium (equity) · mp2 · proposal_mp2", "-8.668"),  # 3 decimals below 10
        ("ru_banks (lender) · mp2 · proposal_mp2", "-191.0")]


def test_effect_cards_name_the_effect_and_scenario():
    """The economics table: each effect's incremental NPV (jp_lng 1,851.6, mp4 26.2 in
    the portfolio; all changes -799.8 in asia_only)."""
    from chainopt.report.html import _economics_cards

    df = pd.DataFrame({
        "scenario": ["portfolio", "portfolio", "asia_only"],
        "effect": ["jp_lng", "mp4", "all changes"],
        "against": ["portfolio without jp_lng", "portfolio without mp4", "base"],
        "incremental NPV (MUSD)": [1851.646068, 26.15643383, -799.7606737],
        "IRR": [0.163, 0.126, float("nan")], "payback (yr)": [8.76, 6.29, float("nan")]})
    assert _card_rows(_economics_cards(df)) == [
        ("jp_lng · portfolio", "1,851.6"), ("mp4 · portfolio", "26.2"),
        ("all changes · asia_only", "-799.8")]


# -- 5. the by-period "cashflow" is a margin after annuities, and says so -------------------

#: cashflow.csv of the MP2 comparison, p2026 and p2031: the base 15,716.68 and 15,835.16
#: MUSD/yr, with MP2 15,665.59 and 15,848.33 (Δ -51.09 and +13.17). MP2 spends 2,000 MUSD
#: a year in 2026-28; the -51.09 is its capital charged as an annuity, net of margin.
CASHFLOW = pd.DataFrame({"period": ["p2026", "p2031"], "base": [15716.68189, 15835.16297],
                         "mp2": [15665.59148, 15848.332],
                         "Δ mp2": [-51.09041128, 13.16902658]})
OBJECTIVE = pd.DataFrame({"kpi (MUSD, NPV)": ["objective"], "base": [157770.8],
                          "mp2": [157650.5], "Δ mp2": [-120.3]})
MARGIN = "Net operating margin after capital charged as annuities"


def _comparison(folder):
    folder.mkdir()
    OBJECTIVE.to_csv(folder / "objective.csv", index=False)
    CASHFLOW.to_csv(folder / "cashflow.csv", index=False)
    return folder


def test_cashflow_by_period_is_named_a_margin_after_annuities(tmp_path, monkeypatch):
    from chainopt.report import compare, deck
    from chainopt.report.html import compare_report_html

    folder = _comparison(tmp_path / "compare-x")
    md = compare.markdown({"objective": OBJECTIVE, "cashflow": CASHFLOW}, ["base", "mp2"])
    assert f"## {MARGIN}" in md and "Net cash flow" not in md

    page = compare_report_html(folder)
    assert f"<h2>{MARGIN}" in page and "Net cash flow" not in page

    titles = {}
    real = static.save_figure

    def keep(plt, fig, out, key, fmt, dpi, pictures=None):
        # a comparison chart's title is the figure's (centred on the image, wrapped to it)
        titles[key] = (fig._suptitle.get_text() if fig._suptitle else
                       fig.axes[0].get_title()).replace("\n", " ")
        bars = [p.get_width() if key.endswith("-delta") else p.get_height()
                for c in fig.axes[0].containers for p in c]
        titles[f"{key} bars"] = bars
        return real(plt, fig, out, key, fmt, dpi)

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_compare_static(folder, tmp_path, "png")
    assert titles["cashflow"].startswith(MARGIN)
    assert titles["cashflow-delta"].startswith(MARGIN)
    # the numbers are the table's, unchanged: base and mp2 per period, then Δ
    assert titles["cashflow bars"] == pytest.approx([15716.68189, 15835.16297,
                                                     15665.59148, 15848.332])
    assert titles["cashflow-delta bars"] == pytest.approx([-51.09041128, 13.16902658])

    pytest.importorskip("pptx")
    from pptx import Presentation

    drawn = sorted(tmp_path.glob("report-*.png"))  # every chart, as report --png writes them
    titles.clear()
    path = deck.compare_deck(folder, tmp_path / "report.pptx")
    slides = [s.shapes.title.text for s in Presentation(str(path)).slides
              if s.shapes.title is not None]
    assert any(t.startswith(MARGIN) for t in slides), slides
    assert not any("Net cash flow" in t for t in slides)
    # review verbs F1: the deck drew every chart of the comparison and kept three; it
    # draws those three alone, and with report --png none (it takes --png's files)
    assert {k for k in titles if not k.endswith(" bars")} == {"objective-delta", "cashflow"}
    titles.clear()
    again = deck.compare_deck(folder, tmp_path / "again.pptx", drawn=drawn)
    assert titles == {}
    pictures = [[sh.image.blob for sh in slide.shapes if sh.shape_type == 13]
                for slide in Presentation(str(again)).slides]
    by_name = {p.stem: p.read_bytes() for p in drawn}
    for key in ("objective-delta", "cashflow"):
        assert [by_name[f"report-{key}"]] in pictures, key


def test_new_capacity_shows_what_projects_bring(tmp_path):
    """small_port_expansion builds the port (two 800 kt/yr links, construction from 2026,
    no lead time) and expands tob_pe by 48.9 kt/yr: the run report's New capacity shows
    all three in p2026. It showed only tob_pe (a project's capacity had new_k_per_yr 0),
    and a run building MP2 had no New capacity section at all."""
    from pathlib import Path

    from chainopt import api
    from chainopt.report.html import run_report_html

    scen = Path(__file__).parents[2] / "scenarios" / "small_port_expansion.yaml"
    res = api.run(str(scen), out=tmp_path, name="port")
    got, unit, other = charts.new_capacity_data(res.tables, res.manifest["periods"])
    assert (unit, other) == ("k t/yr", [])  # the port's links and tob_pe all carry t
    assert got.loc["link fe_port_sea", "p2026"] == pytest.approx(800.0)
    assert got.loc["link fe_rail", "p2026"] == pytest.approx(800.0)
    assert got.loc["unit tob_pe", "p2026"] == pytest.approx(48.93267652)
    assert (got.drop(columns="p2026").to_numpy() == 0).all()
    assert "link fe_rail" in run_report_html(res.tables, res.manifest)


# -- binding constraints: a capacity that is not there does not bind ----------------------

def test_binding_leaves_out_a_unit_before_it_exists():
    """The default case's report listed 'capacity of unit ustluga_pe (p2026), 739.80 USD
    per t' first among the binding constraints, though ustluga_pe has no capacity until
    p2031 (capacity.csv: total_k_per_yr 0 in p2026); `chainopt run` and `explain` leave
    such a row out ("not available until p2031"). Hand case: unit pe with 0 kt/yr in p1
    (row value 740) and 1,500 kt/yr in p2 (row value 100), a sales cap worth 138 in p1.
    Binding: the sales cap (138) and pe in p2 (100), in that order; not pe in p1."""
    cons = pd.DataFrame({
        "family": ["conversion.capacity_max", "conversion.capacity_max", "market.sales"],
        "kind": ["row", "row", "bound"],
        "key": ["unit=pe, period=p1", "unit=pe, period=p2",
                "site=dom, commodity=hdpe, period=p1"],
        "period": ["p1", "p2", "p1"], "side": ["upper"] * 3,
        "marginal_value": [740.0, 100.0, 138.0], "value_unit": ["USD per t"] * 3})
    cap = pd.DataFrame({"kind": ["unit", "unit"], "name": ["pe", "pe"],
                        "period": ["p1", "p2"], "total_k_per_yr": [0.0, 1500.0]})
    b = charts.binding_data({"constraints": cons, "capacity": cap})
    assert list(zip(b["constraint"], b["periods"], b["largest value"], strict=True)) == [
        ("sales cap for hdpe at dom", "p1", 138.0), ("capacity of unit pe", "p2", 100.0)]


def test_binding_ranks_constraints_not_constraint_periods():
    """The default case's report listed 15 rows of three capacities (tobolsk_sc,
    ustkut_sc, tobolsk_pdh, each in five periods), while `chainopt explain` and `run`
    rank distinct constraints merged over periods. Hand case, periods p1, p2, p3:

    * capacity of unit sc: 600, 630, 610 in p1-p3;
    * capacity of unit pdh: 380 in p1 and p3 only (p2: 0, not binding);
    * sales cap for hdpe at dom: 250 in p2;
    * capacity of unit pp: 100 in p1-p3.

    Top 3, by the largest value of each constraint: sc (p1-p3, 630 to 600), pdh (p1, p3:
    not consecutive, 380), the sales cap (p2, 250); pp left out. The old ranking of
    constraint-periods gave sc p2, sc p3, sc p1."""
    rows = [("conversion.capacity_max", "row", "unit=sc", "p1", 600.0),
            ("conversion.capacity_max", "row", "unit=sc", "p2", 630.0),
            ("conversion.capacity_max", "row", "unit=sc", "p3", 610.0),
            ("conversion.capacity_max", "row", "unit=pdh", "p1", 380.0),
            ("conversion.capacity_max", "row", "unit=pdh", "p2", 0.0),
            ("conversion.capacity_max", "row", "unit=pdh", "p3", 380.0),
            ("market.sales", "bound", "site=dom, commodity=hdpe", "p2", 250.0),
            *[("conversion.capacity_max", "row", "unit=pp", p, 100.0)
              for p in ("p1", "p2", "p3")]]
    cons = pd.DataFrame({"family": [r[0] for r in rows], "kind": [r[1] for r in rows],
                         "key": [f"{r[2]}, period={r[3]}" for r in rows],
                         "period": [r[3] for r in rows], "side": "upper",
                         "marginal_value": [r[4] for r in rows], "value_unit": "USD per t"})
    b = charts.binding_data({"constraints": cons}, top=3, periods=["p1", "p2", "p3"])
    assert list(zip(b["constraint"], b["periods"], b["largest value"], b["smallest value"],
                    strict=True)) == [
        ("capacity of unit sc", "p1-p3", 630.0, 600.0),
        ("capacity of unit pdh", "p1, p3", 380.0, 380.0),
        ("sales cap for hdpe at dom", "p2", 250.0, 250.0)]


# -- commodity values: only where the commodity moves --------------------------------------

def test_commodity_values_only_where_the_commodity_moves():
    """The run report printed 'ldpe @ amur -173.90' and 0.00 for every site and commodity
    with no market, where nothing moves (a bound, not a price), under 'USD/unit'. Hand
    case, periods p1 and p2, commodities hdpe (t) and gas (1000m3):

    * hdpe at a: sold in p1 only (sales 10), 900 and 950: p1 900, p2 blank;
    * gas at a: used by a unit in p1 and p2 (unit_flows 3, 4), 80 both periods;
    * ldpe at b: nothing moves, -174: no row.

    Rows 'gas @ a' (USD per 1000m3, 80, 80) and 'hdpe @ a' (USD per t, 900, blank)."""
    bal = pd.DataFrame({"site": ["a", "a", "a", "a", "b", "b"],
                        "commodity": ["hdpe", "hdpe", "gas", "gas", "ldpe", "ldpe"],
                        "period": ["p1", "p2"] * 3,
                        "shadow_price_usd_per_unit": [900.0, 950.0, 80.0, 80.0, -174.0,
                                                      -174.0]})
    sales = pd.DataFrame({"site": ["a", "a"], "commodity": ["hdpe", "hdpe"],
                          "period": ["p1", "p2"], "sales_k_per_yr": [10.0, 0.0]})
    uf = pd.DataFrame({"unit": ["u", "u"], "mode": ["m", "m"], "commodity": ["gas", "gas"],
                       "period": ["p1", "p2"], "site": ["a", "a"], "direction": ["in", "in"],
                       "amount_k_per_yr": [3.0, 4.0]})
    com = pd.DataFrame({"commodity": ["hdpe", "gas", "ldpe"], "unit": ["t", "1000m3", "t"]})
    sp = charts.shadow_price_data({"balances": bal, "sales": sales, "unit_flows": uf,
                                   "commodities": com}, ["p1", "p2"])
    assert list(sp.index) == ["gas @ a", "hdpe @ a"]
    assert sp["unit"].tolist() == ["USD per 1000m3", "USD per t"]
    assert sp["p1"].tolist() == [80.0, 900.0]
    assert sp.loc["gas @ a", "p2"] == 80.0 and pd.isna(sp.loc["hdpe @ a", "p2"])


# -- colours: one per series, never repeated; every run shown ------------------------------

# the proposal comparison's eleven scenarios: its objective-change chart drew
# proposal_export_duties (the 11th) in proposal_nakhodka_methanol_urea's (the 1st) blue, so
# a revenue loss of 473,198 MUSD read as the methanol project's
ELEVEN = [f"s{i:02d}" for i in range(11)]


def test_eleven_series_take_eleven_colours_and_keep_them():
    """11 names: 11 different colours (tab20's), each name the same one in any order."""
    a = charts.series_colours(ELEVEN)
    b = charts.series_colours(ELEVEN[::-1])
    assert len(set(a.values())) == 11 and a == b
    assert len(set(charts.series_colours([f"u{i}" for i in range(27)]).values())) == 27


def test_static_charts_of_eleven_series_use_eleven_colours(tmp_path, monkeypatch):
    """A comparison of a base and 11 scenarios (objective and one part): the objective
    chart has 12 bar series, the change chart 11 (Δ of each scenario), each series its
    own colour; before, series 11 (and 12) repeated series 1 (and 2)."""
    folder = tmp_path / "compare-x"
    folder.mkdir()
    runs = ["base", *ELEVEN]
    obj = pd.DataFrame({"kpi": ["objective", "npv_revenue"],
                        **{r: [100.0 + i, 50.0 + i] for i, r in enumerate(runs)},
                        **{f"Δ {r}": [float(i + 1), float(-i - 1)]
                           for i, r in enumerate(ELEVEN)}})
    obj.to_csv(folder / "objective.csv", index=False)
    drawn = {}

    def keep(plt, fig, folder, key, fmt, dpi, pictures=None):
        ax = fig.axes[0]
        drawn[key] = {c.get_label(): c.patches[0].get_facecolor() for c in ax.containers}
        plt.close(fig)
        return folder / f"report-{key}.{fmt}"

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_compare_static(folder, tmp_path, "png")
    assert len(drawn["objective"]) == 12 and len(set(drawn["objective"].values())) == 12
    assert len(drawn["objective-delta"]) == 11
    assert len(set(drawn["objective-delta"].values())) == 11


def test_a_change_chart_of_many_scenarios_stays_slide_sized(tmp_path, monkeypatch):
    """The proposal comparison's objective-change chart, 7 rows x 11 scenarios, was
    0.3 x 77 + 1 = 24.1 in tall and 10 wide; the deck fits it into 5.8 in of height, so
    it stood 5.8 x 10 / 24.1 = 2.4 in wide on a 13.3 in slide, its labels unreadable. At
    most 9 in tall, it is 5.8 x 10 / 9 = 6.4 in wide there."""
    folder = tmp_path / "compare-x"
    folder.mkdir()
    runs = ["base", *ELEVEN]
    parts = [f"npv_{i}" for i in range(7)]
    obj = pd.DataFrame({"kpi": parts, **{r: [100.0 + i] * 7 for i, r in enumerate(runs)},
                        **{f"Δ {r}": [float(i + 1)] * 7 for i, r in enumerate(ELEVEN)}})
    obj.to_csv(folder / "objective.csv", index=False)
    size = {}

    def keep(plt, fig, folder, key, fmt, dpi, pictures=None):
        size[key] = tuple(fig.get_size_inches())
        plt.close(fig)
        return folder / f"report-{key}.{fmt}"

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_compare_static(folder, tmp_path, "png")
    assert size["objective-delta"] == (10.0, 9.0)


def test_html_charts_show_every_run_in_its_own_colour():
    """The HTML objective chart showed the first 8 of 12 runs (values[:8]) and left 4 out
    without a word; now all 12, 12 colours; the change chart 11 colours."""
    from chainopt.report.html import _delta_figure, _values_figure

    runs = ["base", *ELEVEN]
    df = pd.DataFrame({"kpi": ["objective"], **{r: [100.0 + i] for i, r in enumerate(runs)},
                       **{f"Δ {r}": [float(i + 1)] for i, r in enumerate(ELEVEN)}})
    v = _values_figure(df, "objective")
    assert [t.name for t in v.data] == runs
    assert len({t.marker.color for t in v.data}) == 12
    d = _delta_figure(df, "objective")
    assert len({t.marker.color for t in d.data}) == 11


def test_cashflow_bars_and_line_of_a_project_share_its_colour():
    """Project a's bars and cumulative line one colour (before: four colours from the
    cycle, a's line in b's bar colour's neighbour), b's too: both are run s's projects,
    and a run has one colour in every chart of a comparison (review s30 F5); b, the
    run's second, is told from a by its bars' pattern and its line's dash."""
    from chainopt.report.html import _cashflow_figure

    fig = _cashflow_figure(PROJECT_FLOWS)
    col = {t.name: (t.marker.color if t.type == "bar" else t.line.color) for t in fig.data}
    assert col["s / a: net_musd"] == col["s / a: cumulative_musd"]
    assert col["s / b: net_musd"] == col["s / b: cumulative_musd"]
    assert col["s / a: net_musd"] == col["s / b: net_musd"]
    mark = {t.name: (t.marker.pattern.shape if t.type == "bar" else t.line.dash)
            for t in fig.data}
    assert mark == {"s / a: net_musd": "", "s / a: cumulative_musd": "solid",
                    "s / b: net_musd": "/", "s / b: cumulative_musd": "dash"}


# -- product mix: one unit per stack ------------------------------------------------------

def test_product_mix_stacks_one_unit_and_names_the_others():
    """small_chain with unmet floors (p1): sales_gas 7,125 k 1000m3/yr, hdpe 688 and pp 70
    k t/yr. The stacked bar was 7,883 'k units/yr', sales gas and polymers added. Two
    products are in k t/yr, one in k 1000m3/yr: the chart stacks hdpe and pp, 688 + 70 =
    758 k t/yr, and names sales_gas as left out. With a second gas, lng 3,000 k
    1000m3/yr (two products and two: the larger total, 10,125 k 1000m3/yr against 758 k
    t/yr, decides) it stacks sales_gas and lng, 10,125, naming hdpe and pp."""
    kpis = pd.DataFrame({"kpi": ["production_sales_gas", "production_hdpe", "production_pp"],
                         "period": ["p1"] * 3, "value": [7125.0, 688.0, 70.0],
                         "unit": ["k 1000m3/yr", "k t/yr", "k t/yr"]})
    mix, unit, other = charts.product_mix_data({"kpis": kpis}, ["p1"])
    assert (list(mix.index), unit, other) == (["hdpe", "pp"], "k t/yr",
                                              ["sales_gas (k 1000m3/yr)"])
    assert mix["p1"].sum() == 758.0
    _, _, title, yaxis, stacked = next(c for c in charts.bar_charts({"kpis": kpis}, ["p1"])
                                       if c[0] == "product_mix")
    assert (title, yaxis, stacked) == (
        "Product mix (not shown, in other units: sales_gas (k 1000m3/yr))", "k t/yr", True)
    gas = pd.DataFrame({"kpi": ["production_lng"], "period": ["p1"], "value": [3000.0],
                        "unit": ["k 1000m3/yr"]})
    mix, unit, other = charts.product_mix_data({"kpis": pd.concat([kpis, gas])}, ["p1"])
    assert (list(mix.index), unit) == (["sales_gas", "lng"], "k 1000m3/yr")
    assert other == ["hdpe (k t/yr)", "pp (k t/yr)"] and mix["p1"].sum() == 10125.0


# -- Sankey segments: a refinery's units are refining -------------------------------------

@pytest.mark.parametrize(("process", "segment"), [
    # refinery_planning: crude distillation, a catalytic cracker and a lube plant were
    # 'petrochemicals', so its refining drill-down began 'from petrochemicals'
    ("distillation", "refining"), ("cracking", "refining"), ("lube", "refining"),
    ("hdt", "refining"), ("cdu", "refining"), ("reformer", "refining"),  # petchem_investment
    ("steam_cracker", "petrochemicals"), ("sc_ethane", "petrochemicals"),
    ("cracker", "petrochemicals"), ("steam_cracking", "petrochemicals"),  # small_chain's
    ("butadiene_unit", "petrochemicals"), ("pe_slurry", "petrochemicals"),
    ("lng_train", "gas processing"), ("ngl_frac", "gas processing")])
def test_process_segments(process, segment):
    assert charts.process_segment(process) == segment


def test_the_same_chart_is_the_same_svg(tmp_path):
    """Two reports of the same run wrote different SVGs: a creation date and random
    clip-path ids (160 lines of diff in report-binding.svg); PNGs were already equal."""
    kpis = pd.DataFrame({"kpi": ["production_hdpe", "production_pp"], "period": ["p1"] * 2,
                         "value": [688.0, 70.0], "unit": ["k t/yr"] * 2})
    files = []
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        files += static.write_static({"kpis": kpis}, {"periods": ["p1"]}, tmp_path / d, "svg",
                                     only={"product_mix"})
    assert [f.name for f in files] == ["report-product_mix.svg"] * 2
    assert files[0].read_bytes() == files[1].read_bytes()


def test_the_capacity_charts_show_one_unit(tmp_path):
    """small_chain's units: tob_cdu, tob_cracker, tob_pe, tob_pp count their capacity in
    t (of crude, of feed, of ethylene, of propylene), tob_gpp in 1000m3 of raw gas
    (commodities.csv). The capacity chart drew 15,000 k 1000m3/yr of tob_gpp beside the
    others on one axis of 'k units/yr'; it now draws the four in t on an axis of k t/yr
    and names tob_gpp in its title. capacity.csv states each row's unit
    (quantity_unit), and run's summary values binding capacities per t/yr or 1000m3/yr.
    The emissions chart likewise, its co2 in k t/yr."""
    from chainopt import api

    res = api.run("small_chain", save=False)
    cap = res.tables["capacity"].drop_duplicates("name").set_index("name")["quantity_unit"]
    assert cap[["tob_cdu", "tob_cracker", "tob_pe", "tob_pp", "tob_gpp"]].tolist() == [
        "t", "t", "t", "t", "1000m3"]
    assert cap[["gas_grid", "crude_pipe"]].tolist() == ["1000m3", "t"]
    data, unit, other = charts.capacity_data(res.tables, res.manifest["periods"])
    assert sorted(data.index) == ["tob_cdu", "tob_cracker", "tob_pe", "tob_pp"]
    assert (unit, other) == ("k t/yr", ["tob_gpp (k 1000m3/yr)"])
    bars = {c[0]: c[2:] for c in charts.bar_charts(res.tables, res.manifest["periods"])}
    assert bars["capacity"] == ("Unit capacity by period (not shown, in other units: "
                                "tob_gpp (k 1000m3/yr))", "k t/yr", False)
    # co2 in t (commodities.csv): the emissions axis said "k units/yr"
    assert bars["emissions"] == ("Emissions by site", "k t/yr", True)


def test_chart_numbers_have_thousands_separators():
    """Bars of 15,000 and 2,500 k t/yr on periods p1, p2: matplotlib labelled the value
    axis 0, 2000, ..., 14000; now 0, 2,000, ..., 14,000 (a fraction keeps its digits,
    0.25; -1,234.5), while the category axis keeps its period names."""
    from chainopt.report.static import _plt

    plt = _plt()
    fig, ax = plt.subplots()
    ax.bar(["p1", "p2"], [15000, 2500])
    charts.thousands(fig)
    fig.canvas.draw()
    values = [t.get_text() for t in ax.get_yticklabels()]
    assert "10,000" in values and "14,000" in values and "2,000" in values, values
    assert [t.get_text() for t in ax.get_xticklabels()] == ["p1", "p2"]
    plt.close(fig)
    assert [charts.grouped_number(x) for x in (0.25, -1234.5, 150000.0)] == [
        "0.25", "-1,234.5", "150,000"]


# -- the Sankey in value: every node balances; in energy: what is left out, and how much --

def _two_sites(tmp_path):
    """Site a buys crude at 100 USD/t (at most 10 kt/yr) and turns it 1:1 into product in
    unit u (variable cost 20 USD/t, capacity 100); link ab carries product to b at 5 USD/t;
    b sells it at 200 USD/t, at most 8 kt/yr."""
    from tests.toycase import solve_case, write_case

    return solve_case(write_case(tmp_path / "two", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nproduct,t,product",
        "sites": "site\na\nb",
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,plant,20",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,product,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu,a,plant,100",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "links": "link,from_site,to_site,transport_mode,commodities,cost_usd_per_unit\n"
                 "ab,a,b,rail,product,5",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nb,product,200,8"}))


def _bands(d: charts.SankeyData) -> dict[tuple[str, str], float]:
    lab = d.nodes["label"]
    return {(lab[s], lab[t]): round(float(q), 9) for s, t, q in zip(
        d.links["source"], d.links["target"], d.links["quantity_k_per_yr"], strict=True)}


def test_value_sankey_balances_every_node_with_the_value_added(tmp_path):
    """Two sites by hand. The sales cap binds (8 kt/yr sold, 8 bought: the supply cap
    does not), so product is worth 125 USD/t at b (its cost there: 100 + 20 + 5), 120 at
    a, crude 100 at a; the cap's rent is 200 - 125 = 75 USD/t. Bands (MUSD/yr, valued
    where they leave; purchases at cost, sales at revenue): supply -> crude@a 0.8,
    crude@a -> u 0.8, u -> product@a 0.96, product@a -> ab 0.96, ab -> product@b 1.0,
    product@b -> market 1.6. Out - in: u 0.16 (its variable cost 8 x 20), ab 0.04
    (transport 8 x 5), product@b 0.6 (the sales cap's rent 8 x 75): these come in from
    'value added' (they did not balance: product@b took 1.0 and gave 1.6). Overview:
    petrochemicals 0.16, logistics 0.64 (its hub passes on 1.6 for 1.0); in all
    0.8 = revenue 1.6 - purchases 0.8."""
    res = _two_sites(tmp_path)
    views, _, gone, _ = charts.sankey_views(res.tables, "p1", "value")
    assert gone == []
    ov = _bands(views["overview"])
    assert ov == {("upstream", "petrochemicals"): 0.8, ("petrochemicals", "logistics"): 0.96,
                  ("logistics", "markets"): 1.6, ("value added", "petrochemicals"): 0.16,
                  ("value added", "logistics"): 0.64}
    lg = _bands(views["logistics"])
    assert lg[("value added", "link ab")] == pytest.approx(0.04)
    assert lg[("value added", "product @ b")] == pytest.approx(0.6)
    assert _bands(views["petrochemicals"])[("value added", "unit u")] == pytest.approx(0.16)
    for name, d in views.items():  # every node that takes and gives: in = out
        lk, n = d.links, len(d.nodes)
        into = lk.groupby("target")["quantity_k_per_yr"].sum().reindex(range(n), fill_value=0)
        out = lk.groupby("source")["quantity_k_per_yr"].sum().reindex(range(n), fill_value=0)
        both = (into > 0) & (out > 0)
        assert (into[both] - out[both]).abs().max() < 1e-9, name
    assert "value added" in charts.MEASURE_NOTES["value"]


def _energy_tables() -> dict[str, pd.DataFrame]:
    """Commodity a (42 GJ/t) bought and sold 100 kt/yr at site s, b (no energy content)
    300."""
    return {
        "commodities": pd.DataFrame({"commodity": ["a", "b"], "unit": "t",
                                     "energy_gj_per_t": [42.0, None]}),
        "purchases": pd.DataFrame({"site": "s", "commodity": ["a", "b"], "period": "p1",
                                   "purchase_k_per_yr": [100.0, 300.0],
                                   "cost_usd_per_unit": 1.0}),
        "sales": pd.DataFrame({"site": "s", "commodity": ["a", "b"], "period": "p1",
                               "sales_k_per_yr": [100.0, 300.0],
                               "revenue_musd_per_yr": [1.0, 3.0]})}


def test_energy_sankey_names_what_it_leaves_out_and_its_share():
    """Commodity a (42 GJ/t) bought and sold 100 kt/yr, b (no energy content) 300: the
    energy Sankey leaves b out, its bands 300 + 300 of 800 kt/yr of bands in all: 75 % of
    the flows by mass, said in the HTML note and under the static chart, with the measure
    that shows b (value)."""
    tables = _energy_tables()
    views, _, gone, share = charts.sankey_views(tables, "p1", "energy")
    assert gone == ["b"] and share == pytest.approx(0.75)
    want = "not shown (no energy content): b (75 % of the flows by mass"
    fig = charts.segment_sankey_figure(tables, ["p1"], "energy")
    assert fig.layout.meta["notes"]["p1"].startswith(want)
    assert views["overview"].links["quantity_k_per_yr"].sum() == pytest.approx(100 * 42.0)
    assert fig.layout.meta["notes"]["p1"].endswith(
        "of those that have one); chainopt report --measure value shows every commodity "
        "with a value")
    # in value without a commodities table no band has a mass: no share is made up
    assert charts.sankey_note("value", [], ["co2"], float("nan")) == \
        "not shown (no positive value): co2"


def test_static_sankey_carries_the_note(tmp_path, monkeypatch):
    """The PNG of the energy Sankey says what the HTML note says (it said nothing)."""
    tables = _energy_tables()
    texts = {}

    def keep(plt, fig, folder, key, fmt, dpi, pictures=None):
        texts[key] = " ".join(t.get_text() for t in fig.texts)
        plt.close(fig)
        return tmp_path / key

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_static(tables, {"periods": ["p1"]}, tmp_path, measure="energy",
                        only={"sankey-p1"})
    assert "not shown (no energy content): b (75 % of the flows by mass" in texts["sankey-p1"]


def test_an_empty_sankey_or_a_map_without_coordinates_says_so_in_its_middle(tmp_path,
                                                                          monkeypatch):
    """Review out32 F8: a deck's Sankey slide was a blank picture where the measure leaves
    out every flow (small_chain by energy: no commodity has an energy content; a 7 pt
    footnote said so), and its map slide an empty world where no site has coordinates
    (the HTML report's map too). Here only b (no energy content) flows: the energy
    Sankey says in its middle 'Nothing flows in this measure: not shown (no energy
    content): b (100 % of the flows by mass ...', and no footnote repeats it; a map of
    sites s and t, neither with coordinates, says charts.NO_PLACE; with s placed (lon
    10, lat 50) and t not, its title names t as not shown."""
    import matplotlib.pyplot as plt

    tables = _energy_tables()
    for name in ("purchases", "sales"):
        tables[name] = tables[name][tables[name]["commodity"] == "b"]
    texts = {}

    def keep(plt, fig, folder, key, fmt, dpi, pictures=None):
        texts[key] = ([t.get_text() for t in fig.texts],
                      [t.get_text() for ax in fig.axes for t in ax.texts])
        plt.close(fig)
        return tmp_path / key

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_static(tables, {"periods": ["p1"]}, tmp_path, measure="energy",
                        only={"sankey-p1"})
    footnotes, middle = texts["sankey-p1"]
    assert footnotes == []
    assert " ".join(" ".join(middle).split()).startswith(
        "Nothing flows in this measure: not shown (no energy content): b (100 % of the flows "
        "by mass"), middle
    # the HTML report's Sankey (review out33 F3: an empty grid): no axes, and the same
    # words in its middle, shown while the pair chosen has no trace (here none at all;
    # with a, the overview of p1 is drawn and the words are hidden)
    fig = charts.segment_sankey_figure(tables, ["p1"], "energy")
    assert len(fig.data) == 0
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert [(a.text, a.visible) for a in fig.layout.annotations] == [
        (charts.EMPTY_SANKEY, True)]
    fig = charts.segment_sankey_figure(_energy_tables(), ["p1"], "energy")
    assert [(a.text, a.visible) for a in fig.layout.annotations] == [
        (charts.EMPTY_SANKEY, False)]
    assert "'annotations[0].visible':vis.indexOf(true)<0" in html_report.SANKEY_JS
    sites = pd.DataFrame({"site": ["s", "t"], "lon_deg": [None, None],
                          "lat_deg": [None, None]})
    fig = static._map(plt, {"sites": sites}, "p1")
    try:
        assert [t.get_text() for t in fig.axes[0].texts] == [charts.NO_PLACE]
    finally:
        plt.close(fig)
    half = sites.assign(lon_deg=[10.0, None], lat_deg=[50.0, None])
    fig = static._map(plt, {"sites": half}, "p1")
    try:
        title = " ".join(fig.axes[0].get_title().split())
        assert title.endswith("(1 site without coordinates not shown: t)"), title
        assert charts.NO_PLACE not in [t.get_text() for t in fig.axes[0].texts]
    finally:
        plt.close(fig)
    # the HTML report's map says the same
    html = charts.map_figure({"sites": sites}, ["p1"])
    assert charts.NO_PLACE in [a.text for a in html.layout.annotations]
    html = charts.map_figure({"sites": half}, ["p1"])
    assert html.layout.title.text.endswith("(1 site without coordinates not shown: t)")
    assert charts.NO_PLACE not in [a.text for a in html.layout.annotations]


# -- map labels stay inside the plot --------------------------------------------------------

def _label_boxes(sites, view, width, cw, lh):
    offs = charts.place_labels(sites, view, width, cw, lh)
    k = width / (view[1] - view[0])
    out = []
    for (_, r), (dx, dy) in zip(sites.iterrows(), offs, strict=True):
        x = (r["lon_deg"] - view[0]) * k + dx
        y = (r["lat_deg"] - view[2]) * k * charts.lat_ratio(view) + dy
        w = cw * len(r["site"]) + 4
        out.append((x - w / 2, y - lh / 2, x + w / 2, y + lh / 2))
    return offs, out


def test_map_labels_stay_inside_the_plot():
    """A view of lon 0..10, lat -5..5 (true to scale at the equator: ratio 1) drawn 100
    wide: 10 per degree, 100 high. Site a_very_long_site_name (21 characters of 4: a
    label 88 wide, 10 high) at lon 0.5, lat 0 sits at (5, 50); its first place, centred
    above it at (5, 59), spans x -39..49: cut off by the left edge. Moved in, it spans
    0..88, so dx = 44 - 5 = 39, dy = 9. Six sites crowded into the top right corner (lon
    9.5..9.9, lat 4.5..4.9) keep every label inside 0..100 x 0..100 too (above them
    was outside)."""
    view = (0.0, 10.0, -5.0, 5.0)
    assert charts.lat_ratio(view) == 1.0
    one = pd.DataFrame({"site": ["a_very_long_site_name"], "lon_deg": [0.5], "lat_deg": [0.0]})
    offs, boxes = _label_boxes(one, view, 100.0, 4.0, 10.0)
    assert offs[0] == pytest.approx((39.0, 9.0))
    assert all(type(v) is float for o in offs for v in o)  # plain floats for plotly
    assert boxes[0] == pytest.approx((0.0, 54.0, 88.0, 64.0))
    corner = pd.DataFrame({"site": [f"s{i}" for i in range(6)],
                           "lon_deg": [9.5, 9.6, 9.7, 9.8, 9.9, 9.9],
                           "lat_deg": [4.9, 4.8, 4.7, 4.6, 4.5, 4.9]})
    _offs, boxes = _label_boxes(corner, view, 100.0, 4.0, 10.0)
    for b in boxes:
        assert b[0] >= -1e-9 and b[2] <= 100 + 1e-9 and b[1] >= -1e-9 and b[3] <= 100 + 1e-9, b


def test_a_label_avoids_the_marker_of_a_site_drawn_without_one():
    """The view lon 0..10, lat -5..5 drawn 100 wide (10 per degree, ratio 1). Site ab (2
    characters of 4: a label 12 wide, 10 high) at lon 5, lat 0 sits at (50, 50); its first
    place, centred 9 above it, spans 44..56 x 54..64. An unlabelled site's marker at lon 5,
    lat 0.9, (50, 59), spans 46..54 x 55..63: it overlaps, so the label goes to its second
    place, 9 below: 44..56 x 36..46, which only touches ab's own marker (46..54 x 46..54).
    Without that marker the label stays above."""
    view = (0.0, 10.0, -5.0, 5.0)
    site = pd.DataFrame({"site": ["ab"], "lon_deg": [5.0], "lat_deg": [0.0]})
    other = pd.DataFrame({"site": ["cd"], "lon_deg": [5.0], "lat_deg": [0.9]})
    assert charts.place_labels(site, view, 100.0, 4.0, 10.0) == [(0.0, 9.0)]
    got = charts.place_labels(site, view, 100.0, 4.0, 10.0, markers=other)
    assert got == [pytest.approx((0.0, -9.0))]


def test_a_map_of_many_sites_labels_the_busiest():
    """Five sites; routes a->b 5 kt/yr, b->c 2, c->a 1 (d and e none): by hand a 5 + 1 = 6,
    b 5 + 2 = 7, c 2 + 1 = 3, d and e 0. At most 2 labels: b and a; at most 4: b, a, c and
    d (d before e, equal at 0). Without routes, all equal: a and b. At most 5, or more:
    all, and the title says nothing. The
    picture of a run of 5 sites at most 2 labels shows b's and a's names only, five
    markers, and says which in its title."""
    sites = pd.DataFrame({"site": list("abcde"), "lon_deg": [0.0, 1.0, 2.0, 3.0, 4.0],
                          "lat_deg": [50.0, 51.0, 52.0, 53.0, 54.0]})
    routes = pd.DataFrame({"from_site": ["a", "b", "c"], "to_site": ["b", "c", "a"],
                           "width_kt_per_yr": [5.0, 2.0, 1.0]})

    def named(most):
        keep, said = charts.map_labelled(sites, routes, most)
        return "".join(sites["site"][keep]), said

    assert named(2) == ("ab", " (labelled: the 2 busiest of 5 sites by the flow on their "
                              "routes)")
    assert named(4)[0] == "abcd"
    assert named(5) == ("abcde", "") and named(6) == ("abcde", "")
    keep, _ = charts.map_labelled(sites, routes.iloc[0:0], 2)  # no route: all equal at 0
    assert "".join(sites["site"][keep]) == "ab"

    flows = pd.DataFrame({"link": ["ab", "bc", "ca"], "from_site": ["a", "b", "c"],
                          "to_site": ["b", "c", "a"], "transport_mode": "pipeline",
                          "commodity": "x", "period": "p1", "flow_k_per_yr": [5.0, 2.0, 1.0]})
    plt = _plt()
    old = charts.MAX_MAP_LABELS
    charts.MAX_MAP_LABELS = 2
    try:
        fig = static._map(plt, {"sites": sites, "flows": flows}, "p1")
    finally:
        charts.MAX_MAP_LABELS = old
    try:
        ax = fig.axes[0]
        assert sorted(t.get_text() for t in ax.texts) == ["a", "b"]
        assert len(ax.collections[-1].get_offsets()) == 5  # every site's marker
        assert " ".join(ax.get_title().split()).endswith(
            "(labelled: the 2 busiest of 5 sites by the flow on their routes)")
    finally:
        plt.close(fig)


def test_map_routes_name_each_commodity_in_its_unit_and_widen_by_mass():
    """A link carrying crude (t) and gas (1000m3 at 0.75 t/m3, 750 t per unit) had its
    hover say "150.0 k units/yr" (100 kt of crude + 50 k 1000m3 of gas) and its width
    scaled by that sum. By hand: the hover lists "crude 100.0 k t/yr, gas 50.0 k
    1000m3/yr"; the width basis is 100 x 1 + 50 x 750 = 37,600 kt/yr; an idle link (a
    flow below the tolerance) says "idle"; power (MWh, no mass) counts its own 10."""
    sites = pd.DataFrame({"site": ["a", "b"], "lon_deg": [30.0, 40.0], "lat_deg": [50, 55]})
    flows = pd.DataFrame({
        "link": ["ab", "ab", "idle", "wire"], "from_site": "a", "to_site": "b",
        "transport_mode": ["pipeline", "pipeline", "rail", "grid"],
        "commodity": ["gas", "crude", "crude", "power"], "period": "p1",
        "flow_k_per_yr": [50.0, 100.0, 1e-9, 10.0]})
    com = pd.DataFrame({"commodity": ["crude", "gas", "power"],
                        "unit": ["t", "1000m3", "MWh"],
                        "density_t_per_m3": [float("nan"), 0.75, float("nan")]})
    _sites, routes = charts.map_data({"sites": sites, "flows": flows, "commodities": com},
                                     "p1")
    r = routes.set_index("link")
    assert r.loc["ab", "commodities"] == "crude 100.0 k t/yr, gas 50.0 k 1000m3/yr"
    assert r.loc["ab", "width_kt_per_yr"] == pytest.approx(37_600.0)
    assert r.loc["idle", "commodities"] == "idle"
    assert r.loc["wire", "commodities"] == "power 10.0 k MWh/yr"
    assert r.loc["wire", "width_kt_per_yr"] == pytest.approx(10.0)
    fig = charts.map_figure({"sites": sites, "flows": flows, "commodities": com}, ["p1"])
    hover = [t.hovertemplate for t in fig.data if t.name == "ab"]
    assert hover and "crude 100.0 k t/yr, gas 50.0 k 1000m3/yr" in hover[0]
    assert "k units/yr" not in hover[0]


def test_a_site_without_coordinates_is_blank_and_not_drawn(tmp_path):
    """A site whose lat_deg/lon_deg are blank (allowed) was written to the results'
    sites.csv as 0, 0 and drawn in the Gulf of Guinea (the columns' default was 0.0).
    Site a at 55 N, 37 E buys feed at 100 USD/t and makes product in unit u (10 kt/yr);
    link ab (no cost) takes it to site b (no coordinates), where it sells at 400: 10 x
    (400 - 100) = 3,000 kUSD = 3.000 MUSD, the plan as before. b's coordinates stay
    blank in sites.csv, the map has one marker (a at lon 37, lat 55) and no line for ab
    (one end is nowhere); the input hash is that of b at 0, 0 (the hash a case with
    such a site had)."""
    from chainopt import api
    from chainopt.case.digest import case_hash
    from chainopt.results import Results
    from tests.toycase import write_case

    tables = {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product",
        "sites": "site,lat_deg,lon_deg\na,55,37\nb,,", "modes": "mode,process\nrun,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu,a,make,10",
        "links": "link,from_site,to_site,commodities\nab,a,b,product",
        "supplies": "site,commodity,cost_usd_per_unit\na,feed,100",
        "markets": "site,commodity,price_usd_per_unit\nb,product,400"}
    folder = write_case(tmp_path / "blank", tables)
    at_zero = write_case(tmp_path / "zero", {**tables,
                                              "sites": "site,lat_deg,lon_deg\na,55,37\nb,0,0"})
    res = api.run(folder, out=tmp_path / "res")
    assert res.manifest["objective"] == pytest.approx(3.0)  # MUSD
    assert res.manifest["input_hash"] == case_hash(api.load_case(at_zero))
    text = (tmp_path / "res" / "toy" / "sites.csv").read_text()
    assert text.splitlines() == ["site,lat_deg,lon_deg", "a,55,37", "b,,"]
    tables = Results.load(tmp_path / "res" / "toy").tables
    sites, routes = charts.map_data(tables, "p1")
    assert list(sites["site"]) == ["a"] and routes.empty
    fig = charts.map_figure(tables, ["p1"])
    markers = [t for t in fig.data if t.mode == "markers" and t.x and t.x[0] is not None]
    assert [(list(t.x), list(t.y)) for t in markers] == [([37], [55])]


# -- periods of unequal length: every period axis gives the years -------------------------

#: small_chain (p2026, p2031, p2036: 5 years each) with p2026 split at 2029, then ru_dom's
#: diesel dearer by 2 % in p2029, 20 % in p2031 and 10 % in p2036
SPLIT_PRICES = """description: small_chain, p2026 split at 2029, diesel dearer by period
base: small_chain
changes:
  - {split: p2026, at: 2029}
  - {table: markets, where: {site: ru_dom, commodity: diesel}, period: p2029,
     scale: {price_usd_per_unit: 1.02}}
  - {table: markets, where: {site: ru_dom, commodity: diesel}, period: p2031,
     scale: {price_usd_per_unit: 1.2}}
  - {table: markets, where: {site: ru_dom, commodity: diesel}, period: p2036,
     scale: {price_usd_per_unit: 1.1}}
"""
#: the split run's periods with their years, by hand from start and length: p2026 starts
#: 2026 and ends the year before 2029 (2026, 2027, 2028); p2029 is 2029-2030 (what is
#: left of the 5 years 2026-2030); p2031 and p2036 are 5 years each (2031 + 5 - 1 = 2035)
SPLIT_LABELS = ["p2026 (2026-28)", "p2029 (2029-30)", "p2031 (2031-35)", "p2036 (2036-40)"]


@pytest.fixture(scope="module")
def split_compare(tmp_path_factory):
    """small_chain against :data:`SPLIT_PRICES`, compared and saved."""
    from chainopt import api

    tmp = tmp_path_factory.mktemp("split")
    scen = tmp / "split_prices.yaml"
    scen.write_text(SPLIT_PRICES)
    sections, _, folder = api.compare(["small_chain", str(scen)], out=tmp / "out")
    return sections, folder


def test_run_charts_label_each_period_with_its_years(split_compare, tmp_path, monkeypatch):
    """The split run's capacity and product-mix charts (PNG and HTML) and its KPI table by
    period name each period with its years (:data:`SPLIT_LABELS`): the bars of p2026 (3
    years), p2029 (2) and p2031 (5) stood side by side labelled by name only."""
    from chainopt.report.html import run_report_html
    from chainopt.results import Results

    _, folder = split_compare
    res = Results.load(folder.parent / "split_prices")
    ticks = {}

    def keep(plt, fig, out, key, fmt, dpi, pictures=None):
        ticks[key] = [t.get_text() for t in fig.axes[0].get_xticklabels()]
        plt.close(fig)
        return out / f"report-{key}.{fmt}"

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_static(res.tables, res.manifest, tmp_path, only={"capacity", "product_mix"})
    assert ticks == {"capacity": SPLIT_LABELS, "product_mix": SPLIT_LABELS}
    figs = charts.plotly_figures(res.tables, res.manifest["periods"],
                                 labels=charts.run_period_labels(res.manifest))
    assert all(list(t.x) == SPLIT_LABELS for t in figs["product_mix"].data)
    page = run_report_html(res.tables, res.manifest)
    assert all(f"<th>{label}</th>" in page for label in SPLIT_LABELS)


def test_comparison_charts_give_each_runs_years_and_changes_in_time_order(
        split_compare, tmp_path, monkeypatch):
    """small_chain's p2026 is 2026-2030, the split run's 2026-2028: the cash-flow chart's
    p2026 says both ('2026-30; split_prices: 2026-28': a tie of one each, the base's
    first, the other run by name, :class:`charts.PeriodYears`); p2029, which only the
    split run has, is 2029-2030.

    The change chart keeps the periods in time order. Diesel at ru_dom sells for 560
    USD/t; Δ cash flow = (f - 1) x 560 x (diesel sold, k t/yr) / 1000, so for any amount
    sold the changes rank by f - 1: 0.2 (p2031) > 0.1 (p2036) > 0.02 (p2029), and p2026
    (f = 1) does not change. The chart listed them in that order; by start year it is
    2029 < 2031 < 2036."""
    from chainopt.report import compare
    from chainopt.report.html import _delta_figure, compare_report_html

    sections, folder = split_compare
    cf = sections["cashflow"].set_index("period")["Δ split_prices"]
    assert cf["p2026"] == pytest.approx(0.0, abs=1e-6)
    assert list(cf.drop("p2026").abs().sort_values(ascending=False).index) == [
        "p2031", "p2036", "p2029"]  # what ranking by size gave
    ticks = {}

    def keep(plt, fig, out, key, fmt, dpi, pictures=None):
        ax = fig.axes[0]
        ticks[key] = [t.get_text() for t in (ax.get_yticklabels() if key.endswith("-delta")
                                              else ax.get_xticklabels())]
        ticks[f"{key} axis"] = ax.get_ylabel() if key.endswith("-delta") else ax.get_xlabel()
        plt.close(fig)
        return out / f"report-{key}.{fmt}"

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_compare_static(folder, tmp_path, "png")
    base_first = ["p2026 (2026-30; split_prices: 2026-28)", *SPLIT_LABELS[1:]]
    assert ticks["cashflow"] == base_first
    assert ticks["cashflow-delta"] == base_first[1:]  # p2026 unchanged: not drawn
    # the axis says what 'run: years' is where a label has it, and only there
    assert ticks["cashflow axis"] == charts.PERIOD_AXIS[1]
    assert ticks["cashflow-delta axis"] == charts.PERIOD_AXIS[0]
    # the HTML's change chart (horizontal: its first row drawn at the top, last in y)
    years = compare.period_years(folder)
    fig = _delta_figure(compare.read_tables(folder)["cashflow"], "x", years=years)
    assert list(fig.data[0].y)[::-1] == base_first[1:]
    assert "p2026 (2026-30; split_prices: 2026-28)" in compare_report_html(folder)


def test_a_map_reaching_past_180_degrees_draws_the_land_there():
    """Review out33 F6: sites at 158.6 and 179.6° E give a view to 183.6° E (4° of
    margin); Natural Earth keeps eastern Chukotka west of the date line, at -180 to
    -169.9°, so the strip from 180 to 183.6° E was drawn as sea. Shifted by 360°, that
    piece spans 180 to 190.1° E and meets the view; Alaska (from -168.1°: 191.9° E
    shifted) does not. A view inside ±180 gets no shifted copy."""
    sites = pd.DataFrame({"site": ["a", "b"], "lon_deg": [158.6, 179.6],
                          "lat_deg": [53.0, 66.0]})
    view = charts.map_view(sites)
    assert view[1] == pytest.approx(183.6)
    spans = sorted((round(r[:, 0].min(), 1), round(r[:, 0].max(), 1))
                   for r in charts.rings_in_view(view))
    assert (180.0, 190.1) in spans
    assert all(lo >= -180.0 and hi <= 190.1 for lo, hi in spans)
    assert not any(lo >= 190.0 for lo, _ in spans)
    inside = charts.rings_in_view((120.0, 170.0, 40.0, 70.0))
    assert all(r[:, 0].max() <= 180.0 for r in inside)
    xs, _ys = charts.coastlines(view)  # the HTML map draws the same rings
    assert max(x for x in xs if x is not None) == pytest.approx(190.1, abs=0.05)


def test_map_labels_are_placed_as_when_every_box_is_compared():
    """``place_labels`` scores a place against the labels and markers in the grid cells it
    touches (:class:`chainopt.report.charts._BoxGrid`); a box in no such cell shares no
    area with it. So the places are those of scoring against every box, as the definition
    says: 300 sites, 40 of them piled on 4 spots (whose labels must go far out), names of
    1 to 30 characters, on a 1,100-wide map; the same offsets, bit for bit."""
    import numpy as np

    rng = np.random.default_rng(7)
    lon = np.concatenate([rng.uniform(20, 180, 260), np.repeat([40.0, 90.0, 130.0, 170.0], 10)])
    lat = np.concatenate([rng.uniform(40, 75, 260), np.repeat([50.0, 60.0, 55.0, 70.0], 10)])
    names = ["s" * int(k) + str(i) for i, k in enumerate(rng.integers(1, 30, 300))]
    sites = pd.DataFrame({"site": names, "lon_deg": lon, "lat_deg": lat})
    view, width, cw, lh = (15.0, 185.0, 35.0, 80.0), 1100.0, 6.6, 14.0

    class Everywhere(charts._BoxGrid):  # every box near every box: the plain definition
        def near(self, b):
            found = dict(self.anywhere)
            found.update((r, o) for boxes in self.cells.values() for r, o in boxes)
            return [found[r] for r in sorted(found)]

    real = charts._BoxGrid
    try:
        charts._BoxGrid = Everywhere
        want = charts.place_labels(sites, view, width, cw, lh)
    finally:
        charts._BoxGrid = real
    got = charts.place_labels(sites, view, width, cw, lh)
    assert got == want
    assert len({o for o in got}) > 20  # the piles' labels went different ways
    # near a box: the boxes in the cells it touches and those in no cell, by rank
    grid = charts._BoxGrid()
    far, here, nowhere = (500.0, 500.0, 508.0, 508.0), (0.0, 0.0, 8.0, 8.0), \
        (float("inf"), 0.0, 1.0, 1.0)
    for rank, box in ((3, far), (5, here), (9, nowhere)):
        grid.add(box, rank)
    assert grid.near((4.0, 4.0, 300.0, 20.0)) == [here, nowhere]
    assert grid.near((400.0, 450.0, 501.0, 501.0)) == [far, nowhere]


def test_flows_through_a_hub_pass_on_in_proportion_to_its_outflows():
    """Hub h (a commodity at a site, balanced) takes 2 from upstream and 6 from refining
    and gives 2 to upstream and 6 to markets: each segment's inflow goes on in the shares
    of the outflows, 2/8 and 6/8, a segment's flow back to itself (upstream 2 x 2/8 =
    0.5) left out: upstream -> markets 2 x 6/8 = 1.5; refining -> upstream 6 x 2/8 = 1.5,
    -> markets 6 x 6/8 = 4.5. Hub g, fed but feeding nothing, passes nothing on."""
    df = pd.DataFrame({
        "src": ["sup", "ref", "h", "h", "ref"], "dst": ["h", "h", "up", "mkt", "g"],
        "src_kind": ["supply", "unit", "commodity", "commodity", "unit"],
        "dst_kind": ["commodity", "commodity", "unit", "market", "commodity"],
        "src_seg": ["upstream", "refining", None, None, "refining"],
        "dst_seg": [None, None, "upstream", "markets", None],
        "w": [2.0, 6.0, 2.0, 6.0, 5.0]})
    got = charts._hub_split(df)
    assert got.to_dict("records") == [
        {"src": "refining", "dst": "markets", "w": 4.5},
        {"src": "refining", "dst": "upstream", "w": 1.5},
        {"src": "upstream", "dst": "markets", "w": 1.5}]


def test_traces_made_unchecked_are_what_plotlys_checks_make_of_them():
    """The Sankey's, the map's and the bar charts' traces skip plotly's per-value checks
    (:func:`chainopt.report.charts.unchecked`): made again through those checks, each is
    the same, value for value; the figures' layouts are as checked as any other's."""
    import plotly.graph_objects as go

    from chainopt import api

    res = api.run("small_chain", save=False)
    periods = res.manifest["periods"]
    pivot = pd.DataFrame([[1.5, 2.0], [3.0, float("nan")]], index=["u1", "u2"],
                         columns=periods[:2])
    figs = {"sankey": charts.segment_sankey_figure(res.tables, periods),
            "map": charts.map_figure(res.tables, periods),
            "bars": charts._bar_figure(pivot, "capacity", "k t/yr")}
    for name, fig in figs.items():
        assert len(fig.data) > 1, name
        for trace in fig.data:
            mine = trace.to_plotly_json()
            checked = type(trace)(mine).to_plotly_json()
            assert checked.keys() == mine.keys(), name
            assert go.Figure(data=[checked]).to_json() == go.Figure(data=[mine]).to_json(), name
        with pytest.raises(ValueError):  # a layout still refuses what plotly does not know
            fig.update_layout(no_such_property=1)
    assert figs["sankey"].layout.meta["views"][0] == "overview"
    assert [m.name for m in figs["sankey"].layout.updatemenus] == ["period", "view"]
    assert figs["bars"].data[0].y == (1.5, 2.0)


def test_a_plotly_without_its_private_validate_keyword_gets_checked_traces(monkeypatch):
    """``_validate`` is a private keyword of plotly's classes; a release that refused it
    (as it refuses any unknown property, a ValueError) still gets its figures: the traces
    and the figure are then made through plotly's checks."""
    import plotly.graph_objects as go

    made = []

    class Strict(go.Bar):  # a plotly that knows no _validate
        def __init__(self, *args, **kwargs):
            if "_validate" in kwargs:
                raise ValueError("Invalid property specified: '_validate'")
            made.append(kwargs)
            super().__init__(*args, **kwargs)

    bar = charts.unchecked_trace(Strict, name="a", x=["p1"], y=[1.0])
    assert made == [{"name": "a", "x": ["p1"], "y": [1.0]}] and bar.name == "a"
    real = go.Figure

    def strict_figure(*args, **kwargs):
        if "_validate" in kwargs:
            raise ValueError("Invalid property specified: '_validate'")
        return real(*args, **kwargs)

    monkeypatch.setattr(go, "Figure", strict_figure)
    fig = charts.unchecked([bar], real(layout={"height": 300}))
    assert [t.name for t in fig.data] == ["a"] and fig.layout.height == 300


def _one_site_chain() -> dict[str, pd.DataFrame]:
    """Site s buys 10 kt/yr of a; unit u (a cdu: refining) makes 6 of b from 6 of a, unit
    v (a steam cracker: petrochemicals) 4 of c from 4 of a; b and c are sold there."""
    def flow(unit, commodity, direction, amount):
        return {"site": "s", "unit": unit, "commodity": commodity, "period": "p1",
                "direction": direction, "amount_k_per_yr": amount}

    return {
        "commodities": pd.DataFrame({"commodity": ["a", "b", "c"], "unit": "t"}),
        "purchases": pd.DataFrame({"site": ["s"], "commodity": ["a"], "period": ["p1"],
                                   "purchase_k_per_yr": [10.0],
                                   "cost_usd_per_unit": [1.0]}),
        "activity": pd.DataFrame({"unit": ["u", "v"], "process": ["cdu", "steam_cracker"]}),
        "unit_flows": pd.DataFrame([flow("u", "a", "in", 6.0), flow("u", "b", "out", 6.0),
                                    flow("v", "a", "in", 4.0), flow("v", "c", "out", 4.0)]),
        "sales": pd.DataFrame({"site": "s", "commodity": ["b", "c"], "period": "p1",
                               "sales_k_per_yr": [6.0, 4.0],
                               "revenue_musd_per_yr": [1.0, 1.0]})}


def test_a_segments_drill_down_shows_its_share_of_the_hubs_it_touches():
    """Site s buys 10 kt/yr of a (upstream); refining unit u (a cdu) makes 6 of b from 6
    of a, petrochemicals unit v (a steam cracker) 4 of c from 4 of a; b and c are sold.
    Refining takes 6 of a's 10: its drill-down shows 10 x 6/10 = 6 'from upstream' into
    a, and b's whole sale (6 x 6/6) 'to markets'; a's 4 into v goes on 4 x 0/10 = 0 (u
    puts nothing into a), so petrochemicals is not in it. The petrochemicals view
    likewise: 10 x 4/10 = 4 from upstream, c's 4 x 4/4 = 4 to markets. The overview:
    upstream 6 to refining and 4 to petrochemicals, each on to markets; made without the
    drill-downs (drill_downs=False), it is the only view and the same."""
    tables = _one_site_chain()
    views, *_ = charts.sankey_views(tables, "p1", "mass")

    def links(view):
        names = views[view].nodes["label"].tolist()
        lk = views[view].links
        return {(names[i], names[j], w) for i, j, w in zip(
            lk["source"], lk["target"], lk["quantity_k_per_yr"], strict=True)}

    assert links("refining") == {("from upstream", "a @ s", 6.0), ("a @ s", "unit u", 6.0),
                                 ("unit u", "b @ s", 6.0), ("b @ s", "to markets", 6.0)}
    assert links("petrochemicals") == {
        ("from upstream", "a @ s", 4.0), ("a @ s", "unit v", 4.0), ("unit v", "c @ s", 4.0),
        ("c @ s", "to markets", 4.0)}
    # the overview passes a's 10 on in proportion: 6 to refining, 4 to petrochemicals;
    # the pictures of the periods after the first make it alone, the same
    overview = {("upstream", "refining", 6.0), ("upstream", "petrochemicals", 4.0),
                ("refining", "markets", 6.0), ("petrochemicals", "markets", 4.0)}
    assert links("overview") == overview
    views, *_ = charts.sankey_views(tables, "p1", "mass", drill_downs=False)
    assert list(views) == ["overview"] and links("overview") == overview


def test_a_drill_down_adds_up_bands_alike_in_all_but_their_rows():
    """The one-site chain with a's 10 kt/yr bought in two tiers of 5 and b's 6 sold in
    two of 3: the tiers' bands are alike (the same nodes, commodity and width) but two
    flows. Each drill-down adds them: upstream's 'supply a @ s' -> 'a @ s' is 5 + 5 = 10
    (with a's outflows to the others at a's whole share, 10 of its 10: 6 'to refining',
    4 'to petrochemicals'); markets' 'b @ s' -> 'market s' 3 + 3 = 6 beside c's 4, and
    into b 'from refining' u's 6 x (b's 6 to markets / its 6 out) = 6. Each view's
    hubs so balance, as the overview's 10 from upstream does (drill-downs kept one of
    two alike bands: upstream showed 5 bought and 10 used)."""
    tables = _one_site_chain()
    tables["purchases"] = pd.DataFrame({
        "site": "s", "commodity": "a", "period": "p1", "tier": [1, 2],
        "purchase_k_per_yr": [5.0, 5.0], "cost_usd_per_unit": [1.0, 1.0]})
    tables["sales"] = pd.DataFrame({
        "site": "s", "commodity": ["b", "b", "c"], "period": "p1", "tier": [1, 2, 1],
        "sales_k_per_yr": [3.0, 3.0, 4.0], "revenue_musd_per_yr": [0.5, 0.5, 1.0]})
    views, *_ = charts.sankey_views(tables, "p1", "mass")

    def links(view):
        names = views[view].nodes["label"].tolist()
        lk = views[view].links
        return sorted((names[i], names[j], w) for i, j, w in zip(
            lk["source"], lk["target"], lk["quantity_k_per_yr"], strict=True))

    assert links("upstream") == [("a @ s", "to petrochemicals", 4.0),
                                 ("a @ s", "to refining", 6.0),
                                 ("supply a @ s", "a @ s", 10.0)]
    assert links("markets") == [("b @ s", "market s", 6.0), ("c @ s", "market s", 4.0),
                                ("from petrochemicals", "c @ s", 4.0),
                                ("from refining", "b @ s", 6.0)]
    assert ("upstream", "refining", 6.0) in {
        (a, b, w) for a, b, w in links("overview")}


# -- large runs: at most MAX_SERIES bars' series, no picture of a Sankey too large ------

def test_a_bar_chart_shows_its_largest_series_and_a_stack_the_rest_as_one(monkeypatch):
    """At most 2 series (MAX_SERIES patched): rows a (1, 1), b (-5, 0), c (3, 0), d (0,
    0.5) have sizes |1| + |1| = 2, 5, 3, 0.5 over the periods: b and c are kept, in
    their order. Grouped, the others are left out; stacked, they are one more series,
    a + d = (1, 1.5), '2 other units', so each bar still adds up to its period's total
    (1 - 5 + 3 + 0 = -1, 1 + 0 + 0 + 0.5 = 1.5). The title says so. A frame of 2 rows
    is left as it is."""
    monkeypatch.setattr(charts, "MAX_SERIES", 2)
    frame = pd.DataFrame({"p1": [1.0, -5.0, 3.0, 0.0], "p2": [1.0, 0.0, 0.0, 0.5]},
                         index=["a", "b", "c", "d"])
    grouped, said = charts.top_series(frame, False, "units")
    assert grouped.index.tolist() == ["b", "c"] and said == " (the 2 largest of 4 units)"
    stacked, said = charts.top_series(frame, True, "units")
    assert stacked.index.tolist() == ["b", "c", "2 other units"]
    assert stacked.loc["2 other units"].tolist() == [1.0, 1.5]
    assert stacked.sum().tolist() == frame.sum().tolist() == [-1.0, 1.5]
    assert said == " (the 2 largest of 4 units, the others as one)"
    same, said = charts.top_series(frame.iloc[:2], True, "units")
    assert same is not None and same.equals(frame.iloc[:2]) and said == ""


def test_a_run_of_many_units_charts_the_largest_in_html_and_pictures(monkeypatch, tmp_path):
    """30 units of 1..30 kt/yr in one period (the limit 26): the capacity chart, in the
    HTML figure and in the picture alike, shows units u30 down to u05 (the 26 largest),
    titled 'Unit capacity by period (the 26 largest of 30 units)'."""
    cap = pd.DataFrame({"kind": "unit", "name": [f"u{i:02d}" for i in range(1, 31)],
                        "period": "p1", "total_k_per_yr": [float(i) for i in range(1, 31)],
                        "new_k_per_yr": 0.0, "quantity_unit": "t"})
    (key, frame, title, _unit, stacked), *_ = charts.bar_charts({"capacity": cap}, ["p1"])
    assert (key, stacked, len(frame)) == ("capacity", False, 26)
    assert set(frame.index) == {f"u{i:02d}" for i in range(5, 31)}
    assert title == "Unit capacity by period (the 26 largest of 30 units)"
    fig = charts.plotly_figures({"capacity": cap}, ["p1"])["capacity"]
    assert sorted(t.name for t in fig.data) == sorted(frame.index)
    assert "the 26 largest of 30 units" in fig.layout.title.text
    plt = _plt()
    static.write_static({"capacity": cap}, {"periods": ["p1"]}, tmp_path, "svg",
                        only={"capacity"})
    svg = (tmp_path / "report-capacity.svg").read_text()
    assert "u05" in svg and "u04" not in svg and "26 largest of 30 units" in svg
    plt.close("all")


def test_a_view_of_the_one_site_chain_too_large_for_the_page(monkeypatch):
    """The chain of :func:`_one_site_chain` by hand: the overview is upstream, refining,
    petrochemicals, markets (4 nodes, 4 bands); upstream's view is supply a @ s -> a @ s ->
    'to refining' and 'to petrochemicals' (4 nodes, 3 bands); refining's is 'from
    upstream' -> a @ s -> unit u -> b @ s -> 'to markets' (5 nodes, 4 bands), and
    petrochemicals' the same with v and c; markets' is 'from refining' -> b @ s and 'from
    petrochemicals' -> c @ s, both -> market s (5 nodes, 4 bands). With at most 4 nodes on
    the page the overview and upstream (views 0 and 1 of overview, upstream, gas
    processing, refining, petrochemicals, logistics, markets) are drawn; refining (3),
    petrochemicals (4) and markets (6) each say '5 nodes and 4 bands: too many ...'."""
    monkeypatch.setattr(charts, "MAX_PAGE_NODES", 4)
    fig = charts.segment_sankey_figure(_one_site_chain(), ["p1"])
    meta = fig.layout.meta
    assert meta["keys"] == [[0, 0], [0, 1]]
    assert [(len(t.node.label), len(t.link.source)) for t in fig.data] == [(4, 4), (4, 3)]
    assert [k[:2] for k in meta["large"]] == [[0, 3], [0, 4], [0, 6]]
    assert all(k[2].startswith("5 nodes and 4 bands: too many for a browser to draw in "
                               "reasonable time (at most 4 nodes on this page)")
               for k in meta["large"])


def test_a_sankey_view_too_large_for_the_page_has_no_trace_and_says_so(monkeypatch):
    """On a real run (the views' sizes as sankey_views makes them, not by hand: the
    one-site chain's test derives them): small_chain's first period has an overview of 6
    nodes and drill-downs of 3 (upstream), 5 (gas processing), 9 (refining), 12
    (petrochemicals), 24 (logistics) and 14 (markets) nodes. With at most 10 on the page
    (MAX_PAGE_NODES patched), the first period's traces are the overview and the first
    three drill-downs (views 0-3), and the page's meta names views 4, 5 and 6 with what
    it says in their place: '12 nodes and 12 bands: too many for a browser ...'."""
    from chainopt import api

    tables = api.run("small_chain", save=False).tables
    monkeypatch.setattr(charts, "MAX_PAGE_NODES", 10)
    fig = charts.segment_sankey_figure(tables, ["p2026"])
    meta = fig.layout.meta
    assert meta["keys"] == [[0, 0], [0, 1], [0, 2], [0, 3]]
    assert [k[:2] for k in meta["large"]] == [[0, 4], [0, 5], [0, 6]]
    assert meta["large"][0][2].startswith("12 nodes and 12 bands: too many for a browser "
                                          "to draw in reasonable time (at most 10 nodes")
    assert meta["empty"] == charts.EMPTY_SANKEY
    assert [len(t.node.label) for t in fig.data] == [6, 3, 5, 9]


def test_a_sankey_too_large_for_a_picture_says_so(monkeypatch):
    """With at most 3 nodes drawn (MAX_STATIC_NODES patched), a view of 4 nodes and 3
    bands is a picture of one sentence saying so, without nodes or bands; one of 3
    nodes is drawn (its 3 nodes as rectangles)."""
    from matplotlib.patches import Rectangle

    monkeypatch.setattr(static, "MAX_STATIC_NODES", 3)
    d = charts.SankeyData(
        nodes=pd.DataFrame({"label": ["a", "b", "c", "d"], "kind": "unit"}),
        links=pd.DataFrame({"source": [0, 1, 2], "target": [1, 2, 3], "commodity": "x",
                            "quantity_k_per_yr": 1.0, "value_musd_per_yr": 1.0}))
    plt = _plt()
    fig = static._sankey(plt, d, "t", unit="kt/yr")
    try:
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert len(texts) == 1 and texts[0].startswith("4 nodes and 3 bands: too many")
        assert "report.html shows this view" in " ".join(texts[0].split())
        assert not fig.axes[0].patches
    finally:
        plt.close(fig)
    monkeypatch.setattr(charts, "MAX_PAGE_NODES", 3)  # nor shown on the page: it says so
    fig = static._sankey(plt, d, "t", unit="kt/yr")
    try:
        text = " ".join(fig.axes[0].texts[0].get_text().split())
        assert "Too many for report.html's page too: the tables hold every flow." in text
    finally:
        plt.close(fig)
    small = charts.SankeyData(nodes=d.nodes.iloc[:3], links=d.links.iloc[:2])
    fig = static._sankey(plt, small, "t", unit="kt/yr")
    try:
        assert sum(isinstance(p, Rectangle) for p in fig.axes[0].patches) == 3
    finally:
        plt.close(fig)


def test_a_reports_page_pictures_and_deck_make_each_periods_views_once(tmp_path, monkeypatch):
    """The page's Sankey, its pictures and its deck show the same views: each period's
    are made once (:class:`charts.SankeyViews`; at 300k variables 0.8-1.1 s a period,
    made a second time for the pictures). The first call for a period without its
    drill-downs (a picture of a later period) is made again when the drill-downs are
    asked for, and the views are those :func:`charts.sankey_views` makes: the one-site
    chain's refining drill-down, 6 from upstream through u to markets, by hand."""
    made: list[tuple[str, bool]] = []
    real = charts.sankey_views

    def counted(tables, period, measure="mass", drill_downs=True):
        made.append((period, drill_downs))
        return real(tables, period, measure, drill_downs)

    monkeypatch.setattr(charts, "sankey_views", counted)
    views_of = charts.SankeyViews(_one_site_chain())
    overview, *_ = views_of("p1", drill_downs=False)
    assert list(overview) == ["overview"] and made == [("p1", False)]
    views, *_ = views_of("p1")
    assert made == [("p1", False), ("p1", True)]
    assert views_of("p1")[0] is views and views_of("p1", drill_downs=False)[0] is views
    assert made == [("p1", False), ("p1", True)]
    d = views["refining"]
    names = d.nodes["label"].tolist()
    assert sorted(zip([names[i] for i in d.links["source"]],
                      [names[j] for j in d.links["target"]],
                      d.links["quantity_k_per_yr"], strict=True)) == [
        ("a @ s", "unit u", 6.0), ("b @ s", "to markets", 6.0),
        ("from upstream", "a @ s", 6.0), ("unit u", "b @ s", 6.0)]

    # a whole report of small_chain (three periods) with pictures and a deck
    from chainopt import api

    api.run("small_chain", out=tmp_path, name="run")
    made.clear()
    written = api.report(tmp_path / "run", static=["png"], pptx=True)
    res = Results.load(tmp_path / "run")
    periods = charts.periods_of(res.tables, res.manifest)
    assert len(periods) == 3
    assert made == [(p, True) for p in periods], made
    assert {p.name for p in written} >= {f"report-sankey-{p}.png" for p in periods}


def test_a_wrapped_text_breaks_where_the_words_that_fit_end():
    """By hand, each character 10 px wide and a room of 100 px: 'aaa bbb' is 70 px and
    'aaa bbb ccc' 110, so the first line is 'aaa bbb', then 'ccc ddd'; a word wider than
    the room (160 px) stands alone; a line feed stays one; a width of 100.2 px rounds up
    to 101 and no longer fits, 100.0 does."""
    def width(line):
        return 10.0 * len(line)

    assert static.wrapped("aaa bbb ccc ddd", width, 100) == "aaa bbb\nccc ddd"
    assert static.wrapped("ab abcdefghijklmnop cd", width, 100) == "ab\nabcdefghijklmnop\ncd"
    assert static.wrapped("aaa\nbbb ccc", width, 100) == "aaa\nbbb ccc"
    assert static.wrapped("aaaa aaaaa", lambda s: 10.02 * len(s), 100) == "aaaa\naaaaa"
    assert static.wrapped("aaaa aaaaa", width, 100) == "aaaa aaaaa"


def test_a_pictures_note_is_wrapped_as_matplotlib_wraps_it(tmp_path):
    """The note under a Sankey picture (``wrap=True``) is broken once before the picture
    is laid out (static.wrap_once), where matplotlib measured the line again word by word
    at every draw: the same lines as matplotlib's own wrapping (its ``_get_wrapped_text``)
    at the picture's 150 dpi, for notes of 1 to 3 lines."""
    plt = _plt()
    sentence = ("assumed density: apg, helium, raw_gas_esib, raw_gas_yamal; not shown (no "
                "mass: a volume or energy unit without a density or energy content): "
                "electricity (0.0625 % of the flows by value, of those that have one)")
    words = sentence.split()
    for n in (5, 60, 90):
        note = " ".join((words * 3)[:n])
        fig = plt.figure(figsize=(16, 9))
        fig.set_dpi(150)
        ours = fig.text(0.01, 0.01, note, fontsize=8, wrap=True)
        theirs = fig.text(0.01, 0.01, note, fontsize=8, wrap=True)
        fig.canvas.draw()
        expected = theirs._get_wrapped_text()
        theirs.remove()
        static.wrap_once(fig)
        assert not ours.get_wrap() and ours.get_text() == expected
        assert expected.count("\n") == {5: 0, 60: 1, 90: 2}[n], expected
        plt.close(fig)


def test_a_large_page_map_labels_the_busiest_and_draws_routes_by_style(monkeypatch):
    """The five sites of the map test above, two periods. p1: a->b 5 kt/yr (link ab,
    capacity 10: 50 % used), b->c 2 (bc, 10: 20 %), c->a 1 (ca, no capacity); p2: c->d 6
    (cd, 10: 60 %). Over both periods by hand: a 5 + 1 = 6, b 7, c 2 + 1 + 6 = 9, d 6,
    e 0. With at most 2 labels (MAX_PAGE_LABELS patched) the page labels c and b, and
    says so under its title, in all periods; with at most 3 routes drawn one trace each
    (MAX_ROUTE_TRACES patched; there are 4), each period's routes of one style are one
    trace: widths 1.5 + 12.5 x flow / 6 (the largest) in steps of 0.5 px, ab 11.917 ->
    12.0, bc 5.667 -> 5.5, ca 3.583 -> 3.5, cd 14.0; no two share one, so p1 has 3
    traces, p2 1, each route's two ends and a gap (None) between routes, and its own
    text when hovered. Without the patches: every site labelled, one trace a route, no
    second title line."""
    sites = pd.DataFrame({"site": list("abcde"), "lon_deg": [0.0, 1.0, 2.0, 3.0, 4.0],
                          "lat_deg": [50.0, 51.0, 52.0, 53.0, 54.0]})
    flows = pd.DataFrame({"link": ["ab", "bc", "ca", "cd"], "from_site": ["a", "b", "c", "c"],
                          "to_site": ["b", "c", "a", "d"], "transport_mode": "pipeline",
                          "commodity": "x", "period": ["p1", "p1", "p1", "p2"],
                          "flow_k_per_yr": [5.0, 2.0, 1.0, 6.0]})
    capacity = pd.DataFrame({"kind": "link", "name": ["ab", "bc", "cd"],
                             "period": ["p1", "p1", "p2"], "utilisation": [0.5, 0.2, 0.6]})
    tables = {"sites": sites, "flows": flows, "capacity": capacity}

    def routes(fig):
        return [t for t in fig.data if t.mode == "lines" and t.name not in ("land",)
                and t.x != (None,)]

    fig = charts.map_figure(tables, ["p1", "p2"])
    assert sorted(a.text for a in fig.layout.annotations) == list("abcde")
    assert len(routes(fig)) == 4 and "<br>" not in fig.layout.title.text
    monkeypatch.setattr(charts, "MAX_PAGE_LABELS", 2)
    monkeypatch.setattr(charts, "MAX_ROUTE_TRACES", 3)
    fig = charts.map_figure(tables, ["p1", "p2"])
    assert sorted(a.text for a in fig.layout.annotations) == ["b", "c"]
    title = fig.layout.title.text
    assert "(labelled: the 2 busiest of 5 sites by the flow on their routes in all periods; " \
        "hover a site for its name)" in title.split("<br>")[1]
    assert "routes drawn in steps of 5% utilisation and 0.5 px width" in title
    drawn = routes(fig)
    assert [round(t.line.width, 3) for t in drawn] == [12.0, 5.5, 3.5, 14.0]
    assert [t.visible for t in drawn] == [True, True, True, False]
    assert drawn[0].x == (0.0, 1.0) and drawn[3].x == (2.0, 3.0)
    assert "utilisation 50%" in drawn[0].hovertemplate
    assert "no capacity limit" in drawn[2].hovertemplate
    # two routes of one style: ab's flow 2 as bc's (both 20 % used, the same width)
    flows.loc[0, "flow_k_per_yr"] = 2.0
    capacity.loc[0, "utilisation"] = 0.2
    fig = charts.map_figure(tables, ["p1", "p2"])
    merged = routes(fig)[0]
    assert merged.x == (0.0, 1.0, None, 1.0, 2.0) and merged.name == "2 routes"
    assert merged.hovertemplate == "%{text}<extra></extra>"
    assert [("link ab" in t, "link bc" in t) for t in merged.text] == [
        (True, False), (True, False), (False, False), (False, True), (False, True)]
