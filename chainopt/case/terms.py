"""What each term of a user constraint selects: one rule for validation and the model.

A term of ``constraint_terms.csv`` sums one quantity (``activity``, ``production``,
``consumption``, ``flow``, ``sales``, ``purchase``) over the model's elements whose
selectors (site, to_site, commodity, unit, mode, link, transport_mode, blend; blank =
any) all match, in the periods its constraint applies in (a ``flow``'s site is its
link's origin, its ``to_site`` the destination and its ``transport_mode`` the link's).
:func:`select` finds them in the model index; a term that names a selector its quantity
does not have, that selects nothing, or that sums commodities in different units (t and
bbl add up to no quantity, and one coefficient cannot convert both: give a term per
unit) is an input error naming its row and the columns of its selectors; so is a term
whose coefficient is 0, which adds nothing to its row (0 x q): it states nothing, as a
selector that matches nothing. ``chainopt validate`` (:mod:`chainopt.case.validate`) and
the model (:mod:`chainopt.models.user_constraints`) both ask :func:`select`, so a case
that validates never fails here when it is built.

Each candidate names the model column it stands for by ``source`` (``activity``,
``blend``, ``flow``, ``sales``, ``purchase``: the index frame whose rows are that
family's columns, in order) and ``pos`` (its row in that frame), times ``mult``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.index import ModelIndex
from chainopt.errors import Problem, columns_label

SELECTORS = ("site", "to_site", "commodity", "unit", "mode", "link", "transport_mode",
             "blend")


def candidates(ix: ModelIndex) -> dict[str, pd.DataFrame]:
    """Per quantity: what it sums, with its selector columns, ``period``, ``source``,
    ``pos`` and ``mult`` (the quantity per unit of the column)."""
    def rows(frame: pd.DataFrame, source: str) -> pd.DataFrame:
        return frame.assign(source=source, pos=np.arange(len(frame)), mult=1.0)

    act = rows(ix.activity, "activity")
    flows = act.drop(columns="mult").merge(ix.mode_flows, on="mode").assign(blend="")
    bl = rows(ix.blend_in, "blend")
    made = pd.concat([
        flows[flows["coef"] > 0].assign(mult=flows["coef"]),
        bl.assign(commodity=bl["product"], mult=bl["to_product"], unit="", mode=""),
    ], ignore_index=True)
    used = pd.concat([
        flows[flows["coef"] < 0].assign(mult=-flows["coef"]),
        bl.assign(commodity=bl["component"], mult=1.0, unit="", mode=""),
    ], ignore_index=True)
    fl = rows(ix.flow, "flow")
    return {
        "activity": act, "production": made, "consumption": used,
        "flow": fl.assign(site=fl["from_site"]),
        "sales": rows(ix.sales, "sales"), "purchase": rows(ix.purchase, "purchase"),
    }


def select(ix: ModelIndex) -> tuple[pd.DataFrame, list[Problem]]:
    """What the terms of ``ix.constraint_terms`` select: one row per (term, element,
    period of its constraint), in term order, with ``constraint``, ``period``,
    ``source``, ``pos`` and ``coef`` (the term's coefficient times ``mult``); and a
    problem for each term whose coefficient is 0, whose selectors its quantity does not
    have, or that selects nothing (it would add 0 to its row, silently)."""
    terms = ix.constraint_terms
    periods = ix.constraints[["constraint", "period"]]
    cand = candidates(ix) if len(terms) else {}
    picked: list[pd.DataFrame] = []
    problems: list[Problem] = []
    for term in terms.to_dict("records"):
        where = f"constraint_terms.csv row {term['_row']}"
        quantity, given = term["quantity"], [s for s in SELECTORS if term[s]]
        if term["coef"] == 0:
            problems.append(Problem(f"{where}, column coef",
                                    f"this term of constraint '{term['constraint']}' has "
                                    "coefficient 0, so it adds nothing to the constraint "
                                    "(found 0)", "give the coefficient the quantity enters "
                                    "with, or remove the row"))
            continue
        c = cand[quantity]
        wrong = [s for s in given if s not in c.columns]
        if wrong:
            can = ", ".join(s for s in SELECTORS if s in c.columns)
            problems.append(Problem(f"{where}, {columns_label(wrong)}",
                                    f"a '{quantity}' term cannot be selected by "
                                    f"{' or '.join(wrong)}",
                                    f"leave the cell blank ({quantity} is selected by {can})"))
            continue
        sel = np.ones(len(c), dtype=bool)
        for s in given:
            sel &= (c[s] == term[s]).to_numpy()
        hit = c.loc[sel, ["period", "source", "pos", "mult", *(["commodity"] if "commodity"
                                                               in c.columns else [])]].merge(
            periods[periods["constraint"] == term["constraint"]], on="period")
        if hit.empty:
            problems.append(_selects_nothing(where, term, given))
            continue
        if "commodity" in hit and (mixed := _mixed_units(ix, hit["commodity"])):
            problems.append(Problem(
                f"{where}, {columns_label(given or ['quantity'])}",
                f"this term of constraint '{term['constraint']}' sums {quantity} of "
                f"commodities in different units ({mixed}), which add up to no quantity",
                "select one commodity (column commodity), or give one term per unit with "
                "a coefficient converting it to the constraint's unit"))
            continue
        picked.append(hit.assign(coef=term["coef"] * hit["mult"]).drop(columns="mult"))
    if not picked:
        return pd.DataFrame(columns=["period", "source", "pos", "constraint", "coef"]), problems
    return pd.concat(picked, ignore_index=True), problems


def _mixed_units(ix: ModelIndex, commodity: pd.Series) -> str:
    """The commodities a term sums, by unit (``t: a, c; bbl: b``) when they are in more
    than one unit, else ``""``."""
    assert ix.case is not None, "select needs the index of a case (build_index sets it)"
    names = pd.Series(commodity.unique())
    unit = names.map(ix.case.tables["commodities"].set_index("commodity")["unit"])
    if unit.nunique() < 2:
        return ""
    return "; ".join(f"{u}: {', '.join(sorted(names[unit == u]))}" for u in unit.unique())


def _selects_nothing(where: str, term: dict, given: list[str]) -> Problem:
    """The problem of a term that selects nothing: at its selectors' columns (its
    quantity's when it has none), with what it asked for."""
    quantity = term["quantity"]
    asked = ", ".join(f"{s} '{term[s]}'" for s in given)
    hint = "check the selectors: no such quantity exists in the model"
    if quantity == "flow" and "site" in given:
        hint += (" (a flow's site is where its link starts, from_site; to select flows into a "
                 "site, name it in to_site)")
    return Problem(f"{where}, {columns_label(given or ['quantity'])}",
                   f"this term of constraint '{term['constraint']}' selects no {quantity}"
                   f" ({'none with ' + asked if given else 'the case has none'})", hint)
