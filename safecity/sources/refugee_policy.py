"""Importer for `data/raw/refugee-policy/`: sourced facts that the MPI table and the PRM workbook do not carry.

- `policy_facts`: ceilings as first set and as revised within a year, the suspension of admissions,
  the article's figure, other published admissions figures; one fact per row, each with its source.
- `refugee_orders`: the presidential determinations and executive orders that governed refugee admissions,
  each with its Federal Register citation and a link to its published text.
- `country_groups`: the countries named by Proclamation 9645 and by the March 2017 executive order.
- `prm_country_names`: how the PRM workbook spells those countries, and look-alike names that are
  other countries (South Sudan, South Korea), so that no spelling is silently dropped or added.

Each is a CSV validated against the Table Schema in `datapackage.json`; the checks here cover what
a schema cannot express (a revision needs the ceiling it revises; names must refer to listed countries).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError, Problem
from ..packages import display_path
from ..validate import read_table

SOURCE = "refugee-policy"
CEILING_FACTS = ("ceiling_set", "ceiling_revised")


def _file(data_dir: Path, name: str) -> str:
    return display_path(Path(data_dir, "raw", SOURCE, f"{name}.csv"))


def facts(data_dir: Path) -> pd.DataFrame:
    """The facts table with a `line` column (the CSV line of each row, header = line 1)."""
    table = read_table(data_dir, SOURCE, "policy_facts")
    table["line"] = table.index + 2
    missing = table[table["fact"].isin(CEILING_FACTS + ("ceiling_in_article", "admissions_reported"))
                    & table["value"].isna()]
    if not missing.empty:
        row = missing.iloc[0]
        raise DataError(Problem(_file(data_dir, "policy_facts"), f"a '{row['fact']}' fact needs a value",
                                line=int(row["line"]), column="value"))
    revised = table[table["fact"] == "ceiling_revised"]
    set_years = set(table.loc[table["fact"] == "ceiling_set", "fiscal_year"])
    orphan = revised[~revised["fiscal_year"].isin(set_years)]
    if not orphan.empty:
        row = orphan.iloc[0]
        raise DataError(Problem(_file(data_dir, "policy_facts"),
                                f"FY{row['fiscal_year']}: a revised ceiling needs the ceiling first set "
                                "(a 'ceiling_set' row for the same year)", line=int(row["line"]), column="fact"))
    return table


def orders(data_dir: Path) -> pd.DataFrame:
    """date, effective, fiscal_year, document, short_name, ceiling, description, citation, url: one row per order.

    An order takes effect on or after the day it was signed, and within its fiscal year or before it begins."""
    table = read_table(data_dir, SOURCE, "refugee_orders")
    for index, row in table.iterrows():
        if pd.notna(row["effective"]) and row["effective"] < row["date"]:
            raise DataError(Problem(_file(data_dir, "refugee_orders"), "takes effect before it was signed",
                                    line=int(index) + 2, column="effective"))
        end = pd.Timestamp(int(row["fiscal_year"]), 9, 30)
        if row["date"] > end:
            raise DataError(Problem(_file(data_dir, "refugee_orders"),
                                    f"signed after FY{int(row['fiscal_year'])} ended", line=int(index) + 2,
                                    column="date"))
    return table


def country_groups(data_dir: Path) -> pd.DataFrame:
    """group, country, source: one row per country named by each order."""
    return read_table(data_dir, SOURCE, "country_groups")


def prm_country_names(data_dir: Path, groups: pd.DataFrame) -> pd.DataFrame:
    """prm_name, country (NA: a look-alike that is another country), note.

    Every named country must be one of the countries in `groups`.
    """
    table = read_table(data_dir, SOURCE, "prm_country_names")
    unknown = table[table["country"].notna() & ~table["country"].isin(set(groups["country"]))]
    if not unknown.empty:
        line = int(unknown.index[0]) + 2
        raise DataError(Problem(_file(data_dir, "prm_country_names"),
                                f"'{unknown['country'].iloc[0]}' is not a country in country_groups.csv",
                                line=line, column="country"))
    return table
