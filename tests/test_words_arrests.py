"""Property tests: whatever lists ICE and the article give, the arrests page's words agree with its numbers."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from safecity import arrests, prose, record

NAMES = ["Baltimore", "Denver", "Los Angeles", "New York", "Philadelphia", "Portland, Ore.", "Boston", "Miami",
         "Newark", "Chicago", "San Diego", "Houston"]


@st.composite
def lists(draw):
    """ICE's areas, the article's places for some of them (same or other figure, same or other name)."""
    areas = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=len(NAMES), unique=True))
    counts = draw(st.lists(st.integers(0, 500), min_size=len(areas), max_size=len(areas)))
    ice = pd.DataFrame({"area": areas, "arrests": counts, "geography": [f"{a} field office area" for a in areas],
                        "source": "ICE release"})
    rows = []
    for area, n in zip(areas, counts):
        if draw(st.booleans()) or not rows:
            figure = n if draw(st.booleans()) else draw(st.integers(0, 600))
            place = area if draw(st.booleans()) else f"{area} County"
            rows.append({"place": place, "arrests": figure, "ice_area": area, "source": "the article"})
    article = pd.DataFrame(rows)
    stated = draw(st.sampled_from([int(sum(counts)), int(article["arrests"].sum()), draw(st.integers(0, 3000))]))
    return ice, article, stated


def loaded_from(ice, article, stated) -> arrests.Loaded:
    components = pd.DataFrame(columns=["ice_area", "component", "arrests_min", "arrests_max", "source"])
    facts = {"start_date": "2017-09-24", "end_date": "2017-09-27", "release_date": "2017-09-28",
             "countries": 42, "stated_total": stated}
    return arrests.Loaded("Operation Safe City", arrests.compare(ice, article, stated), components, facts, ice, article)


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\d[\d,]*", text))


@settings(max_examples=60, deadline=None)
@given(lists())
def test_words_state_the_computed_counts_and_comparisons(data):
    values = arrests.results(loaded_from(*data))
    text = record.render("01_arrests_by_area", values)
    two_lists, alt, title = text["two_lists"], text["arrests_by_area_alt"], text["arrests_by_area_title"]
    assert f"lists {prose.count(values['n_areas'], 'area')} that add up to {prose.num(values['ice_total'])}" in two_lists
    assert f"add up to {prose.num(values['article_total'])}" in two_lists
    assert f"Of the {prose.count(values['n_both'], 'area')} in both lists, {values['n_agree']} ha" in two_lists
    assert values["n_agree"] + values["n_differ"] == values["n_both"]
    # The text alternative and the prose give the same agreement.
    assert f"they agree in {values['n_agree']} and differ in" in alt
    for d in values["differing"]:
        assert f"{d['area']} (ICE {prose.num(d['ice'])}, article {prose.num(d['article'])})" in alt
    # An area only ICE lists is named as such, never given "missing" as the article's name.
    for area in values["ice_only"]:
        assert area in two_lists and area in alt
    assert "missing" not in text["renamed"]
    # The title's comparison word follows the sign of the difference.
    gap = values["article_minus_ice"]
    if values["n_differ"] == 0:
        assert "same figure" in title
    elif gap > 0:
        assert f"{prose.num(gap)} more than ICE's" in title
    elif gap < 0:
        assert f"{prose.num(gap, unsigned=True)} fewer than ICE's" in title
    # The verdict's direction agrees with the numbers.
    if values["n_differ"]:
        assert text["verdict"].startswith("**The places do not add up")
        assert prose.num(values["article_total"]) in text["verdict"]
    else:
        assert text["verdict"].startswith("**The places add up")


@settings(max_examples=25, deadline=None)
@given(lists())
def test_other_parameters_give_no_verdict(data):
    values = arrests.results(loaded_from(*data))
    text = record.render("01_arrests_by_area", values, {"operation": "Another"}, overridden=["operation"])
    assert "Computed with other parameters" in text["verdict"]
    assert "add up to the total" not in text["verdict"] and "The places add up" not in text["verdict"]
    assert "**" not in text["verdict"]


@settings(max_examples=50, deadline=None)
@given(lists())
def test_totals_chart_label_follows_the_values(data):
    """The chart's two bars are the two sums, and its label names what makes up their difference, worked out
    here from the two input lists (not from the chapter's own list of parts)."""
    ice, article = data[0], data[1]
    loaded = loaded_from(*data)
    values = arrests.results(loaded)
    text = record.render("01_arrests_by_area", values)
    figure = arrests.totals_chart(loaded.comparison, text)
    rows = [r for rows in figure.spec["datasets"].values() for r in rows]
    bars = {r["row"]: r["arrests"] for r in rows if "arrests" in r}
    [label] = [r["label"] for r in rows if "label" in r]
    ice_sum, article_sum = int(ice["arrests"].sum()), int(article["arrests"].sum())
    assert bars == {f"The article's {prose.count(len(article), 'place')}: {prose.num(article_sum)}": article_sum,
                    f"ICE's {prose.count(len(ice), 'area')}: {prose.num(ice_sum)}": ice_sum}
    # What makes up the gap: each place whose figure is not ICE's, and each area with arrests the article leaves out.
    merged = ice.merge(article, left_on="area", right_on="ice_area", how="left", suffixes=("_ice", "_article"))
    parts = {}
    for r in merged.itertuples():
        if pd.isna(r.arrests_article):
            if r.arrests_ice:
                parts[r.area] = -int(r.arrests_ice)
        elif int(r.arrests_article) != int(r.arrests_ice):
            parts[r.place] = int(r.arrests_article) - int(r.arrests_ice)
    gap = article_sum - ice_sum
    assert sum(parts.values()) == gap
    if gap == 0:
        assert label == ("No difference" if not parts else "No difference in total: the areas' differences cancel out")
        return
    assert label.startswith(prose.num(gap, signed=True)) and "No difference" not in label
    if len(parts) == 1:
        [(name, _)] = parts.items()
        assert label.startswith(f"{prose.num(gap, signed=True)}, all from {name}")
        assert label.endswith("which only ICE lists") == (name in set(ice["area"]) - set(article["ice_area"]))
    elif len(parts) == 2:
        for name, difference in parts.items():
            assert f"{name} {prose.num(difference, signed=True)}" in label
    else:
        assert f"from {len(parts)} areas" in label
