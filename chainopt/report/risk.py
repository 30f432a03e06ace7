"""Charts of what would change a project's answer: tornado and Monte Carlo spread.

Static (matplotlib) figures of the tables :mod:`chainopt.sensitivity` computes; they go
into the sensitivity folder and into the deck. No Pyomo, no solver.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.report import numbers
from chainopt.report.charts import thousands


def _txt(s: object) -> str:
    """Plain text for matplotlib: '$' escaped so mathtext never reads a name."""
    return str(s).replace("$", r"\$")


def _n(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def tornado_figure(df: pd.DataFrame, title: str, plt):
    """Horizontal bars from the base NPV to the NPV at each driver's low and high value,
    the widest swing on top; a black whisker at a bar's end spans the range the MIP gaps
    leave that NPV in (``npv_low_from_musd`` to ``npv_low_to_musd``, ...; none where the
    solves are proven optimal). A driver whose NPVs are blank, the project needed for
    any plan (its ``note``), has no bar but that note."""
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
        for v, col, x, a, b in ((r.npv_low_musd, "#de2d26", r.low_value,
                                 r.npv_low_from_musd, r.npv_low_to_musd),
                                (r.npv_high_musd, "#31a354", r.high_value,
                                 r.npv_high_from_musd, r.npv_high_to_musd)):
            ax.barh(yi, v - base, left=base, color=col, height=0.6)
            label, end = f"{v:,.1f}", v
            if b > a:  # (NaN, no bound, compares False: no whisker)
                ax.plot([a, b], [yi, yi], color="black", lw=1, marker="|", ms=8)
                label, end = f"{label} ({a:,.1f} to {b:,.1f})", b if v >= base else a
            ax.text(end, yi, f" {label} (at {x:.3g}) ", va="center",
                    ha="left" if v >= base else "right", fontsize=8)
    ax.axvline(base, color="#253858", lw=1)
    ax.axvline(0, color="#888", lw=0.6, ls=":")
    ax.set_yticks(y, [_txt(f"{r.driver}: {r.meaning}") for r in df.itertuples()], fontsize=9)
    ax.set_xlabel("incremental NPV (MUSD); red: driver low, green: driver high")
    ax.set_title(_txt(title), fontsize=11)
    ends = df[["npv_low_musd", "npv_high_musd", "npv_low_from_musd", "npv_low_to_musd",
               "npv_high_from_musd", "npv_high_to_musd"]].to_numpy(float)
    lo, hi = float(np.nanmin(ends, initial=base)), float(np.nanmax(ends, initial=base))
    # room for the labels, longer with a range
    whiskers = bool((ends[:, 3] > ends[:, 2]).any() or (ends[:, 5] > ends[:, 4]).any())
    pad = (0.45 if whiskers else 0.25) * (hi - lo or 1.0)
    ax.set_xlim(lo - pad, hi + pad)
    fig.tight_layout()
    return thousands(fig)


def monte_carlo_figure(df: pd.DataFrame, title: str, plt):
    """Per project: P10-P90 bar with the P50 marked (left axis) and the probability it is
    built (right panel)."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, max(3.0, 0.6 * len(df) + 1.5)),
                                  gridspec_kw={"width_ratios": [3, 1]}, sharey=True)
    y = np.arange(len(df))[::-1]
    for yi, r in zip(y, df.itertuples(), strict=True):
        ax.plot([r.p10_musd, r.p90_musd], [yi, yi], color="#6baed6", lw=10,
                solid_capstyle="butt")
        ax.plot([r.p50_musd], [yi], "o", color="#253858")
        ax.text(r.p90_musd, yi, f"  P10 {_n(r.p10_musd)} / P50 {_n(r.p50_musd)} / "
                f"P90 {_n(r.p90_musd)}", va="center", fontsize=8)
        ax2.barh(yi, r.p_built, color="#31a354")
        ax2.text(r.p_built, yi, f" {numbers.share(r.p_built)}", va="center", fontsize=8)
    ax.set_yticks(y, [_txt(p) for p in df["project"]])
    ax.set_xlabel("incremental NPV (MUSD): P10-P90, dot = P50")
    ax2.set_xlim(0, 1.25)
    ax2.set_xlabel("probability built")
    fig.suptitle(_txt(title), fontsize=11)
    fig.tight_layout()
    return thousands(fig)
