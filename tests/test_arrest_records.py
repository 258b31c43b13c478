"""Record-level arrests: read, validate, aggregate into the per-area table, and flow into the chapter."""

from __future__ import annotations

import shutil

import pytest

from safecity import arrests, pipeline, record, synthetic
from safecity.errors import DataError
from safecity.sources import ice_arrest_records, ice_release

from conftest import DATA, ROOT, arrests_values

OP = "Operation Safe City"


def _safe_city_counts(data=DATA):
    table = ice_release.arrests_by_area(data, OP)
    return dict(zip(table["area"].astype(str), table["arrests"].astype(int)))


@pytest.fixture
def data(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA / "raw" / "ice-safe-city", target / "raw" / "ice-safe-city")
    (target / "raw" / "ice-arrest-records").mkdir(parents=True)
    return target


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_records_aggregate_to_the_same_table(data, suffix):
    frame = synthetic.records(_safe_city_counts(), "2017-09-24", "2017-09-27", outside=40)
    path = data / "raw" / "ice-arrest-records" / f"arrests{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path, index=False)
    from_records = arrests_values(data, operation=OP, records=f"raw/ice-arrest-records/arrests{suffix}")
    from_table = arrests_values(data, operation=OP)
    assert from_records["ice_total"] == 498  # the 40 arrests after the operation are left out
    for key in ("ice_total", "article_total", "article_excess", "n_agree", "differing", "n_differ"):
        assert from_records[key] == from_table[key], key


def test_summary_counts_countries_and_criminality():
    frame = synthetic.records({"A": 3}, "2017-09-24", "2017-09-24")
    frame["citizenship_country"] = ["X", "Y", "X"]
    frame["criminality"] = ["1 Convicted Criminal", "Convicted Criminal", "3 Other Immigration Violator"]
    summary = ice_arrest_records.summary(_read(frame), "2017-09-24", "2017-09-24")
    assert summary["countries"] == 2
    assert summary["Convicted Criminal"] == 2 and summary["Pending Criminal Charges"] == 0


def _read(frame, tmp_path=None):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "r.csv"
    frame.to_csv(path, index=False)
    return ice_arrest_records.read(path)


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.drop(columns="area_of_responsibility"), "column 'area_of_responsibility': missing required column"),
    (lambda f: f.assign(apprehension_date=["2017-09-24", "24/09/2017", "2017-09-25"]),
     "line 3, column 'apprehension_date': not a date (YYYY-MM-DD): '24/09/2017'"),
    (lambda f: f.assign(criminality=["1 Convicted Criminal", "Tourist", "1 Convicted Criminal"]),
     "line 3, column 'criminality': unknown class"),
    (lambda f: f.assign(area_of_responsibility=["A", None, "A"]),
     "line 3, column 'area_of_responsibility': missing value"),
])
def test_bad_records_are_named_by_line_and_column(tmp_path, edit, message):
    frame = edit(synthetic.records({"A": 3}, "2017-09-24", "2017-09-25"))
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ice_arrest_records.read(path)


def test_empty_or_missing_records_file(tmp_path):
    (tmp_path / "r.csv").write_bytes(b"")
    with pytest.raises(DataError, match="r.csv: empty file"):
        ice_arrest_records.read(tmp_path / "r.csv")
    with pytest.raises(DataError, match="nope.csv: missing file"):
        ice_arrest_records.read(tmp_path / "nope.csv")


def test_no_records_in_the_operation_window(data):
    frame = synthetic.records({"Denver": 5}, "2018-01-01", "2018-01-02")
    frame.to_csv(data / "raw" / "ice-arrest-records" / "a.csv", index=False)
    with pytest.raises(DataError, match="no arrests between 2017-09-24 and 2017-09-27"):
        ice_release.arrests_from_records(data, OP, "raw/ice-arrest-records/a.csv")


def test_new_data_run_changes_the_published_numbers(tmp_path, data):
    """A corrected record-level file, run through the real chapter notebook in a copy of the project."""
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "book").mkdir()
    shutil.copy(ROOT / "_toc.yml", project / "_toc.yml")
    shutil.copy(ROOT / "notebooks" / "01_arrests_by_area.ipynb", project / "notebooks")
    counts = _safe_city_counts() | {"Denver": 70}
    synthetic.records(counts, "2017-09-24", "2017-09-27").to_csv(
        data / "raw" / "ice-arrest-records" / "arrests.csv", index=False)
    params = tmp_path / "params.yml"
    params.write_text('01_arrests_by_area:\n  records: "raw/ice-arrest-records/arrests.csv"\n', encoding="utf-8")
    pipeline.run(data, root=project, params_file=params, echo=lambda _: None)
    # Another data folder runs in its own work folder: the project's book/ is left as committed.
    assert not (project / "book" / "01_arrests_by_area.ipynb").exists()
    values = record.read("01_arrests_by_area", pipeline.work_root(project, data) / "book" / "results")["values"]
    assert values["ice_total"] == 505 and values["article_total"] == 564 and values["n_agree"] == 8
    committed = record.read("01_arrests_by_area", ROOT / "book" / "results")["values"]
    assert committed["ice_total"] == 498 and committed["n_agree"] == 9
