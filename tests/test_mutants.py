"""The mutation check's list (`make mutants`, tools/mutants.py) stays meaningful as the code changes.

Running the mutants is slow and not part of `make test`; these checks are quick: every mutant's edit applies to
the current source exactly once (a refactor that moves the code fails here instead of silently disabling the
mutant), changes the code, and is named once; and each chapter module's mutants have tests and notebooks to run.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("safecity_mutants", ROOT / "tools" / "mutants.py")
mutants = sys.modules.setdefault("safecity_mutants", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(mutants)


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=lambda m: m.name)
def test_each_mutant_applies_to_the_current_source_exactly_once(mutant):
    before = mutants.source(ROOT, mutant).read_text(encoding="utf-8")
    after = mutants.mutated(ROOT, mutant)  # raises unless its edit occurs exactly once
    assert after != before and mutant.old != mutant.new
    compile(after, mutant.module, "exec")  # an error in the computation, not a syntax error every import would catch


def test_the_list_is_at_least_ten_named_mutants_of_chapter_computations():
    names = [m.name for m in mutants.MUTANTS]
    assert len(names) >= 10 and len(set(names)) == len(names)
    assert {m.module for m in mutants.MUTANTS} <= {"arrests", "offences", "visas", "refugees", "seattle"}


def test_a_mutant_that_no_longer_applies_is_refused(tmp_path):
    (tmp_path / "safecity").mkdir()
    mutant = mutants.MUTANTS[0]
    (tmp_path / "safecity" / f"{mutant.module}.py").write_text("# refactored\n", encoding="utf-8")
    with pytest.raises(ValueError, match="occurs 0 times"):
        mutants.mutated(tmp_path, mutant)


@pytest.mark.parametrize("module", sorted({m.module for m in mutants.MUTANTS}))
def test_each_mutated_module_has_tests_and_a_notebook_to_catch_it(module):
    paths = mutants.dependents(ROOT, module)
    assert any(p.startswith("tests/") for p in paths) and any(p.endswith(".ipynb") for p in paths), paths
