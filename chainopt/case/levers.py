"""Policy levers and currencies, resolved into the case's own prices, costs and caps.

Applied once when a case is loaded (after unit conversion), so the model, the index and
every report see plain USD prices and costs, and a scenario switches a lever with one
change of one row (``levies`` ``active``, a ``market_groups`` ``access``, an
``fx_rates`` path):

* ``stated_currency`` (supplies, markets, modes, links, units, projects, levies,
  market_groups, commodities, blends, policies): the row's money columns are in that
  currency; period-varying ones (a group's freight premium, a carbon price among them)
  are multiplied by the ``fx_rates`` value (USD per unit) of each period, the others
  (capex, fixed O&M, a disposal cost) by the first period's rate; a unit's
  ``capex_segments`` / ``capex_curve`` rows, which replace its capex, are in the unit's
  currency too.
* ``levies`` (active rows only; amounts per commodity unit, by period, in USD once
  converted as above: a rouble duty or excise follows the rouble path):
  ``regulated_price`` sets the price of the commodity's markets at ``sites`` (blank: all
  its markets); ``export_duty`` subtracts the amount from that price;
  ``feed_excise`` adds ``amount x input per activity unit`` to the variable cost of every
  mode consuming the commodity (a negative amount is a reverse excise, a credit; national,
  so ``sites`` must be blank).
* ``market_groups``: ``access: closed`` sets the sales caps and floors of every market at
  the group's sites to 0; ``price_discount`` (a fraction) lowers their prices;
  ``freight_premium_usd_per_unit`` (in USD once converted: a rouble premium follows the
  rouble path) is added to the cost of every link into those sites. A group that lists
  ``commodities`` acts on those alone: the markets of a listed commodity at its sites,
  and each unit of a listed commodity entering a link into them. A link's cost is one
  number for all it carries, so such a premium is kept apart, per link, commodity and
  period (``Case.flow_premiums``), and the model adds it to the cost of that
  commodity's flow on the link (:func:`chainopt.case.index.build_index`):

      cost of flow[l, c, t] = cost_lt + sum of the premiums on (l, c, t)

Order for one market price: regulated price, then the group discount, then the duty:
``p' = p (1 - discount) - duty``.

What each lever changes per unit of a market's sales, a mode's activity or a link's
flow is kept (``Case.lever_effects``), so the results can say what it moves at the plan
(the ``levers`` table, :func:`chainopt.extract._levers`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.codes import positions, row_positions
from chainopt.case.index import by_period
from chainopt.case.schema import TABLES, Case, split_list

# money columns per table: (column, varies by period)
MONEY_COLUMNS = {
    "supplies": ["cost_usd_per_unit"],
    "markets": ["price_usd_per_unit"],
    "modes": ["variable_cost_usd_per_unit"],
    "links": ["cost_usd_per_unit", "capex_usd_per_unit_yr"],
    "units": ["fixed_om_usd_per_unit_yr", "capex_usd_per_unit_yr", "build_fixed_musd",
              "life_extension_capex_usd_per_unit_yr"],
    "projects": ["capex_musd"],
    "levies": ["amount_usd_per_unit"],
    "market_groups": ["freight_premium_usd_per_unit"],
    "commodities": ["disposal_cost_usd_per_unit"],
    "blends": ["variable_cost_usd_per_unit"],
    "policies": ["carbon_price_usd_per_unit"],
}
# a unit's capex curve (it replaces the unit's capex): in the unit's stated_currency
CURVE_MONEY = {"capex_segments": "capex_usd_per_unit_yr", "capex_curve": "capex_musd"}


def _given(df: pd.DataFrame, ov: pd.DataFrame | None, table: str, col: str,
           periods: list[str]) -> np.ndarray:
    """``given[i, j]``: the override of ``col`` for row ``i`` of ``df`` (``t[table]``) in
    period ``j`` that the override table ``ov`` states (NaN: none, the row's own value
    holds)."""
    given = np.full((len(df), len(periods)), np.nan)
    if ov is not None and len(ov) and col in ov.columns:
        key = list(TABLES[table].key)
        i = row_positions(df[key], [ov[c] for c in key])
        j = positions(ov["period"], periods)
        ok = (i >= 0) & (j >= 0)
        given[i[ok], j[ok]] = pd.to_numeric(ov[col], errors="coerce").to_numpy(float)[ok]
    return given


class _Staged:
    """The overrides (``<table>_by_period``) that levers write while :func:`resolve`
    applies them one after another: per table and column, the array ``given`` of
    :func:`_given`, read and changed in place, and which of its entries a lever wrote.
    :meth:`write` puts them in the override tables once at the end: row and period by
    row and period, as merging each lever's values in as it was applied did (a few
    pandas merges per lever), the tables' rows ordered by key and period."""

    def __init__(self, t: dict, bp: dict, periods: list[str]) -> None:
        self.t, self.bp, self.periods = t, bp, periods
        self.staged: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def given(self, table: str, col: str) -> np.ndarray:
        """``given`` of ``col`` with what levers wrote so far (a copy where none wrote)."""
        if (table, col) in self.staged:
            return self.staged[(table, col)][0]
        return _given(self.t[table], self.bp.get(table), table, col, self.periods)

    def set(self, table: str, col: str, at: np.ndarray, values: np.ndarray) -> None:
        """Rows ``at`` (positions in ``t[table]``) take ``values`` (one row of periods
        each) as their overrides; a NaN leaves an override as it was."""
        if (table, col) not in self.staged:
            given = self.given(table, col)
            self.staged[(table, col)] = given, np.zeros(given.shape, dtype=bool)
        given, wrote = self.staged[(table, col)]
        given[at] = np.where(np.isnan(values), given[at], values)
        wrote[at] = True

    def write(self) -> None:
        """Each written (row, period) into its override table: a row of its own where the
        table had none (the other columns blank, ``source`` '', ``_row`` 0), the value of
        each column written there (one left NaN keeps the table's)."""
        tables = dict.fromkeys(table for table, _ in self.staged)
        for table in tables:
            cols = [c for (tb, c) in self.staged if tb == table]
            spec, key = TABLES[table], list(TABLES[table].key)
            wrote = np.logical_or.reduce([self.staged[(table, c)][1] for c in cols])
            i, j = np.nonzero(wrote)  # row by row, each row's periods in order
            new = self.t[table][key].iloc[i].reset_index(drop=True)
            new["period"] = np.asarray(self.periods, dtype=object)[j]
            for c in cols:
                given, by_col = self.staged[(table, c)]
                new[c] = np.where(by_col[i, j], given[i, j], np.nan)
            ov = self.bp.get(table)
            if ov is None or ov.empty:  # (the case states none: most tables a lever writes)
                self.bp[table] = _written(new, key, spec.period_columns)
                continue
            merged = ov.merge(new, on=[*key, "period"], how="outer", suffixes=("", "_new"))
            for c in cols:
                if c + "_new" in merged.columns:
                    merged[c] = merged[c + "_new"].where(merged[c + "_new"].notna(), merged[c])
                    merged = merged.drop(columns=c + "_new")
            for c in spec.period_columns:
                merged[c] = pd.to_numeric(merged[c], errors="coerce")
            merged["source"] = merged["source"].fillna("")
            merged["_row"] = merged["_row"].fillna(0)
            self.bp[table] = merged.reset_index(drop=True)


def _written(new: pd.DataFrame, key: list[str], period_columns: list[str]) -> pd.DataFrame:
    """The override table of the rows ``new`` (``key``, ``period`` and the columns
    written) where the case states none: what merging them into an empty one gave
    (:meth:`_Staged.write`), without the merge, a third of the levers' time: the rows in
    the order of their key and period, each of ``period_columns`` (NaN where not
    written), ``source`` '' and ``_row`` 0, then any other column written."""
    out = new.sort_values([*key, "period"], kind="stable", ignore_index=True)
    cols = {c: out[c] for c in [*key, "period"]}
    for c in period_columns:
        cols[c] = (pd.to_numeric(out[c], errors="coerce") if c in out
                   else pd.Series(np.nan, index=out.index))
    cols["source"] = pd.Series("", index=out.index, dtype=object)
    cols["_row"] = pd.Series(0, index=out.index, dtype=object)
    return pd.DataFrame({**cols, **{c: out[c] for c in out.columns if c not in cols}})


def _values(t: dict, staged: _Staged, table: str, col: str, rows: pd.Index) -> pd.DataFrame:
    """``_i`` (row label of ``t[table]``), the key columns, ``period``, ``value`` (the
    override, else the row's own): each row of ``rows`` with every period in turn."""
    df, periods = t[table], staged.periods
    at, k = df.index.get_indexer(rows), len(periods)
    given = staged.given(table, col)[at]
    own = df[col].to_numpy(dtype=float, na_value=np.nan)[at]
    grid = df[list(TABLES[table].key)].iloc[np.repeat(at, k)].reset_index(drop=True)
    grid.insert(0, "_i", np.repeat(np.asarray(rows), k))
    grid["period"] = np.tile(np.asarray(periods, dtype=object), len(at))
    grid["value"] = np.where(np.isnan(given), own[:, None], given).ravel()
    return grid


def _map_period(t, staged: _Staged, table, col, rows, fn, effect=None) -> None:
    """Apply ``fn(grid) -> values`` to ``col`` of ``rows`` in every period. ``effect``
    (a list, the lever's name and kind): append what the change is worth to the chain
    per unit of the row's quantity, by period (:data:`EFFECT_COLUMNS`)."""
    if len(rows) == 0:
        return
    grid = _values(t, staged, table, col, rows)
    new = np.asarray(fn(grid), dtype=float)
    if effect is not None:
        sink, lever, kind = effect
        sign = 1.0 if table == "markets" else -1.0  # a price earns, a cost is paid
        key = list(TABLES[table].key)
        e = grid[[*key, "period"]].assign(lever=lever, kind=kind, table=table,
                                          usd_per_unit=sign * (new - grid["value"].to_numpy(
                                              float)))
        sink.append(e[e["usd_per_unit"].ne(0)])
    staged.set(table, col, t[table].index.get_indexer(rows), new.reshape(len(rows), -1))


def period_values(table: pd.DataFrame, bp: dict, name: str, col: str, periods: list[str]
                  ) -> pd.DataFrame:
    """Rows of a lever table crossed with the periods, ``col`` resolved per period."""
    t = {name: table}
    return _values(t, _Staged(t, bp, periods), name, col, table.index)


def stated_currencies(df: pd.DataFrame) -> set:
    """The distinct ``stated_currency`` cells of a table (none without the column): a
    set of a few names, so that a table all in USD ('' or 'USD') is passed over at the
    cost of reading its column once."""
    if "stated_currency" not in df.columns or not len(df):
        return set()
    return set(df["stated_currency"].to_numpy(dtype=object))


def fx_path(t: dict, bp: dict, periods: list[str]) -> dict[str, dict[str, float]]:
    """``{currency: {period: usd_per_unit}}`` (USD is 1 in every period)."""
    fx = t.get("fx_rates")
    out = {"USD": dict.fromkeys(periods, 1.0)}
    if fx is None or fx.empty:
        return out
    g = period_values(fx, bp, "fx_rates", "usd_per_unit", periods)
    for c, d in g.groupby("currency"):
        out[str(c)] = dict(zip(d["period"], d["value"].astype(float), strict=True))
    return out


#: a case's lever effects (``Case.lever_effects``): per lever and row it changes, what
#: the change is worth to the chain per unit of the row's quantity in each period (USD;
#: + a price raised or a cost lowered), the row named by its table's key columns (a
#: market's site, commodity and tier; a mode; a link)
EFFECT_COLUMNS = ["lever", "kind", "table", "site", "commodity", "tier", "mode", "link",
                  "period", "usd_per_unit"]


#: a case's freight premiums on some commodities of a link (``Case.flow_premiums``): USD
#: per unit of ``commodity`` entering ``link`` in ``period``, on top of the link's cost
PREMIUM_COLUMNS = ["link", "commodity", "period", "usd_per_unit"]


def resolve(t: dict, bp: dict, periods: list[str]
            ) -> tuple[dict, dict, pd.DataFrame, pd.DataFrame | None]:
    """The tables with currencies converted and levers applied (see the module doc), the
    levers' effects (:data:`EFFECT_COLUMNS`): a regulated price's change of the price, a
    discount's -p d, a duty's -amount, a feed excise's -amount x input per activity unit,
    a freight premium's -premium (a premium on listed commodities: per link and
    commodity); a closed group changes quantities, not money per unit, and has none. And
    the freight premiums on listed commodities (:data:`PREMIUM_COLUMNS`; None when no
    group lists commodities with a premium)."""
    t, bp = dict(t), {k: v.copy() for k, v in bp.items()}
    staged = _Staged(t, bp, periods)
    fx = fx_path(t, bp, periods)
    first = {c: fx[c][periods[0]] for c in fx}
    for table, cols in MONEY_COLUMNS.items():
        df = t[table]
        if stated_currencies(df) <= {"", "USD"}:
            continue
        foreign = df["stated_currency"].ne("") & df["stated_currency"].ne("USD")
        df = df.copy()
        rows = df.index[foreign.to_numpy()]
        period_cols = set(TABLES[table].period_columns)
        for col in cols:
            if col in period_cols:
                cur = df.loc[rows, "stated_currency"]
                t[table] = df
                _map_period(t, staged, table, col, rows,
                            lambda g, cur=cur: g["value"].to_numpy(float) * np.array(
                                [fx[cur[i]][p] for i, p in zip(g["_i"], g["period"],
                                                               strict=True)]))
                df = t[table]
            else:
                df.loc[rows, col] = df.loc[rows, col] * df.loc[rows, "stated_currency"].map(first)
        t[table] = df
    units = t["units"]
    if not stated_currencies(units) <= {"", "USD"}:  # a unit's capex curve is in its currency
        units_cur = units.set_index("unit")["stated_currency"].replace("", "USD")
        for table, col in CURVE_MONEY.items():
            df = t[table]
            if len(df):
                t[table] = df.assign(**{col: df[col] * df["unit"].map(units_cur).map(first)})
    effects: list[pd.DataFrame] = []
    premiums: list[pd.DataFrame] = []
    _levies(t, staged, effects)
    _market_groups(t, staged, effects, premiums)
    staged.write()
    frames = [e for e in effects if len(e)]
    out = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()).reindex(
        columns=EFFECT_COLUMNS)
    prem = [p for p in premiums if len(p)]
    flow = (pd.concat(prem, ignore_index=True).groupby(PREMIUM_COLUMNS[:3], as_index=False,
                                                       sort=False)["usd_per_unit"].sum()
            if prem else None)
    return t, bp, out, flow


def _listed(sites: str) -> list[str]:
    """The names of one ``;``-list cell (a row's ``sites``)."""
    return list(split_list(pd.Series([sites])))


def _market_rows(mk: pd.DataFrame, commodity: str | None, sites: str) -> pd.Index:
    sel = pd.Series(True, index=mk.index)
    if commodity is not None:
        sel &= mk["commodity"].eq(commodity)
    names = set(_listed(sites))
    if names:
        sel &= mk["site"].isin(names)
    return mk.index[sel.to_numpy()]


def _levies(t: dict, staged: _Staged, effects: list) -> None:
    lv = t.get("levies")
    if lv is None or lv.empty:
        return
    lv = lv[lv["active"].astype(bool)]
    if lv.empty:
        return
    periods = staged.periods  # (the amounts in USD: a rouble amount converted above)
    amounts = _values(t, staged, "levies", "amount_usd_per_unit", lv.index)
    amt = {(r.levy, r.period): float(r.value) for r in amounts.itertuples()}
    order = {"regulated_price": 0, "export_duty": 2, "feed_excise": 3}
    for _, lev in sorted(lv.iterrows(), key=lambda x: order[x[1]["kind"]]):
        a = {p: amt[(lev["levy"], p)] for p in periods}
        if lev["kind"] == "feed_excise":
            mf = t["mode_flows"]
            use = mf[(mf["commodity"] == lev["commodity"]) & (mf["direction"] == "in")]
            per_mode = use.groupby("mode")["amount_per_unit"].sum()
            modes = t["modes"]
            rows = modes.index[modes["mode"].isin(per_mode.index).to_numpy()]
            _map_period(t, staged, "modes", "variable_cost_usd_per_unit", rows,
                        lambda g, a=a, m=per_mode: g["value"].to_numpy(float) + g["mode"].map(
                            m).to_numpy(float) * g["period"].map(a).to_numpy(float),
                        (effects, lev["levy"], lev["kind"]))
            continue
        rows = _market_rows(t["markets"], lev["commodity"], lev["sites"])
        if lev["kind"] == "regulated_price":
            _map_period(t, staged, "markets", "price_usd_per_unit", rows,
                        lambda g, a=a: g["period"].map(a).to_numpy(float),
                        (effects, lev["levy"], lev["kind"]))
    duties = lv[lv["kind"] == "export_duty"]  # applied after the group discounts
    t["_duties"] = duties.assign(_amounts=[{p: amt[(n, p)] for p in periods}
                                           for n in duties["levy"]])


def _market_groups(t: dict, staged: _Staged, effects: list, premiums: list) -> None:
    mg = t.get("market_groups")
    if mg is not None and len(mg):
        # each group's discount and premium by period, its sites and commodities (blank:
        # every commodity), found for all groups at once
        disc = _by_row(_values(t, staged, "market_groups", "price_discount", mg.index))
        prem = _by_row(_values(t, staged, "market_groups", "freight_premium_usd_per_unit",
                               mg.index))
        site_lists = _by_cell(mg["sites"])
        good_lists = _by_cell(mg["commodities"]) if "commodities" in mg else {}
        for _, g in mg.iterrows():
            d, f = disc.get(g.name, {}), prem.get(g.name, {})
            sites = set(site_lists.get(g.name, ()))
            goods = set(good_lists.get(g.name, ()))
            mk = t["markets"]
            sel = mk["site"].isin(sites)
            if goods:
                sel &= mk["commodity"].isin(goods)
            rows = mk.index[sel.to_numpy()]
            if g["access"] == "closed":
                for col in ("max_k_per_yr", "min_k_per_yr"):
                    _map_period(t, staged, "markets", col, rows,
                                lambda gr: np.zeros(len(gr)))
            if any(d.values()):
                _map_period(t, staged, "markets", "price_usd_per_unit", rows,
                            lambda gr, d=d: gr["value"].to_numpy(float) * (
                                1.0 - gr["period"].map(d).to_numpy(float)),
                            (effects, g["group"], "price_discount"))
            if any(f.values()) and goods:
                _listed_premium(t["links"], sites, goods, f, g["group"], effects, premiums)
            elif any(f.values()):
                lk = t["links"]
                lrows = lk.index[lk["to_site"].isin(sites).to_numpy()]
                _map_period(t, staged, "links", "cost_usd_per_unit", lrows,
                            lambda gr, f=f: gr["value"].to_numpy(float)
                            + gr["period"].map(f).to_numpy(float),
                            (effects, g["group"], "freight_premium"))
    duties = t.pop("_duties", None)
    if duties is None:
        return
    for _, lev in duties.iterrows():
        rows = _market_rows(t["markets"], lev["commodity"], lev["sites"])
        a = lev["_amounts"]
        _map_period(t, staged, "markets", "price_usd_per_unit", rows,
                    lambda g, a=a: g["value"].to_numpy(float)
                    - g["period"].map(a).to_numpy(float),
                    (effects, lev["levy"], lev["kind"]))


def _by_row(grid: pd.DataFrame) -> dict:
    """A :func:`_values` grid as ``{row label: {period: value}}``."""
    out: dict = {}
    for i, p, v in zip(grid["_i"], grid["period"], grid["value"].astype(float), strict=True):
        out.setdefault(i, {})[p] = v
    return out


def _by_cell(cells: pd.Series) -> dict:
    """Each row's ``;``-list (:func:`chainopt.case.schema.split_list`) by its label: the
    items of every row read at once (a blank cell: none, no entry)."""
    items = split_list(cells)
    out: dict = {}
    for i, item in zip(items.index, items, strict=True):
        out.setdefault(i, []).append(item)
    return out


def _listed_premium(lk: pd.DataFrame, sites: set[str], goods: set[str],
                    premium: dict[str, float], group: str, effects: list,
                    premiums: list) -> None:
    """A group's freight premium on the commodities it lists: ``premium[t]`` USD per unit
    of each listed commodity entering a link into its ``sites`` in period t (another
    commodity on the same link pays none), kept per link, commodity and period, with its
    effect (-premium, per unit of that flow)."""
    into = lk[lk["to_site"].isin(sites)]
    carried = into[["link"]].join(split_list(into["commodities"]).rename("commodity"))
    carried = carried[carried["commodity"].isin(goods)]
    grid = carried.merge(pd.DataFrame({"period": list(premium)}), how="cross")
    grid = grid.assign(usd_per_unit=grid["period"].map(premium).astype(float))
    grid = grid[grid["usd_per_unit"].ne(0)].reset_index(drop=True)
    premiums.append(grid[PREMIUM_COLUMNS])
    effects.append(grid.assign(lever=group, kind="freight_premium", table="links",
                               usd_per_unit=-grid["usd_per_unit"]))


def idle_sites(case: Case) -> list[str]:
    """A warning for each lever row that names sites where it changes nothing, though it
    changes something elsewhere (a row that changes nothing at all is refused when the
    case is loaded, see ``_lever_semantics`` in :mod:`chainopt.case.validate`): an active
    ``export_duty`` or ``regulated_price`` row listing a site with no market of its
    commodity, and a ``market_groups`` row listing a site with neither a market nor a
    link into it (of the commodities it lists, if any), listing a commodity that no
    market at its sites sells and no link into them carries, or closing a site with a
    hard demand (``demand.csv``: a delivery the case requires, not a sale, so closing the
    group does not stop it). A site misspelt as another that exists would pass unseen;
    the LPG duty may list a port that sells no butane, and one commodity list may serve
    groups that sell different things, so this warns and does not refuse."""
    t = case.tables
    if t["levies"].empty and t["market_groups"].empty:
        return []
    mk, lk = t["markets"], t["links"]
    out = []
    lv = t["levies"]
    lv = lv[lv["active"].astype(bool) & lv["kind"].ne("feed_excise") & lv["sites"].ne("")]
    for lev in lv.to_dict("records"):  # a few lever rows; each tested against all markets
        c, sites = lev["commodity"], _listed(lev["sites"])
        sold = pd.Index(sites).isin(mk.loc[mk["commodity"].eq(c), "site"])
        idle = [s for s, ok in zip(sites, sold, strict=True) if not ok]
        if idle:
            what = "export duty" if lev["kind"] == "export_duty" else "regulated price"
            out.append(f"levies.csv row {lev['_row']} ({lev['levy']}): its {what} on {c} "
                       f"applies at none of {', '.join(idle)}, as no market there sells {c}; "
                       "check the row's sites and commodity, or take those sites out of "
                       "its list")
    carried = lk[["to_site"]].join(split_list(lk["commodities"]).rename("commodity"))
    for g in t["market_groups"].to_dict("records"):  # a few groups
        sites, goods = _listed(g["sites"]), _listed(g.get("commodities", ""))
        sold, sent = mk, carried
        if goods:
            sold, sent = mk[mk["commodity"].isin(goods)], carried[carried["commodity"].isin(goods)]
        reached = pd.Index(sites).isin(sold["site"]) | pd.Index(sites).isin(sent["to_site"])
        idle = [s for s, ok in zip(sites, reached, strict=True) if not ok]
        of = " of the commodities it lists" if goods else ""
        if idle:
            out.append(f"market_groups.csv row {g['_row']} ({g['group']}): its access, discount "
                       f"and freight premium change nothing at {', '.join(idle)}, as no "
                       f"market{of} is there and no link{of.replace(' of', ' carrying one of')} "
                       "enters it; check the group's sites, or take those sites out of it")
        here = set(sold.loc[sold["site"].isin(sites), "commodity"]) | set(
            sent.loc[sent["to_site"].isin(sites), "commodity"])
        unused = [c for c in goods if c not in here]
        if unused and len(unused) < len(goods):  # none at all: refused at load
            out.append(f"market_groups.csv row {g['_row']} ({g['group']}): its commodities "
                       f"{', '.join(unused)} are sold at none of its sites and carried by no "
                       "link into them, so its levers change nothing for them; check the "
                       "group's commodities, or take those out of its list")
        dm = t["demand"]
        closes = dm["site"].isin(sites) & (dm["commodity"].isin(goods) if goods else True)
        required = sorted(set(dm.loc[closes, "site"])) if g["access"] == "closed" else []
        if required:
            out.append(f"market_groups.csv row {g['_row']} ({g['group']}): it is closed, "
                       f"but demand.csv requires deliveries at {', '.join(required)}, which "
                       "closing a group does not stop (it closes sales only); remove those "
                       "demand rows in the scenario that closes the group, or open it")
    return out


def prohibitive_duties(case: Case, limit: int = 3) -> list[str]:
    """A warning for each set of active ``export_duty`` rows that makes a market's price
    negative in a period (the duties on it, together, larger than the price they are
    taken from, after a regulated price and a group's discount): the model would then
    pay to sell there, which it does only where a floor makes it. A duty meant to stop
    sales is better written as a closed market group (``market_groups.csv`` ``access:
    closed``), which sets the sales caps to 0 and leaves no price to read; a market whose
    sales cap is 0 in that period (a closed group's) sells nothing whatever its price and
    is not warned of. Names the rows, their duties and their sum where they stack, the
    group discount the price was lowered by, and the first ``limit`` markets and
    periods; whole columns (a case's duties touch a few markets)."""
    eff = case.lever_effects
    if eff is None or eff.empty:
        return []
    duty = eff[(eff["kind"] == "export_duty") & (eff["table"] == "markets")]
    if duty.empty:
        return []
    key = list(TABLES["markets"].key)
    mk = case.tables["markets"]
    touched = mk.merge(duty[key].drop_duplicates(), on=key)
    price = by_period(case, "markets", ["price_usd_per_unit", "max_k_per_yr"], touched)[
        [*key, "period", "price_usd_per_unit", "max_k_per_yr"]]
    taken = duty.groupby([*key, "period"], as_index=False)["usd_per_unit"].sum()
    price = price.merge(taken, on=[*key, "period"])
    before = price["price_usd_per_unit"] - price["usd_per_unit"]  # the duties are -amount
    sells = price["max_k_per_yr"].isna() | (price["max_k_per_yr"] > 0)  # blank: no limit
    neg = price[(price["price_usd_per_unit"] < -1e-9) & (before >= 0) & sells].assign(
        before=before)
    if neg.empty:
        return []
    at = [*key, "period"]
    lv = case.tables["levies"].set_index("levy")
    where = pd.Series(range(len(lv)), index=lv.index)  # levies.csv order
    hit = duty.merge(neg[at], on=at).assign(_o=lambda d: d["lever"].map(where)).sort_values(
        "_o", kind="stable")
    hit = hit.assign(amount=-hit["usd_per_unit"]).groupby(at, as_index=False, dropna=False,
                                                         sort=False).agg(
        levies=("lever", tuple), duties=("amount", tuple))
    disc = eff[(eff["kind"] == "price_discount") & (eff["table"] == "markets")]
    cut = disc.merge(neg[at], on=at)
    cut = cut.assign(amount=-cut["usd_per_unit"])
    cut = cut.groupby(at, as_index=False, dropna=False, sort=False).agg(
        groups=("lever", tuple), cuts=("amount", tuple))
    neg = neg.merge(hit, on=at).merge(cut, on=at, how="left")
    units = case.tables["commodities"].set_index("commodity")["unit"]
    order = {p: i for i, p in enumerate(case.meta.period_names)}
    neg = neg.assign(_p=neg["period"].map(order)).sort_values(["_p", "site", "commodity"],
                                                              kind="stable")
    out = []
    for levies, rows in sorted(neg.groupby("levies", sort=False),  # a few sets of rows
                               key=lambda g: [where[x] for x in g[0]]):
        c = str(rows["commodity"].iloc[0])
        per = f"USD per {units.get(c, 'unit')}"
        told = []
        for r in rows.head(limit).itertuples():
            took = (f"a duty of {_usd(r.duties[0])}" if len(r.duties) == 1 else
                    f"duties of {' + '.join(map(_usd, r.duties))} = {_usd(sum(r.duties))}")
            cuts = r.cuts if isinstance(r.cuts, tuple) else ()
            lowered = (f"; {_usd(r.before)} is {_usd(r.before + sum(cuts))} less " + " and ".join(
                f"market group {g}'s discount of {_usd(a)}"
                for g, a in zip(r.groups, cuts, strict=True)) if cuts else "")
            told.append(f"{r.site}{_tier(r.tier)} in {r.period} ({took} on {_usd(r.before)} "
                        f"{per}: {_usd(r.price_usd_per_unit)}{lowered})")
        more = f", and {len(rows) - limit} more" if len(rows) > limit else ""
        if len(levies) == 1:
            head = (f"levies.csv row {lv.loc[levies[0], '_row']} ({levies[0]}): its export "
                    f"duty on {c} is larger than the market price it is taken from, which it "
                    "makes negative")
        else:
            named = [f"{lv.loc[x, '_row']} ({x})" for x in levies]
            head = (f"levies.csv rows {', '.join(named[:-1])} and {named[-1]}: their export "
                    f"duties on {c} together are larger than the market price they are "
                    "taken from, which they make negative")
        out.append(f"{head}, at {'; '.join(told)}{more}: the model sells there only where "
                   "a floor makes it, paying to. To stop sales there, close the market in a "
                   "market group instead (market_groups.csv, access: closed); to tax them, "
                   f"give {'a duty' if len(levies) == 1 else 'duties'} below the price")
    return out


def _usd(x: float) -> str:
    """A price or duty in USD to the cent, without float noise (a rouble duty of 51,850
    at 0.0117647 USD is 609.99969: 610)."""
    return f"{round(float(x), 2) + 0.0:,.10g}"


def _tier(tier) -> str:
    """`` (tier k)`` for a market's tier above the first, '' for the first (or none)."""
    t = pd.to_numeric(pd.Series([tier]), errors="coerce").iloc[0]
    return f" (tier {int(t)})" if pd.notna(t) and t != 1 else ""
