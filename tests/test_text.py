"""The shared text helpers the chapters' prose is built with."""

from safecity.text import fy, join_and


def test_lists_read_as_prose():
    assert join_and([]) == ""
    assert join_and(["Iran"]) == "Iran"
    assert join_and(["Iran", "Syria"]) == "Iran and Syria"
    assert join_and(iter(["Iran", "Syria", "Yemen"])) == "Iran, Syria and Yemen"


def test_fiscal_years_are_written_as_the_sources_write_them():
    assert fy(2017) == "FY2017" and fy("2018") == "FY2018" and fy(2019.0) == "FY2019"
