"""Execute the book's notebooks with papermill and build the site, reproducibly and atomically.

Order comes from `_toc.yml`. Each source notebook in `notebooks/` declares, in
its metadata under `safecity`, the inputs it reads (paths relative to the data
directory) and the notebooks it must run after. A notebook's execution is keyed
on its source, its parameters, the content of its inputs and the `safecity`
code; an unchanged key reuses the committed executed copy without a kernel.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from . import ROOT
from .errors import DataError, NotebookError, Problem
from .validate import display_path

BOOK = "book"
SOURCES = "notebooks"
STATIC = Path(BOOK, "_static")
#: Tags that keep papermill's parameter cells out of the pages (nbval still runs them).
HIDDEN_CELL_TAGS = {"parameters", "injected-parameters"}


@dataclass
class Notebook:
    """One parameterised source notebook and where its executed copy goes."""

    name: str
    source: Path
    output: Path
    inputs: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


def toc_files(root: Path = ROOT) -> list[str]:
    """Every file named in `_toc.yml`, in reading order."""
    toc = yaml.safe_load(Path(root, "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return found


def notebooks(root: Path = ROOT, work: Path | None = None) -> list[Notebook]:
    """The notebooks to execute, in toc order: toc entries under book/ that have a source in notebooks/.

    Their executed copies go to `work/book/` (default: the project's own `book/`).
    """
    found = []
    for entry in toc_files(root):
        name = Path(entry).name.removesuffix(".ipynb")
        source = Path(root, SOURCES, f"{name}.ipynb")
        if Path(entry).parent.as_posix() != BOOK or not source.exists():
            continue
        meta = nbformat.read(source, as_version=4).metadata.get("safecity", {})
        found.append(Notebook(name=name, source=source, output=Path(work or root, BOOK, f"{name}.ipynb"),
                              inputs=list(meta.get("inputs", [])), after=list(meta.get("after", []))))
    return found


def default_parameters(source: Path) -> dict:
    """The parameters a notebook declares (name → default value), read from its `parameters` cell."""
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            namespace: dict = {}
            exec(compile(cell.source, f"{source.name}:parameters", "exec"), {}, namespace)  # noqa: S102 - our own file
            return {k: v for k, v in namespace.items() if not k.startswith("_")}
    raise ValueError(f"{display_path(source)}: no cell tagged 'parameters'")


def load_overrides(params_file: Path | None, books: list[Notebook]) -> dict[str, dict]:
    """Read per-notebook parameter overrides from YAML and check them against each `parameters` cell."""
    if params_file is None:
        return {}
    shown = display_path(params_file)
    try:
        overrides = yaml.safe_load(Path(params_file).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise DataError(Problem(shown, "missing file"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(Problem(shown, f"not valid YAML: {str(exc).splitlines()[0]}"))
    if not isinstance(overrides, dict):
        raise DataError(Problem(shown, "expected a mapping of notebook name to parameters"))
    by_name = {nb.name: nb for nb in books}
    problems = []
    for name, values in overrides.items():
        if name not in by_name:
            problems.append(Problem(shown, f"unknown notebook '{name}' (known: {', '.join(by_name)})"))
            continue
        if not isinstance(values, dict):
            problems.append(Problem(shown, f"'{name}' must map parameter names to values"))
            continue
        defaults = default_parameters(by_name[name].source)
        for key, value in values.items():
            if key == "data_dir":
                problems.append(Problem(shown, f"{name}: set the data directory with --data-dir, not in the file"))
            elif key == "overridden":
                problems.append(Problem(shown, f"{name}: 'overridden' is set by the build, not in the file"))
            elif key not in defaults:
                problems.append(Problem(shown, f"{name}: unknown parameter '{key}' (known: {', '.join(defaults)})"))
            elif not _same_type(defaults[key], value):
                problems.append(Problem(shown, f"{name}: parameter '{key}' must be {type(defaults[key]).__name__}, "
                                               f"got {type(value).__name__} {value!r}"))
    if problems:
        raise DataError(problems)
    return overrides


def _same_type(default, value) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if default is None:
        return True
    return isinstance(value, type(default))


def _hash_paths(paths: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()


#: Modules no notebook runs (command line, benchmark, browser checker): editing them re-runs nothing.
NOT_NOTEBOOK_CODE = {"__main__.py", "bench.py", "sitecheck.py"}


def code_hash(root: Path = ROOT) -> str:
    """Hash of the `safecity` package source: a change to any module a notebook may run, or to any template
    of the pages' words (`safecity/templates/`), invalidates every notebook."""
    modules = [p for p in sorted(Path(root, "safecity").rglob("*"))
               if (p.suffix == ".py" and p.name not in NOT_NOTEBOOK_CODE)
               or (p.suffix == ".md" and p.parent.name == "templates")]
    return _hash_paths(modules, root)


def inputs_hash(data_dir: Path, inputs: list[str]) -> str:
    files: list[Path] = []
    for entry in inputs:
        path = Path(data_dir, entry)
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return _hash_paths(files, Path(data_dir))


def records_hash(nb: Notebook) -> str:
    """Hash of the results records of the notebooks `nb` runs after: the ledger and the downloads page read them."""
    folder = nb.output.parent / "results"
    return _hash_paths([folder / f"{dep}.json" for dep in nb.after], nb.output.parent)


def cache_key(nb: Notebook, parameters: dict, data_dir: Path, code: str) -> str:
    digest = hashlib.sha256()
    digest.update(nb.source.read_bytes())
    # Where the data folder is does not matter, only what is in it (`inputs_hash`).
    digest.update(json.dumps({k: v for k, v in parameters.items() if k != "data_dir"}, sort_keys=True).encode())
    digest.update(inputs_hash(data_dir, nb.inputs).encode())
    digest.update(records_hash(nb).encode())
    digest.update(code.encode())
    return digest.hexdigest()


def overridden(defaults: dict, overrides: dict) -> list[str]:
    """The parameters a parameter file set to something other than the notebook's default."""
    return sorted(k for k, v in overrides.items() if defaults.get(k) != v)


def stored_key(output: Path) -> str | None:
    if not output.exists():
        return None
    try:
        return nbformat.read(output, as_version=4).metadata.get("safecity", {}).get("cache_key")
    except Exception:  # an unreadable executed copy is simply stale
        return None


def normalize(nb: nbformat.NotebookNode, source_rel: str, output_rel: str, key: str) -> nbformat.NotebookNode:
    """Strip everything volatile so the same inputs give a byte-identical notebook; hide set-up cells."""
    nb = copy.deepcopy(nb)
    pm_meta = nb.metadata.get("papermill", {})
    for volatile in ("start_time", "end_time", "duration", "exception", "environment_variables", "version"):
        pm_meta.pop(volatile, None)
    pm_meta["input_path"] = source_rel
    pm_meta["output_path"] = output_rel
    nb.metadata.get("language_info", {}).pop("version", None)
    nb.metadata.setdefault("safecity", {})["cache_key"] = key
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = "injected-parameters"  # papermill gives it a random id
        if cell.cell_type != "code":
            continue
        if HIDDEN_CELL_TAGS & set(tags):
            tags = [t for t in tags if t not in {"hide-input", "remove-cell"}] + ["remove-cell"]
        elif not {"remove-cell", "remove-input", "hide-input", "hide-cell"} & set(tags):
            tags = tags + ["hide-input"]
        cell.metadata["tags"] = tags
    return nb


def _execute(nb: Notebook, parameters: dict, key: str, root: Path) -> float:
    """Run one notebook with papermill into a temporary file, normalise it, then move it into place."""
    import papermill
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    started = time.perf_counter()
    # A hidden folder beside the output: same filesystem for the atomic move, and never collected by pytest.
    scratch = nb.output.parent / ".executing"
    scratch.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".ipynb", dir=scratch)
    os.close(fd)
    # The kernel talks to us over local sockets (IPC), not TCP: nothing listens on the network, no port
    # can be taken by another process, and ipykernel has no unencrypted-TCP warning to print. Each run
    # gets its own socket folder. The kernel's own log is kept to critical messages: jupyter_client
    # interrupts every kernel before shutting it down, which it may log as an error; a failing cell or
    # a dead kernel reaches us through papermill either way.
    sockets = tempfile.mkdtemp(prefix="safecity-kernel-")
    config = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}})
    quiet = ["--IPKernelApp.log_level=CRITICAL"]
    # On our side, jupyter_client's message streams can log a message that arrives while the kernel shuts down
    # (after a failing cell, on a loaded machine) as an "Uncaught exception in ZMQStream callback" with a
    # traceback. The failure itself reaches us through papermill, so that noise stays out of the one-line report.
    stream_log = logging.getLogger("tornado.general")
    stream_level = stream_log.level
    stream_log.setLevel(logging.CRITICAL)
    try:
        try:
            for attempt in (1, 2):
                try:
                    papermill.execute_notebook(str(nb.source), tmp, parameters=parameters, cwd=str(nb.output.parent),
                                               kernel_name="python3", progress_bar=False, log_output=False,
                                               start_timeout=180, config=config, extra_arguments=quiet)
                    break
                except RuntimeError as exc:
                    # A kernel that never answered (a loaded machine): one fresh try.
                    if attempt == 2 or "didn't respond" not in str(exc):
                        raise NotebookError(f"{display_path(nb.source)}: the kernel failed: {exc}") from None
        except PapermillExecutionError as exc:
            cell = exc.exec_count if exc.exec_count is not None else exc.cell_index
            evalue = str(exc.evalue).strip().splitlines()
            raise NotebookError(f"{display_path(nb.source)}: cell {cell} raised {exc.ename}: "
                                f"{evalue[0] if evalue else ''}") from None
        executed = nbformat.read(tmp, as_version=4)
        clean = normalize(executed, nb.source.relative_to(root).as_posix(),
                          nb.output.relative_to(nb.output.parent.parent).as_posix(), key)
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            nbformat.write(clean, handle)
        os.replace(tmp, nb.output)
    finally:
        stream_log.setLevel(stream_level)
        shutil.rmtree(sockets, ignore_errors=True)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return time.perf_counter() - started


#: Where runs on other data folders execute and build: one folder per data folder, outside `book/`.
RUNS = "_build-runs"
#: Files of the book folder that a run writes; a run folder keeps its own once it has them.
GENERATED = ("results", "_static/downloads")


def work_root(root: Path, data_dir: Path) -> Path:
    """The folder a run on `data_dir` executes into and builds from: the project itself for its own `data/`,
    else `_build-runs/<folder name>-<hash of its path>/`, so the committed notebooks in `book/` never change."""
    data_dir = Path(data_dir).resolve()
    if data_dir == Path(root, "data").resolve():
        return Path(root)
    tag = hashlib.sha256(str(data_dir).encode()).hexdigest()[:8]
    return Path(root, RUNS, f"{data_dir.name}-{tag}")


def prepare_work(root: Path, data_dir: Path) -> Path:
    """Make the work folder for `data_dir`: `_config.yml`, `_toc.yml` and a copy of `book/` (pages, static files,
    and the committed executed notebooks, results and downloads, which notebooks whose inputs did not
    change keep: the cache keys on contents). Pages are refreshed on every run; generated files are not."""
    work = work_root(root, data_dir)
    if work == Path(root):
        return work
    names = [Path(name) for name in ("_config.yml", "_toc.yml") if Path(root, name).exists()]
    book = Path(root, BOOK)
    names += [path.relative_to(root) for path in sorted(book.rglob("*"))
              if path.is_file() and ".executing" not in path.parts]
    for rel in names:
        target = work / rel
        inside = rel.relative_to(BOOK).as_posix() if rel.parts[0] == BOOK else ""
        generated = (rel.suffix == ".ipynb" and rel.parent == Path(BOOK)) or \
            any(inside == g or inside.startswith(g + "/") for g in GENERATED)
        if target.exists() and (generated or target.read_bytes() == Path(root, rel).read_bytes()):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(root, rel), target)
    return work


def run(data_dir: Path, *, root: Path = ROOT, params_file: Path | None = None, force: bool = False,
        jobs: int | None = None, only: list[str] | None = None, echo=print) -> list[tuple[str, str, float]]:
    """Execute every notebook whose cache key changed. Returns (name, status, seconds) per notebook.

    `only` restricts the run to the named notebooks (their dependencies are not re-run). A data folder
    other than the project's `data/` runs in its own work folder (`work_root`), never in `book/`.
    """
    books = notebooks(root, prepare_work(root, data_dir))
    if only:
        unknown = sorted(set(only) - {nb.name for nb in books})
        if unknown:
            raise DataError(Problem("--only", f"unknown notebook(s): {', '.join(unknown)} "
                                              f"(known: {', '.join(nb.name for nb in books)})"))
        books = [nb for nb in books if nb.name in only]
    overrides = load_overrides(params_file, books)
    code = code_hash(root)
    plan = {}
    for nb in books:
        params = {"data_dir": os.path.relpath(Path(data_dir).resolve(), nb.output.parent.resolve()).replace(os.sep, "/")}
        params.update(overrides.get(nb.name, {}))
        defaults = default_parameters(nb.source)
        if "overridden" in defaults:  # a chapter says at its top when it ran with other parameters
            params["overridden"] = overridden(defaults, overrides.get(nb.name, {}))
        plan[nb.name] = (nb, params)

    results: dict[str, tuple[str, str, float]] = {}
    total = len(books)

    def report(name: str, status: str, seconds: float):
        results[name] = (name, status, seconds)
        echo(f"[{len(results)}/{total}] {name:<28} {status:<7} {seconds:6.1f}s")

    pending = [nb.name for nb in books]
    running = {}
    keys: dict[str, str] = {}
    jobs = max(1, jobs or os.cpu_count() or 1)
    # "spawn": each worker is a fresh interpreter, so no kernel-client state is inherited through fork.
    with _resource_tracker_stopped(), \
            ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        failure = None
        while pending or running:
            for name in list(pending):
                nb, params = plan[name]
                if any(dep in pending or dep in running.values() for dep in nb.after if dep in plan):
                    continue
                # Keyed only now: a notebook that reads other notebooks' records is keyed on them as they are.
                if name not in keys:
                    keys[name] = cache_key(nb, params, Path(data_dir), code)
                key = keys[name]
                stale = force or stored_key(nb.output) != key
                if failure is None and not stale:
                    pending.remove(name)
                    report(name, "cached", 0.0)
                elif failure is None and len(running) < jobs:
                    pending.remove(name)
                    running[pool.submit(_execute, nb, params, key, root)] = name
            if failure is not None:
                pending.clear()
            if not running:
                if pending:
                    raise ValueError(f"notebooks wait on each other in a cycle: {', '.join(pending)}")
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                try:
                    report(name, "ran", future.result())
                except NotebookError as exc:
                    report(name, "FAILED", 0.0)
                    failure = failure or exc
                except Exception as exc:  # anything else from a worker still ends as one line, not a traceback
                    report(name, "FAILED", 0.0)
                    failure = failure or NotebookError(f"{display_path(plan[name][0].source)}: "
                                                       f"{type(exc).__name__}: {exc}")
        if failure is not None:
            raise failure
    return [results[nb.name] for nb in books]


@contextlib.contextmanager
def _resource_tracker_stopped():
    """Stop multiprocessing's resource tracker, which the workers' pool starts, once the pool is closed.
    Python 3.11 never waits for it, so it outlives the build and is left as a defunct process under an
    init that does not reap (CPython gh-88887, fixed in later versions). Another pool starts it again."""
    from multiprocessing import resource_tracker

    try:
        yield
    finally:
        resource_tracker._resource_tracker._stop()


SITE_KEY_FILE = ".safecity-site-key"


def site_key(root: Path = ROOT) -> str:
    """Hash of everything the site is built from: config, toc, pages, executed notebooks, static files,
    the pinned environment and this module (which drives the build)."""
    files = [Path(root, name) for name in ("_config.yml", "_toc.yml", "requirements.txt")]
    files += sorted(p for p in Path(root, BOOK).rglob("*") if p.is_file() and ".executing" not in p.parts)
    files.append(Path(__file__))
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path.name).encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


def build_site(root: Path = ROOT, output: Path | None = None, echo=print) -> Path:
    """Build the site in a staging folder and swap it in as `output` (default `_build`) only on success.

    The previous build is copied into staging first so Sphinx can build incrementally.
    """
    from . import charts

    charts.write_bundle(Path(root, STATIC))
    final = Path(output) if output else Path(root, "_build")
    key = site_key(root)
    stamp = final / SITE_KEY_FILE
    if (final / "html" / "index.html").exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == key:
        echo(f"site up to date: open {display_path(final / 'html' / 'index.html')}")
        return final / "html"
    staging = final.with_name(final.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    if final.exists():
        shutil.copytree(final, staging / "_build", symlinks=True)
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(root), "--path-output", str(staging), "-W",
               "--keep-going"]
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "WARNING" in line or "ERROR" in line]
        shutil.rmtree(staging, ignore_errors=True)
        detail = "\n".join(lines[-20:]) or (proc.stdout + proc.stderr)[-2000:]
        raise NotebookError(f"jupyter-book build failed; the previous site was kept.\n{detail}")
    # Sphinx does not re-copy a changed static file on an incremental build: sync them ourselves.
    html = staging / "_build" / "html"
    for path in Path(root, STATIC).rglob("*"):
        if path.is_file():
            target = html / "_static" / path.relative_to(Path(root, STATIC))
            if not target.exists() or target.read_bytes() != path.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
    (staging / "_build" / SITE_KEY_FILE).write_text(key, encoding="utf-8")
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    (staging / "_build").rename(final)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    echo(f"site built in {time.perf_counter() - started:.1f}s: open {display_path(final / 'html' / 'index.html')}")
    return final / "html"
