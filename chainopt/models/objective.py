"""The objective: maximise the discounted net value of the chain over the horizon.

    max  sum_t w_t * [ revenue_t - supply_t - variable O&M_t - transport_t
                       - carbon_t - shortfall penalty_t - disposal_t ]
         - sum (capital annuities + fixed O&M of new capacity, discounted)
         - fixed O&M of existing capacity (a constant)

in MUSD of the base year; ``w_t`` is the sum of the discount factors of the years
of period t (see :mod:`chainopt.case.index`). Every family registers its terms with
a category (``LinearProgram.add_objective``); this module sums them into the cost
vector and keeps one vector per category so that results can split the objective
into its parts exactly.
"""

from __future__ import annotations

import numpy as np

from chainopt.models.lp import CATEGORIES, LinearProgram, Matrix


def vectors(lp: LinearProgram) -> tuple[np.ndarray, dict[str, Matrix]]:
    """The objective vector and its split by category (sparse, same length)."""
    cost = np.zeros(lp.num_cols)
    by: dict[str, Matrix] = {}
    for category in CATEGORIES:
        parts = [(c, v) for c, v, cat, _ in lp.objective_terms if cat == category]
        if not parts:
            continue
        cols = np.concatenate([c for c, _ in parts])
        vals = np.concatenate([v for _, v in parts])
        part = np.bincount(cols, weights=vals, minlength=lp.num_cols)
        cost += part
        by[category] = Matrix.from_row(part)
    return cost, by
