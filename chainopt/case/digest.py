"""A canonical hash of a case's effective inputs.

Independent of how the CSVs are formatted and of column order: every validated table
is hashed with its columns sorted by name and numbers written with 17 significant
digits (``560``, ``560.00`` and ``5.6e2`` hash alike), so a folder and the workbook
``chainopt convert`` makes of it hash alike; ``source``/``description`` columns and
spreadsheet row numbers are left out, since they do not change the model.

Row order counts: the model is built in the rows' order, so rows in another order give
the same LP with its columns in another order, and at a degenerate optimum the solver
returns another vertex. ``small_chain`` with every CSV's rows reversed has the same
objective but puts the -138 USD/t reduced cost of the unused polymer route on
``rail_east`` instead of ``port_sea``; the shipped ``proposal_asia_only`` with its rows
sorted by key keeps its objective but moves 30 MUSD from its revenue to its transport
part. Rows in another order are therefore other inputs: results
made from them are not reused, and ``verify`` says the inputs changed (exit 6), not that
the answer did (exit 5).
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from chainopt.case.schema import TABLES, Case
from chainopt.case.storage import of_case, text_storage
from chainopt.csvtext import csv_text

IGNORED = {"_row", "source", "description"}
# columns added after results were recorded: left out of a table where every row holds
# the default (what a case without the column reads), so such a case hashes as before
# the column existed and its results still verify and are reused
LATER: dict[str, dict[str, object]] = {
    "project_finance": {"inflation": 0.0, "idc": "paid"}, "tax_regimes": {"inflation": 0.0},
    "market_groups": {"commodities": ""}}
# blanks hashed as the value the column took for a blank before it kept the blank: a
# site's coordinates (blank was 0°, 0°; the map alone reads them), so such a case hashes
# as before and its results still verify and are reused
BLANK_WAS = {"sites": {"lat_deg": 0.0, "lon_deg": 0.0}}


def _canonical(df: pd.DataFrame, key: list[str] | None = None,
               later: dict[str, object] | None = None) -> str:
    """A table's rows, in their order (``key``: sorted by it), with its columns sorted by
    name; a column of ``later`` (added since) left out if every row holds its default."""
    unused = {c for c, v in (later or {}).items() if c in df and (df[c] == v).all()}
    cols = sorted(c for c in df.columns if c not in IGNORED | unused)
    if df.empty:
        return ",".join(cols)
    d = df[cols].sort_values(key, kind="stable") if key else df[cols]
    return csv_text(d, float_format="%.17g")  # the bytes of to_csv, faster


def same_inputs(case: Case, recorded: object) -> bool:
    """``case`` hashes to ``recorded``, or to the hash chainopt recorded before row order
    counted (rows sorted by key: :func:`case_hash` with ``rows_by_key``), so that results
    folders and sweeps written before still verify and resume, as they did then (that
    hash made only when the first differs)."""
    return recorded == case_hash(case) or recorded == case_hash(case, rows_by_key=True)


def case_hash(case: Case, rows_by_key: bool = False) -> str:
    """SHA-256 of the effective inputs of ``case`` (hex); ``rows_by_key``: the hash of
    chainopt before row order counted (each table's rows sorted by its key)."""
    h = hashlib.sha256()
    with text_storage(of_case(case)):  # the tables' text as the case keeps it: no copy
        for _, head, body in _parts(case, rows_by_key):
            h.update(head)
            h.update(body)
    return h.hexdigest()


def case_digests(case: Case, made: tuple[str, dict[str, str]] | None = None
                 ) -> tuple[str, dict]:
    """:func:`case_hash` of ``case`` and, from the same bytes in one pass, its parts'
    own digests (16 hex digits each): ``{"tables": {file: digest}, "files": [{"path",
    "digest"}, ...]}``. ``tables`` holds ``case.yaml`` (the case's settings) and each
    table that has rows by the file it is read from (``markets.csv``,
    ``markets_by_period.csv``), each in the canonical form the hash reads (so ``560`` ->
    ``560.00`` or CRLF changes no digest, as they change no hash); ``files`` the scenario
    files of its chain, root first, by the digest of what each says
    (:func:`scenario_digest`). A results folder or snapshot records them so that inputs
    that no longer hash the same are told by name (:func:`changed_parts`). ``made``:
    :func:`table_digests` of the case, made before (a run's model keeps them)."""
    digest, tables = table_digests(case) if made is None else made
    files = [{"path": str(e.get("path")), "digest": e["digest"]}
             for e in case.raw.scenario_chain
             if e.get("kind") == "scenario" and isinstance(e.get("digest"), str)]
    return digest, {"tables": dict(tables), "files": files}


def table_digests(case: Case) -> tuple[str, dict[str, str]]:
    """:func:`case_hash` of ``case`` and each part's own digest, by file: what
    :func:`case_digests` makes of the case's content (its settings and tables, not the
    scenario files it came from)."""
    h = hashlib.sha256()
    tables = {}
    with text_storage(of_case(case)):  # (as in case_hash)
        for label, head, body in _parts(case):
            h.update(head)
            h.update(body)
            tables[label] = hashlib.sha256(body).hexdigest()[:16]
    return h.hexdigest(), tables


def scenario_digest(name: str, base: str, changes: object) -> str:
    """The digest (16 hex digits) of what a scenario file says: its name, base and
    changes as read (a comment, a description or ``0.10`` -> ``0.1000`` change none)."""
    text = json.dumps({"name": name, "base": base, "changes": changes}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _parts(case: Case, rows_by_key: bool = False):
    """(file, head, body) of each part of the hash in its order: the settings of
    ``case.yaml`` (their JSON as body), then each table with rows, its ``#name`` line as
    head and its canonical text as body."""
    meta = case.meta.model_dump(mode="json")
    meta.pop("description", None)
    for p in meta["periods"]:  # a period of its own hashes as before part_of existed
        if p.get("part_of") is None:
            p.pop("part_of", None)
    yield "case.yaml", b"", json.dumps(meta, sort_keys=True).encode()
    for name in sorted(case.tables):
        df = case.tables[name]
        if df.empty:
            continue
        if name in BLANK_WAS:
            df = df.fillna({c: v for c, v in BLANK_WAS[name].items() if c in df.columns})
        yield (f"{name}.csv", f"\n#{name}\n".encode(),
               _canonical(df, list(TABLES[name].key) if rows_by_key else None,
                          LATER.get(name)).encode())
    for name in sorted(case.by_period):
        df = case.by_period[name]
        if df.empty:
            continue
        yield (f"{name}_by_period.csv", f"\n#{name}_by_period\n".encode(),
               _canonical(df, [*TABLES[name].key, "period"] if rows_by_key else None
                          ).encode())


def changed_files(recorded: object, now: dict) -> list[str] | None:
    """The parts (``case.yaml``, ``markets.csv``, ...) whose digests differ between
    ``recorded`` and ``now`` (as :func:`case_digests` made them), case.yaml first; None
    when ``recorded`` holds no digests, or a scenario file of the chain differs (what it
    says is not a table: :func:`changed_parts` names it)."""
    if not (isinstance(recorded, dict) and isinstance(recorded.get("tables"), dict)
            and isinstance(recorded.get("files", []), list)):
        return None
    was = [e.get("digest") if isinstance(e, dict) else None for e in recorded.get("files", [])]
    if was != [e["digest"] for e in now["files"]]:
        return None
    old, new = recorded["tables"], now["tables"]
    return [f for f in sorted({*old, *new}, key=_order) if old.get(f) != new.get(f)]


def changed_parts(recorded: object, now: dict, chain: object, source: str,
                  by: str = "the run") -> str | None:
    """What differs between the digests a run recorded (``recorded``, as
    :func:`case_digests` made them) and those of its inputs ``now``, in words: the tables
    (by file) that differ, and of which case or scenario file: with every scenario file
    of the chain as the run had it, the tables are the base case's
    (``markets.csv of case_a/ (case folder)``; of a case workbook, its sheets: ``sheet
    markets of the base case t1.xlsx (case workbook)``); an edited scenario file is
    named, with the tables of the effective case it now changes; of a plain case,
    ``supplies.csv of <source>`` (``sheet supplies of t1.xlsx``). ``by``: what recorded
    them (``the run``, ``the sweep``), as the words name it. ``""`` when nothing differs
    (the hash recorded beside them was edited, not the data); None when ``recorded``
    holds no digests (written before they were recorded, or not chainopt's)."""
    if not (isinstance(recorded, dict) and isinstance(recorded.get("tables"), dict)
            and isinstance(recorded.get("files", []), list)):
        return None
    root = chain[0] if isinstance(chain, list | tuple) and chain else None
    root = root if isinstance(root, dict) and root.get("kind") == "case" else None
    workbook = _workbook(root.get("path") if root is not None and not root.get("embedded")
                         else source)
    old, new = recorded["tables"], now["tables"]
    tables = [_label(f, workbook) + (" (new)" if f not in old else " (now empty or gone)"
                                     if f not in new else "")
              for f in sorted({*old, *new}, key=_order) if old.get(f) != new.get(f)]
    was = [e.get("digest") if isinstance(e, dict) else None for e in recorded.get("files", [])]
    files = now["files"]
    if len(was) != len(files):
        edited = [f"the chain of scenario files (now {len(files)}, {by} had {len(was)})"]
    else:
        edited = [e["path"] for e, d in zip(files, was, strict=True) if e["digest"] != d]
    if not tables and not edited:
        return ""
    many = len(edited) > 1
    if edited:
        return (f"{', '.join(edited)} (what {'they say differs' if many else 'it says differs'}"
                f" from what {by} read" + (f"; tables of the effective case now differing: "
                                           f"{', '.join(tables)}" if tables else "") + ")")
    if root is not None and files:
        path = str(root.get("path") or root.get("name"))
        base = (f"{root.get('name')} (embedded case)" if root.get("embedded")
                else f"{path} (case workbook)" if workbook
                else f"{path.rstrip('/')}/ (case folder)")
        paths = ", ".join(e["path"] for e in files)
        many = len(files) > 1
        return (f"{', '.join(tables)} of the base case {base} (the scenario "
                f"file{'s' if many else ''} {paths} {'are' if many else 'is'} as {by} "
                f"had {'them' if many else 'it'})")
    return f"{', '.join(tables)} of {source}"


def _workbook(path: object) -> bool:
    """A case workbook's path (``.xlsx``: :func:`chainopt.case.excel.is_workbook`)."""
    return str(path or "").lower().endswith(".xlsx")


def _label(part: str, workbook: bool) -> str:
    """A part of the hash as its case names it: the file of a case folder
    (``markets.csv``, ``case.yaml``), the sheet of a case workbook (``sheet markets``,
    ``sheet case``: :mod:`chainopt.case.excel` names each sheet by the CSV's stem)."""
    if not workbook:
        return part
    return f"sheet {'case' if part == 'case.yaml' else part.removesuffix('.csv')}"


def _order(label: str) -> tuple[int, str]:
    """case.yaml first, then the tables by file name."""
    return (label != "case.yaml", label)
