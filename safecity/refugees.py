"""Refugee ceilings and admissions, FY1980 onwards: is a year's ceiling "the lowest since 1980"?

Pure functions from the tidy frames of the three refugee sources to the chapter's tables, charts
and headline values. A ceiling has two readings when it was changed within the year: as first set
(the presidential determination before the year starts) and at year end (after the revision). The
claim is tested against both; the headline uses the ceiling as first set, the figure a
determination announces and an article compares.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from dataclasses import dataclass
import altair as alt
import numpy as np
import pandas as pd

from . import charts
from .errors import DataError, Problem
from .text import count, fy, join_and, minus

MEASURES = {"ceiling_set": "as first set", "ceiling_final": "at year end"}
MPI_SOURCE = "Migration Policy Institute tabulation of State Department (WRAPS) data"
PRM_SOURCE = ("US State Department, Bureau of Population, Refugees, and Migration, Refugee Admissions Report "
              "as of 31 December 2024")
FACTS_SOURCE = "presidential determinations and executive orders (see the chapter's sources table)"
CEILING_SOURCE = (f"{MPI_SOURCE}; ceilings revised within a year, and ceilings not yet in MPI's table, from "
                  f"{FACTS_SOURCE}")


# --------------------------------------------------------------------------- inputs

@dataclass(frozen=True)
class Inputs:
    """Everything the chapter reads, each from its own importer."""

    mpi: object  # sources.mpi_refugees.MpiTable
    prm: object  # sources.prm_refugees.PrmWorkbook
    facts: pd.DataFrame
    groups: pd.DataFrame
    names: pd.DataFrame
    facts_file: str


def load(data_dir) -> Inputs:
    from .sources import mpi_refugees, prm_refugees, refugee_policy

    groups = refugee_policy.country_groups(data_dir)
    return Inputs(mpi=mpi_refugees.load(data_dir), prm=prm_refugees.load(data_dir),
                  facts=refugee_policy.facts(data_dir), groups=groups,
                  names=refugee_policy.prm_country_names(data_dir, groups),
                  facts_file=refugee_policy._file(data_dir, "policy_facts"))


def fy_list(years) -> str:
    """FY2019, FY2020 and FY2026 (or 'none')."""
    names = [fy(y) for y in years]
    return join_and(names) if names else "none"


# --------------------------------------------------------------------------- ceilings by year

def fiscal_years(mpi, facts: pd.DataFrame, facts_file: str = "policy_facts.csv") -> pd.DataFrame:
    """One row per fiscal year: the ceiling as first set and at year end, admissions, partial, suspension.

    MPI's table gives the ceiling in force at year end. The facts table adds the ceiling as first set
    where it was revised, and years MPI does not cover yet. Where both give a year-end ceiling they
    must agree; a disagreement is a :class:`DataError` naming both lines.
    """
    table = mpi.frame.rename(columns={"ceiling": "ceiling_final"}).copy()
    table["ceiling_set"] = table["ceiling_final"]
    table["revised"] = False
    table["suspended_from"] = pd.Series([None] * len(table), dtype="object")
    by_year = {int(y): i for i, y in enumerate(table["fiscal_year"])}
    added = []
    for year, rows in facts.groupby("fiscal_year", sort=True):
        year = int(year)
        kinds = rows.set_index("fact")
        set_value = kinds["value"].get("ceiling_set")
        revised_value = kinds["value"].get("ceiling_revised")
        suspended = kinds["date"].get("admissions_suspended")
        if set_value is None and suspended is None:
            continue
        final = revised_value if revised_value is not None else set_value
        if year in by_year:
            index = by_year[year]
            mpi_final = table.at[index, "ceiling_final"]
            if final is not None and (pd.isna(mpi_final) or int(mpi_final) != int(final)):
                fact = "ceiling_revised" if revised_value is not None else "ceiling_set"
                line = int(kinds.loc[fact, "line"])
                shown = "no ceiling" if pd.isna(mpi_final) else f"{int(mpi_final):,}"
                raise DataError(Problem(facts_file, f"FY{year}: year-end ceiling {int(final):,} disagrees with "
                                                    f"{shown} in {mpi.file} (line {int(table.at[index, 'line'])})",
                                        line=line, column="value"))
            if set_value is not None:
                table.at[index, "ceiling_set"] = int(set_value)
                table.at[index, "revised"] = revised_value is not None and int(revised_value) != int(set_value)
            if suspended is not None:
                table.at[index, "suspended_from"] = suspended
        else:
            added.append({"fiscal_year": year, "ceiling_final": final, "ceiling_set": set_value,
                          "revised": revised_value is not None and set_value is not None
                          and int(revised_value) != int(set_value),
                          "admissions": pd.NA, "partial": False, "line": pd.NA, "suspended_from": suspended})
    if added:
        table = pd.concat([table, pd.DataFrame(added)], ignore_index=True)
    table = table.sort_values("fiscal_year").reset_index(drop=True)
    years = table["fiscal_year"].tolist()
    gaps = [b for a, b in zip(years, years[1:]) if b != a + 1]
    if gaps:
        raise DataError(Problem(facts_file, f"FY{gaps[0]} is not next to the years before it: fill the gap "
                                            "in MPI's table or the facts table"))
    for column in ("ceiling_set", "ceiling_final", "admissions"):
        table[column] = pd.array([None if pd.isna(v) else int(v) for v in table[column]], dtype="Int64")
    table["fiscal_year"] = table["fiscal_year"].astype("int64")
    table["revised"] = table["revised"].astype(bool)
    table["partial"] = table["partial"].astype(bool)
    return table[["fiscal_year", "ceiling_set", "ceiling_final", "revised", "admissions", "partial", "suspended_from"]]


def shown_years(years: pd.DataFrame, first: int, last: int | None) -> pd.DataFrame:
    """The years between `first` and `last` (None: the latest in the data), inclusive."""
    last = int(years["fiscal_year"].max()) if last is None else int(last)
    if first > last:
        raise ValueError(f"first fiscal year {first} is after the last {last}")
    out = years[(years["fiscal_year"] >= first) & (years["fiscal_year"] <= last)].reset_index(drop=True)
    if out.empty:
        raise ValueError(f"no fiscal years between {first} and {last} in the data")
    return out


# --------------------------------------------------------------------------- the claim

@dataclass(frozen=True)
class LowestCeiling:
    """Is `year`'s ceiling lower than every ceiling from `since` to the year before?"""

    year: int
    since: int
    measure: str
    ceiling: int
    minimum: int
    minimum_years: tuple[int, ...]
    n_compared: int
    missing_years: tuple[int, ...]
    later_lower: pd.DataFrame  # fiscal_year, ceiling: later years with a lower ceiling

    @property
    def is_lowest(self) -> bool:
        return self.ceiling < self.minimum

    @property
    def ties(self) -> bool:
        return self.ceiling == self.minimum

    @property
    def label(self) -> str:
        if self.is_lowest:
            return f"lowest since {self.since}"
        if self.ties:
            return f"tied for lowest since {self.since}"
        return f"not the lowest since {self.since}"

    @property
    def sentence(self) -> str:
        """The finding as an editor would write it, every comparison word chosen from the numbers."""
        low = f"{self.minimum:,} in {fy_list(self.minimum_years)}"
        head = f"{fy(self.year)}'s ceiling of {self.ceiling:,}"
        if self.is_lowest:
            return (f"{head} was the lowest since {fy(self.since)}: every ceiling from {fy(self.since)} to "
                    f"{fy(self.year - 1)} was higher, the lowest of them {low}")
        if self.ties:
            return f"{head} only equalled the lowest ceiling before it, {low}"
        return f"{head} was not the lowest since {fy(self.since)}: it is above the {low}"


def lowest_since(years: pd.DataFrame, year: int, since: int, measure: str = "ceiling_set") -> LowestCeiling:
    """Test the claim "`year`'s ceiling is the lowest since `since`" on one reading of the ceiling.

    Compares with every year from `since` to `year - 1` that has a ceiling (years without one are
    listed in `missing_years`, never counted as zero), and lists the later years that went lower.
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown ceiling measure {measure!r} (known: {', '.join(MEASURES)})")
    if since >= year:
        raise ValueError(f"the comparison must start before the year tested ({since} >= {year})")
    row = years[years["fiscal_year"] == year]
    if row.empty or pd.isna(row[measure].iloc[0]):
        raise ValueError(f"{fy(year)} has no ceiling in the data")
    ceiling = int(row[measure].iloc[0])
    window = years[(years["fiscal_year"] >= since) & (years["fiscal_year"] < year)]
    if window["fiscal_year"].min() != since:
        raise ValueError(f"the data start in {fy(years['fiscal_year'].min())}, after {fy(since)}")
    known = window[window[measure].notna()]
    if known.empty:
        raise ValueError(f"no ceilings between {fy(since)} and {fy(year - 1)}")
    minimum = int(known[measure].min())
    later = years[(years["fiscal_year"] > year) & years[measure].notna()]
    later = later[later[measure] < ceiling]
    return LowestCeiling(year=int(year), since=int(since), measure=measure, ceiling=ceiling, minimum=minimum,
                   minimum_years=tuple(int(y) for y in known.loc[known[measure] == minimum, "fiscal_year"]),
                   n_compared=len(known),
                   missing_years=tuple(int(y) for y in window.loc[window[measure].isna(), "fiscal_year"]),
                   later_lower=pd.DataFrame({"fiscal_year": later["fiscal_year"].astype("int64"),
                                             "ceiling": later[measure].astype("int64")}).reset_index(drop=True))


def later_lower_table(years: pd.DataFrame, as_set: LowestCeiling, year_end: LowestCeiling) -> pd.DataFrame:
    """The later years whose ceiling went below the tested year's, on either reading."""
    later = sorted(set(as_set.later_lower["fiscal_year"]) | set(year_end.later_lower["fiscal_year"]))
    rows = years.set_index("fiscal_year").loc[later] if later else years.iloc[0:0].set_index("fiscal_year")
    return pd.DataFrame({
        "fiscal year": [fy(y) for y in later],
        "ceiling as first set": [int(v) for v in rows["ceiling_set"]],
        "ceiling at year end": [int(v) for v in rows["ceiling_final"]],
        f"below {fy(as_set.year)} as first set": [y in set(as_set.later_lower["fiscal_year"]) for y in later],
        f"below {fy(year_end.year)} at year end": [y in set(year_end.later_lower["fiscal_year"]) for y in later],
    })


# --------------------------------------------------------------------------- admissions against the ceiling

def shares(years: pd.DataFrame, far_below: float) -> pd.DataFrame:
    """Admissions as a share of the year-end ceiling, for years with both (a partial year is flagged)."""
    both = years[years["ceiling_final"].notna() & years["admissions"].notna()].copy()
    both["share"] = both["admissions"].astype("float64") / both["ceiling_final"].astype("float64")
    both["status"] = [
        "partial year" if partial else (f"under {far_below:.0%} of the ceiling" if share < far_below
                                        else f"{far_below:.0%} of the ceiling or more")
        for share, partial in zip(both["share"], both["partial"])]
    return both[["fiscal_year", "ceiling_final", "admissions", "share", "partial", "status"]].reset_index(drop=True)


def far_below_years(share_table: pd.DataFrame, far_below: float) -> pd.DataFrame:
    """Full years in which admissions stayed under `far_below` of the ceiling."""
    return share_table[(share_table["share"] < far_below) & ~share_table["partial"]].reset_index(drop=True)


# --------------------------------------------------------------------------- the countries named by the orders

def _tokens(country: str) -> list[str]:
    generic = {"north", "south", "republic", "democratic"}
    return [w for w in re.findall(r"[a-z]+", country.lower()) if len(w) >= 4 and w not in generic]


def country_map(prm, groups: pd.DataFrame, names: pd.DataFrame) -> dict[str, str]:
    """Workbook spelling -> listed country, refusing any unlisted spelling that looks like a listed country."""
    mapping = {str(r.prm_name): (None if pd.isna(r.country) else str(r.country)) for r in names.itertuples()}
    tokens = {t: c for c in sorted(set(groups["country"])) for t in _tokens(c)}
    seen = prm.admissions.drop_duplicates("country")
    for row in seen.itertuples():
        if row.country in mapping:
            continue
        hit = next((t for t in tokens if t in row.country.lower()), None)
        if hit:
            raise DataError(Problem(f"{prm.file}, sheet {row.sheet}, cell B{row.row}",
                                    f"'{row.country}' looks like {tokens[hit]} but is not in prm_country_names.csv: "
                                    "add it there (as that country, or with no country if it is another one)"))
    return {k: v for k, v in mapping.items() if v is not None}


def group_months(prm, groups: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """Admissions from each group's countries per month: group, fiscal_year, month, admissions.

    A month after the report's date is missing (NA). A listed country absent from a year's sheet had
    no admissions that year: each sheet's rows are checked to add up to its totals on import.
    """
    mapping = country_map(prm, groups, names)
    adm = prm.admissions.assign(listed=prm.admissions["country"].map(mapping))
    months = adm[["fiscal_year", "month", "admissions"]].groupby(["fiscal_year", "month"], sort=True)["admissions"] \
        .apply(lambda s: s.notna().any()).rename("reported").reset_index()
    frames = []
    for group, members in groups.groupby("group", sort=False):
        rows = adm[adm["listed"].isin(set(members["country"]))]
        summed = rows.groupby(["fiscal_year", "month"])["admissions"].sum(min_count=1)
        out = months.copy()
        out["group"] = group
        values = [summed.get((y, m), 0) if rep else pd.NA
                  for y, m, rep in zip(out["fiscal_year"], out["month"], out["reported"])]
        out["admissions"] = pd.array([None if pd.isna(v) else int(v) for v in values], dtype="Int64")
        frames.append(out[["group", "fiscal_year", "month", "admissions"]])
    return pd.concat(frames, ignore_index=True)


def group_years(monthly: pd.DataFrame, prm, first: int, last: int | None) -> pd.DataFrame:
    """group, fiscal_year, admissions, partial (the year's sheet ends before September)."""
    last = int(prm.years["fiscal_year"].max()) if last is None else int(last)
    inside = monthly[(monthly["fiscal_year"] >= first) & (monthly["fiscal_year"] <= last)]
    out = inside.groupby(["group", "fiscal_year"], sort=False)["admissions"].sum(min_count=1).reset_index()
    partial = prm.years.set_index("fiscal_year")["partial"]
    out["partial"] = out["fiscal_year"].map(partial).astype(bool)
    out["admissions"] = out["admissions"].astype("Int64")
    return out


def country_table(prm, groups: pd.DataFrame, names: pd.DataFrame, first: int, last: int | None) -> pd.DataFrame:
    """Admissions per listed country (rows) and fiscal year (columns), with the orders naming it."""
    mapping = country_map(prm, groups, names)
    last = int(prm.years["fiscal_year"].max()) if last is None else int(last)
    adm = prm.admissions[(prm.admissions["fiscal_year"] >= first) & (prm.admissions["fiscal_year"] <= last)]
    adm = adm.assign(listed=adm["country"].map(mapping)).dropna(subset=["listed"])
    totals = adm.groupby(["listed", "fiscal_year"])["admissions"].sum()
    years = list(range(first, last + 1))
    partial = prm.years.set_index("fiscal_year")["partial"]
    rows = []
    for country in sorted(set(groups["country"])):
        named = groups.loc[groups["country"] == country, "group"].tolist()
        row = {"country": country, "named by": " and ".join(named)}
        for year in years:
            row[fy(year) + (" (partial)" if partial.get(year, False) else "")] = int(totals.get((country, year), 0))
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the two sources compared

def reconcile(mpi, prm) -> pd.DataFrame:
    """Per fiscal year: MPI's admissions and ceiling against the workbook's summary sheet and year sheets."""
    table = mpi.frame[["fiscal_year", "admissions", "ceiling"]].rename(
        columns={"admissions": "mpi_admissions", "ceiling": "mpi_ceiling"})
    table = table.merge(prm.summary.rename(columns={"total": "prm_summary"}), on="fiscal_year", how="outer")
    sheets = prm.years[["fiscal_year", "total", "ceiling"]].rename(columns={"total": "prm_sheet",
                                                                          "ceiling": "prm_ceiling"})
    table = table.merge(sheets, on="fiscal_year", how="outer").sort_values("fiscal_year").reset_index(drop=True)
    for column in ("mpi_admissions", "mpi_ceiling", "prm_summary", "prm_sheet", "prm_ceiling"):
        table[column] = table[column].astype("Int64")
    table["summary_minus_mpi"] = table["prm_summary"] - table["mpi_admissions"]
    table["sheet_minus_mpi"] = table["prm_sheet"] - table["mpi_admissions"]
    table["ceiling_prm_minus_mpi"] = table["prm_ceiling"] - table["mpi_ceiling"]
    return table


def differences(recon: pd.DataFrame, facts: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The years where the two sources differ, with what the data say about why."""
    differs = recon[(recon["summary_minus_mpi"].fillna(0) != 0) | (recon["sheet_minus_mpi"].fillna(0) != 0)
                    | (recon["ceiling_prm_minus_mpi"].fillna(0) != 0)]
    first_set = facts[facts["fact"] == "ceiling_set"].set_index("fiscal_year")["value"]
    reported = facts[facts["fact"] == "admissions_reported"]
    rows = []
    for r in differs.itertuples():
        why = []
        if pd.notna(r.ceiling_prm_minus_mpi) and r.ceiling_prm_minus_mpi != 0:
            if r.fiscal_year in first_set.index and int(first_set[r.fiscal_year]) == int(r.prm_ceiling):
                why.append(f"the workbook gives the ceiling as first set ({int(r.prm_ceiling):,}), MPI the ceiling "
                           f"at year end ({int(r.mpi_ceiling):,})")
            else:
                why.append("ceilings differ; no sourced revision explains it")
        if (pd.notna(r.summary_minus_mpi) and r.summary_minus_mpi != 0) or \
                (pd.notna(r.sheet_minus_mpi) and r.sheet_minus_mpi != 0):
            year_notes = [n for n in notes if re.search(rf"FY ?{r.fiscal_year}\b", n)]
            why.extend(f"a note in the workbook may explain it: {n.rstrip('.')}" for n in year_notes)
            if not year_notes:
                why.append("admissions differ; neither source explains it")
        others = reported[reported["fiscal_year"] == r.fiscal_year]
        why.extend(f"another published figure: {int(o.value):,} ({o.source})" for o in others.itertuples())
        rows.append({
            "fiscal year": fy(r.fiscal_year),
            "MPI admissions": r.mpi_admissions, "PRM summary sheet": r.prm_summary, "PRM year sheet": r.prm_sheet,
            "PRM − MPI (admissions)": r.summary_minus_mpi if pd.notna(r.summary_minus_mpi) else r.sheet_minus_mpi,
            "MPI ceiling": r.mpi_ceiling, "PRM ceiling": r.prm_ceiling,
            "PRM − MPI (ceiling)": r.ceiling_prm_minus_mpi,
            "what explains it": "; ".join(why)})
    columns = ["fiscal year", "MPI admissions", "PRM summary sheet", "PRM year sheet", "PRM − MPI (admissions)",
               "MPI ceiling", "PRM ceiling", "PRM − MPI (ceiling)", "what explains it"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- charts

SERIES = ["Refugees admitted", "Admitted, partial year", "Ceiling at year end", "Ceiling as first set (revised later)"]
SERIES_COLOURS = [charts.PALETTE[0], charts.PALETTE[4], charts.PALETTE[1], charts.PALETTE[5]]


def _year_axis(years: list[int]) -> alt.Axis:
    ticks = [y for y in years if y % 5 == 0] or years
    return alt.Axis(values=ticks, labelAngle=0, title="Fiscal year")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Chart data: missing counts stay nullable integers, which Altair writes as null (never NaN or 0)."""
    out = frame.copy()
    for column in out.columns:
        if str(out[column].dtype) == "object" and out[column].map(lambda v: isinstance(v, numbers.Number)).any():
            out[column] = pd.array([None if v is None or pd.isna(v) else v for v in out[column]], dtype="Int64")
    return out


def chart_table(years: pd.DataFrame) -> pd.DataFrame:
    """The numbers behind the ceilings-and-admissions chart, one row per fiscal year."""
    notes = []
    for r in years.itertuples():
        parts = []
        if r.revised:
            parts.append(f"ceiling revised from {int(r.ceiling_set):,} to {int(r.ceiling_final):,}")
        if r.partial:
            parts.append("admissions for part of the year only")
        if pd.isna(r.admissions):
            parts.append("no admissions data")
        if r.suspended_from:
            parts.append(f"admissions suspended from {r.suspended_from}")
        notes.append("; ".join(parts))
    return pd.DataFrame({
        "fiscal_year": years["fiscal_year"].astype("int64"),
        "ceiling_first_set": years["ceiling_set"],
        "ceiling_year_end": years["ceiling_final"],
        "admissions": years["admissions"],
        "partial_year": years["partial"],
        "note": notes,
    })


def ceiling_chart(years: pd.DataFrame, as_set: LowestCeiling, source: str) -> charts.Figure:
    """Ceilings (as first set and at year end) and admissions per fiscal year in one chart."""
    table = chart_table(years)
    data = _plain(table)
    data["series_admitted"] = [SERIES[1] if p else SERIES[0] for p in table["partial_year"]]
    data["label"] = [fy(y) for y in table["fiscal_year"]]
    year_list = table["fiscal_year"].tolist()
    x = alt.X("fiscal_year:O", axis=_year_axis(year_list), scale=alt.Scale(domain=year_list))
    colour = alt.Color("series:N", scale=alt.Scale(domain=SERIES, range=SERIES_COLOURS), title=None,
                       legend=alt.Legend(orient="bottom", columns=2))
    tips = [alt.Tooltip("label:N", title="Fiscal year"),
            alt.Tooltip("ceiling_first_set:Q", title="Ceiling as first set", format=","),
            alt.Tooltip("ceiling_year_end:Q", title="Ceiling at year end", format=","),
            alt.Tooltip("admissions:Q", title="Refugees admitted", format=","),
            alt.Tooltip("note:N", title="Note")]
    base = alt.Chart(data)
    bars = base.mark_bar(opacity=0.85).transform_filter("isValid(datum.admissions)").transform_calculate(
        series="datum.series_admitted").encode(x=x, y=alt.Y("admissions:Q", title="Refugees"), color=colour,
                                               tooltip=tips)
    line = base.mark_line(strokeWidth=2, interpolate="step").transform_calculate(
        series=f"'{SERIES[2]}'").encode(x=x, y="ceiling_year_end:Q", color=colour)
    dots = base.mark_point(filled=True, size=30).transform_filter("isValid(datum.ceiling_year_end)") \
        .transform_calculate(series=f"'{SERIES[2]}'").encode(x=x, y="ceiling_year_end:Q", color=colour, tooltip=tips)
    revised = base.transform_filter("datum.ceiling_first_set != datum.ceiling_year_end && "
                                    "isValid(datum.ceiling_first_set)")
    link = revised.mark_rule(strokeDash=[3, 3], color=SERIES_COLOURS[3]).encode(
        x=x, y="ceiling_first_set:Q", y2="ceiling_year_end:Q")
    first = revised.mark_point(filled=False, size=90, strokeWidth=2).transform_calculate(
        series=f"'{SERIES[3]}'").encode(x=x, y="ceiling_first_set:Q", color=colour, tooltip=tips)
    gaps = base.transform_filter("!isValid(datum.admissions)").mark_text(
        angle=270, align="left", dx=8, fontSize=10, color="#555555").encode(
        x=x, y=alt.Y("ceiling_year_end:Q"), text=alt.value("no admissions data"), tooltip=tips)
    chart = alt.layer(bars, line, dots, link, first, gaps).properties(width="container", height=360)

    title = chart_title(as_set, years)
    return charts.Figure(chart, name="refugee-ceilings", title=title, source=source,
                         alt_text=ceiling_alt_text(years), data=table,
                         columns={"fiscal_year": ("fiscal year", "fy"), "ceiling_first_set": "ceiling as first set",
                                  "ceiling_year_end": "ceiling at year end", "admissions": "refugees admitted",
                                  "partial_year": "partial year"})


def later_lower_text(verdict: LowestCeiling, years: pd.DataFrame) -> str:
    """The later years below the tested ceiling, each with its figure and, if it was revised, what it became."""
    revised = years.set_index("fiscal_year")
    parts = []
    for r in verdict.later_lower.itertuples():
        text = f"{fy(r.fiscal_year)} ({r.ceiling:,}"
        row = revised.loc[r.fiscal_year] if r.fiscal_year in revised.index else None
        if verdict.measure == "ceiling_set" and row is not None and bool(row["revised"]):
            verb = "cut" if row["ceiling_final"] < row["ceiling_set"] else "raised"
            text += f", {verb} to {int(row['ceiling_final']):,} during the year"
        parts.append(text + ")")
    return join_and(parts) if parts else "none"


def chart_title(verdict: LowestCeiling, years: pd.DataFrame) -> str:
    if verdict.is_lowest:
        head = f"{fy(verdict.year)}'s ceiling of {verdict.ceiling:,} was the lowest since {verdict.since}"
    elif verdict.ties:
        head = f"{fy(verdict.year)}'s ceiling of {verdict.ceiling:,} tied the lowest since {verdict.since}"
    else:
        head = (f"{fy(verdict.year)}'s ceiling of {verdict.ceiling:,} was not the lowest since {verdict.since}: "
                f"{fy_list(verdict.minimum_years)} had {verdict.minimum:,}")
    if len(verdict.later_lower):
        return f"{head}; later ceilings as first set went lower: {later_lower_text(verdict, years)}"
    return f"{head}; no later ceiling went lower"


def ceiling_alt_text(years: pd.DataFrame) -> str:
    first, last = int(years["fiscal_year"].min()), int(years["fiscal_year"].max())
    ceilings = years[years["ceiling_final"].notna()]
    high = ceilings.loc[ceilings["ceiling_final"].idxmax()]
    low = ceilings.loc[ceilings["ceiling_final"].idxmin()]
    parts = [f"Bars of refugees admitted and a line of the refugee ceiling per fiscal year, {fy(first)} to {fy(last)}.",
             f"The year-end ceiling was highest in {fy(high['fiscal_year'])} ({int(high['ceiling_final']):,}) and "
             f"lowest in {fy(low['fiscal_year'])} ({int(low['ceiling_final']):,})."]
    revised = years[years["revised"]]
    if not revised.empty:
        listed = ", ".join(f"{fy(r.fiscal_year)} ({int(r.ceiling_set):,} first set, "
                           f"{int(r.ceiling_final):,} at year end)" for r in revised.itertuples())
        parts.append("Ceilings revised during the year, shown as a hollow marker joined to the year-end value: "
                     f"{listed}.")
    full = years[years["admissions"].notna() & ~years["partial"]]
    if not full.empty:
        top = full.loc[full["admissions"].idxmax()]
        bottom = full.loc[full["admissions"].idxmin()]
        parts.append(f"Among full years, admissions were highest in {fy(top['fiscal_year'])} "
                     f"({int(top['admissions']):,}) and lowest in {fy(bottom['fiscal_year'])} "
                     f"({int(bottom['admissions']):,}).")
    for r in years[years["partial"]].itertuples():
        parts.append(f"{fy(r.fiscal_year)} is a partial year ({int(r.admissions):,} admitted so far).")
    missing = years[years["admissions"].isna()]["fiscal_year"].tolist()
    if missing:
        parts.append(f"No admissions data for {fy_list(missing)}: a gap, not zero.")
    return " ".join(parts)


def share_chart(share_table: pd.DataFrame, far_below: float, source: str) -> charts.Figure:
    """Admissions as a share of the year-end ceiling, per fiscal year."""
    data = _plain(share_table.assign(label=[fy(y) for y in share_table["fiscal_year"]]))
    statuses = [f"under {far_below:.0%} of the ceiling", f"{far_below:.0%} of the ceiling or more", "partial year"]
    year_list = share_table["fiscal_year"].tolist()
    x = alt.X("fiscal_year:O", axis=_year_axis(year_list))
    bars = alt.Chart(data).mark_bar().encode(
        x=x, y=alt.Y("share:Q", title="Admissions as a share of the ceiling", axis=alt.Axis(format="%")),
        color=alt.Color("status:N", scale=alt.Scale(domain=statuses, range=[charts.PALETTE[5], charts.PALETTE[0],
                                                                           charts.PALETTE[4]]),
                        title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("label:N", title="Fiscal year"), alt.Tooltip("admissions:Q", title="Admitted", format=","),
                 alt.Tooltip("ceiling_final:Q", title="Ceiling at year end", format=","),
                 alt.Tooltip("share:Q", title="Share of the ceiling", format=".1%"),
                 alt.Tooltip("status:N", title="")])
    rules = alt.Chart(pd.DataFrame({"y": [1.0, far_below], "what": ["ceiling reached", f"{far_below:.0%}"]})) \
        .mark_rule(strokeDash=[4, 3], color="#555555").encode(y="y:Q", tooltip=alt.Tooltip("what:N", title=""))
    chart = (bars + rules).properties(width="container", height=280)
    far = far_below_years(share_table, far_below)
    full = share_table[~share_table["partial"]]
    low = full.loc[full["share"].idxmin()]
    title = (f"Admissions stayed under {far_below:.0%} of the ceiling in {len(far)} full years, "
             f"lowest in {fy(low['fiscal_year'])} ({low['share']:.0%})")
    over = full[full["share"] >= 1]
    alt_text = (f"Bar chart of refugees admitted as a share of the year-end ceiling, {fy(year_list[0])} to "
                f"{fy(year_list[-1])}. Under {far_below:.0%} in {len(far)} full years: "
                + (", ".join(f"{fy(r.fiscal_year)} ({r.share:.0%})" for r in far.itertuples()) or "none")
                + f". The ceiling was reached or exceeded in {len(over)} years"
                + (f" ({fy_list(over['fiscal_year'])})" if len(over) else "") + "."
                + "".join(f" {fy(r.fiscal_year)} covers part of the year only ({r.share:.0%} so far)."
                          for r in share_table[share_table["partial"]].itertuples()))
    table = share_table.rename(columns={"ceiling_final": "ceiling_year_end"})
    return charts.Figure(chart, name="refugee-share-of-ceiling", title=title, source=source, alt_text=alt_text,
                         data=table, columns={"fiscal_year": ("fiscal year", "fy"),
                                              "ceiling_year_end": "ceiling at year end",
                                              "admissions": "refugees admitted",
                                              "share": ("admitted, share of ceiling", "share"),
                                              "partial": "partial year"})


def group_year_chart(by_year: pd.DataFrame, source: str) -> charts.Figure:
    data = _plain(by_year.assign(label=[fy(y) + (" (partial)" if p else "")
                                        for y, p in zip(by_year["fiscal_year"], by_year["partial"])]))
    groups = list(dict.fromkeys(by_year["group"]))
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("fiscal_year:O", title="Fiscal year", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("group:N", sort=groups),
        y=alt.Y("admissions:Q", title="Refugees admitted"),
        color=alt.Color("group:N", scale=alt.Scale(domain=groups, range=charts.PALETTE[2:2 + len(groups)]),
                        title="Countries named by", legend=alt.Legend(orient="bottom")),
        opacity=alt.condition("datum.partial", alt.value(0.45), alt.value(1.0)),
        tooltip=[alt.Tooltip("group:N", title="Countries named by"), alt.Tooltip("label:N", title="Fiscal year"),
                 alt.Tooltip("admissions:Q", title="Refugees admitted", format=",")],
    ).properties(width="container", height=300)
    first, last = int(by_year["fiscal_year"].min()), int(by_year["fiscal_year"].max())
    parts = []
    for group in groups:
        rows = by_year[(by_year["group"] == group) & ~by_year["partial"]]
        top = rows.loc[rows["admissions"].idxmax()]
        low = rows.loc[rows["admissions"].idxmin()]
        parts.append(f"{group} countries: highest {int(top['admissions']):,} in {fy(top['fiscal_year'])}, lowest "
                     f"{int(low['admissions']):,} in {fy(low['fiscal_year'])}")
    partial = by_year[by_year["partial"]]["fiscal_year"].drop_duplicates().tolist()
    alt_text = (f"Grouped bars of refugees admitted from the countries named by each order, {fy(first)} to "
                f"{fy(last)}. " + "; ".join(parts) + "."
                + (f" {fy_list(partial)} covers part of the year only (lighter bars)." if partial else ""))
    lead = groups[0]
    rows = by_year[(by_year["group"] == lead)].set_index("fiscal_year")["admissions"]
    full = by_year[(by_year["group"] == lead) & ~by_year["partial"]]
    low = full.loc[full["admissions"].idxmin()]
    if low["admissions"] < rows[first]:
        title = (f"Refugees from the {lead} countries fell from {int(rows[first]):,} in {fy(first)} to "
                 f"{int(low['admissions']):,} in {fy(low['fiscal_year'])}")
    else:
        title = (f"Refugees from the {lead} countries did not fall below {int(rows[first]):,} ({fy(first)}) in any "
                 f"full year: the fewest were {int(low['admissions']):,}, in {fy(low['fiscal_year'])}")
    table = by_year.rename(columns={"group": "countries_named_by"})
    return charts.Figure(chart, name="refugees-listed-countries-by-year", title=title, source=source,
                         alt_text=alt_text, data=table,
                         columns={"countries_named_by": "countries named by", "fiscal_year": ("fiscal year", "fy"),
                                  "admissions": "refugees admitted", "partial": "partial year"})


def group_month_chart(monthly: pd.DataFrame, facts: pd.DataFrame, first: int, last: int,
                      source: str) -> charts.Figure:
    inside = monthly[(monthly["fiscal_year"] >= first) & (monthly["fiscal_year"] <= last)].copy()
    inside["month_label"] = inside["month"].dt.strftime("%b %Y")
    groups = list(dict.fromkeys(inside["group"]))
    data = _plain(inside.assign(month=inside["month"].dt.strftime("%Y-%m-%d")))
    start, end = inside["month"].min(), inside["month"].max() + pd.offsets.MonthEnd(1)
    dated = facts[facts["date"].notna() & facts["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}")].copy()
    dated["when"] = pd.to_datetime(dated["date"], format="%Y-%m-%d")
    events = dated[(dated["when"] >= start) & (dated["when"] <= end)
                   & dated["fact"].isin(["ceiling_revised", "restriction_effective", "admissions_suspended"])]
    events = pd.DataFrame({"date": events["when"].dt.strftime("%Y-%m-%d"), "event": events["description"],
                           "when": [f"{d.day} {d:%b %Y}" for d in events["when"]]})
    x = alt.X("month:T", title="Month of arrival", axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=8))
    lines = alt.Chart(data).mark_line(point=True).encode(
        x=x, y=alt.Y("admissions:Q", title="Refugees admitted per month"),
        color=alt.Color("group:N", scale=alt.Scale(domain=groups, range=charts.PALETTE[2:2 + len(groups)]),
                        title="Countries named by", legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("group:N", sort=groups, legend=None),
        tooltip=[alt.Tooltip("group:N", title="Countries named by"), alt.Tooltip("month_label:N", title="Month"),
                 alt.Tooltip("admissions:Q", title="Refugees admitted", format=",")])
    layers = [lines]
    if not events.empty:
        rule = alt.Chart(events).mark_rule(color="#555555", strokeDash=[2, 2]).encode(
            x="date:T", tooltip=[alt.Tooltip("when:N", title="Date"), alt.Tooltip("event:N", title="Event")])
        text = alt.Chart(events).mark_text(align="left", dx=4, dy=-4, fontSize=10, color="#333333", baseline="top") \
            .encode(x="date:T", y=alt.value(0), text="event:N")
        layers += [rule, text]
    chart = alt.layer(*layers).properties(width="container", height=300)
    parts = []
    for group in groups:
        rows = inside[inside["group"] == group]
        top = rows.loc[rows["admissions"].astype("float64").idxmax()]
        low = rows.loc[rows["admissions"].astype("float64").idxmin()]
        parts.append(f"{group} countries: most in {top['month_label']} ({int(top['admissions']):,}), fewest in "
                     f"{low['month_label']} ({int(low['admissions']):,})")
    alt_text = (f"Lines of refugees admitted per month from the countries named by each order, "
                f"{inside['month_label'].iloc[0]} to {inside['month_label'].iloc[-1]}. " + "; ".join(parts) + "."
                + "".join(f" Dashed rule: {e.event}, {e.when}." for e in events.itertuples()))
    lead = groups[0]
    rows = inside[(inside["group"] == lead) & inside["admissions"].notna()]
    first_month = rows.iloc[0]
    last_year = rows[rows["fiscal_year"] == rows["fiscal_year"].max()]
    most = int(last_year["admissions"].max())
    went = "fell from" if most < first_month["admissions"] else "went from"
    bound = "at most" if most < first_month["admissions"] else "as many as"
    title = (f"Monthly arrivals from the {lead} countries {went} {int(first_month['admissions']):,} in "
             f"{first_month['month_label']} to {bound} {most:,} a month in {fy(last_year['fiscal_year'].iloc[0])}")
    table = inside[["group", "fiscal_year", "month", "admissions"]].assign(
        month=inside["month"].dt.strftime("%Y-%m")).rename(columns={"group": "countries_named_by"})
    return charts.Figure(chart, name="refugees-listed-countries-by-month", title=title, source=source,
                         alt_text=alt_text, data=table.reset_index(drop=True),
                         columns={"countries_named_by": "countries named by", "fiscal_year": ("fiscal year", "fy"),
                                  "month": ("month", "month"), "admissions": "refugees admitted"})


# --------------------------------------------------------------------------- headline values

CHAPTER = "refugees"
TITLE = "Refugee ceilings and admissions"
SOURCES = ["mpi-refugee-admissions", "prm-refugee-admissions", "refugee-policy"]
LABELS = {
    "tested_ceiling": "the tested year's refugee ceiling",
    "verdict": "'lowest since' finding, as first set",
    "later_lower_detail": "later ceilings below it",
    "min_ceiling": "the lowest ceiling before it",
}


@dataclass(frozen=True)
class Analysis:
    """What the chapter computes from its inputs under one set of parameters: computed once, then charted,
    tabled and summed up in `results`."""

    parameters: dict
    years: pd.DataFrame
    shown: pd.DataFrame
    as_set: LowestCeiling
    year_end: LowestCeiling
    share_table: pd.DataFrame
    monthly: pd.DataFrame
    by_year: pd.DataFrame
    countries: pd.DataFrame
    recon: pd.DataFrame


def analyse(inputs: Inputs, *, tested_year: int, since_year: int, first_year: int, last_year: int | None,
            far_below: float, groups_first_year: int, groups_last_year: int | None, months_first_year: int,
            months_last_year: int) -> Analysis:
    """Ceilings by year, the 'lowest since' test on both readings, shares, the listed countries' admissions and
    the two sources reconciled."""
    years = fiscal_years(inputs.mpi, inputs.facts, inputs.facts_file)
    shown = shown_years(years, first_year, last_year)
    monthly = group_months(inputs.prm, inputs.groups, inputs.names)
    parameters = dict(tested_year=tested_year, since_year=since_year, first_year=first_year, last_year=last_year,
                      far_below=far_below, groups_first_year=groups_first_year, groups_last_year=groups_last_year,
                      months_first_year=months_first_year, months_last_year=months_last_year)
    return Analysis(parameters=parameters, years=years, shown=shown,
                    as_set=lowest_since(years, tested_year, since_year, "ceiling_set"),
                    year_end=lowest_since(years, tested_year, since_year, "ceiling_final"),
                    share_table=shares(shown, far_below), monthly=monthly,
                    by_year=group_years(monthly, inputs.prm, groups_first_year, groups_last_year),
                    countries=country_table(inputs.prm, inputs.groups, inputs.names, groups_first_year,
                                            groups_last_year),
                    recon=reconcile(inputs.mpi, inputs.prm))


def results(inputs: Inputs, analysis: Analysis) -> dict:
    """The chapter's values as plain numbers and strings, for its prose, the claims ledger and the intro."""
    a, p = analysis, analysis.parameters
    tested_year, since_year, far_below = p["tested_year"], p["since_year"], p["far_below"]
    months_first_year, months_last_year = p["months_first_year"], p["months_last_year"]
    years, shown, as_set, year_end, share_table = a.years, a.shown, a.as_set, a.year_end, a.share_table
    monthly, by_year, recon = a.monthly, a.by_year, a.recon
    far = far_below_years(share_table, far_below)
    tested = years.set_index("fiscal_year").loc[tested_year]
    facts = inputs.facts
    article = facts[(facts["fact"] == "ceiling_in_article") & (facts["fiscal_year"] == tested_year)]
    article_ceiling = int(article["value"].iloc[0]) if not article.empty else None
    quoted = re.search(r"'([^']+)'", article["description"].iloc[0]) if not article.empty else None
    both = recon[recon["mpi_admissions"].notna() & recon["prm_summary"].notna()]
    differ = both[both["summary_minus_mpi"] != 0]
    ceilings_both = recon[recon["mpi_ceiling"].notna() & recon["prm_ceiling"].notna()]
    ceilings_differ = ceilings_both[ceilings_both["ceiling_prm_minus_mpi"] != 0]
    share_row = share_table[share_table["fiscal_year"] == tested_year]
    suspended = years[years["suspended_from"].notna()]
    in_months = monthly[(monthly["fiscal_year"] >= months_first_year) & (monthly["fiscal_year"] <= months_last_year)
                        & monthly["admissions"].notna()]
    month_summary = {}
    for group, rows in in_months.groupby("group", sort=False):
        low = rows.loc[rows["admissions"].astype("float64").idxmin()]
        month_summary[str(group)] = {"first_month": rows["month"].iloc[0].strftime("%Y-%m"),
                                     "first_month_admissions": int(rows["admissions"].iloc[0]),
                                     "lowest_month": low["month"].strftime("%Y-%m"),
                                     "lowest_month_admissions": int(low["admissions"])}
    latest = years.iloc[-1]
    return {
        "first_year": int(shown["fiscal_year"].min()),
        "last_year": int(shown["fiscal_year"].max()),
        "n_years": len(shown),
        "tested_year": int(tested_year),
        "since_year": int(since_year),
        "tested_ceiling": as_set.ceiling,
        "tested_ceiling_year_end": year_end.ceiling,
        "article_ceiling": article_ceiling,
        "article_ceiling_matches": None if article_ceiling is None else article_ceiling == as_set.ceiling,
        "article_quote": quoted.group(1) if quoted else None,
        "verdict_sentence": as_set.sentence,
        "verdict_sentence_year_end": year_end.sentence,
        "min_ceiling": as_set.minimum,
        "min_ceiling_year": as_set.minimum_years[0],
        "min_ceiling_years": list(as_set.minimum_years),
        "min_ceiling_year_end": year_end.minimum,
        "min_ceiling_year_end_year": year_end.minimum_years[0],
        "n_years_compared": as_set.n_compared,
        "verdict": as_set.label,
        "is_lowest": as_set.is_lowest,
        "is_lowest_year_end": year_end.is_lowest,
        "verdict_same_on_both_readings": as_set.label == year_end.label,
        "later_lower_years": [int(y) for y in as_set.later_lower["fiscal_year"]],
        "later_lower": {int(r.fiscal_year): int(r.ceiling) for r in as_set.later_lower.itertuples()},
        "later_lower_text": later_lower_text(as_set, years),
        "later_lower_years_year_end": [int(y) for y in year_end.later_lower["fiscal_year"]],
        "revised_years": {int(r.fiscal_year): {"first_set": int(r.ceiling_set), "year_end": int(r.ceiling_final)}
                          for r in years[years["revised"]].itertuples()},
        "partial_years": [int(y) for y in years.loc[years["partial"], "fiscal_year"]],
        "no_admissions_years": [int(y) for y in shown.loc[shown["admissions"].isna(), "fiscal_year"]],
        "suspended_from": {int(r.fiscal_year): str(r.suspended_from) for r in suspended.itertuples()},
        "tested_admissions": None if pd.isna(tested["admissions"]) else int(tested["admissions"]),
        "tested_share": None if share_row.empty else round(float(share_row["share"].iloc[0]), 4),
        "far_below": far_below,
        "far_below_years": [int(y) for y in far["fiscal_year"]],
        "reconcile_years_compared": len(both),
        "reconcile_admissions_differ": {int(r.fiscal_year): {"mpi": int(r.mpi_admissions), "prm": int(r.prm_summary)}
                                        for r in differ.itertuples()},
        "reconcile_ceilings_compared": len(ceilings_both),
        "reconcile_ceilings_differ": {int(r.fiscal_year): {"mpi": int(r.mpi_ceiling), "prm": int(r.prm_ceiling)}
                                      for r in ceilings_differ.itertuples()},
        "latest_year": int(latest["fiscal_year"]),
        "latest_ceiling": None if pd.isna(latest["ceiling_set"]) else int(latest["ceiling_set"]),
        "latest_has_admissions": bool(pd.notna(latest["admissions"])),
        "partial_note": inputs.mpi.partial_note,
        "months_first_year": int(months_first_year),
        "months_last_year": int(months_last_year),
        "listed_countries_by_month": month_summary,
        "group_sizes": {str(g): int(n) for g, n in inputs.groups.groupby("group", sort=False).size().items()},
        "groups_overlap": int((inputs.groups.groupby("country")["group"].nunique() > 1).sum()),
        "groups_first_year": int(by_year["fiscal_year"].min()),
        "groups_last_year": int(by_year["fiscal_year"].max()),
        "listed_countries_by_year": {str(g): {int(r.fiscal_year): (None if pd.isna(r.admissions) else int(r.admissions))
                                              for r in rows.itertuples()}
                                     for g, rows in by_year.groupby("group", sort=False)},
    }


def facts_table(facts: pd.DataFrame) -> pd.DataFrame:
    """The sourced facts as the reader sees them."""
    return pd.DataFrame({"fiscal year": [fy(y) for y in facts["fiscal_year"]], "fact": facts["description"],
                         "value": ["not applicable" if pd.isna(v) else f"{int(v):,}" for v in facts["value"]],
                         "date": ["no single date" if pd.isna(d) else str(d) for d in facts["date"]],
                         "source": facts["source"]})


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A table for the page: counts with thousands separators, Yes/No, and 'missing' for a missing value."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        cells = []
        for value in frame[column]:
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                cells.append("missing")
            elif isinstance(value, (bool, np.bool_)):
                cells.append("Yes" if value else "No")
            elif isinstance(value, numbers.Integral):
                cells.append(f"{int(value):,}")
            else:
                cells.append(str(value))
        out[column] = pd.Series(cells, index=frame.index, dtype=object)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- the prose

def _month(text: str) -> str:
    return dt.datetime.strptime(text, "%Y-%m").strftime("%b %Y")


def _date(text: str) -> str:
    if len(text) != 10:
        return _month(text)
    day = dt.datetime.strptime(text, "%Y-%m-%d")
    return f"{day.day} {day:%b %Y}"


def words(values: dict, facts: pd.DataFrame) -> dict:
    """The values as the text the chapter's prose shows, with every word that depends on them chosen here."""
    from .book import fmt_pct

    tested = values["tested_year"]
    revisions = []
    for year, r in sorted(values["revised_years"].items()):
        verb = "cut" if r["year_end"] < r["first_set"] else "raised"
        when = facts[(facts["fiscal_year"] == year) & (facts["fact"] == "ceiling_revised")]["date"]
        on = f" ({_date(when.iloc[0])})" if not when.empty and pd.notna(when.iloc[0]) else ""
        revisions.append(f"{fy(year)}'s was first set at {r['first_set']:,} and {verb} to {r['year_end']:,}{on}")
    later = values["later_lower"]
    lowest_later = min(later.items(), key=lambda kv: kv[1]) if later else None
    out = {
        "tested_fy": fy(tested),
        "since_fy": fy(values["since_year"]),
        "since_year_text": str(values["since_year"]),
        "window_last_fy": fy(tested - 1),
        "first_fy": fy(values["first_year"]),
        "last_fy": fy(values["last_year"]),
        "tested_ceiling": values["tested_ceiling"],
        "article_ceiling": values["article_ceiling"] if values["article_ceiling"] is not None else "not given",
        "article_ceiling_sentence": (
            "the article gives no figure to compare" if values["article_ceiling_matches"] is None else
            "the same figure as the article's" if values["article_ceiling_matches"] else
            f"not the article's {values['article_ceiling']:,}"),
        "year_end_sentence": (
            f"On that reading {fy(tested)}'s ceiling is "
            + ("the lowest too" if values["is_lowest_year_end"] and values["is_lowest"] else
               "the lowest" if values["is_lowest_year_end"] else "not the lowest")
            + ", so the two readings " + ("agree" if values["verdict_same_on_both_readings"] else "disagree")),
        "n_years_compared": values["n_years_compared"],
        "min_ceiling": values["min_ceiling"],
        "min_ceiling_fy": fy_list(values["min_ceiling_years"]),
        "min_ceiling_year_end": values["min_ceiling_year_end"],
        "min_ceiling_year_end_fy": fy(values["min_ceiling_year_end_year"]),
        "verdict": values["verdict"],
        "verdict_sentence": values["verdict_sentence"],
        "verdict_sentence_year_end": values["verdict_sentence_year_end"],
        "article_quote": values["article_quote"] or "not given",
        "groups_overlap": values["groups_overlap"],
        "revisions": "; ".join(revisions) if revisions else "no ceiling was revised within its year",
        "n_revised": len(revisions),
        "later_lower_list": fy_list(values["later_lower_years"]),
        "later_lower_detail": values["later_lower_text"],
        "later_sentence": (
            f"The record did not last. Later ceilings went below {values['tested_ceiling']:,}, as first set: "
            f"{values['later_lower_text']}. The lowest is {lowest_later[1]:,}, for {fy(lowest_later[0])}"
            if lowest_later else
            f"No later ceiling, as first set, has gone below {values['tested_ceiling']:,}"),
        "n_later_lower": len(later),
        "later_lower_year_end_list": fy_list(values["later_lower_years_year_end"]),
        "lowest_later": lowest_later[1] if lowest_later else "none",
        "lowest_later_fy": fy(lowest_later[0]) if lowest_later else "none",
        "tested_admissions": "not yet known" if values["tested_admissions"] is None else values["tested_admissions"],
        "tested_share": fmt_pct(values["tested_share"]) if values["tested_share"] is not None else "not known",
        "far_below_pct": fmt_pct(values["far_below"], 0),
        "n_far_below": len(values["far_below_years"]),
        "n_far_below_text": count(len(values["far_below_years"]), "full year"),
        "far_below_list": fy_list(values["far_below_years"]),
        "partial_list": fy_list(values["partial_years"]),
        "partial_note": values["partial_note"] or "none",
        "no_admissions_list": fy_list(values["no_admissions_years"]),
        "suspensions": "; ".join(f"{fy(y)}: from {_date(d)}" for y, d in values["suspended_from"].items()) or "none",
        "latest_fy": fy(values["latest_year"]),
        "latest_ceiling": values["latest_ceiling"] if values["latest_ceiling"] is not None else "not set",
        "n_reconcile_years": values["reconcile_years_compared"],
        "n_reconcile_agree": values["reconcile_years_compared"] - len(values["reconcile_admissions_differ"]),
        "reconcile_admissions_differ": "; ".join(
            f"{fy(y)}: MPI {d['mpi']:,}, workbook {d['prm']:,} ({minus(format(d['prm'] - d['mpi'], '+,'))})"
            for y, d in values["reconcile_admissions_differ"].items()) or "none",
        "n_reconcile_ceilings": values["reconcile_ceilings_compared"],
        "n_reconcile_ceilings_text": count(values["reconcile_ceilings_compared"], "year sheet"),
        "reconcile_ceilings_differ": "; ".join(
            f"{fy(y)}: MPI {d['mpi']:,}, workbook {d['prm']:,}"
            for y, d in values["reconcile_ceilings_differ"].items()) or "none",
        "groups_first_fy": fy(values["groups_first_year"]),
        "groups_last_fy": fy(values["groups_last_year"]),
        "months_first_fy": fy(values["months_first_year"]),
        "months_last_fy": fy(values["months_last_year"]),
    }
    keys = {"Proclamation 9645": "p9645", "March 2017 order": "eo13780"}
    for group, by_year in values["listed_countries_by_year"].items():
        key = keys.get(group, re.sub(r"\W+", "_", group.lower()))
        first = values["groups_first_year"]
        out[f"{key}_label"] = group
        out[f"{key}_n"] = values["group_sizes"][group]
        out[f"{key}_first"] = by_year[first]
        out[f"{key}_tested"] = by_year.get(tested, "not in range")
        months = values["listed_countries_by_month"].get(group)
        if months:
            out[f"{key}_first_month"] = _month(months["first_month"])
            out[f"{key}_first_month_n"] = months["first_month_admissions"]
            out[f"{key}_lowest_month"] = _month(months["lowest_month"])
            out[f"{key}_lowest_month_n"] = months["lowest_month_admissions"]
    return out


def tables(analysis: Analysis) -> dict[str, pd.DataFrame]:
    """The chapter's tables for the Downloads page (machine-friendly columns)."""
    return {"refugees_ceilings_admissions": analysis.years, "refugees_listed_countries": analysis.countries,
            "refugees_sources_reconciled": analysis.recon}
