"""Check the built site the way a reader meets it: in a real browser, offline.

`check_site(html_dir)` serves the site from 127.0.0.1 with a plain static file
server, opens every page in headless Chromium (Debian's, at `CHROMIUM`) and
returns one line per problem:

- a request to any host other than the local server (it is blocked, not sent);
- a console error, an uncaught page error, or a failed or 4xx/5xx local request;
- a chart container (`.safecity-chart`) without rendered marks, or drawn with no width or height;
- a chart without its title, source caption, text alternative, table of numbers
  or a working CSV download;
- a chart whose marks show no tooltip with a number when hovered;
- a serious or critical accessibility violation found by axe-core (WCAG 2.1 A/AA and best practice;
  the copy bundled in `axe-playwright-python`, so nothing is fetched), on a desktop and on a phone, in
  the theme's light and dark modes;
- a page that scrolls sideways on a 390-px phone.

It can keep full-page screenshots of every page, at a desktop's and at a phone's width. Run it by hand with
`python -m safecity.sitecheck _build/html`.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import http.server
import io
import re
import sys
import threading
import urllib.parse
from pathlib import Path

#: Debian's Chromium; Playwright's and Lighthouse's own browser downloads are never used.
CHROMIUM = "/usr/bin/chromium"
#: The flags every launch of it gets, here and by Lighthouse (`safecity.lighthouse`).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu"]
CHROMIUM_ARGS = [*CHROMIUM_FLAGS, "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
#: How long a chart may take to render, and how long a page may take to load.
TIMEOUT_MS = 10_000

#: The desktop window pages are opened in, and a phone's (an iPhone 12 to 15, in CSS pixels).
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

#: Schemes that never leave the page (a CSV download is a data: URI).
_LOCAL_SCHEMES = {"data", "blob", "about", "chrome-extension"}


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves `directory` under the URL path `prefix` only; everything else is a 404."""

    prefix = "/"
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".ipynb": "application/x-ipynb+json", ".svg": "image/svg+xml"}

    def translate_path(self, path):
        clean = urllib.parse.urlsplit(path).path
        if clean + "/" == self.prefix:
            return super().translate_path("/")
        if not clean.startswith(self.prefix):
            return str(Path(self.directory, "\0not-under-prefix"))
        return super().translate_path("/" + clean[len(self.prefix):])

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass


class SiteServer:
    """A static file server for `html_dir` on a free local port, serving it under `prefix` (e.g. "/sub/dir/");
    `handler`, a subclass of this module's, changes how files are sent (Lighthouse's compresses them)."""

    def __init__(self, html_dir: Path, prefix: str = "/", handler: type[http.server.BaseHTTPRequestHandler] | None = None):
        self.html_dir = Path(html_dir)
        self.prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        handler = type("Handler", (handler or Handler,), {"prefix": self.prefix})
        self._httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(self.html_dir)))
        self._httpd.daemon_threads = True
        self.netloc = f"127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, page: str = "") -> str:
        return f"http://{self.netloc}{self.prefix}{page}"

    def __enter__(self) -> "SiteServer":
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()


def chromium_missing(executable: str = CHROMIUM) -> str | None:
    """Why the browser at `executable` cannot be launched, or None when it can."""
    return None if Path(executable).exists() else f"{executable} not found — install Debian's chromium"


@contextlib.contextmanager
def launch(executable: str = CHROMIUM):
    """Headless Debian Chromium driven by Playwright; yields the browser."""
    missing = chromium_missing(executable)
    if missing:
        raise FileNotFoundError(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


#: True once the page is loaded and is not a redirect page that is about to navigate away.
_SETTLED_JS = "() => document.readyState === 'complete' && !document.querySelector('meta[http-equiv=refresh i]')"


class PageVisit:
    """One page open in a fresh browser context, with everything it asked for and complained about."""

    def __init__(self, browser, server: SiteServer, page: str, viewport: dict | None = None):
        self.name = page
        self.server = server
        self.requests: list[str] = []
        self.problems: list[str] = []
        phone = viewport is not None and viewport["width"] <= PHONE["width"]
        self.context = browser.new_context(viewport=viewport or DESKTOP, is_mobile=phone, has_touch=phone,
                                           accept_downloads=True,
                                           service_workers="block")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", self._route)
        # Listened to on the context, so tabs the page opens (the .ipynb download) are watched too.
        self.context.on("console", self._console)
        self.context.on("weberror", lambda err: self.report(f"page error: {_one_line(str(err.error))}"))
        self.context.on("response", self._response)
        self.context.on("requestfailed", self._failed)
        self.context.on("page", self._watch)
        self.page = self.context.new_page()

    def report(self, text: str):
        """Record one problem with this page (kept once)."""
        line = f"{self.name}: {text}"
        if line not in self.problems:
            self.problems.append(line)

    def _watch(self, page):
        page.on("websocket", lambda ws: self.report(f"opens a websocket to {ws.url}"))

    def _is_local(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        return parts.scheme in _LOCAL_SCHEMES or parts.netloc == self.server.netloc

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if self._is_local(url):
            route.continue_()
        else:
            self.report(f"requests another host: {url[:200]} (blocked)")
            route.abort("blockedbyclient")

    def _console(self, msg):
        if msg.type == "error":
            where = msg.location.get("url", "") if msg.location else ""
            self.report(f"console error: {_one_line(msg.text)}" + (f" (at {where})" if where else ""))

    def _response(self, response):
        if response.status >= 400 and self._is_local(response.url):
            self.report(f"HTTP {response.status} for {response.url}")

    def _failed(self, request):
        # ERR_ABORTED: cancelled by the page itself (e.g. navigating away); a 404 is caught in _response.
        if self._is_local(request.url) and not request.url.startswith("data:") and request.failure != "net::ERR_ABORTED":
            self.report(f"request failed: {request.url} ({request.failure})")

    def open(self, url: str | None = None, gesture: bool = True):
        """Load the page; a redirect page (the site root's meta refresh) is followed to where it leads.

        Then, as a reader does, the pointer moves over the page (`gesture`): a page's interactive charts are
        loaded on the reader's first gesture, and until then each chart is its static drawing."""
        self.page.goto(url or self.server.url(self.name), wait_until="load")
        # The refresh navigates after "load"; checking the page before it lands would race the navigation.
        self.page.wait_for_function(_SETTLED_JS)
        self.page.wait_for_load_state("load")
        if gesture:
            self.page.mouse.move(2, 2)
        return self.page

    def close(self):
        self.context.close()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:300]


# Per chart: does it have marks? (SVG: shapes inside vega's mark groups; canvas: any non-blank pixel.)
_CHART_STATE_JS = """
els => els.map(el => {
  const svg = el.querySelector('svg');
  let marks = 0;
  if (svg) {
    marks = svg.querySelectorAll('g.role-mark > path, g.role-mark > rect, g.role-mark > line, '
      + 'g.role-mark > circle, g.role-mark > text, g.role-mark > image, g.role-mark > g > path').length;
  }
  const canvas = el.querySelector('canvas');
  if (!marks && canvas && canvas.width && canvas.height) {
    try {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < data.length; i += 4) { if (data[i] && (data[i-1] < 250 || data[i-2] < 250 || data[i-3] < 250)) { marks = 1; break; } }
    } catch (e) { marks = 0; }
  }
  const box = (svg || canvas || el).getBoundingClientRect();
  return {id: el.id || '(no id)', marks: marks, width: Math.round(box.width), height: Math.round(box.height)};
})
"""

# Every chart must sit in a figure with its title, source, text alternative (for screen readers, not shown),
# numbers and CSV download.
_FIGURE_JS = """
els => els.map(el => {
  const fig = el.closest('figure');
  const text = n => n ? n.textContent.replace(/\\s+/g, ' ').trim() : '';
  const link = fig && fig.querySelector('a[download][href^="data:text/csv"]');
  const table = fig && fig.querySelector('details table');
  return {
    id: el.id || '(no id)',
    figure: !!fig,
    title: text(fig && fig.querySelector('.safecity-figure-title')),
    caption: text(fig && fig.querySelector('figcaption')),
    role: el.getAttribute('role') || '',
    label: (el.getAttribute('aria-label') || '').trim(),
    summary: text(fig && fig.querySelector('details > summary')),
    tableRows: table ? table.querySelectorAll('tbody tr').length : 0,
    tableHead: table ? Array.from(table.querySelectorAll('thead th')).map(th => text(th)) : [],
    csv: !!link,
  };
})
"""

# The centres of a chart's data marks in view (up to `limit`), in viewport coordinates, for hovering.
_MARK_POINTS_JS = """
([el, limit]) => {
  const shapes = Array.from(el.querySelectorAll('svg g.role-mark > path, svg g.role-mark > rect, '
    + 'svg g.role-mark > circle, svg g.role-mark > g > path'));
  const points = [];
  for (const s of shapes) {
    const r = s.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if ((r.width === 0 && r.height === 0) || y < 0 || y > window.innerHeight || x < 0 || x > window.innerWidth) continue;
    points.push([x, y]);
    if (points.length >= limit) break;
  }
  return points;
}
"""


def check_charts(visit: PageVisit, render_timeout_ms: int = TIMEOUT_MS) -> None:
    """Charts on the open page: rendered marks, and the figure's title, source, text alternative and numbers."""
    page = visit.page
    charts = page.locator(".safecity-chart")
    if not charts.count():
        return
    try:
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.safecity-chart'))"
            ".every(el => el.querySelector('svg g.role-mark, canvas'))", timeout=render_timeout_ms)
    except Exception:  # noqa: BLE001 - a timeout is reported per chart below
        pass
    for state in charts.evaluate_all(_CHART_STATE_JS):
        if not state["marks"]:
            visit.report(f"chart #{state['id']} has no rendered marks")
        elif state["width"] < 1 or state["height"] < 1:
            visit.report(f"chart #{state['id']} is drawn {state['width']}x{state['height']} px: nothing to see")
    for fig in charts.evaluate_all(_FIGURE_JS):
        where = f"chart #{fig['id']}"
        if not fig["figure"]:
            visit.report(f"{where} is not inside a <figure>")
            continue
        if not fig["title"]:
            visit.report(f"{where} has no title")
        if "Source:" not in fig["caption"]:
            visit.report(f"{where} has no caption naming its source")
        if fig["role"] != "img" or not fig["label"]:
            visit.report(f"{where} has no text alternative (role=img with aria-label)")
        if not fig["summary"] or not fig["tableRows"]:
            visit.report(f"{where} has no table of its numbers in a <details> element")
        if not fig["csv"]:
            visit.report(f"{where} has no CSV download")


def check_interactions(visit: PageVisit, *, tooltips: bool = True, downloads: bool = True) -> None:
    """What a reader does with a chart: download its CSV, hover its marks for exact values."""
    charts = visit.page.locator(".safecity-chart")
    count = charts.count()
    if downloads and count:
        _check_csv_downloads(visit, charts, count)
    if tooltips and count:
        for i, state in enumerate(charts.evaluate_all(_CHART_STATE_JS)):
            if state["marks"] and not hover_tooltip(visit.page, charts.nth(i)):
                visit.report(f"chart #{state['id']} shows no tooltip with a number when its marks are hovered")


def _check_csv_downloads(visit: PageVisit, charts, count: int) -> None:
    """Click each chart's CSV link: the download must be a CSV with the table's rows and columns."""
    page = visit.page
    for i in range(count):
        chart = charts.nth(i)
        cid = chart.get_attribute("id") or "(no id)"
        figure = chart.locator("xpath=ancestor::figure[1]")
        link = figure.locator('a[download][href^="data:text/csv"]')
        if not figure.count() or not link.count():
            continue
        try:
            with page.expect_download(timeout=TIMEOUT_MS) as info:
                link.first.click()
            download = info.value
            text = Path(download.path()).read_text(encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - reported as a problem
            visit.report(f"chart #{cid}: CSV download failed ({_one_line(str(exc))[:120]})")
            continue
        rows = list(csv.reader(io.StringIO(text)))
        # The table shows plain-language headers; each keeps the CSV's column name in `data-column`.
        head = figure.locator("details table thead th").evaluate_all(
            "ths => ths.map(th => th.dataset.column !== undefined ? th.dataset.column : th.textContent)")
        body = figure.locator("details table tbody tr").count()
        if not download.suggested_filename.endswith(".csv"):
            visit.report(f"chart #{cid}: CSV download is named {download.suggested_filename!r}")
        if len(rows) < 2 or len(rows) - 1 != body or [h.strip() for h in head] != rows[0]:
            visit.report(f"chart #{cid}: CSV download ({len(rows) - 1} rows, columns {rows[:1]}) "
                         f"does not match the table ({body} rows, columns {head})")


def hover_tooltip(page, chart, limit: int = 12) -> str | None:
    """Hover a chart's marks one by one; return the first tooltip text that holds a number, else None."""
    chart.scroll_into_view_if_needed()
    points = page.evaluate(_MARK_POINTS_JS, [chart.element_handle(), limit])
    tooltip = page.locator("#vg-tooltip-element")
    for x, y in points:
        page.mouse.move(x, y, steps=3)
        try:
            page.wait_for_function(
                "() => { const t = document.getElementById('vg-tooltip-element');"
                " return t && t.classList.contains('visible') && /\\d/.test(t.textContent); }", timeout=750)
        except Exception:  # noqa: BLE001 - try the next mark
            continue
        text = _one_line(tooltip.text_content() or "")
        _move_away(page)
        return text
    _move_away(page)
    return None


def _move_away(page) -> None:
    """Move the pointer off the charts and let the tooltip hide, so the next chart starts clean."""
    page.mouse.move(0, 0)
    try:
        page.wait_for_function("() => { const t = document.getElementById('vg-tooltip-element');"
                               " return !t || !t.classList.contains('visible'); }", timeout=1000)
    except Exception:  # noqa: BLE001 - the next hover checks for its own tooltip anyway
        pass


def screenshot_name(page: str, phone: bool = False) -> str:
    """The file a page's screenshot is kept in (`book/intro.html` -> `book_intro.png`, `book_intro.phone.png`)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", page.removesuffix(".html")) + (".phone" if phone else "") + ".png"


#: What axe-core checks: WCAG 2.1 levels A and AA and Deque's best practices, plus the rule behind WCAG 2.5.3
#: "label in name", which axe still files as experimental.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "rules": {"label-content-name-mismatch": {"enabled": True}},
               "resultTypes": ["violations"],
               # axe's stylesheet preload resolves the theme's `@import "../basic.css"` against the page, not
               # the stylesheet, and asks the server for a file that does not exist; no rule run here needs it.
               "preload": False}
#: Violations of these impacts are problems; axe's "moderate" and "minor" findings are reported only if asked for.
AXE_FAILING = ("critical", "serious")


def axe_violations(page) -> list[dict]:
    """Run axe-core (bundled in the `axe-playwright-python` package, so nothing is fetched) on the open page."""
    from axe_playwright_python.base import AXE_SCRIPT

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    return page.evaluate("options => axe.run(document, options).then(r => r.violations)", AXE_OPTIONS)


#: The theme's colour modes; a reader's choice is kept in localStorage and applied to <html data-theme>.
MODES = ("light", "dark")
_SET_MODE_JS = """mode => {
  localStorage.setItem('theme', mode);
  document.documentElement.dataset.theme = mode;
  document.documentElement.dataset.mode = mode;
}"""


def check_accessibility(visit: PageVisit, impacts=AXE_FAILING) -> None:
    """axe in each colour mode: one problem line per rule violated (of the given impacts), with how many
    elements and the first. The page is left in light mode."""
    for mode in MODES:
        visit.page.evaluate(_SET_MODE_JS, mode)
        # Colours are measured as a reader sees them: after the theme's colour transitions have finished.
        visit.page.wait_for_timeout(50)
        visit.page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
        for v in axe_violations(visit.page):
            if v.get("impact") in impacts:
                first = " ".join(str(part) for part in v["nodes"][0]["target"]) if v["nodes"] else ""
                visit.report(f"accessibility ({mode} mode): {v['id']} ({v['impact']}) on {len(v['nodes'])} "
                             f"element(s), first {_one_line(first)[:120]}: {_one_line(v['help'])}")
    visit.page.evaluate(_SET_MODE_JS, "light")


_SIDEWAYS_JS = """
() => {
  const width = document.documentElement.clientWidth;
  // Content that scrolls inside its own box (a wide table) is fine; only the page must not scroll.
  const inScroller = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = Array.from(document.querySelectorAll('body *')).find(el => {
    const r = el.getBoundingClientRect();
    return r.width && r.right > width + 1 && !inScroller(el) && getComputedStyle(el).position !== 'fixed';
  });
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/)[0] : '');
  // Boxes a reader has to scroll sideways within (a wide table in its output area, a long code line).
  const boxes = Array.from(document.querySelectorAll('body *')).filter(el => {
    const style = getComputedStyle(el);
    return (style.overflowX === 'auto' || style.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1
      && !el.closest('pre, .highlight, details.safecity-appendix')
      && el.getClientRects().length && style.visibility !== 'hidden';
  }).map(name);
  return {scroll: document.documentElement.scrollWidth, width: width, first: wide ? name(wide) : '', boxes: boxes};
}
"""


def check_phone(browser, server: SiteServer, page: str, impacts=AXE_FAILING, screenshots: Path | None = None,
                render_timeout_ms: int = TIMEOUT_MS) -> list[str]:
    """The page opened on a phone-sized screen: no sideways scrolling of the page, axe again, a screenshot.

    A fresh window of the phone's size (not a resized one), so the theme's scripts set the page up as on a phone.
    """
    visit = PageVisit(browser, server, page, viewport=PHONE)
    try:
        visit.open()
        visit.name = f"{page} (at {PHONE['width']} px)"  # how its problems are reported
        if visit.page.locator(".safecity-chart").count():
            try:
                visit.page.wait_for_function(
                    "() => Array.from(document.querySelectorAll('.safecity-chart'))"
                    ".every(el => el.querySelector('svg g.role-mark, canvas'))", timeout=render_timeout_ms)
            except Exception:  # noqa: BLE001 - an undrawn chart is reported by the desktop check
                pass
        state = visit.page.evaluate(_SIDEWAYS_JS)
        if state["scroll"] > state["width"] + 1:
            visit.report(f"scrolls sideways: the page is {state['scroll']} px wide"
                         + (f" (first too wide: {state['first']})" if state["first"] else ""))
        # A chart's table of numbers, opened, must fit too: only appendix tables may scroll in their box.
        visit.page.evaluate("() => document.querySelectorAll('figure details').forEach(d => { d.open = true; })")
        boxes = visit.page.evaluate(_SIDEWAYS_JS)["boxes"]
        if boxes:
            visit.report(f"{len(boxes)} box(es) scroll sideways inside the page, first {boxes[0]}")
        visit.page.evaluate("() => document.querySelectorAll('figure details').forEach(d => { d.open = false; })")
        if impacts:
            check_accessibility(visit, impacts)
        if screenshots is not None:
            Path(screenshots).mkdir(parents=True, exist_ok=True)
            visit.page.screenshot(path=str(Path(screenshots, screenshot_name(page, phone=True))), full_page=True)
        visit.page.wait_for_timeout(100)
        return visit.problems
    finally:
        visit.close()


def check_page(browser, server: SiteServer, page: str, *, screenshots: Path | None = None,
               tooltips: bool = True, downloads: bool = True, render_timeout_ms: int = TIMEOUT_MS,
               accessibility=AXE_FAILING, phone: bool = True) -> list[str]:
    """Open `page` (a path relative to the site root) and return its problems.

    `accessibility` lists the axe impacts that count as problems (empty: axe is not run); `phone` also
    checks the page at a phone's width. Screenshots are kept at both widths.
    """
    visit = PageVisit(browser, server, page)
    try:
        try:
            visit.open()
        except Exception as exc:  # noqa: BLE001 - reported as a problem
            visit.report(f"did not load: {_one_line(str(exc))[:200]}")
            return visit.problems
        check_charts(visit, render_timeout_ms)
        if accessibility:
            check_accessibility(visit, accessibility)
        if screenshots is not None:
            Path(screenshots).mkdir(parents=True, exist_ok=True)
            visit.page.screenshot(path=str(Path(screenshots, screenshot_name(page))), full_page=True)
        # After the screenshot, so that it shows the page as a reader first sees it.
        check_interactions(visit, tooltips=tooltips, downloads=downloads)
        visit.page.wait_for_timeout(100)  # let late console messages arrive
    finally:
        visit.close()
    if phone:
        return visit.problems + check_phone(browser, server, page, accessibility, screenshots, render_timeout_ms)
    return visit.problems


def site_pages(html_dir: Path) -> list[str]:
    """Every HTML page of the site, relative to its root, sorted.

    Files under `_static/` are assets (the themes leave Jinja macro fragments there), not pages.
    """
    found = (p.relative_to(html_dir).as_posix() for p in Path(html_dir).rglob("*.html"))
    return sorted(name for name in found if not name.startswith("_static/"))


def check_site(html_dir: Path, pages: list[str] | None = None, *, prefix: str = "/",
               screenshots: Path | None = None, browser=None, tooltips: bool = True,
               downloads: bool = True, render_timeout_ms: int = TIMEOUT_MS) -> list[str]:
    """Open each page (default: every HTML file) in Chromium; return one line per problem found."""
    html_dir = Path(html_dir)
    pages = site_pages(html_dir) if pages is None else list(pages)
    problems: list[str] = []
    with contextlib.ExitStack() as stack:
        if browser is None:
            browser = stack.enter_context(launch())
        server = stack.enter_context(SiteServer(html_dir, prefix))
        for page in pages:
            if not Path(html_dir, page).exists():
                problems.append(f"{page}: missing from the site")
                continue
            problems += check_page(browser, server, page, screenshots=screenshots, tooltips=tooltips,
                                   downloads=downloads, render_timeout_ms=render_timeout_ms)
    return problems


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m safecity.sitecheck", description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", type=Path, nargs="?", default=Path("_build/html"))
    parser.add_argument("--screenshots", type=Path, help="keep a screenshot of every page in this folder")
    args = parser.parse_args(argv)
    problems = check_site(args.html_dir, screenshots=args.screenshots)
    for line in problems:
        print(line, file=sys.stderr)
    print(f"{len(problems)} problem(s)" if problems else "site OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
