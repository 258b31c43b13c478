"""Arrests by area: ICE's list against the article's, with the differences reconciled from later reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import charts, prose
from .errors import DataError, Problem


@dataclass(frozen=True)
class AreaComparison:
    """The two lists side by side plus the totals that must be reconciled."""

    table: pd.DataFrame
    ice_total: int
    article_total: int
    stated_total: int

    @property
    def article_excess(self) -> int:
        """How far the article's places overshoot the total it states."""
        return self.article_total - self.stated_total

    @property
    def differing(self) -> pd.DataFrame:
        # A missing article figure is not a difference: the article simply did not list the area.
        return self.table[self.table["difference"].fillna(0) != 0]


def compare(ice: pd.DataFrame, article: pd.DataFrame, stated_total: int) -> AreaComparison:
    """Join the article's places to ICE's areas and compute each difference.

    Every article place must name an ICE area and every ICE area must appear once;
    otherwise the comparison would silently drop arrests.
    """
    article = article.reset_index(drop=True)
    unknown = sorted(set(article["ice_area"]) - set(ice["area"]))
    if unknown:
        raise ValueError(f"article places refer to areas not in ICE's list: {', '.join(unknown)}")
    repeated = article["ice_area"][article["ice_area"].duplicated()].tolist()
    if repeated:
        raise ValueError(f"more than one article place maps to: {', '.join(repeated)}")
    table = ice.rename(columns={"area": "ice_area", "arrests": "ice_arrests"})[["ice_area", "ice_arrests", "geography"]]
    table = table.merge(article.rename(columns={"arrests": "article_arrests", "place": "article_place"})
                        [["ice_area", "article_place", "article_arrests"]], on="ice_area", how="left")
    table["difference"] = table["article_arrests"] - table["ice_arrests"]
    table["same_name"] = (table["article_place"] == table["ice_area"]).fillna(False).astype(bool)
    return AreaComparison(
        table=table.reset_index(drop=True),
        ice_total=int(ice["arrests"].sum()),
        article_total=int(article["arrests"].sum()),
        stated_total=int(stated_total),
    )


@dataclass(frozen=True)
class AreaBreakdown:
    """Reported parts of one ICE area, and what they imply for the two lists' figures."""

    area: str
    parts: pd.DataFrame
    total_min: int
    total_max: int

    def contains(self, value: int) -> bool:
        return self.total_min <= value <= self.total_max

    def part(self, name: str) -> tuple[int, int]:
        row = self.parts[self.parts["component"] == name]
        if row.empty:
            raise KeyError(f"{self.area}: no reported part named '{name}'")
        return int(row["arrests_min"].iloc[0]), int(row["arrests_max"].iloc[0])

    def remainder(self, total: int, name: str) -> int:
        """The part `name` implied by `total` minus every other reported part."""
        others = self.parts[self.parts["component"] != name]
        if (others["arrests_min"] != others["arrests_max"]).any():
            raise ValueError(f"{self.area}: other parts are ranges, the remainder is not determined")
        return int(total - others["arrests_min"].sum())


def breakdown(components: pd.DataFrame, area: str) -> AreaBreakdown:
    parts = components[components["ice_area"] == area].reset_index(drop=True)
    if parts.empty:
        raise KeyError(f"no reported breakdown for area '{area}'")
    return AreaBreakdown(area=area, parts=parts, total_min=int(parts["arrests_min"].sum()),
                         total_max=int(parts["arrests_max"].sum()))


@dataclass(frozen=True)
class Finding:
    """What the later reports say about one area whose figures differ or that a report breaks down."""

    area: str
    place: str
    ice: int
    article: int
    geography: str
    kind: str  # one of FINDING_KINDS
    covered: str = ""  # the reported part ICE's figure covers ("subset")
    parts: tuple[tuple[str, int], ...] = ()  # reported parts with a single figure, besides `covered`
    ranged: tuple[str, int, int, int] | None = None  # (part, low, high, figure implied by the others)
    source: str = ""
    explains_gap: bool = False  # this area alone accounts for the gap between the article's sum and its total

    @property
    def difference(self) -> int:
        return self.article - self.ice


NO_REPORT, SUBSET, UNEXPLAINED, SAME_FIGURE = "no report", "subset", "unexplained", "same figure"
FINDING_KINDS = (NO_REPORT, SUBSET, UNEXPLAINED, SAME_FIGURE)


def reconcile(comparison: AreaComparison, components: pd.DataFrame) -> list[Finding]:
    """One finding per area where the figures differ or a later report breaks the figure down."""
    found = []
    areas_with_parts = set(components["ice_area"])
    for row in comparison.table.itertuples():
        if pd.isna(row.difference) or (row.difference == 0 and row.ice_area not in areas_with_parts):
            continue
        base = dict(area=str(row.ice_area), place=str(row.article_place), ice=int(row.ice_arrests),
                    article=int(row.article_arrests), geography=str(row.geography))
        if row.ice_area not in areas_with_parts:
            found.append(Finding(kind=NO_REPORT, **base))
            continue
        parts = breakdown(components, row.ice_area)
        table, source = parts.parts, str(parts.parts["source"].iloc[0])
        fixed = table[table["arrests_min"] == table["arrests_max"]]
        if row.difference != 0:
            covered = fixed[fixed["arrests_min"] == row.ice_arrests]
            if covered.empty or not parts.contains(int(row.article_arrests)):
                found.append(Finding(kind=UNEXPLAINED, source=source, **base))
                continue
            others = table[table["component"] != covered["component"].iloc[0]]
            found.append(Finding(
                kind=SUBSET, covered=str(covered["component"].iloc[0]), source=source,
                parts=tuple((str(r.component), int(r.arrests_min)) for r in others.itertuples()),
                explains_gap=int(row.difference) == comparison.article_excess, **base))
            continue
        ranged = table[table["arrests_min"] != table["arrests_max"]]
        span = None
        if len(ranged) == 1:
            name = str(ranged["component"].iloc[0])
            span = (name, int(ranged["arrests_min"].iloc[0]), int(ranged["arrests_max"].iloc[0]),
                    parts.remainder(int(row.ice_arrests), name))
        found.append(Finding(kind=SAME_FIGURE, source=source, ranged=span,
                             parts=tuple((str(r.component), int(r.arrests_min)) for r in fixed.itertuples()),
                             **base))
    return found


def finding_values(finding: Finding) -> dict:
    """One finding as plain values for the prose: its kind, both figures, the reported parts."""
    ranged = None
    if finding.ranged:
        name, low, high, implied = finding.ranged
        ranged = {"name": name, "low": low, "high": high, "implied": implied, "within": low <= implied <= high}
    return {"area": finding.area, "place": finding.place, "ice": finding.ice, "article": finding.article,
            "geography": finding.geography, "kind": finding.kind, "covered": finding.covered,
            "difference": finding.difference, "parts": [{"name": n, "arrests": v} for n, v in finding.parts],
            "ranged": ranged, "source": finding.source, "explains_gap": finding.explains_gap}


#: The words of the reader's table under the chart (column labels, totals rows, and "not listed", the cell for an
#: area one list does not name): the `labels` mapping of the chapter's template, with the page's other words.
LABEL = prose.labels("01_arrests_by_area")
NOT_LISTED = LABEL["not_listed"]


def side_by_side(comparison: AreaComparison) -> pd.DataFrame:
    """The reader's table: one row per area, both lists, and the totals row."""
    t = comparison.table
    listed = t["article_place"].notna()
    # An area the article does not list has no figure there: that is "not listed", not a missing value.
    out = pd.DataFrame({
        LABEL["ice_area"]: t["ice_area"], LABEL["ice_arrests"]: t["ice_arrests"],
        LABEL["article_place"]: t["article_place"].where(listed, NOT_LISTED),
        LABEL["article_arrests"]: t["article_arrests"].astype("object").where(listed, NOT_LISTED),
        LABEL["difference"]: t["difference"].astype("object").where(listed, NOT_LISTED),
    })
    total = pd.DataFrame([{LABEL["ice_area"]: LABEL["ice_sum"], LABEL["ice_arrests"]: comparison.ice_total,
                           LABEL["article_place"]: LABEL["article_sum"],
                           LABEL["article_arrests"]: comparison.article_total,
                           LABEL["difference"]: comparison.article_total - comparison.ice_total}])
    return pd.concat([out, total], ignore_index=True)


def gap_parts(comparison: AreaComparison) -> list[dict]:
    """What makes up the gap between the two sums (the article's places less ICE's areas): each area whose
    figures differ, with its difference, and each area only ICE lists, less all of its arrests."""
    t = comparison.table
    parts = [{"name": str(r.article_place), "area": str(r.ice_area), "difference": int(r.difference),
              "ice_only": False} for r in comparison.differing.itertuples()]
    parts += [{"name": str(r.ice_area), "area": str(r.ice_area), "difference": -int(r.ice_arrests), "ice_only": True}
              for r in t[t["article_place"].isna()].itertuples() if r.ice_arrests]
    return parts


def totals_chart(comparison: AreaComparison, text: dict[str, str]) -> charts.Figure:
    """Two bars: the article's places added up and ICE's areas added up, the part of the longer bar beyond the
    shorter one marked and labelled with what makes it up. Every word is the record's `text`
    (`arrests_by_area_*`); the table under the chart gives every area."""
    rows = [{"row": text["arrests_by_area_ice_bar"], "arrests": comparison.ice_total}]
    if comparison.table["article_place"].notna().any():
        rows.insert(0, {"row": text["arrests_by_area_article_bar"], "arrests": comparison.article_total})
    data = pd.DataFrame(rows)
    longer = data.loc[data["arrests"].idxmax()] if len(data) > 1 else data.iloc[0]
    gap = pd.DataFrame([{"row": longer["row"], "start": int(data["arrests"].min()), "end": int(longer["arrests"]),
                         "label": text["arrests_by_area_gap_label"]}])
    chart = charts.named_bars(data, name="row", value="arrests", value_title=text["arrests_by_area_value"],
                              extra=[charts.bar_segment(
        gap, name="row", start="start", end="end", label="label", colour=charts.PALETTE[1],
        order=data["row"].tolist())])
    return charts.Figure(chart, name="arrests-by-area", text=text, data=side_by_side(comparison))


@dataclass(frozen=True)
class Loaded:
    """One operation's inputs: both lists compared, the reported area breakdowns and ICE's stated facts."""

    operation: str
    comparison: AreaComparison
    components: pd.DataFrame
    facts: dict
    ice: pd.DataFrame
    article: pd.DataFrame


def check_places(data_dir, operation: str, ice: pd.DataFrame) -> None:
    """Every article place of `operation` names an area in ICE's list (`ice`): else a DataError, one line per
    place, naming the file, line and column."""
    from .sources import ice_release
    from .packages import display_path
    from .validate import read_table

    places = read_table(data_dir, ice_release.SOURCE, "article_places")
    shown = display_path(Path(data_dir, "raw", ice_release.SOURCE, "article_places.csv"))
    known = set(ice["area"])
    unknown = [Problem(shown, f"'{row.ice_area}' is not an area in ICE's list for '{operation}' "
                              f"(known: {', '.join(sorted(known))})", line=index + 2, column="ice_area")
               for index, row in places.iterrows() if row.operation == operation and row.ice_area not in known]
    if unknown:
        raise DataError(unknown)


def load(data_dir, operation: str, records: str) -> Loaded:
    """The comparison and the reported area breakdowns for one operation.

    `records` (a path relative to `data_dir`) switches ICE's side from the aggregate table to a
    record-level file aggregated over the operation's dates; empty means ICE's per-area table.
    """
    from .sources import ice_release

    facts = ice_release.operation(data_dir, operation)
    ice = (ice_release.arrests_from_records(data_dir, operation, records) if records
           else ice_release.arrests_by_area(data_dir, operation))
    check_places(data_dir, operation, ice)
    article = ice_release.article_places(data_dir, operation)
    comparison = compare(ice, article, facts["stated_total"])
    facts = dict(facts) | {"release_date": ice_release.release(data_dir, operation)["published"]}
    return Loaded(operation, comparison, ice_release.area_components(data_dir, operation), facts, ice, article)


CHAPTER = "arrests"
TITLE = "Arrests by area"
SOURCES = ["ice-safe-city", "ice-arrest-records"]
#: The sources each chart's numbers come from: its caption says "Data as of" the latest date they cover.
CHART_SOURCES = {"arrests-by-area": ["ice-safe-city"]}
LABELS = {
    "ice_total": "ICE's areas added up",
    "stated_total": "total ICE stated",
    "article_total": "the article's places added up",
    "n_agree": "areas where the two lists agree",
}


def _sources(frame: pd.DataFrame) -> list[str]:
    return sorted({str(v) for v in frame["source"].dropna()})


def results(loaded: Loaded) -> dict:
    """The chapter's values and named conditions as plain data, for its prose, the claims ledger and the intro."""
    comparison, components, facts = loaded.comparison, loaded.components, loaded.facts
    t = comparison.table
    in_both = t[t["article_place"].notna()]
    start, end = pd.Timestamp(facts["start_date"]), pd.Timestamp(facts["end_date"])
    return {
        "operation": loaded.operation,
        "start_date": f"{start:%Y-%m-%d}",
        "end_date": f"{end:%Y-%m-%d}",
        "operation_end": f"{end:%Y-%m-%d}",
        "release_date": f"{pd.Timestamp(facts['release_date']):%Y-%m-%d}",
        "days": int((end - start).days) + 1,
        "stated_total": comparison.stated_total,
        "countries": None if pd.isna(facts["countries"]) else int(facts["countries"]),
        "ice_total": comparison.ice_total,
        "article_total": comparison.article_total,
        "article_excess": comparison.article_excess,
        "article_minus_ice": comparison.article_total - comparison.ice_total,
        "ice_minus_stated": comparison.ice_total - comparison.stated_total,
        "n_areas": len(t),
        "n_article_places": len(in_both),
        "n_both": len(in_both),
        "n_agree": int((in_both["difference"] == 0).sum()),
        "n_differ": len(comparison.differing),
        "ice_only": [str(a) for a in t.loc[t["article_place"].isna(), "ice_area"]],
        "differing": [{"area": str(r.ice_area), "place": str(r.article_place), "ice": int(r.ice_arrests),
                       "article": int(r.article_arrests), "difference": int(r.difference)}
                      for r in comparison.differing.itertuples()],
        "differing_areas": [str(a) for a in comparison.differing["ice_area"]],
        "gap_parts": gap_parts(comparison),
        "n_gap_parts": len(gap_parts(comparison)),
        "n_renamed": int((~in_both["same_name"]).sum()),
        "renamed": [{"place": str(r.article_place), "area": str(r.ice_area), "geography": str(r.geography)}
                    for r in in_both[~in_both["same_name"]].itertuples()],
        "by_place": {str(r.article_place): {"article": int(r.article_arrests), "ice": int(r.ice_arrests),
                                            "ice_area": str(r.ice_area)} for r in in_both.itertuples()},
        "findings": [finding_values(f) for f in reconcile(comparison, components)],
        "n_areas_broken_down": len(set(components["ice_area"]) & set(t["ice_area"])),
        "sources": {"ice": _sources(loaded.ice), "article": _sources(loaded.article),
                    "reports": sorted({str(v) for v in components["source"]})},
    }


def tables(loaded: Loaded) -> dict[str, pd.DataFrame]:
    """The chapter's tables for the Downloads page (machine-friendly columns)."""
    return {"arrests_by_area": side_by_side(loaded.comparison), "arrests_area_components": loaded.components}
