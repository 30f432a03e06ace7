"""A canonical hash of a case's effective inputs.

Independent of how the CSVs are formatted and of column order: every validated table
is hashed with its columns sorted by name and numbers written with 17 significant
digits (``560``, ``560.00`` and ``5.6e2`` hash alike), so a folder and the workbook
``chainopt convert`` makes of it hash alike; ``source``/``description`` columns and
spreadsheet row numbers are left out, since they do not change the model.

Row order counts: the model is built in the rows' order, so rows in another order give
the same LP with its columns in another order, and at a degenerate optimum the solver
returns another vertex. ``small_chain`` with every CSV's rows reversed has the same
objective but puts the -138 USD/t reduced cost of the unused polymer route on
``rail_east`` instead of ``port_sea``; the shipped ``proposal_asia_only`` with its rows
sorted by key keeps its objective but moves 30 MUSD from its revenue to its transport
part. Rows in another order are therefore other inputs: results
made from them are not reused, and ``verify`` says the inputs changed (exit 6), not that
the answer did (exit 5).
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from chainopt.case.schema import TABLES, Case
from chainopt.csvtext import csv_text

IGNORED = {"_row", "source", "description"}
# columns added after results were recorded: left out of a table where every row holds
# the default (what a case without the column reads), so such a case hashes as before
# the column existed and its results still verify and are reused
LATER = {"project_finance": {"inflation": 0.0}, "tax_regimes": {"inflation": 0.0}}
# blanks hashed as the value the column took for a blank before it kept the blank: a
# site's coordinates (blank was 0°, 0°; the map alone reads them), so such a case hashes
# as before and its results still verify and are reused
BLANK_WAS = {"sites": {"lat_deg": 0.0, "lon_deg": 0.0}}


def _canonical(df: pd.DataFrame, key: list[str] | None = None,
               later: dict[str, float] | None = None) -> str:
    """A table's rows, in their order (``key``: sorted by it), with its columns sorted by
    name; a column of ``later`` (added since) left out if every row holds its default."""
    unused = {c for c, v in (later or {}).items() if c in df and (df[c] == v).all()}
    cols = sorted(c for c in df.columns if c not in IGNORED | unused)
    if df.empty:
        return ",".join(cols)
    d = df[cols].sort_values(key, kind="stable") if key else df[cols]
    return csv_text(d, float_format="%.17g")  # the bytes of to_csv, faster


def same_inputs(case: Case, recorded: object) -> bool:
    """``case`` hashes to ``recorded``, or to the hash chainopt recorded before row order
    counted (rows sorted by key: :func:`case_hash` with ``rows_by_key``), so that results
    folders and sweeps written before still verify and resume, as they did then."""
    return recorded in (case_hash(case), case_hash(case, rows_by_key=True))


def case_hash(case: Case, rows_by_key: bool = False) -> str:
    """SHA-256 of the effective inputs of ``case`` (hex); ``rows_by_key``: the hash of
    chainopt before row order counted (each table's rows sorted by its key)."""
    h = hashlib.sha256()
    meta = case.meta.model_dump(mode="json")
    meta.pop("description", None)
    for p in meta["periods"]:  # a period of its own hashes as before part_of existed
        if p.get("part_of") is None:
            p.pop("part_of", None)
    h.update(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(case.tables):
        df = case.tables[name]
        if df.empty:
            continue
        if name in BLANK_WAS:
            df = df.fillna({c: v for c, v in BLANK_WAS[name].items() if c in df.columns})
        h.update(f"\n#{name}\n".encode())
        h.update(_canonical(df, list(TABLES[name].key) if rows_by_key else None,
                            LATER.get(name)).encode())
    for name in sorted(case.by_period):
        df = case.by_period[name]
        if df.empty:
            continue
        h.update(f"\n#{name}_by_period\n".encode())
        h.update(_canonical(df, [*TABLES[name].key, "period"] if rows_by_key else None
                            ).encode())
    return h.hexdigest()
