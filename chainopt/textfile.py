"""Reading a user's text file (CSV, YAML, JSON) safely: one clear error for each way it
can be wrong.

Every text file chainopt reads is expected to be UTF-8 (a byte-order mark is allowed).
A folder where a file was expected, a missing or unreadable file, a binary file (NUL
bytes), bytes that are not UTF-8 and a file larger than the caller's limit each raise
:class:`~chainopt.errors.InputError` naming the file and saying what to do, never an
``OSError`` or ``UnicodeDecodeError``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from chainopt.errors import InputError, Problem

ENCODING = "utf-8"
# manifest.json and sweep.json: chainopt writes them at a few KiB (a sweep.json with its
# grid or distributions at most a few hundred); a larger one is not chainopt's, and is
# not read whole into memory
MAX_JSON_BYTES = 16 << 20
# one table CSV of a case folder: the largest benchmark case (2M variables) has a few MB
# of CSV in all; a larger file is not a case table, and is not read whole into memory
MAX_CSV_BYTES = 256 << 20
# one table of a results, comparison or sweep folder: the largest of a 300,000-variable
# run is 11 MB (a 2M run's about 75 MB); a larger file is not read whole into memory
MAX_TABLE_BYTES = 1 << 30


def check_inside(path: str | Path, folder: str | Path, where: str | None = None) -> None:
    """An InputError if ``path``, a file of ``folder``, is a link resolving outside
    ``folder``: a case folder's file linked to ``/elsewhere/secret.csv`` would carry that
    file into whatever is made of the case (a workbook sent on by ``convert``). A link
    to a file inside the folder is followed as usual."""
    path, folder = Path(path), Path(folder)
    if not path.is_symlink():
        return
    target = path.resolve()
    if not target.is_relative_to(folder.resolve()):
        raise InputError([Problem(where or str(path), f"is a link to {target}, outside "
                                  f"{folder}, the folder it is read from", "copy the file into "
                                  "that folder in place of the link")])


def check_regular(path: str | Path, where: str, what: str, name: str = "") -> None:
    """An InputError if ``path`` exists but is neither a regular file nor a folder: a
    FIFO, a device (a link to ``/dev/zero``), a socket, never opened (reading one may
    never end); ``name``, if given, starts the message (the path as the user wrote it)."""
    try:
        irregular = os.path.exists(path) and not os.path.isfile(path) \
            and not os.path.isdir(path)
    except (OSError, ValueError):  # a path the system cannot look up: not there
        return
    if irregular:
        raise InputError([Problem(where, f"{name + ' ' if name else ''}is not a regular file "
                                  f"(a pipe or a device), not a {what}",
                                  "give the path of a file")])


def read_text(path: str | Path, where: str | None = None, max_bytes: int | None = None,
              what: str = "text file") -> str:
    """The content of ``path`` as text; ``where`` names it in errors (default: the path)."""
    where = where or str(path)
    return decode(read_bytes(path, where, max_bytes, what), where, what)


def read_bytes(path: str | Path, where: str | None = None, max_bytes: int | None = None,
               what: str = "text file") -> bytes:
    """The bytes of ``path``, or an InputError (a folder, missing, unreadable, too large)."""
    path = Path(path)
    where = where or str(path)
    if path.is_dir():
        raise InputError([Problem(where, f"is a folder, not a {what}",
                                  "give the path of the file itself")])
    check_regular(path, where, what)
    if not path.is_file():
        raise InputError([Problem(where, f"no such {what}", "check the path")])
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise InputError([Problem(where, f"is {size:,} bytes, more than the {max_bytes:,} "
                                      f"allowed for a {what}", "is this the right file?")])
        return path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(where, f"cannot be read: {exc.strerror or exc}",
                                  "check that the file exists and is readable")]) from None


def decode(data: bytes, where: str, what: str = "text file") -> str:
    """``data`` as UTF-8 text, or an InputError for binary or non-UTF-8 content: a NUL
    byte anywhere (one after the first 64 KiB, in a description, passed)."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise InputError([Problem(where, f"is a binary file, not a {what} (a NUL byte on "
                                  f"line {line})", f"expected {ENCODING.upper()} text")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError([Problem(
            where, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})",
            f"expected {ENCODING.upper()}: save it as UTF-8 (in Excel: 'CSV UTF-8')")]) from None


def parse_json(text: str) -> Any:
    """The JSON document ``text``, or a ValueError for anything that is not one.

    :func:`json.loads` raises a RecursionError, not a ValueError, for arrays or objects
    nested deeper than Python's recursion limit (``[`` x 200,000, well within
    :data:`MAX_JSON_BYTES`); here that is a ValueError too, so that every reader of a
    manifest.json, sweep.json or text_columns.json reports such a file as damaged (exit
    1; a compare solves again) through the ValueError path it has for any bad JSON,
    never with a traceback."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply (arrays or objects inside each other "
                         "beyond the parser's limit)") from None
