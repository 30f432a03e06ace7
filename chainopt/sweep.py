"""Sweeps: many variants of one case or scenario, solved fast, in parallel, resumably.

A **variant** is a list of changes to the base's raw inputs (the same change
dicts a scenario overlay uses, see :mod:`chainopt.case.scenario`) plus the values
that define it. Variants come from a grid (``--set TARGET OP VALUES``, the product
of all ``--set`` options) or from Monte Carlo draws (``--samples N --seed S`` with
distributions declared in YAML; see :func:`draw_samples`).

Speed: each worker process builds the base model once (Pyomo + HiGHS) and keeps
it; a variant is validated and turned into arrays (no Pyomo), and when only
coefficients, bounds or prices differ the worker's HiGHS instance is updated in
place and re-solved from the previous basis (:func:`chainopt.solve.resolve`);
structural changes fall back to a fresh hand-over.

Nothing lost: each finished variant is written atomically as one part file
(``parts/<variant>.csv``) the moment it completes, so killing a sweep loses only
the variants in flight; ``resume`` solves only the variants without a part file.
A variant that fails (infeasible, time limit, bad input) is recorded with its
status and message and does not stop the sweep.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from chainopt.case.load import load_case
from chainopt.case.scenario import Scenario, apply_changes
from chainopt.case.validate import validate
from chainopt.errors import ChainoptError, InputError, Problem

SET_PATTERN = re.compile(
    r"^(?P<table>[a-z_]+)\.(?P<column>[a-z0-9_]+)(\[(?P<where>[^\]]*)\])?\s*"
    r"(?P<op>\*=|\+=|=)\s*(?P<values>.+)$")
OPS = {"=": "set", "*=": "scale", "+=": "add"}


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
        change = {"table": self.table, "where": where, self.op: {self.column: float(value)}}
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
    (evenly spaced, both ends included) or a comma-separated list.
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
    try:
        if ":" in spec:
            a, b, n = spec.split(":")
            values = np.linspace(float(a), float(b), int(n)).tolist()
        else:
            values = [float(v) for v in spec.split(",")]
    except ValueError:
        raise InputError([Problem(f"--set {text!r}", f"cannot read the values '{spec}'",
                                  "give start:stop:count or v1,v2,...")]) from None
    return Target(m["table"], m["column"], tuple(where), OPS[m["op"]]), values


@dataclass(frozen=True)
class Variant:
    """One member of a sweep: an id, the values that define it and its changes."""

    id: str
    values: dict[str, float]
    changes: tuple[dict, ...]


def grid(settings: list[tuple[Target, list[float]]]) -> list[Variant]:
    """The product of all settings' values, one variant per combination."""
    out = []
    combos = itertools.product(*[vals for _, vals in settings])
    for i, combo in enumerate(combos):
        out.append(Variant(
            id=f"v{i:05d}",
            values={f"{t.label} {t.op}": v for (t, _), v in zip(settings, combo, strict=True)},
            changes=tuple(t.change(v) for (t, _), v in zip(settings, combo, strict=True)),
        ))
    return out


def draw_samples(spec: dict, samples: int, seed: int) -> list[Variant]:
    """Monte Carlo variants from a distributions spec (a parsed YAML mapping).

    ``spec = {"variables": [{"target": "markets.price_usd_per_unit[commodity=hdpe]",
    "op": "scale", "dist": {"type": "triangular", "low": 0.7, "mode": 1, "high": 1.3}},
    ...], "correlation": [[1, 0.5], [0.5, 1]]}``. Types: ``uniform`` (low, high),
    ``triangular`` (low, mode, high), ``normal`` (mean, sd, optional low/high:
    truncated). Correlated draws use a Gaussian copula: correlated standard normals
    are mapped to uniforms and then through each variable's inverse CDF. Same seed,
    same draws.
    """
    from scipy import stats  # lazy: scipy.stats is slow to import; only Monte Carlo needs it

    variables = spec.get("variables") or []
    if not variables:
        raise InputError([Problem("distributions", "no variables declared",
                                  "list them under 'variables:'")])
    rng = np.random.default_rng(seed)
    k = len(variables)
    corr = np.asarray(spec.get("correlation", np.eye(k)), dtype=float)
    if corr.shape != (k, k):
        raise InputError([Problem("distributions: correlation",
                                  f"must be a {k}x{k} matrix, found shape {corr.shape}")])
    z = rng.standard_normal((samples, k)) @ np.linalg.cholesky(corr).T
    u = stats.norm.cdf(z)
    cols = []
    targets = []
    for j, var in enumerate(variables):
        symbol = {"set": "=", "scale": "*=", "add": "+="}.get(var.get("op", "scale"), "?")
        target, _ = parse_set(f"{var['target']}{symbol}0")
        d = var["dist"]
        kind = d.get("type")
        if kind == "uniform":
            x = d["low"] + u[:, j] * (d["high"] - d["low"])
        elif kind == "triangular":
            lo, mo, hi = d["low"], d["mode"], d["high"]
            x = stats.triang.ppf(u[:, j], (mo - lo) / (hi - lo), loc=lo, scale=hi - lo)
        elif kind == "normal":
            lo = (d.get("low", -np.inf) - d["mean"]) / d["sd"]
            hi = (d.get("high", np.inf) - d["mean"]) / d["sd"]
            x = stats.truncnorm.ppf(u[:, j], lo, hi, loc=d["mean"], scale=d["sd"])
        else:
            raise InputError([Problem(f"distributions: variables[{j}].dist.type",
                                      f"unknown distribution {kind!r}",
                                      "use uniform, triangular or normal")])
        cols.append(x)
        targets.append(target)
    out = []
    for i in range(samples):
        vals = [float(c[i]) for c in cols]
        out.append(Variant(id=f"s{i:05d}",
                           values={f"{t.label} {t.op}": v for t, v in zip(targets, vals,
                                                                         strict=True)},
                           changes=tuple(t.change(v) for t, v in zip(targets, vals,
                                                                     strict=True))))
    return out


# ---------------------------------------------------------------------------------------
# Workers: one base model per process, kept across its share of variants.

_BASE: dict[str, object] = {}


def _base(source: str):
    """The worker's base: raw inputs and the solved base model (built once)."""
    if source not in _BASE:
        # lazy: the model side loads in the worker that solves, so that importing this
        # module (the api does) stays light
        from chainopt.models.build import build
        from chainopt.solve import handover, solve

        case = load_case(source)
        built = build(case)
        handover(built)
        solve(built)
        _BASE[source] = (case.raw, built)
    return _BASE[source]


def apply_variant(raw, changes: list[dict]):
    """``raw`` with a variant's changes applied (the scenario overlay engine)."""
    sc = Scenario(name="sweep", description="", base="", changes=tuple(changes),
                  path=Path("--set"))
    return apply_changes(raw, sc)


def _kpis(built, outcome) -> dict[str, float]:
    """The sweep's KPIs straight from the solution: NPV parts and project build shares."""
    a = built.arrays
    out = {}
    for category, vec in a.cost_by_category.items():
        out[f"npv_{category}_musd"] = float((vec @ outcome.col_value).sum()) + a.offset.get(
            category, 0.0)
    for category, value in a.offset.items():
        out.setdefault(f"npv_{category}_musd", value)
    for fam in _project_families(built):
        shares = pd.Series(outcome.col_value[fam.start:fam.stop]).groupby(
            fam.keys["project"].to_numpy()).sum()
        out.update({f"built_{p}": float(v) for p, v in shares.items()})
    return out


def _project_families(built) -> list:
    """The column families of project build decisions in a built model (binary ones
    first, then shares; see the investment family's spec)."""
    # lazy: the model side loads in the worker (see _base)
    from chainopt.models.investment import PROJECT_BUILD, PROJECT_SHARE

    out = []
    for spec in (PROJECT_BUILD, PROJECT_SHARE):
        try:
            out.append(built.lp.family(spec.label))
        except KeyError:
            continue
    return out


def _project_columns(built) -> dict[str, np.ndarray]:
    """The build-decision columns of each optional project of a built model."""
    out: dict[str, list] = {}
    for fam in _project_families(built):
        for i, project in enumerate(fam.keys["project"]):
            out.setdefault(project, []).append(fam.start + i)
    states = built.index.projects.set_index("project")["state"]
    return {p: np.asarray(c) for p, c in out.items() if states.get(p) == "optional"}


def solve_variant(source: str, variant: Variant, options=None,
                  project_npv: bool = False) -> dict:
    """Solve one variant; return its KPI row (status and message on failure).

    With ``project_npv``, each optional project's incremental NPV is the variant's
    objective minus its objective with the project's build decisions fixed at 0.
    """
    # lazy: the model side loads in the worker (see _base)
    from chainopt.models.build import build
    from chainopt.solve import objective_with_fixed, resolve

    t0 = time.perf_counter()
    row: dict = {"variant": variant.id, **variant.values}
    try:
        raw, base = _base(source)
        case = validate(apply_variant(raw, list(variant.changes)))
        built = build(case, pyomo=False)
        outcome = resolve(base, built, options)
        # the worker's solver now belongs to this variant: keep it as the new base
        _BASE[source] = (raw, built)
        row.update(status=outcome.status, message="", objective_musd=outcome.objective,
                   warm_start=bool(built.timings.get("warm_start")))
        row.update(_kpis(built, outcome))
        if project_npv:
            for project, cols in _project_columns(built).items():
                off = objective_with_fixed(built, cols, 0.0, options)
                row[f"npv_{project}_incremental_musd"] = outcome.objective - off
    except ChainoptError as exc:
        row.update(status=type(exc).__name__, message=str(exc).splitlines()[0],
                   objective_musd=np.nan)
    row["seconds"] = time.perf_counter() - t0
    return row


# ---------------------------------------------------------------------------------------
# The sweep folder: parts written atomically, an index, resumable.

@dataclass
class SweepFolder:
    """``DIR/sweep.json`` (what was asked), ``DIR/parts/<id>.csv`` (one per finished
    variant) and, when complete, ``DIR/kpis.csv`` and ``DIR/summary.csv``."""

    path: Path
    meta: dict = field(default_factory=dict)

    @property
    def parts(self) -> Path:
        return self.path / "parts"

    def done(self) -> set[str]:
        return {p.stem for p in self.parts.glob("*.csv")} if self.parts.exists() else set()

    def write_part(self, row: dict) -> None:
        self.parts.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.parts, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            pd.DataFrame([row]).to_csv(f, index=False, float_format="%.10g",
                                       lineterminator="\n")
        os.replace(tmp, self.parts / f"{row['variant']}.csv")

    def collect(self) -> pd.DataFrame:
        frames = [pd.read_csv(p) for p in sorted(self.parts.glob("*.csv"))]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True).sort_values("variant", kind="stable")


def run_variants(source: str, variants: Iterable[Variant], folder: SweepFolder, jobs: int = 1,
                 dask: str | None = None, options=None, project_npv: bool = False,
                 progress: Callable[[int, int, dict], None] | None = None) -> pd.DataFrame:
    """Solve every variant not yet in ``folder``; write each part as it finishes."""
    todo = [v for v in variants if v.id not in folder.done()]
    total = len(todo)
    report = progress or (lambda _i, _n, _row: None)
    if dask:
        # lazy: dask's distributed is an optional dependency, needed only with a scheduler
        from distributed import Client, as_completed

        with Client(dask) as client:
            futures = [client.submit(solve_variant, source, v, options, project_npv,
                                     pure=False)
                       for v in todo]
            for i, fut in enumerate(as_completed(futures), 1):
                row = fut.result()
                folder.write_part(row)
                report(i, total, row)
    elif jobs > 1 and total > 1:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            futs = [pool.submit(solve_variant, source, v, options, project_npv) for v in todo]
            for i, fut in enumerate(concurrent.futures.as_completed(futs), 1):
                row = fut.result()
                folder.write_part(row)
                report(i, total, row)
    else:
        for i, v in enumerate(todo, 1):
            row = solve_variant(source, v, options, project_npv)
            folder.write_part(row)
            report(i, total, row)
    return folder.collect()


def save_meta(folder: SweepFolder, meta: dict) -> None:
    folder.path.mkdir(parents=True, exist_ok=True)
    (folder.path / "sweep.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
