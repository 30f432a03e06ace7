"""The JSON files chainopt reads from folders others send (a run's ``manifest.json``, a
sweep's ``sweep.json``, the marker of a folder being written) are read only up to a
bound: a file made huge is refused with its size, never read whole into memory, and a
FIFO in a file's place is not opened (reading it would block for ever). A file nested
deeper than the JSON parser's recursion limit is damaged like any other bad JSON, never
a RecursionError traceback."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from chainopt import api
from chainopt.atomic import MARKER_BYTES, TMP_MARKER, _holder, is_chainopt_folder, read_json
from chainopt.textfile import MAX_JSON_BYTES, parse_json
from tests.hardening.conftest import cli

PORT = Path(__file__).parents[2] / "scenarios" / "small_port_expansion.yaml"
# arrays inside each other 100,000 deep: 200 KB, far within MAX_JSON_BYTES and the 1 MiB of
# a text_columns.json, far beyond Python's recursion limit (1,000)
DEEP = "[" * 100_000 + "]" * 100_000


def _padded(path: Path, doc: dict, size: int) -> None:
    """``doc`` as JSON followed by spaces up to ``size`` bytes: valid JSON, only too big."""
    text = json.dumps(doc)
    path.write_text(text + " " * (size - len(text)))


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("res")
    api.run("small_chain", out=out)
    return out / "small_chain"


def test_a_huge_manifest_is_refused_with_its_size(tmp_path, results):
    d = Path(shutil.copytree(results, tmp_path / "res"))
    manifest = json.loads((d / "manifest.json").read_text())
    _padded(d / "manifest.json", manifest, MAX_JSON_BYTES + 1)
    for argv in (["explain", d], ["verify", d]):
        _code, text = cli(*argv, code=1)
        assert (f"manifest.json: is {MAX_JSON_BYTES + 1:,} bytes, more than the "
                f"{MAX_JSON_BYTES:,} allowed for a manifest") in text, text
    # one byte less is read as before (the padding is only whitespace)
    _padded(d / "manifest.json", manifest, MAX_JSON_BYTES)
    cli("explain", d, code=0)


def test_a_huge_results_or_sweep_table_is_refused_by_its_size(tmp_path, results):
    """A results table (flows.csv) or a sweep's kpis.csv made 1 GiB + 1 byte (a sparse
    file: no disk used) was read whole into memory (4 GB ended in a MemoryError
    traceback); it is refused by its size before a byte is read: exit 1 naming the
    file, its size and the limit (MAX_TABLE_BYTES, 1 GiB: the largest table of a
    300,000-variable run is 11 MB)."""
    from chainopt.errors import InputError
    from chainopt.sweep import read_kpis
    from chainopt.textfile import MAX_TABLE_BYTES

    d = Path(shutil.copytree(results, tmp_path / "res"))
    os.truncate(d / "flows.csv", MAX_TABLE_BYTES + 1)
    _code, text = cli("explain", d, code=1)
    assert (f"flows.csv: is {MAX_TABLE_BYTES + 1:,} bytes, more than the "
            f"{MAX_TABLE_BYTES:,} allowed for a results table") in text, text
    sweep = tmp_path / "sweep-x"
    sweep.mkdir()
    (sweep / "kpis.csv").touch()
    os.truncate(sweep / "kpis.csv", MAX_TABLE_BYTES + 1)
    with pytest.raises(InputError, match="allowed for a sweep table"):
        read_kpis(sweep)


def test_a_huge_sweep_json_is_refused_on_resume(tmp_path):
    folder = tmp_path / "sweep-big"
    folder.mkdir()
    _padded(folder / "sweep.json", {"source": "small_chain", "sets": []}, MAX_JSON_BYTES + 1)
    _code, text = cli("sweep", "--resume", folder, code=1)
    assert f"sweep.json: is {MAX_JSON_BYTES + 1:,} bytes" in text, text


def test_read_json_stops_at_its_bound_and_opens_regular_files_only(tmp_path):
    doc = tmp_path / "doc.json"
    _padded(doc, {"a": 1}, 100)
    assert read_json(doc, 100) == {"a": 1}
    with pytest.raises(ValueError, match="more than 99 bytes"):
        read_json(doc, 99)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        read_json(fifo, 100)  # (opening it would wait for a writer)


def test_a_folder_with_a_huge_or_fifo_manifest_is_not_taken_for_chainopts(tmp_path):
    """is_chainopt_folder (may --overwrite replace it?) read the manifest whole."""
    d = tmp_path / "run"
    d.mkdir()
    keys = {"case": "x", "input_hash": "0" * 64, "status": "optimal"}
    _padded(d / "manifest.json", keys, 1000)
    assert is_chainopt_folder(d, "results")
    _padded(d / "manifest.json", keys, MAX_JSON_BYTES + 1)
    assert not is_chainopt_folder(d, "results")
    (d / "manifest.json").unlink()
    os.mkfifo(d / "manifest.json")
    assert not is_chainopt_folder(d, "results")


def test_a_huge_marker_names_no_process(tmp_path):
    """The marker of a folder being written holds a process id, a host and a time; one
    padded past MARKER_BYTES is not read (the folder is still taken as held)."""
    d = tmp_path / "held"
    d.mkdir()
    info = {"pid": 1, "host": "elsewhere.example", "created": 4102444800.0}
    _padded(d / TMP_MARKER, info, 200)
    assert _holder(d) == "process 1 on elsewhere.example"
    _padded(d / TMP_MARKER, info, MARKER_BYTES + 1)
    assert _holder(d) == "a process that has not yet said which"


def _deepened(path: Path) -> None:
    """The JSON object in ``path`` with a key ``deep`` of :data:`DEEP` added: every key
    chainopt wrote is still there."""
    text = path.read_text().rstrip()
    assert text.endswith("}")
    path.write_text(text[:-1] + ', "deep": ' + DEEP + "}")


def test_parse_json_turns_deep_nesting_into_a_value_error():
    """json.loads raises RecursionError (not a ValueError) for DEEP; parse_json a
    ValueError, as for any bad JSON. Ordinary nesting parses as before."""
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_json(DEEP)
    with pytest.raises(ValueError):
        parse_json("{oops")
    assert parse_json('{"a": [[1], {"b": null}]}') == {"a": [[1], {"b": None}]}


def test_a_deeply_nested_manifest_is_a_damaged_manifest(tmp_path, results):
    """explain, report and verify ended with a RecursionError traceback; run --overwrite
    too (deciding whether the folder is chainopt's). Now: the damaged-manifest message
    (exit 1), and run --overwrite refuses the folder as not chainopt's (exit 1)."""
    out = tmp_path / "out"
    d = Path(shutil.copytree(results, out / "small_chain"))
    _deepened(d / "manifest.json")
    for command in ("explain", "report", "verify"):
        _code, text = cli(command, d, code=1)
        assert "manifest.json: damaged manifest, not valid JSON: nested too deeply" in text, text
    _code, text = cli("run", "small_chain", "--out", out, "--overwrite", code=1)
    assert "exists and is not a results folder chainopt wrote" in text, text


def test_compare_solves_a_run_with_a_deeply_nested_manifest_again(tmp_path, results):
    """compare failed the run as a solver failure (exit 4, the RecursionError's
    traceback in its message); a damaged folder is solved again (exit 0) and left as it
    is (no --overwrite), as the README promises. The comparison's text_columns.json
    nested as deeply is a damaged comparison for report (exit 1), not a traceback."""
    d = Path(shutil.copytree(results, tmp_path / "small_chain"))
    _deepened(d / "manifest.json")
    damaged = (d / "manifest.json").read_bytes()
    _code, text = cli("compare", "small_chain", PORT, "--out", tmp_path, "--jobs", "1", code=0)
    assert "solved small_chain" in text and "is damaged" in text and "nested too deeply" in text
    assert (d / "manifest.json").read_bytes() == damaged
    cmp_dir = tmp_path / "compare-small_chain-vs-small_port_expansion"
    (cmp_dir / "text_columns.json").write_text(DEEP)
    _code, text = cli("report", cmp_dir, code=1)
    assert "text_columns.json: damaged, not valid JSON: nested too deeply" in text, text


def test_a_deeply_nested_sweep_json_is_damaged(tmp_path):
    """sweep --resume ended with a RecursionError traceback: now "damaged" (exit 1); a
    sweep --overwrite of the same name refuses the folder as not chainopt's."""
    folder = tmp_path / "sweep-small_chain"
    folder.mkdir()
    (folder / "sweep.json").write_text(json.dumps({"source": "small_chain", "sets": []}))
    _deepened(folder / "sweep.json")
    _code, text = cli("sweep", "--resume", folder, code=1)
    assert "sweep.json: damaged, not valid JSON: nested too deeply" in text, text
    _code, text = cli("sweep", "small_chain", "--set",
                      "markets.price_usd_per_unit[commodity=hdpe]*=0.9,1.1",
                      "--out", tmp_path, "--overwrite", code=1)
    assert "exists and is not a sweep folder chainopt wrote" in text, text


def test_a_deeply_nested_marker_names_no_process(tmp_path):
    """A marker of 2,000 nested arrays fits its 4,096 bytes and raised RecursionError
    out of _holder; now it is an unreadable marker (the folder still held)."""
    d = tmp_path / "held"
    d.mkdir()
    (d / TMP_MARKER).write_text("[" * 2000 + "]" * 2000)
    assert _holder(d) == "a process that has not yet said which"


def test_a_pipe_or_device_given_as_a_text_file_is_named_as_such(tmp_path):
    """Review safety F10: a scenario that is a FIFO or a link to /dev/zero, a case's
    sites.csv that is a FIFO: 'no such YAML file; check the path' (the file is there).
    Now 'is not a regular file (a pipe or a device)', never opened; a missing one is
    still 'no such'."""
    from chainopt.errors import InputError
    from chainopt.textfile import read_text

    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "z.yaml"
    zero.symlink_to("/dev/zero")
    for path in (fifo, zero):
        with pytest.raises(InputError) as e:
            read_text(path, what="YAML file")
        assert "is not a regular file (a pipe or a device), not a YAML file" in str(e.value)
    with pytest.raises(InputError, match="no such YAML file"):
        read_text(tmp_path / "gone.yaml", what="YAML file")


def test_a_pipe_or_device_as_a_workbook_or_a_scenario_base_is_named_as_such(tmp_path):
    """Review safety F10, the rest: ``validate f.xlsx`` of a FIFO or a link to /dev/zero
    said 'no such workbook', and a scenario whose base is a FIFO said "scenario file
    '...' not found; looked in ...": the file is there, it is not a regular file. Neither
    is opened (reading /dev/zero or a FIFO without a writer never ends)."""
    fifo_book = tmp_path / "f.xlsx"
    os.mkfifo(fifo_book)
    zero_book = tmp_path / "z.xlsx"
    zero_book.symlink_to("/dev/zero")
    for book in (fifo_book, zero_book):
        _, text = cli("validate", book, code=1)
        assert "is not a regular file (a pipe or a device), not a workbook" in text, text
    os.mkfifo(tmp_path / "pipe.yaml")
    for base, what in (("pipe.yaml", "scenario file"), ("z.xlsx", "case workbook")):
        sc = tmp_path / f"on_{base.replace('.', '_')}.yaml"
        sc.write_text(f"name: s\nbase: {base}\n")
        _, text = cli("validate", sc, code=1)
        assert f"key base: '{base}' is not a regular file (a pipe or a device), not a {what}" \
            in text, text
    (tmp_path / "gone.yaml").write_text("name: g\nbase: nowhere.yaml\n")
    _, text = cli("validate", tmp_path / "gone.yaml", code=1)
    assert "scenario file 'nowhere.yaml' not found" in text
