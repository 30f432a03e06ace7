"""Workbooks of tables written straight as SpreadsheetML: ``results.xlsx``,
``comparison.xlsx`` and the case workbooks of ``chainopt convert``.

openpyxl's write-only workbook makes each cell an XML element in Python, about 7 µs a
cell: a 100,000-variable run's ``results.xlsx`` (4.0 million cells) took 26 s, ten times
its run. Here a sheet's cells are made a column at a time, each cell's XML from its
value by one string format, and streamed into the zip a chunk of rows at a time, so
memory does not grow with the table: under 1 µs a cell, the compression included.

A workbook is the smallest package of the Office Open XML standard a spreadsheet
program opens: ``[Content_Types].xml``, the package's and the workbook's relationships,
``xl/workbook.xml``, ``xl/styles.xml`` and one worksheet per sheet; text inline in its
cell (no shared strings table), no document properties, every zip entry dated
1980-01-01 (:data:`chainopt.ooxml.FIXED_DATE`), so the same tables are the same bytes.
openpyxl and LibreOffice 7.4 read every cell of the shipped cases' workbooks as they
read openpyxl's (LibreOffice's CSV export of each sheet the same bytes).

Each sheet has its header in bold in row 1, frozen above the rows. A cell is, by value:
a number (``repr``: the shortest text that reads back as the same float); ``true`` or
``false`` (bool); text, with Excel's quote prefix where it would run as a formula
(:data:`chainopt.xlsx_text.FORMULA_START`) and its control characters written out
(:func:`chainopt.controls.plain`: a workbook cannot hold them); an infinite number the
text ``inf`` or ``-inf`` (a number cell cannot hold it); and no cell at all for a
missing value (NaN, None, NA) or empty text, so that ``ISBLANK`` counts it.
"""

from __future__ import annotations

import contextlib
import html
import math
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from chainopt.controls import plain
from chainopt.ooxml import FIXED_DATE
from chainopt.xlsx_text import EXCEL_COLUMNS, EXCEL_ROWS, FORMULA_START, ILLEGAL

#: rows made into XML at a time: a chunk's cells (at 15 columns, 150,000 strings) and its
#: text (about 10 MB) are what writing a sheet holds
CHUNK_ROWS = 10_000
#: the styles (``s``) of :data:`_STYLES`' cell formats: bold (the header), quote prefix,
#: both (a header that reads as a formula)
BOLD, QUOTED = 1, 2

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" '
    'applyFont="1"/><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" '
    'quotePrefix="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" '
    'applyFont="1" quotePrefix="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" '
    'xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def write_workbook(path: str | Path, sheets: list[tuple[str, pd.DataFrame]],
                   prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
                   widths: dict[str, list[float]] | None = None) -> Path:
    """Write ``sheets`` (title, table), in order, as the workbook ``path``: each table's
    columns as its header, then its rows. ``prepare`` is given each chunk of
    :data:`CHUNK_ROWS` rows before it is written (the result tables' rounding,
    :func:`chainopt.results.stable_floats`). ``widths``: the widths of a sheet's first
    columns (in characters, as Excel states them), by its title; the others keep the
    program's default. A title is made unique as Excel asks (its case aside), and one
    Excel reserves (``History``) its own, by a number after it; at most
    :data:`~chainopt.xlsx_text.EXCEL_ROWS` rows a sheet, its header's included (a longer
    table is the caller's to split), and :data:`~chainopt.xlsx_text.EXCEL_COLUMNS`
    columns (ValueError); a title holds none of the characters Excel forbids in one (the
    caller's to replace: :func:`chainopt.report.excel.sheet_title`)."""
    titles = _unique([t for t, _ in sheets])
    for (_, df), t in zip(sheets, titles, strict=True):
        if len(df) >= EXCEL_ROWS:
            raise ValueError(f"sheet {t}: {len(df):,} rows and a header are more than "
                             f"the {EXCEL_ROWS:,} rows of an Excel sheet")
        if len(df.columns) > EXCEL_COLUMNS:
            raise ValueError(f"sheet {t}: {len(df.columns):,} columns, more than the "
                             f"{EXCEL_COLUMNS:,} of an Excel sheet")
    n = len(sheets)
    parts = [("[Content_Types].xml", _content_types(n)), ("_rels/.rels", _PACKAGE_RELS),
             ("xl/workbook.xml", _workbook(titles)),
             ("xl/_rels/workbook.xml.rels", _workbook_rels(n)), ("xl/styles.xml", _STYLES)]
    with zipfile.ZipFile(path, "w") as z, ThreadPoolExecutor(max_workers=1) as pool, \
            _quick_switches():
        for name, text in parts:
            z.writestr(_entry(name), text)
        for i, (given, df) in enumerate(sheets, start=1):
            with z.open(_entry(f"xl/worksheets/sheet{i}.xml"), "w", force_zip64=True) as f:
                _stream(pool, f, _sheet(df, prepare, (widths or {}).get(given, [])))
    return Path(path)


#: the interpreter's switch interval while a workbook is written (:func:`_quick_switches`)
SWITCH_S = 0.001
_switching = threading.Lock()
_writing = 0  # workbooks being written in this process
_switch_before = 0.005


@contextlib.contextmanager
def _quick_switches():
    """The interpreter's switch interval at most :data:`SWITCH_S` while workbooks are
    written, then as it was. zlib lets go of the interpreter lock while it deflates a
    block of a chunk, and asks for it again after each: at Python's 5 ms the thread that
    makes the next chunk kept it so long that the compression took 2.7 s instead of
    1.5 (the 100k run's ``results.xlsx``); at 1 ms, 1.7 s beside it."""
    global _writing, _switch_before
    with _switching:
        if _writing == 0:
            _switch_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_before, SWITCH_S))
        _writing += 1
    try:
        yield
    finally:
        with _switching:
            _writing -= 1
            if _writing == 0:
                sys.setswitchinterval(_switch_before)


def _stream(pool: ThreadPoolExecutor, f, chunks: Iterator[str]) -> None:
    """Write ``chunks`` to the zip entry ``f`` in order, each one's compression on
    ``pool``'s thread while this one makes the next: zlib lets go of the interpreter
    lock while it deflates (and checksums), so the two share two cores, one chunk in
    flight at a time (the 100k run's ``results.xlsx`` 3.4 -> 2.3 s, the same bytes:
    :func:`_quick_switches`). Every write has ended when this returns or raises."""
    pending = None
    try:
        for chunk in chunks:
            data = chunk.encode("utf-8")
            if pending is not None:
                pending.result()
            pending = pool.submit(f.write, data)
    finally:
        if pending is not None:
            pending.result()


def _entry(name: str) -> zipfile.ZipInfo:
    """The zip entry ``name``: dated :data:`FIXED_DATE`, deflated (zlib's usual level:
    level 1 wrote the 100k run's workbook 0.9 s sooner, 23 % larger)."""
    info = zipfile.ZipInfo(name, FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


#: a title Excel keeps for itself (its change history's sheet): a sheet of that name is
#: one Excel calls damaged and repairs on opening (a comparison folder's ``history.csv``)
RESERVED_TITLES = frozenset({"history"})


def _unique(titles: list[str]) -> list[str]:
    """``titles`` with each one taken already (Excel compares them without case) or
    reserved (:data:`RESERVED_TITLES`) given the first number after it that is free, cut
    to Excel's 31 characters."""
    seen: set[str] = set(RESERVED_TITLES)
    out = []
    for t in titles:
        title, k = t, 1
        while title.lower() in seen:
            suffix = str(k)
            title, k = t[:31 - len(suffix)] + suffix, k + 1
        seen.add(title.lower())
        out.append(title)
    return out


def _sheet(df: pd.DataFrame, prepare: Callable[[pd.DataFrame], pd.DataFrame] | None,
           widths: list[float]) -> Iterator[str]:
    """The worksheet XML of ``df``, in pieces of :data:`CHUNK_ROWS` rows; its first
    columns ``widths`` characters wide."""
    sized = "".join(f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>'
                    for j, w in enumerate(widths, start=1))
    letters = [_column_letters(j) for j in range(len(df.columns))]
    # the cells' range, as Excel writes it: a reader (openpyxl's read-only sheets) sizes
    # the sheet from it, and without it reads the whole sheet once more to find out
    ref = f"A1:{letters[-1]}{len(df) + 1}" if letters else "A1"
    yield (f'{_HEAD}<worksheet xmlns="{_NS}" xmlns:r="{_REL}"><dimension ref="{ref}"/>'
           '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
           'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
           + (f"<cols>{sized}</cols>" if sized else "") + "<sheetData>")
    yield ('<row r="1">' + "".join(_text_cell(f"{x}1", str(c), BOLD)
                                   for x, c in zip(letters, df.columns, strict=True))
           + "</row>")
    for start in range(0, len(df), CHUNK_ROWS):
        chunk = df.iloc[start:start + CHUNK_ROWS]
        if prepare is not None:
            chunk = prepare(chunk)
        first = start + 2  # (row 1 is the header)
        cols = [_cells(chunk.iloc[:, j], x, first) for j, x in enumerate(letters)]
        rows = range(first, first + len(chunk))
        yield "".join([f'<row r="{r}">{"".join(c)}</row>'
                       for r, c in zip(rows, zip(*cols, strict=True), strict=True)])
    yield "</sheetData></worksheet>"


def _column_letters(j: int) -> str:
    """Column ``j`` (0 is the first) as Excel names it: A, ..., Z, AA, AB, ..."""
    name = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        name = chr(65 + r) + name
    return name


def _cells(col: pd.Series, letter: str, first: int) -> list[str]:
    """The cell XML of each value of ``col`` (rows ``first``, ``first + 1``, ... in
    column ``letter``), '' where there is no cell."""
    rows = range(first, first + len(col))
    if pd.api.types.is_bool_dtype(col.dtype) and not col.hasnans:
        return [f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>'
                for r, v in zip(rows, col.tolist(), strict=True)]
    if pd.api.types.is_float_dtype(col.dtype) or (
            pd.api.types.is_integer_dtype(col.dtype) and not col.hasnans):
        x = (col.to_numpy(dtype=float, na_value=np.nan)  # (a nullable float's NA: NaN)
             if pd.api.types.is_float_dtype(col.dtype) else col.to_numpy())
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            return [_cell(f"{letter}{r}", v) for r, v in zip(rows, x.tolist(), strict=True)]
        return [f'<c r="{letter}{r}" t="n"><v>{v!r}</v></c>'
                for r, v in zip(rows, x.tolist(), strict=True)]
    return [_cell(f"{letter}{r}", v) for r, v in zip(rows, col.tolist(), strict=True)]


def _cell(ref: str, v: object) -> str:
    """The XML of one cell holding ``v`` (see the module docstring), '' for none."""
    if type(v) is str:  # (most cells of a text column: looked at first)
        return _text_cell(ref, v) if v else ""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, bool | np.bool_):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int | float | np.integer | np.floating):
        v = v.item() if isinstance(v, np.generic) else v
        if isinstance(v, float) and not math.isfinite(v):
            return "" if math.isnan(v) else _text_cell(ref, "inf" if v > 0 else "-inf")
        return f'<c r="{ref}" t="n"><v>{v!r}</v></c>'
    text = v if isinstance(v, str) else str(v)
    return _text_cell(ref, text) if text else ""


def _text_cell(ref: str, text: str, style: int = 0) -> str:
    """An inline text cell: formula-like text quoted (:data:`QUOTED`), control
    characters written out, ``&``, ``<`` and ``>`` escaped; its spaces kept
    (``xml:space`` on every text: looking for spaces at each one's ends would cost about
    0.13 s of a 100k run's workbook, 2.4 million texts; the attribute is 3 % of the file)."""
    if ILLEGAL.search(text):
        text = plain(text)
    if text.startswith(FORMULA_START):  # (a spreadsheet would run it as a formula)
        style |= QUOTED  # (BOLD | QUOTED: the fourth format)
    if "&" in text or "<" in text or ">" in text:  # (most text holds none: not looked at)
        text = html.escape(text, quote=False)
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _content_types(n: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                     f'ContentType="{_CT}.worksheet+xml"/>' for i in range(1, n + 1))
    return (f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{_CT}.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
            f'ContentType="{_CT}.styles+xml"/>{sheets}</Types>')


_PACKAGE_RELS = (f'{_HEAD}<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
                 f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')


def _workbook(titles: list[str]) -> str:
    sheets = "".join(f'<sheet name="{html.escape(t)}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, t in enumerate(titles, start=1))
    return (f'{_HEAD}<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>{sheets}</sheets>'
            '</workbook>')


def _workbook_rels(n: int) -> str:
    sheets = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                     f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
    return (f'{_HEAD}<Relationships xmlns="{_PKG}">{sheets}<Relationship '
            f'Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
