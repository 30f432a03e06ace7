"""Results: tidy tables plus a manifest; saved atomically as CSV + ``manifest.json``.

The two large insight tables that only ``chainopt explain`` reads, ``ranging`` and
``reduced_costs`` (:data:`COMPACT`), are saved as Parquet (``ranging.parquet``): at
100k variables they are 60 % of the CSV bytes and of the time spent formatting them,
as Parquet a fifth of the size, written without formatting a number. Their values are
rounded as the CSV tables are. :meth:`Results.load` reads both forms, so folders
written before (``ranging.csv``) still load, explain and verify.

A results folder is written to a temporary sibling first and renamed into place
only when complete, so a failed or interrupted run leaves nothing behind. An
existing folder is replaced only with ``overwrite=True`` (the old one is moved
aside and deleted only after the new one is in place); without it the write itself
refuses (:func:`chainopt.atomic.writing`), so two runs of the same name racing for
one folder cannot lose either's results silently.

Tables are written with a fixed float format (``%.10g``) and in a stable row
order, so the same inputs give byte-identical files; timestamps live only in the
manifest. Before writing, float values are rounded to the 10 significant digits
printed, values below 1e-10 in magnitude (solver noise, far below HiGHS's 1e-7
feasibility tolerance) are written as 0 and -0 as 0, so that noise in the last bits
of a solution cannot flip a sign or print as a tiny number. With the solver settings
of :mod:`chainopt.solve` (one thread, fixed seed) HiGHS is deterministic on one
platform, so the tables are byte-identical; across platforms compare with
tolerances (``chainopt verify``). ``results.xlsx`` holds the same rounded numbers.
Rounding to fewer digits (e.g. 9) would make the files disagree with the in-memory
tables beyond 1e-9.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import io
import itertools
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pandas as pd

from chainopt.atomic import (
    elsewhere,
    others_in,
    read_json,
    refuse_others,
    writing,
)
from chainopt.case.scenario import variant_of  # (read by html and deck from here)
from chainopt.case.schema import TABLES, part_of_problem
from chainopt.case.storage import Storage, text_storage
from chainopt.case.validate import quoted
from chainopt.csvtext import round_significant, write_csv
from chainopt.errors import DamagedResultsError, InputError, Problem, ResultsExistError, said
from chainopt.names import NAME_PATTERN, SNAKE_TEXT, file_key
from chainopt.textfile import (
    MAX_JSON_BYTES,
    MAX_TABLE_BYTES,
    decode,
    parse_json,
    read_bytes,
    read_text,
)

FLOAT_FORMAT = "%.10g"
MANIFEST = "manifest.json"
COMPACT = frozenset({"ranging", "reduced_costs"})  # saved as Parquet (see the docstring)
# Parquet dictionary-encodes the text columns whose few values repeat (family, period,
# units, ...), not the numbers nor ``key``, the text of each row's element, distinct per
# row: its dictionary would only be abandoned when full. At 300k variables the ranging
# table is written in 0.07 s instead of 0.11 s, and 8 % smaller.
DISTINCT_PER_ROW = frozenset({"key"})
SIGNIFICANT_DIGITS = 10
NOISE = 1e-10
# manifest key: the text columns of each CSV table, read back as text. A CSV file does
# not say which columns are text, and pandas guesses from the values: a column holding
# only legal names such as ``true`` or ``inf`` would come back as booleans or floats.
TEXT_COLUMNS = "text_columns"
TEXT_STORAGE = "text_storage"  # how the run kept its text: chainopt.case.storage


def recorded_storage(manifest: dict) -> Storage | None:
    """How a run kept its text (its manifest's :data:`TEXT_STORAGE`), None if it says
    nothing chainopt knows (pandas' own setting then)."""
    storage = manifest.get(TEXT_STORAGE)
    return storage if storage in get_args(Storage) else None


def shared_storage(manifests: Iterable[dict]) -> Storage | None:
    """The storage each of ``manifests`` records (:func:`recorded_storage`), where they
    all record the same; None (pandas' own setting) otherwise."""
    kept = {recorded_storage(m) for m in manifests}
    return kept.pop() if len(kept) == 1 else None


# manifest key: each table's file, its row count and the SHA-256 of its bytes, hashed as
# they are written. Every reader checks them, so a table cut short (a copy interrupted, a
# full disk) or edited by hand is a damaged folder, never read as a smaller answer.
TABLE_FILES = "table_files"
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_NAME = re.compile(NAME_PATTERN)


#: what chainopt writes into a results folder besides manifest.json and the tables its
#: ``table_files`` lists: ``run --excel``'s workbook and ``chainopt report``'s HTML, deck
#: and deck preview (:mod:`chainopt.report`; a test holds the names to its constants)
REPORT_FILES = frozenset({"results.xlsx", "report.html", "report.pptx", "report-deck.html"})
#: the charts ``chainopt report --png/--svg`` writes into a run's folder
#: (:func:`chainopt.report.static.write_static`, a test holds it to these names), as
#: ``report-<key>.png`` / ``.svg``: these keys, ``sankey-<period>`` and ``map-<period>``
#: for every period and ``sankey-<first period>-<segment>`` for the segments below
RUN_CHARTS = ("capacity", "new_capacity", "product_mix", "emissions", "binding")
PERIOD_CHARTS = ("sankey", "map")
#: the Sankey's segments (:data:`chainopt.report.charts.SEGMENTS`)
SANKEY_SEGMENTS = ("upstream", "gas processing", "refining", "petrochemicals", "logistics",
                   "markets")
CHART_FORMATS = ("png", "svg")


def chart_files(periods: list[str]) -> frozenset[str]:
    """The names of the charts ``chainopt report --png/--svg`` writes into the folder of
    a run over ``periods`` (:data:`RUN_CHARTS`): exactly these, not any
    ``report-*.png``, which a user may have named a chart of their own
    (``report-final.png``)."""
    keys = [*RUN_CHARTS, *(f"{c}-{p}" for p in periods for c in PERIOD_CHARTS),
            *(f"sankey-{periods[0]}-{s.replace(' ', '_')}" for s in SANKEY_SEGMENTS
              if periods)]
    return frozenset(f"report-{file_key(k)}.{fmt}" for k in keys for fmt in CHART_FORMATS)


def check_only_results_files(folder: Path, shown: int = 5) -> None:
    """An OutputError naming :func:`results_others` of ``folder``, if any."""
    refuse_others(folder, results_others(folder), "results", shown)


def results_others(folder: Path, within: str = "") -> list[str]:
    """What the results folder ``folder`` holds that chainopt did not write there (a
    user's ``my_analysis.md``, a ``figs/`` folder, a link): replacing the folder whole
    would delete it. chainopt writes ``manifest.json``, the tables its
    ``table_files`` lists (every ``*.csv`` and ``*.parquet`` of a folder written before
    the manifest listed them, or whose list is damaged), :data:`REPORT_FILES` and the
    charts of :func:`chart_files` (by name, for the run's periods), each a regular file;
    ``.chainopt-tmp*`` are leftovers of its own writes. Returns the others' names,
    each after ``within``."""
    try:
        manifest = read_json(folder / MANIFEST, MAX_JSON_BYTES)
        files = manifest.get(TABLE_FILES)
        periods = manifest.get("periods")
    except (OSError, ValueError, AttributeError):
        files = periods = None
    tables = ({e["file"] for e in files.values() if isinstance(e, dict)
               and isinstance(e.get("file"), str)} if isinstance(files, dict) else None)
    charts = chart_files([str(p) for p in periods] if isinstance(periods, list) else [])

    def ours(e: Path) -> bool:
        if e.is_symlink() or not e.is_file():
            return False
        return (e.name == MANIFEST or e.name in REPORT_FILES
                or e.name in charts
                or (e.name in tables if tables is not None
                    else e.suffix in (".csv", ".parquet")))

    return others_in(folder, ours, within)


def text_columns(df: pd.DataFrame) -> list[str]:
    """The columns of ``df`` that hold text (or labels), not numbers nor booleans: what
    a table's rows are keyed by."""
    return [c for c, d in df.dtypes.items() if not pd.api.types.is_numeric_dtype(d)
            and not pd.api.types.is_bool_dtype(d)]


def stable_floats(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with float columns rounded to 10 significant digits, values
    below 1e-10 in magnitude set to 0 and -0 written as 0 (see the module docstring).

    Vectorised (:func:`chainopt.csvtext.round_significant`): the same values as
    ``float(f"{x:.10g}")`` value by value, all the float columns of a table rounded in
    one call (a small table's columns cost more in calls than in values)."""
    cols = [c for c, d in df.dtypes.items() if pd.api.types.is_float_dtype(d)]
    if not cols:
        return df
    x = np.concatenate([df[c].to_numpy(dtype=float) for c in cols])
    x[(x > -NOISE) & (x < NOISE)] = 0.0  # also -0 -> 0; NaN stays NaN (x is a copy)
    x = round_significant(x, SIGNIFICANT_DIGITS)
    n = len(df)
    out = df.copy()
    for i, c in enumerate(cols):
        out[c] = x[i * n:(i + 1) * n]
    return out


def best_bound(value: float, bound: object, is_mip: bool) -> float | None:
    """The best objective (maximised) a solve proved no plan beats: ``value`` for an LP;
    for a MIP its ``bound`` (a bound a tolerance short of ``value`` reads as ``value``:
    the fixed-LP plan may pass the MIP's bound by 1e-9), None when it is no finite
    number (a solver that gave none)."""
    if not is_mip:
        return value
    if not isinstance(bound, int | float) or isinstance(bound, bool) or not math.isfinite(bound):
        return None
    return max(float(bound), value)


def _write_table(folder: Path, name: str, df: pd.DataFrame) -> dict:
    """Write table ``name`` into ``folder`` as saved (rounded: :func:`stable_floats`; CSV,
    or Parquet for the :data:`COMPACT` ones); its :data:`TABLE_FILES` entry."""
    df = stable_floats(df)
    if name in COMPACT:
        repeated = [c for c, d in df.dtypes.items() if c not in DISTINCT_PER_ROW
                    and not pd.api.types.is_float_dtype(d)]
        buf = io.BytesIO()  # in memory, to hash the bytes written
        df.to_parquet(buf, index=False, use_dictionary=repeated)
        file = f"{name}.parquet"
        (folder / file).write_bytes(buf.getbuffer())
        digest = hashlib.sha256(buf.getbuffer()).hexdigest()
    else:
        file = f"{name}.csv"
        digest = write_csv(df, folder / file, FLOAT_FORMAT)
    return {"file": file, "rows": len(df), "sha256": digest}


class TableWriter:
    """The tables of a results folder being written (:func:`saving`), two at a time on
    threads of their own: Parquet, Arrow's joins and numpy's rounding let go of the
    interpreter lock, so a second core writes a table handed over (:meth:`write`) while
    the run makes the next. A run hands each table over once it is final; the rest are
    written by :meth:`finish`, which waits for all and writes the manifest last. A table
    is never changed after it is handed over (a frame read by the threads while the run
    changed it could be written half old, half new); :meth:`finish` writes again one
    whose name the results now give another frame."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pool = ThreadPoolExecutor(max_workers=2)
        self._jobs: dict[str, tuple[pd.DataFrame, Future]] = {}
        self.finished = False

    def write(self, name: str, df: pd.DataFrame) -> None:
        """Start writing table ``name`` (final: see the class docstring)."""
        if name in self._jobs:  # two writes of one file at once: a caller's slip
            raise RuntimeError(f"results table {name} handed over twice")
        self._jobs[name] = (df, self._pool.submit(_write_table, self.folder, name, df))

    def finish(self, results: Results, extra: Callable[[Path], object] | None = None) -> None:
        """Write what ``results`` holds that was not handed over (the largest first, so
        that the two threads end together), wait for every table, let ``extra(folder)``
        add files, then write the manifest with each table's file entry and the seconds
        this took (``timings_s.save_s``: the run's wait for its tables, what writing
        them adds to it)."""
        t0 = time.perf_counter()
        tables = results.tables
        for name in [n for n, (df, _) in self._jobs.items() if tables.get(n) is not df]:
            _, job = self._jobs.pop(name)
            entry = job.result()  # (ended before the file is written again or removed)
            if name not in tables:
                (self.folder / entry["file"]).unlink()
        for name in sorted(set(tables) - set(self._jobs), key=lambda n: -tables[n].size):
            self.write(name, tables[name])
        files = {name: job.result() for name, (_, job) in sorted(self._jobs.items())}
        if extra is not None:
            extra(self.folder)
        manifest = results.manifest
        if isinstance(manifest.get("timings_s"), dict):
            manifest["timings_s"]["save_s"] = round(time.perf_counter() - t0, 4)
        manifest[TEXT_COLUMNS] = {name: text_columns(df) for name, df in sorted(tables.items())
                                  if name not in COMPACT}
        manifest[TABLE_FILES] = files
        (self.folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True,
                                                       default=str) + "\n")
        self.finished = True

    def close(self) -> None:
        """Wait for the tables being written; drop those not yet started."""
        self._pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def saving(folder: str | Path, overwrite: bool = False) -> Iterator[TableWriter]:
    """A results folder being written: the block is given a :class:`TableWriter` into its
    temporary sibling (:func:`chainopt.atomic.writing`) and ends with
    :meth:`TableWriter.finish`; the folder is put in place only then. An error in the
    block (or Ctrl-C) waits for the tables being written, then removes them all: nothing
    is left behind. An existing ``folder`` is replaced only with ``overwrite``."""
    folder = Path(folder)
    if (folder.exists() or folder.is_symlink()) and not overwrite:
        raise ResultsExistError(
            f"results folder {folder} exists; pass "
            f"{said('--overwrite', 'overwrite=True')} to replace it, or "
            f"{said(elsewhere('results'), 'save to another folder')}")
    with writing(folder, kind="results", overwrite=overwrite,
                 check=check_only_results_files) as tmp:
        writer = TableWriter(tmp)
        try:
            yield writer
        finally:
            writer.close()
        if not writer.finished:  # a folder without its manifest is no results folder
            raise RuntimeError("results folder written without TableWriter.finish")


@dataclass
class Results:
    """The tables of one run and its manifest (case, hashes, versions, status, timings)."""

    tables: dict[str, pd.DataFrame]
    manifest: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line (the dataclass's own printed every table)."""
        m = self.manifest
        obj = m.get("objective")
        val = f", objective {obj:,.1f} MUSD" if isinstance(obj, int | float) else ""
        return (f"Results({m.get('case', '?')}: {m.get('status', '?')}{val}, "
                f"{len(self.tables)} tables: {', '.join(list(self.tables)[:5])}"
                f"{', ...' if len(self.tables) > 5 else ''})")

    def __getitem__(self, name: str) -> pd.DataFrame:
        """The table ``name``; a KeyError listing the tables there are."""
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"no table {name!r}; tables: {', '.join(sorted(self.tables))}"
                           ) from None

    @property
    def objective(self) -> float:
        """The reported objective (MUSD, NPV): the net value, or in a cost case
        (``objective_sense: cost``) the total cost, a positive number."""
        return float(self.manifest["objective"])

    @property
    def net_value(self) -> float:
        """The chain's net value (MUSD, NPV) whatever the case optimises: the objective,
        or minus the total cost of a cost case. Differences of it are a project's NPV."""
        sign = -1.0 if self.manifest.get("objective_sense") == "cost" else 1.0
        return sign * self.objective

    @property
    def net_value_bound(self) -> float | None:
        """The best net value (MUSD, NPV) any plan of the case could reach, as far as
        the solve proved it: the net value itself for an LP; for a MIP, the solver's best
        bound (``solver_info.mip_bound``, in the net value's sense; a bound a tolerance
        short of the net value reads as the net value); None when the solver gave no
        bound (GLPK/CBC at times, a folder written before chainopt recorded it)."""
        return best_bound(self.net_value, (self.manifest.get("solver_info") or {}).get(
            "mip_bound"), bool(self.manifest.get("is_mip")))

    def kpi(self, name: str, period: str = "") -> float:
        """The value of KPI ``name`` of ``kpis.csv`` for ``period`` ("": the whole
        horizon). One it does not hold is a :class:`KpiNotFound` (an InputError, exit 1,
        and a KeyError) saying for which periods it exists, or which KPI was meant."""
        k = self.tables["kpis"]
        periods = k["period"].fillna("").astype(str)
        hit = k[(k["kpi"] == name) & (periods == period)]
        if hit.empty:
            raise KpiNotFound(name, period, k["kpi"].astype(str), periods)
        return float(hit["value"].iloc[0])

    def save(self, folder: str | Path, overwrite: bool = False,
             extra: Callable[[Path], object] | None = None) -> Path:
        """Write every table as CSV (the :data:`COMPACT` ones as Parquet) plus the manifest,
        atomically (:func:`saving`).

        ``extra(tmp_folder)`` may add files (e.g. ``results.xlsx``) before the rename.
        """
        with saving(folder, overwrite) as writer:
            writer.finish(self, extra)
        return Path(folder)

    @classmethod
    def load(cls, folder: str | Path, require: tuple[str, ...] = (),
             only: tuple[str, ...] | None = None, checksums: bool = True) -> Results:
        """Read a results folder written by :meth:`save` (with ``only``, just those tables).

        The one reader of a results folder (run report, explain, verify and the results
        that compare reuses). A missing or damaged ``manifest.json`` (an objective that is
        not a finite number: ``1e400`` and ``NaN`` parse as JSON), a table that cannot be
        read, a table whose bytes or row count are not those the manifest records
        (:data:`TABLE_FILES`), text in a number column (``abc`` where a number belongs: a
        folder written before the checksums has no other guard) and a missing table named
        in ``require`` are :class:`InputError` naming the file; so is a manifest whose
        objective is not ``kpis.csv``'s (edited by hand), and a name in a table read or in
        the manifest that is not a name (:func:`check_names`,
        :func:`check_manifest_names`: forged, its checksums written anew). With ``only``,
        the tables not read are still checked against their checksums.
        Folders written before the manifest recorded the tables' checksums are read as
        before, without that check; ``checksums=False`` skips it too (the row counts and
        number columns are still checked): ``verify`` reads a folder edited by hand so to
        name the cells edited (:func:`edited_tables`). The tables come back as the run
        held them: text in the storage the manifest records (``text_storage``,
        :mod:`chainopt.case.storage`), every other column of a CSV table as floats."""
        folder = Path(folder)
        mf = folder / MANIFEST
        if not folder.is_dir():
            raise InputError([Problem(str(folder), "no such folder",
                                      "give a results folder written by chainopt run")])
        if not mf.is_file():
            raise InputError([Problem(str(folder), "not a chainopt results folder (no "
                                      "manifest.json)", "give a folder written by chainopt run")])
        manifest = read_manifest(mf)
        _check_objective(manifest, mf)
        check_manifest_names(manifest, mf)
        recorded = manifest.get(TEXT_COLUMNS)
        recorded = recorded if isinstance(recorded, dict) else {}  # folders before it: guess
        files = table_files(manifest, mf)
        if files is None:  # written before the checksums: every table file there
            paths = {p.stem: p for p in sorted(folder.glob("*.parquet"))}
            paths.update({p.stem: p for p in sorted(folder.glob("*.csv"))})  # CSV first
        else:
            paths = {name: folder / entry["file"] for name, entry in files.items()}

        def one(name: str, p: Path) -> pd.DataFrame | None:
            """Table ``name`` read from ``p`` (None: checked, not read, by ``only``)."""
            entry = files.get(name) if files is not None else None
            if entry is not None and not (p.exists() or p.is_symlink()):
                raise DamagedResultsError([Problem(
                    str(folder), f"results table {p.name} is missing (manifest.json "
                    "records it)", RERUN)])
            if only is not None and name not in only and name != "kpis":
                if checksums and entry is not None:  # not read, still the file written
                    _check_sha(p, read_bytes(p, str(p), MAX_TABLE_BYTES,
                                             what="results table"), entry)
                return None
            as_text = recorded.get(name)
            as_text = as_text if isinstance(as_text, list) else None
            df = read_table(p, entry, as_text, checksum=checksums)
            # every number a run's tables hold is a float (a folder written before
            # text_columns: as pandas guesses, a name of digits may be one)
            return floats_again(df) if as_text is not None else df

        tables = {}
        with text_storage(recorded_storage(manifest)):  # the text kept as the run kept it
            items = sorted(paths.items())
            for (name, _), df in zip(items, _each_in_order(one, items), strict=True):
                if df is not None:
                    tables[name] = df
            for df in tables.values():
                for c in ("period", "site", "project"):
                    if c in df.columns:
                        df[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
        if checksums:  # (verify reads a folder edited by hand to name the cells edited)
            check_names(tables, paths)
        for name, df in tables.items():
            _check_row_keys(name, df, paths[name])
        check_periods(manifest, tables if checksums else {}, folder, paths)
        if checksums and files is not None:  # kpis.csv is the file the run wrote
            check_against_kpis(manifest, tables.get("kpis"), mf)
        if only is not None and "kpis" not in only:
            tables.pop("kpis", None)
        missing = [t for t in require if t not in tables]
        if missing:
            raise DamagedResultsError([Problem(str(folder), f"results table {t}"
                                               f"{'.parquet' if t in COMPACT else '.csv'} "
                                               "is missing", RERUN) for t in missing])
        return cls(tables=tables, manifest=manifest)


RERUN = "the results folder is damaged: run the case again (chainopt run ... --overwrite)"
#: the same, where the problem already says the folder is damaged
AGAIN = "run the case again (chainopt run ... --overwrite)"

#: what a reader of results or comparison tables raises on tables not as chainopt wrote
#: them (a reader catching these reports a damaged folder, or chainopt's own fault); a
#: lookup by a key given twice is pandas' InvalidIndexError, none of the others
READ_FAULTS = (KeyError, ValueError, TypeError, AttributeError, IndexError,
               pd.errors.InvalidIndexError)

#: the results tables whose rows a reader looks up by these columns (a site's
#: coordinates, a commodity's unit, a KPI, a project's or a capacity's row): one row per
#: key, as chainopt writes them. A key twice (a row copied by hand, every site cell one
#: text) ended ``chainopt report`` in a pandas traceback (InvalidIndexError).
ROW_KEYS = {"sites": ("site",), "commodities": ("commodity",), "kpis": ("kpi", "period"),
            "projects": ("project", "period"), "capacity": ("kind", "name", "period")}


def _check_row_keys(name: str, df: pd.DataFrame, path: Path) -> None:
    """A damaged-table InputError if a :data:`ROW_KEYS` table holds a key twice, naming the
    key and both rows (1 = the first row below the header)."""
    key = [c for c in ROW_KEYS.get(name, ()) if c in df.columns]
    if not key or len(key) < len(ROW_KEYS[name]):
        return
    later = df.duplicated(key).to_numpy()
    if not later.any():
        return
    j = int(np.flatnonzero(later)[0])
    k = df[key].reset_index(drop=True)
    i = next(r for r in range(j) if k.iloc[r].equals(k.iloc[j]))
    said = ", ".join(f"{c} {str(k.iloc[j][c])[:40]!r}" for c in key)
    raise _damaged_table(path, f"{said} is in rows {i + 1} and {j + 1} (chainopt writes one "
                               f"row for each)")


def _case_name_headers() -> frozenset[str]:
    """The headers that hold names of the case's elements in every case table that has
    them (:data:`chainopt.case.schema.TABLES`): a ``name`` column (a table's key) or a
    ``ref`` to another table's key — ``site``, ``commodity``, ``mode``, ``link``,
    ``project``, ``from_site``, ... —, the refs to periods left out (a period is checked
    by :func:`check_periods`). A header a case table also gives other text is none of
    them: ``unit`` is a commodity's unit of measure (``1000m3``) in ``commodities.csv``,
    ``source`` free text."""
    named: dict[str, set[bool]] = {}
    for spec in TABLES.values():
        for c in spec.columns:
            named.setdefault(c.name, set()).add(
                c.kind == "name" or (c.kind == "ref" and c.ref != "periods"))
    return frozenset(h for h, kinds in named.items() if kinds == {True})


#: the headers of :func:`_case_name_headers`: a results column so headed holds names
CASE_NAME_HEADERS = _case_name_headers()
#: the results columns that hold names under a header the case tables do not give names
#: (:data:`CASE_NAME_HEADERS`): a unit's name where ``commodities.csv``'s ``unit`` is a
#: unit of measure, a unit's or link's (or project's) ``name``, an emission's ``source``
#: (a unit or a link), a blend's ``component`` (a commodity), a policy lever's name (a
#: ``levies.csv`` row or a market group)
RESULT_NAME_COLUMNS = {"activity": ("unit",), "unit_flows": ("unit",), "capacity": ("name",),
                       "investments": ("name",), "emissions": ("source",),
                       "blending": ("component",), "levers": ("lever",)}


def name_columns(table: str, df: pd.DataFrame) -> list[str]:
    """The columns of the results table ``table`` that hold names of the case's elements
    (:data:`CASE_NAME_HEADERS`, :data:`RESULT_NAME_COLUMNS`) and are read as text. Not
    ``period`` (:func:`check_periods`), ``kpi``, units of measure, ``key`` texts nor any
    other free text; a column of numbers (a folder written before ``text_columns``, read
    as pandas guesses) is no text to check."""
    own = RESULT_NAME_COLUMNS.get(table, ())
    return [c for c, d in df.dtypes.items() if (c in CASE_NAME_HEADERS or c in own)
            and not pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d)]


def first_not_name(values: pd.Series, good: set[str] | None = None
                   ) -> tuple[int, object] | None:
    """(row, value) of the first value of ``values`` that is neither blank nor a name of
    the case's tables (:data:`chainopt.names.NAME_PATTERN`, of any length, as
    :mod:`chainopt.case.validate` holds them); None if there is none. Each distinct value
    is matched once (a 300k-row table holds a few thousand), and none already in
    ``good``, the names found in columns checked before (added to it); only a value that
    fails is looked for among the rows."""
    good = set() if good is None else good
    distinct = values.unique()  # in the order of the rows: the first bad is the first
    for value in np.asarray(distinct, dtype=object).tolist():  # at once, not one by one
        if value in good:
            continue
        if isinstance(value, str) and (value == "" or _NAME.fullmatch(value)):
            good.add(value)
        elif isinstance(value, str) or not pd.isna(value):
            return int(np.flatnonzero((values == value).to_numpy())[0]), value
    return None


def check_names(tables: dict[str, pd.DataFrame], paths: dict[str, Path]) -> None:
    """Every name a results table holds (:func:`name_columns`) is a name: chainopt writes
    the names of a case, which its validation holds to snake_case, so
    ``<img src=x onerror=alert(1)>``, ``=HYPERLINK(...)`` or a line break in a site's
    cell is a folder not as chainopt wrote it (forged with its checksums written anew),
    whose names went into explain's lines, the comparison CSVs and a compare's project
    valuations. A damaged-table InputError naming the file, row, column and the value
    (:func:`chainopt.case.validate.quoted`: control characters written out, cut after 60
    characters)."""
    good: set[str] = set()  # a unit's name is in activity, unit_flows, capacity, ...
    for name, df in sorted(tables.items()):
        for c in name_columns(name, df):
            found = first_not_name(df[c], good)
            if found is not None:
                row, value = found
                raise _damaged_table(paths[name], f"row {row + 1}, column {c}: "
                                     f"{quoted(value)} is not a name (chainopt writes the "
                                     f"case's names here: {SNAKE_TEXT})", AGAIN)


def check_manifest_names(manifest: dict, path: Path) -> None:
    """The names ``manifest.json`` records are names (:data:`chainopt.names.NAME_PATTERN`):
    its ``case`` and ``scenario``, the ``name`` of each scenario in its
    ``scenario_chain`` (not of the case at its root: a case folder's own name, any
    text) and the ``unit`` and ``mode`` of each of its ``blocked_modes``; else a damaged
    manifest (:func:`check_names`' reasons), naming the key and the value."""
    said: list[tuple[str, object]] = [("case", manifest.get("case"))]
    if manifest.get("scenario") is not None:
        said.append(("scenario", manifest["scenario"]))
    chain = manifest.get("scenario_chain")
    for i, e in enumerate(chain if isinstance(chain, list) else []):
        if isinstance(e, dict) and e.get("kind") == "scenario":
            said.append((f"scenario_chain[{i}].name", e.get("name")))
    blocked = manifest.get("blocked_modes")
    for i, e in enumerate(blocked if isinstance(blocked, list) else []):
        if isinstance(e, dict):
            said += [(f"blocked_modes[{i}].{k}", e.get(k)) for k in ("unit", "mode")]
    for key, value in said:
        if key == "case" and value is None:  # (a manifest without one: nothing to check)
            continue
        if not (isinstance(value, str) and _NAME.fullmatch(value)):
            raise DamagedResultsError([Problem(str(path), f"damaged manifest: {key} "
                                               f"{quoted(value)} is not a name (chainopt "
                                               f"writes one here: {SNAKE_TEXT})", AGAIN)])


def _period_rows(table: object) -> list[tuple[str, int, int]] | None:
    """(period, start_year, length_yr) of each row of a manifest's ``period_table``, or
    None if it is not the list of records chainopt writes."""
    if not isinstance(table, list):
        return None
    out = []
    for r in table:
        if not isinstance(r, dict):
            return None
        p, a, n = r.get("period"), r.get("start_year"), r.get("length_yr")
        if not (isinstance(p, str) and isinstance(a, int) and isinstance(n, int)
                and not isinstance(a, bool) and not isinstance(n, bool) and n >= 1):
            return None
        out.append((p, a, n))
    return out


def check_periods(manifest: dict, tables: dict[str, pd.DataFrame], folder: Path,
                  paths: dict[str, Path] | None = None) -> None:
    """The periods a results folder names agree, as the run wrote them: the manifest's
    ``periods`` are its ``period_table``'s, in that order, one after the other in time
    (each starts the year after the one before ends), and every ``period`` of
    ``tables`` is one of them (or blank: a total). A manifest edited by hand (its
    periods reordered or cut short) or a table row moved to another period (its
    checksum written anew) is a damaged results folder: explain read the periods' order
    from the manifest and wrote "binds in p2029-p2026"); so is a ``part_of`` that breaks
    a case's rule (:func:`chainopt.case.schema.part_of_problem`: explain named p2029-2040
    'the parts of the original p2036'). Folders written before
    ``period_table`` are checked against ``periods`` alone, and those before ``periods``
    not at all. ``paths``: each table's file, named in the message."""
    periods = manifest.get("periods")
    if periods is None:
        return
    where = str(folder)

    def damaged(what: str) -> DamagedResultsError:
        return DamagedResultsError([Problem(where, f"damaged results folder: {what} "
                                            "(edited by hand?)", AGAIN)])

    if not isinstance(periods, list) or not all(isinstance(p, str) for p in periods) \
            or len(set(periods)) != len(periods):
        raise damaged("manifest.json's periods are not a list of distinct period names")
    table = manifest.get("period_table")
    if table is not None:
        rows = _period_rows(table)
        if rows is None:
            raise damaged("manifest.json's period_table is not the record of periods "
                          "chainopt writes (period, start_year, length_yr)")
        named = [p for p, _, _ in rows]
        if named != periods:
            raise damaged(f"manifest.json lists the periods {', '.join(periods)}, but its "
                          f"period_table {', '.join(named)}")
        for (p, a, n), (q, b, _) in itertools.pairwise(rows):
            if a + n != b:
                raise damaged(f"manifest.json's period_table has {p} end in {a + n - 1} "
                              f"and {q} start in {b}")
        parts = [(r["period"], r.get("part_of")) for r in table]
        if not all(of is None or isinstance(of, str) for _, of in parts):
            raise damaged("manifest.json's period_table has a part_of that is not a name")
        wrong = part_of_problem(parts)
        if wrong:  # explain would name the parts of an original that was never split
            raise damaged(f"manifest.json's period_table: {wrong}")
    known = set(periods) | {""}
    for name, df in sorted(tables.items()):
        if "period" not in df.columns or df.empty:
            continue
        seen = pd.unique(df["period"].astype(str))
        odd = [str(p) for p in seen if str(p) not in known]
        if odd:
            file = (paths[name].name if paths and name in paths
                    else f"{name}.parquet" if name in COMPACT else f"{name}.csv")
            raise damaged(f"{file} names the period {odd[0][:40]!r}, not one of the run's "
                          f"periods ({', '.join(periods)}, manifest.json)")


def _damaged_table(path: Path, what: str, rerun: str = RERUN) -> DamagedResultsError:
    return DamagedResultsError([Problem(str(path), f"damaged results table: {what}", rerun)])


def _check_objective(manifest: dict, path: Path) -> None:
    """A recorded objective is a finite number (``1e400`` and ``NaN`` parse as JSON)."""
    v = manifest.get("objective")
    if v is None:
        return
    try:
        ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    except OverflowError:  # an integer beyond any float
        ok = False
    if not ok:
        shown = v if isinstance(v, int | float) and not isinstance(v, bool) \
            and len(str(v)) < 40 else type(v).__name__
        raise DamagedResultsError([Problem(str(path), f"damaged manifest: objective is "
                                          f"{shown}, not a finite number", RERUN)])


def rows(df: pd.DataFrame) -> Iterator[Any]:
    """``df.itertuples()``: the same named tuples (``Index`` first, then each column),
    each column's values taken out at once (``tolist``) rather than one by one. A column
    of Arrow text gives each value through a Python call of its own (about 0.4 us against
    0.06): the report of a 300k-variable run stepped through 11 million of them."""
    fields = ["Index", *df.columns]
    row: Any = collections.namedtuple("Pandas", fields, rename=True)  # type: ignore[misc]
    return map(row._make, zip(df.index.tolist(),
                              *(df.iloc[:, k].tolist() for k in range(df.shape[1])),
                              strict=True))


def commodity_units(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Each commodity's unit (``t``, ``1000m3``) from a run's ``commodities`` table; empty
    for a folder written before it."""
    com = tables.get("commodities")
    if com is None or not {"commodity", "unit"} <= set(com.columns):
        return {}
    return {str(c): u for c, u in zip(com["commodity"], com["unit"], strict=True)
            if isinstance(u, str) and u}


def check_against_kpis(manifest: dict, kpis: pd.DataFrame | None, path: Path) -> None:
    """The manifest's objective is the ``objective`` of ``kpis.csv`` (both written by the
    run, the table checksummed): a manifest edited by hand is damaged."""
    v = manifest.get("objective")
    if v is None or kpis is None or not {"kpi", "value"} <= set(kpis.columns):
        return
    row = kpis.loc[kpis["kpi"].astype(str) == "objective", "value"]
    if len(row) and not math.isclose(float(row.iloc[0]), float(v), rel_tol=1e-9,
                                     abs_tol=1e-9):
        raise DamagedResultsError([Problem(
            str(path), f"damaged manifest: objective {v!r} is not the "
            f"{float(row.iloc[0])!r} of kpis.csv (edited by hand?)", RERUN)])


def as_written(data: bytes, entry: dict) -> bytes:
    """``data``, a table file's bytes, as chainopt wrote them when their only change is
    line endings turned into CRLF (git's ``core.autocrlf=true``, the Git-for-Windows
    default, on a results folder committed to a repository): the bytes with CRLF made LF
    again if those hash to the SHA-256 ``entry`` records, else ``data`` as they are. Only
    the exact bytes chainopt wrote are accepted, and read (a newline inside a quoted
    text cell reads as written, not with its CR), so no edit passes."""
    if hashlib.sha256(data).hexdigest() == entry["sha256"] or b"\r\n" not in data:
        return data
    lf = data.replace(b"\r\n", b"\n")
    return lf if hashlib.sha256(lf).hexdigest() == entry["sha256"] else data


def _check_sha(path: Path, data: bytes, entry: dict, rerun: str = RERUN) -> None:
    """``data``, the bytes of table file ``path``, are those its ``entry`` records (a
    CSV file's with its line endings made CRLF too: :func:`as_written`)."""
    if path.suffix != ".parquet":
        data = as_written(data, entry)
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise _damaged_table(path, "not the file chainopt wrote (its SHA-256 differs from "
                             "the one recorded: cut short or edited; chainopt "
                             f"wrote {entry['rows']} rows)", rerun)


def table_files(manifest: dict, path: Path, rerun: str = RERUN) -> dict[str, dict] | None:
    """The recorded table files (:data:`TABLE_FILES`) of a results manifest or a
    comparison's record (``path``), each checked to be
    ``{"file": "<name>.csv|parquet", "rows": n, "sha256": hex}``; None for a folder
    written before they were recorded. ``rerun``: what the error tells to do."""
    files = manifest.get(TABLE_FILES)
    if files is None:
        return None

    def good(name: object, e: object) -> bool:
        return (isinstance(name, str) and _TABLE_NAME.fullmatch(name) is not None
                and isinstance(e, dict)
                and e.get("file") in (f"{name}.csv", f"{name}.parquet")
                and isinstance(e.get("rows"), int) and not isinstance(e.get("rows"), bool)
                and e["rows"] >= 0 and isinstance(e.get("sha256"), str)
                and re.fullmatch(r"[0-9a-f]{64}", e["sha256"]) is not None)

    if not isinstance(files, dict) or not all(good(n, e) for n, e in files.items()):
        raise DamagedResultsError([Problem(str(path), f"damaged {path.name}: {TABLE_FILES} "
                                          "is not the record of table files chainopt "
                                          "writes", rerun)])
    return files


def edited_tables(folder: str | Path, manifest: dict) -> list[str]:
    """The tables of a results ``folder`` whose file is no longer the one chainopt wrote:
    its bytes' SHA-256 is not the one ``manifest`` records (:data:`TABLE_FILES`)."""
    files = table_files(manifest, Path(folder) / MANIFEST) or {}
    out = []
    for name, entry in sorted(files.items()):
        p = Path(folder) / entry["file"]
        data = p.read_bytes() if p.is_file() else None
        if data is not None and p.suffix != ".parquet":
            data = as_written(data, entry)  # only its line endings made CRLF: as written
        if data is not None and hashlib.sha256(data).hexdigest() != entry["sha256"]:
            out.append(name)
    return out


#: a results folder whose tables hold this many bytes or more is read on two threads
#: (:func:`_each_in_order`); below it, one after another
THREADS_FROM_BYTES = 4_000_000


def _each_in_order(one: Callable[[str, Path], pd.DataFrame | None],
                   items: list[tuple[str, Path]]) -> Iterator[pd.DataFrame | None]:
    """``one(name, path)`` of each of ``items``, in their order; the first that raises
    (in that order) raises here, as reading them one after another would. Files of
    :data:`THREADS_FROM_BYTES` or more together are read on two threads: parsing a CSV,
    reading Parquet and hashing the bytes let go of the interpreter lock for part of
    their time (the 300k run's 23 tables, 57 MB: 0.61 -> 0.53 s)."""
    size = 0
    for _, p in items:
        with contextlib.suppress(OSError):  # (a missing file: said by ``one``)
            size += p.stat().st_size
    if size < THREADS_FROM_BYTES:
        return (one(name, p) for name, p in items)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return iter(list(pool.map(lambda item: one(*item), items)))


def read_table(path: Path, entry: dict | None, as_text: list | None,
               rerun: str = RERUN, checksum: bool = True) -> pd.DataFrame:
    """One table file, checked against its recorded ``entry`` (if any; see
    :func:`table_files`): its bytes' SHA-256 (unless not ``checksum``) and its row
    count; a CSV's ``as_text`` columns read as text and the others checked to hold
    numbers. A damaged table is an InputError naming the file, whose hint is ``rerun``."""
    data = read_bytes(path, str(path), MAX_TABLE_BYTES, what="results table")
    if checksum and entry is not None and path.suffix != ".parquet":
        data = as_written(data, entry)  # only its line endings made CRLF: as written
    # a CSV file's text first: binary or not UTF-8 is the more telling message
    text = None if path.suffix == ".parquet" else decode(data, str(path), what="results table")
    if checksum and entry is not None:
        _check_sha(path, data, entry, rerun)
    if text is None:
        try:
            df = pd.read_parquet(io.BytesIO(data))
        except (ValueError, OSError, TypeError, NotImplementedError) as exc:  # pyarrow's
            raise _damaged_table(path, " ".join(str(exc).split())[:200], rerun) from None
    else:
        try:
            df = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""],
                             dtype={str(c): str for c in as_text} if as_text is not None
                             else None)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise _damaged_table(path, str(exc).strip().splitlines()[0], rerun) from None
        if as_text is not None:
            if df.empty:  # no row to guess from
                df = df.astype({c: float for c in df.columns if c not in as_text})
            _check_numbers(path, df, as_text, rerun)
            # a blank text cell was written from "" (run's tables hold no missing text)
            texts = [c for c in as_text if c in df.columns]
            df[texts] = df[texts].fillna("")
    if entry is not None and len(df) != entry["rows"]:
        raise _damaged_table(path, f"{len(df)} rows where chainopt wrote {entry['rows']}",
                             rerun)
    return df


def floats_again(df: pd.DataFrame, but: Iterable[str] = ()) -> pd.DataFrame:
    """``df`` with its integer columns, but ``but``, as floats again: the CSV writes a
    float column of whole numbers (a tier, a price of 600) without a point, and pandas
    reads it back as integers."""
    whole = {c: np.float64 for c, d in df.dtypes.items()
             if c not in set(but) and pd.api.types.is_integer_dtype(d)}
    return df.astype(whole) if whole else df


def _check_numbers(path: Path, df: pd.DataFrame, as_text: list, rerun: str) -> None:
    """Every column not recorded as text holds numbers (or booleans, or nothing): a text
    such as ``abc`` there is a damaged table, named by row and column."""
    for c, d in df.dtypes.items():
        if c in as_text or pd.api.types.is_numeric_dtype(d) or pd.api.types.is_bool_dtype(d):
            continue
        s = df[c]
        bad = s.notna() & ~s.map(lambda v: isinstance(v, bool | int | float))
        bad &= pd.to_numeric(s.where(bad), errors="coerce").isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise _damaged_table(path, f"row {i + 1}, column {c}: {str(s.iloc[i])[:40]!r} "
                                 "is not a number", rerun)


def run_title(manifest: dict) -> str:
    """What a run is called where its results are told: its case, or its scenario and
    the case it changes (``proposal_x (scenario on ru_eastwest)``); a sweep's ``--full``
    variant says so (``toy, variant v00001 of sweep full``: :func:`variant_of`)."""
    case = str(manifest.get("case", ""))
    title = f"{manifest['scenario']} (scenario on {case})" if manifest.get("scenario") else case
    variant = variant_of(manifest)
    return f"{title}, {variant}" if variant else title


def stopped_early(manifest: dict) -> str:
    """'' or the warning of a run that stopped with a plan not proven optimal (status
    ``feasible``: a MIP stopped at its time limit, or another solver limit): where it
    stopped, its MIP gap, and what to do. Its exit code is 0 all the same (a usable
    plan): ``run``, a batch and ``compare`` print this as one of the run's warnings."""
    if manifest.get("status") != "feasible":
        return ""
    return (f"the solver stopped {stopped_at(manifest)}: not proven optimal, and a "
            "re-run may find another plan (verify and snapshot write refuse such a run); "
            "raise --time-limit to solve it to optimality")


def stopped_at(manifest: dict) -> str:
    """Where a solve with a plan not proven optimal stopped, and how far that plan may be
    from the best: ``at its time limit (0.3 s) with a plan within 0.02% of the best
    possible (MIP gap)`` (of a manifest, or of a dict with its ``solver_options``,
    ``solver_info`` and ``mip_gap``: :func:`stopped_early`, a sweep's variant)."""
    opts = manifest.get("solver_options")
    limit = opts.get("time_limit_s") if isinstance(opts, dict) else None
    info = manifest.get("solver_info")
    said = str(info.get("model_status") or "") if isinstance(info, dict) else ""
    if not said or "time" in said.lower():
        at = "its time limit" + (f" ({limit:g} s)" if isinstance(limit, int | float)
                                 and math.isfinite(limit) else "")
    else:
        at = f"a solver limit ({said})"
    gap = manifest.get("mip_gap")
    within = (f"within {gap:.2%} of the best possible (MIP gap)"
              if isinstance(gap, int | float) and math.isfinite(gap)
              else "of unknown distance from the best possible (no MIP bound)")
    return f"at {at} with a plan {within}"


def extension_of(manifest: dict) -> list[str] | None:
    """The Pyomo components the model of a run was extended with (``solver_info``'s
    ``extension``: ``api.run(..., extend=fn)`` or components added by hand); None when it
    was not extended. Such a run holds the answer of a model its case alone does not
    make, so it is no run of the case (reuse, ``verify``)."""
    info = manifest.get("solver_info")
    added = info.get("extension") if isinstance(info, dict) else None
    return [str(x) for x in added] if isinstance(added, list) else None


class KpiNotFound(InputError, KeyError):
    """A KPI :meth:`Results.kpi` was asked for that ``kpis.csv`` does not hold for the
    period asked: an InputError (exit 1) with a hint, and a KeyError, as it once was."""

    def __init__(self, name: str, period: str, kpis: pd.Series, periods: pd.Series):
        import difflib  # lazy: only when a KPI is not found

        has = sorted(set(periods[kpis == name]))
        said = f"period {period!r}" if period else "the whole horizon (period '')"
        if has:
            hint = ("it exists for " + ("the whole horizon only (period '')" if has == [""]
                                        else "periods " + ", ".join(map(repr, has))))
            twin = "cashflow_" + name.removeprefix("npv_")
            if period and name.startswith("npv_") and (kpis == twin).any():
                hint += f"; per period: {twin} (MUSD/yr)"
        else:
            near = difflib.get_close_matches(name, sorted(set(kpis)), n=1)
            hint = (f"did you mean {near[0]!r}? " if near else "") + "the KPIs are in kpis.csv"
        InputError.__init__(self, [Problem("kpi", f"no KPI {name!r} for {said}", hint)])

    __str__ = InputError.__str__


def extension_text(added: list[str], changed: list[str] | None) -> str:
    """What an extension did, for messages: ``added: a, b`` (or ``none``) and, where
    chainopt's own components were changed (``solver_info``'s ``changed``), ``changed:
    supply.purchase``."""
    text = "added: " + (", ".join(added) or "none")
    if changed:
        return text + "; changed: " + ", ".join(changed)
    return text + ("" if added else "; chainopt components changed")


def extension_summary(manifest: dict) -> str | None:
    """:func:`extension_text` of a run's manifest; None when it was not extended."""
    added = extension_of(manifest)
    if added is None:
        return None
    info = manifest["solver_info"]
    changed = info.get("changed")
    return extension_text(added, [str(x) for x in changed] if isinstance(changed, list)
                          else None)


def read_manifest(path: Path) -> dict:
    """``manifest.json`` as a mapping, or an InputError saying it is damaged."""
    text = read_text(path, str(path), MAX_JSON_BYTES, what="manifest")
    try:
        manifest = parse_json(text)
    except ValueError as exc:
        raise DamagedResultsError([Problem(str(path), f"damaged manifest, not valid JSON: "
                                          f"{exc}", RERUN)]) from None
    if not isinstance(manifest, dict):
        raise DamagedResultsError([Problem(str(path), "damaged manifest, not a JSON object",
                                          RERUN)])
    return manifest
