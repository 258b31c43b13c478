"""Charts as a reader sees them: each title one line on a desktop, each chart inside its column on a phone.

The chapters whose charts were redrawn for their takeaway (issue 24) are checked here, in headless Chromium on the
site built from the committed notebooks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safecity import sitecheck

pytestmark = pytest.mark.skipif(not Path(sitecheck.CHROMIUM).exists(), reason=f"{sitecheck.CHROMIUM} not found")

PAGES = ["book/01_arrests_by_area.html", "book/02_offences.html", "book/04_refugees.html"]

#: Per figure: its id, the lines its title takes, its chart box's width and how far the drawing reaches past it.
_FIGURES_JS = """() => Array.from(document.querySelectorAll('figure.safecity-figure')).map(f => {
  const title = f.querySelector('.safecity-figure-title');
  const line = parseFloat(getComputedStyle(title).lineHeight);
  const box = f.querySelector('.safecity-chart').getBoundingClientRect();
  const svg = f.querySelector('.safecity-chart svg').getBoundingClientRect();
  return {id: f.id, lines: Math.round(title.getBoundingClientRect().height / line), width: Math.round(box.width),
          overflow: Math.max(0, Math.round(svg.right - box.right), Math.round(box.left - svg.left))};
})"""


@pytest.fixture(scope="module")
def browser():
    with sitecheck.launch() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def server(built_site):
    with sitecheck.SiteServer(built_site) as srv:
        yield srv


def _figures(browser, server, page: str, viewport: dict) -> list[dict]:
    visit = sitecheck.PageVisit(browser, server, page, viewport=viewport)
    try:
        tab = visit.open()
        tab.wait_for_function("() => Array.from(document.querySelectorAll('.safecity-chart'))"
                              ".every(el => el.querySelector('svg'))")
        figures = tab.evaluate(_FIGURES_JS)
    finally:
        visit.close()
    assert figures, f"{page}: no chart"
    return figures


@pytest.mark.parametrize("page", PAGES)
def test_chart_titles_are_one_line_on_a_desktop(page, browser, server):
    long = [f["id"] for f in _figures(browser, server, page, sitecheck.DESKTOP) if f["lines"] != 1]
    assert not long, f"{page}: titles on more than one line: {long}"


@pytest.mark.parametrize("page", PAGES)
def test_charts_fit_a_phone_column(page, browser, server):
    figures = _figures(browser, server, page, sitecheck.PHONE)
    assert all(f["width"] <= sitecheck.PHONE["width"] - 40 for f in figures), figures  # the 342-px column
    wide = [f for f in figures if f["overflow"] > 0]
    assert not wide, f"{page}: charts drawn wider than their column: {wide}"
