"""The claims ledger: every rule on both outcomes, verdicts computed from data, and the words the page shows for them."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil

import pandas as pd
import pytest

from safecity import claims, prose, record
from safecity.errors import DataError

from conftest import DATA, ROOT


def _claim(**fields):
    base = {"id": "x", "claim": "c", "quote": "q", "stated_value": "", "stated_key": "", "unit": "",
            "chapter": "arrests", "rule": "equal", "key": "v", "part": "", "follows": "", "section": "",
            "source": "the source", "source_url": "", "note": "", "terms": "", "group": ""}
    return base | fields


def _record(values, parameters=None):
    return {"notebook": "01_arrests_by_area", "chapter": "arrests", "title": "Arrests by area",
            "parameters": parameters or {}, "values": {"tolerance_points": 1.0, "near_zero": 0.02} | values,
            "text": {}}


def _rows(claim_list, values=None, parameters=None, places=None):
    records = {"arrests": _record(values or {}, parameters)}
    return claims.evaluate(pd.DataFrame(claim_list), records, places=places), records


def _verdict(results, parameters=None, **fields):
    return _rows([_claim(**fields)], results, parameters)[0][0]


def page(rows, records=None) -> dict[str, str]:
    """The ledger page's blocks for these rows, as the notebook renders them."""
    values = record._plain(claims.record_values(rows, records or {}))
    return prose.blocks("07_claims_ledger", values | {"run": record.run_context({}, [])})


def why(rows, claim_id, records=None) -> str:
    """The 'Why' cell of one claim's row, as a reader reads it."""
    ledger = page(rows, records)["ledger"]
    row = re.search(rf'<tr id="claim-{claim_id}"[^>]*>(.*?)</tr>', ledger).group(1)
    cell = re.search(r'<td data-label="Why">(.*?)</td>', row).group(1)
    return html.unescape(re.sub(r"<[^>]+>", " ", cell)).strip()


@pytest.mark.parametrize("stated, computed, verdict, words", [
    ("498", 498, claims.MATCHES, "The same figure as the source."),
    ("564", 498, claims.DIFFERS, "The source gives 498, 66 fewer."),
    ("400", 498, claims.DIFFERS, "The source gives 498, 98 more."),
    ("1,234", 1234, claims.MATCHES, "The same figure as the source.")])
def test_equal_rule(stated, computed, verdict, words):
    rows, _ = _rows([_claim(stated_value=stated)], {"v": computed})
    assert rows[0]["verdict"] == verdict
    assert words in why(rows, "x")


@pytest.mark.parametrize("stated, computed, verdict, words", [
    ("-44%", -0.4387, claims.MATCHES, "−43.9% is 0.1 points from the stated figure, within 1 percentage point."),
    ("-16%", -0.162, claims.MATCHES, "−16.2% is 0.2 points from the stated figure"),
    ("-8%", -0.0655, claims.DIFFERS, "−6.6% is 1.4 points above the stated figure, more than 1 percentage point.")])
def test_percent_rule_allows_one_point_for_rounding(stated, computed, verdict, words):
    rows, _ = _rows([_claim(stated_value=stated, rule="percent", unit="percent change")], {"v": computed})
    assert rows[0]["verdict"] == verdict
    assert words in why(rows, "x")


def test_near_zero_rule():
    claim = _claim(stated_value="virtually unchanged", rule="near_zero", unit="percent change")
    same, _ = _rows([claim], {"v": -0.007})
    moved, _ = _rows([claim], {"v": 0.05})
    assert (same[0]["verdict"], moved[0]["verdict"]) == (claims.MATCHES, claims.DIFFERS)
    assert "A change of −0.7% is within ±2%." in why(same, "x")
    assert "A change of +5.0% is more than ±2%." in why(moved, "x")


def test_lowest_since_rule_has_three_outcomes():
    base = {"tested_ceiling": 45000, "min_ceiling": 67000, "min_ceiling_years": [1986], "since_year": 1980}
    claim = _claim(rule="lowest_since", key="tested_ceiling", stated_value="45000")
    still, _ = _rows([claim], base | {"is_lowest": True, "later_lower": {}})
    later, _ = _rows([claim], base | {"is_lowest": True, "later_lower": [
        {"year": 2019, "ceiling": 30000, "revised": False},
        {"year": 2021, "ceiling": 15000, "revised": True, "direction": "raised", "revised_to": 62500},
        {"year": 2026, "ceiling": 7500}]})
    never, _ = _rows([claim], base | {"is_lowest": False, "min_ceiling": 40000, "later_lower": []})
    missing, _ = _rows([claim], base | {"is_lowest": None, "later_lower": []})
    assert missing[0]["verdict"] == claims.NOT_CHECKED  # a ceiling the comparison needs is missing: no verdict
    # Rated as of the day the article appeared: a later, lower ceiling is an update beside the rating, never it.
    assert [r[0]["verdict"] for r in (still, later, never)] == [claims.MATCHES, claims.MATCHES, claims.DIFFERS]
    assert (still[0]["update"], later[0]["update"]) == (False, True)
    assert claims.tally(later)["counts"][claims.MATCHES] == 1 and claims.tally(later)["n_updates"] == 1
    assert "No later ceiling has gone lower." in why(still, "x")
    assert ("Update, not part of the rating: later ceilings as first set went lower: FY2019 (30,000), FY2021 (15,000, raised to 62,500 during the "
            "year) and FY2026 (7,500).") in why(later, "x")
    assert "FY1986 had a ceiling as low or lower (40,000)." in why(never, "x")


def test_same_set_rule_names_the_difference():
    rows, _ = _rows([_claim(stated_value="Iran; Syria", rule="same_set")], {"v": ["Chad", "Iran"]})
    assert rows[0]["verdict"] == claims.DIFFERS
    assert "Not in the article: Chad." in why(rows, "x") and "Not in the source: Syria." in why(rows, "x")
    assert _verdict({"v": ["Chad", "Iran"]}, stated_value="Iran; Chad", rule="same_set")["verdict"] == claims.MATCHES


def test_uncheckable_rule_says_what_would_check_it():
    rows, _ = _rows([_claim(rule="uncheckable", chapter="", note="The order's text would settle it.")])
    assert rows[0]["verdict"] == claims.UNCHECKABLE
    assert why(rows, "x").startswith("Cannot be checked. The order's text would settle it.")


def test_at_most_rule():
    within, _ = _rows([_claim(rule="at_most", stated_value="498")], {"v": 498})
    over, _ = _rows([_claim(rule="at_most", stated_value="564")], {"v": 498})
    assert (within[0]["verdict"], over[0]["verdict"]) == (claims.MATCHES, claims.DIFFERS)
    assert "564 is 66 more than the 498 it is part of." in why(over, "x")


def test_nearly_rule():
    claim = _claim(rule="nearly", stated_value="50")
    assert [_rows([claim], {"v": v})[0][0]["verdict"] for v in (49, 50, 44, 51)] == [
        claims.MATCHES, claims.MATCHES, claims.DIFFERS, claims.DIFFERS]
    assert "49 is 1 fewer than 50, within 10% of it." in why(_rows([claim], {"v": 49})[0], "x")


def test_largest_rule_judges_what_the_source_cites_and_says_what_it_does_not_show():
    def largest(category, certain):
        values = {"largest_category": category, "largest_category_people": 86, "largest_is_certain": certain,
                  "not_itemised": 208}
        return _rows([_claim(rule="largest", key="largest", stated_value="DUI")], values)[0]

    assert largest("DUI", True)[0]["verdict"] == claims.MATCHES
    unsure = largest("DUI", False)
    assert unsure[0]["verdict"] == claims.MATCHES  # "the most common offense cited by ICE": what ICE itemised
    assert ("The most serious convictions of 208 other people are not itemized, so the source does not show that it "
            "is the largest of all convictions") in why(unsure, "x")
    other = largest("Assault", True)
    assert (other[0]["verdict"], other[0]["computed"]) == (claims.DIFFERS, "Assault")


# --- places: one published rule (claims.rate_place) for every place the article gives from ICE's release -----

LA = {"area": "Los Angeles", "place": "Los Angeles County", "ice": 101, "article": 167, "kind": "subset",
      "covered": "Los Angeles County", "geography": "Los Angeles County", "explains_gap": True, "ranged": None,
      "parts": [{"name": "Other counties", "arrests": 66}], "source": "Mercury News"}
SEATTLE = {"area": "Portland, Ore.", "place": "Seattle", "ice": 33, "article": 33, "kind": "same figure",
           "covered": "", "geography": "Seattle field office area", "explains_gap": False,
           "parts": [{"name": "Seattle (city)", "arrests": 1}, {"name": "Oregon", "arrests": 7}],
           "ranged": {"name": "Washington outside Seattle", "low": 25, "high": 26, "implied": 25, "within": True},
           "source": "Seattle Weekly"}
NAMES = {"Los Angeles County": {"named_as": "ice", "ice_labels": ["Los Angeles"], "covers": "Los Angeles County"},
         "Seattle": {"named_as": "ice", "ice_labels": ["Portland, Ore.", "Seattle"], "covers": "Seattle field office area"},
         "Denver": {"named_as": "ice", "ice_labels": ["Denver"], "covers": "Denver field office area"},
         "San Jose": {"named_as": "narrower", "ice_labels": ["Santa Clara County, Calif."], "covers": "Santa Clara County"}}


def _places(la_article=167):
    values = {"by_place": {"Los Angeles County": {"article": la_article, "ice": 101, "ice_area": "Los Angeles"},
                           "Seattle": {"article": 33, "ice": 33, "ice_area": "Portland, Ore."},
                           "Denver": {"article": 63, "ice": 63, "ice_area": "Denver"},
                           "San Jose": {"article": 27, "ice": 27, "ice_area": "Santa Clara County, Calif."}},
              "findings": [dict(LA, article=la_article), SEATTLE] if la_article != 101 else [SEATTLE],
              "article_total": la_article + 123, "stated_total": 224}
    place = lambda pid, name: _claim(  # noqa: E731
        id=pid, rule="place", key=f"by_place.{name}", stated_key=f"by_place.{name}.article",
        quote=f"{name} ({values['by_place'][name]['article']})")
    rows = [place("la", "Los Angeles County"), place("seattle", "Seattle"), place("denver", "Denver"),
            place("sj", "San Jose"),
            _claim(id="sum", rule="at_most", stated_key="article_total", key="stated_total",
                   follows="la; seattle; denver; sj", quote="the places")]
    return _rows(rows, values, places=NAMES)


def test_every_place_is_rated_by_the_one_published_rule():
    rows, _ = _places()
    by_id = {r["id"]: r for r in rows}
    assert (by_id["la"]["verdict"], by_id["la"]["computed"]) == (claims.DIFFERS, 101)
    assert by_id["la"]["whole_under_narrower_name"]
    assert "is ICE's total for its whole \"Los Angeles\" field office area, given under the narrower name" in why(rows, "la")
    # Seattle: ICE's corrected release named the 33 Seattle, and the article repeated it.
    assert by_id["seattle"]["verdict"] == claims.MATCHES
    assert 'ICE gave 33 under the name "Portland, Ore." and, in its corrected release, "Seattle"' in why(rows, "seattle")
    assert by_id["denver"]["verdict"] == claims.MATCHES
    # San Jose: ICE's figure, put under a city inside ICE's county.
    assert by_id["sj"]["verdict"] == claims.BEYOND and "a narrower place inside it" in why(rows, "sj")
    for r in rows[:4]:
        assert r["verdict"] == claims.rate_place(r["stated"], r["ice"], NAMES[r["place"]]["named_as"])


def test_a_place_with_no_naming_row_is_an_error_naming_the_claim():
    with pytest.raises(ValueError, match="claim la: .*place_names.csv has no row for Los Angeles County"):
        _rows([_claim(id="la", rule="place", key="by_place.Los Angeles County", stated_value="101")],
              {"by_place": {"Los Angeles County": {"article": 101, "ice": 101, "ice_area": "LA"}}}, places={})


def test_the_sum_follows_from_the_place_that_adds_to_it_and_is_counted_once():
    rows, records = _places()
    sum_row = rows[-1]
    assert sum_row["verdict"] == claims.DIFFERS and sum_row["follows_from"] == ["la"]  # not the others: they add nothing
    tally = claims.tally(rows)
    assert tally["counts"][claims.DIFFERS] == 1 and tally["n_followers"] == 1
    headline, words = page(rows, records)["verdict"].split("\n\n", 1)
    assert headline == "**Half of the claims the book could check are accurate: 2 of 4.**", "the sum's error is counted once"
    assert words.startswith("Of the article's 5 claims, rated as of 30 September 2017, 2 are accurate, 1 goes beyond "
                            "its source, 1 is inaccurate and 1 more is inaccurate only because another claim is")
    assert "This difference follows from c and is counted with it." in why(rows, "sum")


def test_a_stated_key_takes_the_articles_figure_from_the_chapter_and_checks_it_against_the_quote():
    values = {"by_place": {"LA": {"article": 167, "ice": 101, "ice_area": "LA"}}, "findings": []}
    claim = _claim(stated_key="by_place.LA.article", key="by_place.LA", rule="place", quote="Los Angeles County (167)")
    names = {"LA": NAMES["Los Angeles County"]}
    row = _rows([claim], values, places=names)[0][0]
    assert (row["stated"], row["computed"], row["verdict"]) == (167, 101, claims.DIFFERS)
    corrected = {"by_place": {"LA": {"article": 101, "ice": 101, "ice_area": "LA"}}, "findings": []}
    with pytest.raises(DataError, match=r"claims\.csv, line 2, column 'quote': the quote does not contain 101"):
        _rows([claim], corrected, places=names)
    row = _rows([claim | {"quote": "Los Angeles County (101 arrests)"}], corrected, places=names)[0][0]
    assert (row["stated"], row["verdict"]) == (101, claims.MATCHES)


# --- not judged: other terms, missing values ------------------------------------------------------------


def test_a_claim_is_not_checked_under_other_terms():
    terms = "window_start=2017-03; window_end=2017-08"
    claim = _claim(rule="percent", stated_value="-44%", unit="percent change", terms=terms)
    same, _ = _rows([claim], {"v": -0.439}, {"window_start": "2017-03", "window_end": "2017-08"})
    other, _ = _rows([claim], {"v": -0.741}, {"window_start": "2018-03", "window_end": "2018-08"})
    assert same[0]["verdict"] == claims.MATCHES
    assert other[0]["verdict"] == claims.NOT_CHECKED and other[0]["computed"] is None
    assert "window_start was 2018-03 in this run, and the claim is about 2017-03" in why(other, "x")
    cell = re.search(r'<tr id="claim-x".*?</tr>', page(other)["ledger"]).group(0)
    assert "−74" not in cell  # no figure from another run is set beside the claim


@pytest.mark.parametrize("rule, stated", [("equal", "498"), ("percent", "-44%"), ("near_zero", "virtually unchanged"),
                                          ("at_most", "498"), ("nearly", "50"), ("equal_date", "2017-09-27")])
def test_a_missing_value_is_never_a_verdict(rule, stated):
    rows, _ = _rows([_claim(rule=rule, stated_value=stated, unit="percent change" if "%" in stated else "")],
                    {"v": None})
    assert rows[0]["verdict"] == claims.NOT_CHECKED and rows[0]["missing"] == "v"
    assert "could not compute a value this claim needs (v) in this run" in why(rows, "x")


def test_a_missing_result_key_is_an_error_naming_the_claim():
    with pytest.raises(ValueError, match="claim x: chapter 'arrests' has no result 'nope'"):
        _verdict({"v": 1}, key="nope")


def test_goes_beyond_rule():
    assert _verdict({"v": 181}, rule="goes_beyond", stated_value="181")["verdict"] == claims.BEYOND
    assert _verdict({"v": 180}, rule="goes_beyond", stated_value="181")["verdict"] == claims.DIFFERS


def test_equal_date_rule():
    rows, _ = _rows([_claim(rule="equal_date", stated_value="2017-09-24", unit="date")], {"v": "2017-09-24"})
    assert (rows[0]["verdict"], rows[0]["computed"], rows[0]["stated"]) == (claims.MATCHES, "2017-09-24", "2017-09-24")
    assert '<td data-label="As stated">24 September 2017</td>' in page(rows)["ledger"]
    wrong, _ = _rows([_claim(rule="equal_date", stated_value="2017-09-24", unit="date")], {"v": "2017-09-25"})
    assert wrong[0]["verdict"] == claims.DIFFERS and "The source gives 25 September 2017." in why(wrong, "x")


# --- the page's words ---------------------------------------------------------------------------------


@pytest.mark.parametrize("verdicts, text", [
    ([claims.MATCHES, claims.MATCHES, claims.DIFFERS], "**Most of the claims the book could check are accurate: 2 of 3.**"
                                                       "\n\nOf the article's 3 claims, rated as of 30 September 2017, 2 "
                                                       "are accurate and 1 is inaccurate."),
    ([claims.MATCHES, claims.DIFFERS, claims.DIFFERS], "**Only 1 of the 3 claims the book could check is accurate.**"
                                                       "\n\nOf the article's 3 claims, rated as of 30 September 2017, 1 "
                                                       "is accurate and 2 are inaccurate."),
    ([claims.DIFFERS], "**Not one of the claims the book could check is accurate.**"
                       "\n\nOf the article's 1 claim, rated as of 30 September 2017, 1 is inaccurate."),
    ([claims.MATCHES, claims.DIFFERS], "**Half of the claims the book could check are accurate: 1 of 2.**"
                                       "\n\nOf the article's 2 claims, rated as of 30 September 2017, 1 is accurate "
                                       "and 1 is inaccurate.")])
def test_tally_sentence_agrees_with_its_counts(verdicts, text):
    base = {"tested_ceiling": 45000, "min_ceiling": 67000, "min_ceiling_years": [1986], "since_year": 1980,
            "is_lowest": False, "later_lower": {}, "v": 1}
    rows, _ = _rows([_claim(id=f"c{i}", rule="equal" if v == claims.MATCHES else "lowest_since",
                            key="v" if v == claims.MATCHES else "tested_ceiling", stated_value="1" if
                            v == claims.MATCHES else "45000") for i, v in enumerate(verdicts)], base)
    assert [r["verdict"] for r in rows] == verdicts
    assert page(rows)["verdict"] == text


def test_every_verdict_names_its_source():
    rows, _ = _rows([_claim(id="a", stated_value="1", source="ICE's release (as reproduced by dailycaller.com)"),
                     _claim(id="b", stated_value="2", source="the Federal Register")], {"v": 1})
    assert why(rows, "a").startswith("Accurate, checked against ICE's release (as reproduced by dailycaller.com).")
    assert why(rows, "b").startswith("Inaccurate, checked against the Federal Register.")


def test_the_ledger_block_is_one_html_block_with_its_text_escaped():
    rows, _ = _rows([_claim(claim="<script>alert(1)</script>", quote="<b>q</b>", stated_value="1")], {"v": 1})
    ledger = page(rows)["ledger"]
    assert "\n\n" not in ledger, "a blank line would end the HTML block and show the rest as text"
    assert "<script>alert" not in ledger and "&lt;script&gt;" in ledger and "<b>q" not in ledger
    assert '<a href="01_arrests_by_area.html">Arrests by area</a>' in ledger
    assert '<span class="safecity-quote">The article: <q>&lt;b&gt;q&lt;/b&gt;</q></span>' in ledger


def test_ledger_rows_put_verdict_and_claim_first_with_labels_for_a_phone():
    rows, _ = _rows([_claim(stated_value="2")], {"v": 1})
    ledger = page(rows)["ledger"]
    head = re.findall(r'<th scope="col">([^<]+)</th>', ledger)
    assert head[:2] == ["Verdict", "Claim"]
    row = re.search(r'<tr id="claim-x" data-verdict="differs" data-number="1">(.*?)</tr>', ledger).group(1)
    labels = re.findall(r'<td data-label="([^"]+)">', row)
    assert labels[:2] == ["Verdict", "Claim"] and len(labels) == len(head)


def test_ledger_legend_and_filter_offer_each_verdict_with_its_count():
    rows, _ = _rows([_claim(id="a", stated_value="1"), _claim(id="b", stated_value="1"),
                     _claim(id="c", stated_value="2")], {"v": 1})
    ledger = page(rows)["ledger"]
    assert '<div class="safecity-ledger-filter" role="group" aria-labelledby="ledger-filter" hidden>' in ledger
    buttons = re.findall(r'<button type="button" data-verdict="([^"]*)" aria-pressed="(true|false)">([^<]+)</button>',
                         ledger)
    assert buttons == [("", "true", "All (3)"), ("matches", "false", "Accurate (2)"), ("differs", "false", "Inaccurate (1)")]
    legend = ledger[ledger.index('<ul class="safecity-ledger-legend"'):ledger.index("</ul>")]
    badges = re.findall(r'<span class="verdict verdict-([a-z-]+)">([^<]+)</span>', legend)
    assert [b[0] for b in badges] == ["matches", "differs"], "a verdict no claim has gets no badge"
    ratings = claims.RATING
    assert f"{ratings['matches']['definition']} (2 claims)" in legend
    assert f"{ratings['differs']['definition']} (1 claim)" in legend


def test_every_verdict_has_its_own_badge():
    names = prose.ENV.get_template("_ledger.md").make_module({"ratings": claims.RATINGS})
    badges = [str(names.badge(v)) for v in claims.VERDICTS]
    assert all(badges), "every verdict has a rating in the published standard"
    assert len(set(badges)) == len(badges), "two verdicts share a badge"


def _grouped():
    """Three place figures (one off) and a background claim no data can check, each in a group, and one claim
    that matters (no group)."""
    claim_list = [_claim(id="total", stated_value="1"),
                  _claim(id="p1", group="Place figures", stated_value="1"),
                  _claim(id="p2", group="Place figures", stated_value="1"),
                  _claim(id="p3", group="Place figures", stated_value="2"),
                  _claim(id="bg", group="Background", rule="uncheckable", chapter="", key="", note="n")]
    return _rows(claim_list, {"v": 1})[0]


def test_the_claims_that_matter_come_first_and_routine_ones_fold_by_group():
    rows = _grouped()
    order = claims.layout(rows)
    assert order["lead"] == ["p3", "total"], "errors first, then the claims with no group"
    assert [(f["group"], f["verdict"], f["ids"]) for f in order["folds"]] == [
        ("Place figures", "matches", ["p1", "p2"]), ("Background", "uncheckable", ["bg"])]
    ledger = page(rows)["ledger"]
    lines = re.findall(r'<tr class="safecity-ledger-heading"><th colspan="5" scope="rowgroup">([^<]+)</th>', ledger)
    assert lines == ["The claims that matter",
                     "Place figures: 2 are accurate, checked against the source; 1 more is among the claims that matter, above.",
                     "Background: 1 cannot be checked, for the reasons given."]
    bodies = re.findall(r"<tbody[^>]*>(.*?)</tbody>", ledger)
    assert [re.findall(r'<tr id="claim-([^"]+)"', b) for b in bodies] == [["p3", "total"], ["p1", "p2"], ["bg"]]


def test_each_page_opens_with_cards_of_the_claims_that_matter_in_the_ledgers_words():
    rows = _grouped()
    text = page(rows)
    assert claims.record_values(rows, {})["cards"]["arrests"] == ["p3", "total"]
    for block in ("cards_intro", "cards_arrests"):
        cards = re.findall(r'<div class="safecity-card" id="card-([^"]+)">\s*<p class="safecity-card-verdict">'
                           r'<span class="verdict verdict-([a-z]+)">', text[block])
        assert cards == [("p3", "differs"), ("total", "matches")]
        assert '<a href="07_claims_ledger.html#claim-p3">In the ledger</a>' in text[block]
        assert "<blockquote class=\"safecity-card-quote\"><p>q</p></blockquote>" in text[block]
    assert text["cards_offences"] == "", "a chapter with no claims gets no cards"


# --- the data file ------------------------------------------------------------------------------------


def _edit_claims(tmp_path, change):
    data = tmp_path / "data"
    shutil.copytree(DATA / "raw" / "article-claims", data / "raw" / "article-claims")
    path = data / "raw" / "article-claims" / "claims.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    change(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return data


@pytest.mark.parametrize("stated_value, stated_key", [("167", "by_place.Los Angeles County.article"), ("", "")])
def test_a_claim_gives_its_stated_value_one_way(tmp_path, stated_value, stated_key):
    def change(rows):
        rows[4].update(stated_value=stated_value, stated_key=stated_key)
    with pytest.raises(DataError, match=r"claims\.csv, line 6, column 'stated_value': give the stated value either"):
        claims.load(_edit_claims(tmp_path, change))


def test_unknown_rule_and_unknown_followed_claim_are_data_errors(tmp_path):
    with pytest.raises(DataError, match=r"claims\.csv, line 4, column 'rule'"):
        claims.load(_edit_claims(tmp_path / "a", lambda rows: rows[2].update(rule="guess")))
    with pytest.raises(DataError, match=r"claims\.csv, line 3, column 'follows': follows an unknown claim: nope"):
        claims.load(_edit_claims(tmp_path / "b", lambda rows: rows[1].update(follows="nope")))


def test_keys_survive_place_names_with_dots():
    values = {"by_place": {"St. Paul": {"ice": 12}, "St": {"ice": 1}}}
    assert claims.lookup(values, "by_place.St. Paul.ice") == 12
    assert claims.lookup(values, "by_place.St.ice") == 1
    with pytest.raises(KeyError):
        claims.lookup(values, "by_place.St. Louis.ice")


def test_no_page_labels_a_quote_as_the_projects_notes():
    """Every quote is the article's own words (tests/test_quotes.py): no claim, column or page says otherwise."""
    table = claims.load(DATA)
    assert "quote_verified" not in table.columns
    for path in list((ROOT / "book").glob("*.ipynb")) + list((ROOT / "safecity" / "templates").glob("*.md")):
        assert "project's notes" not in path.read_text(encoding="utf-8"), path.name


def test_every_committed_verdict_names_its_source():
    ledger = record.read("07_claims_ledger", ROOT / "book" / "results")
    assert all(c["source"].strip() for c in ledger["values"]["claims"].values())
    cells = dict(re.findall(r'<tr id="claim-([^"]+)".*?<td data-label="Why">(.*?)</td>', ledger["text"]["ledger"]))
    assert set(cells) == set(ledger["values"]["claims"]), "every claim has one row"
    openings = {v: claims.RATING[v]["name"] + ", checked against {}" for v in claims.JUDGED}
    for claim in ledger["values"]["claims"].values():
        if claim["verdict"] in openings:
            assert html.unescape(cells[claim["id"]]).startswith(openings[claim["verdict"]].format(claim["source"]) + "."), claim["id"]


def test_all_in_rule_names_what_is_not_on_the_list():
    claim = _claim(rule="all_in", stated_value="Iran; Syria", key="v")
    inside, _ = _rows([claim], {"v": ["Iran", "Syria", "Chad"]})
    outside, _ = _rows([claim], {"v": ["Iran", "Chad"]})
    assert (inside[0]["verdict"], outside[0]["verdict"]) == (claims.MATCHES, claims.DIFFERS)
    assert "All 2 (Iran and Syria) are on the source's list." in why(inside, "x")
    assert "Not on the source's list: Syria." in why(outside, "x")


def test_a_claim_about_one_country_list_is_not_judged_on_another():
    """Politico's figure for the six countries is judged only when the visas chapter ran on that list."""
    claim = _claim(rule="percent", stated_value="-44%", unit="percent change",
                   terms="groups.six=raw/travel-ban/eo-13780-countries.csv")
    values = {"v": -0.44}
    same = _verdict(values, {"groups": {"six": "raw/travel-ban/eo-13780-countries.csv"}}, **claim)
    other = _verdict(values, {"groups": {"six": "raw/my-list.csv"}}, **claim)
    missing = _verdict(values, {"groups": {}}, **claim)
    assert same["verdict"] == claims.MATCHES
    assert other["verdict"] == missing["verdict"] == claims.NOT_CHECKED
    assert other["off_terms"] == [{"name": "groups.six", "ran": "raw/my-list.csv",
                                   "wanted": "raw/travel-ban/eo-13780-countries.csv"}]
    assert missing["off_terms"][0]["ran"] is None
