"""Small text helpers every chapter uses, written once."""

from __future__ import annotations

from collections.abc import Iterable


def join_and(items: Iterable[str]) -> str:
    """"A", "A and B", "A, B and C" ("" for none; a caller that means "none" says so)."""
    items = [str(item) for item in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def minus(text: str) -> str:
    """A true minus sign (−) for a negative number, as typeset prose and tables show it ("-4.2%" -> "−4.2%")."""
    return "\u2212" + text[1:] if text.startswith("-") else text


def fy(year) -> str:
    """A US federal fiscal year as the sources write it: FY2017 (October 2016 to September 2017)."""
    return f"FY{int(year)}"


def count(n: float, noun: str, plural: str | None = None) -> str:
    """A count with its noun agreeing: "1 month", "28 months", "1 full year" ("0 months", "1.5 points")."""
    shown = f"{n:,}" if isinstance(n, int) else f"{n:g}"
    return f"{shown} {noun if n == 1 else plural or noun + 's'}"


def moved(before: float, after: float, down: str = "fell to", up: str = "rose to", same: str = "stayed at",
          unknown: str = "was") -> str:
    """The verb for a move from `before` to `after`, chosen from the numbers ("fell to", "rose to", ...);
    `unknown` when either is missing (NaN)."""
    if before != before or after != after:  # NaN is the only value not equal to itself
        return unknown
    return down if after < before else up if after > before else same
