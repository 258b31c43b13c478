"""The book's dates and Corrections page come from the committed history of its results records."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from safecity import history, prose


def _commit(repo: Path, day: str, message: str, records: dict[str, dict]) -> None:
    for name, record in records.items():
        path = repo / "book" / "results" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")
    env = os.environ | {"GIT_AUTHOR_DATE": f"{day}T12:00:00Z", "GIT_COMMITTER_DATE": f"{day}T12:00:00Z",
                        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", message], cwd=repo, check=True, env=env)


def _record(total: int, verdict: str) -> dict:
    return {"title": "Arrests by area", "labels": {"ice_total": "ICE's areas added up"},
            "values": {"ice_total": total}, "text": {"verdict": verdict}, "parameters": {}}


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    _commit(tmp_path, "2026-11-01", "First edition", {"01_arrests": _record(498, "The places add up.")})
    (tmp_path / "README").write_text("unrelated", encoding="utf-8")
    _commit(tmp_path, "2026-11-10", "Typo in the README", {})
    _commit(tmp_path, "2026-11-20", "Correct Denver's figure from ICE's release <as reprinted>",
            {"01_arrests": _record(508, "The places do not add up.")})
    return tmp_path


def test_each_change_of_a_finding_is_an_entry_dated_and_said_in_words(repo):
    entries = history.entries(repo)
    assert [e["date"] for e in entries] == ["2026-11-20"]  # the first edition is publication, not a correction
    entry = entries[0]
    assert set(entry) == {"date", "pages"}  # what changed and when; never the commit or its message
    changes = entry["pages"][0]["changes"]
    assert "ICE's areas added up: 498 → 508" in changes
    assert any("verdict" in line and "The places do not add up." in line for line in changes)


def test_published_and_updated_dates_follow_the_history_not_the_clock(repo):
    dates = history.dates(repo)
    assert dates == {"published": "2026-11-01", "updated": {"01_arrests": "2026-11-20"}, "book_updated": "2026-11-20"}
    page = prose.blocks("corrections", {"entries": history.entries(repo), "history_available": True,
                                        "published": dates["published"], "updated": "2026-11-20",
                                        "publisher": "test project", "contact": ""})
    assert page["dates"].startswith("Published 1 November 2026; updated 20 November 2026 by [test project](about.md) ([corrections](corrections.md)).")
    assert "**20 November 2026.**" in page["corrections"] and "ICE&#39;s areas added up: 498 → 508" in page["corrections"]
    # The page says what changed, not how it was made: no commit message, no commit.
    assert "Correct Denver" not in page["corrections"] and "as reprinted" not in page["corrections"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    assert head[:7] not in page["corrections"] and "commit" not in page["corrections"]


def _ledger(verdicts: dict[str, str]) -> dict:
    return {"title": "The claims ledger", "labels": {}, "text": {"verdict": "The ledger."}, "parameters": {},
            "values": {"claims": {cid: {"claim": cid, "verdict": v} for cid, v in verdicts.items()}}}


def test_a_changed_rating_is_dated_with_the_rating_it_replaced_and_new_words_are_no_change(tmp_path):
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    # Before the published standard, the ledger recorded its verdicts in words.
    _commit(tmp_path, "2026-11-01", "First", {"07_claims_ledger": _ledger({"a": "matches the primary source",
                                                                           "b": "matches the primary source"})})
    _commit(tmp_path, "2026-11-05", "Standard", {"07_claims_ledger": _ledger({"a": "matches", "b": "matches"})})
    _commit(tmp_path, "2026-11-09", "Fix", {"07_claims_ledger": _ledger({"a": "matches", "b": "differs"})})
    assert history.rating_changes(tmp_path) == {"b": [{"date": "2026-11-09", "was": "Accurate", "now": "Inaccurate"}]}
    note = prose.blocks("_rating_changed", {"changes": history.rating_changes(tmp_path)["b"]})["note"]
    assert note.strip() == "Rating changed on 9 November 2026: was Accurate."


def test_the_about_page_says_what_is_not_configured_instead_of_inventing_it():
    unset = prose.blocks("about", {"publisher": "The test desk", "contact": "", "funding": ""})["about"]
    assert "published by *The test desk*" in unset
    assert "has not yet stated how the book is funded" in unset and "has not been set yet" in unset
    assert "](methods.ipynb" in unset and "](corrections.md)" in unset  # the rating standard, the corrections
    assert "http" not in unset and "@" not in unset  # no address it was not given
    tracker = "https://example.org/desk/issues"
    set_ = prose.blocks("about", {"publisher": "The test desk", "contact": tracker,
                                  "funding": "Unfunded: written by volunteers."})["about"]
    assert f"]({tracker})" in set_ and "Unfunded: written by volunteers." in set_ and "not yet" not in set_


def test_a_configured_contact_is_offered_under_each_title_and_on_corrections(repo):
    dates = history.dates(repo)
    tracker = "https://example.org/safecity/issues"
    values = {"entries": history.entries(repo), "history_available": True, "published": dates["published"],
              "updated": "", "publisher": "p", "contact": tracker}
    page = prose.blocks("corrections", values)
    assert f"[report an error]({tracker})" in page["dates"]
    assert f"[Tell us in the book's issue tracker]({tracker})" in page["corrections"]
    unset = prose.blocks("corrections", values | {"contact": ""})
    assert "report an error" not in unset["dates"] and "issue tracker" not in unset["corrections"]


def test_without_history_the_pages_say_so(tmp_path):
    assert history.dates(tmp_path) == {"published": "", "updated": {}, "book_updated": ""}
    page = prose.blocks("corrections", {"entries": [], "history_available": False, "published": "",
                                        "updated": "", "publisher": "p", "contact": ""})
    assert "no git history" in page["corrections"] and "no git history" in page["dates"]


def test_a_changed_verdict_is_told_in_plain_words():
    """Corrections and `safecity diff` quote a changed verdict as a reader reads it: no Markdown, no entity, no rating
    badge's markup (a rating's change is its own line)."""
    from safecity import diff

    def records(verdict):
        return {"01_x": {"title": "Arrests", "notebook": "01_x", "values": {}, "parameters": {},
                         "text": {"verdict": verdict}}}

    found, _files = diff.changes(records("**Old.** {safecity-rating}`places-sum` ICE&#39;s *sum* is 564."),
                                 records("**New.** {safecity-rating}`places-sum` ICE&#39;s sum is 498."))
    assert found == ["Arrests, verdict: “Old. ICE's sum is 564.” → “New. ICE's sum is 498.”"]
