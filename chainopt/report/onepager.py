"""Per-project one-pagers: is the project worth it, for whom, and what makes or breaks it.

Built from the tables of a comparison folder (``chainopt compare``): for each project a
scenario builds, valued against its own counterfactual (the same scenario with only that
project off), one page holds

* the incremental NPV **waterfall** by category (``project_waterfall``: revenue, feed /
  supply, operating cost, transport, carbon, capex, residual value; the bars add to the
  incremental NPV),
* the **cash-flow profile** by year (``project_cashflows``) with the payback year marked,
* NPV (MUSD) and IRR **per party** when the comparison has a ``party_economics`` table
  (each IRR in its party's currency, named beside it),
* the three **binding constraints** whose rent changes most (``project_constraints``).

:func:`pages` gathers the data, :func:`plotly_figure` draws it for the HTML report and
the deck, :func:`static_figure` with matplotlib for PNG/SVG. pandas, plotly, matplotlib.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field

import pandas as pd

from chainopt.report import economics
from chainopt.report.charts import PeriodYears, cumulative_path, esc, with_years
from chainopt.report.charts import mpl_text as _txt
from chainopt.report.compare import (
    built_projects,
    included,
    open_ranges,
    project_warnings,
    warning_mark,
    with_includes,
)
from chainopt.report.numbers import number, percent, signed


@dataclass
class Page:
    """Everything one project's page shows."""

    scenario: str
    project: str
    summary: dict
    waterfall: pd.DataFrame  # category, npv_musd
    cashflows: pd.DataFrame  # year, operating/capex/residual/net/cumulative
    constraints: pd.DataFrame  # constraint, period, values, rent change
    parties: pd.DataFrame | None  # party rows of party_economics, when present
    #: the warnings of the comparison that name the project in this scenario (a first
    #: use inside a period: its value is that of the period's average year)
    warnings: list[str] = field(default_factory=list)
    #: the range the solves' MIP gaps leave the NPV in, when open ('anywhere from 0.533
    #: to 24.2'; :func:`chainopt.report.compare.open_ranges`), else ''
    npv_range: str = ""
    #: the projects built only with this one (one requiring it), whose NPV, capex and
    #: flows its figures hold ('pb'; :func:`chainopt.report.compare.included`), else ''
    includes: str = ""

    @property
    def title(self) -> str:
        return f"{with_includes(self.project, self.includes)} in {self.scenario}"

    @property
    def payback_year(self) -> float | None:
        """Where the page marks payback: ``payback (yr)`` after the year it counts from
        (:func:`chainopt.report.economics.payback_from`: the project's own first spend,
        also where the counterfactual spends more that year)."""
        pb, start = self.summary.get("payback (yr)"), self.payback_from
        if pb is None or start is None or not _finite(pb):
            return None
        return start + float(pb)

    @property
    def payback_from(self) -> int | None:
        return economics.payback_from(self.cashflows) if len(self.cashflows) else None


def _finite(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def pages(tables: dict[str, pd.DataFrame], years: PeriodYears | None = None
          ) -> list[Page]:
    """One page per project built in a scenario of a comparison (tables by CSV stem;
    which: :func:`chainopt.report.compare.built_projects`); its period built in and its
    constraints' periods with the scenario's years when ``years`` gives them
    (:func:`chainopt.report.charts.with_years`: ``built: p2026 (2026-28)``)."""
    rows = built_projects(tables)
    if not rows:
        return []
    wf = tables.get("project_waterfall")
    cf = tables.get("project_cashflows", pd.DataFrame(columns=["scenario", "effect"]))
    cc = tables.get("project_constraints", pd.DataFrame(columns=["scenario", "effect"]))
    pe = tables.get("party_economics")
    warned = project_warnings(tables)
    ranges = open_ranges(tables)
    holds = included(tables)
    out = []
    for r in rows:
        effect, scenario = str(r["effect"]), str(r["scenario"])

        def mine(df: pd.DataFrame, key: str = "effect", sc=scenario, ef=effect) -> pd.DataFrame:
            if df is None or df.empty or key not in df.columns:
                return pd.DataFrame()
            return df[(df["scenario"].astype(str) == sc)
                      & (df[key].astype(str) == ef)].reset_index(drop=True)

        if wf is None:  # each page's waterfall: the one table a page cannot do without
            raise ValueError("comparison table project_waterfall.csv is missing (a "
                             "comparison written by an older chainopt has none)")
        parties = mine(pe, "project") if pe is not None else None
        if years is not None:  # the periods as the charts beside the page say them
            r = {**r, "built": with_years(pd.DataFrame(
                {"scenario": [scenario], "built": [r.get("built")]}), years)["built"].iloc[0]}
        out.append(Page(scenario=scenario, project=effect, summary=r, waterfall=mine(wf),
                        cashflows=mine(cf), constraints=with_years(mine(cc), years)
                        if years is not None else mine(cc),
                        parties=parties if parties is not None and len(parties) else None,
                        warnings=warned.get((scenario, effect), []),
                        npv_range=ranges.get((scenario, effect), ""),
                        includes=holds.get((scenario, effect), "")))
    return out


def _short(v: float) -> str:
    """A bar label, as every number of the page reads (:func:`number`: 1,234 / 12.3 /
    1.455 / 0, never -0.0): a total bar of 1.5 beside a key figure of 1.455 read as two
    values."""
    return number(v)


def key_figures(p: Page) -> list[tuple[str, str]]:
    """(label, text) of the page's headline numbers, written as the terminal and the
    tables write them (:mod:`chainopt.report.numbers`: 8.729 MUSD, 6.291 yr)."""
    s = p.summary
    irr = s.get("IRR")
    pb = s.get("payback (yr)")
    span = f" ({p.npv_range})" if p.npv_range else ""
    return [("incremental NPV", f"{number(float(s['incremental NPV (MUSD)']))} MUSD{span}"),
            # a shown IRR with its note beside it (where the NPV is > 0, other rates
            # giving NPV 0 too)
            ("IRR", economics.with_note(percent(irr), _note(s, "IRR")) if percent(irr)
             else economics.not_available(_note(s, "IRR"))),
            ("payback", f"{number(float(pb))} yr" if _finite(pb)  # type: ignore[arg-type]
             else economics.not_available(_note(s, "payback (yr)"))),
            ("overnight capex", f"{number(float(s['overnight capex (MUSD)']))} MUSD"
             + (f" ({p.project}'s and {p.includes}'s)" if p.includes else "")),
            *([("includes", f"{p.includes}: built only with {p.project}, its NPV, capex "
                "and flows are in these figures")] if p.includes else []),
            ("built", str(s.get("built", ""))),
            ("first use", str(s.get("first use", "")).removesuffix(".0")),
            *([("warning", warning_mark(p.warnings))] if p.warnings else [])]


def _note(row, col: str) -> str:
    """The note of ``col`` (IRR, payback) of an economics ``row`` (a dict or a Series):
    why it is blank, or, beside a shown value, where the NPV is > 0 (other rates giving
    NPV 0 too) or that the sale leaves the party out of pocket again
    (:data:`chainopt.report.economics.NOTES`; '' for none)."""
    v = row.get(economics.NOTES[col])
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def party_rows(p: Page) -> pd.DataFrame:
    """Party, role, currency, NPV (MUSD), IRR (and its note: why it is blank, or where
    the NPV is > 0 when other rates give NPV 0 too) of the
    page's project (empty without parties). A party's IRR is that of its flows in its own
    currency (a rouble IRR for a rouble party, :mod:`chainopt.report.parties`), so its
    currency goes beside it: the page's own IRR, above it, is the project's in USD."""
    if p.parties is None:
        return pd.DataFrame(columns=["party", "currency", "NPV (MUSD)", "IRR"])
    cols = [c for c in ("party", "role", "currency", "NPV (MUSD)", "IRR",
                        economics.NOTES["IRR"]) if c in p.parties.columns]
    return p.parties[cols].reset_index(drop=True)


def party_line(r: pd.Series) -> str:
    """One party of :func:`party_rows` as text: 'ru_sponsor (equity): NPV -961.3 MUSD,
    IRR 9.9% in RUB' (the IRR in the party's currency), its note beside it: 'IRR 31.0% in
    USD (NPV > 0 only between -90.2 % and 31.0 %)'."""
    role = f" ({r['role']})" if "role" in r.index and str(r["role"]) else ""
    text = f"{r['party']}{role}: NPV {number(float(r['NPV (MUSD)']))} MUSD"
    if "IRR" in r.index and _finite(r["IRR"]):
        cur = str(r["currency"]) if "currency" in r.index and str(r["currency"]) else ""
        text += ", IRR " + economics.with_note(percent(r["IRR"]) + (f" in {cur}" if cur
                                                                    else ""), _note(r, "IRR"))
    elif _note(r, "IRR"):
        text += f", IRR {economics.not_available(_note(r, 'IRR'))}"
    return text


def plotly_figure(p: Page):
    """Waterfall (left) and cash-flow profile with payback (right) of one page."""
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, column_widths=[0.45, 0.55], subplot_titles=(
        "Incremental NPV by category (MUSD)", "Incremental cash flow by year (MUSD)"))
    wf = p.waterfall
    total = float(p.summary["incremental NPV (MUSD)"])
    fig.add_trace(go.Waterfall(
        x=[*[esc(c) for c in wf["category"]], "incremental NPV"],
        y=[*[round(float(v), 3) for v in wf["npv_musd"]], 0.0],
        measure=[*["relative"] * len(wf), "total"], showlegend=False,
        text=[_short(float(v)) for v in [*wf["npv_musd"], total]], textposition="outside",
        increasing={"marker": {"color": "#31a354"}}, decreasing={"marker": {"color": "#de2d26"}},
        totals={"marker": {"color": "#253858"}},
        hovertemplate="%{x}: %{text} MUSD<extra></extra>"), row=1, col=1)
    cf = p.cashflows
    if len(cf):
        years = cf["year"].astype(int).tolist()
        flow = (cf["operating_musd"] + cf["capex_musd"]).round(3).tolist()
        fig.add_trace(go.Bar(x=[y + 0.5 for y in years], y=flow, width=0.8,
                             customdata=years, name="cash flow (without residual value)",
                             marker_color="#6baed6",
                             hovertemplate="%{customdata}: %{y:,.1f} MUSD<extra></extra>"),
                      row=1, col=2)
        px, py = cumulative_path(cf)
        fig.add_trace(go.Scatter(x=px, y=py, name="cumulative (payback)", mode="lines",
                                 line={"color": "#253858"},
                                 hovertemplate="%{x:.2f}: %{y:,.1f} MUSD<extra></extra>"),
                      row=1, col=2)
        pb = p.payback_year
        if pb is not None:
            fig.add_vline(x=pb, line_dash="dash", line_color="#e6550d", row=1, col=2,
                          annotation_text=f"payback {pb:.1f}", annotation_position="top left")
    fig.update_layout(title=f"{esc(p.title)}: NPV {number(total)} MUSD", height=430,
                      margin={"l": 50, "r": 20, "t": 80, "b": 90},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def _fill(line: str, indent: str) -> str:
    """``line`` wrapped to :data:`KEY_FIGURES_WIDTH` characters, continued at ``indent``,
    a rate kept whole: '1,000 %' never split before its '%' (an IRR note, 'rate above
    1,000 %; NPV > 0 only between 13.5 % and that rate', wrapped into a line of '%;')."""
    glued = line.replace(" %", "\0%")  # (one character for one: the widths hold)
    return textwrap.fill(glued, KEY_FIGURES_WIDTH, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False).replace("\0", " ")


#: characters of 10 pt monospace that fit the one-pager's key-figures panel (13.3 in wide
#: figure, half of it less the margins: 464 px at 100 dpi, 8 px a character)
KEY_FIGURES_WIDTH = 58

#: inches a line of the key-figures panel takes (10 pt at matplotlib's 1.2 line spacing,
#: 0.167 in, and a little for the ascent of the first line)
LINE_IN = 0.175


#: the least room (points) between two of the waterfall's bar labels: closer, they read
#: as one number (mp2's -372.2 and -2,396.2 stood 1.2 pt apart)
LABEL_GAP_PT = 3.0


def label_rises(boxes: list[tuple[float, float, float, float]], pad: float = 2.0
                ) -> list[float]:
    """How far to raise each label of ``boxes`` (x0, y0, x1, y1 in display units, in the
    order drawn) so that none overlaps or touches (within ``pad``) one placed before it:
    a label is raised to ``pad`` above each placed label it would meet, until it meets
    none. Labels side by side at one height, each wider than its bar's slot (mp2's
    waterfall: 9,298.4 | -372.2 | -2,396.2 ran into each other), then stand as steps;
    one clear of the others stays where it is. By hand, pad 1: A (0, 0, 10, 5) stays; B
    (8, 0, 18, 5) meets A, rises 5 - 0 + 1 = 6 (to 6..11); C (16, 0, 26, 5) meets B
    only across (16 < 18) but not in height (0..5 below 6), and A not across: it stays."""
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for x0, y0, x1, y1 in boxes:
        rise, moved = 0.0, True
        while moved:  # rise only grows, each placed label pushes at most once: it ends
            moved = False
            for a0, b0, a1, b1 in placed:
                above = b1 - y0 + pad  # where this label clears that one
                if (min(x1, a1) - max(x0, a0) > -pad and above > rise
                        and min(y1 + rise, b1) - max(y0 + rise, b0) > -pad):
                    rise, moved = above, True
        placed.append((x0, y0 + rise, x1, y1 + rise))
        out.append(rise)
    return out


def _apart(fig, ax, texts: list) -> None:
    """The waterfall's bar labels ``texts`` (annotations at their bars' tops) raised
    apart (:func:`label_rises`), and the axes' top raised until the highest is inside it
    (a raised label over the title); measured as drawn, at the figure's size."""
    renderer = fig.canvas.get_renderer()
    for _ in range(4):  # a taller range brings the bars' tops closer: measure again
        for t in texts:
            t.xyann = (0.0, 0.0)
        boxes = [tuple(t.get_window_extent(renderer).extents) for t in texts]
        rises = label_rises(boxes, pad=LABEL_GAP_PT * fig.dpi / 72.0)
        for t, r in zip(texts, rises, strict=True):
            t.xyann = (0.0, r * 72.0 / fig.dpi)  # pixels -> points
        top = max((b[3] + r for b, r in zip(boxes, rises, strict=True)), default=0.0)
        over = top + LABEL_GAP_PT * fig.dpi / 72.0 - ax.bbox.y1
        if over <= 0:
            return
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + 1.2 * over * (hi - lo) / ax.bbox.height)


def static_figure(p: Page, plt):
    """The one-pager as one matplotlib figure (waterfall, cash flow, key figures, parties,
    constraints), for PNG/SVG and the deck; ``plt`` is :mod:`matplotlib.pyplot`."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator  # lazy: static charts only

    # the key figures and party lines first: the panel under the charts is as tall as
    # they are (a party's IRR note wrapping to a second line pushed the last party,
    # JBIC's, off the bottom of the page, and of the deck's slide)
    # wrapped to the panel's width (58 characters of 10 pt monospace): a note such as
    # 'n/a (not paid back by 2050, the horizon's end; residual value not counted)' ran
    # into the constraints beside it
    total = float(p.summary["incremental NPV (MUSD)"])
    text = [_fill(f"{k}: {v}", "    ") for k, v in key_figures(p)]
    pr = party_rows(p)
    if len(pr):  # one party a line (the IRR in its currency, which the line names)
        text += ["parties:", *(_fill(f"  {party_line(r)}", "      ")
                               for _, r in pr.iterrows())]
    lines = ["What makes or breaks it (rent change, MUSD/yr):"]
    for _, r in p.constraints.head(3).iterrows():
        lines.append(f"- {_txt(str(r['constraint'])[:60])} in {_txt(r['period'])}: "
                     f"{signed(float(r['rent change (MUSD/yr)']))}")
    n = max("\n".join(text).count("\n") + 1, len(lines))
    # wrapped: names have no length limit, and a slide does not scroll
    title = textwrap.fill(f"{p.title}: incremental NPV {number(total)} MUSD against "
                          f"{p.scenario} without {p.project}", 120, break_on_hyphens=False)
    # inches: the title (12 pt lines, 0.2 in) and the charts' own titles, the charts
    # (their tick labels below), the text panel (:data:`LINE_IN` a line), a margin
    head = 0.55 + 0.2 * (title.count("\n") + 1)
    charts_h, gap, foot = 3.9, 1.15, 0.25
    panel = max(1.2, LINE_IN * n)
    height = head + charts_h + gap + panel + foot
    fig = plt.figure(figsize=(13.3, height))  # 7 in: a 16:9 slide minus the title

    def rect(left: float, top_in: float, width: float, tall_in: float) -> list[float]:
        return [left, 1 - (top_in + tall_in) / height, width, tall_in / height]

    ax = fig.add_axes(rect(0.125, head, 0.35, charts_h))
    wf = p.waterfall
    cum, bottoms, heights = 0.0, [], []
    for v in wf["npv_musd"].astype(float):
        bottoms.append(cum if v >= 0 else cum + v)
        heights.append(abs(v))
        cum += v
    labels = [*wf["category"].astype(str), "incremental NPV"]
    colours = ["#31a354" if v >= 0 else "#de2d26" for v in wf["npv_musd"]]
    ax.bar(range(len(wf)), heights, bottom=bottoms, color=colours)
    ax.bar(len(wf), abs(total), bottom=min(0.0, total), color="#253858")
    tops = [(bottoms[i] + heights[i]) if i < len(wf) else max(0.0, total)
            for i in range(len(wf) + 1)]
    texts = [ax.annotate(_short(v), (i, top), xytext=(0, 0), textcoords="offset points",
                         ha="center", va="bottom", fontsize=8)
             for i, (v, top) in enumerate(zip([*wf["npv_musd"].astype(float), total], tops,
                                              strict=True))]
    ax.set_xticks(range(len(labels)), [_txt(lab) for lab in labels], fontsize=8, rotation=30,
                  ha="right")
    ax.axhline(0, color="#888", lw=0.6)
    ax.set_title("Incremental NPV by category (MUSD)", fontsize=10)
    # room above the highest bar for its label (MP4's 30.9 and -87.4 were printed over
    # the title: the running total reached the top of the axes)
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.08 * (hi - lo))
    _apart(fig, ax, texts)
    ax2 = fig.add_axes(rect(0.545, head, 0.355, charts_h))
    cf = p.cashflows
    if len(cf):
        ax2.bar(cf["year"].astype(int) + 0.5, cf["operating_musd"] + cf["capex_musd"],
                width=0.8, color="#6baed6", label="cash flow (without residual value)")
        ax2.plot(*cumulative_path(cf), color="#253858", label="cumulative (payback)")
        if p.payback_year is not None:
            ax2.axvline(p.payback_year, color="#e6550d", ls="--",
                        label=f"payback {p.payback_year:.1f}")
        # below the axes, under the years (inside, it hid the tops of the first bars)
        ax2.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2,
                   borderaxespad=0.0)
    ax2.axhline(0, color="#888", lw=0.6)
    # years as years (2030), not as the grouped numbers of charts.thousands (2,030)
    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))  # no tick at 2029.5
    ax2.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))
    ax2.set_title("Incremental cash flow by year (MUSD, undiscounted)", fontsize=10)
    ax3 = fig.add_axes(rect(0.125, head + charts_h + gap, 0.35, panel))
    ax3.axis("off")
    ax3.text(0, 1, _txt("\n".join(text)), va="top", fontsize=10, family="monospace")
    ax4 = fig.add_axes(rect(0.525, head + charts_h + gap, 0.375, panel))
    ax4.axis("off")
    ax4.text(0, 1, "\n".join(lines), va="top", fontsize=9)
    fig.suptitle(_txt(title), fontsize=12, y=1 - 0.15 / height, va="top")
    return fig
