"""ICE's nationwide record-level FOIA arrests (data/raw/ice-national-arrests/): read exactly as published, every
kind of mess handled, every bad row refused with one line naming the file, the line and the column, and each
year's count set against ICE's published annual total."""

from __future__ import annotations

import hashlib

import pytest

from safecity import synthetic
from safecity.errors import DataError
from safecity.sources import ice_annual, ice_national_arrests as national

from conftest import DATA

SOURCE = DATA / "raw" / "ice-national-arrests"
row = synthetic.national_row


def write(tmp_path, rows, fy=2017, head=None, name="EROArrests.csv.gz"):
    path = tmp_path / name
    synthetic.write_foia(path, (head if head is not None else synthetic.national_title(fy)) + rows)
    return path


def refused(path) -> str:
    with pytest.raises(DataError) as caught:
        national.read(path)
    assert len(caught.value.problems) == 1 and "\n" not in str(caught.value)
    return str(caught.value)


# --- The mess, handled ---------------------------------------------------------------------------------------


def test_title_rows_dates_redactions_blank_areas_and_landmarks(tmp_path):
    path = write(tmp_path, [
        row(),                                                                  # line 7
        row(date="10/1/2016", operation="(B)(7)(E) "),                          # unpadded, redacted operation
        row(date="09/30/2017", operation="--", landmark=""),                    # padded too; '--'; blank landmark
        row(area="", landmark="  river   city fug ops "),                      # blank area; free-text landmark
        row(area="HQ", method="CAP Local Incarceration", operation="(b)(7)(e)"),
    ])
    year = national.read(path)
    assert year.fiscal_year == 2017 and year.request == "2019-ICFO-53623" and year.header_line == 6
    r = year.records
    assert [f"{d:%Y-%m-%d}" for d in r["arrest_date"]] == [
        "2017-09-24", "2016-10-01", "2017-09-30", "2017-09-24", "2017-09-24"]
    # "<City> Area of Responsibility" read as the city; a blank area is missing and counted, never guessed.
    assert r["area"].astype("string").tolist()[:3] == ["Lakeshore"] * 3 and r["area"].isna().tolist()[3]
    assert r["area"].iloc[4] == "HQ" and year.blank_area == 1
    # The Operation column: nothing, or a redacted operation (never a name); any spelling of the code.
    assert r["operation"].astype(str).tolist() == ["none", "redacted", "none", "none", "redacted"]
    assert year.redacted["operation"] == 2
    # Landmarks: free text, normalised (case, padding, inner spaces); blank stays missing.
    assert r["landmark"].isna().tolist() == [False, False, True, False, False]
    assert r["landmark"].iloc[3] == "RIVER CITY FUG OPS"
    # Only the columns counted are read, each compact.
    assert list(r.columns) == ["area", "arrest_date", "arrest_method", "landmark", "operation"]
    assert all(str(r[c].dtype) == "category" for c in ("area", "arrest_method", "landmark", "operation"))


def test_an_operation_value_that_is_neither_blank_nor_redacted_is_kept_apart(tmp_path):
    year = national.read(write(tmp_path, [row(operation="SAFE CITY")]))
    assert year.records["operation"].tolist() == ["other"]


def test_plain_text_file_of_the_same_shape_reads_too(tmp_path):
    path = tmp_path / "EROArrests.csv"
    path.write_text("\n".join(synthetic.national_title(2017) + [row()]) + "\n", encoding="utf-8")
    assert len(national.read(path).records) == 1


# --- Bad rows, refused with their line -----------------------------------------------------------------------


@pytest.mark.parametrize("bad, reason, column", [
    (row(date="9/31/2017"), "not a date (M/D/YYYY): '9/31/2017'", "Apprehension Date"),
    (row(date="2017-09-24"), "not a date", "Apprehension Date"),
    (row(date="10/1/2017"), "outside FY2017", "Apprehension Date"),
    (row(date=""), "missing value", "Apprehension Date"),
    (row(method=""), "missing value", "Apprehension Method"),
    (row(method="(B)(7)(E)"), "redacted", "Apprehension Method"),
    (row(area="Lake\u202eshore"), "holds U+202E (RIGHT-TO-LEFT OVERRIDE)", "Area of Responsibility"),
    (row(area="Lake\u200bshore"), "holds U+200B (ZERO WIDTH SPACE)", "Area of Responsibility"),
])
def test_a_bad_value_is_one_line_naming_file_line_and_column(tmp_path, bad, reason, column):
    message = refused(write(tmp_path, [row(), row(), bad, row()]))
    assert message.startswith(str(tmp_path / "EROArrests.csv.gz")) or "EROArrests.csv.gz" in message
    assert "line 9" in message and f"column '{column}'" in message and reason in message


def test_a_row_with_too_many_fields_names_its_line(tmp_path):
    message = refused(write(tmp_path, [row(), row() + "|extra"]))
    assert "line 8" in message and "expected 9 fields, found 10" in message


def test_a_blank_line_among_the_records_names_its_line(tmp_path):
    message = refused(write(tmp_path, [row(), "||||||||", row()]))
    assert "line 8" in message and "blank line" in message


def test_files_that_are_not_the_shape_are_refused_in_one_line(tmp_path):
    assert "no header row" in refused(write(tmp_path, [row()], head=synthetic.national_title(2017)[:-1]))
    head = [t for t in synthetic.national_title(2017) if "FY2017" not in t]
    assert "fiscal year" in refused(write(tmp_path, [row()], head=head, name="b.csv.gz"))
    missing = synthetic.national_title(2017)[:-1] + [synthetic.NATIONAL_HEADER.replace('"Operation"', '"Op"')]
    assert "column 'Operation'" in refused(write(tmp_path, [row()], head=missing, name="c.csv.gz"))
    (tmp_path / "d.csv.gz").write_bytes(b"\x1f\x8b not gzip")
    assert "cannot" in refused(tmp_path / "d.csv.gz")
    (tmp_path / "e.csv.gz").write_bytes(b"")
    assert "empty file" in refused(tmp_path / "e.csv.gz")
    assert "missing file" in refused(tmp_path / "nope.csv.gz")


# --- The published files -------------------------------------------------------------------------------------


PUBLISHED = {2016: "057a56ab5a32a4e870b2b3c671601e7f3f7f00b5202f0bcbb2aa37e3d5aee733",
             2017: "49379e477eb81aeb0df3c8c82eb1070cd169af1a7869a94518f4a996e67a7137",
             2018: "0fdc27a149d4460545b0f6ad2be3f40db41c1d6bc51a5866267513a0ad3091f2"}


def test_the_published_files_are_the_ones_sources_md_gives():
    for fy, digest in PUBLISHED.items():
        assert hashlib.sha256((SOURCE / f"EROArrests_FY{fy}.csv.gz").read_bytes()).hexdigest() == digest


def test_each_years_records_are_icess_published_annual_total():
    """A finding, not an assumption: each year's file holds exactly the administrative arrests ICE published."""
    published = ice_annual.arrests(DATA).set_index("fiscal_year")["arrests"]
    counted = {year.fiscal_year: len(year.records) for year in national.years(DATA)}
    assert sorted(counted) == [2016, 2017, 2018]
    differ = {fy: (n, int(published[fy])) for fy, n in counted.items() if n != int(published[fy])}
    assert not differ, "; ".join(f"FY{fy}: {n:,} records, ICE published {p:,}" for fy, (n, p) in differ.items())


def test_the_published_files_areas_and_operation_column():
    year = national.read_resource(DATA, "arrests_fy2017")
    areas = set(year.records["area"].dropna().astype(str))
    assert {"Seattle", "Los Angeles", "San Francisco", "Chicago", "Boston", "Washington", "New York City",
            "Philadelphia", "Denver", "Baltimore"} <= areas
    assert year.blank_area > 0  # SOURCES.md: a few hundred rows
    assert set(year.records["operation"].astype(str)) == {"none", "redacted"}  # never a name
