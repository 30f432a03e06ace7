"""Charts of what would change a project's answer: tornado and Monte Carlo spread.

Static (matplotlib) figures of the tables :mod:`chainopt.sensitivity` computes; they go
into the sensitivity folder and into the deck. No Pyomo, no solver.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from chainopt.report import numbers
from chainopt.report.charts import (
    TICK_WIDTH,
    TITLE_WIDTH,
    fit,
    room_for,
    thousands,
    tight,
    wrapped,
)
from chainopt.report.charts import mpl_text as _txt
from chainopt.report.economics import SOLVER_SHARE, range_open

#: the tornado's bars at a driver's low and high value (colour, its name on the axis):
#: a light and a dark blue, which say which end of the driver and nothing of good or
#: bad (red and green read as bad and good, whichever way the NPV moved: a lower capex,
#: higher NPV, was red)
TORNADO_COLOURS = {"low": ("#9ecae1", "light blue"), "high": ("#2171b5", "dark blue")}
#: the Monte Carlo chart's bars of the probability a project is built
BUILT_COLOUR = "#31a354"


def tornado_figure(df: pd.DataFrame, title: str, plt, objective: float = 0.0):
    """Horizontal bars from the base NPV to the NPV at each driver's low and high value,
    the widest swing on top; a black whisker at a bar's end spans the range the MIP gaps
    leave that NPV in (``npv_low_from_musd`` to ``npv_low_to_musd``, ...), where that
    range leaves it open (:func:`chainopt.report.economics.range_open` against the
    scenario's ``objective``: a range of float noise about a proven NPV drew one). A
    driver whose NPVs are blank, the project needed for any plan (its ``note``), has no
    bar but that note. A driver with the same NPV at both ends has one label, "no
    change (12.2 at 0 and 20)" where that is the base NPV (the driver does not move it).
    Numbers as the README's rule writes them (:mod:`numbers`)."""
    def alike(p: float, q: float) -> bool:
        """The same NPV, or both blank: apart by no more than the solvers' tolerance
        (:data:`chainopt.report.economics.SOLVER_SHARE` of the objective, and 1e-9 of
        the values)."""
        if p != p or q != q:
            return p != p and q != q
        tol = max(SOLVER_SHARE * abs(objective), 1e-9 * max(abs(p), abs(q), 1.0))
        return abs(p - q) <= tol

    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.7 * len(df) + 1.5)))
    if df.empty:
        ax.axis("off")
        return fig
    base = float(df["npv_base_musd"].iloc[0])
    base = 0.0 if np.isnan(base) else base  # (needed for any plan: no NPV, no bars)
    y = np.arange(len(df))[::-1]
    for yi, r in zip(y, df.itertuples(), strict=True):
        if np.isnan([r.npv_base_musd, r.npv_low_musd, r.npv_high_musd]).any():
            ax.text(base, yi, f" {r.note} ", va="center", ha="left", fontsize=8)
            continue
        low = (r.npv_low_musd, TORNADO_COLOURS["low"][0], r.low_value,
               r.npv_low_from_musd, r.npv_low_to_musd)
        high = (r.npv_high_musd, TORNADO_COLOURS["high"][0], r.high_value,
                r.npv_high_from_musd, r.npv_high_to_musd)
        # the same NPV (and range) at both ends: one label, not two on one spot; at two
        # values of the driver that does not move it, "no change (12.2 at 0 and 20)"
        # (both were drawn at the base and ran into each other), at one value (a
        # discount rate of 0 at ±20 %) "2.000 (at 0)"
        # (alike within the solvers' tolerance: the range ends of a driver that does not
        # move the NPV differ by float noise, 2e-12, and drew two labels on one spot)
        same = all(alike(p, q) for i, (p, q) in enumerate(zip(low, high, strict=True))
                   if i not in (1, 2))
        both = same and low[2] != high[2]  # two values of the driver, one NPV
        for v, col, x, a, b in [low] if same else [low, high]:
            ax.barh(yi, v - base, left=base, color=col, height=0.6)
            label, end = numbers.number(v), v
            if range_open(b - a, v, objective):  # (NaN, no bound: no whisker)
                ax.plot([a, b], [yi, yi], color="black", lw=1, marker="|", ms=8)
                label = f"{label} ({numbers.number(a)} to {numbers.number(b)})"
                end = b if v >= base else a
            at = f"{low[2]:.3g} and {high[2]:.3g}" if both else f"{x:.3g}"
            text = (f"no change ({label} at {at})" if both and alike(v, base)
                    else f"{label} (at {at})")
            ax.text(end, yi, f" {text} ", va="center",
                    ha="left" if v >= base else "right", fontsize=8)
    ax.axvline(base, color="#253858", lw=1)
    ax.axvline(0, color="#888", lw=0.6, ls=":")
    ax.set_yticks(y, [_txt(f"{r.driver}: {r.meaning}") for r in df.itertuples()], fontsize=9)
    # (two lines: one ran past the image's edge under the axes a long driver label narrows)
    ax.set_xlabel("incremental NPV (MUSD)\n" + ", ".join(
        f"{name}: driver {at}" for at, (_, name) in TORNADO_COLOURS.items()))
    # over the figure, not the axes a long driver label narrows: centred over those it
    # ran off the image
    fig.suptitle(_txt(wrapped(title, TITLE_WIDTH)), fontsize=11)
    ends = df[["npv_low_musd", "npv_high_musd", "npv_low_from_musd", "npv_low_to_musd",
               "npv_high_from_musd", "npv_high_to_musd"]].to_numpy(float)
    lo, hi = float(np.nanmin(ends, initial=base)), float(np.nanmax(ends, initial=base))
    # room for the labels, longer with a range
    whiskers = bool(range_open(ends[:, 3] - ends[:, 2], ends[:, 0], objective).any()
                    or range_open(ends[:, 5] - ends[:, 4], ends[:, 1], objective).any())
    # a span of float noise (every driver leaves the NPV as it is) is none: ticks 1e-12
    # apart all read 12.2827
    pad = (0.45 if whiskers else 0.25) * (hi - lo if not alike(hi, lo) else 1.0)
    ax.set_xlim(lo - pad, hi + pad)
    return laid_out(fig)


def monte_carlo_figure(df: pd.DataFrame, title: str, plt):
    """Per project: P10-P90 bar with the P50 marked (left axis) and the probability it is
    built (right panel, 0 to 1). Each label stays inside its panel: the NPV axis is
    widened to the right until every "P10 / P50 / P90" label, at its P90, ends inside
    the frame (:func:`chainopt.report.charts.room_for`; it ran over the frame into the
    gap between the panels); a probability above one half is written inside its bar,
    right-aligned at its end, so 100 % needs no axis beyond 1 (it ran to 1.25)."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, max(3.0, 0.6 * len(df) + 1.5)),
                                  gridspec_kw={"width_ratios": [3, 1]}, sharey=True)
    y = np.arange(len(df))[::-1]
    labels = []
    for yi, r in zip(y, df.itertuples(), strict=True):
        ax.plot([r.p10_musd, r.p90_musd], [yi, yi], color="#6baed6", lw=10,
                solid_capstyle="butt")
        ax.plot([r.p50_musd], [yi], "o", color="#253858")
        labels.append(ax.text(r.p90_musd, yi, f"  P10 {numbers.number(r.p10_musd)} / P50 "
                              f"{numbers.number(r.p50_musd)} / P90 "
                              f"{numbers.number(r.p90_musd)}", va="center", fontsize=8))
        ax2.barh(yi, r.p_built, color=BUILT_COLOUR)
        inside = r.p_built > 0.5  # (NaN, no draw solved: beside its no bar)
        ax2.text(r.p_built, yi, f" {numbers.share(r.p_built)} ", va="center", fontsize=8,
                 ha="right" if inside else "left", color="white" if inside else "black")
    # a name of up to 100 characters (names.MAX_LENGTH) in lines of TICK_WIDTH, broken
    # inside the word if need be: kept whole it squeezed the plot to nothing and was cut
    ax.set_yticks(y, [_txt("\n".join(textwrap.wrap(str(p), TICK_WIDTH)))
                      for p in df["project"]])
    ax.set_xlabel("incremental NPV (MUSD): P10-P90, dot = P50")
    ax2.set_xlim(0, 1)
    # in % as the labels at its bars are (it read 0.0 ... 1.0 beside '25%': out32 F7)
    ax2.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax2.set_xlabel("probability built")
    fig.suptitle(_txt(wrapped(title, TITLE_WIDTH)), fontsize=11)
    return laid_out(fig, (ax, labels))


#: the resolution the sensitivity and Monte Carlo charts are saved at
DPI = 120


def laid_out(fig, labels: tuple | None = None):
    """``fig`` with thousands separators (:func:`chainopt.report.charts.thousands`), laid
    out at :data:`DPI`, the resolution it is saved at, until nothing it draws is cut at
    the image's edge (:func:`chainopt.report.charts.fit`: a long driver label or title
    ran off a layout made once); ``labels``, (axes, texts): the axes widened first until
    the texts end inside its frame (:func:`chainopt.report.charts.room_for`)."""
    fig.set_dpi(DPI)
    fig = tight(thousands(fig))
    if labels is not None:
        room_for(fig, *labels)
    return fit(fig)
