"""Static charts (PNG or SVG) of the report's figures, for slides; matplotlib, no browser.

The data of every chart comes from the same ``*_data`` functions as the HTML
report (:mod:`chainopt.report.charts`), so both show the same numbers. Names are
drawn as plain text (matplotlib's mathtext is switched off for them).

File names are built from data (periods, segments, scenario and project names of a
comparison folder someone sent), so :func:`file_key` keeps only ``[A-Za-z0-9_-]`` and
every chart is written by :func:`save_figure`: directly inside the output folder,
atomically, replacing (never writing through) a link in the way.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chainopt import forks
from chainopt.atomic import write_file
from chainopt.errors import InputError, Problem
from chainopt.names import file_key
from chainopt.report import charts, numbers, onepager
from chainopt.report.charts import mpl_text as _txt
from chainopt.report.compare import (
    NO_DELTA_CHART,
    TITLES,
    compared_runs,
    period_years,
    read_tables,
)

#: the tallest chart (inches, 10 wide): on a 16:9 slide it is still 6.4 in wide
MAX_HEIGHT_IN = 9.0

#: how every PNG chart is saved (``savefig(..., **PNG)``: here, the deck's one-pagers, a
#: sensitivity's tornado, a sweep's spread): zlib level 3, not Pillow's default 6, about
#: 40 % less time encoding (small_chain's Sankey of 2400 x 1350 px: 185 -> 115 ms; its 17
#: charts 2.3 -> 1.4 s) for files about a fifth larger (2.0 -> 2.3 MB): charts for slides
PNG: dict[str, Any] = {"pil_kwargs": {"compress_level": 3}}


def _plt():
    # lazy: matplotlib is slow to import; only static charts need it
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # lazy, after choosing the file-only backend

    plt.rcParams["text.usetex"] = False
    plt.rcParams["svg.hashsalt"] = "chainopt"  # the same SVG ids in every run
    return plt


def wrap_once(fig) -> None:
    """Each text of ``fig`` that wraps (``wrap=True``, left-aligned and level: the note
    under a Sankey) given its lines once, as matplotlib would break them at every draw
    (:func:`wrapped`), in the width from the text's start to the figure's right edge, at
    the figure's dpi (a picture's, drawn in pixels; an SVG, measured in points when
    saved, keeps matplotlib's own wrapping).
    matplotlib measures a line with 2 words, 3, ... until one no longer fits, the whole
    line each time, at each of a picture's three or four draws: a note of 277 characters
    took 2.3 ms a measurement, 0.62 s of the default case's ``report --png`` (6 s)."""
    from matplotlib.cbook import is_math_text  # lazy: as matplotlib itself

    renderer = fig.canvas.get_renderer()
    right = fig.get_window_extent(renderer).x1
    for t in fig.texts:
        if not t.get_wrap() or t.get_rotation() or t.get_horizontalalignment() != "left":
            continue
        room = right - t.get_transform().transform(t.get_position())[0]
        prop = t.get_fontproperties()

        def width(line: str, prop=prop) -> float:
            return renderer.get_text_width_height_descent(line, prop, is_math_text(line))[0]

        t.set_text(wrapped(t.get_text(), width, room))
        t.set_wrap(False)


def wrapped(text: str, width: Callable[[str], float], room: float) -> str:
    """``text`` broken into lines as matplotlib wraps it: each of its lines (at its line
    feeds) split at spaces, each line taking as many of the words left as fit in ``room``
    (``width`` of the words joined by a space, rounded up to a whole pixel), at least
    one. Widths grow with the words, so the words that fit are found by halving."""
    lines = []
    for whole in text.split("\n"):
        words = whole.split(" ")
        while words:
            lo, hi = 1, len(words)  # the first word alone always; at most all of them
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if math.ceil(width(" ".join(words[:mid]))) <= room:
                    lo = mid
                else:
                    hi = mid - 1
            lines.append(" ".join(words[:lo]))
            words = words[lo:]
    return "\n".join(lines)


class Pictures:
    """PNG pictures encoded on a second thread while the next is drawn: a picture's
    pixels are drawn here (matplotlib, which holds the interpreter lock), its PNG made
    from them on the thread (Pillow's zlib lets go of the lock: the default case's 20
    pictures spent 0.9 s of its ``report --png`` in it) and written here when the next
    picture is handed over or the block ends. One picture waits at a time (2400 x 1350
    px: 13 MB of pixels). The same bytes as ``savefig`` writes: the same pixels, given
    to the same ``matplotlib.image.imsave`` call. A block that raises leaves the
    picture still waiting unwritten (a report is written into a staging folder, kept
    only whole: :func:`chainopt.atomic.write_staged`)."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._waiting: tuple[Path, Future] | None = None

    def __enter__(self) -> Pictures:
        self._pool = ThreadPoolExecutor(max_workers=1)
        return self

    def __exit__(self, kind, *_rest) -> None:
        try:
            if kind is None:
                self.flush()
            elif self._waiting is not None:
                self._waiting[1].cancel()
        finally:
            self._waiting = None
            assert self._pool is not None
            self._pool.shutdown(wait=True)

    def put(self, path: Path, pixels: bytes, size: tuple[int, int], dpi: float) -> None:
        """Encode ``pixels`` (RGBA, ``size`` = (width, height)) as ``path``'s PNG."""
        self.flush()
        assert self._pool is not None
        self._waiting = (path, self._pool.submit(_png, pixels, size, dpi))

    def flush(self) -> None:
        """Write the picture waiting, if any (atomically: :func:`write_file`)."""
        if self._waiting is not None:
            path, job = self._waiting
            self._waiting = None
            data = job.result()
            write_file(path, lambda tmp: tmp.write_bytes(data))


def _png(pixels: bytes, size: tuple[int, int], dpi: float) -> bytes:
    """The PNG matplotlib's ``savefig`` writes of these pixels: its own ``imsave`` of the
    canvas's RGBA buffer (as ``FigureCanvasAgg.print_png`` calls it), with :data:`PNG`."""
    from matplotlib.image import imsave  # lazy: matplotlib is slow to import

    w, h = size
    out = io.BytesIO()
    imsave(out, memoryview(pixels).cast("B", (h, w, 4)), format="png", origin="upper",
           dpi=dpi, metadata=None, pil_kwargs=dict(PNG["pil_kwargs"]))
    return out.getvalue()


def _pixels(fig, dpi: int | None) -> tuple[bytes, tuple[int, int]] | None:
    """The RGBA pixels ``savefig`` draws of ``fig`` at ``dpi`` (the ones it encodes as a
    PNG) and their (width, height); None should they not fill the canvas's size."""
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=dpi)
    renderer = fig.canvas.get_renderer()
    size = (int(renderer.width), int(renderer.height))
    return (raw.getvalue(), size) if raw.tell() == 4 * size[0] * size[1] > 0 else None


def save_figure(plt, fig, folder: Path, key: str, fmt: str, dpi: int | None,
                pictures: Pictures | None = None) -> Path:
    """Write ``fig`` as ``folder/report-<file_key(key)>.<fmt>`` and close it, its numbers
    with thousands separators and laid out so that nothing is cut at its edge
    (:func:`chainopt.report.charts.fit`).

    Rendered into a temporary file in the same folder and renamed over the target
    (:func:`chainopt.atomic.write_file`), so a link planted as ``report-*.png`` is
    replaced by the chart instead of the chart overwriting what the link points to.
    ``pictures``: a PNG's pixels are drawn now and encoded there (:class:`Pictures`),
    the file written when the next picture is handed over or the block ends."""
    folder = Path(folder)
    path = folder / f"report-{file_key(key)}.{fmt}"
    try:
        if path.parent != folder:  # cannot happen after file_key; kept as a guard
            raise InputError([Problem(str(key), f"would leave the folder {folder}")])
        # no creation date in an SVG: the same chart is the same file (a diff in CI, git)
        meta = {"Date": None} if fmt == "svg" else None
        if dpi:  # laid out at the dpi it is drawn at: text is wider at 150 than at 100 dpi
            fig.set_dpi(dpi)  # (hinting: a 37-character label 1.54 in against 1.44 in)
            wrap_once(fig)  # (an SVG's text is measured in its own points when saved)
        charts.fit(charts.thousands(fig))
        drawn = _pixels(fig, dpi) if pictures is not None and fmt == "png" else None
        if pictures is not None and drawn is not None:
            pictures.put(path, *drawn, fig.dpi)
        else:
            write_file(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta,
                                                     **(PNG if fmt == "png" else {})))
    finally:
        plt.close(fig)
    return path


def _bars(plt, pivot: pd.DataFrame, title: str, ylabel: str, stacked: bool):
    fig, ax = plt.subplots(figsize=(10, 5.5))
    x = np.arange(len(pivot.columns))
    n = max(len(pivot), 1)
    bottom = np.zeros(len(pivot.columns))
    width = 0.8 if stacked else 0.8 / n
    colour = charts.series_colours(list(pivot.index))
    for i, (name, row) in enumerate(pivot.iterrows()):
        y = row.to_numpy(dtype=float)
        col = colour[str(name)]
        if stacked:
            ax.bar(x, y, width, bottom=bottom, label=_txt(name), color=col)
            bottom = bottom + y
        else:
            ax.bar(x - 0.4 + width * (i + 0.5), y, width, label=_txt(name), color=col)
    ticks = [_txt(c) for c in pivot.columns]
    # periods with their years ('p2031 (2031-35)') ran into each other from 6 periods on
    slant = len(ticks) * max((len(t) for t in ticks), default=0) > 70
    ax.set_xticks(x, ticks, rotation=30 if slant else 0, ha="right" if slant else "center")
    ax.set_title(textwrap.fill(title, 80))
    ax.set_ylabel(ylabel)
    ax.set_xlabel("period (years)")
    legend_outside(ax, fontsize=8)
    return charts.tight(fig)


def legend_outside(ax, **kw):
    """The legend of ``ax`` right of its axes box, never over the bars and lines (a
    comparison's cash-flow chart has two entries per project: 20 hid its construction
    years; a change chart's legend, placed by matplotlib's 'best' inside the axes,
    covered the ends of its bars); the tight layout (:func:`charts.tight`) then narrows the
    axes to make room for it. (The map's, whose colour bar is on its right, goes below it:
    :func:`_map`; the one-pager's under its cash-flow chart.)"""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)


SEGMENT_LAYER = {"upstream": 0, "gas processing": 1, "refining": 1, "petrochemicals": 2,
                 "logistics": 3, "markets": 4, charts.VALUE_ADDED: 0, charts.VALUE_LOST: 4}


def node_sizes(d: charts.SankeyData) -> np.ndarray:
    """Each node's flow in the Sankey's measure: the larger of what its bands bring in
    and take out (the node's height)."""
    q = d.links["quantity_k_per_yr"].to_numpy(dtype=float)
    size_in = np.bincount(d.links["target"].astype(int), weights=q, minlength=len(d.nodes))
    size_out = np.bincount(d.links["source"].astype(int), weights=q, minlength=len(d.nodes))
    return np.maximum(size_in, size_out)


def node_labels(d: charts.SankeyData, unit: str) -> list[str]:
    """Each node's label with its flow (:func:`node_sizes`) in ``unit``, the measure's
    (``kt/yr``, ``TJ/yr``, ``MUSD/yr``): 'upstream: 41,230 kt/yr', so that a reader of
    the picture, which has no hover, can read the quantities."""
    return [f"{label}: {numbers.no_minus_zero(_amount(v))}" + (f" {unit}" if unit else "")
            for label, v in zip(d.nodes["label"].astype(str), node_sizes(d), strict=True)]


def _amount(v: float) -> str:
    """12,345 / 123 / 12.3 / 1.23."""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


#: the most nodes a Sankey is drawn with as a picture: 16 x 9 inches hold a few hundred
#: legibly (the shipped cases' largest view has 121); the 300k-variable run's
#: petrochemicals view, 30,246 nodes and 59,451 bands, took 105 s to draw
MAX_STATIC_NODES = 500


def _too_many(d: charts.SankeyData) -> str:
    """What a picture of a Sankey of more than :data:`MAX_STATIC_NODES` nodes says."""
    page = ("report.html shows this view (zoom in), and the tables hold every flow."
            if len(d.nodes) <= charts.MAX_PAGE_NODES else
            "Too many for report.html's page too: the tables hold every flow.")
    return (f"{len(d.nodes):,} nodes and {len(d.links):,} bands: too many to draw legibly "
            f"in a picture (at most {MAX_STATIC_NODES:,} nodes). {page}")


def _sankey(plt, d: charts.SankeyData, title: str, note: str = "", unit: str = ""):
    """A layered Sankey drawn with patches: nodes in columns, bands as smooth ribbons,
    each node labelled with its flow in ``unit`` (:func:`node_labels`); ``note`` (what
    the measure leaves out) wrapped below it. A view of nothing, or of more than
    :data:`MAX_STATIC_NODES` nodes, is a picture that says so."""
    # lazy: matplotlib is slow to import; only static charts need it
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MPath

    fig, ax = plt.subplots(figsize=(16, 9))
    ax.set_title(_txt(title))
    ax.axis("off")
    said = (charts.EMPTY_SANKEY + (f": {note}" if note else "") if d.nodes.empty else
            _too_many(d) if len(d.nodes) > MAX_STATIC_NODES else None)
    if said is not None:  # said in the middle, not a blank picture (a deck's slide)
        ax.text(0.5, 0.5, _txt(textwrap.fill(said, 80)), transform=ax.transAxes,
                ha="center", va="center", fontsize=14)
        return fig
    if note:
        fig.text(0.01, 0.01, _txt(note), fontsize=8, va="bottom", wrap=True)
    if d.nodes["kind"].isin(["segment", "added"]).all() and d.nodes["label"].isin(
            SEGMENT_LAYER).all():
        layer = d.nodes["label"].map(SEGMENT_LAYER).to_numpy()
    else:
        layer = np.array(charts.sankey_layers(d))
    lk = d.links
    size = node_sizes(d)
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
    for k, r in enumerate(d.nodes.itertuples()):
        ax.add_patch(Rectangle((xs[k], y0[k]), w, max(size[k] * scale, 0.002),
                               color=charts.KIND_COLOURS[r.kind]))
    small = 6 if len(d.nodes) > 15 else 8  # a drill-down has dozens of nodes
    for k, text in enumerate(node_labels(d, unit)):
        ax.text(xs[k] + w * 1.5, y0[k] + size[k] * scale / 2, _txt(text), fontsize=small,
                va="center")
    ax.set_xlim(-0.01, 1.08)
    ax.set_ylim(max(y0 + size * scale) + 0.02, -0.02)
    return fig


def _map(plt, tables: dict[str, pd.DataFrame], period: str, label: str | None = None):
    """Country outlines, routes (dash = mode, colour = utilisation, width = flow by
    mass) and sites with labels kept apart, as in the HTML report (the busiest
    :data:`~chainopt.report.charts.MAX_MAP_LABELS` of a run of more sites, the title says
    so: :func:`~chainopt.report.charts.map_labelled`); ``label``: the period's name with
    its years (:func:`charts.run_period_labels`)."""
    sites, routes = charts.map_data(tables, period)
    view = charts.map_view(sites)
    ratio = charts.lat_ratio(view)
    w_in = 11.0
    h_in = min(9.0, max(4.0, w_in * (view[3] - view[2]) * ratio / (view[1] - view[0])))
    fig, ax = plt.subplots(figsize=(w_in + 1.8, h_in + 1.0))
    ax.set_facecolor("#dfe9f3")
    # lazy: matplotlib is slow to import; only static charts need it
    from matplotlib.collections import PolyCollection

    # the outlines whose box meets the view, as one collection: 1,148 patches, one
    # ax.fill each, were most of a report's drawing time, most of them off the map
    ax.add_collection(PolyCollection(charts.rings_in_view(view), facecolors="#eef1e6",
                                     edgecolors="#9aa5b1", linewidths=0.5, zorder=0),
                      autolim=False)
    util = charts.link_utilisation(tables, period)
    mx = float(routes["width_kt_per_yr"].max()) if len(routes) else 0.0
    for r in routes.itertuples():
        used = r.commodities != "idle"
        u = util.get(str(r.link), np.nan)
        ax.plot([r.lon0, r.lon1], [r.lat0, r.lat1],
                color=charts.utilisation_colour(u) if used else "#c8c8c8",
                ls=charts.MODE_MPL[charts.MODE_DASH.get(str(r.transport_mode), "solid")],
                lw=charts.line_width(r.width_kt_per_yr, mx) * 0.6, solid_capstyle="round",
                zorder=2)
    ax.scatter(sites["lon_deg"], sites["lat_deg"], color="#253858", s=14, zorder=3)
    labelled, said = charts.map_labelled(sites, routes, charts.MAX_MAP_LABELS)
    named = sites[labelled]
    offsets = charts.place_labels(named, view, w_in * 72 * 0.85, char_w=4.6, line_h=10.0,
                                  markers=sites[~labelled])
    for r, (dx, dy) in zip(named.itertuples(), offsets, strict=True):
        far = abs(dx) + abs(dy) > 14
        ax.annotate(_txt(r.site), (r.lon_deg, r.lat_deg), textcoords="offset points",
                    xytext=(dx, dy), fontsize=7, ha="center", va="center", zorder=4,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.6},
                    arrowprops={"arrowstyle": "-", "color": "#888", "lw": 0.6}
                    if far else None)
    for m in sorted({str(x) for x in routes.get("transport_mode", [])}):
        ax.plot([], [], color="#444", ls=charts.MODE_MPL[charts.MODE_DASH.get(m, "solid")],
                label=_txt(m))
    # lazy: matplotlib is slow to import; only static charts need it
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    cmap = LinearSegmentedColormap.from_list("util", [
        (a, tuple(x / 255 for x in c)) for a, c in charts.UTIL_COLOURS])
    fig.colorbar(ScalarMappable(Normalize(0, 1), cmap), ax=ax, shrink=0.6,
                 label="utilisation", format=lambda x, _: f"{x:.0%}")
    if len(routes):  # below the map, in one row: its colour bar is on its right
        handles, names = ax.get_legend_handles_labels()
        fig.legend(handles, names, title="mode", fontsize=7, loc="lower center",
                   bbox_to_anchor=(0.5, 0.01), ncol=max(len(names), 1))
    ax.set_xlim(view[0], view[1])
    ax.set_ylim(view[2], view[3])
    ax.set_aspect(ratio)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    if charts.none_placed(tables, sites):
        ax.text(0.5, 0.5, charts.NO_PLACE, transform=ax.transAxes, ha="center",
                va="center", fontsize=14, bbox={"fc": "white", "ec": "#888"})
    ax.set_title(_txt(textwrap.fill(
        f"Sites and routes, period {label or period}: width = flow by mass, colour = "
        f"utilisation, dash = mode (outlines: Natural Earth){charts.unplaced(tables, sites)}"
        f"{said}", 120)))
    # the bottom 0.6 in kept for the legend (inside the axes it lay over the routes)
    return charts.tight(fig, rect=(0.0, 0.6 / fig.get_size_inches()[1], 1.0, 1.0))


def _share_chart(shares: forks.Shares, pictures: Pictures, plt, folder: Path, fmt: str,
                 key: str, make: Callable[[], Any], dpi: int = 150, tight: bool = False
                 ) -> None:
    """Make the chart ``key`` if it is this process's to draw (:class:`chainopt.forks.
    Shares`; ``make`` may give None: no chart), lay it out (``tight``) and save and close
    it at once (:func:`save_figure`, a PNG at ``dpi``): 20 figures of up to 16 x 9 in
    held to the end made a default-case --png peak at 427 MiB, 192 without."""
    i = shares.take()
    fig = None if i is None else make()
    if i is None or fig is None:
        return
    if tight:
        charts.tight(fig)
    shares.done(i, save_figure(plt, fig, folder, key, fmt, dpi if fmt == "png" else None,
                               pictures))


def _share_page(shares: forks.Shares, page: Callable[[], Path] | None) -> None:
    """The report's page (``page`` writes it and gives its path), made by the first
    process to reach it, before any chart: the largest item first, beside the pictures
    rather than before them (the default case's page takes 0.7 s, its 20 pictures 4.8 s
    in one process)."""
    if page is None:
        return
    i = shares.take()
    if i is not None:
        shares.done(i, page())


def write_static(tables: dict[str, pd.DataFrame], manifest: dict, folder: str | Path,
                 fmt: str = "png", measure: str = "mass",
                 only: set[str] | None = None,
                 views_of: charts.SankeyViews | None = None,
                 processes: int | None = None,
                 page: Callable[[], Path] | None = None) -> list[Path]:
    """Write every chart as ``report-<chart>[-<period>].<fmt>`` into ``folder``: the
    Sankey overview of each period (``report-sankey-<period>``) and, for the first
    period, each segment's drill-down (``report-sankey-<period>-<segment>``). ``only``:
    the chart keys to draw (``sankey-p2026``, ``map-p2046``, ``capacity``, ...);
    ``views_of``: the Sankey views, where the report's page made them already
    (:class:`chainopt.report.charts.SankeyViews`). The charts are drawn in
    ``processes`` processes (:class:`chainopt.forks.Shares`; None:
    :func:`chainopt.forks.processes`), the same files in any number; the paths are
    returned in the order of the charts, after that of ``page``'s file, the report's
    HTML: written in the same processes, before the charts (:func:`_share_page`)."""
    plt = _plt()
    views_of = views_of or charts.SankeyViews(tables, measure)
    folder = Path(folder)
    periods = charts.periods_of(tables, manifest)
    labels = charts.run_period_labels(manifest)
    label, unit = charts.MEASURES[measure]

    def want(key: str) -> bool:
        return only is None or key in only

    def binding() -> Any:
        """The binding constraints' chart, None when none binds (worked out by the process
        that draws it alone)."""
        b = charts.binding_data(tables, periods=periods)
        if not len(b):
            return None
        fig, ax = plt.subplots(figsize=(10, max(3, 0.35 * len(b) + 1)))
        lab = [_txt(f"{c} ({p})") for c, p in zip(b["constraint"], b["periods"], strict=False)]
        ax.barh(lab[::-1], b["largest value"].to_numpy()[::-1], color="#e6550d")
        ax.set_title(_txt(charts.BINDING_TITLE))
        ax.set_xlabel("USD per unit of room a year (see the table for each unit)")
        charts.tight(fig)
        return fig

    # the Sankey views made before the forks (once: the page's, where it made them);
    # every process runs the whole loop (the same charts in the same order, cheap) and
    # makes the charts that are its own
    sankeys = {p: views_of(p, drill_downs=i == 0 and only is None)
               for i, p in enumerate(periods) if want(f"sankey-{p}") or (i == 0 and only is None)}
    with forks.Shares(forks.processes() if processes is None else processes) as shares, \
            Pictures() as pictures:  # each PNG encoded while the next is drawn
        _share_page(shares, page)
        add = partial(_share_chart, shares, pictures, plt, folder, fmt)
        for i, p in enumerate(periods):
            if p in sankeys:
                views, assumed, gone, share = sankeys[p]
                note = " ".join(t for t in (
                    charts.MEASURE_NOTES.get(measure, ""),
                    charts.sankey_note(measure, assumed, gone, share)) if t)
                if want(f"sankey-{p}"):
                    add(f"sankey-{p}", partial(
                        _sankey, plt, views.get("overview", charts.SankeyData()),
                        f"Value chain by segment, period {labels.get(p, p)} ({label}, {unit})",
                        note, unit))
                if i == 0 and only is None:
                    for seg, d in views.items():
                        if seg != "overview":
                            add(f"sankey-{p}-{seg.replace(' ', '_')}", partial(
                                _sankey, plt, d,
                                f"{seg}, period {labels.get(p, p)} ({label}, {unit})", note,
                                unit))
            if want(f"map-{p}"):
                add(f"map-{p}", partial(_map, plt, tables, p, labels.get(p)))
        for key, frame, title, ylabel, stacked in charts.bar_charts(tables, periods, labels):
            if want(key):
                add(key, partial(_bars, plt, frame, _txt(title), _txt(ylabel), stacked))
        if want("binding"):
            add("binding", binding)
    return shares.results()


def _grouped_bars(ax, frame: pd.DataFrame, columns: list, colour: dict,
                  horizontal: bool) -> None:
    """A group of bars per row of ``frame`` (rows at 0, 1, ...), one bar per column of
    ``columns`` in its ``colour``, the group 0.8 wide; a cell not compared (blank) marked
    in its bar's place (:func:`mark_not_compared`). ``horizontal``: bars along x."""
    base = np.arange(len(frame))
    size = 0.8 / len(columns)
    blank = charts.not_compared(frame, columns)
    draw = ax.barh if horizontal else ax.bar  # (the third argument: the bar's thickness)
    at: list[float] = []
    for i, c in enumerate(columns):
        pos = base - 0.4 + size * (i + 0.5)
        draw(pos, frame[c].to_numpy(dtype=float), size, label=_txt(c), color=colour[str(c)])
        at += [float(q) for q in pos[blank[c].to_numpy()]]
    mark_not_compared(ax, at, horizontal=horizontal, values=frame[columns])


def _legend(text: str) -> str:
    """A legend entry: wrapped at 60 characters (a scenario and project name can be
    long; a legend wider than its figure pushes the chart out of it), ``$`` escaped."""
    return _txt(textwrap.fill(text, 60, break_on_hyphens=False))


def _cashflow_chart(plt, df: pd.DataFrame, runs: list[str] | None = None):
    """Bars of the yearly flow and a line of the table's cumulative flow, one pair per
    scenario and project (:func:`charts.cashflow_series`), in the colour of its run among
    the comparison's ``runs`` (:meth:`charts.CashflowSeries.styles`; a run's second
    project hatched and dashed); None without a year."""
    cs = charts.cashflow_series(df)
    if cs is None:
        return None
    # wider with the legend beside the plot: its entries are up to 60 characters wide
    fig, ax = plt.subplots(figsize=(14, 5.5))
    n = len(cs.series)
    width = 0.8 / n
    years = sorted(set(df[cs.year].astype(int)))
    # year y spans [y, y + 1], its bars in the middle; the cumulative line is the path
    # payback counts (charts.cumulative_path): it crosses 0 at the payback time
    for i, ((label, d), (col, k)) in enumerate(zip(cs.series, cs.styles(runs),
                                                   strict=True)):
        mark = charts.series_mark(k)
        x = d[cs.year].astype(int).to_numpy(dtype=float) + 0.5
        ax.bar(x - 0.4 + width * (i + 0.5), d[cs.net].to_numpy(dtype=float), width,
               alpha=0.6, color=col, hatch=mark.hatch or None,
               edgecolor="white" if mark.hatch else None,
               label=_legend(f"{label}: {cs.net}".removeprefix(": ")))
        if cs.cumulative:
            ax.plot(*charts.cumulative_path(d, cs.year, cs.cumulative), color=col,
                    ls=mark.line, marker=mark.marker or None, markersize=4,
                    markevery=charts.MARK_EVERY,
                    label=_legend(f"{label}: {cs.cumulative}".removeprefix(": ")))
    ax.set_xticks([y + 0.5 for y in years], [str(y) for y in years])
    ax.axhline(0, color="#444", lw=0.8)
    ax.set_ylabel("MUSD")
    ax.set_title(_txt(textwrap.fill(cs.title, 100)), fontsize=10)
    ax.tick_params(axis="x", rotation=45)
    legend_outside(ax, fontsize=7, handlelength=charts.SWATCH_LENGTH)
    return fig


def mark_not_compared(ax, at: list[float], horizontal: bool, values: object) -> None:
    """An 'x' and the words :data:`charts.NOT_COMPARED` at 0 at each bar position of
    ``at``, where a bar would stand for a value not compared (a blank cell: no bar read
    as a change of 0), with one legend entry. The words go on the side of 0 with more
    room inside the axes, as :func:`charts.not_compared_before` decides from the chart's
    ``values`` (all its bars'; the HTML's rule too): after the mark (right of it, or
    above) unless 0 lies in the last quarter of the value axis, then before it (where
    every bar is negative, 0 is the axis' end and the words ran across the spine into
    the legend: review out31 F3)."""
    if not at:
        return
    before = charts.not_compared_before(values)
    step = -5 if before else 5
    for i, pos in enumerate(at):
        xy = (0.0, pos) if horizontal else (pos, 0.0)
        ax.scatter(*xy, marker="x", color="#444444", s=28, zorder=4,
                   label=charts.NOT_COMPARED_LEGEND if i == 0 else None)
        ax.annotate(charts.NOT_COMPARED, xy, textcoords="offset points",
                    xytext=(step, 0) if horizontal else (0, step), fontsize=6,
                    color="#444444",
                    va="center" if horizontal else ("top" if before else "bottom"),
                    ha=("right" if before else "left") if horizontal else "center",
                    rotation=0 if horizontal else 90)


def write_compare_static(folder: str | Path, out: str | Path, fmt: str = "png",
                         only: set[str] | None = None,
                         processes: int | None = None,
                         page: Callable[[], Path] | None = None) -> list[Path]:
    """Static charts of a comparison folder: incremental cash flows, the objective of every
    run and the largest changes (Δ) of each table, as in the HTML report; each period
    named with the years of the series the chart's legend shows
    (:meth:`charts.PeriodYears.labels`: ``p2026 (2026-30; proposal_nakhodka_methanol_urea:
    2026-28)``), a table by period's changes in time order (:func:`charts.top_deltas`), a
    value not compared (blank) marked (:func:`mark_not_compared`), a run in one colour in
    every chart (:func:`charts.series_colours` among the runs). ``only``: the charts to
    draw, by file name without ``report-`` and the suffix (``objective-delta``; the
    one-pagers none of them): a deck's three were drawn with every other chart, which it
    threw away. The charts are drawn in ``processes`` processes
    (:class:`chainopt.forks.Shares`; None: :func:`chainopt.forks.processes`), the same
    files in any number; ``page`` writes the report's HTML in the same processes, before
    the charts, its path first (:func:`_share_page`)."""
    plt = _plt()
    folder, out = Path(folder), Path(out)

    def wanted(key: str) -> bool:
        return only is None or key in only

    def values_chart(df: pd.DataFrame, keys: list, values: list, title: str) -> Any:
        fig, ax = plt.subplots(figsize=(10, 5))
        x = np.arange(len(df))
        _grouped_bars(ax, df, values, charts.series_colours(values, among=values),
                      horizontal=False)
        # each period with the years of the legend's runs: 'p2026 (2026-28)'
        labels = years.labels(values)
        rows = charts.row_labels(charts.labelled(df, labels), keys)
        ax.set_xticks(x, [_txt(charts.wrapped(v, charts.TICK_WIDTH)) for v in rows],
                      rotation=45, ha="right", fontsize=7)
        axis = charts.key_axis(df, keys, labels)
        fig.suptitle(_txt(charts.wrapped(charts.with_blank_note(title, df, values),
                                         charts.TITLE_WIDTH)), fontsize=10)
        if axis:
            ax.set_xlabel(_txt(charts.wrapped(axis, 80)), fontsize=8)
        legend_outside(ax, fontsize=8)
        return fig

    def delta_chart(df: pd.DataFrame, d: pd.DataFrame, keys: list, values: list,
                    delta: list, title: str) -> Any:
        # at most 9 in tall: 7 rows x 11 scenarios made it 24 in, 2.4 in wide on a slide
        fig, ax = plt.subplots(figsize=(10, min(MAX_HEIGHT_IN, max(
            3, 0.3 * len(d) * len(delta) + 1.5))))
        y = np.arange(len(d))
        labels = years.labels(delta)  # the years of the Δ series' runs (and the base's)
        lab = [_txt(charts.wrapped(v, charts.TICK_WIDTH))
               for v in charts.row_labels(charts.labelled(d, labels), keys)]
        axis = charts.key_axis(d, keys, labels)
        _grouped_bars(ax, d, delta, charts.series_colours(delta, among=values),
                      horizontal=True)
        ax.set_yticks(y, lab, fontsize=7)
        if axis:  # beside a chart 3 in tall: wrapped
            ax.set_ylabel(_txt(charts.wrapped(axis, 45)), fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="#444", lw=0.8)
        fig.suptitle(_txt(charts.wrapped(charts.with_blank_note(charts.delta_title(
            df, f"{title}: change against the base"), d, delta), charts.TITLE_WIDTH)),
            fontsize=10)
        legend_outside(ax, fontsize=8)
        return fig

    tables = read_tables(folder)
    years = period_years(folder)
    runs = compared_runs(tables)  # a run's colour: the same in every chart
    # every process runs the whole loop (the same charts in the same order, cheap) and
    # makes the charts that are its own
    with forks.Shares(forks.processes() if processes is None else processes) as shares, \
            Pictures() as pictures:  # each PNG encoded while the next is drawn
        _share_page(shares, page)
        save = partial(_share_chart, shares, pictures, plt, out, fmt, tight=True)
        for i, one in enumerate(onepager.pages(tables, years) if only is None else []):
            save(f"onepager-{i}-{one.scenario}-{one.project}",
                 partial(onepager.static_figure, one, plt), dpi=110, tight=False)
        for stem, df in tables.items():
            if df.empty:
                continue
            keys, values, delta = charts.compare_columns(df)
            low = [str(c).lower() for c in df.columns]
            if ("cashflow" in stem or "cash_flow" in stem) and "year" in low:
                if wanted(stem):
                    save(stem, partial(_cashflow_chart, plt, df, runs))
                continue
            title = TITLES.get(stem, stem.replace("_", " "))
            if (stem in ("objective", "cashflow") or stem.startswith("kpi")) and values \
                    and len(df) <= 40 and wanted(stem):
                save(stem, partial(values_chart, df, keys, values, title))
            d = charts.top_deltas(df) if wanted(f"{stem}-delta") else df.iloc[:0]
            if len(d) and stem not in NO_DELTA_CHART:
                save(f"{stem}-delta", partial(delta_chart, df, d, keys, values, delta, title))
    return shares.results()
