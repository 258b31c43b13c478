"""Visa declines: Politico's figures recomputed from the State Department's records, and the travel ban since.

Politico (28 Sep 2017, as reproduced by slowaroundthesun.blogspot.com) compared the monthly average of
non-immigrant visas issued in March-August 2017 with the FY2016 monthly average (the fiscal year's total / 12),
for the six countries of the March 2017 order, Arab nations, majority-Muslim countries and all nations. Its
terms are data (`raw/politico-visas`). This module recomputes each figure from the monthly and annual tables,
for any window, baseline fiscal year and country lists, and follows the Proclamation 9645 countries to the
latest month of records.

`results` returns values and named conditions only; the words are `templates/03_visas.md`.

Missing months are never zeros: a month without a file is NaN in every monthly series, and a total, average or
change over a span that includes one is None in the results, with the months that are missing beside it. A month
whose file is present but has no row for a country is a true 0 (the tables list every nationality with at least
one visa issued).
"""

from __future__ import annotations

import functools
import math
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import charts, visa_charts
from .errors import ParameterError
from .sources import country_groups, nationalities, politico, state_dept_annual, state_dept_monthly, travel_ban
# The reader tables and the chart are their own modules; the chapter's notebooks and tests find them here.
from .visa_tables import (BREAKDOWN_COLUMNS, GROUP_COLUMNS, PERIOD_COLUMNS, POLITICO_COLUMNS,  # noqa: F401
                          TOTALS_COLUMNS, dates_table, groups_table, merged_spellings, monthly_table,
                          order_months_table, politico_table, repairs_table, restrictions_table, totals_check)
from .visas_config import (ALL, EARLIER_ORDER, KIND_LABELS, PERIODS, PROCLAMATION, REVOKED, SIGNED,
                           TRAVEL_DOCUMENTS)

CHAPTER = "visas"
TITLE = "Visa declines under the travel ban"
SOURCES = ["state-dept-monthly-visas", "state-dept-annual-visas", "country-groups", "nationality-crosswalk",
           "travel-ban", "politico-visas"]
#: The sources each chart's numbers come from: its caption says "Data as of" the latest date they cover.
CHART_SOURCES = {"visas-proclamation-countries": ["state-dept-monthly-visas"]}
LABELS = {
    "six_change": "six-country change in visas",
    "arab_change": "Arab nations' change in visas",
    "muslim_change": "majority-Muslim countries' change in visas",
    "all_change": "all nations' change in visas",
    "n_reproduced": "Politico's figures the records reproduce",
    "politico_terms": "compared on Politico's own terms",
}
#: How close, in percentage points, a recomputed change must come to Politico's rounded figure to reproduce it.
TOLERANCE_POINTS = 1.0
#: "Virtually unchanged": a change no larger than this fraction either way.
NEAR_ZERO = 0.02
#: Below this monthly average in the index period, a change (or an index) says more about noise than policy.
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
    #: The countries of the March 2017 order (EO 13780), canonical names.
    order: list[str] = field(default_factory=list)
    #: Politico's group key -> the countries Politico named for it (only where it named them).
    politico_lists: dict[str, list[str]] = field(default_factory=dict)

    @functools.cached_property
    def proclamation(self) -> pd.DataFrame:
        """The proclamation countries' visas month by month (see `proclamation_series`), computed once."""
        return proclamation_series(self)

    @functools.cached_property
    def periods(self) -> dict[str, tuple[str, str]]:
        """`PERIODS` plus "latest": the last twelve months that both kinds of monthly table reach."""
        end = min(table.months["month"].max() for table in self.monthly.values())
        start = end - pd.DateOffset(months=11)
        return {**PERIODS, "latest": (f"{start:%Y-%m}", f"{end:%Y-%m}")}


def load(data_dir: Path, groups: dict[str, str] | None = None, *, cached: bool = True) -> VisaData:
    """Import every input of the chapter. Monthly tables come from the tidy cache when `cached`."""
    data_dir = Path(data_dir)
    groups = dict(groups or {})
    if ALL in groups:
        raise ValueError(f"groups: '{ALL}' is every nationality and cannot be redefined")
    read = state_dept_monthly.load if cached else state_dept_monthly.read
    claims = politico.changes(data_dir)
    lists = {str(r.group): country_groups.group(data_dir, str(r.countries)).nationalities()
             for r in claims.itertuples() if isinstance(r.countries, str) and r.countries.strip()}
    return VisaData(
        monthly={kind: read(data_dir, kind) for kind in state_dept_monthly.KINDS},
        annual=state_dept_annual.read(data_dir),
        groups={key: country_groups.group(data_dir, path) for key, path in groups.items()},
        claims=claims,
        restrictions=travel_ban.restrictions(data_dir),
        dates=travel_ban.dates(data_dir),
        crosswalk=nationalities.crosswalk(data_dir),
        order=country_groups.group(data_dir, travel_ban.EO_13780).nationalities(),
        politico_lists=lists,
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


def _missing(value) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def period_change(before, after):
    """The change from one monthly average to another (after / before − 1): every change on the page.

    None when either is missing or `before` is 0 (no change can be stated from nothing), so no division by zero
    or by NaN is ever attempted."""
    if _missing(before) or _missing(after) or float(before) == 0:
        return None
    return float(after) / float(before) - 1


def change(window_total: float, window_months: int, baseline_total: float, baseline_months: int = 12):
    """Change of the monthly average: (window / its months) against (baseline / its months); None when missing."""
    if _missing(window_total) or _missing(baseline_total):
        return None
    return period_change(baseline_total / baseline_months, window_total / window_months)


def _plain_number(value):
    """NaN -> None; numpy numbers -> Python numbers; whole floats stay floats (averages) unless integral counts."""
    return None if _missing(value) else float(value)


def _count_value(value):
    return None if _missing(value) else int(round(float(value)))


@dataclass(frozen=True)
class Baseline:
    """A fiscal year's non-immigrant visas for some nationalities, and where the figure comes from."""

    fiscal_year: int
    total: float
    source: str  # "annual" (the annual table's "Total Visas") or "monthly" (the sum of the twelve monthly tables)
    missing_months: list[pd.Timestamp] = field(default_factory=list)


def baseline(data: VisaData, fiscal_year: int, nationalities: list[str] | None) -> Baseline:
    """Total non-immigrant visas in `fiscal_year`: from the annual table ("Total Visas") when it covers the year,
    else the sum of the twelve monthly tables (NaN, with the months missing, if one is missing)."""
    totals = data.annual.totals
    year = totals[totals["fiscal_year"] == fiscal_year]
    if not year.empty:
        if nationalities is not None:
            year = year[year["nationality"].isin(list(nationalities))]
        return Baseline(fiscal_year, float(year["total_visas"].sum()), "annual")
    series = monthly_series(data.monthly["nonimmigrant"], nationalities)
    months = fiscal_year_months(fiscal_year)
    return Baseline(fiscal_year, span_total(series, months), "monthly", missing_in(series, months))


@dataclass(frozen=True)
class GroupChange:
    """One group's comparison, with everything needed to explain it."""

    key: str
    title: str
    description: str
    members: list[str]
    without_records: list[str]
    monthly: pd.Series
    window_total: float
    window_months: int
    missing_months: list[pd.Timestamp]
    baseline: Baseline
    change: float | None

    @property
    def window_average(self) -> float:
        return self.window_total / self.window_months

    @property
    def baseline_average(self) -> float:
        return self.baseline.total / 12


@dataclass(frozen=True)
class Comparison:
    start: str
    end: str
    baseline_fy: int
    groups: dict[str, GroupChange] = field(default_factory=dict)
    #: The proclamation countries' periods: "before" is this window (the chart's index base), then `VisaData.periods`.
    periods: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Their monthly averages over `periods` (see `period_averages`).
    averages: pd.DataFrame | None = None

    def __getitem__(self, key: str) -> GroupChange:
        return self.groups[key]


def compare(data: VisaData, start: str, end: str, baseline_fy: int) -> Comparison:
    """Each group's change in monthly non-immigrant visas, window against baseline fiscal year."""
    months = window(start, end)
    niv = data.monthly["nonimmigrant"]
    have_records = set(niv.issuances["nationality"].unique()) | set(data.annual.totals["nationality"])
    out = {}
    for key in list(data.groups) + [ALL]:
        if key == ALL:
            members, without, title, description = None, [], "", ""
        else:
            group = data.groups[key]
            members = group.nationalities()
            title, description = group.title, group.description
            without = [m for m in members if m not in have_records]
        series = monthly_series(niv, members)
        total = span_total(series, months)
        base = baseline(data, baseline_fy, members)
        out[key] = GroupChange(
            key=key, title=title, description=description, members=members or [], without_records=without,
            monthly=series.reindex(months), window_total=total, window_months=len(months),
            missing_months=missing_in(series, months), baseline=base, change=change(total, len(months), base.total))
    periods = {"before": (start, end), **data.periods}
    return Comparison(start=start, end=end, baseline_fy=baseline_fy, groups=out, periods=periods,
                      averages=period_averages(data.proclamation, periods))


def without_members(data: VisaData, comparison: Comparison, key: str, leave_out: list[str]):
    """A group's change with some members left out (e.g. the order's own countries); None when missing."""
    g = comparison[key]
    kept = [m for m in g.members if m not in set(leave_out)]
    months = window(comparison.start, comparison.end)
    total = span_total(monthly_series(data.monthly["nonimmigrant"], kept), months)
    return change(total, len(months), baseline(data, comparison.baseline_fy, kept).total)


def check_parameters(window_start: str, window_end: str, baseline_fy: int, groups: dict[str, str]) -> None:
    """Fail early, with one clear message naming the parameter, on parameters that cannot work."""
    for name, value in (("window_start", window_start), ("window_end", window_end)):
        try:
            month(value)
        except ValueError as exc:
            raise ParameterError(name, str(exc)) from None
    if month(window_end) < month(window_start):
        raise ParameterError("window_end", f"the window ends before it starts ({window_start!r})")
    if not isinstance(baseline_fy, int) or isinstance(baseline_fy, bool):
        raise ParameterError("baseline_fy", f"must be a year such as 2016, got {baseline_fy!r}")
    if not isinstance(groups, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in groups.items()):
        raise ParameterError("groups", "must map a key to a file path relative to the data directory")
    if ALL in groups:
        raise ParameterError("groups", f"'{ALL}' is every nationality and cannot be redefined")


def selects_data(data: VisaData, comparison: Comparison) -> None:
    """Raise a ParameterError naming the parameter when it asks for months the records do not span: a window
    month before the first monthly table or after the last, a baseline year neither in the annual table nor
    inside the monthly tables' span, a group with no country in the tables. The one rule for the notebook and
    `check`. (A month missing inside the span is not this: it is reported as missing, beside the values it stops.)"""
    months = data.monthly["nonimmigrant"].months["month"]
    first, last = months.min(), months.max()
    span = f"the monthly tables cover {first:%Y-%m} to {last:%Y-%m}"
    for name, value in (("window_start", comparison.start), ("window_end", comparison.end)):
        if not first <= month(value) <= last:
            raise ParameterError(name, f"outside the months of the data: {span}")
    fy = comparison.baseline_fy
    annual = sorted(int(y) for y in data.annual.totals["fiscal_year"].unique())
    in_fy = fiscal_year_months(fy)
    if fy not in annual and not (first <= in_fy[0] and in_fy[-1] <= last):
        raise ParameterError("baseline_fy", f"no data for FY{fy}: the annual table covers "
                                            f"{', '.join(f'FY{y}' for y in annual) or 'no year'}, and {span}")
    for key, g in comparison.groups.items():
        if key != ALL and len(g.without_records) == len(g.members):
            raise ParameterError("groups", f"no country of the list {data.groups[key].path!r} (group {key!r}) has "
                                           f"a row in the visa tables")


# --------------------------------------------------------------------------- values


def _ym(stamp) -> str:
    return f"{pd.Timestamp(stamp):%Y-%m}"


def runs(months) -> list[dict]:
    """Consecutive months as runs: [{"first": "2017-05", "last": "2019-04", "same_year": False}, ...]."""
    months = sorted(pd.Timestamp(m) for m in months)
    out = []
    for m in months:
        if out and pd.Timestamp(out[-1]["last"]) + pd.offsets.MonthBegin(1) == m:
            out[-1]["last"] = _ym(m)
        else:
            out.append({"first": _ym(m), "last": _ym(m)})
    for r in out:
        r["same_year"] = r["first"][:4] == r["last"][:4]
        r["one"] = r["first"] == r["last"]
    return out


def _politico_values(data: VisaData, comparison: Comparison, changes: dict) -> dict:
    """Politico's figures beside the records', whether the run is on Politico's terms, and how many reproduce."""
    rows = data.claims
    terms_off = []
    for name, ran in (("window_start", comparison.start), ("window_end", comparison.end),
                      ("baseline_fy", comparison.baseline_fy)):
        wanted = sorted({str(v) for v in rows[name]})
        if wanted != [str(ran)]:
            terms_off.append({"name": name, "run": str(ran), "politico": wanted[0] if len(wanted) == 1 else None})
    figures = []
    for r in rows.itertuples():
        key = str(r.group)
        in_run = key in comparison.groups
        named = data.politico_lists.get(key)
        if not in_run:
            terms_off.append({"name": "groups", "group": key, "description": str(r.description), "reason": "absent"})
        elif named is not None and sorted(comparison[key].members) != sorted(named):
            g = comparison[key]
            terms_off.append({"name": "groups", "group": key, "description": str(r.description),
                              "reason": "other countries",
                              "only_run": sorted(set(g.members) - set(named)),
                              "only_politico": sorted(set(named) - set(g.members))})
        computed = changes.get(key) if in_run else None
        stated = None if r.kind == "near_zero" else float(r.change_pct) / 100
        if computed is None:
            difference, reproduced = None, None
        elif r.kind == "near_zero":
            difference, reproduced = computed, abs(computed) <= NEAR_ZERO
        else:
            difference = computed * 100 - float(r.change_pct)
            reproduced = abs(difference) <= TOLERANCE_POINTS + 1e-9
        figures.append({"key": key, "description": str(r.description), "wording": str(r.wording), "kind": str(r.kind),
                        "politico_change": stated, "in_run": in_run, "named": named,
                        "change": computed, "difference_points": difference, "reproduced": reproduced,
                        "direction": None if computed is None else ("fell" if computed < 0 else
                                                                     "rose" if computed > 0 else "same")})
    computed = [f for f in figures if f["change"] is not None]
    judged = not terms_off and len(computed) == len(figures)
    if not judged:  # off Politico's terms, or with a figure missing, nothing is judged: no verdict in the record
        for f in figures:
            f["reproduced"] = None
    first = rows.iloc[0]
    return {
        "politico": {"published": f"{pd.Timestamp(first['published']):%Y-%m-%d}",
                     "window_start": str(first["window_start"]), "window_end": str(first["window_end"]),
                     "baseline_fy": int(first["baseline_fy"]), "source": str(first["source"]),
                     "n_figures": len(figures)},
        "politico_figures": figures,
        "politico_terms": not terms_off,
        "politico_terms_off": terms_off,
        "n_politico_figures": len(figures),
        "n_computed": len(computed),
        "n_not_computed": len(figures) - len(computed),
        "n_reproduced": sum(1 for f in computed if f["reproduced"]) if judged else None,
        "n_not_reproduced": sum(1 for f in computed if not f["reproduced"]) if judged else None,
        "politico_complete": len(computed) == len(figures),
        # Politico's percentages for groups whose lists it did not publish (their closeness depends on ours)
        "politico_unnamed": [f["description"] for f in figures if f["kind"] == "percent" and f["named"] is None],
    }


def _group_values(data: VisaData, comparison: Comparison, g: GroupChange) -> dict:
    titles = data.claims.set_index("group")["description"]
    order = set(data.order)
    overlap = [m for m in g.members if m in order] if g.key != ALL else []
    documents = [m for m in g.members if m in set(TRAVEL_DOCUMENTS)]
    return {
        "key": g.key, "all": g.key == ALL, "title": g.title, "description": g.description,
        "politico_description": str(titles[g.key]) if g.key in titles.index else None,
        "n_countries": None if g.key == ALL else len(g.members),
        "countries": list(g.members), "without_records": list(g.without_records),
        "n_without_records": len(g.without_records),
        "is_order": g.key != ALL and sorted(g.members) == sorted(data.order),
        "months": [{"month": _ym(m), "issuances": _count_value(v)} for m, v in g.monthly.items()],
        "window_total": _count_value(g.window_total), "window_average": _plain_number(g.window_average),
        "baseline_total": _count_value(g.baseline.total), "baseline_average": _plain_number(g.baseline_average),
        "change": g.change,
        "overlap_order": overlap, "n_overlap_order": len(overlap),
        "only_order": bool(overlap) and len(overlap) == len(g.members),
        "change_without_order": (without_members(data, comparison, g.key, data.order)
                                 if overlap and len(overlap) < len(g.members) else None),
        "travel_documents": documents, "n_travel_documents": len(documents),
        "change_without_travel_documents": (without_members(data, comparison, g.key, documents)
                                            if documents and len(documents) < len(g.members) else None),
    }


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


def _proclamation_values(data: VisaData, comparison: Comparison) -> dict:
    averages, periods = comparison.averages, comparison.periods
    countries = list(data.restrictions["nationality"])
    together = averages[averages["country"].isna()].set_index("kind")
    signed = data.dates.loc[data.dates["event"] == SIGNED, "date"]
    revoked = data.dates.loc[data.dates["event"].str.startswith(REVOKED), "date"]
    series = data.proclamation
    period_rows = []
    for key, (first, last) in periods.items():
        months = set(window(first, last))
        row = {"key": key, "first": first, "last": last}
        gone = set()
        for kind in state_dept_monthly.KINDS:
            row[kind] = _plain_number(together.at[kind, key])
            have = set(series.loc[series[kind].notna(), "month"])
            missing = sorted(m for m in months if m not in have)  # no table, or outside the records
            row[f"{kind}_missing"] = [_ym(m) for m in missing]
            gone |= set(missing)
        row["missing"] = [_ym(m) for m in sorted(gone)]
        period_rows.append(row)
    kinds = []
    for kind in state_dept_monthly.KINDS:
        entry = {"kind": kind}
        for key in ("before", "first_year", "latest"):
            entry[key] = _plain_number(together.at[kind, key])
            entry[f"{key}_missing"] = next(p[f"{kind}_missing"] for p in period_rows if p["key"] == key)
        entry["first_year_change"] = period_change(together.at[kind, "before"], together.at[kind, "first_year"])
        entry["latest_change"] = period_change(together.at[kind, "before"], together.at[kind, "latest"])
        kinds.append(entry)
    gaps = [{"kind": kind, "first": p["first"], "last": p["last"]}
            for p in period_rows for kind in state_dept_monthly.KINDS if p[kind] is None]
    officials = data.restrictions[data.restrictions["officials_only"].astype(bool)]
    niv = averages[(averages["kind"] == "nonimmigrant") & averages["country"].notna()].set_index("country")
    officials_only = []
    for name in officials["nationality"]:
        whole, part = together.at["nonimmigrant", "before"], niv.at[name, "before"]
        officials_only.append({
            "country": str(name),
            "share_before": None if _missing(whole) or _missing(part) or not whole else float(part / whole),
            "first_year_change": period_change(niv.at[name, "before"], niv.at[name, "first_year"])})
    rest = niv.drop(index=list(officials["nationality"]))
    rest_before = span_or_none(rest["before"])
    rest_first = span_or_none(rest["first_year"])
    first, last = data.monthly["nonimmigrant"].months["month"].agg(["min", "max"])
    latest_first = pd.Timestamp(periods["latest"][0])
    later = [{"country": str(r.country), "note": str(r.note)} for r in data.restrictions.itertuples()
             if isinstance(r.note, str) and r.note.strip()]
    bases = index_bases(comparison)
    unindexed = [{"country": str(r.country), "kind": str(r.kind), "reason": str(r.reason),
                  "average": _plain_number(r.base)} for r in bases.itertuples() if r.reason != "indexed"]
    events = chart_events(data)
    charted = events
    return {
        "proclamation_signed": f"{signed.iloc[0]:%Y-%m-%d}" if not signed.empty else None,
        "proclamation_country_list": [str(c) for c in countries],
        "procl": {
            "n_countries": len(countries),
            "countries": [str(c) for c in countries],
            "name": PROCLAMATION,
            "periods": period_rows,
            "kinds": kinds,
            "nonimmigrant_first_year_change": kinds[0]["first_year_change"],
            "immigrant_first_year_change": kinds[1]["first_year_change"],
            "gaps": gaps,
            "officials_only": officials_only,
            "officials_only_countries": [o["country"] for o in officials_only],
            "later": later, "n_later": len(later),
            "latest": next(p for p in period_rows if p["key"] == "latest"),
            "n_others": len(rest),
            "others_first_year_change": period_change(rest_before, rest_first),
            "revoked": f"{revoked.iloc[0]:%Y-%m-%d}" if not revoked.empty else None,
            "latest_after_revoked": bool(not revoked.empty and latest_first > revoked.iloc[0]),
            "n_dates_charted": len(charted),
            "first_month": _ym(first), "last_month": _ym(last),
            "min_for_change": MIN_FOR_CHANGE,
            # series with no index (no chart line): their base is missing, none, or too few to index
            "unindexed": unindexed, "n_unindexed": len(unindexed),
            "unindexed_reasons": [reason for reason in ("missing", "none", "too_few")
                                  if any(u["reason"] == reason for u in unindexed)],
            "n_indexed": int((bases["reason"] == "indexed").sum()),
            "n_drawn": len(set(bases.loc[bases["reason"] == "indexed", "country"])),
            "chart_events": [{"date": f"{e.date:%Y-%m-%d}", "label": str(e.label)} for e in events.itertuples()],
        },
        "travel_ban_dates": [{"date": f"{d.date:%Y-%m-%d}", "label": str(d.label), "event": str(d.event),
                              "url": first_url(d.source), "host": host(first_url(d.source))}
                             for d in data.dates.itertuples()],
    }


def span_or_none(column: pd.Series):
    """The sum of a column of averages, or None if any is missing (never a partial sum)."""
    return None if column.isna().any() else float(column.sum())


def _import_values(data: VisaData) -> dict:
    niv, iv = data.monthly["nonimmigrant"], data.monthly["immigrant"]
    off = niv.totals[niv.totals["difference"].fillna(0) != 0]
    repaired = set(niv.months.loc[niv.months["file"].isin(niv.repairs["file"]), "month"])
    parts = []
    for sign, relation in ((-1, "over"), (1, "under")):
        months = list(off.loc[np.sign(off["difference"]) == sign, "month"])
        if months:
            n_repaired = sum(m in repaired for m in months)
            parts.append({"relation": relation, "n_months": len(months), "runs": runs(months),
                          "n_repaired": n_repaired, "all_repaired": n_repaired == len(months)})
    spellings = pd.concat([v.spellings for v in data.monthly.values()]).drop_duplicates(["spelling", "nationality"])
    iv_total_months = iv.totals[iv.totals["grand_total"].notna()]
    return {
        "niv_missing_months": [_ym(m) for m in niv.missing_months],
        "iv_missing_months": [_ym(m) for m in iv.missing_months],
        "niv_missing_runs": runs(niv.missing_months),
        "missing_nonimmigrant_months": len(niv.missing_months),
        "missing_immigrant_months": len(iv.missing_months),
        "niv_files": int(niv.months["available"].sum()), "iv_files": int(iv.months["available"].sum()),
        "niv_rows": len(niv.issuances), "iv_rows": len(iv.issuances),
        "records_first_month": _ym(niv.months["month"].min()), "records_last_month": _ym(niv.months["month"].max()),
        "nonimmigrant_months_total_mismatch": len(off),
        "totals_max_difference": int(off["difference"].abs().max()) if len(off) else 0,
        "totals_off": parts,
        "iv_totals_from": _ym(iv_total_months["month"].min()) if len(iv_total_months) else None,
        "iv_total_mismatch": int((iv_total_months["difference"] != 0).sum()),
        "n_repairs": int(sum(len(v.repairs) for v in data.monthly.values())),
        "n_spellings": len(spellings), "n_names": int(spellings["nationality"].nunique()),
        "crosswalk_rows": len(data.crosswalk.table), "crosswalk_names": int(data.crosswalk.table["name"].nunique()),
    }


def results(data: VisaData, comparison: Comparison) -> dict:
    """The chapter's values and named conditions, as plain data (changes as fractions; None where a span includes
    a missing month, with the months beside it). Raises ValueError when a parameter selects no data."""
    selects_data(data, comparison)
    months = window(comparison.start, comparison.end)
    fy = comparison.baseline_fy
    some = next(iter(comparison.groups.values()))
    groups = [_group_values(data, comparison, g) for g in comparison.groups.values()]
    changes = {g["key"]: g["change"] for g in groups}
    out: dict = {
        "tolerance_points": TOLERANCE_POINTS, "near_zero": NEAR_ZERO,
        "window_start": comparison.start, "window_end": comparison.end, "window_months": len(months),
        "baseline_fy": fy, "baseline_first_month": _ym(fiscal_year_months(fy)[0]),
        "baseline_last_month": _ym(fiscal_year_months(fy)[-1]), "baseline_months": 12,
        "baseline_source": some.baseline.source,
        "window_missing_months": [_ym(m) for m in some.missing_months],
        "baseline_missing_months": [_ym(m) for m in some.baseline.missing_months],
        "groups": groups,
        "order_countries": list(data.order),
        "travel_documents": [{"name": name,
                              "window_average": _plain_number(span_total(monthly_series(
                                  data.monthly["nonimmigrant"], [name]), months) / len(months)),
                              "baseline_average": _plain_number(baseline(data, fy, [name]).total / 12)}
                             for name in TRAVEL_DOCUMENTS
                             if name in set(data.monthly["nonimmigrant"].issuances["nationality"].unique())
                             and any(name in g["countries"] for g in groups)],
    }
    out["missing"] = bool(out["window_missing_months"] or out["baseline_missing_months"])
    out["window_missing_runs"] = runs(some.missing_months)
    out["baseline_missing_runs"] = runs(some.baseline.missing_months)
    out["n_missing_months"] = len(out["window_missing_months"]) + len(out["baseline_missing_months"])
    for key, value in changes.items():
        out[f"{key}_change"] = value
    for g in groups:  # the claims ledger reads each list and its length by the group's key
        if not g["all"]:
            out[f"{g['key']}_countries"] = g["n_countries"]
            out[f"{g['key']}_country_list"] = list(g["countries"])
    out.update(_politico_values(data, comparison, changes))
    out["politico_published"] = out["politico"]["published"]
    coverage = class_coverage(data, comparison)
    out["classes"] = coverage
    out.update(_proclamation_values(data, comparison))
    orders = data.dates["event"].str.extract(EARLIER_ORDER)[0]
    signed = pd.Timestamp(out["proclamation_signed"]) if out["proclamation_signed"] else None
    out["earlier_orders"] = [str(o) for o, d in zip(orders, data.dates["date"])
                             if isinstance(o, str) and (signed is None or d < signed)]
    out.update(_import_values(data))
    out["sources"] = {"politico": out["politico"]["source"],
                      "proclamation": sorted({str(s) for s in data.restrictions["source"]})}
    return out


# --------------------------------------------------------------------------- tables


#: The data reporters' page of this chapter: how the files were read (its words are `templates/09_visa_files.md`).
FILES_PAGE = "09_visa_files"


def reread(data_dir: Path, chapter: dict) -> tuple[VisaData, Comparison]:
    """The chapter's data and comparison under the parameters its results record was computed with, so that the
    data reporters' page shows the tables of the very run the chapter's page shows."""
    p = chapter["parameters"]
    data = load(data_dir, p["groups"])
    return data, compare(data, p["window_start"], p["window_end"], p["baseline_fy"])


def files_page(chapter: dict, glue: bool = True) -> dict[str, str]:
    """The words of the data reporters' page, rendered from the chapter's results record (its values, parameters and
    run: nothing is computed again), each block glued for `{glue:md}`."""
    from . import record

    text = record.render(FILES_PAGE, chapter["values"], chapter["parameters"], chapter["overridden"])
    if glue:
        from IPython.display import Markdown
        from myst_nb import glue as myst_glue

        for name, block in text.items():
            myst_glue(name, Markdown(block), display=False)
    return text



def breakdown(data: VisaData, comparison: Comparison, key: str) -> pd.DataFrame:
    """Each member of a group: baseline monthly average, window monthly average, change; largest baseline first."""
    g = comparison[key]
    months = window(comparison.start, comparison.end)
    niv = data.monthly["nonimmigrant"]
    rows = []
    for name in g.members:
        total = span_total(monthly_series(niv, [name]), months)
        base = baseline(data, comparison.baseline_fy, [name])
        rows.append({"country": name, "baseline": base.total / 12, "window": total / len(months),
                     "change": change(total, len(months), base.total)})
    return pd.DataFrame(rows).sort_values(["baseline", "country"], ascending=[False, True]).reset_index(drop=True)


def breakdowns(data: VisaData, comparison: Comparison) -> pd.DataFrame:
    """`breakdown` of every group but all nations and the order's own list, one table with a group column."""
    order = sorted(data.order)
    frames = [breakdown(data, comparison, key).assign(group=data.groups[key].title)
              for key, g in comparison.groups.items() if key != ALL and sorted(g.members) != order]
    if not frames:
        return pd.DataFrame(columns=["group", "country", "baseline", "window", "change"])
    return pd.concat(frames, ignore_index=True)[["group", "country", "baseline", "window", "change"]]


# --------------------------------------------------------------------------- Proclamation 9645


def proclamation_series(data: VisaData) -> pd.DataFrame:
    """Month by month, for each Proclamation 9645 country: non-immigrant and immigrant visas (NaN = missing)."""
    frames = []
    for name in data.restrictions["nationality"]:
        part = pd.DataFrame({kind: monthly_series(data.monthly[kind], [name]) for kind in state_dept_monthly.KINDS})
        part = part.reset_index().rename(columns={"index": "month"})
        part.insert(1, "country", name)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def period_averages(series: pd.DataFrame, periods: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """Monthly average per country, kind and period (columns keyed as `periods`); NaN where a period spans a
    missing month. A last pair of rows, with no country (NaN), sums the countries (NaN if any is NaN)."""
    periods = periods or PERIODS
    rows = []
    for name, part in series.groupby("country", sort=False):
        indexed = part.set_index("month")
        for kind in state_dept_monthly.KINDS:
            row = {"country": name, "kind": kind}
            for key, (start, end) in periods.items():
                months = window(start, end)
                row[key] = span_total(indexed[kind], months) / len(months)
            rows.append(row)
    frame = pd.DataFrame(rows)
    together = frame.groupby("kind", sort=False)[list(periods)].sum(min_count=1)
    together = together.where(frame.groupby("kind", sort=False)[list(periods)].apply(lambda f: f.notna().all()))
    together = together.reset_index().assign(country=None)
    return pd.concat([frame, together[frame.columns]], ignore_index=True)


def period_table(comparison: Comparison) -> pd.DataFrame:
    """The proclamation countries' period averages and the change from the first period to the second (empty where
    a period spans a missing month, or where the first period averaged under `MIN_FOR_CHANGE` a month)."""
    averages, periods = comparison.averages, comparison.periods
    first, second = list(periods)[:2]
    out = pd.DataFrame({"country": averages["country"].fillna("all the countries"),
                        "visas": averages["kind"].map(KIND_LABELS)})
    for key in periods:
        out[key] = averages[key]
    out["change"] = [None if _missing(b) or b < MIN_FOR_CHANGE else period_change(b, a)
                     for b, a in zip(averages[first], averages[second])]
    return out


# --------------------------------------------------------------------------- charts


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:)]")


def first_url(citation: str) -> str | None:
    """The first web address in a citation (the document cited; a later one is a summary of it)."""
    match = _URL.search(str(citation))
    return match.group(0) if match else None


def host(url: str | None) -> str | None:
    """A web address's host, as a link names it: "www.govinfo.gov" -> "govinfo.gov"."""
    if url is None:
        return None
    name = urllib.parse.urlsplit(url).hostname or ""
    return name.removeprefix("www.") or None


def chart_events(data: VisaData) -> pd.DataFrame:
    """The dates of `travel-ban-dates.csv` that fall in the months of the records: date, label, event."""
    first, last = data.monthly["nonimmigrant"].months["month"].agg(["min", "max"])
    d = data.dates
    return d[(d["date"] >= first) & (d["date"] <= last + pd.offsets.MonthEnd(0))][["date", "label", "event"]] \
        .reset_index(drop=True)


def index_bases(comparison: Comparison) -> pd.DataFrame:
    """Each proclamation country's index base per kind: its monthly average over the window (the "before" period),
    and whether it is indexed. reason: "indexed", "missing" (the window spans a month with no table, so there is no
    average), "none" (no visa at all in the window) or "too_few" (under `MIN_FOR_CHANGE` a month: an index of a
    handful of visas is noise)."""
    averages = comparison.averages
    rows = averages[averages["country"].notna()][["country", "kind", "before"]].rename(columns={"before": "base"})
    reasons = []
    for base in rows["base"]:
        reasons.append("missing" if _missing(base) else "none" if base == 0 else
                       "too_few" if base < MIN_FOR_CHANGE else "indexed")
    return rows.assign(reason=reasons).reset_index(drop=True)


def index_series(data: VisaData, comparison: Comparison) -> pd.DataFrame:
    """Each country's monthly visas, and each as an index of its monthly average over the window (= 100; see
    `index_bases`): columns month, country, nonimmigrant, immigrant, nonimmigrant_index, immigrant_index.

    A series whose base is not indexed has no index (empty, never 0 or a division by zero); a missing month stays a
    gap (NaN), never 0."""
    bases = index_bases(comparison)
    usable = bases[bases["reason"] == "indexed"].set_index(["country", "kind"])["base"]
    out = data.proclamation.copy()
    for kind in state_dept_monthly.KINDS:
        b = np.asarray([usable.get((c, kind), np.nan) for c in out["country"]], dtype="float64")
        values = out[kind].to_numpy(dtype="float64")
        ok = ~np.isnan(b) & ~np.isnan(values)
        index = np.full(len(out), np.nan)
        index[ok] = np.round(values[ok] / b[ok] * 100, 1)
        out[f"{kind}_index"] = index
    return out


def proclamation_chart(data: VisaData, comparison: Comparison, text: dict[str, str]) -> charts.Figure:
    """Small multiples in one column as wide as the page's (a phone's too): each country's monthly visas as an index
    of its monthly average over the window (= 100) on one shared scale, under a strip that labels each order and
    ruling of the dates table at its date, with a rule through every panel. Its words are the record's `text`."""
    return visa_charts.proclamation_figure(index_series(data, comparison), chart_events(data), text)


def tables(data: VisaData, comparison: Comparison, values: dict | None = None) -> dict[str, pd.DataFrame]:
    """The chapter's tables for the Downloads page (machine-friendly columns; a missing month is an empty cell)."""
    values = values if values is not None else results(data, comparison)
    monthly, months = [], []
    for kind, table in data.monthly.items():
        by_nationality = (table.issuances.groupby(["month", "nationality"], observed=True)["issuances"].sum()
                          .reset_index())
        by_nationality.insert(0, "kind", kind)
        monthly.append(by_nationality)
        available = table.months[["month", "available"]].copy()
        available.insert(0, "kind", kind)
        months.append(available)
    comparison_data = pd.DataFrame([{
        "group": f["key"], "description": f["description"], "politico_change": f["politico_change"],
        "politico_wording": f["wording"], "records_change": f["change"],
        "window_start": values["window_start"], "window_end": values["window_end"],
        "baseline_fiscal_year": values["baseline_fy"],
    } for f in values["politico_figures"]])
    return {"visas_monthly_by_nationality": pd.concat(monthly, ignore_index=True),
            "visas_months_available": pd.concat(months, ignore_index=True),
            "visas_politico_comparison": comparison_data,
            "visas_proclamation_monthly": data.proclamation.astype({k: "Int64" for k in state_dept_monthly.KINDS})}
