"""Property tests of the refugee chapter's words: the ceilings table is mutated in memory (ceilings raised and
lowered, years added and removed, ceilings and admissions missing), the chapter's values are recomputed and the
page's blocks rendered from them, and every stated lowest, highest and comparison is checked against the numbers.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safecity import record, refugees

from conftest import DATA, defaults

PARAMETERS = {k: v for k, v in defaults("04_refugees").items() if k not in ("data_dir", "overridden")}
VERDICT_WORDS = ("safecity-rating", "when it was written", "Not quite", "Not checked", "is not the data's")
FY = re.compile(r"FY(\d{4})")


@pytest.fixture(scope="module")
def inputs():
    return refugees.load(DATA)


@pytest.fixture(scope="module")
def base_years(inputs):
    return refugees.fiscal_years(inputs.mpi, inputs.facts, inputs.facts_file)


_ANALYSES = {}


def render(inputs, years, overridden=(), **parameters):
    """The page's values and blocks for `years` (a ceilings table), computed as the notebook computes them."""
    p = PARAMETERS | parameters
    key = (id(inputs), tuple(sorted(p.items())))
    if key not in _ANALYSES:  # the listed countries and the reconciliation do not depend on the ceilings table
        _ANALYSES[key] = refugees.analyse(inputs, **p)
    values = refugees.results(inputs, refugees.with_years(_ANALYSES[key], years))
    return values, record.render("04_refugees", values, p, overridden)


@st.composite
def mutated(draw, base: pd.DataFrame):
    """The ceilings table with some ceilings scaled, some removed, admissions removed, years added or dropped."""
    years = base.copy()
    n = len(years)
    for index in draw(st.lists(st.integers(0, n - 1), max_size=8, unique=True)):
        factor = draw(st.sampled_from([0.1, 0.3, 0.5, 0.9, 1.1, 2.0]))
        for column in ("ceiling_set", "ceiling_final"):
            value = years.at[index, column]
            if pd.notna(value):
                years.at[index, column] = max(1, int(int(value) * factor))
        years.at[index, "revised"] = bool(pd.notna(years.at[index, "ceiling_set"])
                                          and years.at[index, "ceiling_set"] != years.at[index, "ceiling_final"])
    for index in draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True)):
        years.at[index, "ceiling_set"] = pd.NA
        years.at[index, "ceiling_final"] = pd.NA
        years.at[index, "revised"] = False
    for index in draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True)):
        years.at[index, "admissions"] = pd.NA
    for _ in range(draw(st.integers(0, 2))):  # later fiscal years, without admissions yet
        last = int(years["fiscal_year"].max())
        ceiling = draw(st.integers(1000, 150000))
        years = pd.concat([years, pd.DataFrame([{"fiscal_year": last + 1, "ceiling_set": ceiling,
                                                 "ceiling_final": ceiling, "revised": False, "admissions": pd.NA,
                                                 "partial": False, "suspended_from": None}])], ignore_index=True)
    if draw(st.booleans()):  # drop the latest year
        years = years.iloc[:-1]
    dropped = draw(st.lists(st.integers(6, len(years) - 2), max_size=1))  # a year gone from inside the table
    years = years.drop(index=[years.index[i] for i in dropped])
    for column in ("ceiling_set", "ceiling_final", "admissions"):
        years[column] = years[column].astype("Int64")
    return years.reset_index(drop=True)


def _oracle(years: pd.DataFrame, tested: int, since: int, column: str = "ceiling_set"):
    by_year = {int(r.fiscal_year): (None if pd.isna(getattr(r, column)) else int(getattr(r, column)))
               for r in years.itertuples()}
    ceiling = by_year.get(tested)
    window = {y: by_year.get(y) for y in range(since, tested)}
    known = {y: c for y, c in window.items() if c is not None}
    minimum = min(known.values()) if known else None
    missing = sorted(y for y, c in window.items() if c is None)
    if ceiling is None or minimum is None or missing:
        status = None
    else:
        status = "lowest" if ceiling < minimum else "tied" if ceiling == minimum else "not lowest"
    later = sorted(y for y, c in by_year.items()
                   if y > tested and c is not None and ceiling is not None and c < ceiling)
    return ceiling, minimum, sorted(y for y, c in known.items() if c == minimum), missing, status, later


def _num(n: int) -> str:
    return f"{n:,}"


def _fys(text: str) -> list[int]:
    return [int(y) for y in FY.findall(text)]


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FEW = settings(SETTINGS, max_examples=10)


@SETTINGS
@given(data=st.data())
def test_the_stated_lowest_and_later_ceilings_are_the_computed_ones(inputs, base_years, data):
    years = data.draw(mutated(base_years))
    tested, since = PARAMETERS["tested_year"], PARAMETERS["since_year"]
    if tested not in set(years["fiscal_year"]) and tested > years["fiscal_year"].max():
        return  # the tested year itself was dropped from the end: covered by the missing-ceiling case below
    values, text = render(inputs, years)
    ceiling, minimum, minimum_years, missing, status, later = _oracle(years, tested, since)
    assert values["as_set"]["status"] == status and values["lowest_status"] == status
    assert values["min_ceiling"] == minimum and values["later_lower_years"] == later
    page = " ".join(text.values())
    assert not re.search(r"\b(nan|NaN|None)\b", page)
    admitted = years.loc[years["fiscal_year"] == tested, "admissions"]
    if admitted.empty or pd.isna(admitted.iloc[0]):  # no admissions: no share stated
        assert f"The data hold no admissions for FY{tested}." in text["far"] and "of the ceiling." not in text["far"]
    else:
        assert f"{_num(int(admitted.iloc[0]))} refugees were admitted" in text["far"]
    verdict = text["verdict"]
    if status is None:  # missing is never a verdict
        # The rating (not checked) is the claims ledger's, shown by the site; the page says what is missing.
        assert verdict.startswith(f"**The lowest since {since}:** {{safecity-rating}}`refugee-lowest` A ceiling the "
                                  "comparison needs is missing.")
        assert "when it was written" not in page and "was the lowest ceiling" not in page
        shown_missing = [tested] if ceiling is None else missing
        assert all(f"FY{y}" in verdict for y in shown_missing)
        return
    # Each rating is the claims ledger's, shown by the site; the page never words its own.
    assert verdict.startswith(f"**{_num(45000)}:** {{safecity-rating}}`refugee-cap` **The lowest since {since}:** "
                              "{safecity-rating}`refugee-lowest` The article says")
    assert not any(word in verdict for word in VERDICT_WORDS[1:])
    assert {"lowest": "was lower than every ceiling", "tied": "only equalled the lowest ceiling",
            "not lowest": "was not the lowest since"}[status] in verdict
    assert f"ceiling of {_num(ceiling)}" in verdict and _num(minimum) in verdict
    assert all(f"FY{y}" in verdict for y in minimum_years)
    assert (values["article_ceiling_matches"] is False) == (f"not the article's {_num(45000)}" in verdict)
    # the later ceilings below it, named and counted as computed
    if ceiling is not None:
        listed = _fys(text["later_lower_detail"])
        assert listed == later
        if later:
            lowest_later = min(later, key=lambda y: (int(years.set_index("fiscal_year").at[y, "ceiling_set"]), y))
            assert f"for FY{lowest_later}." in text["later_finding"]
        else:
            assert text["later_lower_detail"] == "none" and "has gone below" in text["later_finding"]
    # the chart's title says what the verdict says
    title = text["refugee_ceilings_title"]
    assert ("was the lowest ceiling" in title) == (status == "lowest")
    # ... and its subtitle names the later ceilings below it, or says there are none
    if ceiling is not None and later:
        assert text["later_lower_detail"] in text["refugee_ceilings_subtitle"]
    elif ceiling is not None:
        assert f"No later ceiling in the data is below {_num(ceiling)}." in text["refugee_ceilings_subtitle"]


@SETTINGS
@given(data=st.data())
def test_the_chart_text_alternative_agrees_with_the_numbers(inputs, base_years, data):
    years = data.draw(mutated(base_years))
    values, text = render(inputs, years)
    shown = refugees.shown_years(years, PARAMETERS["first_year"], PARAMETERS["last_year"])
    alt_text = text["refugee_ceilings_alt"]
    ceilings = shown[shown["ceiling_final"].notna()]
    high, low = int(ceilings["ceiling_final"].max()), int(ceilings["ceiling_final"].min())
    match = re.search(r"highest in FY(\d{4}) \(([\d,]+)\) and lowest in FY(\d{4}) \(([\d,]+)\)", alt_text)
    assert match and match.group(2) == _num(high) and match.group(4) == _num(low)
    by_year = ceilings.set_index("fiscal_year")["ceiling_final"]
    assert by_year[int(match.group(1))] == high and by_year[int(match.group(3))] == low
    full = shown[shown["admissions"].notna() & ~shown["partial"]]
    admitted = re.search(r"admissions were highest in FY\d{4} \(([\d,]+)\) and lowest in FY\d{4} \(([\d,]+)\)",
                         alt_text)
    assert admitted and admitted.groups() == (_num(int(full["admissions"].max())), _num(int(full["admissions"].min())))
    gaps = [int(y) for y in shown.loc[shown["admissions"].isna(), "fiscal_year"]]
    if gaps:
        gap_sentence = re.search(r"No admissions data for ([^:]+): a gap, not zero\.", alt_text)
        assert gap_sentence and _fys(gap_sentence.group(1)) == gaps
        assert _fys(text["as_of"].split("the data hold no admissions for")[-1]) == gaps
    else:
        assert "No admissions data" not in alt_text
    # the subtitle and the prose give the same lowest earlier ceiling and later years
    if values["min_ceiling"] is not None:
        assert _num(values["min_ceiling"]) in text["refugee_ceilings_subtitle"]
    if values["later_lower"]:
        assert text["later_lower_detail"] in text["refugee_ceilings_subtitle"]


@FEW
@given(data=st.data(), tested=st.sampled_from([2017, 2019, 2020, 2022]))
def test_other_parameters_give_no_verdict(inputs, base_years, data, tested):
    years = data.draw(mutated(base_years))
    for overridden in ((), ("tested_year",)):
        values, text = render(inputs, years, overridden, tested_year=tested)
        assert values["on_claim_terms"] is False
        page = " ".join(text.values())
        assert not any(word in page for word in VERDICT_WORDS)
        assert "That is context, not part of the claim" not in page
        if overridden:
            assert "Computed with other parameters" in text["verdict"]


def _one_year_on(inputs, base_years):
    """The data a year later, in memory: FY2025 complete, FY2026 partial to 31 December 2025 with admissions."""
    years = base_years.copy()
    years.loc[years["fiscal_year"] == 2025, ["admissions", "partial"]] = [40000, False]
    years.loc[years["fiscal_year"] == 2026, ["admissions", "partial"]] = [1500, True]
    years["admissions"] = years["admissions"].astype("Int64")
    prm_years = inputs.prm.years.copy()
    prm_years.loc[prm_years["fiscal_year"] == 2025, ["as_of", "partial"]] = [pd.Timestamp("2025-09-30"), False]
    extra = prm_years[prm_years["fiscal_year"] == 2025].assign(fiscal_year=2026, as_of=pd.Timestamp("2025-12-31"),
                                                               partial=True)
    prm = dataclasses.replace(inputs.prm, years=pd.concat([prm_years, extra], ignore_index=True))
    return dataclasses.replace(inputs, prm=prm), years


def test_now_is_the_datas_latest_date_and_moves_with_it(inputs, base_years):
    values, text = render(inputs, base_years)
    assert values["admissions_as_of"] == "2024-12-31"
    assert "as of 31 December 2024" in text["as_of"] and "FY2025 is a partial year: 27,308" in text["as_of"]
    assert "As of 31 December 2024, the data hold no admissions for FY2026" in text["as_of"]
    assert "(27,308 admitted as of 31 December 2024, the latest date in the data)" in text["refugee_ceilings_alt"]

    later_inputs, later_years = _one_year_on(inputs, base_years)
    values, text = render(later_inputs, later_years)
    assert values["admissions_as_of"] == "2025-12-31"
    assert "as of 31 December 2025" in text["as_of"] and "FY2026 is a partial year: 1,500" in text["as_of"]
    assert "FY2025 is a partial year" not in " ".join(text.values())
    assert "the data hold no admissions" not in text["as_of"]
    assert "(1,500 admitted as of 31 December 2025, the latest date in the data)" in text["refugee_ceilings_alt"]


def test_the_monthly_chart_marks_refugee_orders_only(inputs, base_years):
    values, text = render(inputs, base_years)
    assert "Proclamation" not in " ".join(e["document"] for e in values["events"])
    assert _fys(text["months"]) and "Executive Order 13769, 27 January 2017" in text["months"]
    values, text = render(inputs, base_years, ("months_first_year", "months_last_year"),
                          months_first_year=2024, months_last_year=2025)
    assert [e["document"] for e in values["events"]] == [  # FY2026's determination is signed on FY2025's last day
        "Presidential Determination No. 2024-13", "Executive Order 14163",
        "Presidential Determination on Refugee Admissions for Fiscal Year 2026"]
    assert "Executive Order 14163, 27 January 2025" in text["months"]
    assert "Dashed rule: Executive Order 14163, 27 January 2025." in text["refugees_listed_countries_by_month_alt"]


def test_the_ledger_shows_the_pages_later_ceilings_and_gives_no_verdict_for_a_missing_ceiling(inputs, base_years):
    from safecity import claims, prose

    claim = claims.load(DATA)
    claim = claim[claim["id"] == "refugee-lowest"]

    def ledger(values):
        records = {"refugees": {"values": record._plain(values), "parameters": PARAMETERS}}
        rows = claims.evaluate(claim, records)
        page = prose.blocks("07_claims_ledger", record._plain(claims.record_values(rows, records))
                            | {"run": record.run_context({}, [])})
        return rows[0], page["ledger"]

    values, text = render(inputs, base_years)
    row, page = ledger(values)
    # True when written: the later ceilings are an update beside the rating, in the page's own words.
    assert row["verdict"] == claims.MATCHES and row["update"] and text["later_lower_detail"] in page
    years = base_years.copy()
    years.loc[years["fiscal_year"] == 1990, ["ceiling_set", "ceiling_final"]] = pd.NA
    values, text = render(inputs, years)
    assert ledger(values)[0]["verdict"] == claims.NOT_CHECKED  # a missing value is never a verdict


def test_no_ceiling_for_the_tested_year_leaves_both_ledger_claims_unchecked(inputs, base_years):
    from safecity import claims

    years = base_years.copy()
    years.loc[years["fiscal_year"] == PARAMETERS["tested_year"], ["ceiling_set", "ceiling_final"]] = pd.NA
    values, text = render(inputs, years)
    assert values["tested_ceiling"] is None and text["tested_ceiling"] == "no ceiling in the data"
    table = claims.load(DATA)
    table = table[table["chapter"] == "refugees"]
    rows = claims.evaluate(table, {"refugees": {"values": record._plain(values), "text": text,
                                                "parameters": PARAMETERS}})
    assert {r["verdict"] for r in rows} == {claims.NOT_CHECKED}  # a missing value is never a verdict
    assert "when it was written" not in " ".join(text.values())
