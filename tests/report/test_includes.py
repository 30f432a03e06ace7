"""A project whose value includes another's (one built only with it, such as one that
requires it) is named 'pa (includes pb)' wherever its NPV or capex is shown: the deck's
and workbook's project table, the one-pagers, the terminal's economics and parties
tables (review cmp F2). Hand-made tables, no solve.

The toy of the review: pa (capex 50) alone is worth 23.968 MUSD, pb (capex 60, requires
pa) 8.473. In p_ab, pa is valued against p_ab with both off (pb cannot be built without
pa), so its row holds both: NPV 23.968 + 8.473 = 32.441, overnight capex 50 + 60 = 110,
includes 'pb'. pb's own row: 8.473, capex 60, includes nothing. Adding the two rows
(40.9) double counts pb: hence the mark on pa's row and on no other."""

from __future__ import annotations

import io

import pandas as pd
from rich.console import Console

from chainopt import cli
from chainopt.report import deck, onepager


def _tables() -> dict[str, pd.DataFrame]:
    eco = pd.DataFrame({
        "scenario": ["p_ab", "p_ab"], "effect": ["pa", "pb"],
        "against": ["p_ab without pa", "p_ab without pb"], "includes": ["pb", ""],
        "built": ["p2026", "p2026"], "first use": ["2027", "2028"],
        "incremental NPV (MUSD)": [32.441, 8.473], "NPV low (MUSD)": [32.441, 8.473],
        "NPV high (MUSD)": [32.441, 8.473], "overnight capex (MUSD)": [110.0, 60.0],
        "Δ capex (MUSD)": [110.0, 60.0], "IRR": [0.1625, 0.1307],
        "payback (yr)": [6.193, 7.0], "IRR note": ["", ""], "payback note": ["", ""]})
    obj = pd.DataFrame({"item": ["objective"], "toyp": [100.0], "p_ab": [132.441],
                        "Δ p_ab": [32.441]})
    wf = pd.DataFrame({"scenario": ["p_ab", "p_ab"], "effect": ["pa", "pb"],
                       "category": ["capex", "capex"], "npv_musd": [32.441, 8.473]})
    pe = pd.DataFrame({"scenario": ["p_ab", "p_ab"], "project": ["pa", "pb"],
                       "party": ["pt", "sp"], "share": [0.4, 1.0],
                       "NPV (MUSD)": [12.29, -2.581], "currency": ["USD", "USD"]})
    return {"economics": eco, "objective": obj, "project_waterfall": wf,
            "party_economics": pe}


def test_project_table_has_an_includes_column():
    t = deck.project_table(_tables())
    assert list(t["includes"]) == ["pb", ""]
    assert list(t.columns[:3]) == ["scenario", "project", "includes"]


def test_onepager_names_what_its_value_includes():
    pa, pb = onepager.pages(_tables())
    assert pa.title == "pa (includes pb) in p_ab"
    assert pb.title == "pb in p_ab"
    figures = dict(onepager.key_figures(pa))
    assert figures["overnight capex"] == "110.0 MUSD (pa's and pb's)"
    assert figures["includes"].startswith("pb: built only with pa")
    assert "includes" not in dict(onepager.key_figures(pb))


def test_terminal_tables_mark_the_including_project(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buf, width=200, color_system=None))
    cli.print_comparison(_tables(), ["toyp", "p_ab"], [], rows=8)
    text = buf.getvalue()
    # economics and parties name it so; the summary writes 'pa 32.4 (includes pb)'
    assert text.count("pa (includes pb)") == 2, text
    assert "pa 32.4 (includes pb)" in text
    assert "pb (includes" not in text
