"""ICE's record-level FOIA arrests (data/raw/ice-seattle-aor-arrests/): read exactly as published, every kind of
mess handled, every bad row refused with one line naming the file, the line and the column."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil

import pytest

from safecity import synthetic
from safecity.errors import DataError
from safecity.sources import ice_aor_arrests

from conftest import DATA

SOURCE = DATA / "raw" / "ice-seattle-aor-arrests"
TITLE = synthetic.FOIA_TITLE + [
    '"FY2017 - FY2018 YTD (01/01/2017 - 12/31/2017) ERO Administrative Arrests for the Lakeshore Area of Responsibility"|||||||',
    synthetic.FOIA_HEADER]
RED = '"(b)(6),(b)(7)c)"'
EVENT = '"(b)(7)e)"'


def row(date="9/24/2017", gender='"Male"', country='"MEXICO"', landmark='"NORTH COUNTY JAIL"',
        method='"CAP Local Incarceration"', conviction=""):
    return f"{date}|{RED}|{gender}|{country}|{EVENT}|{landmark}|{method}|{conviction}"


def write(tmp_path, rows, head=TITLE, name="arrests.csv.gz"):
    path = tmp_path / name
    synthetic.write_foia(path, head + rows)
    return path


# --- The mess, handled ---------------------------------------------------------------------------------------


def test_title_rows_dates_redactions_blank_convictions_and_spellings(tmp_path):
    path = write(tmp_path, [
        row(),                                                                   # line 8
        row(date="10/3/2017", landmark='" north county jail"', conviction='"Assault"'),
        row(date="12/31/2017", landmark='"NORTH CO.  JAIL"', gender='"(b)(6)"'),
        row(date="01/02/2017", conviction='"(b)(7)e)"', method='"Located"'),     # zero-padded M/D/YYYY too
        row(landmark=""),                                                        # no landmark recorded
    ])
    production = ice_aor_arrests.read(path)
    assert production.area == "Lakeshore" and production.header_line == 7
    assert f"{production.period_start:%Y-%m-%d}" == "2017-01-01" and f"{production.period_end:%Y-%m-%d}" == "2017-12-31"
    records = production.records
    assert [f"{d:%Y-%m-%d}" for d in records["arrest_date"]] == [
        "2017-09-24", "2017-10-03", "2017-12-31", "2017-01-02", "2017-09-24"]
    # Date of Birth and Event Number are redacted in every row: never read.
    assert "date_of_birth" not in records and "event_number" not in records
    # A redaction code is a missing value, counted, never a name.
    assert production.redacted["gender"] == 1 and records["gender"].isna().tolist() == [False, False, True, False, False]
    # Blank conviction: no conviction recorded; a redacted one: withheld, not "none".
    assert records["conviction"].notna().tolist() == [False, True, False, False, False]
    assert records["conviction_redacted"].tolist() == [False, False, False, True, False]
    # Landmarks: case, padding and inner spaces normalised as the Center coded them; blank stays missing.
    assert records["landmark"].astype("string").tolist()[:3] == ["NORTH COUNTY JAIL", "NORTH COUNTY JAIL", "NORTH CO. JAIL"]
    assert records["landmark"].isna().tolist() == [False, False, False, False, True]


def test_plain_text_file_of_the_same_shape_reads_too(tmp_path):
    path = tmp_path / "arrests.csv"
    path.write_text("\n".join(TITLE + [row()]) + "\n", encoding="utf-8")
    assert len(ice_aor_arrests.read(path).records) == 1


def test_the_published_file():
    """The file as copied: its checksum is the one SOURCES.md gives, and it reads whole."""
    digest = hashlib.sha256((SOURCE / "arrests.csv.gz").read_bytes()).hexdigest()
    assert digest == "5a68b5a289bd641c9a84eba5ddbdcaeb5063799fee4877307ad5630eaa8b82e4"
    production = ice_aor_arrests.read_source(DATA, "ice-seattle-aor-arrests")
    assert len(production.records) == 32_549 and production.area == "Seattle"
    assert f"{production.records['arrest_date'].min():%Y-%m-%d}" == "2012-01-01"
    assert f"{production.records['arrest_date'].max():%Y-%m-%d}" == "2019-07-05"
    assert f"{production.period_end:%Y-%m-%d}" == "2019-07-06"  # the title's period, one day past the last record
    assert production.records["landmark"].isna().sum() == 390
    coding = ice_aor_arrests.landmark_states(DATA, "ice-seattle-aor-arrests")
    present = set(production.records["landmark"].dropna().astype(str))
    assert present <= set(coding["landmark"])  # every landmark in the file is in the Center's coding
    # "FRANKLIN CO. JAIL" and "FRANKLIN COUNTY JAIL": two spellings, one state, one spelling by the Center
    franklin = coding[coding["landmark"].str.startswith("FRANKLIN CO")]
    assert set(franklin["state"]) == {"WA"} and len(franklin) == 2


def test_the_datapackage_names_origin_production_commit_licence_and_checksums():
    package = json.loads((SOURCE / "datapackage.json").read_text(encoding="utf-8"))
    text = json.dumps(package)
    for needed in ("UW v. DHS - ICE Productions_LESA-STU_FINAL.xlsx", "072224a8d471bb4ac2e67e8f9758ce72877c7bc2",
                   "f7737aa8289d8307634ad65f2a4e3ad3934aca37", "GPL-3.0", "UWCHR/ice-enforce"):
        assert needed in text, needed
    for resource in package["resources"]:
        digest = hashlib.sha256((SOURCE / resource["path"]).read_bytes()).hexdigest()
        assert resource["hash"] == f"sha256:{digest}" and resource["bytes"] == (SOURCE / resource["path"]).stat().st_size
        assert resource["schema"]["fields"]
    coding = next(r for r in package["resources"] if r["name"] == "arrest_locs")
    assert "not ICE's" in coding["title"] and coding["codedBy"]


# --- Bad rows, refused with their line -----------------------------------------------------------------------


@pytest.mark.parametrize("rows, message", [
    ([row(), row() + "|extra"], "line 9: expected 8 fields, found 9"),
    ([row(), row(), "9/25/2017|x|y"], "line 10: expected 8 fields, found 3"),
    ([row(), row(date="2017-09-24")], "line 9, column 'Arrest Date': not a date (M/D/YYYY): '2017-09-24'"),
    ([row(), row(date="13/1/2017")], "line 9, column 'Arrest Date': not a date (M/D/YYYY): '13/1/2017'"),
    ([row(date="1/5/2018")], "line 8, column 'Arrest Date': dated '1/5/2018', outside the period the title row states"),
    ([row(), row(date="")], "line 9, column 'Arrest Date': missing value"),
    ([row(), row(date='"(b)(7)e)"')], "line 9, column 'Arrest Date': redacted"),
    ([row(), row(), row(method="")], "line 10, column 'Arrest Method': missing value"),
    ([row(), row(landmark='"TWO\nLINES"')], "line 9, column 'Apprehension Landmark': a value runs over two lines"),
    ([row(), "", row()], "line 9: a blank line among the records"),
])
def test_bad_rows_are_refused_naming_file_line_and_column(tmp_path, rows, message):
    path = write(tmp_path, rows)
    with pytest.raises(DataError) as caught:
        ice_aor_arrests.read(path)
    assert len(caught.value.problems) == 1
    assert str(caught.value.problems[0]).startswith("arrests.csv.gz, ") or "arrests.csv.gz" in str(caught.value)
    assert message in str(caught.value), str(caught.value)


def test_header_and_title_problems(tmp_path):
    header = synthetic.FOIA_HEADER.replace('|"Arrest Method"', "")
    path = write(tmp_path, [row()], head=TITLE[:-1] + [header])
    with pytest.raises(DataError, match=r"line 7, column 'Arrest Method': missing required column"):
        ice_aor_arrests.read(path)
    path = write(tmp_path, [row()], head=TITLE[:-1])
    with pytest.raises(DataError, match=r"no header row"):
        ice_aor_arrests.read(path)
    untitled = TITLE[:5] + ['"ERO Administrative Arrests"|||||||', synthetic.FOIA_HEADER]
    path = write(tmp_path, [row()], head=untitled)
    with pytest.raises(DataError, match=r"line 6: the title rows do not state the period"):
        ice_aor_arrests.read(path)


def test_unreadable_empty_or_missing_files(tmp_path):
    (tmp_path / "a.csv.gz").write_bytes(b"")
    with pytest.raises(DataError, match=r"a.csv.gz: empty file"):
        ice_aor_arrests.read(tmp_path / "a.csv.gz")
    with pytest.raises(DataError, match=r"nope.csv.gz: missing file"):
        ice_aor_arrests.read(tmp_path / "nope.csv.gz")
    (tmp_path / "b.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=r"b.csv.gz: cannot read the file"):
        ice_aor_arrests.read(tmp_path / "b.csv.gz")
    with gzip.open(tmp_path / "c.csv.gz", "wb") as handle:
        handle.write(("\n".join(TITLE) + "\n").encode() + row(country='"C\xd4TE"').encode("latin-1") + b"\n")
    with pytest.raises(DataError, match=r"c.csv.gz: cannot read the file|c.csv.gz: cannot be read"):
        ice_aor_arrests.read(tmp_path / "c.csv.gz")


def test_a_landmark_coded_twice_is_refused_with_its_line(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SOURCE, data / "raw" / "ice-seattle-aor-arrests")
    path = data / "raw" / "ice-seattle-aor-arrests" / "arrest_locs.csv"
    text = path.read_text(encoding="utf-8").replace("ADAMS CO. JAIL,WA,\n", "ADAMS CO. JAIL,WA,\n adams co.  jail,OR,\n")
    path.write_text(text, encoding="utf-8")
    from safecity import datarecord

    problems = datarecord.record(data, ["ice-seattle-aor-arrests"], echo=lambda _: None)
    assert any("arrest_locs.csv, line 4, column 'apprehension_landmark': landmark coded twice" in str(p)
               for p in problems), problems
