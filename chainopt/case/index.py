"""The sparse model index: every tuple the model needs, computed once from a Case.

Each frame below lists exactly the combinations that exist (no dense products):
one row per future model variable or constraint, with the parameters it needs,
already expanded by period. Values that vary by period come from the table's
default column, overridden by ``<table>_by_period.csv`` where given.

Money here is still in USD per commodity unit; :mod:`chainopt.models` converts.

Discounting. With discount rate r and base year y0, a cash flow of 1 per year during
period t (years y_t .. y_t + L_t - 1) is worth ``w_t = sum_k (1+r)^-(y_t + k - y0)``.
Capacity built in period t' is usable in period t when ``t' <= t`` and
``y_t < y_t' + lifetime``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainopt.case.schema import TABLES, Case
from chainopt.case.units import factor


def crf(rate: float, life: np.ndarray | float) -> np.ndarray:
    """Capital recovery factor: the annuity per unit of overnight cost over ``life`` years."""
    life = np.asarray(life, dtype=float)
    if rate == 0:
        return 1.0 / life
    return rate / (1.0 - (1.0 + rate) ** -life)


def discounted_years(rate: float, base_year: int, first: np.ndarray, count: np.ndarray
                     ) -> np.ndarray:
    """Sum of discount factors of ``count`` consecutive years starting at ``first``."""
    first = np.asarray(first, dtype=float)
    count = np.asarray(count, dtype=float)
    if rate == 0:
        return count.copy()
    v = 1.0 / (1.0 + rate)
    return v ** (first - base_year) * (1 - v**count) / (1 - v)


def by_period(case: Case, table: str, columns: list[str],
              frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of ``table`` crossed with the periods, period-varying ``columns`` resolved.

    The result has every column of the table plus ``period``; each of ``columns``
    takes the override from ``<table>_by_period.csv`` where one is given.
    """
    spec = TABLES[table]
    base = case.tables[table] if frame is None else frame
    periods = pd.DataFrame({"period": case.meta.period_names})
    out = base.merge(periods, how="cross")
    ov = case.by_period.get(table)
    if ov is not None and len(ov):
        key = [*spec.key, "period"]
        cols = [c for c in columns if c in ov.columns]
        out = out.merge(ov[key + cols], on=key, how="left", suffixes=("", "_ov"))
        for c in cols:
            out[c] = out[c + "_ov"].where(out[c + "_ov"].notna(), out[c])
        out = out.drop(columns=[c + "_ov" for c in cols])
    return out


@dataclass(frozen=True)
class ModelIndex:
    """Every set of the model as a frame (one row per element), plus period data."""

    periods: pd.DataFrame  # period, start_year, length_yr, pos, weight
    rate: float
    base_year: int
    activity: pd.DataFrame  # unit, mode, period, site, process, variable_cost, capacity_use
    mode_flows: pd.DataFrame  # mode, commodity, coef (+ out, - in)
    unit_cap: pd.DataFrame  # unit, period, site, capacity, availability, fixed_om, project
    unit_new: pd.DataFrame  # unit, period (build period), capex, max_new, lifetime, fixed_om
    purchase: pd.DataFrame  # site, commodity, period, cost, max
    sales: pd.DataFrame  # site, commodity, period, price, max, min
    flow: pd.DataFrame  # link, commodity, period, from_site, to_site, cost, loss
    link_cap: pd.DataFrame  # link, period, capacity, project
    link_new: pd.DataFrame  # link, period, capex, max_new, lifetime
    projects: pd.DataFrame  # project, state, all_or_nothing, capex_musd, lifetime, ...
    project_build: pd.DataFrame  # project, period (candidate build periods)
    retire: pd.DataFrame  # project, unit
    emission_commodities: frozenset[str]
    policies: pd.DataFrame  # commodity, site, period, carbon_price, cap
    hard_floors: bool
    shortfall_penalty: float
    blend_in: pd.DataFrame  # blend, component, period, site, product, to_product, variable_cost
    blend_cap: pd.DataFrame  # blend, period, capacity (finite only)
    spec_terms: pd.DataFrame  # blend, property, period, bound (min|max), limit, component, coef
    constraints: pd.DataFrame  # constraint, period, sense, rhs
    constraint_terms: pd.DataFrame  # constraint_terms.csv rows (selectors blank = any)
    segments: pd.DataFrame  # unit, segment, size, capex (sorted by unit, segment)
    link_emissions: pd.DataFrame  # link, commodity (emission), per_unit
    # the validated case itself: a family reads its own tables from it (with by_period)
    # instead of adding a frame here
    case: Case | None = None

    def alive(self, builds: pd.DataFrame, life_col: str = "lifetime") -> pd.DataFrame:
        """Pairs (build period -> use period) for rows of ``builds`` (column ``period``).

        Returns ``builds`` rows crossed with the periods in which what they build
        still stands, the use period in column ``use_period``.
        """
        p = self.periods[["period", "start_year", "pos"]]
        b = builds.merge(p.rename(columns={"start_year": "_y0", "pos": "_p0"}), on="period")
        b = b.merge(p.rename(columns={"period": "use_period", "start_year": "_y",
                                      "pos": "_p"}), how="cross")
        keep = (b["_p"] >= b["_p0"]) & (b["_y"] < b["_y0"] + b[life_col])
        return b.loc[keep].drop(columns=["_y0", "_p0", "_y", "_p"]).reset_index(drop=True)

    def weight(self, period: pd.Series) -> np.ndarray:
        """The discount weight ``w_t`` of each element of ``period`` (float array)."""
        pos = pd.Index(self.periods["period"].astype(object)).get_indexer(
            pd.Series(period, dtype=object))
        if (pos < 0).any():
            raise KeyError(f"unknown periods: {sorted(set(pd.Series(period)[pos < 0]))}")
        return self.periods["weight"].to_numpy(dtype=float)[pos]

    def years_alive_weight(self, period: pd.Series, lifetime: pd.Series) -> np.ndarray:
        """Discounted years from the start of ``period`` to the end of life or horizon."""
        p = self.periods.set_index("period")
        start = p.loc[period, "start_year"].to_numpy()
        end = self.periods["start_year"].iloc[-1] + self.periods["length_yr"].iloc[-1]
        years = np.minimum(lifetime.to_numpy(dtype=float), end - start)
        return discounted_years(self.rate, self.base_year, start, years)


def build_index(case: Case) -> ModelIndex:
    """Compute the sparse index of ``case``: one vectorised pass per table, one named
    step per group of frames."""
    meta = case.meta
    periods = _periods(case)
    projects = case.tables["projects"].copy()
    off = set(projects.loc[projects["state"] == "off", "project"])
    live = projects[projects["state"] != "off"].reset_index(drop=True)
    units = case.tables["units"][~case.tables["units"]["project"].isin(off)]
    unit_cap, unit_new = _unit_frames(case, units)
    links = case.tables["links"][~case.tables["links"]["project"].isin(off)]
    flow, link_cap, link_new = _link_frames(case, links)
    project_build, retire = _project_frames(case, live, periods)
    blend_in, blend_cap, spec_terms = _blending(case, periods)
    com = case.tables["commodities"]
    return ModelIndex(
        periods=periods, rate=meta.discount_rate, base_year=meta.base_year,
        activity=_activity(case, units), mode_flows=_mode_flows(case), unit_cap=unit_cap,
        unit_new=unit_new, purchase=_purchase(case), sales=_sales(case), flow=flow,
        link_cap=link_cap, link_new=link_new,
        projects=live.rename(columns={"lifetime_yr": "lifetime"}).reset_index(drop=True),
        project_build=project_build, retire=retire,
        emission_commodities=frozenset(com.loc[com["kind"] == "emission", "commodity"]),
        policies=_policies(case), hard_floors=meta.demand_floors == "hard",
        shortfall_penalty=meta.shortfall_penalty_usd_per_unit,
        blend_in=blend_in, blend_cap=blend_cap, spec_terms=spec_terms,
        constraints=_constraints(case),
        constraint_terms=case.tables["constraint_terms"].drop(columns="_row"),
        segments=_segments(case), link_emissions=_link_emissions(links), case=case,
    )


def _periods(case: Case) -> pd.DataFrame:
    """period, start_year, length_yr, pos (0, 1, ...) and the discount weight w_t."""
    meta = case.meta
    periods = pd.DataFrame([p.model_dump() for p in meta.periods])
    periods["pos"] = np.arange(len(periods))
    periods["weight"] = discounted_years(meta.discount_rate, meta.base_year,
                                         periods["start_year"], periods["length_yr"])
    return periods


def _period_order(case: Case) -> dict[str, int]:
    return {p: i for i, p in enumerate(case.meta.period_names)}


def _unit_frames(case: Case, units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``unit_cap`` (every unit by period) and ``unit_new`` (expansion options)."""
    ucap = by_period(case, "units", ["capacity_k_per_yr", "max_new_k_per_yr"], units)
    ucap = ucap.rename(columns={"capacity_k_per_yr": "capacity", "availability": "availability",
                                "fixed_om_usd_per_unit_yr": "fixed_om",
                                "capex_usd_per_unit_yr": "capex", "max_new_k_per_yr": "max_new",
                                "lifetime_yr": "lifetime", "min_new_k_per_yr": "min_new",
                                "build_fixed_musd": "build_fixed"})
    unit_cap = ucap[["unit", "period", "site", "process", "capacity", "availability",
                     "fixed_om", "project"]].reset_index(drop=True)
    unit_new = ucap.loc[(ucap["max_new"] > 0) & (ucap["project"] == ""),
                        ["unit", "period", "capex", "max_new", "lifetime", "fixed_om",
                         "min_new", "build_fixed"]].reset_index(drop=True)
    return unit_cap, unit_new


def _activity(case: Case, units: pd.DataFrame) -> pd.DataFrame:
    """Every (unit, mode of its process, period), sorted by unit, mode and period."""
    modes = by_period(case, "modes", ["variable_cost_usd_per_unit"])
    act = units[["unit", "site", "process"]].merge(
        modes[["mode", "process", "period", "variable_cost_usd_per_unit", "capacity_use"]],
        on="process")
    act = act.rename(columns={"variable_cost_usd_per_unit": "variable_cost"})
    act = act.assign(_p=act["period"].map(_period_order(case))).sort_values(
        ["unit", "mode", "_p"], kind="stable")
    return act[["unit", "mode", "period", "site", "process", "variable_cost",
                "capacity_use"]].reset_index(drop=True)


def _mode_flows(case: Case) -> pd.DataFrame:
    """mode, commodity, coef (+ out, - in) per unit of activity."""
    mf = case.tables["mode_flows"]
    return pd.DataFrame({
        "mode": mf["mode"], "commodity": mf["commodity"],
        "coef": np.where(mf["direction"] == "out", 1.0, -1.0) * mf["amount_per_unit"],
    })


def _purchase(case: Case) -> pd.DataFrame:
    sup = by_period(case, "supplies", ["cost_usd_per_unit", "max_k_per_yr"])
    return sup.rename(columns={"cost_usd_per_unit": "cost", "max_k_per_yr": "max"})[
        ["site", "commodity", "period", "cost", "max"]].reset_index(drop=True)


def _sales(case: Case) -> pd.DataFrame:
    mk = by_period(case, "markets", ["price_usd_per_unit", "max_k_per_yr", "min_k_per_yr"])
    return mk.rename(columns={"price_usd_per_unit": "price", "max_k_per_yr": "max",
                              "min_k_per_yr": "min"})[
        ["site", "commodity", "period", "price", "max", "min"]].reset_index(drop=True)


def _link_frames(case: Case, links: pd.DataFrame
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``flow`` (every link x commodity x period), ``link_cap`` and ``link_new``."""
    lk = by_period(case, "links", ["capacity_k_per_yr", "cost_usd_per_unit", "max_new_k_per_yr"],
                   links)
    lk = lk.rename(columns={"capacity_k_per_yr": "capacity", "cost_usd_per_unit": "cost",
                            "capex_usd_per_unit_yr": "capex", "max_new_k_per_yr": "max_new",
                            "lifetime_yr": "lifetime", "loss_fraction": "loss"})
    flow = lk.assign(commodity=lk["commodities"].str.split(";")).explode("commodity")
    flow["commodity"] = flow["commodity"].str.strip()
    flow = flow[["link", "commodity", "period", "from_site", "to_site", "cost", "loss",
                 "transport_mode"]].reset_index(drop=True)
    link_cap = lk[["link", "period", "capacity", "project"]].reset_index(drop=True)
    link_new = lk.loc[(lk["max_new"] > 0) & (lk["project"] == ""),
                      ["link", "period", "capex", "max_new", "lifetime"]].reset_index(drop=True)
    return flow, link_cap, link_new


def _project_frames(case: Case, live: pd.DataFrame, periods: pd.DataFrame
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``project_build`` (candidate build periods) and ``retire`` (project, unit)."""
    order = _period_order(case)
    first = live["earliest_period"].replace("", case.meta.period_names[0]).map(order)
    cand = live[["project"]].merge(periods[["period", "pos"]], how="cross")
    earliest = cand["project"].map(dict(zip(live["project"], first, strict=True)))
    cand = cand[cand["pos"].to_numpy() >= earliest.to_numpy(dtype=float)]
    forced = live.set_index("project")["forced_period"]
    is_forced = cand["project"].map(live.set_index("project")["state"]).eq("forced")
    cand = cand[~is_forced | (cand["period"] == cand["project"].map(forced))]
    project_build = cand[["project", "period"]].reset_index(drop=True)
    retire = live.assign(unit=live["retires_units"].str.split(";")).explode("unit")
    retire = retire.loc[retire["unit"].fillna("").str.strip() != "", ["project", "unit"]]
    retire["unit"] = retire["unit"].str.strip()
    return project_build, retire.reset_index(drop=True)


def _policies(case: Case) -> pd.DataFrame:
    pol = by_period(case, "policies", ["carbon_price_usd_per_unit", "cap_k_per_yr"])
    return pol.rename(columns={"carbon_price_usd_per_unit": "carbon_price",
                               "cap_k_per_yr": "cap"})[
        ["commodity", "site", "period", "carbon_price", "cap"]].reset_index(drop=True)


def _constraints(case: Case) -> pd.DataFrame:
    """Every user constraint by the periods it applies in (blank ``periods``: all)."""
    cons = by_period(case, "constraints", ["rhs"])
    allowed = cons["periods"].str.split(";")
    keep = [(p_ in a) if a != [""] else True for p_, a in zip(cons["period"], allowed,
                                                              strict=True)]
    return cons.loc[keep, ["constraint", "period", "sense", "rhs"]].reset_index(drop=True)


def _segments(case: Case) -> pd.DataFrame:
    seg = case.tables["capex_segments"].sort_values(["unit", "segment"], kind="stable")
    return seg.rename(columns={"size_k_per_yr": "size", "capex_usd_per_unit_yr": "capex"})[
        ["unit", "segment", "size", "capex"]].reset_index(drop=True)


def _link_emissions(links: pd.DataFrame) -> pd.DataFrame:
    le = links.loc[links["emission_commodity"] != "", ["link", "emission_commodity",
                                                       "emission_per_unit"]]
    return le.rename(columns={"emission_commodity": "commodity",
                              "emission_per_unit": "per_unit"}).reset_index(drop=True)


def _blending(case: Case, periods: pd.DataFrame):
    """Blend inputs, capacities and spec terms (property x quantity, linear)."""
    t = case.tables
    bl = by_period(case, "blends", ["capacity_k_per_yr", "variable_cost_usd_per_unit"])
    comp = bl.assign(component=bl["components"].str.split(";")).explode("component")
    comp["component"] = comp["component"].str.strip()
    com = t["commodities"].set_index("commodity")
    conv = [factor(com.at[c, "unit"], com.at[p, "unit"], com.at[c, "density_t_per_m3"],
                   com.at[c, "energy_gj_per_t"]) for c, p in zip(comp["component"],
                                                                  comp["product"], strict=True)]
    comp["to_product"] = conv
    # volume per component unit for volume-basis specs (m3 per unit), 1 for mass basis
    vol = [factor(com.at[c, "unit"], "m3", com.at[c, "density_t_per_m3"]) if b == "volume"
           else 1.0 for c, b in zip(comp["component"], comp["basis"], strict=True)]
    comp["basis_per_unit"] = vol
    blend_in = comp.rename(columns={"variable_cost_usd_per_unit": "variable_cost"})[
        ["blend", "component", "period", "site", "product", "to_product", "basis_per_unit",
         "variable_cost"]].reset_index(drop=True)
    blend_cap = bl.loc[bl["capacity_k_per_yr"].notna(), ["blend", "period", "capacity_k_per_yr"]
                       ].rename(columns={"capacity_k_per_yr": "capacity"}).reset_index(drop=True)
    sp = by_period(case, "specs", ["min_value", "max_value"])
    rows = []
    for bound, col in (("min", "min_value"), ("max", "max_value")):
        s = sp.loc[sp[col].notna(), ["commodity", "property", "period", col]].rename(
            columns={"commodity": "product", col: "limit"}).assign(bound=bound)
        rows.append(s)
    specs = pd.concat(rows, ignore_index=True)
    q = t["qualities"][["commodity", "property", "value"]].rename(columns={"commodity":
                                                                           "component"})
    terms = blend_in.merge(specs, on=["product", "period"]).merge(q, on=["component",
                                                                        "property"])
    terms["coef"] = (terms["value"] - terms["limit"]) * terms["basis_per_unit"]
    spec_terms = terms[["blend", "property", "period", "bound", "limit", "component", "coef"]]
    return blend_in, blend_cap, spec_terms.reset_index(drop=True)
