"""The published rating standard: one rule per kind of claim, rated as of the day the article appeared, one rating per
claim on every page and in the ClaimReview data, and a document a reader can open behind every rating."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safecity import claims, prose, record
from safecity.errors import DataError

from conftest import DATA, ROOT

LEDGER = record.read("07_claims_ledger", ROOT / "book" / "results")["values"]


def _claim(**fields):
    base = {"id": "x", "claim": "c", "quote": "q", "stated_value": "", "stated_key": "", "unit": "",
            "chapter": "arrests", "rule": "equal", "key": "v", "part": "", "follows": "", "section": "",
            "source": "the source", "source_url": "https://example.org/doc", "note": "", "terms": "", "group": ""}
    return base | fields


def _evaluate(claim_list, values, places=None):
    records = {"arrests": {"notebook": "01_arrests_by_area", "chapter": "arrests", "title": "Arrests by area",
                           "parameters": {}, "values": values, "text": {}}}
    return claims.evaluate(pd.DataFrame(claim_list), records, places=places)


# --- the rule table: for each kind of claim, generated cases get the rating the published rule gives ---------

names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=12).map(str.strip) \
    .filter(bool)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, st.integers(0, 400), st.integers(0, 400), st.sampled_from(claims.NAMED_AS),
                          st.lists(names, min_size=1, max_size=2)), min_size=1, max_size=6, unique_by=lambda t: t[0]))
def test_every_place_gets_the_rating_the_published_place_rule_gives(places):
    """A place figure from ICE's release: not ICE's figure for that place is inaccurate; ICE's figure under a name ICE
    gave it (first or corrected release) is accurate; ICE's figure under a narrower place goes beyond its source."""
    values = {"by_place": {p: {"article": a, "ice": i, "ice_area": f"area {p}"} for p, a, i, _, _ in places},
              "findings": []}
    naming = {p: {"named_as": n, "ice_labels": labels, "covers": f"area {p}"} for p, _, _, n, labels in places}
    rows = _evaluate([_claim(id=f"p{k}", rule="place", key=f"by_place.{p}", stated_value=str(a), quote=f"{p} ({a})")
                      for k, (p, a, _, _, _) in enumerate(places)], values, naming)
    for row, (place, article, ice, named_as, _) in zip(rows, places):
        expected = (claims.DIFFERS if article != ice else claims.BEYOND if named_as == claims.NAMED_NARROWER
                    else claims.MATCHES)
        assert row["verdict"] == expected == claims.rate_place(article, ice, named_as), place


@settings(max_examples=40, deadline=None)
@given(st.booleans(), st.lists(st.tuples(st.integers(2019, 2030), st.integers(1000, 44000)), max_size=4,
                               unique_by=lambda t: t[0]))
def test_a_claim_true_when_written_and_false_later_is_rated_true_and_never_counted_against(true_then, later):
    """'Lowest since 1980': rated on what was true on 30 September 2017; later, lower ceilings are an update."""
    values = {"tested_ceiling": 45000, "min_ceiling": 67000 if true_then else 40000, "min_ceiling_years": [1986],
              "since_year": 1980, "is_lowest": true_then,
              "later_lower": [{"year": y, "ceiling": c} for y, c in later]}
    rows = _evaluate([_claim(rule="lowest_since", key="tested_ceiling", stated_value="45000")], values)
    row = rows[0]
    assert row["verdict"] == (claims.MATCHES if true_then else claims.DIFFERS)
    assert row["update"] == bool(later)
    tally = claims.tally(rows)
    assert tally["counts"][claims.DIFFERS] == (0 if true_then else 1), "a later event is never counted against"
    text = prose.blocks("07_claims_ledger", record._plain(claims.record_values(rows, {}))
                        | {"run": record.run_context({}, [])})
    if true_then and later:
        assert "Update, not part of the rating" in html.unescape(text["ledger"])
        assert "Later events are shown beside 1 rating as an update and not counted." in text["verdict"]


@settings(max_examples=40, deadline=None)
@given(st.sets(st.sampled_from(["Chad", "Iran", "Libya", "Somalia", "Venezuela", "Yemen"]), min_size=1),
       st.sets(st.sampled_from(["Chad", "Iran", "Libya", "Somalia", "Venezuela", "Yemen"]), min_size=1),
       st.sets(st.sampled_from(["Chad", "Iran", "Venezuela"])))
def test_a_list_of_countries_a_measure_targets_is_rated_on_what_it_restricts(stated, listed, officials_only):
    """The measure's list, with each country's citizens restricted: accurate; the right list with a country restricted
    for some officials only: goes beyond its source; another list: inaccurate."""
    rows = _evaluate([_claim(rule="targets", chapter="arrests", stated_value="; ".join(sorted(stated)),
                             part="officials")], {"v": sorted(listed), "officials": sorted(officials_only)})
    expected = (claims.DIFFERS if stated != listed else claims.BEYOND if stated & officials_only else claims.MATCHES)
    assert rows[0]["verdict"] == expected


@pytest.mark.parametrize("rating", claims.JUDGED)
def test_a_claim_settled_by_a_document_gets_the_rating_its_reading_gave(rating):
    row = _evaluate([_claim(rule="document", chapter="", key="", rating=rating, note="The document says so.")], {})[0]
    assert row["verdict"] == rating


# --- the standard and the data ---------------------------------------------------------------------------


def test_the_standard_gives_each_rating_a_name_a_definition_and_a_place_on_the_scale():
    assert sorted(r["verdict"] for r in claims.RATINGS) == sorted(claims.VERDICTS), "every verdict has one rating"
    assert [r["scale"] for r in claims.RATINGS if r["verdict"] in claims.JUDGED] == [3, 2, 1]
    assert all(r["name"] and r["short"] and len(r["definition"]) > 40 for r in claims.RATINGS)
    assert "outdated" not in claims.VERDICTS, "a later event is an update, never a rating"
    methods = json.loads((ROOT / "book" / "methods.ipynb").read_text(encoding="utf-8"))
    shown = html.unescape(json.dumps(methods))
    for r in claims.RATINGS:
        assert r["name"] in shown and r["definition"] in shown, r["name"]


def test_every_rated_claim_links_a_document_named_as_what_it_is():
    for c in LEDGER["claims"].values():
        if c["verdict"] in claims.JUDGED:
            assert c["source_url"].startswith(("https://", "http://")), c["id"]
            assert c["source_kind"] in claims.SOURCE_KINDS, c["id"]
            if c["source_kind"] != "primary":
                assert c["why_reproduction"], f"{c['id']}: a reproduction says why the primary was not read"
            assert f'href="{html.escape(c["source_url"])}"' in LEDGER_TEXT["ledger"], c["id"]


def test_every_claim_that_cannot_be_checked_says_why_and_what_would_settle_it():
    for c in LEDGER["claims"].values():
        if c["verdict"] == claims.UNCHECKABLE:
            assert len(c["note"]) > 40 and re.search(r"would (settle|check)", c["note"]), c["id"]


def test_the_central_claims_rest_on_two_independent_sources():
    for claim_id in ["total", "convicted", "places-sum", "refugee-cap", "dui-most-common"]:
        c = LEDGER["claims"][claim_id]
        assert c["also_url"] and c["also_url"] != c["source_url"], claim_id


@pytest.mark.parametrize("change, column, message", [
    (lambda r: r.update(rule="document", rating=""), "rating", "a claim settled by a document gives its rating"),
    (lambda r: r.update(source_url=""), "source_url", "a rated claim links at least one document"),
    (lambda r: r.update(rule="uncheckable", note=""), "note", "why the claim cannot be checked")])
def test_a_claim_without_its_rating_link_or_reason_is_refused(tmp_path, change, column, message):
    from test_claims import _edit_claims

    data = _edit_claims(tmp_path, lambda rows: change(rows[1]))
    with pytest.raises(DataError, match=rf"claims\.csv, line 3, column '{column}': .*{message}"):
        claims.load(data)


def test_the_place_names_are_data_with_one_row_per_place():
    naming = claims.place_names(DATA)
    assert set(naming) == set(record.read("01_arrests_by_area", ROOT / "book" / "results")["values"]["by_place"])
    assert naming["Seattle"]["ice_labels"] == ["Portland, Ore.", "Seattle"]
    assert naming["San Jose"]["named_as"] == claims.NAMED_NARROWER


LEDGER_TEXT = record.read("07_claims_ledger", ROOT / "book" / "results")["text"]


# --- one rating per claim, everywhere (the built site) ----------------------------------------------------


def test_every_claim_shows_one_rating_on_every_page_and_in_the_claim_review_data(built_site):
    """Cards (intro and chapters), the ledger's rows, the place table and the ClaimReview data all show the rating
    the ledger's record holds, under the name the published standard gives it."""
    expected = {cid: c["verdict"] for cid, c in LEDGER["claims"].items()}
    css = {v: ("unchecked" if v == claims.NOT_CHECKED else v) for v in claims.VERDICTS}
    short = {r["verdict"]: r["short"] for r in claims.RATINGS}
    seen: dict[str, set] = {}
    for page in built_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for cid, v, badge in re.findall(r'id="card-([^"]+)">\s*<p class="safecity-card-verdict"><span class="verdict '
                                        r'verdict-([a-z]+)">([^<]+)</span>', text):
            assert v == css[expected[cid]] and html.unescape(badge) == short[expected[cid]], (page.name, cid)
            seen.setdefault(cid, set()).add(page.name)
        for cid, v in re.findall(r'<tr id="claim-([^"]+)" data-verdict="([^"]+)"', text):
            assert v == css[expected[cid]], (page.name, cid)
            seen.setdefault(cid, set()).add(page.name)
        for cid, v in re.findall(r'href="07_claims_ledger.html#claim-([^"]+)"><span class="verdict verdict-([a-z]+)">',
                                 text):
            assert v == css[expected[cid]], (page.name, cid)
    assert set(seen) == set(expected), "every claim is shown somewhere"
    # The chapters' leads show each claim's rating from the ledger's record (the site's `safecity-rating`), never
    # their own: every claim a lead names has the ledger's chip on that page, and no role is left as text.
    names = {r["verdict"]: r["name"] for r in claims.RATINGS}
    for result in sorted((ROOT / "book" / "results").glob("*.json")):
        text = record.read(result.stem, ROOT / "book" / "results").get("text", {})
        led = [cid for block in ("verdict_areas", "verdict") for cid in
               re.findall(r"\{safecity-rating\}`([^`]+)`", text.get(block, ""))]
        if not led:
            continue
        page = (built_site / "book" / f"{result.stem}.html").read_text(encoding="utf-8")
        description = html.unescape(re.search(r'<meta name="description" content="([^"]*)"', page).group(1))
        for cid in led:
            assert (f'href="07_claims_ledger.html#claim-{cid}"><span class="verdict verdict-{css[expected[cid]]}">'
                    f'{short[expected[cid]]}</span>') in html.unescape(page), (result.stem, cid)
            assert names[expected[cid]] + "." in description, (result.stem, cid)
    for page in built_site.rglob("*.html"):  # the role's markup, never left as text (a CSS class may share its name)
        assert not re.search(r"\{safecity-rating\}|safecity-rating\}?`", page.read_text(encoding="utf-8")), page.name
    ledger = (built_site / "book" / "07_claims_ledger.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="safecity-claimreview">(.*?)</script>', ledger, re.S).group(1))
    names = {r["verdict"]: r for r in claims.RATINGS}
    for review in data:
        verdict = expected[review["url"].rsplit("#claim-", 1)[1]]
        assert review["reviewRating"]["name"] == names[verdict]["name"]
        assert review["reviewRating"].get("ratingValue") == names[verdict]["scale"]


# --- ICE's own records beside every place rating and beside the 498 --------------------------------------

SEATTLE = record.read("08_seattle_records", ROOT / "book" / "results")


def test_each_place_claim_shows_the_records_of_the_area_that_holds_it_naming_place_and_area():
    """The ledger and the place table set beside each place's rating ICE's records for the whole area that holds it,
    saying which is the place and which is the area."""
    by_place = SEATTLE["values"]["records_by_place"]
    naming = {p: row for p, row in pd.read_csv(DATA / "raw" / "article-claims" / "place_names.csv").set_index("place")
              .iterrows()}
    shown = html.unescape(LEDGER_TEXT["place_rule"]) + html.unescape(LEDGER_TEXT["ledger"])
    place_claims = [c for c in LEDGER["claims"].values() if c["rule"] == "place"]
    assert len(place_claims) == len(naming)
    for c in place_claims:
        ice_name = naming[c["place"]]["ice_area"]
        area = by_place[ice_name]
        [beside] = [x for x in c["context"] if x["kind"] == "area"]
        assert beside["name"] == ice_name and beside["value"] == area, c["id"]
        whole = "its whole" if area["extent"] == "part" else "its"
        sentence = f"ICE's records for {whole} {area['aor']} area"
        place = c["place"]  # the place as the article names it
        holds = (f", which holds {place}: {area['records']:,} arrests over the operation's days"
                 f" ({area['with_operation']:,} with an operation recorded), a count for the whole area, not for {place}"
                 if area["extent"] == "part" else
                 f", the whole area ICE's figure for {place} stood for: {area['records']:,} arrests"
                 f" over the operation's days ({area['with_operation']:,} with an operation recorded), "
                 f"against ICE's {area['ice']:,}")
        assert shown.count(sentence + holds) >= 2, (c["id"], "in the place table and in the ledger")


def test_the_498_shows_the_records_nationwide_and_in_the_named_areas():
    c = LEDGER["claims"]["total"]
    values = SEATTLE["values"]
    got = {x["key"]: x["value"] for x in c["context"]}
    assert got == {k: values[k] for k in ("records_national_total", "records_named_areas_total",
                                          "records_named_with_operation")}
    ledger = html.unescape(LEDGER_TEXT["ledger"])
    assert f"{SEATTLE['labels']['records_national_total']}, {values['records_national_total']:,}" in ledger


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400), st.integers(0, 400), st.sampled_from(claims.NAMED_AS),
       st.one_of(st.none(), st.integers(0, 5000)), st.sampled_from(["area", "part"]), st.integers(0, 5000))
def test_a_records_value_never_alters_a_rating(article, ice, named_as, records, extent, with_operation):
    """Whatever ICE's records hold for the area, the place is rated on what ICE said (principle 1), and the records
    are shown beside the rating under the area's name."""
    values = {"by_place": {"Cook County, IL": {"article": article, "ice": ice, "ice_area": "Cook County, Illinois"}},
              "findings": []}
    naming = {"Cook County, IL": {"named_as": named_as, "ice_labels": ["Cook County, Illinois"], "covers": "Cook"}}
    area = {"aor": "Chicago", "extent": extent, "records": records, "with_operation": with_operation, "ice": ice,
            "article": article}
    chapters = {"arrests": {"notebook": "01_arrests_by_area", "chapter": "arrests", "title": "Arrests",
                           "parameters": {}, "values": values, "text": {}},
               "seattle": {"notebook": "08_seattle_records", "chapter": "seattle", "title": "Records",
                           "parameters": {}, "labels": {}, "text": {},
                           "values": {"records_by_place": {"Cook County, Illinois": area}}}}
    claim = _claim(id="cook", rule="place", key="by_place.Cook County, IL", stated_value=str(article),
                   quote=f"Cook County, IL ({article})", context="seattle:records_by_place.Cook County, Illinois")
    with_records = claims.evaluate(pd.DataFrame([claim]), chapters, places=naming)[0]
    without = claims.evaluate(pd.DataFrame([claim | {"context": ""}]), {"arrests": chapters["arrests"]},
                              places=naming)[0]
    assert with_records["verdict"] == without["verdict"] == claims.rate_place(article, ice, named_as)
    text = html.unescape(prose.blocks("07_claims_ledger", record._plain(claims.record_values([with_records], {}))
                                      | {"run": record.run_context({}, [])})["place_rule"])
    if records is None:
        assert "ICE's records for the area that holds Cook County, IL are not available in this run" in text
    else:
        assert (f"ICE's records for its whole Chicago area, which holds Cook County, IL: {records:,} arrest" in text
                if extent == "part" else
                f"ICE's records for its Chicago area, the whole area ICE's figure for Cook County, IL stood for: "
                f"{records:,} arrest" in text)
