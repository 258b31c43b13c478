"""Each claim of the ledger is published as schema.org ClaimReview data, as fact-checkers do for search engines."""

from __future__ import annotations

import json
import re

from safecity import record

from conftest import ROOT


def _reviews(built_site) -> list[dict]:
    page = (built_site / "book" / "07_claims_ledger.html").read_text(encoding="utf-8")
    found = re.findall(r'<script type="application/ld\+json" id="safecity-claimreview">(.*?)</script>', page, re.S)
    assert len(found) == 1, "the ledger page carries one block of ClaimReview data"
    return json.loads(found[0])


def test_every_claim_is_a_claim_review_with_the_article_its_rating_and_anchor(built_site):
    ledger = record.read("07_claims_ledger", ROOT / "book" / "results")["values"]
    reviews = _reviews(built_site)
    assert [r["url"].rsplit("#", 1)[1] for r in reviews] == [f"claim-{cid}" for cid in ledger["order"]]
    page = (built_site / "book" / "07_claims_ledger.html").read_text(encoding="utf-8")
    for review in reviews:
        claim = ledger["claims"][review["url"].rsplit("#claim-", 1)[1]]
        assert review["@type"] == "ClaimReview" and review["@context"] == "https://schema.org"
        assert review["claimReviewed"] == claim["quote"]
        appearance = review["itemReviewed"]["appearance"]
        assert appearance["url"] == "https://www.wsws.org/en/articles/2017/09/30/sanc-s30.html"
        assert appearance["author"]["name"] == "Evan Blake" and appearance["datePublished"] == "2017-09-30"
        assert review["author"]["name"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", review.get("datePublished", "2000-01-01"))
        rating = review["reviewRating"]["alternateName"]
        assert rating and "None" not in rating
        standard = {r["verdict"]: r for r in ledger["ratings"]}[claim["verdict"]]
        assert rating.startswith(standard["name"]) and review["reviewRating"]["name"] == standard["name"]
        if standard["scale"] is not None:  # a rating on the published scale, best 3, worst 1
            assert (review["reviewRating"]["ratingValue"], review["reviewRating"]["bestRating"],
                    review["reviewRating"]["worstRating"]) == (standard["scale"], 3, 1)
        assert f'id="{review["url"].rsplit("#", 1)[1]}"' in page  # the anchor exists on the page
