"""Models kept by the content of their case (chainopt.models.build.KEPT): the same
content is built once per process, anything else anew, and what a caller gets is its
own model of its own case; what is derived from that content (BuiltModel.derive) is
made once too, until a model is changed in place."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from chainopt import api
from chainopt.case import reach, storage
from chainopt.case.convert import convert
from chainopt.case.load import load_case
from chainopt.diagnose import coefficient_ranges, export
from chainopt.models import build as build_module
from chainopt.models.build import build
from tests.case.test_reach import ETHANE, _gas
from tests.conftest import SMALL_CHAIN, count_calls, edit_csv


@pytest.fixture
def builds(monkeypatch):
    """How many models were built from scratch (none kept at the start)."""
    build_module.KEPT.clear()
    yield count_calls(monkeypatch, build_module, "build_index")
    build_module.KEPT.clear()


def _capacity(built, unit: str) -> float:
    """The existing capacity of ``unit`` in the first period, as the model has it."""
    uc = built.index.unit_cap
    return float(uc.loc[uc["unit"] == unit, "capacity"].iloc[0])


def test_the_same_content_is_built_once_and_each_caller_gets_its_own(tmp_path, builds):
    first = build(load_case(SMALL_CHAIN))
    case = load_case(shutil.copytree(SMALL_CHAIN, tmp_path / "copy"))
    again = build(case)  # other files, the same bytes
    assert builds[0] == 1 and again.timings["kept"] == 1.0 and "kept" not in first.timings
    # the caller's case, in the model and in its index
    assert again.case is case and again.index.case is case
    assert again.case.origin == str(tmp_path / "copy")
    for name in ("cost", "col_lb", "col_ub", "row_lb", "row_ub", "integer"):
        assert np.array_equal(getattr(again.arrays, name), getattr(first.arrays, name)), name
    assert (again.arrays.matrix.data == first.arrays.matrix.data).all()
    assert [f.label for f in again.lp.var_families] == [f.label for f in first.lp.var_families]
    # units.csv: tob_cracker has 1,200 kt/yr. A caller changing its model (as a
    # sensitivity holds a project's columns fixed) changes no other caller's
    assert _capacity(first, "tob_cracker") == _capacity(again, "tob_cracker") == 1200.0
    first.arrays.col_ub[:] = 0.0
    first.index.unit_cap.loc[:, "capacity"] = -1.0
    third = build(load_case(SMALL_CHAIN))
    assert builds[0] == 1 and _capacity(third, "tob_cracker") == 1200.0
    assert np.array_equal(third.arrays.col_ub, again.arrays.col_ub)
    assert not np.array_equal(third.arrays.col_ub, first.arrays.col_ub)
    assert third.lp is not again.lp and third.arrays is not again.arrays


def test_other_content_is_built_anew(tmp_path, builds):
    folder = shutil.copytree(SMALL_CHAIN, tmp_path / "edited")
    edit_csv(folder / "units.csv", "tob_cracker,tobolsk,cracker,1200,",
             "tob_cracker,tobolsk,cracker,1300,")
    assert _capacity(build(load_case(SMALL_CHAIN)), "tob_cracker") == 1200.0
    assert _capacity(build(load_case(folder)), "tob_cracker") == 1300.0
    assert builds[0] == 2


def test_one_off_builds_neither_read_nor_keep(builds):
    case = load_case(SMALL_CHAIN)
    build(case, keep=False)
    build(case)
    build(case, keep=False)
    assert builds[0] == 3 and len(build_module.KEPT) == 1


def test_a_case_kept_in_arrow_text_is_not_kept(builds, monkeypatch):
    monkeypatch.setattr(storage, "ARROW_FROM_ROWS", 10)  # small_chain counts as large
    case = load_case(SMALL_CHAIN)
    build(case)
    build(case)
    assert builds[0] == 2 and len(build_module.KEPT) == 0


def test_a_run_of_a_kept_model_writes_what_a_fresh_build_writes(tmp_path, builds):
    """Every table a run writes, and its manifest but for when and how fast it ran,
    are the same bytes whether the model was built or kept."""
    api.run("small_chain", out=tmp_path, name="built")
    api.run("small_chain", out=tmp_path, name="kept")
    assert builds[0] == 1
    a, b = tmp_path / "built", tmp_path / "kept"
    names = sorted(p.name for p in a.iterdir() if p.name != "manifest.json")
    assert names == sorted(p.name for p in b.iterdir() if p.name != "manifest.json")
    assert len(names) >= 10
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name

    def manifest(folder):
        m = json.loads((folder / "manifest.json").read_text())
        return {k: v for k, v in m.items()
                if k not in ("timings_s", "created_utc", "results_dir", "solver_info")}

    assert manifest(a) == manifest(b)


def test_a_model_is_built_in_its_cases_text_storage_whatever_pandas_is_set_to(builds):
    """The index's text is made in the case's storage (Python strings for a small case,
    :mod:`chainopt.case.storage`), whatever pandas' setting of the moment: a model built
    outside a run with pandas set to Arrow text (a sweep's, a sensitivity's builds) is
    the one a run of the same case gets, built once."""
    case = load_case(SMALL_CHAIN)
    with pd.option_context("mode.string_storage", "pyarrow"):
        arrow = build(case)
    with pd.option_context("mode.string_storage", "python"):
        built = build(case)
    assert builds[0] == 1
    for b in (arrow, built):
        assert {t.storage for t in b.index.activity.dtypes
                if isinstance(t, pd.StringDtype)} == {"python"}


def test_what_is_derived_is_made_once_per_content_and_located_for_each_caller(
        tmp_path, builds, monkeypatch):
    """Two cases of the same content, one read from a folder and one whose raw inputs
    are a workbook's: one model built, what can flow worked out once, and each caller's
    warnings said where its user finds the rows (units.csv row 2 in the folder, row 2
    of the sheet units in the workbook)."""
    reaches = count_calls(monkeypatch, reach, "reach")
    folder = _gas(tmp_path)
    case = load_case(folder)
    book = load_case(convert(folder, tmp_path / "gas.xlsx"))
    mixed = case.model_copy(update={"raw": book.raw, "origin": book.origin})
    first, second = build(case), build(mixed)
    assert builds[0] == 1 and second.timings["kept"] == 1.0
    assert first.input_warnings()[0] == ETHANE
    assert second.input_warnings()[0] == ETHANE.replace("units.csv row 2", "units!2:2").replace(
        "mode_flows.csv row 4", "mode_flows!4:4").replace("in commodities.csv",
                                                          "in the sheet commodities")
    assert reaches[0] == 1 and second.reach is first.reach


def test_a_model_changed_in_place_derives_its_own_and_the_others_keep_theirs(builds,
                                                                             monkeypatch):
    """supplies.csv of small_chain caps raw gas from wsib at 12,000 k/yr, the largest
    column bound. A model whose bound is raised to 99,999 in place (as a sensitivity
    holds a project's columns) and said changed has 99,999 as its largest; a model built
    afterwards shares the first one's ranges (12,000), made once."""
    made = count_calls(monkeypatch, export, "_coefficient_ranges")

    def largest_bound(built) -> float:
        r = coefficient_ranges(built)
        return float(r.loc[r["what"] == "column bound", "max_abs"].iloc[0])

    case = load_case(SMALL_CHAIN)
    first, second = build(case), build(case)
    assert largest_bound(first) == 12000.0 and made[0] == 1
    second.arrays.col_ub[0] = 99999.0
    second.changed()
    assert largest_bound(second) == 99999.0 and made[0] == 2
    third = build(case)
    assert largest_bound(third) == 12000.0 and made[0] == 2 and builds[0] == 1
    assert coefficient_ranges(third) is coefficient_ranges(first)
