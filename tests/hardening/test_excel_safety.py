"""Items 2 and 3 of issue 13: workbooks in (formulas, huge used ranges, cell locations)
and out (text that would run as a formula is written as text).

Expected values are set by hand in each test: the workbook is the shipped small_chain
case converted by ``chainopt convert`` (``units`` sheet: header in row 1, ``tob_cdu``
in row 2 with ``capacity_k_per_yr`` = 8000 in column D)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import chainopt.case.excel as excel
from chainopt import api
from chainopt.case.digest import case_hash
from chainopt.case.excel import FORMULA_WITHOUT_VALUE
from chainopt.report.excel import write_results_workbook
from tests.hardening.conftest import cli

HOSTILE_TEXT = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+2", "-2+3", "@SUM(A1)",
                "=cmd|' /C calc'!A0"]


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "small.xlsx"
    api.convert("small_chain", path)
    return path


def _patch_sheet(path, sheet: str, edit) -> None:
    """Rewrite the XML of one sheet inside the .xlsx zip (what Excel would have saved)."""
    names = load_workbook(path, read_only=True).sheetnames
    member = f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"
    with zipfile.ZipFile(path) as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    items[member] = edit(items[member].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)


def _set(path, sheet: str, cell: str, value) -> None:
    wb = load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


def test_formula_without_saved_value_names_sheet_and_cell(workbook):
    _set(workbook, "units", "D2", "=2*4000")  # openpyxl saves no cached value
    _code, text = cli("validate", workbook, code=1)
    assert "units!D2" in text and FORMULA_WITHOUT_VALUE in text


def test_formula_uses_the_saved_value(workbook):
    """Formula =2*4000 saved by 'Excel' with the value 7000 (deliberately not 8000, the
    formula's result, nor the original 8000): the case reads 7000."""
    _set(workbook, "units", "D2", "=2*4000")
    _patch_sheet(workbook, "units", lambda x: x.replace("<f>2*4000</f><v />",
                                                        "<f>2*4000</f><v>7000</v>"))
    case = api.load_case(workbook)
    units = case.tables["units"].set_index("unit")
    assert units.loc["tob_cdu", "capacity_k_per_yr"] == 7000


def test_huge_but_empty_used_range_reads_like_the_real_one(workbook):
    """The sheet claims A1:XFD1048576 and holds one empty styled cell in its last cell:
    it reads as the same case (same input hash), keeping only the real rows."""
    before = case_hash(api.load_case(workbook))

    def huge(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576" />', xml)
        return xml.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576" s="0" /></row>'
                           "</sheetData>")

    _patch_sheet(workbook, "units", huge)
    assert case_hash(api.load_case(workbook)) == before


def test_validation_names_sheet_and_cell(workbook):
    """tob_cdu's capacity (row 2) is text; after an empty row is inserted above row 3 the
    second unit sits in row 4, so a bad value there is units!D4; an unknown column
    header written in J1 is units!J1; a bad discount rate is on its row of the case sheet."""
    wb = load_workbook(workbook)
    ws = wb["units"]
    ws["D2"] = "abc"
    ws.insert_rows(3)
    ws["D4"] = "-5"
    ws["J1"] = "bogus"
    case_ws = wb["case"]
    row = next(r for r in range(1, case_ws.max_row + 1)
               if case_ws.cell(r, 1).value == "discount_rate")
    case_ws.cell(row, 2).value = "7"
    wb.save(workbook)
    _code, text = cli("validate", workbook, code=1)
    assert "units!D2: not a number (found 'abc')" in text
    assert "units!D4: must be at least 0 (found '-5')" in text
    assert "units!J1: unknown column" in text
    assert f"case!B{row} (discount_rate)" in text
    assert "units.csv" not in text


def test_case_round_trip_keeps_formula_like_text_as_text(small_copy, tmp_path):
    """Descriptions that spreadsheets would run are text cells in the workbook (type s),
    a negative latitude stays a number, and converting back gives the same CSV text."""
    sites = pd.read_csv(small_copy / "sites.csv", dtype=str, keep_default_na=False)
    sites["description"] = (HOSTILE_TEXT * len(sites))[:len(sites)]
    sites.loc[0, "lat_deg"] = "-5"
    sites.to_csv(small_copy / "sites.csv", index=False)
    wb_path = tmp_path / "case.xlsx"
    cli("convert", small_copy, wb_path, code=0)
    ws = load_workbook(wb_path)["sites"]
    header = [c.value for c in ws[1]]
    desc, lat = header.index("description") + 1, header.index("lat_deg") + 1
    for r in range(2, len(sites) + 2):
        cell = ws.cell(r, desc)
        assert cell.data_type == "s" and cell.value == sites.loc[r - 2, "description"]
    assert ws.cell(2, lat).data_type == "n" and ws.cell(2, lat).value == -5
    back = tmp_path / "back"
    cli("convert", wb_path, back, code=0)
    again = pd.read_csv(back / "sites.csv", dtype=str, keep_default_na=False)
    assert list(again["description"]) == list(sites["description"])
    assert case_hash(api.load_case(back)) == case_hash(api.load_case(small_copy))


def test_results_workbook_writes_text_as_text(tmp_path):
    """Every prefix (=, +, -, @, tab, CR) stays text; -5.5 and 3 stay numbers; the
    manifest sheet too. (XML reads a carriage return back as a line feed, so "\rx" is
    compared as "\nx": still text, never a formula.)"""
    texts = [*HOSTILE_TEXT, "\tx", "\rx"]
    tables = {"kpis": pd.DataFrame({"kpi": texts, "value": [-5.5] * len(texts)}),
              "other": pd.DataFrame({"name": ["-abc"], "n": [3]})}
    path = write_results_workbook(tables, {"note": "=1+1", "case": "@x"}, tmp_path / "r.xlsx")
    wb = load_workbook(path)
    kp = wb["kpis"]
    for r, t in enumerate(texts, start=2):
        assert kp.cell(r, 1).data_type == "s" and kp.cell(r, 1).value == t.replace("\r", "\n")
        assert kp.cell(r, 2).data_type == "n" and kp.cell(r, 2).value == -5.5
    assert wb["other"]["A2"].value == "-abc" and wb["other"]["A2"].data_type == "s"
    assert wb["other"]["B2"].value == 3
    mf = {r[0].value: r[1] for r in wb["manifest"].iter_rows(min_row=2)}
    assert mf["note"].value == "=1+1" and mf["note"].data_type == "s"
    assert mf["case"].value == "@x" and mf["case"].data_type == "s"
    # written row by row (write-only): the sheets in order, bold headers, frozen top row
    assert wb.sheetnames == ["kpis", "other", "manifest"]
    assert kp["A1"].font.bold and kp["B1"].font.bold and not kp["A2"].font.bold
    assert kp.freeze_panes == "A2" and wb["other"].freeze_panes == "A2"


def test_results_excel_from_the_cli(tmp_path):
    cli("run", "small_chain", "--out", tmp_path, "--excel", code=0)
    wb = load_workbook(tmp_path / "small_chain" / "results.xlsx")
    assert not any(c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows()
                   for c in row)


def test_header_slips_are_located(workbook):
    """A duplicated header (B1 = unit) and a nameless column holding data are errors at
    their cells; an empty spacer column is ignored and the letters of the columns
    after it stay right (lat_deg moves from B to C, so a bad latitude is sites!C2)."""
    wb = load_workbook(workbook)
    wb["units"]["B1"] = "unit"
    wb["commodities"]["F1"] = None
    wb["commodities"]["F2"] = "orphan"
    wb.save(workbook)
    _code, text = cli("validate", workbook, code=1)
    assert "units!B1: column 'unit' appears twice" in text
    assert "commodities!F2: a value in a column without a name" in text
    api.convert("small_chain", workbook, overwrite=True)
    wb = load_workbook(workbook)
    ws = wb["sites"]
    ws.insert_cols(2)
    ws["C2"] = "north"
    del wb["supplies"]
    wb.save(workbook)
    _code, text = cli("validate", workbook, code=1)
    assert "sites!C2: not a number (found 'north')" in text


def test_a_missing_sheet_is_named_as_a_sheet(workbook):
    wb = load_workbook(workbook)
    del wb["sites"]
    wb.save(workbook)
    _code, text = cli("validate", workbook, code=1)
    assert "sheet sites: required table is missing" in text



def test_a_case_key_given_twice_is_refused(workbook):
    """The case sheet of small_chain gives discount_rate 0.1 in one row; a second row
    discount_rate 0.5 appended below was read silently as the rate (the last row won, an
    NPV at 50 %), where case.yaml refuses a key given twice. Refused at the second row's
    key cell, naming the first row."""
    wb = load_workbook(workbook)
    ws = wb["case"]
    first = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "discount_rate")
    ws.append(["discount_rate", "0.5"])
    wb.save(workbook)
    _code, text = cli("validate", workbook, code=1)
    assert (f"case!A{ws.max_row}: key 'discount_rate' is given twice (also in row {first})"
            in text)



def test_a_case_sheet_without_its_header_is_refused(workbook):
    """A hand-made case sheet starting with the row demand_floors | hard (no key,
    value_yaml header): its first row was skipped as the header, so the case ran with
    soft floors, the default, without a word. Refused at case!A1."""
    wb = load_workbook(workbook)
    ws = wb["case"]
    ws["A1"], ws["B1"] = "demand_floors", "hard"
    wb.save(workbook)
    _code, text = cli("validate", workbook, code=1)
    assert "case!A1: the case sheet's first row is its header, key and value_yaml (found " \
           "'demand_floors', 'hard')" in text


def test_a_workbook_that_unpacks_too_far_is_refused(workbook, monkeypatch):
    """The limit is 200 MB; lowered to 1 kB, the small_chain workbook (which unpacks to more)
    stands in for a zip bomb."""
    monkeypatch.setattr(excel, "MAX_UNPACKED", 1000)
    _code, text = cli("validate", workbook, code=1)
    assert "unpacks to" in text and "more than the 1,000 allowed" in text


def _sites_rows(path, rows_xml: str) -> None:
    """Replace the rows of the sites sheet by its header cell A1 ``site`` and ``rows_xml``."""
    def edit(xml: str) -> str:
        head, rest = xml.split("<sheetData>")
        return (head + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>site</t></is>'
                "</c></row>" + rows_xml + "</sheetData>" + rest.split("</sheetData>")[1])

    _patch_sheet(path, "sites", edit)


def test_a_cell_bomb_is_refused_before_it_is_read(workbook):
    """Review item 3: rows of 10,000 empty cells ``<c/>`` and a value after them (a 68 KB
    workbook of 1,000 such rows took 20 s and 1.3 GB; at the 200 MB unpacked allowed,
    100 s and 6.5 GB). Row 2 holds 10,001 cells, more than the 1,000 columns a case table
    may use: refused naming the sheet, found by the scan before openpyxl reads a row.
    One row of 200,000 such cells, which openpyxl would build whole in memory (50 million
    at the 200 MB allowed), is refused alike."""
    _sites_rows(workbook, ("<row>" + "<c/>" * 10_000 + "<c><v>1</v></c></row>") * 50)
    _code, text = cli("validate", workbook, code=1)
    assert ("sheet sites: has a row of more than 1,000 cells: a case table has at most "
            "1,000 columns; delete the cells right of the table") in text
    _sites_rows(workbook, "<row>" + "<c/>" * 200_000 + "</row>")
    _code, text = cli("validate", workbook, code=1)
    assert "sheet sites: has a row of more than 1,000 cells" in text


def test_a_value_right_of_the_last_column_is_refused_at_its_cell(workbook):
    """A single cell with a value at ALM2: column ALL is 1*26*26 + 12*26 + 12 = 1,000 (A=1,
    L=12), so ALM is column 1,001, right of the 1,000 a case table may use. Named at its
    cell, and reading stops there (it was 'a value in a column without a name', found
    only after the whole sheet was read)."""
    _sites_rows(workbook, '<row r="2"><c r="ALM2"><v>1</v></c></row>')
    _code, text = cli("validate", workbook, code=1)
    assert ("sites!ALM2: a value right of column ALL: a case table has at most 1,000 "
            "columns; delete it") in text


def test_empty_cells_far_right_are_counted(workbook, monkeypatch):
    """One empty styled cell at XFD (column 16,384) makes openpyxl build its row of
    16,384 cells; 1,000,000 such rows (40 MB unpacked) took minutes. With the limit
    lowered to 20,000 cells, rows 2 and 3 make 2 x 16,384 = 32,768 cells: refused; one
    such row (16,384) is read, as the empty used range is (the case reads as before,
    checked by the used-range test above)."""
    monkeypatch.setattr(excel, "MAX_CELLS", 20_000)
    _sites_rows(workbook, '<row r="2"><c r="XFD2" s="0"/></row>'
                          '<row r="3"><c r="XFD3" s="0"/></row>')
    _code, text = cli("validate", workbook, code=1)
    assert "sheet sites: holds more than 20,000 cells (counting the empty ones" in text


@pytest.mark.parametrize(("rows_xml", "message"), [
    ('<row r="2000000000"><c r="A2000000000"><v>1</v></c></row>',
     "has a row beyond row 1,048,576, the last of an Excel sheet"),
    ('<row r="2"><c r="AAAA2"><v>1</v></c></row>', "cannot be read, its XML is damaged"),
    ('<row r="2"><c r="A2" t="s"><v>99999</v></c></row>', "cannot be read, its XML is "
     "damaged"),
])
def test_a_damaged_sheet_is_refused(workbook, rows_xml, message):
    """Row 2,000,000,000 was reached through as many empty rows (minutes); a cell
    reference of four letters and a shared-string index past the table were tracebacks."""
    _sites_rows(workbook, rows_xml)
    _code, text = cli("validate", workbook, code=1)
    assert f"sheet sites: {message}" in text


def test_convert_overwrite_keeps_a_case_folder_holding_more_than_tables(tmp_path, workbook):
    """Review item 12: ``convert IN.xlsx CASE_DIR --overwrite`` replaced the whole folder,
    deleting its .git, README.md, scenarios/ and notes/. A folder holding anything but
    case.yaml and table CSV files is now refused (exit 1), every file kept; the first five
    of the six others are named (sorted: .git/, README.md, a.txt, b.txt, notes/) and the
    sixth counted. A folder holding only what convert writes is still replaced: its
    sites.csv, edited to 'changed', is the workbook's again."""
    case = tmp_path / "mycase"
    cli("convert", workbook, case, code=0)
    for d in (".git", "notes", "scenarios"):
        (case / d).mkdir()
        (case / d / "x").write_text("mine")
    for f in ("README.md", "a.txt", "b.txt"):
        (case / f).write_text("mine")
    before = sorted(p.relative_to(case).as_posix() for p in case.rglob("*"))
    _code, text = cli("convert", workbook, case, "--overwrite", code=1)
    assert (f"{case}: holds more than case.yaml and the table CSV files (.git/, README.md, "
            "a.txt, b.txt, notes/ and 1 more): --overwrite replaces the whole folder and would "
            "delete them; convert into a new folder, or move them out of this one first") in text
    assert sorted(p.relative_to(case).as_posix() for p in case.rglob("*")) == before
    plain = tmp_path / "plain"
    cli("convert", workbook, plain, code=0)
    sites = (plain / "sites.csv").read_text()
    (plain / "sites.csv").write_text("changed")
    cli("convert", workbook, plain, "--overwrite", code=0)
    assert (plain / "sites.csv").read_text() == sites


def test_convert_overwrite_checks_the_folder_again_just_before_the_swap(tmp_path, workbook,
                                                                        monkeypatch):
    """A file someone puts into the case folder while convert writes the new tables
    (here: README.md, created once the tables are written, just before the swap) is
    seen by the check repeated at the swap: exit 1 naming it, the folder and its files
    as they are (the old sites.csv and the README), no temporary folder left beside it."""
    import chainopt.atomic as atomic

    case = tmp_path / "mycase"
    cli("convert", workbook, case, code=0)
    (case / "sites.csv").write_text("old")
    readable = atomic.readable

    def someone_writes(tmp):
        readable(tmp)
        (case / "README.md").write_text("mine")

    monkeypatch.setattr(atomic, "readable", someone_writes)
    _code, text = cli("convert", workbook, case, "--overwrite", code=1)
    assert "holds more than case.yaml and the table CSV files (README.md)" in text
    assert (case / "README.md").read_text() == "mine"
    assert (case / "sites.csv").read_text() == "old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(atomic.TMP_PREFIX)]


def test_formula_text_written_to_csv_is_warned_of(small_copy, tmp_path):
    """Review item 13: a workbook's text ``=HYPERLINK(...)`` is inert in Excel but a live
    formula in the CSV file convert writes from it. Written as it is (it is the case's
    input), with one warning on stderr: commodities.csv rows 2-8 of column description
    hold the five HOSTILE_TEXT cells, '-abc' and '@x' (7 cells; the first five named,
    "and 2 more"); row 9's '-5' is a number (a spreadsheet reads it as -5, no formula),
    and so is sites.csv's lat_deg -5 in a number column: neither is counted."""
    com = pd.read_csv(small_copy / "commodities.csv", dtype=str, keep_default_na=False)
    com.loc[0:7, "description"] = [*HOSTILE_TEXT, "-abc", "@x", "-5"]
    com.to_csv(small_copy / "commodities.csv", index=False)
    sites = pd.read_csv(small_copy / "sites.csv", dtype=str, keep_default_na=False)
    sites.loc[0, "lat_deg"] = "-5"
    sites.to_csv(small_copy / "sites.csv", index=False)
    book = tmp_path / "case.xlsx"
    _code, text = cli("convert", small_copy, book, code=0)
    assert "warning" not in text  # the workbook holds them as text cells
    _code, text = cli("convert", book, tmp_path / "back", code=0)
    assert ("warning: 7 text cells start with =, +, -, @, a tab or a carriage return and "
            "would run as a formula when the CSV file is opened in a spreadsheet program: "
            "commodities.csv row 2, column description; commodities.csv row 3, column "
            "description; commodities.csv row 4, column description; commodities.csv row 5, "
            "column description; commodities.csv row 6, column description and 2 more; "
            "written as in the workbook") in text
    back = pd.read_csv(tmp_path / "back" / "commodities.csv", dtype=str, keep_default_na=False)
    assert list(back["description"][:8]) == [*HOSTILE_TEXT, "-abc", "@x", "-5"]


def test_a_case_table_linked_outside_its_folder_is_refused(small_copy, tmp_path):
    """Review item 15: ``sites.csv -> /elsewhere/secret.csv`` was followed, so ``convert
    CASE OUT.xlsx`` put a file from outside the case into a workbook the user may send
    on. Refused for validate and convert alike (exit 1, no workbook), naming the file
    and its target; case.yaml too. A link to a file inside the folder
    (``sites.csv -> archive/sites.csv``) is read as before."""
    secret = tmp_path / "elsewhere" / "secret.csv"
    secret.parent.mkdir()
    (small_copy / "sites.csv").rename(secret)
    (small_copy / "sites.csv").symlink_to(secret)
    message = (f"sites.csv: is a link to {secret.resolve()}, outside {small_copy}, the "
               "folder it is read from; copy the file into that folder in place of the link")
    _code, text = cli("validate", small_copy, code=1)
    assert message in text
    _code, text = cli("convert", small_copy, tmp_path / "out.xlsx", code=1)
    assert message in text and not (tmp_path / "out.xlsx").exists()
    (small_copy / "archive").mkdir()
    secret.rename(small_copy / "archive" / "sites.csv")
    (small_copy / "sites.csv").unlink()
    (small_copy / "sites.csv").symlink_to(Path("archive") / "sites.csv")
    yaml_out = tmp_path / "case.yaml"
    (small_copy / "case.yaml").rename(yaml_out)
    (small_copy / "case.yaml").symlink_to(yaml_out)
    _code, text = cli("validate", small_copy, code=1)
    assert f"{small_copy / 'case.yaml'}: is a link to {yaml_out.resolve()}, outside" in text
    (small_copy / "case.yaml").unlink()
    yaml_out.rename(small_copy / "case.yaml")
    cli("validate", small_copy, code=0)
