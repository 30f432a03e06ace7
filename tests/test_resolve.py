"""Re-solving a variant on the previous model and basis gives the cold-solve answer."""

from __future__ import annotations

import pytest

from chainopt import api
from chainopt.case.load import read_raw
from chainopt.case.schema import RawCase
from chainopt.case.validate import validate
from chainopt.models.build import build
from chainopt.solve import resolve


def _variant(factor: float):
    raw = read_raw("small_chain")
    tables = dict(raw.tables)
    mk = tables["markets"].copy()
    hdpe = mk["commodity"] == "hdpe"
    mk.loc[hdpe, "price_usd_per_unit"] = (mk.loc[hdpe, "price_usd_per_unit"].astype(float)
                                          * factor).astype(str)
    tables["markets"] = mk
    return validate(RawCase(meta=raw.meta, tables=tables, origin=raw.origin))


@pytest.mark.parametrize("factor", [0.6, 0.9, 1.3])
def test_warm_resolve_matches_cold_solve(factor):
    base = api.build_model(api.load_case("small_chain"))
    api.solve(base)
    variant = build(_variant(factor), pyomo=False)
    warm = resolve(base, variant)
    assert variant.timings["warm_start"] == 1.0
    cold_built = api.build_model(_variant(factor))
    cold = api.solve(cold_built)
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    w = api.extract_results(variant, warm)["activity"]["activity_k_per_yr"]
    c = api.extract_results(cold_built, cold)["activity"]["activity_k_per_yr"]
    assert w.to_numpy() == pytest.approx(c.to_numpy(), abs=1e-6)
