"""Columns and rows in the user's names and units.

Every column and row maps back to user names through the key frames of the
``LinearProgram``'s families (``var_families`` / ``row_families``). Money is turned
back into the case's units like :func:`chainopt.extract._per_unit`: a dual in
discounted MUSD per k units/yr divided by ``w_t / 1000`` is USD per unit in the money
of period t. Which unit a family's marginal values take (``value_unit``) and how its
rows scale (``scale``) is declared in its spec (:mod:`chainopt.models.registry`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from chainopt.models import MUSD_PER_KUSD
from chainopt.models.build import BuiltModel
from chainopt.models.lp import Family
from chainopt.models.registry import spec

_SAFE = re.compile(r"[^A-Za-z0-9_.,()\-]")


def key_text(keys: pd.DataFrame) -> np.ndarray:
    """``"unit=tob_pe, period=p2026"`` for every row of a key frame."""
    if keys.shape[1] == 0:
        return np.full(len(keys), "", dtype=object)
    out = None
    for c in keys.columns:
        part = c + "=" + keys[c].astype(str)
        out = part if out is None else out + ", " + part
    return out.to_numpy(dtype=object)


def names(families: list[Family]) -> list[str]:
    """``label(key,key,...)`` for every column or row of ``families``, made safe for MPS/LP."""
    out: list[str] = []
    for f in families:
        if f.stop == f.start:
            continue
        if f.keys.shape[1] == 0:
            out.extend(f"{f.label}({i})" for i in range(f.stop - f.start))
            continue
        vals = None
        for c in f.keys.columns:
            v = f.keys[c].astype(str)
            vals = v if vals is None else vals + "," + v
        out.extend(_SAFE.sub("_", f"{f.label}({v})") for v in vals)
    return out


def name_of(families: list[Family], i: int) -> str:
    """The readable name of column or row ``i`` alone (no full name list needed)."""
    for f in families:
        if f.start <= i < f.stop:
            k = f.keys.iloc[i - f.start]
            inner = ",".join(str(v) for v in k.to_numpy()) if len(k) else str(i - f.start)
            return _SAFE.sub("_", f"{f.label}({inner})")
    return str(i)


def column_names(built: BuiltModel) -> list[str]:
    """``conversion.activity(tob_cdu,cdu_run,p2026)`` for every column (HiGHS rejects ``[]``)."""
    return names(built.lp.var_families)


def row_names(built: BuiltModel) -> list[str]:
    """``conversion.capacity_max(tob_cdu,p2026)`` for every row."""
    return names(built.lp.row_families)


def locate(families: list[Family], idx: np.ndarray) -> pd.DataFrame:
    """family, key, period of the columns or rows ``idx``."""
    rows = []
    for f in families:
        sel = idx[(idx >= f.start) & (idx < f.stop)]
        if not len(sel):
            continue
        k = f.keys.iloc[sel - f.start].reset_index(drop=True)
        rows.append(pd.DataFrame({
            "index": sel, "family": f.label, "key": key_text(k),
            "period": k["period"].astype(str).to_numpy() if "period" in k else "",
            **{c: k[c].astype(str).to_numpy() for c in ("site", "commodity", "unit", "link")
               if c in k}}))
    if not rows:
        return pd.DataFrame(columns=["index", "family", "key", "period"])
    out = pd.concat(rows, ignore_index=True)
    return out.set_index("index").loc[idx].reset_index()


def money(built: BuiltModel, fam: Family) -> tuple[np.ndarray, str]:
    """Divisor turning a dual of ``fam`` into the case's money, and its unit (the
    family's ``value_unit``: period money, or NPV per unit, or NPV of a project)."""
    n = fam.stop - fam.start
    unit = spec(fam.label).value_unit
    if unit == "MUSD (NPV)":
        return np.ones(n), unit
    if unit == "USD per unit (NPV)" or "period" not in fam.keys:
        return np.full(n, MUSD_PER_KUSD), "USD per unit (NPV)"
    return MUSD_PER_KUSD * built.index.weight(fam.keys["period"]), unit


def row_scale(built: BuiltModel, fam: Family) -> np.ndarray:
    """Row units per user unit: the spec's ``scale`` column (a unit's capacity row counts
    capacity x availability), else 1."""
    scale = spec(fam.label).scale
    if scale is None:
        return np.ones(fam.stop - fam.start)
    frame, column = scale
    on = list(fam.keys.columns)
    m = fam.keys.merge(getattr(built.index, frame)[[*on, column]], on=on, how="left")
    s = m[column].fillna(1.0).to_numpy(dtype=float)
    return np.where(s > 0, s, 1.0)


def quantity_unit(built: BuiltModel, keys: pd.DataFrame) -> np.ndarray:
    """The commodity's unit for every row of a key frame ("" where it names none)."""
    if "commodity" not in keys:
        return np.full(len(keys), "", dtype=object)
    units = built.case.tables["commodities"].set_index("commodity")["unit"]
    return keys["commodity"].map(units).fillna("").astype(str).to_numpy(dtype=object)


def clean(x: np.ndarray) -> np.ndarray:
    """Round away solver noise (|x| < 1e-9 -> 0, no negative zeros)."""
    x = np.where(np.abs(x) < 1e-9, 0.0, x)
    return x + 0.0
