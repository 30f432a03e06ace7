"""Figure data and figure builders shared by the HTML report and static charts.

Every figure starts as a tidy pandas frame computed here from the result tables
(``*_data`` functions); :func:`plotly_figures` turns them into plotly figures for
the HTML report and :mod:`chainopt.report.static` draws the same frames with
matplotlib for slides. Names taken from the case are passed through
:func:`esc` before they reach a figure, so they render as text.

No Pyomo, no api, no cli: only pandas, plotly and the tables of a results folder.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TOL = 1e-6

#: Sankey node kinds in the order of the chain, with their colours.
KIND_COLOURS = {
    "supply": "#8c6d31", "commodity": "#9ecae1", "unit": "#e6550d", "blend": "#fd8d3c",
    "link": "#756bb1", "market": "#31a354",
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
    price = _site_values(tables, period)
    bands = [*_supply_bands(tables, period), *_unit_bands(tables, period, price),
             *_blend_bands(tables, period, price), *_link_bands(tables, period, price),
             *_sales_bands(tables, period)]
    if not bands:
        return SankeyData()
    return _sankey_graph(pd.DataFrame(bands, columns=_BAND_COLUMNS))


# one band of the diagram: source node and kind, target node and kind, commodity, width
# (k units/yr) and value (MUSD/yr)
_Band = tuple[str, str, str, str, str, float, float]
_BAND_COLUMNS = ["src", "src_kind", "dst", "dst_kind", "commodity", "quantity_k_per_yr",
                 "value_musd_per_yr"]


def _in_period(tables: dict[str, pd.DataFrame], name: str, period: str) -> pd.DataFrame:
    """Rows of table ``name`` in ``period`` (an empty frame when the table is absent)."""
    df = _t(tables, name)
    return df[df["period"].astype(str) == period] if len(df) else df


def _site_values(tables: dict[str, pd.DataFrame], period: str) -> dict[tuple[str, str], float]:
    """(site, commodity) -> its marginal value in ``period`` (balance shadow price)."""
    b = _in_period(tables, "balances", period)
    if not len(b):
        return {}
    return {(s, c): float(v) for s, c, v in
            zip(b["site"], b["commodity"], b["shadow_price_usd_per_unit"], strict=False)}


def _hub(site: str, commodity: str) -> str:
    return f"{commodity} @ {site}"


def _value(price: dict[tuple[str, str], float], site: str, commodity: str, q: float) -> float:
    """MUSD/yr of ``q`` k units/yr at the commodity's value at ``site``."""
    return q * price.get((site, commodity), np.nan) / 1000.0


def _supply_bands(tables: dict[str, pd.DataFrame], period: str) -> list[_Band]:
    """Purchases into their commodity at the site, valued at cost."""
    return [(f"supply {r.commodity} @ {r.site}", "supply", _hub(r.site, r.commodity),
             "commodity", r.commodity, r.purchase_k_per_yr,
             r.purchase_k_per_yr * r.cost_usd_per_unit / 1000.0)
            for r in _in_period(tables, "purchases", period).itertuples()
            if r.purchase_k_per_yr > TOL]


def _unit_bands(tables: dict[str, pd.DataFrame], period: str,
                price: dict[tuple[str, str], float]) -> list[_Band]:
    """What units take in (commodity -> unit) and put out (unit -> commodity)."""
    bands = []
    for r in _in_period(tables, "unit_flows", period).itertuples():
        if r.amount_k_per_yr <= TOL:
            continue
        hub, unit = (_hub(r.site, r.commodity), "commodity"), (f"unit {r.unit}", "unit")
        (src, src_kind), (dst, dst_kind) = (hub, unit) if r.direction == "in" else (unit, hub)
        bands.append((src, src_kind, dst, dst_kind, r.commodity, r.amount_k_per_yr,
                      _value(price, r.site, r.commodity, r.amount_k_per_yr)))
    return bands


def _blend_bands(tables: dict[str, pd.DataFrame], period: str,
                 price: dict[tuple[str, str], float]) -> list[_Band]:
    """Components into each blend, and each blend's product out."""
    bl = _in_period(tables, "blending", period)
    if not len(bl):
        return []
    bands = [(_hub(r.site, r.component), "commodity", f"blend {r.blend}", "blend",
              r.component, r.blend_k_per_yr, _value(price, r.site, r.component,
                                                    r.blend_k_per_yr))
             for r in bl.itertuples() if r.blend_k_per_yr > TOL]
    out = bl.groupby(["blend", "site", "product"], as_index=False)["blend_k_per_yr"].sum()
    bands += [(f"blend {r.blend}", "blend", _hub(r.site, r.product), "commodity", r.product,
               r.blend_k_per_yr, _value(price, r.site, r.product, r.blend_k_per_yr))
              for r in out.itertuples() if r.blend_k_per_yr > TOL]
    return bands


def _link_bands(tables: dict[str, pd.DataFrame], period: str,
                price: dict[tuple[str, str], float]) -> list[_Band]:
    """Flows into each link at its origin and delivered out of it at its destination."""
    bands = []
    for r in _in_period(tables, "flows", period).itertuples():
        if r.flow_k_per_yr <= TOL:
            continue
        bands.append((_hub(r.from_site, r.commodity), "commodity", f"link {r.link}", "link",
                      r.commodity, r.flow_k_per_yr,
                      _value(price, r.from_site, r.commodity, r.flow_k_per_yr)))
        bands.append((f"link {r.link}", "link", _hub(r.to_site, r.commodity), "commodity",
                      r.commodity, r.delivered_k_per_yr,
                      _value(price, r.to_site, r.commodity, r.delivered_k_per_yr)))
    return bands


def _sales_bands(tables: dict[str, pd.DataFrame], period: str) -> list[_Band]:
    """Sales from the commodity at the site to its market, valued at their revenue."""
    return [(_hub(r.site, r.commodity), "commodity", f"market {r.site}", "market",
             r.commodity, r.sales_k_per_yr, r.revenue_musd_per_yr)
            for r in _in_period(tables, "sales", period).itertuples()
            if r.sales_k_per_yr > TOL]


def _sankey_graph(df: pd.DataFrame) -> SankeyData:
    """Nodes (ordered by kind, then name) and links of the bands; a recycle loop
    (A -> unit -> B -> unit -> A) ends at a 'recycled' node."""
    back = _back_edges(list(zip(df["src"], df["dst"], strict=False)))
    if back:
        cut = [(s_, d_) in back for s_, d_ in zip(df["src"], df["dst"], strict=False)]
        df.loc[cut, "dst"] = df.loc[cut, "dst"] + " (recycled)"
    kinds = dict(zip(df["src"], df["src_kind"], strict=False))
    kinds.update(zip(df["dst"], df["dst_kind"], strict=False))
    order = {k: i for i, k in enumerate(KIND_COLOURS)}
    labels = sorted(kinds, key=lambda n: (order[kinds[n]], n))
    idx = {n: i for i, n in enumerate(labels)}
    nodes = pd.DataFrame({"label": labels, "kind": [kinds[n] for n in labels]})
    links = pd.DataFrame({"source": df["src"].map(idx), "target": df["dst"].map(idx),
                          "commodity": df["commodity"],
                          "quantity_k_per_yr": df["quantity_k_per_yr"],
                          "value_musd_per_yr": df["value_musd_per_yr"]})
    return SankeyData(nodes=nodes, links=links)


def _back_edges(edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Edges that close a cycle, found by an iterative depth-first search from the sources."""
    adj: dict[str, list[str]] = {}
    indeg: dict[str, int] = {}
    for s, d in edges:
        adj.setdefault(s, []).append(d)
        indeg[d] = indeg.get(d, 0) + 1
        indeg.setdefault(s, 0)
    state: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    roots = [n for n in indeg if indeg[n] == 0] + list(indeg)
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(adj.get(root, [])))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(adj.get(nxt, []))))
    return back


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
    """Sites (site, lon, lat) and routes (link, mode, ends, flow, commodities) of one period."""
    sites = _t(tables, "sites")
    if sites.empty or not {"lat_deg", "lon_deg"} <= set(sites.columns):
        return pd.DataFrame(columns=["site", "lon_deg", "lat_deg"]), pd.DataFrame()
    sites = sites[["site", "lon_deg", "lat_deg"]].dropna()
    fl = _t(tables, "flows")
    if fl.empty:
        return sites, pd.DataFrame()
    fl = fl[fl["period"].astype(str) == period]
    g = fl.groupby(["link", "from_site", "to_site", "transport_mode"], as_index=False).agg(
        flow_k_per_yr=("flow_k_per_yr", "sum"),
        commodities=("commodity", lambda s: ", ".join(
            sorted(set(fl.loc[s.index][fl.loc[s.index, "flow_k_per_yr"] > TOL]["commodity"]))
        )))
    pos = sites.set_index("site")
    g = g[g["from_site"].isin(pos.index) & g["to_site"].isin(pos.index)]
    g = g.assign(lon0=g["from_site"].map(pos["lon_deg"]), lat0=g["from_site"].map(pos["lat_deg"]),
                 lon1=g["to_site"].map(pos["lon_deg"]), lat1=g["to_site"].map(pos["lat_deg"]))
    return sites, g.reset_index(drop=True)


def line_width(flow: float, max_flow: float) -> float:
    """Route line width in pixels: 1 (idle) to 14 (largest flow)."""
    if max_flow <= TOL or flow <= TOL:
        return 1.0
    return 1.5 + 12.5 * flow / max_flow


# -- bar charts ---------------------------------------------------------------------------

def _pivot(df: pd.DataFrame, index: str, value: str, periods: list[str]) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame()
    p = df.pivot_table(index=index, columns="period", values=value, aggfunc="sum")
    p = p.reindex(columns=[c for c in periods if c in p.columns]).fillna(0.0)
    p = p[p.abs().sum(axis=1) > TOL]
    return p.loc[p.sum(axis=1).sort_values(ascending=False).index]


def capacity_data(tables: dict[str, pd.DataFrame], periods: list[str]) -> pd.DataFrame:
    """Total capacity of every unit (rows) by period (columns), k units/yr."""
    cap = _t(tables, "capacity")
    if cap.empty:
        return pd.DataFrame()
    cap = cap[cap["kind"] == "unit"]
    return _pivot(cap, "name", "total_k_per_yr", periods)


def new_capacity_data(tables: dict[str, pd.DataFrame], periods: list[str]) -> pd.DataFrame:
    cap = _t(tables, "capacity")
    if cap.empty:
        return pd.DataFrame()
    cap = cap.assign(label=cap["kind"] + " " + cap["name"])
    return _pivot(cap, "label", "new_k_per_yr", periods)


def product_mix_data(tables: dict[str, pd.DataFrame], periods: list[str]) -> pd.DataFrame:
    """Production of each product (rows) by period (columns), from the KPI table."""
    k = _t(tables, "kpis")
    if k.empty:
        return pd.DataFrame()
    k = k[k["kpi"].astype(str).str.startswith("production_")]
    k = k.assign(product=k["kpi"].str.removeprefix("production_"))
    return _pivot(k, "product", "value", periods)


def emissions_data(tables: dict[str, pd.DataFrame], periods: list[str]) -> pd.DataFrame:
    """Emissions by site and commodity (rows) and period (columns)."""
    e = _t(tables, "emissions")
    if e.empty:
        return pd.DataFrame()
    e = e.assign(label=e["commodity"].astype(str) + " @ " + e["site"].astype(str))
    return _pivot(e, "label", "emission_k_per_yr", periods)


def binding_data(tables: dict[str, pd.DataFrame], top: int = 15) -> pd.DataFrame:
    """The binding constraints with the largest marginal values."""
    rows = []
    cap = _t(tables, "capacity")
    if len(cap):
        b = cap[cap["shadow_price_usd_per_unit_yr"].abs() > TOL]
        rows.append(pd.DataFrame({
            "constraint": b["kind"] + " capacity", "name": b["name"], "period": b["period"],
            "value_usd_per_unit": b["shadow_price_usd_per_unit_yr"],
            "meaning": "one more unit of annual capacity"}))
    sa = _t(tables, "sales")
    if len(sa) and "floor_cost_usd_per_unit" in sa.columns:
        b = sa[sa["floor_cost_usd_per_unit"].abs() > TOL]
        rows.append(pd.DataFrame({
            "constraint": "demand floor", "name": b["commodity"] + " @ " + b["site"],
            "period": b["period"], "value_usd_per_unit": -b["floor_cost_usd_per_unit"],
            "meaning": "raising the floor by one unit"}))
    if not rows:
        return pd.DataFrame(columns=["constraint", "name", "period", "value_usd_per_unit",
                                     "meaning"])
    df = pd.concat(rows, ignore_index=True)
    return (df.reindex(df["value_usd_per_unit"].abs().sort_values(ascending=False).index)
            .head(top).reset_index(drop=True))


def shadow_price_data(tables: dict[str, pd.DataFrame], periods: list[str]) -> pd.DataFrame:
    """Commodity values (USD/unit) at each site: rows 'commodity @ site', columns periods."""
    b = _t(tables, "balances")
    if b.empty:
        return pd.DataFrame()
    b = b.assign(label=b["commodity"].astype(str) + " @ " + b["site"].astype(str))
    p = b.pivot_table(index="label", columns="period", values="shadow_price_usd_per_unit",
                      aggfunc="first")
    return p.reindex(columns=[c for c in periods if c in p.columns]).sort_index()


def kpi_summary(tables: dict[str, pd.DataFrame], periods: list[str]) -> tuple[pd.DataFrame,
                                                                             pd.DataFrame]:
    """(whole-horizon KPIs: kpi, value, unit) and (per-period KPIs: kpi x period)."""
    k = _t(tables, "kpis")
    if k.empty:
        return pd.DataFrame(), pd.DataFrame()
    per = k["period"].fillna("").astype(str)
    total = k[per == ""][["kpi", "value", "unit"]].reset_index(drop=True)
    by = k[per != ""]
    wide = by.pivot_table(index=["kpi", "unit"], columns="period", values="value",
                          aggfunc="first", sort=False)
    wide = wide.reindex(columns=[c for c in periods if c in wide.columns]).reset_index()
    return total, wide


# -- plotly -------------------------------------------------------------------------------

def _bar_figure(pivot: pd.DataFrame, title: str, yaxis: str, barmode: str = "stack"):
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, row in pivot.iterrows():
        fig.add_trace(go.Bar(name=esc(name), x=[esc(c) for c in pivot.columns],
                             y=row.to_numpy().tolist(),
                             hovertemplate=f"{esc(name)}<br>%{{x}}: %{{y:,.1f}}<extra></extra>"))
    fig.update_layout(title=title, barmode=barmode, yaxis_title=yaxis, xaxis_title="period",
                      height=420, margin={"l": 60, "r": 20, "t": 50, "b": 40})
    return fig


def sankey_figure(tables: dict[str, pd.DataFrame], periods: list[str]):
    """One Sankey trace per period; a dropdown shows one period at a time."""
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.graph_objects as go

    fig = go.Figure()
    shown = []
    for i, p in enumerate(periods):
        d = sankey_data(tables, p)
        if d.nodes.empty:
            continue
        lk = d.links
        custom = [[esc(c), q, "n/a" if not np.isfinite(v) else f"{v:,.1f}"]
                  for c, q, v in zip(lk["commodity"], lk["quantity_k_per_yr"],
                                     lk["value_musd_per_yr"], strict=False)]
        fig.add_trace(go.Sankey(
            name=esc(p), visible=(i == 0), arrangement="snap", valueformat=",.1f",
            node={"label": [esc(x) for x in d.nodes["label"]], "pad": 12, "thickness": 14,
                  "color": [KIND_COLOURS[k] for k in d.nodes["kind"]],
                  "hovertemplate": "%{label}<br>throughput %{value:,.1f} k units/yr"
                                   "<extra></extra>"},
            link={"source": lk["source"].tolist(), "target": lk["target"].tolist(),
                  "value": lk["quantity_k_per_yr"].round(6).tolist(), "customdata": custom,
                  "color": "rgba(150,150,150,0.35)",
                  "hovertemplate": "%{customdata[0]}: %{source.label} → %{target.label}<br>"
                                   "%{customdata[1]:,.1f} k units/yr, value "
                                   "%{customdata[2]} MUSD/yr<extra></extra>"}))
        shown.append(p)
    n = len(shown)
    buttons = [{"label": esc(p), "method": "update",
                "args": [{"visible": [j == i for j in range(n)]},
                         {"title": f"Value chain, period {esc(p)}"}]}
               for i, p in enumerate(shown)]
    fig.update_layout(
        title=f"Value chain, period {esc(shown[0])}" if shown else "Value chain (no flows)",
        height=_sankey_height(tables, shown[:1]),
        font={"size": 11}, margin={"l": 20, "r": 20, "t": 80, "b": 20},
        updatemenus=[{"buttons": buttons, "direction": "down", "x": 1.0, "xanchor": "right",
                      "y": 1.12, "yanchor": "top"}] if n > 1 else [])
    return fig


def _sankey_height(tables: dict[str, pd.DataFrame], periods: list[str]) -> int:
    """Tall enough for the busiest column of nodes (a readable label every ~22 px)."""
    if not periods:
        return 500
    d = sankey_data(tables, periods[0])
    per_col = pd.Series(sankey_layers(d)).value_counts().max() if len(d.nodes) else 0
    return int(min(2400, max(500, 24 * per_col + 120)))


def map_figure(tables: dict[str, pd.DataFrame], periods: list[str]):
    """Sites on lon/lat axes, routes as lines whose width is the flow; a dropdown per period."""
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.graph_objects as go

    fig = go.Figure()
    groups: list[list[int]] = []
    all_routes = [map_data(tables, p) for p in periods]
    max_flow = max((float(r["flow_k_per_yr"].max()) for _, r in all_routes if len(r)),
                   default=0.0)
    for i, (_sites, routes) in enumerate(all_routes):
        idx = []
        for r in routes.itertuples():
            idx.append(len(fig.data))
            fig.add_trace(go.Scatter(
                x=[r.lon0, (r.lon0 + r.lon1) / 2, r.lon1],
                y=[r.lat0, (r.lat0 + r.lat1) / 2, r.lat1], mode="lines",
                line={"width": line_width(r.flow_k_per_yr, max_flow),
                      "color": "#756bb1" if r.flow_k_per_yr > TOL else "#cccccc"},
                visible=(i == 0), showlegend=False, name=esc(r.link),
                hovertemplate=(f"link {esc(r.link)} ({esc(r.transport_mode)}): "
                               f"{esc(r.from_site)} → {esc(r.to_site)}<br>"
                               f"{r.flow_k_per_yr:,.1f} k units/yr {esc(r.commodities)}"
                               "<extra></extra>")))
        groups.append(idx)
    sites = all_routes[0][0] if all_routes else map_data(tables, "")[0]
    fig.add_trace(go.Scatter(
        x=sites["lon_deg"].tolist(), y=sites["lat_deg"].tolist(), mode="markers+text",
        text=[esc(s) for s in sites["site"]], textposition="top center",
        marker={"size": 10, "color": "#e6550d"}, name="sites", showlegend=False,
        hovertemplate="%{text}<br>lon %{x:.2f}, lat %{y:.2f}<extra></extra>"))
    n = len(fig.data)
    buttons = []
    for i, p in enumerate(periods):
        vis = [False] * n
        for j in groups[i]:
            vis[j] = True
        vis[-1] = True
        buttons.append({"label": esc(p), "method": "update",
                        "args": [{"visible": vis}, {"title": f"Sites and routes, period "
                                                              f"{esc(p)} (width = flow)"}]})
    fig.update_layout(
        title=f"Sites and routes, period {esc(periods[0]) if periods else ''} (width = flow)",
        xaxis_title="longitude (°)", yaxis_title="latitude (°)", height=520,
        yaxis={"scaleanchor": "x", "scaleratio": 1.0}, plot_bgcolor="#f4f7fb",
        margin={"l": 60, "r": 20, "t": 80, "b": 40},
        updatemenus=[{"buttons": buttons, "direction": "down", "x": 1.0, "xanchor": "right",
                      "y": 1.12, "yanchor": "top"}] if len(periods) > 1 else [])
    return fig


def plotly_figures(tables: dict[str, pd.DataFrame], periods: list[str]) -> dict[str, object]:
    """Every chart of the run report, keyed by a stable id (also the static file name)."""
    figs: dict[str, object] = {"sankey": sankey_figure(tables, periods),
                               "map": map_figure(tables, periods)}
    for key, data, title, yaxis, mode in (
            ("capacity", capacity_data(tables, periods), "Unit capacity by period",
             "k units/yr", "group"),
            ("new_capacity", new_capacity_data(tables, periods), "New capacity built",
             "k units/yr", "stack"),
            ("product_mix", product_mix_data(tables, periods), "Product mix", "k units/yr",
             "stack"),
            ("emissions", emissions_data(tables, periods), "Emissions by site", "k units/yr",
             "stack")):
        if not data.empty:
            figs[key] = _bar_figure(data, title, yaxis, mode)
    b = binding_data(tables)
    if len(b):
        # lazy: plotly is slow to import; loaded only when a chart is drawn
        import plotly.graph_objects as go

        lab = [f"{esc(c)} {esc(n)} ({esc(p)})" for c, n, p in
               zip(b["constraint"], b["name"], b["period"], strict=False)]
        fig = go.Figure(go.Bar(x=b["value_usd_per_unit"].tolist()[::-1], y=lab[::-1],
                               orientation="h", marker_color="#e6550d",
                               hovertemplate="%{y}: %{x:,.2f} USD/unit<extra></extra>"))
        fig.update_layout(title="Top binding constraints (marginal value)",
                          xaxis_title="USD per unit (per yr for capacity)",
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


def top_deltas(df: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    """The rows whose Δ columns changed most."""
    _, _, delta = compare_columns(df)
    if not delta or df.empty:
        return df.iloc[0:0]
    size = df[delta].abs().max(axis=1)
    return df.loc[size[size > 1e-9].sort_values(ascending=False).index[:top]]
