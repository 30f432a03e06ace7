"""Summary statistics of a sweep's KPI table (pandas only).

For the objective and every ``*_musd`` KPI (NPV parts, incremental project NPVs), over
the variants that solved: of Monte Carlo draws, count, mean, standard deviation, min,
the 5/10/25/50/75/90/95th percentiles and max (estimates of the distribution the draws
come from); of a grid, count, min and max only. A grid's points are chosen, not drawn:
the median of 0.7, 0.8, 1.3 x a price is the middle point picked, and adding points at
one end moves it (and the mean, sd and every percentile) without any change to the
chain, so those are no statistics of anything and are not written. For every
``built_<project>`` column the share of solved variants with a built share above 1e-6
and its mean built share; and the count of variants by status. Of Monte Carlo draws that
share is the probability the project is built (``probability_built``); of a grid it is
the share of the points chosen (``share_of_points_built``), which says as much about the
points as about the project.

The mean and standard deviation are taken of the deviations d_i = x_i - x_1 from the
first value (mean = x_1 + mean(d), sd = sqrt(sum (d_i - mean(d))^2 / (n - 1))): the same
numbers, but exact for a measure that does not vary (every d_i is 0, so its sd is 0, not
the 7.5e-12 that rounding the mean of twenty values of 39,743.25355 left). Of one draw
(n = 1) the sample sd is 0 / 0, undefined: it is blank, not 0, which read as "no risk"
beside percentiles that are all the one value (:func:`one_draw` warns).
"""

from __future__ import annotations

import math

import pandas as pd

PERCENTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
#: statuses whose variants count: a MIP stopped at a limit with a usable plan counts too
SOLVED = ("optimal", "feasible")
#: a project is built in a variant when its built share exceeds this
BUILT = 1e-6
#: the statistic of the share of variants that build a project: of draws, of grid points
SHARE_BUILT = {"draws": "probability_built", "grid": "share_of_points_built"}


def summarise(kpis: pd.DataFrame, grid: bool = False) -> pd.DataFrame:
    """One row per statistic and measure: columns ``measure``, ``statistic``, ``value``;
    ``grid``: the variants are a grid's points, not Monte Carlo draws (module docstring)."""
    rows = []
    ok = kpis[kpis["status"].isin(SOLVED)] if "status" in kpis else kpis
    for status, n in kpis["status"].value_counts().sort_index().items():
        rows.append(("variants", f"status={status}", float(n)))
    measures = [c for c in kpis.columns if c == "objective_musd" or c.endswith("_musd")]
    for m in measures:
        x = ok[m].dropna()
        if x.empty:
            continue
        rows.append((m, "count", float(len(x))))
        if grid:  # points chosen: their range, no distribution (module docstring)
            rows += [(m, "min", float(x.min())), (m, "max", float(x.max()))]
            continue
        d = x - x.iloc[0]  # exact for a measure that does not vary (module docstring)
        rows += [(m, "mean", float(x.iloc[0] + d.mean())),
                 (m, "std", float(d.std(ddof=1)) if len(x) > 1 else math.nan),
                 (m, "min", float(x.min()))]
        rows += [(m, f"p{int(q * 100):02d}", float(x.quantile(q))) for q in PERCENTILES]
        rows.append((m, "max", float(x.max())))
    for c in [c for c in kpis.columns if c.startswith("built_")]:
        x = ok[c].fillna(0.0)
        if len(x):
            rows.append((c.removeprefix("built_"), SHARE_BUILT["grid" if grid else "draws"],
                         float((x > BUILT).mean())))
            rows.append((c.removeprefix("built_"), "mean_built_share", float(x.mean())))
    return pd.DataFrame(rows, columns=["measure", "statistic", "value"])


#: the draws named in a warning (then "and N more")
DRAWS_NAMED = 5


def named(ids: pd.Series) -> str:
    """The first :data:`DRAWS_NAMED` variant ids, and how many more."""
    ids = ids.astype(str).tolist()
    more = len(ids) - DRAWS_NAMED
    return ", ".join(ids[:DRAWS_NAMED]) + (f" and {more} more" if more > 0 else "")


def one_draw(kpis: pd.DataFrame, stats: str) -> str:
    """A warning when only one draw of a sweep's ``kpis.csv`` has a plan (solved): one
    draw measures no spread, so the statistics made of it (``stats``: what they are and
    where) are that one value; "" otherwise."""
    ok = kpis[kpis["status"].isin(SOLVED)] if "status" in kpis.columns else kpis
    if len(ok) != 1:
        return ""
    return (f"one draw has a plan ({ok['variant'].iloc[0]}): one draw measures no spread, "
            f"so {stats}; give --samples 2 or more")


def failed_draws(kpis: pd.DataFrame, counted: str) -> str:
    """A warning when draws of a sweep's ``kpis.csv`` failed (not solved): how many, of
    which status, which (:func:`named`), and that the statistics made of them (the
    sweep's ``summary.csv``, a sensitivity's ``projects_mc.csv``) leave them out, so are
    of the draws that have a plan; ``counted``: where the table says how many it counts
    (``summary.csv, statistic count``); "" when none failed."""
    bad = kpis.loc[~kpis["status"].isin(SOLVED), "status"] if "status" in kpis.columns \
        else pd.Series(dtype=str)
    if bad.empty:
        return ""
    kinds = ", ".join(f"{k} {n}" for k, n in bad.astype(str).value_counts().items())
    return (f"{len(bad)} of {len(kpis)} draws failed ({kinds}: "
            f"{named(kpis.loc[bad.index, 'variant'])}) and are left out: the "
            f"statistics and P(built) are of the {len(kpis) - len(bad)} draws that have a "
            f"plan ({counted}; why: kpis.csv, columns status and message)")
