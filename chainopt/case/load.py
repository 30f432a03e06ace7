"""Reading a case: folder (``case.yaml`` + CSV) or embedded name -> RawCase -> Case.

Reading and validation are separate steps so that scenarios can overlay the raw
inputs and validate the result from scratch.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from chainopt.case.excel import is_workbook, read_workbook
from chainopt.case.schema import TABLES, Case, RawCase
from chainopt.case.validate import closest, validate
from chainopt.errors import InputError, Problem

DEFAULT_CASE = "ru_eastwest"
BY_PERIOD_SUFFIX = "_by_period"


def embedded_cases() -> list[str]:
    """Names of the cases shipped inside the package (``chainopt/data/<name>/``)."""
    root = resources.files("chainopt.data")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "case.yaml").is_file())


def resolve_case_path(source: str | Path | None) -> Path:
    """Turn a folder path, an embedded case name or ``None`` (default case) into a folder."""
    if source is None:
        source = DEFAULT_CASE
    path = Path(source)
    if path.is_dir():
        return path
    if str(source) in embedded_cases():
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
    if is_workbook(source):
        return read_workbook(source)
    folder = resolve_case_path(source)
    yaml_path = folder / "case.yaml"
    if not yaml_path.is_file():
        raise InputError([Problem(str(folder), "no case.yaml in this folder",
                                  "a case folder needs case.yaml plus CSV tables")])
    try:
        meta = yaml.safe_load(yaml_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError([Problem(str(yaml_path), f"not valid YAML: {exc}")]) from exc
    if not isinstance(meta, dict):
        raise InputError([Problem(str(yaml_path), "must be a mapping of keys to values")])
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    known = set(TABLES) | {t + BY_PERIOD_SUFFIX for t in TABLES}
    for csv in sorted(folder.glob("*.csv")):
        name = csv.stem
        if name not in known:
            problems.append(Problem(csv.name, "unknown table", closest(name, sorted(known))))
            continue
        tables[name] = read_csv(csv)
    if problems:
        raise InputError(problems)
    return RawCase(meta=meta, tables=tables, origin=str(folder))


def read_csv(path: Path) -> pd.DataFrame:
    """Read one table with every cell as a stripped string ('' for blank)."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                         comment=None, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError([Problem(path.name, f"cannot be read as CSV: {exc}")]) from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df.apply(lambda s: s.str.strip()) if len(df) else df


def load_case(source: str | Path | None = None) -> Case:
    """Load and validate a case folder or embedded case (``None``: the default case)."""
    return validate(read_raw(source))
