"""One cache for everything derived from the raw data, keyed on content.

An entry is stored under `.cache/<kind>/<key>.pickle`, where the key is a hash of what the entry
was derived from: the bytes of the input files, the `safecity` code that reads them (the importers
and validation), the Python and library versions, and the arguments. Nothing expires: new content
is a new key, so a stale entry is never served. Delete `.cache/` (`make clean`) to reclaim space.

* `tidy(*sources)` decorates an importer `f(data_dir, *args)`: what it returns is cached per content
  of the named source folders under `data_dir/raw/`.
* `remember(kind, key, build)` is the same store for other derived facts (a passed schema check).

A tidy entry is keyed on content and code alone, never on where the data folder is or the working
folder: `check` (run from the project) and the notebooks (run from `book/`) share its entries. Tables
name files as the user sees them; an entry stored for a data folder shown otherwise has those names
moved to the folder in use (`_relocate`).

Within one process, a file's digest is computed once per (path, size, modification time), so
importers called again and again do not re-read their inputs to find their key.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Callable, TypeVar

# `packages` imports this module in turn; each uses the other only when called, so either may be imported first.
from . import ROOT, packages

#: Where entries are stored (tests point it elsewhere).
DIR = ROOT / ".cache"
#: Code whose change makes every tidy table stale: the importers and what they call.
CODE = ("safecity/__init__.py", "safecity/errors.py", "safecity/packages.py", "safecity/validate.py",
        "safecity/cache.py", "safecity/limits.py", "safecity/sources")
LIBRARIES = ("pandas", "pyarrow", "numpy", "openpyxl", "frictionless")

T = TypeVar("T")


def _stat(path: Path) -> tuple | None:
    try:
        s = os.stat(path)
    except FileNotFoundError:
        return None
    return os.path.realpath(path), s.st_size, s.st_mtime_ns, s.st_ino


@functools.lru_cache(maxsize=4096)
def _file_digest(signature: tuple) -> str:
    digest = hashlib.sha256()
    with open(signature[0], "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (hex), computed once per process while the file is unchanged."""
    signature = _stat(path)
    if signature is None:
        raise FileNotFoundError(path)
    return _file_digest(signature)


def tree_digest(root: Path, paths: list[Path]) -> str:
    """One hash of the named files and folders (every file inside), by relative path and content."""
    digest = hashlib.sha256()
    for top in paths:
        files = sorted(p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
            if top.is_dir() else [top]
        for path in files:
            digest.update(os.path.relpath(path, root).encode() + b"\0")
            digest.update((file_digest(path) if path.exists() else "<missing>").encode() + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _environment() -> str:
    versions = [sys.version] + [f"{name}=={importlib.metadata.version(name)}" for name in LIBRARIES]
    return "\n".join(versions)


def key(*parts, code: tuple[str, ...] = CODE) -> str:
    """A cache key from text parts, the code that derives the entry (default: the importers) and the
    environment."""
    digest = hashlib.sha256(_environment().encode())
    digest.update(tree_digest(ROOT, [ROOT / p for p in code]).encode())
    for part in parts:
        digest.update(b"\0" + str(part).encode())
    return digest.hexdigest()


def remember(kind: str, entry_key: str, build: Callable[[], T]) -> T:
    """The value stored under `kind/entry_key`, else `build()`, stored (nothing is stored if it raises)."""
    path = Path(DIR, kind, f"{entry_key}.pickle")
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except Exception:  # no entry yet, or an unreadable one (cut short, an old format): built again
        pass
    value = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{entry_key[:12]}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: a reader sees the whole entry or none
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return value


def _shown_raw(data_dir: Path) -> str:
    """How the files of `data_dir/raw/` begin when shown to the user (as `packages.display_path` shows them)."""
    return packages.display_path(Path(data_dir, "raw")) + os.sep


def _relocate(value, old: str, new: str):
    """`value` with every file name that begins `old` (a text field, an item, or a `file` column of a table)
    beginning `new` instead."""
    import dataclasses

    import pandas as pd

    if isinstance(value, str):
        return new + value[len(old):] if value.startswith(old) else value
    if isinstance(value, pd.DataFrame):
        if "file" not in value.columns:
            return value
        return value.assign(file=value["file"].map(lambda v: _relocate(v, old, new)))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _relocate(getattr(value, f.name), old, new)
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, (list, tuple)):
        return type(value)(_relocate(v, old, new) for v in value)
    if isinstance(value, dict):
        return {k: _relocate(v, old, new) for k, v in value.items()}
    return value


def tidy(*sources: str):
    """Decorator for an importer `f(data_dir, *args)`: cache its result per content of
    `data_dir/raw/<source>/` for each named source, the code and the arguments (not where the folder
    is). `f.uncached` reads without the cache."""
    def decorate(read: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(read)
        def cached(data_dir, *args, **kwargs) -> T:
            data_dir = Path(data_dir)
            inputs = tree_digest(data_dir, [data_dir / "raw" / s for s in sources])
            entry = key(read.__module__, read.__qualname__, inputs, repr(args), repr(sorted(kwargs.items())))
            shown = _shown_raw(data_dir)
            stored_as, value = remember("tidy", entry, lambda: (shown, read(data_dir, *args, **kwargs)))
            return value if stored_as == shown else _relocate(value, stored_as, shown)
        cached.uncached = read
        return cached
    return decorate
