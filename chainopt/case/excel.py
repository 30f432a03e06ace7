"""A case as one ``.xlsx`` workbook, and back: same tables, same inputs, same input hash.

Layout: a ``case`` sheet first holding ``case.yaml`` as key/value rows (column
``key``; column ``value_yaml`` holds the value as one line of YAML, so lists and
mappings such as ``periods`` survive exactly), then one sheet per table named like
the CSV file stem (``sites``, ``markets_by_period``, ...), header in row 1. Cells
that are numbers in the CSV are written as Excel numbers (so they can be edited and
summed), everything else as text. Sheets whose name starts with ``_`` are notes and
ignored. Reading gives every cell as a stripped string, as a CSV does; what a CSV
cannot say is refused at its cell: merged cells (all but the first read blank, and a
blank capacity means no limit) and a date or time in a number column (a number in a
cell formatted as a date).

No Pyomo here (case side).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zlib
from pathlib import Path
from zipfile import BadZipFile, ZipFile

import pandas as pd
import yaml

from chainopt import xlsx_text, xlsx_write
from chainopt.atomic import write_file
from chainopt.atomic import write_folder as atomic_write_folder
from chainopt.case.schema import BY_PERIOD, MAX_COLUMNS, TABLES, RawCase
from chainopt.case.validate import closest, quoted
from chainopt.controls import named
from chainopt.errors import InputError, OutputError, Problem
from chainopt.safe_yaml import parse_yaml
from chainopt.textfile import check_regular

CASE_SHEET = "case"
# bytes a case workbook may unpack to (zip bombs): a 300,000-variable case unpacks to
# 14 MB, and reading costs about 0.5 s and 3 MB of memory per unpacked MB
MAX_UNPACKED = 200_000_000
FORMULA_WITHOUT_VALUE = ("formula without a saved value: open and save the workbook in Excel, "
                         "or enter the number")
_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$")
# a merged range in a sheet's XML (after its cells: ``<mergeCell ref="F2:F3"/>``)
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?\bref="'
                        rb'([A-Za-z]{1,3}\d+(?::[A-Za-z]{1,3}\d+)?)"')
# a row or a cell in a sheet's XML (``<row r="2">``, ``<c r="B2" t="s">``, ``<c/>``)
_ROW_OR_CELL = re.compile(rb"<(?:\w{1,30}:)?(row|c)[\s/>]")
# a cell of any sheet, or an entry of the shared-strings table (``<si>``), in any part
_CELL_OR_STRING = re.compile(rb"<(?:\w{1,30}:)?(c|si)[\s/>]")
# A workbook is bounded by the cells it holds, not only its bytes: 200 MB of empty cells
# ``<c/>`` before a stray value are 50 million cells (about 6.5 GB and 100 s to read). A
# row of more cells than a table may have columns (MAX_COLUMNS), or a value right of that
# column, is refused before the rest is read.
#: the cells read from one sheet, counting the empty ones left of each row's last cell
#: (one empty cell far right, ``XFD7``, makes its row 16,384 cells: 2 million cost 0.6 s):
#: five times the largest table of a generated 1,000,000-variable case (markets, 387,075)
MAX_CELLS = 2_000_000
#: the cells of all sheets together, the ``_`` sheets of notes too (each is parsed):
#: four times those of a generated 1,000,000-variable case (about 1 million); the
#: shared-strings table may hold no more entries than the sheets have cells (each cell
#: holds one string at most: one of 1 million unused entries took 38 s to read)
MAX_WORKBOOK_CELLS = 2 * MAX_CELLS
OPEN_AND_SAVE = ("open and save the workbook in Excel, or convert the case folder to a "
                 "workbook again")
NOTES_HINT = "a sheet of notes: start its name with _ (such sheets are not read)"
#: what to do with a workbook whose zip or XML is damaged
RESAVE = ("open it in Excel and save it again (File, Save As, Excel Workbook), or export "
          "it again from the program that wrote it")
#: what a damaged zip or XML raises while it is read: zipfile's and zlib's errors (a bad
#: CRC, corrupt deflate data, a method or an encryption zipfile cannot read), ElementTree's
#: and lxml's ParseError (SyntaxError), and openpyxl's errors for XML that is well formed
#: but not a workbook's
DAMAGED: tuple[type[BaseException], ...] = (
    BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
    SyntaxError, KeyError, ValueError, TypeError, AttributeError, IndexError,
    OverflowError)
#: the longest piece of markup (a tag, a comment, a processing instruction, a CDATA
#: section or text between two tags) in a workbook's XML. Expat as linked here re-reads
#: an unfinished piece at every 16 KB openpyxl feeds it, so one 190 MB comment took
#: about 40 minutes; a piece of at most 1 MB costs at most about 32 MB of re-reading,
#: and an Excel cell's text (32,767 characters) needs at most a few hundred KB
MAX_MARKUP = 1 << 20
#: the most comments, processing instructions and CDATA sections in one part (Excel
#: writes none but the XML declaration)
MAX_SPECIAL = 1_000
_SPECIAL = re.compile(rb"<(?:!--|\?|!\[CDATA\[|!)")
#: a number cell's value as Excel writes it (ASCII digits; no ``_``, no INF or NaN)
_XML_NUMBER = re.compile(r"^[ \t\r\n]*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?"
                         r"[ \t\r\n]*$")
_BLANKS = b"\xef\xbb\xbf \t\r\n"
_SPECIAL_END = {b"<!--": b"-->", b"<?": b"?>", b"<![CDATA[": b"]]>"}
#: other spreadsheet files than .xlsx, by suffix: what they are
OTHER_SPREADSHEETS = {".xlsm": "a macro-enabled workbook (.xlsm)",
                      ".xltm": "a macro-enabled template (.xltm)",
                      ".xltx": "a workbook template (.xltx)",
                      ".xlsb": "a binary workbook (.xlsb)",
                      ".xls": "an Excel 97-2003 workbook (.xls)",
                      ".ods": "an OpenDocument spreadsheet (.ods)"}


def is_workbook(source: object) -> bool:
    """True for a path ending in ``.xlsx``."""
    return isinstance(source, str | Path) and str(source).lower().endswith(".xlsx")


def check_not_other_spreadsheet(source: object) -> None:
    """An InputError for an existing file that is a spreadsheet but not an ``.xlsx``
    workbook (``.xlsm``, ``.xls``, ...): it was "no case folder or embedded case of this
    name", though the file is there."""
    if not isinstance(source, str | Path) or not Path(source).is_file():
        return
    kind = OTHER_SPREADSHEETS.get(Path(source).suffix.lower())
    if kind:
        raise InputError([Problem(str(source), f"{kind} is not read as a case: only .xlsx "
                                  "workbooks are (macros are never run)",
                                  "open it in Excel and save it as an .xlsx file (File, "
                                  "Save As, Excel Workbook), then give that file")])


def _yaml_line(value: object) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False,
                          width=math.inf)
    return text.removesuffix("\n").removesuffix("\n...").strip()


#: the most characters an Excel cell holds (longer text would be cut silently)
MAX_CELL = 32_767


def _number_columns(name: str, columns: list[str]) -> list[bool]:
    """Which columns of table ``name`` (or its by-period table) hold numbers: only those
    become Excel numbers; text such as a ``source`` of ``2.10`` or ``1e5`` stays text."""
    spec = TABLES.get(name.removesuffix(BY_PERIOD))
    kinds = {c: col.kind for c, col in spec.column_map.items()} if spec else {}
    return [kinds.get(str(c)) in ("float", "int") for c in columns]


#: a number as validation reads it from a CSV cell (pandas' to_numeric: a sign, ``+8``,
#: ``.95``, ``8.``, ``1e3``; ASCII digits only, unlike Python's float(), which reads
#: ``1_0`` and full-width digits); infinite and NaN are refused there, and stay text here
_CSV_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$", re.ASCII)


def _cell_out(s: str) -> object:
    """A number column's CSV cell as an Excel value: the number validation reads from it
    (``+8`` is 8, ``.95`` is 0.95, ``1e3`` is 1000: written as text, an Excel SUM skipped
    them), else the text (refused when the case is validated)."""
    if _CSV_NUMBER.fullmatch(s):
        v = float(s)
        if math.isfinite(v):
            if re.fullmatch(r"[-+]?\d+", s, re.ASCII) and abs(int(s)) < 2**53:
                return int(s)
            return v
    return s


def _cell_in(v: object) -> str:
    """An Excel cell as the string a CSV reader would give."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v).strip()


def write_workbook(raw: RawCase, path: str | Path) -> Path:
    """Write a raw case (``case.yaml`` mapping + string tables) as one workbook, atomically
    (:func:`chainopt.xlsx_write.write_workbook`): the sheet ``case`` (each key of
    ``case.yaml`` and its value as a line of YAML), then a sheet per table, by name. A
    number column's cell is the number validation reads from it (:func:`_cell_out`),
    every other cell text as the CSV holds it, and a blank no cell at all (Excel's own
    blank). Text that a spreadsheet would run as a formula is written as text
    (:mod:`chainopt.xlsx_text`)."""
    path = Path(path)
    sheets = [(CASE_SHEET, pd.DataFrame({"key": [str(k) for k in raw.meta],
                                         "value_yaml": [_yaml_line(v)
                                                        for v in raw.meta.values()]},
                                        dtype=object))]
    for name in sorted(raw.tables):
        df = raw.tables[name]
        _check_lengths(name, df)
        numeric = _number_columns(name, list(df.columns))
        cells = pd.DataFrame({j: [None if v is None or str(v) == "" else
                                  _cell_out(str(v)) if num else str(v)
                                  for v in df.iloc[:, j].tolist()]
                              for j, num in enumerate(numeric)}, dtype=object)
        cells.columns = [str(c) for c in df.columns]
        sheets.append((name, cells))
    return write_file(path, lambda tmp: xlsx_write.write_workbook(
        tmp, sheets, widths={CASE_SHEET: [32, 100]}))


def _check_lengths(name: str, df: pd.DataFrame) -> None:
    """An InputError for a table longer than an Excel sheet, or naming the first cell
    longer than an Excel cell holds."""
    if len(df) >= xlsx_text.EXCEL_ROWS:
        raise InputError([Problem(f"{name}.csv", f"{len(df):,} rows, more than the "
                                  f"{xlsx_text.EXCEL_ROWS - 1:,} an Excel sheet holds below "
                                  "its header", "keep this case as CSV files")])
    for c in df.columns:
        # (named as the CSV's cell: the workbook's does not exist yet)
        bad = df[c].astype(str).str.contains(xlsx_text.ILLEGAL.pattern, regex=True)
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 2  # the CSV's row number (1: the header)
            text = str(df[c].iloc[row - 2])
            at = xlsx_text.ILLEGAL.search(text)
            assert at is not None  # (the row found holds one)
            raise InputError([Problem(f"{name}.csv row {row}, column {c}",
                                      f"found {quoted(text)}: it holds {named(at.group())} at "
                                      f"character {at.start() + 1:,}, a control character "
                                      "that a workbook cannot store",
                                      "remove it from the CSV file")])
        long = df[c].astype(str).str.len() > MAX_CELL
        if long.any():
            row = int(long.to_numpy().argmax()) + 2  # the CSV's row number (1: the header)
            raise InputError([Problem(f"{name}.csv row {row}, column {c}",
                                      f"{len(str(df[c].iloc[row - 2])):,} characters, more "
                                      f"than the {MAX_CELL:,} an Excel cell holds",
                                      "shorten it, or keep this case as CSV files")])


def _damaged(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name if it has none)."""
    return str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__


def _part_sheets(path: Path) -> dict[str, str]:
    """The sheet name of each worksheet part (``xl/worksheets/sheet4.xml``: ``units``),
    as far as the workbook's own XML can be read; {} if it cannot."""
    # lazy: openpyxl is needed only for workbooks and costs start-up time otherwise
    from openpyxl.reader.excel import ExcelReader, _find_workbook_part
    from openpyxl.reader.workbook import WorkbookParser

    try:
        reader = ExcelReader(str(path), read_only=True)
        try:
            reader.read_manifest()
            parser = WorkbookParser(reader.archive,
                                    _find_workbook_part(reader.package).PartName[1:])
            parser.parse()
            return {rel.target: sheet.name for sheet in parser.sheets
                    if sheet.id and (rel := parser.rels.get(sheet.id)) is not None}
        finally:
            reader.archive.close()
    except DAMAGED:
        return {}


def _markup_problem(src, counts: dict[bytes, int] | None = None) -> str | None:
    """Why the XML read from ``src`` (a binary file) would cost a parser more than
    linear time, or None: a DOCTYPE (entities), a piece of markup longer than
    :data:`MAX_MARKUP` (one 190 MB comment took about 40 minutes), or more than
    :data:`MAX_SPECIAL` comments, processing instructions and CDATA sections. The part
    is read in 1 MB pieces, each cut before its last ``<`` (the rest begins the next
    piece), so no ``<!--``, ``-->`` or other marker is ever cut in two. ``counts``
    (``c``: cells, ``si``: shared strings) is added to as the pieces are read."""
    since = 0  # bytes since the last '<' of a tag or text
    inside = b""  # the end marker of the comment, instruction or section we are in
    length = 0  # that one's bytes so far
    specials = 0
    rest = b""
    while True:
        chunk = src.read(1 << 20)
        text = rest + chunk
        cut = text.rfind(b"<") if chunk else len(text)
        if cut <= 0:
            cut = len(text) if not chunk or len(text) > MAX_MARKUP else 0
        part, rest = text[:cut], text[cut:]
        if counts is not None:
            for hit in _CELL_OR_STRING.finditer(part):
                counts[hit.group(1)] = counts.get(hit.group(1), 0) + 1
        i = 0
        while i < len(part):
            if inside:
                j = part.find(inside, i)
                end = len(part) if j < 0 else j + len(inside)
                length += end - i
                if length > MAX_MARKUP:
                    return (f"holds a comment, processing instruction or CDATA section "
                            f"longer than {MAX_MARKUP:,} bytes")
                i = end
                if j >= 0:
                    inside, since = b"", 0
                continue
            m = _SPECIAL.search(part, i)
            plain = part[i:m.start() if m else len(part)].split(b"<")
            since += len(plain[0])
            widest = max([since, *map(len, plain[1:-1])])
            since = len(plain[-1]) if len(plain) > 1 else since
            if max(widest, since) > MAX_MARKUP:
                return f"holds a tag or a text longer than {MAX_MARKUP:,} bytes"
            if not m:
                break
            if m.group() not in _SPECIAL_END:
                return "declares a DOCTYPE (entities), which no workbook needs"
            specials += 1
            if specials > MAX_SPECIAL:
                return (f"holds more than {MAX_SPECIAL:,} comments, processing "
                        "instructions or CDATA sections")
            inside, length, i = _SPECIAL_END[m.group()], m.end() - m.start(), m.end()
        if not chunk:
            return None


class _Prefixed:
    """A binary file read from its start again: ``head`` (read already), then the rest."""

    def __init__(self, head: bytes, src) -> None:
        self.head, self.src = head, src

    def read(self, n: int) -> bytes:
        out, self.head = self.head, b""
        return out + self.src.read(n)


def _part_problem(src, counts: dict[bytes, int] | None = None) -> str | None:
    """:func:`_markup_problem` for a part that is XML (after a byte-order mark and
    blanks, a ``<``), also in UTF-16 (refused: Excel writes UTF-8); None for another part
    (a picture, a macro project), which is only read through."""
    head = b""
    while len(head) <= MAX_MARKUP:
        more = src.read(1 << 16)
        head += more
        if not more or head.lstrip(_BLANKS):
            break
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<"):
        return "is XML in UTF-16 (Excel writes UTF-8)"
    if head.lstrip(_BLANKS).startswith(b"<"):
        return _markup_problem(_Prefixed(head, src), counts)
    if not head.lstrip(_BLANKS) and len(head) > MAX_MARKUP:
        return f"begins with more than {MAX_MARKUP:,} blank bytes"
    while src.read(1 << 20):
        pass
    return None


def _check_parts(z: ZipFile, path: Path) -> None:
    """Read every part of the zip through (a bad CRC, corrupt deflate data or a method
    zipfile cannot read is found here, not halfway through a sheet) and check the XML
    parts' markup (:func:`_part_problem`); an InputError naming the part and, where it
    is one, its sheet. Counted on the way, before openpyxl reads any of it: more than
    :data:`MAX_WORKBOOK_CELLS` cells in all sheets, or more shared strings than cells
    (and more than the few a workbook of no cells may carry), is an InputError too."""
    counts: dict[bytes, int] = {}
    for info in z.infolist():
        if info.is_dir():
            continue
        try:
            with z.open(info) as src:
                why = _part_problem(src, counts)
                if why:
                    why = f"its XML is damaged: it {why}"
        except DAMAGED as exc:
            why = f"the workbook is damaged: it cannot be unpacked ({_damaged(exc)})"
        if why:
            sheet = _part_sheets(path).get(info.filename)
            raise InputError([Problem(
                f"{path}, sheet {sheet} (part {info.filename})" if sheet else
                f"{path}, part {info.filename}", why, RESAVE)])
        if counts.get(b"c", 0) > MAX_WORKBOOK_CELLS:
            raise InputError([Problem(str(path), f"holds more than {MAX_WORKBOOK_CELLS:,} "
                                      "cells in all its sheets (sheets of notes, whose "
                                      "names start with _, included)", "delete the rows "
                                      "and sheets outside the tables, or keep this case as "
                                      "CSV files")])
    cells, strings = counts.get(b"c", 0), counts.get(b"si", 0)
    if strings > max(cells, 1_000):
        raise InputError([Problem(str(path), f"its shared-strings table holds {strings:,} "
                                  f"entries, more than the {cells:,} cells of its sheets "
                                  "could use: its XML is damaged or was made to exhaust "
                                  "the reader", RESAVE)])


def _open(path: Path, data_only: bool, check: bool = True):
    """The workbook in read-only mode; one that unpacks to more than MAX_UNPACKED bytes (a
    zip bomb), whose zip or XML is damaged (:func:`_check_parts`, unless ``check`` is
    False: done already) or that lists a sheet without its part is an InputError."""
    # lazy: openpyxl is needed only for workbooks and costs start-up time otherwise
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.utils.exceptions import InvalidFileException

    reader = None
    try:
        with ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
            if unpacked > MAX_UNPACKED:
                raise InputError([Problem(str(path), f"unpacks to {unpacked:,} bytes, more "
                                          f"than the {MAX_UNPACKED:,} allowed for a case "
                                          "workbook", "is this the right file?")])
            if check:
                _check_parts(z, path)
        reader = ExcelReader(str(path), read_only=True, data_only=data_only)
        reader.read()
    except (InvalidFileException, *DAMAGED) as exc:
        if reader is not None:
            reader.archive.close()
        raise InputError([Problem(str(path), f"cannot be read as an Excel workbook: "
                                  f"{_damaged(exc)}", "give an .xlsx written by chainopt "
                                  f"convert or saved by Excel; if it is one, {RESAVE}")]) \
            from None
    doubled = _doubled_shared_string(reader)
    if doubled:
        reader.archive.close()
        raise InputError([Problem(f"{path.name}, part {doubled[0]}", f"{doubled[1]}: its "
                                  "XML is damaged", RESAVE)])
    # openpyxl reads two sheets of one name from the first, without a word (Excel's sheet
    # names are unique, case aside: it "repairs" such a file; a script or a merge writes it)
    named: dict[str, list[str]] = {}
    for sheet in reader.parser.sheets:
        named.setdefault(sheet.name.casefold(), []).append(sheet.name)
    twice: list[Problem] = []
    for names in named.values():
        if len(names) > 1:
            also = "" if len(set(names)) == 1 else f" (as {', '.join(names)})"
            times = "twice" if len(names) == 2 else f"{len(names)} times"
            twice.append(Problem(f"{path.name}, part {reader.parser.workbook_part_name}",
                                 f"sheet {names[0]} is listed {times}{also}, and a "
                                 "workbook's sheet names are unique: the workbook is damaged "
                                 "(its sheets are read from one of them, the others dropped)",
                                 "keep one sheet of that name and rename or delete the "
                                 "others (a sheet of notes: start its name with _); "
                                 "Excel renames them when it opens and repairs the file"))
    if twice:
        reader.archive.close()
        raise InputError(twice)
    # openpyxl leaves out, without a word, a sheet whose part is not in the zip
    missing = [Problem(f"{path.name}, sheet {sheet.name}", "is listed in the workbook but "
                       f"its XML part{f' ({rel.target})' if rel is not None else ''} is "
                       "missing: the workbook is damaged", RESAVE)
               for sheet in reader.parser.sheets
               if (rel := reader.parser.rels.get(sheet.id) if sheet.id else None) is None
               or rel.target not in reader.valid_files]
    if missing:
        reader.archive.close()
        raise InputError(missing)
    return reader.wb


class _SheetError(ValueError):
    """A sheet's XML that openpyxl would read wrongly: where (``units!D2``) and what."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where, self.what = where, what


#: the spreadsheetML namespace of a sheet's and the shared strings' elements
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _doubled(cell) -> str | None:
    """What a sheet's cell element ``<c>`` holds twice, which openpyxl reads as one
    without a word, or None: two values ``<v>`` (it reads the first), two formulas, two
    inline strings ``<is>``, or an inline string or one of its runs ``<r>`` with two
    texts ``<t>`` (it reads the last). Excel writes at most one of each (the schema
    allows no more). A cell of one element (most: its value) holds nothing twice but an
    inline string's texts, looked at alone: the three searches below were about a fifth
    of the time reading a cell took (a 300k-variable case's workbook: 0.2-0.3 s of 3 s)."""
    if len(cell) <= 1:
        return (_doubled_text(cell[0], "an inline string")
                if len(cell) and cell[0].tag == _MAIN + "is" else None)
    for tag, what in (("v", "values <v>"), ("f", "formulas <f>"), ("is", "inline strings <is>")):
        if len(cell.findall(_MAIN + tag)) > 1:
            return f"a cell with two {what}"
    inline = cell.find(_MAIN + "is")
    return None if inline is None else _doubled_text(inline, "an inline string")


def _doubled_text(string, what: str) -> str | None:
    """Why a string element (``<is>`` in a cell, ``<si>`` in the shared strings) is read
    wrongly, or None: two texts ``<t>`` in it or in one of its runs ``<r>`` (openpyxl
    keeps the last)."""
    if len(string.findall(_MAIN + "t")) > 1 or any(
            len(run.findall(_MAIN + "t")) > 1 for run in string.findall(_MAIN + "r")):
        return f"{what} with two texts <t> in one piece"
    return None


def _doubled_shared_string(reader) -> tuple[str, str] | None:
    """The shared-strings part and what is wrong with its first string read wrongly
    (:func:`_doubled_text`; ``string 3``, counted from 0 as a cell's ``<v>`` gives it),
    or None."""
    from openpyxl.reader.excel import SHARED_STRINGS  # lazy: openpyxl only for workbooks
    from openpyxl.xml.functions import iterparse

    ct = reader.package.find(SHARED_STRINGS)
    if ct is None:
        return None
    with reader.archive.open(ct.PartName[1:]) as src:
        i = 0
        for _, node in iterparse(src):
            if node.tag == _MAIN + "si":
                why = _doubled_text(node, f"shared string {i} (counted from 0)")
                if why:
                    return ct.PartName[1:], why
                i += 1
                node.clear()
    return None


def _parsed_rows(ws, hidden: list[int] | None = None):
    """(row number, cells) of a read-only sheet, in the order of its XML, each row's
    cells placed by column (``ReadOnlyCell``, the empty ones left of its last filled in);
    the number of each hidden row is appended to ``hidden`` (before the row is yielded).

    openpyxl's read-only rows (``iter_rows``) leave out, without a word, a row whose
    number is not above the one before (rows out of order, a row number given twice),
    keep the last of two cells with the same reference, and place a row's cells up to
    the column of its last cell in the XML (a cell further right before it was lost); a
    number cell's value is read with Python's ``int``/``float``, which take ``1_0`` as
    10 and full-width digits as digits. Here each of these is a :class:`_SheetError`
    (the sheet's XML is damaged: Excel writes none of them). A formula's saved value of
    empty text (``=IF(A2="","",A2)``: ``<v></v>``) is read as empty text, a blank cell
    (openpyxl read it as no saved value)."""
    from openpyxl.utils import get_column_letter  # lazy: openpyxl only for workbooks
    from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser

    title = ws.title

    class Parser(WorkSheetParser):
        def parse_row(self, row):
            idx, cells = super().parse_row(row)
            if hidden is not None and row.get("hidden") in ("1", "true"):
                hidden.append(idx)
            return idx, cells

        def parse_cell(self, element):
            kind = element.get("t", "n")
            text = element.findtext(VALUE_TAG)
            doubled = _doubled(element)
            if doubled:
                raise _SheetError(f"{title}!{element.get('r') or '?'}", doubled)
            if kind == "n" and text and not _XML_NUMBER.match(text):
                raise _SheetError(f"{title}!{element.get('r') or '?'}", "a number cell "
                                  f"whose value is not a number (found {text!r})")
            cell = super().parse_cell(element)
            if (kind == "str" and text == "" and cell["value"] is None
                    and self.data_only):
                cell["value"] = ""
            return cell

    parent = ws.parent
    with ws._get_source() as src:
        parser = Parser(src, ws._shared_strings, data_only=parent.data_only,
                        epoch=parent.epoch, date_formats=parent._date_formats,
                        timedelta_formats=parent._timedelta_formats)
        last = 0
        for idx, cells in parser.parse():
            if idx <= last:
                raise _SheetError(f"{title}!{idx}:{idx}", f"row {idx} comes after row "
                                  f"{last} in the sheet's XML (a row number out of order "
                                  "or given twice)" if idx > 0 else f"a row numbered "
                                  f"{idx} (rows count from 1)")
            last = idx
            seen: set[int] = set()
            for c in cells:
                if c["row"] != idx or c["column"] in seen:
                    ref = f"{get_column_letter(c['column'])}{c['row']}"
                    raise _SheetError(f"{title}!{ref}", f"cell {ref} is given twice"
                                      if c["column"] in seen else
                                      f"cell {ref} is written in row {idx}")
                seen.add(c["column"])
            yield idx, ws._get_row(cells, max_col=max(seen)) if cells else ()


def _rows(ws, where: str, hidden: list[int] | None = None) -> list[tuple[int, list]]:
    """The non-empty rows of a read-only sheet as (row number, cells), trailing empty cells
    dropped (:func:`_parsed_rows`); the number of each hidden one is appended to
    ``hidden``. The sheet's recorded used range is ignored, so a sheet
    claiming A1:XFD1048576 costs only the cells it really holds. Reading stops with an
    InputError at the first value right of column :data:`MAX_COLUMNS`, a row beyond an
    Excel sheet's last, or more than :data:`MAX_CELLS` cells (a "cell bomb")."""
    from openpyxl.utils import get_column_letter  # lazy: openpyxl only for workbooks

    out = []
    read = 0
    flagged: list[int] = []
    for r, row in _parsed_rows(ws, flagged):
        if r > xlsx_text.EXCEL_ROWS:
            raise InputError([Problem(where, f"has a row beyond row "
                                      f"{xlsx_text.EXCEL_ROWS:,}, the last of an Excel "
                                      "sheet: its XML is damaged", OPEN_AND_SAVE)])
        if not row:  # a row without cells
            continue
        read += len(row)
        if read > MAX_CELLS:
            raise InputError([Problem(where, f"holds more than {MAX_CELLS:,} "
                                      "cells (counting the empty ones left of each row's "
                                      "last)", "delete the rows and columns outside the "
                                      "table, or keep this case as CSV files")])
        cells = list(row)
        while cells and (cells[-1].value is None or
                         (isinstance(cells[-1].value, str) and not cells[-1].value.strip())):
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            j = next(j for j, c in enumerate(cells[MAX_COLUMNS:], start=MAX_COLUMNS + 1)
                     if _cell_in(c.value))
            raise InputError([Problem(f"{ws.title}!{get_column_letter(j)}{r}", "a value right "
                                      f"of column {get_column_letter(MAX_COLUMNS)}: a case "
                                      f"table has at most {MAX_COLUMNS:,} columns",
                                      "delete it")])
        if cells:
            out.append((r, cells))
            if hidden is not None and flagged and flagged[-1] == r:
                hidden.append(r)
    return out


def _scan(ws, where: str) -> list[str]:
    """The merged ranges of a read-only sheet (``F2:F3``), in the order the sheet lists
    them; an InputError for a row of more than :data:`MAX_COLUMNS` cells, found before
    openpyxl reads the sheet (it holds a whole row in memory: one row of 50 million empty
    cells ``<c/>`` took gigabytes). openpyxl's read-only sheets do not report merged
    ranges, so the sheet's XML is searched in 1 MB pieces, each cut before its last tag
    (the rest begins the next piece): a tag is never cut in two."""
    found: dict[str, None] = {}
    rest = b""
    run = 0  # the cells of the row the last piece ended in
    with ws._get_source() as src:  # the sheet's XML part, as openpyxl itself reads it
        while True:
            chunk = src.read(1 << 20)
            text = rest + chunk
            cut = text.rfind(b"<") if chunk else len(text)
            if cut <= 0:  # no tag starts after the first: nothing is cut
                cut = len(text)
            if b"mergeCell" in text:  # (a byte search: the pattern only where it may match)
                found.update(dict.fromkeys(m.decode().upper()
                                           for m in _MERGE_REF.findall(text, 0, cut)))
            # each row's cells counted in C: "rowccc" + "rowcc" split at "row"
            rows = b"".join(_ROW_OR_CELL.findall(text, 0, cut)).split(b"row")
            run += len(rows[0])
            widest = max([run, *map(len, rows[1:])])
            if widest > MAX_COLUMNS:
                raise InputError([Problem(where, f"has a row of more than "
                                          f"{MAX_COLUMNS:,} cells: a case table has at most "
                                          f"{MAX_COLUMNS:,} columns", "delete the cells "
                                          "right of the table")])
            run = len(rows[-1]) if len(rows) > 1 else run
            rest = text[cut:]
            if not chunk:
                break
    return list(found)


def _formula_values(path: Path, wanted: dict[str, set[tuple[int, int]]]) -> dict:
    """The values saved with the formula cells in ``wanted`` ({sheet: {(row, col)}})."""
    wb = _open(path, data_only=True, check=False)
    try:
        found = {}
        for sheet, cells in wanted.items():
            last = max(r for r, _ in cells)
            for r, row in _parsed_rows(wb[sheet]):
                if r > last:
                    break
                for c, cell in enumerate(row, start=1):
                    if (r, c) in cells:
                        found[(sheet, r, c)] = cell.value
        return found
    finally:
        wb.close()


#: how Excel shows a hidden sheet again, by its state
HOW_HIDDEN = {"hidden": "a hidden sheet: Excel shows it after right-clicking a sheet tab, "
                        "Unhide",
              "veryHidden": "a very hidden sheet: only Excel's VBA editor shows it"}
HIDDEN_SHEET = ("sheet {sheet} is hidden ({how}) and read like any other sheet: to "
                "leave it out of the case, delete it or start its name with _")
#: a reference to another workbook in a formula's text (string literals taken out): Excel
#: writes ``[1]Sheet1!A1`` or ``'[1]My sheet'!A1`` (the number of its external link),
#: other programs ``'[Book2.xlsx]Sheet1'!A1`` or a path before the brackets; a
#: structured reference ``Table1[[#This Row],[a]]`` has no ``!`` after its brackets
_EXTERNAL = re.compile(r"\[[^\[\]]+\][^\[\]!\"]*!")
_STRING = re.compile(r'"[^"]*"')


def refers_elsewhere(formula: object) -> bool:
    """True for a formula's text (``=[1]Sheet1!A1``) that refers to another workbook."""
    return isinstance(formula, str) and bool(_EXTERNAL.search(_STRING.sub("", formula)))


def hidden_rows_text(sheet: str, rows: list[int], shown: int = 5) -> str:
    """The warning that the hidden rows ``rows`` of ``sheet`` (holding values) are read."""
    n = len(rows)
    listed = ", ".join(map(str, rows[:shown])) + (f" and {n - shown} more" if n > shown
                                                  else "")
    return (f"sheet {sheet}: hidden row{'s' if n > 1 else ''} {listed} "
            f"{'are' if n > 1 else 'is'} read as part of the table, like any other row: "
            "to leave a row out of the case, delete it")


def external_text(cells: list[tuple[str, str, object]], shown: int = 5) -> str:
    """The warning naming formula cells (cell, formula, saved value) that refer to
    another workbook, whose values saved in this one are used."""
    n = len(cells)
    listed = "; ".join(f"{where} ({formula}, saved value "
                       f"{_cell_in(v) if _cell_in(v) else 'blank'})"
                       for where, formula, v in cells[:shown])
    more = f" and {n - shown} more" if n > shown else ""
    one = n == 1
    return (f"{n} formula cell{'' if one else 's'} refer{'s' if one else ''} to another "
            f"workbook (an external link): {listed}{more}; the value{'' if one else 's'} "
            f"saved in this workbook {'is' if one else 'are'} used, as the other workbook "
            f"is never opened: check that {'it is' if one else 'they are'} current (Excel: "
            f"Data, Edit Links, Update Values) or enter the value{'' if one else 's'}")


def _shown_date(v: object) -> object:
    """A date cell's value as shown: a datetime at midnight as its date."""
    return v.date() if isinstance(v, dt.datetime) and v.time() == dt.time() else v


def read_workbook(path: str | Path) -> RawCase:
    """Read a case workbook: the ``case`` sheet and one sheet per table, cells as strings.

    A formula cell gives the value Excel saved with it; a formula without a saved value
    is an error naming the sheet and cell. The RawCase records where each row and
    column came from (``locations``), so validation messages name cells (``units!D7``).
    """
    # lazy: openpyxl is needed only for workbooks and costs start-up time otherwise
    from openpyxl.utils import get_column_letter, range_boundaries

    path = Path(path)
    check_regular(path, str(path), "workbook")
    if path.is_dir() or not path.is_file():
        raise InputError([Problem(str(path), "no such workbook" if not path.is_dir() else
                                  "is a folder, not a workbook",
                                  "give an .xlsx written by chainopt convert")])
    wb = _open(path, data_only=False)
    problems: list[Problem] = []
    known = set(TABLES) | {t + BY_PERIOD for t in TABLES}
    sheets: dict[str, list[tuple[int, list]]] = {}
    warnings: list[str] = []
    hidden_rows: dict[str, list[int]] = {}  # the hidden rows holding values, by sheet
    try:
        if CASE_SHEET not in wb.sheetnames:
            problems.append(Problem(f"{path.name}", f"no '{CASE_SHEET}' sheet",
                                    "the first sheet holds case.yaml as key/value_yaml rows"))
        for name in wb.sheetnames:
            where = f"{path.name}, sheet {name}"
            if name.startswith("_"):
                continue
            state = getattr(wb[name], "sheet_state", "visible")
            if name != CASE_SHEET and name not in known:
                hidden = {"hidden": " (a hidden sheet: Excel shows it after right-clicking "
                          "a sheet tab, Unhide)", "veryHidden": " (a very hidden sheet: "
                          "only Excel's VBA editor shows it, as a sheet whose Visible "
                          "property is xlSheetVeryHidden)"}.get(state, "")
                problems.append(Problem(where, f"unknown table{hidden}", "; ".join(
                    h for h in (closest(name, sorted(known)), NOTES_HINT) if h)))
                continue
            if not hasattr(wb[name], "_get_source"):  # a chart sheet
                problems.append(Problem(where, "a chart sheet, not a table", NOTES_HINT))
                continue
            if state in ("hidden", "veryHidden"):  # read as any other (documented)
                warnings.append(HIDDEN_SHEET.format(sheet=name, how=HOW_HIDDEN[state]))
            try:
                merged = _scan(wb[name], where)  # first: it bounds the rows openpyxl reads
                hidden_rows[name] = []
                sheets[name] = _rows(wb[name], where, hidden_rows[name])
                if hidden_rows[name]:
                    warnings.append(hidden_rows_text(name, hidden_rows[name]))
                problems += [Problem(f"{name}!{ref}", "merged header cells: the first one "
                                     "holds the column's name, the others read as columns "
                                     "without one", "unmerge them: one name per column")
                             if range_boundaries(ref)[3] == 1 else
                             Problem(f"{name}!{ref}", "merged cells: the first one holds the "
                                     "value, the others read as blank (a blank capacity "
                                     "means no limit)", "unmerge them and enter each "
                                     "cell's value")
                             for ref in merged]
            except _SheetError as exc:
                problems.append(Problem(exc.where, f"{exc.what}: the sheet's XML is "
                                        "damaged", RESAVE))
            # the sheet's XML: ElementTree's and lxml's ParseError, and openpyxl's errors
            # for a cell reference, number or shared-string index that is not one
            except DAMAGED as exc:
                problems.append(Problem(where, "cannot be read, its XML is damaged: "
                                        f"{_damaged(exc)}", OPEN_AND_SAVE))
    finally:
        wb.close()
    formulas = {name: {(r, c.column) for r, cells in rows for c in cells if c.data_type == "f"}
                for name, rows in sheets.items()}
    formulas = {k: v for k, v in formulas.items() if v}
    cached = _formula_values(path, formulas) if formulas else {}
    for (sheet, r, c), v in sorted(cached.items()):
        if v is None:
            problems.append(Problem(f"{sheet}!{get_column_letter(c)}{r}", FORMULA_WITHOUT_VALUE))
    linked = [(f"{name}!{get_column_letter(c.column)}{r}", str(c.value),
               cached.get((name, r, c.column)))
              for name, rows in sheets.items() for r, cells in rows for c in cells
              if c.data_type == "f" and refers_elsewhere(c.value)]
    if linked:
        warnings.append(external_text(linked))

    def content(sheet: str, r: int, cell) -> object:
        return cached.get((sheet, r, cell.column)) if cell.data_type == "f" else cell.value

    def value(sheet: str, r: int, cell) -> str:
        return _cell_in(content(sheet, r, cell))

    meta: dict = {}
    tables: dict[str, pd.DataFrame] = {}
    locations: dict[str, dict] = {}
    for name, rows in sheets.items():
        if name == CASE_SHEET:
            meta_rows: dict[str, int] = {}
            head = [value(name, rows[0][0], c) for c in rows[0][1][:2]] if rows else []
            if rows and head != ["key", "value_yaml"]:  # else its first key was skipped
                problems.append(Problem(f"{CASE_SHEET}!A{rows[0][0]}", "the case sheet's "
                                        f"first row is its header, key and value_yaml "
                                        f"(found {', '.join(repr(h) for h in head)})",
                                        "insert the header row above the keys"))
            for r, cells in rows[1:]:
                key = value(name, r, cells[0]) if cells else ""
                text = value(name, r, cells[1]) if len(cells) > 1 else ""
                if not key:
                    continue
                if key in meta_rows:  # as a key given twice in case.yaml: never the last
                    problems.append(Problem(f"{CASE_SHEET}!A{r}", f"key '{key}' is given "
                                            f"twice (also in row {meta_rows[key]})",
                                            "keep one of them"))
                    continue
                meta_rows[key] = r
                raw_value = content(name, r, cells[1]) if len(cells) > 1 else None
                if isinstance(raw_value, dt.date | dt.time | dt.timedelta):
                    # (read as YAML, 1905-07-18T00:00:00 was a timestamp: "must be a whole
                    # number (found datetime.datetime(1905, 7, 18, 0, 0))")
                    problems.append(Problem(
                        f"{CASE_SHEET}!B{r} ({key})", f"a date or time "
                        f"({_cell_in(_shown_date(raw_value))}): the cell is formatted as a "
                        "date", "format the cell as a number or text (Excel: Home, Number "
                        "Format, General) and check its value"))
                    continue
                try:
                    meta[key] = parse_yaml(text, f"{CASE_SHEET}!B{r}") if text else None
                except InputError as exc:
                    problems += exc.problems
            locations[CASE_SHEET] = {"sheet": CASE_SHEET, "meta_rows": meta_rows}
            continue
        if not rows:
            continue
        header_row, head_cells = rows[0]
        header = [value(name, header_row, c) for c in head_cells]
        while header and not header[-1]:
            header.pop()
        body_rows = rows[1:]
        body = []
        stray = None
        numeric = _number_columns(name, header)
        for r, cells in body_rows:
            vals = []
            for c, num in zip(cells, numeric, strict=False):
                v = content(name, r, c)
                vals.append(_cell_in(v))
                if num and isinstance(v, dt.date | dt.time | dt.timedelta):
                    problems.append(Problem(
                        f"{name}!{get_column_letter(c.column)}{r}", f"a date or time "
                        f"({_cell_in(_shown_date(v))}), not a number: the cell is formatted "
                        "as a date",
                        "format the cell as a number (Excel: Home, Number Format, General) "
                        "and check its value"))
            body.append(vals + [""] * (len(header) - len(vals)))
            if stray is None and len(cells) > len(header):
                stray = next((f"{name}!{get_column_letter(c.column)}{r}"
                              for c in cells[len(header):] if value(name, r, c)), None)
        if stray:
            problems.append(Problem(stray, "a value in a column without a name in the header "
                                    "row", "name the column, or delete the value"))
        keep, seen = [], set()
        for j, h in enumerate(header):
            cell = f"{name}!{get_column_letter(j + 1)}{header_row}"
            if not h:
                if any(row[j] for row in body):
                    problems.append(Problem(cell, "a column without a name in the header row",
                                            "name the column, or delete it"))
                continue  # an empty spacer column
            if h in seen:
                problems.append(Problem(cell, f"column '{h}' appears twice in the header row",
                                        "keep one of them"))
            seen.add(h)
            keep.append(j)
        letters = {header[j]: get_column_letter(j + 1) for j in keep}
        header = [header[j] for j in keep]
        body = [[row[j] for j in keep] for row in body]
        tables[name] = pd.DataFrame(body, columns=header, dtype=str) if body else \
            pd.DataFrame(columns=header, dtype=str)
        locations[name] = {"sheet": name, "header_row": header_row,
                           "rows": [r for r, _ in body_rows],
                           "columns": letters, "hidden": set(hidden_rows.get(name, ()))}
    if problems:
        raise InputError(problems)
    return RawCase(meta=meta, tables=tables, origin=str(path), locations=locations,
                   read_warnings=tuple(warnings))


_WHERE = re.compile(r"^(?P<table>[a-z_]+)\.csv(?P<rest>.*)$", re.S)
_ROW_COL = re.compile(r"^ row (?P<row>\d+), column (?P<col>[A-Za-z0-9_]+)$")
_ROW = re.compile(r"^ row (?P<row>\d+)(?P<tail>,.*)?$", re.S)
_ROWS = re.compile(r"^ rows (?P<rows>[\d, ]+)$")
_COL = re.compile(r"^, column (?P<col>.+)$", re.S)  # (an unknown column: any header text)


def _sheet_row(loc: dict, n: str) -> int | str:
    """The sheet row of a table's CSV row ``n`` (validation counts CSV lines: the header is
    line 1; blank rows of the sheet are skipped), ``n`` itself if out of range."""
    i = int(n) - 2
    return loc["rows"][i] if 0 <= i < len(loc["rows"]) else n


def _hidden(loc: dict, r: int | str) -> str:
    """`` (a hidden row)`` for a sheet row the user does not see in Excel, else ''."""
    return " (a hidden row)" if r in loc.get("hidden", ()) else ""


def locate(where: str, locations: dict) -> str:
    """A validation location for a CSV table (``units.csv row 7, column capacity``) said
    for the workbook it came from (``units!D8``); other locations are returned as they are.
    """
    if where.startswith("case.yaml key ") and CASE_SHEET in locations:
        key = where.removeprefix("case.yaml key ")
        rows = locations[CASE_SHEET]["meta_rows"]
        top = key.split(".", 1)[0]
        return f"{CASE_SHEET}!B{rows[top]} ({key})" if top in rows else \
            f"sheet {CASE_SHEET}, key {key}"
    m = _WHERE.match(where)
    if not m:
        return where
    if m["table"] not in locations:  # a table the workbook has no sheet for
        return f"sheet {m['table']}{m['rest']}"
    loc = locations[m["table"]]
    sheet, rest = loc["sheet"], m["rest"]

    def row(n: str) -> int | str:
        return _sheet_row(loc, n)

    def hidden(r: int | str) -> str:
        return _hidden(loc, r)

    if mm := _ROW_COL.match(rest):
        letter = loc["columns"].get(mm["col"])
        r = row(mm["row"])
        return (f"{sheet}!{letter}{r}{hidden(r)}" if letter else
                f"{sheet}!{r}:{r}{hidden(r)} (column {mm['col']})")
    if mm := _ROW.match(rest):
        r = row(mm["row"])
        return f"{sheet}!{r}:{r}{hidden(r)}{mm['tail'] or ''}"
    if mm := _ROWS.match(rest):
        rows = ", ".join(str(row(x.strip())) for x in mm["rows"].split(","))
        return f"sheet {sheet}, rows {rows}"
    if mm := _COL.match(rest):
        letter = loc["columns"].get(mm["col"])
        return f"{sheet}!{letter}{loc['header_row']}" if letter else \
            f"sheet {sheet}, column {mm['col']}"
    return f"sheet {sheet}{rest}"


#: what validation tells to do in a case folder's words, said for a workbook (before
#: the rest of :func:`workbook_words`)
_FOLDER_WORDS = ((re.compile(r"add '([^']+)' to case\.yaml"),
                  r"add a row \1 to the case sheet (its key in column A, its value in B)"),
                 (re.compile(r"\b(create|fill in) ([a-z_]+)\.csv"),
                  lambda m: f"{'add a sheet' if m[1] == 'create' else 'fill in the sheet'} "
                            f"{m[2]}"),
                 (re.compile(r"\badd ([a-z_]+)\.csv, ([a-z_]+)\.csv and ([a-z_]+)\.csv"),
                  r"add the sheets \1, \2 and \3"))
#: rows of a table named in a message's text: ``units.csv row 7``, ``markets.csv rows 3,
#: 5``, ``levies.csv rows 2 (duty) and 3 (vat)`` (a row's key in brackets after it), and
#: ``units.csv row 4, column capacity``
_ROWS_IN_TEXT = re.compile(
    r"\b(?P<table>[a-z_]+)\.csv (?P<word>rows?) (?P<rows>\d+(?: \([^()]*\))?"
    r"(?:(?:, | and )\d+(?: \([^()]*\))?)*)(?P<col>, column [a-z][a-z0-9_]*)?")
_ROW_ITEM = re.compile(r"(?P<n>\d+)(?P<key> \([^()]*\))?")
#: a table's file named in a message's text (``in commodities.csv``, ``markets.csv rows
#: that sell nothing``), and ``case.yaml``
_TABLE_ROWS = re.compile(r"\b([a-z_]+)\.csv rows\b")
_TABLE_FILE = re.compile(r"\b([a-z_]+)\.csv\b")
_CASE_FILE = re.compile(r"\bcase\.yaml\b")


def _rows_said(m: re.Match, locations: dict) -> str:
    """The rows of one :data:`_ROWS_IN_TEXT` match said for the workbook: one row as
    ``units!8:8`` (with a column, its cell: ``units!D8``), several as ``sheet levies, rows
    3 (duty) and 4 (vat, a hidden row)``; a table the workbook has no sheet for as ``sheet
    units, row 7``."""
    table, rows, col = m["table"], m["rows"], m["col"] or ""
    if f"{table}.csv" not in case_files():  # not a case table: a name in the text
        return m[0]
    loc = locations.get(table)
    if loc is None:
        return f"sheet {table}, {m['word']} {rows}{col}"

    def row(i: re.Match) -> str:
        """A sheet row, with its key and whether it is hidden: ``5 (asia, a hidden row)``."""
        r = _sheet_row(loc, i["n"])
        notes = [x for x in ((i["key"] or "").strip()[1:-1], _hidden(loc, r).strip()[1:-1])
                 if x]
        return f"{r} ({', '.join(notes)})" if notes else str(r)

    items = list(_ROW_ITEM.finditer(rows))
    if len(items) == 1:
        if col and not items[0]["key"]:
            return locate(f"{table}.csv row {items[0]['n']}{col}", locations)
        r = _sheet_row(loc, items[0]["n"])
        return f"{loc['sheet']}!{r}:{row(items[0])}{col}"
    return f"sheet {loc['sheet']}, rows {_ROW_ITEM.sub(row, rows)}{col}"


def _file_said(m: re.Match, template: str) -> str:
    """A case table's file (``commodities.csv``) as its sheet, in ``template``; another
    file's name (text a user wrote) as it is."""
    return template.format(m[1]) if f"{m[1]}.csv" in case_files() else m[0]


def workbook_words(text: str, locations: dict) -> str:
    """A hint or warning in a case folder's words said for a workbook: what to do (``add
    'name' to case.yaml``, ``create units.csv``: ``add a row name to the case sheet``,
    ``add a sheet units``), the rows it names (``projects.csv row 3``: ``projects!4:4``
    when a blank row stands above the data; :func:`_rows_said`), then any other table
    file (``declare it in commodities.csv``: ``declare it in the sheet commodities``;
    ``markets.csv rows that sell nothing``: ``rows of the sheet markets ...``) and
    ``case.yaml`` (``the case sheet``)."""
    return sheet_words(_ROWS_IN_TEXT.sub(lambda m: _rows_said(m, locations), text))


def sheet_words(text: str) -> str:
    """:func:`workbook_words` without the row numbers: each case table's file said as its
    sheet, ``case.yaml`` as the case sheet, what to do as a workbook's user does it. For
    a scenario on a workbook, whose rows are named by key (no row of the effective case
    is a row of the workbook): ``selector column 'market' does not exist in the sheet
    markets``."""
    for pattern, words in _FOLDER_WORDS:
        text = pattern.sub(words, text)
    text = _TABLE_ROWS.sub(lambda m: _file_said(m, "rows of the sheet {}"), text)
    text = _TABLE_FILE.sub(lambda m: _file_said(m, "the sheet {}"), text)
    return _CASE_FILE.sub("the case sheet", text)


def relocate(exc: InputError, locations: dict) -> InputError:
    """``exc`` with every location said for the workbook (see :func:`locate`), and its
    hints (:func:`workbook_words`)."""
    return InputError([Problem(locate(p.where, locations), p.message,
                               workbook_words(p.hint, locations) if p.hint else p.hint)
                       for p in exc.problems])


def formula_text(raw: RawCase, shown: int = 5) -> str | None:
    """A warning naming the text cells of ``raw`` (table, CSV row, column; the first
    ``shown`` of them, and how many) that a spreadsheet program would run as a formula
    when the CSV file written from it is opened: text starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return that is not a number (a workbook holds
    ``=HYPERLINK(...)`` as text; in a CSV file it is a live formula). Such cells are
    written as they are, since quoting them would change the case's input; None if
    there are none. Number columns hold numbers (validated), never formulas."""
    found: list[str] = []
    for name, df in sorted(raw.tables.items()):
        for c, num in zip(df.columns, _number_columns(name, list(df.columns)), strict=True):
            if num:
                continue
            s = df[c].astype(str)
            hit = s.str.startswith(xlsx_text.FORMULA_START) & ~s.str.fullmatch(_NUMBER.pattern)
            found += [f"{name}.csv row {i + 2}, column {c}" for i in hit.to_numpy().nonzero()[0]]
    if not found:
        return None
    n = len(found)
    listed = "; ".join(found[:shown]) + (f" and {n - shown} more" if n > shown else "")
    return (f"{n} text cell{'s' if n > 1 else ''} start{'s' if n == 1 else ''} with =, +, -, "
            "@, a tab or a carriage return and would run as a formula when the CSV file is "
            f"opened in a spreadsheet program: {listed}; written as in the workbook (they are "
            "the case's input): check them before opening the CSV files in Excel")


def case_files() -> set[str]:
    """The names of the files chainopt writes into a case folder: ``case.yaml`` and one
    CSV file per table (its by-period table too)."""
    return {"case.yaml"} | {f"{t}{suffix}.csv" for t in TABLES for suffix in ("", BY_PERIOD)}


def check_only_case_files(folder: Path, shown: int = 5) -> None:
    """An OutputError unless ``folder`` holds only regular files chainopt writes into a
    case folder (:func:`case_files`): a case folder is also written by people (a
    ``README.md``, ``.git``, scenarios, notes), and replacing it whole would delete what
    it holds besides the tables. The message names the first ``shown`` of them."""
    names = case_files()
    others = sorted(e.name + ("/" if e.is_dir() and not e.is_symlink() else "")
                    for e in folder.iterdir()
                    if e.name not in names or e.is_symlink() or not e.is_file())
    if others:
        listed = ", ".join(others[:shown]) + (f" and {len(others) - shown} more"
                                             if len(others) > shown else "")
        raise OutputError([Problem(str(folder), "holds more than case.yaml and the table "
                                   f"CSV files ({listed}): --overwrite replaces the whole "
                                   "folder and would delete them", "convert into a new "
                                   "folder, or move them out of this one first")])


def write_folder(raw: RawCase, folder: str | Path, overwrite: bool = False) -> Path:
    """Write a raw case as a case folder (``case.yaml`` + CSV), atomically.

    An existing folder is replaced only with ``overwrite``, only if it is a case folder
    (it holds ``case.yaml``; see :mod:`chainopt.atomic`) and only if it holds nothing
    else than chainopt writes there (:func:`check_only_case_files`), checked before the
    workbook's tables are written and again just before the folder is swapped."""
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise InputError([Problem(str(folder), "exists", "pass --overwrite to replace it")])

    def fill(tmp: Path) -> None:
        (tmp / "case.yaml").write_text(yaml.safe_dump(raw.meta, sort_keys=False,
                                                      allow_unicode=True, width=100),
                                       encoding="utf-8")
        for name, df in sorted(raw.tables.items()):
            df.to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n")

    return atomic_write_folder(folder, fill, kind="case", overwrite=overwrite,
                               check=check_only_case_files)
