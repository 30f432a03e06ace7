"""The one-pager's figures against hand-made pages (no solve): what the charts draw must
be what the tables say. Expected numbers are derived by hand in the docstrings."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg", force=True)
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from chainopt.report import onepager


def _page(scenario: str = "sc", project: str = "pj") -> onepager.Page:
    """A project spending 100 MUSD at the start of 2030 and earning 60 MUSD in each of
    2031 and 2032 (residual 10 after the horizon, in 2033). Cumulative flow without the
    residual value, at the end of each year: 2030 -100, 2031 -40, 2032 +20, 2033 +20.
    Payback: -40 at the start of 2032, 60 earned evenly through 2032, so 0 is reached
    40/60 = 0.667 into 2032: 2 + 2/3 = 2.667 years after the start of 2030, at time
    2032.667. NPV by bars: +30 revenue, -12 feed, -100 capex, +5 residual = -77."""
    cf = pd.DataFrame({"year": [2030, 2031, 2032, 2033],
                       "operating_musd": [0.0, 60.0, 60.0, 0.0],
                       "capex_musd": [-100.0, 0.0, 0.0, 0.0],
                       "residual_musd": [0.0, 0.0, 0.0, 10.0]})
    cf["net_musd"] = cf[["operating_musd", "capex_musd", "residual_musd"]].sum(axis=1)
    cf["cumulative_musd"] = (cf["operating_musd"] + cf["capex_musd"]).cumsum()
    wf = pd.DataFrame({"category": ["revenue", "feed / supply", "capex", "residual value"],
                       "npv_musd": [30.0, -12.0, -100.0, 5.0]})
    summary = {"scenario": scenario, "effect": project, "built": "p2030",
               "first use": "2031", "incremental NPV (MUSD)": -77.0, "IRR": 0.05,
               "payback (yr)": 2 + 2 / 3, "overnight capex (MUSD)": 100.0}
    return onepager.Page(scenario=scenario, project=project, summary=summary, waterfall=wf,
                         cashflows=cf, constraints=pd.DataFrame(
                             columns=["constraint", "period", "rent change (MUSD/yr)"]),
                         parties=None)


def _last_rise_through_zero(x, y) -> float:
    """Where a polyline last rises through 0 (linear between its points)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    at = None
    for i in range(len(x) - 1):
        if y[i] < 0 <= y[i + 1]:
            at = x[i] + (x[i + 1] - x[i]) * (-y[i]) / (y[i + 1] - y[i])
    return at


def test_cumulative_line_reaches_zero_at_the_marked_payback():
    """The page marks payback at 2030 + 2.667 = 2032.667 (see :func:`_page`); its
    cumulative line must cross 0 there, in both the HTML (plotly) and the slide
    (matplotlib) figure. The line drew each end-of-year cumulative at the year itself,
    (2031, -40) to (2032, +20), and so crossed 0 at 2031.667, a year before the marker.
    Year y's bar stands in the middle of the year, at y + 0.5."""
    page = _page()
    assert page.payback_year == pytest.approx(2032 + 2 / 3)
    fig = onepager.plotly_figure(page)
    line = next(t for t in fig.data if t.name == "cumulative (payback)")
    assert _last_rise_through_zero(line.x, line.y) == pytest.approx(2032 + 2 / 3, abs=1e-3)
    bars = next(t for t in fig.data if t.type == "bar")
    assert list(bars.x) == [2030.5, 2031.5, 2032.5, 2033.5]
    assert list(bars.y) == [-100.0, 60.0, 60.0, 0.0]
    marker = [s for s in fig.layout.shapes if s.type == "line"]
    assert [s.x0 for s in marker] == [pytest.approx(2032 + 2 / 3)]
    sfig = onepager.static_figure(page, plt)
    try:
        ax = sfig.axes[1]
        cum = next(ln for ln in ax.get_lines() if ln.get_label() == "cumulative (payback)")
        x, y = cum.get_data()
        assert _last_rise_through_zero(x, y) == pytest.approx(2032 + 2 / 3, abs=1e-3)
        mark = next(ln for ln in ax.get_lines() if ln.get_label().startswith("payback"))
        assert mark.get_xdata()[0] == pytest.approx(2032 + 2 / 3)
    finally:
        plt.close(sfig)


def test_payback_is_marked_from_the_year_it_counts_from(tmp_path):
    """The project spends 30 of its own in 2029 and 70 in 2030; the counterfactual
    spends 50 in 2029 on a unit the scenario builds in 2030. Incremental capex: 2029
    -30 + 50 = +20 (a saving), 2030 -70 - 50 = -120; operating +60 in each of
    2031-2033. Cumulative (residual left out): 2029 +20, 2030 -100, 2031 -40, then -40
    + 60 x t reaches 0 at t = 2/3 into 2032, for good: time 2032.667. Payback counts
    from the project's own first spend, 2029 (README): 3.667 years, as
    economics.payback gives it. The page marked it from the first incremental spend,
    2030: at 2030 + 3.667 = 2033.667, a year after the line crosses 0; now at 2032.667.
    Flows without the own spend (older comparisons) still count from 2030."""
    from chainopt.report import economics

    cf = pd.DataFrame({"year": [2029, 2030, 2031, 2032, 2033],
                       "operating_musd": [0.0, 0.0, 60.0, 60.0, 60.0],
                       "capex_musd": [20.0, -120.0, 0.0, 0.0, 0.0],
                       "residual_musd": 0.0,
                       "own_capex_musd": [-30.0, -70.0, 0.0, 0.0, 0.0]})
    cf["net_musd"] = cf["operating_musd"] + cf["capex_musd"]
    cf["cumulative_musd"] = cf["net_musd"].cumsum()
    pb = economics.payback(cf.set_index("year")["operating_musd"],
                           cf.set_index("year")["capex_musd"],
                           start=economics.payback_from(cf))
    assert pb == pytest.approx(3 + 2 / 3)
    page = dataclasses.replace(_page(), cashflows=cf,
                               summary={**_page().summary, "payback (yr)": pb})
    assert page.payback_year == pytest.approx(2032 + 2 / 3)
    x, y = onepager.cumulative_path(cf)
    assert _last_rise_through_zero(x, y) == pytest.approx(2032 + 2 / 3)
    assert economics.payback_from(cf.drop(columns="own_capex_musd")) == 2030


def test_cumulative_path_steps_at_spend_and_ramps_through_the_year():
    """Points of :func:`_page`'s path: start (2030, 0); 2030: spend 100 at its start ->
    (2030, -100), nothing earned -> (2031, -100); 2031: (2031, -100) -> (2032, -40);
    2032: (2032, -40) -> (2033, +20); 2033 (the residual's year, left out): flat to 2034.
    Each year's end is the table's cumulative_musd."""
    x, y = onepager.cumulative_path(_page().cashflows)
    assert x == [2030, 2030, 2031, 2031, 2032, 2032, 2033, 2033, 2034]
    assert y == [0, -100, -100, -100, -40, -40, 20, 20, 20]


LONG_SCENARIO = "scenario_where_the_far_east_port_is_an_option_for_the_optimiser_to_decide"
LONG_PROJECT = ("far_east_port_with_a_very_long_descriptive_name_for_the_nakhodka_polymer_"
                "terminal_and_block_trains")


def _inside(fig, artist) -> bool:
    """Whether a drawn artist lies within its figure's width (pixels)."""
    fig.canvas.draw()
    box = artist.get_window_extent()
    return box.x0 >= 0 and box.x1 <= fig.bbox.width


def test_long_names_stay_on_the_slide():
    """Names have no length limit (a 74-character scenario and a 100-character project
    are valid). The one-pager's title, '<project> in <scenario>: incremental NPV -77.0
    MUSD against <scenario> without <project>' (about 370 characters), ran off both sides
    of the slide; the comparison's cash-flow chart's legend ('<scenario> / <project>:
    net_musd') ran off its right side and squeezed the chart to a third of the figure."""
    from chainopt.report.static import _cashflow_chart

    page = _page(LONG_SCENARIO, LONG_PROJECT)
    fig = onepager.static_figure(page, plt)
    try:
        assert "-77.0 MUSD" in fig._suptitle.get_text()
        assert _inside(fig, fig._suptitle)
    finally:
        plt.close(fig)
    cf = page.cashflows.assign(scenario=LONG_SCENARIO, effect=LONG_PROJECT)
    fig = _cashflow_chart(plt, cf)
    try:
        fig.tight_layout()
        assert _inside(fig, fig.axes[0].get_legend())
        assert fig.axes[0].get_window_extent().width > 0.6 * fig.bbox.width
    finally:
        plt.close(fig)


def test_a_long_payback_note_stays_in_the_key_figures_panel():
    """'payback: n/a (not paid back by 2050, the horizon's end; residual value not
    counted)' is 83 characters: at 10 pt monospace (8 px a character at 100 dpi) 664 px,
    wider than the key-figures panel (464 px of the 13.3 in figure), so it ran into the
    constraints panel beside it. Wrapped at 58 characters it stays inside its panel, the
    note whole across two lines."""
    page = _page()
    page.summary.update({"payback (yr)": float("nan"), "payback note":
                         "not paid back by 2050, the horizon's end; residual value not "
                         "counted"})
    fig = onepager.static_figure(page, plt)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        panel = fig.axes[2]
        text = panel.texts[0]
        assert text.get_window_extent(renderer).x1 <= panel.get_window_extent(renderer).x1
        assert " ".join(text.get_text().split()).count(
            "payback: n/a (not paid back by 2050, the horizon's end; residual value not "
            "counted)") == 1
    finally:
        plt.close(fig)


#: MP2's parties (party_economics of the proposal comparison): each IRR is that of the
#: party's flows in its own currency (ru_sponsor's 9.9 % in roubles, against its 14 %
#: rouble cost of capital; the project's own IRR on the page, 9.8 %, is in USD)
MP2_PARTIES = pd.DataFrame({
    "scenario": ["sc"] * 3, "project": ["pj"] * 3,
    "party": ["ru_sponsor", "jp_consortium", "ru_banks"],
    "role": ["equity", "equity", "lender"], "share": [0.8, 0.2, 0.5],
    "currency": ["RUB", "JPY", "RUB"], "discount rate": [0.14, 0.08, 0.16],
    "NPV (MUSD)": [-961.2577818, 1.684531426, -190.9586575],
    "NPV (M local)": [-86599.80016, 251.4226008, -17203.48266],
    "IRR": [0.09941225581, 0.08019507124, 0.14]})


def test_a_partys_irr_names_its_currency():
    """A party's IRR is of its flows in its currency (chainopt.report.parties), but the
    one-pager showed 'ru_sponsor NPV -961.3, IRR 9.9%' under the project's 'IRR: 9.8%'
    (USD), the HTML page and the comparison's party cards an 'IRR' column or card, and
    the CLI's party table an IRR column (test_parties), none saying which currency:
    ru_sponsor's 9.9 % and ru_banks' 14.0 % are rouble IRRs. Each now names it:
    'IRR 9.9% in RUB'."""
    from chainopt.report import html

    page = dataclasses.replace(_page(), parties=MP2_PARTIES)
    rows = onepager.party_rows(page)
    assert list(rows["currency"]) == ["RUB", "JPY", "RUB"]
    fig = onepager.static_figure(page, plt)
    try:
        text = "\n".join(t.get_text() for ax in fig.axes for t in ax.texts)
    finally:
        plt.close(fig)
    assert "ru_sponsor (equity): NPV -961.3 MUSD, IRR 9.9% in RUB" in text
    # 1.684531426 MUSD: three decimals below 10, as every output writes it
    assert "jp_consortium (equity): NPV 1.685 MUSD, IRR 8.0% in JPY" in text
    assert "ru_banks (lender): NPV -191.0 MUSD, IRR 14.0% in RUB" in text
    body = html._onepager_html(0, page)
    assert "<th>currency</th>" in body and '<td class="txt">RUB</td>' in body
    cards = html._economics_cards(MP2_PARTIES)
    assert cards.count('<div class="l">IRR in RUB</div>') == 2
    assert cards.count('<div class="l">IRR in JPY</div>') == 1


def test_the_cash_flow_years_are_labelled_as_years():
    """The one-pager's cash-flow panel (years on a number axis, as deck slides and
    report-onepager-*.png show it) went through charts.thousands like every static chart
    and read '2,029.5 2,030 2,030.5'. Its ticks are now whole years, read as years:
    2030, 2031, ..."""
    from chainopt.report import charts

    page = _page("s", "p")
    fig = charts.thousands(onepager.static_figure(page, plt))
    try:
        fig.canvas.draw()
        ax = fig.axes[1]
        ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert ticks and all("," not in t for t in ticks), ticks
        assert all(t == f"{float(t):.0f}" for t in ticks), ticks
        assert len(set(ticks)) == len(ticks), ticks  # whole years only: no 2029.5
    finally:
        plt.close(fig)


def test_waterfall_labels_read_as_every_number_of_the_page():
    """Review deck F5: the waterfall's bar labels rounded to one decimal (a total of
    1.455 MUSD read 1.5 beside the key figure's 1.455) and kept a minus on what rounds
    to 0 (-0.04 read -0.0). They now read as numbers.number writes every figure: three
    decimals below 10, no minus on a 0."""
    from chainopt.report.onepager import _short

    assert [_short(v) for v in (1.455, 8.729, -0.04, 0.049, -0.0006, -0.0004, 0.0)] == [
        "1.455", "8.729", "-0.040", "0.049", "-0.001", "0.000", "0"]


#: four parties, two of whose IRR notes wrap: 'ru_sponsor (equity): NPV 1,255.7 MUSD,
#: IRR n/a (2 sign changes, NPV > 0 at any rate)' is 75 characters with its indent, more
#: than the panel's 58 (KEY_FIGURES_WIDTH), so each takes two lines
FOUR_PARTIES = pd.DataFrame({
    "scenario": ["sc"] * 4, "project": ["pj"] * 4,
    "party": ["ru_sponsor", "jp_consortium", "ru_banks", "jbic"],
    "role": ["equity", "equity", "lender", "lender"],
    "currency": ["RUB", "JPY", "RUB", "JPY"],
    "NPV (MUSD)": [1255.7, 2219.2, -191.0, 782.9],
    "IRR": [float("nan"), float("nan"), 0.14, 0.059],
    "IRR note": ["2 sign changes, NPV > 0 at any rate"] * 2 + [""] * 2})


def test_every_party_line_is_on_the_page():
    """Review out29 F3: with an IRR note wrapping, the party block ran past the bottom of
    the 7 in figure and the last party (JBIC's) was cut off, on the page and on the deck's
    slide. The key figures are 6 lines (NPV, IRR, payback, capex, built, first use), then
    'parties:' and 2 + 2 + 1 + 1 lines: 13 lines of 10 pt, 13 x 0.175 = 2.3 in, where the
    panel had 1.2 / 4.6 of the figure's grid. The panel is now as tall as its lines: each
    party's line is in the text, and everything drawn (the tight box of the figure)
    lies inside the image. The waterfall's labels stay below its title (the axes reach
    8 % above the highest bar)."""
    page = dataclasses.replace(_page(), parties=FOUR_PARTIES)
    fig = onepager.static_figure(page, plt)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        panel = fig.axes[2].texts[0]
        text = " ".join(panel.get_text().split())
        for line in ("ru_sponsor (equity): NPV 1,255.7 MUSD, IRR n/a (2 sign changes, NPV "
                     "> 0 at any rate)",
                     "jp_consortium (equity): NPV 2,219.2 MUSD, IRR n/a (2 sign changes, "
                     "NPV > 0 at any rate)",
                     "ru_banks (lender): NPV -191.0 MUSD, IRR 14.0% in RUB",
                     "jbic (lender): NPV 782.9 MUSD, IRR 5.9% in JPY"):
            assert line in text
        assert panel.get_text().count("\n") + 1 == 13
        assert panel.get_window_extent(renderer).y0 >= 0  # the last line above the bottom
        tight, (w, h) = fig.get_tightbbox(renderer), fig.get_size_inches()
        assert tight.x0 >= 0 and tight.y0 >= 0 and tight.x1 <= w and tight.y1 <= h
        ax = fig.axes[0]
        title = ax.title.get_window_extent(renderer)
        assert all(t.get_window_extent(renderer).y1 <= title.y0 for t in ax.texts)
    finally:
        plt.close(fig)


def test_waterfall_labels_stand_apart():
    """Review out29 (low): mp2's waterfall labels 9,298.4, -372.2 and -2,396.2 stood at
    nearly one height, each wider than its bar's slot, and ran into each other. Labels
    that would meet are raised above the one before (:func:`onepager.label_rises`, by
    hand in its docstring: A stays, B rises 6, C stays); on mp2's waterfall (its NPV by
    category: revenue 9,298.4, feed -372.2, operating -2,396.2, transport -1,406.2,
    carbon, shortfall, disposal 0, capex -5,471.1, residual 184.1; total -163.1) no two
    drawn labels come within 2 pt of each other (they keep :data:`onepager.LABEL_GAP_PT`,
    3 pt), and every one is inside the axes, below its title."""
    assert onepager.label_rises([(0, 0, 10, 5), (8, 0, 18, 5), (16, 0, 26, 5)], pad=1) == [
        0.0, 6.0, 0.0]
    cats = ["revenue", "feed / supply", "operating cost", "transport", "carbon",
            "shortfall penalty", "disposal", "capex", "residual value"]
    npv = [9298.4, -372.2, -2396.2, -1406.2, 0.0, 0.0, 0.0, -5471.1, 184.1]
    page = dataclasses.replace(_page(), waterfall=pd.DataFrame(
        {"category": cats, "npv_musd": npv}), summary={**_page().summary,
                                                       "incremental NPV (MUSD)": -163.1})
    fig = onepager.static_figure(page, plt)
    try:
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        ax = fig.axes[0]
        assert [t.get_text() for t in ax.texts] == [
            "9,298.4", "-372.2", "-2,396.2", "-1,406.2", "0", "0", "0", "-5,471.1", "184.1",
            "-163.1"]
        # each label grown by 1 pt all round: two that meet are less than 2 pt apart (the
        # old labels' -372.2 and -2,396.2: 1.2 pt across, 1.5 pt in height)
        grow = fig.dpi / 72.0
        boxes = [t.get_window_extent(r).expanded(1.0, 1.0).padded(grow) for t in ax.texts]
        met = [(ax.texts[i].get_text(), ax.texts[j].get_text())
               for i in range(len(boxes)) for j in range(i)
               if min(boxes[i].x1, boxes[j].x1) - max(boxes[i].x0, boxes[j].x0) > 0
               and min(boxes[i].y1, boxes[j].y1) - max(boxes[i].y0, boxes[j].y0) > 0]
        assert met == []
        title = ax.title.get_window_extent(r)
        assert all(t.get_window_extent(r).y1 <= min(title.y0, ax.bbox.y1) for t in ax.texts)
    finally:
        plt.close(fig)
