"""What a solve's plan warns of: the manifest's ``warnings`` of a run, made once for
``run`` (:func:`chainopt.api.extract_results`) and for the solves ``sensitivity`` keeps
no results folder of (:func:`chainopt.sensitivity.base_warnings`), so that both say the
same of the same plan.

They are the model's own notes on the case (an input the model cannot honour as stated,
:meth:`chainopt.models.build.BuiltModel.input_warnings`), solver options not passed,
and what the plan read year by year (:func:`chainopt.diagnose.year_check.year_breaks`)
and its result tables show: a build used from inside a period, ramping up or retiring
inside one beyond what the period's other yearly limits allow year by year
(:mod:`chainopt.report.average_year`), a rising capex curve bought again in each
period, a project's yearly stream approximate (:mod:`chainopt.report.stream_split`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainopt.report.average_year import (
    mid_period_builds,
    mid_period_retirements,
    ramping_builds,
)
from chainopt.report.stream_split import approximate_streams

if TYPE_CHECKING:
    import pandas as pd

    from chainopt.diagnose.year_check import YearBreaks
    from chainopt.models.build import BuiltModel
    from chainopt.solve import SolveOutcome


def solve_warnings(built: BuiltModel, outcome: SolveOutcome, tables: dict[str, pd.DataFrame],
                   breaks: YearBreaks, notes: list[str]) -> list[str]:
    """The warnings of ``outcome``, a solve of ``built``, given its result ``tables``,
    the plan read year by year (``breaks``) and the model's own ``notes``
    (:meth:`~chainopt.models.build.BuiltModel.input_warnings`); see the module."""
    # lazy: the model side (highspy) loads only where a model is solved
    from chainopt.models.investment import rising_curve_builds
    from chainopt.solve import unpassed_warnings

    return [*notes,
            *unpassed_warnings(outcome.info, bool(outcome.info.get("is_mip", built.is_mip))),
            *mid_period_builds(built.case, tables, breaks),
            *ramping_builds(built.case, tables, breaks),
            *mid_period_retirements(built.case, tables, breaks),
            *rising_curve_builds(built.index, tables.get("investments")),
            *approximate_streams(built.case, tables)]


def plan_warnings(built: BuiltModel, outcome: SolveOutcome) -> list[str]:
    """What ``chainopt run`` would record of this solve in its manifest's ``warnings``
    (:func:`solve_warnings`), without the rest of a run's results: the solution tables
    those checks read and the year-by-year reading, no ranging. For a solve not saved as
    a run, as ``sensitivity``'s base solves."""
    # lazy: the model side (see solve_warnings)
    from chainopt.case.storage import of_case, text_storage
    from chainopt.diagnose.year_check import year_breaks
    from chainopt.extract import extract_tables, plan_values

    with text_storage(of_case(built.case)):  # the tables' text as a run keeps it
        tables = extract_tables(built, outcome)
    breaks = year_breaks(built, *plan_values(built, outcome))
    return solve_warnings(built, outcome, tables, breaks, built.input_warnings())
