"""A case's text kept as Python strings or in Arrow, by its size: only the speed differs
(chainopt.case.storage)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from chainopt import api
from chainopt.case import storage
from chainopt.results import Results, stable_floats


def _storages(df: pd.DataFrame) -> set[str]:
    return {t.storage for t in df.dtypes if isinstance(t, pd.StringDtype)}


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """small_chain (90 rows) run as it is (Python strings) and with the threshold below its
    size (Arrow)."""
    small = api.run("small_chain", out=tmp_path, name="python_text")
    monkeypatch.setattr(storage, "ARROW_FROM_ROWS", 50)
    large = api.run("small_chain", out=tmp_path, name="arrow_text")
    return tmp_path, small, large


def test_the_storage_follows_the_case_size(runs, monkeypatch):
    _, small, large = runs
    assert small.manifest["text_storage"] == "python"
    assert large.manifest["text_storage"] == "pyarrow"
    for name, df in small.tables.items():
        assert _storages(df) <= {"python"}, name
    for name, df in large.tables.items():
        assert _storages(df) <= {"pyarrow"}, name
    assert _storages(api.load_case("small_chain").tables["units"]) == {"pyarrow"}
    monkeypatch.undo()  # the threshold as shipped
    assert _storages(api.load_case("small_chain").tables["units"]) == {"python"}


def test_only_the_speed_differs(runs):
    """The same plan and the same bytes in every CSV table."""
    folder, small, large = runs
    assert small.objective == large.objective
    csvs = sorted(p.name for p in (folder / "python_text").glob("*.csv"))
    assert len(csvs) > 15
    for name in csvs:
        assert (folder / "python_text" / name).read_bytes() == \
            (folder / "arrow_text" / name).read_bytes(), name


def test_a_saved_folder_reads_back_as_the_run_kept_it(runs):
    folder, small, large = runs
    for res, name in ((small, "python_text"), (large, "arrow_text")):
        back = Results.load(folder / name)
        for table in ("flows", "capacity", "kpis", "ranging"):
            got, made = back.tables[table], stable_floats(res.tables[table])
            assert any(isinstance(t, pd.StringDtype) for t in made.dtypes), table
            pd.testing.assert_frame_equal(got, made)  # dtypes included


def test_the_callers_setting_is_put_back(runs):
    """chainopt sets pandas' storage for its own steps only."""
    assert pd.get_option("mode.string_storage") == "auto"
    with pd.option_context("mode.string_storage", "python"):
        api.run("small_chain", save=False)
        assert pd.get_option("mode.string_storage") == "python"


def test_a_damaged_storage_in_a_manifest_is_ignored(runs):
    """A manifest from elsewhere naming no storage chainopt knows: read as pandas does."""
    folder = runs[0] / "python_text"
    mf = json.loads((folder / "manifest.json").read_text())
    mf["text_storage"] = "../../etc"
    (folder / "manifest.json").write_text(json.dumps(mf))
    back = Results.load(folder)
    assert _storages(back.tables["flows"]) == {"pyarrow"}


def test_runs_in_threads_leave_the_setting_alone():
    """Only the main thread sets pandas' storage: two runs in threads of their own, at
    once, leave it as it was (each restored what the other had set) and solve alike."""
    from concurrent.futures import ThreadPoolExecutor

    api.run("small_chain", save=False)  # every module loaded first
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _: api.run("small_chain", save=False), range(4)))
    assert pd.get_option("mode.string_storage") == "auto"
    assert len({r.objective for r in runs}) == 1

