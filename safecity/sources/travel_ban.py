"""Importer for `data/raw/travel-ban/`: the 2017 orders' countries, restrictions and dates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..validate import read_table
from . import country_groups

SOURCE = "travel-ban"
EO_13780 = f"raw/{SOURCE}/eo-13780-countries.csv"


def restrictions(data_dir: Path) -> pd.DataFrame:
    """Proclamation 9645's visa restrictions per country: country, nonimmigrant_visas, immigrant_visas, note, source,
    plus nationality (the canonical name used in the visa tables)."""
    table = read_table(data_dir, SOURCE, "proclamation_9645_restrictions")
    group = country_groups.group(data_dir, f"raw/{SOURCE}/proclamation-9645-restrictions.csv")
    table["nationality"] = group.members["nationality"].to_numpy()
    return table


def dates(data_dir: Path) -> pd.DataFrame:
    """Dates of the orders and of the rulings on them: date, label, event, source, source_url; in date order."""
    return read_table(data_dir, SOURCE, "travel_ban_dates").sort_values(["date", "label"]).reset_index(drop=True)
