"""One way to write a number for people: the terminal, comparison.md, the HTML report, the
one-pagers and the decks print the same figure alike, and solver noise as 0. Hand-made
tables (no solve); expected texts stated by hand in the docstrings."""

from __future__ import annotations

import pandas as pd

from chainopt.report import compare, deck, html, numbers, onepager

#: the incremental NPV of MP3 in the proposal comparison (the review's example): the
#: objective difference, 156,972.84 - 156,964.11 MUSD
MP3_NPV = 8.729294688
#: mp4's payback (yr) in the same comparison
MP4_PAYBACK = 6.29106


def _tables() -> dict[str, pd.DataFrame]:
    """A comparison as read back from its CSV files: base b (objective 156,964.110705312)
    and scenario s (+8.729294688: 156,972.84), which builds mp3 (400 MUSD) and not mp2,
    whose NPV high is solver noise (1.46e-10 MUSD)."""
    objective = pd.DataFrame({"kpi": ["objective", "npv_revenue"],
                              "b": [156964.110705312, 1025385.15],
                              "s": [156964.110705312 + MP3_NPV, 1025442.9],
                              "Δ s": [MP3_NPV, 57.75]})
    economics = pd.DataFrame({
        "scenario": ["s", "s"], "effect": ["mp3", "mp2"], "against": ["s without mp3",
                                                                      "s without mp2"],
        "built": ["p2046", "not built"], "first use": ["2048", ""],
        "incremental NPV (MUSD)": [MP3_NPV, 0.0], "NPV low (MUSD)": [MP3_NPV, 0.0],
        "NPV high (MUSD)": [MP3_NPV, 1.46e-10], "overnight capex (MUSD)": [400.0, 0.0],
        "Δ capex (MUSD)": [400.0, 0.0], "IRR": [0.142, float("nan")],
        "payback (yr)": [MP4_PAYBACK, float("nan")]})
    return {"objective": objective, "economics": economics}


def test_the_rule():
    """Three decimals below 10 in magnitude, one from 10 up, separators; within 1e-6 of 0
    (the solver's tolerance) it is 0, and nothing that rounds to 0 keeps a minus:
    8.729294688 -> 8.729; 156,972.839... -> 156,972.8; 6.29106 -> 6.291; -12.34 -> -12.3;
    1.46e-10 (an NPV bound of a project not built) and -1.94e-07 (a waterfall bar) -> 0;
    -3.49e-06 (above the tolerance, below the last decimal) -> 0.000, not -0.000;
    -0.0006 rounds to a real -0.001. A year column's 2026.0 is 2026; a rate of -2.58e-06
    (a utilisation change) is 0.0%, not -0.0%."""
    n = numbers.number
    assert n(MP3_NPV) == "8.729" and n(156964.110705312 + MP3_NPV) == "156,972.8"
    assert n(MP4_PAYBACK) == "6.291" and n(-12.34) == "-12.3"
    assert n(1.46e-10) == n(-1.94e-07) == n(0.0) == "0"
    assert n(-3.49e-06) == "0.000" and n(-0.0006) == "-0.001"
    assert n(float("nan")) == n(None) == "" and n(6000) == "6,000"
    assert numbers.cell("year", 2026.0) == "2026" and numbers.cell("NPV", 2026.0) == "2,026.0"
    assert numbers.percent(-2.58e-06) == "0.0%" and numbers.percent(0.142) == "14.2%"
    # grouped as the IRR notes write rates: 10.005 is 1,000.5 % (review out31 F5)
    assert numbers.percent(10.005) == "1,000.5%" and numbers.percent(6.0) == "600.0%"
    assert numbers.signed(12.34) == "+12.3" and numbers.signed(-1e-9) == "0"


def test_the_same_figure_reads_the_same_in_every_output():
    """MP3's incremental NPV 8.729294688 is the objective's Δ as well: the deck's key
    figures printed it '8.7' beside '8.729', the HTML card '156,972.8 (Δ 8.7)', the deck's
    project table '8.7' and payback '6.3', where the terminal and comparison.md print
    8.729 and 6.291. Now all read 8.729 and 6.291, and the capex 400.0 (the deck's
    Δ capex beside it as well, the HTML table's: 400.00)."""
    t = _tables()
    terminal = compare.summary(t, ["b", "s"])
    assert compare.cell("summary", "Δ (MUSD)", terminal["Δ (MUSD)"].iloc[1]) == "8.729"
    assert terminal["incremental NPV (MUSD)"].iloc[1] == "mp3 8.729"
    key = deck._shown(terminal)
    assert key.iloc[1].tolist() == ["s", "156,972.8", "8.729", "mp3", "mp3 8.729"]
    projects = deck._shown(deck.project_table(t))
    assert projects.iloc[0][["NPV (MUSD)", "IRR", "payback (yr)", "overnight capex (MUSD)",
                             "Δ capex (MUSD)"]].tolist() == ["8.729", "14.2%", "6.291",
                                                             "400.0", "400.0"]
    assert "156,972.8 (Δ 8.729)" in html._objective_cards(t["objective"])
    cards = html._economics_cards(t["economics"].head(1))
    assert ">8.729<" in cards and ">6.291<" in cards and ">14.2%<" in cards
    page = onepager.pages({**t, "project_waterfall": pd.DataFrame(
        {"scenario": ["s"], "effect": ["mp3"], "category": ["transport"],
         "npv_musd": [MP3_NPV]})})[0]
    figures = dict(onepager.key_figures(page))
    assert figures["incremental NPV"] == "8.729 MUSD" and figures["payback"] == "6.291 yr"
    assert figures["overnight capex"] == "400.0 MUSD"


def test_solver_noise_reads_0_in_the_html_table():
    """The HTML economics table showed mp2's NPV high of 1.46e-10 MUSD as '1.46e-10' (and
    its other zeros as 0.00, mp3's Δ capex as 400.00); it is 0, as on the terminal
    (compare.cell), and the capex 400.0."""
    t = _tables()
    body = html.table_html(t["economics"], cell=lambda c, v: compare.cell("economics", c, v))
    assert "e-10" not in body
    mp2 = body.split("<tr>")[-1]
    assert "<td>0</td>" in mp2 and ">0.00<" not in mp2
    assert body.split("<tr>")[-2].count("<td>400.0</td>") == 2
    assert compare.cell("economics", "NPV high (MUSD)", 1.46e-10) == "0"


def test_a_whole_number_column_reads_back_as_written(tmp_path):
    """The CSV writes 400.0 as 400, so read_tables gave an int column and the HTML report
    printed 'overnight capex 400' beside 'Δ capex 400.00'. Read back, every number but a
    year is a float again (400.0, as compare made it), and a year stays an int."""
    t = {"project_cashflows": pd.DataFrame({"scenario": ["s"], "effect": ["mp3"],
                                            "year": [2046], "capex_musd": [-400.0]})}
    folder = compare.save(t, ["s"], tmp_path / "cmp")
    back = compare.read_tables(folder)["project_cashflows"]
    assert back["capex_musd"].dtype == float and back["year"].dtype.kind == "i"
    body = html.table_html(back)
    assert "<td>2046</td>" in body and "<td>-400.0</td>" in body


def test_the_objective_noise_is_0_on_the_terminal_too():
    """A Δ of 4.44e-06 MUSD on an objective of 7,784.9 (a share of 5.7e-10 of it, within
    the solvers' 1e-6) was 0 in the HTML report only; the summary (terminal, Markdown,
    deck) printed 0.000. It is 0 in all: :func:`compare.shown` and the summary settle it,
    and the CSV keeps it (the frame given is not changed)."""
    obj = pd.DataFrame({"kpi": ["objective"], "b": [7784.9], "s": [7784.9 + 4.44e-06],
                        "Δ s": [4.44e-06]})
    shown = compare.shown("objective", obj)
    assert shown["Δ s"].iloc[0] == 0.0 and obj["Δ s"].iloc[0] == 4.44e-06
    summary = compare.summary({"objective": obj}, ["b", "s"])
    assert summary["Δ (MUSD)"].iloc[1] == 0.0


def test_a_share_reads_0_or_100_percent_only_for_none_or_all():
    """P(built) was printed to a whole percent: a project built in 1 draw of 300 read
    "built in 0%", in 499 of 500 "built in 100%". One decimal, and a share that is not
    none or all but rounds to it is said as near: 1/300 = 0.333...% -> 0.3%, 1/5000 =
    0.02% -> <0.1%, 499/500 = 99.8%, 4999/5000 = 99.98% -> >99.9%, 107/196 =
    54.59...% -> 54.6%; 0 -> 0%, 1 -> 100%; NaN (no draw solved) -> ''."""
    cases = {1 / 300: "0.3%", 1 / 5000: "<0.1%", 499 / 500: "99.8%", 4999 / 5000: ">99.9%",
             107 / 196: "54.6%", 0.0: "0%", 1.0: "100%", float("nan"): ""}
    assert {v: numbers.share(v) for v in cases} == cases
