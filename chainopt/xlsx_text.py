"""What a workbook cell may hold, so that no text runs in Excel or LibreOffice.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
taken as a formula by spreadsheet programs (CSV/formula injection): every workbook
chainopt writes (:mod:`chainopt.xlsx_write`: ``results.xlsx``, ``comparison.xlsx`` and
``convert``'s case workbooks) writes such text as a text cell with Excel's "quote
prefix" set, so it shows and edits as the text it is and reads back exactly; numbers
(also negative ones) stay numbers. Text holding a character a workbook cannot hold (a
control character: ESC, BEL) is written with its control characters written out,
``\x1b`` (:func:`chainopt.controls.plain`, as the terminal shows them): every such text
in a results or comparison workbook is chainopt's own output (a scenario file's path in
the manifest sheet, a failed run's error in ``comparison.xlsx``), never a reason to
refuse it. ``convert``, whose workbook is the user's input, refuses such a CSV cell
before (naming it).
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: the control characters a workbook (XML 1.0) cannot hold; tab, line feed and carriage
#: return it can (the characters openpyxl refuses, its ``ILLEGAL_CHARACTERS_RE``)
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: the rows of an Excel sheet, its header's included (Excel's specification); openpyxl
#: writes more, and Excel then calls the file damaged
EXCEL_ROWS = 1_048_576
#: the columns of an Excel sheet (A to XFD)
EXCEL_COLUMNS = 16_384
