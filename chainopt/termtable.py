"""The terminal's tables: every number whole on one line, text folded, nothing cut to '…'.

The column widths are computed here, not left to rich: on a narrow terminal rich
takes width from every column evenly as a last resort, which breaks a number across
lines (``-19,151`` / ``.6`` reads as another number) and a header mid-word
(``payba`` / ``ck``), and a column of its default overflow cuts a long value to
``…``. Here a column of numbers is at least as wide as its widest number; text (a
name, a label, a header) folds between words or after an underscore
(``small_port_`` / ``expansion``), so a column is at least as wide as its longest
such piece. Short of room, the headers over numbers fold first, then the widest text
columns. A table that cannot fit so is printed stacked: one block of ``column │ value``
lines per row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

#: a cell that is a number as the terminal writes it: 1,234.5, -0.124, 23.8%, 1e-07, inf
NUMBER = re.compile(r"[-+]?(?:(?:\d[\d,]*)?\.?\d+(?:[eE][-+]?\d+)?%?|inf|nan)")

#: width the column separators and padding take: one space each side of the bar
#: between two columns (the tables have no outer edge and no padding at it)
GAP = 3

_PIECE = re.compile(r"[^_]*_+|[^_]+")


def is_number_column(cells: Sequence[str]) -> bool:
    """Every cell that is not blank is a number (and one is)."""
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(NUMBER.fullmatch(c) for c in filled)


def _pieces(line: str) -> list[tuple[str, str]]:
    """(separator, piece) of a line: its words, each cut after its underscores
    (``small_port_expansion`` -> ``small_``, ``port_``, ``expansion``); the separator
    is the whitespace before a word's first piece, nothing before the others."""
    out = []
    for m in re.finditer(r"(\s*)(\S+)", line):
        out += [(m.group(1) if j == 0 else "", p)
                for j, p in enumerate(_PIECE.findall(m.group(2)))]
    return out


def least(text: str) -> int:
    """The narrowest width ``text`` folds into without breaking a piece: its longest."""
    return max((cell_len(p) for line in text.splitlines() for _, p in _pieces(line)),
               default=0)


def natural(text: str) -> int:
    """The width of ``text`` on its own lines, unfolded."""
    return max((cell_len(line) for line in text.splitlines()), default=0)


def fold(text: str, width: int) -> str:
    """``text`` folded into lines of at most ``width`` between words or after an
    underscore (a piece longer than ``width`` cut into lines of ``width``); a line that
    fits stays as it is."""
    out: list[str] = []
    for raw in text.splitlines() or [""]:
        if cell_len(raw) <= width:
            out.append(raw)
            continue
        line = ""
        for k, (sep, piece) in enumerate(_pieces(raw)):
            if line and cell_len(line + sep + piece) > width:
                out.append(line)
                line = ""
            line += sep + piece if line or k == 0 else piece
            while cell_len(line) > width > 0:
                out.append(line[:width])
                line = line[width:]
        out.append(line)
    return "\n".join(out)


def _level(low: list[int], high: list[int], room: int) -> list[int]:
    """Widths between ``low`` and ``high`` adding to at most ``room`` (``sum(low)`` does):
    the widest cut to one level, the highest that fits, and what is left over given to
    the columns cut, one character each."""

    def used(level: int) -> int:
        return sum(max(lo, min(hi, level)) for lo, hi in zip(low, high, strict=True))

    bottom, top = 0, max(high, default=0)
    while bottom < top:  # the highest level whose widths fit
        mid = (bottom + top + 1) // 2
        bottom, top = (mid, top) if used(mid) <= room else (bottom, mid - 1)
    out = [max(lo, min(hi, bottom)) for lo, hi in zip(low, high, strict=True)]
    spare = room - sum(out)
    for i, (w, hi) in enumerate(zip(out, high, strict=True)):
        if spare > 0 and w < hi:
            out[i] += 1
            spare -= 1
    return out


def widths(headers: Sequence[str], rows: Sequence[Sequence[str]], total: int
           ) -> list[int] | None:
    """The width of each column in a table ``total`` wide, or None when the numbers,
    the longest pieces of text and the headers' longest pieces do not fit side by
    side. Each column is as wide as its widest cell (unfolded) when they all fit; else
    the number columns' headers fold first (down to the widest number), then the text
    columns (down to their longest piece)."""
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in headers]
    low, high, number = [], [], []
    for head, cells in zip(headers, cols, strict=True):
        number.append(is_number_column(cells))
        low.append(max([1, least(head), *(natural(c) if number[-1] else least(c)
                                          for c in cells)]))
        high.append(max([1, natural(head), *(natural(c) for c in cells)]))
    room = total - GAP * (len(headers) - 1)
    if sum(low) > room:
        return None
    if sum(high) <= room:
        return high
    numbers_folded = [lo if num else hi for lo, hi, num in zip(low, high, number, strict=True)]
    if sum(numbers_folded) <= room:
        return _level(numbers_folded, high, room)
    return _level(low, numbers_folded, room)


def _table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[str]],
           sizes: list[int], show_header: bool = True, sections: int = 0) -> Table:
    """The rich table of ``rows`` at the column widths ``sizes`` (text pre-folded, so
    rich wraps nothing); a line under every ``sections`` rows."""
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in headers]
    tab = Table(title=escape(title) if title else None, show_edge=False,
                title_justify="left", pad_edge=False, padding=(0, 1),
                show_header=show_header)
    number = [is_number_column(c) for c in cols]
    for head, size, num in zip(headers, sizes, number, strict=True):
        tab.add_column(escape(fold(head, size)), justify="right" if num else "left",
                       width=size, no_wrap=num, overflow="fold")
    for i, row in enumerate(rows):
        tab.add_row(*(escape(cell if num else fold(cell, size))
                      for cell, size, num in zip(row, sizes, number, strict=True)),
                    end_section=bool(sections) and (i + 1) % sections == 0
                    and i + 1 < len(rows))
    return tab


def print_table(console: Console, title: str | None, headers: Sequence[str],
                rows: Sequence[Sequence[str]]) -> None:
    """Print ``rows`` (text as it is: no markup) under ``headers`` at the console's
    width: side by side when the numbers fit whole (:func:`widths`), else stacked, one
    block of ``column  value`` lines per row, blocks divided by a line."""
    total = console.width
    sizes = widths(headers, rows, total)
    if sizes is not None:
        console.print(_table(title, headers, rows, sizes))
        return
    if title:  # the whole width, not the narrow table's
        console.print(escape(title), overflow="fold", highlight=False)
    stacked = [[h, c] for row in rows for h, c in zip(headers, row, strict=True)]
    sizes = widths(["", ""], stacked, total) or [max(1, total // 3),
                                                 max(1, total - total // 3 - GAP)]
    console.print(_table(None, ["", ""], stacked, sizes, show_header=False,
                         sections=len(headers)))
