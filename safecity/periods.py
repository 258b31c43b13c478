"""The period a source's data cover and the day its origin published them, read from its `datapackage.json`.

`temporal` and `published` are either stated or point at fields of the data (or the names of its files), so a new
month of data moves them with no hand edit. `validate` checks that a pointer finds its dates; `provenance` and the
chapters' records show them. pandas is imported only where a column is read: `check` stays quick.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from . import limits
from .packages import load_descriptor, resource_files

if TYPE_CHECKING:
    import pandas as pd


#: The units a period can be stated in: a day, a calendar month, a US federal fiscal year (1 October to 30 September).
UNITS = ("day", "month", "fiscal year")


def _bounds(value, unit: str) -> tuple[dt.date, dt.date]:
    """The first and last day of one value of a period: a day, a month ("2017-03") or a fiscal year (2017)."""
    if unit == "fiscal year":
        year = int(value)
        return dt.date(year - 1, 10, 1), dt.date(year, 9, 30)
    if unit == "month":
        first = dt.date.fromisoformat(str(value)[:7] + "-01")
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return day, day


def _column(folder: Path, resource: dict, field: str) -> pd.Series:
    """One column of a tabular resource as text (its dialect's delimiter and header row respected), blanks dropped."""
    import pandas as pd

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
    import pandas as pd

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
