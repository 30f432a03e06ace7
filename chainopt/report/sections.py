"""The detail tables ``chainopt compare --detail`` prints: one list for its help, the
check of its value (before anything is solved) and its hint. No imports: the help needs
it without loading pandas."""

from __future__ import annotations

#: every table of a comparison the terminal prints on request, in the order printed
#: (:data:`chainopt.report.compare.TITLES` has a title for each): ``economics`` in full
#: (the terminal shows it without its ``against`` and ``includes`` columns and its
#: projects not built), ``warnings`` only when a run warned
DETAIL_TABLES = ("objective", "cashflow", "production", "levers", "capacity_built",
                 "utilisation", "projects_built", "exports", "emissions", "shadow_prices",
                 "economics", "project_cashflows", "project_waterfall",
                 "project_constraints", "chain_changes", "party_economics",
                 "party_cashflows", "warnings")
