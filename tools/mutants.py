"""`make mutants`: does the test suite catch small errors in the chapters' computations?

Each mutant is one named edit of one chapter module's source (`MUTANTS`). They are applied one at a time to a
temporary copy of the project (never the working tree), and for each only what depends on the changed module runs:
the tests that import it and nbval over the executed notebooks whose code imports it. A mutant is caught when that
run fails. Before the mutants, the same runs on the unchanged copy must pass, or a failure would prove nothing.

Prints each mutant, caught or missed, then "N of M caught"; the exit status is 1 if any is missed, 2 if the
unchanged copy fails. Slow (one pytest run per mutant): not part of `make test`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    """Replace `old` (found exactly once in `safecity/<module>.py`) with `new`."""

    name: str
    module: str
    old: str
    new: str


MUTANTS = [
    # --- arrests ---------------------------------------------------------------------------------------------
    Mutant("the download's difference column has its sign flipped", "arrests",
           'LABEL["difference"]: t["difference"].astype("object").where(listed, NOT_LISTED),',
           'LABEL["difference"]: (-t["difference"]).astype("object").where(listed, NOT_LISTED),'),
    Mutant("the reader's table swaps the ICE area and article place columns", "arrests",
           'LABEL["ice_area"]: t["ice_area"], LABEL["ice_arrests"]: t["ice_arrests"],\n'
           '        LABEL["article_place"]: t["article_place"].where(listed, NOT_LISTED),',
           'LABEL["ice_area"]: t["article_place"].where(listed, NOT_LISTED), LABEL["ice_arrests"]: t["ice_arrests"],\n'
           '        LABEL["article_place"]: t["ice_area"],'),
    Mutant("an ICE area the article does not list is dropped (inner join)", "arrests",
           'on="ice_area", how="left")', 'on="ice_area", how="inner")'),
    Mutant("the renamed-place test is inverted", "arrests",
           'table["same_name"] = (table["article_place"] == table["ice_area"])',
           'table["same_name"] = (table["article_place"] != table["ice_area"])'),
    Mutant("the operation's first day is shifted by a day in the record", "arrests",
           '"start_date": f"{start:%Y-%m-%d}",', '"start_date": f"{start + pd.Timedelta(days=1):%Y-%m-%d}",'),
    # --- offences --------------------------------------------------------------------------------------------
    Mutant("the fiscal year starts in November (a month shifted)", "offences",
           "date.year + 1 if date.month >= 10 else date.year", "date.year + 1 if date.month >= 11 else date.year"),
    Mutant("conviction categories ordered smallest first", "offences",
           'ascending=[False, True], kind="stable"', 'ascending=[True, True], kind="stable"'),
    Mutant("the national series drops its first fiscal year", "offences",
           'rows = []\n    for r in arrests.sort_values("fiscal_year").itertuples():\n'
           '        year, total = int(r.fiscal_year), int(r.arrests)\n        people = percent = value = None',
           'rows = []\n    for r in arrests.sort_values("fiscal_year").iloc[1:].itertuples():\n'
           '        year, total = int(r.fiscal_year), int(r.arrests)\n        people = percent = value = None'),
    Mutant("the published figures swap people and percent", "offences",
           '"people": None if pd.isna(f.people) else int(f.people),\n'
           '                         "published_percent": None if pd.isna(f.percent) else float(f.percent),',
           '"people": None if pd.isna(f.percent) else int(f.percent),\n'
           '                         "published_percent": None if pd.isna(f.people) else float(f.people),'),
    # --- visas -----------------------------------------------------------------------------------------------
    Mutant("the window's first month is dropped", "visas",
           'return pd.date_range(first, last, freq="MS")',
           'return pd.date_range(first + pd.DateOffset(months=1), last, freq="MS")'),
    Mutant("the baseline's monthly average divides by 11 months", "visas",
           "return self.baseline.total / 12", "return self.baseline.total / 11"),
    Mutant("a month without a file counts as zero visas", "visas",
           "series[~months] = np.nan", "series[~months] = 0.0"),
    Mutant("the fiscal year's months start in November", "visas",
           "pd.Timestamp(fiscal_year - 1, 10, 1), pd.Timestamp(fiscal_year, 9, 1)",
           "pd.Timestamp(fiscal_year - 1, 11, 1), pd.Timestamp(fiscal_year, 9, 1)"),
    # --- refugees --------------------------------------------------------------------------------------------
    Mutant("the far-below filter is inverted", "refugees",
           'share_table[(share_table["share"] < far_below) & ~share_table["partial"]]',
           'share_table[(share_table["share"] >= far_below) & ~share_table["partial"]]'),
    Mutant("'the lowest since' starts a year late (off by one)", "refugees",
           "window = range(int(since), int(year))", "window = range(int(since) + 1, int(year))"),
    Mutant("admissions are a share of the ceiling as first set, not at year end", "refugees",
           'both["admissions"].astype("float64") / both["ceiling_final"].astype("float64")',
           'both["admissions"].astype("float64") / both["ceiling_set"].astype("float64")'),
    Mutant("the year sheet's difference from MPI has its sign flipped", "refugees",
           'table["sheet_minus_mpi"] = table["prm_sheet"] - table["mpi_admissions"]',
           'table["sheet_minus_mpi"] = table["mpi_admissions"] - table["prm_sheet"]'),
]


def source(root: Path, mutant: Mutant) -> Path:
    return root / "safecity" / f"{mutant.module}.py"


def mutated(root: Path, mutant: Mutant) -> str:
    """The module's source with the mutant applied; a ValueError unless `old` occurs exactly once."""
    text = source(root, mutant).read_text(encoding="utf-8")
    found = text.count(mutant.old)
    if found != 1:
        raise ValueError(f"mutant {mutant.name!r}: its edit occurs {found} times in safecity/{mutant.module}.py")
    return text.replace(mutant.old, mutant.new)


def _imports(code: str, module: str) -> bool:
    """Whether Python source imports safecity's `module` (from safecity import a, module / import safecity.module)."""
    return bool(re.search(rf"^\s*from safecity import [^\n]*\b{module}\b", code, re.M)
                or re.search(rf"^\s*(from|import) safecity\.{module}\b", code, re.M))


def dependents(root: Path, module: str) -> list[str]:
    """The executed notebooks whose code imports `module`, then the tests that import it (relative paths)."""
    import nbformat

    tests = [p for p in sorted((root / "tests").glob("test_*.py")) if _imports(p.read_text(encoding="utf-8"), module)]
    notebooks = [p for p in sorted((root / "book").glob("*.ipynb"))
                 if _imports("\n".join(c.source for c in nbformat.read(p, as_version=4).cells
                                       if c.cell_type == "code"), module)]
    # Quickest to fail first (pytest stops at the first failure): the notebooks, the chapter's own tests, the rest.
    tests.sort(key=lambda p: (p.stem not in (f"test_{module}", f"test_words_{module}"), p.name))
    return [str(p.relative_to(root)) for p in notebooks + tests]


#: What the copy leaves out: history, environments, builds. The derived-tables cache is kept (it is keyed on
#: content and code, so a mutant never reads a stale entry; it only saves re-importing the data).
IGNORE = shutil.ignore_patterns(".git", ".venv", "_build*", ".build-staging", "bench", "__pycache__", ".pytest_cache",
                                "node_modules", ".executing", "*.lock")


def run(copy: Path, paths: list[str]) -> subprocess.CompletedProcess:
    """pytest (stopping at the first failure, Hypothesis seeded) over `paths` in the copy, its own `safecity` first on the path, in
    this process and in every notebook kernel nbval starts."""
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    # A fixed Hypothesis seed: the same examples for the unchanged copy and every mutant, run after run.
    return subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0",
                           *paths], cwd=copy,
                          env=env, capture_output=True, text=True, timeout=1800)


def by(output: str) -> str:
    """What failed, from pytest's summary: the test, or the notebook cell and whether its outputs differed."""
    failed = next((line[len("FAILED "):] for line in output.splitlines() if line.startswith("FAILED ")), "")
    failed = re.sub(r"\x1b\[[0-9;]*m", "", failed).split(" - ")[0]
    if failed.endswith(".ipynb") or ".ipynb::" in failed:
        failed += " (its outputs differ)" if "Cell outputs differ" in output else " (it raised)"
    return failed


def main() -> int:
    for mutant in MUTANTS:
        mutated(ROOT, mutant)  # every edit applies before anything runs
    with tempfile.TemporaryDirectory(prefix="safecity-mutants-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(ROOT, copy, ignore=IGNORE, symlinks=True)
        # Some tests read the committed history (the re-run tests check `git status`): the copy is one commit.
        git = ["git", "-c", "user.name=mutants", "-c", "user.email=mutants@localhost", "-c", "commit.gpgsign=false"]
        for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "copy for make mutants"]):
            subprocess.run(git + command, cwd=copy, check=True, capture_output=True)
        modules = list(dict.fromkeys(m.module for m in MUTANTS))
        plan = {module: dependents(copy, module) for module in modules}
        for module in modules:
            started = time.monotonic()
            result = run(copy, plan[module])
            if result.returncode != 0:
                print(f"the unchanged project fails the {module} checks: no mutant can be judged\n{result.stdout[-3000:]}")
                return 2
            print(f"{module}: {len(plan[module])} test files and notebooks pass unchanged "
                  f"({time.monotonic() - started:.0f} s): {', '.join(plan[module])}", flush=True)
        caught = 0
        for number, mutant in enumerate(MUTANTS, 1):
            path = source(copy, mutant)
            original = path.read_text(encoding="utf-8")
            path.write_text(mutated(copy, mutant), encoding="utf-8")
            try:
                started = time.monotonic()
                result = run(copy, plan[mutant.module])
            finally:
                path.write_text(original, encoding="utf-8")
            # Exit status 1 is a failed test; anything else (an interrupted or empty run) catches nothing.
            hit = result.returncode == 1
            caught += hit
            print(f"{number:2}. {'caught' if hit else 'MISSED'}  {mutant.module}: {mutant.name} "
                  f"({time.monotonic() - started:.0f} s){'  by ' + by(result.stdout) if hit else ''}", flush=True)
        print(f"{caught} of {len(MUTANTS)} caught")
        return 0 if caught == len(MUTANTS) else 1


if __name__ == "__main__":
    sys.exit(main())
