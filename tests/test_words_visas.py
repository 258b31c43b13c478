"""The visa page's words follow its numbers: property tests over mutated copies of the project's own data.

Each test changes the tidy frames in memory (a month removed inside or outside the window, counts scaled, a
group's members added or removed), runs the chapter's functions (`compare` -> `results` -> the template's blocks),
never the notebook, and checks what a reader would: every change stated is the one computed from the raw rows, the
count of Politico's figures reproduced is the computed count, "virtually unchanged" and the comparison words follow
the numbers, no verdict and no "nan" where a value is missing, and the chart's text alternative agrees with the prose.
"""

from __future__ import annotations

import dataclasses
import re
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safecity import prose, record, visas

from conftest import DATA, defaults

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PARAMS = defaults("03_visas")
#: Words that only a verdict uses.
VERDICT_WORDS = re.compile(r"safecity-rating|records reproduce|bears out|does not bear out|more than the \d+ percentage point")


@pytest.fixture(scope="module")
def shipped() -> visas.VisaData:
    return visas.load(DATA, PARAMS["groups"])


def page(data: visas.VisaData, other_parameters: bool = False, **parameters) -> tuple[dict, dict]:
    """Values as the record holds them and every block of the page, for `data` under the given parameters."""
    p = PARAMS | parameters
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (division by zero or NaN) may reach the page
        values = record._plain(visas.results(data, visas.compare(data, p["window_start"], p["window_end"],
                                                                 p["baseline_fy"])))
    overridden = ["window_end"] if other_parameters else []
    run = record.run_context({"window_end": p["window_end"]}, overridden)
    text = prose.blocks("03_visas", values | {"run": run})
    for name, block in text.items():  # whole blocks: none is a fragment the notebook would have to finish
        assert block and not block.endswith((",", ";", " and", " the")), (name, block[-80:])
        assert not re.search(r"\(\s*\)|\s[,.;]", block), (name, block)
    return values, text


def files_page(values: dict) -> dict:
    """The data reporters' page (How the visa files were read): its blocks, rendered from the chapter's values."""
    return record.render(visas.FILES_PAGE, values)


def without_month(data: visas.VisaData, month: str) -> visas.VisaData:
    """The data as if the non-immigrant table for `month` had never been published."""
    niv = data.monthly["nonimmigrant"]
    stamp = pd.Timestamp(month)
    months = niv.months.assign(available=niv.months["available"] & (niv.months["month"] != stamp))
    niv = dataclasses.replace(niv, months=months, issuances=niv.issuances[niv.issuances["month"] != stamp],
                              totals=niv.totals[niv.totals["month"] != stamp])
    return dataclasses.replace(data, monthly={**data.monthly, "nonimmigrant": niv})


def scaled(data: visas.VisaData, factor: float, nationalities: list[str] | None = None) -> visas.VisaData:
    """Every non-immigrant count of the window months (of some nationalities) multiplied by `factor`, rounded."""
    niv = data.monthly["nonimmigrant"]
    rows = niv.issuances.copy()
    chosen = rows["month"].isin(visas.window(PARAMS["window_start"], PARAMS["window_end"]))
    if nationalities is not None:
        chosen &= rows["nationality"].isin(nationalities)
    rows.loc[chosen, "issuances"] = (rows.loc[chosen, "issuances"] * factor).round().astype("int64")
    rows = rows[rows["issuances"] > 0]
    return dataclasses.replace(data, monthly={**data.monthly, "nonimmigrant": dataclasses.replace(niv, issuances=rows)})


def with_members(data: visas.VisaData, key: str, members: list[str]) -> visas.VisaData:
    group = data.groups[key]
    frame = pd.DataFrame({"country": members, "nationality": members, "note": [""] * len(members)})
    return dataclasses.replace(data, groups={**data.groups, key: dataclasses.replace(group, members=frame)})


def expected_change(data: visas.VisaData, members: list[str] | None) -> float:
    """The change recomputed here from the raw rows: window monthly average against FY2016's (annual / 12)."""
    rows = data.monthly["nonimmigrant"].issuances
    months = visas.window(PARAMS["window_start"], PARAMS["window_end"])
    rows = rows[rows["month"].isin(months)]
    annual = data.annual.totals[data.annual.totals["fiscal_year"] == PARAMS["baseline_fy"]]
    if members is not None:
        rows, annual = rows[rows["nationality"].isin(members)], annual[annual["nationality"].isin(members)]
    return (rows["issuances"].sum() / len(months)) / (annual["total_visas"].sum() / 12) - 1


def expected_reproduced(values: dict) -> int:
    """How many of Politico's figures the computed changes reproduce, counted here from the values."""
    n = 0
    for f in values["politico_figures"]:
        change = values[f"{f['key']}_change"]
        if f["kind"] == "near_zero":
            n += abs(change) <= values["near_zero"]
        else:
            n += abs(change * 100 - f["politico_change"] * 100) <= values["tolerance_points"] + 1e-9
    return n


def all_text(text: dict) -> str:
    return "\n".join(text.values())


def assert_no_verdict(text: dict) -> None:
    for name, block in text.items():
        assert not VERDICT_WORDS.search(block), (name, block)


# --------------------------------------------------------------------------- months missing


WINDOW_MONTHS = [f"2017-0{m}" for m in range(3, 9)]


@SETTINGS
@given(month=st.sampled_from(WINDOW_MONTHS))
def test_a_month_missing_inside_the_window_stops_every_figure_and_says_which(shipped, month):
    values, text = page(without_month(shipped, month))
    assert values["window_missing_months"] == [month]
    for f in values["politico_figures"]:
        assert values[f"{f['key']}_change"] is None and f["reproduced"] is None
    assert values["n_computed"] == 0 and not values["politico_complete"] and values["n_reproduced"] is None
    assert_no_verdict(text)
    name = prose.month(month)
    assert "cannot be checked" in text["verdict"] and name in text["verdict"]
    assert f"no table for {name}" in text["order_group"]
    assert "no total or monthly average is computed" in text["order_group"]
    assert name in text["politico_method"] and "missing, not zero" in text["politico_method"]
    for g in values["groups"]:
        assert g["window_total"] is None and g["window_average"] is None and g["change"] is None


@SETTINGS
@given(months=st.lists(st.sampled_from(["2018-02", "2018-03", "2020-07", "2023-11", "2024-12"]), min_size=1,
                       max_size=3, unique=True))
def test_months_missing_outside_the_window_change_no_politico_figure(shipped, months):
    default, default_text = page(shipped)
    data = shipped
    for month in months:
        data = without_month(data, month)
    values, text = page(data)
    assert values["missing_nonimmigrant_months"] == len(months) + 1  # and May 2019, as shipped
    files = files_page(values)
    assert "Missing months." in files["import_details"] and "tables for" in text["procl_chart_intro"]
    month = months[0]
    assert values["window_missing_months"] == [] and values["politico_complete"]
    for f in values["politico_figures"]:
        assert values[f"{f['key']}_change"] == default[f"{f['key']}_change"]
    assert text["verdict"] == default_text["verdict"]
    for run in values["niv_missing_runs"]:  # the import says which months are missing
        assert prose.month(run["last"]) in files["import_details"]
    # and every period that spans it has no average, said so in the prose, never a number computed over a gap
    spanned = [p for p in values["procl"]["periods"] if month in p["nonimmigrant_missing"]]
    for p in spanned:
        assert p["nonimmigrant"] is None
        assert f"non-immigrant visas in {prose.short_month(p['first'])[:3]}" in text["procl_periods"]


def test_a_baseline_from_monthly_tables_with_a_month_missing_says_so(shipped):
    values, text = page(shipped, baseline_fy=2019)
    assert values["baseline_missing_months"] == ["2019-05"] and values["six_change"] is None
    assert "May 2019" in text["verdict"] or "May 2019" in text["politico_method"]
    assert "Their baseline is not computed" in text["order_group"]
    assert_no_verdict(text)


@pytest.mark.parametrize("parameters", [{"baseline_fy": 2009}, {"window_start": "2010-01", "window_end": "2010-06"}])
def test_a_parameter_that_selects_no_data_never_reaches_the_page(shipped, parameters):
    name = next(iter(parameters))
    with pytest.raises(ValueError, match=rf"parameter '{name}'"):
        page(shipped, **parameters)


# --------------------------------------------------------------------------- counts scaled


@SETTINGS
@given(six=st.floats(0.5, 1.6), everyone=st.floats(0.92, 1.08))
def test_stated_changes_and_the_reproduced_count_are_the_computed_ones(shipped, six, everyone):
    data = scaled(scaled(shipped, everyone), six, shipped.order)
    values, text = page(data)
    for key in ("six", "arab", "muslim", "all"):
        members = None if key == "all" else data.groups[key].nationalities()
        assert values[f"{key}_change"] == pytest.approx(expected_change(data, members), abs=1e-9)
        assert prose.pct(values[f"{key}_change"], signed=True) in text["verdict"]
    n = expected_reproduced(values)
    assert values["n_reproduced"] == n
    verdict = text["verdict"]
    if n == values["n_politico_figures"]:
        assert f"reproduce all {n} of Politico's figures" in verdict
    elif n == 0:
        assert f"reproduce none of Politico's {values['n_politico_figures']} figures" in verdict
    else:
        assert f"reproduce {n} of Politico's {values['n_politico_figures']} figures" in verdict
    near = abs(values["all_change"]) <= values["near_zero"]
    assert ("which bears out \"virtually unchanged\"" in verdict) == near
    assert ("which does not bear out \"virtually unchanged\"" in verdict) == (not near)
    for f in values["politico_figures"]:
        if f["kind"] == "percent" and not f["reproduced"]:
            side = "above" if f["difference_points"] > 0 else "below"
            assert f"{prose.num(f['difference_points'], 1, unsigned=True)} percentage points {side}" in verdict


@SETTINGS
@given(factor=st.floats(0.3, 3.0))
def test_the_proclamation_words_and_the_chart_agree(shipped, factor):
    """Scaling the first year's visas of the proclamation countries moves the direction words, the title and the
    alt text together; the alt text's averages are the prose's."""
    niv = shipped.monthly["nonimmigrant"]
    rows = niv.issuances.copy()
    during = rows["month"].isin(visas.window(*visas.PERIODS["first_year"]))
    during &= rows["nationality"].isin(list(shipped.restrictions["nationality"]))
    rows.loc[during, "issuances"] = (rows.loc[during, "issuances"] * factor).round().astype("int64")
    data = dataclasses.replace(shipped, monthly={**shipped.monthly,
                                                 "nonimmigrant": dataclasses.replace(niv, issuances=rows)})
    values, text = page(data)
    kinds = {k["kind"]: k for k in values["procl"]["kinds"]}
    niv_change = kinds["nonimmigrant"]["first_year_change"]
    word = "fell to" if niv_change < 0 else "rose to" if niv_change > 0 else "stayed at"
    shown = prose.num(kinds["nonimmigrant"]["first_year"])
    assert f"non-immigrant visas {word} {shown} a month" in text["procl_periods"]
    assert f"non-immigrant {prose.pct(niv_change, signed=True)}," in text["visas_proclamation_countries_subtitle"]
    both = [niv_change, kinds["immigrant"]["first_year_change"]]
    direction = "fell" if all(c < 0 for c in both) else "rose" if all(c > 0 for c in both) else None
    title = text["visas_proclamation_countries_title"]
    if direction:
        assert title == f"Visas to the 8 countries {direction} under the proclamation"
    else:
        assert title == "Visas to the 8 countries under the proclamation"  # no direction word for mixed changes
    alt_text = text["visas_proclamation_countries_alt"]
    for k in kinds.values():
        for key in ("before", "first_year"):
            shown = prose.num(k[key])
            assert shown in alt_text and shown in text["procl_periods"], (k["kind"], key, shown)
    assert "May 2019 is missing for non-immigrant visas" in alt_text


# --------------------------------------------------------------------------- group members changed


@SETTINGS
@given(data=st.data())
def test_group_members_added_or_removed_change_the_stated_lists_and_figures(shipped, data):
    arab = shipped.groups["arab"].nationalities()
    others = sorted(set(shipped.monthly["nonimmigrant"].issuances["nationality"]) - set(arab))
    kept = data.draw(st.lists(st.sampled_from(arab), min_size=2, unique=True))
    added = data.draw(st.lists(st.sampled_from(others[:60]), max_size=4, unique=True))
    check_group_members(shipped, kept, added)


# A draw Hypothesis found (st.data() draws from the fixture's lists, so it cannot take an @example): every member of
# the group a country of the March 2017 order, and the page named none of them.
@pytest.mark.parametrize("kept, added", [(["Libya", "Somalia"], [])])
def test_a_group_made_only_of_the_orders_countries_names_them(shipped, kept, added):
    check_group_members(shipped, kept, added)


def check_group_members(shipped, kept, added):
    members = sorted(kept + added)
    changed = with_members(shipped, "arab", members)
    values, text = page(changed)
    arab_values = next(g for g in values["groups"] if g["key"] == "arab")
    assert arab_values["n_countries"] == len(members)
    assert values["arab_change"] == pytest.approx(expected_change(changed, members), abs=1e-9)
    assert prose.pct(values["arab_change"], signed=True) in text["verdict"]
    # Politico published no Arab list, so the comparison stays on its terms and the verdict counts this figure
    assert values["politico_terms"] and values["n_reproduced"] == expected_reproduced(values)
    overlap = [m for m in members if m in set(shipped.order)]
    lists = text["group_lists"]
    assert f"{len(members)} countries" in lists
    if overlap:
        assert prose.and_list(overlap) in lists
    else:
        assert "No country of the list is a country of the March 2017 order." in lists


@SETTINGS
@given(data=st.data())
def test_other_countries_for_politicos_six_mean_no_verdict_anywhere(shipped, data):
    six = list(shipped.order)
    removed = data.draw(st.lists(st.sampled_from(six), min_size=1, max_size=3, unique=True))
    extra = data.draw(st.lists(st.sampled_from(["Iraq", "Chad", "Egypt"]), max_size=2, unique=True))
    members = sorted((set(six) - set(removed)) | set(extra))
    values, text = page(with_members(shipped, "six", members))
    assert not values["politico_terms"] and values["n_reproduced"] is None
    assert all(f["reproduced"] is None for f in values["politico_figures"])
    off = next(t for t in values["politico_terms_off"] if t.get("group") == "six")
    assert off["only_politico"] == sorted(set(removed) - set(extra))
    assert "Not on Politico's terms" in text["verdict"] and "judges none of Politico's figures" in text["verdict"]
    assert prose.and_list(off["only_politico"]) in text["verdict"]
    assert_no_verdict(text)
    assert prose.pct(values["six_change"], signed=True) in text["verdict"]  # the values are still stated


# --------------------------------------------------------------------------- other terms


@pytest.mark.parametrize("parameters", [{"window_end": "2017-07"}, {"baseline_fy": 2018},
                                        {"window_start": "2018-03", "window_end": "2018-08"}])
def test_off_politicos_terms_the_page_states_values_and_judges_nothing(shipped, parameters):
    values, text = page(shipped, **parameters)
    assert not values["politico_terms"] and values["n_reproduced"] is None
    assert_no_verdict(text)
    assert "judges none of Politico's figures" in text["verdict"]
    for key in ("six", "arab", "muslim", "all"):
        assert prose.pct(values[f"{key}_change"], signed=True) in text["verdict"]


def test_a_run_with_other_parameters_judges_nothing_even_on_politicos_terms(shipped):
    values, text = page(shipped, other_parameters=True)
    assert values["politico_terms"]
    assert "Computed with other parameters" in text["verdict"]
    assert_no_verdict(text)


def test_the_shipped_page_attributes_politicos_terms_to_politico(shipped):
    values, text = page(shipped)
    intro = text["intro"]
    assert "The article gives no window, no fiscal year and no list of countries" in intro
    assert "as reproduced by slowaroundthesun.blogspot.com" in intro
    assert "The article quotes Politico: comparing" not in all_text(text)
    assert values["n_politico_figures"] == 4 and "That is 4 figures" in intro
    assert "reproduce all 4 of Politico's figures" in text["verdict"]


ARTICLE = DATA.parent.parent / "shared" / "sources" / "article" / "wsws-2017-09-30-ice-arrests-sanctuary-cities.txt"


@pytest.mark.skipif(not ARTICLE.exists(), reason=f"the article's full text is not at {ARTICLE}")
def test_the_intro_quotes_the_article_word_for_word(shipped):
    _, text = page(shipped)
    article = " ".join(ARTICLE.read_text(encoding="utf-8").replace("*", "").split())
    quotes = re.findall(r'"([^"]{20,})"', text["intro"])
    assert len(quotes) == 2
    for quote in quotes:
        assert " ".join(quote.split()) in article, quote


@pytest.mark.parametrize("notebook", ["03_visas", visas.FILES_PAGE])
def test_every_block_of_the_template_is_shown_on_the_page(notebook):
    """The words are only what the page shows: each block of the page's template is glued whole by the notebook,
    read by it as a caption, or read by the chart. (The data reporters' page renders its own template from the
    chapter's record. That the notebook's markdown holds no sentence of its own is tests/test_pages.py's check.)"""
    import nbformat

    nb = nbformat.read(DATA.parent / "notebooks" / f"{notebook}.ipynb", as_version=4)
    glued, read = set(), set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            glued |= set(re.findall(r"```\{glue:md\} (\w+)\n:format: myst\n```", cell.source))
        else:
            read |= set(re.findall(r'text\["(\w+)"\]', cell.source))
    chart = ({f"visas_proclamation_countries_{part}" for part in ("title", "subtitle", "alt", "source", "note")}
             if notebook == "03_visas" else set())
    template = prose.ENV.get_template(f"{notebook}.md")
    blocks = set(template.blocks)
    assert blocks == glued | read | chart, (blocks - (glued | read | chart), (glued | read) - blocks)
    first = "verdict" if notebook == "03_visas" else "intro"  # the chapter opens with its verdict
    assert next(iter(template.blocks)) == first


def test_editing_a_template_re_runs_the_notebooks(tmp_path):
    """The words are code: a changed template changes the code hash every notebook's cache key holds."""
    import shutil

    from safecity import pipeline

    shutil.copytree(DATA.parent / "safecity", tmp_path / "safecity", ignore=shutil.ignore_patterns("__pycache__"))
    before = pipeline.code_hash(tmp_path)
    template = tmp_path / "safecity" / "templates" / "03_visas.md"
    template.write_text(template.read_text(encoding="utf-8").replace("simple arithmetic", "plain arithmetic"),
                        encoding="utf-8")
    assert pipeline.code_hash(tmp_path) != before
