"""Sphinx directives for the book's history, read from git at build time (never from the clock):

- ``safecity-dates`` (optional argument: a notebook name) — "Published …; updated …" for the page;
- ``safecity-corrections`` — every change to a finding since publication, with its date and reason.

Their words are the `dates` and `corrections` blocks of `safecity/templates/corrections.md`.
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
def _words(publisher: str) -> tuple[dict, dict]:
    dates = history.dates(ROOT)
    entries = history.entries(ROOT)
    return dates, {"entries": entries, "history_available": bool(dates["published"]),
                   "published": dates["published"], "publisher": publisher}


class _Rendered(SphinxDirective):
    block = ""

    def values(self) -> dict:
        raise NotImplementedError

    def run(self):
        # This page's words depend on the git history, which Sphinx does not watch: see _outdated.
        if not hasattr(self.env, "safecity_history_docs"):
            self.env.safecity_history_docs = set()
        self.env.safecity_history_docs.add(self.env.docname)
        text = prose.blocks("corrections", self.values())[self.block]
        container = nodes.container(classes=[f"safecity-{self.block}"])
        self.state.nested_parse(StringList(text.splitlines(), source="corrections.md"), self.content_offset,
                                container)
        return [container]


class Dates(_Rendered):
    block = "dates"
    optional_arguments = 1

    def values(self):
        dates, values = _words(self.config.safecity_publisher)
        page = self.arguments[0] if self.arguments else None
        updated = dates["updated"].get(page, dates["published"]) if page else dates["book_updated"]
        return values | {"updated": updated}


class Corrections(_Rendered):
    block = "corrections"

    def values(self):
        return _words(self.config.safecity_publisher)[1] | {"updated": ""}


def _digest() -> str:
    template = Path(prose.__file__).with_name("templates") / "corrections.md"
    return history.digest(ROOT) + hashlib.sha256(template.read_bytes()).hexdigest()


def _outdated(app, env, added, changed, removed):
    """Pages that date themselves or list corrections are read again whenever the history has changed."""
    digest = _digest()
    if getattr(env, "safecity_history_digest", None) == digest:
        return []
    env.safecity_history_digest = digest
    return sorted(getattr(env, "safecity_history_docs", set()) - set(removed))


def _purge(app, env, docname):
    getattr(env, "safecity_history_docs", set()).discard(docname)


def setup(app):
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.add_config_value("safecity_publisher", "Operation Safe City, checked", "env")
    app.add_directive("safecity-dates", Dates)
    app.add_directive("safecity-corrections", Corrections)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
