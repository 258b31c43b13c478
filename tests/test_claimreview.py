"""Each claim the book rates is published as schema.org ClaimReview data on every page that rates it, as
fact-checkers do for search engines: the ledger's page for every claim, the intro's and each chapter's for its cards."""

from __future__ import annotations

import html
import json
import re

from safecity import pipeline, record

from conftest import ROOT


def _reviews(page: str) -> list[dict]:
    found = re.findall(r'<script type="application/ld\+json" id="safecity-claimreview">(.*?)</script>', page, re.S)
    assert len(found) <= 1, "a page carries at most one block of ClaimReview data"
    return json.loads(found[0]) if found else []


def _ratings_shown(page: str, anchor: str) -> dict[str, str]:
    """Each claim's rating as a reader sees it: the verdict badge (the short name) of its card, or of its ledger row."""
    if anchor == "card":
        pattern = r'<div class="safecity-card" id="card-([^"]+)">\s*<p class="safecity-card-verdict"><span class="verdict[^"]*">([^<]+)</span>'
    else:
        pattern = r'<tr id="claim-([^"]+)"[^>]*>\s*<td data-label="Verdict"><span class="verdict[^"]*">([^<]+)</span>'
    return {cid: html.unescape(name) for cid, name in re.findall(pattern, page)}


def _check(review: dict, ledger: dict) -> None:
    claim = ledger["claims"][review["url"].rsplit("#", 1)[1].split("-", 1)[1]]
    assert review["@type"] == "ClaimReview" and review["@context"] == "https://schema.org"
    assert review["claimReviewed"] == claim["quote"]
    appearance = review["itemReviewed"]["appearance"]
    assert appearance["url"] == "https://www.wsws.org/en/articles/2017/09/30/sanc-s30.html"
    assert appearance["author"]["name"] == "Evan Blake" and appearance["datePublished"] == "2017-09-30"
    assert review["author"]["name"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", review.get("datePublished", "2000-01-01"))
    standard = {r["verdict"]: r for r in ledger["ratings"]}[claim["verdict"]]
    # The rating's short name and its name on the published scale; plain text, never markup or escapes.
    assert review["reviewRating"]["alternateName"] == standard["short"]
    assert review["reviewRating"]["name"] == standard["name"]
    if standard["scale"] is not None:  # a rating on the published scale, best 3, worst 1
        assert (review["reviewRating"]["ratingValue"], review["reviewRating"]["bestRating"],
                review["reviewRating"]["worstRating"]) == (standard["scale"], 3, 1)
    text = json.dumps(review, ensure_ascii=False)
    assert not re.search(r"&#?\w+;|<[a-z/]", text), f"markup or an HTML escape in {review['url']}"


def test_every_page_that_rates_a_claim_carries_its_claim_reviews_with_the_ratings_it_shows(built_site):
    ledger = record.read("07_claims_ledger", ROOT / "book" / "results")["values"]
    rating_pages = 0
    for entry in pipeline.toc_files(ROOT):
        path = built_site / f"{entry}.html"
        page = path.read_text(encoding="utf-8")
        anchor = "claim" if entry.endswith("07_claims_ledger") else "card"
        shown = _ratings_shown(page, anchor)
        reviews = _reviews(page)
        if not shown:
            assert not reviews, f"{path.name} rates no claim but carries ClaimReview data"
            continue
        rating_pages += 1
        assert [r["url"] for r in reviews] == [f"{path.name}#{anchor}-{cid}" for cid in shown], path.name
        for review in reviews:
            _check(review, ledger)
            cid = review["url"].rsplit("#", 1)[1].split("-", 1)[1]
            assert review["reviewRating"]["alternateName"] == shown[cid], f"{path.name}: {cid} is shown as {shown[cid]}"
            assert f'id="{anchor}-{cid}"' in page  # the anchor exists on the page
    assert rating_pages >= 6, "the intro, the chapters with cards and the ledger rate claims"
    ledger_page = (built_site / "book" / "07_claims_ledger.html").read_text(encoding="utf-8")
    assert sorted(r["url"].rsplit("#claim-", 1)[1] for r in _reviews(ledger_page)) == sorted(ledger["order"])


def test_claim_review_addresses_are_absolute_under_a_base_url():
    import importlib.util

    spec = importlib.util.spec_from_file_location("safecity_site", ROOT / "book" / "_ext" / "safecity_site.py")
    site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(site)
    assert site.page_url("https://example.org/safecity", "book/intro") == "https://example.org/safecity/book/intro.html"
    assert site.page_url("", "book/intro") == "intro.html"  # relative to the page itself, never book/book/…
