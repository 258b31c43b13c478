"""Importer for `data/raw/politico-visas/`: the visa-decline figures the article quotes from Politico."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..validate import read_table

SOURCE = "politico-visas"


def changes(data_dir: Path) -> pd.DataFrame:
    """One row per group: group (key), description, change_pct (as published), wording, source."""
    return read_table(data_dir, SOURCE, "politico_visa_changes")
