"""Validate inputs against their Frictionless Data Package descriptions.

Each source folder `data/raw/<source>/` has a `datapackage.json` describing its
files: provenance, checksum, and for CSV tables a Table Schema (types,
constraints, keys). Schema checks are done by the `frictionless` library; this
module adds what it does not check strictly (declared encoding, empty files) and
turns every finding into a one-line :class:`~safecity.errors.Problem`.

Validation runs once: `python -m safecity check` (the first step of every run and build) checks
everything, and a passed schema check is remembered in the content-keyed cache (`safecity.cache`),
so the importers' own calls inside the notebooks find it there. Within one process, each resource
is validated, and each `datapackage.json` read, once while its files are unchanged.
"""

from __future__ import annotations

import functools
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from . import ROOT, cache, limits
from .errors import DataError, Problem
# LINKED is unused here: tests/test_boundary.py still reads it as `validate.LINKED`.
from .packages import (LINKED, boundary_problems, display_path, inside, load_descriptor, package_paths,  # noqa: F401
                       resource_files, sha256)
from .periods import UNITS, coverage, published

#: frictionless error types that mean "not the file we recorded", not "invalid".
PROVENANCE_ERRORS = {"hash-count", "byte-count"}

if TYPE_CHECKING:  # pandas is imported only where a table is read: `check` stays quick
    import pandas as pd


def resource_descriptor(data_dir: Path, source: str, resource: str) -> tuple[Path, dict]:
    """The folder of `source` and the descriptor of its resource named `resource`."""
    folder = Path(data_dir, "raw", source)
    package_path = inside(data_dir, folder / "datapackage.json")
    if not package_path.exists():
        raise DataError(Problem(display_path(package_path), "missing file: every source folder needs a datapackage.json"))
    for descriptor in load_descriptor(package_path).get("resources", []):
        if descriptor.get("name") == resource:
            resource_files(folder, descriptor)  # before anything is read through it
            return folder, descriptor
    raise DataError(Problem(display_path(package_path), f"no resource named '{resource}'"))


def _file_problems(path: Path, encoding: str) -> list[Problem]:
    """Existence, emptiness and encoding: checked before any parser sees the file."""
    shown = display_path(path)
    if not path.exists():
        return [Problem(shown, "missing file")]
    if path.stat().st_size == 0:
        return [Problem(shown, "empty file")]
    try:  # bounded: a file that decompresses too far, or a line too long, is refused before any parser
        if path.suffix == ".xlsx":
            limits.check_zip(path, shown)
        elif path.suffix == ".gz":
            limits.scan(path, shown)
        if path.suffix in {".gz", ".xlsx", ".parquet"}:
            return []  # binary containers; their importers check what is inside
        data = limits.read_data(path, shown)
    except DataError as exc:
        return exc.problems
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [Problem(shown, f"not valid {encoding} text (byte 0x{data[exc.start]:02x})", line=line)]
    return []


def validate_resource(folder: Path, descriptor: dict) -> tuple[list[Problem], list[Problem]]:
    """Check one resource. Returns (errors, provenance warnings)."""
    try:
        paths = resource_files(folder, descriptor)  # nothing is read through a path that leaves the folder
    except DataError as exc:
        return exc.problems, []
    files = tuple(cache._stat(path) for path in paths)
    errors, warnings = _validated(os.getcwd(), str(folder), json.dumps(descriptor, sort_keys=True), files)
    return list(errors), list(warnings)


@functools.lru_cache(maxsize=256)
def _validated(cwd: str, folder: str, descriptor_json: str, files: tuple) -> tuple[tuple, tuple]:
    """`validate_resource`, once per process for the same working folder, descriptor and unchanged files."""
    errors, warnings = _validate_resource(Path(folder), json.loads(descriptor_json))
    return tuple(errors), tuple(warnings)


def _validate_resource(folder: Path, descriptor: dict) -> tuple[list[Problem], list[Problem]]:
    paths = descriptor["path"] if isinstance(descriptor["path"], list) else [descriptor["path"]]
    encoding = descriptor.get("encoding", "utf-8")
    errors = [p for rel in paths for p in _file_problems(folder / rel, encoding)]
    if errors:
        return errors, []
    warnings = []
    actual = {rel: "sha256:" + sha256(folder / rel) for rel in paths}
    recorded = dict(descriptor.get("fileHashes", {}))  # multi-file resources: one checksum per file
    if descriptor.get("hash") and len(paths) == 1:
        recorded[paths[0]] = descriptor["hash"]
    for rel, expected in sorted(recorded.items()):
        if actual.get(rel) != expected:
            warnings.append(Problem(display_path(folder / rel),
                                    f"differs from the recorded source file ({expected[:19]}…); "
                                    f"if this is intended, record it with `{record_hint(folder.parent.parent, folder.name)}`"))
    if descriptor.get("format", "csv") == "csv" and "schema" not in descriptor:
        # A table kept as published, which its importer parses: a title cell there may break lines.
        errors += [p for rel in paths for p in csv_label_problems(folder / rel, encoding, allowed="\r\n")]
    if "schema" not in descriptor or descriptor.get("format", "csv") != "csv":
        return errors, warnings
    checked = {k: v for k, v in descriptor.items() if k not in {"hash", "bytes"}}
    shown = display_path(folder / paths[0])
    try:  # a table too wide is refused before frictionless, whose time and memory grow faster than the width
        for rel in paths:
            limits.check_header(folder / rel, delimiter=descriptor.get("dialect", {}).get("delimiter", ","),
                                line=(descriptor.get("dialect", {}).get("headerRows") or [1])[0])
    except DataError as exc:
        return errors + exc.problems, warnings
    # A schema check passed once for these exact bytes and this exact schema need not run again, wherever the
    # data folder is (`check` and the notebooks share it); a failed one is run again to name the file as shown.
    entry = cache.key(json.dumps(checked, sort_keys=True), *[actual[rel] for rel in paths],
                      code=("safecity/validate.py", "safecity/errors.py"))

    def problems_now():
        return _schema_problems(folder, checked, shown) + [p for rel in paths
                                                           for p in csv_label_problems(folder / rel, encoding)]

    stored_as, problems = cache.remember("validated", entry, lambda: (shown, problems_now()))
    errors += problems if not problems or stored_as == shown else problems_now()
    return errors, warnings


def label_problem(text: str, allowed: str = "") -> str | None:
    """Why a text value no real source holds is refused, or None: a control character (NUL included), a line
    break or tab, a bidirectional override or isolate, a zero-width or other invisible formatting character, an
    unusual space. All are what `str.isprintable` refuses; a label can mirror or hide words with them. `allowed`
    names the few a format legitimately holds (the State Department's monthly files break lines in cells)."""
    if text.isprintable():
        return None
    bad = next((c for c in text if not c.isprintable() and c not in allowed), None)
    if bad is None:
        return None
    named = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL character"}
    what = named.get(bad) or unicodedata.name(bad, "a control character")
    return f"holds U+{ord(bad):04X} ({what}): invisible or control characters are not allowed in a text value"


def shown_label(text: str) -> str:
    """A label as a message may print it: invisible and control characters written as escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def descriptor_label_problems(package_path: Path, descriptor: dict) -> list[Problem]:
    """Every key and text value of a `datapackage.json` (titles, sources, licences reach the Sources page) checked by
    `label_problem`: the first refused one, naming the file, the line that holds it and its keys joined by dots."""
    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(key, path)
                yield from walk(item, path + [str(key)])
        elif isinstance(value, list):
            for item in value:
                yield from walk(item, path)
        elif isinstance(value, str) and label_problem(value):
            yield value, path

    for value, path in walk(descriptor, []):
        bad = next(c for c in value if not c.isprintable())
        text = package_path.read_text(encoding="utf-8")
        found = [text.find(n) for n in (bad, json.dumps(bad)[1:-1], f"\\u{ord(bad):04x}", f"\\u{ord(bad):04X}")]
        at = min((i for i in found if i >= 0), default=None)
        return [Problem(display_path(package_path), label_problem(value),
                        line=None if at is None else text.count("\n", 0, at) + 1, column=shown_label(".".join(path)) or None)]
    return []


def yaml_label_problems(text: str, shown: str) -> list[Problem]:
    """Every key and value of a YAML parameters file checked by `label_problem`, one line each naming the file, the
    line and the parameter (its keys joined by dots). `text` has already been parsed once (`yaml.safe_load`)."""
    import yaml

    found = []

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(key, path)
                walk(value, path + [str(key.value)])
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, path)
        elif isinstance(node, yaml.ScalarNode):
            reason = label_problem(str(node.value))
            if reason:
                found.append(Problem(shown, reason, line=node.start_mark.line + 1,
                                     column=shown_label(".".join(path)) or None))

    walk(yaml.compose(text, Loader=yaml.SafeLoader), [])
    return found


def csv_label_problems(path: Path, encoding: str = "utf-8", allowed: str = "") -> list[Problem]:
    """Every text value of a CSV file, column names included, checked by `label_problem` (`allowed`: see there):
    the first refused value of each column, one line each naming the file, line and column."""
    import csv

    if path.suffix != ".csv":
        return []  # compressed and binary files: their importers check what is inside
    shown, found, seen = display_path(path), [], set()
    try:
        with open(path, newline="", encoding=encoding) as handle:
            reader = csv.reader(handle)
            header, line = None, 1
            for row in reader:
                for index, cell in enumerate(row):
                    reason = label_problem(cell, allowed)
                    if reason and index not in seen:
                        seen.add(index)
                        name = (header or row)[index] if index < len(header or row) else f"{index + 1}"
                        found.append(Problem(shown, reason, line=line, column=shown_label(name)))
                header = header or row
                line = reader.line_num + 1
    except csv.Error as exc:
        found.append(Problem(shown, f"not a readable CSV file ({exc})", line=line))
    return found


def _schema_problems(folder: Path, descriptor: dict, shown: str) -> list[Problem]:
    """Every problem frictionless finds in a CSV resource, one line each (the cache keeps them)."""
    from frictionless import Resource

    errors = []
    report = Resource(descriptor, basepath=str(folder)).validate()
    for task in report.tasks:
        for error in task.errors:
            if error.type in PROVENANCE_ERRORS:
                continue
            column = getattr(error, "field_name", None) or getattr(error, "label", None) or None
            reason = f"{error.title.lower()}: {error.note}" if error.note else error.title.lower()
            if error.type == "type-error":
                field = next((f for f in descriptor["schema"]["fields"] if f["name"] == column), {})
                reason = f"type error: {getattr(error, 'cell', '')!r} is not a valid {field.get('type', 'value')}"
            elif error.type == "constraint-error":
                reason = f"constraint error: {getattr(error, 'cell', '')!r} breaks {error.note}"
            elif error.type == "missing-label":
                reason = "missing required column"
            elif error.type == "primary-key":
                key = descriptor["schema"]["primaryKey"]
                column = ", ".join(key) if isinstance(key, list) else key
                reason = f"duplicated key ({error.note})"
            errors.append(Problem(shown, reason, line=getattr(error, "row_number", None), column=column))
    return errors


#: Files in a source folder that are not data: its description and any notes.
NOT_DATA = {"datapackage.json"}


def is_data_file(path: Path) -> bool:
    return path.name not in NOT_DATA and not path.name.upper().startswith("README")


def listed_paths(descriptor: dict) -> list[str]:
    """Every file path the resources of a data package name (relative to its folder)."""
    found = []
    for resource in descriptor.get("resources", []):
        path = resource.get("path", [])
        found.extend(path if isinstance(path, list) else [path])
    return found


def unlisted_files(folder: Path, descriptor: dict) -> list[str]:
    """Data files in a source folder that its data package does not list (relative paths, sorted)."""
    listed = set(listed_paths(descriptor))
    return sorted(rel for rel in (p.relative_to(folder).as_posix() for p in folder.rglob("*")
                                  if p.is_file() and is_data_file(p)) if rel not in listed)


def record_hint(data_dir: Path, source: str) -> str:
    """The command that records the files of one source."""
    own = Path(data_dir).resolve() == Path(ROOT, "data").resolve()
    return "python -m safecity data record " + ("" if own else f"--data-dir {display_path(Path(data_dir))} ") + source


def _line_of(package_path: Path, key: str) -> int | None:
    """The line of a datapackage.json on which a top-level property is written."""
    for number, line in enumerate(package_path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f'  "{key}":'):
            return number
    return None


def _is_date(value) -> bool:
    import datetime as dt

    try:
        return isinstance(value, str) and len(value) == 10 and bool(dt.date.fromisoformat(value))
    except ValueError:
        return False


def _pointer_problems(package_path: Path, descriptor: dict, rule: dict, fields: list) -> list[str]:
    """What is wrong with a pointer at the data: its package, resources and fields must exist."""
    if rule.get("package"):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", str(rule["package"])):
            return [f"package {rule['package']!r} is not the name of a source folder"]
        other = package_path.parent.parent / str(rule["package"]) / "datapackage.json"
        if not other.exists():
            return [f"no source folder '{rule['package']}' with a datapackage.json"]
        descriptor = load_descriptor(other)
    named = rule.get("resource")
    named = named if isinstance(named, list) else [named]
    resources = {r.get("name"): r for r in descriptor.get("resources", [])}
    found = []
    for name in named:
        if name not in resources:
            found.append(f"no resource named {name!r}")
            continue
        known = {f.get("name") for f in resources[name].get("schema", {}).get("fields", [])}
        found += [f"resource {name!r} has no field {f!r}" for f in fields if f not in known]
    return found


def package_problems(package_path: Path, descriptor: dict, measure: bool = True) -> list[Problem]:
    """The package-level provenance a page shows: `retrieved` and `published` are days (YYYY-MM-DD), `homepage` a
    web address, and `temporal` either states `start` and `end` or points at the fields (or file names) of the
    data that hold the period, in a known unit; a pointed-at period must be measurable in the data."""
    shown = display_path(package_path)
    found: list[tuple[str, str]] = []
    if "retrieved" in descriptor and not _is_date(descriptor["retrieved"]):
        found.append(("retrieved", f"retrieved: {descriptor['retrieved']!r} is not a date (YYYY-MM-DD)"))
    if "homepage" in descriptor and not str(descriptor["homepage"]).startswith(("http://", "https://")):
        found.append(("homepage", f"homepage: {descriptor['homepage']!r} is not a web address"))
    stated = descriptor.get("published")
    if isinstance(stated, dict) and "pointer" in stated:
        try:
            target = descriptor
            for key in str(stated["pointer"]).strip("/").split("/"):
                target = target[key]
        except (KeyError, TypeError):
            target = None
        if not _is_date(target):
            found.append(("published", f"published: {stated['pointer']!r} points at no date (YYYY-MM-DD)"))
    elif isinstance(stated, dict):
        found += [("published", f"published: {p}") for p in
                  _pointer_problems(package_path, descriptor, stated, [stated.get("field")])]
    elif stated is not None and not _is_date(stated):
        found.append(("published", f"published: {stated!r} is not a date (YYYY-MM-DD) or a pointer to a date field"))
    rule = descriptor.get("temporal")
    if rule is not None:
        unit = rule.get("unit", "day") if isinstance(rule, dict) else None
        if not isinstance(rule, dict) or unit not in UNITS:
            found.append(("temporal", f"temporal: the unit must be one of {', '.join(UNITS)}"))
        elif "start" in rule or "end" in rule:
            if unit != "day":
                found.append(("temporal", "temporal: a stated start and end are days (YYYY-MM-DD)"))
            elif not (_is_date(rule.get("start")) and _is_date(rule.get("end"))):
                found.append(("temporal", "temporal: start and end must both be dates (YYYY-MM-DD)"))
            elif rule["start"] > rule["end"]:
                found.append(("temporal", f"temporal: starts ({rule['start']}) after it ends ({rule['end']})"))
        elif not rule.get("resource") or not (rule.get("fields") or rule.get("fileNames")):
            found.append(("temporal", "temporal: needs a start and an end, or a resource and its fields (or fileNames)"))
        else:
            found += [("temporal", f"temporal: {p}") for p in
                      _pointer_problems(package_path, descriptor, rule, list(rule.get("fields", [])))]
    if not found and measure:  # a pointer that is well formed must also find its dates in the data
        for key, measure in (("temporal", coverage), ("published", published)):
            if isinstance(descriptor.get(key), dict) and "pointer" not in descriptor[key]:
                try:
                    measure(package_path)
                except (ValueError, KeyError, TypeError, OSError) as exc:
                    found.append((key, f"{key}: the dates it points at cannot be read ({exc})"))
    return [Problem(shown, reason, line=_line_of(package_path, key)) for key, reason in found]


def check(data_dir: Path) -> tuple[list[Problem], list[Problem]]:
    """Validate every resource of every source package under `data_dir`. Returns (errors, warnings)."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    raw = Path(data_dir, "raw")
    if not raw.is_dir():
        return [Problem(display_path(raw), "missing folder: the data directory must contain raw/")], []
    if limits.settings_problems():  # a limit that cannot be read would otherwise be reported for every file
        return limits.settings_problems(), []
    # Links and paths that leave the folder first, before anything is read through them.
    errors = boundary_problems(data_dir)
    if errors:
        return errors, []
    packages = package_paths(data_dir)
    if not packages:
        return [Problem(display_path(raw), "no datapackage.json found in any source folder")], []
    for package_path in packages:
        try:
            descriptor = load_descriptor(package_path)
        except DataError as exc:
            errors.extend(exc.problems)
            continue
        invalid = []
        errors.extend(descriptor_label_problems(package_path, descriptor))
        for resource in descriptor.get("resources", []):
            found, warned = validate_resource(package_path.parent, resource)
            invalid.extend(found)
            warnings.extend(warned)
        # Dates are measured in files that passed their checks only: an invalid file is reported once, as itself.
        errors.extend(package_problems(package_path, descriptor, measure=not invalid))
        errors.extend(invalid)
        # A file the package does not list would be silently ignored by its importer: never allowed.
        hint = record_hint(data_dir, package_path.parent.name)
        errors.extend(Problem(display_path(package_path.parent / rel),
                              f"not listed in datapackage.json, so no chapter reads it: record it with `{hint}` "
                              "(or remove the file)") for rel in unlisted_files(package_path.parent, descriptor))
    return errors, warnings


PANDAS_TYPES = {"integer": "Int64", "number": "Float64", "string": "string", "boolean": "boolean"}


def checked_resource(data_dir: Path, source: str, resource: str) -> tuple[Path, dict]:
    """The folder and descriptor of one resource, after validating it; raises DataError listing every problem."""
    folder, descriptor = resource_descriptor(data_dir, source, resource)
    errors, _ = validate_resource(folder, descriptor)
    if errors:
        raise DataError(errors)
    return folder, descriptor


def read_table(data_dir: Path, source: str, resource: str) -> pd.DataFrame:
    """Validate one CSV resource against its schema and return it with typed columns.

    Raises :class:`DataError` listing every problem if the file is invalid.
    """
    import pandas as pd

    folder, descriptor = checked_resource(data_dir, source, resource)
    fields = descriptor["schema"]["fields"]
    dtypes = {f["name"]: PANDAS_TYPES.get(f.get("type", "string"), "string") for f in fields}
    dates = [f["name"] for f in fields if f.get("type") == "date"]
    frame = pd.read_csv(folder / descriptor["path"], encoding=descriptor.get("encoding", "utf-8"),
                        dtype={k: v for k, v in dtypes.items() if k not in dates}, keep_default_na=False,
                        na_values=[""])
    for name in dates:
        frame[name] = pd.to_datetime(frame[name], format="%Y-%m-%d")
    return frame[[f["name"] for f in fields]]
