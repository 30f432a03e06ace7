"""The saved results folder: CSV tables with the bytes chainopt always wrote, the two
large insight tables (``ranging``, ``reduced_costs``) as Parquet, and ``explain`` and
``verify`` working on the folder without solving — on new folders and on folders written
before (``ranging.csv``)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import chainopt.csvtext
import chainopt.data
from chainopt import api
from chainopt.cli import app
from chainopt.report import explain as ex
from chainopt.results import COMPACT, TEXT_COLUMNS, Results, stable_floats, text_columns
from tests.conftest import as_written_before_checksums, reseal

runner = CliRunner(env={"COLUMNS": "250"})


def _stable_as_before(df: pd.DataFrame) -> pd.DataFrame:
    """The rounding as chainopt did it before it was vectorised: value by value."""
    out = df.copy()
    for c in [c for c in df.columns if pd.api.types.is_float_dtype(df[c])]:
        out[c] = pd.Series([0.0 if abs(x) < 1e-10 else float(f"{x:.10g}")
                            for x in out[c].to_numpy(dtype=float)], index=out.index, dtype=float)
    return out


def test_saved_csv_tables_have_the_bytes_written_before(tmp_path, monkeypatch):
    """Every CSV table of a run is byte for byte what the old path wrote (per-value
    rounding, then ``to_csv(float_format="%.10g")``), with the column-wise writer forced
    on even for small tables."""
    monkeypatch.setattr(chainopt.csvtext, "SMALL", 0)
    res = api.run("small_chain", out=tmp_path, name="r")
    folder = tmp_path / "r"
    assert len(res.tables) >= 15
    for name, df in res.tables.items():
        if name in COMPACT:
            assert not (folder / f"{name}.csv").exists()
            assert (folder / f"{name}.parquet").is_file()
            continue
        old = _stable_as_before(df).to_csv(index=False, float_format="%.10g",
                                           lineterminator="\n")
        assert (folder / f"{name}.csv").read_bytes() == old.encode(), name


def test_compact_tables_load_as_the_rounded_tables_and_are_reproducible(tmp_path):
    res = api.run("small_chain", out=tmp_path, name="a")
    res.save(tmp_path / "b")
    back = Results.load(tmp_path / "a")
    for name in COMPACT:
        assert len(res.tables[name]) > 0
        pd.testing.assert_frame_equal(back.tables[name], stable_floats(res.tables[name]))
        assert (tmp_path / "a" / f"{name}.parquet").read_bytes() == \
            (tmp_path / "b" / f"{name}.parquet").read_bytes()


def test_compact_tables_dictionary_encode_only_their_repeated_text(tmp_path):
    """In the Parquet files, the text columns whose values repeat (family, period, units)
    are dictionary-encoded; ``key`` (one element per row) and the numbers are not."""
    import pyarrow.parquet as pq

    api.run("small_chain", out=tmp_path, name="r")
    for name in COMPACT:
        group = pq.ParquetFile(tmp_path / "r" / f"{name}.parquet").metadata.row_group(0)
        cols = [group.column(i) for i in range(group.num_columns)]
        dictionary = {c.path_in_schema: "RLE_DICTIONARY" in c.encodings for c in cols}
        assert dictionary["family"] and dictionary["period"], name
        assert not dictionary["key"], name
        numbers = [c.path_in_schema for c in cols if c.physical_type == "DOUBLE"]
        assert numbers and not any(dictionary[c] for c in numbers), name


def test_explain_and_verify_work_on_the_saved_folder(tmp_path):
    """``explain`` (and ``--ranging``) on the folder say what they say on the run's own
    tables; ``verify`` re-runs and finds no difference."""
    res = api.run("small_chain", out=tmp_path, name="r")
    folder = tmp_path / "r"
    tables = {k: stable_floats(v) for k, v in res.tables.items()}
    assert api.explain(folder, ranging=True) == [*ex.header_lines(res.manifest),
                                                 *ex.ranging_lines(
        tables["ranging"], top=15, notes=ex.ranging_notes(res.manifest),
        capacity=tables["capacity"])]
    why = api.explain(folder)
    assert why == ex.why_lines(tables, res.manifest)
    assert "Modes that almost made it:" in why
    assert any("crack_naphtha" in line and "must improve by" in line for line in why)
    done = runner.invoke(app, ["explain", str(folder), "--ranging"])
    assert done.exit_code == 0, done.output
    assert ("supply cost of crude at wsib in p2026: 340 USD per t, plan holds at "
            "least for") in done.output
    assert "more in the ranging table (ranging.parquet)" in done.output
    done = runner.invoke(app, ["verify", str(folder)])
    assert done.exit_code == 0, done.output


def test_a_folder_written_before_still_explains_and_verifies(tmp_path):
    """Migration: a folder with ``ranging.csv`` and ``reduced_costs.csv`` (the format
    before) explains as the new one does and verifies against a fresh run."""
    api.run("small_chain", out=tmp_path, name="r")
    folder = tmp_path / "r"
    why, ranging = api.explain(folder), api.explain(folder, ranging=True)
    as_written_before_checksums(folder)
    for name in COMPACT:
        df = pd.read_parquet(folder / f"{name}.parquet")
        df.to_csv(folder / f"{name}.csv", index=False, float_format="%.10g",
                  lineterminator="\n")
        (folder / f"{name}.parquet").unlink()
    assert api.explain(folder) == why
    assert api.explain(folder, ranging=True) == ranging
    done = runner.invoke(app, ["verify", str(folder)])
    assert done.exit_code == 0, done.output


def test_verify_of_a_folder_from_an_older_chainopt_compares_the_columns_it_has(tmp_path):
    """A folder written before ``flows.carbon_usd_per_unit`` existed (the column dropped)
    and before ``ranging`` was written (its file dropped; both resealed: a folder that
    chainopt wrote, not a damaged one) lacks them: a note, not a difference (exit 0; it
    was exit 5, "column added"). The columns it has are still compared: the gas pipeline
    carries what the gas plant runs, 10,000 kt/yr x availability 0.95 = 9,500 delivered,
    over a loss of 0.005: 9,500 / 0.995 = 9,547.738693 kt/yr; the saved flow scaled by
    1.01 (9,643.21608) is exit 5 naming that cell (before, the column difference hid it:
    only "1 column added" was said)."""
    api.run("small_chain", out=tmp_path, name="r")
    folder = tmp_path / "r"
    flows = folder / "flows.csv"
    df = pd.read_csv(flows, keep_default_na=False, na_values=[""])
    df.drop(columns=["carbon_usd_per_unit"]).to_csv(flows, index=False,
                                                    float_format="%.10g")
    (folder / "ranging.parquet").unlink()
    reseal(folder)
    done = runner.invoke(app, ["verify", str(folder)])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "note: flows.carbon_usd_per_unit: not in the saved folder (written by an " \
        "older chainopt)" in said
    assert "note: ranging: not in the saved folder" in said
    df = df.drop(columns=["carbon_usd_per_unit"])
    gas = df["link"] == "gas_pipe"
    assert df.loc[gas, "flow_k_per_yr"].tolist() == pytest.approx([9500 / 0.995] * 3)
    df.loc[gas, "flow_k_per_yr"] *= 1.01
    df.to_csv(flows, index=False, float_format="%.10g")
    reseal(folder)
    done = runner.invoke(app, ["verify", str(folder)])
    assert done.exit_code == 5, done.output
    said = " ".join(done.output.split())
    assert "3 differences" in said and "3 changed" in said
    assert "flows [link=gas_pipe, commodity=raw_gas, period=p2026, from_site=wsib, " \
        "to_site=tobolsk, transport_mode=pipeline] flow_k_per_yr: 9643.21608 -> " \
        "9547.738693" in said


def test_a_damaged_parquet_table_is_named(tmp_path):
    api.run("small_chain", out=tmp_path, name="r")
    (tmp_path / "r" / "ranging.parquet").write_bytes(b"PAR1 not really")
    done = runner.invoke(app, ["explain", str(tmp_path / "r"), "--ranging"])
    assert done.exit_code == 1, done.output
    assert "ranging.parquet" in done.output and "damaged" in done.output


def test_verify_labels_rows_by_their_keys_leaving_out_empty_ones():
    """Hand check of the row labels verify prints: key columns (the non-numeric ones) as
    ``column=value``, empty or missing values left out."""
    from chainopt.report.drift import _label

    df = pd.DataFrame({"site": ["a", "b", None, ""], "period": ["p1", "", "p2", ""],
                       "value": [1.0, 2.0, 3.0, 4.0]})
    keys = text_columns(df)
    assert keys == ["site", "period"]
    assert _label(df, keys).tolist() == ["site=a, period=p1", "site=b", "period=p2", ""]


# names chainopt accepts (^[a-z][a-z0-9_]*$) that pandas would read as something else
LOOKALIKES = ["true", "false", "inf", "infinity", "nan", "null"]


def test_text_columns_come_back_as_text_whatever_their_names_look_like(tmp_path):
    """A CSV file does not say which columns are text: the manifest does. Saved and
    loaded, a column holding only ``true``/``false`` stays text (pandas alone reads
    booleans), ``inf``/``infinity`` stay text (pandas: float inf) — while a number
    column holding inf stays a float and a boolean column stays boolean."""
    t = pd.DataFrame({"commodity": LOOKALIKES, "flag": ["true", "false"] * 3,
                      "value": [1.5, float("inf"), -float("inf"), 0.0, 2.0, 3.0],
                      "binding": [True, False, True, False, True, False]})
    one = pd.DataFrame({"site": ["inf"], "x": [1.0]})
    none = one.iloc[0:0]  # no row to guess from: its number column still reads as floats
    Results(tables={"t": t, "one": one, "none": none}, manifest={"objective": 1.0}).save(
        tmp_path / "r")
    back = Results.load(tmp_path / "r")
    assert back.manifest[TEXT_COLUMNS] == {"none": ["site"], "one": ["site"],
                                           "t": ["commodity", "flag"]}
    assert back.tables["none"]["x"].dtype == float
    assert back.tables["t"]["commodity"].tolist() == LOOKALIKES
    assert back.tables["t"]["flag"].tolist() == ["true", "false"] * 3
    assert back.tables["t"]["value"].tolist() == [1.5, float("inf"), -float("inf"), 0, 2, 3]
    assert back.tables["t"]["binding"].dtype == bool
    assert back.tables["one"]["site"].tolist() == ["inf"]
    assert text_columns(back.tables["t"]) == ["commodity", "flag"]


def test_a_blank_text_cell_comes_back_as_the_empty_text_it_was(tmp_path):
    """The projects table's ``ramp_up`` of a project without a ramp-up is "" in a run;
    saved and loaded it came back NaN (a blank CSV cell read as missing), so a loaded
    run differed from the run that wrote it (found by the fuzz: every project without
    a ramp-up). A blank text cell now reads as "", a blank number still as NaN."""
    t = pd.DataFrame({"project": ["a", "b"], "ramp_up": ["0.5;0.8", ""],
                      "built_share": [1.0, float("nan")]})
    Results(tables={"projects": t}, manifest={"objective": 1.0}).save(tmp_path / "r")
    back = Results.load(tmp_path / "r").tables["projects"]
    assert back["ramp_up"].tolist() == ["0.5;0.8", ""]
    assert back["built_share"].iloc[0] == 1.0 and np.isnan(back["built_share"].iloc[1])


def test_a_folder_without_the_text_columns_is_read_as_before(tmp_path):
    """Folders written before the manifest listed text columns: pandas guesses, as it
    always did (a column of only ``true`` reads as booleans)."""
    t = pd.DataFrame({"commodity": ["true", "false"], "value": [1.0, 2.0]})
    Results(tables={"t": t}, manifest={"objective": 1.0}).save(tmp_path / "r")
    mf = tmp_path / "r" / "manifest.json"
    m = json.loads(mf.read_text())
    del m[TEXT_COLUMNS]
    mf.write_text(json.dumps(m))
    assert Results.load(tmp_path / "r").tables["t"]["commodity"].tolist() == [True, False]


def test_verify_passes_on_a_case_whose_names_look_like_booleans(tmp_path):
    """small_chain with its emission commodity co2 renamed ``true`` (a legal name): the
    emissions table's commodity column holds only ``true``. Read back as booleans, verify
    found 9 differences in the unchanged folder; now it finds none."""
    case = tmp_path / "case"
    shutil.copytree(Path(chainopt.data.__file__).parent / "small_chain", case,
                    ignore=shutil.ignore_patterns("__pycache__"))
    for f in case.iterdir():
        if f.suffix in (".csv", ".yaml"):
            f.write_text(re.sub(r"\bco2\b", "true", f.read_text()))
    res = api.run(str(case), out=tmp_path / "out", name="r")
    assert set(res.tables["emissions"]["commodity"]) == {"true"}
    saved = Results.load(tmp_path / "out" / "r")
    assert saved.tables["emissions"]["commodity"].tolist() == \
        res.tables["emissions"]["commodity"].tolist()
    done = runner.invoke(app, ["verify", str(tmp_path / "out" / "r")])
    assert done.exit_code == 0, done.output


def test_a_saved_folder_reads_back_as_the_runs_own_tables(tmp_path):
    """Every table with rows, read back from the folder, equals the run's (as written:
    ``stable_floats``), dtypes included: a column of whole numbers (a supply tier, a
    price of 600) is the float it was, not an integer, and the text is kept as the run
    kept it (API review F9: ``df.equals`` was False between a run and its folder)."""
    res = api.run("small_chain", out=tmp_path, name="r")
    back = Results.load(tmp_path / "r")
    checked = 0
    for name, df in res.tables.items():
        if len(df):
            pd.testing.assert_frame_equal(back.tables[name], stable_floats(df))
            checked += 1
    assert checked >= 15
    whole = back.tables["purchases"]["tier"]
    assert whole.dtype == np.float64 and (whole == whole.round()).all()


def test_a_kpi_not_held_for_the_period_asked_says_where_it_is(tmp_path):
    """The toy makes 10 kt/yr of product (unit u's capacity) sold at 400 USD/t: revenue
    10 x 400 / 1000 = 4.0 MUSD in its one 1-year period at rate 0, so npv_revenue (whole
    horizon) and cashflow_revenue (p1) are both 4.0. ``kpi("npv_revenue", period="p1")``
    was a bare KeyError ("no KPI 'npv_revenue' for period 'p1'"), not the ChainoptError
    the README promises; now an InputError (exit 1; still a KeyError) naming where the
    KPI exists and its per-period twin, and a misspelt name gets the one meant."""
    from chainopt import api
    from chainopt.errors import InputError
    from tests.toycase import FEED_TO_PRODUCT, write_case

    folder = write_case(tmp_path / "k", {
        **FEED_TO_PRODUCT, "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,10"})
    res = api.run(folder, save=False)
    assert res.kpi("npv_revenue") == pytest.approx(4.0)
    assert res.kpi("cashflow_revenue", "p1") == pytest.approx(4.0)
    with pytest.raises(InputError, match=r"no KPI 'npv_revenue' for period 'p1'; it exists "
                       r"for the whole horizon only \(period ''\); per period: "
                       r"cashflow_revenue") as exc:
        res.kpi("npv_revenue", period="p1")
    assert exc.value.exit_code == 1 and isinstance(exc.value, KeyError)
    with pytest.raises(InputError, match=r"for the whole horizon \(period ''\); it exists "
                       r"for periods 'p1'"):
        res.kpi("cashflow_revenue")
    with pytest.raises(KeyError, match="did you mean 'npv_revenue'"):
        res.kpi("npv_revenu")


def test_a_run_writes_its_tables_as_it_makes_them_the_bytes_save_writes(tmp_path,
                                                                        monkeypatch):
    """``run`` hands each table to the writer once it is final, while it makes the others
    (every table but none of them at the end), and its folder is byte for byte the one
    ``Results.save`` writes of the same results: no table changed after it was written."""
    from chainopt import results as results_module

    handed: list[str] = []
    finished: list[int] = []
    write, finish = results_module.TableWriter.write, results_module.TableWriter.finish

    def spy_write(self, name, df):
        if not finished:
            handed.append(name)
        return write(self, name, df)

    def spy_finish(self, results, extra=None):
        finished.append(len(handed))
        return finish(self, results, extra)

    monkeypatch.setattr(results_module.TableWriter, "write", spy_write)
    monkeypatch.setattr(results_module.TableWriter, "finish", spy_finish)
    res = api.run("small_chain", out=tmp_path, name="run")
    assert finished and sorted(handed) == sorted(res.tables)
    res.save(tmp_path / "saved")
    run_m, saved_m = (json.loads((tmp_path / f / "manifest.json").read_text())
                      for f in ("run", "saved"))
    assert run_m["table_files"] == saved_m["table_files"]
    for entry in run_m["table_files"].values():
        assert ((tmp_path / "run" / entry["file"]).read_bytes()
                == (tmp_path / "saved" / entry["file"]).read_bytes())


def test_the_writer_writes_again_a_table_replaced_and_drops_one_gone(tmp_path):
    """A table whose name the results give another frame after it was handed over is
    written again (the final frame's bytes); one handed over but not in the results is
    not left in the folder; the rest are written by ``finish``."""
    from chainopt.results import TableWriter

    first = pd.DataFrame({"name": ["a", "b"], "value": [1.0, 2.0]})
    final = pd.DataFrame({"name": ["a", "b"], "value": [1.5, 2.5]})
    writer = TableWriter(tmp_path)
    try:
        writer.write("kpis", first)
        writer.write("gone", first)
        res = Results(tables={"kpis": final, "other": first}, manifest={"timings_s": {}})
        writer.finish(res)
    finally:
        writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpis.csv", "manifest.json",
                                                          "other.csv"]
    assert (tmp_path / "kpis.csv").read_text() == "name,value\na,1.5\nb,2.5\n"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert sorted(manifest["table_files"]) == ["kpis", "other"]
    assert manifest["timings_s"]["save_s"] >= 0


def test_a_run_failing_after_writing_tables_leaves_nothing(tmp_path, monkeypatch):
    """A run that fails once some tables are written (here: in the manifest's last step)
    leaves no folder and no temporary leftovers, and an earlier folder of that name
    stays as it was."""
    from chainopt import api as api_module

    api.run("small_chain", out=tmp_path, name="a")
    before = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}

    def broken(*_a, **_k):
        raise RuntimeError("late failure")

    monkeypatch.setattr(api_module, "uneven_periods", broken)
    for name in ("a", "b"):
        with pytest.raises(RuntimeError, match="late failure"):
            api.run("small_chain", out=tmp_path, name=name, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()} == before


def test_rows_are_the_named_tuples_of_itertuples():
    """``results.rows`` gives what ``DataFrame.itertuples()`` gives, field for field and
    type for type: Arrow text with a missing value (NaN), floats with NaN, integers,
    booleans, mixed objects, a column name that is no identifier (renamed ``_5`` as
    itertuples renames it), an index that is not 0..n-1, and no rows at all."""
    import numpy as np

    from chainopt.results import rows

    df = pd.DataFrame({"a": pd.Series(["x", None, "z"], dtype="str"), "b": [1.5, np.nan, 3.0],
                       "c": [1, 2, 3], "d": [True, False, True], "not valid": ["p", "q", "r"],
                       "o": pd.Series([None, "k", 3], dtype=object)})
    df.index = [5, 6, 7]
    want, got = list(df.itertuples()), list(rows(df))
    assert [r._fields for r in got] == [r._fields for r in want]
    assert got[0]._fields == ("Index", "a", "b", "c", "d", "_5", "o")
    for w, g in zip(want, got, strict=True):
        for x, y in zip(w, g, strict=True):
            assert type(x) is type(y) and (x == y or (x != x and y != y)), (x, y)
    assert got[1].Index == 6 and got[2].o == 3 and got[0].a == "x"
    assert list(rows(df.iloc[0:0])) == []
