"""Re-running the book on new data (issue 17): new files are never ignored, `data record` records them (or
refuses them), a run on another data folder leaves `book/` alone, and `diff` says what changed in words.

Each update of the guide (book/rerun.md) is done here in a temporary copy of the data."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from safecity import diff, pipeline, validate, visas
from safecity.__main__ import main
from safecity.sources import state_dept_monthly

from conftest import DATA, ROOT, arrests_values, defaults, refugees_values

VISAS = "state-dept-monthly-visas"
MAY = ("nonimmigrant/2025-05-01.jsonl.gz", "immigrant/2025-05-01.jsonl.gz")
FY2026 = "2026,ceiling_set,7500,"


@pytest.fixture
def data(tmp_path):
    """A private copy of the whole data folder."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _cli(capsys, *argv) -> tuple[int, list[str], list[str]]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


GUIDE = (ROOT / "book" / "rerun.md").read_text(encoding="utf-8")


def _in_guide(lines: list[str], data) -> None:
    """The guide (book/rerun.md) shows these lines as the analyst sees them, for a copy in /tmp/mydata."""
    for line in lines:
        shown = re.sub(r"sha256:[0-9a-f]+…", "sha256:…", line.replace(validate.display_path(data), "/tmp/mydata"))
        assert shown in GUIDE, f"book/rerun.md does not show: {shown}"


def _package(data, source) -> bytes:
    return (data / "raw" / source / "datapackage.json").read_bytes()


# --------------------------------------------------------------------------- new files are never ignored

def test_an_unlisted_file_is_an_error_that_names_it_and_says_how_to_record_it(data, capsys):
    shutil.copyfile(data / "raw" / "travel-ban" / "travel-ban-dates.csv", data / "raw" / "travel-ban" / "dates-v2.csv")
    (data / "raw" / "travel-ban" / "README.md").write_text("notes, not data\n", encoding="utf-8")
    status, _, err = _cli(capsys, "check", "--data-dir", data)
    assert status == 2
    problems = [line for line in err if line.startswith("error:")]
    assert len(problems) == 1, err  # the README is not data
    assert "travel-ban/dates-v2.csv: not listed in datapackage.json" in problems[0]
    assert f"python -m safecity data record --data-dir {validate.display_path(data)} travel-ban" in problems[0]


def test_the_project_data_lists_every_file():
    assert validate.check(DATA)[0] == []
    assert [p for p in validate.package_paths(DATA) if validate.unlisted_files(p.parent, json.loads(p.read_text()))] == []


# --------------------------------------------------------------------------- update 1: a new month of visa data

def test_a_new_month_is_refused_until_recorded_then_used(data, capsys):
    folder = data / "raw" / VISAS
    saved = {rel: (folder / rel).read_bytes() for rel in MAY}
    as_shipped = _package(data, VISAS)
    # The data as it was before May 2025 was published: record the removal.
    for rel in MAY:
        (folder / rel).unlink()
    status, out, _ = _cli(capsys, "data", "record", "--data-dir", data, VISAS)
    assert status == 0
    _in_guide(out, data)
    assert any(line.endswith("nonimmigrant/2025-05-01.jsonl.gz: removed from resource 'nonimmigrant'") for line in out)
    assert any(line.endswith("immigrant/2025-05-01.jsonl.gz: removed from resource 'immigrant'") for line in out)
    assert validate.check(data)[0] == []
    assert state_dept_monthly.read(data, "immigrant").months["month"].max() == pd.Timestamp("2025-04-01")
    assert _latest_period(data) == ("2024-05", "2025-04")

    # The new month arrives: copied in, it is an error naming each file until it is recorded.
    for rel, content in saved.items():
        (folder / rel).write_bytes(content)
    status, _, err = _cli(capsys, "check", "--data-dir", data)
    assert status == 2
    assert [e.split(":")[1].strip() for e in err[:-1]] == [validate.display_path(folder / rel) for rel in sorted(MAY)]
    _in_guide(err, data)
    status, out, _ = _cli(capsys, "data", "record", "--data-dir", data, VISAS)
    assert status == 0
    _in_guide(out, data)
    assert any(line.endswith("immigrant/2025-05-01.jsonl.gz: added to resource 'immigrant'") for line in out)
    assert _package(data, VISAS) == as_shipped  # same hashes, sizes, order and formatting as the committed package
    assert validate.check(data)[0] == []
    assert state_dept_monthly.read(data, "immigrant").months["month"].max() == pd.Timestamp("2025-05-01")
    assert _latest_period(data) == ("2024-06", "2025-05")


def _latest_period(data: Path) -> tuple[str, str]:
    """The visa chapter's "latest twelve months of records", as the data in `data` gives it."""
    return visas.load(data, defaults("03_visas")["groups"]).periods["latest"]


def test_a_new_month_the_importer_cannot_read_is_refused_naming_the_file(data, capsys):
    before = _package(data, VISAS)
    bad = data / "raw" / VISAS / "nonimmigrant" / "2025-06-01.jsonl.gz"
    bad.write_bytes(gzip.compress(b'{"Nationality": "Atlantis", "Visa Class": "B1", "Issuances": "3"}\n', mtime=0))
    status, out, err = _cli(capsys, "data", "record", "--data-dir", data, VISAS)
    assert status == 2
    assert out == []
    assert any(line.startswith(f"error: {validate.display_path(bad)}, line 1") and "Atlantis" in line for line in err), err
    assert err[-1] == "nothing was recorded: every datapackage.json is as it was."
    _in_guide(err, data)
    assert _package(data, VISAS) == before


# --------------------------------------------------------------------------- update 2: a new fiscal year's ceiling

def test_a_new_fiscal_years_ceiling_reaches_the_chapter(data, capsys):
    facts = data / "raw" / "refugee-policy" / "policy_facts.csv"
    text = facts.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines(keepends=True) if line.startswith(FY2026))
    facts.write_text(text.replace(row, ""), encoding="utf-8")  # as it was before the FY2026 determination
    assert _cli(capsys, "data", "record", "--data-dir", data, "refugee-policy")[0] == 0
    before = refugees_values(data)
    assert before["latest_year"] == 2025 and 2026 not in before["later_lower_years"]

    facts.write_text(text, encoding="utf-8")  # the determination is published: the row is added
    status, out, _ = _cli(capsys, "data", "record", "--data-dir", data, "refugee-policy")
    assert status == 0 and any("policy_facts.csv: changed (sha256:" in line for line in out), out
    _in_guide(out, data)
    after = refugees_values(data)
    assert after["latest_year"] == 2026 and after["latest_ceiling"] == 7500
    assert 2026 in after["later_lower_years"]  # 7,500 is below FY2018's 45,000
    assert after["lowest_status"] == before["lowest_status"] == "lowest"  # a later ceiling does not change FY2018's


def test_a_ceiling_row_that_breaks_the_schema_is_refused(data, capsys):
    facts = data / "raw" / "refugee-policy" / "policy_facts.csv"
    facts.write_text(facts.read_text(encoding="utf-8") + "FY2027,ceiling_set,7500,,FY2027 ceiling,a source\n",
                     encoding="utf-8")
    before = _package(data, "refugee-policy")
    status, _, err = _cli(capsys, "data", "record", "--data-dir", data, "refugee-policy")
    assert status == 2
    assert any(line.startswith(f"error: {validate.display_path(facts)}, line 11, column 'fiscal_year': type error")
               for line in err), err
    _in_guide(err, data)
    assert _package(data, "refugee-policy") == before


# --------------------------------------------------------------------------- update 3: a corrected arrests table

def test_a_corrected_arrests_table_flips_what_it_should(data, capsys):
    places = data / "raw" / "ice-safe-city" / "article_places.csv"
    before = arrests_values(data)
    assert before["article_total"] == 564 and before["article_excess"] == 66
    # The article's list corrected to ICE's figure for Los Angeles (101, not the field office's 167): 498 in all.
    text = places.read_text(encoding="utf-8")
    places.write_text(text.replace("Los Angeles County,167,", "Los Angeles County,101,"), encoding="utf-8")
    status, out, err = _cli(capsys, "check", "--data-dir", data)
    assert status == 0 and err[0].startswith(f"warning: {validate.display_path(places)}: differs")
    _in_guide(err + out, data)
    status, out, _ = _cli(capsys, "data", "record", "--data-dir", data, "ice-safe-city")
    assert status == 0 and len([line for line in out if "article_places.csv: changed" in line]) == 1
    _in_guide(out, data)
    assert validate.check(data) == ([], [])
    after = arrests_values(data)
    assert after["article_total"] == after["stated_total"] == 498
    assert after["article_excess"] == 0
    assert (before["n_agree"], after["n_agree"]) == (9, 10) and after["n_agree"] == after["n_areas"]


# --------------------------------------------------------------------------- the record command

def test_record_models_a_new_csv_on_the_sibling_with_its_columns(data, capsys):
    folder = data / "raw" / "travel-ban"
    shutil.copyfile(folder / "travel-ban-dates.csv", folder / "travel-ban-dates-2026.csv")
    status, out, _ = _cli(capsys, "data", "record", "--data-dir", data, "travel-ban")
    assert status == 0
    assert out[0].endswith("travel-ban-dates-2026.csv: added as resource 'travel_ban_dates_2026', modelled on "
                           "'travel_ban_dates' (give it a title and a description)")
    package = json.loads(_package(data, "travel-ban"))
    model, added = (next(r for r in package["resources"] if r["name"] == n)
                    for n in ("travel_ban_dates", "travel_ban_dates_2026"))
    assert added["schema"] == model["schema"] and added["format"] == model["format"] == "csv"
    assert added["hash"] == model["hash"] and added["bytes"] == model["bytes"]  # the same bytes
    assert validate.check(data)[0] == []
    # Running it again changes nothing.
    assert _cli(capsys, "data", "record", "--data-dir", data, "travel-ban")[1] == [
        "travel-ban: already recorded, nothing to change"]


def test_record_refuses_files_it_cannot_describe(data, capsys):
    folder = data / "raw" / "travel-ban"
    (folder / "notes.csv").write_text("when,what\n2017-01-27,signed\n", encoding="utf-8")
    (folder / "order.pdf").write_bytes(b"%PDF-1.4\n")
    before = _package(data, "travel-ban")
    status, out, err = _cli(capsys, "data", "record", "--data-dir", data, "travel-ban")
    assert status == 2 and out == []
    assert err[:2] == [
        f"error: {validate.display_path(folder / 'notes.csv')}: new file with columns unlike any resource of this "
        "source: describe it in datapackage.json by hand (see CONTRIBUTING.md)",
        f"error: {validate.display_path(folder / 'order.pdf')}: new file of a kind this source has no resource for "
        "('.pdf' in ./): describe it in datapackage.json by hand (see CONTRIBUTING.md)"]
    assert _package(data, "travel-ban") == before


def test_record_refuses_a_missing_single_file_with_no_new_edition(data, capsys):
    (data / "raw" / "politico-visas" / "politico-visa-changes.csv").unlink()
    status, _, err = _cli(capsys, "data", "record", "--data-dir", data, "politico-visas")
    assert status == 2
    assert "politico-visa-changes.csv: listed as resource 'politico_visa_changes' but missing" in err[0]


# --------------------------------------------------------------------------- diff

def _record(notebook, chapter, values, text, labels, parameters=None, inputs=None):
    return {"notebook": notebook, "chapter": chapter, "title": chapter.title(), "parameters": parameters or {},
            "defaults": parameters or {}, "inputs": inputs or {}, "values": values, "text": text, "labels": labels}


def _write(folder: Path, record: dict):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{record['notebook']}.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n",
                                                        encoding="utf-8")


@pytest.fixture
def repo(tmp_path):
    """A git repository with results records committed in book/results/."""
    root = tmp_path / "repo"
    results = root / "book" / "results"
    _write(results, _record("03_visas", "visas", {"six_change": -0.4386, "all_change": 0.01},
                            {"six_change": "−43.9%", "all_change": "+1.0%"},
                            {"six_change": "six-country change in visas", "all_change": "change for all nations"},
                            {"window_end": "2017-08"}, {"raw/v/a.jsonl.gz": "sha256:1"}))
    _write(results, _record("07_claims_ledger", "claims", {"claims": {
        "refugee-lowest": {"claim": "45,000 is the lowest refugee ceiling since 1980", "quote": "",
                           "verdict": "true when written, no longer true", "computed": "45,000", "stated": "45,000"},
        "total": {"claim": "ICE arrested 498 people", "quote": "", "verdict": "matches the primary source",
                  "computed": "498", "stated": "498"}}}, {}, {}))
    for args in (["init", "-q"], ["add", "book"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "r"]):
        subprocess.run(["git", *args], cwd=root, check=True)
    return root


def test_diff_says_no_findings_changed_when_none_did(repo):
    assert diff.report(repo / "book", "HEAD", repo) == ["no findings changed since HEAD"]


def test_diff_lists_changed_values_verdicts_parameters_and_files_in_words(repo, tmp_path):
    # An out-of-tree book folder, as a run on another data folder writes.
    book = tmp_path / "elsewhere" / "book"
    shutil.copytree(repo / "book", book)
    visas = json.loads((book / "results" / "03_visas.json").read_text(encoding="utf-8"))
    visas["values"]["six_change"] = -0.4462  # shown as the page shows it: −44.6%
    visas["values"]["all_change"] = 0.0101  # the page shows the same "+1.0%": not a change a reader sees
    visas["parameters"]["window_end"] = "2017-09"
    visas["parameters"]["baseline_fy"] = 2016
    visas["inputs"] = {"raw/v/a.jsonl.gz": "sha256:1", "raw/v/b.jsonl.gz": "sha256:2"}
    _write(book / "results", visas)
    ledger = json.loads((book / "results" / "07_claims_ledger.json").read_text(encoding="utf-8"))
    ledger["values"]["claims"]["refugee-lowest"].update(verdict="matches the primary source")
    ledger["values"]["claims"]["earlier-orders"] = {"claim": "Two travel bans came before the proclamation",
                                                    "quote": "", "verdict": "matches the primary source",
                                                    "computed": "Executive Order 13769, Executive Order 13780",
                                                    "stated": "2"}
    _write(book / "results", ledger)
    assert diff.report(book, "HEAD", repo) == [
        "Changed since HEAD:",
        "  Visas: new parameter baseline_fy = 2016",
        '  Visas: parameter window_end: "2017-08" → "2017-09"',
        "  six-country change in visas: −43.9% → −44.6%",
        "  claim '45,000 is the lowest refugee ceiling since 1980': true when written, no longer true → "
        "matches the primary source",
        "  claim 'Two travel bans came before the proclamation': new in the ledger: matches the primary source",
        "Input files that differ from HEAD's records: raw/v/b.jsonl.gz (added)",
    ]


def test_diff_explains_what_it_cannot_compare(repo, tmp_path):
    assert diff.report(repo / "book", "no-such-ref", repo) == [
        f"'no-such-ref' is not a git revision of {repo}: nothing to compare with"]
    assert diff.report(tmp_path / "empty", "HEAD", repo)[0].startswith("no results records in ")


# --------------------------------------------------------------------------- runs on another data folder

def _notebook(path: Path, body: str, inputs: list[str]):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "safecity": {"inputs": inputs, "after": []}}
    nb.cells = [new_code_cell('data_dir = "../data"'), new_code_cell(body)]
    nb.cells[0].metadata["tags"] = ["parameters"]
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"c{index}"
    nbformat.write(nb, path)


def test_another_data_folder_runs_outside_book_and_reuses_notebooks_whose_inputs_are_the_same(tmp_path):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "book").mkdir()
    (project / "book" / "intro.md").write_text("# Intro\n", encoding="utf-8")
    (project / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: book/intro
        chapters:
          - file: book/a
          - file: book/b
        """), encoding="utf-8")
    (project / "_config.yml").write_text("title: t\n", encoding="utf-8")
    for name in ("x", "y"):
        (project / "data" / "raw" / name).mkdir(parents=True)
        (project / "data" / "raw" / name / "value.txt").write_text("21\n", encoding="utf-8")
    _notebook(project / "notebooks" / "a.ipynb", 'print(int(open(data_dir + "/raw/x/value.txt").read()) * 2)',
              ["raw/x"])
    _notebook(project / "notebooks" / "b.ipynb", 'print(int(open(data_dir + "/raw/y/value.txt").read()) + 1)',
              ["raw/y"])

    def run(data_dir):
        return {n: s for n, s, _ in pipeline.run(data_dir, root=project, jobs=1, echo=lambda _: None)}

    assert run(project / "data") == {"a": "ran", "b": "ran"}
    golden = {p.name: p.read_bytes() for p in (project / "book").iterdir() if p.is_file()}
    other = tmp_path / "elsewhere" / "new-data"
    shutil.copytree(project / "data", other)
    (other / "raw" / "y" / "value.txt").write_text("41\n", encoding="utf-8")
    # Only the notebook whose input changed re-runs, although the folder and its path are new.
    assert run(other) == {"a": "cached", "b": "ran"}
    assert {p.name: p.read_bytes() for p in (project / "book").iterdir() if p.is_file()} == golden
    work = pipeline.work_root(project, other)
    assert work.parent == project / pipeline.RUNS and work.name.startswith("new-data-")
    assert (work / "book" / "a.ipynb").read_bytes() == golden["a.ipynb"]
    assert "42" in (work / "book" / "b.ipynb").read_text(encoding="utf-8")
    assert (work / "book" / "intro.md").exists() and (work / "_toc.yml").exists()


def test_a_data_dir_run_leaves_git_status_clean(tmp_path):
    def status():
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout

    other = tmp_path / "nm"
    shutil.copytree(DATA, other)
    before, book = status(), {p: p.read_bytes() for p in (ROOT / "book").rglob("*") if p.is_file()}
    work = pipeline.work_root(ROOT, other)
    try:
        proc = subprocess.run([sys.executable, "-m", "safecity", "run", "--jobs", "1", "--only", "04_refugees",
                               "--data-dir", str(other)], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert (work / "book" / "04_refugees.ipynb").exists()
        summary = diff.report(work / "book", "HEAD", ROOT)  # the run ends with what changed, in words
        assert proc.stdout.splitlines()[-len(summary):] == summary
        assert status() == before
        assert {p: p.read_bytes() for p in (ROOT / "book").rglob("*") if p.is_file()} == book
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_params_run_on_the_project_data_goes_to_its_own_folder_and_leaves_git_status_clean(tmp_path):
    """A what-if run (`--params`) on the project's own data/ never rewrites book/: it runs in _build-runs/."""
    def status():
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout

    params = tmp_path / "what-if.yml"
    params.write_text("04_refugees:\n  far_below: 0.4\n", encoding="utf-8")
    before, book = status(), {p: p.read_bytes() for p in (ROOT / "book").rglob("*") if p.is_file()}
    work = pipeline.work_root(ROOT, DATA, params)
    assert work.parent == ROOT / pipeline.RUNS
    try:
        proc = subprocess.run([sys.executable, "-m", "safecity", "run", "--jobs", "1", "--only", "04_refugees",
                               "--params", str(params)], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert '"far_below": 0.4' in (work / "book" / "results" / "04_refugees.json").read_text(encoding="utf-8")
        assert status() == before
        assert {p: p.read_bytes() for p in (ROOT / "book").rglob("*") if p.is_file()} == book
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_record_takes_a_new_edition_under_a_new_name_as_the_file_it_replaces(data, capsys):
    folder = data / "raw" / "mpi-refugee-admissions"
    (folder / "MPI-Data-Hub_Refugee-Admissions_1980-2025Q1.csv").rename(folder / "MPI-Data-Hub_Refugee-Admissions.csv")
    before = _package(data, "mpi-refugee-admissions").decode()
    status, out, _ = _cli(capsys, "data", "record", "--data-dir", data, "mpi-refugee-admissions")
    assert status == 0
    assert out[0] == (f"{validate.display_path(folder / 'MPI-Data-Hub_Refugee-Admissions.csv')}: replaces "
                      "MPI-Data-Hub_Refugee-Admissions_1980-2025Q1.csv in resource 'refugee_admissions' "
                      "(check its title and description)")
    # Only the path changed in datapackage.json: a one-line `git diff`.
    after = _package(data, "mpi-refugee-admissions").decode()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(before.splitlines()) == len(after.splitlines())
    assert changed == [('      "path": "MPI-Data-Hub_Refugee-Admissions_1980-2025Q1.csv",',
                        '      "path": "MPI-Data-Hub_Refugee-Admissions.csv",')]
    assert refugees_values(data)["latest_year"] == 2026
