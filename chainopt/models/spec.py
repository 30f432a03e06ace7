"""What a constraint family is, declared once: its variables and rows.

Every family module (``supply.py``, ``conversion.py``, ...) exports ``SPEC``, a
:class:`FamilySpec` listing the variable families (:class:`Var`) and row families
(:class:`Row`) its ``add`` function creates, with their key columns, sense,
objective cost categories, the noun explanations use, whether ranging and
``chainopt explain --elastic`` apply and the results table they feed.
:mod:`chainopt.models.registry` collects the specs; extraction, diagnosis, explanation
and export read them instead of keeping label tables of their own, and the build
checks that every family the programme ends up with is registered.
A spec declares no unit: the unit an element's quantity is counted in, which the
results show (``quantity_unit``), follows from its key columns by one rule,
:func:`chainopt.diagnose.names.quantity_unit` (a unit's capacity row in the unit's
capacity unit, a blend's in its product's unit, ...); only the unit of marginal values
(``value_unit``, one of :data:`VALUE_UNITS`) is declared here.

Nouns and phrases are ``str.format`` templates over the element's key columns
(``"capacity of unit {unit}"``); ``{at_site}`` reads " at SITE" or " (chain-wide)".
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from chainopt.models.lp import CATEGORIES

SENSES = ("<=", ">=", "=", "per row")  # "per row": the data give each row its sense
# The unit of a marginal value (dual) in the constraints, reduced_costs and ranging tables.
VALUE_UNITS = {
    "USD per unit": "discounted MUSD per k units/yr divided by w_t / 1000: money of the period",
    "USD per unit (NPV)": "discounted MUSD per k units/yr x 1000: base-year money",
    "MUSD (NPV)": "discounted MUSD per unit of the column (a project share)",
}


@dataclass(frozen=True)
class Cost:
    """An objective coefficient the user sets (cost ranging applies): what it is called
    in the ranging table, its sign in the maximised objective, and its phrase."""

    what: str  # "supply cost"
    sign: float  # -1 for a cost, +1 for a price
    phrase: str  # "supply cost of {commodity} at {site}"


@dataclass(frozen=True)
class Bound:
    """A column bound the user sets (a supply limit, a sales cap, a forced project)."""

    side: str  # "upper" | "lower"
    what: str  # "supply limit"
    phrase: str  # "supply limit of {commodity} at {site}"
    ranging: bool = False  # bound ranging is reported for it
    elastic: bool = False  # `explain --elastic` may relax it
    # (input table, column) that states the bound: a diagnosis names its file and row
    source: tuple[str, str] | None = None


@dataclass(frozen=True)
class Var:
    """A variable family ``block.name[dims]``."""

    block: str
    name: str
    dims: tuple[str, ...]  # key columns, in order (the family's key frame)
    noun: str  # explanations' words for one element
    categories: tuple[str, ...]  # objective cost categories of its terms (() = none)
    results: str  # the results table its values feed
    value_unit: str = "USD per unit"  # see VALUE_UNITS
    cost: Cost | None = None  # user-set objective coefficient (cost ranging)
    bound: Bound | None = None  # user-set column bound
    reduced_cost: bool = False  # listed in reduced_costs when unused
    missing_bound: str = ""  # hint when it runs away in an unbounded case ("" = none)
    technical: bool = False  # a modelling device, not a decision (left out of stories)

    @property
    def label(self) -> str:
        return f"{self.block}.{self.name}"

    def __post_init__(self) -> None:
        _check(self)
        bad = set(self.categories) - set(CATEGORIES)
        if bad:
            raise ValueError(f"{self.label}: unknown cost categories {sorted(bad)}")


@dataclass(frozen=True)
class Row:
    """A row (constraint) family ``block.name[dims]``."""

    block: str
    name: str
    dims: tuple[str, ...]
    sense: str  # see SENSES
    noun: str
    results: str  # the results table its duals feed
    value_unit: str = "USD per unit"
    what: str = ""  # the user-set bound it carries ("capacity"; "" = none)
    ranging: bool = False  # bound ranging is reported (needs ``what``)
    elastic: bool = False  # `explain --elastic` may relax it (needs ``what``)
    # (ModelIndex frame, column): the row is that many row units per user unit (a unit's
    # capacity row counts capacity x availability); joined on the row's key columns
    scale: tuple[str, str] | None = None
    # (ModelIndex frame, column): the share of the input value the bound holds in a period
    # (an existing unit alive for part of it): what a diagnosis multiplies ``scale`` by
    # to speak of the number in the input table
    stated: tuple[str, str] | None = None
    # its matrix coefficients come from its own family's inputs (blend specs, emission
    # amounts, user constraint terms), not from those of the columns' families
    own_coefficients: bool = False
    technical: bool = False
    # (input table, column) that states the bound: a diagnosis names its file and row
    source: tuple[str, str] | None = None

    @property
    def label(self) -> str:
        return f"{self.block}.{self.name}"

    def __post_init__(self) -> None:
        _check(self)
        if self.sense not in SENSES:
            raise ValueError(f"{self.label}: sense {self.sense!r} is not one of {SENSES}")
        if (self.ranging or self.elastic) and not self.what:
            raise ValueError(f"{self.label}: ranging and elastic rows need `what`")


@dataclass(frozen=True)
class FamilySpec:
    """One constraint family: its block name, inputs and variable and row families."""

    block: str
    inputs: str  # where its coefficients come from (named in the coefficient-range report)
    variables: tuple[Var, ...] = ()
    rows: tuple[Row, ...] = ()

    def __post_init__(self) -> None:
        if not self.block or not self.inputs:
            raise ValueError(f"family {self.block!r}: block and inputs are required")
        parts: tuple[Var | Row, ...] = (*self.variables, *self.rows)
        for part in parts:
            if part.block != self.block:
                raise ValueError(f"{part.label} is declared in family {self.block}")


REQUIRED = ("block", "name", "dims", "noun", "results", "value_unit")


def _check(part: Var | Row) -> None:
    """Every required field filled, the value unit known."""
    names = {f.name for f in fields(part)}
    empty = [f for f in REQUIRED if f in names and not getattr(part, f)]
    if empty:
        raise ValueError(f"{part.block}.{part.name}: empty {', '.join(empty)}")
    if part.value_unit not in VALUE_UNITS:
        raise ValueError(f"{part.label}: value unit {part.value_unit!r} is not one of "
                         f"{sorted(VALUE_UNITS)}")
