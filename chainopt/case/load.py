"""Reading a case: folder (``case.yaml`` + CSV) or embedded name -> RawCase -> Case.

Reading and validation are separate steps so that scenarios can overlay the raw
inputs and validate the result from scratch.
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

import pandas as pd

from chainopt.case.excel import is_workbook, read_workbook, relocate
from chainopt.case.schema import BY_PERIOD, TABLES, Case, RawCase
from chainopt.case.validate import closest, validate
from chainopt.errors import InputError, Problem
from chainopt.safe_yaml import read_mapping
from chainopt.textfile import read_text

DEFAULT_CASE = "ru_eastwest"


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
                              f"give a folder holding case.yaml, or one of the {hint}")])


def read_raw(source: str | Path | None) -> RawCase:
    """Read ``case.yaml`` and every CSV table of a case folder, all cells as strings.

    A path ending in ``.xlsx`` is read as a case workbook (:mod:`chainopt.case.excel`).
    """
    if source is not None and is_workbook(source):
        return read_workbook(source)
    folder = resolve_case_path(source)
    yaml_path = folder / "case.yaml"
    if not yaml_path.exists():
        raise InputError([Problem(str(folder), "no case.yaml in this folder",
                                  "a case folder needs case.yaml plus CSV tables")])
    meta = read_mapping(yaml_path, str(yaml_path), what="case.yaml")
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    known = set(TABLES) | {t + BY_PERIOD for t in TABLES}
    for table_path in sorted(folder.glob("*.csv")):
        name = table_path.stem
        if name not in known:
            problems.append(Problem(table_path.name, "unknown table", closest(name, sorted(known))))
            continue
        try:
            tables[name] = read_csv(table_path)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return RawCase(meta=meta, tables=tables, origin=str(folder))


def read_csv(path: Path) -> pd.DataFrame:
    """Read one table with every cell as a stripped string ('' for blank).

    The file must be comma-separated UTF-8 text with a header row; a semicolon- or
    tab-separated file is an error with a hint (see :func:`delimiter_hint`).
    """
    text = read_text(path, path.name, what="CSV file")
    if not text.strip():
        raise InputError([Problem(path.name, "is empty",
                                  "a table needs a header row naming its columns")])
    hint = delimiter_hint(text)
    if hint:
        raise InputError([Problem(path.name, hint, "save it as comma-separated CSV (in Excel: "
                                  "'CSV UTF-8 (comma delimited)'), decimals with a point")])
    try:
        header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    except csv.Error as exc:  # e.g. a quote never closed: the whole file one header field
        raise InputError([Problem(path.name, f"cannot read its header row: {exc}",
                                  "check the quotes in the first row")]) from None
    twice = sorted({h.strip() for h in header if h.strip() and
                    [x.strip() for x in header].count(h.strip()) > 1})
    if twice:
        raise InputError([Problem(f"{path.name}, column {h}", "appears twice in the header",
                                  "keep one of them") for h in twice])
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                         skipinitialspace=True, comment=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError([Problem(path.name, f"cannot be read as CSV: {_first_line(exc)}",
                                  "check the quotes and the number of commas per row")]) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df.apply(lambda s: s.str.strip()) if len(df) else df


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
