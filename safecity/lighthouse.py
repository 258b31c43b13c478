"""Lighthouse's mobile run on every page of the built site, served compressed as a static host serves it.

Lighthouse (the npm package pinned in `tools/lighthouse/`, installed there by `npm ci`) drives Debian's chromium
(`CHROME_PATH`) in its default mobile setting: a mid-range phone on a slow 4G connection, simulated. The site is
served from 127.0.0.1 (`sitecheck.SiteServer`), with text files compressed as a static host does. Each page gets the four
scores (performance, accessibility, best practices, SEO, 0–100); with several runs, the median of each.

    python -m safecity.lighthouse _build/html [--runs N] [--page book/intro.html ...]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from . import ROOT, sitecheck

TOOL = ROOT / "tools" / "lighthouse"
CLI = TOOL / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME = os.environ.get("CHROME_PATH", sitecheck.CHROMIUM)
CHROME_FLAGS = " ".join(["--headless", *sitecheck.CHROMIUM_FLAGS])
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGET = 95
#: Compressed when the browser accepts gzip, as static hosts (GitHub Pages, Netlify, nginx's gzip_static) do.
COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".ipynb", ".csv", ".txt", ".map"}
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".ipynb": "application/x-ipynb+json",
         ".csv": "text/csv", ".html": "text/html"}


class _GzipHandler(sitecheck.Handler):
    """The site's handler, sending text files gzipped to a browser that accepts it."""

    extensions_map = {**sitecheck.Handler.extensions_map, **TYPES}

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        gzip_ok = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (gzip_ok and path.is_file() and path.suffix in COMPRESSED):
            return super().send_head()
        body = _gzipped(str(path), path.stat().st_mtime_ns)
        self.send_response(200)
        ctype = self.guess_type(str(path))
        self.send_header("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/") else ""))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io

        return io.BytesIO(body)


@functools.lru_cache(maxsize=256)
def _gzipped(path: str, _mtime: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


def available() -> str | None:
    """Why Lighthouse cannot run here, or None when it can."""
    if not shutil.which("node"):
        return "node is not installed"
    if not CLI.exists():
        return f"Lighthouse is not installed: run `npm ci` in {TOOL.relative_to(ROOT)}"
    missing = sitecheck.chromium_missing(CHROME)
    return f"{missing} (or set CHROME_PATH)" if missing else None


def audit(url: str) -> dict:
    """One Lighthouse mobile run of `url`: each category's score (0–100) and the failing audits' titles."""
    with tempfile.TemporaryDirectory(prefix="safecity-lighthouse-") as tmp:
        report = Path(tmp, "report.json")
        command = ["node", str(CLI), url, "--output=json", f"--output-path={report}", "--quiet",
                   f"--chrome-flags={CHROME_FLAGS}", f"--only-categories={','.join(CATEGORIES)}"]
        proc = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, CHROME_PATH=CHROME),
                              timeout=300)
        if proc.returncode != 0 or not report.exists():
            raise RuntimeError(f"lighthouse failed on {url}: {(proc.stderr or proc.stdout)[-1500:]}")
        data = json.loads(report.read_text(encoding="utf-8"))
    scores = {name: round(100 * data["categories"][name]["score"]) for name in CATEGORIES}
    misses = {}
    for name in CATEGORIES:
        for ref in data["categories"][name]["auditRefs"]:
            result = data["audits"][ref["id"]]
            if ref.get("weight") and result.get("score") is not None and result["score"] < 0.9:
                misses.setdefault(name, []).append(f"{result['title']}"
                                                   + (f" ({result['displayValue']})" if result.get("displayValue") else ""))
    metrics = {key: data["audits"][key].get("numericValue") for key in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift")}
    return {"scores": scores, "misses": misses, "metrics": metrics,
            "transfer_bytes": data["audits"]["total-byte-weight"].get("numericValue")}


def pages(html_dir: Path) -> list[str]:
    """Every HTML page of the site but the root's redirect, as paths from the site root."""
    return sorted(p.relative_to(html_dir).as_posix() for p in Path(html_dir).rglob("*.html")
                  if "_static" not in p.parts and p.relative_to(html_dir).as_posix() != "index.html")


def measure(html_dir: Path, runs: int = 3, only: list[str] | None = None, echo=print) -> dict:
    """Each page's median score per category over `runs` runs, with the last run's misses and metrics."""
    found = {}
    with sitecheck.SiteServer(Path(html_dir), handler=_GzipHandler) as server:
        for page in only or pages(Path(html_dir)):
            results = [audit(server.url(page)) for _ in range(runs)]
            found[page] = {"scores": {name: statistics.median(r["scores"][name] for r in results) for name in CATEGORIES},
                           "runs": [r["scores"] for r in results], "misses": results[-1]["misses"],
                           "metrics": results[-1]["metrics"], "transfer_bytes": results[-1]["transfer_bytes"]}
            echo(f"{page}: " + ", ".join(f"{k} {v:g}" for k, v in found[page]["scores"].items()))
    return {"runs": runs, "target": TARGET, "pages": found}


def table(results: dict) -> str:
    """The scores as Markdown, one row per page; a score under the target is in bold."""
    head = ["page", *CATEGORIES, "LCP s", "TBT ms", "kB sent"]
    lines = [f"Lighthouse {json.loads((TOOL / 'package.json').read_text())['dependencies']['lighthouse']}, mobile, "
             f"median of {results['runs']} run(s) per page; target ≥ {results['target']} in every category.", "",
             "| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for page, found in results["pages"].items():
        cells = [f"{v:g}" if v >= results["target"] else f"**{v:g}**" for v in found["scores"].values()]
        m = found["metrics"]
        cells += [f"{m['largest-contentful-paint'] / 1000:.1f}", f"{m['total-blocking-time']:.0f}",
                  f"{(found['transfer_bytes'] or 0) / 1000:.0f}"]
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    missed = {(page, cat): items for page, found in results["pages"].items()
              for cat, items in found["misses"].items() if found["scores"][cat] < results["target"]}
    if missed:
        lines += ["", "Below target, and the audits that cost the points:"]
        lines += [f"- {page}, {cat}: " + "; ".join(items[:6]) for (page, cat), items in missed.items()]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecity.lighthouse", description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", type=Path, nargs="?", default=ROOT / "_build" / "html")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page", action="append", help="a page to measure (default: every page)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    reason = available()
    if reason:
        print(f"lighthouse: {reason}", file=sys.stderr)
        return 2
    results = measure(args.html_dir, args.runs, args.page, echo=lambda line: print(line, file=sys.stderr))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
