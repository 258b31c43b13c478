"""The book's own history, read from git: when it was published, when each finding changed, and why.

A finding is whatever `safecity diff` reports between two versions of the results records in `book/results/`
(a labelled value, a verdict, a chart title, a page's words). Each commit on the main line that changed one
is an entry of the Corrections page, dated by the commit and explained by its message. Dates come from the
committed history, never from the clock, so two builds of the same commit are the same.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from . import ROOT, diff

RESULTS = diff.RESULTS.as_posix()


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, encoding="utf-8")
    except FileNotFoundError:  # no git on this machine
        return None
    return done.stdout if done.returncode == 0 else None


def commits(root: Path = ROOT) -> list[dict]:
    """The main line's commits that touched the results records, oldest first: {commit, date, subject}."""
    log = _git(root, "log", "--first-parent", "--reverse", "--format=%H%x1f%cs%x1f%s", "--", RESULTS)
    found = []
    for line in (log or "").splitlines():
        commit, date, subject = line.split("\x1f", 2)
        found.append({"commit": commit, "date": date, "subject": subject})
    return found


def entries(root: Path = ROOT) -> list[dict]:
    """Each commit that changed a finding, newest first: {date, commit (short), subject, pages: [{title,
    notebook, changes}]}. The first version of each page is its publication, not a correction."""
    found, before = [], {}
    for c in commits(root):
        after = diff.committed(c["commit"], root) or {}
        pages = []
        for notebook in sorted(set(before) & set(after)):
            pair = ({notebook: before[notebook]}, {notebook: after[notebook]})
            changed, _files = diff.changes(*pair, name_reworded=False)
            reworded = len(diff.reworded_blocks(before[notebook], after[notebook]))
            if changed or reworded:
                pages.append({"notebook": notebook, "title": after[notebook].get("title") or notebook,
                              "changes": changed, "n_changes": len(changed), "n_reworded": reworded})
        if pages:
            found.append({"date": c["date"], "commit": c["commit"][:10], "subject": c["subject"], "pages": pages})
        before = after
    return found[::-1]


def dates(root: Path = ROOT) -> dict:
    """{"published": first date of the results records, "updated": {notebook: last date a finding changed},
    "book_updated": the latest of those}; empty strings where the history is not available."""
    history = commits(root)
    published = history[0]["date"] if history else ""
    updated: dict[str, str] = {}
    for entry in reversed(entries(root)):  # oldest first, so later dates win
        for page in entry["pages"]:
            updated[page["notebook"]] = entry["date"]
    return {"published": published, "updated": updated,
            "book_updated": max(updated.values(), default=published)}


def digest(root: Path = ROOT) -> str:
    """A hash of the history the Corrections page and the dates are read from (part of the site's key)."""
    log = _git(root, "log", "--first-parent", "--format=%H %s", "--", RESULTS) or ""
    return hashlib.sha256(log.encode()).hexdigest()
