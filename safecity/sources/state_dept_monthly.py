"""Importer for `data/raw/state-dept-monthly-visas/`: monthly visa issuances by nationality and class.

Each month is one gzipped JSON-lines file parsed from a State Department PDF table by a
third party. The files are read as they are and cleaned here:

* counts are strings, some with thousands separators ("30,855"): parsed strictly; anything
  that is not a whole number (or is negative) is an error naming file, line and key;
* each file ends with a "Grand Total" row (kept apart, and compared with the sum of the rows)
  and footnote rows (text starting with "*", no class, no count: set aside);
* the immigrant files' key for the place was renamed part-way through ("Foreign State of
  Chargeability or Place of Birth" became "or Place of Birth", with the class under "Foreign
  State of Chargeability Visa Class"): the keys are read by role, not by name;
* a few rows hold their three values under spurious keys: either all joined by line breaks
  under one concatenated key ("NationalityVisa ClassIssuances": "Thailand\\nO2\\n1"), or under
  keys that are themselves a table row which the parser took for the field names
  ("Thailand", "R2", "1"). Both are read in order as place, class, count, and such a key row
  is recovered as a row of its own. Every repair is listed in `MonthlyVisas.repairs`;
* place names are mapped to one canonical name by `raw/nationality-crosswalk`; a spelling
  missing from it is an error naming file and line;
* a month without a file (non-immigrant May 2019) is listed in `MonthlyVisas.months` as not
  available: it has no rows, and every monthly series shows it as missing, never as 0.

Reading: each file is unpacked by `safecity.limits` (refused past its limits), and all files of a kind
are parsed in one go by pyarrow's JSON reader. A file in which pyarrow cannot read one text value per key and line (malformed JSON, a
value that is not text, invalid UTF-8, blank lines) is read line by line with the json module, which
names the file and line of the first problem, or reads what pyarrow would not (numbers, blank lines).
The few lines under spurious keys are read again with the json module to repair them.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from .. import cache, limits
from ..errors import DataError, Problem
from ..packages import display_path, load_descriptor
from ..validate import label_problem, resource_descriptor, shown_label
from . import nationalities

SOURCE = "state-dept-monthly-visas"
KINDS = ("nonimmigrant", "immigrant")

#: The keys the parser used for each role, in every version of the files.
PLACE_KEYS = ("Nationality", "Foreign State of Chargeability or Place of Birth", "or Place of Birth")
CLASS_KEYS = ("Visa Class", "Foreign State of Chargeability Visa Class")
COUNT_KEYS = ("Issuances",)
STANDARD_KEYS = PLACE_KEYS + CLASS_KEYS + COUNT_KEYS

FILE_NAME = re.compile(r"(?:.*/)?(\d{4})-(\d{2})-01\.jsonl\.gz")
COUNT = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")
NEGATIVE = re.compile(r"-\s*[\d,.]+")

ISSUANCE_COLUMNS = ["month", "nationality", "visa_class", "issuances"]


@dataclass(frozen=True)
class MonthlyVisas:
    """One kind of visa (non-immigrant or immigrant), tidy, with what the import found along the way.

    issuances: one row per month, nationality (canonical) and visa class; `issuances` > 0.
    months: every month from the first file to the last: month, file, available.
    totals: per file, the "Grand Total" row against the sum of the rows (grand_total is missing
        where a file has none).
    repairs: rows read from spurious keys: file, line, repair.
    spellings: raw spelling (whitespace collapsed) → nationality, with the number of rows.
    """

    kind: str
    issuances: pd.DataFrame
    months: pd.DataFrame
    totals: pd.DataFrame
    repairs: pd.DataFrame
    spellings: pd.DataFrame

    @property
    def missing_months(self) -> list[pd.Timestamp]:
        return list(self.months.loc[~self.months["available"], "month"])


# --------------------------------------------------------------------------- reading


def _files(data_dir: Path, kind: str) -> tuple[Path, list[str]]:
    """The folder and the files of one kind, as listed in the data package (the manifest)."""
    folder, descriptor = resource_descriptor(Path(data_dir), SOURCE, kind)
    paths = descriptor["path"] if isinstance(descriptor["path"], list) else [descriptor["path"]]
    return folder, sorted(paths)


def _month(path: str, shown: str) -> pd.Timestamp:
    match = FILE_NAME.fullmatch(path)
    if not match:
        raise DataError(Problem(shown, "file name must be YYYY-MM-01.jsonl.gz (the month it covers)"))
    return pd.Timestamp(int(match.group(1)), int(match.group(2)), 1)


def _decompress(path: Path, shown: str) -> bytes:
    data = limits.read_data(path, shown)  # refuses a file that decompresses past the limit, as it reads
    if not data or data.isspace():
        raise DataError(Problem(shown, "empty file"))
    return data


def _line_count(blob: bytes) -> int:
    return blob.count(b"\n") + (0 if blob.endswith(b"\n") else 1)


def _text_value(value, shown: str, line: int, key: str):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        raise DataError(Problem(shown, "expected a text or number value, found a nested JSON value", line=line,
                                column=key))
    return str(value)


@dataclass
class _Rows:
    """Parsed lines of every file of a kind: one pyarrow string column per key, plus where each row came from."""

    table: pa.Table
    file: np.ndarray
    line: np.ndarray


def _parse_line(raw: bytes, shown: str, number: int) -> dict | None:
    """One line read with the json module (None for a blank line); problems name the file and line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(Problem(shown, f"not valid utf-8 text (byte 0x{raw[exc.start]:02x})", line=number))
    if not text.strip():
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(Problem(shown, f"malformed JSON ({exc.msg} at character {exc.colno})", line=number))
    if not isinstance(obj, dict):
        raise DataError(Problem(shown, f"expected a JSON object, found {type(obj).__name__}", line=number))
    return {k: _text_value(v, shown, number, k) for k, v in obj.items()}


def _records_table(records: list[dict]) -> pa.Table:
    keys = list(dict.fromkeys(k for record in records for k in record))
    return pa.table({k: pa.array([r.get(k) for r in records], type=pa.string()) for k in keys})


def _parse_json(blob: bytes, shown: str) -> tuple[pa.Table, np.ndarray]:
    """One file line by line with the json module: (one string column per key, line numbers); raises
    naming the first line it cannot read."""
    records, lines = [], []
    for number, line in enumerate(blob.split(b"\n"), start=1):
        record = _parse_line(line, shown, number)
        if record is not None:
            records.append(record)
            lines.append(number)
    return _records_table(records), np.asarray(lines, dtype="int64")


def _parse_pyarrow(blobs: list[bytes]) -> pa.Table | None:
    """Files in one pyarrow parse, one string column per key and one row per line; None where pyarrow
    cannot read them as such (malformed JSON, a value that is not text, invalid UTF-8, blank lines)."""
    joined = b"".join(b if b.endswith(b"\n") else b + b"\n" for b in blobs)
    try:  # (an explicit schema makes pyarrow's parser slower here, not faster)
        table = pj.read_json(io.BytesIO(joined), read_options=pj.ReadOptions(use_threads=False, block_size=1 << 20))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != sum(_line_count(b) for b in blobs):  # blank lines were skipped
        return None
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_null(column.type):
            column = column.cast(pa.string())
        elif not pa.types.is_string(column.type):
            return None
        columns[name] = column
    strings = pa.table(columns)
    try:  # pyarrow's JSON reader lets invalid UTF-8 through
        strings.validate(full=True)
    except pa.ArrowInvalid:
        return None
    return strings


#: The line breaks these files hold (a footnote's lines; the values run together under one key).
_LINE_BREAK = "\n"


def _refuse_labels(rows: _Rows, shown: list[str]) -> None:
    """Every key and text value of every line checked as a label (`validate.label_problem`): the first refused one
    is one line naming the file, line and key. Arrow's `utf8_is_printable` (what `str.isprintable` accepts) finds
    the rows; only those are looked at one by one."""
    for name, column in zip(rows.table.column_names, rows.table.columns):
        printable = pc.utf8_is_printable(pc.replace_substring(column, _LINE_BREAK, " "))
        candidates = pc.indices_nonzero(pc.invert(printable).fill_null(False))
        if label_problem(name, _LINE_BREAK):  # the key itself: named on the first line that has it
            candidates = pc.indices_nonzero(pc.is_valid(column))
        for index in candidates.to_pylist()[:1000]:
            value = column[index].as_py()
            reason = label_problem(name, _LINE_BREAK) or label_problem(value or "", _LINE_BREAK)
            if reason:
                raise DataError(Problem(shown[int(rows.file[index])], reason, line=int(rows.line[index]), column=shown_label(name)))


def _parse(blobs: list[bytes], shown: list[str]) -> _Rows:
    """Every line of every file of a kind: all at once with pyarrow; if that fails, file by file, and
    only the files pyarrow cannot read line by line with the json module. Labels are checked
    (`_refuse_labels`)."""
    rows = _read(blobs, shown)
    _refuse_labels(rows, shown)
    return rows


def _read(blobs: list[bytes], shown: list[str]) -> _Rows:
    counts = [_line_count(b) for b in blobs]
    table = _parse_pyarrow(blobs)
    if table is not None:
        starts = np.cumsum([0] + counts[:-1])
        file_index = np.repeat(np.arange(len(blobs)), counts)
        return _Rows(table, file_index, np.arange(table.num_rows) - starts[file_index] + 1)
    tables, lines = [], []
    for blob, name in zip(blobs, shown):
        table = _parse_pyarrow([blob])
        if table is None:
            table, numbers = _parse_json(blob, name)
        else:
            numbers = np.arange(1, table.num_rows + 1)
        tables.append(table)
        lines.append(numbers)
    file_index = np.repeat(np.arange(len(blobs)), [len(n) for n in lines])
    return _Rows(pa.concat_tables(tables, promote_options="default"), file_index, np.concatenate(lines))


# --------------------------------------------------------------------------- cleaning


def _role(rows: _Rows, keys: tuple[str, ...], shown: list[str]):
    """The one value among `keys` in each row (a pyarrow array); values under two of them is an error."""
    present = [k for k in keys if k in rows.table.column_names]
    if not present:
        return pa.nulls(rows.table.num_rows, pa.string())
    if len(present) > 1:
        valid = sum(np.asarray(pc.is_valid(rows.table[k])).astype("int8") for k in present)
        if (valid > 1).any():
            i = int(np.argmax(valid > 1))
            used = [k for k in present if rows.table[k][i].is_valid]
            raise DataError(Problem(shown[rows.file[i]], f"values under both {used[0]!r} and {used[1]!r}",
                                    line=int(rows.line[i])))
        return pc.coalesce(*[rows.table[k] for k in present]).combine_chunks()
    return rows.table[present[0]].combine_chunks()


def _encode(values) -> tuple[np.ndarray, list]:
    """Dictionary-encode a pyarrow string array: (codes with -1 for null, distinct values)."""
    encoded = pc.dictionary_encode(values)
    if hasattr(encoded, "combine_chunks"):
        encoded = encoded.combine_chunks()
    codes = np.asarray(encoded.indices.fill_null(-1), dtype="int64")
    return codes, encoded.dictionary.to_pylist()


def _count(text: str) -> tuple[int, str]:
    """(value, "") for a valid count, else (0, reason)."""
    text = text.strip()
    if text.isdecimal():  # the common case, as COUNT would match it
        return int(text), ""
    if COUNT.fullmatch(text):
        return int(text.replace(",", "")), ""
    if NEGATIVE.fullmatch(text):
        return 0, f"negative count '{text}'"
    if not text:
        return 0, "missing count"
    return 0, f"count is not a whole number: '{text}'"


def _counts(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """`_count` of each value, and of no value last (for code -1): (numbers, reasons).

    Plain ASCII counts ("1234", "30,855") are read by pyarrow at once; the rest one by one.
    """
    array = pa.array(values, type=pa.string())
    plain = pc.match_substring_regex(array, r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)$").to_numpy(zero_copy_only=False)
    numbers = np.zeros(len(values) + 1, dtype="int64")
    numbers[:-1][plain] = pc.cast(pc.replace_substring(array.filter(plain), ",", ""), pa.int64()).to_numpy()
    reasons = [""] * len(values) + ["missing count"]
    for i in np.flatnonzero(~plain).tolist():
        numbers[i], reasons[i] = _count(values[i])
    return numbers, reasons


def _spurious(rows: _Rows, positions: np.ndarray, blobs: list[bytes],
              shown: list[str]) -> tuple[list[tuple], list[dict]]:
    """Read rows that have no value under the table's keys. Returns (rows, repairs).

    Rows come back as (place, visa_class, count, count_key, file, line).
    """
    lines_of: dict[int, list[bytes]] = {}
    out, repairs, recovered = [], [], set()
    spurious: dict[tuple, list[int]] = {}
    for position in positions:
        file_index, line = int(rows.file[position]), int(rows.line[position])
        if file_index not in lines_of:
            lines_of[file_index] = blobs[file_index].split(b"\n")
        obj = json.loads(lines_of[file_index][line - 1])
        pairs = [(k, v) for k, v in obj.items() if v is not None]
        name = shown[file_index]
        keys = [k for k, _ in pairs]
        if len(pairs) == 1 and pairs[0][0] not in STANDARD_KEYS and pairs[0][0].endswith("Issuances"):
            key, value = pairs[0]
            parts = [p.strip() for p in str(value).split("\n")]
            if len(parts) == 3 and COUNT.fullmatch(parts[2]):
                out.append((parts[0], parts[1], parts[2], key, file_index, line))
                repairs.append({"file": name, "line": line,
                                "repair": f"place, class and count joined by line breaks under the key {key!r} "
                                          f"({' / '.join(parts)}): split"})
            elif len(parts) == 2 and nationalities.clean(parts[0]).casefold() == "grand total":
                out.append((parts[0], "", parts[1], key, file_index, line))
                repairs.append({"file": name, "line": line,
                                "repair": f"'Grand Total' and its count joined under the key {key!r}: split"})
            elif str(value).lstrip().startswith("*"):
                out.append((str(value), "", "", key, file_index, line))
            else:
                raise DataError(Problem(name, f"cannot read the value under the key {key!r}", line=line))
        elif len(pairs) == 3 and not set(keys) & set(STANDARD_KEYS):
            (k1, place), (k2, visa_class), (k3, count) = pairs
            if (file_index, tuple(keys)) not in recovered and COUNT.fullmatch(k3.strip()) and k2.strip():
                # The key row came first in the table: it is placed before the first row read under it.
                recovered.add((file_index, tuple(keys)))
                out.append((k1, k2, k3, k3, file_index, line))
                repairs.append({"file": name, "line": line,
                                "repair": f"the keys {keys!r} are a table row the parser took for field names: "
                                          "recovered as a row"})
            out.append((str(place), str(visa_class), str(count), k3, file_index, line))
            spurious.setdefault((file_index, tuple(keys)), []).append(line)
        else:
            raise DataError(Problem(name, f"unexpected keys {keys!r}", line=line))
    for (file_index, keys), lines in spurious.items():
        repairs.append({"file": shown[file_index], "line": lines[0],
                        "repair": f"{len(lines)} rows (lines {lines[0]}-{lines[-1]}) under the spurious keys "
                                  f"{list(keys)!r}: read in order as place, class, count"})
    return out, repairs


@dataclass
class _Roles:
    """Every row's place, class and count, each as (codes, distinct values) with code -1 for no value;
    where each row came from; the key a count was read under where it was not "Issuances" (by row);
    and the repairs made."""

    place: tuple[np.ndarray, list]
    visa_class: tuple[np.ndarray, list]
    count: tuple[np.ndarray, list]
    file: np.ndarray
    line: np.ndarray
    count_key: dict[int, str]
    repairs: list[dict]


@dataclass
class _Standard:
    """Rows with their values by role (pyarrow string arrays), in file and line order."""

    place: pa.Array
    visa_class: pa.Array
    count: pa.Array
    file: np.ndarray
    line: np.ndarray
    count_key: dict[int, str]
    repairs: list[dict]


def _standardise(rows: _Rows, blobs: list[bytes], shown: list[str]) -> _Standard:
    """Read each row's values by role, whatever the keys were called, and repair spurious keys."""
    place, visa_class, count = (_role(rows, keys, shown) for keys in (PLACE_KEYS, CLASS_KEYS, COUNT_KEYS))
    standard = (np.asarray(pc.is_valid(place)) | np.asarray(pc.is_valid(visa_class))
                | np.asarray(pc.is_valid(count)))
    extra = [c for c in rows.table.column_names if c not in STANDARD_KEYS]
    for key in extra:
        mixed = standard & np.asarray(pc.is_valid(rows.table[key]))
        if mixed.any():
            i = int(np.argmax(mixed))
            raise DataError(Problem(shown[rows.file[i]], f"values under the table's keys and under {key!r}",
                                    line=int(rows.line[i])))
    file_index, line = rows.file, rows.line
    count_key: dict[int, str] = {}  # row position -> key the count was under, where not "Issuances"
    repairs: list[dict] = []
    if not standard.all():
        odd, repairs = _spurious(rows, np.nonzero(~standard)[0], blobs, shown)
        keep = pa.array(standard)
        odd_columns = list(zip(*odd)) if odd else [[]] * 6
        place = pa.concat_arrays([place.filter(keep), pa.array(odd_columns[0], type=pa.string())])
        visa_class = pa.concat_arrays([visa_class.filter(keep), pa.array(odd_columns[1], type=pa.string())])
        count = pa.concat_arrays([count.filter(keep), pa.array(odd_columns[2], type=pa.string())])
        odd_keys = np.asarray(odd_columns[3], dtype=object)
        file_index = np.concatenate([file_index[standard], np.asarray(odd_columns[4], dtype="int64")])
        line = np.concatenate([line[standard], np.asarray(odd_columns[5], dtype="int64")])
        order = np.lexsort((line, file_index))
        take = pa.array(order)
        place, visa_class, count = place.take(take), visa_class.take(take), count.take(take)
        file_index, line = file_index[order], line[order]
        n_standard = int(standard.sum())
        moved = np.nonzero(order >= n_standard)[0]
        count_key = dict(zip(moved.tolist(), odd_keys[order[moved] - n_standard].tolist()))

    return _Standard(place, visa_class, count, file_index, line, count_key, repairs)


def _read_rows(blobs: list[bytes], shown: list[str]) -> _Roles:
    """Every row of a kind by role, each role dictionary-encoded."""
    rows = _standardise(_parse(blobs, shown), blobs, shown)
    return _Roles(_encode(rows.place), _encode(rows.visa_class), _encode(rows.count), rows.file, rows.line,
                  rows.count_key, rows.repairs)


@dataclass
class _Files:
    """The files of one kind, as listed in the data package, and their text."""

    kind: str
    shown: list[str]
    months: list[pd.Timestamp]
    blobs: list[bytes]


def _open(data_dir: Path, kind: str) -> _Files:
    folder, paths = _files(data_dir, kind)
    base = display_path(folder)  # (once: it asks the OS for the working folder)
    shown = [os.path.normpath(os.path.join(base, p)) for p in paths]
    months = [_month(p, s) for p, s in zip(paths, shown)]
    if len(set(months)) != len(months):
        raise DataError(Problem(display_path(folder / "datapackage.json"), f"{kind}: two files for the same month"))
    return _Files(kind, shown, months, [_decompress(folder / p, s) for p, s in zip(paths, shown)])


def _read_kind(files: _Files, rows: _Roles, crosswalk: nationalities.Crosswalk) -> MonthlyVisas:
    """The tidy tables of one kind from its rows read by role."""
    kind, shown, months = files.kind, files.shown, files.months
    file_index, line, count_key, repairs = rows.file, rows.line, rows.count_key, rows.repairs

    # Work on distinct values (a few hundred places and classes, a few thousand counts), then on the
    # few rows that are odd in any way: grand totals, footnotes, empty values, bad counts.
    p_codes, p_values = rows.place
    p_clean = [nationalities.clean(v) for v in p_values]
    is_total_v = _flags([v.casefold() == "grand total" for v in p_clean], False)
    starred_v = _flags([v.startswith("*") for v in p_clean], False)
    p_empty_v = _flags([not v for v in p_clean], True)
    c_codes, c_values = rows.visa_class
    c_clean = [v.strip() for v in c_values]
    c_empty_v = _flags([not v for v in c_clean], True)
    n_codes, n_values = rows.count
    number_v, reason_v = _counts(n_values)
    n_empty_v = _flags([not v.strip() for v in n_values], True)
    n_odd_v = n_empty_v | np.array([bool(r) for r in reason_v])

    odd = np.flatnonzero((is_total_v | starred_v | p_empty_v)[p_codes] | c_empty_v[c_codes] | n_odd_v[n_codes])
    o_p, o_c, o_n = p_codes[odd], c_codes[odd], n_codes[odd]
    is_total, c_empty, p_empty = is_total_v[o_p], c_empty_v[o_c], p_empty_v[o_p]
    is_note = ~is_total & c_empty & n_empty_v[o_n]
    if (is_note & ~starred_v[o_p]).any():
        i = int(odd[np.argmax(is_note & ~starred_v[o_p])])
        raise DataError(Problem(shown[file_index[i]], f"row '{p_clean[p_codes[i]] if p_codes[i] >= 0 else ''}' has no "
                                "visa class and no count", line=int(line[i])))
    o_data = ~is_total & ~is_note
    problems = []
    for mask, column, message in ((o_data & p_empty, "place", "missing place name"),
                                  (o_data & c_empty, "Visa Class", "missing visa class")):
        if mask.any():
            i = int(odd[np.argmax(mask)])
            problems.append(Problem(shown[file_index[i]], message, line=int(line[i]), column=column))
    for i in odd[(o_data | is_total) & np.array([bool(reason_v[n]) for n in o_n], dtype=bool)][:20].tolist():
        problems.append(Problem(shown[file_index[i]], reason_v[n_codes[i]], line=int(line[i]),
                                column=count_key.get(i, "Issuances")))
    if problems:
        raise DataError(problems)

    # The data rows are all but the grand totals and footnotes, a few per file: rather than copy every
    # column without them, the rows to drop are collected and dropped once, at the end.
    total_at = odd[is_total]
    not_data = odd[~o_data]
    n_files = len(shown)
    bounds = np.searchsorted(file_index, np.arange(n_files + 1, dtype=file_index.dtype))  # rows in file order

    # Canonical names: unknown spellings are reported with the first file and line they occur on.
    per_spelling = np.bincount(p_codes, minlength=len(p_values))
    np.subtract.at(per_spelling, p_codes[not_data], 1)
    unknown = sorted({p_clean[c] for c in np.flatnonzero(per_spelling) if p_clean[c] not in crosswalk.lookup})
    if unknown:
        problems = []
        for name in unknown:
            rows_of = np.flatnonzero(np.array([v == name for v in p_clean] + [False])[p_codes])
            i = int(rows_of[~np.isin(rows_of, not_data)][0])
            problems.append(Problem(shown[file_index[i]], f"unknown place name '{name}': add it to {crosswalk.file}",
                                    line=int(line[i]), column="place"))
        raise DataError(problems)
    canonical = [crosswalk.lookup.get(v, "") for v in p_clean]
    canon_names = list(dict.fromkeys(canonical))
    canon_of = {name: i for i, name in enumerate(canon_names)}
    nat_code = np.array([canon_of[v] for v in canonical], dtype=np.int32)[p_codes]
    class_names = list(dict.fromkeys(c_clean))
    class_of = {name: i for i, name in enumerate(class_names)}
    cls_code = np.array([class_of[v] for v in c_clean] + [0], dtype=np.int32)[c_codes]
    number = number_v[n_codes]
    number[not_data] = 0

    # Grand totals, kept apart and checked against the sum of the rows.
    total_files = file_index[total_at]
    if len(np.unique(total_files)) != len(total_files):
        i = int(total_at[np.argmax(pd.Series(total_files).duplicated().to_numpy())])
        raise DataError(Problem(shown[file_index[i]], "a second 'Grand Total' row", line=int(line[i])))
    running = np.concatenate([[0], np.cumsum(number)])
    rows_total = np.diff(running[bounds])
    has_total = np.zeros(n_files, dtype=bool)
    has_total[total_files] = True
    grand, total_line = np.zeros(n_files, dtype="int64"), np.zeros(n_files, dtype="int64")
    grand[total_files] = number_v[n_codes[total_at]]
    total_line[total_files] = line[total_at]
    totals = pd.DataFrame({"month": np.asarray(months, dtype="datetime64[us]"), "file": pd.array(shown, dtype="str"),
                           "line": _missing_where_not(total_line, has_total),
                           "grand_total": _missing_where_not(grand, has_total), "rows_total": rows_total,
                           "difference": _missing_where_not(grand - rows_total, has_total)})

    # A month, nationality and class repeated in the source is summed into its first row (and reported).
    size = len(canon_names) * len(class_names)
    key = nat_code.astype("int64") * len(class_names) + cls_code
    key[not_data] = size + np.arange(len(not_data))  # (each its own key: never a repeat)
    later = _repeats(bounds, key, size + len(not_data))
    drop = not_data
    if later.any():
        for repeated in np.unique(file_index[later].astype("int64") * size + key[later]).tolist():
            lo, hi = bounds[repeated // size], bounds[repeated // size + 1]
            at = lo + np.flatnonzero(key[lo:hi] == repeated % size)
            repairs.append({"file": shown[int(file_index[at[0]])], "line": int(line[at[-1]]),
                            "repair": f"{canon_names[nat_code[at[0]]]}, class {class_names[cls_code[at[0]]]} on lines "
                                      f"{', '.join(str(v) for v in line[at])} "
                                      f"({' + '.join(str(v) for v in number[at])}): summed"})
            number[at[0]] = number[at].sum()
        drop = np.union1d(not_data, np.flatnonzero(later))
    month_of_file = np.asarray(months, dtype="datetime64[us]")
    tidy = _Tidy(month_of_file[_without(file_index, drop)], canon_names, _without(nat_code, drop), class_names,
                 _without(cls_code, drop), _without(number, drop))

    found: dict[tuple[str, str], int] = {}
    for spelling, name, n in zip(p_clean, canonical, per_spelling.tolist()):
        if n:
            found[spelling, name] = found.get((spelling, name), 0) + n
    ordered = sorted(found)
    spellings = pd.DataFrame({"spelling": pd.array([s for s, _ in ordered], dtype="str"),
                              "nationality": pd.array([n for _, n in ordered], dtype="str"),
                              "rows": np.array([found[k] for k in ordered], dtype="int64")})

    full = np.arange(min(month_of_file).astype("datetime64[M]"), max(month_of_file).astype("datetime64[M]") + 1,
                     dtype="datetime64[M]").astype("datetime64[us]")
    file_of = dict(zip(month_of_file.tolist(), shown))
    month_table = pd.DataFrame({"month": full,
                                "file": pd.array([file_of.get(m) for m in full.tolist()], dtype="str"),
                                "available": np.array([m in file_of for m in full.tolist()], dtype=bool)})
    repairs = sorted(repairs, key=lambda r: (r["file"], r["line"]))
    repairs_table = pd.DataFrame({"file": pd.array([r["file"] for r in repairs], dtype="str"),
                                  "line": np.array([r["line"] for r in repairs], dtype="int64"),
                                  "repair": pd.array([r["repair"] for r in repairs], dtype="str")})
    return MonthlyVisas(kind=kind, issuances=tidy.frame(), months=month_table, totals=totals, repairs=repairs_table,
                        spellings=spellings)


@dataclass
class _Tidy:
    """The tidy rows as arrays: month, codes into the names, issuances."""

    month: np.ndarray
    nationalities: list[str]
    nationality: np.ndarray
    visa_classes: list[str]
    visa_class: np.ndarray
    issuances: np.ndarray

    def frame(self) -> pd.DataFrame:
        """The rows as a tidy table."""
        return pd.DataFrame({"month": self.month,
                             "nationality": _strings(self.nationalities, self.nationality),
                             "visa_class": _strings(self.visa_classes, self.visa_class),
                             "issuances": self.issuances.astype("int64", copy=False)})


def _missing_where_not(values: np.ndarray, present: np.ndarray) -> pd.arrays.IntegerArray:
    """`values` as a nullable Int64 column, missing where `present` is False."""
    return pd.arrays.IntegerArray(values.astype("int64"), ~present)


def _flags(values: list[bool], missing: bool) -> np.ndarray:
    """One flag per distinct value, and `missing` last (for code -1: no value)."""
    return np.array(values + [missing], dtype=bool)


def _without(values: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """`values` without the positions `drop` (ascending and few: copied in slices)."""
    if not len(drop):
        return values
    bounds = [-1] + drop.tolist() + [len(values)]
    return np.concatenate([values[a + 1:b] for a, b in zip(bounds, bounds[1:])])


def _repeats(bounds: np.ndarray, key: np.ndarray, size: int) -> np.ndarray:
    """True for each row whose key (0 <= key < size) came earlier in the same file (file f is rows
    bounds[f] to bounds[f + 1])."""
    later = np.zeros(len(key), dtype=bool)
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        part = key[lo:hi]
        if np.bincount(part, minlength=size).max(initial=0) > 1:  # counting: cheaper than hashing
            later[lo:hi] = pd.Series(part).duplicated(keep="first").to_numpy()
    return later


def _strings(names: list[str], codes: np.ndarray) -> pd.arrays.ArrowStringArray:
    """names[codes] as a pandas string column, built by pyarrow without a Python object per row."""
    return pd.array(pa.array(names, type=pa.string()).take(pa.array(codes)), dtype="str")


def read(data_dir: Path, kind: str) -> MonthlyVisas:
    """Import one kind ("nonimmigrant" or "immigrant") from the raw files, without any cache."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    files = _open(Path(data_dir), kind)
    return _read_kind(files, _read_rows(files.blobs, files.shown), nationalities.crosswalk(Path(data_dir)))


def read_all(data_dir: Path) -> dict[str, MonthlyVisas]:
    """Both kinds from the raw files, without any cache."""
    return {kind: read(data_dir, kind) for kind in KINDS}


@cache.tidy(SOURCE, nationalities.SOURCE)
def load(data_dir: Path, kind: str) -> MonthlyVisas:
    """Like `read`, but from the tidy-table cache (`safecity.cache`) when the raw files are unchanged."""
    return read(data_dir, kind)


def fetch_status(data_dir: Path) -> dict:
    """When the monthly visa files were last fetched and up to which month they reach, from the data package.

    Returns {"fetched": "YYYY-MM-DD", "latest_month": "YYYY-MM", "latest_month_by_kind": {kind: "YYYY-MM"},
    "fetched_by": "data fetch" or "by hand"}. `fetched` is the date `python -m safecity data fetch` last added a
    month (the package's `fetched.date`), or, before any fetch, the date the files were copied in (`retrieved`).
    `latest_month` is the last month that both kinds reach (as the visa chapter's "latest twelve months"), read
    from the files the package lists; `latest_month_by_kind` gives each kind's own. Never the build clock.
    """
    package = Path(data_dir, "raw", SOURCE, "datapackage.json")
    descriptor = load_descriptor(package)
    by_kind = {}
    for kind in KINDS:
        _, paths = _files(Path(data_dir), kind)
        months = [_month(p, display_path(package)) for p in paths]
        if not months:
            raise DataError(Problem(display_path(package), f"resource '{kind}' lists no file"))
        by_kind[kind] = f"{max(months):%Y-%m}"
    fetched = descriptor.get("fetched", {}).get("date")
    return {"fetched": fetched or descriptor.get("retrieved"), "latest_month": min(by_kind.values()),
            "latest_month_by_kind": by_kind, "fetched_by": "data fetch" if fetched else "by hand"}
