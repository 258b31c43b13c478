"""Importer for record-level ICE arrest files: one row per arrest, CSV or Parquet.

The shape follows the public ICE arrest releases (as published by the Deportation Data Project
and UWCHR/ice-enforce). Expected columns; others are ignored:

| column | type | meaning |
|---|---|---|
| `area_of_responsibility` | text, required | ICE area the arrest is counted under (named as in `arrests_by_area.csv`) |
| `apprehension_date` | date `YYYY-MM-DD`, required | day of the arrest |
| `criminality` | one of `Convicted Criminal`, `Pending Criminal Charges`, `Other Immigration Violator` (a leading "1 ", "2 ", "3 " as in ICE's files is accepted) | ICE's criminality class |
| `citizenship_country` | text | country of citizenship |

`aggregate` turns the records of one operation's dates into the per-area table that
`ice_release.arrests_by_area` returns, so the chapter's code is the same for both inputs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import limits
from ..errors import DataError, Problem
from ..packages import display_path

COLUMNS = ["area_of_responsibility", "apprehension_date", "criminality", "citizenship_country"]
REQUIRED = ["area_of_responsibility", "apprehension_date"]
CRIMINALITY = ["Convicted Criminal", "Pending Criminal Charges", "Other Immigration Violator"]


def _bad_row(path: Path, frame: pd.DataFrame, mask: pd.Series, column: str, reason: str, header_lines: int):
    """Raise for the first row in `mask`, naming its line in the file (CSV) or its row number (Parquet)."""
    position = int(mask.to_numpy().nonzero()[0][0])
    value = frame[column].iloc[position]
    raise DataError(Problem(display_path(path), f"{reason}: {value!r}" if pd.notna(value) else reason,
                            line=position + 1 + header_lines, column=column))


def read(path: Path) -> pd.DataFrame:
    """Read and validate a record-level file; returns the expected columns, typed."""
    path = Path(path)
    shown = display_path(path)
    if not path.exists():
        raise DataError(Problem(shown, "missing file"))
    if path.stat().st_size == 0:
        raise DataError(Problem(shown, "empty file"))
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        present = pq.read_schema(path).names
        header_lines = 0
        read_columns = [c for c in COLUMNS if c in present]
    else:
        limits.scan(path, shown)  # too large, or a line too long: refused before pandas reads it
        limits.check_header(path, shown)  # so is a table too wide
        try:
            with open(path, encoding="utf-8") as handle:
                present = pd.read_csv(handle, nrows=0).columns.tolist()
        except UnicodeDecodeError as exc:
            raise DataError(Problem(shown, f"not valid utf-8 text ({exc.reason})"))
        header_lines = 1
        read_columns = [c for c in COLUMNS if c in present]
    missing = [c for c in REQUIRED if c not in present]
    if missing:
        raise DataError(Problem(shown, "missing required column", column=", ".join(missing)))
    dtypes = {c: "category" for c in read_columns if c != "apprehension_date"}
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path, columns=read_columns)
        frame = frame.astype({c: t for c, t in dtypes.items()})
        frame["apprehension_date"] = frame["apprehension_date"].astype("string")
    else:
        try:
            frame = pd.read_csv(path, usecols=read_columns, dtype=dict(dtypes, apprehension_date="string"),
                                encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(Problem(shown, f"not valid utf-8 text ({exc.reason})"))
    for column in REQUIRED:
        empty = frame[column].isna()
        if empty.any():
            _bad_row(path, frame, empty, column, "missing value", header_lines)
    dates = pd.to_datetime(frame["apprehension_date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        _bad_row(path, frame, dates.isna(), "apprehension_date", "not a date (YYYY-MM-DD)", header_lines)
    frame["apprehension_date"] = dates
    if "criminality" in frame:
        labels = frame["criminality"].cat.categories
        cleaned = labels.str.replace(r"^\d+\s+", "", regex=True)
        unknown = [raw for raw, clean in zip(labels, cleaned) if clean not in CRIMINALITY]
        if unknown:
            _bad_row(path, frame, frame["criminality"].isin(unknown), "criminality",
                     f"unknown class (expected one of {', '.join(CRIMINALITY)})", header_lines)
        frame["criminality"] = frame["criminality"].cat.rename_categories(list(cleaned)) \
            if cleaned.is_unique else frame["criminality"].astype("string").str.replace(r"^\d+\s+", "", regex=True)
    return frame


def aggregate(records: pd.DataFrame, start, end, source: str) -> pd.DataFrame:
    """Arrests per area between `start` and `end` (inclusive), shaped like `ice_release.arrests_by_area`."""
    window = records[(records["apprehension_date"] >= pd.Timestamp(start))
                     & (records["apprehension_date"] <= pd.Timestamp(end))]
    counts = window.groupby("area_of_responsibility", observed=True).size()
    table = pd.DataFrame({"area": counts.index.astype(str), "arrests": counts.to_numpy().astype("int64")})
    table["geography"] = "area of responsibility in the record-level file"
    table["source"] = source
    return table.sort_values("area", kind="stable").reset_index(drop=True).astype(
        {"area": "string", "arrests": "Int64", "geography": "string", "source": "string"})


def summary(records: pd.DataFrame, start, end) -> dict:
    """Totals the release also states: arrests, countries of citizenship, and the criminality split."""
    window = records[(records["apprehension_date"] >= pd.Timestamp(start))
                     & (records["apprehension_date"] <= pd.Timestamp(end))]
    values = {"arrests": len(window)}
    if "citizenship_country" in window:
        values["countries"] = int(window["citizenship_country"].dropna().nunique())
    if "criminality" in window:
        counts = window["criminality"].astype("string").value_counts()
        values.update({label: int(counts.get(label, 0)) for label in CRIMINALITY})
    return values
