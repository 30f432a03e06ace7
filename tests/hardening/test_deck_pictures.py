"""``chainopt report COMPARISON --pptx`` puts the charts of the ``sweep-*`` and
``sensitivity-*`` folders beside the comparison into its deck; those folders come from
whoever sent the bundle. A picture there that cannot be read (not a PNG, cut short, a
decompression bomb) is left out of the deck with a warning naming the file, and the
rest of the deck is written (exit 0): it was a traceback (``SyntaxError: not a PNG
file``) and no deck.

The comparison is a minimal one written by :func:`chainopt.report.compare.save` (no
solve): scenarios ``c`` (base) and ``d``."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib

import pandas as pd
from PIL import Image
from pptx import Presentation

from chainopt.report import compare
from chainopt.report.deck import DECK_FILE
from tests.hardening.conftest import cli


def _png(width: int, height: int) -> bytes:
    """A real PNG of ``width`` x ``height`` pixels, written by Pillow."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, "PNG")
    return buf.getvalue()


def _bomb(width: int, height: int) -> bytes:
    """A well-formed PNG header claiming ``width`` x ``height`` one-bit pixels, with a
    few hundred bytes of data: a decompression bomb's first bytes (decoded, it would be
    ``width * height`` pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, grey
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


def _hash(name: str) -> str:
    """The input hash a run of ``name`` records (any 64 hex digits of its own)."""
    return hashlib.sha256(name.encode()).hexdigest()


def _comparison(tmp_path, scenarios: list[str]):
    """A comparison folder of base c and ``scenarios`` (objective table only), each run's
    input hash :func:`_hash` of its name."""
    data = {"kpi (MUSD, NPV)": ["cost_supply", "objective"], "c": [150.0, 50.0]}
    for name in scenarios:
        data.update({name: [140.0, 40.0], f"Δ {name}": [-10.0, -10.0]})
    return compare.save({"objective": pd.DataFrame(data)}, ["c", *scenarios],
                        tmp_path / "compare-c",
                        inputs={n: _hash(n) for n in ["c", *scenarios]})


def _sweep_picture(tmp_path, name: str, data: bytes) -> None:
    """``sweep-<name>/projects_mc.png`` holding ``data``, from the inputs of run ``name``."""
    folder = tmp_path / f"sweep-{name}"
    folder.mkdir()
    (folder / "projects_mc.png").write_bytes(data)
    (folder / "sweep.json").write_text(json.dumps({"input_hash": _hash(name)}))


def test_a_picture_that_cannot_be_read_is_left_out_with_a_warning(tmp_path):
    """Five sweep folders beside the comparison, each with a ``projects_mc.png``: one a
    real 300 x 200 PNG (its slide "Monte Carlo: good" is in the deck), and four that
    cannot be shown: text, the real PNG cut to half its bytes, a header claiming
    20,000 x 20,000 = 400 M pixels (over twice PIL's MAX_IMAGE_PIXELS of 89,478,485:
    PIL refuses it) and 10,000 x 10,000 = 100 M (over the limit, under twice it: PIL
    only warns). Each of the four is named in a warning, and gets no slide."""
    good = _png(300, 200)
    pictures = {"good": good, "text": b"not a png\n", "cut": good[:len(good) // 2],
                "bomb": _bomb(20_000, 20_000), "big": _bomb(10_000, 10_000)}
    folder = _comparison(tmp_path, list(pictures))
    for name, data in pictures.items():
        _sweep_picture(tmp_path, name, data)
    _code, text = cli("report", folder, "--pptx", code=0)
    for name in ("text", "cut"):
        assert (f"warning: {tmp_path}/sweep-{name}/projects_mc.png: left out of the deck, "
                "not a PNG picture that can be read") in text, text
    for name in ("bomb", "big"):
        assert (f"warning: {tmp_path}/sweep-{name}/projects_mc.png: left out of the deck, "
                "more than 89,478,485 pixels") in text, text
    assert f"{tmp_path}/sweep-good" not in text
    titles = [s.shapes.title.text for s in Presentation(str(folder / DECK_FILE)).slides
              if s.shapes.title is not None]
    monte_carlo = [t for t in titles if t.startswith("Monte Carlo")]
    assert monte_carlo == ["Monte Carlo: good"], titles
    assert "Key figures" in titles  # the rest of the deck is there


def test_only_sweeps_of_the_comparison_s_scenarios_get_a_slide(tmp_path):
    """A sweep folder beside the comparison is shown only when it sweeps one of the
    comparison's runs (sweep-<name>, as a tornado's sensitivity-<scenario>-<project>):
    the proposal deck showed "Monte Carlo: ru_all_projects", a scenario it does not hold.
    Here sweep-d (d is compared) gets its slide, sweep-other none."""
    folder = _comparison(tmp_path, ["d"])
    for name in ("d", "other"):
        _sweep_picture(tmp_path, name, _png(300, 200))
    cli("report", folder, "--pptx", code=0)
    titles = [s.shapes.title.text for s in Presentation(str(folder / DECK_FILE)).slides
              if s.shapes.title is not None]
    assert [t for t in titles if t.startswith("Monte Carlo")] == ["Monte Carlo: d"], titles
