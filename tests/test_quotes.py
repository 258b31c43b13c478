"""Every claim quotes the article word for word.

The article's full text is not part of the book (it is the article's copyright: the book stores only the
passages it quotes). Where the project's shared sources are checked out beside the repository
(`../shared/sources/article/`, as CI has them), each claim's `quote` in `data/raw/article-claims/claims.csv`
is checked against that text with whitespace normalised and the article's Markdown emphasis (`*Politico*`)
read as plain words; elsewhere the test is skipped with its reason.
"""

from __future__ import annotations

import re

import pytest

from safecity import claims

from conftest import DATA, ROOT

ARTICLE = ROOT.parent / "shared" / "sources" / "article"


def _plain(text: str) -> str:
    """Words only as a reader sees them: Markdown emphasis markers dropped, every run of whitespace one space."""
    return re.sub(r"\s+", " ", re.sub(r"(?<!\w)\*+|\*+(?!\w)", "", text)).strip()


@pytest.fixture(scope="module")
def article() -> str:
    files = sorted(ARTICLE.glob("*.txt")) if ARTICLE.is_dir() else []
    if not files:
        pytest.skip(f"the article's full text is not here ({ARTICLE} is missing): quotes cannot be checked")
    return _plain("\n".join(path.read_text(encoding="utf-8") for path in files))


def test_plain_reading_drops_emphasis_and_whitespace_only():
    assert _plain("On Thursday, *Politico*\n\n released  a report") == "On Thursday, Politico released a report"
    assert _plain("2 * 3") == "2 3"


@pytest.mark.parametrize("row", claims.load(DATA).to_dict("records"), ids=lambda row: row["id"])
def test_each_quote_is_the_articles_exact_words(article, row):
    quote = _plain(row["quote"])
    assert quote in article, f"{row['id']}: not the article's words: {row['quote']!r}"


def _carries(row):
    quote = _plain(row["quote"])
    words = [w for w in re.findall(r"[^\W\d_]{3,}", quote)
             if w.casefold() not in {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                                     "percent", "arrests"}]
    assert len(quote.split()) >= 2 and words, f"{row['id']}: too short to carry the claim: {quote!r}"


@pytest.mark.parametrize("row", claims.load(DATA).to_dict("records"), ids=lambda row: row["id"])
def test_each_quote_carries_its_claim(row):
    """A quote is a phrase, not a bare figure or day ("44", "Thursday"): it names what its figure is about."""
    _carries(row)


def test_a_bare_figure_or_day_is_not_a_quote():
    for bare in ("44", "45,000", "Thursday", "16 percent"):
        with pytest.raises(AssertionError):
            _carries({"id": "x", "quote": bare})


def test_the_book_does_not_hold_the_article():
    """Only the quoted passages are stored: no file in the repository holds the whole article."""
    if not ARTICLE.is_dir():
        pytest.skip(f"{ARTICLE} is missing: nothing to compare with")
    text = _plain("\n".join(p.read_text(encoding="utf-8") for p in sorted(ARTICLE.glob("*.txt"))))
    tail = text[len(text) // 2:][:400]  # a long passage from the article's second half, which no claim quotes whole
    found = []
    for path in ROOT.rglob("*"):
        if any(part in {".git", ".venv", "_build", ".cache", "node_modules"} or part.startswith("_build")
               for part in path.relative_to(ROOT).parts):
            continue
        if path.is_file() and path.suffix in {".txt", ".md", ".csv", ".json", ".ipynb", ".py", ".html"}:
            if tail in _plain(path.read_text(encoding="utf-8", errors="replace")):
                found.append(path.relative_to(ROOT).as_posix())
    assert not found, f"the article's text is copied into: {found}"
