"""User constraints: named linear relations between model quantities, written as data.

``constraints.csv`` names each relation, its sense and right-hand side (by period);
``constraint_terms.csv`` lists its terms: a quantity, a coefficient and selectors
(site, commodity, unit, mode, link, blend; blank = any; ``blend`` selects the
production and consumption of one blend). For every period t in which the
constraint applies:

    user.relation[k,t]:  sum_terms coef * sum(selected quantity in t)  (<=, >=, =)  rhs_kt

Quantities (k units/yr): ``activity`` (of units/modes), ``production`` and
``consumption`` of a commodity (by modes and blends), ``flow`` (entering links; site
selects the origin), ``sales`` and ``purchase``. Example: premium >= 0.4 x regular
is two ``production`` terms, coef 1 and -0.4, sense ``>=``, rhs 0. A term that
selects nothing is an input error naming its row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.index import ModelIndex
from chainopt.errors import InputError, Problem
from chainopt.models import blending, conversion, market, supply, tiers, transport
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import FamilySpec, Row, Var

RELATION = Row(
    "user", "relation", dims=("constraint", "period"),
    unit="the constraint's terms (k units/yr x coef)", sense="per row",
    noun="user constraint {constraint}", vintage="period", results="constraints",
    what="right-hand side", ranging=True, own_coefficients=True)
SPEC = FamilySpec("user", inputs="constraints.csv rhs / constraint_terms.csv coef",
                  rows=(RELATION,))

SELECTORS = ("site", "commodity", "unit", "mode", "link", "blend")


def _candidates(lp: LinearProgram, ix: ModelIndex) -> dict[str, pd.DataFrame]:
    """Per quantity: the columns it sums, with selector columns and a multiplier."""
    def fam(var: Var) -> np.ndarray:
        f = lp.family(var.label)
        return np.arange(f.start, f.stop)

    act = ix.activity.assign(col=fam(conversion.ACTIVITY), mult=1.0)
    flows = act.drop(columns="mult").merge(ix.mode_flows, on="mode").assign(blend="")
    bl = ix.blend_in.assign(col=fam(blending.BLEND))
    made = pd.concat([
        flows[flows["coef"] > 0].assign(mult=flows["coef"]),
        bl.assign(commodity=bl["product"], mult=bl["to_product"], unit="", mode=""),
    ], ignore_index=True)
    used = pd.concat([
        flows[flows["coef"] < 0].assign(mult=-flows["coef"]),
        bl.assign(commodity=bl["component"], mult=1.0, unit="", mode=""),
    ], ignore_index=True)
    fl = ix.flow.assign(col=fam(transport.FLOW), mult=1.0, site=ix.flow["from_site"])
    return {
        "activity": act, "production": made, "consumption": used, "flow": fl,
        "sales": ix.sales.assign(col=tiers.ids(lp, market.SALES.label, ix.sales), mult=1.0),
        "purchase": ix.purchase.assign(col=tiers.ids(lp, supply.PURCHASE.label, ix.purchase),
                                       mult=1.0),
    }


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    cons = ix.constraints
    if cons.empty:
        return
    lo = np.where(cons["sense"] == "<=", -np.inf, cons["rhs"])
    hi = np.where(cons["sense"] == ">=", np.inf, cons["rhs"])
    rows = lp.add_rows("user", "relation", cons[["constraint", "period"]], lb=lo, ub=hi)
    row_of = cons[["constraint", "period"]].assign(_row=rows)
    cand = _candidates(lp, ix)
    problems = []
    for i, term in ix.constraint_terms.reset_index(drop=True).iterrows():
        c = cand[term["quantity"]]
        sel = np.ones(len(c), dtype=bool)
        for s in SELECTORS:
            if term[s]:
                if s not in c.columns:
                    problems.append(Problem(f"constraint_terms.csv row {i + 2}, column {s}",
                                            f"a '{term['quantity']}' term cannot be selected "
                                            f"by {s}", "leave the cell blank"))
                    sel[:] = False
                    break
                sel &= (c[s] == term[s]).to_numpy()
        picked = c[sel].merge(row_of[row_of["constraint"] == term["constraint"]], on="period")
        if picked.empty:
            problems.append(Problem(
                f"constraint_terms.csv row {i + 2}",
                f"term {term['term']} of constraint '{term['constraint']}' selects no "
                f"{term['quantity']} ({', '.join(f'{s}={term[s]}' for s in SELECTORS if term[s])}"
                ")", "check the selectors: no such quantity exists in the model"))
            continue
        lp.add_terms(picked["_row"].to_numpy(), picked["col"].to_numpy(),
                     term["coef"] * picked["mult"].to_numpy())
    if problems:
        raise InputError(problems)
