"""What a folder given where a results folder is read (``explain``, ``report``, ``verify``)
is instead, and the run folders to give: one wording for the three commands.

A comparison, sweep or sensitivity folder, or the folder holding the results folders
(``results/``), was answered by ``explain`` with "no case.yaml in this folder" (it also
reads case folders), which sent the user to case folders; and a mistyped run folder
with the list of embedded cases.
"""

from __future__ import annotations

from pathlib import Path

from chainopt.atomic import KINDS, is_chainopt_folder, read_record
from chainopt.case.validate import closest
from chainopt.errors import InputError, Problem, shell_word

#: run folders a message names (the rest counted)
SHOWN = 4


def results_folders_in(folder: Path) -> list[Path]:
    """The results folders (``chainopt run``'s, with its manifest.json) directly inside
    ``folder``, by name; none if it is no folder."""
    try:
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return []
    return [e for e in entries if is_chainopt_folder(e, "results")]


def _listed(paths: list[Path]) -> str:
    more = len(paths) - SHOWN
    return ", ".join(str(p) for p in paths[:SHOWN]) + (f" and {more} more" if more > 0 else "")


def _kind(folder: Path) -> str | None:
    for kind in ("comparison", "sweep", "sensitivity"):
        if is_chainopt_folder(folder, kind):
            return kind
    return None


def _hint(folder: Path, kind: str | None, command: str, give: str) -> str:
    """What to give ``chainopt COMMAND`` instead of ``folder`` (of ``kind``)."""
    do = f"chainopt {command}"
    if kind == "comparison":
        from chainopt.report.compare import compared_inputs  # lazy: pandas

        names = list(compared_inputs(folder))
        runs = [folder.parent / n for n in names if is_chainopt_folder(folder.parent / n,
                                                                       "results")]
        if runs:
            return f"{do} one of the runs it compares: {_listed(runs)}"
        return ("give one of the runs it compares, written beside it by chainopt compare"
                + (f" ({', '.join(names)}; not there now: run them again)" if names else ""))
    if kind == "sweep":
        variants = [v for v in sorted((folder / "variants").glob("*"))
                    if is_chainopt_folder(v, "results")]
        if variants:
            return f"{do} a variant it saved in full (--full): {_listed(variants)}"
        record = read_record(folder / KINDS["sweep"][0])
        # the path as found when the sweep started (the source as typed is relative to
        # where it was typed); an embedded case's name has none
        source = record.get("source_abs") or record.get("source")
        run = f"chainopt run {shell_word(source)}" if isinstance(source, str) else \
            "chainopt run"
        return ("a sweep keeps no plan of its variants: save one with chainopt sweep ... "
                f"--full ID (it goes to variants/ID), or run its source ({run}) and {do} "
                "the results folder it writes")
    if kind == "sensitivity":
        record = read_record(folder / "sensitivity.json")
        scenario, source = record.get("scenario"), record.get("source")
        beside = folder.parent / scenario if isinstance(scenario, str) else None
        if beside is not None and is_chainopt_folder(beside, "results"):
            return f"{do} the run of its scenario: {beside}"
        return (f"run its scenario (chainopt run "
                f"{shell_word(source) if isinstance(source, str) else ''}"
                .rstrip() + f") and {do} the results folder it writes")
    runs = results_folders_in(folder)
    if runs:
        return f"give one of the results folders in it: {do} {_listed(runs)}"
    return give


def not_a_run(folder: str | Path, command: str, nor: str = "", give: str = "") -> InputError:
    """The InputError for ``folder``, an existing folder without manifest.json, given to
    ``chainopt COMMAND`` where a results folder is read: what it is instead (a
    comparison, sweep or sensitivity folder; a folder of results folders) and which run
    folders to give. ``nor``: what else the command reads, absent too ("a case folder (no
    case.yaml)"); ``give``: the hint for any other folder."""
    folder = Path(folder)
    kind = _kind(folder)
    also = f" nor {nor}" if nor else ""
    if kind is not None:
        what = f"a {kind} folder, not a results folder (no manifest.json){also}"
    elif results_folders_in(folder):
        what = f"a folder of results folders, not a results folder itself (no manifest.json){also}"
    elif (folder / "case.yaml").is_file():  # (explain reads a case folder: never here)
        return InputError([Problem(str(folder), f"a case folder, not a results folder (no "
                                   f"manifest.json){also}", f"run it first (chainopt run "
                                   f"{shell_word(folder)}) and chainopt {command} the "
                                   "results folder "
                                   "it writes")])
    elif nor:
        what = f"neither a results folder (no manifest.json) nor {nor}"
    else:
        what = "not a results folder (no manifest.json)"
    return InputError([Problem(str(folder), what, _hint(folder, kind, command, give))])


def a_file(target: str | Path, command: str) -> InputError | None:
    """The InputError for ``target``, a file given to ``chainopt COMMAND`` where a
    results folder is read (a scenario file, a case workbook: "no such folder" said
    nothing of what it is); None if it is no file."""
    path = Path(target)
    if not path.is_file():
        return None
    if path.suffix.lower() in (".yaml", ".yml", ".xlsx"):
        return InputError([Problem(str(path), "a scenario or case file, not a results "
                                   "folder", f"run it first (chainopt run {shell_word(path)})"
                                   f" and chainopt {command} the results folder it writes")])
    return InputError([Problem(str(path), "a file, not a results folder",
                               "give a folder written by chainopt run")])


def missing_run(target: str | Path) -> InputError | None:
    """The InputError for ``target``, a path that does not exist, when its parent holds
    results folders (a mistyped run folder: ``results/smal_chain``): "did you mean" among
    them, or their names; None otherwise (the caller says what it says of a missing
    path)."""
    path = Path(target)
    if path.exists() or path.is_symlink():
        return None
    runs = results_folders_in(path.parent)
    if not runs:
        return None
    names = [r.name for r in runs]
    hint = closest(path.name, names)
    return InputError([Problem(str(path), "no such results folder", hint or (
        f"results folders in {path.parent}: " + ", ".join(names[:SHOWN])
        + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")))])
