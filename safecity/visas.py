"""Visa declines: Politico's figures reproduced from the State Department's records, and the travel ban since.

Politico (28 Sep 2017) compared the monthly average of non-immigrant visas issued in
March-August 2017 with the FY2016 monthly average (the fiscal year's total / 12), for the six
countries of the March 2017 order, Arab nations, majority-Muslim countries and all nations.
This module recomputes each figure from the monthly and annual tables, for any window, baseline
fiscal year and country lists, and follows the Proclamation 9645 countries to 2025.

Missing months are never zeros: a month without a file is NaN in every monthly series, and a
total or average over a span that includes one is NaN (the comparison is refused, not guessed).
A month whose file is present but has no row for a country is a true 0 (the tables list every
nationality with at least one visa issued).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from . import charts
from .book import fmt_pct
from .sources import country_groups, nationalities, politico, state_dept_annual, state_dept_monthly, travel_ban
from .text import count, join_and as _join, minus, moved

CHAPTER = "visas"
TITLE = "Visa declines under the travel ban"
SOURCES = ["state-dept-monthly-visas", "state-dept-annual-visas", "country-groups", "nationality-crosswalk",
           "travel-ban", "politico-visas"]
LABELS = {
    "six_change": "six-country change in visas",
    "arab_change": "Arab nations' change in visas",
    "muslim_change": "majority-Muslim countries' change in visas",
    "all_change": "all nations' change in visas",
    "n_within": "Politico's figures reproduced within the tolerance",
}
#: How close, in percentage points, a recomputed change must come to Politico's rounded figure to reproduce it.
TOLERANCE_POINTS = 1.0
#: "Virtually unchanged": a change no larger than this fraction either way.
NEAR_ZERO = 0.02
#: Holders of Palestinian Authority travel documents, as the crosswalk names them.
PALESTINIAN = "Palestinian territories"
#: The group of every nationality, records and baseline alike.
ALL = "all"

#: The proclamation the chapter follows, as its signing is named in `travel-ban-dates.csv`.
PROCLAMATION = "Proclamation 9645"
#: Periods for following the Proclamation 9645 countries: key → (label, first month, last month). The
#: first is Politico's window, the second the first twelve months with the proclamation fully in effect;
#: `VisaData.periods` adds the latest twelve months of records.
PERIODS = {
    "before": ("Mar-Aug 2017", "2017-03", "2017-08"),
    "first_year": ("Dec 2017-Nov 2018", "2017-12", "2018-11"),
    "y2019": ("Jan-Dec 2019", "2019-01", "2019-12"),
}
#: The event in `travel-ban-dates.csv` that ended the proclamation.
REVOKED = f"{PROCLAMATION} revoked"
KIND_LABELS = {"nonimmigrant": "Non-immigrant", "immigrant": "Immigrant"}
#: Short names for charts.
SHORT_LABELS = {"six": "Six order countries", "arab": "Arab nations", "muslim": "Majority-Muslim countries",
                ALL: "All nations"}
#: Below this monthly average in the first period, a percentage change says more about noise than policy.
MIN_FOR_CHANGE = 10


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class VisaData:
    """Everything the chapter reads, imported and validated."""

    monthly: dict[str, state_dept_monthly.MonthlyVisas]
    annual: state_dept_annual.AnnualVisas
    groups: dict[str, country_groups.Group]
    claims: pd.DataFrame
    restrictions: pd.DataFrame
    dates: pd.DataFrame
    crosswalk: nationalities.Crosswalk

    @functools.cached_property
    def proclamation(self) -> pd.DataFrame:
        """The proclamation countries' visas month by month (see `proclamation_series`), computed once."""
        return proclamation_series(self)

    @functools.cached_property
    def periods(self) -> dict[str, tuple[str, str, str]]:
        """`PERIODS` plus "latest": the last twelve months that both kinds of monthly table reach."""
        end = min(table.months["month"].max() for table in self.monthly.values())
        start = end - pd.DateOffset(months=11)
        return {**PERIODS, "latest": (f"{start:%b %Y}-{end:%b %Y}", f"{start:%Y-%m}", f"{end:%Y-%m}")}

    @functools.cached_property
    def proclamation_averages(self) -> pd.DataFrame:
        """Their monthly averages over `periods` (see `period_averages`), computed once."""
        return period_averages(self.proclamation, self.periods)


def load(data_dir: Path, groups: dict[str, str] | None = None, *, cached: bool = True) -> VisaData:
    """Import every input of the chapter. Monthly tables come from the tidy cache when `cached`."""
    data_dir = Path(data_dir)
    groups = dict(groups)
    if ALL in groups:
        raise ValueError(f"'{ALL}' is every nationality and cannot be redefined")
    read = state_dept_monthly.load if cached else state_dept_monthly.read
    return VisaData(
        monthly={kind: read(data_dir, kind) for kind in state_dept_monthly.KINDS},
        annual=state_dept_annual.read(data_dir),
        groups={key: country_groups.group(data_dir, path) for key, path in groups.items()},
        claims=politico.changes(data_dir),
        restrictions=travel_ban.restrictions(data_dir),
        dates=travel_ban.dates(data_dir),
        crosswalk=nationalities.crosswalk(data_dir),
    )


# --------------------------------------------------------------------------- pure functions


def month(text: str) -> pd.Timestamp:
    """"2017-03" → the first day of that month; anything else is a ValueError naming the value."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    return pd.Timestamp(int(match.group(1)), int(match.group(2)), 1)


def window(start: str, end: str) -> pd.DatetimeIndex:
    """Every month from `start` to `end` inclusive."""
    first, last = month(start), month(end)
    if last < first:
        raise ValueError(f"window ends ({end}) before it starts ({start})")
    return pd.date_range(first, last, freq="MS")


def fiscal_year_months(fiscal_year: int) -> pd.DatetimeIndex:
    """US federal fiscal year: October of the year before to September."""
    return pd.date_range(pd.Timestamp(fiscal_year - 1, 10, 1), pd.Timestamp(fiscal_year, 9, 1), freq="MS")


def monthly_series(visas: state_dept_monthly.MonthlyVisas, nationalities: list[str] | None = None) -> pd.Series:
    """Issuances per month for the given nationalities (all when None), over every month of the files' span.

    A month without a file is NaN; a month with a file but no row for these nationalities is 0.
    """
    rows = visas.issuances
    if nationalities is not None:
        rows = rows[rows["nationality"].isin(list(nationalities))]
    sums = rows.groupby("month")["issuances"].sum()
    months = visas.months.set_index("month")["available"]
    series = sums.reindex(months.index, fill_value=0).astype("float64")
    series[~months] = np.nan
    series.index.name = "month"
    return series.rename("issuances")


def span_total(series: pd.Series, months: pd.DatetimeIndex) -> float:
    """Sum over `months`; NaN if any month is missing or outside the records (never counted as 0)."""
    values = series.reindex(months)
    if values.isna().any():
        return float("nan")
    return float(values.sum())


def missing_in(series: pd.Series, months: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """Months of `months` with no data (missing file, or outside the span of the records)."""
    values = series.reindex(months)
    return list(values.index[values.isna()])


def period_change(before, after):
    """The change from one monthly average to another (after / before − 1): every change on the page.
    Works on numbers and on columns alike."""
    return after / before - 1


def change(window_total: float, window_months: int, baseline_total: float, baseline_months: int = 12) -> float:
    """Change of the monthly average: (window / its months) against (baseline / its months); NaN propagates."""
    if not baseline_total or np.isnan(baseline_total):
        return float("nan")
    return period_change(baseline_total / baseline_months, window_total / window_months)


@dataclass(frozen=True)
class Baseline:
    """A fiscal year's non-immigrant visas for some nationalities, and where the figure comes from."""

    fiscal_year: int
    total: float
    source: str


def baseline(data: VisaData, fiscal_year: int, nationalities: list[str] | None) -> Baseline:
    """Total non-immigrant visas in `fiscal_year`: from the annual table ("Total Visas") when it covers the year,
    else the sum of the twelve monthly tables (NaN if one is missing)."""
    totals = data.annual.totals
    year = totals[totals["fiscal_year"] == fiscal_year]
    if not year.empty:
        if nationalities is not None:
            year = year[year["nationality"].isin(list(nationalities))]
        return Baseline(fiscal_year, float(year["total_visas"].sum()), "annual table, 'Total Visas'")
    series = monthly_series(data.monthly["nonimmigrant"], nationalities)
    return Baseline(fiscal_year, span_total(series, fiscal_year_months(fiscal_year)), "sum of the monthly tables")


@dataclass(frozen=True)
class GroupChange:
    """One group's comparison, with everything needed to explain it."""

    key: str
    description: str
    members: list[str]
    without_records: list[str]
    monthly: pd.Series
    window_total: float
    window_months: int
    missing_months: list[pd.Timestamp]
    baseline: Baseline
    change: float
    politico_pct: float
    politico_wording: str

    @property
    def window_average(self) -> float:
        return self.window_total / self.window_months

    @property
    def baseline_average(self) -> float:
        return self.baseline.total / 12

    @property
    def difference_points(self) -> float:
        """Our change minus Politico's, in percentage points."""
        return self.change * 100 - self.politico_pct


@dataclass(frozen=True)
class Comparison:
    start: str
    end: str
    baseline_fy: int
    groups: dict[str, GroupChange] = field(default_factory=dict)

    def __getitem__(self, key: str) -> GroupChange:
        return self.groups[key]

    @property
    def label(self) -> str:
        first, last = month(self.start), month(self.end)
        return f"{first:%b %Y}-{last:%b %Y}" if first.year != last.year else f"{first:%b}-{last:%b %Y}"


def compare(data: VisaData, start: str, end: str, baseline_fy: int) -> Comparison:
    """Each group's change in monthly non-immigrant visas, window against baseline fiscal year, beside Politico's."""
    months = window(start, end)
    niv = data.monthly["nonimmigrant"]
    claims = data.claims.set_index("group")
    have_records = set(niv.issuances["nationality"].unique()) | set(data.annual.totals["nationality"])
    out = {}
    for key in list(data.groups) + [ALL]:
        if key == ALL:
            members, without = None, []
            description = str(claims.at[key, "description"]) if key in claims.index else "all nations"
        else:
            group = data.groups[key]
            members = group.nationalities()
            description = str(claims.at[key, "description"]) if key in claims.index else group.title
            without = [m for m in members if m not in have_records]
        series = monthly_series(niv, members)
        total = span_total(series, months)
        base = baseline(data, baseline_fy, members)
        claim = claims.loc[key] if key in claims.index else None
        out[key] = GroupChange(
            key=key, description=description,
            members=members or [], without_records=without, monthly=series.reindex(months),
            window_total=total, window_months=len(months), missing_months=missing_in(series, months),
            baseline=base, change=change(total, len(months), base.total),
            # Politico gave a number only where its words hold one; "virtually unchanged" is not 0.0.
            politico_pct=(float(claim["change_pct"]) if claim is not None and re.search(r"\d", str(claim["wording"]))
                          else float("nan")),
            politico_wording=str(claim["wording"]) if claim is not None else "",
        )
    return Comparison(start=start, end=end, baseline_fy=baseline_fy, groups=out)


def fmt_points(value: float) -> str:
    """A difference in percentage points, signed, one decimal ("+0.1 points")."""
    if np.isnan(value):
        return "n/a"
    return minus(f"{value:+.1f} points".replace("+0.0", "0.0").replace("-0.0", "0.0"))


def fmt_change(value: float) -> str:
    return "missing" if np.isnan(value) else fmt_pct(value, 1, signed=True)


def comparison_table(comparison: Comparison) -> pd.DataFrame:
    """The reader's table: Politico's figure, ours, the difference, and the exact list behind each."""
    rows = []
    for g in comparison.groups.values():
        politico_text = _politico_text(g)
        members = "every nationality in the tables" if g.key == ALL else ", ".join(g.members)
        if g.without_records:
            members += f" (no rows in the visa tables: {', '.join(g.without_records)})"
        rows.append({
            "group": g.description,
            "Politico": politico_text,
            "records": fmt_change(g.change),
            "difference": fmt_points(g.difference_points),
            f"{comparison.label}, monthly average": _fmt_number(g.window_average),
            f"FY{comparison.baseline_fy}, monthly average": _fmt_number(g.baseline_average),
            "countries": "" if g.key == ALL else str(len(g.members)),
            "country list": members,
        })
    return pd.DataFrame(rows)


def comparison_data(comparison: Comparison) -> pd.DataFrame:
    """`comparison_table` for the Downloads page: machine-friendly columns (changes as fractions, an empty cell
    where Politico gave no number)."""
    return pd.DataFrame([{
        "group": g.key, "description": g.description,
        "politico_change": None if np.isnan(g.politico_pct) else g.politico_pct / 100,
        "politico_wording": g.politico_wording or None,
        "records_change": None if np.isnan(g.change) else g.change,
        "window_start": comparison.start, "window_end": comparison.end,
        "window_monthly_average": g.window_average, "baseline_fiscal_year": comparison.baseline_fy,
        "baseline_monthly_average": g.baseline_average,
        "countries": None if g.key == ALL else len(g.members),
        "country_list": None if g.key == ALL else "; ".join(g.members),
        "without_records": "; ".join(g.without_records) or None,
    } for g in comparison.groups.values()]).astype({"countries": "Int64"})


def _fmt_number(value: float) -> str:
    return "missing" if np.isnan(value) else f"{value:,.0f}"


def monthly_table(group: GroupChange) -> pd.DataFrame:
    """A group's monthly figures over the window (missing months say so)."""
    values = group.monthly
    return pd.DataFrame({"month": [f"{m:%b %Y}" for m in values.index],
                         "visas issued": ["missing" if np.isnan(v) else f"{int(v):,}" for v in values]})


def breakdown(data: VisaData, comparison: Comparison, key: str) -> pd.DataFrame:
    """Each member of a group: baseline monthly average, window monthly average, change; largest baseline first."""
    g = comparison[key]
    months = window(comparison.start, comparison.end)
    niv = data.monthly["nonimmigrant"]
    rows = []
    for name in g.members:
        series = monthly_series(niv, [name])
        total = span_total(series, months)
        base = baseline(data, comparison.baseline_fy, [name])
        rows.append({"country": name, "baseline": base.total / 12, "window": total / len(months),
                     "change": change(total, len(months), base.total)})
    frame = pd.DataFrame(rows).sort_values(["baseline", "country"], ascending=[False, True]).reset_index(drop=True)
    return frame


def breakdown_table(frame: pd.DataFrame, comparison: Comparison) -> pd.DataFrame:
    return pd.DataFrame({
        "country": frame["country"],
        f"FY{comparison.baseline_fy}, monthly average": [_fmt_number(v) for v in frame["baseline"]],
        f"{comparison.label}, monthly average": [_fmt_number(v) for v in frame["window"]],
        "change": ["no visas in the baseline" if b == 0 else fmt_change(c)
                   for b, c in zip(frame["baseline"], frame["change"])],
    })


def within(comparison: Comparison, points: float = TOLERANCE_POINTS) -> list[str]:
    """Keys of the groups reproduced within `points` percentage points of Politico's figure."""
    return [k for k, g in comparison.groups.items()
            if not np.isnan(g.difference_points) and abs(g.difference_points) <= points]


# --------------------------------------------------------------------------- visa classes


def class_coverage(data: VisaData, comparison: Comparison) -> dict:
    """What the totals include: border crossing card visas in both sources, and the annual BCC column."""
    months = window(comparison.start, comparison.end)
    niv = data.monthly["nonimmigrant"].issuances
    in_window = niv[niv["month"].isin(months)]
    fy = data.annual.totals[data.annual.totals["fiscal_year"] == comparison.baseline_fy]
    annual = data.annual.issuances
    annual = annual[annual["fiscal_year"] == comparison.baseline_fy]
    return {
        "window_classes": int(in_window["visa_class"].nunique()),
        "window_bcc_visas": int(in_window.loc[in_window["visa_class"] == "BBBCC", "issuances"].sum()),
        "baseline_classes": int(annual["visa_class"].nunique()),
        "baseline_bcc_visas": int(annual.loc[annual["visa_class"] == "B-1,2/BCC", "issuances"].sum()),
        "baseline_total_visas": int(fy["total_visas"].sum()),
        "baseline_bcc_column": int(fy["bcc"].sum()),
        "baseline_grand_total": int(fy["grand_total"].sum()),
    }


def totals_check(visas: state_dept_monthly.MonthlyVisas) -> pd.DataFrame:
    """Months whose 'Grand Total' row differs from the sum of the rows, or that have none."""
    t = visas.totals
    off = t[t["grand_total"].isna() | (t["difference"] != 0)]
    return pd.DataFrame({
        "month": [f"{m:%b %Y}" for m in off["month"]],
        "grand total": ["none" if pd.isna(v) else f"{int(v):,}" for v in off["grand_total"]],
        "sum of rows": [f"{int(v):,}" for v in off["rows_total"]],
        "grand total minus rows": ["" if pd.isna(v) else minus(f"{int(v):+,}") for v in off["difference"]],
    }).reset_index(drop=True)


def restrictions_table(data: VisaData) -> pd.DataFrame:
    r = data.restrictions
    return pd.DataFrame({"country": r["country"], "non-immigrant visas": r["nonimmigrant_visas"],
                         "immigrant visas": r["immigrant_visas"], "later": r["note"].fillna("")})


def dates_table(data: VisaData) -> pd.DataFrame:
    d = data.dates
    return pd.DataFrame({"date": [f"{x.day} {x:%b %Y}" for x in d["date"]], "event": d["event"],
                         "source": d["source"]})


def repairs_table(data: VisaData) -> pd.DataFrame:
    frames = []
    for kind, visas in data.monthly.items():
        r = visas.repairs
        frames.append(pd.DataFrame({"visas": KIND_LABELS[kind], "file": r["file"].map(lambda p: Path(p).name),
                                    "line": r["line"], "what was done": r["repair"]}))
    return pd.concat(frames, ignore_index=True)


def merged_spellings(data: VisaData) -> pd.DataFrame:
    """Canonical names that more than one raw spelling was merged into, across the monthly tables."""
    frames = [v.spellings for v in data.monthly.values()]
    spellings = pd.concat(frames).groupby(["nationality", "spelling"], as_index=False)["rows"].sum()
    counts = spellings.groupby("nationality")["spelling"].transform("size")
    merged = spellings[counts > 1]
    return (merged.groupby("nationality")["spelling"].apply(lambda s: "; ".join(f"'{x}'" for x in sorted(s)))
            .rename("spellings in the monthly tables").reset_index())


# --------------------------------------------------------------------------- Proclamation 9645


def proclamation_series(data: VisaData) -> pd.DataFrame:
    """Month by month, for each Proclamation 9645 country: non-immigrant and immigrant visas (NaN = missing)."""
    frames = []
    countries = list(data.restrictions["nationality"])
    for name in countries:
        part = pd.DataFrame({kind: monthly_series(data.monthly[kind], [name]) for kind in state_dept_monthly.KINDS})
        part = part.reset_index().rename(columns={"index": "month"})
        part.insert(1, "country", name)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def period_averages(series: pd.DataFrame, periods: dict[str, tuple[str, str, str]] = PERIODS) -> pd.DataFrame:
    """Monthly average per country, kind and period (columns keyed as `periods`); NaN where a period spans a
    missing month. A last pair of rows, country "All <n> countries", sums the countries."""
    rows = []
    for name, part in series.groupby("country", sort=False):
        indexed = part.set_index("month")
        for kind in state_dept_monthly.KINDS:
            row = {"country": name, "kind": kind}
            for key, (_, start, end) in periods.items():
                months = window(start, end)
                row[key] = span_total(indexed[kind], months) / len(months)
            rows.append(row)
    frame = pd.DataFrame(rows)
    together = frame.groupby("kind", sort=False)[list(periods)].sum(min_count=1)
    together = together.where(frame.groupby("kind", sort=False)[list(periods)].apply(lambda f: f.notna().all()))
    n = frame["country"].nunique()
    together = together.reset_index().assign(country=f"All {n} countries")
    return pd.concat([frame, together[frame.columns]], ignore_index=True)


def period_table(data: VisaData) -> pd.DataFrame:
    """The reader's table of the proclamation countries' period averages: formatted, with the change from the
    first period to the second."""
    averages, periods = data.proclamation_averages, data.periods
    first, second = list(periods)[:2]
    out = pd.DataFrame({"country": averages["country"], "visas": averages["kind"].map(KIND_LABELS)})
    for key, (label, _, _) in periods.items():
        out[label] = [_fmt_number(v) for v in averages[key]]
    ratio = period_change(averages[first], averages[second])
    out[f"change, {periods[second][0]} vs {periods[first][0]}"] = [
        f"too few (under {MIN_FOR_CHANGE} a month)" if not b >= MIN_FOR_CHANGE else fmt_change(r)
        for b, r in zip(averages[first], ratio)]
    return out


# --------------------------------------------------------------------------- charts


def _politico_text(g: GroupChange) -> str:
    if np.isnan(g.politico_pct):
        return g.politico_wording or "no figure"
    return minus(f"{g.politico_pct:+.0f}%")


def politico_chart(comparison: Comparison, source: str) -> charts.Figure:
    """Dot chart: Politico's change and ours for each group."""
    groups = list(comparison.groups.values())
    label = {g.key: SHORT_LABELS.get(g.key, g.description) for g in groups}
    rows = []
    for g in groups:
        rows.append({"group": label[g.key], "figure": "Politico", "change": g.politico_pct,
                     "label": _politico_text(g)})
        rows.append({"group": label[g.key], "figure": "State Department records",
                     "change": round(g.change * 100, 1), "label": fmt_change(g.change)})
    data = pd.DataFrame(rows).astype({"group": "str", "figure": "str", "label": "str"})
    order = [label[g.key] for g in groups]
    domain = ["Politico", "State Department records"]
    base = alt.Chart(data).encode(
        y=alt.Y("group:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("change:Q", title=f"Change in monthly non-immigrant visas, {comparison.label} "
                                  f"vs FY{comparison.baseline_fy} (%)"),
    )
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#999999").encode(x="x:Q")
    dots = base.mark_point(size=110, filled=True, opacity=0.9).encode(
        color=alt.Color("figure:N", scale=alt.Scale(domain=domain, range=charts.PALETTE[:2]), title=None,
                        legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("figure:N", scale=alt.Scale(domain=domain, range=["diamond", "circle"]), title=None),
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("figure:N", title="Figure"),
                 alt.Tooltip("label:N", title="Change")],
    )
    chart = (zero + dots).properties(width="container", height=200)
    close = within(comparison)
    n = sum(1 for g in groups if not np.isnan(g.politico_pct))
    title = (f"The State Department's records reproduce {_of_politico(len(close), n)} within "
             f"{count(TOLERANCE_POINTS, 'percentage point')}")
    parts = [f"{label[g.key]}: Politico {_politico_text(g)}, records {fmt_change(g.change)}" for g in groups]
    alt_text = (f"Dot chart of the change in the monthly average of non-immigrant visas issued, {comparison.label} "
                f"against FY{comparison.baseline_fy}, for {len(groups)} groups of countries. " + "; ".join(parts) + ".")
    table = pd.DataFrame({
        "group": [label[g.key] for g in groups],
        "Politico": [_politico_text(g) for g in groups],
        "records (%)": [round(g.change * 100, 1) for g in groups],
        "difference (points)": [round(g.difference_points, 1) for g in groups],
    })
    return charts.Figure(chart, name="visas-politico-vs-records", title=title, source=source, alt_text=alt_text,
                         data=table)


def proclamation_chart(series: pd.DataFrame, dates: pd.DataFrame, source: str, averages: pd.DataFrame) -> charts.Figure:
    """Small multiples: monthly non-immigrant and immigrant visas for each country, with the orders' dates."""
    countries = list(dict.fromkeys(series["country"]))
    frame = series.copy()
    frame["month"] = frame["month"].dt.strftime("%Y-%m-%d")
    # Only the dates inside the months charted: a rule outside them would stretch the time axis.
    dates = dates[(dates["date"] >= series["month"].min()) & (dates["date"] <= series["month"].max()
                                                              + pd.offsets.MonthEnd(0))]
    events = pd.DataFrame({"date": dates["date"].dt.strftime("%Y-%m-%d"),
                           "event": [f"{d.day} {d:%b %Y}: {e}" for d, e in zip(dates["date"], dates["event"])]})
    kinds = list(KIND_LABELS.values())
    # One panel per country with an explicit, shared time domain (a wrapped facet misplaced the date rules).
    domain = [frame["month"].min(), frame["month"].max()]
    x = alt.X("month:T", title=None, scale=alt.Scale(domain=domain),
              axis=alt.Axis(format="%Y", tickCount="year", labelOverlap=True))
    colour = alt.Color("visas:N", scale=alt.Scale(domain=kinds, range=charts.PALETTE[:2]), title=None,
                       legend=alt.Legend(orient="bottom"))
    panels = []
    for name in countries:
        folded = alt.Chart(frame).transform_filter(alt.datum.country == name).transform_fold(
            list(state_dept_monthly.KINDS), as_=["kind", "issuances"]).transform_calculate(
            visas=f"datum.kind == 'nonimmigrant' ? '{kinds[0]}' : '{kinds[1]}'")
        lines = folded.mark_line(strokeWidth=1.5, invalid="break-paths-show-domains").encode(
            x=x, y=alt.Y("issuances:Q", title=None), color=colour)
        points = folded.mark_point(size=14, filled=True, opacity=0.6, invalid="break-paths-show-domains").encode(
            x=x, y="issuances:Q", color=colour,
            tooltip=[alt.Tooltip("country:N", title="Country"), alt.Tooltip("month:T", title="Month", format="%b %Y"),
                     alt.Tooltip("visas:N", title="Visas"), alt.Tooltip("issuances:Q", title="Issued", format=",")])
        rules = alt.Chart(events).mark_rule(color="#555555", strokeDash=[3, 3], strokeWidth=1).encode(
            x=alt.X("date:T", scale=alt.Scale(domain=domain)), tooltip=[alt.Tooltip("event:N", title="Date")])
        panels.append(alt.layer(rules, lines, points).properties(width=225, height=105, title=name))
    chart = alt.concat(*panels, columns=2).resolve_scale(y="independent")

    first, during = list(PERIODS)[:2]
    together = averages[~averages["country"].isin(countries)].set_index("kind")
    totals = together[[first, during]]
    niv_change = period_change(totals.at["nonimmigrant", first], totals.at["nonimmigrant", during])
    iv_change = period_change(totals.at["immigrant", first], totals.at["immigrant", during])
    first_label, during_label = (PERIODS[key][0].replace("-", "–") for key in (first, during))
    title = (f"Visas to the {len(countries)} countries {_direction([niv_change, iv_change])} once the proclamation "
             f"took full effect: monthly non-immigrant visas {fmt_change(niv_change)}, immigrant {fmt_change(iv_change)} "
             f"({during_label} against {first_label})")
    missing = series.loc[series["nonimmigrant"].isna(), "month"].drop_duplicates()
    missing_text = (", ".join(f"{m:%B %Y}" for m in missing) + " is missing for non-immigrant visas and shown as a "
                    "gap") if len(missing) else "no month is missing"
    alt_text = (f"Line charts, one per country ({', '.join(countries)}), of non-immigrant and immigrant visas issued "
                f"each month from {series['month'].min():%B %Y} to {series['month'].max():%B %Y}, with dashed "
                f"vertical lines at {len(dates)} dates of the travel-ban orders. Together the {len(countries)} "
                f"countries averaged "
                f"{totals.at['nonimmigrant', first]:,.0f} non-immigrant and {totals.at['immigrant', first]:,.0f} "
                f"immigrant visas a month in {first_label}, and {totals.at['nonimmigrant', during]:,.0f} and "
                f"{totals.at['immigrant', during]:,.0f} in {during_label}. "
                f"{missing_text[0].upper() + missing_text[1:]}.")
    table = series.assign(month=series["month"].dt.strftime("%Y-%m")).rename(
        columns={"nonimmigrant": "non-immigrant visas", "immigrant": "immigrant visas"})
    table["non-immigrant visas"] = table["non-immigrant visas"].astype("Int64")
    table["immigrant visas"] = table["immigrant visas"].astype("Int64")
    return charts.Figure(chart, name="visas-proclamation-countries", title=title, source=source, alt_text=alt_text,
                         data=table, note="Visas issued each month; every panel has its own scale. Dashed lines: "
                                          "the dates in the table below (hover for each).",
                         columns={"month": ("month", "month")})


# --------------------------------------------------------------------------- results


def results(data: VisaData, comparison: Comparison) -> dict:
    """The chapter's values: plain numbers (changes as fractions, NaN where a span includes a missing month),
    plus the country lists as lists of canonical names (`*_country_list`)."""
    window_start, window_end, baseline_fy = comparison.start, comparison.end, comparison.baseline_fy
    out: dict = {"tolerance_points": TOLERANCE_POINTS, "near_zero": NEAR_ZERO}
    signed = data.dates.loc[data.dates["event"] == f"{PROCLAMATION} signed", "date"]
    out["proclamation_signed"] = f"{signed.iloc[0]:%Y-%m-%d}" if not signed.empty else None
    for key, g in comparison.groups.items():
        out[f"{key}_change"] = g.change
        out[f"{key}_change_pct"] = round(g.change * 100, 1) if not np.isnan(g.change) else float("nan")
        out[f"{key}_politico_pct"] = g.politico_pct
        out[f"{key}_difference_points"] = g.difference_points
        out[f"{key}_window_total"] = g.window_total
        out[f"{key}_baseline_total"] = g.baseline.total
        out[f"{key}_window_monthly_average"] = g.window_average
        out[f"{key}_baseline_monthly_average"] = g.baseline_average
        if key != ALL:
            out[f"{key}_countries"] = len(g.members)
            out[f"{key}_country_list"] = list(g.members)
        for m, v in g.monthly.items():
            out[f"{key}_{m:%Y_%m}"] = v
    for key in ("arab", "muslim"):
        if key in comparison.groups and PALESTINIAN in comparison[key].members:
            out[f"{key}_change_without_pa"] = without_members(data, comparison, key, [PALESTINIAN])
    if PALESTINIAN in set(data.monthly["nonimmigrant"].issuances["nationality"].astype(str)):
        months = window(window_start, window_end)
        pa_window = span_total(monthly_series(data.monthly["nonimmigrant"], [PALESTINIAN]), months)
        out["pa_window_monthly_average"] = pa_window / len(months)
        out["pa_baseline_monthly_average"] = baseline(data, baseline_fy, [PALESTINIAN]).total / 12
    signed_orders = data.dates[data.dates["event"].str.match(r"Executive Order \d+ signed")]
    before = signed_orders[signed_orders["date"] < pd.Timestamp(out["proclamation_signed"] or "2100-01-01")]
    out["earlier_orders"] = [str(e).split(" signed")[0] for e in before["event"]]
    published = data.claims["published"].dropna().unique() if "published" in data.claims else []
    out["politico_published"] = f"{pd.Timestamp(published[0]):%Y-%m-%d}" if len(published) == 1 else None
    out["groups_within_one_point"] = len(within(comparison))
    out["missing_nonimmigrant_months"] = len(data.monthly["nonimmigrant"].missing_months)
    out["missing_immigrant_months"] = len(data.monthly["immigrant"].missing_months)
    nt = data.monthly["nonimmigrant"].totals
    out["nonimmigrant_months_total_mismatch"] = int((nt["difference"].fillna(0) != 0).sum())
    coverage = class_coverage(data, comparison)
    out.update({f"classes_{k}": v for k, v in coverage.items()})
    out["proclamation_country_list"] = list(data.restrictions["nationality"])
    averages = data.proclamation_averages
    together = averages[averages["country"].str.startswith("All ")].set_index("kind")
    first, during = list(PERIODS)[:2]
    for kind in state_dept_monthly.KINDS:
        for key in data.periods:
            out[f"proclamation_{kind}_{key}_monthly_average"] = float(together.at[kind, key])
        out[f"proclamation_{kind}_first_year_change"] = float(period_change(together.at[kind, first],
                                                                            together.at[kind, during]))
    return out


def check_parameters(window_start: str, window_end: str, baseline_fy: int, groups: dict[str, str]) -> None:
    """Fail early, with one clear message, on parameters that cannot work."""
    window(window_start, window_end)
    if not isinstance(baseline_fy, int) or isinstance(baseline_fy, bool):
        raise ValueError(f"baseline_fy must be a year such as 2016, got {baseline_fy!r}")
    if not isinstance(groups, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in groups.items()):
        raise ValueError("groups must map a key to a file path relative to the data directory")



# --------------------------------------------------------------------------- prose


def _months_label(start: str, end: str) -> str:
    first, last = month(start), month(end)
    if first == last:
        return f"{first:%B %Y}"
    return f"{first:%B}–{last:%B %Y}" if first.year == last.year else f"{first:%B %Y}–{last:%B %Y}"


def _spans(months: list[pd.Timestamp]) -> str:
    """Consecutive months as readable ranges: "May 2017 to September 2019 and February to April 2022"."""
    if not months:
        return "none"
    months = sorted(months)
    runs, start, prev = [], months[0], months[0]
    for m in months[1:]:
        if m == prev + pd.offsets.MonthBegin(1):
            prev = m
            continue
        runs.append((start, prev))
        start = prev = m
    runs.append((start, prev))
    parts = []
    for a, b in runs:
        if a == b:
            parts.append(f"{a:%B %Y}")
        elif a.year == b.year:
            parts.append(f"{a:%B} to {b:%B %Y}")
        else:
            parts.append(f"{a:%B %Y} to {b:%B %Y}")
    return _join(parts)


def without_members(data: VisaData, comparison: Comparison, key: str, leave_out: list[str]) -> float:
    """A group's change with some members left out (e.g. the order's own countries)."""
    g = comparison[key]
    kept = [m for m in g.members if m not in set(leave_out)]
    months = window(comparison.start, comparison.end)
    total = span_total(monthly_series(data.monthly["nonimmigrant"], kept), months)
    return change(total, len(months), baseline(data, comparison.baseline_fy, kept).total)


def _direction(changes: list[float]) -> str:
    """"fell" when every change is a fall, "rose" when every one is a rise, else "changed"."""
    if all(c < 0 for c in changes):
        return "fell"
    if all(c > 0 for c in changes):
        return "rose"
    return "changed"


def _of_politico(n: int, total: int) -> str:
    """'all 3 of Politico's figures', 'none of Politico's 3 figures', '2 of Politico's 3 figures'."""
    if n == total and n > 1:
        return f"all {total} of Politico's figures"
    if n == 0:
        return f"none of Politico's {total} figures"
    return f"{n} of Politico's {total} figure" + ("" if total == 1 else "s")



def _grand_totals_sentence(off: pd.DataFrame, visas: state_dept_monthly.MonthlyVisas) -> str:
    """How the sum of the rows compares with each month's printed grand total, and whether the import repaired rows
    in the months that are off (a row lost or doubled by the parser would explain the gap there)."""
    if not len(off):
        return "They agree in every month."
    repaired = set(visas.months.loc[visas.months["file"].isin(visas.repairs["file"]), "month"])

    def part(months: pd.Series, relation: str, cause: str) -> str:
        n_repaired = sum(m in repaired for m in months)
        where = f"{relation} in {count(len(months), 'month')} ({_spans(list(months))})"
        if n_repaired == len(months):
            return (f"{where}: the same months in which the parser mangled a page break (see the repairs below), "
                    f"which suggests it {cause} there too")
        if n_repaired:
            return f"{where}; the import repaired rows in {n_repaired} of them (see the repairs below)"
        return f"{where}, which the files alone cannot explain"

    over, under = off[off["difference"] < 0], off[off["difference"] > 0]
    parts = [part(m["month"], relation, cause) for m, relation, cause in (
        (over, "more than the printed total", "counted rows twice"),
        (under, "less than the printed total", "lost rows")) if len(m)]
    return (f"They differ in {count(len(off), 'month')}, by at most {int(off['difference'].abs().max()):,} visas: "
            f"the rows add up to {'; and to '.join(parts)}.")


def words(data: VisaData, comparison: Comparison, values: dict, averages: pd.DataFrame) -> dict[str, str]:
    """Every number and list the chapter's text uses, formatted, with the words that depend on them chosen here."""
    out: dict[str, str] = {
        "window_label": _months_label(comparison.start, comparison.end),
        "window_months": str(len(window(comparison.start, comparison.end))),
        "baseline_months": str(len(fiscal_year_months(comparison.baseline_fy))),
        "baseline_label": f"FY{comparison.baseline_fy}",
        "baseline_span": _months_label(f"{comparison.baseline_fy - 1}-10", f"{comparison.baseline_fy}-09"),
    }
    source = next(iter(comparison.groups.values())).baseline.source
    out["baseline_source"] = ("the annual table's 'Total Visas' column" if source.startswith("annual")
                              else "the sum of its twelve monthly tables")
    for key, g in comparison.groups.items():
        out[f"{key}_change"] = fmt_change(g.change)
        out[f"{key}_politico"] = _politico_text(g)
        out[f"{key}_diff"] = fmt_points(g.difference_points)
        out[f"{key}_window_total"] = _fmt_number(g.window_total)
        out[f"{key}_window_avg"] = _fmt_number(g.window_average)
        out[f"{key}_baseline_total"] = _fmt_number(g.baseline.total)
        out[f"{key}_baseline_avg"] = _fmt_number(g.baseline_average)
        out[f"{key}_description"] = g.description
        if key != ALL:
            out[f"{key}_n"] = str(len(g.members))
            out[f"{key}_list"] = _join(g.members)
            out[f"{key}_no_rows"] = _join(g.without_records) if g.without_records else "none"
        out[f"{key}_months_list"] = "; ".join("missing" if np.isnan(v) else f"{int(v):,}" for v in g.monthly)
        out[f"{key}_missing_months"] = _spans(g.missing_months)
    close = within(comparison)
    n_politico = sum(1 for g in comparison.groups.values() if not np.isnan(g.politico_pct))
    out["n_within"] = str(len(close))
    out["n_politico"] = str(n_politico)
    out["tolerance_text"] = count(TOLERANCE_POINTS, "percentage point")
    out["reproduce_sentence"] = (f"The records reproduce {_of_politico(len(close), n_politico)} within "
                                 f"{out['tolerance_text']}")
    if ALL in comparison.groups:
        near = not np.isnan(comparison[ALL].change) and abs(comparison[ALL].change) <= NEAR_ZERO
        out["near_zero_text"] = f"{NEAR_ZERO * 100:g}%"
        out["all_politico_relation"] = (f"within ±{out['near_zero_text']}, which bears out" if near else
                                        f"more than ±{out['near_zero_text']}, which does not bear out")
    coverage = class_coverage(data, comparison)
    out.update({k: f"{v:,}" for k, v in coverage.items()})
    six = comparison.groups.get("six")
    for key in ("arab", "muslim"):
        if key in comparison.groups and six is not None:
            overlap = [m for m in comparison[key].members if m in set(six.members)]
            out[f"{key}_overlap_six"] = _join(overlap) if overlap else "none"
            out[f"{key}_n_overlap_six"] = str(len(overlap))
            rest = without_members(data, comparison, key, six.members)
            out[f"{key}_without_six_change"] = fmt_change(rest)
            out[f"{key}_without_six_confined"] = (
                "so the decline was not confined to the countries under the order" if rest < 0 else
                "so outside the order's countries visas did not fall" if rest >= 0 else "")
    if "muslim" in comparison.groups:
        out["muslim_list_description"] = data.groups["muslim"].description
    for key in ("arab", "muslim"):
        if f"{key}_change_without_pa" in values:
            out[f"{key}_change_without_pa"] = fmt_change(values[f"{key}_change_without_pa"])
    if "pa_window_monthly_average" in values:
        out["pa_window_avg"] = _fmt_number(values["pa_window_monthly_average"])
        out["pa_baseline_avg"] = _fmt_number(values["pa_baseline_monthly_average"])
    # Proclamation 9645
    out["procl_name"] = PROCLAMATION
    signed = data.dates.loc[data.dates["event"] == f"{PROCLAMATION} signed", "date"]
    if signed.empty:
        raise ValueError(f"travel-ban dates have no row whose event is '{PROCLAMATION} signed'")
    out["procl_signed"] = f"{signed.iloc[0]:%-d %B %Y}"
    countries = list(data.restrictions["nationality"])
    out["procl_countries"] = _join(countries)
    out["procl_n"] = str(len(countries))
    together = averages[~averages["country"].isin(countries)].set_index("kind")
    periods = data.periods
    for key, (label, _, _) in periods.items():
        out[f"period_{key}"] = label.replace("-", "–")
    for kind, short in (("nonimmigrant", "niv"), ("immigrant", "iv")):
        for key in periods:
            out[f"procl_{short}_{key}"] = _fmt_number(together.at[kind, key])
        out[f"procl_{short}_first_year_moved"] = moved(together.at[kind, "before"], together.at[kind, "first_year"],
                                                      unknown="were")
        out[f"procl_{short}_first_year_change"] = fmt_change(period_change(together.at[kind, "before"],
                                                                           together.at[kind, "first_year"]))
        out[f"procl_{short}_latest_vs_before"] = fmt_change(period_change(together.at[kind, "before"],
                                                                          together.at[kind, "latest"]))
    gaps = [f"{KIND_LABELS[kind].lower()} visas in {label.replace('-', '–')}"
            for key, (label, _, _) in periods.items() for kind in state_dept_monthly.KINDS
            if np.isnan(together.at[kind, key])]
    out["procl_missing_periods"] = (
        f"An average over a period that includes a missing month is not computed, so there is none for "
        f"{_join(gaps)}." if gaps else "Every period has a full set of months for both kinds of visa.")
    revoked = data.dates.loc[data.dates["event"].str.startswith(REVOKED), "date"]
    after = not revoked.empty and pd.Timestamp(periods["latest"][1]) > revoked.iloc[0]
    out["procl_latest_intro"] = (f"In the latest twelve months of records ({out['period_latest']})"
                                 + (f", after the proclamation was revoked on {revoked.iloc[0]:%-d %B %Y}," if after
                                    else ","))
    niv_rows = averages[(averages["kind"] == "nonimmigrant") & averages["country"].isin(countries)]
    if "Venezuela" in set(niv_rows["country"]):
        venezuela = niv_rows[niv_rows["country"] == "Venezuela"].iloc[0]
        rest = niv_rows[niv_rows["country"] != "Venezuela"]
        out["procl_venezuela_share"] = fmt_pct(venezuela["before"] / together.at["nonimmigrant", "before"], 0)
        out["procl_venezuela_change"] = fmt_change(period_change(venezuela["before"], venezuela["first_year"]))
        out["procl_niv_change_without_venezuela"] = fmt_change(period_change(rest["before"].sum(),
                                                                             rest["first_year"].sum()))
        out["procl_n_without_venezuela"] = str(len(rest))
    dates = data.dates
    first, last = data.monthly["nonimmigrant"].months["month"].agg(["min", "max"])
    charted = dates[(dates["date"] >= first) & (dates["date"] <= last + pd.offsets.MonthEnd(0))]
    out["n_dates"] = str(len(charted))
    out["n_dates_text"] = count(len(charted), "date")
    # What the import found
    niv, iv = data.monthly["nonimmigrant"], data.monthly["immigrant"]
    out["niv_missing_months"] = _spans(niv.missing_months)
    out["niv_n_missing"] = str(len(niv.missing_months))
    out["niv_files"] = str(int(niv.months["available"].sum()))
    out["iv_files"] = str(int(iv.months["available"].sum()))
    out["first_month"] = f"{niv.months['month'].min():%B %Y}"
    out["last_month"] = f"{niv.months['month'].max():%B %Y}"
    out["niv_rows"] = f"{len(niv.issuances):,}"
    out["iv_rows"] = f"{len(iv.issuances):,}"
    off = niv.totals[niv.totals["difference"].fillna(0) != 0]
    out["grand_totals_sentence"] = _grand_totals_sentence(off, niv)
    iv_total_months = iv.totals[iv.totals["grand_total"].notna()]
    out["iv_totals_from"] = f"{iv_total_months['month'].min():%B %Y}" if len(iv_total_months) else "never"
    out["iv_total_mismatch"] = str(int((iv_total_months["difference"] != 0).sum()))
    out["n_repairs"] = str(sum(len(v.repairs) for v in data.monthly.values()))
    out["n_repairs_text"] = count(int(out["n_repairs"]), "repair")
    spellings = pd.concat([v.spellings for v in data.monthly.values()]).drop_duplicates(["spelling", "nationality"])
    out["n_spellings"] = str(len(spellings))
    out["n_names"] = str(spellings["nationality"].nunique())
    out["crosswalk_rows"] = str(len(data.crosswalk.table))
    out["crosswalk_names"] = str(data.crosswalk.table["name"].nunique())
    return out


def tables(data: VisaData, comparison: Comparison) -> dict[str, pd.DataFrame]:
    """The chapter's tables for the Downloads page (machine-friendly columns; a missing month is an empty cell)."""
    monthly, months = [], []
    for kind, table in data.monthly.items():
        by_nationality = (table.issuances.groupby(["month", "nationality"], observed=True)["issuances"].sum()
                          .reset_index())
        by_nationality.insert(0, "kind", kind)
        monthly.append(by_nationality)
        available = table.months[["month", "available"]].copy()
        available.insert(0, "kind", kind)
        months.append(available)
    return {"visas_monthly_by_nationality": pd.concat(monthly, ignore_index=True),
            "visas_months_available": pd.concat(months, ignore_index=True),
            "visas_politico_comparison": comparison_data(comparison),
            "visas_proclamation_monthly": data.proclamation.astype({k: "Int64" for k in state_dept_monthly.KINDS})}
