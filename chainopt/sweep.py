"""Sweeps: many variants of one case or scenario, solved fast, in parallel, resumably.

A **variant** is a list of changes to the base's raw inputs (the same change
dicts a scenario overlay uses, see :mod:`chainopt.case.scenario`) plus the values
that define it. Variants come from a grid (``--set TARGET OP VALUES``, the product
of all ``--set`` options) or from Monte Carlo draws (``--samples N --seed S`` with
distributions declared in YAML; see :func:`draw_samples`).

Speed: each worker process builds the base model once and keeps it with its HiGHS
instance. When the sweep varies prices, costs, bounds or coefficients, the worker
also maps, once, how the model's numbers move with the sweep's values over their
ranges (:class:`Span`, :mod:`chainopt.warm`); a variant's model then comes straight
from that map (its changed cells validated, nothing rebuilt). Anything else is
validated and built in full. Only the changed numbers go to the worker's HiGHS
instance when the structure matches (:func:`chainopt.solve.resolve`), which solves the
variant from scratch (the plan a cold run finds) or, with ``warm_basis``, from the
previous variant's basis; a structural change falls back to a fresh hand-over.

Nothing lost: each finished variant is written atomically as one part file
(``parts/<variant>.csv``, with a check value: :func:`part_text`) the moment it
completes, so killing a sweep loses only the variants in flight; ``resume`` solves only
the variants without a complete part file of this sweep (a damaged one, or one copied in
from another sweep, is solved again).
A variant that fails (infeasible, time limit, bad input) is recorded with its
status and message and does not stop the sweep.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import io
import itertools
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from chainopt.atomic import (
    TMP_MARKER,
    keep_held,
    others_in,
    own_file,
    refuse_others,
    write_file,
    write_text,
)
from chainopt.case.discount import years_text
from chainopt.case.scenario import Scenario, apply_changes, load_source, selected_rows
from chainopt.case.validate import validate
from chainopt.errors import (
    ChainoptError,
    InfeasibleError,
    InputError,
    InputsChangedError,
    Problem,
    SolverError,
    UnboundedError,
)
from chainopt.results import best_bound, results_others, stopped_at
from chainopt.textfile import MAX_JSON_BYTES, MAX_TABLE_BYTES, parse_json, read_text

SET_PATTERN = re.compile(
    r"^(?P<table>[a-z_]+)\.(?P<column>[a-z0-9_]+)(\[(?P<where>[^\]]*)\])?\s*"
    r"(?P<op>\*=|\+=|=)\s*(?P<values>.+)$")
OPS = {"=": "set", "*=": "scale", "+=": "add"}
MAX_VARIANTS = 100_000  # variants in one sweep (grid points or Monte Carlo draws)
MAX_DRAWN = 200  # variables of one Monte Carlo sweep (distributions file)
#: the columns of a variant's row that say how it was solved, not what it found: they
#: vary with the run (the seconds taken; a resume maps the model over the variants left,
#: a warm basis depends on the variants a worker solved before), so they go to
#: solves.csv, not kpis.csv, which is byte-identical for the same sweep however run
HOW_SOLVED = ("mapped", "warm_start", "seconds")
#: how a variant's message starts when its solve stopped with a plan not proven optimal
#: (status ``feasible``: a MIP at its time limit); its ``mip_gap`` column says how far
STOPPED = "the solver stopped"

#: the files chainopt writes at the top of a sweep folder (``projects_mc.*``: chainopt
#: sensitivity --sweep), besides ``parts/<id>.csv`` and ``variants/<id>/`` (results)
SWEEP_FILES = frozenset({"sweep.json", "kpis.csv", "summary.csv", "solves.csv",
                         "projects_mc.csv", "projects_mc.png"})
#: a variant's id (``v00012`` of a grid, ``s00012`` of Monte Carlo draws)
VARIANT_ID = re.compile(r"[vs][0-9]{5,}")
#: a share of |objective| below which a variant's MUSD value is rounding, written as 0
#: (:func:`without_rounding`)
ROUNDING = 1e-12


@dataclass(frozen=True)
class Target:
    """Which value a sweep varies: ``table.column[key=value,...]`` (+ optional period)."""

    table: str
    column: str
    where: tuple[tuple[str, str], ...]
    op: str  # set | scale | add

    def change(self, value: float) -> dict:
        """The scenario change dict applying ``value`` to this target."""
        where = dict(self.where)
        period = where.pop("period", None)
        change = {"table": self.table, self.op: {self.column: float(value)}}
        if where:  # (no selector: every row; an empty `where` is refused as a slip)
            change["where"] = where
        if period:
            change["period"] = period
        return change

    @property
    def label(self) -> str:
        sel = ",".join(f"{k}={v}" for k, v in self.where)
        return f"{self.table}.{self.column}" + (f"[{sel}]" if sel else "")


def parse_set(text: str) -> tuple[Target, list[float]]:
    """Parse ``table.column[key=value,...]OP VALUES``.

    OP is ``=`` (set), ``*=`` (scale) or ``+=`` (add); VALUES is ``start:stop:count``
    (evenly spaced, both ends included) or a comma-separated list. A range of one point
    is its start (numpy's linspace), so ``0.7:1.3:1`` would run 0.7 alone: a count of 1
    is refused unless start = stop. A value given twice (``1.1,1.1``, or ``1:1:3``) is
    refused: the same case solved twice and counted twice in ``share_of_points_built``,
    as two settings of the same target are (:func:`grid`).
    """
    m = SET_PATTERN.match(text.strip())
    if not m:
        raise InputError([Problem(f"--set {text!r}", "cannot read this sweep setting",
                                  "write table.column[key=value]*=0.7:1.3:13 (ops: =, *=, +=)")])
    where = []
    for part in filter(None, (m["where"] or "").split(",")):
        if "=" not in part:
            raise InputError([Problem(f"--set {text!r}", f"selector '{part}' has no '='",
                                      "write key=value, e.g. commodity=hdpe")])
        k, v = part.split("=", 1)
        where.append((k.strip(), v.strip()))
    spec = m["values"].strip()
    where_text = f"--set {text!r}"
    try:
        if ":" in spec:
            a, b, n = spec.split(":")
            count = int(n)
            if count < 1 or count > MAX_VARIANTS:
                raise InputError([Problem(where_text, f"the range '{spec}' has {count} points",
                                          f"the count after the second ':' must be 1 to "
                                          f"{MAX_VARIANTS:,}")])
            start, stop = float(a), float(b)
            if count == 1 and start != stop:
                raise InputError([Problem(where_text, f"the range '{spec}' has one point, "
                                          f"so it would run only its start {a.strip()} and "
                                          f"never reach {b.strip()}",
                                          f"give a count of 2 or more (e.g. {a.strip()}:"
                                          f"{b.strip()}:2), or a single value ({a.strip()})")])
            values = np.linspace(start, stop, count).tolist()
        else:
            values = [float(v) for v in spec.split(",")]
    except ValueError:
        raise InputError([Problem(where_text, f"cannot read the values '{spec}'",
                                  "give start:stop:count (count a whole number >= 1) or "
                                  "v1,v2,...")]) from None
    if not all(np.isfinite(values)):
        raise InputError([Problem(where_text, f"the values '{spec}' are not all finite numbers",
                                  "give finite numbers (no nan or inf)")])
    twice = next((v for i, v in enumerate(values) if v in values[:i]), None)
    if twice is not None:  # one case solved twice, and counted twice in share_of_points_built
        raise InputError([Problem(where_text, f"the value {twice:g} is given twice: the same "
                                  "case would be solved twice and counted twice in the "
                                  "grid's statistics", "give each value once")])
    return Target(m["table"], m["column"], tuple(where), OPS[m["op"]]), values


@dataclass(frozen=True)
class Variant:
    """One member of a sweep: an id, the values that define it and its changes."""

    id: str
    values: dict[str, float]
    changes: tuple[dict, ...]


def grid(settings: list[tuple[Target, list[float]]]) -> list[Variant]:
    """The product of all settings' values, one variant per combination."""
    for t, _ in settings:
        _one_value_per_key(t, f"--set {t.label}")
    _once_each([f"{t.label} {t.op}" for t, _ in settings], "--set")
    total = int(np.prod([len(vals) for _, vals in settings], dtype=float))
    if total > MAX_VARIANTS:
        raise InputError([Problem("--set", f"the grid has {total:,} variants",
                                  f"at most {MAX_VARIANTS:,}: use fewer points or settings")])
    out = []
    combos = itertools.product(*[vals for _, vals in settings])
    for i, combo in enumerate(combos):
        out.append(Variant(
            id=f"v{i:05d}",
            values={f"{t.label} {t.op}": v for (t, _), v in zip(settings, combo, strict=True)},
            changes=tuple(t.change(v) for (t, _), v in zip(settings, combo, strict=True)),
        ))
    return out


def draw_samples(spec: object, samples: int, seed: int,
                 origin: str = "distributions", recorded: bool = False) -> list[Variant]:
    """Monte Carlo variants from a distributions spec (a parsed YAML mapping; ``origin``
    names it in messages: the distributions file, or the sweep.json it was copied to).
    Each variable's ``op`` is required (:func:`_variables`); ``recorded``: the spec a
    sweep's sweep.json recorded, where a variable without one is a ``scale``, as the
    chainopt that started the sweep took it, so that its finished draws resume alike.

    ``spec = {"variables": [{"target": "markets.price_usd_per_unit[commodity=hdpe]",
    "op": "scale", "dist": {"type": "triangular", "low": 0.7, "mode": 1, "high": 1.3}},
    ...], "correlation": [[1, 0.5], [0.5, 1]]}``. Types: ``uniform`` (low, high),
    ``triangular`` (low, mode, high), ``normal`` (mean, sd, optional low/high:
    truncated). A key not listed here (a typo such as ``min`` for ``low`` or
    ``correlations``) is refused, not ignored. Correlated draws use a Gaussian copula:
    correlated standard normals are mapped to uniforms and then through each variable's
    inverse CDF. Same seed, same draws.
    """
    # lazy: only Monte Carlo needs it (scipy.special: 0.06 s to import; scipy.stats, 0.38
    # s, only for a truncated normal's inverse CDF)
    from scipy import special

    if not _whole(samples, 1, MAX_VARIANTS):
        raise InputError([Problem("--samples", f"must be a whole number from 1 to "
                                  f"{MAX_VARIANTS:,} (found {samples!r})")])
    if not _whole(seed, 0, 2**63 - 1):
        raise InputError([Problem("--seed", f"must be a whole number from 0 to 2**63 - 1 "
                                  f"(found {seed!r})")])
    variables = _variables(spec, origin, default_op="scale" if recorded else None)
    assert isinstance(spec, dict)  # checked by _variables
    rng = np.random.default_rng(seed)
    k = len(variables)
    corr = _correlation(spec.get("correlation"), k, origin)
    z = rng.standard_normal((samples, k)) @ np.linalg.cholesky(corr).T
    u = special.ndtr(z)  # the standard normal CDF (scipy.stats.norm.cdf's own)
    cols = []
    targets = []
    for j, var in enumerate(variables):
        symbol = {"set": "=", "scale": "*=", "add": "+="}[var["op"]]
        try:
            target, _ = parse_set(f"{var['target']}{symbol}0")
        except InputError:
            raise InputError([Problem(f"{origin}: variables[{j}].target",
                                      f"cannot read the target {var['target']!r}",
                                      "write table.column[key=value,...]")]) from None
        _one_value_per_key(target, f"{origin}: variables[{j}].target")
        d = var["dist"]
        kind = d["type"]
        if kind == "uniform":
            x = d["low"] + u[:, j] * (d["high"] - d["low"])
        elif kind == "triangular":
            lo, mo, hi = d["low"], d["mode"], d["high"]
            x = triangular_ppf(u[:, j], lo, mo, hi)
        else:  # normal
            from scipy import stats  # lazy: see above

            lo = (d.get("low", -np.inf) - d["mean"]) / d["sd"]
            hi = (d.get("high", np.inf) - d["mean"]) / d["sd"]
            x = stats.truncnorm.ppf(u[:, j], lo, hi, loc=d["mean"], scale=d["sd"])
        if not np.isfinite(x).all():  # parameters near the float limits: inf or nan
            bad = x[~np.isfinite(x)][0]
            raise InputError([Problem(f"{origin}: variables[{j}].dist", f"its draws are not "
                                      f"finite numbers (found {bad}): its parameters are too "
                                      f"large or the sd too small for double precision",
                                      "give parameters of the size of the value it sets")])
        cols.append(x)
        targets.append(target)
    _once_each([f"{t.label} {t.op}" for t in targets], f"{origin}: variables")
    out = []
    for i in range(samples):
        vals = [float(c[i]) for c in cols]
        out.append(Variant(id=f"s{i:05d}",
                           values={f"{t.label} {t.op}": v for t, v in zip(targets, vals,
                                                                         strict=True)},
                           changes=tuple(t.change(v) for t, v in zip(targets, vals,
                                                                     strict=True))))
    return out


def triangular_ppf(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    """The inverse CDF of the triangular distribution on [low, high] peaking at ``mode``
    (low <= mode <= high, low < high) at each of ``u`` in [0, 1]: with c = (mode - low) /
    (high - low), sqrt(c u) below c and 1 - sqrt((1 - c)(1 - u)) from c on, scaled to
    [low, high]. The very arithmetic of ``scipy.stats.triang.ppf`` (the same draws, to
    the last bit), without importing scipy.stats."""
    c = (mode - low) / (high - low)
    return np.where(u < c, np.sqrt(c * u), 1 - np.sqrt((1 - c) * (1 - u))) * (high - low) + low


DIST_PARAMS = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
               "normal": ("mean", "sd")}
#: the keys each part of a distributions file may have (any other is refused: ignored, a
#: typo would silently change the draws)
SPEC_KEYS = ("variables", "correlation")
VARIABLE_KEYS = ("target", "op", "dist")
DIST_KEYS = {"uniform": ("type", "low", "high"), "triangular": ("type", "low", "mode", "high"),
             "normal": ("type", "mean", "sd", "low", "high")}


def _finite(v: object) -> bool:
    """A finite int or float (not a bool, not an integer too large for a float)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def _once_each(labels: list[str], where: str) -> None:
    """Each target and operation is set once in a sweep: the same one twice would be one
    column of the table holding two values."""
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise InputError([Problem(where, f"{twice[0]} is set twice",
                                  "give each target and operation once (several values "
                                  "go in one setting)")])


def _one_value_per_key(target: Target, where: str) -> None:
    """A selector gives each key once: a change selects by one value per key
    (:meth:`Target.change`), so with a key twice only the last value would be used
    while the label, in kpis.csv, names both."""
    keys = [k for k, _ in target.where]
    twice = next((k for k in keys if keys.count(k) > 1), None)
    if twice is not None:
        said = ", ".join(f"{k}={v}" for k, v in target.where if k == twice)
        raise InputError([Problem(where, f"selects {twice} twice ({said}): a setting takes "
                                  "one value per key, so only the last would be used while "
                                  "its label names both",
                                  "give each key one value; for several values, give a "
                                  "setting for each (or leave the key out to select every "
                                  "row)")])


def _unknown_keys(mapping: dict, known: tuple[str, ...], here: str) -> list[Problem]:
    """A problem for each key of ``mapping`` not in ``known`` (at ``here``)."""
    return [Problem(f"{here}.{key}" if here else str(key), f"unknown key {key!r}",
                    f"the keys here are {', '.join(known)}")
            for key in mapping if key not in known]


#: what each op of a distributions variable does, said when one is missing
OP_HINT = ("write op: set for a value in the column's unit (a price of 80 to 120 USD/t), "
           "scale for a multiplier of the case's value (0.8 to 1.2; 1 leaves it as it is) "
           "or add for an amount added to it (-20 to 20 USD/t)")


def _variables(spec: object, where: str = "distributions",
               default_op: str | None = None) -> list[dict]:
    """The ``variables`` of a distributions spec (``where``: its file), each checked
    (InputError naming the file and key, unknown keys included). Each needs its ``op``:
    a price range in USD/t given without one was taken as a multiplier (a draw of 102
    made the price 100 x 102 USD/t, the objective 1,014 MUSD for 4.2), so a missing op
    is refused (:data:`OP_HINT`), unless ``default_op`` (a spec recorded by a chainopt
    that defaulted it, :func:`draw_samples`) is given: the variables are then returned
    with it filled in."""
    if not isinstance(spec, dict):
        raise InputError([Problem(where, "must be a mapping with 'variables' (and optionally "
                                  "'correlation')")])
    unknown = [Problem(f"{where}: {p.where}", p.message, p.hint)
               for p in _unknown_keys(spec, SPEC_KEYS, "")]
    if unknown:
        raise InputError(unknown)
    variables = spec.get("variables") or []
    if not isinstance(variables, list) or not variables:
        raise InputError([Problem(f"{where}: variables", "no variables declared",
                                  "list them under 'variables:'")])
    if len(variables) > MAX_DRAWN:
        raise InputError([Problem(f"{where}: variables", f"{len(variables):,} declared, at "
                                  f"most {MAX_DRAWN} (their correlation matrix is squared)",
                                  "vary fewer inputs, or group them under one target")])
    problems = []
    for j, var in enumerate(variables):
        here = f"{where}: variables[{j}]"
        if not isinstance(var, dict) or not isinstance(var.get("target"), str) \
                or not isinstance(var.get("dist"), dict):
            problems.append(Problem(here, "needs 'target' (table.column[key=value]) and "
                                    "'dist' (a mapping with 'type' and its parameters)"))
            continue
        problems += _unknown_keys(var, VARIABLE_KEYS, here)
        if "op" not in var and default_op is None:
            problems.append(Problem(f"{here}.op", f"missing: is {var['target']} drawn as "
                                    "its value, a multiplier or an amount added?", OP_HINT))
        elif var.get("op", default_op) not in ("set", "scale", "add"):
            problems.append(Problem(f"{here}.op", f"unknown op {var.get('op')!r}",
                                    "use set, scale or add"))
        d = var["dist"]
        kind = d.get("type")
        if not isinstance(kind, str) or kind not in DIST_PARAMS:  # a list is no dict key
            problems.append(Problem(f"{here}.dist.type", f"unknown distribution {kind!r}",
                                    "use uniform, triangular or normal"))
            continue
        unknown = _unknown_keys(d, DIST_KEYS[kind], f"{here}.dist")
        if unknown:
            problems += unknown
            continue
        params = [*DIST_PARAMS[kind], *(("low", "high") if kind == "normal" else ())]
        bad = [p for p in params if (p in DIST_PARAMS[kind] or p in d) and
               not _finite(d.get(p))]
        if bad:
            problems.append(Problem(f"{here}.dist.{bad[0]}", f"must be a finite number "
                                    f"(found {d.get(bad[0])!r})",
                                    "write a plain number without quotes, such as 0.8 or "
                                    "5e-2 (no text or formula)"))
            continue
        found = "found " + ", ".join(f"{p} {d[p]!r}" for p in DIST_KEYS[kind][1:] if p in d)
        if kind == "uniform" and not d["low"] < d["high"]:  # low == high: no spread
            problems.append(Problem(f"{here}.dist", f"needs low < high ({found})",
                                    "give low below high"))
        elif kind == "triangular" and not (d["low"] <= d["mode"] <= d["high"]
                                           and d["low"] < d["high"]):
            problems.append(Problem(f"{here}.dist", f"needs low <= mode <= high and low < "
                                    f"high ({found})", "put the mode between low and high"))
        elif kind == "normal" and (d["sd"] <= 0 or d.get("low", -np.inf) >= d.get("high",
                                                                                  np.inf)):
            problems.append(Problem(f"{here}.dist", f"needs sd > 0 and, when both are given, "
                                    f"low < high ({found})", "give a positive sd and low "
                                    "below high"))
    if problems:
        raise InputError(problems)
    return [var if "op" in var else {**var, "op": default_op} for var in variables]


def _correlation(value: object, k: int, origin: str = "distributions") -> np.ndarray:
    """The correlation matrix of a distributions spec (identity if absent), checked: a
    k x k list of lists of numbers (text such as '0.5' is refused, as for a parameter)."""
    where = f"{origin}: correlation"
    if value is None:
        return np.eye(k)
    if not isinstance(value, list) or not all(
            isinstance(row, list) and all(_finite(x) for x in row) for row in value):
        raise InputError([Problem(where, f"must be a {k}x{k} matrix of finite numbers",
                                  "write a list of rows, e.g. [[1.0, 0.5], [0.5, 1.0]]")])
    try:
        corr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError([Problem(where, f"must be a {k}x{k} matrix of numbers")]) from None
    if corr.shape != (k, k):
        raise InputError([Problem(where, f"must be a {k}x{k} matrix, found shape "
                                  f"{corr.shape}")])
    if not np.isfinite(corr).all() or not np.allclose(corr, corr.T) or \
            not np.allclose(np.diag(corr), 1.0) or (np.abs(corr) > 1).any():
        raise InputError([Problem(where, "must be symmetric, with 1 on the diagonal and "
                                  "entries from -1 to 1")])
    try:
        np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        raise InputError([Problem(where, "is not positive definite (no set of variables can "
                                  "have these correlations)",
                                  "check the signs and sizes of the entries")]) from None
    return corr


def check_variants(raw, variants: list[Variant], origin: str = "--set",
                   names: list[str] | None = None, within: str = "") -> None:
    """Apply each change of the first variant alone to ``raw``; a change that cannot apply
    (unknown table, column, selector matching no row) fails every variant, so it is an
    InputError now, before anything is written, naming the setting (``origin``: where it
    was given, ``--set`` or the distributions file). So is a setting that changes cells
    another one changes (:func:`_overlap`; ``names``: each setting as given, for its
    message, by default its label; ``within``: the file they are in, if any)."""
    if not variants:
        raise InputError([Problem("sweep", "no variants to run")])
    labels = list(variants[0].values)
    for label, change in zip(labels, variants[0].changes, strict=True):
        try:
            apply_variant(raw, [change])
        except InputError as exc:
            raise InputError([Problem(f"{origin} {label.rsplit(' ', 1)[0]}", p.message, p.hint)
                              for p in exc.problems]) from None
    _overlap(raw, list(variants[0].changes), names or labels, within)
    for i, label in enumerate(labels):
        _changes_something(raw, variants, i, label, origin)


def _changes_something(raw, variants: list[Variant], i: int, label: str, origin: str
                       ) -> None:
    """An InputError when setting ``i`` (``label``) leaves the case the same at two of its
    values: a scale of cells that are all 0, or blank with a default of 0
    (``markets.min_k_per_yr*=1,2`` on a case without that column), so every variant of
    it would be solved to one answer."""
    first = variants[0].values[label]
    other = next((v for v in variants if v.values[label] != first), None)
    if other is None:
        return
    try:
        a = apply_variant(raw, [variants[0].changes[i]]).tables
        b = apply_variant(raw, [other.changes[i]]).tables
    except InputError:  # a value the case refuses: its variant fails, said there
        return
    if a.keys() == b.keys() and all(a[k].equals(b[k]) for k in a):
        target, op = label.rsplit(" ", 1)
        raise InputError([Problem(
            f"{origin} {target}", f"gives the same case at {first:.10g} and "
            f"{other.values[label]:.10g}: the cells it changes are all 0 (or blank, with a "
            f"default of 0), and a {op} keeps them 0, so every variant would be the same",
            "set a value (=) instead, or select rows that hold one")])


def _overlap(raw, changes: list[dict], names: list[str], within: str = "") -> None:
    """An InputError naming the first two settings that change the same cells: the same
    column of the same table, rows both selectors select (on ``raw``, the base) and a
    period both take (one without ``period=`` takes every period). They apply in the
    order given, so the cells would get the product of two factors, or the last value
    set, while kpis.csv shows each value alone as the one that defines the variant."""
    cells = []
    for ch in changes:
        table, _where, period, _op, column = _target(ch)
        cells.append((table, column, period,
                      selected_rows(raw, table, ch.get("where", {})).to_numpy()))
    for (i, a), (j, b) in itertools.combinations(enumerate(cells), 2):
        if a[:2] != b[:2] or (a[2] and b[2] and a[2] != b[2]) or not (a[3] & b[3]).any():
            continue
        rows = int((a[3] & b[3]).sum())
        raise InputError([Problem(
            f"{within}{names[i]} and {names[j]}", f"both change {a[0]}.{a[1]} of the same "
            f"{rows} row{'s' if rows > 1 else ''} of {a[0]}.csv"
            + (f" in {a[2] or b[2]}" if a[2] or b[2] else "") + ": they would apply one "
            "after the other (a product of two factors, or the last value set), not as "
            "each value says", "give selectors that share no row (e.g. list the other "
            "rows' keys), or vary those cells in one setting")])


def variant_record(sweep: str, variant: Variant, base_hash: str) -> dict:
    """What a sweep's ``--full`` variant is, for its manifest (``variant``): the sweep's
    name, the variant's id, its values as one-value settings (``--set`` text,
    ``markets.price_usd_per_unit[site=a]*=1.5``, the value written exactly) and the
    input hash of the base it changes. ``verify`` re-runs the variant from it
    (:func:`recorded_variant`), not the unchanged base."""
    symbol = {op: text for text, op in OPS.items()}
    settings = []
    for label, value in variant.values.items():
        target, op = label.rsplit(" ", 1)  # "table.column[...] scale" (Variant.values)
        settings.append(f"{target}{symbol[op]}{float(value)!r}")
    return {"sweep": sweep, "id": variant.id, "settings": settings,
            "base_input_hash": base_hash}


def recorded_variant(record: object, base, where: str):
    """The case of a sweep's ``--full`` variant: ``base`` (the sweep's source, loaded
    now) with the settings its manifest records (``record``: :func:`variant_record`)
    applied, validated. The manifest may come from someone else, so the record is
    checked as a sweep's settings are (:func:`parse_set`, :func:`grid`,
    :func:`check_variants`: one value each, a selector that selects, no two changing the
    same cells): a damaged one is an InputError naming ``where`` (the manifest) and the
    key. A base that no longer hashes to the recorded ``base_input_hash`` is
    InputsChangedError: the data were edited."""
    from chainopt.case.digest import case_hash, same_inputs  # lazy, as in _base

    here = f"{where}: variant"
    settings = record.get("settings") if isinstance(record, dict) else None
    if not isinstance(record, dict) or not all(
            isinstance(record.get(k), str) for k in ("sweep", "id", "base_input_hash")) \
            or not isinstance(settings, list) or not 0 < len(settings) <= MAX_DRAWN \
            or not all(isinstance(s, str) for s in settings):
        raise InputError([Problem(here, "damaged: not the record of a sweep variant chainopt "
                                  "writes (sweep, id, base_input_hash and settings, a list "
                                  f"of 1 to {MAX_DRAWN} settings such as 'markets.price_"
                                  "usd_per_unit[site=a]*=1.5')",
                                  "save the variant again (chainopt sweep ... --full ID)")])
    if not same_inputs(base, record["base_input_hash"]):
        raise InputsChangedError(
            f"inputs changed: {base.origin or base.name}, the base of sweep variant "
            f"{record['id']}, now hashes to {case_hash(base)[:12]}..., the variant was made "
            f"from {record['base_input_hash'][:12]}...; the data were edited, so the answer "
            "is expected to change (run the sweep again and review the new results)")
    names = [f"settings[{j}] {text!r}" for j, text in enumerate(settings)]
    parsed = []
    try:
        for name, text in zip(names, settings, strict=True):
            try:
                target, values = parse_set(text)
            except InputError as exc:
                raise InputError([Problem(name, p.message, p.hint)
                                  for p in exc.problems]) from None
            if len(values) != 1:
                raise InputError([Problem(name, f"gives {len(values)} values; a variant has "
                                          "one per setting")])
            parsed.append((target, values))
        (variant,) = grid(parsed)
        check_variants(base.raw, [variant], f"{here}.settings:", names)
    except InputError as exc:
        raise InputError([Problem(f"{here}.{p.where}" if p.where.startswith("settings[")
                                  else p.where if p.where.startswith(here)
                                  else f"{here}.settings: {p.where}", p.message,
                                  "save the variant again (chainopt sweep ... --full ID)"
                                  + (f"; {p.hint}" if p.hint else ""))
                          for p in exc.problems]) from None
    return validate(apply_variant(base.raw, list(variant.changes)))


def error_message(exc: ChainoptError) -> str:
    """The whole message of an error on one line (every problem of an InputError)."""
    if isinstance(exc, InputError):
        return "; ".join(str(p) for p in exc.problems)
    return " ".join(str(exc).split())


def _values_text(variant: Variant) -> str:
    """A variant's values as its messages give them: ``markets.price_usd_per_unit set 105``."""
    return ", ".join(f"{k} {v:.10g}" for k, v in variant.values.items())


def bad_value(exc: InputError, source: str, variant: Variant) -> str:
    """The message of a variant of a sweep of ``source`` whose inputs the case's checks
    refuse: the validator names the row of the file the cell is in and the value found
    there, which is the variant's value, not the file's (row 3 of markets.csv said 90, the
    message 105), and advises on the file; so the message starts with the variant by its
    id and values, and ends saying the value is the sweep's and what to change: the
    ``--set`` values of a grid, the distribution of draws."""
    what = ("the --set values" if variant.id.startswith("v") else
            "the distributions file (its variable's range, or a truncated normal's low "
            "and high)")
    return (f"sweep variant {variant.id} ({_values_text(variant)}) of {source}: "
            f"{error_message(exc)}. The value named is the variant's (the file's cell with "
            f"the sweep's setting applied), not the file's: keep {what} within what the "
            "case accepts")


def variant_failure(exc: InfeasibleError | UnboundedError, source: str, variant: Variant
                    ) -> str:
    """The message of a variant of a sweep of ``source`` (a case folder, embedded case or
    scenario file) that is infeasible or unbounded: the variant by its id and values on
    ``source``, and how to explain it: a scenario of its changes on ``source`` (the
    source alone may solve, and did if other variants solved, so `chainopt explain` on
    it may find nothing)."""
    infeasible = isinstance(exc, InfeasibleError)
    what = ("infeasible: no plan meets every constraint" if infeasible else
            "unbounded: some quantity can grow without limit while adding value")
    values = _values_text(variant)
    changes = yaml.safe_dump(list(variant.changes), default_flow_style=True,
                             sort_keys=False, width=10**9).strip()
    return (f"sweep variant {variant.id} ({values}) of {source} is {what}. To see "
            + ("which constraints conflict" if infeasible else "what runs away")
            + f", write a scenario file with base: {source} and changes: {changes} and run "
            "`chainopt explain` on it.")


# ---------------------------------------------------------------------------------------
# Workers: one base model per process, kept across its share of variants.

_BASE: dict[str, tuple] = {}  # source -> (raw case, the model holding the solver)
_UNCHANGED: dict[str, Any] = {}  # source -> its own model (no variant applied)
_DIGEST: dict[str, str | None] = {}  # source -> the input hash its base was built from


def _base(source: str, case=None, digest: str | None = None):
    """The worker's base: raw inputs and the solved base model, built once per process
    and again when it is not the sweep's: when ``case`` (the source just loaded by the
    caller) is not the one it was built from, or when ``digest`` (the sweep's input hash,
    :func:`chainopt.case.digest.case_hash`) is not that of the base held. A long-lived
    worker (Dask) may still hold the base of an earlier sweep of the same file, edited
    since. A worker that loads the source itself and finds another hash than the sweep's
    (the file was edited while the sweep ran) raises InputsChangedError for the variant."""
    stale = (source not in _BASE or (case is not None and _BASE[source][0] is not case.raw)
             or (digest is not None and _DIGEST.get(source) != digest))
    if stale:
        # lazy: the model side loads in the worker that solves, so that importing this
        # module (the api does) stays light
        from chainopt.case.digest import case_hash
        from chainopt.models.build import build
        from chainopt.solve import handover, solve

        if case is None:
            case = load_source(source)  # a case or a scenario file (README: sweep a scenario)
            if digest is not None and case_hash(case) != digest:
                raise InputsChangedError(
                    f"inputs changed: {source} no longer hashes to the sweep's input hash "
                    f"{digest[:12]}... (edited while the sweep ran); start the sweep again")
        built = build(case)
        handover(built)
        solve(built)
        _BASE[source] = (case.raw, built)
        _UNCHANGED[source] = built
        _DIGEST[source] = digest
    return _BASE[source]


def split_notes(case, variants: list[Variant]) -> list[str]:
    """A note for each setting whose ``period=`` names a period of the case that a split
    (``split`` in its scenario; the parts record ``part_of``, the original period) has
    cut short: the original period, or a part with later parts of the same original
    (split again, or one of several parts; ``part_of`` does not say which). The setting
    changes that period's years alone, not those of the parts after it, though the name
    may read as the years it had before (the sweep's period is one period, as in a
    scenario change). A last part, and a period never split, are what they were. A part
    with later parts is noted conditionally: split p2026 at 2030 and then p2026 at 2028,
    p2028 never held 2030, and ``part_of`` (p2026 for both parts) cannot tell that from
    p2029 split at 2030 (review s31 F2)."""
    if not variants:
        return []
    periods = case.meta.periods

    def span(p) -> str:
        return years_text(p.start_year, p.start_year + p.length_yr)

    out = []
    for label, change in zip(variants[0].values, variants[0].changes, strict=True):
        name = change.get("period")
        if name is None:  # every period: the parts too
            continue
        own = next((p for p in periods if p.period == name), None)
        if own is None:
            continue
        origin = own.part_of or own.period
        later = [p for p in periods if (p.part_of or p.period) == origin
                 and p.start_year > own.start_year]
        if not later:
            continue
        parts = ", ".join(f"{p.period} ({span(p)})" for p in later)
        head = f"{label.rsplit(' ', 1)[0]}: period={name} changes {span(own)} alone: "
        if own.period == origin:
            why = (f"the case split {parts} off {name}, and those parts keep their values; "
                   "give a setting for each part to vary it too")
        else:  # split again, or cut from the original on its own (part_of cannot tell)
            why = (f"{name} is a part of {origin}, which the case split, and the parts "
                   f"after it, {parts}, keep their values; if {name} held their years "
                   "before a later split, give a setting for each part to vary them too")
        out.append(head + why + ", or make the change in a scenario before its split (a "
                   "change made before a split holds in every part)")
    return out


def base_warnings(source: str, case) -> list[str]:
    """What ``chainopt run`` would warn of on the sweep's base ``case`` (loaded from
    ``source``): :meth:`chainopt.models.build.BuiltModel.input_warnings`, said once per
    sweep, not once per variant. From the base model this process built for its
    variants, or built now (variants solved in other processes)."""
    from chainopt.models.build import build  # lazy: the model side, as in _base

    built = _UNCHANGED.get(source)
    if built is None or built.case is not case:
        built = build(case)
    return built.input_warnings()


def _fresh_worker() -> None:
    """A pool process starts with no base: one forked from a process that swept before
    would otherwise hold that sweep's model and HiGHS instance."""
    from chainopt import warm  # lazy: the model side, as in _base

    _BASE.clear()
    _UNCHANGED.clear()
    _DIGEST.clear()
    warm.forget()


@dataclass(frozen=True)
class Span:
    """What every variant of a sweep varies and the range of each value: the targets
    (table, where as JSON, period, op, column) and the lowest and highest value of each
    over the variants to run. A worker maps the model over this span once."""

    targets: tuple[tuple[str, str, str, str, str], ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]


def span_of(variants: list[Variant]) -> Span | None:
    """The span of ``variants``, or None when they do not all vary the same targets."""
    if not variants:
        return None
    try:
        targets = tuple(_target(ch) for ch in variants[0].changes)
        values = []
        for v in variants:
            if tuple(_target(ch) for ch in v.changes) != targets:
                return None
            values.append(_values(v.changes, targets))
    except (KeyError, TypeError, ValueError):
        return None
    arr = np.asarray(values, dtype=float).reshape(len(variants), len(targets))
    if not np.isfinite(arr).all():
        return None
    return Span(targets, tuple(arr.min(axis=0).tolist()), tuple(arr.max(axis=0).tolist()))


def _target(change: dict) -> tuple[str, str, str, str, str]:
    """(table, where as JSON, period, op, column) of a sweep change (one op, one column)."""
    (op,) = [k for k in OPS.values() if k in change]
    (column,) = change[op]
    return (str(change["table"]), json.dumps(change.get("where", {}), sort_keys=True),
            str(change.get("period", "")), op, str(column))


def _values(changes, targets) -> tuple[float, ...]:
    """The value each change applies (its one op's one column)."""
    return tuple(float(ch[t[3]][t[4]]) for ch, t in zip(changes, targets, strict=True))


def apply_variant(raw, changes: list[dict]):
    """``raw`` with a variant's changes applied (the scenario overlay engine)."""
    sc = Scenario(name="sweep", description="", base="", changes=tuple(changes),
                  path=Path("--set"))
    return apply_changes(raw, sc, check_values=False)  # a bad value fails its variant


def _project_columns(built) -> dict[str, np.ndarray]:
    """The build-decision columns of each optional project of a built model
    (:func:`chainopt.extract.project_columns`)."""
    from chainopt.extract import project_columns  # lazy: the model side (see _base)

    states = built.index.projects.set_index("project")["state"]
    return {p: np.fromiter(c.values(), dtype=int, count=len(c))
            for p, c in project_columns(built).items() if states.get(p) == "optional"}


def solve_variant(source: str, variant: Variant, options=None,
                  project_npv: bool = False, span: Span | None = None,
                  warm_basis: bool = False, digest: str | None = None) -> dict:
    """Solve one variant; return its KPI row (status and message on failure).

    With ``span`` (what the sweep varies and over which ranges; :func:`span_of`) the
    variant's model comes from the worker's map of the sweep when it can be mapped
    exactly (:mod:`chainopt.warm`; ``mapped`` in the row), else it is validated and
    built in full. Either way only the changed numbers go to the worker's HiGHS
    instance when the structure is the same; it then solves from scratch, so that each
    variant gets the plan a cold run finds (an LP with several optimal plans, common in
    chains, would otherwise report the split of the same objective that depends on the
    order of the variants), or with ``warm_basis`` from the previous variant's basis.
    With ``project_npv``, each optional project's incremental NPV is the variant's
    objective minus its objective with the project's build decisions fixed at 0 (0
    without a re-solve for a project the variant does not build).
    """
    # lazy: the model side loads in the worker (see _base)
    from chainopt.extract import sweep_kpis
    from chainopt.models.build import build
    from chainopt.solve import resolve, solve_with_fixed

    t0 = time.perf_counter()
    row: dict = {"variant": variant.id, **variant.values}
    try:
        raw, base = _base(source, digest=digest)
        built = None
        if span is not None and not (options is not None and options.solver):
            targets = tuple(_target(ch) for ch in variant.changes)
            if targets == span.targets:
                # lazy: the model side loads in the worker (see _base)
                from chainopt.warm import mapped_model

                built = mapped_model(raw, variant.changes,
                                     _values(variant.changes, targets), span,
                                     _UNCHANGED.get(source))
        if built is None:
            built = build(validate(apply_variant(raw, list(variant.changes)), keep=False),
                          keep=False)
        case = built.case
        try:
            outcome = resolve(base, built, options, basis=warm_basis)
        except (InfeasibleError, UnboundedError) as exc:
            raise type(exc)(variant_failure(exc, source, variant)) from None
        # the worker's solver now belongs to this variant: keep it as the new base
        _BASE[source] = (raw, built)
        # the reported objective: the net value, or a cost case's total cost (positive)
        sign = -1.0 if case.meta.objective == "cost" else 1.0
        row.update(status=outcome.status, message="", objective_musd=sign * outcome.objective,
                   warm_start=bool(built.timings.get("warm_start")),
                   mapped=bool(built.timings.get("mapped")))
        if outcome.status != "optimal":  # a plan not proven optimal: said, with its gap
            row["mip_gap"] = np.nan if outcome.mip_gap is None else outcome.mip_gap
            row["message"] = (f"{STOPPED} " + stopped_at(
                {"solver_options": outcome.options, "solver_info": outcome.info,
                 "mip_gap": outcome.mip_gap}) + ": not proven optimal, a re-run may find "
                "another plan; raise --time-limit")
        row.update(sweep_kpis(built, outcome))
        if project_npv:
            from chainopt.report.sweep_stats import BUILT  # lazy, as the model side

            # where the true value lies given the MIP gaps (economics.value_range):
            # [F_s - B_c, B_s - F_c] from each solve's plan F and bound B
            f_s = outcome.objective
            b_s = best_bound(f_s, outcome.info.get("mip_bound"), built.is_mip)
            needed = []
            for project, cols in _project_columns(built).items():
                key = f"npv_{project}"
                if row.get(f"built_{project}", 0.0) <= BUILT:
                    # not built: with its build decisions fixed at 0 this plan is still
                    # feasible and optimal, so the difference is 0 exactly; a MIP
                    # re-solve would only add noise within its gap (2.94 MUSD for an
                    # unbuilt project on the default case). The option to build it is
                    # worth 0 to B_s - F_s
                    row.update({f"{key}_incremental_musd": 0.0, f"{key}_low_musd": 0.0,
                                f"{key}_high_musd": np.nan if b_s is None else b_s - f_s})
                    continue
                try:  # a re-solve stopped at the time limit with a plan: its range
                    f_c, b_c = solve_with_fixed(built, cols, 0.0, options, stopped=True)
                except InfeasibleError:
                    # the variant has no plan without it: no value against one (blank),
                    # the variant's own plan stands
                    needed.append(project)
                    f_c = b_c = np.nan
                except SolverError as exc:
                    raise SolverError(f"valuing project {project} (the variant without "
                                      f"it): {exc}") from None
                row.update({f"{key}_incremental_musd": f_s - f_c,
                            f"{key}_low_musd": np.nan if b_c is None else f_s - b_c,
                            f"{key}_high_musd": np.nan if b_s is None else b_s - f_c})
            if needed:
                one = len(needed) == 1
                row["message"] = (row["message"] + "; " if row["message"] else "") + (
                    f"{', '.join(needed)} needed for a plan: the variant without "
                    f"{'it' if one else 'each'} is infeasible, so {'its' if one else 'their'} "
                    "npv_ columns are blank (no plan without it to value it against)")
    except InputError as exc:  # a value the variant set, not the file's (bad_value)
        row.update(status="InputError", message=bad_value(exc, source, variant),
                   objective_musd=np.nan)
    except ChainoptError as exc:
        row.update(status=type(exc).__name__, message=error_message(exc),
                   objective_musd=np.nan)
    row["seconds"] = time.perf_counter() - t0
    return without_rounding(row)


def without_rounding(row: dict) -> dict:
    """``row`` with each MUSD value other than the objective that is within
    :data:`ROUNDING` x |objective| of 0 set to 0 (-0 too). A project's value and the ranges
    its solves' MIP gaps leave are differences of two objectives, and the NPV parts sums
    over the plan, each rounded in its last bits: ru_all_projects (objective 154,966 MUSD,
    whose doubles are 2.9e-11 apart) gave an unbuilt project's high end, the MIP's bound
    minus its plan for a MIP solved to optimality, as 1.455e-10 (5 of those steps) rather
    than 0, and percentiles of 7.3e-11 in summary.csv. 1e-12 of the objective (1.5e-7 MUSD
    there) is far above such rounding and far below any value worth telling apart."""
    scale = abs(row.get("objective_musd", math.nan))
    if not math.isfinite(scale):
        return row
    tiny = ROUNDING * max(scale, 1.0)
    return {k: 0.0 if k != "objective_musd" and k.endswith("_musd") and isinstance(
        v, float) and abs(v) <= tiny else v for k, v in row.items()}


# ---------------------------------------------------------------------------------------
# The sweep folder: parts written atomically, an index, resumable.

PART_CHECK = "part_check"  # the last column of a part: a check value of the rest


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def part_text(row: dict) -> str:
    """A variant's KPI row as the CSV of its part file: header and row as kpis.csv has
    them, plus a last column :data:`PART_CHECK`, the SHA-256 (16 hex digits) of the CSV
    text without it, so that a part cut short or altered is known as damaged."""
    text = pd.DataFrame([row]).to_csv(index=False, float_format="%.10g", lineterminator="\n")
    header, body = text.split("\n", 1)
    return f"{header},{PART_CHECK}\n{body[:-1]},{_digest(text)}\n"


#: a part is one variant's row (a few KiB, more with thousands of projects): a larger
#: file in a sweep's parts/ is not one chainopt wrote and is not read into memory
MAX_PART_BYTES = 16 << 20


def checked_part(text: str) -> str | None:
    """The CSV of a part without its check column if the check value holds, else None."""
    header, _, body = text.partition("\n")
    if not header.endswith(f",{PART_CHECK}") or not body.endswith("\n"):
        return None
    row, comma, check = body[:-1].rpartition(",")
    plain = f"{header[:-len(PART_CHECK) - 1]}\n{row}\n"
    return plain if comma and _digest(plain) == check else None


def _foreign(part: pd.DataFrame, variant: Variant | None) -> str:
    """Why ``part`` (one row, checked) is not the part of ``variant``, the sweep's variant
    of its id (None: the sweep has none), or "" when it is: its setting columns hold the
    variant's values (as :func:`part_text` wrote them, to 10 significant digits). A part
    copied in from another sweep has a valid check value (it only catches damage), so
    it would put values nobody asked for into kpis.csv and summary.csv."""
    if variant is None:
        return ("not one of this sweep's variants (a part of another sweep?): left out of "
                "kpis.csv and summary.csv")
    for label, value in variant.values.items():
        found = (float(pd.to_numeric(part[label], errors="coerce").iloc[0])
                 if label in part.columns else math.nan)  # text, a blank: nan
        if not math.isclose(found, value, rel_tol=1e-9):
            said = f"{found:.10g}" if label in part.columns else "missing"
            return (f"its {label} is {said}, not {value:.10g} as in this sweep's variant "
                    f"{variant.id} (a part of another sweep?): left out, and the variant "
                    "solved again")
    return ""


def check_only_sweep_files(folder: Path, shown: int = 5) -> None:
    """An OutputError if the sweep folder ``folder`` holds anything chainopt did not write
    there (a thesis or a ``figs/`` folder saved beside the tables: ``--overwrite`` deleted
    it without a word): :data:`SWEEP_FILES`, the folder ``parts/`` of ``<id>.csv`` files
    and ``variants/`` of results folders named by variant id (each holding only what a
    results folder may, :func:`chainopt.results.results_others`); each a real file or
    folder, not a link. The message names the first ``shown`` of the others."""
    def real_dir(e: Path) -> bool:
        return e.is_dir() and not e.is_symlink()

    others = others_in(folder, lambda e: own_file(e, SWEEP_FILES)
                       or (e.name in ("parts", "variants") and real_dir(e)))
    parts, variants = folder / "parts", folder / "variants"
    if real_dir(parts):
        others += others_in(parts, lambda e: VARIANT_ID.fullmatch(e.stem) is not None
                            and own_file(e, {e.stem + ".csv"}), "parts/")
    if real_dir(variants):
        for v in sorted(variants.iterdir()):
            if v.name.startswith(TMP_MARKER):
                continue
            if VARIANT_ID.fullmatch(v.name) and real_dir(v) and (v / "manifest.json").is_file():
                others += results_others(v, f"variants/{v.name}/")
            else:
                others.append(f"variants/{v.name}" + ("/" if real_dir(v) else ""))
    refuse_others(folder, others, "sweep", shown)


@dataclass
class SweepFolder:
    """``DIR/sweep.json`` (what was asked), ``DIR/parts/<id>.csv`` (one per finished
    variant) and, when complete, ``DIR/kpis.csv``, ``DIR/summary.csv`` and
    ``DIR/solves.csv`` (:data:`HOW_SOLVED`)."""

    path: Path
    meta: dict = field(default_factory=dict)

    @property
    def parts(self) -> Path:
        return self.path / "parts"

    def _parts(self, variants: Iterable[Variant],
               warn: Callable[[str], object] | None = None) -> dict[str, pd.DataFrame]:
        """Every complete part of one of ``variants`` (the sweep's) by variant id: its
        check value holds (:func:`part_text`) and it is one row of this variant. A
        damaged part (cut short, edited, written before parts had a check value, larger
        than :data:`MAX_PART_BYTES`, not a regular file) is left out, so ``resume``
        solves that variant again and replaces it. So is a part of another sweep
        (:func:`_foreign`: other setting values than its variant's), and one of an id the
        sweep does not have is left out of its tables; ``warn`` is told of these, of a
        damaged part and of one whose row is another variant's (a file renamed), naming
        the file."""
        asked = {v.id: v for v in variants}
        out = {}
        damaged = ("damaged (cut short, altered, not a regular file or too large): left "
                   "out, and its variant solved again")
        for p in sorted(self.parts.glob("*.csv")) if self.parts.exists() else []:
            try:
                if not p.is_file() or p.stat().st_size > MAX_PART_BYTES:
                    if warn is not None:  # (reading a FIFO would block)
                        warn(f"{p}: {damaged}")
                    continue
                text = checked_part(p.read_text(encoding="utf-8"))
                if text is None:
                    if warn is not None:
                        warn(f"{p}: {damaged}")
                    continue
                df = pd.read_csv(io.StringIO(text))
            except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
                if warn is not None:
                    warn(f"{p}: {damaged}")
                continue
            held = str(df["variant"].iloc[0]) if "variant" in df.columns and len(df) == 1 else ""
            if held != p.stem:
                if warn is not None:
                    warn(f"{p}: holds the row of variant '{held}', not of '{p.stem}' (a part "
                         "file renamed?): left out, and the variant solved again")
                continue
            foreign = _foreign(df, asked.get(p.stem))
            if foreign:
                if warn is not None:
                    warn(f"{p}: {foreign}")
                continue
            out[p.stem] = df
        return out

    def saved(self, variants: Iterable[Variant]) -> int:
        """How many of ``variants`` have a part file, counted by name, none read: what an
        interrupted sweep says at once (reading 17,604 parts took about 90 s); ``resume``
        checks each (:meth:`done`)."""
        ids = {v.id for v in variants}
        names = (p.stem for p in self.parts.glob("*.csv")) if self.parts.exists() else ()
        return sum(1 for n in names if n in ids)

    def done(self, variants: Iterable[Variant], warn: Callable[[str], object] | None = None
             ) -> set[str]:
        """The ids of ``variants`` with a complete part (see :meth:`_parts`)."""
        return set(self._parts(variants, warn))

    def write_part(self, row: dict) -> None:
        """Write a variant's part atomically (:func:`chainopt.atomic.write_file`): failing
        to write (disk full, no permission) is an InputError naming the place, as for
        ``run``, and leaves no temporary file."""
        text = part_text(row)
        write_file(self.parts / f"{row['variant']}.csv",
                   lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))
        keep_held(self.path)  # a sweep running for days stays held (chainopt.atomic.held)

    def collect(self, variants: Iterable[Variant]) -> pd.DataFrame:
        """The complete parts of ``variants`` as one table, by variant id. A variant with
        a plan whose model had no term of a lever or project another variant's had (a
        levy at 0 is no term) moved or built 0 of it: its ``lever_*``/``built_*`` cell
        is 0, not blank (a blank reads as missing, as a failed variant's)."""
        frames = list(self._parts(variants).values())
        if not frames:
            return pd.DataFrame()
        kpis = pd.concat(frames, ignore_index=True).sort_values("variant", kind="stable")
        if "status" in kpis.columns:
            planned = kpis["status"].isin(("optimal", "feasible"))
            for c in kpis.columns:
                if c.startswith(("lever_", "built_")):
                    kpis.loc[planned, c] = kpis.loc[planned, c].fillna(0.0)
        return kpis


def run_variants(source: str, variants: Iterable[Variant], folder: SweepFolder, jobs: int = 1,
                 dask: str | None = None, options=None, project_npv: bool = False,
                 progress: Callable[[int, int, dict], None] | None = None,
                 warm_basis: bool = False, case=None, digest: str | None = None,
                 warn: Callable[[str], object] | None = None) -> pd.DataFrame:
    """Solve every variant not yet in ``folder``; write each part as it finishes
    (``warm_basis``: see :func:`solve_variant`). ``case``: the source as the caller has
    just loaded it, the base of variants solved in this process (not loaded again);
    ``digest``: its input hash (made from ``case`` if not given), which every worker's
    base must have (see :func:`_base`); ``warn``: told of each part in ``folder`` left
    out as not one of ``variants`` (:meth:`SweepFolder._parts`)."""
    if digest is None and case is not None:
        from chainopt.case.digest import case_hash  # lazy, as the model side

        digest = case_hash(case)
    variants = list(variants)
    done = folder.done(variants, warn)  # once: it reads every part
    todo = [v for v in variants if v.id not in done]
    total = len(todo)
    span = span_of(todo)
    report = progress or (lambda _i, _n, _row: None)
    if dask:
        # lazy: dask's distributed is an optional dependency, needed only with a scheduler
        from distributed import Client, as_completed

        with Client(dask) as client:
            futures = [client.submit(solve_variant, source, v, options, project_npv, span,
                                     warm_basis, digest, pure=False)
                       for v in todo]
            for i, fut in enumerate(as_completed(futures), 1):
                row = fut.result()
                folder.write_part(row)
                report(i, total, row)
    elif jobs > 1 and total > 1:
        # no more workers than variants: with fork (Linux) the pool starts every worker
        # at once, so --jobs 1024 over 3 variants forked 1,024 processes
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, total),
                                                    initializer=_fresh_worker) as pool:
            futs = [pool.submit(solve_variant, source, v, options, project_npv, span,
                                warm_basis, digest)
                    for v in todo]
            try:
                for i, fut in enumerate(concurrent.futures.as_completed(futs), 1):
                    row = fut.result()
                    folder.write_part(row)
                    report(i, total, row)
            except BaseException:  # a part that cannot be written, Ctrl-C: stop at once,
                for fut in futs:    # not after solving the variants still waiting
                    fut.cancel()
                raise
    else:
        if case is not None and todo:
            with contextlib.suppress(ChainoptError):  # the first variant records it
                _base(source, case, digest)
        for i, v in enumerate(todo, 1):
            row = solve_variant(source, v, options, project_npv, span, warm_basis, digest)
            folder.write_part(row)
            report(i, total, row)
    return folder.collect(variants)


def _whole(v: object, low: int, high: int) -> bool:
    """A whole number (not a bool) from ``low`` to ``high``."""
    return isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def read_meta(path: Path) -> dict:
    """A sweep folder's ``sweep.json``, or an InputError saying it is damaged: what it asks
    must be what a sweep could have asked (``source`` a non-empty text and ``source_abs``
    a text or null, ``sets`` a list of settings, ``samples`` 0 to :data:`MAX_VARIANTS`,
    ``seed`` a whole number >= 0, one of the two kinds, ``warm_basis`` true or false if
    there), so that a resume neither fails with a traceback nor runs a sweep nobody
    asked for (no setting and no draws made one variant, the base; a null source swept
    the default case)."""
    try:
        meta = parse_json(read_text(path, str(path), MAX_JSON_BYTES, what="sweep.json"))
    except ValueError as exc:
        raise InputError([Problem(str(path), f"damaged, not valid JSON: {exc}",
                                  "start the sweep again without --resume")]) from None
    if not isinstance(meta, dict) or "source" not in meta:
        raise InputError([Problem(str(path), "damaged: not the sweep.json chainopt writes",
                                  "start the sweep again without --resume")])
    sets, samples, seed = meta.get("sets", []), meta.get("samples", 0), meta.get("seed", 0)
    source, source_abs = meta["source"], meta.get("source_abs")
    wrong = (f"'source' is {source!r:.80}, not the case or scenario swept"
             if not isinstance(source, str) or not source else
             f"'source_abs' is {source_abs!r:.80}, not a path or null"
             if not isinstance(source_abs, str | None) else
             "'sets' is not a list of settings" if not isinstance(sets, list)
             or not all(isinstance(x, str) for x in sets) else
             f"'samples' is {samples!r}, not a whole number from 0 to {MAX_VARIANTS:,}"
             if not _whole(samples, 0, MAX_VARIANTS) else
             f"'seed' is {seed!r}, not a whole number >= 0"
             if not _whole(seed, 0, 2**63 - 1) else
             f"'warm_basis' is {meta.get('warm_basis')!r:.80}, not true or false"
             if not isinstance(meta.get("warm_basis", False), bool) else
             "it asks for no setting and no draws" if not (samples or sets) else "")
    if wrong:
        raise InputError([Problem(str(path), f"damaged: {wrong}",
                                  "start the sweep again without --resume")])
    return meta


def read_kpis(folder: Path) -> pd.DataFrame:
    """A finished sweep's ``kpis.csv``, or an InputError saying it is damaged: UTF-8 CSV
    text (:func:`chainopt.textfile.read_text`) with the ``variant`` and ``status`` columns
    every sweep writes, so that a folder someone sent neither fails with a traceback nor
    has its draws all counted as solved (no ``status``). ``--resume`` writes it again
    from the folder's parts."""
    path = folder / "kpis.csv"
    again = f"chainopt sweep --resume {folder} writes it again from the sweep's parts"
    text = read_text(path, str(path), MAX_TABLE_BYTES, what="sweep table")
    try:
        kpis = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError([Problem(str(path), f"damaged, not a CSV table: "
                                  f"{str(exc).strip().splitlines()[0]}", again)]) from None
    missing = [c for c in ("variant", "status") if c not in kpis.columns]
    if missing:
        raise InputError([Problem(str(path), f"damaged: no column {missing[0]} (not the "
                                  "kpis.csv chainopt sweep writes)", again)])
    return kpis


def save_meta(folder: SweepFolder, meta: dict) -> None:
    """Write ``sweep.json`` atomically (an InputError if it cannot be written)."""
    write_text(folder.path / "sweep.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
