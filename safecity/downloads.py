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


#: Where the site serves each page's executed notebook (Sphinx copies every page's source into `_sources`),
#: as the Downloads page links to it.
NOTEBOOKS = "../_sources/book"


def notebooks(root: Path | None = None) -> list[dict]:
    """Each notebook page of the book, in reading order: its file name and its title (the notebook's first heading).

    Offered on the Downloads page for data reporters; reader pages carry no notebook button."""
    import json

    from . import ROOT, pipeline

    root = Path(root or ROOT)
    found = []
    for entry in pipeline.toc_files(root):
        source = Path(root, "notebooks", Path(entry).stem + ".ipynb")
        if not source.exists():
            continue
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        lines = ("".join(c["source"]).splitlines() for c in cells if c["cell_type"] == "markdown")
        title = next((line[2:].strip() for block in lines for line in block if line.startswith("# ")), source.stem)
        found.append({"file": source.name, "title": title})
    return found


def values(files: pd.DataFrame, folder: str = record.DOWNLOADS.as_posix()) -> dict:
    """What the Downloads page states, as plain values: each chapter's files (in the chapters' order), the counts,
    the folder the links point to, and the book's notebooks; the words are in `templates/06_downloads.md`."""
    pages = [{"page": page, "chapter": chapter,
              "files": [{"file": r.file, "rows": int(r.rows), "columns": r.columns} for r in group.itertuples()]}
             for (page, chapter), group in files.groupby(["page", "chapter"], sort=False)]
    return {"pages": pages, "n_files": len(files), "n_rows": int(files["rows"].sum()), "folder": folder,
            "notebooks": notebooks(), "notebook_folder": NOTEBOOKS}
