"""Reading a case: folder (``case.yaml`` + CSV) or embedded name -> RawCase -> Case.

Reading and validation are separate steps so that scenarios can overlay the raw
inputs and validate the result from scratch.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections import Counter
from importlib import resources
from pathlib import Path

import pandas as pd

from chainopt.case import memo
from chainopt.case.excel import (
    check_not_other_spreadsheet,
    is_workbook,
    read_workbook,
    relocate,
)
from chainopt.case.schema import BY_PERIOD, MAX_COLUMNS, TABLES, Case, RawCase
from chainopt.case.storage import storage_for_rows, text_storage
from chainopt.case.validate import MAX_PER_CHECK, closest, validate
from chainopt.errors import InputError, Problem
from chainopt.safe_yaml import read_mapping
from chainopt.textfile import MAX_CSV_BYTES, check_inside, read_text

DEFAULT_CASE = "ru_eastwest"
# Whitespace (a line feed aside) next to a field's edge: after the start, a comma, a quote
# or a line end, or before one of them or the end (the CR of a CR LF line end is not
# counted); or a line break next to a quote, which may be a quoted cell's first or last
# character (Excel's Alt+Enter). A cell can begin or end in whitespace only where the
# text has one of these.
# Only a small table's text is scanned for it: there stripping each column is a fixed cost
# much larger than the scan (about 1.4 ms for small_chain's units.csv, against 0.1 ms), while
# the scan of a large table's text costs more than stripping it (55 ns a character).
PADDED_SCAN = 65_536
_PADDED = re.compile(r'(?:^|[,"\r\n])(?!\r\n)[^\S\n]|(?!\r\n)[^\S\n](?=[,"\r\n]|$)'
                     r'|"\r?\n|\n"')


def embedded_cases() -> list[str]:
    """Names of the cases shipped inside the package (``chainopt/data/<name>/``)."""
    root = resources.files("chainopt.data")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "case.yaml").is_file())


def case_argument(origin: str) -> str:
    """What names the case read from folder ``origin`` on chainopt's command line: an
    embedded case's name (its folder lies inside the package), else the folder."""
    root = Path(str(resources.files("chainopt.data")))
    return Path(origin).name if origin and Path(origin).parent == root else origin


def resolve_case_path(source: str | Path | None) -> Path:
    """Turn a folder path, an embedded case name or ``None`` (default case) into a folder.

    A folder of the given name comes first, except a results folder (``manifest.json``,
    no ``case.yaml``) named like an embedded case: that is the embedded case."""
    if source is None:
        source = DEFAULT_CASE
    path = Path(source)
    embedded = str(source) in embedded_cases()
    # a results folder of the same name (``chainopt run small_chain --out .``) is never
    # the case: the embedded case is meant
    if path.is_dir() and not (embedded and (path / "manifest.json").is_file()
                              and not (path / "case.yaml").exists()):
        return path
    if embedded:
        return Path(str(resources.files("chainopt.data") / str(source)))
    hint = f"embedded cases: {', '.join(embedded_cases()) or 'none'}"
    if path.is_file() and path.name == "case.yaml":
        return path.parent
    raise InputError([Problem(str(source), "no case folder or embedded case of this name",
                              near_case(str(source)) or "give a folder holding case.yaml, "
                              f"or one of the {hint}")])


def shown(path: Path) -> str:
    """A path as the user would write it: relative to the working directory if inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


#: scenario files a "did you mean" names at most (the names the typed text starts)
NEAR_SHOWN = 3


def near_scenario(path: Path, also: Path | None = None) -> str:
    """'' or "did you mean 'scenarios/small_port_expansion.yaml'?" for a scenario file
    not there, among the .yaml/.yml files of its folder and of ``also`` (default: for a
    bare file name, ``scenarios/``: ``small_port_expansion.yaml`` written in the project
    root, which holds it in scenarios/), ``also``'s first: the file of that name in other
    case or in the other folder; else those whose name starts with the name typed
    (``ru_mp4``: 'scenarios/ru_mp4_equipment_renewal.yaml' or
    'scenarios/ru_mp4_renewal_cp_high.yaml', up to :data:`NEAR_SHOWN` and how many more),
    which difflib ranked below a closer spelling (ru_mp6_mto.yaml); else the closest
    (:func:`chainopt.case.validate.closest`, as for a mistyped case or base)."""
    if also is None and len(path.parts) == 1:
        also = Path("scenarios")
    found: dict[str, Path] = {}  # file name -> the file (the first folder's)
    for folder in ([also] if also is not None else []) + [path.parent]:
        try:
            files = sorted(folder.iterdir()) if folder.is_dir() else []
        except OSError:
            continue
        for p in files:
            if p.suffix.lower() in (".yaml", ".yml") and p.name != "case.yaml" \
                    and p.is_file():
                found.setdefault(p.name, p)
    names = list(found)
    typed = path.name.casefold()
    stem = Path(typed).stem if Path(typed).suffix in (".yaml", ".yml") else typed
    same = [n for n in names if n.casefold() == typed]
    starts = [n for n in names if stem and n.casefold().startswith(stem)
              and n.casefold() != typed]
    if not same and starts:
        listed = [f"'{shown(found[n])}'" for n in starts[:NEAR_SHOWN]]
        more = len(starts) - NEAR_SHOWN
        return ("did you mean " + (" or ".join(listed) if len(listed) < 3 else
                                   ", ".join(listed[:-1]) + " or " + listed[-1])
                + (f" ({more} more start with '{stem}')" if more > 0 else "") + "?")
    near = closest(path.name, names)
    match = same[:1] or [n for n in names if f"'{n}'" in near]
    return f"did you mean '{shown(found[match[0]])}'?" if match else ""


def near_case(name: str, here: Path | None = None) -> str:
    """'' or a "did you mean" for a case found nowhere, the one hint for a case named on
    the command line and for a scenario's ``base:``: the embedded case ``name`` spells in
    other case or nearly (:func:`~chainopt.case.validate.closest`: ``Small_Chain``,
    ``small_chian``: 'small_chain'), else, for a bare name, the scenario file it names
    without ``.yaml``, or starts, or nearly (:func:`near_scenario`) in ``scenarios/``
    below ``here`` (default: the working directory) or in ``here``: ``small_port_expansion``
    is 'scenarios/small_port_expansion.yaml'. A name with a folder part is looked for
    in that folder alone, as a scenario file (``scenarios/small_port``:
    'scenarios/small_port_expansion.yaml') or a case folder (:func:`near_folder`)."""
    near = closest(name, embedded_cases())
    if near or not name:
        return near
    here = Path(".") if here is None else here
    if Path(name).name != name:
        return near_scenario(here / f"{name}.yaml") or near_folder(here / name)
    return near_scenario(here / f"{name}.yaml", also=here / "scenarios")


def near_folder(path: Path) -> str:
    """'' or "did you mean 'examples/petchem_investment'?" for a case folder not there,
    among the case folders (holding case.yaml) beside where it would be: those whose name
    starts with the name typed, else the closest."""
    try:
        names = sorted(p.name for p in path.parent.iterdir()
                       if p.is_dir() and (p / "case.yaml").is_file())
    except OSError:
        return ""
    typed = path.name.casefold()
    starts = [n for n in names if typed and n.casefold().startswith(typed)]
    near = closest(path.name, names)
    match = starts[:1] or [n for n in names if f"'{n}'" in near]
    return f"did you mean '{shown(path.parent / match[0])}'?" if match else ""


def read_raw(source: str | Path | None) -> RawCase:
    """Read ``case.yaml`` and every CSV table of a case folder, all cells as strings.

    A path ending in ``.xlsx`` is read as a case workbook (:mod:`chainopt.case.excel`).
    """
    if source is not None and is_workbook(source):
        return read_workbook(source)
    check_not_other_spreadsheet(source)
    folder = resolve_case_path(source)
    yaml_path = folder / "case.yaml"
    if not yaml_path.exists():
        raise InputError([Problem(str(folder), "no case.yaml in this folder",
                                  "a case folder needs case.yaml plus CSV tables")])
    check_inside(yaml_path, folder, str(yaml_path))
    meta = read_mapping(yaml_path, str(yaml_path), what="case.yaml")
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    known = set(TABLES) | {t + BY_PERIOD for t in TABLES}
    for table_path in sorted(folder.iterdir()):
        name = table_name(table_path.name)
        if not name:
            continue  # not a table file (README.md, notes): not read
        if name in known and table_path.name != f"{name}.csv":
            problems.append(Problem(table_path.name, f"is not read as the {name} table: "
                                    "a table file is named in lower case with .csv",
                                    f"rename it to {name}.csv"))
        elif name not in known:
            problems.append(Problem(table_path.name, "unknown table", closest(name, sorted(known))))
        else:
            try:
                check_inside(table_path, folder, table_path.name)
                tables[name] = read_csv(table_path)
            except InputError as exc:
                problems += exc.problems
    for table_path in sorted(folder.iterdir()):
        name = saved_as_table(table_path.name)
        if name in known and name not in tables and not table_name(table_path.name):
            problems.append(Problem(table_path.name, f"is not read as the {name} table, "
                                    f"and the folder has no {name}.csv",
                                    f"rename it to {name}.csv (comma-separated UTF-8), or "
                                    "move it out of the case folder"))
    if problems:
        raise InputError(problems)
    return RawCase(meta=meta, tables=tables, origin=str(folder))


#: what a table file's name may have gained on its way (a backup's ending, a blank from
#: another system's zip, Windows' download stream), taken off by :func:`saved_as_table`
_GAINED = re.compile(r"(\s+|~|\.(bak|old|orig|backup)|:zone\.identifier)$")


def saved_as_table(file_name: str) -> str:
    """The table a file's name stands for once what it gained on its way is taken off
    (``markets.csv~``, ``markets.csv.bak``, ``markets.csv `` with a trailing blank,
    ``markets.csv:Zone.Identifier``) and its extension is a text table's (``.csv``,
    ``.txt`` or ``.tsv``: Excel's *Save as Text* writes ``markets.txt``); '' otherwise.
    Such a file is left unread, so a case without ``markets.csv`` beside it would run
    with no markets without a word (:func:`read_raw` refuses it)."""
    low = file_name.lower()
    while True:
        cut = _GAINED.sub("", low)
        if cut == low:
            break
        low = cut
    for ending in (".csv", ".txt", ".tsv"):
        if low.endswith(ending):
            return low.removesuffix(ending)
    return ""


def table_name(file_name: str) -> str:
    """The table a file of a case folder stands for, by its name in any case ending in
    ``.csv`` or ``.csv.txt`` ('' for any other file, which is not read).

    Only ``<table>.csv`` is read; ``Markets.csv``, ``markets.CSV`` (from Windows tools)
    or ``markets.csv.txt`` (an extension added out of sight) are reported for renaming:
    left unread, they would change the plan without a word.
    """
    low = file_name.lower()
    for ending in (".csv", ".csv.txt"):
        if low.endswith(ending):
            return low.removesuffix(ending)
    return ""


#: rows of one table file (counted as its lines, before it is parsed): 26 times the
#: largest table of a generated 1,000,000-variable case (markets, 77,416). Below the byte
#: limit a file of tiny rows costs about 170 bytes of memory a row to read (10 million
#: 4-byte rows, 40 MB: 1.7 GB and 22 s)
MAX_ROWS = 2_000_000


#: tables parsed in this process, by their text (:func:`read_csv`): texts of up to
#: :data:`KEPT_BYTES` only, as a case's tables are small and read again and again
PARSED: memo.Kept[pd.DataFrame] = memo.Kept(64)
KEPT_BYTES = 1 << 17  # 128 KiB: the default case's largest table has 20 KB


def read_csv(path: Path) -> pd.DataFrame:
    """Read one table with every cell as a stripped string ('' for blank).

    The file must be comma-separated UTF-8 text with a header row; a semicolon- or
    tab-separated file is an error with a hint (see :func:`delimiter_hint`).

    The table is a pure function of the file's text, so a text read before in this
    process (:data:`PARSED`, by :func:`chainopt.case.memo.text_key`) is not parsed
    again: the caller gets a copy of the table kept (0.1 ms against 1-10 ms to parse
    one of the default case's tables). A text that fails is never kept.
    """
    text = read_text(path, path.name, MAX_CSV_BYTES, what="CSV file")
    # (off the main thread, text is made in pandas' storage of the moment)
    k = memo.in_storage(memo.text_key(text)) if len(text) <= KEPT_BYTES else None
    return memo.copied(PARSED, k, lambda: _parsed(path, text))


def _parsed(path: Path, text: str) -> pd.DataFrame:
    """The table of ``text`` read from ``path`` (:func:`read_csv`), checked."""
    if not text.strip():
        raise InputError([Problem(path.name, "is empty",
                                  "a table needs a header row naming its columns")])
    lines = text.count("\n")
    if lines > MAX_ROWS:
        raise InputError([Problem(path.name, f"has {lines:,} lines, more than the {MAX_ROWS:,} "
                                  "rows a table may have", "is this the right file? the "
                                  "largest table of a generated 1,000,000-variable case has "
                                  "77,416 rows")])
    first = text.split("\n", 1)[0]
    if "\r" in first.rstrip("\r"):  # lines ending in CR alone: the whole file one line
        raise InputError([Problem(path.name, "its lines end in CR only (a 'CSV (Macintosh)' "
                                  "file), which is not read as lines",
                                  "save it as 'CSV UTF-8 (comma delimited)' (lines ending "
                                  "in LF or CR LF)")])
    hint = delimiter_hint(text)
    if hint:
        raise InputError([Problem(path.name, hint, "save it as comma-separated CSV (in Excel: "
                                  "'CSV UTF-8 (comma delimited)'), decimals with a point")])
    try:
        header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    except csv.Error as exc:  # e.g. a quote never closed: the whole file one header field
        raise InputError([Problem(path.name, f"cannot read its header row: {exc}",
                                  "check the quotes in the first row")]) from None
    if len(header) > MAX_COLUMNS:
        raise InputError([Problem(path.name, f"has {len(header):,} columns, more than the "
                                  f"{MAX_COLUMNS:,} a table may have",
                                  "is this the right file? a case table has at most a few "
                                  "dozen columns")])
    # an empty header cell became pandas' 'Unnamed: 4', a name the file does not hold
    empty = [i for i, h in enumerate(header, 1) if not h.strip()]
    if empty and len(header) > 1:
        ending = len(header) - next((i for i, h in enumerate(reversed(header)) if h.strip()),
                                    len(header))  # cells before the empty run at the end
        raise InputError([
            Problem(path.name, f"header cell {i} is empty (a trailing comma?)",
                    "remove the comma(s) at the end of the header row") if i > ending else
            Problem(path.name, f"header cell {i} is empty", "name the column, or remove it "
                    "and its values")
            for i in empty[:MAX_PER_CHECK]])
    counts = Counter(h.strip() for h in header)
    twice = sorted(h for h, n in counts.items() if h and n > 1)
    if twice:
        raise InputError([Problem(f"{path.name}, column {h}", "appears twice in the header",
                                  "keep one of them") for h in twice])
    try:
        with warnings.catch_warnings():
            # a first data row longer than the header: pandas would drop its extra values
            # (index_col=False; without it, every row one longer made the first column the
            # index and shifted the others left, so errors blamed the wrong columns)
            warnings.simplefilter("error", pd.errors.ParserWarning)
            # as the case's size will have it (chainopt.case.storage): a table of that
            # size at once in Arrow, a smaller one as Python strings (validation converts)
            with text_storage(storage_for_rows(text.count("\n"))):
                df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                                 skipinitialspace=True, comment=None, index_col=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning, pd.errors.EmptyDataError,
            ValueError) as exc:
        long = long_rows(text, path.name, len(header)) or open_quote(text, path.name)
        raise InputError(long or [Problem(path.name, f"cannot be read as CSV: "
                                          f"{_first_line(exc)}", "check the quotes and the "
                                          "number of commas per row")]) from None
    df.columns = [str(c).strip() for c in df.columns]
    if not len(df) or (len(text) <= PADDED_SCAN and not _PADDED.search(text)):
        return df  # no cell can begin or end in whitespace: nothing to strip
    return df.apply(lambda s: s.str.strip())


def long_rows(text: str, file: str, columns: int) -> list[Problem]:
    """A problem for each row of CSV ``text`` with more values than its header's
    ``columns`` (up to MAX_PER_CHECK, then a count); rows are numbered as validation
    numbers them (header = row 1, blank lines skipped, as pandas skips them)."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), skipinitialspace=True)
    long: list[tuple[int, list[str]]] = []
    try:
        next(rows, None)
        for number, values in enumerate((v for v in rows if v), start=2):
            if len(values) > columns:
                long.append((number, values))
    except csv.Error:
        return []  # pandas' own message says what else is wrong
    problems = []
    for number, values in long[:MAX_PER_CHECK]:
        if any(v.strip() for v in values[columns:]):
            what, hint = "", ("put a value holding a comma in double quotes, or name the "
                              "extra column in the header")
        else:
            what, hint = " (a trailing comma?)", "remove the comma(s) at the end of the row"
        problems.append(Problem(f"{file} row {number}",
                                f"{len(values)} values for {columns} columns{what}", hint))
    if len(long) > MAX_PER_CHECK:
        problems.append(Problem(file, f"{len(long) - MAX_PER_CHECK} more rows with more "
                                "values than columns"))
    return problems


def open_quote(text: str, file: str) -> list[Problem]:
    """A problem naming the row of CSV ``text`` whose quote is never closed (the rest of
    the file then is one value), numbered as validation numbers rows (header = row 1,
    blank lines skipped); none if every quote closes. pandas said "EOF inside string
    starting at row 6" for row 7: its rows count from 0 after the header."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), skipinitialspace=True, strict=True)
    number = 0
    try:
        for values in rows:
            number += bool(values)
    except csv.Error:
        return [Problem(f"{file} row {number + 1}", "a quote is opened and never closed",
                        'close it (a value holding a comma goes in double quotes: "a,b"), '
                        "or remove it")]
    return []


def delimiter_hint(text: str) -> str:
    """A message if the header of a CSV text looks semicolon- or tab-separated, else ''."""
    header = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    if "," in header:
        return ""
    for sep, label in ((";", "semicolons"), ("\t", "tabs")):
        if header.count(sep) >= 1:
            return (f"looks separated by {label}, not commas (header "
                    f"'{header[:60]}')")
    return ""


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def load_case(source: str | Path | None = None) -> Case:
    """Load and validate a case folder or embedded case (``None``: the default case).

    Problems in a workbook are located by sheet and cell (``units!D7``)."""
    return validated(read_raw(source))


def validated(raw: RawCase) -> Case:
    """``raw`` validated (:func:`chainopt.case.validate.validate`); problems in a workbook
    are located by sheet and cell (``units!D7``)."""
    try:
        return validate(raw)
    except InputError as exc:
        if not raw.locations:
            raise
        raise relocate(exc, raw.locations) from None
