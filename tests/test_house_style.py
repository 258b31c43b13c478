"""House style for an American story, checked on the built pages as a reader reads them.

US spelling everywhere but inside quotations (the article's words, a source's title or words, quoted as published):
a British spelling in the book's own words fails. File names, addresses and identifiers (a column, a table, a value a
schema allows) are not words on the page; neither are the earlier versions of the book's words the Corrections page
quotes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from safecity import pipeline

from conftest import ROOT

#: British spellings and their US forms (a small list of the common ones; stems cover their endings).
BRITISH = {
    r"offences?": "offense", r"defences?": "defense", r"licences?": "license", r"programmes?": "program",
    r"centres?": "center", r"labour\w*": "labor", r"colour\w*": "color", r"behaviour\w*": "behavior",
    r"favour\w*": "favor", r"honour\w*": "honor", r"neighbour\w*": "neighbor", r"catalogues?": "catalog",
    r"judgements?": "judgment", r"travell(?:ed|ing|er|ers)": "traveled", r"modell(?:ed|ing)": "modeled",
    r"labell(?:ed|ing)": "labeled", r"analys(?:e|ed|es|ing)": "analyze",
    r"(?:organ|recogn|real|summar|categor|prior|critic|emphas|minim|maxim|standard|normal|apolog|author|character"
    r"|final|util|optim|visual|general|special|legal|memor|stabil|familiar|custom|initial|serial|item|capital"
    r"|harmon|symbol|sanit|synchron|central|penal|subsid|jeopard|scrutin|emphas|hospital|naturali)"
    r"is(?:e|ed|es|ing|ation|ations)": "-ize",
}
PATTERN = re.compile(r"\b(" + "|".join(BRITISH) + r")\b", re.IGNORECASE)
#: Text inside quotation marks is someone else's words.
QUOTED = re.compile(r"“[^”]*”|\"[^\"\n]*\"|‘[^’]*’")
#: Elements whose text is not the book's own prose: quotations, code, scripts, and machine text.
SKIP_TAGS = {"script", "style", "blockquote", "q", "code", "pre", "kbd", "samp", "svg", "title"}
SKIP_CLASSES = ("quote", "safecity-checksum", "headerlink", "safecity-changes")
#: Table cells of identifiers (the data reporters' pages: a table's name, a column's, its type, the values it allows).
SKIP_CELLS = {"table", "column", "type", "constraints"}
#: A word joined to a file name, a path or an identifier (ice-safe-city-offences, 02_offences.ipynb) is not prose.
IDENTIFIER = re.compile(r"[\w.-]*[-_/.]\w[\w./-]*|\w+[-_/]")

#: The sources' own words, shown as the source gives them (not quoted in marks, but quoted all the same).
SOURCE_WORDS = {
    "sex offences against children": "a conviction category as ICE's release names it "
                                     "(data/raw/ice-safe-city-offences/conviction_categories.csv)",
}


class _Prose(HTMLParser):
    """The text of a page's article, without quotations, code and scripts."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._stack: list[bool] = []  # per open element: is it skipped?
        self._in_article = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = attrs.get("class") or ""
        skipped = (tag in SKIP_TAGS or any(c in classes for c in SKIP_CLASSES)
                   or (tag == "td" and attrs.get("data-label") in SKIP_CELLS))
        if tag in ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"):
            return
        self._stack.append(skipped)
        if tag == "article":
            self._in_article += 1

    def handle_endtag(self, tag):
        if self._stack:
            self._stack.pop()
        if tag == "article" and self._in_article:
            self._in_article -= 1

    def handle_data(self, data):
        if self._in_article and not any(self._stack):
            self.parts.append(data)


def _british(html: str) -> list[str]:
    prose = _Prose()
    prose.feed(html)
    text = " ".join(" ".join(prose.parts).split())
    text = QUOTED.sub(" ", text)
    for words in SOURCE_WORDS:
        text = text.replace(words, " ")
    text = IDENTIFIER.sub(" ", text)
    found = []
    for match in PATTERN.finditer(text):
        start = max(0, match.start() - 40)
        found.append(f"{match.group(0)!r} in …{text[start:match.end() + 40]}…")
    return found


PAGES = [entry + ".html" for entry in pipeline.toc_files(ROOT)]


@pytest.mark.parametrize("page", PAGES)
def test_us_spelling_outside_quotations(page, built_site):
    found = _british((built_site / page).read_text(encoding="utf-8"))
    assert not found, f"{page}: British spelling in the book's own words:\n" + "\n".join(found[:12])


def test_the_check_finds_british_spelling_and_spares_quotations_and_identifiers():
    page = ("<html><body><article><p>The offences were itemised and we analysed them.</p>"
            "<blockquote>A programme of offences</blockquote><p>He called it “a centre of labour”.</p>"
            "<p>See 02_offences.ipynb and data/raw/ice-safe-city-offences/, <q>licence</q>.</p>"
            "<table><tr><td data-label=\"constraints\">one of: offences</td><td>colour</td></tr></table>"
            "</article></body></html>")
    found = [f.split(" in …", 1)[0] for f in _british(page)]
    assert found == ["'offences'", "'itemised'", "'analysed'", "'colour'"]  # not quotes, file names or the schema's


def test_the_headline_quote_does_not_nest_double_quotes(built_site):
    """US style: the article's headline, quoted in double marks, gives its own quotation in single marks."""
    from safecity import claims

    headline = claims.article(ROOT / "data")["headline"]
    intro = (built_site / "book" / "intro.html").read_text(encoding="utf-8")
    shown = re.search(r"The story checked:</strong> <a [^>]*>(.*?)</a>", intro, re.S).group(1)
    assert shown.startswith("“") and shown.endswith("”"), shown
    assert "“" not in shown[1:-1] and "”" not in shown[1:-1] and '"' not in shown[1:-1], shown
    # The headline's words are all there, only its inner marks are single.
    assert shown[1:-1] == headline.replace("“", "‘").replace("”", "’")
