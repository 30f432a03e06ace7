"""Seeded generator of synthetic petrochemical value chains in the chainopt case format.

The chain is built like a real one, so that the LP is feasible, bounded and
non-trivial:

* commodities: ``raw_*`` (bought from supplies), ``int_*`` (intermediates), ``prod_*``
  (products) and one emission (``co2``); all measured in ``t``;
* processes in two stages, raw -> intermediate and intermediate (+ raw) -> product,
  each with 2-4 modes. A mode makes 1 t of its process's main output plus 0-2
  by-products and maybe CO2, from 1-2 inputs whose mass is at least the output mass
  (mass-conserving yields);
* sites laid out on a snake-shaped grid; links join each site to ~3-5 neighbours
  (chain + grid + short-range edges, so the graph is connected and sparse), carry
  1-3 commodities preferring what the origin has and the destination wants; some
  have a capacity, losses and expansion options;
* units at every site (a unit's process is often paired with the previous unit's so
  that intermediates are made where they are used); some expandable, some with a
  capacity that changes by period (``units_by_period.csv``);
* supplies of the raw inputs at most sites that use them; imports of intermediates
  at a few "port" sites at a premium;
* high-value product markets at ~40% of the sites, some with demand floors and sales
  caps; a low-value local market at every site for everything produced there (so
  every produced commodity has a sink);
* prices exceed production cost: commodity values are derived stage by stage from
  the costliest mode's inputs plus a margin.

Raw commodities have no markets and products are never supplied, so sales are
bounded by unit capacity and the LP cannot be unbounded.

CLI::

    python benchmarks/generate.py OUT_DIR --sites S --units-per-site U \
        --commodities C --periods T --seed N
    python benchmarks/generate.py OUT_DIR --target-vars 100000 --seed N

Library::

    from benchmarks.generate import generate_case, estimate_vars, sizes_for_target
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from chainopt.safe_yaml import read_mapping

PERIOD_LENGTH_YR = 5
FIRST_YEAR = 2026


# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Sizes:
    sites: int
    units_per_site: int
    commodities: int
    periods: int

    def as_kwargs(self) -> dict[str, int]:
        return {"sites": self.sites, "units_per_site": self.units_per_site,
                "commodities": self.commodities, "periods": self.periods}


def grown_floor(floor: np.ndarray, cap: np.ndarray, growth: float) -> np.ndarray:
    """A demand floor grown by ``growth`` (rounded to 0.1 kt/yr), held at the market's
    sales cap where it has one (NaN: none): the 1M case's floor of 80 grown by 1.3 passed
    a cap of 101, which validation refuses (no sales could meet it)."""
    grown = np.round(floor * growth, 1)
    return np.where(np.isfinite(cap), np.minimum(grown, cap), grown)


def _split_commodities(commodities: int) -> tuple[int, int, int]:
    """(raw, intermediate, product) counts; one more commodity is the emission co2."""
    if commodities < 7:
        raise ValueError("need at least 7 commodities (raw, intermediate, product, co2)")
    n = commodities - 1
    n_raw = max(2, round(0.25 * n))
    n_int = max(2, round(0.35 * n))
    n_prod = n - n_raw - n_int
    if n_prod < 2:
        n_int -= 2 - n_prod
        n_prod = 2
    return n_raw, n_int, n_prod


# --------------------------------------------------------------------------- structure


def _processes(commodities: int, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Commodities, modes and mode flows (global, independent of the site count)."""
    n_raw, n_int, n_prod = _split_commodities(commodities)
    raw = [f"raw_{i:03d}" for i in range(n_raw)]
    inter = [f"int_{i:03d}" for i in range(n_int)]
    prod = [f"prod_{i:03d}" for i in range(n_prod)]
    value: dict[str, float] = {c: float(v) for c, v in
                               zip(raw, rng.uniform(100.0, 400.0, n_raw), strict=True)}

    procs = [(f"make_{c}", c, 1) for c in inter] + [(f"make_{c}", c, 2) for c in prod]
    # Balanced mode counts (2, 3, 4) in shuffled order: mean exactly 3 per process.
    n_modes = np.resize(np.array([2, 3, 4]), len(procs))
    rng.shuffle(n_modes)
    mode_rows, flow_rows = [], []
    for (process, main, stage), k in zip(procs, n_modes, strict=True):
        worst_cost = 0.0
        for j in range(int(k)):
            mode = f"{process}_m{j}"
            if stage == 1:
                pool_in = raw
                pool_by = [c for c in inter if c != main]
            else:
                pool_in = inter
                pool_by = [c for c in inter] + [c for c in prod if c != main]
            n_in = int(rng.integers(1, 3))
            ins = list(rng.choice(pool_in, size=min(n_in, len(pool_in)), replace=False))
            if stage == 2 and rng.random() < 0.3:  # some product routes also take a raw
                ins.append(str(rng.choice(raw)))
            ins = list(dict.fromkeys(ins))
            n_by = int(rng.integers(0, 3))
            bys = [c for c in rng.choice(pool_by, size=min(n_by, len(pool_by)), replace=False)
                   if c not in ins]
            by_amt = np.round(rng.uniform(0.05, 0.3, len(bys)), 3)
            loss = rng.uniform(0.0, 0.1)
            total_in = (1.0 + by_amt.sum()) / (1.0 - loss)
            share = rng.dirichlet(np.full(len(ins), 3.0))
            in_amt = np.ceil(total_in * share * 1000.0) / 1000.0  # round up: mass conserved
            var_cost = float(rng.uniform(10.0, 60.0))
            cost = var_cost + sum(a * value.get(c, 0.0) for c, a in zip(ins, in_amt,
                                                                         strict=True))
            worst_cost = max(worst_cost, cost)
            mode_rows.append((mode, process, round(var_cost, 2), 1.0,
                              f"route {j} of {process}"))
            flow_rows += [(mode, c, "in", float(a)) for c, a in zip(ins, in_amt, strict=True)]
            flow_rows.append((mode, main, "out", 1.0))
            flow_rows += [(mode, c, "out", float(a)) for c, a in zip(bys, by_amt, strict=True)]
            if rng.random() < 0.7:
                flow_rows.append((mode, "co2", "out", round(float(rng.uniform(0.1, 0.6)), 3)))
        # The main output is worth its costliest route's cost plus a 20-50 % margin.
        value[main] = worst_cost * float(rng.uniform(1.2, 1.5))

    kinds = ["raw"] * n_raw + ["intermediate"] * n_int + ["product"] * n_prod + ["emission"]
    names = raw + inter + prod + ["co2"]
    commodities_df = pd.DataFrame({"commodity": names, "unit": "t", "kind": kinds,
                                   "description": [f"synthetic {k}" for k in kinds]})
    modes = pd.DataFrame(mode_rows, columns=["mode", "process", "variable_cost_usd_per_unit",
                                             "capacity_use", "description"])
    flows = pd.DataFrame(flow_rows, columns=["mode", "commodity", "direction",
                                             "amount_per_unit"])
    proc = pd.DataFrame(procs, columns=["process", "main", "stage"])
    proc["n_modes"] = n_modes
    val = pd.Series(value, name="value")
    return {"commodities": commodities_df, "modes": modes, "mode_flows": flows,
            "processes": proc, "value": val}


def _partners(proc: pd.DataFrame, flows: pd.DataFrame, modes: pd.DataFrame
              ) -> tuple[np.ndarray, np.ndarray]:
    """For each process, a padded array of processes it pairs with (supplier/consumer)."""
    f = flows.merge(modes[["mode", "process"]], on="mode")
    ins = f.loc[f["direction"] == "in", ["process", "commodity"]].drop_duplicates()
    main = proc[["process", "main"]].rename(columns={"process": "maker", "main": "commodity"})
    pairs = ins.merge(main, on="commodity")[["process", "maker"]]  # consumer <- maker
    both = pd.concat([pairs, pairs.rename(columns={"process": "maker", "maker": "process"})])
    pos = {p: i for i, p in enumerate(proc["process"])}
    both = both.drop_duplicates()
    lists = [[] for _ in range(len(proc))]
    for a, b in zip(both["process"].map(pos), both["maker"].map(pos), strict=True):
        lists[a].append(b)
    width = max(1, max(len(x) for x in lists))
    out = np.full((len(proc), width), -1, dtype=np.int64)
    counts = np.zeros(len(proc), dtype=np.int64)
    for i, x in enumerate(lists):
        out[i, :len(x)] = x
        counts[i] = len(x)
    return out, counts


def _sample_per_group(groups: np.ndarray, score: np.ndarray, take: np.ndarray) -> np.ndarray:
    """Boolean mask keeping, in each group, the ``take[group]`` rows of highest score."""
    order = np.lexsort((-score, groups))
    g = groups[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    rank = np.arange(len(g)) - np.repeat(start, np.diff(np.r_[start, len(g)]))
    keep = np.zeros(len(g), dtype=bool)
    keep[order] = rank < take[g]
    return keep


def build_tables(sites: int, units_per_site: int, commodities: int, periods: int,
                 seed: int) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Build the case (meta dict, tables) in memory; nothing is written."""
    if sites < 2 or units_per_site < 1 or periods < 1:
        raise ValueError("need sites >= 2, units_per_site >= 1, periods >= 1")
    rng = np.random.default_rng(seed)
    P = _processes(commodities, rng)
    proc, modes, flows, value = P["processes"], P["modes"], P["mode_flows"], P["value"]
    S, U, T = sites, units_per_site, periods
    period_names = [f"p{FIRST_YEAR + PERIOD_LENGTH_YR * i}" for i in range(T)]
    length = PERIOD_LENGTH_YR if FIRST_YEAR + PERIOD_LENGTH_YR * T <= 2300 else 1
    if length == 1:
        period_names = [f"p{FIRST_YEAR + i}" for i in range(T)]

    # ---- sites on a snake-shaped grid (index neighbours are geographic neighbours)
    W = max(2, math.ceil(math.sqrt(S)))
    idx = np.arange(S)
    row, col = idx // W, idx % W
    col = np.where(row % 2 == 1, W - 1 - col, col)
    n_rows = (S + W - 1) // W
    # neighbouring sites ~1.5 deg (~150-200 km) apart; large chains squeezed onto the globe
    dlat = min(1.5, 110.0 / n_rows)
    dlon = min(2.0, 350.0 / W)
    lat = -55.0 + dlat * (row + rng.uniform(0.1, 0.9, S))
    lon = -175.0 + dlon * (col + rng.uniform(0.1, 0.9, S))
    site_names = np.char.add("s", np.char.zfill(idx.astype(str), 5))
    sites_df = pd.DataFrame({"site": site_names, "lat_deg": lat.round(4),
                             "lon_deg": lon.round(4), "description": "synthetic site"})

    # ---- units: slot 0 random, later slots often pair with the previous unit's process
    n_proc = len(proc)
    partners, n_part = _partners(proc, flows, modes)
    up = np.empty((S, U), dtype=np.int64)
    up[:, 0] = rng.integers(0, n_proc, S)
    for j in range(1, U):
        prev = up[:, j - 1]
        pick = partners[prev, rng.integers(0, 1 << 30, S) % np.maximum(n_part[prev], 1)]
        pair = (rng.random(S) < 0.6) & (n_part[prev] > 0)
        up[:, j] = np.where(pair, pick, rng.integers(0, n_proc, S))
    up = up.ravel()
    u_site = np.repeat(idx, U)
    n_units = S * U
    unit_names = np.char.add(np.char.add(site_names[u_site], "_u"),
                             np.char.zfill(np.tile(np.arange(U), S).astype(str), 2))
    cap = np.round(rng.uniform(50.0, 500.0, n_units), 1)
    expand = rng.random(n_units) < 0.3
    capex = np.round(rng.uniform(400.0, 2500.0, n_units), 0)
    units = pd.DataFrame({
        "unit": unit_names, "site": site_names[u_site],
        "process": proc["process"].to_numpy()[up],
        "capacity_k_per_yr": cap,
        "availability": np.round(rng.uniform(0.85, 0.98, n_units), 3),
        "fixed_om_usd_per_unit_yr": np.round(capex * rng.uniform(0.02, 0.04, n_units), 1),
        "capex_usd_per_unit_yr": np.where(expand, capex, np.nan),
        "max_new_k_per_yr": np.where(expand, np.round(cap * rng.uniform(0.2, 0.6, n_units),
                                                       1), np.nan),
        "lifetime_yr": rng.choice([25, 30, 40], n_units),
    })
    # A few units change capacity over time (ramp-up of a new plant, decline of an old).
    vary = np.flatnonzero(rng.random(n_units) < 0.05)
    ubp = []
    if T > 1 and len(vary):
        for k, t in enumerate(period_names):
            grow = np.where(vary % 2 == 0, 0.5 + 0.5 * k / (T - 1), 1.0 - 0.4 * k / (T - 1))
            ubp.append(pd.DataFrame({"unit": unit_names[vary], "period": t,
                                     "capacity_k_per_yr": np.round(cap[vary] * grow, 1)}))
    units_bp = pd.concat(ubp, ignore_index=True) if ubp else None

    # ---- what each site uses and makes (from its units' modes)
    f = flows.merge(modes[["mode", "process"]], on="mode")
    f = f[f["commodity"] != "co2"]
    su = pd.DataFrame({"site": u_site, "process": proc["process"].to_numpy()[up]})
    su = su.drop_duplicates()
    sf = su.merge(f[["process", "commodity", "direction"]].drop_duplicates(), on="process")
    sf = sf[["site", "commodity", "direction"]].drop_duplicates()
    uses = sf.loc[sf["direction"] == "in", ["site", "commodity"]].drop_duplicates()
    makes = sf.loc[sf["direction"] == "out", ["site", "commodity"]].drop_duplicates()
    kind = P["commodities"].set_index("commodity")["kind"]

    # ---- supplies: most raw inputs locally; a few extra raws; intermediate imports at ports
    raw_uses = uses[uses["commodity"].map(kind).eq("raw")]
    raw_uses = raw_uses[rng.random(len(raw_uses)) < 0.75]
    raws = kind.index[kind.eq("raw")].to_numpy()
    extra = pd.DataFrame({"site": idx, "commodity": rng.choice(raws, S)})
    extra = extra[rng.random(S) < 0.3]
    sup_raw = pd.concat([raw_uses, extra]).drop_duplicates(["site", "commodity"])
    v_raw = sup_raw["commodity"].map(value).to_numpy()
    n_sr = len(sup_raw)
    sup_raw = sup_raw.assign(
        cost_usd_per_unit=np.round(v_raw * rng.uniform(0.8, 1.15, n_sr), 2),
        max_k_per_yr=np.where(rng.random(n_sr) < 0.7,
                              np.round(rng.uniform(100.0, 1500.0, n_sr), 0), np.nan))
    ports = idx[rng.random(S) < 0.05]
    int_uses = uses[uses["commodity"].map(kind).eq("intermediate") & uses["site"].isin(ports)]
    v_int = int_uses["commodity"].map(value).to_numpy()
    sup_int = int_uses.assign(
        cost_usd_per_unit=np.round(v_int * rng.uniform(1.1, 1.3, len(int_uses)), 2),
        max_k_per_yr=np.round(rng.uniform(50.0, 300.0, len(int_uses)), 0))
    supplies = pd.concat([sup_raw, sup_int], ignore_index=True)
    supplies = supplies.sort_values(["site", "commodity"], kind="stable")

    # ---- markets: high-value product markets at market sites, low-value local sinks
    prods = kind.index[kind.eq("product")].to_numpy()
    msite = idx[rng.random(S) < 0.4]
    n_mk = rng.integers(2, 7, len(msite))
    hv = pd.DataFrame({"site": np.repeat(msite, n_mk),
                       "commodity": rng.choice(prods, int(n_mk.sum()))})
    hv = hv.drop_duplicates(["site", "commodity"])
    nh = len(hv)
    hv = hv.assign(
        price_usd_per_unit=np.round(hv["commodity"].map(value).to_numpy()
                                    * rng.uniform(0.95, 1.3, nh), 2),
        max_k_per_yr=np.where(rng.random(nh) < 0.5, np.round(rng.uniform(100.0, 1000.0, nh)),
                              np.nan))

    # ---- links: chain + grid + short-range edges; ~40 % both directions
    a = [idx[:-1]]
    b = [idx[1:]]
    # grid neighbour in the next row (same column)
    nxt = (row + 1) * W + np.where((row + 1) % 2 == 1, W - 1 - col, col)
    ok = (nxt < S) & (rng.random(S) < 0.5)
    a.append(idx[ok])
    b.append(nxt[ok])
    d = rng.integers(2, 7, S)
    ok = (idx + d < S) & (rng.random(S) < 0.5)
    a.append(idx[ok])
    b.append((idx + d)[ok])
    ea, eb = np.concatenate(a), np.concatenate(b)
    flip = rng.random(len(ea)) < 0.5
    ea, eb = np.where(flip, eb, ea), np.where(flip, ea, eb)
    both = rng.random(len(ea)) < 0.4
    fr = np.concatenate([ea, eb[both]])
    to = np.concatenate([eb, ea[both]])
    n_l = len(fr)
    dist = 111.0 * np.hypot(lat[fr] - lat[to], (lon[fr] - lon[to]) * np.cos(np.radians(
        (lat[fr] + lat[to]) / 2)))
    tmode = np.where(dist < 400, "pipeline", np.where(dist < 1500, "rail", "sea"))
    tmode = np.where(rng.random(n_l) < 0.05, "road", tmode)
    link_names = np.char.add("l", np.char.zfill(np.arange(n_l).astype(str), 6))
    # commodities: prefer what the origin has and the destination wants
    have = pd.concat([makes, supplies[["site", "commodity"]]]).drop_duplicates()
    want = pd.concat([uses, hv[["site", "commodity"]]]).drop_duplicates()
    cand = pd.DataFrame({"li": np.arange(n_l), "site": fr, "to": to}).merge(have, on="site")
    cand = cand.merge(want.rename(columns={"site": "to"}).assign(_w=1.0),
                      on=["to", "commodity"], how="left")
    cand["_w"] = cand["_w"].fillna(0.0)
    take = rng.integers(1, 4, n_l)
    keep = _sample_per_group(cand["li"].to_numpy(), cand["_w"].to_numpy()
                             + rng.random(len(cand)), take)
    cand = cand[keep].sort_values(["li", "commodity"])
    carried = cand.groupby("li")["commodity"].agg(";".join).reindex(np.arange(n_l))
    # every site makes something, so every link carries at least one commodity
    carried = carried.fillna(pd.Series(rng.choice(prods, n_l))).to_numpy()
    limited = rng.random(n_l) < 0.6
    lcap = np.round(rng.uniform(100.0, 2000.0, n_l))
    lexp = limited & (rng.random(n_l) < 0.35)
    links = pd.DataFrame({
        "link": link_names, "from_site": site_names[fr], "to_site": site_names[to],
        "transport_mode": tmode, "commodities": carried,
        "capacity_k_per_yr": np.where(limited, lcap, np.nan),
        "cost_usd_per_unit": np.round(2.0 + 0.02 * dist, 2),
        "loss_fraction": np.where(rng.random(n_l) < 0.4,
                                  np.round(rng.uniform(0.001, 0.02, n_l), 4), 0.0),
        "capex_usd_per_unit_yr": np.where(lexp, np.round(rng.uniform(50.0, 400.0, n_l)),
                                          np.nan),
        "max_new_k_per_yr": np.where(lexp, np.round(lcap * rng.uniform(0.2, 0.5, n_l)),
                                     np.nan),
        "lifetime_yr": 40,
    })

    # ---- every unit gets a route whose inputs are at hand (bought or made on site, or
    # brought by a link); for the others, the missing inputs of one route are imported
    # (by-products do not count: the route making them may never run)
    main_made = pd.DataFrame({"site": u_site, "commodity": proc["main"].to_numpy()[up]})
    main_made = pd.concat([main_made, supplies[["site", "commodity"]]]).drop_duplicates()
    brought = cand.rename(columns={"site": "from"}).merge(
        main_made.rename(columns={"site": "from"}), on=["from", "commodity"])
    delivered = brought[["to", "commodity"]].rename(columns={"to": "site"})
    at_hand = pd.concat([main_made, delivered]).drop_duplicates().assign(_h=True)
    fin = f.loc[f["direction"] == "in", ["mode", "process", "commodity"]]
    um = pd.DataFrame({"ui": np.arange(n_units), "site": u_site,
                       "process": proc["process"].to_numpy()[up]}).merge(fin, on="process")
    um = um.merge(at_hand, on=["site", "commodity"], how="left")
    um["_h"] = um["_h"].eq(True)
    mode_ok = um.groupby(["ui", "mode"])["_h"].all()
    unit_ok = mode_ok.groupby(level="ui").any()
    bad = unit_ok.index[~unit_ok.to_numpy()]
    miss = um[um["ui"].isin(bad) & ~um["_h"]]
    miss = miss[miss["mode"] == miss.groupby("ui")["mode"].transform("min")]
    miss = miss[["site", "commodity"]].drop_duplicates()
    nm = len(miss)
    premium = np.where(miss["commodity"].map(kind).eq("raw"), rng.uniform(0.9, 1.2, nm),
                       rng.uniform(1.05, 1.25, nm))
    imports = miss.assign(
        cost_usd_per_unit=np.round(miss["commodity"].map(value).to_numpy() * premium, 2),
        max_k_per_yr=np.round(rng.uniform(100.0, 600.0, nm)))
    supplies = pd.concat([supplies, imports], ignore_index=True).sort_values(
        ["site", "commodity"], kind="stable")

    # ---- demand floors where a unit on site makes the product as its main output, or a
    # link brings it from such a site; a low-value local market for everything a site
    # makes (so every produced commodity has a sink)
    reach = pd.concat([main_made, delivered])
    reach = reach.drop_duplicates().assign(_r=True)
    reachable = hv.merge(reach, on=["site", "commodity"], how="left")["_r"].eq(True).to_numpy()
    floor = reachable & (rng.random(nh) < 0.5)
    hv["min_k_per_yr"] = np.where(floor, np.round(rng.uniform(10.0, 80.0, nh)), 0.0)
    low = makes.merge(hv[["site", "commodity"]], how="left", indicator=True)
    low = low.loc[low["_merge"] == "left_only", ["site", "commodity"]]
    nl = len(low)
    low = low.assign(price_usd_per_unit=np.round(low["commodity"].map(value).to_numpy()
                                                 * rng.uniform(0.3, 0.6, nl), 2),
                     max_k_per_yr=np.nan, min_k_per_yr=0.0)
    markets = pd.concat([hv, low], ignore_index=True).sort_values(["site", "commodity"],
                                                                  kind="stable")
    # Demand grows on some high-value markets, up to the market's sales cap (a floor above
    # it is an input error: no sales could meet it)
    mbp = None
    grow_rows = hv[(hv["min_k_per_yr"] > 0) & (rng.random(nh) < 0.5)]
    if T > 1 and len(grow_rows):
        parts = []
        for k, t in enumerate(period_names[1:], start=1):
            parts.append(pd.DataFrame({
                "site": grow_rows["site"].to_numpy(),
                "commodity": grow_rows["commodity"].to_numpy(), "period": t,
                "min_k_per_yr": grown_floor(grow_rows["min_k_per_yr"].to_numpy(float),
                                            grow_rows["max_k_per_yr"].to_numpy(float),
                                            1.0 + 0.1 * k)}))
        mbp = pd.concat(parts, ignore_index=True)
        mbp["site"] = site_names[mbp["site"].to_numpy()]

    # ---- names back to strings; emission policy
    for df in (supplies, markets):
        df["site"] = site_names[df["site"].to_numpy()]
    policies = pd.DataFrame({"commodity": ["co2"], "site": [""],
                             "carbon_price_usd_per_unit": [25.0]})
    pol_bp = None
    if T > 1:
        pol_bp = pd.DataFrame({"commodity": "co2", "site": "", "period": period_names,
                               "carbon_price_usd_per_unit": 25.0 + 15.0 * np.arange(T)})

    meta = {
        "format_version": 1,
        "name": f"synth_s{S}_u{U}_c{commodities}_t{T}_seed{seed}",
        "description": (f"Synthetic value chain: {S} sites x {U} units, {commodities} "
                        f"commodities, {T} periods, seed {seed} (benchmarks/generate.py)"),
        "currency": "USD",
        "base_year": FIRST_YEAR,
        "discount_rate": 0.08,
        "periods": [{"period": p, "start_year": FIRST_YEAR + length * i, "length_yr": length}
                    for i, p in enumerate(period_names)],
        "demand_floors": "soft",
        "shortfall_penalty_usd_per_unit": 10000,
        "solver": {"time_limit_s": 3600, "threads": 1, "method": "auto", "mip_gap": 0.0001},
    }
    tables = {
        "commodities": P["commodities"], "sites": sites_df, "modes": modes,
        "mode_flows": flows, "units": units, "supplies": supplies, "markets": markets,
        "links": links, "policies": policies,
    }
    if units_bp is not None:
        tables["units_by_period"] = units_bp
    if mbp is not None:
        tables["markets_by_period"] = mbp
    if pol_bp is not None:
        tables["policies_by_period"] = pol_bp
    return meta, tables


# --------------------------------------------------------------------------- counting


def count_vars_tables(tables: dict[str, pd.DataFrame], periods: int) -> int:
    """LP variables the engine creates for these tables (see the README's formula)."""
    modes_per_proc = tables["modes"].groupby("process").size()
    activity = int(tables["units"]["process"].map(modes_per_proc).sum())
    flows = int((tables["links"]["commodities"].str.count(";") + 1).sum())
    purchases = len(tables["supplies"])
    mk = tables["markets"]
    sales = len(mk) + int((mk["min_k_per_yr"].fillna(0) > 0).sum())
    new_units = int((tables["units"]["max_new_k_per_yr"].fillna(0) > 0).sum())
    new_links = int((tables["links"]["max_new_k_per_yr"].fillna(0) > 0).sum())
    return periods * (activity + flows + purchases + sales + new_units + new_links)


def count_vars(case_dir: str | Path) -> int:
    """Count the LP variables of a written case folder (reads its CSV files)."""
    case_dir = Path(case_dir)
    meta = read_mapping(case_dir / "case.yaml")
    tables = {n: pd.read_csv(case_dir / f"{n}.csv", keep_default_na=True)
              for n in ("modes", "units", "links", "supplies", "markets")}
    return count_vars_tables(tables, len(meta["periods"]))


_SAMPLE_SITES = 400


def estimate_vars(sites: int, units_per_site: int, commodities: int, periods: int,
                  seed: int = 0) -> int:
    """Expected LP variable count of ``generate_case`` with these sizes.

    Exact for up to 400 sites; above that, the per-site count of a 400-site sample
    with the same seed is scaled up (the structure is statistically the same at
    every site), which is within a few percent.
    """
    n = min(sites, _SAMPLE_SITES)
    _, tables = build_tables(n, units_per_site, commodities, periods, seed)
    v = count_vars_tables(tables, periods)
    return round(v * sites / n)


def sizes_for_target(target_vars: int, seed: int = 0) -> Sizes:
    """Pick (sites, units_per_site, commodities, periods) giving about ``target_vars``."""
    lg = math.log10(max(target_vars, 1000))
    units = int(np.clip(round(2 * lg - 2), 4, 12))
    commodities = int(np.clip(round(10 * lg - 20), 12, 60))
    periods = 4
    per_site = estimate_vars(_SAMPLE_SITES, units, commodities, periods, seed) / _SAMPLE_SITES
    sites = max(2, round(target_vars / per_site))
    for _ in range(3):  # refine (small cases are counted exactly)
        est = estimate_vars(sites, units, commodities, periods, seed)
        if abs(est - target_vars) <= 0.02 * target_vars:
            break
        sites = max(2, round(sites * target_vars / est))
    return Sizes(sites, units, commodities, periods)


# --------------------------------------------------------------------------- writing


def write_case(out_dir: str | Path, meta: dict, tables: dict[str, pd.DataFrame]) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.csv"):
        old.unlink()
    (out / "case.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False, na_rep="", float_format="%.10g")
    return out


def generate_case(out_dir: str | Path, sites: int, units_per_site: int, commodities: int,
                  periods: int, seed: int = 0) -> Path:
    """Generate a synthetic case into ``out_dir`` (created; old CSVs removed); return it."""
    meta, tables = build_tables(sites, units_per_site, commodities, periods, seed)
    return write_case(out_dir, meta, tables)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--sites", type=int, default=20)
    ap.add_argument("--units-per-site", type=int, default=6)
    ap.add_argument("--commodities", type=int, default=20)
    ap.add_argument("--periods", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target-vars", type=int, default=None,
                    help="choose sites/units/commodities/periods for about this many LP "
                         "variables (overrides the size options)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.target_vars:
        sizes = sizes_for_target(args.target_vars, args.seed)
    else:
        sizes = Sizes(args.sites, args.units_per_site, args.commodities, args.periods)
    meta, tables = build_tables(**sizes.as_kwargs(), seed=args.seed)
    path = write_case(args.out_dir, meta, tables)
    n = count_vars_tables(tables, sizes.periods)
    print(f"wrote {path} ({sizes.sites} sites x {sizes.units_per_site} units, "
          f"{sizes.commodities} commodities, {sizes.periods} periods): "
          f"~{n:,} LP variables in {time.perf_counter() - t0:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
