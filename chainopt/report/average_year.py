"""Builds that come into use, and capacity that retires, inside a period: where the
average-year model may flatter a plan.

Every yearly limit (a capacity, a supply limit, a sales cap, an emission cap) holds for a
period's representative year, the discount-weighted average of its years. A build usable
from year f inside period t (start s < f < s + L) counts there with its usable share
``sum_{y >= f in t} d(y) / w_t``: its capacity is concentrated in the years from f, but the
other limits of t hold only on the average. So in its usable years the build may run
beyond what those limits allow year by year, and the period's value is then too high
(the README's *Time model* works an example: 0.625 MUSD for a plan worth -0.875 year by
year). A period boundary at f makes the check exact: there the build's capacity is the
same in each year of its periods.

:func:`mid_period_builds` names each build the plan *uses* inside such a period (its
unit's or link's use above the capacity in place: existing times availability, or for a
project's units and links anything at all), while another limit binds there with a
marginal value (``constraints.csv``), and says how to check it: split the period at f.
It cannot tell from the average whether that limit holds the build back year by year;
the split re-solve tells. :func:`mid_period_retirements` does the same at the other end
of a life: capacity retiring inside a period (a unit's ``retire_year``, a life
extension's or a build's end), used there while another limit binds;
:func:`ramping_builds` a build whose ``ramp_up`` changes its usable share inside a period
(its shares averaged there as a start is). A build's own capacity rows are no other limit,
nor those of the units a project retires (they stand in the years before it). Whole-column work:
a case of thousands of builds makes no Python call per build or per row, only per build
named.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.discount import Discounting

#: activity, capacity and marginal values below this are the solver's noise
_TOL = 1e-6
_KEYS = ["kind", "name"]


def mid_period_builds(case, tables: dict[str, pd.DataFrame], limit: int = 3) -> list[str]:
    """One warning per build used in a period it comes into use inside of, while another
    limit of that period binds with a value (see the module); the first ``limit`` named,
    then how many more."""
    inv, cap = tables.get("investments"), tables.get("capacity")
    if inv is None or cap is None or inv.empty:
        return []
    periods = case.meta.periods
    b = inv.loc[inv["kind"].isin(("unit", "link", "project")), ["kind", "name",
                                                                  "first_use_year"]]
    at, inside = Discounting.from_meta(case.meta).mid_period(b["first_use_year"])
    names = np.array([p.period for p in periods], dtype=object)
    b = b[inside].assign(at=at[inside], period=names[at[inside]]).drop_duplicates(_KEYS)
    if b.empty:
        return []
    members = _members(case, b)
    b = b[b.set_index(_KEYS).index.isin(_used(cap, members))]
    if b.empty:
        return []
    binding = _binding(tables.get("constraints"), case, set(b["period"]))
    own = pd.concat([members, _retired_members(case, b)], ignore_index=True)
    return _said(b, b["kind"], b["name"], own, binding,
                 lambda r, others, sites: _warning(r, periods[r.at], others, sites), limit,
                 "builds come into use inside a period (investments.csv, first_use_year)")


def ramping_builds(case, tables: dict[str, pd.DataFrame], limit: int = 3) -> list[str]:
    """One warning per build used in a period in which its usable share changes from year
    to year because of its ``ramp_up``, while another limit of that period binds with a
    value: the relaxation of a first use inside a period (see the module), by degrees.
    The build counts there with the discount-weighted average of its shares, the other
    limits hold on the average year, so the years of its larger shares may make up for
    its ramp-up years beyond what those limits allow year by year (the README's case: a
    link of ramp_up 0.5;0.8 in one 2026-2028 period, reported at 0.845 MUSD, worth 0.720
    built as reported). A change of share in year c (the ramp's k-th year to its next,
    while the build is alive) inside a period (after its first year) is one; its first
    use inside a period is :func:`mid_period_builds`'. Splitting the period at each such
    year values it year by year. Whole-column work, as the module's."""
    inv, cap = tables.get("investments"), tables.get("capacity")
    if inv is None or cap is None or inv.empty:
        return []
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
        return []
    from chainopt.case.vintage import parse_ramp  # lazy: the model side

    full = np.hstack([parse_ramp(b["ramp"]), np.ones((len(b), 1))])  # then 1 to the end
    f = b["first_use_year"].to_numpy(float)
    life = b["lifetime_yr"].to_numpy(float)
    k = np.arange(1, full.shape[1])  # the share of year f + k against year f + k - 1
    moves = (np.abs(full[:, 1:] - full[:, :-1]) > 1e-12) & (k[None, :] < life[:, None])
    row, col = np.nonzero(moves)
    year = f[row] + k[col]
    disc = Discounting.from_meta(case.meta)
    at, inside = disc.mid_period(year)
    if not inside.any():
        return []
    periods = case.meta.periods
    names = np.array([p.period for p in periods], dtype=object)
    steps = b.iloc[row[inside]][["kind", "name", "first_use_year", "lifetime_yr", "ramp"]
                                ].assign(at=at[inside], period=names[at[inside]],
                                         year=year[inside].astype(int))
    steps = steps.sort_values(["first_use_year", "year"], kind="stable")
    keys = [*_KEYS, "period"]
    g = steps.drop_duplicates(keys).set_index(keys)  # the first build ramping there
    g["years"] = steps.groupby(keys)["year"].apply(lambda y: sorted(set(y)))
    g = g.reset_index()
    members = _members(case, g).drop_duplicates()
    used = _used(cap, members, ["build_kind", "build", "period"])
    g = g[pd.MultiIndex.from_frame(g[keys]).isin(used)]
    if g.empty:
        return []
    binding = _binding(tables.get("constraints"), case, set(g["period"]))
    own = pd.concat([members, _retired_members(case, g)], ignore_index=True)
    return _said(g, g["kind"], g["name"], own, binding,
                 lambda r, others, sites: _ramp_warning(r, periods[r.at], others, sites),
                 limit, "builds ramp up inside a period (units.csv, links.csv, projects.csv "
                        "ramp_up)")


def _ramp_warning(r, p, others: pd.DataFrame, sites: set) -> str:
    """The warning of build ``r`` whose usable share changes inside period ``p`` in
    ``r.years`` (its ``ramp_up``) while ``others`` bind there (those at ``sites`` named
    first)."""
    from chainopt.case.vintage import parse_ramp  # lazy: the model side

    near = others[["site", "from_site", "to_site"]].isin(sites).any(axis=1)
    others = pd.concat([others[near], others[~near]])
    n, last = len(others), p.start_year + p.length_yr - 1
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
    said = "; ".join(f"{fam} ({k})" for fam, k in zip(others["family"].head(2),
                                                     others["key"].head(2), strict=True))
    years = [int(y) for y in r.years]
    splits = " and ".join(f"split: {p.period}, at: {y}" for y in reversed(years))
    start = (f"start a period in {years[0]} (a scenario change {splits})" if len(years) == 1
             else f"start a period in each of {', '.join(map(str, years[:-1]))} and "
                  f"{years[-1]} (scenario changes {splits}, in that order)")
    return (f"{r.kind} {r.name} ramps up inside period {p.period} ({p.start_year}-{last}): "
            f"usable at {shares} ({r.kind}s.csv, ramp_up {r.ramp}), and the "
            f"plan uses it there while {n} other yearly limit{'s' if n > 1 else ''} of "
            f"{p.period} bind{'s' if n == 1 else ''} ({'e.g. ' if n > 2 else ''}{said}): "
            f"{'it holds' if n == 1 else 'they hold'} on the period's average year, where "
            "the build counts with the average of its shares, so its years of a larger "
            "share may make up for its ramp-up years beyond what "
            f"{'it allows' if n == 1 else 'they allow'} year by year and the plan's value "
            f"may be too high (README, Time model). To value it year by year, {start} and "
            "compare")


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
          binding: pd.DataFrame, write, limit: int, more: str) -> list[str]:
    """The warnings ``write(row, others, sites)`` of the first ``limit`` of ``rows`` (each
    a build, ``build_kind`` and ``build`` its keys in ``own``, in its ``period``) in whose
    period a row of ``binding`` binds other than its ``own`` rows' capacity, then how many
    ``more``. Which rows have one is counted for all at once (the binding rows of each
    period less the build's own there), so only the builds named cost a Python call."""
    mine = own[["build_kind", "build", "kind", "name"]].drop_duplicates().merge(
        binding[["kind", "name", "period"]], on=_KEYS)
    n_own = mine.groupby(["build_kind", "build", "period"]).size()
    keys = pd.MultiIndex.from_arrays([build_kind.to_numpy(), build.to_numpy(),
                                      rows["period"].to_numpy()])
    n = (rows["period"].map(binding.groupby("period").size()).fillna(0).to_numpy()
         - n_own.reindex(keys).fillna(0).to_numpy())
    hit = np.flatnonzero(n > 0)
    found: list[str] = []
    for i in hit[:limit]:  # the builds named: at most ``limit``
        r = next(rows.iloc[[i]].itertuples(index=False))
        others, sites = _others(binding, own[(own["build_kind"] == build_kind.iloc[i])
                                             & (own["build"] == build.iloc[i])], r.period)
        found.append(write(r, others, sites))
    if len(hit) > limit:
        found.append(f"and {len(hit) - limit} more {more}")
    return found


def _others(binding: pd.DataFrame, own: pd.DataFrame, period: str
            ) -> tuple[pd.DataFrame, set]:
    """The rows of ``binding`` in ``period`` other than ``own``'s (the capacity rows of
    what is warned of), and the sites ``own`` touches (named first)."""
    others = binding[(binding["period"] == period)
                     & ~binding.set_index(_KEYS).index.isin(own.set_index(_KEYS).index)]
    return others, set(own["from_site"]) | set(own["to_site"])


def mid_period_retirements(case, tables: dict[str, pd.DataFrame], limit: int = 3
                           ) -> list[str]:
    """One warning per capacity that retires inside a period the plan uses it in, while
    another limit of that period binds with a value: the same relaxation as a build's
    first use (see the module), at the other end of a life. Capacity retiring in year R
    (start s < R <= the period's last year) counts in that period with the share
    ``sum_{y < R in t} d(y) / w_t``, concentrated in s..R-1, while the other limits hold
    on the average; so the plan may lean on it, or on what replaces it, beyond what those
    limits allow year by year (the README's case: a plan reported at 6.445 MUSD worth
    5.396 built as reported). Retiring are an existing unit's ``retire_year`` (unless the
    plan extends all of the unit's capacity), a life extension's end, and a build's or
    project's end of life (``first_use_year + lifetime_yr``, investments.csv). Used means
    any use of the unit, link or project's units and links in that period; a split at R
    values it year by year."""
    ends = _ends_of_life(case, tables.get("investments"))
    cap = tables.get("capacity")
    if ends.empty or cap is None:
        return []
    periods = case.meta.periods
    at, inside = Discounting.from_meta(case.meta).mid_period(ends["year"])
    names = np.array([p.period for p in periods], dtype=object)
    e = ends[inside].assign(at=at[inside], period=names[at[inside]])
    if e.empty:
        return []
    members = _end_members(case, e)
    e = e[pd.MultiIndex.from_arrays([["end"] * len(e), e.index], names=_KEYS).isin(
        _used(cap, members))]
    if e.empty:
        return []
    binding = _binding(tables.get("constraints"), case, set(e["period"]))
    return _said(e, pd.Series("end", index=e.index), pd.Series(e.index, index=e.index),
                 members, binding,
                 lambda r, others, sites: _retire_warning(r, periods[r.at], others, sites),
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
    capacity = standing_capacity(case, units["unit"], retire)
    kept = extended_in_full(inv, units["unit"], capacity)
    replaced = units["unit"].map(_retired_by_projects(case, inv))
    early = replaced.notna() & (replaced.astype(float) <= retire)
    old = units[retire.notna().to_numpy() & (capacity > _TOL) & ~kept & ~early.to_numpy()]
    rows = [pd.DataFrame({"kind": "existing", "build": old["unit"],
                          "built": "", "life": np.nan, "year": retire[old.index]})]
    b = inv[inv["kind"].isin(("unit", "link", "project", "extension"))
            & (inv["amount"].astype(float) > _TOL)]
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


def _retire_warning(r, p, others: pd.DataFrame, sites: set) -> str:
    """The warning of capacity ``r`` retiring inside period ``p`` while ``others`` bind
    there (those at ``sites`` named first)."""
    near = others[["site", "from_site", "to_site"]].isin(sites).any(axis=1)
    others = pd.concat([others[near], others[~near]])
    n, year, last = len(others), int(r.year), p.start_year + p.length_yr - 1
    life = "" if np.isnan(r.life) else f" (the end of its {r.life:g}-year life)"
    what = {"existing": f"the existing capacity of unit {r.build} retires in {year} "
                        "(units.csv, retire_year)",
            "extension": f"unit {r.build} retires in {year}, the end of its life extension",
            "unit": f"unit {r.build} built in {r.built} retires in {year}{life}",
            "link": f"link {r.build} built in {r.built} retires in {year}{life}",
            "project": f"project {r.build} built in {r.built} retires in {year}{life}"
            }[r.kind]
    said = "; ".join(f"{f} ({k})" for f, k in zip(others["family"].head(2),
                                                   others["key"].head(2), strict=True))
    before = (f"{p.start_year}" if year - 1 == p.start_year
              else f"{p.start_year}-{year - 1}")
    return (f"{what}, inside period {p.period} ({p.start_year}-{last}), and the plan uses "
            f"it there while {n} other yearly limit{'s' if n > 1 else ''} of {p.period} "
            f"bind{'s' if n == 1 else ''} ({'e.g. ' if n > 2 else ''}{said}): "
            f"{'it holds' if n == 1 else 'they hold'} on the period's average year, but "
            f"that capacity is there in {before} only, so the plan may use more in "
            f"{before} and less from {year} than {'it allows' if n == 1 else 'they allow'} "
            "year by year, and the plan as reported may be worth less than the objective "
            f"says (README, Time model). To value it year by year, start a period in {year} "
            f"(a scenario change split: {p.period}, at: {year}) and compare")


def _warning(r, p, others: pd.DataFrame, sites: set) -> str:
    """The warning of build ``r`` coming into use inside period ``p`` while ``others``
    bind there (those at ``sites`` named first)."""
    near = others[["site", "from_site", "to_site"]].isin(sites).any(axis=1)
    others = pd.concat([others[near], others[~near]])
    n, first, last = len(others), int(r.first_use_year), p.start_year + p.length_yr - 1
    said = "; ".join(f"{f} ({k})" for f, k in zip(others["family"].head(2),
                                                   others["key"].head(2), strict=True))
    return (f"{r.kind} {r.name} comes into use in {first}, inside period {p.period} "
            f"({p.start_year}-{last}), and the plan uses it there while {n} other yearly "
            f"limit{'s' if n > 1 else ''} of {p.period} bind{'s' if n == 1 else ''} "
            f"({'e.g. ' if n > 2 else ''}{said}): {'it holds' if n == 1 else 'they hold'} "
            f"on the period's average year, so in {first}-{last} it may run beyond what "
            "they allow year by year and the plan's value may be too high (README, Time "
            f"model). To value it year by year, start a period in {first} (a scenario "
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


def _used(cap: pd.DataFrame, members: pd.DataFrame,
          keys: list[str] | None = None) -> pd.MultiIndex:
    """The builds (kind, name; or ``keys`` of ``members``) one of whose units or links
    uses capacity beyond what was in place in the member's period: above existing x
    availability for an expansion, above 0 for capacity a project brings."""
    keys = keys or ["build_kind", "build"]
    c = members.merge(cap, on=[*_KEYS, "period"])
    in_place = np.where(c["brought"], 0.0, c["existing_k_per_yr"].to_numpy(float)
                        * c["availability"].fillna(1.0).to_numpy(float))
    hit = c.loc[c["used_k_per_yr"].to_numpy(float) > in_place + _TOL, keys].drop_duplicates()
    return pd.MultiIndex.from_frame(hit)


def _binding(constraints: pd.DataFrame | None, case, periods: set[str]) -> pd.DataFrame:
    """The rows of ``constraints.csv`` of ``periods`` binding with a marginal value, with
    the kind and name of a capacity row's unit or link (to leave a build's own rows out)
    and the sites a row names (``site=``, a unit's site, a link's two ends)."""
    cols = ["family", "key", "period", "kind", "name", "site", "from_site", "to_site"]
    if constraints is None or constraints.empty:
        return pd.DataFrame(columns=cols)
    b = constraints[(constraints["marginal_value"].abs() > _TOL)
                    & constraints["period"].astype(str).isin(periods)]
    key = b["key"].astype(str)
    kv = key.str.extract(r"^(unit|link)=([^,]+)")
    # a unit or link with no capacity there (bound 0: not built, or not yet) is no yearly
    # limit a build could run past: its row binds at 0 only with what one unit would earn
    none = kv[0].notna() & (pd.to_numeric(b["bound"], errors="coerce").abs() <= _TOL)
    b, key, kv = b[~none], key[~none], kv[~none]
    out = pd.DataFrame({"family": b["family"].astype(str), "key": key,
                        "period": b["period"].astype(str), "kind": kv[0].fillna(""),
                        "name": kv[1].fillna(""),
                        "site": key.str.extract(r"(?:^|, )site=([^,]+)")[0].fillna("")})
    return out.join(_ends(case, out["kind"], out["name"]))
