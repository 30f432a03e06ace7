"""Item 10 of issue 13: property-based fuzzing of the whole CLI path (hypothesis).

Three generators feed ``chainopt run CASE --out OUT --name fz``:

* random corruptions of the shipped ``small_chain`` case: a cell replaced by junk (never
  a blank, which could legally lift a limit), a required column dropped, a row dropped or
  duplicated, a header named twice, a file deleted, truncated to fewer lines or
  replaced by random bytes, a ``case.yaml`` key set to junk;
* random corruptions of small_chain as a workbook (``chainopt convert``): a cell set to
  junk, a formula, a date or a boolean, a sheet deleted or renamed, a row or column
  inserted, a header duplicated, cells merged;
* random small chains: 1-3 sites, crude bought with a finite limit, optionally refined
  into a product, sold at markets and shipped on links; the numbers are drawn from
  ranges that stray outside the valid ones now and then.

The property: every outcome is either exit 0 with a complete results folder whose
balances close (purchases + production + deliveries = consumption + shipments + sales at
every site, commodity and period, recomputed from the CSV tables), or exit 1 with a
message naming a file or key, and nothing written. Never a traceback (an uncaught
exception in CliRunner), a hang (every run has a 60 s solver limit) or a partial write.
Examples are derandomized, so CI sees the same ones every time.
"""

from __future__ import annotations

import datetime
import functools
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from chainopt import api
from chainopt.case.schema import TABLES
from chainopt.results import Results
from tests.hardening.conftest import SMALL, cli
from tests.test_invariants import _net

JUNK = ["abc", "nan", "inf", "-1e999", "1,5", "=1+1", "../x", "Zürich", "x" * 300, "-",
        "\x00", '"', "1e400", "true", "p9999", "🙂"]
FILES = sorted(p.name for p in SMALL.iterdir() if p.suffix in (".csv", ".yaml"))
FUZZ = settings(max_examples=40, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def _check_outcome(case: Path, out: Path) -> tuple[int, str]:
    code, text = cli("run", case, "--out", out, "--name", "fz", "--time-limit", "60")
    event(f"exit {code}")
    assert code in (0, 1), f"exit {code}: {text}"
    if code == 1:
        assert text.startswith("error:"), text
        assert re.search(r"\.csv|\.yaml|\.xlsx|case|sheet|key|![A-Z]*\d", text), \
            f"error not located: {text}"
        assert not out.exists() or list(out.iterdir()) == [], "partial write after an error"
        return code, text
    assert sorted(p.name for p in out.iterdir()) == ["fz"], "stray files next to the results"
    res = Results.load(out / "fz")
    assert res.manifest["status"] in ("optimal", "feasible")
    net = _net(res)
    scale = 1 + sum(float(res[t][c].abs().max()) if len(res[t]) else 0.0 for t, c in
                    (("production", "produced_k_per_yr"), ("purchases", "purchase_k_per_yr")))
    assert np.abs(net.to_numpy()).max(initial=0.0) < 1e-6 * scale, net[net.abs() > 1e-9]
    return code, text


@st.composite
def corruption(draw):
    """(file, kind, parameters) of one corruption of small_chain."""
    name = draw(st.sampled_from(FILES))
    if name == "case.yaml":
        key = draw(st.sampled_from(["name", "base_year", "discount_rate", "periods",
                                    "description", "demand_floors", "solver", "bogus"]))
        return name, "yaml", {"key": key, "junk": draw(st.sampled_from(JUNK))}
    kind = draw(st.sampled_from(["cell", "cell", "cell", "drop_required", "drop_row",
                                 "duplicate_row", "dup_header", "delete", "truncate",
                                 "bytes"]))
    return name, kind, {"i": draw(st.integers(0, 1000)), "j": draw(st.integers(0, 1000)),
                        "junk": draw(st.sampled_from(JUNK)),
                        "bytes": draw(st.binary(min_size=1, max_size=64))}


def _corrupt(case: Path, name: str, kind: str, p: dict) -> None:
    path = case / name
    if kind == "yaml":
        meta = yaml.safe_load(path.read_text())
        meta[p["key"]] = p["junk"]
        path.write_text(yaml.safe_dump(meta, allow_unicode=True))
        return
    if kind == "delete":
        path.unlink()
        return
    if kind == "bytes":
        path.write_bytes(p["bytes"])
        return
    if kind == "truncate":
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:p["i"] % max(len(lines), 1)]))
        return
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = TABLES.get(path.stem.removesuffix("_by_period"))
    if kind == "cell" and len(df):
        df.iloc[p["i"] % len(df), p["j"] % len(df.columns)] = p["junk"]
    elif kind == "drop_required" and table is not None:
        required = [c for c in df.columns if c in table.column_map and
                    (table.column_map[c].required or c in table.key)]
        if required:
            df = df.drop(columns=required[p["j"] % len(required)])
    elif kind == "drop_row" and len(df) and path.stem != "mode_flows":
        df = df.drop(index=df.index[p["i"] % len(df)])
    elif kind == "duplicate_row" and len(df):
        df = pd.concat([df, df.iloc[[p["i"] % len(df)]]])
    elif kind == "dup_header" and len(df.columns) > 1:
        names = list(df.columns)
        names[1 + p["j"] % (len(names) - 1)] = names[0]
        df.columns = names
    df.to_csv(path, index=False)


@FUZZ
@given(corruption())
def test_corrupted_small_chain(c):
    name, kind, params = c
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "case"
        shutil.copytree(SMALL, case)
        _corrupt(case, name, kind, params)
        _check_outcome(case, Path(tmp) / "out")


CELL_JUNK = [j for j in JUNK if j.isprintable()] + ["=1/0", "=A1*2", True,
                                                  datetime.datetime(2026, 1, 1), -1.5]


@st.composite
def workbook_corruption(draw):
    """(kind, sheet index, row, column, junk) of one corruption of small_chain.xlsx."""
    return (draw(st.sampled_from(["cell", "cell", "cell", "delete_sheet", "rename_sheet",
                                  "insert_row", "insert_col", "dup_header", "merge"])),
            draw(st.integers(0, 100)), draw(st.integers(1, 12)), draw(st.integers(1, 12)),
            draw(st.sampled_from(CELL_JUNK)))


@functools.cache
def _small_chain_workbook() -> bytes:
    """small_chain as a workbook (``chainopt convert``), converted once: each example
    corrupts a copy of these bytes (each conversion writes the same workbook)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "small_chain.xlsx"
        api.convert(SMALL, path)
        return path.read_bytes()


@settings(FUZZ, max_examples=20)
@given(workbook_corruption())
def test_corrupted_workbook(c):
    kind, sheet, row, col, junk = c
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "small_chain.xlsx"
        path.write_bytes(_small_chain_workbook())
        wb = load_workbook(path)
        ws = wb.worksheets[sheet % len(wb.worksheets)]
        if kind == "cell":
            ws.cell(row, col).value = junk
        elif kind == "delete_sheet":
            del wb[ws.title]
        elif kind == "rename_sheet":
            ws.title = f"{ws.title}x"
        elif kind == "insert_row":
            ws.insert_rows(row)
        elif kind == "insert_col":
            ws.insert_cols(col)
        elif kind == "dup_header" and ws.max_column > 1:
            ws.cell(1, 2).value = ws.cell(1, 1).value
        elif kind == "merge":
            ws.merge_cells(start_row=row, start_column=1, end_row=row + 1, end_column=col)
        wb.save(path)
        _check_outcome(path, Path(tmp) / "out")


@st.composite
def small_chain(draw):
    """The tables of a random small chain (CSV text)."""
    n = draw(st.integers(1, 3))
    sites = [f"s{i}" for i in range(n)]
    num = st.floats(-5, 1000, allow_nan=False).map(lambda x: f"{x:.6g}")
    pos = st.floats(0, 1000, allow_nan=False).map(lambda x: f"{x:.6g}")
    tables = {"commodities": "commodity,unit,kind\ncrude,t,raw\nfuel,t,product",
              "sites": "site\n" + "\n".join(sites)}
    sup = [f"{s},crude,{draw(pos)},{draw(pos)}" for s in draw(st.lists(
        st.sampled_from(sites), min_size=1, max_size=n, unique=True))]
    tables["supplies"] = "site,commodity,cost_usd_per_unit,max_k_per_yr\n" + "\n".join(sup)
    mk = [f"{s},{c},{draw(num)},{draw(st.sampled_from(['', '50', '500']))}"
          for s in draw(st.lists(st.sampled_from(sites), min_size=1, max_size=n, unique=True))
          for c in draw(st.lists(st.sampled_from(["crude", "fuel"]), min_size=1, unique=True))]
    tables["markets"] = "site,commodity,price_usd_per_unit,max_k_per_yr\n" + "\n".join(mk)
    if draw(st.booleans()):
        site = draw(st.sampled_from(sites))
        yld = draw(st.floats(0.1, 1.2, allow_nan=False))
        tables["modes"] = "mode,process,variable_cost_usd_per_unit\nrefine,refinery," + \
            draw(pos)
        tables["mode_flows"] = ("mode,commodity,direction,amount_per_unit\n"
                                f"refine,crude,in,1\nrefine,fuel,out,{yld:.4g}")
        tables["units"] = f"unit,site,process,capacity_k_per_yr\nref1,{site},refinery,{draw(pos)}"
    if n > 1:
        pairs = draw(st.lists(st.tuples(st.sampled_from(sites), st.sampled_from(sites)),
                              max_size=3, unique=True))
        rows = [f"l{i},{a},{b},crude;fuel,{draw(st.sampled_from(['', '100']))},{draw(pos)},"
                f"{draw(st.floats(0, 0.6)):.3g}" for i, (a, b) in enumerate(pairs)]
        if rows:
            tables["links"] = ("link,from_site,to_site,commodities,capacity_k_per_yr,"
                               "cost_usd_per_unit,loss_fraction\n" + "\n".join(rows))
    periods = draw(st.integers(1, 2))
    meta = {"format_version": 1, "name": "fuzz", "base_year": 2026,
            "discount_rate": draw(st.sampled_from([0.0, 0.08])),
            "periods": [{"period": f"p{i}", "start_year": 2026 + 5 * i, "length_yr": 5}
                        for i in range(periods)]}
    return meta, tables


@settings(FUZZ, max_examples=20)
@given(small_chain())
def test_random_small_chains(chain):
    meta, tables = chain
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "case"
        case.mkdir()
        (case / "case.yaml").write_text(yaml.safe_dump(meta))
        for name, text in tables.items():
            (case / f"{name}.csv").write_text(text + "\n")
        _check_outcome(case, Path(tmp) / "out")
