"""Where a project's yearly cash-flow stream is an approximation: a unit it retires.

A project's incremental NPV is the objective difference, exact. Its yearly stream (and
with it IRR, payback, tax and debt cover) places each period's difference in the years
the project's capacity is there (README *One cash-flow stream*). That is exact when the
project's own capacity is what changes inside the period. A unit the project retires
changes something else:

* the unit would have closed inside a period (retire year R with start < R < end of the
  period, after the project's first year of use f < R): the counterfactual runs it in
  that period's years before R only, but the stream spreads the period's difference
  over the project's years there. Splitting the period at R makes it exact;
* the retirement outlasts the project, whose use ends at E = f + life inside a period
  (start < E < end) while the unit would still have run there (no retire year, or one
  after E): from E the chain misses the unit without the project, which the stream
  spreads over the period's years. Splitting the period at E makes it exact (at a
  period's start E is exact already: the loss then falls in periods of its own).

A unit the counterfactual may life-extend closes where the counterfactual decides (its
retire year, or its extension's end): the run alone leaves it out, the comparison checks
it against the counterfactual's plan (the review's case d: extended to 2034, it would
have run all through p2, and the stream is exact).

:func:`approximate_streams` names each project of the plan so affected. Whole-column
work, a Python step per project named only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.discount import Discounting, years_text
from chainopt.case.schema import split_list
from chainopt.report.average_year import extended_in_full, standing_capacity


def approximate_streams(case, tables: dict[str, pd.DataFrame], limit: int = 3,
                        counterfactuals: dict[str, pd.DataFrame] | None = None) -> list[str]:
    """One warning per (built project, unit it retires) whose yearly stream is an
    approximation (see the module); the first ``limit``, then how many more.

    A unit with a ``retire_year`` and ``life_extension_yr`` closes in the counterfactual
    at its retire year, or that many years later if the counterfactual extends it (all
    of its capacity): the run alone (``counterfactuals`` None) cannot tell, so it leaves
    such units out; given ``counterfactuals`` (project -> the investments table of the
    run without it, :func:`chainopt.api.counterfactuals`), only those units of those
    projects are checked, against the year the counterfactual closes them."""
    inv = tables.get("investments")
    pj = case.tables.get("projects")
    if inv is None or pj is None or inv.empty or "retires_units" not in pj:
        return []
    built = inv.loc[inv["kind"] == "project", ["name", "first_use_year", "lifetime_yr"]]
    built = built.drop_duplicates("name").rename(columns={"name": "project"})
    retires = split_list(pj.set_index("project")["retires_units"]).rename("unit")
    if built.empty or retires.empty:
        return []
    units = case.tables["units"].set_index("unit")
    pairs = built.merge(retires.reset_index(), on="project")
    pairs["retire_year"] = units["retire_year"].reindex(pairs["unit"]).to_numpy(float)
    ext_yr = (pd.to_numeric(units["life_extension_yr"], errors="coerce").fillna(0.0)
              if "life_extension_yr" in units else pd.Series(0.0, index=units.index))
    pairs["extension_yr"] = ext_yr.reindex(pairs["unit"]).to_numpy(float)
    open_ = pairs["retire_year"].notna() & (pairs["extension_yr"] > 0)
    pairs["extended"] = False
    if counterfactuals is None:
        pairs = pairs[~open_]  # the counterfactual decides: the comparison checks these
    else:
        pairs = pairs[open_ & pairs["project"].isin(set(counterfactuals))].copy()
        # what stands in its last year (units_by_period.csv applied) is what an
        # extension must keep to keep all of it
        capacity = standing_capacity(case, pairs["unit"], pairs["retire_year"])
        for j in set(pairs["project"]):  # against each project's own counterfactual
            mine = (pairs["project"] == j).to_numpy()
            pairs.loc[mine, "extended"] = extended_in_full(
                counterfactuals[j], pairs.loc[mine, "unit"], capacity[mine])
        pairs.loc[pairs["extended"], "retire_year"] += pairs.loc[pairs["extended"],
                                                                 "extension_yr"]
    if pairs.empty:
        return []
    pairs = pairs.reset_index(drop=True)
    periods = case.meta.periods
    disc = Discounting.from_meta(case.meta)
    r = pairs["retire_year"].to_numpy(float)
    f = pairs["first_use_year"].to_numpy(float)
    at_r, r_inside = disc.mid_period(r)
    stop = f + pairs["lifetime_yr"].to_numpy(float)  # the first year the project is gone
    at_e, e_inside = disc.mid_period(stop)
    inside = (f < r) & r_inside
    outlasts = ~inside & e_inside & (np.isnan(r) | (r > stop))
    found: list[str] = []
    tail = "so its IRR, payback, tax and debt cover are approximate (its NPV is exact)"
    for i in np.flatnonzero(inside | outlasts):
        row = pairs.iloc[i]
        head = f"project {row['project']} retires unit {row['unit']}"
        if inside[i]:
            year, p = int(r[i]), periods[at_r[i]]
            how = (" (life-extended without the project)" if row["extended"] else
                   " (not life-extended without the project)" if counterfactuals is not None
                   else "")
            what = (f"{head}, which would have run until {year - 1}{how}, inside period "
                    f"{p.period} ({years_text(p.start_year, p.start_year + p.length_yr)}): its "
                    "yearly cash flows spread that period's gain over all its years")
        else:
            year, p = int(stop[i]), periods[at_e[i]]
            until = ("" if np.isnan(r[i]) else f" (until {int(r[i]) - 1}"
                     + (", life-extended without the project" if row["extended"] else "")
                     + ")")
            what = (f"{head}, which would have run on{until}, but its own use ends in "
                    f"{year - 1}, inside period {p.period} ({p.start_year}-"
                    f"{p.start_year + p.length_yr - 1}): its yearly cash flows spread the "
                    f"unit's loss from {year} over all that period's years")
        found.append(f"{what}, {tail}; split {p.period} at {year} (scenario change split) "
                     "to make them exact")
    if len(found) > limit:
        found = [*found[:limit], f"and {len(found) - limit} more units retired by projects "
                                 "make their yearly cash flows approximate"]
    return found

