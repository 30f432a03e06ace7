"""Builds that come into use, and capacity that retires, inside a period: where the
average-year model may flatter a plan.

Every yearly limit (a capacity, a supply limit, a sales cap, an emission cap) holds for a
period's representative year, the discount-weighted average of its years. A build usable
from year f inside period t (start s < f < s + L) counts there with its usable share
``sum_{y >= f in t} d(y) / w_t``: its capacity is concentrated in the years from f, but the
other limits of t hold only on the average. So in its usable years the build may run
beyond what those limits allow year by year, and the period's value is then too high
(the README's *Time model* works an example: 0.625 MUSD for a plan worth -0.875 year by
year). A limit need not bind on the average for that: a 20 kt/yr plant used in one year
of three under a 10 kt/yr cap sells 6.04 on the average, 20 in its year. A period
boundary at f makes the model exact: there the build's capacity is the same in each year
of its periods.

Which plans are exact is read year by year (:func:`chainopt.diagnose.year_check.year_breaks`,
``breaks``): each capacity that varies inside its period runs in each year as that year's
capacity allows, what it changes is carried through the balances as the plan carries it,
and every row and bound touched is checked in every year. With no break the plan is
feasible year by year at the same value (exact, no warning).
:func:`mid_period_builds` names each build whose capacity so read breaks another limit of
the period (the rows and bounds broken, the years, by how much) and says how to value it:
split the period at f. :func:`mid_period_retirements` does the same at the other end of a
life: capacity retiring inside a period (a unit's ``retire_year``, a life extension's or a
build's end); :func:`ramping_builds` a build whose ``ramp_up`` changes its usable share
inside a period (its shares averaged there as a start is). A build's capacity is that of
its units and links, and for a project also that of the units it retires (which stand in
the years before it). Whole-column work: a case of thousands of builds makes no Python
call per build or per row, only per build named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from chainopt.case.discount import Discounting

if TYPE_CHECKING:  # the reading is made on the solver side (diagnose/, with highspy)
    from chainopt.diagnose.year_check import YearBreaks

#: activity, capacity and marginal values below this are the solver's noise
_TOL = 1e-6
_KEYS = ["kind", "name"]


def mid_period_builds(case, tables: dict[str, pd.DataFrame], breaks: YearBreaks,
                      limit: int = 3) -> list[str]:
    """One warning per build that comes into use inside a period whose capacity, read year
    by year, breaks another limit of that period (``breaks``:
    :func:`chainopt.diagnose.year_check.year_breaks`; see the module); the first ``limit``
    named, then how many more."""
    inv = tables.get("investments")
    if inv is None or inv.empty or breaks.empty:
        return []
    periods = case.meta.periods
    b = inv.loc[inv["kind"].isin(("unit", "link", "project")), ["kind", "name",
                                                                  "first_use_year"]]
    at, inside = Discounting.from_meta(case.meta).mid_period(b["first_use_year"])
    names = np.array([p.period for p in periods], dtype=object)
    b = b[inside].assign(at=at[inside], period=names[at[inside]]).drop_duplicates(_KEYS)
    if b.empty:
        return []
    own = pd.concat([_members(case, b), _retired_members(case, b)], ignore_index=True)
    return _said(b, b["kind"], b["name"], own, breaks,
                 lambda r, others: _warning(r, periods[r.at], others), limit,
                 "builds come into use inside a period (investments.csv, first_use_year)")


def ramping_builds(case, tables: dict[str, pd.DataFrame], breaks: YearBreaks,
                   limit: int = 3) -> list[str]:
    """One warning per build whose usable share changes inside a period because of its
    ``ramp_up`` and whose capacity, read year by year, breaks another limit of that
    period (``breaks``, see the module): the relaxation of a first use inside a period,
    by degrees.
    The build counts there with the discount-weighted average of its shares, the other
    limits hold on the average year, so the years of its larger shares may make up for
    its ramp-up years beyond what those limits allow year by year (the README's case: a
    link of ramp_up 0.5;0.8 in one 2026-2028 period, reported at 0.845 MUSD, worth 0.720
    built as reported). A change of share in year c (the ramp's k-th year to its next,
    while the build is alive) inside a period (after its first year) is one; its first
    use inside a period is :func:`mid_period_builds`'. Splitting the period at each such
    year values it year by year. Whole-column work, as the module's."""
    if breaks.empty:
        return []
    steps = _ramp_steps(case, tables.get("investments"))
    if steps.empty:
        return []
    periods = case.meta.periods
    steps = steps.sort_values(["first_use_year", "year"], kind="stable")
    keys = [*_KEYS, "period"]
    g = steps.drop_duplicates(keys).set_index(keys)  # the first build ramping there
    g["years"] = steps.groupby(keys)["year"].apply(lambda y: sorted(set(y)))
    g = g.reset_index()
    own = pd.concat([_members(case, g), _retired_members(case, g)], ignore_index=True)
    return _said(g, g["kind"], g["name"], own, breaks,
                 lambda r, others: _ramp_warning(r, periods[r.at], others),
                 limit, "builds ramp up inside a period (units.csv, links.csv, projects.csv "
                        "ramp_up)")



def _ramp_steps(case, inv: pd.DataFrame | None) -> pd.DataFrame:
    """Each change of a built build's usable share inside a period because of its
    ``ramp_up``: ``kind``, ``name``, ``first_use_year``, ``lifetime_yr``, ``ramp`` (its
    text), ``year`` (the ramp's k-th year to its next, c = f + k, while the build is
    alive), ``at`` and ``period`` (the period holding c after its first year:
    :meth:`~chainopt.case.discount.Discounting.mid_period`); one in a period's first year
    is not one: every year of that period has the new share."""
    cols = ["kind", "name", "first_use_year", "lifetime_yr", "ramp", "at", "period", "year"]
    if inv is None or inv.empty:
        return pd.DataFrame(columns=cols)
    b = inv[inv["kind"].isin(("unit", "link", "project"))
            & (inv["amount"].astype(float) > _TOL)]
    text = pd.Series("", index=b.index, dtype=object)
    for kind, table in (("unit", "units"), ("link", "links"), ("project", "projects")):
        t = case.tables.get(table)
        if t is None or "ramp_up" not in t:
            continue
        ramps = t["ramp_up"].fillna("").astype(str).str.strip()
        ramps = pd.Series(ramps[ramps != ""].to_numpy(), index=t.loc[ramps != "", kind])
        mine = (b["kind"] == kind).to_numpy()
        if len(ramps) and mine.any():
            text[mine] = b.loc[mine, "name"].map(ramps).fillna("").to_numpy()
    b = b.assign(ramp=text)[text.to_numpy() != ""]
    if b.empty:
        return pd.DataFrame(columns=cols)
    from chainopt.case.vintage import parse_ramp  # lazy: the model side

    full = np.hstack([parse_ramp(b["ramp"]), np.ones((len(b), 1))])  # then 1 to the end
    f = b["first_use_year"].to_numpy(float)
    life = b["lifetime_yr"].to_numpy(float)
    k = np.arange(1, full.shape[1])  # the share of year f + k against year f + k - 1
    moves = (np.abs(full[:, 1:] - full[:, :-1]) > 1e-12) & (k[None, :] < life[:, None])
    row, col = np.nonzero(moves)
    year = f[row] + k[col]
    at, inside = Discounting.from_meta(case.meta).mid_period(year)
    names = np.array([p.period for p in case.meta.periods], dtype=object)
    return b.iloc[row[inside]][cols[:5]].assign(at=at[inside], period=names[at[inside]],
                                                 year=year[inside].astype(int))

def _ramp_warning(r, p, others: list) -> str:
    """The warning of build ``r`` whose usable share changes inside period ``p`` in
    ``r.years`` (its ``ramp_up``) and whose capacity, read year by year, breaks
    ``others`` (:func:`_others`)."""
    from chainopt.case.vintage import parse_ramp  # lazy: the model side

    n, beyond = _broken(others, p.period)
    last = p.start_year + p.length_yr - 1
    f, end = int(r.first_use_year), int(r.first_use_year + r.lifetime_yr) - 1
    ramp = parse_ramp([r.ramp])[0]
    spans: list[list] = []  # [share, first year, last year] of the build's years in p
    for y in range(max(p.start_year, f), min(last, end) + 1):
        share = float(ramp[y - f]) if y - f < len(ramp) else 1.0
        if spans and abs(spans[-1][0] - share) <= 1e-12:
            spans[-1][2] = y
        else:
            spans.append([share, y, y])
    told = [f"{100 * s:g} %" + (" of its capacity" if i == 0 else "") + f" in {a}"
            + (f"-{z}" if z > a else "") for i, (s, a, z) in enumerate(spans)]
    shares = told[0] if len(told) == 1 else f"{', '.join(told[:-1])} and {told[-1]}"
    years = [int(y) for y in r.years]
    splits = " and ".join(f"split: {p.period}, at: {y}" for y in reversed(years))
    start = (f"start a period in {years[0]} (a scenario change {splits})" if len(years) == 1
             else f"start a period in each of {', '.join(map(str, years[:-1]))} and "
                  f"{years[-1]} (scenario changes {splits}, in that order)")
    return (f"{r.kind} {r.name} ramps up inside period {p.period} ({p.start_year}-{last}): "
            f"usable at {shares} ({r.kind}s.csv, ramp_up {r.ramp}), and the plan uses it "
            f"there {beyond}: {'it holds' if n == 1 else 'they hold'} on the period's "
            "average year, where the build counts with the average of its shares, but the "
            f"plan read year by year, the build at each year's share, breaks "
            f"{'it' if n == 1 else 'them'}, so the plan's value may be too high (README, "
            f"Time model). To value it year by year, {start} and compare")


def _retired_members(case, builds: pd.DataFrame) -> pd.DataFrame:
    """The units each project of ``builds`` retires (``retires_units``), as rows of
    :func:`_members` (``build_kind`` 'project'): their capacity stands in the years before
    the project's, so its rows bind on the period's average exactly as the units run year
    by year, no other limit a build could run past (the unit a project replaces)."""
    pj = case.tables.get("projects")
    names = set(builds.loc[builds["kind"] == "project", "name"])
    if pj is None or "retires_units" not in pj or not names:
        return pd.DataFrame(columns=["build_kind", "build", "kind", "name", "from_site",
                                     "to_site"])
    from chainopt.case.schema import split_list  # lazy: the model side

    pj = pj[pj["project"].isin(names)]
    retired = split_list(pj.set_index("project")["retires_units"]).rename("name")
    m = pd.DataFrame({"build_kind": "project", "build": retired.index.to_numpy(),
                      "kind": "unit", "name": retired.to_numpy()})
    return m.join(_ends(case, m["kind"], m["name"]))


def _said(rows: pd.DataFrame, build_kind: pd.Series, build: pd.Series, own: pd.DataFrame,
          breaks: YearBreaks, write, limit: int, more: str) -> list[str]:
    """The warnings ``write(row, others)`` of the first ``limit`` of ``rows`` (each a
    build, ``build_kind`` and ``build`` its keys in ``own``, in its ``period``) whose
    units' or links' capacity of that period breaks a row of ``breaks`` (``others``:
    :func:`_others`), then how many ``more``. Which rows have one is found for all at
    once (a merge), so only the builds named cost a Python call."""
    keyed = pd.DataFrame({"i": np.arange(len(rows)), "build_kind": build_kind.to_numpy(),
                          "build": build.to_numpy(), "period": rows["period"].to_numpy()})
    mine = keyed.merge(own[["build_kind", "build", "kind", "name"]].drop_duplicates(),
                       on=["build_kind", "build"])
    hit = breaks.of(mine)
    named = np.unique(hit["i"].to_numpy(np.int64))
    found: list[str] = []
    for i in named[:limit]:  # the builds named: at most ``limit``
        r = next(rows.iloc[[i]].itertuples(index=False))
        found.append(write(r, _others(hit[hit["i"] == i])))
    if len(named) > limit:
        found.append(f"and {len(named) - limit} more {more}")
    return found


def _others(hit: pd.DataFrame) -> list[tuple[str, str, list[tuple], float]]:
    """The rows and bounds ``hit`` breaks, one per (family, key), the largest break
    first: ``(family, key, sides, excess)``, ``sides`` each side broken (``side``,
    ``bound``, the largest ``excess`` there, its ``years``) in the order of its first
    year, and ``excess`` the largest of all (equal ones in the order ``hit`` first names
    them). The two sides are kept apart: a row above its limit in some years of a period
    and below its lower bound in others (the reading keeps the period's average, so years
    far above may leave others below 0) is two breaks of different sizes, not one. The
    breaks of one build, a few dozen rows: read in plain Python."""
    sides: dict[tuple, list] = {}  # (family, key, side) -> [years, bound, excess]
    for family, key, side, year, bound, excess in zip(
            hit["family"], hit["key"], hit["side"], hit["year"].to_numpy(float),
            hit["bound"].to_numpy(float), hit["excess"].to_numpy(float), strict=True):
        s = sides.setdefault((family, key, side), [set(), np.nan, excess])
        s[0].add(int(year))
        if np.isnan(s[1]):  # the first bound stated (a row's is NaN)
            s[1] = float(bound)
        s[2] = max(s[2], excess)
    rows: dict[tuple, list] = {}  # (family, key) -> its sides, in order of first year
    for (family, key, side), (years, bound, excess) in sorted(
            sides.items(), key=lambda kv: min(kv[1][0])):
        rows.setdefault((family, key), []).append((side, bound, float(excess),
                                                   sorted(years)))
    out = [(family, key, s, max(e for _, _, e, _ in s)) for (family, key), s in rows.items()]
    return sorted(out, key=lambda r: r[3], reverse=True)


def _side(side: str, bound: float, excess: float, years: list[int]) -> str:
    """One side of a break: 'above its upper bound 600 by 799.3 in 2031-2032', 'below its
    lower bound 0 by 74.95 in 2033-2035' (a column's own bound is stated; a row's is in
    the matrix's terms and is not)."""
    stated = "" if np.isnan(bound) else f" {bound:g}"
    where = "above its upper" if side == "upper" else "below its lower"
    return f"{where} bound{stated} by {excess:.4g} in {_years(years)}"


def _years(years: list[int]) -> str:
    """2029, 2029-2030, 2028 and 2030, 2026-2027 and 2029."""
    spans: list[list[int]] = []
    for y in years:
        if spans and y == spans[-1][1] + 1:
            spans[-1][1] = y
        else:
            spans.append([y, y])
    told = [f"{a}" if a == z else f"{a}-{z}" for a, z in spans]
    return told[0] if len(told) == 1 else f"{', '.join(told[:-1])} and {told[-1]}"


def _broken(others: list, period: str) -> tuple[int, str]:
    """How many rows ``others`` breaks and the words of the first two, each side
    (:func:`_side`): 'beyond 1 other yearly limit of p1 (market.sales (site=plant, ...),
    above its upper bound 5 by 7.5 in 2029-2030)'."""
    n = len(others)
    said = "; ".join(f"{family} ({key}), " + " and ".join(_side(*s) for s in sides)
                     for family, key, sides, _ in others[:2])
    return n, (f"beyond {n} other yearly limit{'s' if n > 1 else ''} of {period} year by "
               f"year ({'e.g. ' if n > 2 else ''}{said})")


def mid_period_retirements(case, tables: dict[str, pd.DataFrame], breaks: YearBreaks,
                           limit: int = 3) -> list[str]:
    """One warning per capacity that retires inside a period whose capacity, read year by
    year, breaks another limit of that period (``breaks``): the same relaxation as a
    build's first use (see the module), at the other end of a life. Capacity retiring in year R
    (start s < R <= the period's last year) counts in that period with the share
    ``sum_{y < R in t} d(y) / w_t``, concentrated in s..R-1, while the other limits hold
    on the average; so the plan may lean on it, or on what replaces it, beyond what those
    limits allow year by year (the README's case: a plan reported at 6.445 MUSD worth
    5.396 built as reported). Retiring are an existing unit's ``retire_year`` (unless the
    plan extends all of the unit's capacity), a life extension's end, and a build's or
    project's end of life (``first_use_year + lifetime_yr``, investments.csv); a split at
    R values it year by year."""
    if breaks.empty:
        return []
    ends = _ends_of_life(case, tables.get("investments"))
    if ends.empty:
        return []
    periods = case.meta.periods
    at, inside = Discounting.from_meta(case.meta).mid_period(ends["year"])
    names = np.array([p.period for p in periods], dtype=object)
    e = ends[inside].assign(at=at[inside], period=names[at[inside]])
    if e.empty:
        return []
    return _said(e, pd.Series("end", index=e.index), pd.Series(e.index, index=e.index),
                 _end_members(case, e), breaks,
                 lambda r, others: _retire_warning(r, periods[r.at], others),
                 limit, "capacities retire inside a period (units.csv retire_year; "
                        "investments.csv first_use_year + lifetime_yr)")


def _ends_of_life(case, inv: pd.DataFrame | None) -> pd.DataFrame:
    """Each end of a life in the plan: ``kind`` (``existing``, ``extension``, ``unit``,
    ``link``, ``project``), ``build`` (the unit, link or project), ``built`` (the period
    built in, '' for existing capacity and extensions), ``life`` and ``year`` (the first
    year it is gone). Existing capacity the plan extends in full (all of what stands in
    its last year, :func:`standing_capacity`) retires at the extension's end only; a
    unit a built project retires by its retire year (``retires_units``) goes when that
    project comes into use, which :func:`mid_period_builds` looks at."""
    units = case.tables["units"]
    inv = inv if inv is not None else pd.DataFrame(
        columns=["kind", "name", "period", "amount", "first_use_year", "lifetime_yr"])
    retire = pd.to_numeric(units.get("retire_year", pd.Series(np.nan, index=units.index)),
                           errors="coerce")
    if retire.notna().any():
        capacity = standing_capacity(case, units["unit"], retire)
        kept = extended_in_full(inv, units["unit"], capacity)
        replaced = units["unit"].map(_retired_by_projects(case, inv))
        early = replaced.notna() & (replaced.astype(float) <= retire)
        old = units[retire.notna().to_numpy() & (capacity > _TOL) & ~kept & ~early.to_numpy()]
    else:  # no unit retires by a year of its own
        old = units.iloc[:0]
    b = inv[inv["kind"].isin(("unit", "link", "project", "extension"))
            & (inv["amount"].astype(float) > _TOL)]
    if old.empty and b.empty:  # nothing ends
        return pd.DataFrame(columns=["kind", "build", "built", "life", "year"])
    rows = [pd.DataFrame({"kind": "existing", "build": old["unit"],
                          "built": "", "life": np.nan, "year": retire[old.index]})]
    rows.append(pd.DataFrame({
        "kind": b["kind"], "build": b["name"], "built": np.where(b["kind"] == "extension", "",
                                              b["period"].astype(str)),
        "life": b["lifetime_yr"].astype(float),
        "year": b["first_use_year"].astype(float) + b["lifetime_yr"].astype(float)}))
    out = pd.concat(rows, ignore_index=True).dropna(subset=["year"])
    out["year"] = np.ceil(out["year"].astype(float)).astype(int)
    return out.drop_duplicates(["kind", "build", "year"]).reset_index(drop=True)


def standing_capacity(case, units: pd.Series, retire: pd.Series) -> np.ndarray:
    """Each unit's existing capacity in the last year before it retires in ``retire``
    (the period holding year ``retire - 1``, ``units_by_period.csv`` applied): what
    retires then, and what a life extension must keep to keep all of it. Where the year
    lies outside the periods, the period-less ``capacity_k_per_yr``."""
    from chainopt.case.index import by_period  # lazy: the model side

    rows = case.tables["units"]
    default = pd.to_numeric(rows.set_index("unit")["capacity_k_per_yr"], errors="coerce")
    dated = set(units[retire.notna().to_numpy()])  # (only these: a case may have 100k)
    per = by_period(case, "units", ["capacity_k_per_yr"], rows[rows["unit"].isin(dated)])
    per = pd.to_numeric(per.set_index(["unit", "period"])["capacity_k_per_yr"],
                        errors="coerce")
    periods = case.meta.periods
    starts = np.array([p.start_year for p in periods], dtype=float)
    last = periods[-1].start_year + periods[-1].length_yr - 1
    year = retire.to_numpy(float) - 1
    pos = np.searchsorted(starts, np.nan_to_num(year, nan=-np.inf), side="right") - 1
    ok = ~np.isnan(year) & (pos >= 0) & (year <= last)
    names = np.array([p.period for p in periods], dtype=object)
    keys = pd.MultiIndex.from_arrays([units.to_numpy(), names[np.where(ok, pos, 0)]])
    out = np.where(ok, per.reindex(keys).to_numpy(float),
                   default.reindex(units.to_numpy()).to_numpy(float))
    return np.nan_to_num(out, nan=0.0)


def extended_in_full(investments: pd.DataFrame | None, units: pd.Series,
                     capacity: np.ndarray) -> np.ndarray:
    """Whether ``investments`` (a plan's) extend the life of all of each unit's
    ``capacity`` (:func:`standing_capacity`): then it retires at its extension's end."""
    if investments is None or investments.empty:
        return np.zeros(len(units), dtype=bool)
    ext = investments[investments["kind"] == "extension"]
    done = units.map(ext.groupby("name")["amount"].sum().astype(float)).fillna(0.0)
    return done.to_numpy(float) >= np.asarray(capacity, dtype=float) * (1 - 1e-9) - _TOL


def _retired_by_projects(case, inv: pd.DataFrame) -> pd.Series:
    """The first year of use of the earliest built project that retires each unit
    (``retires_units``), by unit."""
    pj = case.tables.get("projects")
    if pj is None or "retires_units" not in pj or inv.empty:
        return pd.Series(dtype=float)
    from chainopt.case.schema import split_list  # lazy: the model side

    built = inv[(inv["kind"] == "project") & (inv["amount"].astype(float) > _TOL)]
    first = built.groupby("name")["first_use_year"].min().astype(float)
    retires = split_list(pj.set_index("project")["retires_units"]).rename("unit")
    pairs = retires.reset_index().merge(first.rename("year"), left_on="project",
                                        right_index=True)
    return pairs.groupby("unit")["year"].min()


def _end_members(case, ends: pd.DataFrame) -> pd.DataFrame:
    """The units and links of each end of :func:`_ends_of_life` (``build_kind`` 'end',
    ``build`` its index, its ``period``), as :func:`_members` gives a build's: a unit's
    own capacity (existing, extended) counts when used at all (``brought``), a build's
    above the capacity in place, a project's units and links when used at all."""
    own = ends[ends["kind"] != "project"]
    rows = [pd.DataFrame({"build_kind": "end", "build": own.index,
                          "kind": own["kind"].replace({"existing": "unit",
                                                       "extension": "unit"}).to_numpy(),
                          "name": own["build"].to_numpy(),
                          "brought": own["kind"].isin(("existing", "extension")).to_numpy(),
                          "period": own["period"].to_numpy()})]
    projects = ends[ends["kind"] == "project"]
    for kind, table in (("unit", "units"), ("link", "links")):
        t = case.tables.get(table)
        if len(projects) and t is not None and "project" in t:
            m = projects.reset_index(names="end").merge(
                t[["project", kind]].rename(columns={"project": "build"}), on="build")
            rows.append(pd.DataFrame({"build_kind": "end", "build": m["end"], "kind": kind,
                                      "name": m[kind], "brought": True,
                                      "period": m["period"]}))
    m = pd.concat(rows, ignore_index=True)
    return m.join(_ends(case, m["kind"], m["name"]))



def _end_words(r) -> str:
    """What retires in end ``r`` of :func:`_ends_of_life`: 'unit x built in p1 retires in
    2029 (the end of its 3-year life)'."""
    year = int(r.year)
    life = "" if np.isnan(r.life) else f" (the end of its {r.life:g}-year life)"
    return {"existing": f"the existing capacity of unit {r.build} retires in {year} "
                        "(units.csv, retire_year)",
            "extension": f"unit {r.build} retires in {year}, the end of its life extension",
            "unit": f"unit {r.build} built in {r.built} retires in {year}{life}",
            "link": f"link {r.build} built in {r.built} retires in {year}{life}",
            "project": f"project {r.build} built in {r.built} retires in {year}{life}"
            }[r.kind]


def uneven_periods(case, tables: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """The periods of a plan whose years differ, each with what makes them differ: a build
    coming into use after the period's first year (investments.csv ``first_use_year``),
    one whose usable share changes there (``ramp_up``: :func:`_ramp_steps`), and capacity
    retiring there (:func:`_ends_of_life`: an existing unit's ``retire_year``, a life
    extension's or a build's end), each year placed by
    :meth:`~chainopt.case.discount.Discounting.mid_period`. Whatever the plan's use of it:
    its capacity, annuity and fixed O&M count in its years only, so the period's values
    (``x_t = sum_y d(y) x_y / w_t``) are its discount-weighted average year and not the
    value of each of its years. In a period with none, every year is the same as the
    average: its value is that of each of its years, and of any span of them (compare
    reads it so, :mod:`chainopt.report.holding`). The manifest's ``uneven_periods``."""
    inv = tables.get("investments")
    names = np.array([p.period for p in case.meta.periods], dtype=object)
    disc = Discounting.from_meta(case.meta)
    said: list[tuple[int, int, str]] = []  # (period position, year, words)
    if inv is not None and len(inv):
        b = inv[inv["kind"].isin(("unit", "link", "project"))
                & (inv["amount"].astype(float) > _TOL)].drop_duplicates(_KEYS)
        at, inside = disc.mid_period(b["first_use_year"].astype(float))
        said += [(int(a), int(r.first_use_year), f"{r.kind} {r.name} comes into use in "
                  f"{int(r.first_use_year)}")
                 for a, r in zip(at[inside], b[inside].itertuples(index=False), strict=True)]
        steps = _ramp_steps(case, inv)
        said += [(int(r.at), int(r.year), f"{r.kind} {r.name}'s usable share changes in "
                  f"{int(r.year)} (ramp_up {r.ramp})")
                 for r in steps.drop_duplicates([*_KEYS, "year"]).itertuples(index=False)]
    ends = (_ends_of_life(case, inv) if case.tables.get("units") is not None
            else pd.DataFrame())  # (a case without units: links and trade only)
    if len(ends):
        at, inside = disc.mid_period(ends["year"])
        said += [(int(a), int(r.year), _end_words(r))
                 for a, r in zip(at[inside], ends[inside].itertuples(index=False),
                                 strict=True)]
    out: dict[str, list[str]] = {}
    for a, _, words in sorted(said, key=lambda t: (t[0], t[1])):
        out.setdefault(str(names[a]), []).append(words)
    return out

def _retire_warning(r, p, others: list) -> str:
    """The warning of capacity ``r`` retiring inside period ``p`` whose capacity, read
    year by year, breaks ``others`` (:func:`_others`)."""
    n, beyond = _broken(others, p.period)
    year, last = int(r.year), p.start_year + p.length_yr - 1
    what = _end_words(r)
    before = (f"{p.start_year}" if year - 1 == p.start_year
              else f"{p.start_year}-{year - 1}")
    return (f"{what}, inside period {p.period} ({p.start_year}-{last}), and the plan uses "
            f"it there {beyond}: {'it holds' if n == 1 else 'they hold'} on the period's "
            f"average year, but that capacity is there in {before} only, and the plan read "
            f"year by year breaks {'it' if n == 1 else 'them'}, so the plan as reported may "
            "be worth less than the objective says (README, Time model). To value it year "
            f"by year, start a period in {year} (a scenario change split: {p.period}, at: "
            f"{year}) and compare")


def _warning(r, p, others: list) -> str:
    """The warning of build ``r`` coming into use inside period ``p`` whose capacity,
    read year by year, breaks ``others`` (:func:`_others`)."""
    n, beyond = _broken(others, p.period)
    first, last = int(r.first_use_year), p.start_year + p.length_yr - 1
    usable = f"{first}-{last}" if last > first else f"{first}"
    return (f"{r.kind} {r.name} comes into use in {first}, inside period {p.period} "
            f"({p.start_year}-{last}), and the plan uses it there {beyond}: "
            f"{'it holds' if n == 1 else 'they hold'} on the period's average year, but "
            f"the plan read year by year, with the build in {usable} only, breaks "
            f"{'it' if n == 1 else 'them'}, so the plan's value may be too high (README, "
            f"Time model). To value it year by year, start a period in {first} (a scenario "
            f"change split: {p.period}, at: {first}) and compare")


def _members(case, builds: pd.DataFrame) -> pd.DataFrame:
    """The units and links of each build (``build_kind``, ``build``, its ``period``): a
    unit's or link's own expansion, a project's units and links (``brought``: capacity
    none of which was in place), with the sites each touches (:func:`_ends`)."""
    own = builds[builds["kind"] != "project"]
    rows = [pd.DataFrame({"build_kind": own["kind"], "build": own["name"],
                          "kind": own["kind"], "name": own["name"], "brought": False})]
    projects = builds[builds["kind"] == "project"]
    for kind, table in (("unit", "units"), ("link", "links")):
        t = case.tables.get(table)
        if len(projects) and t is not None and "project" in t:
            t = t[t["project"].isin(set(projects["name"]))]
            rows.append(pd.DataFrame({"build_kind": "project", "build": t["project"],
                                      "kind": kind, "name": t[kind], "brought": True}))
    m = pd.concat(rows, ignore_index=True).merge(
        builds[["kind", "name", "period"]].rename(columns={"kind": "build_kind",
                                                           "name": "build"}),
        on=["build_kind", "build"])
    return m.join(_ends(case, m["kind"], m["name"]))


def _ends(case, kinds: pd.Series, names: pd.Series) -> pd.DataFrame:
    """The sites of units (``from_site`` = ``to_site`` = their site) and links (their two
    ends); '' where neither."""
    units = case.tables["units"].set_index("unit")["site"]
    links = case.tables.get("links")
    ends = (links.set_index("link")[["from_site", "to_site"]] if links is not None
            else pd.DataFrame({"from_site": [], "to_site": []}, dtype=object))
    unit = (kinds == "unit").to_numpy()
    site = names.map(units)
    return pd.DataFrame({
        "from_site": np.where(unit, site, names.map(ends["from_site"])),
        "to_site": np.where(unit, site, names.map(ends["to_site"]))},
        index=names.index).fillna("").astype(str)
