"""Offence breakdown: who was arrested in an operation, and how that compares with ICE's arrests nationwide.

ICE's release gives two kinds of counts, and the difference matters:

- **parts of one split** do not overlap and add up to their whole: the people arrested are either
  convicted or not; the people with convictions are counted once each, under their most serious
  conviction. A part of a split has `Group.split` set to the split's name.
- **attributes** (immigration fugitive, previously deported, gang member or affiliate, and having a
  conviction at all) overlap: one person can have several. They are shown side by side, each as a
  share of everyone arrested, and never added up. :func:`add_up` refuses to.

Nationwide, ICE published different measures in different years ("convicted", "convicted or
pending charges", "criminal history"): only figures under the same definition are compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd

from . import charts, prose
from .book import fmt_pct
from .formats import fy

#: The split of everyone arrested into convicted / not convicted.
CONVICTION_STATUS = "conviction status"
#: The split of the people with convictions by their most serious conviction.
MOST_SERIOUS = "most serious conviction"
#: The attribute (in attributes.csv) that counts people with a criminal conviction.
CONVICTED = "criminal conviction"
#: The rest of everyone arrested: the article's "no prior criminal conviction".
NOT_CONVICTED = "no criminal conviction reported"
#: The people with convictions whose category no available report gives (a row of the categories table).
NOT_ITEMISED = "not itemized in the reports"
#: The categories the reports give (the chart's legend).
ITEMISED = "itemized in the reports"
#: The national definition that matches "had criminal convictions" in an operation's release.
NATIONAL_DEFINITION = "convicted"
#: The national definitions (criminality.csv) of the arrested with charges pending but no conviction, and with neither.
PENDING_ONLY = "pending charges only"
NEITHER = "neither convicted nor charged"
#: The national series in the chart's legend.
NATIONWIDE = "ICE nationwide (convicted)"

GREY = "#BBBBBB"
TRACK = "#EEEEEE"


@dataclass(frozen=True)
class Group:
    """A count of people. `split` names the split into non-overlapping parts it belongs to;
    None means an attribute, which can overlap with any other group."""

    label: str
    people: int
    split: str | None = None


class OverlapError(ValueError):
    """Counts of groups that can share people were about to be added together."""


def add_up(groups: Iterable[Group]) -> int:
    """The number of people in `groups`, only if they are distinct parts of one split.

    Adding attributes (or parts of different splits) would count a person once per group they are
    in, so it raises :class:`OverlapError` instead of returning a number that is too large.
    """
    groups = list(groups)
    labels = [g.label for g in groups]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise OverlapError(f"cannot add up: {', '.join(repeated)} counted more than once")
    if len(groups) > 1:
        splits = {g.split for g in groups}
        if None in splits or len(splits) > 1:
            attrs = [g.label for g in groups if g.split is None]
            why = (f"{', '.join(attrs)} can overlap with the others" if attrs
                   else f"they belong to different splits ({', '.join(sorted(splits))})")
            raise OverlapError(f"cannot add up {', '.join(labels)}: {why}, so one person could be counted twice")
    return sum(int(g.people) for g in groups)


def share(part: int, whole: int) -> float:
    """`part` as a fraction of `whole`; a part larger than its whole is an error, not a share."""
    if whole <= 0:
        raise ValueError(f"cannot take a share of {whole}")
    if not 0 <= part <= whole:
        raise ValueError(f"{part} is not a part of {whole}")
    return part / whole


def fiscal_year(date) -> int:
    """The US federal fiscal year of a date: FY2017 runs from 1 Oct 2016 to 30 Sep 2017."""
    date = pd.Timestamp(date)
    return date.year + 1 if date.month >= 10 else date.year


def _table(groups: list[Group], whole: int, first: str, share_name: str) -> pd.DataFrame:
    return pd.DataFrame({first: [g.label for g in groups], "people": [int(g.people) for g in groups],
                         share_name: [share(g.people, whole) for g in groups]})


# --- Convicted or not -------------------------------------------------------------------------------


def status_groups(total: int, convicted: int) -> list[Group]:
    """Everyone arrested, split into those with a criminal conviction and the rest (total − convicted)."""
    if not 0 <= convicted <= total:
        raise ValueError(f"{convicted} people with convictions is not a part of {total} arrested")
    groups = [Group(CONVICTED, convicted, CONVICTION_STATUS), Group(NOT_CONVICTED, total - convicted, CONVICTION_STATUS)]
    assert add_up(groups) == total
    return groups


def conviction_status(total: int, convicted: int) -> pd.DataFrame:
    """Columns group, people, share (of everyone arrested): convicted, then the rest."""
    return _table(status_groups(total, convicted), total, "group", "share")


# --- Conviction categories --------------------------------------------------------------------------


def category_groups(categories: pd.DataFrame, convicted: int) -> list[Group]:
    """The itemised categories (largest first) plus the people with convictions they leave out.

    The remainder is one group of its own, never spread over the known categories.
    """
    ordered = categories.sort_values(["people", "category"], ascending=[False, True], kind="stable")
    groups = [Group(str(r.category), int(r.people), MOST_SERIOUS) for r in ordered.itertuples()]
    itemised = add_up(groups)
    if itemised > convicted:
        raise ValueError(f"the categories add up to {itemised}, more than the {convicted} people with convictions")
    groups.append(Group(NOT_ITEMISED, convicted - itemised, MOST_SERIOUS))
    assert add_up(groups) == convicted
    return groups


def categories_with_remainder(categories: pd.DataFrame, convicted: int) -> pd.DataFrame:
    """Columns category, people, share (of the people with convictions), itemised (False for the remainder)."""
    groups = category_groups(categories, convicted)
    table = _table(groups, convicted, "category", "share")
    table["itemised"] = [g.label != NOT_ITEMISED for g in groups]
    return table


def largest_itemised(categories: pd.DataFrame) -> tuple[str, int]:
    """The largest itemised category and its count; tied categories are named together ("A and B")."""
    if categories.empty:
        raise ValueError("no conviction categories are itemized")
    top = int(categories["people"].max())
    names = sorted(str(c) for c in categories.loc[categories["people"] == top, "category"])
    return " and ".join(names), top


def largest_is_certain(categories: pd.DataFrame, convicted: int) -> bool:
    """Whether the largest itemised category must be the largest of all.

    It must be only if the people not itemised are fewer than it: otherwise they could all share one
    category that is at least as large.
    """
    _, top = largest_itemised(categories)
    remainder = category_groups(categories, convicted)[-1].people
    return remainder < top


# --- Overlapping attributes -------------------------------------------------------------------------


def attribute_groups(attributes: pd.DataFrame) -> list[Group]:
    """One group per attribute. Having a conviction is also a part of the conviction-status split;
    every other attribute overlaps with everything."""
    return [Group(str(r.attribute), int(r.people), CONVICTION_STATUS if r.attribute == CONVICTED else None)
            for r in attributes.itertuples()]


def attribute_table(attributes: pd.DataFrame, total: int) -> pd.DataFrame:
    """Columns attribute, people, share (of everyone arrested). Deliberately without a total row."""
    return _table(attribute_groups(attributes), total, "attribute", "share")


# --- National context -------------------------------------------------------------------------------


def national_series(arrests: pd.DataFrame, criminality: pd.DataFrame,
                    definition: str = NATIONAL_DEFINITION) -> pd.DataFrame:
    """One row per fiscal year in `arrests`, with the share of arrests under `definition`.

    Columns fiscal_year, arrests, people, percent, share, basis. The share is people / arrests where
    ICE gave the count, else the published percentage; a year with neither (or only a lower bound)
    has no share (NaN), never 0.
    """
    figures = criminality[criminality["definition"] == definition].set_index("fiscal_year")
    rows = []
    for r in arrests.sort_values("fiscal_year").itertuples():
        year, total = int(r.fiscal_year), int(r.arrests)
        people = percent = value = None
        basis = f"no '{definition}' figure available"
        if year in figures.index:
            f = figures.loc[year]
            lower = isinstance(f["qualifier"], str) and f["qualifier"] == "more than"
            if pd.notna(f["people"]):
                people = int(f["people"])
                value, basis = share(people, total), "computed from the published count"
            if pd.notna(f["percent"]):
                percent = float(f["percent"])
                if value is None and not lower:
                    value, basis = percent / 100, "published percentage (rounded)"
                elif value is None:
                    basis = f"published only as more than {percent:g}%"
        rows.append({"fiscal_year": year, "arrests": total, "people": people, "percent": percent,
                     "share": value, "basis": basis})
    out = pd.DataFrame(rows)
    out["people"] = out["people"].astype("Int64")
    out["percent"] = out["percent"].astype("float64")
    out["share"] = out["share"].astype("float64")
    return out


def national_share(series: pd.DataFrame, year: int) -> float | None:
    """The share for `year` in a series from :func:`national_series`, or None if not published."""
    row = series[series["fiscal_year"] == year]
    if row.empty or pd.isna(row["share"].iloc[0]):
        return None
    return float(row["share"].iloc[0])


def share_text(row) -> str:
    """A series share as the reader should see it: one decimal when computed, as ICE rounded it when published."""
    if pd.isna(row["share"]):
        return ""
    if pd.notna(row["people"]):
        return fmt_pct(row["share"])
    return f"{row['percent']:g}%"


def published_data(arrests: pd.DataFrame, criminality: pd.DataFrame) -> pd.DataFrame:
    """Every figure ICE published per year, each with its definition; empty years included (machine-friendly)."""
    rows = []
    by_year = criminality.groupby("fiscal_year", sort=True)
    published = set(criminality["fiscal_year"].astype(int))
    for r in arrests.sort_values("fiscal_year").itertuples():
        year, total = int(r.fiscal_year), int(r.arrests)
        if year not in published:
            rows.append({"fiscal_year": year, "arrests": total})
            continue
        for f in by_year.get_group(year).itertuples():
            rows.append({"fiscal_year": year, "arrests": total, "definition": str(f.definition),
                         "people": None if pd.isna(f.people) else int(f.people),
                         "published_percent": None if pd.isna(f.percent) else float(f.percent),
                         "percent_qualifier": f.qualifier if isinstance(f.qualifier, str) and f.qualifier else None,
                         "people_share_of_arrests": None if pd.isna(f.people) else share(int(f.people), total)})
    columns = ["fiscal_year", "arrests", "definition", "people", "published_percent", "percent_qualifier",
               "people_share_of_arrests"]
    return pd.DataFrame(rows, columns=columns).astype({"people": "Int64"})


def published_figures(arrests: pd.DataFrame, criminality: pd.DataFrame) -> pd.DataFrame:
    """The reader's table of `published_data`: formatted, a year without figures says so."""
    rows = []
    for r in published_data(arrests, criminality).itertuples():
        pct = None if pd.isna(r.published_percent) else f"{r.published_percent:g}%"
        if pct and isinstance(r.percent_qualifier, str):
            pct = f"{r.percent_qualifier} {pct}"
        rows.append({"fiscal year": fy(r.fiscal_year), "arrests": f"{r.arrests:,}",
                     "definition": "(no figure available here)" if pd.isna(r.definition) else r.definition,
                     "people": None if pd.isna(r.people) else f"{r.people:,}", "published %": pct,
                     "people ÷ arrests": None if pd.isna(r.people_share_of_arrests)
                     else fmt_pct(r.people_share_of_arrests)})
    columns = ["fiscal year", "arrests", "definition", "people", "published %", "people ÷ arrests"]
    return pd.DataFrame(rows, columns=columns).astype("str")


def year_spans(years: list[int]) -> list[dict]:
    """Fiscal years as spans for the prose: a run of three or more consecutive years is one span
    ({"first": 2019, "last": 2024}); other years are spans of one year each (first == last)."""
    runs: list[list[int]] = []
    for year in sorted(int(y) for y in years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    spans = []
    for run in runs:
        spans += [{"first": run[0], "last": run[-1]}] if len(run) > 2 else [{"first": y, "last": y} for y in run]
    return spans


def _digits(percent: float) -> int:
    """The decimals a published percentage was given with (66 -> 0, 15.5 -> 1)."""
    return 0 if float(percent).is_integer() else 1


# --- Charts -----------------------------------------------------------------------------------------


def _objects(values) -> pd.Series:
    """Whole numbers for a reader's table, as text so that a missing one is shown as "missing" (not <NA>)."""
    return pd.Series([None if pd.isna(v) else str(int(v)) for v in values], dtype="str")


def _label(people: int, part_share: float) -> str:
    """A bar's number label: the count and its share, as the tooltip shows them."""
    return f"{people:,} ({fmt_pct(part_share)})"


def categories_chart(table: pd.DataFrame, text: dict[str, str]) -> charts.Figure:
    """Bars for each itemised category and, in grey, the people with convictions that no report itemises, each
    named with its count and share above the bar. The chart's title, text alternative and source are the
    record's `text` blocks `conviction_categories_*`."""
    data = pd.DataFrame({"category": table["category"].astype(str).tolist(),
                         "people": table["people"].astype("int64").tolist(),
                         "share": table["share"].astype("float64").tolist(),
                         "kind": [ITEMISED if i else NOT_ITEMISED for i in table["itemised"]]})
    data["row"] = [f"{c}: {_label(p, s)}" for c, p, s in zip(data["category"], data["people"], data["share"])]
    colour = alt.Color("kind:N", scale=alt.Scale(domain=[ITEMISED, NOT_ITEMISED], range=[charts.PALETTE[0], GREY]),
                       legend=None)
    chart = charts.named_bars(data, name="row", value="people", value_title=text["conviction_categories_value"],
                              colour=colour, row=48, size=14)
    numbers = pd.DataFrame({"most serious conviction": data["category"], "people": data["people"],
                            "share of people with convictions": data["share"]})
    return charts.Figure(chart, name="conviction-categories", text=text, data=numbers,
                         columns={"share of people with convictions": (LABEL["column_share_of_people_with_convictions"], "share")})


def attributes_chart(table: pd.DataFrame, total: int, text: dict[str, str]) -> charts.Figure:
    """One bar per attribute, each against all arrested (a grey track): side by side, never stacked, each named
    with its count above the bar. Its words are the record's `text` blocks `overlapping_attributes_*`."""
    data = pd.DataFrame({"attribute": table["attribute"].astype(str).tolist(),
                         "people": table["people"].astype("int64").tolist(),
                         "share": table["share"].astype("float64").tolist()})
    data["total"] = int(total)
    data["row"] = [f"{a}: {p:,} of {total:,} ({fmt_pct(s)})"
                   for a, p, s in zip(data["attribute"], data["people"], data["share"])]
    track = alt.Chart(data).mark_bar(color=TRACK, size=14).encode(
        y=alt.Y("row:N", sort=data["row"].tolist(), axis=None), x="people:Q", x2="total:Q",
        tooltip=alt.Tooltip("row:N"))
    chart = charts.named_bars(data, name="row", value="people", value_title=text["overlapping_attributes_value"],
                              colour=charts.PALETTE[2], domain=[0, int(total)],
                              extra=[track], row=48, size=14)
    numbers = pd.DataFrame({"attribute": data["attribute"], "people": data["people"], "share of arrested": data["share"]})
    return charts.Figure(chart, name="overlapping-attributes", text=text, data=numbers,
                         columns={"share of arrested": (LABEL["column_share_of_arrested"], "share")})


def national_chart(series: pd.DataFrame, operation: str, operation_year: int, operation_convicted: int,
                   operation_total: int, text: dict[str, str]) -> charts.Figure:
    """Two bars: the operation's share of arrests with a conviction and ICE's nationwide share in the operation's
    fiscal year (one bar when no nationwide share is available). Each bar's name, with its share, and the
    chart's title are the record's `text` blocks `national_share_convicted_*`; every year's published
    figures are in the chapter's own table."""
    operation_share = share(operation_convicted, operation_total)
    year = series[series["fiscal_year"] == operation_year]
    national = None if year.empty or pd.isna(year["share"].iloc[0]) else year.iloc[0]
    rows = [{"row": text["national_share_convicted_operation_bar"], "share": float(operation_share)}]
    numbers = pd.DataFrame({"arrests by": [operation], "fiscal year": [fy(operation_year)],
                            "arrests": _objects([operation_total]), "people convicted": _objects([operation_convicted]),
                            "share convicted": [fmt_pct(operation_share)], "basis": ["computed from the published count"]})
    if national is not None:
        rows.append({"row": text["national_share_convicted_national_bar"], "share": float(national["share"])})
        numbers = pd.concat([numbers, pd.DataFrame({
            "arrests by": ["ICE nationwide"], "fiscal year": [fy(operation_year)],
            "arrests": _objects([national["arrests"]]), "people convicted": _objects([national["people"]]),
            "share convicted": [share_text(national)], "basis": [str(national["basis"])]})], ignore_index=True)
    chart = charts.named_bars(pd.DataFrame(rows), name="row", value="share", value_format="%", tooltip_format=".1%",
                              domain=[0, 1],
                              value_title=text["national_share_convicted_value"])
    return charts.Figure(chart, name="national-share-convicted", text=text, data=numbers,
                         columns={"arrests": (LABEL["column_arrests"], "count"), "people convicted": (LABEL["column_people_convicted"], "count")})


# --- The chapter's results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Chapter:
    """Everything the chapter shows, read and computed once."""

    operation: str
    facts: dict
    attributes: pd.DataFrame
    categories: pd.DataFrame
    arrests: pd.DataFrame
    criminality: pd.DataFrame
    claims: pd.DataFrame  # the article's claims this chapter checks (claims.csv rows for CHAPTER)

    @property
    def total(self) -> int:
        return int(self.facts["stated_total"])

    @property
    def convicted(self) -> int:
        return int(self.attributes.loc[self.attributes["attribute"] == CONVICTED, "people"].iloc[0])

    @property
    def fiscal_year(self) -> int:
        return fiscal_year(self.facts["end_date"])

    @property
    def status(self) -> pd.DataFrame:
        return conviction_status(self.total, self.convicted)

    @property
    def category_table(self) -> pd.DataFrame:
        return categories_with_remainder(self.categories, self.convicted)

    @property
    def attribute_table(self) -> pd.DataFrame:
        return attribute_table(self.attributes, self.total)

    @property
    def series(self) -> pd.DataFrame:
        return national_series(self.arrests, self.criminality)


CHAPTER = "offences"
TITLE = "Offense breakdown"
SOURCES = ["ice-safe-city", "ice-safe-city-offences", "ice-annual-arrests", "article-claims"]
#: The sources each chart's numbers come from: its caption says "Data as of" the latest date they cover.
CHART_SOURCES = {"conviction-categories": ["ice-safe-city-offences"], "overlapping-attributes": ["ice-safe-city-offences"],
                 "national-share-convicted": ["ice-annual-arrests", "ice-safe-city-offences"]}
#: The words of the chapter's charts and reader tables: the `labels` mapping of its template.
LABEL = prose.labels("02_offences")
LABELS = {
    "convicted": "people with criminal convictions",
    "convicted_share": "share of those arrested with convictions",
    "dui": "people whose most serious conviction was DUI",
    "national_share": "ICE's national share with convictions that year",
    "largest_is_certain": "whether the largest itemized category is certainly the most common conviction",
}


def load(data_dir: Path, operation: str) -> Chapter:
    from . import claims
    from .sources import ice_annual, ice_offences, ice_release

    table = claims.load(data_dir)
    facts = ice_release.operation(data_dir, operation)
    facts = dict(facts) | {"release_date": ice_release.release(data_dir, operation)["published"]}
    return Chapter(operation=operation, facts=facts,
                   attributes=ice_offences.attributes(data_dir, operation),
                   categories=ice_offences.conviction_categories(data_dir, operation),
                   arrests=ice_annual.arrests(data_dir), criminality=ice_annual.criminality(data_dir),
                   claims=table[table["chapter"] == CHAPTER].reset_index(drop=True))


def _stated(value):
    """A claim's stated value as data: a whole number when it is one, else the text."""
    text = str(value).strip()
    return int(text.replace(",", "")) if text.replace(",", "").isdigit() else text


def article_claims(claims: pd.DataFrame, parameters: dict) -> dict:
    """The article's figures this chapter checks, by the chapter value each is checked against (claims.csv `key`):
    {"stated": {key: value}, "quote": {key: the article's words}, "on_terms": whether every claim's terms
    are this run's parameters}. A key no claim reads is absent, so its figure is None for the page."""
    from .claims import parse_terms

    stated, quote, on_terms = {}, {}, True
    for row in claims.to_dict("records"):
        if pd.isna(row.get("key")) or pd.isna(row.get("stated_value")):
            continue
        key = str(row["key"])
        stated[key] = _stated(row["stated_value"])
        # Every claim's quote is the article's own words (tests/test_quotes.py checks them against its full text).
        quote[key] = str(row["quote"]) if isinstance(row.get("quote"), str) else None
        terms = parse_terms(row.get("terms"))
        on_terms &= all(str(parameters.get(name)) == wanted for name, wanted in terms.items())
    return {"stated": stated, "quote": quote, "on_terms": bool(on_terms and stated)}


_REPRODUCED = re.compile(r"\bas (?:reported|reproduced|quoted) (?:by|in) (.+?)(?:;|$)")


def reproductions(citations: Iterable[str]) -> list[str]:
    """Who reproduced a figure the book could not read at its origin, as each row's citation names them
    ("..., as reported by X and Y; partial" -> "X and Y"); citations that name nobody are left out."""
    found = []
    for citation in citations:
        match = _REPRODUCED.search(str(citation))
        if match and match.group(1).strip() not in found:
            found.append(match.group(1).strip())
    return found


def _sources(frame: pd.DataFrame) -> list[str]:
    return sorted({str(v) for v in frame["source"].dropna()}) if "source" in frame else []


def _sign(gap: float) -> int:
    """-1, 0 or 1: the direction of a gap between two shares as a page prints it (one decimal of a percentage)."""
    shown = round(gap * 1000)
    return 0 if shown == 0 else (1 if shown > 0 else -1)


def _count_sign(difference: int | None) -> int | None:
    return None if difference is None else (difference > 0) - (difference < 0)


def _national_figure(criminality: pd.DataFrame, year: int, definition: str) -> dict | None:
    """One published national figure for `year` under `definition`: its share of arrests and the decimals
    it was published with, or None when ICE published none here."""
    rows = criminality[(criminality["fiscal_year"] == year) & (criminality["definition"] == definition)]
    if rows.empty or pd.isna(rows["percent"].iloc[0]):
        return None
    percent = float(rows["percent"].iloc[0])
    return {"share": percent / 100, "percent": percent, "digits": _digits(percent)}


def results(ch: Chapter) -> dict:
    """The chapter's values and named conditions as plain data (None where not published), for its prose,
    the claims ledger and the intro."""
    total, convicted = ch.total, ch.convicted
    categories = ch.category_table
    itemised = categories[categories["itemised"]]
    remainder = int(categories.loc[~categories["itemised"], "people"].iloc[0])
    article = article_claims(ch.claims, {"operation": ch.operation})
    stated = article["stated"]
    article_category = stated.get("largest")
    by_category = dict(zip(itemised["category"].astype(str), (int(p) for p in itemised["people"])))
    dui = by_category.get(str(article_category)) if article_category is not None else None
    if ch.categories.empty:
        largest, largest_people, largest_names = None, None, []
    else:
        largest, largest_people = largest_itemised(ch.categories)
        largest_names = sorted(str(c) for c in ch.categories.loc[ch.categories["people"] == largest_people, "category"])
    series = ch.series
    national = national_share(series, ch.fiscal_year)
    year_row = series[series["fiscal_year"] == ch.fiscal_year]
    convicted_share = share(convicted, total)
    known = series[series["share"].notna()]
    missing = series[series["share"].isna()]
    published = set(zip(ch.criminality["fiscal_year"].astype(int), ch.criminality["definition"].astype(str)))
    other_years = sorted({y for y, d in published if d != NATIONAL_DEFINITION} & set(missing["fiscal_year"].astype(int)))
    nothing_years = sorted(set(missing["fiscal_year"].astype(int)) - set(other_years))
    others = [a for a in ch.attributes.itertuples() if a.attribute != CONVICTED]

    def against_article(key: str, computed):
        if stated.get(key) is None or computed is None or not isinstance(stated[key], int):
            return None
        return computed - stated[key]

    return {
        "operation": ch.operation,
        "fiscal_year": ch.fiscal_year,
        "days": int((pd.Timestamp(ch.facts["end_date"]) - pd.Timestamp(ch.facts["start_date"])).days) + 1,
        "start_date": f"{pd.Timestamp(ch.facts['start_date']):%Y-%m-%d}",
        "end_date": f"{pd.Timestamp(ch.facts['end_date']):%Y-%m-%d}",
        "release_date": f"{pd.Timestamp(ch.facts['release_date']):%Y-%m-%d}",
        "total": total,
        "countries": None if pd.isna(ch.facts["countries"]) else int(ch.facts["countries"]),
        "convicted": convicted,
        "not_convicted": total - convicted,
        "convicted_share": convicted_share,
        "not_convicted_share": share(total - convicted, total),
        # The article's figures (claims.csv) and how the data compare: computed minus stated.
        "on_claims_terms": article["on_terms"],
        "article": {key: stated.get(key) for key in ("countries", "convicted", "not_convicted", "dui", "largest")},
        "quote": {key: article["quote"].get(key) for key in ("countries", "convicted", "not_convicted", "dui", "largest")},
        "countries_minus_article": against_article("countries", None if pd.isna(ch.facts["countries"])
                                                   else int(ch.facts["countries"])),
        "convicted_minus_article": against_article("convicted", convicted),
        "not_convicted_minus_article": against_article("not_convicted", total - convicted),
        "dui_minus_article": against_article("dui", dui),
        # The conviction categories, as far as the reports available itemise them.
        "n_categories": len(itemised),
        "categories": [{"category": str(r.category), "people": int(r.people), "share": float(r.share)}
                       for r in itemised.itertuples()],
        "itemised": int(itemised["people"].sum()),
        "not_itemised": remainder,
        "itemised_share": share(int(itemised["people"].sum()), convicted),
        "not_itemised_share": share(remainder, convicted),
        "reproduced_by": reproductions(_sources(ch.categories)),
        "sources": {"categories": _sources(ch.categories), "attributes": _sources(ch.attributes)},
        "article_category": article_category,
        "dui": dui,
        "dui_share": None if dui is None else share(dui, convicted),
        "larger_than_article": [] if dui is None else
        [{"category": c, "people": p} for c, p in by_category.items() if p > dui],
        "n_larger_than_article": 0 if dui is None else sum(p > dui for p in by_category.values()),
        "largest_category": largest,  # tied categories joined with "and": the key the claims ledger compares
        "largest_categories": largest_names,
        "largest_tied": len(largest_names) > 1,
        "largest_category_people": largest_people,
        "largest_category_share": None if largest_people is None else share(largest_people, convicted),
        "largest_is_article_category": (None if largest is None or article_category is None
                                        else largest_names == [str(article_category)]),
        "largest_is_certain": None if largest is None else largest_is_certain(ch.categories, convicted),
        "not_itemised_vs_largest": _count_sign(None if largest_people is None else remainder - largest_people),
        # The counts that overlap: every attribute, and those besides having a conviction.
        "attributes": [{"attribute": str(a.attribute), "people": int(a.people), "share": share(int(a.people), total)}
                       for a in ch.attributes.itertuples()],
        "n_attributes": len(ch.attributes),
        "other_attributes": [{"attribute": str(a.attribute), "wording": str(a.wording), "people": int(a.people),
                              "share": share(int(a.people), total)} for a in others],
        "n_other_attributes": len(others),
        # ICE's arrests nationwide.
        "national_arrests": None if year_row.empty else int(year_row["arrests"].iloc[0]),
        "national_convicted": (None if year_row.empty or pd.isna(year_row["people"].iloc[0])
                               else int(year_row["people"].iloc[0])),
        "national_share": national,
        "share_gap": None if national is None else convicted_share - national,
        "share_gap_sign": None if national is None else _sign(convicted_share - national),
        "national_pending": _national_figure(ch.criminality, ch.fiscal_year, PENDING_ONLY),
        "national_neither": _national_figure(ch.criminality, ch.fiscal_year, NEITHER),
        "national_first_year": int(series["fiscal_year"].min()),
        "national_last_year": int(series["fiscal_year"].max()),
        "national_years": [int(y) for y in known["fiscal_year"]],
        "national_year_spans": year_spans(known["fiscal_year"].tolist()),
        "national_known": [{"fiscal_year": int(r.fiscal_year), "share": float(r.share),
                            "computed": not pd.isna(r.people),
                            "percent": None if pd.isna(r.percent) else float(r.percent),
                            "digits": 1 if pd.isna(r.percent) else _digits(r.percent)} for r in known.itertuples()],
        "national_missing_years": [int(y) for y in missing["fiscal_year"]],
        "national_missing_spans": year_spans(missing["fiscal_year"].tolist()),
        "national_other_spans": year_spans(other_years),
        "national_nothing_spans": year_spans(nothing_years),
        "national_other_definitions": sorted({d for y, d in published if y in other_years and d != NATIONAL_DEFINITION}),
    }


def tables(ch: Chapter) -> dict[str, pd.DataFrame]:
    """The chapter's tables for the Downloads page (machine-friendly columns)."""
    return {"offences_conviction_status": ch.status, "offences_conviction_categories": ch.category_table,
            "offences_attributes": ch.attribute_table,
            "offences_national_published": published_data(ch.arrests, ch.criminality)}
