"""What ICE's own records show for an area over an operation's days: the Seattle area, record by record.

Reads `data/raw/ice-seattle-aor-arrests/` (ICE's FOIA arrest records and the UW Center for Human Rights'
landmark coding), `data/raw/ice-records-coding/` (the book's grouping of arrest methods, the Center's state
codes named, later reports' places by state) and `data/raw/ice-safe-city/` (the operation's dates, ICE's
figure for the area, the article's, the later reports').

Everything here is plain values: counts per day of the operation, the split by arrest method and
conviction, where the operation's days rank among every other span of as many days in the year around
them and in the fiscal year, and the records against ICE's figure and the later reports. The words are
in `templates/08_seattle_records.md`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from . import charts, prose
from .errors import DataError, Problem
from .packages import display_path, load_descriptor
from .validate import read_table, resource_descriptor

CHAPTER = "seattle"
TITLE = "ICE's own records, area by area"
SOURCES = ["ice-safe-city", "ice-seattle-aor-arrests", "ice-records-coding", "ice-national-arrests", "ice-place-areas",
           "ice-annual-arrests"]
#: The sources each chart's numbers come from (a run on another records folder names its own: `chapter`).
CHART_SOURCES = {"seattle-daily": ["ice-seattle-aor-arrests"],
                 "records-by-area": ["ice-national-arrests", "ice-safe-city", "ice-place-areas"]}
CODING = "ice-records-coding"
#: The words of the records chapter's charts and reader tables (this module's and `national`'s): the `labels` mapping
#: of its template.
LABEL = prose.labels("08_seattle_records")
LABELS = {
    "op_total": "arrests ICE's records hold for the area over the operation's days",
    "ice_figure": "ICE's figure for the area",
    "op_total_minus_ice": "records minus ICE's figure",
    "op_at_large": "arrests made at large (records, operation's days)",
    "op_cap": "transfers from jails and prisons, CAP (records, operation's days)",
    "op_convicted": "people with a conviction recorded (records, operation's days)",
    "total_share_lower": "share of the year's other spans of as many days with fewer arrests",
    "total_level": "how the operation's days compare with the year around them",
    "total_share_lower_fy": "share of the fiscal year's other spans of as many days with fewer arrests",
    "records_national_total": "arrests ICE's records hold nationwide over the operation's days",
    "records_named_areas_total": "arrests ICE's records hold over the operation's days in the areas holding the places ICE named",
    "records_named_with_operation": "of those, arrests with an operation recorded (redacted: which is not said)",
}
#: Measures counted per day and compared across spans; "total" is every arrest.
MEASURES = ("total", "at_large", "cap", "convicted")
#: Where a span's count stands among the other spans: at least this share of them lower (or higher).
HIGH, ABOVE = 0.95, 0.75
#: Fewer comparison spans than this and no distribution is given.
MIN_SPANS = 30
#: The comparison window "around" the operation reaches this many months either side of it.
AROUND_MONTHS = 6
#: The chart shows the operation's days with this many whole months either side.
CHART_MONTHS = 2
#: Groups of arrest methods (data/raw/ice-records-coding/arrest_methods.csv) and the two this chapter counts.
GROUPS = ("at_large", "cap", "other")
NOT_GROUPED, REDACTED, NO_LANDMARK, NOT_CODED = "not grouped", "redacted", "no landmark", "not coded"


def chapter(source: str):
    """The chapter contract for a run on FOIA source folder `source`: this module's, with `source` among the
    SOURCES whose files the results record lists (and digests), so a run on another area's file names it."""
    from types import SimpleNamespace

    return SimpleNamespace(CHAPTER=CHAPTER, TITLE=TITLE, LABELS=LABELS,
                           SOURCES=[s for s in SOURCES if s != "ice-seattle-aor-arrests"] + [source],
                           CHART_SOURCES=CHART_SOURCES | {"seattle-daily": [source]})


@dataclass
class Loaded:
    """One operation and one area: the records aggregated by day, and what ICE and the press reported."""

    operation: str
    start: pd.Timestamp
    end: pd.Timestamp
    file: dict  # what the production states: path, area, period, title, records, redacted counts
    cells: pd.DataFrame  # arrest_date, group, convicted, conviction_redacted, state -> arrests
    ungrouped: pd.DataFrame  # methods the book's coding does not group: arrest_method, records
    methods: pd.DataFrame  # the book's grouping: arrest_method, group
    states: pd.DataFrame  # code, name, description
    ice: dict | None  # ICE's row for the area: area, arrests, geography, source
    article: dict | None  # the article's place for that area: place, arrests
    reports: pd.DataFrame  # later reports' places with their state code: component, arrests_min/max, state, level


def _coding(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return (read_table(data_dir, CODING, "arrest_methods"), read_table(data_dir, CODING, "state_codes"),
            read_table(data_dir, CODING, "report_states"))


def check(data_dir: Path) -> None:
    """What `data record` runs before recording the coding: every table reads."""
    _coding(data_dir)


def aggregate(records: pd.DataFrame, methods: pd.DataFrame, landmarks: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Arrests per day, method group, conviction and the Center's state code; and the methods not grouped.

    Only the distinct methods and landmarks are looked up, so this stays quick for millions of records."""
    method = records["arrest_method"]
    lookup = dict(zip(methods["arrest_method"].astype(str), methods["group"].astype(str)))
    groups = np.array([lookup.get(m, NOT_GROUPED) for m in method.cat.categories] + [REDACTED], dtype=object)
    group = pd.Categorical(groups[method.cat.codes.to_numpy()], categories=[*GROUPS, NOT_GROUPED, REDACTED])
    coded = dict(zip(landmarks["landmark"].astype(str), landmarks["state"].astype(str)))
    landmark = records["landmark"]
    codes = landmark.cat.codes.to_numpy() if hasattr(landmark, "cat") else pd.Categorical(landmark).codes
    categories = landmark.cat.categories if hasattr(landmark, "cat") else pd.Categorical(landmark).categories
    state_of = np.array([coded.get(str(v), NOT_CODED) for v in categories] + [NO_LANDMARK], dtype=object)
    state = state_of[codes]
    if "landmark_redacted" in records:
        state = np.where(records["landmark_redacted"].to_numpy(), REDACTED, state)
    frame = pd.DataFrame({
        "arrest_date": records["arrest_date"].to_numpy(),
        "group": group,
        "convicted": records["conviction"].notna().to_numpy(),
        "conviction_redacted": records["conviction_redacted"].to_numpy(),
        "state": pd.Categorical(state),
    })
    cells = (frame.groupby(["arrest_date", "group", "convicted", "conviction_redacted", "state"], observed=True)
             .size().rename("arrests").reset_index())
    cells["group"] = cells["group"].astype(str)
    cells["state"] = cells["state"].astype(str)
    ungrouped = (pd.DataFrame({"arrest_method": method.astype("string")})[group == NOT_GROUPED]
                 .value_counts().rename("records").reset_index())
    return cells, ungrouped.astype({"arrest_method": str, "records": "int64"})


def load(data_dir, operation: str, ice_area: str, source: str) -> Loaded:
    """The records of FOIA source folder `source`, aggregated, with the operation's dates and ICE's figure for
    `ice_area` (ICE's name for the area in its release; empty: the release has no figure to compare)."""
    from .sources import ice_aor_arrests, ice_release

    data_dir = Path(data_dir)
    facts = ice_release.operation(data_dir, operation)
    production = ice_aor_arrests.read_source(data_dir, source)
    landmarks = ice_aor_arrests.landmark_states(data_dir, source)
    methods, states, report_states = _coding(data_dir)
    cells, ungrouped = aggregate(production.records, methods, landmarks)
    ice = article = None
    reports = pd.DataFrame(columns=["component", "arrests_min", "arrests_max", "state", "level", "source"])
    if ice_area:
        table = ice_release.arrests_by_area(data_dir, operation)
        rows = table[table["area"] == ice_area]
        if rows.empty:
            raise DataError(Problem(display_path(data_dir / "raw" / "ice-safe-city" / "arrests_by_area.csv"),
                                    f"no area named '{ice_area}' for '{operation}' (known: "
                                    f"{', '.join(sorted(table['area'].astype(str)))})", column="area"))
        row = rows.iloc[0]
        ice = {"area": ice_area, "arrests": int(row["arrests"]), "geography": str(row["geography"]),
               "source": str(row["source"])}
        places = ice_release.article_places(data_dir, operation)
        place = places[places["ice_area"] == ice_area]
        if not place.empty:
            article = {"place": str(place["place"].iloc[0]), "arrests": int(place["arrests"].iloc[0])}
        components = ice_release.area_components(data_dir, operation)
        components = components[components["ice_area"] == ice_area]
        coded = report_states[(report_states["operation"] == operation) & (report_states["ice_area"] == ice_area)]
        reports = components.merge(coded[["component", "state", "level"]], on="component", how="left")
        uncoded = reports[reports["state"].isna()]
        if not uncoded.empty:
            raise DataError(Problem(display_path(data_dir / "raw" / CODING / "report_states.csv"),
                                    f"no state code for the reported place '{uncoded['component'].iloc[0]}' of "
                                    f"'{ice_area}'", column="component"))
        reports = reports[["component", "arrests_min", "arrests_max", "state", "level", "source"]]

    package = load_descriptor(data_dir / "raw" / source / "datapackage.json")
    _, coding = resource_descriptor(data_dir, source, "arrest_locs")
    if not coding.get("codedBy") or not coding.get("codedByShort"):
        raise DataError(Problem(display_path(data_dir / "raw" / source / "datapackage.json"),
                                "resource 'arrest_locs' must say who made the landmark coding ('codedBy' and "
                                "'codedByShort'): the page labels it as theirs wherever it is used"))
    file = {"path": production.path, "area": production.area, "title": production.title[-1],
            "sources": [str(s["title"]) for s in package.get("sources", [])],
            "coded_by": str(coding.get("codedBy", "")), "coded_by_short": str(coding.get("codedByShort", "")),
            "period_start": production.period_start, "period_end": production.period_end,
            "records": len(production.records), "redacted": production.redacted}
    return Loaded(operation, pd.Timestamp(facts["start_date"]), pd.Timestamp(facts["end_date"]), file, cells,
                  ungrouped, methods[["arrest_method", "group"]], states, ice, article, reports.reset_index(drop=True))


# --- Counting -----------------------------------------------------------------------------------------------


def daily(loaded: Loaded) -> pd.DataFrame:
    """Every day the production covers (a day with no record is a day with no arrest recorded) and its counts."""
    days = pd.date_range(loaded.file["period_start"], loaded.file["period_end"], freq="D")
    cells = loaded.cells
    out = pd.DataFrame(index=days)
    out["total"] = cells.groupby("arrest_date")["arrests"].sum()
    for group in GROUPS:
        out[group] = cells[cells["group"] == group].groupby("arrest_date")["arrests"].sum()
    out["convicted"] = cells[cells["convicted"]].groupby("arrest_date")["arrests"].sum()
    out = out.fillna(0).astype("int64")
    out.index.name = "date"
    return out


def _fy(day: pd.Timestamp) -> int:
    return day.year + (1 if day.month >= 10 else 0)


def windows(loaded: Loaded) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """The comparison windows: the months around the operation (as many before as after), and the fiscal year
    its last day falls in (October to September)."""
    fy = _fy(loaded.end)
    return {"around": (loaded.start - pd.DateOffset(months=AROUND_MONTHS), loaded.end + pd.DateOffset(months=AROUND_MONTHS)),
            "fiscal": (pd.Timestamp(fy - 1, 10, 1), pd.Timestamp(fy, 9, 30))}


def level(n_lower: int, n_equal: int, n_higher: int) -> str:
    """Where one count stands among others: highest, high, above, typical, below, low, lowest."""
    n = n_lower + n_equal + n_higher
    if n_higher == 0 and n_equal == 0:
        return "highest"
    if n_lower == 0 and n_equal == 0:
        return "lowest"
    if n_lower / n >= HIGH:
        return "high"
    if n_higher / n >= HIGH:
        return "low"
    if n_lower / n >= ABOVE:
        return "above"
    if n_higher / n >= ABOVE:
        return "below"
    return "typical"


def spans(counts: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, first: pd.Timestamp,
          last: pd.Timestamp) -> pd.DataFrame:
    """Every span of as many days as [start, end] lying inside [first, last], other than those overlapping it:
    its first day and the sum of each measure."""
    length = int((end - start).days) + 1
    inside = counts.loc[first:last]
    sums = inside.rolling(length).sum().dropna().astype("int64")
    sums.index = sums.index - pd.Timedelta(days=length - 1)  # label each span by its first day
    keep = (sums.index > end) | (sums.index + pd.Timedelta(days=length - 1) < start)
    out = sums[keep]
    out.index.name = "first_day"
    return out


def compare(counts: pd.DataFrame, op: dict, loaded: Loaded, name: str, first, last) -> dict:
    """The operation's counts against every other span in one window; None where the window is not covered."""
    covered_from, covered_to = loaded.file["period_start"], loaded.file["period_end"]
    base = {"window": name, "first": f"{first:%Y-%m-%d}", "last": f"{last:%Y-%m-%d}", "fy": _fy(loaded.end)}
    if first < covered_from or last > covered_to:
        missing_from, missing_to = (first, min(last, covered_from - pd.Timedelta(days=1))) if first < covered_from \
            else (max(first, covered_to + pd.Timedelta(days=1)), last)
        return base | {"complete": False, "missing_first": f"{missing_from:%Y-%m-%d}",
                       "missing_last": f"{missing_to:%Y-%m-%d}", "n_spans": None, "measures": None}
    table = spans(counts, loaded.start, loaded.end, first, last)
    if len(table) < MIN_SPANS:
        return base | {"complete": True, "n_spans": len(table), "too_few": True, "measures": None}
    measures = {}
    for measure in MEASURES:
        others, value = table[measure].to_numpy(), op[measure]
        n_lower, n_equal = int((others < value).sum()), int((others == value).sum())
        n_higher = len(others) - n_lower - n_equal
        measures[measure] = {
            "value": value, "n_lower": n_lower, "n_equal": n_equal, "n_higher": n_higher,
            "share_lower": n_lower / len(others), "share_higher": n_higher / len(others),
            "rank": n_higher + 1, "median": _whole(float(np.median(others))), "max": int(others.max()),
            "min": int(others.min()), "level": level(n_lower, n_equal, n_higher)}
    return base | {"complete": True, "too_few": False, "n_spans": len(table), "measures": measures}





def _whole(value: float) -> float | int:
    """A median as a count when it is one (36, not 36.0)."""
    return int(value) if float(value).is_integer() else value


def _share(part, whole):
    return None if part is None or not whole else part / whole


def results(loaded: Loaded) -> dict:
    """The chapter's values and named conditions as plain data (no words)."""
    counts = daily(loaded)
    start, end = loaded.start, loaded.end
    length = int((end - start).days) + 1
    f = loaded.file
    covered = bool(start >= f["period_start"] and end <= f["period_end"])
    op_days = counts.loc[start:end] if covered else counts.iloc[0:0]
    op = {m: int(op_days[m].sum()) for m in MEASURES} if covered else {m: None for m in MEASURES}
    in_op = loaded.cells[(loaded.cells["arrest_date"] >= start) & (loaded.cells["arrest_date"] <= end)]
    other = int(op_days["other"].sum()) if covered else None
    by_group = in_op.groupby("group")["arrests"].sum()
    not_grouped = int(by_group.get(NOT_GROUPED, 0) + by_group.get(REDACTED, 0)) if covered else None
    conviction_redacted = int(in_op.loc[in_op["conviction_redacted"], "arrests"].sum()) if covered else None

    compared = {name: compare(counts, op, loaded, name, first, last) if covered else
                {"window": name, "first": f"{first:%Y-%m-%d}", "last": f"{last:%Y-%m-%d}", "fy": _fy(end),
                 "complete": False, "n_spans": None, "measures": None, "missing_first": None, "missing_last": None}
                for name, (first, last) in windows(loaded).items()}
    for name, (first, last) in windows(loaded).items():
        compared[name]["days_after"] = int((last - end).days)  # days of the window after the operation's last
        compared[name]["days_before"] = int((start - first).days)
        # a window with nearly all its days on one side of the operation (a tenth or less on the other)
        compared[name]["mostly_before"] = compared[name]["days_after"] * 9 <= compared[name]["days_before"]
        compared[name]["mostly_after"] = compared[name]["days_before"] * 9 <= compared[name]["days_after"]
    around, fiscal = compared["around"]["measures"], compared["fiscal"]["measures"]

    ice = loaded.ice
    ice_figure = ice["arrests"] if ice else None
    difference = None if ice_figure is None or op["total"] is None else op["total"] - ice_figure
    # The Center's state coding: the records' count per code over the operation's days.
    names = dict(zip(loaded.states["code"].astype(str), loaded.states["name"].astype(str)))
    described = dict(zip(loaded.states["code"].astype(str), loaded.states["description"].astype(str)))
    per_state = in_op.groupby("state")["arrests"].sum() if covered else pd.Series(dtype="int64")
    known = [c for c in names] + [c for c in per_state.index if c not in names]
    by_state = [{"code": c, "name": names.get(c), "description": described.get(c),
                 "kind": "coded" if c in names else c, "arrests": int(per_state.get(c, 0)) if covered else None}
                for c in known if c in names or per_state.get(c, 0)]
    reports = []
    for code, group in loaded.reports.groupby("state", sort=False):
        low, high = int(group["arrests_min"].sum()), int(group["arrests_max"].sum())
        records = int(per_state.get(code, 0)) if covered else None
        relation = None if records is None else ("more" if records > high else "fewer" if records < low else "within")
        reports.append({"code": code, "name": names.get(code, code), "low": low, "high": high, "ranged": low != high,
                        "records": records, "relation": relation,
                        "gap_low": None if records is None else records - high,
                        "gap_high": None if records is None else records - low,
                        "parts": [{"component": str(r.component), "low": int(r.arrests_min), "high": int(r.arrests_max),
                                   "ranged": int(r.arrests_min) != int(r.arrests_max), "level": str(r.level)}
                                  for r in group.itertuples()]})
    reported_low = int(loaded.reports["arrests_min"].sum()) if len(loaded.reports) else None
    reported_high = int(loaded.reports["arrests_max"].sum()) if len(loaded.reports) else None
    chart_from = max((start - pd.DateOffset(months=CHART_MONTHS)).replace(day=1), f["period_start"])
    chart_to = min((end + pd.DateOffset(months=CHART_MONTHS)) + pd.offsets.MonthEnd(0), f["period_end"])
    shown = counts.loc[chart_from:chart_to]["total"]
    busiest = shown.idxmax() if len(shown) else None
    values = {
        "operation": loaded.operation,
        "start_date": f"{start:%Y-%m-%d}", "end_date": f"{end:%Y-%m-%d}", "days": length,
        "area": f["area"], "file_title": f["title"], "file_records": f["records"], "file_sources": f["sources"],
        "coded_by": f["coded_by"], "coded_by_short": f["coded_by_short"],
        "period_start": f"{f['period_start']:%Y-%m-%d}", "period_end": f"{f['period_end']:%Y-%m-%d}",
        "redacted": f["redacted"], "covered": covered,
        "op_daily": [{"date": f"{d:%Y-%m-%d}", **{m: int(r[m]) for m in MEASURES}} for d, r in op_days.iterrows()],
        "op_total": op["total"], "op_at_large": op["at_large"], "op_cap": op["cap"], "op_other": other,
        "op_not_grouped": not_grouped, "op_convicted": op["convicted"],
        "op_no_conviction": None if not covered else op["total"] - op["convicted"] - conviction_redacted,
        "op_conviction_redacted": conviction_redacted,
        "op_convicted_share": _share(op["convicted"], op["total"]),
        "op_at_large_share": _share(op["at_large"], op["total"]),
        "op_cap_share": _share(op["cap"], op["total"]),
        "methods": {g: [str(m) for m in loaded.methods.loc[loaded.methods["group"] == g, "arrest_method"]]
                    for g in GROUPS},
        "ungrouped_methods": [{"method": r.arrest_method, "records": int(r.records)}
                              for r in loaded.ungrouped.itertuples()],
        "compared": compared,
        "total_share_lower": around["total"]["share_lower"] if around else None,
        "total_rank": around["total"]["rank"] if around else None,
        "total_level": around["total"]["level"] if around else None,
        "n_spans": compared["around"]["n_spans"],
        "total_share_lower_fy": fiscal["total"]["share_lower"] if fiscal else None,
        "total_level_fy": fiscal["total"]["level"] if fiscal else None,
        "at_large_share_lower": around["at_large"]["share_lower"] if around else None,
        "at_large_level": around["at_large"]["level"] if around else None,
        "cap_share_lower": around["cap"]["share_lower"] if around else None,
        "cap_level": around["cap"]["level"] if around else None,
        "convicted_share_lower": around["convicted"]["share_lower"] if around else None,
        "convicted_level": around["convicted"]["level"] if around else None,
        "levels_agree": bool(around and fiscal and fiscal["total"]["level"] == around["total"]["level"]),
        "thresholds": {"high": HIGH, "above": ABOVE, "high_rest": 1 - HIGH, "above_rest": 1 - ABOVE},
        "has_ice": ice is not None,
        "ice_area": ice["area"] if ice else None,
        "ice_geography": ice["geography"] if ice else None,
        "ice_figure": ice_figure,
        "op_total_minus_ice": difference,
        "op_total_vs_ice": None if difference is None else ("more" if difference > 0 else "fewer" if difference < 0
                                                            else "same"),
        "op_total_times_ice": None if difference is None or not ice_figure else op["total"] / ice_figure,
        "article_place": loaded.article["place"] if loaded.article else None,
        "article_figure": loaded.article["arrests"] if loaded.article else None,
        "by_state": by_state,
        "reports": reports, "has_reports": bool(reports), "reported_codes": [r["code"] for r in reports],
        "reported_low": reported_low, "reported_high": reported_high,
        "reported_cities": [p["component"] for r in reports for p in r["parts"] if p["level"] == "city"],
        "report_source": sorted({str(s) for s in loaded.reports["source"]}) if len(loaded.reports) else [],
        "chart_first": f"{chart_from:%Y-%m-%d}", "chart_last": f"{chart_to:%Y-%m-%d}",
        "chart_median": _whole(float(shown.median())) if len(shown) else None,
        "chart_busiest": f"{busiest:%Y-%m-%d}" if busiest is not None else None,
        "chart_busiest_arrests": int(shown.max()) if len(shown) else None,
        "chart_busiest_in_op": bool(busiest is not None and start <= busiest <= end),
    }
    return values


# --- Tables and the chart -----------------------------------------------------------------------------------


def chart_frame(loaded: Loaded, values: dict) -> pd.DataFrame:
    """The chart's numbers: one row per day shown, its arrests and whether it was one of the operation's days."""
    counts = daily(loaded).loc[values["chart_first"]:values["chart_last"]]
    out = pd.DataFrame({"date": counts.index.strftime("%Y-%m-%d"), "arrests": counts["total"].to_numpy(),
                        "at_large": counts["at_large"].to_numpy(), "cap": counts["cap"].to_numpy(),
                        "convicted": counts["convicted"].to_numpy()})
    out["operation_day"] = (counts.index >= loaded.start) & (counts.index <= loaded.end)
    return out


def daily_chart(loaded: Loaded, values: dict, text: dict[str, str]) -> charts.Figure:
    """Daily arrests in the records through the months around the operation, its days marked."""
    data = chart_frame(loaded, values)
    data["day"] = np.where(data["operation_day"], "operation's days", "other days")
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", tickCount="month")),
        y=alt.Y("arrests:Q", title=LABEL["arrests_recorded_that_day"]),
        color=alt.Color("day:N", scale=alt.Scale(domain=["other days", "operation's days"],
                                                 range=[charts.PALETTE[4], charts.PALETTE[5]]),
                        title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("date:T", title=LABEL["day"], format="%a %-d %b %Y"),
                 alt.Tooltip("arrests:Q", title=LABEL["arrests"], format=","),
                 alt.Tooltip("at_large:Q", title=LABEL["at_large"], format=","),
                 alt.Tooltip("cap:Q", title=LABEL["from_jails_and_prisons_cap"], format=","),
                 alt.Tooltip("convicted:Q", title=LABEL["with_a_conviction_recorded"], format=",")],
    ).properties(width="container", height=260)
    columns = {"date": "day", "arrests": ("arrests", "count"), "at_large": ("at large", "count"),
               "cap": ("from jails and prisons (CAP)", "count"), "convicted": ("with a conviction recorded", "count"),
               "operation_day": ("one of the operation's days", "yes/no")}
    return charts.Figure(chart, name="seattle-daily", text=text, data=data.drop(columns="day"), columns=columns)


def span_table(values: dict) -> pd.DataFrame:
    """The operation's counts against the other spans, per window and measure (numbers only)."""
    rows = []
    for name, window in values["compared"].items():
        for measure, m in (window["measures"] or {}).items():
            rows.append({"window": name, "first_day": window["first"], "last_day": window["last"],
                         "spans": window["n_spans"], "measure": measure, "operation": m["value"],
                         "spans_lower": m["n_lower"], "spans_equal": m["n_equal"], "spans_higher": m["n_higher"],
                         "rank": m["rank"], "median": m["median"], "max": m["max"]})
    return pd.DataFrame(rows, columns=["window", "first_day", "last_day", "spans", "measure", "operation",
                                       "spans_lower", "spans_equal", "spans_higher", "rank", "median", "max"])


def tables(loaded: Loaded, values: dict) -> dict[str, pd.DataFrame]:
    """The chapter's downloads: every day's counts in the records, and the span comparison."""
    counts = daily(loaded).reset_index()
    counts["date"] = counts["date"].dt.strftime("%Y-%m-%d")
    return {"seattle_records_daily": counts, "seattle_records_spans": span_table(values)}
