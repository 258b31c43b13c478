"""Generated record-level arrest files, for tests and the benchmark (never for the book's figures)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .sources.ice_arrest_records import CRIMINALITY

COUNTRIES = ["Mexico", "Guatemala", "Honduras", "El Salvador", "China", "India", "Dominican Republic",
             "Ecuador", "Colombia", "Brazil", "Haiti", "Jamaica", "Nigeria", "Vietnam", "Philippines"]


def records(per_area: dict[str, int], start: str, end: str, *, outside: int = 0, seed: int = 0) -> pd.DataFrame:
    """Records whose per-area counts inside [start, end] are exactly `per_area`, plus `outside` records after `end`."""
    rng = np.random.default_rng(seed)
    areas = np.repeat(list(per_area), list(per_area.values()))
    days = pd.date_range(start, end, freq="D")
    dates = days[rng.integers(0, len(days), len(areas))]
    if outside:
        areas = np.concatenate([areas, rng.choice(list(per_area), outside)])
        later = pd.Timestamp(end) + pd.to_timedelta(rng.integers(1, 365, outside), unit="D")
        dates = dates.append(pd.DatetimeIndex(later))
    n = len(areas)
    return pd.DataFrame({
        "area_of_responsibility": areas,
        "apprehension_date": dates.strftime("%Y-%m-%d"),
        "criminality": [f"{i + 1} {CRIMINALITY[i]}" for i in rng.integers(0, 3, n)],
        "citizenship_country": rng.choice(COUNTRIES, n),
    })


def scaled(n: int, *, seed: int = 0) -> pd.DataFrame:
    """About `n` records over ten areas and a year, for measuring speed and memory."""
    areas = [f"Area {i:02d}" for i in range(10)]
    share = n // len(areas)
    return records({a: share for a in areas}, "2017-01-01", "2017-12-31", seed=seed)
