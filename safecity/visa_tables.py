"""The visa chapter's reader tables: each a table of values already computed (`visas`), with its columns' labels
for the page (`charts.table_html`). Nothing here computes a figure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .visas_config import KIND_LABELS, LABEL  # words of the chapter's template

if TYPE_CHECKING:  # the types of the chapter's data; the chapter module imports this one
    from .sources.state_dept_monthly import MonthlyVisas
    from .visas import VisaData


def politico_table(values: dict) -> pd.DataFrame:
    """Politico's four figures beside the records' (changes as fractions; empty where a value is missing). The
    difference is in percentage points from Politico's figure as read (`change_pct`: "virtually unchanged" is 0)."""
    return pd.DataFrame([{
        "Politico's group": f["description"],
        "Politico's words": f["wording"],
        "records": f["change"],
        "difference (points)": (None if f["change"] is None else
                                round(f["change"] * 100 - (f["politico_change"] or 0.0) * 100, 1)),
    } for f in values["politico_figures"]])


POLITICO_COLUMNS = {"records": (LABEL["column_records"], "share"), "difference (points)": (LABEL["column_difference_points"], "number")}


def order_months_table(values: dict) -> pd.DataFrame | None:
    """The months of the window for the group that lists the March 2017 order's countries (None if no group does)."""
    group = next((g for g in values["groups"] if g["is_order"]), None)
    return None if group is None else monthly_table(group)


def groups_table(values: dict) -> pd.DataFrame:
    """Each group of this run: its countries, its two monthly averages and the change (empty where missing)."""
    return pd.DataFrame([{
        "group": g["title"] or g["politico_description"] or g["key"],
        "countries": "" if g["all"] else g["n_countries"],  # all nations: no list to count
        "window monthly average": g["window_average"],
        "baseline monthly average": g["baseline_average"],
        "change": g["change"],
        "country list": "; ".join(g["countries"]),
        "no rows in the visa tables": "; ".join(g["without_records"]),
    } for g in values["groups"]])


GROUP_COLUMNS = {"countries": (LABEL["column_countries"], "count"), "window monthly average": (LABEL["column_window_a_month"], "count"),
                 "baseline monthly average": (LABEL["column_baseline_a_month"], "count"), "change": (LABEL["column_change"], "share")}


def monthly_table(group: dict) -> pd.DataFrame:
    """A group's monthly figures over the window (a missing month is an empty cell, shown as missing)."""
    return pd.DataFrame({"month": [m["month"] for m in group["months"]],
                         "visas issued": pd.array([m["issuances"] for m in group["months"]], dtype="Int64")})


BREAKDOWN_COLUMNS = {"baseline": (LABEL["column_baseline_a_month"], "count"), "window": (LABEL["column_window_a_month"], "count"),
                     "change": (LABEL["column_change"], "share")}


def totals_check(visas: MonthlyVisas) -> pd.DataFrame:
    """Months whose 'Grand Total' row differs from the sum of the rows, or that have none."""
    t = visas.totals
    off = t[t["grand_total"].isna() | (t["difference"] != 0)]
    return pd.DataFrame({
        "month": [f"{pd.Timestamp(m):%Y-%m}" for m in off["month"]],
        "grand total": off["grand_total"].astype("Int64").to_numpy(),
        "sum of rows": off["rows_total"].astype("Int64").to_numpy(),
        "grand total minus rows": off["difference"].astype("Int64").to_numpy(),
    }).reset_index(drop=True)


TOTALS_COLUMNS = {"month": (LABEL["column_month"], "month")}


def restrictions_table(data: VisaData) -> pd.DataFrame:
    r = data.restrictions
    # One source for every row is cited once under the table (`restrictions_source`), not on each row; the few later
    # changes (the `note` column) are said in the prose (`procl.later`), not in a column most rows leave empty.
    return pd.DataFrame({"country": r["country"], "non-immigrant visas": r["nonimmigrant_visas"],
                         "immigrant visas": r["immigrant_visas"]})


def dates_table(data: VisaData) -> pd.DataFrame:
    d = data.dates
    return pd.DataFrame({"date": list(d["date"]), "event": d["event"],
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


#: `period_table`'s columns: fixed labels; the table's caption (a template block) gives each period's months.
PERIOD_COLUMNS = {"before": (LABEL["column_window"], "count"), "first_year": (LABEL["column_first_year_in_full_effect"], "count"),
                  "y2019": (LABEL["column_2019"], "count"), "latest": (LABEL["column_latest_twelve_months"], "count"),
                  "change": (LABEL["column_change_first_year_against_the_window"], "share")}
