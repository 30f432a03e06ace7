"""Case workbooks that are damaged, hand-rolled or hostile: refused with a message naming
the file, sheet and cell, never a traceback, never a row left out without a word.

Every workbook here is the toy case below written by ``write_workbook``, then one part of
its zip edited in Python (as a damaged download or a hand-rolled exporter writes it).

The toy case (one site ``a``, two 1-year periods, discount rate 0): crude bought at 100
USD/t (at most 10 kt/yr), unit ``u1`` (8 kt/yr) turns 1 t of crude into 1 t of ``prod``
at 20 USD/t, prod sells at 200 USD/t in p1 and 250 in p2 (``markets_by_period``), at most
100 kt/yr. The plan runs u1 full: p1 8 x (200 - 100 - 20) = 640 kUSD, p2 8 x (250 - 120)
= 1,040 kUSD: 1.680 MUSD.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainopt.case.digest import case_hash
from chainopt.case.excel import read_workbook, write_workbook
from chainopt.case.load import load_case, read_raw
from chainopt.cli import app
from chainopt.errors import InputError
from tests.toycase import t1_case

RESAVE = "open it in Excel and save it again"


def _book(tmp_path: Path) -> Path:
    return write_workbook(read_raw(t1_case(tmp_path / "t1")), tmp_path / "t1.xlsx")


def _part(book: Path, sheet: str) -> str:
    """The zip part of ``sheet`` (``xl/worksheets/sheet9.xml``)."""
    from openpyxl import load_workbook

    wb = load_workbook(book, read_only=True)
    try:
        return wb[sheet]._worksheet_path
    finally:
        wb.close()


def _edited(book: Path, name: str, edits: dict, drop=(), method=zipfile.ZIP_DEFLATED) -> Path:
    """``book`` rewritten as ``name`` with each part in ``edits`` (a sheet name or a part
    name) passed through its function, the parts in ``drop`` left out."""
    edits = {(_part(book, k) if "/" not in k and "." not in k else k): f
             for k, f in edits.items()}
    drop = {(_part(book, k) if "/" not in k else k) for k in drop}
    out = book.with_name(name)
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(out, "w", method) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info)
            if info.filename in edits:
                new = edits[info.filename](data)
                # (an edit written for another writer's bytes would change nothing)
                assert new != data, f"the edit of {info.filename} changed nothing"
                data = new
            zout.writestr(info.filename, data)
    return out


def _problems(book: Path) -> str:
    with pytest.raises(InputError) as e:
        read_workbook(book)
    return " ".join(str(e.value).split())


def _objective(book: Path, tmp_path: Path) -> str:
    r = CliRunner().invoke(app, ["run", str(book), "--out", str(tmp_path / "res")])
    assert r.exit_code == 0, r.output
    return r.output


def test_the_toy_workbook_runs_to_the_hand_objective(tmp_path):
    """The undamaged toy workbook: 1.680 MUSD (module docstring)."""
    assert "objective (NPV) 1.680 MUSD" in _objective(_book(tmp_path), tmp_path)


def test_a_damaged_zip_or_xml_outside_the_cells_is_one_message(tmp_path):
    """A workbook damaged in transit ended in a Python traceback (exit 1): corrupt deflate
    data in a sheet (``zlib.error`` from openpyxl's first look at the sheet), an
    ``xl/workbook.xml`` cut in half (``ParseError: unclosed token``), a DOCTYPE before it
    (``ParseError: reference to external entity``). Now each is an InputError naming the
    file (and the sheet whose part is damaged) and saying to save or export it again."""
    book = _book(tmp_path)
    part = _part(book, "units")
    crc = book.with_name("crc.xlsx")
    crc.write_bytes(book.read_bytes())
    with zipfile.ZipFile(crc) as z:
        off = z.getinfo(part).header_offset
    data = bytearray(crc.read_bytes())
    start = off + 30 + int.from_bytes(data[off + 26:off + 28], "little") + \
        int.from_bytes(data[off + 28:off + 30], "little")
    data[start + 20] ^= 0xFF  # 20 bytes into the deflated XML of units
    crc.write_bytes(bytes(data))
    text = _problems(crc)
    assert f"{crc}, sheet units (part {part}): the workbook is damaged: it cannot be " \
        "unpacked (Error -3 while decompressing data" in text and RESAVE in text

    cut = _edited(book, "wb_cut.xlsx", {"xl/workbook.xml": lambda d: d[:len(d) // 2]})
    text = _problems(cut)
    assert f"{cut}: cannot be read as an Excel workbook: unclosed token" in text
    assert RESAVE in text
    doctype = _edited(book, "doctype.xlsx", {"xl/workbook.xml": lambda d: (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
        + d.replace(b'name="units"', b'name="&e;"'))})
    text = _problems(doctype)
    assert f"{doctype}, part xl/workbook.xml: its XML is damaged: it declares a " \
        "DOCTYPE (entities)" in text
    for bad in (crc, cut, doctype):
        r = CliRunner().invoke(app, ["validate", str(bad)])
        assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
        assert "Traceback" not in r.output and RESAVE in " ".join(r.output.split())


def test_rows_out_of_order_or_given_twice_are_refused_not_dropped(tmp_path):
    """openpyxl's read-only reader left out, without a word, a row whose number is not
    above the one before it. (a) A second unit u2 (2 kt/yr) written before u1's row 2
    (``<row r="3">`` then ``<row r="2">``): u1 was dropped and the run gave 0.420 MUSD
    (u2 alone: 2 x 80 + 2 x 130) where both units give 2.100 (10 kt/yr, held to the
    10 kt/yr of crude: 10 x 80 + 10 x 130). (b) Two ``<row r="2">`` in supplies (crude at
    50 USD/t, 5 kt/yr first, then the real 100, 10): the first was kept, 1.550 MUSD (5 x
    130 + 5 x 180) without a duplicate-key message. (c) Two ``<c r="D2">`` in one row:
    the last won. Now each is refused at its sheet and row (cell)."""
    book = _book(tmp_path)
    u2 = (b'<row r="3"><c r="A3" t="inlineStr"><is><t>u2</t></is></c><c r="B3" '
          b't="inlineStr"><is><t>a</t></is></c><c r="C3" t="inlineStr"><is><t>conv</t>'
          b'</is></c><c r="D3" t="n"><v>2</v></c></row>')
    in_order = _edited(book, "in_order.xlsx", {"units": lambda d: d.replace(
        b"</sheetData>", u2 + b"</sheetData>")})
    assert "objective (NPV) 2.100 MUSD" in _objective(in_order, tmp_path)
    swapped = _edited(book, "swapped.xlsx", {"units": lambda d: d.replace(
        b'<row r="2">', u2 + b'<row r="2">')})
    text = _problems(swapped)
    assert "units!2:2: row 2 comes after row 3 in the sheet's XML (a row number out of " \
        "order or given twice): the sheet's XML is damaged" in text and RESAVE in text
    twice = _edited(book, "twice.xlsx", {"supplies": lambda d: d.replace(
        b'<row r="2">', b'<row r="2"><c r="A2" t="inlineStr"><is><t>a</t></is></c><c r="B2" '
        b't="inlineStr"><is><t>crude</t></is></c><c r="C2" t="n"><v>50</v></c><c r="D2" '
        b't="n"><v>5</v></c></row><row r="2">')})
    assert "supplies!2:2: row 2 comes after row 2" in _problems(twice)
    cell_twice = _edited(book, "cell_twice.xlsx", {"units": lambda d: d.replace(
        b'<c r="D2" t="n"><v>8</v></c>', b'<c r="D2" t="n"><v>1</v></c>'
        b'<c r="D2" t="n"><v>8</v></c>')})
    assert "units!D2: cell D2 is given twice: the sheet's XML is damaged" in \
        _problems(cell_twice)


def test_a_cell_left_of_the_one_before_it_in_its_row_is_kept(tmp_path):
    """openpyxl's read-only reader sized a row by the column of its last cell in the XML:
    with u1's A2 written after D2, the row was one cell wide and B2, C2, D2 (a, conv, 8)
    were lost ("units!B2: a value is required here (it is blank)", and C2, D2). Cells are
    now placed by their reference: the same case (same input hash)."""
    book = _book(tmp_path)
    moved = _edited(book, "moved.xlsx", {"units": lambda d: d.replace(
        b'<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">u1</t></is></c>',
        b'<row r="2">').replace(
        b'</c></row></sheetData>',
        b'</c><c r="A2" t="inlineStr"><is><t>u1</t></is></c></row></sheetData>')})
    assert case_hash(load_case(moved)) == case_hash(load_case(book))


def test_a_sheet_listed_without_its_part_is_refused(tmp_path):
    """The part of ``markets_by_period`` left out of the zip, the sheet still listed in
    ``xl/workbook.xml``: openpyxl dropped the sheet without a word, validate said ok and
    run gave 1.280 MUSD (p2 at p1's 200 USD/t: 640 + 640) instead of 1.680. Now refused
    naming the sheet and its part."""
    book = _book(tmp_path)
    part = _part(book, "markets_by_period")
    gone = _edited(book, "gone.xlsx", {}, drop=[part])
    text = _problems(gone)
    assert f"gone.xlsx, sheet markets_by_period: is listed in the workbook but its XML " \
        f"part ({part}) is missing: the workbook is damaged" in text and RESAVE in text


def test_a_number_cell_that_python_but_not_xml_reads_as_a_number_is_refused(tmp_path):
    """``<v>1_0</v>`` in units!D2 (t="n") was read as 10 by Python's ``int`` (2.100 MUSD:
    10 x 80 + 10 x 130), full-width ``８`` as 8, while the same text typed into a text
    cell is refused. Now refused at the cell; a plain ``8.0e0`` still reads as 8."""
    book = _book(tmp_path)
    for v in ("1_0", "\uff18"):
        bad = _edited(book, "num.xlsx", {"units": lambda d, v=v: d.replace(
            b"<v>8</v>", f"<v>{v}</v>".encode())})
        assert f"units!D2: a number cell whose value is not a number (found '{v}'): the " \
            "sheet's XML is damaged" in _problems(bad)
    fine = _edited(book, "fine.xlsx", {"units": lambda d: d.replace(b"<v>8</v>",
                                                                    b"<v>8.0e0</v>")})
    assert case_hash(load_case(fine)) == case_hash(load_case(book))


def test_a_formula_whose_saved_value_is_empty_text_reads_as_blank(tmp_path):
    """Excel saves ``=IF(A2="","",A2*2)`` returning "" as ``<c t="str"><f>..</f><v></v>``:
    a saved value, empty text. It was "formula without a saved value: open and save the
    workbook in Excel", which writes the same XML again. Now it reads as a blank cell (as
    Excel's Save as CSV writes it): units!E2 (availability, blank = 1) so is the same case
    as the blank it replaces."""
    book = _book(tmp_path)
    f = _edited(book, "f.xlsx", {"units": lambda d: d.replace(
        b'<c r="D2" t="n"><v>8</v></c>',
        b'<c r="D2" t="n"><v>8</v></c><c r="E2" t="str"><f>IF(A2="","",A2*2)</f><v></v></c>')})
    assert case_hash(load_case(f)) == case_hash(load_case(book))


def test_long_markup_is_refused_before_it_is_parsed(tmp_path):
    """A sheet holding one 190 MB XML comment (a 195 KB file, under the 200 MB bound) kept
    validate busy for about 40 minutes: expat re-reads an unfinished comment at each 16 KB
    openpyxl feeds it. A comment, tag or text longer than MAX_MARKUP (1 MB) is now refused
    naming the sheet, before any parse (here 2 MB each; a 1 MB piece costs at most 64
    re-reads of 1 MB); a short comment is read as before (the same case)."""
    book = _book(tmp_path)
    big = 2 * (1 << 20)  # twice chainopt.case.excel.MAX_MARKUP
    for what, pad, found in (
            ("comment", b"<!--" + b"x" * big + b"-->", "a comment, processing "
             "instruction or CDATA section longer than 1,048,576 bytes"),
            ("comment_with_tags", b"<!--" + b"<row>" * (big // 5) + b"-->", "a comment"),
            ("attribute", b'<sheetCalcPr x="' + b"x" * big + b'"/>', "a tag or a text "
             "longer than 1,048,576 bytes")):
        bad = _edited(book, f"{what}.xlsx", {"supplies": lambda d, pad=pad: d.replace(
            b"<sheetData>", pad + b"<sheetData>")})
        text = _problems(bad)
        assert f"sheet supplies (part {_part(book, 'supplies')}): its XML is damaged: " \
            f"it holds {found}" in text, what
    short = _edited(book, "short.xlsx", {"supplies": lambda d: d.replace(
        b"<sheetData>", b"<!-- written by a script -->" * 50 + b"<sheetData>")})
    assert case_hash(load_case(short)) == case_hash(load_case(book))


def test_a_hidden_unknown_sheet_says_it_is_hidden(tmp_path):
    """A very hidden helper sheet ``calc`` was "unknown table" though no tab shows it."""
    from openpyxl import load_workbook

    book = _book(tmp_path)
    wb = load_workbook(book)
    wb.create_sheet("calc").sheet_state = "veryHidden"
    wb.create_sheet("lookup").sheet_state = "hidden"
    wb.save(book)
    text = _problems(book)
    assert "sheet calc: unknown table (a very hidden sheet: only Excel's VBA editor " \
        "shows it" in text
    assert "sheet lookup: unknown table (a hidden sheet: Excel shows it after " \
        "right-clicking a sheet tab, Unhide)" in text


@pytest.mark.parametrize("suffix", [".xlsm", ".xls"])
def test_a_macro_enabled_or_old_workbook_says_to_save_it_as_xlsx(tmp_path, suffix):
    """``t1.xlsm`` (a client's macro-enabled workbook) was "no case folder or embedded
    case of this name" though the file is there, and convert blamed the target."""
    other = tmp_path / f"t1{suffix}"
    other.write_bytes(_book(tmp_path).read_bytes())
    for args in (["validate", str(other)], ["convert", str(other), str(tmp_path / "o")]):
        r = CliRunner().invoke(app, args)
        text = " ".join(r.output.split())
        assert r.exit_code == 1 and f"{other}: " in text, r.output
        assert "is not read as a case: only .xlsx workbooks are (macros are never run); " \
            "open it in Excel and save it as an .xlsx file" in text, r.output
        assert "no case folder" not in text and "target" not in text


def _with_parts(book: Path, name: str, edits: dict, added: dict) -> Path:
    """:func:`_edited`, with the parts in ``added`` (part name: bytes) added to the zip."""
    out = _edited(book, name, edits)
    with zipfile.ZipFile(out, "a") as z:
        for part, data in added.items():
            z.writestr(part, data)
    return out


def test_two_sheets_of_one_name_are_refused_not_read_from_the_first(tmp_path):
    """``xl/workbook.xml`` listing two sheets named ``units``: the toy's own (u1 8 kt/yr)
    and a copy of its part with u1 at 2 kt/yr. openpyxl read ``units`` from the sheet
    listed first and dropped the other without a word: 1.680 MUSD with the toy's first
    (module docstring), 0.420 with the copy's first (2 x (200 - 100 - 20) + 2 x (250 -
    120) = 160 + 260 kUSD): the same parts, two plans, by the order of two lines. Now
    refused at ``workbook.xml`` either way, and so is a second sheet ``Units`` (Excel's
    sheet names are unique whatever their case)."""
    book = _book(tmp_path)
    part = _part(book, "units")  # xl/worksheets/sheet9.xml, r:id rId9
    with zipfile.ZipFile(book) as z:
        copy = z.read(part).replace(b'<c r="D2" t="n"><v>8</v></c>',
                                    b'<c r="D2" t="n"><v>2</v></c>')
    own = b'<sheet name="units" sheetId="9" r:id="rId9"/>'
    for order, second in (("own_first", "units"), ("copy_first", "units"),
                          ("other_case", "Units")):
        other = f'<sheet name="{second}" sheetId="10" r:id="rId99"/>'.encode()
        listed = own + other if order != "copy_first" else other + own
        two = _with_parts(book, f"{order}.xlsx", {
            "xl/workbook.xml": lambda d, listed=listed: d.replace(own, listed),
            "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", (
                b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                b'relationships/worksheet" Target="/xl/worksheets/copy.xml" Id="rId99" />'
                b"</Relationships>")),
            "[Content_Types].xml": lambda d: d.replace(b"</Types>", (
                b'<Override PartName="/xl/worksheets/copy.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml" /></Types>'))},
            {"xl/worksheets/copy.xml": copy})
        text = _problems(two)
        also = " (as units, Units)" if second == "Units" else ""
        assert f"{order}.xlsx, part xl/workbook.xml: sheet units is listed twice{also}, " \
            "and a workbook's sheet names are unique: the workbook is damaged" in text, text
        r = CliRunner().invoke(app, ["run", str(two), "--out", str(tmp_path / "res")])
        assert r.exit_code == 1 and "objective" not in r.output, r.output


def test_a_cell_or_string_holding_two_values_is_refused_not_read_as_one(tmp_path):
    """XML Excel never writes (the schema allows one of each): units!D2 as
    ``<v>2</v><v>8</v>`` was read as its first value, 2 (0.420 MUSD: 2 x 80 + 2 x 130 kUSD),
    as an inline string ``<is><t>8</t><t>2</t></is>`` as its last, 2 (0.420 again, where
    the text reads 82 or 8), a run ``<r><t>8</t><t>2</t></r>`` as its last too, and a
    shared string ``<si><t>8</t><t>2</t></si>`` (D2 ``t="s"``, ``<v>0</v>``) as 2: each
    without a word. Now each is refused at its cell (the shared string at its part); one
    ``<t>`` per run, as Excel writes rich text, still reads as the runs' text (8, 1.680
    MUSD in the module docstring: the same case)."""
    book = _book(tmp_path)
    d2 = b'<c r="D2" t="n"><v>8</v></c>'
    for name, cell, what in (
            ("two_v", b'<c r="D2" t="n"><v>2</v><v>8</v></c>', "a cell with two values <v>"),
            ("two_t", b'<c r="D2" t="inlineStr"><is><t>8</t><t>2</t></is></c>',
             "an inline string with two texts <t> in one piece"),
            ("two_t_run", b'<c r="D2" t="inlineStr"><is><r><t>8</t><t>2</t></r></is></c>',
             "an inline string with two texts <t> in one piece")):
        bad = _edited(book, f"{name}.xlsx", {"units": lambda d, cell=cell: d.replace(d2, cell)})
        assert f"units!D2: {what}: the sheet's XML is damaged" in _problems(bad), name
    shared = _with_parts(book, "shared.xlsx", {
        "units": lambda d: d.replace(d2, b'<c r="D2" t="s"><v>0</v></c>'),
        "[Content_Types].xml": lambda d: d.replace(b"</Types>", (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>'))},
        {"xl/sharedStrings.xml": b'<sst xmlns="http://schemas.openxmlformats.org/'
         b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>8</t><t>2</t></si>'
         b"</sst>"})
    assert "shared.xlsx, part xl/sharedStrings.xml: shared string 0 (counted from 0) with " \
        "two texts <t> in one piece: its XML is damaged" in _problems(shared)
    runs = _edited(book, "runs.xlsx", {"units": lambda d: d.replace(
        d2, b'<c r="D2" t="inlineStr"><is><r><t>8</t></r></is></c>')})
    assert case_hash(load_case(runs)) == case_hash(load_case(book))


def test_external_links_hidden_rows_and_hidden_sheets_are_read_with_a_warning(tmp_path):
    """units!D2 ``=[1]Sheet1!A1`` (a formula referring to another workbook, saved value 8),
    row 2 of markets_by_period hidden, and the markets_by_period sheet hidden: all read as
    before, without a word. The toy case stays 1.680 MUSD (u1's 8 kt/yr from the saved
    value; p2 at the hidden row's 250: 8 x (250 - 120) = 1,040 kUSD, not 8 x 80 = 640 as
    without it), now with a warning for each, naming the cell, the row and the sheet; run
    says them (kept in the manifest), and so does convert to a folder. A structured
    reference (``Table1[[#This Row],[a]]``) and text in quotes are no external link."""
    from chainopt import api
    from chainopt.case.excel import refers_elsewhere

    book = _edited(_book(tmp_path), "linked.xlsx", {
        "units": lambda d: d.replace(b'<c r="D2" t="n"><v>8</v></c>',
                                     b'<c r="D2"><f>[1]Sheet1!A1</f><v>8</v></c>'),
        "markets_by_period": lambda d: d.replace(b'<row r="2">', b'<row r="2" hidden="1">'),
        "xl/workbook.xml": lambda d: d.replace(b'name="markets_by_period" sheetId="4"',
                                               b'name="markets_by_period" sheetId="4" '
                                               b'state="hidden"')})
    notes = api.case_warnings(load_case(book))
    assert notes == [
        "sheet markets_by_period is hidden (a hidden sheet: Excel shows it after "
        "right-clicking a sheet tab, Unhide) and read like any other sheet: to leave it "
        "out of the case, delete it or start its name with _",
        "sheet markets_by_period: hidden row 2 is read as part of the table, like any "
        "other row: to leave a row out of the case, delete it",
        "1 formula cell refers to another workbook (an external link): units!D2 "
        "(=[1]Sheet1!A1, saved value 8); the value saved in this workbook is used, as the "
        "other workbook is never opened: check that it is current (Excel: Data, Edit "
        "Links, Update Values) or enter the value"]
    text = " ".join(_objective(book, tmp_path).split())
    assert "objective (NPV) 1.680 MUSD" in text
    assert "units!D2 (=[1]Sheet1!A1, saved value 8)" in text and "hidden row 2" in text
    r = CliRunner().invoke(app, ["convert", str(book), str(tmp_path / "back")])
    assert r.exit_code == 0 and "units!D2 (=[1]Sheet1!A1" in " ".join(r.output.split())
    assert refers_elsewhere("='[2]My sheet'!B3*2") and refers_elsewhere(
        "=SUM('C:\\x\\[b.xlsx]S'!A1:A3)")
    assert not refers_elsewhere("=SUM(Table1[[#This Row],[a]])")
    assert not refers_elsewhere('=A1&"[1]x!"') and not refers_elsewhere("=Sheet2!A1")


def test_a_problem_in_a_hidden_row_says_the_row_is_hidden(tmp_path):
    """A hidden second supplies row a/crude (row 3) is a duplicate key, said at
    ``supplies!3:3``: a row the user looks for and Excel does not show. Now
    ``supplies!3:3 (a hidden row)``; the visible row 2 is not so marked."""
    row3 = (b'<row r="3" hidden="1"><c r="A3" t="inlineStr"><is><t>a</t></is></c>'
            b'<c r="B3" t="inlineStr"><is><t>crude</t></is></c>'
            b'<c r="C3" t="n"><v>50</v></c></row>')
    book = _edited(_book(tmp_path), "dup.xlsx", {
        "supplies": lambda d: d.replace(b"</row></sheetData>", b"</row>" + row3
                                        + b"</sheetData>")})
    with pytest.raises(InputError) as e:
        load_case(book)
    text = " ".join(str(e.value).split())
    assert "supplies!3:3 (a hidden row), columns site, commodity: duplicate key" in text
    assert "(a hidden row)" not in text.replace("supplies!3:3 (a hidden row)", "")


def _case_row(book: Path, key: str) -> int:
    """The row of ``key`` in the case sheet."""
    from openpyxl import load_workbook

    wb = load_workbook(book)
    return next(c.row for c in wb["case"]["A"] if c.value == key)


def _case_edited(book: Path, name: str, edit) -> Path:
    """``book`` saved as ``name`` after ``edit(case sheet)`` (openpyxl: the toy workbook
    has no formulas whose saved values it would drop)."""
    from openpyxl import load_workbook

    wb = load_workbook(book)
    edit(wb)
    wb.save(book.with_name(name))
    return book.with_name(name)


def test_workbook_messages_say_what_to_do_in_a_workbooks_words(tmp_path):
    """The messages of review F9, each on the toy workbook with one cell changed: a text,
    an Excel TRUE, a typographic minus (−8, pasted from Word) and a saved error value
    #DIV/0! in units!D2 (capacity) were 'not a number (found ...)' without a hint; a
    base_year formatted as a date (2026 shows as 1905-07-18) was 'must be a whole number
    (found datetime.datetime(1905, 7, 18, 0, 0))'; a description typed as the number 2.1
    'must be text (found 2.1)' without a hint; the case name con was blamed on the file,
    not its cell; a missing key said to add it to case.yaml and a missing units sheet to
    create units.csv, which a workbook has not."""
    import datetime as dt

    from chainopt import api

    book = _book(tmp_path)

    def d2(name: str, cell: bytes) -> Path:
        return _edited(book, name, {"units": lambda d: d.replace(
            b'<c r="D2" t="n"><v>8</v></c>', cell)})

    for bad, found, hint in (
            (d2("abc.xlsx", b'<c r="D2" t="inlineStr"><is><t>abc</t></is></c>'),
             "found 'abc'", "enter a number: digits with a decimal point, without a unit "
             "or other text"),
            (d2("true.xlsx", b'<c r="D2" t="b"><v>1</v></c>'), "found 'true'",
             "a TRUE/FALSE (yes/no) value where a number belongs: enter the number"),
            (d2("minus.xlsx", "<c r=\"D2\" t=\"inlineStr\"><is><t>\u22128</t></is></c>"
                .encode()), "found '\u22128'", "a typographic minus (\u2212, as Word or a "
             "PDF writes it): type the keyboard's minus sign: -8"),
            (d2("error.xlsx", b'<c r="D2" t="e"><v>#DIV/0!</v></c>'), "found '#DIV/0!'",
             "an Excel error value (#DIV/0!): the formula that gave it failed; fix the "
             "formula (or the cells it reads), or enter the number")):
        assert f"units!D2: not a number ({found}); {hint}" in _loaded(bad), bad.name
    year = _case_row(book, "base_year")

    def as_date(wb):
        wb["case"][f"B{year}"] = dt.datetime(1905, 7, 18)
        wb["case"][f"B{year}"].number_format = "yyyy-mm-dd"
    assert f"case!B{year} (base_year): a date or time (1905-07-18): the cell is formatted " \
        "as a date; format the cell as a number or text" in \
        _problems(_case_edited(book, "date.xlsx", as_date))
    desc = _case_edited(book, "desc.xlsx", lambda wb: wb["case"].append(["description", 2.1]))
    assert f"case!B{_case_row(desc, 'description')} (description): must be text (found " \
        "2.1); put it in quotes to keep it text as written: description: '2.1'" in _loaded(desc)
    con = _case_edited(book, "con.xlsx", lambda wb: wb["case"].__setitem__(
        f"B{_case_row(book, 'name')}", "con"))
    with pytest.raises(InputError) as e:
        api.check_results_name(load_case(con))
    assert str(e.value).split("\n")[1].strip().startswith(
        f"- case!B{_case_row(book, 'name')} (name): 'con' is a device name on Windows")
    unnamed = _case_edited(book, "unnamed.xlsx", lambda wb: wb["case"].delete_rows(
        _case_row(book, "name")))
    assert "sheet case, key name: required key is missing; add a row name to the case " \
        "sheet (its key in column A, its value in B)" in _loaded(unnamed)
    units = _case_edited(book, "no_units.xlsx", lambda wb: wb.remove(wb["units"]))
    assert "add a sheet units (unit, site, process, capacity_k_per_yr)" in _loaded(units)


def _loaded(book: Path) -> str:
    with pytest.raises(InputError) as e:
        load_case(book)
    return " ".join(str(e.value).split())


def test_convert_names_a_control_character_at_its_csv_cell(tmp_path):
    """A BEL (0x07) in commodities.csv's description (row 2) was said at commodities!D2,
    a cell of the workbook not yet written; now at the CSV file's row and column."""
    folder = t1_case(tmp_path / "t1")
    (folder / "commodities.csv").write_text("commodity,unit,kind,description\n"
                                            "crude,t,raw,bell\x07\nprod,t,product,\n")
    r = CliRunner().invoke(app, ["convert", str(folder), str(tmp_path / "t1.xlsx")])
    assert r.exit_code == 1
    assert "commodities.csv row 2, column description: found 'bell\\x07': it holds BEL " \
        "(\\x07) at character 5, a control character" in " ".join(r.output.split())


def test_a_shared_strings_table_or_cells_beyond_the_workbooks_budget_are_refused(tmp_path,
                                                                                 monkeypatch):
    """Review safety F2: a 58 KB workbook whose shared-strings table holds 1 million
    entries no cell uses took 38 s to read and was 'valid'; sheets of notes (``_``
    names, not read as tables) were parsed whole, six of 2 million cells in 39 s. Both
    are now counted while the parts are first read through, before openpyxl parses any:
    here 5,000 unused entries against the toy's 74 cells (more strings than
    cells could use, and more than 1,000) are refused naming both counts; with the
    workbook budget set to 100 cells, a ``_notes`` sheet of 150 cells is refused though
    every table sheet is small, and the toy alone (fewer cells) still loads."""
    book = _book(tmp_path)
    types = b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/' \
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>'
    table = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + \
        b"<si><t>a</t></si>" * 5_000 + b"</sst>"
    many = _with_parts(book, "many.xlsx", {
        "[Content_Types].xml": lambda d: d.replace(b"</Types>", types),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", (
            b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/sharedStrings" Target="sharedStrings.xml" Id="rId98" />'
            b"</Relationships>"))}, {"xl/sharedStrings.xml": table})
    from openpyxl import load_workbook

    wb = load_workbook(book)  # another reader's count of the cells the toy's sheets hold
    cells = sum(1 for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    wb.close()
    assert cells == 74  # every sheet's, the case sheet's too
    text = _problems(many)
    assert f"many.xlsx: its shared-strings table holds 5,000 entries, more than the " \
        f"{cells:,} cells of its sheets could use" in text and RESAVE in text, text
    import chainopt.case.excel as xl

    monkeypatch.setattr(xl, "MAX_WORKBOOK_CELLS", max(cells, 100))
    row = b"<row>" + b"<c><v>1</v></c>" * 150 + b"</row>"
    notes = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' \
        b"<sheetData>" + row + b"</sheetData></worksheet>"
    noted = _with_parts(book, "noted.xlsx", {
        "xl/workbook.xml": lambda d: d.replace(b"</sheets>", (
            b'<sheet name="_notes" sheetId="99" state="visible" r:id="rId97" /></sheets>')),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", (
            b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/worksheet" Target="/xl/worksheets/notes.xml" Id="rId97" />'
            b"</Relationships>")),
        "[Content_Types].xml": lambda d: d.replace(b"</Types>", (
            b'<Override PartName="/xl/worksheets/notes.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml" /></Types>'))},
        {"xl/worksheets/notes.xml": notes})
    text = _problems(noted)
    assert f"noted.xlsx: holds more than {max(cells, 100):,} cells in all its sheets " \
        "(sheets of notes, whose names start with _, included)" in text, text
    assert case_hash(load_case(book)) == case_hash(load_case(_book(tmp_path / "again")))
