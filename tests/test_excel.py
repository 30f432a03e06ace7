"""Cases as Excel workbooks: folder -> workbook -> folder keeps the input hash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainopt.case.digest import case_hash
from chainopt.case.excel import read_workbook, write_workbook
from chainopt.case.load import load_case, read_raw
from chainopt.cli import app
from chainopt.errors import InputError

EXAMPLES = Path(__file__).parents[1] / "examples"


@pytest.mark.parametrize("case", ["small_chain", "ru_eastwest",
                                  str(EXAMPLES / "refinery_planning"),
                                  str(EXAMPLES / "petchem_investment")])
def test_round_trip_keeps_input_hash(case, tmp_path):
    book = tmp_path / "case.xlsx"
    r = CliRunner().invoke(app, ["convert", case, str(book)])
    assert r.exit_code == 0, r.output
    back = tmp_path / "back"
    r = CliRunner().invoke(app, ["convert", str(book), str(back)])
    assert r.exit_code == 0, r.output
    h = case_hash(load_case(case))
    assert case_hash(load_case(book)) == h
    assert case_hash(load_case(back)) == h
    # the tables, their columns and the case.yaml mapping survive as well
    a, b = read_raw(case), read_raw(back)
    assert a.meta == b.meta
    assert sorted(a.tables) == sorted(b.tables)
    for name in a.tables:
        assert list(a.tables[name].columns) == list(b.tables[name].columns), name
        assert len(a.tables[name]) == len(b.tables[name]), name


def test_workbook_layout_and_numbers(tmp_path):
    from openpyxl import load_workbook

    book = write_workbook(read_raw("small_chain"), tmp_path / "s.xlsx")
    wb = load_workbook(book)
    assert wb.sheetnames[0] == "case"
    assert "sites" in wb.sheetnames and "markets_by_period" in wb.sheetnames
    keys = {r[0]: r[1] for r in wb["case"].iter_rows(min_row=2, values_only=True)}
    assert keys["name"] == "small_chain" and keys["periods"].startswith("[{")
    lat = next(iter(wb["sites"].iter_rows(min_row=2, values_only=True)))[1]
    assert isinstance(lat, float)  # numbers stay numbers in Excel


def test_bad_workbooks_are_input_errors(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "sitez"
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(InputError) as e:
        read_workbook(tmp_path / "bad.xlsx")
    msg = str(e.value)
    assert "no 'case' sheet" in msg and "unknown table" in msg and "sites" in msg
    (tmp_path / "junk.xlsx").write_text("not a workbook")
    with pytest.raises(InputError):
        read_workbook(tmp_path / "junk.xlsx")
    r = CliRunner().invoke(app, ["convert", "small_chain", str(tmp_path / "out_dir")])
    assert r.exit_code == 1


def test_run_accepts_a_workbook(tmp_path):
    book = write_workbook(read_raw("small_chain"), tmp_path / "s.xlsx")
    r = CliRunner().invoke(app, ["run", str(book), "--out", str(tmp_path / "res"), "--excel"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "res" / "small_chain" / "results.xlsx").is_file()


def test_text_columns_come_back_as_written(tmp_path):
    """A site's description and source are text: a section number 2.10, 1e5, 3.0, -0 and a
    20-digit number came back as 2.1, 100000, 3, 0 and 1.234567890123457e+19 (the writer
    made a number of anything that looked like one). Number columns still become Excel
    numbers. A text longer than an Excel cell (32,767 characters) is refused, not cut."""
    import shutil

    src = tmp_path / "case"
    shutil.copytree(Path(__file__).resolve().parents[1] / "chainopt" / "data" / "small_chain",
                    src)
    raw = read_raw(src)
    texts = ["2.10", "1e5", "3.0", "-0", "12345678901234567890", "007", "1.50"]
    sites = raw.tables["sites"].copy()
    sites["description"] = (texts * len(sites))[:len(sites)]
    raw.tables["sites"] = sites
    book = write_workbook(raw, tmp_path / "case.xlsx")
    back = read_workbook(book)
    assert back.tables["sites"]["description"].tolist() == sites["description"].tolist()
    from openpyxl import load_workbook

    ws = load_workbook(book, read_only=True)["units"]
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    first = [c.value for c in next(ws.iter_rows(min_row=2, max_row=2))]
    assert isinstance(first[header.index("capacity_k_per_yr")], int | float)
    sites["description"] = ["x" * 40_000, *sites["description"][1:]]
    with pytest.raises(InputError, match=r"sites.csv row 2, column description: 40,000 "
                                         r"characters, more than the 32,767"):
        write_workbook(raw, tmp_path / "long.xlsx")


def test_converting_a_scenario_is_refused_by_name(tmp_path):
    """``convert scenarios/small_port_expansion.yaml x.xlsx`` said "no case folder or
    embedded case of this name" of a file that is there; now it says it is a scenario and
    to convert its base (exit 1, nothing written)."""
    scenario = Path(__file__).parents[1] / "scenarios" / "small_port_expansion.yaml"
    r = CliRunner().invoke(app, ["convert", str(scenario), str(tmp_path / "s.xlsx")])
    assert r.exit_code == 1
    text = " ".join(r.output.split())
    assert "is a scenario, a change to a case" in text
    assert "convert the case the scenario is based on (its base:)" in text
    assert not (tmp_path / "s.xlsx").exists()


def test_an_invalid_case_is_not_converted(tmp_path):
    """small_chain with unit tob_cdu at a site 'nowhere' (units.csv row 2): convert wrote
    the workbook, then failed reading it back (exit 1 with the file written; with
    --overwrite a good workbook was replaced by the invalid one), and from a workbook it
    wrote the folder and named the folder's ``units.csv row 2``. By hand: the case is
    invalid in both forms, so each convert is exit 1 naming the source's own place (the
    CSV row; the workbook's cell B2, column B = site) and nothing is written or replaced."""
    case = tmp_path / "bad"
    shutil.copytree(Path(str(load_case("small_chain").raw.origin)), case)
    units = case / "units.csv"
    units.write_text(units.read_text().replace("tob_cdu,tobolsk,", "tob_cdu,nowhere,", 1))
    good = tmp_path / "good.xlsx"
    assert CliRunner().invoke(app, ["convert", "small_chain", str(good)]).exit_code == 0
    kept = good.read_bytes()
    for target, overwrite in ((tmp_path / "new.xlsx", []), (good, ["--overwrite"])):
        r = CliRunner().invoke(app, ["convert", str(case), str(target), *overwrite])
        assert r.exit_code == 1
        assert "units.csv row 2, column site: unknown site name (found 'nowhere')" in \
            " ".join(r.output.split())
    assert not (tmp_path / "new.xlsx").exists() and good.read_bytes() == kept
    book = tmp_path / "bad.xlsx"
    write_workbook(read_raw(case), book)  # as someone may have saved it
    r = CliRunner().invoke(app, ["convert", str(book), str(tmp_path / "back")])
    assert r.exit_code == 1
    assert "units!B2: unknown site name (found 'nowhere')" in " ".join(r.output.split())
    assert not (tmp_path / "back").exists()


def test_results_workbook_numbers_are_those_of_the_csv_tables(tmp_path):
    """A blend quality of 94 - 1.4e-14 (a solve's rounding of 94, at its spec minimum of
    94), a flow of 3e-12 (solver noise) and -0.0: the CSV tables write 94, 0 and 0 (10
    significant digits, below 1e-10 as 0); results.xlsx wrote 93.99999999999999 (below
    the minimum beside it), 3e-12 and -0. Now the same 94, 0, 0; 1234.5678901234 keeps
    ten digits, 1234.567890."""
    import pandas as pd
    from openpyxl import load_workbook

    from chainopt.report.excel import write_results_workbook

    tables = {"blend_qualities": pd.DataFrame({
        "value": [93.99999999999999, 3e-12, -0.0, 1234.5678901234], "min_value": 94.0})}
    wb = load_workbook(write_results_workbook(tables, {}, tmp_path / "r.xlsx"))
    assert [r[0].value for r in wb["blend_qualities"].iter_rows(min_row=2)] == [
        94, 0, 0, 1234.56789]
    assert not any(str(r[0].value).startswith("-") for r in
                   wb["blend_qualities"].iter_rows(min_row=2))
