"""Every page shows only words from its results record, and every word in the record is shown.

A chapter page's prose is its record's rendered blocks, glued whole (`{glue:md}`); its charts carry the
record's `<chart>_title`, `_subtitle`, `_source` and `_alt` blocks. Nothing else on the page is prose.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import pytest

from safecity import charts, record

from conftest import ROOT

RESULTS = ROOT / "book" / "results"
PAGES = sorted(p.stem for p in RESULTS.glob("*.json"))
NOTEBOOKS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
GLUE_MD = re.compile(r"```\{glue:md\}\s+(\S+)")
FIGURE = re.compile(r'<figure class="safecity-figure" id="figure-([\w-]+)">(.*?)</figure>', re.S)
CHART_PARTS = ("title", "subtitle", "source", "alt", "note", "as_of")


#: The tag that keeps a notebook's working cells (its steps, intermediate tables and checks) off the page: myst-nb
#: leaves such a cell out of the page, and nbval still compares its outputs.
WORKING = "remove-cell"


def _working(cell) -> bool:
    return WORKING in cell.metadata.get("tags", [])


def _cells(name: str, working: bool = False):
    """The executed notebook's cells the reader's page shows (and, with `working`, its working cells too)."""
    cells = nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4).cells
    return cells if working else [cell for cell in cells if not _working(cell)]


def _shown(name: str) -> tuple[set[str], dict[str, str]]:
    """(the blocks glued into the page's markdown, each chart's HTML by chart name)."""
    glued, figures = set(), {}
    for cell in _cells(name):
        if cell.cell_type == "markdown":
            glued |= set(GLUE_MD.findall(cell.source))
        for output in cell.get("outputs", []):
            for chart, body in FIGURE.findall(str(output.get("data", {}).get("text/html", ""))):
                figures[chart] = body
    return glued, figures


def _all_outputs(exclude: str) -> str:
    """Everything the other executed pages show: their HTML and Markdown outputs."""
    found = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        if path.stem == exclude:
            continue
        for cell in nbformat.read(path, as_version=4).cells:
            if _working(cell):
                continue
            for output in cell.get("outputs", []):
                found += [str(v) for k, v in output.get("data", {}).items() if k.endswith(("text/html", "text/markdown"))]
    return "\n".join(found)


def _shown_by_readers(name: str) -> set[str]:
    """Blocks of `name`'s record that a page reading that record shows whole (the intro shows the ledger's findings):
    glued in a notebook that runs after `name` and keeps no record of its own."""
    from safecity import pipeline

    shown = set()
    for nb in pipeline.notebooks(ROOT):
        if name in nb.after and not (RESULTS / f"{nb.name}.json").exists():
            shown |= _shown(nb.name)[0]
    return shown


VERDICTS = re.compile(r"```\{safecity-verdicts\}\s+(\S+)")


def _shown_by_site(name: str) -> set[str]:
    """Blocks of the ledger's record that the site shows on other pages: each page's verdict cards, which the
    `safecity-verdicts` directive (book/_ext/safecity_site.py) takes whole from the ledger's record."""
    if name != "07_claims_ledger":
        return set()
    return {f"cards_{page}" for path in sorted((ROOT / "book").glob("*.ipynb"))
            for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"
            for page in VERDICTS.findall(cell.source)}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_page_markdown_holds_headings_and_whole_glued_blocks_only(name):
    """The one check of a notebook's shape: the page's markdown is headings and whole glued blocks; prose that
    explains the working (for a reviewer opening the notebook) is only in cells tagged off the page."""
    for cell in _cells(name):
        if cell.cell_type != "markdown":
            continue
        prose = re.sub(r"```\{[\w:-]+\}[^\n]*\n(:[^\n]*\n)*```", "", cell.source)  # glued blocks, dates
        prose = re.sub(r"^#+ .*$", "", prose, flags=re.M)
        # A heading's target label and a MyST comment are markup, not words a reader reads.
        prose = re.sub(r"^(\([\w-]+\)=|%.*)$", "", prose, flags=re.M)
        assert "{glue:text}" not in cell.source and "{glue}" not in cell.source, (name, cell.source[:200])
        assert not prose.strip(), (f"{name}: prose written in the notebook, not the template (tag a working cell "
                                   f"'{WORKING}'): {prose.strip()[:200]!r}")
    for cell in _cells(name, working=True):
        if _working(cell):
            assert "{glue" not in cell.source, f"{name}: a working cell glues a block the page would not show"


#: The steps a chapter notebook's working names for a reporter, in this order (others may come between).
STEPS = ("Loaded", "Checks", "To the record")


@pytest.mark.parametrize("name", PAGES)
def test_a_chapter_notebook_explains_its_working_to_a_reporter(name):
    """Opened, a chapter's notebook tells its analysis in words, off the page: its working markdown says what is
    loaded, the checks and what goes to the record, in that order, each followed by a working cell whose output nbval
    compares. A notebook of headings and glued blocks alone explains nothing to a reporter."""
    cells = _cells(name, working=True)
    explained = [re.sub(r"^#+ .*$", "", cell.source, flags=re.M).strip() for cell in cells
                 if _working(cell) and cell.cell_type == "markdown"]
    assert "".join(explained), f"{name}: 0 characters of prose outside headings and glue"
    found = []
    for index, cell in enumerate(cells):
        if not (_working(cell) and cell.cell_type == "markdown"):
            continue
        for step in STEPS:
            if f"**{step}" in cell.source:
                shown = next((c for c in cells[index + 1:] if c.cell_type == "code"), None)
                assert shown is not None and _working(shown) and shown.outputs, \
                    f"{name}: the step '{step}' is not followed by a working cell with its output"
                found.append(step)
    assert found == list(STEPS), f"{name}: the working names {found}, not {list(STEPS)} in order"


@pytest.mark.parametrize("name", PAGES)
def test_every_word_of_the_record_is_on_its_page_and_no_other(name):
    rec = record.read(name, RESULTS)
    glued, figures = _shown(name)
    chart_blocks = {f"{chart.replace('-', '_')}_{part}" for chart in figures for part in CHART_PARTS}
    unknown = glued - set(rec["text"])
    assert not unknown, f"{name}: the page glues blocks its record does not hold: {sorted(unknown)}"
    # A block the notebook passes to a table (its caption, its folded summary) is shown in that table's HTML.
    outputs = "\n".join(str(output.get("data", {}).get("text/html", ""))
                         for cell in _cells(name) for output in cell.get("outputs", []))
    in_tables = {key for key, text in rec["text"].items()
                 if f"<caption>{html.escape(text)}</caption>" in outputs or f"<summary>{html.escape(text)} (" in outputs}
    # A block a chart draws (a legend label, a reference line's label) is in the chart's spec on the page; a
    # block another page quotes whole (the ledger shows a chapter's sentence in its row) is in that page.
    in_specs = {key for key, text in rec["text"].items() if json.dumps(text, ensure_ascii=False)[1:-1] in outputs}
    elsewhere = _all_outputs(exclude=name)
    quoted = {key for key, text in rec["text"].items() if html.escape(text, quote=False) in elsewhere
              or text in elsewhere}
    unshown = (set(rec["text"]) - glued - chart_blocks - _shown_by_readers(name) - _shown_by_site(name)
               - in_tables - in_specs - quoted)
    assert not unshown, f"{name}: the record holds words no page shows: {sorted(unshown)}"
    for chart, body in figures.items():
        key = chart.replace("-", "_")
        assert html.escape(rec["text"][f"{key}_title"]) in body, (name, chart, "title")
        assert f'aria-label="{html.escape(rec["text"][f"{key}_alt"])}"' in body, (name, chart, "text alternative")
        assert f"Source: {charts.link_addresses(rec['text'][f'{key}_source'])}" in body, (name, chart, "source")
        assert f'<span class="safecity-as-of">{html.escape(rec["text"][f"{key}_as_of"])}</span>' in body, \
            (name, chart, "data as of: name the sources the chart cites in its chapter's CHART_SOURCES")
        if f"{key}_subtitle" in rec["text"]:
            assert html.escape(rec["text"][f"{key}_subtitle"]) in body, (name, chart, "subtitle")
