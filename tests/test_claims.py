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
    base = {"id": "x", "claim": "c", "stated_value": "", "unit": "", "chapter": "arrests", "rule": "equal",
            "key": "v", "section": "", "note": ""}
    return pd.DataFrame([base | fields])


def _verdict(results, **fields):
    return claims.evaluate(_claim(**fields), {"arrests": results}).iloc[0]


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
    base = {"tested_ceiling": 45000, "min_ceiling": 67000, "min_ceiling_year": 1986}
    still = _verdict(base | {"is_lowest": True, "later_lower": {}}, rule="lowest_since", key="tested_ceiling")
    later = _verdict(base | {"is_lowest": True, "later_lower": {2019: 30000}}, rule="lowest_since",
                     key="tested_ceiling")
    never = _verdict(base | {"is_lowest": False, "min_ceiling": 40000, "later_lower": {}}, rule="lowest_since",
                     key="tested_ceiling")
    assert (still["verdict"], later["verdict"], never["verdict"]) == (claims.MATCHES, claims.OUTDATED, claims.DIFFERS)
    assert "FY2019 (30,000)" in later["reason"]


def test_same_set_rule_names_the_difference():
    row = _verdict({"v": ["Chad", "Iran"]}, stated_value="Iran; Syria", rule="same_set")
    assert row["verdict"] == claims.DIFFERS
    assert "not in the article: Chad" in row["reason"] and "not in the source: Syria" in row["reason"]
    assert _verdict({"v": ["Chad", "Iran"]}, stated_value="Iran; Chad", rule="same_set")["verdict"] == claims.MATCHES


def test_confirmed_and_uncheckable_rules():
    assert _verdict({"v": True}, rule="confirmed", stated_value="DUI")["verdict"] == claims.MATCHES
    assert _verdict({"v": False}, rule="confirmed", stated_value="DUI")["verdict"] == claims.UNCHECKABLE
    assert _verdict({}, rule="uncheckable", chapter="", note="no data")["reason"] == "no data"


def test_a_missing_result_key_is_an_error_naming_the_claim():
    with pytest.raises(ValueError, match="claim x: chapter 'arrests' has no result 'nope'"):
        _verdict({"v": 1}, key="nope")


@pytest.fixture(scope="module")
def shipped():
    return claims.ledger(DATA)


def test_shipped_ledger_covers_every_claim_with_a_verdict_and_link(shipped):
    raw = claims.load(DATA)
    assert list(shipped["id"]) == list(raw["id"])
    assert set(shipped["verdict"]) <= set(claims.VERDICTS)
    checked = shipped[shipped["verdict"] != claims.UNCHECKABLE]
    assert checked["evidence"].str.match(r"0[1-4]_[a-z_]+\.html(#[a-z0-9-]+)?$").all()
    for claim_id in ["total", "places-sum", "countries", "convicted", "not-convicted", "dui", "refugee-cap",
                     "refugee-lowest", "proclamation-countries", "politico-six", "politico-arab",
                     "politico-muslim", "politico-all", "earlier-ban-90-days"]:
        assert claim_id in set(shipped["id"]), claim_id
    assert len([c for c in shipped["id"] if c.startswith("place-")]) == 10


def test_shipped_verdicts(shipped):
    verdict = dict(zip(shipped["id"], shipped["verdict"]))
    assert verdict["total"] == claims.MATCHES
    assert verdict["place-los-angeles-county"] == claims.DIFFERS
    assert verdict["places-sum"] == claims.DIFFERS
    assert verdict["refugee-lowest"] == claims.OUTDATED
    assert verdict["politico-six"] == claims.MATCHES


def test_changing_the_data_flips_a_verdict(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / "raw" / "ice-safe-city" / "arrests_by_area.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Operation Safe City,Los Angeles,101,", "Operation Safe City,Los Angeles,167,"),
                    encoding="utf-8")
    verdict = dict(zip(*(lambda t: (t["id"], t["verdict"]))(claims.ledger(data))))
    assert verdict["place-los-angeles-county"] == claims.MATCHES
    assert verdict["total"] == claims.DIFFERS  # ICE's areas would now add up to 564, not 498


def test_unknown_rule_is_a_data_error(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA / "raw" / "article-claims", data / "raw" / "article-claims")
    path = data / "raw" / "article-claims" / "claims.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[3][5] = "guess"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(DataError, match=r"claims\.csv, line 4, column 'rule'"):
        claims.load(data)


def test_ledger_html_escapes_text_and_links_evidence():
    table = pd.DataFrame([{"id": "x", "claim": "<script>alert(1)</script>", "stated": "1", "unit": "", "computed": "1",
                           "verdict": claims.MATCHES, "reason": "r", "evidence": "01_arrests_by_area.html#a"}])
    html = claims.to_html(table)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert '<a href="01_arrests_by_area.html#a">Arrests by area</a>' in html
