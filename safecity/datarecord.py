"""`python -m safecity data record [SOURCE ...]`: record new, changed and removed files in `datapackage.json`.

For each source folder `raw/<source>/` this brings the data package's resource list, checksums
(`hash` = `sha256:<hex>`, or `fileHashes` for a resource of many files) and sizes (`bytes`) in line
with the files, and says what changed, file by file. A new file joins the multi-file resource of
its siblings (same folder and extension) or gets a resource of its own modelled on a sibling (same
format, encoding and, for a CSV, the schema whose columns it has). Nothing is written unless every
recorded file passes its schema check and the source's importer reads the recorded package; a
refusal lists each problem on one line and leaves every `datapackage.json` as it was.
"""

from __future__ import annotations

import copy
import csv
import importlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataError, Problem
from .packages import boundary_problems, display_path, inside, load_descriptor, package_paths, sha256, write_inside
from .validate import read_table, unlisted_files, validate_resource

#: Per source, the importer (or chapter loader) that reads it: "module:function", called with the data dir.
#: Its checks run on the recorded package before anything is written. CSV-only sources without an
#: entry are checked by their schemas alone.
IMPORTERS = {
    "state-dept-monthly-visas": "safecity.sources.state_dept_monthly:read_all",
    "state-dept-annual-visas": "safecity.sources.state_dept_annual:read",
    "nationality-crosswalk": "safecity.sources.nationalities:crosswalk",
    "prm-refugee-admissions": "safecity.sources.prm_refugees:load",
    "mpi-refugee-admissions": "safecity.sources.mpi_refugees:load",
    "refugee-policy": "safecity.refugees:load",
    "ice-safe-city": "safecity.datarecord:load_operations",
    "article-claims": "safecity.claims:load",
    "ice-seattle-aor-arrests": "safecity.sources.ice_aor_arrests:check",
    "ice-records-coding": "safecity.seattle:check",
    "ice-national-arrests": "safecity.sources.ice_national_arrests:check",
}
def load_operations(data_dir: Path) -> None:
    """Both lists of every operation in `raw/ice-safe-city`, joined as the arrests chapter joins them."""
    from . import arrests

    for name in read_table(data_dir, "ice-safe-city", "operation")["operation"]:
        arrests.load(data_dir, name, "")


#: Keys of a sibling resource that describe that file only, not files like it.
OWN_KEYS = {"name", "path", "hash", "bytes", "fileHashes", "title", "description"}


@dataclass
class Plan:
    """What recording one source would change."""

    source: str
    folder: Path
    text: str  # datapackage.json as it is
    descriptor: dict  # as it would be written
    changes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    touched: list[dict] = field(default_factory=list)  # resources whose files changed

    @property
    def new_text(self) -> str:
        return dump(self.descriptor)


def dump(descriptor: dict) -> str:
    """datapackage.json as the project writes it: two-space indent, key order kept, trailing newline."""
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def _extension(rel: str) -> str:
    suffixes = Path(rel).suffixes
    return "".join(suffixes[-2:]) if suffixes[-1:] == [".gz"] else "".join(suffixes[-1:])


def _kind(rel: str) -> tuple[str, str]:
    return Path(rel).parent.as_posix(), _extension(rel).lower()


def _header(path: Path, encoding: str) -> list[str] | None:
    try:
        with open(path, encoding=encoding, newline="") as handle:
            return next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _resource_name(rel: str, taken: set[str]) -> str:
    stem = Path(rel).name.removesuffix(_extension(rel))
    base = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_") or "resource"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def _short(digest: str | None) -> str:
    return f"{digest[:15]}…" if digest else "none"


def plan(data_dir: Path, source: str) -> Plan:
    """What `data record` would write for one source, and any reason it must not."""
    folder = Path(data_dir, "raw", source)
    package = folder / "datapackage.json"
    shown_package = display_path(package)
    try:
        inside(data_dir, package)  # a source named '../..' is no source folder
    except DataError as exc:
        return Plan(source, folder, "", {}, problems=exc.problems)
    if not package.exists():
        known = ", ".join(p.parent.name for p in package_paths(data_dir))
        return Plan(source, folder, "", {}, problems=[Problem(shown_package, f"no such data package (known: {known})")])
    text = package.read_text(encoding="utf-8")
    try:
        descriptor = load_descriptor(package)
    except DataError as exc:
        return Plan(source, folder, text, {}, problems=exc.problems)
    result = Plan(source, folder, text, copy.deepcopy(descriptor))
    resources = result.descriptor.setdefault("resources", [])

    def shown(rel: str) -> str:
        return display_path(folder / rel)

    def touch(resource: dict):
        if not any(r is resource for r in result.touched):
            result.touched.append(resource)

    # Files already listed: changed or removed.
    missing = []  # single-file resources whose file is gone (perhaps replaced by a new edition, below)
    for resource in list(resources):
        name = resource.get("name", "?")
        if isinstance(resource.get("path"), list):
            hashes = resource.setdefault("fileHashes", {})
            kept = []
            for rel in resource["path"]:
                if not (folder / rel).is_file():
                    result.changes.append(f"{shown(rel)}: removed from resource '{name}'")
                    hashes.pop(rel, None)
                    touch(resource)
                    continue
                kept.append(rel)
                digest = "sha256:" + sha256(folder / rel)
                if hashes.get(rel) != digest:
                    result.changes.append(f"{shown(rel)}: changed ({_short(hashes.get(rel))} → {_short(digest)})")
                    hashes[rel] = digest
                    touch(resource)
            if not kept:
                result.problems.append(Problem(shown_package, f"resource '{name}': every one of its files is gone; "
                                                              "restore them, or remove the resource by hand"))
            resource["path"] = kept
            resource["fileHashes"] = {rel: hashes[rel] for rel in kept}
            if "fileRetrieved" in resource:  # where and when `data fetch` got each file: only files still there
                resource["fileRetrieved"] = {rel: v for rel, v in resource["fileRetrieved"].items() if rel in kept}
            size = sum((folder / rel).stat().st_size for rel in kept)
        else:
            rel = resource.get("path")
            if not rel or not (folder / rel).is_file():
                missing.append(resource)
                continue
            digest = "sha256:" + sha256(folder / rel)
            if resource.get("hash") != digest:
                result.changes.append(f"{shown(rel)}: changed ({_short(resource.get('hash'))} → {_short(digest)})")
                resource["hash"] = digest
                touch(resource)
            size = (folder / rel).stat().st_size
        if resource.get("bytes") != size:
            if not any(r is resource for r in result.touched):
                result.changes.append(f"{shown_package}: resource '{name}': size corrected to {size:,} bytes")
            resource["bytes"] = size
            touch(resource)

    # Files not listed: a new edition of a file that is gone, added to their siblings' resource, or as a
    # resource modelled on a sibling.
    new_files = unlisted_files(folder, descriptor)
    for rel in new_files:
        kind = _kind(rel)
        digest, size = "sha256:" + sha256(folder / rel), (folder / rel).stat().st_size
        gone = [r for r in missing if isinstance(r.get("path"), str) and _kind(r["path"]) == kind]
        if len(gone) == 1 and [other for other in new_files if _kind(other) == kind] == [rel]:
            replaced = gone[0]
            result.changes.append(f"{shown(rel)}: replaces {replaced['path']} in resource '{replaced.get('name')}' "
                                  "(check its title and description)")
            replaced.update(path=rel, hash=digest, bytes=size)
            missing.remove(replaced)
            touch(replaced)
            continue
        group = next((r for r in resources if isinstance(r.get("path"), list)
                      and any(_kind(p) == kind for p in r["path"])), None)
        if group is not None:
            group["path"] = sorted(group["path"] + [rel])
            group["fileHashes"] = {p: (digest if p == rel else group["fileHashes"][p]) for p in group["path"]}
            group["bytes"] = group.get("bytes", 0) + size
            result.changes.append(f"{shown(rel)}: added to resource '{group['name']}'")
            touch(group)
            continue
        siblings = [r for r in resources if isinstance(r.get("path"), str) and _kind(r["path"]) == kind]
        if kind[1] == ".csv":
            header = _header(folder / rel, siblings[0].get("encoding", "utf-8") if siblings else "utf-8")
            siblings = [r for r in siblings if header is not None
                        and [f["name"] for f in r.get("schema", {}).get("fields", [])] == header]
            if not siblings:
                result.problems.append(Problem(shown(rel), "new file with columns unlike any resource of this "
                                                           "source: describe it in datapackage.json by hand "
                                                           "(see CONTRIBUTING.md)"))
                continue
        elif not siblings:
            result.problems.append(Problem(shown(rel), f"new file of a kind this source has no resource for "
                                                       f"('{kind[1] or 'no extension'}' in {kind[0]}/): describe it "
                                                       f"in datapackage.json by hand (see CONTRIBUTING.md)"))
            continue
        model = siblings[0]
        name = _resource_name(rel, {r.get("name") for r in resources})
        values = {"name": name, "path": rel, "hash": digest, "bytes": size}
        added = {key: values[key] if key in values else copy.deepcopy(value)
                 for key, value in model.items() if key not in OWN_KEYS or key in values}
        added.update({key: values[key] for key in values if key not in added})
        resources.append(added)
        result.changes.append(f"{shown(rel)}: added as resource '{name}', modelled on '{model.get('name')}' "
                              "(give it a title and a description)")
        touch(added)

    for resource in missing:
        result.problems.append(Problem(shown(resource.get("path") or "?"),
                                       f"listed as resource '{resource.get('name', '?')}' but missing; restore it, "
                                       "or remove the resource from datapackage.json"))
    # The schema checks of every file recorded or re-recorded.
    for resource in result.touched:
        errors, _ = validate_resource(folder, resource)
        result.problems.extend(errors)
    return result


def same_file(source: Path, target: Path) -> None:
    """`target` made the file `source` without a symbolic link (which the data folder refuses): a hard link where
    the file system allows one (no bytes copied), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _mirror(data_dir: Path, plans: list[Plan], into: Path) -> None:
    """A data folder in `into` holding every file of `data_dir` (`same_file`), with the planned packages written in."""
    raw, planned = Path(into, "raw"), {p.source: p for p in plans}
    raw.mkdir()
    for entry in sorted(Path(data_dir, "raw").iterdir()):
        for path in sorted(entry.rglob("*")):
            if path.is_file() and not (entry.name in planned and path.name == "datapackage.json"):
                same_file(path, raw / entry.name / path.relative_to(entry))
        if entry.name in planned:
            (raw / entry.name).mkdir(exist_ok=True)
            (raw / entry.name / "datapackage.json").write_text(planned[entry.name].new_text, encoding="utf-8")


def _importer_problems(data_dir: Path, plans: list[Plan]) -> list[Problem]:
    """Run the importer of every source that would change on the data as it would be recorded."""
    checks = [(p, IMPORTERS[p.source]) for p in plans if p.source in IMPORTERS]
    if not checks:
        return []
    with tempfile.TemporaryDirectory(prefix="safecity-record-") as scratch:
        _mirror(data_dir, plans, Path(scratch))
        temporary, real = str(Path(scratch)), display_path(Path(data_dir))

        def here(text: str) -> str:  # the problem as it will be once recorded: paths in the real data folder
            return text.replace(temporary, real)

        problems = []
        for planned, target in checks:
            module, function = target.split(":")
            try:
                getattr(importlib.import_module(module), function)(Path(scratch))
            except DataError as exc:
                problems.extend(Problem(here(p.file), here(p.reason), p.line, p.column) for p in exc.problems)
            except (ValueError, KeyError) as exc:
                problems.append(Problem(display_path(planned.folder), here(f"{type(exc).__name__}: {exc}")))
        return problems


def record(data_dir: Path, sources: list[str] | None = None, echo=print) -> list[Problem]:
    """Record the files of the named sources (all when none): returns the problems; writes only if there are none."""
    problems = boundary_problems(data_dir)  # before anything in the folder is read
    if problems:
        return problems
    names = sources or [p.parent.name for p in package_paths(data_dir)]
    plans = [plan(Path(data_dir), name) for name in names]
    problems = [problem for p in plans for problem in p.problems]
    changed = [p for p in plans if p.descriptor and p.new_text != p.text]
    if not problems and changed:
        problems = _importer_problems(Path(data_dir), changed)
    if problems:
        return problems
    for p in plans:
        for line in p.changes:
            echo(line)
    for p in changed:
        write_inside(data_dir, p.folder / "datapackage.json", p.new_text.encode("utf-8"))
        echo(f"{display_path(p.folder / 'datapackage.json')}: updated")
    if not changed:
        echo(f"{', '.join(names) if sources else 'every source'}: already recorded, nothing to change")
    return []
