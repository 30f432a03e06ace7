"""Warm sweeps (chainopt/warm.py): a variant's model from the sweep's map gives the same
answers as a cold build and solve of that variant, and whatever cannot be mapped
exactly is built cold.

The reference for every variant is the cold path, step by step: apply the change to the
raw case, validate it in full, build the model, hand it to a fresh HiGHS instance,
solve, and read the same KPIs (objective, its parts, build shares, incremental NPVs).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chainopt import api, warm
from chainopt import sweep as sw
from chainopt.case.validate import validate
from chainopt.errors import InputError
from chainopt.extract import sweep_kpis
from chainopt.models.build import build
from chainopt.solve import solve, solve_with_fixed
from tests.toycase import write_case


def cold_rows(source: str | None, settings: list[str], project_npv: bool) -> list[dict]:
    """Each grid variant's KPIs by a cold validate, build and solve."""
    raw = api.load_case(source).raw
    rows = []
    for v in sw.grid([sw.parse_set(s) for s in settings]):
        built = build(validate(sw.apply_variant(raw, list(v.changes))))
        outcome = solve(built)
        sign = -1.0 if built.case.meta.objective == "cost" else 1.0
        row = {"objective_musd": sign * outcome.objective, **sweep_kpis(built, outcome)}
        if project_npv:
            for project, cols in sw._project_columns(built).items():
                row[f"npv_{project}_incremental_musd"] = (
                    outcome.objective - solve_with_fixed(built, cols, 0.0)[0])
        rows.append(row)
    return rows


def assert_same(kpis: pd.DataFrame, cold: list[dict]) -> None:
    assert len(kpis) == len(cold)
    for (_, warm_row), ref in zip(kpis.iterrows(), cold, strict=True):
        assert warm_row["status"] == "optimal"
        for key, value in ref.items():
            assert warm_row[key] == pytest.approx(value, rel=1e-9, abs=1e-6), \
                (warm_row["variant"], key)


def sweep(tmp_path, source, settings, name, project_npv=False):
    sw._BASE.clear()  # a fresh worker's base, as a new sweep process would have
    kpis, _, _ = api.sweep(source, sets=settings, out=tmp_path, name=name, jobs=1,
                           project_npv=project_npv)
    return kpis.reset_index(drop=True)


SMALL_MAPPED = [
    ("price", ["markets.price_usd_per_unit[commodity=hdpe]*=0.7:1.3:3"]),
    ("yield", ["mode_flows.amount_per_unit[mode=cdu_run,commodity=naphtha]*=0.8:1:3"]),
    ("capacity", ["units.capacity_k_per_yr[unit=tob_cdu]=6000:8000:3"]),
    ("cost", ["supplies.cost_usd_per_unit[commodity=crude]+=-20:20:3"]),
    ("period", ["markets.price_usd_per_unit[commodity=hdpe,period=p2031]*=0.8:1.2:3"]),
    ("carbon", ["policies.carbon_price_usd_per_unit+=0:30:3"]),
    ("grid", ["markets.price_usd_per_unit[commodity=hdpe]*=0.8,1.2",
              "units.capacity_k_per_yr[unit=tob_cdu]=6000,8000"]),
]


@pytest.mark.parametrize(("name", "settings"), SMALL_MAPPED, ids=[n for n, _ in SMALL_MAPPED])
def test_mapped_variants_equal_cold_runs_small_chain(tmp_path, name, settings):
    kpis = sweep(tmp_path, "small_chain", settings, name, project_npv=True)
    assert kpis["mapped"].all(), warm._MAPS.values()
    assert not kpis["warm_start"].any()  # solved from scratch on the re-used instance
    assert_same(kpis, cold_rows("small_chain", settings, project_npv=True))


def test_warm_basis_starts_from_the_previous_variant(tmp_path):
    """``warm_basis``: the same model from the map, solved from the previous basis; the
    objective is the cold run's (the split of it may differ where several plans are
    optimal)."""
    settings = ["markets.price_usd_per_unit[commodity=hdpe]*=0.7:1.3:3"]
    sw._BASE.clear()
    kpis, _, _ = api.sweep("small_chain", sets=settings, out=tmp_path, jobs=1,
                           project_npv=False, warm_basis=True)
    assert kpis["mapped"].all() and kpis["warm_start"].all()
    cold = cold_rows("small_chain", settings, project_npv=False)
    assert list(kpis["objective_musd"]) == pytest.approx(
        [c["objective_musd"] for c in cold], rel=1e-9)


def test_mapped_variants_equal_cold_runs_default_case(tmp_path):
    settings = ["markets.price_usd_per_unit[commodity=hdpe]*=0.8:1.2:3"]
    kpis = sweep(tmp_path, None, settings, "price", project_npv=True)
    assert kpis["mapped"].all(), warm._MAPS.values()
    assert_same(kpis, cold_rows(None, settings, project_npv=True))


def test_mapped_grid_of_cost_and_capacity_equals_cold_runs_default_case(tmp_path):
    settings = ["supplies.cost_usd_per_unit[site=wsib,commodity=crude]*=0.9,1.1",
                "units.capacity_k_per_yr[unit=amur_gpp]=30000,42000"]
    kpis = sweep(tmp_path, None, settings, "grid")
    assert kpis["mapped"].all(), warm._MAPS.values()
    assert_same(kpis, cold_rows(None, settings, project_npv=False))


FALLBACK = [
    # 0 builds no expansion columns, 500 does: the structure changes inside the range
    ("structure", ["units.max_new_k_per_yr[unit=tob_cdu]=0,500"], "structure"),
    # a lifetime is not a price, cost, bound or coefficient
    ("lifetime", ["units.lifetime_yr[unit=tob_pe]=20,25"], "not a price"),
    # raw gas costs 20: -40 .. 0 added crosses zero inside the range
    ("sign", ["supplies.cost_usd_per_unit[commodity=raw_gas]+=-40:0:3"], "sign"),
    # a capacity of -1 is not a valid case: no probe there, every variant built cold
    ("invalid", ["units.capacity_k_per_yr[unit=tob_cdu]=-1,8000"], "not a valid case"),
    # the CDU's outputs are 0.97 t/t: naphtha x1.2 (0.204) makes more mass than goes in
    ("mass", ["mode_flows.amount_per_unit[mode=cdu_run,commodity=naphtha]*=0.8:1.4:4"],
     "not a valid case"),
]


@pytest.mark.parametrize(("name", "settings", "why"), FALLBACK, ids=[f[0] for f in FALLBACK])
def test_what_cannot_be_mapped_is_built_cold(tmp_path, name, settings, why):
    kpis = sweep(tmp_path, "small_chain", settings, name)
    assert not kpis["mapped"].any()
    reasons = [w for w in warm._MAPS.values() if isinstance(w, str)]
    assert any(why in r for r in reasons), reasons
    ok = kpis[kpis["status"] == "optimal"].index
    raw = api.load_case("small_chain").raw
    variants = sw.grid([sw.parse_set(s) for s in settings])
    for i in ok:
        case = validate(sw.apply_variant(raw, list(variants[i].changes)))
        assert kpis.loc[i, "objective_musd"] == pytest.approx(
            api.run(case, save=False).objective, rel=1e-9)
    if name == "invalid":  # the bad variant is recorded with the validator's message
        assert kpis.loc[0, "status"] == "InputError"
        assert "units.csv row 2, column capacity_k_per_yr" in kpis.loc[0, "message"]
    if name == "mass":
        assert list(kpis["status"]) == ["optimal", "optimal", "InputError", "InputError"]
        assert "mode 'cdu_run' creates mass" in kpis.loc[2, "message"]


@pytest.mark.parametrize("change", [
    {"table": "units", "where": {"unit": "tob_cdu"}, "set": {"capacity_k_per_yr": -1.0}},
    {"table": "markets", "where": {"commodity": "hdpe"}, "period": "p2031",
     "set": {"price_usd_per_unit": 2e15}},
    {"table": "markets", "where": {"commodity": "hdpe"}, "scale": {"max_k_per_yr": -2.0}},
], ids=["capacity", "by_period", "scaled"])
def test_cell_checks_raise_what_full_validation_raises(change):
    """The mapped path validates only the tables a sweep changes, with the validator's
    own cell checks: the same problems, in the same order, as a full validation."""
    raw = api.load_case("small_chain").raw
    variant = sw.apply_variant(raw, [change])
    with pytest.raises(InputError) as full:
        validate(variant)
    tables = {change["table"], change["table"] + "_by_period"}
    assert not warm.cells_pass(raw, variant, tables)  # so the cell checks run
    with pytest.raises(InputError) as cells:
        warm.check_cells(variant, tables, ["p2026", "p2031", "p2036"])
    assert [str(p) for p in cells.value.problems] == [str(p) for p in full.value.problems]


def test_span_covers_the_variants_to_run():
    variants = sw.grid([sw.parse_set("markets.price_usd_per_unit[commodity=hdpe]*=0.7:1.3:4"),
                        sw.parse_set("supplies.cost_usd_per_unit+=5,-5")])
    span = sw.span_of(variants)
    assert span is not None
    assert span.lo == pytest.approx((0.7, -5.0)) and span.hi == pytest.approx((1.3, 5.0))
    assert [t[0] for t in span.targets] == ["markets", "supplies"]
    mixed = [variants[0], sw.grid([sw.parse_set("markets.max_k_per_yr=1,2")])[0]]
    assert sw.span_of(mixed) is None


def test_cells_in_range_pass_without_the_validator():
    raw = api.load_case("small_chain").raw
    ok = sw.apply_variant(raw, [{"table": "markets", "where": {"commodity": "hdpe"},
                                 "scale": {"price_usd_per_unit": 1.1,
                                           "max_k_per_yr": 0.5}}])
    assert warm.cells_pass(raw, ok, {"markets", "markets_by_period"})


# crude bought at one site and sold there (the objective grows with the price)
ONE_SITE = {
    "commodities": "commodity,unit,kind\ncrude,t,raw",
    "sites": "site\na",
    "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,50",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\na,crude,200,100",
}


@pytest.fixture
def probes(monkeypatch) -> list:
    """The values of each probe made from here on, by a process that keeps no map."""
    warm.forget()
    calls: list = []
    real = warm._probe
    monkeypatch.setattr(warm, "_probe", lambda *a: calls.append(a[-1]) or real(*a))
    return calls


def test_a_source_changed_between_sweeps_is_mapped_again(tmp_path):
    """Two sweeps of one case folder in one process, the folder edited in between: the
    second sweep's answers are the edited case's (the worker's base and map are made
    again from the case the sweep loaded)."""
    tables = ONE_SITE
    folder = write_case(tmp_path / "case", tables)
    settings = ["markets.price_usd_per_unit=200,300"]
    first, _, _ = api.sweep(str(folder), sets=settings, out=tmp_path, name="one", jobs=1)
    write_case(tmp_path / "case", {**tables, "supplies": tables["supplies"].replace(
        "100,50", "150,50")})
    second, _, _ = api.sweep(str(folder), sets=settings, out=tmp_path, name="two", jobs=1)
    assert second["mapped"].all()
    cold = cold_rows(str(folder), settings, project_npv=False)
    assert list(second["objective_musd"]) == pytest.approx(
        [c["objective_musd"] for c in cold], rel=1e-9)
    assert (second["objective_musd"] < first["objective_musd"]).all()


def test_a_sweep_of_the_same_inputs_again_reuses_its_map(tmp_path, probes):
    """The map is kept by the content of the case and the span, not by the source's
    name: a sweep of a copy of the same case folder makes no probe (and no cold build)
    and gives the same answers; another span, or the copy edited, is probed afresh.

    By hand: the site buys all the 50 kt/yr its supply offers at 100 USD/t (the market
    takes up to 100) and sells it at 200 x f: a margin of 140, 200, 260 USD/t at f =
    1.2, 1.5, 1.8. One 1-year period at a discount rate of 0 (``write_case``), so the
    objective is 50 kt x margin = 0.05 MUSD per USD/t: 7, 10, 13 MUSD. With the supply
    at 150 USD/t the margins are 90, 150, 210: 4.5, 7.5, 10.5 MUSD."""
    import shutil

    tables = ONE_SITE
    one = write_case(tmp_path / "one", tables)
    two = Path(shutil.copytree(one, tmp_path / "two"))

    def swept(folder: Path, setting: str, name: str) -> pd.DataFrame:
        kpis, _, _ = api.sweep(str(folder), sets=[setting], out=tmp_path, name=name, jobs=1)
        assert kpis["mapped"].all()
        return kpis

    # 200 x 1.2..1.8: the low and high ends and the midpoint (x1 is not inside)
    first = swept(one, "markets.price_usd_per_unit*=1.2:1.8:3", "first")
    assert len(probes) == 3

    def margins(*usd_per_t: float):  # 50 kt x the margin, in MUSD
        return pytest.approx([0.05 * m for m in usd_per_t], rel=1e-9)

    assert list(first["objective_musd"]) == margins(140, 200, 260)
    again = swept(two, "markets.price_usd_per_unit*=1.2:1.8:3", "again")
    assert len(probes) == 3  # the copy's content is the same: its map is kept
    assert list(again["objective_musd"]) == list(first["objective_musd"])
    wider = swept(two, "markets.price_usd_per_unit*=1.2:2.4:3", "wider")
    assert len(probes) == 6  # another span
    assert list(wider["objective_musd"]) == margins(140, 260, 380)
    write_case(tmp_path / "two", {**tables, "supplies": tables["supplies"].replace(
        "100,50", "150,50")})
    edited = swept(two, "markets.price_usd_per_unit*=1.2:1.8:3", "edited")
    assert len(probes) == 9  # another content
    assert list(edited["objective_musd"]) == margins(90, 150, 210)
    assert (edited["objective_musd"] < first["objective_musd"]).all()


@pytest.mark.parametrize(("setting", "made"), [
    ("markets.price_usd_per_unit[commodity=hdpe]*=0.7:1.3:5", 2),  # x1 inside: no midpoint
    ("markets.price_usd_per_unit[commodity=hdpe]*=1.1:1.3:5", 3),
    ("supplies.cost_usd_per_unit[commodity=crude]+=-20:20:3", 2),  # +0 inside
])
def test_the_unchanged_model_replaces_the_midpoint_probe(tmp_path, probes, setting, made):
    kpis = sweep(tmp_path, "small_chain", [setting], "probes")
    assert kpis["mapped"].all() and len(probes) == made
    assert_same(kpis, cold_rows("small_chain", [setting], project_npv=False))


def test_yield_variants_are_validated_whole_only_when_not_every_corner_is_probed():
    """The mass balance holds on a convex set of yields: with one or two targets every
    corner of the swept box is a validated probe; with three it is not."""
    raw = api.load_case("small_chain").raw
    sets = ["mode_flows.amount_per_unit[mode=cdu_run,commodity=naphtha]*=0.8,1",
            "markets.price_usd_per_unit[commodity=hdpe]*=0.8,1.2",
            "supplies.cost_usd_per_unit[commodity=crude]*=0.9,1.1"]
    for k, whole in ((1, False), (2, False), (3, True)):
        variants = sw.grid([sw.parse_set(s) for s in sets[:k]])
        span = sw.span_of(variants)
        wm = warm.make_map(raw, variants[0].changes, span.targets, span.lo, span.hi)
        assert wm.full_check is whole


def test_cli_warm_basis_is_recorded_and_a_resume_goes_on_from_bases(tmp_path):
    """``chainopt sweep --warm-basis``: each variant starts from the basis before it
    (solves.csv, warm_start), with the cold runs' objectives; sweep.json records it, so
    that ``--resume`` goes on alike, and ``--warm-basis`` given again to a resume is
    refused like any other request. A sweep started without it records nothing (its
    sweep.json as before), and a sweep.json saying anything but true or false is
    damaged."""
    import json

    from typer.testing import CliRunner

    from chainopt.cli import app

    setting = "markets.price_usd_per_unit[commodity=hdpe]*=0.7:1.3:3"

    def cli(*args: str):
        sw._BASE.clear()  # a fresh worker, as a new sweep process would have
        return CliRunner().invoke(app, ["sweep", *args])

    done = cli("small_chain", "--set", setting, "--jobs", "1", "--out", str(tmp_path),
               "--name", "warm", "--warm-basis")
    assert done.exit_code == 0, done.output
    folder = tmp_path / "sweep-warm"
    assert json.loads((folder / "sweep.json").read_text())["warm_basis"] is True
    assert pd.read_csv(folder / "solves.csv")["warm_start"].all()
    cold = [c["objective_musd"] for c in cold_rows("small_chain", [setting], False)]
    assert list(pd.read_csv(folder / "kpis.csv")["objective_musd"]) == pytest.approx(
        cold, rel=1e-9)
    sorted((folder / "parts").glob("*.csv"))[-1].unlink()  # as if interrupted
    again = cli("--resume", str(folder), "--jobs", "1")
    assert again.exit_code == 0, again.output
    assert pd.read_csv(folder / "solves.csv")["warm_start"].all()
    assert list(pd.read_csv(folder / "kpis.csv")["objective_musd"]) == pytest.approx(
        cold, rel=1e-9)
    refused = cli("--resume", str(folder), "--warm-basis")
    assert refused.exit_code == 1
    assert "not from --warm-basis" in " ".join(refused.output.split())

    plain = cli("small_chain", "--set", setting, "--jobs", "1", "--out", str(tmp_path),
                "--name", "cold")
    assert plain.exit_code == 0, plain.output
    assert "warm_basis" not in json.loads((tmp_path / "sweep-cold" / "sweep.json").read_text())
    assert not pd.read_csv(tmp_path / "sweep-cold" / "solves.csv")["warm_start"].any()

    meta = json.loads((folder / "sweep.json").read_text())
    (folder / "sweep.json").write_text(json.dumps({**meta, "warm_basis": "yes"}))
    damaged = cli("--resume", str(folder))
    assert damaged.exit_code == 1
    assert "damaged: 'warm_basis' is 'yes', not true or false" in " ".join(
        damaged.output.split())
