"""The family registry is complete: every variable and row family the model ends up with
is declared in its family module's SPEC, with every field filled, and every declared
family exists (is built on a shipped case, a scenario or the toy case below)."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import chainopt.models
from chainopt import api
from chainopt.case.scenario import load_source
from chainopt.models import balance, registry
from chainopt.models.build import build
from chainopt.models.spec import REQUIRED, FamilySpec, Row, Var
from tests.toycase import write_case

ROOT = Path(__file__).resolve().parents[2]
# the shipped cases and examples, and of the 31 shipped scenarios the two that build
# every family a scenario adds to its case (a project built once, a life extension, a
# project requiring another; checked when chosen: the other 29 add none beyond these)
SHIPPED = ["small_chain", "ru_eastwest", *sorted(str(p) for p in (ROOT / "examples").iterdir()
                                                 if (p / "case.yaml").is_file()),
           *(str(ROOT / "scenarios" / f"{s}.yaml") for s in ("ru_all_projects",
                                                             "small_port_expansion"))]
# the families no shipped case uses: a blend with a capacity, an emission cap, a
# project that may be built in part, projects that exclude each other, two projects
# retiring one unit, free disposal, hard demand, a recipe blend, a capture unit
TOY = {
    "commodities": "commodity,unit,kind,disposal\nfeed,t,raw,\nfeed2,t,raw,\nfuel,t,product,true\n"
                   "co2,t,emission,",
    "demand": "site,commodity,amount_k_per_yr\nplant,fuel,1",
    "sites": "site\nplant",
    "modes": "mode,process\nburn,boiler\ncatch,ccs",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nburn,feed,in,1\nburn,fuel,out,1\n"
                  "burn,co2,out,0.5\ncatch,co2,in,1\ncatch,feed2,in,0.1",
    "projects": "project,capex_musd,all_or_nothing,excludes,retires_units\n"
                "boiler2,1,false,boiler3,b1\nboiler3,1,true,,b1",
    "units": "unit,site,process,capacity_k_per_yr,project\nb1,plant,boiler,10,\n"
             "b2,plant,boiler,10,boiler2\nb3,plant,boiler,10,boiler3\nc1,plant,ccs,1,",
    "supplies": "site,commodity,tier,cost_usd_per_unit,max_k_per_yr\nplant,feed,1,10,5\n"
                "plant,feed2,1,20,\nplant,feed,2,30,",
    "markets": "site,commodity,tier,price_usd_per_unit,min_k_per_yr\nplant,fuel,1,100,\n"
               "plant,fuel,2,50,1",
    "blends": "blend,site,product,components,basis,capacity_k_per_yr,shares\n"
              "mix,plant,fuel,feed,mass,5,\nrecipe,plant,fuel,feed;feed2,recipe,,2;1",
    "policies": "commodity,site,cap_k_per_yr\nco2,,4",
}


def _family_modules():
    """Every module of chainopt.models with an ``add`` function: a constraint family."""
    for info in pkgutil.iter_modules(chainopt.models.__path__):
        mod = importlib.import_module(f"chainopt.models.{info.name}")
        if callable(getattr(mod, "add", None)):
            yield mod


@pytest.fixture(scope="module")
def built_models(tmp_path_factory):
    toy = write_case(tmp_path_factory.mktemp("toy"), TOY)
    # a split period's shared build limits: small_chain's tob_pe, and crude_pipe made
    # expandable, with p2031 split at 2033
    split = api.change_case(load_source("small_chain"), [
        {"table": "links", "where": {"link": "crude_pipe"}, "set": {"max_new_k_per_yr": 100}},
        {"split": "p2031", "at": 2033}], "split")
    return [build(case, pyomo=False) for case in
            [*(load_source(src) for src in [*SHIPPED, str(toy)]), split]]


def test_every_family_module_is_registered():
    mods = list(_family_modules())
    assert {m.__name__ for m in mods} == {m.__name__ for m in (*registry.FAMILIES, balance)}
    for mod in mods:
        assert isinstance(mod.SPEC, FamilySpec), mod.__name__
        assert mod.SPEC in registry.SPECS


def test_every_spec_has_its_fields_filled():
    for spec in registry.SPECS:
        assert spec.block and spec.inputs
        for part in (*spec.variables, *spec.rows):
            for f in REQUIRED:
                assert getattr(part, f), f"{part.label}: {f} is empty"
            if isinstance(part, Var) and part.cost is not None:
                assert all(dataclasses.astuple(part.cost)), part.label
            if isinstance(part, Var) and part.bound is not None:
                assert part.bound.side in ("upper", "lower") and part.bound.phrase, part.label
            if isinstance(part, Row) and (part.ranging or part.elastic):
                assert part.what, part.label


def test_an_incomplete_spec_is_refused():
    with pytest.raises(ValueError, match="empty noun"):
        Var("supply", "purchase", dims=("site",), noun="", categories=(), results="purchases")
    with pytest.raises(ValueError, match="value unit"):
        Row("supply", "x", dims=("site",), sense="<=", noun="x", results="constraints",
            value_unit="USD per t")
    with pytest.raises(ValueError, match="sense"):
        Row("supply", "x", dims=("site",), sense="<", noun="x", results="constraints")
    with pytest.raises(ValueError, match="declared in family"):
        FamilySpec("market", inputs="markets.csv", rows=(balance.COMMODITY,))


def test_built_families_are_registered_with_their_keys_sense_and_categories(built_models):
    """Every family in the programme has a spec whose dims are its key columns, whose sense
    matches its row bounds and whose cost categories cover its objective terms."""
    for built in built_models:
        lp, a = built.lp, built.arrays
        assert registry.unregistered(lp) == []
        for fam in lp.row_families:
            spec = registry.row(fam.label)
            lo, hi = a.row_lb[fam.start:fam.stop], a.row_ub[fam.start:fam.stop]
            if spec.sense == "<=":
                assert np.isneginf(lo).all(), fam.label
            elif spec.sense == ">=":
                assert np.isposinf(hi).all(), fam.label
            elif spec.sense == "=":
                assert (lo == hi).all(), fam.label
        starts = np.array([f.start for f in lp.var_families])
        for cols, coefs, category, *_ in lp.objective_terms:  # (+ period, once attributed)
            for i in np.unique(np.searchsorted(starts, cols[coefs != 0], side="right") - 1):
                fam = lp.var_families[i]
                assert category in registry.var(fam.label).categories, (fam.label, category)


def test_every_registered_family_exists(built_models):
    seen = {f.label for b in built_models for f in (*b.lp.var_families, *b.lp.row_families)
            if f.stop > f.start}
    declared = set(registry.VARIABLES) | set(registry.ROWS)
    assert declared - seen == set(), "declared but never built"


def test_results_tables_named_by_specs_exist():
    res = api.run("small_chain", save=False)
    for spec in (*registry.VARIABLES.values(), *registry.ROWS.values()):
        assert spec.results in res.tables, (spec.label, spec.results)


def test_capacity_rows_are_a_typed_handle(built_models):
    """Conversion and transport hand their capacity rows to investment as CapacityRows;
    a row id looked up through the handle is the row of that (asset, period)."""
    lp = built_models[0].lp
    assert lp.unit_capacity.family.label == "conversion.capacity_max"
    assert lp.link_capacity.family.label == "transport.capacity_max"
    keys = lp.unit_capacity.family.keys
    ids = lp.unit_capacity.rows(keys.rename(columns={"period": "use_period"}),
                                period="use_period")
    assert (ids == np.arange(lp.unit_capacity.family.start, lp.unit_capacity.family.stop)).all()
    missing = keys.head(1).assign(unit="no_such_unit")
    assert lp.unit_capacity.rows(missing).tolist() == [-1]


SITE_CAP = '''"""A per-site throughput cap (the README's worked example)."""
from chainopt.models.spec import FamilySpec

SPEC = FamilySpec(block="site_cap", inputs="site_caps.csv")


def add(lp, ix):
    pass
'''


def test_a_family_module_left_out_of_families_stops_the_build(tmp_path, monkeypatch):
    """A family module (top-level ``SPEC`` and ``add``) not listed in ``FAMILIES`` was
    silent: its table was validated and then ignored (a site cap of 60 kt/yr left the
    toy at its uncapped 9.4 MUSD instead of 8.2, exit 0); only a test of the registry
    caught it. Now the modules' text is read at the first build and such a module stops
    it, named, with what to do. The shipped modules are all listed; a copy of them plus
    ``site_cap.py`` (and a helper without ``add``, which is no family) finds site_cap."""
    from pathlib import Path

    from chainopt.models import build as build_mod

    assert registry.unlisted_families() == []
    folder = tmp_path / "models"
    folder.mkdir()
    for path in Path(registry.__file__).parent.glob("*.py"):
        (folder / path.name).write_text(path.read_text())
    (folder / "site_cap.py").write_text(SITE_CAP)
    (folder / "helper.py").write_text("SPEC = None\n")
    assert registry.unlisted_families(folder) == ["site_cap"]
    monkeypatch.setattr(build_mod, "unlisted_families", lambda: ["site_cap"])
    build_mod.KEPT.clear()  # (a model kept by an earlier build would skip the check)
    with pytest.raises(RuntimeError, match=r"chainopt/models/site_cap.py; add each to "
                       r"FAMILIES"):
        api.build_model(api.load_case("small_chain"))


def _readme_model_table() -> dict[str, str]:
    """The README's model table (*What it models*): the family module's name -> the text
    of its row, every ``a/b/c`` group of names spelt out (``unit_new_max/min`` ->
    ``unit_new_max unit_new_min``, ``spec_min/spec_max`` -> ``spec_min spec_max``)."""
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = text.split("## What it models", 1)[1].split("\n\n")[2]
    out = {}
    for line in table.splitlines()[2:]:
        cells = line.split("|")
        family = cells[1].strip().strip("`")

        def spell(m: re.Match[str]) -> str:
            first, *rest = m.group(0).split("/")
            stem = first.rsplit("_", 1)[0]
            return " ".join([first, *(r if "_" in r else f"{stem}_{r}" for r in rest)])

        out[family] = re.sub(r"[a-z_]+(?:/[a-z_]+)+", spell, "|".join(cells[2:]))
    return out


def test_readme_model_table_names_every_registered_family():
    """Every variable and row family the registry declares is named, as a word, in the
    line of its family module in the README's model table: the table is written by
    hand, and it left out ``investment.project_share`` (every divisible project's
    variable) and the market's tier-2+ ``shortfall_tier`` and ``demand_min_tier``."""
    import re

    table = _readme_model_table()
    assert set(table) == {m.__name__.rsplit(".", 1)[1] for m in (*registry.FAMILIES, balance)}
    modules = {m.SPEC.block: m.__name__.rsplit(".", 1)[1]
               for m in (*registry.FAMILIES, balance)}
    missing = [label for label in (*registry.VARIABLES, *registry.ROWS)
               if not re.search(rf"\b{label.split('.', 1)[1]}\b",
                                table[modules[label.split('.', 1)[0]]])]
    assert missing == []


def test_shipped_blocks_are_the_registered_ones():
    """``SHIPPED_BLOCKS`` lists the families chainopt ships, which explain keeps out of a
    netback's rest (it was a hand-kept copy in report/explain.py): as shipped, it is
    every registered block. A family shipped with chainopt goes in both FAMILIES and
    SHIPPED_BLOCKS; one of your own only in FAMILIES (then list it here as added)."""
    added: set[str] = set()  # blocks of families added to this copy of chainopt
    assert set(registry.BLOCKS) - added == registry.SHIPPED_BLOCKS


def test_every_bound_a_user_relaxes_names_the_table_and_column_stating_it():
    """Review infeas F4: a diagnosis names the file and row of each bound it lists
    (:func:`chainopt.diagnose.names.stated_in`), through its family's ``source``: every
    row family carrying a user-set bound (``what``) and every column bound but a life
    extension's limit (made from several columns of units.csv) declares one, a column
    its input table has, keyed by dimensions the table has."""
    from chainopt.case.schema import TABLES

    parts = [(r.label, r.what, r.dims, r.source) for r in registry.ROWS.values() if r.what]
    parts += [(v.label, v.bound.what, v.dims, v.bound.source)
              for v in registry.VARIABLES.values()
              if v.bound is not None and v.bound.what != "extension limit"]
    assert len(parts) >= 12
    for label, what, dims, source in parts:
        assert source is not None, (label, what)
        table, column = source
        columns = {c.name for c in TABLES[table].columns}
        assert column in columns, (label, source)
        assert set(dims) - {"period"} <= columns, (label, dims, table)
