"""Importer for `data/raw/ice-safe-city-offences/`: who was arrested, as ICE's release described them.

Two tables per operation: attributes of the people arrested (convictions, fugitives, previously
deported, gang members or affiliates; they overlap) and the conviction categories of ICE's chart
(each person counted once, by most serious conviction; partial). The operation's total arrests come
from `ice-safe-city/operation.csv` and bound every count here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError, Problem
from ..packages import display_path
from ..validate import read_table
from . import ice_release

SOURCE = "ice-safe-city-offences"

#: The attribute that the conviction categories break down.
CONVICTED = "criminal conviction"


def _shown(data_dir: Path, name: str) -> str:
    return display_path(Path(data_dir, "raw", SOURCE, name))


def _line(index) -> int:
    return int(index) + 2  # the header is line 1


def attributes(data_dir: Path, operation: str) -> pd.DataFrame:
    """Attributes of the people arrested in `operation`: columns attribute, people, wording, source.

    Every count must be at most the operation's stated total (a subset of the people arrested),
    and the release must give the number with criminal convictions.
    """
    table = read_table(data_dir, SOURCE, "attributes")
    rows = table[table["operation"] == operation]
    if rows.empty:
        raise DataError(Problem(_shown(data_dir, "attributes.csv"), f"no rows for operation '{operation}'",
                                column="operation"))
    total = int(ice_release.operation(data_dir, operation)["stated_total"])
    too_many = rows[rows["people"] > total]
    if not too_many.empty:
        first = too_many.iloc[0]
        raise DataError(Problem(_shown(data_dir, "attributes.csv"),
                                f"{int(first['people'])} people with '{first['attribute']}' is more than the "
                                f"{total} arrested in {operation} (ice-safe-city/operation.csv)",
                                line=_line(too_many.index[0]), column="people"))
    if CONVICTED not in set(rows["attribute"]):
        raise DataError(Problem(_shown(data_dir, "attributes.csv"),
                                f"no '{CONVICTED}' row for operation '{operation}'", column="attribute"))
    return rows.drop(columns="operation").reset_index(drop=True)


def conviction_categories(data_dir: Path, operation: str) -> pd.DataFrame:
    """ICE's conviction categories for `operation`: columns category, people, source (largest first).

    The categories are parts of the people with convictions, so together they cannot exceed them.
    An operation with no itemised categories gives an empty frame.
    """
    table = read_table(data_dir, SOURCE, "conviction_categories")
    rows = table[table["operation"] == operation]
    convicted_rows = attributes(data_dir, operation)
    convicted = int(convicted_rows.loc[convicted_rows["attribute"] == CONVICTED, "people"].iloc[0])
    running = rows["people"].cumsum()
    over = running[running > convicted]
    if not over.empty:
        raise DataError(Problem(_shown(data_dir, "conviction_categories.csv"),
                                f"the categories up to this row add up to {int(over.iloc[0])}, more than the "
                                f"{convicted} people with a '{CONVICTED}' in attributes.csv",
                                line=_line(over.index[0]), column="people"))
    rows = rows.drop(columns="operation")
    return rows.sort_values(["people", "category"], ascending=[False, True], kind="stable").reset_index(drop=True)
