"""The offence breakdown: shares, the remainder, the overlap rule, the national series and bad inputs."""

from __future__ import annotations

import dataclasses
import re
import shutil

import nbformat

import pandas as pd
import pytest

from safecity import offences, prose, record
from safecity.errors import DataError
from safecity.offences import CONVICTION_STATUS, MOST_SERIOUS, NOT_ITEMISED, Group, OverlapError, add_up
from safecity.sources import ice_annual, ice_offences

from conftest import DATA, ROOT, offences_values

OP = "Operation Safe City"
SOURCES = offences.SOURCES


@pytest.fixture
def data(tmp_path):
    """A private copy of the chapter's source folders to change."""
    target = tmp_path / "data"
    for source in SOURCES:
        shutil.copytree(DATA / "raw" / source, target / "raw" / source)
    return target


def _edit(data, source, name, old, new):
    path = data / "raw" / source / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _append(data, source, name, line):
    path = data / "raw" / source / name
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


def _categories(**counts):
    return pd.DataFrame({"category": list(counts), "people": list(counts.values())})


def page(values: dict, overridden: tuple[str, ...] = ()) -> dict[str, str]:
    """The page's blocks as the notebook renders them from these values."""
    plain = record._plain(values)
    return prose.blocks("02_offences", plain | {"run": record.run_context({"operation": plain["operation"]},
                                                                          list(overridden))})


# --- The shipped data -------------------------------------------------------------------------------


def test_results_are_the_published_values():
    v = offences_values(DATA, OP)
    assert (v["total"], v["countries"], v["convicted"], v["not_convicted"]) == (498, 42, 317, 181)
    assert v["convicted_share"] == pytest.approx(317 / 498) and round(v["convicted_share"] * 100, 1) == 63.7
    assert v["convicted_share"] + v["not_convicted_share"] == pytest.approx(1)
    assert [(a["attribute"], a["people"]) for a in v["other_attributes"]] == [
        ("immigration fugitive", 68), ("previously deported", 104), ("gang member or affiliate", 18)]
    assert (v["dui"], v["largest_category"], v["largest_category_people"]) == (86, "DUI", 86)
    assert v["article_category"] == "DUI" and v["largest_categories"] == ["DUI"] and v["largest_tied"] is False
    assert v["article"] == {"countries": 42, "convicted": 317, "not_convicted": 181, "dui": 86, "largest": "DUI"}
    assert v["on_claims_terms"] is True and v["quote"]["largest"] == "The most common offense cited by ICE was drunk driving"
    assert v["reproduced_by"] == ['us.blastingnews.com 2017-09 and cis.org "ICE Arrests 498 in Sanctuary City Operation"']
    assert (v["n_categories"], v["itemised"], v["not_itemised"]) == (8, 109, 208)
    assert v["dui_share"] == pytest.approx(86 / 317)
    assert v["largest_is_certain"] is False
    assert v["fiscal_year"] == 2017 and v["days"] == 4
    assert (v["national_arrests"], v["national_convicted"]) == (143470, 105736)
    assert v["national_share"] == pytest.approx(105736 / 143470) and round(v["national_share"] * 100, 1) == 73.7
    assert v["national_pending"]["share"] == pytest.approx(0.155) and v["national_neither"]["share"] == pytest.approx(0.108)
    assert v["share_gap"] == pytest.approx(317 / 498 - 105736 / 143470)
    assert v["national_years"] == [2017, 2018]
    assert v["national_missing_years"] == [2015, 2016, 2019, 2020, 2021, 2022, 2023, 2024]
    assert v["national_missing_spans"] == [{"first": 2015, "last": 2015}, {"first": 2016, "last": 2016},
                                           {"first": 2019, "last": 2024}]


def test_results_are_plain_values():
    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or type(value) in (int, float, str, bool)

    for name, value in offences_values(DATA, OP).items():
        assert plain(value), (name, value)


def test_the_page_states_the_shipped_values():
    text = page(offences_values(DATA, OP))
    assert "317 of them had criminal convictions: 63.7%. The other 181 (36.3%)" in text["convicted_or_not"]
    assert "is 10.0 percentage points lower" in text["national"]
    assert "FY2015 and FY2016 nothing ICE published is available here" in text["national"]
    assert "For FY2019–FY2024 it published other measures" in text["national"]
    assert "they leave 208 of the 317 people with convictions not itemized, more than 86" in text["verdict"]
    assert "as reproduced by us.blastingnews.com 2017-09 and cis.org" in text["categories"]


def test_the_verdict_says_181_goes_beyond_the_data_and_why():
    verdict = page(offences_values(DATA, OP))["verdict"]
    assert '**181 with "no criminal record whatsoever":** {safecity-rating}`not-convicted`' in verdict
    assert "181 is ICE's 498 arrested less its 317 with convictions" in verdict
    assert "having no conviction is not having no criminal record" in verdict
    assert "15.5% were of people with criminal charges pending but no conviction, more than the 10.8%" in verdict


def test_the_page_never_says_the_article_calls_dui_the_most_common_overall():
    text = page(offences_values(DATA, OP))
    assert not any("overall" in block for block in text.values())
    assert '"The most common offense cited by ICE was drunk driving"' in text["verdict"]


def test_the_notebook_glues_every_block_or_reads_it_by_name():
    """Each block of the page's template is glued whole, drawn by a chart or read by name in a code cell. (That
    the notebook's markdown holds no sentence of its own is tests/test_pages.py's check.)"""
    nb = nbformat.read(ROOT / "notebooks" / "02_offences.ipynb", as_version=4)
    used = [name for cell in nb.cells if cell.cell_type == "markdown"
            for name in re.findall(r"```\{glue:md\} (\w+)\n:format: myst\n```", cell.source)]
    assert used[0] == "verdict"  # the page opens with its verdict
    blocks = page(offences_values(DATA, OP))
    assert set(used) <= set(blocks)
    charts = {name.rsplit("_", 1)[0] for name in blocks if name.endswith("_alt")}
    # The rest are a chart's words (read by charts.Figure, or written on the chart as a bar's name) or read by
    # name in a code cell (a table's summary line); none is left unused.
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    in_code = {name for name in blocks if f'"{name}"' in code}
    chart_words = {name for name in blocks for c in charts
                   if name.startswith(f"{c}_") and (name.endswith("_bar") or name.rsplit("_", 1)[1] in
                                                    ("title", "alt", "source", "subtitle", "note", "value"))}
    assert set(blocks) - set(used) == chart_words | in_code
    assert in_code == {"published_summary"}


# --- Shares and the remainder -----------------------------------------------------------------------


def test_conviction_status_splits_the_total():
    table = offences.conviction_status(10, 4)
    assert table["people"].tolist() == [4, 6]
    assert table["share"].tolist() == pytest.approx([0.4, 0.6])
    with pytest.raises(ValueError, match="not a part of 10"):
        offences.conviction_status(10, 11)


def test_share_refuses_a_part_larger_than_its_whole():
    assert offences.share(1, 4) == 0.25
    with pytest.raises(ValueError):
        offences.share(5, 4)
    with pytest.raises(ValueError):
        offences.share(0, 0)


def test_remainder_is_its_own_row_and_known_categories_are_unchanged():
    table = offences.categories_with_remainder(_categories(B=3, A=5), convicted=10)
    assert table["category"].tolist() == ["A", "B", NOT_ITEMISED]
    assert table["people"].tolist() == [5, 3, 2]
    assert table["share"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert table["itemised"].tolist() == [True, True, False]
    assert table["share"].sum() == pytest.approx(1)


def test_shipped_categories_are_shares_of_the_convicted_not_of_all_arrested():
    table = offences.load(DATA, OP).category_table
    dui = table.set_index("category").loc["DUI"]
    assert dui["share"] == pytest.approx(86 / 317)
    rest = table.set_index("category").loc[NOT_ITEMISED]
    assert rest["people"] == 317 - 109 and rest["share"] == pytest.approx(208 / 317)
    assert int(table["people"].sum()) == 317


def test_categories_larger_than_the_convicted_are_refused():
    with pytest.raises(ValueError, match="more than the 7 people with convictions"):
        offences.categories_with_remainder(_categories(A=5, B=3), convicted=7)


def test_largest_itemised_is_computed_and_ties_are_named():
    assert offences.largest_itemised(_categories(A=2, B=9, C=4)) == ("B", 9)
    assert offences.largest_itemised(_categories(B=4, A=4, C=1)) == ("A and B", 4)


def test_largest_is_certain_only_when_the_remainder_is_smaller():
    assert offences.largest_is_certain(_categories(A=6, B=1), convicted=10) is True    # 3 not itemised
    assert offences.largest_is_certain(_categories(A=6, B=1), convicted=13) is False   # 6 could tie
    assert offences.largest_is_certain(_categories(A=86, B=23), convicted=317) is False


def test_fiscal_year_starts_in_october():
    assert offences.fiscal_year("2017-09-27") == 2017
    assert offences.fiscal_year("2017-10-01") == 2018
    assert offences.fiscal_year(pd.Timestamp("2016-10-01")) == 2017


# --- The overlap rule -------------------------------------------------------------------------------


def test_parts_of_one_split_add_up():
    parts = offences.status_groups(498, 317)
    assert add_up(parts) == 498
    categories = offences.category_groups(_categories(A=5, B=3), convicted=10)
    assert add_up(categories) == 10


def test_overlapping_attributes_cannot_be_added_up():
    attributes = offences.attribute_groups(ice_offences.attributes(DATA, OP))
    fugitives, deported, gang = (g for g in attributes if g.split is None)
    with pytest.raises(OverlapError, match="overlap"):
        add_up([fugitives, deported])
    with pytest.raises(OverlapError):
        add_up([fugitives, deported, gang])
    with pytest.raises(OverlapError):
        add_up(attributes)  # convictions with the rest


def test_attributes_cannot_be_added_to_a_split():
    convicted, not_convicted = offences.status_groups(498, 317)
    fugitives = Group("immigration fugitive", 68)
    with pytest.raises(OverlapError):
        add_up([not_convicted, fugitives])
    with pytest.raises(OverlapError):
        add_up([convicted, fugitives])


def test_parts_of_different_splits_cannot_be_added_up():
    with pytest.raises(OverlapError, match="different splits"):
        add_up([Group("DUI", 86, MOST_SERIOUS), Group("no conviction", 181, CONVICTION_STATUS)])


def test_a_group_counted_twice_is_refused():
    group = Group("DUI", 86, MOST_SERIOUS)
    with pytest.raises(OverlapError, match="more than once"):
        add_up([group, group])


def test_a_single_attribute_is_just_its_count():
    assert add_up([Group("gang member or affiliate", 18)]) == 18
    assert add_up([]) == 0


def test_attributes_chart_does_not_stack_and_has_no_total():
    chapter = offences.load(DATA, OP)
    figure = offences.attributes_chart(chapter.attribute_table, chapter.total, page(offences.results(chapter)))
    assert "Total" not in figure.data.iloc[:, 0].tolist() and len(figure.data) == 4
    layers = figure.spec["layer"]
    assert layers[0]["encoding"]["x"]["scale"]["domain"] == [0, 498]  # every bar is out of all 498
    assert all(layer["encoding"]["y"]["field"] == "row" for layer in layers)  # one row each, side by side
    assert "stack" not in str(figure.spec)
    rows = next(rows for rows in figure.spec["datasets"].values())
    assert [r["row"] for r in rows][:2] == ["criminal conviction: 317 of 498 (63.7%)",
                                            "immigration fugitive: 68 of 498 (13.7%)"]
    assert "immigration fugitive 68 (13.7%)" in figure.alt_text and "not added up" in figure.alt_text


# --- National context -------------------------------------------------------------------------------


def test_national_series_keeps_gaps_and_definitions():
    series = offences.national_series(ice_annual.arrests(DATA), ice_annual.criminality(DATA)).set_index("fiscal_year")
    assert series.loc[2017, "share"] == pytest.approx(105736 / 143470)
    assert series.loc[2018, "share"] == pytest.approx(0.66)
    assert series.loc[2018, "basis"] == "published percentage (rounded)"
    for year in (2015, 2016, 2019, 2020, 2021, 2022, 2023, 2024):
        assert pd.isna(series.loc[year, "share"]), year  # missing, never 0
    # FY2019-FY2020 publish "convicted or pending charges", FY2022-24 "criminal history": not "convicted".
    history = offences.national_series(ice_annual.arrests(DATA), ice_annual.criminality(DATA), "criminal history")
    assert history.set_index("fiscal_year").loc[2023, "share"] == pytest.approx(73822 / 170590)
    assert pd.isna(history.set_index("fiscal_year").loc[2017, "share"])


def test_a_lower_bound_is_not_a_share():
    arrests = pd.DataFrame({"fiscal_year": [2019], "arrests": [100]})
    criminality = pd.DataFrame({"fiscal_year": [2019], "definition": ["convicted"], "people": [pd.NA],
                                "percent": [86.0], "qualifier": ["more than"]})
    series = offences.national_series(arrests, criminality)
    assert pd.isna(series["share"].iloc[0]) and series["basis"].iloc[0] == "published only as more than 86%"


def _bars(figure) -> dict[str, float]:
    """A bar chart's bars as drawn: each bar's name (the words written above it) and its length."""
    return {r["row"]: r["share"] for rows in figure.spec["datasets"].values() for r in rows}


def test_national_chart_is_two_labelled_bars():
    """The operation's share and the nationwide share in its fiscal year, each bar named with its share; no
    axis of years (whose labels ran together on a phone)."""
    chapter = offences.load(DATA, OP)
    text = page(offences.results(chapter))
    figure = offences.national_chart(chapter.series, OP, 2017, 317, 498, text)
    assert _bars(figure) == {"Operation Safe City: 63.7%": pytest.approx(317 / 498),
                             "ICE nationwide, FY2017: 73.7%": pytest.approx(105736 / 143470)}
    assert "year" not in str(figure.spec["layer"][0]["encoding"])
    assert figure.title == "A smaller share with a conviction than ICE's arrests nationwide"
    assert "in FY2017: Operation Safe City 63.7%; ICE nationwide 73.7%." in figure.alt_text
    assert figure.data["share convicted"].tolist() == ["63.7%", "73.7%"]
    assert figure.element_id == offences.national_chart(chapter.series, OP, 2017, 317, 498, text).element_id


def test_national_chart_without_a_national_figure_is_one_bar_and_says_so():
    """FY2019 has no nationwide "convicted" share: the chart shows the operation only, and its words say why."""
    chapter = offences.load(DATA, OP)
    values = offences.results(chapter) | {"fiscal_year": 2019}
    series = chapter.series
    values |= {"national_share": None, "share_gap": None, "share_gap_sign": None,
               "national_arrests": int(series.loc[series["fiscal_year"] == 2019, "arrests"].iloc[0])}
    text = page(values)
    figure = offences.national_chart(series, OP, 2019, 317, 498, text)
    assert list(_bars(figure)) == ["Operation Safe City: 63.7%"]
    assert figure.subtitle == 'No nationwide "convicted" share for FY2019 is available here to set beside it.'
    assert "No nationwide figure for FY2019 is available here." in figure.alt_text


def test_published_figures_keep_every_definition():
    chapter = offences.load(DATA, OP)
    table = offences.published_figures(chapter.arrests, chapter.criminality)
    fy2018 = table[table["fiscal year"] == "FY2018"].set_index("definition")
    assert fy2018.loc["convicted or pending charges", "people ÷ arrests"] == "87.1%"
    assert fy2018.loc["convicted", "published %"] == "66%"
    assert table[table["fiscal year"] == "FY2019"]["published %"].tolist() == ["more than 86%"]
    assert table[table["fiscal year"] == "FY2015"]["definition"].tolist() == ["(no figure available here)"]


# --- Another operation, and bad inputs --------------------------------------------------------------


def test_another_operation_can_be_swapped_in(data):
    _append(data, "ice-safe-city", "operation.csv", "Operation Test,2018-10-02,2018-10-05,200,12,test")
    _append(data, "ice-safe-city", "release.csv", "Operation Test,2018-10-06,US Immigration and Customs Enforcement,test")
    _append(data, "ice-safe-city-offences", "attributes.csv", "Operation Test,criminal conviction,150,had,test")
    _append(data, "ice-safe-city-offences", "attributes.csv", "Operation Test,immigration fugitive,30,were,test")
    _append(data, "ice-safe-city-offences", "conviction_categories.csv", "Operation Test,assault,40,test")
    _append(data, "ice-safe-city-offences", "conviction_categories.csv", "Operation Test,DUI,35,test")
    v = offences_values(data, "Operation Test")
    assert (v["total"], v["convicted"], v["not_convicted"]) == (200, 150, 50)
    assert [(a["attribute"], a["people"]) for a in v["other_attributes"]] == [("immigration fugitive", 30)]
    assert (v["largest_category"], v["dui"], v["not_itemised"]) == ("assault", 35, 75)
    assert v["fiscal_year"] == 2019 and v["national_share"] is None and v["share_gap"] is None
    # The article's claims are about Operation Safe City: this operation's page judges none of them.
    assert v["on_claims_terms"] is False
    text = page(v)
    assert "goes beyond" not in text["verdict"] and "ICE's figure" not in text["verdict"]
    assert "none is judged here" in text["verdict"]
    assert "No nationwide \"convicted\" share for FY2019 is available here" in text["national_share_convicted_subtitle"]
    assert offences_values(data, OP)["convicted"] == 317  # the shipped operation is untouched


def test_unknown_operation_is_a_data_error():
    with pytest.raises(DataError, match=r"operation\.csv, column 'operation': no operation named 'Nope'"):
        offences_values(DATA, "Nope")


def test_more_with_an_attribute_than_arrested_names_file_line_and_column(data):
    _edit(data, "ice-safe-city-offences", "attributes.csv", "immigration fugitive,68,", "immigration fugitive,680,")
    with pytest.raises(DataError) as error:
        offences_values(data, OP)
    assert "attributes.csv, line 3, column 'people': 680 people with 'immigration fugitive' is more than the 498" \
        in str(error.value)


def test_categories_adding_up_to_more_than_the_convicted_names_the_line(data):
    _edit(data, "ice-safe-city-offences", "conviction_categories.csv", "prostitution,5,", "prostitution,250,")
    with pytest.raises(DataError, match=r"conviction_categories\.csv, line 4, column 'people': the categories up to "
                                        r"this row add up to 346, more than the 317"):
        ice_offences.conviction_categories(data, OP)


def test_non_numeric_count_is_a_data_error(data):
    _edit(data, "ice-safe-city-offences", "attributes.csv", "gang member or affiliate,18,", "gang member or affiliate,18?,")
    with pytest.raises(DataError, match=r"attributes\.csv, line 5, column 'people': type error"):
        offences_values(data, OP)


def test_misspelt_attribute_is_a_data_error(data):
    _edit(data, "ice-safe-city-offences", "attributes.csv", "previously deported,104", "previously-deported,104")
    with pytest.raises(DataError, match=r"attributes\.csv, line 4, column 'attribute': constraint error"):
        ice_offences.attributes(data, OP)


def test_missing_convicted_row_is_a_data_error(data):
    _edit(data, "ice-safe-city-offences", "attributes.csv", "criminal conviction,317,", "gang member or affiliate,317,")
    with pytest.raises(DataError, match=r"attributes\.csv.*duplicated key"):
        ice_offences.attributes(data, OP)
    path = data / "raw" / "ice-safe-city-offences" / "attributes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"attributes\.csv, column 'attribute': no 'criminal conviction' row"):
        ice_offences.attributes(data, OP)


def test_published_percentage_that_disagrees_with_the_count_names_the_line(data):
    _edit(data, "ice-annual-arrests", "criminality.csv", "2017,convicted,105736,73.7,", "2017,convicted,105736,63.7,")
    with pytest.raises(DataError, match=r"criminality\.csv, line 2, column 'percent': published 63.7% does not "
                                        r"match 105736 of 143470 arrests \(73.7%\)"):
        ice_annual.criminality(data)


def test_a_year_without_arrests_is_a_data_error(data):
    _append(data, "ice-annual-arrests", "criminality.csv", "2014,convicted,1000,,,test")
    with pytest.raises(DataError, match=r"criminality\.csv, line 15, column 'fiscal_year': FY2014 is not in arrests"):
        ice_annual.criminality(data)


def test_a_figure_with_neither_count_nor_percentage_is_a_data_error(data):
    _edit(data, "ice-annual-arrests", "criminality.csv", "2020,convicted or pending charges,,90,",
          "2020,convicted or pending charges,,,")
    with pytest.raises(DataError, match=r"criminality\.csv, line 9, column 'people': neither a count"):
        ice_annual.criminality(data)


@pytest.mark.parametrize("gap, words, title", [(-0.101, "10.1 percentage points lower", "A smaller share with a conviction than"),
                                               (0.0004, "is the same.", "The same share with a conviction as"),
                                               (0.101, "10.1 percentage points higher", "A larger share with a conviction than")])
def test_comparison_with_the_national_share_is_one_word_on_the_page_and_in_the_chart(gap, words, title):
    """The prose and the chart title say the same thing about the same gap, and a gap that does not show at the
    one decimal printed is "the same"."""
    chapter = offences.load(DATA, OP)
    total = 10_000_000
    convicted = round((offences.national_share(chapter.series, 2017) + gap) * total)
    chapter = dataclasses.replace(chapter, facts=chapter.facts | {"stated_total": total}, attributes=chapter.attributes.assign(
        people=[convicted if a == offences.CONVICTED else p for a, p in zip(chapter.attributes["attribute"],
                                                                            chapter.attributes["people"])]))
    text = page(offences.results(chapter))
    assert words in text["national"]
    assert title in text["national_share_convicted_title"]
    figure = offences.national_chart(chapter.series, OP, 2017, convicted, total, text)
    assert title in figure.title


def _with_categories(**counts) -> dict:
    chapter = offences.load(DATA, OP)
    frame = pd.DataFrame({"category": list(counts), "people": list(counts.values()), "source": chapter.categories["source"].iloc[0]})
    return offences.results(dataclasses.replace(chapter, categories=frame))


@pytest.mark.parametrize("counts, verdict", [
    ({}, "** {safecity-rating}`dui-most-common` DUI, with 86, is the largest of the 8 categories"),
    ({"DUI": 290, "bribery": 1}, "** {safecity-rating}`dui-most-common` DUI, with 290, is the largest category in ICE's "
                                 "chart as reproduced by"),
    ({"DUI": 86, "assault": 120}, "** {safecity-rating}`dui-most-common` In ICE's chart as reproduced by"),
    ({"DUI": 86, "assault": 86}, "are tied, with 86 people each"),
    ({"assault": 120}, "** {safecity-rating}`dui-most-common` The reports available do not itemize DUI."),
])
def test_the_most_common_conviction_words_follow_the_categories(counts, verdict):
    """Whether the page bears out "the most common offense cited by ICE was drunk driving" depends on which
    category is largest and whether the people not itemised could hide a larger one."""
    values = _with_categories(**counts) if counts else offences_values(DATA, OP)
    text = page(values)
    assert verdict in text["verdict"]
    if counts == {"DUI": 86, "assault": 120}:
        assert "assault (120) is larger than DUI (86)" in text["verdict"]
