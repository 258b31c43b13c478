"""The book's words: Jinja2 Markdown templates in `safecity/templates/`, rendered from computed values.

One template per page (`templates/<notebook>.md`). Each `{% block name %}` is one glued block of the
page: a paragraph or a few, a verdict, a chart title or text alternative. Code computes the values
and named conditions; a template only chooses words from them, through the formatting filters below,
and does no arithmetic (`tests/test_prose.py` checks every template for that).

The filters refuse a missing value (None or NaN), so a template must say what is missing before it
can show a number, and no "nan" or "None" can reach a page.

Values are text, never markup. Templates render with Jinja2's autoescaping, and every value a block shows
(a place name, a parameter, a country) is escaped by `escape` for what the blocks are: MyST Markdown, some
with raw HTML. Only the template's own words and strings, its macros and the formatting filters' output
(`Markup`) are written as they are.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterable

import jinja2
import jinja2.ext
import jinja2.lexer
import jinja2.nodes
from markupsafe import Markup

from . import formats
from .text import join_and


class MissingValue(ValueError):
    """A template tried to format a value that was not computed."""


def _present(value, what: str):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise MissingValue(f"{what}: a missing value reached a number filter; the template must test for it first")
    return value


#: Characters that are syntax somewhere in a value's path to the page: HTML (`<`, `&`), Markdown and MyST (emphasis,
#: code, links, roles, math, tables, strikethrough) and the backslash that escapes them. Quotes matter only inside
#: an HTML attribute, where templates write `|e` (`escape_html`).
_SYNTAX = set('&<>\\`*_[]{}$|~')
#: What is syntax only where a line starts (headings, lists, breaks, colon fences, comments, targets), and the
#: punctuation before which `_tidy` drops a space.
_LINE_START = set("#%+-=:(,.;!?)")
_REFERENCE = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ORDERED = re.compile(r"^(\d+)([.)])")


def _characters(text: str) -> list[str]:
    """Each character of `text`, as a character reference where it could be syntax anywhere in a line."""
    # An underscore between two letters or digits can open no emphasis: "03_visas" stays as it is.
    return [_REFERENCE.get(c, f"&#{ord(c)};") if c in _SYNTAX and not (
        c == "_" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()) else c
        for i, c in enumerate(text)]


def escape(value) -> Markup:
    """A value as literal text in MyST Markdown and in raw HTML: each character that could be syntax becomes a
    numeric character reference (`*` -> `&#42;`), which both show as the character itself and never interpret.
    Line breaks become spaces (a value is never a block of its own). Markup (the book's own formatting) is kept."""
    if isinstance(value, Markup):
        return value
    text = " ".join(str(value).splitlines())
    out = _characters(text)
    if out and text[0] in _LINE_START:
        out[0] = f"&#{ord(text[0])};"
    ordered = _ORDERED.match(text)
    if ordered:  # "1. x" or "1) x" would start a numbered list
        out[len(ordered.group(1))] = f"&#{ord(ordered.group(2))};"
    return Markup("".join(out))


def escape_html(value) -> Markup:
    """`escape`, and quotes too: a value in raw HTML, such as an attribute (the templates' `|e`)."""
    if isinstance(value, Markup):
        return value
    return Markup(str(escape(value)).replace('"', "&#34;").replace("'", "&#39;"))


def _finalize(value):
    """Every `{{ value }}` a template writes: numbers as they are, text escaped (see `escape`)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return escape(value)


def _book(function):
    """A formatting filter's result is the book's own text (numbers, dates, links it made), not a value."""
    @functools.wraps(function)
    def formatted(*args, **kwargs):
        return Markup(function(*args, **kwargs))
    return formatted


def num(value, digits: int = 0, signed: bool = False, unsigned: bool = False) -> str:
    """1234 -> "1,234"; 2.5 with digits=1 -> "2.5"; negatives with a true minus; `unsigned` drops the sign."""
    return formats.number(_present(value, "num"), digits, signed, unsigned)


def pct(value, digits: int = 1, signed: bool = False, unsigned: bool = False) -> str:
    """A fraction as a percentage: 0.637 -> "63.7%"; signed=True -> "+63.7%" / "−43.9%"."""
    return formats.percent(_present(value, "pct"), digits, signed, unsigned)


def points(value, digits: int = 1, unsigned: bool = True) -> str:
    """A difference of two fractions in percentage points: 0.012 -> "1.2 percentage points"."""
    value = _present(value, "points")
    shown = num(value * 100, digits, unsigned=unsigned)
    return f"{shown} percentage point{'' if shown == '1' + ('.' + '0' * digits if digits else '') else 's'}"


def count(value, noun: str, plural: str | None = None) -> str:
    """A whole count with its noun agreeing: 1 month, 28 months, 0 areas."""
    return f"{num(_present(value, 'count'))} {_agreeing(value, noun, plural)}"


def noun(value, singular: str, plural: str | None = None) -> str:
    """The noun alone, agreeing with `value`: "area" for 1, "areas" otherwise."""
    return _agreeing(_present(value, "noun"), singular, plural)


def _agreeing(value, singular: str, plural: str | None) -> str:
    """A noun that is not the template's own words (Markup) is escaped like a value."""
    return escape(singular if value == 1 else plural or singular + "s")


def fy(year) -> str:
    """A US federal fiscal year as the sources write it: FY2018."""
    return formats.fy(_present(year, "fy"))


def _day(value) -> dt.date:
    return dt.date.fromisoformat(str(_present(value, "date"))[:10])


def day(value) -> str:
    """"2017-09-27" -> "Wednesday 27 September 2017"."""
    d = _day(value)
    return f"{d:%A} {d.day} {d:%B %Y}"


def date(value) -> str:
    """"2017-09-27" -> "27 September 2017"."""
    d = _day(value)
    return f"{d.day} {d:%B %Y}"


def month(value) -> str:
    """"2017-03" (or a date in it) -> "March 2017"."""
    return formats.month(_present(value, "month"))


def short_month(value) -> str:
    """"2017-03" -> "Mar 2017"."""
    return formats.short_month(_present(value, "short_month"))


def and_list(items: Iterable, filter_name: str | None = None) -> str:
    """["A", "B", "C"] -> "A, B and C"; with a filter name, each item is formatted by it first."""
    items = list(items)
    if filter_name:
        items = [FILTERS[filter_name](item) for item in items]
    return join_and(escape(item) for item in items)


_URL = re.compile(r"https?://[^\s<>\"'\]\[()]+[^\s<>\"'.,;:)\]\[(]")


def cite(text) -> str:
    """A citation with each web address in it made a Markdown link, shown without its scheme; the rest of it, and
    the link's words, are text (`escape`). The address itself cannot hold a space, quote, bracket or parenthesis."""
    text = " ".join(str(_present(text, "cite")).splitlines())
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0)
        out += _characters(text[last:match.start()]) + [f"[{''.join(_characters(url.split('://', 1)[1]))}]({url})"]
        last = match.end()
    out += _characters(text[last:])
    if text and text[0] in _LINE_START:  # the citation's first character, as in `escape`
        out[0] = f"&#{ord(text[0])};"
    return "".join(out)


def join(items, separator: str = "") -> Markup:
    """Jinja's `join`, each item escaped as a value (`escape`)."""
    return Markup(separator).join(escape(item) for item in items)  # the separator is the template's


FILTERS = {name: _book(function) for name, function in {
    "cite": cite, "num": num, "pct": pct, "points": points, "count": count, "noun": noun, "fy": fy, "day": day,
    "date": date, "month": month, "short_month": short_month, "and_list": and_list}.items()}

#: Words a page must never show: a missing value that slipped through as text.
LEAKS = re.compile(r"\b(nan|NaN|None|undefined|NaT)\b|Traceback|Warning:|/tmp/|/home/|/root/|/work/")

class TagLines(jinja2.ext.Extension):
    """A line holding only tags or comments leaves nothing behind, while a line break after text stays a space.

    (Jinja's own `trim_blocks` also eats the line break after a tag that ends a line of text, which would
    run two words together.)"""

    TAG_LINE = re.compile(r"^[ \t]*(?:(?:\{%(?:(?!%\}).)*%\}|\{#(?:(?!#\}).)*#\})[ \t]*)+\n", re.MULTILINE)

    def preprocess(self, source, name, filename=None):
        return self.TAG_LINE.sub(lambda m: m.group(0).strip(), source)


class OwnWords(jinja2.ext.Extension):
    """A string a template writes inside `{{ }}` or `{% %}` (`", "`, `"has"`) is its own words, like its text: it is
    kept as written (`|safe`), where a value would be escaped."""

    def filter_stream(self, stream):
        inside = False
        for token in stream:
            if token.type in ("variable_begin", "block_begin"):
                inside = True
            elif token.type in ("variable_end", "block_end"):
                inside = False
            if inside and token.type == "string":
                yield from (jinja2.lexer.Token(token.lineno, "lparen", "("), token,
                            jinja2.lexer.Token(token.lineno, "pipe", "|"),
                            jinja2.lexer.Token(token.lineno, "name", "safe"),
                            jinja2.lexer.Token(token.lineno, "rparen", ")"))
            else:
                yield token


# Autoescaping keeps the template's own words, strings, macros and `{% set %}` blocks as written (Markup) and passes every
# value through `_finalize`; `join` escapes its items the same way, and `e` (for raw HTML) quotes too.
ENV = jinja2.Environment(loader=jinja2.PackageLoader("safecity", "templates"), undefined=jinja2.StrictUndefined,
                         extensions=[TagLines, OwnWords], autoescape=True, finalize=_finalize, keep_trailing_newline=False)
ENV.filters.update(FILTERS | {"e": escape_html, "escape": escape_html, "join": join})


_STRUCTURE = re.compile(r"^\s*([-*+]\s|[>|#]|\d+\.\s|:::|```)")


def _tidy(text: str) -> str:
    """Whitespace a template's branches leave behind: a paragraph of prose becomes one line, runs of spaces
    one space, no space before punctuation. Lists, tables, headings and directives keep their lines."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in paragraph.splitlines() if line.strip()]
        if not any(_STRUCTURE.match(line) for line in lines):
            lines = [" ".join(line.strip() for line in lines)]
        lines = [re.sub(r"(?<=\S) {2,}", " ", line) for line in lines]
        paragraphs.append("\n".join(re.sub(r"(?<=\S) +([,.;:!?)])", r"\1", line) for line in lines))
    return "\n\n".join(p for p in paragraphs if p)


@functools.lru_cache(maxsize=None)
def labels(page: str) -> dict[str, str]:
    """The labels a page's charts and reader tables show (axis titles, tooltip names, legend entries, column labels):
    the `{% set labels = {...} %}` mapping of `templates/<page>.md`, literal words read as written (nothing is
    rendered, so no block's output changes). Raises if the page sets none, or sets one that is not all literal."""
    source = ENV.loader.get_source(ENV, f"{page}.md")[0]
    for node in ENV.parse(source, name=f"{page}.md").body:
        if isinstance(node, jinja2.nodes.Assign) and getattr(node.target, "name", None) == "labels":
            try:
                found = node.node.as_const(jinja2.nodes.EvalContext(ENV))
            except jinja2.nodes.Impossible:
                raise ValueError(f"templates/{page}.md: `labels` must be written out, word for word") from None
            return {str(key): str(value) for key, value in found.items()}
    raise ValueError(f"templates/{page}.md: no `{{% set labels = {{...}} %}}` for its charts and tables")


def blocks(page: str, values: dict, check_leaks: bool = True) -> dict[str, str]:
    """Every block of `templates/<page>.md`, rendered with `values`: block name -> Markdown text.

    Raises if a block uses a value it was not given, or if a rendered block shows "nan", "None" or a path
    (`check_leaks=False` only for words people wrote, such as the commit messages on the Corrections page).
    """
    template = ENV.get_template(f"{page}.md")
    rendered = {}
    for name, render in template.blocks.items():
        try:
            text = _tidy("".join(render(template.new_context(dict(values)))))
        except jinja2.UndefinedError as exc:
            raise jinja2.UndefinedError(f"templates/{page}.md, block {name}: {exc.message}") from None
        leak = LEAKS.search(text) if check_leaks else None
        if leak:
            raise ValueError(f"templates/{page}.md, block {name}: would show {leak.group(0)!r}: {text[:200]!r}")
        rendered[name] = text
    return rendered
