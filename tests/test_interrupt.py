"""SIGTERM is handled as Ctrl-C is: one line, every process the run started ended (kernels included), its
temporary folders cleared, exit status 143."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time

import psutil
import pytest

from safecity import kernels, pipeline

from conftest import DATA, ROOT
from test_pipeline import project, site_project  # noqa: F401 - fixtures: a minimal book

NOTEBOOK = "05_sources"  # nothing to check beforehand: the run reaches its kernel quickly


def _kernels(family: list[psutil.Process]) -> list[psutil.Process]:
    """The kernels: forked from the runner's fork server, they go by `kernels.PROCESS_NAME`."""
    found = []
    for process in family:
        try:
            if process.name() == kernels.PROCESS_NAME or "ipykernel" in " ".join(process.cmdline()):
                found.append(process)
        except psutil.Error:
            continue
    return found


def _ended(process: psutil.Process) -> bool:
    """Gone, or a zombie no longer running (waiting for whichever process adopted it to collect its status)."""
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and process groups as on Linux")
def test_sigterm_during_a_notebook_ends_everything_with_one_line_and_exit_143(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    work = pipeline.work_root(ROOT, data)
    proc = subprocess.Popen([sys.executable, "-m", "safecity", "run", "--data-dir", str(data), "--only", NOTEBOOK,
                             "--force", "--jobs", "1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        family: dict[int, psutil.Process] = {}
        for _ in range(6000):  # until its kernel runs (a guard against a hang, not a measured time)
            assert proc.poll() is None, proc.communicate()
            with_children = psutil.Process(proc.pid).children(recursive=True)
            family.update((p.pid, p) for p in with_children)
            kernels = _kernels(with_children)
            if kernels:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("no kernel was started")
        assert (work / "book" / ".executing").is_dir() and pipeline.kernel_sockets(work).is_dir()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 143, err
        assert err.splitlines() == ["terminated (SIGTERM): nothing more was run; the last good site and notebooks "
                                    "are as they were"], err
        left = [p for p in family.values() if not _ended(p)]
        assert left == [], [p.cmdline() for p in left]
        assert all(_ended(kernel) for kernel in kernels)
        assert not (work / "book" / ".executing").exists()
        assert not pipeline.kernel_sockets(work).exists()
        assert not (work / "book" / f"{NOTEBOOK}.ipynb").exists() or \
            (work / "book" / f"{NOTEBOOK}.ipynb").read_bytes() == (ROOT / "book" / f"{NOTEBOOK}.ipynb").read_bytes()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        shutil.rmtree(work, ignore_errors=True)


BUILD = ("import sys; from pathlib import Path; from safecity import pipeline; from safecity.errors import Terminated, "
         "on_sigterm; root = Path(sys.argv[1]); on_sigterm()\n"
         "try:\n"
         "    with pipeline.exclusive(root / pipeline.LOCK_FILE, 'book'):\n"
         "        pipeline.run(root / 'data', root=root, jobs=2); pipeline.build_site(root)\n"
         "except Terminated:\n"
         "    print('terminated', file=sys.stderr); sys.exit(143)\n")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and process groups as on Linux")
def test_sigterm_during_the_site_build_ends_it_and_keeps_the_last_good_site(site_project):
    """The pipeline's own way out (as `python -m safecity build` takes it): the site build's process ended, the
    staging folder cleared, the last good site in place."""
    from test_pipeline import _page, _until

    project = site_project
    pipeline.run(project / "data", root=project, echo=lambda _: None)
    pipeline.build_site(project, echo=lambda _: None)
    (project / "data" / "raw" / "y" / "value.txt").write_text("100\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", BUILD, str(project)], cwd=project, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        family: dict[int, psutil.Process] = {}

        def building() -> bool:
            family.update((p.pid, p) for p in psutil.Process(proc.pid).children(recursive=True))
            return (project / "_build.staging").exists() and any(
                "jupyter-book" in " ".join(p.cmdline()) for p in family.values() if not _ended(p))

        _until(building, proc)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 143 and err.splitlines() == ["terminated"], err
        assert [p for p in family.values() if not _ended(p)] == []
        assert not (project / "_build.staging").exists() and not (project / "_build.old").exists()
        assert "22" in _page(project, "b"), "the last good site is in place"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_a_signal_while_a_child_starts_waits_until_the_child_is_known():
    """`signals_held`: SIGTERM and Ctrl-C that come while a child process is being started are raised once it is
    assigned, so the code that must end it can; after the block, they are raised at once again."""
    from safecity.errors import Terminated, on_sigterm, signals_held

    previous = on_sigterm()
    try:
        started = []
        with pytest.raises(Terminated):
            with signals_held():
                signal.raise_signal(signal.SIGTERM)
                started.append("child")  # still runs: the signal waits for the block's end
        assert started == ["child"]
        on_sigterm()
        with pytest.raises(KeyboardInterrupt):
            with signals_held():
                signal.raise_signal(signal.SIGINT)
                started.append("another")
        assert started == ["child", "another"]
        with pytest.raises(Terminated):
            signal.raise_signal(signal.SIGTERM)  # handlers are as they were
    finally:
        signal.signal(signal.SIGTERM, previous)
