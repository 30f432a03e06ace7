"""Units of measure: converting values stated in another unit to the commodity's unit.

Every commodity declares its unit. A row of ``mode_flows``, ``supplies``, ``markets``
or ``demand`` may say ``stated_unit`` (e.g. crude in ``bbl``, gas priced per ``GJ``);
its quantities and prices, and those of its ``<table>_by_period.csv`` overrides, are
converted when the case is loaded, so the model only ever sees the commodity's own
unit. A ``mode_flows`` amount is commodity per activity unit: only the commodity side
is restated, the activity (and so the unit's capacity) keeps its own unit. Within a
dimension (mass, volume, energy) the factors of :data:`chainopt.case.schema.UNITS`
apply; across dimensions the commodity's ``density_t_per_m3`` (mass <-> volume) and
``energy_gj_per_t`` (mass <-> energy) are needed, and a conversion without them is an
error naming the row.

If one stated unit equals ``f`` commodity units, a quantity ``q`` becomes ``q * f``
and a price ``p`` (per stated unit) becomes ``p / f``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.codes import per_distinct
from chainopt.case.schema import UNITS

QUANTITY_COLUMNS = {"mode_flows": ["amount_per_unit"], "supplies": ["max_k_per_yr"],
                    "markets": ["max_k_per_yr", "min_k_per_yr"], "demand": ["amount_k_per_yr"]}
PRICE_COLUMNS = {"supplies": ["cost_usd_per_unit"], "markets": ["price_usd_per_unit"]}


def _to_tonnes(dim: str, density: float, energy: float) -> float:
    """How many t one base unit (t, m3 or GJ) of ``dim`` is; NaN if unknown."""
    if dim == "mass":
        return 1.0
    if dim == "volume":
        return density
    return 1.0 / energy if energy else np.nan


def factor(stated: str, target: str, density: float = np.nan, energy: float = np.nan) -> float:
    """Commodity units (``target``) in one ``stated`` unit; NaN when not convertible."""
    ds, fs = UNITS[stated]
    dt, ft = UNITS[target]
    if ds == dt:
        return fs / ft
    return fs * _to_tonnes(ds, density, energy) / _to_tonnes(dt, density, energy) / ft


def of_commodity(com: pd.DataFrame, c: str, target: str) -> float:
    """``target`` units in one unit of commodity ``c`` (``com``: commodities by name), by
    c's own density and energy content; NaN when the one needed is missing."""
    return factor(com.at[c, "unit"], target, com.at[c, "density_t_per_m3"],
                  com.at[c, "energy_gj_per_t"])


def basis_unit(basis: str) -> str:
    """The unit a blend's specs are averaged in: m3 on a ``volume`` basis, else t (``mass``
    and ``recipe``)."""
    return "m3" if basis == "volume" else "t"


def missing_inputs(stated: str, commodity: pd.Series, target: str | None = None) -> list[str]:
    """The commodity columns a conversion between ``stated`` and ``target`` (default: the
    commodity's unit) needs and lacks: ``density_t_per_m3`` when volume meets another
    dimension, ``energy_gj_per_t`` when energy does (volume <-> energy needs both)."""
    dims = {UNITS[stated][0], UNITS[target or commodity["unit"]][0]}
    if len(dims) == 1:
        return []
    need = [col for dim, col in (("volume", "density_t_per_m3"), ("energy", "energy_gj_per_t"))
            if dim in dims]
    return [col for col in need if not (pd.notna(commodity[col]) and commodity[col] > 0)]


def conversion_factors(table: pd.DataFrame, commodities: pd.DataFrame) -> pd.Series:
    """Per row of ``table``: the factor from its ``stated_unit`` to the commodity's unit."""
    com = commodities.set_index("commodity")
    stated = table["stated_unit"]
    need = (stated.ne("") & stated.ne(table["commodity"].map(com["unit"]))).to_numpy()
    out = np.ones(len(table))
    pairs = table.loc[need, ["stated_unit", "commodity"]]
    out[need] = per_distinct(lambda u, c: factor(u, com.at[c, "unit"],
                                                 com.at[c, "density_t_per_m3"],
                                                 com.at[c, "energy_gj_per_t"]),
                             pairs["stated_unit"], pairs["commodity"])
    return pd.Series(out, index=table.index)


def apply(table: pd.DataFrame, name: str, f: pd.Series) -> pd.DataFrame:
    """``table`` with quantities multiplied and prices divided by ``f``."""
    out = table.copy()
    for col in QUANTITY_COLUMNS.get(name, []):
        if col in out.columns:
            out[col] = out[col] * f
    for col in PRICE_COLUMNS.get(name, []):
        if col in out.columns:
            out[col] = out[col] / f
    return out
