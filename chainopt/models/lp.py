"""The linear programme under construction: columns, rows and terms as arrays.

Constraint families add whole indexed families at once: ``add_vars`` and
``add_rows`` take a key frame (one row per element) and return the integer ids of
the new columns or rows; ``add_terms`` adds matrix coefficients in bulk. Families
contribute to the shared commodity balance with ``add_balance`` and to the
objective with ``add_objective`` (each term tagged with a cost category, so the
objective can be split into its parts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

INF = np.inf

CATEGORIES = ("revenue", "supply", "variable_om", "transport", "fixed_om", "capex",
              "carbon", "shortfall_penalty")


@dataclass
class Family:
    """A block of columns or rows: ``block.name`` with ids ``start .. stop-1``."""

    block: str
    name: str
    keys: pd.DataFrame
    start: int
    stop: int

    @property
    def label(self) -> str:
        return f"{self.block}.{self.name}"


@dataclass
class LinearProgram:
    """Arrays of a maximisation LP ``max c x + offset, row_lb <= A x <= row_ub, lb <= x <= ub``."""

    var_families: list[Family] = field(default_factory=list)
    row_families: list[Family] = field(default_factory=list)
    _lb: list[np.ndarray] = field(default_factory=list)
    _ub: list[np.ndarray] = field(default_factory=list)
    _int: list[np.ndarray] = field(default_factory=list)
    _rlb: list[np.ndarray] = field(default_factory=list)
    _rub: list[np.ndarray] = field(default_factory=list)
    _terms: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    _balance: list[pd.DataFrame] = field(default_factory=list)
    objective_terms: list[tuple[np.ndarray, np.ndarray, str]] = field(default_factory=list)
    offset: dict[str, float] = field(default_factory=dict)
    num_cols: int = 0
    num_rows: int = 0

    # -- building ---------------------------------------------------------------------
    def add_vars(self, block: str, name: str, keys: pd.DataFrame, lb: object = 0.0,
                 ub: object = INF, integer: bool = False) -> np.ndarray:
        """Add one column per row of ``keys``; NaN upper bounds mean unbounded."""
        n = len(keys)
        ids = np.arange(self.num_cols, self.num_cols + n)
        ubv = np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy()
        ubv[np.isnan(ubv)] = INF
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy())
        self._ub.append(ubv)
        self._int.append(np.full(n, integer))
        self.var_families.append(Family(block, name, keys.reset_index(drop=True),
                                        self.num_cols, self.num_cols + n))
        self.num_cols += n
        return ids

    def add_rows(self, block: str, name: str, keys: pd.DataFrame, lb: object = -INF,
                 ub: object = INF) -> np.ndarray:
        """Add one row ``lb <= (terms added later) <= ub`` per row of ``keys``."""
        n = len(keys)
        ids = np.arange(self.num_rows, self.num_rows + n)
        self._rlb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy())
        self._rub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy())
        self.row_families.append(Family(block, name, keys.reset_index(drop=True),
                                        self.num_rows, self.num_rows + n))
        self.num_rows += n
        return ids

    def add_terms(self, rows: np.ndarray, cols: np.ndarray, coefs: object) -> None:
        """Add coefficients ``A[rows, cols] += coefs`` (arrays of equal length)."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        coefs = np.broadcast_to(np.asarray(coefs, dtype=float), rows.shape)
        keep = coefs != 0
        self._terms.append((rows[keep], cols[keep], coefs[keep].copy()))

    def add_balance(self, site: object, commodity: object, period: object, cols: np.ndarray,
                    coefs: object) -> None:
        """Contribute ``coefs * x[cols]`` to the balance of (site, commodity, period)."""
        cols = np.asarray(cols, dtype=np.int64)

        def column(v: object) -> pd.Series:  # keep pandas' own string storage (no objects)
            return v.reset_index(drop=True) if isinstance(v, pd.Series) else pd.Series(v)

        self._balance.append(pd.DataFrame({
            "site": column(site), "commodity": column(commodity), "period": column(period),
            "col": cols, "coef": np.broadcast_to(np.asarray(coefs, dtype=float), cols.shape),
        }))

    def add_objective(self, cols: np.ndarray, coefs: object, category: str) -> None:
        """Add ``coefs * x[cols]`` (MUSD, discounted) to the maximised objective."""
        if category not in CATEGORIES:
            raise ValueError(f"unknown objective category {category!r}")
        cols = np.asarray(cols, dtype=np.int64)
        self.objective_terms.append((cols, np.broadcast_to(np.asarray(coefs, dtype=float),
                                                cols.shape).copy(), category))

    def add_offset(self, value: float, category: str) -> None:
        """Add a constant (MUSD, discounted) to the objective, e.g. existing fixed O&M."""
        self.offset[category] = self.offset.get(category, 0.0) + float(value)

    def balance_terms(self) -> pd.DataFrame:
        """All balance contributions so far, concatenated."""
        if not self._balance:
            return pd.DataFrame(columns=["site", "commodity", "period", "col", "coef"])
        return pd.concat(self._balance, ignore_index=True)

    def row_ids(self, label: str, keys: pd.DataFrame, on: list[str],
                columns: list[str] | None = None) -> np.ndarray:
        """Row ids of family ``label`` for each row of ``keys`` (-1 where the family has
        no such row), by one vectorised index lookup: the family's key columns ``on``
        are matched with ``keys``' ``columns`` (default: the same names)."""
        fam = self.family(label)
        mine = columns or on
        if len(on) == 1:
            index = pd.Index(fam.keys[on[0]])
            wanted = pd.Index(keys[mine[0]])
        else:
            index = pd.MultiIndex.from_frame(fam.keys[on])
            wanted = pd.MultiIndex.from_arrays([keys[c] for c in mine])
        pos = index.get_indexer(wanted)
        return np.where(pos >= 0, pos + fam.start, -1)

    # -- finishing ----------------------------------------------------------------------
    def family(self, label: str) -> Family:
        for f in (*self.var_families, *self.row_families):
            if f.label == label:
                return f
        raise KeyError(label)

    def arrays(self) -> LPArrays:
        """Freeze into matrix form (CSR rows), summing duplicate coefficients."""
        cat = lambda xs, dt=float: np.concatenate(xs) if xs else np.empty(0, dtype=dt)  # noqa: E731
        r = cat([t[0] for t in self._terms], np.int64)
        c = cat([t[1] for t in self._terms], np.int64)
        v = cat([t[2] for t in self._terms])
        a = sp.csr_matrix((v, (r, c)), shape=(self.num_rows, self.num_cols))
        a.sum_duplicates()
        a.eliminate_zeros()
        from chainopt.models.objective import vectors

        cost, cost_by = vectors(self)
        return LPArrays(
            cost=cost, col_lb=cat(self._lb), col_ub=cat(self._ub),
            integer=cat(self._int, bool), row_lb=cat(self._rlb), row_ub=cat(self._rub),
            matrix=a, offset=dict(self.offset), cost_by_category=cost_by,
        )


@dataclass
class LPArrays:
    """The finished programme in matrix form, ready for the solver."""

    cost: np.ndarray
    col_lb: np.ndarray
    col_ub: np.ndarray
    integer: np.ndarray
    row_lb: np.ndarray
    row_ub: np.ndarray
    matrix: sp.csr_matrix
    offset: dict[str, float]
    cost_by_category: dict[str, sp.csr_array]

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    @property
    def total_offset(self) -> float:
        return float(sum(self.offset.values()))

