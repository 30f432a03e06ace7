"""How to write elsewhere is said with the options the command has (review sens2 F2):
`sensitivity` was told to "give another name (--name) or output folder (--out)", and
`sensitivity --name` is no option (exit 2). The ways are one table,
:data:`chainopt.atomic.ELSEWHERE`, by kind of folder; every refusal reads it."""

from __future__ import annotations

import inspect

import pytest
import typer

from chainopt import api, atomic
from chainopt.cli import app
from chainopt.errors import command_line
from tests.hardening.conftest import cli
from tests.report.test_sensitivity_drivers import tiny

#: kind of folder -> the command and the api function that write it
WRITERS = {"results": ("run", api.run), "sweep": ("sweep", api.sweep),
           "comparison": ("compare", api.compare),
           "sensitivity": ("sensitivity", api.sensitivity), "case": ("convert", api.convert)}


@pytest.mark.parametrize("kind", sorted(atomic.ELSEWHERE))
def test_every_way_said_is_an_option_of_the_command_and_the_function(kind):
    """Each option (or argument, by its metavar) and keyword the table names for a kind
    is one that the command and the function writing it take."""
    name, function = WRITERS[kind]
    command = typer.main.get_command(app).commands[name]
    said = {o for p in command.params for o in
            (p.opts if p.param_type_name == "option" else [p.name.upper()])}
    keywords = set(inspect.signature(function).parameters)
    for _what, option, keyword in atomic.ELSEWHERE[kind]:
        assert option in said, (kind, option, sorted(said))
        assert keyword.removesuffix("=...") in keywords, (kind, keyword)
    assert set(WRITERS) == set(atomic.ELSEWHERE)


def test_sensitivity_is_told_of_out_only(tmp_path):
    """A sensitivity folder holding a memo, and one without --overwrite: each refusal
    names --out, never --name (the command has none); from Python, out=...."""
    case = tiny(tmp_path / "case")
    folder = tmp_path / "res" / "sensitivity-toy-pj"
    folder.mkdir(parents=True)
    (folder / "breakeven.csv").write_text("driver,meaning,base\n")
    (folder / "memo.docx").write_bytes(b"mine")
    _code, text = cli("sensitivity", case, "--project", "pj", "--out", tmp_path / "res",
                      "--overwrite", code=1)
    assert ("holds files chainopt did not write (memo.docx): --overwrite replaces the "
            "whole sensitivity folder and would delete them; move them out of this folder "
            "first, or give another output folder (--out)") in text, text
    assert "--name" not in text
    (folder / "memo.docx").unlink()
    _code, text = cli("sensitivity", case, "--project", "pj", "--out", tmp_path / "res",
                      code=1)
    assert text.endswith("exists; pass --overwrite to replace it, or give another output "
                         "folder (--out)"), text
    with pytest.raises(atomic.ResultsExistError) as raised:
        api.sensitivity(case, "pj", out=tmp_path / "res")
    assert str(raised.value).endswith("pass overwrite=True to replace it, or give another "
                                      "output folder (out=...)")


def test_the_other_kinds_say_their_own_ways():
    """run, sweep and compare have --name and --out; convert its TARGET."""
    with command_line():
        assert atomic.elsewhere("results") == ("give another name (--name) or output "
                                               "folder (--out)")
        assert atomic.elsewhere("case") == "give another target (TARGET)"
        assert atomic.elsewhere(None) == "write elsewhere"
    assert atomic.elsewhere("sweep") == "give another name (name=...) or output folder " \
        "(out=...)"
