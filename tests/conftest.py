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


def defaults(notebook: str) -> dict:
    """A chapter's default parameters, read from its notebook's `parameters` cell (the one place they live)."""
    from safecity import pipeline

    found = pipeline.default_parameters(ROOT / "notebooks" / f"{notebook}.ipynb")
    return {k: v for k, v in found.items() if k not in ("data_dir", "overridden")}


def arrests_values(data_dir, **parameters) -> dict:
    from safecity import arrests

    p = defaults("01_arrests_by_area") | parameters
    return arrests.results(arrests.load(data_dir, p["operation"], p["records"]))


def offences_values(data_dir, operation: str) -> dict:
    from safecity import offences

    return offences.results(offences.load(data_dir, operation))


def refugees_values(data_dir, **parameters) -> dict:
    from safecity import refugees

    inputs = refugees.load(data_dir)
    return refugees.results(inputs, refugees.analyse(inputs, **(defaults("04_refugees") | parameters)))


def visas_values(data_dir, data=None, **parameters) -> dict:
    """The visa chapter's values as its notebook computes them, with any parameter overridden."""
    from safecity import visas

    unknown = set(parameters) - set(defaults("03_visas"))
    assert not unknown, f"not a parameter of the visa chapter: {unknown}"
    p = defaults("03_visas") | parameters
    data = data if data is not None and "groups" not in parameters else visas.load(data_dir, p["groups"])
    return visas.results(data, visas.compare(data, p["window_start"], p["window_end"], p["baseline_fy"]))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless (the browser tests skip when it is not installed)."""
    from safecity import sitecheck

    with sitecheck.launch() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def server(built_site):
    """The built site, served from 127.0.0.1."""
    from safecity import sitecheck

    with sitecheck.SiteServer(built_site) as srv:
        yield srv
