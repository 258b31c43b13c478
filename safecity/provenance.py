"""The Sources page and the data reporters' files page, generated from each source folder's `datapackage.json`.

Each source's dates come from its package: `retrieved`, `published` (the day its origin published it) and
`temporal` (the period its data cover), the last two either stated or pointed at a field of the data, so a
new month of data moves them with no hand edit. Checksums are recomputed from the files at the time the page
is made, and each folder is linked to the importer module(s) whose docstring names it.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pandas as pd

from . import ROOT, limits
from .validate import load_descriptor, package_paths, resource_files, sha256
from .text import minus

FOLDER_MENTION = re.compile(r"`data/raw/([a-z0-9-]+)/")


def importers(root: Path = ROOT) -> dict[str, list[str]]:
    """Source folder → the modules whose docstring's first paragraph names `data/raw/<folder>/`."""
    found: dict[str, list[str]] = {}
    for path in sorted(Path(root, "safecity").rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        for folder in FOLDER_MENTION.findall(doc.split("\n\n")[0]):
            found.setdefault(folder, []).append(module)
    return found


#: The units a period can be stated in: a day, a calendar month, a US federal fiscal year (1 October to 30 September).
UNITS = ("day", "month", "fiscal year")


def _bounds(value, unit: str) -> tuple[dt.date, dt.date]:
    """The first and last day of one value of a period: a day, a month ("2017-03") or a fiscal year (2017)."""
    if unit == "fiscal year":
        year = int(value)
        return dt.date(year - 1, 10, 1), dt.date(year, 9, 30)
    if unit == "month":
        first = dt.date.fromisoformat(str(value)[:7] + "-01")
        return first, (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return day, day


def _column(folder: Path, resource: dict, field: str) -> pd.Series:
    """One column of a tabular resource as text (its dialect's delimiter and header row respected), blanks dropped."""
    dialect = resource.get("dialect", {})
    header = (dialect.get("headerRows") or [1])[0]
    with limits.open_data(resource_files(folder, resource)[0]) as handle:  # bounded, decompressed if gzip
        frame = pd.read_csv(handle, sep=dialect.get("delimiter", ","), skiprows=header - 1, usecols=[field], dtype=str,
                            keep_default_na=False, encoding=resource.get("encoding", "utf-8"))
    return frame[field][frame[field].str.strip() != ""]


def _dates(column: pd.Series, spec: dict) -> list:
    """A column's values in the form `_bounds` reads: dates parsed with the field's own format."""
    if spec.get("type") != "date":
        return list(column.unique())
    form = spec.get("format", "default")
    parsed = pd.to_datetime(column, format=form if form.startswith("%") else "%Y-%m-%d")
    return [parsed.min().date(), parsed.max().date()]


def _measured(package_path: Path, rule: dict) -> tuple[dt.date, dt.date]:
    """The period a rule points at, measured in the data: the earliest and latest values of the named fields
    (or of the month each file is named after, `fileNames`), in the rule's unit."""
    folder = package_path.parent.parent / rule["package"] if rule.get("package") else package_path.parent
    named = rule["resource"] if isinstance(rule["resource"], list) else [rule["resource"]]
    resources = {r["name"]: r for r in load_descriptor(folder / "datapackage.json").get("resources", [])}
    unit = rule.get("unit", "day")
    values = []
    for name in named:
        resource = resources[name]
        if rule.get("fileNames"):
            paths = resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
            values += [Path(rel).name.split(".")[0] for rel in paths]
            continue
        fields = {f["name"]: f for f in resource.get("schema", {}).get("fields", [])}
        for field in rule["fields"]:
            values += _dates(_column(folder, resource, field), fields.get(field, {}))
    spans = [_bounds(v, unit) for v in values]
    return min(s for s, _ in spans), max(e for _, e in spans)


def coverage(package_path: Path) -> dict | None:
    """The period a source's data cover: `temporal` in its datapackage.json, either stated (`start`, `end`) or
    measured in the files (`resource` and `fields`, or `fileNames`). None when the package states none."""
    rule = load_descriptor(package_path).get("temporal")
    if not rule:
        return None
    unit = rule.get("unit", "day")
    if "start" in rule:
        start, end = _bounds(rule["start"], unit)[0], _bounds(rule["end"], unit)[1]
    else:
        start, end = _measured(package_path, rule)
    fiscal = unit == "fiscal year"
    return {"start": start.isoformat(), "end": end.isoformat(), "unit": unit, "measured": "start" not in rule,
            "start_fy": start.year + 1 if fiscal else None,
            "end_fy": end.year if fiscal else None}


def published(package_path: Path) -> str | None:
    """The day the origin published the data: `published` in datapackage.json, a date, a pointer to a date field
    in the data (the latest of its values), or a JSON pointer (`{"pointer": "/article/datePublished"}`) to a date
    the descriptor holds elsewhere. None when it is not stated."""
    descriptor = load_descriptor(package_path)
    stated = descriptor.get("published")
    if not stated:
        return None
    if isinstance(stated, str):
        return stated
    if "pointer" in stated:  # a JSON pointer to a date this descriptor already holds, such as the article's own
        for key in stated["pointer"].strip("/").split("/"):
            descriptor = descriptor[key]
        return descriptor
    rule = {"fields": [stated["field"]]} | {k: v for k, v in stated.items() if k != "field"}
    return _measured(package_path, rule)[1].isoformat()


def coverages(data_dir: Path, sources: list[str]) -> dict[str, dict | None]:
    """The coverage of each named source folder (None for one that states none, or has no datapackage.json)."""
    found = {}
    for source in sources:
        package_path = Path(data_dir, "raw", source, "datapackage.json")
        found[source] = coverage(package_path) if package_path.exists() else None
    return found


def data_as_of(cited: dict[str, dict | None]) -> dict:
    """What a chart's "Data as of" line says: the latest coverage end among the sources it cites."""
    known = [c for c in cited.values() if c]
    latest = max(known, key=lambda c: c["end"]) if known else None
    return {"as_of": latest, "n_cited": len(cited), "n_not_stated": len(cited) - len(known)}


def _link(descriptor: dict) -> str | None:
    """The web address a source's name links to: its `homepage`, else its first source with a web address."""
    if descriptor.get("homepage"):
        return descriptor["homepage"]
    return next((s["path"] for s in descriptor.get("sources", [])
                 if str(s.get("path", "")).startswith(("http://", "https://"))), None)


def sources(data_dir: Path) -> list[dict]:
    """One entry per source folder, for the Sources page: its name, link and dates (published, covers, retrieved)."""
    rows = []
    for package_path in package_paths(data_dir):
        d = load_descriptor(package_path)
        rows.append({"folder": package_path.parent.name, "title": d.get("title", package_path.parent.name),
                     "url": _link(d), "published": published(package_path), "covers": coverage(package_path),
                     "retrieved": d.get("retrieved"), "fetched": d.get("fetched", {}).get("date")})
    return rows


def datasets(data_dir: Path) -> pd.DataFrame:
    """One row per source folder, for data reporters: what it is, where it came from, under what terms, read by what."""
    readers = importers()
    rows = []
    for package_path in package_paths(data_dir):
        d = load_descriptor(package_path)
        folder = package_path.parent.name
        rows.append({
            "folder": f"data/raw/{folder}/",
            "dataset": d.get("title", folder),
            "description": d.get("description", ""),
            "origin": "; ".join(s.get("title", "") + (f" {s['path']}" if str(s.get("path", "")).startswith("http")
                                                      else "") for s in d.get("sources", [])),
            "license": "; ".join(l.get("title") or l.get("name", "") for l in d.get("licenses", [])) or "not recorded",
            "read by": ", ".join(readers.get(folder, [])) or "no importer",
        })
    return pd.DataFrame(rows)


SIZE = "size (bytes)"
STATUS = "file against its recorded checksum"


def files(data_dir: Path) -> pd.DataFrame:
    """One row per file: size, its whole checksum, and whether the file on disk still matches the recorded one."""
    rows = []
    for package_path in package_paths(data_dir):
        folder = package_path.parent
        for resource in load_descriptor(package_path).get("resources", []):
            paths = resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
            per_file = resource.get("fileHashes", {})  # multi-file resources record one checksum per file
            for rel, path in zip(paths, resource_files(folder, resource)):
                recorded = resource.get("hash", "") if len(paths) == 1 else per_file.get(rel, "")
                actual = "sha256:" + sha256(path) if path.exists() else ""
                if recorded:
                    status = "matches" if actual == recorded else ("missing" if not actual else "differs")
                else:
                    status = "not recorded per file" if actual else "missing"
                rows.append({"file": f"{folder.name}/{rel}", "format": resource.get("format", ""),
                             "encoding": resource.get("encoding", ""),
                             SIZE: path.stat().st_size if path.exists() else None,
                             "SHA-256 checksum": (actual or recorded).removeprefix("sha256:") or None,
                             STATUS: status, "resource": resource.get("name", "")})
    return pd.DataFrame(rows)


def summary(data_dir: Path) -> dict:
    table = files(data_dir)
    return {"n_datasets": len(package_paths(data_dir)), "n_files": len(table),
            "n_bytes": int(table[SIZE].fillna(0).sum()),
            "n_checksums_match": int((table[STATUS] == "matches").sum()),
            "n_checksums_recorded": int(table[STATUS].isin(["matches", "differs", "missing"]).sum()),
            "n_checksums_differ": int(table[STATUS].isin(["differs", "missing"]).sum())}


def schema(data_dir: Path) -> pd.DataFrame:
    """Every described column: file, column, type, constraints and description (the data dictionary)."""
    rows = []
    for package_path in package_paths(data_dir):
        for resource in load_descriptor(package_path).get("resources", []):
            for field in resource.get("schema", {}).get("fields", []):
                constraints = "; ".join(_constraint(k, v) for k, v in field.get("constraints", {}).items())
                rows.append({"table": f"{package_path.parent.name}/{resource['name']}", "column": field["name"],
                             "type": field.get("type", "string"), "constraints": constraints,
                             "description": field.get("description", "")})
    return pd.DataFrame(rows)


def _constraint(name: str, value) -> str:
    """A Table Schema constraint in words: `required: true` → "required", `enum: [a, b]` → "one of: a, b"."""
    if isinstance(value, bool):
        return name if value else f"not {name}"
    if name == "enum":
        return "one of: " + ", ".join(map(str, value))
    words = {"minimum": "at least", "maximum": "at most", "minLength": "at least this many characters:",
             "maxLength": "at most this many characters:", "pattern": "matches the pattern"}
    shown = minus(str(value)) if isinstance(value, (int, float)) else value
    return f"{words.get(name, name)} {shown}"
