"""The registry of constraint families: every family module's ``SPEC``, in build order.

``FAMILIES`` is the order :func:`chainopt.models.build.build` runs the family modules'
``add`` functions in. The order matters only where a family uses what another
created (disposal runs last: it reads every balance term the others added):
conversion and transport create the capacity rows
(``LinearProgram.unit_capacity`` / ``link_capacity``) that investment adds new
capacity to; emissions and user constraints read the activity, flow, sales and
purchase columns. :mod:`chainopt.models.balance` runs last (it collects every
family's balance terms) and is registered too.

Everything downstream that needs to know about a family — extraction, the insight
tables, infeasibility diagnosis, export, explanations — asks :func:`var` / :func:`row`
(by label, e.g. ``"conversion.capacity_max"``) or loops over :data:`VARIABLES` and
:data:`ROWS`, instead of keeping a label table of its own.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from chainopt.models import (
    balance,
    blending,
    conversion,
    demand,
    disposal,
    emissions,
    investment,
    market,
    supply,
    transport,
    user_constraints,
)
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import FamilySpec, Row, Var

# build order of the family modules (each has ``add(lp, ix)`` and ``SPEC``)
FAMILIES = (supply, conversion, transport, market, demand, blending, investment, emissions,
            user_constraints, disposal)
SPECS: tuple[FamilySpec, ...] = tuple(m.SPEC for m in (*FAMILIES, balance))
BLOCKS: dict[str, FamilySpec] = {s.block: s for s in SPECS}
VARIABLES: dict[str, Var] = {v.label: v for s in SPECS for v in s.variables}
ROWS: dict[str, Row] = {r.label: r for s in SPECS for r in s.rows}
#: the blocks of the families chainopt ships. A family added as the README's *Adding a
#: constraint family* says goes in FAMILIES, not here: explain then names its binding rows
#: in a netback's rest (they may hold a mode's activity). A family shipped with chainopt
#: goes in both (``test_shipped_blocks_are_the_registered_ones`` checks it).
SHIPPED_BLOCKS = frozenset(m.SPEC.block for m in (
    supply, conversion, transport, market, demand, blending, investment, emissions,
    user_constraints, disposal, balance))
#: the capacity rows of a unit and of a link, with the ``capacity`` table's kind of what
#: each limits (other rows keyed by a unit, such as its expansion limit, limit something
#: else)
CAPACITY_ROWS = {conversion.CAPACITY_MAX.label: "unit", transport.CAPACITY_MAX.label: "link"}


def var(label: str) -> Var:
    """The spec of variable family ``label`` (KeyError names the registry)."""
    try:
        return VARIABLES[label]
    except KeyError:
        raise KeyError(f"{label!r} is not a registered variable family") from None


def row(label: str) -> Row:
    """The spec of row family ``label``."""
    try:
        return ROWS[label]
    except KeyError:
        raise KeyError(f"{label!r} is not a registered row family") from None


def spec(label: str) -> Var | Row:
    """The spec of the variable or row family ``label`` (variables first)."""
    return VARIABLES.get(label) or row(label)


def unregistered(lp: LinearProgram) -> list[str]:
    """What in ``lp`` is not registered as built: families without a spec, or whose key
    columns differ from their spec's ``dims``. Empty when all is well."""
    bad = []
    for families, specs in ((lp.var_families, VARIABLES), (lp.row_families, ROWS)):
        for f in families:
            s = specs.get(f.label)
            if s is None:
                bad.append(f"{f.label}: no spec (add it to its family module's SPEC)")
            elif tuple(f.keys.columns) != s.dims:
                bad.append(f"{f.label}: key columns {tuple(f.keys.columns)} but spec dims "
                           f"{s.dims}")
    return bad


#: a family module's marks, read from its source: a top-level ``SPEC`` and ``add``
_FAMILY_MARKS = (re.compile(r"^SPEC\b", re.M), re.compile(r"^def add\(", re.M))


def unlisted_families(folder: Path | None = None) -> list[str]:
    """The modules of ``folder`` (chainopt/models) that define a top-level ``SPEC`` and
    ``add`` but are not in :data:`FAMILIES` (nor ``balance``): a family whose line in
    ``FAMILIES`` was forgotten, whose table would be validated and then ignored (a site
    cap's case solved to its uncapped value). Read from the files' text, not imported."""
    return list(_unlisted(str(folder or Path(__file__).parent)))


@functools.cache
def _unlisted(folder: str) -> tuple[str, ...]:
    listed = {m.__name__.rsplit(".", 1)[-1] for m in (*FAMILIES, balance)}
    found = []
    for path in sorted(Path(folder).glob("*.py")):
        if path.stem in listed or path.stem.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if all(mark.search(text) for mark in _FAMILY_MARKS):
            found.append(path.stem)
    return tuple(found)
