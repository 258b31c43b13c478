"""Importer for `data/raw/nationality-crosswalk/`: every spelling of a nationality → one canonical name.

The State Department's monthly tables spell the same place differently from month
to month ("China - mainland", "China-mainland", "China – mainland born"), the annual
table has its own spellings ("Congo, Dem. Rep. of the (Kinshasa)") and the country-group
lists theirs ("Palestine"). The crosswalk is project-authored reference data: one row
per raw spelling. Before the lookup, runs of whitespace are collapsed to one space and
the ends trimmed (so "Serbia  " is "Serbia"); nothing else is guessed. A spelling that is
not in the crosswalk is an error naming the file and line where it was found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..validate import display_path, read_table, sha256

SOURCE = "nationality-crosswalk"
RESOURCE = "nationalities"

_SPACE = re.compile(r"\s+")


def clean(name: str) -> str:
    """Collapse whitespace (including line breaks and no-break spaces) and trim the ends."""
    return _SPACE.sub(" ", name).strip()


def clean_series(names: pd.Series) -> pd.Series:
    """`clean` applied to a column, working on its distinct values only (fast on long columns)."""
    codes, uniques = pd.factorize(names, use_na_sentinel=True)
    # The extra None at the end is what code -1 (a missing value) picks.
    cleaned = np.array([clean(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(cleaned[codes], index=names.index, dtype="str")


@dataclass(frozen=True)
class Crosswalk:
    """The crosswalk table (raw_name, name, kind, note) and a lookup from cleaned spelling to name."""

    table: pd.DataFrame
    lookup: dict

    @property
    def names(self) -> pd.DataFrame:
        """One row per canonical name with its kind."""
        return (self.table[["name", "kind"]].drop_duplicates("name").sort_values("name")
                .reset_index(drop=True))

    def kind(self, name: str) -> str:
        return str(self.table.loc[self.table["name"] == name, "kind"].iloc[0])

    def canonical(self, raw: pd.Series, *, file: str | pd.Series, lines: pd.Series | None = None,
                  what: str = "name") -> pd.Series:
        """Map raw spellings to canonical names; every unknown spelling is a problem naming file and line.

        `file` is one file name or a column of them (same index as `raw`), `lines` the line number of
        each value; the first place where an unknown spelling occurs is reported.
        """
        cleaned = clean_series(raw)
        mapped = cleaned.map(self.lookup)
        unknown = mapped.isna() & cleaned.notna()
        if unknown.any():
            problems = []
            for index, value in cleaned[unknown].drop_duplicates().items():
                where = file if isinstance(file, str) else str(file.loc[index])
                line = int(lines.loc[index]) if lines is not None else None
                problems.append(Problem(where, f"unknown {what} '{value}': add it to "
                                               f"data/raw/{SOURCE}/nationalities.csv", line=line))
            raise DataError(problems)
        return mapped.astype("str")


@lru_cache(maxsize=8)
def _load(path: str, digest: str) -> Crosswalk:
    data_dir = Path(path)
    table = read_table(data_dir, SOURCE, RESOURCE)
    cleaned = table["raw_name"].map(clean)
    shown = display_path(data_dir / "raw" / SOURCE / "nationalities.csv")
    untidy = table.index[cleaned != table["raw_name"]]
    if len(untidy):
        row = int(untidy[0])
        raise DataError(Problem(shown, "raw_name has leading, trailing or repeated spaces; write it cleaned",
                                line=row + 2, column="raw_name"))
    kinds = table.groupby("name")["kind"].nunique()
    if (kinds > 1).any():
        name = kinds[kinds > 1].index[0]
        row = int(table.index[table["name"] == name][0])
        raise DataError(Problem(shown, f"'{name}' is given more than one kind", line=row + 2, column="kind"))
    return Crosswalk(table=table, lookup=dict(zip(table["raw_name"], table["name"])))


def crosswalk(data_dir: Path) -> Crosswalk:
    """The validated crosswalk (cached per content of the CSV)."""
    path = Path(data_dir, "raw", SOURCE, "nationalities.csv")
    digest = sha256(path) if path.exists() else "missing"
    return _load(str(Path(data_dir)), digest)
