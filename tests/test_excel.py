"""Cases as Excel workbooks: folder -> workbook -> folder keeps the input hash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainopt.case.digest import case_hash
from chainopt.case.excel import read_workbook, write_workbook
from chainopt.case.load import load_case, read_raw
from chainopt.case.scenario import load_source
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


def test_the_manifest_sheet_writes_numbers_as_the_tables_do(tmp_path):
    """An objective of 43.49999999999999 (the kpis sheet's 43.5) was written as it is."""
    from openpyxl import load_workbook

    from chainopt.report.excel import write_results_workbook

    wb = load_workbook(write_results_workbook(
        {}, {"objective": 43.49999999999999, "num_vars": 12, "case": "x"}, tmp_path / "r.xlsx"))
    rows = {r[0].value: r[1].value for r in wb["manifest"].iter_rows(min_row=2)}
    assert rows == {"objective": 43.5, "num_vars": 12, "case": "x"}


def _edited_small_chain(tmp_path, edit) -> Path:
    """small_chain converted to a workbook, then ``edit(openpyxl workbook)`` saved over it,
    as a consultant edits it in Excel."""
    from openpyxl import load_workbook

    book = write_workbook(read_raw("small_chain"), tmp_path / "s.xlsx")
    wb = load_workbook(book)
    edit(wb)
    wb.save(book)
    return book


def test_merged_cells_are_refused_at_their_range(tmp_path):
    """In small_chain's ``links`` sheet, capacity_k_per_yr is column F: crude_pipe (row 2)
    8000, gas_pipe (row 3) 12000. Merging F2:F3 (a consultant tidying equal-looking rows)
    keeps 8000 in F2 and empties F3, which Excel shows as one 8000 across both rows; it was
    read as gas_pipe with a blank capacity, i.e. no limit at all (12000 -> unlimited,
    without a word). Now refused at ``links!F2:F3``; a merge across columns (units!H2:I2,
    tob_cdu's max_new_k_per_yr and lifetime_yr) likewise; a merged header (units!D1:E1)
    is named as one."""
    def merge(wb):
        wb["links"].merge_cells("F2:F3")
        wb["units"].merge_cells("H2:I2")
        wb["units"].merge_cells("D1:E1")
        wb["sites"].merge_cells("A1:A2")  # a header with the data cell below it

    with pytest.raises(InputError) as e:
        read_workbook(_edited_small_chain(tmp_path, merge))
    text = " ".join(str(e.value).split())
    assert "links!F2:F3: merged cells: the first one holds the value, the others read as " \
        "blank (a blank capacity means no limit); unmerge them and enter each cell's " \
        "value" in text
    assert "units!H2:I2: merged cells" in text
    assert "units!D1:E1: merged header cells: the first one holds the column's name, the " \
        "others read as columns without one; unmerge them: one name per column" in text
    assert "sites!A1:A2: merged cells: the first one holds the value" in text


def test_a_date_in_a_number_column_is_refused_as_a_date(tmp_path):
    """units!I2 is tob_cdu's lifetime_yr (30). In a cell formatted as a date, Excel keeps
    30 as day 30 of its calendar (day 1 = 1900-01-01), so it shows and reads 1900-01-30;
    the message was "not a number (found '1900-01-30T00:00:00')", a date the consultant
    never typed and no word of what to do. Now it says the cell is formatted as a date
    and how to format it as a number. A date typed into a number cell (units!D3, 2030-01-01)
    likewise; a date in a text column (a site's description) is text, as ever."""
    import datetime

    def dates(wb):
        wb["units"]["I2"].number_format = "yyyy-mm-dd"
        wb["units"]["D3"] = datetime.datetime(2030, 1, 1)
        wb["sites"]["D2"] = datetime.datetime(2030, 1, 1)

    with pytest.raises(InputError) as e:
        read_workbook(_edited_small_chain(tmp_path, dates))
    text = " ".join(str(e.value).split())
    assert "units!I2: a date or time (1900-01-30), not a number: the cell is formatted as " \
        "a date; format the cell as a number (Excel: Home, Number Format, General) and " \
        "check its value" in text
    assert "units!D3: a date or time (2030-01-01), not a number" in text
    assert "sites!D2" not in text and len(e.value.problems) == 2


def test_an_unknown_sheet_says_how_to_keep_notes(tmp_path):
    """A consultant's extra sheet (``Notes``, or an empty ``Sheet1``) is refused as an
    unknown table: the hint was the nearest table name ('sites') or nothing at all; now
    it also says that a sheet of notes starts with _ (``_Notes`` is not read)."""
    def extra(wb):
        wb.create_sheet("Notes")["A1"] = "ask Ivan about the port"
        wb.create_sheet("Sheet1")

    with pytest.raises(InputError) as e:
        read_workbook(_edited_small_chain(tmp_path, extra))
    text = " ".join(str(e.value).split())
    hint = "a sheet of notes: start its name with _ (such sheets are not read)"
    assert f"sheet Notes: unknown table; did you mean 'sites'?; {hint}" in text
    assert f"sheet Sheet1: unknown table; {hint}" in text
    kept = _edited_small_chain(tmp_path, lambda wb: wb.create_sheet("_Notes"))
    assert case_hash(load_case(kept)) == case_hash(load_case("small_chain"))


def test_results_workbook_continues_a_long_table_on_more_sheets(tmp_path, monkeypatch):
    """An Excel sheet has 1,048,576 rows (Excel's specification), the header's included.
    openpyxl wrote a table of 1,048,577 result rows to rows 2 .. 1,048,578 of one sheet, a
    file Excel calls damaged. Now a sheet holds at most that many rows and the table goes
    on in ``<table> (2)``, ``(3)``, ... each with the header. By hand with a limit of 4
    rows (header + 3): a 7-row table x = 0..6 is flows [0, 1, 2], flows (2) [3, 4, 5],
    flows (3) [6]; an empty table is one sheet with its header; kpis first, manifest last."""
    import pandas as pd
    from openpyxl import load_workbook

    import chainopt.report.excel as rx
    from chainopt import xlsx_text

    assert xlsx_text.EXCEL_ROWS == 1_048_576
    monkeypatch.setattr(xlsx_text, "EXCEL_ROWS", 4)
    tables = {"flows": pd.DataFrame({"x": range(7)}), "kpis": pd.DataFrame({"kpi": ["a"]}),
              "sales": pd.DataFrame({"y": []})}
    wb = load_workbook(rx.write_results_workbook(tables, {"k": 1}, tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["kpis", "flows", "flows (2)", "flows (3)", "sales", "manifest"]
    cells = {n: [r for r in wb[n].iter_rows(values_only=True)] for n in wb.sheetnames}
    assert cells["flows"] == [("x",), (0,), (1,), (2,)]
    assert cells["flows (2)"] == [("x",), (3,), (4,), (5,)]
    assert cells["flows (3)"] == [("x",), (6,)]
    assert cells["sales"] == [("y",)]
    assert rx.sheet_title("x" * 40, 2) == "x" * 27 + " (2)"  # 31 characters, Excel's most
    # a control character a workbook cannot hold is _, an apostrophe at either end goes
    assert rx.sheet_title("a\x1bb", 1) == "a_b" and rx.sheet_title("'x'", 2) == "x (2)"
    assert rx.sheet_title("''", 1) == "_"
    # a table wider than a sheet (16,384 columns, A to XFD) is refused, naming it
    from chainopt.errors import InputError

    assert len(rx.table_sheets("wide", pd.DataFrame(columns=range(16_384)))) == 1
    with pytest.raises(InputError, match="table wide: 16,385 columns, more than the 16,384"):
        rx.table_sheets("wide", pd.DataFrame(columns=range(16_385)))


def test_a_comparison_table_longer_than_a_sheet_goes_on_in_further_sheets(tmp_path,
                                                                         monkeypatch):
    """comparison.xlsx (report --pptx of a comparison) wrote every table on one sheet,
    however long: past Excel's 1,048,576 rows a file Excel calls damaged. By hand with
    sheets of 4 rows (header + 3): a comparison table ``long`` of 7 rows (x = 0..6) takes
    ceil(7 / 3) = 3 sheets, rows 0-2, 3-5 and 6, each under the header, as results.xlsx
    splits its tables; the project table (no economics: its header only) comes first."""
    from openpyxl import load_workbook

    from chainopt import xlsx_text
    from chainopt.report import deck

    monkeypatch.setattr(xlsx_text, "EXCEL_ROWS", 4)
    folder = tmp_path / "compare-x"
    folder.mkdir()
    (folder / "long.csv").write_text("x\n0\n1\n2\n3\n4\n5\n6\n")
    wb = load_workbook(deck.workbook(folder, tmp_path / "comparison.xlsx"))
    assert wb.sheetnames == ["projects", "long", "long (2)", "long (3)"]
    cells = {n: [r for r in wb[n].iter_rows(values_only=True)] for n in wb.sheetnames}
    assert cells["long"] == [("x",), (0,), (1,), (2,)]
    assert cells["long (2)"] == [("x",), (3,), (4,), (5,)]
    assert cells["long (3)"] == [("x",), (6,)]
    assert cells["projects"] == [tuple(deck.PROJECT_COLUMNS)]


def test_a_percentage_typed_as_text_says_to_write_the_fraction(tmp_path):
    """tob_cdu's availability (units!E2, 0.95) typed as the text '10%' (a column formatted
    as text keeps it so) was "not a number (found '10%')" and no word of what to write;
    10 % is the fraction 0.1, so the hint says that. A number shown as 10 % (0.1 with a
    percentage format) is the number 0.1."""
    def percent(wb):
        wb["units"]["E2"] = "10%"
        wb["units"]["E3"] = 0.1
        wb["units"]["E3"].number_format = "0%"

    book = _edited_small_chain(tmp_path, percent)
    assert read_workbook(book).tables["units"]["availability"].tolist()[:2] == ["10%", "0.1"]
    with pytest.raises(InputError) as e:
        load_case(book)
    assert "units!E2: not a number (found '10%'); a percentage? write the fraction: 0.1, " \
        "not 10%" in " ".join(str(e.value).split())
    assert len(e.value.problems) == 1


def test_a_case_table_longer_than_a_sheet_is_not_converted(tmp_path, monkeypatch):
    """A case table becomes one sheet, header in row 1, so a sheet holds at most 1,048,575
    of its rows; convert wrote row 1,048,577 and on (a file Excel calls damaged). By hand
    with sheets of 15 rows (header + 14): small_chain's commodities (14 rows) just fits,
    mode_flows (25 rows) does not: refused naming it and what to do, nothing written."""
    from chainopt import xlsx_text

    monkeypatch.setattr(xlsx_text, "EXCEL_ROWS", 15)
    with pytest.raises(InputError) as e:
        write_workbook(read_raw("small_chain"), tmp_path / "s.xlsx")
    assert str(e.value.problems[0]).startswith("mode_flows.csv: 25 rows, more than the 14 "
                                              "an Excel sheet holds below its header")
    assert "keep this case as CSV files" in str(e.value)
    assert not (tmp_path / "s.xlsx").exists()


def test_an_unknown_column_with_spaces_is_located_at_its_header_cell(tmp_path):
    """units!D1 renamed 'capacity_k_per_yr (kt/yr)' (a unit added to the header, as
    consultants do): the unknown column was said as 'sheet units, column
    capacity_k_per_yr (kt/yr)' (only snake_case headers were found in the header row);
    now it is the cell, units!D1, as for any other header."""
    def unit(wb):
        wb["units"]["D1"] = "capacity_k_per_yr (kt/yr)"

    with pytest.raises(InputError) as e:
        load_case(_edited_small_chain(tmp_path, unit))
    assert "units!D1: unknown column; did you mean 'capacity_k_per_yr'?" in \
        " ".join(str(e.value).split())


def test_a_blank_is_written_as_an_empty_cell(tmp_path):
    """small_chain's rail_dom link (links.csv row 4) has a blank capacity (no limit):
    links!F4. It was written as a text cell holding '' (``<c r="F4" t="inlineStr"></c>``,
    not blank to Excel's ISBLANK, COUNTBLANK or Go To Blanks, and an error in some
    readers); now no cell at all, as Excel writes a blank. It still reads back blank
    (not 0), and 0 stays 0 (tob_cdu's capex, units!G2)."""
    import zipfile

    from openpyxl import load_workbook

    book = write_workbook(read_raw("small_chain"), tmp_path / "s.xlsx")
    part = f"xl/worksheets/sheet{load_workbook(book).sheetnames.index('links') + 1}.xml"
    xml = zipfile.ZipFile(book).read(part).decode()
    assert 'r="F4"' not in xml and 'inlineStr"></c>' not in xml and 'inlineStr"/>' not in xml
    back = read_workbook(book)
    assert back.tables["links"]["capacity_k_per_yr"].iloc[2] == ""
    assert back.tables["units"]["capex_usd_per_unit_yr"].iloc[0] == "0"


def test_an_infinite_end_of_a_ranging_interval_is_written_as_inf(tmp_path):
    """A ranging row whose cost may fall without limit (lower -inf) and rise to 432: the
    results workbook wrote the infinite end as a blank cell, which says "no value",
    while the CSV files and explain say -inf. Now the text -inf (and inf), a missing
    value blank, the finite end the number 432."""
    import numpy as np
    import pandas as pd
    from openpyxl import load_workbook

    from chainopt.report.excel import write_results_workbook

    ranging = pd.DataFrame({"key": ["a", "b"], "lower": [-np.inf, 1.5],
                            "upper": [432.0, np.inf], "room": [np.nan, 2.0]})
    path = write_results_workbook({"ranging": ranging}, {"case": "x"}, tmp_path / "r.xlsx")
    rows = list(load_workbook(path)["ranging"].iter_rows(values_only=True))
    assert rows[1:] == [("a", "-inf", 432, None), ("b", 1.5, "inf", 2)]


def test_a_scenario_may_take_a_workbook_as_its_base(tmp_path):
    """A scenario's ``base: t1.xlsx`` was "no case folder, embedded case or scenario file"
    though the file is there. The toy case (tests.toycase.t1_case: 1.680 MUSD) with
    prod's price scaled by 1.1 (220 in p1, 275 in p2): u1 still runs full, 8 x (220 - 100
    - 20) + 8 x (275 - 120) = 800 + 1,240 kUSD = 2.040 MUSD, as the same scenario on the
    folder, with the same input hash; verify re-runs it from the scenario file (which
    reads the workbook again) and says the inputs changed once u1 is 9 kt/yr in the
    workbook. A workbook not there is named as one."""
    import json

    from openpyxl import load_workbook

    from tests.toycase import t1_case

    folder = t1_case(tmp_path / "t1")
    write_workbook(read_raw(folder), tmp_path / "t1.xlsx")
    change = "changes: [{table: markets, where: {commodity: prod}, " \
             "scale: {price_usd_per_unit: 1.1}}]\n"
    (tmp_path / "s_ok.yaml").write_text(f"name: s_ok\nbase: t1.xlsx\n{change}")
    (tmp_path / "s_fold.yaml").write_text(f"name: s_fold\nbase: t1\n{change}")
    runner = CliRunner()
    out = tmp_path / "res"
    r = runner.invoke(app, ["run", str(tmp_path / "s_ok.yaml"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "objective (NPV) 2.040 MUSD" in r.output
    assert case_hash(load_source(tmp_path / "s_ok.yaml")) == \
        case_hash(load_source(tmp_path / "s_fold.yaml"))
    r = runner.invoke(app, ["validate", str(tmp_path / "s_ok.yaml")])
    assert "t1.xlsx (case workbook) -> " in " ".join(r.output.split()), r.output
    chain = json.loads((out / "s_ok" / "manifest.json").read_text())["scenario_chain"]
    assert chain[0]["kind"] == "case" and chain[0]["path"].endswith("t1.xlsx")
    assert runner.invoke(app, ["verify", str(out / "s_ok")]).exit_code == 0
    wb = load_workbook(tmp_path / "t1.xlsx")
    wb["units"]["D2"] = 9
    wb.save(tmp_path / "t1.xlsx")
    r = runner.invoke(app, ["verify", str(out / "s_ok")])
    assert r.exit_code == 6 and "inputs changed" in r.output, r.output
    (tmp_path / "s_no.yaml").write_text(f"name: s_no\nbase: nope.xlsx\n{change}")
    with pytest.raises(InputError, match=r"case workbook 'nope\.xlsx' not found"):
        load_source(tmp_path / "s_no.yaml")


def test_empty_text_in_results_workbook_is_a_blank_cell(tmp_path):
    """kpis' whole-horizon rows have the period "" (kpis.csv: an empty field): results.xlsx
    wrote it as an empty inline-string cell (``<c r="B2" t="inlineStr"/>``), which
    Excel's ISBLANK calls not blank and COUNTBLANK skips. Now no cell at all, as the
    missing number beside it (NaN); the text of the next row and the number 1.5 stay."""
    import zipfile

    import numpy as np
    import pandas as pd

    from chainopt.report.excel import write_results_workbook

    kpis = pd.DataFrame({"kpi": ["npv", "margin"], "period": ["", "p1"],
                         "value": [np.nan, 1.5]})
    path = write_results_workbook({"kpis": kpis}, {"case": "x", "scenario": ""},
                                  tmp_path / "r.xlsx")
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        manifest = z.read("xl/worksheets/sheet2.xml").decode()
    assert 'r="B2"' not in xml and 'r="C2"' not in xml and 'r="B3"' in xml
    assert 'r="C3" t="n"><v>1.5</v>' in xml
    assert 'r="B3"' not in manifest  # the manifest's "scenario": "" (row 3) as well


def test_convert_writes_every_number_validation_reads_as_an_excel_number(tmp_path):
    """units.csv ``u1,a,conv,+8,.95`` (capacity 8, availability 0.95: valid) was written as
    the text cells ``+8`` and ``.95`` (an Excel SUM skips them); supplies' ``1e1`` (10)
    and markets' ``200.`` too. Now numbers: 8, 0.95, 10, 200. The toy case
    (tests.toycase.t1_case) so runs u1 at 8 x 0.95 = 7.6 kt/yr: 7.6 x (200 - 100 - 20) +
    7.6 x (250 - 120) = 608 + 988 kUSD = 1.596 MUSD from the workbook, whose input hash is
    the folder's. A source ``+1`` (a text column) stays text."""
    from openpyxl import load_workbook

    from tests.toycase import t1_case

    folder = t1_case(tmp_path / "t1")
    (folder / "units.csv").write_text("unit,site,process,capacity_k_per_yr,availability,"
                                      "source\nu1,a,conv,+8,.95,+1\n")
    (folder / "supplies.csv").write_text("site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                                         "a,crude,100,1e1\n")
    (folder / "markets.csv").write_text("site,commodity,price_usd_per_unit,max_k_per_yr\n"
                                        "a,prod,200.,100\n")
    book = tmp_path / "t1.xlsx"
    r = CliRunner().invoke(app, ["convert", str(folder), str(book)])
    assert r.exit_code == 0, r.output
    wb = load_workbook(book)
    cells = [wb["units"]["D2"], wb["units"]["E2"], wb["supplies"]["D2"], wb["markets"]["C2"]]
    assert [(c.data_type, c.value) for c in cells] == [("n", 8), ("n", 0.95), ("n", 10),
                                                       ("n", 200)]
    assert (wb["units"]["F2"].data_type, wb["units"]["F2"].value) == ("s", "+1")
    assert case_hash(load_case(book)) == case_hash(load_case(folder))
    r = CliRunner().invoke(app, ["run", str(book), "--out", str(tmp_path / "res")])
    assert r.exit_code == 0 and "objective (NPV) 1.596 MUSD" in r.output, r.output


def test_workbook_words_say_each_row_and_table_file_for_the_workbook():
    """Review xlsx2 F1 and F2: the words of case warnings and hints for a workbook whose
    levies sheet has its header in row 1 and its data in rows 4, 5 and 6 (two blank rows
    above them; row 5 hidden) and whose units sheet has its data in rows 2, 3 and 9
    (capacity in column D); there is no mode_flows sheet. CSV row n is the (n-1)th data
    row: levies.csv row 2 is sheet row 4, row 3 is 5; units.csv row 4 is 9, row 3 is 3.
    A table file named without a row is its sheet (``declare it in modes.csv (column
    process)``: the sheet modes), ``case.yaml`` the case sheet; a name that is no table's
    file (text a user typed, ``notes.csv``) stays as it is."""
    from chainopt.case.excel import workbook_words

    locations = {"levies": {"sheet": "levies", "header_row": 1, "rows": [4, 5, 6],
                            "columns": {"levy": "A"}, "hidden": {5}},
                 "units": {"sheet": "units", "header_row": 1, "rows": [2, 3, 9],
                           "columns": {"unit": "A", "capacity_k_per_yr": "D"},
                           "hidden": set()}}
    for folder, book in (
            ("levies.csv rows 2 (d_a) and 3 (d_b): their export duties",
             "sheet levies, rows 4 (d_a) and 5 (d_b, a hidden row): their export duties"),
            ("levies.csv row 2 (duty): its export duty", "levies!4:4 (duty): its export duty"),
            ("levies.csv row 3: x", "levies!5:5 (a hidden row): x"),
            ("mode m of unit u at s (units.csv row 4) can never run: the feed (mode_flows.csv "
             "row 3) it uses", "mode m of unit u at s (units!9:9) can never run: the feed "
             "(sheet mode_flows, row 3) it uses"),
            ("units.csv row 3, column capacity_k_per_yr: x", "units!D3: x"),
            ("... and 12 more markets.csv rows that sell nothing",
             "... and 12 more rows of the sheet markets that sell nothing"),
            ("declare it in commodities.csv", "declare it in the sheet commodities"),
            ("declare it in modes.csv (column process)",
             "declare it in the sheet modes (column process)"),
            ("declare it in qualities.csv (column property)",
             "declare it in the sheet qualities (column property)"),
            ("a project that would bring it (projects.csv, column state)",
             "a project that would bring it (the sheet projects, column state)"),
            ("the periods of case.yaml: p1, p2", "the periods of the case sheet: p1, p2"),
            ("create units.csv", "add a sheet units"),
            ("found 'notes.csv row 2'", "found 'notes.csv row 2'")):
        assert workbook_words(folder, locations) == book, folder


def test_a_comparison_workbook_holds_first_use_as_a_year_number(tmp_path):
    """Review xlsx2 F4: compare writes a project's first use as the text '2033' ('' for
    one not built), as economics.csv, the deck and the terminal show it; comparison.xlsx
    held that text ("number stored as text", sorted as text) in its projects and
    economics sheets. Now a number cell 2033, and an empty cell where the project is not
    built; the CSV keeps its text (2033 and an empty field) and records the column as
    text, so compare's own tables still read '2033' back. A first use that is no whole
    number (a CSV someone edited: 'soon') stays text."""
    from openpyxl import load_workbook

    from chainopt.report import compare as cmp
    from chainopt.report import deck

    eco = pd.DataFrame({"scenario": ["a", "b", "c"], "effect": ["mp4", "mp4", "mp2"],
                        "against": "", "includes": "",
                        "built": ["p2031", "not built", "p2036"],
                        "first use": ["2033", "", "soon"],
                        "incremental NPV (MUSD)": [30.0, 0.0, 1.0]})
    eco = eco.reindex(columns=cmp.ECONOMICS_COLUMNS).assign(
        **{"IRR note": "", "payback note": ""})
    folder = cmp.save({"economics": eco}, ["base", "a", "b", "c"], tmp_path / "compare-x")
    assert [line.split(",")[4:6] for line in
            (folder / "economics.csv").read_text().splitlines()[1:]] == [
        ["p2031", "2033"], ["not built", ""], ["p2036", "soon"]]
    assert cmp.read_tables(folder)["economics"]["first use"].tolist()[0] == "2033"
    wb = load_workbook(deck.workbook(folder, tmp_path / "comparison.xlsx"))
    for sheet, rows in (("economics", 4), ("projects", 3)):
        ws = wb[sheet]
        col = [c.value for c in ws[1]].index("first use") + 1
        cells = [ws.cell(r, col) for r in range(2, rows + 1)]
        got = [(c.value, c.data_type) for c in cells]
        expected = ([(2033, "n"), (None, "n"), ("soon", "s")] if sheet == "economics"
                    else [(2033, "n"), ("soon", "s")])  # (not built: no project row)
        assert got == expected, (sheet, got)


def test_a_scenario_on_a_workbook_names_its_sheets(tmp_path):
    """A scenario on ``small.xlsx`` was told about ``markets.csv``, a file its user does
    not have: a change's selector (``selector column 'market' does not exist in
    markets.csv``), the effective case's problems (``markets.csv row chn/hdpe/1``) and
    its warnings. Each now names the sheet, and the rows by key as for any scenario (a
    row of the effective case is no row of the workbook once a change adds or removes
    one). small_chain sells hdpe at ru_dom and chn; a floor of 100 above a cap of 5 is
    refused at both rows; without its diesel and lpg markets nothing reaches tobolsk's
    naphtha market (test_scenario's warning by key). The same scenario on the folder
    still names the files."""
    from chainopt import api

    write_workbook(read_raw("small_chain"), tmp_path / "small.xlsx")
    head = "name: s\nbase: small.xlsx\nchanges:\n"
    (tmp_path / "sel.yaml").write_text(
        head + "  - {table: markets, where: {market: x}, set: {price_usd_per_unit: 5}}\n")
    with pytest.raises(InputError) as exc:
        load_source(tmp_path / "sel.yaml")
    (p,) = exc.value.problems
    assert p.message == "selector column 'market' does not exist in the sheet markets"
    assert p.hint.startswith("columns: site, commodity"), p.hint
    (tmp_path / "floor.yaml").write_text(
        head + "  - {table: markets, where: {commodity: hdpe}, "
               "set: {min_k_per_yr: 100, max_k_per_yr: 5}}\n")
    with pytest.raises(InputError) as exc:
        load_source(tmp_path / "floor.yaml")
    assert sorted(p.where.removeprefix(f"{tmp_path}/") for p in exc.value.problems) == [
        "floor.yaml (effective case) sheet markets, row chn/hdpe/1, column min_k_per_yr",
        "floor.yaml (effective case) sheet markets, row ru_dom/hdpe/1, column min_k_per_yr"]
    (tmp_path / "cut.yaml").write_text(
        head + "  - {table: markets, remove_rows: {commodity: [diesel, lpg]}}\n")
    said = api.case_warnings(api.load_case(str(tmp_path / "cut.yaml")))
    (naphtha,) = [w for w in said if "naphtha can reach tobolsk" in w]
    assert naphtha.startswith("sheet markets, row tobolsk/naphtha/1: "), naphtha
    assert not any(".csv" in w for w in said), said
    (tmp_path / "folder.yaml").write_text(
        (head + "  - {table: markets, where: {market: x}, set: {price_usd_per_unit: 5}}\n"
         ).replace("small.xlsx", "small_chain"))
    with pytest.raises(InputError, match=r"does not exist in markets\.csv"):
        load_source(tmp_path / "folder.yaml")
