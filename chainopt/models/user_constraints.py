"""User constraints: named linear relations between model quantities, written as data.

``constraints.csv`` names each relation, its sense and right-hand side (by period);
``constraint_terms.csv`` lists its terms: a quantity, a coefficient and selectors
(site, to_site, commodity, unit, mode, link, transport_mode, blend; blank = any;
``blend`` selects the production and consumption of one blend). For every period t in
which the constraint applies:

    user.relation[k,t]:  sum_terms coef * sum(selected quantity in t)  (<=, >=, =)  rhs_kt

Quantities (k units/yr): ``activity`` (of units/modes), ``production`` and
``consumption`` of a commodity (by modes and blends), ``flow`` (entering links, before
their loss; site selects the origin, to_site the destination, transport_mode the link's
mode: every rail flow), ``sales`` (to markets, every tier; not hard demand) and
``purchase`` (every tier). Each period's row stands alone. Example:
premium >= 0.4 x regular is two ``production`` terms, coef 1 and -0.4, sense ``>=``,
rhs 0. What a term selects is :func:`chainopt.case.terms.select`'s answer; a term that
selects nothing, or commodities in different units, is an input error naming its row,
found by ``chainopt validate`` already.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case import terms
from chainopt.case.index import ModelIndex
from chainopt.errors import InputError
from chainopt.models import blending, conversion, market, supply, tiers, transport
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import FamilySpec, Row, Var

RELATION = Row(
    "user", "relation", dims=("constraint", "period"),
    sense="per row",
    noun="user constraint {constraint}", results="constraints",
    what="right-hand side", ranging=True, own_coefficients=True,
    source=("constraints", "rhs"))
SPEC = FamilySpec("user", inputs="constraints.csv rhs / constraint_terms.csv coef",
                  rows=(RELATION,))


def _columns(lp: LinearProgram, ix: ModelIndex, picked: pd.DataFrame) -> np.ndarray:
    """The model column of each selected element (its ``source`` frame's row ``pos``)."""
    def fam(var: Var) -> np.ndarray:
        f = lp.family(var.label)
        return np.arange(f.start, f.stop)

    of = {"activity": fam(conversion.ACTIVITY), "blend": fam(blending.BLEND),
          "flow": fam(transport.FLOW),
          "sales": tiers.ids(lp, market.SALES.label, ix.sales),
          "purchase": tiers.ids(lp, supply.PURCHASE.label, ix.purchase)}
    cols = np.empty(len(picked), dtype=np.int64)
    source, pos = picked["source"].to_numpy(), picked["pos"].to_numpy(dtype=np.int64)
    for name, ids in of.items():
        at = source == name
        cols[at] = ids[pos[at]]
    return cols


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    cons = ix.constraints
    if cons.empty:
        return
    lo = np.where(cons["sense"] == "<=", -np.inf, cons["rhs"])
    hi = np.where(cons["sense"] == ">=", np.inf, cons["rhs"])
    rows = lp.add_rows("user", "relation", cons[["constraint", "period"]], lb=lo, ub=hi)
    picked, problems = terms.select(ix)  # validation asked the same: none when validated
    if problems:
        raise InputError(problems)
    at = picked.merge(cons[["constraint", "period"]].assign(_row=rows),
                      on=["constraint", "period"], how="left")
    lp.add_terms(at["_row"].to_numpy(), _columns(lp, ix, at), at["coef"].to_numpy(float))
