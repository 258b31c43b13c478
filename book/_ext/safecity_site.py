"""What the site adds at build time, from the book's committed history and its results records:

- ``safecity-dates`` (optional argument: a notebook name) — "Published …; updated …" for the page;
- ``safecity-corrections`` — every change to a finding since publication, with its date and reason;
- ``safecity-verdicts`` (argument: a page) — the page's verdict cards, from the claims ledger's record;
- ``safecity-about`` — who publishes the book, its funding and contact (configuration), and its standards;
- ``{safecity-rating}`claim-id``` — one claim's rating, as the ledger's record holds it, in a chapter's lead;
- on every page that rates a claim (the ledger's rows, the intro's and the chapters' cards), each claim as
  schema.org ``ClaimReview`` JSON-LD, the structured data fact-checkers publish for search engines;
- on a claim whose rating changed since publication, "Rating changed on <date>: was <rating>".

Dates come from git, never from the clock. The words are the `dates` and `corrections` blocks of
`safecity/templates/corrections.md`, `about.md` and `_rating_changed.md`, and the ledger's rating names.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective, SphinxRole

from safecity import ROOT, history, prose


@functools.lru_cache(maxsize=1)
def _words(publisher: str, contact: str = "") -> tuple[dict, dict]:
    dates = history.dates(ROOT)
    entries = history.entries(ROOT)
    return dates, {"entries": entries, "history_available": bool(dates["published"]),
                   "published": dates["published"], "publisher": publisher, "contact": contact}


def _watched(env) -> None:
    """This page's words depend on the git history or the ledger's record, which Sphinx does not watch: it is
    read again when they change (see _outdated)."""
    if not hasattr(env, "safecity_history_docs"):
        env.safecity_history_docs = set()
    env.safecity_history_docs.add(env.docname)


class _Rendered(SphinxDirective):
    page = "corrections"
    block = ""

    def values(self) -> dict:
        raise NotImplementedError

    def run(self):
        _watched(self.env)
        # The diff lines quote old and new values as recorded: a value that was once missing may read "None".
        text = prose.blocks(self.page, self.values(), check_leaks=self.block != "corrections")[self.block]
        container = nodes.container(classes=[f"safecity-{self.block}"])
        self.state.nested_parse(StringList(text.splitlines(), source=f"{self.page}.md"), self.content_offset,
                                container)
        return [container]


class Dates(_Rendered):
    block = "dates"
    optional_arguments = 1

    def values(self):
        dates, values = _words(self.config.safecity_publisher, self.config.safecity_contact)
        page = self.arguments[0] if self.arguments else None
        updated = dates["updated"].get(page, dates["published"]) if page else dates["book_updated"]
        return values | {"updated": updated}


class Corrections(_Rendered):
    block = "corrections"

    def values(self):
        return _words(self.config.safecity_publisher, self.config.safecity_contact)[1] | {"updated": ""}


class About(_Rendered):
    """Who publishes the book, how it is funded and reached, its standards and corrections policy (templates/about.md)."""

    page = "about"
    block = "about"

    def values(self):
        return {"publisher": self.config.safecity_publisher, "contact": self.config.safecity_contact,
                "funding": self.config.safecity_funding}


LEDGER = "07_claims_ledger"


class Verdicts(SphinxDirective):
    """A page's verdict cards (argument: the page, as the ledger names it: `intro`, `arrests`, ...), as the
    claims ledger's results record rendered them, so that a chapter and the ledger show one verdict."""

    required_arguments = 1

    def run(self):
        from safecity import record

        _watched(self.env)
        ledger = record.read(LEDGER, Path(self.env.srcdir, "book", "results"))
        name = f"cards_{self.arguments[0]}"
        if name not in ledger.get("text", {}):
            raise self.error(f"the claims ledger's record has no verdict cards for '{self.arguments[0]}'")
        container = nodes.container(classes=["safecity-verdicts"])
        self.state.nested_parse(StringList(ledger["text"][name].splitlines(), source=f"{LEDGER}.json"),
                                self.content_offset, container)
        return [container]


class Rating(SphinxRole):
    """One claim's rating (the role's text: its id in the ledger), as the claims ledger's record holds it, through
    the chip macro the cards use and linked to the claim's row: a chapter's lead never computes a rating."""

    def run(self):
        from safecity import record

        _watched(self.env)
        values = record.read(LEDGER, Path(self.env.srcdir, "book", "results"))["values"]
        claim = values["claims"].get(self.text)
        if claim is None:
            msg = self.inliner.reporter.error(f"the claims ledger's record has no claim '{self.text}'", line=self.lineno)
            return [self.inliner.problematic(self.rawtext, self.rawtext, msg)], [msg]
        chip = prose.ENV.get_template("_ledger.md").make_module({"ratings": values["ratings"]}).chip(claim["verdict"])
        link = f'<a href="{LEDGER}.html#claim-{html.escape(self.text)}">{chip}</a>'
        return [nodes.raw(self.rawtext, link, format="html")], []


def _digest(srcdir: str) -> str:
    templates = Path(prose.__file__).with_name("templates")
    ledger = Path(srcdir, "book", "results", f"{LEDGER}.json")
    # The code that words the corrections (history, diff) too: a change to it must re-read those pages.
    sources = [templates / f"{name}.md" for name in ("corrections", "about", "_rating_changed")]
    sources += [Path(history.__file__), Path(history.__file__).with_name("diff.py")]
    return (history.digest(ROOT) + "".join(hashlib.sha256(path.read_bytes()).hexdigest() for path in sources)
            + (hashlib.sha256(ledger.read_bytes()).hexdigest() if ledger.exists() else ""))


def _outdated(app, env, added, changed, removed):
    """Pages that date themselves, list corrections or show the ledger's verdict cards are read again whenever
    the history or the ledger's record has changed."""
    digest = _digest(app.srcdir)
    if getattr(env, "safecity_history_digest", None) == digest:
        return []
    env.safecity_history_digest = digest
    return sorted(getattr(env, "safecity_history_docs", set()) - set(removed))


def _purge(app, env, docname):
    getattr(env, "safecity_history_docs", set()).discard(docname)


#: A verdict card's anchor on a chapter's page (`templates/_ledger.md`), and a claim's row on the ledger's page.
CARD_ID = re.compile(r'id="card-([^"]+)"')
ROW_ID = re.compile(r'<tr id="claim-([^"]+)"')


def claim_reviews(ledger: dict, article: dict, published: str, publisher: str, page_url: str,
                  shown: list[str] | None = None, anchor: str = "claim") -> list[dict]:
    """One schema.org ClaimReview per claim a page shows (`shown`, by id; default: the whole ledger, in its order),
    each at its anchor on the page (`#<anchor>-<id>`). Every text is plain text."""
    # The rating's names and place on the scale come from the published standard the ledger's record holds.
    ratings = {r["verdict"]: r for r in ledger["values"]["ratings"]}
    scale = [r["scale"] for r in ratings.values() if r["scale"] is not None]
    claims = ledger["values"]["claims"]
    reviews = []
    for claim_id in ledger["values"]["order"] if shown is None else shown:
        c = claims[claim_id]
        rating = ratings[c["verdict"]]
        review = {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": f"{page_url}#{anchor}-{claim_id}",
            "claimReviewed": c["quote"],
            "itemReviewed": {
                "@type": "Claim",
                "author": {"@type": "Organization", "name": article["publisher"]},
                "datePublished": article["datePublished"],
                "appearance": {"@type": "NewsArticle", "url": article["url"], "headline": article["headline"],
                               "datePublished": article["datePublished"],
                               "author": {"@type": "Person", "name": article["author"]},
                               "publisher": {"@type": "Organization", "name": article["publisher"]}},
            },
            "author": {"@type": "Organization", "name": publisher},
            "reviewRating": {"@type": "Rating", "alternateName": rating["short"], "name": rating["name"]},
        }
        if rating["scale"] is not None:
            review["reviewRating"] |= {"ratingValue": rating["scale"], "bestRating": max(scale),
                                       "worstRating": min(scale)}
        if published:
            review["datePublished"] = published
        reviews.append(review)
    return reviews


def page_url(base: str, pagename: str) -> str:
    """A page's address: absolute under the configured base URL, else relative to the page itself."""
    return f"{base}/{pagename}.html" if base else f"{pagename.rsplit('/', 1)[-1]}.html"


def _claim_review_script(app, pagename, templatename, context, doctree):
    """Adds ClaimReview data for the claims a page rates, in the page's order: every claim on the ledger's page (its
    rows), each verdict card's claim on a chapter's or the intro's (inert data for search engines: nothing is
    loaded)."""
    import json

    from safecity import claims, record

    body = context.get("body") or ""
    ledger_page = pagename == f"book/{LEDGER}"
    anchor = "claim" if ledger_page else "card"
    shown = list(dict.fromkeys((ROW_ID if ledger_page else CARD_ID).findall(body)))
    if not shown:
        return
    ledger = record.read(LEDGER, Path(app.srcdir, "book", "results"))
    shown = [cid for cid in shown if cid in ledger["values"]["claims"]]
    dates, _ = _words(app.config.safecity_publisher)
    url = page_url((app.config.html_baseurl or "").rstrip("/"), pagename)
    # The article's own details are project data, the same for every run.
    article = claims.article(Path(ROOT, "data"))
    data = claim_reviews(ledger, article, dates["published"], app.config.safecity_publisher, url, shown, anchor)
    # JSON inside <script>: no "<", ">" or "&" from the data can end the element or open a comment.
    text = (json.dumps(data, ensure_ascii=False, sort_keys=True)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    context["body"] = body + f'\n<script type="application/ld+json" id="safecity-claimreview">{text}</script>\n'


def _rating_changes(app, pagename, templatename, context, doctree):
    """A claim whose rating changed since publication says so on the claim itself: under the verdict of its card
    and first in the "Why" cell of its ledger row, with the date and the rating it replaced."""
    body = context.get("body") or ""
    if 'id="card-' not in body and 'id="claim-' not in body:
        return
    changes = _rating_history()
    for claim_id, changed in changes.items():
        note = prose.blocks("_rating_changed", {"changes": changed})["note"].strip()  # the template escapes values
        card = re.compile(r'(<div class="safecity-card" id="card-' + re.escape(claim_id)
                          + r'">\s*<p class="safecity-card-verdict">.*?</p>)', re.S)
        body = card.sub(lambda m: f'{m.group(1)} <p class="safecity-rating-changed">{note}</p>', body, count=1)
        # In the row's "Why" cell: the verdict cell stays a badge, so a phone's card still opens verdict, then claim.
        row = re.compile(r'(<tr id="claim-' + re.escape(claim_id)
                         + r'"[^>]*>(?:(?!</tr>).)*?<td data-label="Why">)', re.S)
        body = row.sub(lambda m: f'{m.group(1)}<span class="safecity-rating-changed">{note}</span>', body, count=1)
    context["body"] = body


@functools.lru_cache(maxsize=1)
def _rating_history() -> dict:
    return history.rating_changes(ROOT)


# --- Sharing: each page's description, Open Graph and Twitter card tags, canonical link and share image --------

#: A share image's size (the size Open Graph and Twitter's large card ask for), in pixels.
SHARE_SIZE = (1200, 630)
SHARE_FOLDER = "_static/share"


def plain_text(markdown: str) -> str:
    """Markdown (a glued block) as the plain text a reader reads: no markup, entities decoded, one line."""
    import html
    import re

    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").render(markdown)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split()).replace(" .", ".").replace(" ,", ",")


#: A chapter's lead, the first of these blocks its record holds (the records chapter leads with every area).
LEAD_BLOCKS = ("verdict_areas", "verdict")
RATING_ROLE = r"\{safecity-rating\}`([^`]+)`"


def ratings_in_words(markdown: str, results: Path) -> str:
    """A lead's ratings (the `safecity-rating` role) as the rating names the ledger's record gives them, in words."""
    import re

    from safecity import record

    if not re.search(RATING_ROLE, markdown):
        return markdown
    values = record.read(LEDGER, results)["values"]
    names = {r["verdict"]: r["name"] for r in values["ratings"]}
    return re.sub(RATING_ROLE, lambda m: names[values["claims"][m.group(1)]["verdict"]] + ".", markdown)


def description(srcdir: str, pagename: str) -> str:
    """A page's description: the verdict of its results record (its first glued block), else its block in
    `templates/sharing.md`. A page with neither is an error: every page is shared with a description."""
    from safecity import record

    stem = pagename.rsplit("/", 1)[-1]
    results = Path(srcdir, "book", "results")
    if Path(results, f"{stem}.json").exists():
        text = record.read(stem, results).get("text", {})
        lead = next((text[name] for name in LEAD_BLOCKS if text.get(name)), None)
        if lead:
            return plain_text(ratings_in_words(lead, results))
    block = prose.blocks("sharing", {}).get(f"page_{stem}")
    if not block:
        raise ValueError(f"page {pagename!r} has no description: give it a block page_{stem} in templates/sharing.md")
    return plain_text(block)


def share_card(title: str, text: str, publisher: str) -> dict:
    """The Vega-Lite spec of a page's share image: the book's name, the page's title and its description."""
    import textwrap

    width, height = SHARE_SIZE
    title_lines = textwrap.wrap(title, 32)[:2]
    room = 8 - len(title_lines)
    lines = textwrap.wrap(text, 58)
    body = lines[:room]
    if len(lines) > room:
        body[-1] = textwrap.shorten(body[-1] + " " + lines[room], 57, placeholder=" …")
    top = 130 + 72 * len(title_lines) + 24

    def words(value, x, y, size, color, weight="normal", line=None):
        return {"mark": {"type": "text", "x": x, "y": y, "align": "left", "baseline": "top", "fontSize": size,
                         "font": "DejaVu Sans, sans-serif", "fontWeight": weight, "color": color,
                         "lineHeight": line or round(size * 1.3), "text": value}}

    return {"width": width, "height": height, "autosize": {"type": "none"}, "padding": 0, "background": "#ffffff",
            "config": {"view": {"stroke": None}}, "data": {"values": [{}]},
            "layer": [{"mark": {"type": "rect", "x": 0, "x2": width, "y": 0, "y2": 18, "color": "#0a4a85"}},
                      words(publisher, 70, 60, 30, "#0a4a85", "bold"),
                      words(title_lines, 70, 120, 58, "#1f1f1f", "bold", 72),
                      words(body, 70, top, 32, "#2b2b2b", line=44)]}


def share_tags(title: str, text: str, site: str, pagename: str, base: str, image: str) -> list[tuple[str, str]]:
    """The description, Open Graph and Twitter card tags of a page, as (name, content). `image` is the share image's
    address relative to the page; with a base URL every address is absolute."""
    url = page_url(base, pagename) if base else ""
    image_url = f"{base}/{SHARE_FOLDER}/{pagename.replace('/', '-')}.png" if base else image
    tags = [("description", text), ("og:type", "website" if pagename == "book/intro" else "article"),
            ("og:site_name", site), ("og:title", title), ("og:description", text), ("og:image", image_url),
            ("og:image:width", str(SHARE_SIZE[0])), ("og:image:height", str(SHARE_SIZE[1])),
            ("og:image:alt", f"{title}: {text}"), ("twitter:card", "summary_large_image"), ("twitter:title", title),
            ("twitter:description", text), ("twitter:image", image_url)]
    if url:
        tags.insert(2, ("og:url", url))
    return tags


def _sharing(app, pagename, templatename, context, doctree):
    """Adds the page's sharing tags and canonical link (see book/_templates/layout.html), and draws its share image."""
    import html as html_lib
    import re

    import vl_convert

    if pagename in ("index", "genindex"):
        return  # the site root only redirects to the first page
    # Sphinx gives the search page no title of its own; the theme calls it "Search".
    title = context.get("title") or ("Search" if pagename == "search" else "")
    if not title:
        return
    site = app.config.html_title or app.config.safecity_publisher
    title = plain_text(html_lib.unescape(re.sub(r"<[^>]+>", "", title)))
    text = description(app.srcdir, pagename)
    name = f"{pagename.replace('/', '-')}.png"
    image = Path(app.outdir, SHARE_FOLDER, name)
    image.parent.mkdir(parents=True, exist_ok=True)
    card = share_card(title, text, app.config.safecity_publisher)
    # Drawn again only when its card changed (or the image is gone): a build that rewrites a page whose title and
    # description stayed as they were keeps its image.
    drawn = _drawn_cards(app)
    key = hashlib.sha256((vl_convert.__version__ + repr(card)).encode()).hexdigest()
    if drawn.get(name) != key or not image.exists():
        png = vl_convert.vegalite_to_png(card, scale=1)
        if not image.exists() or image.read_bytes() != png:
            image.write_bytes(png)
        drawn[name] = key
    base = (app.config.html_baseurl or "").rstrip("/")
    relative = context["pathto"](f"{SHARE_FOLDER}/{name}", 1)
    context["safecity_meta"] = share_tags(title, text, site, pagename, base, relative)
    context["safecity_canonical"] = f"{base}/{pagename}.html" if base else ""


#: Beside the site (not in it): each share image's card, hashed, as last drawn.
DRAWN_CARDS = "share-cards.json"


def _drawn_cards(app) -> dict[str, str]:
    if not hasattr(app, "safecity_drawn_cards"):
        import json

        try:
            app.safecity_drawn_cards = json.loads(Path(app.outdir).parent.joinpath(DRAWN_CARDS).read_text("utf-8"))
        except (OSError, ValueError):
            app.safecity_drawn_cards = {}
    return app.safecity_drawn_cards


def _save_drawn_cards(app, exception):
    if exception is None and hasattr(app, "safecity_drawn_cards"):
        import json

        Path(app.outdir).parent.joinpath(DRAWN_CARDS).write_text(
            json.dumps(app.safecity_drawn_cards, sort_keys=True, indent=1) + "\n", encoding="utf-8")


def _chart_loader(app, pagename, templatename, context, doctree):
    """Only a page with a chart gets the loader of the interactive charts (see _static/safecity-charts.js)."""
    if 'class="safecity-chart"' in context.get("body", ""):
        app.add_js_file("safecity-charts.js", loading_method="defer")


def _deferred_scripts(app, pagename, templatename, context, doctree):
    """Scripts wait for the page to be parsed (`defer`, in their order), so a phone paints the page before it
    runs them. documentation_options.js stays as it is (inline scripts set its globals), and so does the search
    page, whose index calls Sphinx's search tools as soon as it loads."""
    from sphinx.builders.html._assets import _JavaScript

    files = context.get("script_files")
    if pagename == "search" or not files:
        return
    context["script_files"] = [
        _JavaScript(js.filename, priority=js.priority, **{**js.attributes, "defer": "defer"})
        if isinstance(js, _JavaScript) and js.filename and not {"defer", "async"} & set(js.attributes)
        and not str(js.filename).endswith("documentation_options.js") else js
        for js in files]


def _reader_pages(app, config):
    """No developer tools in the reader's path: the theme's notebook-download and full-screen buttons are
    left out (jupyter-book passes neither setting on to the theme), and so is Sphinx's empty general index."""
    config.html_theme_options = {**(config.html_theme_options or {}), "use_download_button": False,
                                 "use_fullscreen_button": False,
                                 # One search box on the first screen: the sidebar's (the header repeated it).
                                 "navbar_persistent": []}
    config.html_use_index = False


def setup(app):
    app.connect("config-inited", _reader_pages)
    app.connect("html-page-context", _claim_review_script)
    app.connect("html-page-context", _rating_changes)
    app.connect("html-page-context", _chart_loader)
    app.connect("html-page-context", _sharing)
    app.connect("build-finished", _save_drawn_cards)
    app.connect("html-page-context", _deferred_scripts, priority=900)  # after every script is added
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.add_config_value("safecity_publisher", "The safecity contributors", "env")
    # Where readers report an error: the repository's issue tracker, once the book is published somewhere.
    app.add_config_value("safecity_contact", "", "env")
    # How the book is funded, in the publisher's words; left empty, the About page says it is not yet stated.
    app.add_config_value("safecity_funding", "", "env")
    app.add_directive("safecity-about", About)
    app.add_directive("safecity-dates", Dates)
    app.add_directive("safecity-corrections", Corrections)
    app.add_directive("safecity-verdicts", Verdicts)
    app.add_role("safecity-rating", Rating())
    return {"parallel_read_safe": False, "parallel_write_safe": True}
