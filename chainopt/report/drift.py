"""Drift between two sets of results: what changed, beyond which tolerance.

``compare_results`` compares what the two runs' manifests say of the answer — the
objective (within tolerance), and the :data:`MANIFEST_FIELDS` exactly: the status (an
``optimal`` run re-run to ``feasible`` stopped at its time limit with a plan not proven
optimal), the objective's sense and whether the model is a MIP — then lines up every
table of two runs by its key columns (the non-numeric columns) and reports each numeric
cell whose difference exceeds ``atol + rtol * |old|``, every row added or removed (so
the row counts), and every capacity whose binding status changed (shadow price zero
<-> non-zero). What says how or where a run was made, not what it found, is not
compared: timings, dates, the folder, the platform, versions, iteration counts, the
model's size and the tables' checksums (bytes that differ in the 10th digit across
platforms; the saved folder's own checksums are checked when it is read).
:func:`made_by_lines` names the versions and platform that differ, to go with a
difference. A table or column the new run
has and the saved folder lacks was not written by the chainopt that made the folder (an
older one: ``flows.carbon_usd_per_unit`` came later): it is a note (:data:`NOTE`), not a
difference, and the columns both have are compared as ever. ``key_figures`` and
``compare_figures`` do the same for the small golden snapshot files: objective,
objective parts, capacity built and production by product, rounded to 6
significant digits.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from chainopt.results import text_columns

COLUMNS = ["table", "key", "column", "old", "new", "abs_diff", "rel_diff", "what"]
SIGNIFICANT = 6
# ``what`` of a table or column only the new run has: not compared, not a difference
NOTE = "not in the saved folder (written by an older chainopt): not compared"


#: manifest fields of a run's answer compared exactly (the objective: with tolerance)
MANIFEST_FIELDS = ("status", "objective_sense", "is_mip")
#: what made a run, named with a difference (:func:`made_by_lines`), never compared
MADE_BY = ("chainopt", "highs", "pandas", "pyomo", "python")


def differences(report: pd.DataFrame) -> pd.DataFrame:
    """The rows of a drift report that are differences (all but the notes)."""
    return report[report["what"] != NOTE]


def _label(df: pd.DataFrame, keys: list[str]) -> pd.Series:
    if not keys:
        return pd.Series([str(i) for i in range(len(df))], index=df.index)
    parts = df[keys].astype(str).fillna("")
    # "k1=v1, k2=v2" leaving out empty values, column by column (no Python call per row)
    out = np.full(len(df), "", dtype=object)
    for k in keys:
        v = parts[k].to_numpy(dtype=object)
        piece = np.where(v != "", f"{k}=" + v, "")
        out = np.where(piece == "", out, np.where(out == "", piece, out + ", " + piece))
    return pd.Series(out, index=df.index, dtype=object)


def _table_drift(name: str, old: pd.DataFrame, new: pd.DataFrame, rtol: float,
                 atol: float) -> list[tuple]:
    """The drift rows of one table: its columns removed or added, then its rows removed
    and added, then each numeric cell beyond tolerance, column by column, the rows of a
    column in the order of their keys (label, then the row's place among rows of the same
    keys: the order of pandas' outer merge on them)."""
    rows: list[tuple] = []
    for c in [c for c in old.columns if c not in new.columns]:
        rows.append((name, "", c, "", "", np.nan, np.nan, "column removed"))
    for c in [c for c in new.columns if c not in old.columns]:
        rows.append((name, "", c, "", "", np.nan, np.nan, NOTE))
    both_cols = [c for c in old.columns if c in new.columns]
    old, new = old[both_cols], new[both_cols]
    keys = text_columns(old)
    if _aligned(old, new, keys):
        return rows + _aligned_drift(name, old, new, keys, rtol, atol)
    o = old.assign(_k=_label(old, keys), _n=old.groupby(keys, dropna=False).cumcount()
                   if keys else 0)
    n = new.assign(_k=_label(new, keys), _n=new.groupby(keys, dropna=False).cumcount()
                   if keys else 0)
    m = o.merge(n, on=["_k", "_n"], how="outer", suffixes=("_old", "_new"), indicator=True)
    for k in m.loc[m["_merge"] == "left_only", "_k"]:
        rows.append((name, k, "", "", "", np.nan, np.nan, "row removed"))
    for k in m.loc[m["_merge"] == "right_only", "_k"]:
        rows.append((name, k, "", "", "", np.nan, np.nan, "row added"))
    both = m[m["_merge"] == "both"]
    label = both["_k"].to_numpy(dtype=object)
    for c in [c for c in old.columns if c not in keys]:
        a, b, diff, bad = _cells(both[f"{c}_old"], both[f"{c}_new"], rtol, atol)
        at = np.flatnonzero(bad)
        rows += _cell_rows(name, c, at, label[at], a, b, diff, atol)
    return rows


def _aligned(old: pd.DataFrame, new: pd.DataFrame, keys: list[str]) -> bool:
    """Whether row i of ``new`` has the keys of row i of ``old``, for every i (the same
    values of the same type: a re-run's tables, made in one order): each row is then
    paired with the row at its place, as the merge on labels would pair it."""
    return len(old) == len(new) and all(
        old[k].reset_index(drop=True).equals(new[k].reset_index(drop=True)) for k in keys)


def _aligned_drift(name: str, old: pd.DataFrame, new: pd.DataFrame, keys: list[str],
                   rtol: float, atol: float) -> list[tuple]:
    """:func:`_table_drift`'s cells of two :func:`_aligned` tables, compared in place:
    only the rows with a cell beyond tolerance are labelled and put in key order (at
    300k variables the merge on every row's label took 5 of verify's 14 s)."""
    cells = {c: _cells(old[c], new[c], rtol, atol) for c in old.columns if c not in keys}
    any_bad = np.zeros(len(old), dtype=bool)
    for *_, bad in cells.values():
        any_bad |= bad
    at = np.flatnonzero(any_bad)
    if not len(at):
        return []
    if keys:
        label = _label(old.iloc[at], keys).to_numpy(dtype=object)
        nth = old.groupby(keys, dropna=False).cumcount().to_numpy()[at]
    else:  # each row keyed by its place, as text (the merge sorts "10" before "2")
        label, nth = np.array([str(i) for i in at], dtype=object), np.zeros(len(at), int)
    order = sorted(range(len(at)), key=lambda j: (label[j], nth[j]))
    at, label = at[order], label[order]
    rows: list[tuple] = []
    for c, (a, b, diff, bad) in cells.items():
        picked = np.flatnonzero(bad[at])
        rows += _cell_rows(name, c, at[picked], label[picked], a, b, diff, atol)
    return rows


def _cells(was: pd.Series, now: pd.Series, rtol: float, atol: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A column's old and new values as floats (text: NaN), their absolute difference
    (NaN as 0) and where they differ: a value that appears or goes, or
    ``|new - old| > atol + rtol * |old|``."""
    a = pd.to_numeric(was, errors="coerce").to_numpy(dtype=float)
    b = pd.to_numeric(now, errors="coerce").to_numpy(dtype=float)
    nan_change = np.isnan(a) != np.isnan(b)
    diff = np.abs(np.nan_to_num(a) - np.nan_to_num(b))
    return a, b, diff, nan_change | (diff > atol + rtol * np.abs(np.nan_to_num(a)))


def _cell_rows(name: str, c: str, at: np.ndarray, labels: np.ndarray, a: np.ndarray,
               b: np.ndarray, diff: np.ndarray, atol: float) -> list[tuple]:
    """A drift row for each place ``at[j]`` (its key ``labels[j]``) of column ``c``."""
    rows: list[tuple] = []
    for i, key in zip(at, labels, strict=True):
        rel = diff[i] / abs(a[i]) if a[i] == a[i] and a[i] != 0 else np.inf
        what = "changed"
        if name == "capacity" and c == "shadow_price_usd_per_unit_yr" and \
                (abs(np.nan_to_num(a[i])) > atol) != (abs(np.nan_to_num(b[i])) > atol):
            what = "binding changed"
        rows.append((name, key, c, a[i], b[i], diff[i], rel, what))
    return rows


def compare_results(old, new, rtol: float = 1e-6, atol: float = 1e-6) -> pd.DataFrame:
    """Every difference beyond tolerance between two Results (objective first)."""
    rows: list[tuple] = []
    for f in MANIFEST_FIELDS:
        was, now = old.manifest.get(f), new.manifest.get(f)
        if was is not None and now is not None and was != now:  # first: rel_diff inf
            rows.append(("manifest", "", f, str(was), str(now), np.nan, np.inf, "changed"))
    a, b = float(old.manifest["objective"]), float(new.manifest["objective"])
    if abs(a - b) > atol + rtol * abs(a):
        rows.append(("manifest", "", "objective", a, b, abs(a - b),
                     abs(a - b) / abs(a) if a else np.inf, "changed"))
    for name in sorted(set(old.tables) | set(new.tables)):
        if name not in new.tables or name not in old.tables:
            rows.append((name, "", "", "", "", np.nan, np.nan,
                         "table removed" if name in old.tables else NOTE))
            continue
        rows += _table_drift(name, old.tables[name], new.tables[name], rtol, atol)
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values("rel_diff", ascending=False, kind="stable", na_position="first")


def describe(report: pd.DataFrame, rtol: float, atol: float, limit: int = 15) -> str:
    """A readable summary of a drift report: the differences that matter first, then the
    notes (:func:`notes`)."""
    diff = differences(report)
    lines = [f"results differ beyond rtol={rtol:g}, atol={atol:g}: {len(diff)} differences"]
    counts = diff["what"].value_counts()
    lines.append("  " + ", ".join(f"{n} {w}" for w, n in counts.items()))
    for r in diff.head(limit).itertuples(index=False):
        where = f"{r.table} [{r.key}] {r.column}".replace(" []", "").strip()
        if r.what == "changed" and isinstance(r.old, str):  # a manifest field
            lines.append(f"  {where}: {r.old} -> {r.new}")
        elif r.what in ("changed", "binding changed"):
            tag = " (binding changed)" if r.what == "binding changed" else ""
            lines.append(f"  {where}: {r.old:.10g} -> {r.new:.10g} "
                         f"(rel {r.rel_diff:.2e}){tag}")
        else:
            lines.append(f"  {where}: {r.what}")
    if len(diff) > limit:
        lines.append(f"  ... {len(diff) - limit} more, with smaller relative changes")
    return "\n".join(lines + notes(report))


def made_by_lines(saved: dict, fresh: dict) -> list[str]:
    """One line naming what made the ``saved`` run and what made the ``fresh`` one
    (manifests), of the :data:`MADE_BY` versions and the platform that differ; none when
    they are the same. Not a difference: the likely cause of one."""
    was, now = saved.get("versions"), fresh.get("versions")
    was, now = (was if isinstance(was, dict) else {}), (now if isinstance(now, dict) else {})
    other = [f"{k} {was.get(k)} -> {now.get(k)}" for k in MADE_BY if was.get(k) != now.get(k)]
    if saved.get("platform") != fresh.get("platform"):
        other.append(f"platform {saved.get('platform')} -> {fresh.get('platform')}")
    return [f"  made by: {', '.join(other)}"] if other else []


def notes(report: pd.DataFrame) -> list[str]:
    """One line per table or column of the new run that the saved folder lacks."""
    r = report[report["what"] == NOTE]
    return [f"  note: {t}{'.' + c if c else ''}: {NOTE}"
            for t, c in zip(r["table"], r["column"], strict=True)]


def _round(x: float) -> float:
    return float(f"{x:.{SIGNIFICANT}g}")


def key_figures(results) -> dict:
    """The figures a golden snapshot keeps, rounded to 6 significant digits."""
    k = results.tables["kpis"]
    npv = {r.kpi: _round(r.value) for r in k[k["period"].fillna("") == ""].itertuples()
           if r.kpi.startswith("npv_")}
    prod = {f"{r.kpi.removeprefix('production_')}@{r.period}": _round(r.value)
            for r in k[k["kpi"].str.startswith("production_")].itertuples()}
    cap = results.tables["capacity"]
    built = cap[cap["new_k_per_yr"].fillna(0) > 1e-6]
    capacity = {f"{r.kind}:{r.name}@{r.period}": _round(r.new_k_per_yr)
                for r in built.itertuples()}
    pr = results.tables["projects"]
    projects = {f"{r.project}@{r.period}": _round(r.built_share)
                for r in pr[pr["built_share"] > 1e-6].itertuples()}
    m = results.manifest
    return {"source": m.get("scenario") or m.get("case"), "status": m["status"],
            "objective_musd": _round(m["objective"]), "npv_parts_musd": npv,
            "capacity_built_k_per_yr": capacity, "projects_built": projects,
            "production_k_per_yr": prod}


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def non_finite_figures(golden: dict) -> dict[str, float]:
    """The figures of a snapshot file, by key (dotted, as the diff names them), that are
    numbers but not finite (``.nan``, ``.inf``, ``-.inf``): no run writes one, and each
    compared as equal to anything (nan) or to itself (inf), so a snapshot so edited no
    longer checked that figure."""
    return {k: v for k, v in _flatten(golden).items()
            if isinstance(v, float) and not math.isfinite(v)}


def compare_figures(golden: dict, current: dict, rtol: float, atol: float) -> list[str]:
    """Readable lines for every figure that changed beyond tolerance (empty = same); a
    golden figure that is not finite is always a change (NaN compared as within any
    tolerance, and an infinity as equal to itself)."""
    g, c = _flatten(golden), _flatten(current)
    lines = []
    for k in sorted(set(g) | set(c)):
        if k not in c:
            lines.append(f"- {k}: {g[k]} (gone)")
        elif k not in g:
            lines.append(f"+ {k}: {c[k]} (new)")
        elif isinstance(g[k], int | float) and isinstance(c[k], int | float):
            if not (math.isfinite(g[k]) and math.isfinite(c[k])):
                lines.append(f"~ {k}: {g[k]} -> {c[k]} (not a finite number)")
            elif abs(g[k] - c[k]) > atol + rtol * abs(g[k]):
                rel = abs(g[k] - c[k]) / abs(g[k]) if g[k] else float("inf")
                lines.append(f"~ {k}: {g[k]} -> {c[k]} (rel {rel:.2e})")
        elif g[k] != c[k]:
            lines.append(f"~ {k}: {g[k]} -> {c[k]}")
    return lines
