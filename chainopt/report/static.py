"""Static charts (PNG or SVG) of the report's figures, for slides; matplotlib, no browser.

The data of every chart comes from the same ``*_data`` functions as the HTML
report (:mod:`chainopt.report.charts`), so both show the same numbers. Names are
drawn as plain text (matplotlib's mathtext is switched off for them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chainopt.report import charts


def _plt():
    # lazy: matplotlib is slow to import; only static charts need it
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # lazy, after choosing the file-only backend

    plt.rcParams["text.usetex"] = False
    return plt


def _txt(s: object) -> str:
    """Plain text for matplotlib: escape '$' so mathtext never interprets a name."""
    return str(s).replace("$", r"\$")


def _bars(plt, pivot: pd.DataFrame, title: str, ylabel: str, stacked: bool):
    fig, ax = plt.subplots(figsize=(10, 5.5))
    x = np.arange(len(pivot.columns))
    n = max(len(pivot), 1)
    bottom = np.zeros(len(pivot.columns))
    width = 0.8 if stacked else 0.8 / n
    for i, (name, row) in enumerate(pivot.iterrows()):
        y = row.to_numpy(dtype=float)
        if stacked:
            ax.bar(x, y, width, bottom=bottom, label=_txt(name))
            bottom = bottom + y
        else:
            ax.bar(x - 0.4 + width * (i + 0.5), y, width, label=_txt(name))
    ax.set_xticks(x, [_txt(c) for c in pivot.columns])
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("period")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def _sankey(plt, tables: dict[str, pd.DataFrame], period: str):
    """A layered Sankey drawn with patches: nodes in columns, bands as smooth ribbons."""
    # lazy: matplotlib is slow to import; only static charts need it
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MPath

    d = charts.sankey_data(tables, period)
    fig, ax = plt.subplots(figsize=(16, 9))
    ax.set_title(f"Value chain, period {_txt(period)} (width = k units/yr)")
    ax.axis("off")
    if d.nodes.empty:
        return fig
    layer = np.array(charts.sankey_layers(d))
    lk = d.links
    q = lk["quantity_k_per_yr"].to_numpy(dtype=float)
    size_in = np.bincount(lk["target"], weights=q, minlength=len(d.nodes))
    size_out = np.bincount(lk["source"], weights=q, minlength=len(d.nodes))
    size = np.maximum(size_in, size_out)
    ncol = layer.max() + 1
    gap = 0.02
    col_tot = [size[layer == c].sum() for c in range(ncol)]
    col_cnt = [(layer == c).sum() for c in range(ncol)]
    scale = min((1 - gap * (k - 1)) / t for t, k in zip(col_tot, col_cnt, strict=False) if t > 0)
    y0 = np.zeros(len(d.nodes))
    for c in range(ncol):
        y = 0.0
        for i in np.flatnonzero(layer == c):
            y0[i] = y
            y += size[i] * scale + gap
    w = 0.012
    xs = layer / max(ncol - 1, 1) * (1 - w)
    out_off = y0.copy()
    in_off = y0.copy()
    for r in lk.itertuples():
        h = r.quantity_k_per_yr * scale
        s, t = int(r.source), int(r.target)
        xa, xb = xs[s] + w, xs[t]
        ya, yb = out_off[s], in_off[t]
        out_off[s] += h
        in_off[t] += h
        mid = (xa + xb) / 2
        verts = [(xa, ya), (mid, ya), (mid, yb), (xb, yb), (xb, yb + h), (mid, yb + h),
                 (mid, ya + h), (xa, ya + h), (xa, ya)]
        codes = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO,
                 MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MPath(verts, codes), facecolor="#999999", alpha=0.35, lw=0))
    for i, r in enumerate(d.nodes.itertuples()):
        ax.add_patch(Rectangle((xs[i], y0[i]), w, max(size[i] * scale, 0.002),
                               color=charts.KIND_COLOURS[r.kind]))
        ax.text(xs[i] + w * 1.5, y0[i] + size[i] * scale / 2, _txt(r.label), fontsize=6,
                va="center")
    ax.set_xlim(-0.01, 1.08)
    ax.set_ylim(max(y0 + size * scale) + 0.02, -0.02)
    return fig


def _map(plt, tables: dict[str, pd.DataFrame], period: str):
    sites, routes = charts.map_data(tables, period)
    fig, ax = plt.subplots(figsize=(10, 6))
    mx = float(routes["flow_k_per_yr"].max()) if len(routes) else 0.0
    for r in routes.itertuples():
        ax.plot([r.lon0, r.lon1], [r.lat0, r.lat1],
                color="#756bb1" if r.flow_k_per_yr > charts.TOL else "#cccccc",
                lw=charts.line_width(r.flow_k_per_yr, mx) * 0.6, solid_capstyle="round")
    ax.scatter(sites["lon_deg"], sites["lat_deg"], color="#e6550d", zorder=3)
    for r in sites.itertuples():
        ax.annotate(_txt(r.site), (r.lon_deg, r.lat_deg), textcoords="offset points",
                    xytext=(4, 5), fontsize=8)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_title(f"Sites and routes, period {_txt(period)} (width = flow)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def write_static(tables: dict[str, pd.DataFrame], manifest: dict, folder: str | Path,
                 fmt: str = "png") -> list[Path]:
    """Write every chart as ``report-<chart>[-<period>].<fmt>`` into ``folder``."""
    plt = _plt()
    folder = Path(folder)
    periods = charts.periods_of(tables, manifest)
    figs: list[tuple[str, object]] = []
    for p in periods:
        figs.append((f"sankey-{p}", _sankey(plt, tables, p)))
        figs.append((f"map-{p}", _map(plt, tables, p)))
    for key, data, title, ylabel, stacked in (
            ("capacity", charts.capacity_data(tables, periods), "Unit capacity by period",
             "k units/yr", False),
            ("new_capacity", charts.new_capacity_data(tables, periods), "New capacity built",
             "k units/yr", True),
            ("product_mix", charts.product_mix_data(tables, periods), "Product mix",
             "k units/yr", True),
            ("emissions", charts.emissions_data(tables, periods), "Emissions by site",
             "k units/yr", True)):
        if not data.empty:
            figs.append((key, _bars(plt, data, title, ylabel, stacked)))
    b = charts.binding_data(tables)
    if len(b):
        fig, ax = plt.subplots(figsize=(10, max(3, 0.35 * len(b) + 1)))
        lab = [_txt(f"{c} {n} ({p})") for c, n, p in
               zip(b["constraint"], b["name"], b["period"], strict=False)]
        ax.barh(lab[::-1], b["value_usd_per_unit"].to_numpy()[::-1], color="#e6550d")
        ax.set_title("Top binding constraints (marginal value)")
        ax.set_xlabel("USD per unit (per yr for capacity)")
        fig.tight_layout()
        figs.append(("binding", fig))
    written = []
    for key, fig in figs:
        path = folder / f"report-{key}.{fmt}"
        fig.savefig(path, dpi=150 if fmt == "png" else None)
        plt.close(fig)
        written.append(path)
    return written


def write_compare_static(folder: str | Path, out: str | Path, fmt: str = "png") -> list[Path]:
    """Static charts of a comparison folder: incremental cash flows, the objective of every
    run and the largest changes (Δ) of each table, as in the HTML report."""
    plt = _plt()
    folder, out = Path(folder), Path(out)
    written = []

    def save(fig, key: str) -> None:
        path = out / f"report-{key}.{fmt}"
        fig.tight_layout()
        fig.savefig(path, dpi=150 if fmt == "png" else None)
        plt.close(fig)
        written.append(path)

    for p in sorted(folder.glob("*.csv")):
        df = pd.read_csv(p)
        if df.empty:
            continue
        keys, values, delta = charts.compare_columns(df)
        low = [str(c).lower() for c in df.columns]
        if ("cashflow" in p.stem or "cash_flow" in p.stem) and "year" in low:
            group = next((c for c in df.columns if str(c).lower() in ("scenario", "project")),
                         None)
            net = next((c for c in df.columns if ("net" in str(c).lower() or "cash" in
                                                   str(c).lower()) and "cum" not in
                        str(c).lower() and pd.api.types.is_numeric_dtype(df[c])), None)
            if net is None:
                continue
            year = df.columns[low.index("year")]
            fig, ax = plt.subplots(figsize=(10, 5))
            for g, d in (df.groupby(group, sort=False) if group else [("", df)]):
                ax.bar(d[year].astype(str), d[net], alpha=0.6, label=_txt(f"{g} {net}"))
                ax.plot(d[year].astype(str), d[net].cumsum(), marker="o",
                        label=_txt(f"{g} cumulative"))
            ax.axhline(0, color="#444", lw=0.8)
            ax.set_ylabel("MUSD")
            ax.set_title("Incremental cash flow by year and cumulative")
            ax.tick_params(axis="x", rotation=45)
            ax.legend(fontsize=8)
            save(fig, p.stem)
            continue
        if (p.stem in ("objective", "cashflow") or p.stem.startswith("kpi")) and values \
                and len(df) <= 40:
            fig, ax = plt.subplots(figsize=(10, 5))
            x = np.arange(len(df))
            width = 0.8 / len(values)
            for i, c in enumerate(values):
                ax.bar(x - 0.4 + width * (i + 0.5), df[c].to_numpy(dtype=float), width,
                       label=_txt(c))
            ax.set_xticks(x, [_txt(v) for v in charts.row_labels(df, keys)], rotation=45,
                          ha="right", fontsize=7)
            ax.set_title(_txt(p.stem.replace("_", " ")))
            ax.legend(fontsize=8)
            save(fig, p.stem)
        d = charts.top_deltas(df)
        if len(d) and p.stem != "project_cashflows":
            fig, ax = plt.subplots(figsize=(10, max(3, 0.3 * len(d) * len(delta) + 1)))
            y = np.arange(len(d))
            h = 0.8 / len(delta)
            lab = [_txt(v) for v in charts.row_labels(d, keys)]
            for i, c in enumerate(delta):
                ax.barh(y - 0.4 + h * (i + 0.5), d[c].to_numpy(dtype=float), h, label=_txt(c))
            ax.set_yticks(y, lab, fontsize=7)
            ax.invert_yaxis()
            ax.axvline(0, color="#444", lw=0.8)
            ax.set_title(_txt(f"{p.stem.replace('_', ' ')}: change against the base"))
            ax.legend(fontsize=8)
            save(fig, f"{p.stem}-delta")
    return written
