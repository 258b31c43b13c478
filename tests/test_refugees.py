"""Refugee ceilings and admissions: the importers' tolerance of the mess, their strictness otherwise, and the claim."""

from __future__ import annotations

import dataclasses
import json
import shutil
import urllib.parse
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from safecity import refugees
from safecity.errors import DataError
from safecity.sources import mpi_refugees, prm_refugees, refugee_policy

from conftest import DATA, FIXTURES, defaults, refugees_values

MPI = "mpi-refugee-admissions"
PRM = "prm-refugee-admissions"
POLICY = "refugee-policy"
MPI_FILE = "MPI-Data-Hub_Refugee-Admissions_1980-2025Q1.csv"
PRM_FILE = "PRM-Refugee-Admissions-Report-2024.xlsx"
MONTHS = prm_refugees.MONTHS


# --------------------------------------------------------------------------- helpers

def _package(data: Path, source: str) -> Path:
    """Copy a source's datapackage.json into `data` without its checksum (the file will be a fixture)."""
    folder = data / "raw" / source
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = json.loads((DATA / "raw" / source / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        resource.pop("hash", None)
        resource.pop("bytes", None)
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return folder


def mpi_dir(tmp_path, text: bytes | None = None) -> Path:
    """A data dir holding the messy MPI fixture (or `text`) under MPI's real file name."""
    data = tmp_path / "data"
    folder = _package(data, MPI)
    raw = text if text is not None else (FIXTURES / "refugees" / "mpi_messy.csv").read_bytes()
    (folder / MPI_FILE).write_bytes(raw)
    return data


def mpi_text() -> str:
    return (FIXTURES / "refugees" / "mpi_messy.csv").read_bytes().decode("cp1252")


def mpi_with(tmp_path, old: str, new: str) -> Path:
    text = mpi_text()
    assert old in text
    return mpi_dir(tmp_path, text.replace(old, new, 1).encode("cp1252"))


def _months(*values: int) -> list[int]:
    return list(values) + [0] * (12 - len(values))


#: The fixture workbook: per fiscal year, the report date and its regions (ceiling text, countries).
SHEETS = {
    2018: {"ceiling": 45000, "regions": [
        ("Africa", "19,000", [("Somalia", _months(216, 13, 2, 5)), ("Republic of South Sudan", _months(11)),
                              ("Chad", _months(1))]),
        ("East Asia", "5,000", [("Korea, North", _months(0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 2)),
                                ("Burma", _months(150, 200, 308, 139))]),
        ("Near East/South Asia", "17,500", [("Syria", _months(47, 0, 0, 2)), ("Yemen (Sanaa)", _months(0, 1)),
                                            ("Iran", _months(37, 2))]),
        ("Unallocated Reserve", "0", []),
    ]},
    2025: {"ceiling": 125000, "regions": [
        ("Africa", "30,000 - 50,000", [("Sudan", _months(110, 30, 331)), ("Somalia", _months(492, 499, 885))]),
        ("Near East/South Asia", "30,000 - 45,000", [("Syria", _months(1075, 870, 1658))]),
    ]},
}


def build_workbook(path: Path, sheets: dict = SHEETS, as_of: str = "31-December-2024") -> None:
    """Write a small workbook laid out like PRM's, mess included (see safecity/sources/prm_refugees.py)."""
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "Cumulative Summary"
    summary["A2"] = "Department of State\nSummary of Refugee Admissions"
    summary["A3"] = f"as of {as_of}"
    summary["A6"] = "Cumulative Summary of Refugee Admissions"
    for col, name in enumerate(["Fiscal Year", "Africa", "Asia", "Total", "Annual Average"], start=1):
        summary.cell(row=9, column=col, value=name)
    row = 10
    for year, spec in sorted(sheets.items()):
        africa = sum(sum(m) for region, _, countries in spec["regions"] if region == "Africa" for _, m in countries)
        total = sum(sum(m) for _, _, countries in spec["regions"] for _, m in countries)
        for col, value in enumerate([str(year), africa, total - africa, total, "=AVERAGE(Table1[Total])"], start=1):
            summary.cell(row=row, column=col, value=value)
        row += 1
    summary.cell(row=row, column=1, value="Total")
    summary.cell(row=row + 1, column=1, value="  * Includes Amerasian Immigrants")
    summary.cell(row=row + 2, column=1, value="Certain refugees arriving later are counted toward the FY 2018 ceiling.")

    for year, spec in sorted(sheets.items(), reverse=True):
        ws = wb.create_sheet(str(year))
        ws["A2"] = "Department of State\nSummary of Refugee Admissions"
        ws["A3"] = f"as of {as_of}"
        ws["E5"] = "Refugee Admissions by Month"
        ws["C6"], ws["D6"], ws["C7"], ws["D7"] = "Refugee", "FY Total", "Admissions", "Admitted"
        ws["A8"], ws["C8"], ws["D8"] = "Country of Chargeability", "Ceiling", "to the U.S."
        for i, month in enumerate(MONTHS):
            ws.cell(row=8, column=5 + i, value=month)
            ws.cell(row=6, column=5 + i, value="")
        ws["A9"] = f"Fiscal Year {year}"
        row = 10
        grand_months = [0] * 12
        for region, ceiling_text, countries in spec["regions"]:
            ws.cell(row=row, column=1, value=region)
            ws.cell(row=row, column=3, value=ceiling_text)
            for col in range(4, 17):
                ws.cell(row=row, column=col, value="")
            row += 1
            region_months = [0] * 12
            for name, months in countries:
                ws.cell(row=row, column=1, value="")
                ws.cell(row=row, column=2, value=name)
                ws.cell(row=row, column=3, value="")
                ws.cell(row=row, column=4, value=sum(months))
                for i, value in enumerate(months):
                    ws.cell(row=row, column=5 + i, value=value)
                region_months = [a + b for a, b in zip(region_months, months)]
                row += 1
            if not countries:  # the reserve: a blank row and a filler row of zeros, as in the real workbook
                ws.cell(row=row, column=3, value="")
                row += 1
                for i in range(12):
                    ws.cell(row=row, column=5 + i, value=0)
                row += 1
            ws.cell(row=row, column=2, value=f"Total {region}")
            if countries:
                ws.cell(row=row, column=4, value=sum(region_months))
                for i, value in enumerate(region_months):  # empty cells mean zero in the totals
                    ws.cell(row=row, column=5 + i, value=value or None)
            grand_months = [a + b for a, b in zip(grand_months, region_months)]
            row += 1
        ws.cell(row=row, column=2, value="Grand Totals")
        ws.cell(row=row, column=3, value=spec["ceiling"])
        ws.cell(row=row, column=4, value=sum(grand_months))
        for i, value in enumerate(grand_months):
            ws.cell(row=row, column=5 + i, value=value or None)
        ws.cell(row=row + 1, column=1, value="Note: ceilings were based on admission category.")
        ws.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=16)
    wb.save(path)


def prm_dir(tmp_path, mutate=None, sheets: dict = SHEETS) -> Path:
    """A data dir holding the generated workbook; `mutate(wb)` breaks it first."""
    data = tmp_path / "data"
    folder = _package(data, PRM)
    path = folder / PRM_FILE
    build_workbook(path, sheets)
    if mutate:
        wb = openpyxl.load_workbook(path)
        mutate(wb)
        wb.save(path)
    return data


def cell_of(ws, text: str) -> str:
    """Coordinate of the first cell holding `text`."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.coordinate
    raise AssertionError(f"{text!r} not in sheet {ws.title}")


def _problem(excinfo) -> str:
    return str(excinfo.value)


# --------------------------------------------------------------------------- MPI's CSV

def test_mpi_fixture_mess_is_parsed(tmp_path):
    table = mpi_refugees.load(mpi_dir(tmp_path))
    frame = table.frame
    assert frame["fiscal_year"].tolist() == [1979, 1980, 1981, 1982]
    assert pd.isna(frame["ceiling"].iloc[0])  # "-": no ceiling, never zero
    assert frame["ceiling"].iloc[1:].tolist() == [231700, 217000, 140000]  # '"231,700 "'
    assert frame["admissions"].tolist() == [111363, 207116, 159252, 27308]
    assert frame["partial"].tolist() == [False, False, False, True]  # "1982*"
    assert frame["line"].tolist() == [6, 7, 8, 9]  # the title spans three physical lines
    assert "first quarter" in table.partial_note
    assert any("Homeland Security\u2019s" in note for note in table.notes)  # 0x92 read as cp1252


def test_mpi_shipped_table():
    table = mpi_refugees.load(DATA)
    frame = table.frame.set_index("fiscal_year")
    assert len(frame) == 51 and frame.index.min() == 1975 and frame.index.max() == 2025
    assert frame.loc[1986, "ceiling"] == 67000 and frame.loc[2018, "ceiling"] == 45000
    assert frame.loc[2018, "admissions"] == 22655
    assert frame["partial"].sum() == 1 and frame.loc[2025, "partial"]
    assert frame.loc[1975:1979, "ceiling"].isna().all()


def test_mpi_read_with_the_wrong_encoding_names_the_line(tmp_path):
    data = mpi_dir(tmp_path)
    package = data / "raw" / MPI / "datapackage.json"
    descriptor = json.loads(package.read_text(encoding="utf-8"))
    descriptor["resources"][0]["encoding"] = "utf-8"
    package.write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(DataError) as excinfo:
        mpi_refugees.load(data)
    assert f"{MPI_FILE}, line 12: not valid utf-8 text (byte 0x92)" in _problem(excinfo)


@pytest.mark.parametrize("old, new, expected", [
    ('"231,700 "', '"231.700 "',
     "line 7, column 'Annual Ceiling': expected a number such as 1,234 or '-', found '231.700 '"),
    ('"159,252"', '"n/a"', "line 8, column 'Number of Admitted Refugees': expected a number"),
    ("1981,", "1983,", "line 8, column 'Year': year 1983 follows 1980"),
    ("1980,", "FY1980,", "line 7, column 'Year': expected a year such as 2018 or 2025*, found 'FY1980'"),
    ('"207,116",,', '"207,116",12,', "line 7: unexpected value '12' after the third column"),
    ("Year,Annual Ceiling", "Year,Ceiling", "no header row 'Year, Annual Ceiling, Number of Admitted Refugees'"),
    ("* Admissions data", "Admissions data", "line 9: year 1982 is marked '*' but no footnote"),
])
def test_mpi_unexpected_layout_is_an_error_naming_the_line(tmp_path, old, new, expected):
    with pytest.raises(DataError) as excinfo:
        mpi_refugees.load(mpi_with(tmp_path, old, new))
    assert MPI_FILE in _problem(excinfo)
    assert expected in _problem(excinfo)


def test_mpi_row_after_the_footnotes_is_refused(tmp_path):
    text = mpi_text() + '1983,"90,000 ","61,218",,\r\n'
    with pytest.raises(DataError) as excinfo:
        mpi_refugees.load(mpi_dir(tmp_path, text.encode("cp1252")))
    assert f"{MPI_FILE}, line 15: data after the table's footnotes" in _problem(excinfo)


# --------------------------------------------------------------------------- PRM's workbook

def test_prm_fixture_mess_is_parsed(tmp_path):
    book = prm_refugees.load(prm_dir(tmp_path))
    years = book.years.set_index("fiscal_year")
    assert years.loc[2018, "ceiling"] == 45000 and years.loc[2025, "ceiling"] == 125000
    assert years.loc[2018, "total"] == years.loc[2018, "countries_total"] == 236 + 11 + 1 + 5 + 797 + 49 + 1 + 39
    assert not years.loc[2018, "partial"] and years.loc[2025, "partial"]
    assert years.loc[2025, "months_reported"] == 3
    assert years.loc[2018, "notes"] == "Note: ceilings were based on admission category."
    adm = book.admissions
    fy2025 = adm[adm["fiscal_year"] == 2025]
    # Months after the report's date are zeros in the sheet, but not yet reported: missing, not zero.
    assert fy2025[fy2025["month"] >= "2025-01-01"]["admissions"].isna().all()
    assert fy2025[fy2025["month"] < "2025-01-01"]["admissions"].notna().all()
    somalia = adm[(adm["fiscal_year"] == 2018) & (adm["country"] == "Somalia")]
    assert somalia["month"].iloc[0] == pd.Timestamp("2017-10-01")
    assert somalia["month"].iloc[-1] == pd.Timestamp("2018-09-01")
    assert somalia["admissions"].iloc[:4].tolist() == [216, 13, 2, 5]
    assert book.summary.set_index("fiscal_year")["total"].to_dict() == {2018: 1139, 2025: 5950}
    assert any("FY 2018" in note for note in book.notes)


def test_prm_shipped_workbook():
    book = prm_refugees.load(DATA)
    years = book.years.set_index("fiscal_year")
    assert years.index.tolist() == list(range(2001, 2026))
    assert years.loc[2018, "total"] == 22672 and years.loc[2017, "ceiling"] == 110000
    assert (years["total"] == years["countries_total"]).all()
    assert years.loc[2025, "partial"] and years.loc[2025, "months_reported"] == 3
    assert book.summary["fiscal_year"].min() == 1975 and len(book.summary) == 51


def _set(sheet: str, coordinate: str, value):
    def mutate(wb):
        wb[sheet][coordinate] = value
    return mutate


def _somalia_2018(wb) -> int:
    return int(cell_of(wb["2018"], "Somalia")[1:])


@pytest.mark.parametrize("mutate, expected", [
    (lambda wb: wb["2018"].cell(row=_somalia_2018(wb), column=6, value="13"),
     "sheet 2018, cell F11: expected NOV admissions as a whole number, found '13'"),
    (lambda wb: wb["2018"].cell(row=_somalia_2018(wb), column=4, value=999),
     "sheet 2018, cell D11: Somalia: fiscal-year total 999 differs from the sum of its months (236)"),
    (lambda wb: wb["2018"].__setitem__(cell_of(wb["2018"], "Total Africa").replace("B", "D"), 1),
     "sheet 2018, cell D14: 'Total Africa' total 1 differs from the sum of its rows (248)"),
    (_set("2018", "E8", "October"), "sheet 2018, cell E8: expected the month header 'OCT', found 'October'"),
    (_set("2018", "A9", "Fiscal Year 2019"), "sheet 2018, cell A9: expected 'Fiscal Year 2018' (the sheet's name)"),
    (_set("2018", "A3", "as at 31 Dec 2024"), "sheet 2018: no 'as of DD-Month-YYYY' line in column A above row 8"),
    (_set("2025", "H11", 4),
     "sheet 2025, cell D11: Sudan: fiscal-year total 471 differs from the sum of its months (475)"),
    (lambda wb: (wb["2025"].__setitem__("H11", 4), wb["2025"].__setitem__("D11", 475)),
     "sheet 2025, cell H11: Sudan: 4 admissions in JAN, after the report's date (31 Dec 2024)"),
    (_set("2018", "Q12", 7), "sheet 2018, cell Q12: unexpected value 7 right of the SEP column"),
    (lambda wb: wb["2018"].__setitem__(cell_of(wb["2018"], "Grand Totals"), "Totals"),
     "sheet 2018, cell B28: country 'Totals' outside any region"),
    (lambda wb: wb.create_sheet("Notes"), "sheet Notes: unexpected sheet"),
    (lambda wb: wb["Cumulative Summary"].__setitem__("D10", 5), "sheet Cumulative Summary, cell D10: total 5 differs"),
])
def test_prm_unexpected_layout_is_an_error_naming_sheet_and_cell(tmp_path, mutate, expected):
    with pytest.raises(DataError) as excinfo:
        prm_refugees.load(prm_dir(tmp_path, mutate))
    message = _problem(excinfo)
    assert message.count("\n") == 0
    assert PRM_FILE in message and expected in message, message


def test_prm_missing_grand_totals_is_an_error(tmp_path):
    def drop(wb):
        ws = wb["2025"]
        row = int(cell_of(ws, "Grand Totals")[1:])
        ws.delete_rows(row, 2)
    with pytest.raises(DataError, match=r"sheet 2025: no 'Grand Totals' row"):
        prm_refugees.load(prm_dir(tmp_path, drop))


def test_prm_not_a_workbook(tmp_path):
    data = prm_dir(tmp_path)
    (data / "raw" / PRM / PRM_FILE).write_bytes(b"not a zip file")
    with pytest.raises(DataError, match="not a readable xlsx workbook"):
        prm_refugees.load(data)


# --------------------------------------------------------------------------- the listed countries

def _policy(data: Path) -> None:
    shutil.copytree(DATA / "raw" / POLICY, data / "raw" / POLICY)


def test_group_months_maps_spellings_and_keeps_unreported_months_missing(tmp_path):
    data = prm_dir(tmp_path)
    _policy(data)
    book = prm_refugees.load(data)
    groups = refugee_policy.country_groups(data)
    monthly = refugees.group_months(book, groups, refugee_policy.prm_country_names(data, groups))
    p9645 = monthly[monthly["group"] == "Proclamation 9645"].set_index("month")["admissions"]
    # Oct 2017: Somalia 216 + Chad 1 + Syria 47 + Iran 37; "Korea, North" and "Yemen (Sanaa)" count,
    # "Republic of South Sudan" does not (it is not Sudan).
    assert p9645[pd.Timestamp("2017-10-01")] == 216 + 1 + 47 + 37
    assert p9645[pd.Timestamp("2017-11-01")] == 13 + 1 + 2
    assert p9645[pd.Timestamp("2018-01-01")] == 5 + 2 + 2 + 0
    assert p9645[pd.Timestamp("2018-09-01")] == 2
    eo = monthly[monthly["group"] == "March 2017 order"].set_index("month")["admissions"]
    assert eo[pd.Timestamp("2017-10-01")] == 216 + 47 + 37  # no Chad, no South Sudan
    assert eo[pd.Timestamp("2024-10-01")] == 110 + 492 + 1075  # Sudan counts here
    assert pd.isna(eo[pd.Timestamp("2025-01-01")])  # after the report's date
    by_year = refugees.group_years(monthly, book, 2018, None).set_index(["group", "fiscal_year"])
    assert by_year.loc[("Proclamation 9645", 2025), "partial"]


def test_unlisted_spelling_of_a_listed_country_is_refused(tmp_path):
    sheets = {2018: {"ceiling": 45000, "regions": [
        ("Near East/South Asia", "17,500", [("Syrian Arab Republic", _months(5))])]}}
    data = prm_dir(tmp_path, sheets=sheets)
    _policy(data)
    book = prm_refugees.load(data)
    groups = refugee_policy.country_groups(data)
    with pytest.raises(DataError) as excinfo:
        refugees.group_months(book, groups, refugee_policy.prm_country_names(data, groups))
    assert (f"{PRM_FILE}, sheet 2018, cell B11: 'Syrian Arab Republic' looks like Syria but is not in "
            "prm_country_names.csv") in _problem(excinfo)


def test_country_names_must_name_a_listed_country(tmp_path):
    data = tmp_path / "data"
    _policy(data)
    path = data / "raw" / POLICY / "prm_country_names.csv"
    path.write_text(path.read_text(encoding="utf-8") + "Iraq,Iraq,not listed\n", encoding="utf-8")
    groups = refugee_policy.country_groups(data)
    with pytest.raises(DataError, match=r"prm_country_names.csv, line 14, column 'country': 'Iraq' is not a country"):
        refugee_policy.prm_country_names(data, groups)


# --------------------------------------------------------------------------- ceilings and the claim

def _years(ceilings: dict, admissions: dict | None = None) -> pd.DataFrame:
    fys = sorted(ceilings)
    values = [ceilings[y] for y in fys]
    adm = [(admissions or {}).get(y) for y in fys]
    return pd.DataFrame({"fiscal_year": fys, "ceiling_set": pd.array(values, dtype="Int64"),
                         "ceiling_final": pd.array(values, dtype="Int64"), "revised": False,
                         "admissions": pd.array(adm, dtype="Int64"), "partial": False, "suspended_from": None})


def _text(values: dict, overridden=()) -> dict:
    """The page's blocks for `values`, as the notebook renders them."""
    from safecity import record

    return record.render("04_refugees", values, {k: values.get(k, 0) for k in overridden}, overridden)


def test_verdict_true_when_below_every_earlier_ceiling():
    years = _years({1980: 100, 1981: 80, 1982: 90, 1983: 70, 1984: 60, 1985: 75})
    verdict = refugees.lowest_since(years, 1983, 1980)
    assert verdict.is_lowest and verdict.status == refugees.LOWEST
    assert (verdict.minimum, verdict.minimum_years, verdict.n_compared) == (80, (1981,), 3)
    assert verdict.later_lower == ((1984, 60),)


def test_verdict_false_when_an_earlier_ceiling_was_lower():
    years = _years({1980: 100, 1981: 50, 1982: 90, 1983: 70})
    verdict = refugees.lowest_since(years, 1983, 1980)
    assert verdict.status == refugees.NOT_LOWEST and verdict.is_lowest is False
    assert refugees.lowest_values(verdict, years)["margin"] == 20


def test_verdict_tie_and_a_missing_year_gives_no_verdict():
    tie = refugees.lowest_since(_years({1980: 70, 1981: 80, 1982: 90, 1983: 70}), 1983, 1980)
    assert tie.status == refugees.TIED and tie.is_lowest is False
    gap = refugees.lowest_since(_years({1980: 70, 1981: None, 1982: 90, 1983: 60}), 1983, 1980)
    assert gap.missing_years == (1981,) and gap.n_compared == 2  # never counted as zero
    assert gap.status is None and gap.is_lowest is None  # 60 is below every known ceiling, but 1981 is unknown


def test_no_ceiling_for_the_tested_year_gives_no_verdict():
    verdict = refugees.lowest_since(_years({1980: 70, 1981: 60, 1982: None}), 1982, 1980)
    assert verdict.ceiling is None and verdict.status is None and verdict.later_lower == ()


def test_shipped_claim_true_on_both_readings():
    inputs = refugees.load(DATA)
    years = refugees.fiscal_years(inputs.mpi, inputs.facts, inputs.facts_file)
    as_set = refugees.lowest_since(years, 2018, 1980, "ceiling_set")
    year_end = refugees.lowest_since(years, 2018, 1980, "ceiling_final")
    assert (as_set.ceiling, as_set.minimum, as_set.minimum_years) == (45000, 67000, (1986,))
    assert (year_end.minimum, year_end.minimum_years) == (50000, (2017,))  # FY2017 cut to 50,000
    assert as_set.is_lowest and year_end.is_lowest
    assert [y for y, _ in as_set.later_lower] == [2019, 2020, 2021, 2026]
    assert [y for y, _ in year_end.later_lower] == [2019, 2020, 2026]  # FY2021 raised to 62,500
    # Testing a later year gives the other outcome from the same code.
    assert refugees.lowest_since(years, 2022, 1980).is_lowest is False


def test_fiscal_years_carry_revisions_partial_and_gap():
    inputs = refugees.load(DATA)
    years = refugees.fiscal_years(inputs.mpi, inputs.facts, inputs.facts_file).set_index("fiscal_year")
    assert years.loc[2017, ["ceiling_set", "ceiling_final", "revised"]].tolist() == [110000, 50000, True]
    assert years.loc[2021, ["ceiling_set", "ceiling_final", "revised"]].tolist() == [15000, 62500, True]
    assert years.loc[2025, "partial"] and years.loc[2025, "suspended_from"] == "2025-01-27"
    assert years.loc[2026, "ceiling_set"] == 7500 and pd.isna(years.loc[2026, "admissions"])


def test_facts_disagreeing_with_mpi_is_an_error_naming_the_line(tmp_path):
    data = tmp_path / "data"
    for source in (MPI, PRM, POLICY):
        shutil.copytree(DATA / "raw" / source, data / "raw" / source)
    path = data / "raw" / POLICY / "policy_facts.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("2017,ceiling_revised,50000", "2017,ceiling_revised,55000"), encoding="utf-8")
    inputs = refugees.load(data)
    with pytest.raises(DataError) as excinfo:
        refugees.fiscal_years(inputs.mpi, inputs.facts, inputs.facts_file)
    assert ("policy_facts.csv, line 3, column 'value': FY2017: year-end ceiling 55,000 disagrees with 50,000 in "
            in _problem(excinfo)) and "(line 48)" in _problem(excinfo)


def test_an_order_disagreeing_with_the_ceilings_is_an_error_naming_the_line(tmp_path):
    data = tmp_path / "data"
    for source in (MPI, PRM, POLICY):
        shutil.copytree(DATA / "raw" / source, data / "raw" / source)
    path = data / "raw" / POLICY / "refugee_orders.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("PD 2017-13,45000,", "PD 2017-13,40000,"), encoding="utf-8")
    inputs = refugees.load(data)
    with pytest.raises(DataError) as excinfo:
        refugees.analyse(inputs, **{k: v for k, v in defaults("04_refugees").items()
                                    if k not in ("data_dir", "overridden")})
    assert ("refugee_orders.csv, line 5, column 'ceiling': Presidential Determination No. 2017-13: ceiling 40,000 "
            "for FY2018 disagrees with 45,000 in the ceilings table") in _problem(excinfo)


def test_every_order_is_a_refugee_order_with_a_federal_register_link():
    orders = refugee_policy.orders(DATA)
    assert not orders["document"].str.contains("Proclamation").any()  # visas, not refugee admissions
    assert orders["url"].str.startswith("https://www.govinfo.gov/").all()
    assert orders["citation"].str.contains("Federal Register").all()
    assert {"Executive Order 13769", "Executive Order 13780", "Executive Order 14163"} <= set(orders["document"])


def test_revision_without_the_ceiling_it_revises_is_refused(tmp_path):
    data = tmp_path / "data"
    _policy(data)
    path = data / "raw" / POLICY / "policy_facts.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("2021,ceiling_set")), encoding="utf-8")
    with pytest.raises(DataError, match=r"policy_facts.csv, line \d+, column 'fact': FY2021: a revised ceiling needs"):
        refugee_policy.facts(data)


def test_shares_and_years_far_from_the_ceiling():
    inputs = refugees.load(DATA)
    years = refugees.fiscal_years(inputs.mpi, inputs.facts, inputs.facts_file)
    table = refugees.shares(refugees.shown_years(years, 1980, None), 0.5)
    assert 2026 not in set(table["fiscal_year"])  # no admissions: no share, not 0%
    far = refugees.far_below_years(table, 0.5)
    assert far["fiscal_year"].tolist() == [2002, 2003, 2021, 2022, 2023]  # FY2025 is partial: left out
    assert round(float(table.set_index("fiscal_year").loc[2018, "share"]), 4) == 0.5034


def test_reconciliation_finds_the_two_differences():
    inputs = refugees.load(DATA)
    recon = refugees.reconcile(inputs.mpi, inputs.prm)
    table = refugees.differences(recon)
    assert table["fiscal_year"].tolist() == [2017, 2018]
    found = {d["year"]: d for d in refugees.difference_values(recon, inputs.facts, inputs.prm.notes)}
    assert (found[2017]["mpi_ceiling"], found[2017]["prm_ceiling"], found[2017]["prm_gives_first_set"]) == \
        (50000, 110000, True)
    assert (found[2018]["mpi_admissions"], found[2018]["prm_summary"], found[2018]["admissions_difference"]) == \
        (22655, 22672, 17)
    assert "Doe" in found[2018]["notes"][0] and found[2018]["other_figures"][0]["value"] == 22491
    text = _text(refugees_values(DATA))
    assert "FY2018, MPI 22,655 and the workbook 22,672 (+17)" in text["reconcile"]
    assert "22,491" in text["differences"] and "ceiling as first set (110,000)" in text["differences"]


def test_results_are_plain_headline_values():
    values = refugees_values(DATA)
    assert values["tested_ceiling"] == 45000 and values["article_ceiling_matches"] is True
    assert (values["min_ceiling"], values["min_ceiling_years"]) == (67000, [1986])
    assert values["lowest_status"] == "lowest" and values["is_lowest"] is True and values["on_claim_terms"]
    assert values["later_lower_years"] == [2019, 2020, 2021, 2026]
    assert values["article"]["quote"] == "capped at 45,000, the lowest number since 1980"
    assert values["admissions_as_of"] == "2024-12-31"
    groups = {g["name"]: g for g in values["groups"]}
    assert {r["year"]: r["admissions"] for r in groups["Proclamation 9645"]["by_year"]}[2018] == 496
    assert groups["March 2017 order"]["first"] == {"year": 2016, "admissions": 26842}
    assert [e["document"] for e in values["events"]] == ["Executive Order 13769", "Executive Order 13780",
                                                         "Presidential Determination No. 2017-13",
                                                         "Executive Order 13815"]
    json.dumps(values)  # plain values only


def test_the_page_quotes_the_article_and_dates_now_by_the_data():
    text = _text(refugees_values(DATA))
    assert text["verdict"].startswith("**45,000:** {safecity-rating}`refugee-cap` **The lowest since 1980:** "
                                      "{safecity-rating}`refugee-lowest` The article says")
    assert '"capped at 45,000, the lowest number since 1980"' in text["verdict"]
    assert text["verdict"].endswith("4 later ceilings in the data went lower, FY2019 (30,000), FY2020 (18,000), "
                                    "FY2021 (15,000, raised to 62,500 during the year) and FY2026 (7,500).")
    assert "as of 31 December 2024" in text["as_of"] and "FY2025 is a partial year: 27,308" in text["as_of"]
    assert "yet" not in text["as_of"].replace("no figures yet", "")
    assert text["later_lower_detail"] == ("FY2019 (30,000), FY2020 (18,000), FY2021 (15,000, raised to 62,500 during "
                                          "the year) and FY2026 (7,500)")


def test_other_parameters_give_no_verdict():
    values = refugees_values(DATA, tested_year=2022)
    assert values["on_claim_terms"] is False and values["lowest_status"] == "not lowest"
    for overridden in ((), ("tested_year",)):
        text = _text(values, overridden)
        shown = " ".join(text.values())
        assert "**" not in text["verdict"].split(":::")[-1] and "when it was written" not in shown
        assert "FY2022's ceiling of 125,000 was not the lowest since FY1980" in text["verdict"]


def test_figures_show_gaps_not_zeros():
    inputs = refugees.load(DATA)
    values = refugees_values(DATA)
    years = refugees.fiscal_years(inputs.mpi, inputs.facts, inputs.facts_file)
    shown = refugees.shown_years(years, 1980, None)
    figure = refugees.ceiling_chart(shown, values["reference_ceiling"], _text(values))
    assert figure.title == "FY2018's 45,000 was the lowest ceiling since FY1980"
    assert "FY2021 (15,000, raised to 62,500 during the year)" in figure.subtitle
    assert "No admissions data for FY2026: a gap, not zero." in figure.alt_text
    assert "FY2017 (110,000 first set, 50,000 at year end)" in figure.alt_text
    csv = urllib.parse.unquote(figure._repr_html_().split("data:text/csv;charset=utf-8,")[1].split('"')[0])
    assert "\n2026,7500,7500,,False," in csv
    spec = json.dumps(figure.spec, allow_nan=False)  # a missing value is null in the chart, never NaN or 0
    assert '"admissions": null' in spec
    assert '"y": 45000' in spec  # the reference line, at the article's figure from the data
    # ... labelled on the chart with its figure, and named in full in its legend, both from the record
    [reference] = [r for rows in figure.spec["datasets"].values() for r in rows if "short" in r]
    assert reference == {"y": 45000, "short": "45,000", "what": "The article's 45,000, FY2018's ceiling"}
    marks = [layer for layer in figure.spec["layer"] if layer.get("encoding", {}).get("text", {}).get("field") == "short"]
    assert marks and all(m["mark"]["type"] == "text" for m in marks)


# --------------------------------------------------------------------------- a new fiscal year needs no code change

def _copy_data(tmp_path) -> Path:
    data = tmp_path / "data"
    for source in (MPI, PRM, POLICY):
        shutil.copytree(DATA / "raw" / source, data / "raw" / source)
    return data


def test_new_fiscal_year_flows_through(tmp_path):
    data = _copy_data(tmp_path)
    facts = data / "raw" / POLICY / "policy_facts.csv"
    facts.write_text(facts.read_text(encoding="utf-8")
                     + '2027,ceiling_set,5000,2026-09-30,"FY2027 refugee ceiling","a test determination"\n',
                     encoding="utf-8")
    values = refugees_values(data)
    assert values["chart"]["last_year"] == 2027 and values["latest_ceiling"] == 5000
    assert values["later_lower_years"] == [2019, 2020, 2021, 2026, 2027]
    assert values["chart"]["no_admissions_years"] == [2026, 2027]
    text = _text(values)
    assert "FY2026 (7,500) and FY2027 (5,000)" in text["later_lower_detail"]
    assert "The lowest is 5,000, for FY2027." in text["later_finding"]

    # MPI's next edition adds FY2026 with its admissions: the gap closes, the verdict is recomputed.
    mpi = data / "raw" / MPI / MPI_FILE
    text = mpi.read_bytes().decode("cp1252")
    text = text.replace('2025*,"125,000 ","27,308",,\r\n', '2025*,"125,000 ","27,308",,\r\n2026,"7,500 ","1,234",,\r\n')
    mpi.write_bytes(text.encode("cp1252"))
    values = refugees_values(data)
    assert values["chart"]["no_admissions_years"] == [2027]
    assert refugees_values(data, tested_year=2026)["lowest_status"] == "lowest"
    assert refugees_values(data, tested_year=2026)["later_lower_years"] == [2027]


def test_listed_country_chart_titles_follow_the_admissions():
    """The titles say "fell" only when the numbers they quote fell; otherwise they say what the numbers show."""
    inputs = refugees.load(DATA)
    p = {k: v for k, v in defaults("04_refugees").items() if k not in ("data_dir", "overridden")}
    analysis = refugees.analyse(inputs, **p)
    text = _text(refugees.results(inputs, analysis))
    assert text["refugees_listed_countries_by_year_title"] == (
        "Proclamation 9645 countries: refugees fell from 25,400 to 496")
    assert "Proclamation 9645 countries, 25,400 in FY2016 and 496 in FY2018." in text[
        "refugees_listed_countries_by_year_subtitle"]
    assert text["refugees_listed_countries_by_month_title"] == "Monthly arrivals from the Proclamation 9645 countries fell"
    assert text["refugees_listed_countries_by_month_subtitle"].startswith(
        "From 3,066 in Oct 2016 to at most 301 a month in FY2018")
    by_year, monthly = analysis.by_year, analysis.monthly
    first = by_year["fiscal_year"] == by_year["fiscal_year"].min()
    lowest_first = by_year.assign(admissions=by_year["admissions"].where(first, by_year["admissions"] + 30000))
    last_year = monthly["fiscal_year"] != p["months_last_year"]
    busier = monthly.assign(admissions=monthly["admissions"].where(last_year, 5000))
    changed = dataclasses.replace(analysis, by_year=lowest_first, monthly=busier)
    text = _text(refugees.results(inputs, changed))
    assert text["refugees_listed_countries_by_year_title"] == (
        "Proclamation 9645 countries: refugees did not fall below 25,400 (FY2016)")
    assert "the fewest from the Proclamation 9645 countries in a full year were 25,400, in FY2016." in text[
        "refugees_listed_countries_by_year_subtitle"]
    assert text["refugees_listed_countries_by_month_title"] == (
        "Monthly arrivals from the Proclamation 9645 countries did not fall")
    assert text["refugees_listed_countries_by_month_subtitle"].startswith(
        "From 3,066 in Oct 2016 to as many as 5,000 a month in FY2018")
