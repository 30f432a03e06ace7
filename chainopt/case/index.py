"""The sparse model index: every tuple the model needs, computed once from a Case.

Each frame below lists exactly the combinations that exist (no dense products):
one row per future model variable or constraint, with the parameters it needs,
already expanded by period. Values that vary by period come from the table's
default column, overridden by ``<table>_by_period.csv`` where given.

Money here is still in USD per commodity unit; :mod:`chainopt.models` converts.

Time and money follow :mod:`chainopt.case.discount` (the discount function d(y) and
the period weights ``w_t``) and :mod:`chainopt.case.vintage` (when builds are alive,
usable and paid for).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainopt.case.codes import inner_join, lookup, per_distinct, positions, ranks, row_positions
from chainopt.case.discount import Discounting
from chainopt.case.schema import TABLES, UNITS, Case, CaseMeta, list_items, split_list
from chainopt.case.units import basis_unit, of_commodity
from chainopt.case.vintage import Vintages, parse_ramp

# Columns no model frame reads (only reports do, from the case tables): not carried into
# the period-expanded frames.
NOT_MODELLED = ("description", "source")


def by_period(case: Case, table: str, columns: list[str],
              frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of ``table`` crossed with the periods, period-varying ``columns`` resolved.

    The result has every column of the table but :data:`NOT_MODELLED`, plus ``period``;
    each of ``columns`` takes the override from ``<table>_by_period.csv`` where one is
    given.
    """
    spec = TABLES[table]
    base = case.tables[table] if frame is None else frame
    base = base.drop(columns=[c for c in NOT_MODELLED if c in base.columns])
    names = pd.Series(case.meta.period_names, dtype="str")
    n, k = len(base), len(names)  # row i of base x period j -> row i*k + j (a cross merge)
    out = base.take(np.repeat(np.arange(n), k)).reset_index(drop=True)
    out["period"] = names.take(np.tile(np.arange(k), n)).reset_index(drop=True)
    ov = case.by_period.get(table)
    if ov is not None and len(ov):  # override row -> row i*k + j of its key and period
        key = list(spec.key)
        i = row_positions(base[key], [ov[c] for c in key])
        at = i * k + positions(ov["period"], list(names))
        found = (i >= 0) & (at >= i * k)
        for c in (c for c in columns if c in ov.columns):
            given = found & ov[c].notna().to_numpy()
            values = out[c].to_numpy(copy=True)
            values[at[given]] = ov[c].to_numpy()[given]
            out[c] = values
    return out


@dataclass(frozen=True)
class ModelIndex:
    """Every set of the model as a frame (one row per element), plus period data."""

    periods: pd.DataFrame  # period, start_year, length_yr, part_of, pos, weight
    disc: Discounting
    activity: pd.DataFrame  # unit, mode, period, site, process, variable_cost, capacity_use
    mode_flows: pd.DataFrame  # mode, commodity, coef (+ out, - in)
    # unit, period, site, process, capacity, availability, fixed_om, project, retire_year,
    # alive, alive_pv (share of the period before the unit's retire_year and the sum of d(y)
    # over those years, from the vintage rule; 1 and w_t for project units)
    unit_cap: pd.DataFrame
    # unit, period (construction start), capex, max_new, lifetime, fixed_om, min_new,
    # build_fixed, lead, first_use, ramp (text)
    unit_new: pd.DataFrame
    purchase: pd.DataFrame  # site, commodity, period, cost, max
    sales: pd.DataFrame  # site, commodity, period, price, max, min
    flow: pd.DataFrame  # link, commodity, period, from_site, to_site, cost, loss
    link_cap: pd.DataFrame  # link, period, capacity, project
    link_new: pd.DataFrame  # link, period, capex, max_new, lifetime, lead, first_use, ramp
    projects: pd.DataFrame  # project, state, all_or_nothing, capex_musd, lifetime, lead, ...
    project_build: pd.DataFrame  # project, period (construction start), first_use
    retire: pd.DataFrame  # project, unit
    # unit, capacity (the unit's in the period of its retire year: the extension's size
    # limit), availability, fixed_om, capex, lifetime, first_use (= retire year)
    life_ext: pd.DataFrame
    precedence: pd.DataFrame  # project, other, kind (requires | excludes)
    emission_commodities: frozenset[str]
    policies: pd.DataFrame  # commodity, site, period, carbon_price, cap
    hard_floors: bool
    shortfall_penalty: float
    # blend, component, period, site, product, basis, share (recipe), to_product,
    # variable_cost
    blend_in: pd.DataFrame
    blend_cap: pd.DataFrame  # blend, period, capacity (finite only)
    # blend, property, period, bound (min|max), limit, component, coef, value (q_c), basis
    # (the spec's: mass | volume), spec_unit, basis_per_unit (v_c)
    spec_terms: pd.DataFrame
    constraints: pd.DataFrame  # constraint, period, sense, rhs
    # constraint_terms.csv rows (selectors blank = any; _row for messages)
    constraint_terms: pd.DataFrame
    # unit, segment, size, capex (sorted by unit, segment), convex (the unit's capex per
    # unit never falls from one segment to the next: filled in order by the LP itself)
    segments: pd.DataFrame
    curve_fixed: pd.DataFrame  # unit, fixed (MUSD: a capex curve's cost at size 0)
    demand: pd.DataFrame  # site, commodity, period, amount (hard demand, k units/yr)
    disposal: pd.DataFrame  # commodity, cost (USD per unit disposed)
    link_emissions: pd.DataFrame  # link, commodity (emission), per_unit
    case: Case | None = None  # the validated case, for families that read their own table

    @property
    def rate(self) -> float:
        return self.disc.rate

    def pos(self, period: pd.Series) -> np.ndarray:
        """Position (0-based) of each element of ``period`` in the case's periods."""
        idx = positions(period, list(self.periods["period"]))
        if (idx < 0).any():
            raise KeyError(f"unknown periods: {sorted(set(pd.Series(period)[idx < 0]))}")
        return idx

    def weight(self, period: pd.Series) -> np.ndarray:
        """The discount weight ``w_t`` of each element of ``period`` (float array)."""
        return self.periods["weight"].to_numpy(dtype=float)[self.pos(period)]

    def vintages(self, builds: pd.DataFrame) -> Vintages:
        """The vintages of build rows (columns ``first_use``, ``lifetime``, ``lead``,
        ``ramp``)."""
        return Vintages.of(builds["first_use"].to_numpy(float), builds["lifetime"].to_numpy(float),
                           builds["lead"].to_numpy(float), parse_ramp(builds["ramp"]))


def build_index(case: Case) -> ModelIndex:
    """Compute the sparse index of ``case``: one vectorised pass per table, one named
    step per group of frames."""
    disc = Discounting.from_meta(case.meta)
    periods = _periods(case, disc)
    projects = case.tables["projects"]
    off = set(projects.loc[projects["state"] == "off", "project"])
    live = projects[projects["state"] != "off"].reset_index(drop=True).rename(
        columns={"lifetime_yr": "lifetime", "lead_time_yr": "lead", "ramp_up": "ramp"})
    units = case.tables["units"][~case.tables["units"]["project"].isin(off)]
    unit_cap, unit_new, life_ext = _unit_frames(case, units, periods, disc)
    links = case.tables["links"][~case.tables["links"]["project"].isin(off)]
    flow, link_cap, link_new = _link_frames(case, links)
    project_build, retire, precedence = _project_frames(case, live, periods, disc)
    blend_in, blend_cap, spec_terms = blending(case)
    segments, curve_fixed = _capex_curves(case.tables["capex_segments"],
                                          case.tables["capex_curve"])
    com = case.tables["commodities"]
    return ModelIndex(
        periods=periods, disc=disc, activity=_activity(case, units),
        mode_flows=_mode_flows(case), unit_cap=unit_cap, unit_new=unit_new,
        purchase=_purchases(case), sales=_sales(case), flow=flow, link_cap=link_cap,
        link_new=link_new, projects=live, project_build=project_build, retire=retire,
        life_ext=life_ext, precedence=precedence,
        emission_commodities=frozenset(com.loc[com["kind"] == "emission", "commodity"]),
        policies=_policies(case), hard_floors=case.meta.demand_floors == "hard",
        shortfall_penalty=case.meta.shortfall_penalty_usd_per_unit,
        blend_in=blend_in, blend_cap=blend_cap, spec_terms=spec_terms,
        constraints=_constraints(case),
        constraint_terms=case.tables["constraint_terms"],
        segments=segments, curve_fixed=curve_fixed, demand=_demand(case),
        disposal=_disposal(case), link_emissions=_link_emissions(links), case=case,
    )


def _periods(case: Case, disc: Discounting) -> pd.DataFrame:
    """period, start_year, length_yr, part_of (the period a split part came from, that
    period itself for the first part, else None), pos, weight (w_t from the discount
    function)."""
    periods = pd.DataFrame([{k: v for k, v in p.model_dump().items() if k != "weight"}
                            for p in case.meta.periods])
    split = set(periods["part_of"].dropna())
    periods["part_of"] = periods["part_of"].where(periods["part_of"].notna(), periods["period"]
                                                  .where(periods["period"].isin(split)))
    periods["pos"] = np.arange(len(periods))
    periods["weight"] = disc.weights
    return periods


def build_timing(period: pd.Series, lead: pd.Series, meta: CaseMeta
                 ) -> tuple[np.ndarray, np.ndarray]:
    """When builds are first usable, and whether that is inside the horizon: a build whose
    construction starts at the start of ``period`` and takes ``lead`` whole years is first
    usable in the year start + lead (the vintage rule), and is a build at all only if that
    year is before the horizon ends. (NaN and outside for a blank period.) The model keeps
    only such builds (:func:`_timed`); validation refuses a unit, link or forced project
    none of whose builds is one."""
    start_of = {p.period: p.start_year for p in meta.periods}
    first = lookup(period, start_of) + lead.to_numpy(dtype=float)
    return first, first < Discounting.from_meta(meta).end_year


def retires_in_horizon(first_use: object, retire_year: object, end_year: float) -> np.ndarray:
    """Whether a project build first used in ``first_use`` retires some of a unit with
    ``retire_year`` (NaN: none) inside the horizon: it comes into use before the unit's own
    retire year and before the horizon ends (``end_year``, exclusive). The retired span
    runs from ``first_use`` to that end, so two such builds retiring one unit both hold
    it in the span's last year: a unit can be retired by one of them
    (``investment.retire_once``; two forced projects are refused at input)."""
    stop = np.fmin(np.asarray(retire_year, dtype=float), float(end_year))
    return np.asarray(first_use, dtype=float) < stop


def may_build(frame: pd.DataFrame) -> pd.Series:
    """Rows of units or links (by period, columns as in their table) in which a build may
    start: ``max_new_k_per_yr`` > 0 there, outside projects (a project builds its own)."""
    return (frame["max_new_k_per_yr"] > 0) & (frame["project"] == "")


def _timed(builds: pd.DataFrame, meta: CaseMeta) -> pd.DataFrame:
    """Builds (construction starting in ``period``) with their ``first_use``, keeping
    those usable before the horizon ends (:func:`build_timing`)."""
    first, usable = build_timing(builds["period"], builds["lead"], meta)
    return builds.assign(first_use=first)[usable].reset_index(drop=True)


def _unit_frames(case: Case, units: pd.DataFrame, periods: pd.DataFrame, disc: Discounting
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """unit_cap (capacity by period, alive shares), unit_new (expansion candidates),
    life_ext (life-extension options of units with a retire year in the horizon)."""
    ucap = by_period(case, "units", ["capacity_k_per_yr", "max_new_k_per_yr"], units)
    grows = may_build(ucap)
    ucap = ucap.rename(columns={"capacity_k_per_yr": "capacity",
                                "fixed_om_usd_per_unit_yr": "fixed_om",
                                "capex_usd_per_unit_yr": "capex", "max_new_k_per_yr": "max_new",
                                "lifetime_yr": "lifetime", "min_new_k_per_yr": "min_new",
                                "build_fixed_musd": "build_fixed", "lead_time_yr": "lead",
                                "ramp_up": "ramp"})
    ucap = ucap.merge(_existing_vintages(units, periods, disc), on=["unit", "period"],
                      how="left").fillna({"alive": 0.0, "alive_pv": 0.0})
    unit_cap = ucap[["unit", "period", "site", "process", "capacity", "availability",
                     "fixed_om", "project", "retire_year", "alive", "alive_pv"]
                    ].reset_index(drop=True)
    unit_new = _timed(ucap.loc[grows, ["unit", "period", "capex", "max_new", "lifetime",
                                       "fixed_om", "min_new", "build_fixed", "lead", "ramp"]],
                      case.meta)
    return unit_cap, unit_new, _extension_options(units, unit_cap, periods, disc)


def _extension_options(units: pd.DataFrame, unit_cap: pd.DataFrame, periods: pd.DataFrame,
                       disc: Discounting) -> pd.DataFrame:
    """Life-extension options of units with a retire year in the horizon: unit,
    capacity, availability, fixed_om, capex, lifetime, first_use (= retire year), lead,
    ramp.

    An extension is a build first used in the unit's retire year f. Its size, the
    capex it pays and its upper limit are in k units/yr of the unit's capacity in the
    period holding f, ``c_u,t(f)`` (``capacity``, after ``units_by_period.csv``); in
    each period t it is alive in, a size x keeps ``x * c_ut / c_u,t(f)`` of the unit
    (:func:`chainopt.models.investment._kept`).
    """
    ext = units[(units["life_extension_yr"] > 0) & (units["retire_year"] < disc.end_year)
                ].reset_index(drop=True)
    first = np.maximum(ext["retire_year"].to_numpy(float), disc.first_year)
    start = periods["period"].to_numpy()[disc.period_of_year(first)]
    capacity = np.zeros(0)
    if len(ext):  # (most cases have none: no lookup)
        capacity = unit_cap.set_index(["unit", "period"])["capacity"].reindex(
            pd.MultiIndex.from_arrays([ext["unit"], start])).to_numpy(float)
    return pd.DataFrame({
        "unit": ext["unit"], "capacity": capacity, "availability": ext["availability"],
        "fixed_om": ext["fixed_om_usd_per_unit_yr"],
        "capex": ext["life_extension_capex_usd_per_unit_yr"],
        "lifetime": ext["life_extension_yr"],
        "first_use": first, "lead": 0.0, "ramp": "",
    })


def _activity(case: Case, units: pd.DataFrame) -> pd.DataFrame:
    """One row per (unit, mode of its process, period), in unit, mode, period order:
    the unit x mode-period pairs of one process joined and sorted on integer codes."""
    modes = by_period(case, "modes", ["variable_cost_usd_per_unit"])
    i, j = inner_join(units["process"], modes["process"])  # unit i x mode-period j
    order = np.lexsort((positions(modes["period"], case.meta.period_names)[j],
                        ranks(modes["mode"])[j], ranks(units["unit"])[i]))
    i, j = i[order], j[order]

    def pick(frame: pd.DataFrame, rows: np.ndarray, column: str) -> pd.Series:
        return frame[column].take(rows).reset_index(drop=True)

    return pd.DataFrame({
        "unit": pick(units, i, "unit"), "mode": pick(modes, j, "mode"),
        "period": pick(modes, j, "period"), "site": pick(units, i, "site"),
        "process": pick(units, i, "process"),
        "variable_cost": pick(modes, j, "variable_cost_usd_per_unit"),
        "capacity_use": pick(modes, j, "capacity_use")})


def _mode_flows(case: Case) -> pd.DataFrame:
    """mode, commodity, coef (+ out, - in)."""
    mf = case.tables["mode_flows"]
    return pd.DataFrame({
        "mode": mf["mode"], "commodity": mf["commodity"],
        "coef": np.where(mf["direction"] == "out", 1.0, -1.0) * mf["amount_per_unit"],
    })


def _purchases(case: Case) -> pd.DataFrame:
    sup = by_period(case, "supplies", ["cost_usd_per_unit", "max_k_per_yr"])
    return sup.rename(columns={"cost_usd_per_unit": "cost", "max_k_per_yr": "max"})[
        ["site", "commodity", "tier", "period", "cost", "max"]].reset_index(drop=True)


def _sales(case: Case) -> pd.DataFrame:
    mk = by_period(case, "markets", ["price_usd_per_unit", "max_k_per_yr", "min_k_per_yr"])
    return mk.rename(columns={"price_usd_per_unit": "price", "max_k_per_yr": "max",
                              "min_k_per_yr": "min"})[
        ["site", "commodity", "tier", "period", "price", "max", "min"]].reset_index(drop=True)


def _demand(case: Case) -> pd.DataFrame:
    """Hard demand: site, commodity, period, amount (k units/yr)."""
    dm = by_period(case, "demand", ["amount_k_per_yr"])
    return dm.rename(columns={"amount_k_per_yr": "amount"})[
        ["site", "commodity", "period", "amount"]].reset_index(drop=True)


def _disposal(case: Case) -> pd.DataFrame:
    """Commodities that may be disposed of freely (or at a cost): commodity, cost."""
    cm = case.tables["commodities"]
    return cm.loc[cm["disposal"].astype(bool), ["commodity", "disposal_cost_usd_per_unit"]
                  ].rename(columns={"disposal_cost_usd_per_unit": "cost"}).reset_index(drop=True)


def _link_frames(case: Case, links: pd.DataFrame
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """flow (one row per link, commodity and period), link_cap, link_new. A flow's cost
    is its link's, plus a market group's freight premium on its commodity where the
    group lists commodities (``Case.flow_premiums``, :mod:`chainopt.case.levers`)."""
    lk = by_period(case, "links", ["capacity_k_per_yr", "cost_usd_per_unit", "max_new_k_per_yr"],
                   links)
    grows = may_build(lk)
    lk = lk.rename(columns={"capacity_k_per_yr": "capacity", "cost_usd_per_unit": "cost",
                            "capex_usd_per_unit_yr": "capex", "max_new_k_per_yr": "max_new",
                            "lifetime_yr": "lifetime", "loss_fraction": "loss",
                            "lead_time_yr": "lead", "ramp_up": "ramp"})
    flow = lk.join(split_list(lk["commodities"]).rename("commodity"))
    flow = flow[["link", "commodity", "period", "from_site", "to_site", "cost", "loss",
                 "transport_mode"]].reset_index(drop=True)
    prem = case.flow_premiums
    if prem is not None and len(prem):  # unique (link, commodity, period): order kept
        on = ["link", "commodity", "period"]
        extra = flow[on].merge(prem, on=on, how="left")["usd_per_unit"]
        flow["cost"] = flow["cost"].to_numpy(float) + extra.fillna(0.0).to_numpy(float)
    link_cap = lk[["link", "period", "capacity", "project"]].reset_index(drop=True)
    link_new = _timed(lk.loc[grows, ["link", "period", "capex", "max_new", "lifetime", "lead",
                                     "ramp"]], case.meta)
    return flow, link_cap, link_new


def _project_frames(case: Case, live: pd.DataFrame, periods: pd.DataFrame,
                    disc: Discounting) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """project_build (candidate construction periods from the earliest one; the forced
    period only for a forced project), retire (project, unit), precedence.

    Project i (``live`` row) may start in period position j when ``j >= e_i`` (its
    earliest period's position, the first period if blank) and, if it is forced, ``j``
    is its forced period's; a start is kept when its first use, ``start_j + lead_i``, is
    before the horizon ends (:func:`build_timing`). Rows in project, then period order."""
    names = case.meta.period_names
    n, k = len(live), len(names)
    i, j = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
    earliest = positions(live["earliest_period"].replace("", names[0]), names)
    earliest[earliest < 0] = k  # (not a period: no start)
    forced = (live["state"] == "forced").to_numpy()
    fixed = positions(live["forced_period"], names)
    first_use = (periods["start_year"].to_numpy(float)[j]
                 + live["lead"].to_numpy(float)[i])
    keep = ((j >= earliest[i]) & (~forced[i] | (j == fixed[i]))
            & (first_use < disc.end_year))
    project_build = pd.DataFrame({
        "project": live["project"].take(i[keep]).reset_index(drop=True),
        "period": periods["period"].take(j[keep]).reset_index(drop=True),
        "first_use": first_use[keep]})
    retire = list_items(live, "retires_units", "unit", ["project"]).reset_index(drop=True)
    precedence = pd.concat([list_items(live, col, "other", ["project"]).assign(kind=col)
                            for col in ("requires", "excludes")], ignore_index=True)
    return project_build, retire, precedence


def _policies(case: Case) -> pd.DataFrame:
    pol = by_period(case, "policies", ["carbon_price_usd_per_unit", "cap_k_per_yr"])
    return pol.rename(columns={"carbon_price_usd_per_unit": "carbon_price",
                               "cap_k_per_yr": "cap"})[
        ["commodity", "site", "period", "carbon_price", "cap"]].reset_index(drop=True)


def _constraints(case: Case) -> pd.DataFrame:
    """User constraints by period, only in the periods each one lists (blank: all)."""
    if case.tables["constraints"].empty:
        return _no_rows("constraint period sense", "rhs")
    cons = by_period(case, "constraints", ["rhs"])
    allowed = cons[["period"]].join(split_list(cons["periods"]).rename("_allowed"))
    keep = allowed["_allowed"].isna() | (allowed["_allowed"] == allowed["period"])
    keep = keep.groupby(level=0).any().reindex(cons.index).fillna(True)
    return cons.loc[keep, ["constraint", "period", "sense", "rhs"]].reset_index(drop=True)


def _link_emissions(links: pd.DataFrame) -> pd.DataFrame:
    le = links.loc[links["emission_commodity"] != "", ["link", "emission_commodity",
                                                       "emission_per_unit"]]
    return le.rename(columns={"emission_commodity": "commodity",
                              "emission_per_unit": "per_unit"}).reset_index(drop=True)


def _capex_curves(seg: pd.DataFrame, curve: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                    pd.DataFrame]:
    """Capex segments, from ``capex_segments.csv`` (sizes and USD per unit/yr) and from
    ``capex_curve.csv`` breakpoints (cumulative size, total overnight MUSD; the curve
    starts at (0, 0) unless it gives a point at size 0, whose cost is a fixed charge):
    segment s between points s-1 and s has size ``S_s - S_(s-1)`` and capex
    ``(C_s - C_(s-1)) / (S_s - S_(s-1)) * 1000`` USD per unit/yr. ``convex``: per unit,
    capex per unit non-decreasing over its segments."""
    if seg.empty and curve.empty:
        return (_no_rows("unit", "segment size capex").assign(convex=np.zeros(0, dtype=bool)),
                _no_rows("unit", "fixed"))
    seg = seg.sort_values(["unit", "segment"], kind="stable").rename(
        columns={"size_k_per_yr": "size", "capex_usd_per_unit_yr": "capex"})[
        ["unit", "segment", "size", "capex"]]
    cv = curve.sort_values(["unit", "size_k_per_yr"], kind="stable")
    at0 = cv["size_k_per_yr"] <= 0
    curve_fixed = cv.loc[at0, ["unit", "capex_musd"]].rename(columns={"capex_musd": "fixed"})
    first = ~cv["unit"].duplicated()
    prev_size = cv["size_k_per_yr"].shift(1).where(~first, 0.0)
    prev_cost = cv["capex_musd"].shift(1).where(~first, 0.0)
    from_curve = pd.DataFrame({
        "unit": cv["unit"], "size": cv["size_k_per_yr"] - prev_size,
        "capex": (cv["capex_musd"] - prev_cost) / (cv["size_k_per_yr"] - prev_size).where(
            ~at0, 1.0) * 1000.0})[~at0.to_numpy()]
    from_curve["segment"] = (from_curve.groupby("unit").cumcount() + 1).astype(float)
    out = pd.concat([seg, from_curve[["unit", "segment", "size", "capex"]]],
                    ignore_index=True)
    falls = (out.groupby("unit", sort=False)["capex"].diff() < -1e-9).groupby(
        out["unit"], sort=False).transform("any")
    out["convex"] = ~falls.astype(bool)
    return out.reset_index(drop=True), curve_fixed.reset_index(drop=True)


def curve_sizes(seg: pd.DataFrame, curve: pd.DataFrame) -> pd.Series:
    """The largest build each unit's cost curve prices (k units/yr, by unit): the sum of
    its segments' sizes (:func:`_capex_curves`: ``capex_segments.csv`` sizes, or the
    largest ``capex_curve.csv`` breakpoint), all that ``investment.segment_sum`` lets a
    build reach. A unit without segments (no curve, or only a point at size 0: a fixed
    charge) has no entry."""
    return _capex_curves(seg, curve)[0].groupby("unit")["size"].sum()


def _no_rows(*groups: str) -> pd.DataFrame:
    """A frame with no rows whose columns are named by space-separated groups that
    alternate text (str) and numbers (float): ``_no_rows("unit site", "capacity", "note")``."""
    columns: dict[str, object] = {}
    for k, group in enumerate(groups):
        for name in group.split():
            columns[name] = pd.array([], dtype="str" if k % 2 == 0 else "float64")
    return pd.DataFrame(columns)


def _existing_vintages(units: pd.DataFrame, periods: pd.DataFrame,
                       disc: Discounting) -> pd.DataFrame:
    """unit, period, alive (share of the period the unit stands), alive_pv (sum of d(y)
    over those years): an existing unit stands from the horizon start to its
    ``retire_year`` (a project's unit from the project's build on: alive 1 here)."""
    end = units["retire_year"].fillna(disc.end_year).clip(upper=disc.end_year).to_numpy(float)
    existing = (units["project"] == "").to_numpy()
    life = np.where(existing, np.maximum(end - disc.first_year, 0.0),
                    disc.end_year - disc.first_year)
    pairs = Vintages.of(np.full(len(units), disc.first_year), life).by_period(disc)
    return pd.DataFrame({"unit": units["unit"].to_numpy()[pairs["build"].to_numpy()],
                         "period": periods["period"].to_numpy()[pairs["pos"].to_numpy()],
                         "alive": pairs["alive_share"].to_numpy(),
                         "alive_pv": pairs["pv"].to_numpy()})


def blending(case: Case) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Blend inputs, capacities, recipe shares and spec terms (property x quantity, linear).

    Each spec is averaged on its own basis: the ``basis`` of its ``specs.csv`` row
    (octane by volume, sulphur by mass), else the blend's (mass for a recipe). Spec rows
    are stated per unit of the product: a component's term is ``(q_c - limit) * v_c / v_p``
    with ``v_c`` (``v_p``) the basis quantity (t on a mass basis, m3 on a volume basis) of
    one unit of the component (product), so that a spec's marginal value is in USD per
    product unit per property unit. That needs a ``v_p`` the blend cannot change: the
    product's unit must measure what the basis measures (bbl or 1000m3 on a volume basis,
    kg or kt on a mass basis). Across kinds (a product in t on a volume basis) one product
    unit holds as much basis as the blend's own density gives, not the product's stated
    density, so there ``v_p`` = 1 and the marginal value is per t or m3 of the basis
    (``spec_unit``, the unit a spec row counts the blend in).
    """
    t = case.tables
    if t["blends"].empty:  # the usual case: no blending at all
        return (_no_rows("blend component period site product basis", "share to_product",
                         "", "variable_cost"),
                _no_rows("blend period", "capacity"),
                _no_rows("blend property period bound", "limit", "component", "coef value",
                         "basis spec_unit", "basis_per_unit"))
    bl = by_period(case, "blends", ["capacity_k_per_yr", "variable_cost_usd_per_unit"])
    comp = bl.join(split_list(bl["components"]).rename("component"))
    sh = _shares(bl["shares"])
    at = pd.MultiIndex.from_arrays([sh.index, sh.groupby(level=0).cumcount()])
    want = pd.MultiIndex.from_arrays([comp.index, comp.groupby(level=0).cumcount()])
    comp["share"] = pd.Series(sh.to_numpy(), index=at).reindex(want).to_numpy(float)
    com = t["commodities"].set_index("commodity")

    def to_product(c: str, p: str) -> float:
        return of_commodity(com, c, com.at[p, "unit"])

    def basis(c: str, b: str) -> float:
        return of_commodity(com, c, basis_unit(b))

    comp["to_product"] = per_distinct(to_product, comp["component"], comp["product"])
    blend_in = comp.rename(columns={"variable_cost_usd_per_unit": "variable_cost"})[
        ["blend", "component", "period", "site", "product", "basis", "share", "to_product",
         "variable_cost"]].reset_index(drop=True)
    blend_cap = bl.loc[bl["capacity_k_per_yr"].notna(), ["blend", "period", "capacity_k_per_yr"]
                       ].rename(columns={"capacity_k_per_yr": "capacity"}).reset_index(drop=True)
    sp = by_period(case, "specs", ["min_value", "max_value"])
    rows = []
    for bound, col in (("min", "min_value"), ("max", "max_value")):
        s = sp.loc[sp[col].notna(), ["commodity", "property", "period", col, "basis"]].rename(
            columns={"commodity": "product", col: "limit", "basis": "spec_basis"}
        ).assign(bound=bound)
        rows.append(s)
    specs = pd.concat(rows, ignore_index=True)
    q = t["qualities"][["commodity", "property", "value"]].rename(columns={"commodity":
                                                                           "component"})
    terms = blend_in.merge(specs, on=["product", "period"]).merge(q, on=["component",
                                                                        "property"])
    # the spec's own basis, else the blend's (a recipe averages by mass)
    own = terms["basis"].where(terms["basis"] != "recipe", "mass")
    terms["basis"] = terms["spec_basis"].where(terms["spec_basis"] != "", own)
    # the basis quantity of one component unit: its mass in t (mass basis) or its volume
    # in m3 (volume basis), whatever unit the component is measured in; per product unit
    terms["basis_per_unit"] = per_distinct(basis, terms["component"], terms["basis"])
    vp = per_distinct(basis, terms["product"], terms["basis"])
    kind = terms["product"].map(com["unit"]).map(lambda u: UNITS.get(u, ("", 0.0))[0])
    same_kind = kind.to_numpy() == terms["basis"].to_numpy()
    known = same_kind & np.isfinite(vp) & (vp > 0)
    # the unit a spec row counts the blend in: the product's, else the basis's own
    terms["spec_unit"] = np.where(known, terms["product"].map(com["unit"]).to_numpy(dtype=object),
                                  terms["basis"].map(basis_unit).to_numpy(dtype=object))
    terms["coef"] = ((terms["value"] - terms["limit"]) * terms["basis_per_unit"]
                     / np.where(known, vp, 1.0))
    spec_terms = terms[["blend", "property", "period", "bound", "limit", "component", "coef",
                        "value", "basis", "spec_unit", "basis_per_unit"]]
    return blend_in, blend_cap, spec_terms.reset_index(drop=True)


def _shares(cells: pd.Series) -> pd.Series:
    """A recipe's ``shares`` (``10;4;3;1``) as fractions of the blend, one per component
    (index repeated like :func:`split_list`); NaN for blends without a recipe."""
    items = pd.to_numeric(split_list(cells), errors="coerce")
    if items.empty:
        return pd.Series(np.nan, index=cells.index[:0], dtype=float)
    return items / items.groupby(level=0).transform("sum")
