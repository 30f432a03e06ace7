"""The plan read year by year: which limits a build, a retirement or a ramp-up inside a
period breaks in the years it changes the capacity (the warnings of
:mod:`chainopt.report.average_year`).

A period's quantities are the discount-weighted averages of its years (README, *Time
model*), and every yearly limit holds on that average. Capacity that changes inside a
period (a build coming into use, a ramp-up step, an existing unit's ``retire_year``, a
life extension's or a build's end, a project retiring a unit) counts there with its
average; the plan runs it at its average too. :func:`year_breaks` reads the plan year by
year and checks every row it changes:

* each capacity row whose capacity varies by year inside its period runs in year y at
  ``use_y = min(c, cap_y)``, the level c making the discount-weighted average of the
  use_y the plan's use (the flattest use the year's capacities allow; a use below the
  smallest year's capacity stays as it is; a full one runs at each year's capacity);
  its columns (the unit's modes, the link's flows) are scaled by ``use_y / use``;
* what that changes is carried through the equality rows it reaches (the commodity
  balances, blend recipes) the way the plan runs its flows: the least change, each
  flow's in proportion to its size (least sum of ``dx_j^2 / x_j``; a flow at 0, a column
  fixed by its bounds or by an equality alone, such as a demand's delivery, and the
  varying capacities' own columns take none), so that every such row holds again; first
  on the columns free to move (a sale, a purchase, a flow with room: no inequality row
  at its bound in the plan, such as a full unit's capacity, and no bound of its own held
  them), then, for what those cannot take, on every column that may take a change. An
  existing unit running full beside a build coming into use in the period's second
  year, with sales capped above both: the build's missing first-year output comes off
  the sales (free), not onto the full unit (whose capacity row it would break);
  more made at a site goes on where the plan sends that commodity, more used comes from
  where the plan takes it, through as many steps as the chain has (solved at once by
  conjugate gradients on the rows reached, so that a recycle is counted once);
* every row and column bound touched is checked in each year of the period (a
  varying capacity row against that year's capacity).

Every year's plan so read has the average of the plan (the changes average to zero with
the period's discount weights in every column), so it has the plan's value: the objective
is linear and its coefficients are the same in each year of a period. If no row is
broken in any year, the plan is feasible year by year with the same value, and the
average-year model's value is exact. If one is, the plan cannot be run that way year by
year and its value may be too high (another year-by-year plan may do better than this
reading, none better than the average); the breaks are attributed to the capacity rows
whose changes push the row out of its bounds.

Sparse: only the capacity rows whose capacity varies inside a period, and the columns and
rows their changes reach, are read; a case with none costs one pass over the capacity
rows' build terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainopt.case.vintage import parse_ramp
from chainopt.models.lp import Matrix

#: a change below this (k units/yr) is the solver's noise
_TOL = 1e-9
#: a row or bound broken by less than this times max(1, |bound|) holds
_FEAS = 1e-6
#: a period with more varying capacities than this names each with all the period's
#: breaks (each read alone costs a solve)
_ATTRIBUTE = 12

_COLUMNS = ["source", "period", "year", "family", "key", "side", "bound", "excess"]


@dataclass(frozen=True)
class YearBreaks:
    """What :func:`year_breaks` found: ``sources``, the capacities read year by year (one
    per unit or link and period: ``kind``, ``name``, ``period``), and ``breaks``, what the
    plan so read breaks: ``source`` (the position in ``sources`` of the capacity whose
    own change pushes it out; -1: read with all of its period's, which it is then
    attributed to), ``period``, ``year``, ``family`` and ``key`` of the row or column
    bound (as ``constraints.csv`` names them), ``side`` (``upper``: above its upper bound;
    ``lower``: below its lower bound, as ``constraints.csv`` says it), ``bound`` (the bound
    broken, for a column's own bound, such as a purchase's limit or the 0 below which a
    quantity is negative; NaN for a row, whose bound is in the matrix's terms) and
    ``excess`` (by how much, in its units, > 0). A row may be broken on both sides in
    different years of a period: the reading keeps the period's average, so years far
    above a limit may leave others below 0."""

    sources: pd.DataFrame
    breaks: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.breaks.empty

    def of(self, members: pd.DataFrame) -> pd.DataFrame:
        """The breaks attributed to each row of ``members`` (columns ``kind``, ``name``,
        ``period`` of a unit or link; its other columns kept), one row per break."""
        s = self.sources.reset_index(names="source")
        m = members.merge(s, on=["kind", "name", "period"])
        b = self.breaks
        own = m.merge(b[b["source"] >= 0], on=["source", "period"])
        every = m.merge(b[b["source"] < 0].drop(columns="source"), on="period")
        return pd.concat([own, every], ignore_index=True)


def _none() -> YearBreaks:
    return YearBreaks(pd.DataFrame(columns=["kind", "name", "period"]),
                      pd.DataFrame(columns=_COLUMNS))


def year_breaks(built, x: np.ndarray, rv: np.ndarray) -> YearBreaks:
    """What the plan ``x`` of ``built``, whose rows have the values ``rv`` (A x; both
    from :func:`chainopt.extract.plan_values`), breaks read year by year (see the
    module)."""
    lp, arr = built.lp, built.arrays
    a = arr.matrix
    disc = built.index.disc
    starts = np.asarray(disc.starts, dtype=int)
    lengths = np.asarray(disc.lengths, dtype=int)
    width = int(lengths.max())
    years = starts[:, None] + np.arange(width)[None, :]  # (periods, width)
    inside = np.arange(width)[None, :] < lengths[:, None]
    omega = np.where(inside, disc.factor(years), 0.0)
    omega = omega / omega.sum(axis=1, keepdims=True)  # d(y) / w_t
    periods = np.asarray(built.case.meta.period_names, dtype=object)
    src = _varying(built, x, rv, years, inside, omega,
                   {p: i for i, p in enumerate(periods)})
    if src is None:
        return _none()
    g = _Graph(a, arr, x, rv)
    g.mark(src)
    # the plan read year by year: all sources together, one column per (period, year)
    cols, per = _propagate(g, *_starts(g, src, src["pos"].to_numpy(), len(starts), width))
    bad = _violations(g, cols, per, src, x, rv, width)
    sources = pd.DataFrame({"kind": src["kind"].to_numpy(), "name": src["name"].to_numpy(),
                            "period": periods[src["pos"].to_numpy(np.int64)]})
    if bad.empty:
        return YearBreaks(sources, pd.DataFrame(columns=_COLUMNS))
    found = []
    for p in np.unique(bad["pos"]):  # who pushes each break out of its bounds
        mine = src[src["pos"] == p]
        here = bad[bad["pos"] == p]
        if len(mine) == 1:
            found.append(here.assign(src=mine.index[0]))
        elif len(mine) > _ATTRIBUTE:  # too many to read one by one: the period's
            found.append(here.assign(src=-1))
        else:
            c, dev = _propagate(g, *_starts(g, mine, np.arange(len(mine)), len(mine), width))
            found.append(_pushed(g, here, c, dev, mine, width))
    out = pd.concat(found, ignore_index=True)
    return YearBreaks(sources, _named(lp, out, years, periods))


def _varying(built, x, rv, years, inside, omega, pos_of) -> pd.DataFrame | None:
    """The capacity rows whose capacity varies inside their period and which the plan
    uses, one per row: ``row``, ``kind`` and ``name`` (the unit or link), ``pos`` (its
    period's position), ``users_start``/``users_stop`` (the columns whose terms are its
    use), ``cap_avg`` (its capacity on the average), ``cap`` (per year slot) and
    ``change`` (its use's relative change per year slot); None where there is none."""
    lp, arr = built.lp, built.arrays
    m = arr.matrix
    disc = built.index.disc
    builds = (pd.concat(lp.builds, ignore_index=True) if lp.builds else
              pd.DataFrame(columns=["col", "first_use", "lifetime", "ramp"]))
    col_build = np.full(lp.num_cols, -1, dtype=np.int64)
    col_build[builds["col"].to_numpy(np.int64)] = np.arange(len(builds))
    ramp = (parse_ramp(builds["ramp"].fillna("").astype(str)) if len(builds)
            else np.ones((0, 1)))
    first = builds["first_use"].to_numpy(float)
    life = builds["lifetime"].to_numpy(float)
    end_year = float(disc.end_year)
    # what changes inside a period: a build's first year, its end or a ramp step there
    # (build_moves, by build), a unit's retire year there (moving: by unit)
    full = np.hstack([ramp, np.ones((len(ramp), 1))])
    k = np.arange(1, full.shape[1])
    step = (np.abs(full[:, 1:] - full[:, :-1]) > 1e-12) & (k[None, :] < life[:, None])
    when = np.where(step, first[:, None] + k[None, :], np.nan)
    build_moves = (disc.mid_period(first)[1] | disc.mid_period(first + life)[1]
                   | disc.mid_period(when)[1].reshape(when.shape).any(axis=1))
    units = built.case.tables["units"]
    retire = pd.Series(pd.to_numeric(units.get("retire_year", pd.Series(np.nan, index=units.index)),
                                     errors="coerce").to_numpy(float),
                       index=units["unit"].astype(str).to_numpy())
    moving = set(retire.index[disc.mid_period(retire.to_numpy())[1]])
    width = years.shape[1]
    picked = []
    for handle in (lp.unit_capacity, lp.link_capacity):
        if handle is None or handle.family.stop == handle.family.start:
            continue
        fam, users = handle.family, handle.users
        lo, hi = int(m.indptr[fam.start]), int(m.indptr[fam.stop])
        row = np.repeat(np.arange(fam.stop - fam.start),
                        np.diff(m.indptr[fam.start:fam.stop + 1]))
        col = m.indices[lo:hi].astype(np.int64)
        b = col_build[col]
        cand = np.zeros(fam.stop - fam.start, dtype=bool)
        cand[row[b >= 0][build_moves[b[b >= 0]]]] = True
        if handle.asset == "unit" and moving:
            cand |= fam.keys["unit"].isin(moving).to_numpy()
        if not cand.any():
            continue
        # only the candidate rows from here (local numbering 0..n-1)
        rows = np.flatnonzero(cand)
        local = np.full(len(cand), -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        keep = cand[row]
        row, col, coef = local[row[keep]], col[keep], m.data[lo:hi][keep]
        n = len(rows)
        user = (col >= users.start) & (col < users.stop)
        keys = fam.keys.iloc[rows]
        pos = keys["period"].map(pos_of).to_numpy(np.int64)
        name = keys[handle.asset].astype(str).to_numpy(dtype=object)
        r_year = (pd.Series(name).map(retire).to_numpy(float) if handle.asset == "unit"
                  else np.full(n, np.nan))
        ub = arr.row_ub[fam.start + rows]
        use = np.bincount(row[user], weights=coef[user] * x[col[user]], minlength=n)
        cap_avg = ub - np.bincount(row[~user], weights=coef[~user] * x[col[~user]],
                                   minlength=n)
        # the year's capacity less the average's: the bound of a unit retiring inside the
        # period (there before its retire year only) and each build term, at its share of
        # the year over its share of the period
        yy, live = years[pos], inside[pos]
        alive = np.where(np.isnan(r_year)[:, None] | (yy < r_year[:, None]), 1.0, 0.0) * live
        avg = (alive * omega[pos]).sum(axis=1)
        alive = np.divide(alive, avg[:, None], out=np.zeros_like(alive),
                          where=avg[:, None] > 0)
        extra = ub[:, None] * (alive - 1.0)
        e = np.flatnonzero(~user & (col_build[col] >= 0) & (np.abs(x[col]) > _TOL))
        if len(e):
            b, p = col_build[col[e]], pos[row[e]]
            y, f = years[p], first[b][:, None]
            gone = coef[e] > 0  # a project retiring the unit: from f to its retire year
            stop = np.where(gone, np.fmin(np.nan_to_num(r_year[row[e]], nan=end_year),
                                          end_year), first[b] + life[b])[:, None]
            k = (y - f).astype(np.int64)
            step = np.where((k >= 0) & (k < ramp.shape[1]),
                            ramp[b[:, None], np.clip(k, 0, ramp.shape[1] - 1)], 1.0)
            shape = np.where((y >= f) & (y < stop), np.where(gone[:, None], 1.0, step),
                             0.0) * inside[p]
            avg = (shape * omega[p]).sum(axis=1)
            ratio = np.divide(shape, avg[:, None], out=np.zeros_like(shape),
                              where=avg[:, None] > 0)
            term = (-coef[e] * x[col[e]])[:, None] * np.where(inside[p], ratio - 1.0, 0.0)
            np.add.at(extra, row[e], term)
        varies = np.any(live & (np.abs(extra) > _TOL * np.maximum(1.0, np.abs(cap_avg))[:, None]),
                        axis=1) & (use > _TOL)
        if not varies.any():
            continue
        i = np.flatnonzero(varies)
        cap = np.where(inside[pos[i]], np.maximum(cap_avg[i, None] + extra[i], 0.0), 0.0)
        level = _waterfill(cap, omega[pos[i]], use[i])
        change = np.where(inside[pos[i]], level / use[i, None] - 1.0, 0.0)
        ok = np.any(np.abs(change) > 1e-9, axis=1)
        if not ok.any():
            continue
        i, cap, change = i[ok], cap[ok], change[ok]
        picked.append(pd.DataFrame({
            "row": fam.start + rows[i], "kind": handle.asset, "name": name[i], "pos": pos[i],
            "users_start": users.start, "users_stop": users.stop, "cap_avg": cap_avg[i],
            "cap": list(cap.reshape(len(i), width)), "change": list(change)}))
    if not picked:
        return None
    return pd.concat(picked, ignore_index=True)


def _waterfill(cap: np.ndarray, omega: np.ndarray, use: np.ndarray) -> np.ndarray:
    """``min(c, cap_y)`` per row, c such that the ``omega``-weighted sum is ``use`` (the
    capacities themselves, scaled, where ``use`` fills them)."""
    full = (omega * cap).sum(axis=1)
    lo, hi = np.zeros(len(use)), cap.max(axis=1, initial=0.0)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        below = (omega * np.minimum(mid[:, None], cap)).sum(axis=1) < use
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    level = np.minimum(hi[:, None], cap)
    got = (omega * level).sum(axis=1)
    level = level * np.divide(use, got, out=np.ones_like(use), where=got > 0)[:, None]
    return np.where((use >= full)[:, None],
                    cap * np.divide(use, full, out=np.ones_like(use), where=full > 0)[:, None],
                    level)


class _Graph:
    """The matrix by columns, the equality rows that carry a change (``carry``: two terms
    or more), the columns that may take one (``takes``: moving in the plan, not fixed by
    their bounds or by an equality alone, not of a varying capacity row) and, of those,
    the ones held by a limit (``held``: a term of an inequality row the plan ``rv`` has at
    one of its bounds, such as a full unit's capacity, or at a bound of their own)."""

    def __init__(self, m, arr, x: np.ndarray, rv: np.ndarray) -> None:
        self.m, self.x = m, x
        n_cols = m.shape[1]
        self.row = m.row_of_entries()
        self.by_col = np.argsort(m.indices, kind="stable")
        self.col_ptr = np.zeros(n_cols + 1, dtype=np.int64)
        np.cumsum(np.bincount(m.indices, minlength=n_cols), out=self.col_ptr[1:])
        count = np.diff(m.indptr)
        eq = np.isfinite(arr.row_lb) & (arr.row_lb == arr.row_ub)
        self.carry = eq & (count >= 2)
        pinned = arr.col_lb == arr.col_ub
        pinned[m.indices[(eq & (count == 1))[self.row]]] = True
        self.takes = ~pinned & (x > _TOL)
        self.lb, self.ub = arr.col_lb, arr.col_ub
        tol = _FEAS * np.maximum(1.0, np.abs(rv))
        at_bound = ~eq & ((np.isfinite(arr.row_ub) & (rv >= arr.row_ub - tol))
                          | (np.isfinite(arr.row_lb) & (rv <= arr.row_lb + tol)))
        self.held = np.zeros(n_cols, dtype=bool)
        self.held[m.indices[at_bound[self.row] & (m.data != 0)]] = True
        ctol = _FEAS * np.maximum(1.0, np.abs(x))
        self.held |= ((np.isfinite(arr.col_ub) & (x >= arr.col_ub - ctol))
                      | (np.isfinite(arr.col_lb) & (arr.col_lb > _TOL)
                         & (x <= arr.col_lb + ctol)))
        self.row_lb, self.row_ub = arr.row_lb, arr.row_ub

    def mark(self, src: pd.DataFrame) -> None:
        """The columns of the varying capacity rows of ``src`` take no change: they run
        as their capacity does."""
        m = self.m
        for r, a, b in zip(src["row"], src["users_start"], src["users_stop"], strict=True):
            c = m.indices[m.indptr[r]:m.indptr[r + 1]]
            self.takes[c[(c >= a) & (c < b)]] = False

    def col_entries(self, cols: np.ndarray):
        """(owner position in ``cols``, entry index) of every matrix entry of ``cols``."""
        owner, k = _ranges(self.col_ptr[cols], self.col_ptr[cols + 1])
        return owner, self.by_col[k]

    def row_entries(self, rows: np.ndarray):
        """(owner position in ``rows``, entry index) of every matrix entry of ``rows``."""
        return _ranges(self.m.indptr[rows].astype(np.int64),
                       self.m.indptr[rows + 1].astype(np.int64))


def _ranges(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner i, k) for every k in a[i] .. b[i] - 1, the ranges laid end to end."""
    n = b - a
    owner = np.repeat(np.arange(len(a)), n)
    return owner, np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + np.repeat(a, n)


def _sum_by(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ``keys`` and the sum of ``values`` (rows) of each."""
    uniq, inv = np.unique(keys, return_inverse=True)
    out = np.zeros((len(uniq), values.shape[1]))
    np.add.at(out, inv, values)
    return uniq, out


def _segments(keys: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """``out[i] = sum of values[k] for keys[k] == i`` (``keys`` sorted), an (n, w) array."""
    out = np.zeros((n, values.shape[1]))
    if len(keys):
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        out[keys[first]] = np.add.reduceat(values, first, axis=0)
    return out


def _propagate(g: _Graph, cols: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The total change of every column: the starting changes ``vals`` of ``cols`` (one
    column of ``vals`` per (source, year) slot) and what the carrying equality rows they
    reach need of the columns there to hold again, spread as the plan runs them: the
    change z of least sum of ``dx_j^2 / x_j`` (each column in proportion to its flow, a
    flow at 0 unmoved), solved by conjugate gradients on the rows reached. A row no
    column can make hold keeps what is left (the check finds it broken)."""
    m, x = g.m, g.x
    n_rows, n_cols = m.shape
    seen_r = np.zeros(n_rows, dtype=bool)
    seen_c = np.zeros(n_cols, dtype=bool)
    front = cols
    while len(front):  # the carrying rows and taking columns reached
        _, k = g.col_entries(front)
        r = np.unique(g.row[k][g.carry[g.row[k]]])
        r = r[~seen_r[r]]
        if not len(r):
            break
        seen_r[r] = True
        _, e = g.row_entries(r)
        c = np.unique(m.indices[e].astype(np.int64))
        front = c[g.takes[c] & ~seen_c[c]]
        seen_c[front] = True
    rows, takers = np.flatnonzero(seen_r), np.flatnonzero(seen_c)
    if not len(rows) or not len(takers):
        return cols, vals
    # what the starting changes put on the rows reached: to be taken back (r)
    owner, k = g.col_entries(cols)
    on = seen_r[g.row[k]]
    local_r = np.searchsorted(rows, g.row[k][on])
    order = np.argsort(local_r, kind="stable")
    need = -_segments(local_r[order], (m.data[k][on][:, None] * vals[owner[on]])[order],
                      len(rows))
    # B = the rows' terms on the taking columns, each x sqrt(x_j), rows scaled to norm 1
    ro, e = g.row_entries(rows)
    c = m.indices[e].astype(np.int64)
    take = g.takes[c]
    ro, c = ro[take], c[take]
    lc = np.searchsorted(takers, c)
    root = np.sqrt(x[takers])
    v = m.data[e][take] * root[lc]
    norm = np.sqrt(np.bincount(ro, weights=v * v, minlength=len(rows)))
    norm[norm == 0] = 1.0
    b = Matrix.from_triplets(ro, lc, v / norm[ro], (len(rows), len(takers)))
    need = need / norm[:, None]
    # first the columns free to move (no limit at its bound holds them: a sale, a purchase,
    # a flow with room), then, for what they cannot take, every taking column
    held = g.held[takers]
    z = np.zeros((len(takers), vals.shape[1]))
    if held.any() and not held.all():
        z = _cgls(b.scaled_columns((~held).astype(float)), need, len(rows))
        need = need - b @ z
    if np.abs(need).max(initial=0.0) > _TOL * 1e-3:
        z += _cgls(b, need, len(rows))
    change = root[:, None] * z
    big = np.abs(change).max(axis=1) > _TOL
    return _sum_by(np.r_[cols, takers[big]], np.vstack([vals, change[big]]))


def _cgls(b: Matrix, need: np.ndarray, n_rows: int) -> np.ndarray:
    """The least-norm z making ``b @ z`` closest to ``need`` (one column per slot), by
    conjugate gradients on the normal equations (CGLS)."""
    bt = b.T
    z = np.zeros((b.shape[1], need.shape[1]))
    rest = need.copy()
    p = bt @ rest
    gamma = (p * p).sum(axis=0)
    stop = (_TOL * 1e-3) ** 2 * np.maximum(gamma, 1e-300)
    for _ in range(max(50, 4 * n_rows)):
        if not (gamma > stop).any():
            break
        q = b @ p
        qq = (q * q).sum(axis=0)
        alpha = np.divide(gamma, qq, out=np.zeros_like(gamma), where=qq > 0)
        z += alpha * p
        rest -= alpha * q
        s = bt @ rest
        new = (s * s).sum(axis=0)
        beta = np.divide(new, gamma, out=np.zeros_like(new), where=gamma > 0)
        p = s + beta * p
        gamma = new
    return z


def _starts(g: _Graph, src: pd.DataFrame, slot: np.ndarray, n_slots: int, width: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """The starting changes of the sources ``src``: each source's columns (its unit's
    modes, its link's flows) scaled by its change per year, in the columns ``slot[i] *
    width .. + width`` of ``n_slots * width``."""
    m, x = g.m, g.x
    cs, vs = [], []
    for i, (r, a, b, ch) in enumerate(zip(src["row"], src["users_start"], src["users_stop"],
                                          src["change"], strict=True)):
        c = m.indices[m.indptr[r]:m.indptr[r + 1]].astype(np.int64)
        c = c[(c >= a) & (c < b)]
        v = np.zeros((len(c), n_slots * width))
        v[:, slot[i] * width:(slot[i] + 1) * width] = x[c][:, None] * np.asarray(ch)[None, :]
        cs.append(c)
        vs.append(v)
    return _sum_by(np.concatenate(cs), np.vstack(vs))


def _violations(g: _Graph, cols: np.ndarray, per: np.ndarray, src: pd.DataFrame,
                x: np.ndarray, rv: np.ndarray, width: int) -> pd.DataFrame:
    """Every row and column bound the plan read year by year breaks (``per``: the change
    of ``cols`` per (period, year) slot): ``what`` (row, col), ``id``, ``pos``, ``k`` (the
    year's slot in its period), ``excess``, ``up`` (above its upper bound) and ``bound``
    (the bound broken that year)."""
    owner, k = g.col_entries(cols)
    rows, change = _sum_by(g.row[k], g.m.data[k][:, None] * per[owner])
    ub = np.repeat(g.row_ub[rows][:, None], per.shape[1], axis=1)
    lb = np.repeat(g.row_lb[rows][:, None], per.shape[1], axis=1)
    at = np.searchsorted(rows, src["row"].to_numpy())
    hit = (at < len(rows)) & (rows[np.minimum(at, len(rows) - 1)] == src["row"].to_numpy())
    for i in np.flatnonzero(hit):  # a varying capacity holds against that year's capacity
        p = int(src["pos"].iloc[i])
        ub[at[i], p * width:(p + 1) * width] += (np.asarray(src["cap"].iloc[i])
                                                - src["cap_avg"].iloc[i])
    size = np.abs(g.m.data[k] * x[cols][owner])  # the size of each row's terms
    scale = np.zeros(len(rows))
    np.add.at(scale, np.searchsorted(rows, g.row[k]), size)
    return pd.concat([
        _out_of_bounds("row", rows, rv[rows][:, None] + change, lb, ub, width, scale),
        _out_of_bounds("col", cols, x[cols][:, None] + per,
                       np.repeat(g.lb[cols][:, None], per.shape[1], axis=1),
                       np.repeat(g.ub[cols][:, None], per.shape[1], axis=1), width,
                       np.abs(x[cols]))],
        ignore_index=True)


def _out_of_bounds(what: str, ids: np.ndarray, value: np.ndarray, lb: np.ndarray,
                   ub: np.ndarray, width: int, scale: np.ndarray) -> pd.DataFrame:
    """The (id, slot) of ``value`` out of ``[lb, ub]`` by more than the tolerance:
    ``_FEAS`` times the largest of 1, the bound and ``scale`` (the size of the row's
    terms in the plan: a balance of thousands of kt/yr holds to its solver's digits)."""
    over, under = value - ub, lb - value
    bound = np.maximum(np.abs(np.where(np.isfinite(ub), ub, 0.0)),
                       np.abs(np.where(np.isfinite(lb), lb, 0.0)))
    tol = _FEAS * np.maximum(np.maximum(1.0, bound), scale[:, None])
    i, s = np.nonzero((over > tol) | (under > tol))
    up = over[i, s] > tol[i, s]
    return pd.DataFrame({"what": what, "id": ids[i], "pos": s // width, "k": s % width,
                         "excess": np.where(up, over[i, s], under[i, s]), "up": up,
                         "bound": np.where(up, ub[i, s], lb[i, s])})


def _pushed(g: _Graph, bad: pd.DataFrame, cols: np.ndarray, dev: np.ndarray,
            src: pd.DataFrame, width: int) -> pd.DataFrame:
    """The breaks ``bad`` of one period, once for each of its sources ``src`` whose own
    change (``dev``: by source and year, of ``cols``) pushes it out of its bounds."""
    owner, k = g.col_entries(cols)
    rows, by_src = _sum_by(g.row[k], g.m.data[k][:, None] * dev[owner])
    found = []
    for what, ids, val in (("row", rows, by_src), ("col", cols, dev)):
        b = bad[bad["what"] == what]
        at = np.searchsorted(ids, b["id"].to_numpy())
        ok = (at < len(ids)) & (ids[np.minimum(at, len(ids) - 1)] == b["id"].to_numpy())
        b, at = b[ok], at[ok]
        kk, up = b["k"].to_numpy(np.int64), b["up"].to_numpy(bool)
        for j, label in enumerate(src.index):
            push = val[at, j * width + kk]
            guilty = np.where(up, push > _TOL, push < -_TOL)
            if guilty.any():
                found.append(b[guilty].assign(src=label))
    return (pd.concat(found, ignore_index=True) if found
            else pd.DataFrame(columns=[*bad.columns, "src"]))


def _named(lp, out: pd.DataFrame, years: np.ndarray, periods: np.ndarray) -> pd.DataFrame:
    """The breaks in the words of ``constraints.csv`` (see :class:`YearBreaks`)."""
    from chainopt.diagnose.names import locate  # lazy: the diagnosis side

    if out.empty:
        return pd.DataFrame(columns=_COLUMNS)
    parts = []
    for what, fams in (("row", lp.row_families), ("col", lp.var_families)):
        sel = out[out["what"] == what]
        if len(sel):
            ids, back = np.unique(sel["id"].to_numpy(np.int64), return_inverse=True)
            named = locate(lp, fams, ids)
            parts.append(sel.assign(family=named["family"].to_numpy()[back],
                                    key=named["key"].astype(str).to_numpy()[back]))
    b = pd.concat(parts, ignore_index=True)
    p, k = b["pos"].to_numpy(np.int64), b["k"].to_numpy(np.int64)
    up = b["up"].to_numpy(bool)
    return pd.DataFrame({"source": b["src"].to_numpy(np.int64), "period": periods[p],
                         "year": years[p, k], "family": b["family"].to_numpy(),
                         "key": b["key"].to_numpy(),
                         "side": np.where(up, "upper", "lower").astype(object),
                         "bound": np.where(b["what"].to_numpy() == "col",
                                           b["bound"].to_numpy(float), np.nan),
                         "excess": b["excess"].to_numpy(float)})
