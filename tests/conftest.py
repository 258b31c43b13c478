"""Shared fixtures: the project's paths and one site build per test session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the book from the committed notebooks into a temporary folder; returns its `html` folder.

    The committed executed notebooks are the inputs (the cache makes the run step start no kernel
    unless something changed), so this checks exactly what would be published.
    """
    out = tmp_path_factory.mktemp("site") / "_build"
    proc = subprocess.run([sys.executable, "-m", "safecity", "build", "--output-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "html"
