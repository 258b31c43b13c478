"""Importer for `data/raw/mpi-refugee-admissions/`: MPI's table of refugee ceilings and admissions.

The file is Migration Policy Institute's CSV as published, mess included:

- title rows (one spans three physical lines) and blank rows before the header;
- numbers quoted with thousands separators and a trailing space (`"231,700 "`);
- `-` for the years before the Refugee Act, which had no ceiling;
- `2025*`: the asterisk marks a partial year, explained by a footnote starting with `*`;
- footnote and source rows after a blank row; two empty trailing columns on every row;
- not UTF-8: the declared encoding (cp1252) is read from `datapackage.json`.

Anything else (an unknown header, a value that is not a number, a year out of order, a stray
value in the empty columns, data after the footnotes) is a :class:`DataError` naming the line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import cache
from ..errors import DataError, Problem
from ..packages import display_path
from ..validate import checked_resource

SOURCE = "mpi-refugee-admissions"
RESOURCE = "refugee_admissions"
HEADER = ("Year", "Annual Ceiling", "Number of Admitted Refugees")

_YEAR = re.compile(r"^(\d{4})(\*?)$")
_NUMBER = re.compile(r"^\d{1,3}(,\d{3})*$|^\d+$")


@dataclass(frozen=True)
class MpiTable:
    """MPI's rows as typed columns, plus the footnotes that qualify them."""

    #: fiscal_year, ceiling (NA: no ceiling), admissions, partial (year marked `*`), line
    frame: pd.DataFrame
    #: the footnote explaining the `*` mark (empty if no year is marked)
    partial_note: str
    #: every footnote and source row after the table, in order
    notes: tuple[str, ...]
    file: str


def _blank(cells: list[str]) -> bool:
    return all(not c.strip() for c in cells)


def _number(text: str, shown: str, line: int, column: str, allow_dash: bool) -> int | None:
    value = text.strip()
    if allow_dash and value == "-":
        return None
    if not _NUMBER.match(value):
        expected = "a number such as 1,234 or '-'" if allow_dash else "a number such as 1,234"
        raise DataError(Problem(shown, f"expected {expected}, found {text!r}", line=line, column=column))
    return int(value.replace(",", ""))


def parse(text: str, shown: str) -> MpiTable:
    """Parse the text of MPI's CSV (already decoded). `shown` names the file in errors."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise DataError(Problem(shown, f"not readable as CSV: {exc}", line=reader.line_num))

    header_at = next((i for i, (_, cells) in enumerate(rows)
                      if tuple(c.strip() for c in cells[:3]) == HEADER), None)
    if header_at is None:
        raise DataError(Problem(shown, f"no header row '{', '.join(HEADER)}' found"))
    header_line, header = rows[header_at]
    if not _blank(header[3:]):
        raise DataError(Problem(shown, f"unexpected extra column {header[3].strip()!r} in the header",
                                line=header_line))

    records = []
    position = header_at + 1
    while position < len(rows) and not _blank(rows[position][1]):
        line, cells = rows[position]
        position += 1
        if len(cells) < 3:
            raise DataError(Problem(shown, f"expected 3 columns, found {len(cells)}", line=line))
        if not _blank(cells[3:]):
            raise DataError(Problem(shown, f"unexpected value {next(c for c in cells[3:] if c.strip())!r} "
                                           "after the third column", line=line))
        match = _YEAR.match(cells[0].strip())
        if not match:
            raise DataError(Problem(shown, f"expected a year such as 2018 or 2025*, found {cells[0]!r}",
                                    line=line, column=HEADER[0]))
        year = int(match.group(1))
        if records and year != records[-1]["fiscal_year"] + 1:
            raise DataError(Problem(shown, f"year {year} follows {records[-1]['fiscal_year']}: years must be "
                                           "consecutive and in order", line=line, column=HEADER[0]))
        records.append({
            "fiscal_year": year,
            "ceiling": _number(cells[1], shown, line, HEADER[1], allow_dash=True),
            "admissions": _number(cells[2], shown, line, HEADER[2], allow_dash=True),
            "partial": bool(match.group(2)),
            "line": line,
        })
    if not records:
        raise DataError(Problem(shown, "no data rows under the header", line=header_line))

    notes = []
    for line, cells in rows[position:]:
        if _blank(cells):
            continue
        if _YEAR.match(cells[0].strip()) or not _blank(cells[1:]):
            raise DataError(Problem(shown, "data after the table's footnotes: rows must be inside the table, "
                                           "before the first blank row", line=line))
        notes.append(cells[0].strip())

    partial_notes = [n.lstrip("*").strip() for n in notes if n.startswith("*")]
    marked = [r for r in records if r["partial"]]
    if marked and not partial_notes:
        raise DataError(Problem(shown, f"year {marked[0]['fiscal_year']} is marked '*' but no footnote "
                                       "starting with '*' explains it", line=marked[0]["line"]))
    frame = pd.DataFrame.from_records(records, columns=["fiscal_year", "ceiling", "admissions", "partial", "line"])
    for column in ("ceiling", "admissions"):
        frame[column] = frame[column].astype("Int64")
    frame["fiscal_year"] = frame["fiscal_year"].astype("int64")
    return MpiTable(frame=frame, partial_note=partial_notes[0] if partial_notes else "", notes=tuple(notes),
                    file=shown)


@cache.tidy(SOURCE)
def load(data_dir: Path) -> MpiTable:
    """Read the MPI table from `data_dir` with the encoding its data package declares."""
    folder, descriptor = checked_resource(data_dir, SOURCE, RESOURCE)
    path = folder / descriptor["path"]
    encoding = descriptor.get("encoding")
    shown = display_path(path)
    if not encoding:
        raise DataError(Problem(display_path(folder / "datapackage.json"),
                                f"resource '{RESOURCE}' must declare its encoding (the file is not UTF-8)"))
    return parse(path.read_bytes().decode(encoding), shown)
