"""The notebook pipeline: order, cache keys, determinism, failures, parameters, atomic site swap."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from safecity import pipeline
from safecity.errors import DataError, NotebookError

from conftest import ROOT


def _notebook(path: Path, body: str, inputs: list[str], params: str = 'data_dir = "../data"\nscale = 1',
              file_parameters: dict | None = None):
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "safecity": {"inputs": inputs, "after": []}}
    if file_parameters:
        nb.metadata["safecity"]["file_parameters"] = file_parameters
    cells = [new_markdown_cell(f"# {path.stem}"), new_code_cell(params), new_code_cell(body)]
    cells[1].metadata["tags"] = ["parameters"]
    for index, cell in enumerate(cells):
        cell["id"] = f"c{index}"
    nb.cells = cells
    nbformat.write(nb, path)


@pytest.fixture
def project(tmp_path):
    """A minimal book: two chapters reading one input folder each."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n", encoding="utf-8")
    (tmp_path / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: book/intro
        chapters:
          - file: book/a
          - file: book/b
        """), encoding="utf-8")
    for name in ("x", "y"):
        (tmp_path / "data" / "raw" / name).mkdir(parents=True)
        (tmp_path / "data" / "raw" / name / "value.txt").write_text("21\n", encoding="utf-8")
    _notebook(tmp_path / "notebooks" / "a.ipynb",
              'print(int(open(data_dir + "/raw/x/value.txt").read()) * 2 * scale)', ["raw/x"])
    _notebook(tmp_path / "notebooks" / "b.ipynb",
              'print(int(open(data_dir + "/raw/y/value.txt").read()) + scale)', ["raw/y"])
    return tmp_path


def _run(project, **kwargs):
    return {name: status for name, status, _ in pipeline.run(project / "data", root=project, echo=lambda _: None,
                                                               **kwargs)}


def _output_text(work, name):
    nb = nbformat.read(work / "book" / f"{name}.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_toc_order_and_declared_inputs(project):
    books = pipeline.notebooks(project)
    assert [b.name for b in books] == ["a", "b"]
    assert books[0].inputs == ["raw/x"]


def test_run_executes_then_reuses_unchanged_notebooks(project):
    assert _run(project) == {"a": "ran", "b": "ran"}
    assert _output_text(project, "a") == "42\n"
    stamps = {p: p.stat().st_mtime_ns for p in (project / "book").glob("*.ipynb")}
    assert _run(project) == {"a": "cached", "b": "cached"}
    assert stamps == {p: p.stat().st_mtime_ns for p in (project / "book").glob("*.ipynb")}


SNOOP = ('import pandas as pd, safecity\n'
         'print(hasattr(safecity, "left_by_a"), pd.get_option("display.max_columns"), sorted(globals().get("a_was_here", [])))\n'
         'pd.set_option("display.max_columns", 3); safecity.left_by_a = True; a_was_here = [1]')


def test_notebooks_in_one_job_slot_each_get_a_kernel_as_fresh_as_a_new_one(project):
    """Kernels are forked from a warm process, one job slot runs notebook after notebook: what one notebook leaves
    in its kernel (a module attribute, a pandas option, a variable) is not there for the next, and a notebook
    prints what it prints in a kernel started afresh (pandas' defaults are a kernel's, not a terminal's)."""
    import papermill

    for name in ("a", "b"):
        _notebook(project / "notebooks" / f"{name}.ipynb", SNOOP, [f"raw/{'x' if name == 'a' else 'y'}"])
    assert _run(project, jobs=1) == {"a": "ran", "b": "ran"}
    fresh = project / "fresh.ipynb"
    papermill.execute_notebook(str(project / "notebooks" / "b.ipynb"), str(fresh), cwd=str(project / "book"),
                               kernel_name="python3", progress_bar=False)
    expected = "".join(o.get("text", "") for c in nbformat.read(fresh, as_version=4).cells
                       if c.cell_type == "code" for o in c.outputs)
    assert expected == "False 20 []\n"
    assert _output_text(project, "a") == _output_text(project, "b") == expected


def _files(project) -> dict[str, tuple[bytes, int, int]]:
    """Each executed notebook's bytes, modification time and inode: whether the file was left alone."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in (project / "book").glob("*.ipynb")}


def test_changing_one_input_reruns_only_its_notebook(project):
    _run(project)
    keys, before = pipeline.read_keys(project / "book"), _files(project)
    (project / "data" / "raw" / "y" / "value.txt").write_text("100\n", encoding="utf-8")
    assert _run(project) == {"a": "cached", "b": "ran"}
    assert _output_text(project, "b") == "101\n"
    after = pipeline.read_keys(project / "book")
    assert after["a"] == keys["a"] and after["b"] != keys["b"]
    assert _files(project)["a.ipynb"] == before["a.ipynb"]


def test_a_code_change_that_moves_no_output_leaves_every_executed_notebook_untouched(project):
    """The run keys live in one manifest, not in the notebooks: a code change re-runs the notebooks, and those
    that come out the same are left byte-for-byte (and file) alone; only the manifest records the new keys."""
    (project / "safecity").mkdir()
    (project / "safecity" / "helpers.py").write_text("FACTOR = 2\n", encoding="utf-8")
    assert _run(project) == {"a": "ran", "b": "ran"}
    keys, before = pipeline.read_keys(project / "book"), _files(project)
    assert set(keys) == {"a", "b"}
    assert "cache_key" not in (project / "book" / "a.ipynb").read_text(encoding="utf-8")
    (project / "safecity" / "helpers.py").write_text("FACTOR = 2  # the same, reworded\n", encoding="utf-8")
    assert _run(project) == {"a": "ran", "b": "ran"}
    assert _files(project) == before
    after = pipeline.read_keys(project / "book")
    assert after["a"] != keys["a"] and after["b"] != keys["b"]
    assert _run(project) == {"a": "cached", "b": "cached"}
    # A change that moves an output still rewrites that notebook, and only that one.
    _notebook(project / "notebooks" / "b.ipynb", 'print(int(open(data_dir + "/raw/y/value.txt").read()) + 2 * scale)',
              ["raw/y"])
    assert _run(project) == {"a": "cached", "b": "ran"}
    assert _output_text(project, "b") == "23\n" and _files(project)["a.ipynb"] == before["a.ipynb"]


def test_a_run_folder_without_the_manifest_takes_the_books_notebooks_afresh(project, tmp_path_factory):
    """A run on another data folder starts from book/'s executed notebooks and their keys; a run folder that
    has notebooks but no manifest (left by an older version) never pairs book/'s keys with its own notebooks."""
    import shutil

    _run(project)
    other = tmp_path_factory.mktemp("copy") / "data"
    shutil.copytree(project / "data", other)
    run = lambda: {n: s for n, s, _ in pipeline.run(other, root=project, echo=lambda _: None)}  # noqa: E731
    assert run() == {"a": "cached", "b": "cached"}  # the same content: book/'s notebooks hold
    work = pipeline.work_root(project, other)
    (work / "book" / "a.ipynb").write_text("{}", encoding="utf-8")
    (work / "book" / pipeline.KEYS_FILE).unlink()
    assert run() == {"a": "cached", "b": "cached"}
    assert (work / "book" / "a.ipynb").read_bytes() == (project / "book" / "a.ipynb").read_bytes()


def test_up_to_date_holds_only_while_every_recorded_key_holds(project):
    """What lets a build with nothing changed skip `check`: every notebook last ran under the key it has now."""
    assert not pipeline.up_to_date(project / "data", root=project)  # never ran
    _run(project)
    assert pipeline.up_to_date(project / "data", root=project)
    (project / "data" / "raw" / "y" / "value.txt").write_text("100\n", encoding="utf-8")
    assert not pipeline.up_to_date(project / "data", root=project)
    _run(project)
    assert pipeline.up_to_date(project / "data", root=project)
    params = project / "params.yml"
    params.write_text("a:\n  scale: 10\n", encoding="utf-8")
    assert not pipeline.up_to_date(project / "data", root=project, params_file=params)


def test_a_build_checks_again_only_the_notebooks_it_will_execute(project):
    """`unchanged` (the notebooks a build's check skips) holds a notebook only while its key and the keys of the
    notebooks whose records it reads hold: a changed input, or a changed notebook upstream, puts it back."""
    _notebook(project / "notebooks" / "b.ipynb", 'print(int(open(data_dir + "/raw/y/value.txt").read()) + scale)',
              ["raw/y"])
    nb_b = nbformat.read(project / "notebooks" / "b.ipynb", as_version=4)
    nb_b.metadata["safecity"]["after"] = ["a"]
    nbformat.write(nb_b, project / "notebooks" / "b.ipynb")

    def unchanged():
        planned = pipeline.plan(project / "data", pipeline.notebooks(project), None)
        return pipeline.unchanged(planned, project / "data", root=project)

    assert unchanged() == set()  # never ran
    _run(project)
    assert unchanged() == {"a", "b"}
    (project / "data" / "raw" / "y" / "value.txt").write_text("100\n", encoding="utf-8")
    assert unchanged() == {"a"}
    _run(project)
    (project / "data" / "raw" / "x" / "value.txt").write_text("5\n", encoding="utf-8")
    assert unchanged() == set()  # b runs after a, whose record may move


def test_a_file_parameter_is_in_the_key_and_may_not_leave_the_data_folder(project, tmp_path_factory):
    """A parameter that names a file (declared under `file_parameters`) is keyed on that file's content, even
    outside the notebook's declared inputs; a value that leaves the data folder is refused before anything runs."""
    (project / "data" / "extra").mkdir()
    (project / "data" / "extra" / "n.txt").write_text("5\n", encoding="utf-8")
    _notebook(project / "notebooks" / "a.ipynb", 'print(int(open(data_dir + "/" + numbers).read()) * 2)', ["raw/x"],
              params='data_dir = "../data"\nnumbers = "extra/n.txt"', file_parameters={"numbers": ""})
    assert _run(project) == {"a": "ran", "b": "ran"}
    assert _output_text(project, "a") == "10\n"
    (project / "data" / "extra" / "n.txt").write_text("7\n", encoding="utf-8")
    assert _run(project) == {"a": "ran", "b": "cached"}
    assert _output_text(project, "a") == "14\n"
    outside = tmp_path_factory.mktemp("elsewhere") / "n.txt"
    outside.write_text("9\n", encoding="utf-8")
    (project / "data" / "extra" / "link.txt").symlink_to(outside)
    params = project / "params.yml"
    for value in (os.path.relpath(outside, project / "data"), str(outside), "extra/link.txt"):
        params.write_text(f"a:\n  numbers: {json.dumps(value)}\n", encoding="utf-8")
        with pytest.raises(DataError, match=rf"params\.yml: a: parameter 'numbers' names .*, outside the data folder"):
            _run(project, params_file=params)


def test_changing_the_source_notebook_or_force_reruns(project):
    _run(project)
    _notebook(project / "notebooks" / "a.ipynb", 'print("changed")', ["raw/x"])
    assert _run(project) == {"a": "ran", "b": "cached"}
    assert _run(project, force=True) == {"a": "ran", "b": "ran"}


def test_executed_notebooks_are_byte_identical_across_runs(project):
    _run(project)
    first = {p.name: p.read_bytes() for p in (project / "book").glob("*.ipynb")}
    _run(project, force=True, jobs=1)
    assert first == {p.name: p.read_bytes() for p in (project / "book").glob("*.ipynb")}


def test_volatile_metadata_is_stripped_and_setup_cells_hidden(project):
    _run(project)
    nb = json.loads((project / "book" / "a.ipynb").read_text(encoding="utf-8"))
    text = json.dumps(nb)
    for volatile in ("start_time", "end_time", "duration", "iopub.execute_input"):
        assert volatile not in text
    assert nb["metadata"]["papermill"]["input_path"] == "notebooks/a.ipynb"
    assert str(project) not in text, "an absolute path leaked into the executed notebook"
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and injected[0]["id"] == "injected-parameters"
    assert "remove-cell" in injected[0]["metadata"]["tags"]
    assert 'data_dir = "../data"' in "".join(injected[0]["source"])
    body = nb["cells"][-1]
    assert "hide-input" in body["metadata"]["tags"]


def test_a_raising_notebook_names_notebook_cell_and_exception(project):
    _run(project)
    before = (project / "book" / "b.ipynb").read_bytes()
    _notebook(project / "notebooks" / "b.ipynb", 'x = 1\nraise ValueError("boom in b")', ["raw/y"])
    with pytest.raises(NotebookError, match=r"notebooks/b\.ipynb: cell \d+ \(x = 1\) raised ValueError: boom in b$"):
        _run(project)
    assert (project / "book" / "b.ipynb").read_bytes() == before, "a failed run replaced the last good notebook"


def test_a_failure_says_its_whole_reason_on_one_line(project):
    """A message of several lines (a rule of dashes last, as in a cell timeout's) is said whole, not cut to its last
    line."""
    _notebook(project / "notebooks" / "b.ipynb",
              '# the failing cell\nraise RuntimeError("the real reason\\n-------\\nand its detail\\n-------")', ["raw/y"])
    with pytest.raises(NotebookError) as failed:
        _run(project)
    assert str(failed.value).endswith("notebooks/b.ipynb: cell 3 (# the failing cell) raised RuntimeError: "
                                      "the real reason / and its detail"), failed.value


def test_a_cell_that_runs_too_long_says_which_and_the_setting(project, monkeypatch):
    monkeypatch.setenv(pipeline.CELL_TIMEOUT, "1")
    _notebook(project / "notebooks" / "b.ipynb", "import time\ntime.sleep(600)", ["raw/y"])
    with pytest.raises(NotebookError) as failed:
        _run(project, only=["b"])
    assert str(failed.value).endswith("notebooks/b.ipynb: cell 3 (import time) timed out after 1 s "
                                      "(the limit is SAFECITY_CELL_TIMEOUT)"), failed.value
    monkeypatch.setenv(pipeline.CELL_TIMEOUT, "soon")
    with pytest.raises(NotebookError, match="SAFECITY_CELL_TIMEOUT must be a number of seconds above 0, not 'soon'"):
        _run(project, only=["b"])


def test_parameter_overrides_are_applied_and_validated(project):
    params = project / "params.yml"
    params.write_text("a:\n  scale: 10\n", encoding="utf-8")
    assert _run(project, params_file=params) == {"a": "ran", "b": "ran"}
    # A what-if run on the project's own data goes to its own folder; book/ is written only when asked.
    assert not (project / "book" / "a.ipynb").exists()
    assert _output_text(pipeline.work_root(project, project / "data", params), "a") == "420\n"
    assert _run(project, params_file=params, update_book=True) == {"a": "ran", "b": "ran"}
    assert _output_text(project, "a") == "420\n"
    for text, message in [("a:\n  scael: 10\n", "a: unknown parameter 'scael'"),
                          ("a:\n  scale: ten\n", "a: parameter 'scale' must be int, got str 'ten'"),
                          ("z:\n  scale: 1\n", "unknown notebook 'z'"),
                          ("a: [1\n", "not valid YAML")]:
        params.write_text(text, encoding="utf-8")
        with pytest.raises(DataError, match=message):
            _run(project, params_file=params)


def test_only_runs_the_named_notebook(project):
    assert _run(project, only=["b"]) == {"b": "ran"}
    with pytest.raises(DataError, match="unknown notebook"):
        _run(project, only=["nope"])


def test_project_notebooks_are_in_toc_order_with_declared_inputs():
    books = pipeline.notebooks(ROOT)
    # The intro is the toc's root: a notebook that shows the ledger's findings, run after the ledger.
    assert [b.name for b in books][:2] == ["intro", "01_arrests_by_area"]
    assert books[0].after == ["07_claims_ledger"]
    for nb in books:
        assert nb.inputs or nb.after, f"{nb.name} declares neither inputs nor the chapters whose records it reads"
        assert set(nb.after) <= {b.name for b in books}
        for entry in nb.inputs:
            assert (ROOT / "data" / entry).exists(), f"{nb.name}: input {entry} does not exist"
        defaults = pipeline.default_parameters(nb.source)
        assert defaults.get("data_dir") == "../data", f"{nb.name}: data_dir must default to ../data"


def test_source_notebooks_carry_no_outputs():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs"


def test_failed_site_build_keeps_the_last_good_site(project):
    (project / "_config.yml").write_text('title: Test\nexecute:\n  execute_notebooks: "off"\n'
                                         'only_build_toc_files: true\n'
                                         'exclude_patterns: ["_build*", "*.staging", "*.old", "notebooks/*", "data/*"]\n',
                                         encoding="utf-8")
    (project / "_toc.yml").write_text("format: jb-book\nroot: book/intro\n", encoding="utf-8")
    out = project / "_build"
    page = out / "html" / "book" / "intro.html"
    pipeline.build_site(project, out, echo=lambda _: None)
    good = page.read_text(encoding="utf-8")
    assert "Intro" in good and (out / "html" / "_static" / "vega-bundle.js").exists()
    (project / "book" / "intro.md").write_text("# Broken\n\nSee {ref}`no-such-label`.\n", encoding="utf-8")
    with pytest.raises(NotebookError, match="jupyter-book build failed; the previous site was kept"):
        pipeline.build_site(project, out, echo=lambda _: None)
    assert page.read_text(encoding="utf-8") == good
    assert not (project / "_build.staging").exists()


def test_cli_refuses_a_parameter_that_selects_no_data_before_anything_runs(tmp_path):
    """A parameter naming an operation the data do not have: exit 2, one line naming the parameter file, the
    notebook, the parameter and the value; no notebook runs, the committed copy is kept."""
    before = (ROOT / "book" / "01_arrests_by_area.ipynb").read_bytes()
    params = tmp_path / "params.yml"
    params.write_text('01_arrests_by_area:\n  operation: "Operation Nowhere"\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "safecity", "run", "--only", "01_arrests_by_area",
                           "--params", str(params)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {params}: 01_arrests_by_area: parameter 'operation' is 'Operation Nowhere': no such "
                      "operation in data/raw/ice-safe-city/operation.csv (known: Operation Safe City)"]
    assert "nothing was run" in proc.stderr and "[1/" not in proc.stdout
    assert (ROOT / "book" / "01_arrests_by_area.ipynb").read_bytes() == before


def test_a_warning_in_a_notebook_fails_the_run_on_one_line(project):
    _notebook(project / "notebooks" / "b.ipynb", 'import warnings\nwarnings.warn("careful now")', ["raw/y"])
    with pytest.raises(NotebookError, match=r"notebooks/b\.ipynb: cell \d+ \(import warnings\) warned \(a warning is an error\) "
                                            r"UserWarning: careful now$"):
        _run(project)
    assert not (project / "book" / "b.ipynb").exists()


def test_notebooks_run_after_what_they_declare_and_a_cycle_is_refused(project):
    for name, after in (("a", ["b"]), ("b", [])):
        nb = nbformat.read(project / "notebooks" / f"{name}.ipynb", as_version=4)
        nb.metadata["safecity"]["after"] = after
        nbformat.write(nb, project / "notebooks" / f"{name}.ipynb")
    lines = []
    pipeline.run(project / "data", root=project, echo=lines.append)
    assert [line.split()[1] for line in lines] == ["b", "a"]
    nb = nbformat.read(project / "notebooks" / "b.ipynb", as_version=4)
    nb.metadata["safecity"]["after"] = ["a"]
    nbformat.write(nb, project / "notebooks" / "b.ipynb")
    with pytest.raises(DataError, match="notebooks wait on each other in a cycle: "):
        _run(project)


def test_executed_notebooks_are_up_to_date():
    """Every committed executed notebook was produced from the current source, data and code.

    If this fails, run `python -m safecity run` and commit the regenerated notebooks with the change.
    """
    code = pipeline.code_hash(ROOT)
    for nb in pipeline.notebooks(ROOT):
        assert "cache_key" not in nb.output.read_text(encoding="utf-8"), "keys live in book/run-keys.json"
        params = {"data_dir": "../data"}
        if "overridden" in pipeline.default_parameters(nb.source):
            params["overridden"] = []
        assert pipeline.stored_key(nb.output) == pipeline.cache_key(nb, params, ROOT / "data", code), \
            f"book/{nb.name}.ipynb is stale: run `python -m safecity run` and commit it"


def _children() -> set[int]:
    """Processes whose parent is this one (running or defunct)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.add(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sees orphans through Linux's child subreaper")
def test_a_run_prints_only_progress_and_leaves_no_process_behind(project):
    """No kernel log on stderr (no unencrypted-TCP warning, no shutdown noise), and every process the run
    started has ended and been waited for when it returns: orphans would be adopted by this test."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    before = _children()
    try:
        proc = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from safecity import pipeline; "
                               "root = Path(sys.argv[1]); pipeline.run(root / 'data', root=root, jobs=2)", str(project)],
                              capture_output=True, text=True, timeout=600)
        left = _children() - before
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        for pid in _children() - before:  # reap whatever was left, so the test itself leaves nothing
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert sorted(line.split()[1] for line in proc.stdout.splitlines()) == ["a", "b"]  # progress lines only
    assert left == set(), [Path(f"/proc/{pid}/stat").read_text() for pid in left if Path(f"/proc/{pid}").exists()]


# --------------------------------------------------------------------------- killed and concurrent builds

BUILD = ("import sys; from pathlib import Path; from safecity import pipeline; root = Path(sys.argv[1])\n"
         "with pipeline.exclusive(root / pipeline.LOCK_FILE, 'book'):\n"
         "    pipeline.run(root / 'data', root=root, jobs=2); pipeline.build_site(root)\n")
#: Notebook `a` waits for this file when the environment names it: a run held at a known point, no timing.
GATE = ('import os, pathlib, time\ngate = os.environ.get("GATE")\nwhile gate and not pathlib.Path(gate).exists():\n'
        '    time.sleep(0.05)\nprint(int(open(data_dir + "/raw/x/value.txt").read()) * 2 * scale)')


@pytest.fixture
def site_project(project):
    (project / "_config.yml").write_text('title: Test\nexecute:\n  execute_notebooks: "off"\nonly_build_toc_files: true\n'
                                         'exclude_patterns: ["_build*", "*.staging", "*.old", "notebooks/*", "data/*"]\n',
                                         encoding="utf-8")
    _notebook(project / "notebooks" / "a.ipynb", GATE, ["raw/x"])
    return project


def _build(project, gate=None) -> subprocess.Popen:
    env = dict(os.environ, **({"GATE": str(gate)} if gate else {}))
    return subprocess.Popen([sys.executable, "-c", BUILD, str(project)], cwd=project, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _until(condition, proc):
    """Wait until `condition()` holds while `proc` runs (a guard against a hang, not a measured time)."""
    import time

    for _ in range(6000):
        if condition():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the build never reached the point")


def _page(project, name) -> str:
    return (project / "_build" / "html" / "book" / f"{name}.html").read_text(encoding="utf-8")


def _left_behind(project) -> list[Path]:
    return [p for p in (project / "book" / ".executing", pipeline.kernel_sockets(project), project / "_build.staging",
                        project / "_build.old") if p.exists()]


def test_a_build_killed_during_the_notebooks_or_the_site_build_leaves_the_next_build_correct(site_project, tmp_path):
    project = site_project
    executing = project / "book" / ".executing"
    # Killed, with every process it started, while a notebook runs: temporary notebook and sockets are left.
    proc = _build(project, gate=tmp_path / "never")
    _until(lambda: executing.exists() and any(executing.iterdir()), proc)
    os.killpg(proc.pid, 9)
    proc.communicate()
    assert _left_behind(project)
    proc = _build(project)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "42" in _page(project, "a") and "22" in _page(project, "b")
    assert _left_behind(project) == []
    # Killed (the build process alone) while the site is built from a changed input: the last good site stays,
    # and the next build, waiting for what the killed one left running, builds the new one.
    (project / "data" / "raw" / "y" / "value.txt").write_text("100\n", encoding="utf-8")
    proc = _build(project)
    _until(lambda: (project / "_build.staging").exists(), proc)
    os.kill(proc.pid, 9)
    proc.communicate()
    assert "22" in _page(project, "b")
    proc = _build(project)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "101" in _page(project, "b") and "site built" in out
    assert _left_behind(project) == []


def test_a_second_build_of_the_same_output_waits_for_the_first(site_project, tmp_path):
    project, gate = site_project, tmp_path / "go"
    first = _build(project, gate=gate)
    _until(lambda: (project / "book" / ".executing").exists() and any((project / "book" / ".executing").iterdir()),
           first)
    second = _build(project, gate=gate)
    line = second.stderr.readline()  # blocks until the second build says what it waits for
    assert line.startswith(f"waiting for the build already using book (pid {first.pid}, since "), line
    gate.write_text("", encoding="utf-8")
    out1, err1 = first.communicate()
    out2, err2 = second.communicate()
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    assert [line.split()[2] for line in out1.splitlines() if line.startswith("[")] == ["ran", "ran"]
    # The second ran nothing itself and reports the site the first built, which is the one in place.
    assert [line.split()[2] for line in out2.splitlines() if line.startswith("[")] == ["cached", "cached"]
    assert out2.splitlines()[-1] == "site up to date: open _build/html/index.html"
    assert "42" in _page(project, "a")


def test_a_site_moved_aside_by_a_killed_swap_is_put_back(site_project):
    """Killed between the two renames of the swap, the last good site is `_build.old`: the next build restores it."""
    pipeline.run(site_project / "data", root=site_project, echo=lambda _: None)
    pipeline.build_site(site_project, echo=lambda _: None)
    (site_project / "_build").rename(site_project / "_build.old")
    lines = []
    pipeline.build_site(site_project, echo=lines.append)
    assert len(lines) == 1 and lines[0].startswith("site up to date")
    assert "42" in _page(site_project, "a") and not (site_project / "_build.old").exists()
