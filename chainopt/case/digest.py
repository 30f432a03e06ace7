"""A canonical hash of a case's effective inputs.

Independent of how the CSVs are formatted and of row and column order: every
validated table is sorted by its key, its columns by name, numbers written with
17 significant digits; ``source``/``description`` columns and spreadsheet row
numbers are left out, since they do not change the model.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from chainopt.case.schema import TABLES, Case
from chainopt.csvtext import csv_text

IGNORED = {"_row", "source", "description"}


def _canonical(df: pd.DataFrame, key: list[str]) -> str:
    cols = sorted(c for c in df.columns if c not in IGNORED)
    if df.empty:
        return ",".join(cols)
    d = df[cols].sort_values(key, kind="stable") if key else df[cols]
    return csv_text(d, float_format="%.17g")  # the bytes of to_csv, faster


def case_hash(case: Case) -> str:
    """SHA-256 of the effective inputs of ``case`` (hex)."""
    h = hashlib.sha256()
    meta = case.meta.model_dump(mode="json")
    meta.pop("description", None)
    h.update(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(case.tables):
        df = case.tables[name]
        if df.empty:
            continue
        h.update(f"\n#{name}\n".encode())
        h.update(_canonical(df, list(TABLES[name].key)).encode())
    for name in sorted(case.by_period):
        df = case.by_period[name]
        if df.empty:
            continue
        h.update(f"\n#{name}_by_period\n".encode())
        h.update(_canonical(df, [*TABLES[name].key, "period"]).encode())
    return h.hexdigest()
