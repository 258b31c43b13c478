"""One content-keyed cache for derived tables, and validation once per process."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from safecity import cache, validate, visas
from safecity.errors import DataError, Problem

from conftest import DATA, defaults


@pytest.fixture
def store(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(cache, "DIR", tmp_path / "cache")
    return tmp_path / "cache"


def test_an_importer_result_is_reused_until_its_files_change(tmp_path, store):
    folder = tmp_path / "data" / "raw" / "numbers"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("1\n", encoding="utf-8")
    calls = []

    @cache.tidy("numbers")
    def read(data_dir: Path, scale: int) -> int:
        calls.append(scale)
        text = (Path(data_dir) / "raw" / "numbers" / "a.txt").read_text(encoding="utf-8")
        if not text.strip().isdigit():
            raise DataError(Problem("a.txt", "not a number", line=1))
        return int(text) * scale

    data = tmp_path / "data"
    assert read(data, 2) == 2 and read(data, 2) == 2 and calls == [2]  # the second from the cache
    assert read(data, 3) == 3 and calls == [2, 3]  # other arguments, another entry
    (folder / "a.txt").write_text("5\n", encoding="utf-8")
    assert read(data, 2) == 10  # new content, new key: never served stale
    (folder / "b.txt").write_text("new file\n", encoding="utf-8")
    assert read(data, 2) == 10 and calls == [2, 3, 2, 2]  # any file of the source folder counts
    (folder / "a.txt").write_text("x\n", encoding="utf-8")
    for _ in range(2):  # an error is raised every time, never stored
        with pytest.raises(DataError):
            read(data, 2)
    assert calls[-2:] == [2, 2]


def test_a_chapter_load_validates_each_resource_once(monkeypatch, store):
    """Importers inside a notebook call validation again and again; each resource is checked once."""
    validate._validated.cache_clear()
    checked = Counter()
    original = validate._validate_resource

    def counting(folder, descriptor):
        checked[(Path(folder).name, descriptor["name"])] += 1
        return original(folder, descriptor)

    monkeypatch.setattr(validate, "_validate_resource", counting)
    groups = defaults("03_visas")["groups"]
    visas.load(DATA, groups)
    visas.load(DATA, groups)
    assert checked and set(checked.values()) == {1}, checked


def test_changed_file_is_validated_again(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA / "raw" / "politico-visas", data / "raw" / "politico-visas")
    folder, descriptor = validate.resource_descriptor(data, "politico-visas", "politico_visa_changes")
    assert validate.validate_resource(folder, descriptor)[0] == []
    path = folder / descriptor["path"]
    path.write_text(path.read_text(encoding="utf-8") + "not,a,valid,row,at,all\n", encoding="utf-8")
    assert validate.validate_resource(folder, descriptor)[0] != []


def test_a_data_folder_elsewhere_with_the_same_content_reuses_the_entry(tmp_path, store, monkeypatch):
    """Keyed on content and code alone: `check` (run from the project) and the notebooks (run from `book/`, with
    `../data`) share entries. File names in the entry are shown as in the folder in use."""
    from safecity.validate import display_path

    calls = []

    @cache.tidy("numbers")
    def read(data_dir: Path) -> tuple[int, str]:
        calls.append(data_dir)
        path = Path(data_dir) / "raw" / "numbers" / "a.txt"
        return int(path.read_text(encoding="utf-8")), display_path(path)

    for name in ("one", "two"):
        (tmp_path / name / "raw" / "numbers").mkdir(parents=True)
        (tmp_path / name / "raw" / "numbers" / "a.txt").write_text("4\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert read(Path("one")) == (4, "one/raw/numbers/a.txt")
    assert read(Path("two")) == (4, "two/raw/numbers/a.txt")
    monkeypatch.chdir(tmp_path / "two")
    assert read(Path("..", "one")) == (4, "../one/raw/numbers/a.txt")
    assert calls == [Path("one")], "a folder with the same content was read again"
    (tmp_path / "two" / "raw" / "numbers" / "a.txt").write_text("5\n", encoding="utf-8")
    assert read(Path(".")) == (5, "raw/numbers/a.txt") and len(calls) == 2
