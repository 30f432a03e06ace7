"""Validation: RawCase -> Case, collecting every problem before it stops.

Tables are checked column-wise with vectorised pandas (types, ranges, choices,
references, duplicate keys); only offending rows are turned into messages, each
naming file, spreadsheet row (header = row 1), column, value and a hint. Cross-table
rules (mass balance of modes, processes without modes, project settings) follow.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from typing import get_args

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from chainopt.case import levers, memo, terms, units
from chainopt.case.codes import isin, lookup, per_distinct
from chainopt.case.discount import Discounting
from chainopt.case.index import (
    blending,
    build_index,
    build_timing,
    curve_sizes,
    may_build,
    retires_in_horizon,
)
from chainopt.case.index import by_period as periodic
from chainopt.case.schema import (
    FALSE_TEXTS,
    MAX_MAGNITUDE,
    MIN_MAGNITUDE,
    NAME_PATTERN,
    TABLES,
    TRUE_TEXTS,
    UNITS,
    Case,
    CaseMeta,
    Column,
    RawCase,
    TableSpec,
    list_items,
    split_list,
)
from chainopt.case.storage import storage_for, stored_in, text_storage
from chainopt.errors import InputError, Problem, columns_label
from chainopt.names import is_name, outside_ascii, suggest

MAX_PER_CHECK = 20  # messages listed per (table, column, rule); the rest are counted
MASS_TOLERANCE = 1e-6


def join_keys(df: pd.DataFrame, columns) -> pd.Series:
    """The key columns of each row joined with '/' (vectorised), a whole-number key (a
    tier, segment, point or term: read as floats) as the file writes it, ``1`` not
    ``1.0``."""
    def text(c: str) -> pd.Series:
        s = df[c].astype(str)
        whole = pd.api.types.is_float_dtype(df[c])
        return s.str.replace(r"\.0$", "", regex=True) if whole else s

    cols = list(columns)
    out = text(cols[0])
    for c in cols[1:]:
        out = out + "/" + text(c)
    return out


#: how units are often spelt out -> chainopt's name (a close spelling may be another
#: unit: 'tonne' is nearer to 'toe', an energy unit, than to 't')
UNIT_SPELLINGS = {"tonne": "t", "tonnes": "t", "ton": "t", "tons": "t", "metric_ton": "t",
                  "kilotonne": "kt", "kilotonnes": "kt", "barrel": "bbl", "barrels": "bbl",
                  "bbls": "bbl", "kilogram": "kg", "cubic_metre": "m3", "cubic_meter": "m3",
                  "million_btu": "MMBtu", "mmbtu": "MMBtu"}


def as_fraction(percent: float) -> str:
    """The hint for a fraction given as a percentage: ``10`` -> 'a fraction: 10 % is 0.10'
    (at least two decimals: 1 % is 0.01, 12.5 % is 0.125)."""
    x = percent / 100
    text = f"{x:.2f}" if round(x, 2) == x else f"{x:g}"
    return f"a fraction: {percent:g} % is {text}"


def closest(value: str, options: Iterable[str]) -> str:
    """A 'did you mean' hint for ``value`` among ``options`` ('' if none is close): the
    option it spells in other case or words (``UNIT_SPELLINGS``), else the nearest."""
    options = list(options)
    text = str(value).strip()
    folded = unicodedata.normalize("NFKC", text).casefold()  # fullwidth 'ｈｄｐｅ' is hdpe
    same = [o for o in options if o.lower() in (text.lower(), folded)]
    spelt = UNIT_SPELLINGS.get(text.lower().replace(" ", "_"))
    match = same or ([spelt] if spelt in options else
                     difflib.get_close_matches(text, options, n=1, cutoff=0.6))
    return f"did you mean '{visible(match[0])}'?" if match else ""


def visible(text: str) -> str:
    """``text`` with each character that prints as nothing or moves the text (not
    ``str.isprintable``: a zero-width space, a control, a bidi override, a line
    separator) written as its escape, ``\\u200b``: 'ws\\u200bib' is not 'wsib', and a
    message quoting it must show why."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


#: characters of a value a message quotes; a longer one is cut (a cell may be megabytes)
MAX_QUOTED = 60


def quoted(value: object, as_repr: bool = False) -> str:
    """``value`` in quotes for a message (``as_repr``: as Python writes it, 1e+308 or
    '1e308'), cut after MAX_QUOTED characters with its length: ``'xxxx…' (10,000
    characters)``, not a 10,000-character message; the length is the value's own (an
    ESC counts one character, as a position in it does, not the four of ``\\x1b``).
    Every value a validation message quotes goes through here."""
    text = visible(str(value))
    if len(text) <= MAX_QUOTED:
        return repr(value) if as_repr else f"'{text}'"
    return f"'{text[:MAX_QUOTED]}…' ({len(str(value)):,} characters)"


class _Collector:
    """Gathers problems, listing at most MAX_PER_CHECK of one kind."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(where, message, hint))

    def rows(self, file: str, df: pd.DataFrame, mask: pd.Series, column: str, message: str,
             hint: str | None = None, hints: dict[str, str] | pd.Series | None = None,
             label: str | None = None) -> None:
        """Report every row where ``mask`` holds (up to MAX_PER_CHECK, then a count).

        ``hints``: a hint per value of ``column`` (dict) or per row (a Series on
        ``df``'s index). ``label`` names the place instead of ``column <column>`` (e.g.
        several key columns).
        """
        label = label or f"column {column}"
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return
        bad = df.loc[m]
        for i, r in bad.head(MAX_PER_CHECK).iterrows():
            value = r.get(column, "")
            if isinstance(hints, pd.Series):
                h = str(hints.get(i, ""))
            else:
                h = hints.get(str(value), "") if hints else (hint or "")
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a whole number read as float: 12, not 12.0
            found = "it is blank" if pd.isna(value) or value == "" else f"found {quoted(value)}"
            self.add(f"{file} row {r['_row']}, {label}", f"{message} ({found})", h)
        if len(bad) > MAX_PER_CHECK:
            self.add(f"{file}, {label}",
                     f"{len(bad) - MAX_PER_CHECK} more rows with the same problem")


#: case.yaml's keys that are fractions (0 to 1): a percentage there gets 'a fraction: ...'
FRACTION_KEYS = ("discount_rate", "solver.mip_gap")
#: what a name must look like, said in words (for case.yaml and the tables alike)
SNAKE_RULE = "must be snake_case: lower-case letters, digits and _, starting with a letter"


def _keys_at(loc: tuple) -> list[str]:
    """The keys valid where the unknown key at pydantic's ``loc`` (the key last) was
    given: ``("solver", "time_limt_s")`` -> those of ``solver:`` (time_limit_s,
    threads, ...), ``("periods", 0, "x")`` -> a period's, ``("x",)`` -> case.yaml's own
    (a hint listing case.yaml's keys for a key misspelt inside ``solver:`` misled)."""
    model: type[BaseModel] = CaseMeta
    for part in loc[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:  # an item's index (a period's): the same model's items
            continue
        inner = [a for a in (field.annotation, *get_args(field.annotation))
                 if isinstance(a, type) and issubclass(a, BaseModel)]
        if inner:
            model = inner[0]
    return list(model.model_fields)


#: case.yaml's type errors in words (pydantic's: "Input should be a valid dictionary or
#: instance of SolverDefaults"), with an example of the key (:data:`_META_EXAMPLES`)
_META_WORDS = {
    "model_type": ("must be a mapping of keys", "e.g. {example}"),
    "dict_type": ("must be a mapping of keys", "e.g. {example}"),
    "tuple_type": ("must be a list", "one '- ' line per item, e.g. - {example}"),
    "list_type": ("must be a list", "one '- ' line per item, e.g. - {example}"),
    "too_short": ("", "e.g. - {example}"),
    "int_type": ("must be a whole number", ""), "int_parsing": ("must be a whole number", ""),
    "int_from_float": ("must be a whole number", ""),
    "float_type": ("must be a number", ""), "float_parsing": ("must be a number", ""),
    "string_type": ("must be text", ""), "bool_type": ("must be true or false", ""),
    "bool_parsing": ("must be true or false", ""),
}
_META_EXAMPLES = {"periods": "{period: p2026, start_year: 2026, length_yr: 5}",
                  "solver": "solver: {method: auto, time_limit_s: 600}"}


def _meta(raw: dict, out: _Collector) -> CaseMeta | None:
    try:
        return CaseMeta.model_validate(raw)
    except ValidationError as exc:
        fields = list(CaseMeta.model_fields)
        errors = exc.errors()
        # a list whose every item is refused is "too short" after validation too (pydantic
        # counts only the items that passed): the items' own problems say it all
        inside = {err["loc"][:1] for err in errors if len(err["loc"]) > 1}
        errors = [e for e in errors if not (e["type"] == "too_short" and e["loc"] in inside)]
        # one rule broken by many items of a list (2,000 periods past 2300): the first
        # MAX_PER_CHECK, then a count, as the tables' checks do
        kinds = [(e["type"], tuple("*" if isinstance(x, int) else x for x in e["loc"]))
                 for e in errors]
        total = Counter(kinds)
        seen: Counter = Counter()
        for err, kind in zip(errors, kinds, strict=True):
            seen[kind] += 1
            if seen[kind] > MAX_PER_CHECK:
                continue
            loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
            msg, hint = err["msg"].removeprefix("Value error, "), ""
            bound = {"less_than_equal": ("at most", "le"), "greater_than_equal":
                     ("at least", "ge"), "less_than": ("below", "lt"),
                     "greater_than": ("above", "gt")}.get(err["type"])
            limit = (err.get("ctx") or {}).get(bound[1]) if bound else None
            if bound and isinstance(limit, int | float):  # (not pydantic's own words)
                msg = f"must be {bound[0]} {limit:g}"
            elif err["type"] in _META_WORDS:
                msg, hint = _META_WORDS[err["type"]]
                if err["type"] == "too_short":
                    n = (err.get("ctx") or {}).get("min_length", 1)
                    msg = f"must hold at least {n} item{'s' if n != 1 else ''}"
                hint = hint.format(example=_META_EXAMPLES.get(
                    str(err["loc"][0]) if err["loc"] else "", "..."))
            head = msg.split(":", 1)[0]
            if not err["loc"] and head in fields:  # a whole-case rule names its key first
                loc, msg = head, msg.split(":", 1)[1].strip()
            if err["type"] == "extra_forbidden":
                msg, keys = "unknown key", _keys_at(err["loc"])
                hint = closest(str(err["loc"][-1]), keys) or f"known keys: {', '.join(keys)}"
            elif err["type"] == "missing":
                msg, hint = "required key is missing", f"add '{loc}' to case.yaml"
            elif (err["type"] == "string_pattern_mismatch"
                  and (err.get("ctx") or {}).get("pattern") == NAME_PATTERN):
                msg = SNAKE_RULE  # (pydantic's text quoted the regular expression)
                hint = name_hint(err["input"])
            value = err.get("input")
            percent = re.fullmatch(r"\s*([-+]?\d+(?:\.\d+)?)\s*%\s*", str(value))
            if err["type"] in ("float_parsing", "int_parsing") and percent:
                # '10%': pydantic said 'unable to parse string as a number'
                msg = "must be a number, not a percentage"
                hint = (as_fraction(float(percent[1])) if loc in FRACTION_KEYS
                        else "write the number without %")
            elif (err["type"] == "string_type" and loc == "description"
                  and isinstance(value, int | float)):
                # (YAML read description: 2.10 as the number 2.1; a name is no number)
                hint = (f"put it in quotes to keep it text as written: {loc}: '{value}' "
                        "(in a workbook's case sheet, type the quotes too)")
            elif (err["type"] == "less_than_equal" and loc in FRACTION_KEYS
                  and isinstance(value, int | float) and value >= 1):
                hint = as_fraction(value)
            shown = ("" if isinstance(value, dict | list) or err["type"] == "missing"
                     else f" (found {quoted(value, as_repr=True)})")
            out.add(f"case.yaml key {loc}", f"{msg}{shown}", hint)
            if seen[kind] == MAX_PER_CHECK < total[kind]:  # the count right after its 20
                out.add(f"case.yaml key {'.'.join(str(x) for x in kind[1])}",
                        f"and {total[kind] - MAX_PER_CHECK} more like the {MAX_PER_CHECK} "
                        "above")
        return None


def check_meta(raw: dict) -> list[Problem]:
    """The problems of a ``case.yaml`` mapping, each at ``case.yaml key <key>``."""
    out = _Collector()
    _meta(raw, out)
    return out.problems


def _normalise(spec: TableSpec, df: pd.DataFrame, file: str, out: _Collector,
               columns: dict[str, Column] | None = None,
               rows: np.ndarray | None = None) -> pd.DataFrame:
    """Check columns and cell types of one table; return it with typed, defaulted columns.

    Each column is checked with whole-array operations on numpy arrays (a pandas string
    method only where a pattern must match); the typed table is assembled once at the end.
    ``rows``: what messages call each row (default: its spreadsheet row, header = 1).
    """
    cols = columns if columns is not None else spec.column_map
    if df.empty and set(df.columns) <= set(cols):
        return _empty(cols)
    rows = np.arange(len(df)) + 2 if rows is None else rows
    shown = df.assign(_row=rows)  # the cells as given, for messages
    unknown = [c for c in df.columns if c not in cols]
    for c in unknown[:MAX_PER_CHECK]:
        # a header is a value like any other: one of 300 characters is cut (quoted)
        out.add(f"{file}, column {c if len(c) <= MAX_QUOTED else quoted(c)}", "unknown column",
                closest(c, cols) or f"known columns: {', '.join(cols)}")
    if len(unknown) > MAX_PER_CHECK:
        out.add(file, f"{len(unknown) - MAX_PER_CHECK} more unknown columns")
    data: dict[str, object] = {}
    for name, col in cols.items():
        present = name in df.columns
        if not present:
            if col.required:
                out.add(f"{file}, column {name}", "required column is missing",
                        f"add a '{name}' column")
            a = np.full(len(df), "", dtype=object)  # all blank: no row to report
        else:
            a = df[name].astype(str).to_numpy(dtype=object)
        blank = a == ""
        if col.required and present:
            # a project's unit: the hint for a unit of its own (0 for an expansion option)
            # led to a capacity of 0, a project that brings nothing
            theirs = np.zeros(len(df), dtype=bool)
            if col.blank_hint and "project" in df.columns:
                theirs = blank & (df["project"].astype(str).str.strip() != "").to_numpy()
                out.rows(file, shown, theirs, name, "a value is required here",
                         hint=PROJECT_CAPACITY_HINT)
            out.rows(file, shown, blank & ~theirs, name, "a value is required here",
                     hint=col.blank_hint)
        if col.kind == "name":
            bad = ~blank & ~_matches(a, NAME_PATTERN)
            out.rows(file, shown, bad, name, "names must be snake_case: lower-case letters, "
                     "digits and _, starting with a letter",
                     hints={str(v): name_hint(v) for v in set(a[bad])})
            data[name] = a
        elif col.kind in ("float", "int"):
            data[name] = _number(col, a, blank, file, shown, out)
        elif col.kind == "bool":
            low = np.strings.lower(a.astype(str))
            ok = np.isin(low, [*TRUE_TEXTS, *FALSE_TEXTS, ""])
            out.rows(file, shown, ~ok, name, "must be true or false")
            data[name] = np.where(blank, bool(col.default), np.isin(low, TRUE_TEXTS))
        elif col.kind == "enum":
            bad = ~blank & ~np.isin(a, list(col.choices))
            # (fullwidth 'ｃａｐｉｔａｌｉｓｅｄ' got "did you mean 'capitalised'?": the same
            # word to the eye, without a word on the characters that make it another)
            allowed = ", ".join(col.choices)
            hints = {v: true_false_note(v, f"one of {allowed}", "one of them")
                     or odd_note(v) + (closest(v, col.choices) or f"one of: {allowed}")
                     for v in set(a[bad])}
            out.rows(file, shown, bad, name, "not an allowed value", hints=hints)
            data[name] = np.where(blank, str(col.default or ""), a)
        elif col.kind in ("shares", "refs") and blank.all():
            data[name] = np.full(len(a), "" if col.kind == "shares" else str(col.default or ""),
                                 dtype=object)
        elif col.kind in ("shares", "refs"):
            # an empty item ("0.5;;0.8", ";", "a;"): dropped, it would shift a ramp-up's
            # years or hide a name left out (each distinct cell looked at once, as
            # split_list splits it: a link's list repeats over its rows)
            codes, cells = pd.factorize(a)
            empty = pd.Series(cells, dtype=str).str.contains(_EMPTY_ITEM).to_numpy(bool)
            out.rows(file, shown, empty[codes], name,
                     "holds an empty item (';' twice in a row, or at an end)",
                     hint="separate the items by one ';' each (e.g. "
                     f"{'0.5;0.8' if col.kind == 'shares' else 'a;b'})")
            items = split_list(pd.Series(a, index=df.index))
            if col.kind == "shares":
                num = pd.to_numeric(items, errors="coerce")
                bad_idx = items.index[(num.isna() | (num <= 0) | (num > 1)).to_numpy()]
                out.rows(file, shown, df.index.isin(bad_idx), name,
                         "must be shares in (0, 1] separated by ;", hint="e.g. 0.5;0.8")
                tiny_idx = items.index[((num > 0) & (num < MIN_MAGNITUDE)).to_numpy()]
                out.rows(file, shown, df.index.isin(tiny_idx) & ~df.index.isin(bad_idx), name,
                         f"a share below {MIN_MAGNITUDE:g}", hint="no share is this small: a "
                         "typo? (e.g. 0.5;0.8)")
            # canonical "a;b" (spaces stripped); references are checked later
            fill = "" if col.kind == "shares" else str(col.default or "")
            data[name] = _rejoin(items, df.index, fill)
        else:  # ref, text: checked against other tables later
            data[name] = np.where(blank, str(col.default or ""), a)
    data["_row"] = rows
    return pd.DataFrame(data, index=df.index)


#: tables typed by :func:`_typed` that passed its checks, by content: a case edited in
#: one table (a scenario, a sweep's cold variant, an edited copy) types the others once
TYPED: memo.Kept[pd.DataFrame] = memo.Kept(128)
#: larger tables are typed every time: at most 128,000 rows kept, as many as the cases
#: the validation memo keeps (the default case's largest table has 272 rows)
TYPED_ROWS = 1_000


def _typed(spec: TableSpec, df: pd.DataFrame, out: _Collector, k: str | None
           ) -> pd.DataFrame:
    """``df`` (the file ``<spec.name>.csv`` as read) typed by :func:`_normalise` and
    checked for duplicate keys (:func:`_duplicates`). Both are pure functions of the
    table's content (and pandas' text storage, which an empty table's columns are made
    in), so a table that passed them is kept (:data:`TYPED`, by its ``k``,
    :func:`chainopt.case.memo.table_key`) and the same content is handed a copy of its
    typed table; one with problems is checked anew each time, for its messages."""
    k = memo.in_storage(k) if k is not None and len(df) <= TYPED_ROWS else None
    file, had = f"{spec.name}.csv", len(out.problems)

    def make() -> pd.DataFrame:
        typed = _normalise(spec, df, file, out)
        _duplicates(spec, typed, file, out, given=list(df.columns))
        return typed

    return memo.copied(TYPED, k, make, ok=lambda: len(out.problems) == had)


def check_cells(spec: TableSpec, column: str, cells: pd.Series, file: str,
                names: dict[str, np.ndarray] | None = None) -> list[Problem]:
    """The problems ``cells`` (text, as a file holds them) would have as values of
    ``spec``'s ``column``: the checks every cell of ``file`` gets (a number, finite, within
    the column's bounds, whole for an int; a snake_case name; an allowed value; a value
    where one is required) and, given ``names`` (the names each referenced table holds,
    as :func:`key_sets`), a known name. Each problem is at ``<file> row <label>, column
    <column>``, the label being the cell's index in ``cells`` (e.g. the row's key)."""
    out = _Collector()
    col = spec.column_map[column]
    df = pd.DataFrame({column: cells.astype(str).to_numpy()})
    typed = _normalise(spec, df, file, out, columns={column: col},
                       rows=cells.index.to_numpy())
    if names is not None and col.kind in ("ref", "refs") and col.ref in names:
        _check_refs(file, typed, col, names[col.ref], out)
    return out.problems


#: a ;-list with an empty item: ';' first or last, or two with only spaces between
_EMPTY_ITEM = r"^\s*;|;\s*;|;\s*$"


def _rejoin(items: pd.Series, index: pd.Index, fill: str) -> np.ndarray:
    """Each row's items (from :func:`split_list`, in row order) joined with ``;`` again,
    ``fill`` for a row without items: ``" a ; b"`` -> ``"a;b"``. The items of a row are
    summed as strings in one ``np.add.reduceat`` (no Python loop over rows)."""
    out = np.full(len(index), fill, dtype=object)
    if len(items):
        row = index.get_indexer(items.index)
        starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        parts = items.to_numpy(dtype=object).copy()
        more = np.ones(len(parts), dtype=bool)
        more[np.r_[starts[1:] - 1, len(parts) - 1]] = False  # a row's last item: no ';'
        parts[more] = parts[more] + ";"
        out[row[starts]] = np.add.reduceat(parts, starts)
    return out


def _matches(a: np.ndarray, pattern: str) -> np.ndarray:
    """Whether each text matches ``pattern`` entirely (vectorised by pandas)."""
    if not len(a):
        return np.zeros(0, dtype=bool)
    return pd.Series(a, dtype=str).str.fullmatch(pattern).to_numpy(dtype=bool)


#: what to give as the capacity of a project's unit left blank (0 is allowed: a what-if)
PROJECT_CAPACITY_HINT = ("this unit comes with a project: give the capacity the project "
                         "brings (above 0)")


#: the error values a spreadsheet cell may hold (a formula's result saved as such)
EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#UNKNOWN!",
                "#CONNECT!", "#BUSY!")
#: minus signs a keyboard does not type (pasted from Word or a PDF): − (U+2212), – (en
#: dash), — (em dash), ‐ (hyphen U+2010), ‑ (non-breaking hyphen), and a number after it
_TYPOGRAPHIC_MINUS = re.compile(r"[\u2212\u2013\u2014\u2010\u2011]\s*(\d+(\.\d*)?|\.\d+)"
                                r"([eE][-+]?\d+)?", re.ASCII)


def not_a_number_hint(value: str) -> str:
    """What to do with ``value`` in a number column that is no number (none of the
    hints of a thousands separator, decimal comma or percentage)."""
    low = value.strip().lower()
    if low in ("true", "false", "yes", "no"):
        return ("a TRUE/FALSE (yes/no) value where a number belongs: enter the number "
                "(in a workbook, a cell holding TRUE or FALSE)")
    if _TYPOGRAPHIC_MINUS.fullmatch(value.strip()):
        return (f"a typographic minus ({value.strip()[0]}, as Word or a PDF writes it): type "
                f"the keyboard's minus sign: -{value.strip()[1:].strip()}")
    if value.strip().upper() in EXCEL_ERRORS:
        return (f"an Excel error value ({value.strip()}): the formula that gave it failed; "
                "fix the formula (or the cells it reads), or enter the number")
    return "enter a number: digits with a decimal point, without a unit or other text"


def _number(col: Column, a: np.ndarray, blank: np.ndarray, file: str, shown: pd.DataFrame,
            out: _Collector) -> np.ndarray:
    """A float or int column's values (default where blank), every bad cell reported."""
    name = col.name
    num = pd.to_numeric(np.where(blank, np.nan, a), errors="coerce").astype(float)
    notnum = ~blank & np.isnan(num)
    if notnum.any():  # a spelled-out NaN is a number, but not a finite one
        text = pd.Series(a[notnum], dtype=str)
        nan_text = np.zeros(len(a), dtype=bool)
        nan_text[notnum] = text.str.lower().isin(["nan", "+nan", "-nan"]).to_numpy()
        comma = np.zeros(len(a), dtype=bool)
        comma[notnum] = text.str.fullmatch(r"[-+]?\d+,\d+").to_numpy(dtype=bool)
        # '8,000' (groups of exactly three digits after a leading 1-3 not starting with 0):
        # the decimal-comma hint made it 8.000 = 8, a thousandth of what was meant
        thousands = np.zeros(len(a), dtype=bool)
        thousands[notnum] = text.str.fullmatch(r"[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?").to_numpy(
            dtype=bool)
        comma &= ~thousands
        percent = np.zeros(len(a), dtype=bool)  # (text in a cell formatted as text)
        percent[notnum] = text.str.fullmatch(r"[-+]?\d+(\.\d+)?\s*%").to_numpy(dtype=bool)
        notnum &= ~nan_text
        # each hint the cell's own value written as meant ('95%': 0.95, '1,000': 1000)
        out.rows(file, shown, notnum & thousands, name, "not a number", hints={
            v: f"thousands separator? write {v.replace(',', '')} (no separator), not {v}"
            for v in set(a[notnum & thousands])})
        out.rows(file, shown, notnum & comma, name, "not a number", hints={
            v: f"decimal comma? write the decimal point: {v.replace(',', '.')}, not {v}"
            for v in set(a[notnum & comma])})
        out.rows(file, shown, notnum & percent, name, "not a number", hints={
            v: f"a percentage? write the fraction: "
               f"{float(v.rstrip().removesuffix('%')) / 100:.10g}, not {v}"
            for v in set(a[notnum & percent])})
        other = notnum & ~comma & ~thousands & ~percent
        out.rows(file, shown, other, name, "not a number",
                 hints={v: not_a_number_hint(v) for v in set(a[other])})
    else:
        nan_text = np.zeros(len(a), dtype=bool)
    finite = np.isfinite(np.where(np.isnan(num), 0.0, num)) & ~nan_text
    out.rows(file, shown, ~finite, name, "must be a finite number")
    with np.errstate(invalid="ignore"):  # (an int column is a count or a name: a tier)
        huge = finite & (np.abs(num) > MAX_MAGNITUDE) & (col.kind == "float")
    out.rows(file, shown, huge, name, f"must be at most {MAX_MAGNITUDE:g} in size",
             hint="no price, cost, quantity or rate comes near it: a typo? (a blank cell "
                  "is no limit where the column allows one)")
    finite &= ~huge
    with np.errstate(invalid="ignore"):
        tiny = finite & (num != 0) & (np.abs(num) < MIN_MAGNITUDE) & (col.kind == "float")
    out.rows(file, shown, tiny, name, f"must be 0 or at least {MIN_MAGNITUDE:g} in size",
             hint="no yield, share, price or quantity is this small: a typo? (write 0 for "
                  "none)")
    finite &= ~tiny
    with np.errstate(invalid="ignore"):
        if col.lo is not None:
            low = num <= col.lo if col.lo_open else num < col.lo
            word = "greater than" if col.lo_open else "at least"
            out.rows(file, shown, low & finite, name, f"must be {word} {col.lo:g}")
        if col.hi is not None:
            over = ((num >= col.hi) if col.hi_open else (num > col.hi)) & finite
            # a fraction column (0 to at most 1) given 1 or more: a percentage (1 for 1 %)
            pct = over & (num >= 1) & (col.lo == 0 and col.hi <= 1)
            word = "less than" if col.hi_open else "at most"
            out.rows(file, shown, over, name, f"must be {word} {col.hi:g}",
                     hints=pd.Series([as_fraction(v) for v in num[pct]],
                                     index=shown.index[pct], dtype=object))
        if col.kind == "int":
            frac = ~np.isnan(num) & (num % 1 != 0) & finite
            out.rows(file, shown, frac, name, "must be a whole number")
    if col.default is not None:
        num = np.where(np.isnan(num), float(col.default), num)  # type: ignore[arg-type]
    return num


def _empty(cols: dict[str, Column]) -> pd.DataFrame:
    """A typed table with no rows (absent optional tables): a copy of one made once (for
    each string storage, :mod:`chainopt.case.storage`)."""
    return _empty_frame(tuple((n, c.kind) for n, c in cols.items()),
                        pd.get_option("mode.string_storage")).copy()


@functools.cache
def _empty_frame(kinds: tuple[tuple[str, str], ...], _storage: str) -> pd.DataFrame:
    dtypes = {"float": float, "int": float, "bool": bool}
    data = {n: pd.array([], dtype=dtypes.get(k, "str")) for n, k in kinds}
    return pd.DataFrame({**data, "_row": pd.array([], dtype="int64")})


def odd_note(text: str) -> str:
    """``'ѕmall' holds U+0455 CYRILLIC SMALL LETTER DZE, outside ASCII; `` before a hint
    on a value that matches nothing ('' for plain ASCII): a Cyrillic 'а' looks like the
    Latin 'a' it is not, a zero-width space like nothing."""
    odd = outside_ascii(text)
    return f"{quoted(text)} {odd}; " if odd else ""


def true_false_note(value: str, wanted: str, enter: str) -> str:
    """The hint for ``true`` or ``false`` (any case) where ``wanted`` belongs (a list of
    commodity names, one of paid, capitalised): a TRUE/FALSE cell of a workbook reads so,
    and the nearest name ('crude' for 'true') is no help; '' for any other value."""
    if value.strip().lower() not in ("true", "false"):
        return ""
    return (f"a TRUE/FALSE value where {wanted} belongs: enter {enter} (in a workbook, a "
            "cell holding TRUE or FALSE)")


def name_hint(value: object) -> str:
    """The hint for a name that is not snake_case: ``e.g. 'bad_name'``, after a note on
    its characters outside ASCII (:func:`~chainopt.names.outside_ascii`). A zero-width
    character is left out of the example and an accent dropped (``Café``: 'cafe'); a
    letter with no ASCII form gives no example (Cyrillic ``ѕmall`` gave 'mall')."""
    text = str(value)
    odd = outside_ascii(text)
    if not odd:
        return f"e.g. '{suggest(text)}'"
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    folded = unicodedata.normalize("NFKD", text)
    lost = any(not ch.isascii() and unicodedata.category(ch) != "Mn" for ch in folded)
    ascii_text = folded.encode("ascii", "ignore").decode()
    example = "" if lost else f", e.g. '{suggest(ascii_text)}'"
    return f"{quoted(value)} {odd}: type it in ASCII letters{example}"


def _duplicates(spec: TableSpec, df: pd.DataFrame, file: str, out: _Collector,
                key: tuple[str, ...] | None = None, given: Iterable[str] | None = None
                ) -> None:
    """Rows repeating a key. ``given``: the file's columns; a key column with a default
    that the file leaves out (a market's tier) is not named in the message."""
    key = key or spec.key
    dup = df.duplicated(list(key), keep="first")
    if dup.any():
        cols = spec.column_map
        shown_key = [k for k in key if given is None or k in given or k not in cols
                     or cols[k].default in (None, "")]
        label = ", ".join(shown_key)
        shown = join_keys(df, shown_key)
        tmp = df.assign(_key=shown)
        hint = "each key may appear once; merge or rename the rows"
        if "tier" in key:
            hint += " (or give each a price tier in a tier column)"
        out.rows(file, tmp, dup, "_key", f"duplicate key ({label})", hint=hint,
                 label=columns_label(shown_key))


def _list_note(item: str) -> str:
    """The note for a list item holding several names (``hdpe,crude``, ``hdpe crude``, a
    YAML list ``['hdpe', 'crude']`` set in a scenario): a list is one text, its names
    separated by ';'."""
    words = re.findall(r"[^\s,\[\]'\"]+", item)
    if len(words) < 2:
        return ""
    return (f"a list is one text with its names separated by ';' (e.g. '{';'.join(words)}'), "
            "not by commas, spaces or YAML brackets")


# What one name of each referenced table is called in messages.
REF_NOUNS = {"commodities": "commodity", "processes": "process", "properties": "property"}


def _check_refs(file: str, df: pd.DataFrame, col: Column, valid: np.ndarray,
                out: _Collector) -> None:
    if not len(df):
        return
    named: list[str] = []  # the declared names a hint may suggest, found at its first
    broken: list[str] = []  # the declared names that break the name rule

    def near(v: str) -> str:
        """A hint's "did you mean", never a declared name that breaks the name rule
        ('wsib\\x1b[2J': refused itself where it is declared); when such a name is the
        one meant ('wsib' against a declared 'ws\\u200bib'), the place to fix it."""
        if not named and not broken:
            for x in valid:
                (named if is_name(x) else broken).append(str(x))
        hit = closest(v, named)
        if hit or not broken:
            return hit
        meant = closest(v, broken)
        return (f"{meant.removesuffix('?').replace('did you mean', 'the name declared is')}"
                f", itself refused (its own message above): correct it where it is "
                f"declared, in {DECLARED_IN.get(col.ref or '', f'{col.ref}.csv')}"
                if meant else "")

    s = df[col.name]
    if col.kind == "refs":
        parts = split_list(s)
        unknown = ~isin(parts, valid)
        if not unknown.any():
            return
        bad_idx = parts.index[unknown].unique()
        bad_vals = parts[unknown]
        mask = pd.Series(df.index.isin(bad_idx), index=df.index)
        noun = _noun(col)
        hints = {v: _list_note(b) or true_false_note(v, f"a list of {noun} names", "the "
                                                     "names, separated by ';'")
                 or odd_note(b) + (near(b) or _declare(col, valid))
                 for v, b in zip(s[bad_idx], bad_vals.groupby(level=0).first(), strict=False)}
        out.rows(file, df, mask, col.name, f"unknown {noun} name in list", hints=hints)
        return
    bad = s.ne("").to_numpy() & ~isin(s, valid)
    if not bad.any():
        return
    hints = {v: true_false_note(v, f"a {_noun(col)} name", "the name")
             or odd_note(v) + (near(v) or _declare(col, valid))
             for v in s[bad].unique()}
    out.rows(file, df, bad, col.name, f"unknown {_noun(col)} name", hints=hints)


def _repeated_items(file: str, df: pd.DataFrame, col: Column, out: _Collector) -> None:
    """A ``;``-list of names names each once: a link listing ``x;x`` made two flow
    variables of x (duplicate rows in flows.csv), a blend two of one component."""
    codes, cells = pd.factorize(df[col.name], use_na_sentinel=False)  # each list once
    cells = pd.Series(cells).astype(str)
    lists = cells[cells.str.contains(";", regex=False).to_numpy()]  # two names or more
    if lists.empty:
        return  # (most list columns: one name a row)
    parts = split_list(lists)
    again = parts[pd.DataFrame({"cell": parts.index, "item": parts.to_numpy()})
                  .duplicated().to_numpy()]
    first = again.groupby(level=0).first()  # by distinct cell: the first name repeated
    bad = pd.Series(isin(codes, first.index), index=df.index)
    hints = pd.Series([f"list '{first[c]}' once" for c in codes[bad.to_numpy()]],
                      index=df.index[bad.to_numpy()], dtype=object)
    out.rows(file, df, bad, col.name, f"a {_noun(col)} is named twice in this list",
             hints=hints)


#: where a referenced name is declared, where not in a table of its own name
DECLARED_IN = {"processes": "modes.csv (column process)",
               "properties": "qualities.csv (column property)"}


def _declare(col: Column, valid: np.ndarray) -> str:
    """The hint for a reference with no close name: the table to declare it in (a
    period: case.yaml's periods, listed)."""
    if col.ref == "periods":
        names = [str(v) for v in valid]
        more = ", ..." if len(names) > MAX_PER_CHECK else ""
        return f"the periods of case.yaml: {', '.join(names[:MAX_PER_CHECK])}{more}"
    return f"declare it in {DECLARED_IN.get(col.ref or '', f'{col.ref}.csv')}"


def _noun(col: Column) -> str:
    """What one name of the table a reference column points to is called."""
    ref = col.ref or ""
    if ref in REF_NOUNS:
        return REF_NOUNS[ref]
    # parties -> party (never 'partie'), sites -> site
    return ref[:-3] + "y" if ref.endswith("ies") else ref.removesuffix("s")


def key_sets(meta: CaseMeta | None, tables: dict[str, pd.DataFrame]
             ) -> dict[str, np.ndarray]:
    """The names each reference may point to, by referenced table: distinct names as an
    array (taken from the column in one step, never a Python set built row by row)."""
    def distinct(table: str, column: str) -> np.ndarray:
        if table not in tables or column not in tables[table].columns:
            return np.empty(0, dtype=object)
        return np.asarray(pd.unique(tables[table][column]), dtype=object)

    keys = {name: distinct(name, TABLES[name].key[0]) for name in tables
            if len(TABLES[name].key) == 1}
    if meta is not None:  # else case.yaml is reported and period names are unknown
        keys["periods"] = np.asarray(meta.period_names, dtype=object)
    keys["processes"] = distinct("modes", "process")
    keys["properties"] = distinct("qualities", "property")
    return keys


def _by_period(parent: TableSpec, df: pd.DataFrame, table: pd.DataFrame,
               periods: np.ndarray | None, out: _Collector) -> pd.DataFrame:
    file = f"{parent.name}_by_period.csv"
    pcols = {c.name: c for c in parent.columns if c.period}
    cols = {k: parent.column_map[k] for k in parent.key}
    cols["period"] = Column("period", "ref", required=True, ref="periods")
    for name, c in pcols.items():
        cols[name] = Column(name, c.kind, lo=c.lo, hi=c.hi, lo_open=c.lo_open,
                            hi_open=c.hi_open)
    cols["source"] = Column("source", "text", default="")
    norm = _normalise(parent, df, file, out, columns=cols)
    if periods is not None:
        _check_refs(file, norm, cols["period"], periods, out)
    keys = join_keys(table, parent.key)
    mine = join_keys(norm, parent.key)
    bad = ~isin(mine, keys)
    # a key column with a default (a market's tier) that the file leaves out is not named
    named = [k for k in parent.key if k in df.columns or parent.column_map[k].default
             in (None, "")]
    out.rows(file, norm.assign(_key=join_keys(norm, named)), bad, "_key",
             f"no row with this key in {parent.name}.csv",
             hint=f"add the row to {parent.name}.csv first", label=columns_label(named))
    _duplicates(parent, norm, file, out, key=(*parent.key, "period"), given=list(df.columns))
    return norm


def _semantics(meta: CaseMeta, t: dict[str, pd.DataFrame], out: _Collector) -> None:
    _disposal_semantics(t["commodities"], out)
    com = t["commodities"].set_index("commodity")
    # (also when mode_flows.csv is missing or has only its header: every mode is then
    # refused, not a chain that does nothing and an 'optimal' plan that builds nothing)
    if "mode_flows" in t and "modes" in t:
        mf = t["mode_flows"]
        no_flow = ~isin(t["modes"]["mode"], mf["mode"])
        out.rows("modes.csv", t["modes"], no_flow, "mode",
                 "mode has no rows in mode_flows.csv", hint="give it inputs and outputs")
        unit = mf["commodity"].map(com["unit"])
        factor = pd.Series(lookup(unit, {u: f for u, (_, f) in UNITS.items()}),
                           index=mf.index)
        is_mass = pd.Series(isin(unit, [u for u, (d, _) in UNITS.items() if d == "mass"]),
                            index=mf.index)
        is_emis = mf["commodity"].map(com["kind"]).eq("emission").astype(bool)
        signed = mf["amount_per_unit"] * factor * np.where(mf["direction"] == "out", 1, -1)
        g = pd.DataFrame({"mode": mf["mode"], "net": signed, "mass": is_mass | is_emis,
                          "emis": is_emis, "in": mf["direction"].eq("in") & is_mass})
        # Emissions may come from burnt fuel that is not an input (e.g. fuel gas made inside
        # the mode), so they are left out of the mass check.
        g = g[~g["emis"]]
        grp = g.groupby("mode")
        all_mass = grp["mass"].all()
        net = grp["net"].sum()
        fed = grp["in"].sum()
        gross = g["net"].abs().groupby(g["mode"]).sum()
        creates = all_mass & (net > MASS_TOLERANCE * gross)
        creates &= fed > 0
        for mode in creates[creates].index[:MAX_PER_CHECK]:
            rows = mf.loc[mf["mode"] == mode, "_row"].tolist()
            out.add(f"mode_flows.csv rows {rows}",
                    f"mode '{mode}' creates mass: outputs exceed inputs by "
                    f"{net[mode]:.6g} t per activity unit",
                    "lower the output amounts or add the missing input (yields are t/t)")
    if "units" in t and "modes" in t:
        pass  # unit.process refs already checked against processes defined in modes
    if "links" in t:
        lk = t["links"]
        out.rows("links.csv", lk, lk["from_site"] == lk["to_site"], "to_site",
                 "a link must join two different sites")
    if "projects" in t:
        pj = t["projects"]
        _project_semantics(meta, t, out)
        used = [t[name]["project"] for name in ("units", "links") if name in t]
        brings = isin(pj["project"], pd.concat(used)) if used else np.zeros(len(pj), bool)
        out.rows("projects.csv", pj, ~brings & pj["retires_units"].eq(""),
                 "project", "project brings no unit or link and retires nothing",
                 hint="set the project column of the units or links it builds")
    if "policies" in t:
        _emission_kind("policies.csv", t["policies"], "commodity", com,
                       "policies apply to emission commodities only", out)
    _blend_semantics(t, out)
    _curve_semantics(t, out)
    for name in ("supplies", "markets"):
        if name in t:
            _not_emission(f"{name}.csv", t[name], "commodity", com,
                          "emission commodities cannot be bought or sold here",
                          "use policies.csv for carbon prices", out)
    # An emission commodity is released, never balanced: nothing could deliver a hard
    # demand for it, so the case would only come back infeasible, with no word of why.
    if "demand" in t:
        _not_emission("demand.csv", t["demand"], "commodity", com,
                      "an emission commodity is released to the atmosphere, never "
                      "delivered: no plan could meet a hard demand for it",
                      "remove the row; to bound emissions use cap_k_per_yr in policies.csv",
                      out)
    if "links" in t:
        lk = t["links"]
        out.rows("links.csv", lk, _lists_emission(lk["commodities"], com), "commodities",
                 "emission commodities cannot be shipped")
        _link_emissions(lk, com, out)
    # ... nor blended: the blend's row in a balance the emission does not have (what modes
    # emit never enters it) could only hold it at 0, the blend making or using none
    if "blends" in t and len(t["blends"]):
        bl = t["blends"]
        _not_emission("blends.csv", bl, "product", com, "an emission commodity is released "
                      "to the atmosphere, never balanced: no blend can make it",
                      "name the blended product", out)
        out.rows("blends.csv", bl, _lists_emission(bl["components"], com), "components",
                 "an emission commodity is released to the atmosphere, never balanced: it "
                 "cannot go into a blend", hint="remove it from the components")


def _not_emission(file: str, df: pd.DataFrame, column: str, com: pd.DataFrame, message: str,
                  hint: str, out: _Collector) -> None:
    """``column`` names no emission commodity (bought, sold, delivered or blended: an
    emission is released, never balanced); the converse of :func:`_emission_kind`."""
    out.rows(file, df, df[column].map(com["kind"]).eq("emission"), column, message,
             hint=hint)


def _lists_emission(lists: pd.Series, com: pd.DataFrame) -> pd.Series:
    """Which ``;``-lists of commodities (a link's ``commodities``, a blend's
    ``components``) name an emission commodity."""
    parts = split_list(lists)
    emis = parts.map(com["kind"]).eq("emission")
    return pd.Series(lists.index.isin(parts.index[emis]), index=lists.index)


def _disposal_semantics(com: pd.DataFrame, out: _Collector) -> None:
    """Disposal is of a balanced commodity and its cost needs it: only a commodity with
    ``disposal: true`` gets a disposal variable, priced at ``disposal_cost_usd_per_unit``,
    so a cost without it prices nothing; an ``emission`` commodity is released, never
    balanced, so ``disposal: true`` there adds nothing. Either value would be ignored."""
    disposes = com["disposal"].astype(bool)
    shown = com.assign(disposal=np.where(disposes, "true", "false"))  # as written
    out.rows("commodities.csv", shown, disposes & com["kind"].eq("emission"), "disposal",
             "an emission commodity is released to the atmosphere, never balanced, so it "
             "has nothing to dispose of: this value would be ignored",
             hint="leave disposal blank (or false); to price or cap emissions use "
                  "policies.csv")
    cost = pd.to_numeric(com["disposal_cost_usd_per_unit"], errors="coerce").fillna(0.0)
    out.rows("commodities.csv", com, ~disposes & cost.ne(0), "disposal_cost_usd_per_unit",
             "a disposal cost applies only to a commodity with disposal: true, which this "
             "one has not: this value would be ignored",
             hint="set disposal to true to let the excess be discarded at this cost, or "
                  "leave disposal_cost_usd_per_unit blank")


def _emission_kind(file: str, df: pd.DataFrame, column: str, com: pd.DataFrame, message: str,
                   out: _Collector) -> None:
    """``column`` names an emission commodity (kind ``emission``): another kind would be
    counted as an emission of its own, outside every carbon price and cap. Blank cells and
    unknown names are left to the other checks."""
    kind = df[column].map(com["kind"])
    out.rows(file, df, kind.ne("emission") & kind.notna(), column, message,
             hint="set kind=emission in commodities.csv, or pick the emission commodity")


def _link_emissions(lk: pd.DataFrame, com: pd.DataFrame, out: _Collector) -> None:
    """What a link emits is named: ``emission_per_unit`` > 0 needs ``emission_commodity``
    (without one the emissions vanished, escaping carbon prices and caps), and that is an
    emission commodity."""
    out.rows("links.csv", lk, (lk["emission_per_unit"] > 0) & lk["emission_commodity"].eq(""),
             "emission_commodity", "this link emits (emission_per_unit > 0) but names no "
             "emission commodity", hint="name what it emits (a commodity of kind emission, "
             "e.g. co2), or set emission_per_unit to 0")
    _emission_kind("links.csv", lk, "emission_commodity", com,
                   "a link's emissions must be of an emission commodity", out)


def _link_units(t: dict[str, pd.DataFrame], by_period: dict, out: _Collector) -> None:
    """A link's commodities share its capacity, ``sum_c flow[l,c,t] <= cap``, a sum of
    k units/yr of each commodity's own unit: commodities in different units (t and kg,
    t and bbl) add up to no quantity there (10 k kg would fill as much of it as 10 kt),
    so a link with a capacity in some period (or a project's) carries one unit. A link
    with a blank capacity everywhere has no such sum and may carry any."""
    lk = t.get("links")
    if lk is None or lk.empty:
        return
    items = split_list(lk["commodities"])
    unit = items.map(t["commodities"].set_index("commodity")["unit"])
    mixed = unit.groupby(level=0).nunique() > 1
    if not mixed.any():
        return
    capped = lk["capacity_k_per_yr"].notna() | lk["project"].ne("")
    bp = by_period.get("links")
    if bp is not None and len(bp) and "capacity_k_per_yr" in bp:
        given = pd.to_numeric(bp["capacity_k_per_yr"], errors="coerce").notna()
        capped |= lk["link"].isin(set(bp.loc[given, "link"]))
    bad = capped & mixed.reindex(lk.index, fill_value=False)
    listed = {i: "; ".join(f"{u}: {', '.join(items[i][unit[i] == u])}"
                           for u in unit[i].unique()) for i in lk.index[bad]}
    out.rows("links.csv", lk, bad, "commodities",
             "the link's commodities share its capacity but are in different units, "
             "which add up to no quantity", hints=pd.Series({
                 i: f"its commodities by unit are {text}; give each unit its own link, or "
                    "state them in one unit (commodities.csv, column unit)"
                 for i, text in listed.items()}))


def _unlimited_expansion(t: dict[str, pd.DataFrame], by_period: dict, out: _Collector) -> None:
    """A link with blank (unlimited) capacity cannot also be expanded: the expansion's
    capacity rows would cap it at what is built (0 when nothing is)."""
    lk = t.get("links")
    if lk is None or lk.empty:
        return
    grows = lk["max_new_k_per_yr"].fillna(0) > 0
    bp = by_period.get("links")
    if bp is not None and len(bp) and "max_new_k_per_yr" in bp:
        later = pd.to_numeric(bp["max_new_k_per_yr"], errors="coerce") > 0
        grows |= lk["link"].isin(set(bp.loc[later, "link"]))
    out.rows("links.csv", lk, grows & lk["capacity_k_per_yr"].isna(), "capacity_k_per_yr",
             "a link that may be expanded (max_new_k_per_yr) needs a capacity: blank means "
             "unlimited, which no expansion can add to",
             hint="enter its capacity (0 if it has none yet), or clear max_new_k_per_yr")


# A project's unit or link is built by the project (projects.csv: capex_musd, lead_time_yr,
# ramp_up): these columns of its own row would be read by nothing.
_BUILD_COLUMNS = {"units": ("capex_usd_per_unit_yr", "max_new_k_per_yr", "min_new_k_per_yr",
                            "build_fixed_musd", "lead_time_yr", "ramp_up"),
                  "links": ("capex_usd_per_unit_yr", "max_new_k_per_yr", "lead_time_yr",
                            "ramp_up")}


def _ramp_within_life(t: dict[str, pd.DataFrame], out: _Collector) -> None:
    """A ``ramp_up`` lists a usable share for each of a build's first years of use, so
    it has at most ``lifetime_yr`` of them: a third share of a two-year life is never
    read (a typo in the life or the list, accepted quietly before)."""
    for name, key in (("units", "unit"), ("links", "link"), ("projects", "project")):
        df = t.get(name)
        if df is None or df.empty or "ramp_up" not in df or "lifetime_yr" not in df:
            continue
        ramp = df["ramp_up"].fillna("").astype(str)
        n = np.where(ramp.str.strip() == "", 0, ramp.str.count(";") + 1)
        life = pd.to_numeric(df["lifetime_yr"], errors="coerce").to_numpy(float)
        long = n > np.nan_to_num(life, nan=np.inf)
        if not long.any():
            continue
        said = pd.Series(n, index=df.index).astype(str)
        out.rows(f"{name}.csv", df, long, "ramp_up",
                 f"lists more yearly shares than the {key} has years of life "
                 "(lifetime_yr): those after its last year are never used",
                 hints="it lists " + said + " shares for a lifetime_yr of "
                       + df["lifetime_yr"].astype(str).str.removesuffix(".0")
                       + ": one share per year of use at most; shorten the list or check "
                         "lifetime_yr")


def _build_options(t: dict[str, pd.DataFrame], by_period: dict, out: _Collector) -> None:
    """What may be built must be buildable: a project's unit or link takes no build
    options of its own (the project builds it), and a unit's smallest build
    (``min_new_k_per_yr``) must fit in its largest (``max_new_k_per_yr``) in every period
    where it may be built, or it could never be built there."""
    for name, columns in _BUILD_COLUMNS.items():
        df, key = t.get(name), name[:-1]
        if df is None or df.empty:
            continue
        theirs = df["project"] != ""
        if not theirs.any():  # (no project's unit or link: nothing to look at)
            continue
        for col in columns:
            given = df[col].fillna("").ne("") & df[col].ne(0)
            out.rows(f"{name}.csv", df, theirs & given, col,
                     f"this {key} comes with a project, which builds it: {col} is for "
                     f"{name} outside projects",
                     hint="clear it (the project's capex_musd, lead_time_yr and ramp_up in "
                          f"projects.csv apply); to let it grow beyond the project, add a "
                          f"{key} of its own")
        bp = by_period.get(name)
        if bp is not None and len(bp) and "max_new_k_per_yr" in bp:
            owner = df.set_index(key)["project"]
            grows = pd.to_numeric(bp["max_new_k_per_yr"], errors="coerce") > 0
            out.rows(f"{name}_by_period.csv", bp, grows & bp[key].map(owner).ne(""),
                     "max_new_k_per_yr", f"this {key} comes with a project, which builds it: "
                     f"max_new_k_per_yr is for {name} outside projects",
                     hint=f"clear it; to let it grow beyond the project, add a {key} of its "
                          "own")
    units = t.get("units")
    if units is None or units.empty:
        return
    in_project = set(units.loc[units["project"] != "", "unit"])
    for curve in ("capex_segments", "capex_curve"):
        if curve in t and len(t[curve]):
            out.rows(f"{curve}.csv", t[curve], t[curve]["unit"].isin(in_project), "unit",
                     "this unit comes with a project, which builds it at the project's "
                     "capex_musd", hint="remove these rows")
    low = units["min_new_k_per_yr"]
    out.rows("units.csv", units, (low > units["max_new_k_per_yr"])
             & (units["max_new_k_per_yr"] > 0), "min_new_k_per_yr",
             "the smallest build is larger than max_new_k_per_yr, so the unit could never be "
             "built", hint="lower min_new_k_per_yr or raise max_new_k_per_yr")
    bp = by_period.get("units")
    if bp is not None and len(bp) and "max_new_k_per_yr" in bp:
        high = pd.to_numeric(bp["max_new_k_per_yr"], errors="coerce")
        smallest = bp["unit"].map(units.set_index("unit")["min_new_k_per_yr"])
        out.rows("units_by_period.csv", bp, (high > 0) & (high < smallest),
                 "max_new_k_per_yr", "smaller than the unit's min_new_k_per_yr in units.csv, "
                 "so the unit could never be built in this period",
                 hint="raise it to min_new_k_per_yr or more, or 0 to rule out a build here")


def _written(raw: pd.DataFrame | None, column: str, rows: pd.Series) -> np.ndarray:
    """Whether ``column`` holds a value in the file for each of ``rows`` (the ``_row``
    numbers of the typed table, header = 1) of ``raw``, the table as read (every cell a
    string, '' for blank): a typed table cannot tell a blank cell filled with the
    column's default from that value written out."""
    at = rows.to_numpy(int) - 2
    if raw is None or column not in raw.columns:
        return np.zeros(len(at), dtype=bool)
    return raw[column].astype(str).to_numpy(dtype=object)[at] != ""


def _project_lives(t: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame],
                   out: _Collector) -> None:
    """What a project brings lasts the project's ``lifetime_yr``: the model builds a
    project's units and links as the project's build (one vintage of first use f and life
    L from projects.csv, alive in years f..f+L-1), and never reads their own
    ``lifetime_yr``. One written in units.csv or links.csv that differs from the
    project's would be ignored without a word (a link's 40 run as its project's 25), so
    it is refused; a blank cell (the column's default) or the project's own value is
    fine. ``raw``: the tables as read, to tell a written value from the default."""
    pj = t["projects"]
    if pj.empty:
        return
    life = pj.set_index("project")["lifetime_yr"]
    row = pj.set_index("project")["_row"]
    for name in ("units", "links"):
        df, key = t[name], name[:-1]
        if df.empty:
            continue
        own = df["project"].map(life)
        bad = (df["project"].ne("") & _written(raw.get(name), "lifetime_yr", df["_row"])
               & own.notna() & df["lifetime_yr"].ne(own))
        if not bad.any():
            continue
        said = own.astype(str).str.removesuffix(".0")
        out.rows(f"{name}.csv", df, bad, "lifetime_yr",
                 f"this {key} comes with a project and lasts the project's lifetime_yr, "
                 "not one of its own",
                 hints="clear lifetime_yr: what project '" + df["project"] + "' brings "
                       "lasts the project's lifetime_yr (" + said + ", projects.csv row "
                       + df["project"].map(row).astype(str).str.removesuffix(".0")
                       + "), or set the two equal")


def _curve_limits(t: dict[str, pd.DataFrame], by_period: dict, out: _Collector) -> None:
    """A unit's build limits fit its cost curve, which prices builds up to its total size
    (:func:`chainopt.case.index.curve_sizes`): a larger ``max_new_k_per_yr`` (in
    ``units.csv`` or a period's override) was silently cut to the curve's size, and a
    larger ``min_new_k_per_yr`` meant the unit could never be built. A curve does not
    allow a build by itself: ``max_new_k_per_yr`` blank or 0 is no build, as without one."""
    units = t["units"]
    if units.empty or (t["capex_segments"].empty and t["capex_curve"].empty):
        return
    size = curve_sizes(t["capex_segments"], t["capex_curve"])
    if size.empty:
        return
    table = np.where(isin(size.index, t["capex_curve"]["unit"]), "capex_curve",
                     "capex_segments")
    ends = pd.Series([f"the cost curve of {u} ({f}.csv) ends at a build of {s:g}"
                      for u, f, s in zip(size.index, table, size, strict=True)],
                     index=size.index, dtype=object)

    def hints(unit: pd.Series, col: str) -> pd.Series:
        return unit.map(ends) + f": lower {col} to that or less, or extend the curve"

    own = units[units["project"].eq("") & units["unit"].isin(size.index)]
    of = own["unit"].map(size)
    too_big = "larger than the largest build the unit's cost curve prices"
    out.rows("units.csv", own, own["max_new_k_per_yr"] > of, "max_new_k_per_yr", too_big,
             hints=hints(own["unit"], "max_new_k_per_yr"))
    out.rows("units.csv", own, own["min_new_k_per_yr"] > of, "min_new_k_per_yr",
             "the smallest build is larger than the largest the unit's cost curve prices, "
             "so the unit could never be built", hints=hints(own["unit"], "min_new_k_per_yr"))
    out.rows("units.csv", own, own["capex_usd_per_unit_yr"] > 0, "capex_usd_per_unit_yr",
             "this unit has a cost curve, which replaces its linear capex: this value "
             "would be ignored", hints=own["unit"].map(ends) + ": leave capex_usd_per_unit_yr "
             "blank (or 0), or put this cost into the curve")
    bp = by_period.get("units")
    if bp is not None and len(bp) and "max_new_k_per_yr" in bp:
        high = pd.to_numeric(bp["max_new_k_per_yr"], errors="coerce")
        mine = pd.Series(isin(bp["unit"], own["unit"]), index=bp.index)
        out.rows("units_by_period.csv", bp, mine & (high > bp["unit"].map(size)),
                 "max_new_k_per_yr", too_big, hints=hints(bp["unit"], "max_new_k_per_yr"))


def _constraint_terms(t: dict[str, pd.DataFrame], by_period: dict, out: _Collector) -> None:
    """A user constraint needs a term: without one its row reads 0 <= rhs (ignored, or
    infeasible with nothing to name). A right-hand side given by period
    (``constraints_by_period.csv``) is for a period the constraint holds in: outside its
    ``periods`` the row would be dropped, and the bound the user wrote never applied."""
    cons = t.get("constraints")
    if cons is None or cons.empty:
        return
    out.rows("constraints.csv", cons, ~cons["constraint"].isin(
        set(t["constraint_terms"]["constraint"])), "constraint",
        "this constraint has no terms in constraint_terms.csv",
        hint="add its terms (constraint, term, quantity, coef, selectors) or remove it")
    bp = by_period.get("constraints")
    if bp is None or bp.empty or "rhs" not in bp:
        return
    listed = cons.set_index("constraint")["periods"]
    holds = cons[["constraint"]].join(split_list(cons["periods"]).rename("period")).dropna()
    inside = pd.MultiIndex.from_frame(bp[["constraint", "period"]]).isin(
        pd.MultiIndex.from_frame(holds))
    limited = bp["constraint"].map(listed).fillna("").ne("")
    given = pd.to_numeric(bp["rhs"], errors="coerce").notna()
    out.rows("constraints_by_period.csv", bp, limited & ~inside & given, "period",
             "this constraint does not hold in this period (constraints.csv, column periods, "
             "lists the periods it holds in), so this right-hand side would never apply",
             hints=bp["constraint"].map(listed).radd("its periods: ").add(
                 "; add this period there, or remove this row"))


def _impossible_pairs(pj: pd.DataFrame, exc: pd.DataFrame, req: pd.DataFrame,
                      state: pd.Series, out: _Collector) -> None:
    """Two forced projects that exclude each other make every run infeasible; a project
    that requires one it excludes (in either row: excludes holds both ways) can never be
    built. ``exc``, ``req``: the (project, _row, state, other) pairs of ``excludes`` and
    ``requires`` (:func:`_listed`)."""
    exc = exc[exc["project"] != exc["other"]]
    both = exc[(exc["state"] == "forced") & (exc["other"].map(state) == "forced")]
    for _, r in both.head(MAX_PER_CHECK).iterrows():
        out.add(f"projects.csv row {r['_row']}, column excludes",
                f"forced project '{r['project']}' excludes '{r['other']}', which is forced "
                "too: both must be built and they may not both be, so every run is "
                "infeasible",
                f"set one of them optional or off, or remove '{r['other']}' from excludes")
    if req.empty:
        return
    row_of = pj.set_index("project")["_row"]
    own = pd.MultiIndex.from_frame(exc[["project", "other"]])
    theirs = pd.MultiIndex.from_arrays([exc["other"], exc["project"]])
    keys = pd.MultiIndex.from_frame(req[["project", "other"]])
    mine, back = keys.isin(own), keys.isin(theirs)
    for (_, r), m in zip(req[mine | back].head(MAX_PER_CHECK).iterrows(),
                         mine[mine | back], strict=False):
        said = ("its excludes names it too" if m else
                f"'{r['other']}' excludes it (row {row_of.get(r['other'], '?')}, column "
                "excludes)")
        out.add(f"projects.csv row {r['_row']}, column requires",
                f"project '{r['project']}' requires '{r['other']}' and {said}: excludes "
                "holds both ways, so it could never be built",
                f"remove '{r['other']}' from its requires or the exclusion between them")


def _forced_requires(meta: CaseMeta, pj: pd.DataFrame, req: pd.DataFrame, state: pd.Series,
                     order: dict[str, int], out: _Collector) -> None:
    """A forced project cannot require one that is off, nor one that cannot have started
    by its own start: the other's soonest start (its forced_period, else its
    earliest_period) after a forced start is no plan. ``req``: the (project, _row, state,
    other) pairs of ``requires`` (:func:`_listed`)."""
    bad = req[(req["state"] == "forced") & (req["other"].map(state) == "off")]
    for _, r in bad.head(MAX_PER_CHECK).iterrows():
        out.add(f"projects.csv row {r['_row']}, column requires",
                f"forced project '{r['project']}' requires '{r['other']}', which is off",
                f"switch '{r['other']}' on (optional or forced) or '{r['project']}' off")
    forced = req[(req["state"] == "forced") & (req["other"].map(state) != "off")]
    if forced.empty:
        return
    by = pj.set_index("project")
    soonest = by["forced_period"].where((by["state"] == "forced") & by["forced_period"].ne(""),
                                        by["earliest_period"]).replace("", meta.period_names[0])
    starts, needs = (forced["project"].map(by["forced_period"]),
                     forced["other"].map(soonest))
    late = needs.map(order).astype(float) > starts.map(order).astype(float)
    for (_, r), start, need in zip(forced[late].head(MAX_PER_CHECK).iterrows(), starts[late],
                                   needs[late], strict=False):
        said = ("its forced_period" if by.loc[r["other"], "state"] == "forced"
                else "its earliest_period")
        out.add(f"projects.csv row {r['_row']}, column requires",
                f"forced project '{r['project']}' starts in {start} and requires "
                f"'{r['other']}', which cannot start before {need} ({said})",
                f"force '{r['project']}' in {need} or later, or let '{r['other']}' start by "
                f"{start}")


def _listed(pj: pd.DataFrame, col: str, name: str = "other") -> pd.DataFrame:
    """(project, _row, state, ``name``): one row per item of each project's ``col`` list
    (:func:`~chainopt.case.schema.list_items`)."""
    return list_items(pj, col, name, ["project", "_row", "state"])


def _project_semantics(meta: CaseMeta, t: dict[str, pd.DataFrame], out: _Collector) -> None:
    """What projects say must make sense (:func:`_project_rows`, in a case that has
    any), and so must the units and links: a project's unit or link gives its capacity,
    a life extension its retire year, and a project's unit has no retire year of its
    own."""
    if len(t["projects"]):
        _project_rows(meta, t, out)
    for name in ("units", "links"):
        df = t[name]
        blank = (df["project"] != "") & df["capacity_k_per_yr"].isna()
        out.rows(f"{name}.csv", df, blank, "capacity_k_per_yr",
                 "a project's unit or link needs the capacity the project brings",
                 hint="enter the capacity (blank would mean unlimited)")
    units = t["units"]
    ext = units["life_extension_yr"] > 0
    out.rows("units.csv", units, ext & units["retire_year"].isna(), "life_extension_yr",
             "a life extension needs retire_year (the year the plant would close)",
             hint="enter retire_year or clear life_extension_yr")
    start = meta.periods[0].start_year
    out.rows("units.csv", units, ext & (units["retire_year"] < start), "retire_year",
             f"a life extension runs from retire_year, which is before the first period "
             f"({start}): the plant is closed when the horizon starts",
             hint=f"enter the year it would close ({start} or later), or model its restart "
                  "as new capacity (max_new_k_per_yr, capex_usd_per_unit_yr)")
    out.rows("units.csv", units, units["retire_year"].notna() & (units["project"] != ""),
             "retire_year", "a project's unit retires with the project's lifetime",
             hint="clear retire_year; set lifetime_yr on the project")


def _project_rows(meta: CaseMeta, t: dict[str, pd.DataFrame], out: _Collector) -> None:
    """Forced periods, precedence and what projects bring must make sense. Each check
    looks only at the projects it is about (none forced, no list named: nothing to do)."""
    pj = t["projects"]
    order = {p: i for i, p in enumerate(meta.period_names)}
    is_forced = (pj["state"] == "forced").to_numpy()
    if is_forced.any():
        out.rows("projects.csv", pj, is_forced & (pj["forced_period"] == ""),
                 "forced_period", "a forced project needs forced_period",
                 hint="name the period in which its construction starts")
        early = (pj["forced_period"].map(order).astype(float)
                 < pj["earliest_period"].map(order).astype(float))
        out.rows("projects.csv", pj, early.fillna(False) & is_forced,
                 "forced_period", "forced_period is before earliest_period",
                 hint="force it in earliest_period or later, or move earliest_period")
    req, exc = _listed(pj, "requires"), _listed(pj, "excludes")
    for col, pairs in (("requires", req), ("excludes", exc)):
        own = pairs[pairs["project"] == pairs["other"]]
        for _, r in own.head(MAX_PER_CHECK).iterrows():
            out.add(f"projects.csv row {r['_row']}, column {col}",
                    f"project '{r['project']}' names itself", f"remove it from {col}")
    if len(req) or len(exc):
        state = pj.set_index("project")["state"]
        if len(exc):
            _impossible_pairs(pj, exc, req, state, out)
        if len(req):
            _forced_requires(meta, pj, req, state, order, out)
    forced = pj[is_forced & pj["forced_period"].ne("").to_numpy()]
    if len(forced):
        late = ~build_timing(forced["forced_period"], forced["lead_time_yr"], meta)[1]
        out.rows("projects.csv", forced, late, "lead_time_yr",
                 "a forced project would come into use after the horizon",
                 hint="force it earlier or shorten lead_time_yr")
    # an optional one started in its earliest period (the soonest it may be): a build
    # usable only after the horizon is dropped by the model (it was, without a word)
    optional = pj[(pj["state"] == "optional").to_numpy()]
    if len(optional):
        soonest = optional["earliest_period"].replace("", meta.period_names[0])
        late = ~build_timing(soonest, optional["lead_time_yr"], meta)[1]
        out.rows("projects.csv", optional, late, "lead_time_yr",
                 "no build of this optional project could be used: started in its earliest "
                 "period, it would come into use after the horizon's last year, "
                 f"{Discounting.from_meta(meta).end_year - 1}",
                 hint="shorten lead_time_yr or move earliest_period earlier, or set its "
                      "state to off")
    ret = _listed(pj, "retires_units", "unit")
    if len(ret):
        brought_by = t["units"].set_index("unit")["project"]
        theirs = ret[ret["unit"].map(brought_by).fillna("") != ""]
        for _, r in theirs.head(MAX_PER_CHECK).iterrows():
            out.add(f"projects.csv row {r['_row']}, column retires_units",
                    f"project '{r['project']}' retires unit '{r['unit']}', which project "
                    f"'{brought_by[r['unit']]}' brings: only existing units can be retired "
                    "(retiring it would force that project to be built)",
                    "remove it from retires_units; if the two projects are alternatives, "
                    "say so with excludes")
        _retired_twice(meta, t, out)


def _retired_twice(meta: CaseMeta, t: dict[str, pd.DataFrame], out: _Collector) -> None:
    """Two forced projects do not retire the same unit: a unit is retired once (the
    model's ``investment.retire_once``), so both could not be built and the case would be
    infeasible. Only builds that retire some of the unit in the horizon count
    (:func:`chainopt.case.index.retires_in_horizon`, the model's rule); reported at the
    later project's row, naming the earlier one. Optional projects may name the same unit:
    the model builds at most one of them."""
    pj = t["projects"]
    forced = pj[(pj["state"] == "forced") & pj["forced_period"].ne("")]
    ret = list_items(forced, "retires_units", "unit",
                     ["project", "_row", "forced_period", "lead_time_yr"])
    if ret.empty:
        return
    first = build_timing(ret["forced_period"], ret["lead_time_yr"], meta)[0]
    retire_year = ret["unit"].map(t["units"].set_index("unit")["retire_year"])
    ret = ret[retires_in_horizon(first, retire_year, Discounting.from_meta(meta).end_year)]
    again = ret[ret.duplicated("unit", keep="first")]
    by = ret.drop_duplicates("unit").set_index("unit")
    for _, r in again.head(MAX_PER_CHECK).iterrows():
        other = by.loc[r["unit"]]
        out.add(f"projects.csv row {r['_row']}, column retires_units",
                f"forced project '{r['project']}' retires unit '{r['unit']}', which forced "
                f"project '{other['project']}' (row {other['_row']}) retires too: a unit "
                "is retired once, so the two cannot both be built (the case would be "
                "infeasible)",
                f"list '{r['unit']}' in the retires_units of only one of them (the one that "
                "closes it)")


def _blend_semantics(t: dict[str, pd.DataFrame], out: _Collector) -> None:
    """Every spec'd property must be known for every component that may enter the blend;
    a spec is of a product some blend makes (only a blend enforces it: a spec of a
    product made by modes or bought was ignored without a word)."""
    bl, specs = t["blends"], t["specs"]
    out.rows("specs.csv", specs, ~specs["commodity"].isin(set(bl["product"])), "commodity",
             "no blend makes this product, so its spec would hold nowhere (specs are "
             "enforced on blends only, not on what modes make or is bought)",
             hint="add the blend that makes it to blends.csv, or remove the row")
    if bl.empty:
        return
    com = t["commodities"].set_index("commodity")
    comp = bl.join(split_list(bl["components"]).rename("component"))
    out.rows("blends.csv", bl, pd.Series(bl.index.isin(comp.index[comp["component"]
                                                                    == comp["product"]]),
                                         index=bl.index),
             "components", "a product cannot be its own component")
    recipe = bl["basis"].eq("recipe")
    out.rows("blends.csv", bl, recipe & bl["shares"].eq(""), "shares",
             "a recipe blend needs the components' shares",
             hint="e.g. 10;4;3;1, one number per component, in the components' order")
    out.rows("blends.csv", bl, ~recipe & bl["shares"].ne(""), "shares",
             "shares are for blends with basis recipe", hint="set basis to recipe or clear it")
    sh = split_list(bl.loc[recipe & bl["shares"].ne(""), "shares"])
    num = pd.to_numeric(sh, errors="coerce")
    n_sh = sh.groupby(level=0).size()
    n_c = comp.groupby(level=0).size()
    bad = set(sh.index[~(num > 0).to_numpy()]) | set(
        n_sh.index[n_sh.to_numpy() != n_c.reindex(n_sh.index).to_numpy()])
    out.rows("blends.csv", bl, pd.Series(bl.index.isin(list(bad)), index=bl.index), "shares",
             "shares must be positive numbers, one per component, separated by ;",
             hint="e.g. 10;4;3;1 for four components")
    # A unit of a component becomes units of the product (its balance) and, when the
    # product has a spec, t or m3 of the basis the spec is averaged by: both conversions
    # need the component's density or energy content across dimensions (without them
    # the model's coefficients were NaN, and so was the objective).
    comp = comp.assign(target=comp["product"].map(com["unit"]), what="the product's unit")
    on_basis = comp.reset_index().merge(
        specs[["commodity", "property", "basis"]].rename(
            columns={"commodity": "product", "basis": "spec_basis"}), on="product")
    own = on_basis["basis"].where(on_basis["spec_basis"].eq(""), on_basis["spec_basis"])
    own = own.where(own.ne("recipe"), "mass")  # a recipe averages by mass
    on_basis = on_basis.assign(
        target=own.map(units.basis_unit),
        what=("its " + own + " basis (specs of " + on_basis["product"] + ")").where(
            on_basis["spec_basis"].eq(""), "the " + own + " basis of the "
            + on_basis["property"] + " spec of " + on_basis["product"] + " (specs.csv)"))
    conv = pd.concat([comp, on_basis])
    f = per_distinct(lambda c, u: units.of_commodity(com, c, u), conv["component"],
                     conv["target"])
    for _, r in conv[np.isnan(f)].drop_duplicates(["blend", "component"]).head(
            MAX_PER_CHECK).iterrows():
        c, unit = r["component"], com.at[r["component"], "unit"]
        out.add(f"blends.csv row {r['_row']}, column components",
                f"component '{c}' of blend '{r['blend']}' is measured in {unit} and cannot "
                f"be converted to {r['target']}, {r['what']}",
                f"give {' and '.join(units.missing_inputs(unit, com.loc[c], r['target']))} "
                f"for '{c}' in commodities.csv")
    need = comp[["blend", "product", "component", "_row"]].merge(
        specs[["commodity", "property"]].rename(columns={"commodity": "product"}), on="product")
    have = set(zip(t["qualities"]["commodity"], t["qualities"]["property"], strict=True))
    missing = [r for r in need.itertuples() if (r.component, r.property) not in have]
    for r in missing[:MAX_PER_CHECK]:
        out.add(f"blends.csv row {r._4}, column components",
                f"component '{r.component}' of blend '{r.blend}' has no '{r.property}' value, "
                f"but {r.product} has a {r.property} spec",
                f"add the row {r.component},{r.property},<value> to qualities.csv")


def _lever_semantics(t: dict[str, pd.DataFrame], bp: dict[str, pd.DataFrame],
                     periods: list[str], out: _Collector) -> None:
    """Currencies need a rate path, and USD's is 1 (the case's currency: a USD row of
    another rate was ignored by every USD-stated value yet scaled a USD party's flows);
    a feed excise is national; an active levy or a market group changes something;
    shares sum to at most 1; a loan has a lender."""
    known = set(t["fx_rates"]["currency"]) | {"USD"}
    for file, fx in (("fx_rates.csv", t["fx_rates"]), ("fx_rates_by_period.csv",
                                                      bp.get("fx_rates"))):
        if fx is not None and len(fx):
            out.rows(file, fx, fx["currency"].eq("USD") & fx["usd_per_unit"].notna()
                     & fx["usd_per_unit"].ne(1.0), "usd_per_unit",
                     "USD is the case's currency: its rate is 1 USD per USD in every period",
                     hint="delete this row (USD needs no rate) or set usd_per_unit to 1")
    for name in levers.MONEY_COLUMNS:
        df = t[name]
        if levers.stated_currencies(df) <= known | {""}:
            continue
        cur = df["stated_currency"]
        out.rows(f"{name}.csv", df, cur.ne("") & ~cur.isin(known), "stated_currency",
                 "no exchange rate for this currency",
                 hint="add a row for it to fx_rates.csv (usd_per_unit, by period)")
    lv = t["levies"]
    if len(lv):
        out.rows("levies.csv", lv, lv["kind"].eq("feed_excise") & lv["sites"].ne(""),
                 "sites", "a feed excise applies at every site", hint="leave sites blank")
    mk, mf = t["markets"], t["mode_flows"]
    active = lv[lv["active"].astype(bool)] if len(lv) else lv
    for _, lev in active.iterrows():
        if lev["kind"] == "feed_excise":
            hit = ((mf["commodity"] == lev["commodity"]) & (mf["direction"] == "in")).any()
            what = "no mode consumes this commodity"
        else:
            sites = set(split_list(pd.Series([lev["sites"]])))
            sel = mk["commodity"] == lev["commodity"]
            if sites:
                sel &= mk["site"].isin(sites)
            hit = sel.any()
            what = "no market of this commodity at these sites"
        if not hit:
            out.add(f"levies.csv row {lev['_row']}, column commodity",
                    f"levy '{lev['levy']}' would change nothing: {what}",
                    "check commodity and sites, or set active to false")
    _idle_groups(t, bp, periods, out)
    sh = t["project_shares"]
    if len(sh):
        total = sh.groupby("project")["share"].transform("sum")
        out.rows("project_shares.csv", sh, total > 1 + 1e-9, "share",
                 "the shares of this project sum to more than 1",
                 hint="lower the shares; the rest (up to 1) is held by no modelled party")
        # each equipment_share is a share of the project's own capex a party supplies as
        # equipment: 0.8 + 0.9 would supply 1.7 times the project's cost
        equipment = sh.groupby("project")["equipment_share"].transform("sum")
        over = equipment > 1 + 1e-9
        if over.any():
            out.rows("project_shares.csv", sh, over, "equipment_share",
                     "the equipment shares of this project sum to more than 1, more "
                     "equipment than its capex",
                     hints=("they sum to " + equipment[over].map("{:g}".format)
                            + "; lower them to at most 1 in all (each is the share of the "
                              "project's capex a party supplies as equipment)"))
    pf = t["project_finance"]
    if len(pf):
        out.rows("project_finance.csv", pf, (pf["debt_share"] > 0) & pf["lender"].eq(""),
                 "lender", "this project borrows (debt_share > 0) but names no lender",
                 hint="name the lending party (a row of parties.csv), or set debt_share to 0")
        # the first repayment falls grace_yr years after the first drawdown: 0 would repay
        # in the year the loan is drawn (the debt schedule read it as 1, silently)
        out.rows("project_finance.csv", pf, pf["grace_yr"] < 1, "grace_yr",
                 "the grace period must be at least 1 year: the first repayment falls "
                 "grace_yr years after the first drawdown, never in its year",
                 hint="set grace_yr to 1 (repayments from the year after the first "
                      "drawdown) or more, or leave it blank for 1")
    for file, df in (("project_finance.csv", pf), ("parties.csv", t["parties"])):
        if len(df):
            out.rows(file, df, ~df["currency"].isin(known), "currency",
                     "no exchange rate for this currency",
                     hint="add a row for it to fx_rates.csv (usd_per_unit, by period)")
    tr = t["tax_regimes"]
    if not tr.empty:
        out.rows("tax_regimes.csv", tr, tr["sites"].eq("") & tr["sites"].eq("").cumsum().gt(1),
                 "sites", "only one tax regime may leave sites blank (the default regime)",
                 hint="name the sites of this regime")
        _sites_once("tax_regimes.csv", tr, "regime", "tax regime", out,
                    "a site belongs to one regime")
        out.rows("tax_regimes.csv", tr, (tr["reduced_years"] > 0) & tr["reduced_rate"].isna(),
                 "reduced_rate", "reduced_years is set but the reduced rate is blank",
                 hint="give the rate of those years (a fraction), or set reduced_years to 0")
        out.rows("tax_regimes.csv", tr, (tr["reduced_years"] == 0) & tr["reduced_rate"].notna(),
                 "reduced_years", "a reduced rate is given for no years",
                 hint="set reduced_years (how many years after the holiday pay reduced_rate), "
                      "or leave reduced_rate blank")
    _groups_apart(t["market_groups"], out)


def _idle_groups(t: dict[str, pd.DataFrame], bp: dict[str, pd.DataFrame],
                 periods: list[str], out: _Collector) -> None:
    """A market group's ``access: closed`` and ``price_discount`` act on the markets at
    its sites, its freight premium on the links into them (on the commodities it lists
    in ``commodities``, if any: their markets, their flows): a group that closes or
    discounts with no such market, or charges a premium (in some period) with no link
    into them carrying such a commodity, changes nothing, so it is refused as a levy
    that changes nothing is (a group stating neither is a label and passes). A blank
    ``commodities`` is every commodity; a list naming none (``;``) is refused with every
    list's empty item."""
    mg = t["market_groups"]
    if mg.empty:
        return
    goods = split_list(mg["commodities"])
    cover = mg[[]].join(split_list(mg["sites"]).rename("site")).rename_axis("_g").reset_index()
    lk = t["links"]
    carried = lk[["to_site"]].join(split_list(lk["commodities"]).rename("commodity"))
    listed = set(goods.index.astype(str) + "/" + goods)

    def reached(pairs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """Groups with a pair (site of the group, commodity) it acts on, and groups with
        a pair at their sites whatever the commodity (as if they listed none)."""
        m = cover.merge(pairs, on="site")
        acts = ~m["_g"].isin(goods.index) | (m["_g"].astype(str) + "/" + m["commodity"]).isin(
            listed)
        return (pd.Series(mg.index.isin(m.loc[acts, "_g"]), index=mg.index),
                pd.Series(mg.index.isin(m["_g"]), index=mg.index))

    has_market = reached(t["markets"][["site", "commodity"]])
    has_link = reached(carried.rename(columns={"to_site": "site"}))
    lists = pd.Series(mg.index.isin(goods.index), index=mg.index)
    of = " of the commodities it lists"
    for col, stated, (has, has_any), what, hint, list_hint in (
            ("price_discount", mg["access"].eq("closed"), has_market,
             "it closes or discounts the markets at its sites, but none of them has a "
             "market{of}", "check the group's sites (the market sites meant){listed}, or "
             "remove the group", "check the commodities it lists (the markets at its sites "
             "sell others), or remove the group"),
            ("freight_premium_usd_per_unit", pd.Series(False, index=mg.index), has_link,
             "it charges a freight premium on the links into its sites, but no link{carrying} "
             "enters them", "check the group's sites{listed}, or set the premium to 0",
             "check the commodities it lists (the links into its sites carry others), or "
             "set the premium to 0")):
        grid = levers.period_values(mg, bp, "market_groups", col, periods)
        some = grid["value"].astype(float).gt(0).groupby(grid["_i"]).any()
        stated = stated | some.reindex(mg.index, fill_value=False)
        bad = stated & ~has
        # the rows whose list alone leaves them idle (they would act listing none) are
        # refused at the list's cell; the others at their sites
        for rows, text, at, told in (
                (bad & ~lists, "", "sites", hint.format(listed="")),
                (bad & lists & ~has_any, of, "sites",
                 hint.format(listed=" and the commodities it lists")),
                (bad & lists & has_any, of, "commodities", list_hint)):
            said = what.format(of=text, carrying=text.replace(" of", " carrying one of"))
            out.rows("market_groups.csv", mg, rows, at,
                     f"this market group would change nothing: {said}", hint=told)


def _sites_once(file: str, df: pd.DataFrame, key: str, noun: str, out: _Collector,
                hint: str) -> None:
    """Each site in at most one row's ``sites`` list of ``df`` (a group or a regime):
    every later row naming it again is refused, naming the site."""
    if df.empty:
        return
    cover = df[[key, "_row"]].join(split_list(df["sites"]).rename("site"))
    cover = cover[cover["site"].notna()]
    dup = cover[cover.duplicated("site", keep="first")]
    for _, r in dup.head(MAX_PER_CHECK).iterrows():
        out.add(f"{file} row {r['_row']}, column sites",
                f"site '{r['site']}' is already in another {noun}",
                hint)


def _groups_apart(mg: pd.DataFrame, out: _Collector) -> None:
    """Each market of a site in at most one market group: a group covers the commodities it
    lists at each of its sites, every commodity there when it lists none. A later row
    covering a (site, commodity) an earlier one covers is refused, naming both: its
    discount and freight premium would add to the other's (one price, two discounts).
    Groups listing commodities that do not overlap may share a site (polymers at 10 %,
    crude at 5 %)."""
    if mg.empty:
        return
    goods = split_list(mg["commodities"])
    cover = mg[["group", "_row"]].assign(_i=np.arange(len(mg))).join(
        split_list(mg["sites"]).rename("site"))
    cover = cover[cover["site"].notna()]
    listed = goods.dropna().groupby(level=0).agg(frozenset).to_dict()  # row: its list
    cover["goods"] = [listed.get(i) for i in cover.index]  # None: every commodity
    pairs = cover.reset_index(drop=True).merge(cover.reset_index(drop=True), on="site",
                                              suffixes=("", "_first"))
    pairs = pairs[pairs["_i_first"] < pairs["_i"]]
    # what two groups both cover: None (every commodity) where neither lists any, else
    # the listed ones the other covers
    both = [b if a is None else a if b is None else a & b
            for a, b in zip(pairs["goods"], pairs["goods_first"], strict=True)]
    pairs = pairs.assign(shared=both)
    pairs = pairs[[x is None or len(x) > 0 for x in pairs["shared"]]]
    pairs = pairs.drop_duplicates(["_i", "site"])
    for _, r in pairs.head(MAX_PER_CHECK).iterrows():
        what = ("every commodity" if r["shared"] is None
                else ", ".join(sorted(r["shared"])))
        out.add(f"market_groups.csv row {r['_row']}, column sites",
                f"site '{r['site']}' is already in market group '{r['group_first']}' "
                f"(row {r['_row_first']}) for {what}",
                "a market takes one group's levers: its discounts and freight premiums "
                "would add up (one price, two discounts); list commodities that do not "
                "overlap in the two groups' commodities, or take the site out of one")


def _curve_semantics(t: dict[str, pd.DataFrame], out: _Collector) -> None:
    """A unit's capex is one curve: segments or breakpoints, sizes rising, cost not falling,
    at least one point above size 0 (a point at size 0 alone is no curve)."""
    cv = t["capex_curve"]
    if cv.empty:
        return
    both = cv["unit"].isin(set(t["capex_segments"]["unit"]))
    out.rows("capex_curve.csv", cv, both, "unit",
             "this unit also has capex_segments.csv rows",
             hint="give its cost curve in one of the two tables")
    s = cv.sort_values(["unit", "point"], kind="stable")
    same = s["unit"].eq(s["unit"].shift())
    d_size = s["size_k_per_yr"].diff()
    d_cost = s["capex_musd"].diff()
    out.rows("capex_curve.csv", s, same & (d_size <= 0), "size_k_per_yr",
             "sizes must rise from one point to the next",
             hint="number the points in order of size")
    out.rows("capex_curve.csv", s, same & (d_cost < 0), "capex_musd",
             "the total cost of a larger build cannot be lower",
             hint="give the total overnight cost of a build of this size")
    sized = set(cv.loc[cv["size_k_per_yr"] > 0, "unit"])
    out.rows("capex_curve.csv", cv, ~cv["unit"].isin(sized), "size_k_per_yr",
             "this unit's curve has no point above size 0, so it gives no cost for any "
             "build (a curve replaces capex_usd_per_unit_yr)",
             hint="add the total overnight cost of a build of some size; for a fixed charge "
                  "on top of capex_usd_per_unit_yr use build_fixed_musd in units.csv")


def _convert_units(t: dict[str, pd.DataFrame], bp: dict[str, pd.DataFrame], out: _Collector
                   ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Restate rows given in another unit (``stated_unit``) in the commodity's unit."""
    t, bp = dict(t), dict(bp)
    for name in ("mode_flows", "supplies", "markets", "demand"):
        df = t[name]
        if not df["stated_unit"].ne("").any():
            continue
        f = units.conversion_factors(df, t["commodities"])
        bad = f.isna()
        com = t["commodities"].set_index("commodity")
        rows = df.loc[bad.to_numpy(), ["stated_unit", "commodity"]].head(MAX_PER_CHECK)
        hints = pd.Series([
            f"give {' and '.join(units.missing_inputs(u, com.loc[c]))} for '{c}' in "
            f"commodities.csv, or state the value in {com.at[c, 'unit']}"
            for u, c in zip(rows["stated_unit"], rows["commodity"], strict=True)],
            index=rows.index, dtype=object)
        out.rows(f"{name}.csv", df, bad, "stated_unit",
                 "cannot convert this unit to the commodity's unit", hints=hints)
        if bad.any():
            continue
        t[name] = units.apply(df, name, f)
        if name in bp and len(bp[name]):
            key = list(TABLES[name].key)
            fk = df[key].assign(_f=f.to_numpy())
            ov = bp[name].merge(fk, on=key, how="left")
            bp[name] = units.apply(ov, name, ov["_f"].fillna(1.0)).drop(columns="_f")
    return t, bp


def _stated_at(case: Case, stated: dict[str, pd.DataFrame], name: str, columns: list[str]
               ) -> pd.DataFrame:
    """Rows of ``name`` crossed with the periods, ``columns`` resolved (:func:`periodic`),
    each with ``<column>_ov``: the ``<name>_by_period.csv`` row that states its value in
    that period, NaN where the value is the ``<name>.csv`` row's (``_row``); ``stated``:
    the by-period overrides as read from the files (before the levers add overrides of
    their own, which restate a file's values, so a message names the file's row). Where
    a value is stated in words: :func:`_where`, for the rows a message is about."""
    eff = periodic(case, name, columns)
    key = [*TABLES[name].key, "period"]
    ov = stated.get(name)
    for col in columns:
        row = np.full(len(eff), np.nan)
        if ov is not None and len(ov) and col in ov.columns:
            given = ov.loc[ov[col].notna(), [*key, "_row"]].rename(columns={"_row": "_ov"})
            row = eff[key].merge(given, on=key, how="left")["_ov"].to_numpy(float)
        eff[f"{col}_ov"] = row
    return eff


def _where(name: str, rows: pd.DataFrame, col: str) -> pd.Series:
    """Where ``col``'s value of each of ``rows`` (from :func:`_stated_at`) is stated:
    ``<name>_by_period.csv row N`` if a row there overrides it, else ``<name>.csv row N``."""
    ov = rows[f"{col}_ov"]
    return pd.Series([f"{name}_by_period.csv row {int(o)}" if o == o else
                      f"{name}.csv row {int(r)}" for o, r in zip(ov, rows["_row"], strict=True)],
                     index=rows.index, dtype=object)


def _in_periods(periods: Iterable[str]) -> str:
    """``p1``, ``p1 and p2``, ``p1, p2 and p3``: the periods a finding holds in."""
    p = list(periods)
    return p[0] if len(p) == 1 else f"{', '.join(p[:-1])} and {p[-1]}"


def _tier_order(case: Case, stated: dict[str, pd.DataFrame], out: _Collector) -> None:
    """Price tiers are the steps of a curve: a demand curve's prices fall from tier to
    tier and a supply curve's costs rise, in every period. A later tier that paid more
    (cost less) would be filled first by the LP, so the curve would not hold. The
    problem is reported where the later tier's value is stated (a ``*_by_period.csv``
    row if one overrides it in that period), once for all periods it holds in."""
    for name, col, falls in (("markets", "price_usd_per_unit", True),
                             ("supplies", "cost_usd_per_unit", False)):
        df = case.tables[name]
        if df.empty or df["tier"].nunique() < 2:
            continue
        eff = _stated_at(case, stated, name, [col]).sort_values(
            ["site", "commodity", "period", "tier"], kind="stable")
        prev = eff.groupby(["site", "commodity", "period"], sort=False)
        eff["_before"], eff["_tier_before"] = prev[col].shift(), prev["tier"].shift()
        bad = eff[(eff[col] > eff["_before"]) if falls else (eff[col] < eff["_before"])]
        bad = bad.assign(**{f"{col}_at": _where(name, bad, col)})
        what, curve = ("price", "demand") if falls else ("cost", "supply")
        other = "market (another site)" if falls else "supply (another site)"
        groups = bad.groupby([f"{col}_at", "site", "commodity", "tier", col, "_tier_before",
                              "_before", "stated_unit", "stated_currency"], sort=False)["period"]
        unit_of = case.tables["commodities"].set_index("commodity")["unit"]
        for (at, site, com, tier, v, tb, b, su, sc), periods in list(groups)[:MAX_PER_CHECK]:
            # compared as loaded, in USD per commodity unit (levers applied); say so when
            # the row states its price otherwise, as the file's number is not this one
            unit = "" if not (su or sc) else (
                f" USD per {unit_of[com]} (this row's price per {su or unit_of[com]} in "
                f"{sc or 'USD'}, converted when the case is loaded)")
            out.add(f"{at}, column {col}",
                    f"tier {int(tier)} of {com} at {site} "
                    f"{'pays' if falls else 'costs'} {v:g}{unit} in {_in_periods(periods)}, "
                    f"{'more' if falls else 'less'} than tier {int(tb)}'s {b:g}: the tiers "
                    f"are the steps of a {curve} curve, whose {what}s "
                    f"{'fall' if falls else 'rise'} from tier to tier (the LP would fill "
                    "this tier first)",
                    f"renumber the tiers in the order of their {what}s, or make a separate "
                    f"{other} of what is not a step of this curve")


def _tiers_after_unlimited(case: Case, stated: dict[str, pd.DataFrame], out: _Collector
                           ) -> None:
    """A tier with no ``max_k_per_yr`` (unlimited) is the last step of its curve in that
    period: a later tier that pays less (costs more) is never used, since the LP sells
    (buys) every unit at the unlimited tier first, so its price and cap would be ignored
    without a word. A market tier with a demand floor in that period is exempt (the floor
    makes it sell). Reported at the row leaving the earlier tier's cap blank, once for all
    the periods it holds in; tiers at the same price as the unlimited one (a tie) pass."""
    for name, col, falls in (("markets", "price_usd_per_unit", True),
                             ("supplies", "cost_usd_per_unit", False)):
        df = case.tables[name]
        if df.empty or df["tier"].nunique() < 2:
            continue
        cols = [col, "max_k_per_yr", *(["min_k_per_yr"] if falls else [])]
        eff = _stated_at(case, stated, name, cols)
        group = ["site", "commodity", "period"]
        open_ = eff[eff["max_k_per_yr"].isna()].sort_values("tier", kind="stable"
                                                             ).groupby(group).head(1)
        if open_.empty:
            continue
        open_ = open_.assign(_at=_where(name, open_, "max_k_per_yr"))[
            [*group, "tier", col, "_at"]].rename(columns={"tier": "_open", col: "_open_v"})
        later = eff.merge(open_, on=group)
        worse = later[col] < later["_open_v"] if falls else later[col] > later["_open_v"]
        bad = later[(later["tier"] > later["_open"]) & worse]
        if falls:
            bad = bad[~(bad["min_k_per_yr"].fillna(0.0) > 0)]
        groups = bad.groupby(["_at", "site", "commodity", "_open", "tier"], sort=False)["period"]
        for (at, site, com, first, tier), periods in list(groups)[:MAX_PER_CHECK]:
            does = ("pays less, would never be sold to: the LP sells all it can at tier "
                    f"{int(first)}'s higher price first" if falls else
                    "costs more, would never be bought: the LP buys all it needs at tier "
                    f"{int(first)}'s lower cost first")
            out.add(f"{at}, column max_k_per_yr",
                    f"tier {int(first)} of {com} at {site} has no max_k_per_yr (unlimited) in "
                    f"{_in_periods(periods)}, so tier {int(tier)} after it, which {does}",
                    f"give tier {int(first)} its max_k_per_yr (the size of that step of the "
                    f"curve), or remove tier {int(tier)}")


def _money_pumps(case: Case, stated: dict[str, pd.DataFrame], out: _Collector) -> None:
    """An unlimited supply (a tier with no ``max_k_per_yr`` in a period) that earns on
    every unit by itself makes the case unbounded, which only a solve would otherwise
    say: bought at cost k and discarded at a negative ``disposal_cost_usd_per_unit`` d
    (a salvage value) it earns -(k + d) > 0 per unit; bought at k and sold at the same
    site and commodity on an unlimited market tier at p > k it earns p - k. Reported at
    the supply row leaving its cap blank, once for all periods the pump works in,
    comparing the values as loaded (USD per commodity unit, levers applied). A user
    constraint with a ``purchase`` (or ``sales``) term that may select that supply (or
    market) could bound it: such a supply is left to the solve."""
    sup = case.tables["supplies"]
    if sup.empty:
        return
    eff = _stated_at(case, stated, "supplies", ["cost_usd_per_unit", "max_k_per_yr"])
    eff = eff[eff["max_k_per_yr"].isna()]
    if eff.empty:
        return
    ct = case.tables["constraint_terms"]

    def unbounded(rows: pd.DataFrame, quantity: str) -> np.ndarray:
        """Rows (site, commodity) no ``quantity`` term of a user constraint may select."""
        free = np.ones(len(rows), dtype=bool)
        if ct.empty:
            return free
        for t in ct[ct["quantity"].eq(quantity)].itertuples():  # a few user terms
            free &= ~((rows["site"].eq(t.site) | (t.site == ""))
                      & (rows["commodity"].eq(t.commodity) | (t.commodity == ""))).to_numpy()
        return free

    def by_supply_row(pumps: pd.DataFrame, cols: list[str]):
        """The periods of each pump found, by supply row and ``cols`` (none: no group)."""
        if pumps.empty:
            return ()
        return pumps.assign(_at=_where("supplies", pumps, "max_k_per_yr")).groupby(
            ["_at", *cols], sort=False)["period"]

    eff = eff[unbounded(eff, "purchase")]
    com = case.tables["commodities"].set_index("commodity")

    def supply(site: str, c: str, tier: float) -> str:  # (in a message: a few at most)
        tiers = sup.loc[sup["site"].eq(site) & sup["commodity"].eq(c), "tier"].nunique()
        return (f"tier {int(tier)} of the supply of {c} at {site}" if tiers > 1
                else f"the supply of {c} at {site}")

    disposed = com.loc[com["disposal"].astype(bool), "disposal_cost_usd_per_unit"]
    salvage = eff.iloc[:0]
    if len(disposed):
        salvage = eff.merge(disposed.reset_index(), on="commodity")
        salvage = salvage[salvage["cost_usd_per_unit"]
                          + salvage["disposal_cost_usd_per_unit"] < 0]
    groups = by_supply_row(salvage, ["site", "commodity", "tier", "cost_usd_per_unit",
                                     "disposal_cost_usd_per_unit"])
    for (at, site, c, tier, k, d), periods in list(groups)[:MAX_PER_CHECK]:
        u = com.loc[c, "unit"]
        paid = (f"less than the {-d:g} USD per {u} discarding it pays" if d < 0 else
                f"and discarding it costs only {d:g}")
        out.add(f"{at}, column max_k_per_yr",
                f"{supply(site, c, tier)} has no max_k_per_yr (unlimited) and costs {k:g} "
                f"USD per {u} in {_in_periods(periods)}, {paid} (commodities.csv row "
                f"{int(com.loc[c, '_row'])}, disposal_cost_usd_per_unit {d:g}"
                f"{': a salvage value' if d < 0 else ''}): buying {c} to discard it earns "
                f"{-(k + d):g} USD per {u} without limit, so the case is unbounded",
                f"give this supply a max_k_per_yr, or raise {c}'s disposal_cost_usd_per_unit "
                f"to {-k + 0.0:g} or more" + (" (0 for free disposal)" if k >= 0 else ""))
    sold = case.tables["markets"][["site", "commodity"]].drop_duplicates()
    if eff.merge(sold, on=["site", "commodity"]).empty:  # no market beside any such supply
        return
    mk = _stated_at(case, stated, "markets", ["price_usd_per_unit", "max_k_per_yr"])
    mk = mk[mk["max_k_per_yr"].isna()]
    mk = mk[unbounded(mk, "sales")][["site", "commodity", "period", "tier",
                                      "price_usd_per_unit", "_row"]]
    resale = eff.merge(mk, on=["site", "commodity", "period"], suffixes=("", "_m"))
    resale = resale[resale["price_usd_per_unit"] > resale["cost_usd_per_unit"]]
    groups = by_supply_row(resale, ["site", "commodity", "tier", "cost_usd_per_unit",
                                    "_row_m", "price_usd_per_unit"])
    for (at, site, c, tier, k, row, p), periods in list(groups)[:MAX_PER_CHECK]:
        u = com.loc[c, "unit"]
        out.add(f"{at}, column max_k_per_yr",
                f"{supply(site, c, tier)} has no max_k_per_yr (unlimited) and costs {k:g} "
                f"USD per {u} in {_in_periods(periods)}, less than the {p:g} USD per {u} its "
                f"market at the same site pays (markets.csv row {int(row)}, no max_k_per_yr "
                f"either): buying {c} to sell it there earns {p - k:g} USD per {u} without "
                "limit, so the case is unbounded",
                "give this supply or that market a max_k_per_yr")


# A lower bound and the upper bound it must not exceed, per table: (table, lower, upper,
# what the two are called, what follows from a lower bound above the upper one).
_BOUND_PAIRS = (
    ("markets", "min_k_per_yr", "max_k_per_yr", "demand floor", "sales cap",
     "no sales can meet it: a soft floor would pay the shortfall penalty on the "
     "difference, a hard one make the case infeasible"),
    ("specs", "min_value", "max_value", "minimum", "maximum",
     "no blend can meet both, so none of the product can be blended"),
)


def _bound_subjects(case: Case, name: str, rows: pd.DataFrame) -> pd.Series:
    """What each of ``rows``'s bounds bound, in a message: a market (with its tier where
    the site and commodity have several), a product's spec."""
    if name == "markets":
        table = case.tables[name]
        tiers = table.groupby(["site", "commodity"])["tier"].nunique()
        several = tiers.reindex(pd.MultiIndex.from_frame(rows[["site", "commodity"]])
                                ).to_numpy() > 1
        return (rows["commodity"] + " at " + rows["site"]).where(
            ~several, "tier " + rows["tier"].astype(int).astype(str) + " of "
            + rows["commodity"] + " at " + rows["site"])
    return "the " + rows["property"] + " spec of " + rows["commodity"]


def _crossed_bounds(case: Case, stated: dict[str, pd.DataFrame], out: _Collector) -> None:
    """A lower bound is at most its own upper bound in every period (:data:`_BOUND_PAIRS`:
    a market tier's demand floor at most that tier's sales cap, both bounding that tier's
    own sales; a spec's min_value at most its max_value), or it can never be met. Reported
    where the offending value is stated: at the lower bound, unless only the upper one is
    overridden in that period (then at the ``*_by_period.csv`` row lowering it), once for
    all the periods it holds in."""
    for name, lo, hi, lo_word, hi_word, why in _BOUND_PAIRS:
        if case.tables[name].empty:
            continue
        eff = _stated_at(case, stated, name, [lo, hi])
        bad = eff[(eff[lo] > eff[hi]) & eff[hi].notna()]
        if bad.empty:
            continue
        if "stated_unit" in bad.columns:  # the bounds as the row states them, not as loaded
            f = units.conversion_factors(bad, case.tables["commodities"]).to_numpy()
            bad = bad.assign(**{lo: bad[lo] / f, hi: bad[hi] / f})
        bad = bad.assign(_subject=_bound_subjects(case, name, bad),
                         **{f"{c}_at": _where(name, bad, c) for c in (lo, hi)})
        upper = (bad[f"{lo}_at"].str.startswith(f"{name}.csv")
                 & ~bad[f"{hi}_at"].str.startswith(f"{name}.csv"))
        bad = bad.assign(_col=np.where(upper, hi, lo),
                         _at=np.where(upper, bad[f"{hi}_at"], bad[f"{lo}_at"]),
                         _other=np.where(upper, bad[f"{lo}_at"], bad[f"{hi}_at"]))
        groups = bad.groupby(["_at", "_col", "_other", "_subject", lo, hi], sort=False)
        for (at, col, other, subject, low, high), g in list(groups)[:MAX_PER_CHECK]:
            there = "" if other == at else f" ({other})"
            when = _in_periods(g["period"])
            if col == lo:
                message = (f"the {lo_word} of {subject} is above its {hi_word}, {high:g}"
                           f"{there}, in {when}: {why} (found {low:g})")
            else:
                message = (f"the {hi_word} of {subject} in {when} is below its {lo_word}, "
                           f"{low:g}{there}: {why} (found {high:g})")
            out.add(f"{at}, column {col}", message,
                    f"lower {lo} to {hi} or less, or raise {hi}")


def _unreachable_specs(case: Case, stated: dict[str, pd.DataFrame], out: _Collector) -> None:
    """Every spec can be met by some mix of every blend making its product, in every
    period: a mix's property lies between its components' (its average on the spec's
    basis), so a minimum above the highest component (a maximum below the lowest) can
    never be met, nor can one the fixed mix of a recipe misses (``sum_c f_c v_c q_c /
    sum_c f_c v_c``). The blend could then only make nothing, and the run was optimal
    with it at 0 and no word unless a demand floor needed it. Reported where the limit
    is stated in that period (as :func:`_crossed_bounds`), once for its periods. A blend
    of capacity 0 in a period makes nothing there anyway, by the case's own word (a
    blend shut when its product's spec tightens beyond it): not reported there."""
    if case.tables["specs"].empty or case.tables["blends"].empty:
        return
    blend_in, cap, st = blending(case)
    st = st.merge(blend_in[["blend", "component", "period", "product", "share"]],
                  on=["blend", "component", "period"]).merge(cap, on=["blend", "period"],
                                                             how="left")
    st = st[st["capacity"].ne(0)]
    recipe = st["share"].notna()
    w = np.where(recipe, st["share"].to_numpy(float) * st["basis_per_unit"].to_numpy(), 0.0)
    st = st.assign(_wq=w * st["value"].to_numpy(), _w=w, _recipe=recipe)
    key = ["blend", "property", "period", "bound"]
    v = st.groupby(key, sort=False)["value"]
    st = st.assign(_best=np.where(st["bound"] == "min", v.transform("max"), v.transform("min")))
    first = st[st["value"] == st["_best"]].drop_duplicates(key).set_index(key)["component"]
    agg = st.groupby(key, sort=False).agg(product=("product", "first"), limit=("limit", "first"),
                basis=("basis", "first"), recipe=("_recipe", "any"), wq=("_wq", "sum"),
                w=("_w", "sum"), best=("_best", "first"))
    agg["reach"] = np.where(agg["recipe"], agg["wq"] / agg["w"].where(agg["w"] > 0),
                            agg["best"])
    agg["component"] = first.reindex(agg.index)
    tol = 1e-9 * np.maximum(1.0, agg["limit"].abs())
    is_min = agg.index.get_level_values("bound") == "min"
    bad = agg[np.where(is_min, agg["reach"] < agg["limit"] - tol,
                       agg["reach"] > agg["limit"] + tol)].reset_index()
    if bad.empty:
        return
    eff = _stated_at(case, stated, "specs", ["min_value", "max_value"]).rename(
        columns={"commodity": "product"})
    bad = bad.merge(eff[["product", "property", "period", "_row", "min_value_ov",
                         "max_value_ov"]], on=["product", "property", "period"])
    bad["_col"] = np.where(bad["bound"] == "min", "min_value", "max_value")
    bad["_at"] = [w_min if c == "min_value" else w_max for c, w_min, w_max in zip(
        bad["_col"], _where("specs", bad, "min_value"), _where("specs", bad, "max_value"),
        strict=True)]
    bl = case.tables["blends"].set_index("blend")
    groups = bad.groupby(["_at", "_col", "blend", "property", "bound", "limit", "reach"],
                         sort=False)
    for (at, col, b, prop, bound, limit, reach), gr in list(groups)[:MAX_PER_CHECK]:
        r = gr.iloc[0]
        word, side, more = (("minimum", "below", "at least") if bound == "min"
                            else ("maximum", "above", "at most"))
        row = f"blends.csv row {int(bl.at[b, '_row'])}"
        if r["recipe"]:
            how = (f"its recipe ({bl.at[b, 'shares']}, {bl.at[b, 'components']}) averages "
                   f"{reach:.6g} by {r['basis']}")
            fix = f"change the recipe's shares ({row})"
        else:
            how = (f"its {'highest' if bound == 'min' else 'lowest'} component, "
                   f"{r['component']}, has {reach:.6g}")
            fix = f"add a component whose {prop} is {more} {limit:g} to blend '{b}' ({row})"
        out.add(f"{at}, column {col}",
                f"no mix of blend '{b}' meets the {prop} {word} of {r['product']}, "
                f"{limit:g}, in {_in_periods(gr['period'])}: {how}, {side} it, so the blend "
                "could only make nothing",
                f"{'lower' if bound == 'min' else 'raise'} {col} to "
                f"{_reachable(reach, down=bound == 'min')} or "
                f"{'less' if bound == 'min' else 'more'}, or {fix}")


def _reachable(x: float, down: bool) -> str:
    """``x`` to 6 significant digits, rounded towards what a blend reaches: down for a
    minimum to lower to (94.83875 -> 94.8387; rounding to nearest gave 94.8388, still
    out of reach), up for a maximum to raise to."""
    text = f"{x:.6g}"
    if (float(text) > x) if down else (float(text) < x):
        step = 10.0 ** (math.floor(math.log10(abs(x))) - 5)
        text = f"{(math.floor if down else math.ceil)(x / step) * step:.6g}"
    return text


def _late_builds(case: Case, out: _Collector) -> None:
    """A unit or link that may be built (``max_new_k_per_yr`` > 0 in some period) can be
    built in time: construction starting in the first period it may start in ends before
    the horizon does. Otherwise no build could ever be used, and the option was dropped
    without a word (:func:`chainopt.case.index.build_timing`, the model's own rule)."""
    periods = case.meta.periods
    last = Discounting.from_meta(case.meta).end_year - 1
    start_of = {p.period: p.start_year for p in periods}
    for name in ("units", "links"):
        df = case.tables[name]
        # a lead time shorter than the last period: a build started in any period is
        # usable in time (the common case, decided without crossing rows and periods)
        if df.empty or not (df["lead_time_yr"] >= periods[-1].length_yr).any():
            continue
        key = name[:-1]
        rows = periodic(case, name, ["max_new_k_per_yr"])
        rows = rows[may_build(rows).to_numpy()]
        usable = build_timing(rows["period"], rows["lead_time_yr"], case.meta)[1]
        late = pd.Series(isin(df[key], rows[key]) & ~isin(df[key], rows.loc[usable, key]),
                         index=df.index)
        first = rows.groupby(key, sort=False)["period"].first().map(start_of)
        hints = pd.Series([
            f"started in {first[k]:.0f} (the earliest it may be), it would be usable from "
            f"{first[k] + lead:.0f}: shorten lead_time_yr to {last - first[k]:.0f} or less"
            + ("" if first[k] == periods[0].start_year else
               f", or allow an earlier build ({name}_by_period.csv, max_new_k_per_yr)")
            + ", or set max_new_k_per_yr to 0 (no build in this horizon)"
            for k, lead in zip(df.loc[late, key], df.loc[late, "lead_time_yr"], strict=True)],
            index=df.index[late], dtype=object)
        out.rows(f"{name}.csv", df, late, "lead_time_yr",
                 f"no build of this {key} could be used: it would come into use after the "
                 f"horizon's last year, {last}", hints=hints)


def _term_selections(case: Case, out: _Collector) -> None:
    """Every term of a user constraint selects something in the model, by the one rule
    the model adds the terms with (:func:`chainopt.case.terms.select`, on the model
    index, built here only for a case with user constraints)."""
    if case.tables["constraint_terms"].empty:
        return
    out.problems.extend(terms.select(build_index(case))[1])


def validate(raw: RawCase, keep: bool = True) -> Case:
    """Check every part of a raw case and return the validated Case, or raise InputError.

    Its text is kept as :mod:`chainopt.case.storage` chooses for the case's size. A
    small case whose content this process validated before is returned as kept then
    (:mod:`chainopt.case.memo`); ``keep=False`` for one-off variants (a sweep's probes
    and cold variants, a sensitivity's driver values), which would only push out the
    case they vary."""
    storage = storage_for(raw.tables)
    raw = replace(raw, tables={name: stored_in(df, storage) for name, df in raw.tables.items()})
    whole = keep and storage == "python"
    # each table hashed once: for the case's key and for its own typing (_typed)
    hashed = {name: memo.table_key(name, df) if whole or len(df) <= TYPED_ROWS else None
              for name, df in raw.tables.items()}
    k = memo.key(raw, hashed) if whole else None
    if k is not None and (case := memo.get(k, raw)) is not None:
        return case
    with text_storage(storage):
        case = _validate(raw, hashed)
    return case if k is None else memo.put(k, case)


def _validate(raw: RawCase, hashed: dict[str, str | None]) -> Case:
    """The checks of :func:`validate`; ``hashed``: each table's content key (or None)."""
    out = _Collector()
    meta = _meta(raw.meta, out)
    tables: dict[str, pd.DataFrame] = {}
    for name, spec in TABLES.items():
        if name in raw.tables:
            tables[name] = _typed(spec, raw.tables[name], out, hashed.get(name))
        elif spec.required:
            out.add(f"{name}.csv", "required table is missing", f"create {name}.csv")
        else:
            tables[name] = _empty(spec.column_map)
    keys = key_sets(meta, tables)
    for name, spec in TABLES.items():
        for col in spec.columns:
            if col.kind in ("ref", "refs") and col.ref in keys:
                _check_refs(f"{name}.csv", tables[name], col, keys[col.ref], out)
            if col.kind == "refs" and name in tables:
                _repeated_items(f"{name}.csv", tables[name], col, out)
    by_period: dict[str, pd.DataFrame] = {}
    for name, df in raw.tables.items():
        if name.endswith("_by_period"):
            parent = TABLES[name.removesuffix("_by_period")]
            if not parent.period_columns:
                out.add(f"{name}.csv", f"{parent.name} has no values that vary by period")
                continue
            by_period[parent.name] = _by_period(parent, df, tables[parent.name],
                                                keys.get("periods"), out)
    # (a units.csv with only its header is the same slip as none: nothing runs the modes)
    if not len(tables.get("units", ())) and len(tables.get("modes", ())):
        gone = "required table is missing" if "units" not in raw.tables else "has no rows"
        out.add("units.csv", f"{gone}: modes.csv defines processes "
                f"({', '.join(sorted(set(tables['modes']['process']))[:5])}) but no unit runs "
                "them", f"{'create' if 'units' not in raw.tables else 'fill in'} units.csv "
                "(unit, site, process, capacity_k_per_yr)")
    if not any(len(tables.get(n, ())) for n in ("units", "supplies", "markets")):
        out.add("case", "the chain is empty: no units, supplies or markets",
                "add units.csv, supplies.csv and markets.csv")
    if meta is not None and not out.problems:
        tables, by_period = _convert_units(tables, by_period, out)
    if meta is not None and not out.problems:
        _lever_semantics(tables, by_period, list(meta.period_names), out)
    stated = by_period  # the overrides as the files state them, for messages
    if meta is not None and not out.problems:
        tables, by_period, effects, premiums = levers.resolve(tables, by_period,
                                                              meta.period_names)
    if meta is not None and not out.problems:
        _semantics(meta, tables, out)
        _unlimited_expansion(tables, by_period, out)
        _link_units(tables, by_period, out)
        _build_options(tables, by_period, out)
        _project_lives(tables, raw.tables, out)
        _ramp_within_life(tables, out)
        _curve_limits(tables, by_period, out)
        _constraint_terms(tables, by_period, out)
    if out.problems or meta is None:
        raise InputError(out.problems)
    case = Case(meta=meta, tables=tables, by_period=by_period, raw=raw, origin=raw.origin,
                lever_effects=effects, flow_premiums=premiums)
    _tier_order(case, stated, out)
    _tiers_after_unlimited(case, stated, out)
    _money_pumps(case, stated, out)
    _crossed_bounds(case, stated, out)
    _unreachable_specs(case, stated, out)
    _late_builds(case, out)
    _term_selections(case, out)
    if out.problems:
        raise InputError(out.problems)
    return case
