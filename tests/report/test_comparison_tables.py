"""A comparison folder's tables are read back as written: names stay text.

A CSV file does not say which columns are text, and pandas guesses from the values: a
scenario named ``true`` (a legal name) came back as the boolean True, so the report of
the comparison titled the port's one-pager "far_east_port in True". ``compare`` now
records each table's text columns (``text_columns.json``) and every report reader goes
through :func:`chainopt.report.compare.read_tables`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainopt import api
from chainopt.cli import app
from chainopt.errors import InputError
from chainopt.report.compare import TEXT_FILE, read_tables

PORT = "description: the port, optional\nbase: small_chain\nchanges:\n" \
       "  - project: far_east_port\n    state: optional\n"


def _compare(tmp_path: Path, name: str) -> Path:
    scenario = tmp_path / f"{name}.yaml"
    scenario.write_text(f'name: "{name}"\n' + PORT)
    _, _, folder = api.compare(["small_chain", str(scenario)], out=tmp_path / "out", jobs=1)
    return Path(folder)


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """:func:`_compare` of each name made once: ``compared(tmp_path, name)`` copies it
    into ``tmp_path``, as ``_compare(tmp_path, name)`` leaves it, and returns its folder
    (the tests edit their copy)."""
    made: dict[str, tuple[Path, Path]] = {}

    def copy(tmp_path: Path, name: str) -> Path:
        if name not in made:
            tmp = tmp_path_factory.mktemp(name)
            made[name] = (tmp, _compare(tmp, name))
        tmp, folder = made[name]
        shutil.copytree(tmp, tmp_path, dirs_exist_ok=True)
        return tmp_path / folder.relative_to(tmp)

    return copy


def test_a_scenario_named_true_stays_text_in_tables_and_report(tmp_path, compared):
    folder = compared(tmp_path, "true")
    recorded = json.loads((folder / TEXT_FILE).read_text())["text_columns"]
    assert "scenario" in recorded["economics"] and "effect" in recorded["economics"]
    eco = read_tables(folder)["economics"]
    assert eco["scenario"].tolist() == ["true"]
    assert eco["incremental NPV (MUSD)"].dtype == float  # numbers stay numbers
    api.report(folder)
    html = (folder / "report.html").read_text()
    assert "far_east_port in true" in html and "far_east_port in True" not in html


def test_empty_tables_and_old_folders_still_read(tmp_path):
    """Against a price change (no project) the project and party tables are empty: they
    come back with their columns. A folder written before text_columns.json (removed
    here, with projects_built.csv, which every comparison has written since that record
    held checksums) is read as pandas guesses, as before; without the record alone the
    folder is damaged (it read whatever its CSV files said)."""
    scenario = Path(__file__).parents[2] / "scenarios" / "small_high_prices.yaml"
    _, _, folder = api.compare(["small_chain", str(scenario)], out=tmp_path / "out", jobs=1)
    tables = read_tables(folder)
    assert tables["party_economics"].empty and "NPV (MUSD)" in tables["party_economics"]
    assert tables["project_cashflows"].empty and "year" in tables["project_cashflows"]
    (Path(folder) / TEXT_FILE).unlink()
    with pytest.raises(InputError, match=r"damaged comparison: projects_built\.csv is "
                                         r"there but not the record"):
        read_tables(folder)  # (review deck F4: an edited table went through so)
    (Path(folder) / "projects_built.csv").unlink()  # as a folder of that time
    old = read_tables(folder)
    assert old["economics"]["scenario"].tolist() == ["small_high_prices"]
    assert old["objective"].equals(tables["objective"])


def test_links_in_a_comparison_folder_are_not_read(tmp_path, compared):
    """A table that is a link to a file elsewhere is skipped, not followed."""
    folder = compared(tmp_path, "port")
    outside = tmp_path / "secret.csv"
    outside.write_text("secret,value\nkey,1\n")
    (folder / "planted.csv").symlink_to(outside)
    assert "planted" not in read_tables(folder)


def test_a_comparison_table_cut_or_edited_is_refused(tmp_path, compared):
    """text_columns.json records each table's rows and SHA-256: a table cut mid-row, or
    a number edited, is refused naming the file (it was read and reported with exit 0:
    a cut economics.csv lost its last project without a word)."""
    folder = compared(tmp_path, "port")
    recorded = json.loads((folder / TEXT_FILE).read_text())
    eco = recorded["table_files"]["economics"]
    assert eco["file"] == "economics.csv" and eco["rows"] == 1
    assert len(eco["sha256"]) == 64
    path = folder / "economics.csv"
    good = path.read_bytes()
    path.write_bytes(good.replace(b"far_east_port", b"far_east_pork", 1))
    with pytest.raises(InputError, match=r"economics\.csv.*SHA-256 differs") as err:
        read_tables(folder)
    assert "chainopt compare again" in str(err.value)
    path.write_bytes(good[: good.rindex(b"\n", 0, len(good) - 1) + 5])  # cut mid-row
    r = CliRunner().invoke(app, ["report", str(folder)])
    assert r.exit_code == 1 and "economics.csv" in r.output
    path.unlink()
    with pytest.raises(InputError, match=r"comparison table economics\.csv is missing"):
        read_tables(folder)
    path.write_bytes(good)
    assert read_tables(folder)["economics"]["effect"].tolist() == ["far_east_port"]


def test_a_folder_with_the_older_record_reads_its_text_columns(tmp_path, compared):
    """Folders written before the checksums recorded only the text columns, one list per
    table: they are read as before (a scenario named true stays text)."""
    folder = compared(tmp_path, "true")
    recorded = json.loads((folder / TEXT_FILE).read_text())
    (folder / TEXT_FILE).write_text(json.dumps(recorded["text_columns"]))
    (folder / "projects_built.csv").unlink()  # (written only beside checksums)
    assert read_tables(folder)["economics"]["scenario"].tolist() == ["true"]
