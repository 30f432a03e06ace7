"""Writing workbook rows so that no text can run in Excel or LibreOffice.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
taken as a formula by spreadsheet programs (CSV/formula injection). :func:`append_row`
writes such text as a text cell (type ``s``) with Excel's "quote prefix" set, so it
shows and edits as the text it is and reads back exactly; numbers (also negative
ones) stay numbers. Text holding a character a workbook cannot hold (a control
character: ESC, BEL) is written with its control characters written out, ``\x1b``
(:func:`chainopt.controls.plain`, as the terminal shows them): every such text in a
workbook chainopt writes is its own output (a scenario file's path in the manifest sheet,
a failed run's error in ``comparison.xlsx``), never a reason to refuse it. ``convert``,
whose workbook is the user's input, refuses such a CSV cell before (naming it).
"""

from __future__ import annotations

import re

from chainopt.controls import plain

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: the control characters a workbook (XML 1.0) cannot hold; tab, line feed and carriage
#: return it can (the characters openpyxl refuses, its ``ILLEGAL_CHARACTERS_RE``)
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: the rows of an Excel sheet, its header's included (Excel's specification); openpyxl
#: writes more, and Excel then calls the file damaged
EXCEL_ROWS = 1_048_576
#: the columns of an Excel sheet (A to XFD)
EXCEL_COLUMNS = 16_384


def looks_like_formula(value: object) -> bool:
    """True for text a spreadsheet program would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def append_row(ws, values: list, bold: bool = False) -> None:
    """Append ``values`` to worksheet ``ws`` (openpyxl's: a case workbook, ``convert``);
    formula-like text is written as text, ``bold`` for a header row. (The workbooks of
    results, ``results.xlsx`` and ``comparison.xlsx``, are written by
    :mod:`chainopt.xlsx_write`, to the same rules.)"""
    # lazy: openpyxl is needed only for workbooks and costs start-up time otherwise
    from openpyxl.styles import Font

    row = ws._current_row + 1  # the row ws.append writes next
    values = [plain(v) if isinstance(v, str) and ILLEGAL.search(v) else v
              for v in values]

    def styled(cell) -> None:
        if looks_like_formula(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True
        if bold:
            cell.font = Font(bold=True)

    ws.append(values)
    for j, v in enumerate(values, start=1):
        if bold or looks_like_formula(v):  # (ws.cell: one lookup; ws[row] scans the sheet)
            styled(ws.cell(row=row, column=j))
