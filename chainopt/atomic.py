"""Atomic writes: a file or folder appears complete, or not at all.

Everything chainopt writes goes to a temporary sibling first and is renamed into
place only when complete, so a failed or interrupted run leaves nothing behind. An
existing folder is replaced only when asked (``overwrite``; otherwise
:func:`write_folder` refuses, also when the folder appears while the new one is being
filled), and only if chainopt wrote it — a real folder (not a link) carrying the marker
of its kind (:data:`KINDS`): a results ``manifest.json`` with chainopt's keys, a sweep's
``sweep.json``, a comparison's ``comparison.md``, a sensitivity's ``breakeven.csv`` or a
case's ``case.yaml`` (and :func:`chainopt.case.excel.write_folder` replaces a case folder
only if it holds nothing but ``case.yaml`` and table CSV files, as it writes them: a case
folder is also written by people). A results folder never replaces a case folder or
anything else.
The old folder is moved aside, and deleted only after the new one is in place; if the
write fails or is interrupted (Ctrl-C) in between, the old folder is moved back.

A single file (:func:`write_file`) is written in a new marked temporary folder beside it
(so never through a link planted in the folder, and removed like a folder's leftovers if
the writer is killed) and renamed over the target: a link in the way is replaced, never
written through. The renames of a replace run with Ctrl-C and SIGTERM held
(:func:`held_signals`): a signal then arrives after them, never in between. Several
files that belong together (an export's MPS and LP) are written all or none
(:func:`write_files`): renamed only when every one is complete, and those renamed put
back if a later rename fails.

Temporary folders are named ``.chainopt-tmp.<name>.<random>`` and hold a marker file
(:data:`TMP_MARKER`, with the writer's process id and host) until the rename. A run
killed half-way (``kill -9``, power cut) leaves such a folder; the next write in the
same parent folder removes it — only when both the name prefix and the marker are
there and the process that made it is gone (or the marker is older than a day). A
marker is written whole or not at all (:func:`_mark`). The folder a replace moved aside
is marked in the instant the signals are held for, once the new one is in place, and
deleted with its marker last (:func:`_discard`): an interrupt while it is deleted
leaves it marked, for the next write to remove.

A folder written in place over a long time (a sweep, whose parts are kept as they
finish so that an interrupted sweep can be resumed) is **held** (:func:`held`) while it
is written: the same marker, created exclusively in the folder, says which process
writes it. Another chainopt process refuses a held folder — to hold it too (resume it,
write a sweep of the same name), or to replace it (:func:`check_replaceable`) — naming
the folder and the process. The marker of a process that is gone (as above) is taken
over; the holder refreshes it hourly (:func:`keep_held`) so a long write stays held.

Folders and files get the ordinary permissions of new files (``0777``/``0666`` minus
the umask), not the ``0700``/``0600`` of :mod:`tempfile`. Failing to write (no
permission, disk full) is an :class:`~chainopt.errors.OutputError` naming the place.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from chainopt.errors import OutputError, Problem, ResultsExistError, said
from chainopt.textfile import MAX_JSON_BYTES, parse_json

TMP_PREFIX = ".chainopt-tmp."
TMP_MARKER = ".chainopt-tmp"
MARKER_BYTES = 4096  # a marker holds a process id, a host name and a time
STALE_AFTER_S = 24 * 3600


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def readable(path: str | Path) -> None:
    """Give a file or folder made by :mod:`tempfile` the ordinary permissions."""
    mode = 0o777 if Path(path).is_dir() else 0o666
    os.chmod(path, mode & ~_umask())


def read_json(path: Path, limit: int) -> Any:
    """The JSON document in the regular file ``path``, read no further than ``limit``
    bytes: a ValueError if it is longer (a marker or manifest made huge is not read
    whole), not a regular file (a FIFO would block) or not UTF-8 JSON
    (:func:`~chainopt.textfile.parse_json`: also when nested too deeply)."""
    if not path.is_file():
        raise ValueError(f"{path} is not a regular file")
    with path.open("rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path} is more than {limit:,} bytes")
    return parse_json(data.decode("utf-8"))


def read_record(path: Path) -> dict:
    """A folder's record (a results folder's manifest.json, a sweep's sweep.json, a
    sensitivity's sensitivity.json) as a mapping, {} if it is no readable one: a message
    that names what the record says then does without it."""
    try:
        doc = read_json(path, MAX_JSON_BYTES)
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _json_keys(path: Path, keys: tuple[str, ...]) -> bool:
    try:
        doc = read_json(path, MAX_JSON_BYTES)
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and all(k in doc for k in keys)


def _starts_with(path: Path, text: str) -> bool:
    try:
        with path.open(encoding="utf-8") as fh:
            return fh.read(len(text)) == text
    except (OSError, ValueError):
        return False


# kind -> (marker file, test that the marker is chainopt's)
KINDS = {
    "results": ("manifest.json", lambda p: _json_keys(p, ("case", "input_hash", "status"))),
    "sweep": ("sweep.json", lambda p: _json_keys(p, ("source", "sets"))),
    "comparison": ("comparison.md", lambda p: _starts_with(p, "# Comparison:")),
    "case": ("case.yaml", lambda p: p.is_file()),
    "sensitivity": ("breakeven.csv", lambda p: _starts_with(p, "driver,meaning,")),
}


def is_chainopt_folder(folder: str | Path, kind: str | None = None) -> bool:
    """True for a real folder (not a link) carrying chainopt's marker of ``kind`` (any
    kind if None)."""
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return False
    kinds = [kind] if kind else list(KINDS)
    return any((folder / KINDS[k][0]).is_file() and KINDS[k][1](folder / KINDS[k][0])
               for k in kinds)


def _write_error(where: Path, exc: OSError) -> OutputError:
    return OutputError([Problem(str(where), f"cannot write here: {exc.strerror or exc}",
                               "choose an output folder you can write to (and with free "
                               f"space), {said('with --out DIR', 'as out=...')}")])


#: kind of folder (:data:`KINDS`) -> how the command that writes it can be told to write
#: elsewhere: (what, its command-line option or argument, its api keyword), only those
#: the command has (``sensitivity`` has no ``--name``; ``tests/test_atomic_elsewhere.py``
#: checks each against the command and the api function)
ELSEWHERE: dict[str, tuple[tuple[str, str, str], ...]] = {
    **dict.fromkeys(("results", "sweep", "comparison"), (
        ("name", "--name", "name=..."), ("output folder", "--out", "out=..."))),
    "sensitivity": (("output folder", "--out", "out=..."),),
    "case": (("target", "TARGET", "dst=..."),),
}


def elsewhere(kind: str | None = None) -> str:
    """How to write a folder of ``kind`` somewhere else, with the options its command
    has (:data:`ELSEWHERE`), as the one asking can say them; "write elsewhere" for a
    kind without any."""
    ways = ELSEWHERE.get(kind or "", ())
    if not ways:
        return "write elsewhere"
    return "give another " + " or ".join(f"{what} ({said(option, keyword)})"
                                         for what, option, keyword in ways)


def others_in(folder: Path, ours: Callable[[Path], bool], within: str = "") -> list[str]:
    """The names (``within`` + name, a folder's with a trailing ``/``) of the entries of
    ``folder`` that ``ours`` does not know as chainopt's; its own leftovers
    (``.chainopt-tmp*``) are always chainopt's."""
    return sorted(within + e.name + ("/" if e.is_dir() and not e.is_symlink() else "")
                  for e in folder.iterdir()
                  if not e.name.startswith(TMP_MARKER) and not ours(e))


def refuse_others(folder: Path, others: list[str], kind: str, shown: int = 5) -> None:
    """An OutputError naming (the first ``shown`` of) ``others``, the files in the
    ``kind`` folder ``folder`` chainopt did not write, if there are any: replacing the
    folder whole would delete them."""
    if others:
        listed = ", ".join(others[:shown]) + (f" and {len(others) - shown} more"
                                             if len(others) > shown else "")
        raise OutputError([Problem(
            str(folder), f"holds files chainopt did not write ({listed}): "
            f"{said('--overwrite', 'overwrite=True')} replaces the whole {kind} folder and "
            "would delete them", f"move them out of this folder first, or {elsewhere(kind)}")])


def own_file(e: Path, names: set[str] | frozenset[str]) -> bool:
    """True for a regular file (not a link) named one of ``names``."""
    return e.name in names and e.is_file() and not e.is_symlink()


def check_writable(parent: str | Path) -> Path:
    """Prove that ``parent`` can be created (if missing) and written, before solving.

    Nothing is left behind: the test file goes into the nearest folder that exists."""
    parent = Path(parent)
    near = parent
    while not near.exists() and near != near.parent:
        near = near.parent
    if not near.is_dir():
        raise OutputError([Problem(str(near), "is a file, not a folder",
                                  f"give a folder for the output (not inside {near})")])
    try:
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=near)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise _write_error(near, exc) from None
    return parent


def _mark(tmp: Path) -> None:
    """Put this process's marker into ``tmp``, whole or not at all: written under another
    name and renamed into place, so that a writer cut short (an interrupt, ``kill -9``)
    never leaves an empty or partial marker, which no later write would remove."""
    part = tmp / f"{TMP_MARKER}.{uuid.uuid4().hex}"
    try:
        part.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                    "created": time.time()}))
        os.replace(part, tmp / TMP_MARKER)
    finally:
        part.unlink(missing_ok=True)


def _ours(folder: Path) -> bool:
    """True if ``folder``'s marker was written by this process."""
    try:
        info = read_json(folder / TMP_MARKER, MARKER_BYTES)
        return bool(info["pid"] == os.getpid() and info["host"] == socket.gethostname())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _holder(folder: Path) -> str | None:
    """Who holds ``folder`` (another live chainopt process: its marker is there, not
    stale), else None."""
    marker = folder / TMP_MARKER
    if not (marker.exists() or marker.is_symlink()) or _ours(folder) or _stale(folder):
        return None
    try:
        info = read_json(marker, MARKER_BYTES)
        return f"process {int(info['pid'])} on {info['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not yet said which"


def _busy(folder: Path, holder: str) -> OutputError:
    return OutputError([Problem(
        str(folder), f"is being written by another chainopt run ({holder}), so this one "
        "will not write into it nor replace it",
        f"wait for that run to finish, or write elsewhere "
        f"({said('--name, --out', 'name=..., out=...')}); if no chainopt run is writing "
        f"it, remove {folder / TMP_MARKER}")])


def check_not_held(folder: str | Path) -> None:
    """An OutputError if another chainopt run holds ``folder`` (:func:`held`)."""
    holder = None if Path(folder).is_symlink() else _holder(Path(folder))
    if holder is not None:
        raise _busy(Path(folder), holder)


@contextlib.contextmanager
def held(folder: str | Path, create: bool = False) -> Iterator[Path]:
    """Hold ``folder`` for writing in place during the block (see the module docstring):
    its marker is created exclusively, so of two processes only one holds it; the other
    gets an :class:`~chainopt.errors.OutputError` naming the folder and the holder. A
    marker of a process that is gone is taken over. With ``create`` the folder is made
    first (exclusively: a folder made meanwhile by another writer is refused too). The
    marker is removed at the end of the block (also on an error or Ctrl-C)."""
    folder = Path(folder)
    if create:
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir()
        except FileExistsError:
            holder = _holder(folder)
            raise (_busy(folder, holder) if holder else _exists(folder)) from None
        except OSError as exc:
            raise _write_error(folder, exc) from None
    _take(folder)
    try:
        yield folder
    finally:
        if _ours(folder):
            with contextlib.suppress(OSError):
                (folder / TMP_MARKER).unlink()


def _take(folder: Path) -> None:
    """Create ``folder``'s marker exclusively, taking over one of a process that is gone."""
    marker = folder / TMP_MARKER
    for _ in range(3):
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            holder = _holder(folder)
            if holder is not None or _ours(folder):
                raise _busy(folder, holder or "this process") from None
            _take_over(marker)
            continue
        except OSError as exc:
            raise _write_error(folder, exc) from None
        with os.fdopen(fd, "w") as fh:
            fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "created": time.time()}))
        return
    raise _busy(folder, "another process taking it over at the same time")


def _take_over(marker: Path) -> None:
    """Remove the stale ``marker``: moved to a name of this process's own first, and put
    back if what was moved is not the stale marker (another process took it over in
    between), so that of two processes taking it over only one holds the folder."""
    try:
        seen = marker.read_bytes()
        aside = marker.with_name(f"{TMP_MARKER}.{os.getpid()}.{uuid.uuid4().hex}")
        marker.rename(aside)
    except OSError:
        return  # gone meanwhile: try to create it again
    try:
        if aside.read_bytes() != seen:
            with contextlib.suppress(OSError):
                os.link(aside, marker)  # never over a marker made meanwhile
    finally:
        aside.unlink(missing_ok=True)


def keep_held(folder: str | Path, every_s: float = 3600.0) -> None:
    """Refresh this process's marker in ``folder`` when older than ``every_s``, so that
    a write running longer than a day is not taken for a killed one."""
    marker = Path(folder) / TMP_MARKER
    try:
        info = read_json(marker, MARKER_BYTES)
        if not _ours(Path(folder)) or time.time() - float(info["created"]) < every_s:
            return
        info["created"] = time.time()
        marker.write_text(json.dumps(info))
    except (OSError, ValueError, KeyError, TypeError):
        return


def _stale(tmp: Path) -> bool:
    """True if the temporary folder ``tmp`` belongs to a chainopt process that is gone."""
    try:
        info = read_json(tmp / TMP_MARKER, MARKER_BYTES)
        pid, host, created = int(info["pid"]), str(info["host"]), float(info["created"])
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no readable marker: not provably ours, leave it alone
    if time.time() - created > STALE_AFTER_S:
        return True
    if host != socket.gethostname():
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def clean_leftovers(parent: str | Path) -> list[Path]:
    """Remove temporary folders of killed chainopt runs in ``parent``; return them."""
    parent = Path(parent)
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    for p in parent.glob(f"{TMP_PREFIX}*"):
        if p.is_dir() and not p.is_symlink() and _stale(p):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def check_replaceable(folder: Path, kind: str | None = None,
                      check: Callable[[Path], None] | None = None) -> None:
    """An OutputError unless ``folder`` is a folder chainopt wrote (of ``kind``, if given),
    which may be replaced; also when another chainopt run holds it (:func:`held`), and
    whatever the writer's own ``check`` of the folder raises."""
    check_not_held(folder)
    if folder.is_symlink():  # even to a folder chainopt wrote: replaced, not followed
        raise OutputError([Problem(
            str(folder), f"is a link (to {os.readlink(folder)}), so "
            f"{said('--overwrite', 'overwrite=True')} will not replace it nor what it "
            "points to", f"{elsewhere(kind)}, or remove the link yourself")])
    if not folder.is_dir() or not is_chainopt_folder(folder, kind):
        marker = KINDS[kind][0] if kind else " or ".join(m for m, _ in KINDS.values())
        raise OutputError([Problem(
            str(folder), f"exists and is not a {kind or ''} folder chainopt wrote (no "
            f"chainopt {marker}), so {said('--overwrite', 'overwrite=True')} will not "
            "replace it".replace("  ", " "), f"{elsewhere(kind)}, or move it away yourself")])
    if check is not None:
        check(folder)


def write_folder(folder: str | Path, fill: Callable[[Path], None],
                 kind: str | None = None, overwrite: bool = False,
                 check: Callable[[Path], None] | None = None) -> Path:
    """Create ``folder`` by calling ``fill(tmp)`` on an empty temporary sibling
    (:func:`writing`, whose rules it follows)."""
    with writing(folder, kind, overwrite, check) as tmp:
        fill(tmp)
    return Path(folder)


@contextlib.contextmanager
def writing(folder: str | Path, kind: str | None = None, overwrite: bool = False,
            check: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Create ``folder`` from what the block writes into the empty temporary sibling it
    is given, put in place when the block ends without an error.

    An existing ``folder`` is replaced only with ``overwrite`` and only if chainopt wrote
    it (a folder of ``kind`` if given; see the module docstring) and ``check(folder)``
    raises nothing, both checked again just before the swap; without ``overwrite``
    it is a :class:`~chainopt.errors.ResultsExistError`, also when another writer puts
    the folder there while the block runs (the final rename never replaces a folder that
    is not empty). An error or an interruption (Ctrl-C) in the block removes the
    temporary folder; one after the old folder was moved aside puts it back, so the old
    results stay until the new ones are in place. Whatever the block started writing
    into the folder must have ended when the block ends.
    """
    folder = Path(folder)
    if folder.exists() or folder.is_symlink():
        if not overwrite:
            raise _exists(folder)
        check_replaceable(folder, kind, check)
    check_writable(folder.parent)
    clean_leftovers(folder.parent)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{folder.name}.", dir=folder.parent))
    except OSError as exc:
        raise _write_error(folder.parent, exc) from None
    old: Path | None = None
    try:
        _mark(tmp)
        yield tmp
        (tmp / TMP_MARKER).unlink()
        readable(tmp)
        with held_signals():  # the swap: never cut between its two renames
            try:
                if overwrite and (folder.exists() or folder.is_symlink()):
                    check_replaceable(folder, kind, check)  # again: it may have changed
                    old = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{folder.name}.old.",
                                                dir=folder.parent))
                    old.rmdir()
                    folder.rename(old)  # unmarked until the new one is in place: if killed
                    # now (kill -9), it is never removed automatically; moved back by hand
                try:
                    tmp.rename(folder)
                except OSError as exc:
                    if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR,
                                     errno.EISDIR):
                        raise _exists(folder) from None  # another writer was faster
                    raise
                _WRITTEN.append(folder)
                if old is not None:  # the new one is in place: the old is to go, marked
                    with contextlib.suppress(OSError):  # whole before a signal can cut in
                        _mark(old)
            except BaseException:
                _put_back(old, folder)
                raise
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _put_back(old, folder)
        if isinstance(exc, OSError):
            raise _write_error(folder, exc) from None
        raise
    if old is not None:
        _discard(old)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM (in the main thread) for the duration of the block and
    deliver them after it: a few renames that must not be cut in between. Elsewhere,
    where Python cannot handle signals, the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    kinds = (signal.SIGINT, signal.SIGTERM)
    before = {k: signal.signal(k, lambda n, _f: caught.append(n)) for k in kinds}
    try:
        yield
    finally:
        for k, h in before.items():
            signal.signal(k, h if h is not None else signal.SIG_DFL)
        for n in dict.fromkeys(caught):
            signal.raise_signal(n)


def _exists(folder: Path) -> ResultsExistError:
    return ResultsExistError(f"{folder} exists; pass {said('--overwrite', 'overwrite=True')} "
                             "to replace it (only a folder chainopt wrote is replaced), or "
                             "write elsewhere")


def _put_back(old: Path | None, folder: Path) -> None:
    """After a failed or interrupted replace: the moved-aside ``old`` folder back in place
    (if the new one never got there), else removed as the replace asked."""
    if old is None or not old.exists():
        return
    if folder.exists() or folder.is_symlink():  # the new folder did get in place
        _discard(old)
        return
    with contextlib.suppress(OSError):  # else left unmarked beside it, never cleaned
        old.rename(folder)               # automatically: nothing is lost


def _discard(old: Path) -> None:
    """Remove the replaced folder, its marker last: :func:`write_folder` marks it while
    Ctrl-C and SIGTERM are held, so if this is cut short (an interrupt in the middle of
    deleting hundreds of MB) the next write in the same parent removes the rest. The
    marker and the empty folder go together, with the signals held; what cannot be
    deleted keeps the marker, for the next write to try again."""
    marker = old / TMP_MARKER
    if not marker.is_file():  # (put back by hand or marked before: mark it now)
        with contextlib.suppress(OSError), held_signals():
            _mark(old)
    with contextlib.suppress(OSError):
        for entry in sorted(os.scandir(old), key=lambda e: e.name):
            if entry.name == TMP_MARKER:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
    with contextlib.suppress(OSError), held_signals():
        if [p.name for p in old.iterdir()] == [TMP_MARKER]:
            marker.unlink()
            old.rmdir()


_CLEANED: set[Path] = set()  # folders write_file has cleaned in this process
_WRITTEN: list[Path] = []  # what this process has put in place, in order


def written() -> list[Path]:
    """The folders and files this process has put in place so far (:func:`write_folder`,
    :func:`write_files`, :func:`note_written`), each once, in order: what an interrupted
    command says it wrote before it stopped."""
    return list(dict.fromkeys(_WRITTEN))


def forget_written() -> None:
    """Start a new command's record of :func:`written` (a test runs many in one process)."""
    _WRITTEN.clear()


def note_written(path: str | Path) -> None:
    """Count ``path`` as written by this command (a folder a pool worker wrote)."""
    _WRITTEN.append(Path(path))


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, with the ordinary permissions."""
    def fill(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return write_file(path, fill)


def write_file(path: str | Path, fill: Callable[[Path], object]) -> Path:
    """Create ``path`` by calling ``fill(tmp_path)``; the file gets the usual mode."""
    return write_files([(path, fill)])[0]


def write_files(files: list[tuple[str | Path, Callable[[Path], object]]]) -> list[Path]:
    """Create several files together, all or none: each ``fill(tmp_path)`` writes its
    file in a marked temporary folder beside it, and only when every one is complete are
    they renamed into place, in order, with Ctrl-C and SIGTERM held (:func:`held_signals`).
    A fill that fails writes none of them; a rename that fails puts back those already
    renamed (the file each replaced, kept as a hard link or a copy until then, or none),
    so an existing file stays as it was unless the whole set is in place. No files: nothing
    is written (``chainopt export CASE --ranges`` asks for none)."""
    if not files:
        return []
    paths = [Path(p) for p, _ in files]
    boxes: list[Path] = []
    tmps: list[Path] = []
    try:
        for path, (_, fill) in zip(paths, files, strict=True):
            box = _box(path)
            boxes.append(box)
            tmp = box / f"{path.stem}.tmp{path.suffix}"
            try:
                tmp.touch(exist_ok=False)
                fill(tmp)
                readable(tmp)
            except OSError as exc:
                raise _write_error(path, exc) from None
            tmps.append(tmp)
        with held_signals():
            _rename_all(paths, tmps, boxes)
            _WRITTEN.extend(paths)
    finally:
        for box in boxes:
            shutil.rmtree(box, ignore_errors=True)
    return paths


def write_staged(folder: str | Path, render: Callable[[Path], list[Path]]) -> list[Path]:
    """Files made by ``render(stage)``, put into ``folder`` together, all or none:
    ``render`` writes them into a marked temporary folder beside them and returns their
    paths there (file names as they are to be in ``folder``); only when it has made them
    all are they moved into place by :func:`write_files`. For a writer that makes a set
    of files by several means (a report: its HTML, charts drawn by matplotlib, a deck)
    and may fail half-way: the files already in ``folder`` then stay as they were."""
    folder = Path(folder)
    stage = _box(folder / "staged")
    try:
        made = render(stage)
        return write_files([(folder / p.name, partial(_copy_of, p)) for p in made])
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        # the staged files are gone: an interrupt names only what is in ``folder``
        _WRITTEN[:] = [p for p in _WRITTEN if stage not in p.parents]


def _copy_of(source: Path, tmp: Path) -> None:
    shutil.copyfile(source, tmp)


def _box(path: Path) -> Path:
    """A new marked temporary folder beside ``path`` (the folder it is written in),
    after the checks of :func:`write_file`, so that what a killed writer leaves is
    removed by the next write there (a bare temporary file could be anyone's)."""
    if path.is_dir() and not path.is_symlink():  # (a link to a folder is replaced as a link)
        raise OutputError([Problem(str(path), "is a folder", "give a file name to write")])
    check_writable(path.parent)
    if path.parent not in _CLEANED:  # once per folder and process: a sweep writes
        clean_leftovers(path.parent)  # thousands of parts into one
        _CLEANED.add(path.parent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        box = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{path.name}.", dir=path.parent))
    except OSError as exc:
        raise _write_error(path.parent, exc) from None
    try:
        _mark(box)
    except BaseException as exc:  # (also Ctrl-C: the caller never got the box to remove)
        shutil.rmtree(box, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _write_error(path.parent, exc) from None
        raise
    return box


def _rename_all(paths: list[Path], tmps: list[Path], boxes: list[Path]) -> None:
    """Rename each of ``tmps`` over its path; if one fails, put back those renamed before
    it. The file each replaces (but the last's, whose rename fails whole or not at all)
    is kept in its box first, as a hard link of the same file (a link in the way as
    the link), or a copy where the file system has no hard links."""
    done: list[tuple[Path, Path | None]] = []
    path = paths[0]
    try:
        for i, (path, tmp, box) in enumerate(zip(paths, tmps, boxes, strict=True)):
            kept = None
            if i < len(paths) - 1 and (path.exists() or path.is_symlink()):
                kept = box / "replaced"
                try:
                    os.link(path, kept, follow_symlinks=False)
                except OSError:
                    shutil.copy2(path, kept, follow_symlinks=False)
            os.replace(tmp, path)
            done.append((path, kept))
    except BaseException as exc:
        for was, kept in reversed(done):
            with contextlib.suppress(OSError):
                if kept is None:
                    was.unlink()
                else:
                    os.replace(kept, was)
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from None
        raise
