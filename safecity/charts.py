"""Offline Altair charts and the house chart conventions.

A chart is published as a `<figure>` holding: a one-line takeaway title, the
chart itself (rendered in the browser by the vega bundle shipped as a site
static file, so no CDN is ever contacted), a caption naming the source, a text
alternative generated from the data, and the chart's numbers as a table and as
a CSV download. The element id is derived from the spec, so re-running a
notebook produces byte-identical output.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import numbers
import re
import urllib.parse
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from . import formats
from .chart_bundle import BUNDLE_NAME, write_bundle  # noqa: F401 - where they were
from .text import spreadsheet_safe

#: Okabe-Ito palette: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

#: Width in pixels of a chart's static drawing: a phone's column (the interactive chart follows its column).
STATIC_WIDTH = 342


def _script_json(value) -> str:
    """JSON safe to place inside a <script> element (no `</script>` can end it early)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def csv_data_uri(frame: pd.DataFrame) -> str:
    """A chart's numbers as a CSV download inside the page; no text cell can start a spreadsheet formula."""
    return "data:text/csv;charset=utf-8," + urllib.parse.quote(spreadsheet_safe(frame).to_csv(index=False,
                                                                                              lineterminator="\n"))


#: How a column is shown: a label, or (label, kind). Kinds: "count" (1,234), "number" (decimals chosen from
#: the values), "share" (a fraction shown as 12.3%), "percent" (a number of percent, 12.3%), "year" (1980),
#: "fy" (FY1980), "plain" (a line number or code: 2899), "month" ("2017-03" → Mar 2017), "yes/no",
#: "checksum" (kept whole, wrapped), "text".
Columns = dict[str, "str | tuple[str, str]"]

KINDS = ("count", "number", "share", "percent", "year", "plain", "fy", "month", "yes/no", "checksum", "text")
_NUMERIC = {"count", "number", "share", "percent"}
MISSING = "missing"
_HEX = re.compile(r"[0-9a-f]{32,}")
_YEAR_NAME = re.compile(r"(^|[_ ])year$|^fy$", re.IGNORECASE)
_CODE_NAME = re.compile(r"(^|[_ ])(line|row|id|code)$", re.IGNORECASE)


def _guess_kind(name: str, values: pd.Series) -> str:
    """The kind a column is shown as when nothing says otherwise: from its values (and a name ending in "year")."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values) or (len(present) and all(isinstance(v, (bool, np.bool_)) for v in present)):
        return "yes/no"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "text"
    numeric = pd.api.types.is_numeric_dtype(values) or all(
        isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in present)
    if numeric and len(present):
        integral = all(float(v).is_integer() for v in present)
        if integral and _YEAR_NAME.search(name) and all(1800 <= v <= 2200 for v in present):
            return "year"
        if integral and _CODE_NAME.search(name):
            return "plain"
        return "count" if integral else "number"
    if len(present) and all(isinstance(v, str) and _HEX.fullmatch(v) for v in present):
        return "checksum"
    return "text"


def _decimals(values: pd.Series) -> int:
    """Decimals for a column of numbers: the fewest (up to 3) that show every value exactly (12.5 and 3 as
    12.5 and 3.0); for values with more, one if all are 1 or more, else three."""
    present = [abs(float(v)) for v in values.dropna()]
    for digits in range(4):
        if all(abs(round(v, digits) - v) < 1e-9 * max(1.0, v) for v in present):
            return digits
    smallest = min((v for v in present if v), default=1.0)
    return 1 if smallest >= 1 else 3


def format_cell(value, kind: str, decimals: int = 1) -> str:
    """One value as a reader sees it in a table; a missing value is the word "missing"."""
    if value is None or (not isinstance(value, (str, list, dict)) and pd.isna(value)):
        return MISSING
    if kind == "yes/no" and isinstance(value, (bool, np.bool_)):
        return "Yes" if value else "No"
    if isinstance(value, str) and kind in _NUMERIC | {"year", "plain"}:
        try:  # a number kept as text (so that a CSV can hold it next to gaps) is still a number
            value = float(value.replace(",", ""))
        except ValueError:
            return value
    elif isinstance(value, str) and kind not in ("month", "fy"):
        return value
    if kind == "count":
        return formats.number(round(float(value)))
    if kind == "number":
        return formats.number(float(value), decimals)
    if kind == "share":
        return formats.percent(float(value))
    if kind == "percent":
        return formats.number(float(value), 1) + "%"
    if kind in ("year", "plain"):
        return formats.minus(str(int(value)))
    if kind == "fy":
        return str(value) if str(value).startswith("FY") else formats.fy(value)
    if kind == "month":
        return formats.short_month(pd.Timestamp(value).date() if not isinstance(value, str) else value)
    if isinstance(value, pd.Timestamp):
        return f"{value.day} {value:%b %Y}" if value == value.normalize() else value.isoformat()
    return str(value)


def reader_table(frame: pd.DataFrame, columns: Columns | None = None) -> list[dict]:
    """Each column as shown: {"name", "label", "kind", "cells"}. The one formatting step behind every table.

    `columns` maps a column to its label, or to (label, kind); columns not named keep their name (with
    spaces for underscores) and are shown by their values: whole numbers with thousands separators (but
    years plain in a column named like "fiscal_year", and line numbers in one named "line"), other numbers
    with sensible decimals, booleans as Yes/No, long hexadecimal strings as checksums.
    """
    columns = columns or {}
    unknown = sorted(set(columns) - set(map(str, frame.columns)))
    if unknown:
        raise KeyError(f"columns {unknown} are not in the table (it has {list(map(str, frame.columns))})")
    shown = []
    for name in frame.columns:
        spec = columns.get(str(name), str(name).replace("_", " "))
        label, kind = (spec, None) if isinstance(spec, str) else spec
        values = frame[name]
        kind = kind or _guess_kind(str(name), values)
        if kind not in KINDS:
            raise ValueError(f"column {name!r}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
        decimals = _decimals(values) if kind == "number" else 1
        shown.append({"name": str(name), "label": label, "kind": kind,
                      "cells": [format_cell(v, kind, decimals) for v in values]})
    return shown


def table_html(frame: pd.DataFrame, caption: str | None = None, columns: Columns | None = None) -> str:
    """An accessible HTML table of `frame` formatted for a reader; every value is escaped.

    Each header keeps the frame's own column name in `data-column`, so a table can be matched with the
    machine-friendly CSV of the same frame.
    """
    esc = html.escape
    shown = reader_table(frame, columns)
    lines = ['<table class="safecity-table">']
    if caption:
        lines.append(f"<caption>{esc(caption)}</caption>")
    lines.append("<thead><tr>" + "".join(
        f'<th scope="col" data-column="{esc(c["name"])}"{_cell_class(c["kind"])}>{esc(c["label"])}</th>'
        for c in shown) + "</tr></thead>")
    lines.append("<tbody>")
    for i in range(len(frame)):
        # Each cell names its column, so that on a phone a row can be shown as a card of labelled values.
        cells = (f'<td{_cell_class(c["kind"])} data-label="{esc(c["label"])}">{link_addresses(c["cells"][i])}</td>'
                 for c in shown)
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:)]")


def link_addresses(text: str) -> str:
    """A cell's text escaped, with each web address in it made a link (shown without its scheme)."""
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0)
        out += [html.escape(text[last:match.start()]),
                f'<a href="{html.escape(url)}">{html.escape(url.split("://", 1)[1])}</a>']
        last = match.end()
    return "".join(out) + html.escape(text[last:])


def _cell_class(kind: str) -> str:
    if kind in _NUMERIC:
        return ' class="safecity-num"'
    if kind == "checksum":
        return ' class="safecity-checksum"'
    return ""


class Figure:
    """A chart with its title, caption, text alternative and data, displayable in Jupyter and the book."""

    def __init__(self, chart: alt.TopLevelMixin, *, name: str, text: dict[str, str], data: pd.DataFrame,
                 columns: Columns | None = None):
        """`text` is the chapter record's text: the chart's words are its blocks `<name>_title`, `<name>_alt`
        and `<name>_source` (with `-` in the name written `_`), and optionally `<name>_subtitle` and
        `<name>_note`, so a chart's title and text alternative are in the record like every other word. Its
        caption's `<name>_as_of` ("Data as of …") is rendered by `record.publish` from the coverage of the sources
        its chapter's `CHART_SOURCES` says the chart cites (tests/test_pages.py checks every chart on a page has one)."""
        key = name.replace("-", "_")
        # The blocks are written for Markdown, values in them escaped as character references (safecity.prose);
        # a figure's words are plain text, escaped again where they go into its HTML.
        words = {k: html.unescape(v) for k, v in text.items() if k.startswith(f"{key}_")}
        self.chart = chart
        self.name = name
        self.title = words[f"{key}_title"]
        self.subtitle = words.get(f"{key}_subtitle", "")
        self.source = words[f"{key}_source"]
        self.as_of = words.get(f"{key}_as_of", "")
        self.alt_text = words[f"{key}_alt"]
        self.note = words.get(f"{key}_note", "")
        self.data = data
        #: How the table of numbers labels and formats `data`'s columns (the CSV keeps `data` as it is).
        self.columns = columns

    @functools.cached_property
    def spec(self) -> dict:
        """The Vega-Lite spec, validated by Altair once (validating a spec with its data inline is slow).

        "$schema" is a URL only used by editors; leaving it out keeps every host name out of the page."""
        spec = self.chart.to_dict()
        spec.pop("$schema", None)
        return spec

    @property
    def element_id(self) -> str:
        digest = hashlib.sha256(_script_json(self.spec).encode()).hexdigest()[:12]
        return f"vis-{self.name}-{digest}"

    @functools.cached_property
    def static_svg(self) -> str:
        """The chart drawn once, as an SVG document, at a phone's column width (`STATIC_WIDTH`).

        A chart sized to its container ("container" width) has no container here: each such width becomes
        `STATIC_WIDTH`, fitted with its axes as the browser would. vl-convert's output is the same on
        every run, so re-running a notebook leaves its page byte-identical. The drawing is an image with its
        own text alternative, so vega's per-mark ARIA labels and classes are left out, and coordinates keep one
        decimal (a tenth of a pixel): the visa chart's drawing shrinks from 550 to 250 kB."""
        import vl_convert

        spec = json.loads(json.dumps(self.spec).replace('"width": "container"', f'"width": {STATIC_WIDTH}'))
        if spec.get("width") == STATIC_WIDTH:
            spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
        spec["config"] = {**spec.get("config", {}), "aria": False}
        svg = vl_convert.vegalite_to_svg(spec)
        svg = re.sub(r'\s(?:class|role|aria-[a-z]+)="[^"]*"', "", svg)
        return re.sub(r'(\s(?:d|transform|x|y|x1|x2|y1|y2|width|height|points|cx|cy|r)=")([^"]*)"',
                      lambda m: m.group(1) + re.sub(r"(\d\.\d)\d+", r"\1", m.group(2)) + '"', svg)

    def _static_img(self) -> str:
        """The static drawing as an <img> (its own document: vega's ids cannot clash with another chart's)."""
        svg = self.static_svg
        size = re.search(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"', svg)
        dims = f' width="{size.group(1)}" height="{size.group(2)}"' if size else ""
        uri = "data:image/svg+xml," + urllib.parse.quote(svg, safe=" /=;,'()!*-._~")  # no "http:" in a page
        return (f'<img class="safecity-chart-static" src="{html.escape(uri)}" alt="{html.escape(self.alt_text)}"'
                f'{dims} decoding="async">')

    def _repr_html_(self) -> str:
        esc = html.escape
        vid = self.element_id
        caption = f"{esc(self.note)} " if self.note else ""
        # The static drawing shows at once, without scripts and in print. The interactive chart (tooltips, a
        # layout that follows the column) replaces it once the vega bundle is there: at once if the page has
        # it, else when the site's loader (safecity-charts.js) fetches it, on the reader's first gesture.
        return (
            f'<figure class="safecity-figure" id="figure-{esc(self.name)}">\n'
            f'<p class="safecity-figure-title"><strong>{esc(self.title)}</strong></p>\n'
            + (f'<p class="safecity-figure-subtitle">{esc(self.subtitle)}</p>\n' if self.subtitle else "")
            + f'<div id="{vid}" class="safecity-chart" role="img" aria-label="{esc(self.alt_text)}">'
            f"{self._static_img()}</div>\n"
            "<script>(function () {\n"
            f"  var el = document.getElementById({json.dumps(vid)});\n"
            "  var draw = function () {\n"
            f"    window.vegaEmbed(el, {_script_json(self.spec)}, {{actions: false, renderer: 'svg'}})\n"
            "      .catch(function (err) { console.error('Chart failed to render: ' + err); });\n"
            "  };\n"
            "  if (typeof window.vegaEmbed === 'function') draw();\n"
            "  else (window.safecityCharts = window.safecityCharts || []).push(draw);\n"
            "})();</script>\n"
            f'<figcaption>{caption}Source: {link_addresses(self.source)}. '
            + (f'<span class="safecity-as-of">{esc(self.as_of)}</span> ' if self.as_of else "")
            + f'<a download="{esc(self.name)}.csv" href="{csv_data_uri(self.data)}">Download the data (CSV)</a>.'
            "</figcaption>\n"
            "<details><summary>The numbers behind this chart</summary>\n"
            f"{table_html(self.data, columns=self.columns)}</details>\n"
            "</figure>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._repr_html_(), "text/plain": f"{self.title}\n{self.alt_text}"}


#: Bars drawn by `named_bars`: each row's band, the bar's thickness and the type size of its name.
BAR_ROW, BAR_SIZE, BAR_FONT = 64, 22, 13
INK = "#1f1f1f"


def named_bars(data: pd.DataFrame, *, name: str, value: str, value_title: str, value_format: str = ",d",
               tooltip_format: str | None = None, domain=None, colour: "str | alt.Color" = PALETTE[0], extra=(), row: int = BAR_ROW,
               size: int = BAR_SIZE) -> alt.LayerChart:
    """One horizontal bar per row of `data`, in its order, each with its name (column `name`, a whole label
    from the record such as "ICE's 10 areas: 498") written above the bar across the chart's full width, so
    that nothing is cut off in a phone's column. A bar's tooltip gives its value, named `value_title` (words
    from the record) and shown with `tooltip_format` (default: the axis's `value_format`). `colour` is one colour or a colour encoding; `extra` layers
    (see `bar_segment`) are drawn on top; `row` is each bar's band and `size` its thickness, in pixels."""
    y = alt.Y(f"{name}:N", sort=data[name].tolist(), axis=None, scale=alt.Scale(paddingInner=0, paddingOuter=0))
    x = alt.X(f"{value}:Q", title=None, axis=alt.Axis(format=value_format, tickCount=4),
              scale=alt.Scale(domain=domain) if domain else alt.Scale(zero=True, nice=True))
    base = alt.Chart(data).encode(y=y)
    fill = {"color": colour} if isinstance(colour, str) else {}
    bars = base.mark_bar(size=size, **fill).encode(
        x=x, tooltip=[alt.Tooltip(f"{value}:Q", title=value_title, format=tooltip_format or value_format)],
        **({} if fill else {"color": colour}))
    names = base.mark_text(align="left", baseline="bottom", dy=-(size // 2 + 3), fontSize=BAR_FONT,
                           fontWeight="bold", color=INK).encode(x=alt.value(0), text=f"{name}:N")
    return alt.layer(bars, *extra, names).properties(width="container", height=row * len(data))


def bar_segment(data: pd.DataFrame, *, name: str, start: str, end: str, label: str, colour: str,
                order: list[str]) -> alt.LayerChart:
    """A part of a `named_bars` bar (from `start` to `end`, on the row `name`; `order` is the bars' names in
    their order) marked in `colour`, with its `label` written under the bar, ending where the segment ends."""
    base = alt.Chart(data).encode(y=alt.Y(f"{name}:N", axis=None, sort=order))
    segment = base.mark_bar(color=colour, size=BAR_SIZE).encode(
        x=f"{start}:Q", x2=f"{end}:Q", tooltip=alt.Tooltip(f"{label}:N"))
    text = base.mark_text(align="right", baseline="top", dy=BAR_SIZE // 2 + 4, fontSize=BAR_FONT - 1,
                          color=INK).encode(x=f"{end}:Q", text=f"{label}:N")
    return alt.layer(segment, text)
