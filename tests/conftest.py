"""Shared fixtures: the project's paths and one site build per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the site from the committed executed notebooks into a temporary folder; returns its `html` folder.

    No notebook is executed here, so the tests check exactly what the repository would publish
    (and `test_executed_notebooks_are_up_to_date` checks that those notebooks are current).
    """
    from safecity import pipeline

    out = tmp_path_factory.mktemp("site") / "_build"
    return pipeline.build_site(ROOT, out, echo=lambda _: None)
