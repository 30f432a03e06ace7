"""Every write goes through the atomic writers (found in review): a link planted in an
output folder is replaced or refused, never written through; an existing folder is
replaced only with --overwrite; two runs of one name in a batch are refused before
solving; and an interrupted replace keeps the old results."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from chainopt import api, atomic
from chainopt.errors import InputError, ResultsExistError
from tests.hardening.conftest import cli

SCEN = Path(__file__).resolve().parents[2] / "scenarios"
PORT = SCEN / "small_port_expansion.yaml"
SENS = "sensitivity-small_port_expansion-far_east_port"
DECOY = "decoy: not chainopt's\n"


def decoys(folder: Path, *names: str) -> list[Path]:
    """Files outside the output folders that nothing may write."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n in names:
        (folder / n).write_text(DECOY)
        out.append(folder / n)
    return out


def untouched(files: list[Path]) -> bool:
    return all(f.read_text() == DECOY for f in files)


# -- 1. sensitivity: its folder and the files in a --sweep folder --------------------------

def test_sensitivity_does_not_write_through_a_linked_folder(tmp_path):
    """o/sensitivity-<scenario>-<project> planted as a link to a folder outside: exit 1,
    with or without --overwrite, and the files outside are untouched."""
    outside = decoys(tmp_path / "outside", "breakeven.csv", "tornado.csv", "tornado.png")
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / SENS).symlink_to(tmp_path / "outside")
    for extra in ([], ["--overwrite"]):
        _code, text = cli("sensitivity", PORT, "--project", "far_east_port", "--drivers",
                          "capex", "--out", tmp_path / "o", *extra, code=1)
        assert SENS in text
        assert untouched(outside)
        assert (tmp_path / "o" / SENS).is_symlink()


@pytest.fixture(scope="module")
def sensitivity_folder(tmp_path_factory) -> Path:
    """The port project's capex sensitivity, written once (the tests that replace it
    work on a copy)."""
    out = tmp_path_factory.mktemp("sens")
    cli("sensitivity", PORT, "--project", "far_east_port", "--drivers", "capex", "--out",
        out, code=0)
    return out / SENS


def test_sensitivity_replaces_its_folder_only_with_overwrite(tmp_path, sensitivity_folder):
    args = ["sensitivity", PORT, "--project", "far_east_port", "--drivers", "capex",
            "--out", tmp_path]
    folder = tmp_path / SENS
    shutil.copytree(sensitivity_folder, folder)  # as `cli(*args, code=0)` writes it
    assert sorted(p.name for p in folder.iterdir()) == ["breakeven.csv", "sensitivity.json",
                                                        "tornado.csv", "tornado.png"]
    (folder / "tornado.csv").write_text("mine\n")
    _code, text = cli(*args, code=1)  # before solving: nothing replaced
    assert "--overwrite" in text
    assert (folder / "tornado.csv").read_text() == "mine\n"
    cli(*args, "--overwrite", code=0)
    assert "capex" in (folder / "tornado.csv").read_text()
    assert [p.name for p in tmp_path.iterdir()] == [SENS]  # no temporary folder left


def test_sensitivity_refuses_a_project_that_is_not_a_name(tmp_path):
    """``../x`` is no project of the case (it is checked against the case's projects
    first, for a "did you mean": ``MP2`` is mp2) and no name: nothing is written."""
    _code, text = cli("sensitivity", PORT, "--project", "../x", "--out", tmp_path / "o",
                      code=1)
    assert "--project ../x: no such project in small_chain" in text
    assert not (tmp_path / "o").exists() and not (tmp_path / "x").exists()


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory) -> Path:
    """A finished Monte Carlo sweep of two draws over the port scenario."""
    out = tmp_path_factory.mktemp("sweep")
    (out / "dists.yaml").write_text("variables:\n  - target: markets.price_usd_per_unit"
                                    "[commodity=hdpe]\n    op: scale\n"
                                    "    dist: {type: uniform, low: 1.0, high: 1.1}\n")
    cli("sweep", PORT, "--samples", "2", "--distributions", out / "dists.yaml",
        "--out", out, "--jobs", "1", code=0)
    return out / "sweep-small_port_expansion"


def test_sensitivity_replaces_links_in_the_sweep_folder(tmp_path, sweep_folder):
    """projects_mc.csv and .png planted as links to files outside: the links are replaced
    by the new files, the files outside are untouched."""
    outside = decoys(tmp_path / "outside", "a.csv", "b.png")
    for name, target in (("projects_mc.csv", outside[0]), ("projects_mc.png", outside[1])):
        (sweep_folder / name).unlink(missing_ok=True)
        (sweep_folder / name).symlink_to(target)
    cli("sensitivity", "--sweep", sweep_folder, code=1)  # files there: --overwrite
    assert untouched(outside)
    cli("sensitivity", "--sweep", sweep_folder, "--overwrite", code=0)
    assert untouched(outside)
    for name in ("projects_mc.csv", "projects_mc.png"):
        assert not (sweep_folder / name).is_symlink() and (sweep_folder / name).is_file()
    assert "far_east_port" in (sweep_folder / "projects_mc.csv").read_text()


# -- 2. sweep --resume ----------------------------------------------------------------------

def test_resume_replaces_links_never_writes_through_them(tmp_path, sweep_folder):
    """The temporary names the old code wrote to (.kpis.csv.tmp) and the tables themselves
    planted as links in a sweep folder to resume: the files outside are untouched."""
    outside = decoys(tmp_path / "outside", "1", "2", "3", "4")
    links = {".kpis.csv.tmp": outside[0], ".summary.csv.tmp": outside[1],
             "kpis.csv": outside[2], "summary.csv": outside[3]}
    for name, target in links.items():
        (sweep_folder / name).unlink(missing_ok=True)
        (sweep_folder / name).symlink_to(target)
    cli("sweep", "--resume", sweep_folder, code=0)
    assert untouched(outside)
    for name in ("kpis.csv", "summary.csv"):
        assert not (sweep_folder / name).is_symlink()
    assert len(pd.read_csv(sweep_folder / "kpis.csv")) == 2


@pytest.mark.parametrize("sub", ["parts", "variants"])
def test_resume_refuses_a_linked_parts_or_variants_folder(tmp_path, sweep_folder, sub):
    """parts/ (or variants/) replaced by a link to a folder outside: exit 1, nothing
    written there (the part files would otherwise be renamed into it)."""
    outside = decoys(tmp_path / "outside", "v00000.csv")
    work = tmp_path / "sw"
    shutil.copytree(sweep_folder, work, symlinks=True)
    shutil.rmtree(work / sub, ignore_errors=True)
    (work / sub).symlink_to(tmp_path / "outside")
    _code, text = cli("sweep", "--resume", work, code=1)
    assert sub in text
    assert untouched(outside) and [p.name for p in (tmp_path / "outside").iterdir()] == [
        "v00000.csv"]


# -- 3. two runs of one name in a batch -----------------------------------------------------

def twins(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for f, scale in ((a, 1.1), (b, 0.9)):
        f.write_text(f"name: twin\nbase: small_chain\nchanges:\n  - table: supplies\n"
                     f"    scale: {{cost_usd_per_unit: {scale}}}\n")
    return a, b


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_run_refuses_two_runs_of_one_name(tmp_path, jobs):
    a, b = twins(tmp_path)
    _code, text = cli("run", a, b, "--out", tmp_path / "o", "--jobs", jobs, code=1)
    assert "a.yaml" in text and "b.yaml" in text and "'twin'" in text
    assert "rename" in text or "name:" in text
    assert not (tmp_path / "o").exists()  # refused before solving: nothing written


def test_run_refuses_one_source_given_twice(tmp_path):
    a, _b = twins(tmp_path)
    _code, text = cli("run", a, a, "--out", tmp_path / "o", "--jobs", "1", code=1)
    assert "given twice" in text
    assert not (tmp_path / "o").exists()


def test_compare_refuses_two_runs_of_one_name(tmp_path):
    a, b = twins(tmp_path)
    _code, text = cli("compare", "small_chain", a, b, "--out", tmp_path / "o", "--jobs",
                      "1", code=1)
    assert "a.yaml" in text and "b.yaml" in text and "'twin'" in text
    assert not (tmp_path / "o").exists()


def test_write_folder_never_replaces_a_folder_unless_asked(tmp_path):
    """Another writer puts the folder in place while ours is being filled (two runs of
    one name racing): without overwrite ours is refused and theirs is kept."""
    target = tmp_path / "r"

    def theirs(tmp: Path) -> None:
        (tmp / "manifest.json").write_text(json.dumps(
            {"case": "c", "input_hash": "h", "status": "optimal", "gen": "THEIRS"}))

    def ours(tmp: Path) -> None:
        theirs(tmp)
        (tmp / "manifest.json").write_text(json.dumps(
            {"case": "c", "input_hash": "h", "status": "optimal", "gen": "OURS"}))
        atomic.write_folder(target, theirs, kind="results")  # the other run, meanwhile

    with pytest.raises(ResultsExistError):
        atomic.write_folder(target, ours, kind="results")
    assert json.loads((target / "manifest.json").read_text())["gen"] == "THEIRS"
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # our temporary folder is gone
    with pytest.raises(ResultsExistError):  # and found at once when it is already there
        atomic.write_folder(target, theirs, kind="results")
    atomic.write_folder(target, lambda t: _gen(t, "ASKED"), kind="results", overwrite=True)
    assert json.loads((target / "manifest.json").read_text())["gen"] == "ASKED"


def test_results_save_without_overwrite_keeps_the_folder(tmp_path):
    from chainopt.results import Results

    res = Results(tables={"t": pd.DataFrame({"a": [1.0]})},
                  manifest={"case": "c", "input_hash": "h", "status": "optimal"})
    res.save(tmp_path / "r")
    with pytest.raises(ResultsExistError):
        res.save(tmp_path / "r")
    res.save(tmp_path / "r", overwrite=True)
    assert (tmp_path / "r" / "t.csv").is_file()


# -- 4. compare honours --overwrite ---------------------------------------------------------

@pytest.mark.parametrize("name", [["--name", "mine"], []])
def test_compare_replaces_a_comparison_only_with_overwrite(tmp_path, name):
    args = ["compare", "small_chain", SCEN / "small_high_prices.yaml", "--out", tmp_path,
            "--jobs", "1", *name]
    cli(*args, code=0)
    folder = tmp_path / ("compare-mine" if name else
                         "compare-small_chain-vs-small_high_prices")
    md = folder / "comparison.md"
    md.write_text(md.read_text() + "my notes\n")
    _code, text = cli(*args, code=1)
    assert "--overwrite" in text and folder.name in text
    assert md.read_text().endswith("my notes\n")  # the earlier comparison is kept
    cli(*args, "--overwrite", code=0)
    assert not md.read_text().endswith("my notes\n")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(atomic.TMP_PREFIX)]


# -- 5. an interrupted replace keeps the old results ----------------------------------------

def _gen(tmp: Path, gen: str) -> None:
    (tmp / "manifest.json").write_text(json.dumps(
        {"case": "c", "input_hash": "h", "status": "optimal", "gen": gen}))


@pytest.mark.parametrize("signal", [KeyboardInterrupt, OSError])
def test_interrupted_replace_puts_the_old_folder_back(tmp_path, monkeypatch, signal):
    """The signal (or an error) lands between the two renames: after moving the old
    folder aside, before the new one is in place. The old results are back in place, and
    nothing else is left."""
    target = tmp_path / "r"
    atomic.write_folder(target, lambda t: _gen(t, "OLD"), kind="results")
    orig = Path.rename

    def rename(self, dest):
        if Path(dest) == target and ".old." not in self.name:
            raise signal("interrupted")
        return orig(self, dest)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(Exception if signal is OSError else KeyboardInterrupt):
        atomic.write_folder(target, lambda t: _gen(t, "NEW"), kind="results", overwrite=True)
    monkeypatch.setattr(Path, "rename", orig)
    assert json.loads((target / "manifest.json").read_text())["gen"] == "OLD"
    assert [p.name for p in tmp_path.iterdir()] == ["r"]
    atomic.write_folder(target, lambda t: _gen(t, "NEW"), kind="results", overwrite=True)
    assert json.loads((target / "manifest.json").read_text())["gen"] == "NEW"
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_api_compare_save_false_writes_nothing(tmp_path):
    """compare without saving still refuses duplicate names (the comparison would show
    one run twice) and writes nothing."""
    a, b = twins(tmp_path)
    with pytest.raises(Exception, match="twin"):
        api.compare(["small_chain", str(a), str(b)], out=tmp_path / "o", jobs=1, save=False)
    assert not (tmp_path / "o").exists()


def test_write_file_replaces_a_link_to_a_folder(tmp_path):
    """A file's place taken by a link to a folder outside: the link is replaced by the
    file and the folder outside is untouched (before, the write stopped with "is a
    folder"); a real folder in the way is still refused."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    target.symlink_to(outside)
    atomic.write_file(target, lambda tmp: tmp.write_text("new"))
    assert not target.is_symlink() and target.read_text() == "new"
    assert [p.name for p in outside.iterdir()] == ["keep.txt"]
    (tmp_path / "out" / "dir.html").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        atomic.write_file(tmp_path / "out" / "dir.html", lambda tmp: tmp.write_text("x"))


# -- a user's own files in a results folder; messages as the one asking says it ---------
# (outside review "repro", F7, F10 and F11)


def test_overwrite_refuses_a_results_folder_holding_the_users_own_files(tmp_path):
    """``run --overwrite`` deleted ``my_analysis.md`` and ``figs/fig1.png`` kept in a
    results folder without a word (exit 0). Now it refuses before solving (exit 1),
    naming both (``figs/`` as a folder) and saying to move them out, and keeps them; what
    chainopt itself writes there (``report --png``: report.html and its charts,
    ``--excel``: results.xlsx) does not stop it, and goes with the old folder.

    The names the check takes for chainopt's charts are those the writers use: the
    charts ``report --png`` writes for small_chain (three periods, every chart: 5 of the
    run, a Sankey and a map per period, 6 segment drill-downs of the first period:
    5 + 6 + 6 = 17) are exactly chart_files of its periods in PNG (drawn once, here, for
    both checks)."""
    from chainopt.results import Results, chart_files

    cli("run", "small_chain", "--out", tmp_path, "--name", "a2", "--excel", code=0)
    assert not list((tmp_path / "a2").glob("*.png"))
    cli("report", tmp_path / "a2", "--png", code=0)
    written = {p.name for p in (tmp_path / "a2").glob("*.png")}
    png = {n for n in chart_files(Results.load(tmp_path / "a2").manifest["periods"])
           if n.endswith(".png")}
    assert len(written) == 17 and written == png
    (tmp_path / "a2" / "my_analysis.md").write_text("my analysis\n")
    (tmp_path / "a2" / "figs").mkdir()
    (tmp_path / "a2" / "figs" / "fig1.png").write_text("x")
    _code, text = cli("run", "small_chain", "--out", tmp_path, "--name", "a2", "--overwrite",
                      code=1)
    assert (f"{tmp_path / 'a2'}: holds files chainopt did not write (figs/, my_analysis.md): "
            "--overwrite replaces the whole results folder and would delete them; move them "
            "out of this folder first") in text
    assert (tmp_path / "a2" / "my_analysis.md").read_text() == "my analysis\n"
    assert (tmp_path / "a2" / "figs" / "fig1.png").is_file()
    (tmp_path / "a2" / "my_analysis.md").unlink()
    shutil.rmtree(tmp_path / "a2" / "figs")
    cli("run", "small_chain", "--out", tmp_path, "--name", "a2", "--overwrite", code=0)
    assert not (tmp_path / "a2" / "report.html").exists()
    assert not (tmp_path / "a2" / "results.xlsx").exists()


@pytest.mark.parametrize("how", ["save", "run"])
def test_a_users_file_put_in_while_the_run_solves_is_kept(tmp_path, monkeypatch, how):
    """The check is made again just before the swap (as convert's): a file the user saves
    into the folder while the new results are written (by ``Results.save``, or by a run
    writing its tables as it makes them) stops the replace, and stays."""
    import contextlib

    from chainopt import results as results_module

    target = tmp_path / "a"
    res = api.run("small_chain", out=tmp_path, name="a")
    real = results_module.writing

    @contextlib.contextmanager
    def user_saves_meanwhile(folder, **kw):
        with real(folder, **kw) as tmp:
            yield tmp
            (target / "notes.txt").write_text("mine\n")

    monkeypatch.setattr(results_module, "writing", user_saves_meanwhile)
    with pytest.raises(InputError, match=r"holds files chainopt did not write \(notes.txt\): "
                                         r"overwrite=True replaces"):
        if how == "save":
            res.save(target, overwrite=True)
        else:
            api.run("small_chain", out=tmp_path, name="a", overwrite=True)
    assert (target / "notes.txt").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_chainopts_own_result_file_names_are_the_report_modules():
    """The names the check takes for chainopt's own are those the writers use: the
    report's files are the report modules' constants, the Sankey's segments the charts'
    (the charts' file names: test_overwrite_refuses_a_results_folder_holding_the_users_own_files,
    which draws them)."""
    from chainopt.report import charts, deck, excel, html
    from chainopt.results import REPORT_FILES, SANKEY_SEGMENTS

    assert {excel.RESULTS_WORKBOOK, html.REPORT_FILE, deck.DECK_FILE,
            deck.PREVIEW_FILE} == REPORT_FILES
    assert charts.SEGMENTS == SANKEY_SEGMENTS


def test_overwrite_keeps_a_users_own_report_png(tmp_path):
    """A user's ``report-final.png`` in a results folder was taken for one of chainopt's
    charts (any ``report-*.png``) and deleted without a word by ``run --overwrite``
    (review s25 F8). chainopt's charts are now known by name (report-capacity.png,
    report-sankey-p2026.png, ...): the user's file is refused like any other (exit 1,
    the folder kept), while a folder holding only chainopt's charts is replaced."""
    cli("run", "small_chain", "--out", tmp_path, "--name", "bar", code=0)
    for name in ("report-capacity.png", "report-sankey-p2026-upstream.svg",
                 "report-map-p2036.png"):
        (tmp_path / "bar" / name).write_bytes(b"chart")
    cli("run", "small_chain", "--out", tmp_path, "--name", "bar", "--overwrite", code=0)
    (tmp_path / "bar" / "report-final.png").write_bytes(b"mine")
    _code, text = cli("run", "small_chain", "--out", tmp_path, "--name", "bar",
                      "--overwrite", code=1)
    assert "holds files chainopt did not write (report-final.png)" in text, text
    assert (tmp_path / "bar" / "report-final.png").read_bytes() == b"mine"


def test_messages_name_options_as_the_command_line_says_them(tmp_path):
    """The CLI said "pass --overwrite (in Python overwrite=True) ... --name (name=...)"
    (review F10/F11); the loser of two runs racing for one name was told "pass
    overwrite=True". The CLI now says --overwrite / --name / --out only, Python
    ``overwrite=True`` / ``name=...`` only (test_api_contract)."""
    from chainopt.errors import command_line
    from chainopt.results import Results

    cli("run", "small_chain", "--out", tmp_path, "--name", "a", code=0)
    _code, text = cli("run", "small_chain", "--out", tmp_path, "--name", "a", code=1)
    assert text == (f"error: results folder {tmp_path / 'a'} exists; pass --overwrite to "
                    "replace it, or give another name (--name) or output folder (--out)")
    res = Results.load(tmp_path / "a")
    with command_line(), pytest.raises(ResultsExistError) as raised:
        res.save(tmp_path / "a")  # the race: another run wrote the folder meanwhile
    assert "pass --overwrite to replace it" in str(raised.value)
    assert "=" not in str(raised.value).replace(str(tmp_path), "")


def test_a_folder_of_the_users_files_is_not_told_to_use_overwrite(tmp_path):
    """``run --name mine`` over a folder of the user's own files said "pass --overwrite
    to replace it", which then refused it. It now says at once that --overwrite will not
    replace it, and what to do."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("n\n")
    _code, text = cli("run", "small_chain", "--out", tmp_path, "--name", "mine", code=1)
    assert "pass --overwrite" not in text
    assert ("is not a results folder chainopt wrote (no chainopt manifest.json), so "
            "--overwrite will not replace it; give another name (--name) or output folder "
            "(--out), or move it away yourself") in text


def test_an_unwritable_output_folder_says_how_to_choose_another(tmp_path, monkeypatch):
    """The message ended at "e.g. --out"; now "with --out DIR" (CLI) or "as out=..."
    (Python)."""
    import tempfile

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", full)
    _code, text = cli("run", "small_chain", "--out", tmp_path, code=1)
    assert text.endswith("cannot write here: No space left on device; choose an output "
                         "folder you can write to (and with free space), with --out DIR")
    with pytest.raises(InputError, match=r"with free space\), as out=\.\.\.$"):
        api.run("small_chain", out=tmp_path)


# -- a user's own files in a sweep, comparison or sensitivity folder (review s26 safety F4)

def test_overwrite_refuses_a_sensitivity_folder_holding_the_users_own_files(
        tmp_path, sensitivity_folder):
    """``sensitivity --overwrite`` deleted a ``board_memo.docx`` saved beside the tornado
    without a word (exit 0). Now it is refused before solving, as a results folder is,
    naming the file, which stays; once it is moved out the folder is replaced."""
    args = ["sensitivity", PORT, "--project", "far_east_port", "--drivers", "capex",
            "--out", tmp_path, "--overwrite"]
    folder = tmp_path / SENS
    shutil.copytree(sensitivity_folder, folder)  # a sensitivity written there before
    (folder / "board_memo.docx").write_text("mine\n")
    _code, text = cli(*args, code=1)
    assert (f"{folder}: holds files chainopt did not write (board_memo.docx): --overwrite "
            "replaces the whole sensitivity folder and would delete them") in text, text
    assert (folder / "board_memo.docx").read_text() == "mine\n"
    (folder / "board_memo.docx").unlink()
    cli(*args, code=0)


def test_overwrite_refuses_a_comparison_folder_holding_the_users_own_files(tmp_path):
    """``compare --overwrite`` deleted ``notes_for_client.docx`` (and the user's
    ``report-onepager-0-mine.png``) kept in the comparison folder. chainopt's own files
    there (report --png --pptx: report.html, the deck, its preview, comparison.xlsx and
    the charts named after its tables) do not stop a replace; the user's are named,
    exit 1 before solving, and kept."""
    args = ["compare", "small_chain", SCEN / "small_port_expansion.yaml", "--out",
            tmp_path, "--jobs", "1", "--name", "c", "--overwrite"]
    cli(*args, code=0)
    folder = tmp_path / "compare-c"
    cli("report", folder, "--png", "--pptx", code=0)
    assert any(p.name.startswith("report-onepager-") for p in folder.iterdir())
    (folder / "notes_for_client.docx").write_text("mine\n")
    (folder / "report-onepager-0-mine.png").write_bytes(b"mine")
    _code, text = cli(*args, code=1)
    assert ("holds files chainopt did not write (notes_for_client.docx, "
            "report-onepager-0-mine.png): --overwrite replaces the whole comparison folder "
            "and would delete them") in text, text
    assert (folder / "notes_for_client.docx").read_text() == "mine\n"
    (folder / "notes_for_client.docx").unlink()
    (folder / "report-onepager-0-mine.png").unlink()
    cli(*args, code=0)
    assert not (folder / "report.html").exists()  # went with the old comparison


def test_overwrite_refuses_a_sweep_folder_holding_the_users_own_files(tmp_path):
    """``sweep --overwrite`` deleted ``thesis.docx`` and ``figs/`` saved in the sweep
    folder. Now named and refused (exit 1), as are a file of the user's in ``parts/`` and
    in a variant's full results (``variants/v00001/``); chainopt's own files, the parts
    and the variant's results folder with its report, are replaced."""
    args = ["sweep", "small_chain", "--set", "markets.price_usd_per_unit*=1,1.1", "--name",
            "s", "--out", tmp_path, "--jobs", "1", "--full", "v00001", "--overwrite"]
    cli(*args, code=0)
    folder = tmp_path / "sweep-s"
    cli("report", folder / "variants" / "v00001", code=0)
    cli(*args, code=0)
    (folder / "thesis.docx").write_text("mine\n")
    (folder / "figs").mkdir()
    (folder / "figs" / "a.png").write_bytes(b"mine")
    (folder / "parts" / "notes.txt").write_text("mine\n")
    (folder / "variants" / "v00001" / "mine.md").write_text("mine\n")
    _code, text = cli(*args, code=1)
    assert ("holds files chainopt did not write (figs/, thesis.docx, parts/notes.txt, "
            "variants/v00001/mine.md): --overwrite replaces the whole sweep folder") in text
    assert (folder / "thesis.docx").is_file() and (folder / "figs" / "a.png").is_file()
    for f in ("thesis.docx", "parts/notes.txt", "variants/v00001/mine.md"):
        (folder / f).unlink()
    shutil.rmtree(folder / "figs")
    cli(*args, code=0)
