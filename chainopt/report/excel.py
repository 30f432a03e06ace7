"""The result tables of a run as one workbook (``results.xlsx``), the KPI sheet first.

Numbers are those of the saved CSV tables (:func:`chainopt.results.stable_floats`: 10
significant digits, solver noise below 1e-10 as 0), so a workbook and a folder of the
same run say the same. Text that a spreadsheet would run as a formula is written as
text (:mod:`chainopt.xlsx_text`), in the tables and in the manifest sheet. A sheet holds at most
``xlsx_text.EXCEL_ROWS`` rows, its header's included: a longer table goes on in sheets
``<table> (2)``, ``<table> (3)``, ..., each with the header (:func:`write_table`, also
the writer of ``comparison.xlsx``'s sheets)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from chainopt import xlsx_text
from chainopt.atomic import write_file
from chainopt.ooxml import saved
from chainopt.results import stable_floats
from chainopt.xlsx_text import append_row

RESULTS_WORKBOOK = "results.xlsx"
_CHUNK = 50_000  # rows rounded (stable_floats) at a time: the copy stays small


def _value(v: object) -> object:
    """``v`` as a cell holds it: blank for a missing value (NaN, None) and for empty
    text (the whole-horizon rows' period in ``kpis``: an empty text cell is not blank to
    Excel's ISBLANK or COUNTBLANK), the text ``inf`` or ``-inf`` for an infinite one (an
    open end of a ranging interval: a number cell cannot hold it, and blank would say
    "no value"), as the CSV tables write them."""
    if v is None or (isinstance(v, str) and not v) or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if hasattr(v, "item"):  # numpy scalar
        v = v.item()
    return v


def sheet_title(name: str, part: int) -> str:
    """The title of sheet ``part`` (1, 2, ...) of table ``name``: ``name``, then
    ``name (2)``, ..., at most 31 characters (Excel's limit). Excel forbids
    ``\\ / * ? : [ ]`` in a title (openpyxl raises): each becomes ``_`` (a comparison's
    CSV may come from a folder someone sent)."""
    suffix = f" ({part})" if part > 1 else ""
    return (re.sub(r"[\\/*?:\[\]]", "_", name)[:31 - len(suffix)] or "_") + suffix


def write_table(wb, name: str, df: pd.DataFrame) -> None:
    """Table ``df`` into the write-only workbook ``wb`` as sheet ``name`` (bold header,
    frozen below it): at most ``xlsx_text.EXCEL_ROWS`` rows a sheet, its header's
    included, so a longer table goes on in sheets ``name (2)``, ``name (3)``, ...
    (:func:`sheet_title`), each with the header: n rows fill ceil(n / (EXCEL_ROWS - 1))
    sheets. Numbers as in the CSV tables (:func:`stable_floats`)."""
    per_sheet = xlsx_text.EXCEL_ROWS - 1
    for part, start in enumerate(range(0, max(len(df), 1), per_sheet), start=1):
        ws = wb.create_sheet(sheet_title(name, part))
        ws.freeze_panes = "A2"  # (set before the first row of a write-only sheet)
        append_row(ws, [str(c) for c in df.columns], bold=True)
        end = min(start + per_sheet, len(df))
        for at in range(start, end, _CHUNK):
            rows = stable_floats(df.iloc[at:min(at + _CHUNK, end)])
            for row in rows.itertuples(index=False):
                append_row(ws, [_value(v) for v in row])


def write_results_workbook(tables: dict[str, pd.DataFrame], manifest: dict,
                           path: str | Path) -> Path:
    """Write ``kpis`` first, then every other table (sorted), then the manifest; atomically."""
    # lazy: openpyxl is needed only for workbooks and costs start-up time otherwise
    from openpyxl import Workbook

    path = Path(path)
    wb = Workbook(write_only=True)  # rows streamed to the file: large tables fit in memory
    names = (["kpis"] if "kpis" in tables else []) + sorted(n for n in tables if n != "kpis")
    for name in names:
        write_table(wb, name, tables[name])
    ws = wb.create_sheet("manifest")
    append_row(ws, ["key", "value"])
    for k, v in sorted(manifest.items()):
        if isinstance(v, float) and math.isfinite(v):  # to 10 digits, as the tables hold it
            v = float(f"{v:.10g}")  # (43.49999999999999 was the 43.5 of kpis.csv)
        append_row(ws, [k, _value(v) if isinstance(v, str | int | float)
                        and not isinstance(v, bool) else json.dumps(v, default=str)])
    write_file(path, saved(wb.save))
    return path
