"""Bad inputs get one clear line each (file, line, column, reason) and exit status 2, never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from safecity import validate
from safecity.__main__ import main
from safecity.errors import DataError
from safecity.sources import ice_release

from conftest import DATA, ROOT

SOURCE = "ice-safe-city"


@pytest.fixture
def data(tmp_path):
    """A private copy of the arrests source folder to break."""
    target = tmp_path / "data"
    shutil.copytree(DATA / "raw" / SOURCE, target / "raw" / SOURCE)
    return target


def _edit(data, name, old, new):
    path = data / "raw" / SOURCE / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _errors(data):
    errors, _ = validate.check(data)
    return [str(e) for e in errors]


def test_shipped_data_is_valid_and_matches_recorded_checksums():
    errors, warnings = validate.check(DATA)
    assert errors == [] and warnings == []


def test_missing_required_column(data):
    _edit(data, "arrests_by_area.csv", "operation,area,arrests,", "operation,area,")
    _edit(data, "arrests_by_area.csv", "Baltimore,28,", "Baltimore,")
    errors = _errors(data)
    assert any("arrests_by_area.csv" in e and "missing required column" in e for e in errors), errors


def test_non_numeric_count(data):
    _edit(data, "arrests_by_area.csv", "Denver,63,", "Denver,sixty-three,")
    assert any(e.startswith("raw/") or "arrests_by_area.csv, line 4, column 'arrests': type error" in e
               for e in _errors(data))
    assert any("line 4, column 'arrests': type error" in e for e in _errors(data))


def test_negative_count(data):
    _edit(data, "article_places.csv", "Denver,63,", "Denver,-63,")
    assert any("article_places.csv, line 4, column 'arrests': constraint error" in e and "minimum" in e
               for e in _errors(data))


def test_duplicated_key(data):
    _edit(data, "article_places.csv", "Philadelphia,107,", "Denver,107,")
    assert any("article_places.csv, line 4, column 'operation, place': duplicated key" in e for e in _errors(data))


def test_empty_file(data):
    (data / "raw" / SOURCE / "operation.csv").write_bytes(b"")
    assert any(e.endswith("operation.csv: empty file") for e in _errors(data))


def test_file_that_is_not_utf8(data):
    path = data / "raw" / SOURCE / "article_places.csv"
    path.write_bytes(path.read_bytes().replace(b"San Jose", "San Jos\u00e9".encode("latin-1")))
    assert any("article_places.csv, line 9: not valid utf-8 text (byte 0xe9)" in e for e in _errors(data))


def test_missing_file(data):
    (data / "raw" / SOURCE / "area_components.csv").unlink()
    assert any(e.endswith("area_components.csv: missing file") for e in _errors(data))


def test_missing_datapackage(data):
    (data / "raw" / SOURCE / "datapackage.json").unlink()
    with pytest.raises(DataError, match="datapackage.json: missing file"):
        ice_release.article_places(data)


def test_changed_file_is_a_provenance_warning_not_an_error(data):
    _edit(data, "article_places.csv", "Denver,63,", "Denver,64,")
    errors, warnings = validate.check(data)
    assert errors == []
    assert any("article_places.csv: differs from the recorded source file" in str(w) for w in warnings)


def test_importer_raises_the_same_problems(data):
    _edit(data, "arrests_by_area.csv", "Denver,63,", "Denver,x,")
    with pytest.raises(DataError, match=r"line 4, column 'arrests': type error"):
        ice_release.arrests_by_area(data, "Operation Safe City")


def test_check_command_exit_codes(data, capsys):
    assert main(["check", "--data-dir", str(data)]) == 0
    _edit(data, "article_places.csv", "Denver,63,", "Denver,-1,")
    assert main(["check", "--data-dir", str(data)]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "article_places.csv, line 4, column 'arrests'" in err


def test_build_with_invalid_data_prints_no_traceback_and_exits_2(data):
    _edit(data, "arrests_by_area.csv", "Denver,63,", "Denver,-63,")
    proc = subprocess.run([sys.executable, "-m", "safecity", "build", "--data-dir", str(data)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "arrests_by_area.csv, line 4, column 'arrests': constraint error" in proc.stderr
    assert "nothing was run" in proc.stderr


def test_every_resource_declares_provenance():
    for package_path in validate.package_paths(DATA):
        descriptor = json.loads(package_path.read_text(encoding="utf-8"))
        assert descriptor.get("sources"), f"{package_path}: no sources"
        assert descriptor.get("retrieved"), f"{package_path}: no retrieval date"
        assert descriptor.get("licenses"), f"{package_path}: no licence"
        for resource in descriptor["resources"]:
            paths = resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
            for rel in paths:
                assert (package_path.parent / rel).exists(), f"{package_path}: {rel} missing"
            if isinstance(resource["path"], str):
                assert resource.get("hash", "").startswith("sha256:"), f"{package_path}: {resource['name']}"
