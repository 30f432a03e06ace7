"""Looking into a model beyond its plan, in the user's names and units.

One job per module:

* :mod:`~chainopt.diagnose.names`: columns and rows -> user names, duals -> user money;
* :mod:`~chainopt.diagnose.insight`: marginal-value, reduced-cost and ranging tables of
  a solved model (``constraints``, ``reduced_costs``, ``ranging``);
* :mod:`~chainopt.diagnose.forced`: the columns the constraints force to 0 (the
  ranging's costs are ranged again without them);
* :mod:`~chainopt.diagnose.infeasibility`: why a case does not solve (IIS, elastic
  relaxation, runaway columns);
* :mod:`~chainopt.diagnose.export`: MPS/LP export with readable names and the
  coefficient-range report;
* :mod:`~chainopt.diagnose.year_check`: the plan read year by year inside its periods
  (which limits a capacity changing inside a period breaks), for the warnings of
  :mod:`chainopt.report.average_year`.

The functions callers use are re-exported here.
"""

from chainopt.diagnose.export import (
    coefficient_ranges,
    export_model,
    export_note,
    named_highs,
)
from chainopt.diagnose.infeasibility import (
    Diagnosis,
    diagnose,
    elastic,
    infeasible_subsets,
    runaway_columns,
)
from chainopt.diagnose.insight import (
    constraints_table,
    insight_tables,
    ranging_parts,
    ranging_table,
    reduced_costs_table,
)
from chainopt.diagnose.names import column_names, key_text, row_names

__all__ = ["Diagnosis", "coefficient_ranges", "column_names", "constraints_table", "diagnose",
           "elastic", "export_model", "export_note", "infeasible_subsets", "insight_tables",
           "key_text",
           "named_highs", "ranging_parts", "ranging_table", "reduced_costs_table", "row_names",
           "runaway_columns"]
