"""Office files (xlsx, pptx: zip archives of XML) that are the same bytes for the same
content.

A zip records each entry's modification time, and openpyxl writes the save time into
``docProps/core.xml`` (``dcterms:created``, ``dcterms:modified``), so two writes of the
same workbook or deck a second apart differ. :func:`saved` wraps a writer so that the
file it writes is rewritten with every entry dated 1980-01-01 00:00 (the first date a
zip can hold) and those two optional timestamps left out: the same content gives the
same file, as the PNG and SVG charts (no creation date) do. Entries are copied in their
order with their compression, streamed, so a large workbook is never held in memory.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

#: the date of every entry (the zip format's first date)
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
CORE = "docProps/core.xml"
_SAVE_TIMES = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")


def same_bytes(path: str | Path) -> Path:
    """Rewrite the zip at ``path`` in place with :data:`FIXED_DATE` on every entry and no
    save times in :data:`CORE`."""
    path = Path(path)
    tmp = path.with_name(path.name + ".dated")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for info in zin.infolist():
            out = zipfile.ZipInfo(info.filename, FIXED_DATE)
            out.compress_type, out.external_attr = info.compress_type, info.external_attr
            out.file_size = info.file_size  # (zip64 is chosen by it)
            if info.filename == CORE:
                zout.writestr(out, _SAVE_TIMES.sub(b"", zin.read(info)))
                continue
            with zin.open(info) as src, zout.open(out, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, path)
    return path


def saved(save: Callable[[Path], object]) -> Callable[[Path], Path]:
    """``save`` (an openpyxl or python-pptx save to a path), then :func:`same_bytes`: a
    fill for :func:`chainopt.atomic.write_file`."""
    def fill(tmp: Path) -> Path:
        save(tmp)
        return same_bytes(tmp)

    return fill
