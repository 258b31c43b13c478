"""Small text helpers every chapter uses, written once."""

from __future__ import annotations

from collections.abc import Iterable


def join_and(items: Iterable[str]) -> str:
    """"A", "A and B", "A, B and C" ("" for none; a caller that means "none" says so)."""
    items = [str(item) for item in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def fy(year) -> str:
    """A US federal fiscal year as the sources write it: FY2017 (October 2016 to September 2017)."""
    return f"FY{int(year)}"
