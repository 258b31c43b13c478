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
                                ".pytest_cache", "bench", "node_modules")
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


#: Peak memory of the interpreter running the job, in MB. /proc/self/status's VmHWM is the job's own high-water
#: mark; getrusage's ru_maxrss is not: Linux carries it over from the forked parent (which may hold a million
#: generated records at that moment) across exec.
PEAK = textwrap.dedent("""
    import resource

    def peak_mb():
        try:
            with open("/proc/self/status") as status:
                return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
        except (OSError, StopIteration):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
""")


def records_job(path: Path) -> dict:
    """Aggregate a record-level file in a fresh interpreter; returns seconds and peak memory (MB)."""
    code = PEAK + textwrap.dedent(f"""
        import json, time
        from safecity.sources import ice_arrest_records as r
        started = time.perf_counter()
        table = r.aggregate(r.read({str(path)!r}), "2017-01-01", "2017-12-31", source="bench")
        seconds = time.perf_counter() - started
        print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb(), "arrests": int(table["arrests"].sum())}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def foia_job(data_dir: Path) -> dict:
    """The Seattle records chapter's computation on a data folder, in a fresh interpreter: seconds, peak MB."""
    code = PEAK + textwrap.dedent(f"""
        import json, time
        from safecity import seattle
        started = time.perf_counter()
        loaded = seattle.load({str(data_dir)!r}, "Operation Safe City", "Portland, Ore.", "ice-seattle-aor-arrests")
        values = seattle.results(loaded)
        seconds = time.perf_counter() - started
        print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb(), "records": values["file_records"]}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def foia_data(project: Project, work: Path, n: int) -> Path:
    """A data folder whose Seattle records are `n` generated records of ICE's FOIA shape over the file's period
    (the operation's days and everything else the chapter reads are the project's own), recorded."""
    from . import synthetic

    data = work / f"foia_{n}"
    raw = data / "raw"
    for source in ("ice-safe-city", "ice-records-coding"):
        shutil.copytree(project.root / "data" / "raw" / source, raw / source)
    folder = raw / "ice-seattle-aor-arrests"
    folder.mkdir(parents=True)
    shutil.copy(project.root / "data" / "raw" / "ice-seattle-aor-arrests" / "datapackage.json", folder)
    synthetic.write_foia(folder / "arrests.csv.gz", synthetic.foia_lines(n, "2012-01-01", "2019-07-06", "Seattle"))
    synthetic.foia_coding({"NS": "WA", "SS": "OR"}).to_csv(folder / "arrest_locs.csv", index=False, lineterminator="\n")
    project.cli("data", "record", "--data-dir", str(data), "ice-seattle-aor-arrests")
    return data


def html_size(html: Path) -> dict:
    pages = {p.relative_to(html).as_posix(): p.stat().st_size for p in html.rglob("*.html")}
    largest = max(pages, key=pages.get)
    return {"total_bytes": sum(p.stat().st_size for p in html.rglob("*") if p.is_file()),
            "largest_page": largest, "largest_page_bytes": pages[largest], "pages": pages}


def _spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def records(project: Project, work: Path, repeat: int, results: dict) -> None:
    """Record-level inputs at scale: 100k against 1M generated records, on both record-level paths (the arrests
    chapter's tidy records, and the Seattle records chapter's FOIA shape): time, peak memory, and the size of the
    page each feeds, which must not grow with the number of records (its charts carry aggregates)."""
    from . import pipeline, synthetic
    from .sources import ice_release

    timings, foia = {}, {}
    for n in (100_000, 1_000_000):
        path = work / f"records_{n}.parquet"
        synthetic.scaled(n).to_parquet(path, index=False)
        runs = [records_job(path) for _ in range(repeat)]
        timings[str(n)] = {**_spread([r["seconds"] for r in runs]), "peak_mb": max(r["peak_mb"] for r in runs)}
        data = foia_data(project, work, n)
        runs = [foia_job(data) for _ in range(repeat)]
        foia[str(n)] = {**_spread([r["seconds"] for r in runs]), "peak_mb": max(r["peak_mb"] for r in runs),
                        "data": data}
    results["records"] = timings
    results["foia_records"] = {k: {key: v for key, v in value.items() if key != "data"} for k, value in foia.items()}

    table = ice_release.arrests_by_area(project.root / "data", "Operation Safe City")
    per_area = dict(zip(table["area"].astype(str), table["arrests"].astype(int)))
    params = work / "params.yml"
    params.write_text('01_arrests_by_area:\n  records: "raw/ice-arrest-records/arrests.parquet"\n', encoding="utf-8")
    page, seattle_page = "book/01_arrests_by_area.html", "book/08_seattle_records.html"
    record_pages, foia_pages = {}, {}
    for n in (100_000, 1_000_000):
        scale = n // sum(per_area.values())
        frame = synthetic.records({a: k * scale for a, k in per_area.items()}, "2017-09-24", "2017-09-27")
        frame.to_parquet(project.root / "data" / "raw" / "ice-arrest-records" / "arrests.parquet", index=False)
        project.cli("build", "--params", str(params), "--only", "01_arrests_by_area")
        record_pages[len(frame)] = html_size(project.root / "_build" / "html")["pages"][page]
        data = foia[str(n)]["data"]
        project.cli("build", "--data-dir", str(data), "--only", "08_seattle_records")
        site = pipeline.work_root(project.root, data) / "_build" / "html"
        foia_pages[n] = html_size(site)["pages"][seattle_page]
    results.setdefault("output", {})
    results["output"]["arrests_page_bytes_records"] = {str(k): v for k, v in record_pages.items()}
    results["output"]["seattle_page_bytes_records"] = {str(k): v for k, v in foia_pages.items()}
    ratios = results.setdefault("ratios", {})
    for name, timing in (("records_1m_vs_100k_time", timings), ("foia_records_1m_vs_100k_time", foia)):
        scaling = timing["1000000"]["median"] / timing["100000"]["median"]
        ratios[name] = {"value": scaling, "target": 12, "met": scaling <= 12}
    peak = foia["1000000"]["peak_mb"]
    ratios["foia_records_1m_peak_gb"] = {"value": peak / 1024, "target": 1, "met": peak < 1024}
    # A few bytes more for longer numbers is all that may change: on the arrests page, ten area totals of
    # 100,000 against 10,000; on the Seattle records page, the chart's ~150 daily counts (in its spec, its table
    # and its CSV), each a digit longer when ten times the records fall on the same days.
    for name, pages, target in (("arrests_page_1m_vs_100k_records", record_pages, 1.01),
                                ("seattle_page_1m_vs_100k_records", foia_pages, 1.05)):
        (_, small), (_, big) = sorted(pages.items())
        ratios[name] = {"value": big / small, "target": target, "met": big / small <= target}


def lighthouse_part(project: Project, runs: int, results: dict) -> None:
    """Lighthouse's mobile scores of every page of the project's built site (see safecity.lighthouse)."""
    from . import lighthouse

    reason = lighthouse.available()
    if reason:
        results["lighthouse"] = {"skipped": reason}
        return
    html = project.root / "_build" / "html"
    if not (html / "index.html").exists():
        project.cli("build")
    results["lighthouse"] = lighthouse.measure(html, runs, echo=lambda line: print(line, file=sys.stderr))
    results["load_average"] = os.getloadavg()


def run(repeat: int, out: Path, parts: tuple[str, ...] = ("build", "records", "lighthouse")) -> dict:
    work = Path(tempfile.mkdtemp(prefix="safecity-bench-"))
    shutil.copytree(ROOT, work / "project", ignore=IGNORE)
    project = Project(work / "project")
    results: dict = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                     f"Python {platform.python_version()}", "repeat": repeat, "parts": list(parts)}
    if parts == ("lighthouse",):
        lighthouse_part(project, repeat, results)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        shutil.rmtree(work, ignore_errors=True)
        return results
    if "build" not in parts:
        records(project, work, repeat, results)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        shutil.rmtree(work, ignore_errors=True)
        return results
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

    results["output"] = {"default": {k: v for k, v in default_site.items() if k != "pages"},
                         "arrests_page_bytes_default": default_site["pages"]["book/01_arrests_by_area.html"]}
    results["ratios"] = {name: {"value": value["median"], "min": value["min"], "max": value["max"],
                                "target": TARGETS.get(name), "met": value["median"] <= TARGETS[name] + 1e-9}
                         for name, value in ratios.items()}
    if "records" in parts:
        records(project, work, repeat, results)
    if "lighthouse" in parts:
        lighthouse_part(project, repeat, results)
    results["notebooks"] = notebooks
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return results


def table(results: dict) -> str:
    """The results as Markdown (what `make bench` prints and the README quotes)."""
    from . import lighthouse

    lines = [f"Measured {results['date']} on {results['machine']}; median of {results['repeat']} runs (min–max)."]
    if "lighthouse" in results:
        found = results["lighthouse"]
        load = results.get("load_average")
        lines += ["", f"Lighthouse skipped: {found['skipped']}" if "skipped" in found else lighthouse.table(found)
                  + (f"\nLoad average while measured: {load[0]:.1f} (1 min) on {os.cpu_count()} cores." if load else "")]
    if "notebooks" in results:
        n = results["notebooks"]
        lines[0] += (" Paired runs after a warm-up. Floor: papermill on "
                     f"{n} notebooks doing only `import pandas, altair`, one after another, plus a clean `jupyter-book "
                     "build`; clean build: `python -m safecity build --force`, no cache, no site.")
    lines += ["", "| ratio | median | min–max | target | met |", "|---|---:|---:|---:|---|"]
    for key, value in results.get("ratios", {}).items():
        spread = f"{value['min']:.2f}–{value['max']:.2f}" if "min" in value else ""
        target = "" if value["target"] is None else f"≤ {value['target']}"
        met = "" if value["met"] is None else ("yes" if value["met"] else "**no**")
        lines.append(f"| {key} | {value['value']:.2f} | {spread} | {target} | {met} |")
    lines += ["", "| measure | median s | min–max s |", "|---|---:|---:|"]
    for key in ("floor_wall", "build_wall", "floor_cpu", "build_cpu", "build_no_change_wall"):
        if key in results:
            value = results[key]
            lines.append(f"| {key} | {value['median']:.2f} | {value['min']:.2f}–{value['max']:.2f} |")
    for label, group in (("records", results.get("records", {})), ("foia_records", results.get("foia_records", {}))):
        for rows, value in group.items():
            lines.append(f"| {label}_{rows}_rows (peak {value['peak_mb']:.0f} MB) | {value['median']:.2f} | "
                         f"{value['min']:.2f}–{value['max']:.2f} |")
    output = results.get("output", {})
    if "default" in output:
        lines += ["", f"Site: {output['default']['total_bytes'] / 1e6:.1f} MB in all; largest page "
                      f"{output['default']['largest_page']} ({output['default']['largest_page_bytes'] / 1e3:.0f} kB). "
                      f"Arrests page: {output['arrests_page_bytes_default']:,} bytes from the aggregate table."]
    for label, key in (("Arrests page", "arrests_page_bytes_records"), ("Seattle records page", "seattle_page_bytes_records")):
        if key in output:
            lines.append(f"{label}: " + ", ".join(f"{size:,} bytes from {int(rows):,} records"
                                                  for rows, size in output[key].items()) + ".")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecity.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--only", choices=("build", "records", "lighthouse"), action="append",
                        help="measure only the clean build against its floor, only record-level inputs at scale, or "
                             "only Lighthouse's mobile scores of every page (default: all three)")
    args = parser.parse_args(argv)
    results = run(args.repeat, args.out, tuple(args.only or ("build", "records", "lighthouse")))
    print(table(results))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
