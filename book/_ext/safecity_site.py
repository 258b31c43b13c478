"""What the site adds at build time, from the book's committed history and its results records:

- ``safecity-dates`` (optional argument: a notebook name) — "Published …; updated …" for the page;
- ``safecity-corrections`` — every change to a finding since publication, with its date and reason;
- ``safecity-verdicts`` (argument: a page) — the page's verdict cards, from the claims ledger's record;
- on the claims ledger's page, each claim as schema.org ``ClaimReview`` JSON-LD, the structured data
  fact-checkers publish for search engines.

Dates come from git, never from the clock. The words are the `dates` and `corrections` blocks of
`safecity/templates/corrections.md` and the ledger's own verdict names (`templates/_ledger.md`).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

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
    block = ""

    def values(self) -> dict:
        raise NotImplementedError

    def run(self):
        _watched(self.env)
        # Commit messages are people's words, not computed values: they may say "None" and still be right.
        text = prose.blocks("corrections", self.values(), check_leaks=self.block != "corrections")[self.block]
        container = nodes.container(classes=[f"safecity-{self.block}"])
        self.state.nested_parse(StringList(text.splitlines(), source="corrections.md"), self.content_offset,
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


def _digest(srcdir: str) -> str:
    template = Path(prose.__file__).with_name("templates") / "corrections.md"
    ledger = Path(srcdir, "book", "results", f"{LEDGER}.json")
    return (history.digest(ROOT) + hashlib.sha256(template.read_bytes()).hexdigest()
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


def claim_reviews(ledger: dict, article: dict, published: str, publisher: str, page_url: str) -> list[dict]:
    """One schema.org ClaimReview per claim of the ledger record, in the ledger's order."""
    # The rating's name and place on the scale come from the published standard the ledger's record holds.
    ratings = {r["verdict"]: r for r in ledger["values"]["ratings"]}
    names = prose.ENV.get_template("_ledger.md").make_module({"ratings": ledger["values"]["ratings"]})
    scale = [r["scale"] for r in ratings.values() if r["scale"] is not None]
    claims = ledger["values"]["claims"]
    reviews = []
    for claim_id in ledger["values"]["order"]:
        c = claims[claim_id]
        review = {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": f"{page_url}#claim-{claim_id}",
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
            "reviewRating": {"@type": "Rating", "alternateName": str(names.verdict_with_source(c)),
                             "name": ratings[c["verdict"]]["name"]},
        }
        if ratings[c["verdict"]]["scale"] is not None:
            review["reviewRating"] |= {"ratingValue": ratings[c["verdict"]]["scale"], "bestRating": max(scale),
                                       "worstRating": min(scale)}
        if published:
            review["datePublished"] = published
        reviews.append(review)
    return reviews


def _claim_review_script(app, pagename, templatename, context, doctree):
    """Adds the ledger's ClaimReview data to its page (inert data for search engines: nothing is loaded)."""
    if pagename != f"book/{LEDGER}" or "body" not in context:
        return
    import json

    from safecity import claims, record

    ledger = record.read(LEDGER, Path(app.srcdir, "book", "results"))
    dates, _ = _words(app.config.safecity_publisher)
    base = (app.config.html_baseurl or "").rstrip("/")
    url = f"{base}/{pagename}.html" if base else f"{pagename}.html"
    # The article's own details are project data, the same for every run.
    article = claims.article(Path(ROOT, "data"))
    data = claim_reviews(ledger, article, dates["published"], app.config.safecity_publisher, url)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
    context["body"] += f'\n<script type="application/ld+json" id="safecity-claimreview">{text}</script>\n'


def setup(app):
    app.connect("html-page-context", _claim_review_script)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.add_config_value("safecity_publisher", "Operation Safe City, checked", "env")
    # Where readers report an error: the repository's issue tracker, once the book is published somewhere.
    app.add_config_value("safecity_contact", "", "env")
    app.add_directive("safecity-dates", Dates)
    app.add_directive("safecity-corrections", Corrections)
    app.add_directive("safecity-verdicts", Verdicts)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
