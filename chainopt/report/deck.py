"""A PowerPoint deck (python-pptx) of a comparison or run folder, readable without edits.

Comparison folder: a title slide, the key figures (one line per scenario: objective,
Δ, projects built, incremental NPV), the project table (every project a scenario
builds, valued against its own counterfactual: NPV, IRR, payback, capex), the policy
and market levers some run has (NPV of each at each plan), one slide
per project one-pager (:mod:`chainopt.report.onepager`), the tornado and Monte Carlo
charts of ``sensitivity-*`` folders next to it, and the comparison charts. Run folder:
title, key figures, the Sankey and map of the first and last period, capacity and
product mix. Slides are 16:9; tables are split so that no slide holds more than
:data:`ROWS` rows. :func:`workbook` writes the same project table as the first sheet
of ``comparison.xlsx``.
"""

from __future__ import annotations

import base64
import html
import io
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from chainopt.atomic import write_file
from chainopt.controls import plain
from chainopt.errors import InputError
from chainopt.ooxml import saved
from chainopt.report import charts, economics, numbers, onepager
from chainopt.report import compare as cmp
from chainopt.report.excel import write_tables
from chainopt.report.static import PNG, file_key, write_compare_static, write_static
from chainopt.results import variant_of
from chainopt.textfile import parse_json, read_text

DECK_FILE = "report.pptx"
WORKBOOK_FILE = "comparison.xlsx"
PREVIEW_FILE = "report-deck.html"
ROWS = 12
#: A picture file larger than this is no chart of chainopt's (those are a few hundred KB)
MAX_PICTURE_BYTES = 20 << 20
PROJECT_COLUMNS = ["scenario", "project", "includes", "built", "first use", "NPV (MUSD)", "IRR",
                   "payback (yr)", "overnight capex (MUSD)", "Δ capex (MUSD)", "IRR note",
                   "payback note"]


def _same_inputs(record: Path, run: str, inputs: dict[str, str],
                 warn: Callable[[str], object] | None) -> bool:
    """Whether the chart of the folder holding ``record`` (``sensitivity.json``,
    ``sweep.json``) was made from the inputs of the compared ``run`` (its input hash as
    the comparison records it, :func:`chainopt.report.compare.compared_inputs`); else
    ``warn`` is told why it is left out: a tornado of the case before an edit, or a sweep
    of another case under the run's name, beside the comparison's own numbers."""
    made = None
    if record.is_file() and not record.is_symlink():
        try:
            text = read_text(record, str(record), max_bytes=1 << 20)
            data = parse_json(text)
            made = data.get("input_hash") if isinstance(data, dict) else None
        except (ValueError, InputError):
            made = None
    if isinstance(made, str) and made and made == inputs.get(run):
        return True
    if warn is not None:
        why = (f"the comparison records no input hash of run {run} (written before chainopt "
               "recorded them: run chainopt compare again)" if not inputs.get(run) else
               f"{record.name} records no input hash (made before chainopt recorded it)"
               if not isinstance(made, str) or not made else
               f"made from other inputs than run {run} of the comparison (input hash "
               f"{made[:12]}..., the run's {inputs[run][:12]}...)")
        warn(f"left out the chart of {record.parent}: {why}; if the case or scenario was "
             "edited since the comparison, run chainopt compare again (--overwrite), else "
             "make the chart again (chainopt sensitivity, or sensitivity --sweep of a new "
             "sweep)")
    return False


def project_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every project a scenario builds, against its own counterfactual (numbers)."""
    eco = tables.get("economics")
    if eco is None or eco.empty or "effect" not in eco.columns:
        return pd.DataFrame(columns=PROJECT_COLUMNS)
    e = eco[~eco["effect"].isin(cmp.NOT_PROJECTS) & (eco["built"] != "not built")]
    # the projects built only with it (one requiring it): its NPV and capex hold theirs
    holds = cmp.included(tables)
    out = pd.DataFrame({
        "scenario": e["scenario"], "project": e["effect"],
        "includes": [holds.get(k, "") for k in zip(e["scenario"].astype(str),
                                                   e["effect"].astype(str), strict=True)],
        "built": e["built"],
        "first use": e["first use"].map(lambda v: "" if pd.isna(v) else str(v)
                                        .removesuffix(".0")),
        "NPV (MUSD)": e["incremental NPV (MUSD)"], "IRR": e["IRR"],
        "payback (yr)": e["payback (yr)"],
        # the project's own cost, and what the chain spends more (or less) with it: a
        # renewal that spares a life extension costs the chain less than its own capex
        "overnight capex (MUSD)": e["overnight capex (MUSD)"],
        "Δ capex (MUSD)": e["Δ capex (MUSD)"]})
    # why an IRR or payback is blank, or where the NPV is > 0 beside an IRR (text)
    for note in economics.NOTES.values():
        out[note] = e[note] if note in e.columns else ""
    # a value the solves' MIP gaps leave open: its range beside it, as the terminal says
    ranges = cmp.open_ranges(tables)
    spans = [ranges.get(k, "") for k in zip(e["scenario"].astype(str),
                                            e["effect"].astype(str), strict=True)]
    if any(spans):
        out.insert(out.columns.get_loc("NPV (MUSD)") + 1, "NPV open", spans)
    # a project the runs warned of (its value that of a period's average year): marked
    warned = cmp.project_warnings(tables)
    marks = [cmp.warning_mark(warned[k]) if k in warned else ""
             for k in zip(e["scenario"].astype(str), e["effect"].astype(str), strict=True)]
    if any(marks):
        out["warning"] = marks
    return out.reset_index(drop=True)


def lever_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The comparison's ``levers`` (NPV of each lever's money at each run's plan) as
    slide text, only the levers some run has (a table of zeros says nothing): the
    split a discount's or a duty's cost reads from (review out29 F8: no slide showed
    the petrochemical discount's 2,521.6)."""
    lv = tables.get("levers")
    if lv is None or lv.empty:
        return pd.DataFrame()
    _, values, _ = charts.compare_columns(lv)
    nums = lv[values].apply(pd.to_numeric, errors="coerce").abs()
    return _shown(lv[(nums > cmp.TOL).any(axis=1).to_numpy()].reset_index(drop=True))


def _shown(df: pd.DataFrame) -> pd.DataFrame:
    """Numbers as slide text, as the terminal and the HTML report write them
    (:func:`chainopt.report.numbers.cell`: 8.729, 26.2, noise 0), IRR in %."""
    d = df.copy()
    for c in d.columns:
        if c == "IRR":
            d[c] = [numbers.percent(v) for v in d[c]]
        else:
            d[c] = [numbers.cell(c, v) for v in d[c]]
    return d


def read_png(png: Path) -> tuple[bytes, int, int]:
    """The bytes, width and height of the PNG file ``png``, checked to its end without
    decoding its pixels (PIL's ``verify``: every chunk's checksum), or a ValueError
    saying why it cannot be shown: unreadable, larger than :data:`MAX_PICTURE_BYTES`,
    not a PNG, cut short or damaged, or more pixels than PIL's ``MAX_IMAGE_PIXELS`` (a
    decompression bomb: a small file that unpacks to gigabytes)."""
    # lazy: Pillow (matplotlib's and python-pptx's image library) only for decks
    from PIL import Image

    try:
        if png.stat().st_size > MAX_PICTURE_BYTES:
            raise ValueError(f"more than {MAX_PICTURE_BYTES:,} bytes")
        data = png.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot be read: {exc.strerror or exc}") from None
    try:
        with warnings.catch_warnings():  # PIL only warns between 1x and 2x the limit
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
                w, h = im.size
                im.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(f"more than {Image.MAX_IMAGE_PIXELS:,} pixels") from None
    except Exception:  # PIL raises what its decoder meets: OSError, SyntaxError, ...
        raise ValueError("not a PNG picture that can be read (damaged, cut short or "
                         "another format)") from None
    if not (w > 0 and h > 0):
        raise ValueError("a picture of no pixels")
    return data, w, h


class _Deck:
    """python-pptx presentation with title, table and picture slides. ``warn`` is told
    of each picture left out (see :meth:`picture`)."""

    def __init__(self, warn: Callable[[str], object] | None = None) -> None:
        # lazy: python-pptx is needed only for decks
        from pptx import Presentation
        from pptx.util import Inches, Pt

        self.warn = warn
        self.Inches, self.Pt = Inches, Pt
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(13.333), Inches(7.5)

    def title(self, title: str, subtitle: str) -> None:
        s = self.prs.slides.add_slide(self.prs.slide_layouts[0])
        s.shapes.title.text = plain(title)
        s.placeholders[1].text = plain(subtitle)

    def _blank(self, title: str):
        s = self.prs.slides.add_slide(self.prs.slide_layouts[5])  # title only
        s.shapes.title.text = plain(title)
        s.shapes.title.text_frame.paragraphs[0].font.size = self.Pt(28)
        return s

    def table(self, title: str, df: pd.DataFrame, note: str = "") -> None:
        # a blank IRR or payback with its reason; a shown IRR's note in the next column
        d = economics.with_notes(_shown(df))
        parts = [d.iloc[i:i + ROWS] for i in range(0, max(len(d), 1), ROWS)] or [d]
        for k, part in enumerate(parts):
            s = self._blank(title + (f" ({k + 1}/{len(parts)})" if len(parts) > 1 else ""))
            rows, cols = len(part) + 1, len(part.columns)
            shape = s.shapes.add_table(rows, cols, self.Inches(0.4), self.Inches(1.5),
                                       self.Inches(12.5), self.Inches(0.4 * rows))
            t = shape.table
            for j, c in enumerate(part.columns):
                t.cell(0, j).text = plain(str(c))
            for i, row in enumerate(part.itertuples(index=False), start=1):
                for j, v in enumerate(row):
                    t.cell(i, j).text = plain(str(v))
            for i in range(rows):
                for j in range(cols):
                    for p in t.cell(i, j).text_frame.paragraphs:
                        p.font.size = self.Pt(14 if cols <= 6 else 12)
            if note:  # below the table, wrapped: a note of several lines stays on the slide
                top = min(6.8, 1.6 + 0.4 * rows)
                box = s.shapes.add_textbox(self.Inches(0.4), self.Inches(top),
                                           self.Inches(12.5), self.Inches(7.4 - top))
                box.text_frame.word_wrap = True
                box.text_frame.text = plain(note)
                box.text_frame.paragraphs[0].font.size = self.Pt(12)

    def notes(self, title: str, lines: list[str], per_slide: int = 4) -> None:
        """Slides of text, ``per_slide`` lines (paragraphs) a slide, wrapped."""
        parts = [lines[i:i + per_slide] for i in range(0, len(lines), per_slide)]
        for k, part in enumerate(parts):
            s = self._blank(title + (f" ({k + 1}/{len(parts)})" if len(parts) > 1 else ""))
            box = s.shapes.add_textbox(self.Inches(0.4), self.Inches(1.4),
                                       self.Inches(12.5), self.Inches(5.8))
            box.text_frame.word_wrap = True
            for i, line in enumerate(part):
                para = (box.text_frame.paragraphs[0] if i == 0
                        else box.text_frame.add_paragraph())
                para.text = plain(line)
                para.font.size = self.Pt(12)
                para.space_after = self.Pt(8)

    def picture(self, title: str, png: Path) -> None:
        """A slide of the PNG file ``png`` (the charts of the sweep and sensitivity folders
        beside a comparison come from wherever the folders came from): a file that cannot
        be read (:func:`read_png`) is left out, with no slide, and ``warn`` is told which,
        so the rest of the deck is written."""
        try:
            data, w, h = read_png(png)
        except ValueError as exc:
            if self.warn is not None:
                self.warn(f"{png}: left out of the deck, {exc}")
            return
        s = self._blank(title)
        # fit into 12.5 x 5.8 inches below the title, keeping the aspect ratio
        width, height = 12.5, 12.5 * h / w
        if height > 5.8:
            width, height = 5.8 * w / h, 5.8
        s.shapes.add_picture(io.BytesIO(data), self.Inches((13.333 - width) / 2),
                             self.Inches(1.4), self.Inches(width), self.Inches(height))

    def save(self, path: Path) -> Path:
        write_file(path, saved(lambda tmp: self.prs.save(str(tmp))))
        return path


def _plt():
    # lazy: matplotlib is slow to import; only static charts need it
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # lazy, after choosing the file-only backend

    return plt


def compare_deck(folder: Path, path: Path, warn: Callable[[str], object] | None = None,
                 drawn: Sequence[Path] = ()) -> Path:
    """The deck of a ``chainopt compare`` folder; ``warn`` is told of each picture left
    out (a damaged ``tornado.png`` or ``projects_mc.png`` beside it). ``drawn``: PNGs of
    the comparison's charts already written (``report --png --pptx``), taken as they
    are; only the charts the deck shows and ``drawn`` lacks are drawn."""
    tables = cmp.read_tables(folder)
    deck = _Deck(warn)
    obj = tables.get("objective")
    names = cmp.compared_runs(tables)
    failures = cmp.compared_failures(folder)
    deck.title(f"chainopt: {folder.name.removeprefix('compare-')}",
               f"base {names[0] if names else ''}; {len(names) - 1} "
               f"scenario{'' if len(names) == 2 else 's'}"
               + (f" ({len(failures)} more asked for failed: not compared)" if failures
                  else "") + "; each project "
               "valued against the same scenario without it, a scenario's inputs and all "
               "its changes against the base")
    failed = cmp.failed_lines(failures)
    if failed:  # the runs the comparison lacks, before anything it shows
        deck.notes("Not compared: runs that failed", failed)
    if obj is not None and names:
        summary = cmp.summary(tables, names)
        what = ("objective and Δ: total cost of the whole chain (NPV of its costs, MUSD; Δ "
                "below 0 is a saving)" if cmp.is_cost(tables) else
                "objective and Δ: NPV of the whole chain (MUSD)")
        deck.table("Key figures", summary, f"{what}; incremental NPV: each project against "
                   "its own counterfactual")
    said = cmp.warning_lines(tables)
    if said:  # what the runs warned of, before the values it qualifies
        deck.notes("Warnings", said)
    pt = project_table(tables)
    if len(pt):  # the period built in with its years, in the scenario's (workbook: bare)
        deck.table("Projects", charts.with_years(pt, cmp.period_years(folder)),
                   "NPV: objective difference to the scenario without the project; IRR "
                   f"and payback from its incremental cash flows ({economics.IRR_RULE})")
    lv = lever_table(tables)
    if len(lv):  # what a discount, a premium, a duty or a levy moves, at each run's plan
        deck.table("Policy and market levers", lv, cmp.TITLES["levers"])
    plt = _plt()
    with tempfile.TemporaryDirectory() as tmp:
        for i, page in enumerate(onepager.pages(tables, cmp.period_years(folder))):
            png = Path(tmp) / f"onepager-{i}.png"
            fig = charts.thousands(onepager.static_figure(page, plt))
            fig.savefig(png, dpi=110, **PNG)
            plt.close(fig)
            mark = f" ({cmp.warning_mark(page.warnings)})" if page.warnings else ""
            deck.picture(f"{page.title}{mark}", png)
        inputs = cmp.compared_inputs(folder)
        for sens in sorted(folder.parent.glob("sensitivity-*")):  # links not followed
            tornado = sens / "tornado.png"
            # sensitivity-<scenario>-<project> (names hold no '-'): one of these scenarios
            scenario = sens.name.removeprefix("sensitivity-").rpartition("-")[0]
            if (not sens.is_symlink() and tornado.is_file() and not tornado.is_symlink()
                    and scenario in names
                    and _same_inputs(sens / "sensitivity.json", scenario, inputs, warn)):
                deck.picture(f"What changes the answer: {sens.name.removeprefix('sensitivity-')}",
                             tornado)
        for mc in sorted(folder.parent.glob("sweep-*/projects_mc.png")):
            run = mc.parent.name.removeprefix("sweep-")
            if (mc.is_symlink() or mc.parent.is_symlink() or not mc.is_file()
                    or run not in names  # sweep-<name>: of one of these runs (its default)
                    or not _same_inputs(mc.parent / "sweep.json", run, inputs, warn)):
                continue
            deck.picture(f"Monte Carlo: {run}", mc)
        wanted = {"objective-delta": "Objective and its parts: change against the base",
                  "project_cashflows": "Incremental cash flows of the projects by year",
                  "cashflow": cmp.CASHFLOW_TITLE}
        have = {p.name: p for p in drawn}
        missing = {k for k in wanted if f"report-{k}.png" not in have}
        new = {p.name: p for p in write_compare_static(folder, Path(tmp), "png",
                                                       only=missing)} if missing else {}
        for k, title in wanted.items():
            chart = have.get(f"report-{k}.png") or new.get(f"report-{k}.png")
            if chart is not None:
                deck.picture(title, chart)
        return deck.save(path)


def run_deck(tables: dict[str, pd.DataFrame], manifest: dict, path: Path,
             measure: str = "mass", drawn: Sequence[Path] = (),
             views_of: charts.SankeyViews | None = None) -> Path:
    """The deck of one run: title, key figures and the main charts. ``drawn``: PNGs of
    this run's charts already written (``report --png --pptx``: the same figures at the
    same dpi), taken as they are; only the charts not among them are drawn again (the
    Sankey from ``views_of``, the report's views, :class:`charts.SankeyViews`)."""
    deck = _Deck()
    name = manifest.get("scenario") or manifest.get("case") or "run"
    name += f", {variant_of(manifest)}" if "variant" in manifest else ""
    what = cmp.objective_name(manifest.get("objective_sense") == "cost")
    deck.title(f"chainopt: {name}", f"{what} {numbers.number(manifest.get('objective'))} MUSD; "
               f"status {manifest.get('status', '')}")
    total, _ = charts.kpi_summary(tables, charts.periods_of(tables, manifest))
    if len(total):
        # lazy: explain's helpers (the family registry) only for a deck
        from chainopt.report.explain import penalty_note

        # the KPIs in words (their ids of kpis.csv: the HTML report); all, continued
        deck.table("Key figures", total.drop(columns="kpi"), penalty_note(tables))
    # what chainopt run warned of, as the run's HTML report shows it
    said = cmp.run_warnings(manifest)
    if said:
        deck.notes("Warnings", said)
    periods = charts.periods_of(tables, manifest)
    # the Sankey and the map of one period, the first, as the HTML report opens them (the
    # map was of the last period: two slides of the chain, two different years)
    first = charts.run_period_labels(manifest).get(periods[0], periods[0]) if periods else ""
    keep = {f"sankey-{periods[0]}": f"Value chain by segment, {first}",
            f"map-{periods[0]}": f"Sites and routes, {first}",
            "capacity": "Unit capacity by period", "product_mix": "Product mix"} \
        if periods else {}
    have = {p.name: p for p in drawn}
    with tempfile.TemporaryDirectory() as tmp:
        # file names are made safe (file_key); each chart from --png's file when there
        missing = {k for k in keep if f"report-{file_key(k)}.png" not in have}
        new = {p.name: p for p in write_static(tables, manifest, Path(tmp), "png",
                                               measure=measure, only=missing,
                                               views_of=views_of)} \
            if missing else {}
        for k, title in keep.items():
            name = f"report-{file_key(k)}.png"
            png = have.get(name) or new.get(name)
            if png is not None:
                deck.picture(title, png)
        return deck.save(path)


#: the columns of a comparison's tables that hold a year as text, as compare writes it and
#: the deck and terminal show it ('2033'; '' for a project not built): a workbook holds
#: them as numbers (:func:`years_as_numbers`)
YEAR_TEXT_COLUMNS = ("first use",)


def years_as_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each :data:`YEAR_TEXT_COLUMNS` column as a workbook holds a year: a
    number (2033, sorted and filtered as one; it was the text '2033', "number stored as
    text"), blank (None) where there is none ('' or NaN: an empty cell). A value that is
    no whole number (a CSV someone edited) stays as it is, text."""
    cols = [c for c in YEAR_TEXT_COLUMNS if c in df.columns]
    if not cols:
        return df

    def year(v: object) -> object:
        if isinstance(v, str):
            text = v.strip().removesuffix(".0")  # (2033.0: a column pandas read as float)
            whole = text.isascii() and text.isdigit() and len(text) <= 15  # exact in Excel
            return None if not text else int(text) if whole else v
        if v is None or pd.isna(v):
            return None
        return int(v) if isinstance(v, float) and v.is_integer() else v

    return df.assign(**{c: pd.Series([year(v) for v in df[c]], index=df.index, dtype=object)
                        for c in cols})


def workbook(folder: Path, path: Path) -> Path:
    """``comparison.xlsx``: the runs that failed first (sheet ``not compared``, when
    any), the project table, then the summary and every table of
    the comparison folder, each as :func:`chainopt.report.excel.write_tables` writes a
    results table (a table longer than a sheet goes on in further sheets; titles Excel
    allows), a year held as text (``first use``) as a number (:func:`years_as_numbers`).
    Its cells come from CSV text someone may have crafted: ``=HYPERLINK(...)`` stays
    text (:mod:`chainopt.xlsx_write`)."""
    tables = cmp.read_tables(folder)
    names = cmp.compared_runs(tables)
    sheets: dict[str, pd.DataFrame] = {}
    failures = cmp.compared_failures(folder)
    if failures:  # the runs asked for that the comparison lacks, first (as the deck)
        sheets["not compared"] = pd.DataFrame(
            [{"run": cmp.failed_name(f, "name"), "source": cmp.failed_name(f, "source"),
              "exit code": f.get("exit_code"), "why": line}
             for f, line in zip(failures, cmp.failed_lines(failures), strict=True)])
    sheets["projects"] = project_table(tables)
    if names:
        sheets["summary"] = cmp.summary(tables, names)
    sheets.update(tables)
    return write_tables(path, [(name, years_as_numbers(df)) for name, df in sheets.items()])


def preview_html(pptx_path: Path) -> str:
    """An HTML page showing every slide of a deck (titles, text, tables, pictures inlined
    as data: URLs), to look at a deck in a browser without PowerPoint."""
    # lazy: python-pptx is needed only for decks
    from pptx import Presentation

    prs = Presentation(str(pptx_path))
    emu_w = prs.slide_width
    scale = 960 / emu_w
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
           f'{html.escape(pptx_path.name)}</title><style>body{{background:#ddd;'
           'font-family:Arial,sans-serif;margin:20px}.slide{position:relative;width:960px;'
           'height:540px;background:#fff;margin:0 auto 24px;box-shadow:0 1px 4px #999;'
           'overflow:hidden}.sh{position:absolute;overflow:hidden}table{border-collapse:'
           'collapse;font-size:11px;width:100%}td{border:1px solid #bbb;padding:2px 4px}'
           'tr:first-child td{background:#4f81bd;color:#fff;font-weight:bold}'
           '</style></head><body>']
    for slide in prs.slides:
        out.append('<div class="slide">')
        for sh in slide.shapes:
            box = (f'left:{sh.left * scale:.0f}px;top:{sh.top * scale:.0f}px;'
                   f'width:{sh.width * scale:.0f}px;height:{sh.height * scale:.0f}px')
            if getattr(sh, "has_table", False):
                rows = "".join("<tr>" + "".join(f"<td>{html.escape(c.text)}</td>"
                                                for c in r.cells) + "</tr>"
                               for r in sh.table.rows)
                out.append(f'<div class="sh" style="{box}"><table>{rows}</table></div>')
            elif sh.shape_type == 13:  # picture
                data = base64.b64encode(sh.image.blob).decode()
                out.append(f'<img class="sh" style="{box}" alt="" '
                           f'src="data:image/{sh.image.ext};base64,{data}">')
            elif sh.has_text_frame and sh.text_frame.text:
                big = sh == slide.shapes.title
                size = 26 if big else 14
                out.append(f'<div class="sh" style="{box};font-size:{size}px">'
                           f'{html.escape(sh.text_frame.text)}</div>')
        out.append("</div>")
    out.append("</body></html>")
    return "\n".join(out)
