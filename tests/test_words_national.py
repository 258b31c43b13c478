"""The records chapter's national section: its words follow its numbers (property tests).

ICE's nationwide records (data/raw/ice-national-arrests/) are aggregated by `national.load`; each example changes
the aggregated counts in memory (arrests added or removed on the operation's days and around them, places dropped
from the mapping or left without an area, the Operation column never redacted, the operation moved to days the
records do not cover), runs `national.results` and renders the page's template, and checks every count and
comparison the section states against one computed here with plain loops, independently of the chapter's code.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safecity import national, prose, record, seattle

from conftest import DATA, defaults

NOTEBOOK = "08_seattle_records"
P = defaults(NOTEBOOK)
BLOCKS = ("verdict_areas", "national_intro", "national_areas", "national_operation", "national_context", "records_by_area_title",
          "records_by_area_alt", "seattle_files")


@pytest.fixture(scope="module")
def base():
    return national.load(DATA, P["operation"])


@pytest.fixture(scope="module")
def area_file():
    return seattle.load(DATA, P["operation"], P["ice_area"], P["source"])


def page(nat, area_file):
    values = record._plain(seattle.results(area_file) | national.values(nat, area_file))
    run = record.run_context(dict(P), [])
    text = prose.blocks(NOTEBOOK, values | {"run": run})
    return values, {k: re.sub(r"\s+", " ", text[k]) for k in BLOCKS}


def expected(nat, aor):
    """Counted here with plain loops: the area's arrests on the operation's days, at large, with an operation."""
    cells = nat.cells[nat.cells["area"] == aor]
    on = cells[(cells["arrest_date"] >= nat.start) & (cells["arrest_date"] <= nat.end)]
    total = at_large = with_op = 0
    for r in on.itertuples():
        total += r.arrests
        at_large += r.arrests if r.group == "at_large" else 0
        with_op += r.arrests if r.operation != "none" else 0
    return total, at_large, with_op


AREAS = ["Seattle", "Los Angeles", "Chicago", "Boston", "Denver", "Philadelphia", "Baltimore", "Washington"]
additions = st.lists(st.tuples(st.sampled_from(AREAS), st.integers(-40, 40), st.sampled_from(["at_large", "cap", "other"]),
                               st.sampled_from(["none", "redacted"]), st.integers(1, 300)), max_size=8)
removals = st.lists(st.integers(0, 10 ** 6), max_size=40)


def mutate(nat, added, removed):
    cells = nat.cells
    on = cells[(cells["arrest_date"] >= nat.start) & (cells["arrest_date"] <= nat.end)]
    drop = {on.index[i % len(on)] for i in removed}
    rows = [{"arrest_date": nat.start + pd.Timedelta(days=offset % 4 if i % 2 == 0 else offset), "area": area,
             "group": group, "operation": op, "arrests": n}
            for i, (area, offset, group, op, n) in enumerate(added)]
    cells = cells.drop(index=list(drop))
    if rows:
        cells = pd.concat([cells, pd.DataFrame(rows, columns=cells.columns)], ignore_index=True)
    return dataclasses.replace(nat, cells=cells)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(added=additions, removed=removals, keep=st.sets(st.integers(0, 9), min_size=1))
def test_counts_perturbed_and_areas_removed_words_follow(base, area_file, added, removed, keep):
    nat = mutate(base, added, removed)
    nat = dataclasses.replace(nat, places=nat.places.iloc[sorted(keep)].reset_index(drop=True))
    values, text = page(nat, area_file)
    n = values["national"]
    assert [p["place"] for p in n["places"]] == nat.places["place"].tolist()
    more = fewer = same = 0
    for p in n["places"]:
        total, at_large, with_op = expected(nat, p["aor"])
        assert (p["records"], p["at_large"], p["with_operation"]) == (total, at_large, with_op)
        item = text["national_areas"].split(f"**{p['place']}**")[1].split("- **")[0]
        # Each sentence says which figure is the place's and which count is the whole area's.
        assert f"ICE's figure for the place is {p['ice_figure']:,}" in item
        assert f"for the whole area over the four days" in item
        if p["whole_area"]:
            assert f"covers the whole {p['aor']} Area of Responsibility" in item
        else:
            assert f"only part of the {p['aor']} Area of Responsibility" in item
        whose = "area" if p["whole_area"] else "place"
        if total > p["ice_figure"]:
            more += 1
            assert f"{total - p['ice_figure']:,} more than ICE's figure for the {whose}" in item
        elif total < p["ice_figure"]:
            fewer += 1
            assert f"{p['ice_figure'] - total:,} fewer than ICE's figure for the {whose}" in item
        else:
            same += 1
            assert f"exactly ICE's figure for the {whose}" in item
        a = p["article_figure"]
        if a is not None and a != p["ice_figure"]:  # the article's own figure, compared in its own words
            if total > a:
                assert f"{total - a:,} more than the article's figure" in item
            elif total < a:
                assert f"{a - total:,} fewer than the article's figure" in item
            else:
                assert "exactly the article's figure" in item
        else:
            assert "the article's figure" not in item
        if total:
            assert f"{with_op:,} of {total:,} (" in text["national_operation"]
        assert f"{p['place']}: ICE's figure {p['ice_figure']:,}" in text["records_by_area_alt"]
    title = text["records_by_area_title"]
    k = len(n["places"])
    if more == k:
        assert title == "ICE's records hold more arrests than its figure in every area named"
    elif fewer == k:
        assert title == "ICE's records hold fewer arrests than its figure in every area named"
    elif same == k:
        assert title == "ICE's records hold exactly its figure in every area named"
    else:
        assert title == f"ICE's records against its figures: more in {more} of {k} areas"
    # The page's lead speaks of every place ICE named, with the counts computed here.
    lead = text["verdict_areas"]
    if more == k:
        assert lead.startswith("**For every place ICE named, its own records hold more arrests over those days")
    elif fewer == k:
        assert lead.startswith("**For every place ICE named, its own records hold fewer arrests over those days")
    elif same == k:
        assert lead.startswith("**For every place ICE named, its own records hold exactly the arrests")
    else:
        assert lead.startswith(f"**In the areas that hold them, ICE's own records hold more arrests over those days "
                               f"than it reported for {more:,} of the {k:,} places it named")
        assert (f"exactly as many for {same:,}" in lead) == (same > 0)
        assert (f"fewer for {fewer:,}." in lead) == (fewer > 0)
    aors = {p["aor"] for p in n["places"]}
    named = sum(expected(nat, aor)[0] for aor in aors)
    assert f"ICE's records hold {named:,} arrest{'' if named == 1 else 's'} in the {len(aors):,} area" in lead
    assert f"add up to {sum(p['ice_figure'] for p in n['places']):,}." in lead
    part = sum(1 for p in n["places"] if not p["whole_area"])
    assert (f"For {part:,} place{'' if part == 1 else 's'} the count is for a whole area" in lead) == (part > 0)
    # Nationwide: the four days' total, counted here.
    on = nat.cells[(nat.cells["arrest_date"] >= nat.start) & (nat.cells["arrest_date"] <= nat.end)]
    assert f"ICE's records hold {int(on['arrests'].sum()):,} arrests over" in text["national_context"]
    for block in text.values():
        for leak in ("nan", "None", "NaN"):
            assert leak not in block


def test_a_place_with_no_area(base, area_file):
    places = base.places.copy()
    places.loc[places["place"] == "Massachusetts", ["aor", "extent", "note"]] = None
    nat = dataclasses.replace(base, places=places, unmapped=["Massachusetts"])
    values, text = page(nat, area_file)
    assert "Massachusetts is not mapped to any area" in text["national_intro"]
    item = text["national_areas"].split("**Massachusetts**")[1]
    assert "maps the place to no area" in item and "Boston" not in item
    p = next(p for p in values["national"]["places"] if p["place"] == "Massachusetts")
    assert p["records"] is None and p["records_vs_ice"] is None
    assert values["records_by_place"]["Massachusetts"]["records"] is None
    assert values["national"]["n_missing"] == 1
    assert "For 1 place the records give no count." in text["verdict_areas"]
    assert "of the 10 places it named" in text["verdict_areas"] and "For every place" not in text["verdict_areas"]
    assert "Massachusetts: ICE's figure 50, the article's 50." in text["records_by_area_alt"]


def test_an_area_the_records_do_not_hold(base, area_file):
    places = base.places.copy()
    places.loc[places["place"] == "Denver", "aor"] = "Atlantis"
    values, text = page(dataclasses.replace(base, places=places), area_file)
    assert "hold no arrest at all in the Atlantis Area of Responsibility" in text["national_areas"]
    assert values["records_by_place"]["Denver"]["records"] is None


def test_a_window_with_no_records(base, area_file):
    # The operation's days outside the years the records cover: nothing counted, nothing judged.
    nat = dataclasses.replace(base, start=pd.Timestamp("2019-03-01"), end=pd.Timestamp("2019-03-04"))
    values, text = page(nat, area_file)
    n = values["national"]
    assert n["covered"] is False and n["nation_op_total"] is None
    assert all(p["records"] is None for p in n["places"])
    assert "not the operation's days" in text["national_areas"] and "busiest" not in text["national_areas"]
    assert "they say nothing about those days for any place ICE named" in text["verdict_areas"]
    assert "**" not in text["verdict_areas"]
    assert text["records_by_area_title"] == "ICE's figures and the article's, by place"
    assert "lead" not in text["national_operation"].split("not which.")[1][:80]
    # Days covered but with no arrest recorded anywhere: zero is counted, and said, as zero.
    on = (base.cells["arrest_date"] >= base.start) & (base.cells["arrest_date"] <= base.end)
    values, text = page(dataclasses.replace(base, cells=base.cells[~on]), area_file)
    assert all(p["records"] == 0 for p in values["national"]["places"])
    assert "ICE's records hold 0 arrests for the whole area" in text["national_areas"]
    assert "ICE's records hold 0 arrests over" in text["national_context"]


def test_an_operation_field_never_redacted(base, area_file):
    cells = base.cells.assign(operation="none")
    values, text = page(dataclasses.replace(base, cells=cells), area_file)
    assert all(p["with_operation"] == 0 for p in values["national"]["places"] if p["records"])
    op = text["national_operation"]
    assert "In no area is the share higher on those days" in op and "exactly ICE's figure" not in op
    assert "never names an operation" in op


def test_the_published_records_findings(base, area_file):
    """What the committed record states: each year's count is ICE's published total; the two Seattle files agree."""
    values, text = page(base, area_file)
    n = values["national"]
    assert n["years_agree"] and [y["records"] for y in n["years"]] == [110_104, 143_470, 158_581]
    assert "exactly the number of arrests ICE published" in text["national_intro"]
    s = values["seattle_files"]
    assert s["compared"] and s["agree"] and s["days_differ"] == 0 and s["area_file_total"] == s["national_file_total"]
    assert "they agree day by day" in text["seattle_files"]
    assert set(values["records_by_place"]) == set(base.places["place"])


def test_the_two_seattle_files_disagreeing_is_said(base, area_file):
    extra = pd.DataFrame([{"arrest_date": pd.Timestamp("2016-05-02"), "area": "Seattle", "group": "cap",
                           "operation": "none", "arrests": 3}])
    nat = dataclasses.replace(base, cells=pd.concat([base.cells, extra], ignore_index=True))
    values, text = page(nat, area_file)
    s = values["seattle_files"]
    assert s["agree"] is False and s["days_differ"] == 1 and s["largest_gap"] == 3
    assert "they differ on 1 day (by up to 3 arrests a day)" in text["seattle_files"]
