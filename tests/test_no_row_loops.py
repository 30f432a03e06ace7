"""No Python loop over rows in load, validate, index, matrix, solve hand-over or extract
(issue 17, item 6).

A loop over rows makes as many Python calls as there are rows; work on whole columns
(integer codes, one factorisation per column, a lookup per distinct name in a handful of
names) makes a number of calls that does not depend on the rows. So: run the same
generated case with 80 and with 160 sites (twice the rows of every site-level table,
every period-expanded frame and the LP) and count, for each of chainopt's own functions,
the calls it makes itself. A loop over sites, units, links or (site, period) rows would
add at least one call per added site (80); the bound below leaves half of that for
counts that follow the solution (how many families have binding rows), not the rows.

Float text for the input hash is made on the column path (``csvtext.SMALL = 0``), as for
a large case; below that size pandas' own ``to_csv`` formats cell by cell, by design.

``chainopt explain`` of a saved run writes a line per site its netbacks walk through, so
its own calls grow with the sites; its calls into pandas must not (a pandas filter per
site visited made explain of a 300k-variable run take 19 s).
"""

from __future__ import annotations

import cProfile
import pstats
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate_case
from chainopt import api, csvtext
from chainopt.case.schema import FEW_CELLS as FEW

ADDED_SITES = 80
ALLOWED_GROWTH = ADDED_SITES // 2


def _calls_made(folder: Path) -> tuple[dict[tuple, int], int]:
    """Calls each chainopt function makes directly in one ``api.run`` (no saving), and
    the LP's number of columns."""
    api.run(folder, save=False)  # imports and first-call caches out of the count
    prof = cProfile.Profile()
    prof.enable()
    res = api.run(folder, save=False)
    prof.disable()
    made: dict[tuple, int] = {}
    for _callee, (_cc, _nc, _tt, _ct, callers) in pstats.Stats(prof).stats.items():
        for caller, counts in callers.items():
            if f"{Path('chainopt')}/" in caller[0].replace("\\", "/"):
                made[caller] = made.get(caller, 0) + counts[0]
    return made, int(res.manifest["num_vars"])


def test_calls_do_not_grow_with_the_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(csvtext, "SMALL", 0)
    small, n_small = _calls_made(generate_case(tmp_path / "a", ADDED_SITES, 6, 15, 4, seed=1))
    large, n_large = _calls_made(generate_case(tmp_path / "b", 2 * ADDED_SITES, 6, 15, 4,
                                               seed=1))
    assert n_large > 1.8 * n_small  # the rows did double
    growth = {f"{Path(k[0]).name}:{k[1]} {k[2]}": large.get(k, 0) - small.get(k, 0)
              for k in set(small) | set(large)}
    loops = {k: g for k, g in growth.items() if g > ALLOWED_GROWTH}
    assert not loops, (f"calls grow with the rows ({n_small} -> {n_large} columns): a loop "
                       f"over rows in {loops}")


def _pandas_calls_of_explain(folder: Path) -> int:
    """Calls explain's own functions make into pandas in its text of one run
    (:func:`chainopt.report.explain.why_lines`, as ``chainopt explain FOLDER``), but for
    the steps of iterating over a column (``__iter__``: the dictionaries made once per
    table, whose rows are Python's work, not pandas')."""
    from chainopt.report import explain

    res = api.run(folder, save=False)
    explain.why_lines(res.tables, res.manifest)  # first-call caches out of the count
    prof = cProfile.Profile()
    prof.enable()
    explain.why_lines(res.tables, res.manifest)
    prof.disable()
    return sum(counts[0] for callee, (_cc, _nc, _tt, _ct, callers)
               in pstats.Stats(prof).stats.items()
               if f"{Path('pandas')}/" in callee[0].replace("\\", "/")
               and callee[2] != "__iter__"
               for caller, counts in callers.items()
               if caller[0].replace("\\", "/").endswith("chainopt/report/explain.py"))


def test_explain_calls_pandas_as_often_whatever_the_sites(tmp_path):
    """The 160-site case's netbacks walk through about twice the sites of the 80-site
    one's, each site a purchase, a unit's modes and their flows looked up: in
    dictionaries made once per period, not by a pandas filter per site."""
    small = _pandas_calls_of_explain(generate_case(tmp_path / "a", ADDED_SITES, 6, 15, 4,
                                                   seed=1))
    large = _pandas_calls_of_explain(generate_case(tmp_path / "b", 2 * ADDED_SITES, 6, 15, 4,
                                                   seed=1))
    assert large - small <= ALLOWED_GROWTH, (small, large)


@pytest.mark.parametrize("few", [0, 10**6])  # pandas' string methods; one cell at a time
@pytest.mark.parametrize("cells", [["a; b", "", "c", "a; b", " ;d;", 7], []])
def test_split_list_splits_each_distinct_cell_the_same_way(cells, few, monkeypatch):
    """Splitting per distinct cell gives, row by row, what splitting every row gives, in
    pandas or in Python (a few distinct cells): a number is its text."""
    import pandas as pd

    from chainopt.case import schema
    from chainopt.case.schema import split_list

    monkeypatch.setattr(schema, "FEW_CELLS", few)
    s = pd.Series(cells, index=range(10, 10 + len(cells)), dtype=object)
    got = split_list(s)
    want = ({10: ["a", "b"], 12: ["c"], 13: ["a", "b"], 14: ["d"], 15: ["7"]} if cells
            else {})
    assert {i: list(got[got.index == i]) for i in set(got.index)} == want
    assert list(got.index) == sorted(got.index)  # rows in order, items in order


def test_list_items_takes_each_row_once_per_item_by_position():
    """Projects a, b, c, d retiring "u1; u2", nothing, a blank cell and " u3 ": a twice
    (u1, u2), d once (u3), each row with its own label; a and b share the label 7, which
    a join on the index crossed (b took a's units)."""
    import numpy as np
    import pandas as pd

    from chainopt.case.schema import list_items

    frame = pd.DataFrame({"project": ["a", "b", "c", "d"], "state": ["on", "on", "on", "off"],
                          "retires_units": ["u1; u2", "", np.nan, " u3 "]},
                         index=[7, 7, 2, 9])
    got = list_items(frame, "retires_units", "unit", ["project", "state"])
    assert got.to_dict("split") == {"index": [7, 7, 9], "columns": ["project", "state", "unit"],
                                    "data": [["a", "on", "u1"], ["a", "on", "u2"],
                                             ["d", "off", "u3"]]}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="ab ;\t", max_size=6), st.none()), max_size=12),
       st.sampled_from(["python", "pyarrow"]))
def test_split_list_in_python_and_in_pandas_agree(cells, storage):
    """The two ways :func:`split_list` splits (one cell at a time for a few distinct
    cells, pandas' string methods for more) give the same items, index and type, a
    missing cell included (one missing item)."""
    import pandas as pd

    from chainopt.case import schema
    from chainopt.case.storage import text_storage

    s = pd.Series(cells, index=[f"r{i}" for i in range(len(cells))], dtype=object)
    with text_storage(storage):
        try:
            schema.FEW_CELLS, in_pandas = 0, schema.split_list(s)
        except AttributeError:  # pandas: no string method on a column of missing cells
            return
        finally:
            schema.FEW_CELLS = FEW
        pd.testing.assert_series_equal(schema.split_list(s), in_pandas, check_exact=True)
