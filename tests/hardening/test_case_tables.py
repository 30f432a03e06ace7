"""Items 1, 4, 11 and 14 of the red-team review: the table files of a case folder.

A header of absurdly many columns is refused at once (a quadratic duplicate check took
5 minutes for 100,000 columns); a table file larger than MAX_CSV_BYTES is refused by its
size, never read into memory; a file named like a table but not exactly (``.CSV``,
``Markets.csv``, ``.csv.txt``) is an error asking to rename it, not silently left out; a
row with more values than the header (a trailing comma) is named, where pandas shifted
every column left and the errors blamed the wrong columns.

small_chain's ``supplies.csv`` (hand-read): header ``site,commodity,cost_usd_per_unit,
max_k_per_yr`` (4 columns, all known) and two rows, ``wsib,crude,340,8000`` (row 2) and
``wsib,raw_gas,20,12000`` (row 3).
"""

from __future__ import annotations

import os
import time

import pytest

from chainopt.case.load import MAX_COLUMNS
from chainopt.textfile import MAX_CSV_BYTES
from tests.hardening.conftest import cli

SUPPLIES = "site,commodity,cost_usd_per_unit,max_k_per_yr\n"


def _wide_supplies(folder, columns: int) -> None:
    """supplies.csv with its 4 columns followed by unknown x0, x1, ... up to ``columns``."""
    extra = columns - 4
    (folder / "supplies.csv").write_text(
        SUPPLIES.strip() + "".join(f",x{i}" for i in range(extra)) + "\n"
        + "wsib,crude,340,8000" + "," * extra + "\n")


def test_a_header_of_too_many_columns_is_refused_at_once(small_copy):
    """100,004 columns (4 known + 100,000 unknown): one problem naming the file, the
    count and the limit (1,000), in well under a second's work, not minutes and 100,000
    "unknown column" lines."""
    _wide_supplies(small_copy, 100_004)
    t0 = time.perf_counter()
    _code, text = cli("validate", small_copy, code=1)
    assert time.perf_counter() - t0 < 5
    assert MAX_COLUMNS == 1_000
    assert ("supplies.csv: has 100,004 columns, more than the 1,000 a table may have"
            in text)
    assert "1 problem" in text and "unknown column" not in text


def test_unknown_columns_up_to_the_limit_are_listed_twenty_then_counted(small_copy):
    """1,000 columns (the limit) = 4 known + 996 unknown (x0..x995): x0..x19 are listed
    (MAX_PER_CHECK = 20), then "976 more unknown columns" (996 - 20), quickly."""
    _wide_supplies(small_copy, 1_000)
    t0 = time.perf_counter()
    _code, text = cli("validate", small_copy, code=1)
    assert time.perf_counter() - t0 < 5
    assert "supplies.csv, column x0: unknown column" in text
    assert "supplies.csv, column x19: unknown column" in text
    assert "column x20:" not in text
    assert "supplies.csv: 976 more unknown columns" in text


def test_a_header_named_twice_is_still_found(small_copy):
    """The linear duplicate check finds what the quadratic one did: ``site`` twice."""
    (small_copy / "supplies.csv").write_text(
        "site,commodity, site ,cost_usd_per_unit,max_k_per_yr\nwsib,crude,wsib,340,8000\n")
    _code, text = cli("validate", small_copy, code=1)
    assert "supplies.csv, column site: appears twice in the header" in text


def test_a_table_file_over_the_size_limit_is_refused_by_its_size(small_copy):
    """A sparse units_by_period.csv (a table small_chain lacks) one byte over 256 MiB
    (268,435,456 bytes): refused by its size before a byte is read (read whole, a 4 GB
    one was a MemoryError)."""
    assert MAX_CSV_BYTES == 256 * 1024 * 1024 == 268_435_456
    path = small_copy / "units_by_period.csv"
    with open(path, "wb") as f:
        f.truncate(MAX_CSV_BYTES + 1)
    _code, text = cli("validate", small_copy, code=1)
    assert ("units_by_period.csv: is 268,435,457 bytes, more than the 268,435,456 allowed "
            "for a CSV file" in text)
    assert os.path.getsize(path) == MAX_CSV_BYTES + 1


def test_a_table_file_named_almost_right_is_an_error(small_copy):
    """``markets_by_period.CSV`` (from a Windows tool), ``Policies.csv`` and
    ``sites.csv.txt``: each was left unread without a word (the markets' later prices,
    the carbon price, the sites gone from the plan); now each is named with the exact
    name to give it. Other files (small_chain's README.md, notes.txt) are not tables and
    still not read."""
    (small_copy / "markets_by_period.csv").rename(small_copy / "markets_by_period.CSV")
    (small_copy / "policies.csv").rename(small_copy / "Policies.csv")
    (small_copy / "sites.csv").rename(small_copy / "sites.csv.txt")
    (small_copy / "notes.txt").write_text("to do\n")
    _code, text = cli("validate", small_copy, code=1)
    for given, exact in (("markets_by_period.CSV", "markets_by_period"),
                         ("Policies.csv", "policies"), ("sites.csv.txt", "sites")):
        assert (f"{given}: is not read as the {exact} table: a table file is named in lower "
                f"case with .csv; rename it to {exact}.csv") in text
    assert "3 problems" in text and "notes.txt" not in text and "README" not in text


@pytest.mark.parametrize("saved", ["markets.txt", "markets.tsv", "markets.csv~",
                                   "markets.csv.bak", "markets.csv ", "markets.CSV ",
                                   "markets.csv:Zone.Identifier"])
def test_a_table_saved_under_a_name_it_gained_on_its_way_is_an_error(small_copy, saved):
    """Review safety F7: markets.csv saved as markets.txt (Excel's Save as Text), a
    backup's ending, a trailing blank from another system's zip or Windows' download
    stream, with markets_by_period.csv removed: validated 'ok' and ran a chain with no
    markets. Now refused by name when the folder has no markets.csv; beside one such a
    file is not read and says nothing (a backup next to its table)."""
    (small_copy / "markets_by_period.csv").unlink()
    table = small_copy / "markets.csv"
    text_was = table.read_text()
    table.rename(small_copy / saved)
    _code, text = cli("validate", small_copy, code=1)
    assert (f"{saved}: is not read as the markets table, and the folder has no "
            "markets.csv; rename it to markets.csv (comma-separated UTF-8), or move it out "
            "of the case folder") in text, text
    table.write_text(text_was)
    cli("validate", small_copy, code=0)


def test_an_unknown_table_in_upper_case_is_still_an_unknown_table(small_copy):
    """``Suppliers.CSV`` names no table in any case: "unknown table" with the nearest
    table's name, as ``suppliers.csv`` gets."""
    (small_copy / "Suppliers.CSV").write_text(SUPPLIES)
    _code, text = cli("validate", small_copy, code=1)
    assert "Suppliers.CSV: unknown table; did you mean 'supplies'?" in text


def test_a_trailing_comma_on_every_row_is_named_not_shifted(small_copy):
    """Both rows end in a comma: 5 values for the 4 columns at rows 2 and 3. pandas took
    the first column as the index, so the errors read "unknown site name (found
    'crude')" for column site and '340' for commodity."""
    (small_copy / "supplies.csv").write_text(
        SUPPLIES + "wsib,crude,340,8000,\nwsib,raw_gas,20,12000,\n")
    _code, text = cli("validate", small_copy, code=1)
    for row in (2, 3):
        assert (f"supplies.csv row {row}: 5 values for 4 columns (a trailing comma?); "
                "remove the comma(s) at the end of the row") in text
    assert "2 problems" in text and "found 'crude'" not in text


def test_a_trailing_comma_on_the_first_row_only_is_named(small_copy):
    """Only row 2 ends in a comma: pandas read the first row as one value longer and
    shifted every row (with ``index_col=False`` it would drop the extra value
    silently); row 3 is fine."""
    (small_copy / "supplies.csv").write_text(
        SUPPLIES + "wsib,crude,340,8000,\nwsib,raw_gas,20,12000\n")
    _code, text = cli("validate", small_copy, code=1)
    assert "supplies.csv row 2: 5 values for 4 columns (a trailing comma?)" in text
    assert "1 problem" in text


def test_an_extra_value_in_a_later_row_is_named(small_copy):
    """Row 3 has a fifth value, ``5``: "5 values for 4 columns" with no trailing-comma
    guess (was pandas' "Error tokenizing data. C error: Expected 4 fields in line 3,
    saw 5")."""
    (small_copy / "supplies.csv").write_text(
        SUPPLIES + "wsib,crude,340,8000\nwsib,raw_gas,20,12000,5\n")
    _code, text = cli("validate", small_copy, code=1)
    assert ("supplies.csv row 3: 5 values for 4 columns; put a value holding a comma in "
            "double quotes, or name the extra column in the header") in text
    assert "trailing comma" not in text


def test_lines_ending_in_cr_only_are_named_with_the_fix(small_copy):
    """supplies.csv with CR line ends only (Excel for Mac's 'CSV (Macintosh)'): the file
    is one line to the CSV reader, which said "new-line character seen in unquoted field
    - do you need to open the file in universal-newline mode?; check the quotes in the
    first row" (the quotes are fine). Now the line ends and the fix are named; CR LF
    (Windows) stays accepted."""
    rows = SUPPLIES + "wsib,crude,340,8000\nwsib,raw_gas,20,12000\n"
    (small_copy / "supplies.csv").write_bytes(rows.replace("\n", "\r").encode())
    _code, text = cli("validate", small_copy, code=1)
    assert ("supplies.csv: its lines end in CR only (a 'CSV (Macintosh)' file), which is "
            "not read as lines; save it as 'CSV UTF-8 (comma delimited)' (lines ending in "
            "LF or CR LF)") in text
    assert "1 problem" in text and "universal-newline" not in text
    (small_copy / "supplies.csv").write_bytes(rows.replace("\n", "\r\n").encode())
    cli("validate", small_copy, code=0)


def test_an_unclosed_quote_names_the_row_it_opens_in(small_copy):
    """Row 4 (the header is row 1; row 3 is followed by a blank line, which rows skip as
    validation does) opens a quote never closed: pandas said "Error tokenizing data. C
    error: EOF inside string starting at row 4" (its rows count from 0 after the header
    but count the blank line; without one it names the row before). In the header
    itself: row 1."""
    (small_copy / "supplies.csv").write_text(
        SUPPLIES + "wsib,crude,340,8000\nwsib,raw_gas,20,12000\n\n\"wsib,naphtha,1,2\n")
    _code, text = cli("validate", small_copy, code=1)
    assert ("supplies.csv row 4: a quote is opened and never closed; close it (a value "
            'holding a comma goes in double quotes: "a,b"), or remove it') in text
    assert "1 problem" in text and "EOF" not in text
    (small_copy / "supplies.csv").write_text('"' + SUPPLIES + "wsib,crude,340,8000\n")
    _code, text = cli("validate", small_copy, code=1)
    assert "supplies.csv row 1: a quote is opened and never closed" in text


def test_an_empty_header_cell_is_named_by_its_position(small_copy):
    """The 4-column header of supplies.csv with a trailing comma has an empty 5th cell:
    pandas named it 'Unnamed: 4', which the file does not hold ("column Unnamed: 4:
    unknown column"). Now "header cell 5 is empty (a trailing comma?)"; an empty cell
    inside the header (between site and commodity: cell 2) is named without the guess."""
    (small_copy / "supplies.csv").write_text(SUPPLIES.strip() + ",\nwsib,crude,340,8000\n")
    _code, text = cli("validate", small_copy, code=1)
    assert ("supplies.csv: header cell 5 is empty (a trailing comma?); remove the comma(s) "
            "at the end of the header row") in text
    assert "1 problem" in text and "Unnamed" not in text
    (small_copy / "supplies.csv").write_text(SUPPLIES.replace("site,", "site,,") +
                                             "wsib,,crude,340,8000\n")
    _code, text = cli("validate", small_copy, code=1)
    assert ("supplies.csv: header cell 2 is empty; name the column, or remove it and its "
            "values") in text and "Unnamed" not in text


def test_a_table_of_more_rows_than_allowed_is_refused_before_it_is_parsed(small_copy):
    """Review safety F8: sites.csv of 10 million 4-byte rows (40 MB, under the 256 MiB
    byte limit) took 22 s and 1.7 GB to read. Lines are counted before parsing: one
    more than MAX_ROWS (2,000,001 rows of 'a,,' after the header, 8 MB) is refused by
    its count in well under a second's parsing; the file stays as it was."""
    from chainopt.case.load import MAX_ROWS

    assert MAX_ROWS == 2_000_000
    path = small_copy / "sites.csv"
    path.write_text("site,lat_deg,lon_deg\n" + "a,,\n" * MAX_ROWS)
    _code, text = cli("validate", small_copy, code=1)
    assert ("sites.csv: has 2,000,001 lines, more than the 2,000,000 rows a table may have"
            in text), text
