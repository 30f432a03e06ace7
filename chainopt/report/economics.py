"""Project economics from two runs: incremental NPV, cash flows, IRR and payback.

pandas/numpy only; works on :class:`~chainopt.results.Results` (in memory or loaded).

Incremental NPV of a scenario against its base is the difference of the objectives.
Incremental cash flow per period is the difference of the ``cashflow_<category>``
KPIs (undiscounted MUSD/yr, see :func:`chainopt.extract._cashflows`).

IRR and payback need cash flows by year with the capital cost *when it is spent*:
each period's per-year value is repeated for the years of the period, then the
projects' annualised capex (their annuities in the capex cash flow) is added back and
their overnight capex (``capex_musd`` x built share) is charged in the first year of
the build period. Other capex changes (expansions the project triggers) stay
annualised. Only years inside the horizon count (no residual value), so IRR and
payback are conservative for projects built late.

* IRR: the rate i with ``sum_y CF_y (1+i)^-(y - y_first) = 0`` (cash flows at the
  start of each year, as in the objective); ``None`` when the flows do not change
  sign or no root lies in (-99 %, 1000 %).
* Payback: years from the start of the build year until the cumulative undiscounted
  cash flow reaches 0, with the overnight capex paid at the start of the build year
  and every other year's flow earned evenly through that year; ``None`` if not
  within the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.index import crf, discounted_years

CATEGORIES = ("revenue", "supply", "variable_om", "transport", "fixed_om", "capex", "carbon",
              "shortfall_penalty", "net")


def period_table(results) -> pd.DataFrame:
    """period, start_year, length_yr, weight (discounted years) of a run."""
    m = results.manifest
    per = pd.DataFrame(m["period_table"])
    per["weight"] = discounted_years(float(m["discount_rate"]), int(m["base_year"]),
                                     per["start_year"], per["length_yr"])
    return per


def cashflows(results) -> pd.DataFrame:
    """Undiscounted cash flow per year by period (rows) and category (columns), MUSD/yr."""
    k = results.tables["kpis"]
    cf = k[k["kpi"].str.startswith("cashflow_")]
    per = period_table(results)["period"]
    out = cf.pivot_table(index="period", columns="kpi", values="value", aggfunc="sum")
    out.columns = [c.removeprefix("cashflow_") for c in out.columns]
    out = out.reindex(index=per, columns=[c for c in CATEGORIES if c in out.columns] or None)
    return out.fillna(0.0)


def built_projects(results) -> pd.DataFrame:
    """project, period (build period), built_share, capex_musd, lifetime_yr of built projects."""
    pj = results.tables.get("projects")
    if pj is None or pj.empty:
        return pd.DataFrame(columns=["project", "period", "built_share", "capex_musd",
                                     "lifetime_yr"])
    pj = pj[pj["built_share"] > 1e-6]
    return pj.reset_index(drop=True)


def switched_on(base, scenario) -> list[str]:
    """Projects built in ``scenario`` but not in ``base``."""
    b = set(built_projects(base)["project"])
    return [p for p in dict.fromkeys(built_projects(scenario)["project"]) if p not in b]


def yearly(per_period: pd.Series, periods: pd.DataFrame) -> pd.Series:
    """Per-year values by period -> one value per calendar year (index: year)."""
    years, values = [], []
    for _, p in periods.iterrows():
        v = float(per_period.get(p["period"], 0.0))
        for k in range(int(p["length_yr"])):
            years.append(int(p["start_year"]) + k)
            values.append(v)
    return pd.Series(values, index=pd.Index(years, name="year"), dtype=float)


def npv(flows: np.ndarray, rate: float) -> float:
    """Value at the first year's start of flows at the start of each year."""
    flows = np.asarray(flows, dtype=float)
    return float((flows / (1.0 + rate) ** np.arange(len(flows))).sum())


def irr(flows: np.ndarray) -> float | None:
    """Internal rate of return of yearly flows (start of year), by bisection; None if none."""
    flows = np.asarray(flows, dtype=float)
    nz = np.flatnonzero(np.abs(flows) > 1e-9)
    if len(nz) == 0:
        return None
    flows = flows[nz[0]:]
    if not ((flows > 0).any() and (flows < 0).any()):
        return None
    lo, hi = -0.99, 10.0
    flo, fhi = npv(flows, lo), npv(flows, hi)
    if np.sign(flo) == np.sign(fhi):
        return None
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        fm = npv(flows, mid)
        if np.sign(fm) == np.sign(flo):
            lo, flo = mid, fm
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return 0.5 * (lo + hi)


def payback(operating: pd.Series, capex: float, build_year: int) -> float | None:
    """Years from the start of ``build_year`` until the cumulative cash flow reaches 0.

    ``operating``: yearly flows (index: year) without the overnight ``capex``, which is
    paid at the start of ``build_year``; each year's flow accrues evenly over the year.
    """
    cum = float(operating[operating.index < build_year].sum()) - capex
    if cum >= 0:
        return 0.0
    for y, v in operating[operating.index >= build_year].items():
        if v > 0 and cum + v >= 0:
            return float(y - build_year) + (-cum / v)
        cum += v
    return None


def project_economics(base, scenario) -> tuple[dict, pd.DataFrame]:
    """Economics of ``scenario`` against ``base``: a summary and the yearly cash flows.

    Summary keys: ``projects`` (switched on), ``incremental_npv_musd`` (objective
    difference), ``overnight_capex_musd``, ``build_year``, ``irr``, ``payback_yr``.
    The frame has ``year``, ``operating_musd`` (incremental cash flow with the
    projects' annuities added back), ``capex_musd`` (overnight, negative), ``net_musd``,
    ``cumulative_musd``.
    """
    per = period_table(scenario)
    delta = cashflows(scenario).sub(cashflows(base), fill_value=0.0)
    projects = switched_on(base, scenario)
    pj = built_projects(scenario)
    pj = pj[pj["project"].isin(projects)]
    rate = float(scenario.manifest["discount_rate"])
    end = float(per["start_year"].iloc[-1] + per["length_yr"].iloc[-1])
    start_of = dict(zip(per["period"], per["start_year"], strict=True))
    addback = pd.Series(0.0, index=per["period"])
    overnight = pd.Series(dtype=float)
    for _, r in pj.iterrows():
        y0 = float(start_of[r["period"]])
        annuity = float(r["capex_musd"] * r["built_share"] * crf(rate, r["lifetime_yr"]))
        stop = min(y0 + float(r["lifetime_yr"]), end)
        for _, p in per.iterrows():
            lo = max(float(p["start_year"]), y0)
            yrs = max(0.0, min(float(p["start_year"] + p["length_yr"]), stop) - lo)
            d = float(discounted_years(rate, int(scenario.manifest["base_year"]), lo, yrs))
            addback[p["period"]] += annuity * d / float(p["weight"])
        year = int(y0)
        overnight[year] = overnight.get(year, 0.0) + float(r["capex_musd"] * r["built_share"])
    net = delta["net"] if "net" in delta.columns else pd.Series(0.0, index=per["period"])
    operating = yearly(net + addback, per)
    operating = operating.where(operating.abs() > 1e-9, 0.0)  # solver noise
    capex = pd.Series(0.0, index=operating.index)
    for y, v in overnight.items():
        capex[y] -= v
    flows = pd.DataFrame({"year": operating.index, "operating_musd": operating.to_numpy(),
                          "capex_musd": capex.to_numpy()})
    flows["net_musd"] = flows["operating_musd"] + flows["capex_musd"]
    flows["cumulative_musd"] = flows["net_musd"].cumsum()
    build_year = int(min(overnight.index)) if len(overnight) else None
    summary = {
        "projects": projects,
        "incremental_npv_musd": scenario.objective - base.objective,
        "overnight_capex_musd": float(overnight.sum()),
        "build_year": build_year,
        "irr": irr(flows["net_musd"].to_numpy()) if projects else None,
        "payback_yr": (payback(operating, float(overnight.sum()), build_year)
                       if build_year is not None else None),
    }
    return summary, flows
