"""The ``chainopt`` command line: parse, call one api function, print.

Exit codes: 0 ok, 1 bad input, 2 usage (typer's own), 3 infeasible or unbounded,
4 solver failure or limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from chainopt import api
from chainopt.errors import ChainoptError, InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="chainopt: optimise a petrochemical value chain.\n\n"
         "Example: chainopt run   (solves the embedded default case)",
)
console = Console()
err = Console(stderr=True)

CaseArg = Annotated[str | None, typer.Argument(
    help="Case folder (with case.yaml) or embedded case name; default: the embedded default "
         "case.", show_default=False)]


def _fail(exc: ChainoptError) -> typer.Exit:
    if isinstance(exc, InputError):
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
    else:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
    return typer.Exit(exc.exit_code)


@app.command()
def validate(case: CaseArg = None) -> None:
    """Check a case and list every problem found.

    Example: chainopt validate chainopt/data/small_chain
    """
    try:
        c = api.load_case(case)
    except ChainoptError as exc:
        raise _fail(exc) from None
    t = c.tables
    console.print(f"[green]ok[/]: case '{c.name}' is valid: {len(t['sites'])} sites, "
                  f"{len(t['commodities'])} commodities, {len(t['units'])} units, "
                  f"{len(t['modes'])} modes, {len(t['links'])} links, "
                  f"{len(c.meta.periods)} periods")


@app.command()
def run(
    case: CaseArg = None,
    out: Annotated[Path, typer.Option(help="Folder under which results/<name> is written.")]
    = Path("results"),
    name: Annotated[str | None, typer.Option(help="Results folder name (default: case name).")]
    = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing results folder.")] = False,
    time_limit: Annotated[float | None, typer.Option(help="Solver time limit in seconds.")]
    = None,
    threads: Annotated[int | None, typer.Option(help="Solver threads (default 1: "
                                                     "deterministic).")] = None,
    method: Annotated[str | None, typer.Option(help="auto, simplex or ipm.")] = None,
) -> None:
    """Solve a case and write its results to results/<name>/.

    Example: chainopt run chainopt/data/small_chain --name demo --overwrite
    """
    from chainopt.solve import SolveOptions

    if method not in (None, "auto", "simplex", "ipm"):
        err.print(f"[bold red]error:[/] --method must be auto, simplex or ipm (found '{method}')")
        raise typer.Exit(2)
    options = SolveOptions(time_limit_s=time_limit, threads=threads, method=method)
    try:
        with console.status("starting") as status:
            results = api.run(case, out=out, name=name, overwrite=overwrite, options=options,
                              progress=lambda msg: status.update(msg))
    except ChainoptError as exc:
        raise _fail(exc) from None
    print_summary(results)


def print_summary(results) -> None:
    """Status, objective, top products, binding capacities and where results are."""
    m = results.manifest
    gap = f", MIP gap {m['mip_gap']:.2%}" if m.get("mip_gap") is not None else ""
    console.print(f"[bold]{m['case']}[/]: {m['status']}{gap}, objective (NPV) "
                  f"[bold]{m['objective']:,.1f} MUSD[/]")
    tm = m["timings_s"]
    build_s = sum(tm.get(k, 0.0) for k in ("index_s", "matrix_s", "pyomo_s", "handover_s"))
    console.print(f"  {m['num_vars']:,} variables, {m['num_rows']:,} constraints; load "
                  f"{tm.get('load_s', 0):.2f} s, build {build_s:.2f} s, solve "
                  f"{tm.get('solve_s', 0):.2f} s, extract {tm.get('extract_s', 0):.2f} s")
    k = results.tables["kpis"]
    prod = k[k["kpi"].str.startswith("production_")]
    if len(prod):
        tab = Table(title="Top products (k units/yr)", show_edge=False)
        periods = list(dict.fromkeys(prod["period"]))
        tab.add_column("product")
        for p in periods:
            tab.add_column(p, justify="right")
        piv = prod.pivot_table(index="kpi", columns="period", values="value", aggfunc="sum")
        piv = piv.reindex(columns=periods).fillna(0.0)
        piv = piv.loc[piv.sum(axis=1).sort_values(ascending=False).index[:8]]
        for kpi, row in piv.iterrows():
            tab.add_row(kpi.removeprefix("production_"), *[f"{v:,.0f}" for v in row])
        console.print(tab)
    cap = results.tables["capacity"]
    bind = cap[cap["shadow_price_usd_per_unit_yr"] > 1e-6]
    if len(bind):
        tab = Table(title="Binding capacities (value of one more unit of capacity)",
                    show_edge=False)
        for c in ("kind", "name", "periods", "USD per unit/yr (max)"):
            tab.add_column(c)
        g = bind.groupby(["kind", "name"], sort=False).agg(
            periods=("period", lambda s: ", ".join(s)),
            value=("shadow_price_usd_per_unit_yr", "max")).sort_values("value", ascending=False)
        for (kind, nm), row in g.head(10).iterrows():
            tab.add_row(kind, nm, row["periods"], f"{row['value']:,.1f}")
        console.print(tab)
    short = results.tables["sales"]
    short = short[short["shortfall_k_per_yr"] > 1e-6]
    if len(short):
        console.print(f"[yellow]warning:[/] {len(short)} demand floors not met (see "
                      "sales.csv, column shortfall_k_per_yr); the objective includes their "
                      "penalty")
    if m.get("results_dir"):
        console.print(f"results written to [bold]{m['results_dir']}[/]")


def main() -> None:  # pragma: no cover - console script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
