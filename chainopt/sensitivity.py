"""What would change a project's answer: break-even values, a tornado, Monte Carlo spread.

A project's **incremental NPV** here is the one of the comparison (README "Scenarios"):
the scenario's objective minus the objective of the same scenario without the project.
To ask "at what price does it stop paying", the project is held **built as the
scenario builds it**: its build decision of each period t fixed at the scenario's
value b_t (1 in one period for an all-or-nothing project; the share of each tranche
of a divisible one, 0 where it builds nothing), so its NPV can go below zero, and the
counterfactual is the same model with every b_t fixed at 0
(:func:`chainopt.solve.solve_with_fixed`, on the same HiGHS instance).

**The MIP gap.** Each of the two solves finds a plan of net value F and proves that
none beats its bound B (an LP: B = F), so the NPV, opt_s - opt_c, lies anywhere in
[F_s - B_c, B_s - F_c] about the F_s - F_c reported (README "A project's value and the
MIP gap"; :func:`npv_range`). The tornado gives that range for each NPV; the
break-even the range of NPV at the value found and a **bracket**, the nearest values
evaluated on either side at which the range excludes 0 with opposite signs: the true
NPV changes sign between them, so a true break-even lies there (:func:`_bracket`).

Drivers (each a scenario change of the scenario's raw inputs, see :func:`changes`):

* ``price``: the market prices of the project's products (outputs of its units' modes
  that are sold somewhere), scaled by a factor;
* ``feed``: the supply costs of the project's inputs, or of every supply when its
  inputs are all made inside the chain, scaled by a factor;
* ``capex``: the project's overnight cost, scaled by a factor;
* ``carbon``: an extra carbon price in USD per t on every emission, wherever and
  whenever it is emitted, on top of the case's own prices (base 0: the chain-wide
  ``policies`` row of each emission, its period overrides included, raised by it, or
  such a row added at that price for an emission without one; a site's price adds to
  the chain-wide one, so raising every row would count it twice); not applicable to a
  case without emission commodities;
* ``discount``: the case's discount rate, set to a value.

Every variant differs from the base in coefficients only, so it is re-solved warm
(:func:`chainopt.solve.resolve`). Each driver starts from the same state, the base
without the project on a fresh HiGHS instance with that solve's basis (:func:`restart`),
so the drivers are independent and :func:`analyse` may spread them over processes with
the same numbers. A **break-even** is a zero of NPV(x) inside the
driver's search range: NPV is scanned on a grid for sign changes (it need not be
monotone in the driver) and each is refined by false position (Illinois); see
:func:`break_even`. The **tornado** is NPV at the base value x (1 - r) and x (1 + r)
of each driver, 0 < r <= 1 (the extra carbon price: 0 and 100 r USD/t).

**Needed for any plan.** When the scenario has no plan without the project (the
re-solve with it held off is infeasible: it is the only source of a good a hard floor
asks for, say) there is no counterfactual to value it against: its NPV is left blank
(NaN) and said to be :data:`NEEDED`, as a sweep leaves such a variant's ``npv_``
columns blank. The drivers change prices, costs and the discount rate, objective
coefficients only, never what is feasible, so a project needed at one value of a
driver is needed at all of them: the break-even search stops at the first one.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chainopt.case.scenario import Scenario, apply_changes, load_source
from chainopt.case.schema import Case, split_list
from chainopt.case.validate import closest, validate
from chainopt.errors import InfeasibleError, InputError, Problem, SolverError
from chainopt.report import economics, numbers
from chainopt.report.plan_warnings import plan_warnings
from chainopt.report.sweep_stats import BUILT, SOLVED, named
from chainopt.results import best_bound
from chainopt.sweep import ROUNDING

DRIVERS = ("price", "feed", "capex", "carbon", "discount")
#: what is said of an NPV left blank because the scenario has no plan without the project
NEEDED = "needed for any plan"

#: (what the value is, search range for the break-even)
DRIVER_INFO = {
    "price": ("factor on the product prices", (0.0, 4.0)),
    "feed": ("factor on the feed costs", (0.0, 10.0)),
    "capex": ("factor on the overnight cost", (0.0, 20.0)),
    "carbon": ("extra carbon price, USD/t", (0.0, 1000.0)),
    "discount": ("discount rate", (0.0, 1.0)),
}


@dataclass
class Setup:
    """A project held built in a scenario, with its base model solved once."""

    case: Case
    project: str
    plan: dict[str, float]  # the share of the project the scenario builds in each period
    products: list[str]
    feeds: list[str]
    base_values: dict[str, float]
    # the case's emission commodities, and those of them with a chain-wide policies row
    # (the carbon driver raises that row, or adds one)
    emissions: list[str] = field(default_factory=list)
    chain_wide: list[str] = field(default_factory=list)
    model: Any = None  # the solved BuiltModel whose HiGHS instance variants reuse
    # the base model's objective (MUSD): the scale of the solvers' tolerances that
    # economics.range_open compares an NPV's range with
    objective: float = 0.0
    solves: int = 0
    warm: int = 0
    # per driver but the discount rate: its model as a function of the value
    # (:func:`variant_model`), or why there is none
    maps: dict[str, Any] = field(default_factory=dict)
    # what `chainopt run` would warn of in the base solves, the project held built and
    # held off (:func:`base_warnings`)
    warnings: list[str] = field(default_factory=list)
    # where every driver's re-solves start (:func:`restart`): the base with the project
    # held off, and the basis its solve ended at (HiGHS's statuses as whole numbers,
    # columns then rows; None when it left none)
    start: Any = None
    basis: tuple[list[int], list[int]] | None = None

    @property
    def held(self) -> str:
        """The plan as text: ``p1`` (all of it built from p1), or ``p1 0.5, p2 0.5``."""
        if len(self.plan) == 1 and next(iter(self.plan.values())) == 1.0:
            return next(iter(self.plan))
        return ", ".join(f"{t} {b:.4g}" for t, b in self.plan.items())

    def hold(self, built, off: bool = False) -> Any:
        """``built`` with the project's build decision of each period fixed at the
        share :attr:`plan` gives it (0 in the periods it does not name; 0 in every
        period with ``off``: the counterfactual)."""
        from chainopt.extract import project_columns  # lazy: the model side (see setup)

        cols = project_columns(built).get(self.project, {})
        fixed = np.array([0.0 if off else self.plan.get(t, 0.0) for t in cols], dtype=float)
        at = np.fromiter(cols.values(), dtype=int, count=len(cols))
        built.arrays.col_lb[at] = fixed
        built.arrays.col_ub[at] = fixed
        built.changed()  # (the coefficient ranges read the bounds changed here)
        return built


def _project_commodities(case: Case, project: str) -> tuple[list[str], list[str]]:
    """(products sold somewhere, inputs bought somewhere or every supplied commodity).
    A project's products are what its units' modes make and what its links carry (an
    export terminal's polymers: small_chain's far_east_port, links only, had none, and
    its price driver was "the project's units sell nothing"), those of them sold at a
    market."""
    t = case.tables
    units = t["units"][t["units"]["project"].astype(str) == project]
    modes = t["modes"][t["modes"]["process"].isin(units["process"])]["mode"]
    mf = t["mode_flows"][t["mode_flows"]["mode"].isin(modes)]
    lk = t.get("links")
    carried = set() if lk is None else set(
        split_list(lk.loc[lk["project"].astype(str) == project, "commodities"]))
    sold = set(t["markets"]["commodity"]) if "markets" in t else set()
    supplied = set(t["supplies"]["commodity"]) if "supplies" in t else set()
    products = sorted((set(mf.loc[mf["direction"] == "out", "commodity"]) | carried) & sold)
    feeds = sorted(set(mf.loc[mf["direction"] == "in", "commodity"]) & supplied)
    return products, feeds or sorted(supplied)


def check_request(drivers: list[str] | tuple[str, ...], swing: object) -> None:
    """InputError unless ``drivers`` names known drivers, each once, and ``swing`` is a
    number r with 0 < r <= 1: the tornado's low value x (1 - r) of a price, cost or
    rate must not go below 0 (r = 1 takes it to 0), and r <= 0 gives no bar or swaps
    its ends."""
    problems = []
    bad = [d for d in drivers if d not in DRIVERS]
    if bad or not drivers:
        problems.append(Problem(f"--drivers {','.join(bad)}",
                                "unknown driver" if bad else "no driver given",
                                f"use {', '.join(DRIVERS)}"))
    twice = sorted({d for d in drivers if list(drivers).count(d) > 1})
    if twice:
        problems.append(Problem(f"--drivers {','.join(twice)}", "given more than once",
                                "name each driver once"))
    if (isinstance(swing, bool) or not isinstance(swing, int | float)
            or not 0.0 < float(swing) <= 1.0):  # (nan fails the comparison too)
        problems.append(Problem("--swing", f"must be a number above 0 and at most 1 (found "
                                f"{swing!r})", "0.2 moves each driver by ±20 %; 1 takes "
                                "the low end of a price, cost or rate to 0"))
    if problems:
        raise InputError(problems)


def applicable(s: Setup, driver: str) -> str:
    """'' when ``driver`` can move this project's NPV, else why not."""
    if driver == "price" and not s.products:
        return "the project's units and links sell nothing"
    if driver == "carbon" and not s.emissions:
        return "the case has no emission commodity"
    return ""


def changes(setup: Setup, driver: str, x: float) -> list[dict]:
    """The scenario changes that put ``driver`` at value ``x``."""
    if driver == "price":
        return [{"table": "markets", "where": {"commodity": setup.products},
                 "scale": {"price_usd_per_unit": float(x)}}]
    if driver == "feed":
        return [{"table": "supplies", "where": {"commodity": setup.feeds},
                 "scale": {"cost_usd_per_unit": float(x)}}]
    if driver == "capex":
        return [{"table": "projects", "where": {"project": setup.project},
                 "scale": {"capex_musd": float(x)}}]
    if driver == "carbon":
        priced = [c for c in setup.emissions if c in setup.chain_wide]
        unpriced = [c for c in setup.emissions if c not in setup.chain_wide]
        out: list[dict] = []
        if priced:  # the chain-wide rows, and their period overrides with them
            out.append({"table": "policies", "where": {"site": "", "commodity": priced},
                        "add": {"carbon_price_usd_per_unit": float(x)}})
        if unpriced:  # a chain-wide row (site blank) at x
            out.append({"table": "policies", "add_rows": [
                {"commodity": c, "site": "", "carbon_price_usd_per_unit": float(x)}
                for c in unpriced]})
        return out
    if driver == "discount":
        return [{"case": {"discount_rate": float(x)}}]
    raise InputError([Problem(f"--drivers {driver}", "unknown driver",
                              f"use {', '.join(DRIVERS)}")])


def _apply(raw, chs: list[dict], origin: str):
    sc = Scenario(name="sensitivity", description="", base="", changes=tuple(chs),
                  path=Path(origin or "."))
    return apply_changes(raw, sc)


def check_project(case, project: str) -> None:
    """``project`` is one of the case's projects, else an InputError listing them, after
    the one it spells in other case or nearly (:func:`~chainopt.case.validate.closest`:
    ``MP2``, as the README writes it, is 'mp2')."""
    pj = case.tables.get("projects")
    if pj is None or project not in set(pj["project"]):
        names = list(pj["project"]) if pj is not None else []
        near = closest(project, names)
        raise InputError([Problem(f"--project {project}", "no such project in "
                                  f"{case.name}", (f"{near} " if near else "")
                                  + "projects: " + ", ".join(names) if names else
                                  "the case has no projects (projects.csv)")])


def setup(source: str, project: str, options=None, progress=None) -> Setup:
    """Solve the scenario, find where it builds ``project`` and hold it built there;
    solve the base with it held built and held off, and keep what ``chainopt run``
    would warn of in those two plans (:func:`base_warnings`). ``progress(message)`` is
    told of each step: a project the scenario does not build is refused before the one
    that would solve it held built."""
    # lazy: the model side (the families, highspy) loads only when something is solved
    from chainopt.models.build import build
    from chainopt.solve import basis_statuses, handover, solve

    step = progress or (lambda _msg: None)
    case = load_source(source)
    check_project(case, project)
    step(f"solving {source} to see where it builds {project}")
    built = build(case, pyomo=False)
    handover(built, options)
    outcome = solve(built, options)
    plan = _built_plan(built, outcome, project)
    del built, outcome
    if not plan:
        raise InputError([Problem(f"--project {project}", "the scenario does not build it",
                                  "force it in a scenario (state: forced, period: ...) to "
                                  "ask what would make it pay")])
    products, feeds = _project_commodities(case, project)
    com = case.tables["commodities"]
    kinds = com["kind"] if "kind" in com else pd.Series("", index=com.index)
    emissions = list(com.loc[kinds == "emission", "commodity"])
    pol = case.tables.get("policies")
    chain_wide = set() if pol is None or pol.empty else set(
        pol.loc[pol["site"].fillna("") == "", "commodity"])
    s = Setup(case=case, project=project, plan=plan, products=products, feeds=feeds,
              base_values={"price": 1.0, "feed": 1.0, "capex": 1.0, "carbon": 0.0,
                           "discount": float(case.meta.discount_rate)},
              emissions=emissions, chain_wide=[c for c in emissions if c in chain_wide])
    step(f"solving it with {project} held built ({s.held}) and without it")
    s.model = s.hold(build(case, pyomo=False))
    handover(s.model, options)
    held = solve(s.model, options)
    s.objective = held.objective
    s.warnings = base_warnings(s, held, options)
    s.start = s.model  # solved without the project: its basis is where drivers start
    s.basis = basis_statuses(s.start.solver)
    return s


def restart(s: Setup, options=None) -> None:
    """Put :attr:`Setup.start` on a new HiGHS instance with :attr:`Setup.basis` as its
    basis, and make it :attr:`Setup.model`: each driver's re-solves start from this one
    state, so its numbers do not depend on the drivers solved before it, nor on the
    process it is solved in (:func:`analyse`). A copy of the setup without its start (a
    worker's) builds it again from the case: the same arrays."""
    # lazy: the model side (see setup)
    from chainopt.models.build import build
    from chainopt.solve import handover, set_basis_statuses

    if s.start is None:
        s.start = s.hold(build(s.case, pyomo=False), off=True)
    h = handover(s.start, options)
    if s.basis is not None:
        set_basis_statuses(h, s.basis)
    s.model = s.start


def base_warnings(s: Setup, held, options=None) -> list[str]:
    """What ``chainopt run`` would warn of (its manifest's ``warnings``,
    :func:`chainopt.report.plan_warnings.plan_warnings`) in the two plans every NPV here is the
    difference of: ``held``, the solve of :attr:`Setup.model` with the project held
    built, and the solve with it held off (re-solved warm on the same instance, which
    :attr:`Setup.model` then is; none when there is no plan without it, :data:`NEEDED`).
    Each is said as of which plan: "the base solve, p held built: ...", "... without
    p: ...", or "... with p held built and without it: ..." for one both give.

    A project that comes into use inside a period (a lead time that ends inside it) is
    valued on the period's average year, where its capacity counts with its usable
    share while the other yearly limits hold on the average only; run warns when the
    plan read year by year breaks them (:mod:`chainopt.report.average_year`), and so
    its NPV, break-evens and tornado may be too high: sensitivity warns as run does."""
    # lazy: the model side (see setup)
    from chainopt.models.build import build
    from chainopt.solve import resolve

    with_it = plan_warnings(s.model, held)
    off = s.hold(build(s.case, pyomo=False), off=True)
    try:
        outcome = resolve(s.model, off, options)
    except InfeasibleError:  # no plan without it: nothing to warn of there
        without: list[str] = []
    except SolverError as exc:
        raise type(exc)(f"valuing project {s.project} (the model without it): "
                        f"{exc}") from None
    else:
        without = plan_warnings(off, outcome)
    finally:
        s.model = off  # it holds the HiGHS instance now
    return say_warnings(s, with_it, without)


def say_warnings(s: Setup, with_it: list[str], without: list[str]) -> list[str]:
    """The warnings of the solve with the project held built (``with_it``) and of the one
    without it, each said as of its solve; one both give, once, as of both."""
    p = s.project
    both, held_only = f" with {p} held built and without it", f", {p} held built"
    said = [f"the base solve{both if w in without else held_only}: {w}" for w in with_it]
    return said + [f"the base solve without {p}: {w}" for w in without if w not in with_it]


def _built_plan(built, outcome, project: str) -> dict[str, float]:
    """The share b_t of ``project`` whose construction starts in each period t of the
    solved plan, for the periods with b_t > :data:`BUILT` (rounded to 0 or 1 for an
    all-or-nothing project, or when within 1e-9 of it; clipped to [0, 1]); empty when
    it is not built."""
    # lazy: the model side (see setup)
    from chainopt.extract import project_build_share, project_columns

    cols = project_columns(built).get(project, {})
    plan = {}
    for t, share in project_build_share(built, outcome, project).items():
        x = min(max(share, 0.0), 1.0)
        if built.arrays.integer[cols[t]] or x > 1.0 - 1e-9:
            x = float(round(x))
        if x > BUILT:
            plan[t] = x
    return plan


def npv(s: Setup, driver: str | None = None, x: float | None = None, options=None) -> float:
    """Incremental NPV (MUSD) of the project held built, with ``driver`` at ``x``
    (None: the scenario as it is): objective minus the objective with the project's
    build decisions fixed at 0, both on one warm HiGHS instance."""
    return npv_range(s, driver, x, options)[0]


def npv_range(s: Setup, driver: str | None = None, x: float | None = None, options=None
              ) -> tuple[float, float, float]:
    """(NPV, low, high) in MUSD: :func:`npv`, F_s - F_c, and where the true NPV lies
    given the two solves' bounds, [F_s - B_c, B_s - F_c] (F a solve's plan, B the best
    objective it proved no plan beats: :func:`chainopt.results.best_bound`; an LP's
    B = F gives low = high = NPV); low or high NaN when a MIP solve gave no bound. A
    solve stopped at its time limit with a plan is kept with its range, the held one
    (:func:`chainopt.solve.solve`: ``feasible``) and the one without the project alike
    (``solve_with_fixed(stopped=True)``, as sweeps do). (NaN, NaN, NaN) when the model
    without the project is infeasible: the project is :data:`NEEDED`, and there is no
    plan without it to value it against."""
    # lazy: the model side (see setup)
    from chainopt.extract import project_columns
    from chainopt.models.build import build
    from chainopt.solve import resolve, solve_with_fixed

    if driver is None or x is None:
        variant = s.hold(build(s.case, pyomo=False))
    else:
        variant = s.hold(variant_model(s, driver, x))
    outcome = resolve(s.model, variant, options)
    s.model = variant
    s.solves += 1
    s.warm += int(bool(variant.timings.get("warm_start")))
    cols = np.fromiter(project_columns(variant).get(s.project, {}).values(), dtype=int)
    try:
        f_c, b_c = solve_with_fixed(variant, cols, 0.0, options, stopped=True)
    except InfeasibleError:
        return math.nan, math.nan, math.nan
    except SolverError as exc:
        at = "" if driver is None or x is None else f" with {driver} at {x:g}"
        raise type(exc)(f"valuing project {s.project}{at} (the model without it): "
                        f"{exc}") from None
    f_s = float(outcome.objective)
    b_s = best_bound(f_s, outcome.info.get("mip_bound"), variant.is_mip)
    return (f_s - f_c, math.nan if b_c is None else f_s - b_c,
            math.nan if b_s is None else b_s - f_c)


def variant_model(s: Setup, driver: str, x: float):
    """The model of the scenario with ``driver`` at ``x``, not yet held.

    Every driver but ``discount`` moves prices or costs, which enter the model affinely
    (a factor on a price scales its objective coefficients; an extra carbon price adds
    to them), so the model's numbers are affine in x: the first value of a driver
    builds a map over its search range (:func:`chainopt.warm.line_map`: cold builds
    at its ends, checked exact at the midpoint, or for a factor at 1 against the
    scenario's own model) and every value inside it is the map's model, without
    validation, index or matrix. The discount factors are not affine in the rate, so a
    rate is built cold, but not validated again: no rule of the validator reads the rate
    but its range [0, 1], so within it the validated case with the new rate is the one a
    validation would give. Otherwise (a map not exact, x outside the range) the case
    with the driver's changes is validated and built cold."""
    # lazy: the model side (see setup)
    from chainopt.models.build import build
    from chainopt.warm import line_map

    lo, hi = DRIVER_INFO[driver][1]
    if driver == "discount":
        if lo <= x <= hi:
            c = s.case
            return build(c.model_copy(update={
                "meta": c.meta.model_copy(update={"discount_rate": float(x)}),
                "raw": replace(c.raw, meta={**c.raw.meta, "discount_rate": float(x)})}),
                keep=False)
    else:
        if driver not in s.maps:  # a factor's 1 is the scenario itself: its model
            factor = driver in ("price", "feed", "capex")
            s.maps[driver] = line_map(s.case.raw, lambda v: changes(s, driver, v), lo, hi,
                                      identity=1.0 if factor else None,
                                      unchanged=build(s.case) if factor else None)
        wm = s.maps[driver]
        if not isinstance(wm, str) and wm.covers((float(x),)):
            return wm.model((float(x),))
    return build(validate(_apply(s.case.raw, changes(s, driver, x), s.case.origin),
                          keep=False), keep=False)


#: the break-even search evaluates NPV at this many equal steps of a driver's range
GRID_STEPS = 20


def scan_points(s: Setup, driver: str) -> np.ndarray:
    """The values of ``driver`` NPV is evaluated at before any refinement:
    lo + k (hi - lo) / :data:`GRID_STEPS` for k = 0..GRID_STEPS over the search range
    [lo, hi], and the driver's base value when it lies inside and off that grid."""
    lo, hi = DRIVER_INFO[driver][1]
    grid = np.linspace(lo, hi, GRID_STEPS + 1)
    base = s.base_values[driver]
    if lo < base < hi and np.abs(grid - base).min() > 1e-12 * max(1.0, abs(hi)):
        grid = np.sort(np.append(grid, base))
    return grid


def _false_position(f, a: float, b: float, fa: float, fb: float, tol: float,
                    max_iter: int) -> tuple[float, float, float, float]:
    """A zero of ``f`` between ``a`` and ``b`` (fa, fb of opposite signs) by false position
    with the Illinois rule: x = (a fb - b fa) / (fb - fa) replaces the end whose sign
    f(x) shares, and an end kept twice in a row has its value halved. Stops when
    |f(x)| <= ``tol``, when the bracket is narrower than 1e-9 max(1, |b|) (f steps
    across 0 there), or after ``max_iter`` evaluations. Returns (x, f(x), a, b): the
    last point evaluated and the last bracket."""
    side = 0
    x, fx = a, fa
    for _ in range(max_iter):
        x = (a * fb - b * fa) / (fb - fa)
        fx = f(x)
        if abs(fx) <= tol or b - a <= 1e-9 * max(1.0, abs(b)):
            break
        if np.sign(fx) == np.sign(fa):
            a, fa = x, fx
            if side == -1:
                fb /= 2
            side = -1
        else:
            b, fb = x, fx
            if side == 1:
                fa /= 2
            side = 1
    return float(x), float(fx), a, b


def break_even(s: Setup, driver: str, tol: float = 1e-6, options=None,
               max_iter: int = 40) -> dict:
    """The values of ``driver`` at which the incremental NPV is 0 inside its search range.

    NPV need not be monotone in a driver (a clean unit pays only between the carbon
    price that makes it cheaper than the dirty one and the price that stops the
    product), so NPV is evaluated at :func:`scan_points` and every sign change between
    neighbours is refined by :func:`_false_position` (a value where |NPV| <= ``tol``
    is a break-even as it is). ``value``: the break-even nearest the driver's base
    value (None when there is none); ``break_evens``: all of them; ``note`` says when
    there are several, when NPV keeps one sign at every value scanned (a window
    narrower than the step between two of them can go unseen), when it is 0 at every
    one, or the same other value to within the tornado's rounding (:func:`tornado`:
    the driver does not move it, unless the MIP gaps leave that open: ``gaps`` then
    says where, or the note that they leave open whether it moves), and when the refinement
    stopped with |NPV| > ``tol`` (``max_iter`` evaluations, or a step of NPV across 0).
    ``refined_low`` and ``refined_high``: the last interval of the refinement around the
    value (NPV of opposite signs at its ends; the value itself when it is a value
    scanned), and ``tolerance_musd``: ``tol``, the |NPV| the refinement stops at.
    A project :data:`NEEDED` for any plan has no NPV and so no break-even: the scan
    stops at the first value (needed there, it is needed at every value: module
    docstring) and ``note`` says so.

    The MIP gaps: ``npv_low_at_value_musd`` and ``npv_high_at_value_musd`` are where the
    true NPV at the value lies (:func:`npv_range`), and ``bracket_low``,
    ``bracket_high`` where a true break-even lies (:func:`_bracket`); ``gaps`` says
    when the gaps leave the NPV at the value open (:func:`is_open`: then the search's
    ``tol`` is finer than the solves can tell), or, without a break-even, leave the
    sign of NPV open at values scanned (:func:`_sign_open`); "" otherwise.
    """
    lo, hi = DRIVER_INFO[driver][1]
    out = {"driver": driver, "meaning": DRIVER_INFO[driver][0],
           "base": s.base_values[driver], "value": None, "break_evens": "",
           "npv_at_value_musd": math.nan, "npv_at_low_musd": math.nan,
           "npv_at_high_musd": math.nan, "range": f"{lo:g}..{hi:g}",
           "scanned": 0,
           "applies_to": {"price": ", ".join(s.products), "feed": ", ".join(s.feeds),
                          "capex": s.project,
                          "carbon": "every emission, on top of the case's prices",
                          "discount": "the case"}[driver],
           "note": applicable(s, driver), "npv_low_at_value_musd": math.nan,
           "npv_high_at_value_musd": math.nan, "bracket_low": math.nan,
           "bracket_high": math.nan, "gaps": "", "tolerance_musd": tol,
           "refined_low": math.nan, "refined_high": math.nan}
    if out["note"]:
        return out
    seen: dict[float, tuple[float, float, float]] = {}  # x -> (NPV, low, high)

    def f(x: float) -> float:
        seen[float(x)] = npv_range(s, driver, x, options)
        return seen[float(x)][0]

    xs = scan_points(s, driver)
    for k, x in enumerate(xs, start=1):
        if math.isnan(f(x)):
            out.update(scanned=k, note=needed_note(s, f"{driver} at {x:g}"))
            return out
    fs = np.array([seen[float(x)][0] for x in xs])
    out.update(npv_at_low_musd=float(fs[0]), npv_at_high_musd=float(fs[-1]), scanned=len(xs))
    zero = np.abs(fs) <= tol
    if zero.all():
        out["gaps"] = _sign_open(seen, s.objective)
        out["note"] = f"NPV is 0 at all {len(xs)} values scanned" + (
            ", as far as the solves tell: the MIP gaps leave open whether the driver moves "
            "it" if out["gaps"] else ": the driver does not move it")
        return out
    roots = [(float(x), float(fx), float(x), float(x)) for x, fx in zip(xs[zero], fs[zero],
                                                                         strict=True)]
    for i in np.flatnonzero(~zero[:-1] & ~zero[1:] & (np.sign(fs[:-1]) != np.sign(fs[1:]))):
        roots.append(_false_position(f, float(xs[i]), float(xs[i + 1]), float(fs[i]),
                                     float(fs[i + 1]), tol, max_iter))
    if not roots:
        step = (hi - lo) / GRID_STEPS
        out["gaps"] = _sign_open(seen, s.objective)  # ... as far as the solves tell
        if np.ptp(fs) <= ROUNDING * max(abs(s.objective), 1.0):  # the tornado's rounding
            unsure = any(is_open(v, a, b, s.objective) for v, a, b in seen.values())
            out["note"] = (f"NPV is {numbers.number(float(fs[0]))} at all {len(xs)} values "
                           "scanned" + (", as far as the solves tell: the MIP gaps leave "
                                        "open whether the driver moves it" if unsure
                                        else ": the driver does not move it"))
            return out
        out["note"] = (f"NPV {'>' if fs[0] > 0 else '<'} 0 at all {len(xs)} values scanned "
                       f"(step {step:.3g})")
        return out
    roots.sort()
    base = s.base_values[driver]
    x, fx, a, b = min(roots, key=lambda r: abs(r[0] - base))
    low, high = seen[x][1:]
    b_low, b_high = _bracket(seen, x, tol)
    out.update(value=x, npv_at_value_musd=fx, refined_low=a, refined_high=b,
               break_evens="; ".join(f"{r[0]:.6g}" for r in roots),
               npv_low_at_value_musd=low, npv_high_at_value_musd=high,
               bracket_low=b_low, bracket_high=b_high)
    notes = []
    if len(roots) > 1:
        notes.append(f"{len(roots)} break-evens in the range ({out['break_evens']}): the one "
                     "nearest the base value is given")
    rest = fs[~zero]
    if (len(roots) == 1 and x in (float(xs[0]), float(xs[-1])) and len(rest)
            and ((rest < 0).all() or (rest > 0).all())):  # it touches 0 at an end only
        notes.append(f"NPV is 0 only at {x:g}, an end of the range scanned, and "
                     f"{'<' if rest[0] < 0 else '>'} 0 at every other value scanned")
    if abs(fx) > tol:
        notes.append(f"NPV changes sign within {a:.9g}..{b:.9g} without coming within "
                     f"{tol:g} MUSD of 0 (a step across 0)" if b - a <= 1e-9 * max(1.0, abs(b))
                     else
                     f"not converged: NPV = {fx:.3g} MUSD here after {max_iter} re-solves "
                     f"(tolerance {tol:g})")
    if is_open(fx, low, high, s.objective):
        out["gaps"] = gap_note(low, high, b_low, b_high)
    out["note"] = "; ".join(notes)
    return out


def needed_note(s: Setup, where: str) -> str:
    """What a break-even says where ``s``'s project is :data:`NEEDED` (``where``: the
    driver at the value found so, ``price at 0``)."""
    return (f"{NEEDED}: no plan without {s.project} (infeasible with it held off, {where}; "
            "no driver changes what is feasible), so no NPV")


def _sign_open(seen: dict[float, tuple[float, float, float]], objective: float) -> str:
    """Where the MIP gaps leave the sign of NPV open at the values ``seen`` (driver value
    -> (NPV, low, high), :func:`npv_range`): a range that holds 0 and is open
    (:func:`is_open`), the true NPV there may have either sign (or be 0); "" where none
    is, so a note that NPV keeps a sign, or is 0, holds as far as the solves tell."""
    unsure = [(v, lo, hi) for v, (fv, lo, hi) in seen.items()
              if not lo > 0 and not hi < 0 and is_open(fv, lo, hi, objective)]
    if not unsure:
        return ""
    return (f"the MIP gaps leave the sign of NPV open at {len(unsure)} of them ("
            + "; ".join(f"at {v:.4g} {_span(a, b)}" for v, a, b in unsure[:3])
            + ("; ..." if len(unsure) > 3 else "") + ")")


def _bracket(seen: dict[float, tuple[float, float, float]], x: float, tol: float
             ) -> tuple[float, float]:
    """Where a true break-even lies, from the values ``seen`` (driver value -> (NPV, low,
    high), :func:`npv_range`) and the break-even ``x`` found: (x, x) when the range at
    x lies within ``tol`` of 0; else, of the values seen at which the range excludes 0
    (low > 0 or high < 0: the true NPV's sign is sure), two neighbours a <= x <= b of
    opposite signs (the narrower pair when x is one of them and both of its
    neighbours qualify): the true NPV, continuous in the driver as the optimum of each
    of the two models is, crosses 0 between them. (NaN, NaN) when there are no such
    two: the gaps leave the NPV's sign open on one side of x, or the nearest sure signs
    on its two sides agree."""
    low, high = seen[x][1:]
    if -tol <= low and high <= tol:
        return x, x
    sure = {v: r[1] > 0 for v, r in seen.items() if r[1] > 0 or r[2] < 0}
    vs = sorted(sure)
    pairs = [(a, b) for a, b in itertools.pairwise(vs) if sure[a] != sure[b] and a <= x <= b]
    if not pairs:
        return math.nan, math.nan
    return min(pairs, key=lambda ab: ab[1] - ab[0])


def is_open(value, low, high, objective):
    """Whether the MIP gaps leave a value open: no bound (low or high NaN), or a range
    :func:`chainopt.report.economics.range_open` calls open. Elementwise."""
    width = np.asarray(high, float) - np.asarray(low, float)
    return np.isnan(width) | economics.range_open(width, value, objective)


def _span(low: float, high: float) -> str:
    return ("no MIP bound: unknown" if math.isnan(high - low)
            else f"anywhere from {low:,.3f} to {high:,.3f}")


def gap_note(low: float, high: float, b_low: float, b_high: float) -> str:
    """What the MIP gaps leave of a break-even: the NPV at it (low to high, MUSD) and
    the bracket (b_low, b_high) a true break-even lies in (:func:`_bracket`)."""
    return (f"the MIP gaps leave NPV here {_span(low, high)} (MUSD): " + (
        f"a true break-even lies between {b_low:.6g} and {b_high:.6g}"
        if not math.isnan(b_high - b_low) else "no bracket (they leave the NPV's sign "
        "open on one side of it)"))


TORNADO_COLUMNS = ["driver", "meaning", "base_value", "low_value", "high_value",
                   "npv_base_musd", "npv_low_musd", "npv_high_musd", "swing_musd",
                   "npv_base_from_musd", "npv_base_to_musd", "npv_low_from_musd",
                   "npv_low_to_musd", "npv_high_from_musd", "npv_high_to_musd", "note"]
#: the tornado's NPVs (at the base, low and high value) with the range each lies in
TORNADO_RANGES = {"npv_base_musd": ("npv_base_from_musd", "npv_base_to_musd"),
                  "npv_low_musd": ("npv_low_from_musd", "npv_low_to_musd"),
                  "npv_high_musd": ("npv_high_from_musd", "npv_high_to_musd")}


def tornado(s: Setup, drivers: list[str], swing: float = 0.2, options=None
            ) -> pd.DataFrame:
    """NPV at each driver's base value x (1 - swing) and x (1 + swing), and where the
    MIP gaps leave each (``npv_<at>_from_musd`` to ``npv_<at>_to_musd``,
    :func:`npv_range`; equal to the NPV when both solves are proven optimal): the
    base's :func:`npv_range` and each driver's :func:`tornado_row` put together by
    :func:`tornado_table`."""
    base = npv_range(s, options=options)
    return tornado_table(base, [tornado_row(s, d, swing, options) for d in drivers],
                         s.objective)


def tornado_row(s: Setup, d: str, swing: float = 0.2, options=None) -> dict | None:
    """Driver ``d``'s row of the tornado without its base NPV: the values it is moved
    to (the extra carbon price to 0 and 100 x ``swing`` USD/t) and :func:`npv_range` at
    each; None when ``d`` cannot move the NPV (:func:`applicable`)."""
    if applicable(s, d):
        return None
    b = s.base_values[d]
    if d != "carbon":
        low, high = b * (1 - swing), b * (1 + swing)
    else:  # an extra carbon price of 0 and of 100 x swing USD/t
        low, high = 0.0, 100.0 * swing
    row = {"driver": d, "meaning": DRIVER_INFO[d][0], "base_value": b,
           "low_value": low, "high_value": high}
    for col, v in (("npv_low_musd", npv_range(s, d, low, options)),
                   ("npv_high_musd", npv_range(s, d, high, options))):
        row.update(dict(zip((col, *TORNADO_RANGES[col]), v, strict=True)))
    return row


def tornado_table(base: tuple[float, float, float], rows: list[dict | None],
                  objective: float) -> pd.DataFrame:
    """The tornado of :func:`tornado_row`'s ``rows`` (None left out) and the base's
    (NPV, low, high), sorted by swing, largest first.

    An NPV at an end within :data:`chainopt.sweep.ROUNDING` x |base ``objective``| of
    the base NPV is rounding, as in a sweep (two re-solves of a 157,000 MUSD objective
    differ by its last bits, 2.9e-11): it is taken as the base NPV, its range moved
    with it, so a driver that does not move the NPV has a bar and a swing of 0.
    ``note``: :data:`NEEDED` where the project is (its NPVs blank)."""
    rows = [{**r, **dict(zip(("npv_base_musd", *TORNADO_RANGES["npv_base_musd"]), base,
                             strict=True))} for r in rows if r is not None]
    # (with its columns when no driver applies: the table is printed and saved all the same)
    df = pd.DataFrame(rows, columns=TORNADO_COLUMNS).astype(
        {c: float for c in TORNADO_COLUMNS[2:-1]})
    tiny = ROUNDING * max(abs(objective), 1.0)
    for col in ("npv_low_musd", "npv_high_musd"):
        shift = df["npv_base_musd"] - df[col]
        shift = shift.where(shift.abs() <= tiny, 0.0)
        for c in (col, *TORNADO_RANGES[col]):
            df[c] += shift
    df["swing_musd"] = (df["npv_high_musd"] - df["npv_low_musd"]).abs()
    df["note"] = np.where(df[list(TORNADO_RANGES)].isna().any(axis=1), NEEDED, "")
    return df.sort_values("swing_musd", ascending=False, kind="stable").reset_index(drop=True)


def analyse(s: Setup, drivers: list[str], swing: float = 0.2, options=None,
            jobs: int | None = 1, progress=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The break-evens (:func:`break_even`, one row per driver, in ``drivers``' order)
    and the tornado (:func:`tornado_table`) of ``s``'s project, in ``jobs`` processes
    (None: one per core; never more than the drivers).

    The drivers are independent: each starts from the same state (:func:`restart`) and
    makes its break-even search, then its tornado row, so the numbers are the same
    bytes whether the drivers are solved one after another or spread over processes
    (a worker gets a copy of ``s`` without its models, and builds the start again). The
    discount rate, whose every value is a cold build, is handed out first. ``s.solves``
    and ``s.warm`` count every re-solve, the workers' too. In one process a driver's
    error stops the rest; in several it is raised once the others finish (the first in
    ``drivers``' order)."""
    from chainopt import batch  # lazy: the pool only for several processes

    step = progress or (lambda _msg: None)
    restart(s, options)
    base = npv_range(s, options=options)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(drivers)))
    done: list[tuple[dict, dict | None, int, int]] = []
    if jobs == 1:
        for d in drivers:
            step(f"break-even and tornado of {d}")
            done.append(_driver(s, d, swing, options))
    else:
        order = sorted(drivers, key=lambda d: d != "discount")
        step(f"break-evens and tornado of {', '.join(drivers)} in {jobs} processes")
        light = replace(s, model=None, start=None, maps={})
        finished: list[str] = []

        def said(i: int) -> None:
            finished.append(order[i])
            if len(finished) < len(order):
                step(f"{order[i]}: done, {len(finished)} of {len(order)} drivers")

        got = dict(zip(order, batch.call_many(_driver, [(light, d, swing, options)
                                                         for d in order], jobs, said),
                       strict=True))
        for d in drivers:
            if isinstance(got[d], BaseException):
                raise got[d]
            done.append(got[d])
        s.solves += sum(g[2] for g in done)
        s.warm += sum(g[3] for g in done)
    return (pd.DataFrame([g[0] for g in done]),
            tornado_table(base, [g[1] for g in done], s.objective))


def _driver(s: Setup, d: str, swing: float, options) -> tuple[dict, dict | None, int, int]:
    """Driver ``d`` of :func:`analyse` from :func:`restart`: its break-even row, its
    tornado row, and the re-solves and warm ones it took."""
    solves, warm = s.solves, s.warm
    restart(s, options)
    be = break_even(s, d, options=options)
    return be, tornado_row(s, d, swing, options), s.solves - solves, s.warm - warm


def swing_text(tor: pd.DataFrame, swing: float) -> str:
    """What the tornado ``tor`` moves each driver it shows to, true of each: the
    factors and the discount rate by ±``swing`` of their base value, the extra carbon
    price to its two values (0 and 100 x swing USD/t, not ±swing of its base 0):
    "±20% on price, capex and discount; an extra carbon price of 0 and 20 USD/t"
    ("" of a tornado without drivers)."""
    shown = [d for d in DRIVERS if d in set(tor["driver"])]
    scaled = [d for d in shown if d != "carbon"]
    parts = []
    if scaled:
        names = ", ".join(scaled[:-1]) + (" and " if len(scaled) > 1 else "") + scaled[-1]
        parts.append(f"±{swing * 100:g}% on {names}")
    if "carbon" in shown:
        r = tor[tor["driver"] == "carbon"].iloc[0]
        parts.append(f"an extra carbon price of {r['low_value']:g} and {r['high_value']:g} "
                     "USD/t")
    return "; ".join(parts)


def open_values(s: Setup, breakeven: pd.DataFrame, tor: pd.DataFrame) -> str:
    """A warning naming every tornado NPV and break-even whose range the MIP gaps leave
    open (:func:`chainopt.report.economics.range_open` against the base objective, or
    no bound), with the advice :data:`chainopt.report.economics.SMALLER_GAP`; "" when
    none is."""
    parts = []
    for r in tor.to_dict("records"):
        for col, at in (("npv_base_musd", "base"), ("npv_low_musd", "low_value"),
                        ("npv_high_musd", "high_value")):
            lo, hi = (r[c] for c in TORNADO_RANGES[col])
            if not math.isnan(r[col]) and is_open(r[col], lo, hi, s.objective):
                where = "base" if at == "base" else f"{r['driver']} at {r[at]:.4g}"
                parts.append(f"NPV {where} {r[col]:,.3f} ({_span(lo, hi)})")
    parts = list(dict.fromkeys(parts))  # the base NPV once, not once per driver
    for r in breakeven.to_dict("records") if "gaps" in breakeven else []:
        if r["gaps"]:
            found = "" if r["value"] is None or r["value"] != r["value"] else (
                f" {r['value']:.6g}")
            parts.append(f"the {r['driver']} break-even{found} ({r['gaps']})")
    if not parts:
        return ""
    return ("the solves' MIP gaps (where they stopped: at the gap asked for, or short of it "
            "at their time limit) leave these values open (MUSD): " + "; ".join(parts)
            + ". " + economics.SMALLER_GAP)


MC_COLUMNS = ["project", "samples", "failed", "needed", "p10_musd", "p50_musd", "p90_musd",
              "mean_musd", "p_built", "p50_low_musd", "p50_high_musd"]


def monte_carlo(kpis: pd.DataFrame) -> pd.DataFrame:
    """P10/P50/P90 of each optional project's incremental NPV and the probability it is
    built, from a sweep's ``kpis.csv`` (columns ``npv_<p>_incremental_musd``,
    ``built_<p>``), and where the MIP gaps leave the P50: each draw's true value lies in
    its range [low_i, high_i] (``npv_<p>_low_musd``, ``_high_musd``), so the median of
    the true values lies between the medians of the lows and of the highs
    (``p50_low_musd``, ``p50_high_musd``; empty for a sweep without them).

    Only the draws solved (optimal, or stopped at a limit with a plan) count: ``samples``
    of them; ``failed`` is the number of the others (infeasible, no plan by the time
    limit, bad input), left out, so that the percentiles and P(built) are of the draws
    that have a plan (:func:`chainopt.report.sweep_stats.failed_draws` says so).
    ``needed``: the draws solved in which the project has no NPV (blank), the draw
    having no plan without it (:data:`NEEDED`); the percentiles and the mean are of the
    ``samples`` draws with one, P(built) of every draw solved (:func:`needed_draws`
    names them).

    The percentiles are numpy's (and pandas') default, linear interpolation between
    order statistics: P_q of n sorted values v_0..v_(n-1) is v_j + f (v_(j+1) - v_j)
    with j + f = q (n - 1)."""
    ok = kpis[kpis["status"].isin(SOLVED)] if "status" in kpis.columns else kpis
    rows = []

    def median(col: str) -> float:
        x = (pd.to_numeric(ok[col], errors="coerce") if col in ok.columns
             else pd.Series(dtype=float))
        return float(x.median()) if len(x) and x.notna().all() else math.nan

    for c in kpis.columns:
        if not (c.startswith("npv_") and c.endswith("_incremental_musd")):
            continue
        p = c.removeprefix("npv_").removesuffix("_incremental_musd")
        all_v = pd.to_numeric(ok[c], errors="coerce")
        v = all_v.dropna()
        built = pd.to_numeric(ok.get(f"built_{p}", pd.Series(dtype=float)),
                              errors="coerce").fillna(0.0)
        rows.append({"project": p, "samples": len(v), "failed": len(kpis) - len(ok),
                     "needed": len(all_v) - len(v),
                     "p10_musd": float(v.quantile(0.1)) if len(v) else math.nan,
                     "p50_musd": float(v.quantile(0.5)) if len(v) else math.nan,
                     "p90_musd": float(v.quantile(0.9)) if len(v) else math.nan,
                     "mean_musd": float(v.mean()) if len(v) else math.nan,
                     "p_built": float((built > BUILT).mean()) if len(built) else math.nan,
                     "p50_low_musd": median(f"npv_{p}_low_musd"),
                     "p50_high_musd": median(f"npv_{p}_high_musd")})
    return pd.DataFrame(rows, columns=MC_COLUMNS)


def needed_draws(mc: pd.DataFrame, kpis: pd.DataFrame) -> str:
    """A warning naming, per project, the solved draws in which it is :data:`NEEDED`
    (its NPV blank: the draw has no plan without it) and that its percentiles and mean
    leave them out; "" when there are none."""
    ok = kpis[kpis["status"].isin(SOLVED)] if "status" in kpis.columns else kpis
    parts = []
    for r in mc[mc["needed"] > 0].itertuples():
        blank = pd.to_numeric(ok[f"npv_{r.project}_incremental_musd"], errors="coerce").isna()
        parts.append(f"{r.project} in {r.needed} of {r.needed + r.samples} "
                     f"({named(ok.loc[blank, 'variant'])})")
    if not parts:
        return ""
    return (f"{NEEDED}, no NPV (the draw has no plan without the project; kpis.csv, column "
            "message): " + "; ".join(parts) + ". Their P10/P50/P90 and mean are of the "
            "draws with an NPV (projects_mc.csv, columns samples and needed), P(built) of "
            "every draw solved")


def open_medians(mc: pd.DataFrame, kpis: pd.DataFrame) -> str:
    """A warning when the MIP gaps leave a project's P50 open: its range wider than 1 %
    of the P50 and of the P10-P90 spread and than 1e-6 of the median objective (the
    solvers' tolerances); "" when none is."""
    ok = kpis[kpis["status"].isin(SOLVED)] if "status" in kpis.columns else kpis
    scale = float(pd.to_numeric(ok.get("objective_musd", pd.Series(dtype=float)),
                                errors="coerce").abs().median())
    scale = 0.0 if math.isnan(scale) else scale
    wide = mc[economics.range_open(
        mc["p50_high_musd"] - mc["p50_low_musd"],
        np.maximum(mc["p50_musd"].abs(), mc["p90_musd"] - mc["p10_musd"]), scale)]
    if wide.empty:
        return ""
    return ("the draws' solves stopped within their MIP gaps, which leave these medians "
            "open (MUSD): " + "; ".join(
                f"{r.project} P50 {r.p50_musd:,.1f} (anywhere from {r.p50_low_musd:,.1f} "
                f"to {r.p50_high_musd:,.1f})" for r in wide.itertuples())
            + ". " + economics.SMALLER_GAP)
