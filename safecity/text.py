"""Small text helpers every chapter uses, written once."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .formats import number


def join_and(items: Iterable[str]) -> str:
    """"A", "A and B", "A, B and C" ("" for none; a caller that means "none" says so)."""
    items = [str(item) for item in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def count(n: float, noun: str, plural: str | None = None) -> str:
    """A count with its noun agreeing: "1 month", "28 months", "1 full year" ("0 months", "1.5 points")."""
    shown = number(n) if isinstance(n, int) else f"{n:g}"
    return f"{shown} {noun if n == 1 else plural or noun + 's'}"


def moved(before: float, after: float, down: str = "fell to", up: str = "rose to", same: str = "stayed at",
          unknown: str = "was") -> str:
    """The verb for a move from `before` to `after`, chosen from the numbers ("fell to", "rose to", ...);
    `unknown` when either is missing (NaN)."""
    if before != before or after != after:  # NaN is the only value not equal to itself
        return unknown
    return down if after < before else up if after > before else same


#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def spreadsheet_safe(frame):
    """A copy of a table for download whose text cells, column names included, cannot start a formula: OWASP's
    leading apostrophe before `=`, `+`, `-`, `@`, a tab or a carriage return. Numbers are untouched, also where a
    column holds them as text (the results records keep every value exact)."""
    from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

    def neutral(value):
        if not isinstance(value, str) or not value.startswith(FORMULA_START) or _NUMBER.fullmatch(value):
            return value  # a number, even written as text ("-0.44"), is no formula
        return "'" + value

    out = frame.rename(columns=neutral)
    for position in range(out.shape[1]):
        values = out.iloc[:, position]
        if not (is_numeric_dtype(values) or is_datetime64_any_dtype(values)):  # only text can start a formula
            out.isetitem(position, values.map(neutral))
    return out
