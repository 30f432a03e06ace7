"""Converting a case between its two forms: a folder of CSV files and one ``.xlsx`` workbook.

Both give the same input hash (see :mod:`chainopt.case.excel` for the workbook layout).
Its own module because it needs both sides: reading a folder (:mod:`chainopt.case.load`,
which reads workbooks too) and writing a workbook or a folder (:mod:`chainopt.case.excel`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from chainopt.case.excel import (
    check_not_other_spreadsheet,
    formula_text,
    is_workbook,
    read_workbook,
    write_folder,
    write_workbook,
)
from chainopt.case.load import read_raw, validated
from chainopt.case.scenario import is_scenario_path
from chainopt.errors import InputError, Problem


def convert(src: str | Path, dst: str | Path, overwrite: bool = False,
            warn: Callable[[str], object] | None = None) -> Path:
    """Case folder (or embedded case) -> ``.xlsx``, or ``.xlsx`` -> case folder.

    A scenario file is refused by name: it is a change to a case, not a case (read as a
    folder, it was reported as "no case folder or embedded case of this name", though
    the file is there). The case is validated before anything is written: an invalid one
    is an InputError located in the source (``units!B2`` of a workbook), and no target is
    written (nor an existing one replaced). ``warn`` is called, once a folder is written,
    with what reading the workbook warns of (``RawCase.read_warnings``: hidden sheets and
    rows read, formulas referring to another workbook) and a warning naming its text
    cells that would run as formulas in a spreadsheet program
    (:func:`chainopt.case.excel.formula_text`)."""
    if is_scenario_path(src):
        raise InputError([Problem(str(src), "is a scenario, a change to a case: convert "
                                  "writes a case folder as a workbook and back",
                                  "convert the case the scenario is based on (its base:)")])
    check_not_other_spreadsheet(src)
    if is_workbook(src):
        if is_workbook(dst):
            raise InputError([Problem(str(dst), "both sides are workbooks",
                                      "convert IN.xlsx OUT_DIR or CASE_DIR OUT.xlsx")])
        raw = read_workbook(src)
        validated(raw)
        folder = write_folder(raw, dst, overwrite=overwrite)
        if warn is not None:
            for note in (*raw.read_warnings, formula_text(raw)):
                if note:
                    warn(note)
        return folder
    if not is_workbook(dst):
        raise InputError([Problem(str(dst), "the target of a case folder must end in .xlsx",
                                  "convert CASE_DIR OUT.xlsx or IN.xlsx OUT_DIR")])
    if Path(dst).exists() and not overwrite:
        raise InputError([Problem(str(dst), "exists", "pass --overwrite to replace it")])
    raw = read_raw(src)
    validated(raw)
    return write_workbook(raw, dst)
