"""Helpers the notebooks use to publish numbers into the prose (myst-nb glue) and tables into the page."""

from __future__ import annotations

import numbers

import pandas as pd
from IPython.display import HTML

from .charts import Columns, table_html
from . import formats


def fmt_int(value) -> str:
    """An integer as a reader expects it: thousands separated (1,234)."""
    return formats.number(int(value))


def fmt_pct(value: float, digits: int = 1, signed: bool = False) -> str:
    """A share or change given as a fraction (0.637) as a percentage ("63.7%")."""
    return formats.percent(value, digits, signed)


def as_text(value) -> str:
    """The text a number or label is published as. Floats must be formatted by the caller, on purpose."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, numbers.Integral):
        return fmt_int(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"format {value!r} explicitly (fmt_pct, fmt_int) before publishing it")


def publish(**values) -> None:
    """Glue each value under its name for `{glue:text}` in the prose, without displaying it."""
    from myst_nb import glue

    for name, value in values.items():
        glue(name, as_text(value), display=False)


def show_table(frame: pd.DataFrame, caption: str | None = None, columns: Columns | None = None,
               collapsed: str | None = None) -> HTML:
    """Display a table formatted for a reader (see `charts.reader_table`), every cell escaped.

    `columns` maps a column to its label, or to (label, kind), e.g. {"share": ("share of ceiling", "share")}.
    `collapsed` puts appendix material behind a closed disclosure: its text, with the number of rows,
    is what the reader sees until they open it.
    """
    table = table_html(frame, caption, columns)
    if collapsed is None:
        return HTML(table)
    import html

    rows = f"{len(frame):,} row{'' if len(frame) == 1 else 's'}"
    return HTML(f'<details class="safecity-appendix"><summary>{html.escape(collapsed)} ({rows})</summary>\n'
                f"{table}\n</details>")


def csv_download(frame: pd.DataFrame, name: str, label: str) -> HTML:
    """A link that downloads `frame` as `<name>.csv` (the data travel inside the page, no file to host)."""
    import html

    from .charts import csv_data_uri

    return HTML(f'<p class="safecity-download"><a download="{html.escape(name)}.csv" '
                f'href="{csv_data_uri(frame)}">{html.escape(label)}</a></p>')
