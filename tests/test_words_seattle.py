"""The Seattle records page: its words follow its numbers (property tests: counts perturbed, words follow).

The records are ICE's own (data/raw/ice-seattle-aor-arrests/), aggregated by `seattle.load`; each example
changes the aggregated counts in memory (arrests added on the operation's days or around them, rows of
counts removed, ICE's figure changed, the file's period cut short), runs `seattle.results` and renders the
page's template, and checks every count and comparison the page states against one computed here,
independently of the chapter's code.
"""

from __future__ import annotations

import dataclasses
import re

import jinja2
import jinja2.nodes
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safecity import national, prose, record, seattle

from conftest import DATA, defaults

NOTEBOOK = "08_seattle_records"
P = defaults(NOTEBOOK)


@pytest.fixture(scope="module")
def base():
    return seattle.load(DATA, P["operation"], P["ice_area"], P["source"])


_NATIONAL: dict = {}


def page(loaded, overridden=()):
    """The page as the notebook renders it: the area's values and the national section's (loaded once)."""
    if "n" not in _NATIONAL:
        _NATIONAL["n"] = national.load(DATA, P["operation"])
    values = record._plain(seattle.results(loaded) | national.values(_NATIONAL["n"], loaded))
    params = dict(P)
    run = record.run_context(params, list(overridden))
    return values, prose.blocks(NOTEBOOK, values | {"run": run})


def daily_totals(loaded) -> pd.Series:
    days = pd.date_range(loaded.file["period_start"], loaded.file["period_end"], freq="D")
    return loaded.cells.groupby("arrest_date")["arrests"].sum().reindex(days, fill_value=0)


def expected_standing(loaded, first, last):
    """Counted here with a plain loop: the operation's total and every other span's, in [first, last]."""
    totals = daily_totals(loaded)
    length = (loaded.end - loaded.start).days + 1
    op = int(totals[loaded.start:loaded.end].sum())
    others = []
    day = pd.Timestamp(first)
    while day + pd.Timedelta(days=length - 1) <= pd.Timestamp(last):
        span_end = day + pd.Timedelta(days=length - 1)
        if span_end < loaded.start or day > loaded.end:
            others.append(int(totals[day:span_end].sum()))
        day += pd.Timedelta(days=1)
    lower = sum(o < op for o in others)
    equal = sum(o == op for o in others)
    return op, len(others), lower, equal, len(others) - lower - equal


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


GROUPS = list(seattle.GROUPS)
STATES = ["WA", "OR", "AMBIGUOUS", "OTHER", seattle.NOT_CODED]

additions = st.lists(st.tuples(st.integers(-200, 200), st.sampled_from(GROUPS), st.booleans(), st.sampled_from(STATES),
                               st.integers(1, 40)), max_size=8)
removals = st.lists(st.integers(0, 10 ** 6), max_size=12)
#: how many rows of counts are taken off the operation's days (every other one first): up to all of them, so
#: that its total can fall below the usual
op_removals = st.integers(0, 80)


def mutate(loaded, added, removed, ice_figure, op_removed=0):
    cells = loaded.cells
    near = cells[(cells["arrest_date"] >= loaded.start - pd.Timedelta(days=200))
                 & (cells["arrest_date"] <= loaded.end + pd.Timedelta(days=200))]
    drop = {near.index[i % len(near)] for i in removed}
    # most removals fall on the operation's days, so that its total moves both ways
    on_op = cells[(cells["arrest_date"] >= loaded.start) & (cells["arrest_date"] <= loaded.end)]
    order = list(on_op.index[::2]) + list(on_op.index[1::2])
    drop |= set(order[:op_removed])
    rows = [{"arrest_date": loaded.start + pd.Timedelta(days=offset % 4 if i % 2 == 0 else offset),
             "group": group, "convicted": convicted, "conviction_redacted": False, "state": state, "arrests": n}
            for i, (offset, group, convicted, state, n) in enumerate(added)]
    cells = pd.concat([cells.drop(index=list(drop)), pd.DataFrame(rows, columns=cells.columns)], ignore_index=True)
    ice = dict(loaded.ice, arrests=ice_figure) if ice_figure is not None else loaded.ice
    return dataclasses.replace(loaded, cells=cells, ice=ice)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(added=additions, removed=removals, op_removed=op_removals, ice_figure=st.one_of(st.none(), st.integers(1, 150)))
def test_counts_perturbed_words_follow(base, added, removed, op_removed, ice_figure):
    loaded = mutate(base, added, removed, ice_figure, op_removed)
    LEVELS_SEEN.add(seattle.results(loaded)["total_level"])
    values, text = page(loaded)
    verdict, days, stood, alt = (flat(text[k]) for k in ("verdict", "days", "stood_out", "seattle_daily_alt"))
    first, last = seattle.windows(loaded)["around"]
    op, n, lower, equal, higher = expected_standing(loaded, first, last)
    ice = loaded.ice["arrests"]

    # Every count the verdict states is the one computed here.
    assert values["op_total"] == op
    assert f"hold {op:,} arrest{'' if op == 1 else 's'} on the 4 days" in verdict
    if op > ice:
        assert "hold more arrests in the area over those days than it reported" in verdict
        assert f"{op - ice:,} more than the {ice:,} ICE reported" in verdict
    elif op == ice:
        assert f"exactly the {ice:,} ICE reported" in verdict and "more than the" not in verdict
    else:
        assert f"{ice - op:,} fewer than the {ice:,} ICE reported" in verdict
        assert "do not hold every arrest ICE counted" in verdict
    assert ("twice as many" in verdict) == (op == 2 * ice and op > 0)

    # Where the operation's days stand, in numbers and in words.
    m = values["compared"]["around"]["measures"]["total"]
    assert (m["n_lower"], m["n_equal"], m["n_higher"], values["n_spans"]) == (lower, equal, higher, n)
    busiest = ": among the busiest 5%" in verdict  # (not "though not among the busiest 5%")
    if higher == 0 and equal == 0:
        assert f"more arrests than any of the {n:,} other 4-day spans" in verdict and not busiest
    elif lower == 0 and equal == 0:
        assert f"fewer arrests than any of the {n:,} other 4-day spans" in verdict
    elif lower / n >= 0.75 or higher / n < 0.75:
        assert f"more arrests than {lower:,} of the {n:,} other 4-day spans" in verdict
        assert busiest == (lower / n >= 0.95)
        assert ("busier than most" in verdict) == (0.75 <= lower / n < 0.95)
        assert ("neither unusually busy nor unusually quiet" in verdict) == (lower / n < 0.75 and higher / n < 0.75)
    else:
        assert f"fewer arrests than {higher:,} of the {n:,} other 4-day spans" in verdict and not busiest
        assert ("quieter than most" in verdict) == (0.75 <= higher / n < 0.95)
    if equal:
        assert f"{equal:,} had as many" in verdict
    title, subtitle = text["seattle_daily_title"], text["seattle_daily_subtitle"]
    standing = ("the year's most" if (higher, equal) == (0, 0) else "the year's fewest" if (lower, equal) == (0, 0)
                else "among the year's busiest" if lower / n >= 0.95 else "among the year's quietest" if higher / n >= 0.95
                else "busier than most of the year" if lower / n >= 0.75
                else "quieter than most of the year" if higher / n >= 0.75 else "a usual number for the year")
    assert title == f"{prose.count(op, 'arrest')} on the operation's 4 days: {standing}", title
    if lower / n >= 0.75 or higher / n < 0.75:
        share = "any other 4-day span" if (higher, equal) == (0, 0) else f"{lower / n:.1%} of the year's other"
        assert subtitle.startswith(f"More than in {share}"), subtitle
    elif (lower, equal) != (0, 0):
        assert subtitle.startswith(f"Fewer than in {higher / n:.1%} of the year's other"), subtitle
    assert ("the same standing" in stood) == values["levels_agree"]

    # Day by day: the prose and the chart's text alternative give the same counts, and they add up.
    totals = daily_totals(loaded)
    for day, count in totals[loaded.start:loaded.end].items():
        said = f"{count:,} on {prose.day(day)}"
        assert said in alt and (said in days or op == 0)
    split = values["op_at_large"] + values["op_cap"] + values["op_other"] + values["op_not_grouped"]
    assert split == op
    if op:
        assert f"Of the {op:,} arrest" in days and f"{values['op_at_large']:,} (" in days
    else:
        assert days == "The records hold no arrest on any of the operation's days."
    for leak in ("nan", "None", "NaN"):
        assert leak not in " ".join(text.values())


LEVELS_SEEN: set = set()


def test_the_examples_reached_each_kind_of_standing():
    """(Runs after the property test: its examples must have reached quiet, usual and busy spans alike.)"""
    if LEVELS_SEEN:
        assert {"high", "typical"} <= LEVELS_SEEN and LEVELS_SEEN & {"below", "low", "lowest"}, LEVELS_SEEN


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.lists(st.tuples(st.sampled_from(["WA", "OR"]), st.integers(0, 60)), min_size=1, max_size=4))
def test_the_state_comparison_follows_the_records(base, extra):
    rows = [{"arrest_date": base.start, "group": "at_large", "convicted": False, "conviction_redacted": False,
             "state": state, "arrests": n} for state, n in extra if n]
    cells = pd.concat([base.cells, pd.DataFrame(rows, columns=base.cells.columns)], ignore_index=True)
    loaded = dataclasses.replace(base, cells=cells)
    values, text = page(loaded)
    against = flat(text["against_ice"])
    on_op = cells[(cells["arrest_date"] >= base.start) & (cells["arrest_date"] <= base.end)]
    for report in values["reports"]:
        records = int(on_op.loc[on_op["state"] == report["code"], "arrests"].sum())
        assert report["records"] == records
        low, high = report["low"], report["high"]
        reported = f"{low:,}" if low == high else f"{low:,}–{high:,}"
        if records > high:
            gap = f"{records - high:,}" if low == high else f"{records - high:,}–{records - low:,}"
            assert f"{records:,} in {report['name']} ({gap} more than the reports' {reported})" in against
        elif records < low:
            assert f"{records:,} in {report['name']} (" in against and "fewer than the reports'" in against
        else:
            assert f"{records:,} in {report['name']} (within the reports' {reported})" in against
    # The coding is labelled as the Center's wherever it is used.
    assert "the Center's coding, not ICE's" in against
    assert "Seattle (city)" in against and "cannot show how many arrests were made in Seattle (city)" in against


def test_other_parameters_state_values_and_give_no_verdict(base):
    values, text = page(base, overridden=["ice_area"])
    verdict = flat(text["verdict"])
    assert "Computed with other parameters" in verdict
    assert "**" not in verdict and "more than the" not in verdict and "twice" not in verdict
    assert f"hold {values['op_total']:,} arrests" in verdict


def test_missing_is_never_a_verdict(base):
    # The file stops inside the year around the operation: no comparison and no standing words.
    short = dataclasses.replace(base, file=dict(base.file, period_end=pd.Timestamp("2018-01-15")))
    short = dataclasses.replace(short, cells=short.cells[short.cells["arrest_date"] <= "2018-01-15"])
    values, text = page(short)
    verdict = flat(text["verdict"])
    assert values["total_level"] is None and values["compared"]["around"]["complete"] is False
    assert "do not cover all of the year around the operation" in verdict
    assert "nothing from 16 January 2018 to 27 March 2018" in verdict
    for word in ("busiest", "quiet", "busier", "neither unusually"):
        assert word not in verdict
    # The fiscal year is still wholly covered, and still compared.
    assert "In FY2017 (1 October 2016 to 30 September 2017) alone" in flat(text["stood_out"])
    # The file does not reach the operation at all: nothing is counted and nothing is judged.
    early = dataclasses.replace(base, file=dict(base.file, period_end=pd.Timestamp("2017-06-30")),
                                cells=base.cells[base.cells["arrest_date"] <= "2017-06-30"])
    values, text = page(early)
    verdict = flat(text["verdict"])
    assert values["op_total"] is None and values["covered"] is False
    assert "say nothing about those days" in verdict and "**" not in verdict


def test_no_ice_figure_and_no_reports(base):
    loaded = dataclasses.replace(base, ice=None, article=None, reports=base.reports.iloc[0:0])
    values, text = page(loaded)
    assert values["ice_figure"] is None and values["op_total_minus_ice"] is None
    assert "**" not in text["verdict"] and "ICE reported" not in text["verdict"]
    assert "gives no figure for this area" in text["against_ice"]


ARITHMETIC = (jinja2.nodes.Add, jinja2.nodes.Sub, jinja2.nodes.Mul, jinja2.nodes.Div, jinja2.nodes.FloorDiv,
              jinja2.nodes.Mod, jinja2.nodes.Pow, jinja2.nodes.Neg)


@pytest.mark.parametrize("name", [f"{NOTEBOOK}.md", f"_{NOTEBOOK}_macros.md"])
def test_the_templates_do_no_arithmetic(name):
    source = prose.ENV.loader.get_source(prose.ENV, name)[0]
    tree = prose.ENV.parse(source)
    assert not list(tree.find_all(ARITHMETIC)), name
    banned = {f.name for f in tree.find_all(jinja2.nodes.Filter)} & {"abs", "sum", "length", "round", "count_items"}
    assert not banned, (name, banned)
