"""Names are names, never paths.

Everything chainopt turns into a file or folder name — a case ``name``, a scenario
``name`` (or its file name), ``--name`` of run, sweep and compare, snapshot names —
must match the snake_case rule ``^[a-z][a-z0-9_]*$`` (at most :data:`MAX_LENGTH`
characters), so no name can hold ``/``, ``..``, a drive letter or an absolute path.
:func:`child` is the only way a name becomes a path: it checks the name and that the
result lies directly inside the chosen output folder.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from chainopt.errors import InputError, Problem

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
NAME_RULE = re.compile(NAME_PATTERN)
MAX_LENGTH = 100
#: the rule of a name of the case's tables (a site, a unit, ...), which sets no length
SNAKE_TEXT = "lower-case letters, digits and _, starting with a letter (snake_case)"
RULE_TEXT = f"{SNAKE_TEXT}, at most {MAX_LENGTH} characters"


def is_name(value: object) -> bool:
    """True if ``value`` is a valid chainopt name."""
    return isinstance(value, str) and len(value) <= MAX_LENGTH and bool(NAME_RULE.fullmatch(value))


def check_name(value: object, where: str) -> str:
    """``value`` if it is a valid name, else an InputError naming ``where`` (file and field)."""
    if not is_name(value):
        odd = outside_ascii(str(value))
        raise InputError([Problem(where, f"{value!r} is not a valid name",
                                  (f"{value!r} {odd}; " if odd else "")
                                  + f"use {RULE_TEXT}; a name is never a path")])
    return str(value)


def outside_ascii(text: str) -> str:
    """``holds U+0455 CYRILLIC SMALL LETTER DZE, outside ASCII`` for the characters of
    ``text`` outside ASCII (the first 3), '' if none: a Cyrillic 'ѕ' prints as the Latin
    's' it is not, a zero-width space as nothing, so a message names them."""
    odd = [f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}" for ch in dict.fromkeys(text)
           if not ch.isascii()]
    return f"holds {', '.join(odd[:3])}{', ...' if len(odd) > 3 else ''}, outside ASCII" \
        if odd else ""


def suggest(value: object) -> str:
    """``value`` as a snake_case name to suggest in a hint: lower-cased, each run of
    characters outside ``[a-z0-9]`` one ``_``, ``_`` stripped at both ends, and ``x_``
    put first when the result does not start with a letter (``2nd Plant``:
    ``x_2nd_plant``; nothing left: ``x_``). The one suggestion rule: every bad-name
    hint of ``chainopt validate`` gives it (:mod:`chainopt.case.validate`)."""
    text = re.sub(r"[^a-z0-9]+", "_", str(value).lower()).strip("_")
    return text if text and text[0].isalpha() else f"x_{text}"


def cut(text: str, limit: int) -> str:
    """``text`` if at most ``limit`` characters, else its start and ``-`` and the first
    12 hex digits of its SHA-256, ``limit`` characters in all: two long texts that begin
    alike stay apart (a name cut short is no longer a name of other runs)."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return f"{text[:limit - len(digest) - 1]}-{digest}"


UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9_-]")
#: the longest key of a chart's file name (``report-<key>.png``)
MAX_KEY_LENGTH = 150


def file_key(key: object) -> str:
    """``key`` as part of a file name: every character outside ``[A-Za-z0-9_-]`` becomes
    ``_`` and a key longer than :data:`MAX_KEY_LENGTH` is cut with a hash of the whole
    (:func:`cut`: two long keys alike in their first 150 characters were one file, the
    second chart replacing the first). The keys hold text from the data — a manifest's
    periods, a comparison CSV's scenario and project names — and ``x/../../escaped``
    there must not become a path out of the output folder (it becomes
    ``x_______escaped``); names chainopt accepts (snake_case, ``p2026``) are unchanged."""
    return cut(UNSAFE_IN_FILE_NAME.sub("_", str(key)), MAX_KEY_LENGTH) or "_"


# names Windows keeps for devices: a folder cannot have them (results copied there)
WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                             *(f"lpt{i}" for i in range(10))})


def check_folder_name(name: str, where: str, prefix: str = "") -> str:
    """``name`` if ``<prefix><name>`` may name a folder (a valid name, not a Windows
    device name), else an InputError naming ``where``: :func:`child` checks every folder
    name with it, and ``chainopt validate`` a case's or scenario's name."""
    check_name(name, where)
    if f"{prefix}{name}" in WINDOWS_DEVICES:
        raise InputError([Problem(where, f"{name!r} is a device name on Windows, not a "
                                  "folder name", "choose another name")])
    return name


def child(folder: str | Path, name: str, where: str, prefix: str = "") -> Path:
    """``folder/<prefix><name>`` after checking ``name``; never outside ``folder``, never
    a name Windows reserves for a device (``con``, ``nul``, ``com1``, ...)."""
    check_folder_name(name, where, prefix)
    path = Path(folder) / f"{prefix}{name}"
    if path.parent != Path(folder):  # cannot happen for a valid name; kept as a guard
        raise InputError([Problem(where, f"{name!r} would leave the folder {folder}")])
    return path
