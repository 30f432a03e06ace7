"""Scenario overlays: small YAML files that change a case, and the projects they switch.

A scenario names its ``base`` (a case folder or workbook, an embedded case name, or another
scenario file: chains are allowed, cycles are rejected) and a list of ``changes``
applied in order to the base's RAW inputs (:class:`~chainopt.case.schema.RawCase`:
the ``case.yaml`` mapping plus string tables). The result is validated from scratch
into a new :class:`~chainopt.case.schema.Case`; the base is never mutated.

.. code-block:: yaml

    name: small_high_prices           # optional, snake_case; default: the file name
    description: Polymer prices +20 %, crude +10 %, a carbon price from 2031
    base: small_chain                 # folder (relative to this file, else to the working
                                      # directory), else an embedded case; or another *.yaml
    changes:
      - table: supplies               # value changes in the rows selected by `where`
        where: {commodity: crude}     # column: value or [values]; omitted: every row
        scale: {cost_usd_per_unit: 1.1}
      - table: markets
        where: {commodity: [hdpe, pp]}
        add: {price_usd_per_unit: 50}         # add to the value
      - table: markets
        where: {site: chn, commodity: hdpe}
        period: p2036                 # only this period (or a list): -> markets_by_period
        set: {price_usd_per_unit: 1150}
      - table: policies
        where: {commodity: co2}
        set: {carbon_price_usd_per_unit: {p2031: 25, p2036: 50}}   # a path by period
      - table: links
        add_rows:
          - {link: rail_east_2, from_site: tobolsk, to_site: nakhodka, commodities: hdpe}
      - table: markets
        remove_rows: {site: chn, commodity: pp}
      - project: far_east_port        # switch a model project
        state: forced                 # off | optional | forced
        period: p2031                 # the build period of a forced project
      - case: {discount_rate: 0.08}   # keys of case.yaml
      - split: p2031                  # a period in two: p2031 = 2031-2032, p2033 =
        at: 2033                      # 2033-2035 (name: optional, default p<at>)

Semantics. ``set``/``scale``/``add`` without ``period`` change the value in every
period: the table's default column, and for a period-varying column also its
overrides in ``<table>_by_period`` (``set`` clears them, ``scale``/``add`` apply to
them too). With ``period`` (or a value given as ``{period: value}``) only those
periods change, written as overrides. A blank (unlimited) value stays unlimited
under ``scale`` and ``add``. Values are in the units of the row (``stated_unit``).

Names are names, never paths: the scenario name (or the file name standing in for it)
must be snake_case (:mod:`chainopt.names`). The file is read by the bounded YAML reader
(:mod:`chainopt.safe_yaml`); a chain of bases deeper than :data:`MAX_CHAIN` is an error.

Every change must do something: a selector that matches no row (or lists a value no row
holds), a column or table that does not exist, an unknown project or period is an error
naming the scenario file and the change (``changes[2]``, counted from 0), with a "did
you mean" hint (else the values the column holds, and any character outside ASCII).
So is a change that would silently do nothing or everything: a blank ``where:``, a
blank or empty ``period:`` (or a value by period ``{}``), an
empty ``remove_rows``, a ``scale``/``add`` of blank cells only, and a removed row that
rows of the result still name (refused at the change that removed it, once every change
applied). Each value a change writes (``set``, the result of ``scale``/``add``, a
cell of ``add_rows``, a ``case`` key) gets the checks a cell of its file gets
(:func:`~chainopt.case.validate.check_cells`; names against the tables as they are when
the change applies) and is refused at the change, its row named by its key
(``markets.csv row chn/hdpe/1``), not at a row of the effective case, which no file
holds. ``add_rows`` and ``remove_rows`` add or remove whole rows in every period: they
take no ``where`` or ``period``. All such problems are collected before stopping.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from chainopt.atomic import KINDS, is_chainopt_folder, read_record
from chainopt.case.digest import scenario_digest
from chainopt.case.excel import OTHER_SPREADSHEETS, is_workbook, sheet_words, workbook_words
from chainopt.case.load import (
    case_argument,
    embedded_cases,
    load_case,
    near_case,
    near_scenario,
    read_raw,
    shown,
)
from chainopt.case.schema import (
    BY_PERIOD,
    FALSE_TEXTS,
    IN_MEMORY,
    MAX_MAGNITUDE,
    PROJECT_STATES,
    TABLES,
    TRUE_TEXTS,
    Case,
    CaseMeta,
    RawCase,
    split_list,
)
from chainopt.case.validate import (
    check_cells,
    check_meta,
    closest,
    key_sets,
    name_hint,
    odd_note,
    quoted,
    validate,
    visible,
)
from chainopt.errors import InputError, Problem, shell_word
from chainopt.names import RULE_TEXT, is_name
from chainopt.safe_yaml import read_yaml
from chainopt.textfile import check_regular

SCENARIO_KEYS = ("name", "description", "base", "changes")
MAX_CHAIN = 32  # scenario bases followed at most (a longer chain is an error)
MAX_CHANGES = 2_000  # changes in one scenario file (each is applied in turn)
VALUE_OPS = ("set", "scale", "add")
CHANGE_KEYS = {
    "table": ("table", "where", "period", "set", "scale", "add", "add_rows", "remove_rows",
              "note"),
    "project": ("project", "state", "period", "note"),
    "case": ("case", "note"),
    "split": ("split", "at", "name", "note"),
}


def is_scenario_path(source: object) -> bool:
    """True for a path ending in .yaml/.yml that is not a case's ``case.yaml``."""
    if source is None or not isinstance(source, str | Path):
        return False
    p = Path(source)
    return p.suffix.lower() in (".yaml", ".yml") and p.name != "case.yaml"


@dataclass(frozen=True)
class Scenario:
    """One scenario file as read (not yet applied)."""

    name: str
    description: str
    base: str
    changes: tuple[dict, ...]
    path: Path
    named: bool = True  # False: no ``name:`` key, the file name is the name

    @property
    def label(self) -> str:
        return shown(self.path)


def name_where(label: str, named: bool = True) -> str:
    """Where a scenario's name is given, for messages: its ``name`` key, or (``named``
    False: no such key) its file name."""
    return f"{label} key name" if named else f"{label} file name (the default scenario name)"


def read_scenario(path: str | Path) -> Scenario:
    """Read and shape-check one scenario YAML file."""
    path = Path(path)
    label = shown(path)
    if not path.exists():
        raise InputError([Problem(label, "no such scenario file",
                                  near_scenario(path) or "give the path of a .yaml "
                                  "scenario file")])
    doc = read_yaml(path, label)
    if not isinstance(doc, dict):
        raise InputError([Problem(label, "a scenario must be a mapping with keys "
                                  f"{', '.join(SCENARIO_KEYS)}")])
    problems = [Problem(f"{label} key {k}", "unknown key",
                        closest(str(k), SCENARIO_KEYS) or f"known keys: {', '.join(SCENARIO_KEYS)}")
                for k in doc if k not in SCENARIO_KEYS]
    if not doc.get("base"):
        problems.append(Problem(f"{label} key base", "missing",
                                "name the case folder, embedded case or scenario file it "
                                "changes"))
    changes = doc.get("changes") or []
    if not isinstance(changes, list):
        problems.append(Problem(f"{label} key changes", "must be a list of changes"))
        changes = []
    elif len(changes) > MAX_CHANGES:  # each is applied in turn: bound the time a file takes
        problems.append(Problem(f"{label} key changes", f"{len(changes):,} changes, at most "
                                f"{MAX_CHANGES:,} in one file",
                                "change whole columns with one selector, or split the file "
                                "into a chain of scenarios"))
        changes = []
    name = doc.get("name") or path.stem
    if not is_name(name):
        problems.append(Problem(name_where(label, bool(doc.get("name"))),
                                f"{quoted(name)} is not a valid scenario name",
                                f"{name_hint(name)}; use {RULE_TEXT}; a name is never a path"))
    if problems:
        raise InputError(problems)
    return Scenario(name=str(name), description=str(doc.get("description") or ""),
                    base=str(doc["base"]), changes=tuple(changes), path=path,
                    named=bool(doc.get("name")))


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for a path the system cannot even look up (too long, a
    NUL byte): a base written in a scenario is input, never trusted."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _resolve_base(sc: Scenario) -> tuple[str, Path | str]:
    """('scenario', path) or ('case', folder, workbook or embedded name) for a scenario's
    base. A case workbook (``.xlsx``) is a case as its folder is: the scenario's changes
    apply to the tables read from it (an ``.xlsm`` or ``.xls`` file is taken too, for
    :func:`~chainopt.case.load.read_raw` to say to save it as ``.xlsx``)."""
    base = sc.base
    here = sc.path.parent / base
    for kind, what, wanted in (
            ("case", "case workbook",
             is_workbook(base) or Path(base).suffix.lower() in OTHER_SPREADSHEETS),
            ("scenario", "scenario file", is_scenario_path(base))):
        if not wanted:
            continue
        for cand in (here, Path(base)):
            if _is_file(cand):
                return kind, cand
            check_regular(cand, f"{sc.label} key base", what, f"'{base}'")
        raise InputError([Problem(f"{sc.label} key base", f"{what} '{base}' not found",
                                  f"looked in {shown(sc.path.parent)} and the working "
                                  "directory")])
    for cand in (here, Path(base)):
        if _is_file(cand / "case.yaml"):
            return "case", cand
        if cand.name == "case.yaml" and _is_file(cand):
            return "case", cand.parent
    if base in embedded_cases():
        return "case", base
    raise InputError([Problem(f"{sc.label} key base", f"no case folder, embedded case or "
                              f"scenario file '{base}'",
                              near_case(base, sc.path.parent) or "give a folder holding "
                              "case.yaml, an embedded case name or a .yaml scenario file")])


def _case_entry(source: Path | str) -> dict:
    if isinstance(source, str):
        folder = Path(str(resources.files("chainopt.data") / source))
        return {"kind": "case", "name": source, "path": str(folder), "embedded": True}
    return {"kind": "case", "name": source.resolve().name, "path": shown(source)}


def chain_text(chain: object) -> str:
    """A chain of bases as ``validate`` and ``show`` print it, root first: a scenario by
    its path, an embedded case as ``small_chain (embedded case)``, a case folder by its
    path, ``sc/ (case folder)``, a case workbook as ``t1.xlsx (case workbook)``: a folder
    beside the scenario or in the working directory
    is taken before an embedded case of its name (:func:`_resolve_base`), so the line
    says which one ran."""
    parts = []
    for e in chain if isinstance(chain, list | tuple) else ():
        if e.get("kind") == "scenario":
            parts.append(str(e.get("path")))
        elif e.get("embedded"):
            parts.append(f"{e.get('name')} (embedded case)")
        elif is_workbook(e.get("path")):
            parts.append(f"{e.get('path')} (case workbook)")
        else:
            parts.append(f"{str(e.get('path') or e.get('name')).rstrip('/')}/ (case folder)")
    return " -> ".join(parts)


def resolve_chain(path: str | Path, _seen: tuple[Path, ...] = (),
                  _raws: list[tuple[str, RawCase]] | None = None
                  ) -> tuple[RawCase, RawCase, list[dict]]:
    """Apply a scenario and its bases: (raw of its base, its effective raw, chain root first).
    ``_raws`` collects (label, effective raw) of each scenario of the chain, root first."""
    sc = read_scenario(path)
    key = sc.path.resolve()
    if len(_seen) >= MAX_CHAIN:  # blamed on the file run: the deepest one is fine
        found = len(_seen) + 1
        exact = _resolve_base(sc)[0] == "case"
        run = shown(_seen[0])
        raise InputError([Problem(f"{run} key base", f"the chain of scenario bases is "
                                  f"deeper than {MAX_CHAIN} files: {'' if exact else 'at least '}"
                                  f"{found} from {run} down to {sc.label}"
                                  + ("" if exact else " (and more below it)"),
                                  "base a scenario on a case or a shorter chain: merge the "
                                  "changes of some of its files into one")])
    if key in _seen:
        cycle = " -> ".join(shown(p) for p in (*_seen, key))
        raise InputError([Problem(f"{sc.label} key base", f"scenario bases form a cycle: "
                                  f"{cycle}", "a chain of bases must end at a case")])
    kind, base = _resolve_base(sc)
    if kind == "scenario":
        _, base_raw, chain = resolve_chain(base, (*_seen, key), _raws)
    else:
        base_raw = read_raw(base)
        chain = [_case_entry(base)]
    try:
        effective = apply_changes(base_raw, sc)
    except InputError as exc:
        if not is_workbook(chain[0]["path"]):
            raise
        raise InputError([Problem(p.where, sheet_words(p.message),
                                  sheet_words(p.hint) if p.hint else p.hint)
                          for p in exc.problems]) from None
    chain = [*chain, {"kind": "scenario", "name": sc.name, "named": sc.named,
                      "path": sc.label, "description": sc.description,
                      "digest": scenario_digest(sc.name, sc.base, list(sc.changes))}]
    effective = dataclasses.replace(effective, scenario_chain=tuple(chain))
    if _raws is not None:
        _raws.append((sc.label, effective))
    return base_raw, effective, chain


def apply_scenario(path: str | Path) -> Case:
    """The validated Case of a scenario file (its chain of bases applied in order). A
    problem of the effective case that the effective case of a base scenario already has
    is said at the first such base (the file whose changes made it), ``v3.yaml
    (effective case, base of v4.yaml) markets.csv row ...``: the file run changed
    something else."""
    raws: list[tuple[str, RawCase]] = []
    _, raw, chain = resolve_chain(path, _raws=raws)
    try:
        return _validated(raw, chain[-1]["path"])
    except InputError as exc:
        if len(raws) < 2:
            raise
        run = chain[-1]["path"]
        tag = f"{run} (effective case) "
        earlier: list[tuple[str, set[tuple[str, str]]]] = []
        for label, base_raw in raws[:-1]:
            try:
                _validated(base_raw, label)
                had: set[tuple[str, str]] = set()
            except InputError as base_exc:
                own = f"{label} (effective case) "
                had = {(p.where.removeprefix(own), p.message) for p in base_exc.problems}
            earlier.append((label, had))
        problems = []
        for p in exc.problems:
            key = (p.where.removeprefix(tag), p.message)
            first = next((label for label, had in earlier if key in had), None)
            problems.append(p if first is None else Problem(
                f"{first} (effective case, base of {run}) {key[0]}", p.message, p.hint))
        raise InputError(problems) from None


def _validated(raw: RawCase, label: str) -> Case:
    """``validate(raw)`` for the effective case of scenario ``label``: problems at the
    rows' keys (:func:`_by_key`), as no file holds the effective tables."""
    try:
        return validate(raw)
    except InputError as exc:
        raise InputError([Problem(f"{label} (effective case) {_said(raw, p.where)}",
                                  _said(raw, p.message), _said(raw, p.hint))
                          for p in exc.problems]) from None


def change_case(case: Case, changes: object, name: str) -> Case:
    """``case`` with ``changes`` applied and validated: a scenario file's ``changes``
    list held in memory, named ``name``, checked as a file's is (the same messages, at
    ``<name> (in memory) changes[i]``). Its entry in the case's chain keeps the changes
    themselves (``in_memory``: true), so that a saved run's manifest records them and
    ``verify`` applies them again to the recorded source (:func:`recorded_changes`)."""
    label = f"{name} (in memory)"
    problems = []
    if not is_name(name):
        problems.append(Problem(f"{label}: name", f"{quoted(name)} is not a valid scenario name",
                                f"{name_hint(name)}; use {RULE_TEXT}; a name is never a path"))
    try:  # plain YAML values only (the manifest records them), and a copy of its own
        plain = json.loads(json.dumps(changes, allow_nan=False))
    except (TypeError, ValueError) as exc:
        problems.append(Problem(f"{label}: changes", f"not plain data ({exc})",
                                "give a list of mappings of str, numbers, bools, None, "
                                "lists and mappings, as a scenario file holds"))
        plain = []
    if not isinstance(plain, list):
        problems.append(Problem(f"{label}: changes", "must be a list of changes",
                                "e.g. [{'table': 'markets', 'where': {'commodity': 'hdpe'}, "
                                "'scale': {'price_usd_per_unit': 1.2}}]"))
    elif len(plain) > MAX_CHANGES:
        problems.append(Problem(f"{label}: changes", f"{len(plain):,} changes, at most "
                                f"{MAX_CHANGES:,} in one scenario", "change whole columns "
                                "with one selector"))
    if len(recorded_changes(case.raw.scenario_chain)) >= MAX_CHAIN:
        problems.append(Problem(f"{label}: case", f"already changed in memory {MAX_CHAIN} "
                                "times, one on another: at most as deep as a chain of "
                                "scenario files", "put the changes in one list"))
    if problems:
        raise InputError(problems)
    sc = Scenario(name=name, description="", base=case.name, changes=tuple(plain),
                  path=Path(label))
    raw = apply_changes(case.raw, sc)
    root = case.raw.scenario_chain or ({"kind": "case", "name": case.name,
                                        "path": case.origin},)
    raw = dataclasses.replace(raw, scenario_chain=(*root, {
        "kind": "scenario", "name": name, "path": label, IN_MEMORY: True,
        "changes": plain}))
    return _validated(raw, label)


def recorded_changes(chain: object) -> list[tuple[str, object]]:
    """(name, changes) of the scenarios held in memory at the end of a recorded chain
    (a manifest's ``scenario_chain``), in the order they were applied; [] if none; at
    most ``MAX_CHAIN`` of them, as a chain of files."""
    out: list[tuple[str, object]] = []
    if isinstance(chain, list | tuple):
        for entry in reversed(chain):
            if not (isinstance(entry, dict) and entry.get(IN_MEMORY) is True):
                break
            out.append((str(entry.get("name")), entry.get("changes")))
    if len(out) > MAX_CHAIN:  # as a chain of scenario files (a manifest may be anyone's)
        raise InputError([Problem("manifest.json: scenario_chain", f"{len(out)} changes made "
                                  f"in memory one on another, at most {MAX_CHAIN}",
                                  "restore the folder as chainopt wrote it")])
    return out[::-1]


_CSV_ROWS = re.compile(r"\b([a-z_]+)\.csv (rows?) (\d+(?:, \d+)*)")


def _by_key(raw: RawCase, text: str, sheet: bool = False) -> str:
    """``markets.csv row 3`` in a message about the effective case ``raw`` said with the
    row's key, ``markets.csv row b/fuel/1`` (``/period`` for an override; ``sheet
    markets, row b/fuel/1`` for a ``sheet`` of a workbook): the effective tables are in
    no file, so their row numbers (header = row 1) point at no line the user can open
    once a scenario has added or removed rows."""
    def by_key(m: re.Match) -> str:
        name = m[1]
        base = name.removesuffix(BY_PERIOD)
        df = raw.tables.get(name)
        at = [int(n) - 2 for n in m[3].split(", ")]
        if df is None or base not in TABLES or not all(0 <= i < len(df) for i in at):
            return m[0]
        key = (*TABLES[base].key, "period") if name != base else TABLES[base].key
        keys = _key_series(df.iloc[at], key, TABLES[base].column_map)
        return (f"sheet {name}, " if sheet else f"{name}.csv ") + f"{m[2]} {', '.join(keys)}"
    return _CSV_ROWS.sub(by_key, text)


def _said(raw: RawCase, text: str) -> str:
    """A message about the effective case ``raw`` of a scenario with its rows by key
    (:func:`_by_key`), and, when the chain's case is a workbook, its tables as the
    sheets (:func:`chainopt.case.excel.sheet_words`): ``sheet markets, row b/fuel/1``."""
    chain = raw.scenario_chain
    if chain and is_workbook(chain[0].get("path")):
        return sheet_words(_by_key(raw, text, sheet=True))
    return _by_key(raw, text)


def located_warnings(case: Case, texts: list[str]) -> list[str]:
    """Warnings about ``case`` with each ``x.csv row N`` said where the user finds the
    row: by the row's key (:func:`_by_key`) when the case is a scenario's, whose tables
    are the effective ones, in no file, whose row numbers point at other lines of the
    base's file once a change removed or added rows; at the sheet and row of the
    workbook a case was read from (``market_groups!7:7``, each table file as its sheet:
    :func:`chainopt.case.excel.workbook_words`), whose rows are not the CSV's once a
    blank row stands above the data; as they are for a case folder, whose rows are its
    files'. The one place every case warning (``api.case_warnings``,
    ``BuiltModel.input_warnings``: validate, run, compare, sweep, the manifest) is said."""
    raw = case.raw
    if raw.scenario_chain:
        return [_said(raw, t) for t in texts]
    if raw.locations:
        return [workbook_words(t, raw.locations) for t in texts]
    return texts


def load_source(source: str | Path | None) -> Case:
    """A case folder, embedded case name, ``None`` (default case) or scenario file -> Case;
    a source that is none of them whatever it holds (:func:`not_a_source`) is refused
    first."""
    if source is not None and is_scenario_path(source):
        return apply_scenario(source)
    problem = not_a_source(source)
    if problem is not None:
        raise InputError([problem])
    return load_case(source)


#: words that are a flag's value, not a case (``chainopt run small_chain --overwrite
#: true``: a flag takes no value, so ``true`` was run as a second case of a batch)
FLAG_VALUES = ("true", "false", "yes", "no")


def is_flag_value(word: object) -> bool:
    """``word`` is written as a flag's value is (:data:`FLAG_VALUES`, in any case) and no
    file or chainopt folder of that name is there (a case folder really named ``yes`` is
    one, as is a results folder named ``true``; a plain folder ``true`` an earlier ``--out
    true`` made is not: ``run --excel true small_chain`` there said "true: no case.yaml
    in this folder" and solved small_chain with --excel)."""
    text = str(word)
    return text.strip().lower() in FLAG_VALUES and not (
        Path(text).is_file() or is_chainopt_folder(text))


def flag_value(word: str, flag: str | None = None, other: str | None = None,
               what: str = "a case or scenario") -> Problem:
    """The problem of ``word`` (:func:`is_flag_value`), read where ``what`` is read: a
    flag's value. ``flag``: the flag written just before it, which only the command line
    knows (:func:`chainopt.cli.flag_before`, whatever the word would have been read as),
    named with ``other``, what its other form does: "write --excel alone, not --excel no
    (--no-excel turns it off)"; else the rule in general, "(write --flag, not --flag
    no)": ``chainopt validate Yes`` has no flag at all, and ``--overwrite`` (the only one
    named before) is not every command's."""
    if flag:
        return Problem(word, f"a flag's value: {flag} takes no value",
                       f"write {flag} alone, not {flag} {word}"
                       + (f" ({other})" if other else ""))
    return Problem(word, f"a flag's value, not {what}: flags take no value",
                   f"write a flag alone (--flag, not --flag {word})")


def refuse_flag_value(word: object, what: str) -> None:
    """Raise the InputError of :func:`flag_value` if ``word``, read where ``what`` is read
    (a scenario file, a results folder), is a flag's value (:func:`is_flag_value`), as a
    source is refused (:func:`not_a_source`)."""
    if word is not None and is_flag_value(word):
        raise InputError([flag_value(str(word), what=what)])


def not_a_source(source: object) -> Problem | None:
    """What ``source``, given where a case or scenario is read, is instead, found before
    anything is read or solved; None when it may be one. A word that is a flag's value
    (:func:`is_flag_value`): flags take no value (:func:`flag_value`). A results folder
    (``chainopt run``'s: manifest.json, no case.yaml; one named like an embedded case is
    that case, :func:`~chainopt.case.load.resolve_case_path`): its source is given
    instead, as its manifest records it (key ``source``) and found on this machine
    (:func:`recorded_source`): an embedded case by its name, a path relative to the
    working directory when inside it. It was "no case.yaml in this folder", which says
    nothing of what to give."""
    if source is None or not isinstance(source, str | Path) or is_scenario_path(source):
        return None
    text, path = str(source), Path(source)
    if is_flag_value(text):
        return flag_value(text)
    if text in embedded_cases() or (path / "case.yaml").exists():
        return None
    if is_chainopt_folder(path, "sweep"):
        return _a_sweep(text, read_record(path / KINDS["sweep"][0]))
    if is_chainopt_folder(path, "sensitivity"):
        return _a_sensitivity(text, read_record(path / "sensitivity.json"))
    if is_chainopt_folder(path, "comparison"):
        return _a_comparison(text, path)
    if not is_chainopt_folder(path, "results"):
        return None
    manifest = read_record(path / KINDS["results"][0])
    src = recorded_source(manifest)
    if "variant" in manifest:
        return _a_variant(text, manifest, src)
    give = (f"give the source it was run from, {typed(src)} (its "
            "manifest.json, key source)" if src else "give the case or scenario it was run "
            "from")
    return Problem(text, "a results folder (written by chainopt run), not a case or "
                   "scenario", give)


def typed(src: str) -> str:
    """A recorded source as the user would type it: an embedded case by its name
    (:func:`~chainopt.case.load.case_argument`), else the path relative to the working
    directory when inside it (:func:`~chainopt.case.load.shown`). The name first: the
    embedded case's folder shown relative to the project root read
    ``chainopt/data/small_chain``."""
    return shown(Path(case_argument(src)))


def _a_sweep(text: str, record: dict) -> Problem:
    """:func:`not_a_source` of a sweep folder (``chainopt run sweep-small_chain``: "no
    case.yaml in this folder"): the source it varies, as its sweep.json records it (the
    path as found when it started, else as typed) and found on this machine."""
    said = record.get("source_abs") or record.get("source")
    src = (found_here(said) or said) if isinstance(said, str) else None
    return Problem(text, "a sweep folder (written by chainopt sweep), not a case or "
                   "scenario", f"give the source it varies, {typed(src)} "
                   "(its sweep.json, key source); a variant of it is that source with the "
                   "variant's settings (its kpis.csv)" if src else "give the case or "
                   "scenario it varies")


def _a_sensitivity(text: str, record: dict) -> Problem:
    """:func:`not_a_source` of a sensitivity folder (``chainopt run
    sensitivity-small_port_expansion-far_east_port``: "no case.yaml in this folder"):
    the source whose project it tests, as its sensitivity.json records it (key
    ``source``) and found on this machine."""
    said = record.get("source")
    src = (found_here(said) or said) if isinstance(said, str) else None
    return Problem(text, "a sensitivity folder (written by chainopt sensitivity), not a case "
                   "or scenario", f"give the source whose project it tests, "
                   f"{typed(src)} (its sensitivity.json, key source)"
                   if src else "give the scenario whose project it tests")


def _a_comparison(text: str, folder: Path) -> Problem:
    """:func:`not_a_source` of a comparison folder (``chainopt run
    compare-small_chain-vs-small_port_expansion``: "no case.yaml in this folder"): the
    sources it compares, each as the results folder beside it (``compare`` writes them
    into the same ``--out``) records it (manifest.json, key ``source``), in the order of
    its comparison.md's title (``# Comparison: small_chain, small_port_expansion``, the
    base first); a name whose results folder is not there is left out."""
    try:
        with (folder / KINDS["comparison"][0]).open(encoding="utf-8") as fh:
            title = fh.read(4096).split("\n", 1)[0].removeprefix("# Comparison:")
    except (OSError, ValueError):
        title = ""
    sources = []
    for run in (n.strip() for n in title.split(",")):
        if is_name(run) and is_chainopt_folder(folder.parent / run, "results"):
            src = recorded_source(read_record(folder.parent / run / KINDS["results"][0]))
            if src:
                sources.append(typed(src))
    what = "a comparison folder (written by chainopt compare), not a case or scenario"
    if not sources:
        return Problem(text, what, "give one of the cases or scenarios it compares")
    return Problem(text, what, f"give one of the sources it compares, {' or '.join(sources)} "
                   "(the results folders beside it, manifest.json, key source)")


def _a_variant(text: str, manifest: dict, src: str | None) -> Problem:
    """:func:`not_a_source` of a sweep's ``--full`` variant folder: not "written by
    chainopt run", and not its base alone, which the variant changes: the base with the
    settings its manifest records (key ``variant``: :func:`variant_of`), and how to make
    them again, as a scenario's changes or a sweep of those one-value settings, whose
    only variant is ``v00000``."""
    record = manifest.get("variant")
    settings = record.get("settings") if isinstance(record, dict) else None
    what = f"{variant_of(manifest)} (saved by chainopt sweep --full), not a case or scenario"
    if src is None or not isinstance(settings, list) or not settings \
            or not all(isinstance(s, str) for s in settings):
        return Problem(text, what, "give its sweep's source with the variant's settings "
                       "(its manifest.json, key variant) as a scenario's changes")
    base = typed(src)
    sets = " ".join(f"--set {shell_word(s)}" for s in settings)
    return Problem(text, what, f"it is {base} with {'; '.join(settings)} (its manifest.json, "
                   f"key variant): give a scenario on {base} making those changes (*= is "
                   f"scale, += add, = set), or save the variant again with chainopt sweep "
                   f"{shell_word(base)} {sets} --full v00000")


def variant_of(manifest: dict, settings: bool = False) -> str:
    """``variant v00001 of sweep full`` for the results of a sweep's ``--full`` variant
    (its manifest's ``variant``: :func:`chainopt.sweep.variant_record`), else ""; a
    record whose id or sweep is not a name (the manifest may come from someone else)
    reads ``a sweep variant``. ``settings``: with the settings that make the variant
    (``... (markets.price_usd_per_unit[site=a]*=1.5)``)."""
    record = manifest.get("variant")
    if record is None:
        return ""
    record = record if isinstance(record, dict) else {}
    vid, sweep, said = record.get("id"), record.get("sweep"), record.get("settings")
    text = f"variant {vid} of sweep {sweep}" if is_name(vid) and is_name(sweep) else \
        "a sweep variant"
    if settings and isinstance(said, list) and all(isinstance(x, str) for x in said):
        text += f" ({'; '.join(said)})"
    return text


def recorded_source(manifest: dict) -> str | None:
    """The recorded source of a run, found again on this machine: the recorded path if
    it exists, else an embedded case of that name, else the path's tail below the
    working directory (a results folder committed on one machine and verified in CI on
    another). The source is looked for in all three ways before the case it is based on
    (``case_origin``), and that case is looked for only when the source is the case
    itself (no scenario file in ``scenario_chain``; changes made in memory are applied
    again to it): a scenario's base may sit at the same path on both machines (an
    embedded case in the installed package) while the scenario file does not, and its
    base alone is not what ran (verify re-ran it and said "inputs changed ... the data
    were edited", exit 6, where the scenario file was missing: exit 1, "not on this
    machine"). The input hash check guards against picking the wrong one."""
    chain = manifest.get("scenario_chain")
    of_file = isinstance(chain, list | tuple) and any(
        isinstance(e, dict) and e.get("kind") == "scenario" and e.get(IN_MEMORY) is not True
        for e in chain)
    recorded = [str(x) for x in (manifest.get("source"),
                                 None if of_file else manifest.get("case_origin")) if x]
    for src in recorded:
        found = found_here(src)
        if found is not None:
            return found
    return recorded[0] if recorded else None


def found_here(src: str) -> str | None:
    """``src`` (a path recorded on some machine) on this one: as recorded, an embedded
    case of that name, or the path's tail below the working directory; else None."""
    if Path(src).exists() or src in embedded_cases():
        return src
    parts = Path(src).parts
    if len(parts) >= 3 and parts[-3:-1] == ("chainopt", "data") and \
            parts[-1] in embedded_cases():
        return parts[-1]
    return tail_here(src)


def tail_here(src: str) -> str | None:
    """The longest tail of the path ``src`` (without its first part) that exists below
    the working directory and is not ``src`` itself; else None."""
    parts = Path(src).parts
    for i in range(1, len(parts)):
        tail = Path(*parts[i:])
        if tail.exists() and (not Path(src).exists()
                              or tail.resolve() != Path(src).resolve()):
            return str(tail)
    return None


def scenario_name(case: Case) -> str | None:
    """The name of the scenario a case came from (None for a plain case)."""
    chain = case.raw.scenario_chain
    return chain[-1]["name"] if chain and chain[-1]["kind"] == "scenario" else None


# -- applying changes -------------------------------------------------------------------

def _fmt(value: object) -> str:
    """A YAML scalar as a CSV cell: numbers without float noise, bools as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{float(value):.15g}"
    return str(value).strip()


def _truth(cells: pd.Series) -> pd.Series:
    """Bool cells as ``true``/``false`` however the file writes them (``yes``, ``1``,
    ``TRUE``: :data:`~chainopt.case.schema.TRUE_TEXTS`); other text is kept as it is."""
    low = cells.astype(str).str.strip().str.lower()
    return low.mask(low.isin(TRUE_TEXTS), "true").mask(low.isin(FALSE_TEXTS), "false")


def _yaml_inline(d: dict) -> str:
    parts = []
    for k, v in d.items():
        if isinstance(v, list):
            v = "[" + ", ".join(_fmt(x) for x in v) + "]"
        parts.append(f"{k}: {'null' if v is None else _fmt(v) if isinstance(v, bool) else v}")
    return visible("{" + ", ".join(parts) + "}")


class _Overlay:
    """Applies one scenario's changes to copies of the raw tables, collecting problems."""

    def __init__(self, raw: RawCase, sc: Scenario, check_values: bool = True):
        self.meta = dict(raw.meta)
        self.tables = {k: v.copy() for k, v in raw.tables.items()}
        self.sc = sc
        self.check_values = check_values
        self.problems: list[Problem] = []
        self.where = ""
        self.removed: list[tuple[str, str, set[str]]] = []  # (change, table, keys removed)
        self._read_periods()

    def _read_periods(self) -> None:
        """The period names later changes may use (again after a change of periods)."""
        try:
            self.periods = CaseMeta.model_validate(self.meta).period_names
        except Exception:
            self.periods = [str(p.get("period")) for p in self.meta.get("periods", [])
                            if isinstance(p, dict)]

    def fail(self, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.where, message, hint))

    # one change ------------------------------------------------------------------------
    def apply(self, i: int, ch: object) -> None:
        self.where = f"{self.sc.label} changes[{i}]"
        if not isinstance(ch, dict):
            self.fail("a change must be a mapping with 'table', 'project', 'case' or 'split'")
            return
        kinds = [k for k in CHANGE_KEYS if k in ch]
        if len(kinds) != 1:
            near = [h for h in (closest(str(k), CHANGE_KEYS) for k in ch) if h]
            self.fail(f"a change needs exactly one of 'table', 'project', 'case', 'split' "
                      f"(found {kinds or list(ch)})", "write one change (a '- ' item) for "
                      "each table, project, case.yaml change or split" if kinds else
                      (near[0] if near else "start it with table:, project:, case: or "
                                            "split:"))
            return
        kind = kinds[0]
        unknown = [k for k in ch if k not in CHANGE_KEYS[kind]]
        for k in unknown:
            self.fail(f"unknown key '{k}' in a {kind} change",
                      closest(str(k), CHANGE_KEYS[kind]) or
                      f"known keys: {', '.join(CHANGE_KEYS[kind])}")
        if unknown:
            return
        getattr(self, f"_{kind}")(ch)

    def _case(self, ch: dict) -> None:
        values = ch["case"]
        if not isinstance(values, dict) or not values:
            self.fail("'case' must be a mapping of case.yaml keys to new values")
            return
        fields = list(CaseMeta.model_fields)
        for k, v in values.items():
            if k not in fields:
                self.fail(f"case.yaml has no key '{k}'", closest(str(k), fields) or
                          f"known keys: {', '.join(fields)}")
            elif k == "name":
                self.fail("the case name cannot be changed by a scenario",
                          "name the scenario with its own 'name' key")
            else:
                self.meta[k] = v
        for p in check_meta(self.meta) if self.check_values else ():
            if p.where.removeprefix("case.yaml key ").split(".")[0] in values:  # this change's
                self.fail(f"{p.where}: {p.message}", p.hint)
        if "periods" in values:
            self._read_periods()

    def _split(self, ch: dict) -> None:
        """Period ``split`` becomes two: its own name from its start to ``at`` - 1 and
        ``name`` (default ``p<at>``) from ``at`` to its end. Every by-period value of it
        holds in both, and a user constraint applying in it applies in both; a project's
        earliest or forced period keeps its name and start."""
        if isinstance(ch["split"], list | dict):
            self.fail("split takes one period (found a list)", "write one change per period "
                      "to split, e.g. {split: p2031, at: 2033} and {split: p2036, at: 2038}")
            return
        period, at = str(ch["split"]), ch.get("at")
        if period not in self.periods:
            self._unknown_period("split: ", period)
            return
        spans = [dict(p) for p in self.meta.get("periods", [])]
        i = self.periods.index(period)
        first, length = int(spans[i]["start_year"]), int(spans[i]["length_yr"])
        if isinstance(at, bool) or not isinstance(at, int) or not first < at < first + length:
            self.fail(f"split {period}: 'at' must be a year after its first and within it, "
                      f"{first + 1} to {first + length - 1} (found {at!r})",
                      f"the first year of the new period, e.g. at: {first + length // 2}"
                      if length > 1 else f"{period} is one year long: it has no year to split at")
            return
        name = str(ch.get("name") or f"p{at}")
        if not is_name(name) or name in self.periods:
            self.fail(f"split {period}: the new period's name '{name}' is "
                      + ("taken" if name in self.periods else "not a name"),
                      f"give another with name: ({RULE_TEXT})")
            return
        if any(p.get("weight") is not None for p in spans):
            self.fail(f"split {period}: the periods have explicit weights, which a split "
                      "cannot divide", "give the periods, with their weights, in a case "
                      "change (case: {periods: [...]})")
            return
        # the new part records the period it came from, so that a build limit per period
        # (max_new_k_per_yr) holds on the parts together, as on the period unsplit
        spans[i:i + 1] = [{**spans[i], "length_yr": at - first},
                          {"period": name, "start_year": at, "length_yr": first + length - at,
                           "part_of": spans[i].get("part_of") or period}]
        self.meta["periods"] = spans
        for table, df in self.tables.items():
            if table.endswith(BY_PERIOD) and "period" in df:
                hit = df["period"].astype(str).str.strip() == period
                if hit.any():
                    self.tables[table] = pd.concat([df, df[hit].assign(period=name)],
                                                   ignore_index=True)
        for table, spec in TABLES.items():
            df = self.tables.get(table)
            for col in (c.name for c in spec.columns if c.kind == "refs" and c.ref == "periods"):
                if df is not None and col in df:
                    cells = df[col].fillna("").astype(str)
                    listed = cells.map(lambda v: period in [x.strip() for x in v.split(";")])
                    df[col] = cells.where(~listed, cells + f";{name}")
        self._read_periods()

    def _project(self, ch: dict) -> None:
        if isinstance(ch["project"], list | tuple | dict):
            # a table change's where: takes a list; a project change sets one project
            many = ch["project"]
            names = ", ".join(map(str, many)) if isinstance(many, list | tuple) else many
            self.fail(f"a project change takes one project (found several: {names})",
                      "write one change per project, e.g. - {project: a, state: "
                      "optional} and - {project: b, state: optional}")
            return
        name = str(ch["project"])
        pj = self.tables.get("projects")
        if pj is None or pj.empty:
            self.fail(f"project '{name}': the case has no projects.csv",
                      "add the project to projects.csv first")
            return
        hit = pj["project"] == name
        if not hit.any():
            self.fail(f"no project {quoted(name)} in projects.csv",
                      odd_note(name) + (closest(name, pj["project"]) or
                                         f"projects: {', '.join(pj['project'])}"))
            return
        state = ch.get("state", "")
        if state is False:  # YAML 1.1 reads a bare `off` as false
            state = "off"
        state = str(state)
        if state not in PROJECT_STATES:
            self.fail(f"project '{name}': state must be one of {', '.join(PROJECT_STATES)} "
                      f"(found {quoted(state)})", closest(state, PROJECT_STATES))
            return
        period = ch.get("period")
        if state == "forced":
            if not period:
                self.fail(f"project '{name}': a forced project needs 'period' (its build "
                          "period)", f"periods: {', '.join(self.periods)}")
                return
            if str(period) not in self.periods:
                self._unknown_period(f"project '{name}': ", period)
                return
        elif period:
            self.fail(f"project '{name}': 'period' is only for state forced",
                      "leave it out, or set state: forced")
            return
        for col in ("state", "forced_period"):
            if col not in pj.columns:
                pj[col] = ""
        pj.loc[hit, "state"] = state
        pj.loc[hit, "forced_period"] = str(period) if state == "forced" else ""
        self.tables["projects"] = pj

    def _table(self, ch: dict) -> None:
        name = str(ch["table"]).removesuffix(".csv")
        if name.endswith(BY_PERIOD) and name.removesuffix(BY_PERIOD) in TABLES:
            self.fail(f"table '{name}' is not changed directly",
                      f"write table: {name.removesuffix(BY_PERIOD)} with 'period' (or a value "
                      "by period): the change writes its by-period overrides")
            return
        if name not in TABLES:
            self.fail(f"unknown table '{name}'", closest(name, TABLES) or
                      f"tables: {', '.join(TABLES)}")
            return
        spec = TABLES[name]
        ops = [k for k in (*VALUE_OPS, "add_rows", "remove_rows") if k in ch]
        if len(ops) == 0:
            self.fail(f"change to {name}.csv does nothing", "give set, scale, add, add_rows "
                      "or remove_rows")
            return
        if ("add_rows" in ops or "remove_rows" in ops) and len(ops) > 1:
            self.fail("add_rows and remove_rows go in a change of their own")
            return
        if ("add_rows" in ops or "remove_rows" in ops) and ("where" in ch or "period" in ch):
            self.fail(f"'{'where' if 'where' in ch else 'period'}' does not go with "
                      f"{ops[0]}: it adds or removes whole rows, in every period",
                      "remove_rows takes its selector itself; change values in some periods "
                      "with set, scale or add and 'period'")
            return
        if "add_rows" in ch:
            self._add_rows(name, ch["add_rows"])
            return
        df = self.tables.get(name)
        if "remove_rows" in ch:
            sel = ch["remove_rows"]
            if sel == {}:  # would empty the table: never what an unfinished line means
                self.fail(f"'remove_rows' is empty: it would remove every row of {name}.csv",
                          "name the rows to remove, column: value or [values]")
                return
            mask = self._select(name, df, sel if isinstance(sel, dict) else None,
                                bad=not isinstance(sel, dict))
            if mask is None:
                return
            assert df is not None  # _select returns None for a missing table
            keys = df.loc[mask].reindex(columns=list(spec.key), fill_value="")
            if len(spec.key) == 1:
                self.removed.append((self.where, name, set(keys[spec.key[0]].astype(str))))
            self.tables[name] = df.loc[~mask].reset_index(drop=True)
            bp = self.tables.get(name + BY_PERIOD)
            if bp is not None and len(bp):
                drop = _key_series(bp, spec.key, spec.column_map).isin(
                    set(_key_series(keys, spec.key, spec.column_map)))
                self.tables[name + BY_PERIOD] = bp.loc[~drop].reset_index(drop=True)
            return
        where = ch.get("where", {})
        # `where:` left blank, or `where: {}` (a template's selector deleted), would
        # change every row: the same slip, the same message
        if "where" in ch and (where is None or where == {}):
            self.fail("'where' is blank", "name the rows (column: value or [values]), or "
                      "leave 'where' out to change every row")
            return
        if not isinstance(where, dict):
            self.fail("'where' must be a mapping of column: value or [values]")
            return
        # `period:` left blank read as no period (every period: a set then cleared the
        # overrides), `period: []` as none (the change did nothing): refused like `where:`
        if "period" in ch and ch["period"] is None:
            self.fail("'period' is blank", "name the period(s), or leave 'period' out to "
                      "change every period")
            return
        if "period" in ch and ch["period"] == []:
            self.fail("'period' is an empty list: the change would do nothing",
                      "name at least one period, or leave 'period' out to change every "
                      "period")
            return
        mask = self._select(name, df, where)
        if mask is None:
            return
        periods = ch.get("period")
        if periods is not None:
            periods = [str(p) for p in (periods if isinstance(periods, list) else [periods])]
            bad = [p for p in periods if p not in self.periods]
            if bad:
                self._unknown_period("", bad[0])
                return
            twice = [p for i, p in enumerate(periods) if p in periods[:i]]
            if twice:  # each listed period takes the change: an add or scale would apply twice
                self.fail(f"period '{twice[0]}' is listed twice", "list each period once")
                return
        named = [(op, str(col)) for op in VALUE_OPS if isinstance(ch.get(op), dict)
                 for col in ch[op]]
        twice = [(op, col) for i, (op, col) in enumerate(named)
                 if col in [c for _, c in named[:i]]]
        if twice:  # applied set, scale, add whatever the order written: ambiguous
            op, col = twice[0]
            first = next(o for o, c in named if c == col)
            self.fail(f"column '{col}' is changed by both {first} and {op} in one change",
                      "give each in a change of its own: changes apply in order")
            return
        for op in VALUE_OPS:
            values = ch.get(op)
            if values is None:
                continue
            if not isinstance(values, dict) or not values:
                self.fail(f"'{op}' must be a mapping of column: value")
                continue
            for col, val in values.items():
                self._value(name, mask, op, str(col), val, periods)

    def _unknown_period(self, label: str, period: object) -> None:
        """Fail on ``period``, not a period of the case: quoted visibly, a look-alike or
        invisible character named, the closest period or the list."""
        text = str(period)
        self.fail(f"{label}unknown period {quoted(text)}", odd_note(text) + (
            closest(text, self.periods) or f"periods: {', '.join(self.periods)}"))

    # selection -------------------------------------------------------------------------
    def _select(self, name: str, df: pd.DataFrame | None, where: dict | None,
                bad: bool = False) -> pd.Series | None:
        if bad or where is None:
            self.fail("a selector must be a mapping of column: value or [values]")
            return None
        spec = TABLES[name]
        label = _yaml_inline(where) if where else "{}"
        ok = True
        for col in where:
            if col not in spec.column_map:
                self.fail(f"selector column '{col}' does not exist in {name}.csv",
                          closest(str(col), spec.column_map) or
                          f"columns: {', '.join(spec.column_map)}")
                ok = False
        if not ok:
            return None
        if df is None or df.empty:
            self.fail(f"selector {label} matches no row of {name}.csv (the table is empty or "
                      "absent)", f"add its rows first, in a change with table: {name} and "
                      "add_rows")
            return None
        mask = pd.Series(True, index=df.index)
        hints = []
        unmatched = []  # (column, value, hint) of a listed value no row holds
        for col, want in where.items():
            wanted = want if isinstance(want, list) else [want]
            have = df[col] if col in df.columns else pd.Series("", index=df.index)
            c = spec.column_map[col]
            if c.default not in (None, ""):  # a blank (or absent) cell holds the default
                have = have.where(have.astype(str).str.strip() != "", _fmt(c.default))
            if c.kind == "bool":
                have = _truth(have)
                wanted = [_truth(pd.Series([_fmt(w)])).iloc[0] for w in wanted]
            m = pd.Series(False, index=df.index)
            for w in wanted:
                if isinstance(w, int | float) and not isinstance(w, bool):
                    num = pd.to_numeric(have, errors="coerce")
                    hit = num == float(w)
                else:
                    hit = have == _fmt(w)
                if not hit.any():
                    h = closest(_fmt(w), sorted(set(have)))
                    if isinstance(w, bool) and c.kind != "bool":
                        h = (f"YAML reads an unquoted yes, no, on, off, true or false as "
                             f"{_fmt(w)}: quote the name, e.g. {col}: 'no'")
                    h = odd_note(_fmt(w)) + h if h else _values_hint(_fmt(w), col, have,
                                                                      name)
                    hints.append(h)
                    unmatched.append((col, w, h))
                m |= hit
            mask &= m
        if not mask.any():
            hint = hints[0] if hints else ("no row has all of these values" if len(where) > 1
                                           else "")
            self.fail(f"selector {label} matches no row of {name}.csv", hint)
            return None
        if unmatched:  # the others match: a misspelt name in a list would be dropped
            col, w, h = unmatched[0]
            self.fail(f"selector {label}: no row of {name}.csv has {col} {quoted(_fmt(w))}",
                      h or "leave it out of the list")
            return None
        return mask

    # value changes ---------------------------------------------------------------------
    def _value(self, name: str, mask: pd.Series, op: str, col: str, val: Any,
               periods: list[str] | None) -> None:
        spec = TABLES[name]
        cols = spec.column_map
        if col not in cols:
            self.fail(f"column '{col}' does not exist in {name}.csv",
                      closest(col, cols) or f"columns: {', '.join(cols)}")
            return
        c = cols[col]
        if col in spec.key:
            self.fail(f"'{col}' is a key column of {name}.csv and cannot be changed",
                      "remove the row and add a new one")
            return
        numeric = c.kind in ("float", "int")
        if op in ("scale", "add") and not numeric:
            self.fail(f"cannot {op} column '{col}' of {name}.csv: it is not a number column",
                      f"give its new value with set: {{{col}: ...}}")
            return
        by_period = isinstance(val, dict)
        if by_period and periods is not None:
            self.fail(f"'{col}': give either 'period' or a value by period, not both")
            return
        if op == "set" and ((periods is not None and val is None)
                            or (by_period and any(v is None for v in val.values()))):
            self.fail(f"'{col}': a blank value for one period would mean the table's own "
                      "value there, not a blank one",
                      "leave out 'period' to blank it in every period, or set a number")
            return
        if (by_period or periods is not None) and not c.period:
            varying = ", ".join(spec.period_columns) or "none"
            self.fail(f"column '{col}' of {name}.csv does not vary by period",
                      f"period-varying columns: {varying}")
            return
        if by_period and not val:  # `{}`: a path by period naming no period does nothing
            self.fail(f"'{col}': the value by period is empty ({{}}): the change would do "
                      "nothing", f"give {{period: value}} for at least one period (periods: "
                      f"{', '.join(self.periods)}), or one value for every period")
            return
        if by_period:
            bad = [p for p in val if str(p) not in self.periods]
            if bad:
                self._unknown_period(f"'{col}': ", bad[0])
                return
            for p, v in val.items():
                if not self._check_value(op, col, c, v):
                    return
                self._per_period(name, mask, op, col, v, [str(p)])
            return
        if not self._check_value(op, col, c, val):
            return
        if periods is not None:
            self._per_period(name, mask, op, col, val, periods)
            return
        df = self.tables[name]
        if col not in df.columns:
            df[col] = ""
        bp = self.tables.get(name + BY_PERIOD)
        if op != "set" and c.default is None:  # a blank stays blank: all blank does nothing
            cells = df.loc[mask, col]
            if c.period and bp is not None and col in bp.columns and len(bp):
                keys = _key_series(df.loc[mask], spec.key, spec.column_map)
                cells = pd.concat([cells, bp.loc[_key_series(bp, spec.key, spec.column_map)
                                                 .isin(set(keys)), col]])
            if self._blank_only(op, col, cells, ""):
                return
        df.loc[mask, col] = self._combine(df.loc[mask, col], op, val, c, name)
        paths = bool(c.period and bp is not None and col in bp.columns and len(bp))
        if not (self.check_values or paths):  # (a sweep's variant: its keys unused)
            return
        selected = _key_series(df.loc[mask], spec.key, spec.column_map)
        self._check(name, col, df.loc[mask, col], selected)
        if paths:
            assert bp is not None
            keys = _key_series(bp, spec.key, spec.column_map)
            mine = keys.isin(set(selected))
            if op == "set":
                bp.loc[mine, col] = ""
            else:
                filled = mine & bp[col].ne("")
                bp.loc[filled, col] = self._combine(bp.loc[filled, col], op, val, c, name)
                self._check(name, col, bp.loc[filled, col],
                            keys[filled] + "/" + bp.loc[filled, "period"].astype(str),
                            BY_PERIOD)

    def _check(self, name: str, col: str, cells: pd.Series, rows: pd.Series,
               suffix: str = "") -> None:
        """Refuse, at this change, a value it writes that the file would refuse
        (:func:`~chainopt.case.validate.check_cells`: a number within the column's
        bounds, an allowed value, a name that exists in the tables as they are at this
        change), naming each row by its key (``rows``) rather than a row of the effective
        case, which no file holds."""
        if not self.check_values:
            return
        c = TABLES[name].column_map[col]
        names = None
        if c.kind in ("ref", "refs"):
            names = key_sets(None, {k: self.tables.get(k, pd.DataFrame()) for k in TABLES})
            names["periods"] = np.asarray(self.periods, dtype=object)
        cells = pd.Series(cells.to_numpy(), index=rows.to_numpy())
        for p in check_cells(TABLES[name], col, cells, f"{name}{suffix}.csv", names):
            self.fail(f"{p.where}: {p.message}", p.hint)

    def _check_value(self, op: str, col: str, c, val: object) -> bool:
        if op in ("scale", "add") or c.kind in ("float", "int"):
            if val is None and op == "set":
                return True
            example = f"e.g. {op}: {{{col}: {'1.1' if op == 'scale' else '10'}}}"
            if isinstance(val, bool) or not isinstance(val, int | float):
                try:
                    num = float(str(val))
                except ValueError:
                    self.fail(f"'{col}': {op} needs a number (found {quoted(val, as_repr=True)})",
                              f"write a number, {example}")
                    return False
            else:  # a whole number beyond a float (10**400) ended in an OverflowError
                try:
                    num = float(val)
                except OverflowError:
                    num = math.inf
            if not math.isfinite(num):
                # a scale or add by nan wrote a blank (for a cap: unlimited) without a word;
                # a set of one is refused here too, once, rather than row by row
                self.fail(f"'{col}': {op} needs a finite number (found "
                          f"{quoted(val, as_repr=True)})",
                          f"write a number of at most {MAX_MAGNITUDE:g}, {example}")
                return False
        return True

    def _blank_only(self, op: str, col: str, cells: pd.Series, period: str) -> bool:
        """Refuse a ``scale``/``add`` whose every cell is blank (a column without a
        default: no value, for a capacity unlimited): a blank stays blank, so the change
        would silently do nothing."""
        if op == "set" or not len(cells) or not cells.astype(str).str.strip().eq("").all():
            return False
        when = f" in {period}" if period else ""
        self.fail(f"'{col}': every selected cell is blank{when} (no value; for a capacity: "
                  f"unlimited), and {op} leaves a blank blank: this change does nothing",
                  f"set a number instead (set: {{{col}: ...}}), or select rows that hold one")
        return True

    def _combine(self, old: pd.Series, op: str, val: object, c, name: str) -> pd.Series:
        if op == "set":
            return pd.Series(_fmt(val), index=old.index)
        blank = old.eq("")
        base = old.where(~blank, _fmt(c.default) if c.default is not None else "")
        num = pd.to_numeric(base, errors="coerce")
        notnum = base.ne("") & num.isna()
        if notnum.any():
            self.fail(f"cannot {op} column '{c.name}' of {name}.csv: the base holds "
                      f"'{base[notnum].iloc[0]}', not a number", "give the new value with set")
            return old
        new = num * float(val) if op == "scale" else num + float(val)  # type: ignore[arg-type]
        return new.map(lambda v: "" if pd.isna(v) else _fmt(v))

    def _per_period(self, name: str, mask: pd.Series, op: str, col: str, val: object,
                    periods: list[str]) -> None:
        spec = TABLES[name]
        key = list(spec.key)
        df = self.tables[name]
        bpname = name + BY_PERIOD
        bp = self.tables.get(bpname)
        if bp is None:
            bp = pd.DataFrame({k: pd.Series(dtype=str) for k in [*key, "period"]})
        for k in [*key, "period", col]:
            if k not in bp.columns:
                bp[k] = ""
        default = df[col] if col in df.columns else pd.Series("", index=df.index)
        rows = df.loc[mask].reindex(columns=key, fill_value="").assign(
            _default=default[mask].to_numpy())
        rows["_k"] = _key_series(rows, key, spec.column_map)
        for p in periods:
            target = rows.assign(period=p)
            mine = bp.reset_index()[["period", col, "index"]].assign(
                _k=_key_series(bp, key, spec.column_map).to_numpy())
            cur = target.merge(mine, on=["_k", "period"], how="left")
            old = cur[col].fillna("")
            old = old.where(old.ne(""), cur["_default"])
            if spec.column_map[col].default is None and self._blank_only(op, col, old, p):
                return
            new = self._combine(old.reset_index(drop=True), op, val, spec.column_map[col], name)
            self._check(name, col, new, cur["_k"] + "/" + p, BY_PERIOD)
            have = cur["index"].notna().to_numpy()
            if have.any():
                bp.loc[cur.loc[have, "index"].astype(int).to_numpy(), col] = new[have].to_numpy()
            if (~have).any():
                add = cur.loc[~have, [*key, "period"]].assign(**{col: new[~have].to_numpy()})
                bp = pd.concat([bp, add], ignore_index=True).fillna("")
        self.tables[bpname] = bp.reset_index(drop=True)

    def _add_rows(self, name: str, rows: object) -> None:
        spec = TABLES[name]
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            self.fail("'add_rows' must be a list of rows (mappings of column: value)")
            return
        cols = spec.column_map
        for r in rows:
            for k in r:
                if k not in cols:
                    self.fail(f"column '{k}' does not exist in {name}.csv",
                              closest(str(k), cols) or f"columns: {', '.join(cols)}")
                    return
            # a key column with a default (a market's tier) may be left out
            missing = [k for k in spec.key if k not in r and cols[k].default in (None, "")]
            if missing:
                self.fail(f"a new row of {name}.csv needs its key column(s) "
                          f"{', '.join(missing)}")
                return
        new = pd.DataFrame([{k: _fmt(v) for k, v in r.items()} for r in rows]).fillna("")
        df = self.tables.get(name)
        if df is None:
            df = pd.DataFrame({k: pd.Series(dtype=str) for k in new.columns})
        have = set(_key_series(df, spec.key, spec.column_map)) if len(df) else set()
        dup = _key_series(new, spec.key, spec.column_map)
        clash = [k for k in dup if k in have]
        if clash:
            self.fail(f"row {clash[0]} already exists in {name}.csv",
                      "change its values with set, or remove it first")
            return
        twice = dup[dup.duplicated()]
        if len(twice):
            self.fail(f"row {twice.iloc[0]} is added twice (key "
                      f"{', '.join(spec.key)})", "merge the two rows"
                      + (", or give each its own tier" if "tier" in spec.key else ""))
            return
        for col in cols:
            if col in new.columns or cols[col].required:
                self._check(name, col, new.get(col, pd.Series("", index=new.index)), dup)
        self.tables[name] = pd.concat([df, new], ignore_index=True).fillna("")

    def dangling(self) -> None:
        """Refuse, at the change that removed it, a row that rows of the effective case
        still name (a site of a market or link, a project of a unit): checked once all
        changes apply, since a later change may remove or repoint those rows too."""
        for where, name, gone in self.removed:
            users, named = [], set()
            for table, spec in TABLES.items():
                df = self.tables.get(table)
                if df is None or not len(df):
                    continue
                for c in spec.columns:
                    if c.ref != name or c.name not in df.columns:
                        continue
                    items = split_list(df[c.name]) if c.kind == "refs" else df[c.name]
                    hit = items[items.isin(gone)]
                    keys = _key_series(df.loc[hit.index.unique()], spec.key, spec.column_map)
                    named |= set(hit)
                    users += [f"{table}.csv row {k} ({c.name} {v})"
                              for k, v in zip(keys.loc[hit.index], hit, strict=True)]
            if users:
                self.problems.append(Problem(
                    where, f"removes {name}.csv row(s) {', '.join(sorted(named))}, which "
                    f"{len(users)} row(s) still name: "
                    + "; ".join(users[:5]) + (", ..." if len(users) > 5 else ""),
                    "remove those rows too (remove_rows), or point them elsewhere with set"))

    def result(self, raw: RawCase) -> RawCase:
        return RawCase(meta=self.meta, tables=self.tables, origin=raw.origin,
                       read_warnings=raw.read_warnings,
                       scenario_chain=raw.scenario_chain)


def _values_hint(text: str, col: str, have: pd.Series, table: str) -> str:
    """What a selector value that matches nothing could have been: the values the
    column holds, after a note on characters outside ASCII (a Cyrillic 'а' looks like
    the Latin 'a' it is not)."""
    note = odd_note(text)
    values = sorted(v for v in set(have.astype(str)) if v.strip())
    listed = ", ".join(values[:8]) + (", ..." if len(values) > 8 else "")
    return f"{note}{col} in {table}.csv holds: {listed or '(only blanks)'}"


def _key_series(df: pd.DataFrame, key: tuple[str, ...] | list[str],
                columns: dict | None = None) -> pd.Series:
    """Each row's key as one text, ``a/b/c``. With the table's ``columns`` (its
    :attr:`TableSpec.column_map`), a blank or absent key cell reads as the column's
    default and a number as its canonical text, so that ``markets.csv`` with a ``tier``
    of ``1`` and ``markets_by_period.csv`` without the column name the same rows."""
    parts = []
    for k in key:
        part = df[k].astype(str) if k in df.columns else pd.Series("", index=df.index)
        col = (columns or {}).get(k)
        if col is not None and col.default not in (None, ""):
            part = part.where(part.str.strip() != "", _fmt(col.default))
        if col is not None and col.kind in ("int", "float"):
            num = pd.to_numeric(part, errors="coerce")
            part = part.where(num.isna(), num.map(lambda v: _fmt(float(v))))
        parts.append(part)
    out = parts[0]
    for p in parts[1:]:
        out = out + "/" + p
    return out


def apply_changes(raw: RawCase, sc: Scenario, check_values: bool = True) -> RawCase:
    """A new RawCase with ``sc``'s changes applied to ``raw`` (which is left untouched).

    ``check_values``: refuse at its change a value the file would refuse (a scenario
    file). A sweep leaves values to validation, so that a bad value fails its variant
    alone (recorded with the validator's message), not the whole sweep."""
    ov = _Overlay(raw, sc, check_values)
    for i, ch in enumerate(sc.changes):
        ov.apply(i, ch)
    if check_values:
        ov.dangling()
    if ov.problems:
        raise InputError(ov.problems)
    return ov.result(raw)



def selected_rows(raw: RawCase, table: str, where: dict) -> pd.Series:
    """Which rows of ``raw``'s ``table`` a change's ``where`` selects, read as a change
    reads it (a blank cell as its column's default, numbers and booleans as such); an
    InputError, as the change would give, for a selector that selects nothing."""
    ov = _Overlay(raw, Scenario(name="selection", description="", base="", changes=(),
                                path=Path(table)))
    mask = ov._select(table, ov.tables.get(table), where)
    if mask is None:
        raise InputError(ov.problems)
    return mask

def without_projects(case: Case, projects: list[str]) -> Case:
    """``case`` with ``projects`` switched off, and every project that requires one of
    them (directly or not) too: the counterfactual a project is valued against."""
    pj = case.tables["projects"]
    needs = pj[["project"]].join(split_list(pj["requires"]).rename("other")).dropna()
    off = set(projects)
    while True:
        more = set(needs.loc[needs["other"].isin(off), "project"]) - off
        if not more:
            break
        off |= more
    sc = Scenario(name="counterfactual", description="", base="",
                  changes=tuple({"project": j, "state": "off"} for j in sorted(off)),
                  path=Path(case.origin or "."))
    return validate(apply_changes(case.raw, sc))


# -- what a scenario changes ------------------------------------------------------------

def diff_raw(old: RawCase, new: RawCase) -> pd.DataFrame:
    """Cell-by-cell differences between two raw cases, by table and key.

    Columns: ``table``, ``key`` (``a/b`` of the key columns, plus ``/period`` for an
    override table), ``column``, ``old``, ``new``, ``action`` (``changed``,
    ``added``, ``removed``). Blank means "default" or "unlimited".
    """
    rows: list[dict] = []
    for k in sorted(set(old.meta) | set(new.meta)):
        (a, at), (b, bt) = _meta_value(old.meta, k), _meta_value(new.meta, k)
        if a != b:
            rows.append({"table": "case.yaml", "key": k, "column": "", "old": at,
                         "new": bt, "action": "changed"})
    for name in sorted(set(old.tables) | set(new.tables)):
        base = name.removesuffix(BY_PERIOD)
        if base not in TABLES:
            continue
        key = (*TABLES[base].key, "period") if name.endswith(BY_PERIOD) else TABLES[base].key
        a = old.tables.get(name, pd.DataFrame())
        b = new.tables.get(name, pd.DataFrame())
        spec_cols = TABLES[base].column_map
        ka = _key_series(a, key, spec_cols) if len(a) else pd.Series(dtype=str)
        kb = _key_series(b, key, spec_cols) if len(b) else pd.Series(dtype=str)
        a = a.assign(_k=ka.to_numpy()).set_index("_k") if len(a) else a
        b = b.assign(_k=kb.to_numpy()).set_index("_k") if len(b) else b
        for k in kb[~kb.isin(set(ka))]:
            rows.append({"table": name, "key": k, "column": "", "old": "",
                         "new": _row_text(b.loc[k], key), "action": "added"})
        for k in ka[~ka.isin(set(kb))]:
            rows.append({"table": name, "key": k, "column": "", "old": _row_text(a.loc[k], key),
                         "new": "", "action": "removed"})
        common = kb[kb.isin(set(ka))]
        cols = [c for c in dict.fromkeys([*a.columns, *b.columns]) if c not in key]
        for k in common:
            for c in cols:
                va = str(a.at[k, c]) if c in a.columns else ""
                vb = str(b.at[k, c]) if c in b.columns else ""
                if va != vb:
                    rows.append({"table": name, "key": k, "column": c, "old": va, "new": vb,
                                 "action": "changed"})
    return pd.DataFrame(rows, columns=["table", "key", "column", "old", "new", "action"])


def _meta_value(meta: dict, key: str) -> tuple[object, str]:
    """A ``case.yaml`` key's value, and as YAML writes it inline (``[{period: p1, ...}]``,
    not Python's repr); a key the file leaves out as its default, ``start (default)``,
    so that writing the default is no change and leaving a key out says what holds."""
    if key in meta:
        value = meta[key]
    else:
        field = CaseMeta.model_fields.get(key)
        if field is None or field.is_required():
            return None, ""
        value = field.get_default(call_default_factory=True)
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False,
                          width=float("inf")).strip().removesuffix("...").strip()
    return value, text if key in meta else f"{text} (default)"


def _row_text(row: pd.Series, key: tuple[str, ...]) -> str:
    return ", ".join(f"{c}={v}" for c, v in row.items() if c not in key and str(v) != "")


def project_states(raw: RawCase) -> pd.DataFrame:
    """project, state, forced_period of a raw case (defaults filled)."""
    pj = raw.tables.get("projects")
    if pj is None or pj.empty:
        return pd.DataFrame(columns=["project", "state", "forced_period"])
    out = pd.DataFrame({"project": pj["project"]})
    out["state"] = pj["state"].replace("", "optional") if "state" in pj else "optional"
    out["forced_period"] = pj.get("forced_period", "")
    return out.reset_index(drop=True)
