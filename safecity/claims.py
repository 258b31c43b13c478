"""The claims ledger (`data/raw/article-claims/`): every figure the article states or implies, checked.

Claims are data (`claims.csv`): what the article says, the value as stated,
which chapter checks it, the rule that compares them and the key of the chapter result to compare
with. Verdicts come from a small fixed set and are computed, so a data change that makes a claim
hold or fail changes its verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import DataError, Problem
from .validate import display_path, read_table

SOURCE = "article-claims"

MATCHES = "matches the primary source"
DIFFERS = "differs from the primary source"
OUTDATED = "true when written, no longer true"
UNCHECKABLE = "cannot be checked with the data here"
VERDICTS = [MATCHES, DIFFERS, OUTDATED, UNCHECKABLE]

#: Chapter name in claims.csv → (module with `results(data_dir)`, page, title).
CHAPTERS = {
    "arrests": ("safecity.arrests", "01_arrests_by_area", "Arrests by area"),
    "offences": ("safecity.offences", "02_offences", "Offences"),
    "visas": ("safecity.visas", "03_visas", "Visas"),
    "refugees": ("safecity.refugees", "04_refugees", "Refugees"),
}


@dataclass(frozen=True)
class Verdict:
    verdict: str
    computed: str
    reason: str


def load(data_dir: Path) -> pd.DataFrame:
    """The article's claims, checked for unknown chapters and rules before anything is evaluated."""
    claims = read_table(data_dir, SOURCE, "claims")
    shown = display_path(Path(data_dir, "raw", SOURCE, "claims.csv"))
    for index, row in claims.iterrows():
        if row["chapter"] not in CHAPTERS and row["rule"] != "uncheckable":
            raise DataError(Problem(shown, f"unknown chapter '{row['chapter']}'", line=index + 2, column="chapter"))
        if row["rule"] not in RULES:
            raise DataError(Problem(shown, f"unknown rule '{row['rule']}' (known: {', '.join(RULES)})",
                                    line=index + 2, column="rule"))
    return claims


def lookup(results: dict, key: str):
    """A value from nested chapter results by a dotted key; `by_place.Los Angeles County.ice` works."""
    value = results
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(key)
        value = value[part]
    return value


def _number(text) -> float:
    return float(str(text).replace(",", "").replace("%", "").replace("−", "-"))


def _fmt(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}" if isinstance(value, (int, float)) else str(value)


def _with_note(text: str, note: str) -> str:
    return f"{text}; {note}" if note else text


def rule_equal(claim, results) -> Verdict:
    """The stated number must equal the computed one exactly."""
    computed = lookup(results, claim["key"])
    stated = _number(claim["stated_value"])
    if _number(computed) == stated:
        return Verdict(MATCHES, _fmt(computed), claim["note"] or "same figure in the primary source")
    diff = _number(computed) - stated
    return Verdict(DIFFERS, _fmt(computed), _with_note(f"the source gives {_fmt(computed)}, {_fmt(abs(diff))} "
                                                       f"{'more' if diff > 0 else 'fewer'}", claim["note"]))


def rule_percent(claim, results) -> Verdict:
    """A stated percentage change matches if the computed one rounds to it (within one point)."""
    computed = float(lookup(results, claim["key"])) * 100
    stated = _number(claim["stated_value"])
    gap = computed - stated
    text = f"{computed:+.1f}%"
    if abs(gap) <= 1.0:
        return Verdict(MATCHES, text, _with_note(f"within {abs(gap):.1f} points of the stated figure", claim["note"]))
    return Verdict(DIFFERS, text, _with_note(f"{abs(gap):.1f} points {'above' if gap > 0 else 'below'} the stated "
                                             f"figure", claim["note"]))


def rule_near_zero(claim, results) -> Verdict:
    """'Virtually unchanged': the computed change is within ±2%."""
    computed = float(lookup(results, claim["key"])) * 100
    text = f"{computed:+.1f}%"
    if abs(computed) <= 2.0:
        return Verdict(MATCHES, text, _with_note(f"a change of {text} is within ±2%", claim["note"]))
    return Verdict(DIFFERS, text, _with_note(f"a change of {text} is more than ±2%", claim["note"]))


def rule_lowest_since(claim, results) -> Verdict:
    """'Lowest since <year>': was it the lowest when written, and has a later value gone lower since?

    Reads the chapter's `is_lowest`, `tested_ceiling`, `min_ceiling`, `min_ceiling_year` and
    `later_lower` ({year: value}); `key` names the tested value.
    """
    value = lookup(results, claim["key"])
    previous, year = results["min_ceiling"], results["min_ceiling_year"]
    if not results["is_lowest"]:
        return Verdict(DIFFERS, _fmt(value), f"FY{year} was as low or lower ({_fmt(previous)}).")
    later = sorted(results.get("later_lower", {}).items())
    if later:
        years = ", ".join(f"FY{y} ({_fmt(v)})" for y, v in later)
        return Verdict(OUTDATED, _fmt(value), f"true when written: the lowest before was {_fmt(previous)} in "
                                              f"FY{year}; later ceilings went lower: {years}.")
    return Verdict(MATCHES, _fmt(value), f"the lowest before was {_fmt(previous)} in FY{year}, and none has "
                                         f"gone lower since.")


def rule_same_set(claim, results) -> Verdict:
    """A stated list (separated by ';') must name the same items as the computed list."""
    computed = sorted(str(x) for x in lookup(results, claim["key"]))
    stated = sorted(x.strip() for x in str(claim["stated_value"]).split(";"))
    if computed == stated:
        return Verdict(MATCHES, "; ".join(computed), claim["note"] or "the same list")
    missing = sorted(set(computed) - set(stated))
    extra = sorted(set(stated) - set(computed))
    parts = ([f"not in the article: {', '.join(missing)}"] if missing else []) + \
            ([f"not in the source: {', '.join(extra)}"] if extra else [])
    return Verdict(DIFFERS, "; ".join(computed), "; ".join(parts))


def rule_confirmed(claim, results) -> Verdict:
    """A qualitative claim the chapter can confirm (True), or cannot settle with the published data (False)."""
    confirmed = lookup(results, claim["key"])
    if confirmed:
        return Verdict(MATCHES, str(claim["stated_value"]), claim["note"] or "confirmed by the data")
    return Verdict(UNCHECKABLE, "", claim["note"] or "the published data cannot settle it")


def rule_uncheckable(claim, results) -> Verdict:
    return Verdict(UNCHECKABLE, "", claim["note"] or "no primary data for this figure in the book")


RULES = {"equal": rule_equal, "percent": rule_percent, "near_zero": rule_near_zero,
         "lowest_since": rule_lowest_since, "same_set": rule_same_set, "confirmed": rule_confirmed,
         "uncheckable": rule_uncheckable}


def chapter_results(data_dir: Path, chapters: set[str]) -> dict[str, dict]:
    """Each needed chapter's `results(data_dir)`, computed through `safecity` (never read from notebook output)."""
    import importlib

    found = {}
    for chapter in sorted(chapters):
        module = importlib.import_module(CHAPTERS[chapter][0])
        found[chapter] = module.results(data_dir)
    return found


def evaluate(claims: pd.DataFrame, results: dict[str, dict]) -> pd.DataFrame:
    """One row per claim: the claim, the stated and computed values, the verdict, the reason and the evidence link."""
    rows = []
    for claim in claims.to_dict("records"):
        claim = {k: ("" if pd.isna(v) else v) for k, v in claim.items()}
        chapter = results.get(claim["chapter"], {})
        try:
            verdict = RULES[claim["rule"]](claim, chapter)
        except KeyError as exc:
            raise ValueError(f"claim {claim['id']}: chapter '{claim['chapter']}' has no result {exc}") from None
        page = CHAPTERS.get(claim["chapter"], (None, "", ""))[1]
        link = f"{page}.html" + (f"#{claim['section']}" if claim["section"] else "") if page else ""
        rows.append({"id": claim["id"], "claim": claim["claim"], "stated": claim["stated_value"],
                     "unit": claim["unit"], "computed": verdict.computed, "verdict": verdict.verdict,
                     "reason": verdict.reason, "evidence": link})
    return pd.DataFrame(rows)


def ledger(data_dir: Path) -> pd.DataFrame:
    claims = load(data_dir)
    needed = {c for c in claims["chapter"] if c in CHAPTERS}
    return evaluate(claims, chapter_results(data_dir, needed))


def tally(table: pd.DataFrame) -> dict[str, int]:
    """How many claims got each verdict (every verdict listed, zero included)."""
    counts = table["verdict"].value_counts()
    return {verdict: int(counts.get(verdict, 0)) for verdict in VERDICTS}


#: Verdict → (short badge text, CSS class suffix). A verdict not listed here gets a badge with its own words.
BADGES = {
    "matches the primary source": ("Matches", "matches"),
    "differs from the primary source": ("Differs", "differs"),
    "true when written, no longer true": ("No longer true", "outdated"),
    "cannot be checked with the data here": ("Can't be checked", "uncheckable"),
    "goes beyond the data": ("Goes beyond the data", "beyond"),
    "not checked in this run": ("Not checked", "unchecked"),
}


def badge(verdict: str) -> tuple[str, str]:
    """The short badge text and CSS class of a verdict; an unknown verdict keeps its words and a plain class."""
    import re

    if verdict in BADGES:
        return BADGES[verdict]
    return verdict[:1].upper() + verdict[1:], "other-" + (re.sub(r"[^a-z0-9]+", "-", verdict.lower()).strip("-") or "x")


def to_html(table: pd.DataFrame) -> str:
    """The ledger for readers: a legend of verdict badges, a filter by verdict, and one row per claim.

    Claim and verdict come first, so they stay in view; on a narrow screen the stylesheet stacks each row
    into a card with labelled fields. The filter buttons are shown by `_static/safecity-ledger.js`
    (without scripts the whole ledger is shown). Text is escaped; only the evidence links are markup.
    An optional `quote` column (the article's exact words) is shown under the claim.
    """
    import html

    esc = html.escape
    verdicts = list(VERDICTS) + [v for v in dict.fromkeys(table["verdict"]) if v not in VERDICTS]
    counts = table["verdict"].value_counts()

    def chip(verdict: str) -> str:
        text, css = badge(verdict)
        return f'<span class="verdict verdict-{css}">{esc(text)}</span>'

    lines = ['<div class="safecity-ledger">',
             '<p class="safecity-ledger-legend-title" id="ledger-legend">What the verdicts mean</p>',
             '<ul class="safecity-ledger-legend" aria-labelledby="ledger-legend">']
    for verdict in verdicts:
        n = int(counts.get(verdict, 0))
        lines.append(f"<li>{chip(verdict)} {esc(verdict)} ({n} claim{'' if n == 1 else 's'})</li>")
    lines.append("</ul>")
    lines.append('<div class="safecity-ledger-filter" role="group" aria-labelledby="ledger-filter" hidden>'
                 '<span id="ledger-filter">Show:</span> '
                 f'<button type="button" data-verdict="" aria-pressed="true">All ({len(table)})</button>')
    for verdict in verdicts:
        n = int(counts.get(verdict, 0))
        if n:
            lines.append(f'<button type="button" data-verdict="{esc(badge(verdict)[1])}" aria-pressed="false">'
                         f"{esc(badge(verdict)[0])} ({n})</button>")
    lines += ["</div>", '<p class="safecity-ledger-status" role="status" aria-live="polite"></p>']

    head = ["Claim", "Verdict", "As stated", "From the data", "Why, and the evidence"]
    lines += ['<table class="safecity-table safecity-ledger-table">',
              "<caption>Every figure in the article, checked</caption>",
              "<thead><tr>" + "".join(f'<th scope="col">{h}</th>' for h in head) + "</tr></thead>", "<tbody>"]
    has_quote = "quote" in table.columns
    for row in table.to_dict("records"):
        row = {k: ("" if not isinstance(v, (list, dict)) and pd.isna(v) else v) for k, v in row.items()}
        claim = esc(str(row["claim"]))
        if has_quote and str(row["quote"]).strip():
            claim += f'<span class="safecity-quote">The article: <q>{esc(str(row["quote"]).strip())}</q></span>'
        stated = esc(f"{row['stated']} {row.get('unit', '')}".strip())
        evidence = str(row.get("evidence", ""))
        link = (f'<a href="{esc(evidence)}">{esc(CHAPTER_TITLES.get(evidence.split(".html")[0], "chapter"))}</a>'
                if evidence else "")
        why = esc(str(row["reason"])) + (f'<span class="safecity-evidence">Evidence: {link}</span>' if link else "")
        cells = [("Claim", claim), ("Verdict", chip(str(row["verdict"]))), ("As stated", stated),
                 ("From the data", esc(str(row["computed"])) or "none"), ("Why", why)]
        lines.append(f'<tr id="claim-{esc(str(row["id"]))}" data-verdict="{esc(badge(str(row["verdict"]))[1])}">'
                     + "".join(f'<td data-label="{label}">{value}</td>' for label, value in cells) + "</tr>")
    lines += ["</tbody>", "</table>", "</div>"]
    return "\n".join(lines)


CHAPTER_TITLES = {page: title for _, page, title in CHAPTERS.values()}
