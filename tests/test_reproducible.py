"""Reproducible results for CI: input hash, verify, golden snapshots."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from chainopt import api
from chainopt.case.digest import case_hash
from chainopt.cli import app
from chainopt.errors import ResultsDifferError
from tests.conftest import reseal

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "chainopt" / "data" / "small_chain"


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SMALL, tmp_path / "case"))


def test_hash_ignores_column_order_and_formatting_but_not_row_order(tmp_path):
    """Columns in another order, prices written ``560.000`` and CRLF line endings are the
    same inputs (same hash). Rows in another order are not: the LP is built in row order,
    and with every row of small_chain reversed HiGHS lands on another optimal vertex of
    the same LP: the unused polymer route to China (rail tobolsk -> nakhodka, then sea
    nakhodka -> chn) costs 138 USD/t more than it earns, and that -138 USD/t reduced cost
    sits on ``port_sea`` in file order and on ``rail_east`` reversed (either is a valid
    dual; the objective is the same). So reversed rows must hash differently, else
    ``verify`` would pass the inputs check and then report a changed answer (exit 5)."""
    folder = _copy(tmp_path)
    before = case_hash(api.load_case(folder))
    df = pd.read_csv(folder / "markets.csv", dtype=str, keep_default_na=False)
    df = df[list(reversed(df.columns))]
    df["price_usd_per_unit"] = df["price_usd_per_unit"].map(lambda v: f"{float(v):.3f}")
    df.to_csv(folder / "markets.csv", index=False, lineterminator="\r\n")
    assert case_hash(api.load_case(folder)) == before
    df.iloc[::-1].to_csv(folder / "markets.csv", index=False)
    assert case_hash(api.load_case(folder)) != before


def test_reordered_rows_are_other_inputs_but_folders_written_before_still_verify(tmp_path):
    """A folder made from the case in file order, verified after markets.csv's rows are
    reversed: exit 6 (inputs changed), not a re-run that may land on another vertex.
    A folder written before row order counted records the hash of the rows sorted by key;
    it still verifies (exit 0), as it did then."""
    import json

    folder = _copy(tmp_path)
    api.run(folder, out=tmp_path / "results", name="r")
    runner = CliRunner(env={"COLUMNS": "200"})
    mf = tmp_path / "results" / "r" / "manifest.json"
    m = json.loads(mf.read_text())
    m["input_hash"] = case_hash(api.load_case(folder), rows_by_key=True)
    mf.write_text(json.dumps(m))
    done = runner.invoke(app, ["verify", str(mf.parent)])
    assert done.exit_code == 0, done.output
    df = pd.read_csv(folder / "markets.csv", dtype=str, keep_default_na=False)
    api.run(folder, out=tmp_path / "results", name="r", overwrite=True)
    df.iloc[::-1].to_csv(folder / "markets.csv", index=False)
    done = runner.invoke(app, ["verify", str(mf.parent)])
    assert done.exit_code == 6, done.output


def test_editing_one_value_changes_the_hash_and_verify_says_inputs_changed(tmp_path):
    folder = _copy(tmp_path)
    api.run(folder, out=tmp_path / "results", name="r")
    runner = CliRunner(env={"COLUMNS": "200"})
    ok = runner.invoke(app, ["verify", str(tmp_path / "results" / "r")])
    assert ok.exit_code == 0, ok.output
    text = (folder / "supplies.csv").read_text().replace("wsib,crude,340", "wsib,crude,341")
    (folder / "supplies.csv").write_text(text)
    res = runner.invoke(app, ["verify", str(tmp_path / "results" / "r")])
    assert res.exit_code == 6, res.output
    assert "inputs changed" in " ".join(res.output.split())


def test_verify_reports_a_changed_answer(tmp_path):
    """Tamper with a saved table (as if the model had changed): exit 5, naming the cell."""
    folder = _copy(tmp_path)
    api.run(folder, out=tmp_path / "results", name="r")
    flows = tmp_path / "results" / "r" / "flows.csv"
    df = pd.read_csv(flows, keep_default_na=False, na_values=[""])
    df.loc[df["link"] == "gas_pipe", "flow_k_per_yr"] *= 1.01
    df.to_csv(flows, index=False)
    reseal(flows.parent)  # a folder chainopt wrote with that answer, not a damaged one
    res = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["verify", str(flows.parent)])
    assert res.exit_code == 5, res.output
    out = " ".join(res.output.split())
    assert "results differ" in out and "flows" in out and "link=gas_pipe" in out
    assert f"re-ran {folder}" in out  # what was re-run (review walk3 F2)
    loose = CliRunner().invoke(app, ["verify", str(flows.parent), "--rtol", "0.02"])
    assert loose.exit_code == 0, loose.output


def test_perturbed_golden_file_fails_with_a_named_diff_and_tolerance_fixes_it(tmp_path):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        api.snapshot_write(["small_chain"], tmp_path)
        path = tmp_path / "small_chain.yaml"
        doc = yaml.safe_load(path.read_text())
        golden = doc["objective_musd"]
        doc["objective_musd"] = golden * 1.001  # 0.1 % off
        path.write_text(yaml.safe_dump(doc))
        with pytest.raises(ResultsDifferError, match=r"objective_musd: .* -> "):
            api.snapshot_check(tmp_path, rtol=1e-5)
        assert api.snapshot_check(tmp_path, rtol=1.1e-3) == {}
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("snapshot", sorted(p.name for p in (ROOT / "snapshots").glob("*.yaml")))
def test_shipped_snapshots_reproduce(snapshot, tmp_path):
    """Each committed golden file under snapshots/ matches a fresh run of its source
    (one test per file, so that parallel workers share them out: partial, as the others
    of its set are checked by their own tests)."""
    shutil.copy(ROOT / "snapshots" / snapshot, tmp_path / snapshot)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert api.snapshot_check(tmp_path, partial=True) == {}
    finally:
        os.chdir(cwd)


def test_shipped_snapshots_cover_every_embedded_case_and_scenario(monkeypatch):
    """snapshots/ held 34 files for 2 embedded cases and 34 scenarios: ru_annual and
    ru_all_projects_annual (added later) had none, and snapshot check said ok. The set
    is checked as snapshot check now does (nothing missing), and so are the embedded
    cases, which snapshot check does not ask for."""
    monkeypatch.chdir(ROOT)
    reruns = [yaml.safe_load(f.read_text())["rerun"] for f in (ROOT / "snapshots").glob(
        "*.yaml")]
    assert len(reruns) == 2 + len(list((ROOT / "scenarios").glob("*.yaml")))
    assert api.snapshots_missing(reruns) == []
    assert set(api.embedded_cases()) <= set(reruns)


def test_two_runs_give_byte_identical_tables(tmp_path):
    """Same inputs, version and solver options: every CSV identical to the byte."""
    for out in ("a", "b"):
        api.run("small_chain", out=tmp_path / out, name="r")
    a, b = tmp_path / "a" / "r", tmp_path / "b" / "r"
    names = sorted(p.name for p in a.glob("*.csv"))
    assert names == sorted(p.name for p in b.glob("*.csv")) and len(names) >= 10
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert b"created_utc" not in b"".join((a / n).read_bytes() for n in names)


def test_solver_noise_cannot_flip_a_printed_digit():
    """10 significant digits, noise below 1e-10 and -0 written as 0."""
    from chainopt.results import stable_floats

    df = pd.DataFrame({"k": ["x", "y", "z", "w"],
                       "v": [7780.429541497478, 7780.429541497481, -1e-13, -0.0]})
    # the first two differ in the 16th digit (solver noise) and print the same
    out = stable_floats(df)
    assert out["v"].tolist() == [7780.429541, 7780.429541, 0.0, 0.0]
    assert str(out["v"].iloc[3]) == "0.0" and df["v"].iloc[2] == -1e-13  # input untouched
    assert out.to_csv(index=False, float_format="%.10g").splitlines()[1:] == [
        "x,7780.429541", "y,7780.429541", "z,0", "w,0"]


def test_verify_finds_the_source_of_a_run_made_on_another_machine(tmp_path, monkeypatch):
    """A committed results folder records absolute paths of the machine that made it;
    verify finds the embedded case, or the path's tail below the working directory."""
    import json

    case = Path(shutil.copytree(SMALL, tmp_path / "proj" / "case"))
    for src, recorded in (("small_chain", "/ci/old/chainopt/data/small_chain"),
                          (case, "/home/someone/proj/case")):
        res = api.run(src, out=tmp_path / "res", name="r", overwrite=True)
        manifest = tmp_path / "res" / "r" / "manifest.json"
        m = json.loads(manifest.read_text())
        m["source"] = m["case_origin"] = recorded
        manifest.write_text(json.dumps(m))
        monkeypatch.chdir(tmp_path)
        assert api.verify(tmp_path / "res" / "r").empty, recorded
        assert res.manifest["input_hash"] == m["input_hash"]


def test_a_case_run_by_compare_records_its_absolute_path(tmp_path, monkeypatch):
    """``compare`` and ``run A B`` hand the loaded case to the run: the manifest recorded
    its path as given (``case``, relative), so ``verify`` from another folder did not find
    it (exit 1: "no case folder or embedded case of this name"). The folder is recorded
    as an absolute path, as ``run CASE`` records it; verify from elsewhere re-runs it and
    finds the same answer (the same case, solved twice: no difference)."""
    import json

    _copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    [outcome] = api.run_many(["case"], out="res", jobs=1)
    assert outcome.ok, outcome.error
    m = json.loads((tmp_path / "res" / "small_chain" / "manifest.json").read_text())
    assert m["source"] == str((tmp_path / "case").resolve())
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    done = CliRunner().invoke(app, ["verify", str(tmp_path / "res" / "small_chain")])
    assert done.exit_code == 0, done.output


def test_verify_reruns_the_scenario_not_its_base_found_at_the_same_path(tmp_path,
                                                                        monkeypatch):
    """A scenario's results record its file (``source``) and its base case's folder
    (``case_origin``). Made on another machine, the scenario file is found below the
    working directory by its tail (scenarios/high.yaml), while the base may sit at the
    same path on both (an embedded case inside the installed package): verify took the
    base, which hashed differently, and said the inputs had changed (exit 6).

    Base: crude bought for 100 USD/t (at most 10 k t/yr) and sold for 150, one year at
    rate 0: 10 x 50 = 0.5 MUSD. The scenario sells at 170: 10 x 70 = 0.7 MUSD. verify
    re-runs the scenario: same inputs, same 0.7, exit 0."""
    import json

    base = tmp_path / "base"
    base.mkdir()
    for name, text in {
            "case.yaml": "format_version: 1\nname: base\nbase_year: 2026\n"
                         "discount_rate: 0\nperiods:\n"
                         "  - {period: p1, start_year: 2026, length_yr: 1}\n",
            "commodities.csv": "commodity,unit,kind\ncrude,t,raw\n",
            "sites.csv": "site\na\n",
            "supplies.csv": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10\n",
            "markets.csv": "site,commodity,price_usd_per_unit\na,crude,150\n"}.items():
        (base / name).write_text(text)
    (tmp_path / "scenarios").mkdir()
    scenario = tmp_path / "scenarios" / "high.yaml"
    scenario.write_text(f"name: high\nbase: {base}\nchanges:\n  - table: markets\n"
                        "    set: {price_usd_per_unit: 170}\n")
    assert api.run(base, save=False).manifest["objective"] == pytest.approx(0.5)
    res = api.run(scenario, out=tmp_path / "res")
    assert res.manifest["objective"] == pytest.approx(0.7)
    manifest = tmp_path / "res" / "high" / "manifest.json"
    m = json.loads(manifest.read_text())
    assert Path(m["case_origin"]).resolve() == base.resolve()  # exists here too
    m["source"] = "/home/someone/proj/scenarios/high.yaml"
    manifest.write_text(json.dumps(m))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "res" / "high")])
    assert result.exit_code == 0, result.output


TINY = {"commodities": "commodity,unit,kind\ncrude,t,raw", "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,5",
        "markets": "site,commodity,price_usd_per_unit\na,crude,290"}


def _edit_sales(folder: Path, value: str) -> None:
    """Set the one row's sales_k_per_yr of ``folder``'s sales.csv to ``value``."""
    path = folder / "sales.csv"
    head, row = path.read_text().splitlines()
    cells = row.split(",")
    cells[head.split(",").index("sales_k_per_yr")] = value
    path.write_text(f"{head}\n{','.join(cells)}\n")


def test_verify_names_the_cell_of_a_table_edited_by_hand(tmp_path):
    """5 kt/yr of crude bought at 100 USD/t and sold at 290 (one year, rate 0): sales.csv
    has one row, site a, crude, p1, selling 5 kt/yr. Its 5 edited to 6 by hand: verify
    said only that sales.csv's SHA-256 differs ("damaged results table"); it now also
    re-runs the recorded inputs and names the row and column edited: "row site=a,
    commodity=crude, period=p1, column sales_k_per_yr: the file says 6, a re-run gives
    5" (exit 1, damaged, not exit 5: the answer did not change, the file did)."""
    from tests.toycase import write_case

    case = write_case(tmp_path / "tiny", TINY)
    api.run(case, out=tmp_path / "results", name="r")
    folder = tmp_path / "results" / "r"
    _edit_sales(folder, "6")
    res = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["verify", str(folder)])
    assert res.exit_code == 1, res.output
    out = " ".join(res.output.split())
    assert (f"{folder / 'sales.csv'}: damaged results table: edited since chainopt wrote it"
            ) in out
    assert ("row site=a, commodity=crude, period=p1, column sales_k_per_yr: the file says "
            "6, a re-run gives 5") in out
    assert "run the case again" in out


def _crlf(folder: Path) -> int:
    """Every CSV file of ``folder`` with CRLF line endings, as git's core.autocrlf=true
    checks a committed folder out on Windows; returns how many files."""
    files = sorted(folder.glob("*.csv"))
    for p in files:
        p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    return len(files)


def test_a_results_folder_checked_out_with_crlf_line_endings_still_reads(tmp_path):
    """5 kt/yr of crude bought at 100 and sold at 290: objective 5 x 190 / 1000 = 0.95
    MUSD. Its folder with every CSV file's line endings made CRLF (a repository checked
    out with core.autocrlf=true): verify gave exit 1 with one "damaged results table"
    per CSV file (21 on a real run), explain and report exit 1. Now a table whose only
    change is CRLF is the file chainopt wrote: verify exit 0, explain and report exit 0,
    Results.load reads 0.95. A number edited as well (sales 5 -> 6, CRLF kept) is still
    damaged, naming the cell; a comparison folder made CRLF reads back too."""
    from chainopt.report import compare as cmp
    from chainopt.results import Results
    from tests.toycase import write_case

    case = write_case(tmp_path / "tiny", TINY)
    api.run(case, out=tmp_path / "results", name="r")
    folder = tmp_path / "results" / "r"
    assert _crlf(folder) > 5
    assert b"\r\n" in (folder / "sales.csv").read_bytes()
    assert Results.load(folder).manifest["objective"] == pytest.approx(0.95)
    cli = CliRunner(env={"COLUMNS": "250"})
    for args in (["verify", str(folder)], ["explain", str(folder)],
                 ["report", str(folder)]):
        res = cli.invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
    path = folder / "sales.csv"
    head, row = path.read_text().splitlines()  # (universal newlines: CR dropped)
    cells = row.split(",")
    cells[head.split(",").index("sales_k_per_yr")] = "6"
    path.write_bytes(f"{head}\r\n{','.join(cells)}\r\n".encode())
    res = cli.invoke(app, ["verify", str(folder)])
    assert res.exit_code == 1, res.output
    out = " ".join(res.output.split())
    assert "column sales_k_per_yr: the file says 6, a re-run gives 5" in out, out
    two = write_case(tmp_path / "two", TINY, name="two")
    _, _, cfolder = api.compare([str(case), str(two)], out=tmp_path / "cmp", jobs=1)
    before = cmp.read_tables(cfolder)
    assert _crlf(cfolder) > 5
    after = cmp.read_tables(cfolder)
    assert sorted(after) == sorted(before)
    pd.testing.assert_frame_equal(after["objective"], before["objective"])


def test_verify_compares_the_status_and_names_what_made_each_run(tmp_path, monkeypatch):
    """The tiny case's run (objective 5 x 190 / 1000 = 0.95 MUSD, selling 5 kt/yr) as if
    solved by HiGHS 1.0.0 and selling 6 kt/yr (resealed: a folder chainopt wrote with
    that answer), re-run on a machine where it stops at its time limit with a plan
    (status feasible). verify compared the objective and the tables, not the status, and
    did not say what made either run; now exit 5 names the status (optimal -> feasible,
    and that the re-run stopped at its recorded time limit, the schema's default 600 s),
    the cell (6 -> 5) and "made by: highs 1.0.0 ->" this HiGHS. What says how or where a
    run was made (timings, date, versions) is never a difference: the run with its
    timings, date and HiGHS version changed and its answer intact verifies."""
    import json

    from chainopt.solve import made_by
    from tests.toycase import write_case

    case = write_case(tmp_path / "tiny", TINY)
    api.run(case, out=tmp_path / "results", name="r")
    folder = tmp_path / "results" / "r"
    mf = folder / "manifest.json"
    m = json.loads(mf.read_text())
    m["timings_s"] = {k: 99.0 for k in m["timings_s"]}
    m["created_utc"], m["versions"]["highs"] = "2020-01-01T00:00:00+00:00", "1.0.0"
    mf.write_text(json.dumps(m))
    assert len(api.verify(folder)) == 0
    _edit_sales(folder, "6")
    reseal(folder)
    _runs_stop_at_their_time_limit(monkeypatch)
    with pytest.raises(ResultsDifferError) as exc:
        api.verify(folder)
    text = str(exc.value)
    assert "manifest status: optimal -> feasible" in text
    assert "the re-run stopped at its time limit (600 s, as the run recorded)" in text
    assert "sales [site=a, commodity=crude, period=p1] sales_k_per_yr: 6 -> 5" in text
    assert f"made by: highs 1.0.0 -> {made_by()['highs']}" in text


@pytest.mark.parametrize("jobs", [1, 2])
def test_snapshot_check_says_when_the_inputs_changed_since_it_was_written(tmp_path, jobs):
    """The tiny case's snapshot (objective 5 x (290 - 100) / 1000 = 0.95 MUSD). Its
    market capped at 100 kt/yr, far above the 5 kt/yr of crude there is: the same
    figures, other inputs. snapshot check passed (exit 0) and, with crude at 110 USD/t
    (objective 5 x 180 / 1000 = 0.9), said only that the figures drifted (exit 5). A
    snapshot now records its input hash: both are exit 6, "inputs changed", the first
    saying its figures are the same, the second with the objective's 0.95 -> 0.9. The
    same re-run in worker processes (two jobs, and a second snapshot beside it)."""
    from chainopt.errors import InputsChangedError
    from tests.toycase import write_case

    case = write_case(tmp_path / "tiny", TINY)
    other = write_case(tmp_path / "same", TINY, name="same")
    api.snapshot_write([str(case), str(other)], tmp_path / "snap")
    assert api.snapshot_check(tmp_path / "snap", jobs=jobs) == {}
    write_case(case, {"markets": "site,commodity,price_usd_per_unit,max_k_per_yr\n"
                                 "a,crude,290,100"})
    with pytest.raises(InputsChangedError, match=r"(?s)1 of 2 snapshots were written from "
                       r"other inputs \(toy\).*inputs changed: .*tiny now hashes to .*\(its "
                       r"figures are the same\)"):
        api.snapshot_check(tmp_path / "snap", jobs=jobs)
    write_case(case, {"supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                                  "a,crude,110,5"})
    with pytest.raises(InputsChangedError, match=r"(?s)inputs changed: .*~ objective_musd: "
                       r"0\.95 -> 0\.9 "):
        api.snapshot_check(tmp_path / "snap", jobs=jobs)
    assert "input_hash" in yaml.safe_load((tmp_path / "snap" / "toy.yaml").read_text())


def test_snapshot_write_refuses_a_run_stopped_at_its_time_limit(tmp_path, monkeypatch):
    """A run stopped at its time limit with a plan not proven optimal (status feasible)
    holds figures wherever the clock stopped: snapshot write wrote them as golden. Now
    it is refused (exit 1) naming the source and what to do, and nothing is written."""
    from chainopt.errors import InputError
    from tests.toycase import write_case

    case = write_case(tmp_path / "tiny", TINY)
    _runs_stop_at_their_time_limit(monkeypatch)
    with pytest.raises(InputError, match=r"its run stopped at its time limit .*status "
                       r"'feasible'") as exc:
        api.snapshot_write([str(case)], tmp_path / "snap")
    assert exc.value.problems[0].where == str(case)
    assert "time_limit_s" in exc.value.problems[0].hint
    assert not list((tmp_path / "snap").glob("*.yaml"))


def _runs_stop_at_their_time_limit(monkeypatch) -> None:
    """``api.run`` as if every run stopped at its time limit with a plan not proven
    optimal: its plan and figures as solved, status ``feasible``."""
    real = api.run

    def stopped(*args, **kwargs):
        res = real(*args, **kwargs)
        res.manifest["status"] = "feasible"
        return res

    monkeypatch.setattr(api, "run", stopped)


def test_decks_and_workbooks_are_the_same_bytes_when_written_again(tmp_path, monkeypatch):
    """A deck, a results workbook, a comparison workbook and a case workbook written
    twice from the same content, an hour apart (the clock moved on by 3,600 s), are the
    same bytes: every zip entry is dated 1980-01-01 00:00 and openpyxl's save time is
    left out of docProps/core.xml. They differed in their entries' dates (the deck:
    its only difference) and the workbooks in that save time too. (results.xlsx of two
    runs still differs in its manifest sheet, the run's timings, as manifest.json.)"""
    import time
    import zipfile

    from chainopt import ooxml
    from chainopt.case.excel import write_workbook
    from chainopt.case.load import read_raw
    from chainopt.report import compare, deck
    from chainopt.report.excel import write_results_workbook

    kpis = pd.DataFrame({"kpi": ["objective", "npv_revenue"], "period": "",
                         "value": [1.5, 2.5], "unit": "MUSD"})
    sections = {"objective": pd.DataFrame({"kpi (MUSD, NPV)": ["objective"], "a": [1.0],
                                           "b": [2.0], "Δ b": [1.0]})}
    folder = compare.save(sections, ["a", "b"], tmp_path / "compare-x")
    writers = {
        "deck.pptx": lambda p: deck.run_deck({"kpis": kpis}, {"objective": 1.5}, p),
        "results.xlsx": lambda p: write_results_workbook({"kpis": kpis}, {"case": "x"}, p),
        "comparison.xlsx": lambda p: deck.workbook(folder, p),
        "case.xlsx": lambda p: write_workbook(read_raw(SMALL), p)}
    real = time.time
    for shift, where in ((0.0, tmp_path / "one"), (3600.0, tmp_path / "two")):
        monkeypatch.setattr(time, "time", lambda s=shift: real() + s)
        where.mkdir()
        for name, write in writers.items():
            write(where / name)
    monkeypatch.setattr(time, "time", real)
    for name in writers:
        one, two = tmp_path / "one" / name, tmp_path / "two" / name
        assert one.read_bytes() == two.read_bytes(), name
        with zipfile.ZipFile(one) as z:
            assert {i.date_time for i in z.infolist()} == {ooxml.FIXED_DATE}, name
            if ooxml.CORE in z.namelist():
                assert b"dcterms:modified" not in z.read(ooxml.CORE), name


def test_snapshot_check_on_the_command_line_with_two_jobs(tmp_path):
    """`chainopt snapshot check --jobs 2`: two tiny cases (0.95 MUSD each) re-run in two
    processes reproduce (exit 0); with one case's crude at 110 USD/t (0.9 MUSD) it
    names that snapshot alone, with the objective's 0.95 -> 0.9 (exit 6: its inputs
    changed)."""
    from tests.toycase import write_case

    one = write_case(tmp_path / "one", TINY, name="one")
    write_case(tmp_path / "two", TINY, name="two")
    api.snapshot_write([str(one), str(tmp_path / "two")], tmp_path / "snap")
    runner = CliRunner(env={"COLUMNS": "200"})
    done = runner.invoke(app, ["snapshot", "check", "--dir", str(tmp_path / "snap"),
                               "--jobs", "2"])
    assert done.exit_code == 0, done.output
    assert "every snapshot in" in done.output
    write_case(one, {"supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                                 "a,crude,110,5"})
    done = runner.invoke(app, ["snapshot", "check", "--dir", str(tmp_path / "snap"),
                               "--jobs", "2"])
    text = " ".join(done.output.split())
    assert done.exit_code == 6, done.output
    assert "1 of 2 snapshots were written from other inputs (one)" in text, text
    assert "objective_musd: 0.95 -> 0.9" in text, text


@pytest.mark.parametrize("jobs", [1, 2])
def test_snapshot_check_finds_moved_sources_and_names_every_snapshot_it_cannot_rerun(
        tmp_path, monkeypatch, jobs):
    """Two tiny cases (objective 5 x 190 / 1000 = 0.95 MUSD), one and two, snapshotted
    from repo/ with relative rerun: paths (cases/one, cases/two). Checked from another
    folder, out/: it stopped at the first, "cases/one: no case folder ...", naming
    neither the snapshot file nor the second failure. Now exit 1 names both snapshot
    files, each with its rerun path, and says where relative paths resolve (the working
    directory: run from the checkout root), in a head saying 2 of 2 could not be re-run
    (2 problems: that head was counted as a third). Snapshots written with absolute paths in
    repo/ and checked after repo/ moved to moved/ (from moved/): the recorded path is gone,
    its tail cases/one is found below the working directory, as verify does: exit 0.
    With two jobs, re-run in worker processes: each error comes back whole."""
    from chainopt.errors import InputError
    from tests.toycase import write_case

    repo = tmp_path / "repo"
    write_case(repo / "cases" / "one", TINY, name="one")
    write_case(repo / "cases" / "two", TINY, name="two")
    monkeypatch.chdir(repo)
    api.snapshot_write(["cases/one", "cases/two"], "snaps")
    api.snapshot_write([str(repo / "cases" / "one"), str(repo / "cases" / "two")], "abs")
    assert api.snapshot_check("snaps") == {}
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path / "out")
    with pytest.raises(InputError) as exc:
        api.snapshot_check(repo / "snaps", jobs=jobs)
    wheres = [p.where for p in exc.value.problems]
    assert wheres[:2] == [f"{repo / 'snaps' / 'one.yaml'}: rerun cases/one",
                          f"{repo / 'snaps' / 'two.yaml'}: rerun cases/two"], wheres
    assert "resolves against the working directory" in exc.value.problems[0].hint
    # the summary is the message's head, not a third problem (review s25 F8: "3 problems")
    assert len(exc.value.problems) == 2
    assert str(exc.value).startswith(f"2 of 2 snapshots in {repo / 'snaps'} could not be "
                                     "re-run (2 problems in the input):\n")
    repo.rename(tmp_path / "moved")
    monkeypatch.chdir(tmp_path / "moved")
    assert api.snapshot_check("abs", jobs=jobs) == {}


def test_verify_says_where_to_run_it_when_its_source_is_not_found(tmp_path, monkeypatch):
    """A run of repo/cases/one saved with its absolute source, repo/ then moved to
    moved/. verify from moved/ finds cases/one by the path's tail (exit 0); from
    tmp_path it said "... no case folder or embedded case of this name; give a folder
    holding case.yaml", an argument verify does not take. Now: exit 1, the recorded
    source is not on this machine (nor its tail, such as cases/one, below the working
    directory): run verify from the root of the checkout holding it."""
    from tests.toycase import write_case

    repo = tmp_path / "repo"
    write_case(repo / "cases" / "one", TINY, name="one")
    api.run(str(repo / "cases" / "one"), out=repo / "results", name="r")
    repo.rename(tmp_path / "moved")
    monkeypatch.chdir(tmp_path / "moved")
    cli = CliRunner(env={"COLUMNS": "250"})
    res = cli.invoke(app, ["verify", "results/r"])
    assert res.exit_code == 0, res.output
    monkeypatch.chdir(tmp_path)
    res = cli.invoke(app, ["verify", "moved/results/r"])
    assert res.exit_code == 1, res.output
    out = " ".join(res.output.split())
    assert f"the recorded source {repo / 'cases' / 'one'} is not on this machine" in out
    assert "(such as cases/one) below the working directory" in out, out
    assert "run chainopt verify from the root of the checkout" in out
    assert "give a folder holding case.yaml" not in out


def test_verify_of_a_scenario_whose_file_is_gone_says_so_not_that_data_changed(
        tmp_path, monkeypatch):
    """Case one (5 kt/yr of crude bought at 100 and sold at 290 USD/t: 0.95 MUSD) and a
    scenario up.yaml beside it raising the price to 390 (5 x 290 / 1000 = 1.45 MUSD),
    run, then up.yaml deleted (a results folder committed without its scenario). verify
    fell back to the base case, which is still there, re-ran it (0.95, other inputs) and
    said "inputs changed ... the data were edited", exit 6: nothing was edited. Now exit
    1, the recorded source up.yaml is not on this machine; a run of the case itself
    still verifies (exit 0)."""
    from tests.toycase import write_case

    write_case(tmp_path / "cases" / "one", TINY, name="one")
    up = tmp_path / "cases" / "up.yaml"
    up.write_text("name: up\nbase: one\nchanges:\n  - table: markets\n"
                  "    set: {price_usd_per_unit: 390}\n")
    monkeypatch.chdir(tmp_path)
    assert api.run("cases/up.yaml", out="results").manifest["objective"] == \
        pytest.approx(1.45)
    api.run("cases/one", out="results", name="base")
    up.unlink()
    cli = CliRunner(env={"COLUMNS": "250"})
    res = cli.invoke(app, ["verify", "results/up"])
    out = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert f"the recorded source {up} is not on this machine" in out, out
    assert "inputs changed" not in out and "edited" not in out
    res = cli.invoke(app, ["verify", "results/base"])
    assert res.exit_code == 0, res.output


def test_verify_of_a_rerun_without_a_plan_names_no_option_verify_lacks(tmp_path):
    """small_chain (an LP) run, then its manifest's recorded time limit set to 1e-9 s,
    and the folder resealed: the re-run stops before any plan. verify said "HiGHS
    stopped ... without a usable plan; raise --time-limit or try --method ipm": verify
    had neither option. Now (still exit 4) it says the re-run used the recorded solver
    options (time limit 1e-09 s) and to give the re-run more time with verify's own
    --time-limit; no --method. With --time-limit 600 the re-run solves: exit 0."""
    import json

    api.run("small_chain", out=tmp_path, name="r")
    mf = tmp_path / "r" / "manifest.json"
    m = json.loads(mf.read_text())
    m["solver_options"]["time_limit_s"] = 1e-9
    mf.write_text(json.dumps(m))
    res = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["verify", str(tmp_path / "r")])
    assert res.exit_code == 4, res.output
    out = " ".join(res.output.split())
    assert "with the solver options it records" in out and "time limit 1e-09 s" in out, out
    assert (f"give the re-run more time (chainopt verify {tmp_path / 'r'} --time-limit S, "
            "S above the 1e-09 s)") in out, out
    assert "--method" not in out, out
    res = CliRunner(env={"COLUMNS": "250"}).invoke(
        app, ["verify", str(tmp_path / "r"), "--time-limit", "600"])
    assert res.exit_code == 0, res.output


def test_verify_and_snapshot_check_name_the_table_and_file_that_changed(tmp_path,
                                                                         monkeypatch):
    """Case one (5 kt/yr of crude bought at 100 and sold at 290 USD/t) and cases/up.yaml
    on it (price 390: 5 x 290 / 1000 = 1.45 MUSD), run. verify said only "inputs changed:
    cases/up.yaml now hashes to ...; the data were edited", naming the scenario for an
    edit of its base case's supplies.csv. Now the run records each table's and scenario
    file's digest and verify names them:
    * supplies.csv's cost written 100.00: the same inputs (same hash), exit 0, nothing said;
    * cost 110: exit 6, ``supplies.csv of the base case cases/one/ (case folder) (the
      scenario file cases/up.yaml is as the run had it)``;
    * cost back at 100, up.yaml's price 400: exit 6, ``cases/up.yaml (what it says
      differs ...; tables of the effective case now differing: markets.csv)``;
    * up.yaml back, the manifest's input_hash edited alone: exit 1, the manifest was
      edited, not the data (it said "the data were edited");
    * a folder written before the digests (input_digests removed) with cost 110: exit 6
      with the old words, naming no table.
    snapshot check of the case folder with cost 110: ``changed: supplies.csv of
    cases/one``; a snapshot whose input_hash alone was edited is a damaged snapshot
    (exit 1); one written before the digests says what it said."""
    import json

    from chainopt.errors import InputError, InputsChangedError
    from tests.toycase import write_case

    one = write_case(tmp_path / "cases" / "one", TINY, name="one")
    (tmp_path / "cases" / "up.yaml").write_text(
        "name: up\nbase: one\nchanges:\n  - table: markets\n"
        "    set: {price_usd_per_unit: 390}\n")
    monkeypatch.chdir(tmp_path)
    assert api.run("cases/up.yaml", out="results").manifest["objective"] == \
        pytest.approx(1.45)
    api.snapshot_write(["cases/one"], "snaps")
    cli = CliRunner(env={"COLUMNS": "400"})

    def verify() -> tuple[int, str]:
        res = cli.invoke(app, ["verify", "results/up"])
        return res.exit_code, " ".join(res.output.split())

    def cost(value: str) -> None:
        write_case(one, {"supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                                     f"a,crude,{value},5"}, name="one")

    cost("100.00")
    assert verify() == (0, "ok: results/up reproduces within rtol=1e-06, atol=1e-06 "
                           f"(re-ran {tmp_path / 'cases' / 'up.yaml'})")
    cost("110")
    code, out = verify()
    assert code == 6, out
    assert ("the data were edited: supplies.csv of the base case cases/one/ (case folder) "
            "(the scenario file cases/up.yaml is as the run had it)") in out, out
    with pytest.raises(InputsChangedError, match=r"changed: supplies\.csv of cases/one"):
        api.snapshot_check("snaps")
    cost("100")
    up = tmp_path / "cases" / "up.yaml"
    up.write_text(up.read_text().replace("390", "400"))
    code, out = verify()
    assert code == 6, out
    assert ("the data were edited: cases/up.yaml (what it says differs from what the run "
            "read; tables of the effective case now differing: markets.csv)") in out, out
    up.write_text(up.read_text().replace("400", "390"))
    mf = tmp_path / "results" / "up" / "manifest.json"
    m = json.loads(mf.read_text())
    mf.write_text(json.dumps({**m, "input_hash": "0" * 64}))
    code, out = verify()
    assert code == 1, out
    assert "the manifest was edited, not the data" in out and "inputs changed" not in out
    m.pop("input_digests")
    mf.write_text(json.dumps(m))
    cost("110")
    code, out = verify()
    assert code == 6, out
    assert "the data were edited, so the answer" in out and "supplies.csv" not in out, out
    snap = tmp_path / "snaps" / "one.yaml"
    golden = yaml.safe_load(snap.read_text())
    snap.write_text(yaml.safe_dump({**golden, "input_hash": "0" * 64}))
    cost("100")
    with pytest.raises(InputError, match="the snapshot file was edited, not the data"):
        api.snapshot_check("snaps")
    golden.pop("input_digests")
    snap.write_text(yaml.safe_dump(golden))
    cost("110")
    with pytest.raises(InputsChangedError) as exc:
        api.snapshot_check("snaps")
    assert "inputs changed: cases/one now hashes to" in str(exc.value)
    assert "supplies.csv" not in str(exc.value)


def test_verify_and_snapshot_check_name_the_sheet_of_a_case_workbook(tmp_path, monkeypatch):
    """Review s26 F1: case one (5 kt/yr of crude bought at 100, sold at 290 USD/t)
    converted to cases/one.xlsx, and cases/up.yaml on it (price 390: 5 x 290 / 1000 =
    1.45 MUSD), run and snapshotted with the workbook itself. Then the workbook's
    supplies sheet edited (cost 100 -> 110). verify and snapshot check said "supplies.csv
    of the base case cases/one.xlsx/ (case folder)" and "supplies.csv of cases/one.xlsx":
    a file and a folder the workbook does not have. Now: ``sheet supplies of the base
    case cases/one.xlsx (case workbook)`` (no slash) and ``sheet supplies of
    cases/one.xlsx``; exit 6 as before."""
    import openpyxl

    from chainopt.errors import InputsChangedError
    from tests.toycase import write_case

    one = write_case(tmp_path / "folder" / "one", TINY, name="one")
    (tmp_path / "cases").mkdir()
    api.convert(one, tmp_path / "cases" / "one.xlsx")
    (tmp_path / "cases" / "up.yaml").write_text(
        "name: up\nbase: one.xlsx\nchanges:\n  - table: markets\n"
        "    set: {price_usd_per_unit: 390}\n")
    monkeypatch.chdir(tmp_path)
    assert api.run("cases/up.yaml", out="results").manifest["objective"] == \
        pytest.approx(1.45)
    api.snapshot_write(["cases/one.xlsx"], "snaps")
    book = openpyxl.load_workbook("cases/one.xlsx")
    sheet = book["supplies"]
    (col,) = [c.column for c in sheet[1] if c.value == "cost_usd_per_unit"]
    assert sheet.cell(2, col).value == 100
    sheet.cell(2, col).value = 110
    book.save("cases/one.xlsx")
    res = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["verify", "results/up"])
    out = " ".join(res.output.split())
    assert res.exit_code == 6, out
    assert ("the data were edited: sheet supplies of the base case cases/one.xlsx (case "
            "workbook) (the scenario file cases/up.yaml is as the run had it)") in out, out
    assert "supplies.csv" not in out and "one.xlsx/" not in out
    with pytest.raises(InputsChangedError) as exc:
        api.snapshot_check("snaps")
    assert "changed: sheet supplies of cases/one.xlsx" in str(exc.value)
    assert "supplies.csv" not in str(exc.value)


def test_verify_of_a_party_table_edit_says_the_answer_cannot_change(tmp_path, monkeypatch):
    """Review s26 F7: case one (5 kt/yr bought at 100, sold at 290: 0.95 MUSD) with a
    tax regime (25 %, inflation 0.10), run; then tax_regimes.csv's inflation 0.10 ->
    0.05. verify named the table and added "so the answer is expected to change", which
    it cannot: the plan never reads tax_regimes.csv. Still exit 6 (the folder no longer
    records the inputs it would be re-run from), now saying the answer cannot change and
    to re-run to record the new inputs. supplies.csv edited too (cost 110): the answer
    is expected to change, as before."""
    from tests.toycase import write_case

    one = write_case(tmp_path / "cases" / "one", TINY, name="one")
    tax = one / "tax_regimes.csv"
    tax.write_text("regime,profit_tax_rate,inflation\nstd,0.25,0.10\n")
    monkeypatch.chdir(tmp_path)
    assert api.run("cases/one", out="results").manifest["objective"] == pytest.approx(0.95)
    tax.write_text("regime,profit_tax_rate,inflation\nstd,0.25,0.05\n")
    cli = CliRunner(env={"COLUMNS": "400"})
    res = cli.invoke(app, ["verify", "results/one"])
    out = " ".join(res.output.split())
    assert res.exit_code == 6, out
    assert (f"the data were edited: tax_regimes.csv of {one}; the plan never reads this "
            "table (who owns, finances and is taxed on a project: compare's cooperation "
            "economics), so the run's answer cannot change: re-run it to record the new "
            "inputs") in out, out
    assert "expected to change" not in out
    write_case(one, {"supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                                 "a,crude,110,5"}, name="one")
    res = cli.invoke(app, ["verify", "results/one"])
    out = " ".join(res.output.split())
    assert res.exit_code == 6, out
    assert (f"the data were edited: supplies.csv, tax_regimes.csv of {one}, so the "
            "answer is expected to change") in out, out


def test_snapshot_check_reports_a_scenario_without_a_snapshot_and_one_gone(tmp_path,
                                                                           monkeypatch):
    """Case cases/one and scenarios a.yaml and b.yaml on it (prices 390 and 490), both
    snapshotted from repo/ (snapshot write scenarios/a.yaml scenarios/b.yaml). With b's
    snapshot deleted, and then with a new c.yaml beside them, snapshot check said ok: it
    checks the files it finds. Now the set is every scenario file beside a snapshotted
    one: exit 5 naming scenarios/b.yaml (and scenarios/c.yaml) with no snapshot, the
    snapshot of a.yaml checked as ever; --partial checks the files alone (exit 0). A
    YAML file without a base key (dist.yaml, a sweep's distributions) is no scenario and
    not asked for. a.yaml deleted with its snapshot kept: exit 1 naming snaps/a.yaml and
    saying to delete a snapshot whose scenario was removed on purpose. Review s26 F5: it
    said the folder "holds the set it belongs to", also of a scenario of another base
    case, of which nothing is snapshotted: now it says what is true of any of them, that
    it is a scenario file beside scenarios/a.yaml, which a snapshot re-runs."""
    from tests.toycase import write_case

    write_case(tmp_path / "cases" / "one", TINY, name="one")
    (tmp_path / "scenarios").mkdir()
    for name, price in (("a", 390), ("b", 490)):
        (tmp_path / "scenarios" / f"{name}.yaml").write_text(
            f"name: {name}\nbase: ../cases/one\nchanges:\n  - table: markets\n"
            f"    set: {{price_usd_per_unit: {price}}}\n")
    (tmp_path / "scenarios" / "dist.yaml").write_text("price: {kind: normal}\n")
    monkeypatch.chdir(tmp_path)
    api.snapshot_write(["scenarios/a.yaml", "scenarios/b.yaml"], "snaps")
    cli = CliRunner(env={"COLUMNS": "400"})

    def check(*more: str) -> tuple[int, str]:
        res = cli.invoke(app, ["snapshot", "check", "--dir", "snaps", *more])
        return res.exit_code, " ".join(res.output.split())

    assert check() == (0, "ok: every snapshot in snaps reproduces")
    (tmp_path / "snaps" / "b.yaml").unlink()
    code, out = check()
    assert code == 5, out
    assert out.startswith("error: 1 scenario without a snapshot beside snapshotted ones: "
                          "scenarios/b.yaml (no snapshot): + no snapshot in snaps, though "
                          "it is a scenario file beside scenarios/a.yaml, which a snapshot "
                          "in snaps re-runs"), out
    assert "belongs" not in out
    assert "chainopt snapshot write scenarios/b.yaml --dir snaps" in out
    assert "dist.yaml" not in out
    (tmp_path / "scenarios" / "c.yaml").write_text(
        (tmp_path / "scenarios" / "a.yaml").read_text().replace("name: a", "name: c"))
    code, out = check()
    assert code == 5, out
    assert "2 scenarios without a snapshot beside snapshotted ones" in out, out
    assert "scenarios/c.yaml (no snapshot)" in out
    assert check("--partial") == (0, "ok: every snapshot in snaps reproduces")
    (tmp_path / "scenarios" / "a.yaml").unlink()
    code, out = check("--partial")
    assert code == 1, out
    assert "snaps/a.yaml: rerun scenarios/a.yaml" in out, out
    assert "a case or scenario removed on purpose: delete its snapshot file" in out


def test_verify_takes_the_tail_when_the_recorded_path_holds_other_inputs(tmp_path,
                                                                         monkeypatch):
    """repo/cases/one run with its absolute source (5 kt/yr bought at 100, sold at 290:
    0.95 MUSD), repo/ copied to moved/, then the copy left at the recorded path edited
    (cost 110: 5 x 180 / 1000 = 0.9 MUSD, other inputs). verify from moved/ re-ran the
    stale copy at the recorded path and said "inputs changed ... the data were edited"
    (exit 6) although moved/cases/one, the recorded path's tail below the working
    directory, holds the inputs the run recorded. Now it takes that tail: exit 0. Once
    the tail is edited too (cost 120) neither holds them: exit 6, as before."""
    from tests.toycase import write_case

    repo = tmp_path / "repo"
    write_case(repo / "cases" / "one", TINY, name="one")
    assert api.run(str(repo / "cases" / "one"), out=repo / "results",
                   name="r").manifest["objective"] == pytest.approx(0.95)
    shutil.copytree(repo, tmp_path / "moved")

    def cost(folder: Path, value: int) -> None:
        write_case(folder, {"supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                                        f"a,crude,{value},5"}, name="one")

    cost(repo / "cases" / "one", 110)
    monkeypatch.chdir(tmp_path / "moved")
    cli = CliRunner(env={"COLUMNS": "250"})
    res = cli.invoke(app, ["verify", "results/r"])
    assert res.exit_code == 0, res.output
    cost(tmp_path / "moved" / "cases" / "one", 120)
    res = cli.invoke(app, ["verify", "results/r"])
    assert res.exit_code == 6, res.output


@pytest.mark.parametrize("text, key", [
    ("objective_musd: .nan", "objective_musd"), ("objective_musd: .inf", "objective_musd"),
    ("objective_musd: -.inf", "objective_musd"),
    ("npv_parts_musd: {npv_capex: .nan}", "npv_parts_musd.npv_capex")])
def test_snapshot_check_refuses_a_figure_that_is_not_finite(tmp_path, text, key):
    """The tiny case's snapshot (objective 5 x (290 - 100) / 1000 = 0.95 MUSD) with one
    figure edited to NaN or an infinity passed snapshot check (exit 0): |nan - 0.95| > tol
    and |inf - inf| > tol are both false, so the figure was checked no more (outside
    review s26 safety F3). No run writes such a figure: the file is damaged, exit 1 naming
    the file and key, before anything is re-run."""
    from chainopt.errors import InputError
    from tests.toycase import write_case

    case = write_case(tmp_path / "tiny", TINY)
    api.snapshot_write([str(case)], tmp_path / "snap")
    path = tmp_path / "snap" / "toy.yaml"
    doc = yaml.safe_load(path.read_text())
    assert doc["objective_musd"] == pytest.approx(0.95)
    doc.update(yaml.safe_load(text) if key == "objective_musd"
               else {"npv_parts_musd": {**doc["npv_parts_musd"], "npv_capex": float("nan")}})
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError) as exc:
        api.snapshot_check(tmp_path / "snap")
    assert [p.where for p in exc.value.problems] == [f"{path} key {key}"]
    assert "damaged snapshot: the figure is not a finite number" in str(exc.value)


def test_golden_figures_that_are_not_finite_are_drift():
    """compare_figures on its own: a golden NaN or infinity is always a change (NaN was
    within any tolerance, inf - inf is NaN, so no line at all)."""
    from chainopt.report.drift import compare_figures

    inf = float("inf")
    assert compare_figures({"a": float("nan")}, {"a": 1.0}, rtol=1e-5, atol=1e-3) == [
        "~ a: nan -> 1.0 (not a finite number)"]
    assert compare_figures({"a": inf}, {"a": inf}, rtol=1e-5, atol=1e-3) == [
        "~ a: inf -> inf (not a finite number)"]
    assert compare_figures({"a": 1.0}, {"a": 1.0000001}, rtol=1e-5, atol=1e-3) == []


def test_verify_names_the_source_it_re_ran(tmp_path, monkeypatch):
    """Review walk3 F2: a run of ``a/case`` copied with its results to a second checkout
    ``b``, whose ``case/`` was then edited (ru_dom's diesel at 561, not 560): verify of
    ``b``'s results, from ``b``, re-ran the recorded absolute path ``a/case`` (it still
    exists, unedited) and said a bare ok, about data that are not the ones in front of
    the user. The ok line now names what was re-ran, ``(re-ran .../a/case)``, so the
    user sees it is the other checkout's; a results difference (exit 5) says it too. The
    first checkout's folder is ``a[x]``: the path is printed as it is, not as rich markup
    (nor escaped for it twice, ``a\\[x]``)."""
    a, b = tmp_path / "a[x]", tmp_path / "b"
    shutil.copytree(Path(api.__file__).parent / "data" / "small_chain", a / "case")
    monkeypatch.chdir(a)
    api.run("case", out="res", name="base")
    shutil.copytree(a, b)
    markets = b / "case" / "markets.csv"
    markets.write_text(markets.read_text().replace("ru_dom,diesel,560", "ru_dom,diesel,561"))
    monkeypatch.chdir(b)
    done = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["verify", "res/base"])
    assert done.exit_code == 0, done.output
    assert f"(re-ran {a / 'case'})" in " ".join(done.output.split()), done.output
