"""`make bench`: the book's build against the plain way, side by side in one run.

The plain way is what a book like this one costs done plainly: papermill runs each of the book's
notebooks in turn (in the order they read each other's records, default parameters, no tidy-table
cache from before), then a clean `jupyter-book build`. Measured against it, in pairs run back to back
after a warm-up, median of N:

* a clean build (`python -m safecity build --force`, no cache, no previous site): at most 0.6x the plain
  way's wall time and 0.9x its CPU time (user + system of every process it started);
* an analyst's update (one new month of visa data in a copy of the data, built before without it): at
  most 0.3x a clean build's wall time;
* a build with nothing changed: under 1 s.

Record-level inputs at scale (`--only records`) are measured apart and written to `results-records.json`.
Everything runs in throw-away copies of the project, so the working tree is never touched. Absolute
times on a shared machine are noise; the ratios are what the targets are about.

    python -m safecity.bench [--repeat N] [--only build|records|national] [--out bench/results.json]
"""

from __future__ import annotations

import argparse
import graphlib
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
#: Each ratio's target (at most), and a build with nothing changed (seconds, under).
TARGETS = {"clean_build_wall_vs_plain": 0.6, "clean_build_cpu_vs_plain": 0.9, "update_wall_vs_clean_build": 0.3}
NO_CHANGE_SECONDS = 1.0
#: The source of the analyst's update: one more month of visa tables.
MONTHLY = "state-dept-monthly-visas"


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


def plain(project: Project, work: Path) -> dict:
    """The plain way, in `project` (a copy of its own): papermill runs each notebook in turn into `book/`, with
    its default parameters and no tidy-table cache from before, then a clean `jupyter-book build`; timed as one."""
    from . import pipeline

    books = {nb.name: nb for nb in pipeline.notebooks(project.root)}
    ordered = graphlib.TopologicalSorter({name: nb.after for name, nb in books.items()}).static_order()
    runs = [(str(books[name].source), str(books[name].output)) for name in ordered]
    shutil.rmtree(project.root / ".cache", ignore_errors=True)
    site = work / "plain-site"
    shutil.rmtree(site, ignore_errors=True)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    script = textwrap.dedent(f"""
        import subprocess, papermill
        for source, output in {runs!r}:
            papermill.execute_notebook(source, output, cwd={str(project.root / pipeline.BOOK)!r},
                                       kernel_name="python3", progress_bar=False)
        subprocess.run([{str(jupyter_book)!r}, "build", {str(project.root)!r}, "--path-output", {str(site)!r}],
                       check=True, capture_output=True)
    """)
    return timed([sys.executable, "-c", script], cwd=project.root, env=project.env)


def add_month(data: Path) -> str:
    """One new month of visa data: each kind's latest monthly file again as the month after it (a month the
    State Department might publish next), recorded in the data package. Returns the new month."""
    folder = data / "raw" / MONTHLY
    month = ""
    for kind in sorted(p for p in folder.iterdir() if p.is_dir()):
        latest = sorted(kind.glob("*-01.jsonl.gz"))[-1]
        year, number = int(latest.name[:4]), int(latest.name[5:7])
        month = f"{year + number // 12}-{number % 12 + 1:02d}"
        shutil.copyfile(latest, kind / f"{month}-01.jsonl.gz")
    return month


def update(project: Project, work: Path, repeat: int) -> list[dict]:
    """The analyst's update, `repeat` times: a copy of the data, built as it is (untimed: the analyst's last
    build), then one new month of visa data, recorded, and the build that follows, timed."""
    data = work / "analyst-data"
    runs = []
    for _ in range(repeat):
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(project.root / "data", data)
        project.cli("build", "--data-dir", str(data))
        add_month(data)
        project.cli("data", "record", "--data-dir", str(data), MONTHLY)
        runs.append(project.cli("build", "--data-dir", str(data)))
    return runs


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


def national_job(data_dir: Path) -> dict:
    """The records chapter's national section on a data folder, in a fresh interpreter with an empty tidy-table
    cache (`data record` has already filled the project's with these files): what a first build pays to parse the
    files, validate them and store the tables. Seconds, peak MB."""
    code = PEAK + textwrap.dedent(f"""
        import json, shutil, tempfile, time
        from safecity import cache, national
        cache.DIR = tempfile.mkdtemp(prefix="safecity-bench-cache-")  # a hit would time reading a pickle, not parsing
        started = time.perf_counter()
        nat = national.load({str(data_dir)!r}, "Operation Safe City")
        values = national.results(nat)
        seconds = time.perf_counter() - started
        shutil.rmtree(cache.DIR, ignore_errors=True)
        print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb(),
                           "records": sum(y["records"] for y in values["years"])}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


#: ICE's areas as the national files name them (FY2017), for generated records of the national shape.
NATIONAL_AREAS = ["Atlanta", "Baltimore", "Boston", "Buffalo", "Chicago", "Dallas", "Denver", "Detroit", "El Paso",
                  "Houston", "Los Angeles", "Miami", "New Orleans", "New York City", "Newark", "Philadelphia",
                  "Phoenix", "Salt Lake City", "San Antonio", "San Diego", "San Francisco", "Seattle", "St. Paul",
                  "Washington"]


def national_data(project: Project, work: Path, n: int) -> Path:
    """A data folder whose nationwide records are `n` generated records of the national FOIA shape, split over
    the three fiscal years of the project's own package (everything else is the project's own), recorded."""
    from . import synthetic

    data = work / f"national_{n}"
    raw = data / "raw"
    for source in ("ice-safe-city", "ice-records-coding", "ice-seattle-aor-arrests", "ice-place-areas",
                   "ice-annual-arrests"):
        shutil.copytree(project.root / "data" / "raw" / source, raw / source)
    folder = raw / "ice-national-arrests"
    folder.mkdir(parents=True)
    shutil.copy(project.root / "data" / "raw" / "ice-national-arrests" / "datapackage.json", folder)
    for i, fy in enumerate((2016, 2017, 2018)):
        lines = synthetic.national_lines(n // 3, fy, NATIONAL_AREAS, seed=fy)
        synthetic.write_foia(folder / f"EROArrests_FY{fy}.csv.gz", lines)
        del lines
    project.cli("data", "record", "--data-dir", str(data), "ice-national-arrests")
    return data


def national(project: Project, work: Path, repeat: int, results: dict) -> None:
    """The national records at scale: 1M against 4M generated records of the national shape (time, peak memory)
    and the size of the records page each feeds, which must not grow with the number of records."""
    from . import pipeline

    timing, pages = {}, {}
    for n in (1_000_000, 4_000_000):
        data = national_data(project, work, n)
        runs = [national_job(data) for _ in range(repeat)]
        timing[str(n)] = {**_spread([r["seconds"] for r in runs]), "peak_mb": max(r["peak_mb"] for r in runs),
                          "records": runs[0]["records"]}
        project.cli("build", "--data-dir", str(data), "--only", "08_seattle_records")
        site = pipeline.work_root(project.root, data) / "_build" / "html"
        pages[n] = html_size(site)["pages"]["book/08_seattle_records.html"]
        shutil.rmtree(data, ignore_errors=True)
    results["national_records"] = timing
    results.setdefault("output", {})["records_page_bytes_national"] = {str(k): v for k, v in pages.items()}
    ratios = results.setdefault("ratios", {})
    scaling = timing["4000000"]["median"] / timing["1000000"]["median"]
    ratios["national_records_4m_vs_1m_time"] = {"value": scaling, "target": 4.5, "met": scaling <= 4.5}
    peak = timing["4000000"]["peak_mb"]
    ratios["national_records_4m_peak_gb"] = {"value": peak / 1024, "target": 1.5, "met": peak < 1.5 * 1024}
    (_, small), (_, big) = sorted(pages.items())
    ratios["records_page_4m_vs_1m_records"] = {"value": big / small, "target": 1.05, "met": big / small <= 1.05}


def foia_data(project: Project, work: Path, n: int) -> Path:
    """A data folder whose Seattle records are `n` generated records of ICE's FOIA shape over the file's period
    (the operation's days and everything else the chapter reads are the project's own), recorded."""
    from . import synthetic

    data = work / f"foia_{n}"
    raw = data / "raw"
    for source in ("ice-safe-city", "ice-records-coding", "ice-national-arrests", "ice-place-areas",
                   "ice-annual-arrests"):  # the records chapter's national section reads these too
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


def _write(results: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")


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


def run(repeat: int, out: Path, parts: tuple[str, ...] = ("build", "records", "national", "lighthouse")) -> list[dict]:
    """Measure `parts`; the build part is written to `out`, the records parts beside it (`results-records.json`),
    Lighthouse's scores too (`results-lighthouse.json`)."""
    work = Path(tempfile.mkdtemp(prefix="safecity-bench-"))
    try:
        shutil.copytree(ROOT, work / "project", ignore=IGNORE)
        project = Project(work / "project")
        header = {"date": date.today().isoformat(), "repeat": repeat,
                  "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
        written = []
        if "build" in parts:
            shutil.copytree(ROOT, work / "plain", ignore=IGNORE)
            results = dict(header, parts=["build"])
            build(project, Project(work / "plain"), work, repeat, results)
            _write(results, out)
            written.append(results)
        if "records" in parts or "national" in parts:
            results = dict(header, parts=[part for part in ("records", "national") if part in parts])
            if "records" in parts:
                records(project, work, repeat, results)
            if "national" in parts:
                national(project, work, repeat, results)
            _write(results, out.with_name("results-records.json"))
            written.append(results)
        if "lighthouse" in parts:
            results = dict(header, parts=["lighthouse"])
            lighthouse_part(project, repeat, results)
            _write(results, out.with_name("results-lighthouse.json"))
            written.append(results)
        return written
    finally:
        shutil.rmtree(work, ignore_errors=True)


def build(project: Project, plain_project: Project, work: Path, repeat: int, results: dict) -> None:
    """A clean build against the plain way (pairs back to back), an analyst's update, a build with nothing changed."""
    notebooks = len(project.clean_build()["statuses"])  # (also the warm-up)
    plain(plain_project, work)  # warm-up
    pairs = []
    for _ in range(repeat):
        base, clean = plain(plain_project, work), project.clean_build()
        pairs.append({"plain_wall": base["wall"], "plain_cpu": base["cpu"],
                      "build_wall": clean["wall"], "build_cpu": clean["cpu"]})
    results["pairs"] = pairs
    for key in ("plain_wall", "plain_cpu", "build_wall", "build_cpu"):
        results[key] = _spread([p[key] for p in pairs])
    ratios = {"clean_build_wall_vs_plain": _spread([p["build_wall"] / p["plain_wall"] for p in pairs]),
              "clean_build_cpu_vs_plain": _spread([p["build_cpu"] / p["plain_cpu"] for p in pairs])}

    # A build with nothing changed starts no kernel and keeps the site.
    no_change = [project.cli("build") for _ in range(repeat)]
    assert all(set(r["statuses"].values()) == {"cached"} for r in no_change), "a no-change build started a kernel"
    results["build_no_change_wall"] = _spread([r["wall"] for r in no_change])
    default_site = html_size(project.root / "_build" / "html")

    updates = update(project, work, repeat)
    results["update_wall"] = _spread([r["wall"] for r in updates])
    results["update_reran"] = sorted(name for name, status in updates[-1]["statuses"].items() if status == "ran")
    ratios["update_wall_vs_clean_build"] = _spread([r["wall"] / p["build_wall"] for r, p in zip(updates, pairs)])

    results["output"] = {"default": {k: v for k, v in default_site.items() if k != "pages"},
                         "arrests_page_bytes_default": default_site["pages"]["book/01_arrests_by_area.html"]}
    results["ratios"] = {name: {"value": value["median"], "min": value["min"], "max": value["max"],
                                "target": TARGETS[name], "met": value["median"] <= TARGETS[name] + 1e-9}
                         for name, value in ratios.items()}
    seconds = results["build_no_change_wall"]["median"]
    results["ratios"]["build_no_change_seconds"] = {
        "value": seconds, "min": results["build_no_change_wall"]["min"], "max": results["build_no_change_wall"]["max"],
        "target": NO_CHANGE_SECONDS, "met": seconds < NO_CHANGE_SECONDS}
    results["notebooks"] = notebooks


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
        lines[0] += (" Paired runs after a warm-up. The plain way: papermill runs each of the "
                     f"{n} notebooks in turn, then a clean `jupyter-book build`; clean build: `python -m safecity "
                     "build --force`, no cache, no site; update: one new month of visa data in a copy of the data.")
    lines += ["", "| ratio | median | min–max | target | met |", "|---|---:|---:|---:|---|"]
    for key, value in results.get("ratios", {}).items():
        spread = f"{value['min']:.2f}–{value['max']:.2f}" if "min" in value else ""
        target = "" if value["target"] is None else f"{'<' if key.endswith('seconds') else '≤'} {value['target']}"
        met = "" if value["met"] is None else ("yes" if value["met"] else "**no**")
        lines.append(f"| {key} | {value['value']:.2f} | {spread} | {target} | {met} |")
    lines += ["", "| measure | median s | min–max s |", "|---|---:|---:|"]
    for key in ("plain_wall", "build_wall", "plain_cpu", "build_cpu", "update_wall", "build_no_change_wall"):
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
    for label, key in (("Arrests page", "arrests_page_bytes_records"), ("Seattle records page", "seattle_page_bytes_records"),
                       ("Records page (nationwide)", "records_page_bytes_national")):
        if key in output:
            lines.append(f"{label}: " + ", ".join(f"{size:,} bytes from {int(rows):,} records"
                                                  for rows, size in output[key].items()) + ".")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecity.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--only", choices=("build", "records", "national", "lighthouse"), action="append",
                        help="measure only the build against the plain way, only record-level inputs at scale, or "
                             "only the nationwide records at scale, or only Lighthouse's mobile scores of every page (default: all)")
    args = parser.parse_args(argv)
    for results in run(args.repeat, args.out, tuple(args.only or ("build", "records", "national", "lighthouse"))):
        print(table(results))
    print(f"\nwritten to {args.out.parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
