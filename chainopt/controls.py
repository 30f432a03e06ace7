"""Control characters written out, so that text from a file prints as the text it is.

A control character in text chainopt did not write itself (a ``source`` cell, a
scenario's description or file name, the names in a results folder someone sent) could
clear, retitle or recolour a terminal through its escape sequences (ESC ...), show the
rest of a line reversed (a right-to-left override) or, in a workbook, not be storable at
all. :func:`plain` writes each one out as its escape, ``\\x1b`` or ``\\u202e``: the one
way chainopt shows such text, on the terminal, in ``comparison.md``, in the workbooks it
writes (``results.xlsx``, ``comparison.xlsx``) and on its charts.
"""

from __future__ import annotations

import re

# C0 and C1 controls but tab and line feed; the bidi embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069: "Trojan Source" text shown in another order than it
# is) and the line and paragraph separators U+2028/U+2029 (a line break in some
# terminals, unseen in others)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
#: the same and the line feed: for text that is one line (a name, a path, a status line)
CONTROL_OR_NEWLINE = re.compile(CONTROL.pattern[:-1] + r"\n]")

#: the short names of the C0 controls (ASCII's), for a message naming one
C0_NAMES = ("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF",
            "CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM",
            "SUB", "ESC", "FS", "GS", "RS", "US")


def escaped(ch: str) -> str:
    """One character's escape: ``\\x1b`` below U+0100, else ``\\u202e``; ``\\n`` for a
    line feed."""
    if ch == "\n":
        return "\\n"
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def plain(text: str, one_line: bool = False) -> str:
    """``text`` with its control characters written out (:func:`escaped`); tabs stay, and
    line breaks too unless ``one_line``: a name or a path is one line, and a line feed in
    one (a scenario file ``bad\\n| x |.yaml``, a forged results folder's unit name) must
    not split a status line in two nor let a name print a line that reads as chainopt's."""
    return (CONTROL_OR_NEWLINE if one_line else CONTROL).sub(lambda m: escaped(m.group()),
                                                             text)


def named(ch: str) -> str:
    """A control character as a message names it: ``ESC (\\x1b)``, ``U+202E (\\u202e)``."""
    code = ord(ch)
    name = C0_NAMES[code] if code < 0x20 else "DEL" if code == 0x7f else f"U+{code:04X}"
    return f"{name} ({escaped(ch)})"
