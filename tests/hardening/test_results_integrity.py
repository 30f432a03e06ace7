"""A damaged results folder is found, never read as a smaller or different answer.

``Results.save`` records each table file's SHA-256 and row count in ``manifest.json``
(``table_files``); ``Results.load``, the one reader of a results folder (run report,
explain, verify, the results compare reuses), checks them. A table cut mid-row or
edited by hand is exit 1 naming the file; compare solves such a folder again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from chainopt import api
from chainopt.errors import DamagedResultsError, InputError
from chainopt.results import Results, name_columns
from tests.conftest import reseal
from tests.hardening.conftest import cli

ROOT = Path(__file__).resolve().parents[2]
TABLE_FILES = "table_files"  # the manifest key
PORT = ROOT / "scenarios" / "small_port_expansion.yaml"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """One solved small_chain results folder, copied by the tests that damage it."""
    out = tmp_path_factory.mktemp("res")
    api.run("small_chain", out=out)
    return out / "small_chain"


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    """``compare small_chain small_port_expansion --out OUT`` once: OUT holds both run
    folders and the comparison; the tests that damage them work in a copy of OUT."""
    out = tmp_path_factory.mktemp("compared")
    cli("compare", "small_chain", PORT, "--out", out, "--jobs", "1", code=0)
    return out


def _compared(tmp: Path, compared: Path) -> None:
    """``tmp`` as ``compare small_chain small_port_expansion --out tmp`` leaves it."""
    shutil.copytree(compared, tmp, dirs_exist_ok=True)


def _copy(tmp: Path, results: Path, checksums: bool = True) -> Path:
    """A copy of ``results``; without ``checksums`` as a folder written before them."""
    dst = Path(shutil.copytree(results, tmp / "res"))
    if not checksums:
        mf = dst / "manifest.json"
        m = json.loads(mf.read_text())
        del m[TABLE_FILES]
        mf.write_text(json.dumps(m))
    return dst


def _cut(path: Path, frac: float) -> None:
    """Cut the file at ``frac`` of its bytes, mid-row (as an interrupted copy does)."""
    data = path.read_bytes()
    n = int(len(data) * frac)
    while data[n - 1:n] in (b"\n", b","):  # not at the end of a row or field
        n -= 1
    path.write_bytes(data[:n])


def _set_cell(path: Path, column: str, value: str, row: int = 0) -> None:
    """Put ``value`` in ``column`` of data row ``row``, the other bytes unchanged."""
    lines = path.read_text().split("\n")
    header = lines[0].split(",")
    assert '"' not in lines[row + 1]  # no quoted field: split by commas
    fields = lines[row + 1].split(",")
    fields[header.index(column)] = value
    lines[row + 1] = ",".join(fields)
    path.write_text("\n".join(lines))


DAMAGE = {
    "capacity_cut_mid_row": lambda d: _cut(d / "capacity.csv", 0.61),
    "sales_cut_mid_row": lambda d: _cut(d / "sales.csv", 0.5),
    "kpis_cut_mid_row": lambda d: _cut(d / "kpis.csv", 0.7),
    "constraints_cut_mid_row": lambda d: _cut(d / "constraints.csv", 0.5),
    "sales_text_in_number": lambda d: _set_cell(d / "sales.csv", "sales_k_per_yr", "abc"),
    "kpis_text_in_value": lambda d: _set_cell(d / "kpis.csv", "value", "abc", row=1),
    "capacity_value_edited": lambda d: _set_cell(d / "capacity.csv", "used_k_per_yr", "1"),
}
TABLE = {"capacity_cut_mid_row": "capacity.csv", "sales_cut_mid_row": "sales.csv",
         "kpis_cut_mid_row": "kpis.csv", "constraints_cut_mid_row": "constraints.csv",
         "sales_text_in_number": "sales.csv", "capacity_value_edited": "capacity.csv",
         "kpis_text_in_value": "kpis.csv"}


def test_save_records_each_table_file_its_sha256_and_rows(results):
    """The manifest names every table's file with the SHA-256 of its bytes on disk and
    its row count; the tables themselves are unchanged (CSV byte-identical formatting)."""
    m = json.loads((results / "manifest.json").read_text())
    files = m[TABLE_FILES]
    on_disk = sorted(p.name for p in results.iterdir() if p.suffix in (".csv", ".parquet"))
    assert sorted(e["file"] for e in files.values()) == on_disk
    res = Results.load(results)
    for name, e in files.items():
        assert hashlib.sha256((results / e["file"]).read_bytes()).hexdigest() == e["sha256"]
        assert e["rows"] == len(res.tables[name])
    assert files["ranging"]["file"] == "ranging.parquet"


@pytest.mark.parametrize("command", ["explain", "explain --ranging", "report", "verify"])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_table_is_exit_1_naming_it(tmp_path, results, damage, command):
    """Cut mid-row or edited: explain and report refuse it (they printed a plan without
    the lost rows, exit 0), verify says damaged (exit 1), not 'answer changed' (exit 5).
    ``explain --ranging`` reads two tables only and checks the others all the same (it
    printed its list, exit 0, from a folder with an edited constraints.csv)."""
    d = _copy(tmp_path, results)
    DAMAGE[damage](d)
    argv = {"explain": ["explain", d], "explain --ranging": ["explain", d, "--ranging"],
            "report": ["report", d, "--out", tmp_path / "r.html"],
            "verify": ["verify", d]}[command]
    _code, text = cli(*argv, code=1)
    assert TABLE[damage] in text and "damaged results table" in text, text
    assert "run the case again" in text
    assert not (tmp_path / "r.html").exists()


def test_a_damaged_parquet_table_and_a_missing_table_are_exit_1(tmp_path, results):
    d = _copy(tmp_path, results)
    _cut(d / "ranging.parquet", 0.5)
    _code, text = cli("explain", d, "--ranging", code=1)
    assert "ranging.parquet" in text and "damaged results table" in text
    shutil.copy(results / "ranging.parquet", d / "ranging.parquet")
    (d / "unit_flows.csv").unlink()
    _code, text = cli("report", d, "--out", tmp_path / "r.html", code=1)
    assert "unit_flows.csv" in text and "missing" in text


def test_a_table_explain_ranging_does_not_read_is_still_required(tmp_path, results):
    d = _copy(tmp_path, results)
    (d / "constraints.csv").unlink()
    _code, text = cli("explain", d, "--ranging", code=1)
    assert "constraints.csv" in text and "missing" in text


def test_an_objective_edited_in_the_manifest_is_a_damaged_manifest(tmp_path, results):
    """The manifest's objective is kpis.csv's (checksummed): set to 12.0 by hand, explain
    and report showed 12.0 MUSD beside the report's KPI table saying the real one."""
    d = _copy(tmp_path, results)
    mf = d / "manifest.json"
    m = json.loads(mf.read_text())
    real = m["objective"]
    m["objective"] = 12.0
    mf.write_text(json.dumps(m))
    for argv in (["explain", d], ["explain", d, "--ranging"],
                 ["report", d, "--out", tmp_path / "r.html"], ["verify", d]):
        _code, text = cli(*argv, code=1)
        assert "damaged manifest" in text and "12.0" in text and "kpis.csv" in text, text
    assert not (tmp_path / "r.html").exists()
    # a table edited too: verify names the cell and the objective (it named the cell only)
    _set_cell(d / "capacity.csv", "used_k_per_yr", "1")
    _code, text = cli("verify", d, code=1)
    assert "capacity.csv" in text and "damaged manifest: objective 12.0" in text, text
    shutil.copy(results / "capacity.csv", d / "capacity.csv")
    m["objective"] = real * (1 + 1e-12)  # within the CSV's 10 significant digits
    mf.write_text(json.dumps(m))
    assert Results.load(d).objective == pytest.approx(real)


def test_a_damaged_record_of_table_files_is_a_damaged_manifest(tmp_path, results):
    """The record names the file of its own table only: never a path elsewhere."""
    d = _copy(tmp_path, results)
    mf = d / "manifest.json"
    m = json.loads(mf.read_text())
    m[TABLE_FILES]["kpis"]["file"] = "../../kpis.csv"
    mf.write_text(json.dumps(m))
    _code, text = cli("explain", d, code=1)
    assert "manifest.json" in text and TABLE_FILES in text


def test_a_folder_written_before_the_checksums_is_read_as_before(tmp_path, results):
    d = _copy(tmp_path, results, checksums=False)
    old, new = Results.load(d), Results.load(results)
    assert sorted(old.tables) == sorted(new.tables)
    for name, df in new.tables.items():
        pd.testing.assert_frame_equal(old.tables[name], df)
    cli("explain", d, code=0)


def test_compare_solves_a_damaged_folder_again(tmp_path, compared):
    """compare --overwrite reused a folder whose capacity.csv was cut ('reused', exit 0)
    and replaced a good comparison with tables built from the lost rows."""
    _compared(tmp_path, compared)
    run = tmp_path / "small_port_expansion"
    cmp_dir = tmp_path / "compare-small_chain-vs-small_port_expansion"
    good = {p.name: p.read_bytes() for p in run.glob("*.csv")}
    comparison = {p.name: pd.read_csv(p) for p in cmp_dir.glob("*.csv")}
    _cut(run / "capacity.csv", 0.6)
    _code, text = cli("compare", "small_chain", PORT, "--out", tmp_path, "--jobs", "1",
                      "--overwrite", code=0)
    assert "reused small_chain" in text
    assert "solved small_port_expansion" in text and "reused small_port_expansion" not in text
    assert {p.name: p.read_bytes() for p in run.glob("*.csv")} == good
    _same_comparison(cmp_dir, comparison)
    # without --overwrite: solved again, the damaged folder left as it is and named
    _cut(run / "capacity.csv", 0.6)
    _code, text = cli("compare", "small_chain", PORT, "--out", tmp_path, "--jobs", "1",
                      "--name", "other", code=0)
    assert "solved small_port_expansion" in text and "is damaged" in text
    _same_comparison(tmp_path / "compare-other", comparison)


def _same_comparison(folder: Path, expected: dict[str, pd.DataFrame]) -> None:
    """The same tables (a run reused from its folder differs from a fresh one by the
    rounding of the saved tables to 10 digits: 4e-6 in a Δ of MUSD)."""
    got = {p.name: pd.read_csv(p) for p in folder.glob("*.csv")}
    assert sorted(got) == sorted(expected)
    for name, df in expected.items():
        pd.testing.assert_frame_equal(got[name], df, check_exact=False, rtol=1e-6, atol=1e-4,
                                      check_dtype=False, obj=name)


@pytest.mark.parametrize("objective", ["1e400", "NaN", "-Infinity", "9" * 400, "true"])
def test_a_non_finite_objective_is_a_damaged_manifest(tmp_path, results, objective):
    """verify said 'ok' (exit 0) for an objective of 1e400 or NaN in manifest.json (both
    parse as JSON): it compared infinity or NaN with the fresh run's number."""
    d = _copy(tmp_path, results)
    mf = d / "manifest.json"
    text = mf.read_text()
    m = json.loads(text)
    mf.write_text(text.replace(f'"objective": {json.dumps(m["objective"])}',
                               f'"objective": {objective}'))
    assert json.loads(mf.read_text(), parse_constant=str)["objective"] != m["objective"]
    for argv in (["verify", d], ["explain", d], ["report", d, "--out", tmp_path / "r.html"]):
        _code, text = cli(*argv, code=1)
        assert "manifest.json" in text and "objective" in text and "damaged" in text, text


@pytest.mark.parametrize(("table", "column", "row"), [("kpis.csv", "value", 1),
                                                      ("capacity.csv", "used_k_per_yr", 2),
                                                      ("sales.csv", "sales_k_per_yr", 0)])
def test_text_in_a_number_column_of_an_old_folder_is_named(tmp_path, results, table, column,
                                                           row):
    """A folder written before the checksums: `abc` in a number column is refused, named
    by table, row and column (report printed an ArrowNotImplementedError traceback for
    kpis.csv; explain and verify read the rest)."""
    d = _copy(tmp_path, results, checksums=False)
    _set_cell(d / table, column, "abc", row=row)
    for argv in (["report", d, "--out", tmp_path / "r.html"], ["explain", d], ["verify", d]):
        _code, text = cli(*argv, code=1)
        assert f"{table}: damaged results table: row {row + 1}, column {column}: 'abc' " \
               "is not a number" in text, text


def _no_manifest(d: Path) -> None:
    (d / "manifest.json").unlink()


def _sweep_like(d: Path) -> None:
    _no_manifest(d)
    (d / "sweep.json").write_text(json.dumps({"source": "small_chain", "sets": []}))


@pytest.mark.parametrize(("damage", "words"), [
    (_no_manifest, ["no manifest.json", "no comparison.md"]),
    (lambda d: (d / "manifest.json").write_text("{not json"),
     ["manifest.json", "damaged manifest"]),
    (lambda d: (d / "manifest.json").write_text("{}"),
     ["manifest.json", "not the manifest chainopt run writes"]),
    (_sweep_like, ["a sweep folder", "no manifest.json"]),
], ids=["manifest_missing", "manifest_not_json", "manifest_not_chainopts", "sweep_folder"])
def test_report_takes_a_run_folder_only_by_its_manifest(tmp_path, results, damage, words):
    """A run folder whose manifest.json is missing or damaged, and any folder of CSV
    tables (a sweep's), were reported as a 'comparison' of their CSV files (exit 0)."""
    d = _copy(tmp_path, results)
    damage(d)
    _code, text = cli("report", d, "--out", tmp_path / "r.html", code=1)
    for w in words:
        assert w in text, text
    assert not (tmp_path / "r.html").exists()


def test_report_takes_a_comparison_folder_only_by_its_comparison_md(tmp_path, compared):
    """compare's folder is recognised by the comparison.md it writes; a damaged one is
    named, and CSV files alone are not a comparison."""
    _compared(tmp_path, compared)
    cmp_dir = tmp_path / "compare-small_chain-vs-small_port_expansion"
    cli("report", cmp_dir, code=0)
    (cmp_dir / "comparison.md").write_text("hello\n")
    _code, text = cli("report", cmp_dir, "--out", tmp_path / "r.html", code=1)
    assert "comparison.md" in text and "damaged comparison" in text
    (cmp_dir / "comparison.md").unlink()
    _code, text = cli("report", cmp_dir, "--out", tmp_path / "r.html", code=1)
    assert "no comparison.md" in text
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("command", ["explain", "report"])
def test_a_failure_on_an_intact_folder_is_not_called_damage(tmp_path, results, monkeypatch,
                                                             command):
    """explain and report turned any KeyError of their own into "damaged results ...
    run again", which writes the same tables and fails the same way. Where every table
    is the file chainopt wrote (SHA-256 as recorded) the message now says the fault is
    likely chainopt's; a folder written before the checksums still reads as damaged."""
    from chainopt.report import explain as ex
    from chainopt.report import html

    def fail(*_args, **_kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(ex, "why_lines", fail)
    monkeypatch.setattr(html, "write_report", fail)
    call = {"explain": lambda d: api.explain(d), "report": lambda d: api.report(d)}[command]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    intact = _copy(tmp_path / "a", results)
    with pytest.raises(InputError) as info:
        call(intact)
    text = str(info.value)
    assert "failed on these results (KeyError: 'boom'), though every table is the file " \
           "chainopt wrote" in text and "likely a fault in chainopt" in text, text
    old = _copy(tmp_path / "b", results, checksums=False)
    with pytest.raises(InputError, match=r"damaged results \(KeyError: 'boom'\)"):
        call(old)


@pytest.mark.parametrize("table, damage, said", [
    ("sites", "repeat row 1", "site 'wsib' is in rows 1 and 6"),
    ("sites", "one name", "site 'wsib' is in rows 1 and 2"),
    ("kpis", "repeat row 1", "kpi 'objective', period '' is in rows 1 and"),
])
@pytest.mark.parametrize("command", ["report", "explain"])
def test_a_key_given_twice_in_a_results_table_is_a_damaged_table(tmp_path, results, table,
                                                                  damage, said, command):
    """small_chain's sites.csv lists its 5 sites (wsib first) once each. With wsib's row
    copied to the end (row 6), or every site cell set to 'wsib' (so row 2 repeats row 1),
    in a folder written before the checksums (or re-signed), ``chainopt report`` ended in
    a 60-line pandas traceback (InvalidIndexError: the map looks sites up by name; outside
    review s26 safety F5). Now ``Results.load`` refuses it: exit 1, the file and the key
    named, for report and explain alike; kpis.csv's first row (objective, no period)
    copied likewise."""
    d = _copy(tmp_path, results, checksums=False)
    path = d / f"{table}.csv"
    lines = path.read_text().splitlines()
    if damage == "repeat row 1":
        lines.append(lines[1])
    else:
        lines = [lines[0]] + ["wsib," + ln.split(",", 1)[1] for ln in lines[1:]]
    path.write_text("\n".join(lines) + "\n")
    assert lines[1].startswith("wsib," if table == "sites" else "objective,")
    _code, text = cli(command, d, code=1)
    assert f"{path}: damaged results table: {said}" in text, text
    assert "Traceback" not in text and "InvalidIndexError" not in text


def test_a_lookup_by_a_key_given_twice_in_a_report_is_one_message(tmp_path, results,
                                                                  monkeypatch):
    """The report caught KeyError, ValueError, TypeError, AttributeError and IndexError
    but not pandas' InvalidIndexError (a Series.map over an index holding a key twice),
    which ended in a traceback; a table not among those Results.load checks for keys
    could still raise it. Now it is the one message of a folder the report failed on."""
    from chainopt.report import html

    def fail(*_args, **_kwargs):
        raise pd.errors.InvalidIndexError("Reindexing only valid with uniquely valued Index")

    monkeypatch.setattr(html, "run_report_html", fail)
    d = _copy(tmp_path, results, checksums=False)
    with pytest.raises(InputError, match=r"damaged results \(InvalidIndexError: Reindexing"):
        api.report(d)


def test_report_out_replaces_a_file_of_the_users_only_with_overwrite(results, tmp_path):
    """Review safety F6: ``report --out board.html`` replaced a hand-written board.html
    without a word, and ``--out`` into a missing folder created it (export refuses both).
    Now the file is refused, named, and kept byte for byte; ``--overwrite`` replaces it;
    a missing folder is refused and not created; the results folder's own report.html is
    chainopt's and is replaced at every report, as before."""
    d = _copy(tmp_path, results)
    mine = tmp_path / "pack" / "board.html"
    mine.parent.mkdir()
    mine.write_text("<html>my board pack</html>")
    _code, text = cli("report", d, "--out", mine, code=1)
    assert "would replace board.html in" in text and "--overwrite" in text, text
    assert mine.read_text() == "<html>my board pack</html>"
    cli("report", d, "--out", mine, "--overwrite", code=0)
    assert "chainopt" in mine.read_text()
    missing = tmp_path / "nowhere" / "r.html"
    _code, text = cli("report", d, "--out", missing, code=1)
    assert "no folder" in text and not missing.parent.exists(), text
    cli("report", d, code=0)
    cli("report", d, code=0)
    assert (d / "report.html").is_file()


def _edit_manifest(folder: Path, **changes) -> None:
    mf = folder / "manifest.json"
    m = json.loads(mf.read_text())
    m.update(changes)
    mf.write_text(json.dumps(m))


@pytest.mark.parametrize(("periods", "said"), [
    (["p2031", "p2026", "p2036"], "manifest.json lists the periods p2031, p2026, p2036, "
                                  "but its period_table p2026, p2031, p2036"),
    (["p2026", "p2036"], "manifest.json lists the periods p2026, p2036, but its "
                         "period_table p2026, p2031, p2036"),
])
def test_a_manifest_whose_periods_were_edited_is_a_damaged_folder(tmp_path, results,
                                                                    periods, said):
    """small_chain's periods are p2026, p2031, p2036 (its period_table, in time order).
    Reordered by hand, explain took the manifest's order and wrote "binds in
    p2031-p2026"; one left out, a span over the gap ("p2026-p2036") and a line of its
    own for the one left out. Now refused, as the results folder it is, with what to do;
    every reader of results alike (report)."""
    d = _copy(tmp_path, results)
    _edit_manifest(d, periods=periods)
    _code, text = cli("explain", d, code=1)
    assert text.startswith("error: 1 problem in the results folder: "), text
    assert (f"{d}: damaged results folder: {said} (edited by hand?); run the case again "
            "(chainopt run ... --overwrite)") in text
    _code, text = cli("report", d, "--out", tmp_path / "r.html", code=1)
    assert said in text


def test_a_part_of_edited_by_hand_is_a_damaged_folder(tmp_path, results):
    """small_chain's period_table has p2026, p2031, p2036, none a part. With p2036 made
    a part of p2031 the record is still a split's (p2031's part follows it); with p2031
    made a part of p2036, a later period, no split could have written it (review s31
    F6: explain named 'the parts of the original p2036' from such an edit): refused,
    with the rule a case's periods follow, and the folder's damage said once."""
    d = _copy(tmp_path, results)
    m = json.loads((d / "manifest.json").read_text())
    table = [dict(r) for r in m["period_table"]]
    table[1]["part_of"] = "p2036"
    _edit_manifest(d, period_table=table)
    _code, text = cli("explain", d, code=1)
    assert (f"{d}: damaged results folder: manifest.json's period_table: p2031 is part_of "
            "'p2036', which is not the period it was split from (an earlier period, not "
            "itself a part, followed only by its parts) (edited by hand?); run the case "
            "again (chainopt run ... --overwrite)") in text, text
    assert text.count("damaged") == 1, text
    table[1].pop("part_of")
    table[2]["part_of"] = "p2031"
    _edit_manifest(d, period_table=table)
    cli("explain", d, code=0)


def test_a_table_row_moved_to_another_period_is_a_damaged_folder(tmp_path, results):
    """A constraints.csv row moved to p2099 and the checksums written anew: explain
    printed "capacity of unit tob_pe binds in p2099" without a word. p2099 is none of
    the run's periods (p2026, p2031, p2036): refused, naming the table and the period."""
    d = _copy(tmp_path, results)
    path = d / "constraints.csv"
    text = path.read_text()
    assert "period=p2026" in text
    path.write_text(text.replace(",p2026,", ",p2099,", 1))
    reseal(d)
    _code, out = cli("explain", d, code=1)
    assert ("damaged results folder: constraints.csv names the period 'p2099', not one "
            "of the run's periods (p2026, p2031, p2036, manifest.json)") in out, out


def test_an_edited_table_is_a_problem_in_the_results_folder_not_the_input(tmp_path, results):
    """A table edited without its checksum: the message's head said "1 problem in the
    input", but the command's input is fine; the folder is damaged."""
    d = _copy(tmp_path, results)
    DAMAGE["capacity_value_edited"](d)
    _code, text = cli("explain", d, code=1)
    assert text.startswith("error: 1 problem in the results folder: "), text
    assert "in the input" not in text


def _rename(folder: Path, table: str, old: str, new: str) -> None:
    """Each cell of ``table``'s CSV file that is ``old`` made ``new`` (quoted as CSV
    quotes it), and the checksums written anew: a folder someone sent, forged as
    review safety3's ``forge.py`` does it."""
    path = folder / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert (df == old).to_numpy().any()
    df.mask(df == old, new).to_csv(path, index=False)
    reseal(folder)


@pytest.mark.parametrize(("table", "old", "new", "row", "column", "shown"), [
    # small_chain's sites.csv: wsib (row 1), tobolsk (row 2), nakhodka, ru_dom, chn
    ("sites", "tobolsk", "<img src=x onerror=alert(11)>|", 2, "site",
     "'<img src=x onerror=alert(11)>|'"),
    ("sites", "wsib", "ws\x1b]0;pwn\x07ib", 1, "site", "'ws\\x1b]0;pwn\\x07ib'"),
    # its commodities.csv: crude (row 1), raw_gas (row 2), sales_gas (row 3), ...
    ("commodities", "raw_gas", "raw_gas\nline2", 2, "commodity", "'raw_gas\\nline2'"),
    # 81 characters: the first 60 shown, then its length
    ("commodities", "crude", '=HYPERLINK("http://e","h")' + "x" * 55, 1, "commodity",
     "'=HYPERLINK(\"http://e\",\"h\")" + "x" * 34 + "…' (81 characters)"),
    # activity.csv's first row is tob_cdu's cdu_run in p2026 (unit, mode, period order)
    ("activity", "tob_cdu", "Tob CDU", 1, "unit", "'Tob CDU'"),
])
def test_a_name_that_breaks_the_name_rule_is_a_damaged_table(tmp_path, results, table, old,
                                                             new, row, column, shown):
    """Review safety3 F6: a results folder someone sent, its name cells rewritten and its
    checksums written anew, was read as chainopt's own: ``<img ...>``, a formula, a line
    break or an ESC sequence in a site's name went into explain's lines, the comparison
    CSVs and a compare's project valuations. chainopt writes the case's names there, and
    validation holds those to snake_case, so the folder is damaged: exit 1 naming the
    file, the row (1 = the first below the header, by hand from small_chain's own
    tables, listed above), the column and the value with its control characters written
    out (``\\n``, ``\\x1b``) and cut after 60 characters with its length; the folder's
    problem, and run again with --overwrite. (``explain --ranging`` reads two tables, and
    checks the names of those it reads.)"""
    d = _copy(tmp_path, results)
    _rename(d, table, old, new)
    with pytest.raises(DamagedResultsError) as exc:
        Results.load(d)
    said = str(exc.value)
    assert said == (f"1 problem in the results folder:\n  - {d / f'{table}.csv'}: damaged "
                    f"results table: row {row}, column {column}: {shown} is not a name "
                    "(chainopt writes the case's names here: lower-case letters, digits "
                    "and _, starting with a letter (snake_case)); run the case again "
                    "(chainopt run ... --overwrite)"), said
    for argv in (["explain", d], ["verify", d], ["report", d, "--out", tmp_path / "r.html"]):
        _code, text = cli(*argv, code=1)
        assert text.startswith("error: 1 problem in the results folder: "), text
        assert " ".join(shown.split()) in text, text


@pytest.mark.parametrize(("key", "value", "shown"), [
    ("case", "<script>alert(43)</script>", "case '<script>alert(43)</script>'"),
    ("scenario", "=HYPERLINK(\"http://e\")", "scenario '=HYPERLINK(\"http://e\")'"),
    ("scenario", "port\nline2", "scenario 'port\\nline2'"),
    ("scenario", 5, "scenario '5'"),
    ("blocked_modes", [{"unit": "tob_pe", "mode": "+1+cmd|x", "reason": "any text"}],
     "blocked_modes[0].mode '+1+cmd|x'"),
    ("scenario_chain", [{"kind": "case", "name": "My Case Folder", "path": "/x"},
                        {"kind": "scenario", "name": "@SUM(A1)", "path": "s.yaml"}],
     "scenario_chain[1].name '@SUM(A1)'"),
])
def test_a_name_in_the_manifest_that_breaks_the_name_rule_is_a_damaged_manifest(
        tmp_path, results, key, value, shown):
    """The names manifest.json records — the case's and the scenario's (explain's and the
    report's title), each scenario's of its scenario_chain and the unit and mode of each
    blocked mode (explain's "almost made it") — are names, as chainopt writes them: else
    a damaged manifest, naming the key and the value written out. (The case at the root
    of scenario_chain is named after its folder, any text: ``My Case Folder`` is not
    refused.)"""
    d = _copy(tmp_path, results)
    _edit_manifest(d, **{key: value})
    with pytest.raises(DamagedResultsError) as exc:
        Results.load(d)
    said = str(exc.value)
    assert said == (f"1 problem in the results folder:\n  - {d / 'manifest.json'}: damaged "
                    f"manifest: {shown} is not a name (chainopt writes one here: lower-case "
                    "letters, digits and _, starting with a letter (snake_case)); run the "
                    "case again (chainopt run ... --overwrite)"), said
    _code, text = cli("explain", d, code=1)
    assert " ".join(shown.split()) in text


def test_only_the_name_columns_are_held_to_the_name_rule(tmp_path, results):
    """The columns checked are those of the case's names — by the case tables' schema
    (a name or a ref column: site, commodity, mode, link, project, ...) and the results'
    own (a unit in activity and unit_flows, a unit's or link's name in capacity and
    investments, an emission's source, a blend's component, a lever) —, listed here by
    hand from the README's table of results tables. Not a period, a KPI, a unit of
    measure (``1000m3``, ``MUSD/yr``), a constraint's key or family, a ramp-up
    (``0.7;0.9``), nor any other text: small_chain's folder, holding all of these, loads,
    and a blend's or project's table with no row is no table to check."""
    res = Results.load(results)
    expected = {
        "activity": ["unit", "mode", "site", "process"], "balances": ["site", "commodity"],
        "blend_qualities": ["blend", "property", "site", "product"],
        "blending": ["blend", "component", "site", "product"],
        "capacity": ["name", "site"], "coefficient_ranges": [], "commodities": ["commodity"],
        "constraints": [], "demand": ["site", "commodity"], "disposal": ["site", "commodity"],
        "emissions": ["site", "source", "commodity"],
        "flows": ["link", "commodity", "from_site", "to_site"], "investments": ["name"],
        "kpis": [], "levers": ["lever"], "production": ["site", "commodity"],
        "projects": ["project"], "purchases": ["site", "commodity"], "ranging": [],
        "reduced_costs": [], "sales": ["site", "commodity"], "sites": ["site"],
        "unit_flows": ["unit", "mode", "commodity", "site"]}
    assert {n: name_columns(n, df) for n, df in res.tables.items()} == expected
    assert "1000m3" in set(res.tables["commodities"]["unit"])  # not a name, not checked
    # a free-text column forged is not this check's: the KPI's unit of measure
    d = _copy(tmp_path, results)
    _rename(d, "kpis", "MUSD discounted", "=HYPERLINK(\"http://e\")")
    assert Results.load(d).tables["kpis"]["unit"].str.startswith("=HYPERLINK").any()


def test_compare_solves_a_folder_with_forged_names_again(tmp_path, compared):
    """Review safety3 F6: compare reused a scenario's folder whose project far_east_port
    was renamed ``+1+cmd|x`` (checksums written anew; its input hash still the
    scenario's), then failed on a change no scenario makes ("small_chain changes[0]: no
    project '+1+cmd|x' in projects.csv"), exit 1. Now the folder is damaged, and compare
    treats it as any damaged folder: solved again, named, left as it is without
    --overwrite; the comparison is the one of the runs solved fresh (by hand: the same
    tables as the first comparison), with no forged name in it."""
    _compared(tmp_path, compared)
    cmp_dir = tmp_path / "compare-small_chain-vs-small_port_expansion"
    comparison = {p.name: pd.read_csv(p) for p in cmp_dir.glob("*.csv")}
    run = tmp_path / "small_port_expansion"
    for table in ("projects", "investments"):  # where the run names the project
        _rename(run, table, "far_east_port", "+1+cmd|x")
    forged = {p.name: p.read_bytes() for p in run.iterdir()}
    _code, text = cli("compare", "small_chain", PORT, "--out", tmp_path, "--jobs", "1",
                      "--name", "other", code=0)
    assert "reused small_chain" in text and "solved small_port_expansion" in text
    # investments.csv (read first, by name) holds tob_pe's expansion in row 1, the
    # project's build in row 2
    assert (f"{run} is damaged ({run / 'investments.csv'}: damaged results table: row 2, "
            "column name: '+1+cmd|x' is not a name") in text
    assert "solved again but not replaced (pass --overwrite to replace)" in text
    assert {p.name: p.read_bytes() for p in run.iterdir()} == forged
    _same_comparison(tmp_path / "compare-other", comparison)
    assert not any("+1+cmd" in p.read_text() for p in (tmp_path / "compare-other").glob("*"))


def test_a_large_folder_is_read_on_two_threads_as_one_after_another(tmp_path, results,
                                                                       monkeypatch):
    """A folder whose tables hold ``THREADS_FROM_BYTES`` or more (here every folder) is
    read on two threads: the same tables as read one after another; with two tables
    damaged, the one first by name is named, as reading them in order names it."""
    import threading

    from chainopt import results as results_module

    read_on: set[str] = set()
    reader = results_module.read_table

    def spy(*args, **kwargs):
        read_on.add(threading.current_thread().name)
        return reader(*args, **kwargs)

    monkeypatch.setattr(results_module, "read_table", spy)
    monkeypatch.setattr(results_module, "THREADS_FROM_BYTES", 10**12)
    alone = Results.load(results)
    assert read_on == {threading.main_thread().name}
    read_on.clear()
    monkeypatch.setattr(results_module, "THREADS_FROM_BYTES", 0)
    threaded = Results.load(results)
    assert read_on and threading.main_thread().name not in read_on
    assert list(threaded.tables) == list(alone.tables) and threaded.manifest == alone.manifest
    for name, df in alone.tables.items():
        pd.testing.assert_frame_equal(threaded.tables[name], df, check_exact=True)
    d = _copy(tmp_path, results)
    for table in ("sales.csv", "balances.csv"):  # balances before sales
        with (d / table).open("a") as f:
            f.write("x")
    with pytest.raises(DamagedResultsError, match=r"balances\.csv: damaged results table"):
        Results.load(d)
