"""chainopt.xlsx_write: workbooks of tables written straight as SpreadsheetML, read back
by openpyxl (as a user's pandas or script reads them)."""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from chainopt import xlsx_write
from chainopt.ooxml import FIXED_DATE


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "x": [1.5, np.nan, np.inf, -np.inf, 1e-05, -2.0],
        "n": np.array([3, -4, 0, 7, 8, 9], dtype=np.int64),
        "b": [True, False, True, False, True, False],
        "t": ["a", "", "=1+1", "x&<y>", "\x1bz", "-q"],
        "o": pd.Series([None, 2, "t", 2.5, float("nan"), False], dtype=object),
    })


def test_every_value_reads_back_as_the_cell_it_should_be(tmp_path):
    """By hand, row by row (row 1 the bold header, frozen above the rows):
    1.5, 3, TRUE, 'a', no cell; no cell (NaN), -4, FALSE, no cell (empty text), 2;
    the text 'inf' (a number cell cannot hold it), 0, TRUE, '=1+1' as text with the
    quote prefix, 't'; '-inf' (quoted too: it starts with -), 7, FALSE, 'x&<y>' (escaped
    in the XML, read back as it
    was), 2.5; 1e-05, 8, TRUE, ESC written out as the four characters \\x1b before z (a
    workbook cannot hold it), no cell (NaN); -2, 9, FALSE, '-q' quoted, FALSE."""
    path = xlsx_write.write_workbook(tmp_path / "w.xlsx", [("t", _frame())])
    ws = load_workbook(path)["t"]
    assert [c.value for c in ws[1]] == ["x", "n", "b", "t", "o"]
    assert all(c.font.bold for c in ws[1]) and not ws["A2"].font.bold
    assert ws.freeze_panes == "A2"
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert got == [[1.5, 3, True, "a", None], [None, -4, False, None, 2],
                   ["inf", 0, True, "=1+1", "t"], ["-inf", 7, False, "x&<y>", 2.5],
                   [1e-05, 8, True, "\\x1bz", None], [-2, 9, False, "-q", False]]
    kinds = [[c.data_type for c in row] for row in ws.iter_rows(min_row=2, max_row=4)]
    assert kinds[0] == ["n", "n", "b", "s", "n"] and kinds[2][:4] == ["s", "n", "b", "s"]
    quoted = {c.coordinate for row in ws.iter_rows() for c in row if c.quotePrefix}
    assert quoted == {"A5", "D4", "D7"}
    with zipfile.ZipFile(path) as z:  # no cell at all where there is no value
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert 'r="A3"' not in xml and 'r="D3"' not in xml and 'r="E2"' not in xml


def test_titles_taken_get_a_number_and_chunks_make_the_same_sheet(tmp_path, monkeypatch):
    """Titles a, A, a: Excel takes titles without case, so the second is A1 and the third
    a2 (a1 taken by then). Written two rows at a time (CHUNK_ROWS patched), the six rows
    are the same cells, ``prepare`` is given three chunks, and the file is the same bytes
    as a second write, every entry dated 1980-01-01."""
    df = _frame()
    whole = xlsx_write.write_workbook(tmp_path / "whole.xlsx", [("a", df), ("A", df), ("a", df)])
    with zipfile.ZipFile(whole) as z:  # (openpyxl renames a title taken as it reads it)
        book = z.read("xl/workbook.xml").decode()
    assert re.findall(r'<sheet name="([^"]*)"', book) == ["a", "A1", "a2"]
    # History is Excel's own (its change history): a table of that name is History1
    kept = xlsx_write.write_workbook(tmp_path / "h.xlsx", [("History", df), ("history1", df)])
    with zipfile.ZipFile(kept) as z:
        book = z.read("xl/workbook.xml").decode()
    assert re.findall(r'<sheet name="([^"]*)"', book) == ["History1", "history11"]
    monkeypatch.setattr(xlsx_write, "CHUNK_ROWS", 2)
    seen = []

    def prepare(chunk):
        seen.append(len(chunk))
        return chunk

    parts = xlsx_write.write_workbook(tmp_path / "parts.xlsx", [("a", df)], prepare)
    again = xlsx_write.write_workbook(tmp_path / "again.xlsx", [("a", df)], prepare)
    assert seen == [2, 2, 2, 2, 2, 2]
    assert parts.read_bytes() == again.read_bytes()
    with zipfile.ZipFile(parts) as z:
        assert {i.date_time for i in z.infolist()} == {FIXED_DATE}

    def cells(path, title):
        return [[c.value for c in row] for row in load_workbook(path)[title].iter_rows()]

    assert cells(parts, "a") == cells(whole, "a")


def test_a_sheet_longer_than_excel_allows_is_refused(tmp_path, monkeypatch):
    """With sheets of at most 3 rows (EXCEL_ROWS patched), 2 rows and the header fit and
    3 do not: the caller splits a table first (chainopt.report.excel.table_sheets)."""
    monkeypatch.setattr(xlsx_write, "EXCEL_ROWS", 3)
    df = pd.DataFrame({"v": [1.0, 2.0, 3.0]})
    xlsx_write.write_workbook(tmp_path / "ok.xlsx", [("v", df.iloc[:2])])
    with pytest.raises(ValueError, match="sheet v: 3 rows and a header are more than the 3"):
        xlsx_write.write_workbook(tmp_path / "long.xlsx", [("v", df)])


def test_the_switch_interval_is_quick_while_writing_and_restored_after(tmp_path,
                                                                        monkeypatch):
    """While a workbook is written (its chunks compressed on a second thread) the
    interpreter switches threads every 1 ms at most; after it, and after a write that
    fails at its second chunk (the failure raised, no write left running), the interval
    is the one before. Two workbooks written at once from two threads: the first to
    finish leaves the interval quick for the other, the last restores it."""
    import sys
    import threading

    df = _frame()
    monkeypatch.setattr(xlsx_write, "CHUNK_ROWS", 2)
    before = sys.getswitchinterval()
    seen = []

    def prepare(chunk):
        seen.append(sys.getswitchinterval())
        return chunk

    xlsx_write.write_workbook(tmp_path / "a.xlsx", [("a", df)], prepare)
    assert seen and set(seen) == {min(before, xlsx_write.SWITCH_S)}
    assert sys.getswitchinterval() == before

    def failing(chunk):
        if len(seen) == 1:
            raise RuntimeError("chunk 2")
        seen.append(1)
        return chunk

    seen.clear()
    with pytest.raises(RuntimeError, match="chunk 2"):
        xlsx_write.write_workbook(tmp_path / "b.xlsx", [("a", df)], failing)
    assert sys.getswitchinterval() == before
    inside, go = threading.Event(), threading.Event()

    def held(chunk):  # the other thread's workbook waits inside its first chunk
        inside.set()
        go.wait(10)
        return chunk

    other = threading.Thread(target=xlsx_write.write_workbook,
                             args=(tmp_path / "held.xlsx", [("a", df)], held))
    other.start()
    assert inside.wait(10)
    xlsx_write.write_workbook(tmp_path / "c.xlsx", [("a", df)])
    assert sys.getswitchinterval() == min(before, xlsx_write.SWITCH_S)  # the other's
    go.set()
    other.join(10)
    assert not other.is_alive() and sys.getswitchinterval() == before
