"""Importer for `data/raw/ice-annual-arrests/`: ICE's nationwide administrative arrests by fiscal year.

`criminality` keeps each published figure with its definition ("convicted", "convicted or pending
charges", "criminal history", ...); a year or definition with no row was not published and stays
missing. Where ICE published both a count and a percentage, they must agree.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError, Problem
from ..packages import display_path
from ..validate import read_table

SOURCE = "ice-annual-arrests"

#: How far (in percentage points) a published, rounded percentage may be from count / arrests.
ROUNDING = 0.5


def arrests(data_dir: Path) -> pd.DataFrame:
    """Administrative arrests by fiscal year: columns fiscal_year, arrests, source (by year)."""
    return read_table(data_dir, SOURCE, "arrests").sort_values("fiscal_year").reset_index(drop=True)


def criminality(data_dir: Path) -> pd.DataFrame:
    """Published criminality figures: fiscal_year, definition, people, percent, qualifier, source.

    Checked against arrests.csv: the year must be there, a count cannot exceed the year's arrests,
    each row gives a count or a percentage, and a count and a percentage given together must agree.
    """
    table = read_table(data_dir, SOURCE, "criminality")
    shown = display_path(Path(data_dir, "raw", SOURCE, "criminality.csv"))
    by_year = arrests(data_dir).set_index("fiscal_year")["arrests"]
    problems = []
    for index, row in table.iterrows():
        line = int(index) + 2
        year = int(row["fiscal_year"])
        if year not in by_year.index:
            problems.append(Problem(shown, f"FY{year} is not in arrests.csv", line=line, column="fiscal_year"))
            continue
        if pd.isna(row["people"]) and pd.isna(row["percent"]):
            problems.append(Problem(shown, "neither a count ('people') nor a percentage is given", line=line,
                                    column="people"))
            continue
        total = int(by_year[year])
        if pd.notna(row["people"]) and int(row["people"]) > total:
            problems.append(Problem(shown, f"{int(row['people'])} is more than the {total} arrests in FY{year}",
                                    line=line, column="people"))
            continue
        if pd.notna(row["people"]) and pd.notna(row["percent"]):
            computed = 100 * int(row["people"]) / total
            published = float(row["percent"])
            lower_bound = isinstance(row["qualifier"], str) and row["qualifier"] == "more than"
            agrees = computed > published if lower_bound else abs(computed - published) <= ROUNDING
            if not agrees:
                problems.append(Problem(shown, f"published {published:g}% does not match {int(row['people'])} of "
                                               f"{total} arrests ({computed:.1f}%)", line=line, column="percent"))
    if problems:
        raise DataError(problems)
    return table.sort_values("fiscal_year", kind="stable").reset_index(drop=True)
