"""ICE's record-level FOIA files as the UW Center for Human Rights converted them: gzip, pipe-delimited, `"` quoting.

Shared by the importers of such files (`ice_aor_arrests`, `ice_national_arrests`), each of which finds the header
row and checks what the columns hold. Here: the records below the header read by pyarrow, every column read as a
categorical (one copy of each distinct value, so millions of rows fit in memory), and the checks every such file
gets, each refusing the file with one line naming it, the line and the column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import limits
from ..errors import DataError, Problem
from ..packages import display_path


def problem(path: Path, reason: str, line: int | None = None, column: str | None = None) -> DataError:
    return DataError(Problem(display_path(path), reason, line=line, column=column))


def check_present(path: Path) -> None:
    """Refuse a missing or an empty file before anything reads it."""
    if not path.exists():
        raise problem(path, "missing file")
    if path.stat().st_size == 0:
        raise problem(path, "empty file")


def records(path: Path, skip: int, names: list[str], columns: list[str], *, blank_is_missing: bool) -> pd.DataFrame:
    """The records after the first `skip` lines, headed `names`: `columns` only, each categorical (a blank value
    missing when `blank_is_missing`, else the empty text). A row with too many or too few fields, or a value that
    runs over two lines, is refused with its line. pyarrow's and the gzip stream's own errors are left to the
    importer, which says what they mean for its file."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad = []

    def invalid(row):
        bad.append(row)
        return "skip"

    text = pa.dictionary(pa.int32(), pa.string())
    with limits.open_data(path) as stream:  # bounded: a gzip bomb or an endless line is refused
        table = pacsv.read_csv(
            stream,
            # One thread: the reader then knows each bad row's line; on a gzip stream it is no slower.
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter="|", quote_char='"', newlines_in_values=False,
                                             ignore_empty_lines=False, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: text for n in columns}, include_columns=columns,
                                                 strings_can_be_null=blank_is_missing,
                                                 quoted_strings_can_be_null=blank_is_missing))
    if bad:
        row = bad[0]
        raise problem(path, f"expected {row.expected_columns} fields, found {row.actual_columns}", line=row.number)
    frame = table.to_pandas()
    for name in columns:  # an empty file body, or an all-blank column, comes back untyped
        if not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("string").astype("category")
    first_line = skip + 1
    for name in columns:
        multi = codes_where(frame[name], lambda v: "\n" in v or "\r" in v)
        if multi.any():
            raise problem(path, "a value runs over two lines", line=line_of(multi, first_line), column=name)
    return frame


def codes_where(column: pd.Series, test) -> np.ndarray:
    """Rows whose value (tested once per distinct value) passes `test`."""
    hits = np.flatnonzero([bool(test(v)) for v in column.cat.categories])
    return np.isin(column.cat.codes.to_numpy(), hits)


def line_of(mask: np.ndarray, first_line: int) -> int:
    """The file line of the first row in `mask`, the records starting on `first_line`."""
    return first_line + int(np.flatnonzero(mask)[0])
