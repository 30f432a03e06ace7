"""Item 4 of issue 13: every YAML goes through one bounded loader.

A "billion laughs" document (9 levels of 9 aliases: 9**9 = 387,420,489 values once
expanded) is refused while it is composed, in every YAML chainopt reads, with exit 1
naming the file; a scenario chain deeper than 32 bases is an error, not a RecursionError.
"""

from __future__ import annotations

import json
import time

import pytest
import yaml
from openpyxl import load_workbook

from chainopt import api
from chainopt.errors import InputError
from chainopt.safe_yaml import MAX_ALIASES, parse_yaml
from tests.hardening.conftest import cli

LAUGHS = "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 9))


def test_billion_laughs_is_refused_fast():
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="expands to more than"):
        parse_yaml(LAUGHS, "laughs.yaml")
    print(f"billion laughs refused in {time.perf_counter() - t0:.4f} s")


def test_alias_count_and_nesting_are_bounded():
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(InputError, match="aliases"):
        parse_yaml(many, "x")
    with pytest.raises(InputError, match="nested deeper") as e:
        parse_yaml("[" * 10_000 + "]" * 10_000, "x")
    # (review safety F10: the hint spoke of aliases, which the file has none of)
    assert e.value.problems[0].hint == "flatten it: no chainopt input nests more than a few levels"
    with pytest.raises(InputError) as e:
        parse_yaml(many, "x")
    assert "aliases" in e.value.problems[0].hint
    assert parse_yaml("a: &a 1\nb: *a\n", "x") == {"a": 1, "b": 1}  # a few aliases are fine


def test_case_yaml(small_copy):
    (small_copy / "case.yaml").write_text(LAUGHS)
    _code, text = cli("validate", small_copy, code=1)
    assert "case.yaml" in text and "YAML refused" in text


def test_scenario(tmp_path):
    sc = tmp_path / "laughs.yaml"
    sc.write_text("base: small_chain\n" + LAUGHS)
    _code, text = cli("run", sc, "--out", tmp_path / "out", code=1)
    assert "laughs.yaml" in text and "YAML refused" in text


def test_distributions(tmp_path):
    dist = tmp_path / "dist.yaml"
    dist.write_text(LAUGHS)
    _code, text = cli("sweep", "small_chain", "--samples", "3", "--distributions", dist,
                     "--out", tmp_path / "out", code=1)
    assert "dist.yaml" in text and "YAML refused" in text
    assert not (tmp_path / "out").exists()


def test_snapshot(tmp_path):
    (tmp_path / "snap.yaml").write_text(LAUGHS)
    _code, text = cli("snapshot", "check", "--dir", tmp_path, code=1)
    assert "snap.yaml" in text and "YAML refused" in text


def test_workbook_case_sheet(tmp_path):
    wb_path = tmp_path / "case.xlsx"
    api.convert("small_chain", wb_path)
    wb = load_workbook(wb_path)
    ws = wb["case"]
    (row,) = [r for r in ws.iter_rows(min_row=2) if r[0].value == "description"]
    row[1].value = LAUGHS  # (a second description row is refused as a key given twice)
    wb.save(wb_path)
    _code, text = cli("validate", wb_path, code=1)
    assert "case!B" in text and "YAML refused" in text


def test_scenario_chain_depth_is_bounded(tmp_path):
    """s0 is based on small_chain, s<i> on s<i-1>: 40 levels is refused (limit 32)."""
    (tmp_path / "s0.yaml").write_text(yaml.safe_dump({"base": "small_chain"}))
    for i in range(1, 40):
        (tmp_path / f"s{i}.yaml").write_text(yaml.safe_dump({"base": f"s{i - 1}.yaml"}))
    _code, text = cli("validate", tmp_path / "s39.yaml", code=1)
    assert "deeper than 32" in text
    # blamed on the file run, not on s7, the 33rd from it (outside review scen F6): s32
    # has 33 files down to s0, whose base is a case (s0 was named: nothing to change there)
    assert "s39.yaml key base: the chain of scenario bases is deeper than 32 files: at " \
           "least 33 from " in text and "s7.yaml (and more below it)" in text
    _code, text = cli("validate", tmp_path / "s32.yaml", code=1)
    assert "s32.yaml key base: the chain of scenario bases is deeper than 32 files: 33 " \
           "from " in text and "s0.yaml;" in text
    cli("validate", tmp_path / "s31.yaml", code=0)  # 32 files: the most there may be
    cli("validate", tmp_path / "s5.yaml", code=0)  # a short chain is fine


def test_a_key_given_twice_is_refused():
    """A second ``changes:`` used to replace the first without a word; a merge key
    (``<<``) still overrides, as YAML says."""
    with pytest.raises(InputError, match=r"key 'changes' appears twice \(line 3\)"):
        parse_yaml("base: x\nchanges: [1]\nchanges: [2]\n", "s.yaml")
    assert parse_yaml("a: &a {k: 1, j: 2}\nb:\n  <<: *a\n  k: 3\n", "m.yaml") == \
        {"a": {"k": 1, "j": 2}, "b": {"k": 3, "j": 2}}


def test_an_integer_of_thousands_of_digits_is_one_message(tmp_path):
    sc = tmp_path / "big.yaml"
    sc.write_text("base: small_chain\nchanges:\n  - table: markets\n    set: "
                  "{price_usd_per_unit: " + "9" * 5000 + "}\n")
    _, text = cli("validate", sc, code=1)
    assert "YAML refused: Exceeds the limit (4300 digits)" in text


def test_a_base_too_long_for_the_system_is_not_found(tmp_path):
    sc = tmp_path / "long.yaml"
    sc.write_text(yaml.safe_dump({"base": "a" * 5000}))
    _, text = cli("validate", sc, code=1)
    assert "no case folder, embedded case or scenario file" in text


def test_a_scenario_holds_at_most_2000_changes(tmp_path, monkeypatch):
    """2,001 changes are refused; as many as the limit are applied (checked at a limit of
    5: 2,000 changes take about 10 s to apply, which is what the limit bounds)."""
    from chainopt.case import scenario

    change = {"table": "markets", "where": {"commodity": "hdpe"},
              "scale": {"price_usd_per_unit": 1.0}}
    sc = tmp_path / "many.yaml"
    # (written as JSON, which is YAML: a YAML writer would share the repeated mapping
    # through aliases, refused on their own)
    sc.write_text(json.dumps({"base": "small_chain", "changes": [change] * 2001}))
    _, text = cli("validate", sc, code=1)
    assert "2,001 changes, at most 2,000 in one file" in text
    monkeypatch.setattr(scenario, "MAX_CHANGES", 5)
    sc.write_text(json.dumps({"base": "small_chain", "changes": [change] * 6}))
    _, text = cli("validate", sc, code=1)
    assert "6 changes, at most 5 in one file" in text
    sc.write_text(json.dumps({"base": "small_chain", "changes": [change] * 5}))
    cli("validate", sc, code=0)


def test_sweep_limits_on_the_distributions_and_settings(tmp_path):
    """201 variables (the correlation matrix grows with the square), a number too large
    for a float, and the same target and operation twice (in --set or in the file) are
    each one message; nothing is written."""
    var = {"target": "markets.price_usd_per_unit[commodity=hdpe]", "op": "scale",
           "dist": {"type": "uniform", "low": 0.9, "high": 1.1}}
    for spec, words in (
            ({"variables": [var] * 201}, "201 declared, at most 200"),
            ({"variables": [{**var, "dist": {"type": "uniform", "low": 1, "high": 10**400}}]},
             "variables[0].dist.high: must be a finite number"),
            ({"variables": [var, var]}, "commodity=hdpe] scale is set twice")):
        dist = tmp_path / "d.yaml"
        dist.write_text(json.dumps(spec))  # (JSON is YAML, without aliases)
        _, text = cli("sweep", "small_chain", "--samples", "3", "--distributions", dist,
                      "--out", tmp_path / "out", code=1)
        assert words in text, text
    hdpe = "markets.price_usd_per_unit[commodity=hdpe]*=1,2"
    _, text = cli("sweep", "small_chain", "--set", hdpe, "--set", hdpe, "--out",
                  tmp_path / "out", code=1)
    assert "is set twice" in text
    assert not (tmp_path / "out").exists()


def test_base_60_numbers_are_text_other_numbers_as_before():
    """YAML 1.1 reads ``1:30`` as 90 (1*60 + 30) and ``12:30:45`` as 45045; chainopt's
    loader reads them as text, so a number field refuses them. Every other form reads as
    SafeLoader reads it (values by hand from the YAML 1.1 int/float types): ``1e3`` has
    no point and is text in YAML 1.1 (chainopt's number checks accept it), ``1_000`` is
    1000, ``017`` octal 15. ``yaml`` itself is left alone."""
    expected = {"1:30": "1:30", "-1:30": "-1:30", "1:30.5": "1:30.5",
                "12:30:45": "12:30:45", "12": 12, "-3": -3, "+7": 7, "1_000": 1000,
                "0x1F": 31, "017": 15, "0b101": 5, "1.5": 1.5, "1.0e+3": 1000.0,
                "1e3": "1e3", ".5": 0.5, ".inf": float("inf"), "true": True, "~": None}
    for text, value in expected.items():
        got = parse_yaml(f"a: {text}", "x")["a"]
        assert got == value and type(got) is type(value), (text, got)
    assert yaml.safe_load("a: 1:30") == {"a": 90}


def test_a_base_60_number_is_refused_where_a_number_belongs(small_copy, tmp_path):
    """``set: {price_usd_per_unit: 1:30}`` was a price of 90; now "set needs a number
    (found '1:30')". In case.yaml, ``shortfall_penalty_usd_per_unit: 1:30`` (was 90) is
    refused at its key; ``1e3`` and ``1_000`` still replace hdpe's price of 900 (shown
    as written)."""
    sc = tmp_path / "s.yaml"
    for value, shown in (("1:30", ""), ("1e3", "1e3"), ("1_000", "1000")):
        sc.write_text("name: fz\nbase: small_chain\nchanges:\n  - table: markets\n"
                      f"    where: {{commodity: hdpe}}\n    set: {{price_usd_per_unit: {value}}}\n")
        code, text = cli("show", sc)
        if shown:
            assert code == 0 and f"price_usd_per_unit │ 900 │ {shown} │" in text, text
        else:
            assert code == 1 and "set needs a number (found '1:30')" in text, text
    case_yaml = small_copy / "case.yaml"
    case_yaml.write_text(case_yaml.read_text().replace(
        "shortfall_penalty_usd_per_unit: 5000", "shortfall_penalty_usd_per_unit: 1:30"))
    _code, text = cli("validate", small_copy, code=1)
    assert "case.yaml key shortfall_penalty_usd_per_unit" in text and "'1:30'" in text


def test_the_loader_in_use_is_c_backed_where_pyyaml_has_libyaml():
    """Review safety F9: a 2.8 MB scenario (60,000 added rows) took 30 s in PyYAML's
    pure-Python scanner. Where libyaml exists the text is scanned and parsed in C, but
    composed by PyYAML's Python ``Composer`` (before ``CParser`` in the bases), so the
    limits' ``compose_node`` still sees every node before it is built."""
    from chainopt import safe_yaml

    if not yaml.__with_libyaml__:
        assert safe_yaml.LOADERS is safe_yaml.PY_LOADERS
        return
    from yaml._yaml import CParser

    assert safe_yaml.LOADERS is safe_yaml.C_LOADERS
    for loader in safe_yaml.LOADERS:
        mro = loader.__mro__
        assert CParser in mro
        assert mro.index(safe_yaml._Limits) < mro.index(yaml.composer.Composer) \
            < mro.index(CParser)
        assert yaml.reader.Reader not in mro  # nothing scanned in Python


LOADER_SETS = ["python"] + (["c"] if yaml.__with_libyaml__ else [])


@pytest.mark.parametrize("which", LOADER_SETS)
def test_every_limit_holds_through_each_loader(which, monkeypatch):
    """The same limits and messages through the C-backed and the pure-Python loader.
    Depth by hand: the document's root is level 1, so 64 nested ``[`` are 64 levels
    (the most allowed) and 65 are refused; the alias limit is 100 (101 refused); with
    MAX_NODES set to 10, a list of 9 numbers is 10 values (allowed) and of 10 numbers
    11 values: refused as values, not as 'nested aliases' (there are none; 5 MB of
    ``1,`` were composed whole, 2.5 million nodes, before the expanded count said so)."""
    from chainopt import safe_yaml

    monkeypatch.setattr(safe_yaml, "LOADERS", safe_yaml.PY_LOADERS if which == "python"
                        else safe_yaml.C_LOADERS)

    def refused(text: str, numbers: bool = False):
        with pytest.raises(InputError) as e:
            parse_yaml(text, "x.yaml", numbers)
        (problem,) = e.value.problems
        return problem

    assert parse_yaml("[" * 64 + "]" * 64, "x") == json.loads("[" * 64 + "]" * 64)
    for deep in ("[" * 65 + "]" * 65, "[" * 2000 + "]" * 2000,
                 "".join(" " * i + f"k{i}:\n" for i in range(70)) + " " * 70 + "v\n"):
        problem = refused(deep)
        assert problem.message == "YAML refused: nested deeper than 64 levels"
        assert problem.hint == "flatten it: no chainopt input nests more than a few levels"
    aliases = "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    problem = refused(aliases)
    assert problem.message == "YAML refused: more than 100 aliases (*name)"
    assert problem.hint == "write the values out; chainopt inputs need no aliases"
    assert "expands to more than 1,000,000 values (nested aliases)" in refused(LAUGHS).message
    assert refused("base: x\nchanges: [1]\nchanges: [2]\n").message == \
        "YAML refused: key 'changes' appears twice (line 3)"
    # true is 1 to Python: the message said "key 1 appears twice" of {true: 1, 1: 2}
    assert refused("{true: 1,\n 1: 2}").message == \
        "YAML refused: key '1' appears twice (line 2, the same key as 'true' on line 1)"
    # yes and true are one key (True) spelt two ways: both are named
    assert refused("yes: 1\ntrue: 2\n").message == \
        "YAML refused: key 'true' appears twice (line 2, the same key as 'yes' on line 1)"
    assert refused("~: 1\nnull: 2\n").message == \
        "YAML refused: key 'null' appears twice (line 2, the same key as '~' on line 1)"
    # an alias inside the value it names was refused as 'nested deeper than 64 levels'
    for selfish in ("a: &a [*a]", "a: &a {b: *a}", "a: &a [1, [2, *a]]"):
        problem = refused(selfish)
        assert problem.message == ("YAML refused: an alias refers to the value that holds "
                                   "it (line 1): it never ends"), selfish
        assert problem.hint == "write the values out; chainopt inputs need no aliases"
    assert parse_yaml("a: 1:30\nb: 1e3\nc: 1_000", "x") == {"a": "1:30", "b": "1e3", "c": 1000}
    assert parse_yaml("b: 1e3\nc: '1e3'", "x", numbers=True) == {"b": 1000.0, "c": "1e3"}
    monkeypatch.setattr(safe_yaml, "MAX_NODES", 10)
    assert parse_yaml("[" + ",".join(["1"] * 9) + "]", "x") == [1] * 9
    problem = refused("[" + ",".join(["1"] * 10) + "]")
    assert problem.message == "YAML refused: more than 10 values"
    assert "CSV" in problem.hint


@pytest.mark.parametrize("which", LOADER_SETS)
def test_syntax_errors_say_line_column_and_show_the_line(which, monkeypatch):
    """libyaml's places carry only line and column; the message quotes the line with the
    place marked as PyYAML's own did, names a tab, and a control character is one
    message (the pure-Python reader raised it outside the guarded block: a traceback)."""
    from chainopt import safe_yaml

    monkeypatch.setattr(safe_yaml, "LOADERS", safe_yaml.PY_LOADERS if which == "python"
                        else safe_yaml.C_LOADERS)
    for text, words in (("a: [1, 2\nb: 3\n", ['line 1, column 4: a: [1, 2 ^',
                                              'line 2, column 2: b: 3 ^']),
                        ("a: b: c\n", ["mapping values are not allowed",
                                       "line 1, column 5: a: b: c ^"]),
                        ("\tfoo: 1\n", [r"found character '\t' that cannot start any token",
                                        "line 1, column 1"]),
                        ("a: 'x\n", ["found unexpected end of stream", "line 2, column 1"]),
                        ("a: \x07\n", ["unacceptable character #x0007", "position 3"])):
        with pytest.raises(InputError) as e:
            parse_yaml(text, "s.yaml")
        message = str(e.value.problems[0])
        assert message.startswith("s.yaml: not valid YAML: "), message
        for word in words:
            assert word in message, (word, message)
