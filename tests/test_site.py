"""Checks on the built site: pages, charts, the offline bundle, and no third-party hosts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from safecity import pipeline

from conftest import ROOT


class _Refs(HTMLParser):
    """Collects every URL the page would load or link to, keeping apart links a reader clicks in prose."""

    def __init__(self):
        super().__init__()
        self.loaded: list[str] = []
        self.prose_links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.prose_links.append(attrs["href"])
        for name in ("src", "data", "poster") + (("href",) if tag == "link" else ()):
            if attrs.get(name):
                self.loaded.append(attrs[name])


def _pages(html_dir):
    return [html_dir / (entry + ".html") for entry in pipeline.toc_files(ROOT)]


def test_every_toc_page_is_built(built_site):
    for page in _pages(built_site):
        assert page.exists(), f"{page.name} missing from the site"
    assert (built_site / "index.html").exists()


def test_charts_and_bundle_present(built_site):
    """A chart page loads the chart loader (which fetches the vega bundle when asked for); a page without a chart
    loads neither; no page loads the bundle itself, nor the theme's icon script or the search index."""
    page = (built_site / "book" / "01_arrests_by_area.html").read_text(encoding="utf-8")
    assert re.search(r'<div id="vis-arrests-by-area-[0-9a-f]{12}" class="safecity-chart"', page)
    bundle = built_site / "_static" / "vega-bundle.js"
    assert bundle.exists() and "vegaEmbed" in bundle.read_text(encoding="utf-8")
    assert (built_site / "_static" / "safecity-charts.js").exists() and "_static/safecity-charts.js" in page
    plain = (built_site / "book" / "05_sources.html").read_text(encoding="utf-8")
    assert 'class="safecity-chart"' not in plain and "safecity-charts.js" not in plain
    for path in _pages(built_site):
        refs = _Refs()
        refs.feed(path.read_text(encoding="utf-8"))
        heavy = [u for u in refs.loaded if re.search(r"vega-bundle\.js|fontawesome\.js|searchindex\.js", u)]
        assert not heavy, f"{path.name} loads {heavy}"


def test_no_page_loads_anything_from_another_host(built_site):
    for page in sorted(built_site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        refs = _Refs()
        refs.feed(text)
        remote = [url for url in refs.loaded if re.match(r"(https?:)?//", url)]
        assert not remote, f"{page.relative_to(built_site)} loads {remote}"
        # Outside of <a href> links, no http(s) URL may appear at all (scripts, configs, specs); the ledger's
        # ClaimReview data (schema.org's vocabulary, the article's address) are inert: never loaded.
        without_links = re.sub(r'<a\s[^>]*href="[^"]*"', "<a", text)
        without_links = re.sub(r'<script type="application/ld\+json"[^>]*>.*?</script>', "", without_links, flags=re.S)
        hosts = re.findall(r"https?://[^\s\"'<>)]+", without_links)
        assert not hosts, f"{page.relative_to(built_site)} mentions {hosts[:3]}"


def test_glued_numbers_reach_the_pages(built_site):
    intro = (built_site / "book" / "intro.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", intro)
    assert "sum to\n564 arrests" in text or "sum to 564 arrests" in re.sub(r"\s+", " ", text)
    assert "glue" not in re.sub(r"<[^>]+>", "", intro).lower()


def test_site_links_are_relative(built_site):
    for page in sorted(built_site.rglob("*.html")):
        refs = _Refs()
        refs.feed(page.read_text(encoding="utf-8"))
        absolute = [u for u in refs.loaded + refs.prose_links if u.startswith("/") and not u.startswith("//")]
        assert not absolute, f"{page.relative_to(built_site)} has root-relative links {absolute[:3]}"


def test_two_builds_are_byte_identical(built_site, tmp_path):
    """Reproducible means byte-identical: a second, clean build from the same inputs gives the same site."""
    from safecity import pipeline

    again = pipeline.build_site(ROOT, tmp_path / "_build", echo=lambda _: None)
    first = {p.relative_to(built_site): p.read_bytes() for p in built_site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    differing = sorted(str(path) for path in first if first[path] != second[path])
    assert not differing, f"files differ between two builds: {differing[:5]}"


class _Cells(HTMLParser):
    """Header and cell texts of every `safecity-table` on a page (with each cell's class)."""

    def __init__(self):
        super().__init__()
        self.headers: list[str] = []
        self.cells: list[tuple[str, str]] = []
        self._depth = 0
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "safecity-table" in (attrs.get("class") or ""):
            self._depth += 1
        elif self._depth and tag in ("th", "td"):
            self._cell = [tag, attrs.get("class") or "", ""]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[2] += data

    def handle_endtag(self, tag):
        if tag == "table" and self._depth:
            self._depth -= 1
        elif self._cell is not None and tag == self._cell[0]:
            kind, css, text = self._cell
            (self.headers.append(text.strip()) if kind == "th" else self.cells.append((css, text.strip())))
            self._cell = None


def test_tables_show_values_a_reader_can_read(built_site):
    """No code-level values in any table a reader sees: column names, booleans, raw integers, long decimals."""
    for page in _pages(built_site):
        found = _Cells()
        found.feed(page.read_text(encoding="utf-8"))
        where = page.relative_to(built_site)
        assert not [h for h in found.headers if re.fullmatch(r"[a-z]+(_[a-z]+)+", h)], f"{where}: snake_case headers"
        texts = [text for _, text in found.cells]
        assert not {"True", "False", "nan", "NaN", "None", "<NA>", "NaT"} & set(texts), f"{where}: code-level values"
        assert not [t for t in texts if re.fullmatch(r"[−-]?\d{5,}(\.\d+)?", t)], f"{where}: numbers without separators"
        assert not [t for t in texts if re.fullmatch(r"[−-]?\d*\.\d{4,}", t)], f"{where}: numbers with 4+ decimals"
        assert not [t for t in texts if re.fullmatch(r"[0-9a-f]{8,63}…", t)], f"{where}: a checksum cut short"


class _Head(HTMLParser):
    """A page's <title>, its <meta> tags (name or property -> content) and its canonical link."""

    def __init__(self):
        super().__init__()
        self.title, self.meta, self.canonical, self._in_title = "", {}, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "title":
            self._in_title = True
        elif tag == "meta" and (attrs.get("name") or attrs.get("property")):
            key = attrs.get("name") or attrs.get("property")
            assert key not in self.meta or key == "viewport", f"meta {key} twice"
            self.meta[key] = attrs.get("content", "")
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical = attrs.get("href")

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False


def _site_extension():
    """The site's Sphinx extension (book/_ext/safecity_site.py), imported as Sphinx imports it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("safecity_site", ROOT / "book" / "_ext" / "safecity_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_every_page_can_be_shared(built_site):
    """Every page has a title, a description (a chapter's is its lead, as plain text, with the ledger's ratings), Open Graph and Twitter
    card tags naming the page and its 1200x630 share image, which exists; no canonical link while no base URL is set."""
    from safecity import record

    safecity_site = _site_extension()
    for path in _pages(built_site) + [built_site / "search.html"]:
        head = _Head()
        head.feed(path.read_text(encoding="utf-8"))
        name = path.relative_to(built_site).as_posix()
        meta = head.meta
        assert head.title.strip(), f"{name}: no title"
        text = meta.get("description", "")
        assert len(text) > 40 and "<" not in text and "**" not in text, f"{name}: description {text!r}"
        stem = path.stem
        assert "safecity-rating" not in text, f"{name}: a rating left as markup in the description"
        if (ROOT / "book" / "results" / f"{stem}.json").exists():
            blocks = record.read(stem, ROOT / "book" / "results")["text"]
            # The page's lead (the records chapter leads with every area), its ratings named as the ledger names them.
            lead = blocks.get("verdict_areas") or blocks["verdict"]
            assert text == safecity_site.plain_text(safecity_site.ratings_in_words(lead, ROOT / "book" / "results")), \
                f"{name}: the description is not the page's lead"
        for key in ("og:title", "og:description", "og:type", "og:image", "twitter:card", "twitter:title",
                    "twitter:description", "twitter:image"):
            assert meta.get(key), f"{name}: no {key}"
        assert meta["og:description"] == meta["twitter:description"] == text
        assert meta["og:title"] == meta["twitter:title"] and meta["og:title"] in head.title
        assert meta["twitter:card"] == "summary_large_image"
        image = (path.parent / meta["og:image"]).resolve()
        assert image.is_relative_to(built_site.resolve()) and image.exists(), f"{name}: share image {meta['og:image']}"
        assert meta["twitter:image"] == meta["og:image"]
        assert _png_size(image) == (1200, 630), f"{name}: share image is {_png_size(image)}"
        assert head.canonical is None and "og:url" not in meta, f"{name}: a canonical address without a base URL"


def test_a_share_image_is_drawn_again_when_its_card_changes_and_only_then(tmp_path, monkeypatch):
    """A build keeps a page's share image while its title and description stay as they were (drawing it is the
    site build's slowest step); a changed description draws the new card, also in the next build."""
    from types import SimpleNamespace

    import vl_convert

    site = _site_extension()
    drawn = []
    monkeypatch.setattr(vl_convert, "vegalite_to_png", lambda spec, scale=1: drawn.append(spec) or repr(spec).encode())
    said = {"text": "ICE counted 498 arrests; the places add up to 564."}
    monkeypatch.setattr(site, "description", lambda srcdir, pagename: said["text"])

    def build():
        app = SimpleNamespace(outdir=str(tmp_path / "_build" / "html"), srcdir=str(ROOT),
                              config=SimpleNamespace(html_title="The book", safecity_publisher="The publisher",
                                                     html_baseurl=""))
        site._sharing(app, "book/01_arrests_by_area", "page.html", {"title": "Arrests", "pathto": lambda p, _: p}, None)
        site._save_drawn_cards(app, None)
        return (tmp_path / "_build" / "html" / site.SHARE_FOLDER / "book-01_arrests_by_area.png").read_bytes()

    first = build()
    assert len(drawn) == 1 and build() == first and len(drawn) == 1  # the same card: kept, not drawn again
    said["text"] = "ICE counted 498 arrests; the places add up to 600."
    changed = build()
    assert len(drawn) == 2 and changed != first and b"600" in changed
    (tmp_path / "_build" / "html" / site.SHARE_FOLDER / "book-01_arrests_by_area.png").unlink()
    assert build() == changed and len(drawn) == 3  # an image gone is drawn again


def test_sharing_tags_use_the_base_url_when_one_is_set():
    """With a base URL, the page's address and its share image are absolute addresses under it."""
    tags = dict(_site_extension().share_tags("Arrests by area", "The places do not add up.", "The book", "book/01_arrests",
                                         "https://example.org/book", "../_static/share/book-01_arrests.png"))
    assert tags["og:url"] == "https://example.org/book/book/01_arrests.html"
    assert tags["og:image"] == tags["twitter:image"] == "https://example.org/book/_static/share/book-01_arrests.png"


def test_the_notebooks_working_stays_off_the_pages(built_site):
    """A notebook's working cells (tagged `remove-cell`: its steps, intermediate tables and checks) are in the executed
    notebook for nbval and for a reviewer, never on the reader's page: neither their explanations nor their tables."""
    import html as html_lib

    import nbformat

    checked = 0
    for entry in pipeline.toc_files(ROOT):
        notebook = ROOT / f"{entry}.ipynb"
        if not notebook.exists():
            continue
        page = html_lib.unescape(re.sub(r"<[^>]+>", " ", (built_site / f"{entry}.html").read_text(encoding="utf-8")))
        page = " ".join(page.split())
        for cell in nbformat.read(notebook, as_version=4).cells:
            if "remove-cell" not in cell.metadata.get("tags", []) or cell.cell_type != "markdown":
                continue
            # The cell's longest line of plain words, as the page would show it.
            line = max((" ".join(re.sub(r"[*`#]", "", text).split()) for text in cell.source.splitlines()), key=len)
            assert line and line not in page, f"{entry}: a working cell is on the page: {line[:80]!r}"
            checked += 1
    assert checked >= 20, "the chapter notebooks show their working in tagged cells"


def test_corrections_say_what_changed_not_how_it_was_made(built_site):
    """The Corrections page is for readers: dated changes in words, never a commit, a merge or a test."""
    import html as html_lib
    import subprocess

    page = (built_site / "book" / "corrections.html").read_text(encoding="utf-8")
    article = re.search(r"<article.*?</article>", page, re.S).group(0)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", article))
    log = subprocess.run(["git", "log", "--first-parent", "--format=%H%x1f%s", "--", "book/results"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert log, "the repository's history of book/results is needed to check the Corrections page"
    for line in log:
        commit, subject = line.split("\x1f", 1)
        assert commit[:7] not in text, f"the Corrections page shows commit {commit[:7]}"
        assert subject not in text, f"the Corrections page shows the commit message {subject!r}"
    assert not re.search(r"\bMerge\b|\bcommit\b|\bfixture\b", text)
    assert re.search(r"\d{1,2} (January|February|March|April|May|June|July|August|September|October|November"
                     r"|December) \d{4}\.", text), "each entry is dated"


def test_the_about_page_names_the_publisher_and_every_byline_links_it(built_site):
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    about = (built_site / "book" / "about.html").read_text(encoding="utf-8")
    assert config["safecity_publisher"] in about and 'href="methods.html' in about and 'href="corrections.html"' in about
    if not config["safecity_contact"]:
        assert "How to reach the publisher has not been set yet" in about
    for path in _pages(built_site):
        page = path.read_text(encoding="utf-8")
        if "safecity-dates" in page:
            byline = re.search(r'<div class="[^"]*safecity-dates.*?</div>', page, re.S).group(0)
            assert re.search(r'href="(book/)?about.html"><span[^>]*>' + re.escape(config["safecity_publisher"]) + "<",
                             byline), f"{path.name}: the byline does not name and link the publisher"


def test_a_changed_rating_says_so_on_its_card_and_its_ledger_row(built_site):
    from safecity import history, prose

    changes = history.rating_changes(ROOT)
    assert changes, "the book's history has ratings that changed since publication"
    ledger = (built_site / "book" / "07_claims_ledger.html").read_text(encoding="utf-8")
    intro = (built_site / "book" / "intro.html").read_text(encoding="utf-8")
    for claim_id, changed in changes.items():
        note = prose.blocks("_rating_changed", {"changes": changed})["note"].strip()
        row = re.search(r'<tr id="claim-' + re.escape(claim_id) + r'".*?</tr>', ledger, re.S)
        if row:
            assert f'<span class="safecity-rating-changed">{note}</span>' in row.group(0), claim_id
        card = re.search(r'<div class="safecity-card" id="card-' + re.escape(claim_id) + r'">.*?</p>\s*(<p[^>]*>[^<]*</p>)',
                         intro, re.S)
        if card:
            assert card.group(1) == f'<p class="safecity-rating-changed">{note}</p>', claim_id
