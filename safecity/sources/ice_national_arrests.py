"""Importer for `data/raw/ice-national-arrests/`: every administrative arrest ICE recorded nationwide (FOIA).

One file a fiscal year, read exactly as ICE's ERO-LESA Statistical Tracking Unit produced it under FOIA request
2019-ICFO-53623 and the University of Washington Center for Human Rights converted it (SOURCES.md section 10):
gzip, pipe-delimited, `"` quoting; title and blank rows before the header (the request number and "ERO
Administrative Arrests for FY2017"); dates as M/D/YYYY without zero padding; Birth Date redacted in every row;
the Operation column blank, `--` or redacted (`(B)(7)(E) `): an operation's name is never given; a few hundred
rows with a blank Area of Responsibility; landmarks as free text, sometimes blank.

Only the columns the chapter counts are read (area, day, method, landmark, operation), each as a categorical, so
a decade of national records fits in memory. A bad row stops the import with one line naming the file, the line
and the column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import limits
from ..packages import display_path, load_descriptor
from ..validate import checked_resource, label_problem
from . import pipe_delimited
from .pipe_delimited import codes_where, line_of
from .pipe_delimited import problem as _problem

SOURCE = "ice-national-arrests"
#: The header ICE's sheets have, and the tidy name of each column read (None: never read).
COLUMNS = {"Area of Responsibility": "area", "Apprehension Date": "arrest_date",
           "Apprehension Method": "arrest_method", "Apprehension Landmark": "landmark", "Operation": "operation",
           "Processing Disposition": None, "Birth Date": None, "Citizenship": None, "Gender": None}
READ = [name for name, tidy in COLUMNS.items() if tidy]
#: A FOIA exemption code as these files write them: "(B)(7)(E) ", "(B)(6);(B)(7)(C) " (case and separators vary).
_CODE = r"\([bB]\)\(\d\)(?:\(?[A-Fa-f]\))?"
REDACTION = re.compile(rf"^\s*{_CODE}(?:\s*[,;]\s*{_CODE})*\s*$")
#: What the Operation column holds: nothing recorded ("" or "--"), a redacted operation, or some other text.
NO_OPERATION = ("", "--")
OPERATION = ("none", "redacted", "other")
#: Title rows: the FOIA request number and the fiscal year.
REQUEST = re.compile(r"\b(\d{4}-ICFO-\d+)\b")
FISCAL_YEAR = re.compile(r"\bArrests for FY\s*(\d{4})\b", re.IGNORECASE)
AREA_SUFFIX = re.compile(r"\s+Area of Responsibility\s*$", re.IGNORECASE)
#: How many lines at the top of a file are searched for the header row.
HEAD_LINES = 40


@dataclass
class YearFile:
    """One fiscal year's production, tidy: the records and what its title rows state."""

    path: str  # as the user sees it
    records: pd.DataFrame  # area, arrest_date, arrest_method, landmark, operation (categoricals and dates)
    title: list[str]
    request: str  # "2019-ICFO-53623"
    fiscal_year: int
    header_line: int  # 1-based; records start on the next line
    blank_area: int = 0  # records with no Area of Responsibility
    redacted: dict[str, int] = field(default_factory=dict)  # per tidy column: values withheld under FOIA


def _open(path: Path):
    """The file's bytes, decompressed when it is gzip, through the bounded reader: a crafted file is refused with
    one line before it can exhaust memory."""
    return limits.open_data(path)


def _head(path: Path) -> list[list[str]]:
    """The first lines of the file as cells, so that row i is line i + 1."""
    try:
        with _open(path) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            lines = [line for _, line in zip(range(HEAD_LINES), text)]
    except (UnicodeDecodeError, EOFError, OSError) as exc:
        raise _problem(path, f"cannot read the file as gzip-compressed UTF-8 text ({exc})")
    return [next(csv.reader([line.rstrip("\r\n")], delimiter="|", quotechar='"'), []) for line in lines]


def _title(path: Path, head: list[list[str]]) -> tuple[int, list[str], str, int]:
    """The header row's index, the title rows above it, the FOIA request number and the fiscal year."""
    firsts = [(cells[0].strip() if cells else "") for cells in head]
    if "Area of Responsibility" not in firsts:
        raise _problem(path, f"no header row (a row starting 'Area of Responsibility') in the first {HEAD_LINES} lines")
    index = firsts.index("Area of Responsibility")
    header = [c.strip() for c in head[index]]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise _problem(path, "missing required column", line=index + 1, column=", ".join(missing))
    title = [t for t in firsts[:index] if t]
    text = " ".join(title)
    request, year = REQUEST.search(text), FISCAL_YEAR.search(text)
    if not request or not year:
        raise _problem(path, "the title rows do not state the FOIA request ('2019-ICFO-53623') and the fiscal "
                             "year ('ERO Administrative Arrests for FY2017')", line=index)
    return index, title, request.group(1), int(year.group(1))


def read(path: Path) -> YearFile:
    """Read and validate one fiscal year's file: typed, compact records; redaction codes counted."""
    import pyarrow as pa

    path = Path(path)
    pipe_delimited.check_present(path)
    head = _head(path)
    index, title, request, fiscal_year = _title(path, head)
    header_line, first_line = index + 1, index + 2
    names = [c.strip() for c in head[index]]
    try:
        frame = pipe_delimited.records(path, index + 1, names, READ, blank_is_missing=False)
    except (pa.ArrowInvalid, EOFError, OSError) as exc:
        raise _problem(path, f"cannot be read as pipe-delimited UTF-8 text ({str(exc).splitlines()[0]})")
    # An area's name reaches the pages: one no real file holds (a control, bidirectional or zero-width character)
    # is refused, as every other source's labels are. (Free-text landmarks hold tabs in ICE's own files; their
    # runs of whitespace are folded below, and they are never shown as labels.)
    hidden = codes_where(frame["Area of Responsibility"], label_problem)
    if hidden.any():
        value = str(frame["Area of Responsibility"].iloc[int(np.flatnonzero(hidden)[0])])
        raise _problem(path, label_problem(value), line=line_of(hidden, first_line), column="Area of Responsibility")
    empty = np.logical_and.reduce([codes_where(frame[n], lambda v: not v.strip()) for n in READ]) \
        if len(frame) else np.zeros(0, bool)
    if empty.any():
        raise _problem(path, "a blank line among the records", line=line_of(empty, first_line))
    redacted = {}
    for name in ("Apprehension Date", "Apprehension Method"):
        blank = codes_where(frame[name], lambda v: not v.strip())
        if blank.any():
            raise _problem(path, "missing value", line=line_of(blank, first_line), column=name)
        hidden = codes_where(frame[name], lambda v: REDACTION.match(v))
        if hidden.any():
            raise _problem(path, "redacted: the arrest cannot be " + ("placed in time" if name == "Apprehension Date"
                                                                       else "counted as at large or from a jail"),
                           line=line_of(hidden, first_line), column=name)
    start, end = pd.Timestamp(fiscal_year - 1, 10, 1), pd.Timestamp(fiscal_year, 9, 30)
    column = frame["Apprehension Date"]
    codes = column.cat.codes.to_numpy()
    days = pd.to_datetime(pd.Series(column.cat.categories, dtype="string").str.strip(), format="%m/%d/%Y",
                          errors="coerce")
    for wrong, reason in ((days.isna().to_numpy(), "not a date (M/D/YYYY): {!r}"),
                          (((days < start) | (days > end)).to_numpy(),
                           f"dated {{!r}}, outside FY{fiscal_year} (10/1/{fiscal_year - 1} - 9/30/{fiscal_year}), "
                           "the year the title rows state")):
        if wrong.any():
            mask = np.isin(codes, np.flatnonzero(wrong))
            raise _problem(path, reason.format(str(column.iloc[int(np.flatnonzero(mask)[0])])),
                           line=line_of(mask, first_line), column="Apprehension Date")
    area = _recode(frame["Area of Responsibility"], lambda v: AREA_SUFFIX.sub("", v.strip()) or None)
    landmark = _recode(frame["Apprehension Landmark"],
                       lambda v: None if not v.strip() or REDACTION.match(v) else re.sub(r"\s+", " ", v.strip().upper()))
    redacted["landmark"] = int(codes_where(frame["Apprehension Landmark"], lambda v: REDACTION.match(v)).sum())
    operation = _recode(frame["Operation"], _operation_kind, categories=list(OPERATION))
    redacted["operation"] = int((operation == "redacted").sum())
    records = pd.DataFrame({
        "area": area,
        "arrest_date": pd.DatetimeIndex(days).take(codes),
        "arrest_method": _recode(frame["Apprehension Method"], str.strip),
        "landmark": landmark,
        "operation": operation,
    })
    return YearFile(display_path(path), records, title, request, fiscal_year, header_line,
                    blank_area=int(records["area"].isna().sum()), redacted=redacted)


def _operation_kind(value: str) -> str:
    """What an Operation cell says: no operation recorded, a redacted one (which is not said), or other text."""
    if value.strip() in NO_OPERATION:
        return "none"
    return "redacted" if REDACTION.match(value) else "other"


def _recode(column: pd.Series, change, categories: list[str] | None = None) -> pd.Categorical:
    """`change` applied once per distinct value (None: missing); the result stays categorical."""
    new = [change(str(v)) for v in column.cat.categories]
    unique = pd.Index(categories if categories is not None else sorted({v for v in new if v is not None}))
    mapping = np.append(unique.get_indexer(pd.Index(new, dtype=object)), -1)  # code -1 (missing) stays missing
    return pd.Categorical.from_codes(mapping[column.cat.codes.to_numpy()], categories=unique)


def resources(data_dir: Path) -> list[str]:
    """The names of the package's record files, in fiscal-year order."""
    package = load_descriptor(Path(data_dir) / "raw" / SOURCE / "datapackage.json")
    return [r["name"] for r in package.get("resources", []) if str(r.get("path", "")).endswith((".csv.gz", ".csv"))]


def read_resource(data_dir: Path, resource: str) -> YearFile:
    """One fiscal year's file, after its data package's checks (checksum, size)."""
    folder, descriptor = checked_resource(data_dir, SOURCE, resource)
    return read(folder / descriptor["path"])


def years(data_dir: Path):
    """Each fiscal year's file in turn (one in memory at a time)."""
    for name in resources(data_dir):
        yield read_resource(data_dir, name)


def check(data_dir: Path) -> None:
    """What `data record` runs before recording the source: every year's file reads, and no year twice."""
    seen = {}
    for year in years(data_dir):
        if year.fiscal_year in seen:
            raise _problem(Path(year.path), f"FY{year.fiscal_year} again (also in {seen[year.fiscal_year]})")
        seen[year.fiscal_year] = year.path
