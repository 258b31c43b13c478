"""What ICE's nationwide records show for every area its release named: the records chapter's national section,
from `data/raw/ice-national-arrests/` and this book's mapping of places to areas, `data/raw/ice-place-areas/`.

Reads `data/raw/ice-national-arrests/` (ICE's FOIA records, every area, FY2016 to FY2018), `data/raw/ice-place-areas/`
(this book's mapping of each place ICE named to the Area of Responsibility that holds it),
`data/raw/ice-records-coding/` (the book's grouping of arrest methods) and `data/raw/ice-safe-city/` (the
operation's dates, ICE's figures, the article's).

The same measures and the same comparison as the Seattle section (`seattle.spans`, `seattle.level`): one mechanism.
Each year's file is aggregated as it is read (arrests per day, area, method group and whether an operation is
recorded), so memory holds one year's records at a time, whatever the number of years. Plain values only; the
words are in `templates/08_seattle_records.md`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from . import charts, seattle
from .seattle import LABEL
from .errors import DataError, Problem
from .packages import display_path, load_descriptor
from .validate import read_table

SOURCES = ["ice-national-arrests", "ice-place-areas", "ice-annual-arrests"]
#: Methods the book groups as at large, from jails (CAP) or other (data/raw/ice-records-coding/arrest_methods.csv).
GROUPS = seattle.GROUPS
NOT_GROUPED = seattle.NOT_GROUPED
#: The name the records use for an arrest with no Area of Responsibility.
NO_AREA = "(no area)"


@dataclass
class National:
    """Every year's records aggregated, with the places ICE named and the areas that hold them."""

    operation: str
    start: pd.Timestamp
    end: pd.Timestamp
    cells: pd.DataFrame  # arrest_date, area, group, operation ("none", "redacted", "other") -> arrests
    years: list[dict]  # per file: fiscal_year, records, blank_area, redacted operations, path, request
    places: pd.DataFrame  # place, aor, extent, note, source, ice_figure, article_place, article_figure
    unmapped: list[str]  # places ICE named that the mapping does not place in an area
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    stated_total: int | None = None  # the operation's total ICE announced
    sources: list[str] | None = None  # the records' package's source titles, as the chart's source line gives them


def aggregate(records: pd.DataFrame, methods: pd.DataFrame) -> pd.DataFrame:
    """Arrests per day, area, method group and operation kind; only the distinct methods are looked up."""
    method = records["arrest_method"]
    lookup = dict(zip(methods["arrest_method"].astype(str), methods["group"].astype(str)))
    groups = np.array([lookup.get(m, NOT_GROUPED) for m in method.cat.categories], dtype=object)
    group = pd.Categorical(groups[method.cat.codes.to_numpy()], categories=[*GROUPS, NOT_GROUPED])
    area = records["area"].cat.add_categories([NO_AREA]).fillna(NO_AREA)
    frame = pd.DataFrame({"arrest_date": records["arrest_date"].to_numpy(), "area": area, "group": group,
                          "operation": records["operation"]})
    cells = frame.groupby(["arrest_date", "area", "group", "operation"], observed=True).size().rename("arrests")
    return cells.reset_index().astype({"area": str, "group": str, "operation": str})


def places(data_dir: Path, operation: str) -> tuple[pd.DataFrame, list[str]]:
    """The places ICE's release named with the area holding each (this book's coding), ICE's figure and the
    article's; and the places the coding leaves without an area."""
    from .sources import ice_release

    coding = read_table(data_dir, "ice-place-areas", "place_areas")
    if not coding.loc[coding["operation"] == operation, "place"].is_unique:
        raise DataError(Problem(display_path(Path(data_dir, "raw", "ice-place-areas", "place_areas.csv")),
                                f"a place is mapped twice for '{operation}'", column="place"))
    coding = coding[coding["operation"] == operation].drop(columns="operation")
    release = ice_release.arrests_by_area(data_dir, operation)
    known = set(release["area"].astype(str))
    stray = coding[~coding["place"].isin(known)]
    if not stray.empty:
        raise DataError(Problem(display_path(Path(data_dir, "raw", "ice-place-areas", "place_areas.csv")),
                                f"'{stray['place'].iloc[0]}' is not a place ICE's release names for '{operation}' "
                                f"(known: {', '.join(sorted(known))})", column="place"))
    article = ice_release.article_places(data_dir, operation).rename(
        columns={"place": "article_place", "arrests": "article_figure", "ice_area": "place"})
    table = (release[["area", "arrests", "source"]].rename(columns={"source": "release_source"}).rename(columns={"area": "place", "arrests": "ice_figure"})
             .merge(coding, on="place", how="left")
             .merge(article[["place", "article_place", "article_figure"]], on="place", how="left"))
    unmapped = table.loc[table["aor"].isna(), "place"].astype(str).tolist()
    return table.reset_index(drop=True), unmapped


def load(data_dir, operation: str) -> National:
    """Every year's file of `ice-national-arrests`, aggregated one at a time, and the places ICE named."""
    from .sources import ice_national_arrests, ice_release

    data_dir = Path(data_dir)
    facts = ice_release.operation(data_dir, operation)
    from .sources import ice_annual

    methods = read_table(data_dir, seattle.CODING, "arrest_methods")
    published = {int(r.fiscal_year): int(r.arrests) for r in ice_annual.arrests(data_dir).itertuples()}
    parts, years = [], []
    for year in ice_national_arrests.years(data_dir):
        parts.append(aggregate(year.records, methods))
        stated = published.get(year.fiscal_year)
        years.append({"fiscal_year": year.fiscal_year, "records": len(year.records), "blank_area": year.blank_area,
                      "operation_redacted": year.redacted["operation"], "request": year.request,
                      "published": stated, "agrees": stated is not None and stated == len(year.records),
                      "records_minus_published": None if stated is None else len(year.records) - stated})
        del year  # one year's records in memory at a time
    if not years:
        raise DataError(Problem(display_path(data_dir / "raw" / "ice-national-arrests" / "datapackage.json"),
                                "no records file listed"))
    years.sort(key=lambda y: y["fiscal_year"])
    cells = pd.concat(parts, ignore_index=True)
    table, unmapped = places(data_dir, operation)
    first, last = years[0]["fiscal_year"], years[-1]["fiscal_year"]
    missing = sorted(set(range(first, last + 1)) - {y["fiscal_year"] for y in years})
    if missing:
        raise DataError(Problem(display_path(data_dir / "raw" / "ice-national-arrests" / "datapackage.json"),
                                f"FY{missing[0]} is missing between FY{first} and FY{last}: the years must run "
                                "without a gap"))
    return National(operation, pd.Timestamp(facts["start_date"]), pd.Timestamp(facts["end_date"]), cells, years,
                    table, unmapped, pd.Timestamp(first - 1, 10, 1), pd.Timestamp(last, 9, 30),
                    None if pd.isna(facts.get("stated_total")) else int(facts["stated_total"]),
                    [str(s["title"]) for s in load_descriptor(data_dir / "raw" / "ice-national-arrests"
                                                              / "datapackage.json").get("sources", [])])


# --- Counting -----------------------------------------------------------------------------------------------


def daily(cells: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Every day of [first, last] (a day with no record: no arrest recorded) and its counts per measure."""
    days = pd.date_range(first, last, freq="D")
    out = pd.DataFrame(index=days)
    out["total"] = cells.groupby("arrest_date")["arrests"].sum()
    for group in GROUPS:
        out[group] = cells[cells["group"] == group].groupby("arrest_date")["arrests"].sum()
    out["operation"] = cells[cells["operation"] != "none"].groupby("arrest_date")["arrests"].sum()
    out = out.reindex(days).fillna(0).astype("int64")
    out.index.name = "date"
    return out


def standing(counts: pd.DataFrame, start, end, first, last, value: int) -> dict:
    """Where the operation's total stands among every other span of as many days in [first, last]."""
    table = seattle.spans(counts, start, end, first, last)
    others = table["total"].to_numpy()
    if len(others) < seattle.MIN_SPANS:
        return {"n_spans": int(len(others)), "too_few": True, "share_lower": None, "level": None, "rank": None,
                "median": None, "max": None}
    n_lower, n_equal = int((others < value).sum()), int((others == value).sum())
    n_higher = len(others) - n_lower - n_equal
    return {"n_spans": int(len(others)), "too_few": False, "share_lower": n_lower / len(others),
            "rank": n_higher + 1, "level": seattle.level(n_lower, n_equal, n_higher),
            "median": seattle._whole(float(np.median(others))), "max": int(others.max())}


def _share(part, whole):
    return None if part is None or not whole else part / whole


def _relation(records, figure):
    if records is None or figure is None:
        return None
    return "more" if records > figure else "fewer" if records < figure else "same"


def area_values(nat: National, aor: str, first, last, covered: bool) -> dict:
    """One area's counts over the operation's days, its standing, its at-large share and its Operation column."""
    cells = nat.cells[nat.cells["area"] == aor]
    present = not cells.empty
    if not (covered and present):
        return {"in_records": present, "records": None, "at_large": None, "cap": None, "other": None,
                "not_grouped": None, "at_large_share": None, "cap_share": None, "share_lower": None, "level": None,
                "n_spans": None, "rank": None, "median": None, "with_operation": None,
                "with_operation_share": None, "rest_with_operation_share": None, "operation_lead": None}
    counts = daily(cells, nat.period_start, nat.period_end)
    op = counts.loc[nat.start:nat.end]
    total = int(op["total"].sum())
    in_op = cells[(cells["arrest_date"] >= nat.start) & (cells["arrest_date"] <= nat.end)]
    by_group = in_op.groupby("group")["arrests"].sum()
    fy = seattle._fy(nat.end)
    rest = cells[(cells["arrest_date"] >= pd.Timestamp(fy - 1, 10, 1)) & (cells["arrest_date"] <= pd.Timestamp(fy, 9, 30))
                 & ((cells["arrest_date"] < nat.start) | (cells["arrest_date"] > nat.end))]
    with_op = int(in_op.loc[in_op["operation"] != "none", "arrests"].sum())
    rest_total = int(rest["arrests"].sum())
    rest_op = int(rest.loc[rest["operation"] != "none", "arrests"].sum())
    share, rest_share = _share(with_op, total), _share(rest_op, rest_total)
    lead = None if share is None or rest_share is None else (
        "higher" if share > rest_share else "lower" if share < rest_share else "same")
    stand = standing(counts, nat.start, nat.end, first, last, total)
    return {"in_records": True, "records": total,
            **{g: int(by_group.get(g, 0)) for g in GROUPS}, "not_grouped": int(by_group.get(NOT_GROUPED, 0)),
            "at_large_share": _share(int(by_group.get("at_large", 0)), total),
            "cap_share": _share(int(by_group.get("cap", 0)), total),
            "share_lower": stand["share_lower"], "level": stand["level"], "n_spans": stand["n_spans"],
            "rank": stand["rank"], "median": stand["median"],
            "with_operation": with_op, "with_operation_share": share, "rest_with_operation_share": rest_share,
            "rest_records": rest_total, "operation_lead": lead}


def results(nat: National) -> dict:
    """The national section's values: per place and area, nationwide on those days, at-large shares by year."""
    start, end = nat.start, nat.end
    covered = bool(start >= nat.period_start and end <= nat.period_end)
    first = max(start - pd.DateOffset(months=seattle.AROUND_MONTHS), nat.period_start)
    last = min(end + pd.DateOffset(months=seattle.AROUND_MONTHS), nat.period_end)
    rows = []
    for r in nat.places.itertuples():
        mapped = isinstance(r.aor, str) and bool(r.aor)
        values = area_values(nat, r.aor, first, last, covered) if mapped else area_values(nat, "", first, last, False)
        ice = int(r.ice_figure)
        article = None if pd.isna(r.article_figure) else int(r.article_figure)
        rows.append({"place": str(r.place), "aor": str(r.aor) if mapped else None, "mapped": mapped,
                     "extent": str(r.extent) if mapped else None,
                     "note": str(r.note) if mapped and isinstance(r.note, str) and r.note else None,
                     "whole_area": mapped and r.extent == "area",
                     "ice_figure": ice, "article_place": None if pd.isna(r.article_place) else str(r.article_place),
                     "article_figure": article, **values,
                     "records_vs_ice": _relation(values["records"], ice),
                     "records_minus_ice": None if values["records"] is None else values["records"] - ice,
                     "records_vs_article": _relation(values["records"], article),
                     "records_minus_article": None if values["records"] is None or article is None
                     else values["records"] - article,
                     "article_differs": article is not None and article != ice,
                     "with_operation_vs_ice": _relation(values["with_operation"], ice)})
    named = sorted({r["aor"] for r in rows if r["mapped"]})
    all_days = daily(nat.cells, nat.period_start, nat.period_end)
    op_days = all_days.loc[start:end] if covered else all_days.iloc[0:0]
    nation_total = int(op_days["total"].sum()) if covered else None
    nation = standing(all_days, start, end, first, last, nation_total) if covered else None
    named_total = sum(r["records"] for r in rows if r["records"] is not None and r["aor"] in named) if covered else None
    # an area named for two places is counted once
    named_total = int(nat.cells[(nat.cells["area"].isin(named)) & (nat.cells["arrest_date"] >= start)
                                & (nat.cells["arrest_date"] <= end)]["arrests"].sum()) if covered else None
    by_year = []
    fy_of = nat.cells["arrest_date"].dt.year + (nat.cells["arrest_date"].dt.month >= 10).astype(int)
    for fy in sorted(set(fy_of)):
        year = nat.cells[fy_of == fy]
        inside = year["area"].isin(named)
        rest = ~inside & (year["area"] != NO_AREA)
        def share(mask):
            part = year[mask]
            return _share(int(part.loc[part["group"] == "at_large", "arrests"].sum()), int(part["arrests"].sum()))
        by_year.append({"fy": int(fy), "named_at_large_share": share(inside), "rest_at_large_share": share(rest),
                        "named_records": int(year.loc[inside, "arrests"].sum()),
                        "rest_records": int(year.loc[rest, "arrests"].sum())})
    for y in by_year:
        a, b = y["named_at_large_share"], y["rest_at_large_share"]
        y["named_vs_rest"] = None if a is None or b is None else ("higher" if a > b else "lower" if a < b else "same")
    ice_sum = int(sum(r["ice_figure"] for r in rows))
    relations = [r["records_vs_ice"] for r in rows]
    return {
        "n_more": relations.count("more"), "n_fewer": relations.count("fewer"), "n_same": relations.count("same"),
        "n_missing": relations.count(None),
        "n_operation_higher": sum(1 for r in rows if r["operation_lead"] == "higher"),
        "n_with_records": sum(1 for r in rows if r["records"] is not None),
        "years_agree": all(y["agrees"] for y in nat.years),
        "fy": seattle._fy(end), "stated_total": nat.stated_total, "sources": nat.sources or [],
        "release_sources": sorted(set(nat.places["release_source"].astype(str))),
        "covered": covered, "period_start": f"{nat.period_start:%Y-%m-%d}", "period_end": f"{nat.period_end:%Y-%m-%d}",
        "first_fy": nat.years[0]["fiscal_year"], "last_fy": nat.years[-1]["fiscal_year"],
        "years": nat.years, "request": nat.years[0]["request"],
        "window_first": f"{first:%Y-%m-%d}", "window_last": f"{last:%Y-%m-%d}",
        "places": rows, "n_places": len(rows), "unmapped": nat.unmapped, "n_unmapped": len(nat.unmapped),
        "n_part": sum(1 for r in rows if r["mapped"] and not r["whole_area"]),
        "named_areas": named, "n_named_areas": len(named),
        "nation_op_total": nation_total,
        "nation_op_daily": [{"date": f"{d:%Y-%m-%d}", "total": int(v)} for d, v in op_days["total"].items()],
        "nation_share_lower": nation["share_lower"] if nation else None,
        "nation_level": nation["level"] if nation else None, "nation_n_spans": nation["n_spans"] if nation else None,
        "named_op_total": named_total,
        "named_op_share": _share(named_total, nation_total),
        "ice_figures_sum": ice_sum,
        "at_large_by_year": by_year,
        "at_large_higher_every_year": bool(by_year) and all(y["named_vs_rest"] == "higher" for y in by_year),
        "at_large_lower_every_year": bool(by_year) and all(y["named_vs_rest"] == "lower" for y in by_year),
    }


def compare_seattle(nat: National, seattle_loaded, aor: str) -> dict:
    """The two productions day by day where both cover the same days: the area file and the national file."""
    own = seattle.daily(seattle_loaded)["total"]
    cells = nat.cells[nat.cells["area"] == aor]
    first = max(nat.period_start, seattle_loaded.file["period_start"])
    last = min(nat.period_end, seattle_loaded.file["period_end"])
    if cells.empty or first > last:
        return {"compared": False, "aor": aor, "days": 0}
    theirs = daily(cells, first, last)["total"]
    own = own.loc[first:last]
    diff = (own - theirs)
    differ = diff[diff != 0]
    return {"compared": True, "aor": aor, "first": f"{first:%Y-%m-%d}", "last": f"{last:%Y-%m-%d}",
            "days": int(len(diff)), "days_differ": int(len(differ)), "days_agree": int((diff == 0).sum()),
            "area_file_total": int(own.sum()), "national_file_total": int(theirs.sum()),
            "area_minus_national": int(own.sum() - theirs.sum()),
            "largest_gap": int(diff.abs().max()) if len(diff) else 0,
            "op_area_file": int(own.loc[nat.start:nat.end].sum()) if first <= nat.start and nat.end <= last else None,
            "op_national_file": int(theirs.loc[nat.start:nat.end].sum()) if first <= nat.start and nat.end <= last
            else None,
            "agree": bool(len(differ) == 0)}


# --- Tables and the chart -----------------------------------------------------------------------------------


def chart_frame(values: dict) -> pd.DataFrame:
    """Per place: ICE's figure, the article's and the records for its area (a gap where there is none)."""
    rows = []
    for p in values["places"]:
        label = p["place"] if p["whole_area"] or not p["aor"] else f"{p['place']} ({p['aor']} area)"
        for kind, value in (("ICE's figure", p["ice_figure"]), ("The article", p["article_figure"]),
                            ("ICE's records, whole area", p["records"])):
            rows.append({"place": label, "figure": kind, "arrests": value})
    return pd.DataFrame(rows, columns=["place", "figure", "arrests"])


def chart(values: dict, text: dict[str, str]) -> charts.Figure:
    """For each place: ICE's figure, the article's and the area's records on the operation's days, one scale."""
    data = chart_frame(values)
    order = [p for p in dict.fromkeys(data["place"])]
    kinds = ["ICE's figure", "The article", "ICE's records, whole area"]
    base = alt.Chart(data.dropna(subset=["arrests"]))
    chart = base.mark_point(filled=True, size=80).encode(
        y=alt.Y("place:N", sort=order, title=None, axis=alt.Axis(labelLimit=150)),
        x=alt.X("arrests:Q", title=LABEL["arrests_over_the_operation_s_four_days"]),
        color=alt.Color("figure:N", scale=alt.Scale(domain=kinds, range=[charts.PALETTE[0], charts.PALETTE[2],
                                                                          charts.PALETTE[5]]),
                        title=None, legend=alt.Legend(orient="bottom", direction="vertical")),
        shape=alt.Shape("figure:N", scale=alt.Scale(domain=kinds, range=["circle", "square", "diamond"]), title=None),
        tooltip=[alt.Tooltip("place:N", title=LABEL["place"]), alt.Tooltip("figure:N", title=LABEL["figure"]),
                 alt.Tooltip("arrests:Q", title=LABEL["arrests"], format=",")],
    ).properties(width="container", height=alt.Step(26))
    columns = {"place": "place", "figure": "figure", "arrests": ("arrests", "count")}
    return charts.Figure(chart, name="records-by-area", text=text, data=data, columns=columns)


def table(values: dict) -> pd.DataFrame:
    """The download: one row per place, its area and every count (numbers only)."""
    keys = ["place", "aor", "extent", "ice_figure", "article_figure", "records", "at_large", "cap", "other",
            "not_grouped", "with_operation", "with_operation_share", "rest_with_operation_share", "share_lower",
            "n_spans"]
    return pd.DataFrame([{k: p.get(k) for k in keys} for p in values["places"]], columns=keys)


def values(nat: National, area_loaded) -> dict:
    """The values the records chapter adds: the national section, the two productions compared (the area file's
    own area, as its title row names it), and flat keys the claims ledger reads (`records_by_place.<place>`)."""
    section = results(nat)
    by_place = {p["place"]: {"aor": p["aor"], "extent": p["extent"], "records": p["records"],
                             "with_operation": p["with_operation"], "ice": p["ice_figure"],
                             "article": p["article_figure"],
                             # what the count is: every arrest in the whole area, not ICE's count for the place
                             "evidence": "area records" if p["records"] is not None else None}
                for p in section["places"]}
    named = [p for p in section["places"] if p["records"] is not None]
    return {"national": section,
            "seattle_files": compare_seattle(nat, area_loaded, area_loaded.file["area"]),
            "records_by_place": by_place,
            "records_national_total": section["nation_op_total"],
            "records_named_areas_total": section["named_op_total"],
            "records_named_with_operation": sum(p["with_operation"] for p in named) if named else None}
