"""Importer for `data/raw/ice-seattle-aor-arrests/`: ICE's record-level arrests for one Area of Responsibility (FOIA).

The file is read exactly as ICE's ERO-LESA Statistical Tracking Unit produced it under FOIA and the
University of Washington Center for Human Rights converted it (SOURCES.md section 8): gzip, pipe-delimited,
`"` quoting; title and blank rows before the header (the last title row names the period and the Area of
Responsibility); dates as M/D/YYYY; redacted fields hold FOIA exemption codes such as `(b)(6),(b)(7)c)`;
"Most Serious Conviction" is blank for a person with no recorded conviction; landmark names are spelled
inconsistently (case, spacing, "CO." / "COUNTY"). The beside file `arrest_locs.csv` is the Center's own
hand coding of landmarks to state (WA, OR, OTHER, AMBIGUOUS): a coding by the Center, not by ICE.

Any file of the same shape (another area's production) is read the same way: the area's name and the
period come from its title row, never from code. A bad row stops the import with one line naming the
file, the line and the column. Date of Birth and Event Number are redacted in every row and never read.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import limits
from ..errors import DataError, Problem
from ..packages import display_path
from ..validate import checked_resource, read_table
from . import pipe_delimited
from .pipe_delimited import codes_where, line_of
from .pipe_delimited import problem as _problem

#: The header ICE's sheet has, and the tidy name of each column read.
COLUMNS = {"Arrest Date": "arrest_date", "Date of Birth": None, "Gender": "gender",
           "Country of Citizenship": "citizenship_country", "Event Number": None,
           "Apprehension Landmark": "landmark", "Arrest Method": "arrest_method",
           "Most Serious Conviction": "conviction"}
READ = [name for name, tidy in COLUMNS.items() if tidy]
#: A FOIA exemption code as ICE writes them, one or several: "(b)(7)e)", "(b)(6),(b)(7)c)", "(b)(7)(C)".
_CODE = r"\(b\)\(\d\)(?:\(?[A-Fa-f]\))?"
REDACTION = re.compile(rf"^\s*{_CODE}(?:\s*,\s*{_CODE})*\s*$")
#: The title row naming the period and the area: "... (01/01/2012 - 07/06/2019) ... for the Seattle Area of Responsibility".
PERIOD = re.compile(r"\((\d{1,2}/\d{1,2}/\d{4})\s*-\s*(\d{1,2}/\d{1,2}/\d{4})\)")
AREA = re.compile(r"\bfor the (.+?) Area of Responsibility\b", re.IGNORECASE)
#: How many lines at the top of the file are searched for the header row.
HEAD_LINES = 40


@dataclass
class AorFile:
    """One FOIA production, tidy: the records and what its title rows state."""

    path: str  # as the user sees it
    records: pd.DataFrame  # arrest_date, gender, citizenship_country, landmark, arrest_method, conviction (+ flags)
    title: list[str]  # the title rows, in order
    area: str  # "Seattle", from the title row
    period_start: pd.Timestamp  # the period the title row states
    period_end: pd.Timestamp
    header_line: int  # line of the header row (1-based); records start on the next line
    redacted: dict[str, int] = field(default_factory=dict)  # per tidy column: values withheld under FOIA


def _head(path: Path) -> pd.DataFrame:
    """The first lines of the file as text cells, blank lines kept, so that row i is line i + 1."""
    try:
        with limits.open_data(path) as handle:  # bounded: a gzip bomb or an endless line is refused
            return pd.read_csv(handle, sep="|", quotechar='"', header=None, nrows=HEAD_LINES, dtype=str,
                               keep_default_na=False, skip_blank_lines=False, encoding="utf-8",
                               on_bad_lines="skip", engine="c")
    except (UnicodeDecodeError, EOFError, OSError, zlib.error) as exc:
        raise _problem(path, f"cannot read the file as gzip-compressed UTF-8 text ({exc})")
    except pd.errors.EmptyDataError:
        raise _problem(path, "empty file")


def _title(path: Path, head: pd.DataFrame) -> tuple[int, list[str]]:
    """The header row's index in `head` and the title rows above it."""
    first = head.iloc[:, 0].fillna("").str.strip()
    found = np.flatnonzero(first.to_numpy() == "Arrest Date")
    if not len(found):
        raise _problem(path, f"no header row (a row starting 'Arrest Date') in the first {HEAD_LINES} lines")
    index = int(found[0])
    limits.check_columns(head.shape[1], display_path(path), index + 1)  # before any parser sees every column
    header = [str(v).strip() for v in head.iloc[index].tolist()]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise _problem(path, "missing required column", line=index + 1, column=", ".join(missing))
    return index, [t for t in first.iloc[:index].tolist() if t]


def _stated(path: Path, title: list[str], header_line: int) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    """The area and the period the title rows state."""
    text = " ".join(title)
    area, period = AREA.search(text), PERIOD.search(text)
    if not area or not period:
        raise _problem(path, "the title rows do not state the period '(M/D/YYYY - M/D/YYYY)' and "
                             "'for the <name> Area of Responsibility'", line=header_line - 1)
    start, end = (pd.to_datetime(d, format="%m/%d/%Y") for d in period.groups())
    return area.group(1).strip(), start, end


def read(path: Path) -> AorFile:
    """Read and validate one production; the records typed, redaction codes as missing values (counted)."""
    path = Path(path)
    pipe_delimited.check_present(path)
    head = _head(path)
    index, title = _title(path, head)
    header_line, first_line = index + 1, index + 2
    area, start, end = _stated(path, title, header_line)
    names = [str(v).strip() for v in head.iloc[index].tolist()]
    import pyarrow as pa

    try:
        frame = pipe_delimited.records(path, index + 1, names, READ, blank_is_missing=True)
    except pa.ArrowInvalid as exc:
        raise _problem(path, f"cannot be read as pipe-delimited UTF-8 text ({str(exc).splitlines()[0]})")
    except (EOFError, OSError, zlib.error) as exc:  # from the gzip stream
        raise _problem(path, f"cannot read the file as gzip-compressed UTF-8 text ({exc})")
    empty = frame[READ].isna().all(axis=1).to_numpy()
    if empty.any():
        raise _problem(path, "a blank line among the records", line=line_of(empty, first_line))
    for name in ("Arrest Date", "Arrest Method"):
        blank = frame[name].isna().to_numpy()
        if blank.any():
            raise _problem(path, "missing value", line=line_of(blank, first_line), column=name)
    redacted, withheld = {}, {}
    for name in READ:
        hidden = codes_where(frame[name], lambda v: REDACTION.match(v))
        if name == "Arrest Date" and hidden.any():
            raise _problem(path, "redacted: the arrest cannot be placed in time",
                           line=line_of(hidden, first_line), column=name)
        redacted[COLUMNS[name]], withheld[name] = int(hidden.sum()), hidden
        if hidden.any():
            frame[name] = frame[name].mask(hidden).cat.remove_unused_categories()
    column = frame["Arrest Date"]
    codes = column.cat.codes.to_numpy()
    days = pd.to_datetime(pd.Series(column.cat.categories, dtype="string"), format="%m/%d/%Y", errors="coerce")
    for wrong, reason in ((days.isna().to_numpy(), "not a date (M/D/YYYY): {!r}"),
                          (((days < start) | (days > end)).to_numpy(),
                           f"dated {{!r}}, outside the period the title row states ({start:%m/%d/%Y} - {end:%m/%d/%Y})")):
        if wrong.any():
            mask = np.isin(codes, np.flatnonzero(wrong))
            value = column.iloc[int(np.flatnonzero(mask)[0])]
            raise _problem(path, reason.format(value), line=line_of(mask, first_line), column="Arrest Date")
    out = pd.DataFrame({
        "arrest_date": pd.DatetimeIndex(days).take(codes),
        "gender": frame["Gender"],
        "citizenship_country": frame["Country of Citizenship"],
        "landmark": _landmark(frame["Apprehension Landmark"]),
        "arrest_method": frame["Arrest Method"],
        "conviction": frame["Most Serious Conviction"],
        # withheld under FOIA, as opposed to blank (no conviction recorded)
        "conviction_redacted": withheld["Most Serious Conviction"],
        "landmark_redacted": withheld["Apprehension Landmark"],
        "arrest_method_redacted": withheld["Arrest Method"],
    })
    return AorFile(display_path(path), out, title, area, start, end, header_line, redacted)


def normalise_landmark(values: pd.Index | pd.Series) -> pd.Index:
    """Landmark names as the Center coded them: upper case, trimmed, inner runs of spaces as one."""
    return pd.Index(values).astype("string").str.strip().str.upper().str.replace(r"\s+", " ", regex=True)


def _landmark(column: pd.Series) -> pd.Categorical:
    """The landmark with its spelling normalised; only the distinct values are touched."""
    normal = normalise_landmark(column.cat.categories)
    unique = pd.Index(normal.unique())
    mapping = np.append(unique.get_indexer(normal), -1)  # code -1 (missing) stays missing
    return pd.Categorical.from_codes(mapping[column.cat.codes.to_numpy()], categories=unique)


def landmark_states(data_dir: Path, source: str) -> pd.DataFrame:
    """The Center's landmark-to-state coding (`arrest_locs`), validated: landmark, state, spelling."""
    table = read_table(data_dir, source, "arrest_locs")
    table = table.rename(columns={"apprehension_landmark": "landmark", "correct": "spelling"})
    table["landmark"] = normalise_landmark(table["landmark"])
    repeated = table["landmark"].duplicated(keep="first")
    if repeated.any():
        raise DataError(Problem(display_path(Path(data_dir, "raw", source, "arrest_locs.csv")),
                                f"landmark coded twice: {table['landmark'][repeated].iloc[0]!r}",
                                line=int(np.flatnonzero(repeated)[0]) + 2, column="apprehension_landmark"))
    return table


def read_source(data_dir: Path, source: str) -> AorFile:
    """The `arrests` resource of a FOIA source folder, after its data package's checks (checksum, size)."""
    folder, descriptor = checked_resource(data_dir, source, "arrests")
    return read(folder / descriptor["path"])


def check(data_dir: Path) -> None:
    """What `data record` runs before recording the source: the records and the Center's coding both read."""
    read_source(data_dir, "ice-seattle-aor-arrests")
    landmark_states(data_dir, "ice-seattle-aor-arrests")
