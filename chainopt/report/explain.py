"""Explanations in the user's names: why this plan, how robust it is, why a case fails.

Pandas only: works on saved result tables (``constraints``, ``reduced_costs``,
``ranging``, ``coefficient_ranges``, ``sales``, ``flows``, ``balances``) and on the
diagnosis tables of :mod:`chainopt.diagnose` (IIS members, elastic relaxations,
runaway columns). Every function returns lines of plain text. The words for each
family (its noun, the phrases of its user-set costs and bounds, the hint when it runs
away) are declared in its spec (:mod:`chainopt.models.registry`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from chainopt.case.discount import years_text
from chainopt.models import balance, conversion, emissions, investment, transport, user_constraints
from chainopt.models.registry import CAPACITY_ROWS, ROWS, SHIPPED_BLOCKS, VARIABLES
from chainopt.models.spec import Row, Var
from chainopt.report.holding import period_spans, split_parts
from chainopt.report.numbers import exact, exact_places, fixed, number
from chainopt.results import commodity_units as saved_units
from chainopt.results import rows as table_rows
from chainopt.results import run_title

RATIO_WARN = 1e8
# modelling devices, not decisions the user made (kept in constraints.csv, not in the story)
TECHNICAL = frozenset([label for label, v in VARIABLES.items() if v.technical]
                      + [label for label, r in ROWS.items() if r.technical])


def parse_key(text: object) -> dict[str, str]:
    """``"unit=tob_pe, period=p2026"`` -> ``{"unit": "tob_pe", "period": "p2026"}``."""
    out: dict[str, str] = {}
    if not isinstance(text, str) or not text:
        return out
    for part in text.split(", "):
        k, _, v = part.partition("=")
        out[k] = v
    return out


class _Keys(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _spec(family: str, key: dict) -> Var | Row | None:
    """The spec whose words name an element of ``family``: a tier 1 keyed with its tier
    (a site and commodity with further tiers, see :func:`chainopt.models.tiers.further`)
    is named as its further tiers are, by the tier family's words."""
    if "tier" in key and not family.endswith("_tier"):
        family = f"{family}_tier"
    return VARIABLES.get(family) or ROWS.get(family)


def describe(family: str, key: object, kind: str = "row", side: str = "") -> str:
    """The user's words for one constraint or column (without its period)."""
    k = _Keys(parse_key(key))
    k["at_site"] = f" at {k['site']}" if k.get("site") else " (chain-wide)"
    spec = _spec(family, k)
    bound = getattr(spec, "bound", None) if kind == "bound" else None
    phrase = bound.phrase if bound is not None and bound.side == side else None
    phrase = phrase or (spec.noun if spec is not None else None)
    if phrase is None:
        rest = ", ".join(f"{a}={b}" for a, b in parse_key(key).items() if a != "period")
        return f"{family}[{rest}]"
    return phrase.format_map(k)


def _amount(y: float) -> str:
    """An amount of a commodity per unit of another (a recipe's coefficient) as text, to
    four significant digits, so the amounts a case states read as stated and the sum
    beside them can be followed (1.015 t of ethylene per t of HDPE at 600 is 609; at two
    decimals it read 1.02, which makes 612)."""
    if not math.isfinite(y) or abs(y) >= 1000:
        return exact(y)
    four = f"{float(f'{y:.12g}'):.4g}"
    return f"{Decimal(four):f}"


def _qty(unit: object) -> str:
    """A quantity's unit as text: ``k t/yr``; a project's build share is counted in
    projects (0 to 1), not per year."""
    if unit == "project share":
        return "project"
    return f"k {unit}/yr" if isinstance(unit, str) and unit else "k units/yr"


def _in_units(value_unit: object, qunit: object, yearly: bool = True) -> str:
    """A saved value unit in the quantity's unit (results of older versions said
    ``USD per unit``); with ``yearly``, ``USD per t`` is per t of yearly quantity, each
    year (a marginal value); without, per t (a margin)."""
    u = str(value_unit or "")
    if isinstance(qunit, str) and qunit:
        u = u.replace("per unit/yr", f"per {qunit}/yr").replace("per unit", f"per {qunit}")
    if yearly and u.startswith("USD per ") and "(NPV)" not in u:
        u += " a year"
    return u


def spans(periods: list[str], order: list[str]) -> list[str]:
    """Consecutive periods merged: ``["p2026-p2036", "p2046"]``."""
    pos = sorted({order.index(p) for p in periods if p in order})
    out: list[tuple[int, int]] = []
    start = prev = -1
    for i in pos:
        if start < 0:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append((start, prev))
            start = prev = i
    if start >= 0:
        out.append((start, prev))
    extra = [p for p in periods if p not in order]
    return [order[a] if a == b else f"{order[a]}-{order[b]}" for a, b in out] + sorted(
        set(extra))


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class Years:
    """The years of a run's periods, as explain says them (from the manifest's
    ``period_table``: :func:`chainopt.report.holding.period_spans`,
    :func:`chainopt.report.holding.split_parts`), in one compact form:

    * once per answer, under the run's line, every period with its years and each
      period split with its parts (:meth:`line`): ``periods: p2026 (2026-2028), p2029
      (2029-2030), p2031 (2031-2035), p2036 (2036-2040); p2026 and p2029 are the parts
      of the original p2026 (2026-2030)``;
    * a span of several periods with the years it covers (:meth:`span`): ``p2026-p2029
      (2026-2030)``, as the name of its last period is that period's first year, not
      the span's last; a single period by its bare name (its years are on that line);
    * with ``--period`` a part, or an original split, which parts belong together
      (:meth:`part_line`).

    Empty (bare names throughout, no line) for results written before ``period_table``."""

    spans: dict[str, tuple[int, int]]
    parts: dict[str, list[str]]

    @classmethod
    def of(cls, manifest: dict) -> Years:
        return cls(period_spans(manifest), split_parts(manifest))

    def of_periods(self, periods: list[str]) -> str:
        """``p2026 (2026-2028) and p2029 (2029-2030)``."""
        return _and([f"{p} ({years_text(*self.spans[p])})" if p in self.spans else p
                     for p in periods])

    def span(self, span: str, order: list[str]) -> str:
        """``span`` (of :func:`spans`) as explain writes it: with its years when it is
        several periods."""
        ps = _span_members(span, order)
        if len(ps) < 2 or ps[0] not in self.spans or ps[-1] not in self.spans:
            return span
        return f"{span} ({years_text(self.spans[ps[0]][0], self.spans[ps[-1]][1])})"

    def over(self, periods: list[str], order: list[str]) -> str:
        """``periods`` merged over consecutive ``order`` (:func:`spans`), each span as
        :meth:`span` writes it: ``p2026-p2029 (2026-2030), p2036``."""
        return ", ".join(self.span(s, order) for s in spans(periods, order))

    def _original(self, original: str) -> str:
        ps = self.parts[original]
        first, end = self.spans[ps[0]][0], self.spans[ps[-1]][1]
        return f"the original {original} ({years_text(first, end)})"

    def line(self) -> str | None:
        """Every period with its years, and the parts of each period split."""
        if not self.spans:
            return None
        split = [f"{_and(ps)} are the parts of {self._original(o)}"
                 for o, ps in self.parts.items()]
        every = ", ".join(f"{p} ({years_text(*y)})" for p, y in self.spans.items())
        return "; ".join([f"periods: {every}", *split])

    def part_line(self, period: str) -> str | None:
        """For ``period`` one part of a period split: its years alone, the original's,
        and its other parts (``--period`` shows it alone)."""
        o = next((o for o, ps in self.parts.items() if period in ps), None)
        if o is None or period not in self.spans:
            return None
        others = [p for p in self.parts[o] if p != period]
        return (f"period {period} is {years_text(*self.spans[period])} only, a part of "
                f"{self._original(o)}; its other part{'s' if len(others) > 1 else ''}: "
                f"{self.of_periods(others)}")


NO_YEARS = Years({}, {})


def _strip_period(key: object) -> str:
    return ", ".join(f"{a}={b}" for a, b in parse_key(key).items() if a != "period")


# -- why this plan ------------------------------------------------------------------------
def ends_at(value, end):
    """Whether a ranging interval's ``end`` is the bound's ``value`` itself (arrays or
    numbers): the marginal value of the bound does not hold past it that way (a
    degenerate optimum). At the upper end it is what one unit *less* room costs, and one
    unit more is worth at most that; the one test of "holds only for less room" the
    binding lines and the ranging lines share."""
    value = np.asarray(value, dtype=float)
    return np.abs(np.asarray(end, dtype=float) - value) <= 1e-9 * np.maximum(
        1.0, np.abs(value))


def _no_more_room(ranging: pd.DataFrame | None) -> tuple[set, set]:
    """(family, key) of the bounds whose marginal value does not hold for one more unit
    (ranging: the bound's interval ends at its value, :func:`ends_at`) upwards, and
    downwards. Such a value (a degenerate optimum) is what one unit *less* room costs;
    one unit more is worth less."""
    if ranging is None or ranging.empty or "upper" not in ranging:
        return set(), set()
    b = ranging[ranging["kind"] == "bound"]
    value = b["value"].to_numpy(float)
    keys = list(zip(b["family"].astype(str), b["key"].astype(str), strict=True))
    up = ends_at(value, b["upper"].to_numpy(float))
    down = ends_at(value, b["lower"].to_numpy(float))
    return ({k for k, f in zip(keys, up, strict=True) if f},
            {k for k, f in zip(keys, down, strict=True) if f})


def binding_lines(constraints: pd.DataFrame, order: list[str], top: int = 10,
                  capacity: pd.DataFrame | None = None,
                  ranging: pd.DataFrame | None = None,
                  investments: pd.DataFrame | None = None,
                  years: Years = NO_YEARS) -> list[str]:
    """The binding constraints that shape the plan, grouped over consecutive periods and
    ranked by their value (a span of several periods with its ``years``, :class:`Years`);
    with the ``capacity`` table, the capacity of a unit or link
    that has none in a period is said to be not available then, not to bind; with the
    ``investments`` table, the expansion limit of a unit not built in a period (a MIP's
    build decision no) is said so (:func:`not_built`); with the ``ranging`` table, a
    value that holds only for less room (a degenerate optimum: one more unit is worth
    less) is said to."""
    # (a table saved empty may read its number columns back as text: not filtered)
    c = constraints if constraints.empty else constraints[
        (constraints["marginal_value"].abs() > 1e-6)
        & ~constraints["family"].isin(TECHNICAL)].copy()
    no_up, no_down = _no_more_room(ranging)
    cap = capacity_by(capacity)
    zero = zero_room(c, cap)
    unbuilt = not_built(c, investments)
    unavailable = [*_unavailable_lines(c[zero], cap, order, no_up, years),
                   *_not_built_lines(c[unbuilt], order, no_up, years)]
    c = c[~zero & ~unbuilt]
    if c.empty and unavailable:
        return unavailable
    if c.empty:
        return [NO_BINDING]
    members = distinct_constraints(c)
    groups = []
    fams, kinds, sides = (c[k].to_numpy(dtype=object) for k in ("family", "kind", "side"))
    per, per_text = c["period"].to_numpy(dtype=object), c["period"].astype(str).to_numpy(
        dtype=object)
    mv = c["marginal_value"].to_numpy(dtype=float)
    for rows in members:
        fam, kind, side = fams[rows[0]], kinds[rows[0]], sides[rows[0]]
        for span in spans(list(per_text[rows]), order) or [""]:
            ps = set(_span_members(span, order))
            part = rows[[p in ps for p in per[rows]]] if ps else rows
            v = mv[part]
            groups.append((float(np.abs(v).max()), fam, kind, side, part, span,
                           float(v.min()), float(v.max())))
    groups.sort(key=lambda t: -t[0])
    lines = []
    degenerate: set[str] = set()  # periods of a value that holds only for less room
    for _, fam, kind, side, part, span, lo, hi in groups[:top]:
        row = c.iloc[part[0]]
        what = describe(fam, row["key"], kind, side)
        value = exact(hi) if abs(hi - lo) <= 1e-6 * max(1.0, abs(hi)) else \
            f"{exact(lo)} to {exact(hi)}"
        when = f" in {years.span(span, order)}" if span else ""
        q = row.get("quantity_unit", "")
        q = q if isinstance(q, str) and q else "unit"
        unit = _in_units(row["value_unit"], q)
        verb = {"equal": f"raising it by one {q}/yr",
                "lower": f"each {q}/yr lower"}.get(side, f"each extra {q}/yr")
        prop = parse_key(row["key"]).get("property")
        if prop:  # a blend spec: per unit of the property, per unit of the blend
            lines.append(f"{what} binds{when}: relaxing it by one {prop} unit is worth "
                         f"{value} USD per {q} blended a year")
            continue
        blocked = no_down if side == "lower" else no_up
        flat = [(fams[i], c["key"].iat[i]) in blocked for i in part]
        degenerate.update(per_text[i] for i, f in zip(part, flat, strict=True) if f)
        note = ""
        if all(flat):
            note = f" (only for less room: one {q}/yr more is worth less)"
        elif any(flat):
            where = years.over([per_text[i] for i, f in zip(part, flat, strict=True)
                                 if f], order)
            note = f" (in {where} only for less room: one {q}/yr more is worth less)"
        lines.append(f"{what} binds{when}: {verb} is worth {value} {unit}{note}")
    if len(groups) > top:
        lines.append(f"... and {len(groups) - top} more (constraints.csv)")
    return lines + _also_at_limit(constraints, degenerate, cap, order, top,
                                  years) + unavailable


def _also_at_limit(constraints: pd.DataFrame, periods: set[str], cap, order: list[str],
                   top: int, years: Years = NO_YEARS) -> list[str]:
    """At a degenerate optimum (a value above holds only for less room, in ``periods``):
    the constraints also at their limit there with a value of 0, which the list above
    leaves out. Two limits on one flow (a supply cap and a plant's capacity, both 500):
    one more unit of either alone is worth 0 (the other holds the flow), one less of
    either costs the margin; the value reported sits on one of them, the other reads 0,
    bound all the same (the run's "binding capacities" left such a capacity out)."""
    need = {"marginal_value", "slack", "family", "key", "period", "bound"}
    if not periods or constraints.empty or not need <= set(constraints.columns):
        return []
    c = constraints
    at = ((c["marginal_value"].astype(float).abs() <= 1e-6)
          & (c["slack"].astype(float).abs() <= 1e-9 * np.maximum(
              1.0, c["bound"].astype(float).abs()))
          & ~c["family"].isin(TECHNICAL) & c["period"].astype(str).isin(periods))
    z = c[at]
    z = z[~zero_room(z, cap)]  # a capacity of 0: not available then, said apart
    if z.empty:
        return []
    shown = []
    for rows in distinct_constraints(z)[:top]:
        row = z.iloc[rows[0]]
        when = years.over(list(z["period"].astype(str).iloc[rows]), order)
        shown.append(f"{describe(row['family'], row['key'], row.get('kind'), row.get('side'))}"
                     f"{f' in {when}' if when else ''}")
    return [f"also at its limit, with a value of 0 (a degenerate optimum: a limit above "
            f"holds the same flow, so one unit more of it alone is worth nothing; one unit "
            f"less may cost): {'; '.join(shown)}"]


def distinct_constraints(c: pd.DataFrame) -> list[np.ndarray]:
    """The rows of each distinct constraint of ``c`` (a ``constraints`` table): its family,
    key without the period, kind and side, in order of first appearance, as positions
    into ``c`` (no sub-frame per group: there are tens of thousands on large cases). A row
    with a missing family, kind or side is in none."""
    if c.empty:
        return []
    base = c["key"].map(_strip_period)
    gid = c.assign(_base=base).groupby(["family", "_base", "kind", "side"], sort=False
                                       ).ngroup().to_numpy(dtype=float, na_value=np.nan)
    pos = np.flatnonzero(~np.isnan(gid) & (gid >= 0))  # groupby leaves out missing keys
    pos = pos[np.argsort(gid[pos], kind="stable")]
    return np.split(pos, np.flatnonzero(np.diff(gid[pos])) + 1) if len(pos) else []


def capacity_by(capacity: pd.DataFrame | None) -> dict[tuple[str, str, str], float]:
    """(kind, name, period) -> total capacity (existing + built), from ``capacity``."""
    if capacity is None or not {"kind", "name", "period", "total_k_per_yr"} <= set(
            capacity.columns):
        return {}
    total = capacity["total_k_per_yr"].astype(float).fillna(0.0).tolist()
    return {(str(k), str(n), str(p)): v for k, n, p, v in zip(
        capacity["kind"].tolist(), capacity["name"].tolist(), capacity["period"].tolist(),
        total, strict=True)}




def _owner(family: object, key: object) -> tuple[str, str] | None:
    """('unit', name) or ('link', name) of a capacity row (:data:`CAPACITY_ROWS`)."""
    kind = CAPACITY_ROWS.get(str(family))
    name = parse_key(key).get(kind) if kind else None
    return (kind, name) if kind and name is not None else None


def zero_room(c: pd.DataFrame, cap: dict) -> pd.Series:
    """Capacity rows of a unit or link whose capacity (existing plus built) is 0 in the
    period: a unit before it exists or after it retires does not 'bind'."""
    out = []
    for fam, key, per, side in zip(c["family"].tolist(), c["key"].tolist(),
                                   c["period"].astype(str).tolist(), c["side"].tolist(),
                                   strict=True):
        own = _owner(fam, key) if side == "upper" else None
        out.append(own is not None and (own[0], own[1], per) in cap
                   and abs(cap[(own[0], own[1], per)]) <= 1e-9)
    return pd.Series(out, index=c.index, dtype=bool)


def _unavailable_lines(zero: pd.DataFrame, cap: dict, order: list[str],
                       no_up: set | frozenset = frozenset(),
                       years: Years = NO_YEARS) -> list[str]:
    """'capacity of unit X: not available until p2031 (...)' ('not available in p2' for
    a gap, 'no longer available from p2041', 'never available') for capacity rows of a
    unit or link that has no capacity in those periods, with what one unit of it there would
    be worth: *at most* that where the value holds only for less room (``no_up``,
    :func:`_no_more_room`: at a degenerate optimum the value of a capacity of 0 is one
    end of an interval, and one unit more is worth its lower end)."""
    if zero.empty:
        return []
    lines = []
    zero = zero.assign(_base=zero["key"].map(_strip_period))
    for (fam, _b, kind, side), g in zero.groupby(["family", "_base", "kind", "side"],
                                                 sort=False):
        what = describe(fam, g.iloc[0]["key"], kind, side)
        own = _owner(fam, g.iloc[0]["key"])
        there = [p for p in order if own and cap.get((own[0], own[1], p), 0.0) > 1e-9]
        for span in spans(list(g["period"].astype(str)), order):
            ps = _span_members(span, order) or [span]
            last = order.index(ps[-1]) if ps[-1] in order else -1
            first = order.index(ps[0]) if ps[0] in order else -1
            later = [p for p in there if order.index(p) > last]
            earlier = [p for p in there if order.index(p) < first]
            said = years.span(span, order)
            if later and earlier:  # a gap: there before and after
                state = f"not available in {said}"
            elif later:
                state = f"not available until {later[0]}"
            elif earlier:
                state = f"no longer available from {ps[0]}"
            else:
                state = "never available"
            here = g[g["period"].isin(ps)]
            v = here["marginal_value"]
            bound = any((str(f), str(k)) in no_up
                        for f, k in zip(here["family"], here["key"], strict=True))
            q = g.iloc[0].get("quantity_unit")
            q = q if isinstance(q, str) and q else "unit"  # per t/yr, as a binding line
            lines.append(f"{what}: {state} (no capacity in {said}; one {q}/yr there would be "
                         f"worth {'at most ' if bound else ''}{exact(float(v.max()))} "
                         f"{_in_units(g.iloc[0]['value_unit'], q)})")
    return lines


def not_built(c: pd.DataFrame, investments: pd.DataFrame | None) -> pd.Series:
    """The expansion-limit rows of ``c`` (``investment.unit_new_max``: new capacity <=
    max_new x the build decision) of a unit that ``investments`` shows no build of in the
    row's period. Such a row has a value only where the build decision is no (a MIP:
    the LP the values come from fixes it, and its limit is then 0): the value is that of
    a build allowed there, not of the limit in ``units.csv``."""
    if investments is None or not {"kind", "name", "period", "amount"} <= set(
            investments.columns):
        return pd.Series(False, index=c.index, dtype=bool)
    inv = investments[(investments["kind"] == "unit")
                      & (pd.to_numeric(investments["amount"]) > 1e-9)]
    built = set(zip(inv["name"].astype(str), inv["period"].astype(str), strict=True))
    new_max = investment.UNIT_NEW_MAX.label
    return pd.Series([f == new_max and (parse_key(k).get("unit", ""), str(p)) not in built
                      for f, k, p in zip(c["family"].tolist(), c["key"].tolist(),
                                         c["period"].tolist(), strict=True)],
                     index=c.index, dtype=bool)


def not_binding(c: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.Series:
    """The rows of ``c`` (a ``constraints`` table) with a value that do not bind in
    their period: the capacity of a unit or link that has none then (:func:`zero_room`)
    and the expansion limit of a unit not built then (:func:`not_built`); the run
    report's chart and a comparison's rent changes leave them out, as explain does."""
    return (zero_room(c, capacity_by(tables.get("capacity")))
            | not_built(c, tables.get("investments")))


def _not_built_lines(rows: pd.DataFrame, order: list[str],
                     no_up: set | frozenset = frozenset(),
                     years: Years = NO_YEARS) -> list[str]:
    """'expansion limit of unit u: not built in p1 (...)' for the rows of
    :func:`not_built`, with what one unit of capacity built there would be worth (NPV,
    before the build's fixed charge and minimum size): *at most* that where the unit's
    capacity in that period or a later one holds its value only for less room (``no_up``,
    :func:`_no_more_room`: a unit not built has a capacity of 0, whose value is one end
    of an interval; the build's value is the capacity's over the years it is used,
    less its capex; a unit of 0 capacity earning 400 less 100 per t on 20 t/yr with a
    capex of 100 per t/yr: the row reads 300, one t/yr built is worth 200)."""
    if rows.empty:
        return []
    hedged = {(parse_key(k).get("unit", ""), parse_key(k).get("period", ""))
              for f, k in no_up if f == conversion.CAPACITY_MAX.label}
    lines = []
    rows = rows.assign(_unit=rows["key"].map(lambda k: parse_key(k).get("unit", "")))
    for unit, g in rows.groupby("_unit", sort=False):
        what = describe(investment.UNIT_NEW_MAX.label, g.iloc[0]["key"])
        q = g.iloc[0].get("quantity_unit")
        q = q if isinstance(q, str) and q else "unit"
        for span in spans(list(g["period"].astype(str)), order):
            ps = _span_members(span, order) or [span]
            first = order.index(ps[0]) if ps[0] in order else 0
            bound = any((unit, p) in hedged for p in order[first:]) or not order
            v = g[g["period"].astype(str).isin(ps)]["marginal_value"].astype(float)
            lines.append(f"{what}: not built in {years.span(span, order)} (its yes/no build "
                         "decision is no); one "
                         f"{q}/yr built there would be worth {'at most ' if bound else ''}"
                         f"{exact(float(v.max()))} {_in_units(g.iloc[0]['value_unit'], q)}, "
                         "before the build's fixed charge and minimum size")
    return lines


def _span_members(span: str, order: list[str]) -> list[str]:
    if not span:
        return []
    a, _, b = span.partition("-")
    if a in order and (b or a) in order:
        return order[order.index(a):order.index(b or a) + 1]
    return [span]


def netback_lines(tables: dict[str, pd.DataFrame], period: str | None = None,
                  top: int = 10) -> list[str]:
    """For each product sold (the ``top`` by revenue): its price at each market (the
    ``top`` sales by revenue, :func:`_largest`) and its value back from them along the
    links that carry it (the balance shadow prices at each site),
    each leg split into what a unit pays on the way (:func:`_leg`), and how it is
    obtained at each site on the way (:func:`_source_parts`, as for a delivery); then the
    marginal cost of each hard demand delivered (:func:`delivery_lines`)."""
    sales, flows, bal = tables.get("sales"), tables.get("flows"), tables.get("balances")
    if sales is None or flows is None or bal is None:
        return []
    sold = sales[sales["sales_k_per_yr"] > 1e-6]
    demand = tables.get("demand")
    delivered = (demand[demand["delivered_k_per_yr"] > 1e-6] if demand is not None
                 and "delivered_k_per_yr" in demand else pd.DataFrame())
    if sold.empty and delivered.empty:
        return ["Nothing is sold."]
    if period is None:
        period = str((sold if len(sold) else delivered)["period"].iloc[0])
    sold = sold[sold["period"] == period]
    delivered = delivered[delivered["period"] == period] if len(delivered) else delivered
    lines = [] if sold.empty and len(delivered) else _sold_lines(tables, sold, period, top)
    if len(delivered):
        lines += [""] * bool(lines) + delivery_lines(tables, delivered, period, top)
    return lines + one_way_lines(tables, period)


def one_way_lines(tables: dict[str, pd.DataFrame], period: str, shown: int = 8) -> list[str]:
    """The values of commodities that move in ``period`` but hold one way only
    (``balances.value_holds_for``, :func:`chainopt.report.moving.priced`): the netbacks
    above add up with them, yet each is one end of an interval, not a price ('raw_gas_esib
    at amur 302 (for one unit less only)'); the first ``shown``, then a count."""
    from chainopt.report import moving  # (lazy, as the tables it reads)

    b = tables.get("balances")
    if b is None or "value_holds_for" not in b.columns:
        return []
    b = b[b["period"].astype(str) == period]
    one_way = b[moving.moves(b, tables) & ~moving.holds_both_ways(b, tables)]
    if one_way.empty:
        return []
    said = {"one more": "for one unit more only", "one less": "for one unit less only",
            "neither": "neither for one unit more nor less"}
    items = [f"{r.commodity} at {r.site} {exact(r.shadow_price_usd_per_unit)} "
             f"({said.get(str(r.value_holds_for), str(r.value_holds_for))})"
             for r in one_way.head(shown).itertuples()]
    more = f", and {len(one_way) - shown} more" if len(one_way) > shown else ""
    return ["", f"values that hold one way only in {period} (a degenerate optimum, such as "
            "a supply and a plant binding on the same flow: one end of an interval, not a "
            f"price; balances.csv value_holds_for): {', '.join(items)}{more}"]


def _sold_lines(tables: dict[str, pd.DataFrame], sold: pd.DataFrame, period: str,
                top: int) -> list[str]:
    walk = _Walk(tables, period)
    units = commodity_units(tables)
    tiers = _multi_tier(tables["sales"])
    lines = [f"netbacks in {period} (USD per unit; value at each site = balance shadow "
             "price):"]
    rev = sold.groupby("commodity", sort=False)["revenue_musd_per_yr"].sum()
    for c in rev.sort_values(ascending=False, kind="stable").index[:top]:
        g, left = _largest(sold[sold["commodity"] == c], "revenue_musd_per_yr", top)
        parts = [f"sold at {r.site}"
                 f"{_tier_text(tiers, r.site, c, getattr(r, 'tier', None))} for "
                 f"{exact(r.price_usd_per_unit)}"
                 f"{_sale_rent(r.price_usd_per_unit, walk.value(r.site, c))} "
                 f"(worth {exact(walk.value(r.site, c))} there)" for r in g.itertuples()]
        lines += _commodity_lines(c, [*parts, *_left_out(left, "sale", "sales", "sales.csv"),
                                      *walk.chain(c, list(g["site"]))], units.get(str(c)))
    return lines + _more(len(rev) - top, "sold", "sales.csv")


def _more(n: int, what: str, table: str) -> list[str]:
    """The line that says ``n`` more commodities ``what`` are left out of a list cut at
    ``--top`` (none when ``n`` <= 0), as the binding constraints say theirs."""
    return [f"  ... and {n} more commodit{'ies' if n > 1 else 'y'} {what} ({table})"] \
        if n > 0 else []


def _largest(rows: pd.DataFrame, column: str, top: int) -> tuple[pd.DataFrame, int]:
    """The ``top`` rows of ``rows`` with the largest ``column`` (among equals the first),
    in their table order, and how many are left out: a commodity sold at 500 markets
    (a large case) shows its ``--top`` largest sales and the chains back from them."""
    if len(rows) <= top:
        return rows, 0
    keep = np.sort(np.argsort(-rows[column].to_numpy(dtype=float), kind="stable")[:top])
    return rows.iloc[keep], len(rows) - top


def _left_out(n: int, one: str, many: str, table: str) -> list[str]:
    """The part that says ``n`` more sales or deliveries (``one``, ``many``) of a
    commodity are left out of its line (:func:`_largest`), with the chains back from
    them; none when ``n`` is 0."""
    return [f"... and {n:,} more {many if n > 1 else one}, and the chains back from "
            f"{'them' if n > 1 else 'it'} ({table})"] if n else []


def _sale_rent(price: float, v: float) -> str:
    """What sets a sale's price apart from the value of its commodity where it is sold
    (``v``): a sale in use (its column basic or at its cap) has ``v = price + floor value
    - cap rent`` (the duals of its demand floor and its sales cap), so a value below the
    price is the sales cap's rent, one above it the demand floor's value (``" less 252
    sales cap rent"``, ``" plus 5,000 demand floor value"``); nothing where they agree."""
    gap = float(price) - v
    if not math.isfinite(gap) or abs(gap) <= 1e-6 * max(1.0, abs(v)):
        return ""
    return (f" less {exact(gap)} sales cap rent" if gap > 0
            else f" plus {exact(-gap)} demand floor value")


#: a part of a commodity's netback or delivery line: one line, or (a joint product's)
#: a line and the further lines said under it. Never text split at its line feeds: a
#: name holding one (a results folder someone sent) would print a line of its own that
#: reads as chainopt's
Part = str | tuple[str, ...]


def _commodity_lines(c: object, parts: list[Part], unit: str | None = None) -> list[str]:
    """One commodity's netback or delivery: its name and the unit its values are per
    (``hdpe (USD per t):``, where :func:`commodity_units` knows it), then one part per
    line (a part's own further lines, see :func:`_source_parts`, indented below it)."""
    per = f" (USD per {unit})" if unit else ""
    return [f"  {c}{per}:", *("    " + line for part in parts
                               for line in ((part,) if isinstance(part, str) else part))]


def delivery_lines(tables: dict[str, pd.DataFrame], delivered: pd.DataFrame, period: str,
                   top: int = 10) -> list[str]:
    """For each commodity delivered to a hard demand (``demand``; the ``top`` by
    quantity): its marginal cost at each demand site (the ``top`` deliveries by quantity,
    :func:`_largest`; ``marginal_cost_usd_per_unit``,
    what one more unit of demand costs: minus the dual of ``demand.required``), its value
    back along the links that carry it, each leg split as a netback's (:func:`_leg`), and
    how it is obtained at each site on the way (:func:`_source_parts`): bought, or made
    by a unit, the value there split into inputs, variable cost and capacity rent."""
    walk = _Walk(tables, period)
    units = commodity_units(tables)
    qty = delivered.groupby("commodity", sort=False)["delivered_k_per_yr"].sum()
    lines = [f"marginal costs of deliveries in {period} (USD per unit; value at each site = "
             "balance shadow price):"]
    for c in qty.sort_values(ascending=False, kind="stable").index[:top]:
        g, left = _largest(delivered[delivered["commodity"] == c], "delivered_k_per_yr", top)
        parts = [f"delivered at {r.site} ({exact(r.delivered_k_per_yr)} "
                 f"{_qty(units.get(str(c)))}), one more costs "
                 f"{exact(r.marginal_cost_usd_per_unit)}" for r in g.itertuples()]
        lines += _commodity_lines(c, [*parts, *_left_out(left, "delivery", "deliveries",
                                                "demand.csv"),
                                      *walk.chain(c, list(g["site"]))], units.get(str(c)))
    return lines + _more(len(qty) - top, "delivered", "demand.csv")


def commodity_units(tables: dict[str, pd.DataFrame],
                    only: str | None = None) -> dict[str, str]:
    """commodity -> the unit it is counted in: the results' ``commodities`` table
    (:func:`chainopt.results.commodity_units`); ``only``: that commodity's.

    A folder written before that table: as the saved ``constraints`` and ``ranging``
    state it, the ``quantity_unit`` of their rows keyed by a commodity (a hard demand, a
    demand floor, a supply limit, a sales cap; a price, a supply or transport cost: the
    commodity's unit in ``commodities.csv``). A commodity with none of them is left out
    (its quantities are then in ``k units/yr``); with ``only``, the keys of others are
    not parsed. (At 300k columns that scan of the ranging table's keys took 65 ms of
    every run's summary.)"""
    units = saved_units(tables)
    if units:
        return units if only is None else {only: units[only]} if only in units else {}
    out: dict[str, str] = {}
    said = "commodity=" if only is None else f"commodity={only}"
    for name in ("ranging", "constraints"):
        t = tables.get(name)
        if t is None or t.empty or "quantity_unit" not in t:
            continue
        key, unit = t["key"].astype(str), t["quantity_unit"]
        keyed = (key.str.contains(said, regex=False) & unit.notna()
                 & (unit.astype(str) != ""))  # (a ranging table has a row per column)
        com = pc.struct_field(pc.extract_regex(pa.array(key[keyed], type=pa.string()),
                                               r"(?:^|, )commodity=(?P<c>[^,]*)"), "c")
        pairs = pd.DataFrame({"c": com.to_pandas(), "u": unit[keyed].astype(str).to_numpy()})
        pairs = pairs.dropna()
        if only is not None:  # ("commodity=gas" is in "commodity=gas_oil" too)
            pairs = pairs[pairs["c"] == only]
        last = pairs.groupby("c", sort=False)["u"].last()  # a later row wins
        out.update(zip(last.index.astype(str), last, strict=True))
    return out


class _Walk:
    """The values of one period's commodities at their sites (balance shadow prices) and
    what the saved tables say of how they got there: links in use (:meth:`back`),
    purchases and units' modes (:meth:`sources`)."""

    def __init__(self, tables: dict[str, pd.DataFrame], period: str):
        bal, flows = tables["balances"], tables["flows"]
        self.tables, self.period = tables, period
        b = bal[bal["period"] == period]
        self.price = dict(zip(zip(b["site"].tolist(), b["commodity"].tolist(), strict=True),
                              b["shadow_price_usd_per_unit"].astype(float).tolist(),
                              strict=True))
        used = flows[(flows["period"] == period) & (flows["flow_k_per_yr"] > 1e-6)]
        self.on_link = link_values(tables, period)
        # the flows into each (commodity, site), in table order, found once (not one scan
        # of every flow per site visited)
        self.into = _rows_by(used, "commodity", "to_site")
        self._ctx: _PeriodContext | None = None

    def value(self, site: object, c: object) -> float:
        return self.price.get((site, c), float("nan"))

    def chain(self, c: str, sites: list[str]) -> list[Part]:
        """The parts of ``c``'s line after where it is sold or delivered (``sites``): its
        value back along the links (:meth:`back`, as one "back: ..." part) and how it is
        obtained at each site on the way (:meth:`sources`)."""
        back, on_way = self.back(c, sites)
        return [*("back: " + leg for leg in back),
                *(x for s in on_way for x in self.sources(c, s))]

    def back(self, c: object, sites: list) -> tuple[list[str], list]:
        """The legs that carry ``c`` to ``sites``, breadth first, each naming the site it
        ends at (whose value it starts from), and every site reached (``sites`` first)."""
        seen, frontier, back = list(dict.fromkeys(sites)), list(dict.fromkeys(sites)), []
        while frontier:
            site = frontier.pop(0)
            for f in self.into.get((c, site), ()):
                v_from = self.value(f.from_site, c)
                back.append(f"{exact(v_from)} at {f.from_site} (via {f.link} to {site}, "
                            + _leg(f, self.value(site, c), v_from,
                                   self.on_link.get(str(f.link), LinkValues())) + ")")
                if f.from_site not in seen:
                    seen.append(f.from_site)
                    frontier.append(f.from_site)
        return back, seen

    def sources(self, c: object, site: object) -> list[Part]:
        """How ``c`` is obtained at ``site`` besides links (:func:`_source_parts`)."""
        if self._ctx is None:  # the period's tables, filtered and keyed once
            self._ctx = _PeriodContext(self.tables, self.period)
        return _source_parts(self._ctx, c, site, self.value)


def _tier_text(tiers: set | None, site: object, c: object, tier: object) -> str:
    """`` (tier 2)`` of a purchase or sale in tier ``tier``; tier 1 is named so only where
    the site and commodity has further tiers (in any period: ``tiers``, the pairs that
    have, :func:`_multi_tier`), else it is the supply or market itself (no text)."""
    if tier is None or tiers is None:
        return ""
    if _is_one(tier) and (site, c) not in tiers:
        return ""
    return f" (tier {float(str(tier)):.0f})"  # tiers are whole numbers: their digits


def _multi_tier(table: pd.DataFrame) -> set | None:
    """The (site, commodity) pairs of ``table`` (``purchases`` or ``sales``) with a row in
    a tier other than 1 (:func:`_tier_text`); None for a table without tiers."""
    if "tier" not in table:
        return None
    return {(s, c) for s, c, t in zip(table["site"].tolist(), table["commodity"].tolist(),
                                       table["tier"].tolist(), strict=True) if not _is_one(t)}


def _rows_by(df: pd.DataFrame, *keys: str) -> dict[tuple, list]:
    """The rows of ``df`` (``itertuples``' named tuples) by the values of ``keys``, each
    key's rows in table order: one pass over the table, where a pandas grouping made a
    frame per key (a netback walk of a large case looks thousands of them up)."""
    out: dict[tuple, list] = {}
    for r in table_rows(df):
        out.setdefault(tuple(getattr(r, k) for k in keys), []).append(r)
    return out


def _is_one(tier: object) -> bool:
    return str(tier) in ("1", "1.0")


class _PeriodContext:
    """What :func:`_source_parts` reads of one period, found once per period rather
    than once per (commodity, site) visited: the period's purchases and unit flows
    grouped by site, the (unit, mode) levels, mode costs, unit rents."""

    def __init__(self, tables: dict[str, pd.DataFrame], period: str):
        pur = tables.get("purchases")
        self.pur = (_rows_by(pur[pur["period"].astype(str) == period], "site", "commodity")
                    if pur is not None and len(pur) else None)
        self.pur_tiers = _multi_tier(pur) if self.pur is not None else None
        uf, act = tables.get("unit_flows"), tables.get("activity")
        self.ok = not (uf is None or act is None or uf.empty)
        if uf is None or act is None or uf.empty:
            return
        ufp = uf[uf["period"].astype(str) == period]
        # what each site makes of each commodity (rows out, above 1e-9), and each of its
        # units' modes' rows, in table order
        made = ufp[(ufp["direction"] == "out") & (ufp["amount_k_per_yr"] > 1e-9)]
        self.makers = _rows_by(made, "site", "commodity")
        self.mode_rows = _rows_by(ufp, "site", "unit", "mode")
        on = act[act["period"].astype(str) == period]  # (its rows, then their values)
        use = on["capacity_use"] if "capacity_use" in on else pd.Series(np.nan, index=on.index)
        self.level = {(str(u), str(m)): (float(a), float(x)) for u, m, a, x in zip(
            on["unit"].tolist(), on["mode"].tolist(), on["activity_k_per_yr"].tolist(),
            use.tolist(), strict=True)}
        self.cost, self.carbon = _mode_costs(tables.get("ranging"), period)
        self.rents, self.limits = _unit_rents(tables.get("constraints"), period)
        self.per_use = _rent_per_use(self.rents, tables.get("capacity"), period)


def _source_parts(ctx: _PeriodContext, c: object, site: object, value) -> list[Part]:
    """Purchases and units' modes that supply ``c`` at ``site`` in the period of ``ctx``.

    A purchase in use: "bought at s for k" (its cost; the value there above it, where
    its limit binds, is the supply limit's rent). A mode m of unit u in use (its column
    basic, reduced cost 0) gives, by the LP's dual feasibility, per unit of its activity
    ``sum_o y_o v_o = sum_i y_i v_i + variable cost + carbon + use_m x rent_u + other
    limits``, y the yields (``unit_flows`` over ``activity``), v the values at the site;
    per unit of ``c`` (divided by y_c): value of c = inputs + variable cost + carbon -
    credit for its other outputs + capacity rent + other limits (emission caps, user
    constraints, named with those binding in the period). The capacity rent, where the
    unit's capacity binds (``constraints``), is ``use_m x rent_u / y_c``: use_m the
    capacity one unit of activity uses (``activity.capacity_use``), rent_u the dual of
    the row ``sum_m use_m x activity <= availability x capacity`` per unit of capacity
    used (:func:`_rent_per_use`); in results saved without those columns it stays in
    the rest. Variable cost and carbon come from ``ranging`` (the mode's cost row and its
    ``carbon_usd_per_unit``); without it they are in the rest. Parts below 1e-6 of the
    value are left out."""
    out: list[Part] = []
    if ctx.pur is not None:
        for r in ctx.pur.get((site, c), ()):
            if not r.purchase_k_per_yr > 1e-6:
                continue
            v = value(site, c)
            rent = v - float(r.cost_usd_per_unit)
            tier = _tier_text(ctx.pur_tiers, site, c, getattr(r, "tier", None))
            note = (f", {exact(rent)} supply limit rent"
                    if math.isfinite(rent) and abs(rent) > 1e-6 * max(1.0, abs(v)) else "")
            out.append(f"bought at {site}{tier} for {exact(r.cost_usd_per_unit)}{note}")
    if not ctx.ok:
        return out
    makers = ctx.makers.get((site, c), ())
    if not makers:
        return out
    # (unit, mode) -> activity and capacity use (unknown in results saved without it)
    level, cost, carbon = ctx.level, ctx.cost, ctx.carbon
    rents, limits, per_use = ctx.rents, ctx.limits, ctx.per_use
    for r in makers:
        u, m = str(r.unit), str(r.mode)
        a, use = level.get((u, m), (float("nan"), float("nan")))
        if not a > 1e-9:
            continue
        y_c = float(r.amount_k_per_yr) / a
        rows = ctx.mode_rows[(site, r.unit, r.mode)]
        v_c = value(site, c)
        tol = 1e-6 * max(1.0, abs(v_c)) if math.isfinite(v_c) else 1e-6
        inputs, credit, names, outs = 0.0, 0.0, [], []
        for f in rows:
            if f.commodity == c and f.direction == "out":
                continue
            y = float(f.amount_k_per_yr) / a / y_c  # per unit of c
            v = value(site, f.commodity)
            if f.direction == "in":
                inputs += y * v
                names.append(f"{_amount(y)} {f.commodity} at {exact(v)}")
            else:
                credit += y * v
                if abs(y * v) > tol:
                    outs.append(f"{_amount(y)} {f.commodity} at {exact(v)}")
        parts = [(inputs, f"inputs ({', '.join(names)})")] if names else []
        var, co2 = cost.get((u, m), float("nan")), carbon.get((u, m), 0.0)
        known = math.isfinite(var)
        if known:
            parts.append((var / y_c, "variable cost"))
            if abs(co2 / y_c) > tol:
                parts.append((co2 / y_c, "carbon cost"))
        rest = v_c - inputs + credit - ((var + co2) / y_c if known else 0.0)
        # the capacity rent per unit of c: use_m x the row's dual per unit of capacity
        # used / y_c; unknown in results saved without capacity_use or availability
        rent = use * per_use.get(u, float("nan")) / y_c
        if abs(rents.get(u, 0.0)) > 1e-9 and math.isfinite(rent):
            if abs(rent) > tol:
                parts.append((rent, "capacity rent"))
            rest -= rent
        if math.isfinite(rest) and abs(rest) > tol:
            what = [] if known else ["variable and carbon cost"]
            what += ["capacity rent"] if abs(rents.get(u, 0.0)) > 1e-9 and not \
                math.isfinite(rent) else []
            what += ["other limits"] if limits or not what else []
            text = (", ".join(what[:-1]) + " and " + what[-1] if len(what) > 1 else what[0])
            if what[-1] == "other limits" and limits:
                text += ": " + _limit_names(limits)
            parts.append((rest, text))
        head = f"made at {site} by mode {m} of unit {u}"
        joint = abs(credit) > tol
        write = _adding_up(v_c, [x for x, _ in parts] + ([-credit] if joint else []))
        if not joint:
            out.append(f"{head}: {write(v_c)} = {_sum(parts, write)}")
            continue
        # a joint product: the mode's cost is shared with its other outputs, worth
        # ``credit`` per unit of c, said on a line of its own under the sum
        sign = "-" if credit > 0 else "+"
        total = write(v_c)
        out.append((f"{head} ({_amount(y_c)} {c} per unit of activity; per unit of {c}):",
                    f"  {total} = {_sum(parts, write)}",
                    f"  {' ' * len(total)} {sign} {write(abs(credit))} other outputs "
                    f"({', '.join(outs)})"))
    return out


def _sum(parts: list[tuple[float, str]], write: Callable[[float], str] = exact) -> str:
    """``316 inputs (...) + 40 variable cost - 5 other limits``: the parts of a value,
    each a number (as ``write`` writes it, :func:`_adding_up`) and what it is, as a sum
    (``0`` for none)."""
    if not parts:
        return "0"
    (first, what), rest = parts[0], parts[1:]
    return " ".join([f"{write(first)} {what}", *(
        f"{'-' if x < 0 else '+'} {write(abs(x))} {w}" for x, w in rest)])


def _adding_up(total: float, terms: list[float]) -> Callable[[float], str]:
    """How to write a sum's ``total`` and ``terms`` so that the terms as written add up to
    the total as written: as :func:`exact` writes every number where they do; else all
    at the most decimals :func:`exact` gives any of them (:func:`exact_places`), or one or two
    more, the first at which they do (trailing zeros dropped): 229.44 = 137.5 + 20 +
    71.94, not 229 = 138 + 20 + 71.94 (229.94); 280 = 262.5 + 25 + 217.5 - 225, not
    263 + 25 + 218 - 225 (281). Thirds add up at no number of decimals: written by
    :func:`exact`, as is a sum with a number from 1e12 up (beyond a float's decimals)."""
    values = [total, *terms]
    if not all(map(math.isfinite, values)) or max(map(abs, values)) >= 1e12:
        return exact

    def adds_up(write: Callable[[float], str]) -> bool:
        def shown(x: float) -> Decimal:
            return Decimal(write(x).replace(",", ""))
        return sum((shown(t) for t in terms), Decimal(0)) == shown(total)

    if adds_up(exact):
        return exact
    most = max(map(exact_places, values))
    for places in range(most, most + 3):
        def write(x: float, places: int = places) -> str:
            return fixed(x, places)
        if adds_up(write):
            return write
    return exact


def _mode_costs(ranging: pd.DataFrame | None, period: str
                ) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """(unit, mode) -> variable cost and carbon price per unit of activity in ``period``,
    from the cost rows of ``ranging`` (none without it)."""
    if ranging is None or ranging.empty or "kind" not in ranging:
        return {}, {}
    r = ranging[(ranging["kind"] == "cost") & (ranging["family"] == conversion.ACTIVITY.label)
                & (ranging["period"].astype(str) == period)]
    cost, carbon = {}, {}
    co2s = (r["carbon_usd_per_unit"].astype(float).fillna(0.0).tolist()
            if "carbon_usd_per_unit" in r else [0.0] * len(r))
    for key, v, co2 in zip(r["key"].tolist(), r["value"].astype(float).tolist(), co2s,
                           strict=True):
        k = parse_key(key)
        cost[(k.get("unit", ""), k.get("mode", ""))] = v
        carbon[(k.get("unit", ""), k.get("mode", ""))] = co2
    return cost, carbon


def _unit_rents(cons: pd.DataFrame | None, period: str
                ) -> tuple[dict[str, float], tuple[str, ...]]:
    """unit -> marginal value of its capacity row in ``period`` (per unit of its
    capacity, as ``constraints`` states it: the row's dual x availability), and the
    emission caps, capture bounds, user constraints and the rows of families added to
    chainopt (:func:`_added_family`) binding then (other limits a mode's value may
    hold), named by their specs' nouns."""
    if cons is None or cons.empty:
        return {}, ()
    c = cons[(cons["period"].astype(str) == period) & (cons["kind"] == "row")
             & (cons["marginal_value"].abs() > 1e-9)]
    rents = {parse_key(k).get("unit", ""): float(v) for f, k, v in zip(
        c["family"], c["key"], c["marginal_value"], strict=True)
        if f == conversion.CAPACITY_MAX.label}
    other = [describe(f, k) for f, k in zip(c["family"], c["key"], strict=True)
             if f in (emissions.CAP_MAX.label, emissions.CAPTURE_MAX.label,
                      user_constraints.RELATION.label) or _added_family(f)]
    return rents, tuple(dict.fromkeys(other))


def _added_family(label: object) -> bool:
    """True for a registered row family of a block chainopt does not ship
    (:data:`~chainopt.models.registry.SHIPPED_BLOCKS`): its rows may hold a mode's
    activity, so a netback's rest names them by their spec's noun, as it names emission
    caps."""
    return label in ROWS and str(label).split(".", 1)[0] not in SHIPPED_BLOCKS


def _rent_per_use(rents: dict[str, float], capacity: pd.DataFrame | None, period: str
                  ) -> dict[str, float]:
    """unit -> the dual of its capacity row ``sum_m use_m x activity_m <= availability x
    capacity`` in ``period``, USD per unit of capacity used: its marginal value per unit
    of capacity (:func:`_unit_rents`) / availability (``capacity``). Empty for results
    saved before the ``availability`` column (the rent is then left in the rest)."""
    if not rents or capacity is None or "availability" not in capacity:
        return {}
    cap = capacity[(capacity["kind"] == "unit") & (capacity["period"].astype(str) == period)]
    avail = dict(zip(cap["name"].astype(str), pd.to_numeric(cap["availability"]),
                     strict=True))
    return {u: v / avail[u] for u, v in rents.items() if avail.get(u, 0.0) > 0}


def _limit_names(limits: tuple[str, ...]) -> str:
    """The first three of the binding constraints ``limits``, and how many more."""
    return ", ".join(limits[:3]) + (f" and {len(limits) - 3} more" if len(limits) > 3
                                    else "")


@dataclass(frozen=True)
class LinkValues:
    """What one more unit entering a link pays in a period besides its transport cost
    and loss, in USD per unit entering: the carbon price of its emissions (``nan``:
    results saved without it), the link's capacity rent, the rent of the emission caps
    its emissions count in, and the user constraints binding in the period (names)."""

    carbon: float = 0.0
    capacity_rent: float = 0.0
    emission_cap_rent: float = 0.0
    limits: tuple[str, ...] = ()


def link_values(tables: dict[str, pd.DataFrame], period: str) -> dict[str, LinkValues]:
    """:class:`LinkValues` of every link used in ``period``, from the saved tables.

    * carbon: ``flows.carbon_usd_per_unit`` (emission per unit x the carbon price at
      the link's origin, chain-wide plus the site's); unknown (``nan``) in results
      saved before that column, for a link that emits;
    * capacity rent: the marginal value of the link's capacity row (``constraints``;
      0 where it does not bind or the link has none);
    * emission cap rent: ``sum_e f_e x (lambda_e,chain + lambda_e,origin)``, the
      link's emission per unit entering ``f_e`` (its ``emissions`` over its flows)
      times the marginal values of the caps on e, chain-wide and at its origin;
    * limits: the user constraints and capture bounds (its emissions let capture at its
      origin run) with a marginal value in the period, which the rest of a leg's value
      is left to (their terms are not in the results)."""
    flows, cons = tables.get("flows"), tables.get("constraints")
    if flows is None:
        return {}
    fl = flows[flows["period"].astype(str) == period]
    fl = fl[fl["flow_k_per_yr"] > 1e-6]
    if fl.empty:
        return {}
    # per link used (dictionaries: looked up once per link and per emission row)
    by_link = fl.groupby("link", sort=False)
    total = by_link["flow_k_per_yr"].sum()
    sent = dict(zip(total.index, total.tolist(), strict=True))
    most = by_link["carbon_usd_per_unit"].max() if "carbon_usd_per_unit" in fl else None
    carbon = ({} if most is None
              else dict(zip(most.index, most.astype(float).tolist(), strict=True)))
    mv: dict[tuple[str, ...], float] = {}
    limits: list[str] = []
    if cons is not None and len(cons):
        c = cons[(cons["period"].astype(str) == period) & (cons["kind"] == "row")
                 & (cons["marginal_value"].abs() > 1e-9)]
        for fam, key, v in zip(c["family"].tolist(), c["key"].tolist(),
                               c["marginal_value"].tolist(), strict=True):
            k = parse_key(key)
            if fam == transport.CAPACITY_MAX.label:
                mv[("link", k.get("link", ""))] = float(v)
            elif fam == emissions.CAP_MAX.label:
                mv[("cap", k.get("commodity", ""), k.get("site", ""))] = float(v)
            elif fam in (user_constraints.RELATION.label, emissions.CAPTURE_MAX.label):
                limits.append(describe(fam, key))
    em = tables.get("emissions")
    per_unit: dict[str, list[tuple[str, str, float]]] = {}
    if em is not None and len(em):
        e = em[(em["period"].astype(str) == period) & (em["source_kind"] == "link")]
        for link, com, site, amount in zip(e["source"].astype(str), e["commodity"],
                                           e["site"], e["emission_k_per_yr"], strict=True):
            if sent.get(link, 0.0) > 0:
                per_unit.setdefault(link, []).append(
                    (str(com), str(site), float(amount) / float(sent[link])))
    out = {}
    for link in sent:
        f = per_unit.get(str(link), [])
        emits = any(x > 1e-12 for _, _, x in f)
        cap_rent = sum(x * (mv.get(("cap", com, ""), 0.0) + mv.get(("cap", com, site), 0.0))
                       for com, site, x in f)
        co2 = float(carbon.get(link, np.nan))
        out[str(link)] = LinkValues(
            carbon=co2 if math.isfinite(co2) or emits else 0.0,
            capacity_rent=mv.get(("link", str(link)), 0.0), emission_cap_rent=cap_rent,
            limits=tuple(dict.fromkeys(limits)))
    return out


def _leg(f, v_to: float, v_from: float, link: LinkValues) -> str:
    """What one unit loses on a link, value at its end to value at its start.

    A unit entering a used link (its column basic: reduced cost 0) gives, by the LP's
    dual feasibility, ``v_from = v_to x delivered share - transport - carbon -
    capacity rent - emission cap rent - other limits``: the share lost in transit, the
    transport cost, the carbon price of its emissions, the link's capacity rent (where
    its capacity binds), the rent of the emission caps it counts in (:func:`link_values`)
    and what is left, the value of other limits on it (user constraints, named with
    those binding in the period). Parts below 1e-6 of the value are left out; with the
    carbon price unknown (older results) the rest is carbon cost and other limits."""
    sent = float(getattr(f, "flow_k_per_yr", float("nan")))
    kept = float(getattr(f, "delivered_k_per_yr", sent)) / sent if sent > 0 else 1.0
    tol = 1e-6 * max(1.0, abs(v_to)) if math.isfinite(v_to) else 1e-6
    parts = [f"{exact(f.cost_usd_per_unit)} transport"]
    if kept < 1 - 1e-9:
        parts.append(f"{exact(100 * (1 - kept))} % lost")
    known = math.isfinite(link.carbon)
    named = [(link.carbon if known else 0.0, "carbon cost"),
             (link.capacity_rent, "capacity rent"),
             (link.emission_cap_rent, "emission cap rent")]
    parts += [f"{exact(v)} {what}" for v, what in named if abs(v) > tol]
    rest = v_to * kept - f.cost_usd_per_unit - v_from - sum(v for v, _ in named)
    if math.isfinite(rest) and abs(rest) > tol:
        what = "other limits" if known else "carbon cost and other limits"
        if link.limits:
            what += ": " + _limit_names(link.limits)
        parts.append(f"{exact(rest)} {what}")
    return ", ".join(parts)


def almost_lines(reduced: pd.DataFrame, top: int = 5,
                 capacity: pd.DataFrame | None = None,
                 order: list[str] | None = None,
                 blocked: list[dict] | None = None, years: Years = NO_YEARS) -> list[str]:
    """The unused modes that came closest to being used (not those of a unit with no
    capacity in that period: they could not run), each with the periods it is unused in
    (merged over consecutive ``order``, a span of several with its ``years``; a mode used
    in some periods is unused only in the others) and the improvement its margin needs
    there, least first. A mode that can never run (``blocked``: the manifest's
    ``blocked_modes``, from :func:`chainopt.case.reach.blocked_reasons`) comes first,
    with the reason, not the margin it would need (its reduced cost says nothing: a tie,
    often)."""
    r = reduced[reduced["family"] == conversion.ACTIVITY.label].copy()
    n_unused = len(r)
    if capacity is not None and len(r) and {"kind", "name", "period",
                                            "total_k_per_yr"} <= set(capacity.columns):
        cap = capacity[capacity["kind"] == "unit"]
        none = set(zip(cap.loc[cap["total_k_per_yr"].fillna(0.0).abs() <= 1e-9, "name"],
                       cap.loc[cap["total_k_per_yr"].fillna(0.0).abs() <= 1e-9, "period"]
                       .astype(str), strict=True))
        unit = r["key"].map(lambda k: parse_key(k).get("unit", ""))
        r = r[[(u, str(p)) not in none for u, p in zip(unit.tolist(), r["period"].tolist(),
                                                        strict=True)]]
    if r.empty and n_unused:  # every unused mode's unit has no capacity then
        return ["Every mode is used where its unit has capacity (the others' units have "
                "none then: capacity.csv)."]
    if r.empty:
        return ["Every mode is used somewhere."]
    r["_base"] = r["key"].map(_strip_period)
    r["period"] = r["period"].astype(str)
    order = order or list(dict.fromkeys(r["period"]))
    r = r.sort_values("improvement_needed", kind="stable")
    why = {f"unit={b.get('unit')}, mode={b.get('mode')}": str(b.get("reason"))
           for b in blocked or [] if isinstance(b, dict)}
    lines = []
    # each mode's first row (its least need): the modes ranked, then the rows of the
    # first ``top`` alone (a large case has tens of thousands of unused modes)
    first = r[r["_base"].notna()].drop_duplicates("_base")
    ranked = sorted(zip(first["_base"], first["improvement_needed"].astype(float).tolist(),
                        strict=True), key=lambda t: (t[0] not in why, t[1]))[:top]
    for base, _ in ranked:
        g = r[r["_base"] == base]
        row, need = g.iloc[0], g["improvement_needed"].to_numpy(float)
        what = describe(row["family"], row["key"])
        unused = years.over(list(g["period"]), order)
        if row["_base"] in why:
            lines.append(f"{what}: unused in {unused}: it can never run, as "
                         f"{why[row['_base']]}")
            continue
        if need[0] <= 1e-9:
            tie = years.over(list(g.loc[need <= 1e-9, "period"]), order)
            lines.append(f"{what}: unused in {unused}, though as good as the modes in use "
                         f"(a tie{'' if tie == unused else ' in ' + tie})")
            continue
        unit = _in_units(row["value_unit"], row.get("quantity_unit", "activity unit"),
                         yearly=False)  # a margin per unit made, not a yearly value
        same = need[-1] - need[0] <= 1e-6 * max(1.0, need[-1])
        value = exact(need[0]) if same else f"{exact(need[0])} to {exact(need[-1])}"
        lines.append(f"{what}: unused in {unused}; its margin must improve by {value} {unit}"
                     + ("" if same else f" (least in {row['period']})"))
    return lines


def unmet_floors(sales: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of the ``sales`` table whose soft demand floor is not met (shortfall
    above 1e-6 k/yr), in table order; empty when there are none."""
    if sales is None or "shortfall_k_per_yr" not in sales:
        return pd.DataFrame()
    return sales[sales["shortfall_k_per_yr"] > 1e-6]


def unmet_text(tables: dict[str, pd.DataFrame], r: pd.Series) -> str:
    """``light at mkt in p1 short by 5 k t/yr``: an unmet floor (a row of
    :func:`unmet_floors`) in the commodity's unit (:func:`commodity_units`), its tier
    named as in the netbacks (:func:`_tier_text`)."""
    unit = _qty(commodity_units(tables, only=str(r["commodity"])).get(str(r["commodity"])))
    sales = tables["sales"]  # (its rows of this site and commodity: one floor's, not all)
    own = sales[(sales["site"] == r["site"]) & (sales["commodity"] == r["commodity"])]
    tier = _tier_text(_multi_tier(own), r["site"], r["commodity"], r.get("tier"))
    return (f"{r['commodity']} at {r['site']}{tier} in {r['period']} short by "
            f"{exact(float(r['shortfall_k_per_yr']))} {unit}")


def unmet_summary(tables: dict[str, pd.DataFrame], short: pd.DataFrame) -> tuple[int, str]:
    """How many floors (a site, commodity and tier) the rows ``short`` of
    :func:`unmet_floors` leave unmet, and the first one's text with the other periods it
    is short in and how many other floors are: ``light at mkt in p1 short by 5 k t/yr,
    also in p2, p3, and 1 more floor`` (a row per period had read as three floors)."""
    floor = (short["site"].astype(str) + "/" + short["commodity"].astype(str) + "/"
             + (short["tier"].astype(str) if "tier" in short else "")).to_numpy()
    n = len(dict.fromkeys(floor))
    text = unmet_text(tables, short.iloc[0])
    others = short["period"].astype(str).to_numpy()[floor == floor[0]][1:]
    if len(others):
        text += f", also in {', '.join(others)}"
    if n > 1:
        text += f", and {n - 1} more floor{'s' if n > 2 else ''}"
    return n, text


def penalty_note(tables: dict[str, pd.DataFrame]) -> str:
    """'' or, for a run that leaves soft floors unmet, a note that it does: it pays their
    penalty on every missing unit, so the values next to them (capacities, commodity
    values, netbacks) are the penalty's, an assumption of the case, not a market's; with
    the largest penalty. ``explain`` says it first, the report in its key figures."""
    short = unmet_floors(tables.get("sales"))
    if short.empty:
        return ""
    return (f"Note: demand floors are not met ({unmet_summary(tables, short)[1]}; sales "
            f"table, shortfall_k_per_yr). The values below that these floors reach "
            f"include their shortfall penalty (up to {_penalties(tables, short)}, "
            "floor_cost_usd_per_unit): an assumption of the case, not a price.")


def _penalty_lines(tables: dict[str, pd.DataFrame]) -> list[str]:
    """:func:`penalty_note` as explain's lines (a blank line before it)."""
    note = penalty_note(tables)
    return ["", note] if note else []


def _penalties(tables: dict[str, pd.DataFrame], short: pd.DataFrame) -> str:
    """The largest shortfall penalty of the unmet floors ``short`` per unit of their
    commodities (:func:`commodity_units`), one per unit in the order first met: ``1,000
    USD per t`` or ``1,000 USD per t, 40 USD per bbl`` (penalties per t and per bbl
    have no common largest); ``per unit`` where the unit is not known."""
    if "floor_cost_usd_per_unit" not in short:
        return f"{exact(float('nan'))} USD per unit"
    unit = short["commodity"].astype(str).map(commodity_units(tables)).fillna("unit")
    top = short["floor_cost_usd_per_unit"].groupby(unit.to_numpy(), sort=False).max()
    return ", ".join(f"{exact(float(v))} USD per {u}" for u, v in top.items())


NO_BINDING = "No constraint binds with a value: the plan is shaped by prices and costs alone."


def extension_lines(ext: pd.DataFrame | None, top: int = 10) -> list[str]:
    """The constraints of a Pyomo extension (``extension.csv``) with a marginal value,
    largest first: raising the constraint's bound by one unit of its body changes the
    objective by ``marginal`` MUSD (NPV; the dual, in chainopt's sense). None for a run
    not extended or whose extension binds nowhere."""
    if ext is None or ext.empty or "marginal" not in ext:
        return []
    c = ext[(ext["kind"] == "constraint") & (ext["marginal"].abs() > 1e-9)]
    c = c.reindex(c["marginal"].abs().sort_values(ascending=False, kind="stable").index)
    lines = [f"extension constraint {row.name} binds at {exact(float(row.value))}: raising "
             f"its bound by one changes the objective by {exact(float(row.marginal))} MUSD "
             "(NPV)" for row in c.head(top).itertuples()]
    if len(c) > top:
        lines.append(f"... {len(c) - top} more in the extension table (extension.csv)")
    return lines


def run_line(manifest: dict) -> str:
    """``small_chain: optimal, objective 7,784.9 MUSD (NPV)``: the run explained."""
    # a cost case's objective is its total cost (the NPV of its costs), as it says
    what, npv = (("total cost", "NPV of costs") if manifest.get("objective_sense") == "cost"
                 else ("objective", "NPV"))
    relaxed = manifest.get("relaxed")  # a bound, not a plan: said as `chainopt run` says it
    relaxed = (f", LP relaxation ({relaxed} integer decisions relaxed)"
               if isinstance(relaxed, int) and not isinstance(relaxed, bool) and relaxed
               else "")
    # as `chainopt run`, the reports and comparisons write it (156,964.1)
    return (f"{run_title(manifest)}: {manifest.get('status', '')}{relaxed}, {what} "
            f"{number(float(manifest.get('objective', float('nan')))) or 'n/a'} MUSD ({npv})")


def header_lines(manifest: dict, period: str | None = None,
                 years: Years | None = None) -> list[str]:
    """The first lines of an answer about a run: :func:`run_line`, its periods with their
    years (:meth:`Years.line`) and, for a ``period`` asked for that is one part of a
    period split, which parts belong together (:meth:`Years.part_line`)."""
    years = Years.of(manifest) if years is None else years
    part = years.part_line(period) if period is not None else None
    return [run_line(manifest), *(t for t in (years.line(), part) if t)]


def why_lines(tables: dict[str, pd.DataFrame], manifest: dict, top: int = 10,
              period: str | None = None) -> list[str]:
    order = [str(p) for p in manifest.get("periods", [])]
    years = Years.of(manifest)
    out = [*header_lines(manifest, period, years), *_penalty_lines(tables), "",
           "Binding constraints (value of one more unit of room; a capacity's is its rent, "
           "before fixed O&M and capex):"]
    if values_of_fixed_lp(manifest):
        out.insert(-1, FIXED_VALUES_NOTE)
    if "constraints" not in tables:
        return [*out, "  (these results carry no constraints table: re-run with this "
                      "chainopt version)"]
    binding = binding_lines(tables["constraints"], order, top,
                            capacity=tables.get("capacity"), ranging=tables.get("ranging"),
                            investments=tables.get("investments"), years=years)
    ext = extension_lines(tables.get("extension"), top)
    if ext and binding == [NO_BINDING]:  # the extension's constraints bind
        binding = []
    out += ["  " + s for s in [*binding, *ext]]
    out += ["", *netback_lines(tables, period, top)]
    if "reduced_costs" in tables:
        out += ["", "Modes that almost made it:"]
        out += ["  " + s for s in almost_lines(tables["reduced_costs"],
                                               capacity=tables.get("capacity"), order=order,
                                               blocked=manifest.get("blocked_modes"),
                                               years=years)]
    if "coefficient_ranges" in tables:
        out += numerics_lines(tables["coefficient_ranges"], only_warnings=True)
    return out


# -- ranging ----------------------------------------------------------------------------------
#: what the ranging of a MIP is: HiGHS ranges the LP with the integer decisions fixed
#: (``insight.ranging_source`` ``fixed_lp``), where a build's fixed charge is sunk, so a
#: plan may build or stop building inside an interval (a unit built for a fixed charge of
#: 1 MUSD at a margin of 200 on 20 kt/yr: the interval of its product's price reads
#: [200, +inf], building pays only from 250)
FIXED_DECISIONS_NOTE = ("A MIP: these intervals hold with the plan's yes/no decisions "
                        "(builds, projects) fixed; a build decision may change inside them "
                        "(a sweep or `chainopt sensitivity` re-solves).")

#: what the cost intervals are where they are the optimal basis's alone and could be
#: wider (manifest ``insight.cost_ranging`` ``basis: <why>``:
#: :func:`chainopt.diagnose.insight.cost_intervals`); the reason follows in brackets
BASIS_NOTE = ("The cost intervals are those of the optimal basis: an option the plan cannot "
              "use (a build not made, a capacity of 0) keeps its limit binding at 0 with "
              "the value of one unit more, and an interval may end where that value "
              "reaches 0 while the plan holds on")


#: what the cost intervals are where they are the optimal basis's (manifest
#: ``insight.cost_ranging`` ``basis``: nothing forced to 0 to range them again without):
#: the plan holds inside, and at a degenerate optimum (several limits binding at one
#: point) the plan may hold past an end where only the basis changes
DEGENERATE_NOTE = ("The cost intervals are those of the optimal basis: the plan holds "
                   "inside (a marginal value may move with the cost); at a degenerate "
                   "optimum (several limits binding at one point) the plan may hold beyond "
                   "an end, where only the basis changes.")


#: what the marginal values of a MIP are (said above them: the ranging's intervals have
#: their own note, :data:`FIXED_DECISIONS_NOTE`)
FIXED_VALUES_NOTE = ("A MIP: the values below are those of the LP with the plan's yes/no "
                     "decisions (builds, projects) fixed: what one more unit is worth with "
                     "the same decisions.")


def values_of_fixed_lp(manifest: dict) -> bool:
    """Whether a run's marginal values are those of the LP with its integer decisions
    fixed: a MIP solved as one (not relaxed), whichever solver and whether ranged or not."""
    return bool(manifest.get("is_mip")) and not manifest.get("relaxed")


def decisions_fixed(manifest: dict) -> bool:
    """Whether a run's ranging and marginal values are those of the LP with its integer
    decisions fixed (a MIP: ``insight.ranging_source`` is ``fixed_lp``)."""
    insight = manifest.get("insight")
    return isinstance(insight, dict) and insight.get("ranging_source") == "fixed_lp"


def ranging_notes(manifest: dict) -> list[str]:
    """What a run's intervals are, said under the ranging's header: those of the LP
    with the yes/no decisions fixed (a MIP, :data:`FIXED_DECISIONS_NOTE`), and those of
    the optimal basis alone where costs could not be ranged again without the options
    the plan cannot use (:data:`BASIS_NOTE`, with the manifest's reason; said for every
    MIP saved before the manifest told), or where nothing was forced to 0 (an LP's
    ``basis``, or one saved before the manifest told: :data:`DEGENERATE_NOTE`)."""
    insight = manifest.get("insight")
    insight = insight if isinstance(insight, dict) else {}
    fixed = decisions_fixed(manifest)
    costs = insight.get("cost_ranging")
    notes = [FIXED_DECISIONS_NOTE] if fixed else []
    if costs is None and fixed:
        notes.append(BASIS_NOTE + ".")
    elif isinstance(costs, str) and costs.startswith("basis: "):
        notes.append(f"{BASIS_NOTE} ({costs.removeprefix('basis: ')}).")
    elif costs != "widened":
        notes.append(DEGENERATE_NOTE)
    return notes


def ranging_lines(ranging: pd.DataFrame, top: int = 15, notes: Sequence[str] = (),
                  capacity: pd.DataFrame | None = None) -> list[str]:
    """The most sensitive costs and bounds first: smallest room relative to their value;
    inputs whose value is 0 (a free transport leg, an unused limit) have no relative room
    and are listed apart, by their absolute room in their own unit. ``fixed``: the run is
    said under the header (:func:`ranging_notes`). With the ``capacity`` table a
    capacity row of a unit or link with capacity built or brought by projects is named
    its existing capacity, with the capacity in place (the row's bound is the capacity
    without them: builds are columns of their own). A cost's interval is where its plan
    holds at least (:func:`_ranging_text`), its kind said by the notes under the header
    (:func:`ranging_notes`)."""
    if ranging is None or ranging.empty:
        return ["No ranging in these results (the solver gave none)."]
    r = ranging[ranging["room"].astype(float) < math.inf]
    basis = r["room_basis"] if "room_basis" in r else pd.Series("relative", index=r.index)
    rel = r[basis != "absolute"].sort_values("room", kind="stable")
    zero = r[basis == "absolute"].sort_values("room", kind="stable")
    lines = ["Ranging (the current plan stays optimal, or a marginal value holds, while the "
             "input stays in the interval); most sensitive first:"]
    lines.extend(notes)
    cap = capacity_by(capacity)
    for row in rel.head(top).itertuples():
        lines.append(f"  {_ranging_text(row, cap)} (room {row.room:.1%})")
    if len(rel) > top:
        lines.append(f"  ... {len(rel) - top} more in the ranging table (ranging.parquet)")
    if len(zero):
        lines.append("Inputs at 0 (room in their own unit, smallest first):")
        for row in zero.head(top).itertuples():
            unit = _q(row)
            room = (f"{exact(row.room)} USD per {unit}" if row.kind == "cost"
                    else f"{exact(row.room)} k {unit}/yr")
            lines.append(f"  {_ranging_text(row, cap)} (room {room})")
        if len(zero) > top:
            lines.append(f"  ... {len(zero) - top} more in the ranging table (ranging.parquet)")
    return lines


def _q(row) -> str:
    q = getattr(row, "quantity_unit", "")
    return q if isinstance(q, str) and q else "unit"


def _carbon_text(row) -> tuple[str, str]:
    """What a cost's ranging row says of the carbon price (before the value, after it).
    Its value and interval are the input's, the carbon price its emissions pay kept
    apart (``carbon_usd_per_unit``): "(plus 10 carbon price)". Folders written before
    that column ranged the whole cost per unit, carbon price included: the cost of a
    family that can pay one (a ``carbon`` cost category) is then said to include it."""
    carbon = getattr(row, "carbon_usd_per_unit", None)
    if carbon is None:
        spec = VARIABLES.get(row.family)
        return (" (including any carbon price)", "") if spec and "carbon" in \
            spec.categories else ("", "")
    if isinstance(carbon, float) and (math.isnan(carbon) or abs(carbon) <= 1e-9):
        return "", ""
    return "", f" (plus {exact(carbon)} carbon price)"


def _ranging_text(row, cap: dict | None = None) -> str:
    """One ranging row as text: a cost's interval is where the plan holds *at least*
    (the optimal basis's, or wider where ranged again: manifest ``insight.cost_ranging``
    ``widened``); a
    marginal value may move with the cost inside it, and at a degenerate optimum the
    plan may hold beyond an end (review sens3 F1: "plan holds for [-131, ...]" read as
    "changes at -131"; s32 F2: "plan and its marginal values hold" was false for a
    cost whose variable is in the basis, chn's hdpe price moves chn's value). A bound
    whose interval ends at its value upwards (:func:`ends_at`) is worth *at most* its
    marginal value for one unit more, as in the binding lines; a capacity row of a unit
    or link with more capacity in place than its bound (``cap``, :func:`capacity_by`:
    built, or brought by projects) is its existing capacity."""
    span = f" in {row.period}" if row.period else ""
    q = _q(row)
    if row.kind == "cost":
        k = _Keys(parse_key(row.key), x=describe(row.family, row.key))
        cost = getattr(_spec(row.family, k), "cost", None)
        what = (cost.phrase if cost else row.what + " of {x}").format_map(k)
        with_carbon, plus = _carbon_text(row)
        return (f"{what}{span}{with_carbon}: {exact(row.value)} USD per {q}{plus}, plan holds "
                f"at least for [{exact(row.lower)}, {exact(row.upper)}] USD per {q}")
    what = describe(row.family, row.key, "bound" if row.family in VARIABLES else "row",
                    "upper")
    row_spec = ROWS.get(row.family)
    more = "more" if row_spec is not None and row_spec.sense == "=" else "more room"
    own = _owner(row.family, row.key)
    total = (cap or {}).get((own[0], own[1], str(row.period))) if own else None
    in_place = ""
    if total is not None and total - float(row.value) > 1e-9 * max(1.0, abs(total)):
        what, in_place = f"existing {what}", f" ({exact(total)} in place with what is built)"
    worth = f"is worth {exact(row.marginal_value)} {_in_units(row.value_unit, q)}"
    interval = f"[{exact(row.lower)}, {exact(row.upper)}] k {q}/yr"
    head = f"{what}{span}: {exact(row.value)} k {q}/yr{in_place}; one {q}/yr {more}"
    if ends_at(row.value, row.upper):  # a degenerate optimum: one more is worth less
        return (f"{head} {worth.replace('worth ', 'worth at most ', 1)}; its value holds "
                f"in {interval}, not for more room")
    return f"{head} {worth} while it stays in {interval}"


# -- infeasible and unbounded cases ----------------------------------------------------------
def _member_text(row) -> str:
    if not row.get("key"):  # a whole family (deletion filter)
        what = "upper bounds" if row.get("kind") == "bound" else "constraints"
        return f"the {what} of family {row['family']} (some of them)"
    what = describe(row["family"], row["key"], row.get("kind", "row"), row.get("side", ""))
    when = f" in {row['period']}" if row.get("period") else ""
    b = row.get("bound")
    unit = _qty(row.get("quantity_unit", ""))
    fam, side = row["family"], row.get("side", "")
    if fam == balance.COMMODITY.label:
        return f"{what}{when} (what arrives and is made must be used, shipped or sold)"
    if row.get("kind") == "bound":
        if side == "lower" and (b is None or b == 0):  # the quantity, not its bound's name
            # (an optional project's build read "forced project renew ... cannot be negative")
            return f"{describe(fam, row['key'])}{when} cannot be negative"
        lo, hi = row.get("lower"), row.get("upper")
        if side in ("both", "equal") and lo == hi:
            if unit == "project":  # a forced project (1) or a build ruled out (0)
                where = _where(row, "") or "projects.csv"  # its row (review diag2 F4)
                state = f"forced (state forced in {where})" if lo else "ruled out"
                return f"{what}{when} is {state}"
            return f"{what}{when} is fixed at {exact(lo)} {unit}"
        if side in ("both", "equal"):
            return f"{what}{when} must stay between {exact(lo)} and {exact(hi)} {unit}"
        # as a row's limit reads (it was "must stay <= 50 k t/yr")
        return (f"{what}{when} ({'<=' if side == 'upper' else '>='} {exact(b)} {unit}"
                f"{_where(row)})")
    if isinstance(b, float) and math.isnan(b):
        return f"{what}{when}"
    rel = {"upper": "<=", "lower": ">=", "equal": "="}.get(side, "")
    if row.get("quantity_unit") == "spec":  # a blend spec: its limit in specs.csv
        return f"{what}{when} ({rel} {exact(b)}{_where(row) or ', specs.csv'})"
    if row.get("brought_by") or row.get("retired_by"):  # projects' builds move its room
        return f"{what}{when} (at most {_project_room(row)}{_where(row)})"
    return f"{what}{when} ({rel} {exact(b)} {unit}{_derated(row, b)}{_where(row)})"


def _where(row, sep: str = ", ") -> str:
    """``, markets_by_period.csv row 2``: the file and row stating the member's number
    (:func:`chainopt.diagnose.names.stated_in`; review infeas F4: only specs and projects
    said where), "" where none does."""
    where = row.get("stated_in")
    return f"{sep}{where}" if isinstance(where, str) and where else ""


def _derated(row, amount: float) -> str:
    """`` x availability 0.9 = 72``: the factors between the number a table states
    (a unit's capacity, 80) and what its row holds, where they are not 1 (the member
    read "<= 80 k t/yr" beside a minimum run of >= 80: no conflict to the eye, where
    availability 0.9 leaves 72; :func:`chainopt.diagnose.infeasibility._member_rows`)."""
    if row.get("in_service") == 0:  # retired before the period: no stated number holds
        return ": not in service in the period"
    factors = {"availability": "availability {}", "in_service": "{} of the period in service"}
    held, said = float(amount), list[str]()
    for key, text in factors.items():
        f = row.get(key)
        if isinstance(f, int | float) and math.isfinite(f) and abs(f - 1.0) > 1e-12:
            held, said = held * f, [*said, text.format(exact(f))]
    return f" x {' x '.join(said)} = {exact(held)}" if said else ""


def integer_infeasible_lines(case: str, fractional: pd.DataFrame | None) -> list[str]:
    """A case whose LP relaxation solves but no plan meets its integer decisions: the
    decisions the relaxation takes in part (review diag2 F6: two all-or-nothing projects
    excluding each other, each needed in part by a user constraint, got only "check
    min_new_k_per_yr and the projects' build periods")."""
    lines = [f"case '{case}': its LP relaxation is feasible but no plan meets the integer "
             "decisions (all-or-nothing projects and their requires and excludes, minimum "
             "build sizes, fixed charges): check those in projects.csv and units.csv "
             "(min_new_k_per_yr) against what the constraints ask."]
    if fractional is not None and len(fractional):
        lines.append("The relaxation takes these in part, where the rules ask all or "
                     "nothing:")
        lines += [f"  - {describe(r['family'], r['key'])}"
                  + (f" in {r['period']}" if r.get("period") else "")
                  + f": {exact(r['value'])}" for _, r in fractional.head(20).iterrows()]
    return lines


def _projects(names: str) -> str:
    """``project a`` or ``projects a, b`` of a ';'-joined list."""
    p = names.split(";")
    return f"project{'s' if len(p) > 1 else ''} {', '.join(p)}"


def _project_room(row) -> str:
    """The capacity a row holds when projects' builds move it (see
    :func:`chainopt.diagnose.infeasibility._project_terms`): what a project brings (the
    row's own bound is 0), or the row's bound less what a project retires."""
    unit = _qty(row.get("quantity_unit", ""))
    brings = row.get("brings")
    if row.get("brought_by") and isinstance(brings, int | float) and brings > 0:
        base = (f"the {exact(brings)} {unit} {_projects(row['brought_by'])} brings"
                f"{_derated(row, brings)}")
    elif row.get("brought_by"):
        base = f"what {_projects(row['brought_by'])} brings"
    else:
        base = f"{exact(row['bound'])} {unit}{_derated(row, row['bound'])}"
    if row.get("retired_by"):
        base += f" less what {_projects(row['retired_by'])} retires"
    return base


def infeasible_lines(members: pd.DataFrame, method: str, complete: bool = False,
                     elastic: str | None = "chainopt explain CASE --elastic",
                     what: str = "The case") -> list[str]:
    """The conflicts of an infeasible case (``members`` by ``conflict``, 1, 2, ...:
    :func:`chainopt.diagnose.infeasibility.infeasible_subsets`), each with the balances
    that link its members; ``complete``: the case is feasible without the members found,
    else there may be more conflicts than those shown. ``elastic``: the command that finds
    the smallest relaxation, or None when it was run. ``what``: the case as named first
    (``Scenario 's_hard' (on case 'b_soft')``, as ``run`` says it)."""
    if members.empty:
        return [f"{what} is infeasible. These constraints cannot all hold together "
                f"({method}); relax or remove at least one of them:", "  (no conflict found)"]
    groups = [g for _, g in members.groupby("conflict", sort=True)] if "conflict" in members \
        else [members]
    if len(groups) == 1:
        lines = [f"{what} is infeasible. These constraints cannot all hold together "
                 f"({method}); relax or remove at least one of them:"]
    else:
        lines = [f"{what} is infeasible: {len(groups)} conflicts ({method}), each a set of "
                 "constraints that cannot all hold together; relax or remove at least one "
                 "constraint of each:"]
    for k, group in enumerate(groups, 1):
        indent = "  " if len(groups) == 1 else "    "
        if len(groups) > 1:
            lines.append(f"  conflict {k}:")
        # a balance, or a quantity that cannot be negative (a mode run backwards would
        # free capacity): they link the members, no one relaxes them
        given = group["family"] == balance.COMMODITY.label
        if {"kind", "side"} <= set(group.columns):
            bound = (pd.to_numeric(group["bound"], errors="coerce").fillna(0.0)
                     if "bound" in group else 0.0)
            nonneg = (group["kind"] == "bound") & (group["side"] == "lower") & (bound == 0)
            if not (given | nonneg).all():
                given |= nonneg
        main, link = group[~given], group[given]
        lines += [f"{indent}- " + _member_text(r) for _, r in main.iterrows()]
        if len(link):
            lines.append(f"{indent}linked through:")
            lines += [f"{indent}  " + _member_text(r) for _, r in link.iterrows()]
    if complete:
        lines.append("Without the constraints listed (the balances and the quantities that "
                     "cannot be negative aside) the case is feasible (whether it is then "
                     "bounded is not looked at): no other conflict is "
                     "left, apart from any that shares one of them.")
    else:
        lines.append(f"There may be more conflicts than the {len(groups)} shown: relax "
                     f"{'it' if len(groups) == 1 else 'them'} and run `chainopt explain` "
                     "again.")
    if elastic is not None:
        lines.append(f"Run `{elastic}` for the smallest relaxation that makes the case "
                     "feasible (of every conflict at once).")
    return lines


#: what ``--elastic`` relaxes (the row families and column bounds its spec marks
#: ``elastic``), and what it leaves as it is
#: the plural of a spec's ``what``, where adding "s" does not make it
_PLURAL = {"demand": "hard demands", "capacity": "capacities"}
#: the order the shipped families' relaxed bounds are named in; others follow
_ELASTIC_ORDER = ("demand", "demand floor", "capacity", "emission cap", "supply limit",
                  "sales cap")


def elastic_relaxes() -> str:
    """What ``explain --elastic`` relaxes, read from the family specs: the ``what`` of
    every row and column bound marked ``elastic`` (a new family's row named as its spec
    names it), plural, joined."""
    found = {r.what for r in ROWS.values() if r.elastic}
    found |= {v.bound.what for v in VARIABLES.values() if v.bound is not None
              and v.bound.elastic}
    ordered = [w for w in _ELASTIC_ORDER if w in found] + sorted(found - set(_ELASTIC_ORDER))
    words = [_PLURAL.get(w, f"{w}s") for w in ordered]
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


ELASTIC_RELAXES = elastic_relaxes()
ELASTIC_KEEPS = "blend specs, user constraints, projects' rules and minimum build sizes"


def elastic_lines(relax: pd.DataFrame | None) -> list[str]:
    """The smallest relaxation ``--elastic`` found, of :data:`ELASTIC_RELAXES` alone
    (a case whose blend specs cannot hold together may read "lower the demand to 0":
    the specs were not relaxed), or that none of them helps."""
    if relax is None:
        return []
    if relax.empty:
        return [f"Relaxing {ELASTIC_RELAXES} cannot make this case feasible: the conflict "
                f"lies in what --elastic leaves as it is ({ELASTIC_KEEPS})."]
    lines = [f"Smallest relaxation of {ELASTIC_RELAXES} that makes the case feasible (sum of "
             f"relaxations, k units/yr; {ELASTIC_KEEPS} are left as they are):"]
    for _, r in relax.iterrows():
        what = describe(r["family"], r["key"], r["kind"], r["side"])
        when = f" in {r['period']}" if r.get("period") else ""
        verb = "lower" if float(r["relaxed_to"]) < float(r["bound"]) else "raise"
        if r.get("brought_by") or r.get("retired_by"):  # its bound alone is not the room
            where = _where(r, "")
            lines.append(f"  - raise the {what}{when} by {exact(r['relaxation'])} "
                         f"{_qty(r.get('quantity_unit', ''))} beyond {_project_room(r)}"
                         + (f" ({where})" if where else ""))
            continue
        lines.append(f"  - {verb} the {what}{when} from {exact(r['bound'])} to "
                     f"{exact(r['relaxed_to'])} {_qty(r.get('quantity_unit', ''))} "
                     f"(by {exact(r['relaxation'])}{_where(r, '; ')})")
    return lines


def unbounded_lines(runaway: pd.DataFrame | None) -> list[str]:
    lines = ["The case is unbounded: these quantities grow without limit while adding value "
             "(solved with an artificial bound of 1e9 k of its own unit a year on every "
             "unbounded quantity):"]
    if runaway is None or runaway.empty:
        return [*lines, "  (none found)"]
    hints, salvage = [], []
    for _, r in runaway.iterrows():
        when = f" in {r['period']}" if r.get("period") else ""
        lines.append(f"  - {describe(r['family'], r['key'], 'bound')}{when}: "
                     f"{exact(r['value'])} {_qty(r.get('quantity_unit', ''))}"
                     + (" (at the artificial bound)" if r.get("at_bound") else ""))
        if r.get("hint"):  # its input makes the runaway pay (a salvage value)
            salvage.append(r["hint"])
            continue
        k = _Keys(parse_key(r["key"]))
        hint = getattr(_spec(r["family"], k), "missing_bound", "")
        if hint:  # every runaway column is unbounded in the case: any one bound helps
            hints.append(hint.format_map(k))
    if hints:
        lines.append("Missing bound (add one of these):")
        lines += [f"  - {h}" for h in dict.fromkeys(hints)]
    if salvage:
        lines.append("Paid to discard (a salvage value):")
        lines += [f"  - {h}" for h in dict.fromkeys(salvage)]
    return lines


def numerics_lines(ranges: pd.DataFrame, only_warnings: bool = False) -> list[str]:
    """Smallest and largest coefficients; a warning when their ratio exceeds 1e8."""
    lines = [] if only_warnings else ["Coefficient ranges (absolute values):"]

    def at(where: object, source: object) -> str:  # the row/column, and the input behind
        return f"{where}; from {source}" if isinstance(source, str) and source else str(where)

    for r in ranges.itertuples():
        bad = r.ratio > RATIO_WARN
        if not only_warnings:
            lines.append(f"  {r.what}: {r.min_abs:.3g} ({at(r.min_at, r.min_input)}) .. "
                         f"{r.max_abs:.3g} ({at(r.max_at, r.max_input)}), ratio {r.ratio:.3g}")
        if bad:
            small = r.min_input or "the smallest coefficient's input"
            big = r.max_input or "the largest coefficient's input"
            which = small if small == big else f"{small} or {big}"
            lines.append(f"warning: {r.what} coefficients span a ratio of {r.ratio:.3g} "
                         f"(> 1e8): rescale {which} (e.g. state a commodity in a "
                         "larger or smaller unit) to avoid numerical trouble")
    return lines
