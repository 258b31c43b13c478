"""`make bench`: a clean build against its floor, side by side in one run, as ratios.

The floor is what any book like this one costs: papermill running as many notebooks as the book
has, each doing only `import pandas, altair`, one after another, plus a clean `jupyter-book build`
of the book's pages. A clean build (`python -m safecity build --force` with no cache and no
previous site) must take at most 0.65x the floor's wall time and use at most 1.15x its CPU time
(user + system of every process it started), so the notebooks' work beyond their imports stays
small. Each ratio is the median of paired runs (floor, then build, back to back), after a warm-up.

Everything runs in a throw-away copy of the project, so the working tree is never touched.
Absolute times on a shared machine are noise; the ratios are what the targets are about.

    python -m safecity.bench [--repeat N] [--out bench/results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
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
#: (wall, CPU) of a clean build as a share of the floor's.
TARGETS = {"clean_build_wall_vs_floor": 0.65, "clean_build_cpu_vs_floor": 1.15}


def timed(command: list[str], **kwargs) -> dict:
    """Run a command; its wall time and the CPU time (user + system) of it and every process it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, **kwargs)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "stdout": proc.stdout}


class Project:
    """A copy of the project in a temporary folder, driven through its own CLI."""

    def __init__(self, root: Path):
        self.root = root
        self.env = dict(os.environ, PYTHONPATH=str(root))  # the copy's safecity, in the CLI and the kernels

    def cli(self, *args: str) -> dict:
        result = timed([sys.executable, "-m", "safecity", *args], cwd=self.root, env=self.env)
        result["statuses"] = {line.split()[1]: line.split()[2] for line in result["stdout"].splitlines()
                              if line.startswith("[")}
        return result

    def clean_build(self) -> dict:
        """`build --force` with no tidy-table cache and no previous site."""
        for folder in ("_build", ".cache"):
            shutil.rmtree(self.root / folder, ignore_errors=True)
        result = self.cli("build", "--force")
        assert set(result["statuses"].values()) == {"ran"}, result["statuses"]
        return result


def floor(project: Project, work: Path, notebooks: int) -> dict:
    """papermill on `notebooks` notebooks doing only `import pandas, altair`, one after another, then a clean
    `jupyter-book build` of the book's pages (as `build` runs it), all timed as one."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("import pandas, altair")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = work / "imports.ipynb"
    nbformat.write(nb, source)
    site = work / "floor-site"
    shutil.rmtree(site, ignore_errors=True)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    script = textwrap.dedent(f"""
        import subprocess, papermill
        for i in range({notebooks}):
            papermill.execute_notebook({str(source)!r}, {str(work / "out.ipynb")!r}, kernel_name="python3",
                                       progress_bar=False)
        subprocess.run([{str(jupyter_book)!r}, "build", {str(project.root)!r}, "--path-output", {str(site)!r},
                        "-W", "--keep-going"], check=True, capture_output=True)
    """)
    return timed([sys.executable, "-c", script], cwd=project.root, env=project.env)


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
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def html_size(html: Path) -> dict:
    pages = {p.relative_to(html).as_posix(): p.stat().st_size for p in html.rglob("*.html")}
    largest = max(pages, key=pages.get)
    return {"total_bytes": sum(p.stat().st_size for p in html.rglob("*") if p.is_file()),
            "largest_page": largest, "largest_page_bytes": pages[largest], "pages": pages}


def _spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def run(repeat: int, out: Path) -> dict:
    from . import synthetic

    work = Path(tempfile.mkdtemp(prefix="safecity-bench-"))
    shutil.copytree(ROOT, work / "project", ignore=IGNORE)
    project = Project(work / "project")
    results: dict = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                     f"Python {platform.python_version()}", "repeat": repeat}
    notebooks = len(project.clean_build()["statuses"])  # (also the warm-up)
    floor(project, work, notebooks)  # warm-up

    # Clean build against the floor, in pairs run back to back.
    pairs = []
    for _ in range(repeat):
        base, build = floor(project, work, notebooks), project.clean_build()
        pairs.append({"floor_wall": base["wall"], "floor_cpu": base["cpu"],
                      "build_wall": build["wall"], "build_cpu": build["cpu"]})
    results["pairs"] = pairs
    for key in ("floor_wall", "floor_cpu", "build_wall", "build_cpu"):
        results[key] = _spread([p[key] for p in pairs])
    ratios = {"clean_build_wall_vs_floor": _spread([p["build_wall"] / p["floor_wall"] for p in pairs]),
              "clean_build_cpu_vs_floor": _spread([p["build_cpu"] / p["floor_cpu"] for p in pairs])}

    # A build with nothing changed starts no kernel and keeps the site.
    no_change = [project.cli("build") for _ in range(repeat)]
    assert all(set(r["statuses"].values()) == {"cached"} for r in no_change), "a no-change build started a kernel"
    results["build_no_change_wall"] = _spread([r["wall"] for r in no_change])
    default_site = html_size(project.root / "_build" / "html")

    # Record-level arrests scale linearly, and the arrests page does not grow with the number of input
    # rows: its charts carry aggregates.
    records = {}
    for n in (100_000, 1_000_000):
        path = work / f"records_{n}.parquet"
        synthetic.scaled(n).to_parquet(path, index=False)
        runs = [records_job(path) for _ in range(repeat)]
        records[str(n)] = {**_spread([r["seconds"] for r in runs]), "peak_mb": max(r["peak_mb"] for r in runs)}
    results["records"] = records
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
    (_, small), (_, big) = sorted(record_pages.items())
    results["output"] = {"default": {k: v for k, v in default_site.items() if k != "pages"},
                         "arrests_page_bytes_default": default_site["pages"][page],
                         "arrests_page_bytes_records": {str(k): v for k, v in record_pages.items()}}

    results["ratios"] = {name: {"value": value["median"], "min": value["min"], "max": value["max"],
                                "target": TARGETS.get(name), "met": value["median"] <= TARGETS[name] + 1e-9}
                         for name, value in ratios.items()}
    scaling = records["1000000"]["median"] / records["100000"]["median"]
    results["ratios"]["records_1m_vs_100k_time"] = {"value": scaling, "target": 12, "met": scaling <= 12}
    # (a few bytes more for longer numbers, 100,000 against 10,000, is all that may change)
    results["ratios"]["arrests_page_1m_vs_100k_records"] = {"value": big / small, "target": 1.01,
                                                            "met": big / small <= 1.01}
    results["notebooks"] = notebooks
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return results


def table(results: dict) -> str:
    """The results as Markdown (what `make bench` prints and the README quotes)."""
    n = results["notebooks"]
    lines = [f"Measured {results['date']} on {results['machine']}; median of {results['repeat']} paired runs "
             "after a warm-up (min–max). Floor: papermill on "
             f"{n} notebooks doing only `import pandas, altair`, one after another, plus a clean `jupyter-book "
             "build`; clean build: `python -m safecity build --force`, no cache, no site.", "",
             "| ratio | median | min–max | target | met |", "|---|---:|---:|---:|---|"]
    for key, value in results["ratios"].items():
        spread = f"{value['min']:.2f}–{value['max']:.2f}" if "min" in value else ""
        target = "" if value["target"] is None else f"≤ {value['target']}"
        met = "" if value["met"] is None else ("yes" if value["met"] else "**no**")
        lines.append(f"| {key} | {value['value']:.2f} | {spread} | {target} | {met} |")
    lines += ["", "| measure | median s | min–max s |", "|---|---:|---:|"]
    for key in ("floor_wall", "build_wall", "floor_cpu", "build_cpu", "build_no_change_wall"):
        value = results[key]
        lines.append(f"| {key} | {value['median']:.2f} | {value['min']:.2f}–{value['max']:.2f} |")
    for rows, value in results["records"].items():
        lines.append(f"| records_{rows}_rows (peak {value['peak_mb']:.0f} MB) | {value['median']:.2f} | "
                     f"{value['min']:.2f}–{value['max']:.2f} |")
    output = results["output"]
    lines += ["", f"Site: {output['default']['total_bytes'] / 1e6:.1f} MB in all; largest page "
                  f"{output['default']['largest_page']} ({output['default']['largest_page_bytes'] / 1e3:.0f} kB). "
                  f"Arrests page: {output['arrests_page_bytes_default']:,} bytes from the aggregate table; "
                  + ", ".join(f"{size:,} bytes from {int(rows):,} records"
                              for rows, size in output["arrests_page_bytes_records"].items()) + "."]
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
