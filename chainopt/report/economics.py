"""Project economics from two runs: one incremental cash-flow stream -> NPV, IRR, payback.

pandas/numpy only; works on :class:`~chainopt.results.Results` (in memory or loaded).

A run's **yearly cash-flow stream** (MUSD, money of each year):

* ``operating_y``: the run's net cash flow per year without capital charges
  (``cashflow_net - cashflow_capex`` of the period holding y; fixed O&M is in it);
* ``capex_y``: minus the overnight cost of every build (``investments`` table), spent
  evenly over its construction years (see :mod:`chainopt.case.vintage`);
* ``residual_y``: in the year after the horizon (``end``), the residual value of every
  build (the value then of the annuities it would still pay).

Its present value with the case's discount function d(y) equals the run's objective:
the operating part is the objective's operating part, and for each build the spend
minus the discounted residual is worth exactly the annuities the objective charges.
A project's incremental stream is the scenario's stream minus its counterfactual's
(the same scenario with that project off), with each period's operating difference
placed in the years the project's capacity is there (its fixed O&M where it is alive,
the rest where it is usable: a plant usable from a period's fourth year earns nothing
in its first three; see :func:`incremental`), so

    NPV = sum_y (stream_y^scenario - stream_y^counterfactual) d(y) = objective difference,

and, since d(y) = d(y_first) (1+r)^-(y - y_first) for a rate-based case, its IRR (the
rate i with ``sum_y flow_y (1+i)^-(y - y_first) = 0``) exceeds r exactly when NPV > 0
(for a stream that changes sign once; with several roots :func:`irr` reports the
largest at which the NPV falls through zero as the rate rises). Payback: years from
the first year of the stream (construction start) until the cumulative undiscounted
flow, residual value not counted, reaches 0 — construction spend at the start of its
year, operating flow earned evenly through its year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.discount import Discounting
from chainopt.case.vintage import Vintages, parse_ramp
from chainopt.models import lp
from chainopt.report import holding
from chainopt.report.numbers import no_minus_zero

#: the objective's cost categories (the model's, :data:`chainopt.models.lp.CATEGORIES`)
#: and their sum
CATEGORIES = (*lp.CATEGORIES, "net")
STREAM = ("operating_musd", "capex_musd", "residual_musd")


def discounting(results) -> Discounting:
    """The discount function of a run (from its manifest)."""
    return Discounting.from_manifest(results.manifest)


def period_table(results) -> pd.DataFrame:
    """period, start_year, length_yr, weight (discounted years) of a run."""
    rows = results.manifest["period_table"]
    return pd.DataFrame({c: [p[c] for p in rows] for c in ("period", "start_year", "length_yr")}
                        | {"weight": discounting(results).weights})


def cashflows(results) -> pd.DataFrame:
    """Cash flow per year by period (rows) and category (columns), MUSD/yr of each
    period's discount-weighted average year (the ``cashflow_*`` KPIs)."""
    k = results.tables["kpis"]
    cf = k[k["kpi"].str.startswith("cashflow_")]
    per = pd.Index(period_table(results)["period"])
    kpi = cf["kpi"].to_numpy(dtype=object)
    period = cf["period"].to_numpy(dtype=object)
    # the categories in the objective's order, else (none of them) in their names' order
    named = [c.removeprefix("cashflow_") for c in sorted(set(kpi[pd.notna(kpi)
                                                                  & pd.notna(period)]))]
    columns = [c for c in CATEGORIES if c in named] or named
    row = per.get_indexer(period)
    col = pd.Index(columns).get_indexer([str(c).removeprefix("cashflow_") for c in kpi])
    ok = (row >= 0) & (col >= 0) & pd.notna(kpi)
    out = np.zeros((len(per), len(columns)))
    # (one row per KPI and period; a blank value counts 0, as a sum skips it)
    np.add.at(out, (row[ok], col[ok]), np.nan_to_num(cf["value"].to_numpy(float)[ok]))
    return pd.DataFrame(out, index=per, columns=pd.Index(columns))


def built_projects(results) -> pd.DataFrame:
    """Rows of the ``projects`` table with a built share > 0."""
    pj = results.tables.get("projects")
    if pj is None or pj.empty:
        return pd.DataFrame(columns=["project", "period", "built_share", "capex_musd",
                                     "lead_time_yr", "first_use_year", "lifetime_yr",
                                     "ramp_up"])
    return pj[pj["built_share"] > 1e-6].reset_index(drop=True)


def considered_projects(results) -> list[str]:
    """Projects the run could build (state optional or forced), in table order."""
    pj = results.tables.get("projects")
    return [] if pj is None else list(dict.fromkeys(pj["project"]))


#: a builds table's columns (the ``investments`` table has them; :func:`project_builds`)
BUILD_COLUMNS = ["overnight_musd", "first_use_year", "lifetime_yr", "lead_time_yr"]


def spend_years(builds: pd.DataFrame) -> pd.DataFrame:
    """The construction years of ``builds`` (:data:`BUILD_COLUMNS`, one row each): build
    (position), year, share of its overnight cost spent that year (evenly over its
    ``lead_time_yr``, :meth:`~chainopt.case.vintage.Vintages.spend_years`)."""
    return Vintages.of(builds["first_use_year"], builds["lifetime_yr"],
                       builds["lead_time_yr"]).spend_years()


def spend_by_year(builds: pd.DataFrame) -> pd.Series:
    """Overnight cost of ``builds`` (:data:`BUILD_COLUMNS`, one row each) spent evenly
    over their construction years (:func:`spend_years`), summed by year (MUSD, positive;
    index: year)."""
    spend = spend_years(builds)
    money = builds["overnight_musd"].to_numpy(float)[spend["build"]] * spend["share"]
    return money.groupby(spend["year"].to_numpy()).sum().rename_axis("year")


def project_builds(projects: pd.DataFrame) -> pd.DataFrame:
    """The builds (:data:`BUILD_COLUMNS`) of ``projects`` rows (:func:`built_projects`):
    one per row, a project built in tranches one per tranche, each of overnight cost
    capex x built share."""
    out = projects[BUILD_COLUMNS[1:]].reset_index(drop=True)
    out.insert(0, "overnight_musd", (projects["capex_musd"].astype(float)
                                     * projects["built_share"].astype(float)).to_numpy())
    return out


def new_projects(counterfactual, scenario) -> pd.DataFrame:
    """The :func:`built_projects` rows of ``scenario`` whose project ``counterfactual``
    does not build."""
    pj = built_projects(scenario)
    return pj[~pj["project"].isin(set(built_projects(counterfactual)["project"]))]


#: the ``investments`` kinds whose builds a project changes (:func:`incremental_builds`)
BUILD_KINDS = ("unit", "link", "project", "extension")


def incremental_builds(counterfactual, scenario, project: str) -> pd.DataFrame:
    """The builds (:data:`BUILD_COLUMNS`) by which ``scenario`` and ``counterfactual``
    (the scenario without ``project``) differ, other than ``project``'s own: per unit,
    link or project (:data:`BUILD_KINDS`, ``investments`` rows), construction period,
    first year of use, life and lead time, the scenario's overnight cost less the
    counterfactual's. Positive, a build the project induces: an expansion of unit ``u``
    built only with it, a project built only with it (one that ``requires`` it), a larger
    built share, a life extension (kind ``extension``) only the scenario makes, or makes
    larger, the earlier build of a project or expansion it moves to an earlier period.
    Negative, spend it avoids: a life extension only the counterfactual makes, a project
    the counterfactual builds instead, the later build of one it moves earlier. Each is
    depreciated from its own first year of use over its own life
    (:func:`chainopt.report.parties.depreciation`), so that the project's tax deductions
    are the scenario's less the counterfactual's: a build avoided takes away the
    deductions the counterfactual would have had (MP4 avoids the legacy crackers' life
    extension and, with it, the extension's depreciation)."""
    keys = ["kind", "name", "period", "first_use_year", "lifetime_yr", "lead_time_yr"]

    def builds(results) -> pd.DataFrame:
        inv = results.tables.get("investments")
        if inv is None or inv.empty:
            inv = pd.DataFrame(columns=[*keys, "overnight_musd"])
        inv = inv[inv["kind"].isin(BUILD_KINDS)
                  & ~((inv["kind"] == "project") & (inv["name"] == project))]
        # the same types in a run read from its folder and one held in memory
        inv = inv.astype({"kind": str, "name": str, "period": str, "first_use_year": int,
                          "lifetime_yr": float, "lead_time_yr": float,
                          "overnight_musd": float})
        return inv.groupby(keys, as_index=False, sort=False)["overnight_musd"].sum()

    s, c = builds(scenario), builds(counterfactual)
    # (stacked, not outer-merged: pandas cannot merge an empty frame of Arrow text keys)
    parts = [df.assign(signed=sign * df["overnight_musd"])
             for df, sign in ((s, 1.0), (c, -1.0)) if len(df)]
    if not parts:
        return s[BUILD_COLUMNS]
    m = pd.concat(parts, ignore_index=True).groupby(keys, as_index=False, sort=False).agg(
        overnight_musd=("signed", "sum"), larger=("overnight_musd", "max"))
    # a saved run keeps 10 significant digits of each cost: a build both make reads as a
    # difference of up to 5e-10 of it
    m = m[m["overnight_musd"].abs() > 1e-9 + 1e-8 * m["larger"]]
    return m[BUILD_COLUMNS].reset_index(drop=True)


def project_spend(counterfactual, scenario) -> pd.Series:
    """The projects' own overnight spend by year (MUSD, positive): capex x built share of
    each project built in ``scenario`` and not in ``counterfactual``, spread over its
    construction years as :func:`stream` spreads it. It differs from the incremental
    stream's capex when the project makes spend elsewhere in the chain unnecessary (or
    needed), such as a life extension of the counterfactual."""
    pj = new_projects(counterfactual, scenario)
    if pj.empty:
        return pd.Series(dtype=float, index=pd.Index([], name="year", dtype=int))
    return spend_by_year(project_builds(pj))


def _by_year(results, per_period: pd.Series) -> pd.Series:
    """A per-year value by period (index: period) in each year of its period (index:
    year, the horizon's years)."""
    disc = discounting(results)
    years = disc.period_years()
    values = per_period.reindex(period_table(results)["period"]).to_numpy(float)
    return pd.Series(values[disc.period_of_year(years)], index=pd.Index(years, name="year"))


def _fixed_om_by_year(results) -> pd.Series:
    """The run's fixed O&M cash flow (``cashflow_fixed_om``, MUSD, negative) by year."""
    cf = cashflows(results)
    return _by_year(results, cf["fixed_om"] if "fixed_om" in cf.columns
                    else pd.Series(0.0, index=cf.index))


def stream(results) -> pd.DataFrame:
    """The run's yearly cash-flow stream (index: year; columns :data:`STREAM`)."""
    disc = discounting(results)
    cf = cashflows(results)
    capex = cf["capex"] if "capex" in cf.columns else 0.0
    op = (cf["net"] - capex) if "net" in cf.columns else pd.Series(0.0, index=cf.index)
    out = pd.DataFrame(0.0, index=pd.Index(np.arange(disc.first_year, disc.end_year + 1),
                                           name="year"), columns=list(STREAM))
    by_year = _by_year(results, op)
    out.loc[by_year.index, "operating_musd"] = by_year.to_numpy()
    inv = results.tables.get("investments")
    if inv is not None and len(inv):
        spend = spend_by_year(inv)
        out = out.reindex(out.index.union(spend.index), fill_value=0.0)
        out.loc[spend.index, "capex_musd"] -= spend.to_numpy()
        out.loc[disc.end_year, "residual_musd"] += float(inv["residual_musd"].sum())
    out.index.name = "year"
    return out


def present_value(flows: pd.Series, disc: Discounting) -> float:
    """sum_y flow_y d(y) (index: year)."""
    return float((flows.to_numpy(float) * disc.factor(flows.index.to_numpy())).sum())


def npv(flows: np.ndarray, rate: float) -> float:
    """Value at the first year's slot of yearly flows: ``sum_k flow_k (1+rate)^-k``."""
    flows = np.asarray(flows, dtype=float)
    return float((flows / (1.0 + rate) ** np.arange(len(flows))).sum())


#: the rates :func:`irr` scans for sign changes of the NPV: steps of 0.001 from -0.991
#: to 1, then of 0.01 to 10.01, one step beyond each end of the range the notes name
#: (:data:`SCANNED`), so that a root exactly at -99 % or 1,000 % (-100, +1,100) lies
#: between two points of the scan, as one on any other point of it does (a value of
#: exactly 0 is no sign)
IRR_GRID = np.concatenate([np.linspace(-0.991, 1.0, 1992), np.linspace(1.0, 10.01, 902)[1:]])


def irr(flows: np.ndarray) -> float | None:
    """Internal rate of return of consecutive yearly flows; None if none.

    The NPV is evaluated on :data:`IRR_GRID` and every sign change refined by bisection.
    A stream can have several roots (a party whose sale year repays more debt than the
    sale brings it: -15, -16.2, +12.8, ..., +12.4, -1.4 has one at -90.2 % and one at
    31.0 %). Reported: the largest
    root at which the NPV falls through zero as the rate rises (the investment-type
    root: worth more at lower rates, so IRR > r exactly when the NPV at r is positive
    near it); if there is none, the only root when there is exactly one (a
    borrowing-type stream, money received first: the rate it pays); else None
    (:func:`irr_note` says why). Flows that start with an outflow and are still worth
    more than 0 at the scan's top, 1,001 % (a step beyond the 1,000 % the notes name),
    fall through 0 above it (their NPV tends to
    the first flow as the rate grows): their IRR is beyond the scan, None, even where
    the scan finds a rising root (-0.0568, +0.9716, -1 rises through 0 at 10 % and
    falls at 1,500 %: not 10 %, at which the NPV turns positive). A rate given with
    other roots beside it comes with a note saying where the NPV is positive
    (:func:`irr_note`).
    """
    return irr_and_note(flows)[0]


def irr_note(flows: np.ndarray) -> str:
    """Why :func:`irr` gives no rate for ``flows``, or where the NPV is positive when
    its rate is not the only one giving NPV 0, in a few words for the reader ('' when
    neither). Beside a blank IRR: 'no cash flow', 'no outflow' (nothing invested), 'no
    inflow' (nothing back), 'NPV > 0 at every rate scanned, -99 % to 1,000 %' (no
    root in the scan though the flows change sign more than once: a party whose loan
    drawdown exceeds its first capex, +28, -34, +10, -5, +12; or two roots closer than
    the grid's step, or a double root, which the scan cannot see), 'rate above 1,000 %;
    NPV > 0 only between 13.5 % and that rate' (flows that spend first and are worth
    more than 0 at 1,000 %: the rate at which they fall through 0 lies beyond the
    scan; :func:`positive_note`), or 'rate outside -99 % to 1,000 %' (one sign change:
    one root, beyond the scan). Beside a rate, where the scan's roots make the NPV
    positive (:func:`positive_note`): -100, +230, -132 is worth 0 at 10 % and at 20 %,
    its IRR is 20 % (the NPV falls through 0 there) and its note 'NPV > 0 only between
    10.0 % and 20.0 %'."""
    return irr_and_note(flows)[1]


#: the scan's range, as the notes name it
SCANNED = "-99 % to 1,000 %"

#: the IRR rule in a few words, where a table's title or footnote names the IRR beside
#: its note (the party table, the deck's project table)
IRR_RULE = "IRR: the largest rate at which the NPV falls through 0, its note where NPV > 0"


#: the size of a yearly flow (MUSD, 0.001 USD) below which :func:`irr_and_note` takes it
#: for 0
NOISE_MUSD = 1e-9


#: an NPV at most this fraction of the sum of its discounted flows' sizes is rounding
#: noise, without a sign (a few units in the last place of each flow)
NPV_ROUNDING = 1e-12


def irr_and_note(flows: np.ndarray) -> tuple[float | None, str]:
    """:func:`irr` and :func:`irr_note` of ``flows``: (rate, '' or where the NPV is
    positive) or (None, why)."""
    flows = np.asarray(flows, dtype=float)
    # a flow of at most NOISE_MUSD is rounding noise, 0 (an incremental stream is a
    # difference of two runs: 1e-12 left in a year read 'rate outside ...' where nothing
    # came back, review s31 F4)
    flows = np.where(np.abs(flows) > NOISE_MUSD, flows, 0.0)
    nz = np.flatnonzero(flows)
    if len(nz) == 0:
        return None, "no cash flow"
    flows = flows[nz[0]:]
    if not (flows < 0).any():
        return None, "no outflow"
    if not (flows > 0).any():
        return None, "no inflow"
    with np.errstate(over="ignore", invalid="ignore"):
        terms = (1.0 + IRR_GRID)[:, None] ** -np.arange(len(flows))[None, :] * flows[None, :]
        values = terms.sum(axis=1)
        # an NPV within rounding of its discounted flows has no sign: 0 (-(1.1x - 1)^2
        # summed to +1.1e-16 at 10 % with numpy 2.4, a root the scan then "found")
        noise = NPV_ROUNDING * np.abs(terms).sum(axis=1)
    keep = np.flatnonzero(np.isfinite(values) & (np.abs(values) > noise))
    sign = np.sign(values[keep])
    change = np.flatnonzero(sign[:-1] != sign[1:])
    roots, falling = [], []
    for c in change:
        lo, hi = float(IRR_GRID[keep[c]]), float(IRR_GRID[keep[c + 1]])
        # the side of lo is the scan's sign there: at a root on a grid point (-100, +230,
        # -132 at 10 % and 20 %) the NPV there is rounding noise, and bisecting against
        # its recomputed sign (-1e-13 where the scan read +1e-13) ran off to the next
        # grid point (30.1 % for a root at 30 %)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if np.sign(npv(flows, mid)) == sign[c]:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-12:
                break
        roots.append(0.5 * (lo + hi))
        falling.append(sign[c] > 0)
    below = bool(sign[0] > 0)  # the NPV's sign below the scan's first root
    # spent first (NPV -> flows[0] < 0 as the rate grows) and still > 0 at the scan's
    # top: the NPV falls through 0 above 1,000 %, and that is the largest falling root
    if flows[0] < 0 and sign[-1] > 0:
        return None, "rate above 1,000 %; " + positive_note(roots, below, beyond=True)
    # money received first (NPV -> flows[0] > 0 as the rate grows) and < 0 at the top:
    # the NPV rises through 0 again above 1,000 %, a root the scan cannot list
    rises_beyond = bool(flows[0] > 0 and sign[-1] < 0)
    down = [r for r, f in zip(roots, falling, strict=True) if f]
    if down:
        rate = max(down)
        if len(roots) > 1 or rises_beyond:
            return rate, positive_note(roots, below, rises_beyond=rises_beyond)
        return rate, ""
    if len(roots) == 1:  # rising: flows that start with money received
        return roots[0], ""
    # no root in the scan (two or more roots always include a falling one: the NPV's
    # sign alternates between them)
    signs = np.sign(flows[flows != 0])
    changes = int((signs[:-1] != signs[1:]).sum())
    if changes == 1:  # then it has exactly one root (Descartes), beyond the scan
        return None, f"rate outside {SCANNED}"
    # what the scan shows, no more: two roots closer than its step, or a double root,
    # leave its sign unchanged
    return None, f"NPV {'>' if below else '<'} 0 at every rate scanned, {SCANNED}"


def positive_note(roots: list[float], below: bool, beyond: bool = False,
                  rises_beyond: bool = False) -> str:
    """Where the NPV is positive within the scan, given its ascending ``roots`` in the
    scan and whether it is positive ``below`` the first: 'NPV > 0 only between 10.0 %
    and 20.0 %' (-100, +230, -132), 'NPV > 0 only below 10.0 % and between 20.0 % and
    30.0 %' (-1,000, +3,600, -4,310, +1,716), 'NPV > 0 only above 5.0 %' (positive
    above the last root, to the scan's top). ``beyond``: the NPV falls through 0 above
    the scan (:func:`irr_and_note`), so its last interval reads 'between 13.5 % and
    that rate', and without a root 'NPV > 0 at every rate scanned, -99 % to 1,000 %'.
    ``rises_beyond``: the NPV, < 0 at the scan's top, rises through 0 above it (money
    received first: 100, -2,110, +2,200 is worth 0 at 10 % and at 1,900 %), so it ends
    'and above a rate over 1,000 %'.
    The sign alternates at each root (each is a sign change of the scan). Each root is
    rounded to 0.1 %, or to as many more decimals as keep two of them from reading
    alike (9.96 % and 10.04 %, not 10.0 % twice), up to 6."""
    if not roots:
        return f"NPV {'>' if below else '<'} 0 at every rate scanned, {SCANNED}"
    ordered = sorted(roots)

    def shown(places: int) -> list[str]:
        return [no_minus_zero(f"{100.0 * r:,.{places}f}") + " %" for r in ordered]

    places = 1
    while places < 6 and len(set(shown(places))) < len(ordered):
        places += 1
    text = shown(places)
    parts = []
    positive = below
    for i in range(len(text) + 1):
        if positive:
            if i == 0:
                parts.append(f"below {text[0]}")
            elif i == len(text):
                parts.append(f"between {text[-1]} and that rate" if beyond
                             else f"above {text[-1]}")
            else:
                parts.append(f"between {text[i - 1]} and {text[i]}")
        positive = not positive
    if rises_beyond:
        parts.append("above a rate over 1,000 %")
    # a comma where a 'between' precedes: 'between 5.0 % and 15.0 %, and above 40.0 %'
    joined = parts[-1] if len(parts) == 1 else (
        ", ".join(parts[:-1]) + (" and " if len(parts) == 2 and parts[0].startswith("below")
                                 else ", and ") + parts[-1])
    return "NPV > 0 only " + joined


#: what a human reads in place of a blank IRR or payback (:func:`not_available`)
NOT_AVAILABLE = "n/a"


def not_available(note: str) -> str:
    """What a human reads in place of a blank IRR or payback: 'n/a (no outflow)', or
    'n/a' without a ``note`` (:func:`irr_note`, :func:`payback_note`)."""
    return with_note(NOT_AVAILABLE, note)


def with_note(text: str, note: str) -> str:
    """A shown value's ``text`` with its ``note`` beside it: '31.0% (NPV > 0 only
    between -90.2 % and 31.0 %)', ``text`` alone without one; a blank value's text is 'n/a'
    (:func:`not_available`)."""
    return f"{text} ({note})" if note else text


def is_blank(value: object) -> bool:
    """Whether an IRR or payback cell shows no value: None, NaN, '' or 'n/a' (a cell
    already made text, :func:`chainopt.report.numbers.percent` of a blank)."""
    if isinstance(value, str):
        return value.strip() in ("", NOT_AVAILABLE, "nan")
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # (not a scalar)
        return False


#: the numeric columns of the economics tables whose blanks a text column explains
#: (:func:`irr_note`, :func:`payback_note`)
NOTES = {"IRR": "IRR note", "payback (yr)": "payback note"}


def with_notes(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` for a human: each blank IRR or payback cell (:func:`is_blank`) whose note
    (:data:`NOTES`) is set reads 'n/a (note)' (:func:`not_available`); a note beside a
    value that is shown (an IRR that is not the only rate giving NPV 0,
    :func:`positive_note`; a payback after which the sale leaves a party out of pocket
    again, :func:`chainopt.report.parties.settle_note`) stays text in its note column,
    moved next to the value (blank in the other rows), and the value stays a number. A
    note column with no such note is gone. Works on numbers and on cells already made
    text; a table without notes (a comparison written before them) is unchanged."""
    out = df.copy()
    for col, note in NOTES.items():
        if note not in out.columns:
            continue
        text = out.pop(note).astype("string").fillna("").astype(str)
        if col not in out.columns:
            continue
        empty = pd.Series([is_blank(v) for v in out[col]], index=out.index, dtype=bool)
        blank = (text != "") & empty
        if blank.any():
            out[col] = out[col].astype(object)
            out.loc[blank, col] = [not_available(t) for t in text[blank]]
        beside = (text != "") & ~empty
        if beside.any():
            out.insert(out.columns.get_loc(col) + 1, note, text.where(beside, ""))
    return out


def payback_from(flows: pd.DataFrame) -> int | None:
    """The year a project's payback counts from: the first year of construction spend,
    the project's own (``own_capex_musd``, as :func:`project_economics` gives it) even
    where the counterfactual spends more that year, or the first year of incremental
    spend (``capex_musd`` < 0) if that is earlier; None without incremental spend (no
    payback). Flows without ``own_capex_musd`` (comparisons written before it) count
    from the first incremental spend."""
    spent = flows.loc[flows["capex_musd"] < -1e-9, "year"]
    if spent.empty:
        return None
    own = (flows.loc[flows["own_capex_musd"] < -1e-9, "year"]
           if "own_capex_musd" in flows else spent)
    return int(min(spent.min(), own.min() if len(own) else spent.min()))


def payback(operating: pd.Series, capex: pd.Series, start: int | None = None
            ) -> float | None:
    """Years from the first year of ``capex`` spend (or ``start``, the year the project's
    own construction starts, if earlier) until the cumulative flow is >= 0 for good (its
    last rise through 0).

    ``capex`` (index: year; negative a spend, positive a spend avoided) is paid at the
    start of its year; ``operating`` (index: year) accrues evenly over its year. The last
    rise may come at the start of a year, by an avoided spend: payback is then a whole
    number of years. None if the cumulative flow is still negative at the end of the
    stream; 0 if it never falls below 0 from the first spend on.
    """
    spent = capex[capex < -1e-9]
    if spent.empty:
        return None
    first = int(spent.index.min()) if start is None else min(int(spent.index.min()), start)
    cum, back = 0.0, None
    for y in sorted(set(operating.index) | set(capex.index)):
        before, cum = cum, cum + float(capex.get(y, 0.0))
        if y >= first and cum < 0:
            back = None
        elif y > first and before < 0 <= cum:  # back at the start of y
            back = float(y - first)
        v = float(operating.get(y, 0.0))
        if y >= first and cum < 0 <= cum + v:
            back = float(y - first) + (-cum / v)
        cum += v
        if cum < 0:
            back = None
    if cum < 0:
        return None
    return 0.0 if back is None else back


#: what a payback note beside the horizon's end says payback leaves out: the year after
#: it, which holds the residual value (:func:`payback_note`)
LEFT_OUT = "residual value not counted"


def payback_note(operating: pd.Series, capex: pd.Series, start: int | None = None,
                 horizon_last: int | None = None, left_out: str = LEFT_OUT) -> str:
    """Why :func:`payback` (same arguments) gives none, for the reader of a blank payback
    ('' when it gives one): 'no spend' (nothing to pay back: no year of ``capex`` < 0)
    or 'not paid back by 2050, the horizon's end; residual value not counted' (the
    cumulative flow, without the residual value, still negative at the end of
    ``horizon_last``, the horizon's last year; a stream runs one year past it, to the
    residual value's year, which payback does not count; ``left_out`` says what that
    year holds, a lender's the loan's settlement). Without ``horizon_last``: 'not paid
    back by <the stream's last year>'."""
    return payback_and_note(operating, capex, start, horizon_last, left_out)[1]


def payback_and_note(operating: pd.Series, capex: pd.Series, start: int | None = None,
                     horizon_last: int | None = None, left_out: str = LEFT_OUT
                     ) -> tuple[float | None, str]:
    """:func:`payback` and :func:`payback_note` of the same stream, computed once."""
    back = payback(operating, capex, start)
    if back is not None:
        return back, ""
    if not (capex < -1e-9).any():
        return None, "no spend"
    if horizon_last is not None:
        return None, f"not paid back by {horizon_last}, the horizon's end; {left_out}"
    return None, f"not paid back by {max(max(operating.index, default=0), max(capex.index))}"


def _shares_by_year(projects: pd.DataFrame, years: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per year: the built shares of ``projects`` alive that year (from the first year of
    use to the end of the life) and the shares usable, the alive ones times their
    ``ramp_up`` share in their first years of use (results without that column: none)."""
    texts = projects["ramp_up"] if "ramp_up" in projects else pd.Series([""] * len(projects))
    v = Vintages.of(projects["first_use_year"], projects["lifetime_yr"],
                    ramp=parse_ramp(texts.fillna("").astype(str).to_numpy()))
    built = projects["built_share"].to_numpy(float)
    return v.alive(years) @ built, v.usable(years) @ built


def _in_years_of_use(operating: pd.Series, fixed_om: pd.Series, new: pd.DataFrame,
                     disc: Discounting) -> pd.Series:
    """The incremental operating flow of each period placed in the years the new
    projects' capacity is there: its fixed O&M (``fixed_om``, by year, part of
    ``operating``) where the capacity is alive, the rest (margin: revenue less feed,
    variable costs, transport, ...) where it is usable, ramp-up included.

    A period's part F_t (per year, as the LP's period average: worth F_t w_t) goes to
    year y of t as ``F_t w_t u_y / sum_{y' in t} d(y') u_y'``, with u_y the built shares
    alive in y (fixed O&M: paid on the whole capacity from its first year of use) or
    usable in y (times their ramp-up shares: the margin), so each part's present value
    in the period is unchanged. A period in which they are never alive (usable) keeps
    F_t in every year. Exact when the new projects' capacity is what changes inside the
    period and what limits their output (a plant that makes what its usable capacity
    allows, ramp-up years at their share); when something else does too (a unit of the
    counterfactual retiring mid-period, a retirement that outlasts the project, several
    new projects of different sizes with different first years, a market cap that holds
    the project's output below its capacity in some years), the placement is an
    approximation: it moves IRR, payback, tax and debt cover, never the NPV.
    """
    years = disc.period_years()
    alive, usable = _shares_by_year(new, years)
    pos = disc.period_of_year(years)
    d = disc.factor(years)

    def spread(flow: np.ndarray, u: np.ndarray) -> np.ndarray:
        weighted = np.bincount(pos, weights=d * u, minlength=len(disc.starts))
        return np.divide(flow * disc.weights[pos] * u, weighted[pos], out=flow.copy(),
                         where=weighted[pos] > 0)

    fixed = fixed_om.reindex(years, fill_value=0.0).to_numpy(float)
    flow = operating.reindex(years, fill_value=0.0).to_numpy(float)
    out = operating.copy()
    out.loc[years] = spread(flow - fixed, usable) + spread(fixed, alive)
    return out


def _largest_flow(results) -> float:
    """The largest yearly cash flow of any category of a run (MUSD/yr, absolute)."""
    cf = cashflows(results).to_numpy(float)
    return float(np.abs(cf).max()) if cf.size else 0.0


def incremental(scenario, counterfactual) -> pd.DataFrame:
    """The scenario's stream minus the counterfactual's, by year, with net and cumulative.

    The operating part is placed in the years the scenario's new projects (built in it,
    not in the counterfactual) are alive (their fixed O&M) and usable (the rest): see
    :func:`_in_years_of_use`."""
    a, b = stream(scenario), stream(counterfactual)
    idx = a.index.union(b.index)
    d = a.reindex(idx, fill_value=0.0) - b.reindex(idx, fill_value=0.0)
    # noise: a saved run keeps 10 significant digits of each cash flow (an error of up
    # to 5e-10 of it), and operating = net - capex: a run saved against one held in
    # memory (compare reuses folders; counterfactuals are solved in memory) differs by
    # up to 2e-9 of the largest flow, 2.7e-6 MUSD/yr for MP4 of the default case, which
    # the party paybacks read as spend years before construction
    largest = max(_largest_flow(scenario), _largest_flow(counterfactual))
    noise = 2e-9 * largest + 1e-9
    d = d.where(d.abs() > noise, 0.0)
    new = new_projects(counterfactual, scenario)
    if len(new):
        fom = _fixed_om_by_year(scenario) - _fixed_om_by_year(counterfactual)
        d["operating_musd"] = _in_years_of_use(d["operating_musd"],
                                               fom.where(fom.abs() > noise, 0.0), new,
                                               discounting(scenario))
    d["net_musd"] = d[list(STREAM)].sum(axis=1)
    d["cumulative_musd"] = (d["operating_musd"] + d["capex_musd"]).cumsum()
    d.index.name = "year"
    return d.reset_index()


def value_range(counterfactual, scenario) -> tuple[float | None, float | None]:
    """Where the true incremental NPV lies, as far as the two solves proved their optima.

    Each solve found a plan of net value F and proved that none beats its bound B (B = F
    for an LP; a MIP stops within its gap, B - F <= mip_gap x |F|): the optimum lies in
    [F, B]. The value, opt_s - opt_c, therefore lies in [F_s - B_c, B_s - F_c], about the
    reported F_s - F_c. (None, None) when a MIP solve gave no bound
    (``Results.net_value_bound``)."""
    b_s, b_c = scenario.net_value_bound, counterfactual.net_value_bound
    if b_s is None or b_c is None:
        return None, None
    return scenario.net_value - b_c, b_s - counterfactual.net_value


#: what to do when the solves leave a value open (:func:`range_open`)
SMALLER_GAP = ("Solve to a smaller gap, with time enough to reach it (in case.yaml, say, "
               "solver: {mip_gap: 1e-7, time_limit_s: 600})")


#: a share of the objective below which two solves' values do not differ: the solvers'
#: own tolerances (HiGHS's primal and dual feasibility tolerances are 1e-7)
SOLVER_SHARE = 1e-6


def solver_noise(diff, objective):
    """Whether a difference ``diff`` of objectives (or of their parts) is at most
    :data:`SOLVER_SHARE` of |objective|, the solvers' tolerance: shown as 0. Elementwise."""
    return np.abs(np.asarray(diff, dtype=float)) <= SOLVER_SHARE * np.abs(
        np.asarray(objective, dtype=float))


def range_open(width, value, objective):
    """Whether a range of ``width`` about ``value`` leaves the value open: wider than 1 %
    of |value| and than :data:`SOLVER_SHARE` of |objective| (below that, the solvers' own
    tolerances). Elementwise on arrays; NaN widths (no bound) are not open here."""
    return np.asarray(width) > np.maximum(0.01 * np.abs(value),
                                          SOLVER_SHARE * np.abs(objective))


def project_economics(counterfactual, scenario) -> tuple[dict, pd.DataFrame]:
    """Economics of ``scenario`` against ``counterfactual`` (the same scenario without the
    project): a summary and the yearly incremental cash flows.

    Summary keys: ``projects`` (built in the scenario, not in the counterfactual),
    ``incremental_npv_musd`` (objective difference), ``npv_low_musd`` and
    ``npv_high_musd`` (where the true difference lies given the solves' MIP gaps:
    :func:`value_range`), ``stream_npv_musd`` (the stream's
    present value: equal to it), ``overnight_capex_musd`` (the new projects' own overnight
    cost: capex x built share), ``capex_change_musd`` (what the chain spends more overnight
    than the counterfactual, all years: the projects' capex less what they make
    unnecessary, such as a life extension), ``build_year`` (first year of incremental
    spend), ``first_use_year``, ``irr``, ``payback_yr`` (from :func:`payback_from`),
    ``irr_note`` and ``payback_note`` (why either is None, or where the NPV is > 0
    beside an IRR that is not the only rate giving NPV 0: :func:`irr_note`,
    :func:`payback_note`; '' when not; for both, without incremental spend,
    :data:`SAVES_CAPEX` when the new projects spend (a project cheaper, in every year,
    than what its counterfactual builds instead), 'no outflow' when projects are built
    without capex, else 'no spend': an ``inputs`` line). The
    frame has ``year``, ``operating_musd``, ``capex_musd``, ``residual_musd``,
    ``net_musd``, ``cumulative_musd`` (without residual value) and ``own_capex_musd``
    (the new projects' own overnight spend, :func:`project_spend`, negative as
    ``capex_musd``).
    """
    flows = incremental(scenario, counterfactual)
    disc = discounting(scenario)
    pj = new_projects(counterfactual, scenario)
    spend = flows.set_index("year")["capex_musd"]
    spent = spend[spend < -1e-9]
    own = project_spend(counterfactual, scenario)
    flows["own_capex_musd"] = 0.0 - own.reindex(flows["year"], fill_value=0.0).to_numpy()
    low, high = value_range(counterfactual, scenario)
    operating = flows.set_index("year")["operating_musd"]
    summary = {
        "projects": list(dict.fromkeys(pj["project"])),
        "incremental_npv_musd": scenario.net_value - counterfactual.net_value,
        "npv_low_musd": low, "npv_high_musd": high,
        "stream_npv_musd": present_value(flows.set_index("year")["net_musd"], disc),
        "overnight_capex_musd": float((pj["capex_musd"].astype(float)
                                       * pj["built_share"].astype(float)).sum()),
        "capex_change_musd": 0.0 - float(spend.sum()),  # (no change: 0, not -0)
        # the project's own spend counts: a project cheaper than the alternative its
        # counterfactual builds saves capex in every year, yet it is built, borrowed for
        # and depreciated (its yearly stream and party economics need a build year)
        "build_year": (int(min(spent.index.union(own[own > 1e-9].index)))
                       if len(spent) or (own > 1e-9).any() else None),
        "first_use_year": int(pj["first_use_year"].min()) if len(pj) else None,
        "irr": None, "irr_note": "no spend",
    }
    # payback from the project's own first spend: a counterfactual that builds something
    # else earlier makes the first incremental year a saving, not the start
    summary["payback_yr"], summary["payback_note"] = payback_and_note(
        operating, spend, start=payback_from(flows), horizon_last=disc.end_year - 1)
    if len(spent):
        summary["irr"], summary["irr_note"] = irr_and_note(flows["net_musd"].to_numpy())
    elif (own > 1e-9).any():
        # money saved first: a rate here would be what the saving costs, read as a return
        summary["irr_note"] = summary["payback_note"] = SAVES_CAPEX
    elif len(pj):
        # built without capex (an offtake or access contract, a link whose capex is
        # carried elsewhere): nothing invested, nothing to earn back; its stream and
        # parties are written from its first year of use
        summary["irr_note"] = summary["payback_note"] = "no outflow"
    return summary, flows


#: the IRR and payback note of a project whose own spend is less, in every year, than
#: what its counterfactual spends instead (:func:`project_economics`): nothing to earn
#: back, the saving comes first
SAVES_CAPEX = "saves capex against its counterfactual"


#: the IRR note of a party whose flows start with money received (the owner of a project
#: cheaper than its counterfactual's alternative: the saving and the drawdown come
#: before its payments): the one rate that zeroes them is what that money costs it, a
#: borrowing rate, where a rate below the party's own is a gain; shown as a return beside
#: the NPV it would read as a loss (+1.25, -0.435, -0.405: -23.1 % and NPV +0.52 at 10 %)
RECEIVED_FIRST = "money received first: a borrowing rate, not a return"


#: Waterfall bars of a project's incremental NPV: (label, cash-flow categories it sums).
#: ``capex`` and ``residual value`` come from the stream (overnight spend, residual).
WATERFALL = (("revenue", ("revenue",)), ("feed / supply", ("supply",)),
             ("operating cost", ("variable_om", "fixed_om")), ("transport", ("transport",)),
             ("carbon", ("carbon",)), ("shortfall penalty", ("shortfall_penalty",)),
             ("disposal", ("disposal",)), ("capex", ()), ("residual value", ()))


def npv_by_category(results) -> dict[str, float]:
    """Present value (MUSD) of the run's stream split into the :data:`WATERFALL` bars.

    The operating part of a period is earned in each of its years, so its present value
    is its per-year value times the period's weight (the sum of its years' discount
    factors); overnight capex and the residual value are discounted year by year.
    """
    cf = cashflows(results)
    weight = period_table(results).set_index("period")["weight"]
    pv = cf.mul(weight.reindex(cf.index).to_numpy(float), axis=0).sum()
    s = stream(results)
    disc = discounting(results)
    out = {label: float(sum(pv.get(c, 0.0) for c in cats)) for label, cats in WATERFALL}
    out["capex"] = present_value(s["capex_musd"], disc)
    out["residual value"] = present_value(s["residual_musd"], disc)
    return out


def waterfall(counterfactual, scenario) -> pd.DataFrame:
    """A project's incremental NPV by bar (``category``, ``npv_musd``): the scenario's
    :func:`npv_by_category` minus its counterfactual's; the bars add to the incremental
    NPV (= the objective difference)."""
    a, b = npv_by_category(scenario), npv_by_category(counterfactual)
    d = pd.DataFrame({"category": [lab for lab, _ in WATERFALL],
                      "npv_musd": [a[lab] - b[lab] for lab, _ in WATERFALL]})
    return d.assign(npv_musd=d["npv_musd"].where(d["npv_musd"].abs() > 1e-9, 0.0))


def _held(results) -> pd.DataFrame:
    """The binding constraints with the quantity each one holds: its bound, but for a
    capacity row the capacity there is in that period (the ``capacity`` table's total:
    existing alive share and what was built or brought). The constraints table states it
    as the row's bound; folders written before it showed the row's own right side,
    which leaves out what investment adds and counts a retiring unit whole."""
    from chainopt.models.registry import CAPACITY_ROWS  # lazy: every family module

    c = results.tables["constraints"]
    held = pd.to_numeric(c["bound"], errors="coerce")
    cap = results.tables.get("capacity")
    fam = c["family"].astype(str)
    is_cap = fam.isin(list(CAPACITY_ROWS))
    if cap is not None and is_cap.any():
        name = c["key"].astype(str).str.extract(r"^(?:unit|link)=([^,]*)")[0]
        total = cap.set_index([cap["kind"].astype(str), cap["name"].astype(str),
                               cap["period"].astype(str)])["total_k_per_yr"]
        at = pd.MultiIndex.from_arrays([fam.map(CAPACITY_ROWS), name,
                                        c["period"].astype(str)])
        found = total.reindex(at).to_numpy()
        held = held.where(~(is_cap & pd.notna(found)).to_numpy(), found)
    return c.assign(bound=held)


def _swapped(r: np.ndarray) -> np.ndarray:
    """Which changes ``r`` (none 0) another one cancels: r_j with |r_i + r_j| <= 1e-3 |r_i|,
    found by a binary search of -r_i in the sorted changes (the n x n table of every pair
    it was found in held 146 MB for the 4,271 changes of a 300k-variable comparison, and
    13 GB for 40,000). No change cancels itself: |2 r_i| > 1e-3 |r_i|."""
    tol = 1e-3 * np.abs(r)
    s = np.sort(r)
    return np.searchsorted(s, -r + tol, "right") > np.searchsorted(s, -r - tol, "left")


def constraint_changes(counterfactual, scenario, top: int = 3) -> pd.DataFrame:
    """The binding constraints whose rent changes most between the counterfactual and the
    scenario: rent = marginal value x the quantity the constraint holds (its bound; for a
    capacity, the capacity there is in the period: :func:`_held`), in MUSD/yr: the
    scarcity value that accrues to the constraint, not the project's gain (rents move
    between constraints). One line per constraint (its period with the largest change),
    the ``top`` largest first. The capacity of a unit or link that has none in a period
    (not built, retired) does not bind there, as in ``chainopt run`` and ``explain``
    (:func:`chainopt.report.explain.not_binding`, as the expansion limit of a unit
    not built then): its value on that side is 0. Runs whose periods differ (one splits
    a period the other keeps whole) are compared on the periods of both
    (:func:`chainopt.report.holding.holding`): the unsplit run's p2026 (2026-2030) is its
    p2029 where its years do not differ inside p2026, and a period either has no value
    in is left out: a constraint binding in the split run's p2029 is not a rent gained
    from 0."""
    # lazy: explain's family registry loads only when a comparison is made
    from chainopt.report.explain import not_binding

    cols = ["family", "key", "period", "marginal_value_without", "marginal_value_with",
            "value_unit", "rent_change_musd_per_yr"]
    ca, cb = scenario.tables.get("constraints"), counterfactual.tables.get("constraints")
    if ca is None or cb is None or (ca.empty and cb.empty):
        return pd.DataFrame(columns=cols)
    ca, cb = _held(scenario), _held(counterfactual)
    for c, res in ((ca, scenario), (cb, counterfactual)):
        if "side" in c and len(c):
            zero = not_binding(c, res.tables).to_numpy()
            c["marginal_value"] = c["marginal_value"].where(~zero, 0.0)
    # by the periods of both: a period one run splits off inside one of the other's is
    # the other's holding period there (its p2026 for the scenario's p2029), where its
    # years do not differ; one either run has no value in is not compared (a rent of 0
    # there would be a change neither states)
    held = holding.holding({"without": getattr(counterfactual, "manifest", None) or {},
                            "with": getattr(scenario, "manifest", None) or {}}).periods
    cb = holding.on_rows(cb, held["without"], key=True) if len(cb) else cb
    ca = holding.on_rows(ca, held["with"], key=True) if len(ca) else ca
    if held["without"] is not None and held["with"] is not None:
        both = set(held["without"]) & set(held["with"])
        ca, cb = (c[c["period"].astype(str).isin(both)] for c in (ca, cb))
    keys = ["family", "kind", "key", "period", "side"]
    m = cb[[*keys, "marginal_value", "bound", "value_unit"]].merge(
        ca[[*keys, "marginal_value", "bound", "value_unit"]], on=keys, how="outer",
        suffixes=("_without", "_with"))
    for s in ("_without", "_with"):
        # numbers, whatever the dtype: a run without binding constraints has an empty
        # constraints table of text columns, which kept the merged column text; written
        # as text, the one-pager showed its rent unrounded (0.9999999999999999)
        m[f"marginal_value{s}"] = pd.to_numeric(m[f"marginal_value{s}"],
                                                errors="coerce").fillna(0.0)
        m[f"bound{s}"] = pd.to_numeric(m[f"bound{s}"], errors="coerce").fillna(0.0)
    m["value_unit"] = m["value_unit_with"].fillna(m["value_unit_without"])
    m["rent_change_musd_per_yr"] = (m["marginal_value_with"] * m["bound_with"]
                                    - m["marginal_value_without"] * m["bound_without"]) / 1e3
    m["_size"] = m["rent_change_musd_per_yr"].abs()
    m = m[m["_size"] > 1e-6].sort_values("_size", ascending=False, kind="stable")
    # a degenerate swap (the same rent, to 0.1 %, moving from one constraint to the next on
    # the same path, e.g. a plant's capacity and the pipeline that feeds it) cancels: left
    # out
    m = m[~_swapped(m["rent_change_musd_per_yr"].to_numpy(float))]
    m["_base"] = m["key"].astype(str).str.replace(r",?\s*period=[^,]*", "", regex=True)
    m = m.drop_duplicates(["family", "_base"]).head(top)
    return m[cols].reset_index(drop=True)
