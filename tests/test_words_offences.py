"""Words follow values on the offences page, whatever the data say.

Each test mutates the chapter's tidy frames in memory (conviction counts changed, categories added, removed or
reordered, DUI no longer the largest, the convicted total changed, a category or a national figure missing, the
article's figure changed, a run on other parameters), runs `offences.results` and renders the page's template, and
checks what a reader would check: every count stated is the one computed from the mutated frames (computed here
independently), the "largest" / "most common" words follow which category is largest, no verdict where a value is
missing or the run is on other terms, and each chart's text alternative agrees with the prose.
"""

from __future__ import annotations

import dataclasses
import functools
import re

import jinja2
import jinja2.nodes
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from safecity import offences, prose, record
from safecity.text import join_and

from conftest import DATA

OP = "Operation Safe City"
POOL = ["DUI", "assault", "bribery", "kidnapping", "prostitution", "fraud", "sex offences against children"]
OTHERS = ["immigration fugitive", "previously deported", "gang member or affiliate"]
#: Words that only a verdict on the article's claims uses.
VERDICT_WORDS = re.compile(r"safecity-rating|ICE's figure|not ICE's figure|goes beyond the data|borne out|cannot be checked|"
                           r"the largest category ICE cited|"
                           r"not checked|the reproduced \S+ figure|not the reproduced figure")
#: The page's own rating words, which a lead no longer uses: each claim's rating is the ledger's.
RATING_WORDS = re.compile(r"ICE's figure\.|not ICE's figure|goes beyond the data|borne out|cannot be checked|"
                          r"the largest category ICE cited|not checked\.|the reproduced \S+ figure|not the reproduced figure")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=1)
def base() -> offences.Chapter:
    return offences.load(DATA, OP)


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def render(chapter: offences.Chapter, overridden: tuple[str, ...] = ()) -> tuple[dict, dict[str, str]]:
    values = record._plain(offences.results(chapter))
    run = record.run_context({"operation": chapter.operation}, list(overridden))
    return values, prose.blocks("02_offences", values | {"run": run})


@st.composite
def chapters(draw):
    """The shipped chapter with its counts changed: total, convicted, categories (names, counts, DUI in or out),
    the other attributes, the countries, the article's figures and the national figures for the year."""
    ch = base()
    total = draw(st.integers(1, 5000))
    convicted = draw(st.integers(1, total))
    names = draw(st.lists(st.sampled_from(POOL), unique=True, max_size=len(POOL)))
    counts, budget = {}, convicted
    for name in names:
        counts[name] = draw(st.integers(0, budget))
        budget -= counts[name]
    source = str(ch.categories["source"].iloc[0])
    categories = pd.DataFrame({"category": list(counts), "people": list(counts.values()), "source": source})
    others = draw(st.lists(st.sampled_from(OTHERS), unique=True))
    wording = dict(zip(ch.attributes["attribute"], ch.attributes["wording"]))
    rows = [(offences.CONVICTED, convicted)] + [(a, draw(st.integers(0, total))) for a in others]
    attributes = pd.DataFrame({"attribute": [a for a, _ in rows], "people": [p for _, p in rows],
                               "wording": [wording[a] for a, _ in rows], "source": str(ch.attributes["source"].iloc[0])})
    countries = draw(st.one_of(st.none(), st.integers(1, 200)))
    claims = ch.claims.copy()
    for key in ("convicted", "not_convicted", "dui", "countries"):
        if draw(st.booleans()):  # the article's figure changed
            claims.loc[claims["key"] == key, "stated_value"] = str(draw(st.integers(0, 6000)))
    criminality = ch.criminality
    year = ch.fiscal_year
    for definition in (offences.NATIONAL_DEFINITION, offences.PENDING_ONLY):
        if draw(st.booleans()):  # a national figure for the operation's year missing
            criminality = criminality[~((criminality["fiscal_year"] == year) & (criminality["definition"] == definition))]
    facts = ch.facts | {"stated_total": total, "countries": float("nan") if countries is None else countries}
    return dataclasses.replace(ch, facts=facts, attributes=attributes, categories=categories, claims=claims,
                               criminality=criminality.reset_index(drop=True)), counts


def made(total: int, convicted: int, **counts) -> tuple[offences.Chapter, dict[str, int]]:
    """The shipped chapter with these totals and categories: for the cases a random draw rarely hits."""
    ch = base()
    source = str(ch.categories["source"].iloc[0])
    categories = pd.DataFrame({"category": list(counts), "people": list(counts.values()), "source": source})
    attributes = ch.attributes.assign(people=[convicted if a == offences.CONVICTED else min(p, total)
                                              for a, p in zip(ch.attributes["attribute"], ch.attributes["people"])])
    return dataclasses.replace(ch, facts=ch.facts | {"stated_total": total}, attributes=attributes,
                               categories=categories), counts


#: The people not itemised exactly as many as DUI; DUI tied with another category; DUI certainly the largest;
#: a category larger than DUI; the shipped counts.
EDGES = [made(498, 172, DUI=86, bribery=0), made(498, 317, DUI=86, assault=86), made(498, 317, DUI=300, fraud=10),
         made(498, 317, DUI=86, assault=120), made(498, 317, DUI=86, prostitution=5)]


def generated_with_edges(test):
    """A property test over generated chapters, always also run on each of the EDGES."""
    for edge in EDGES:
        test = example(edge)(test)
    return SETTINGS(given(chapters())(test))


def largest_of(counts: dict[str, int]) -> list[str]:
    top = max(counts.values())
    return sorted(name for name, people in counts.items() if people == top)


@generated_with_edges
def test_stated_counts_are_the_computed_ones(generated):
    chapter, counts = generated
    total, convicted = chapter.total, chapter.convicted
    rest, itemised = total - convicted, sum(counts.values())
    _, text = render(chapter)
    assert f"{convicted:,} of them had criminal convictions: {pct(convicted / total)}" in text["convicted_or_not"]
    assert f"The other {rest:,} ({pct(rest / total)})" in text["convicted_or_not"]
    assert (f"from {chapter.facts['countries']:,} countr" in text["convicted_or_not"]) == \
        (not pd.isna(chapter.facts["countries"]))
    if counts:
        assert f"they cover {itemised:,} " in text["categories"] or f"it covers {itemised:,} " in text["categories"]
        if convicted > itemised:
            assert f"The other {convicted - itemised:,} ({pct((convicted - itemised) / convicted)})" in text["categories"]
    else:
        assert "No category from it is known" in text["categories"]
    for block in text.values():
        assert not re.search(r"\bnan\b|\bNone\b", block)


@generated_with_edges
def test_largest_and_most_common_words_follow_the_largest_category(generated):
    chapter, counts = generated
    values, text = render(chapter)
    verdict, title = text["verdict"], text["conviction_categories_title"]
    unitemised = chapter.convicted - sum(counts.values())
    claim = verdict.split('"The most common offense cited by ICE was drunk driving":', 1)[1]
    # The rating is the claims ledger's, shown by the site; the page never words its own.
    assert claim.startswith("** {safecity-rating}`dui-most-common`") and not RATING_WORDS.search(claim)
    if not counts:
        assert "No conviction category from the release is available here" in claim
        assert "No conviction category is itemized" in title
        return
    top = largest_of(counts)
    top_people = counts[top[0]]
    tied = len(top) > 1
    assert title == (f"{join_and(top)} {'are the largest categories' if tied else 'is the largest category'} the "
                     f"reports itemize: {top_people:,}{' each' if tied else ''} of {chapter.convicted:,}")
    subtitle = text["conviction_categories_subtitle"]
    assert (f"{unitemised:,} {'person' if unitemised == 1 else 'people'} with convictions" in subtitle) == (unitemised > 0)
    assert f"{join_and(top)}, with {top_people:,} " in text["most_common"]
    if "DUI" not in counts:
        assert "The reports available do not itemize DUI." in claim
    elif len(top) > 1 and "DUI" in top:
        assert f"{join_and(top)} are tied, with {top_people:,} people each" in claim
    elif top != ["DUI"]:
        assert " larger than DUI (" in claim
        named, _, compared = claim.partition(" larger than ")
        assert compared.startswith(f"DUI ({counts['DUI']:,})")
        for name, people in counts.items():
            if name != "DUI":
                assert (f"{name} ({people:,})" in named) == (people > counts["DUI"]), name
    elif unitemised < top_people:
        assert f"DUI, with {top_people:,}, is the largest category" in claim and "so no other category can be larger" in claim
    else:  # rated as attributed: the largest category ICE's chart cites; the rest is said beside it
        assert f"DUI, with {top_people:,}, is the largest of the" in claim and "which is what the article says" in claim
        assert f"leave {unitemised:,} of the {chapter.convicted:,} people with convictions not itemized" in claim
        assert ("more than" if unitemised > top_people else "as many as") in claim
    # The article never said "overall", and the page never says it did.
    assert not any("overall" in block for block in text.values())


@SETTINGS
@given(chapters())
def test_the_181_always_goes_beyond_the_data_and_its_arithmetic_is_stated(generated):
    chapter, _ = generated
    values, text = render(chapter)
    stated = values["article"]["not_convicted"]
    part = text["verdict"].split("with \"no criminal record whatsoever\":** {safecity-rating}`not-convicted`", 1)[1]
    rest = chapter.total - chapter.convicted
    if stated == rest:
        assert part.startswith(f" {rest:,} is ICE's {chapter.total:,} arrested less its {chapter.convicted:,}")
    else:
        assert f"is {rest:,}, not {stated:,}" in part
    assert "having no conviction is not having no criminal record" in part
    pending, neither = values["national_pending"], values["national_neither"]
    assert ("were of people with criminal charges pending" in part) == (pending is not None and neither is not None)


@SETTINGS
@given(chapters())
def test_an_article_figure_that_differs_is_said_to_differ(generated):
    chapter, _ = generated
    values, text = render(chapter)
    article = values["article"]
    # Each claim's rating is the claims ledger's (the site shows it); the page gives the figures beside it.
    assert not RATING_WORDS.search(text["verdict"])
    head = f"**{article['convicted']:,} with prior criminal convictions:** {{safecity-rating}}`convicted` "
    if article["convicted"] == chapter.convicted:
        assert head + f"The release gives {chapter.convicted:,} of its" in text["verdict"]
    else:
        gap = chapter.convicted - article["convicted"]
        assert (head + f"The release gives {chapter.convicted:,}, {abs(gap):,} "
                f"{'more' if gap > 0 else 'fewer'}.") in text["verdict"]
    countries = f"**{article['countries']:,} countries:** {{safecity-rating}}`countries` "
    if values["countries"] is None:
        assert countries + "The release as quoted does not give the countries" in text["verdict"]
    elif values["countries"] != article["countries"]:
        assert countries + f"The release gives {values['countries']:,}." in text["verdict"]
    dui = f"**{article['dui']:,} for drunk driving:** {{safecity-rating}}`dui` "
    if values["dui"] is None:
        assert dui + "The reports available do not itemize DUI" in text["verdict"]
    elif values["dui"] != article["dui"]:
        assert dui + f"ICE's conviction chart as reproduced by" in text["verdict"] and f"gives {values['dui']:,} under DUI" in text["verdict"]


@SETTINGS
@given(chapters(), st.sampled_from(["parameters", "terms"]))
def test_no_verdict_on_other_parameters_or_other_terms(generated, how):
    chapter, _ = generated
    if how == "parameters":
        _, text = render(chapter, overridden=("operation",))
        assert "Computed with other parameters" in text["verdict"]
    else:
        claims = chapter.claims.assign(terms="operation=Another Operation")
        _, text = render(dataclasses.replace(chapter, claims=claims))
        assert "none is judged here" in text["verdict"]
    quotes = [q for q in chapter.claims["quote"].dropna()]
    for name, block in text.items():
        assert not VERDICT_WORDS.search(block), (name, block)
        assert not any(q in block for q in quotes), name  # the article's words are not weighed either


@generated_with_edges
def test_chart_text_alternatives_agree_with_the_prose(generated):
    chapter, counts = generated
    values, text = render(chapter)
    alt = text["conviction_categories_alt"]
    convicted, unitemised = chapter.convicted, chapter.convicted - sum(counts.values())
    assert alt.startswith(f"Bar chart of the {convicted:,} people with convictions")
    listed = re.findall(r"(?:Itemized: |; )([^;(]+?) ([\d,]+) \((\d+\.\d)%\)", alt)
    assert {name: int(n.replace(",", "")) for name, n, _ in listed} == counts
    assert f"Not itemized in the reports: {unitemised:,} ({pct(unitemised / convicted)})." in alt
    if counts and unitemised:
        assert f"The other {unitemised:,} ({pct(unitemised / convicted)})" in text["categories"]
    # The attributes chart lists every count the prose gives, with the same share of all arrested.
    attributes = text["overlapping_attributes_alt"]
    for row in chapter.attributes.itertuples():
        shown = f"{row.attribute} {row.people:,} ({pct(row.people / chapter.total)})"
        assert shown in attributes
        if row.attribute != offences.CONVICTED:
            assert f"{row.people:,} {row.wording} ({pct(row.people / chapter.total)}" in text["overlapping"]
            assert f"{row.attribute} {row.people:,}" in text["overlapping_attributes_subtitle"]
    # The national chart and the prose state the same operation share and the same national share.
    national = text["national_share_convicted_alt"]
    operation_share = pct(chapter.convicted / chapter.total)
    assert f"{chapter.operation} {operation_share}" in national or f"(FY{values['fiscal_year']}): {operation_share}." in national
    assert text["national_share_convicted_operation_bar"] == f"{chapter.operation}: {operation_share}"
    assert f"The operation's share, {operation_share}," in text["national"] or values["national_share"] is None
    if values["national_share"] is not None:
        shown = pct(values["national_share"]) if values["national_convicted"] is not None else None
        if shown:
            assert f"ICE nationwide {shown}." in national and f": {shown}." in text["national"]
            assert text["national_share_convicted_national_bar"] == f"ICE nationwide, FY{values['fiscal_year']}: {shown}"
            gap = chapter.convicted / chapter.total - values["national_convicted"] / values["national_arrests"]
            if round(gap * 1000) == 0:
                assert "is the same." in text["national"] and "The same share" in text["national_share_convicted_title"]
            else:
                more = gap > 0
                assert f"{abs(gap) * 100:.1f} percentage points {'higher' if more else 'lower'}." in text["national"]
                assert text["national_share_convicted_title"].startswith(f"A {'larger' if more else 'smaller'} share")
    else:
        assert "No nationwide" in text["national_share_convicted_subtitle"]
        assert "cannot be set beside" in text["national"]


def test_the_template_does_no_arithmetic():
    """Templates choose words; code computes. No + - * / // % ** and no arithmetic filters in either template."""
    arithmetic = (jinja2.nodes.Add, jinja2.nodes.Sub, jinja2.nodes.Mul, jinja2.nodes.Div, jinja2.nodes.FloorDiv,
                  jinja2.nodes.Mod, jinja2.nodes.Pow, jinja2.nodes.Neg, jinja2.nodes.Pos)
    for name in ("02_offences.md", "_offences_macros.md"):
        tree = prose.ENV.parse(prose.ENV.loader.get_source(prose.ENV, name)[0])
        assert not list(tree.find_all(arithmetic)), name
        assert not [f.name for f in tree.find_all(jinja2.nodes.Filter) if f.name in ("sum", "length", "abs", "round")]
