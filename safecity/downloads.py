"""The Downloads page: the CSV files each chapter wrote when it ran, listed from the chapters' results records.

Nothing is recomputed here: each chapter notebook writes its own tables (see :func:`safecity.record.publish`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import record


def listing(records: dict[str, dict]) -> pd.DataFrame:
    """One row per download: chapter title, page, file, rows and columns, in the chapters' order."""
    rows = [{"chapter": r["title"], "page": r["notebook"], "file": d["file"], "rows": d["rows"],
             "columns": ", ".join(d["columns"])}
            for r in sorted(records.values(), key=lambda r: r["notebook"]) for d in r.get("downloads", [])]
    return pd.DataFrame(rows, columns=["chapter", "page", "file", "rows", "columns"])


def remove_stale(files: pd.DataFrame, folder: Path = record.DOWNLOADS) -> list[str]:
    """Delete CSV files no chapter lists any more (a renamed table must not linger on the site)."""
    stale = sorted({p.name for p in Path(folder).glob("*.csv")} - set(files["file"]))
    for name in stale:
        Path(folder, name).unlink()
    return stale


def links_html(files: pd.DataFrame, folder: str = record.DOWNLOADS.as_posix()) -> str:
    """The download list as HTML, one section per chapter, links relative to the page."""
    import html

    parts = []
    for (page, title), group in files.groupby(["page", "chapter"], sort=False):
        parts.append(f'<h2 id="{html.escape(page)}">{html.escape(title)}</h2>\n<ul>')
        for row in group.itertuples():
            parts.append(f'<li><a href="{html.escape(folder)}/{html.escape(row.file)}" download>'
                         f"{html.escape(row.file)}</a> ({row.rows:,} rows): {html.escape(row.columns)}</li>")
        parts.append("</ul>")
    return "\n".join(parts)
