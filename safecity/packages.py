"""The data folder and its package descriptors: where a source's files are, read only from inside the folder.

Each source folder `data/raw/<source>/` has a `datapackage.json`. This module finds them, reads them (once while
unchanged), and resolves the files a resource names, each checked to stay inside the data folder with no symbolic
link on the way. `validate` checks what the files hold and `provenance` (with `periods`) what the packages say of
them; both read the packages through here.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import tempfile
from pathlib import Path

from . import cache
from .errors import DataError, Problem


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working folder when possible."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def sha256(path: Path) -> str:
    return cache.file_digest(path)


# --------------------------------------------------------------------------- the data folder is a boundary

#: Why a link is refused: whatever it points at would be read (or written) as if it were in the folder.
LINKED = "is a symbolic link, never followed: every file of a data folder must be in it (copy the file in instead)"


def inside(data_dir: Path, path: Path | str) -> Path:
    """`path` (as the code builds it, under `data_dir`), checked to stay inside the data folder with no symbolic
    link on the way: returns the path to read or write (its `..` resolved), or raises DataError naming it and why.

    The one check every read and write of a data folder goes through (`check`, `data record`, `data fetch` and the
    importers' look-up of a resource). The data folder itself may be a link; nothing under it may be."""
    root = Path(os.path.abspath(data_dir))
    full = Path(os.path.abspath(path))
    if full != root and root not in full.parents:
        raise DataError(Problem(display_path(Path(path)), f"leaves the data folder {display_path(root)}"))
    current = root
    for part in full.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            raise DataError(Problem(display_path(current), LINKED))
    return full


def write_inside(data_dir: Path, path: Path, data: bytes) -> None:
    """Write `data` to `path` in the data folder (`inside`): into a new file beside it, then moved into place, so a
    link put there meanwhile is replaced, never written through, and a reader sees the old file or the new one."""
    target = inside(data_dir, path)
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def path_problem(rel) -> str | None:
    """Why a resource `path` cannot name a file of its source folder (None when it can): the Data Package rule, a
    relative POSIX path that does not go up (`..`), is neither absolute nor a web address, and holds no control
    character."""
    if not isinstance(rel, str) or not rel.strip():
        return f"path {rel!r} is not a file name"
    if _SCHEME.match(rel):
        return f"path {rel!r} is a web address: a resource's files are in its source folder"
    if rel.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", rel):
        return f"path {rel!r} is an absolute path: a resource's files are in its source folder"
    if ".." in re.split(r"[\\/]", rel):
        return f"path {rel!r} leaves its source folder ('..'): a resource's files are in its source folder"
    if any(ord(c) < 32 or ord(c) == 127 for c in rel):
        return f"path {rel!r} holds a control character"
    return None


def resource_paths(descriptor: dict) -> list:
    """The path(s) a resource names, as a list (one entry for a single-file resource)."""
    paths = descriptor.get("path")
    return list(paths) if isinstance(paths, list) else [paths]


def resource_files(folder: Path, descriptor: dict) -> list[Path]:
    """The files a resource of the source folder `folder` (`<data>/raw/<source>`) names, each checked (`path_problem`,
    `inside`) before anything is read through it; DataError naming the package, resource and path otherwise."""
    found = []
    for rel in resource_paths(descriptor):
        reason = path_problem(rel)
        if reason:
            package = Path(folder, "datapackage.json")
            raise DataError(Problem(display_path(package), f"resource '{descriptor.get('name', '?')}': {reason}",
                                    line=_line_with(package, json.dumps(rel, ensure_ascii=False))))
        found.append(inside(Path(folder).parent.parent, Path(folder, rel)))
    return found


def _line_with(path: Path, text: str) -> int | None:
    """The first line of a (small, already checked) file that holds `text`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((number for number, line in enumerate(lines, start=1) if text in line), None)


def boundary_problems(data_dir: Path) -> list[Problem]:
    """Everything that would make a read or write leave the data folder, found before anything in it is read: every
    symbolic link at any depth (never followed), then every resource path of every `datapackage.json` that is not
    a file of its source folder."""
    found = []
    for top, folders, names in os.walk(data_dir):  # a linked folder is listed, never entered
        folders.sort()
        for name in sorted(folders + names):
            if Path(top, name).is_symlink():
                found.append(Problem(display_path(Path(top, name)), LINKED))
    if found:
        return found
    for package_path in package_paths(data_dir):
        try:
            descriptor = load_descriptor(package_path)
        except DataError as exc:
            found += exc.problems
            continue
        resources = descriptor.get("resources", []) if isinstance(descriptor, dict) else []
        for resource in resources if isinstance(resources, list) else []:
            if not isinstance(resource, dict):
                found.append(Problem(display_path(package_path), f"a resource must be an object, not {resource!r}"))
                continue
            try:
                resource_files(package_path.parent, resource)
            except DataError as exc:
                found += exc.problems
    return found


def package_paths(data_dir: Path) -> list[Path]:
    """Every `datapackage.json` under `data_dir/raw`, in a stable order."""
    return sorted(Path(data_dir, "raw").glob("*/datapackage.json"))


def load_descriptor(package_path: Path) -> dict:
    try:
        return copy.deepcopy(_descriptor(os.getcwd(), cache.file_digest(package_path), str(package_path)))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(Problem(display_path(package_path), f"cannot read data package: {exc}"))


@functools.lru_cache(maxsize=256)
def _descriptor(cwd: str, digest: str, package_path: str) -> dict:
    return json.loads(Path(package_path).read_text(encoding="utf-8"))
