"""Refugee ceilings and admissions, FY1980 onwards: is a year's ceiling "the lowest since 1980"?

Pure functions from the tidy frames of the three refugee sources to the chapter's tables, charts
and values. A ceiling has two readings when it was changed within the year: as first set (the
presidential determination before the year starts) and at year end (after the revision). The
claim is tested against both; the headline uses the ceiling as first set, the figure a
determination announces and an article compares.

Code computes values and named conditions only; every word the page shows is in
`templates/04_refugees.md`, and the charts read their titles and text alternatives from the record.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
from dataclasses import dataclass

import altair as alt
import pandas as pd

from . import charts, prose
from .errors import DataError, ParameterError, Problem

MEASURES = ("ceiling_set", "ceiling_final")  # as first set, at year end


# --------------------------------------------------------------------------- inputs

@dataclass(frozen=True)
class Inputs:
    """Everything the chapter reads, each from its own importer."""

    mpi: object  # sources.mpi_refugees.MpiTable
    prm: object  # sources.prm_refugees.PrmWorkbook
    facts: pd.DataFrame
    orders: pd.DataFrame
    groups: pd.DataFrame
    names: pd.DataFrame
    facts_file: str
    orders_file: str = "refugee_orders.csv"


def load(data_dir) -> Inputs:
    from .sources import mpi_refugees, prm_refugees, refugee_policy

    groups = refugee_policy.country_groups(data_dir)
    return Inputs(mpi=mpi_refugees.load(data_dir), prm=prm_refugees.load(data_dir),
                  facts=refugee_policy.facts(data_dir), orders=refugee_policy.orders(data_dir), groups=groups,
                  names=refugee_policy.prm_country_names(data_dir, groups),
                  facts_file=refugee_policy._file(data_dir, "policy_facts"),
                  orders_file=refugee_policy._file(data_dir, "refugee_orders"))


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _day(value) -> str | None:
    return None if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


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


def check_orders(orders: pd.DataFrame, years: pd.DataFrame, orders_file: str) -> None:
    """Every order that sets a ceiling must give the ceiling its fiscal year has, as first set or at year end."""
    by_year = years.set_index("fiscal_year")
    for index, order in orders.iterrows():
        if pd.isna(order["ceiling"]) or int(order["fiscal_year"]) not in by_year.index:
            continue
        row = by_year.loc[int(order["fiscal_year"])]
        known = {_int(row["ceiling_set"]), _int(row["ceiling_final"])} - {None}
        if int(order["ceiling"]) not in known:
            shown = " or ".join(f"{v:,}" for v in sorted(known)) or "no ceiling"
            raise DataError(Problem(orders_file, f"{order['document']}: ceiling {int(order['ceiling']):,} for "
                                                 f"FY{int(order['fiscal_year'])} disagrees with {shown} in the "
                                                 "ceilings table", line=int(index) + 2, column="ceiling"))


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

LOWEST, TIED, NOT_LOWEST = "lowest", "tied", "not lowest"


@dataclass(frozen=True)
class LowestCeiling:
    """Is `year`'s ceiling lower than every ceiling from `since` to the year before, on one reading?

    `status` is None when it cannot be told: the tested year has no ceiling (`ceiling` is None), or a year
    of the window has none (`missing_years`); a missing ceiling is never counted as zero or skipped."""

    year: int
    since: int
    measure: str
    ceiling: int | None
    minimum: int | None
    minimum_years: tuple[int, ...]
    n_compared: int
    missing_years: tuple[int, ...]
    later_lower: tuple[tuple[int, int], ...]  # (fiscal year, ceiling): later years with a lower ceiling

    @property
    def status(self) -> str | None:
        if self.ceiling is None or self.minimum is None or self.missing_years:
            return None
        return LOWEST if self.ceiling < self.minimum else TIED if self.ceiling == self.minimum else NOT_LOWEST

    @property
    def is_lowest(self) -> bool | None:
        return None if self.status is None else self.status == LOWEST


def lowest_since(years: pd.DataFrame, year: int, since: int, measure: str = "ceiling_set") -> LowestCeiling:
    """Test "`year`'s ceiling is the lowest since `since`" on one reading of the ceiling.

    Compares with every year from `since` to `year - 1`; a year without a ceiling, or not in the data,
    is listed in `missing_years`. Lists the later years that went lower.
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown ceiling measure {measure!r} (known: {', '.join(MEASURES)})")
    if since >= year:
        raise ValueError(f"the comparison must start before the year tested ({since} >= {year})")
    by_year = {int(r.fiscal_year): _int(getattr(r, measure)) for r in years.itertuples()}
    ceiling = by_year.get(int(year))
    window = range(int(since), int(year))
    known = {y: by_year[y] for y in window if by_year.get(y) is not None}
    minimum = min(known.values()) if known else None
    later = tuple((y, c) for y, c in sorted(by_year.items())
                  if y > year and c is not None and ceiling is not None and c < ceiling)
    return LowestCeiling(year=int(year), since=int(since), measure=measure, ceiling=ceiling, minimum=minimum,
                         minimum_years=tuple(y for y, c in known.items() if c == minimum),
                         n_compared=len(known), missing_years=tuple(y for y in window if y not in known),
                         later_lower=later)


def lowest_values(test: LowestCeiling, years: pd.DataFrame) -> dict:
    """One reading's test as plain values: the ceilings compared, the outcome, the later years below it."""
    rows = years.set_index("fiscal_year")
    later = []
    for year, ceiling in test.later_lower:
        set_, final = _int(rows.at[year, "ceiling_set"]), _int(rows.at[year, "ceiling_final"])
        revised = bool(rows.at[year, "revised"]) and test.measure == "ceiling_set"
        later.append({"year": year, "ceiling": ceiling, "revised": revised,
                      "revised_to": final if revised else None,
                      "direction": None if not revised else "cut" if final < set_ else "raised"})
    lowest_later = min(later, key=lambda r: (r["ceiling"], r["year"])) if later else None
    return {"measure": test.measure, "ceiling": test.ceiling, "minimum": test.minimum,
            "minimum_years": list(test.minimum_years), "n_compared": test.n_compared,
            "margin": None if test.ceiling is None or test.minimum is None else test.ceiling - test.minimum,
            "n_window": test.year - test.since, "window_last_year": test.year - 1,
            "missing_years": list(test.missing_years), "status": test.status, "is_lowest": test.is_lowest,
            "later_lower": later, "n_later_lower": len(later),
            "lowest_later": None if lowest_later is None else {"year": lowest_later["year"],
                                                               "ceiling": lowest_later["ceiling"]}}


# --------------------------------------------------------------------------- admissions against the ceiling

PARTIAL, UNDER, REACHED_HALF = "partial", "under", "at or above"


def shares(years: pd.DataFrame, far_below: float) -> pd.DataFrame:
    """Admissions as a share of the year-end ceiling, for years with both; `status` is a named condition
    (a partial year; under `far_below` of the ceiling; at or above it)."""
    both = years[years["ceiling_final"].notna() & years["admissions"].notna()].copy()
    both["share"] = both["admissions"].astype("float64") / both["ceiling_final"].astype("float64")
    both["status"] = [PARTIAL if partial else UNDER if share < far_below else REACHED_HALF
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
    """Admissions per listed country (rows) and fiscal year (columns, named by the year), with one yes/no
    column per order (named as the data name the order) saying whether it names the country."""
    mapping = country_map(prm, groups, names)
    last = int(prm.years["fiscal_year"].max()) if last is None else int(last)
    adm = prm.admissions[(prm.admissions["fiscal_year"] >= first) & (prm.admissions["fiscal_year"] <= last)]
    adm = adm.assign(listed=adm["country"].map(mapping)).dropna(subset=["listed"])
    totals = adm.groupby(["listed", "fiscal_year"])["admissions"].sum()
    orders = list(dict.fromkeys(groups["group"]))
    rows = []
    for country in sorted(set(groups["country"])):
        named = set(groups.loc[groups["country"] == country, "group"])
        row = {"country": country} | {order: order in named for order in orders}
        for year in range(first, last + 1):
            row[str(year)] = int(totals.get((country, year), 0))
        rows.append(row)
    return pd.DataFrame(rows)


def country_columns(countries: pd.DataFrame) -> dict:
    """How the country table shows its year columns: as fiscal years."""
    return {c: (charts.format_cell(int(c), "fy"), "count") for c in countries.columns if str(c).isdigit()}


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


def difference_values(recon: pd.DataFrame, facts: pd.DataFrame, notes: list[str]) -> list[dict]:
    """The years where the two sources differ, with what the data hold about why (named conditions, the
    workbook's own notes for the year, other published figures)."""
    differs = recon[(recon["summary_minus_mpi"].fillna(0) != 0) | (recon["sheet_minus_mpi"].fillna(0) != 0)
                    | (recon["ceiling_prm_minus_mpi"].fillna(0) != 0)]
    first_set = facts[facts["fact"] == "ceiling_set"].set_index("fiscal_year")["value"]
    reported = facts[facts["fact"] == "admissions_reported"]
    out = []
    for r in differs.itertuples():
        ceilings_differ = bool(pd.notna(r.ceiling_prm_minus_mpi) and r.ceiling_prm_minus_mpi != 0)
        admissions_differ = bool((pd.notna(r.summary_minus_mpi) and r.summary_minus_mpi != 0)
                                 or (pd.notna(r.sheet_minus_mpi) and r.sheet_minus_mpi != 0))
        out.append({
            "year": int(r.fiscal_year), "admissions_differ": admissions_differ, "ceilings_differ": ceilings_differ,
            "mpi_admissions": _int(r.mpi_admissions), "prm_summary": _int(r.prm_summary),
            "prm_sheet": _int(r.prm_sheet),
            "admissions_difference": _int(r.summary_minus_mpi if pd.notna(r.summary_minus_mpi) else r.sheet_minus_mpi),
            "mpi_ceiling": _int(r.mpi_ceiling), "prm_ceiling": _int(r.prm_ceiling),
            "ceiling_difference": _int(r.ceiling_prm_minus_mpi),
            "prm_gives_first_set": bool(ceilings_differ and r.fiscal_year in first_set.index
                                        and int(first_set[r.fiscal_year]) == int(r.prm_ceiling)),
            "notes": [n.rstrip(".") for n in notes if re.search(rf"FY ?{r.fiscal_year}\b", n)]
            if admissions_differ else [],
            "other_figures": [{"value": int(o.value), "source": str(o.source)}
                              for o in reported[reported["fiscal_year"] == r.fiscal_year].itertuples()],
        })
    return out


def differences(recon: pd.DataFrame) -> pd.DataFrame:
    """The numbers of the years where the two sources differ (what explains each is in the prose)."""
    differs = recon[(recon["summary_minus_mpi"].fillna(0) != 0) | (recon["sheet_minus_mpi"].fillna(0) != 0)
                    | (recon["ceiling_prm_minus_mpi"].fillna(0) != 0)]
    return differs[["fiscal_year", "mpi_admissions", "prm_summary", "prm_sheet", "summary_minus_mpi",
                    "mpi_ceiling", "prm_ceiling", "ceiling_prm_minus_mpi"]].reset_index(drop=True)


#: Every label the chapter's charts and reader tables show (axis titles, tooltip names, legend entries, column
#: labels): the `labels` mapping of its template, with the page's other words.
LABEL = prose.labels("04_refugees")

DIFFERENCE_COLUMNS = {"fiscal_year": (LABEL["column_fiscal_year"], "fy"), "mpi_admissions": LABEL["column_mpi_admissions"],
                      "prm_summary": LABEL["column_prm_summary_sheet"], "prm_sheet": LABEL["column_prm_year_sheet"],
                      "summary_minus_mpi": LABEL["column_prm_mpi_admissions"], "mpi_ceiling": LABEL["column_mpi_ceiling"],
                      "prm_ceiling": LABEL["column_prm_ceiling"], "ceiling_prm_minus_mpi": LABEL["column_prm_mpi_ceiling"]}


# --------------------------------------------------------------------------- charts

SERIES = [LABEL["series_refugees_admitted"], LABEL["series_admitted_partial_year"], LABEL["series_ceiling_at_year_end"], LABEL["series_ceiling_as_first_set_revised_later"]]
SERIES_COLOURS = [charts.PALETTE[0], charts.PALETTE[4], charts.PALETTE[1], charts.PALETTE[5]]


def _year_axis(years: list[int]) -> alt.Axis:
    ticks = [y for y in years if y % 5 == 0] or years
    return alt.Axis(values=ticks, labelAngle=0, title=LABEL["fiscal_year"])


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Chart data: missing counts stay nullable integers, which Altair writes as null (never NaN or 0)."""
    out = frame.copy()
    for column in out.columns:
        if str(out[column].dtype) == "object" and out[column].map(lambda v: isinstance(v, numbers.Number)).any():
            out[column] = pd.array([None if v is None or pd.isna(v) else v for v in out[column]], dtype="Int64")
    return out


def _fy_labels(years) -> list[str]:
    return [charts.format_cell(int(y), "fy") for y in years]


def chart_table(years: pd.DataFrame) -> pd.DataFrame:
    """The numbers behind the ceilings-and-admissions chart, one row per fiscal year."""
    return pd.DataFrame({
        "fiscal_year": years["fiscal_year"].astype("int64"),
        "ceiling_first_set": years["ceiling_set"],
        "ceiling_year_end": years["ceiling_final"],
        "admissions": years["admissions"],
        "partial_year": years["partial"],
        "admissions_suspended_from": years["suspended_from"],
    })


def ceiling_chart(years: pd.DataFrame, reference: int | None, text: dict[str, str]) -> charts.Figure:
    """Ceilings (as first set and at year end) and admissions per fiscal year, with a reference line at the
    article's figure (`reference`, from the data; none when the data hold no figure). Words from `text`."""
    table = chart_table(years)
    data = _plain(table.drop(columns=["admissions_suspended_from"]))  # in the table and CSV, not the drawing
    data["series_admitted"] = [SERIES[1] if p else SERIES[0] for p in table["partial_year"]]
    data["label"] = _fy_labels(table["fiscal_year"])
    year_list = table["fiscal_year"].tolist()
    x = alt.X("fiscal_year:O", axis=_year_axis(year_list), scale=alt.Scale(domain=year_list))
    colour = alt.Color("series:N", scale=alt.Scale(domain=SERIES, range=SERIES_COLOURS), title=None,
                       legend=alt.Legend(orient="bottom", columns=2))
    tips = [alt.Tooltip("label:N", title=LABEL["fiscal_year"]),
            alt.Tooltip("ceiling_first_set:Q", title=LABEL["ceiling_as_first_set"], format=","),
            alt.Tooltip("ceiling_year_end:Q", title=LABEL["ceiling_at_year_end"], format=","),
            alt.Tooltip("admissions:Q", title=LABEL["refugees_admitted"], format=",")]
    base = alt.Chart(data)
    bars = base.mark_bar(opacity=0.85).transform_filter("isValid(datum.admissions)").transform_calculate(
        series="datum.series_admitted").encode(x=x, y=alt.Y("admissions:Q", title=LABEL["refugees"]), color=colour,
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
        x=x, y=alt.Y("ceiling_year_end:Q"), text=alt.value(text["refugee_ceilings_gap_label"]), tooltip=tips)
    layers = [bars, line, dots, link, first, gaps]
    if reference is not None:
        # The dashed line is named in a legend of its own above the chart (in full; beside the other legend it
        # would not fit a phone) and labelled at its right end, where the latest years leave room, with its figure.
        ref = pd.DataFrame({"y": [int(reference)], "what": [text["refugee_ceilings_reference"]],
                            "short": [text["refugee_ceilings_reference_label"]]})
        dash = alt.StrokeDash("what:N", scale=alt.Scale(domain=ref["what"].tolist(), range=[[6, 3]]),
                              legend=alt.Legend(orient="top", title=None, symbolType="stroke",
                                                symbolStrokeColor="#000000", labelLimit=0))
        layers.append(alt.Chart(ref).mark_rule(color="#000000", strokeWidth=1.5).encode(
            y="y:Q", strokeDash=dash, tooltip=alt.Tooltip("what:N", title="")))
        label = dict(x="width", align="right", baseline="bottom", dx=-14, dy=-3, fontSize=12, fontWeight="bold")
        for halo in (True, False):  # a white outline first, so that the figure reads over the bars
            layers.append(alt.Chart(ref).mark_text(
                **label, color="#ffffff" if halo else "#000000",
                **({"stroke": "#ffffff", "strokeWidth": 4, "strokeJoin": "round"} if halo else {})).encode(
                y="y:Q", text="short:N", tooltip=alt.Tooltip("what:N", title="")))
    chart = alt.layer(*layers).properties(width="container", height=360)
    return charts.Figure(chart, name="refugee-ceilings", text=text, data=table,
                         columns={"fiscal_year": (LABEL["column_fiscal_year"], "fy"), "ceiling_first_set": LABEL["column_ceiling_as_first_set"],
                                  "ceiling_year_end": LABEL["column_ceiling_at_year_end"], "admissions": LABEL["column_refugees_admitted"],
                                  "partial_year": LABEL["column_partial_year"],
                                  "admissions_suspended_from": LABEL["column_admissions_suspended_from"]})


SHARE_STATUSES = (UNDER, REACHED_HALF, PARTIAL)


def share_chart(share_table: pd.DataFrame, far_below: float, text: dict[str, str]) -> charts.Figure:
    """Admissions as a share of the year-end ceiling, per fiscal year; legend and rule labels from `text`."""
    labels = {UNDER: text["share_legend_under"], REACHED_HALF: text["share_legend_at_or_above"],
              PARTIAL: text["share_legend_partial"]}
    data = _plain(share_table.assign(label=_fy_labels(share_table["fiscal_year"]),
                                     shown_status=share_table["status"].map(labels)))
    year_list = share_table["fiscal_year"].tolist()
    x = alt.X("fiscal_year:O", axis=_year_axis(year_list))
    bars = alt.Chart(data).mark_bar().encode(
        x=x, y=alt.Y("share:Q", title=LABEL["admissions_as_a_share_of_the_ceiling"], axis=alt.Axis(format="%")),
        color=alt.Color("shown_status:N", scale=alt.Scale(domain=[labels[s] for s in SHARE_STATUSES],
                                                          range=[charts.PALETTE[5], charts.PALETTE[0],
                                                                 charts.PALETTE[4]]),
                        title=None, legend=alt.Legend(orient="bottom", columns=2)),
        tooltip=[alt.Tooltip("label:N", title=LABEL["fiscal_year"]), alt.Tooltip("admissions:Q", title=LABEL["admitted"], format=","),
                 alt.Tooltip("ceiling_final:Q", title=LABEL["ceiling_at_year_end"], format=","),
                 alt.Tooltip("share:Q", title=LABEL["share_of_the_ceiling"], format=".1%"),
                 alt.Tooltip("shown_status:N", title="")])
    rules = alt.Chart(pd.DataFrame({"y": [1.0, float(far_below)],
                                    "what": [text["share_rule_ceiling"], text["share_rule_far_below"]]})) \
        .mark_rule(strokeDash=[4, 3], color="#555555").encode(y="y:Q", tooltip=alt.Tooltip("what:N", title=""))
    chart = (bars + rules).properties(width="container", height=280)
    table = share_table.drop(columns=["status"]).rename(columns={"ceiling_final": "ceiling_year_end"})
    return charts.Figure(chart, name="refugee-share-of-ceiling", text=text, data=table,
                         columns={"fiscal_year": (LABEL["column_fiscal_year"], "fy"), "ceiling_year_end": LABEL["column_ceiling_at_year_end"],
                                  "admissions": LABEL["column_refugees_admitted"], "share": (LABEL["column_admitted_share_of_ceiling"], "share"),
                                  "partial": LABEL["column_partial_year"]})


def group_year_chart(by_year: pd.DataFrame, text: dict[str, str]) -> charts.Figure:
    data = _plain(by_year.assign(label=_fy_labels(by_year["fiscal_year"])))
    groups = list(dict.fromkeys(by_year["group"]))
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("fiscal_year:O", title=LABEL["fiscal_year"], axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("group:N", sort=groups),
        y=alt.Y("admissions:Q", title=LABEL["refugees_admitted"]),
        color=alt.Color("group:N", scale=alt.Scale(domain=groups, range=charts.PALETTE[2:2 + len(groups)]),
                        title=LABEL["countries_named_by"], legend=alt.Legend(orient="bottom")),
        opacity=alt.condition("datum.partial", alt.value(0.45), alt.value(1.0)),
        tooltip=[alt.Tooltip("group:N", title=LABEL["countries_named_by"]), alt.Tooltip("label:N", title=LABEL["fiscal_year"]),
                 alt.Tooltip("partial:N", title=LABEL["partial_year"]),
                 alt.Tooltip("admissions:Q", title=LABEL["refugees_admitted"], format=",")],
    ).properties(width="container", height=300)
    table = by_year.rename(columns={"group": "countries_named_by"})
    return charts.Figure(chart, name="refugees-listed-countries-by-year", text=text, data=table,
                         columns={"countries_named_by": LABEL["column_countries_named_by"], "fiscal_year": (LABEL["column_fiscal_year"], "fy"),
                                  "admissions": LABEL["column_refugees_admitted"], "partial": LABEL["column_partial_year"]})


def events_in(orders: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The orders that took effect between `start` and `end`: date (effective, else signed), short_name, description."""
    when = orders["effective"].fillna(orders["date"])
    inside = orders.assign(when=when)[(when >= start) & (when <= end)].sort_values("when")
    return inside.reset_index(drop=True)


def group_month_chart(monthly: pd.DataFrame, orders: pd.DataFrame, first: int, last: int,
                      text: dict[str, str]) -> charts.Figure:
    inside = monthly[(monthly["fiscal_year"] >= first) & (monthly["fiscal_year"] <= last)].copy()
    inside["month_label"] = [charts.format_cell(m, "month") for m in inside["month"]]
    groups = list(dict.fromkeys(inside["group"]))
    data = _plain(inside.assign(month=inside["month"].dt.strftime("%Y-%m-%d")))
    start, end = inside["month"].min(), inside["month"].max() + pd.offsets.MonthEnd(1)
    events = events_in(orders, start, end)
    events = pd.DataFrame({"date": events["when"].dt.strftime("%Y-%m-%d"), "order": events["short_name"],
                           "what": events["description"], "document": events["document"],
                           "offset": [14 * (i % 2) for i in range(len(events))]})  # labels of close events staggered
    x = alt.X("month:T", title=LABEL["month_of_arrival"], axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=8))
    lines = alt.Chart(data).mark_line(point=True).encode(
        x=x, y=alt.Y("admissions:Q", title=LABEL["refugees_admitted_per_month"]),
        color=alt.Color("group:N", scale=alt.Scale(domain=groups, range=charts.PALETTE[2:2 + len(groups)]),
                        title=LABEL["countries_named_by"], legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("group:N", sort=groups, legend=None),
        tooltip=[alt.Tooltip("group:N", title=LABEL["countries_named_by"]), alt.Tooltip("month_label:N", title=LABEL["month"]),
                 alt.Tooltip("admissions:Q", title=LABEL["refugees_admitted"], format=",")])
    layers = [lines]
    if not events.empty:
        tips = [alt.Tooltip("date:T", title=LABEL["date"], format="%d %b %Y"), alt.Tooltip("document:N", title=LABEL["order"]),
                alt.Tooltip("what:N", title=LABEL["what_it_did"])]
        rule = alt.Chart(events).mark_rule(color="#555555", strokeDash=[2, 2]).encode(x="date:T", tooltip=tips)
        label = alt.Chart(events).mark_text(align="left", dx=4, dy=-4, fontSize=10, color="#333333",
                                            baseline="top").encode(
            x="date:T", y=alt.Y("offset:Q", scale=None, axis=None), text="order:N", tooltip=tips)
        layers += [rule, label]
    chart = alt.layer(*layers).properties(width="container", height=300)
    table = inside[["group", "fiscal_year", "month", "admissions"]].assign(
        month=inside["month"].dt.strftime("%Y-%m")).rename(columns={"group": "countries_named_by"})
    return charts.Figure(chart, name="refugees-listed-countries-by-month", text=text, data=table.reset_index(drop=True),
                         columns={"countries_named_by": LABEL["column_countries_named_by"], "fiscal_year": (LABEL["column_fiscal_year"], "fy"),
                                  "month": (LABEL["column_month"], "month"), "admissions": LABEL["column_refugees_admitted"]})


# --------------------------------------------------------------------------- the chapter's values

CHAPTER = "refugees"
TITLE = "Refugee ceilings and admissions"
SOURCES = ["mpi-refugee-admissions", "prm-refugee-admissions", "refugee-policy"]
#: The sources each chart's numbers come from: its caption says "Data as of" the latest date they cover.
CHART_SOURCES = {"refugee-ceilings": ["mpi-refugee-admissions", "refugee-policy"],
                 "refugee-share-of-ceiling": ["mpi-refugee-admissions"],
                 "refugees-listed-countries-by-year": ["prm-refugee-admissions"],
                 "refugees-listed-countries-by-month": ["prm-refugee-admissions"]}
LABELS = {
    "tested_ceiling": "the tested year's refugee ceiling",
    "lowest_status": "'lowest since' finding, as first set",
    "later_lower_years": "later years with a lower ceiling, as first set",
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


def check_parameters(years: list[int], prm: list[int], **p) -> None:
    """Raise a ParameterError naming the first parameter that asks for a fiscal year the data do not have
    (`years`: the ceilings' years; `prm`: the State Department workbook's), or a share that is not one."""
    for names, have, what in ((("tested_year", "since_year", "first_year", "last_year"), years, "the ceilings"),
                              (("groups_first_year", "groups_last_year", "months_first_year", "months_last_year"),
                               prm, "the State Department workbook")):
        for name in names:
            if p.get(name) is not None and not have[0] <= p[name] <= have[-1]:
                raise ParameterError(name, f"no data for FY{p[name]}: {what} cover FY{have[0]} to FY{have[-1]}")
    if p["tested_year"] not in years:
        raise ParameterError("tested_year", f"no ceiling for FY{p['tested_year']}")
    if not 0 < p["far_below"] <= 1:
        raise ParameterError("far_below", "must be a share of the ceiling, above 0 and at most 1")


def analyse(inputs: Inputs, *, tested_year: int, since_year: int, first_year: int, last_year: int | None,
            far_below: float, groups_first_year: int, groups_last_year: int | None, months_first_year: int,
            months_last_year: int) -> Analysis:
    """Ceilings by year, the 'lowest since' test on both readings, shares, the listed countries' admissions and
    the two sources reconciled. A parameter that selects no data is a ParameterError naming it (`check` runs
    this too, so it refuses the same parameters before any notebook runs)."""
    years = fiscal_years(inputs.mpi, inputs.facts, inputs.facts_file)
    check_parameters(sorted(int(y) for y in years["fiscal_year"]),
                     sorted(int(y) for y in inputs.prm.years["fiscal_year"]),
                     tested_year=tested_year, since_year=since_year, first_year=first_year, last_year=last_year,
                     far_below=far_below, groups_first_year=groups_first_year, groups_last_year=groups_last_year,
                     months_first_year=months_first_year, months_last_year=months_last_year)
    check_orders(inputs.orders, years, inputs.orders_file)
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


def with_years(analysis: Analysis, years: pd.DataFrame) -> Analysis:
    """The same analysis on another ceilings table (a test's mutated copy): only what depends on it is recomputed."""
    p = analysis.parameters
    shown = shown_years(years, p["first_year"], p["last_year"])
    return dataclasses.replace(analysis, years=years, shown=shown,
                               as_set=lowest_since(years, p["tested_year"], p["since_year"], "ceiling_set"),
                               year_end=lowest_since(years, p["tested_year"], p["since_year"], "ceiling_final"),
                               share_table=shares(shown, p["far_below"]))


def _fact(facts: pd.DataFrame, kind: str, year: int | None = None) -> pd.Series | None:
    rows = facts[(facts["fact"] == kind) & ((facts["fiscal_year"] == year) if year is not None else True)]
    return None if rows.empty else rows.iloc[0]


def article_values(facts: pd.DataFrame) -> dict | None:
    """The article's claim as the facts table holds it: the year, its figure, its 'since' year and its words."""
    row = _fact(facts, "ceiling_in_article")
    if row is None:
        return None
    since = _fact(facts, "since_in_article", int(row["fiscal_year"]))
    quoted = re.search(r"'([^']+)'", str(row["description"]))
    return {"year": int(row["fiscal_year"]), "ceiling": _int(row["value"]),
            "since": None if since is None else _int(since["value"]),
            "quote": quoted.group(1) if quoted else None, "date": None if pd.isna(row["date"]) else str(row["date"]),
            "source": str(row["source"])}


def _extreme(frame: pd.DataFrame, column: str, largest: bool) -> dict | None:
    known = frame[frame[column].notna()]
    if known.empty:
        return None
    row = known.loc[known[column].astype("float64").idxmax() if largest else known[column].astype("float64").idxmin()]
    return {"year": int(row["fiscal_year"]), "value": int(row[column])}


def _order_on(orders: pd.DataFrame, day: str) -> str | None:
    """The order that took effect on `day`, if the orders table holds one."""
    when = orders["effective"].fillna(orders["date"])
    rows = orders[when == pd.Timestamp(day)]
    return None if rows.empty else str(rows["document"].iloc[0])


def _setting_order(orders: pd.DataFrame, year: int, ceiling: int) -> dict | None:
    """The first order that gave `year` the `ceiling`, if the orders table holds one."""
    rows = orders[(orders["fiscal_year"] == year) & (orders["ceiling"] == ceiling)].sort_values("date")
    if rows.empty:
        return None
    return {"document": str(rows["document"].iloc[0]), "date": f"{rows['date'].iloc[0]:%Y-%m-%d}"}


def ceiling_summary(shown: pd.DataFrame, prm, orders: pd.DataFrame) -> dict:
    """What the ceilings chart shows, as values: its span, extremes, revisions, partial years and gaps."""
    full = shown[shown["admissions"].notna() & ~shown["partial"]]
    as_of = prm.years.set_index("fiscal_year")["as_of"]
    return {
        "first_year": int(shown["fiscal_year"].min()), "last_year": int(shown["fiscal_year"].max()),
        "highest_ceiling": _extreme(shown, "ceiling_final", True),
        "lowest_ceiling": _extreme(shown, "ceiling_final", False),
        "highest_admissions": _extreme(full, "admissions", True),
        "lowest_admissions": _extreme(full, "admissions", False),
        "revised": [{"year": int(r.fiscal_year), "first_set": int(r.ceiling_set), "year_end": int(r.ceiling_final),
                     "direction": "cut" if r.ceiling_final < r.ceiling_set else "raised",
                     "order": _setting_order(orders, int(r.fiscal_year), int(r.ceiling_final))}
                    for r in shown[shown["revised"]].itertuples()],
        "partial": [{"year": int(r.fiscal_year), "admissions": _int(r.admissions),
                     "as_of": _day(as_of.get(int(r.fiscal_year)))} for r in shown[shown["partial"]].itertuples()],
        "n_revised": int(shown["revised"].sum()),
        "no_admissions_years": [int(y) for y in shown.loc[shown["admissions"].isna(), "fiscal_year"]],
        "no_ceiling_years": [int(y) for y in shown.loc[shown["ceiling_final"].isna(), "fiscal_year"]],
    }


def group_values(by_year: pd.DataFrame, monthly: pd.DataFrame, groups: pd.DataFrame, tested_year: int,
                 months_first_year: int, months_last_year: int) -> list[dict]:
    """Per order (as the data name it, in the data's order): its countries and their refugees, year by year and
    month by month."""
    overlap = groups.groupby("country")["group"].nunique()
    out = []
    for name in dict.fromkeys(groups["group"]):
        rows = by_year[by_year["group"] == name].sort_values("fiscal_year")
        full = rows[~rows["partial"] & rows["admissions"].notna()]
        first = rows.iloc[0] if not rows.empty else None
        tested = rows[rows["fiscal_year"] == tested_year]
        months = monthly[(monthly["group"] == name) & (monthly["fiscal_year"] >= months_first_year)
                         & (monthly["fiscal_year"] <= months_last_year)].sort_values("month")
        known = months[months["admissions"].notna()]
        month_values = None
        if not known.empty:
            low = known.loc[known["admissions"].astype("float64").idxmin()]
            high = known.loc[known["admissions"].astype("float64").idxmax()]
            last_year = known[known["fiscal_year"] == known["fiscal_year"].max()]
            first_month = known.iloc[0]
            most_last = int(last_year["admissions"].max())
            month_values = {
                "first_month": f"{first_month['month']:%Y-%m}", "first_admissions": int(first_month["admissions"]),
                "lowest_month": f"{low['month']:%Y-%m}", "lowest_admissions": int(low["admissions"]),
                "highest_month": f"{high['month']:%Y-%m}", "highest_admissions": int(high["admissions"]),
                "last_year": int(last_year["fiscal_year"].iloc[0]), "last_year_most": most_last,
                "fell": most_last < int(first_month["admissions"]),
                "n_missing_months": int(months["admissions"].isna().sum()),
                "missing_months": [f"{m:%Y-%m}" for m in months.loc[months["admissions"].isna(), "month"]],
            }
        lowest = _extreme(full, "admissions", False)
        members = groups.loc[groups["group"] == name, "country"]
        out.append({
            "name": str(name), "n_countries": int(members.nunique()),
            "n_also_named_by_another": int((overlap.reindex(members).fillna(0) > 1).sum()),
            "by_year": [{"year": int(r.fiscal_year), "admissions": _int(r.admissions), "partial": bool(r.partial)}
                        for r in rows.itertuples()],
            "first": None if first is None else {"year": int(first["fiscal_year"]),
                                                 "admissions": _int(first["admissions"])},
            "tested": None if tested.empty else _int(tested["admissions"].iloc[0]),
            "lowest_full": lowest, "highest_full": _extreme(full, "admissions", True),
            "fell": None if lowest is None or first is None or pd.isna(first["admissions"])
            else lowest["value"] < int(first["admissions"]),
            "months": month_values,
        })
    return out


def results(inputs: Inputs, analysis: Analysis) -> dict:
    """The chapter's values and named conditions as plain data, for its prose, the claims ledger and the intro."""
    a, p = analysis, analysis.parameters
    tested_year, since_year, far_below = p["tested_year"], p["since_year"], p["far_below"]
    years, shown, recon = a.years, a.shown, a.recon
    as_set, year_end = lowest_values(a.as_set, years), lowest_values(a.year_end, years)
    far = far_below_years(a.share_table, far_below)
    full = a.share_table[~a.share_table["partial"]]
    article = article_values(inputs.facts)
    tested_ceiling = as_set["ceiling"]
    tested = years[years["fiscal_year"] == tested_year]
    share_row = a.share_table[a.share_table["fiscal_year"] == tested_year]
    both = recon[recon["mpi_admissions"].notna() & recon["prm_summary"].notna()]
    ceilings_both = recon[recon["mpi_ceiling"].notna() & recon["prm_ceiling"].notna()]
    latest = years.iloc[-1]
    months = (p["months_first_year"], p["months_last_year"])
    inside = a.monthly[(a.monthly["fiscal_year"] >= months[0]) & (a.monthly["fiscal_year"] <= months[1])]
    events = events_in(inputs.orders, inside["month"].min(), inside["month"].max() + pd.offsets.MonthEnd(1)) \
        if not inside.empty else inputs.orders.iloc[0:0].assign(when=pd.NaT)
    on_terms = (article is not None and article["year"] == tested_year and article["since"] == since_year)
    return {
        "tested_year": int(tested_year), "since_year": int(since_year), "window_last_year": int(tested_year) - 1,
        "article": article,
        "on_claim_terms": bool(on_terms),
        "reference_ceiling": None if article is None else article["ceiling"],  # the chart's reference line
        "tested_ceiling": tested_ceiling,
        "article_ceiling_matches": None if article is None or article["ceiling"] is None or tested_ceiling is None
        or article["year"] != tested_year else article["ceiling"] == tested_ceiling,
        "as_set": as_set, "year_end": year_end,
        "readings_agree": as_set["status"] is not None and as_set["status"] == year_end["status"],
        # what the claims ledger reads (rule lowest_since)
        "lowest_status": as_set["status"], "is_lowest": as_set["is_lowest"],
        "min_ceiling": as_set["minimum"], "min_ceiling_years": as_set["minimum_years"],
        "later_lower": as_set["later_lower"], "later_lower_years": [r["year"] for r in as_set["later_lower"]],
        "chart": ceiling_summary(shown, inputs.prm, inputs.orders),
        "admissions_as_of": _day(inputs.prm.years["as_of"].max()),
        "suspended": [{"year": int(r.fiscal_year), "date": str(r.suspended_from),
                       "order": _order_on(inputs.orders, str(r.suspended_from))}
                      for r in years[years["suspended_from"].notna()].itertuples()],
        "latest_order": None if pd.isna(latest["ceiling_set"])
        else _setting_order(inputs.orders, int(latest["fiscal_year"]), int(latest["ceiling_set"])),
        "latest_year": int(latest["fiscal_year"]),
        "latest_ceiling": _int(latest["ceiling_set"]),
        "partial_note": inputs.mpi.partial_note or None,
        "tested_admissions": None if tested.empty else _int(tested["admissions"].iloc[0]),
        "tested_partial": bool(not tested.empty and tested["partial"].iloc[0]),
        "tested_share": None if share_row.empty else float(share_row["share"].iloc[0]),
        "far_below": float(far_below),
        "far_below_years": [{"year": int(r.fiscal_year), "share": float(r.share)} for r in far.itertuples()],
        "n_far_below": len(far),
        "lowest_share": None if full.empty else {
            "year": int(full.loc[full["share"].idxmin(), "fiscal_year"]), "share": float(full["share"].min())},
        "reached_years": [int(y) for y in full.loc[full["share"] >= 1, "fiscal_year"]],
        "partial_shares": [{"year": int(r.fiscal_year), "share": float(r.share)}
                           for r in a.share_table[a.share_table["partial"]].itertuples()],
        "share_first_year": None if a.share_table.empty else int(a.share_table["fiscal_year"].min()),
        "share_last_year": None if a.share_table.empty else int(a.share_table["fiscal_year"].max()),
        "reconcile_years_compared": len(both),
        "reconcile_years_agree": int((both["summary_minus_mpi"] == 0).sum()),
        "reconcile_ceilings_compared": len(ceilings_both),
        "differences": difference_values(recon, inputs.facts, inputs.prm.notes),
        "months_first_year": int(months[0]), "months_last_year": int(months[1]),
        "groups_first_year": int(a.by_year["fiscal_year"].min()),
        "groups_last_year": int(a.by_year["fiscal_year"].max()),
        "groups_partial_years": sorted({int(y) for y in a.by_year.loc[a.by_year["partial"], "fiscal_year"]}),
        "n_overlap": int((inputs.groups.groupby("country")["group"].nunique() > 1).sum()),
        "groups": group_values(a.by_year, a.monthly, inputs.groups, tested_year, *months),
        "events": [{"date": f"{r.when:%Y-%m-%d}", "short_name": str(r.short_name), "document": str(r.document),
                    "description": str(r.description)} for r in events.itertuples()],
        "orders": [{"date": f"{r.date:%Y-%m-%d}", "effective": _day(r.effective), "year": int(r.fiscal_year),
                    "document": str(r.document), "ceiling": _int(r.ceiling), "description": str(r.description),
                    "citation": str(r.citation), "url": str(r.url)} for r in inputs.orders.itertuples()],
        "facts": [{"year": int(r.fiscal_year), "kind": str(r.fact), "value": _int(r.value),
                   "date": None if pd.isna(r.date) else str(r.date), "description": str(r.description),
                   "source": str(r.source)} for r in inputs.facts.itertuples()],
        "fact_sources": fact_sources(inputs.facts, inputs.orders),
    }


_FR_PAGE = re.compile(r"\b\d+ FR \d+\b")


def fact_sources(facts: pd.DataFrame, orders: pd.DataFrame) -> list[dict]:
    """The facts neither file carries, for the Sources list: each source once, with the facts it gives, in the
    order first met; a fact whose source is an order already listed (the same Federal Register page) is left out,
    as that order is cited in the list of orders."""
    ordered = {page for citation in orders["citation"] for page in _FR_PAGE.findall(str(citation))}
    grouped: dict[str, list[dict]] = {}
    for r in facts.itertuples():
        pages = _FR_PAGE.findall(str(r.source))
        if pages and pages[0] in ordered:
            continue
        grouped.setdefault(str(r.source), []).append(
            {"year": int(r.fiscal_year), "date": None if pd.isna(r.date) else str(r.date),
             "description": str(r.description)})
    return [{"source": source, "facts": items} for source, items in grouped.items()]


def tables(analysis: Analysis) -> dict[str, pd.DataFrame]:
    """The chapter's tables for the Downloads page (machine-friendly columns)."""
    return {"refugees_ceilings_admissions": analysis.years, "refugees_listed_countries": analysis.countries,
            "refugees_sources_reconciled": analysis.recon}
