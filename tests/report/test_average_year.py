"""The words of a mid-period warning: which rows and bounds a build breaks, in which
order (:func:`chainopt.report.average_year._others` and ``_broken``)."""

import numpy as np
import pandas as pd

from chainopt.report.average_year import _broken, _others


def test_breaks_are_told_largest_first_each_sides_in_order_of_their_first_year():
    """Five breaks of three rows, worked out by hand: f1 (k1) is above its upper bound in
    2029 (by 2) and 2030 (by 3) and below its lower bound 0 in 2028 (by 1): two sides,
    the lower first (2028 before 2029), its excess the largest of both, 3; f2 (k2) below 0
    in 2027 by 5; f3 (k3) above in 2031 by 5. Largest first, the two of 5 in the order
    the breaks first name them (f2, then f3), then f1; the words name the first two."""
    hit = pd.DataFrame({
        "family": ["f1", "f1", "f2", "f1", "f3"], "key": ["k1", "k1", "k2", "k1", "k3"],
        "side": ["upper", "upper", "lower", "lower", "upper"],
        "year": [2029, 2030, 2027, 2028, 2031],
        "bound": [np.nan, np.nan, 0.0, 0.0, np.nan], "excess": [2.0, 3.0, 5.0, 1.0, 5.0]})
    others = _others(hit)
    assert [(f, k, e) for f, k, _, e in others] == [("f2", "k2", 5.0), ("f3", "k3", 5.0),
                                                    ("f1", "k1", 3.0)]
    sides = others[2][2]
    assert sides[0] == ("lower", 0.0, 1.0, [2028])
    assert sides[1][0] == "upper" and np.isnan(sides[1][1])
    assert sides[1][2:] == (3.0, [2029, 2030])
    assert _broken(others, "p1") == (3, (
        "beyond 3 other yearly limits of p1 year by year (e.g. f2 (k2), below its lower "
        "bound 0 by 5 in 2027; f3 (k3), above its upper bound by 5 in 2031)"))
