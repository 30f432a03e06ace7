"""The JSON files chainopt reads from folders others send (a run's ``manifest.json``, a
sweep's ``sweep.json``, the marker of a folder being written) are read only up to a
bound: a file made huge is refused with its size, never read whole into memory, and a
FIFO in a file's place is not opened (reading it would block for ever)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from chainopt import api
from chainopt.atomic import MARKER_BYTES, TMP_MARKER, _holder, is_chainopt_folder, read_json
from chainopt.textfile import MAX_JSON_BYTES
from tests.hardening.conftest import cli


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
