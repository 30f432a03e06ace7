"""What a case is: the ``case.yaml`` structure (pydantic) and the table specs.

Tables are described declaratively (:class:`TableSpec`, :class:`Column`) and checked
column-wise by :mod:`chainopt.case.validate`, so a million-row table costs a few
vectorised pandas operations, not a million pydantic objects. The case structure and
its small YAML parts are pydantic models (frozen, ``extra="forbid"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from chainopt.names import NAME_PATTERN  # the one snake_case rule (names are never paths)

# A table's by-period overrides are in ``<table>_by_period.csv``.
BY_PERIOD = "_by_period"

# Units a commodity may be measured in, and their dimension and factor to the base.
UNITS: dict[str, tuple[str, float]] = {
    "kg": ("mass", 1e-3),
    "t": ("mass", 1.0),
    "kt": ("mass", 1e3),
    "bbl": ("volume", 0.158987294928),  # 42 US gallons of 3.785411784 l, exactly
    "m3": ("volume", 1.0),
    "1000m3": ("volume", 1e3),
    "mcm": ("volume", 1e6),
    "GJ": ("energy", 1.0),
    "TJ": ("energy", 1e3),
    "MWh": ("energy", 3.6),
    # a million British thermal units (International Table Btu, 1,055.05585262 J): LNG's
    # price unit; a tonne of oil equivalent (IEA, 10 Gcal of 4.1868 J: 41.868 GJ); a
    # barrel of oil equivalent (5.8 MMBtu, the SEC's and SPE's)
    "MMBtu": ("energy", 1.05505585262),
    "toe": ("energy", 41.868),
    "boe": ("energy", 5.8 * 1.05505585262),
}
COMMODITY_KINDS = ("raw", "intermediate", "product", "utility", "emission")
TRANSPORT_MODES = ("pipeline", "rail", "sea", "road", "terminal", "other")
PROJECT_STATES = ("off", "optional", "forced")
# How a bool cell may be written (case-insensitive); blank takes the column's default.
TRUE_TEXTS = ("true", "yes", "1")
FALSE_TEXTS = ("false", "no", "0")
TERM_QUANTITIES = ("activity", "production", "consumption", "flow", "sales", "purchase")
# Currencies a row's money may be stated in (converted to USD at load, see fx_rates).
CURRENCIES = ("USD", "RUB", "JPY", "EUR", "CNY")
LEVY_KINDS = ("export_duty", "feed_excise", "regulated_price")
REPAYMENT_PROFILES = ("annuity", "equal_principal")
# interest during construction: paid in cash each year, or added to the loan's balance
# until its first repayment (report/parties.py, debt_schedule)
IDC_TREATMENTS = ("paid", "capitalised")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _not_true_or_false(v: object) -> object:
    """A number of ``case.yaml`` given as true/false is refused: YAML reads yes, no, on,
    off, true and false as booleans, which pydantic would take as 1 and 0 (a discount
    rate of 100 %, a one-year period) without a word."""
    if isinstance(v, bool):
        raise ValueError("must be a number, not true/false (YAML reads yes, no, on, off, "
                         "true and false as true/false)")
    return v


class Period(_Frozen):
    """One planning period: flows inside it are per year, repeated ``length_yr`` times."""

    period: str = Field(pattern=NAME_PATTERN)
    start_year: int = Field(ge=1900, le=2300)
    length_yr: int = Field(ge=1, le=100)
    # explicit discount weight of the period (discounted years); blank: from the rate
    weight: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    # the earlier period this one was split from (a scenario's ``split``): a build limit
    # per period (max_new_k_per_yr) holds on that period and its parts together
    part_of: str | None = Field(default=None, pattern=NAME_PATTERN)

    _numbers = field_validator("start_year", "length_yr", "weight", mode="before")(
        _not_true_or_false)

    @field_validator("weight")
    @classmethod
    def _at_most_its_years(cls, v: float | None, info: ValidationInfo) -> float | None:
        """w_t = sum_{y in t} d(y) with d(y) <= 1 (a rate >= 0 from a base year at or before
        the period), so a weight is at most ``length_yr``: more is another unit (hours,
        days) or a total, and would multiply the period's value by it without a word."""
        n = info.data.get("length_yr")
        if v is not None and n is not None and v > n * (1 + 1e-9):
            raise ValueError(
                f"a period's weight is its discounted years, at most its length_yr ({n}): "
                "each year counts at most 1 at a discount rate >= 0 from a base_year at or "
                "before the period; give it in years of base-year money, e.g. length_yr x "
                "(1+r)^-(mid-year - base_year), or leave it out to discount at the rate")
        return v


#: HiGHS's methods, as ``method`` (case.yaml's ``solver``) and ``--method`` take them
METHODS = ("auto", "simplex", "ipm")


class SolverDefaults(_Frozen):
    """Solver settings a case may carry; the CLI can override each."""

    time_limit_s: float = Field(default=600.0, gt=0, allow_inf_nan=False)
    threads: int = Field(default=1, ge=1, le=256)
    method: Literal["auto", "simplex", "ipm"] = "auto"
    mip_gap: float = Field(default=1e-4, ge=0, le=1, allow_inf_nan=False)

    _numbers = field_validator("time_limit_s", "threads", "mip_gap", mode="before")(
        _not_true_or_false)


def part_of_problem(periods: list[tuple[str, str | None]]) -> str | None:
    """What is wrong with the ``part_of`` of ``periods`` ((name, part_of) in time order),
    None if nothing: a part names the original period it was split from, an earlier
    period that is not itself a part, followed only by its parts up to this one (a
    case's periods, and a run's ``period_table`` in its manifest, alike)."""
    names = [n for n, _ in periods]
    for i, (name, of) in enumerate(periods):
        if of is None:
            continue
        first = names.index(of) if of in names[:i] else -1
        if first < 0 or periods[first][1] is not None or any(
                q != of for _, q in periods[first + 1:i]):
            return (f"{name} is part_of '{of}', which is not the period it was split from "
                    "(an earlier period, not itself a part, followed only by its parts)")
    return None


class CaseMeta(_Frozen):
    """The contents of ``case.yaml``."""

    format_version: Literal[1] = 1
    name: str = Field(pattern=NAME_PATTERN, max_length=100)
    description: str = ""
    currency: Literal["USD"] = "USD"
    base_year: int = Field(ge=1900, le=2300)
    discount_rate: float = Field(ge=0, le=1)
    cash_flow_timing: Literal["start", "mid", "end"] = "start"
    periods: tuple[Period, ...] = Field(min_length=1)
    demand_floors: Literal["soft", "hard"] = "soft"
    # what the model optimises: profit (maximise the chain's NPV, the default) or cost
    # (minimise the NPV of the chain's costs, reported as a positive total cost)
    objective: Literal["profit", "cost"] = "profit"
    shortfall_penalty_usd_per_unit: float = Field(default=10_000.0, gt=0)
    solver: SolverDefaults = SolverDefaults()

    _numbers = field_validator("format_version", "base_year", "discount_rate",
                               "shortfall_penalty_usd_per_unit", mode="before")(
        _not_true_or_false)

    @field_validator("discount_rate", "shortfall_penalty_usd_per_unit")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        # the tables' bound on a number (MAX_MAGNITUDE): a penalty of 1e308 validated and
        # then failed the run, blaming markets.csv's coefficients
        if abs(v) > MAX_MAGNITUDE:
            raise ValueError(f"must be at most {MAX_MAGNITUDE:g}: no price or penalty comes "
                             "near it, a typo?")
        return v

    @model_validator(mode="after")
    def _periods_contiguous(self) -> CaseMeta:
        names = [p.period for p in self.periods]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"periods: duplicate period names {dup}")
        for a, b in zip(self.periods, self.periods[1:], strict=False):
            if a.start_year + a.length_yr != b.start_year:
                raise ValueError(
                    f"periods: {a.period} ends in {a.start_year + a.length_yr - 1} but "
                    f"{b.period} starts in {b.start_year}; periods must be contiguous "
                    "and in order (start_year + length_yr of one = start_year of the next)"
                )
        wrong = part_of_problem([(p.period, p.part_of) for p in self.periods])
        if wrong:
            raise ValueError(f"periods: {wrong}; name that period, or leave part_of out")
        given = [p.weight is not None for p in self.periods]
        if any(given) and not all(given):
            missing = [p.period for p in self.periods if p.weight is None]
            raise ValueError(f"periods: weight is given for some periods but not for "
                             f"{missing}; give every period a weight or none")
        if self.periods[0].start_year < self.base_year:
            raise ValueError(
                f"periods: first period starts in {self.periods[0].start_year}, before "
                f"base_year {self.base_year}; set base_year to the first year or earlier"
            )
        return self

    @property
    def period_names(self) -> list[str]:
        return [p.period for p in self.periods]


#: what marks an entry of ``RawCase.scenario_chain`` made in memory (``api.change_case``)
IN_MEMORY = "in_memory"


@dataclass(frozen=True)
class RawCase:
    """Unvalidated inputs: the ``case.yaml`` mapping and every table as strings."""

    meta: dict
    tables: dict[str, pd.DataFrame]
    origin: str = ""
    # The case and scenario overlays this raw case came from, root first (see
    # chainopt.case.scenario); empty for a plain case. An entry with IN_MEMORY true is
    # a change made in memory (api.change_case), holding its changes.
    scenario_chain: tuple[dict, ...] = ()
    # Where rows and columns came from when read from a workbook (sheet, row numbers,
    # column letters; see chainopt.case.excel.locate); empty for CSV folders.
    locations: dict = field(default_factory=dict, compare=False)
    # What reading a workbook warns of (a hidden sheet or hidden rows read, formulas
    # referring to another workbook; chainopt.case.excel.read_workbook): said by
    # validate, run, compare and sweep with the case's other warnings
    read_warnings: tuple[str, ...] = field(default=(), compare=False)


ColumnKind = Literal["name", "ref", "refs", "float", "int", "bool", "enum", "text",
                     "shares"]


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``kind``: ``name`` (a snake_case key), ``ref`` (a key of table ``ref``), ``refs``
    (several such keys separated by ``;``), ``float``, ``int`` (a whole number),
    ``bool``, ``enum`` (one of ``choices``), ``shares`` (numbers in (0, 1] separated by
    ``;``) or free ``text``. Every ``;``-list is read by :func:`split_list`.
    ``required`` columns must be present and non-blank; optional ones take ``default``
    when absent or blank (``None`` keeps the blank, which for a capacity of a supply,
    market, link or blend means "unlimited"; a unit's capacity is required).
    ``period``: may be overridden by period in ``<table>_by_period.csv``. ``blank_hint``:
    what to do, for a required cell left blank.
    """

    name: str
    kind: ColumnKind
    required: bool = False
    default: object = None
    ref: str | None = None
    choices: tuple[str, ...] = ()
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    period: bool = False
    #: ``hi`` itself refused ("must be less than"), as ``lo_open`` refuses ``lo``
    hi_open: bool = False
    blank_hint: str = ""


@dataclass(frozen=True)
class TableSpec:
    """A table of the case: its file, key columns and value columns."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = False
    doc: str = ""
    by_period: bool = field(default=False)

    @property
    def column_map(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    @property
    def period_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.period]


#: up to this many distinct cells, :func:`split_list` splits them one at a time in Python
#: (about 0.2 ms for a handful, where pandas' string methods take 0.7: a case loads with
#: dozens of lists); more, in pandas' string methods, whose time grows slower with them
FEW_CELLS = 64


def split_list(cells: pd.Series) -> pd.Series:
    """The one parser of ``;``-lists: one row per item (index kept), spaces stripped,
    empty items dropped. ``"a; b"`` -> ``a``, ``b``; a blank cell gives no row.

    A column repeats a few lists over many rows (a link's commodities in every period),
    so each distinct cell is split once and its items are spread back to its rows
    (:func:`_items`).
    """
    row, items = _items(cells)
    return pd.Series(items, index=cells.index[row], name=None)


def _items(cells: pd.Series) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """:func:`split_list`'s items and the position of the cell each comes from: row
    ``i`` with distinct cell ``k`` takes the items of cell ``k``, in order."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    if not len(uniques):  # no cell: no item (an empty column of objects, as pandas' split)
        items, of = pd.Series([], dtype=object), np.zeros(0, dtype=np.int64)
    elif len(uniques) <= FEW_CELLS:
        items, of = _split_few(uniques.tolist())
    else:
        items = pd.Series(uniques).astype(str).str.split(";").explode().str.strip()
        items = items[items != ""]
        of = items.index.to_numpy()
    # distinct cell k's items are items[first_k .. first_k + n_k - 1] (``of`` ascends)
    counts = np.bincount(of, minlength=len(uniques))
    n = counts[codes]
    row = np.repeat(np.arange(len(codes)), n)
    item = np.repeat((np.cumsum(counts) - counts)[codes] - np.cumsum(n) + n, n) + np.arange(
        len(row))
    return row, items.array.take(item)


def list_items(frame: pd.DataFrame, col: str, name: str, keep: list[str]) -> pd.DataFrame:
    """``frame``'s ``keep`` columns with one row per item of its ``col`` list (the item in
    column ``name``), in the frame's row order and index; a blank cell gives no row.
    (Each row of ``frame`` taken once per item, by position: a join on the index
    would cost more and would cross rows sharing a label.)"""
    row, items = _items(frame[col])
    given = ~pd.isna(items)  # (a missing cell is one missing item)
    out = frame[keep].take(row[given])
    out[name] = items[given]
    return out


def _split_few(cells: list) -> tuple[pd.Series, np.ndarray]:
    """The items of a few distinct ``cells`` as :func:`split_list`'s rule has them, and
    the cell each comes from; a missing cell is one missing item, as pandas splits it."""
    items, of = [], []
    for k, cell in enumerate(cells):
        for part in [cell] if pd.isna(cell) else str(cell).split(";"):
            part = part if pd.isna(part) else part.strip()
            if part != "":
                items.append(part)
                of.append(k)
    return pd.Series(items, dtype=str), np.asarray(of, dtype=np.int64)


def _pos(name: str, required: bool = False, default: object = None, period: bool = False,
         hi: float | None = None, lo_open: bool = False, blank_hint: str = "") -> Column:
    return Column(name, "float", required=required, default=default, lo=0.0, hi=hi,
                  lo_open=lo_open, period=period, blank_hint=blank_hint)


SOURCE = Column("source", "text", default="")
DESCRIPTION = Column("description", "text", default="")
PROJECT = Column("project", "ref", ref="projects", default="")
# Build timing (see chainopt.case.vintage): whole years of life and of construction, and
# the share of capacity usable in the first years of use ("0.5;0.8").
#: the longest life of a build: no plant or pipe is used 200 years (1e308 was accepted)
MAX_LIFETIME_YR = 200
#: the largest tier, segment, point or term number: a step of a curve or a term of a
#: constraint is counted, and a case has a few (a tier of 1e20 was accepted and shown)
MAX_ORDINAL = 1000


def _life(default: float) -> Column:
    return Column("lifetime_yr", "int", default=default, lo=1, hi=MAX_LIFETIME_YR)


LEAD_TIME = Column("lead_time_yr", "int", default=0.0, lo=0, hi=50)
RAMP_UP = Column("ramp_up", "shares", default="")
# The unit a row's quantities and prices are stated in (blank: the commodity's unit);
# converted to the commodity's unit when the case is loaded.
STATED_UNIT = Column("stated_unit", "enum", choices=tuple(UNITS), default="")
# The currency a row's money columns are stated in (blank: USD); converted to USD when the
# case is loaded at the fx_rates path (period columns at each period's rate, the others at
# the first period's rate). Column names keep ``_usd``: after loading they are USD.
STATED_CURRENCY = Column("stated_currency", "enum", choices=CURRENCIES, default="")
# A price tier of a market or supply (a step of a demand or supply curve); tier 1 when
# blank, so that one row per site and commodity needs no tier column.
TIER = Column("tier", "int", default=1.0, lo=1, hi=MAX_ORDINAL)


#: the largest magnitude of a number in a float column of a case: no price, cost,
#: quantity or rate of a chain comes near it, and HiGHS takes 1e20 as infinite (a sweep
#: to a price of 1e308 failed the solve, its message suggesting a longer time limit)
MAX_MAGNITUDE = 1e15
# the smallest size of a non-zero number in a table (MAX_MAGNITUDE's mirror): no yield,
# share or price is this small (the smallest shipped yield is 5e-9); 1e-320 was a typo
# that ran with a coefficient ratio of 'inf', a gas pipe of capacity 1e-320 cutting NPV
MIN_MAGNITUDE = 1e-12
#: the columns a case table may have (a CSV header, a workbook sheet's row): the widest
#: table has 20, so more is no case table, refused before its names or cells are read
MAX_COLUMNS = 1_000

#: every case table, in the order they are validated: referenced tables first
TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "commodities", ("commodity",),
            (Column("commodity", "name", required=True),
             Column("unit", "enum", required=True, choices=tuple(UNITS)),
             Column("kind", "enum", required=True, choices=COMMODITY_KINDS),
             _pos("density_t_per_m3", lo_open=True),
             _pos("energy_gj_per_t", lo_open=True),
             # free disposal: the commodity's balance is "made >= used", the excess
             # discarded at disposal_cost_usd_per_unit (may be negative: a salvage value)
             Column("disposal", "bool", default=False),
             Column("disposal_cost_usd_per_unit", "float", default=0.0),
             STATED_CURRENCY, DESCRIPTION, SOURCE),
            required=True,
        ),
        TableSpec(
            "sites", ("site",),
            (Column("site", "name", required=True),
             # blank: no coordinates (not drawn on the map; it was drawn at 0°, 0°)
             Column("lat_deg", "float", lo=-90, hi=90),
             Column("lon_deg", "float", lo=-180, hi=180),
             DESCRIPTION, SOURCE),
            required=True,
        ),
        TableSpec(
            "projects", ("project",),
            (Column("project", "name", required=True), DESCRIPTION,
             _pos("capex_musd", default=0.0),
             Column("earliest_period", "ref", ref="periods", default=""),
             _life(25.0), LEAD_TIME, RAMP_UP,
             Column("all_or_nothing", "bool", default=True),
             Column("state", "enum", default="optional", choices=PROJECT_STATES),
             Column("forced_period", "ref", ref="periods", default=""),
             Column("retires_units", "refs", ref="units", default=""),
             Column("requires", "refs", ref="projects", default=""),
             Column("excludes", "refs", ref="projects", default=""),
             STATED_CURRENCY, SOURCE),
        ),
        TableSpec(
            "modes", ("mode",),
            (Column("mode", "name", required=True),
             Column("process", "name", required=True),
             Column("variable_cost_usd_per_unit", "float", default=0.0, period=True),
             _pos("capacity_use", default=1.0),
             STATED_CURRENCY, DESCRIPTION, SOURCE),
        ),
        TableSpec(
            "mode_flows", ("mode", "commodity"),
            (Column("mode", "ref", required=True, ref="modes"),
             Column("commodity", "ref", required=True, ref="commodities"),
             Column("direction", "enum", required=True, choices=("in", "out")),
             _pos("amount_per_unit", required=True, lo_open=True),
             STATED_UNIT, SOURCE),
        ),
        TableSpec(
            "units", ("unit",),
            (Column("unit", "name", required=True),
             Column("site", "ref", required=True, ref="sites"),
             Column("process", "ref", required=True, ref="processes"),
             _pos("capacity_k_per_yr", required=True, period=True, blank_hint=(
                 "a unit's capacity is never unlimited (a blank one of a link, supply or "
                 "market is): give its existing capacity, 0 for a unit that is only an "
                 "expansion option (max_new_k_per_yr), or one above any use for a process "
                 "without a limit")),
             _pos("availability", default=1.0, hi=1.0),
             _pos("fixed_om_usd_per_unit_yr", default=0.0),
             _pos("capex_usd_per_unit_yr", default=0.0),
             _pos("max_new_k_per_yr", default=0.0, period=True),
             _pos("min_new_k_per_yr", default=0.0),
             _pos("build_fixed_musd", default=0.0),
             _life(25.0), LEAD_TIME, RAMP_UP,
             Column("retire_year", "int", lo=1900, hi=2500),
             Column("life_extension_yr", "int", default=0.0, lo=0, hi=100),
             _pos("life_extension_capex_usd_per_unit_yr", default=0.0),
             PROJECT, STATED_CURRENCY, DESCRIPTION, SOURCE),
        ),
        TableSpec(
            "capex_segments", ("unit", "segment"),
            (Column("unit", "ref", required=True, ref="units"),
             Column("segment", "int", required=True, lo=1, hi=MAX_ORDINAL),
             _pos("size_k_per_yr", required=True, lo_open=True),
             _pos("capex_usd_per_unit_yr", required=True),
             SOURCE),
        ),
        TableSpec(
            "capex_curve", ("unit", "point"),
            (Column("unit", "ref", required=True, ref="units"),
             Column("point", "int", required=True, lo=1, hi=MAX_ORDINAL),
             _pos("size_k_per_yr", required=True),
             _pos("capex_musd", required=True),
             SOURCE),
        ),
        TableSpec(
            "supplies", ("site", "commodity", "tier"),
            (Column("site", "ref", required=True, ref="sites"),
             Column("commodity", "ref", required=True, ref="commodities"),
             TIER,
             Column("cost_usd_per_unit", "float", required=True, period=True),
             _pos("max_k_per_yr", period=True),
             STATED_UNIT, STATED_CURRENCY, SOURCE),
        ),
        TableSpec(
            "markets", ("site", "commodity", "tier"),
            (Column("site", "ref", required=True, ref="sites"),
             Column("commodity", "ref", required=True, ref="commodities"),
             TIER,
             Column("price_usd_per_unit", "float", required=True, period=True),
             _pos("max_k_per_yr", period=True),
             _pos("min_k_per_yr", default=0.0, period=True),
             STATED_UNIT, STATED_CURRENCY, SOURCE),
        ),
        TableSpec(
            "demand", ("site", "commodity"),
            (Column("site", "ref", required=True, ref="sites"),
             Column("commodity", "ref", required=True, ref="commodities"),
             _pos("amount_k_per_yr", required=True, period=True),
             STATED_UNIT, SOURCE),
        ),
        TableSpec(
            "links", ("link",),
            (Column("link", "name", required=True),
             Column("from_site", "ref", required=True, ref="sites"),
             Column("to_site", "ref", required=True, ref="sites"),
             Column("transport_mode", "enum", default="other", choices=TRANSPORT_MODES),
             Column("commodities", "refs", required=True, ref="commodities"),
             _pos("capacity_k_per_yr", period=True),
             _pos("cost_usd_per_unit", default=0.0, period=True),
             Column("loss_fraction", "float", default=0.0, lo=0.0, hi=0.999),
             _pos("capex_usd_per_unit_yr", default=0.0),
             _pos("max_new_k_per_yr", default=0.0, period=True),
             _life(40.0), LEAD_TIME, RAMP_UP,
             Column("emission_commodity", "ref", ref="commodities", default=""),
             _pos("emission_per_unit", default=0.0),
             PROJECT, STATED_CURRENCY, DESCRIPTION, SOURCE),
        ),
        TableSpec(
            "blends", ("blend",),
            (Column("blend", "name", required=True),
             Column("site", "ref", required=True, ref="sites"),
             Column("product", "ref", required=True, ref="commodities"),
             Column("components", "refs", required=True, ref="commodities"),
             Column("basis", "enum", default="mass", choices=("mass", "volume", "recipe")),
             # recipe: the components' fixed proportions ("10;4;3;1", in their own units)
             Column("shares", "text", default=""),
             _pos("capacity_k_per_yr", period=True),
             Column("variable_cost_usd_per_unit", "float", default=0.0, period=True),
             STATED_CURRENCY, DESCRIPTION, SOURCE),
        ),
        TableSpec(
            "qualities", ("commodity", "property"),
            (Column("commodity", "ref", required=True, ref="commodities"),
             Column("property", "name", required=True),
             Column("value", "float", required=True),
             SOURCE),
        ),
        TableSpec(
            "specs", ("commodity", "property"),
            (Column("commodity", "ref", required=True, ref="commodities"),
             Column("property", "ref", required=True, ref="properties"),
             Column("min_value", "float", period=True),
             Column("max_value", "float", period=True),
             # what the property is averaged by (octane by volume, sulphur by mass);
             # blank: the blend's own basis (mass for a recipe)
             Column("basis", "enum", default="", choices=("mass", "volume")),
             SOURCE),
        ),
        TableSpec(
            "constraints", ("constraint",),
            (Column("constraint", "name", required=True),
             Column("sense", "enum", required=True, choices=("<=", ">=", "=")),
             Column("rhs", "float", default=0.0, period=True),
             Column("periods", "refs", ref="periods", default=""),
             DESCRIPTION, SOURCE),
        ),
        TableSpec(
            "constraint_terms", ("constraint", "term"),
            (Column("constraint", "ref", required=True, ref="constraints"),
             Column("term", "int", required=True, lo=1, hi=MAX_ORDINAL),
             Column("quantity", "enum", required=True, choices=TERM_QUANTITIES),
             Column("coef", "float", required=True),
             Column("site", "ref", ref="sites", default=""),
             # a flow's destination (its link's to_site; site is its origin)
             Column("to_site", "ref", ref="sites", default=""),
             Column("commodity", "ref", ref="commodities", default=""),
             Column("unit", "ref", ref="units", default=""),
             Column("mode", "ref", ref="modes", default=""),
             Column("link", "ref", ref="links", default=""),
             # a flow's transport mode (its link's): every rail flow, every sea flow
             Column("transport_mode", "enum", choices=TRANSPORT_MODES, default=""),
             Column("blend", "ref", ref="blends", default=""),
             SOURCE),
        ),
        TableSpec(
            "policies", ("commodity", "site"),
            (Column("commodity", "ref", required=True, ref="commodities"),
             Column("site", "ref", ref="sites", default=""),
             _pos("carbon_price_usd_per_unit", default=0.0, period=True),
             _pos("cap_k_per_yr", period=True),
             STATED_CURRENCY, SOURCE),
        ),
        # --- policy levers: resolved into prices, costs and caps when the case is loaded
        # (chainopt.case.levers), so a scenario switches one with one change ---
        TableSpec(
            "fx_rates", ("currency",),
            (Column("currency", "enum", required=True, choices=CURRENCIES),
             _pos("usd_per_unit", required=True, lo_open=True, period=True),
             SOURCE),
            doc="exchange-rate path: USD per unit of each currency, by period",
        ),
        TableSpec(
            "market_groups", ("group",),
            (Column("group", "name", required=True),
             Column("sites", "refs", required=True, ref="sites"),
             # the commodities its levers act on (blank: every commodity): the markets
             # of those commodities at its sites, their flows on the links into them
             Column("commodities", "refs", ref="commodities", default=""),
             Column("access", "enum", default="open", choices=("open", "closed")),
             Column("price_discount", "float", default=0.0, lo=0.0, hi=1.0, period=True),
             _pos("freight_premium_usd_per_unit", default=0.0, period=True),
             STATED_CURRENCY, DESCRIPTION, SOURCE),
            doc="market access: closed groups sell nothing; discounts and freight premiums "
                "(on every commodity, or on those listed in commodities)",
        ),
        TableSpec(
            "levies", ("levy",),
            (Column("levy", "name", required=True),
             Column("kind", "enum", required=True, choices=LEVY_KINDS),
             Column("commodity", "ref", required=True, ref="commodities"),
             Column("sites", "refs", ref="sites", default=""),
             Column("amount_usd_per_unit", "float", required=True, period=True),
             Column("active", "bool", default=True),
             STATED_CURRENCY, DESCRIPTION, SOURCE),
            doc="export duties, feed excise (negative: reverse excise), regulated prices",
        ),
        # --- cooperation economics: read only by chainopt.report.parties (post-processing
        # of the yearly cash flows; the optimisation stays one system optimum) ---
        TableSpec(
            "tax_regimes", ("regime",),
            (Column("regime", "name", required=True),
             Column("profit_tax_rate", "float", required=True, lo=0.0, hi=1.0),
             Column("sites", "refs", ref="sites", default=""),
             Column("holiday_years", "int", default=0.0, lo=0, hi=50),
             Column("reduced_rate", "float", lo=0.0, hi=1.0),
             Column("reduced_years", "int", default=0.0, lo=0, hi=50),
             # the expected yearly inflation of the money the regime's tax books are kept
             # in: depreciation at historic cost, losses carried forward at their
             # amount (report/parties.py, depreciation); below 1
             Column("inflation", "float", default=0.0, lo=0.0, hi=1.0, hi_open=True),
             DESCRIPTION, SOURCE),
            doc="profit tax by site (blank sites: the default regime), with a tax holiday "
                "and a reduced rate from the first year of profit",
        ),
        TableSpec(
            "parties", ("party",),
            (Column("party", "name", required=True),
             Column("discount_rate", "float", required=True, lo=0.0, hi=1.0),
             Column("currency", "enum", default="USD", choices=CURRENCIES),
             Column("tax_regime", "ref", ref="tax_regimes", default=""),
             DESCRIPTION, SOURCE),
            doc="the owners and lenders of projects, with their cost of capital",
        ),
        TableSpec(
            "project_shares", ("project", "party"),
            (Column("project", "ref", required=True, ref="projects"),
             Column("party", "ref", required=True, ref="parties"),
             Column("share", "float", required=True, lo=0.0, hi=1.0, lo_open=True),
             _pos("equipment_share", default=0.0, hi=1.0),
             SOURCE),
            doc="equity shares of each project (a project's shares sum to at most 1)",
        ),
        TableSpec(
            "project_finance", ("project",),
            (Column("project", "ref", required=True, ref="projects"),
             Column("debt_share", "float", default=0.0, lo=0.0, hi=1.0),
             Column("interest_rate", "float", default=0.0, lo=0.0, hi=1.0),
             Column("tenor_yr", "int", default=10.0, lo=1, hi=50),
             # at least 1 (validate: a 0 is refused with its hint); blank is 1
             Column("grace_yr", "int", default=1.0, lo=0, hi=50),
             Column("repayment", "enum", default="annuity", choices=REPAYMENT_PROFILES),
             Column("lender", "ref", ref="parties", default=""),
             Column("currency", "enum", default="USD", choices=CURRENCIES),
             Column("tax_regime", "ref", ref="tax_regimes", default=""),
             # the expected yearly inflation of the loan's currency: with it interest_rate
             # is the quoted nominal rate and the loan runs in money of each year
             # (report/parties.py, loan_in_usd); below 1
             Column("inflation", "float", default=0.0, lo=0.0, hi=1.0, hi_open=True),
             Column("idc", "enum", default="paid", choices=IDC_TREATMENTS),
             SOURCE),
            doc="debt terms per project (export-credit style) and its tax regime",
        ),
    )
}


class Case(BaseModel):
    """A validated case: ``case.yaml`` contents plus one normalised frame per table.

    Frames have every spec column (defaults filled, numbers as float, blanks of
    unlimited quantities as NaN) and a ``_row`` column with the spreadsheet row of
    the source file, for messages. ``by_period`` holds the long override tables.
    ``raw`` keeps the unvalidated inputs (YAML dict and string frames) that scenarios
    overlay. Never mutated: a scenario builds a new Case.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    meta: CaseMeta
    tables: dict[str, pd.DataFrame]
    by_period: dict[str, pd.DataFrame]
    raw: RawCase
    origin: str = ""
    # what each policy lever is worth to the chain per unit (chainopt.case.levers.resolve)
    lever_effects: pd.DataFrame | None = None
    # extra cost per unit of one commodity entering a link, by period (USD: link,
    # commodity, period, usd_per_unit), on top of the link's cost_usd_per_unit: a market
    # group's freight premium on the commodities it lists (chainopt.case.levers.resolve)
    flow_premiums: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.meta.name

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]
