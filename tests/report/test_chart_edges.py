"""Comparison charts at their edges (review out30): no tick label cut at the image's edge
(F1), a change chart says which rows it left out as not compared (F4), and a run's
projects are told apart by hatches that read in a legend's swatch (F5). Hand-made
comparison, no solve."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=True)
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from chainopt import forks
from chainopt.report import charts, static


@pytest.fixture(autouse=True)
def _one_drawer(monkeypatch):
    """These tests look at the figures through a stand-in for ``static.save_figure`` in
    this process: the charts are drawn here, not shared with forked copies
    (``chainopt.forks.Shares``, whose files tests/report/test_chart_shares.py compares)."""
    monkeypatch.setattr(forks, "processes", lambda: 1)


NAK, UN = "proposal_nakhodka_methanol_urea", "mp2_unsplit"
LATER = ("p2031", "p2036", "p2041", "p2046")
PERIODS = ["p2026", "p2029", "p2030", *LATER]


def _table(*periods: tuple[str, int, int]) -> list[dict]:
    return [{"period": p, "start_year": a, "length_yr": n} for p, a, n in periods]


#: the review's uneven comparison: nakhodka (the base) splits p2026 into 2026-28, 2029
#: and 2030; mp2_unsplit keeps p2026 whole (2026-30); both have p2031 ... p2046, 5 years
SPLIT = _table(("p2026", 2026, 3), ("p2029", 2029, 1), ("p2030", 2030, 1),
               *((p, int(p[1:]), 5) for p in LATER))
WHOLE = _table(("p2026", 2026, 5), *((p, int(p[1:]), 5) for p in LATER))
YEARS = charts.period_years([SPLIT, WHOLE], [NAK, UN])
#: a tie of one run each, settled by the base: 37 characters, under the 40 at which a
#: label is wrapped, so it stays one line, rotated 45° under the first group
FIRST = f"p2026 ({'2026-28'}; {UN}: 2026-30)"

#: the uneven run is not compared in p2026, p2029 and p2030 (blank), and compared from
#: p2031 (MUSD/yr; emissions' Δ as in the review: -2.68, +6.12, -8.99, +11.57)
CASHFLOW = pd.DataFrame({
    "period": PERIODS, NAK: [15773.8, 15498.3, 15690.5, 15911.4, 16000.0, 16050.0, 16060.0],
    UN: [np.nan] * 3 + [15911.4, 16000.0, 16050.0, 16060.0],
    f"Δ {UN}": [np.nan] * 3 + [0.0] * 4})
EMISSIONS = pd.DataFrame({
    "period": PERIODS, NAK: [50.0, 50.0, 50.0, 40.0, 40.0, 40.0, 40.0],
    UN: [np.nan] * 3 + [37.32, 46.12, 31.01, 51.57],
    f"Δ {UN}": [np.nan] * 3 + [-2.68, 6.12, -8.99, 11.57]})


def _saved(monkeypatch, tmp_path, tables):
    """Each chart of a comparison of ``tables`` (years :data:`YEARS`) as saved by the
    real :func:`static.save_figure` (PNG, 150 dpi), by key."""
    monkeypatch.setattr(static, "read_tables", lambda folder: tables)
    monkeypatch.setattr(static, "period_years", lambda folder: YEARS)
    save, figs = static.save_figure, {}

    def keep(plt_, fig, folder, key, fmt, dpi, pictures=None):
        figs[key] = fig
        return save(plt_, fig, folder, key, fmt, dpi)

    monkeypatch.setattr(static, "save_figure", keep)
    static.write_compare_static(tmp_path, tmp_path, "png")
    return figs


def test_no_tick_label_is_cut_at_the_image_edge(monkeypatch, tmp_path):
    """F1: the level chart's first label, :data:`FIRST` (37 characters: not wrapped),
    rotated 45° and right-aligned at the first tick, hangs left of it by about its
    length times cos 45°; the figure was laid out once, at 100 dpi and before the y
    labels got their separators, so in the 150-dpi PNG it began left of x = 0 ('2026
    (2026-28; ...', its 'p' cut). Now, drawn as saved (150 dpi), every tick label of
    every chart (level, change) lies inside the figure: 0 <= x0, x1 <= width, 0 <= y0,
    y1 <= height, in pixels."""
    figs = _saved(monkeypatch, tmp_path, {"cashflow": CASHFLOW, "emissions": EMISSIONS})
    assert {"cashflow", "emissions-delta"} <= set(figs)
    ticks = [t.get_text() for t in figs["cashflow"].axes[0].get_xticklabels()]
    assert ticks[0] == FIRST and len(FIRST) == 37
    out = {}
    for key, fig in figs.items():
        FigureCanvasAgg(fig)  # saved and closed: a canvas to draw it on again
        fig.set_dpi(150)  # as saved: text is wider at 150 dpi than at 100 (hinting)
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        w, h = fig.bbox.width, fig.bbox.height
        for axis in (a for ax in fig.axes for a in (ax.xaxis, ax.yaxis)):
            lo, hi = sorted(axis.get_view_interval())
            # the labels drawn: of the ticks in the view (the locator gives more)
            for at, t in zip(axis.get_majorticklocs(), axis.get_ticklabels(), strict=True):
                b = t.get_window_extent(r)
                if lo <= at <= hi and t.get_text() and not (
                        b.x0 >= 0 and b.y0 >= 0 and b.x1 <= w and b.y1 <= h):
                    out[key, t.get_text()] = (round(b.x0), round(b.y0))
    assert out == {}


def test_a_change_chart_names_the_rows_it_left_out(monkeypatch, tmp_path):
    """F4: the emissions change chart drops p2026, p2029 and p2030, whose only Δ (the
    uneven run's) is blank, and drew p2031-p2046 with no sign of them. Its title (PNG and
    HTML) now ends '(p2026, p2029, p2030 not compared, in the table)': 3 periods, in a
    table by period alone; so too with an item column of one value (co2 / k t/yr), as
    ``chainopt compare`` writes emissions. Rows of more than one item are counted: the
    same with a product column and a second product (2 x 3 = 6 blank rows) says '(6 rows
    not compared, in the table)'. The cash-flow change chart, every Δ blank or 0, is
    still not drawn; a table without a blank Δ keeps its title as it was."""
    from chainopt.report.html import _delta_figure

    note = " (p2026, p2029, p2030 not compared, in the table)"
    assert charts.delta_title(EMISSIONS, "Emissions") == "Emissions" + note
    two = pd.concat([EMISSIONS.assign(product=p) for p in ("hdpe", "urea")],
                    ignore_index=True)[["product", *EMISSIONS.columns]]
    co2 = EMISSIONS.assign(emission="co2", unit="k t/yr")[["emission", "unit",
                                                           *EMISSIONS.columns]]
    assert charts.delta_title(co2, "E") == "E" + note
    assert charts.delta_title(two, "E") == "E (6 rows not compared, in the table)"
    assert charts.delta_title(EMISSIONS.iloc[3:], "E") == "E"
    figs = _saved(monkeypatch, tmp_path, {"cashflow": CASHFLOW, "emissions": EMISSIONS})
    assert "cashflow-delta" not in figs
    title = figs["emissions-delta"]._suptitle.get_text().replace("\n", " ")
    assert title.endswith(f": change against the base{note}")
    d = _delta_figure(EMISSIONS, "Emissions", years=YEARS)
    assert d.layout.title.text.replace("<br>", " ") == "Emissions" + note


def test_a_change_chart_counts_the_partly_compared_rows_its_top_leaves_out():
    """Review out31 F2: three runs, a base and two against it; 25 products, each with a
    change in one run (Δ a = 1 .. 25, Δ b = 0), and 30 more products with no change where
    run a is compared (Δ a = 0) and run b is not (Δ b blank). The chart draws the top 20:
    the 20 largest changes, no partly-blank row; its title said '(the 20 largest of 25
    changes; all in the table)' and nothing of the 30 rows whose × marks were missing.
    Now it adds '(30 more rows partly not compared, in the table)'. With 12 changes only,
    the top keeps 12 + 8 of the 30: '(22 more rows partly not compared, in the table)';
    with 5 partly-blank rows, 12 + 5 <= 20: nothing is left out, nothing said."""
    def table(changes: int, partly: int) -> pd.DataFrame:
        n = changes + partly
        return pd.DataFrame({
            "product": [f"c{k}" for k in range(n)], "base": [100.0] * n,
            "a": [100.0 + k + 1 for k in range(changes)] + [100.0] * partly,
            "b": [100.0] * changes + [np.nan] * partly,
            "Δ a": [float(k + 1) for k in range(changes)] + [0.0] * partly,
            "Δ b": [0.0] * changes + [np.nan] * partly})

    assert len(charts.top_deltas(table(25, 30))) == 20
    assert charts.delta_title(table(25, 30), "P") == (
        "P (the 20 largest of 25 changes; all in the table) (30 more rows partly not "
        "compared, in the table)")
    assert charts.delta_title(table(12, 30), "P") == (
        "P (22 more rows partly not compared, in the table)")
    assert charts.delta_title(table(12, 5), "P") == "P"
    assert len(charts.top_deltas(table(12, 5))) == 17


def _swatch_inside(hatch: str, shift: int) -> np.ndarray:
    """The pixels inside a legend's bar swatch (its 2-pixel border left off, where the
    swatch's own edge is drawn), drawn as the cash-flow chart draws it (alpha 0.6, white
    hatch lines, legend font size 7, swatch :data:`charts.SWATCH_LENGTH` long, 150 dpi)
    with the legend ``shift`` pixels up: a hatch's lines lie on the figure's grid, not
    the swatch's, so where they fall in the swatch depends on where the swatch is."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(4, 2), dpi=150)
    try:
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.bar([0], [1], 0.5, alpha=0.6, color="#2ca02c", hatch=hatch or None,
               edgecolor="white" if hatch else None, label="s")
        leg = ax.legend(fontsize=7, handlelength=charts.SWATCH_LENGTH, loc="lower left",
                        bbox_to_anchor=(0.1, 0.2 + shift / 300), frameon=False)
        FigureCanvasAgg(fig).draw()
        img = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].astype(int)
        box, h = leg.get_patches()[0].get_window_extent(), img.shape[0]
        return img[h - int(box.y1) + 2:h - int(np.ceil(box.y0)) - 2,
                   int(np.ceil(box.x0)) + 2:int(box.x1) - 2]
    finally:
        plt.close(fig)


def _hatch_shows(hatch: str) -> list[int]:
    """At 13 places a pixel apart (one whole period of '--', 12.5 px), how many pixels
    inside the swatch of ``hatch`` differ from the plain swatch's there (by more than 45
    in the sum of their RGB channels: a hatch line, not antialiasing noise)."""
    return [int((np.abs(_swatch_inside(hatch, j) - _swatch_inside("", j)).sum(axis=2)
                 > 45).sum()) for j in range(13)]


def test_a_runs_projects_have_hatches_that_read_in_a_legend():
    """Review out30 F5, out31 F7, out32 F5: a hatch of dots ('..') and one of horizontal
    lines ('--', the sixth project's) read as a plain patch in the legend's swatch: the
    swatch is 0.7 font sizes (10 px at 7 pt and 150 dpi) tall, and the 12 lines an inch
    of '--' (12.5 px apart) lie where the figure's grid puts them, on the swatch's edges
    at some places. By hand a hatch reads when the swatch's inside holds pixels off the
    plain swatch's wherever the swatch stands (:func:`_hatch_shows`): '--' has none at
    some place (the review's swatch), every hatch of SERIES_MARKS but the first, plain,
    some at every place."""
    assert min(_hatch_shows("--")) == 0
    marks = charts.SERIES_MARKS
    assert marks[0].hatch == ""
    for m in marks[1:]:
        assert min(_hatch_shows(m.hatch)) > 0, m.hatch


def test_ten_projects_of_one_run_have_marks_of_their_own():
    """Review out32 F6: seven projects of one run (ru_all_projects has seven; a forced
    portfolio of eight) repeated the first's marks, the seventh solid and unhatched like
    the first, the eighth dashed and '//' like the second. By hand, ten series each
    need a mark no other has, in the PNG (hatch, line style, marker) and the HTML
    (pattern, dash, symbol); with 9 series a bar is 0.8 / 9 = 0.09 years wide, too thin
    for a hatch to show, so the lines alone (style and marker) must differ too: ten
    different in each. The eleventh repeats the first (series_mark wraps at 10)."""
    marks = [charts.series_mark(k) for k in range(10)]
    assert len({(str(m.hatch), str(m.line), m.marker) for m in marks}) == 10
    assert len({(m.pattern, m.dash, m.symbol) for m in marks}) == 10
    assert len({(str(m.line), m.marker) for m in marks}) == 10
    assert len({(m.dash, m.symbol) for m in marks}) == 10
    assert len({m.hatch for m in marks}) == 10
    assert charts.series_mark(10) == charts.series_mark(0)


def test_a_long_dashed_line_shows_its_gaps_in_the_legend_swatch():
    """Review out31 F7: the fifth project's long dash (8 on, 3 off, in line widths: 12 pt
    and 4.5 pt at the default 1.5 pt) filled the default swatch of 2 font sizes (14 pt
    at the legend's size 7) with one dash, so it read as solid. The cash-flow chart's
    swatch is now SWATCH_LENGTH = 5 font sizes, 35 pt: longer than one whole period of
    every dashed style plus its next dash (the longest, the sixth's 8, 3, 1, 3 and 8
    again: 23 widths = 34.5 pt), so each shows a gap and a second dash."""
    import matplotlib.pyplot as plt

    lw = 1.5  # matplotlib's default line width, in points
    swatch = charts.SWATCH_LENGTH * 7  # points at the chart's legend font size 7
    for line in (m.line for m in charts.SERIES_MARKS):
        if isinstance(line, tuple):
            assert swatch > (sum(line[1]) + line[1][0]) * lw
    cf = pd.DataFrame({"scenario": ["s"] * 12, "project": [f"p{k}" for k in range(6)] * 2,
                       "year": [2030] * 6 + [2031] * 6,
                       "net_musd": [-1.0] * 6 + [2.0] * 6,
                       "cumulative_musd": [-1.0] * 6 + [1.0] * 6})
    fig = static._cashflow_chart(plt, cf, ["s"])
    try:
        assert fig.axes[0].get_legend().handlelength == charts.SWATCH_LENGTH
    finally:
        plt.close(fig)


@pytest.mark.parametrize("horizontal", [True, False])
@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_not_compared_words_stay_inside_the_axes(horizontal, sign):
    """Review out31 F3: in a change chart whose every change is negative, 0 is the value
    axis' right end (bars stick to 0), and the words 'not compared', written 5 pt after
    the mark at 0, lay outside the axes, under the legend. They now go before the mark
    when 0 lies in the last quarter of the axis: for bars of -3, -1 and a blank the
    words end left of 0; for +3, +1 they start right of it. Either way every word lies
    inside the axes box."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    try:
        values = np.array([3.0, 1.0, np.nan]) * sign
        pos = np.arange(3.0)
        (ax.barh if horizontal else ax.bar)(pos, values, 0.8, label="Δ run")
        static.mark_not_compared(ax, [2.0], horizontal=horizontal, values=values)
        static.legend_outside(ax, fontsize=8)
        charts.tight(fig)
        FigureCanvasAgg(fig).draw()
        box = ax.get_window_extent()
        words = [t for t in ax.texts if t.get_text() == charts.NOT_COMPARED]
        assert len(words) == 1
        w = words[0].get_window_extent()
        assert box.x0 - 0.5 <= w.x0 and w.x1 <= box.x1 + 0.5
        assert box.y0 - 0.5 <= w.y0 and w.y1 <= box.y1 + 0.5
        zero = ax.transData.transform((0.0, 0.0))[0 if horizontal else 1]
        lo, hi = (w.x0, w.x1) if horizontal else (w.y0, w.y1)
        assert (hi < zero) if sign < 0 else (lo > zero)
    finally:
        plt.close(fig)


def test_the_side_of_the_not_compared_words_is_one_rule():
    """Review out32 F1: the side of 0 the words 'not compared' take, decided from the
    values drawn (0 included, NaN left out) for the PNG and the HTML alike. By hand:
    -3, -1 span [-3, 0], 0 at share 3/3 = 1 > 0.75: before; 3, 1: share 0, after;
    -1, 3: 1/4 = 0.25, after; -3, 0.5: 3/3.5 = 0.857, before; -3, 1: 3/4 = 0.75, not
    past the last quarter, after; all blank or all 0: no axis, after."""
    rule = charts.not_compared_before
    assert rule([-3.0, -1.0, np.nan]) and rule(pd.DataFrame({"a": [-3.0], "b": [0.5]}))
    assert not rule([3.0, 1.0]) and not rule([-1.0, 3.0]) and not rule([-3.0, 1.0])
    assert not rule([np.nan]) and not rule([0.0, 0.0])
    assert charts.bar_axis([-3.0, np.nan, 0.5]) == (-3.0, 0.5)


@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_the_html_change_chart_writes_not_compared_inside_the_plot(sign):
    """Review out32 F1: the HTML change chart wrote '× not compared' as the outside text
    of a bar of 0, which plotly puts past the bar's end: right of 0, out of the plot
    and under the legend where every change is negative (0 the axis' right end). By
    hand, with the Δ of one run -3 (+3) and -1 (+1) and the other's blank in the second
    row: all negative, the blank's bar is -1e-9 of the span 3 (-3e-9, a negative bar,
    whose outside text plotly ends at its end, at 0) carrying 'not compared ×'; all
    positive, a bar of 0 carrying '× not compared' (text right of 0, inside, as
    before). The hover says 'not compared' there, '-3.000' (3.000) for the bar of -3."""
    from chainopt.report import html

    df = pd.DataFrame({"item": ["a", "b"], "x": [0.0, 0.0], "y": [3 * sign, sign],
                       "z": [0.0, np.nan], "Δ y": [3 * sign, sign], "Δ z": [0.0, np.nan]})
    fig = html._delta_figure(df, "T")
    traces = {t.name: t for t in fig.data}
    blank = traces["Δ z"]  # rows drawn bottom-up: row b (blank) first
    idx = list(blank.text).index(next(t for t in blank.text if t))
    if sign < 0:
        assert blank.text[idx] == "not compared ×"
        assert blank.x[idx] == pytest.approx(-3e-9, rel=1e-6) and blank.x[idx] < 0
    else:
        assert blank.text[idx] == "× not compared" and blank.x[idx] == 0.0
    assert blank.customdata[idx] == "not compared"
    assert ("-3.000" if sign < 0 else "3.000") in list(traces["Δ y"].customdata)


def test_the_sensitivity_and_monte_carlo_charts_keep_long_labels_inside():
    """The tornado and Monte Carlo charts were laid out once (``tight_layout``) before
    their numbers got separators and at another dpi than they are saved at (120), as the
    comparison charts were (F1). A driver whose meaning runs to 90 characters, a project
    name of 100 (in lines of charts.TICK_WIDTH) and a title of 152 (wrapped at
    charts.TITLE_WIDTH, 95, as the comparison charts' titles are: one line ran 1,486 px
    wide in a figure of 1,200): laid out at
    risk.DPI until drawn inside (:func:`chainopt.report.charts.fit`), every text of each
    figure lies within it."""
    import matplotlib.pyplot as plt

    from chainopt.report import risk

    row = {"driver": "price", "meaning": "factor on the product prices " * 3,
           "base_value": 1.0, "low_value": 0.8, "high_value": 1.2, "npv_base_musd": 2.0,
           "npv_low_musd": -1200.0, "npv_high_musd": 3500.0, "swing_musd": 4700.0,
           "npv_base_from_musd": 2.0, "npv_base_to_musd": 2.0,
           "npv_low_from_musd": -1200.0, "npv_low_to_musd": -1200.0,
           "npv_high_from_musd": 3500.0, "npv_high_to_musd": 3500.0}
    title = "a title " * 19
    mc = pd.DataFrame({"project": ["a_project_name_that_goes_on_and_on_" + "x" * 65],
                       "p10_musd": [-15000.0], "p50_musd": [1200.0], "p90_musd": [25000.0],
                       "p_built": [0.5]})
    for fig in (risk.tornado_figure(pd.DataFrame([row]), title, plt, objective=5.0),
                risk.monte_carlo_figure(mc, title, plt)):
        try:
            assert fig.dpi == risk.DPI
            assert charts.drawn_inside(fig)
            # the plot keeps a third of the width (a 100-character name, kept on one
            # line, left the Monte Carlo's NPV axes 10 px of 1,320: review out31 F4)
            assert fig.axes[0].get_window_extent().width > fig.bbox.width / 3
        finally:
            plt.close(fig)


def test_a_driver_that_moves_nothing_has_one_label_despite_float_noise():
    """Review out31 F1: a driver that leaves the NPV at its base (12.28273721 at 0.8 and
    at 1.2) had range ends 12.282737213588916 and 12.282737213587097, 2e-12 apart (two
    solves' float noise), compared exactly: two labels on one spot, '12.3 (at 0.8)' over
    '12.3 (at 1.2)', and with only such drivers an x axis 4.5e-12 wide whose ticks all
    read 12.2827. Alike within the solvers' tolerance (1e-6 of the objective, 50 here),
    it has the README's one label, 'no change (12.3 at 0.8 and 1.2)', and the axis spans
    0.25 either side of the base (the pad of an axis without a span, 0.25 x 1)."""
    import matplotlib.pyplot as plt

    from chainopt.report import risk

    v = 12.28273721
    row = {"driver": "feed", "meaning": "factor on the feed prices", "base_value": 1.0,
           "low_value": 0.8, "high_value": 1.2, "npv_base_musd": v, "npv_low_musd": v,
           "npv_high_musd": v, "swing_musd": 0.0, "npv_base_from_musd": v,
           "npv_base_to_musd": v, "npv_low_from_musd": v,
           "npv_low_to_musd": 12.282737213588916, "npv_high_from_musd": v,
           "npv_high_to_musd": 12.282737213587097}
    fig = risk.tornado_figure(pd.DataFrame([row]), "t", plt, objective=50.0)
    try:
        ax = fig.axes[0]
        assert [t.get_text().strip() for t in ax.texts] == ["no change (12.3 at 0.8 and 1.2)"]
        assert ax.get_xlim() == pytest.approx((v - 0.25, v + 0.25))
    finally:
        plt.close(fig)


def test_the_html_cash_flow_legend_fits_and_its_patterns_show_in_a_swatch():
    """Review out33 F1, F4: with 8 projects the HTML cash-flow chart's legend, 18 entries
    (9 series of bars and lines), scrolled inside its 420 px: a printout had no key for
    the last three; and plotly's bar patterns, one line every 8 px, put the single line of
    '+', '|' and '-' on the edges of the legend's small swatch, where they read as plain.
    Now the chart is LEGEND_TOP_PX + LEGEND_ROW_PX a row tall (200 + 20 x 18 = 560 px for
    18 rows), the patterns repeat every 5 px (two lines or more inside a 12 px swatch),
    and the line swatch is 60 px, where a long dash shows its gap."""
    from chainopt.report import html

    cf = pd.DataFrame({"scenario": ["s"] * 18, "project": [f"p{k}" for k in range(9)] * 2,
                       "year": [2030] * 9 + [2031] * 9,
                       "net_musd": [-1.0] * 9 + [2.0] * 9,
                       "cumulative_musd": [-1.0] * 9 + [1.0] * 9})
    fig = html._cashflow_figure(cf, ["s"])
    assert len(fig.data) == 18
    assert fig.layout.height == 200 + 20 * 18 == 560
    assert fig.layout.legend.itemwidth == 60
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 9 and all(t.marker.pattern.size == 5 for t in bars)


def test_a_fitted_figure_is_drawn_once_when_saved(tmp_path, monkeypatch):
    """:func:`chainopt.report.charts.fit` lays a figure out (tight layout, drawn until
    inside) and then drops the layout engine: savefig draws it once, the pixels. Left
    with matplotlib's 'none' placeholder engine it drew the whole figure once more
    first, to run a layout nothing did any more; a matplotlibrc asking for automatic
    layouts (figure.autolayout) does not bring one back."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    draws: list = []
    real = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, r: draws.append(1) or real(self, r))
    with matplotlib.rc_context({"figure.autolayout": True}):
        fig, ax = plt.subplots(figsize=(4, 3))
        try:
            ax.bar(["a long label of a bar", "b"], [15000, 2])
            charts.fit(charts.tight(charts.thousands(fig)))
            assert fig.get_layout_engine() is None and charts.drawn_inside(fig)
            draws.clear()
            fig.savefig(tmp_path / "one.png", dpi=50)
        finally:
            plt.close(fig)
    assert len(draws) == 1


def test_a_picture_encoded_beside_the_next_is_savefigs_png(tmp_path):
    """:class:`chainopt.report.static.Pictures`: a PNG's pixels are drawn at once and
    encoded on a second thread, its file written when the next picture comes or the
    block ends: the same bytes as savefig writes. A block that raises leaves the picture
    still waiting unwritten (the one before it is written)."""
    import matplotlib.pyplot as plt

    def figure(title: str):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.bar(["a", "b"], [15000, 2])
        ax.set_title(title)
        return charts.tight(fig)

    plain, queued = tmp_path / "plain", tmp_path / "queued"
    plain.mkdir()
    queued.mkdir()
    for t in ("one", "two"):
        static.save_figure(plt, figure(t), plain, t, "png", 150)
    with static.Pictures() as pictures:
        first = static.save_figure(plt, figure("one"), queued, "one", "png", 150, pictures)
        assert not first.exists()  # encoding on the other thread
        static.save_figure(plt, figure("two"), queued, "two", "png", 150, pictures)
        assert first.exists()  # written when the next came
    for t in ("one", "two"):
        assert (queued / f"report-{t}.png").read_bytes() == \
            (plain / f"report-{t}.png").read_bytes()
    failed = tmp_path / "failed"
    failed.mkdir()
    with pytest.raises(RuntimeError, match="stop"), static.Pictures() as pictures:
        static.save_figure(plt, figure("one"), failed, "one", "png", 150, pictures)
        static.save_figure(plt, figure("two"), failed, "two", "png", 150, pictures)
        raise RuntimeError("stop")
    assert sorted(p.name for p in failed.iterdir()) == ["report-one.png"]
