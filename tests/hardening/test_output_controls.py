"""Control characters and line feeds in text chainopt writes out (review safety3, F1-F5
and F7): its own workbooks, ``comparison.md``, status lines, explain's lines, charts and
the messages of ``convert`` and ``validate``.

Every expectation is written by hand: ESC is one character, written out as the four
characters ``\\x1b`` (:func:`chainopt.controls.plain`); BEL as ``\\x07``; U+202E as
``\\u202e``; a line feed, where the text is one line, as ``\\n``."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from chainopt.cli import app
from chainopt.controls import plain
from chainopt.report import explain
from chainopt.report.charts import mpl_text
from chainopt.xlsx_write import write_workbook
from tests.hardening.conftest import SMALL, cli

ESC_NAME = "esc\x1b[2J\x07.yaml"  # a scenario file's name: clear screen, bell
#: a failed scenario's file name: ESC, a line feed, Markdown pipes, a right-to-left override
BAD_NAME = "bad\x1b[2J\n| x | y |\u202e.yaml"


def _raw(*args: str) -> tuple[int, str]:
    """``chainopt ARGS``: exit code and its output as printed (lines kept)."""
    res = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "2000"})
    assert "Traceback" not in res.output, res.output
    return res.exit_code, res.output


def _scenario(folder: Path, file: str, name: str, state: str = "optional") -> Path:
    """A scenario on the shipped small_chain; a ``state`` other than off, optional or
    forced makes it fail validation (exit 1)."""
    path = folder / file
    path.write_text(f"name: {name}\nbase: {SMALL}\nchanges:\n"
                    f"  - project: far_east_port\n    state: {state}\n", encoding="utf-8")
    return path


def test_plain_writes_controls_out_and_line_feeds_only_in_one_line_text():
    """By hand: 'a', ESC -> '\\x1b', '[2J', BEL -> '\\x07', U+202E -> '\\u202e'; a line
    feed stays in text of several lines and is '\\n' in one-line text; a tab stays."""
    text = "a\x1b[2J\x07\u202eb\nc\td"
    assert plain(text) == "a\\x1b[2J\\x07\\u202eb\nc\td"
    assert plain(text, one_line=True) == "a\\x1b[2J\\x07\\u202eb\\nc\td"


def test_own_workbook_writes_a_control_character_out(tmp_path):
    """F1/F2: the workbook writer refused text holding ESC (``manifest!B32 ... remove it
    from the input``), a cell of chainopt's own workbook. By hand, 'p/esc' ESC '[2J' BEL
    '.yaml' is stored as the 17 characters 'p/esc\\x1b[2J\\x07.yaml'; a formula-like
    text beside it stays a quoted text cell (results.xlsx, chainopt.xlsx_write, the row
    below its header)."""
    row = ["p/esc\x1b[2J\x07.yaml", "=1+1"]
    path = write_workbook(tmp_path / "w.xlsx", [("manifest", pd.DataFrame(
        [row], columns=["key", "value"]))])
    got, r = load_workbook(path)["manifest"], 2
    assert got[f"A{r}"].value == "p/esc\\x1b[2J\\x07.yaml" and len(got[f"A{r}"].value) == 21
    assert got[f"B{r}"].value == "=1+1" and got[f"B{r}"].data_type == "s"
    assert got[f"B{r}"].quotePrefix


def test_run_excel_with_an_escape_in_the_scenario_path(tmp_path):
    """F1: the run solved, then exited 1 naming ``manifest!B32``. Now exit 0, and the
    manifest sheet holds the scenario path with ESC and BEL written out (by hand: the
    path's text with '\\x1b' for ESC, '\\x07' for BEL); no raw ESC in any cell."""
    scen = _scenario(tmp_path, ESC_NAME, "escok")
    cli("run", scen, "--out", tmp_path / "out", "--excel", code=0)
    ws = load_workbook(tmp_path / "out" / "escok" / "results.xlsx")["manifest"]
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any("\x1b" in c or "\x07" in c for c in cells)
    assert any(c.endswith("esc\\x1b[2J\\x07.yaml") for c in cells), cells


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> tuple[Path, str]:
    """small_chain, a good scenario and one named BAD_NAME that fails validation (its
    state is 'sometimes'): the comparison is written, exit 1."""
    tmp = tmp_path_factory.mktemp("cmp")
    good = _scenario(tmp, "good.yaml", "good")
    bad = _scenario(tmp, BAD_NAME, "badesc", state="sometimes")
    code, out = _raw("compare", SMALL, bad, good, "--out", tmp / "out", "--name", "escp")
    assert code == 1, out
    return tmp / "out" / "compare-escp", out


def test_failed_status_line_is_one_line(compared):
    """F4: ``failed NAME (exit 1): ...`` and ``1 of 3 runs failed: NAME`` were split at the
    line feed of the file's name. By hand each is one line holding the whole name:
    'bad\\x1b[2J\\n| x | y |\\u202e.yaml' (after the folder's path)."""
    _folder, out = compared
    shown = "bad\\x1b[2J\\n| x | y |\\u202e.yaml"
    lines = out.splitlines()
    assert any(ln.startswith("failed ") and f"{shown} (exit 1): " in ln for ln in lines), out
    assert any(ln.startswith("1 of 3 runs failed: ") and ln.endswith(shown)
               for ln in lines), out
    assert any(ln.startswith("  - ") and f"{shown} changes[0]: " in ln for ln in lines), out
    assert "\x1b" not in out and "\u202e" not in out


def test_comparison_md_writes_controls_out(compared):
    """F3: comparison.md held the raw ESC and U+202E of the failed scenario's path. By
    hand its failure bullet holds them written out (the backslash itself escaped for
    Markdown: '\\\\x1b', '\\\\u202e')."""
    folder, _out = compared
    md = (folder / "comparison.md").read_text(encoding="utf-8")
    assert "\x1b" not in md and "\u202e" not in md
    assert "bad\\\\x1b\\[2J" in md and "\\\\u202e.yaml" in md


def test_deck_of_a_comparison_with_a_failed_escaped_path(compared):
    """F2: ``report --pptx`` was refused (``not compared!B2``). Now exit 0; by hand the
    'not compared' sheet's cell B2 (the failed run's source) is the path with ESC and
    U+202E written out, and its line feed too (a path is one line: review out32 F3)."""
    folder, _out = compared
    cli("report", folder, "--pptx", code=0)
    ws = load_workbook(folder / "comparison.xlsx")["not compared"]
    b2 = str(ws["B2"].value)
    assert b2.endswith("bad\\x1b[2J\\n| x | y |\\u202e.yaml"), b2
    assert (folder / "report.pptx").is_file()


#: a failed scenario's file name with a line feed and a right-to-left override but no ESC
#: (review out32 F2-F4; an ESC made the workbook write the whole cell out)
RLO_NAME = "bad\n| x |\u202egpj.yaml"


def test_a_failed_runs_name_is_one_line_written_out_in_every_output(tmp_path, monkeypatch):
    """Review out32 F2-F4: a scenario file RLO_NAME without a ``name:`` (its name is its
    file name) fails validation. The HTML report's "Not compared" note held the name's raw
    line feed and U+202E (a browser showed the rest of the paragraph reversed),
    comparison.xlsx's ``run`` and ``source`` cells held them raw, the deck broke the name
    over two lines (report-deck.html a raw VT) and comparison.md made the line feed a
    space. By hand the name, written out in one line, is the 24 characters
    ``bad\\n| x |\\u202egpj.yaml`` ('bad', backslash-n, '| x |', backslash-u202e,
    'gpj.yaml': 3 + 2 + 5 + 6 + 8) in each: html-escaped in the HTML (no character of
    it needs it), in the workbook's A2 and B2 as they are, in Markdown with its
    backslashes and pipes escaped (``bad\\\\n\\| x \\|\\\\u202egpj.yaml``)."""
    monkeypatch.chdir(tmp_path)
    good = _scenario(tmp_path, "good.yaml", "good")
    bad = _scenario(tmp_path, RLO_NAME, "x", state="sometimes")
    bad.write_text("\n".join(ln for ln in bad.read_text().splitlines()
                             if not ln.startswith("name:")) + "\n", encoding="utf-8")
    code, out = _raw("compare", SMALL, good, RLO_NAME, "--out", "out", "--name", "rlo")
    assert code == 1, out
    folder = tmp_path / "out" / "compare-rlo"
    cli("report", folder, "--pptx", code=0)
    shown = "bad\\n| x |\\u202egpj.yaml"
    assert len(shown) == 24
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "\u202e" not in page
    note = next(ln for ln in page.splitlines() if "<b>failed:</b>" in ln)
    assert f"<b>failed:</b> {shown}: exit 1, bad input" in note, note
    ws = load_workbook(folder / "comparison.xlsx")["not compared"]
    assert (ws["A2"].value, ws["B2"].value) == (shown, shown)
    from pptx import Presentation

    texts = [sh.text_frame.text for slide in Presentation(str(folder / "report.pptx")).slides
             for sh in slide.shapes if sh.has_text_frame]
    said = [t for t in texts if "exit 1, bad input" in t]
    assert said and all(f"{shown}: exit 1" in t and "\v" not in t for t in said), said
    deck_html = (folder / "report-deck.html").read_text(encoding="utf-8")
    assert "\x0b" not in deck_html and "\u202e" not in deck_html
    assert f"{shown}: exit 1" in deck_html
    md = (folder / "comparison.md").read_text(encoding="utf-8")
    assert "* bad\\\\n\\| x \\|\\\\u202egpj.yaml: exit 1, bad input" in md, md


def test_explain_part_with_a_line_feed_in_a_name_stays_one_line():
    """F4: explain split every part at its line feeds, so a unit named
    'x\\nline2: 691 = ...' in a results folder someone sent printed a line of its own. By
    hand: a one-line part is one line (its line feed left to the terminal, which writes
    it out), and only a joint product's tuple gives further lines."""
    lines = explain._commodity_lines("hdpe", ["made at s of unit x\nline2: 691",
                                              ("joint:", "  5 = 5")], "t")
    assert lines == ["  hdpe (USD per t):", "    made at s of unit x\nline2: 691",
                     "    joint:", "      5 = 5"]
    assert plain(lines[1], one_line=True) == "    made at s of unit x\\nline2: 691"


def test_chart_label_with_controls_draws_without_warnings():
    """F5: a label holding ESC and BEL made matplotlib warn 'Glyph 27 missing' with the
    raw bytes on stderr. By hand mpl_text gives 'a\\x1b[2Jb\\x07 \\$5' (ESC, BEL written
    out, '$' escaped for mathtext) and the figure is drawn with no warning."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    assert mpl_text("a\x1b[2Jb\x07 $5") == "a\\x1b[2Jb\\x07 \\$5"
    fig, ax = plt.subplots()
    ax.set_title(mpl_text("unit \x1b]0;pwn\x07"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig.savefig(io.BytesIO(), format="png")
    finally:
        plt.close(fig)


def test_convert_names_the_control_character_and_cuts_the_value(small_copy, tmp_path):
    """F7: convert quoted 40 characters with no length nor which character. By hand: a
    description of 190 'd', ESC, then 109 'e' is 300 characters; its ESC is character
    191; the message quotes its first 60 characters (60 'd'), then '…' and the length."""
    path = small_copy / "sites.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    head = lines[1].rsplit(",", 1)[0]
    lines[1] = f"{head},{'d' * 190}\x1b{'e' * 109}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _code, text = cli("convert", small_copy, tmp_path / "c.xlsx", code=1)
    assert f"sites.csv row 2, column description: found '{'d' * 60}…' (300 characters)" \
        in text, text
    assert "ESC (\\x1b) at character 191" in text and "remove it from the CSV file" in text


def test_long_unknown_header_is_cut(small_copy):
    """F7: an unknown column header of 300 characters was printed whole. By hand: 'h' x
    300 is quoted as its first 60 characters, '…' and '(300 characters)'."""
    path = small_copy / "sites.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + "," + "h" * 300] + [ln + "," for ln in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _code, text = cli("validate", small_copy, code=1)
    assert f"sites.csv, column '{'h' * 60}…' (300 characters): unknown column" in text, text
    assert "h" * 61 not in text


def test_hint_never_suggests_a_name_that_breaks_the_rule(small_copy):
    """F7: a site declared as 'wsib' ESC '[2J' was refused, and every reference to 'wsib'
    got "did you mean 'wsib\\x1b[2J'?", the refused name. By hand: no valid declared site
    is close to 'wsib' once that one is left out; the one meant is the refused name, so
    the hint says so and where to correct it (sites.csv), not "did you mean" it."""
    path = small_copy / "sites.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("\nwsib,", "\nwsib\x1b[2J,", 1),
                    encoding="utf-8")
    _code, text = cli("validate", small_copy, code=1)
    assert ("unknown site name (found 'wsib'); the name declared is 'wsib\\x1b[2J', itself "
            "refused (its own message above): correct it where it is declared, in "
            "sites.csv") in " ".join(text.split()), text
    assert "did you mean 'wsib" not in text
