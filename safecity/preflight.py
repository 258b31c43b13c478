"""Everything a build would find wrong with its inputs and parameters, found before any notebook runs.

`python -m safecity check` (the first step of every run and build) calls `problems`: after the schema checks
(`validate.check`), each notebook's declared inputs must exist, and each chapter's check below runs the
chapter's own importers (`load`, with every check they make: readable gzip, counts, known names) and tests
that its parameters parse and select data. The importers' results go to the tidy-table cache, and a check
raises exactly what the notebook would raise, so a build never discovers a data error inside a notebook.

A check takes the data folder and the notebook's parameters (defaults, then a parameter file's overrides) and
raises `DataError` (a file, line and column) or `ParameterError` (a parameter and why it selects no data).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Callable

from .errors import DataError, ParameterError, Problem
from .text import join_and
from .packages import display_path
from .validate import read_table


def _operation(data_dir: Path, name: str) -> None:
    from .sources import ice_release

    known = list(read_table(data_dir, ice_release.SOURCE, "operation")["operation"])
    if name not in known:
        raise ParameterError("operation", f"no such operation in "
                                          f"{display_path(Path(data_dir, 'raw', ice_release.SOURCE, 'operation.csv'))} "
                                          f"(known: {', '.join(known)})")


def arrests(data_dir: Path, p: dict) -> None:
    from . import arrests as chapter

    _operation(data_dir, p["operation"])
    # A `records` value that leaves the data folder was refused with the other file-valued parameters
    # (`pipeline.parameter_files`), before any chapter check.
    if p["records"] and not Path(data_dir, p["records"]).is_file():
        raise ParameterError("records", f"no file {display_path(Path(data_dir, p['records']))}")
    # The chapter's load checks that every article place names one of ICE's areas (`arrests.check_places`).
    chapter.load(data_dir, p["operation"], p["records"])


def offences(data_dir: Path, p: dict) -> None:
    from . import offences as chapter

    _operation(data_dir, p["operation"])
    chapter.load(data_dir, p["operation"])


def visas(data_dir: Path, p: dict) -> None:
    from . import visas as chapter

    # The chapter's own checks, so that `check` and the notebook refuse the same parameters.
    chapter.check_parameters(p["window_start"], p["window_end"], p["baseline_fy"], p["groups"])
    data = chapter.load(data_dir, p["groups"])
    chapter.selects_data(data, chapter.compare(data, p["window_start"], p["window_end"], p["baseline_fy"]))


def refugees(data_dir: Path, p: dict) -> None:
    from . import refugees as chapter

    # The chapter's own analysis, which refuses a parameter that selects no data (`refugees.check_parameters`).
    names = [k for k in inspect.signature(chapter.analyse).parameters if k != "inputs"]
    chapter.analyse(chapter.load(data_dir), **{k: p[k] for k in names})


def records(data_dir: Path, p: dict) -> None:
    """The records chapter: its operation, and the nationwide records with the places mapped to areas."""
    from . import national

    _operation(data_dir, p["operation"])
    national.load(data_dir, p["operation"])


def claims(data_dir: Path, p: dict) -> None:
    from . import claims as chapter

    chapter.load(data_dir)


#: Each notebook's check (notebooks with nothing to check beyond the schemas, such as Sources, have none).
CHECKS: dict[str, Callable[[Path, dict], None]] = {
    "01_arrests_by_area": arrests,
    "02_offences": offences,
    "03_visas": visas,
    "04_refugees": refugees,
    "07_claims_ledger": claims,
    "08_seattle_records": records,
}


def problems(data_dir: Path, planned: dict, params_file: Path | None, overrides: dict) -> list[Problem]:
    """Every problem the notebooks in `planned` (name → (notebook, parameters), from `pipeline.plan`) would meet."""
    found: list[Problem] = []
    readers: dict[str, list[str]] = {}  # a missing input -> every notebook that reads it: one problem per input
    for name, (nb, _) in planned.items():
        for entry in nb.inputs:
            if not Path(data_dir, entry).exists():
                readers.setdefault(entry, []).append(name)
    found += [Problem(display_path(Path(data_dir, entry)),
                      f"missing folder or file ({join_and(names)} {'reads' if len(names) == 1 else 'read'} it)")
              for entry, names in readers.items()]
    for name, (nb, params) in planned.items():
        if any(name in names for names in readers.values()) or name not in CHECKS:
            continue
        from .pipeline import default_parameters

        given = {k: v for k, v in (default_parameters(nb.source) | params).items() if k not in ("data_dir", "overridden")}
        try:
            CHECKS[name](Path(data_dir), given)
        except DataError as exc:
            found += exc.problems
        except ParameterError as exc:
            where = params_file if exc.name in overrides.get(name, {}) else nb.source
            found.append(Problem(display_path(where), f"{name}: parameter '{exc.name}' is {given.get(exc.name)!r}: "
                                                      f"{exc.reason}"))
        except Exception as exc:  # whatever else the notebook would raise: one line, before anything runs
            text = (str(exc).strip().splitlines() or [""])[0]
            found.append(Problem(display_path(nb.source), f"{name}: {type(exc).__name__}: {text}"))
    return found
