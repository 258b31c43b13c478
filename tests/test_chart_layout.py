"""Charts as a reader sees them: each title one line on a desktop, each chart inside its column on a phone.

Every page with a chart is checked here, in headless Chromium on the site built from the committed notebooks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safecity import sitecheck

pytestmark = pytest.mark.skipif(not Path(sitecheck.CHROMIUM).exists(), reason=f"{sitecheck.CHROMIUM} not found")

ROOT = Path(__file__).resolve().parents[1]
#: Every page that draws a chart (its executed notebook holds a figure).
PAGES = sorted(f"book/{nb.stem}.html" for nb in (ROOT / "book").glob("*.ipynb")
               if 'class=\\"safecity-figure\\"' in nb.read_text(encoding="utf-8"))  # as JSON escapes it

#: Per figure: its id, the lines its title takes, its chart box's width and how far the drawing reaches past it.
_FIGURES_JS = """() => Array.from(document.querySelectorAll('figure.safecity-figure')).map(f => {
  const title = f.querySelector('.safecity-figure-title');
  const line = parseFloat(getComputedStyle(title).lineHeight);
  const box = f.querySelector('.safecity-chart').getBoundingClientRect();
  const svg = f.querySelector('.safecity-chart svg').getBoundingClientRect();
  return {id: f.id, lines: Math.round(title.getBoundingClientRect().height / line), width: Math.round(box.width),
          overflow: Math.max(0, Math.round(svg.right - box.right), Math.round(box.left - svg.left))};
})"""


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


@pytest.mark.parametrize("page", PAGES)
def test_charts_follow_their_column_when_the_reader_switches_to_dark_mode(page, browser, server):
    """The dark theme sets charts on a padded panel: a page opened in light mode and switched to dark keeps every
    chart inside its (narrower) column, without a window resize."""
    visit = sitecheck.PageVisit(browser, server, page, viewport=sitecheck.PHONE)
    try:
        tab = visit.open()
        tab.wait_for_function("() => Array.from(document.querySelectorAll('.safecity-chart'))"
                              ".every(el => el.querySelector('svg'))")
        tab.emulate_media(color_scheme="dark")
        tab.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
        tab.wait_for_timeout(500)  # the theme's colour transition, then the charts' new layout
        figures = tab.evaluate(_FIGURES_JS)
    finally:
        visit.close()
    wide = [f for f in figures if f["overflow"] > 0]
    assert not wide, f"{page}: after switching to dark mode, charts drawn wider than their column: {wide}"
