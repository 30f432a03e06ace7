"""The one YAML reader of chainopt: safe tags only, bounded size, aliases and nesting.

Every YAML chainopt reads (``case.yaml``, scenarios, distributions, snapshots, the
``case`` sheet of a workbook) goes through :func:`read_yaml` or :func:`parse_yaml`.
Only plain data is built (``yaml.SafeLoader``: no Python objects). A file larger than
:data:`MAX_BYTES`, more than :data:`MAX_ALIASES` aliases, nesting deeper than
:data:`MAX_DEPTH`, or a document that would expand to more than :data:`MAX_NODES`
values (the "billion laughs" of nested aliases) is an
:class:`~chainopt.errors.InputError`, found while composing, before anything is
expanded, so such a file fails in milliseconds.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from chainopt.errors import InputError, Problem
from chainopt.textfile import read_text

MAX_BYTES = 5_000_000
MAX_ALIASES = 100
MAX_DEPTH = 64
MAX_NODES = 1_000_000


class _TooBig(Exception):
    """A YAML document beyond the limits."""


class _Twice(Exception):
    """A mapping that gives a key twice."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader counting aliases and nesting while the document is composed."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _TooBig(f"more than {MAX_ALIASES} aliases (*name)")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooBig(f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


    def construct_mapping(self, node, deep=False):
        """A mapping whose keys are each given once: a second ``changes:`` would silently
        replace the first (the merge key ``<<`` still overrides as YAML says)."""
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    twice = key in seen
                except TypeError:  # an unhashable key: SafeLoader says so below
                    continue
                if twice:
                    raise _Twice(f"key {key!r} appears twice (line "
                                 f"{key_node.start_mark.line + 1})")
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


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
    _BoundedLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _not_base_60(_construct))


def _expanded_size(node: yaml.Node) -> int:
    """How many values ``node`` stands for once every alias is expanded (memoised, so
    linear in the composed graph; stops counting past MAX_NODES)."""
    memo: dict[int, int] = {}

    def size(n: yaml.Node) -> int:
        if id(n) in memo:
            return memo[id(n)]
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
        return total

    return size(node)


class _NumbersLoader(_BoundedLoader):
    """:class:`_BoundedLoader` that reads a number in scientific notation as a number
    where YAML 1.1 reads it as text (``5e-2``, ``1E3``, ``5.0e2``: no dot, or no sign in
    the exponent), as YAML 1.2, JSON and Python do; quoted, it stays text."""


_NumbersLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def parse_yaml(text: str, where: str, numbers: bool = False) -> object:
    """One YAML document from ``text`` as plain data (None for an empty document);
    ``numbers``: scientific notation read as numbers (:class:`_NumbersLoader`)."""
    if len(text) > MAX_BYTES:
        raise InputError([Problem(where, f"YAML longer than {MAX_BYTES:,} characters")])
    loader = (_NumbersLoader if numbers else _BoundedLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise _TooBig(f"expands to more than {MAX_NODES:,} values (nested aliases)")
        return loader.construct_document(node)
    except _TooBig as exc:
        hint = ("flatten it: no chainopt input nests more than a few levels"
                if "nested deeper" in str(exc) else
                "write the values out; chainopt inputs need no aliases")
        raise InputError([Problem(where, f"YAML refused: {exc}", hint)]) from None
    except _Twice as exc:
        raise InputError([Problem(where, f"YAML refused: {exc}",
                                  "keep one of them: the second would silently replace the "
                                  "first")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(where, f"not valid YAML: {_one_line(exc)}")]) from None
    except RecursionError:
        raise InputError([Problem(where, f"YAML refused: nested deeper than {MAX_DEPTH} "
                                  "levels")]) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise InputError([Problem(where, f"YAML refused: {_one_line(exc).split(';')[0]}",
                                  "write numbers with at most 15 significant digits")]) \
            from None
    finally:
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


def _one_line(exc: yaml.YAMLError) -> str:
    return " ".join(str(exc).split())
