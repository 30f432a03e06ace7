"""The linear programme under construction: columns, rows and terms as arrays.

Constraint families add whole indexed families at once: ``add_vars`` and
``add_rows`` take a key frame (one row per element) and return the integer ids of
the new columns or rows; ``add_terms`` adds matrix coefficients in bulk. Families
contribute to the shared commodity balance with ``add_balance`` and to the
objective with ``add_objective`` (each term tagged with a cost category and the
period whose cash flow it is, so the objective can be split into its parts and into
cash flows per year by period exactly). Investment families also register what
they build (``add_builds``), so results can state each build's overnight cost,
construction years and residual value. Rows one family creates and another adds
to are handed over as typed handles (:class:`CapacityRows` on ``unit_capacity`` and
``link_capacity``), not looked up by label.

"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chainopt.case.codes import row_positions

INF = np.inf

CATEGORIES = ("revenue", "supply", "variable_om", "transport", "fixed_om", "capex",
              "carbon", "shortfall_penalty", "disposal")


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

    def ids(self, keys: pd.DataFrame, columns: list[str] | None = None) -> np.ndarray:
        """Ids of this family's elements matching each row of ``keys`` (-1 where there is
        none): all the family's key columns, matched with ``keys``' ``columns`` (default:
        the same names), on integer codes (:func:`~chainopt.case.codes.row_positions`)."""
        pos = row_positions(self.keys, [keys[c] for c in columns or self.keys.columns])
        return np.where(pos >= 0, pos + self.start, -1)


@dataclass(frozen=True)
class CapacityRows:
    """The capacity rows of one kind of asset, one per (asset, period): a typed handle.

    The family that owns the rows creates them and stores the handle on the
    :class:`LinearProgram` (``unit_capacity`` by conversion, ``link_capacity`` by
    transport); families that bring capacity (investment: expansions, projects,
    retirements) add their terms to the rows it gives, with the convention
    ``used - added capacity <= existing capacity``.
    """

    asset: str  # the key column naming the asset: "unit" or "link"
    family: Family  # the rows, keyed by (asset, period)
    users: Family  # the columns whose terms are the use (activities of units, link flows)

    def rows(self, keys: pd.DataFrame, period: str = "period") -> np.ndarray:
        """Row ids for each row of ``keys`` (columns ``asset`` and ``period``; -1 where
        the asset has no capacity row in that period)."""
        return self.family.ids(keys, [self.asset, period])

    def use_and_added(self, matrix: Matrix, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each row's two parts at the solution ``x``, in row units: the use,
        ``sum_j a_ij x_j`` over the columns of ``users`` (a unit's ``capacity_use x
        activity``, the flows entering a link), and the capacity added, minus the sum of
        its other terms (expansions and projects add, retirements remove), so that
        ``row value = use - added`` and the row reads ``use <= bound + added``: what is
        used against the capacity there is."""
        use, built, retired = self.parts(matrix, x)
        return use, built - retired

    def parts(self, matrix: Matrix, x: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                            np.ndarray]:
        """:meth:`use_and_added` with the capacity added split in two: ``built``, what
        expansions, extensions and projects' units add (the other terms < 0), and
        ``retired``, what projects take away from a unit they retire (terms > 0)."""
        a, b = self.family.start, self.family.stop
        lo, hi = int(matrix.indptr[a]), int(matrix.indptr[b])
        row = np.repeat(np.arange(b - a), np.diff(matrix.indptr[a:b + 1]))
        cols, terms = matrix.indices[lo:hi], matrix.data[lo:hi] * x[matrix.indices[lo:hi]]
        mine = (cols >= self.users.start) & (cols < self.users.stop)
        use = np.bincount(row[mine], weights=terms[mine], minlength=b - a)
        gone = ~mine & (terms > 0)
        built = -np.bincount(row[~mine & ~gone], weights=terms[~mine & ~gone], minlength=b - a)
        retired = np.bincount(row[gone], weights=terms[gone], minlength=b - a)
        return use, built + 0.0, retired


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
    # balance contributions: (site, commodity, period) as integer codes of _names, cols,
    # coefs; names are coded once per call (pandas factorize), never compared as text
    _balance: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    _names: dict[str, pd.Index] = field(default_factory=lambda: {
        d: pd.Index([], dtype=object) for d in ("site", "commodity", "period")})
    # (columns, coefficients, category, period position of each term)
    objective_terms: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]] = field(
        default_factory=list)
    # category -> constant per period position (MUSD, discounted)
    offset_by_period: dict[str, np.ndarray] = field(default_factory=dict)
    builds: list[pd.DataFrame] = field(default_factory=list)
    num_cols: int = 0
    num_rows: int = 0
    # typed handles families share (see CapacityRows); None until their owner has run
    unit_capacity: CapacityRows | None = None
    link_capacity: CapacityRows | None = None
    frozen: bool = False  # set by arrays(): the terms are then in the matrix only

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
        self._check_open()
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        coefs = np.broadcast_to(np.asarray(coefs, dtype=float), rows.shape)
        keep = coefs != 0
        self._terms.append((rows[keep], cols[keep], coefs[keep].copy()))

    def add_balance(self, site: object, commodity: object, period: object, cols: np.ndarray,
                    coefs: object) -> None:
        """Contribute ``coefs * x[cols]`` to the balance of (site, commodity, period)."""
        self._check_open()
        cols = np.asarray(cols, dtype=np.int64)
        self._balance.append((
            self._code("site", site), self._code("commodity", commodity),
            self._code("period", period), cols,
            np.broadcast_to(np.asarray(coefs, dtype=float), cols.shape)))

    def _code(self, dim: str, values: object) -> np.ndarray:
        """Integer codes of ``values`` in dimension ``dim``: a name keeps the code it was
        first given (its position in ``_names[dim]``); names not seen before are appended.
        The values are factorised once and only their distinct names are looked up."""
        if not isinstance(values, pd.Series | pd.Categorical | np.ndarray):
            values = np.asarray(values, dtype=object)
        codes, uniques = pd.factorize(values)  # a Categorical is factorised on its codes
        known = self._names[dim]
        uniques = pd.Index(np.asarray(uniques, dtype=object))
        lut = known.get_indexer(uniques)
        new = lut < 0
        if new.any():
            lut[new] = len(known) + np.arange(int(new.sum()))
            self._names[dim] = known.append(uniques[new])
        return lut[codes] if len(lut) else np.zeros(len(codes), dtype=np.int64)

    def add_objective(self, cols: np.ndarray, coefs: object, category: str,
                      pos: object) -> None:
        """Add ``coefs * x[cols]`` (MUSD, discounted) to the maximised objective.

        ``pos``: the position of the period whose cash flow each term is (an array like
        ``cols``, or one position for all).
        """
        if category not in CATEGORIES:
            raise ValueError(f"unknown objective category {category!r}")
        cols = np.asarray(cols, dtype=np.int64)
        self.objective_terms.append((
            cols, np.broadcast_to(np.asarray(coefs, dtype=float), cols.shape).copy(), category,
            np.broadcast_to(np.asarray(pos, dtype=np.int64), cols.shape).copy()))

    def add_offset(self, by_period: np.ndarray, category: str) -> None:
        """Add constants (MUSD, discounted; one per period) to the objective, e.g. the
        fixed O&M of existing capacity."""
        v = np.asarray(by_period, dtype=float)
        old = self.offset_by_period.get(category)
        self.offset_by_period[category] = v.copy() if old is None else old + v

    @property
    def offset(self) -> dict[str, float]:
        """The objective's constants by category (MUSD, discounted)."""
        return {k: float(v.sum()) for k, v in self.offset_by_period.items()}

    def add_builds(self, cols: np.ndarray, records: pd.DataFrame) -> None:
        """Register what columns ``cols`` build, one record per column.

        ``records``: kind (unit, link, project, extension), name, period (construction
        start), overnight_musd (overnight cost per unit of the column), first_use, lifetime,
        lead, ramp — see :mod:`chainopt.case.vintage`.
        """
        self.builds.append(records.reset_index(drop=True).assign(col=np.asarray(cols)))

    def money_by_period(self, x: np.ndarray, periods: int) -> dict[str, np.ndarray]:
        """Each category's discounted MUSD by period at the solution ``x`` (offsets in)."""
        out: dict[str, np.ndarray] = {}
        for cols, coefs, category, pos in self.objective_terms:
            part = np.bincount(pos, weights=coefs * x[cols], minlength=periods)
            out[category] = out.get(category, 0.0) + part
        for category, v in self.offset_by_period.items():
            out[category] = out.get(category, 0.0) + v
        return out

    def balance_codes(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray],
                                     np.ndarray, np.ndarray]:
        """All balance contributions so far: the integer codes of site, commodity and
        period of every term, each dimension's names by code, the columns and the
        coefficients."""
        parts = list(zip(*self._balance, strict=True)) if self._balance else [()] * 5
        cat = lambda xs, dt: np.concatenate(xs) if xs else np.empty(0, dtype=dt)  # noqa: E731
        dims = ("site", "commodity", "period")
        codes = {d: cat(parts[i], np.int64) for i, d in enumerate(dims)}
        names = {d: np.asarray(self._names[d], dtype=object) for d in dims}
        return codes, names, cat(parts[3], np.int64), cat(parts[4], float)

    def balance_terms(self) -> pd.DataFrame:
        """All balance contributions so far, with names (site, commodity, period, col,
        coef)."""
        codes, names, cols, coefs = self.balance_codes()
        text = {d: names[d][codes[d]] if len(codes[d]) else np.empty(0, dtype=object)
                for d in codes}
        return pd.DataFrame(text | {"col": cols, "coef": coefs})

    def _check_open(self) -> None:
        if self.frozen:
            raise RuntimeError("the programme is already in matrix form (arrays() was "
                               "called); build a new LinearProgram to add terms")

    # -- finishing ----------------------------------------------------------------------
    def family(self, label: str) -> Family:
        for f in (*self.var_families, *self.row_families):
            if f.label == label:
                return f
        raise KeyError(label)

    def arrays(self, cost: np.ndarray, cost_by_category: dict[str, Matrix]) -> LPArrays:
        """Freeze into matrix form (:class:`Matrix`, rows compressed), summing duplicate
        coefficients, with the objective vector and its split by category
        (:func:`chainopt.models.objective.vectors`, which reads this programme; passed in
        so that the two modules do not import each other)."""
        cat = lambda xs, dt=float: np.concatenate(xs) if xs else np.empty(0, dtype=dt)  # noqa: E731
        terms, self._terms, self._balance = self._terms, [], []  # freed once in the matrix
        self.frozen = True
        r = cat([t[0] for t in terms], np.int64)
        c = cat([t[1] for t in terms], np.int64)
        v = cat([t[2] for t in terms])
        del terms
        a = Matrix.from_triplets(r, c, v, (self.num_rows, self.num_cols))
        del r, c, v
        out = LPArrays(
            cost=cost, col_lb=cat(self._lb), col_ub=cat(self._ub),
            integer=cat(self._int, bool), row_lb=cat(self._rlb), row_ub=cat(self._rub),
            matrix=a, offset=dict(self.offset), cost_by_category=cost_by_category,
        )
        self._lb, self._ub, self._int, self._rlb, self._rub = [], [], [], [], []  # in ``out``
        return out


@dataclass(frozen=True, eq=False)  # arrays: compare them with numpy, not ==
class Matrix:
    """A sparse matrix with its rows compressed (CSR): row ``i`` holds ``data[k]`` in
    column ``indices[k]`` for ``k`` in ``indptr[i] .. indptr[i+1]-1``, columns ascending,
    each at most once, no zeros. What HiGHS takes (``passModel``, row-wise).

    Made in numpy, not ``scipy.sparse`` (whose import costs 60-90 ms of every run): one
    stable sort of the entries by ``row * columns + column``, duplicates summed in the
    order they were given. Products with a vector sum each row's terms in column order,
    one after the other (``np.bincount`` with weights adds in input order), as scipy's
    ``csr_matvec`` does, so the numbers are the same to the last bit.
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def from_triplets(cls, rows: np.ndarray, cols: np.ndarray, values: np.ndarray,
                      shape: tuple[int, int]) -> Matrix:
        """``A[rows[k], cols[k]] += values[k]`` for every ``k``; sums that come to zero
        are dropped. An index outside the shape (e.g. the -1 of a key a family lacks) is
        an error: folded into ``row * n + column`` it would land in another row."""
        m, n = shape
        if float(m) * float(n) >= 2.0 ** 63:
            raise ValueError(f"a {m} x {n} matrix is too large to index")
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        for what, ix, size in (("row", rows, m), ("column", cols, n)):
            if len(ix) and (ix.min() < 0 or ix.max() >= size):
                raise ValueError(f"matrix {what} index out of range 0..{size - 1}: "
                                 f"{ix.min()} .. {ix.max()}")
        key = rows * n + cols
        order = np.argsort(key, kind="stable")  # equal keys keep the order they came in
        key = key[order]
        values = np.asarray(values, dtype=float)[order]
        first = np.ones(len(key), dtype=bool)
        np.not_equal(key[1:], key[:-1], out=first[1:])
        if not first.all():  # duplicates: add each run of equal keys, in order
            values = np.bincount(np.cumsum(first) - 1, weights=values)
            key = key[first]
        keep = values != 0
        if not keep.all():
            key, values = key[keep], values[keep]
        r = key // n  # no entry when n == 0: checked above
        small = max(m, n, len(key)) < 2 ** 31  # HiGHS's indices are 32-bit
        it = np.int32 if small else np.int64
        indptr = np.zeros(m + 1, dtype=it)
        np.cumsum(np.bincount(r, minlength=m), out=indptr[1:])
        return cls(indptr, (key - r * n).astype(it), values, (m, n))

    @classmethod
    def from_row(cls, dense: np.ndarray) -> Matrix:
        """A one-row matrix holding the nonzeros of the vector ``dense``."""
        cols = np.flatnonzero(dense)
        return cls(np.array([0, len(cols)], dtype=np.int64), cols, dense[cols],
                   (1, len(dense)))

    @property
    def nnz(self) -> int:
        return len(self.data)

    def row_of_entries(self) -> np.ndarray:
        """The row of each stored entry (the rows of the triplet form)."""
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        """``A x``: each row's products added one after the other, in column order; for
        a 2-D ``x``, so for each of its columns."""
        rows = self.row_of_entries()
        if x.ndim == 1:
            return np.bincount(rows, weights=self.data * x[self.indices],
                               minlength=self.shape[0])
        # every column at once: entry k's product with column j goes to cell
        # rows[k] * w + j of the flattened result, in the entries' order as above
        w = x.shape[1]
        cells = (rows[:, None] * w + np.arange(w)[None, :]).ravel()
        prod = (self.data[:, None] * x[self.indices]).ravel()
        return np.bincount(cells, weights=prod, minlength=self.shape[0] * w).reshape(
            self.shape[0], w)

    @property
    def T(self) -> Matrix:
        """The transpose: row ``j`` holds what column ``j`` holds here, in row order."""
        return Matrix.from_triplets(self.indices, self.row_of_entries(), self.data,
                                    (self.shape[1], self.shape[0]))

    def scaled_columns(self, w: np.ndarray) -> Matrix:
        """``A diag(w)``: column ``j`` times ``w[j]`` (an entry that becomes 0 goes)."""
        return Matrix.from_triplets(self.row_of_entries(), self.indices,
                                    self.data * w[self.indices], self.shape)

    def toarray(self) -> np.ndarray:
        out = np.zeros(self.shape)
        out[self.row_of_entries(), self.indices] = self.data
        return out


@dataclass(frozen=True, eq=False)
class LeverTerms:
    """What each policy lever moves at a plan ``x`` (made by
    :func:`chainopt.models.objective.lever_terms`): row ``r`` of ``matrix`` (``keys``:
    lever, kind, part, period) gives ``(matrix @ x)[r]``, the lever's MUSD a year in
    that period (+ for the chain), and ``weight[r] * (matrix @ x)[r]`` its discounted
    share of the objective part ``npv_<part>``."""

    keys: pd.DataFrame
    matrix: Matrix
    weight: np.ndarray


@dataclass
class LPArrays:
    """The finished programme in matrix form, ready for the solver."""

    cost: np.ndarray
    col_lb: np.ndarray
    col_ub: np.ndarray
    integer: np.ndarray
    row_lb: np.ndarray
    row_ub: np.ndarray
    matrix: Matrix
    offset: dict[str, float]
    cost_by_category: dict[str, Matrix]  # one row each
    levers: LeverTerms | None = None  # what the policy levers move (objective.lever_terms)

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    @property
    def total_offset(self) -> float:
        return float(sum(self.offset.values()))

