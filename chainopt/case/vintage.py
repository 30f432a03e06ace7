"""The vintage rule: when a build is built, alive and paid for — one function for all.

A build (new capacity of a unit or link, a model project, a life extension) has an
overnight cost K, a lead time of ``lead`` whole years, a life of ``life`` whole years
and a first year of use ``f``:

* construction: K is spent evenly, K/lead in each year ``f-lead .. f-1`` (all of K in
  year f when lead = 0);
* alive: years ``f .. f+life-1``; in year ``f+k`` the share ``ramp_k`` of its
  capacity is usable (1 after the ramp-up years);
* paid for: an annuity A per year in exactly the alive years, with

      A * sum_{alive y} d(y) = (K/lead) * sum_{construction y} d(y)    (K d(f) if lead = 0)

  so the annuities are worth exactly the construction spend, interest during
  construction included (with no lead time: exactly K at the first year of use).
  For cash flows at the start of each year and no lead time this is
  ``A = K / ä_life`` with ``ä_n = sum_{k<n} (1+r)^-k`` (the annuity due).

Inside the horizon the objective charges the annuities of the alive years that fall
in it; the rest is the build's **residual value** at the horizon end,
``R = A * sum_{alive y >= end} d(y) / d(end)`` (money of the year ``end``). The
yearly stream "spend in the construction years, + R in year ``end``" therefore has
exactly the present value of the annuities the objective charges.

Per period t (years ``y_t .. y_t+L_t-1``, weight ``w_t = sum_{y in t} d(y)``) a
build has

    pv_t           = sum_{alive y in t} d(y)            (annuities and fixed O&M)
    alive_share_t  = pv_t / w_t                         (retirements of existing units)
    usable_share_t = sum_{alive y in t} ramp(y) d(y) / w_t          (capacity)

The shares are weighted by the discount factor because a period's quantities in the
LP are discount-weighted averages of its years: with ``x_t = sum_y d(y) x_y / w_t``
the objective's ``w_t * c * x_t`` is exactly the present value of the yearly flows
``c * x_y``, and the yearly limits ``x_y <= cap * ramp(y)`` (0 outside the usable
years) aggregate to ``x_t <= cap * usable_share_t``. Output is thus valued in the
years it is made, like the annuities that pay for it: a plant usable from the fourth
year of a five-year period at 10 % gets 0.344 of that period, not 2/5 (the
unweighted share, which would credit output to the construction years). With
explicit period weights (d constant inside a period) or a zero rate the shares are
the plain ``years / L_t``. Capacity is never used unpaid, nor paid unused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainopt.case.discount import Discounting


def parse_ramp(texts: pd.Series | list[str]) -> np.ndarray:
    """``ramp_up`` cells (``"0.5;0.8"``: usable share in the first years) -> a padded array.

    Returns shape (n, K), K the longest ramp (at least 1), padded with 1.0. Each distinct
    text is parsed once; the rows take their text's parsed row.
    """
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object).astype(str))
    parts = [[float(x) for x in t.split(";") if x.strip() != ""] for t in uniques]
    k = max([1, *(len(p) for p in parts)])
    table = np.ones((len(parts), k))
    for i, p in enumerate(parts):  # one row per distinct text
        table[i, :len(p)] = p
    return table[codes]


@dataclass(frozen=True)
class Vintages:
    """Builds as arrays: first year of use, life and lead (whole years), ramp-up shares."""

    first_use: np.ndarray
    life: np.ndarray
    lead: np.ndarray
    ramp: np.ndarray  # (n, K), 1.0 where no ramp-up

    @classmethod
    def of(cls, first_use, life, lead=0, ramp=None) -> Vintages:
        f = np.asarray(first_use, dtype=float).reshape(-1)
        n = len(f)
        life = np.broadcast_to(np.asarray(life, dtype=float), (n,)).copy()
        lead = np.broadcast_to(np.asarray(lead, dtype=float), (n,)).copy()
        ramp = np.ones((n, 1)) if ramp is None else np.asarray(ramp, dtype=float)
        return cls(f, life, lead, ramp)

    def __len__(self) -> int:
        return len(self.first_use)

    # -- money --------------------------------------------------------------------------
    def spend_pv(self, disc: Discounting) -> np.ndarray:
        """Present value of spending 1 (overnight) over the construction years."""
        lead = self.lead
        spread = disc.pv(self.first_use - lead, self.first_use) / np.where(lead > 0, lead, 1.0)
        return np.where(lead > 0, spread, disc.factor(self.first_use))

    def annuity(self, disc: Discounting) -> np.ndarray:
        """A per unit of overnight cost (see the module docstring)."""
        alive = disc.pv(self.first_use, self.first_use + self.life)
        return np.divide(self.spend_pv(disc), alive, out=np.zeros(len(self)), where=alive > 0)

    def horizon_pv(self, disc: Discounting) -> np.ndarray:
        """Sum of d(y) over the alive years inside the horizon."""
        return disc.pv(self.first_use, np.minimum(self.first_use + self.life, disc.end_year))

    def residual(self, disc: Discounting) -> np.ndarray:
        """Residual value per unit of overnight cost, in money of the year ``end``."""
        end = disc.end_year
        after = disc.pv(np.maximum(self.first_use, end), self.first_use + self.life)
        return self.annuity(disc) * after / disc.factor(end)

    def spend_years(self) -> pd.DataFrame:
        """build (position), year, share (of the overnight cost spent that year)."""
        lead = self.lead.astype(int)
        n = np.maximum(lead, 1)
        build = np.repeat(np.arange(len(self)), n)
        k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        start = np.repeat(self.first_use - lead, n)
        return pd.DataFrame({"build": build, "year": (start + k).astype(int),
                             "share": 1.0 / np.repeat(n, n)})

    # -- per year -----------------------------------------------------------------------
    def alive(self, years: np.ndarray) -> np.ndarray:
        """(years, builds): 1.0 where year y is alive, ``f <= y < f + life``, else 0."""
        y = np.asarray(years, dtype=float)[:, None]
        return ((y >= self.first_use) & (y < self.first_use + self.life)).astype(float)

    def usable(self, years: np.ndarray) -> np.ndarray:
        """(years, builds): the usable share ``ramp(y)`` in each alive year, else 0."""
        full = np.hstack([self.ramp, np.ones((len(self), 1))])  # column K: after the ramp
        y = np.asarray(years, dtype=float)[:, None]
        k = np.clip(y - self.first_use, 0, self.ramp.shape[1]).astype(int)  # year of use
        return full[np.arange(len(self))[None, :], k] * self.alive(years)

    # -- per period ---------------------------------------------------------------------
    def by_period(self, disc: Discounting) -> pd.DataFrame:
        """build, pos, alive_share, usable_share, pv for every period a build is alive in."""
        starts = np.asarray(disc.starts, dtype=float)
        lengths = np.asarray(disc.lengths, dtype=float)
        n, p = len(self), len(starts)
        b = np.repeat(np.arange(n), p)
        pos = np.tile(np.arange(p), n)
        f, stop = self.first_use[b], (self.first_use + self.life)[b]
        a, e = starts[pos], starts[pos] + lengths[pos]
        lo, hi = np.maximum(f, a), np.minimum(stop, e)
        keep = hi > lo
        b, pos, f, stop, a, e, lo, hi = (x[keep] for x in (b, pos, f, stop, a, e, lo, hi))
        pv = disc.pv(lo, hi)
        usable = pv.copy()
        for k in range(self.ramp.shape[1]):  # the ramp-up years' missing shares
            y = f + k
            inside = (y >= a) & (y < e) & (y < stop)
            usable -= np.where(inside, (1.0 - self.ramp[b, k]) * disc.factor(y), 0.0)
        w = disc.weights[pos]
        return pd.DataFrame({"build": b, "pos": pos, "alive_share": pv / w,
                             "usable_share": usable / w, "pv": pv})
