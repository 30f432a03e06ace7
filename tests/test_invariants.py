"""Invariants recomputed from the result tables alone (no model code involved).

For every (site, commodity, period): purchases + production - consumption
+ deliveries in - shipments out - sales = 0; no unit runs above availability x
capacity; no link carries more than its capacity; sales stay within caps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainopt import api

KEY = ["site", "commodity", "period"]


def _net(res) -> pd.Series:
    parts = [
        res["purchases"].groupby(KEY)["purchase_k_per_yr"].sum(),
        res["production"].groupby(KEY)["produced_k_per_yr"].sum(),
        -res["production"].groupby(KEY)["consumed_k_per_yr"].sum(),
        res["flows"].rename(columns={"to_site": "site"}).groupby(KEY)["delivered_k_per_yr"].sum(),
        -res["flows"].rename(columns={"from_site": "site"}).groupby(KEY)["flow_k_per_yr"].sum(),
        -res["sales"].groupby(KEY)["sales_k_per_yr"].sum(),
    ]
    return pd.concat(parts, axis=1).fillna(0.0).sum(axis=1)


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SOURCES = ["small_chain", "ru_eastwest", str(EXAMPLES / "refinery_planning"),
           str(EXAMPLES / "petchem_investment")]


@pytest.fixture(scope="module", params=SOURCES)
def solved(request):
    res = api.run(request.param, save=False)
    res.manifest["_source"] = request.param
    return res


def test_every_balance_closes(solved):
    net = _net(solved)
    scale = 1 + solved["production"]["produced_k_per_yr"].abs().max()
    assert np.abs(net.to_numpy()).max() < 1e-6 * scale, net[np.abs(net) > 1e-6 * scale]


def test_no_capacity_exceeded(solved):
    cap = solved["capacity"]
    units = cap[cap["kind"] == "unit"]
    case = api.load_case(solved.manifest["_source"])
    avail = case.tables["units"].set_index("unit")["availability"]
    limit = units["total_k_per_yr"] * units["name"].map(avail)
    assert (units["used_k_per_yr"] <= limit + 1e-6).all()
    links = cap[(cap["kind"] == "link") & cap["total_k_per_yr"].notna()]
    assert (links["used_k_per_yr"] <= links["total_k_per_yr"] + 1e-6).all()


def test_sales_within_caps_and_bounds(solved):
    s = solved["sales"]
    capped = s["max_k_per_yr"].notna()
    assert (s.loc[capped, "sales_k_per_yr"] <= s.loc[capped, "max_k_per_yr"] + 1e-6).all()
    p = solved["purchases"]
    capped = p["max_k_per_yr"].notna()
    assert (p.loc[capped, "purchase_k_per_yr"] <= p.loc[capped, "max_k_per_yr"] + 1e-6).all()
    assert (s["sales_k_per_yr"] >= -1e-9).all() and (p["purchase_k_per_yr"] >= -1e-9).all()


def test_objective_equals_its_parts(solved):
    k = solved["kpis"]
    parts = k[k["kpi"].str.startswith("npv_")]["value"].sum()
    assert parts == pytest.approx(solved.objective, rel=1e-9)


def test_same_case_same_tables_twice(tmp_path):
    """Two runs of the same case write byte-identical result tables."""
    a = api.run("small_chain", out=tmp_path, name="a")
    b = api.run("small_chain", out=tmp_path, name="b")
    del a, b
    for f in sorted((tmp_path / "a").glob("*.csv")):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name
