"""Write tiny hand-checkable cases from CSV snippets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

from chainopt import api
from chainopt.case.load import load_case


def write_case(folder: Path, tables: dict[str, str], **meta) -> Path:
    """A case folder with ``tables`` (name -> CSV text) and ``case.yaml`` from ``meta``.

    Defaults: one 1-year period ``p1`` starting 2026, discount rate 0, soft floors.
    """
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"format_version": 1, "name": "toy", "base_year": 2026, "discount_rate": 0.0,
           "periods": [{"period": "p1", "start_year": 2026, "length_yr": 1}]}
    doc.update(meta)
    (folder / "case.yaml").write_text(yaml.safe_dump(doc))
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(textwrap.dedent(text).strip() + "\n")
    return folder


def solve_case(folder: Path, **meta_tables):
    """Load, build, solve and extract a case folder; return the Results."""
    case = load_case(folder)
    built = api.build_model(case)
    outcome = api.solve(built)
    return api.extract_results(built, outcome)


def value(df, **where) -> float:
    """The single row of ``df`` matching ``where`` -> that row (as a Series)."""
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"expected one row for {where}, found {len(sel)}"
    return sel.iloc[0]
