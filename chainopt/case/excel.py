"""A case as one ``.xlsx`` workbook, and back: same tables, same inputs, same input hash.

Layout: a ``case`` sheet first holding ``case.yaml`` as key/value rows (column
``key``; column ``value_yaml`` holds the value as one line of YAML, so lists and
mappings such as ``periods`` survive exactly), then one sheet per table named like
the CSV file stem (``sites``, ``markets_by_period``, ...), header in row 1. Cells
that are numbers in the CSV are written as Excel numbers (so they can be edited and
summed), everything else as text. Sheets whose name starts with ``_`` are notes and
ignored. Reading gives every cell as a stripped string, as a CSV does.

No Pyomo here (case side).
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from pathlib import Path
from zipfile import BadZipFile

import pandas as pd
import yaml

from chainopt.atomic import write_file
from chainopt.case.schema import TABLES, RawCase
from chainopt.case.validate import closest
from chainopt.errors import InputError, Problem

CASE_SHEET = "case"
BY_PERIOD_SUFFIX = "_by_period"
_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$")


def is_workbook(source: object) -> bool:
    """True for a path ending in ``.xlsx``."""
    return isinstance(source, str | Path) and str(source).lower().endswith(".xlsx")


def _yaml_line(value: object) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False,
                          width=math.inf)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _cell_out(s: str) -> object:
    """A CSV cell as an Excel value: a number if it reads back to the same number, else text."""
    if _NUMBER.match(s):
        v = float(s)
        if math.isfinite(v):
            if re.fullmatch(r"-?\d+", s) and abs(int(s)) < 2**53:
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
    """Write a raw case (``case.yaml`` mapping + string tables) as one workbook, atomically."""
    # lazy: openpyxl is needed only for workbooks and costs start-up time otherwise
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = CASE_SHEET
    ws.append(["key", "value_yaml"])
    for key, value in raw.meta.items():
        ws.append([str(key), _yaml_line(value)])
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 100
    for name in sorted(raw.tables):
        df = raw.tables[name]
        sh = wb.create_sheet(name)
        sh.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False):
            sh.append([_cell_out(str(v)) if v is not None else "" for v in row])
        sh.freeze_panes = "A2"
    for sh in wb.worksheets:
        for cell in sh[1]:
            cell.font = Font(bold=True)
    write_file(path, lambda tmp: wb.save(tmp))
    return path


def read_workbook(path: str | Path) -> RawCase:
    """Read a case workbook: the ``case`` sheet and one sheet per table, cells as strings."""
    # lazy: openpyxl is needed only for workbooks and costs start-up time otherwise
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), "no such workbook",
                                  "give an .xlsx written by chainopt convert")])
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError([Problem(str(path), f"cannot be read as an Excel workbook: {exc}")]) \
            from exc
    problems: list[Problem] = []
    known = set(TABLES) | {t + BY_PERIOD_SUFFIX for t in TABLES}
    meta: dict = {}
    tables: dict[str, pd.DataFrame] = {}
    try:
        if CASE_SHEET not in wb.sheetnames:
            problems.append(Problem(f"{path.name}", f"no '{CASE_SHEET}' sheet",
                                    "the first sheet holds case.yaml as key/value_yaml rows"))
        for name in wb.sheetnames:
            rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
            rows = [r for r in rows if any(v is not None and str(v).strip() for v in r)]
            where = f"{path.name}, sheet {name}"
            if name == CASE_SHEET:
                for i, r in enumerate(rows[1:], start=2):
                    key = _cell_in(r[0] if r else None)
                    text = _cell_in(r[1] if len(r) > 1 else None)
                    if not key:
                        continue
                    try:
                        meta[key] = yaml.safe_load(text) if text else None
                    except yaml.YAMLError as exc:
                        problems.append(Problem(f"{where}, row {i}, column value_yaml",
                                                f"not valid YAML: {exc}"))
                continue
            if name.startswith("_"):
                continue
            if name not in known:
                problems.append(Problem(where, "unknown table", closest(name, sorted(known))))
                continue
            if not rows:
                continue
            header = [_cell_in(v) for v in rows[0]]
            while header and not header[-1]:
                header.pop()
            body = [[_cell_in(v) for v in r[:len(header)]] for r in rows[1:]]
            body = [r + [""] * (len(header) - len(r)) for r in body]
            tables[name] = pd.DataFrame(body, columns=header, dtype=str) if body else \
                pd.DataFrame(columns=header, dtype=str)
    finally:
        wb.close()
    if problems:
        raise InputError(problems)
    return RawCase(meta=meta, tables=tables, origin=str(path))


def write_folder(raw: RawCase, folder: str | Path, overwrite: bool = False) -> Path:
    """Write a raw case as a case folder (``case.yaml`` + CSV), atomically."""
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise InputError([Problem(str(folder), "exists", "pass --overwrite to replace it")])
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        (tmp / "case.yaml").write_text(yaml.safe_dump(raw.meta, sort_keys=False,
                                                      allow_unicode=True, width=100),
                                       encoding="utf-8")
        for name, df in sorted(raw.tables.items()):
            df.to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder
