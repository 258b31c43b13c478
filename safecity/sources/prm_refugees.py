"""Importer for `data/raw/prm-refugee-admissions/`: the State Department's Refugee Admissions Report workbook.

The workbook (Bureau of Population, Refugees, and Migration, Refugee Processing Center) has a
"Cumulative Summary" sheet (admissions by region and fiscal year since 1975) and one sheet per
fiscal year, named by the year, laid out for print:

- title rows, an "as of" date in column A, then a header row starting "Country of Chargeability"
  with the months OCT..SEP in columns E..P and a "Fiscal Year YYYY" row;
- a region header row (region in column A, its ceiling as text in C, sometimes a range such as
  "30,000 - 50,000"), the region's countries (name in B, fiscal-year total in D, months in E..P),
  then a "Total <region>" row whose empty cells mean zero;
- "Grand Totals" (ceiling in C, total in D), then blank rows and notes;
- months after the "as of" date are filled with 0 although nothing has been reported yet.

The importer tolerates exactly that. It checks every country row's months against its total,
every region total against its countries and the grand total against the regions, and reads
months after the "as of" date as not yet reported (missing, never zero). Anything else is a
:class:`DataError` naming the sheet and the cell.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import cache
from ..errors import DataError, Problem
from ..packages import display_path
from ..validate import checked_resource

SOURCE = "prm-refugee-admissions"
RESOURCE = "refugee_admissions_report"
SUMMARY_SHEET = "Cumulative Summary"
MONTHS = ("OCT", "NOV", "DEC", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP")
#: Columns of a fiscal-year sheet (1-based): country name, ceiling, fiscal-year total, first month.
COL_REGION, COL_NAME, COL_CEILING, COL_TOTAL, COL_FIRST_MONTH = 1, 2, 3, 4, 5
COL_LAST_MONTH = COL_FIRST_MONTH + len(MONTHS) - 1
_AS_OF = re.compile(r"^as of (\d{1,2})-([A-Za-z]+)-(\d{4})$")
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class PrmWorkbook:
    """The workbook as tidy frames."""

    #: one row per country and month: fiscal_year, region, country, month (first day),
    #: admissions (NA: month after the "as of" date), sheet, row
    admissions: pd.DataFrame
    #: one row per fiscal-year sheet: fiscal_year, ceiling, total, countries_total, as_of, partial,
    #: months_reported, notes
    years: pd.DataFrame
    #: the Cumulative Summary sheet: fiscal_year, total
    summary: pd.DataFrame
    #: the notes under the Cumulative Summary table, in order
    summary_notes: tuple[str, ...]
    file: str

    @property
    def notes(self) -> list[str]:
        """Every note in the workbook: the summary's, then each year sheet's."""
        return list(self.summary_notes) + [n for n in self.years["notes"] if n]


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def month_start(fiscal_year: int, index: int) -> dt.date:
    """First day of month `index` (0 = October) of a fiscal year (FY2018 runs Oct 2017 to Sep 2018)."""
    month = (10 + index - 1) % 12 + 1
    return dt.date(fiscal_year - 1 if month >= 10 else fiscal_year, month, 1)


class _Sheet:
    """Cell access that names the file, sheet and cell in every error."""

    def __init__(self, ws, shown: str):
        self.title = ws.title
        self.shown = shown
        self.grid = [list(values) for values in ws.iter_rows(values_only=True)]
        self.max_row = len(self.grid)
        self.max_column = max((len(values) for values in self.grid), default=0)

    def value(self, row: int, col: int):
        if row > self.max_row or col > len(self.grid[row - 1]):
            return None
        return self.grid[row - 1][col - 1]

    def text(self, row: int, col: int) -> str:
        value = self.value(row, col)
        return value.strip() if isinstance(value, str) else ("" if value is None else str(value))

    def where(self, row: int | None = None, col: int | None = None) -> str:
        from openpyxl.utils import get_column_letter

        place = f"{self.shown}, sheet {self.title}"
        if row is not None and col is not None:
            place += f", cell {get_column_letter(col)}{row}"
        elif row is not None:
            place += f", row {row}"
        return place

    def fail(self, reason: str, row: int | None = None, col: int | None = None):
        raise DataError(Problem(self.where(row, col), reason))

    def count(self, row: int, col: int, what: str, blank_is_zero: bool = False) -> int:
        value = self.value(row, col)
        if blank_is_zero and _blank(value):
            return 0
        if not _is_count(value):
            self.fail(f"expected {what} as a whole number, found {value!r}", row, col)
        return value


def _find_row(sheet: _Sheet, col: int, wanted: str, last: int = 30) -> int:
    for row in range(1, min(last, sheet.max_row) + 1):
        if sheet.text(row, col) == wanted:
            return row
    sheet.fail(f"no '{wanted}' header in column {'ABCDEFGHIJ'[col - 1]}, rows 1-{last}")


def _as_of(sheet: _Sheet, before: int) -> dt.date:
    for row in range(1, before):
        match = _AS_OF.match(sheet.text(row, COL_REGION))
        if match:
            text = f"{match.group(1)}-{match.group(2)}-{match.group(3)}"
            try:
                return dt.datetime.strptime(text, "%d-%B-%Y").date()
            except ValueError:
                sheet.fail(f"'as of' date {text!r} is not a date such as 31-December-2024", row, COL_REGION)
    sheet.fail(f"no 'as of DD-Month-YYYY' line in column A above row {before}")


def _year_sheet(sheet: _Sheet) -> tuple[list[dict], dict]:
    """Parse one fiscal-year sheet into country-month rows and the sheet's totals."""
    fiscal_year = int(sheet.title)
    header = _find_row(sheet, COL_REGION, "Country of Chargeability")
    if sheet.text(header, COL_CEILING) != "Ceiling":
        sheet.fail(f"expected the header 'Ceiling', found {sheet.value(header, COL_CEILING)!r}", header, COL_CEILING)
    for index, name in enumerate(MONTHS):
        col = COL_FIRST_MONTH + index
        if sheet.text(header, col).upper() != name:
            sheet.fail(f"expected the month header {name!r}, found {sheet.value(header, col)!r}", header, col)
    if not _blank(sheet.value(header, COL_LAST_MONTH + 1)):
        sheet.fail(f"unexpected header {sheet.value(header, COL_LAST_MONTH + 1)!r} after SEP", header,
                   COL_LAST_MONTH + 1)
    if sheet.text(header + 1, COL_REGION) != f"Fiscal Year {fiscal_year}":
        sheet.fail(f"expected 'Fiscal Year {fiscal_year}' (the sheet's name), found "
                   f"{sheet.value(header + 1, COL_REGION)!r}", header + 1, COL_REGION)
    as_of = _as_of(sheet, header)
    reported = [month_start(fiscal_year, i) <= as_of for i in range(len(MONTHS))]

    rows: list[dict] = []
    region: str | None = None
    region_rows: list[tuple[int, int, list[int]]] = []  # (row, total, months) of the open region's countries
    regions: list[tuple[int, list[int]]] = []  # (total, months) of each closed region
    grand: dict | None = None
    notes: list[str] = []

    def months_of(row: int, blank_is_zero: bool) -> list[int]:
        return [sheet.count(row, COL_FIRST_MONTH + i, f"{MONTHS[i]} admissions", blank_is_zero)
                for i in range(len(MONTHS))]

    def check_sum(row: int, total: int, months: list[int], parts_total: int, parts_months: list[int], what: str):
        if total != parts_total:
            sheet.fail(f"{what} total {total:,} differs from the sum of its rows ({parts_total:,})", row, COL_TOTAL)
        for i, (value, expected) in enumerate(zip(months, parts_months)):
            if value != expected:
                sheet.fail(f"{what} {MONTHS[i]} total {value:,} differs from the sum of its rows ({expected:,})",
                           row, COL_FIRST_MONTH + i)

    for row in range(header + 2, sheet.max_row + 1):
        a, b = sheet.value(row, COL_REGION), sheet.value(row, COL_NAME)
        numbers = [sheet.value(row, c) for c in range(COL_TOTAL, COL_LAST_MONTH + 1)]
        beyond = [c for c in range(COL_LAST_MONTH + 1, sheet.max_column + 1) if not _blank(sheet.value(row, c))]
        if beyond:
            sheet.fail(f"unexpected value {sheet.value(row, beyond[0])!r} right of the SEP column", row, beyond[0])
        if grand is not None:
            if all(_blank(v) for v in [b, sheet.value(row, COL_CEILING)] + numbers):
                if not _blank(a):
                    notes.append(sheet.text(row, COL_REGION))
                continue
            sheet.fail("unexpected values after the 'Grand Totals' row", row, COL_NAME)
        name = sheet.text(row, COL_NAME)
        if not _blank(a):
            if region is not None:
                sheet.fail(f"region '{region}' has no 'Total {region}' row before the next region", row, COL_REGION)
            if not _blank(b) or not all(_blank(v) for v in numbers):
                sheet.fail(f"region header row '{sheet.text(row, COL_REGION)}' holds values", row, COL_NAME)
            region, region_rows = sheet.text(row, COL_REGION), []
        elif name == "Grand Totals":
            if region is not None:
                sheet.fail(f"region '{region}' has no 'Total {region}' row before 'Grand Totals'", row, COL_NAME)
            if not regions:
                sheet.fail("'Grand Totals' before any region", row, COL_NAME)
            ceiling = sheet.count(row, COL_CEILING, "the fiscal year's ceiling")
            total = sheet.count(row, COL_TOTAL, "the fiscal year's total")
            months = months_of(row, blank_is_zero=True)
            check_sum(row, total, months, sum(t for t, _ in regions),
                      [sum(m[i] for _, m in regions) for i in range(len(MONTHS))], "grand")
            grand = {"ceiling": ceiling, "total": total, "row": row}
        elif name.startswith("Total "):
            if region is None or name != f"Total {region}":
                expected = f"'Total {region}'" if region else "a region header first"
                sheet.fail(f"unexpected subtotal '{name}' (expected {expected})", row, COL_NAME)
            total = sheet.count(row, COL_TOTAL, f"the {region} total", blank_is_zero=True)
            months = months_of(row, blank_is_zero=True)
            check_sum(row, total, months, sum(t for _, t, _ in region_rows),
                      [sum(m[i] for _, _, m in region_rows) for i in range(len(MONTHS))], f"'{name}'")
            regions.append((total, months))
            region = None
        elif name:
            if region is None:
                sheet.fail(f"country '{name}' outside any region", row, COL_NAME)
            total = sheet.count(row, COL_TOTAL, f"{name}'s fiscal-year total")
            months = months_of(row, blank_is_zero=False)
            if sum(months) != total:
                sheet.fail(f"{name}: fiscal-year total {total:,} differs from the sum of its months "
                           f"({sum(months):,})", row, COL_TOTAL)
            for i, value in enumerate(months):
                if not reported[i] and value != 0:
                    sheet.fail(f"{name}: {value:,} admissions in {MONTHS[i]}, after the report's date "
                               f"({as_of:%d %b %Y})", row, COL_FIRST_MONTH + i)
            region_rows.append((row, total, months))
            for i, value in enumerate(months):
                rows.append({"fiscal_year": fiscal_year, "region": region, "country": name,
                             "month": pd.Timestamp(month_start(fiscal_year, i)),
                             "admissions": value if reported[i] else None, "sheet": sheet.title, "row": row})
        else:
            # A row with no name: tolerated when it carries nothing (the reserve's filler row of zeros).
            found = [(c, sheet.value(row, c)) for c in range(COL_TOTAL, COL_LAST_MONTH + 1)
                     if not _blank(sheet.value(row, c)) and sheet.value(row, c) != 0]
            if found:
                sheet.fail(f"value {found[0][1]!r} in a row with no country or region name", row, found[0][0])
    if grand is None:
        sheet.fail("no 'Grand Totals' row")
    if region is not None:
        sheet.fail(f"region '{region}' has no 'Total {region}' row")
    year = {"fiscal_year": fiscal_year, "ceiling": grand["ceiling"], "total": grand["total"],
            "as_of": pd.Timestamp(as_of), "partial": as_of < dt.date(fiscal_year, 9, 30),
            "months_reported": sum(reported), "notes": " ".join(notes)}
    return rows, year


def _summary_sheet(sheet: _Sheet) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The Cumulative Summary: total admissions per fiscal year (regions must add up to the total), and its notes."""
    header = _find_row(sheet, COL_REGION, "Fiscal Year")
    total_col = next((c for c in range(2, sheet.max_column + 1) if sheet.text(header, c) == "Total"), None)
    if total_col is None:
        sheet.fail("no 'Total' column in the header row", header, COL_REGION)
    records = []
    for row in range(header + 1, sheet.max_row + 1):
        label = sheet.text(row, COL_REGION)
        if label == "Total":
            total_row = row
            break
        if not _YEAR.match(label):
            sheet.fail(f"expected a fiscal year or 'Total', found {sheet.value(row, COL_REGION)!r}", row, COL_REGION)
        parts = [sheet.count(row, c, f"{sheet.text(header, c)} admissions") for c in range(2, total_col)]
        total = sheet.count(row, total_col, "the year's total")
        if sum(parts) != total:
            sheet.fail(f"total {total:,} differs from the sum of the regions ({sum(parts):,})", row, total_col)
        if records and int(label) <= records[-1]["fiscal_year"]:
            sheet.fail(f"year {label} follows {records[-1]['fiscal_year']}: years must increase", row, COL_REGION)
        records.append({"fiscal_year": int(label), "total": total})
    else:
        sheet.fail("no 'Total' row closing the table")
    if not records:
        sheet.fail("no fiscal years in the table", header + 1, COL_REGION)
    notes = []
    for row in range(total_row + 1, sheet.max_row + 1):
        values = [sheet.value(row, c) for c in range(COL_REGION + 1, sheet.max_column + 1)]
        if not all(_blank(v) for v in values):
            sheet.fail("unexpected values under the 'Total' row", row, COL_REGION + 1)
        if sheet.text(row, COL_REGION):
            notes.append(sheet.text(row, COL_REGION))
    return pd.DataFrame.from_records(records, columns=["fiscal_year", "total"]), tuple(notes)


@cache.tidy(SOURCE)
def load(data_dir: Path) -> PrmWorkbook:
    """Read every sheet of the workbook in `data_dir`."""
    import openpyxl

    folder, descriptor = checked_resource(data_dir, SOURCE, RESOURCE)
    path = folder / descriptor["path"]
    shown = display_path(path)
    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
        try:
            sheets = [_Sheet(ws, shown) for ws in wb.worksheets]
        finally:
            wb.close()
    except Exception as exc:  # zipfile, XML and openpyxl errors alike: the file is not a usable workbook
        raise DataError(Problem(shown, f"not a readable xlsx workbook ({type(exc).__name__}: {exc})"))
    by_title = {sheet.title: sheet for sheet in sheets}
    if SUMMARY_SHEET not in by_title:
        raise DataError(Problem(shown, f"no sheet named '{SUMMARY_SHEET}'"))
    rows: list[dict] = []
    years: list[dict] = []
    for sheet in sheets:
        if sheet.title == SUMMARY_SHEET:
            continue
        if not _YEAR.match(sheet.title):
            raise DataError(Problem(f"{shown}, sheet {sheet.title}",
                                    f"unexpected sheet (expected '{SUMMARY_SHEET}' or a fiscal year such as 2018)"))
        sheet_rows, year = _year_sheet(sheet)
        rows.extend(sheet_rows)
        years.append(year)
    if not years:
        raise DataError(Problem(shown, "no fiscal-year sheets"))
    admissions = pd.DataFrame.from_records(rows, columns=["fiscal_year", "region", "country", "month", "admissions",
                                                          "sheet", "row"])
    admissions["admissions"] = admissions["admissions"].astype("Int64")
    admissions = admissions.sort_values(["fiscal_year", "row", "month"], kind="stable").reset_index(drop=True)
    year_frame = pd.DataFrame.from_records(years).sort_values("fiscal_year").reset_index(drop=True)
    countries = admissions.groupby("fiscal_year")["admissions"].sum()
    year_frame["countries_total"] = year_frame["fiscal_year"].map(countries).astype("int64")
    summary, summary_notes = _summary_sheet(by_title[SUMMARY_SHEET])
    return PrmWorkbook(admissions=admissions, years=year_frame[["fiscal_year", "ceiling", "total", "countries_total",
                                                                "as_of", "partial", "months_reported", "notes"]],
                       summary=summary, summary_notes=summary_notes, file=shown)
