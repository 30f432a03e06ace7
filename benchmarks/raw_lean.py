"""The lean raw HiGHS reference of pair.py: the LP's arrays -> passModel -> run.

    python benchmarks/raw_lean.py LP.npz OPTIONS_JSON

``LP.npz`` holds the LP raw numpy builds (``lp_mirror.build_numpy``, written by
pair.py's export step): no row or column names. This script imports only what it
needs (numpy, highspy, json), so that its peak memory is HiGHS's with the model and the
solve, as near as Python allows: the denominator of the memory ratio. It prints one
line, ``PAIR_RESULT {json}``: the solve's time, status, objective, iterations and the
process's peak resident memory (VmHWM on Linux, ``ru_maxrss`` elsewhere).
"""

import json
import sys
import time

import highspy
import numpy as np
from peak import peak_mib  # (same folder)

MARK = "PAIR_RESULT "


def load_lp(path: str):
    """The HighsLp of the arrays pair.py saved (``save_lp``)."""
    with np.load(path) as z:
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = int(z["num_col"]), int(z["num_row"])
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = z["col_cost"], z["col_lower"], z[
            "col_upper"]
        lp.row_lower_, lp.row_upper_ = z["row_lower"], z["row_upper"]
        lp.offset_ = float(z["offset"])
        lp.sense_ = (highspy.ObjSense.kMaximize if int(z["sense"]) < 0
                     else highspy.ObjSense.kMinimize)
        lp.a_matrix_.format_ = (highspy.MatrixFormat.kRowwise if bool(z["rowwise"])
                                else highspy.MatrixFormat.kColwise)
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = (
            z["start"], z["index"], z["value"])
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    return lp


def main(path: str, options: dict) -> dict:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    t0 = time.perf_counter()
    h.passModel(load_lp(path))
    read_s = time.perf_counter() - t0
    for k, v in options.items():
        h.setOptionValue(k, v)
    t0 = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - t0
    info = h.getInfo()
    return {"read_s": read_s, "solve_s": solve_s,
            "status": h.modelStatusToString(h.getModelStatus()),
            "objective": float(info.objective_function_value),
            "simplex_iterations": int(info.simplex_iteration_count),
            "ipm_iterations": int(info.ipm_iteration_count),
            "crossover_iterations": int(info.crossover_iteration_count),
            "vars": int(h.getNumCol()), "rows": int(h.getNumRow()), "nnz": int(h.getNumNz()),
            "modules": len(sys.modules), "pandas_loaded": "pandas" in sys.modules,
            "peak_mib": peak_mib()}


if __name__ == "__main__":
    print(MARK + json.dumps(main(sys.argv[1], json.loads(sys.argv[2]))), flush=True)
