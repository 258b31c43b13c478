"""Importer for `data/raw/ice-safe-city/`: ICE's release, the article's places, and reconciling reports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError, Problem
from ..validate import display_path, read_table

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


def arrests_by_area(data_dir: Path, name: str) -> pd.DataFrame:
    """ICE's per-area arrests for one operation: columns area, arrests, geography, source."""
    table = read_table(data_dir, SOURCE, "arrests_by_area")
    rows = table[table["operation"] == name].drop(columns="operation").reset_index(drop=True)
    if rows.empty:
        raise DataError(Problem(display_path(Path(data_dir, "raw", SOURCE, "arrests_by_area.csv")),
                                f"no rows for operation '{name}'", column="operation"))
    return rows


def article_places(data_dir: Path) -> pd.DataFrame:
    """The article's ten places in its order: columns place, arrests, ice_area, source."""
    return read_table(data_dir, SOURCE, "article_places")


def area_components(data_dir: Path) -> pd.DataFrame:
    """Press reports splitting an ICE area into parts: ice_area, component, arrests_min, arrests_max, source."""
    table = read_table(data_dir, SOURCE, "area_components")
    inverted = table[table["arrests_min"] > table["arrests_max"]]
    if not inverted.empty:
        line = int(inverted.index[0]) + 2  # header is line 1
        raise DataError(Problem(display_path(Path(data_dir, "raw", SOURCE, "area_components.csv")),
                                "arrests_min is greater than arrests_max", line=line, column="arrests_min"))
    return table
