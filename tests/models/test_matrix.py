"""Matrix: the programme's coefficients with rows compressed (CSR), made in numpy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from chainopt.models.lp import Matrix


def test_triplets_to_rows_by_hand():
    """A 3 x 4 matrix given out of order, with (0,1) given three times (2 + 3 - 1 = 4)
    and (2,0) twice summing to zero (dropped):

        row 0: col 1 = 4, col 3 = 5
        row 1: (empty)
        row 2: col 2 = 7
    """
    r = np.array([2, 0, 0, 2, 0, 2, 0])
    c = np.array([2, 3, 1, 0, 1, 0, 1])
    v = np.array([7.0, 5.0, 2.0, 1.5, 3.0, -1.5, -1.0])
    a = Matrix.from_triplets(r, c, v, (3, 4))
    assert a.indptr.tolist() == [0, 2, 2, 3]
    assert a.indices.tolist() == [1, 3, 2]
    assert a.data.tolist() == [4.0, 5.0, 7.0]
    assert a.nnz == 3 and a.shape == (3, 4)
    assert a.row_of_entries().tolist() == [0, 0, 2]
    # A x with x = (1, 10, 100, 1000): 4*10 + 5*1000, 0, 7*100
    assert (a @ np.array([1.0, 10.0, 100.0, 1000.0])).tolist() == [5040.0, 0.0, 700.0]
    assert a.toarray().tolist() == [[0, 4, 0, 5], [0, 0, 0, 0], [0, 0, 7, 0]]


def test_transpose_column_scaling_and_products_with_columns_by_hand():
    """The same 3 x 4 matrix [[0, 4, 0, 5], [0, 0, 0, 0], [0, 0, 7, 0]] (what the year
    check's least squares need, which scipy.sparse did before):

    * its transpose, 4 x 3: row 1 holds 4 in column 0, row 2 holds 7 in column 2, row 3
      holds 5 in column 0, row 0 is empty;
    * A diag(2, 0, -1, 3): [[0, 0, 0, 15], [0, 0, 0, 0], [0, 0, -7, 0]], the entry
      scaled by 0 gone;
    * A X for X with the columns (1, 10, 100, 1000) and (1, 1, 1, 1): (5040, 0, 700) and
      (9, 0, 7), each column as A x gives it; X with no column gives a 3 x 0 result."""
    a = Matrix.from_triplets(np.array([0, 0, 2]), np.array([1, 3, 2]),
                             np.array([4.0, 5.0, 7.0]), (3, 4))
    t = a.T
    assert t.shape == (4, 3)
    assert t.indptr.tolist() == [0, 0, 1, 2, 3]
    assert t.indices.tolist() == [0, 2, 0] and t.data.tolist() == [4.0, 7.0, 5.0]
    assert t.toarray().tolist() == a.toarray().T.tolist()
    s = a.scaled_columns(np.array([2.0, 0.0, -1.0, 3.0]))
    assert s.toarray().tolist() == [[0, 0, 0, 15], [0, 0, 0, 0], [0, 0, -7, 0]]
    assert s.nnz == 2
    x = np.array([[1.0, 1.0], [10.0, 1.0], [100.0, 1.0], [1000.0, 1.0]])
    assert (a @ x).tolist() == [[5040.0, 9.0], [0.0, 0.0], [700.0, 7.0]]
    assert (a @ np.zeros((4, 0))).shape == (3, 0)


def test_duplicates_add_in_the_order_given():
    """0.1 + 0.2 + 0.3 in that order is 0.6000000000000001; 0.3 + 0.2 + 0.1 is 0.6: the
    sum of a repeated entry follows the order its terms were added in."""
    a = Matrix.from_triplets(np.zeros(3, int), np.zeros(3, int), np.array([0.1, 0.2, 0.3]),
                             (1, 1))
    b = Matrix.from_triplets(np.zeros(3, int), np.zeros(3, int), np.array([0.3, 0.2, 0.1]),
                             (1, 1))
    assert a.data.tolist() == [(0.1 + 0.2) + 0.3] == [0.6000000000000001]
    assert b.data.tolist() == [(0.3 + 0.2) + 0.1] == [0.6]


def test_the_same_numbers_as_scipy_to_the_last_bit():
    """Against scipy.sparse (what chainopt used before) on random triplets with many
    repeated entries: the same rows, columns and values, and the same A x bit for bit.
    Rows hold at most 16 entries, where scipy sorts a row's repeated entries stably."""
    rng = np.random.default_rng(7)
    m, n, k = 300, 40, 3000
    r = rng.integers(0, m, k)
    c = rng.integers(0, n, k)
    v = rng.normal(size=k) * 10.0 ** rng.integers(-6, 6, k)
    v[rng.random(k) < 0.05] = 0.0
    assert np.bincount(r).max() <= 30 and len(np.unique(r * n + c)) < k  # repeats exist
    rows = np.bincount(r, minlength=m)
    keep = rows[r] <= 16
    r, c, v = r[keep], c[keep], v[keep]
    mine = Matrix.from_triplets(r, c, v, (m, n))
    ref = sp.csr_matrix((v, (r, c)), shape=(m, n))
    ref.sum_duplicates()
    ref.eliminate_zeros()
    assert np.array_equal(mine.indptr, ref.indptr)
    assert np.array_equal(mine.indices, ref.indices)
    assert np.array_equal(mine.data.view(np.int64), ref.data.view(np.int64))
    x = rng.normal(size=n)
    assert np.array_equal((mine @ x).view(np.int64), (ref @ x).view(np.int64))


def test_one_row_keeps_the_nonzeros():
    row = Matrix.from_row(np.array([0.0, 2.5, 0.0, -1.0]))
    assert (row.indptr.tolist(), row.indices.tolist(), row.data.tolist()) == (
        [0, 2], [1, 3], [2.5, -1.0])
    assert (row @ np.array([9.0, 2.0, 9.0, 3.0])).tolist() == [2.0]  # 2.5*2 - 1*3


def test_an_index_outside_the_shape_is_an_error():
    """In a 3 x 4 matrix, column 4 would fold into row + 1 (key 0*4 + 4 = 1*4 + 0) and
    column -1 into the row before: both refused, as is row 3."""
    for r, c in (([0], [4]), ([1], [-1]), ([3], [0])):
        with pytest.raises(ValueError, match="index out of range"):
            Matrix.from_triplets(np.array(r), np.array(c), np.array([1.0]), (3, 4))


def test_an_empty_matrix():
    a = Matrix.from_triplets(np.zeros(0, int), np.zeros(0, int), np.zeros(0), (2, 3))
    assert a.indptr.tolist() == [0, 0, 0] and a.nnz == 0
    assert (a @ np.ones(3)).tolist() == [0.0, 0.0]
