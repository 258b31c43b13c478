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


def test_check_command_exit_codes(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
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


# --------------------------------------------------------------------------- found by check, before any notebook runs

MAY = "raw/state-dept-monthly-visas/nonimmigrant/2017-05-01.jsonl.gz"


def _rewrite_gz(path, edit):
    import gzip

    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines(keepends=True)
    path.write_bytes(gzip.compress("".join(edit(lines)).encode("utf-8")))


def _truncate(data):
    path = data / MAY
    path.write_bytes(path.read_bytes()[:300])


def _issuances(data):
    _rewrite_gz(data / MAY, lambda lines: [lines[0], lines[1].replace('"Issuances":"13"', '"Issuances":"lots"')]
                + lines[2:])


def _nationality(data):
    _rewrite_gz(data / MAY, lambda lines: lines[:2] + [lines[2].replace('"Afghanistan"', '"Atlantis"')] + lines[3:])


def _area(data):
    path = data / "raw" / SOURCE / "article_places.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",28,Baltimore,", ",28,Baltimore County,"), encoding="utf-8")


NATIONAL = "raw/ice-national-arrests/EROArrests_FY2017.csv.gz"


def _national_date(data):
    _rewrite_gz(data / NATIONAL, lambda lines: lines[:6] + [lines[6].replace("|10/1/2016|", "|13/1/2016|", 1)]
                + lines[7:])


def _place_area(data):
    path = data / "raw" / "ice-place-areas" / "place_areas.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Safe City,Baltimore,", "Safe City,Baltimore County,"),
                    encoding="utf-8")


BAD = {  # what is broken -> (how, the error line `check` and `build` print, after "error: <data folder>/")
    "truncated gzip": (_truncate, f"{MAY}: not a readable gzip file"),
    "non-numeric Issuances": (_issuances, f"{MAY}, line 2, column 'Issuances': count is not a whole number: 'lots'"),
    "unknown nationality": (_nationality, f"{MAY}, line 3, column 'place': unknown place name 'Atlantis': add it to "
                                          "{data}/raw/nationality-crosswalk/nationalities.csv"),
    "missing source folder": (lambda data: shutil.rmtree(data / "raw" / "politico-visas"),
                              "raw/politico-visas: missing folder or file (03_visas and 09_visa_files read it)"),
    "nationwide record with a bad date": (_national_date, f"{NATIONAL}, line 7, column 'Apprehension Date': not a date "
                                                          "(M/D/YYYY): '13/1/2016'"),
    "place mapped that ICE did not name": (_place_area, "raw/ice-place-areas/place_areas.csv, column 'place': "
                                                        "'Baltimore County' is not a place ICE's release names"),
    "article place not in ICE's list": (_area, "raw/ice-safe-city/article_places.csv, line 7, column 'ice_area': "
                                               "'Baltimore County' is not an area in ICE's list"),
}
PARAMS = {  # a visa parameter that cannot work or selects no data -> the error line after "error: <file>: "
    "03_visas: {baseline_fy: 2009}": "03_visas: parameter 'baseline_fy' is 2009: no data for FY2009",
    "03_visas: {window_start: '2017-08', window_end: '2017-03'}":
        "03_visas: parameter 'window_end' is '2017-03': the window ends before it starts ('2017-08')",
    "03_visas: {window_start: '2017-3'}": "03_visas: parameter 'window_start' is '2017-3': expected a month as YYYY-MM",
    "03_visas: {window_end: '2030-01'}": "03_visas: parameter 'window_end' is '2030-01': outside the months of the data",
    # One rule with the chapter's: a window that starts before the first monthly table is refused, not computed
    # with its first months missing.
    "03_visas: {window_start: '2016-12'}": "03_visas: parameter 'window_start' is '2016-12': outside the months of the data",
    "03_visas: {groups: {six: raw/travel-ban/eo-13780-countries.csv, all: raw/travel-ban/eo-13780-countries.csv}}":
        "03_visas: parameter 'groups' is",
}


def _refused(capsys, argv, expected):
    """`check` and `build` both exit 2 with the line, before any notebook runs."""
    for command in ("check", "build"):
        assert main([command, *argv]) == 2
        out, err = capsys.readouterr()
        errors = [line for line in err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and expected in errors[0], (command, err)
        assert "nothing was run" in err and "[1/" not in out


@pytest.mark.parametrize("bad", list(BAD))
def test_bad_input_is_refused_by_check_and_build_before_any_notebook_runs(bad, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    how, expected = BAD[bad]
    how(data)
    shown = validate.display_path(data)
    _refused(capsys, ["--data-dir", str(data)], f"{shown}/{expected.format(data=shown)}")


@pytest.mark.parametrize("params", list(PARAMS))
def test_a_parameter_that_selects_no_data_is_refused_by_check_and_build(params, tmp_path, capsys):
    path = tmp_path / "params.yml"
    path.write_text(params + "\n", encoding="utf-8")
    _refused(capsys, ["--params", str(path)], f"{path}: {PARAMS[params]}")
