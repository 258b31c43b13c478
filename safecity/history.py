"""The book's own history, read from git: when it was published, when each finding changed, and why.

A finding is whatever `safecity diff` reports between two versions of the results records in `book/results/`
(a labeled value, a verdict, a chart title, a page's words). Each date on which a commit of the main line changed one
is an entry of the Corrections page, saying in words what changed (never how: no commit, no message). Dates come from the
committed history, never from the clock, so two builds of the same commit are the same.
"""

from __future__ import annotations

import copy
import functools
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


LEDGER = "07_claims_ledger"


#: What the ledger's records said before the published rating standard (issue 31), as the standard's verdicts: the
#: words changed, not the rating. "True when written, no longer true" is what the standard calls accurate on the
#: article's date, with the later change shown beside it as an update.
EARLIER_WORDS = {"matches the primary source": "matches", "differs from the primary source": "differs",
                 "goes beyond the data": "beyond", "cannot be checked with the data here": "uncheckable",
                 "true when written, no longer true": "matches", "outdated": "matches"}


def _rating(verdict) -> str:
    """A recorded verdict as the standard's verdict (see EARLIER_WORDS)."""
    return EARLIER_WORDS.get(verdict, verdict) if isinstance(verdict, str) else verdict


def _rating_name(verdict: str) -> str:
    """A verdict's name on the published standard (else the verdict as recorded)."""
    from .claims import RATING

    return RATING.get(verdict, {}).get("name") or str(verdict)


def _walk(root: Path) -> tuple[list[dict], dict[str, list[dict]]]:
    """(the dates a finding changed, oldest first; each claim's rating changes, oldest first)."""
    return _walked(Path(root), digest(root))


@functools.lru_cache(maxsize=4)
def _walked(root: Path, _digest: str) -> tuple[list[dict], dict[str, list[dict]]]:
    """_walk, read once per state of the history (`_digest`)."""
    found, ratings, before = [], {}, {}
    versions = [(c, diff.committed(c["commit"], root) or {}) for c in commits(root)]
    # Every entry names a page by its title today, as the reader finds it in the book.
    titles = {notebook: r.get("title") or notebook for notebook, r in (versions[-1][1] if versions else {}).items()}
    for c, after in versions:
        pages = []
        for notebook in sorted(set(before) & set(after)):
            title = titles.get(notebook) or after[notebook].get("title") or notebook
            pair = ({notebook: before[notebook] | {"title": title}}, {notebook: after[notebook] | {"title": title}})
            changed, _files = diff.changes(*pair, name_reworded=False)
            reworded = len(diff.reworded_blocks(before[notebook], after[notebook]))
            if changed or reworded:
                pages.append({"notebook": notebook, "title": title,
                              "changes": changed, "n_changes": len(changed), "n_reworded": reworded})
        old = (before.get(LEDGER) or {}).get("values", {}).get("claims") or {}
        new = (after.get(LEDGER) or {}).get("values", {}).get("claims") or {}
        for claim_id in sorted(set(old) & set(new)):
            was, now = _rating(old[claim_id].get("verdict")), _rating(new[claim_id].get("verdict"))
            if was and now and was != now:
                ratings.setdefault(claim_id, []).append({"date": c["date"], "was": _rating_name(was),
                                                         "now": _rating_name(now)})
        if pages:
            # Several commits on one day are one entry: the reader sees what changed that day, not how it was made.
            if found and found[-1]["date"] == c["date"]:
                found[-1]["pages"].extend(pages)
            else:
                found.append({"date": c["date"], "pages": pages})
        before = after
    return found, ratings


def entries(root: Path = ROOT) -> list[dict]:
    """Each date a finding changed, newest first: {date, pages: [{title, notebook, changes, n_changes,
    n_reworded}]}, the changes in words (`safecity diff`). The first version of each page is its publication, not a
    correction."""
    return copy.deepcopy(_walk(root)[0][::-1])


def rating_changes(root: Path = ROOT) -> dict[str, list[dict]]:
    """Each claim whose rating changed since publication: claim id -> [{date, was, now}], oldest first, named on
    the published standard (a change of words only, such as the standard's new names, is not a change of rating)."""
    return copy.deepcopy(_walk(root)[1])


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
