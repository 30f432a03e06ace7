"""Item 1 of issue 13: names are names, never paths; --overwrite replaces only chainopt's
own folders.

Every name that becomes a file or folder must match ``^[a-z][a-z0-9_]*$``; the
expected outcome of each hostile name below is exit 1 naming the file and field, and
nothing written anywhere (checked by listing the folders by hand)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from chainopt import api
from tests.hardening.conftest import cli

HOSTILE = ["../x", "../../etc", "/tmp/chainopt_abs", "a/b", "A", "1x", "x.y", "", "x" * 101,
           "evil\n"]  # (a final line break: ``$`` alone matches before it)


@pytest.mark.parametrize("bad", HOSTILE)
def test_run_name_must_be_a_name(tmp_path, bad):
    out = tmp_path / "out"
    _code, text = cli("run", "small_chain", "--out", out, "--name", bad, code=1)
    assert "--name" in text and "not a valid name" in text
    assert not out.exists()  # refused before anything was written
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("device", ["con", "nul", "com1", "lpt9"])
def test_a_windows_device_name_is_no_folder_name(tmp_path, device):
    """Results written as ``results/con`` cannot be copied to Windows."""
    _code, text = cli("run", "small_chain", "--out", tmp_path / "out", "--name", device,
                      code=1)
    assert "is a device name on Windows" in text and not (tmp_path / "out").exists()


def test_absolute_name_writes_nothing_there(tmp_path):
    target = tmp_path / "abs"
    cli("run", "small_chain", "--out", tmp_path / "out", "--name", str(target), code=1)
    assert not target.exists()


def test_scenario_name_is_checked(tmp_path):
    sc = tmp_path / "evil.yaml"
    sc.write_text(yaml.safe_dump({"name": "../../escape", "base": "small_chain"}))
    _code, text = cli("run", sc, "--out", tmp_path / "out", code=1)
    assert "evil.yaml key name" in text and "'../../escape' is not a valid" in text
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "escape").exists()


def test_a_scenario_name_ending_in_a_line_break_is_refused(tmp_path):
    """``name: "evil\\n"`` made the folder ``results/evil\\n``."""
    sc = tmp_path / "evil.yaml"
    sc.write_text(yaml.safe_dump({"name": "evil\n", "base": "small_chain"}))
    _code, text = cli("run", sc, "--out", tmp_path / "out", code=1)
    assert "evil.yaml key name" in text and "is not a valid" in text
    assert not (tmp_path / "out").exists()


def test_scenario_file_name_is_the_default_name_and_is_checked(tmp_path):
    sc = tmp_path / "High-Prices.yaml"
    sc.write_text(yaml.safe_dump({"base": "small_chain"}))
    _code, text = cli("validate", sc, code=1)
    assert "High-Prices.yaml file name" in text


def test_case_name_is_checked(small_copy, tmp_path):
    meta = yaml.safe_load((small_copy / "case.yaml").read_text())
    meta["name"] = "../evil"
    (small_copy / "case.yaml").write_text(yaml.safe_dump(meta))
    _code, text = cli("run", small_copy, "--out", tmp_path / "out", code=1)
    assert "case.yaml key name" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["compare", "small_chain", "small_chain"],
                                     ["sweep", "small_chain", "--set",
                                      "markets.price_usd_per_unit*=1,2"]])
def test_compare_and_sweep_names(tmp_path, command):
    _code, text = cli(*command, "--out", tmp_path / "out", "--name", "../x", code=1)
    assert "--name" in text
    assert not (tmp_path / "out").exists() and not (tmp_path / "x").exists()


def test_overwrite_never_replaces_an_unrelated_folder(tmp_path):
    """A folder without chainopt's manifest survives --overwrite of run, sweep, compare
    and convert: each exits 1 and the user's file is still there."""
    out = tmp_path / "out"
    keep = {"keep": out / "keep", "sweep": out / "sweep-keep", "compare": out / "compare-keep",
            "convert": tmp_path / "case_out"}
    for folder in keep.values():
        folder.mkdir(parents=True)
        (folder / "precious.txt").write_text("mine")
    cli("run", "small_chain", "--out", out, "--name", "keep", "--overwrite", code=1)
    cli("sweep", "small_chain", "--set", "markets.price_usd_per_unit*=1", "--out", out,
        "--name", "keep", "--overwrite", "--jobs", "1", code=1)
    wb = tmp_path / "small.xlsx"
    cli("convert", "small_chain", wb, code=0)
    _code, text = cli("convert", wb, keep["convert"], "--overwrite", code=1)
    assert "folder chainopt wrote" in text
    for folder in keep.values():
        assert (folder / "precious.txt").read_text() == "mine"


def test_compare_keeps_an_unrelated_folder(tmp_path):
    out = tmp_path / "out"
    (out / "compare-keep").mkdir(parents=True)
    (out / "compare-keep" / "precious.txt").write_text("mine")
    other = tmp_path / "same.yaml"
    other.write_text(yaml.safe_dump({"base": "small_chain"}))
    code, text = cli("compare", "small_chain", other, "--out", out, "--name", "keep",
                     "--jobs", "1")
    assert code == 1 and "folder chainopt wrote" in text
    assert sorted(p.name for p in out.iterdir()) == ["compare-keep"]  # refused before solving
    assert (out / "compare-keep" / "precious.txt").read_text() == "mine"


def test_overwrite_replaces_chainopt_results(tmp_path):
    out = tmp_path / "out"
    api.run("small_chain", out=out, name="mine")
    cli("run", "small_chain", "--out", out, "--name", "mine", "--overwrite", code=0)
    assert (out / "mine" / "manifest.json").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["mine"]  # nothing left aside


def test_symlink_is_never_followed_for_overwrite(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "manifest.json").write_text("{}")  # looks like results, but is reached by a link
    out = tmp_path / "out"
    out.mkdir()
    (out / "small_chain").symlink_to(victim)
    cli("run", "small_chain", "--out", out, "--overwrite", code=1)
    assert (victim / "manifest.json").read_text() == "{}"
    shutil.rmtree(out)


def test_a_link_to_a_real_results_folder_is_refused_as_a_link(tmp_path):
    """Review safety F10: ``run --overwrite`` onto a name that is a link to a results
    folder chainopt wrote was refused (right) as "exists and is not a results folder
    chainopt wrote (no chainopt manifest.json)", which it is and has; it is refused
    because it is a link, and the message says so, naming the target."""
    api.run("small_chain", out=tmp_path / "real", name="small_chain")
    real = tmp_path / "real" / "small_chain"
    before = sorted(p.name for p in real.iterdir())
    out = tmp_path / "out"
    out.mkdir()
    (out / "small_chain").symlink_to(real)
    _code, text = cli("run", "small_chain", "--out", out, "--overwrite", code=1)
    assert f"small_chain: is a link (to {real}), so --overwrite will not replace it nor " \
           "what it points to; give another name (--name) or output folder (--out), or " \
           "remove the link yourself" in text, text
    assert "manifest.json" not in text
    assert (out / "small_chain").is_symlink() and sorted(p.name for p in real.iterdir()) \
        == before


def test_snapshots_are_written_inside_their_folder(tmp_path):
    """A snapshot file is named after the (checked) scenario name, inside --dir only; one
    file is 'wrote 1 snapshot' (it said 'wrote 1 snapshots', review s25 F8)."""
    sc = tmp_path / "same.yaml"
    sc.write_text(yaml.safe_dump({"name": "my_scenario", "base": "small_chain"}))
    snaps = tmp_path / "snaps"
    _code, text = cli("snapshot", "write", sc, "--dir", snaps, code=0)
    assert f"wrote 1 snapshot to {snaps}" in text, text
    assert sorted(p.name for p in snaps.iterdir()) == ["my_scenario.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.yaml", "snaps"]


def test_snapshot_write_is_all_or_nothing(tmp_path):
    """A failing third source (exit 1) had already rewritten the first two snapshots;
    two sources of one name wrote 'wrote 2 snapshots' and kept one. Now the folder is
    left as it was in both cases."""
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    (snaps / "small_chain.yaml").write_text("kept: true\n")
    cli("snapshot", "write", "small_chain", tmp_path / "missing.yaml", "--dir", snaps, code=1)
    assert (snaps / "small_chain.yaml").read_text() == "kept: true\n"
    twin = tmp_path / "twin.yaml"
    twin.write_text(yaml.safe_dump({"name": "same", "base": "small_chain"}))
    twin2 = tmp_path / "twin2.yaml"
    twin2.write_text(yaml.safe_dump({"name": "same", "base": "small_chain",
                                     "changes": [{"case": {"discount_rate": 0.05}}]}))
    _code, text = cli("snapshot", "write", twin, twin2, "--dir", snaps, code=1)
    assert "a second source named 'same'" in text
    assert sorted(p.name for p in snaps.iterdir()) == ["small_chain.yaml"]


def test_snapshot_write_failing_at_a_later_file_keeps_the_earlier_ones(tmp_path):
    """Both sources solve, but the second snapshot's name (zz.yaml) is taken by a folder:
    exit 1 naming it, and small_chain.yaml, written first, had already been replaced
    (its 'kept: true' gone). By hand: nothing may change, so the folder still holds
    small_chain.yaml reading 'kept: true' and the folder zz.yaml, and nothing else."""
    snaps = tmp_path / "snaps"
    (snaps / "zz.yaml").mkdir(parents=True)
    (snaps / "small_chain.yaml").write_text("kept: true\n")
    scen = tmp_path / "zz.yaml"
    scen.write_text(yaml.safe_dump({"name": "zz", "base": "small_chain"}))
    _code, text = cli("snapshot", "write", "small_chain", scen, "--dir", snaps, code=1)
    assert "zz.yaml: is a folder" in text
    assert (snaps / "small_chain.yaml").read_text() == "kept: true\n"
    assert sorted(p.name for p in snaps.iterdir()) == ["small_chain.yaml", "zz.yaml"]


def test_results_never_replace_a_case_folder_or_a_foreign_manifest(tmp_path, small_copy):
    """Running the case folder 'small' with --out its own parent and --name small would
    replace the case itself; a folder with another tool's manifest.json is not chainopt's
    either. Both survive --overwrite (exit 1)."""
    before = sorted(p.name for p in small_copy.iterdir())
    _code, text = cli("run", small_copy, "--out", tmp_path, "--name", "small", "--overwrite",
                     code=1)
    assert "not a results folder chainopt wrote" in text
    assert sorted(p.name for p in small_copy.iterdir()) == before
    web = tmp_path / "out" / "webapp"
    web.mkdir(parents=True)
    (web / "manifest.json").write_text('{"name": "My PWA", "start_url": "/"}')
    cli("run", "small_chain", "--out", tmp_path / "out", "--name", "webapp", "--overwrite",
        code=1)
    assert (web / "manifest.json").read_text().startswith('{"name": "My PWA"')


def test_long_default_comparison_names_stay_apart(tmp_path):
    """The default comparison name joins the run names by -vs- and was cut to its first
    120 characters: 100 a's -vs- 100 b's, and 100 a's -vs- 99 b's and a c, both became
    compare-<100 a's>-vs-<16 b's>, so --overwrite replaced one comparison with the other.
    Now a name over 120 characters keeps its first 107, then - and the first 12 hex
    digits of the SHA-256 of the whole joined name (107 + 1 + 12 = 120): the two differ
    in their hash. A short name is unchanged."""
    import hashlib

    one, other = ["a" * 100, "b" * 100], ["a" * 100, "b" * 99 + "c"]
    first = api.compare_folder(tmp_path, None, one)
    joined = "a" * 100 + "-vs-" + "b" * 100
    assert first.name == ("compare-" + joined[:107] + "-"
                          + hashlib.sha256(joined.encode()).hexdigest()[:12])
    assert len(first.name) == len("compare-") + 120
    first.mkdir()  # as compare writes it: its marker comparison.md
    (first / "comparison.md").write_text("# Comparison: one\n")
    second = api.compare_folder(tmp_path, None, other)  # no ResultsExistError: apart
    assert second != first and second.name[:len("compare-") + 107] == first.name[:-13]
    assert api.compare_folder(tmp_path, None, ["small_chain", "small_port_expansion"]).name \
        == "compare-small_chain-vs-small_port_expansion"


def test_long_chart_keys_stay_apart():
    """A static chart's file name holds its key (a scenario or project name from the
    data) cut to 150 characters: two 160-character keys alike in their first 150 were one
    file name, the second chart replacing the first. Now a key over 150 characters keeps
    its first 137, then - and 12 hex digits of the SHA-256 of the whole (137 + 1 + 12 =
    150); a short key, and a path in one, are as before."""
    import hashlib

    from chainopt.report.static import file_key

    one, other = "p" * 150 + "a" * 10, "p" * 150 + "b" * 10
    assert file_key(one) == "p" * 137 + "-" + hashlib.sha256(one.encode()).hexdigest()[:12]
    assert file_key(one) != file_key(other) and len(file_key(other)) == 150
    assert file_key("small_port_expansion") == "small_port_expansion"
    assert file_key("x/../../escaped") == "x_______escaped"


@pytest.mark.parametrize("device", ["con", "nul"])
def test_validate_refuses_a_device_name_run_would_refuse(tmp_path, device):
    """A case named ``con`` (or a scenario named ``nul``) was 'valid' for ``chainopt
    validate``, the CI gate, and refused only by ``run``; validate now asks run's own
    check (``names.check_folder_name``), naming the case folder or the scenario file."""
    case = tmp_path / "case"
    shutil.copytree(api.load_case("small_chain").origin, case)
    meta = case / "case.yaml"
    meta.write_text(meta.read_text().replace("name: small_chain", f"name: {device}", 1))
    _code, text = cli("validate", case, code=1)
    assert (f"{case}: name: '{device}' is a device name on Windows, not a folder name; "
            "choose another name") in text
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": device, "base": "small_chain"}))
    _code, text = cli("validate", sc, code=1)
    assert (f"{sc} key name: '{device}' is a device name on Windows, not a folder name; "
            "choose another name") in text


def test_a_device_name_from_the_file_name_blames_the_file_name(tmp_path):
    """Review safety F10: ``scen/aux.yaml`` without a ``name:`` key was refused as
    "aux.yaml key name: 'aux' is a device name", a key the file does not have; the name
    is the file's, as the ``Bad-Name.yaml`` message says. With ``name: aux`` in it, the
    key is blamed; ``validate`` and ``run`` say the same."""
    (tmp_path / "scen").mkdir()
    sc = tmp_path / "scen" / "aux.yaml"
    sc.write_text("base: small_chain\n")
    for command in (["validate", sc], ["run", sc, "--out", tmp_path / "out"]):
        _code, text = cli(*command, code=1)
        assert (f"{sc} file name (the default scenario name): 'aux' is a device name on "
                "Windows, not a folder name") in text, text
        assert "key name" not in text
    sc.write_text("name: aux\nbase: small_chain\n")
    _code, text = cli("validate", sc, code=1)
    assert f"{sc} key name: 'aux' is a device name on Windows" in text, text
    bad = tmp_path / "scen" / "Bad-Name.yaml"
    bad.write_text("base: small_chain\n")
    _code, text = cli("validate", bad, code=1)
    assert f"{bad} file name (the default scenario name): 'Bad-Name' is not a valid " \
           "scenario name" in text
    assert not (tmp_path / "out").exists()


def test_a_name_with_a_look_alike_or_an_invisible_character_says_so(small_copy):
    """Review safety F10: a case named 'ѕmall' (U+0455 CYRILLIC SMALL LETTER DZE, which
    prints as s) was told "e.g. 'mall'" and not why; a site 'ws\\u200bib' (a zero-width
    space) was quoted invisibly, "found 'ws​ib'" and "did you mean 'ws​ib'?" read as the
    very name the user wrote. Now the character is named as outside ASCII (as scenario
    selectors say it), an invisible one is written as its escape, and the example is
    given only where one exists: 'Café' -> 'cafe' (the accent dropped), 'ws\\u200bib' ->
    'wsib' (the zero-width space left out), none for the Cyrillic letter."""
    meta = small_copy / "case.yaml"
    text0 = meta.read_text()
    for name, hint in (
            ("ѕmall", "'ѕmall' holds U+0455 CYRILLIC SMALL LETTER DZE, outside ASCII: type "
                      "it in ASCII letters"),
            ("Café", "'Café' holds U+00E9 LATIN SMALL LETTER E WITH ACUTE, outside ASCII: "
                     "type it in ASCII letters, e.g. 'cafe'")):
        meta.write_text(text0.replace("name: small_chain", f"name: {name}", 1))
        _code, text = cli("validate", small_copy, code=1)
        assert f"case.yaml key name: must be snake_case: lower-case letters, digits and _, " \
               f"starting with a letter (found '{name}'); {hint}" in text, text
        assert hint.endswith("cafe'") or "e.g." not in text
    meta.write_text(text0)
    sites = small_copy / "sites.csv"
    sites.write_text(sites.read_text().replace("wsib,", "ws\u200bib,", 1))
    _code, text = cli("validate", small_copy, code=1)
    assert "sites.csv row 2, column site: names must be snake_case: lower-case letters, " \
           "digits and _, starting with a letter (found 'ws\\u200bib'); 'ws\\u200bib' holds " \
           "U+200B ZERO WIDTH SPACE, outside ASCII: type it in ASCII letters, e.g. 'wsib'" \
           in text, text
    # the name meant is the declared one, itself refused: where to correct it, not "did
    # you mean" a name that is refused (review safety3 F7)
    assert "supplies.csv row 2, column site: unknown site name (found 'wsib'); the name " \
           "declared is 'ws\\u200bib', itself refused (its own message above): correct it " \
           "where it is declared, in sites.csv" in text
    assert "\u200b" not in text
    _code, text = cli("run", "small_chain", "--name", "ѕmall", code=1)
    assert "'ѕmall' holds U+0455 CYRILLIC SMALL LETTER DZE, outside ASCII; use lower-case" \
        in text
