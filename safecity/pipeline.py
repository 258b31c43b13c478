"""Execute the book's notebooks with papermill and build the site, reproducibly and atomically.

Order comes from `_toc.yml`. Each source notebook in `notebooks/` declares, in
its metadata under `safecity`, the inputs it reads (paths relative to the data
directory) and the notebooks it must run after. A notebook's execution is keyed
on its source, its parameters, the content of its inputs (and of the files its
file-valued parameters name) and the `safecity` code; an unchanged key reuses the
committed executed copy without a kernel.

The keys live in one small manifest beside the executed notebooks (`book/run-keys.json`),
not in the notebooks: a re-run whose notebook comes out byte-identical leaves the
committed file alone, so a code change that moves no output changes only the manifest.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import graphlib
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from . import ROOT
from .errors import DataError, NotebookError, Problem, on_sigterm, signals_held
from .packages import display_path
from .validate import yaml_label_problems

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
    #: Parameters whose values name files or folders: parameter → the folder (relative to the data folder) they
    #: are relative to. What they name is part of the notebook's key, and must stay inside the data folder.
    file_parameters: dict[str, str] = field(default_factory=dict)


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
                              inputs=list(meta.get("inputs", [])), after=list(meta.get("after", [])),
                              file_parameters=dict(meta.get("file_parameters", {}))))
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
        text = Path(params_file).read_text(encoding="utf-8")
        overrides = yaml.safe_load(text) or {}
    except FileNotFoundError:
        raise DataError(Problem(shown, "missing file"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(Problem(shown, f"not valid YAML: {str(exc).splitlines()[0]}"))
    if not isinstance(overrides, dict):
        raise DataError(Problem(shown, "expected a mapping of notebook name to parameters"))
    if labels := yaml_label_problems(text, shown):  # no invisible or control characters
        raise DataError(labels)
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


#: Modules no notebook runs (command line, data fetch, benchmark, browser checker): editing them re-runs nothing.
NOT_NOTEBOOK_CODE = {"__main__.py", "fetch.py", "bench.py", "sitecheck.py", "history.py", "corrections.md"}


def code_hash(root: Path = ROOT) -> str:
    """Hash of the `safecity` package source and its prose templates: a change to any module a notebook may
    run, or to any page's words, invalidates every notebook."""
    modules = [p for p in sorted(Path(root, "safecity").rglob("*"))
               if p.name not in NOT_NOTEBOOK_CODE
               and (p.suffix == ".py" or (p.suffix == ".md" and p.parent.name == "templates"))]
    return _hash_paths(modules, root)


def inputs_hash(data_dir: Path, inputs: list[str]) -> str:
    files: list[Path] = []
    for entry in inputs:
        path = Path(data_dir, entry)
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return _hash_paths(files, Path(data_dir))


def _named_paths(value) -> list[str]:
    """The paths a file-valued parameter names: a text, or the texts in a list or mapping ('' names none)."""
    values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and v]


def parameter_files(nb: Notebook, parameters: dict, data_dir: Path) -> dict[str, list[tuple[str, Path]]]:
    """For each file-valued parameter the notebook declares: (value, resolved path) of every path it names."""
    given = default_parameters(nb.source) | parameters if nb.file_parameters else {}
    return {name: [(v, Path(data_dir, base, v).resolve()) for v in _named_paths(given.get(name))]
            for name, base in sorted(nb.file_parameters.items())}


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
    # What a file-valued parameter names (inside the data folder: `plan` refuses the rest), by content.
    inside = Path(data_dir).resolve()
    named = sorted({p.relative_to(inside).as_posix() for paths in parameter_files(nb, parameters, data_dir).values()
                    for _, p in paths if p.is_relative_to(inside)})
    digest.update(inputs_hash(inside, named).encode())
    digest.update(records_hash(nb).encode())
    digest.update(code.encode())
    return digest.hexdigest()


def overridden(defaults: dict, overrides: dict) -> list[str]:
    """The parameters a parameter file set to something other than the notebook's default."""
    return sorted(k for k, v in overrides.items() if defaults.get(k) != v)


#: The manifest of run keys in a book folder: executed notebook name → the key it was produced under.
KEYS_FILE = "run-keys.json"


def read_keys(book_dir: Path) -> dict[str, str]:
    """The run keys recorded in `book_dir` (none when the manifest is missing or unreadable: all stale)."""
    try:
        keys = json.loads(Path(book_dir, KEYS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return keys if isinstance(keys, dict) else {}


def write_keys(book_dir: Path, keys: dict[str, str]) -> None:
    """Write the manifest atomically, sorted and one key a line, so its diff names the notebooks whose key moved."""
    fd, tmp = tempfile.mkstemp(prefix=".run-keys-", suffix=".json", dir=book_dir)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(json.dumps(dict(sorted(keys.items())), indent=1) + "\n")
    os.replace(tmp, Path(book_dir, KEYS_FILE))


def stored_key(output: Path) -> str | None:
    """The key the executed notebook `output` was produced under, from its folder's manifest (None: stale)."""
    if not output.exists():
        return None
    return read_keys(output.parent).get(output.name.removesuffix(".ipynb"))


def normalize(nb: nbformat.NotebookNode, source_rel: str, output_rel: str) -> nbformat.NotebookNode:
    """Strip everything volatile so the same inputs give a byte-identical notebook; hide set-up cells."""
    nb = copy.deepcopy(nb)
    pm_meta = nb.metadata.get("papermill", {})
    for volatile in ("start_time", "end_time", "duration", "exception", "environment_variables", "version"):
        pm_meta.pop(volatile, None)
    pm_meta["input_path"] = source_rel
    pm_meta["output_path"] = output_rel
    nb.metadata.get("language_info", {}).pop("version", None)
    nb.metadata.get("safecity", {}).pop("cache_key", None)  # keys live in the manifest (`KEYS_FILE`)
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


#: Seconds one cell may run before the notebook fails, saying so (unset: 1800, far above any real cell).
CELL_TIMEOUT = "SAFECITY_CELL_TIMEOUT"


def cell_timeout() -> float:
    """The cell time limit (`SAFECITY_CELL_TIMEOUT`, seconds); NotebookError when it is not a positive number."""
    text = os.environ.get(CELL_TIMEOUT, "1800")
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise NotebookError(f"{CELL_TIMEOUT} must be a number of seconds above 0, not {text!r}")
    return value


def _one_line(text, limit: int = 400) -> str:
    """An error message on one line: its lines joined (a message cut to its last line says nothing), at most
    `limit` characters."""
    line = " / ".join(part.strip() for part in str(text).splitlines() if part.strip(" -\t"))
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _cell_said(number, source: str) -> str:
    """A cell as a reader finds it: its number and its first line of code."""
    first = next((line.strip() for line in str(source).splitlines() if line.strip()), "")
    return f"cell {number}" + (f" ({first[:60] + ('…' if len(first) > 60 else '')})" if first else "")


def _execute(nb: Notebook, parameters: dict, root: Path, scratch: Path, sockets: Path) -> None:
    """Run one notebook with papermill into a temporary file in `scratch`, normalise it, then move it into place,
    unless the executed copy in place is byte-identical already (then the file is left alone).

    Runs in a job slot's runner (`_worker`), in a kernel forked from its warm fork server (`kernels`); the kernel's
    sockets go in a folder under `sockets`."""
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    from .kernels import WARNINGS_ARE_ERRORS, ForkedKernelManager

    fd, tmp = tempfile.mkstemp(suffix=".ipynb", dir=scratch)
    os.close(fd)
    # The kernel talks to us over local sockets (IPC), not TCP: nothing listens on the network, no port
    # can be taken by another process, and ipykernel has no unencrypted-TCP warning to print. The kernel's
    # own log is kept to critical messages: jupyter_client interrupts every kernel before shutting it down,
    # which it may log as an error; a failing cell or a dead kernel reaches us through papermill either way.
    config = Config({"KernelManager": {"transport": "ipc",
                                       "ip": os.path.join(tempfile.mkdtemp(dir=sockets), "kernel")},
                     "NotebookClient": {"kernel_manager_class": ForkedKernelManager}})
    kernel_args = ["--IPKernelApp.log_level=CRITICAL", f"--IPKernelApp.exec_lines={WARNINGS_ARE_ERRORS}"]
    # On our side, jupyter_client's message streams can log a message that arrives while the kernel shuts down
    # (after a failing cell, on a loaded machine) as an "Uncaught exception in ZMQStream callback" with a
    # traceback. The failure itself reaches us through papermill, so that noise stays out of the one-line report.
    logging.getLogger("tornado.general").setLevel(logging.CRITICAL)
    shown = display_path(nb.source)
    timeout = cell_timeout()
    running: dict = {}  # the cell being executed, for a message that names it

    def started(cell, cell_index, **_):
        running.update(cell=cell, index=cell_index)

    try:
        try:
            for attempt in (1, 2):
                try:
                    papermill.execute_notebook(str(nb.source), tmp, parameters=parameters, cwd=str(nb.output.parent),
                                               kernel_name="python3", progress_bar=False, log_output=False,
                                               start_timeout=180, config=config, extra_arguments=kernel_args,
                                               execution_timeout=timeout, on_cell_execute=started)
                    break
                except RuntimeError as exc:
                    # A kernel that never answered (a loaded machine): one fresh try.
                    if attempt == 2 or "didn't respond" not in str(exc):
                        raise NotebookError(f"{shown}: the kernel failed: {_one_line(exc)}") from None
        except PapermillExecutionError as exc:
            cell = exc.exec_count if exc.exec_count is not None else exc.cell_index
            what = "warned (a warning is an error)" if exc.ename.endswith("Warning") else "raised"
            raise NotebookError(f"{shown}: {_cell_said(cell, exc.source)} {what} {exc.ename}: "
                                f"{_one_line(exc.evalue)}") from None
        except CellTimeoutError:
            cell = running.get("cell", {})
            raise NotebookError(f"{shown}: {_cell_said(cell.get('execution_count') or running.get('index'), cell.get('source', ''))} "
                                f"timed out after {timeout:g} s (the limit is {CELL_TIMEOUT})") from None
        except DeadKernelError:
            cell = running.get("cell", {})
            raise NotebookError(f"{shown}: the kernel died while {_cell_said(cell.get('execution_count') or running.get('index'), cell.get('source', ''))} "
                                "ran (out of memory?)") from None
        executed = nbformat.read(tmp, as_version=4)
        for index, cell in enumerate(executed.cells):
            for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
                if output.get("output_type") == "stream" and output.get("name") == "stderr" and output.text.strip():
                    # Logged warnings and the like: never published on a page.
                    raise NotebookError(f"{shown}: {_cell_said(cell.get('execution_count') or index, cell.source)} "
                                        f"wrote to stderr: {output.text.strip().splitlines()[0]}")
        clean = normalize(executed, nb.source.relative_to(root).as_posix(),
                          nb.output.relative_to(nb.output.parent.parent).as_posix())
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            nbformat.write(clean, handle)
        # Nothing moved: the committed copy stays untouched (its bytes, and its file), so git shows no change.
        if not (nb.output.exists() and Path(tmp).read_bytes() == nb.output.read_bytes()):
            os.replace(tmp, nb.output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _worker() -> int:
    """A job slot's runner (`_Runner`): executes the notebooks it is sent, one after another, each as a JSON line
    on stdin, and answers each with a JSON line on stdout: "" when done, else the failure in one line. Exit 0 at
    the end of its input, 130 when interrupted (nothing more said). Its kernels are forked from one warm fork
    server (`kernels`), started as the runner starts and ended, with every kernel, before it exits."""
    from . import kernels

    on_sigterm()  # a SIGTERM sent to the whole process group ends this notebook as Ctrl-C does: its kernel shut down
    try:
        kernels.warm()  # before the first notebook arrives: a build starts its slots while its check runs
        for line in sys.stdin:
            args = json.loads(line)
            nb = Notebook(name=args["name"], source=Path(args["source"]), output=Path(args["output"]))
            try:
                _execute(nb, args["parameters"], Path(args["root"]), Path(args["scratch"]), Path(args["sockets"]))
                said = ""
            except NotebookError as exc:
                said = _one_line(exc)
            except Exception as exc:  # anything else still ends as one line (all of it), not a traceback
                said = f"{display_path(nb.source)}: {type(exc).__name__}: {_one_line(exc)}"
            print(json.dumps(said), flush=True)
    except KeyboardInterrupt:
        return 130
    finally:
        kernels.stop()
    return 0


class _Runner:
    """One job slot: a process (`_worker`) that executes notebooks one at a time, so Python, papermill and the
    kernels' fork server start once per slot, not once per notebook; no kernel-client state is shared with this
    process. It inherits the locks this run holds, so a run killed while it still runs keeps the next run waiting
    until it ends: two runs never write the same files."""

    def __init__(self):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent),
                                                                         os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([sys.executable, "-c", "import sys; from safecity.pipeline import _worker; "
                                      "sys.exit(_worker())"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env, pass_fds=tuple(_HELD.values()))
        # Its stderr is read as it comes (a full pipe would stall it); the last lines say why, if it dies.
        self.said: collections.deque[str] = collections.deque(maxlen=20)
        self.reader = threading.Thread(target=lambda: self.said.extend(self.proc.stderr), daemon=True)
        self.reader.start()

    def execute(self, nb: Notebook, parameters: dict, folders: dict[str, str]) -> None:
        """Execute `nb` in this slot; raise NotebookError (one line) if it failed or the slot's process died.
        `folders`: the project's root, the run's scratch and sockets folders."""
        task = {"name": nb.name, "source": str(nb.source), "output": str(nb.output), "parameters": parameters}
        try:
            self.proc.stdin.write(json.dumps(task | folders) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
        except (BrokenPipeError, ValueError):
            answer = ""
        if answer:
            if error := json.loads(answer):
                raise NotebookError(error)
            return
        status = self.proc.wait()
        self.reader.join()
        lines = [line.strip() for line in self.said if line.strip()]
        if status < 0:  # ended by a signal: say which (the kernel's machine may have run out of memory)
            name = signal.Signals(-status).name
            raise NotebookError(f"{display_path(nb.source)}: the process executing it was ended by {name}"
                                + (" (out of memory?)" if name == "SIGKILL" else "") + (f": {lines[-1]}" if lines else ""))
        raise NotebookError(f"{display_path(nb.source)}: the process executing it ended with status {status}"
                            + (f": {lines[-1]}" if lines else ""))

    def close(self) -> None:
        """End the slot: no more notebooks; wait for its process (which ends its kernels first)."""
        with contextlib.suppress(BrokenPipeError, OSError):
            self.proc.stdin.close()
        self.proc.wait()
        self.reader.join()


class Slots:
    """Up to `jobs` job slots (`_Runner`), reused from notebook to notebook; `run` blocks a thread until its notebook
    is done. `start` opens slots ahead of need: a build does so while its check runs (before any notebook runs, and
    after it holds the work folder's lock, which the slots' processes inherit). `close` ends them all."""

    def __init__(self, jobs: int | None = None):
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.idle: list[_Runner] = []
        self.started: list[_Runner] = []
        self.lock = threading.Lock()

    def start(self) -> "Slots":
        with self.lock, signals_held():  # a runner started is always in `started`, where an interrupt ends it
            while len(self.started) < self.jobs:
                self.started.append(_Runner())
                self.idle.append(self.started[-1])
        return self

    def run(self, nb: Notebook, parameters: dict, folders: dict[str, str]) -> None:
        with self.lock:
            runner = self.idle.pop(0) if self.idle else None
            if runner is None:
                runner = _Runner()
                self.started.append(runner)
        try:
            runner.execute(nb, parameters, folders)
        finally:
            with self.lock:
                if runner.proc.poll() is None:
                    self.idle.append(runner)

    def processes(self) -> list[subprocess.Popen]:
        return [runner.proc for runner in self.started]

    def close(self) -> None:
        for runner in self.started:
            runner.close()
        self.started, self.idle = [], []

    def __enter__(self) -> "Slots":
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is not None and issubclass(kind, KeyboardInterrupt):  # Ctrl-C, or SIGTERM (`errors.Terminated`)
            end_processes(self.processes())
        self.close()


def end_processes(procs: list[subprocess.Popen], grace: float = 10.0) -> None:
    """End the notebooks' processes and the kernels they started. Each is asked to stop (SIGINT, as Ctrl-C from a
    terminal would: it shuts its kernel down); whatever is still running after `grace` seconds is killed, a kernel
    with its process group (it leads one). `kill -INT` or `kill -TERM` of this process alone reaches no child."""
    import psutil

    kernels = []  # found now: once their notebook's process has ended, nothing leads from here to them
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            kernels += psutil.Process(proc.pid).children(recursive=True)
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    _, alive = psutil.wait_procs(kernels, timeout=max(0.0, deadline - time.monotonic()))
    for kernel in alive:
        with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
            if os.getpgid(kernel.pid) == kernel.pid and kernel.pid != os.getpgrp():
                os.killpg(kernel.pid, signal.SIGKILL)
            else:
                kernel.kill()
    psutil.wait_procs(alive, timeout=5)


# --------------------------------------------------------------------------- one run at a time, nothing left behind

#: Lock files held by this process (path → open descriptor): taking one again is a no-op (`exclusive`).
_HELD: dict[str, int] = {}
LOCK_FILE = ".safecity.lock"


@contextlib.contextmanager
def exclusive(lock: Path, what: str):
    """Hold `lock` (an flock on that file) for the block: one run or site build at a time per folder. Another
    process holding it is named on one line, then waited for. The lock ends with the process holding it
    (and its children), however it ends, so a killed run never blocks the next one."""
    import fcntl

    key = str(Path(lock).resolve())
    if key in _HELD:
        yield
        return
    Path(lock).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 1000, 0).decode("utf-8", "replace").strip() or "another process"
            print(f"waiting for the build already using {what} ({holder}) to finish", file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {time.strftime('%H:%M:%S')}: "
                      f"{' '.join(['python -m safecity'] + sys.argv[1:])}".encode(), 0)
        _HELD[key] = fd
        try:
            yield
        finally:
            del _HELD[key]
    finally:
        os.close(fd)  # releases the lock (children that inherited it keep it until they end)


def kernel_sockets(work: Path) -> Path:
    """The folder for the kernels' sockets of runs in `work`: in the system's temporary folder (a socket path must
    be short), one per user and work folder, so the next run there finds and clears whatever a killed run left."""
    tag = hashlib.sha256(str(Path(work).resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir(), f"safecity-{os.getuid()}-{tag}")


@contextlib.contextmanager
def scratch_folders(work: Path):
    """The run's temporary folders, (notebooks, sockets): created empty (clearing what a killed run left; the
    caller holds the work folder's lock) and removed on every way out of the block."""
    scratch, sockets = Path(work, BOOK, ".executing"), kernel_sockets(work)
    for folder in (scratch, sockets):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, mode=0o700)
    try:
        yield scratch, sockets
    finally:
        for folder in (scratch, sockets):
            shutil.rmtree(folder, ignore_errors=True)


#: Where runs on other data folders execute and build: one folder per data folder, outside `book/`.
RUNS = "_build-runs"
#: Files of the book folder that a run writes; a run folder keeps its own once it has them.
GENERATED = ("results", "_static/downloads", KEYS_FILE)


def work_root(root: Path, data_dir: Path, params_file: Path | None = None, update_book: bool = False) -> Path:
    """The folder a run on `data_dir` executes into and builds from: the project itself for its own `data/` with
    its own parameters (or with a parameter file and `update_book`), else `_build-runs/<folder name>-<hash of its
    path>/`, so the committed notebooks in `book/` never change."""
    data_dir = Path(data_dir).resolve()
    if data_dir == Path(root, "data").resolve() and (params_file is None or update_book):
        return Path(root)
    tag = hashlib.sha256(str(data_dir).encode()).hexdigest()[:8]
    return Path(root, RUNS, f"{data_dir.name}-{tag}")


def prepare_work(root: Path, work: Path) -> Path:
    """Make the work folder `work`: `_config.yml`, `_toc.yml` and a copy of `book/` (pages, static files,
    and the committed executed notebooks, results and downloads, which notebooks whose inputs did not
    change keep: the cache keys on contents). Pages are refreshed on every run; generated files are not."""
    if work == Path(root):
        return work
    names = [Path(name) for name in ("_config.yml", "_toc.yml") if Path(root, name).exists()]
    book = Path(root, BOOK)
    names += [path.relative_to(root) for path in sorted(book.rglob("*"))
              if path.is_file() and ".executing" not in path.parts]
    # A folder without the keys' manifest (new, or left by an older version) takes every generated file afresh:
    # the manifest copied from book/ holds for book/'s executed notebooks, results and downloads only.
    fresh = not Path(work, BOOK, KEYS_FILE).exists()
    for rel in names:
        target = work / rel
        inside = rel.relative_to(BOOK).as_posix() if rel.parts[0] == BOOK else ""
        generated = (rel.suffix == ".ipynb" and rel.parent == Path(BOOK)) or \
            any(inside == g or inside.startswith(g + "/") for g in GENERATED)
        if target.exists() and ((generated and not fresh) or target.read_bytes() == Path(root, rel).read_bytes()):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(root, rel), target)
    return work


def plan(data_dir: Path, books: list[Notebook], params_file: Path | None) -> dict[str, tuple[Notebook, dict]]:
    """Each notebook with the parameters it runs with (defaults, then the file's overrides, then `data_dir`);
    raises DataError for a bad parameter file or notebooks that wait on each other in a cycle."""
    overrides = load_overrides(params_file, books)
    found = {}
    problems = []
    for nb in books:
        params = {"data_dir": os.path.relpath(Path(data_dir).resolve(), nb.output.parent.resolve()).replace(os.sep, "/")}
        params.update(overrides.get(nb.name, {}))
        defaults = default_parameters(nb.source)
        if "overridden" in defaults:  # a chapter says at its top when it ran with other parameters
            params["overridden"] = overridden(defaults, overrides.get(nb.name, {}))
        found[nb.name] = (nb, params)
        for key, paths in parameter_files(nb, params, data_dir).items():
            for value, path in paths:
                if not path.is_relative_to(Path(data_dir).resolve()):
                    where = params_file if key in overrides.get(nb.name, {}) else nb.source
                    problems.append(Problem(display_path(where), f"{nb.name}: parameter '{key}' names {value!r}, "
                                                                 f"outside the data folder {display_path(data_dir)}"))
    if problems:
        raise DataError(problems)
    try:
        order(found)
    except graphlib.CycleError as exc:
        raise DataError(Problem(display_path(Path(books[0].source.parent)),
                                f"notebooks wait on each other in a cycle: {' → '.join(exc.args[1])}"))
    return found


def order(planned: dict[str, tuple[Notebook, dict]]) -> graphlib.TopologicalSorter:
    """The notebooks' order from the `after` each declares (prepared: raises graphlib.CycleError on a cycle)."""
    sorter = graphlib.TopologicalSorter({name: [d for d in nb.after if d in planned]
                                         for name, (nb, _) in planned.items()})
    sorter.prepare()
    return sorter


def select(books: list[Notebook], only: list[str] | None) -> list[Notebook]:
    """The notebooks `--only` names (all when None); an unknown name is a DataError."""
    if not only:
        return books
    unknown = sorted(set(only) - {nb.name for nb in books})
    if unknown:
        raise DataError(Problem("--only", f"unknown notebook(s): {', '.join(unknown)} "
                                          f"(known: {', '.join(nb.name for nb in books)})"))
    return [nb for nb in books if nb.name in only]


def run(data_dir: Path, *, root: Path = ROOT, params_file: Path | None = None, force: bool = False,
        jobs: int | None = None, only: list[str] | None = None, update_book: bool = False,
        echo=print, slots: Slots | None = None) -> list[tuple[str, str, float]]:
    """Execute every notebook whose cache key changed. Returns (name, status, seconds) per notebook.

    `only` restricts the run to the named notebooks (their dependencies are not re-run). A data folder
    other than the project's `data/`, or a parameter file, runs in its own work folder (`work_root`), never
    in `book/` (unless `update_book`). One run at a time per work folder (`exclusive`). `slots`: job slots
    opened before (`Slots.start`), which the run uses and the caller closes; by default the run opens and closes
    its own, `jobs` of them.
    """
    work = work_root(root, data_dir, params_file, update_book)
    cell_timeout()  # a bad setting is said once, before anything runs
    with exclusive(work / LOCK_FILE, display_path(work / BOOK)), scratch_folders(work) as (scratch, sockets):
        books = select(notebooks(root, prepare_work(root, work)), only)
        planned = plan(data_dir, books, params_file)
        folders = {"root": str(root), "scratch": str(scratch), "sockets": str(sockets)}
        if slots is not None:
            return _run_planned(planned, Path(data_dir), root, force, slots, folders, echo)
        with Slots(jobs) as own:
            return _run_planned(planned, Path(data_dir), root, force, own, folders, echo)


def up_to_date(data_dir: Path, *, root: Path = ROOT, params_file: Path | None = None,
               update_book: bool = False) -> bool:
    """Whether a run would find every notebook's recorded key equal to its key now, so nothing would run.

    A key is recorded only when its notebook ran without fault, after `check` passed on the same inputs,
    parameters and code; so when every key holds, `check` would pass again and a build need not repeat it."""
    work = work_root(root, data_dir, params_file, update_book)
    if not Path(work, BOOK, KEYS_FILE).exists():
        return False
    books = notebooks(root, work)
    try:
        planned = plan(data_dir, books, params_file)
    except DataError:
        return False  # `check` says why
    code = code_hash(root)
    return all(stored_key(nb.output) == cache_key(nb, params, Path(data_dir), code) for nb, params in planned.values())


def unchanged(planned: dict[str, tuple[Notebook, dict]], data_dir: Path, root: Path = ROOT) -> set[str]:
    """The notebooks a run would not execute: each one's recorded key equals its key now, and so does every
    notebook's it runs after (whose record it reads). A key is recorded only after the check passed on the same
    inputs, parameters and code, so such a notebook need not be checked again (`python -m safecity build`)."""
    code, same = code_hash(root), set()
    for name in graphlib.TopologicalSorter({n: [d for d in nb.after if d in planned]
                                            for n, (nb, _) in planned.items()}).static_order():
        nb, params = planned[name]
        if all(d in same for d in nb.after if d in planned) and \
                stored_key(nb.output) == cache_key(nb, params, Path(data_dir), code):
            same.add(name)
    return same


def _run_planned(planned, data_dir, root, force, slots: Slots, folders, echo) -> list[tuple[str, str, float]]:
    results: dict[str, tuple[str, str, float]] = {}
    total = len(planned)

    def report(name: str, status: str, seconds: float):
        results[name] = (name, status, seconds)
        echo(f"[{len(results)}/{total}] {name:<28} {status:<7} {seconds:6.1f}s")

    code = code_hash(root)
    sorter = order(planned)
    ready: list[str] = []
    running: dict = {}  # future -> (name, started)
    keys: dict[str, str] = {}  # name -> the key of the notebook running under it
    failure = None
    # As many notebooks run at once as there are job slots, each in a slot's process (`Slots`); a thread per
    # running notebook waits for it.
    jobs = slots.jobs
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        try:
            while True:
                ready += [name for name in sorter.get_ready()]
                while ready and failure is None:
                    name = ready[0]
                    nb, params = planned[name]
                    # Keyed only now: a notebook that reads other notebooks' records is keyed on them as they are.
                    key = cache_key(nb, params, data_dir, code)
                    if not force and stored_key(nb.output) == key:
                        ready.pop(0)
                        report(name, "cached", 0.0)
                        sorter.done(name)
                        ready += [n for n in sorter.get_ready()]
                        continue
                    if len(running) >= jobs:
                        break
                    ready.pop(0)
                    running[pool.submit(slots.run, nb, params, folders)] = (name, time.perf_counter())
                    keys[name] = key
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    name, started = running.pop(future)
                    try:
                        future.result()
                    except NotebookError as exc:
                        report(name, "FAILED", 0.0)
                        failure = failure or exc
                    else:
                        report(name, "ran", time.perf_counter() - started)
                        # Recorded as each one finishes, so a run cut short keeps the keys of what it did.
                        planned_nb = planned[name][0]
                        write_keys(planned_nb.output.parent, read_keys(planned_nb.output.parent) | {name: keys[name]})
                        sorter.done(name)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (`errors.Terminated`): nothing more starts
            end_processes(slots.processes())
            raise
    if failure is not None:
        raise failure
    return [results[name] for name in planned if name in results]


SITE_KEY_FILE = ".safecity-site-key"


def site_key(root: Path = ROOT) -> str:
    """Hash of everything the site is built from: config, toc, pages, executed notebooks, static files,
    the pinned environment and this module (which drives the build)."""
    files = [Path(root, name) for name in ("_config.yml", "_toc.yml", "requirements.txt")]
    # Not the run keys' manifest: a key that moved with no notebook changed leaves the site as it is.
    files += sorted(p for p in Path(root, BOOK).rglob("*")
                    if p.is_file() and ".executing" not in p.parts and p != Path(root, BOOK, KEYS_FILE))
    # ... and chart_bundle.py, which writes the charts' script bundle into the static files.
    files += [Path(__file__), Path(__file__).with_name("history.py"), Path(__file__).with_name("diff.py"),
              Path(__file__).with_name("chart_bundle.py"), Path(__file__).with_name("templates") / "corrections.md"]
    digest = hashlib.sha256()
    # The Corrections page and the pages' dates are read from the committed history of the results.
    from . import history

    digest.update(history.digest(root if Path(root, ".git").exists() else ROOT).encode())
    for path in files:
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path.name).encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


def build_site(root: Path = ROOT, output: Path | None = None, echo=print) -> Path:
    """Build the site in a staging folder and swap it in as `output` (default `_build`) only on success.

    One site build at a time per output (`exclusive`); what a killed build left (a staging folder, a site moved
    aside but not yet replaced) is cleared or put back first. The previous build is copied into staging so
    Sphinx can build incrementally.
    """
    final = Path(output) if output else Path(root, "_build")
    staging, old = final.with_name(final.name + ".staging"), final.with_name(final.name + ".old")
    with exclusive(final.with_name(final.name + ".lock"), display_path(final)):
        if old.exists() and not final.exists():
            old.rename(final)  # a build killed between the two renames of the swap: the last good site
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        stamp = final / SITE_KEY_FILE

        def built(key: str) -> bool:
            return (final / "html" / "index.html").exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == key

        # The charts' script bundle is a static file, in the key: when the key holds, it is as the site has it, and
        # charts (with the libraries it loads) need not be imported at all.
        key = site_key(root)
        if not built(key):
            from .chart_bundle import write_bundle

            write_bundle(Path(root, STATIC))
            key = site_key(root)
        if built(key):
            echo(f"site up to date: open {display_path(final / 'html' / 'index.html')}")
            return final / "html"
        if final.exists():
            shutil.copytree(final, staging / "_build", symlinks=True)
        command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(root), "--path-output",
                   str(staging), "-W", "--keep-going"]
        started = time.perf_counter()
        try:
            proc = None
            try:
                # In a process group of its own, so that Ctrl-C or SIGTERM ends it with every process it started;
                # a signal that comes while it starts waits until `proc` names it.
                with signals_held():
                    proc = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            text=True, pass_fds=tuple(_HELD.values()), process_group=0)
                said = "".join(proc.communicate())
            except BaseException:
                if proc is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                raise
            if proc.returncode != 0:
                lines = [line for line in said.splitlines() if "WARNING" in line or "ERROR" in line]
                detail = "\n".join(lines[-20:]) or said[-2000:]
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
            if final.exists():
                final.rename(old)
            (staging / "_build").rename(final)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        echo(f"site built in {time.perf_counter() - started:.1f}s: open {display_path(final / 'html' / 'index.html')}")
    return final / "html"
