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
from pathlib import Path

import numpy as np
import pandas as pd

from .. import cache
from ..errors import DataError, Problem
from ..packages import display_path
from ..validate import read_table, resource_descriptor

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
    #: the crosswalk's file as the user sees it (in the data folder in use): where an unknown spelling goes
    file: str = f"data/raw/{SOURCE}/nationalities.csv"

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
                problems.append(Problem(where, f"unknown {what} '{value}': add it to {self.file}", line=line))
            raise DataError(problems)
        return mapped.astype("str")


def _read_checked(data_dir: Path) -> pd.DataFrame:
    """Read the crosswalk and check it against every constraint of its Table Schema.

    The schema has only string fields (required, unique, enum, primaryKey), which are checked here
    directly: the monthly importer needs the crosswalk, and loading frictionless would cost it more
    than reading every monthly file. `python -m safecity check` (run before every build) still
    validates the file with frictionless; `read_table` is used if the schema ever gains other types.
    """
    folder, descriptor = resource_descriptor(data_dir, SOURCE, RESOURCE)
    fields = descriptor["schema"]["fields"]
    if any(f.get("type", "string") != "string" for f in fields) or set(
            k for f in fields for k in f.get("constraints", {})) - {"required", "unique", "enum"}:
        return read_table(data_dir, SOURCE, RESOURCE)
    path = folder / descriptor["path"]
    shown = display_path(path)
    try:
        table = pd.read_csv(path, dtype="str", keep_default_na=False, encoding=descriptor.get("encoding", "utf-8"))
    except FileNotFoundError:
        raise DataError(Problem(shown, "missing file"))
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(Problem(shown, f"cannot read as CSV: {str(exc).splitlines()[0]}"))
    names = [f["name"] for f in fields]
    if list(table.columns) != names:
        raise DataError(Problem(shown, f"columns are {list(table.columns)}, the schema says {names}"))
    problems = []
    for f in fields:
        column, constraints = table[f["name"]], f.get("constraints", {})
        lines = table.index + 2
        if constraints.get("required"):
            problems += [Problem(shown, "missing required value", line=int(n), column=f["name"])
                         for n in lines[column == ""][:5]]
        if constraints.get("unique"):
            problems += [Problem(shown, f"duplicated value '{v}'", line=int(n), column=f["name"])
                         for n, v in zip(lines[column.duplicated()][:5], column[column.duplicated()][:5])]
        if "enum" in constraints:
            bad = (column != "") & ~column.isin(constraints["enum"])
            problems += [Problem(shown, f"'{v}' is not one of {constraints['enum']}", line=int(n), column=f["name"])
                         for n, v in zip(lines[bad][:5], column[bad][:5])]
    key = descriptor["schema"].get("primaryKey")
    if key:
        key = [key] if isinstance(key, str) else key
        repeated = table.duplicated(key)
        problems += [Problem(shown, "duplicated key", line=int(n), column=", ".join(key))
                     for n in (table.index[repeated] + 2)[:5]]
    if problems:
        raise DataError(problems)
    return table.astype("str")


@cache.tidy(SOURCE)
def crosswalk(data_dir: Path) -> Crosswalk:
    """The validated crosswalk (from the tidy-table cache when unchanged)."""
    data_dir = Path(data_dir)
    table = _read_checked(data_dir)
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
    return Crosswalk(table=table, lookup=dict(zip(table["raw_name"], table["name"])), file=shown)
