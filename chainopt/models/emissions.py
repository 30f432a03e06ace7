"""Emissions: what modes release, what capture takes back, its carbon price and caps.

Commodities of kind ``emission`` are not balanced. A mode with an ``out`` flow of
emission commodity e releases ``a_me * activity[u,m,t]`` (an ``in`` flow counts as
captured, negative); a link with an ``emission_commodity`` releases
``emission_per_unit * flow[l,c,t]`` at its origin. Emissions of burnt fuel are
written as the burning mode's output. The emitting columns ``E`` (:func:`emitters`) are
both kinds: each column k is an ``activity[u,m,t]`` with ``a_ke = a_me`` counted at the
unit's site, or a ``transport.flow[l,c,t]`` with ``a_ke = e_l`` (the link's
``emission_per_unit``) counted at the link's ``from_site``; captures count negative
(``a_ke < 0``). ``E_et`` is all of E's columns of e in period t, ``E_et(s)`` those
counted at site s. With policies for e (chain-wide when ``site`` is blank, else for
that site):

* carbon price: on each column k in ``E_et(s)``, for each policy row pricing it (the
  chain-wide row of (e,t) and the row of (e,s,t); a site price adds to the chain-wide
  one) with ``price > 0``, the objective term ``-price * a_ke * w_t / 1000`` MUSD
  (a capture, ``a_ke < 0``, earns the price);
* ``emissions.cap_max[e,site,t]: sum_{k in E_et} a_ke * x_k <= cap_et`` for a chain-wide
  row, ``sum_{k in E_et(site)} a_ke * x_k <= cap_et`` for a site row: the activities of
  units and the flows on links, captures negative.

Capture takes only what is emitted where it is captured. For every (e, site s, period t)
where a unit at s runs a mode with an ``in`` flow of e (whatever the policies), with
``E_st`` the columns emitting or capturing e at s: the activities of units at s and the
flows on links from s (the site a link's emissions are counted at):

* ``emissions.capture_max[e,s,t]: sum_{a_ke < 0} -a_ke * x_k <= sum_{a_ke > 0} a_ke * x_k``
  over k in ``E_st``, written ``-sum_k a_ke * x_k <= 0``: the net emissions of e at s
  are never negative. Capture from the air (direct air capture) is not modelled: a
  capture unit at a site where nothing emits e captures nothing
  (:func:`idle_captures` warns of it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.codes import inner_join
from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD, conversion, transport
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import FamilySpec, Row

CAP_MAX = Row(
    "emissions", "cap_max", dims=("commodity", "site", "period"),
    sense="<=",
    noun="emission cap on {commodity}{at_site}", results="constraints",
    what="emission cap", ranging=True, elastic=True, own_coefficients=True,
    source=("policies", "cap_k_per_yr"))
CAPTURE_MAX = Row(
    "emissions", "capture_max", dims=("commodity", "site", "period"),
    sense="<=",
    noun="capture of {commodity} at {site} within what is emitted there",
    results="constraints", own_coefficients=True)
SPEC = FamilySpec(
    "emissions", inputs="policies.csv and the emission amounts in mode_flows.csv",
    rows=(CAP_MAX, CAPTURE_MAX))  # its carbon price is a cost on conversion and transport columns


def emitters(ix: ModelIndex, lp: LinearProgram) -> pd.DataFrame:
    """Columns that emit: activities of emitting modes and flows on emitting links.

    Columns: col, site, commodity (emission), period, coef (emission per unit of the column).
    """
    fam = lp.family(conversion.ACTIVITY.label)
    flows = ix.mode_flows[ix.mode_flows["commodity"].isin(ix.emission_commodities)]
    i, j = inner_join(ix.activity["mode"], flows["mode"])  # activity i x emission j
    act = pd.DataFrame({
        "col": fam.start + i, "site": ix.activity["site"].take(i).reset_index(drop=True),
        "commodity": flows["commodity"].take(j).reset_index(drop=True),
        "period": ix.activity["period"].take(i).reset_index(drop=True),
        "coef": flows["coef"].to_numpy(float)[j]})
    fam = lp.family(transport.FLOW.label)
    f = ix.flow.assign(col=np.arange(fam.start, fam.stop))[["col", "link", "from_site",
                                                             "period"]]
    f = f.merge(ix.link_emissions, on="link")
    tr = f.rename(columns={"from_site": "site", "per_unit": "coef"})[
        ["col", "site", "commodity", "period", "coef"]]
    return pd.concat([act, tr], ignore_index=True)


def carbon_prices(ix: ModelIndex, em: pd.DataFrame) -> pd.DataFrame:
    """What the carbon price costs each emitting column of ``em`` (:func:`emitters`), one
    row per policy pricing it: ``col``, ``period`` and ``usd_per_unit = price_e,t x
    coef`` (USD per unit of the column, in the money of its period), the chain-wide
    policy's rows first, then the site policies' (a site price adds to the chain-wide
    one)."""
    pol = ix.policies
    chain = pol["site"] == ""
    parts: list[pd.DataFrame] = []
    for scope, on in ((pol[chain], ["commodity", "period"]),
                      (pol[~chain], ["commodity", "site", "period"])):
        scope = scope[scope["carbon_price"] > 0]
        if scope.empty and parts:  # (no site policy with a price: no join to make)
            continue
        priced = em.merge(scope[[*on, "carbon_price"]], on=on)
        parts.append(pd.DataFrame({
            "col": priced["col"].to_numpy(), "period": priced["period"].to_numpy(),
            "usd_per_unit": priced["carbon_price"].to_numpy(float)
            * priced["coef"].to_numpy(float)}))
    return pd.concat(parts, ignore_index=True)


def carbon_per_unit(lp: LinearProgram, ix: ModelIndex) -> np.ndarray:
    """The carbon part of every column's cost: ``sum over the policies pricing it of
    price x emission per unit`` (USD per unit, money of its period; 0 for a column that
    emits nothing or pays no price). A mode's and a link's objective coefficient is
    ``-(input cost + this) x w_t / 1000``; from the case's policies, not the LP."""
    out = np.zeros(lp.num_cols)
    if ix.policies.empty or not ix.emission_commodities:
        return out
    priced = carbon_prices(ix, emitters(ix, lp))
    np.add.at(out, priced["col"].to_numpy(np.int64), priced["usd_per_unit"].to_numpy(float))
    return out


def idle_policies(ix: ModelIndex, lp: LinearProgram) -> list[str]:
    """A warning for each policies.csv row (commodity, site) that prices or caps an
    emission where nothing can emit it: no column of :func:`emitters` (a unit's mode at
    the site, a link from it; anywhere for a chain-wide row) releases that commodity, so
    its carbon price costs nothing and its cap bounds nothing. A site misspelt as another
    that exists, or a cap on the wrong emission, would pass unseen; so would a scenario
    that switches the emitter off, which is why this warns and does not refuse."""
    pol = ix.policies
    active = pol.assign(priced=pol["carbon_price"] > 0, capped=pol["cap"].notna())
    active = active[active["priced"] | active["capped"]]
    if active.empty or not ix.emission_commodities:
        return []
    rows = active.groupby(["commodity", "site"], sort=True, as_index=False)[
        ["priced", "capped"]].any()
    em = emitters(ix, lp)[["commodity", "site"]].drop_duplicates()
    at_site = rows.merge(em, on=["commodity", "site"], how="left", indicator=True)[
        "_merge"].eq("both").to_numpy()
    chain_wide = rows["site"].eq("").to_numpy()
    emitted = rows["commodity"].isin(em["commodity"]).to_numpy()
    idle = rows[~at_site & ~(chain_wide & emitted)]
    out = []
    for commodity, site, priced, capped in idle.itertuples(index=False):  # idle rows only
        what = " and ".join(w for w, on in (("carbon price", priced), ("cap", capped)) if on)
        where = f"at site {site}" if site else "anywhere in the chain"
        row = f"{commodity}/{site}" if site else f"{commodity} (chain-wide: site blank)"
        out.append(f"policies.csv row {row}: its {what} on {commodity} "
                   f"{'prices' if what == 'carbon price' else 'bounds'} nothing, as no unit's "
                   f"mode nor link {where} emits {commodity}; check the row's site and "
                   "commodity (the site or emission meant), or remove the row")
    return out


def _captures(ix: ModelIndex) -> bool:
    """Whether some mode captures an emission commodity (an ``in`` flow of it): only then
    is there a capture bound to build or an idle capture to warn of."""
    mf = ix.mode_flows
    return bool(((mf["coef"] < 0) & mf["commodity"].isin(ix.emission_commodities)).any())


def idle_captures(ix: ModelIndex, lp: LinearProgram) -> list[str]:
    """A warning for each unit whose mode captures an emission (an ``in`` flow of it) at
    a site where no unit's mode nor link from it emits that commodity: capture is bounded
    by what its site emits (``emissions.capture_max``), so the unit captures nothing
    (capture from the air is not modelled). A warning, not an error: a scenario may
    switch the emitters off."""
    if not ix.emission_commodities or not _captures(ix):
        return []
    em = emitters(ix, lp)
    captures = em[em["coef"] < 0]
    if captures.empty:
        return []
    emitted = em.loc[em["coef"] > 0, ["site", "commodity"]].drop_duplicates()
    idle = captures.merge(emitted, on=["site", "commodity"], how="left", indicator=True)
    idle = idle[idle["_merge"] == "left_only"]
    fam = lp.family(conversion.ACTIVITY.label)
    act = ix.activity.take(idle["col"].to_numpy(np.int64) - fam.start)
    idle = pd.DataFrame({"unit": act["unit"].to_numpy(), "mode": act["mode"].to_numpy(),
                         "site": idle["site"].to_numpy(),
                         "commodity": idle["commodity"].to_numpy()}).drop_duplicates()
    return [f"unit {unit} (mode {mode}) captures {commodity} at site {site}, where no "
            f"unit's mode nor link from it emits {commodity}: capture is bounded by what "
            "its site emits, so it captures nothing (capture from the air is not "
            "modelled); check the unit's site, or the mode's commodity"
            for unit, mode, site, commodity in idle.itertuples(index=False)]  # idle only


def add_capture_bound(lp: LinearProgram, em: pd.DataFrame) -> None:
    """``emissions.capture_max`` (see the module): one row per (commodity, site, period)
    with a capturing column in ``em`` (:func:`emitters`), over that key's columns of
    ``em`` with their coefficients negated, ``<= 0``."""
    on = ["commodity", "site", "period"]
    keys = em.loc[em["coef"] < 0, on].drop_duplicates().reset_index(drop=True)
    if keys.empty:
        return
    rows = lp.add_rows(CAPTURE_MAX.block, CAPTURE_MAX.name, keys, ub=0.0)
    terms = em.merge(keys.assign(_row=rows), on=on)
    lp.add_terms(terms["_row"].to_numpy(), terms["col"].to_numpy(), -terms["coef"].to_numpy())


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    pol = ix.policies
    captured = _captures(ix)
    if not ix.emission_commodities or (pol.empty and not captured):
        return
    em = emitters(ix, lp)
    if captured:
        add_capture_bound(lp, em)
    if pol.empty:
        return
    priced = carbon_prices(ix, em)
    lp.add_objective(priced["col"].to_numpy(), -MUSD_PER_KUSD * (
        priced["usd_per_unit"].to_numpy(float) * ix.weight(priced["period"])),
        "carbon", ix.pos(priced["period"]))
    capped = pol[pol["cap"].notna()].reset_index(drop=True)
    rows = lp.add_rows("emissions", "cap_max", capped[["commodity", "site", "period"]],
                       ub=capped["cap"].to_numpy())
    capped = capped.assign(_row=rows)
    for local, on in ((False, ["commodity", "period"]), (True, ["commodity", "site", "period"])):
        part = capped[(capped["site"] != "") == local]
        terms = em.merge(part[[*on, "_row"]], on=on)
        lp.add_terms(terms["_row"].to_numpy(), terms["col"].to_numpy(), terms["coef"].to_numpy())
