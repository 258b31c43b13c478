"""`make bench`: measure the pipeline against its floors, side by side in one run, as ratios.

Everything runs in a throw-away copy of the project, so the working tree is never touched.
Each figure is the median of several runs after a warm-up; min and max are kept. Absolute
times on a shared machine are noise; the ratios are what the targets are about.

    python -m safecity.bench [--repeat N] [--out bench/results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path

from . import ROOT

IGNORE = shutil.ignore_patterns(".venv", ".git", "_build*", "*.staging", "*.old", ".cache", "__pycache__",
                                ".pytest_cache", "bench")


def measure(action, repeat: int, warmup: int = 1) -> dict:
    """Median, min and max seconds of `action()` over `repeat` runs after `warmup` runs."""
    for _ in range(warmup):
        action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": len(times)}


class Project:
    """A copy of the project in a temporary folder, driven through its own CLI."""

    def __init__(self, root: Path):
        self.root = root
        self.env = dict(os.environ, PYTHONPATH=str(root))  # the copy's safecity, in the CLI and the kernels

    def cli(self, *args: str) -> list[str]:
        proc = subprocess.run([sys.executable, "-m", "safecity", *args], cwd=self.root, env=self.env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"safecity {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return [line for line in proc.stdout.splitlines() if line.startswith("[")]

    def statuses(self, lines: list[str]) -> dict[str, str]:
        return {line.split()[1]: line.split()[2] for line in lines}

    def jupyter_book(self, output: Path):
        command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(self.root),
                   "--path-output", str(output), "-W", "--keep-going"]
        subprocess.run(command, cwd=self.root, env=self.env, check=True, capture_output=True)

    def clean(self):
        shutil.rmtree(self.root / "_build", ignore_errors=True)


def python_floor(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - started


def empty_notebook(folder: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "empty.ipynb"
    nbformat.write(nb, path)
    return path


def records_job(path: Path) -> dict:
    """Aggregate a record-level file in a fresh interpreter; returns seconds and peak memory (MB)."""
    code = textwrap.dedent(f"""
        import json, resource, time
        from safecity.sources import ice_arrest_records as r
        started = time.perf_counter()
        table = r.aggregate(r.read({str(path)!r}), "2017-01-01", "2017-12-31", source="bench")
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({{"seconds": seconds, "peak_mb": peak, "arrests": int(table["arrests"].sum())}}))
    """)
    return _fresh_process(code)


def _fresh_process(code: str) -> dict:
    """Run `code` in a fresh interpreter; returns the JSON object its last line printed."""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def visa_import_job(data_dir: Path, repeat: int) -> dict | None:
    """All monthly visa files through the importer vs one read_csv of the same rows (uncached); the
    ratio is the median of `repeat` runs' ratios, each importer and read_csv timed in one process."""
    import importlib.util

    if importlib.util.find_spec("safecity.sources.state_dept_monthly") is None:
        return None
    code = textwrap.dedent(f"""
        import json, tempfile, time, os
        import pandas as pd
        from safecity.sources import state_dept_monthly as m
        started = time.perf_counter()
        table = m.import_all({str(data_dir)!r})
        importer = time.perf_counter() - started
        path = os.path.join(tempfile.mkdtemp(), "same_rows.csv")
        table.to_csv(path, index=False)
        started = time.perf_counter()
        pd.read_csv(path)
        baseline = time.perf_counter() - started
        print(json.dumps({{"importer": importer, "read_csv": baseline, "rows": len(table),
                          "scanner": m._jsonl is not None}}))
    """)
    runs = [_fresh_process(code) for _ in range(repeat)]  # each cold: the first import in a process is timed
    ratios = [r["importer"] / r["read_csv"] for r in runs]
    return {"importer": statistics.median(r["importer"] for r in runs),
            "read_csv": statistics.median(r["read_csv"] for r in runs), "rows": runs[0]["rows"],
            "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "scanner": runs[0]["scanner"], "runs": len(runs)}


def html_size(html: Path) -> dict:
    pages = {p.relative_to(html).as_posix(): p.stat().st_size for p in html.rglob("*.html")}
    largest = max(pages, key=pages.get)
    return {"total_bytes": sum(p.stat().st_size for p in html.rglob("*") if p.is_file()),
            "largest_page": largest, "largest_page_bytes": pages[largest], "pages": pages}


def run(repeat: int, out: Path) -> dict:
    from . import synthetic

    work = Path(tempfile.mkdtemp(prefix="safecity-bench-"))
    shutil.copytree(ROOT, work / "project", ignore=IGNORE)
    project = Project(work / "project")
    results: dict = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                     f"Python {platform.python_version()}", "repeat": repeat}
    n_notebooks = len(project.statuses(project.cli("run")))

    # Floors
    import papermill

    floor_nb = empty_notebook(work)
    results["floor_empty_notebook"] = measure(
        lambda: papermill.execute_notebook(str(floor_nb), str(work / "out.ipynb"), kernel_name="python3",
                                           progress_bar=False), repeat)
    results["floor_import_pandas_altair"] = measure(lambda: python_floor("import pandas, altair"), repeat)
    bare = work / "bare"
    results["floor_jupyter_book_clean"] = measure(
        lambda: (shutil.rmtree(bare, ignore_errors=True), project.jupyter_book(bare)), repeat)
    results["floor_jupyter_book_no_change"] = measure(lambda: project.jupyter_book(bare), repeat)

    # Builds
    def clean_build(*extra):
        project.clean()
        statuses = project.statuses(project.cli("build", "--force", *extra))
        assert set(statuses.values()) == {"ran"}, statuses

    results["build_clean"] = measure(clean_build, repeat)
    results["build_clean_jobs_1"] = measure(lambda: clean_build("--jobs", "1"), repeat)

    def no_change():
        statuses = project.statuses(project.cli("build"))
        assert set(statuses.values()) == {"cached"}, f"a no-change build started a kernel: {statuses}"

    results["build_no_change"] = measure(no_change, repeat)

    target = project.root / "data" / "raw" / "ice-safe-city" / "area_components.csv"
    original = target.read_text(encoding="utf-8")
    flip = {"value": False}

    def one_data_file():
        flip["value"] = not flip["value"]
        # A real content change that stays valid: one source citation gains or loses a trailing space.
        target.write_text(original.replace("KNKX, 2017-10-04", "KNKX, 2017-10-04 " if flip["value"]
                                           else "KNKX, 2017-10-04"), encoding="utf-8")
        statuses = project.statuses(project.cli("build"))
        reran = sorted(name for name, status in statuses.items() if status == "ran")
        results["one_data_file_reran"] = reran
        return reran

    results["build_one_data_file"] = measure(one_data_file, repeat)
    target.write_text(original, encoding="utf-8")
    default_site = html_size(project.root / "_build" / "html")

    # Data
    visas = visa_import_job(project.root / "data", repeat)
    if visas:
        results["visa_import"] = visas
    records = {}
    for n in (100_000, 1_000_000):
        path = work / f"records_{n}.parquet"
        synthetic.scaled(n).to_parquet(path, index=False)
        runs = [records_job(path) for _ in range(repeat)]
        records[str(n)] = {"seconds": statistics.median(r["seconds"] for r in runs),
                           "min": min(r["seconds"] for r in runs), "max": max(r["seconds"] for r in runs),
                           "peak_mb": max(r["peak_mb"] for r in runs)}
    results["records"] = records

    # Output size; and the arrests page built from 100k and from 1M records: charts carry aggregates,
    # so the page must not grow with the number of input rows.
    from .sources import ice_release

    table = ice_release.arrests_by_area(project.root / "data", "Operation Safe City")
    per_area = dict(zip(table["area"].astype(str), table["arrests"].astype(int)))
    params = work / "params.yml"
    params.write_text('01_arrests_by_area:\n  records: "raw/ice-arrest-records/arrests.parquet"\n', encoding="utf-8")
    page = "book/01_arrests_by_area.html"
    record_pages = {}
    for n in (100_000, 1_000_000):
        scale = n // sum(per_area.values())
        frame = synthetic.records({a: k * scale for a, k in per_area.items()}, "2017-09-24", "2017-09-27")
        frame.to_parquet(project.root / "data" / "raw" / "ice-arrest-records" / "arrests.parquet", index=False)
        project.cli("build", "--params", str(params))
        record_pages[len(frame)] = html_size(project.root / "_build" / "html")["pages"][page]
    (small_rows, small), (big_rows, big) = sorted(record_pages.items())
    results["output"] = {"default": {k: v for k, v in default_site.items() if k != "pages"},
                         "arrests_page_bytes_default": default_site["pages"][page],
                         "arrests_page_bytes_records": {str(k): v for k, v in record_pages.items()}}

    med = {k: v["median"] for k, v in results.items() if isinstance(v, dict) and "median" in v}
    ratios = {
        "no_change_vs_bare_jupyter_book": (med["build_no_change"] / med["floor_jupyter_book_no_change"], 1.2),
        "clean_vs_floor": (med["build_clean"] / (n_notebooks * med["floor_empty_notebook"]
                                                  + med["floor_jupyter_book_clean"]), 1.5),
        "jobs_1_vs_default": (med["build_clean_jobs_1"] / med["build_clean"], None),
        "records_1m_vs_100k_time": (records["1000000"]["seconds"] / records["100000"]["seconds"], 12),
        # a few bytes more for longer numbers (100,000 vs 10,000) is all that may change
        "arrests_page_1m_vs_100k_records": (big / small, 1.01),
    }
    if visas:
        ratios["visa_import_vs_read_csv"] = (visas["ratio"], 2.0)
    results["ratios"] = {k: {"value": v, "target": t, "met": None if t is None else v <= t + 1e-9}
                         for k, (v, t) in ratios.items()}
    results["notebooks"] = n_notebooks
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return results


def table(results: dict) -> str:
    """The results as a Markdown table (what `make bench` prints and the README quotes)."""
    lines = [f"Measured {results['date']} on {results['machine']}; median of {results['repeat']} runs after a "
             "warm-up (min–max).", "", "| measure | median s | min–max s |", "|---|---:|---:|"]
    for key, value in results.items():
        if isinstance(value, dict) and "median" in value:
            lines.append(f"| {key} | {value['median']:.2f} | {value['min']:.2f}–{value['max']:.2f} |")
    for n, value in results["records"].items():
        lines.append(f"| records_{n}_rows (peak {value['peak_mb']:.0f} MB) | {value['seconds']:.2f} | "
                     f"{value['min']:.2f}–{value['max']:.2f} |")
    if "visa_import" in results:
        v = results["visa_import"]
        lines.append(f"| visa_import_all ({v['rows']:,} rows{'' if v.get('scanner', True) else ', no C scanner'}) "
                     f"vs read_csv | {v['importer']:.2f} vs {v['read_csv']:.2f} | ratio "
                     f"{v.get('ratio_min', 0):.2f}–{v.get('ratio_max', 0):.2f} |")
    lines += ["", "| ratio | value | target | met |", "|---|---:|---:|---|"]
    for key, value in results["ratios"].items():
        target = "" if value["target"] is None else f"≤ {value['target']}"
        met = "" if value["met"] is None else ("yes" if value["met"] else "**no**")
        lines.append(f"| {key} | {value['value']:.2f} | {target} | {met} |")
    output = results["output"]
    lines += ["", f"Site: {output['default']['total_bytes'] / 1e6:.1f} MB in all; largest page "
                  f"{output['default']['largest_page']} ({output['default']['largest_page_bytes'] / 1e3:.0f} kB). "
                  f"Arrests page: {output['arrests_page_bytes_default']:,} bytes from the aggregate table; "
                  + ", ".join(f"{size:,} bytes from {int(rows):,} records"
                              for rows, size in output["arrests_page_bytes_records"].items()) + ". "
                  f"Re-run after one data file changed: {', '.join(results['one_data_file_reran'])}."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecity.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    results = run(args.repeat, args.out)
    print(table(results))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
