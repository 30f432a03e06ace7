"""Which period of a run holds each period of a comparison, where the runs' periods
differ: one run splits a period another keeps whole (a scenario's ``split: p2026, at:
2029``), or the runs are cases of other horizons.

A comparison's rows are the periods of all its runs, by name. Row p stands for the years
``a <= y < b`` that every run having a period p has in it (from the latest start to the
earliest end: a split keeps the period's name and start and ends it before ``at``, so
against ``proposal_base``'s p2026 of 2026-2030 the row p2026 of MP2's scenario, split at
2029 and 2030, is 2026-2028, and its rows p2029 and p2030 are 2029 and 2030). A run's
value per year on row p is that of its own period q holding those years:

* q has exactly the row's years: its own value (the ordinary case, q = p);
* q has more (the base's p2026 of 2026-2030 for the row p2029, or for the row p2026 of
  2026-2028): q's value is its discount-weighted average year, ``x_q = sum_{y in q} d(y)
  x_y / w_q``, which is the value of every year of q, and so of the row's, only when the
  run's years do not differ inside q (nothing comes into use, ramps up or retires there:
  the manifest's ``uneven_periods``, :func:`chainopt.report.average_year.uneven_periods`).
  Then q's value stands for the row. Otherwise the run's value on the row is not known
  (MP2 forced in an unsplit p2026 makes 443 kt/yr of methanol on its average year and
  none in 2026-2028): the cell is blank, and :attr:`Holding.notes` says why; so it is
  for a run whose manifest does not record ``uneven_periods`` (written before it did);
* no period of the run holds the row (another horizon): blank.

One function for every table compared by period: the per-year tables of
:mod:`chainopt.report.compare` (cash flow, production, sales, emissions, utilisation)
and the constraints of :func:`chainopt.report.economics.constraint_changes`. What is
built is built once, in its own period, and is not repeated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chainopt.case.discount import years_text
from chainopt.errors import shell_word


@dataclass(frozen=True)
class Holding:
    """``periods``: per run, each row it has a value on -> its own period holding it
    (None: the run's manifest names no periods, so none is known); ``notes``: (run, why
    some of its cells are blank), one per period of a run that holds rows of fewer years
    and whose years differ."""

    periods: dict[str, dict[str, str] | None]
    notes: list[tuple[str, str]]


def period_spans(manifest: dict) -> dict[str, tuple[int, int]]:
    """Each period's (first year, first year after it) from a manifest's ``period_table``."""
    return {str(r["period"]): (int(r["start_year"]), int(r["start_year"]) + int(r["length_yr"]))
            for r in manifest.get("period_table") or []}


def split_parts(manifest: dict) -> dict[str, list[str]]:
    """Each original period a run splits (a scenario's ``split: p2026, at: 2029``) -> its
    parts in time order, from the ``part_of`` of its ``period_table`` (a part records
    the original, unsplit period; the first part keeps the original's name and records
    none): ``{"p2026": ["p2026", "p2029"]}``. Empty for a run that splits none, or
    written before ``period_table``."""
    parts: dict[str, list[str]] = {}
    for r in manifest.get("period_table") or []:
        parts.setdefault(str(r.get("part_of") or r["period"]), []).append(str(r["period"]))
    return {p: ps for p, ps in parts.items() if len(ps) > 1}


def holding_year(manifest: dict, year: int) -> str | None:
    """The period of a run that holds calendar ``year`` (:func:`period_spans`), or None
    (outside its horizon, or no ``period_table``)."""
    return next((p for p, (a, b) in period_spans(manifest).items() if a <= year < b), None)


def _rerun(manifest: dict) -> str:
    """The command that runs a run again in its folder: ``chainopt run SOURCE --out OUT
    --name NAME --overwrite`` (compare --overwrite would reuse its results)."""
    src, folder = manifest.get("source"), manifest.get("results_dir")
    if not isinstance(src, str) or not isinstance(folder, str):
        return "with chainopt run ... --overwrite"
    where = Path(folder)
    return (f"chainopt run {shell_word(src)} --out {shell_word(str(where.parent))} --name "
            f"{shell_word(where.name)} --overwrite")


def holding(manifests: dict[str, dict]) -> Holding:
    """Which of each run's periods holds each row of a comparison of the runs whose
    manifests are ``manifests`` (name -> manifest), and the notes of the cells left blank
    (see the module)."""
    spans = {n: period_spans(m) for n, m in manifests.items()}
    rows: dict[str, tuple[int, int]] = {}
    for own in spans.values():
        for p, (a, b) in own.items():
            ra, rb = rows.get(p, (a, b))
            rows[p] = (max(a, ra), min(b, rb))
    # a name the runs give to years that do not overlap (cases of other horizons naming
    # their periods alike: p2 of 2031-35 and of 2027) is matched by name, as it is
    apart = {p for p, (a, b) in rows.items() if a >= b}
    periods: dict[str, dict[str, str] | None] = {}
    blank: dict[tuple[str, str], list[str]] = {}  # (run, its period) -> the rows left blank
    for n, m in manifests.items():
        own = spans[n]
        if not own:  # no years known: its own periods, by name (None: none)
            periods[n] = {str(p): str(p) for p in m.get("periods") or []} or None
            continue
        uneven = m.get("uneven_periods")
        held: dict[str, str] = {}
        for p, (a, b) in rows.items():
            if p in apart:
                if p in own:
                    held[p] = p
                continue
            q = next((q for q, (qa, qb) in own.items() if qa <= a and b <= qb), None)
            if q is None:
                continue
            if own[q] == (a, b) or (isinstance(uneven, dict) and q not in uneven):
                held[p] = q
            else:
                blank.setdefault((n, q), []).append(p)
        periods[n] = held
    notes = []
    for (n, q), ps in blank.items():
        which = [f"{p} ({years_text(*rows[p])})" for p in ps]
        cells = which[0] if len(which) == 1 else f"{', '.join(which[:-1])} and {which[-1]}"
        span = years_text(*spans[n][q])
        uneven = manifests[n].get("uneven_periods")
        why = (f"its years differ ({'; '.join(uneven[q])}), so the value of its average "
               "year is not that of each year" if isinstance(uneven, dict) else
               "its results do not say whether its years differ (written before "
               "manifest.json recorded uneven_periods; run it again, "
               f"{_rerun(manifests[n])}, then compare)")
        notes.append((n, f"{n}'s {q} ({span}) holds the other runs' {cells}, but {why}: "
                         f"its cells there are blank in the tables per year (cashflow, "
                         "production, exports, emissions, utilisation) and its binding "
                         "constraints there are not compared (project_constraints)"))
    return Holding(periods, notes)


def on_rows(df: pd.DataFrame, held: dict[str, str] | None, key: bool = False
            ) -> pd.DataFrame:
    """The rows of a run's table ``df`` (a ``period`` column) by the comparison's rows:
    each row p takes the run's rows of ``held[p]`` (:attr:`Holding.periods` of the run),
    the ``period=`` part of a ``key`` column too (a constraint's) when ``key``; rows of
    a period holding none are dropped. ``df`` as it is when ``held`` is None (no periods
    known) or maps each of its periods to itself."""
    if held is None:
        return df
    period = df["period"].astype(str)
    if all(p == q for p, q in held.items()) and period.isin(held).all():
        return df
    parts = []
    for p, q in held.items():
        part = df[period == q].assign(period=p)
        if key and p != q and len(part):
            part["key"] = part["key"].astype(str).str.replace(
                rf"\bperiod={re.escape(q)}(?=,|\s|$)", f"period={p}", regex=True)
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else df.iloc[0:0]
