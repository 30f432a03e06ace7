"""Self-contained HTML reports of a results folder or a comparison folder.

One file, no network needed to open it: the styles and plotly.js are embedded
(plotly.js once per file), figures are plotly JSON drawn by ``Plotly.newPlot``.
Every name from the case is HTML-escaped before it reaches the page or a figure,
and figure JSON escapes ``<``, ``>`` and ``&`` (as ``\\u003c`` ...) so nothing in
the data can close the script tag.

No Pyomo, no api, no cli: only pandas, plotly and the files of a folder.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pandas as pd

from chainopt import __version__
from chainopt.atomic import KINDS, is_chainopt_folder, read_json, write_staged, write_text
from chainopt.case.digest import same_inputs
from chainopt.case.scenario import load_source, recorded_source
from chainopt.case.schema import Case
from chainopt.case.storage import text_storage
from chainopt.errors import InputError, Problem
from chainopt.report import charts, compare, deck, economics, numbers, onepager
from chainopt.report.charts import esc
from chainopt.report.compare import (
    NO_DELTA_CHART,
    RECOMPARE,
    TITLES,
    is_cost,
    objective_name,
    read_tables,
    shown,
)
from chainopt.report.folders import a_file, missing_run, not_a_run
from chainopt.report.static import write_compare_static, write_static
from chainopt.results import (
    MANIFEST,
    READ_FAULTS,
    RERUN,
    Results,
    recorded_storage,
    variant_of,
)
from chainopt.textfile import MAX_JSON_BYTES

REPORT_FILE = "report.html"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
 color:#222;background:#fafafa}
header{background:#253858;color:#fff;padding:16px 28px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{padding:10px 28px 40px;max-width:1400px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:18px 0;padding:12px 18px}
h2{font-size:17px;margin:6px 0 10px;color:#253858}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #eee;padding:3px 10px;text-align:right}
th{background:#f0f3f8} td:first-child,th:first-child{text-align:left}
td.txt{text-align:left}
.kpi-cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #dde3ee;border-radius:6px;padding:8px 14px;min-width:150px}
.card .v{font-size:20px;font-weight:600} .card .l{font-size:12px;color:#555}
.fig{width:100%} .note{font-size:12px;color:#555}
nav a{color:#fff;margin-right:14px;font-size:13px}
"""


# -- small builders -------------------------------------------------------------------------

def fmt_number(v: object) -> str:
    """A number as every output writes it (:func:`chainopt.report.numbers.number`:
    8.729, 26.2, 156,972.8; noise 0); text escaped; blank for NaN."""
    return esc(numbers.number(v))


def table_html(df: pd.DataFrame, cls: str = "", max_rows: int = 500,
               cell: Callable[[str, object], str] = numbers.cell) -> str:
    """An HTML table of ``df``; every header and cell is escaped. ``cell(column, value)``
    writes a value (default :func:`chainopt.report.numbers.cell`: years as years,
    numbers as the terminal writes them; a comparison's passes its rates as
    percentages)."""
    if df is None or df.empty:
        return '<p class="note">(nothing to show)</p>'
    d = df.head(max_rows)
    head = "".join(f"<th>{esc(c)}</th>" for c in d.columns)
    body = []
    for row in d.itertuples(index=False):
        cells = []
        for c, v in zip(d.columns, row, strict=True):
            num = isinstance(v, int | float) and not isinstance(v, bool)
            text = esc(cell(str(c), v))
            cells.append(f"<td>{text}</td>" if num else f'<td class="txt">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (f'<p class="note">{len(df) - max_rows} more rows in the CSV</p>'
            if len(df) > max_rows else "")
    c = f' class="{esc(cls)}"' if cls else ""
    return f"<table{c}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def script_json(obj_json: str) -> str:
    """JSON text made safe inside <script>: no '<', '>' or '&' can end or confuse the tag."""
    return (obj_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def figure_html(fig_id: str, fig, after: str = "") -> str:
    """A div plus the script that draws plotly figure ``fig`` into it; ``after`` is more
    script run once it is drawn (``gd`` is the figure's div)."""
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.io as pio

    payload = script_json(pio.to_json(fig, validate=False))
    config = json.dumps({"displaylogo": False, "responsive": True,
                         "toImageButtonOptions": {"filename": fig_id}})
    then = f".then(function(){{{after}}})" if after else ""
    return (f'<div id="fig-{esc(fig_id)}" class="fig"></div>\n<script>(function(){{'
            f'var f={payload};var gd=document.getElementById("fig-{esc(fig_id)}");'
            f'Plotly.newPlot(gd,f.data,f.layout,{config}){then};'
            f'}})();</script>')


#: the Sankey's two dropdowns (period, view) pick the one trace of that pair
SANKEY_JS = """var m=gd.layout.meta,st={period:0,view:0};
function show(){var vis=m.keys.map(function(k){return k[0]===st.period&&k[1]===st.view;});
var big=(m.large||[]).filter(function(k){return k[0]===st.period&&k[1]===st.view;})[0];
var p=m.periods[st.period],t='Value chain by segment, '+m.measure+', period '+p+': '
+m.views[st.view]+(big?' (too large to draw here)':vis.indexOf(true)<0?
' (nothing in this view)':'');
var n=document.getElementById('sankey-notes');if(n){n.textContent=m.notes[p]||'';}
Plotly.restyle(gd,{visible:vis});
Plotly.relayout(gd,{'title.text':t,'annotations[0].visible':vis.indexOf(true)<0,
'annotations[0].text':big?big[2]:m.empty});}
gd.on('plotly_buttonclicked',function(e){st[e.menu.name]=e.active;show();});
var h=(location.hash.match(/sankey=([a-z_]+)/)||[])[1];
if(h){var k=m.views.indexOf(h.replace(/_/g,' '));if(k>=0){st.view=k;
Plotly.relayout(gd,{'updatemenus[1].active':k});}}show();"""


def page(title: str, subtitle: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole document: (anchor, heading, body html) sections; plotly.js inline once."""
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    from plotly.offline import get_plotlyjs

    nav = "".join(f'<a href="#{esc(a)}">{esc(h)}</a>' for a, h, _ in sections)
    body = "\n".join(f'<section id="{esc(a)}"><h2>{esc(h)}</h2>\n{b}\n</section>'
                     for a, h, b in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{CSS}</style>\n"
        f"<script>{get_plotlyjs()}\ndocument.addEventListener('DOMContentLoaded',"
        f"function(){{{ONLY_JS}}});</script>\n</head><body>"
        f"<header><h1>{esc(title)}</h1><p>{subtitle}</p><nav>{nav}</nav></header>"
        f"<main>{body}</main></body></html>\n")


#: ``report.html#only=map`` shows one section (for a screenshot or a link to one chart)
ONLY_JS = ("var o=(location.hash.match(/only=([A-Za-z0-9_-]+)/)||[])[1];if(o){"
           "document.querySelectorAll('main>section').forEach(function(s){"
           "if(s.id!==o){s.style.display='none';}});}")


# -- run report -----------------------------------------------------------------------------

def _cards(items: list[tuple[str, str]]) -> str:
    return '<div class="kpi-cards">' + "".join(
        f'<div class="card"><div class="v">{v}</div><div class="l">{esc(lab)}</div></div>'
        for lab, v in items) + "</div>"


#: the KPI tables' id column as the report heads it (beside ``KPI``, its words)
ID_COLUMN = {"kpi": "id in kpis.csv"}


def run_report_html(tables: dict[str, pd.DataFrame], manifest: dict,
                    measure: str = "mass", views_of: charts.SankeyViews | None = None) -> str:
    """The report of one run as an HTML string (the Sankey in ``measure``: mass, energy
    or value; ``views_of``, its views, :class:`chainopt.report.charts.SankeyViews`)."""
    periods = charts.periods_of(tables, manifest)
    labels = charts.run_period_labels(manifest)  # 'p2026 (2026-28)': each with its years
    total, per_period = charts.kpi_summary(tables, periods)
    obj = manifest.get("objective")
    if obj is None and len(total) and (total["kpi"] == "objective").any():
        obj = float(total.loc[total["kpi"] == "objective", "value"].iloc[0])
    what = objective_name(manifest.get("objective_sense") == "cost")
    cards = [(f"{what}, MUSD", fmt_number(obj)), ("status", esc(manifest.get("status", "")))]
    if len(total):
        for r in total.itertuples():
            if r.kpi in ("npv_revenue", "shortfall_total"):
                cards.append((f"{r.KPI} ({r.unit})", fmt_number(r.value)))
    # lazy: explain's helpers (the family registry) only when a report is drawn
    from chainopt.report.explain import penalty_note

    note = penalty_note(tables)
    # what chainopt run warned of (manifest.json warnings: a mode that can never run, a
    # build used from inside a period while its yearly limits bind, ...), on the page a
    # consultant shares, not only on the terminal of whoever ran it
    warned = "".join(f'<p class="note"><b>warning:</b> {esc(w)}</p>'
                     for w in compare.run_warnings(manifest))
    kpi_body = (_cards(cards) + (f'<p class="note"><b>{esc(note)}</b></p>' if note else "")
                + warned
                + '<h3>Whole horizon</h3>'
                + table_html(total.rename(columns=ID_COLUMN), cls="kpi-table")
                + "<h3>By period</h3>" + table_html(per_period.rename(
                    columns={**labels, **ID_COLUMN})))
    figs = charts.plotly_figures(tables, periods, measure, labels, views_of)
    sections = [("kpis", "KPI summary", kpi_body),
                ("sankey", "Value chain", '<p class="note">Band widths in one measure: '
                 f"{esc(figs['sankey'].layout.meta['measure'])} (chainopt report --measure "
                 "mass|energy|value). The overview shows the flows between segments "
                 "(upstream, gas processing, refining, petrochemicals, logistics, markets; "
                 "what passes through a commodity at a site is passed on in proportion); "
                 "pick a segment in the second dropdown to drill down into its units, links, "
                 "supplies or markets, the other segments shown as single 'from'/'to' nodes, "
                 "so crude and gas do not swamp the petrochemicals. "
                 f"{esc(charts.MEASURE_NOTES.get(measure, ''))} "
                 '<span id="sankey-notes"></span></p>'
                 + figure_html("sankey", figs["sankey"], after=SANKEY_JS)),
                ("map", "Sites and routes", '<p class="note">Sites by longitude and latitude '
                 "over country outlines (Natural Earth 1:110m, public domain, bundled: no "
                 "map tiles, no network); a line per link, its width the flow by mass, its colour "
                 "the utilisation of its capacity (grey: no capacity limit, light grey: "
                 "unused), its dash the transport mode.</p>"
                 + figure_html("map", figs["map"]))]
    for key, head in (("capacity", "Capacity build-out"), ("new_capacity", "New capacity"),
                      ("product_mix", "Product mix"), ("emissions", "Emissions")):
        if key in figs:
            sections.append((key, head, figure_html(key, figs[key])))
    inv = tables.get("investments")
    if inv is not None and len(inv):  # a life extension is capex with no new capacity
        total = pd.to_numeric(inv.get("capex_npv_musd"), errors="coerce").sum()
        sections.append(("investments", "Investments", '<p class="note">Every build the plan '
                         "pays for (investments.csv): new capacity, projects and life "
                         "extensions (a life extension adds no capacity, so no bar above "
                         f"shows it); their capex NPV adds up to {fmt_number(total)} MUSD, "
                         "the npv_capex of the KPIs with its sign turned.</p>"
                         + table_html(inv)))
    bind = charts.binding_data(tables, periods=periods)
    from chainopt.report.explain import FIXED_VALUES_NOTE, values_of_fixed_lp  # lazy

    body = (f'<p class="note">{esc(FIXED_VALUES_NOTE)}</p>' if values_of_fixed_lp(manifest)
            else "")
    body += ('<p class="note">The constraints that bind with the largest marginal values, '
             "ranked as chainopt explain ranks them: one row per constraint with the "
             "periods it binds in and its largest and smallest value over them "
             "(constraints.csv has every period).</p>"
             + table_html(bind, cls="binding"))
    if "binding" in figs:
        body += figure_html("binding", figs["binding"])
    sp = charts.shadow_price_data(tables, periods)
    if len(sp):
        body += ("<h3>Commodity values at each site (USD per unit of the commodity)</h3>"
                 '<p class="note">What one more unit of the commodity, free, at the site is '
                 "worth to the plan (balances.csv), in USD per unit of the commodity's own "
                 "unit (the unit column), shown only where it is a price: the commodity "
                 "moves there in the period (bought, sold, delivered, made or used by a "
                 "unit, blended, disposed of or shipped in or out) and the value holds for "
                 "one unit more and one less (balances.csv value_holds_for). Elsewhere (a "
                 "blank cell; no row where it is a price in no period) the value is only a "
                 "bound, anywhere in an interval, not a price (see the README, Results, "
                 "marginal values).</p>"
                 + table_html(sp.reset_index().rename(columns={**labels,
                                                               "label": "commodity @ site"})))
    sections.append(("binding", "Binding constraints and shadow prices", body))
    info = {k: manifest.get(k) for k in ("case", "scenario", "input_hash", "status", "mip_gap",
                                         "num_vars", "num_rows", "created_utc")}
    info["versions"] = json.dumps(manifest.get("versions", {}), sort_keys=True)
    if "variant" in manifest:  # a sweep's --full variant: which, and its settings
        info["variant"] = variant_of(manifest, settings=True)
    sections.append(("run", "Run", table_html(pd.DataFrame(
        {"item": list(info), "value": ["" if v is None else str(v) for v in info.values()]}))))
    name = manifest.get("scenario") or manifest.get("case") or "run"
    name += f", {variant_of(manifest)}" if "variant" in manifest else ""
    sub = (f"case {esc(manifest.get('case', ''))} · status {esc(manifest.get('status', ''))} · "
           f"{esc(what)} {fmt_number(obj)} MUSD · chainopt {esc(__version__)} · report "
           f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC")
    return page(f"chainopt report: {name}", sub, sections)


# -- comparison report ----------------------------------------------------------------------

def _columns(df: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    return charts.compare_columns(df)


def _labels(df: pd.DataFrame, keys: list[str]) -> list[str]:
    return [esc(x) for x in charts.row_labels(df, keys)]


def _cashflow_figure(df: pd.DataFrame, runs: list[str] | None = None):
    """Bars of the yearly flow and a line of the table's cumulative flow, one pair per
    scenario and project (:func:`charts.cashflow_series`), in the colour of its run among
    the comparison's ``runs`` (:meth:`charts.CashflowSeries.styles`; a run's second
    project patterned and dashed)."""
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.graph_objects as go

    cs = charts.cashflow_series(df)
    if cs is None:
        return None
    fig = go.Figure()
    for (label, d), (col, k) in zip(cs.series, cs.styles(runs), strict=True):
        lab = esc(label)  # a series' bars and line in one colour, its run's
        mark = charts.series_mark(k)
        years = d[cs.year].astype(int).tolist()
        # year y spans [y, y + 1], its bar in the middle; the line is the path payback
        # counts (charts.cumulative_path): it crosses 0 at the payback time
        fig.add_trace(go.Bar(x=[y + 0.5 for y in years], y=d[cs.net].tolist(),
                             customdata=years, marker_color=col, opacity=0.6,
                             marker_pattern_shape=mark.pattern,
                             marker_pattern_size=PATTERN_PX,
                             name=f"{lab}: {esc(cs.net)}".removeprefix(": "),
                             hovertemplate="%{customdata}: %{y:,.1f} MUSD"))
        if cs.cumulative:
            px, py = charts.cumulative_path(d, cs.year, cs.cumulative)
            fig.add_trace(go.Scatter(x=px, y=py, mode="lines+markers" if mark.symbol
                                     else "lines", line_color=col, line_dash=mark.dash,
                                     marker={"symbol": mark.symbol or "circle", "size": 6,
                                             "maxdisplayed": charts.MARKS_SHOWN},
                                     name=f"{lab}: {esc(cs.cumulative)}".removeprefix(": "),
                                     hovertemplate="%{x:.2f}: %{y:,.1f} MUSD"))
    ticks = sorted(set(df[cs.year].astype(int)))
    # tall enough for its legend, one entry a row (with 8 projects its 18 entries
    # scrolled inside 420 px: a printout had no key for the last three, review out33 F4)
    fig.update_layout(title=esc(cs.title), barmode="group", yaxis_title="MUSD",
                      height=max(420, LEGEND_TOP_PX + LEGEND_ROW_PX * len(fig.data)),
                      legend={"itemwidth": LEGEND_SWATCH_PX},
                      xaxis={"tickvals": [y + 0.5 for y in ticks],
                             "ticktext": [str(y) for y in ticks]})
    return fig


#: the HTML cash-flow chart's bar patterns repeat every PATTERN_PX pixels (plotly's
#: default 8 put one line of '+', '|' or '-' on the edges of a legend's small swatch,
#: which then read as plain: review out33 F1); its legend's line swatch LEGEND_SWATCH_PX
#: wide (30, the least, showed a long dash as a short solid line); and its height room
#: for its legend: LEGEND_TOP_PX for the title and margins and LEGEND_ROW_PX a row
PATTERN_PX = 5
LEGEND_SWATCH_PX = 60
LEGEND_TOP_PX, LEGEND_ROW_PX = 200, 20




def _title_room(title: str) -> int:
    """The top margin (px) a chart title of that many ``<br>`` lines needs (17 px a line
    and the room plotly's title keeps above and below it)."""
    return 40 + 22 * (title.count("<br>") + 1)


#: the length of the empty bar that carries 'not compared' before the mark, as a share
#: of the value axis' span (:func:`_bars`): negative, so that plotly writes its outside
#: text before 0, and far below a pixel
EMPTY_BAR = 1e-9


def _bars(go, name: str, categories: list[str], values: list, blank: list[bool],
          colour: str, horizontal: bool, every: object):
    """One series' bars, a value not compared (a blank cell, which a bar chart draws as
    no bar, a change of 0 to the eye) drawn as an empty bar at 0 carrying an 'x' and
    the words :data:`charts.NOT_COMPARED`, in the series' own slot of its group. The
    words go on the side of 0 that :func:`charts.not_compared_before` picks from
    ``every`` value of the chart (the PNG's rule): after 0, ``× not compared`` on a bar
    of 0 (plotly writes outside text past a bar's end, right of or above 0), or, where
    0 is the value axis' end (every change negative: the words ran out of the plot
    under the legend, review out32 F1), ``not compared ×`` ending at 0, on a bar of
    -:data:`EMPTY_BAR` of the axis' span (outside text of a negative bar ends at its
    end). The hover says 'not compared' there, the value elsewhere."""
    before = charts.not_compared_before(every)
    low, high = charts.bar_axis(every)
    empty = -EMPTY_BAR * (high - low) if before else 0.0
    mark = f"{charts.NOT_COMPARED} ×" if before else f"× {charts.NOT_COMPARED}"
    text = [mark if b else "" for b in blank]
    shown = [empty if b else v for v, b in zip(values, blank, strict=True)]
    said = [charts.NOT_COMPARED if b else numbers.number(v)
            for v, b in zip(values, blank, strict=True)]
    bar = {"x": shown, "y": categories, "orientation": "h"} if horizontal else {
        "x": categories, "y": shown}
    return go.Bar(name=name, marker_color=colour, text=text, textposition="outside",
                  textfont={"size": 9, "color": "#444444"}, cliponaxis=False,
                  customdata=said,
                  hovertemplate=f"%{{{'y' if horizontal else 'x'}}}: %{{customdata}}",
                  **bar)


def _values_figure(df: pd.DataFrame, title: str,
                   years: charts.PeriodYears | None = None):
    """Grouped bars: one group per row, one bar per run, every run (at most 40 rows);
    periods named with the years of the legend's runs (:meth:`charts.PeriodYears.labels`),
    a value not compared marked in its series' slot (:func:`_bars`)."""
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.graph_objects as go

    keys, values, _ = _columns(df)
    if not values or df.empty or len(df) > 40:
        return None
    labels = years.labels(values) if years is not None else {}
    lab = [charts.wrapped(x, charts.TICK_WIDTH, "<br>")
           for x in _labels(charts.labelled(df, labels), keys)]  # 'p2026 (2026-28)' ...
    fig = go.Figure()
    colour = charts.series_colours(values, among=values)
    blank = charts.not_compared(df, values)
    for c in values:
        fig.add_trace(_bars(go, esc(c), lab, df[c].tolist(), blank[c].tolist(),
                            colour[str(c)], horizontal=False, every=df[values]))
    axis = charts.key_axis(df, keys, labels)
    head = charts.wrapped(esc(charts.with_blank_note(title, df, values)),
                          charts.TITLE_WIDTH, "<br>")
    fig.update_layout(title=head, barmode="group", height=460,
                      margin={"t": _title_room(head)},
                      xaxis={"title": esc(axis) if axis else None, "automargin": True})
    return fig


def _delta_figure(df: pd.DataFrame, title: str, top: int = 20,
                  years: charts.PeriodYears | None = None):
    """Horizontal bars of the Δ columns for the rows that changed most
    (:func:`charts.top_deltas`: a table by period's in time order), periods named with
    the years of the Δ series' runs and the base's where they differ
    (:meth:`charts.PeriodYears.labels`), a value not compared marked in its series'
    slot (:func:`_bars`)."""
    # lazy: plotly is slow to import; loaded only when a chart is drawn
    import plotly.graph_objects as go

    keys, values, delta = _columns(df)
    d = charts.top_deltas(df, top)
    if d.empty:
        return None
    labels = years.labels(delta) if years is not None else {}
    lab = [charts.wrapped(x, charts.TICK_WIDTH, "<br>")
           for x in _labels(charts.labelled(d, labels), keys)]  # 'p2026 (2026-28)' ...
    axis = charts.key_axis(d, keys, labels)
    fig = go.Figure()
    colour = charts.series_colours(delta, among=values)
    blank = charts.not_compared(d, delta)
    for c in delta:
        fig.add_trace(_bars(go, esc(c), lab[::-1], d[c].tolist()[::-1],
                            blank[c].tolist()[::-1], colour[str(c)], horizontal=True,
                            every=d[delta]))
    lines = max((x.count("<br>") + 1 for x in lab), default=1)
    head = charts.wrapped(esc(charts.with_blank_note(charts.delta_title(df, title, top), d,
                                                     delta)), charts.TITLE_WIDTH, "<br>")
    fig.update_layout(
        title=head, barmode="group",
        height=max(300, 14 * lines * len(d) + 26 * len(d) + 80 + _title_room(head)),
        yaxis={"title": charts.wrapped(esc(axis), 50, "<br>") if axis else None,
               "automargin": True},
        margin={"r": 20, "t": _title_room(head), "b": 40})
    return fig


def _titles() -> dict[str, str]:
    return dict(TITLES)


def compare_report_html(folder: Path) -> str:
    """The report of a ``chainopt compare`` folder: side-by-side KPIs, project economics
    (NPV, IRR, payback, cash flow) and deltas, from the CSV tables it holds."""
    tables = read_tables(folder)
    years = compare.period_years(folder)  # each period's years in each run
    runs = compare.compared_runs(tables)  # a run's colour: the same in every chart
    titles = _titles()
    # what the runs warned of first: the values below are read with it
    first = [*compare.WARNING_TABLES, "objective", "economics", "project_cashflows",
             "cashflow"]
    order = ([n for n in first if n in tables]
             + [n for n in titles if n in tables and n not in first]
             + sorted(n for n in tables if n not in titles and n not in first))
    sections = []
    for name in order:
        df = shown(name, tables[name])  # the objective's noise Δ as 0
        title = titles.get(name, name.replace("_", " ").capitalize())
        body = ""
        if name == "objective" or name.startswith("kpi"):
            body += _objective_cards(df, is_cost(tables))
        # a blank IRR or payback with its reason: 'n/a (no outflow)'; a shown IRR's note
        # (where the NPV is > 0, other rates giving NPV 0 too) beside it
        body += _economics_cards(economics.with_notes(df),
                                 compare.project_warnings(tables) if name == "economics"
                                 else {},
                                 compare.open_ranges(tables) if name == "economics"
                                 else {})
        # each period with its years, as the charts say them (the CSV keeps bare names)
        body += table_html(charts.with_years(economics.with_notes(df), years),
                           cell=partial(compare.cell, name))
        is_cash = "cashflow" in name or "cash_flow" in name
        fig = _cashflow_figure(df, runs) if is_cash and "year" in [
            str(c).lower() for c in df.columns] else None
        if fig is None and name not in ("economics", "chain_changes"):
            fig = _values_figure(df, title, years) if name in ("objective", "cashflow") or \
                name.startswith("kpi") else None
        if fig is not None:
            body += figure_html(f"{name}-chart", fig)
        dfig = _delta_figure(df, f"{title}: change against the base", years=years)
        if dfig is not None and name not in NO_DELTA_CHART:
            body += figure_html(f"{name}-delta", dfig)
        sections.append((name, title, body))
    # comparison.md only as chainopt compare wrote it (its SHA-256 as recorded): an
    # edited one beside the tables' numbers would read as chainopt's
    written = compare.markdown_as_written(folder)
    if written is not None:
        sections.append(("md-comparison", "comparison.md (as written by chainopt compare)",
                         "<pre>" + esc(written) + "</pre>"))
    elif (folder / "comparison.md").is_file():
        sections.append(("md-comparison", "comparison.md: not shown", "<p>" + esc(
            "comparison.md is not as chainopt compare wrote it (edited since, or written "
            "by a chainopt that recorded no hash of it): the tables and cards above are "
            "the comparison's; run chainopt compare again (--overwrite) for its "
            "summary") + "</p>"))
    pages = onepager.pages(tables, years)
    if pages:
        at = next((i + 1 for i, (a, _, _) in enumerate(sections) if a == "economics"), 0)
        sections.insert(at, ("projects", "Project one-pagers", "".join(
            _onepager_html(i, p) for i, p in enumerate(pages))))
    failed = compare.failed_lines(compare.compared_failures(folder))
    if failed:  # first: the comparison lacks them
        sections.insert(0, ("not-compared", "Not compared: runs that failed", "".join(
            f'<p class="note"><b>failed:</b> {esc(line)}</p>' for line in failed)))
    runs = compare.compared_runs(tables)
    sub = (f"comparison {esc(folder.name)}"
           + (f" · base {esc(runs[0])} · runs {esc(', '.join(runs[1:]))}" if runs else "")
           + f" · chainopt {esc(__version__)} · report "
           f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC")
    return page(f"chainopt comparison: {folder.name}", sub, sections)


def _onepager_html(i: int, p: onepager.Page) -> str:
    """One project's page: key figures, waterfall and cash flow, parties, constraints."""
    body = (f'<div class="onepager" id="onepager-{i}"><h3>{esc(p.title)}</h3>'
            + _cards([(k, esc(v)) for k, v in onepager.key_figures(p)])
            + "".join(f'<p class="note"><b>warning:</b> {esc(w)}</p>' for w in p.warnings)
            + figure_html(f"onepager-{i}", onepager.plotly_figure(p)))
    pr = onepager.party_rows(p)
    if len(pr):
        if "IRR" in pr.columns:
            pr = economics.with_notes(pr.assign(IRR=[numbers.percent(v) or "n/a"
                                                     for v in pr["IRR"]]))
        body += ("<h4>NPV and IRR per party (each IRR of the party's flows in its "
                 "currency)</h4>" + table_html(pr))
    body += ("<h4>What makes or breaks it</h4>" + table_html(p.constraints.drop(
        columns=["scenario", "effect"], errors="ignore")))
    return body + "</div>"


def _objective_cards(df: pd.DataFrame, cost: bool = False) -> str:
    """One card per run: its objective (``cost``: its total cost) and the change against
    the base."""
    keys, values, _ = _columns(df)
    if not keys or not values:
        return ""
    hit = df[df[keys[0]].astype(str) == "objective"]
    if hit.empty:
        return ""
    row = hit.iloc[0]
    base = values[0]
    items = []
    for c in values:
        v = row[c]
        d = row.get(f"Δ {c}")
        extra = "" if c == base or d is None else f" (Δ {fmt_number(d)})"
        items.append((f"{'total cost' if cost else 'objective'} of {c}, MUSD"
                      + (" (base)" if c == base else ""),
                      fmt_number(v) + extra))
    return _cards(items)


def _economics_cards(df: pd.DataFrame,
                     warned: dict[tuple[str, str], list[str]] | None = None,
                     ranges: dict[tuple[str, str], str] | None = None) -> str:
    """NPV / IRR / payback cards, one row of cards per table row, headed by what the row
    is (:func:`_card_heading`: party, project or effect, scenario); a row with a
    ``currency`` (a party's) labels its IRR 'IRR in RUB': that of its flows in it.
    ``warned``: (scenario, project) -> the warnings naming it
    (:func:`chainopt.report.compare.project_warnings`), marked on its cards; ``ranges``:
    (scenario, effect) -> the range the MIP gaps leave open
    (:func:`chainopt.report.compare.open_ranges`), beside its NPV."""
    cols = {k: next((c for c in df.columns if k in str(c).lower()), None)
            for k in ("npv", "irr", "payback")}
    if sum(c is not None for c in cols.values()) < 2:
        return ""
    if len(df) > CARD_ROWS:  # said, not dropped silently
        return (f'<p class="note">{len(df)} rows: more than the {CARD_ROWS} shown as cards; '
                "every one is in the table below.</p>")
    named = [c for c in CARD_NAMES if c in df.columns]
    label = None if named else next(
        (c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])), None)
    out = []
    for _, r in df.iterrows():
        items = []
        for k, c in cols.items():
            if c is None:
                continue
            v = r[c]
            shown_value = isinstance(v, int | float) and math.isfinite(v)
            # an IRR a fraction, however large: 6.0 is 600.0%
            text = (numbers.percent(v) if k == "irr" and shown_value
                    else fmt_number(v) or "n/a")
            if shown_value and c in economics.NOTES:
                # its note beside it (economics.with_notes keeps it next to a shown
                # value): an IRR's, where the NPV is > 0, other rates giving NPV 0 too; a
                # payback's, that the sale leaves the party out of pocket again
                note = r.get(economics.NOTES[c])
                text = economics.with_note(text, esc(note) if isinstance(note, str) else "")
            span = (ranges or {}).get((str(r.get("scenario")), str(r.get("effect"))))
            if k == "npv" and span:  # the value the gaps leave open, as the terminal says
                text += f" ({esc(span)})"
            # a party's IRR is of its flows in its own currency (party_economics)
            cur = r.get("currency")
            local = k == "irr" and isinstance(cur, str) and cur != ""
            items.append((f"{c} in {cur}" if local else str(c), text))
        said = (warned or {}).get((str(r.get("scenario")), str(r.get("effect"))))
        if said:
            items.append(("warning", esc(compare.warning_mark(said))))
        head = _card_heading(r, named) if named else (esc(r[label]) if label else "")
        out.append((f"<h3>{head}</h3>" if head else "") + _cards(items))
    return "".join(out)


#: the most rows of a table shown as cards (beyond, the table alone, and a note says so)
CARD_ROWS = 12

#: the columns that say what a row of cards is about: whose flows (party, its role), of
#: what (project or effect), in which scenario
CARD_NAMES = ("party", "role", "project", "effect", "scenario")


def _card_heading(r: pd.Series, named: list[str]) -> str:
    """'ru_sponsor (equity) · mp2 · proposal_x': the party and its role, the project or
    effect (and what its value includes: 'a (includes b) · l_ab'), the scenario (each
    escaped; the ones the table has)."""
    def text(c: str) -> str:
        v = r.get(c)
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

    who = text("party") + (f" ({text('role')})" if text("role") else "")
    # a project's value holds that of the projects built only with it (economics)
    effect = text("effect") + (f" (includes {text('includes')})" if text("includes") else "")
    parts = [who.strip(), text("project"), effect, text("scenario")]
    return " · ".join(esc(p) for p in parts if p)


# -- entry points ---------------------------------------------------------------------------

def is_results_folder(folder: Path) -> bool:
    """A folder written by ``chainopt run`` (not a comparison folder that has a manifest)."""
    mf, kp = folder / "manifest.json", folder / "kpis.csv"
    if not (mf.is_file() and kp.is_file()):
        return False
    try:
        manifest = read_json(mf, MAX_JSON_BYTES)
        with kp.open(encoding="utf-8") as fh:
            header = fh.readline(200).strip()  # (the header only, not the whole table)
    except (OSError, ValueError):
        return False
    return (isinstance(manifest, dict) and "num_vars" in manifest and "objective" in manifest
            and header.startswith("kpi,period,value"))


COMPARISON_MD = KINDS["comparison"][0]  # a comparison folder's marker: comparison.md


def _not_a_run(folder: Path) -> InputError:
    """A folder with a manifest.json that is not the run folder chainopt writes."""
    if not is_chainopt_folder(folder, "results"):
        return InputError([Problem(str(folder / MANIFEST), "not the manifest chainopt run "
                                   "writes (no case, input_hash or status)", RERUN)])
    return InputError([Problem(str(folder / "kpis.csv"), "damaged results table (not the "
                               "kpis table chainopt writes)", RERUN)])


def _neither(folder: Path) -> InputError:
    """Neither a run folder (its manifest.json) nor a comparison (its comparison.md)."""
    md = folder / COMPARISON_MD
    if md.exists() or md.is_symlink():
        return InputError([Problem(str(md), "damaged comparison (not the comparison.md "
                                   "chainopt compare writes)", "run the comparison again "
                                   "(chainopt compare ... --overwrite)")])
    # a sweep or sensitivity folder, the folder of the results folders: which to give
    return not_a_run(folder, "report", nor=f"a comparison folder (no {COMPARISON_MD})",
                     give="give a folder written by chainopt run or chainopt compare; if it "
                          "is one, that file is missing: run it again")


def run_case(manifest: dict) -> Case | None:
    """The case a run was made from, read again from its recorded source
    (:func:`chainopt.case.scenario.recorded_source`), for what its results folder lacks:
    the commodities (units, densities, energy contents) for the Sankey's measures, and
    the site coordinates of a folder written before the ``sites`` table. None unless
    the source reads as a case that hashes to the run's ``input_hash``: the folder may
    come from anyone, and the path its manifest names (``/etc``, ``../../x``, another
    case on this machine, an edited case) is no input of the run it reports, so nothing
    read there may show in the report. The hash check confines the report to the
    inputs of the run, which the sender had anyway."""
    src = recorded_source(manifest)
    if not src:
        return None
    try:
        case = load_source(src)
    except Exception:  # a moved, edited or unreadable case: the report does without it
        return None
    return case if same_inputs(case, manifest.get("input_hash")) else None


def _sites_of(case: Case | None) -> pd.DataFrame:
    """Site coordinates of ``case`` (empty without one)."""
    if case is None:
        return pd.DataFrame(columns=["site", "lat_deg", "lon_deg"])
    return case.tables["sites"][["site", "lat_deg", "lon_deg"]].dropna()


def write_report(folder: str | Path, out: str | Path | None = None,
                 static: tuple[str, ...] | list[str] = (), pptx: bool = False,
                 measure: str = "mass", warn: Callable[[str], object] | None = None,
                 overwrite: bool = False) -> list[Path]:
    """Write ``report.html`` (and static charts in the ``static`` formats, 'png'/'svg') for a
    results folder or a comparison folder; return the paths written, the HTML first.
    ``pptx`` also writes ``report.pptx`` (and, for a comparison, ``comparison.xlsx`` with
    the project table first; ``warn`` is told of each picture left out of a comparison's
    deck, :func:`chainopt.report.deck.compare_deck`). All or none
    (:func:`chainopt.atomic.write_staged`): a chart or deck that fails half-way leaves
    the report files already there as they were, never a new HTML beside an old deck.

    ``out`` must name an ``.html`` file: any other name is an InputError before anything
    is written, so ``--out FOLDER/manifest.json`` (or a case's ``units.csv``) is never
    replaced by the report. An ``out`` elsewhere than ``FOLDER/report.html`` names a file
    of the user's: its folder must exist (none is created), and a file there of the name
    of one the report writes (the HTML, a chart, the deck) is replaced only with
    ``overwrite``, as ``chainopt export`` does; the folder's own report files are
    chainopt's and always replaced."""
    folder = Path(folder)
    if out is not None and Path(out).suffix.lower() != ".html":
        raise InputError([Problem(f"--out {out}", "does not end in .html: the report (an "
                                  "HTML file) would replace the file of this name",
                                  f"give a file name ending in .html (default: "
                                  f"{Path(folder) / REPORT_FILE})")])
    if not folder.is_dir():
        raise a_file(folder, "report") or missing_run(folder) or InputError([Problem(
            str(folder), "no such folder", "give a results folder (chainopt run) or a "
            "comparison folder (chainopt compare)")])
    html_path = Path(out) if out else folder / REPORT_FILE
    own = html_path.parent.resolve() == folder.resolve()
    if not own and not html_path.parent.is_dir():
        raise InputError([Problem(f"--out {out}", f"no folder {html_path.parent}",
                                  "create it first, or give a file in a folder that exists")])

    def kept(made: list[Path]) -> list[Path]:
        """``made``, unless one of them would replace a file of the user's (above)."""
        there = [p.name for p in made if not own and not overwrite
                 and (html_path.parent / p.name).exists()]
        if there:
            raise InputError([Problem(f"--out {out}", f"would replace {', '.join(there)} in "
                                      f"{html_path.parent}", "give another name or folder, "
                                      "or --overwrite to replace them")])
        return made
    if (folder / MANIFEST).exists() or (folder / MANIFEST).is_symlink():  # a run's folder
        res = Results.load(folder, require=("kpis",))  # names a damaged manifest or table
        if not is_results_folder(folder):
            raise _not_a_run(folder)
        if measure not in charts.MEASURES:
            raise InputError([Problem(f"--measure {measure}", "unknown measure",
                                      "use mass, energy or value")])
        if not {"sites", "commodities"} <= res.tables.keys():
            # a folder written before these tables: read them from the run's case (its
            # validation and hash are half a second of a default-case report)
            case = run_case(res.manifest)
            if "sites" not in res.tables:
                res.tables["sites"] = _sites_of(case)
            if "commodities" not in res.tables:
                res.tables["commodities"] = (
                    case.tables["commodities"] if case is not None
                    else pd.DataFrame(columns=["commodity", "unit"]))
        if res.tables["commodities"].empty:
            measure = "value"  # no units or densities to convert with
        def run_files(stage: Path) -> list[Path]:
            views_of = charts.SankeyViews(res.tables, measure)  # each period's made once

            def page() -> Path:
                return write_text(stage / html_path.name, run_report_html(
                    res.tables, res.manifest, measure, views_of))

            # the page made beside the first format's pictures, in the same processes; the
            # Sankey views it shows (each period's, with their drill-downs) made before
            # they fork, once for the page and the pictures
            for p in charts.periods_of(res.tables, res.manifest) if static else []:
                views_of(p)
            made = [] if static else [page()]
            for k, fmt in enumerate(static):
                made += write_static(res.tables, res.manifest, stage, fmt, measure=measure,
                                     views_of=views_of, page=None if k else page)
            if pptx:
                made.append(deck.run_deck(res.tables, res.manifest, stage / deck.DECK_FILE,
                                          measure, drawn=[p for p in made
                                                          if p.suffix == ".png"],
                                          views_of=views_of))
                made.append(write_text(stage / deck.PREVIEW_FILE, deck.preview_html(made[-1])))
            return kept(made)

        # the report's own text as the run kept its (Arrow strings, where the run kept
        # Python's, were a third of a default-case report's pandas work)
        with text_storage(recorded_storage(res.manifest)):
            return write_staged(html_path.parent, run_files)
    marker = folder / COMPARISON_MD  # what chainopt compare writes first in it
    if not (marker.is_file() and KINDS["comparison"][1](marker)):
        raise _neither(folder)
    def compare_files(stage: Path) -> list[Path]:
        def page() -> Path:
            return write_text(stage / html_path.name, compare_report_html(folder))

        made = [] if static else [page()]
        for k, fmt in enumerate(static):
            made += write_compare_static(folder, stage, fmt, page=None if k else page)
        if pptx:
            made.append(deck.compare_deck(folder, stage / deck.DECK_FILE, warn,
                                          drawn=[p for p in made if p.suffix == ".png"]))
            made.append(write_text(stage / deck.PREVIEW_FILE, deck.preview_html(made[-1])))
            made.append(deck.workbook(folder, stage / deck.WORKBOOK_FILE))
        return kept(made)

    try:
        with text_storage(compare.comparison_storage(folder)):  # as a run's report, above
            written = write_staged(html_path.parent, compare_files)
    except READ_FAULTS as exc:
        # a comparison's tables not as chainopt compare now writes them: compare again
        # (not "run the case again", the advice for a results folder)
        raise InputError([Problem(str(folder), f"damaged comparison ({type(exc).__name__}: "
                                  f"{' '.join(str(exc).split())[:200]})", RECOMPARE)]
                         ) from None
    return written
