"""Numbers as every human-facing output writes them: the terminal, ``comparison.md``, the
HTML reports, the one-pagers and the decks, so that the same figure reads the same in each
(an incremental NPV of 8.729294688 MUSD is ``8.729`` on the terminal, on the HTML card
and on the slide, not ``8.7`` in one and ``8.729`` in the other).

* :func:`number`: thousands separators; three decimals below 10 in magnitude (8.729 MUSD,
  a payback of 6.291 yr), one from 10 up (26.2, 156,972.8); a difference within
  :data:`NOISE` of 0, the solver's tolerance, is ``0`` (an NPV bound of 1.46e-10 MUSD of a
  project not built, a waterfall bar of -1.94e-07), and nothing that rounds to 0 keeps a
  minus (``0.000``, not ``-0.000``).
* :func:`percent`: rates (IRR, utilisation) with one decimal, ``0.0%`` for noise.
* :func:`share`: a share of a count (P(built) of draws) with one decimal, ``0%`` and
  ``100%`` only for none and all (1 of 300 is ``0.3%``, 1 of 5,000 ``<0.1%``).
* :func:`cell`: a table cell, its column saying whether a whole number is a year.
* :func:`exact`: the one other format, for ``chainopt explain``'s netbacks, prices and
  rents, whose sums are written to add up: from 100 up whole, two decimals from 1, three
  significant digits below 1, halves away from zero (a netback ``288 = 100 inputs + 15
  carbon cost + 183 capacity rent - 10 other limits``; with :func:`number` a price of
  26.25 would read 26.2 and a rent of 0.000123 USD 0.000). The objective explain
  prints, a figure the other outputs show too, uses :func:`number`.

The CSV and Excel tables keep the numbers as computed (10 significant digits, below
1e-10 as 0: :mod:`chainopt.csvtext`); this module is only for what people read.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

#: Differences at most this large (MUSD, and as small in any other unit) are the
#: solver's noise, shown as 0: chainopt's plans and NPVs hold to 1e-6 (HiGHS's own
#: tolerances are 1e-7, :data:`chainopt.solve.PLAN_TOLERANCE`).
NOISE = 1e-6


def no_minus_zero(text: str) -> str:
    """A formatted number without the minus of a tiny negative rounded to 0 (``-0.0``)."""
    return text[1:] if text.startswith("-") and not text.strip("-0.,%") else text


def _scalar(v: object) -> object:
    """A numpy scalar as the Python number it holds (others as they are)."""
    return v.item() if hasattr(v, "item") and not isinstance(v, str) else v


def number(v: object) -> str:
    """A number for people to read (see the module's rules): '' for None and NaN, an
    infinity as Python writes it, an integer whole with separators, text as it is (the
    caller escapes it for HTML or Markdown)."""
    v = _scalar(v)
    if v is None or isinstance(v, bool):
        return "" if v is None else str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return str(v)
        if abs(v) <= NOISE:
            return "0"
        return no_minus_zero(f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}")
    return str(v)


def signed(v: float) -> str:
    """:func:`number` with a plus on a change above 0 (``+12.3``, ``-0.250``, ``0``)."""
    text = number(v)
    return text if text.startswith("-") or text in ("", "0") else "+" + text


def percent(v: object) -> str:
    """A rate (a fraction: 0.238) as a percentage with one decimal (``23.8%``; 6.0 is
    ``600.0%``, 10.005 ``1,000.5%``, grouped as the IRR notes write it: review out31
    F5); '' when not a finite number; noise (:data:`NOISE`) is ``0.0%``."""
    v = _scalar(v)
    if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
        return ""
    return no_minus_zero(f"{(0.0 if abs(v) <= NOISE else v):,.1%}")


def share(v: float) -> str:
    """A share of a count (a fraction: 1 of 300 is 0.00333) as a percentage with one
    decimal, where ``0%`` and ``100%`` mean exactly none and all: a share that is neither
    but rounds to them reads ``<0.1%`` or ``>99.9%`` (a project built in 1 draw of 300
    read "built in 0%" when rounded to a whole percent)."""
    if not math.isfinite(v):
        return ""
    if v <= 0 or v >= 1:
        return "0%" if v <= 0 else "100%"
    text = f"{v:.1%}"
    return "<0.1%" if text == "0.0%" else ">99.9%" if text == "100.0%" else text


def is_year(column: object) -> bool:
    """Whether a column holds years (``year``, ``first_use_year``): written 2026, not
    2,026 (nor 2,026.0 when a blank made the column float)."""
    return "year" in str(column).lower()


def cell(column: object, v: object) -> str:
    """One table cell of ``column``: a whole number in a year column as a year, any other
    value by :func:`number`."""
    v = _scalar(v)
    if (is_year(column) and isinstance(v, int | float) and not isinstance(v, bool)
            and math.isfinite(v) and float(v).is_integer()):
        return str(int(v))
    return number(v)


def exact(x: float, extra: int = 0) -> str:
    """A number as ``chainopt explain`` writes it, where its sums must add up as written
    (a netback ``288 = 100 inputs + 0 variable cost + 15 carbon cost + ...``): from 100
    up whole, from 1 up with at most two decimals, below 1 three significant digits;
    halves rounded away from zero, as the number is written (198.5 -> 199, 63.745 ->
    63.75; binary floating point rounds 198.5 to the even 198 and 63.745, stored as
    63.74499..., down), read to 12 significant digits first, so the noise of arithmetic
    does not decide a half (1.015 / 1 x 1 computed as 1.0149999999999997 is 1.015 and
    reads 1.02, as 1.015 does). ``extra``: that many more decimals (or significant
    digits below 1): see :func:`chainopt.report.explain._adding_up`."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    ax = abs(x)
    if ax < 1:
        return f"{x:.{3 + extra}g}"
    if ax >= 1e15:  # beyond the digits a float holds: no halves to round
        return f"{x:,.0f}"
    return fixed(x, (0 if ax >= 100 else 2) + extra)


def exact_places(x: float) -> int:
    """The decimals :func:`exact` writes ``x`` with, trailing zeros included: none from
    100 up, two from 1 up, three significant digits below 1 (0.0345: four)."""
    ax = abs(x)
    if ax >= 100 or ax == 0:
        return 0
    return 2 if ax >= 1 else 2 - math.floor(math.log10(ax))


def fixed(x: float, places: int) -> str:
    """``x`` with ``places`` decimals, halves rounded away from zero as the number is
    written (read to 12 significant digits first; from 1e12 up, all of its digits), with
    thousands separators, trailing zeros dropped, never ``-0``: :func:`exact`'s
    rounding at a number of decimals given."""
    written = repr(float(x)) if abs(x) >= 1e12 else f"{x:.12g}"
    d = Decimal(written).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{d:,f}"
    return no_minus_zero(text.rstrip("0").rstrip(".") if "." in text else text)
