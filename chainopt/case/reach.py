"""What can ever flow: the case's network read as a graph, before any model is built.

A commodity at a site is **available** if it is supplied there, made there by a mode
that can run, brought by a link from a site where it is available or blended there
from an available component; it is **wanted** if it is sold, demanded (``demand.csv``)
or may be disposed of there (``disposal: true``), used there by a mode that can run,
carried by a link to a site where it is wanted or blended there into a wanted product.
A mode of a unit at a site **can run** when each of its inputs is available there and
each of its outputs wanted there (the commodity balance is an equality: an output with
no outlet forces the mode to zero, as an input with no source does). Both sets are
least fixed points over the modes that can run, and the modes that can run the
greatest set consistent with them: :func:`reach` iterates the three to a fixed point,
each step vectorised over the whole network (a few steps: as many as the chain is deep).

The check covers the whole horizon and any period at once: a mode is reported when it
can run in no period; a row of a ``*_by_period.csv`` table, a closed market group or a
capacity of 0 that stop a flow in some or all periods are not looked at. Projects
switched off (``state: off``) take their units and links out, as in the model.
Emission commodities have no balance (:mod:`chainopt.models.emissions`): they need no
outlet and are ignored.

What it finds is said as warnings (:func:`warnings`, by ``chainopt validate``, ``run``,
``compare`` and ``sweep``) and, for a mode that can never run, the reason ``chainopt
explain`` gives (:func:`blocked_reasons`, kept in the run's manifest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainopt.case.codes import inner_join
from chainopt.case.schema import Case, split_list
from chainopt.case.validate import closest

#: at most this many warnings of one kind (modes, markets, supplies, demand rows); the
#: rest are counted in one more line
MAX_WARNINGS = 10


@dataclass(frozen=True)
class Reach:
    """The result of :func:`reach`.

    ``blocked``: one row per (unit, mode, commodity) that stops a mode: unit, mode, site,
    unit_row (units.csv), commodity, side (``in``: never available there; ``out``: never
    wanted there), flow_row (mode_flows.csv), root (True: nothing in the case could
    ever bring/take it there, whatever runs; False: only modes that can never run
    could), by_projects (the mode could run with the switched-off projects on).
    ``idle``: one row per markets.csv, supplies.csv or demand.csv row whose commodity can
    never be available (markets, demand) or wanted (supplies) at its site: table, row,
    site, commodity, tier, root."""

    blocked: pd.DataFrame
    idle: pd.DataFrame


def _spread(flag: np.ndarray, n: int, group: np.ndarray) -> np.ndarray:
    """Per group (``n`` of them): whether any of its rows has ``flag``."""
    return np.bincount(group[flag], minlength=n) > 0


def reach(case: Case) -> Reach:
    """Which modes can never run and which markets, supplies and demand rows can never
    be served (see the module's docstring).

    A mode is judged in the case as it runs, its switched-off projects out (``blocked``
    column ``by_projects``: it could run were they on). A market or supply is judged as
    if every project were on: a case may hold the markets and supplies of projects its
    scenarios switch on (the default case's Japanese methanol market waits for the
    Nakhodka project), so an option idle here is no mistake. A hard demand is judged as
    the case runs (one that cannot be met makes the run infeasible)."""
    off = set(case.tables["projects"].loc[case.tables["projects"]["state"] == "off",
                                          "project"])
    live = _network(case, off)
    if not off or (live.blocked.empty and (live.idle["table"] == "demand").all()):
        # with every project on, more can flow, never less: nothing to judge again
        return Reach(blocked=live.blocked.assign(by_projects=False), idle=live.idle)
    full = _network(case, set())
    lb, fb = live.blocked, full.blocked
    could = ~pd.MultiIndex.from_frame(lb[["unit", "mode"]]).isin(
        pd.MultiIndex.from_frame(fb[["unit", "mode"]]))
    idle = pd.concat([full.idle[full.idle["table"] != "demand"],
                      live.idle[live.idle["table"] == "demand"]], ignore_index=True)
    return Reach(blocked=lb.assign(by_projects=could), idle=idle)


def _network(case: Case, off: set[str]) -> Reach:
    """:func:`reach` with the units and links of the projects ``off`` taken out."""
    t = case.tables
    emis = set(t["commodities"].loc[t["commodities"]["kind"] == "emission", "commodity"])
    units = t["units"][~t["units"]["project"].isin(off)]
    links = t["links"][~t["links"]["project"].isin(off)]
    # each mode's net flow of each commodity (an amount both in and out nets out)
    mf = t["mode_flows"][~t["mode_flows"]["commodity"].isin(emis)]
    net = np.where(mf["direction"] == "out", 1.0, -1.0) * mf["amount_per_unit"].to_numpy(float)
    m_code, _ = pd.factorize(mf["mode"])
    c_code, _ = pd.factorize(mf["commodity"])
    pair, _ = pd.factorize(m_code.astype(np.int64) * (int(c_code.max(initial=0)) + 1) + c_code)
    first = np.full(int(pair.max(initial=-1)) + 1, len(pair))
    np.minimum.at(first, pair, np.arange(len(pair)))  # each pair's first row, in order
    mf = pd.DataFrame({"mode": mf["mode"].to_numpy()[first],
                       "commodity": mf["commodity"].to_numpy()[first],
                       "net": np.bincount(pair, weights=net, minlength=len(first)),
                       "flow_row": mf["_row"].to_numpy()[first]})
    mf = mf[mf["net"] != 0].reset_index(drop=True)
    # the modes that run at each site: (site, mode) pairs, the instances
    modes = t["modes"]
    i, j = inner_join(units["process"], modes["process"])
    um = pd.DataFrame({"unit": units["unit"].to_numpy()[i], "site": units["site"].to_numpy()[i],
                       "process": units["process"].to_numpy()[i],
                       "_row": units["_row"].to_numpy()[i], "mode": modes["mode"].to_numpy()[j]})
    inst = um[["site", "mode"]].drop_duplicates(ignore_index=True)
    i, j = inner_join(inst["mode"], mf["mode"])
    io = pd.concat([pd.DataFrame({"inst": i, "site": inst["site"].to_numpy()[i]}),
                    mf.iloc[j].reset_index(drop=True)], axis=1)
    flow = links[["from_site", "to_site"]].join(split_list(links["commodities"]).rename(
        "commodity"))
    flow = flow[flow["commodity"].notna() & ~flow["commodity"].isin(emis)]
    bl = t["blends"]
    blend = bl[["site", "product"]].join(split_list(bl["components"]).rename("component"))
    blend = blend[blend["component"].notna()]
    tables = {name: t[name][~t[name]["commodity"].isin(emis)]
              for name in ("supplies", "markets", "demand")}
    # every (site, commodity) named anywhere -> a node number (integer codes, no strings)
    parts = {"io": (io["site"], io["commodity"]),
             "from": (flow["from_site"], flow["commodity"]),
             "to": (flow["to_site"], flow["commodity"]),
             "comp": (blend["site"], blend["component"]),
             "prod": (blend["site"], blend["product"]),
             **{name: (df["site"], df["commodity"]) for name, df in tables.items()}}
    s_code, _ = pd.factorize(pd.concat([p[0] for p in parts.values()], ignore_index=True))
    c_code, coms = pd.factorize(pd.concat([p[1] for p in parts.values()], ignore_index=True))
    codes, uniq = pd.factorize(s_code.astype(np.int64) * max(len(coms), 1) + c_code)
    node, at = {}, 0
    for name, (site, _c) in parts.items():
        node[name], at = codes[at:at + len(site)], at + len(site)
    n_node, n_inst = len(uniq), len(inst)
    commodity = pd.Series(np.asarray(coms, dtype=object)[uniq % max(len(coms), 1)])
    inst_of = io["inst"].to_numpy()
    out = io["net"].to_numpy() > 0
    source = np.zeros(n_node, bool)
    source[node["supplies"]] = True
    sink = commodity.isin(set(t["commodities"].loc[t["commodities"]["disposal"].astype(bool),
                                                   "commodity"])).to_numpy(copy=True)
    sink[node["markets"]] = True
    sink[node["demand"]] = True

    def available(run: np.ndarray, strict: bool) -> np.ndarray:
        a = source.copy()
        while True:
            ok = run & ~_spread(~out & ~a[node["io"]], n_inst, inst_of) if strict else run
            new = a.copy()
            new[node["io"][out & ok[inst_of]]] = True
            new[node["to"][new[node["from"]]]] = True
            new[node["prod"][new[node["comp"]]]] = True
            if (new == a).all():
                return a
            a = new

    def wanted(run: np.ndarray, strict: bool) -> np.ndarray:
        w = sink.copy()
        while True:
            ok = run & ~_spread(out & ~w[node["io"]], n_inst, inst_of) if strict else run
            new = w.copy()
            new[node["io"][~out & ok[inst_of]]] = True
            new[node["from"][new[node["to"]]]] = True
            new[node["comp"][new[node["prod"]]]] = True
            if (new == w).all():
                return w
            w = new

    every = np.ones(n_inst, bool)
    # what could come or go whatever runs: a commodity short of these is a root cause
    a0, w0 = available(every, strict=False), wanted(every, strict=False)
    run = every
    while True:
        a, w = available(run, strict=True), wanted(run, strict=True)
        short = np.where(out, ~w[node["io"]], ~a[node["io"]])
        new = run & ~_spread(short, n_inst, inst_of)
        if (new == run).all():
            break
        run = new
    root = np.where(out, ~w0[node["io"]], ~a0[node["io"]])
    why = io.assign(side=np.where(out, "out", "in"), root=root)[short & ~run[inst_of]]
    blocked = um.rename(columns={"_row": "unit_row"}).merge(
        why[["site", "mode", "commodity", "side", "flow_row", "root"]], on=["site", "mode"])
    blocked = blocked[["unit", "mode", "site", "unit_row", "commodity", "side", "flow_row",
                       "root"]].reset_index(drop=True)
    idle = []
    for name, df in tables.items():
        reached, reached0 = (w, w0) if name == "supplies" else (a, a0)
        bad = ~reached[node[name]]
        idle.append(pd.DataFrame({
            "table": name, "row": df["_row"].to_numpy()[bad], "site": df["site"].to_numpy()[bad],
            "commodity": df["commodity"].to_numpy()[bad],
            "tier": (df["tier"].to_numpy()[bad] if "tier" in df else ""),
            "root": ~reached0[node[name]][bad]}))
    return Reach(blocked=blocked, idle=pd.concat(idle, ignore_index=True))


def count_blocked(rch: Reach) -> int:
    """How many (unit, mode) can never run."""
    return len(rch.blocked[["unit", "mode"]].drop_duplicates())


def blocked_reasons(rch: Reach, limit: int | None = None) -> pd.DataFrame:
    """One row per (unit, mode) that can never run, those with a root cause (one of its
    commodities is short whatever runs) first, then in units.csv order: unit, mode,
    site, unit_row, root, by_projects (it could run with the switched-off projects on),
    reason (why, as ``chainopt explain`` says it) and hint (what to do; blank for a mode
    stopped only by other modes that can never run). ``limit``: the first so many only
    (a generated case may have thousands)."""
    if rch.blocked.empty:  # the usual case: none (and no frame work to say so)
        return pd.DataFrame(columns=["unit", "mode", "site", "unit_row", "root",
                                     "by_projects", "reason", "hint"])
    b = rch.blocked.drop_duplicates(["unit", "mode", "commodity", "side"])
    first = b.groupby(["unit", "mode"], sort=False, as_index=False).agg(
        root=("root", "any"), unit_row=("unit_row", "first")).sort_values(
        ["root", "unit_row"], ascending=[False, True], kind="stable").head(limit)
    b = b.merge(first[["unit", "mode"]], on=["unit", "mode"])
    b = b.assign(item=b["commodity"].astype(str) + " (mode_flows.csv row "
                 + b["flow_row"].astype(str) + ")", root=b["root"].astype(bool))
    g = b.groupby(["unit", "mode", "side", "root"], sort=False, as_index=False).agg(
        site=("site", "first"), unit_row=("unit_row", "first"), items=("item", ", ".join),
        commodities=("commodity", ", ".join), by_projects=("by_projects", "any"))
    out, root = g["side"].eq("out").to_numpy(), g["root"].to_numpy()
    site, items, coms = g["site"].astype(str), g["items"], g["commodities"]
    reason = np.select(
        [out & root, ~out & root, out & ~root],
        ["nothing at " + site + " sells, uses, ships or disposes of the " + items + " it makes",
         "nothing supplies, makes or ships to " + site + " the " + items + " it uses",
         "the " + items + " it makes can go at " + site + " only to modes that can never run"],
        "the " + items + " it uses can come at " + site + " only from modes that can never run")
    hint = np.select(
        [out & root, ~out & root],
        ["add a market, a link or a mode that uses " + coms + " at " + site
         + ", or set disposal: true for " + coms + " in commodities.csv",
         "add a supply of " + coms + " at " + site + ", a link that brings it or a mode there "
         "that makes it"], "")
    g = g.assign(reason=reason, hint=hint)
    keys = ["unit", "mode"]
    r = g.groupby(keys, sort=False, as_index=False).agg(
        site=("site", "first"), unit_row=("unit_row", "first"), root=("root", "any"),
        by_projects=("by_projects", "any"), reason=("reason", "; ".join))
    hints = g[g["hint"] != ""].groupby(keys, sort=False)["hint"].agg("; ".join)
    r["hint"] = pd.MultiIndex.from_frame(r[keys]).map(hints.to_dict()).fillna("") \
        if len(hints) else ""
    off = r["by_projects"].to_numpy(bool)
    r.loc[off, "reason"] += " (it could run were the projects switched off, state: off, on)"
    r.loc[off, "hint"] = ("switch on a project that would take or bring it (projects.csv, "
                          "column state)")
    return r.sort_values(["root", "unit_row"], ascending=[False, True],
                         kind="stable").reset_index(drop=True)


#: why nothing reaches a market's or hard demand's site, and what to add (the two share it)
_NO_SOURCE = ("nothing can ever bring {c} to {s} (no supply there, no mode there makes it, "
              "no link carries it there)")
_ADD_SOURCE = "add a link that carries {c} to {s} or a mode there that makes it"
_ONLY_BLOCKED = "{c} can reach {s} only from modes that can never run"
_CHECK = ", or check the site and commodity"
_IDLE = {
    ("markets", True): f"{_NO_SOURCE}, so nothing is ever sold at {{this}}; {_ADD_SOURCE}"
                       f"{_CHECK}",
    ("markets", False): f"{_ONLY_BLOCKED}, so nothing is ever sold at {{this}}",
    ("supplies", True): ("nothing at {s} can ever take {c} (no mode there uses it, no market "
                         "or disposal, no link carries it away), so nothing is ever bought "
                         "from {this}; add a link that carries {c} from {s} or a mode there "
                         "that uses it" + _CHECK),
    ("supplies", False): ("{c} can go from {s} only to modes that can never run, so nothing "
                          "is ever bought from {this}"),
    # a market with a demand floor above 0 in some period (review infeas F3: it read
    # "nothing is ever sold at this market", and validate said the case was valid)
    ("floor_hard", True): f"{_NO_SOURCE}, so the demand floor of {{this}} can never be met: "
                          f"the case is infeasible (demand_floors: hard); {_ADD_SOURCE}"
                          f"{_CHECK}",
    ("floor_hard", False): f"{_ONLY_BLOCKED}, so the demand floor of {{this}} can never be "
                           "met: the case is infeasible (demand_floors: hard)",
    ("floor_soft", True): f"{_NO_SOURCE}, so nothing is ever sold at {{this}} and its demand "
                          "floor is never met: the objective pays the shortfall penalty on "
                          f"all of it; {_ADD_SOURCE}{_CHECK}",
    ("floor_soft", False): f"{_ONLY_BLOCKED}, so nothing is ever sold at {{this}} and its "
                           "demand floor is never met: the objective pays the shortfall "
                           "penalty on all of it",
    ("demand", True): f"{_NO_SOURCE}, so {{this}} can never be met: the case is infeasible; "
                      f"{_ADD_SOURCE}{_CHECK}",
    ("demand", False): f"{_ONLY_BLOCKED}, so {{this}} can never be met: the case is infeasible",
}
_THIS = {"markets": ("this market", "these markets"),
         "supplies": ("this supply", "these supplies"),
         "demand": ("this hard demand", "these hard demands")}
_MORE = {"markets": "markets.csv rows that sell nothing",
         "supplies": "supplies.csv rows never bought",
         "demand": "demand.csv rows that can never be met"}


def _capped(lines: list[str], total: int, more: str) -> list[str]:
    """``lines`` (the first :data:`MAX_WARNINGS` of ``total``) and how many more."""
    return lines if total <= len(lines) else [*lines, f"... and {total - len(lines)} more {more}"]


def warnings(case: Case, rch: Reach | None = None) -> list[str]:
    """The warnings of :func:`reach` (computed here unless given): each mode of a unit
    that can never run, the root causes first, then each markets.csv, supplies.csv and
    demand.csv row (rows of one site and commodity together) that can never be served,
    root causes first; at most :data:`MAX_WARNINGS` of each kind, then how many more."""
    rch = reach(case) if rch is None else rch
    top = blocked_reasons(rch, MAX_WARNINGS)
    out = _capped([f"mode {m} of unit {u} at {s} (units.csv row {row}) can never run: {why}"
                   + (f"; {hint}" if hint else "")
                   for u, m, s, row, why, hint in zip(top["unit"], top["mode"], top["site"],
                                                      top["unit_row"], top["reason"],
                                                      top["hint"], strict=True)],
                  count_blocked(rch), "modes that can never run")
    out += _no_unit(case)
    idle = rch.idle
    for name in ("markets", "supplies", "demand"):
        d = idle[idle["table"] == name]
        if d.empty:
            continue
        g = d.assign(row=d["row"].astype(str)).groupby(
            ["site", "commodity", "root"], sort=False, as_index=False).agg(
            rows=("row", ", ".join), n=("row", "size"))
        g = g.sort_values("root", ascending=False, kind="stable")
        top = g.head(MAX_WARNINGS)
        kind = {(s, c): f"floor_{case.meta.demand_floors}" for s, c in _floored(case)} \
            if name == "markets" else {}
        out += _capped([f"{name}.csv row{'s' if n > 1 else ''} {rows}: "
                        + _IDLE[(kind.get((str(s), str(c)), name), bool(root))].format(
                            c=c, s=s, this=_THIS[name][n > 1])
                        for s, c, root, rows, n in zip(top["site"], top["commodity"],
                                                       top["root"], top["rows"], top["n"],
                                                       strict=True)],
                       len(g), _MORE[name])
    return out


def _floored(case: Case) -> set[tuple[str, str]]:
    """The (site, commodity) of each market with a demand floor above 0 in some period
    (markets.csv or markets_by_period.csv, column min_k_per_yr)."""
    out: set[tuple[str, str]] = set()
    for f in (case.tables["markets"], case.by_period.get("markets")):
        if f is not None and "min_k_per_yr" in f:
            on = pd.to_numeric(f["min_k_per_yr"], errors="coerce").fillna(0.0) > 0
            out |= set(zip(f.loc[on, "site"].astype(str), f.loc[on, "commodity"].astype(str),
                           strict=True))
    return out


def _no_unit(case: Case) -> list[str]:
    """Each modes.csv row whose process no unit in units.csv runs (a unit's process is
    checked against the modes, not the other way: a typo there left the mode idle), with
    the closest process a unit runs; at most :data:`MAX_WARNINGS`, then how many more."""
    modes, units = case.tables["modes"], case.tables["units"]
    run = sorted(set(units["process"].astype(str)))
    lost = modes[~modes["process"].astype(str).isin(run)]
    top = lost.head(MAX_WARNINGS)
    return _capped([f"modes.csv row {row}: no unit in units.csv runs process '{p}', so mode "
                    f"{m} never runs; " + (closest(str(p), run) or "add a unit that runs it "
                                           "(units.csv, column process) or remove the mode")
                    for m, p, row in zip(top["mode"], top["process"], top["_row"],
                                         strict=True)],
                   len(lost), "modes no unit runs")
