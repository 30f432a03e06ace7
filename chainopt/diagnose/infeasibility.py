"""Why a case does not solve: its irreducible infeasible subsets (one conflict after
another), the smallest elastic relaxation, or the columns that run away in an
unbounded case.

Works on the LP relaxation of a built model (no solution needed) and reports in the
case's names and units (:mod:`chainopt.diagnose.names`). Which bounds ``elastic``
may relax is declared in the families' specs (``Row.elastic``, ``Var.bound.elastic``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chainopt.diagnose.names import in_service, locate, quantity_unit, row_scale, stated_in
from chainopt.models.balance import COMMODITY
from chainopt.models.blending import SPEC_MAX, SPEC_MIN
from chainopt.models.build import BuiltModel
from chainopt.models.disposal import DISPOSE
from chainopt.models.registry import ROWS, VARIABLES
from chainopt.solve import (
    INF,
    Highs,
    dual_ray,
    irreducible_iis,
    model_arrays,
    model_status,
    new_highs,
    pass_model,
    pass_rowwise,
    run_highs,
)

BIG = 1e9  # artificial bound (k units/yr) used to find the columns of an unbounded case
MAX_CONFLICTS = 5  # conflicts (IIS) sought one after another in an infeasible case


@dataclass
class Diagnosis:
    """What is wrong with a case that does not solve (or that it solves)."""

    case: str
    status: str  # optimal, infeasible, unbounded, other
    members: pd.DataFrame = field(default_factory=pd.DataFrame)  # IIS members, by conflict
    method: str = ""  # how the members were found
    complete: bool = False  # no conflict left once the members found are dropped
    relaxations: pd.DataFrame | None = None  # elastic mode
    runaway: pd.DataFrame | None = None  # unbounded columns
    # integer decisions the LP relaxation takes in part (a case infeasible only as a MIP)
    fractional: pd.DataFrame | None = None


def _relaxed(built: BuiltModel, col_upper: np.ndarray | None = None) -> Highs:
    """A new HiGHS instance holding the model's LP relaxation (``col_upper`` in place of
    the column upper bounds where given)."""
    h = new_highs()
    pass_model(h, built, relaxed=True, col_upper=col_upper)
    return h


def _status(h: Highs) -> str:
    """``optimal``, ``infeasible``, ``unbounded`` or ``other``: what HiGHS says of the LP
    ``h`` holds (run), asked again without presolve where presolve could not tell
    infeasible from unbounded."""
    st = model_status(h)
    if st == "unbounded_or_infeasible":
        h.setOptionValue("presolve", "off")
        run_highs(h)
        st = model_status(h)
    return st if st in ("optimal", "infeasible", "unbounded") else "other"


def _member_rows(built: BuiltModel, idx: np.ndarray, bound: np.ndarray, is_row: bool
                 ) -> pd.DataFrame:
    a = built.arrays
    loc = locate(built.lp, built.lp.row_families if is_row else built.lp.var_families, idx)
    lo = (a.row_lb if is_row else a.col_lb)[idx]
    hi = (a.row_ub if is_row else a.col_ub)[idx]
    scale, available, serving = np.ones(len(idx)), np.ones(len(idx)), np.ones(len(idx))
    if is_row:
        for fam in built.lp.row_families:
            sel = (idx >= fam.start) & (idx < fam.stop)
            if sel.any():
                scale[sel] = row_scale(built, fam, stated=True)[idx[sel] - fam.start]
                available[sel] = row_scale(built, fam)[idx[sel] - fam.start]
                serving[sel] = in_service(built, fam)[idx[sel] - fam.start]
    side = np.select([lo == hi, bound == 2, bound == 3], ["equal", "lower", "upper"], "both")
    value = np.where(side == "upper", hi, np.where(side == "lower", lo, np.where(
        side == "equal", lo, np.nan))) / scale
    loc["kind"] = "row" if is_row else "bound"
    loc["_scale"] = scale
    loc["side"] = side
    loc["bound"] = value
    loc["lower"], loc["upper"] = lo / scale, hi / scale
    # the factors between the number stated (the input table's) and the row's own: a
    # unit's capacity x its availability x the share of the period it is in service
    loc["availability"] = available
    # 0 for a unit out of service all the period (its row holds 0 whatever it states)
    loc["in_service"] = np.where(serving <= 0, 0.0, scale / available)
    loc["brought_by"], loc["retired_by"], brings = (_project_terms(built, idx) if is_row
                                                    else ("", "", 0.0))
    loc["brings"] = brings / scale  # what the projects bring, as the input table states it
    loc["stated_in"] = _stated_in(built, idx, is_row)
    loc["quantity_unit"] = _quantity_units(
        built, built.lp.row_families if is_row else built.lp.var_families, idx)
    if is_row:
        _spec_limits(built, loc, idx)
    return loc


def _stated_in(built: BuiltModel, idx: np.ndarray, is_row: bool) -> np.ndarray:
    """The file and row stating the bound of each row or column ``idx`` (its family's
    ``source``: :func:`chainopt.diagnose.names.stated_in`), "" where none does."""
    out = np.full(len(idx), "", dtype=object)
    for fam in built.lp.row_families if is_row else built.lp.var_families:
        sel = (idx >= fam.start) & (idx < fam.stop)
        if not sel.any():
            continue
        part = ROWS[fam.label] if is_row else VARIABLES[fam.label].bound
        if part is not None and part.source is not None:
            out[sel] = stated_in(built, part.source, fam.keys.iloc[idx[sel] - fam.start])
    return out


def _quantity_units(built: BuiltModel, families: list, idx: np.ndarray) -> np.ndarray:
    """The unit the quantity of each row or column ``idx`` of ``families`` is counted in
    (:func:`chainopt.diagnose.names.quantity_unit`: ``t`` for a commodity in t, ...)."""
    unit = np.full(len(idx), "", dtype=object)
    for fam in families:
        sel = (idx >= fam.start) & (idx < fam.stop)
        if sel.any():
            q = quantity_unit(built, fam.keys.iloc[idx[sel] - fam.start].reset_index(
                drop=True))
            unit[sel] = np.asarray(q.values, dtype=object)[q.codes]
    return unit


def _project_terms(built: BuiltModel, rows: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For capacity rows (``use - ... <= capacity``, the spec's ``what``), the projects
    whose build moves the room the row's bound leaves out (';'-joined, '' for none):
    those whose build adds room, with a negative coefficient (a unit or link a project
    brings: its row's bound is 0, the build adds the capacity), and those whose build
    takes room away, with a positive one (a unit a project retires in the period); and
    the room the first bring, built whole, in the row's own units (the largest size of
    their coefficients: a project built in p1 or in p2 has a build column of each in
    p2's row, only one of which can be 1)."""
    a = built.arrays
    project = np.full(built.num_vars, "", dtype=object)  # the project of each column
    for fam in built.lp.var_families:
        if "project" in fam.keys.columns:
            project[fam.start:fam.stop] = fam.keys["project"].astype(str).to_numpy()
    capacity = np.zeros(built.num_rows, dtype=bool)
    for fam in built.lp.row_families:
        capacity[fam.start:fam.stop] = ROWS[fam.label].what == "capacity"
    m = a.matrix
    brings, retires, room = [], [], []
    for i in rows:
        s, e = (m.indptr[i], m.indptr[i + 1]) if capacity[i] else (0, 0)
        names, coef = project[m.indices[s:e]], m.data[s:e]
        on = names != ""
        brings.append(";".join(dict.fromkeys(names[on & (coef < 0)])))
        retires.append(";".join(dict.fromkeys(names[on & (coef > 0)])))
        room.append(max(-coef[on & (coef < 0)], default=0.0))
    return (np.array(brings, dtype=object), np.array(retires, dtype=object),
            np.array(room, dtype=float))


def _spec_limits(built: BuiltModel, loc: pd.DataFrame, idx: np.ndarray) -> None:
    """A blend spec row reads ``sum_c (q_c - limit) v_c / v_p blend_c >= 0``: its right
    side is 0 whatever the spec, so such a member states the spec's own limit (specs.csv)
    instead, with ``quantity_unit`` ``spec``, and the row stating it (the blend's
    product's row of specs.csv, or of specs_by_period.csv where it sets the period's)."""
    terms = built.index.spec_terms
    for fam in built.lp.row_families:
        row = ROWS.get(fam.label)
        if row not in (SPEC_MIN, SPEC_MAX):
            continue
        sel = (idx >= fam.start) & (idx < fam.stop)
        if not sel.any():
            continue
        lim = terms[terms["bound"] == ("min" if row is SPEC_MIN else "max")].drop_duplicates(
            ["blend", "property", "period"]).set_index(["blend", "property", "period"])["limit"]
        keys = fam.keys.iloc[idx[sel] - fam.start]
        loc.loc[sel, "bound"] = lim.reindex(pd.MultiIndex.from_frame(
            keys[["blend", "property", "period"]])).to_numpy()
        loc.loc[sel, "quantity_unit"] = "spec"
        # its row of specs.csv (or specs_by_period.csv), keyed by the blend's product
        product = built.case.tables["blends"].drop_duplicates("blend").set_index(
            "blend")["product"]
        of = pd.DataFrame({"commodity": keys["blend"].map(product).to_numpy(),
                           "property": keys["property"].to_numpy(),
                           "period": keys["period"].to_numpy()})
        column = "min_value" if row is SPEC_MIN else "max_value"
        loc.loc[sel, "stated_in"] = stated_in(built, ("specs", column), of)


def infeasible_subsets(built: BuiltModel, limit: int = MAX_CONFLICTS
                       ) -> tuple[pd.DataFrame, str, bool]:
    """Irreducible infeasible subsets of the (LP relaxation of the) model, one after
    another: one conflict (:func:`_iis`); its members are then dropped (:func:`_drop`)
    and the LP solved again, up to ``limit`` conflicts, so that a case with several
    independent conflicts (two markets each short of supply) shows them all rather than
    the first. If HiGHS gives no IIS at first, a deletion filter over whole row families
    (:func:`_family_filter`).

    Returns ``(members, method, complete)``: the members with ``conflict`` 1, 2, ...
    (the deletion filter's: 1), how they were found, and whether the LP is feasible
    once every member found is dropped (no conflict left, apart from ones that share
    the members found); False when ``limit`` was reached, HiGHS gave no further IIS, or
    the deletion filter was used: there may be more."""
    h = _relaxed(built)
    h.changeColsCost(built.num_vars, np.arange(built.num_vars, dtype=np.int32),
                     np.zeros(built.num_vars))  # feasibility only: never unbounded
    lp = model_arrays(built, relaxed=True)  # its bounds, as the conflicts dropped leave them
    for side in ("col_lower", "col_upper", "row_lower", "row_upper"):
        lp[side] = lp[side].copy()  # (col_lower may be the model's own array)
    found: list[pd.DataFrame] = []
    while True:
        run_highs(h)
        if found and _status(h) != "infeasible":
            complete = True
            break
        iis = None if len(found) == limit else _iis(h, lp)
        if iis is None:
            if not found:
                members = _family_filter(built)
                members["conflict"] = 1
                return members, "deletion filter over constraint families", False
            complete = False
            break
        rows, rb, cols, cb = iis
        members = pd.concat([_member_rows(built, rows, rb, True),
                             _member_rows(built, cols, cb, False)], ignore_index=True)
        members["conflict"] = len(found) + 1
        found.append(members.drop(columns=["index", "_scale"]))
        _drop(h, built, lp, rows, cols, cb)
    return pd.concat(found, ignore_index=True), "HiGHS IIS (irreducible)", complete


def _iis(h: Highs, lp: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """An IIS of the infeasible LP ``h`` holds (run; ``lp``: its arrays, as
    :func:`chainopt.solve.model_arrays` gives them, with its current bounds): row
    indices and bound codes, column indices and bound codes of the columns whose bounds
    matter (lower 2, upper 3, boxed 4); None when HiGHS gives none.

    HiGHS's IIS (:func:`chainopt.solve.irreducible_iis`) runs a deletion filter, one LP
    per row: minutes on a 30k-column case (a 3k one took 4 s a conflict, a 30k one 5 to
    9 minutes). It is asked of the rows of HiGHS's dual ray alone (:func:`_ray_rows`: a
    Farkas certificate, y with y'Ax bounded away from what the bounds allow; those rows
    with the bounds of the columns in them admit no solution on their own, and every
    IIS of that subsystem is one of the LP): 3 to 7 rows on those cases, an IIS in
    milliseconds. Where HiGHS gives no ray, or the subsystem solves (numerically at the
    edge), the whole LP is asked."""
    rows = _ray_rows(h)
    iis = _subsystem_iis(lp, rows) if rows is not None else None
    if iis is None:
        iis = irreducible_iis(h)
    if iis is None:
        return None
    rows, rb, cols, cb = iis
    keep = cb >= 2  # a column whose bounds matter (lower, upper, boxed)
    return rows, rb, cols[keep], cb[keep]


def _ray_rows(h: Highs) -> np.ndarray | None:
    """The rows of HiGHS's dual ray of the infeasible LP ``h`` holds (its entries above
    1e-9 of the largest), the LP run again without presolve (simplex) where the run left
    no ray (presolve found the infeasibility itself); None when HiGHS gives none."""
    ray = dual_ray(h)
    if ray is None:
        h.setOptionValue("presolve", "off")
        h.setOptionValue("solver", "simplex")
        run_highs(h)
        ray = dual_ray(h) if model_status(h) == "infeasible" else None
    if ray is None or not np.any(ray):
        return None
    return np.flatnonzero(np.abs(ray) > 1e-9 * np.abs(ray).max())


def _subsystem_iis(lp: dict, rows: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """HiGHS's irreducible IIS of the subsystem of ``lp`` made of ``rows`` and the
    columns in them (with their bounds; no cost), in the LP's own row and column
    indices; None when the subsystem is not infeasible or HiGHS gives no IIS."""
    start, index = lp["start"], lp["index"]
    lens = start[rows + 1] - start[rows]
    at = np.repeat(start[rows] - np.r_[0, np.cumsum(lens)[:-1]], lens) + np.arange(lens.sum())
    cols = np.unique(index[at])
    sub = new_highs()
    pass_rowwise(sub, lp["col_lower"][cols], lp["col_upper"][cols], lp["row_lower"][rows],
                 lp["row_upper"][rows], np.r_[0, np.cumsum(lens)],
                 np.searchsorted(cols, index[at]), lp["value"][at])
    run_highs(sub)
    iis = irreducible_iis(sub) if model_status(sub) == "infeasible" else None
    if iis is None:
        return None
    r, rb, c, cb = iis
    return rows[r], rb, cols[c], cb


def _drop(h: Highs, built: BuiltModel, lp: dict, rows: np.ndarray, cols: np.ndarray,
          col_bound: np.ndarray) -> None:
    """Drop a conflict's members from ``h`` and ``lp`` (its arrays): its rows made free
    and its columns' bounds that matter (``col_bound`` 2 lower, 3 upper, 4 both)
    removed. The commodity balances and the lower bounds of 0 that link the members stay
    (no limit a user sets, and one may link the next conflict too), unless the conflict
    has no other row or bound."""
    balance = np.zeros(len(rows), dtype=bool)
    for fam in built.lp.row_families:
        if fam.label == COMMODITY.label:
            balance |= (rows >= fam.start) & (rows < fam.stop)
    # a quantity that cannot be negative links the members as a balance does: dropped,
    # a mode run backwards hid an independent conflict, and explain said none was left
    # (review diag2 F2)
    nonneg = (col_bound == 2) & (built.arrays.col_lb[cols] == 0)
    if (~balance).any() or (~nonneg).any():
        cols, col_bound = cols[~nonneg], col_bound[~nonneg]
    if (~balance).any() or len(cols):
        rows = rows[~balance]
    if len(rows):
        lp["row_lower"][rows], lp["row_upper"][rows] = -INF, INF
        h.changeRowsBounds(len(rows), rows.astype(np.int32),  # type: ignore[attr-defined]
                           np.full(len(rows), -INF), np.full(len(rows), INF))
    for j, b in zip(cols.tolist(), col_bound.tolist(), strict=True):
        if b in (2, 4):
            lp["col_lower"][j] = -INF
        if b in (3, 4):
            lp["col_upper"][j] = INF
        h.changeColBounds(j, lp["col_lower"][j], lp["col_upper"][j])


def _family_filter(built: BuiltModel) -> pd.DataFrame:
    """Drop whole row families while the model stays infeasible; what remains conflicts."""
    a = built.arrays
    h = _relaxed(built)
    needed = []
    for fam in built.lp.var_families:  # user-set upper bounds first
        n = fam.stop - fam.start
        idx = np.arange(fam.start, fam.stop, dtype=np.int32)
        if not n or not np.isfinite(a.col_ub[idx]).any() or a.integer[idx].any():
            continue
        h.changeColsBounds(n, idx, a.col_lb[idx], np.full(n, INF))
        run_highs(h)
        if _status(h) != "infeasible":
            h.changeColsBounds(n, idx, a.col_lb[idx],
                               np.where(np.isinf(a.col_ub[idx]), INF, a.col_ub[idx]))
            needed.append((fam.label, "bound", "upper"))
    for fam in built.lp.row_families:
        n = fam.stop - fam.start
        if not n:
            continue
        idx = np.arange(fam.start, fam.stop, dtype=np.int32)
        free = (np.full(n, -INF), np.full(n, INF))
        h.changeRowsBounds(n, idx, *free)  # type: ignore[attr-defined]
        run_highs(h)
        if _status(h) != "infeasible":
            lo = np.where(np.isinf(a.row_lb[idx]), -INF, a.row_lb[idx])
            hi = np.where(np.isinf(a.row_ub[idx]), INF, a.row_ub[idx])
            h.changeRowsBounds(n, idx, lo, hi)  # type: ignore[attr-defined]
            needed.append((fam.label, "row", ""))
    return pd.DataFrame({"family": [f for f, _, _ in needed], "key": "", "period": "",
                         "kind": [k for _, k, _ in needed], "side": [s for _, _, s in needed],
                         "bound": np.nan})


def elastic(built: BuiltModel) -> pd.DataFrame:
    """The smallest relaxations (sum of k units/yr over every relaxed bound) of demand
    floors, capacities, emission caps, supply limits and sales caps that make the case
    feasible; empty with ``relaxed_to`` NaN if relaxing these cannot help."""
    a = built.arrays
    h = _relaxed(built)
    rp = np.full(built.num_rows, -1.0)
    for fam in built.lp.row_families:
        if ROWS[fam.label].elastic:
            rp[fam.start:fam.stop] = 1.0 / row_scale(built, fam, stated=True)
    up = np.full(built.num_vars, -1.0)
    for fam in built.lp.var_families:
        bound = VARIABLES[fam.label].bound
        if bound is not None and bound.elastic and bound.side == "upper":
            up[fam.start:fam.stop] = np.where(np.isfinite(a.col_ub[fam.start:fam.stop]), 1.0,
                                              -1.0)
    h.feasibilityRelaxation(-1.0, -1.0, -1.0, np.full(built.num_vars, -1.0), up, rp)
    sol = h.getSolution()
    if not sol.value_valid or not _only_allowed(sol, a, rp, up):
        return pd.DataFrame(columns=["family", "key", "period", "kind", "side", "bound",
                                     "relaxed_to", "relaxation"])
    frames = []
    for values, lo, hi, is_row in ((np.asarray(sol.row_value), a.row_lb, a.row_ub, True),
                                   (np.asarray(sol.col_value), a.col_lb, a.col_ub, False)):
        over = np.maximum(values - hi, 0.0)
        under = np.maximum(lo - values, 0.0)
        viol = np.where(over > under, over, under)
        idx = np.flatnonzero(viol > 1e-6 * (1 + np.abs(values)))
        if not len(idx):
            continue
        side = np.where(over[idx] > under[idx], 3, 2)
        m = _member_rows(built, idx, side, is_row)
        m["relaxed_to"] = values[idx] / m["_scale"].to_numpy()
        m["relaxation"] = np.abs(m["relaxed_to"] - m["bound"])
        frames.append(m)
    if not frames:
        return pd.DataFrame(columns=["family", "key", "period", "kind", "side", "bound",
                                     "relaxed_to", "relaxation"])
    return pd.concat(frames, ignore_index=True).drop(columns=["index", "_scale"])


def _only_allowed(sol, a, row_penalty: np.ndarray, col_upper_penalty: np.ndarray) -> bool:
    """Whether the relaxed point violates only what may be relaxed. When nothing that may
    be relaxed can help, HiGHS still returns a point (its status left unset), whose
    violations of rows that must hold are no relaxation at all."""
    x, r = np.asarray(sol.col_value), np.asarray(sol.row_value)
    tol = 1e-6
    row_bad = ((r > a.row_ub + tol * (1 + np.abs(r))) | (r < a.row_lb - tol * (1 + np.abs(r))))
    col_over = x > a.col_ub + tol * (1 + np.abs(x))
    col_under = x < a.col_lb - tol * (1 + np.abs(x))
    return not ((row_bad & (row_penalty <= 0)).any() or (col_over & (col_upper_penalty <= 0)).any()
                or col_under.any())


def runaway_columns(built: BuiltModel, big: float = BIG) -> pd.DataFrame:
    """Solve with every unbounded column capped at ``big``; the columns that reach it
    (or come within a factor 1000 of it) are the ones that run away, each with the unit
    its quantity is counted in (``quantity_unit``: ``big`` is 1e9 k t/yr of a
    commodity in t, 1e9 k bbl/yr of one in bbl)."""
    h = _relaxed(built, col_upper=np.where(np.isinf(built.arrays.col_ub), big,
                                           built.arrays.col_ub))
    run_highs(h)
    if model_status(h) != "optimal":
        return pd.DataFrame(columns=["family", "key", "period", "value", "at_bound",
                                     "quantity_unit", "hint"])
    x = np.asarray(h.getSolution().col_value)
    idx = np.flatnonzero((x >= big * 1e-3) & np.isinf(built.arrays.col_ub))
    loc = locate(built.lp, built.lp.var_families, idx)
    loc["value"] = x[idx]
    loc["at_bound"] = x[idx] >= big * (1 - 1e-9)
    loc["quantity_unit"] = _quantity_units(built, built.lp.var_families, idx)
    loc["hint"] = _salvage_hints(built, idx)
    return loc.drop(columns="index").sort_values("value", ascending=False, kind="stable"
                                                 ).reset_index(drop=True)


def _salvage_hints(built: BuiltModel, idx: np.ndarray) -> np.ndarray:
    """What to do about each runaway column ``idx`` whose own input makes the runaway
    pay, where no bound of its own would end it ("" elsewhere): discarding a commodity
    at a negative ``disposal_cost_usd_per_unit`` (a salvage value) earns on every unit,
    so whatever brings it at less than the salvage runs away with it (:mod:`chainopt.case
    .validate` refuses an unlimited supply at the same site before solving; a mode or a
    link in between, or a user constraint on the purchase, leaves it to the solve)."""
    hint = np.full(len(idx), "", dtype=object)
    fam = next((f for f in built.lp.var_families if f.label == DISPOSE.label), None)
    if fam is None:
        return hint
    at = (idx >= fam.start) & (idx < fam.stop)
    keys = fam.keys.iloc[idx[at] - fam.start]
    cost = keys["commodity"].map(built.index.disposal.set_index("commodity")["cost"])
    hint[at] = [f"commodities.csv gives {c} a disposal_cost_usd_per_unit of {d:g} (a salvage "
                f"value): discarding {c} at {s} pays more than it costs to bring there; raise "
                f"it to 0 or more, or bound what makes, buys or ships {c} to {s}"
                if d < 0 else "" for c, s, d in zip(keys["commodity"], keys["site"], cost,
                                                     strict=True)]
    return hint


def diagnose(built: BuiltModel, relax: bool = False) -> Diagnosis:
    """Solve the LP relaxation; if infeasible find an IIS (and elastic relaxations), if
    unbounded the runaway columns."""
    h = _relaxed(built)
    run_highs(h)
    status = _status(h)
    d = Diagnosis(case=built.case.name, status=status)
    if status == "infeasible":
        d.members, d.method, d.complete = infeasible_subsets(built)
        if relax:
            d.relaxations = elastic(built)
    elif status == "unbounded":
        d.runaway = runaway_columns(built)
    elif status == "optimal" and built.is_mip:
        mip = new_highs()
        pass_model(mip, built)
        run_highs(mip)
        if model_status(mip) == "infeasible":
            d.status = "integer_infeasible"
            d.fractional = fractional_decisions(built, np.asarray(h.getSolution().col_value))
    return d


def fractional_decisions(built: BuiltModel, x: np.ndarray) -> pd.DataFrame:
    """The integer decisions (project builds, unit builds) an LP relaxation's solution
    ``x`` takes in part, with their values: where a plan needs part of each, which the
    case's integer rules (all or nothing, excludes, minimum sizes) forbid."""
    ints = np.flatnonzero(built.arrays.integer)
    part = ints[np.abs(x[ints] - np.round(x[ints])) > 1e-6]
    loc = locate(built.lp, built.lp.var_families, part)
    loc["value"] = x[part]
    return loc
