"""The visa chapter's configuration: every name the chapter's code must know, in one place.

Countries and groups are data (`data/raw/travel-ban/`, `data/raw/country-groups/`, `data/raw/politico-visas/`);
what is left here are the few names that tie those tables together, each with the reason it is needed.
"""

from __future__ import annotations

from . import prose

#: The group key that means every nationality, in the records and the baseline alike (Politico's "all nations";
#: `politico-visa-changes.csv` uses it as a group key). A group parameter may not redefine it.
ALL = "all"

#: Nationalities the visa tables count by travel document rather than by country: holders of Palestinian Authority
#: travel documents (the crosswalk's note on "Palestinian Authority Travel Document"). Politico's group lists are not
#: published, so the chapter shows each group's change with and without them.
TRAVEL_DOCUMENTS = ["Palestinian territories"]

#: The proclamation the chapter follows, as its events are named in `travel-ban-dates.csv`.
PROCLAMATION = "Proclamation 9645"
SIGNED = f"{PROCLAMATION} signed"
REVOKED = f"{PROCLAMATION} revoked"
#: Events of `travel-ban-dates.csv` that are the earlier orders' signings ("Executive Order 13769 signed: ...").
EARLIER_ORDER = r"(Executive Order \d+) signed"

#: Periods for following the proclamation countries after the window compared: key -> (first month, last month). The
#: window itself (the run's `window_start` to `window_end`: Politico's March-August 2017 as shipped) is the first
#: period, "before", and the chart's index base; "first_year" is the first twelve months with the proclamation fully in
#: effect; `VisaData.periods` adds "latest", the last twelve months of records.
PERIODS = {
    "first_year": ("2017-12", "2018-11"),
    "y2019": ("2019-01", "2019-12"),
}

#: The words of the chapter's charts and reader tables (axis titles, tooltip names, legend entries, column labels):
#: the `labels` mapping of its template, with the page's other words.
LABEL = prose.labels("03_visas")
#: The two kinds of visa of the monthly tables, as a reader's table and the chart's legend name them.
KIND_LABELS = {"nonimmigrant": LABEL["kind_non_immigrant"], "immigrant": LABEL["kind_immigrant"]}
