"""Each chapter's tidy tables as CSV files for readers to download (the Downloads page writes them)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def arrests_tables(data_dir) -> dict[str, pd.DataFrame]:
    from . import arrests

    comparison, components = arrests.load(data_dir)
    return {"arrests_by_area": arrests.side_by_side(comparison), "arrests_area_components": components}


def offences_tables(data_dir) -> dict[str, pd.DataFrame]:
    from . import offences

    chapter = offences.load(data_dir)
    return {"offences_conviction_status": chapter.status, "offences_conviction_categories": chapter.category_table,
            "offences_attributes": chapter.attribute_table,
            "offences_national_published": offences.published_figures(chapter.arrests, chapter.criminality)}


def visas_tables(data_dir) -> dict[str, pd.DataFrame]:
    from . import visas

    data = visas.load(data_dir)
    monthly = []
    months = []
    for kind, table in data.monthly.items():
        by_nationality = (table.issuances.groupby(["month", "nationality"], observed=True)["issuances"].sum()
                          .reset_index())
        by_nationality.insert(0, "kind", kind)
        monthly.append(by_nationality)
        available = table.months[["month", "available"]].copy()
        available.insert(0, "kind", kind)
        months.append(available)
    return {"visas_monthly_by_nationality": pd.concat(monthly, ignore_index=True),
            "visas_months_available": pd.concat(months, ignore_index=True),
            "visas_politico_comparison": visas.comparison_table(visas.compare(data)),
            "visas_proclamation_monthly": visas.proclamation_series(data)}


def refugees_tables(data_dir) -> dict[str, pd.DataFrame]:
    from . import refugees

    inputs = refugees.load(data_dir)
    return {"refugees_ceilings_admissions": refugees.fiscal_years(inputs.mpi, inputs.facts, inputs.facts_file),
            "refugees_listed_countries": refugees.country_table(inputs.prm, inputs.groups, inputs.names, 2016, None),
            "refugees_sources_reconciled": refugees.reconcile(inputs.mpi, inputs.prm)}


#: Chapter page → (title, table builder).
CHAPTERS = {
    "01_arrests_by_area": ("Arrests by area", arrests_tables),
    "02_offences": ("Offences", offences_tables),
    "03_visas": ("Visas", visas_tables),
    "04_refugees": ("Refugees", refugees_tables),
}


def write_all(data_dir, target: Path) -> pd.DataFrame:
    """Write every chapter's tables as CSV into `target`; returns the list (chapter, file, rows, columns).

    Files are written with fixed formatting so the same data give byte-identical files.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    rows = []
    for page, (title, build) in CHAPTERS.items():
        for name, frame in build(data_dir).items():
            path = target / f"{name}.csv"
            text = frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            rows.append({"chapter": title, "page": page, "file": path.name, "rows": len(frame),
                         "columns": ", ".join(map(str, frame.columns))})
    stale = {p.name for p in target.glob("*.csv")} - {r["file"] for r in rows}
    for name in stale:
        (target / name).unlink()
    return pd.DataFrame(rows)


def links_html(listing: pd.DataFrame, folder: str) -> str:
    """The download list as HTML, one section per chapter, links relative to the page."""
    import html

    parts = []
    for (page, title), group in listing.groupby(["page", "chapter"], sort=False):
        parts.append(f'<h2 id="{html.escape(page)}">{html.escape(title)}</h2>\n<ul>')
        for row in group.itertuples():
            parts.append(f'<li><a href="{html.escape(folder)}/{html.escape(row.file)}" download>'
                         f"{html.escape(row.file)}</a> ({row.rows:,} rows): {html.escape(row.columns)}</li>")
        parts.append("</ul>")
    return "\n".join(parts)
