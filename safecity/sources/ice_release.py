"""Importer for `data/raw/ice-safe-city/`: ICE's release, the article's places, and reconciling reports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError, Problem
from ..packages import display_path, inside
from ..validate import read_table

SOURCE = "ice-safe-city"


def operation(data_dir: Path, name: str) -> dict:
    """The stated facts of one operation (dates, total, countries) as a plain dict."""
    table = read_table(data_dir, SOURCE, "operation")
    rows = table[table["operation"] == name]
    if rows.empty:
        known = ", ".join(sorted(table["operation"]))
        raise DataError(Problem(display_path(Path(data_dir, "raw", SOURCE, "operation.csv")),
                                f"no operation named '{name}' (known: {known})", column="operation"))
    return rows.iloc[0].to_dict()


def release(data_dir: Path, name: str) -> dict:
    """When and by whom the operation's results were announced (`release.csv`), as a plain dict."""
    table = read_table(data_dir, SOURCE, "release")
    rows = table[table["operation"] == name]
    if rows.empty:
        raise DataError(Problem(display_path(Path(data_dir, "raw", SOURCE, "release.csv")),
                                f"no release for operation '{name}'", column="operation"))
    return rows.iloc[0].to_dict()


def arrests_by_area(data_dir: Path, name: str) -> pd.DataFrame:
    """ICE's per-area arrests for one operation: columns area, arrests, geography, source."""
    table = read_table(data_dir, SOURCE, "arrests_by_area")
    rows = table[table["operation"] == name].drop(columns="operation").reset_index(drop=True)
    if rows.empty:
        raise DataError(Problem(display_path(Path(data_dir, "raw", SOURCE, "arrests_by_area.csv")),
                                f"no rows for operation '{name}'", column="operation"))
    return rows


def arrests_from_records(data_dir: Path, name: str, records: str) -> pd.DataFrame:
    """Per-area arrests aggregated from a record-level file (path relative to `data_dir`) over the operation's dates."""
    from . import ice_arrest_records

    facts = operation(data_dir, name)
    path = inside(data_dir, Path(data_dir, records))  # a parameter names a file of the data folder, never one outside
    table = ice_arrest_records.aggregate(ice_arrest_records.read(path), facts["start_date"], facts["end_date"],
                                         source=f"record-level file {Path(records).name}")
    if table.empty:
        raise DataError(Problem(display_path(path), f"no arrests between {facts['start_date']:%Y-%m-%d} and "
                                                    f"{facts['end_date']:%Y-%m-%d}, the dates of '{name}'",
                                column="apprehension_date"))
    return table


def article_places(data_dir: Path, name: str = "Operation Safe City") -> pd.DataFrame:
    """The article's places for one operation, in its order: columns place, arrests, ice_area, source."""
    table = read_table(data_dir, SOURCE, "article_places")
    return table[table["operation"] == name].drop(columns="operation").reset_index(drop=True)


def area_components(data_dir: Path, name: str = "Operation Safe City") -> pd.DataFrame:
    """Press reports splitting an ICE area into parts: ice_area, component, arrests_min, arrests_max, source."""
    table = read_table(data_dir, SOURCE, "area_components")
    table = table[table["operation"] == name].drop(columns="operation")
    inverted = table[table["arrests_min"] > table["arrests_max"]]
    if not inverted.empty:
        line = int(inverted.index[0]) + 2  # header is line 1
        raise DataError(Problem(display_path(Path(data_dir, "raw", SOURCE, "area_components.csv")),
                                "arrests_min is greater than arrests_max", line=line, column="arrests_min"))
    return table.reset_index(drop=True)
