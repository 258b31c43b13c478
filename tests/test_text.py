"""The shared text helpers the chapters' prose is built with."""

from safecity.formats import fy
from safecity.text import join_and


def test_lists_read_as_prose():
    assert join_and([]) == ""
    assert join_and(["Iran"]) == "Iran"
    assert join_and(["Iran", "Syria"]) == "Iran and Syria"
    assert join_and(iter(["Iran", "Syria", "Yemen"])) == "Iran, Syria and Yemen"


def test_fiscal_years_are_written_as_the_sources_write_them():
    assert fy(2017) == "FY2017" and fy("2018") == "FY2018" and fy(2019.0) == "FY2019"


def test_count_agrees_with_its_noun():
    from safecity.text import count

    assert count(1, "full year") == "1 full year"
    assert count(5, "full year") == "5 full years"
    assert count(1, "category", "categories") == "1 category"
    assert count(8, "category", "categories") == "8 categories"
    assert count(0, "month") == "0 months"
    assert count(1.0, "percentage point") == "1 percentage point"
    assert count(1.5, "percentage point") == "1.5 percentage points"


def test_the_verb_for_a_move_comes_from_the_numbers():
    from safecity.text import moved

    assert moved(100, 40) == "fell to"
    assert moved(40, 100) == "rose to"
    assert moved(40, 40) == "stayed at"
    assert moved(float("nan"), 40) == moved(40, float("nan")) == "was"
    assert moved(1, 2, down="fell", up="grew") == "grew"


def test_a_number_is_written_the_same_in_prose_tables_and_published_values():
    from safecity import book, charts, prose

    for fraction in (0.637, -0.4389, 0.0, 12.5):
        assert str(prose.pct(fraction)) == charts.format_cell(fraction, "share") == book.fmt_pct(fraction)
    for count in (0, 7, -1234, 4_012_345):
        assert str(prose.num(count)) == charts.format_cell(count, "count") == book.fmt_int(count)
    assert charts.format_cell(-1234, "count") == "\u22121,234"
    assert str(prose.short_month("2017-03")) == charts.format_cell("2017-03", "month") == "Mar 2017"
    assert str(prose.fy(2018)) == charts.format_cell(2018, "fy") == "FY2018"
