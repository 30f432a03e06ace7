"""chainopt as a library: a call with a value of the wrong type, or another model's
solve, is an InputError (exit 1) naming the argument and what to give, never a bare
TypeError, AttributeError or numpy error from deep inside, nor a plan quietly mislabelled
(the API review: F1-F5)."""

from __future__ import annotations

import pytest

from chainopt import api
from chainopt.errors import InputError


@pytest.fixture(scope="module")
def small():
    case = api.load_case("small_chain")
    built = api.build_model(case)
    return case, built, api.solve(built)


def test_another_models_outcome_is_refused(small):
    """small_chain's solve (99 variables) extracted with refinery_planning's model (33)
    was a 'refinery_planning' result, status optimal, objective 7,784.94 (small_chain's)
    with small_chain's purchases read as refinery activities; a second small_chain model
    of the same size is refused too (the outcome names the model it solved)."""
    case, built, outcome = small
    other = api.build_model(api.load_case("examples/refinery_planning"))
    with pytest.raises(InputError, match=r"outcome: is the solve of another model than this "
                                         r"one \(refinery_planning: 33 variables"):
        api.extract_results(other, outcome)
    with pytest.raises(InputError, match="another model"):
        api.extract_results(api.build_model(case), outcome)
    assert api.extract_results(built, outcome).objective == pytest.approx(7784.939871)


@pytest.mark.parametrize(("call", "said"), [
    (lambda c, b: api.load_case({"name": "x"}), "source: must be a case folder, embedded case "
                                                "name or scenario .yaml, as a str or Path "
                                                "(found dict)"),
    (lambda c, b: api.build_model("small_chain"), "case: must be a Case (found str)"),
    (lambda c, b: api.solve(c), "built: must be a BuiltModel (found Case)"),
    (lambda c, b: api.extract_results(b, None), "outcome: must be a SolveOutcome"),
    (lambda c, b: api.run(c, save=False, options={"time_limit_s": 10}),
     "options: must be a SolveOptions (found dict)"),
    (lambda c, b: api.solve(b, api.solve_options(time_limit_s="10")),
     "time limit: must be a number (found '10')"),
    (lambda c, b: api.run(c, save=False, options=api.solve_options(method="barrier")),
     "method: must be auto, simplex or ipm (found 'barrier')"),
    (lambda c, b: api.solve(b, api.solve_options(threads=True)),
     "threads: must be a whole number (found True)"),
    (lambda c, b: api.solve(b, api.solve_options(time_limit_s=0)),
     "time limit: must be a finite number of seconds > 0 (found 0)"),
    (lambda c, b: api.run(c, save=False, extend=5), "extend: must be a function"),
    (lambda c, b: api.compare("small_chain", save=False), "sources: must be a list of sources"),
    (lambda c, b: api.sweep(c, sets=["markets.price_usd_per_unit*=1.1"]),
     "source: must be a case folder"),
    (lambda c, b: api.verify({"a": 1}), "results_dir: must be a results folder"),
])
def test_a_wrong_type_names_the_argument(small, call, said):
    """Each was a bare TypeError/AttributeError (or, for 'barrier', True threads and a
    text time limit, accepted and ignored, recorded in the manifest, then called damaged by
    verify; a time limit of 0 through api.solve was a solver error, exit 4)."""
    case, built, _ = small
    with pytest.raises(InputError) as info:
        call(case, built)
    assert said in str(info.value) and info.value.exit_code == 1


def test_a_model_an_outcome_and_results_print_as_one_line(small):
    """In a notebook, printing a solve's outcome printed every value of the solution (90
    lines for small_chain), a model every table of its case, results every table. Now
    one line each, with what identifies them (small_chain: 99 columns, 102 rows, 219
    nonzeros; objective 7,784.94 MUSD; 23 tables)."""
    _case, built, outcome = small
    res = api.extract_results(built, outcome)
    assert repr(built) == "BuiltModel(small_chain: 99 columns, 102 rows, 219 nonzeros)"
    assert repr(outcome) == ("SolveOutcome(optimal, objective 7,784.939871 MUSD, 99 columns, "
                             "102 rows)")
    assert repr(res) == ("Results(small_chain: optimal, objective 7,784.9 MUSD, 23 tables: "
                         "activity, unit_flows, blending, blend_qualities, production, ...)")


def test_a_folder_that_exists_is_said_in_python_terms_too(tmp_path):
    """api.run and Results.save said "pass --overwrite ... or --name", flags a library
    user has none of (API review F8): each now names its own argument."""
    from chainopt.errors import ResultsExistError

    res = api.run("small_chain", out=tmp_path, name="a")
    with pytest.raises(ResultsExistError, match=r"pass overwrite=True to replace it, or give "
                                                r"another name \(name=\.\.\.\) or output "
                                                r"folder \(out=\.\.\.\)$"):
        api.run("small_chain", out=tmp_path, name="a")
    with pytest.raises(ResultsExistError, match=r"pass overwrite=True to replace it, or save "
                                                r"to another folder"):
        res.save(tmp_path / "a")
