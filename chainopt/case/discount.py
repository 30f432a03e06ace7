"""Discounting: what a cash flow of one calendar year is worth in base-year money.

A case states a discount rate r, a base year y0 and ``cash_flow_timing`` (``start``,
``mid`` or ``end``: where in each year its cash flows fall). The discount factor of
calendar year y is

    d(y) = (1 + r) ** -(y - y0 + s),    s = 0 (start), 0.5 (mid), 1 (end)

and a period's weight is the sum over its years, ``w_t = sum_{y in t} d(y)``; a flow
of F per year during period t is worth ``F * w_t``. A case may instead give every
period an explicit ``weight`` (to port a model that weights periods its own way);
then ``d(y) = w_t / L_t`` for each year of period t, extended outside the horizon by
the rate: ``d(y) = d(first) (1+r)^(first-y)`` before and ``d(last) (1+r)^-(y-last)``
after. Every present value in chainopt (operating flows, capital annuities, a
project's yearly cash flows, residual values) uses this one function, so the
objective and the project cash flows agree exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TIMING_SHIFT = {"start": 0.0, "mid": 0.5, "end": 1.0}


def years_text(first: int, end: int) -> str:
    """The whole years ``first <= y < end`` as messages name them: '2029', '2026-2028'."""
    return f"{first}" if end - first <= 1 else f"{first}-{end - 1}"


def annuity_due(rate: float, n: np.ndarray | float) -> np.ndarray:
    """``sum_{k<n} (1+r)^-k = (1 - v^n) / (1 - v)`` with v = 1/(1+r), for n >= 0 years.

    Written as ``expm1(-n l) / expm1(-l)`` with ``l = log1p(r)``: the textbook form
    subtracts nearly equal numbers when r is small (at r = 1e-9 a 5-year weight was off
    by 1e-8, and at r = 1e-16, where 1 + r rounds to 1, it was 0/0 = nan), while expm1
    and log1p keep full precision for any r > 0 (n in the limit r -> 0; n at r = 0).
    """
    n = np.asarray(n, dtype=float)
    if rate == 0:
        return n
    lam = np.log1p(rate)
    return np.expm1(-n * lam) / np.expm1(-lam)


@dataclass(frozen=True)
class Discounting:
    """The discount function of a case (see the module docstring)."""

    rate: float
    base_year: int
    timing: str  # start | mid | end
    starts: tuple[int, ...]  # first year of each period
    lengths: tuple[int, ...]  # years in each period
    explicit: tuple[float, ...] | None = None  # period weights given by the case

    @classmethod
    def from_meta(cls, meta) -> Discounting:
        """From a validated ``CaseMeta``."""
        weights = [p.weight for p in meta.periods]
        explicit = None if all(w is None for w in weights) else tuple(float(w) for w in weights)
        return cls(rate=float(meta.discount_rate), base_year=int(meta.base_year),
                   timing=meta.cash_flow_timing,
                   starts=tuple(int(p.start_year) for p in meta.periods),
                   lengths=tuple(int(p.length_yr) for p in meta.periods), explicit=explicit)

    @classmethod
    def from_manifest(cls, m: dict) -> Discounting:
        """From a results manifest (``discount_rate``, ``base_year``, ``period_table``...)."""
        per = m["period_table"]
        weights = [p.get("weight") for p in per]
        explicit = None if all(w is None for w in weights) else tuple(float(w) for w in weights)
        return cls(rate=float(m["discount_rate"]), base_year=int(m["base_year"]),
                   timing=m.get("cash_flow_timing", "start"),
                   starts=tuple(int(p["start_year"]) for p in per),
                   lengths=tuple(int(p["length_yr"]) for p in per), explicit=explicit)

    @property
    def first_year(self) -> int:
        return self.starts[0]

    @property
    def end_year(self) -> int:
        """The first year after the horizon."""
        return self.starts[-1] + self.lengths[-1]

    def _growth(self) -> float:
        return 1.0 + self.rate

    def factor(self, years: np.ndarray | float) -> np.ndarray:
        """d(y) for each year (any integer years, inside or outside the horizon)."""
        y = np.asarray(years, dtype=float)
        g = self._growth()
        if self.explicit is None:
            return g ** -(y - self.base_year + TIMING_SHIFT[self.timing])
        per_year = np.asarray(self.explicit) / np.asarray(self.lengths, dtype=float)
        starts = np.asarray(self.starts)
        pos = np.clip(np.searchsorted(starts, y, side="right") - 1, 0, len(starts) - 1)
        inside = per_year[pos]
        first, last = self.first_year, self.end_year - 1
        before = per_year[0] * g ** (first - y)
        after = per_year[-1] * g ** -(y - last)
        return np.where(y < first, before, np.where(y > last, after, inside))

    def pv(self, lo: np.ndarray | float, hi: np.ndarray | float) -> np.ndarray:
        """Sum of d(y) over the whole years ``lo <= y < hi`` (0 where ``hi <= lo``)."""
        lo = np.asarray(lo, dtype=float)
        hi = np.asarray(hi, dtype=float)
        n = np.maximum(hi - lo, 0.0)
        if self.explicit is None:
            return self.factor(lo) * annuity_due(self.rate, n)
        # piecewise: geometric outside the horizon, constant per year inside each period
        hi = lo + n
        out = np.zeros(np.broadcast(lo, hi).shape)
        first, end = self.first_year, self.end_year
        edges = [(-np.inf, first), *((s, s + n_) for s, n_ in zip(self.starts, self.lengths,
                                                                   strict=True)), (end, np.inf)]
        for a, b in edges:
            a_ = np.maximum(lo, a)
            b_ = np.minimum(hi, b)
            k = np.maximum(b_ - a_, 0.0)
            if a == -np.inf or b == np.inf:
                out = out + np.where(k > 0, self.factor(np.where(k > 0, a_, first))
                                     * annuity_due(self.rate, k), 0.0)
            else:
                out = out + k * self.factor(a)
        return out

    @property
    def weights(self) -> np.ndarray:
        """w_t of each period."""
        s = np.asarray(self.starts, dtype=float)
        return self.pv(s, s + np.asarray(self.lengths, dtype=float))

    def period_years(self) -> np.ndarray:
        """Every calendar year of the horizon, in order."""
        return np.arange(self.first_year, self.end_year)

    def period_of_year(self, years: np.ndarray) -> np.ndarray:
        """Position of the period holding each year (-1 outside the horizon)."""
        y = np.asarray(years)
        pos = np.searchsorted(np.asarray(self.starts), y, side="right") - 1
        return np.where((y < self.first_year) | (y >= self.end_year), -1, pos)

    def mid_period(self, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(:meth:`period_of_year` of each year, whether it falls inside that period after
        its first year): where something that starts or stops in that year changes a
        period's years unevenly. A NaN year is in no period."""
        y = np.asarray(years, dtype=float)
        pos = self.period_of_year(y)
        starts = np.asarray(self.starts, dtype=float)
        return pos, (pos >= 0) & (y > starts[np.maximum(pos, 0)])
