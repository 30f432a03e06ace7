"""Items 5 and 9 of issue 13: every failure a user can cause ends in one clear message
and the documented exit code (1 bad input, 2 usage), never a traceback.

Each entry of the corpus builds a broken input in a fresh folder and names the command,
the exit code expected (by the rule: a bad file or option value the CLI parses itself
is 2, anything found in a file or by the library is 1) and words the message must hold.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from chainopt import api
from tests.hardening.conftest import SMALL, cli

HDPE = "markets.price_usd_per_unit[commodity=hdpe]*="


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """One solved small_chain results folder, copied by the tests that damage it."""
    out = tmp_path_factory.mktemp("res")
    api.run("small_chain", out=out)
    return out / "small_chain"


def _case(tmp: Path) -> Path:
    dst = tmp / "case"
    shutil.copytree(SMALL, dst)
    return dst


def _res(tmp: Path, results: Path) -> Path:
    dst = tmp / "res"
    shutil.copytree(results, dst)
    return dst


def _write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


# -- builders: (tmp, results folder) -> argv ---------------------------------------------

def empty_case_yaml(t, r):
    _write(_case(t) / "case.yaml", "")
    return ["validate", t / "case"], ["case.yaml", "is empty"]


def binary_case_yaml(t, r):
    _write(_case(t) / "case.yaml", b"\x00\x01\x02garbage")
    return ["validate", t / "case"], ["case.yaml", "binary", "UTF-8"]


def latin1_csv(t, r):
    c = _case(t)
    _write(c / "sites.csv", "site,lat_deg,lon_deg,description\nwsib,1,2,Zürich\n"
           .encode("latin-1"))
    return ["validate", c], ["sites.csv", "not UTF-8", "UTF-8"]


def empty_csv(t, r):
    _write(_case(t) / "units.csv", "")
    return ["validate", t / "case"], ["units.csv", "is empty"]


def table_is_a_folder(t, r):
    c = _case(t)
    (c / "units.csv").unlink()
    (c / "units.csv").mkdir()
    return ["validate", c], ["units.csv", "is a folder"]


def semicolon_csv(t, r):
    c = _case(t)
    text = (c / "sites.csv").read_text().replace(",", ";")
    _write(c / "sites.csv", text)
    return ["validate", c], ["sites.csv", "semicolons", "comma-separated"]


def tab_csv(t, r):
    c = _case(t)
    df = pd.read_csv(c / "sites.csv", dtype=str)
    df.to_csv(c / "sites.csv", sep="\t", index=False)
    return ["validate", c], ["sites.csv", "tabs"]


def decimal_comma(t, r):
    c = _case(t)
    text = (c / "sites.csv").read_text().replace("61.25", '"61,25"')
    _write(c / "sites.csv", text)
    return ["validate", c], ["sites.csv row 2, column lat_deg", "decimal comma"]


def duplicate_csv_header(t, r):
    c = _case(t)
    text = (c / "units.csv").read_text().replace("unit,site,", "unit,site,site,", 1)
    _write(c / "units.csv", text)
    return ["validate", c], ["units.csv, column site", "appears twice"]


def no_units_csv(t, r):
    c = _case(t)
    (c / "units.csv").unlink()
    return ["validate", c], ["units.csv", "required table is missing"]


def export_into_missing_folder(t, r):
    return ["export", "small_chain", "--lp", t / "nope" / "m.lp"], ["does not exist"]


def out_is_a_file(t, r):
    _write(t / "file", "x")
    return ["run", "small_chain", "--out", t / "file" / "sub"], ["is a file, not a folder"]


def results_folder_is_a_file(t, r):
    _write(t / "small_chain", "x")
    return ["run", "small_chain", "--out", t, "--overwrite"], ["folder chainopt wrote"]


def verify_manifest_not_json(t, r):
    d = _res(t, r)
    _write(d / "manifest.json", "{not json")
    return ["verify", d], ["manifest.json", "damaged manifest"]


def verify_manifest_a_list(t, r):
    d = _res(t, r)
    _write(d / "manifest.json", "[1, 2]")
    return ["verify", d], ["not a JSON object"]


def verify_manifest_missing(t, r):
    d = _res(t, r)
    (d / "manifest.json").unlink()
    return ["verify", d], ["no manifest.json"]


def verify_manifest_without_objective(t, r):
    d = _res(t, r)
    m = json.loads((d / "manifest.json").read_text())
    del m["objective"]
    _write(d / "manifest.json", json.dumps(m))
    return ["verify", d], ["damaged results"]


def verify_binary_table(t, r):
    d = _res(t, r)
    _write(d / "flows.csv", b"\x00\xff\xfe")
    return ["verify", d], ["flows.csv", "binary"]


def explain_without_kpis(t, r):
    d = _res(t, r)
    (d / "kpis.csv").unlink()
    return ["explain", d], ["kpis.csv is missing"]


def explain_damaged_constraints(t, r):
    d = _res(t, r)
    _write(d / "constraints.csv", "a,b\n1,2\n")
    return ["explain", d], ["damaged results"]


def explain_manifest_is_a_folder(t, r):
    d = _res(t, r)
    (d / "manifest.json").unlink()
    (d / "manifest.json").mkdir()
    return ["explain", d], ["no manifest.json"]


def missing_distributions(t, r):
    return ["sweep", "small_chain", "--samples", "3", "--distributions", t / "nope.yaml",
            "--out", t / "out"], ["nope.yaml", "no such"]


def _dist(t, **extra):
    doc = {"variables": [{"target": "markets.price_usd_per_unit[commodity=hdpe]", "op": "scale",
                          "dist": {"type": "uniform", "low": 0.9, "high": 1.1}},
                         {"target": "supplies.cost_usd_per_unit[commodity=crude]",
                          "op": "scale", "dist": {"type": "normal", "mean": 1, "sd": 0.1}}]}
    doc.update(extra)
    _write(t / "dist.yaml", yaml.safe_dump(doc))
    return ["sweep", "small_chain", "--samples", "3", "--distributions", t / "dist.yaml",
            "--out", t / "out"]


def correlation_not_positive_definite(t, r):
    return _dist(t, correlation=[[1, 2], [2, 1]]), ["correlation", "from -1 to 1"]


def correlation_singular_negative(t, r):
    return _dist(t, correlation=[[1, -1.0000001], [-1.0000001, 1]]), ["correlation"]


def correlation_wrong_shape(t, r):
    return _dist(t, correlation=[[1, 0, 0], [0, 1, 0], [0, 0, 1]]), ["2x2 matrix"]


def correlation_not_numbers(t, r):
    return _dist(t, correlation=[["a", 0], [0, 1]]), ["matrix of finite numbers"]


def distribution_unknown_type(t, r):
    _dist(t)
    doc = yaml.safe_load((t / "dist.yaml").read_text())
    doc["variables"][0]["dist"] = {"type": "cauchy"}
    _write(t / "dist.yaml", yaml.safe_dump(doc))
    return _dist_argv(t), ["unknown distribution 'cauchy'"]


def distribution_missing_parameter(t, r):
    _dist(t)
    doc = yaml.safe_load((t / "dist.yaml").read_text())
    del doc["variables"][1]["dist"]["sd"]
    _write(t / "dist.yaml", yaml.safe_dump(doc))
    return _dist_argv(t), ["variables[1].dist.sd", "finite number"]


def distributions_not_a_mapping(t, r):
    _write(t / "dist.yaml", "- just\n- a list\n")
    return _dist_argv(t), ["dist.yaml", "mapping"]


def _dist_argv(t):
    return ["sweep", "small_chain", "--samples", "3", "--distributions", t / "dist.yaml",
            "--out", t / "out"]


def samples_without_distributions(t, r):
    return ["sweep", "small_chain", "--samples", "5", "--out", t / "out"], ["--distributions"]


def set_range_with_zero_points(t, r):
    return ["sweep", "small_chain", "--set", HDPE + "0.7:1.3:0", "--out", t / "out"], \
        ["0 points", "1 to"]


def set_range_count_not_whole(t, r):
    return ["sweep", "small_chain", "--set", HDPE + "0.7:1.3:2.5", "--out", t / "out"], \
        ["cannot read the values"]


def set_values_not_finite(t, r):
    return ["sweep", "small_chain", "--set", HDPE + "1,nan", "--out", t / "out"], \
        ["not all finite"]


def scenario_not_utf8(t, r):
    _write(t / "s.yaml", "base: small_chain\ndescription: caf\xe9\n".encode("latin-1"))
    return ["run", t / "s.yaml", "--out", t / "out"], ["s.yaml", "not UTF-8"]


def scenario_changes_of_wrong_types(t, r):
    _write(t / "s.yaml", "base: small_chain\nchanges:\n"
           "  - {table: markets, where: {commodity: [[1]]}, scale: {price_usd_per_unit: x}}\n"
           "  - {table: markets, where: [1, 2], set: {price_usd_per_unit: {a: 1}}}\n"
           "  - {project: [1], state: {a: 1}}\n  - 17\n")
    return ["run", t / "s.yaml", "--out", t / "out"], ["s.yaml changes[0]", "changes[1]",
                                                         "changes[2]", "changes[3]"]


def scenario_is_a_folder(t, r):
    (t / "s.yaml").mkdir()
    return ["validate", t / "s.yaml"], ["s.yaml", "is a folder"]


def workbook_not_a_zip(t, r):
    _write(t / "case.xlsx", "this is not a workbook")
    return ["validate", t / "case.xlsx"], ["cannot be read as an Excel workbook"]


def workbook_is_a_folder(t, r):
    (t / "case.xlsx").mkdir()
    return ["validate", t / "case.xlsx"], ["is a folder"]


def report_binary_kpis(t, r):
    d = _res(t, r)
    _write(d / "kpis.csv", b"\x00\x01")
    return ["report", d], ["kpis.csv", "binary"]


def report_without_kpis(t, r):
    d = _res(t, r)
    (d / "kpis.csv").unlink()
    return ["report", d], ["kpis.csv is missing"]


def report_of_empty_folder(t, r):
    (t / "empty").mkdir()
    return ["report", t / "empty"], ["neither a results folder"]


def snapshot_not_a_mapping(t, r):
    _write(t / "snap.yaml", "[1, 2, 3]\n")
    return ["snapshot", "check", "--dir", t], ["snap.yaml", "mapping"]


def snapshot_without_rerun(t, r):
    _write(t / "snap.yaml", "objective: 1\n")
    return ["snapshot", "check", "--dir", t], ["key rerun", "missing"]


def snapshot_dir_missing(t, r):
    return ["snapshot", "check", "--dir", t / "nope"], ["no such snapshot folder"]


def resume_damaged_sweep_json(t, r):
    (t / "sw").mkdir()
    _write(t / "sw" / "sweep.json", "{oops")
    return ["sweep", "--resume", t / "sw"], ["sweep.json", "damaged"]


def _mc_sweep(t, kpis: bytes | str) -> list:
    """A finished Monte Carlo sweep folder as someone sent it: its sweep.json as chainopt
    writes it, its kpis.csv ``kpis``; argv of ``sensitivity --sweep`` on it."""
    (t / "sw").mkdir()
    _write(t / "sw" / "sweep.json", json.dumps({"source": "small_chain", "sets": [],
                                                "samples": 2, "seed": 0}))
    _write(t / "sw" / "kpis.csv", kpis)
    return ["sensitivity", "--sweep", t / "sw"]


def sweep_kpis_not_utf8(t, r):
    return _mc_sweep(t, "variant,status,note\ns00000,optimal,caf\xe9\n".encode("latin-1")), \
        ["kpis.csv", "not UTF-8"]


def sweep_kpis_empty(t, r):
    return _mc_sweep(t, ""), ["kpis.csv", "damaged, not a CSV table"]


def sweep_kpis_without_status(t, r):
    """Without ``status`` every draw counted as solved (exit 0, P50 of failed draws)."""
    return _mc_sweep(t, "variant,npv_pj_incremental_musd\ns00000,5\ns00001,7\n"), \
        ["kpis.csv", "no column status", "--resume"]


def csv_header_quote_never_closed(t, r):
    """A quote opened in the header and never closed: the whole file is one header field,
    longer than the csv module reads (131,072 characters): _csv.Error, a traceback."""
    c = _case(t)
    _write(c / "sites.csv", 'site,lat_deg,lon_deg,"description\n' + "x" * 200_000 + "\n")
    return ["validate", c], ["sites.csv", "header row", "quotes"]


def _workbook_with_sheet_xml(t, edit) -> Path:
    """small_chain as a workbook whose second sheet (commodities: the case sheet first,
    then the tables sorted) has its XML replaced by ``edit(xml)``."""
    api.convert("small_chain", t / "w.xlsx")
    member = "xl/worksheets/sheet2.xml"
    with zipfile.ZipFile(t / "w.xlsx") as src, \
            zipfile.ZipFile(t / "case.xlsx", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, edit(data) if item.filename == member else data)
    return t / "case.xlsx"


def workbook_sheet_xml_cut_short(t, r):
    """A sheet's XML cut in half (a copy interrupted): xml ParseError, a traceback."""
    book = _workbook_with_sheet_xml(t, lambda x: x[:len(x) // 2])
    return ["validate", book], ["case.xlsx, sheet commodities", "XML is damaged"]


def workbook_sheet_xml_with_entities(t, r):
    """A sheet declaring nested entities (a "billion laughs") and using the last: the
    XML parser refuses to expand it (ParseError, a traceback before); nothing expands."""
    laughs = '<!DOCTYPE w [<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)) + "]>"

    def edit(x: bytes) -> bytes:
        text = x.decode()
        start = text.index("<worksheet")
        used = re.sub(r"<t( [^>]*)?>", r"<t\1>&a9;", text[start:], count=1)
        assert used != text[start:]  # (the entity used in the first text cell)
        return (text[:start] + laughs + used).encode()

    return ["validate", _workbook_with_sheet_xml(t, edit)], ["sheet commodities",
                                                             "XML is damaged"]


CORPUS = [empty_case_yaml, binary_case_yaml, latin1_csv, empty_csv, table_is_a_folder,
          semicolon_csv, tab_csv, decimal_comma, duplicate_csv_header, no_units_csv,
          export_into_missing_folder, out_is_a_file, results_folder_is_a_file,
          verify_manifest_not_json, verify_manifest_a_list, verify_manifest_missing,
          verify_manifest_without_objective, verify_binary_table, explain_without_kpis,
          explain_damaged_constraints, explain_manifest_is_a_folder, missing_distributions,
          correlation_not_positive_definite, correlation_singular_negative,
          correlation_wrong_shape, correlation_not_numbers, distribution_unknown_type,
          distribution_missing_parameter, distributions_not_a_mapping,
          samples_without_distributions, set_range_with_zero_points,
          set_range_count_not_whole, set_values_not_finite, scenario_not_utf8,
          scenario_changes_of_wrong_types, scenario_is_a_folder, workbook_not_a_zip,
          workbook_is_a_folder, report_binary_kpis, report_without_kpis,
          report_of_empty_folder, snapshot_not_a_mapping, snapshot_without_rerun,
          snapshot_dir_missing, resume_damaged_sweep_json, sweep_kpis_not_utf8,
          sweep_kpis_empty, sweep_kpis_without_status, csv_header_quote_never_closed,
          workbook_sheet_xml_cut_short, workbook_sheet_xml_with_entities]


@pytest.mark.parametrize("build", CORPUS, ids=[f.__name__ for f in CORPUS])
def test_bad_input_is_one_clear_message(tmp_path, results, build):
    argv, words = build(tmp_path, results)
    _code, text = cli(*argv, code=1)
    assert text.startswith("error:") or "error:" in text
    for w in words:
        assert w in text, f"{w!r} not in: {text}"
    assert not (tmp_path / "out").exists()  # nothing written by a failed command


def test_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path, monkeypatch):
    """Writing a table fails with ENOSPC half-way: exit 1 naming the folder, and no
    results or temporary folder is left behind."""
    real = pd.DataFrame.to_csv

    def full(self, path_or_buf=None, *a, **k):
        if path_or_buf is None:  # to a string (the input hash): fine
            return real(self, path_or_buf, *a, **k)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    _code, text = cli("run", "small_chain", "--out", tmp_path / "out", code=1)
    assert "No space left on device" in text
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_unwritable_output_is_found_before_solving(tmp_path, monkeypatch):
    """/proc takes no new files (not even for root): exit 1 before the model is built."""
    def no_build(*a, **k):
        raise AssertionError("the model was built before the output was checked")

    monkeypatch.setattr(api, "build_model", no_build)
    _code, text = cli("run", "small_chain", "--out", "/proc/chainopt_hardening", code=1)
    assert "cannot write here" in text and "1 problem with the output" in text


def test_compare_reusing_results_without_a_source_values_them_from_the_one_given(tmp_path):
    """compare reuses up-to-date results; one whose manifest lost its 'source' could not
    be valued against its counterfactual (exit 1). The reused results hold the inputs of
    the scenario compared (its hash is theirs), so they are valued from it: exit 0 and
    the port's 12.3 MUSD of the first compare. Results without a source given to
    api.counterfactuals directly are still a clear error naming them, no traceback."""
    from chainopt.errors import InputError
    from chainopt.results import Results

    sc = Path(__file__).resolve().parents[2] / "scenarios" / "small_port_expansion.yaml"
    cli("compare", "small_chain", sc, "--out", tmp_path, "--jobs", "1", code=0)
    mf = tmp_path / "small_port_expansion" / "manifest.json"
    m = json.loads(mf.read_text())
    del m["source"]
    mf.write_text(json.dumps(m))
    _code, text = cli("compare", "small_chain", sc, "--out", tmp_path, "--jobs", "1",
                      "--overwrite", code=0)  # (the comparison of the first call exists)
    assert "reused small_port_expansion" in text
    # (read from the file: the terminal's table folds its cells on a narrow terminal)
    eco = pd.read_csv(tmp_path / "compare-small_chain-vs-small_port_expansion"
                      / "economics.csv").set_index("effect")
    assert eco.loc["far_east_port", "incremental NPV (MUSD)"] == pytest.approx(12.3, abs=0.05)
    runs = {n: Results.load(tmp_path / n) for n in ("small_chain", "small_port_expansion")}
    with pytest.raises(InputError, match="records no source"):
        api.counterfactuals(runs)


def test_paths_and_values_are_printed_as_they_are(tmp_path):
    """A folder named ``a[/b]`` is rich markup (a closing tag with nothing open): printed
    as markup it raised MarkupError after the run had been written."""
    out = tmp_path / "a[/b]"

    def bare(text: str) -> str:  # (a long path may be wrapped on the terminal)
        return "".join(text.split())

    _, text = cli("run", "small_chain", "--out", out, code=0)
    assert bare(f"results written to {out / 'small_chain'}") in bare(text)
    _, text = cli("report", out / "small_chain", code=0)
    assert bare(f"report written to {out / 'small_chain' / 'report.html'}") in bare(text)
    _, text = cli("run", "small_chain", "--method", "[/b]", code=2)
    assert "'[/b]' is not one of auto, simplex, ipm" in text


def test_sensitivity_sweep_writes_both_of_its_files_or_neither(tmp_path):
    """projects_mc.png taken by a folder: exit 1 naming it, yet projects_mc.csv had been
    written just before. By hand, two draws with project pj, both solved: P10/P50/P90 of
    (5, 7) are 5.2, 6, 6.8 and P(built) 1/2; once the folder is gone the same command
    writes both files, the CSV with those numbers."""
    argv = _mc_sweep(tmp_path, "variant,status,npv_pj_incremental_musd,built_pj\n"
                               "s00000,optimal,5,1\ns00001,optimal,7,0\n")
    (tmp_path / "sw" / "projects_mc.png").mkdir()
    _code, text = cli(*argv, code=1)  # refused before anything is read: it is there
    assert "projects_mc.png exists" in text and "--overwrite" in text, text
    _code, text = cli(*argv, "--overwrite", code=1)
    assert "projects_mc.png: is a folder" in text
    assert sorted(p.name for p in (tmp_path / "sw").iterdir()) == [
        "kpis.csv", "projects_mc.png", "sweep.json"]
    (tmp_path / "sw" / "projects_mc.png").rmdir()
    cli(*argv, code=0)
    mc = pd.read_csv(tmp_path / "sw" / "projects_mc.csv").iloc[0]
    assert (mc["project"], mc["samples"], mc["failed"]) == ("pj", 2, 0)
    assert [mc["p10_musd"], mc["p50_musd"], mc["p90_musd"], mc["p_built"]] == \
        pytest.approx([5.2, 6.0, 6.8, 0.5])
    assert (tmp_path / "sw" / "projects_mc.png").is_file()


CLEAR = "\x1b[2J\x1b]0;PWNED\x07"  # clear the screen, retitle the terminal


def test_control_characters_from_files_are_written_out_on_the_terminal(tmp_path, results):
    """A ``source`` cell, a scenario's description (YAML's "\\e") and a results folder's
    case name holding ESC sequences were printed as they are by ``show --source``, ``show``
    and ``explain``: the terminal cleared its screen and took the title 'PWNED' (the bell
    alone was dropped by rich). By hand: each control character is shown as its \\x
    escape, so the output holds no ESC (CliRunner's console writes no colour codes of its
    own) and holds the text ``\\x1b[2J\\x1b]0;PWNED\\x07`` once per command. (A case
    name that is not a name is now a damaged manifest, exit 1, the message quoting it:
    review safety3 F6.)"""
    case = _case(tmp_path)
    units = (case / "units.csv").read_text().splitlines()
    units[0] += ",source"
    units[1] += f",{CLEAR}"
    _write(case / "units.csv", "\n".join(units) + "\n")
    scen = _write(tmp_path / "s.yaml", f'base: {case}\ndescription: "\\e[2J\\e]0;PWNED\\a"\n')
    run = _res(tmp_path, results)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["case"] = CLEAR
    _write(run / "manifest.json", json.dumps(manifest))
    shown = CLEAR.encode("unicode_escape").decode()  # \x1b[2J\x1b]0;PWNED\x07
    for argv in (["show", case, "--source", "units"], ["show", scen], ["explain", run]):
        _code, text = cli(*argv, code=1 if argv[0] == "explain" else 0)
        assert "\x1b" not in text and "\x07" not in text
        assert text.count(shown) == 1, text


def test_a_tornado_with_no_applicable_driver_is_an_empty_table(tmp_path):
    """The port project's links made to carry ethylene alone, which no market buys, and
    the project forced in p2026: it sells nothing, so the price driver cannot move its
    NPV: the tornado has no
    row (it used to have no columns either, and printing it raised a KeyError); the
    saved table keeps its header."""
    port = Path(__file__).resolve().parents[2] / "scenarios" / "small_port_expansion.yaml"
    scen = _write(tmp_path / "ethylene_port.yaml", f"base: {port}\nchanges:\n"
                  "  - table: links\n    where: {link: [fe_rail, fe_port_sea]}\n"
                  "    set: {commodities: ethylene}\n"
                  "  - project: far_east_port\n    state: forced\n    period: p2026\n")
    cli("sensitivity", scen, "--project", "far_east_port", "--drivers", "price",
        "--out", tmp_path, code=0)
    folder = next(tmp_path.glob("sensitivity-*"))
    assert "the project's units and links sell nothing" in (
        folder / "breakeven.csv").read_text()
    tornado = folder / "tornado.csv"
    assert tornado.read_text().splitlines() == [
        "driver,meaning,base_value,low_value,high_value,npv_base_musd,npv_low_musd,"
        "npv_high_musd,swing_musd,npv_base_from_musd,npv_base_to_musd,npv_low_from_musd,"
        "npv_low_to_musd,npv_high_from_musd,npv_high_to_musd,note"]


def test_a_nul_byte_anywhere_in_a_text_file_is_refused(tmp_path):
    """A NUL byte is never text. Only the first 64 KiB were searched, so a sites.csv of
    2,000 rows whose description on row 1,999 held one (line 2,000, after about 100 KiB)
    was read, the NUL kept in the description; now refused naming the file and line."""
    from chainopt.errors import InputError
    from chainopt.textfile import read_text

    rows = [f"s{i},{'x' * 50}" for i in range(2000)]
    rows[1998] = "s1998,bad\x00text"
    path = tmp_path / "sites.csv"
    path.write_text("site,description\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert path.stat().st_size > 65536
    with pytest.raises(InputError, match=r"is a binary file, not a text file \(a NUL byte on "
                                         r"line 2000\)"):
        read_text(path)


def test_bidi_controls_and_line_separators_are_written_out_on_the_terminal(tmp_path):
    """Review safety F10: ``show --source`` wrote C0/C1 controls out but passed U+202E
    (right-to-left override: the rest of the line shown reversed) and U+2028 (a line
    separator) from a ``source`` cell to the terminal. By hand: each of U+202A-U+202E,
    U+2066-U+2069, U+2028 and U+2029 is shown as its \\u escape, so the output holds
    none of them and holds each escape once, between its neighbours (``a\\u202ab``,
    ``b\\u202bb`` ...). Three characters to a row (small_chain has five units), so that
    no cell is long enough for the table to fold it at whatever width the terminal has."""
    odd = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
    case = _case(tmp_path)
    units = (case / "units.csv").read_text().splitlines()
    units[0] += ",source"
    for i in range(0, len(odd), 3):
        units[i // 3 + 1] += ",a" + "".join(f"{ch}b" for ch in odd[i:i + 3])
    _write(case / "units.csv", "\n".join(units) + "\n")
    _code, text = cli("show", case, "--source", "units", code=0)
    assert not any(ch in text for ch in odd)
    for ch in odd:
        assert text.count(f"\\u{ord(ch):04x}b") == 1, (hex(ord(ch)), text)
