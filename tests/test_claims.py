"""The claims ledger: every rule, verdicts computed from data, and a data change that flips a verdict."""

from __future__ import annotations

import csv
import io
import shutil

import pandas as pd
import pytest

from safecity import claims
from safecity.errors import DataError

from conftest import DATA


def _claim(**fields):
    base = {"id": "x", "claim": "c", "quote": "q", "stated_value": "", "unit": "", "chapter": "arrests",
            "rule": "equal", "key": "v", "section": "", "note": "", "terms": ""}
    return pd.DataFrame([base | fields])


def _record(values, parameters=None):
    return {"notebook": "01_arrests_by_area", "chapter": "arrests", "title": "Arrests by area",
            "parameters": parameters or {}, "values": {"tolerance_points": 1.0, "near_zero": 0.02} | values,
            "text": {}}


def _verdict(results, parameters=None, **fields):
    return claims.evaluate(_claim(**fields), {"arrests": _record(results, parameters)}).iloc[0]


@pytest.mark.parametrize("stated, computed, verdict", [("498", 498, claims.MATCHES), ("564", 498, claims.DIFFERS),
                                                       ("1,234", 1234, claims.MATCHES)])
def test_equal_rule(stated, computed, verdict):
    row = _verdict({"v": computed}, stated_value=stated)
    assert row["verdict"] == verdict
    if verdict == claims.DIFFERS:
        assert row["reason"].startswith("the source gives 498, 66 fewer")


@pytest.mark.parametrize("stated, computed, verdict", [("-44%", -0.4387, claims.MATCHES),
                                                       ("-16%", -0.162, claims.MATCHES),
                                                       ("-8%", -0.0655, claims.DIFFERS)])
def test_percent_rule_allows_one_point_for_rounding(stated, computed, verdict):
    assert _verdict({"v": computed}, stated_value=stated, rule="percent")["verdict"] == verdict


def test_near_zero_rule():
    assert _verdict({"v": -0.007}, stated_value="virtually unchanged", rule="near_zero")["verdict"] == claims.MATCHES
    assert _verdict({"v": 0.05}, stated_value="virtually unchanged", rule="near_zero")["verdict"] == claims.DIFFERS


def test_lowest_since_rule_has_three_outcomes():
    base = {"tested_ceiling": 45000, "min_ceiling": 67000, "min_ceiling_years": [1986]}
    still = _verdict(base | {"is_lowest": True, "later_lower": {}}, rule="lowest_since", key="tested_ceiling")
    later = _verdict(base | {"is_lowest": True, "later_lower": {2019: 30000}, "later_lower_text": "FY2019 (30,000)"},
                     rule="lowest_since", key="tested_ceiling")
    never = _verdict(base | {"is_lowest": False, "min_ceiling": 40000, "later_lower": {}}, rule="lowest_since",
                     key="tested_ceiling")
    assert (still["verdict"], later["verdict"], never["verdict"]) == (claims.MATCHES, claims.OUTDATED, claims.DIFFERS)
    assert "FY2019 (30,000)" in later["reason"]


def test_same_set_rule_names_the_difference():
    row = _verdict({"v": ["Chad", "Iran"]}, stated_value="Iran; Syria", rule="same_set")
    assert row["verdict"] == claims.DIFFERS
    assert "not in the article: Chad" in row["reason"] and "not in the source: Syria" in row["reason"]
    assert _verdict({"v": ["Chad", "Iran"]}, stated_value="Iran; Chad", rule="same_set")["verdict"] == claims.MATCHES


def test_uncheckable_rule():
    assert _verdict({}, rule="uncheckable", chapter="", note="no data")["reason"] == "no data"


def test_at_most_rule():
    within = _verdict({"v": 498}, rule="at_most", stated_value="498")
    over = _verdict({"v": 498}, rule="at_most", stated_value="564")
    assert (within["verdict"], over["verdict"]) == (claims.MATCHES, claims.DIFFERS)
    assert over["reason"] == "564 is 66 more than the 498 it is part of"


def test_largest_rule_checks_the_category_and_whether_it_must_be_the_largest():
    def largest(category, certain):
        record = _record({"largest_category": category, "largest_is_certain": certain})
        record["text"] = {"largest_reason": "208 people are not itemised"}
        return claims.evaluate(_claim(rule="largest", key="largest", stated_value="DUI"), {"arrests": record}).iloc[0]

    assert largest("DUI", True)["verdict"] == claims.MATCHES
    unsure = largest("DUI", False)
    assert unsure["verdict"] == claims.UNCHECKABLE
    assert unsure["reason"] == "DUI is the largest category the source itemises, but 208 people are not itemised"
    other = largest("Assault", True)
    assert (other["verdict"], other["computed"]) == (claims.DIFFERS, "Assault")
    assert largest(None, None)["verdict"] == claims.UNCHECKABLE


def test_a_stated_key_takes_the_articles_figure_from_the_chapter_and_checks_it_against_the_quote():
    claim = dict(stated_key="by_place.LA.article", key="by_place.LA.ice", quote="Los Angeles County (167 arrests)")
    row = _verdict({"by_place": {"LA": {"article": 167, "ice": 101}}}, **claim)
    assert (row["stated"], row["computed"], row["verdict"]) == ("167", "101", claims.DIFFERS)
    corrected = {"by_place": {"LA": {"article": 101, "ice": 101}}}
    with pytest.raises(DataError, match=r"claims\.csv, line 2, column 'quote': the quote does not contain 101"):
        _verdict(corrected, **claim)
    row = _verdict(corrected, **(claim | {"quote": "Los Angeles County (101 arrests)"}))
    assert (row["stated"], row["verdict"]) == ("101", claims.MATCHES)


@pytest.mark.parametrize("stated_value, stated_key", [("167", "by_place.LA.article"), ("", "")])
def test_a_claim_gives_its_stated_value_one_way(tmp_path, stated_value, stated_key):
    data = tmp_path / "data"
    shutil.copytree(DATA / "raw" / "article-claims", data / "raw" / "article-claims")
    path = data / "raw" / "article-claims" / "claims.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[2].update(stated_value=stated_value, stated_key=stated_key)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(DataError, match=r"claims\.csv, line 4, column 'stated_value': give the stated value either"):
        claims.load(data)


def test_a_missing_result_key_is_an_error_naming_the_claim():
    with pytest.raises(ValueError, match="claim x: chapter 'arrests' has no result 'nope'"):
        _verdict({"v": 1}, key="nope")


def test_goes_beyond_rule():
    assert _verdict({"v": 181}, rule="goes_beyond", stated_value="181")["verdict"] == claims.BEYOND
    assert _verdict({"v": 180}, rule="goes_beyond", stated_value="181")["verdict"] == claims.DIFFERS


def test_equal_date_rule():
    row = _verdict({"v": "2017-09-24"}, rule="equal_date", stated_value="2017-09-24")
    assert (row["verdict"], row["computed"], row["stated"]) == (claims.MATCHES, "24 September 2017",
                                                                "24 September 2017")
    assert _verdict({"v": "2017-09-25"}, rule="equal_date", stated_value="2017-09-24")["verdict"] == claims.DIFFERS


def test_a_claim_is_not_checked_under_other_terms():
    terms = "window_start=2017-03; window_end=2017-08"
    same = _verdict({"v": -0.439}, {"window_start": "2017-03", "window_end": "2017-08"}, rule="percent",
                    stated_value="-44%", terms=terms)
    other = _verdict({"v": -0.741}, {"window_start": "2018-03", "window_end": "2018-08"}, rule="percent",
                     stated_value="-44%", terms=terms)
    assert same["verdict"] == claims.MATCHES
    assert other["verdict"] == claims.NOT_CHECKED
    assert "window_start was 2018-03 in this run; the claim is about 2017-03" in other["reason"]
    assert other["computed"] == ""  # no figure from another run is set beside the claim


def test_keys_survive_place_names_with_dots():
    values = {"by_place": {"St. Paul": {"ice": 12}, "St": {"ice": 1}}}
    assert claims.lookup(values, "by_place.St. Paul.ice") == 12
    assert claims.lookup(values, "by_place.St.ice") == 1
    with pytest.raises(KeyError):
        claims.lookup(values, "by_place.St. Louis.ice")


@pytest.mark.parametrize("counts, text", [
    ({claims.MATCHES: 2, claims.OUTDATED: 1}, "Of the article's 3 claims, 2 match the primary source and 1 was "
                                              "true when written but is no longer"),
    ({claims.MATCHES: 1, claims.OUTDATED: 2}, "Of the article's 3 claims, 1 matches the primary source and 2 "
                                              "were true when written but are no longer")])
def test_tally_sentence_agrees_with_its_counts(counts, text):
    assert claims.tally_sentence({v: counts.get(v, 0) for v in claims.VERDICTS}) == text


def test_unknown_rule_is_a_data_error(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA / "raw" / "article-claims", data / "raw" / "article-claims")
    path = data / "raw" / "article-claims" / "claims.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[3][rows[0].index("rule")] = "guess"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(DataError, match=r"claims\.csv, line 4, column 'rule'"):
        claims.load(data)


def test_ledger_html_escapes_text_and_links_evidence():
    table = pd.DataFrame([{"id": "x", "claim": "<script>alert(1)</script>", "quote": "<b>q</b>", "stated": "1",
                           "computed": "1", "verdict": claims.MATCHES, "reason": "r",
                           "evidence": "01_arrests_by_area.html#a", "evidence_title": "Arrests by area"}])
    html = claims.to_html(table)
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "<b>q" not in html
    assert '<a href="01_arrests_by_area.html#a">Arrests by area</a>' in html


def test_a_quote_not_read_in_the_article_says_so():
    rows = claims.evaluate(pd.concat([_claim(id="a", quote="read", quote_verified=True, stated_value="1"),
                                      _claim(id="b", quote="noted", quote_verified=False, stated_value="1")]), {"arrests": _record({"v": 1})})
    assert rows["quote_verified"].tolist() == [True, False]
    html = claims.to_html(rows)
    assert html.count("not read in the article's full text") == 1
    assert "The article: <q>read</q>" in html
    assert "The article: <q>noted</q>" not in html
    assert "From the project's notes (not read in the article's full text): <q>noted</q>" in html
    assert claims.quotes_sentence(rows).startswith("1 claim with the article's own words, and 1 claim with wording "
                                                   "from the project's notes")
    assert claims.quotes_sentence(rows[rows["quote_verified"]]) == "each with the article's own words"
