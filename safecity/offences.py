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

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd

from . import charts
from .book import fmt_pct
from .text import count, fy, join_and

#: The split of everyone arrested into convicted / not convicted.
CONVICTION_STATUS = "conviction status"
#: The split of the people with convictions by their most serious conviction.
MOST_SERIOUS = "most serious conviction"
#: The attribute (in attributes.csv) that counts people with a criminal conviction.
CONVICTED = "criminal conviction"
#: The rest of everyone arrested: the article's "no prior criminal conviction".
NOT_CONVICTED = "no criminal conviction reported"
#: The people with convictions whose category no available report gives.
NOT_ITEMISED = "not itemised in the release"
#: The conviction category the article calls the most common.
DUI = "DUI"
#: The national definition that matches "had criminal convictions" in an operation's release.
NATIONAL_DEFINITION = "convicted"

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
        raise ValueError("no conviction categories are itemised")
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


def _years_text(years: list[int]) -> str:
    """Fiscal years as prose, consecutive years as a range: "FY2015–FY2016 and FY2019"."""
    runs: list[list[int]] = []
    for year in sorted(int(y) for y in years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    names = [name for r in runs for name in ([f"{fy(r[0])}–{fy(r[-1])}"] if len(r) > 2 else [fy(y) for y in r])]
    if not names:
        return "none"
    return join_and(names)


# --- Charts -----------------------------------------------------------------------------------------


def _objects(values) -> pd.Series:
    """Whole numbers for a reader's table, as text so that a missing one is shown as "missing" (not <NA>)."""
    return pd.Series([None if pd.isna(v) else str(int(v)) for v in values], dtype="str")


def _label(people: int, part_share: float) -> str:
    return f"{people:,} ({fmt_pct(part_share)})"


def status_chart(status: pd.DataFrame, operation: str, source: str) -> charts.Figure:
    """One bar for everyone arrested, split into convicted and not: the only stacked chart, because these are parts."""
    total = add_up(Group(r.group, r.people, CONVICTION_STATUS) for r in status.itertuples())
    data = pd.DataFrame({"group": status["group"].astype(str).tolist(), "people": status["people"].astype("int64").tolist(),
                         "share": status["share"].astype("float64").tolist()})
    data["start"] = data["people"].cumsum() - data["people"]
    data["end"] = data["people"].cumsum()
    data["middle"] = (data["start"] + data["end"]) / 2
    data["label"] = [_label(p, s) for p, s in zip(data["people"], data["share"])]
    domain = data["group"].tolist()
    tooltip = [alt.Tooltip("group:N", title="Group"), alt.Tooltip("people:Q", title="People", format=","),
               alt.Tooltip("share:Q", title=f"Share of {total:,} arrested", format=".1%")]
    bars = alt.Chart(data).mark_bar(height=44).encode(
        x=alt.X("start:Q", title=f"People arrested in {operation}", scale=alt.Scale(domain=[0, total]),
                axis=alt.Axis(tickCount=5)),
        x2="end:Q",
        y=alt.value(30),
        color=alt.Color("group:N", scale=alt.Scale(domain=domain, range=[charts.PALETTE[0], charts.PALETTE[1]]),
                        title=None, legend=alt.Legend(orient="bottom")),
        tooltip=tooltip)
    text = alt.Chart(data).mark_text(color="#000000", fontSize=13).encode(
        x="middle:Q", y=alt.value(30), text="label:N", tooltip=tooltip)
    chart = (bars + text).properties(width="container", height=60)
    convicted, rest = data.iloc[0], data.iloc[1]
    title = (f"{fmt_pct(convicted['share'])} of the {total:,} people arrested had a criminal conviction; "
             f"{int(rest['people']):,} had none reported")
    alt_text = (f"Bar of all {total:,} people arrested in {operation}, split in two: {int(convicted['people']):,} "
                f"({fmt_pct(convicted['share'])}) with a criminal conviction and {int(rest['people']):,} "
                f"({fmt_pct(rest['share'])}) without one reported.")
    table = pd.DataFrame({"group": data["group"], "people": data["people"],
                          "share of arrested": [fmt_pct(s) for s in data["share"]]})
    return charts.Figure(chart, name="conviction-status", title=title, source=source, alt_text=alt_text, data=table)


def categories_chart(table: pd.DataFrame, source: str) -> charts.Figure:
    """Bars for each itemised category and, in grey, the people with convictions that no report itemises."""
    convicted = add_up(Group(r.category, r.people, MOST_SERIOUS) for r in table.itertuples())
    data = pd.DataFrame({"category": table["category"].astype(str).tolist(),
                         "people": table["people"].astype("int64").tolist(),
                         "share": table["share"].astype("float64").tolist(),
                         "kind": ["itemised in the release" if i else NOT_ITEMISED for i in table["itemised"]]})
    data["label"] = [_label(p, s) for p, s in zip(data["people"], data["share"])]
    order = data["category"].tolist()
    tooltip = [alt.Tooltip("category:N", title="Most serious conviction"),
               alt.Tooltip("people:Q", title="People", format=","),
               alt.Tooltip("share:Q", title=f"Share of {convicted:,} with convictions", format=".1%")]
    base = alt.Chart(data).encode(y=alt.Y("category:N", sort=order, title=None), tooltip=tooltip)
    bars = base.mark_bar().encode(
        x=alt.X("people:Q", title="People, by most serious conviction"),
        color=alt.Color("kind:N", scale=alt.Scale(domain=["itemised in the release", NOT_ITEMISED],
                                                  range=[charts.PALETTE[0], GREY]),
                        title=None, legend=alt.Legend(orient="bottom")))
    text = base.mark_text(align="left", dx=4, color="#000000").encode(x="people:Q", text="label:N")
    chart = (bars + text).properties(width="container", height=26 * len(data))
    itemised = table[table["itemised"]]
    rest = table[~table["itemised"]].iloc[0]
    name, top = largest_itemised(itemised)
    title = (f"{name} is the largest category the release itemises ({top:,} of {convicted:,}), "
             f"but {int(rest['people']):,} people with convictions are not itemised")
    listed = "; ".join(f"{r.category} {int(r.people):,} ({fmt_pct(r.share)})" for r in itemised.itertuples())
    alt_text = (f"Bar chart of the {convicted:,} people with convictions by most serious conviction. "
                f"Itemised: {listed}. Not itemised in the release: {int(rest['people']):,} "
                f"({fmt_pct(rest['share'])}).")
    numbers = pd.DataFrame({"most serious conviction": data["category"], "people": data["people"],
                            "share of people with convictions": [fmt_pct(s) for s in data["share"]]})
    return charts.Figure(chart, name="conviction-categories", title=title, source=source, alt_text=alt_text,
                         data=numbers)


def attributes_chart(table: pd.DataFrame, total: int, source: str) -> charts.Figure:
    """One bar per attribute, each against all arrested (a grey track): side by side, never stacked."""
    data = pd.DataFrame({"attribute": table["attribute"].astype(str).tolist(),
                         "people": table["people"].astype("int64").tolist(),
                         "share": table["share"].astype("float64").tolist()})
    data["total"] = int(total)
    data["label"] = [f"{p:,} of {total:,} ({fmt_pct(s)})" for p, s in zip(data["people"], data["share"])]
    order = data["attribute"].tolist()
    tooltip = [alt.Tooltip("attribute:N", title="Attribute"), alt.Tooltip("people:Q", title="People", format=","),
               alt.Tooltip("share:Q", title=f"Share of {total:,} arrested", format=".1%")]
    base = alt.Chart(data).encode(y=alt.Y("attribute:N", sort=order, title=None), tooltip=tooltip)
    track = base.mark_bar(color=TRACK).encode(x=alt.X("total:Q", title=f"People (each bar out of all {total:,} arrested)",
                                                      scale=alt.Scale(domain=[0, total])))
    bars = base.mark_bar(color=charts.PALETTE[2]).encode(x="people:Q")
    text = base.mark_text(align="left", dx=4, color="#000000").encode(x="people:Q", text="label:N")
    chart = (track + bars + text).properties(width="container", height=34 * len(data))
    others = [r for r in data.itertuples() if r.attribute != CONVICTED]
    named = ", ".join(f"{r.attribute} {r.people:,}" for r in others)
    title = f"Overlapping counts, each out of all {total:,} arrested: {named}"
    listed = "; ".join(f"{r.attribute} {r.people:,} ({fmt_pct(r.share)})" for r in data.itertuples())
    alt_text = (f"Bar chart of {len(data)} attributes of the {total:,} people arrested, each bar out of all "
                f"{total:,}: {listed}. One person can have several attributes, so the bars are not added up.")
    numbers = pd.DataFrame({"attribute": data["attribute"], "people": data["people"],
                            "share of arrested": [fmt_pct(s) for s in data["share"]]})
    return charts.Figure(chart, name="overlapping-attributes", title=title, source=source, alt_text=alt_text,
                         data=numbers, note="Groups overlap; a person can be in several.")


def national_chart(series: pd.DataFrame, criminality: pd.DataFrame, operation: str, operation_year: int,
                   operation_convicted: int, operation_total: int, source: str) -> charts.Figure:
    """ICE's nationwide share of arrests with a conviction by fiscal year, gaps left as gaps, and the operation."""
    operation_share = share(operation_convicted, operation_total)
    years = [fy(y) for y in series["fiscal_year"]]
    other = {}
    for year, group in criminality[criminality["definition"] != NATIONAL_DEFINITION].groupby("fiscal_year"):
        other[fy(year)] = ", ".join(sorted(set(str(d) for d in group["definition"])))
    national = pd.DataFrame({
        "series": "ICE nationwide (convicted)",
        "year": years,
        "share": series["share"].astype("float64").tolist(),
        "shown": [share_text(r) for _, r in series.iterrows()],
        "people": [None if pd.isna(p) else int(p) for p in series["people"]],
        "arrests": series["arrests"].astype("int64").tolist(),
        "basis": series["basis"].astype(str).tolist(),
    })
    national["people"] = national["people"].astype("object")
    point = pd.DataFrame({"series": [operation], "year": [fy(operation_year)], "share": [float(operation_share)],
                          "shown": [fmt_pct(operation_share)]})
    missing = national[national["share"].isna()].copy()
    missing["note"] = [f"No 'convicted' figure; published instead: {other[y]}" if y in other
                       else "Nothing published here" for y in missing["year"]]
    domain = ["ICE nationwide (convicted)", operation]
    colour = alt.Color("series:N", scale=alt.Scale(domain=domain, range=[charts.PALETTE[0], charts.PALETTE[5]]),
                       title=None, legend=alt.Legend(orient="bottom"))
    x = alt.X("year:O", title="Fiscal year", scale=alt.Scale(domain=years), axis=alt.Axis(labelAngle=0))
    y = alt.Y("share:Q", title="Share with a criminal conviction", scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(format="%"))
    line = alt.Chart(national).mark_line(point=True, invalid="break-paths-show-domains").encode(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("year:N", title="Fiscal year"), alt.Tooltip("shown:N", title="Convicted"),
                 alt.Tooltip("people:Q", title="People convicted", format=","),
                 alt.Tooltip("arrests:Q", title="Arrests", format=","), alt.Tooltip("basis:N", title="Basis")])
    dot = alt.Chart(point).mark_point(shape="diamond", size=160, filled=True).encode(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("series:N", title="Operation"), alt.Tooltip("year:N", title="Fiscal year"),
                 alt.Tooltip("shown:N", title="Convicted")])
    gaps = alt.Chart(missing).mark_text(text="no figure", color="#666666", fontSize=10, angle=270, align="left").encode(
        x=x, y=alt.value(150), tooltip=[alt.Tooltip("year:N", title="Fiscal year"), alt.Tooltip("note:N", title="Note")])
    chart = (line + dot + gaps).properties(width="container", height=280)
    known = series[series["share"].notna()]
    national_same = national_share(series, operation_year)
    if national_same is None:
        title = (f"{operation}: {fmt_pct(operation_share)} with a conviction; ICE published no nationwide "
                 f"'convicted' share for {fy(operation_year)}")
    else:
        gap = operation_share - national_same
        compared = _relation(gap, "a smaller share", "a larger share", "the same share")
        title = (f"{operation} had {compared} with a conviction {_relation(gap, 'than', 'than', 'as')} ICE's arrests "
                 f"nationwide in {fy(operation_year)}: {fmt_pct(operation_share)} against {fmt_pct(national_same)}")
    listed = "; ".join(f"{fy(r['fiscal_year'])} {share_text(r)}" for _, r in known.iterrows())
    gaps_text = _years_text([int(y) for y in series.loc[series["share"].isna(), "fiscal_year"]])
    alt_text = (f"Line chart of the share of ICE's administrative arrests nationwide with a criminal conviction, "
                f"{years[0]} to {years[-1]}. Published under this definition: {listed}. No figure under this "
                f"definition for {gaps_text}, shown as gaps. {operation} ({fy(operation_year)}): "
                f"{fmt_pct(operation_share)}.")
    numbers = pd.DataFrame({"arrests by": "ICE nationwide", "fiscal year": years,
                            "arrests": _objects(national["arrests"]),
                            "people convicted": _objects(series["people"]),
                            "share convicted": [t or None for t in national["shown"]], "basis": national["basis"]})
    numbers = pd.concat([numbers, pd.DataFrame({
        "arrests by": [operation], "fiscal year": [fy(operation_year)],
        "arrests": _objects([operation_total]),
        "people convicted": _objects([operation_convicted]),
        "share convicted": [fmt_pct(operation_share)], "basis": ["computed from the published count"]})],
        ignore_index=True)
    return charts.Figure(chart, name="national-share-convicted", title=title, source=source, alt_text=alt_text,
                         data=numbers, columns={"arrests": ("arrests", "count"),
                                                "people convicted": ("people convicted", "count")})


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


def load(data_dir: Path, operation: str) -> Chapter:
    from .sources import ice_annual, ice_offences, ice_release

    return Chapter(operation=operation, facts=ice_release.operation(data_dir, operation),
                   attributes=ice_offences.attributes(data_dir, operation),
                   categories=ice_offences.conviction_categories(data_dir, operation),
                   arrests=ice_annual.arrests(data_dir), criminality=ice_annual.criminality(data_dir))


CHAPTER = "offences"
TITLE = "Offence breakdown"
SOURCES = ["ice-safe-city", "ice-safe-city-offences", "ice-annual-arrests"]
LABELS = {
    "convicted": "people with criminal convictions",
    "convicted_pct": "share of those arrested with convictions",
    "dui": "people whose most serious conviction was DUI",
    "national_pct": "ICE's national share with convictions that year",
    "largest_is_certain": "whether the largest itemised category is certainly the most common conviction",
}


def results(ch: Chapter) -> dict:
    """The chapter's values as plain numbers (None where not published), for its prose, the ledger and the intro."""
    operation = ch.operation
    total, convicted = ch.total, ch.convicted
    by_attribute = dict(zip(ch.attributes["attribute"], (int(p) for p in ch.attributes["people"])))
    categories = ch.category_table
    itemised = categories[categories["itemised"]]
    remainder = int(categories.loc[~categories["itemised"], "people"].iloc[0])
    largest, largest_people = largest_itemised(ch.categories) if not ch.categories.empty else (None, None)
    by_category = dict(zip(itemised["category"], (int(p) for p in itemised["people"])))
    dui = by_category.get(DUI)
    series = ch.series
    national = national_share(series, ch.fiscal_year)
    year_row = series[series["fiscal_year"] == ch.fiscal_year]
    convicted_share = share(convicted, total)
    return {
        "operation": operation,
        "fiscal_year": ch.fiscal_year,
        "days": int((pd.Timestamp(ch.facts["end_date"]) - pd.Timestamp(ch.facts["start_date"])).days) + 1,
        "start_date": f"{pd.Timestamp(ch.facts['start_date']):%Y-%m-%d}",
        "end_date": f"{pd.Timestamp(ch.facts['end_date']):%Y-%m-%d}",
        "total": total,
        "countries": None if pd.isna(ch.facts["countries"]) else int(ch.facts["countries"]),
        "convicted": convicted,
        "not_convicted": total - convicted,
        "convicted_share": convicted_share,
        "not_convicted_share": share(total - convicted, total),
        "n_categories": len(itemised),
        "itemised": int(itemised["people"].sum()),
        "not_itemised": remainder,
        "itemised_share": share(int(itemised["people"].sum()), convicted),
        "not_itemised_share": share(remainder, convicted),
        "dui": dui,
        "dui_share": None if dui is None else share(dui, convicted),
        "largest_category": largest,
        "largest_category_people": largest_people,
        "largest_is_certain": None if largest is None else largest_is_certain(ch.categories, convicted),
        "fugitives": by_attribute.get("immigration fugitive"),
        "previously_deported": by_attribute.get("previously deported"),
        "gang": by_attribute.get("gang member or affiliate"),
        "national_arrests": None if year_row.empty else int(year_row["arrests"].iloc[0]),
        "national_convicted": (None if year_row.empty or pd.isna(year_row["people"].iloc[0])
                               else int(year_row["people"].iloc[0])),
        "national_share": national,
        "national_share_fy2017": national_share(series, 2017),
        "share_gap": None if national is None else convicted_share - national,
        "national_years": [int(y) for y in series.loc[series["share"].notna(), "fiscal_year"]],
        "national_missing_years": [int(y) for y in series.loc[series["share"].isna(), "fiscal_year"]],
    }


def _relation(gap: float, lower: str, higher: str, same: str) -> str:
    """The word for a gap between two shares: `same` when it does not show at the one decimal a page prints."""
    if round(gap * 1000) == 0:
        return same
    return lower if gap < 0 else higher


def words(values: dict) -> dict:
    """What the page shows: counts and names as they are, shares and years formatted, comparison words chosen
    from the numbers; unknowns left out."""
    out = {k: v for k, v in values.items()
           if v is not None and not isinstance(v, (float, list, dict)) and k != "fiscal_year"}
    out["fy"] = fy(values["fiscal_year"])
    out["n_categories_text"] = count(values["n_categories"], "category", "categories")
    for name in ("convicted_share", "not_convicted_share", "itemised_share", "not_itemised_share", "dui_share",
                 "national_share", "national_share_fy2017"):
        if values.get(name) is not None:
            out[name.replace("_share", "_pct")] = fmt_pct(values[name])
    for name in ("fugitives", "previously_deported", "gang"):
        if values.get(name) is not None:
            out[f"{name}_pct"] = fmt_pct(share(values[name], values["total"]))
    if values.get("largest_category_people") is not None:
        out["largest_category_pct"] = fmt_pct(share(values["largest_category_people"], values["convicted"]))
    if values.get("largest_is_certain") is not None:
        rest, top, largest = values["not_itemised"], values["largest_category_people"], values["largest_category"]
        if largest != DUI:
            out["largest_certainty"] = ("The release does not bear out the article's drunk driving as the most "
                                        "common conviction")
            out["largest_reason"] = (f"{largest} ({top:,}) is larger than {DUI} ({values['dui'] or 0:,})"
                                     if " and " not in largest else f"{largest} are tied, with {top:,} each")
        elif values["largest_is_certain"]:
            out["largest_certainty"] = ("The release shows that it was also the most common conviction overall, as "
                                        "the article says")
            out["largest_reason"] = (f"the {rest:,} people not itemised are fewer than its {top:,}, so no other "
                                     f"category can be larger")
        else:
            out["largest_certainty"] = ("The release cannot show that it was the most common conviction overall, as "
                                        "the article says")
            out["largest_reason"] = (f"the {rest:,} people not itemised are {'more than' if rest > top else 'as many as'}"
                                     f" its {top:,}, so one category among them could be "
                                     f"{'larger' if rest > top else 'as large'}")
    if values.get("share_gap") is not None:
        gap = values["share_gap"]
        out["share_gap_text"] = _relation(gap, f"{abs(gap) * 100:.1f} percentage points lower",
                                          f"{abs(gap) * 100:.1f} percentage points higher", "the same")
        out["share_vs_national"] = _relation(gap, "below", "above", "the same as")
    out["national_years_text"] = _years_text(values["national_years"])
    out["national_missing_years_text"] = _years_text(values["national_missing_years"])
    return out


def tables(ch: Chapter) -> dict[str, pd.DataFrame]:
    """The chapter's tables for the Downloads page (machine-friendly columns)."""
    return {"offences_conviction_status": ch.status, "offences_conviction_categories": ch.category_table,
            "offences_attributes": ch.attribute_table,
            "offences_national_published": published_data(ch.arrests, ch.criminality)}
