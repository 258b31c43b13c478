"""The arrests loader and the reconciliation of ICE's list with the article's."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from safecity import arrests, record
from safecity.errors import DataError
from safecity.sources import ice_release

from conftest import DATA, arrests_values

OP = "Operation Safe City"


@pytest.fixture
def comparison():
    facts = ice_release.operation(DATA, OP)
    return arrests.compare(ice_release.arrests_by_area(DATA, OP), ice_release.article_places(DATA),
                           facts["stated_total"])


def test_shipped_lists_sum_as_reported(comparison):
    assert comparison.ice_total == 498
    assert comparison.article_total == 564
    assert comparison.stated_total == 498
    assert comparison.article_excess == 66


def test_every_article_place_maps_to_one_ice_area(comparison):
    table = comparison.table
    assert len(table) == 10
    assert table["article_place"].notna().all()
    mapped = table.set_index("article_place")["ice_area"]
    assert mapped["San Jose"] == "Santa Clara County, Calif."
    assert mapped["Seattle"] == "Portland, Ore."
    assert mapped["Los Angeles County"] == "Los Angeles"


def test_only_los_angeles_differs_and_it_explains_the_whole_gap(comparison):
    differing = comparison.differing
    assert differing["ice_area"].tolist() == ["Los Angeles"]
    assert int(differing["difference"].iloc[0]) == comparison.article_excess


def test_los_angeles_breakdown_reconciles_both_figures():
    components = ice_release.area_components(DATA)
    la = arrests.breakdown(components, "Los Angeles")
    assert la.part("Los Angeles County") == (101, 101)
    assert la.contains(167) and not la.contains(101)


def test_seattle_remainder_is_inside_the_reported_range():
    seattle = arrests.breakdown(ice_release.area_components(DATA), "Portland, Ore.")
    rest = seattle.remainder(33, "Washington outside Seattle")
    low, high = seattle.part("Washington outside Seattle")
    assert rest == 25 and low <= rest <= high
    assert seattle.part("Seattle (city)") == (1, 1)


def words(values: dict, **parameters) -> dict[str, str]:
    return record.render("01_arrests_by_area", values, parameters, overridden=list(parameters))


def test_results_are_the_published_values():
    values = arrests_values(DATA)
    assert values["article_total"] - values["stated_total"] == values["article_excess"] == 66
    la = next(f for f in values["findings"] if f["area"] == "Los Angeles")
    assert (la["kind"], la["ice"], la["article"], la["explains_gap"]) == ("subset", 101, 167, True)
    seattle = next(f for f in values["findings"] if f["area"] == "Portland, Ore.")
    assert seattle["parts"][0] == {"name": "Seattle (city)", "arrests": 1}
    assert seattle["ranged"] == {"name": "Washington outside Seattle", "low": 25, "high": 26, "implied": 25,
                                 "within": True}
    assert values["by_place"]["San Jose"] == {"article": 27, "ice": 27, "ice_area": "Santa Clara County, Calif."}
    assert values["ice_only"] == [] and values["n_both"] == values["n_areas"] == 10


def test_compare_refuses_a_place_with_no_ice_area():
    ice = pd.DataFrame({"area": ["A", "B"], "arrests": [1, 2], "geography": ["a", "b"]})
    article = pd.DataFrame({"place": ["A", "C"], "arrests": [1, 2], "ice_area": ["A", "C"]})
    with pytest.raises(ValueError, match="not in ICE's list: C"):
        arrests.compare(ice, article, 3)


def test_compare_refuses_two_places_for_one_area():
    ice = pd.DataFrame({"area": ["A", "B"], "arrests": [1, 2], "geography": ["a", "b"]})
    article = pd.DataFrame({"place": ["A", "A2"], "arrests": [1, 2], "ice_area": ["A", "A"]})
    with pytest.raises(ValueError, match="more than one article place maps to: A"):
        arrests.compare(ice, article, 3)


def test_a_changed_figure_changes_the_reconciliation(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA / "raw" / "ice-safe-city", data / "raw" / "ice-safe-city")
    path = data / "raw" / "ice-safe-city" / "article_places.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Denver,63,", "Denver,73,"), encoding="utf-8")
    values = arrests_values(data)
    assert values["article_total"] == 574 and values["article_excess"] == 76
    la = next(f for f in values["findings"] if f["area"] == "Los Angeles")
    assert la["explains_gap"] is False
    assert "accounts for the whole gap" not in words(values)["findings"]


def test_unknown_operation_is_a_data_error():
    with pytest.raises(DataError, match=r"operation\.csv, column 'operation': no operation named 'Nope'"):
        ice_release.operation(DATA, "Nope")


def _bars(figure) -> dict[str, int]:
    """The chart's bars as drawn: each bar's name (the words written above it) and its length."""
    return {r["row"]: r["arrests"] for rows in figure.spec["datasets"].values() for r in rows if "arrests" in r}


def _labels(figure) -> list[str]:
    """The label written under the bars (what makes up the difference)."""
    return [r["label"] for rows in figure.spec["datasets"].values() for r in rows if "label" in r]


def test_totals_chart_shows_both_sums_and_labels_the_difference():
    loaded = arrests.load(DATA, OP, "")
    text = words(arrests.results(loaded))
    figure = arrests.totals_chart(loaded.comparison, text)
    assert _bars(figure) == {"The article's 10 places: 564": 564, "ICE's 10 areas: 498": 498}
    assert _labels(figure) == ["+66, all from Los Angeles County"]
    assert "Los Angeles (ICE 101, article 167)" in figure.alt_text
    # The article repeats ICE's 498: it is the sum of its places that overshoots.
    assert figure.title == "The article's places add up to 564, 66 more than ICE's 498"
    # Every area is in the one table under the chart, with the two sums.
    assert figure.data["ICE area"].tolist()[-1] == "Sum of ICE's areas"
    assert len(figure.data) == len(loaded.comparison.table) + 1
    assert figure.element_id == arrests.totals_chart(loaded.comparison, text).element_id


def test_labels_with_markup_are_shown_as_text(comparison):
    table = comparison.table.copy()
    table.loc[0, "article_place"] = "<script>alert(1)</script>"
    hostile = arrests.AreaComparison(table, comparison.ice_total, comparison.article_total, comparison.stated_total)
    text = {"arrests_by_area_title": "t", "arrests_by_area_alt": "a", "arrests_by_area_source": "<b>src</b>",
            "arrests_by_area_article_bar": "<i>a</i>", "arrests_by_area_ice_bar": "i", "arrests_by_area_gap_label": "g",
            "arrests_by_area_value": "v"}
    html = arrests.totals_chart(hostile, text)._repr_html_()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;src&lt;/b&gt;" in html


def test_reconcile_classifies_each_area_a_report_covers(comparison):
    found = {f.area: f for f in arrests.reconcile(comparison, ice_release.area_components(DATA))}
    assert set(found) == {"Los Angeles", "Portland, Ore."}
    la, seattle = found["Los Angeles"], found["Portland, Ore."]
    assert (la.kind, la.covered, la.difference, la.explains_gap) == (arrests.SUBSET, "Los Angeles County", 66, True)
    assert la.parts == (("Orange, Riverside, San Bernardino, Ventura, Santa Barbara and San Luis Obispo counties", 66),)
    assert seattle.kind == arrests.SAME_FIGURE
    assert seattle.parts == (("Seattle (city)", 1), ("Oregon", 7))
    assert seattle.ranged == ("Washington outside Seattle", 25, 26, 25)


def test_reconcile_says_when_reports_do_not_explain(comparison):
    table = comparison.table.copy()
    table.loc[table["ice_area"] == "Denver", ["article_arrests", "difference"]] = [70, 7]
    changed = arrests.AreaComparison(table, comparison.ice_total, comparison.article_total + 7,
                                     comparison.stated_total)
    components = ice_release.area_components(DATA)
    components.loc[components["component"] == "Los Angeles County", "arrests_min"] = 100
    components.loc[components["component"] == "Los Angeles County", "arrests_max"] = 100
    kinds = {f.area: f.kind for f in arrests.reconcile(changed, components)}
    assert kinds["Denver"] == arrests.NO_REPORT
    assert kinds["Los Angeles"] == arrests.UNEXPLAINED
    findings = [arrests.finding_values(f) for f in arrests.reconcile(changed, components)]
    values = arrests_values(DATA) | {"findings": findings}
    text = words(values)["findings"]
    assert "ICE reported 101, the article 167; the later reports do not account for the difference" in text
    assert "Denver" not in text
    assert next(f for f in findings if f["area"] == "Denver")["difference"] == 7


def test_findings_words_and_values_tell_the_same_story():
    values = arrests_values(DATA)
    text = words(values)["findings"]
    assert "This one area accounts for the whole gap of 66" in text
    assert "which leaves 25 in Washington outside Seattle, within the 25–26 reported" in text
    la = next(f for f in values["findings"] if f["area"] == "Los Angeles")
    assert [la["ice"], la["article"], la["difference"], la["explains_gap"]] == [101, 167, 66, True]


def _chart_for(article: pd.DataFrame):
    """The totals chart for ICE's real list against a made-up article list."""
    loaded = arrests.load(DATA, OP, "")
    comparison = arrests.compare(loaded.ice, article, loaded.comparison.stated_total)
    changed = arrests.Loaded(OP, comparison, loaded.components, loaded.facts, loaded.ice, article)
    return arrests.totals_chart(comparison, words(arrests.results(changed)))


def test_totals_chart_credits_the_gap_to_whichever_area_makes_it():
    """Los Angeles given ICE's figure and Denver 20 more: the label says Denver, not Los Angeles."""
    article = arrests.load(DATA, OP, "").article.copy()
    la, denver = article["ice_area"] == "Los Angeles", article["ice_area"] == "Denver"
    article.loc[la, "arrests"] = 101
    article.loc[denver, "arrests"] = article.loc[denver, "arrests"] + 20
    figure = _chart_for(article)
    assert _labels(figure) == [f"+20, all from {article.loc[denver, 'place'].iloc[0]}"]
    assert figure.title == "The article's places add up to 518, 20 more than ICE's 498"


def test_totals_chart_with_no_difference_says_so():
    article = arrests.load(DATA, OP, "").article.copy()
    article.loc[article["ice_area"] == "Los Angeles", "arrests"] = 101
    figure = _chart_for(article)
    assert _labels(figure) == ["No difference"]
    assert set(_bars(figure).values()) == {498}
    assert figure.title == "The article and ICE give the same figure for every area both list"
