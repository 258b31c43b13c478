"""The Sources page, the data reporters' files page and each chart's "Data as of": every date comes from the
sources' datapackage.json (stated there, or measured in the data it points at), through the templates."""

from __future__ import annotations

import html
import importlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from safecity import charts, prose, provenance, record, refugees, validate, visas
from safecity.datarecord import dump

from conftest import DATA, ROOT

BOOK = ROOT / "book"
VISAS = "state-dept-monthly-visas"


class _Rows(HTMLParser):
    """The rows of the HTML tables in a page: each row's id and its cells' text by their data-label."""

    def __init__(self):
        super().__init__()
        self.rows: list[dict] = []
        self._label = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append({"id": attrs.get("id"), "cells": {}})
        elif tag == "td" and self.rows:
            self._label = attrs.get("data-label")
            self.rows[-1]["cells"][self._label] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._label = None

    def handle_data(self, data):
        if self._label is not None:
            self.rows[-1]["cells"][self._label] += data


def _rows(markup: str) -> dict[str, dict[str, str]]:
    parser = _Rows()
    parser.feed(markup)
    return {row["id"].removeprefix("source-"): row["cells"] for row in parser.rows if row["id"]}


def _page(data_dir: Path) -> dict[str, dict[str, str]]:
    """The Sources page's table as the notebook renders it, for the data in `data_dir`, by source folder."""
    rows = provenance.sources(data_dir)
    return _rows(prose.blocks("05_sources", {"sources": rows, "n_sources": len(rows)})["sources_table"])


def _glued(notebook: str) -> dict[str, str]:
    found = {}
    for cell in nbformat.read(BOOK / f"{notebook}.ipynb", as_version=4).cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook", {})
            if scrap.get("name"):
                found[scrap["name"]] = output["data"][scrap["mime_prefix"] + "text/markdown"]
    return found


def _html_outputs(notebook: str) -> str:
    return "\n".join(str(output.get("data", {}).get("text/html", ""))
                     for cell in nbformat.read(BOOK / f"{notebook}.ipynb", as_version=4).cells
                     for output in cell.get("outputs", []))


@pytest.fixture
def data(tmp_path):
    """A private copy of the data folder to change."""
    target = tmp_path / "data"
    shutil.copytree(DATA / "raw", target / "raw")
    return target


def _package(data_dir: Path, source: str) -> tuple[Path, dict]:
    path = data_dir / "raw" / source / "datapackage.json"
    return path, json.loads(path.read_text(encoding="utf-8"))


def test_the_sources_page_has_one_row_per_datapackage_with_its_dates():
    rows = _rows(_glued("05_sources")["sources_table"])
    folders = [p.parent.name for p in validate.package_paths(DATA)]
    assert list(rows) == folders
    for folder, cells in rows.items():
        descriptor = json.loads((DATA / "raw" / folder / "datapackage.json").read_text(encoding="utf-8"))
        assert set(cells) == {"Source", "Published", "Covers", "Retrieved"}, folder
        assert cells["Source"] == descriptor["title"]
        assert cells["Retrieved"].startswith(prose.date(descriptor["retrieved"])), folder
        for cell in cells.values():
            assert not re.search(r"\b(nan|None|NaT)\b", cell), (folder, cell)
    # Dates read in the data, not typed: the operation's own dates, the release's day, the latest visa month.
    assert rows["ice-safe-city"]["Covers"] == "24 September 2017 to 27 September 2017"
    assert rows["ice-safe-city"]["Published"] == "28 September 2017"
    months = sorted(p.name[:7] for p in (DATA / "raw" / VISAS).glob("*/*.jsonl.gz"))
    assert rows[VISAS]["Covers"] == f"{prose.month(months[0])} to {prose.month(months[-1])}"
    assert rows["ice-annual-arrests"]["Covers"] == "FY2015 to FY2024"
    assert rows["nationality-crosswalk"]["Covers"] == "not stated"


def test_a_changed_retrieval_date_changes_that_row_only(data):
    before = _page(data)
    path, descriptor = _package(data, "travel-ban")
    descriptor["retrieved"] = "2027-01-15"
    path.write_text(dump(descriptor), encoding="utf-8")
    after = _page(data)
    assert after["travel-ban"]["Retrieved"] == "15 January 2027"
    assert before["travel-ban"]["Retrieved"] != after["travel-ban"]["Retrieved"]
    assert {k: v for k, v in after.items() if k != "travel-ban"} == {k: v for k, v in before.items() if k != "travel-ban"}


def test_a_new_month_of_visas_moves_the_period_and_the_charts_data_as_of(data):
    """Coverage is measured in the files: a new month's file (recorded as `data record` would) moves the Sources
    row and the visa chart's caption, with no date typed anywhere."""
    folder = data / "raw" / VISAS
    path, descriptor = _package(data, VISAS)
    resource = next(r for r in descriptor["resources"] if r["name"] == "nonimmigrant")
    last = sorted(resource["path"])[-1]
    new = "nonimmigrant/2031-02-01.jsonl.gz"
    shutil.copy(folder / last, folder / new)
    resource["path"] = sorted(resource["path"] + [new])
    path.write_text(dump(descriptor), encoding="utf-8")
    assert _page(data)[VISAS]["Covers"].endswith(" to February 2031")
    coverage, blocks = record.data_as_of(data, [VISAS], {"visas_proclamation_countries_source": "the State Department"},
                                       visas.CHART_SOURCES)
    assert coverage[VISAS]["end"] == "2031-02-28"
    assert blocks["visas_proclamation_countries_as_of"] == "Data as of February 2031."


def test_a_source_with_no_period_says_not_stated(data):
    path, descriptor = _package(data, "mpi-refugee-admissions")
    del descriptor["temporal"]
    path.write_text(dump(descriptor), encoding="utf-8")
    row = _page(data)["mpi-refugee-admissions"]
    assert row["Covers"] == "not stated" and row["Published"] == "not stated"
    _, blocks = record.data_as_of(data, ["mpi-refugee-admissions"], {"refugee_share_of_ceiling_source": "MPI"},
                                  refugees.CHART_SOURCES)
    assert blocks["refugee_share_of_ceiling_as_of"] == "Data as of: not stated by its source."
    _, blocks = record.data_as_of(data, ["mpi-refugee-admissions", "refugee-policy"], {"refugee_ceilings_source": "x"},
                                  refugees.CHART_SOURCES)
    assert blocks["refugee_ceilings_as_of"] == "Data as of FY2026 (1 of its 2 sources states no period)."


def _figures(notebook: str) -> dict[str, str]:
    return dict(re.findall(r'<figure class="safecity-figure" id="figure-([\w-]+)">(.*?)</figure>',
                           _html_outputs(notebook), re.S))


def _latest(coverage: list[dict]) -> str:
    """The words a reader expects for the latest date covered, written out here from the dates themselves."""
    latest = max(coverage, key=lambda c: c["end"])
    if latest["unit"] == "fiscal year":
        return f"FY{latest['end'][:4]}"
    if latest["unit"] == "month":
        return prose.month(latest["end"])
    return prose.date(latest["end"])


@pytest.mark.parametrize("notebook", sorted(p.stem for p in (BOOK / "results").glob("*.json")))
def test_every_chart_caption_says_data_as_of_the_latest_date_its_sources_cover(notebook):
    rec = record.read(notebook, BOOK / "results")
    for chart, body in _figures(notebook).items():
        caption = html.unescape(re.sub(r"<[^>]+>", "", re.search(r"<figcaption>(.*?)</figcaption>", body, re.S).group(1)))
        chapter = importlib.import_module(f"safecity.{rec['chapter']}")
        cited = [rec["coverage"][s] for s in chapter.CHART_SOURCES[chart]]
        assert f"Data as of {_latest([c for c in cited if c])}" in caption, (notebook, chart, caption)
        assert rec["text"][f"{chart.replace('-', '_')}_as_of"] in caption
        assert "2026-" not in caption and not re.search(r"\b(nan|None)\b", caption)


def test_the_visa_chart_is_as_of_the_latest_month_file():
    body = _figures("03_visas")["visas-proclamation-countries"]
    months = sorted(p.name[:7] for p in (DATA / "raw" / VISAS).glob("nonimmigrant/*.jsonl.gz"))
    assert f"Data as of {prose.month(months[-1])}." in html.unescape(body)


def test_the_files_page_lists_every_file_with_its_checksum():
    page = _html_outputs("10_data_files")
    listed = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = dict(re.findall(r'data-label="([^"]+)">(.*?)</td>', row, re.S))
        if "SHA-256 checksum" in cells:
            listed[html.unescape(cells["file"])] = re.sub(r"<[^>]+>|\s", "", cells["SHA-256 checksum"])
    expected = {}
    for package_path in validate.package_paths(DATA):
        for rel in validate.listed_paths(json.loads(package_path.read_text(encoding="utf-8"))):
            expected[f"{package_path.parent.name}/{rel}"] = validate.sha256(package_path.parent / rel)
    assert listed == expected
    assert "SHA-256" not in "".join(_html_outputs("05_sources")), "the checksums moved to the files page"


def test_the_files_page_is_in_the_data_reporters_part_before_rerunning():
    from safecity import pipeline

    order = pipeline.toc_files(ROOT)
    assert order.index("book/06_downloads") < order.index("book/10_data_files") < order.index("book/rerun")
    assert "10_data_files.ipynb" in _glued("05_sources")["intro"]


@pytest.mark.parametrize("edit, says", [
    (lambda d: d.update(temporal={"start": "2025-06-04", "end": "2017-01-27"}), "starts (2025-06-04) after it ends"),
    (lambda d: d.update(temporal={"resource": "travel_ban_dates", "fields": ["day"]}), "has no field 'day'"),
    (lambda d: d.update(temporal={"resource": "travel_ban_dates", "fields": ["date"], "unit": "week"}), "unit must be"),
    (lambda d: d.update(published="June 2025"), "is not a date"),
    (lambda d: d.update(published={"pointer": "/article/datePublished"}), "points at no date"),
    (lambda d: d.update(published={"package": "ice-safe-city", "resource": "release", "field": "day"}), "no field 'day'"),
    (lambda d: d.update(retrieved="2026-13-01"), "is not a date"),
])
def test_bad_dates_in_a_datapackage_are_one_line_each(data, edit, says):
    path, descriptor = _package(data, "travel-ban")
    edit(descriptor)
    path.write_text(dump(descriptor), encoding="utf-8")
    errors, _ = validate.check(data)
    assert len(errors) == 1, errors
    assert str(errors[0]).startswith(f"{validate.display_path(path)}, line ") and says in str(errors[0])


def test_a_pointer_to_dates_that_are_not_dates_is_an_error(data):
    path, descriptor = _package(data, "travel-ban")
    descriptor["temporal"] = {"resource": "travel_ban_dates", "fields": ["label"], "unit": "fiscal year"}
    path.write_text(dump(descriptor), encoding="utf-8")
    errors, _ = validate.check(data)
    assert len(errors) == 1 and "temporal: the dates it points at cannot be read" in str(errors[0]), errors


def test_a_caption_shows_its_data_as_of_beside_the_source():
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame({"x": ["a"], "y": [1]})
    figure = charts.Figure(alt.Chart(frame).mark_bar().encode(x="x", y="y"), name="t", data=frame,
                           text={"t_title": "T", "t_alt": "A", "t_source": "ICE", "t_as_of": "Data as of May 2025."})
    caption = re.search(r"<figcaption>(.*?)</figcaption>", figure._repr_html_(), re.S).group(1)
    assert caption.startswith("Source: ICE. <span class=\"safecity-as-of\">Data as of May 2025.</span>")
