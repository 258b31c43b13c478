"""The site as readers meet it: every page of the toc opened in a real (headless) Chromium, offline.

Debian's Chromium (`/usr/bin/chromium`) is driven by Playwright; the site is served from 127.0.0.1
by a plain static file server, and any request to another host is blocked and reported. Every page is
also checked with axe-core (WCAG 2.1 A/AA and best practice; bundled, so it runs offline) on a desktop
and on a 390-px phone. Screenshots of every page at both widths are kept in `_build/screenshots/`
(`<page>.png`, `<page>.phone.png`) for inspection. The checks themselves live in `safecity.sitecheck`,
which the last tests here try out on a small site with known faults.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.parse
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pytest

from safecity import charts, pipeline, sitecheck

from conftest import ROOT

SKIP_REASON = f"browser tests skipped: {sitecheck.CHROMIUM} not found — install Debian's chromium"
# CI sets SAFECITY_REQUIRE_BROWSER=1 so that a missing browser fails the run instead of skipping the readers' checks.
if os.environ.get("SAFECITY_REQUIRE_BROWSER") == "1" and not Path(sitecheck.CHROMIUM).exists():
    raise RuntimeError(f"{sitecheck.CHROMIUM} not found, and SAFECITY_REQUIRE_BROWSER=1: install Debian's chromium")
pytestmark = pytest.mark.skipif(not Path(sitecheck.CHROMIUM).exists(), reason=SKIP_REASON)

SCREENSHOTS = ROOT / "_build" / "screenshots"


def _page(entry: str) -> str:
    """The HTML page a toc entry becomes (`book/intro` or `book/intro.md` -> `book/intro.html`)."""
    for suffix in (".ipynb", ".md", ".rst"):
        entry = entry.removesuffix(suffix)
    return entry + ".html"


TOC_PAGES = [_page(entry) for entry in pipeline.toc_files(ROOT)]


def _is_notebook(entry_page: str) -> bool:
    return Path(ROOT, entry_page.removesuffix(".html") + ".ipynb").exists()


def _visits(browser, server, **options):
    """Yields a page opener (fresh browser context per page); afterwards fails on any console or network problem."""
    opened: list[sitecheck.PageVisit] = []

    def open_page(page: str) -> sitecheck.PageVisit:
        v = sitecheck.PageVisit(browser, server, page, **options)
        opened.append(v)
        v.open()
        return v

    yield open_page
    problems = [line for v in opened for line in v.problems]
    for v in opened:
        v.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def visit(browser, server):
    """Opens pages in fresh desktop-sized browser contexts."""
    yield from _visits(browser, server)


# --- every page --------------------------------------------------------------------------------

@pytest.mark.parametrize("page", TOC_PAGES + ["index.html", "search.html"])
def test_page_in_the_browser(page, browser, server):
    """No other host, no console or page error, every chart drawn and complete, tooltips, CSV; no serious or
    critical axe violation and no sideways scrolling on a phone; screenshots at both widths."""
    problems = sitecheck.check_page(browser, server, page, screenshots=SCREENSHOTS)
    assert not problems, "\n".join(problems)
    assert (SCREENSHOTS / sitecheck.screenshot_name(page)).stat().st_size > 0
    assert (SCREENSHOTS / sitecheck.screenshot_name(page, phone=True)).stat().st_size > 0


def test_every_page_of_the_site_is_checked(built_site):
    """The parametrized list above covers every page the site has (outside `_static/`)."""
    checked = set(TOC_PAGES) | {"index.html", "search.html"}
    assert set(sitecheck.site_pages(built_site)) <= checked, set(sitecheck.site_pages(built_site)) - checked
    assert not Path(built_site, "genindex.html").exists(), "the empty general index is published"


# --- reader features ---------------------------------------------------------------------------

def test_search_works_offline(visit):
    """A reader types a query into the search box: Sphinx's search answers from the local index."""
    v = visit(TOC_PAGES[0])
    page = v.page
    page.keyboard.press("Control+k")
    box = page.locator("input[name='q']:focus")
    box.wait_for(state="visible")
    box.fill("Los Angeles")
    with page.expect_navigation():
        box.press("Enter")
    assert urllib.parse.urlsplit(page.url).path.endswith("/search.html")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=sitecheck.TIMEOUT_MS)
    hrefs = results.locator("a").evaluate_all("links => links.map(a => a.href)")
    chapters = [p for p in TOC_PAGES if _is_notebook(p)]
    assert any(href.split("?")[0].split("#")[0].endswith(chapters[0]) for href in hrefs), hrefs
    assert "Search finished, found" in page.locator("#search-results").inner_text()


#: What a reader would search this book for, and a page that must come up for it.
SEARCHES = {"498": "book/01_arrests_by_area.html", "45,000": "book/04_refugees.html",
            "Politico": "book/03_visas.html", "refugee": "book/04_refugees.html"}


@pytest.mark.parametrize("query", sorted(SEARCHES))
def test_search_finds_figures_and_names_with_the_page_text_as_snippet(visit, server, query):
    """Numbers are searchable (Sphinx alone drops all-digit terms), and each snippet is the page's own text."""
    v = visit("search.html")
    v.page.goto(server.url("search.html") + "?q=" + urllib.parse.quote(query))
    results = v.page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=sitecheck.TIMEOUT_MS)
    v.page.wait_for_function("() => document.querySelector('#search-results').innerText.includes('Search finished')")
    found = results.evaluate_all("items => items.map(li => [li.querySelector('a').href, li.innerText])")
    pages = [urllib.parse.urlsplit(href).path for href, _ in found]
    assert any(path.endswith(SEARCHES[query]) for path in pages), pages
    for _, text in found:
        assert "Color mode" not in text and ".ipynb" not in text, text


def test_navigation_follows_the_toc(visit, server):
    """From the site's front door, the "next" links walk the pages in toc order; the sidebar lists them in order."""
    v = visit("index.html")
    page = v.page
    page.wait_for_url(re.compile(re.escape(TOC_PAGES[0]) + "$"))
    walked = []
    while True:
        walked.append(urllib.parse.urlsplit(page.url).path.removeprefix(server.prefix))
        nxt = page.locator("a.right-next")
        if not nxt.count() or len(walked) > len(TOC_PAGES):
            break
        with page.expect_navigation():
            nxt.first.click()
    assert walked == TOC_PAGES
    sidebar = page.locator("nav.bd-docs-nav .bd-sidenav:not(.bd-sidenav__home-link) a.reference.internal")
    listed = [urllib.parse.urlsplit(href).path.removeprefix(server.prefix)
              for href in sidebar.evaluate_all("links => links.map(a => a.href)")]
    assert listed == TOC_PAGES[1:]


DOWNLOADS = next(p for p in TOC_PAGES if "06_downloads" in p)


@pytest.mark.parametrize("page", [p for p in TOC_PAGES if _is_notebook(p)])
def test_chapter_offers_its_data_and_the_downloads_page_its_notebook(page, visit, built_site):
    """A reader page has no notebook-download or full-screen button; each of its charts offers a CSV; the Downloads
    page (for data reporters) offers the page's executed .ipynb from the site itself."""
    v = visit(page)
    p = v.page
    assert p.locator(".dropdown-download-buttons, .btn-download-source-button, .btn-fullscreen-button").count() == 0
    csv_links = p.locator('figure.safecity-figure a[download][href^="data:text/csv"]')
    assert csv_links.count() == p.locator(".safecity-chart").count(), f"{page}: a chart offers no CSV of its data"
    p.goto(v.server.url(DOWNLOADS))
    name = Path(page).stem + ".ipynb"
    link = p.locator(f'ul.safecity-notebooks a[download]:text-is("{name}")')
    assert link.count() == 1 and link.is_visible(), f"the Downloads page offers no {name}"
    href = link.evaluate("a => a.href")
    assert urllib.parse.urlsplit(href).netloc == v.server.netloc
    text = p.evaluate("url => fetch(url).then(r => r.ok ? r.text() : 'HTTP ' + r.status)", href)
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    served = Path(built_site, urllib.parse.unquote(urllib.parse.urlsplit(href).path).removeprefix("/"))
    assert json.loads(served.read_text(encoding="utf-8")) == json.loads(Path(ROOT, "book", name).read_text(encoding="utf-8"))
    assert any(c.cell_type == "code" and c.outputs for c in nb.cells), "the offered notebook has no outputs"


def test_tooltip_shows_exact_values(visit, built_site):
    """Hovering a mark shows vega's tooltip (bundled, no network) with the exact number."""
    page_name = _chart_page(built_site)
    if page_name is None:
        pytest.skip("no page has a chart")
    v = visit(page_name)
    chart = v.page.locator(".safecity-chart").first
    chart.locator("svg g.role-mark").first.wait_for(state="attached")
    text = sitecheck.hover_tooltip(v.page, chart)
    assert text and re.search(r"\d", text), text
    values = v.page.locator("#vg-tooltip-element td.value").all_text_contents()
    numbers = {n for n in re.findall(r"[\d,.]+\d|\d", " ".join(values))}
    # cell by cell: the table's whole text runs neighbouring cells together ("564" and "66" read as "56466")
    cells = v.page.locator(".safecity-chart >> xpath=ancestor::figure[1]").first.locator("details table td")
    table = " ".join(cells.all_text_contents())
    assert numbers & set(re.findall(r"[\d,.]+\d|\d", table)), (values, "not among the chart's numbers")


LEDGER = next(p for p in TOC_PAGES if "claims_ledger" in p)
INTRO = TOC_PAGES[0]


@pytest.fixture
def phone(browser, server):
    """Opens a page in a fresh phone-sized window (390 px)."""
    yield from _visits(browser, server, viewport=sitecheck.PHONE)


def _visible_rows(page) -> list[str]:
    return page.locator(".safecity-ledger-table tbody tr[data-verdict]:visible").evaluate_all(
        "rows => rows.map(r => r.id)")


def _lead_rows(page) -> list[str]:
    return page.locator(".safecity-ledger-lead tr[data-verdict]").evaluate_all("rows => rows.map(r => r.id)")


def test_ledger_filters_by_verdict_from_the_keyboard(visit):
    """A reader tabs to a verdict button and presses Enter: only those claims stay, folded or not; "All" brings
    back the ledger as it opened."""
    page = visit(LEDGER).page
    rows = page.locator(".safecity-ledger-table tbody tr[data-verdict]")
    opened = _visible_rows(page)
    assert opened == _lead_rows(page) and 0 < len(opened) < rows.count(), "routine claims start folded"
    everyone = rows.evaluate_all("rows => rows.map(r => r.id)")
    buttons = page.locator(".safecity-ledger-filter button")
    assert buttons.first.is_visible() and buttons.first.get_attribute("aria-pressed") == "true"
    verdicts = rows.evaluate_all("rows => rows.map(r => r.dataset.verdict)")
    target = next(i for i in range(1, buttons.count()) if buttons.nth(i).get_attribute("data-verdict") == "matches")
    chosen = buttons.nth(target)
    chosen.focus()  # then the keyboard, as a reader without a mouse would
    page.keyboard.press("Enter")
    expected = [r for r, v in zip(everyone, verdicts) if v == "matches"]
    assert _visible_rows(page) == expected and 0 < len(expected) < len(everyone)
    assert set(expected) - set(opened), "the filter shows the folded claims with that verdict too"
    assert chosen.get_attribute("aria-pressed") == "true" and buttons.first.get_attribute("aria-pressed") == "false"
    count = int(re.search(r"\((\d+)\)$", chosen.inner_text()).group(1))
    assert count == len(expected)
    assert page.locator(".safecity-ledger-status").inner_text() == (
        f"Showing {len(expected)} of {len(everyone)} claims: {chosen.inner_text().rsplit(' (', 1)[0]}.")
    for _ in range(target):  # back along the buttons to "All"
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.dataset.verdict") == ""
    page.keyboard.press("Space")  # a button answers to Space too
    assert _visible_rows(page) == opened


def test_ledger_folds_routine_claims_into_one_line_per_group_that_opens(visit):
    """Each folded line is a button that says how many claims it holds; pressing it shows exactly those."""
    page = visit(LEDGER).page
    folds = page.locator("tbody.safecity-ledger-fold")
    assert folds.count() > 0
    for i in range(folds.count()):
        fold = folds.nth(i)
        button = fold.locator(".safecity-ledger-heading button")
        members = fold.locator("tr[data-verdict]")
        assert button.get_attribute("aria-expanded") == "false" and members.first.is_hidden()
        assert f": {members.count()} " in button.inner_text()
        assert len(set(members.evaluate_all("rows => rows.map(r => r.dataset.verdict)"))) == 1
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        assert fold.locator("tr[data-verdict]:visible").count() == members.count()
        button.click()
        assert members.first.is_hidden()


def test_ledger_can_follow_the_articles_order(visit):
    """"The article's order" lists every claim as the article makes them, without the groups' lines."""
    page = visit(LEDGER).page
    page.locator('.safecity-ledger-order button[data-order="article"]').click()
    numbers = page.locator(".safecity-ledger-table tbody tr[data-verdict]:visible").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.number))")
    assert numbers == list(range(1, page.locator(".safecity-ledger-table tbody tr[data-verdict]").count() + 1))
    assert page.locator(".safecity-ledger-heading:visible").count() == 0
    page.locator('.safecity-ledger-order button[data-order="grouped"]').click()
    assert _visible_rows(page) == _lead_rows(page)


def test_a_link_to_a_folded_claim_opens_its_group(visit, server):
    """A claim's address (the ClaimReview url, a chapter's link) shows that claim even when its group is folded."""
    page = visit(INTRO).page
    page.goto(server.url(LEDGER))
    folded = page.locator("tbody.safecity-ledger-fold tr[data-verdict]").first.get_attribute("id")
    assert page.locator(f"#{folded}").is_hidden()
    page.goto(server.url(INTRO))
    page.goto(server.url(LEDGER) + "#" + folded)
    page.wait_for_function(f"() => !document.getElementById('{folded}').hidden")
    assert page.locator(f"#{folded}").is_visible()


@pytest.mark.parametrize("page_name", [INTRO, LEDGER])
def test_reads_on_a_phone_without_sideways_scrolling(page_name, phone):
    """At 390 px neither the page nor any box in it scrolls sideways (code cells aside)."""
    page = phone(page_name).page
    state = page.evaluate(sitecheck._SIDEWAYS_JS)
    assert state["scroll"] <= state["width"] + 1, state
    assert state["boxes"] == [], state


def test_ledger_fits_a_desktop_page(visit):
    """On a desktop every column of the ledger is in view: the table does not scroll sideways in its box."""
    state = visit(LEDGER).page.evaluate(sitecheck._SIDEWAYS_JS)
    assert state["boxes"] == [], state


def test_ledger_on_a_phone_shows_each_claim_with_its_verdict_first(phone):
    """On a phone each claim is a card that opens with its verdict badge, inside the screen's width."""
    page = phone(LEDGER).page
    page.locator('.safecity-ledger-order button[data-order="article"]').click()  # every row shown
    width = page.evaluate("() => document.documentElement.clientWidth")
    boxes = page.locator(".safecity-ledger-table tbody tr[data-verdict]").evaluate_all("""rows => rows.map(r => {
        const card = r.getBoundingClientRect();
        const claim = r.querySelector('td[data-label="Claim"]').getBoundingClientRect();
        const badge = r.querySelector('.verdict').getBoundingClientRect();
        return [claim.left, claim.right, badge.left, badge.right, badge.top - card.top, claim.top - badge.bottom];
    })""")
    assert boxes
    for left, right, badge_left, badge_right, badge_top, gap in boxes:
        assert 0 <= left and right <= width and 0 <= badge_left and badge_right <= width
        assert 0 <= badge_top < 30, "the verdict opens the card"
        assert 0 <= gap < 30, "the claim follows its verdict"


def _has_cards(entry_page: str) -> bool:
    path = ROOT / entry_page.replace(".html", ".ipynb")
    return path.exists() and any("safecity-verdicts" in cell.source
                                 for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown")


CHAPTERS = [p for p in TOC_PAGES if _has_cards(p)]


def _chapter_verdict(page_name: str) -> str:
    """The headline of a page's lead, as its results record holds it (the first bold sentence); the intro's
    bottom line is the ledger's."""
    notebook = "07_claims_ledger" if page_name == INTRO else Path(page_name).stem
    blocks = json.loads((ROOT / "book" / "results" / f"{notebook}.json").read_text(encoding="utf-8"))["text"]
    text = blocks.get("verdict_areas") or blocks["verdict"]  # the page's lead: the records chapter's is every area's
    return re.search(r"\*\*(.+?)\*\*", text).group(1)


@pytest.mark.parametrize("page_name", [INTRO, *CHAPTERS, LEDGER])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_each_chapters_first_screen_holds_its_verdict(page_name, size, browser, server):
    """Opened on a desktop or a phone, a chapter's verdict (the intro's bottom line, the ledger's tally) is on
    the first screen, and the verdict cards that follow carry the ledger's verdicts for the same claims."""
    viewport = sitecheck.PHONE if size == "phone" else sitecheck.DESKTOP
    visits = _visits(browser, server, viewport=viewport)
    page = next(visits)(page_name).page
    # Sphinx sets straight quotes as typographic ones.
    words = re.escape(_chapter_verdict(page_name)).replace("'", "['’]").replace('"', '["“”]')
    headline = page.locator("article strong", has_text=re.compile(words)).first
    box = headline.bounding_box()
    assert box and box["y"] + box["height"] <= viewport["height"], f"{page_name}: the verdict is below the first screen"
    ledger = json.loads((ROOT / "book" / "results" / "07_claims_ledger.json").read_text(encoding="utf-8"))["values"]
    for card in page.locator(".safecity-card").all():
        claim = ledger["claims"][card.get_attribute("id").removeprefix("card-")]
        css = "unchecked" if claim["verdict"] == "not checked" else claim["verdict"]
        assert card.locator(f".verdict.verdict-{css}").count() == 1, claim["id"]
    next(visits, None)


def test_site_works_under_a_sub_path(browser, built_site):
    """Published under /sub/dir/ (as on GitHub Pages) the front door redirects and a chart still renders."""
    chart_page = _chart_page(built_site)
    assert chart_page, "no page has a chart"
    with sitecheck.SiteServer(built_site, "/sub/dir/") as srv:
        problems = sitecheck.check_page(browser, srv, chart_page)
        v = sitecheck.PageVisit(browser, srv, "index.html")
        try:
            v.open()
            v.page.wait_for_url(srv.url(TOC_PAGES[0]))
            assert v.page.locator("article").count() == 1
            problems += v.problems
        finally:
            v.close()
    assert not problems, "\n".join(problems)


def _chart_page(built_site) -> str | None:
    """The first page in toc order that has a chart."""
    return next((p for p in TOC_PAGES if 'class="safecity-chart"' in Path(built_site, p).read_text(encoding="utf-8")),
                None)


# --- without scripts, and in print -------------------------------------------------------------

#: Every page of the toc whose executed notebook holds a chart.
CHART_PAGES = [p for p in TOC_PAGES if _is_notebook(p)
               and 'class=\\"safecity-chart\\"' in Path(ROOT, p.removesuffix(".html") + ".ipynb").read_text(encoding="utf-8")]

#: Per chart: its static drawing (loaded, with a size) and the text alternatives of the drawing and its box.
_STATIC_CHARTS_JS = """els => els.map(el => {
  const img = el.querySelector('img.safecity-chart-static');
  const box = img ? img.getBoundingClientRect() : {width: 0, height: 0};
  return {id: el.id, drawn: !!img && img.complete && img.naturalWidth > 0 && box.width > 0 && box.height > 0,
          alt: img ? img.getAttribute('alt').trim() : '', label: (el.getAttribute('aria-label') || '').trim()};
})"""


def test_chart_pages_are_known():
    assert CHART_PAGES, "no page of the toc has a chart"


@pytest.mark.parametrize("page_name", CHART_PAGES)
def test_every_chart_shows_without_scripts(page_name, browser, server):
    """With scripts off, every chart is its static drawing, with its text alternative; no chart is a blank box."""
    context = browser.new_context(java_script_enabled=False, viewport=sitecheck.PHONE)
    try:
        page = context.new_page()
        page.goto(server.url(page_name), wait_until="load")
        charts_ = page.locator(".safecity-chart").evaluate_all(_STATIC_CHARTS_JS)
    finally:
        context.close()
    assert charts_, f"{page_name}: no chart"
    blank = [c["id"] for c in charts_ if not c["drawn"]]
    assert not blank, f"{page_name}: charts without their drawing: {blank}"
    unlabelled = [c["id"] for c in charts_ if not c["alt"] or c["alt"] != c["label"]]
    assert not unlabelled, f"{page_name}: charts without their text alternative: {unlabelled}"


def test_a_printed_ledger_shows_every_claim_and_no_navigation(visit):
    """Printed, the ledger shows every claim row (folded groups print open) and the page prints without its
    navigation (sidebars, header, previous/next links)."""
    page = visit(LEDGER).page
    rows = page.locator(".safecity-ledger-table tbody tr[data-verdict]")
    assert 0 < page.locator(".safecity-ledger-table tbody tr[data-verdict]:visible").count() < rows.count()
    page.emulate_media(media="print")
    assert page.locator(".safecity-ledger-table tbody tr[data-verdict]:visible").count() == rows.count()
    shown = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .prev-next-area, .bd-footer, .header-article'))
      .filter(el => el.getClientRects().length > 0).map(el => el.className)""")
    assert not shown, f"printed with its navigation: {shown}"



# --- the checker finds what it should ----------------------------------------------------------

def _figure_page(body: str, title: str = "t") -> str:
    # (like the book's pages, with a viewport tag: without one a phone lays a page out 980 px wide)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,"><link rel="stylesheet" href="_static/safecity.css">'
            '<script src="_static/vega-bundle.js"></script></head><body>' + body + "</body></html>")


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory):
    """A site with one good chart page and pages with deliberate faults."""
    site = tmp_path_factory.mktemp("tiny-site")
    charts.write_bundle(site / "_static")
    shutil.copyfile(ROOT / "book" / "_static" / "safecity.css", site / "_static" / "safecity.css")
    data = pd.DataFrame({"area": ["A", "B", "C"], "arrests": [12, 30, 7]})
    good = charts.Figure(
        alt.Chart(data).mark_bar().encode(x="arrests:Q", y="area:N", tooltip=["area:N", "arrests:Q"])
        .properties(width="container", height=120),
        name="good", text={"good_title": "B has most", "good_source": "a test", "good_alt": "Bar chart: A 12, B 30, C 7."}, data=data)
    no_tooltip = charts.Figure(
        alt.Chart(data).mark_bar().encode(x="arrests:Q", y="area:N").properties(width=300, height=120),
        name="plain", text={"plain_title": "B has most", "plain_source": "a test", "plain_alt": "Bar chart: A 12, B 30, C 7."}, data=data)
    # A wrapped concat (`columns=`): without "$schema", vega-embed took it for a Vega spec and drew nothing.
    bars = alt.Chart(data).mark_bar().encode(x="arrests:Q", y="area:N", tooltip=["area:N", "arrests:Q"])
    concat = charts.Figure(
        alt.concat(bars.properties(width=200, height=80, title="one"), bars.properties(width=200, height=80, title="two"),
                   columns=2),
        name="concat", text={"concat_title": "Twice", "concat_source": "a test", "concat_alt": "Two bar charts: A 12, B 30, C 7."}, data=data)
    pages = {
        "good.html": _figure_page(good._repr_html_()),
        "concat.html": _figure_page(concat._repr_html_()),
        # A chart container nothing ever renders into.
        "broken.html": _figure_page(
            '<figure class="safecity-figure"><p class="safecity-figure-title"><strong>T</strong></p>'
            '<div id="vis-broken" class="safecity-chart" role="img" aria-label="a chart"></div>'
            '<figcaption>Source: x.</figcaption></figure>'),
        # A script from a CDN: must be blocked and reported, never fetched.
        "external.html": _figure_page('<p>Hello</p><script src="https://cdn.example.com/lib.js"></script>'),
        "error.html": _figure_page("<script>console.error('boom'); undefinedFunction();</script>"),
        "no-tooltip.html": _figure_page(no_tooltip._repr_html_()),
        # Drawn into a box of no width: vega renders marks, but a reader sees nothing.
        "zero-width.html": _figure_page(good._repr_html_().replace(
            'class="safecity-chart"', 'class="safecity-chart" style="width: 0; min-width: 0"')),
        # No role/aria-label on the container: a screen reader gets nothing for the chart.
        "no-alt.html": _figure_page(re.sub(r' role="img" aria-label="[^"]*"', "", good._repr_html_())
                                    ),
        # A button whose spoken name is not its visible label (serious), and a text box with no label (critical).
        "inaccessible.html": _figure_page('<main><h1>Form</h1><button aria-label="Close">Open the menu</button>'
                                          '<input type="text"></main>'),
        # A fixed-width block wider than a phone: the whole page scrolls sideways at 390 px.
        "too-wide.html": _figure_page('<main><h1>Wide</h1><p style="width: 900px">A line set 900 pixels wide.</p>'
                                      "</main>"),
    }
    for name, text in pages.items():
        (site / name).write_text(text, encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def tiny_problems(tiny_site, browser):
    return sitecheck.check_site(tiny_site, browser=browser, render_timeout_ms=3000)


def _for(problems, page):
    return [p for p in problems if p.startswith(page + ":")]


def test_checker_passes_a_good_chart(tiny_problems):
    assert _for(tiny_problems, "good.html") == []
    assert _for(tiny_problems, "concat.html") == []


def test_checker_reports_a_chart_that_never_renders(tiny_problems):
    found = _for(tiny_problems, "broken.html")
    assert any("chart #vis-broken has no rendered marks" in p for p in found), found
    assert any("no table of its numbers" in p for p in found), found
    assert any("no CSV download" in p for p in found), found


def test_checker_reports_and_blocks_another_host(tiny_problems):
    found = _for(tiny_problems, "external.html")
    assert any("requests another host: https://cdn.example.com/lib.js (blocked)" in p for p in found), found


def test_checker_reports_console_and_page_errors(tiny_problems):
    found = _for(tiny_problems, "error.html")
    assert any("console error: boom" in p for p in found), found
    assert any("page error" in p and "undefinedFunction" in p for p in found), found


def test_checker_reports_missing_tooltip_and_text_alternative(tiny_problems):
    assert any("shows no tooltip with a number" in p for p in _for(tiny_problems, "no-tooltip.html")), tiny_problems
    found = _for(tiny_problems, "no-alt.html")
    assert any("no text alternative (role=img" in p for p in found), found


def test_checker_reports_a_chart_drawn_with_no_size(tiny_problems):
    found = _for(tiny_problems, "zero-width.html")
    assert any(re.search(r"chart #vis-good-\w+ is drawn 0x\d+ px", p) for p in found), found


def test_checker_reports_accessibility_violations(tiny_problems):
    found = _for(tiny_problems, "inaccessible.html")
    for mode in ("light", "dark"):  # axe runs in both colour modes
        mismatch = f"inaccessible.html: accessibility ({mode} mode): label-content-name-mismatch (serious)"
        assert any(p.startswith(mismatch) for p in found), found
        assert any(p.startswith(f"inaccessible.html: accessibility ({mode} mode): label (critical) on 1 element(s)")
                   for p in found), found
    phone_found = _for(tiny_problems, "inaccessible.html (at 390 px)")
    assert any("label (critical)" in p for p in phone_found), phone_found


def test_checker_reports_a_page_too_wide_for_a_phone(tiny_problems):
    assert _for(tiny_problems, "too-wide.html") == []
    found = _for(tiny_problems, "too-wide.html (at 390 px)")
    assert any(re.search(r"scrolls sideways: the page is 9\d\d px wide \(first too wide: p\)", p) for p in found), found


def test_checker_keeps_screenshots_at_both_widths(tiny_site, browser, tmp_path):
    problems = sitecheck.check_site(tiny_site, ["good.html"], browser=browser, screenshots=tmp_path)
    assert problems == []
    assert (tmp_path / "good.png").stat().st_size and (tmp_path / "good.phone.png").stat().st_size


def test_checker_problems_are_one_line(tiny_problems):
    assert tiny_problems and all("\n" not in p for p in tiny_problems)
