"""Importer for country lists used as groups (`data/raw/country-groups/`, `data/raw/travel-ban/`).

A group is any CSV resource of a source folder with a `country` column. The visa chapter names
its groups by file path (relative to the data directory), so a reader can swap in another list
without touching code. Each name is mapped to its canonical spelling through
`raw/nationality-crosswalk` (an unknown name is an error naming file and line). Every entry is
sourced: the list's description in its `datapackage.json` says where it comes from, and a `note`
cites the source of any entry added to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from ..errors import DataError, Problem
from ..packages import display_path, load_descriptor
from ..validate import read_table
from . import nationalities

@dataclass(frozen=True)
class Group:
    """A list of countries: `members` has country (as listed), nationality (canonical) and note."""

    path: str
    title: str
    description: str
    members: pd.DataFrame

    def nationalities(self) -> list[str]:
        return sorted(self.members["nationality"])


def group(data_dir: Path, path: str) -> Group:
    """Read the country list at `path` (e.g. "raw/country-groups/arab-league-members.csv")."""
    data_dir = Path(data_dir)
    parts = PurePosixPath(path).parts
    shown = display_path(Path(data_dir, path))
    if len(parts) != 3 or parts[0] != "raw":
        raise DataError(Problem(shown, "a group file must be raw/<source>/<file>.csv, described in that folder's "
                                       "datapackage.json"))
    source, name = parts[1], parts[2]
    descriptor = load_descriptor(Path(data_dir, "raw", source, "datapackage.json"))
    resources = [r for r in descriptor.get("resources", []) if r.get("path") == name]
    if not resources:
        raise DataError(Problem(display_path(Path(data_dir, "raw", source, "datapackage.json")),
                                f"no resource with path '{name}'"))
    table = read_table(data_dir, source, resources[0]["name"])
    if "country" not in table.columns:
        raise DataError(Problem(shown, "missing required column", column="country"))
    lines = pd.Series(table.index + 2, index=table.index)
    names = nationalities.crosswalk(data_dir).canonical(table["country"], file=shown, lines=lines, what="country name")
    repeated = names.duplicated()
    if repeated.any():
        i = repeated.idxmax()
        raise DataError(Problem(shown, f"'{names[i]}' is listed twice (after merging spellings)", line=int(lines[i]),
                                column="country"))
    note = table["note"].fillna("") if "note" in table.columns else pd.Series("", index=table.index, dtype="str")
    members = pd.DataFrame({"country": table["country"].astype("str"), "nationality": names, "note": note.astype("str")})
    description = resources[0].get("description") or descriptor.get("description", "")
    return Group(path=path, title=str(resources[0].get("title", name)), description=str(description),
                 members=members.reset_index(drop=True))
