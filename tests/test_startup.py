"""Pay only for what is used: what each entry point imports (never how long it takes).

Each probe runs in a fresh interpreter and lists which of the heavy top-level
packages ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pyomo", "pandas", "scipy", "highspy", "plotly", "matplotlib", "dask", "openpyxl")


def _imported_after(code: str) -> set[str]:
    probe = (f"import json, sys\n{code}\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & "
             f"set({list(HEAVY)!r}))))")
    return _probe(probe)


def _chainopt_modules_after(code: str) -> set[str]:
    """chainopt modules whose code ran (a lazy module not yet used is a _LazyModule)."""
    return _probe(f"import json, sys\n{code}\n"
                  "print(json.dumps(sorted(m for m, mod in sys.modules.items() if "
                  "m.startswith('chainopt') and type(mod).__name__ != '_LazyModule')))")


def _probe(probe: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_api_and_cli_does_not_import_pyomo():
    assert "pyomo" not in _imported_after("import chainopt.api, chainopt.cli\n"
                                          "chainopt.api.run")


def test_help_loads_no_data_or_model_library():
    """``chainopt --help``: typer and rich only (chainopt.api loads on first use)."""
    code = ("from chainopt.cli import app\ntry:\n    app(['--help'])\n"
            "except SystemExit:\n    pass")
    assert _imported_after(code) == set()


def test_validate_does_not_load_the_model_side():
    """``chainopt validate``: pandas for the case, no solver, no sparse matrices."""
    code = ("from chainopt.cli import app\ntry:\n    app(['validate', 'small_chain'])\n"
            "except SystemExit:\n    pass")
    assert _imported_after(code) & {"pyomo", "scipy", "highspy", "plotly", "matplotlib",
                                    "dask", "openpyxl"} == set()


@pytest.mark.parametrize("source", ["small_chain", "scenarios/proposal_lng_japan.yaml"])
def test_a_default_run_never_imports_pyomo(source):
    """The matrix path end to end (load, build, solve, extract, save): no Pyomo, no
    scipy (the matrix is made in numpy: scipy.sparse's import alone took 60-90 ms), and
    none of the report, Excel or Dask libraries. Also where the plan is read year by
    year (proposal_lng_japan: two capacities change inside a period), whose least
    squares used scipy.sparse: 0.2 s of each such run went on importing it."""
    code = ("import tempfile\nimport chainopt.api as a\n"
            f"a.run({source!r}, out=tempfile.mkdtemp())")
    assert _imported_after(code) & {"pyomo", "scipy", "plotly", "matplotlib", "dask",
                                    "openpyxl"} == set()


REPORT_SIDE = {"chainopt.report.html", "chainopt.report.compare", "chainopt.report.charts",
               "chainopt.sweep", "chainopt.sensitivity", "chainopt.report.drift"}


def test_validate_and_run_do_not_load_the_report_side():
    """Comparisons, HTML reports, sweeps and sensitivity load only for their commands."""
    validate = ("from chainopt.cli import app\ntry:\n    app(['validate', 'small_chain'])\n"
                "except SystemExit:\n    pass")
    run = ("import tempfile\nimport chainopt.api as a\n"
           "a.run('small_chain', out=tempfile.mkdtemp())")
    assert _chainopt_modules_after(validate) & REPORT_SIDE == set()
    assert _chainopt_modules_after(run) & REPORT_SIDE == set()


def test_the_console_script_leaves_without_the_last_collections(monkeypatch):
    """``chainopt`` runs ``cli.main`` (through ``start.main``, which catches an
    interrupt while it is imported): the command's exit code is kept, the young
    generation is collected less often, and every object is frozen out of the
    interpreter's final garbage collections (``gc.freeze``)."""
    import gc
    import tomllib

    from chainopt import cli

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["chainopt"] == "chainopt.start:main"
    monkeypatch.setattr(sys, "argv", ["chainopt", "validate", "no_such_case"])
    frozen = gc.get_freeze_count() > 0  # (the suite freezes what it collected)
    gc.unfreeze()
    threshold = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's default, not the suite's (the CLI's own)
    try:
        try:
            cli.main()
        except SystemExit as stop:
            assert stop.code == 1  # an unknown case, as from app() itself
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == cli.GC_THRESHOLD == (10_000, 10, 10)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        if frozen:
            gc.freeze()


def test_arrow_allocates_through_the_c_library_unless_the_user_chose(monkeypatch):
    """chainopt puts Arrow's pool on the C library's allocator, which ``trim_memory``
    empties (not mimalloc, which keeps freed memory); a user's own choice is kept."""
    code = ("import chainopt.cli, pandas, pyarrow as pa\n"
            "print(json.dumps([pa.default_memory_pool().backend_name]))")
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    assert _probe(f"import json\n{code}") == {"system"}
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    assert _probe(f"import json\n{code}") == {"mimalloc"}


def test_numpys_blas_runs_on_one_thread_unless_the_user_chose(monkeypatch):
    """chainopt keeps numpy's OpenBLAS to one thread (its worker threads spun on the
    second core after each long dot product); a user's own choice is kept. Linux: the
    process's threads are read from /proc after a dot product of 200,000 values, which
    OpenBLAS splits over its threads when it has several."""
    code = ("import json, os, chainopt, numpy as np\n"
            "a = np.ones(200_000)\nassert a @ a == 200_000\n"
            "tasks = len(os.listdir('/proc/self/task')) if os.path.isdir('/proc/self/task') "
            "else 1\n"
            "print(json.dumps([os.environ['OPENBLAS_NUM_THREADS'], str(tasks)]))")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert _probe(code) == {"1"}  # the variable, and the process's only thread
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert "2" in _probe(code)


def test_a_command_loads_the_engine_before_it_runs_and_help_does_not():
    """``cli.main`` imports chainopt.api with the collector off for a command (then
    freezes what the imports made and turns the collector back on); ``--help`` loads
    no data library, through main as through the app."""
    from chainopt.cli import loads_the_engine

    assert loads_the_engine(["run", "small_chain"]) and loads_the_engine(["validate", "x"])
    assert not loads_the_engine([]) and not loads_the_engine(["--help"])
    assert not loads_the_engine(["run", "--help"])
    code = ("import gc, sys\nfrom chainopt import cli\nsys.argv = ['chainopt', {args}]\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\nassert gc.isenabled()")
    assert _imported_after(code.format(args="'--help'")) == set()
    after = _imported_after(code.format(args="'validate', 'no_such_case'"))
    assert "pandas" in after and "highspy" not in after


def test_runs_started_in_threads_of_a_fresh_process_all_load_the_engine():
    """Three ``api.run`` in threads at once, nothing loaded before: each waits for the
    lazily loaded modules instead of finding them half made (an AttributeError in one,
    with importlib's LazyLoader)."""
    code = ("from concurrent.futures import ThreadPoolExecutor\nfrom chainopt import api\n"
            "with ThreadPoolExecutor(3) as pool:\n"
            "    runs = list(pool.map(lambda _: api.run('small_chain', save=False), "
            "range(3)))\n"
            "assert len({r.objective for r in runs}) == 1\n")
    _probe(code + "print('[]')")


def test_highs_instances_made_in_threads_at_once_leave_stdout_as_it_was():
    """Each HiGHS instance is made with the process's standard output on the null device
    (its banner): eight threads making 100 each at once left it there every time (each
    kept another's null device as the output to put back), and what the process printed
    after was lost, its exit code 0 (three runs in threads of one process, now and then)."""
    code = ("import threading\nfrom chainopt.solve import new_highs\n"
            "def many():\n    for _ in range(100):\n        new_highs()\n"
            "threads = [threading.Thread(target=many) for _ in range(8)]\n"
            "for t in threads:\n    t.start()\nfor t in threads:\n    t.join()\n")
    assert _probe(code + "print('[]')") == set()


def test_monkeypatching_a_module_not_yet_loaded_puts_its_attribute_back():
    """pytest's monkeypatch reads ``vars()`` of what it patches to know what to put back:
    it found the stand-in's, without the attribute, and on undoing deleted the module's
    own (chainopt.sweep.solve_variant was gone for the tests after one). The stand-in's
    ``vars()`` is now the module's."""
    code = ("import sys\nfrom _pytest.monkeypatch import MonkeyPatch\n"
            "from chainopt.lazy import lazy_module\n"
            "m = lazy_module('chainopt.report.numbers')\n"
            "assert type(m).__name__ == '_LazyModule'\n"
            "patch = MonkeyPatch()\npatch.setattr(m, 'number', None)\n"
            "assert m.number is None\npatch.undo()\n"
            "real = sys.modules['chainopt.report.numbers']\n"
            "assert callable(m.number) and m.number is real.number\n"
            "assert vars(m) is vars(real)\n")
    _probe(code + "print('[]')")


LEAVE = """
import atexit, sys, threading, time
from chainopt.start import leave
atexit.register(lambda: print("exit function ran", flush=True))
mode = sys.argv[1]
sys.stdout.write("said before leaving\\n")  # (buffered: a pipe)
if mode == "thread":
    def late():
        time.sleep(0.3)
        print("thread finished", flush=True)
    threading.Thread(target=late).start()
leave({"int": 3, "none": None, "text": "stopped: because", "thread": 4}[mode])
"""


@pytest.mark.parametrize(("mode", "code", "out", "err"), [
    ("int", 3, "said before leaving\nexit function ran\n", ""),
    ("none", 0, "said before leaving\nexit function ran\n", ""),
    ("text", 1, "said before leaving\nexit function ran\n", "stopped: because\n"),
    ("thread", 4, "said before leaving\nthread finished\nexit function ran\n", ""),
])
def test_a_command_ends_without_the_interpreters_teardown_as_sys_exit_would(mode, code,
                                                                             out, err):
    """``chainopt`` ends a command as ``sys.exit(code)`` does (the exit code, text on
    stderr with code 1, the exit functions run, what was written to a pipe flushed),
    without tearing the interpreter down; a thread still running is waited for."""
    done = subprocess.run([sys.executable, "-c", LEAVE, mode], capture_output=True,
                          text=True, cwd=ROOT)
    assert (done.returncode, done.stdout, done.stderr) == (code, out, err)
