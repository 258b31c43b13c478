"""How the book writes a number, a percentage, a fiscal year and a month: once, for prose, reader tables and
published values alike. Negatives take a true minus sign (−), as typeset text shows it; a value that rounds to
zero is shown without a sign."""

from __future__ import annotations

import datetime as dt

MINUS = "\u2212"


def minus(text: str) -> str:
    """A true minus sign (−) for a negative number already written out ("-4.2%" -> "−4.2%")."""
    return MINUS + text[1:] if text.startswith("-") else text


def number(value, digits: int = 0, signed: bool = False, unsigned: bool = False) -> str:
    """1234 -> "1,234"; 2.5 with digits=1 -> "2.5"; `signed` adds "+" to a positive value, `unsigned` drops the
    sign of a negative one."""
    shown = f"{abs(value):,.{digits}f}"
    if value < 0 and not unsigned and float(shown.replace(",", "")) != 0:
        return MINUS + shown
    return "+" + shown if signed and value > 0 else shown


def percent(fraction, digits: int = 1, signed: bool = False, unsigned: bool = False) -> str:
    """A fraction as a percentage: 0.637 -> "63.7%"; signed=True -> "+63.7%" / "−43.9%"."""
    shown = number(fraction * 100, digits, unsigned=unsigned)
    rounds_to_zero = float(shown.lstrip(MINUS).replace(",", "")) == 0
    return ("+" + shown if signed and fraction > 0 and not rounds_to_zero else shown) + "%"


def fy(year) -> str:
    """A US federal fiscal year as the sources write it: FY2017 (October 2016 to September 2017)."""
    return f"FY{int(year)}"


def month(value) -> str:
    """"2017-03" (or a date in it) -> "March 2017"."""
    return f"{_first_of_month(value):%B %Y}"


def short_month(value) -> str:
    """"2017-03" (or a date in it) -> "Mar 2017"."""
    return f"{_first_of_month(value):%b %Y}"


def _first_of_month(value) -> dt.date:
    return dt.date.fromisoformat(str(value)[:7] + "-01")
