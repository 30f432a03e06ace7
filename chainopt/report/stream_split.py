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
* the retirement outlasts the project (its use ends at E = f + life inside the horizon,
  the unit would have run past E): after E the chain still misses the unit, which the
  stream places in the project's years of use instead.

:func:`approximate_streams` names each project of the plan so affected. Whole-column
work, a Python step per project named only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.discount import Discounting
from chainopt.case.schema import split_list


def approximate_streams(case, tables: dict[str, pd.DataFrame], limit: int = 3) -> list[str]:
    """One warning per (built project, unit it retires) whose yearly stream is an
    approximation (see the module); the first ``limit``, then how many more."""
    inv = tables.get("investments")
    pj = case.tables.get("projects")
    if inv is None or pj is None or inv.empty or "retires_units" not in pj:
        return []
    built = inv.loc[inv["kind"] == "project", ["name", "first_use_year", "lifetime_yr"]]
    built = built.drop_duplicates("name").rename(columns={"name": "project"})
    retires = split_list(pj.set_index("project")["retires_units"]).rename("unit")
    if built.empty or retires.empty:
        return []
    units = case.tables["units"].set_index("unit")["retire_year"]
    pairs = built.merge(retires.reset_index(), on="project")
    pairs["retire_year"] = units.reindex(pairs["unit"]).to_numpy(float)
    periods = case.meta.periods
    starts = np.array([p.start_year for p in periods])
    ends = starts + np.array([p.length_yr for p in periods])
    horizon_end = Discounting.from_meta(case.meta).end_year
    r = pairs["retire_year"].to_numpy(float)
    f = pairs["first_use_year"].to_numpy(float)
    at = np.clip(np.searchsorted(starts, np.nan_to_num(r), side="right") - 1, 0, None)
    inside = (f < r) & (r > starts[at]) & (r < ends[at])
    stop = f + pairs["lifetime_yr"].to_numpy(float)  # the first year the project is gone
    outlasts = (stop < horizon_end) & (np.isnan(r) | (r > stop))
    found: list[str] = []
    for i in np.flatnonzero(inside | outlasts):
        p, row = periods[at[i]], pairs.iloc[i]
        head = f"project {row['project']} retires unit {row['unit']}"
        tail = ("so its IRR, payback, tax and debt cover are approximate (its NPV is "
                "exact)")
        if inside[i]:
            found.append(f"{head}, which would have run until {int(r[i]) - 1}, inside "
                         f"period {p.period} ({p.start_year}-{p.start_year + p.length_yr - 1}"
                         f"): its yearly cash flows spread that period's gain over all its "
                         f"years, {tail}; split {p.period} at {int(r[i])} (scenario change "
                         "split) to make them exact")
        else:
            found.append(f"{head} for good, but its own use ends in {int(stop[i]) - 1}, "
                         f"before the horizon's end ({horizon_end - 1}): its yearly cash "
                         f"flows place the unit's loss after {int(stop[i]) - 1} in the "
                         f"project's years of use, {tail}")
    if len(found) > limit:
        found = [*found[:limit], f"and {len(found) - limit} more units retired by projects "
                                 "make their yearly cash flows approximate"]
    return found
