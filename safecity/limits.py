"""Limits that no real source reaches, so that a hostile or broken input is refused before it exhausts the machine.

Every data file the project reads itself goes through one bounded reader, `open_data`: a gzip file is
decompressed as a stream, and the bytes read (after decompression) and the length of each line are counted
as they go. Past a limit the read stops with one line naming the file and the limit; nothing larger than a
block is ever held for the check. `read_data` is the same, returning the bytes; `scan` reads a file through
to the end without keeping it (a check before a parser that cannot be bounded, such as frictionless, sees
the file); `check_header` bounds a table's width before any parser sees its header.

| setting (environment variable) | default | largest real value in `data/raw` (and the national ICE files) |
|---|---|---|
| `SAFECITY_MAX_DATA_BYTES`: bytes a data file may hold, after decompression | 256 MiB | 26.7 MB (`EROArrests_FY2018.csv.gz`) |
| `SAFECITY_MAX_LINE_BYTES`: bytes one line may hold | 1 MiB | 1,066 (`claims.csv`) |
| `SAFECITY_MAX_COLUMNS`: columns a table's header may have | 1,000 | 98 (`niv-detail-fy2016.csv`) |
| `SAFECITY_MAX_RESPONSE_BYTES`: bytes one fetched file may hold | 64 MiB | 0.43 MB (a month of visas) |

The fetch deadline (connecting, headers and body of one request) is `data fetch --timeout`, see `safecity.fetch`.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
import zlib
from pathlib import Path

from .errors import DataError, Problem
from .packages import display_path

MiB = 1 << 20
#: name: (environment variable, default)
SETTINGS = {
    "data_bytes": ("SAFECITY_MAX_DATA_BYTES", 256 * MiB),
    "line_bytes": ("SAFECITY_MAX_LINE_BYTES", 1 * MiB),
    "columns": ("SAFECITY_MAX_COLUMNS", 1000),
    "response_bytes": ("SAFECITY_MAX_RESPONSE_BYTES", 64 * MiB),
}
#: How much is decompressed and counted at a time.
BLOCK = 1 << 16


def limit(name: str) -> int:
    """The limit `name` (a key of SETTINGS): its environment variable when set, else the default."""
    variable, default = SETTINGS[name]
    value = os.environ.get(variable, "").replace("_", "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) <= 0:
        raise DataError(Problem(variable, f"must be a whole number of {'columns' if name == 'columns' else 'bytes'}, "
                                          f"not {os.environ[variable]!r}"))
    return int(value)


def settings_problems() -> list[Problem]:
    """Each limit set to something that is not a positive whole number: one problem each."""
    found = []
    for name in SETTINGS:
        try:
            limit(name)
        except DataError as exc:
            found += exc.problems
    return found


def size(count: int) -> str:
    """A byte count as a reader reads it: "256 MiB", "1,066 bytes"."""
    return f"{count / MiB:,.4g} MiB" if count >= MiB else f"{count:,} bytes"


def _shown(path: Path) -> str:
    return display_path(path)


class _Bounded(io.RawIOBase):
    """A binary stream (decompressed if gzip) that refuses to yield more than the data limit in all, or a line
    longer than the line limit."""

    def __init__(self, source, shown: str, max_bytes: int, max_line: int, raw=None):
        self.source, self.raw, self.shown = source, raw, shown
        self.max_bytes, self.max_line = max_bytes, max_line
        self.block = min(BLOCK, max_line)  # so that a line inside one block is never over the limit
        self.total = 0  # bytes yielded
        self.lines = 0  # line breaks yielded
        self.run = 0  # bytes since the last line break

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.source.read(min(len(buffer), self.block))  # a gzip error is the caller's to word
        n = len(chunk)
        self.total += n
        if self.total > self.max_bytes:
            unpacked = " (after decompression)" if self.raw is not None else ""
            raise DataError(Problem(self.shown, f"holds more than {size(self.max_bytes)}{unpacked}; "
                                                f"no real source comes near (limit: {SETTINGS['data_bytes'][0]})"))
        first = chunk.find(b"\n")
        if (self.run + (n if first < 0 else first)) > self.max_line:
            raise DataError(Problem(self.shown, f"a line longer than {size(self.max_line)}; no real source comes "
                                                f"near (limit: {SETTINGS['line_bytes'][0]})", line=self.lines + 1))
        if first < 0:
            self.run += n
        else:
            self.lines += chunk.count(b"\n")
            self.run = n - chunk.rfind(b"\n") - 1
        buffer[:n] = chunk
        return n

    def close(self):
        if not self.closed:
            self.source.close()
            if self.raw is not None:
                self.raw.close()
        super().close()


def open_data(path: Path, shown: str | None = None) -> io.BufferedReader:
    """A data file opened for reading in binary, decompressed if its name ends in .gz, bounded by the limits:
    reading past one raises DataError naming the file (and the line, for a line too long)."""
    path = Path(path)
    shown = shown or _shown(path)
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise DataError(Problem(shown, "missing file"))
    source = gzip.GzipFile(fileobj=raw, mode="rb") if path.name.endswith(".gz") else raw
    bounded = _Bounded(source, shown, limit("data_bytes"), limit("line_bytes"),
                       raw=raw if source is not raw else None)
    return io.BufferedReader(bounded, buffer_size=BLOCK)


def read_data(path: Path, shown: str | None = None) -> bytes:
    """A data file's bytes (decompressed if .gz), refused with DataError past a limit."""
    out = io.BytesIO()
    with _unreadable(path, shown), open_data(path, shown) as handle:
        while block := handle.read(BLOCK):
            out.write(block)
    return out.getvalue()


def scan(path: Path, shown: str | None = None) -> None:
    """Read a data file through to its end without keeping it: DataError past a limit."""
    with _unreadable(path, shown), open_data(path, shown) as handle:
        while handle.read(BLOCK):
            pass


@contextlib.contextmanager
def _unreadable(path: Path, shown: str | None):
    """A file that is not gzip (or is cut short) as one line."""
    try:
        yield
    except (OSError, EOFError, zlib.error) as exc:
        what = "not a readable gzip file" if Path(path).name.endswith(".gz") else "cannot be read"
        raise DataError(Problem(shown or _shown(path), f"{what} ({exc})"))


def check_zip(path: Path, shown: str | None = None) -> None:
    """A zip container (an .xlsx workbook) whose members would decompress past the data limit is refused.
    Python's zipfile never yields more than a member's recorded size, so the recorded sizes bound it."""
    import zipfile

    shown = shown or _shown(path)
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(Problem(shown, f"not a readable xlsx workbook ({type(exc).__name__}: {exc})"))
    if total > limit("data_bytes"):
        raise DataError(Problem(shown, f"holds more than {size(limit('data_bytes'))} (after decompression); "
                                       f"no real source comes near (limit: {SETTINGS['data_bytes'][0]})"))


def check_header(path: Path, shown: str | None = None, delimiter: str = ",", line: int = 1,
                 encoding: str = "utf-8") -> None:
    """Refuse a table whose header (line `line`) has more columns than the limit, before a parser sees it:
    parsers and validators spend time and memory that grow faster than the width."""
    shown = shown or _shown(path)
    with open_data(path, shown) as handle:
        for _ in range(line):
            header = handle.readline(limit("line_bytes") + 1)
    text = header.decode(encoding, errors="replace")
    check_columns(len(next(csv.reader([text.rstrip("\r\n")], delimiter=delimiter), [])), shown, line)


def check_columns(columns: int, shown: str, line: int) -> None:
    """Refuse a header (on line `line` of the file shown as `shown`) of more columns than the limit."""
    if columns > limit("columns"):
        raise DataError(Problem(shown, f"a header of {columns:,} columns, more than {limit('columns'):,}; no real "
                                       f"source comes near (limit: {SETTINGS['columns'][0]})", line=line))
