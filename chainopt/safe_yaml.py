"""The one YAML reader of chainopt: safe tags only, bounded size, aliases and nesting.

Every YAML chainopt reads (``case.yaml``, scenarios, distributions, snapshots, the
``case`` sheet of a workbook) goes through :func:`read_yaml` or :func:`parse_yaml`.
Only plain data is built (``yaml.SafeLoader``: no Python objects). A file larger than
:data:`MAX_BYTES`, more than :data:`MAX_ALIASES` aliases, nesting deeper than
:data:`MAX_DEPTH`, more than :data:`MAX_NODES` values, or a document that would
expand to more than that (the "billion laughs" of nested aliases) is an
:class:`~chainopt.errors.InputError`, found while composing, before anything is
expanded, so such a file fails in milliseconds. Where PyYAML has libyaml, the text is
scanned and parsed in C and composed in Python under the same limits (:data:`LOADERS`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml._yaml import CParser  # libyaml, where PyYAML was built with it
except ImportError:  # pragma: no cover (PyYAML without libyaml: all in Python)
    CParser = None

from chainopt.errors import InputError, Problem
from chainopt.textfile import read_text

MAX_BYTES = 5_000_000
MAX_ALIASES = 100
MAX_DEPTH = 64
MAX_NODES = 1_000_000


class _TooBig(Exception):
    """A YAML document beyond the limits: (what, hint)."""

    def problem(self, where: str) -> Problem:
        return Problem(where, f"YAML refused: {self.args[0]}", self.args[1])


_ALIASES_HINT = "write the values out; chainopt inputs need no aliases"


def _too_deep() -> _TooBig:
    return _TooBig(f"nested deeper than {MAX_DEPTH} levels",
                   "flatten it: no chainopt input nests more than a few levels")


_VALUES_HINT = ("no chainopt input holds more than some thousands: put a table that large "
                "in a case folder's CSV file")


class _Twice(Exception):
    """A mapping that gives a key twice."""


class _Limits(yaml.constructor.SafeConstructor):
    """What chainopt's loaders add to ``yaml.SafeLoader``: aliases and nesting counted
    while the document is composed, and a key given twice refused. Put first in a
    loader's bases, before the composer whose :meth:`compose_node` it wraps."""

    def __init__(self) -> None:
        super().__init__()
        self._aliases = 0
        self._depth = 0
        self._values = 0

    def compose_node(self, parent, index):
        self._values += 1
        if self._values > MAX_NODES:  # (5 MB of "1,": 2.5 million nodes, 88 s, 1.7 GB)
            raise _TooBig(f"more than {MAX_NODES:,} values", _VALUES_HINT)
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _TooBig(f"more than {MAX_ALIASES} aliases (*name)", _ALIASES_HINT)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _too_deep()
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        """A mapping whose keys are each given once: a second ``changes:`` would silently
        replace the first (the merge key ``<<`` still overrides as YAML says)."""
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    twice = key in seen
                except TypeError:  # an unhashable key: SafeLoader says so below
                    continue
                if twice:
                    spelt, line = seen[key]  # yes and true, 1 and 1.0: one key, two spellings
                    alike = "" if spelt == key_node.value else \
                        f", the same key as {spelt!r} on line {line}"
                    raise _Twice(f"key {key_node.value!r} appears twice (line "
                                 f"{key_node.start_mark.line + 1}{alike})")
                seen[key] = (key_node.value, key_node.start_mark.line + 1)
        return super().construct_mapping(node, deep=deep)


class _PyBoundedLoader(_Limits, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
                       yaml.composer.Composer, yaml.resolver.Resolver):
    """``yaml.SafeLoader`` with :class:`_Limits`, all in Python (where PyYAML has no
    libyaml): a 2.8 MB scenario takes about 20 s."""

    def __init__(self, stream: str):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Limits.__init__(self)
        yaml.resolver.Resolver.__init__(self)


if CParser is not None:
    class _CBoundedLoader(_Limits, yaml.composer.Composer, CParser, yaml.resolver.Resolver):
        """As :class:`_PyBoundedLoader`, but the text is scanned and parsed into events by
        libyaml (C); the document is still composed in Python (PyYAML's ``Composer``
        before ``CParser`` in the bases), so that :class:`_Limits` counts aliases and
        depth before anything deeper is built (``yaml.CSafeLoader`` composes in C, past
        any such count, recursing as deep as the text nests). About 4x faster: the 2.8 MB
        scenario of 60,000 added rows in 5 s rather than 20 s."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            _Limits.__init__(self)
            yaml.resolver.Resolver.__init__(self)


# YAML 1.1 reads base-60 numbers: ``1:30`` is 90, ``12:30:45`` 45045. A time or ratio
# typed where a number belongs would become a number nobody meant, so chainopt's loader
# (only it: ``yaml`` itself is left alone) keeps such a scalar as its text, which the
# value's check refuses as not a number; every other number reads as before.
def _not_base_60(construct):
    def number(loader: yaml.SafeLoader, node: yaml.ScalarNode):
        return loader.construct_scalar(node) if ":" in node.value else construct(loader, node)
    return number


for _tag, _construct in (("int", yaml.SafeLoader.construct_yaml_int),
                         ("float", yaml.SafeLoader.construct_yaml_float)):
    _Limits.add_constructor(f"tag:yaml.org,2002:{_tag}", _not_base_60(_construct))


def _expanded_size(node: yaml.Node) -> int:
    """How many values ``node`` stands for once every alias is expanded (memoised, so
    linear in the composed graph; stops counting past MAX_NODES). An alias inside the
    node it names (``a: &a [*a]``) stands for a value without end: refused as such."""
    memo: dict[int, int] = {}
    open_: set[int] = set()  # the nodes being sized: one met again holds itself

    def size(n: yaml.Node) -> int:
        if id(n) in memo:
            return memo[id(n)]
        if id(n) in open_:
            raise _TooBig(f"an alias refers to the value that holds it (line "
                          f"{n.start_mark.line + 1}): it never ends", _ALIASES_HINT)
        open_.add(id(n))
        total = 1
        if isinstance(n, yaml.SequenceNode):
            for child in n.value:
                total += size(child)
                if total > MAX_NODES:
                    break
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k) + size(v)
                if total > MAX_NODES:
                    break
        memo[id(n)] = total
        open_.discard(id(n))
        return total

    return size(node)


_SCIENTIFIC = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")


def _numbers(loader: type) -> type:
    """``loader`` reading a number in scientific notation as a number where YAML 1.1
    reads it as text (``5e-2``, ``1E3``, ``5.0e2``: no dot, or no sign in the exponent),
    as YAML 1.2, JSON and Python do; quoted, it stays text."""
    numbers: Any = type(f"{loader.__name__}Numbers", (loader,), {"__doc__": _numbers.__doc__})
    numbers.add_implicit_resolver("tag:yaml.org,2002:float", _SCIENTIFIC,
                                  list("-+0123456789."))
    return numbers


# (plain, numbers) loaders, in Python and, where PyYAML has libyaml, C-backed
PY_LOADERS: tuple[type, type] = (_PyBoundedLoader, _numbers(_PyBoundedLoader))
C_LOADERS: tuple[type, type] | None = None
if CParser is not None:
    C_LOADERS = (_CBoundedLoader, _numbers(_CBoundedLoader))
# the loaders chainopt reads with: the C-backed ones where they exist
LOADERS = C_LOADERS or PY_LOADERS


def parse_yaml(text: str, where: str, numbers: bool = False) -> object:
    """One YAML document from ``text`` as plain data (None for an empty document);
    ``numbers``: scientific notation read as numbers (:func:`_numbers`)."""
    if len(text) > MAX_BYTES:
        raise InputError([Problem(where, f"YAML longer than {MAX_BYTES:,} characters")])
    loader = None
    try:
        loader = LOADERS[numbers](text)  # (PyYAML's reader refuses a control character here)
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise _TooBig(f"expands to more than {MAX_NODES:,} values (nested aliases)",
                          _ALIASES_HINT)
        return loader.construct_document(node)
    except _TooBig as exc:
        raise InputError([exc.problem(where)]) from None
    except _Twice as exc:
        raise InputError([Problem(where, f"YAML refused: {exc}",
                                  "keep one of them: the second would silently replace the "
                                  "first")]) from None
    except yaml.YAMLError as exc:
        if getattr(exc, "problem", None) == "exceeded maximum nesting depth":  # libyaml's, 1000
            raise InputError([_too_deep().problem(where)]) from None
        raise InputError([Problem(where, f"not valid YAML: {_one_line(_quoting(exc, text))}")]) \
            from None
    except RecursionError:
        raise InputError([_too_deep().problem(where)]) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise InputError([Problem(where, f"YAML refused: {_one_line(exc).split(';')[0]}",
                                  "write numbers with at most 15 significant digits")]) \
            from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml(path: str | Path, where: str | None = None, numbers: bool = False) -> object:
    """Read one YAML file (UTF-8, at most MAX_BYTES) as plain data (``numbers``: see
    :func:`parse_yaml`)."""
    where = where or str(path)
    return parse_yaml(read_text(path, where, MAX_BYTES, what="YAML file"), where, numbers)


def read_mapping(path: str | Path, where: str | None = None, what: str = "file",
                 numbers: bool = False) -> dict:
    """Read a YAML file that must hold a mapping (an empty file is an error; ``numbers``:
    see :func:`parse_yaml`)."""
    where = where or str(path)
    doc = read_yaml(path, where, numbers)
    if doc is None:
        raise InputError([Problem(where, "is empty", f"a {what} is a YAML mapping of keys to "
                                  "values")])
    if not isinstance(doc, dict):
        raise InputError([Problem(where, f"must be a YAML mapping of keys to values (found a "
                                  f"{type(doc).__name__})", f"see the {what} format in the "
                                  "README")])
    return doc


def _quoting(exc: yaml.YAMLError, text: str) -> yaml.YAMLError:
    """``exc`` with the line of ``text`` each of its places is in, the place marked
    (``a: b: c ^``), as PyYAML's own parser says it: libyaml's places have only line and
    column. The character libyaml leaves unnamed (``found character that cannot start any
    token``: a tab, mostly) is named."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return exc
    for name in ("context_mark", "problem_mark"):
        mark = getattr(exc, name)
        if mark is not None and getattr(mark, "buffer", None) is None \
                and 0 <= mark.index <= len(text):
            setattr(exc, name, yaml.error.Mark(mark.name, mark.index, mark.line, mark.column,
                                               text, mark.index))
    if exc.problem == "found character that cannot start any token" and exc.problem_mark \
            and 0 <= exc.problem_mark.index < len(text):
        exc.problem = f"found character {text[exc.problem_mark.index]!r} that cannot start " \
                      "any token"
    return exc


def _one_line(exc: yaml.YAMLError) -> str:
    return " ".join(str(exc).split())
