"""Chapter results records: computed once by a chapter's notebook, read by every other page.

A chapter notebook calls :func:`publish` once. It glues the chapter's text into the page, writes the
chapter's CSV downloads and writes `results/<notebook>.json` beside the executed notebook: the
values, the exact text the page shows for them, the parameters they were computed under and the
digests of the input files they came from. The claims ledger, the intro's findings, the downloads
page and `python -m safecity diff` read these records; none of them recomputes a chapter.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .text import spreadsheet_safe
from . import periods
from .packages import sha256

RESULTS = "results"
DOWNLOADS = Path("_static", "downloads")


def _plain(value):
    """A JSON-ready copy of a value: numpy scalars become Python ones, NaN becomes null, keys become text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float):
        return round(value, 10)  # the last bits of a float differ between machines' libms; 10 places never show
    return value


def input_digests(data_dir, sources: list[str]) -> dict[str, str]:
    """sha256 of every file of the named sources (`raw/<source>`), keyed by path relative to the data dir."""
    found = {}
    for source in sources:
        folder = Path(data_dir, "raw", source)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            found[path.relative_to(data_dir).as_posix()] = "sha256:" + sha256(path)  # hashed once per build
    return found


def write_csv(frame, path: Path) -> None:
    """A table as CSV with fixed formatting, so the same data give the same bytes (unchanged files are not touched);
    no text cell can start a spreadsheet formula (`text.spreadsheet_safe`)."""
    text = spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run_context(parameters: dict, overridden: list[str]) -> dict:
    """What the templates know about the run: whether it used other parameters, and which."""
    return {"other_parameters": bool(overridden),
            "settings": [{"name": name, "value": describe(parameters[name])} for name in sorted(overridden)]}


def render(notebook: str, values: dict, parameters: dict | None = None, overridden=()) -> dict[str, str]:
    """The words a page shows for these values: every block of `templates/<notebook>.md`."""
    from . import prose

    return prose.blocks(notebook, _plain(values) | {"run": run_context(_plain(parameters or {}), list(overridden))})


def data_as_of(data_dir, sources: list[str], text: dict[str, str],
               chart_sources: dict[str, list[str]]) -> tuple[dict, dict[str, str]]:
    """The period each source covers (its datapackage's `temporal`), and for each chart whose `<chart>_source`
    block the page has, its caption's `<chart>_as_of` block: the latest date the sources it cites cover (the
    chapter's `CHART_SOURCES`), in the words of `templates/_data_as_of.md`. Dates are the data's, never the
    build's."""
    from . import prose

    charts = [key.removesuffix("_source").replace("_", "-") for key in text if key.endswith("_source")]
    cited = {chart: chart_sources[chart] for chart in charts if chart in chart_sources}
    coverage = periods.coverages(data_dir, sorted(set(sources).union(*cited.values())))
    blocks = {f"{chart.replace('-', '_')}_as_of": prose.blocks("_data_as_of", periods.data_as_of(
        {source: coverage[source] for source in names}))["data_as_of"] for chart, names in cited.items()}
    return coverage, blocks


def publish(module, *, notebook: str, values: dict, data_dir, parameters: dict,
            overridden: list[str], tables: dict | None = None, glue: bool = True) -> dict:
    """Publish a chapter's results: render its words, glue them into the page, write its tables and its record.

    `module` is the chapter module (it names `CHAPTER`, `TITLE`, `SOURCES` and `LABELS`); `parameters`
    are the values the notebook ran with and `overridden` the names a parameter file changed. The words
    are `templates/<notebook>.md` rendered from the record's own values, so the page, the record and
    `safecity diff` can never disagree; each chart's "Data as of" is rendered from the record's `coverage`.
    """
    tables = tables or {}
    plain = _plain(values)
    unknown = sorted(set(module.LABELS) - set(plain))
    if unknown:
        raise ValueError(f"{notebook}: labelled values that were not computed: {', '.join(unknown)}")
    text = render(notebook, plain, parameters, overridden)
    coverage, as_of = data_as_of(data_dir, module.SOURCES, text, getattr(module, "CHART_SOURCES", {}))
    text |= as_of
    downloads = []
    for name, frame in tables.items():
        write_csv(frame, DOWNLOADS / f"{name}.csv")
        downloads.append({"file": f"{name}.csv", "rows": len(frame), "columns": [str(c) for c in frame.columns]})
    record = {
        "notebook": notebook,
        "chapter": module.CHAPTER,
        "title": module.TITLE,
        "parameters": _plain(parameters),
        "overridden": sorted(overridden),
        "inputs": input_digests(data_dir, module.SOURCES),
        "values": plain,
        "text": text,
        "coverage": coverage,
        "labels": dict(module.LABELS),
        "downloads": downloads,
    }
    path = Path(RESULTS, f"{notebook}.json")
    path.parent.mkdir(exist_ok=True)
    body = json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != body:
        path.write_text(body, encoding="utf-8")
    if glue:
        from IPython.display import Markdown
        from myst_nb import glue as myst_glue

        for name, value in text.items():
            myst_glue(name, Markdown(value), display=False)
    return record


def read(notebook: str, folder: Path | str = RESULTS) -> dict:
    """One chapter's record, by notebook name."""
    path = Path(folder, f"{notebook}.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no results record; run the notebook {notebook} first") from None


def read_all(folder: Path | str = RESULTS, exclude: tuple[str, ...] = ()) -> dict[str, dict]:
    """Every record in `folder` but those of the `exclude`d chapters, keyed by the chapter name claims.csv uses."""
    found = {}
    for path in sorted(Path(folder).glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if record["chapter"] not in exclude:
            found[record["chapter"]] = record
    return found


def describe(value) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f'"{value}"'
