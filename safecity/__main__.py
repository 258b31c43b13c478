"""Command line: `python -m safecity {check,run,build,diff,data record,data fetch}`.

Exit status: 0 success; 1 a notebook or the site build failed; 2 invalid input data or parameters, or a
`data fetch` that failed (nothing written); 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path

from . import ROOT, datarecord, diff, fetch, pipeline, preflight, validate
from .packages import display_path
from .errors import DataError, NotebookError, Terminated, on_sigterm


def _report(problems, prefix="error"):
    for problem in problems:
        print(f"{prefix}: {problem}", file=sys.stderr)


def check(data_dir: Path, params_file: Path | None = None, only: list[str] | None = None,
          work: Path | None = None) -> int:
    """Every check a build makes, before anything runs: the schemas, then each notebook's inputs and
    parameters (`preflight`). 0 when valid, 2 (one line per problem) when not. With `work` (a build's work folder),
    a notebook the build will not execute, its key unchanged (`pipeline.unchanged`), is not checked again."""
    errors, warnings = validate.check(data_dir)
    _report(warnings, prefix="warning")
    if not errors:
        books = pipeline.select(pipeline.notebooks(ROOT, work), only)
        planned = pipeline.plan(data_dir, books, params_file)
        if work is not None:
            same = pipeline.unchanged(planned, data_dir)
            planned = {name: entry for name, entry in planned.items() if name not in same}
        errors = preflight.problems(data_dir, planned, params_file, pipeline.load_overrides(params_file, books))
    if errors:
        _report(errors)
        print(f"{len(errors)} problem(s) in {display_path(data_dir)}; nothing was run.", file=sys.stderr)
        return 2
    print(f"{display_path(data_dir)}: all inputs valid")
    return 0


def show_diff(work: Path, ref: str) -> None:
    for line in diff.report(work / pipeline.BOOK, ref, ROOT):
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecity", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("check", "validate the input data only"),
                       ("run", "validate, then execute the notebooks into book/"),
                       ("build", "validate, execute the notebooks, then build the site into _build/html")):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("--data-dir", type=Path, default=ROOT / "data",
                         help="folder with the same layout as data/ (default: the project's data/)")
        cmd.add_argument("--params", type=Path, help="YAML file of per-notebook parameter overrides")
        if name != "check":
            cmd.add_argument("--update-book", action="store_true",
                             help="with --params on the project's own data/, write the results into book/ "
                                  "(default: a run with a parameter file goes to _build-runs/)")
            cmd.add_argument("--force", action="store_true", help="re-run every notebook, ignoring the cache")
            cmd.add_argument("--jobs", type=int, default=os.cpu_count(),
                             help="notebooks to run at once (default: number of cores)")
            cmd.add_argument("--only", action="append", metavar="NOTEBOOK",
                             help="run only this notebook (by name, e.g. 01_arrests_by_area); repeatable")
        if name == "build":
            cmd.add_argument("--output-dir", type=Path,
                             help="where the site goes (default: _build, or _build-runs/<data folder>/_build for "
                                  "another data folder); replaced only by a complete build")
    text = "what changed in the findings against the results committed at REF"
    cmd = sub.add_parser("diff", help=text, description=text)
    cmd.add_argument("ref", nargs="?", default="HEAD", help="git revision to compare with (default: HEAD)")
    cmd.add_argument("--data-dir", type=Path, default=ROOT / "data",
                     help="compare the results of the run on this data folder (default: the project's data/)")
    cmd.add_argument("--params", type=Path,
                     help="compare the results of the run with this parameter file (on data/: in _build-runs/)")
    data = sub.add_parser("data", help="manage the data packages", description="manage the data packages")
    text = "record new, changed and removed files in each source's datapackage.json (hashes, sizes, resources)"
    actions = data.add_subparsers(dest="action", required=True)
    cmd = actions.add_parser("record", help=text, description=text)
    cmd.add_argument("sources", nargs="*", metavar="SOURCE", help="source folder names under raw/ (default: all)")
    cmd.add_argument("--data-dir", type=Path, default=ROOT / "data",
                     help="folder with the same layout as data/ (default: the project's data/)")
    text = ("download the months published since the latest file (monthly visa tables), store and record them; "
            "on any failure nothing is written")
    cmd = actions.add_parser("fetch", help=text, description=text)
    cmd.add_argument("source", nargs="?", default=fetch.SOURCE, metavar="SOURCE",
                     help=f"source folder name under raw/ (default and only one: {fetch.SOURCE})")
    cmd.add_argument("--data-dir", type=Path, default=ROOT / "data",
                     help="folder with the same layout as data/ (default: the project's data/)")
    cmd.add_argument("--base-url", help="where the monthly files are (default: the `fetch` url of the source's "
                                        "datapackage.json)")
    cmd.add_argument("--timeout", type=float, help="seconds one download may take (default: the source's, "
                                                   f"else {fetch.DEFAULT_TIMEOUT:g})")
    args = parser.parse_args(argv)
    previous = on_sigterm()  # SIGTERM takes the way out Ctrl-C takes: children ended, leftovers cleared, one line
    try:
        return _command(args)
    except KeyboardInterrupt as exc:
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        print(f"{what}: nothing more was run; the last good site and notebooks are as they were", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    finally:
        if previous is not None:  # (when called from Python, as the tests do, the caller's handler is put back)
            signal.signal(signal.SIGTERM, previous)


def _command(args) -> int:
    data_dir = args.data_dir
    if args.command == "diff":
        show_diff(pipeline.work_root(ROOT, data_dir, args.params), args.ref)
        return 0
    if args.command == "data" and args.action == "fetch":
        problems = fetch.fetch(data_dir, args.source, base_url=args.base_url, timeout=args.timeout)
        for problem in problems:  # one line each, and it says that nothing changed
            print(f"error: {problem} (nothing was written)", file=sys.stderr)
        return 2 if problems else 0
    if args.command == "data":
        problems = datarecord.record(data_dir, args.sources)
        if problems:
            _report(problems)
            print("nothing was recorded: every datapackage.json is as it was.", file=sys.stderr)
            return 2
        return 0
    try:
        if args.command == "check":
            return check(data_dir, args.params)
        work = pipeline.work_root(ROOT, data_dir, args.params, args.update_book)
        # Nothing changed since every notebook last ran (after a check that passed): nothing to check again.
        needs_check = args.force or args.only or not pipeline.up_to_date(data_dir, params_file=args.params,
                                                                         update_book=args.update_book)
        # One build at a time per work folder, from the first notebook to the summary: a second one waits. The lock
        # lives in the work folder, which a refused run must not create; where the folder exists, the build takes
        # the lock at once and starts its job slots while the check runs (their processes inherit the lock, and
        # none runs a notebook before the check has passed).
        early = needs_check and work.exists()
        with contextlib.ExitStack() as held:
            if early:
                held.enter_context(pipeline.exclusive(work / pipeline.LOCK_FILE, display_path(work / pipeline.BOOK)))
                slots = held.enter_context(pipeline.Slots(args.jobs)).start()
            if needs_check and (status := check(data_dir, args.params, args.only,
                                                None if args.force else work)):
                return status  # refused: nothing was run or created
            if not early:
                held.enter_context(pipeline.exclusive(work / pipeline.LOCK_FILE, display_path(work / pipeline.BOOK)))
                slots = held.enter_context(pipeline.Slots(args.jobs))
            pipeline.run(data_dir, params_file=args.params, force=args.force, only=args.only,
                         update_book=args.update_book, slots=slots)
            slots.close()  # the job slots end (with their fork servers) while the site is built
            if args.command == "build":
                pipeline.build_site(work, args.output_dir)
            show_diff(work, "HEAD")
    except DataError as exc:
        _report(exc.problems)
        return 2
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
