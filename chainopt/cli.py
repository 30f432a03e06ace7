"""The ``chainopt`` command line: parse, call one api function, print.

Exit codes: 0 ok (also a plan stopped at its time limit: a warning says so), 1 bad
input, 2 usage (typer's own), 3 infeasible or unbounded, 4 solver failure or limit
without a usable plan.

Results, tables and summaries on stdout (:data:`console`); every warning
(:func:`warn`), error, progress bar and the interrupted line on stderr (:data:`err`). A
closed stdout or stderr (``| head -1``) changes no exit code (:class:`Stream`).
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Annotated, Any, cast

import typer
from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.text import Text
from typer.core import TyperGroup

from chainopt import errors, termtable
from chainopt.controls import plain
from chainopt.errors import ChainoptError, shell_word
from chainopt.interrupt import (
    INTERRUPTED,
    exit_interrupted,
    ignore_signals,
    interrupted_line,
    terminated,
)
from chainopt.lazy import lazy_module
from chainopt.report.sections import DETAIL_TABLES

# Deliberately lazy: chainopt.api (pandas, the model) loads on first use, so that
# `chainopt --help` does not pay for it.
api = lazy_module("chainopt.api")



class Commands(TyperGroup):
    """The commands, run as the command line asks: messages name ``--overwrite``, not
    ``overwrite=True`` (:func:`chainopt.errors.command_line`), and Ctrl-C or SIGTERM ends
    a command with exit 130 and one line saying what it had written
    (:func:`chainopt.interrupt.interrupted_line`) — typer's own ending says nothing. A sweep
    says what it kept itself (:class:`chainopt.errors.SweepInterrupted`)."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            bare_flags(command, ctx)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        bare_flags(self, ctx)
        super().format_help(ctx, formatter)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        slip = flag_before(command, rest) if command is not None else None
        if slip is not None:  # before anything is parsed, read or solved
            from chainopt.case.scenario import flag_value  # lazy: start-up (pandas)
            from chainopt.errors import InputError

            raise _fail(InputError([flag_value(*slip)]))
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:  # (a click Context: typer vendors click)
        written = sys.modules.get("chainopt.atomic")  # (not loaded: nothing written yet)
        if written is not None:
            written.forget_written()  # what this command writes (a test runs many)
        with errors.command_line():
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt:
                err.print(escape(interrupted_line()), highlight=False)
                raise typer.Exit(INTERRUPTED) from None


def bare_flags(command: Any, ctx: Any) -> None:
    """The flags of ``command`` (and of its subcommands: ``snapshot check``), ``--help``
    too, shown in ``--help`` as taking no value: typer 0.29 wrote each flag's type after
    it (``--overwrite --no-overwrite <bool>``), and ``--overwrite true``, written as that
    suggests, ran a case named ``true`` (:func:`chainopt.case.scenario.not_a_source`).
    An empty metavar is what typer then shows."""
    for param in [*command.params, command.get_help_option(ctx)]:
        if param is not None and getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        bare_flags(sub, ctx)


def flag_before(command: Any, args: list[str]) -> tuple[str, str, str | None] | None:
    """The first word of ``args`` (the command line after the command's name) written as
    a flag's value (:func:`chainopt.case.scenario.is_flag_value`) right after a flag of
    ``command`` (of its subcommand, for ``snapshot check``), as ``(word, flag, what the
    flag's other form does)``: ``--excel no`` is ``('no', '--excel', '--no-excel turns it
    off')``. A flag takes no value, so the word would be read as a case, a results
    folder or a scenario, and refused as one without the flag it belongs to
    (:func:`chainopt.case.scenario.flag_value`). None when there is none; an option
    that takes a value takes the next word (``--name yes`` is a name)."""
    subcommands = getattr(command, "commands", None)
    if subcommands:  # a group: the flags are its subcommand's
        words = [a for a in args if not a.startswith("-")]
        sub = subcommands.get(words[0]) if words else None
        return flag_before(sub, args[args.index(words[0]) + 1:]) if sub is not None else None
    options = {o: p for p in command.params if getattr(p, "opts", None)
               for o in [*p.opts, *getattr(p, "secondary_opts", [])]}
    i = 0
    while i < len(args) and args[i] != "--":
        option = options.get(args[i])
        if option is not None and not getattr(option, "is_flag", False):
            i += 2  # the option's value, whatever it reads
            continue
        if option is not None and i + 1 < len(args) and not getattr(option, "count", False) \
                and not args[i + 1].startswith("-"):
            from chainopt.case.scenario import is_flag_value  # lazy: start-up (pandas)

            if is_flag_value(args[i + 1]):
                flag = args[i]
                on = flag in option.opts
                other = (option.secondary_opts if on else option.opts) or []
                return args[i + 1], flag, (f"{other[0]} turns it {'off' if on else 'on'}"
                                           if other else None)
        i += 1
    return None


app = typer.Typer(
    cls=Commands,
    add_completion=False,
    no_args_is_help=True,
    help="chainopt: optimise a petrochemical value chain.\n\n"
         "Example: chainopt run   (solves the embedded default case)",
)


class Stream:
    """``sys.stdout`` or ``sys.stderr`` for a console (looked up at each write: a test
    runner swaps them), which a reader going away cannot stop: once the pipe it feeds is
    closed (``chainopt run CASE | head -1``), the stream's descriptor is pointed at the
    null device (as Python's documentation on SIGPIPE advises, so that nothing fails
    again when the interpreter flushes it at exit) and the command goes on, printing
    nothing more, to its own end and exit code: its work (a results folder, the other
    runs of a batch) is not cut short, and a finished command does not end in a silent
    exit 1 (click's ending for a broken pipe) or a traceback."""

    def __init__(self, name: str) -> None:
        self.name = name

    def stream(self) -> Any:
        s = getattr(sys, self.name)
        return getattr(s, "rich_proxied_file", s)  # under a progress bar: the real one

    def write(self, text: str) -> int:
        try:
            return self.stream().write(text)
        except OSError as exc:
            self.gone(exc)
            return len(text)

    def flush(self) -> None:
        try:
            self.stream().flush()
        except OSError as exc:
            self.gone(exc)

    def gone(self, exc: OSError) -> None:
        """The reader went away (or the stream cannot be written: a full disk): the
        descriptor writes to the null device from now on (what is left in Python's
        buffer too). Only a broken pipe goes unsaid: a stdout that fails otherwise is
        named on stderr once (``stdout could not be written (No space left on device):
        the rest of it is dropped``)."""
        if not isinstance(exc, BrokenPipeError) and self.name == "stdout":
            with contextlib.suppress(OSError, AttributeError, ValueError):
                print(f"warning: stdout could not be written ({exc.strerror or exc}): the "
                      "rest of it is dropped; the command goes on", file=sys.stderr)
        try:
            fd = self.stream().fileno()
        except (AttributeError, OSError, ValueError):  # not a file: nothing to flush at exit
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
        finally:
            os.close(null)

    def isatty(self) -> bool:
        try:
            return bool(self.stream().isatty())
        except (AttributeError, ValueError):  # closed (the end of a test run)
            return False

    def fileno(self) -> int:
        return self.stream().fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.stream(), "encoding", None) or "utf-8"


def standard_descriptors() -> None:
    """A standard descriptor closed when the command starts (``>&-``, ``2>&-``) is opened
    on the null device, and Python's stream for it (None then) writes there: the command
    runs to its own end and exit code, printing nothing on the closed one, as when a
    pipe's reader goes away later (:class:`Stream`). Left closed, the first file the
    command opens would take the descriptor's number, and what HiGHS prints to
    descriptor 1 would land in it."""
    for fd, name, mode in ((0, "stdin", os.O_RDONLY), (1, "stdout", os.O_WRONLY),
                           (2, "stderr", os.O_WRONLY)):
        try:
            os.fstat(fd)
            continue
        except OSError:  # closed
            pass
        null = os.open(os.devnull, mode)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, "r" if fd == 0 else "w", encoding="utf-8",  # noqa: SIM115
                                    closefd=False))


# Results, tables and summaries go to stdout; warnings (:func:`warn`), errors, progress
# bars and the interrupted line to stderr: a pipeline keeps them apart (README, The CLI).
console = Console(file=cast(IO[str], Stream("stdout")), emoji=False)
# (text as given: a cell or path holding :fire: stays so); messages are never broken
# inside a word (a file path stays whole for copying): the terminal wraps long lines itself
err = Console(file=cast(IO[str], Stream("stderr")), soft_wrap=True, emoji=False)


def warn(note: str, indent: str = "") -> None:
    """Print one warning, ``warning: NOTE``, on stderr, where every command says its
    warnings (``note`` as given, never read as markup; one already starting with
    ``warning:`` keeps that word once)."""
    err.print(f"{indent}[yellow]warning:[/] {escape(note.removeprefix('warning: '))}",
              highlight=False)


def say_lines(lines: list[str]) -> None:
    """A report's lines (explain, export): each on stdout, as it is (never markup) and on
    one line (a line feed in it, from a name in a results folder someone sent, written out
    as ``\\n``, never a line that reads as chainopt's), but its ``warning:`` lines through
    :func:`warn`, on stderr. The lines between two warnings go to the console in one call
    (one call a line took 2.4 s for the 28,537 lines explain said of a 300k-variable
    run before its netbacks were cut to ``--top`` sales)."""
    said: list[str] = []

    def flush() -> None:
        if said:
            console.print("\n".join(said), highlight=False, markup=False, soft_wrap=True)
            said.clear()

    for line in lines:
        if line.startswith("warning: "):
            flush()
            warn(line)
        else:
            said.append(plain(line, one_line=True))
    flush()

CaseArg = Annotated[str | None, typer.Argument(
    help="Case folder (with case.yaml), case workbook (.xlsx), embedded case name or scenario "
         ".yaml; default: the embedded default case.", show_default=False)]


def escape(text: str, one_line: bool = False) -> str:
    """``text`` printed as it is: :func:`~chainopt.controls.plain` (``one_line``: a name or
    a path, its line feeds written out too), and never read as rich markup."""
    return _markup_escape(plain(text, one_line))


def one_line(value: object) -> str:
    """A name or a path as a status line prints it: :func:`escape`, its line feeds written
    out too (``bad\\n| x |.yaml``: one line, whatever the name)."""
    return escape(str(value), one_line=True)


def print_table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    """Print a table of text (:func:`plain`, not markup): numbers whole on one line,
    text folded, nothing cut to '…'; stacked, a block per row, when the numbers do not
    fit side by side (:mod:`chainopt.termtable`)."""
    termtable.print_table(console, plain(title), [plain(h) for h in headers],
                          [[plain(c) for c in row] for row in rows])


def _positive(value: float | None) -> float | None:
    """typer callback: a finite number > 0 (exit 2 with the valid range otherwise)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"must be a finite number > 0 (found {value})")
    return value


MAX_JOBS = 1024


def _between(lo: int, hi: int | None = None):
    """typer callback factory: a whole number from ``lo`` to ``hi`` (exit 2 otherwise)."""
    rng = f"from {lo} to {hi}" if hi is not None else f">= {lo}"

    def check(value: int | None) -> int | None:
        if value is not None and (value < lo or (hi is not None and value > hi)):
            raise typer.BadParameter(f"must be a whole number {rng} (found {value})")
        return value

    return check


def _one_of(allowed: Callable[[], Sequence[str]], also: tuple[str, ...] = (),
            comma: bool = False):
    """typer callback factory for an option whose values come from a fixed list
    (``allowed()``, read when the option is; ``also``: other words it takes, such as
    'all'): each value given (of a repeated option; ``comma``: of a comma-separated
    list, each once) must be one of them, else a usage error (exit 2) naming them,
    before any work. A value checked against the case or its results (a period, a
    project, a key) is bad input instead (exit 1)."""
    def check(value: str | list[str] | None) -> str | list[str] | None:
        if value is None:
            return value
        items = (value if isinstance(value, list) else
                 [v.strip() for v in value.split(",") if v.strip()] if comma else [value])
        names = [*allowed(), *also]
        if comma and not items:
            raise typer.BadParameter(f"give one or more of {', '.join(names)}")
        for item in items:
            if item not in names:
                from chainopt.case.validate import closest  # lazy: start-up (pandas)

                near = closest(item, names)
                raise typer.BadParameter(f"'{item}' is not one of {', '.join(names)}"
                                         + (f"; {near}" if near else ""))
        twice = sorted({i for i in items if items.count(i) > 1}) if comma else []
        if twice:
            raise typer.BadParameter(f"{', '.join(twice)} given more than once; name each "
                                     "once")
        return value

    return check


def _fraction(value: float | None) -> float | None:
    """typer callback: a number above 0 and at most 1 (exit 2 with the range otherwise)."""
    if value is not None and not (math.isfinite(value) and 0 < value <= 1):
        raise typer.BadParameter(f"must be a number above 0 and at most 1 (found {value}); "
                                 "0.2 moves each driver by ±20 %")
    return value


def _drivers() -> tuple[str, ...]:
    from chainopt.sensitivity import DRIVERS  # lazy: the sensitivity command's own

    return DRIVERS


def _measures() -> list[str]:
    from chainopt.report.charts import MEASURES  # lazy: the report command's own

    return list(MEASURES)


def _methods() -> tuple[str, ...]:
    from chainopt.case.schema import METHODS  # lazy: start-up (pydantic)

    return METHODS


def _tables() -> list[str]:
    from chainopt.case.schema import TABLES  # lazy: start-up (pydantic)

    return list(TABLES)


def _fail(exc: ChainoptError) -> typer.Exit:
    # The message quotes user input (e.g. a column 'capacity [kt/yr]'): never read it as markup.
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(exc.exit_code)


@app.command()
def validate(case: CaseArg = None) -> None:
    """Check a case (or scenario) and list every problem found, then its warnings.

    Warnings: a mode that can never run, a market or supply nothing can reach, a lever
    acting nowhere.

    Example: chainopt validate chainopt/data/small_chain
    """
    try:
        c = api.load_case(case)
        api.check_results_name(c)  # a name run would refuse as its folder's (con, nul)
    except ChainoptError as exc:
        raise _fail(exc) from None
    t = c.tables
    scen = api.scenario_name(c)  # a scenario is named, then the case it changes
    what = (f"scenario '{escape(scen)}' (on case '{c.name}')" if scen else f"case '{c.name}'")
    counts = [(len(t["sites"]), "site", "sites"),
              (len(t["commodities"]), "commodity", "commodities"),
              (len(t["units"]), "unit", "units"), (len(t["modes"]), "mode", "modes"),
              (len(t["links"]), "link", "links"), (len(c.meta.periods), "period", "periods")]
    console.print(f"[green]ok[/]: {what} is valid: " + ", ".join(
        f"{n} {one if n == 1 else many}" for n, one, many in counts), soft_wrap=True)
    if c.raw.scenario_chain:
        from chainopt.case.scenario import chain_text  # lazy: start-up

        console.print("  scenario chain: " + escape(chain_text(c.raw.scenario_chain)),
                      highlight=False, soft_wrap=True)
    for note in api.case_warnings(c):
        warn(note)


@app.command()
def run(
    cases: Annotated[list[str] | None, typer.Argument(
        help="Case folder, workbook, embedded case name or scenario .yaml; several run in "
             "parallel. Default: the embedded default case.", show_default=False)] = None,
    out: Annotated[Path, typer.Option(help="Folder the results go in, as OUT/<name>/ "
                                            "(default: results/<name>/).")]
    = Path("results"),
    name: Annotated[str | None, typer.Option(help="Results folder name, snake_case (default: "
                                                  "the scenario or case name).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing results folder.")] = False,
    time_limit: Annotated[float | None, typer.Option(
        help="Solver time limit in seconds (> 0).", callback=_positive)] = None,
    threads: Annotated[int | None, typer.Option(
        help="Solver threads, 1 to 256 (default 1: deterministic).",
        callback=_between(1, 256))] = None,
    method: Annotated[str | None, typer.Option(help="auto, simplex or ipm.",
                                               callback=_one_of(_methods))] = None,
    excel: Annotated[bool, typer.Option(help="Also write results.xlsx (KPI sheet first).")]
    = False,
    jobs: Annotated[int | None, typer.Option(help="Parallel processes for several cases "
                                                  "(default: number of cores).",
                                             callback=_between(1, MAX_JOBS))] = None,
    solver: Annotated[str | None, typer.Option(help="Solve through Pyomo with this solver "
                                                    "(highs, cbc, glpk, gurobi, cplex, ...); "
                                                    "default: HiGHS directly.")] = None,
    relax: Annotated[bool, typer.Option(help="Solve the LP relaxation of a MIP case (integer "
                                             "decisions continuous); marked in the "
                                             "manifest (relaxed) and the kpis.")] = False,
) -> None:
    """Solve a case (or scenarios) and write its results to OUT/<name>/ (results/<name>/).

    CASE may also be one .xlsx workbook (see chainopt convert).

    Example: chainopt run chainopt/data/small_chain --name demo --overwrite
    Example: chainopt run small_chain --solver cbc
    """
    if (solver is not None and solver not in ("highs", "appsi_highs")
            and method not in (None, "auto")):
        err.print(f"[bold red]error:[/] --method is a HiGHS option; it does not apply to "
                  f"--solver {escape(solver)}")
        raise typer.Exit(2)
    options = api.solve_options(time_limit_s=time_limit, threads=threads, method=method,
                                solver=solver, relax=relax)
    case = cases[0] if cases else None
    if cases and len(cases) > 1:
        if name:
            err.print("[bold red]error:[/] --name is for a single run; several runs are named "
                      "after their scenarios")
            raise typer.Exit(2)
        try:  # two runs of the same name: refused before solving
            outcomes = run_parallel(cases, out=out, jobs=jobs, overwrite=overwrite,
                                    options=options)
        except ChainoptError as exc:
            raise _fail(exc) from None
        raise typer.Exit(max(o.exit_code for o in outcomes))
    try:
        # (progress: stderr; plain Text, not markup, whose emoji table costs 4 ms to load)
        with err.status(Text("starting")) as status:
            results = api.run(case, out=out, name=name, overwrite=overwrite, options=options,
                              progress=lambda msg: status.update(Text(msg)), excel=excel)
    except ChainoptError as exc:
        raise _fail(exc) from None
    print_summary(results)


def period_spans(periods: list[str], order: list[str]) -> str:
    """'p2026-p2036, p2046' for consecutive runs of periods in the case's order."""
    pos = sorted(order.index(p) for p in set(periods) if p in order)
    runs: list[list[int]] = []
    for i in pos:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(order[r[0]] if len(r) == 1 else f"{order[r[0]]}-{order[r[-1]]}"
                     for r in runs)


def solve_status(m: dict) -> str:
    """A run's status and, for a MIP, its gap ("feasible, MIP gap 0.09%": stopped at a
    limit short of the gap asked for; "no MIP bound" when the solver gave none)."""
    if not m.get("is_mip") or m.get("relaxed"):
        return str(m["status"])
    gap = m.get("mip_gap")
    return f"{m['status']}, " + (f"MIP gap {gap:.2%}" if gap is not None else "no MIP bound")


def _objective_word(m: dict) -> str:
    """What a run's objective is: a cost case's is its total cost (NPV of its costs)."""
    return "total cost" if m.get("objective_sense") == "cost" else "objective"


def musd(x: float) -> str:
    """An amount in MUSD as every report writes it (:func:`chainopt.report.numbers.number`:
    thousands separators, three decimals below 10, one from 10 up: 0.950, 12.3,
    156,964.1), so that the terminal and the reports agree."""
    from chainopt.report.numbers import number  # lazy: start-up (math only)

    return number(float(x))


def quantity(x: float) -> str:
    """A quantity (k units/yr) as the terminal writes it: four significant digits, whole
    from 1,000 (1.45, 2, 157,771; at most six decimals); not finite: as Python writes it."""
    if not math.isfinite(x):
        return f"{x:,}"
    places = 0 if abs(x) < 1e-6 else min(6, max(0, 3 - math.floor(math.log10(abs(x)))))
    text = f"{x:,.{places}f}"
    if places:
        text = text.rstrip("0").removesuffix(".")
    return text.removeprefix("-") if text.strip("-0.") == "" else text


#: investments the run summary names, the largest first (the rest counted: investments.csv
#: has all)
BUILDS_SHOWN = 5


def print_builds(results) -> None:
    """What the plan builds or extends (``investments``), the largest overnight cost
    first: kind, name, amount (capacity a year in its unit, a project's built share),
    overnight cost (undiscounted) and first year of use; the first :data:`BUILDS_SHOWN`,
    then how many more; or that it builds nothing."""
    inv = results.tables.get("investments")
    if inv is None or inv.empty:
        console.print("builds nothing: no unit, link or project built, no life extended")
        return
    top = inv.sort_values("overnight_musd", ascending=False, kind="stable").head(BUILDS_SHOWN)
    # the capacity unit of the ones shown only (capacity.csv's quantity_unit; folders
    # written before it: "units"); an extension keeps a unit's capacity
    cap = results.tables["capacity"]
    shown = cap[cap["name"].isin(set(top["name"]))].drop_duplicates(["kind", "name"])
    unit = (dict(zip(zip(shown["kind"], shown["name"], strict=True),
                     shown["quantity_unit"].astype(str), strict=True))
            if "quantity_unit" in cap else {})
    rows = []
    for r in top.itertuples(index=False):
        if r.kind == "project":
            amount = f"{r.amount:.0%} built"
        else:
            of = unit.get(("link" if r.kind == "link" else "unit", r.name), "units")
            amount = f"{quantity(r.amount)} k {of}/yr"
        first = r.first_use_year
        rows.append([str(r.kind), str(r.name), amount, musd(r.overnight_musd),
                     str(int(first)) if first == first else "-"])
    print_table("Builds (overnight cost, undiscounted)",
                ["kind", "name", "amount", "overnight (MUSD)", "first use"], rows)
    if len(inv) > len(top):
        console.print(f"  ... and {len(inv) - len(top)} more (investments.csv)")


#: commodities sold beside the top products that the run summary names (the rest counted)
ALSO_SOLD_SHOWN = 5


def also_sold(results, products: set[str]) -> str:
    """'' or a line naming the commodities a plan sells that Top products (and kpis.csv
    ``production_*``, the product-mix chart) leave out, those of a kind other than
    ``product`` or not made by the plan (small_chain's naphtha, an intermediate: 1,292 k
    t/yr for 581.4 MUSD/yr, more than its hdpe): each at its largest yearly sales over
    the periods, with that period's revenue, the largest revenue first."""
    sales = results.tables.get("sales")
    if sales is None or sales.empty:
        return ""
    by = sales.groupby(["commodity", "period"], sort=False)[
        ["sales_k_per_yr", "revenue_musd_per_yr"]].sum().reset_index()
    by = by[~by["commodity"].astype(str).isin(products) & (by["sales_k_per_yr"] > 1e-6)]
    if by.empty:
        return ""
    top = by.sort_values("sales_k_per_yr", ascending=False, kind="stable").drop_duplicates(
        "commodity").sort_values("revenue_musd_per_yr", ascending=False, kind="stable")
    com = results.tables.get("commodities")
    unit = (dict(zip(com["commodity"].astype(str), com["unit"].astype(str), strict=True))
            if com is not None and "unit" in com else {})
    shown = [f"{c} up to {quantity(q)} k {unit.get(str(c), 'units')}/yr ({musd(r)} MUSD/yr)"
             for c, q, r in zip(top["commodity"], top["sales_k_per_yr"],
                                top["revenue_musd_per_yr"], strict=True)][:ALSO_SOLD_SHOWN]
    more = len(top) - ALSO_SOLD_SHOWN
    return ("  also sold (not in Top products, which lists the commodities of kind product "
            "the plan makes): " + ", ".join(shown)
            + (f" and {more} more" if more > 0 else "") + " (sales.csv)")


def print_summary(results) -> None:
    """Status, objective, top products, what the plan builds, binding capacities and
    where results are."""
    from chainopt.results import run_title  # lazy: start-up (loaded by the run itself)

    m = results.manifest
    title = run_title(m)
    what = f"{_objective_word(m)} (NPV)"
    relaxed = f", LP relaxation ({m['relaxed']} integer decisions relaxed)" if m.get(
        "relaxed") else ""
    console.print(f"[bold]{title}[/]: {solve_status(m)}{relaxed}, {what} "
                  f"[bold]{musd(m['objective'])} MUSD[/]", soft_wrap=True)
    tm = m["timings_s"]
    build_s = sum(tm.get(k, 0.0) for k in ("index_s", "matrix_s", "pyomo_s", "handover_s"))
    console.print(f"  {m['num_vars']:,} variables, {m['num_rows']:,} constraints; load "
                  f"{tm.get('load_s', 0):.2f} s, build {build_s:.2f} s, solve "
                  f"{tm.get('solve_s', 0):.2f} s, extract {tm.get('extract_s', 0):.2f} s",
                  soft_wrap=True)
    k = results.tables["kpis"]
    prod = k[k["kpi"].str.startswith("production_")]
    if len(prod):
        periods = list(dict.fromkeys(prod["period"]))
        piv = prod.pivot_table(index="kpi", columns="period", values="value", aggfunc="sum")
        piv = piv.reindex(columns=periods).fillna(0.0)
        piv = piv.loc[piv.sum(axis=1).sort_values(ascending=False).index[:8]]
        # each product in its own unit (kpis.csv's, "k t/yr"): in the title when those
        # shown share one, else a column (the title said "k units/yr" of t and 1000m3 alike)
        unit = dict(zip(prod["kpi"], prod["unit"], strict=True))
        one = len({unit[k] for k in piv.index}) == 1
        print_table(f"Top products ({unit[piv.index[0]] if one else 'per year'})",
                    ["product", *([] if one else ["unit"]), *periods],
                    [[kpi.removeprefix("production_"), *([] if one else [unit[kpi]]),
                      *[quantity(v) for v in row]] for kpi, row in piv.iterrows()])
    sold = also_sold(results, set(prod["kpi"].str.removeprefix("production_")))
    if sold:
        console.print(escape(sold), highlight=False)
    print_builds(results)
    cap = results.tables["capacity"]
    # a unit or link with no capacity in a period (not built yet, retired) does not bind
    # there, whatever its row's marginal value: explain says "not available until ..."
    bind = cap[(cap["shadow_price_usd_per_unit_yr"] > 1e-6)
               & (cap["total_k_per_yr"].fillna(0.0).abs() > 1e-9)]
    if len(bind):
        order = m.get("periods") or list(dict.fromkeys(cap["period"]))
        top = bind.groupby(["kind", "name"], sort=False)["shadow_price_usd_per_unit_yr"].max(
        ).sort_values(ascending=False).head(10)  # period spans only for the ten shown
        # capacity.csv's quantity_unit (folders written before it: "unit"), of the ten
        # shown only (a row each of thousands made a dict in Python at 300k variables)
        shown = bind.set_index(["kind", "name"]).loc[top.index]
        unit = (dict(zip(shown.index, shown["quantity_unit"].astype(str), strict=True))
                if "quantity_unit" in bind else {})
        rows = []
        for (kind, nm), value in top.items():
            spans = period_spans(list(bind.loc[(bind["kind"] == kind) & (bind["name"] == nm),
                                               "period"]), order)
            rows.append([kind, nm, spans,
                         f"{musd(value)} per {unit.get((kind, nm), 'unit')}/yr of capacity"])
        print_table("Binding capacities (value of one more unit of capacity)",
                    ["kind", "name", "periods", "USD a year (max)"], rows)
    for note in run_warnings(results):
        warn(note)
    if m.get("results_dir"):
        console.print(f"results written to [bold]{one_line(m['results_dir'])}[/]",
                      soft_wrap=True)
        console.print(f"why this plan: chainopt explain {shell_word(m['results_dir'])} "
                      "[--ranging]",
                      highlight=False, markup=False, soft_wrap=True)


@app.command()
def sweep(
    source: CaseArg = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="TABLE.COLUMN[KEY=VALUE,...]OP VALUES with OP =, *= or +=, VALUES "
                      "start:stop:count or v1,v2,...; several --set make a grid.")] = None,
    samples: Annotated[int, typer.Option(
        help="Monte Carlo draws, 0 (none) to 100000 (needs --distributions).",
        callback=_between(0, 100_000))] = 0,
    seed: Annotated[int | None, typer.Option(help="Random seed of the draws (>= 0; "
                                                 "default 0).",
                                             callback=_between(0, 2**63 - 1))] = None,
    distributions: Annotated[Path | None, typer.Option(help="YAML declaring the "
                                                            "distributions.")] = None,
    jobs: Annotated[int, typer.Option(help="Local worker processes (>= 1).",
                                      callback=_between(1, MAX_JOBS))] = os.cpu_count() or 1,
    dask: Annotated[str | None, typer.Option(help="Dask scheduler address (or set "
                                                  "DASK_SCHEDULER_ADDRESS).")] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish an interrupted sweep folder.")]
    = None,
    out: Annotated[Path | None, typer.Option(help="Folder for sweep-<name>/ (default "
                                                  "results).")] = None,
    name: Annotated[str | None, typer.Option(help="Sweep name, snake_case (default: the "
                                                  "scenario or case name).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing sweep folder.")] = False,
    full: Annotated[list[str] | None, typer.Option(help="Also save full results of this "
                                                        "variant id (repeatable).")] = None,
    time_limit: Annotated[float | None, typer.Option(
        help="Solver time limit per variant in seconds (> 0).", callback=_positive)] = None,
    warm_basis: Annotated[bool, typer.Option(
        "--warm-basis", help="Start each variant from the basis of the one solved before "
                             "it: faster on big cases; where several plans are optimal, "
                             "which one a variant reports may depend on the order.")] = False,
) -> None:
    """Run many variants of a case or scenario: a grid or Monte Carlo draws.

    Example: chainopt sweep small_chain
    --set 'markets.price_usd_per_unit\\[commodity=hdpe]*=0.7:1.3:13'
    """
    # lazy: rich's progress bars only for the commands that show them
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    try:
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total}"), TimeRemainingColumn(),
                      console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("sweep", total=None)

            solved: list[int] = []  # variants solved now (a resume: those not yet done)

            def tick(i: int, n: int, row: dict) -> None:
                solved.append(i)
                bar.update(task, total=n, completed=i,
                           description=f"{row['variant']} {row['status']}")

            notes: list[str] = []  # of the base and the folder, said after the summary
            kpis, summary, folder = api.sweep(
                source, sets=set_ or [], samples=samples, seed=seed,
                distributions=distributions, out=out, name=name, jobs=jobs, dask=dask,
                resume=resume, overwrite=overwrite, full=full or [],
                options=api.solve_options(time_limit_s=time_limit), progress=tick,
                warm_basis=warm_basis, warn=notes.append)
    except ChainoptError as exc:
        raise _fail(exc) from None
    except errors.SweepInterrupted as exc:  # the variants finished are kept: resumable
        err.print(escape(str(exc)), highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    ok = kpis["status"].isin(["optimal", "feasible"]).sum()
    if resume is not None and not solved and len(kpis):  # (it read as if it had run them)
        console.print(f"nothing to resume: all {len(kpis)} variants were done ({ok} solved, "
                      f"{len(kpis) - ok} failed); tables written again from their parts to "
                      f"[bold]{one_line(folder)}[/]", soft_wrap=True)
    else:
        console.print(f"{len(kpis)} variant{'' if len(kpis) == 1 else 's'}, {ok} solved, "
                      f"{len(kpis) - ok} failed; "
                      f"written to [bold]{one_line(folder)}[/]", soft_wrap=True)
    failed = api.failed_variants(kpis)
    for line in failure_lines(failed):
        console.print(escape(line), highlight=False)
    # (a plan not proven optimal, status feasible, is one warning below: api.sweep's)
    said = kpis[kpis["status"].eq("optimal") & kpis["message"].notna()
                & kpis["message"].astype(str).ne("")]
    if len(said):  # solved, with a note: a project the variant needs for a plan
        console.print(f"  note: {len(said)} solved variant{'s' if len(said) > 1 else ''} "
                      f"with a note in kpis.csv, column message ({said['variant'].iloc[0]}: "
                      f"{escape(str(said['message'].iloc[0]))})", highlight=False)
    for note in notes:  # of the base as `chainopt run` would, once; parts left out
        warn(note)
    for vid in dict.fromkeys(full or []):
        if vid in failed:
            warn(f"--full {vid}: not saved, the variant failed ({failed[vid]})")
    if len(kpis) and not ok:  # nothing to summarise: the worst of the variants' codes
        # (a variant's status is the name of the error it met)
        code = max(getattr(getattr(errors, str(s), None), "exit_code", 4)
                   for s in kpis["status"])
        err.print(f"[bold red]error:[/] no variant solved (see kpis.csv, column message: "
                  f"{escape(str(kpis['message'].iloc[0]))})")
        raise typer.Exit(code)
    # draws: their distribution; a grid: the range over its points (no percentiles of
    # points chosen: chainopt.report.sweep_stats)
    stats = ("mean", "p05", "p50", "p95") if "p50" in set(summary["statistic"]) \
        else ("min", "max")
    # in summary.csv's order (the objective first), not pivot_table's alphabetical one
    piv = summary.pivot_table(index="measure", columns="statistic", values="value",
                              aggfunc="first").reindex(list(dict.fromkeys(summary["measure"])))
    print_table("Summary" if len(stats) > 2 else "Range over the grid's points",
                ["measure", *stats],
                [[str(measure), *[musd(row.get(k, float("nan"))) for k in stats]]
                 for measure, row in piv.iterrows()
                 if stats[0] in row and row.notna().get(stats[0], False)])
    # lazy: the report side (pandas) only for the commands that print sweeps
    from chainopt.report.numbers import share
    from chainopt.report.sweep_stats import SHARE_BUILT, failed_draws, one_draw

    # shares of the variants solved: with some failed, said so (summary.csv's count)
    some = f" {ok} solved" if ok < len(kpis) else ""
    for r in summary[summary["statistic"].isin(SHARE_BUILT.values())].itertuples():
        console.print(f"  project {r.measure}: built in {share(r.value)} of "
                      + (f"{ok} solved draws" if some else "variants")
                      if r.statistic == SHARE_BUILT["draws"] else
                      f"  project {r.measure}: built at {share(r.value)} of the grid's{some} "
                      "points (a share of the points chosen, not a probability)")
    if len(stats) > 2:  # draws: their statistics are of those solved alone
        for note in (failed_draws(kpis, "summary.csv, statistic count"),
                     one_draw(kpis, ONE_DRAW_SUMMARY)):
            if note:
                warn(note)


#: what a sweep's statistics of one draw are (:func:`chainopt.report.sweep_stats.one_draw`)
ONE_DRAW_SUMMARY = ("its percentiles are that one value and its std is blank (undefined "
                    "for one draw; summary.csv)")
#: failed variants of a sweep named on the terminal (the rest counted: kpis.csv has all)
FAILURES_SHOWN = 3
#: characters of a failed variant's reason on the terminal: its start, then its end
REASON_CHARS = 200
REASON_END = 60


def _words(text: str, n: int, end: bool = False) -> str:
    """The first (``end``: last) ``n`` characters of ``text`` cut between two words, or
    mid-word when the words are longer than half of ``n``."""
    if end:
        piece = text[-n:]
        i = piece.find(" ")
        return piece[i + 1:] if 0 <= i < n // 2 else piece
    piece = text[:n]
    i = piece.rfind(" ")
    return piece[:i] if i > n // 2 else piece


def failure_lines(failed: dict[str, str]) -> list[str]:
    """The terminal's lines naming a sweep's failed variants (``id -> "status: message"``,
    :func:`chainopt.api.failed_variants`): the first :data:`FAILURES_SHOWN`, each with its
    status and the first sentence of its message (a longer one cut between words to its
    first :data:`REASON_CHARS` characters, which say which variant, what was set and what
    is wrong, and its last :data:`REASON_END`, the end of the sentence: cut in its middle,
    'tier 2 of prod at a pa ... es, or make' had lost what was wrong), then how many more,
    and where every whole message is."""
    lines = []
    for vid, reason in list(failed.items())[:FAILURES_SHOWN]:
        first = " ".join(reason.split(". ", 1)[0].split())
        if len(first) > REASON_CHARS + REASON_END + 5:
            first = (f"{_words(first, REASON_CHARS)} ... "
                     f"{_words(first[REASON_CHARS:], REASON_END, end=True)}")
        lines.append(f"  failed {vid}: {first}")
    more = len(failed) - FAILURES_SHOWN
    if failed:
        lines.append(f"  {f'and {more} more; ' if more > 0 else ''}whole messages in "
                     "kpis.csv, column message")
    return lines


@app.command()
def sensitivity(
    source: Annotated[str | None, typer.Argument(help="A scenario (or case) that builds "
                                                      "the project.")] = None,
    project: Annotated[str | None, typer.Option(help="The project to test (e.g. mp2).")]
    = None,
    drivers: Annotated[str, typer.Option(help="Comma-separated: price, feed, capex, carbon, "
                                              "discount.", callback=_one_of(_drivers,
                                                                            comma=True))]
    = "price,feed,capex,carbon,discount",
    swing: Annotated[float, typer.Option(help="Tornado: each driver ± this fraction (above 0, "
                                              "at most 1).", callback=_fraction)] = 0.2,
    sweep_dir: Annotated[Path | None, typer.Option("--sweep", help="A Monte Carlo sweep "
                                                   "folder: P10/P50/P90 of each project's "
                                                   "incremental NPV and P(built).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder for sensitivity-<scenario>-<project>/ (default results); not with "
             "--sweep alone, whose files go in the sweep folder.", show_default=False)]
    = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing "
                                                 "sensitivity-<scenario>-<project>/ folder, "
                                                 "and a sweep folder's projects_mc files.")]
    = False,
    time_limit: Annotated[float | None, typer.Option(
        help="Solver time limit per solve in seconds (> 0).", callback=_positive)] = None,
    jobs: Annotated[int | None, typer.Option(
        help="Parallel processes, one driver each at a time (default: number of cores); "
             "the same numbers for any number.",
        callback=_between(1, MAX_JOBS))] = None,
) -> None:
    """Break-even values and a tornado of a project's NPV; its spread from a sweep.

    The incremental NPV, re-solved warm, each against the project's counterfactual;
    with --sweep, P10/P50/P90 and P(built) from a Monte Carlo sweep.

    Example: chainopt sensitivity scenarios/proposal_nakhodka_methanol_urea.yaml --project mp2
    """
    if (source is None or project is None) and sweep_dir is None:
        err.print("[bold red]error:[/] give SCENARIO --project P, or --sweep DIR")
        raise typer.Exit(2)
    if out is not None and sweep_dir is not None and project is None:
        # (it was ignored without a word: the files went into the sweep folder)
        err.print("[bold red]error:[/] --out is for the break-evens and tornado of SCENARIO "
                  "--project P; --sweep writes projects_mc.csv and projects_mc.png into the "
                  "sweep folder")
        raise typer.Exit(2)
    try:
        res = api.sensitivity(source if project else None, project,
                              [d.strip() for d in drivers.split(",") if d.strip()], swing,
                              sweep_folder=sweep_dir, out=out or Path("results"),
                              overwrite=overwrite, jobs=jobs,
                              options=api.solve_options(time_limit_s=time_limit),
                              progress=lambda m: err.print(f"[dim]{escape(m)} ...[/]"))
    except ChainoptError as exc:
        raise _fail(exc) from None
    if "breakeven" in res:
        be = res["breakeven"].copy()
        # one crossing of the range scanned: on which side of it the project pays
        side = ["" if ";" in str(many) else "pays above" if lo < 0 < hi else
                "pays below" if lo > 0 > hi else ""
                for many, lo, hi in zip(be["break_evens"], be["npv_at_low_musd"].astype(float),
                                        be["npv_at_high_musd"].astype(float), strict=True)]
        notes = ["; ".join(t for t in r if t)
                 for r in zip(side, be["note"], be["gaps"], strict=True)]
        be["break-even"] = [("none: " + n) if v is None or v != v
                            else f"{v:.4g}" + (f" ({n})" if n else "")
                            for v, n in zip(be["value"], notes, strict=True)]
        _print_frame("breakeven", f"Break-even of {project} (incremental NPV = 0, to "
                     f"{be['tolerance_musd'].max():g} MUSD; held built as the scenario builds "
                     f"it: {res['held']})",
                     be[["driver", "meaning", "base", "break-even"]])
        tor = res["tornado"]
        note = res.get("warning")
        shown = tor[["driver", "low_value", "high_value", "npv_low_musd", "npv_base_musd",
                     "npv_high_musd"]].copy()
        if note:  # the NPVs' ranges only where the MIP gaps leave one open
            for at in ("low", "high"):
                shown[f"npv_{at} range"] = [
                    f"{a:,.3f} to {b:,.3f}" for a, b in zip(
                        tor[f"npv_{at}_from_musd"], tor[f"npv_{at}_to_musd"], strict=True)]
        if (tor["note"] != "").any():  # the project needed for any plan: no NPV
            shown["note"] = tor["note"]
        moved = res.get("moved", "")  # what each driver shown is moved to
        _print_frame("tornado", "Tornado: incremental NPV (MUSD)"
                     + (f" for {moved}" if moved else ""), shown)
        for text in ([note] if note else []) + res.get("warnings", []):
            warn(text)
        console.print(f"{res['solves']} re-solves ({res['warm']} warm); written to "
                      f"[bold]{one_line(res['folder'])}[/]", soft_wrap=True)
    if "monte_carlo" in res:
        note = res.get("monte_carlo_warning")
        mc = res["monte_carlo"]  # the P50's range only where the MIP gaps leave it open
        _print_frame("monte_carlo", "Monte Carlo: incremental NPV (MUSD) and P(built)",
                     mc if note else mc.drop(columns=["p50_low_musd", "p50_high_musd"]))
        for text in (note, res.get("monte_carlo_failed"), res.get("monte_carlo_one"),
                     res.get("monte_carlo_needed")):
            if text:
                warn(text)
        console.print(f"written to [bold]{one_line(sweep_dir)}[/] (projects_mc.csv, "
                      "projects_mc.png)", soft_wrap=True)


@app.command()
def report(
    folder: Annotated[Path, typer.Argument(help="A results folder (chainopt run) or a "
                                                "comparison folder (chainopt compare).")],
    png: Annotated[bool, typer.Option("--png", help="Also write the charts as PNG.")] = False,
    svg: Annotated[bool, typer.Option("--svg", help="Also write the charts as SVG.")] = False,
    measure: Annotated[str, typer.Option(help="Sankey band widths: mass (kt/yr), energy "
                                              "(TJ/yr) or value (MUSD/yr).",
                                         callback=_one_of(_measures))] = "mass",
    pptx: Annotated[bool, typer.Option("--pptx", help="Also write a PowerPoint deck "
                                                      "(report.pptx; for a comparison also "
                                                      "comparison.xlsx).")] = False,
    out: Annotated[Path | None, typer.Option(help="HTML file to write (default: "
                                                  "FOLDER/report.html).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace files at --out (the report, its "
                                                 "charts and deck).")] = False,
) -> None:
    """Write a self-contained HTML report (opens offline), optionally PNG/SVG charts.

    Example: chainopt report results/small_chain --png
    """
    static = [f for f, on in (("png", png), ("svg", svg)) if on]
    notes: list[str] = []
    try:
        paths = api.report(folder, out=out, static=static, pptx=pptx, measure=measure,
                           warn=notes.append, overwrite=overwrite)
    except ChainoptError as exc:
        raise _fail(exc) from None
    console.print(f"report written to [bold]{one_line(paths[0])}[/]", soft_wrap=True)
    for note in notes:  # a picture left out of the deck
        warn(note)
    for p in paths[1:]:
        if p.suffix in (".pptx", ".xlsx", ".html"):
            what = {".pptx": "deck", ".xlsx": "workbook", ".html": "deck preview"}[p.suffix]
            console.print(f"{what} written to [bold]{one_line(p)}[/]", soft_wrap=True)
    charts_written = [p for p in paths[1:] if p.suffix not in (".pptx", ".xlsx", ".html")]
    if charts_written:
        console.print(f"{len(charts_written)} chart files written to "
                      f"[bold]{one_line(charts_written[0].parent)}[/]", soft_wrap=True)


@app.command()
def convert(
    source: Annotated[str, typer.Argument(help="A case folder, embedded case name or .xlsx "
                                               "workbook.")],
    target: Annotated[Path, typer.Argument(help="OUT.xlsx (from a folder) or OUT_DIR (from "
                                                "a workbook).")],
    overwrite: Annotated[bool, typer.Option(help="Replace an existing target.")] = False,
) -> None:
    """Turn a case folder into one Excel workbook, or a workbook back into a folder.

    Example: chainopt convert small_chain small_chain.xlsx
    """
    notes: list[str] = []
    try:
        path = api.convert(source, target, overwrite=overwrite, warn=notes.append)
        h = api.load_case(str(path))
    except ChainoptError as exc:
        raise _fail(exc) from None

    console.print(f"written [bold]{one_line(path)}[/] (case '{h.name}', input hash "
                  f"{api.input_hash(h)[:12]})", soft_wrap=True)
    for note in notes:
        warn(note)


@app.command()
def explain(
    target: Annotated[str | None, typer.Argument(
        help="Results folder (with manifest.json) to explain, or a case folder / embedded "
             "name to diagnose when it does not solve.", show_default=False)] = None,
    ranging: Annotated[bool, typer.Option(help="Show the most sensitive costs and bounds "
                                               "(ranging) of a results folder.")] = False,
    elastic: Annotated[bool, typer.Option(help="For an infeasible case: the smallest "
                                               "relaxation that makes it feasible.")] = False,
    top: Annotated[int | None, typer.Option(
        help="How many items per list (>= 1; default 10, and 15 for --ranging).",
        callback=_between(1), show_default=False)] = None,
    period: Annotated[str | None, typer.Option(help="Period of the netback chains "
                                                    "(default: the first with sales); with "
                                                    "--ranging, list that period's inputs "
                                                    "alone.")] = None,
) -> None:
    """Why this plan (binding constraints, netbacks, near misses) or why a case fails.

    Example: chainopt explain results/small_chain --ranging
    """
    try:
        lines = api.explain(target, ranging=ranging, elastic=elastic, top=top, period=period)
    except ChainoptError as exc:
        raise _fail(exc) from None
    say_lines(lines)


@app.command()
def export(
    case: CaseArg = None,
    mps: Annotated[Path | None, typer.Option(help="Write the model as MPS to this file.")]
    = None,
    lp: Annotated[Path | None, typer.Option(help="Write the model as LP to this file.")] = None,
    ranges: Annotated[bool, typer.Option(help="Print the coefficient-range report.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing MPS/LP file.")] = False,
) -> None:
    """Write the model with readable names (MPS/LP) and report its coefficient ranges.

    Example: chainopt export small_chain --lp model.lp --ranges
    """
    for path, ext in ((mps, ".mps"), (lp, ".lp")):
        if path is not None and path.suffix.lower() != ext:
            err.print(f"[bold red]error:[/] --{ext[1:]} file must end in {ext} (found "
                      f"'{one_line(path)}')")
            raise typer.Exit(2)
    if mps is None and lp is None and not ranges:
        err.print("[bold red]error:[/] nothing to do: give --mps FILE, --lp FILE or --ranges")
        raise typer.Exit(2)
    try:
        written, report_lines = api.export(case, mps=mps, lp=lp, overwrite=overwrite)
    except ChainoptError as exc:
        raise _fail(exc) from None
    for path in written:
        console.print(f"model written to [bold]{one_line(path)}[/]", soft_wrap=True)
    say_lines(report_lines if ranges else
              [x for x in report_lines if x.startswith(("warning", "note"))])


def run_warnings(results) -> list[str]:
    """What a run's terminal warns of: the inputs that change nothing (the manifest's
    ``warnings``: a policies row where nothing emits), a plan not proven optimal (stopped
    at its time limit, :func:`chainopt.results.stopped_early`), the demand floors left
    unmet and coefficients spanning a ratio above 1e8 (``coefficient_ranges``, as explain
    warns)."""
    from chainopt.report.explain import numerics_lines  # lazy: start-up
    from chainopt.results import stopped_early  # lazy: start-up

    short = shortfall_note(results)
    ranges = results.tables.get("coefficient_ranges")
    scaling = ([] if ranges is None else
               [w.removeprefix("warning: ") for w in numerics_lines(ranges, only_warnings=True)])
    early = stopped_early(results.manifest)
    return [*results.manifest.get("warnings", []), *([early] if early else []),
            *([short] if short else []), *scaling]


def shortfall_note(results) -> str:
    """'' or a sentence on the soft demand floors a run leaves unmet: how many, the
    first one, and what to do."""
    from chainopt.report.explain import unmet_floors, unmet_summary  # lazy: start-up

    short = unmet_floors(results.tables.get("sales"))
    if short.empty:
        return ""
    n, text = unmet_summary(results.tables, short)
    kpis = results.tables.get("kpis")
    paid = [] if kpis is None else kpis.loc[kpis["kpi"].eq("npv_shortfall_penalty"),
                                           "value"].tolist()
    penalty = (f" of {musd(-paid[0])} MUSD (NPV, kpis.csv npv_shortfall_penalty)"
               if paid else "")
    # the folder and the source as given again on this machine (review infeas F5: it said
    # "raise supply or capacity" where an emission cap held them, and CASE literally)
    from chainopt.case.scenario import typed  # lazy: start-up

    folder, source = results.manifest.get("results_dir"), results.manifest.get("source")
    binds = (f"`chainopt explain {shell_word(str(folder))}` names what holds them (a supply, "
             "a capacity, a cap)" if isinstance(folder, str) else
             "`chainopt explain` of the results folder names what holds them")
    case = shell_word(typed(source)) if isinstance(source, str) and source else "CASE"
    return (f"{n} demand floor{'s' if n > 1 else ''} not met ({text}; sales.csv, column "
            f"shortfall_k_per_yr): the objective pays their penalty{penalty}. {binds}; or set "
            f"demand_floors: hard and run `chainopt explain {case} --elastic` for the "
            "smallest change that meets them")


def _with_progress(n: int, call):
    """``call(on_done)`` with a progress bar over ``n`` runs (stderr) and one status line
    per run: a run's line is a result (stdout), its warnings (indented, each naming the
    run) and a failure are stderr's. With stdout and stderr both a terminal (the same
    screen) the status lines go through the bar's console, above the bar, which a line
    written beside it would break."""
    # lazy: rich's progress bars only for the commands that show them
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    screen = console.file.isatty() and err.file.isatty()
    out = err if screen else console

    def line(o) -> None:
        if o.ok:
            m = o.results.manifest
            # a plan not proven optimal (stopped at a time limit) says so, with its gap
            stopped = ("" if m.get("status") == "optimal"
                       else f"[yellow]{escape(solve_status(m))}[/], ")
            out.print(f"[green]{o.status}[/] {one_line(o.name)}: {stopped}"
                      f"{_objective_word(m)} {musd(m['objective'])} MUSD"
                      + (f" ({one_line(o.note)})" if o.note else ""), highlight=False,
                      soft_wrap=True)  # one line each, whatever the width
            for note in run_warnings(o.results):  # named: stderr may be read apart
                warn(f"{o.name}: {note}", indent="  ")
        else:
            err.print(f"[bold red]failed[/] {one_line(o.name)} (exit {o.exit_code}): "
                      f"{escape(o.error)}", highlight=False)
        progress.advance(task)

    # stdout stays stdout under the bar (rich sends it to the bar's terminal otherwise);
    # the bar goes when the runs are done (each has its line), and a command refused before
    # any run leaves no "running 2 0/2" above its error; a bar is for a terminal only
    # (rich ends one on a file with an empty line)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, redirect_stdout=screen, transient=True,
                  disable=not err.is_terminal) as progress:
        task = progress.add_task(f"running {n}", total=n)
        return call(line)


def _say_failures(outcomes: list) -> None:
    bad = [o for o in outcomes if not o.ok]
    if bad:
        err.print(f"[bold red]{len(bad)} of {len(outcomes)} runs failed:[/] "
                  + one_line(", ".join(o.name for o in bad)))


def run_parallel(sources: list[str], out: Path, jobs: int | None, overwrite: bool, options,
                 reuse: bool = False, save: bool = True) -> list:
    """Run several sources with a progress bar and one status line per run."""
    outcomes = _with_progress(len(sources), lambda line: api.run_many(
        sources, out=out, jobs=jobs, overwrite=overwrite, options=options, reuse=reuse,
        save=save, on_done=line))
    _say_failures(outcomes)
    return outcomes


@app.command()
def show(
    scenario: Annotated[str, typer.Argument(help="Scenario .yaml file, or (with --source) a "
                                                 "case or scenario.")],
    root: Annotated[bool, typer.Option(help="Show the changes against the root case of the "
                                            "chain instead of the scenario's own base.")]
    = False,
    source: Annotated[str | None, typer.Option(help="Print where the numbers of this table "
                                                    "come from (its source column).",
                                               callback=_one_of(_tables))] = None,
    key: Annotated[str | None, typer.Option(help="With --source: only rows whose key "
                                                 "contains this text.")] = None,
) -> None:
    """Print what a scenario changes against its base, or where a case's numbers come from.

    Example: chainopt show scenarios/small_high_prices.yaml
    Example: chainopt show ru_eastwest --source units --key amur
    """
    if source is not None:
        _show_source(scenario, source, key)
        return
    if key is not None:  # (it was ignored: the error spoke of scenario files alone)
        err.print("[bold red]error:[/] --key selects the rows of --source TABLE; give "
                  f"--source too (chainopt show {escape(scenario)} --source units --key "
                  f"{escape(key)})", soft_wrap=True)
        raise typer.Exit(2)
    try:
        shown = api.show_changes(scenario, root=root)
    except ChainoptError as exc:
        raise _fail(exc) from None
    from chainopt.case.scenario import chain_text  # lazy: start-up

    console.print("[bold]chain:[/] " + escape(chain_text(shown["chain"])), highlight=False,
                  soft_wrap=True)
    if shown["description"]:
        console.print(escape(shown["description"]), highlight=False)
    diff = shown["changes"]
    if diff.empty:
        console.print("no effective changes")
    else:
        rows = []
        for r in diff.itertuples(index=False):
            changed = r.action == "changed"
            # a blank override is no override: the row's own value holds in that period
            blank = "(row's value)" if r.table.endswith("_by_period") else "(blank)"
            rows.append([str(v) for v in (
                r.table, r.key, r.column, (r.old or blank) if changed else r.old,
                (r.new or blank) if changed else r.new, r.action)])
        print_table("Changes against " + ("the root case" if root else "the base"),
                    ["table", "key", "column", "old", "new", "action"], rows)
    if len(shown["projects"]):
        print_table("Project states", ["project", "base", "scenario"],
                    [[str(r.project), str(r.base),
                      r.scenario + ("" if r.base == r.scenario else "  (changed)")]
                     for r in shown["projects"].itertuples(index=False)])


@app.command()
def compare(
    scenarios: Annotated[list[str], typer.Argument(help="Cases or scenario .yaml files; the "
                                                        "first is the base.")],
    out: Annotated[Path, typer.Option(help="Folder holding results/<name> and "
                                           "compare-<name>.")] = Path("results"),
    name: Annotated[str | None, typer.Option(help="Comparison name, snake_case (default: the "
                                                  "run names joined by -vs-, a long one cut with a "
                                                  "hash).")] = None,
    jobs: Annotated[int | None, typer.Option(
        help="Parallel processes (default: number of cores).",
        callback=_between(1, MAX_JOBS))] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace results folders that hold results "
                                                 "of other inputs, and an existing "
                                                 "compare-<name> folder.")] = False,
    rows: Annotated[int, typer.Option(help="Rows shown per section in the terminal (>= 1).",
                                      callback=_between(1))] = 12,
    detail: Annotated[list[str] | None, typer.Option(
        help="Also print this detail table (repeat; 'all' for every one): "
             f"{', '.join(DETAIL_TABLES)}.",
        callback=_one_of(lambda: DETAIL_TABLES, also=("all",)))
    ] = None,
) -> None:
    """Run (or reuse up-to-date results of) scenarios and compare them with the first.

    Prints a summary (one line per scenario) and the economics of each effect; detail
    tables only with --detail. Writes CSV and Markdown to results/compare-<name>/.

    Example: chainopt compare small_chain scenarios/small_port_expansion.yaml
    """
    if len(scenarios) < 2:
        # the way forward, written out: the base first, then what is compared with it
        err.print("[bold red]error:[/] compare needs at least two cases or scenarios, the "
                  "base first, then the scenarios compared with it (chainopt compare "
                  "small_chain scenarios/small_port_expansion.yaml)", soft_wrap=True,
                  highlight=False)
        raise typer.Exit(2)
    try:
        sections, outcomes, folder = _with_progress(len(scenarios), lambda line: api.compare(
            scenarios, out=out, name=name, jobs=jobs, overwrite=overwrite, on_done=line))
    except ChainoptError as exc:
        raise _fail(exc) from None
    for o in outcomes:  # solved, but a project of it cannot be valued: dropped, said why
        if o.status == "unvalued":
            err.print(f"[bold red]failed[/] {one_line(o.name)} (exit {o.exit_code}): "
                      f"{escape(o.error)}", highlight=False)
    _say_failures(outcomes)
    good = [o.name for o in outcomes if o.ok]
    worst = max(o.exit_code for o in outcomes)
    if not sections:
        err.print("[bold red]error:[/] nothing to compare (the base and at least one other run "
                  "must succeed)")
        raise typer.Exit(worst or 1)
    print_comparison(sections, good, detail or [], rows)
    console.print(f"comparison written to [bold]{one_line(folder)}[/]", soft_wrap=True)
    raise typer.Exit(worst)


def _print_frame(key: str, title: str, df, rows: int | None = None,
                 names: list[str] | None = None) -> None:
    """One table on the terminal (:func:`print_table`: numbers whole, text folded). A
    side-by-side table of the runs ``names`` is printed on its side, one row per key and
    run, with more than three runs or when its numbers do not fit side by side."""
    # lazy: the report side (pandas) only for the commands that print comparisons
    from chainopt.report import compare as cmp

    def cells(frame) -> tuple[list[str], list[list[str]]]:
        return [str(c) for c in frame.columns], [
            [cmp.cell(key, c, v) for c, v in zip(frame.columns, r, strict=True)]
            for r in (frame if rows is None else frame.head(rows)).itertuples(index=False)]

    headers, body = cells(df)
    if names and any(n in df.columns for n in names) and (
            len(names) > 3 or termtable.widths(headers, body, console.width) is None):
        df = cmp.long_form(df, names)
        headers, body = cells(df)
    print_table(title, headers, body)
    if rows is not None and len(df) > rows:
        console.print(f"  ... {len(df) - rows} more rows in {key}.csv")


def print_comparison(sections: dict, names: list[str], detail: list[str], rows: int) -> None:
    """The summary, the economics (without the 'against' column; a project whose value
    includes another's named 'pa (includes pb)', as in the parties' table), the parties'
    NPV and IRR when the case has parties, and the detail tables asked for; a side-by-side table
    of more than three runs, or too wide for the terminal, is printed one row per key and
    run."""
    # lazy: the report side (pandas) only for the commands that print comparisons
    from chainopt.report import compare as cmp
    from chainopt.report import economics

    what = ("total cost and Δ against the base in MUSD, NPV of costs (Δ below 0 a saving)"
            if cmp.is_cost(sections) else "objective and Δ against the base in MUSD, NPV")
    _print_frame("summary", f"Summary ({what}; each project against its own "
                 "counterfactual)", cmp.summary(sections, names))
    eco = sections.get("economics")
    holds = cmp.included(sections)  # a project's value holding another's: said beside it
    if eco is not None and len(eco):
        open_ = cmp.unsettled(sections)
        # the range only where the gaps leave the value open (else it repeats the NPV)
        shown = eco[eco["built"] != "not built"].drop(
            columns=["against", "includes"] + ([] if len(open_) else [
                "NPV low (MUSD)", "NPV high (MUSD)"]), errors="ignore").rename(
            columns={"incremental NPV (MUSD)": "NPV (MUSD)",
                     "overnight capex (MUSD)": "capex (MUSD)"})
        shown["effect"] = [cmp.with_includes(e, holds.get((s, e), "")) for s, e in zip(
            shown["scenario"].astype(str), shown["effect"].astype(str), strict=True)]
        _print_frame("economics", cmp.TITLES["economics"], economics.with_notes(shown))
        idle = eco[eco["built"] == "not built"]
        if len(idle):
            console.print("not built: " + "; ".join(
                f"{escape(str(e))} ({escape(str(n))})" for n, e in zip(
                    idle["scenario"], idle["effect"], strict=True)), overflow="fold")
        if len(open_):
            warn(cmp.unsettled_text(open_))
        for note in cmp.warning_lines(sections, runs=False):  # (runs': said as solved)
            warn(note)
    pe = sections.get("party_economics")
    if pe is not None and len(pe) and "party_economics" not in detail:
        # a party's IRR and payback are of its flows in its currency: shown beside them
        cols = [c for c in ("scenario", "project", "party", "share", "NPV (MUSD)", "currency",
                            "IRR", "payback (yr)", "note", *economics.NOTES.values())
                if c in pe.columns]
        if "note" in cols and not pe["note"].astype(object).fillna("").astype(str).any():
            cols.remove("note")  # (a project's flows holding another's, a blank DSCR's why)
        pe = pe[cols].copy()
        pe["project"] = [cmp.with_includes(p, holds.get((s, p), "")) for s, p in zip(
            pe["scenario"].astype(str), pe["project"].astype(str), strict=True)]
        _print_frame("party_economics", cmp.TITLES.get("party_economics", "parties"),
                     economics.with_notes(pe), rows)
    # (--detail's values are DETAIL_TABLES', checked before solving: _detail_tables)
    wanted = list(DETAIL_TABLES) if "all" in detail else list(dict.fromkeys(detail))
    for key in wanted:
        df = sections.get(key)
        if key == "warnings" and (df is None or df.empty):
            if "all" not in detail:  # asked for by name: a comparison has it when one warned
                console.print("--detail warnings: no run warned")
            continue
        if df is None or df.empty:
            continue
        if key == "economics":  # in full: every effect, against and includes
            df = economics.with_notes(df)
        _print_frame(key, cmp.TITLES.get(key, key), cmp.shown(key, df), rows, names)
    if not detail:
        console.print("detail tables: --detail " + " | ".join(DETAIL_TABLES) + " | all")


@app.command()
def verify(
    results_dir: Annotated[Path, typer.Argument(help="A results folder written by run.")],
    rtol: Annotated[float, typer.Option(help="Relative tolerance (> 0).",
                                        callback=_positive)] = 1e-6,
    atol: Annotated[float, typer.Option(help="Absolute tolerance (> 0).",
                                        callback=_positive)] = 1e-6,
    time_limit: Annotated[float | None, typer.Option(
        help="Seconds for the re-run instead of the time limit the run recorded (a slower "
             "machine).", callback=_positive)] = None,
) -> None:
    """Re-run a saved run from its recorded inputs and compare every table.

    Exit 0 same, 5 results differ (model, solver or a dependency changed the answer),
    6 inputs changed (someone edited the data).

    Example: chainopt verify results/small_chain --rtol 1e-6
    """
    try:
        report = api.verify(results_dir, rtol=rtol, atol=atol, time_limit=time_limit)
    except ChainoptError as exc:
        raise _fail(exc) from None
    source = report.attrs.get("source")
    console.print(f"[green]ok[/]: {escape(str(results_dir))} reproduces within rtol={rtol:g}, "
                  f"atol={atol:g}" + (f" (re-ran {one_line(source)})" if source
                                      else ""), soft_wrap=True)
    from chainopt.report import drift  # lazy: the report side

    for line in drift.notes(report):
        console.print(escape(line))


snapshot_app = typer.Typer(help="Golden results: write and check key figures per scenario.\n\n"
                                "Example: chainopt snapshot check")
app.add_typer(snapshot_app, name="snapshot")


@snapshot_app.command("write")
def snapshot_write(
    sources: Annotated[list[str] | None, typer.Argument(
        help="Cases or scenarios (default: every embedded case and scenarios/*.yaml).")]
    = None,
    directory: Annotated[Path, typer.Option("--dir", help="Snapshot folder.")]
    = Path("snapshots"),
) -> None:
    """Write one YAML file of key figures per source (objective, KPIs, builds, production).

    Example: chainopt snapshot write --dir snapshots
    """
    try:
        paths = api.snapshot_write(sources or None, directory)
    except ChainoptError as exc:
        raise _fail(exc) from None
    console.print(f"wrote {len(paths)} snapshot{'s' if len(paths) != 1 else ''} to "
                  f"{escape(str(directory))}", soft_wrap=True)


@snapshot_app.command("check")
def snapshot_check(
    directory: Annotated[Path, typer.Option("--dir", help="Snapshot folder.")]
    = Path("snapshots"),
    rtol: Annotated[float, typer.Option(help="Relative tolerance (> 0).",
                                        callback=_positive)] = 1e-5,
    atol: Annotated[float, typer.Option(help="Absolute tolerance (> 0).",
                                        callback=_positive)] = 1e-3,
    partial: Annotated[bool, typer.Option(
        "--partial", help="Check only the snapshot files in the folder: do not report a "
        "scenario beside a snapshotted one that has no snapshot.")]
    = False,
    jobs: Annotated[int | None, typer.Option(
        help="Parallel processes re-running the snapshots' sources (default: one per core).",
        callback=_between(1, MAX_JOBS))] = None,
) -> None:
    """Re-run every snapshot's source and print a diff of the figures that drifted (exit 5).

    A scenario of the folder's set without a snapshot is exit 5 too; a snapshot
    whose case or scenario is gone, exit 1.

    Example: chainopt snapshot check --rtol 1e-5
    """
    try:
        api.snapshot_check(directory, rtol=rtol, atol=atol, partial=partial, jobs=jobs)
    except ChainoptError as exc:
        raise _fail(exc) from None
    console.print(f"[green]ok[/]: every snapshot in {escape(str(directory))} reproduces",
                  soft_wrap=True)


def _show_source(case_source: str, table: str, key: str | None) -> None:
    """The rows of ``table`` with their values and ``source`` (provenance) column."""
    try:
        rows = api.show_sources(case_source, table, key)
    except ChainoptError as exc:
        raise _fail(exc) from None
    print_table(f"{table}: values and their sources", ["key", "values", "source"],
                [[str(r.key), str(r.values), str(r.source)] for r in rows.itertuples(index=False)])


#: the collector's thresholds of a command (``gc.set_threshold``): the young generation
#: collected every 10,000 allocations instead of 700 (:func:`main`); the test suite's
#: workers, long-lived processes that make many small models, run with them too
GC_THRESHOLD = (10_000, 10, 10)


def main() -> None:  # pragma: no cover - console script entry point
    """Run the command line with fewer garbage collections, and leave without the
    interpreter's last ones over everything the command loaded.

    A command allocates its objects mostly while importing pandas, pyarrow and typer,
    and keeps them: the young generation is collected every 10,000 allocations instead
    of 700 (at the default, a run spends about 0.15 s in collections, most of them
    finding nothing; the data are numpy and Arrow buffers, not Python cycles). At exit
    ``gc.freeze`` moves every object to the permanent generation, which the final
    collections skip (0.2-0.3 s otherwise). Files are closed and threads joined by
    then; the modules are still torn down as usual.

    A command that loads the engine (:func:`loads_the_engine`) imports it first with
    the collector off: the imports (pandas, pyarrow, pydantic; about 0.5 s) make objects
    kept to the end, not garbage, and ``gc.freeze`` then takes them out of the
    collections that follow, which look only at what the command makes (``chainopt run
    small_chain``: 60 ms less, of about 0.95 s).

    Pydantic plugins (observability hooks on validation, found by scanning every
    installed package's entry points: 10-15 ms) are off unless
    ``PYDANTIC_DISABLE_PLUGINS`` is set: chainopt's models are its own.

    A standard descriptor closed at the start is opened on the null device first
    (:func:`standard_descriptors`)."""
    standard_descriptors()
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.set_threshold(*GC_THRESHOLD)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        if loads_the_engine(sys.argv[1:]):
            gc.disable()
            try:
                _ = api.run  # the first attribute loads chainopt.api
            finally:
                gc.freeze()
                gc.enable()
        app()
    except KeyboardInterrupt:  # loading the engine (a command's own: Commands.invoke)
        exit_interrupted()
    finally:
        gc.freeze()


def loads_the_engine(args: list[str]) -> bool:
    """Whether a command line runs a command (each loads :mod:`chainopt.api`), not a
    request for help."""
    return bool(args) and not args[0].startswith("-") and "--help" not in args


_terminated = terminated  # SIGTERM stops a command as Ctrl-C does (chainopt.interrupt)


if __name__ == "__main__":  # pragma: no cover
    try:
        main()
    finally:
        ignore_signals()  # ending: a signal now would come out of Python's shutdown
