"""The data folder is a boundary: a symbolic link inside it, or a resource path that leaves it, is refused with one
line and exit status 2 by `check`, `run` and `data record` before anything is read through it, and nothing outside
the folder (the committed `data/` above all) is read or written."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from safecity import fetch, pipeline, validate
from safecity.__main__ import main
from safecity.errors import DataError
from safecity.sources import ice_release, state_dept_monthly

from conftest import DATA, ROOT

ICE = "raw/ice-safe-city"
VISAS = "raw/state-dept-monthly-visas"


def tree_digest(folder: Path) -> str:
    """One hash of a folder: every entry's path, kind (file or link) and bytes; links are not followed."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.is_symlink():
            digest.update(b"link:" + os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="module")
def committed() -> str:
    return tree_digest(DATA)


@pytest.fixture
def data(tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _link(path: Path, to: Path) -> None:
    """Replace `path` (a file or a folder) with a symbolic link to `to`."""
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    os.symlink(to, path)


def _path(data: Path, package: str, old: str, new: str) -> None:
    """Change one resource path in a package (a string edit, as an attacker would make it)."""
    file = data / package / "datapackage.json"
    text = file.read_text(encoding="utf-8")
    assert json.dumps(old) in text
    file.write_text(text.replace(json.dumps(old), json.dumps(new), 1), encoding="utf-8")


def _change_a_file(data: Path) -> None:
    """A changed data file, so that `data record` has something to write (through a link, were it followed)."""
    path = data / ICE / "release.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("US Immigration", "U.S. Immigration", 1), encoding="utf-8")


def _linked_package(data: Path) -> None:
    _change_a_file(data)
    _link(data / ICE / "datapackage.json", DATA / ICE / "datapackage.json")


LINK = "is a symbolic link, never followed"
UP = "leaves its source folder ('..')"
BAD = {  # what is done to a copy of data/ -> (the file the one error line names, what it says)
    "a linked file": (lambda d: _link(d / ICE / "release.csv", Path("/etc/passwd")), f"{ICE}/release.csv: {LINK}"),
    "a linked file in a folder of files": (
        lambda d: _link(d / VISAS / "nonimmigrant" / "2017-05-01.jsonl.gz",
                        DATA / VISAS / "nonimmigrant" / "2017-05-01.jsonl.gz"),
        f"{VISAS}/nonimmigrant/2017-05-01.jsonl.gz: {LINK}"),
    "a linked source folder": (lambda d: _link(d / VISAS, DATA / VISAS), f"{VISAS}: {LINK}"),
    "a linked folder of files": (lambda d: _link(d / VISAS / "immigrant", DATA / VISAS / "immigrant"),
                                 f"{VISAS}/immigrant: {LINK}"),
    "a linked raw folder": (lambda d: _link(d / "raw", DATA / "raw"), f"raw: {LINK}"),
    "a linked datapackage.json": (_linked_package, f"{ICE}/datapackage.json: {LINK}"),
    "a path up and out": (lambda d: _path(d, ICE, "release.csv", "../../../../etc/passwd"),
                          f"{ICE}/datapackage.json, line"),
    "a path up into another source": (lambda d: _path(d, ICE, "release.csv", "../travel-ban/eo-13780-countries.csv"),
                                      f"{ICE}/datapackage.json, line"),
    "an absolute path": (lambda d: _path(d, ICE, "release.csv", "/etc/passwd"), f"{ICE}/datapackage.json, line"),
    "a web address": (lambda d: _path(d, ICE, "release.csv", "https://example.org/release.csv"),
                      f"{ICE}/datapackage.json, line"),
    "a path out of the monthly visa files": (
        lambda d: _path(d, VISAS, "nonimmigrant/2017-05-01.jsonl.gz", "../../../../etc/2017-05-01.jsonl.gz"),
        f"{VISAS}/datapackage.json, line"),
}
WHY = {"a path up and out": UP, "a path up into another source": UP, "a path out of the monthly visa files": UP,
       "an absolute path": "is an absolute path", "a web address": "is a web address"}


def _one_error(capsys) -> str:
    out, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert "Traceback" not in err and "[1/" not in out
    return errors[0]


@pytest.mark.parametrize("bad", list(BAD))
def test_a_link_or_a_path_out_of_the_folder_is_refused_before_anything_is_read(bad, data, committed, capsys):
    how, expected = BAD[bad]
    how(data)
    shown = validate.display_path(data)
    for argv in (["check"], ["run", "--only", "01_arrests_by_area"], ["data", "record"]):
        assert main([*argv, "--data-dir", str(data)]) == 2, argv
        line = _one_error(capsys)
        assert line.startswith(f"error: {shown}/{expected}"), (argv, line)
        assert WHY.get(bad, LINK) in line, line
    assert tree_digest(DATA) == committed, "the committed data/ changed"
    assert not pipeline.work_root(ROOT, data).exists(), "a run was started"


def test_record_never_writes_through_a_linked_package(data, committed, capsys):
    """Reproduced before: `data record` rewrote the committed data/ package through a link in the copy."""
    _linked_package(data)
    assert main(["data", "record", "--data-dir", str(data), "ice-safe-city"]) == 2
    assert "nothing was recorded" in capsys.readouterr().err
    assert tree_digest(DATA) == committed
    assert (data / ICE / "datapackage.json").is_symlink()


def test_record_writes_a_new_file_in_place_of_the_old(data):
    """A recorded package is a new file moved into place (no link can be written through), with the old mode."""
    _change_a_file(data)
    package = data / ICE / "datapackage.json"
    before = package.stat()
    assert main(["data", "record", "--data-dir", str(data), "ice-safe-city"]) == 0
    after = package.stat()
    assert after.st_ino != before.st_ino and after.st_mode == before.st_mode
    assert main(["check", "--data-dir", str(data)]) == 0
    assert [p.name for p in package.parent.iterdir() if p.name.startswith(".")] == []


def test_fetch_refuses_a_link_before_any_download(data, committed):
    _link(data / VISAS / "datapackage.json", DATA / VISAS / "datapackage.json")
    problems = fetch.fetch(data, base_url="http://127.0.0.1:9/", echo=lambda _: None)  # port 9: never asked
    assert [str(p) for p in problems] == [f"{validate.display_path(data / VISAS / 'datapackage.json')}: "
                                          f"{validate.LINKED}"]
    assert tree_digest(DATA) == committed


def test_importers_look_up_their_files_through_the_same_check(data):
    """An importer called on its own (as a notebook calls it) refuses the link or the path, and reads nothing."""
    _link(data / ICE / "release.csv", Path("/etc/passwd"))
    with pytest.raises(DataError, match=LINK):
        ice_release.release(data, "Operation Safe City")
    _path(data, VISAS, "immigrant/2017-05-01.jsonl.gz", "/etc/2017-05-01.jsonl.gz")
    with pytest.raises(DataError, match="is an absolute path"):
        state_dept_monthly.read_all(data)


@pytest.mark.parametrize("records", ["/etc/passwd", "../../../../etc/passwd"])
def test_a_parameter_naming_a_file_outside_the_folder_is_refused(records, tmp_path, capsys):
    params = tmp_path / "params.yml"
    params.write_text(f"01_arrests_by_area:\n  records: {records}\n", encoding="utf-8")
    assert main(["check", "--params", str(params), "--data-dir", str(DATA)]) == 2
    line = _one_error(capsys)
    assert f"01_arrests_by_area: parameter 'records' names '{records}', outside the data folder" in line, line
