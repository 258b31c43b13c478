"""Publishing: the CI entry point, the GitHub Pages workflow, a strict build and links that resolve."""

from __future__ import annotations

import os
import stat
import subprocess
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from safecity import pipeline
from safecity.errors import NotebookError

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
CI_RUN = ROOT / ".ci" / "run"


# --- the GitHub Pages workflow -------------------------------------------------------------------

@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def _index(steps, predicate, what) -> int:
    found = [i for i, step in enumerate(steps) if predicate(step)]
    assert found, f"the workflow has no step that {what}"
    return found[0]


def test_workflow_is_valid_yaml_with_jobs(workflow):
    assert isinstance(workflow, dict) and workflow.get("jobs")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers and "push" in triggers


def test_workflow_tests_before_it_deploys(workflow):
    jobs = workflow["jobs"]
    build = next(job for job in jobs.values() if any("upload-pages-artifact" in s.get("uses", "") for s in _steps(job)))
    steps = _steps(build)
    run = lambda text: lambda s: text in s.get("run", "")  # noqa: E731
    uses = lambda text: lambda s: s.get("uses", "").startswith(text)  # noqa: E731
    checkout = _index(steps, uses("actions/checkout@"), "checks out the repository")
    chromium = _index(steps, run("apt-get install -y chromium"), "installs Debian's chromium")
    test = _index(steps, run("make test"), "runs `make test`")
    book = _index(steps, run("make book"), "runs `make book`")
    upload = _index(steps, uses("actions/upload-pages-artifact@"), "uploads the site")
    assert checkout < chromium < test < book < upload
    assert steps[upload]["with"]["path"] == "_build/html"
    assert not any(s.get("continue-on-error") for s in steps[test:upload + 1]), "a failing test must stop the deploy"
    # Python 3.11: from setup-python, or from the job's python:3.11 container image.
    image = build.get("container", {})
    image = image.get("image", "") if isinstance(image, dict) else image
    setup = [s for s in steps if s.get("uses", "").startswith("actions/setup-python@")]
    assert image.startswith("python:3.11") or (setup and str(setup[0]["with"]["python-version"]) == "3.11")

    deploy = next(job for job in jobs.values() if any("deploy-pages" in s.get("uses", "") for s in _steps(job)))
    needs = deploy.get("needs")
    assert needs and build is jobs[needs if isinstance(needs, str) else needs[0]]
    perms = {**workflow.get("permissions", {}), **deploy.get("permissions", {})}
    assert perms.get("pages") == "write" and perms.get("id-token") == "write"
    assert deploy.get("environment", {}).get("name") == "github-pages"


# --- .ci/run -------------------------------------------------------------------------------------

def _fake_tools(tmp_path: Path, make_status: int = 0) -> tuple[dict, Path]:
    """`apt-get`, `sudo` and `make` stand-ins that log their arguments instead of doing anything."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for tool, status in (("apt-get", 0), ("make", make_status), ("sudo", None)):
        body = '"$@"' if tool == "sudo" else f'echo "{tool} $*" >> "{log}"; exit {status}'
        path = bin_dir / tool
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return env, log


def test_ci_run_is_an_executable_strict_bash_script():
    text = CI_RUN.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n") or text.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in text
    assert CI_RUN.stat().st_mode & stat.S_IXUSR
    subprocess.run(["bash", "-n", str(CI_RUN)], check=True)


def test_ci_run_installs_chromium_only_when_missing(tmp_path):
    env, log = _fake_tools(tmp_path)
    subprocess.run([str(CI_RUN)], env={**env, "CHROMIUM": str(tmp_path / "no-chromium")}, check=True,
                   capture_output=True)
    assert log.read_text().splitlines() == ["apt-get update", "apt-get install -y chromium chromium-driver",
                                            "make test"]
    log.unlink()
    present = tmp_path / "chromium"
    present.write_text("#!/bin/sh\n")
    present.chmod(0o755)
    subprocess.run([str(CI_RUN)], env={**env, "CHROMIUM": str(present)}, check=True, capture_output=True)
    assert log.read_text().splitlines() == ["make test"]


def test_ci_run_fails_when_the_tests_fail(tmp_path):
    env, _ = _fake_tools(tmp_path, make_status=3)
    proc = subprocess.run([str(CI_RUN)], env={**env, "CHROMIUM": "/bin/sh"}, capture_output=True)
    assert proc.returncode == 3


# --- a strict build, and links that resolve ------------------------------------------------------

def test_site_build_treats_warnings_as_errors(monkeypatch, tmp_path):
    """`python -m safecity build` runs `jupyter-book build -W`: a broken reference fails the build."""
    seen = []

    class FakeBuild:
        """jupyter-book, as build_site starts it (a process group of its own), reporting a warning."""

        def __init__(self, command, **kwargs):
            seen.append(command)
            self.pid, self.returncode = 0, 1

        def communicate(self):
            return "", "WARNING: undefined label\n"

    real = subprocess.Popen

    def popen(command, **kwargs):  # git (the site key asks it for the history) runs as it is
        return FakeBuild(command, **kwargs) if Path(command[0]).name == "jupyter-book" else real(command, **kwargs)

    monkeypatch.setattr(pipeline.subprocess, "Popen", popen)
    with pytest.raises(NotebookError, match="WARNING: undefined label"):
        pipeline.build_site(ROOT, tmp_path / "_build", echo=lambda *a: None)
    builds = [c for c in seen if Path(c[0]).name == "jupyter-book"]
    assert builds and "-W" in builds[0]
    assert not (tmp_path / "_build").exists(), "a failed build must not leave a site behind"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src"):
            if attrs.get(name) and not (tag == "link" and attrs.get("rel") in ("canonical",)):
                self.refs.append(attrs[name])


def _parse(path: Path) -> _Links:
    links = _Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def test_internal_links_and_anchors_resolve(built_site):
    """Every relative link of every page points at a file of the site, and at an element that exists."""
    parsed: dict[Path, _Links] = {}
    broken = []
    pages = [p for p in sorted(built_site.rglob("*.html")) if "_static" not in p.relative_to(built_site).parts]
    for page in pages:
        links = parsed.setdefault(page, _parse(page))
        for ref in links.refs:
            parts = urllib.parse.urlsplit(ref)
            if parts.scheme or parts.netloc:
                continue  # data:, mailto:, and outside links (which test_site checks are not loaded)
            target = (page.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or built_site.resolve() not in [target, *target.parents]:
                broken.append(f"{page.relative_to(built_site)}: {ref} (no such file in the site)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed.setdefault(target, _parse(target)).ids
                if urllib.parse.unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(built_site)}: {ref} (no element #{parts.fragment})")
    assert not broken, "\n".join(broken)
