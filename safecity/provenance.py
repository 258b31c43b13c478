"""The Sources page and the data reporters' files page, generated from each source folder's `datapackage.json`.

Each source's dates come from its package: `retrieved`, `published` (the day its origin published it) and
`temporal` (the period its data cover), the last two either stated or pointed at a field of the data, so a
new month of data moves them with no hand edit. Checksums are recomputed from the files at the time the page
is made, and each folder is linked to the importer module(s) whose docstring names it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd

from . import ROOT
from .packages import load_descriptor, package_paths, resource_files, sha256
from .periods import coverage, published
from .formats import minus

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
