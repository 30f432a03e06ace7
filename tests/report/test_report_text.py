"""What the reports and decks say about the numbers they show: captions, units, signs.
Expected numbers are derived by hand in the docstrings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from chainopt import api
from chainopt.report import compare, deck, html


def _slide_texts(path: Path) -> list[str]:
    """Every text of a deck: text frames and table cells (a row's cells joined by |)."""
    from pptx import Presentation

    out = []
    for slide in Presentation(str(path)).slides:
        for sh in slide.shapes:
            if getattr(sh, "has_table", False):
                out += [" | ".join(c.text for c in r.cells) for r in sh.table.rows]
            elif sh.has_text_frame and sh.text_frame.text:
                out.append(sh.text_frame.text)
    return out


def test_a_cost_comparison_is_captioned_as_a_total_cost(tmp_path):
    """A comparison of two cost cases: c costs 150 of supply less 100 of revenue = 50
    MUSD (NPV of costs), d 140 - 100 = 40: Δ -10 MUSD, a saving. The deck's key figures
    said 'objective and Δ: NPV of the whole chain', which reads 50 as a net value of +50
    (it is -50) and the -10 as a loss; the HTML cards said 'objective of c'."""
    sections = {"objective": pd.DataFrame({
        "kpi (MUSD, NPV)": ["cost_revenue", "cost_supply", "objective"],
        "c": [-100.0, 150.0, 50.0], "d": [-100.0, 140.0, 40.0],
        "Δ d": [0.0, -10.0, -10.0]})}
    folder = compare.save(sections, ["c", "d"], tmp_path / "compare-cost")
    assert compare.is_cost(compare.read_tables(folder))
    texts = _slide_texts(deck.compare_deck(folder, tmp_path / "cost.pptx"))
    assert "d | 40.0 | -10.0 | - | -" in texts
    note = next(t for t in texts if t.startswith("objective and Δ"))
    assert "total cost" in note and "NPV of the whole chain" not in note
    page = html.compare_report_html(folder)
    assert "total cost of c, MUSD (base)" in page and "objective of c" not in page


def test_a_cost_run_is_captioned_as_a_total_cost(tmp_path):
    """small_chain as a cost case: its total cost is minus its net value, -7,784.9 MUSD
    (it sells more than it spends). The HTML report's card and subtitle and the deck's
    title slide called -7,784.9 the 'objective (NPV)', the chain's NPV, which is +7,784.9."""
    scen = tmp_path / "small_cost.yaml"
    scen.write_text("name: small_cost\nbase: small_chain\nchanges:\n"
                    "  - case: {objective: cost}\n")
    res = api.run(scen, out=tmp_path)
    assert round(res.objective, 1) == -7784.9
    folder = tmp_path / "small_cost"
    written = html.write_report(folder, pptx=True)
    page = written[0].read_text(encoding="utf-8")
    assert "total cost (NPV of costs), MUSD" in page
    assert "total cost (NPV of costs) -7,784.9 MUSD" in page
    assert "objective (NPV" not in page
    texts = _slide_texts(folder / deck.DECK_FILE)
    assert any(t.startswith("total cost (NPV of costs) -7,784.9 MUSD") for t in texts)


def test_an_irr_card_is_a_percentage_however_large():
    """IRRs are fractions (the economics table's 0.238 is 23.8 %). A project that spends 1
    MUSD and earns 7 in each of the next two years returns i with 1 = 7/(1+i) + 7/(1+i)^2:
    x = 1/(1+i) = (-7 + sqrt(49 + 28)) / 14 = 0.12679, i = 6.887 = 688.7 %. Its card said
    '6.9' (no percent sign: every IRR of 500 % or more lost it), the table 688.7%."""
    x = (-7 + 77 ** 0.5) / 14
    eco = pd.DataFrame({"scenario": ["s"], "effect": ["pj"], "incremental NPV (MUSD)": [11.1],
                        "IRR": [1 / x - 1], "payback (yr)": [0.14]})
    cards = html._economics_cards(eco)
    assert '<div class="v">688.7%</div><div class="l">IRR</div>' in cards


def _mp4_sections() -> dict[str, pd.DataFrame]:
    """A comparison's objective and economics tables: base b at 100 MUSD, scenario s at
    126.2 (Δ 26.2), where mp4 is worth 26.2 against s without it, 240 MUSD of its own
    capex less 144 of a life extension it makes unnecessary (Δ capex 96)."""
    return {
        "objective": pd.DataFrame({"kpi (MUSD, NPV)": ["objective"], "b": [100.0],
                                   "s": [126.2], "Δ s": [26.2]}),
        "economics": pd.DataFrame([{c: None for c in compare.ECONOMICS_COLUMNS} | {
            "scenario": "s", "effect": "mp4", "against": "s without mp4", "built": "p2031",
            "first use": "2033", "incremental NPV (MUSD)": 26.2, "NPV low (MUSD)": 26.2,
            "NPV high (MUSD)": 26.2, "overnight capex (MUSD)": 240.0,
            "Δ capex (MUSD)": 96.0, "IRR": 0.126, "payback (yr)": 6.3}])}


def test_no_change_against_the_base_chart_of_the_economics(tmp_path):
    """The economics table's one Δ column, 'Δ capex (MUSD)', is each project against its
    own counterfactual (mp4: 240 MUSD of its own, less 144 of a life extension it makes
    unnecessary: 96), not a change against the base; it was drawn as 'Economics ...:
    change against the base' (HTML and PNG). The objective's Δ, 26.2 against the base, is."""
    from chainopt.report.static import write_compare_static

    sections = {
        **_mp4_sections(),
        "project_waterfall": pd.DataFrame({"scenario": ["s"] * 2, "effect": ["mp4"] * 2,
                                           "category": ["revenue", "capex"],
                                           "npv_musd": [112.9, -86.7]})}
    folder = compare.save(sections, ["b", "s"], tmp_path / "compare-x")
    page = html.compare_report_html(folder)
    assert 'id="fig-objective-delta"' in page and "fig-economics-delta" not in page
    names = {p.name for p in write_compare_static(folder, tmp_path, "png")}
    assert "report-objective-delta.png" in names
    assert "report-economics-delta.png" not in names


def test_the_deck_takes_the_tornados_of_its_own_scenarios_only(tmp_path):
    """A deck of small_chain against small_port_expansion takes the tornado of
    sensitivity-small_port_expansion-far_east_port, not that of
    sensitivity-small_chained-far_east_port (another scenario, whose name merely begins
    with the base's: it was taken, the match being on any part of the folder name).
    Only a chart made from the compared run's inputs is shown: a tornado of the scenario
    before an edit (another input hash), one whose folder records none, and a Monte Carlo
    chart of another case swept under the run's name were all shown, matched by folder
    name; each is left out with a warning naming it."""
    import json

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    names = ["small_chain", "small_port_expansion"]
    port, other = "b" * 64, "c" * 64
    sections = {"objective": pd.DataFrame({"kpi (MUSD, NPV)": ["objective"],
                                           "small_chain": [7784.9],
                                           "small_port_expansion": [7797.2],
                                           "Δ small_port_expansion": [12.3]})}
    folder = compare.save(sections, names, tmp_path / "compare-port",
                          inputs={"small_chain": "a" * 64, "small_port_expansion": port})
    charts = {"sensitivity-small_chained-far_east_port/tornado.png": port,
              "sensitivity-small_port_expansion-far_east_port/tornado.png": port,
              "sensitivity-small_port_expansion-stale/tornado.png": other,
              "sensitivity-small_port_expansion-unrecorded/tornado.png": None,
              "sweep-small_port_expansion/projects_mc.png": other}
    for name, made in charts.items():
        png = tmp_path / name
        png.parent.mkdir()
        fig = plt.figure(figsize=(2, 1))
        fig.savefig(png)
        plt.close(fig)
        record = png.parent / ("sweep.json" if "sweep-" in name else "sensitivity.json")
        if made is not None:
            record.write_text(json.dumps({"input_hash": made}))
    warned: list[str] = []
    texts = _slide_texts(deck.compare_deck(folder, tmp_path / "port.pptx", warned.append))
    shown = [t for t in texts if t.startswith(("What changes the answer", "Monte Carlo"))]
    assert shown == ["What changes the answer: small_port_expansion-far_east_port"]
    said = " ".join(warned)
    assert len(warned) == 3, warned
    assert ("sensitivity-small_port_expansion-stale: made from other inputs than run "
            "small_port_expansion of the comparison (input hash cccccccccccc..., the run's "
            "bbbbbbbbbbbb...)") in said
    assert "sensitivity-small_port_expansion-unrecorded: sensitivity.json records no " \
        "input hash" in said
    assert "sweep-small_port_expansion: made from other inputs" in said
    # both ways out: the comparison may be the one out of date
    assert "if the case or scenario was edited since the comparison, run chainopt compare " \
        "again (--overwrite), else make the chart again" in warned[0]


def test_a_difference_within_the_solvers_tolerance_shows_as_0(tmp_path):
    """Two solves of the same plan: objective 7,784.9 and 7,784.9000044 MUSD, Δ 4.4e-06,
    a share 4.4e-06 / 7,784.9 = 5.7e-10 of the objective, far below the solvers'
    tolerance (1e-6 of it): the HTML table showed '4.4e-06' (and its card '(Δ 4.4e-06)').
    It shows 0, as does the Δ of a part, npv_supply, -3e-06. A real Δ of 0.06 MUSD
    (7.7e-06 of the objective) stays, as 0.060 (three decimals below 10, one from 10 up:
    7,784.96 reads 7,785.0, -100.000003 reads -100.0), as on the terminal."""
    sections = {"objective": pd.DataFrame({
        "kpi (MUSD, NPV)": ["objective", "npv_supply"], "b": [7784.9, -100.0],
        "s": [7784.9000044, -100.000003], "Δ s": [4.4e-06, -3e-06],
        "t": [7784.96, -100.0], "Δ t": [0.06, 0.0]})}
    folder = compare.save(sections, ["b", "s", "t"], tmp_path / "compare-x")
    page = html.compare_report_html(folder)
    assert "e-06" not in page
    assert "<td>objective</td>" in page or 'class="txt">objective' in page
    assert "<td>7,784.9</td><td>0</td>" in page  # s and its Δ
    assert "<td>7,785.0</td><td>0.060</td>" in page  # t and its Δ
    assert "<td>-100.0</td><td>0</td>" in page  # npv_supply of s and its Δ


def test_a_comparison_without_its_waterfall_says_to_compare_again(tmp_path):
    """A comparison folder written by an older chainopt, with no project_waterfall.csv
    (and none recorded), whose scenario builds mp4: its one-pager has no waterfall. The
    report failed with 'damaged results (KeyError: 'category') ... run the case again
    (chainopt run ... --overwrite)', the advice for a results folder; it now names the
    missing table and says to run chainopt compare again. Nothing is written."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    folder = compare.save({
        **_mp4_sections()},
        ["b", "s"], tmp_path / "compare-old")
    res = CliRunner().invoke(app, ["report", str(folder)], terminal_width=300)
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert "project_waterfall.csv is missing" in text
    assert "run chainopt compare again with --overwrite" in text
    assert "run the case again" not in text
    assert not (folder / html.REPORT_FILE).exists()


def _short_tables() -> dict[str, pd.DataFrame]:
    """A run that sells 69.75 of a 400 k t/yr pp floor at a in p1 and p2 (short by
    400 - 69.75 = 330.25 k t/yr each, penalised at 5,000 USD per t) and meets its hdpe
    floor; the unit (t) from the floor's row in constraints."""
    sales = pd.DataFrame({
        "site": ["a", "a", "a"], "commodity": ["pp", "pp", "hdpe"], "tier": [1, 1, 1],
        "period": ["p1", "p2", "p1"], "min_k_per_yr": [400.0, 400.0, 50.0],
        "sales_k_per_yr": [69.75, 69.75, 50.0], "floor_cost_usd_per_unit": [5000.0] * 3,
        "shortfall_k_per_yr": [330.25, 330.25, 0.0],
        "revenue_musd_per_yr": [61.38, 61.38, 45.0]})
    cons = pd.DataFrame({"family": ["market.demand_min"], "kind": ["row"],
                         "key": ["site=a, commodity=pp, tier=1, period=p1"], "period": ["p1"],
                         "side": ["lower"], "marginal_value": [5000.0],
                         "value_unit": ["USD per t"], "quantity_unit": ["t"]})
    kpis = pd.DataFrame({"kpi": ["objective", "shortfall_total"], "period": [None, None],
                         "value": [-6489.4, 660.5],
                         "unit": ["MUSD", "k t over the horizon (each period's k t/yr x "
                                          "its years)"]})
    return {"sales": sales, "constraints": cons, "kpis": kpis}


SHORT_NOTE = ("Note: demand floors are not met (pp at a in p1 short by 330 k t/yr, also in "
              "p2; sales table, shortfall_k_per_yr). The values below that these floors "
              "reach include their shortfall penalty (up to 5,000 USD per t, "
              "floor_cost_usd_per_unit): an assumption of the case, not a price.")


def test_a_run_short_of_its_floors_says_so_first(tmp_path):
    """The report of a run that leaves a floor unmet said so only as a KPI card
    ('shortfall_total 660.5'), and its binding table showed the floor worth 5,000 USD per
    t, the penalty, as if a market's value; `chainopt run` and `explain` say it in words.
    Now the key figures (HTML) and the deck's key-figures slide carry explain's note:
    one floor (pp at a, 330.25 -> '330', whole from 100 up), short in p1 and p2."""
    from pptx import Presentation

    page = html.run_report_html(_short_tables(), {"periods": ["p1", "p2"],
                                                  "objective": -6489.4})
    assert SHORT_NOTE.replace("'", "&#x27;") in page
    path = deck.run_deck(_short_tables(), {"periods": ["p1", "p2"], "objective": -6489.4},
                         tmp_path / "d.pptx")
    prs = Presentation(str(path))
    box = next(sh for s in prs.slides for sh in s.shapes
               if sh.has_text_frame and sh.text_frame.text == SHORT_NOTE)
    assert box.text_frame.word_wrap and box.top + box.height <= prs.slide_height


def test_a_life_extension_shows_among_the_investments():
    """The default case extends tatar_sc_legacy (1,200 kt/yr from 2036, 144 MUSD
    overnight, capex NPV 55.52 MUSD = -npv_capex) and builds nothing else: the report
    had no 'New capacity' chart (an extension adds no capacity) and nothing said what
    the 55.52 MUSD of capex bought. Now an Investments section lists investments.csv;
    two rows of 55.518 and 10.0 add up to 65.518, written as every output writes MUSD
    (one decimal from 10 up): 55.5 and 65.5."""
    inv = pd.DataFrame({"kind": ["extension", "unit"], "name": ["tatar_sc_legacy", "pe"],
                        "period": [None, "p1"], "amount": [1200.0, 10.0],
                        "overnight_musd": [144.0, 12.0], "capex_npv_musd": [55.518234, 10.0]})
    tables = {**_short_tables(), "investments": inv}
    page = html.run_report_html(tables, {"periods": ["p1", "p2"], "objective": -6489.4})
    part = page.split('id="investments"')[1].split("</section>")[0]
    assert "tatar_sc_legacy" in part and "<td>55.5</td>" in part
    assert "adds up to 65.5 MUSD" in part


def test_a_mip_report_says_whose_marginal_values_it_shows():
    """petchem_investment is a MIP: its binding constraints' values are those of the LP
    with the integer decisions fixed (README, *Investment*), which its report did not
    say; an LP's report (or a MIP's --relax run) has nothing to say."""
    said = "A MIP: the values below are those of the LP with the plan&#39;s yes/no decisions"
    for manifest, shown in (({"is_mip": True, "relaxed": 0}, True),
                            ({"is_mip": True, "relaxed": 12}, False), ({}, False)):
        page = html.run_report_html(_short_tables(), {"periods": ["p1", "p2"], **manifest})
        assert (said in page) is shown


def test_no_key_figure_is_dropped_from_the_deck_or_the_cards(tmp_path):
    """A cost case of nine objective parts has 1 + 9 npv_ + 9 cost_ + shortfall_total =
    20 whole-horizon KPIs; the deck's key-figures slide showed the first 12 and dropped 8
    without a word (the README: tables longer than 12 rows continue on the next slide).
    Now slides 'Key figures (1/2)' (12 rows) and '(2/2)' (8) hold all 20. The HTML
    showed no economics cards for a table of 13 rows, silently: it now says 13 rows are
    more than the 12 shown as cards and that the table below holds every one."""
    parts = [f"part{i}" for i in range(9)]
    names = ["objective", *[f"npv_{p}" for p in parts], *[f"cost_{p}" for p in parts],
             "shortfall_total"]
    kpis = pd.DataFrame({"kpi": names, "period": "", "value": range(20), "unit": "MUSD"})
    texts = _slide_texts(deck.run_deck({"kpis": kpis}, {"objective": 0.0},
                                       tmp_path / "k.pptx"))
    assert "Key figures (1/2)" in texts and "Key figures (2/2)" in texts
    shown = {t.split(" | ")[0] for t in texts if " | " in t}
    # each in words (charts.kpi_label): 'NPV: part0', not npv_part0
    assert {"objective", *[f"NPV: {p}" for p in parts], *[f"cost: {p}" for p in parts],
            "demand shortfall, whole horizon"} <= shown
    eco = pd.DataFrame({"scenario": [f"s{i}" for i in range(13)], "effect": "p",
                        "NPV (MUSD)": 1.0, "IRR": 0.1, "payback (yr)": 5.0})
    assert ("13 rows: more than the 12 shown as cards; every one is in the table below"
            in html._economics_cards(eco))


def test_a_change_chart_says_how_many_changes_it_leaves_out():
    """A comparison table of 25 rows, each changed (Δ b = 1, 2, ..., 25): its change
    chart draws the 20 largest (6 to 25) and said nothing of the other 5; its title
    now says it shows the 20 largest of 25 and that the table has them all. A table of
    20 changes keeps its title."""
    from chainopt.report import charts

    df = pd.DataFrame({"kpi": [f"k{i}" for i in range(25)], "a": 0.0, "b": range(1, 26),
                       "Δ b": [float(v) for v in range(1, 26)]})
    assert sorted(charts.top_deltas(df)["Δ b"]) == [float(v) for v in range(6, 26)]
    fig = html._delta_figure(df, "Production: change against the base")
    assert fig.layout.title.text == ("Production: change against the base (the 20 largest of "
                                     "25 changes; all in the table)")
    assert html._delta_figure(df.head(20), "t").layout.title.text == "t"


def test_a_runs_warnings_are_in_its_report():
    """What `chainopt run` warned of (manifest.json warnings) was on the terminal of whoever
    ran it only; the report a consultant shares said nothing of, say, a build used from
    inside a period while its yearly limits bind. Now each is a note under the key
    figures, escaped as HTML; a run without warnings has none."""
    said = ("unit u comes into use in 2029, inside period p1 (2026-2030), and the plan uses "
            "it there while 1 other yearly limit of p1 binds (market.sales (site=a, ...)) <x>")
    page = html.run_report_html(_short_tables(), {"periods": ["p1", "p2"], "warnings": [said]})
    assert ("<b>warning:</b> unit u comes into use in 2029, inside period p1 (2026-2030)"
            in page and "&lt;x&gt;" in page and "<x>" not in page)
    assert "<b>warning:</b>" not in html.run_report_html(_short_tables(), {"periods": ["p1",
                                                                                      "p2"]})


def test_the_deck_has_a_slide_of_the_levers_some_run_has(tmp_path):
    """A comparison of a base and a discount scenario: the levers' money at each plan
    (compare's ``levers``, NPV, MUSD) was in the CSV, the workbook and the HTML, and on
    no slide (review out29 F8: a board pack showed the discount's loss with nothing of
    its split). The deck now has it, the levers no run has (korea's, all 0) left out:
    china's discount -2,223.2 and premium -117.2, 2,340.4 in all, as levers.csv says."""
    sections = {
        "objective": pd.DataFrame({"kpi (MUSD, NPV)": ["objective"], "base": [100.0],
                                   "disc": [97.6596], "Δ disc": [-2.3404]}),
        "levers": pd.DataFrame({
            "lever and kind": ["china_freight_premium", "china_price_discount",
                               "korea_price_discount"],
            "base": [0.0, 0.0, 0.0], "disc": [-117.1787, -2223.1848, 0.0],
            "Δ disc": [-117.1787, -2223.1848, 0.0]})}
    folder = compare.save(sections, ["base", "disc"], tmp_path / "compare-disc")
    texts = _slide_texts(deck.compare_deck(folder, tmp_path / "disc.pptx"))
    at = texts.index("Policy and market levers")
    rows = texts[at + 1:at + 4]
    assert rows == ["lever and kind | base | disc | Δ disc",
                    "china_freight_premium | 0 | -117.2 | -117.2",
                    "china_price_discount | 0 | -2,223.2 | -2,223.2"], rows
    assert not [t for t in texts if t.startswith("korea_price_discount")]
