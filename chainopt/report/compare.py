"""Side-by-side comparison of several runs, each against the first (the base).

pandas only. :func:`compare` turns ``{name: Results}`` into named section tables; each
has key columns, one value column per run and a ``Δ <name>`` column per non-base run
(run minus base). :func:`save` writes them as CSV plus one Markdown file, atomically.

Sections: ``objective`` (NPV and its parts, MUSD), ``cashflow`` (each period's net
operating margin per year after capital charged as annuities, in MUSD/yr of the period's
discount-weighted average year: not the construction spend, which ``project_cashflows``
holds), ``production`` (by product and period), ``capacity_built`` (capacity added in the
period: expansion or what a project brings), ``utilisation`` (units and capacity-limited
links), ``exports`` (sales by market site, commodity and
period), ``emissions``, ``shadow_prices`` (the largest changes in commodity values,
where the commodity moves: :mod:`chainopt.report.moving`),
``economics`` (per scenario, one line per effect: each project it switches on against
the same scenario with only that project off, and its other inputs against the base:
incremental NPV = the objective difference, the projects' overnight capex and the change
in overnight spend against the counterfactual (Δ capex), IRR, payback; see
:mod:`chainopt.report.economics`), ``project_cashflows`` (the yearly incremental
flows behind IRR and payback) and ``chain_changes`` (the activities, flows
and sales that gained or lost most, horizon-average per year, by site).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from chainopt import forks
from chainopt.atomic import others_in, own_file, refuse_others, write_folder
from chainopt.case.storage import Storage, storage_for_rows
from chainopt.controls import plain
from chainopt.csvtext import round_significant, write_csv
from chainopt.errors import InputError, Problem, ResultsExistError
from chainopt.names import file_key
from chainopt.report import charts, economics, holding, moving, numbers, parties
from chainopt.report.stream_split import approximate_streams
from chainopt.results import (
    CHART_FORMATS,
    FLOAT_FORMAT,
    TABLE_FILES,
    TEXT_COLUMNS,
    commodity_units,
    floats_again,
    read_table,
    stable_floats,
    stopped_early,
    table_files,
    text_columns,
)
from chainopt.textfile import MAX_TABLE_BYTES, parse_json, read_text

TOP = 10
TOL = 1e-6


#: the relative rounding of two numbers each saved to 10 significant digits (at most
#: 5e-10 of either): a run re-used from its folder against one solved fresh
SAVED_DIGITS = 1e-9


def delta(run: pd.Series, base: pd.Series) -> pd.Series:
    """``run - base``, 0 where the difference is within the rounding of the two numbers
    as results tables save them (:data:`SAVED_DIGITS` of the larger): the base read back
    from its folder (15,704.22803) against the same plan solved fresh (15,704.2280315)
    differs by 1.5e-06, which is no change. NaN stays NaN."""
    d = run - base
    return d.mask(d.abs() <= SAVED_DIGITS * np.maximum(run.abs(), base.abs()), 0.0)


def _side(frames: dict[str, pd.DataFrame], keys: list[str], value: str,
          keep_all: bool = False, periods: dict[str, set[str] | None] | None = None
          ) -> pd.DataFrame:
    """Outer-join ``value`` of each run on ``keys``; add Δ columns (run minus base)
    against the first run.

    A key a run has no row for is 0 there: a product it makes none of has no production
    KPI, an emission with no source no emissions KPI, and an objective part a run lacks is a
    category its model has no term of (``npv_carbon`` of a case without a carbon price),
    worth 0, so that the Δ of the parts add up to the Δ of the objective. But a row of
    a period a run does not have (``periods``: run -> its periods; two cases of
    different horizons) is absent there (NaN, blank), and so is its Δ: a cash flow of
    0 in a year the run never models would be a number it does not state."""
    names = list(frames)
    # runs without a row here (no emissions, no links, ...) join as zeros: pandas cannot
    # outer-merge an empty frame whose text keys are Arrow arrays without chunks
    parts = [df[[*keys, value]].groupby(keys, as_index=False, sort=False)[value].sum()
             .rename(columns={value: n}) for n, df in frames.items() if len(df)]
    out = pd.DataFrame({k: pd.Series(dtype=object) for k in keys})
    for i, part in enumerate(parts):
        out = part if i == 0 else out.merge(part, on=keys, how="outer", sort=False)
    out = out.reindex(columns=[*keys, *names]).fillna({n: 0.0 for n in names})
    if periods is not None and "period" in keys:
        for n in names:
            if periods.get(n) is not None:  # (None: the run names no periods)
                out.loc[~out["period"].astype(str).isin(periods[n]), n] = np.nan
    base = names[0]
    for n in names[1:]:
        out[f"Δ {n}"] = delta(out[n], out[base])
    if not keep_all:
        out = out[(out[names].abs() > TOL).any(axis=1)]
    return out.reset_index(drop=True)


def _kpis(results: dict, prefix: str) -> dict[str, pd.DataFrame]:
    out = {}
    for n, r in results.items():
        k = r.tables["kpis"]
        k = k[k["kpi"].str.startswith(prefix)].copy()
        k["item"] = k["kpi"].str.removeprefix(prefix)
        k["period"] = k["period"].fillna("").astype(str)
        out[n] = k
    return out


def _periods(results: dict) -> dict[str, set[str] | None]:
    """Each run's periods (its manifest's; None when it names none)."""
    return {n: {str(p) for p in r.manifest.get("periods") or []} or None
            for n, r in results.items()}


def _build_periods(results: dict) -> dict[str, set[str] | None]:
    """Each run's periods for the tables of what is built by the period its construction
    starts (``capacity_built``, ``projects_built``): its own, and every other run's
    period that starts inside its horizon, where it starts no construction (a build
    starts in the first year of its period, so a run none of whose periods starts in
    2029 builds 0 in a p2029 another run splits off; review s30 F1: blank, and charted as
    not compared). A period starting outside the run's horizon stays blank; a run whose
    manifest gives no years (written before the period table), its own periods."""
    spans = {n: holding.period_spans(m) for n, m in _manifests(results).items()}
    starts = {p: a for own in spans.values() for p, (a, _) in own.items()}
    out = _periods(results)
    for n, own_spans in spans.items():
        own = out[n]
        if own is None or not own_spans:
            continue
        first = min(a for a, _ in own_spans.values())
        end = max(b for _, b in own_spans.values())
        out[n] = own | {p for p, a in starts.items() if first <= a < end}
    return out


def _per_year(frames: dict[str, pd.DataFrame], results: dict
              ) -> tuple[dict[str, pd.DataFrame], dict[str, set[str] | None]]:
    """``frames`` of a quantity per year of a period (a cash flow, production, sales,
    emissions, utilisation) by the comparison's periods, and each run's periods with a
    value (for :func:`_side`): :func:`chainopt.report.holding.holding`. A period another
    run splits off inside one of a run's takes the values of the run's period holding it
    where the run's years do not differ there (the base's p2026, 2026-2030, is its value
    in p2029, the part of p2026 a scenario splits off at 2029), and is blank where they
    do (the holding period's average year is not that of each year; the comparison's
    warnings say so); a period no period of the run holds (another horizon) is blank."""
    held = holding.holding(_manifests(results)).periods
    out = {n: holding.on_rows(df, held.get(n)) if len(df) else df
           for n, df in frames.items()}
    return out, {n: None if (h := held.get(n)) is None else set(h) for n in frames}


def _manifests(results: dict) -> dict[str, dict]:
    return {n: getattr(r, "manifest", None) or {} for n, r in results.items()}


def _period_order(results: dict) -> dict[str, int]:
    """Rank of every period of the runs, in time: by start year (from each manifest's
    ``period_table``), ties and periods without one in the order the runs list them.
    A scenario that splits a period (p2026 at 2029: p2026 = 2026-2028, p2029) has its
    new part between p2026 and p2031, not after the base's last period."""
    start: dict[str, float] = {}
    seen: dict[str, int] = {}
    for r in results.values():
        for p in r.manifest.get("periods", []):
            seen.setdefault(str(p), len(seen))
        for row in r.manifest.get("period_table", []):
            start.setdefault(str(row["period"]), float(row["start_year"]))
    ranked = sorted(seen, key=lambda p: (start.get(p, float("inf")), seen[p]))
    return {p: i for i, p in enumerate(ranked)}


def _sort(df: pd.DataFrame, keys: list[str], order: dict[str, int]) -> pd.DataFrame:
    if "period" not in df.columns or df.empty:
        return df
    other = [k for k in keys if k != "period"]
    return (df.assign(_p=df["period"].map(order)).sort_values([*other, "_p"], kind="stable")
            .drop(columns="_p").reset_index(drop=True))


def _built(r) -> pd.DataFrame:
    """Capacity built, by the period its construction starts: the ``capacity`` table's
    ``new_k_per_yr`` (expansions and the units and links projects bring). Not the change
    in total capacity, which also moves when a unit retires, is extended, or ramps up."""
    cap = r.tables["capacity"].copy()
    cap["period"] = cap["period"].astype(str)
    cap["built_k_per_yr"] = cap["new_k_per_yr"].fillna(0.0)
    return cap


def _top_changes(results: dict, base: str, frames: dict[str, pd.DataFrame], keys: list[str],
                 value: str, top: int) -> pd.DataFrame:
    return _largest(_side(frames, keys, value), top)


def _largest(side: pd.DataFrame, top: int) -> pd.DataFrame:
    """The ``top`` rows of a :func:`_side` table whose Δ columns changed most (a blank Δ
    is no change)."""
    deltas = [c for c in side.columns if c.startswith("Δ ")]
    if side.empty or not deltas:
        return side
    # ranked on the sizes to 8 significant digits, ties in table order: a comparison made
    # from fresh solves and one from saved folders (values rounded to 10 digits, so
    # their differences in the last digits) rank two equal changes alike
    size = pd.Series(round_significant(side[deltas].abs().max(axis=1).to_numpy(float), 8),
                     index=side.index)
    side = side[size > TOL]
    return side.loc[size[size > TOL].sort_values(ascending=False, kind="stable")
                    .index[:top]].reset_index(drop=True)


def _value_changes(results: dict, top: int) -> pd.DataFrame:
    """The largest changes in commodity values (balance shadow prices) by site,
    commodity and period, where the value is a price (:func:`moving.priced`: the
    commodity moves and its value holds both ways): a run's value elsewhere is a bound,
    not an effect of the plan, and is left blank; a Δ only where both the run's and the
    base's are prices (blank otherwise, and not ranked)."""
    keys = ["site", "commodity", "period"]
    value = "shadow_price_usd_per_unit"
    bal = {n: r.tables["balances"].assign(period=lambda d: d["period"].astype(str))
           for n, r in results.items()}
    side = _side(bal, keys, value, keep_all=True)
    names = list(results)
    for n in names:
        side[n] = side[n].where(moving.priced(side, results[n].tables))
    for n in names[1:]:
        side[f"Δ {n}"] = delta(side[n], side[names[0]])  # NaN unless priced in both
    return _largest(side, top)


def _horizon_mean(r, df: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    per = economics.period_table(r).set_index("period")["length_yr"]
    total = float(per.sum())
    # (as floats: an empty table's columns may be text, and the products with them too)
    years = df["period"].astype(str).map(per).astype(float).fillna(0.0)
    d = df.assign(_v=df[value].astype(float) * years / total)
    return d.groupby(keys, as_index=False, sort=False)["_v"].sum().rename(columns={"_v": value})


ECONOMICS_COLUMNS = ["scenario", "effect", "against", "includes", "built", "first use",
                     "incremental NPV (MUSD)", "NPV low (MUSD)", "NPV high (MUSD)",
                     "overnight capex (MUSD)", "Δ capex (MUSD)", "IRR", "payback (yr)",
                     "IRR note", "payback note"]


def against_text(against: str, includes: str, instead: str) -> str:
    """The ``against`` of a project's economics row with what its counterfactual also
    lacks (``includes``: the projects built only with it) and builds instead
    (``instead``): 's_ab without pa (and pb, built only with it)', 'c_comp without pc
    (builds pa instead)'; ``against`` when neither."""
    said = ([f"and {includes}, built only with it"] if includes else []) + (
        [f"builds {instead} instead"] if instead else [])
    return f"{against} ({'; '.join(said)})" if said else against


def _effects(results: dict, base: str, n: str, counterfactuals: dict | None):
    """(effect, against, reference run) lines of scenario ``n``'s economics.

    With counterfactuals (see :func:`chainopt.api.counterfactuals`): one line per
    project the scenario switches on, against the same scenario with only that project
    off (reference None: not built, nothing to value), and an ``inputs`` line (the
    scenario with its projects off against the base) when the scenario also changes
    inputs. Without: one ``all changes`` line against the base.
    """
    cf = (counterfactuals or {}).get(n)
    if cf is None:
        yield "all changes", base, results[base]
        return
    for project, ref in cf["projects"].items():
        yield project, f"{n} without {project}", ref
    for project in cf.get("not_built", []):
        yield project, f"{n} without {project}", None
    if cf.get("inputs") is not None:
        yield "inputs", base, cf["inputs"]


def _stream_warnings(results: dict, names: list[str], counterfactuals: dict | None
                     ) -> pd.DataFrame:
    """``stream_warnings`` (scenario, warning): a project's yearly stream approximate
    because of a unit it retires that its counterfactual might life-extend, which the run
    alone could not tell (:func:`chainopt.report.stream_split.approximate_streams`, given
    each project's counterfactual)."""
    rows = []
    for n in names:
        cf = (counterfactuals or {}).get(n) or {}
        if cf.get("case") is None or not cf.get("projects"):
            continue
        against = {j: ref.tables.get("investments") for j, ref in cf["projects"].items()}
        rows += [{"scenario": n, "warning": w} for w in approximate_streams(
            cf["case"], results[n].tables, counterfactuals=against)]
        rows += [{"scenario": n, "warning": w}
                 for w in _joint_streams(cf["case"], results[n], cf["projects"])]
    return pd.DataFrame(rows, columns=["scenario", "warning"])


def _joint_streams(case, scenario, against: dict) -> list[str]:
    """One warning per project whose value includes another's (built only with it) that
    comes into use in another year of the same period: the period's difference is spread
    over the years by the capacity there, not as each project earns, so the yearly split
    of their joint stream (IRR, payback, tax, the parties' flows) is approximate; the
    NPV, the objective difference, is exact (README: several new projects starting in
    different years, valued together). pa (2027) with pb (2028) in p2026 (2026-2030):
    11.708 in 2027 where pa alone earns 11.5."""
    built = economics.built_projects(scenario)
    if built.empty:
        return []
    first = built.groupby(built["project"].astype(str))["first_use_year"].min()
    starts = np.array(sorted(p.start_year for p in case.meta.periods))
    out = []
    for j, ref in against.items():
        fj = first.get(j)
        if fj is None:
            continue
        holds = [str(k) for k in dict.fromkeys(economics.new_projects(ref, scenario)[
            "project"]) if str(k) != j]
        for k in holds:
            fk = first.get(k)
            if fk is None or int(fk) == int(fj):
                continue
            at = np.searchsorted(starts, [int(fj), int(fk)], side="right")
            if at[0] == at[1]:
                out.append(f"project {j}'s value includes {k}, which comes into use in "
                           f"{int(fk)} ({j}: {int(fj)}) inside the same period: the yearly "
                           "split of their joint stream (IRR, payback, tax, the parties' "
                           "flows) is approximate; the NPV is exact")
    return out


def run_warnings(manifest: dict) -> list[str]:
    """What a run warned of as it was solved: its manifest's ``warnings`` and a plan not
    proven optimal (:func:`chainopt.results.stopped_early`)."""
    early = stopped_early(manifest)
    return [*(str(w) for w in manifest.get("warnings") or [] if isinstance(w, str)),
            *([early] if early else [])]


def _warnings(results: dict, names: list[str], counterfactuals: dict | None,
              blanks: list[tuple[str, str]] | None = None) -> pd.DataFrame:
    """``warnings`` (scenario, warning): what each compared run warned of (its
    manifest.json ``warnings``: a build coming into use or capacity retiring inside a
    period, an input the model cannot honour as stated...), so that the comparison's
    files say what the terminal said while solving; then where a run's cells are blank
    because its period holding another run's is uneven
    (:func:`chainopt.report.holding.holding`; ``blanks``: (scenario, note) of the
    counterfactuals' constraints), and the projects whose yearly stream is approximate
    (:func:`_stream_warnings`)."""
    rows = [{"scenario": n, "warning": str(w), "said_by": "run"} for n in names
            for w in run_warnings(getattr(results[n], "manifest", None) or {})]
    rows += [{"scenario": n, "warning": w, "said_by": "compare"}
             for n, w in [*holding.holding(_manifests(results)).notes, *(blanks or [])]]
    said = _stream_warnings(results, names[1:], counterfactuals).assign(said_by="compare")
    frame = pd.DataFrame(rows, columns=["scenario", "warning", "said_by"])
    return pd.concat([frame, said], ignore_index=True) if len(said) else frame


#: the warning tables of a comparison folder: ``warnings``, and ``stream_warnings`` of a
#: folder written before the runs' warnings were kept
WARNING_TABLES = ("warnings", "stream_warnings")


def warning_rows(sections: dict[str, pd.DataFrame]) -> list[tuple[str, str]]:
    """(scenario, warning) of every warning table of the comparison."""
    out = []
    for key in WARNING_TABLES:
        df = sections.get(key)
        if df is not None and len(df) and {"scenario", "warning"} <= set(df.columns):
            out += [(str(n), str(w)) for n, w in zip(df["scenario"], df["warning"],
                                                     strict=True)]
    return out


def warning_lines(sections: dict[str, pd.DataFrame], runs: bool = True) -> list[str]:
    """The comparison's warnings (:func:`warning_rows`), each as ``scenario: warning``;
    without those its runs gave (``said_by`` ``run``: the terminal showed them as each
    run was solved or reused) unless ``runs``."""
    df = sections.get("warnings")
    run: set[tuple[str, str]] = set()
    if not runs and df is not None and "said_by" in df.columns:
        mine = df[df["said_by"].astype(str) == "run"]
        run = set(zip(mine["scenario"].astype(str), mine["warning"].astype(str), strict=True))
    return [f"{n}: {w}" for n, w in warning_rows(sections) if (n, w) not in run]


_NAMED = re.compile(r"\bproject ([A-Za-z0-9_.\-]+)")


def project_warnings(sections: dict[str, pd.DataFrame]) -> dict[tuple[str, str], list[str]]:
    """(scenario, project) -> the warnings of that scenario that name the project
    ('project mp3 comes into use in 2048, inside period p2046 ...')."""
    out: dict[tuple[str, str], list[str]] = {}
    for n, w in warning_rows(sections):
        for p in dict.fromkeys(m.rstrip(".,:;") for m in _NAMED.findall(w)):
            out.setdefault((n, p), []).append(w)
    return out


def warning_mark(warnings: list[str]) -> str:
    """A short mark for a project's card, table row or slide that warnings name: what
    its value is, and where to read why."""
    if any("average year" in w for w in warnings):
        return "value of a period's average year: see warnings"
    if any("approximate" in w for w in warnings):
        return "yearly cash flows approximate: see warnings"
    return "see warnings"


CONSTRAINT_COLUMNS = ["constraint", "period", "value without (USD/unit)",
                      "value with (USD/unit)", "rent change (MUSD/yr)"]


def _constraint_words(cc: pd.DataFrame) -> pd.DataFrame:
    """:func:`economics.constraint_changes` in the user's words."""
    # lazy: the family registry (explain's words) loads only when a comparison is made,
    # so that `import chainopt.api` (chainopt validate) stays light
    from chainopt.report.explain import describe

    return pd.DataFrame({
        "constraint": [describe(f, k) for f, k in zip(cc["family"], cc["key"], strict=True)],
        "period": cc["period"].astype(str),
        "value without (USD/unit)": cc["marginal_value_without"],
        "value with (USD/unit)": cc["marginal_value_with"],
        "rent change (MUSD/yr)": cc["rent_change_musd_per_yr"]}, columns=CONSTRAINT_COLUMNS)


def _chain_changes(pair: dict, base: str, n: str, effect: str, top: int) -> pd.DataFrame:
    """The activities, flows and sales that gained or lost most between the two runs."""
    out = []
    for kind, table, keys, value in (
            ("activity", "activity", ["site", "unit", "mode"], "activity_k_per_yr"),
            ("flow", "flows", ["from_site", "link", "commodity"], "flow_k_per_yr"),
            ("sales", "sales", ["site", "commodity"], "sales_k_per_yr")):
        fr = {m: _horizon_mean(r, r.tables[table], keys, value) for m, r in pair.items()}
        t = _top_changes(pair, base, fr, keys, value, top // 2 or 1)
        if t.empty:
            continue
        item = t[keys[1:]].astype(str).agg(" / ".join, axis=1)
        out.append(pd.DataFrame({"scenario": n, "effect": effect, "kind": kind,
                                 "site": t[keys[0]], "item": item, "base": t[base],
                                 "value": t[n], "delta": t[f"Δ {n}"]}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def compare(results: dict, counterfactuals: dict | None = None,
            top: int = TOP) -> dict[str, pd.DataFrame]:
    """Section tables comparing ``results`` (name -> Results); the first is the base.

    ``counterfactuals``: per scenario name, ``{"projects": {project: Results},
    "not_built": [project, ...], "inputs": Results | None}``: the runs each effect is
    valued against (:func:`chainopt.api.counterfactuals`). Without them a scenario is
    valued against the base as a whole.
    """
    if len(results) < 2:
        raise ValueError("compare needs at least two runs")
    base = next(iter(results))
    order = _period_order(results)
    return {**_money_sections(results, order), **_capacity_sections(results, order),
            **_project_sections(results, order),
            **_market_sections(results, base, order, top),
            **_scenario_sections(results, base, counterfactuals, top)}


def _money_sections(results: dict, order: dict[str, int]) -> dict[str, pd.DataFrame]:
    """``objective`` (and its parts: ``npv_*``, or ``cost_*`` when the base is a cost
    case, so that they add up to the objective as the base states it), ``cashflow`` (net
    margin after capital charged as annuities) by period, ``production``, ``levers``
    (the ``lever_*`` KPIs: what each policy lever moves at each run's plan).

    Every run is stated in the base's sense: a run of the other sense has its objective
    and parts negated (the total cost is minus the net value, ``cost_<part>`` minus
    ``npv_<part>``), so that Δ compares like with like: a cost case against the same
    chain as a profit case is Δ 0, not twice its objective."""
    s: dict[str, pd.DataFrame] = {}
    obj = {}
    cost = next(iter(results.values())).manifest.get("objective_sense") == "cost"
    for n, r in results.items():
        k = r.tables["kpis"]
        k = k[(k["kpi"] == "objective") | k["kpi"].str.startswith("npv_")]
        net = k["value"].where(k["kpi"] != "objective", r.net_value)  # npv_ parts add to it
        obj[n] = pd.DataFrame({
            "item": k["kpi"].str.replace(r"^npv_", "cost_" if cost else "npv_", regex=True),
            "value": (0.0 - net) if cost else net})
    s["objective"] = _side(obj, ["item"], "value", keep_all=True).rename(
        columns={"item": "kpi (MUSD, NPV)"})

    cf = _kpis(results, "cashflow_")
    cf, per = _per_year({n: k[k["item"] == "net"] for n, k in cf.items()}, results)
    s["cashflow"] = _sort(_side(cf, ["period"], "value", keep_all=True, periods=per),
                          ["period"], order)
    made, per = _per_year(_kpis(results, "production_"), results)
    s["production"] = _with_unit(_sort(_side(made, ["item", "period"], "value", periods=per),
                                       ["item", "period"], order), "item", _kpi_units(made)
                                 ).rename(columns={"item": "product"})
    s["levers"] = _side(_kpis(results, "lever_"), ["item"], "value").rename(
        columns={"item": "lever and kind"})
    return s


def _commodity_units(results: dict) -> dict[str, str]:
    """Each commodity's quantity unit as the tables state amounts of it (``k t/yr``), from
    the runs' ``commodities`` tables (none in folders written before them)."""
    out: dict[str, str] = {}
    for r in results.values():
        for c, u in commodity_units(r.tables).items():
            out.setdefault(c, f"k {u}/yr")
    return out


def _kpi_units(kpis: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Each KPI item's unit (``_kpis`` frames: item, unit), the first run's that states it."""
    out: dict[str, str] = {}
    for k in kpis.values():
        if "unit" in k.columns:
            for item, u in zip(k["item"].astype(str), k["unit"].astype(str), strict=True):
                out.setdefault(item, u)
    return out


def _with_unit(df: pd.DataFrame, key: str, units: dict[str, str]) -> pd.DataFrame:
    """``df`` with a ``unit`` column after ``key``: the unit of each row's item (blank
    where no run states one): one table's rows in different units (t and 1000m3) were
    summed by nobody but read as one "k units/yr" column."""
    out = df.copy()
    out.insert(out.columns.get_loc(key) + 1, "unit",
               np.array([units.get(k, "") for k in out[key].astype(str)], dtype=object))
    return out


def _capacity_sections(results: dict, order: dict[str, int]) -> dict[str, pd.DataFrame]:
    """``capacity_built`` and ``utilisation`` by unit or link and period."""
    built = {n: _built(r) for n, r in results.items()}
    util, in_use = _per_year({n: b[b["utilisation"].notna()].copy()
                              for n, b in built.items()}, results)
    keys = ["kind", "name", "period"]
    # (what is built is built once, in the period its construction starts: not repeated)
    return {"capacity_built": _sort(_side(built, keys, "built_k_per_yr",
                                          periods=_build_periods(results)), keys, order),
            "utilisation": _sort(_side(util, keys, "utilisation", periods=in_use), keys,
                                 order)}


def _project_sections(results: dict, order: dict[str, int]) -> dict[str, pd.DataFrame]:
    """``projects_built``: each project's built share by the period its construction
    starts (the runs' ``projects`` tables), whether the project is one a scenario switches
    on (valued in ``economics``) or one the base may build too (not valued)."""
    frames = {n: r.tables["projects"].assign(period=lambda d: d["period"].astype(str))
              for n, r in results.items() if "projects" in r.tables}
    if len(frames) < len(results):  # a folder written before the projects table
        return {}
    keys = ["project", "period"]
    return {"projects_built": _sort(_side(frames, keys, "built_share",
                                          periods=_build_periods(results)), keys, order)}


def _market_sections(results: dict, base: str, order: dict[str, int], top: int
                     ) -> dict[str, pd.DataFrame]:
    """``exports`` (sales by market), ``emissions`` and the largest changes in
    ``shadow_prices``."""
    sales, sold = _per_year({n: r.tables["sales"].assign(
        period=lambda d: d["period"].astype(str)) for n, r in results.items()}, results)
    emitted, per = _per_year(_kpis(results, "emissions_"), results)
    return {
        "exports": _with_unit(_sort(_side(sales, ["site", "commodity", "period"],
                                          "sales_k_per_yr", periods=sold),
                                    ["site", "commodity", "period"], order),
                              "commodity", _commodity_units(results)),
        "emissions": _with_unit(_sort(_side(emitted, ["item", "period"], "value",
                                            periods=per),
                                      ["item", "period"], order), "item",
                                _kpi_units(emitted)).rename(columns={"item": "emission"}),
        "shadow_prices": _value_changes(results, top),
    }


#: what each scenario adds to the sections (:func:`_scenario_parts`)
_PARTS = ("rows", "flows", "changes", "party_rows", "party_flows", "falls", "binds",
          "blanks")


def _scenario_parts(results: dict, base: str, n: str, counterfactuals: dict | None,
                    top: int) -> dict[str, list]:
    """Scenario ``n``'s parts of :func:`_scenario_sections`: its economics rows, cash
    flows, chain changes, parties' rows and flows, waterfalls, binding constraints and
    its counterfactuals' notes (``blanks``: (scenario, note))."""
    rows: list[dict] = []
    flows: list[pd.DataFrame] = []
    changes: list[pd.DataFrame] = []
    party_rows: list[pd.DataFrame] = []
    party_flows: list[pd.DataFrame] = []
    falls: list[pd.DataFrame] = []
    binds: list[pd.DataFrame] = []
    blanks: list[tuple[str, str]] = []  # (scenario, a note of its counterfactual's)
    terms = (counterfactuals or {}).get(n, {}).get("terms")
    for effect, against, ref in _effects(results, base, n, counterfactuals):
        if ref is None:  # a project the scenario may build but does not
            # its value, opt_s - opt_c, is at least 0 (the option to build) and at
            # most B_s - F_s: the plan found is feasible without it (opt_c >= F_s)
            bound = results[n].net_value_bound
            rows.append({"scenario": n, "effect": effect, "against": against,
                         "includes": "", "built": "not built", "first use": "",
                         "incremental NPV (MUSD)": 0.0, "NPV low (MUSD)": 0.0,
                         "NPV high (MUSD)": (None if bound is None
                                             else bound - results[n].net_value),
                         "overnight capex (MUSD)": 0.0,
                         "Δ capex (MUSD)": 0.0, "IRR": None, "payback (yr)": None,
                         "IRR note": "", "payback note": ""})
            continue
        if effect == "inputs":  # the scenario's own inputs, its projects off
            summary, f = economics.project_economics(results[base], ref)
        else:
            summary, f = economics.project_economics(ref, results[n])
        project = effect not in ("inputs", "all changes")
        pj = economics.built_projects(results[n])
        pj = pj[pj["project"] == effect]
        # the projects built with this one and not without it (one that requires
        # it): its value holds theirs, so the values of a scenario's projects do not
        # add up
        holds = (", ".join(p for p in summary["projects"] if p != effect)
                 if project else "")
        # and what its counterfactual builds that the scenario does not (a project
        # competing with it): its value is over that one, not over doing nothing
        instead = (", ".join(dict.fromkeys(economics.new_projects(results[n], ref)[
            "project"].astype(str))) if project else "")
        rows.append({
            "scenario": n, "effect": effect,
            "against": against_text(against, holds, instead),
            "includes": holds,
            "built": (", ".join(pj["period"].astype(str)) if project
                      else ", ".join(summary["projects"])),
            "first use": str(int(pj["first_use_year"].min())) if len(pj) else "",
            "incremental NPV (MUSD)": summary["incremental_npv_musd"],
            "NPV low (MUSD)": summary["npv_low_musd"],
            "NPV high (MUSD)": summary["npv_high_musd"],
            "overnight capex (MUSD)": summary["overnight_capex_musd"],
            "Δ capex (MUSD)": summary["capex_change_musd"],
            "IRR": summary["irr"], "payback (yr)": summary["payback_yr"],
            "IRR note": summary["irr_note"], "payback note": summary["payback_note"]})
        wf = (economics.waterfall(results[base], ref) if effect == "inputs"
              else economics.waterfall(ref, results[n]))
        falls.append(wf.assign(scenario=n, effect=effect)[
            ["scenario", "effect", "category", "npv_musd"]])
        cc = (economics.constraint_changes(results[base], ref) if effect == "inputs"
              else economics.constraint_changes(ref, results[n]))
        binds.append(_constraint_words(cc).assign(scenario=n, effect=effect))
        # what of a counterfactual's periods its constraints could not be compared
        # on (the compared runs' own are in the warnings already)
        if not any(ref is r for r in results.values()):
            label = (f"{n} with its projects off" if effect == "inputs"
                     else f"{n} without {effect}")
            other = (base, results[base]) if effect == "inputs" else (n, results[n])
            blanks += [(n, w) for who, w in holding.holding(_manifests(
                {label: ref, other[0]: other[1]})).notes if who == label]
        # a project is written whenever it is built: one without capex (no build
        # year) still has a stream from its first year of use, and parties
        written = summary["build_year"] is not None or (project and len(pj) > 0)
        if written:
            flows.append(f.assign(scenario=n, effect=effect)[
                ["scenario", "effect", *f.columns]])
        if project and terms is not None and written:
            # the other builds by which the chain with it and without it differ
            # (made with it: a project that requires it, a unit or link expansion it
            # feeds; avoided: a life extension): their capex is in its stream, so
            # is their depreciation (an avoided one's, lost, with a minus)
            ps, pf = parties.project_parties(
                f, terms, effect, builds=economics.project_builds(pj),
                others=economics.incremental_builds(ref, results[n], effect))
            # its stream holds that of the projects built only with it, split by
            # its shares (theirs are not applied there): said on each owner's row
            # (a lender lends on its own spend only), before any note of its own
            # (why its DSCR is blank)
            holds_note = parties.includes_note(effect, rows[-1]["includes"])
            party_rows.append(ps.assign(scenario=n, note=[
                parties.join_notes(holds_note if role == "equity" else "", own)
                for role, own in zip(ps["role"], ps["note"], strict=True)]))
            party_flows.append(pf.assign(scenario=n))
        pair = ({base: results[base], n: ref} if effect == "inputs"
                else {base: ref, n: results[n]})
        changes.append(_chain_changes(pair, base, n, effect, top))
    return {"rows": rows, "flows": flows, "changes": changes, "party_rows": party_rows,
            "party_flows": party_flows, "falls": falls, "binds": binds, "blanks": blanks}


def _scenario_sections(results: dict, base: str, counterfactuals: dict | None,
                       top: int) -> dict[str, pd.DataFrame]:
    """Each scenario's effects against their counterfactuals: ``economics``, the
    incremental ``project_cashflows`` and the largest ``chain_changes``. The scenarios
    are worked on in several processes (:class:`chainopt.forks.Shares`; each
    scenario's parts by :func:`_scenario_parts`), put together in their order."""
    names = list(results)
    s: dict[str, pd.DataFrame] = {}
    parts: dict[str, list] = {k: [] for k in _PARTS}
    with forks.Shares(forks.processes()) as shares:
        for n in names[1:]:
            i = shares.take()
            if i is not None:
                shares.done(i, _scenario_parts(results, base, n, counterfactuals, top))
    for got in shares.results():
        for k in _PARTS:
            parts[k] += got[k]
    rows, flows, changes = parts["rows"], parts["flows"], parts["changes"]
    party_rows, party_flows = parts["party_rows"], parts["party_flows"]
    falls, binds, blanks = parts["falls"], parts["binds"], parts["blanks"]
    s["economics"] = pd.DataFrame(rows, columns=ECONOMICS_COLUMNS)
    said = _warnings(results, names, counterfactuals, list(dict.fromkeys(blanks)))
    if len(said):
        s["warnings"] = said
    s["project_cashflows"] = (pd.concat(flows, ignore_index=True) if flows else pd.DataFrame(
        columns=["scenario", "effect", "year", *economics.STREAM, "net_musd",
                 "cumulative_musd", "own_capex_musd"]))
    s["project_waterfall"] = (pd.concat(falls, ignore_index=True) if falls else
                              pd.DataFrame(columns=["scenario", "effect", "category",
                                                    "npv_musd"]))
    bind = pd.concat(binds, ignore_index=True) if binds else pd.DataFrame()
    s["project_constraints"] = (bind[["scenario", "effect", *CONSTRAINT_COLUMNS]]
                                if len(bind) else pd.DataFrame(
                                    columns=["scenario", "effect", *CONSTRAINT_COLUMNS]))
    ch = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame()
    if ch.empty:
        ch = pd.DataFrame(columns=["scenario", "effect", "kind", "site", "item", "base",
                                   "value", "delta"])
    else:
        ch = ch.assign(_a=ch["delta"].abs()).sort_values(["scenario", "effect", "_a"],
                                                         ascending=[True, True, False],
                                                         kind="stable").drop(columns="_a")
    s["chain_changes"] = ch.reset_index(drop=True)
    s["party_economics"] = (pd.concat(party_rows, ignore_index=True)[parties.COLUMNS]
                            if party_rows else pd.DataFrame(columns=parties.COLUMNS))
    s["party_cashflows"] = (pd.concat(party_flows, ignore_index=True)[parties.FLOW_COLUMNS]
                            if party_flows else pd.DataFrame(columns=parties.FLOW_COLUMNS))
    return s


#: what ``cashflow`` (the ``cashflow_net`` KPI) is: each period's per-year operating margin
#: with every build's capital charged as its annuity in the years it is alive, not the
#: construction-year spend (that is in ``project_cashflows``)
CASHFLOW_TITLE = ("Net operating margin after capital charged as annuities (MUSD/yr, "
                  "each period's discount-weighted average year; not the construction "
                  "spend)")

TITLES = {
    "objective": "Objective (NPV, MUSD) and its parts",
    "cashflow": CASHFLOW_TITLE,
    "production": "Production by product (k units/yr, in each row's unit)",
    "levers": "Policy levers at each plan (NPV, MUSD; + received by the chain, - paid or "
              "given up; inside the objective's parts, not added to them; a lever a run "
              "does not have is 0)",
    "capacity_built": "Capacity built (k units/yr, by the period construction starts)",
    "utilisation": "Utilisation",
    "projects_built": "Projects built (share of each project, by the period its "
                      "construction starts)",
    "exports": "Sales by market site (k units/yr, in each row's unit)",
    "emissions": "Emissions (k units/yr, in each row's unit)",
    "shadow_prices": "Largest changes in commodity values (USD per unit of the commodity, "
                     "in its own unit), where the value is a price in both the run and the "
                     "base: the commodity moves and its value holds for one unit more and "
                     "one less (blank: not so in that run; its value is only a bound)",
    "economics": "Economics of each effect against its counterfactual (NPV low/high, "
                 "shown where the solves' MIP gaps leave room and always in "
                 "economics.csv: where the true value lies given those gaps; includes: "
                 "projects built only with it, such as one requiring it: its value holds "
                 "theirs, so a scenario's project values do not add up)",
    "project_cashflows": "Incremental cash flows by year (MUSD; overnight capex in the "
                         "construction years, residual value after the horizon; "
                         "cumulative_musd leaves the residual value out, as payback does)",
    "chain_changes": "Largest changes in the chain (horizon-average k units/yr)",
    "warnings": "Warnings: what each run warned of (a build coming into use or capacity "
                "retiring inside a period: the value is that of the period's average "
                "year), a run's cells left blank in periods another run splits off "
                "(its period holding them is not the same in every year), and projects "
                "whose yearly cash flows are approximate (a unit they "
                "retire closes inside a period without them, or their value includes a "
                "project coming into use in another year of the period)",
    "stream_warnings": "Projects whose yearly cash flows are approximate (a unit they "
                       "retire closes inside a period without them, or their value "
                       "includes a project coming into use in another year of the "
                       "period)",
    "party_economics": "Each project's parties: after-tax equity (and lender) flows in "
                       "each party's currency at its cost of capital there (NPV in M "
                       "local, and in MUSD at the base year's rate; IRR and payback of "
                       f"the flows in that currency ({economics.IRR_RULE}); peak "
                       "funding: the most negative cumulative flow, so a need of 400 "
                       "MUSD reads -400)",
    "party_cashflows": "Each party's yearly flows by project (MUSD; local currency beside)",
    "project_waterfall": "Incremental NPV of each effect by category (MUSD; the bars add "
                         "to the incremental NPV)",
    "project_constraints": "The binding constraints that make or break each effect (largest "
                           "change in rent = marginal value x what the constraint holds, "
                           "its capacity or bound: the value accruing to it, not the "
                           "effect's gain)",
}


#: tables without a chart of their Δ columns "against the base": ``economics``' one Δ
#: column, ``Δ capex (MUSD)``, is each effect against its own counterfactual, and
#: ``project_cashflows`` has none (its flows are increments already)
NO_DELTA_CHART = frozenset({"economics", "project_cashflows"})


def objective_name(cost: bool) -> str:
    """What a run's or a comparison's objective is, for captions: its total cost (the NPV
    of its costs, revenue a credit: lower is better) in a cost case, else the chain's net
    value (NPV: higher is better)."""
    return "total cost (NPV of costs)" if cost else "objective (NPV)"


def is_cost(sections: dict[str, pd.DataFrame]) -> bool:
    """Whether a comparison states its objective as a total cost: its base is a cost case
    (:func:`_money_sections`: the parts are ``cost_*`` rows)."""
    obj = sections.get("objective")
    return (obj is not None and len(obj.columns) > 0
            and obj.iloc[:, 0].astype(str).str.startswith("cost_").any())


#: columns holding rates (fractions) in any comparison table: shown as percentages
RATE_COLUMNS = frozenset({"IRR", "discount rate", "irr"})


def is_rate(section: str, col: str) -> bool:
    """Whether a column of a comparison table holds rates (fractions), shown as
    percentages: IRR and discount rate, and every number of utilisation."""
    return col in RATE_COLUMNS or section == "utilisation"


def cell(section: str, col: str, v: object) -> str:
    """A cell of a comparison table for people (terminal, Markdown, HTML report): rates as
    percentages, other numbers as :func:`chainopt.report.numbers.cell` writes them."""
    if is_rate(section, col) and isinstance(v, float) and not np.isnan(v):
        return numbers.percent(v)
    return numbers.cell(col, v)


def shown(section: str, df: pd.DataFrame) -> pd.DataFrame:
    """A section as people read it (terminal, Markdown, HTML report): the objective's
    Δ :func:`settled`, any other section as it is."""
    return settled(df) if section == "objective" else df


def settled(objective: pd.DataFrame) -> pd.DataFrame:
    """The objective table with each Δ within the solvers' tolerance of its scenario's
    objective set to 0 (:func:`economics.solver_noise`): a Δ of 4.44e-06 MUSD on an
    objective of 7,784.9 (a share of 5.7e-10) is no difference. For what people read
    (the summary, the terminal, the reports); the CSV keeps the Δ as computed."""
    keys, values, _ = charts.compare_columns(objective)
    hit = objective[objective[keys[0]].astype(str) == "objective"] if keys else \
        objective.iloc[0:0]
    if hit.empty:
        return objective
    out = objective.copy()
    for c in values:
        d = f"Δ {c}"
        if d in out.columns:
            v = pd.to_numeric(out[d], errors="coerce")
            noise = economics.solver_noise(v, float(hit.iloc[0][c]))
            out[d] = v.where(~noise, 0.0)
    return out


SUMMARY_COLUMNS = ["scenario", "objective (MUSD)", "Δ (MUSD)", "projects built",
                   "incremental NPV (MUSD)"]


def unsettled(sections: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The economics rows whose value the solves leave open: no bound from a MIP solve
    (NPV low/high empty), or a range [NPV low, NPV high] wider than 1 % of the value and
    than 1e-6 of the scenario's objective (below that, the solvers' own tolerances)."""
    eco = sections.get("economics")
    if eco is None or eco.empty:
        return pd.DataFrame(columns=ECONOMICS_COLUMNS)
    obj = sections["objective"]
    row = obj[obj.iloc[:, 0] == "objective"]
    scale = eco["scenario"].map(lambda n: abs(float(row[n].iloc[0]))
                                if len(row) and n in row.columns else 0.0)
    low = eco["NPV low (MUSD)"].astype(float)
    high = eco["NPV high (MUSD)"].astype(float)
    npv = eco["incremental NPV (MUSD)"].astype(float)
    wide = economics.range_open(high - low, npv, scale.astype(float))
    return eco[low.isna() | high.isna() | wide]


def npv_range(r: dict) -> str:
    """An economics row's open range as the terminal writes it: 'anywhere from 0.533 to
    24.2', or 'no MIP bound: unknown'."""
    low, high = (numbers.number(r[c]) for c in ("NPV low (MUSD)", "NPV high (MUSD)"))
    return "no MIP bound: unknown" if "" in (low, high) else f"anywhere from {low} to {high}"


def open_ranges(sections: dict[str, pd.DataFrame]) -> dict[tuple[str, str], str]:
    """(scenario, effect) -> :func:`npv_range` of each economics row whose value the
    solves leave open (:func:`unsettled`), for the cards, one-pagers and deck to show
    beside the NPV."""
    eco = sections.get("economics")
    if "objective" not in sections or eco is None or not {
            "NPV low (MUSD)", "NPV high (MUSD)"} <= set(eco.columns):
        return {}  # a folder written before the ranges
    return {(str(r["scenario"]), str(r["effect"])): npv_range(r)
            for r in unsettled(sections).to_dict("records")}


def unsettled_text(rows: pd.DataFrame) -> str:
    """What :func:`unsettled` found, in one warning."""
    def one(r: dict) -> str:
        what = f"{r['effect']} in {r['scenario']}"
        return f"{what} {numbers.number(r['incremental NPV (MUSD)'])} ({npv_range(r)})"

    return ("the solves' MIP gaps (where they stopped: at the gap asked for, or short of it "
            "at their time limit) leave these values open (MUSD): "
            + "; ".join(one(r) for r in rows.to_dict("records")) + ". "
            + economics.SMALLER_GAP)


def included(sections: dict[str, pd.DataFrame]) -> dict[tuple[str, str], str]:
    """(scenario, project) -> the projects its value includes ('pb'), from the one place
    that holds it: the ``includes`` column of ``economics`` (projects built only with it,
    one that requires it: its NPV, capex and flows hold theirs). Only projects that
    include another are keys."""
    eco = sections.get("economics")
    if eco is None or eco.empty or "includes" not in eco.columns:
        return {}
    # (as object first: read back from a folder, a column of blanks is float NaN)
    holds = eco["includes"].astype(object).fillna("").astype(str)
    return {(str(s), str(e)): h for s, e, h in zip(eco["scenario"], eco["effect"], holds,
                                                    strict=True) if h}


def with_includes(project: str, includes: str) -> str:
    """``pa (includes pb)`` when ``includes`` names any, else ``project``: how every
    output names a project whose value holds another's, so that no one adds them up."""
    return f"{project} (includes {includes})" if includes else project


def compared_runs(sections: dict[str, pd.DataFrame]) -> list[str]:
    """The runs of a comparison, the base first: the run columns of its ``objective``
    table (none without one). The set a run's colour is given among in every chart of
    the comparison (:func:`chainopt.report.charts.series_colours`)."""
    obj = sections.get("objective")
    return [str(c) for c in charts.compare_columns(obj)[1]] if obj is not None else []


def summary(sections: dict[str, pd.DataFrame], names: list[str]) -> pd.DataFrame:
    """One line per run: objective, Δ against the base, every project its plan builds
    (``projects_built``) and each one's incremental NPV against its own counterfactual
    (``mp4 26.2``; ``a 1.121 (includes b)`` when b is built only with a, as a project
    that requires a: a's value holds b's), or ``not valued``: a project the run builds
    but does not switch on
    against the base (the base may build it too: no counterfactual was solved). A Δ
    within the solvers' tolerance of the objective is 0 (:func:`settled`)."""
    obj = settled(sections["objective"])
    row = obj[obj.iloc[:, 0] == "objective"]
    eco = sections.get("economics", pd.DataFrame(columns=ECONOMICS_COLUMNS))
    built = sections.get("projects_built")
    holds = included(sections)
    out = []
    for n in names:
        value = float(row[n].iloc[0]) if len(row) and n in row.columns else float("nan")
        delta = (float(row[f"Δ {n}"].iloc[0]) if len(row) and f"Δ {n}" in row.columns
                 else None)
        mine = eco[(eco["scenario"] == n) & ~eco["effect"].isin(["inputs", "all changes"])
                   & (eco["built"] != "not built")] if len(eco) else eco
        # a project's value against its counterfactual holds that of the projects built
        # only with it (one that requires it): said, so that no one adds them up
        valued = [f"{e} {numbers.number(float(v))}" + (f" (includes {h})" if h else "")
                  for e, v in zip(mine["effect"].astype(str), mine["incremental NPV (MUSD)"],
                                  strict=True) for h in [holds.get((n, e), "")]]
        projects = list(mine["effect"].astype(str))
        shares: dict[str, float] = {}  # a project's built share, summed over its periods
        if built is not None and n in built.columns:
            share = pd.to_numeric(built[n], errors="coerce").fillna(0.0)
            shares = share.groupby(built["project"].astype(str), sort=False).sum().to_dict()
            others = [p for p in dict.fromkeys(built.loc[share > TOL, "project"].astype(str))
                      if p not in projects]
            projects += others
            valued += [f"{p} not valued" for p in others]
        projects = [f"{p} ({numbers.share(shares[p])} built)"
                    if TOL < shares.get(p, 1.0) < 1 - TOL else p for p in projects]
        out.append({"scenario": n, "objective (MUSD)": value, "Δ (MUSD)": delta,
                    "projects built": ", ".join(projects) or "-",
                    "incremental NPV (MUSD)": ", ".join(valued) or "-"})
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


def long_form(df: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """A side-by-side table turned on its side: one row per key and run (``run``,
    ``value``, ``Δ``), so that many runs fit a narrow screen."""
    runs = [n for n in names if n in df.columns]
    if not runs:
        return df
    keys = [c for c in df.columns if c not in runs and not str(c).startswith("Δ ")]
    out = []
    for n in runs:
        part = df[keys].copy()
        part["run"] = n
        part["value"] = df[n]
        part["Δ"] = df[f"Δ {n}"] if f"Δ {n}" in df.columns else np.nan
        out.append(part.assign(_k=np.arange(len(part))))
    return (pd.concat(out, ignore_index=True).sort_values("_k", kind="stable")
            .drop(columns="_k").reset_index(drop=True))


_MD_SPECIAL = re.compile(r"([\\`*|\[\]<>~#!]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md_text(value: object) -> str:
    """Text for a Markdown document: pipes, backticks, brackets, emphasis markers and
    HTML brackets backslash-escaped, line breaks as spaces (``a_b`` stays as it is), and
    control characters written out (:func:`chainopt.controls.plain`: ``\\x1b``, the
    ``\\u202e`` of a failed scenario's file name), as on the terminal: ``comparison.md`` is
    made to be pasted and ``cat``-ed."""
    text = plain(" ".join(str(value).split()))
    return _MD_SPECIAL.sub(r"\\\1", text)


def _numbers(col: pd.Series) -> bool:
    """Whether a column holds numbers (right-aligned): a number column, or one whose
    blank numbers read 'n/a (why)' (:func:`chainopt.report.economics.with_notes`)."""
    if pd.api.types.is_numeric_dtype(col):
        return True
    return bool(len(col)) and all(
        isinstance(v, int | float) or str(v).startswith(economics.NOT_AVAILABLE)
        for v in col.dropna())


def _md_table(key: str, df: pd.DataFrame) -> list[str]:
    """A pipe table; every name and text cell escaped with :func:`md_text`."""
    if df.empty:
        return ["(no rows)", ""]
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(md_text(c) for c in cols) + " |",
             "|" + "|".join("---:" if _numbers(df[c]) else "---" for c in df.columns) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(md_text(cell(key, c, v))
                                       for c, v in zip(cols, row, strict=True)) + " |")
    return [*lines, ""]


def failed_name(failure: dict, key: str) -> str:
    """A failed run's ``name`` or ``source`` (``key``) as every output shows it: one line,
    its control characters written out (:func:`chainopt.controls.plain` with
    ``one_line``), as the terminal's ``failed ...`` line does. A scenario file
    ``bad<LF>| x |<U+202E>gpj.yaml`` is ``bad\\n| x |\\u202egpj.yaml``: raw, its line feed
    split the deck's line in two and its right-to-left override showed the rest of the
    HTML report's paragraph reversed (review out32 F2-F4)."""
    return plain(str(failure.get(key, "")), one_line=True)


def failed_lines(failed: list[dict]) -> list[str]:
    """One line per run that failed and so is not in the comparison (:data:`FAILED`):
    ``infs (sc/infs.yaml): exit 3, infeasible or unbounded: case ... is infeasible ...``.
    The name, source and message are one line each with their control characters
    written out (:func:`failed_name`): the one text the HTML report, the deck,
    ``comparison.md`` and ``comparison.xlsx`` show of a failed run."""
    out = []
    for f in failed:
        name, source = failed_name(f, "name"), failed_name(f, "source")
        code = f.get("exit_code")
        why = EXIT_REASONS.get(code, "failed") if isinstance(code, int) else "failed"
        said = plain(" ".join(str(f.get("error", "")).split()), one_line=True)
        out.append(f"{name}{f' ({source})' if source and source != name else ''}: exit "
                   f"{code}, {why}" + (f": {said}" if said else ""))
    return out


#: what a run's exit code says (the README's exit codes), in a comparison's record of
#: the runs that failed
EXIT_REASONS = {1: "bad input", 3: "infeasible or unbounded",
                4: "solver failure or limit without a usable plan"}


def markdown(sections: dict[str, pd.DataFrame], names: list[str],
             failed: list[dict] | None = None) -> str:
    """A comparison's Markdown: the summary (one line per run) and the economics of each
    effect, then a link to the CSV file of every detail table. Sections without the
    economics (not a full comparison) are written as tables, each in full. ``failed``:
    the runs asked for that failed (:func:`failed_lines`), said first: the comparison
    lacks them."""
    lines = [f"# Comparison: {', '.join(md_text(n) for n in names)}", ""]
    if failed:
        lines += [f"**Not compared: {len(failed)} of {len(names) + len(failed)} runs "
                  "asked for failed**, so this comparison lacks them:", "",
                  *(f"* {md_text(line)}" for line in failed_lines(failed)), ""]
    lines.append(f"Base: **{md_text(names[0])}**; Δ is each run minus the base.")
    if "economics" not in sections or "objective" not in sections:
        lines.append("")
        for key, df in sections.items():
            lines += [f"## {md_text(TITLES.get(key, key))}", "",
                      *_md_table(key, shown(key, df))]
        return "\n".join(lines)
    lines[-1] += (" Each project is valued against the same scenario without it; a "
                  "scenario's inputs and all its changes against the base.")
    lines += ["", "## Summary", "", *_md_table("summary", summary(sections, names))]
    lines += [f"## {md_text(TITLES['economics'])}", "",
              *_md_table("economics", economics.with_notes(sections["economics"]))]
    open_ = unsettled(sections)
    if len(open_):
        lines += [f"**Warning:** {md_text(unsettled_text(open_))}.", ""]
    lines += [line for w in warning_lines(sections)
              for line in (f"**Warning:** {md_text(w)}.", "")]
    lines += ["## Detail tables", ""]
    for key, df in sections.items():
        lines.append(f"* [{md_text(TITLES.get(key, key))}]({key}.csv): {len(df)} rows")
    lines.append("")
    return "\n".join(lines)


#: A comparison folder's record of its tables: each one's text columns (a CSV file does
#: not say which columns are text: pandas would read a scenario or project named ``true``
#: or ``inf`` as a boolean or a float) and, as a results manifest does, each one's file,
#: row count and SHA-256 (:data:`chainopt.results.TABLE_FILES`), so that a table cut
#: short or edited is refused, not reported.
TEXT_FILE = "text_columns.json"

#: :data:`TEXT_FILE`'s record of each compared run's input hash (run name -> hash):
#: what a sensitivity or sweep beside the comparison must have been made from for the
#: deck to show its chart (:func:`compared_inputs`)
INPUTS = "input_hashes"

#: :data:`TEXT_FILE`'s record of the runs asked for that failed and are not compared
#: (each: name, source, exit_code, error; :func:`compared_failures`)
FAILED = "failed"

#: :data:`TEXT_FILE`'s record of each compared run's periods, in the runs' order (a list
#: of {run, period_table}: its manifest's ``period_table``, start year and length of each
#: period): what the charts label each period with (:func:`period_years`)
PERIODS = "period_tables"

#: :data:`TEXT_FILE`'s record of ``comparison.md``'s SHA-256 (of its UTF-8 bytes): the
#: report shows it as written by chainopt compare only if it still has it
#: (:func:`markdown_as_written`)
MARKDOWN_SHA = "comparison_md_sha256"

#: What a damaged comparison table's error tells to do.
RECOMPARE = "the comparison folder is damaged: run chainopt compare again with --overwrite"


def _text_record(folder: str | Path) -> dict:
    """The comparison ``folder``'s :data:`TEXT_FILE` record ({} if it is missing, a link,
    damaged or not a mapping: a folder written before it, or edited)."""
    spec = Path(folder) / TEXT_FILE
    if not spec.is_file() or spec.is_symlink():
        return {}
    try:
        record = parse_json(read_text(spec, str(spec), max_bytes=1 << 20))
    except (ValueError, InputError):
        return {}
    return record if isinstance(record, dict) else {}


def comparison_storage(folder: str | Path) -> Storage | None:
    """The text storage a report keeps the comparison ``folder``'s text in
    (:mod:`chainopt.case.storage`): by the rows its tables hold as :data:`TEXT_FILE`
    records them (:data:`~chainopt.results.TABLE_FILES`), Python strings for a small
    comparison, as a small run's report keeps its; None (pandas' setting) where nothing
    is recorded. The thirteen proposal scenarios' report: 0.69 -> 0.60 s."""
    files = _text_record(folder).get(TABLE_FILES)
    if not isinstance(files, dict):
        return None
    return storage_for_rows(sum(e["rows"] for e in files.values()
                                if isinstance(e, dict) and isinstance(e.get("rows"), int)))


def compared_inputs(folder: str | Path) -> dict[str, str]:
    """Each compared run's input hash, as the comparison folder records it (:data:`INPUTS`;
    none in folders written before it, or a record that is not one)."""
    record = _text_record(folder)
    hashes = record.get(INPUTS)
    return ({str(k): v for k, v in hashes.items() if isinstance(v, str)}
            if isinstance(hashes, dict) else {})


def markdown_as_written(folder: str | Path) -> str | None:
    """``comparison.md`` of the comparison ``folder`` if it is what chainopt compare wrote
    (its SHA-256 the one :data:`TEXT_FILE` records, :data:`MARKDOWN_SHA`); None if it was
    edited, is missing or a link, or the folder records no hash (written before chainopt
    recorded it)."""
    md = Path(folder) / "comparison.md"
    want = _text_record(folder).get(MARKDOWN_SHA)
    if not isinstance(want, str) or not md.is_file() or md.is_symlink():
        return None
    try:
        data = md.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != want:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def period_years(folder: str | Path) -> charts.PeriodYears:
    """The years each run of the comparison ``folder`` gives each period
    (:func:`chainopt.report.charts.period_years` of the runs' period tables that
    :data:`TEXT_FILE` records, :data:`PERIODS`), which label a chart's periods for the
    series its legend shows (:meth:`chainopt.report.charts.PeriodYears.labels`:
    ``p2026 (2026-30; proposal_nakhodka_methanol_urea: 2026-28)``). No years (bare
    names) in folders written before it, or a record that is not one."""
    record = _text_record(folder)
    runs = record.get(PERIODS)
    if not isinstance(runs, list):
        return charts.period_years([])
    tables = [r.get("period_table") if isinstance(r, dict) else None for r in runs]
    names = [str(r["run"]) if isinstance(r, dict) and isinstance(r.get("run"), str)
             else f"run {i + 1}" for i, r in enumerate(runs)]
    return charts.period_years([t if isinstance(t, list) else [] for t in tables], names)


def compared_failures(folder: str | Path) -> list[dict]:
    """The runs asked for that failed and so are not in the comparison, as its folder
    records them (:data:`FAILED`; none in folders written before it, or a record that is
    not one): each a mapping with name, source, exit_code and error."""
    record = _text_record(folder)
    failed = record.get(FAILED)
    return ([f for f in failed if isinstance(f, dict)] if isinstance(failed, list) else [])


#: a section every comparison has written since its record held each table's SHA-256
#: (:data:`TEXT_FILE`): a folder with it and no such record lost the record
SINCE_CHECKSUMS = "projects_built"


def read_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a comparison folder (``<section>.csv``), each checked against the
    bytes and rows :data:`TEXT_FILE` records and its text columns read as text. Older
    folders: every CSV there, the text columns as recorded (or as pandas guesses).
    Links are not followed: a comparison's files are its own."""
    folder = Path(folder)
    recorded: dict = {}
    spec = folder / TEXT_FILE
    if spec.is_file() and not spec.is_symlink():
        try:
            recorded = parse_json(read_text(spec, str(spec), max_bytes=1 << 20))
        except ValueError as exc:
            raise InputError([Problem(str(spec), f"damaged, not valid JSON: {exc}",
                                      RECOMPARE)]) from None
        recorded = recorded if isinstance(recorded, dict) else {}
    files = table_files(recorded, spec, RECOMPARE)
    text = recorded.get(TEXT_COLUMNS, recorded if files is None else {})
    text = text if isinstance(text, dict) else {}
    if files is None:  # written before the checksums: every CSV file there
        paths = {p.stem: p for p in sorted(folder.glob("*.csv"))
                 if p.is_file() and not p.is_symlink()}
        if SINCE_CHECKSUMS in paths:  # a table chainopt writes only beside its checksums
            raise InputError([Problem(
                str(folder), f"damaged comparison: {SINCE_CHECKSUMS}.csv is there but not "
                f"the record of its tables' SHA-256 ({TEXT_FILE}, missing or without "
                "them), so no table can be checked", RECOMPARE)])
    else:
        paths = {name: folder / entry["file"] for name, entry in files.items()}
    tables = {}
    for name, p in sorted(paths.items()):
        as_text = text.get(name)
        as_text = [str(c) for c in as_text] if isinstance(as_text, list) else None
        if files is None:
            df = pd.read_csv(io.StringIO(read_text(p, str(p), MAX_TABLE_BYTES,
                                                   what="comparison table")),
                             keep_default_na=False,
                             na_values=[""],
                             dtype=dict.fromkeys(as_text, str) if as_text else None)
            if as_text is not None and df.empty:  # no row to guess the numbers from
                df = df.astype({c: float for c in df.columns if c not in as_text})
        elif p.is_symlink() or not p.is_file():
            raise InputError([Problem(str(folder), f"comparison table {p.name} is missing "
                                      f"({TEXT_FILE} records it)", RECOMPARE)])
        else:
            df = read_table(p, files[name], as_text or [], RECOMPARE)
        # a float again, as compare made it (every number but a year), so that it prints
        # as on the terminal (400.0 beside a Δ capex of 400.0, not 400)
        tables[name] = floats_again(df, but=[c for c in df.columns if numbers.is_year(c)])
    return tables


#: the economics table's effects that are no project (no one-pager)
NOT_PROJECTS = ("inputs", "all changes")


def built_projects(tables: dict[str, pd.DataFrame]) -> list[dict]:
    """The economics rows (as dicts) of the projects built in a comparison's scenarios, in
    the table's order: one one-pager each (:func:`chainopt.report.onepager.pages`), whose
    charts are named by their place in this list."""
    eco = tables.get("economics")
    if eco is None or eco.empty or not {"scenario", "effect", "incremental NPV (MUSD)",
                                         "built"} <= set(eco.columns):
        return []
    return [r for r in eco.to_dict("records") if str(r["effect"]) not in NOT_PROJECTS
            and str(r.get("built", "")) not in ("not built", "", "nan")]


#: what chainopt writes into a comparison folder besides its tables and charts:
#: ``chainopt compare``'s record and summary, ``chainopt report``'s page, deck, its
#: preview and workbook (:mod:`chainopt.report.deck`)
COMPARISON_FILES = frozenset({"comparison.md", TEXT_FILE, "report.html", "report.pptx",
                              "report-deck.html", "comparison.xlsx"})


def check_only_comparison_files(folder: Path, shown: int = 5) -> None:
    """An OutputError if the comparison folder ``folder`` holds anything chainopt did not
    write there (a memo saved beside the tables: ``--overwrite`` deleted it without a
    word): :data:`COMPARISON_FILES`, the tables :data:`TEXT_FILE` records (every ``*.csv``
    of a folder written before it recorded them) and the charts ``chainopt report
    --png/--svg`` writes (:func:`chainopt.report.static.write_compare_static`), known by
    their names: ``report-<table>`` and ``report-<table>-delta`` for its tables and
    ``report-onepager-<i>-<scenario>-<project>`` for the projects its tables show built
    (of a folder whose tables cannot be read, these are named as not chainopt's)."""
    spec = folder / TEXT_FILE
    try:
        recorded = parse_json(read_text(spec, str(spec), max_bytes=1 << 20))
        files = table_files(recorded if isinstance(recorded, dict) else {}, spec)
    except (OSError, ValueError, InputError):
        files = None
    tables = ({e["file"] for e in files.values()} if files is not None else
              {p.name for p in folder.glob("*.csv")})
    keys = [k for t in tables for k in (Path(t).stem, f"{Path(t).stem}-delta")]
    # of tables that cannot be read, its one-pager charts cannot be told: named, not deleted
    with contextlib.suppress(InputError, KeyError, ValueError, TypeError, AttributeError,
                             IndexError):
        keys += [f"onepager-{i}-{r['scenario']}-{r['effect']}"
                 for i, r in enumerate(built_projects(read_tables(folder)))]
    charts = {f"report-{file_key(k)}.{fmt}" for k in keys for fmt in CHART_FORMATS}
    refuse_others(folder, others_in(folder, lambda e: own_file(
        e, COMPARISON_FILES | tables | charts)), "comparison", shown)


def save(sections: dict[str, pd.DataFrame], names: list[str], folder: str | Path,
         overwrite: bool = False, inputs: dict[str, str] | None = None,
         failed: list[dict] | None = None,
         periods: dict[str, list[dict]] | None = None) -> Path:
    """Write ``<section>.csv`` files, their record (:data:`TEXT_FILE`: text columns, rows
    and SHA-256; ``inputs``: each run's input hash, :data:`INPUTS`; ``failed``: the runs
    asked for that failed, :data:`FAILED`; ``periods``: each run's manifest
    ``period_table``, in the runs' order, :data:`PERIODS`) and ``comparison.md`` to
    ``folder``,
    atomically. Numbers are written as the results tables' are
    (:func:`chainopt.results.stable_floats`): the difference of two runs with the same
    plan, solved apart, is 0, not 2.9e-11."""
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise ResultsExistError(f"comparison folder {folder} exists; pass --overwrite to "
                                "replace it or --name to write elsewhere")

    def fill(tmp: Path) -> None:
        files = {key: {"file": f"{key}.csv", "rows": len(df),
                       "sha256": write_csv(stable_floats(df), tmp / f"{key}.csv",
                                           FLOAT_FORMAT)}
                 for key, df in sections.items()}
        md = (markdown(sections, names, failed) + "\n").encode("utf-8")
        (tmp / TEXT_FILE).write_text(json.dumps(
            {TEXT_COLUMNS: {key: text_columns(df) for key, df in sections.items()},
             TABLE_FILES: files, INPUTS: dict(inputs or {}), FAILED: list(failed or []),
             PERIODS: [{"run": n, "period_table": t} for n, t in (periods or {}).items()],
             MARKDOWN_SHA: hashlib.sha256(md).hexdigest()},
            indent=1, sort_keys=True) + "\n")
        (tmp / "comparison.md").write_bytes(md)

    write_folder(folder, fill, kind="comparison", overwrite=overwrite,
                 check=check_only_comparison_files)
    return folder
