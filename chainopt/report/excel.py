"""The result tables of a run as one workbook (``results.xlsx``), the KPI sheet first.

Numbers are those of the saved CSV tables (:func:`chainopt.results.stable_floats`: 10
significant digits, solver noise below 1e-10 as 0), so a workbook and a folder of the
same run say the same. Text that a spreadsheet would run as a formula is written as
text (:mod:`chainopt.xlsx_text`), in the tables and in the manifest sheet. A sheet holds at most
``xlsx_text.EXCEL_ROWS`` rows, its header's included: a longer table goes on in sheets
``<table> (2)``, ``<table> (3)``, ..., each with the header (:func:`table_sheets`, also
the sheets of ``comparison.xlsx``). The workbook is written by
:func:`chainopt.xlsx_write.write_workbook`."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from chainopt import xlsx_text
from chainopt.atomic import write_file
from chainopt.errors import InputError, Problem
from chainopt.results import stable_floats
from chainopt.xlsx_write import write_workbook

RESULTS_WORKBOOK = "results.xlsx"


def sheet_title(name: str, part: int) -> str:
    """The title of sheet ``part`` (1, 2, ...) of table ``name``: ``name``, then
    ``name (2)``, ..., at most 31 characters (Excel's limit). Excel forbids
    ``\\ / * ? : [ ]`` in a title, and a workbook cannot hold a control character: each
    becomes ``_``; nor may a title start or end with an apostrophe: those go (a
    comparison's CSV may come from a folder someone sent)."""
    suffix = f" ({part})" if part > 1 else ""
    title = re.sub(r"[\\/*?:\[\]\x00-\x1f\x7f]", "_", name)[:31 - len(suffix)].strip("'")
    return (title or "_") + suffix


def table_sheets(name: str, df: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Table ``df`` as the sheets of a workbook (title, rows): at most
    ``xlsx_text.EXCEL_ROWS`` rows a sheet, its header's included, so a longer table goes
    on in sheets ``name (2)``, ``name (3)``, ... (:func:`sheet_title`), each with the
    header: n rows fill ceil(n / (EXCEL_ROWS - 1)) sheets. A table of more columns than
    a sheet holds (``xlsx_text.EXCEL_COLUMNS``: an old comparison folder's every CSV is
    read) is an InputError naming it."""
    if len(df.columns) > xlsx_text.EXCEL_COLUMNS:
        raise InputError([Problem(f"table {name}", f"{len(df.columns):,} columns, more than "
                                  f"the {xlsx_text.EXCEL_COLUMNS:,} an Excel sheet holds",
                                  "leave it out of the folder, or keep it as CSV")])
    per_sheet = xlsx_text.EXCEL_ROWS - 1
    return [(sheet_title(name, part), df.iloc[start:start + per_sheet])
            for part, start in enumerate(range(0, max(len(df), 1), per_sheet), start=1)]


def write_tables(path: str | Path, sheets: list[tuple[str, pd.DataFrame]]) -> Path:
    """The workbook of ``sheets`` (name, table), each table as :func:`table_sheets` lays
    it out, its numbers as in the CSV tables (:func:`stable_floats`), written atomically
    (:func:`chainopt.atomic.write_file`)."""
    laid_out = [sheet for name, df in sheets for sheet in table_sheets(name, df)]
    return write_file(path, lambda tmp: write_workbook(tmp, laid_out, stable_floats))


def write_results_workbook(tables: dict[str, pd.DataFrame], manifest: dict,
                           path: str | Path) -> Path:
    """Write ``kpis`` first, then every other table (sorted), then the manifest; atomically."""
    names = (["kpis"] if "kpis" in tables else []) + sorted(n for n in tables if n != "kpis")
    rows = []
    for k, v in sorted(manifest.items()):
        if isinstance(v, float) and math.isfinite(v):  # to 10 digits, as the tables hold it
            v = float(f"{v:.10g}")  # (43.49999999999999 was the 43.5 of kpis.csv)
        rows.append([k, v if isinstance(v, str | int | float) and not isinstance(v, bool)
                     else json.dumps(v, default=str)])
    manifest_sheet = pd.DataFrame(rows, columns=["key", "value"], dtype=object)
    return write_tables(path, [*((n, tables[n]) for n in names), ("manifest", manifest_sheet)])
