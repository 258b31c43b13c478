"""What a reader sees in a table and in the claims ledger (issue 16), checked on the HTML the pages get.

Tables: plain-language headers, thousands separators, sensible decimals, % for shares, Yes/No for
booleans, "missing" for gaps, whole checksums; the CSV behind a chart keeps its machine columns.
Ledger: a short badge for every verdict with a legend, claim and verdict first, a filter by verdict,
the article's quote when the ledger has one.
"""

from __future__ import annotations

import csv
import io
import re
import urllib.parse
from html.parser import HTMLParser

import altair as alt
import numpy as np
import pandas as pd
import pytest

from safecity import book, charts, claims, provenance

from conftest import DATA, ROOT


class _Table(HTMLParser):
    """The header labels, header `data-column` names, and cell texts of the first table in some HTML."""

    def __init__(self, text: str):
        super().__init__()
        self.labels, self.names, self.rows, self.caption = [], [], [], ""
        self._cell = None
        self._where = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "th":
            self.names.append(attrs.get("data-column"))
            self._cell, self._where = "", "th"
        elif tag == "td":
            self._cell, self._where = "", "td"
        elif tag == "tr":
            self._row = []
        elif tag == "caption":
            self._cell, self._where = "", "caption"

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == "th":
            self.labels.append(self._cell)
        elif tag == "td":
            self._row.append(self._cell)
        elif tag == "caption":
            self.caption = self._cell
        elif tag == "tr" and self._where == "td":
            self.rows.append(self._row)
        if tag in ("th", "td", "caption"):
            self._cell = None


def _shown(frame, **kwargs) -> _Table:
    return _Table(charts.table_html(frame, **kwargs))


# --- tables --------------------------------------------------------------------------------------

def test_numbers_are_formatted_for_a_reader():
    frame = pd.DataFrame({"fiscal_year": [1980, 2018], "ceiling": [231700, 45000], "admissions": [207116.0, np.nan],
                          "difference": [-66, 3], "rate": [12.3456, 1.5], "small": [0.253456, 0.125],
                          "points": [-43.9, 0.1], "stated": [-44.0, 8.0],
                          "as_objects": pd.Series([119772, None], dtype=object), "line": [2899, 12001]})
    table = _shown(frame)
    assert table.labels == ["fiscal year", "ceiling", "admissions", "difference", "rate", "small", "points",
                            "stated", "as objects", "line"]
    assert table.rows == [["1980", "231,700", "207,116", "−66", "12.3", "0.253", "−43.9", "−44", "119,772",
                           "2899"],
                          ["2018", "45,000", "missing", "3", "1.5", "0.125", "0.1", "8", "missing", "12001"]]


def test_labels_and_kinds_from_the_caller():
    frame = pd.DataFrame({"fiscal_year": [2017], "share": [0.893897], "partial": [True], "month": ["2016-10"],
                          "pct": [-43.86]})
    table = _shown(frame, caption="Caption", columns={
        "fiscal_year": ("fiscal year", "fy"), "share": ("admitted, share of ceiling", "share"),
        "partial": "partial year", "month": ("month", "month"), "pct": ("change", "percent")})
    assert table.caption == "Caption"
    assert table.labels == ["fiscal year", "admitted, share of ceiling", "partial year", "month", "change"]
    assert table.rows == [["FY2017", "89.4%", "Yes", "Oct 2016", "−43.9%"]]
    as_text = pd.DataFrame({"arrests": ["119772", None, "n/a"]})
    assert _shown(as_text, columns={"arrests": ("arrests", "count")}).rows == [["119,772"], ["missing"], ["n/a"]]
    assert table.names == ["fiscal_year", "share", "partial", "month", "pct"]


def test_booleans_missing_values_and_dates_read_as_words():
    frame = pd.DataFrame({"recalled": pd.array([True, False, None], dtype="boolean"),
                          "count": pd.array([1, None, 1234567], dtype="Int64"),
                          "date": pd.to_datetime(["2017-03-06", "2017-09-24", None]),
                          "note": ["a", None, "<b>bold</b>"]})
    text = charts.table_html(frame)
    table = _Table(text)
    assert table.rows == [["Yes", "1", "6 Mar 2017", "a"], ["No", "missing", "24 Sep 2017", "missing"],
                          ["missing", "1,234,567", "missing", "<b>bold</b>"]]
    assert "<b>bold" not in text and "&lt;b&gt;bold&lt;/b&gt;" in text
    assert not re.search(r">(True|False|nan|NaN|None|&lt;NA&gt;|NaT)<", text)


def test_web_addresses_in_a_cell_become_links():
    cell = "82 FR 8977 (1 Feb 2017), https://thefederalregister.org/82-FR/8977; see <also> http://a.example/x?y=1&z=2."
    text = charts.table_html(pd.DataFrame({"source": [cell]}))
    assert ('<td data-label="source">82 FR 8977 (1 Feb 2017), <a href="https://thefederalregister.org/82-FR/8977">'
            'thefederalregister.org/82-FR/8977</a>; see &lt;also&gt; '
            '<a href="http://a.example/x?y=1&amp;z=2">a.example/x?y=1&amp;z=2</a>.</td>') in text


def test_checksums_are_shown_whole_and_may_wrap():
    digest = "1f901bfd65074b2b7a539b840d5c7b2563a9b84ee977152297de514f48ca3310"
    text = charts.table_html(pd.DataFrame({"SHA-256 checksum": [digest]}))
    assert f'<td class="safecity-checksum" data-label="SHA-256 checksum">{digest}</td>' in text


def test_a_label_for_a_column_the_table_lacks_is_an_error():
    with pytest.raises(KeyError, match=r"\['fiscal_yaer'\] are not in the table"):
        charts.table_html(pd.DataFrame({"fiscal_year": [2017]}), columns={"fiscal_yaer": "fiscal year"})
    with pytest.raises(ValueError, match="unknown kind 'percentage'"):
        charts.table_html(pd.DataFrame({"x": [1]}), columns={"x": ("x", "percentage")})


def test_a_chart_table_shows_labels_while_its_csv_keeps_the_machine_columns():
    data = pd.DataFrame({"fiscal_year": [2017, 2018], "ceiling_year_end": [50000, 45000], "share": [1.07, 0.5],
                         "partial": [False, True]})
    figure = charts.Figure(alt.Chart(data).mark_bar().encode(x="fiscal_year:O", y="ceiling_year_end:Q"),
                           name="t", text={"t_title": "t", "t_source": "s", "t_alt": "a"}, data=data,
                           columns={"fiscal_year": ("fiscal year", "fy"), "ceiling_year_end": "ceiling at year end",
                                    "share": ("admitted, share of ceiling", "share")})
    page = figure._repr_html_()
    table = _Table(page[page.index("<details>"):])
    assert table.labels == ["fiscal year", "ceiling at year end", "admitted, share of ceiling", "partial"]
    assert table.rows == [["FY2017", "50,000", "107.0%", "No"], ["FY2018", "45,000", "50.0%", "Yes"]]
    href = re.search(r'href="data:text/csv;charset=utf-8,([^"]*)"', page).group(1)
    rows = list(csv.reader(io.StringIO(urllib.parse.unquote(href))))
    assert rows[0] == table.names == ["fiscal_year", "ceiling_year_end", "share", "partial"]
    assert rows[1] == ["2017", "50000", "1.07", "False"]


def test_appendix_tables_can_be_collapsed_with_their_row_count():
    shown = book.show_table(pd.DataFrame({"people": [2899, 2900]}), caption="Rows repaired",
                            collapsed="Every row repaired on import").data
    assert shown.startswith('<details class="safecity-appendix"><summary>Every row repaired on import (2 rows)'
                            "</summary>")
    assert "<details open" not in shown and _Table(shown).rows == [["2,899"], ["2,900"]]


def test_sources_page_tables_read_as_words():
    files = _Table(charts.table_html(provenance.files(DATA)))
    assert "size (bytes)" in files.labels and "SHA-256 checksum" in files.labels
    sizes = [row[files.labels.index("size (bytes)")] for row in files.rows]
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", s) for s in sizes), sizes
    assert any("," in s for s in sizes)
    digests = [row[files.labels.index("SHA-256 checksum")] for row in files.rows]
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in digests), digests[:3]
    schema = _Table(charts.table_html(provenance.schema(DATA)))
    constraints = [row[schema.labels.index("constraints")] for row in schema.rows]
    assert "required" in constraints
    assert not any(re.search(r"\b(True|False)\b|enum |\['", c) for c in constraints), \
        [c for c in constraints if re.search(r"\b(True|False)\b|enum |\['", c)][:3]
    assert any(c.startswith("one of: ") for c in constraints)


# A number written for people: "2,500", "−43.9%", "66%", "+0.1 points".
_FORMATTED_NUMBER = re.compile(r"^[−+-]?\d{1,3}(,\d{3})+(\.\d+)?$|^[−+]?\d[\d.,]*\s*(%|points?)$|−\d")


@pytest.mark.parametrize("path", sorted((ROOT / "book" / "_static" / "downloads").glob("*.csv")), ids=lambda p: p.name)
def test_csv_downloads_keep_machine_friendly_values(path):
    """The Downloads page's CSVs are for analysts: numbers as plain digits (no thousands separators, % signs,
    'points' or typographic minus), so that a spreadsheet or pandas reads them as numbers."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    formatted = [(column, value) for column in frame.columns for value in frame[column]
                 if _FORMATTED_NUMBER.search(value.strip())]
    assert not formatted, f"{path.name}: values formatted for reading, e.g. {formatted[:3]}"
