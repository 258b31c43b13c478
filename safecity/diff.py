"""`python -m safecity diff [REF]`: what a re-run changed in the findings, in words.

Compares the chapter results records committed at a git revision (`REF:book/results/<notebook>.json`,
default HEAD) with the records in a book folder (`book/results/`, or the separate folder a run on
another data folder executes into). Each headline value is named by the record's "labels" and shown
with its value, each chart title and verdict that changed in full, and other changed passages by name; each claim of the ledger by its verdict. Parameters that differ and
the input files that changed are listed too; "no findings changed" when no value, verdict or
parameter did.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from . import ROOT
from .packages import display_path

RESULTS = Path("book", "results")
#: How many changed input files are named one by one before the rest are counted.
MAX_FILES = 8


def committed(ref: str = "HEAD", root: Path = ROOT) -> dict[str, dict] | None:
    """The results records at `ref`, by notebook name; None if `ref` is not a revision of this repository."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, encoding="utf-8")

    try:
        if git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
            return None
    except FileNotFoundError:  # no git on this machine
        return None
    listing = git("ls-tree", "--name-only", f"{ref}:{RESULTS.as_posix()}")
    records = {}
    for name in sorted(listing.stdout.split()) if listing.returncode == 0 else []:
        if name.endswith(".json"):
            shown = git("show", f"{ref}:{RESULTS.as_posix()}/{name}")
            if shown.returncode == 0:
                records[name.removesuffix(".json")] = json.loads(shown.stdout)
    return records


def current(book_dir: Path) -> dict[str, dict]:
    """The results records in a book folder, by notebook name."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(Path(book_dir, "results").glob("*.json"))}


def _show(value) -> str:
    if value is None:
        return "none"
    return json.dumps(value, ensure_ascii=False)  # strings quoted, as a parameters file would give them


def _computed(value) -> str:
    """A ledger claim's computed value in a line of the summary: text as it is, a list joined, none when missing."""
    if value is None or value == "":
        return "none"
    return "; ".join(map(str, value)) if isinstance(value, list) else str(value)


def _value(values: dict, key: str) -> str:
    if key not in values or values[key] is None:
        return "not computed"
    from . import prose

    value = values[key]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return prose.num(value)
    if isinstance(value, float):  # a share or a change is a fraction; the book shows it as a percentage
        return prose.pct(value) if abs(value) <= 1 else prose.num(value, 1)
    return _show(value)


def _name(record: dict, notebook: str) -> str:
    return record.get("title") or notebook


def _plain(markdown: str) -> str:
    """A glued block as the words a reader reads, on one line: no Markdown, no entities, and no rating badge (a
    claim's rating, and any change to it, is reported on its own line)."""
    import html

    from markdown_it import MarkdownIt

    markdown = re.sub(r"\{safecity-rating\}`[^`]+`", "", markdown)
    rendered = MarkdownIt("commonmark").render(markdown)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split())
    return re.sub(r" ([.,;:!?)])", r"\1", text)


def _headline(block: str) -> bool:
    """A block reported in full when it changes: a page's verdict, a chart's title or subtitle."""
    return block == "verdict" or block.endswith(("_title", "_subtitle"))


def reworded_blocks(before: dict, after: dict) -> list[str]:
    """The other passages of a page whose words changed, by block name."""
    old_text, new_text = before.get("text", {}), after.get("text", {})
    return [block for block in sorted(set(old_text) | set(new_text))
            if old_text.get(block) != new_text.get(block) and not _headline(block)]


def changes(old: dict[str, dict], new: dict[str, dict], name_reworded: bool = True) -> tuple[list[str], list[str]]:
    """(findings that changed, input files that changed), each a list of plain-language lines. Passages that
    changed other than verdicts and chart titles are named in one line (`name_reworded=False` leaves it out)."""
    findings: list[str] = []
    for notebook in sorted(set(old) | set(new)):
        before, after = old.get(notebook), new.get(notebook)
        if before is None:
            findings.append(f"{_name(after, notebook)}: new page (no results committed before)")
            continue
        if after is None:
            findings.append(f"{_name(before, notebook)}: no results in this run")
            continue
        title = _name(after, notebook)
        old_params, new_params = before.get("parameters", {}), after.get("parameters", {})
        for key in sorted(set(old_params) | set(new_params)):
            if key == "data_dir" or old_params.get(key, ...) == new_params.get(key, ...):
                continue
            if key not in old_params:
                findings.append(f"{title}: new parameter {key} = {_show(new_params[key])}")
            elif key not in new_params:
                findings.append(f"{title}: parameter {key} no longer exists (was {_show(old_params[key])})")
            else:
                findings.append(f"{title}: parameter {key}: {_show(old_params[key])} → {_show(new_params[key])}")
        labels = {**before.get("labels", {}), **after.get("labels", {})}
        old_values, new_values = before.get("values") or {}, after.get("values") or {}
        for key, label in labels.items():
            # Compared as a reader would see them: a change too small to show is not a change of the finding.
            if _value(old_values, key) != _value(new_values, key):
                findings.append(f"{label}: {_value(old_values, key)} → {_value(new_values, key)}")
        old_text, new_text = before.get("text", {}), after.get("text", {})
        for block in sorted(set(old_text) | set(new_text)):
            if old_text.get(block) != new_text.get(block) and _headline(block):
                what = "verdict" if block == "verdict" else "chart " + block.rsplit("_", 1)[-1]
                if block not in old_text:
                    findings.append(f"{title}, {what}: new, “{_plain(new_text[block])}”")
                elif block not in new_text:
                    findings.append(f"{title}, {what}: removed (was “{_plain(old_text[block])}”)")
                else:
                    findings.append(f"{title}, {what}: “{_plain(old_text[block])}” → “{_plain(new_text[block])}”")
        reworded = reworded_blocks(before, after)
        if reworded and name_reworded:
            findings.append(f"{title}: words changed in {', '.join(reworded)}")
        old_claims = (before.get("values") or {}).get("claims") or {}
        new_claims = (after.get("values") or {}).get("claims") or {}
        for claim_id in list(old_claims) + [c for c in new_claims if c not in old_claims]:
            was, now = old_claims.get(claim_id, {}), new_claims.get(claim_id, {})
            name = now.get("claim") or was.get("claim") or claim_id
            if not was or not now:
                findings.append(f"claim '{name}': new in the ledger: {now.get('verdict')}" if now else
                                f"claim '{name}': no longer in the ledger (was: {was.get('verdict')})")
            elif was.get("verdict") != now.get("verdict"):
                computed = (f" (computed {_computed(was.get('computed'))} → {_computed(now.get('computed'))})"
                            if was.get("computed") != now.get("computed") else "")
                findings.append(f"claim '{name}': {was.get('verdict')} → {now.get('verdict')}{computed}")
            elif was.get("computed") != now.get("computed"):
                findings.append(f"claim '{name}': computed {_computed(was.get('computed'))} → "
                                f"{_computed(now.get('computed'))} (verdict still: {now.get('verdict')})")
    old_inputs = {path: digest for record in old.values() for path, digest in record.get("inputs", {}).items()}
    new_inputs = {path: digest for record in new.values() for path, digest in record.get("inputs", {}).items()}
    files = []
    for path in sorted(set(old_inputs) | set(new_inputs)):
        if path not in old_inputs:
            files.append(f"{path} (added)")
        elif path not in new_inputs:
            files.append(f"{path} (removed)")
        elif old_inputs[path] != new_inputs[path]:
            files.append(f"{path} (changed)")
    return findings, files


def report(book_dir: Path, ref: str = "HEAD", root: Path = ROOT) -> list[str]:
    """The lines `safecity diff` prints."""
    old = committed(ref, root)
    if old is None:
        return [f"'{ref}' is not a git revision of {root}: nothing to compare with"]
    new = current(book_dir)
    if not new:
        return [f"no results records in {display_path(Path(book_dir, 'results'))}: run the notebooks first"]
    if not old:
        return [f"no results records committed at {ref} ({RESULTS.as_posix()}/): nothing to compare with"]
    findings, files = changes(old, new)
    lines = [f"Changed since {ref}:"] + [f"  {line}" for line in findings] if findings else \
        [f"no findings changed since {ref}"]
    if files:
        shown = files[:MAX_FILES] + ([f"… and {len(files) - MAX_FILES} more"] if len(files) > MAX_FILES else [])
        lines.append(f"Input files that differ from {ref}'s records: " + "; ".join(shown))
    return lines
