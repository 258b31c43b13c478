"""Results records: computed once per chapter, read everywhere; words follow the numbers on every page.

The end-to-end tests run the real notebooks with papermill in a temporary copy of the project,
as an analyst would, and read what each page would show: the executed notebooks' glued text
and the results records.
"""

from __future__ import annotations

import ast
import csv
import html
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from safecity import claims, pipeline, record

from conftest import ROOT

CHAPTERS = ["01_arrests_by_area", "02_offences", "03_visas", "04_refugees"]
LEDGER = "07_claims_ledger"


def glued(notebook: Path) -> dict[str, str]:
    """What a page shows for each glued name (myst-nb stores it as a display output with its name)."""
    nb = nbformat.read(notebook, as_version=4)
    found = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook", {})
            if scrap.get("name"):
                data = output["data"]
                markdown = data.get(scrap["mime_prefix"] + "text/markdown")
                # Rendered prose is glued as Markdown; a plain glued value as the repr of its text.
                found[scrap["name"]] = markdown if markdown is not None else ast.literal_eval(
                    data[scrap["mime_prefix"] + "text/plain"])
    return found


def page_text(notebook: Path) -> str:
    """The prose, glued text and HTML outputs of an executed notebook, as one string to search."""
    nb = nbformat.read(notebook, as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.extend(str(v) for k, v in output.get("data", {}).items()
                         if k.endswith(("text/html", "text/plain", "text/markdown")))
    return "\n".join(parts)


def glued_md(notebook: Path) -> dict[str, str]:
    """The Markdown blocks a page glues for `{glue:md}` (the ledger, the intro, Methods), by name."""
    nb = nbformat.read(notebook, as_version=4)
    found = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook", {})
            if scrap.get("name") and scrap["mime_prefix"] + "text/markdown" in output.get("data", {}):
                found[scrap["name"]] = output["data"][scrap["mime_prefix"] + "text/markdown"]
    return found


def verdicts(folder: Path) -> dict[str, str]:
    ledger = record.read(LEDGER, folder)
    return {cid: c["verdict"] for cid, c in ledger["values"]["claims"].items()}


# --- The committed book -----------------------------------------------------------------------------------


def test_every_toc_chapter_has_a_record_naming_its_parameters_and_inputs():
    books = {nb.name for nb in pipeline.notebooks(ROOT)}
    assert set(CHAPTERS) | {LEDGER} <= books
    for name in CHAPTERS:
        rec = record.read(name, ROOT / "book" / "results")
        assert rec["notebook"] == name and rec["overridden"] == []
        assert rec["inputs"] and all(v.startswith("sha256:") for v in rec["inputs"].values())
        assert all(not str(p).startswith("..") for p in rec["parameters"].values())  # no machine paths
        assert set(rec["labels"]) <= set(rec["values"])  # labels name the values `safecity diff` reports


def test_each_page_shows_the_text_its_record_holds():
    for name in CHAPTERS:
        rec = record.read(name, ROOT / "book" / "results")
        shown = glued(ROOT / "book" / f"{name}.ipynb")
        assert shown == rec["text"], name


def test_the_ledger_and_the_intro_show_the_blocks_the_ledger_record_holds():
    rec = record.read(LEDGER, ROOT / "book" / "results")
    assert glued_md(ROOT / "book" / f"{LEDGER}.ipynb") == rec["text"]
    intro = glued_md(ROOT / "book" / "intro.ipynb")
    for name in claims.INTRO_BLOCKS:
        assert intro[name] == rec["text"][name], name


def test_a_value_shown_on_two_pages_is_the_same_value():
    """The ledger and the intro state chapter values: each is the chapter record's own value, formatted by the same
    prose filters the chapter pages use."""
    from safecity import prose

    folder = ROOT / "book" / "results"
    chapters = record.read_all(folder, exclude=(claims.CHAPTER,))
    ledger = record.read(LEDGER, folder)
    compared = 0
    for claim in ledger["values"]["claims"].values():
        chapter = chapters.get(claim["chapter"])
        if chapter and claim["rule"] in ("equal", "percent", "near_zero") and claim["verdict"] in claims.JUDGED:
            assert claim["computed"] == pytest.approx(claims.lookup(chapter["values"], claims.load(ROOT / "data")
                                                                    .set_index("id").at[claim["id"], "key"])), claim["id"]
            compared += 1
    assert compared >= 5
    for chapter, finding in ledger["values"]["findings"].items():
        for key, value in finding["values"].items():
            assert value == chapters[chapter]["values"][key], (chapter, key)
    # Each figure a finding shows is its chapter value, formatted as the chapter pages format it.
    visas = chapters["visas"]["values"]
    shown = ledger["text"]["finding_visas"]
    for key in ("six_change", "arab_change", "muslim_change", "all_change"):
        assert prose.pct(visas[key], 1, signed=True) in shown, key
    arrests = chapters["arrests"]["values"]
    for key in ("article_total", "stated_total", "ice_total"):
        assert prose.num(arrests[key]) in ledger["text"]["finding_arrests"], key


def test_one_count_of_politicos_figures_everywhere():
    """The ledger checks Politico's figures; the intro and Methods count them the same way."""
    ledger = record.read(LEDGER, ROOT / "book" / "results")
    politico = [c for c in ledger["values"]["claims"] if c.startswith("politico-") and c != "politico-published"]
    n = ledger["values"]["findings"]["visas"]["n_claims"]
    assert n == len(politico) == 4
    from safecity import prose

    methods = glued_md(ROOT / "book" / "methods.ipynb")["ledger"]
    assert f"for Politico's {prose.count(n, 'figure')}," in methods
    counts = re.findall(r"Politico's (\d+)", methods + ledger["text"]["finding_visas"])
    assert counts and all(int(c) == n for c in counts)


def test_committed_ledger_verdicts():
    verdict = verdicts(ROOT / "book" / "results")
    assert verdict["total"] == claims.MATCHES
    assert verdict["place-los-angeles-county"] == claims.DIFFERS
    assert verdict["place-seattle"] == claims.MATCHES  # ICE's corrected release gave "Seattle (33)", as the article did
    assert verdict["place-san-jose"] == claims.BEYOND  # ICE's county figure under a city inside it
    assert verdict["places-sum"] == claims.DIFFERS
    ledger = record.read(LEDGER, ROOT / "book" / "results")["values"]
    assert ledger["claims"]["places-sum"]["follows_from"] == ["place-los-angeles-county"]
    assert ledger["tally"]["counts"][claims.DIFFERS] == 1 and ledger["tally"]["n_followers"] == 1
    assert verdict["refugee-lowest"] == claims.MATCHES  # true when written; the later ceilings are an update
    assert ledger["claims"]["refugee-lowest"]["update"]
    assert verdict["proclamation-countries"] == claims.BEYOND  # Venezuela: some officials only
    assert verdict["politico-six"] == claims.MATCHES
    assert set(verdict.values()) <= set(claims.VERDICTS)


# --- Re-running as an analyst would -----------------------------------------------------------------------


@pytest.fixture
def book(tmp_path):
    """A copy of the project's book, notebooks and data, to run notebooks in without touching the real ones."""
    for name in ("_toc.yml", "_config.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for name in ("notebooks", "book", "data"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns(".executing"))
    return tmp_path


def edit(path: Path, *replacements: tuple[str, str], encoding: str = "utf-8") -> None:
    """Replace text in a data file, failing if a text to replace is not there (the test would prove nothing)."""
    text = path.read_text(encoding=encoding)
    for old, new in replacements:
        assert old in text, (path.name, old)
        text = text.replace(old, new)
    path.write_text(text, encoding=encoding)


def _run(project: Path, only: list[str], params: dict | None = None):
    params_file = None
    if params:
        params_file = project / "params.yml"
        params_file.write_text(json.dumps(params), encoding="utf-8")  # JSON is YAML
    pipeline.run(project / "data", root=project, only=only, params_file=params_file, update_book=True, jobs=2,
                 echo=lambda _: None)


def test_a_parameter_override_is_said_on_the_page_and_not_passed_off_as_the_claim(book):
    _run(book, ["03_visas", LEDGER], {"03_visas": {"window_start": "2018-03", "window_end": "2018-08"}})
    results = book / "book" / "results"
    visas = record.read("03_visas", results)
    assert visas["overridden"] == ["window_end", "window_start"]
    assert (visas["values"]["window_start"], visas["values"]["window_end"]) == ("2018-03", "2018-08")
    assert "March–August 2018" in visas["text"]["verdict"] and "judges none" in visas["text"]["verdict"]
    assert "Computed with other parameters" in page_text(book / "book" / "03_visas.ipynb")
    verdict = verdicts(results)
    for claim_id in ("politico-six", "politico-arab", "politico-muslim", "politico-all"):
        assert verdict[claim_id] == claims.NOT_CHECKED, claim_id
    from safecity import prose

    finding = glued_md(book / "book" / f"{LEDGER}.ipynb")["finding_visas"]
    assert finding.startswith("**Politico's visa figures were not checked in this run.**")
    assert "reproduce" not in finding
    assert prose.pct(visas["values"]["six_change"], 1, signed=True) in finding
    assert "from March 2018 to August 2018" in finding


def test_article_places_that_add_up_flip_the_words_on_every_page(book):
    edit(book / "data" / "raw" / "ice-safe-city" / "article_places.csv",
         ("Operation Safe City,Los Angeles County,167,", "Operation Safe City,Los Angeles County,101,"))
    # The ledger takes the article's figures from the arrests chapter; only the quote, the article's own words,
    # is corrected with the table (the ledger refuses a quote that does not contain the figure).
    edit(book / "data" / "raw" / "article-claims" / "claims.csv",
         ("Los Angeles County (167 arrests),", "Los Angeles County (101 arrests),"))
    _run(book, ["01_arrests_by_area", LEDGER])
    arrests = record.read("01_arrests_by_area", book / "book" / "results")
    assert arrests["values"]["article_total"] == arrests["values"]["stated_total"]
    assert "exactly the stated total" in arrests["text"]["two_lists"]
    page = page_text(book / "book" / "01_arrests_by_area.ipynb")
    assert "more than the stated total" not in page and "do not add up" not in page
    assert "The article and ICE give the same figure for every area both list" in page
    verdict = verdicts(book / "book" / "results")
    assert verdict["places-sum"] == claims.MATCHES and verdict["place-los-angeles-county"] == claims.MATCHES
    ledger_claims = record.read(LEDGER, book / "book" / "results")["values"]["claims"]
    assert ledger_claims["place-los-angeles-county"]["stated"] == 101
    assert ledger_claims["places-sum"]["stated"] == 498 and ledger_claims["places-sum"]["follows_from"] == []
    finding = glued_md(book / "book" / f"{LEDGER}.ipynb")["finding_arrests"]
    assert finding.startswith("**The places add up to the total.**")
    assert "more than" not in finding


def test_an_area_in_one_list_only_is_counted_described_and_charted_that_way(book):
    """An eleventh area in ICE's table, not in the article's: every sentence and the chart agree on it."""
    edit(book / "data" / "raw" / "ice-safe-city" / "arrests_by_area.csv",
         ("Operation Safe City,Massachusetts,50,", "Operation Safe City,Newark,12,Newark field office area,ICE news "
          "release (test)\nOperation Safe City,Massachusetts,50,"))
    edit(book / "data" / "raw" / "ice-safe-city" / "operation.csv", (",498,42,", ",510,42,"))
    _run(book, ["01_arrests_by_area"])
    arrests = record.read("01_arrests_by_area", book / "book" / "results")
    values, text = arrests["values"], arrests["text"]
    assert (values["n_areas"], values["n_both"], values["n_agree"], values["ice_only"]) == (11, 10, 9, ["Newark"])
    assert "Of the 10 areas in both lists, 9 have the same figure" in text["two_lists"]
    assert "The article does not list Newark" in text["two_lists"]
    assert "they agree in 9 and differ in Los Angeles" in text["arrests_by_area_alt"]
    assert "Only ICE lists Newark" in text["arrests_by_area_alt"]
    assert "Newark" not in text["renamed"] and "missing" not in text["renamed"]
    assert text["arrests_by_area_title"] == "The article's places add up to 564, 54 more than ICE's 510"
    page = page_text(book / "book" / "01_arrests_by_area.ipynb")
    assert "of 11 areas" not in page and "missing" not in page


def test_later_ceilings_all_higher_flip_lowest_since_on_every_page(book):
    mpi = next((book / "data" / "raw" / "mpi-refugee-admissions").glob("*.csv"))
    lines = mpi.read_text(encoding="cp1252").splitlines(keepends=True)
    for index, line in enumerate(lines):
        year = line.split(",", 1)[0].strip('"').rstrip("*")
        if year.isdigit() and int(year) > 2018 and int(year) != 2021:  # FY2021 ends at 62,500 either way
            lines[index] = re.sub(r'^([^,]+),"[\d,]+ "', r'\1,"50,000 "', line)
    mpi.write_text("".join(lines), encoding="cp1252")
    edit(book / "data" / "raw" / "refugee-policy" / "policy_facts.csv",
         ("2021,ceiling_set,15000,", "2021,ceiling_set,55000,"), ("2026,ceiling_set,7500,", "2026,ceiling_set,50000,"))
    orders = book / "data" / "raw" / "refugee-policy" / "refugee_orders.csv"  # the determinations say the same
    rows = list(csv.DictReader(orders.read_text(encoding="utf-8").splitlines()))
    for row in rows:
        if int(row["fiscal_year"]) > 2018 and row["ceiling"]:
            row["ceiling"] = {"15000": "55000", "62500": "62500"}.get(row["ceiling"], "50000")
    with orders.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    _run(book, ["04_refugees", LEDGER])
    refugees = record.read("04_refugees", book / "book" / "results")
    assert refugees["values"]["later_lower"] == []
    assert refugees["text"]["later_finding"] == ("No later ceiling in the data, up to FY2026's, has gone below 45,000, "
                                                 "as first set.")
    page = page_text(book / "book" / "04_refugees.ipynb")
    assert "went lower" not in page and "No later ceiling in the data is below 45,000." in page
    assert verdicts(book / "book" / "results")["refugee-lowest"] == claims.MATCHES
    finding = glued_md(book / "book" / f"{LEDGER}.ipynb")["finding_refugees"]
    assert finding.startswith('**"The lowest number since 1980" was accurate when the article appeared, and still is.**')
    assert "went lower" not in finding


def test_records_are_byte_identical_across_two_runs(book):
    _run(book, ["01_arrests_by_area"])
    first = (book / "book" / "results" / "01_arrests_by_area.json").read_bytes()
    pipeline.run(book / "data", root=book, only=["01_arrests_by_area"], force=True, echo=lambda _: None)
    assert (book / "book" / "results" / "01_arrests_by_area.json").read_bytes() == first
    assert first == (ROOT / "book" / "results" / "01_arrests_by_area.json").read_bytes()


# --- The book holds itself to its own standard --------------------------------------------------------------


def test_every_claim_quotes_the_article():
    table = claims.load(ROOT / "data")
    assert table["quote"].notna().all() and (table["quote"].str.strip() != "").all()
    ledger = record.read(LEDGER, ROOT / "book" / "results")["values"]["claims"]
    assert all(c["quote"] for c in ledger.values())


def test_no_page_and_no_data_file_holds_recalled_data():
    for path in sorted((ROOT / "data" / "raw").rglob("*")):
        if path.suffix in (".csv", ".json", ".md"):
            text = path.read_text(encoding="utf-8", errors="replace").lower()
            assert "recalled" not in text and "from memory" not in text, path
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        text = page_text(path).lower()
        assert "recalled" not in text and "from memory" not in text, path


def test_the_majority_muslim_list_is_described_in_the_same_words_everywhere():
    from safecity.sources import country_groups

    words = country_groups.group(ROOT / "data", "raw/country-groups/muslim-majority-countries.csv").description
    assert "Pew Research Center" in words
    groups = record.read("03_visas", ROOT / "book" / "results")["values"]["groups"]
    assert next(g for g in groups if g["key"] == "muslim")["description"] == words
    assert "Pew Research Center" in glued_md(ROOT / "book" / "methods.ipynb")["visas"]
    assert words in html.unescape(page_text(ROOT / "book" / "10_data_files.ipynb"))
