"""Price tiers of markets and supplies: tier 1 and the further tiers as two families.

A market or supply row is keyed by (site, commodity, tier); most cases have one tier
per site and commodity. So that every case without tiers builds exactly the model it
built before (names ``market.sales(s,c,t)``, Pyomo indices ``[s, c, t]`` that user
extensions use), tier 1 lives in the family ``block.name`` keyed by (site, commodity,
period) and tiers 2, 3, ... in ``block.name_tier`` keyed by (site, commodity, tier,
period). The helpers here add both and return ids aligned with the index frame.

Where a site and commodity has further tiers, its tier 1 is named so in the user's words
(explain, the insight tables' ``key``: ``tier=1``, :func:`further`); without further
tiers it is the market or supply, named as before.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from chainopt.models.lp import Family, LinearProgram

BASE = ["site", "commodity", "period"]
TIERED = ["site", "commodity", "tier", "period"]


def _split(frame: pd.DataFrame) -> np.ndarray:
    return frame["tier"].to_numpy(float) == 1


def _pick(v: object, sel: np.ndarray) -> object:
    arr = np.asarray(v)
    return arr[sel] if arr.ndim and len(arr) == len(sel) else v


def add_vars(lp: LinearProgram, block: str, name: str, frame: pd.DataFrame, lb: object = 0.0,
             ub: object = np.inf) -> np.ndarray:
    """Columns for every row of ``frame`` (tier 1 in ``name``, others in ``name_tier``)."""
    return _tiered(lp.add_vars, block, name, frame, lb, ub)


def add_rows(lp: LinearProgram, block: str, name: str, frame: pd.DataFrame, lb: object = -np.inf,
             ub: object = np.inf) -> np.ndarray:
    """Rows for every row of ``frame`` (tier 1 in ``name``, others in ``name_tier``)."""
    return _tiered(lp.add_rows, block, name, frame, lb, ub)


def _tiered(add: Callable[..., np.ndarray], block: str, name: str, frame: pd.DataFrame,
            lb: object, ub: object) -> np.ndarray:
    """Ids from ``add`` (``lp.add_vars`` or ``lp.add_rows``) for every row of ``frame``:
    tier-1 rows keyed without a tier in ``name``, the others in ``name_tier``."""
    first = _split(frame)
    ids = np.empty(len(frame), dtype=np.int64)
    ids[first] = add(block, name, frame.loc[first, BASE], lb=_pick(lb, first),
                     ub=_pick(ub, first))
    if (~first).any():
        ids[~first] = add(block, f"{name}_tier", frame.loc[~first, TIERED],
                          lb=_pick(lb, ~first), ub=_pick(ub, ~first))
    return ids


def ids(lp: LinearProgram, label: str, frame: pd.DataFrame, rows: bool = False) -> np.ndarray:
    """Ids of family ``label`` (and ``label_tier``) for every row of ``frame`` (-1: none)."""
    first = _split(frame)
    out = np.full(len(frame), -1, dtype=np.int64)
    for sel, lab, key in ((first, label, BASE), (~first, f"{label}_tier", TIERED)):
        if not sel.any():
            continue
        fams = lp.row_families if rows else lp.var_families
        fam = next((f for f in fams if f.label == lab), None)
        if fam is not None:
            out[sel] = fam.ids(frame.loc[sel, key].reset_index(drop=True), key)
    return out


def further(lp: LinearProgram, fam: Family) -> np.ndarray | None:
    """For a tier-1 family (keyed by site, commodity and period, in a block with tier
    families: ``supply.purchase``, ``market.sales``, ``market.shortfall``,
    ``market.demand_min``), which of its elements belong to a site and commodity that
    has further tiers (a column of its block's tier families holds it, in any period);
    ``None`` for every other family."""
    if list(fam.keys.columns) != BASE:
        return None
    tiered = [f.keys[BASE[:2]] for f in lp.var_families
              if f.block == fam.block and f.name.endswith("_tier")]
    if not tiered:
        return None
    pairs = pd.MultiIndex.from_frame(pd.concat(tiered, ignore_index=True))
    return pd.MultiIndex.from_frame(fam.keys[BASE[:2]]).isin(pairs)
