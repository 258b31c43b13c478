"""Importer for `data/raw/state-dept-annual-visas/`: non-immigrant visas by nationality and class, per fiscal year.

The annual "NIV Detail Table" has one row per nationality and one column per visa class,
then three total columns: "Total Visas" (the sum of every class column, border crossing card
visas "B-1,2/BCC" included), "BCC" (border crossing cards counted apart from the classes) and
"Grand Total" (= Total Visas + BCC). The importer checks both sums row by row, maps the names
to canonical ones (an unknown name is an error naming file and line) and returns the class
counts in tidy form with the totals kept apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import DataError, Problem
from ..packages import display_path, load_descriptor
from ..validate import read_table
from . import nationalities

SOURCE = "state-dept-annual-visas"
TOTAL_COLUMNS = ("Total Visas", "BCC", "Grand Total")
ID_COLUMNS = ("fiscal_year", "country")


@dataclass(frozen=True)
class AnnualVisas:
    """issuances: fiscal_year, nationality, visa_class, issuances (class columns, zeros dropped).
    totals: fiscal_year, nationality, total_visas, bcc, grand_total (one row per table row)."""

    issuances: pd.DataFrame
    totals: pd.DataFrame

    @property
    def fiscal_years(self) -> list[int]:
        return sorted(int(y) for y in self.totals["fiscal_year"].unique())


def _one(data_dir: Path, resource: dict, crosswalk: nationalities.Crosswalk) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = read_table(data_dir, SOURCE, resource["name"])
    shown = display_path(Path(data_dir, "raw", SOURCE, resource["path"]))
    missing = [c for c in ID_COLUMNS + TOTAL_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(Problem(shown, "missing required column", column=missing[0]))
    classes = [c for c in table.columns if c not in ID_COLUMNS + TOTAL_COLUMNS]
    lines = pd.Series(table.index + 2, index=table.index)  # the header is line 1
    problems = []
    summed = table[classes].sum(axis=1)
    for i in table.index[summed != table["Total Visas"]][:10]:
        problems.append(Problem(shown, f"'Total Visas' is {table.at[i, 'Total Visas']:,} but the class columns add "
                                       f"up to {summed[i]:,}", line=int(lines[i]), column="Total Visas"))
    grand = table["Total Visas"] + table["BCC"]
    for i in table.index[grand != table["Grand Total"]][:10]:
        problems.append(Problem(shown, f"'Grand Total' is {table.at[i, 'Grand Total']:,} but 'Total Visas' + 'BCC' is "
                                       f"{grand[i]:,}", line=int(lines[i]), column="Grand Total"))
    if problems:
        raise DataError(problems)
    names = crosswalk.canonical(table["country"], file=shown, lines=lines, what="country name")
    key = pd.DataFrame({"fy": table["fiscal_year"], "name": names})
    repeated = key.duplicated()
    if repeated.any():
        i = repeated.idxmax()
        first = key.index[(key["fy"] == key.at[i, "fy"]) & (key["name"] == key.at[i, "name"])][0]
        raise DataError(Problem(shown, f"'{names[i]}' appears twice in FY{key.at[i, 'fy']} (lines {lines[first]} and "
                                       f"{lines[i]}, after merging spellings)", line=int(lines[i])))
    totals = pd.DataFrame({"fiscal_year": table["fiscal_year"].astype("int64"), "nationality": names,
                           "total_visas": table["Total Visas"].astype("int64"), "bcc": table["BCC"].astype("int64"),
                           "grand_total": table["Grand Total"].astype("int64")})
    wide = table[classes].astype("int64")
    wide.insert(0, "nationality", names)
    wide.insert(0, "fiscal_year", table["fiscal_year"].astype("int64"))
    long = wide.melt(id_vars=["fiscal_year", "nationality"], var_name="visa_class", value_name="issuances")
    long = long[long["issuances"] > 0].astype({"visa_class": "str"}).reset_index(drop=True)
    return long, totals


def read(data_dir: Path) -> AnnualVisas:
    """Every fiscal-year table in the source folder, validated and tidy."""
    data_dir = Path(data_dir)
    crosswalk = nationalities.crosswalk(data_dir)
    descriptor = load_descriptor(Path(data_dir, "raw", SOURCE, "datapackage.json"))
    parts = [_one(data_dir, r, crosswalk) for r in descriptor.get("resources", []) if r.get("format", "csv") == "csv"]
    if not parts:
        raise DataError(Problem(display_path(Path(data_dir, "raw", SOURCE, "datapackage.json")), "no CSV resources"))
    issuances = pd.concat([p[0] for p in parts], ignore_index=True)
    totals = pd.concat([p[1] for p in parts], ignore_index=True)
    repeated = totals.duplicated(["fiscal_year", "nationality"])
    if repeated.any():
        row = totals[repeated].iloc[0]
        raise DataError(Problem(display_path(Path(data_dir, "raw", SOURCE)),
                                f"FY{row['fiscal_year']} {row['nationality']} is in more than one table"))
    return AnnualVisas(issuances=issuances, totals=totals)
