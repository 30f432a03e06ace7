"""Figure data and figure builders shared by the HTML report and static charts.

Every figure starts as a tidy pandas frame computed here from the result tables
(``*_data`` functions); :func:`plotly_figures` turns them into plotly figures for
the HTML report and :mod:`chainopt.report.static` draws the same frames with
matplotlib for slides. Names taken from the case are passed through
:func:`esc` before they reach a figure, so they render as text.

No Pyomo, no api, no cli: only pandas, plotly and the tables of a results folder.
"""

from __future__ import annotations

import colorsys
import html
import itertools
import json
import math
import textwrap
from dataclasses import dataclass, field
from importlib.resources import files
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from chainopt.case.schema import LEVY_KINDS, UNITS
from chainopt.case.units import factor
from chainopt.controls import plain
from chainopt.report import moving
from chainopt.results import commodity_units, rows


def mpl_text(s: object) -> str:
    """Text for matplotlib to draw as it is: control characters written out
    (:func:`chainopt.controls.plain`: a font has no glyph for ESC or BEL, and matplotlib
    said so in a ``UserWarning`` per glyph with the raw bytes on stderr), line breaks kept
    (a wrapped label), and '$' escaped so mathtext never reads a name. Every label,
    title and note of a static chart goes through here."""
    return plain(str(s)).replace("$", r"\$")


if TYPE_CHECKING:
    from matplotlib.figure import Figure

TOL = 1e-6

#: Sankey node kinds in the order of the chain, with their colours ('added': the value
#: added to or lost by each step, in the value measure)
KIND_COLOURS = {
    "added": "#bdbdbd", "supply": "#8c6d31", "segment": "#253858", "commodity": "#9ecae1",
    "unit": "#e6550d", "blend": "#fd8d3c", "link": "#756bb1", "market": "#31a354",
}


def esc(name: object) -> str:
    """A case name as safe text (HTML-escaped once) for labels, hovers and tables.

    Quotes become numeric references (``&#34;``, ``&#39;``), which both browsers and
    plotly's label renderer decode (plotly shows ``&quot;`` literally)."""
    return html.escape(str(name), quote=False).replace('"', "&#34;").replace("'", "&#39;")


def _t(tables: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    df = tables.get(name)
    return df if df is not None else pd.DataFrame()


def periods_of(tables: dict[str, pd.DataFrame], manifest: dict | None = None) -> list[str]:
    """The periods in the case's order (from the manifest when known)."""
    if manifest and manifest.get("periods"):
        return [str(p) for p in manifest["periods"]]
    seen: list[str] = []
    for name in ("activity", "flows", "sales", "capacity"):
        df = _t(tables, name)
        if "period" in df.columns:
            seen += [str(p) for p in df["period"] if str(p) and str(p) not in seen]
    return list(dict.fromkeys(seen))


def span_text(start: int, length: int) -> str:
    """The years of a period that starts in ``start`` and lasts ``length`` years, as a
    chart labels them: 2026 and 3 years -> '2026-28' (2026, 2027, 2028), 2029 and 1 ->
    '2029', 2096 and 10 -> '2096-2105' (an end in another century written whole)."""
    end = start + max(int(length), 1) - 1
    if end == start:
        return str(start)
    same = str(end)[:-2] == str(start)[:-2]
    return f"{start}-{str(end)[-2:] if same else end}"


#: the period in an axis title of a chart whose periods :class:`PeriodYears` names, and
#: with the note it needs when a label names a run whose years differ
PERIOD_AXIS = ("period (years)", "period (years; 'run: years' where a run's differ)")

#: what a change chart calls the base when a label states its years apart
BASE_WORD = "base"


@dataclass(frozen=True)
class PeriodYears:
    """The years each compared run gives each period: ``spans[period][run]`` is
    :func:`span_text` of the run's ``start_year`` and ``length_yr`` (``'2026-28'``);
    ``runs`` in the comparison's order, the base first."""

    runs: tuple[str, ...]
    spans: dict[str, dict[str, str]]

    def labels(self, series: list[str] | None = None) -> dict[str, str]:
        """Each period's label in a chart whose legend shows ``series`` (run names, or
        ``Δ <run>`` in a change chart; all the runs when None), for the years of exactly
        those series, compactly:

        * every series that has the period gives it the same years: ``p2026 (2026-30)``;
        * else the years most of them give (on a tie the base's, if it is one of the
          tied, else the first series' in the legend), then each series that differs,
          in the legend's order, by its run's name: ``p2026 (2026-30;
          proposal_nakhodka_methanol_urea: 2026-28)``;
        * a change chart (a ``Δ`` series; the base has no series there, every Δ is
          against it) then states the base's years where they differ from those:
          ``p2026 (2026-28; base: 2026-30)`` (one split run against the base), and
          they alone when no series has the period.

        A series without the period is not named (its value there is that of its period
        holding those years, or blank: :mod:`chainopt.report.holding`); a period no run
        gives years for keeps its bare name (no label)."""
        names = [str(s) for s in (self.runs if series is None else series)]
        change = any(n.startswith("Δ ") for n in names)
        shown = [n.removeprefix("Δ ") for n in names]
        base = self.runs[0] if change and self.runs and self.runs[0] not in shown else None
        out = {}
        for p, by_run in self.spans.items():
            have = [(r, by_run[r]) for r in shown if r in by_run]
            said = base is not None and base in by_run
            if not have and not said:
                continue
            if have:
                counts: dict[str, int] = {}
                for _, s in have:
                    counts[s] = counts.get(s, 0) + 1
                top = max(counts.values())
                tied = [s for s in counts if counts[s] == top]  # in the legend's order
                first = (by_run.get(self.runs[0]) if self.runs else None)
                common = first if first in tied else tied[0]
            else:
                common = by_run[base]  # type: ignore[index]
            bits = [common, *(f"{r}: {s}" for r, s in have if s != common)]
            if said and by_run[base] != common:  # type: ignore[index]
                bits.append(f"{BASE_WORD}: {by_run[base]}")  # type: ignore[index]
            out[p] = f"{p} ({'; '.join(bits)})"
        return out


def period_years(period_tables: list[list[dict]], runs: list[str] | None = None
                 ) -> PeriodYears:
    """:class:`PeriodYears` of the runs whose ``manifest.json`` ``period_table`` is each of
    ``period_tables`` (in the runs' order, the base first; one table for a run's own
    report), named ``runs`` (``run 1``, ``run 2``, ... when not known). The rule, one for
    every chart and chart table: a period is always labelled with its years when a table
    gives them, equal lengths or not, so a split part (p2026 split at 2029 and 2030: 3, 1
    and 1 years beside p2031's 5) reads as what it is."""
    names = [str(r) for r in runs] if runs is not None else []
    names += [f"run {i + 1}" for i in range(len(names), len(period_tables))]
    spans: dict[str, dict[str, str]] = {}
    for name, table in zip(names, period_tables, strict=False):
        for row in table or []:
            try:  # a record someone edited: a row without years is no label
                p, text = str(row["period"]), span_text(int(row["start_year"]),
                                                        int(row["length_yr"]))
            except (KeyError, TypeError, ValueError):
                continue
            spans.setdefault(p, {})[name] = text
    return PeriodYears(tuple(names), spans)


def run_period_labels(manifest: dict | None) -> dict[str, str]:
    """The period labels of one run (its manifest's ``period_table``; none known: {})."""
    table = (manifest or {}).get("period_table")
    return period_years([table]).labels() if isinstance(table, list) else {}


def key_axis(df: pd.DataFrame, keys: list[str], labels: dict[str, str]) -> str | None:
    """The axis title of a comparison chart of ``df``'s rows, named by its ``keys``
    columns (:func:`row_labels`): the keys joined by ' / ', the period as
    :data:`PERIOD_AXIS` says it, with its note on 'run: years' when the label of one of
    the rows' periods names a run's (``production``: 'product / unit / period (years)').
    None for a table without periods, or without ``labels`` (a folder that records no
    period tables)."""
    if "period" not in keys or "period" not in df.columns or not labels:
        return None
    several = any("; " in labels.get(str(p), "") for p in df["period"])
    return " / ".join(PERIOD_AXIS[several] if k == "period" else str(k) for k in keys)


def labelled(df: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """``df`` with its ``period`` column (if any) as :meth:`PeriodYears.labels` labels
    it, for a chart; periods without a label kept."""
    if not labels or "period" not in df.columns:
        return df
    return df.assign(period=[labels.get(str(p), p) for p in df["period"]])


def with_years(df: pd.DataFrame, years: PeriodYears) -> pd.DataFrame:
    """A comparison table as a human reads it (the HTML report's tables, the deck's),
    each period with its years as the charts beside it say them (:meth:`PeriodYears.
    labels`): a table of one row per scenario (``project_constraints``, ``economics``)
    its ``period`` and ``built`` (``p2026, p2031``) cells with that scenario's years
    (``p2026 (2026-28)``); a side-by-side table its ``period`` cells with the years of
    its run columns (``p2026 (2026-30; proposal_nakhodka_methanol_urea: 2026-28)``).
    The CSV files keep bare names (read back by other code); a period no run gives
    years for stays bare, and so does every period without ``years`` (a folder that
    records none)."""
    if not years.spans:
        return df
    if "scenario" in df.columns:
        own = {r: years.labels([r]) for r in df["scenario"].astype(str).unique()}
        out = df
        for col in ("period", "built"):
            if col in df.columns:
                out = out.assign(**{col: [
                    ", ".join(own[r].get(x, x) for x in v.split(", "))
                    if isinstance(v, str) and v else v
                    for r, v in zip(df["scenario"].astype(str), df[col], strict=True)]})
        return out
    _, values, _ = compare_columns(df)
    return labelled(df, years.labels(values or None))


def wrapped(text: object, width: int, newline: str = "\n") -> str:
    """``text`` wrapped at ``width`` characters (at spaces; a long name kept whole), its
    lines joined by ``newline`` (``<br>`` for plotly): a chart's tick labels and titles,
    which run off the image when they are longer than it is wide."""
    return newline.join(textwrap.wrap(str(text), width, break_long_words=False,
                                      break_on_hyphens=False) or [""])


# -- Sankey -------------------------------------------------------------------------------

@dataclass
class SankeyData:
    """Nodes (label, kind) and links (source, target index, quantity, value) of one period."""

    nodes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["label", "kind"]))
    links: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["source", "target", "commodity", "quantity_k_per_yr", "value_musd_per_yr"]))


def sankey_data(tables: dict[str, pd.DataFrame], period: str) -> SankeyData:
    """The value chain of one period: supply -> commodity at site -> units -> links -> markets.

    Widths are quantities (thousand units per year of each commodity's own unit); the
    value of a band is its quantity at the commodity's marginal value at the site it
    leaves (purchases at cost, sales at their revenue), in MUSD per year.
    """
    bands = _bands(tables, period)
    return SankeyData() if bands.empty else _sankey_graph(bands)


def _bands(tables: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Every band of the period's value chain (:data:`_BAND_COLUMNS`): supplies, units,
    blends, links and sales, each valued at the marginal value of what it carries at the
    site it leaves. Made column by column (a band per row of a table, in its order)."""
    price = _site_values(tables, period)
    parts = [_supply_bands(tables, period), _unit_bands(tables, period, price),
             *_blend_bands(tables, period, price), _link_bands(tables, period, price),
             _sales_bands(tables, period)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=_BAND_COLUMNS)
    return pd.concat(parts, ignore_index=True)


_BAND_COLUMNS = ["src", "src_kind", "dst", "dst_kind", "commodity", "quantity_k_per_yr",
                 "value_musd_per_yr"]


def _band_frame(src: pd.Series, src_kind: str | np.ndarray, dst: pd.Series,
                dst_kind: str | np.ndarray, commodity: pd.Series, quantity: np.ndarray,
                value: np.ndarray) -> pd.DataFrame:
    """Bands (:data:`_BAND_COLUMNS`) from their columns (a kind: one for all, or each
    band's); the names' index is that of ``commodity``."""
    index = commodity.index
    return pd.DataFrame({"src": src, "src_kind": src_kind, "dst": dst, "dst_kind": dst_kind,
                         "commodity": commodity,
                         "quantity_k_per_yr": pd.Series(quantity, index=index, dtype=float),
                         "value_musd_per_yr": pd.Series(value, index=index, dtype=float)},
                        index=index).reset_index(drop=True)


def _in_period(tables: dict[str, pd.DataFrame], name: str, period: str) -> pd.DataFrame:
    """Rows of table ``name`` in ``period`` (an empty frame when the table is absent)."""
    df = _t(tables, name)
    return df[df["period"].astype(str) == period] if len(df) else df


def _flowing(df: pd.DataFrame, column: str, blank: bool = False
             ) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of ``df`` whose ``column`` is above :data:`TOL` (``blank``: or blank), and
    those amounts."""
    if not len(df):
        return df, np.zeros(0)
    q = df[column].to_numpy(dtype=float)
    keep = ~(q <= TOL) if blank else q > TOL
    return df[keep], q[keep]


def _text(df: pd.DataFrame, column: str) -> pd.Series:
    """A column of names as text, as a format string writes them (a blank as 'nan')."""
    return df[column].astype(str).fillna("nan")


def _site_values(tables: dict[str, pd.DataFrame], period: str) -> pd.Series:
    """Marginal value in ``period`` (balance shadow price) by (site, commodity), each pair
    once (the last row of it, were there two)."""
    b = _in_period(tables, "balances", period)
    if not len(b):
        return pd.Series(dtype=float)
    keys = pd.MultiIndex.from_arrays([_text(b, "site"), _text(b, "commodity")])
    price = pd.Series(b["shadow_price_usd_per_unit"].to_numpy(dtype=float), index=keys)
    return price[~keys.duplicated(keep="last")]


def _hub(site: pd.Series, commodity: pd.Series) -> pd.Series:
    return commodity + " @ " + site


def _value(price: pd.Series, site: pd.Series, commodity: pd.Series, q: np.ndarray
           ) -> np.ndarray:
    """MUSD/yr of ``q`` k units/yr at each commodity's value at its ``site`` (NaN where
    the site has no balance of it)."""
    if price.empty or not len(q):
        return q * np.nan
    at = price.index.get_indexer(pd.MultiIndex.from_arrays([site, commodity]))
    p = np.where(at >= 0, price.to_numpy()[at], np.nan)
    return q * p / 1000.0


def _supply_bands(tables: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Purchases into their commodity at the site, valued at cost."""
    pu, q = _flowing(_in_period(tables, "purchases", period), "purchase_k_per_yr")
    if not len(pu):
        return pd.DataFrame()
    site, com = _text(pu, "site"), _text(pu, "commodity")
    return _band_frame("supply " + com + " @ " + site, "supply", _hub(site, com),
                       "commodity", com, q,
                       q * pu["cost_usd_per_unit"].to_numpy(dtype=float) / 1000.0)


def _unit_bands(tables: dict[str, pd.DataFrame], period: str,
                price: pd.Series) -> pd.DataFrame:
    """What units take in (commodity -> unit) and put out (unit -> commodity)."""
    uf, q = _flowing(_in_period(tables, "unit_flows", period), "amount_k_per_yr", True)
    if not len(uf):
        return pd.DataFrame()
    site, com = _text(uf, "site"), _text(uf, "commodity")
    hub, unit = _hub(site, com), "unit " + _text(uf, "unit")
    into = (uf["direction"] == "in").to_numpy(dtype=bool, na_value=False)
    return _band_frame(hub.where(into, unit), np.where(into, "commodity", "unit"),
                       unit.where(into, hub), np.where(into, "unit", "commodity"), com, q,
                       _value(price, site, com, q))


def _blend_bands(tables: dict[str, pd.DataFrame], period: str,
                 price: pd.Series) -> list[pd.DataFrame]:
    """Components into each blend, and each blend's product out."""
    bl = _in_period(tables, "blending", period)
    if not len(bl):
        return []
    parts = []
    into, q = _flowing(bl, "blend_k_per_yr")
    if len(into):
        site, com = _text(into, "site"), _text(into, "component")
        parts.append(_band_frame(_hub(site, com), "commodity", "blend " + _text(into, "blend"),
                                 "blend", com, q, _value(price, site, com, q)))
    out, q = _flowing(bl.groupby(["blend", "site", "product"], as_index=False)
                      ["blend_k_per_yr"].sum(), "blend_k_per_yr")
    if len(out):
        site, com = _text(out, "site"), _text(out, "product")
        parts.append(_band_frame("blend " + _text(out, "blend"), "blend", _hub(site, com),
                                 "commodity", com, q, _value(price, site, com, q)))
    return parts


def _link_bands(tables: dict[str, pd.DataFrame], period: str,
                price: pd.Series) -> pd.DataFrame:
    """Flows into each link at its origin and delivered out of it at its destination
    (the two bands of a flow one after the other)."""
    fl, q = _flowing(_in_period(tables, "flows", period), "flow_k_per_yr", True)
    if not len(fl):
        return pd.DataFrame()
    link, com = "link " + _text(fl, "link"), _text(fl, "commodity")
    origin, end = _text(fl, "from_site"), _text(fl, "to_site")
    got = fl["delivered_k_per_yr"].to_numpy(dtype=float)
    both = pd.concat([_band_frame(_hub(origin, com), "commodity", link, "link", com, q,
                                  _value(price, origin, com, q)),
                      _band_frame(link, "link", _hub(end, com), "commodity", com, got,
                                  _value(price, end, com, got))])
    return both.sort_index(kind="stable").reset_index(drop=True)


def _sales_bands(tables: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Sales from the commodity at the site to its market, valued at their revenue."""
    sa, q = _flowing(_in_period(tables, "sales", period), "sales_k_per_yr")
    if not len(sa):
        return pd.DataFrame()
    site, com = _text(sa, "site"), _text(sa, "commodity")
    return _band_frame(_hub(site, com), "commodity", "market " + site, "market", com, q,
                       sa["revenue_musd_per_yr"].to_numpy(dtype=float))


def _sankey_graph(df: pd.DataFrame) -> SankeyData:
    """Nodes (ordered by kind, then name) and links of the bands; a recycle loop
    (A -> unit -> B -> unit -> A) ends at a 'recycled' node."""
    cut = _back_edges(df["src"], df["dst"])
    if cut.any():
        df.loc[cut, "dst"] = df.loc[cut, "dst"] + " (recycled)"
    kinds = dict(zip(df["src"].tolist(), df["src_kind"].tolist(), strict=False))
    kinds.update(zip(df["dst"].tolist(), df["dst_kind"].tolist(), strict=False))
    order = {k: i for i, k in enumerate(KIND_COLOURS)}
    # (kind's place, name) pairs sorted as tuples: no Python call per comparison
    ranked = sorted(zip(map(order.__getitem__, kinds.values()), kinds, strict=True))
    labels = [n for _, n in ranked]
    idx = pd.Index(labels, dtype=object)
    nodes = pd.DataFrame({"label": labels, "kind": [kinds[n] for n in labels]})
    links = pd.DataFrame({"source": idx.get_indexer(df["src"]),
                          "target": idx.get_indexer(df["dst"]),
                          "commodity": df["commodity"],
                          "quantity_k_per_yr": df["quantity_k_per_yr"],
                          "value_musd_per_yr": df["value_musd_per_yr"]}, index=df.index)
    return SankeyData(nodes=nodes, links=links)


def _back_edges(src: pd.Series, dst: pd.Series) -> np.ndarray:
    """Which edges (``src[i]`` -> ``dst[i]``) close a cycle: those from a node to one on
    the path an iterative depth-first search holds, started from each source (a node
    no edge enters) in the order the nodes first appear (each edge's head, then its
    tail), then from every node so far unvisited; a node's edges are followed in their
    order. Every edge of such a pair of nodes is marked. The nodes are numbered and the
    edges held as arrays (the 300k-variable run's petrochemicals drill-down, 30,246 nodes
    and 59,451 edges: 14 ms)."""
    m = len(src)
    if not m:
        return np.zeros(0, dtype=bool)
    code, _names = pd.factorize(pd.concat([src, dst], ignore_index=True),
                                use_na_sentinel=False)
    s_code, d_code = code[:m], code[m:]
    n = int(code.max()) + 1
    seen = np.empty(2 * m, dtype=np.int64)  # each edge's head, then its tail
    seen[0::2], seen[1::2] = d_code, s_code
    first = pd.unique(seen)  # the nodes in the order they first appear
    indeg = np.bincount(d_code, minlength=n)
    by_src = np.argsort(s_code, kind="stable")
    heads = d_code[by_src].tolist()  # each node's edges' heads, in the edges' order
    ends = np.cumsum(np.bincount(s_code, minlength=n))
    end = ends.tolist()
    start = (ends - np.bincount(s_code, minlength=n)).tolist()
    state = bytearray(n)  # 0 unvisited, 1 on the path, 2 done
    back: set[int] = set()
    for root in [*first[indeg[first] == 0].tolist(), *first.tolist()]:
        if state[root]:
            continue
        state[root] = 1
        path, at = [root], [start[root]]
        while path:
            node, k = path[-1], at[-1]
            if k == end[node]:
                state[node] = 2
                path.pop()
                at.pop()
                continue
            at[-1] = k + 1
            nxt = heads[k]
            if state[nxt] == 1:
                back.add(node * n + nxt)
            elif not state[nxt]:
                state[nxt] = 1
                path.append(nxt)
                at.append(start[nxt])
    if not back:
        return np.zeros(m, dtype=bool)
    return np.isin(s_code.astype(np.int64) * n + d_code, np.fromiter(back, dtype=np.int64))


def sankey_layers(data: SankeyData) -> list[int]:
    """A column for every node (longest path from a source; cycles are cut)."""
    n = len(data.nodes)
    layer = [0] * n
    edges = list(zip(data.links["source"], data.links["target"], strict=False))
    for _ in range(n):
        changed = False
        for s, t in edges:
            if layer[t] < layer[s] + 1 and layer[s] + 1 < n:
                layer[t] = layer[s] + 1
                changed = True
        if not changed:
            break
    last = max(layer, default=0)
    return [last if k == "market" else v for k, v in zip(data.nodes["kind"], layer, strict=False)]


# -- map ----------------------------------------------------------------------------------

def map_data(tables: dict[str, pd.DataFrame], period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sites (site, lon, lat) and routes of one period: link, mode, ends and

    * ``commodities``: what the route carries, each with its flow in its own unit
      (``crude 1,200.0 k t/yr, gas 300.0 k 1000m3/yr``): a sum over commodities of
      different units would mean nothing (it was shown as "k units/yr");
    * ``width_kt_per_yr``: the route's flow by mass (:func:`measure_factors`), the basis
      of its line width, so that a gas pipeline and a crude line compare; a commodity
      that cannot be converted counts its own amount (as all do without a
      ``commodities`` table)."""
    sites = _t(tables, "sites")
    if sites.empty or not {"lat_deg", "lon_deg"} <= set(sites.columns):
        return pd.DataFrame(columns=["site", "lon_deg", "lat_deg"]), pd.DataFrame()
    sites = sites[["site", "lon_deg", "lat_deg"]].dropna()
    fl = _t(tables, "flows")
    if fl.empty:
        return sites, pd.DataFrame()
    fl = fl[fl["period"].astype(str) == period]
    unit = commodity_units(tables)
    factors = pd.Series(measure_factors(tables, "mass")[0], dtype=float)
    flow = fl["flow_k_per_yr"].to_numpy(float)
    mass = flow * fl["commodity"].map(factors).fillna(1.0).to_numpy(float)
    keys = ["link", "from_site", "to_site", "transport_mode"]
    f = fl[[*keys, "commodity"]].assign(flow=flow, mass=mass)
    g = f.groupby(keys, as_index=False).agg(width_kt_per_yr=("mass", "sum"))
    used = f[f["flow"] > TOL].sort_values([*keys, "commodity"])
    said = [f"{c} {q:,.1f} k {unit.get(c, 'units')}/yr"
            for c, q in zip(used["commodity"].astype(str), used["flow"], strict=True)]
    text = used[keys].assign(commodities=said).groupby(keys)["commodities"].agg(", ".join)
    g = g.merge(text.reset_index(), on=keys, how="left").fillna({"commodities": "idle"})
    pos = sites.set_index("site")
    g = g[g["from_site"].isin(pos.index) & g["to_site"].isin(pos.index)]
    g = g.assign(lon0=g["from_site"].map(pos["lon_deg"]), lat0=g["from_site"].map(pos["lat_deg"]),
                 lon1=g["to_site"].map(pos["lon_deg"]), lat1=g["to_site"].map(pos["lat_deg"]))
    return sites, g.reset_index(drop=True)


#: a map drawn as a picture labels at most this many sites (:func:`map_labelled`): the
#: labels of a run of 1,192 sites covered its 11 in picture, and their leader lines took
#: 6 of its 10 s; the shipped cases have at most 21 sites
MAX_MAP_LABELS = 120


def map_labelled(sites: pd.DataFrame, routes: pd.DataFrame, most: int = MAX_MAP_LABELS,
                 also: str = "") -> tuple[np.ndarray, str]:
    """Which of ``sites`` (:func:`map_data`) a map labels, and what its title says of it.
    Every site when there are at most ``most``; else the ``most`` whose routes carry the
    most (the sum of ``width_kt_per_yr``, the flow by mass, over ``routes`` from or to
    the site: a picture's period's, or the page's every period's), the name first in
    order among equals, and the title says ' (labelled: the 120 busiest of 1,192 sites
    by the flow on their routes)', ``also`` before its closing bracket."""
    n = len(sites)
    if n <= most:
        return np.ones(n, dtype=bool), ""
    names = sites["site"].astype(str).to_numpy()
    flow = np.zeros(n)
    if len(routes):
        w = routes["width_kt_per_yr"].to_numpy(float)
        ends = pd.Series(np.concatenate([w, w]), index=np.concatenate([
            routes["from_site"].astype(str).to_numpy(), routes["to_site"].astype(str).to_numpy()]))
        flow = ends.groupby(level=0).sum().reindex(names).fillna(0.0).to_numpy()
    keep = np.zeros(n, dtype=bool)
    keep[np.lexsort((names, -flow))[:most]] = True
    return keep, (f" (labelled: the {most:,} busiest of {n:,} sites by the flow on their "
                  f"routes{also})")


def line_width(flow: float, max_flow: float) -> float:
    """Route line width in pixels: 1 (idle) to 14 (largest flow)."""
    if max_flow <= TOL or flow <= TOL:
        return 1.0
    return 1.5 + 12.5 * flow / max_flow


# -- bar charts ---------------------------------------------------------------------------

#: matplotlib's and plotly's default cycle (tab10), then tab20 for up to 20 series
_TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf")
_TAB20 = ("#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728",
          "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2",
          "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5")


def series_colours(names: list, among: list | None = None) -> dict[str, str]:
    """A colour for each series of one chart, every one different: the default cycles
    repeat after 10 (the 11th series of a chart took the 1st one's colour, so a legend
    entry named two bars). Up to 10 names take tab10, up to 20 tab20, more evenly spaced
    hues at two lightnesses. Colours go to the names in sorted order, not in the order a
    chart draws them (by size), so a name keeps its colour in every chart and report
    of the same set of names (the units of a case in two of its scenarios).

    A change series ``Δ <run>`` takes its run's colour, and ``among`` (a comparison's
    runs) names the set the colours go to: with it a scenario has one colour in the
    comparison's level and change charts alike (the change charts, whose names lack the
    base, gave a run the colour of another run's place in the level charts)."""
    shown = [str(n) for n in names]
    keys = sorted(dict.fromkeys([*(n.removeprefix("Δ ") for n in shown),
                                 *(str(n).removeprefix("Δ ") for n in among or [])]))
    n = len(keys)
    if n <= len(_TAB20):
        pal = list(_TAB10 if n <= len(_TAB10) else _TAB20)
    else:
        pal = ["#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in colorsys.hls_to_rgb(
            i / n, 0.38 if i % 2 else 0.58, 0.75))) for i in range(n)]
    of = dict(zip(keys, pal, strict=False))
    return {**of, **{s: of[s.removeprefix("Δ ")] for s in shown}}


#: characters a line of a comparison chart's tick label and title, in the PNG and the
#: HTML alike (neither wraps: labels with each run's years ran the title and the axis
#: title off the chart)
TICK_WIDTH, TITLE_WIDTH = 40, 95

#: how a chart marks a value that is not compared (a blank cell of its table: a run's
#: uneven period holding a period another run splits off, a period the run does not
#: have, a commodity value that is a bound), and what its title then says
NOT_COMPARED = "not compared"
NOT_COMPARED_NOTE = ("×: not compared (blank in the table, the run has no value of its "
                     "own there; the warnings say why)")
#: the legend entry of the marks
NOT_COMPARED_LEGEND = "not compared (blank)"


#: where on the value axis 0 must lie (as a share of the axis from its low end) for a
#: chart to write the words 'not compared' before the mark at 0 (:func:`not_compared_before`)
NOT_COMPARED_SIDE = 0.75


def not_compared_before(values: object) -> bool:
    """Whether a chart writes :data:`NOT_COMPARED` before its mark at 0 (left of it, or
    below) rather than after it: the one rule of the PNG and the HTML charts. The value
    axis spans the values drawn and 0 (bars start at 0): low = min(0, min v), high =
    max(0, max v), NaN (not compared) left out. The words go on the side with more room,
    before the mark when 0 lies in the last quarter of the axis, (0 - low) / (high -
    low) > :data:`NOT_COMPARED_SIDE`: every change negative (-3, -1) puts 0 at the
    axis' end (share 1), where words after it ran out of the plot and under the legend
    (review out31 F3, the HTML's out32 F1); -1 and +3 put it at 0.25, words after."""
    low, high = bar_axis(values)
    return high > low and (0.0 - low) / (high - low) > NOT_COMPARED_SIDE


def bar_axis(values: object) -> tuple[float, float]:
    """(low, high) of a bar chart's value axis before its margins: the ``values`` drawn
    (any array-like; NaN and text left out) and 0, where every bar starts."""
    v = pd.to_numeric(pd.Series(np.ravel(np.asarray(values, dtype=object))),
                      errors="coerce").dropna()
    return (min(0.0, float(v.min())), max(0.0, float(v.max()))) if len(v) else (0.0, 0.0)


def not_compared(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Which cells of ``columns`` are not compared: blank (NaN) in the comparison table,
    which a bar chart would draw as no bar, a Δ of 0 to the eye."""
    return df[columns].apply(pd.to_numeric, errors="coerce").isna() if columns else \
        pd.DataFrame(index=df.index)


def with_blank_note(title: str, df: pd.DataFrame, columns: list[str]) -> str:
    """``title`` with :data:`NOT_COMPARED_NOTE` when a cell of ``columns`` the chart
    draws is blank."""
    return f"{title}; {NOT_COMPARED_NOTE}" if not_compared(df, columns).any().any() \
        else title

def _pivot(df: pd.DataFrame, index: str, value: str, periods: list[str]) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame()
    p = df.pivot_table(index=index, columns="period", values=value, aggfunc="sum")
    p = p.reindex(columns=[c for c in periods if c in p.columns]).fillna(0.0)
    p = p[p.abs().sum(axis=1) > TOL]
    return p.loc[p.sum(axis=1).sort_values(ascending=False).index]


def grouped_number(x: float, _pos: object = None) -> str:
    """A tick label with thousands separators: 150000 -> '150,000', 0.25 -> '0.25',
    -1234.5 -> '-1,234.5' (matplotlib's default wrote 150000)."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


def thousands(fig: Figure) -> Figure:
    """``fig`` (matplotlib) with the numeric axes of its plots labelled by
    :func:`grouped_number`; category axes (periods, names) keep their labels."""
    from matplotlib.ticker import FuncFormatter, ScalarFormatter  # lazy: static charts only

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), ScalarFormatter):
                axis.set_major_formatter(FuncFormatter(grouped_number))
    return fig


def tight(fig, rect: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)):
    """``fig`` to be laid out tight (matplotlib's tight layout within ``rect``, figure
    fractions) when it is saved (:func:`fit`), after its numbers got their separators:
    laid out at once, before :func:`thousands` widened its tick labels
    ('15000' -> '15,000'), a comparison's first rotated period label ran off the image."""
    fig.set_layout_engine("tight", rect=rect)
    return fig


def drawn_inside(fig) -> bool:
    """Whether everything ``fig`` draws (its tight box: tick labels, titles, legends) lies
    inside the image, once laid out: the layout and the text's extents, without
    rendering the pixels (a third of a chart's time, spent again when it is saved)."""
    fig.draw_without_rendering()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    w, h = fig.get_size_inches()
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 <= w and box.y1 <= h


def room_for(fig, ax, texts, passes: int = 4):
    """``ax``'s x axis widened to the right until each of ``texts`` (drawn left-aligned
    at a data x, as a label at a bar's end) ends inside its frame, as laid out when
    drawn: its start at pixel X(x) = W (x - lo) / (hi - lo) of a frame W wide, and its
    width w, so it fits when hi >= lo + W (x - lo) / (W - w). A text as wide as the frame
    or wider, or at no finite x, is left alone. Each pass draws the layout once (a
    wider axis may change the tick labels, and with them the frame), at most
    ``passes`` times."""
    for _ in range(passes):
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        width = ax.get_window_extent(renderer).width
        lo, hi = ax.get_xlim()
        need = hi
        for t in texts:
            x, w = float(t.get_position()[0]), t.get_window_extent(renderer).width
            if np.isfinite(x) and x > lo and w < width:
                need = max(need, lo + width * (x - lo) / (width - w))
        if need <= hi:
            break
        ax.set_xlim(lo, need)
    return fig


def fit(fig, passes: int = 4):
    """Lay out ``fig`` (:func:`tight`) again until everything it draws lies inside the
    image (:func:`drawn_inside`), at most ``passes`` times, then keep that layout. One
    pass is not enough for slanted tick labels: the layout sizes each margin from where
    the labels reach out of the axes, but narrowing the axes for the legend on its right
    moves the first tick, and the label hanging left of it (rotated 45°, right-aligned),
    further left: 'p2026 (2026-28; mp2_unsplit: 2026-30)' started left of the image.
    Each pass moves the margin by what still reaches out; a figure without the tight
    layout (the one-pager's fixed panels) is left as it is."""
    # lazy: matplotlib is slow to import; only static charts need it
    import matplotlib as mpl
    from matplotlib.layout_engine import TightLayoutEngine

    if not isinstance(fig.get_layout_engine(), TightLayoutEngine):
        return fig
    for _ in range(passes):  # each draw runs the layout once
        if drawn_inside(fig):
            break
    # the layout checked is the layout saved: no layout engine at all (not "none", a
    # placeholder, for which savefig lays the whole figure out once more, its text
    # measured, before drawing it: about 0.1 s of the default case's 20 pictures),
    # whatever a matplotlibrc says of automatic layouts
    with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
    return fig


def in_one_unit(df: pd.DataFrame, index: str, value: str, unit: pd.Series,
                periods: list[str]) -> tuple[pd.DataFrame, str, list[str]]:
    """``df``'s ``value`` by ``index`` (rows) and period (columns), in one unit only, as
    one chart's bars share one axis (and stacked ones add up): (the rows in the unit
    most rows are in, the larger total breaking a tie; that unit; the rows left out, as
    'name (unit)'). ``unit``: each row of ``df``'s unit ("k t/yr"). Stacking 7,125 k
    1000m3/yr of sales gas on 688 k t/yr of HDPE made a bar of 7,813 'k units/yr' of
    nothing."""
    p = _pivot(df, index, value, periods)
    if p.empty:
        return p, "", []
    unit_of = dict(zip(df[index], unit, strict=True))
    units = pd.Series([unit_of[n] for n in p.index], index=p.index)
    size = p.sum(axis=1).abs().groupby(units).agg(["count", "sum"])
    main = size.sort_values(["count", "sum"], ascending=False, kind="stable").index[0]
    return p[units == main], main, [f"{n} ({u})" for n, u in units.items() if u != main]


def _capacity_unit(cap: pd.DataFrame) -> pd.Series:
    """Each capacity row's unit per year ("k t/yr"), from its ``quantity_unit``
    ("k units/yr" in folders written before it)."""
    if "quantity_unit" not in cap:
        return pd.Series("k units/yr", index=cap.index)
    return "k " + cap["quantity_unit"].fillna("unit").astype(str) + "/yr"


def capacity_data(tables: dict[str, pd.DataFrame], periods: list[str]
                  ) -> tuple[pd.DataFrame, str, list[str]]:
    """Total capacity of every unit (rows) by period (columns), :func:`in_one_unit`."""
    cap = _t(tables, "capacity")
    if cap.empty:
        return pd.DataFrame(), "", []
    cap = cap[cap["kind"] == "unit"]
    return in_one_unit(cap, "name", "total_k_per_yr", _capacity_unit(cap), periods)


def new_capacity_data(tables: dict[str, pd.DataFrame], periods: list[str]
                      ) -> tuple[pd.DataFrame, str, list[str]]:
    """Capacity built of every unit and link (rows, "unit NAME", "link NAME") by period
    (columns), :func:`in_one_unit` (the bars are stacked)."""
    cap = _t(tables, "capacity")
    if cap.empty:
        return pd.DataFrame(), "", []
    cap = cap.assign(label=cap["kind"] + " " + cap["name"])
    return in_one_unit(cap, "label", "new_k_per_yr", _capacity_unit(cap), periods)


def product_mix_data(tables: dict[str, pd.DataFrame], periods: list[str]
                     ) -> tuple[pd.DataFrame, str, list[str]]:
    """Production of each product (rows) by period (columns), from the KPI table,
    :func:`in_one_unit` (the bars are stacked)."""
    k = _t(tables, "kpis")
    if k.empty:
        return pd.DataFrame(), "", []
    k = k[k["kpi"].astype(str).str.startswith("production_")]
    k = k.assign(product=k["kpi"].str.removeprefix("production_"))
    unit = k["unit"].astype(str) if "unit" in k else pd.Series("k units/yr", index=k.index)
    return in_one_unit(k, "product", "value", unit, periods)


def bar_charts(tables: dict[str, pd.DataFrame], periods: list[str],
               labels: dict[str, str] | None = None
               ) -> list[tuple[str, pd.DataFrame, str, str, bool]]:
    """The run report's bar charts, for the HTML and the static charts alike: (key, data,
    title, y-axis title, stacked), those without data left out; each data's columns (the
    periods) named by ``labels`` (:func:`run_period_labels`: ``p2026 (2026-28)``); at
    most :data:`MAX_SERIES` series each (:func:`top_series`, said in the title)."""
    def titled(title: str, data: tuple[pd.DataFrame, str, list[str]], stacked: bool,
               noun: str) -> tuple[pd.DataFrame, str, str, bool]:
        frame, unit, other = data
        frame, shown = top_series(frame, stacked, noun)
        if len(other) > MAX_NAMED:
            other = [*other[:MAX_NAMED], f"and {len(other) - MAX_NAMED:,} more"]
        return frame.rename(columns=labels or {}), title + shown + (
            f" (not shown, in other units: {', '.join(other)})" if other else ""), unit, \
            stacked

    out = [("capacity", *titled("Unit capacity by period", capacity_data(tables, periods),
                                False, "units")),
           ("new_capacity", *titled("New capacity built", new_capacity_data(tables, periods),
                                    True, "units and links")),
           ("product_mix", *titled("Product mix", product_mix_data(tables, periods), True,
                                   "products")),
           ("emissions", *titled("Emissions by site", emissions_data(tables, periods), True,
                                 "sources"))]
    return [c for c in out if not c[1].empty]


#: the most series a bar chart shows (:func:`top_series`): about as many entries as the
#: legend beside a 10 x 5.5 in picture holds at 8 pt (the shipped cases have up to 26
#: units); and the most names of series left out for their unit a title lists. A
#: 300k-variable run has 10,728 units: a capacity chart nobody could read, whose legend
#: ran off the picture, 3 minutes to draw
MAX_SERIES = 26
MAX_NAMED = 10


def top_series(frame: pd.DataFrame, stacked: bool, noun: str) -> tuple[pd.DataFrame, str]:
    """At most :data:`MAX_SERIES` rows of a bar chart's ``frame`` (rows the series,
    columns the periods), and what the title says of it: the rows of the largest total
    size over the periods (sum of absolute values; the earlier row first among equals),
    in their order. A stacked chart adds the others up as one more row, 'N other
    {noun}', so that each bar's height stays the total; a grouped one leaves them out.
    Title: ' (the 26 largest of 10,728 units)' (', the others as one' when stacked)."""
    if len(frame) <= MAX_SERIES:
        return frame, ""
    size = frame.abs().sum(axis=1).to_numpy()
    keep = np.zeros(len(frame), dtype=bool)
    keep[np.argsort(-size, kind="stable")[:MAX_SERIES]] = True
    said = f" (the {MAX_SERIES} largest of {len(frame):,} {noun}"
    if not stacked:
        return frame[keep], said + ")"
    rest = frame[~keep].sum().rename(f"{len(frame) - MAX_SERIES:,} other {noun}")
    return pd.concat([frame[keep], rest.to_frame().T]), said + ", the others as one)"


def emissions_data(tables: dict[str, pd.DataFrame], periods: list[str]
                   ) -> tuple[pd.DataFrame, str, list[str]]:
    """Emissions by site and commodity (rows) and period (columns), :func:`in_one_unit`
    (the bars are stacked), each in its commodity's unit as the ``emissions_<commodity>``
    KPIs state it ("k t/yr")."""
    e = _t(tables, "emissions")
    if e.empty:
        return pd.DataFrame(), "", []
    e = e.assign(label=e["commodity"].astype(str) + " @ " + e["site"].astype(str))
    k = _t(tables, "kpis")
    if not k.empty and "unit" in k:
        k = k[k["kpi"].astype(str).str.startswith("emissions_")]
    units = ({} if k.empty or "unit" not in k else dict(zip(
        k["kpi"].astype(str).str.removeprefix("emissions_"), k["unit"].astype(str),
        strict=True)))
    unit = e["commodity"].astype(str).map(units).fillna("k units/yr")
    return in_one_unit(e, "label", "emission_k_per_yr", unit, periods)


BINDING_COLUMNS = ["constraint", "periods", "largest value", "smallest value", "value_unit",
                   "meaning"]


#: the title of the binding constraints' chart (HTML and static)
BINDING_TITLE = "Top binding constraints (largest marginal value of each)"


def binding_data(tables: dict[str, pd.DataFrame], top: int = 15,
                 periods: list[str] | None = None) -> pd.DataFrame:
    """The ``top`` binding constraints with the largest marginal values, of every family
    (the ``constraints`` table: capacities, sales caps, supply limits, floors, emission
    caps, specs, user constraints), described as ``chainopt explain`` does. One row per
    distinct constraint (its rows of every period merged, as ``chainopt explain`` and
    ``chainopt run`` merge them: :func:`explain.distinct_constraints`), ranked by its
    largest value (in size), with the periods it binds in (consecutive ones as a span,
    ``p2026-p2046``; ``periods``: the case's order) and its largest and smallest value
    over them. The capacity of a unit or link that has none in a period (not built yet,
    retired: ``total_k_per_yr`` 0 in the ``capacity`` table) does not bind there, whatever
    its row's marginal value: it is left out, as ``chainopt run`` and ``chainopt
    explain`` leave it out."""
    # lazy: the family registry (for the descriptions) only when a report is drawn
    from chainopt.report.explain import (
        TECHNICAL,
        describe,
        distinct_constraints,
        not_binding,
        spans,
    )

    c = _t(tables, "constraints")
    if c.empty or "marginal_value" not in c:
        return pd.DataFrame(columns=BINDING_COLUMNS)
    c = c.assign(marginal_value=pd.to_numeric(c["marginal_value"], errors="coerce")
                 .fillna(0.0))
    if "side" not in c:
        c = c.assign(side="")
    b = c[(c["marginal_value"].abs() > TOL) & ~c["family"].isin(TECHNICAL)]
    if len(b):
        b = b[~not_binding(b, tables)]
    order = periods or periods_of(tables)
    mv = b["marginal_value"].to_numpy(dtype=float)
    groups = sorted(distinct_constraints(b), key=lambda rows: -float(np.abs(mv[rows]).max()))
    rows = []
    for part in groups[:top]:
        first = b.iloc[part[0]]
        v = mv[part][np.argsort(-np.abs(mv[part]), kind="stable")]
        rows.append({
            "constraint": describe(first["family"], first["key"], first["kind"],
                                   first["side"]),
            "periods": ", ".join(spans(list(b["period"].astype(str).iloc[part]), order)),
            "largest value": float(v[0]), "smallest value": float(v[-1]),
            "value_unit": str(first["value_unit"]) if "value_unit" in b else "",
            "meaning": ("one more unit of capacity a year (its rent, before fixed O&M and "
                        "capex)" if str(first["family"]).endswith("capacity_max")
                        else "one more unit of room a year")})
    return pd.DataFrame(rows, columns=BINDING_COLUMNS)


def shadow_price_data(tables: dict[str, pd.DataFrame], periods: list[str]) -> pd.DataFrame:
    """Commodity values at each site where they are prices: rows 'commodity @ site', a
    column ``unit`` (USD per the commodity's own unit, from the ``commodities`` table),
    then one column per period, blank in a period where nothing moves there or the value
    holds one way only (:func:`moving.priced`: the value there is a bound, not a price);
    a site and commodity without a price in any period has no row."""
    b = _t(tables, "balances")
    if b.empty:
        return pd.DataFrame()
    b = b.assign(period=b["period"].astype(str))
    b = b[moving.priced(b, tables).to_numpy()]
    if b.empty:
        return pd.DataFrame()
    b = b.assign(label=b["commodity"].astype(str) + " @ " + b["site"].astype(str))
    p = b.pivot_table(index="label", columns="period", values="shadow_price_usd_per_unit",
                      aggfunc="first")
    p = p.reindex(columns=[c for c in periods if c in p.columns])
    unit = commodity_units(tables)
    of = b.drop_duplicates("label").set_index("label")["commodity"].astype(str)
    p.insert(0, "unit", ["USD per " + unit.get(of[lab], "unit") for lab in p.index])
    return p.sort_index()


#: the objective's parts (``npv_<part>``, ``cost_<part>``, ``cashflow_<part>``) as words
PART_WORDS = {"supply": "feed and supply", "variable_om": "variable O&M",
              "fixed_om": "fixed O&M", "capex": "capital", "net": "net"}

#: the KPIs of a run without a name part (``kpis.csv``; see the README's results tables)
KPI_WORDS = {"objective": "objective", "revenue_per_yr": "revenue per year",
             "shortfall_total": "demand shortfall, whole horizon",
             "lp_relaxation": "LP relaxation (a bound)"}

#: ``<prefix>_<name>`` KPIs: what the prefix says
KPI_PREFIXES = {"npv": "NPV", "cost": "cost", "cashflow": "cash flow",
                "production": "production", "emissions": "emissions"}


def kpi_label(kpi: object) -> str:
    """What a KPI id of ``kpis.csv`` says, for a human: ``npv_variable_om`` -> 'NPV:
    variable O&M', ``cashflow_net`` -> 'cash flow: net', ``production_hdpe`` ->
    'production: hdpe', ``lever_reverse_excise_butane_feed_excise`` -> 'policy lever
    reverse_excise_butane: feed excise' (the lever's name as written in ``levies``, its
    kind in words). An id of none of these forms is returned as it is."""
    k = str(kpi)
    if k in KPI_WORDS:
        return KPI_WORDS[k]
    if k.startswith("lever_"):
        lever = k.removeprefix("lever_")
        kind = next((x for x in LEVY_KINDS if lever.endswith(f"_{x}")), None)
        if kind is not None:
            return (f"policy lever {lever.removesuffix(f'_{kind}')}: "
                    f"{kind.replace('_', ' ')}")
    prefix, _, name = k.partition("_")
    if prefix in KPI_PREFIXES and name:
        part = PART_WORDS.get(name, name.replace("_", " ")) if prefix in (
            "npv", "cost", "cashflow") else name
        return f"{KPI_PREFIXES[prefix]}: {part}"
    return k


def kpi_summary(tables: dict[str, pd.DataFrame], periods: list[str]) -> tuple[pd.DataFrame,
                                                                             pd.DataFrame]:
    """(whole-horizon KPIs: KPI, value, unit, kpi) and (per-period KPIs: KPI, unit, each
    period, kpi): ``KPI`` the words of :func:`kpi_label`, ``kpi`` the id in ``kpis.csv``."""
    k = _t(tables, "kpis")
    if k.empty:
        return pd.DataFrame(), pd.DataFrame()
    per = k["period"].fillna("").astype(str)
    total = k[per == ""][["kpi", "value", "unit"]].reset_index(drop=True)
    by = k[per != ""]
    wide = by.pivot_table(index=["kpi", "unit"], columns="period", values="value",
                          aggfunc="first", sort=False)
    wide = wide.reindex(columns=[c for c in periods if c in wide.columns]).reset_index()
    out = []
    for f in (total, wide):
        f = f[[c for c in f.columns if c != "kpi"] + ["kpi"]]
        f.insert(0, "KPI", [kpi_label(x) for x in f["kpi"]])
        out.append(f)
    return out[0], out[1]


# -- plotly -------------------------------------------------------------------------------

def _bar_figure(pivot: pd.DataFrame, title: str, yaxis: str, barmode: str = "stack"):
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.graph_objects as go

    fig = go.Figure()
    colour = series_colours(list(pivot.index))
    x = [esc(c) for c in pivot.columns]
    bars = [unchecked_trace(go.Bar, hovertemplate=f"{esc(name)}<br>%{{x}}: %{{y:,.1f}}"
                            "<extra></extra>", marker={"color": colour[str(name)]},
                            name=esc(name), x=x, y=row.tolist())
            for name, row in zip(pivot.index, pivot.to_numpy(), strict=True)]
    fig.update_layout(title=title, barmode=barmode, yaxis_title=yaxis,
                      xaxis_title="period (years)",
                      height=420, margin={"l": 60, "r": 20, "t": 50, "b": 40})
    return unchecked(bars, fig)


def unchecked(traces: list, checked) -> object:
    """A plotly figure of ``traces`` with the layout of figure ``checked``. The traces are
    made as plotly's checks would leave them (plain lists, numbers and text; no property
    plotly does not know: test_charts makes each again through the checks) and not
    checked again: plotly checked every value of every trace, one trace per series, link
    or flow view, the most of a 300k-variable run's report (13,394 routes on its map;
    12,964 bars before a bar chart showed at most :data:`MAX_SERIES` series). The layout
    is checked, in ``checked``."""
    import plotly.graph_objects as go  # lazy, as where the traces are made

    try:
        return go.Figure(data=traces, layout=checked.layout, _validate=False)
    except (TypeError, ValueError):  # a plotly without its private _validate: checked
        return go.Figure(data=traces, layout=checked.layout)


def unchecked_trace(kind: type, **props: Any) -> object:
    """Trace ``kind(**props)`` not checked value by value (:func:`unchecked`), or checked
    where plotly knows no ``_validate`` (a private keyword of its classes since plotly 4:
    a release without it would refuse it as a property)."""
    try:
        return kind(**props, _validate=False)
    except (TypeError, ValueError):
        return kind(**props)


def map_figure(tables: dict[str, pd.DataFrame], periods: list[str],
               labels: dict[str, str] | None = None):
    """Sites by longitude/latitude over the country outlines (Natural Earth, bundled),
    labels kept apart, routes as lines: dash = transport mode, colour = utilisation,
    width = flow by mass; a dropdown per period (named by ``labels``, with its years)."""
    named = labels or {}
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.graph_objects as go

    fig = go.Figure()  # its layout
    all_routes = [map_data(tables, p) for p in periods]
    sites = all_routes[0][0] if all_routes else map_data(tables, "")[0]
    view = map_view(sites)
    cx, cy = coastlines(view)
    traces = [go.Scatter(x=cx, y=cy, mode="lines", line={"color": "#9aa5b1", "width": 0.8},
                         fill="toself", fillcolor="#eef1e6", hoverinfo="skip",
                         showlegend=False, name="land")]
    groups: list[list[int]] = []
    max_flow = max((float(r["width_kt_per_yr"].max()) for _, r in all_routes if len(r)),
                   default=0.0)
    banded = sum(len(r) for _, r in all_routes) > MAX_ROUTE_TRACES
    for i, (p, (_sites, routes)) in enumerate(zip(periods, all_routes, strict=True)):
        drawn = _route_traces(routes, link_utilisation(tables, p), max_flow, banded, i == 0)
        groups.append(list(range(len(traces), len(traces) + len(drawn))))
        traces += drawn
    modes = sorted({str(m) for _, r in all_routes if len(r) for m in r["transport_mode"]})
    for m in modes:  # legend: one entry per mode
        traces.append(go.Scatter(x=[None], y=[None], mode="lines", name=esc(m),
                                 line={"color": "#444", "dash": MODE_DASH.get(m, "solid")}))
    traces.append(go.Scatter(  # the utilisation colour bar
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker={"color": [0], "cmin": 0, "cmax": 1, "showscale": True,
                "colorscale": [[a, "rgb" + str(c)] for a, c in UTIL_COLOURS],
                "colorbar": {"title": {"text": "utilisation"}, "tickformat": ".0%",
                             "len": 0.6, "x": 1.02}}))
    traces.append(go.Scatter(
        x=sites["lon_deg"].tolist(), y=sites["lat_deg"].tolist(), mode="markers",
        text=[esc(s) for s in sites["site"]], marker={"size": 8, "color": "#253858"},
        name="sites", showlegend=False,
        hovertemplate="%{text}<br>lon %{x:.2f}, lat %{y:.2f}<extra></extra>"))
    width = 1100.0
    # the busiest sites over all periods, where there are more than the page labels
    # (a label is an annotation: a browser draws one in about 1.4 ms, and again at each
    # change of period; every site keeps its marker, which says its name when hovered)
    used = [r for _, r in all_routes if len(r)]
    labelled, said = map_labelled(sites, pd.concat(used) if used else pd.DataFrame(),
                                  MAX_PAGE_LABELS, " in all periods; hover a site for its name")
    shown = sites[labelled]
    offsets = place_labels(shown, view, width, char_w=6.6, line_h=14.0,
                           markers=sites[~labelled])
    fig.update_layout(annotations=[
        {"x": x, "y": y, "text": esc(name), "showarrow": abs(dx) + abs(dy) > 20,
         "ax": dx, "ay": -dy, "xshift": 0 if abs(dx) + abs(dy) > 20 else dx,
         "yshift": 0 if abs(dx) + abs(dy) > 20 else dy, "arrowwidth": 0.7,
         "arrowcolor": "#888", "arrowhead": 0, "standoff": 3, "font": {"size": 11},
         "bgcolor": "rgba(255,255,255,0.6)"}
        for name, x, y, (dx, dy) in zip(shown["site"], shown["lon_deg"], shown["lat_deg"],
                                        offsets, strict=True)])
    n = len(traces)
    # what the title adds: the sites left out; below it, those labelled and the steps
    # the routes are drawn in
    gap = unplaced(tables, sites)
    notes = (said + (f" (routes drawn in steps of {UTIL_STEP:.0%} utilisation and "
                     f"{WIDTH_STEP:g} px width; each route's ends say its own when hovered)"
                     if banded else "")).strip()
    buttons = []
    for i, p in enumerate(periods):
        vis = [True] * n
        for j, g in enumerate(groups):
            for k in g:
                vis[k] = j == i
        buttons.append({"label": esc(named.get(p, p)), "method": "update",
                        "args": [{"visible": vis},
                                 {"title": _map_title(named.get(p, p), gap, notes)}]})
    ratio = lat_ratio(view)
    height = int(min(900, max(420, width * (view[3] - view[2]) * ratio / (view[1] - view[0])
                              + 140)))
    if none_placed(tables, sites):
        fig.add_annotation(x=0.5, y=0.5, xref="paper", yref="paper", text=NO_PLACE,
                           showarrow=False, font={"size": 16}, bgcolor="white",
                           bordercolor="#888")
    fig.update_layout(  # drawn at the width its labels are placed for (a responsive
        # figure narrower than that brought the labels of nearby sites over each other)
        title=_map_title(named.get(periods[0], periods[0]) if periods else "", gap, notes),
        height=height, width=int(width),
        xaxis={"title": "longitude (°)", "range": [view[0], view[1]], "showgrid": False,
               "zeroline": False},
        yaxis={"title": "latitude (°)", "range": [view[2], view[3]], "showgrid": False,
               "zeroline": False, "scaleanchor": "x", "scaleratio": ratio},
        plot_bgcolor="#dfe9f3", legend={"title": {"text": "mode"}, "x": 1.02, "y": 1.0},
        margin={"l": 60, "r": 20, "t": 100 if notes else 80, "b": 40},
        updatemenus=[{"buttons": buttons, "direction": "down", "x": 1.0, "xanchor": "right",
                      "y": 1.12, "yanchor": "top"}] if len(periods) > 1 else [])
    return unchecked(traces, fig)


#: the most routes (over all periods) a page's map draws one trace each; a map of more
#: draws each period's routes of one style (colour, dash, width) as one trace, their
#: utilisation in steps of :data:`UTIL_STEP` and their width in steps of
#: :data:`WIDTH_STEP` px: a browser draws a trace in about 0.4 ms (headless Chromium
#: here: a 300k-variable run's 13,394 routes, one trace each, 5.4 s, and 3.6 s to switch
#: periods), so 2,000 take about 1 s
MAX_ROUTE_TRACES = 2_000
#: the most sites the page's map labels (:func:`map_labelled`, over all periods): a
#: label is an annotation, about 1.4 ms to draw in a browser and 0.8 ms again at each
#: change of period (a 300k-variable run's 1,192 labels: 1.7 s, and 0.9 s a change)
MAX_PAGE_LABELS = 300
UTIL_STEP, WIDTH_STEP = 0.05, 0.5


class _Route(NamedTuple):
    """One route of the page's map as :func:`_route_traces` draws it."""

    style: tuple[str, str, float]  # colour, dash, width (px)
    text: str  # what its ends say when hovered
    link: str
    x: tuple[float, float]
    y: tuple[float, float]


def _route_traces(routes: pd.DataFrame, util: dict[str, float], max_flow: float,
                  banded: bool, visible: bool) -> list:
    """The traces of one period's routes on the page's map: one a route, its colour
    its utilisation's (:func:`utilisation_colour`; idle grey), its dash its mode's, its
    width its flow's (:func:`line_width`); ``banded``, one per style, the utilisation
    and the width in steps (:data:`MAX_ROUTE_TRACES`), the routes' ends joined by a gap
    (None). Each route's ends say what it is when hovered (link, mode, ends,
    utilisation, what it carries), either way."""
    import plotly.graph_objects as go  # lazy, as map_figure

    drawn: list[list[_Route]] = []  # the routes of each trace
    by_style: dict[tuple, list[_Route]] = {}
    for r in rows(routes):
        u = util.get(str(r.link), np.nan)
        ut = "no capacity limit" if not np.isfinite(u) else f"utilisation {u:.0%}"
        width = float(line_width(r.width_kt_per_yr, max_flow))
        if banded:
            u = round(u / UTIL_STEP) * UTIL_STEP if np.isfinite(u) else u
            width = round(width / WIDTH_STEP) * WIDTH_STEP
        route = _Route((utilisation_colour(u) if r.commodities != "idle" else "#c8c8c8",
                        MODE_DASH.get(str(r.transport_mode), "solid"), width),
                       f"link {esc(r.link)} ({esc(r.transport_mode)}): {esc(r.from_site)} → "
                       f"{esc(r.to_site)}, {ut}<br>{esc(r.commodities)}", esc(r.link),
                       (float(r.lon0), float(r.lon1)), (float(r.lat0), float(r.lat1)))
        if banded and route.style in by_style:
            by_style[route.style].append(route)
        else:  # a new trace, in the order its first route comes
            drawn.append([route])
            by_style[route.style] = drawn[-1]
    traces = []
    for members in drawn:
        (colour, dash, width), one = members[0].style, len(members) == 1
        traces.append(unchecked_trace(
            go.Scatter, mode="lines", showlegend=False, visible=visible,
            line={"color": colour, "dash": dash, "width": width},
            name=members[0].link if one else f"{len(members)} routes",
            x=[v for m in members for v in (*m.x, None)][:-1],
            y=[v for m in members for v in (*m.y, None)][:-1],
            **({"hovertemplate": f"{members[0].text}<extra></extra>"} if one else
               {"text": [v for m in members for v in (m.text, m.text, "")][:-1],
                "hovertemplate": "%{text}<extra></extra>"})))
    return traces


def _map_title(period: str, unplaced: str = "", notes: str = "") -> str:
    """The page map's title: what it shows, the sites left out (``unplaced``) and, on a
    line of smaller text below, ``notes`` (the sites labelled, the steps of a large
    map's routes)."""
    return (f"Sites and routes, period {esc(period)}: line width = flow by mass, colour = "
            f"utilisation, dash = mode{esc(unplaced)}"
            + (f"<br><span style='font-size:11px'>{esc(notes)}</span>" if notes else ""))


#: what a map with no site to place says in its middle (a case without coordinates: a
#: deck's slide was an empty world, review out32 F8)
NO_PLACE = "No site has coordinates (lat_deg, lon_deg in sites.csv): nothing to place"


def unplaced(tables: dict[str, pd.DataFrame], placed: pd.DataFrame) -> str:
    """What a map of the run's sites leaves out, for its title: '' when every site is
    placed or none is (then :data:`NO_PLACE` says so), else ' (2 sites without
    coordinates not shown: tobolsk, wsib)', the first five named."""
    every = tables.get("sites")
    named = set(every["site"].astype(str)) if every is not None and "site" in every else set()
    missing = sorted(named - set(placed["site"].astype(str)))
    if not missing or not len(placed):
        return ""
    more = ", ..." if len(missing) > 5 else ""
    return (f" ({len(missing)} site{'s' if len(missing) > 1 else ''} without coordinates "
            f"not shown: {', '.join(missing[:5])}{more})")


def none_placed(tables: dict[str, pd.DataFrame], placed: pd.DataFrame) -> bool:
    """Whether the run has sites and a map can place none of them (:data:`NO_PLACE`)."""
    every = tables.get("sites")
    return not len(placed) and every is not None and len(every) > 0


def plotly_figures(tables: dict[str, pd.DataFrame], periods: list[str],
                   measure: str = "mass", labels: dict[str, str] | None = None,
                   views_of: SankeyViews | None = None) -> dict[str, Any]:
    """Every chart of the run report, keyed by a stable id (also the static file name);
    ``labels``: each period's label with its years (:func:`run_period_labels`);
    ``views_of``: the Sankey views (:class:`SankeyViews`)."""
    figs: dict[str, object] = {"sankey": segment_sankey_figure(tables, periods, measure,
                                                               labels, views_of),
                               "map": map_figure(tables, periods, labels)}
    for key, data, title, yaxis, stacked in bar_charts(tables, periods, labels):
        figs[key] = _bar_figure(data, esc(title), esc(yaxis), "stack" if stacked else "group")
    b = binding_data(tables, periods=periods)
    if len(b):
        # lazy: plotly is slow to import; loaded only when a chart is drawn
        import plotly.graph_objects as go

        lab = [f"{esc(c)} ({esc(p)})" for c, p in
               zip(b["constraint"], b["periods"], strict=False)]
        fig = go.Figure(go.Bar(x=b["largest value"].tolist()[::-1], y=lab[::-1],
                               customdata=list(zip(b["smallest value"].tolist()[::-1],
                                                   [esc(u) for u in b["value_unit"]][::-1],
                                                   strict=True)),
                               orientation="h", marker_color="#e6550d",
                               hovertemplate="%{y}: up to %{x:,.2f} %{customdata[1]} a year "
                                             "(smallest %{customdata[0]:,.2f})"
                                             "<extra></extra>"))
        fig.update_layout(title=BINDING_TITLE,
                          xaxis_title="USD per unit of room a year (see each bar's unit)",
                          height=max(300, 28 * len(b) + 100),
                          margin={"l": 260, "r": 20, "t": 50, "b": 40})
        figs["binding"] = fig
    return figs


# -- comparison tables ----------------------------------------------------------------------

def compare_columns(df: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """(key columns, value columns of the runs, Δ columns) of a comparison table."""
    delta = [c for c in df.columns if str(c).startswith("Δ ")]
    keys = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])
            or str(c).lower() in ("year", "period")]
    values = [c for c in df.columns if c not in keys and c not in delta]
    return keys, values, delta


def row_labels(df: pd.DataFrame, keys: list[str]) -> list[str]:
    """Row labels 'key1 / key2' (raw text: escape before putting into HTML)."""
    if not keys:
        return [str(i) for i in range(len(df))]
    return df[keys].astype(object).fillna("").astype(str).agg(" / ".join, axis=1).tolist()


def _changed(df: pd.DataFrame) -> pd.Series:
    """The largest |Δ| of each row that changed (more than 1e-9), largest first."""
    _, _, delta = compare_columns(df)
    if not delta or df.empty:
        return pd.Series(dtype=float)
    size = df[delta].abs().max(axis=1)
    return size[size > 1e-9].sort_values(ascending=False)


def top_deltas(df: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    """The ``top`` rows whose Δ columns changed most: largest first, except in a table by
    period (a ``period`` column), whose rows stay in the table's order, the order
    ``chainopt compare`` writes them in (each item's periods in time, by start year), so
    a series by period reads as the years run: cashflow's p2026, p2029, p2030, p2031 ...,
    not p2029, p2030, p2046 ... by the size of their change.

    A row with a Δ not compared (blank: :func:`not_compared`) and no other change is
    kept after those that changed, within the ``top``: the chart marks the blank (the
    uneven comparison's p2031, where one run's Δ is 0 and the other's blank, was left
    out, and with it the only sign that the second run is not compared there). A row
    whose every Δ is blank (no run compared there) is left out: it would be a group of
    marks and no bar (one uneven run against a split base filled its production chart
    with 12 of them, each item in its two periods); it stays in the table. A table left
    with no row draws no change chart, as one without changes; a chart drawn says in
    its title what it left out (:func:`delta_title`)."""
    changed = _changed(df).index
    chosen = [*changed, *partly_compared(df)][:top]
    if "period" in df.columns:
        chosen = df.index[df.index.isin(chosen)]
    return df.loc[chosen]


def partly_compared(df: pd.DataFrame) -> list:
    """The rows of ``df`` (a comparison table) without a change but with a Δ not
    compared (blank) beside one that is (:func:`top_deltas` keeps them after the
    changes, within its ``top``), in the table's order."""
    _, _, delta = compare_columns(df)
    nc = not_compared(df, delta)  # no Δ columns: no column, no row blank
    blank = df.index[nc.any(axis=1)].difference(uncompared_rows(df), sort=False)
    seen = set(_changed(df).index)
    return [i for i in blank if i not in seen]


def uncompared_rows(df: pd.DataFrame) -> pd.Index:
    """The rows of ``df`` (a comparison table) whose every Δ is blank: no run compared
    there (none when it has no Δ column)."""
    _, _, delta = compare_columns(df)
    if not delta:
        return df.index[:0]
    return df.index[not_compared(df, delta).all(axis=1)]


#: a title names the periods it left out up to this many, else counts its rows
NAMED_LEFT_OUT = 6


def delta_title(df: pd.DataFrame, title: str, top: int = 20) -> str:
    """``title`` of the chart of :func:`top_deltas`, saying how many changes it leaves
    out when there are more than ``top``: 25 changed rows -> '(the 20 largest of 25
    changes; all in the table)', and which rows it leaves out as not compared
    (:func:`uncompared_rows`; left out of the chart, the reader could not tell them from
    rows without a change): the periods, '(p2026, p2029, p2030 not compared, in the
    table)', when they are periods of one item (up to :data:`NAMED_LEFT_OUT`; the
    emissions' co2 in k t/yr, or a table by period alone); else their number, '(50 rows
    not compared, in the table)'. Rows partly not compared (:func:`partly_compared`)
    that the ``top`` leaves out are counted too: 18 changes and 50 such rows, 2 drawn,
    '(48 more rows partly not compared, in the table)' (review out31 F2: 42 rows
    whose marks were missing went unsaid)."""
    n = len(_changed(df))
    # those of them the top leaves out: what is left of it after the changes is drawn
    partly = max(len(partly_compared(df)) - max(top - n, 0), 0)
    keys, _, _ = compare_columns(df)
    gone = uncompared_rows(df)
    item = [k for k in keys if k != "period"]
    if not len(gone):
        what = ""
    elif ("period" in keys and len(gone) <= NAMED_LEFT_OUT
          and not (df.loc[gone, item].astype(str).nunique() > 1).any()):
        what = ", ".join(df.loc[gone, "period"].astype(str))
    else:
        what = f"{len(gone)} row" + ("s" if len(gone) > 1 else "")
    more = (f" ({partly} more row{'s' if partly > 1 else ''} partly not compared, in the "
            "table)") if partly > 0 else ""
    return (title + (f" (the {top} largest of {n} changes; all in the table)" if n > top
                     else "") + more
            + (f" ({what} not compared, in the table)" if what else ""))


#: the columns that together name one cash-flow series, in label order
SERIES_KEYS = ("scenario", "effect", "project", "party")


@dataclass
class CashflowSeries:
    """The yearly series of a comparison's cash-flow table, one per scenario and project
    (effect, party): ``series`` holds (label, rows in year order) pairs; ``net`` is the
    column of the yearly flow, ``cumulative`` the table's own cumulative column (None
    when it has none: a cumulative is never summed here, so never across projects or
    with the residual value that ``cumulative_musd`` leaves out)."""

    year: str
    net: str
    cumulative: str | None
    keys: list[str]
    series: list[tuple[str, pd.DataFrame]]
    #: the run (``scenario``) of each series, in ``series``' order (its label when the
    #: table has no ``scenario`` column)
    runs: list[str] = field(default_factory=list)

    def styles(self, among: list | None = None) -> list[tuple[str, int]]:
        """(colour, k) of each series: the colour of its run among the comparison's runs
        ``among`` (:func:`series_colours`, as in every level and change chart of the
        comparison: the cash-flow chart gave ``ssplit / far_east_port`` orange, the
        change charts gave ssplit green), and k its place among the series of its run
        (0, 1, ...: a run building two projects draws the second with a pattern or dash
        of its own, :func:`series_mark`)."""
        colour = series_colours(self.runs, among=among)
        seen: dict[str, int] = {}
        out = []
        for run in self.runs:
            out.append((colour[run], seen.get(run, 0)))
            seen[run] = seen.get(run, 0) + 1
        return out

    @property
    def title(self) -> str:
        what = " / ".join(self.keys) or "table"
        line = (f", {self.cumulative} (lines"
                + ("; residual value left out, as payback does)"
                   if self.cumulative == "cumulative_musd" else ")")
                if self.cumulative else "")
        return f"Cash flow by year of each {what}: {self.net} (bars){line}"


def cashflow_series(df: pd.DataFrame) -> CashflowSeries | None:
    """``df`` (a comparison table with a ``year`` column: ``project_cashflows``) split into
    one series per combination of its :data:`SERIES_KEYS` columns; None without a year
    or a numeric net (cash) column."""
    cols = {str(c).lower(): c for c in df.columns}
    year = cols.get("year")
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])
               and c != year and "cum" not in str(c).lower()]
    net = cols.get("net_musd") if "net_musd" in cols else next(
        (c for c in numeric if "net" in str(c).lower() or "cash" in str(c).lower()), None)
    if year is None or net is None or df.empty:
        return None
    cum = cols.get("cumulative_musd") or next(
        (c for c in df.columns if "cum" in str(c).lower()
         and pd.api.types.is_numeric_dtype(df[c])), None)
    keys = [cols[k] for k in SERIES_KEYS if k in cols]
    groups = df.groupby(keys, sort=False) if keys else [((), df)]
    series, runs = [], []
    for g, d in groups:
        names = g if isinstance(g, tuple) else (g,)
        label = " / ".join(str(x) for x in names)
        series.append((label, d.sort_values(year, kind="stable")))
        runs.append(str(names[0]) if "scenario" in cols and names else label)
    return CashflowSeries(year=year, net=net, cumulative=cum, keys=[str(k) for k in keys],
                          series=series, runs=runs)


class SeriesMark(NamedTuple):
    """How one series of a run is told from the others in its run's colour, in the PNG
    (matplotlib) and the HTML (plotly) alike: its bars' hatch (``hatch``, matplotlib;
    ``pattern``, plotly's shape of the same lines), its line's style (``line``,
    matplotlib; ``dash``, plotly) and the marker on its line (``marker``, matplotlib;
    ``symbol``, plotly; '' for none)."""

    hatch: str
    line: str | tuple
    pattern: str
    dash: str
    marker: str = ""
    symbol: str = ""


#: the marks of the k-th series of one run (k = 0, 1, ...: :meth:`CashflowSeries.styles`),
#: all different for 10 series, repeating after (:func:`series_mark`). Hatches that
#: cross a legend swatch's short height wherever it stands (it is 0.7 font sizes tall,
#: and a hatch's lines lie where the figure's grid puts them): dots ('..') read as a
#: plain patch there (review out30 F5), horizontal lines ('--') fell on the swatch's
#: edges (out32 F5), and so could the cross's ('++'), which then read as vertical lines
#: ('||'), and small circles ('oo') between its rows; so lines, large circles ('OO'),
#: stars and circles over lines. The line styles are told apart in a swatch of
#: :data:`SWATCH_LENGTH` (a long dash of (8, 3) filled the default swatch of 2 font
#: sizes and read as solid: review out31 F7): six styles, then the first four again with
#: a marker on the line (circle, square, triangle, diamond). Seven projects of one run
#: (ru_all_projects builds seven) repeated the first's marks (review out32 F6), and with
#: 9 series a bar is 0.09 years wide, too thin for any hatch, so the line tells them
#: apart there. Plotly has 8 pattern shapes ('', '/', '\\', 'x', '-', '|', '+', '.'),
#: the HTML's patterns: the first five the PNG's lines, then dots, vertical and
#: horizontal lines, and the ninth and tenth repeat a shape (their lines differ).
SERIES_MARKS = (SeriesMark("", "-", "", "solid"), SeriesMark("//", "--", "/", "dash"),
                SeriesMark("xx", ":", "x", "dot"), SeriesMark("\\\\", "-.", "\\", "dashdot"),
                SeriesMark("++", (0, (8, 4)), "+", "longdash"),
                SeriesMark("OO", (0, (8, 3, 1, 3)), ".", "longdashdot"),
                SeriesMark("**", "-", "|", "solid", "o", "circle"),
                SeriesMark("xo", "--", "-", "dash", "s", "square"),
                SeriesMark("/o", ":", "/", "dot", "^", "triangle-up"),
                SeriesMark("\\o", "-.", "\\", "dashdot", "D", "diamond"))

#: how far apart the markers on a line are (:data:`SERIES_MARKS`): matplotlib's
#: ``markevery`` as a share of the axes' diagonal, plotly's ``maxdisplayed`` points (a
#: cumulative path has two points a year: a marker on each crowded a 20-year line)
MARK_EVERY, MARKS_SHOWN = 0.08, 12


def series_mark(k: int) -> SeriesMark:
    """The marks of the k-th series of a run: :data:`SERIES_MARKS`, repeating after 10."""
    return SERIES_MARKS[k % len(SERIES_MARKS)]


#: the length of a legend's line swatch, in font sizes, in a chart whose lines differ by
#: style (:data:`SERIES_MARKS`): long enough for two periods of each pattern
SWATCH_LENGTH = 5.0


def cumulative_path(cf: pd.DataFrame, year: str = "year", cumulative: str = "cumulative_musd"
                    ) -> tuple[list[float], list[float]]:
    """The cumulative incremental flow (residual value left out) as payback counts it, as
    (time, MUSD) points for the cash-flow profile: year y spans [y, y + 1] on the time
    axis (its bar stands in the middle, at y + 0.5), its spend (capex) is paid at its
    start and its operating flow earned evenly through it. So year y contributes the
    points (y, C_y - O_y), after the spend, and (y + 1, C_y), its end, where C_y is the
    table's ``cumulative_musd`` (end of year y) and O_y its ``operating_musd``; the path
    starts at (first year, 0). It reaches 0 at the payback time, the first year plus
    ``payback (yr)``, where the one-pager marks it; the table's end-of-year values
    plotted at y itself would reach 0 a year early (the comparison's cash-flow chart did:
    mp2's -373.8 at the end of 2036 and +371.5 at the end of 2037 crossed at 2036.5, its
    payback 2037.5). Without ``operating_musd`` each year's flow counts at its start.
    ``year`` and ``cumulative`` name the columns."""
    if cf.empty:
        return [], []
    years = cf[year].astype(int).to_numpy()
    end = cf[cumulative].astype(float).to_numpy()
    start = end - (cf["operating_musd"].astype(float).to_numpy() if "operating_musd" in cf
                   else 0.0)
    x, y = [float(years[0])], [0.0]
    for yr, s0, s1 in zip(years, start, end, strict=True):
        x += [float(yr), float(yr) + 1.0]
        y += [round(float(s0), 3), round(float(s1), 3)]
    return x, y



# -- Sankey by segment, in one measure ------------------------------------------------------

SEGMENTS = ("upstream", "gas processing", "refining", "petrochemicals", "logistics", "markets")
SEGMENT_COLOURS = {"upstream": (140, 109, 49), "gas processing": (49, 130, 189),
                   "refining": (117, 107, 177), "petrochemicals": (230, 85, 13),
                   "logistics": (99, 99, 99), "markets": (49, 163, 84)}
#: measure -> (label of a band's width, unit)
MEASURES = {"mass": ("mass", "kt/yr"), "energy": ("energy", "TJ/yr"),
            "value": ("value", "MUSD/yr")}
_GAS_WORDS = ("gpp", "gas_proc", "ngl", "frac", "lng", "dehydr", "helium")
# 'cracking' (the refinery's catalytic cracking) but not 'cracker': small_chain's
# 'cracker' is a steam cracker, as are those with 'steam' in their name
_REFINING_WORDS = ("cdu", "vdu", "distil", "vacuum", "refin", "fcc", "cracking",
                   "hydrocrack", "hydrotreat", "hdt", "hds", "desulf", "reform", "coker",
                   "visbreak", "alkyl", "isom", "lube")


def process_segment(process: object) -> str:
    """The segment of a unit from its process (or unit) name: gas processing, refining
    (distillation, catalytic 'cracking', hydrotreating, reforming, ...) or
    petrochemicals (the rest: steam crackers, polymers, aromatics, methanol,
    fertiliser)."""
    p = str(process).lower()
    if any(w in p for w in _GAS_WORDS):
        return "gas processing"
    if any(w in p for w in _REFINING_WORDS) and "steam" not in p:
        return "refining"
    return "petrochemicals"


def measure_factors(tables: dict[str, pd.DataFrame], measure: str
                    ) -> tuple[dict[str, float], list[str], list[str]]:
    """(commodity -> factor from k units/yr to the measure, commodities with an assumed
    density, commodities left out). The factor is the t (mass: kt/yr) or GJ (energy:
    TJ/yr) in one commodity unit, by the case's one conversion
    (:func:`chainopt.case.units.factor`): within a dimension by the unit's size (kt x
    1000, MWh x 3.6 GJ), across dimensions by the commodity's ``density_t_per_m3`` and
    ``energy_gj_per_t``. A volume commodity without a density takes the median density of
    the case's other commodities of that unit (flagged as assumed); one that still cannot
    be converted is left out. Value needs no factor."""
    com = _t(tables, "commodities")
    if measure == "value" or com.empty or "unit" not in com.columns:
        return {}, [], []
    com = com.set_index("commodity")
    nan = pd.Series(np.nan, index=com.index)
    dens = pd.to_numeric(com["density_t_per_m3"] if "density_t_per_m3" in com.columns
                         else nan, errors="coerce")
    energy = pd.to_numeric(com["energy_gj_per_t"] if "energy_gj_per_t" in com.columns
                           else nan, errors="coerce")
    target = "t" if measure == "mass" else "GJ"
    factors, assumed, missing = {}, [], []
    for c, unit in com["unit"].astype(str).items():
        if unit not in UNITS:
            missing.append(c)
            continue
        d = dens.get(c)
        if UNITS[unit][0] == "volume" and not np.isfinite(d):
            same = com.index[com["unit"].astype(str) == unit]
            pool = dens.reindex(same).dropna()
            d = float(pool.median()) if len(pool) else np.nan
            if np.isfinite(d):
                assumed.append(c)
        f = factor(unit, target, d, energy.get(c))
        if np.isfinite(f):
            factors[c] = f
        else:
            missing.append(c)
    return factors, assumed, missing


def _widths(df: pd.DataFrame, tables: dict[str, pd.DataFrame], measure: str
            ) -> tuple[pd.Series, list[str]]:
    """Each band's width in ``measure`` (NaN where the measure cannot express it: a
    commodity without the factor, a value not above 0) and the commodities with an
    assumed density."""
    if measure == "value":
        return df["value_musd_per_yr"].where(df["value_musd_per_yr"] > 0), []
    factors, assumed, _missing = measure_factors(tables, measure)
    return df["quantity_k_per_yr"] * df["commodity"].map(factors), assumed


#: what a left-out commodity lacks, by measure
LACKS = {"mass": "no mass: a volume or energy unit without a density or energy content",
         "energy": "no energy content", "value": "no positive value"}


def _segment_bands(tables: dict[str, pd.DataFrame], period: str, measure: str
                   ) -> tuple[pd.DataFrame, list[str], list[str], float]:
    """The period's bands with their width ``w`` in ``measure`` and the segment of each
    end (None for a commodity hub); (bands, assumed, left out, share left out).

    The share left out is that of the left-out commodities' bands among all the
    period's bands, measured in mass (in value for the mass measure), over the bands
    that measure can express: bands of A (100 kt/yr bought, 100 sold) and of B (300
    and 300) without an energy content leave out 600 / 800 = 75 % of the mass (NaN
    when no band has a mass)."""
    df = _bands(tables, period)
    if df.empty:
        return df.assign(w=[], src_seg=[], dst_seg=[]), [], [], 0.0
    df["w"], assumed = _widths(df, tables, measure)
    out = df["w"].isna()
    gone = sorted(set(df.loc[out, "commodity"].tolist()))
    ref, _ = _widths(df, tables, "value" if measure == "mass" else "mass")
    known = ref.notna()
    share = (float(ref[out & known].sum() / ref[known].sum()) if ref[known].sum() > 0
             else np.nan)  # (no band has a mass: no commodities table to convert with)
    act = _t(tables, "activity")
    proc = (dict(zip(act["unit"].tolist(), act["process"].tolist(), strict=False))
            if {"unit", "process"} <= set(act.columns) else {})
    df["src_seg"] = _segments(df["src"], df["src_kind"], proc)
    df["dst_seg"] = _segments(df["dst"], df["dst_kind"], proc)
    df = df[df["w"].notna() & (df["w"] > TOL)].reset_index(drop=True)
    return df, sorted(set(assumed) & set(df["commodity"].tolist())), gone, share


#: the segment of a node of each kind but a unit's (a commodity hub has none)
_KIND_SEGMENT = {"supply": "upstream", "link": "logistics", "market": "markets",
                 "blend": "refining"}


def _segments(nodes: pd.Series, kinds: pd.Series, proc: dict) -> pd.Series:
    """The segment of each node (:data:`_KIND_SEGMENT`; a unit's from its process in
    ``proc``, else from its name: :func:`process_segment`), blank for a commodity hub."""
    seg = kinds.map(_KIND_SEGMENT)
    unit = (kinds == "unit").to_numpy(dtype=bool, na_value=False)
    if unit.any():
        names = nodes[unit].str.removeprefix("unit ")
        of = {u: proc.get(u, u) for u in names.unique().tolist()}  # each unit's process
        segment = {p: process_segment(p) for p in set(of.values())}  # each found once
        seg[unit] = names.map({u: segment[p] for u, p in of.items()})
    return seg


def _hub_split(df: pd.DataFrame) -> pd.DataFrame:
    """Segment-to-segment flows through the commodity hubs: each hub's inflow from a
    segment is passed on to the segments it feeds in proportion to its outflows
    (inflow from ``a`` x outflow to ``b`` / the hub's inflow, for every ``a`` != ``b``)."""
    ins = (df[df["dst_kind"] == "commodity"].groupby(["dst", "src_seg"])["w"].sum()
           .rename_axis(["hub", "src"]).rename("wa").reset_index())
    outs = (df[df["src_kind"] == "commodity"].groupby(["src", "dst_seg"])["w"].sum()
            .rename_axis(["hub", "dst"]).rename("wb").reset_index())
    pairs = ins.assign(total=ins.groupby("hub")["wa"].transform("sum")).merge(outs, on="hub")
    pairs = pairs[pairs["src"] != pairs["dst"]]
    out = pairs[["src", "dst"]].assign(w=pairs["wa"] / pairs["total"] * pairs["wb"])
    return out.groupby(["src", "dst"], as_index=False)["w"].sum()


def _num_map(keys: pd.Series, values: pd.Series, missing: float = 0.0) -> pd.Series:
    """``values`` looked up by ``keys`` as floats (``missing`` where there is none)."""
    at = values.index.get_indexer(keys)
    got = np.where(at >= 0, values.to_numpy(dtype=float)[at], missing) if len(values) \
        else np.full(len(keys), missing)
    return pd.Series(got, index=keys.index, dtype=float)


def sankey_views(tables: dict[str, pd.DataFrame], period: str, measure: str = "mass",
                 drill_downs: bool = True
                 ) -> tuple[dict[str, SankeyData], list[str], list[str], float]:
    """The value chain of one period in one measure: an ``overview`` of the segments
    (:data:`SEGMENTS`; flows through commodity hubs passed on in proportion) and, with
    ``drill_downs``, one drill-down per segment (its units, links, supplies or markets
    with the commodities around them, the other segments as single 'from ...'/'to ...'
    nodes). Widths are in :data:`MEASURES` units; in value every node balances
    (:func:`value_balanced`). Returns (views, commodities with an assumed density,
    commodities left out for want of a factor or a positive value, the share of the
    flows they are: see :func:`_segment_bands`)."""
    df, assumed, gone, share = _segment_bands(tables, period, measure)
    views: dict[str, SankeyData] = {}
    if df.empty:
        return views, assumed, gone, share
    ov = _hub_split(df)
    if len(ov):
        views["overview"] = _overview_graph(ov[ov["w"] > TOL])
    if drill_downs:  # (not for the pictures of the periods after the first: 0.5 s each)
        views.update(_drill_downs(df))
    if measure == "value":
        views = {k: value_balanced(v) for k, v in views.items()}
    return views, assumed, gone, share


class SankeyViews:
    """:func:`sankey_views` of one run's ``tables`` in one ``measure``, each period's
    made once for every chart of a report that shows it: the page's Sankey (each
    period's views with their drill-downs), the pictures' (the first period's with
    them, the others' overviews) and the deck's (the first period's overview) take the
    views one call made (at 300k variables a period's views take 0.31-0.37 s, their
    overview alone 0.11-0.13 s). Calling it is :func:`sankey_views`; a period's views
    made without their drill-downs are made again when they are asked for with them."""

    def __init__(self, tables: dict[str, pd.DataFrame], measure: str = "mass") -> None:
        self.tables, self.measure = tables, measure
        self._made: dict[str, tuple[tuple, bool]] = {}

    def __call__(self, period: str, drill_downs: bool = True
                 ) -> tuple[dict[str, SankeyData], list[str], list[str], float]:
        made = self._made.get(period)
        if made is None or (drill_downs and not made[1]):
            made = (sankey_views(self.tables, period, self.measure, drill_downs), drill_downs)
            self._made[period] = made
        return made[0]


def _drill_downs(df: pd.DataFrame) -> dict[str, SankeyData]:
    """Each segment's drill-down (:func:`sankey_views`) of the bands ``df``
    (:func:`_segment_bands`): the bands of its own nodes and, around the commodity hubs
    it takes from or gives to, the other segments as single nodes with only the share of
    each hub's throughput that the segment takes or gives: a hub's inflow from another
    segment x (the hub's outflow into the segment / its outflow), its outflow to another
    segment x (its inflow from the segment / its inflow). Bands between the same nodes
    of the same commodity are one (their widths and values added; two supply tiers of
    100 kt/yr each are one band of 200). Every segment's bands are made at once, then
    split by segment."""
    from_hub = (df["src_kind"] == "commodity").to_numpy()
    into_hub = (df["dst_kind"] == "commodity").to_numpy()
    df = df.assign(pos=np.arange(len(df)))
    # a band is its source's segment's and its target's (once where they are one)
    own = pd.concat([df.assign(view=df["src_seg"], part=0),
                     df[df["dst_seg"] != df["src_seg"]].assign(view=lambda x: x["dst_seg"],
                                                               part=0)])
    outs, ins = df[from_hub], df[into_hub]

    def around(bands: pd.DataFrame, hub: str, seg: str, moved: pd.Series,
               through: pd.Series) -> pd.DataFrame:
        """``bands`` at the hubs ``bands[hub]`` for each segment that ``moved`` (by hub
        and segment) shows taking or giving there, scaled by the share it is of
        ``through`` the hub; those of the segment itself left out."""
        share = moved.rename_axis([hub, "view"]).rename("share").reset_index()
        share["share"] = (share["share"] / _num_map(share[hub], through, np.nan)).fillna(
            0.0).clip(upper=1.0)
        out = bands.merge(share, on=hub)
        out = out[out[seg] != out["view"]]
        return out.assign(w=out["w"] * out["share"]).drop(columns="share")

    ctx_in = around(ins, "dst", "src_seg", outs.groupby(["src", "dst_seg"])["w"].sum(),
                    outs.groupby("src")["w"].sum())
    ctx_out = around(outs, "src", "dst_seg", ins.groupby(["dst", "src_seg"])["w"].sum(),
                     ins.groupby("dst")["w"].sum())
    ctx_in = ctx_in[ctx_in["w"] > TOL].assign(
        src=lambda x: "from " + x["src_seg"].astype(str), src_kind="segment", part=1)
    ctx_out = ctx_out[ctx_out["w"] > TOL].assign(
        dst=lambda x: "to " + x["dst_seg"].astype(str), dst_kind="segment", part=2)
    parts = pd.concat([own, ctx_in, ctx_out], ignore_index=True)
    parts["view"] = parts["view"].map({s: i for i, s in enumerate(SEGMENTS)})
    # each segment's own bands, then those from and to the others, each in the bands' order
    parts = parts[parts["view"].notna()].sort_values(["view", "part", "pos"], kind="stable")
    keys = ["view", "src", "src_kind", "dst", "dst_kind", "commodity"]
    parts = (parts.groupby(keys, as_index=False, sort=False)
             .agg(quantity_k_per_yr=("w", "sum"), value_musd_per_yr=("value_musd_per_yr",
                                                                     "sum")))
    view = parts["view"].to_numpy()
    cuts = np.flatnonzero(np.diff(view)) + 1
    return {SEGMENTS[int(view[a])]: _sankey_graph(
                parts.iloc[a:b][_BAND_COLUMNS].reset_index(drop=True))
            for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(parts)], strict=True)} \
        if len(parts) else {}


#: what the measure's bands are, said under the chart
MEASURE_NOTES = {
    "value": "Each band is its quantity at the commodity's marginal value at the site it "
             "leaves (purchases at cost, sales at their revenue); what a step adds (its "
             "operating, transport and carbon costs and the rent of a scarce capacity, "
             "supply or market) comes in as a 'value added' band and what it gives up "
             "(paid for by a subsidy such as a feed excise credit, or a sale below the "
             "site's value forced by a floor) leaves as 'value lost', so every node's "
             "in = out."}


def sankey_note(measure: str, assumed: list[str], gone: list[str], share: float) -> str:
    """The note under a period's Sankey: assumed densities, and each commodity left out
    with the share of the flows they are (by mass; by value in the mass measure) and, in
    mass or energy, the measure that shows them (a gas chain in 1000m3 without
    densities had an empty Sankey by default and no word of where to look)."""
    bits = []
    if assumed:
        bits.append("assumed density: " + ", ".join(assumed))
    if gone:
        by = "value" if measure == "mass" else "mass"
        bits.append(f"not shown ({LACKS[measure]}): " + ", ".join(gone) + (
            f" ({100 * share:.3g} % of the flows by {by}, of those that have one)"
            if np.isfinite(share) else "") + (
            "; chainopt report --measure value shows every commodity with a value"
            if measure != "value" else ""))
    return "; ".join(bits)


#: the node value added comes from, and the one value lost goes to (value measure)
VALUE_ADDED, VALUE_LOST = "value added", "value lost"


def value_balanced(d: SankeyData) -> SankeyData:
    """A view in value (MUSD/yr) with every node that takes and gives balanced: a band of
    out - in from :data:`VALUE_ADDED` into a node that gives more than it takes, one of
    in - out from a node that takes more to :data:`VALUE_LOST`.

    A band is worth its quantity at the commodity's marginal value at the site it leaves
    (purchases at cost, sales at their revenue), so a step's out - in is what it adds:
    for a unit its variable and carbon cost and its capacity's rent, for a link its
    transport cost and capacity rent, for a commodity at a site the rent of a capped
    supply (bought at cost, passed on at its value there) or market (sold above that
    value). By LP duality these are >= 0 for what runs, less any credit the step
    earns: a loss is a step paid for by a subsidy (the default case's reverse excise on
    ethane feed: its Amur cracker gives 200.4 MUSD/yr less than it takes in p2026), a
    sale below the site's value (forced by a demand floor) or a MIP's fixed decisions.
    Sources (supplies, 'from ...') and sinks (markets, 'to ...') are left as they are,
    so the value added less the value lost is what the sinks take less what the
    sources give."""
    if d.nodes.empty:
        return d
    lk = d.links
    q = lk["quantity_k_per_yr"].to_numpy(dtype=float)
    n = len(d.nodes)
    into = np.bincount(lk["target"].to_numpy(dtype=int), weights=q, minlength=n)
    out = np.bincount(lk["source"].to_numpy(dtype=int), weights=q, minlength=n)
    diff = out - into
    through = (into > 0) & (out > 0)
    tol = TOL * np.maximum(1.0, np.maximum(into, out))
    added = np.flatnonzero(through & (diff > tol))
    lost = np.flatnonzero(through & (-diff > tol))
    nodes, bands = [d.nodes], [lk]
    for label, idx, sign in ((VALUE_ADDED, added, 1.0), (VALUE_LOST, lost, -1.0)):
        if not len(idx):
            continue
        at = sum(len(x) for x in nodes)
        nodes.append(pd.DataFrame({"label": [label], "kind": ["added"]}))
        w = sign * diff[idx]
        ends = (np.full(len(idx), at), idx) if sign > 0 else (idx, np.full(len(idx), at))
        bands.append(pd.DataFrame({"source": ends[0], "target": ends[1], "commodity": label,
                                   "quantity_k_per_yr": w, "value_musd_per_yr": w}))
    if len(nodes) == 1:
        return d
    return SankeyData(nodes=pd.concat(nodes, ignore_index=True),
                      links=pd.concat(bands, ignore_index=True))


def _overview_graph(df: pd.DataFrame) -> SankeyData:
    """Segment nodes in chain order; segment-level loops (gas piped to a plant and its
    products shipped on) are kept as loops, not cut."""
    names = [s for s in SEGMENTS if s in set(df["src"]) | set(df["dst"])]
    idx = {n: i for i, n in enumerate(names)}
    nodes = pd.DataFrame({"label": names, "kind": "segment"})
    links = pd.DataFrame({"source": df["src"].map(idx), "target": df["dst"].map(idx),
                          "commodity": "", "quantity_k_per_yr": df["w"],
                          "value_musd_per_yr": np.nan})
    return SankeyData(nodes=nodes, links=links.reset_index(drop=True))


#: what a Sankey with nothing to draw says in its middle (the measure leaves out every
#: flow: small_chain by energy, whose commodities have no energy content): a deck's
#: slide was a blank picture, the HTML report an empty grid (a map with no site to
#: place: :data:`NO_PLACE`)
EMPTY_SANKEY = "Nothing flows in this measure"


#: a Sankey view of more than this many nodes is not drawn on the report's page: a
#: browser lays a Sankey out in a time that grows about as the square of its nodes (in
#: headless Chromium here, views of a 10k- and a 300k-variable run: 1,001 nodes 0.6 s,
#: 10,826 nodes 59 s, 30,246 nodes 6 minutes, the page frozen all the while), so 2,000
#: nodes take about 2 s. The page says so where the view would be (``layout.meta.large``)
MAX_PAGE_NODES = 2_000


def too_large_for_page(d: SankeyData) -> str:
    """What the report's page says in place of a Sankey view of more than
    :data:`MAX_PAGE_NODES` nodes."""
    return (f"{len(d.nodes):,} nodes and {len(d.links):,} bands: too many for a browser "
            f"to draw in reasonable time (at most {MAX_PAGE_NODES:,} nodes on this page). "
            "The tables hold every flow (unit_flows.csv, flows.csv, purchases.csv, "
            "sales.csv).")


def segment_sankey_figure(tables: dict[str, pd.DataFrame], periods: list[str],
                          measure: str = "mass", labels: dict[str, str] | None = None,
                          views_of: SankeyViews | None = None):
    """One Sankey trace per period and view (overview, then each segment's drill-down);
    two dropdowns (named ``period`` and ``view``) pick one; the report's script shows
    the trace of the chosen pair. ``layout.meta`` lists the (period, view) of each
    trace, the notes (assumed densities, commodities left out) and, as ``large``, each
    (period, view, what the page says) of a view of more than :data:`MAX_PAGE_NODES`
    nodes, which has no trace; the periods as ``labels`` names them, with their years
    (:func:`run_period_labels`); ``views_of``: the report's views, where its pictures
    take them too (:class:`SankeyViews`)."""
    named = [(labels or {}).get(p, p) for p in periods]
    views_of = views_of or SankeyViews(tables, measure)
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.graph_objects as go

    label, unit = MEASURES[measure]
    traces = []
    keys: list[list[int]] = []
    large: list[list] = []
    view_names = ["overview", *SEGMENTS]
    notes: dict[str, str] = {}
    for i, p in enumerate(periods):
        views, assumed, gone, share = views_of(p)
        notes[named[i]] = sankey_note(measure, assumed, gone, share)
        for j, v in enumerate(view_names):
            d = views.get(v)
            if d is None or d.nodes.empty:
                continue
            if len(d.nodes) > MAX_PAGE_NODES:
                large.append([i, j, esc(too_large_for_page(d))])
                continue
            lk = d.links
            node_label = d.nodes["label"].tolist()
            seg_rgb = [SEGMENT_COLOURS.get(str(x).removeprefix("from ").removeprefix("to "))
                       for x in node_label]
            node_col = [f"rgb{c}" if c and k == "segment" else KIND_COLOURS[k]
                        for c, k in zip(seg_rgb, d.nodes["kind"].tolist(), strict=True)]
            link_col = [f"rgba{(*seg_rgb[s_], 0.4)}" if v == "overview" and seg_rgb[s_]
                        else "rgba(150,150,150,0.35)" for s_ in lk["source"].tolist()]
            # not checked again (:func:`unchecked`): plotly checked each colour and
            # label one by one, 14 of the 31 s the report of the 300k run took
            traces.append(unchecked_trace(
                go.Sankey, arrangement="snap",
                link={"color": link_col, "label": [esc(c) for c in lk["commodity"].tolist()],
                      "source": lk["source"].tolist(), "target": lk["target"].tolist(),
                      "value": lk["quantity_k_per_yr"].round(3).tolist()},
                name=f"{esc(p)} {v}",
                node={"color": node_col, "label": [esc(x) for x in node_label],
                      "pad": 10, "thickness": 14},
                valueformat=",.1f", valuesuffix=f" {unit}", visible=(i == 0 and j == 0)))
            keys.append([i, j])
    fig = go.Figure()  # its layout checked, as every other figure's
    title = (f"Value chain by segment, {label} ({unit}), period "
             f"{esc(named[0]) if periods else ''}: overview")
    menus = [{"name": "period", "x": 0.0, "xanchor": "left", "y": 1.1, "yanchor": "top",
              "buttons": [{"label": esc(p), "method": "skip", "args": [None]}
                          for p in named]},
             {"name": "view", "x": 0.25, "xanchor": "left", "y": 1.1, "yanchor": "top",
              "buttons": [{"label": v, "method": "skip", "args": [None]}
                          for v in view_names]}]
    # a Sankey has no axes: with no trace shown (a view or measure where nothing flows)
    # plotly drew an empty grid; the note in the middle shows where nothing is drawn
    # (the report's script keeps it to the pair chosen)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       text=EMPTY_SANKEY, font={"size": 14},
                       visible=not keys or keys[0] != [0, 0])
    fig.update_layout(title={"text": title, "y": 0.98}, font={"size": 11}, height=820,
                      plot_bgcolor="rgba(0,0,0,0)",
                      margin={"l": 20, "r": 20, "t": 140, "b": 20}, updatemenus=menus,
                      meta={"keys": keys, "periods": [esc(p) for p in named],
                            "views": view_names, "measure": f"{label} ({unit})",
                            "notes": {esc(k): esc(v) for k, v in notes.items()},
                            "large": large, "empty": EMPTY_SANKEY})
    return unchecked(traces, fig)


# -- the map: coastlines and borders offline, labels apart, links by mode and utilisation --

#: dash style of each transport mode (plotly names; matplotlib uses MODE_MPL)
MODE_DASH = {"pipeline": "solid", "rail": "dash", "sea": "dot", "road": "longdash",
             "terminal": "dashdot", "port": "dashdot"}
MODE_MPL = {"solid": "-", "dash": "--", "dot": ":", "longdash": (0, (8, 3)),
            "dashdot": "-."}
UTIL_COLOURS = ((0.0, (26, 152, 80)), (0.5, (254, 224, 139)), (1.0, (215, 48, 39)))
NO_LIMIT = "#7f7f7f"


def utilisation_colour(u: float | None) -> str:
    """Green (idle capacity) -> yellow (half) -> red (full); grey without a capacity."""
    if u is None or not np.isfinite(u):
        return NO_LIMIT
    u = min(max(float(u), 0.0), 1.0)
    for (a, ca), (b, cb) in itertools.pairwise(UTIL_COLOURS):
        if u <= b:
            t = (u - a) / (b - a)
            return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb,
                                                                               strict=True))
    return "#" + "".join(f"{x:02x}" for x in UTIL_COLOURS[-1][1])


def map_view(sites: pd.DataFrame, margin: float = 4.0) -> tuple[float, float, float, float]:
    """(lon0, lon1, lat0, lat1) around the sites, with a margin in degrees."""
    if sites.empty:
        return -180.0, 180.0, -60.0, 80.0
    return (float(sites["lon_deg"].min()) - margin, float(sites["lon_deg"].max()) + margin,
            float(sites["lat_deg"].min()) - margin, float(sites["lat_deg"].max()) + margin)


def lat_ratio(view: tuple[float, float, float, float]) -> float:
    """How much longer a degree of latitude is than one of longitude at the view's middle
    latitude (an equirectangular map true to scale there)."""
    mid = (view[2] + view[3]) / 2
    return 1.0 / max(np.cos(np.radians(mid)), 0.2)


_WORLD: list[np.ndarray] = []


def world_rings() -> list[np.ndarray]:
    """The bundled Natural Earth 1:110m country outlines (see geo/NOTICE.md) as arrays
    of (lon, lat)."""
    if not _WORLD:
        doc = json.loads(files("chainopt.report.geo").joinpath("world_110m.json").read_text())
        _WORLD.extend(np.asarray(r, dtype=float).reshape(-1, 2) / doc["scale"]
                      for r in doc["rings"])
    return _WORLD


def rings_in_view(view: tuple[float, float, float, float]) -> list[np.ndarray]:
    """The country outlines whose bounding box meets ``view`` (lon0, lon1, lat0, lat1),
    each also shifted by 360° where the view reaches past ±180° (sites at 179° E: the
    view runs to 183° E, where Natural Earth keeps eastern Chukotka at -180 to -177°:
    it was drawn as sea)."""
    lon0, lon1, lat0, lat1 = view
    shifts = [d for d in (-360.0, 0.0, 360.0) if lon0 <= 180.0 + d and lon1 >= -180.0 + d]
    out = []
    for r in world_rings():
        if r[:, 1].max() < lat0 or r[:, 1].min() > lat1:
            continue
        west, east = r[:, 0].min(), r[:, 0].max()
        out += [r if d == 0.0 else r + np.array([d, 0.0]) for d in shifts
                if east + d >= lon0 and west + d <= lon1]
    return out


def coastlines(view: tuple[float, float, float, float]) -> tuple[list, list]:
    """x and y (None between rings) of the country outlines that reach into ``view``
    (:func:`rings_in_view`)."""
    xs: list = []
    ys: list = []
    for r in rings_in_view(view):
        xs += [*r[:, 0].tolist(), None]
        ys += [*r[:, 1].tolist(), None]
    return xs, ys


#: label offsets tried in order (dx right, dy up; in character heights)
_OFFSETS = [(0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1),
            (0, 2), (0, -2), (2, 1), (-2, 1), (2, -1), (-2, -1), (0, 3), (0, -3),
            (3, 0), (-3, 0), (3, 2), (-3, 2), (3, -2), (-3, -2)]


def place_labels(sites: pd.DataFrame, view: tuple[float, float, float, float],
                 width: float, char_w: float, line_h: float,
                 markers: pd.DataFrame | None = None) -> list[tuple[float, float]]:
    """A label offset (dx, dy, in the units of ``width``: pixels or points; dy up) for
    each site so that no two labels and no label and site marker overlap, greedily, the
    most crowded sites first. ``width`` is the plot's width, ``char_w`` and ``line_h``
    the size of a character. Each label stays inside the plot (``width`` by the view's
    height at that scale): a place that would cross its edge is moved in along it before
    it is scored (a label wider than the plot starts at its left edge). ``markers``:
    sites drawn without a label (:func:`map_labelled`), whose markers the labels avoid
    too."""
    lon0, lon1, lat0, lat1 = view
    k = width / (lon1 - lon0)
    height = (lat1 - lat0) * k * lat_ratio(view)

    def at(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        return (((frame["lon_deg"] - lon0) * k).to_numpy(),
                ((frame["lat_deg"] - lat0) * k * lat_ratio(view)).to_numpy())

    px, py = at(sites)
    names = [str(s) for s in sites["site"]]
    n = len(names)
    crowd = [int(np.count_nonzero(np.hypot(px - px[i], py - py[i]) < 60)) for i in range(n)]
    out: list[tuple[float, float]] = [(0.0, line_h)] * n
    # the labels placed so far (in order) and the site markers, each box in the cells of
    # a grid it touches: a place is scored against the boxes near it alone (a map of 1,192
    # sites compared each of its 26,000 places with every box: 18 s)
    placed = _BoxGrid()  # the label placed r-th has rank r, the marker of the i-th site n + i
    mx, my = at(markers) if markers is not None else (np.empty(0), np.empty(0))
    for i, (x, y) in enumerate(zip([*px, *mx], [*py, *my], strict=True)):
        placed.add((x - 4, y - 4, x + 4, y + 4), n + i)

    def clash(b) -> float:
        """The area ``b`` shares with the labels placed and the markers, added in the
        order of the labels then the markers (a box apart adds 0: the same sum)."""
        return sum(max(0.0, min(b[2], o[2]) - max(b[0], o[0]))
                   * max(0.0, min(b[3], o[3]) - max(b[1], o[1])) for o in placed.near(b))

    for rank, i in enumerate(sorted(range(n), key=lambda j: (-crowd[j], names[j]))):
        w, h = char_w * len(names[i]) + 4, line_h
        best = None
        for ox, oy in _OFFSETS:
            dx = ox * (w / 2 + 6) if ox else 0.0
            dy = oy * (h * 0.9)
            x0 = max(0.0, min(px[i] + dx - w / 2, width - w))  # inside the plot
            y0 = max(0.0, min(py[i] + dy - h / 2, height - h))
            dx, dy = float(x0 + w / 2 - px[i]), float(y0 + h / 2 - py[i])
            b = (x0, y0, x0 + w, y0 + h)
            c = clash(b)
            if best is None or c < best[0]:
                best = (c, (dx, dy), b)
            if c == 0:
                break
        assert best is not None  # at least one offset was tried
        out[i] = best[1]
        placed.add(best[2], rank)
    return out


class _BoxGrid:
    """Boxes ``(x0, y0, x1, y1)``, each with a rank, by the cells of a square grid
    (:data:`CELL` units a side) they touch: :meth:`near` gives the boxes whose cells a box
    touches, each once, by rank (a box with a coordinate that is not finite is given for
    every box: it is in no cell)."""

    CELL = 64.0

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[int, tuple]]] = {}
        self.anywhere: list[tuple[int, tuple]] = []

    def _cells(self, b: tuple) -> list[tuple[int, int]]:
        c = self.CELL
        return [(i, j) for i in range(math.floor(b[0] / c), math.floor(b[2] / c) + 1)
                for j in range(math.floor(b[1] / c), math.floor(b[3] / c) + 1)]

    def add(self, b: tuple, rank: int) -> None:
        if not all(map(math.isfinite, b)):
            self.anywhere.append((rank, b))
            return
        for cell in self._cells(b):
            self.cells.setdefault(cell, []).append((rank, b))

    def near(self, b: tuple) -> list[tuple]:
        found = dict(self.anywhere)
        if all(map(math.isfinite, b)):
            found.update((r, o) for cell in self._cells(b) for r, o in self.cells.get(cell, ()))
        else:  # (a label is kept inside the plot: never so)
            found.update((r, o) for boxes in self.cells.values() for r, o in boxes)
        return [found[r] for r in sorted(found)]


def link_utilisation(tables: dict[str, pd.DataFrame], period: str) -> dict[str, float]:
    """link -> utilisation in ``period`` (capacity table; NaN for links without a limit)."""
    cap = _t(tables, "capacity")
    if cap.empty or "utilisation" not in cap.columns:
        return {}
    c = cap[(cap["kind"] == "link") & (cap["period"].astype(str) == period)]
    return {str(n): float(u) for n, u in zip(c["name"], pd.to_numeric(c["utilisation"],
                                                                      errors="coerce"),
                                            strict=True)}
