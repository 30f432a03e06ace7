"""Validated cases kept by the content of their inputs (chainopt.case.memo): the same
content is validated once per process, anything else anew, and what a caller gets is
its own."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from chainopt.case import memo, storage
from chainopt.case import validate as validate_module
from chainopt.case.load import read_raw
from chainopt.case.validate import validate
from chainopt.errors import InputError
from tests.conftest import SMALL_CHAIN, count_calls, edit_csv


@pytest.fixture
def calls(monkeypatch):
    """How many times the checks themselves ran (the memo emptied first)."""
    memo.clear()
    yield count_calls(monkeypatch, validate_module, "_validate")
    memo.clear()


def _capacity(case, unit: str) -> float:
    units = case.tables["units"]
    return float(units.loc[units["unit"] == unit, "capacity_k_per_yr"].iloc[0])


def test_the_same_content_is_validated_once_and_each_caller_gets_its_own(tmp_path, calls):
    first = validate(read_raw(SMALL_CHAIN))
    copy = shutil.copytree(SMALL_CHAIN, tmp_path / "copy")
    again = validate(read_raw(copy))  # other files, the same bytes
    assert calls[0] == 1
    # the caller's own raw case and origin, the same validated values
    assert again.origin == str(copy) != first.origin
    assert again.raw.origin == str(copy)
    for name, df in first.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], df, obj=name)
    for name, df in first.by_period.items():
        pd.testing.assert_frame_equal(again.by_period[name], df, obj=name)
    assert again.meta == first.meta
    # units.csv says tob_cracker has 1,200 kt/yr; a caller changing its copy changes
    # nothing another caller gets
    assert _capacity(first, "tob_cracker") == 1200.0
    first.tables["units"].loc[first.tables["units"]["unit"] == "tob_cracker",
                              "capacity_k_per_yr"] = -1.0
    assert _capacity(validate(read_raw(SMALL_CHAIN)), "tob_cracker") == 1200.0
    assert _capacity(again, "tob_cracker") == 1200.0
    assert calls[0] == 1


def test_other_content_is_validated_anew(tmp_path, calls):
    validate(read_raw(SMALL_CHAIN))
    case = shutil.copytree(SMALL_CHAIN, tmp_path / "case")
    edit_csv(case / "units.csv", "tob_cracker,tobolsk,cracker,1200,",
             "tob_cracker,tobolsk,cracker,1300,")
    assert _capacity(validate(read_raw(case)), "tob_cracker") == 1300.0
    assert calls[0] == 2
    # the same rows in another order are other inputs (the model is built in row order)
    lines = (case / "sites.csv").read_text(encoding="utf-8").splitlines()
    (case / "sites.csv").write_text("\n".join([lines[0], *lines[:0:-1]]) + "\n",
                                    encoding="utf-8")
    validate(read_raw(case))
    assert calls[0] == 3
    # case.yaml is content too
    edit_csv(case / "case.yaml", "discount_rate: 0.10", "discount_rate: 0.08")
    validate(read_raw(case))
    assert calls[0] == 4


def test_inputs_that_fail_are_never_kept(tmp_path, calls):
    case = shutil.copytree(SMALL_CHAIN, tmp_path / "case")
    edit_csv(case / "units.csv", "tob_cracker,tobolsk,cracker,1200,",
             "tob_cracker,tobolsk,cracker,twelve hundred,")
    messages = []
    for _ in range(2):
        with pytest.raises(InputError) as exc:
            validate(read_raw(case))
        messages.append(str(exc.value))
    assert calls[0] == 2
    assert messages[0] == messages[1]
    assert "units.csv row 4, column capacity_k_per_yr" in messages[0]


def test_a_case_kept_in_arrow_text_is_not_kept(calls, monkeypatch):
    monkeypatch.setattr(storage, "ARROW_FROM_ROWS", 10)  # small_chain counts as large
    validate(read_raw(SMALL_CHAIN))
    validate(read_raw(SMALL_CHAIN))
    assert calls[0] == 2


def test_only_the_last_cases_are_kept(tmp_path, calls, monkeypatch):
    monkeypatch.setattr(memo._cases, "size", 2)
    folders = []
    for capacity in (1201, 1202, 1203):
        case = shutil.copytree(SMALL_CHAIN, tmp_path / f"c{capacity}")
        edit_csv(case / "units.csv", "tob_cracker,tobolsk,cracker,1200,",
                 f"tob_cracker,tobolsk,cracker,{capacity},")
        validate(read_raw(case))
        folders.append(case)
    assert calls[0] == 3
    validate(read_raw(folders[2]))  # kept
    assert calls[0] == 3
    validate(read_raw(folders[0]))  # dropped as the third came
    assert calls[0] == 4


def test_a_blank_cell_and_the_text_nan_are_other_content():
    raw = read_raw(SMALL_CHAIN)
    units = raw.tables["units"]
    blank = raw.__class__(meta=raw.meta, tables={**raw.tables, "units": units.assign(
        lifetime_yr=units["lifetime_yr"].where(units.index != 0, np.nan))})
    text = raw.__class__(meta=raw.meta, tables={**raw.tables, "units": units.assign(
        lifetime_yr=units["lifetime_yr"].where(units.index != 0, "nan"))})
    assert len({memo.key(raw), memo.key(blank), memo.key(text)}) == 3
    assert memo.key(raw) == memo.key(read_raw(SMALL_CHAIN))


def test_one_off_validations_neither_read_nor_keep(calls):
    validate(read_raw(SMALL_CHAIN), keep=False)
    validate(read_raw(SMALL_CHAIN))
    validate(read_raw(SMALL_CHAIN), keep=False)
    assert calls[0] == 3
    validate(read_raw(SMALL_CHAIN))  # kept by the second
    assert calls[0] == 3 and len(memo._cases) == 1


def test_a_case_edited_in_one_table_types_only_that_table_anew(tmp_path, monkeypatch):
    """An edited copy of small_chain (units.csv: tob_cracker 1,300 kt/yr instead of
    1,200) validated after the original: of its tables only units.csv is typed again
    (validate.TYPED), and the case is the one a validation typing every table gives."""
    typed: list[str] = []
    real = validate_module._normalise

    def spy(spec, df, file, out, *args, **kwargs):
        typed.append(file)
        return real(spec, df, file, out, *args, **kwargs)

    monkeypatch.setattr(validate_module, "_normalise", spy)
    validate_module.TYPED.clear()
    first = validate(read_raw(SMALL_CHAIN), keep=False)
    tables = [f for f in typed if "_by_period" not in f]
    assert len(tables) == len(read_raw(SMALL_CHAIN).tables) - 1  # (one is by period)
    case = shutil.copytree(SMALL_CHAIN, tmp_path / "case")
    edit_csv(case / "units.csv", "tob_cracker,tobolsk,cracker,1200,",
             "tob_cracker,tobolsk,cracker,1300,")
    typed.clear()
    edited = validate(read_raw(case), keep=False)
    assert [f for f in typed if "_by_period" not in f] == ["units.csv"]
    assert _capacity(edited, "tob_cracker") == 1300.0
    assert _capacity(first, "tob_cracker") == 1200.0
    validate_module.TYPED.clear()
    whole = validate(read_raw(case), keep=False)
    for name, df in whole.tables.items():
        pd.testing.assert_frame_equal(edited.tables[name], df, obj=name)
    # a table handed out and changed changes no later validation's
    edited.tables["sites"].loc[0, "site"] = "changed"
    assert validate(read_raw(case), keep=False).tables["sites"].equals(whole.tables["sites"])


def test_a_table_with_problems_is_typed_again_for_its_messages(tmp_path):
    case = shutil.copytree(SMALL_CHAIN, tmp_path / "case")
    edit_csv(case / "units.csv", "tob_cracker,tobolsk,cracker,1200,",
             "tob_cracker,tobolsk,cracker,twelve hundred,")
    validate_module.TYPED.clear()
    messages = []
    for _ in range(2):
        with pytest.raises(InputError) as exc:
            validate(read_raw(case), keep=False)
        messages.append(str(exc.value))
    assert messages[0] == messages[1]
    assert "units.csv row 4, column capacity_k_per_yr" in messages[0]
    units = memo.table_key("units", read_raw(case).tables["units"])
    assert units and not any(k.startswith(units) for k in validate_module.TYPED._kept)
    assert len(validate_module.TYPED) > 0  # (the other tables are kept)


def test_clear_forgets_everything_kept_by_content():
    """A developer who edits chainopt's code in a running session calls memo.clear():
    the tables parsed and typed, the cases validated and the models built are gone."""
    from chainopt.case import load
    from chainopt.models.build import KEPT, build

    build(validate(read_raw(SMALL_CHAIN)))
    kept = (load.PARSED, validate_module.TYPED, memo._cases, KEPT)
    assert all(len(k) for k in kept)
    memo.clear()
    assert not any(len(k) for k in kept)


def test_a_table_over_the_kept_rows_is_typed_every_time(monkeypatch):
    """With TYPED_ROWS at 2, only small_chain's tables of at most two rows are kept."""
    monkeypatch.setattr(validate_module, "TYPED_ROWS", 2)
    validate_module.TYPED.clear()
    raw = read_raw(SMALL_CHAIN)
    validate(raw, keep=False)
    small = [n for n, df in raw.tables.items() if len(df) <= 2 and not n.endswith("_by_period")]
    assert len(validate_module.TYPED) == len(small) < len(raw.tables) - 1
