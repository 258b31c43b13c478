"""The claims ledger (`data/raw/article-claims/`): every figure the article states or implies, checked.

Claims are data (`claims.csv`): the article's own words (`quote`), the value as stated, which chapter
checks it, the rule that compares them, the key of the chapter value to compare with, and the terms
the claim assumes (`terms`: the article's operation, visa window, baseline year, tested fiscal year).
Chapter values are read from the chapters' results records (:mod:`safecity.record`); nothing is
recomputed here. A claim whose chapter ran under other terms is not checked in that run, and the
ledger says so. Verdicts come from a small fixed set and are computed, so a data change that makes a
claim hold or fail changes its verdict, and the intro's findings with it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import DataError, Problem
from .text import count, join_and, minus
from .validate import display_path, read_table

SOURCE = "article-claims"
CHAPTER = "claims"
TITLE = "The claims ledger"
SOURCES = [SOURCE]
LABELS: dict[str, str] = {}

MATCHES = "matches the primary source"
DIFFERS = "differs from the primary source"
OUTDATED = "true when written, no longer true"
BEYOND = "goes beyond the data"
NOT_CHECKED = "not checked in this run"
UNCHECKABLE = "cannot be checked with the data here"
VERDICTS = [MATCHES, DIFFERS, OUTDATED, BEYOND, NOT_CHECKED, UNCHECKABLE]


@dataclass(frozen=True)
class Verdict:
    verdict: str
    computed: str
    reason: str


def load(data_dir: Path, chapters: set[str] | None = None) -> pd.DataFrame:
    """The article's claims, checked for unknown chapters and rules before anything is evaluated."""
    claims = read_table(data_dir, SOURCE, "claims")
    shown = display_path(Path(data_dir, "raw", SOURCE, "claims.csv"))
    for index, row in claims.iterrows():
        if row["rule"] not in RULES:
            raise DataError(Problem(shown, f"unknown rule '{row['rule']}' (known: {', '.join(RULES)})",
                                    line=index + 2, column="rule"))
        if chapters is not None and row["rule"] != "uncheckable" and row["chapter"] not in chapters:
            raise DataError(Problem(shown, f"unknown chapter '{row['chapter']}' (known: {', '.join(sorted(chapters))})",
                                    line=index + 2, column="chapter"))
        try:
            parse_terms(row.get("terms"))
        except ValueError as exc:
            raise DataError(Problem(shown, str(exc), line=index + 2, column="terms"))
        if _given(row.get("stated_value")) == _given(row.get("stated_key")) and row["rule"] != "uncheckable":
            raise DataError(Problem(shown, "give the stated value either as stated_value or as stated_key (the "
                                           "chapter result that reads it from the article), not both or neither",
                                    line=index + 2, column="stated_value"))
    return claims


def _given(value) -> bool:
    return not pd.isna(value) and bool(str(value).strip())


def parse_terms(text) -> dict[str, str]:
    """`window_start=2017-03; baseline_fy=2016` → {"window_start": "2017-03", "baseline_fy": "2016"}."""
    if text is None or pd.isna(text) or not str(text).strip():
        return {}
    terms = {}
    for part in str(text).split(";"):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"terms must be name=value pairs separated by ';', got {part.strip()!r}")
        terms[name.strip()] = value.strip()
    return terms


def lookup(values: dict, key: str):
    """A value from nested chapter results by a dotted key. Keys may themselves contain dots
    ("by_place.St. Paul.ice"): at each level the longest key that matches is taken."""
    value, rest = values, key
    while rest:
        if not isinstance(value, dict):
            raise KeyError(key)
        match = next((k for k in sorted(value, key=len, reverse=True)
                      if rest == k or rest.startswith(k + ".")), None)
        if match is None:
            raise KeyError(key)
        value, rest = value[match], rest[len(match) + 1:]
    return value


def _number(text) -> float:
    return float(str(text).replace(",", "").replace("%", "").replace("−", "-"))


def _fmt(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _pct(value: float) -> str:
    return minus(f"{value:+.1f}%")


def _with_note(text: str, note: str) -> str:
    return f"{text}; {note}" if note else text


def _date(text: str) -> str:
    day = dt.date.fromisoformat(str(text))
    return f"{day.day} {day:%B %Y}"


def stated_text(claim: dict) -> str:
    """The article's figure as a reader expects it: "45,000 refugees", "−44%", "24 September 2017"."""
    value, unit = str(claim["stated_value"]).strip(), str(claim["unit"]).strip()
    if not value:
        return ""
    if claim["rule"] == "equal_date":
        return _date(value)
    if unit == "percent change":
        return minus(value)
    try:
        number = _number(value)
    except ValueError:
        return value.replace(";", ",")
    text = _fmt(number)
    if unit:
        singular = unit[:-1] if unit.endswith("s") and number == 1 else unit
        text += f" {singular}"
    return text


def rule_equal(claim, record) -> Verdict:
    """The stated number must equal the computed one exactly."""
    computed = lookup(record["values"], claim["key"])
    if computed is None:  # the chapter could not compute it (a missing value): no verdict
        return Verdict(UNCHECKABLE, "", _with_note("the source has no figure for it", claim["note"]))
    stated = _number(claim["stated_value"])
    if _number(computed) == stated:
        return Verdict(MATCHES, _fmt(computed), claim["note"] or "the same figure as the primary source")
    diff = _number(computed) - stated
    return Verdict(DIFFERS, _fmt(computed), _with_note(f"the source gives {_fmt(computed)}, {_fmt(abs(diff))} "
                                                       f"{'more' if diff > 0 else 'fewer'}", claim["note"]))


def rule_goes_beyond(claim, record) -> Verdict:
    """The number matches, but the article's words claim more than the data can show."""
    computed = lookup(record["values"], claim["key"])
    if _number(computed) != _number(claim["stated_value"]):
        return rule_equal(claim, record)
    return Verdict(BEYOND, _fmt(computed), claim["note"] or "the number holds, but the words claim more than it shows")


def rule_equal_date(claim, record) -> Verdict:
    """The stated date (ISO) must be the date in the primary source."""
    computed = lookup(record["values"], claim["key"])
    if computed is None:
        return Verdict(UNCHECKABLE, "", claim["note"] or "the source gives no date")
    if str(computed) == str(claim["stated_value"]):
        return Verdict(MATCHES, _date(computed), claim["note"] or "the same date as the primary source")
    return Verdict(DIFFERS, _date(computed), _with_note(f"the source gives {_date(computed)}", claim["note"]))


def rule_percent(claim, record) -> Verdict:
    """A stated percentage change matches if the computed one is within the chapter's tolerance of it."""
    value = lookup(record["values"], claim["key"])
    tolerance = record["values"]["tolerance_points"]
    if value is None:
        return Verdict(UNCHECKABLE, "missing", _with_note("a month in the span has no data", claim["note"]))
    computed = float(value) * 100
    gap = computed - _number(claim["stated_value"])
    points = count(tolerance, "percentage point")
    if abs(gap) <= tolerance:
        return Verdict(MATCHES, _pct(computed), _with_note(f"{abs(gap):.1f} points from the stated figure, within "
                                                           f"{points}", claim["note"]))
    return Verdict(DIFFERS, _pct(computed), _with_note(f"{abs(gap):.1f} points {'above' if gap > 0 else 'below'} the "
                                                       f"stated figure, more than {points}", claim["note"]))


def rule_near_zero(claim, record) -> Verdict:
    """'Virtually unchanged': the computed change is within the chapter's near-zero band."""
    value = lookup(record["values"], claim["key"])
    band = record["values"]["near_zero"] * 100
    if value is None:
        return Verdict(UNCHECKABLE, "missing", _with_note("a month in the span has no data", claim["note"]))
    computed = float(value) * 100
    text = _pct(computed)
    if abs(computed) <= band:
        return Verdict(MATCHES, text, _with_note(f"a change of {text} is within ±{band:g}%", claim["note"]))
    return Verdict(DIFFERS, text, _with_note(f"a change of {text} is more than ±{band:g}%", claim["note"]))


def rule_lowest_since(claim, record) -> Verdict:
    """'Lowest since <year>': was it the lowest when written, and has a later value gone lower since?

    Reads the chapter's `is_lowest` (None: a ceiling is missing), `min_ceiling`, `min_ceiling_years`,
    `later_lower` and its `later_lower_detail` text block; `key` names the tested value.
    """
    values = record["values"]
    value = _fmt(lookup(values, claim["key"]))
    if values["is_lowest"] is None:  # a ceiling the comparison needs is missing: no verdict
        return Verdict(UNCHECKABLE, value, _with_note("a ceiling the comparison needs is missing", claim["note"]))
    previous, years = _fmt(values["min_ceiling"]), " and ".join(f"FY{y}" for y in values["min_ceiling_years"])
    later_text = record.get("text", {}).get("later_lower_detail", values.get("later_lower_text"))
    if not values["is_lowest"]:
        return Verdict(DIFFERS, value, f"{years} was as low or lower ({previous})")
    if values["later_lower"]:
        return Verdict(OUTDATED, value, f"true when written: the lowest before was {previous} in {years}; later "
                                        f"ceilings as first set went lower: {later_text}")
    return Verdict(MATCHES, value, f"the lowest before was {previous} in {years}, and none has gone lower since")


def rule_same_set(claim, record) -> Verdict:
    """A stated list (separated by ';') must name the same items as the computed list."""
    computed = sorted(str(x) for x in lookup(record["values"], claim["key"]))
    stated = sorted(x.strip() for x in str(claim["stated_value"]).split(";"))
    shown = ", ".join(computed)
    if computed == stated:
        return Verdict(MATCHES, shown, claim["note"] or "the same list")
    missing = sorted(set(computed) - set(stated))
    extra = sorted(set(stated) - set(computed))
    parts = ([f"not in the article: {', '.join(missing)}"] if missing else []) + \
            ([f"not in the source: {', '.join(extra)}"] if extra else [])
    return Verdict(DIFFERS, shown, "; ".join(parts))


def rule_at_most(claim, record) -> Verdict:
    """The stated figure is a part of the computed whole, so it must not be larger."""
    computed, stated = _number(lookup(record["values"], claim["key"])), _number(claim["stated_value"])
    if stated <= computed:
        return Verdict(MATCHES, _fmt(computed), _with_note(f"{_fmt(stated)} is no more than {_fmt(computed)}",
                                                           claim["note"]))
    return Verdict(DIFFERS, _fmt(computed), _with_note(f"{_fmt(stated)} is {_fmt(stated - computed)} more than the "
                                                       f"{_fmt(computed)} it is part of", claim["note"]))


def rule_largest(claim, record) -> Verdict:
    """The stated category must be the chapter's largest, and shown to be the largest of all. `key` is the prefix
    of the chapter's `<key>_category` and `<key>_is_certain` values and of its `<key>_reason` text."""
    values, prefix = record["values"], claim["key"]
    category = lookup(values, f"{prefix}_category")
    if category is None:
        return Verdict(UNCHECKABLE, "", _with_note("the source itemises no categories", claim["note"]))
    if str(category).casefold() != str(claim["stated_value"]).casefold():
        return Verdict(DIFFERS, str(category), _with_note(f"the largest category the source itemises is {category}",
                                                          claim["note"]))
    if lookup(values, f"{prefix}_is_certain"):
        return Verdict(MATCHES, str(category), _with_note(f"the source shows that {category} is the largest",
                                                          claim["note"]))
    reason = record.get("text", {}).get(f"{prefix}_reason", "the source does not show that it is the largest")
    return Verdict(UNCHECKABLE, str(category), _with_note(f"{category} is the largest category the source "
                                                          f"itemises, but {reason}", claim["note"]))


def rule_uncheckable(claim, record) -> Verdict:
    return Verdict(UNCHECKABLE, "", claim["note"] or "no primary data for this figure in the book")


RULES = {"equal": rule_equal, "percent": rule_percent, "near_zero": rule_near_zero,
         "lowest_since": rule_lowest_since, "same_set": rule_same_set, "at_most": rule_at_most,
         "largest": rule_largest, "goes_beyond": rule_goes_beyond, "equal_date": rule_equal_date, "uncheckable": rule_uncheckable}


def off_terms(claim: dict, record: dict) -> list[str]:
    """The claim's terms that the chapter's run did not use, as "name: this run X, the claim Y"."""
    ran = record.get("parameters", {})
    off = []
    for name, wanted in parse_terms(claim.get("terms")).items():
        if name not in ran:
            off.append(f"{name}: not a parameter of this chapter")
        elif str(ran[name]) != wanted:
            off.append(f"{name} was {ran[name]} in this run; the claim is about {wanted}")
    return off


def evaluate(claims: pd.DataFrame, records: dict[str, dict], source: str = "claims.csv") -> pd.DataFrame:
    """One row per claim: its words, the stated and computed values, the verdict, the reason and the evidence link.

    A claim with a `stated_key` takes the article's figure from the chapter that reads it from the article (the
    places list), so the ledger and the chapter show one figure; an `equal` claim's quote must then contain it."""
    rows = []
    for line, claim in enumerate(claims.to_dict("records"), start=2):
        claim = {k: ("" if not isinstance(v, (list, dict)) and pd.isna(v) else v) for k, v in claim.items()}
        record = records.get(claim["chapter"], {"values": {}, "parameters": {}})
        off = off_terms(claim, record) if claim["rule"] != "uncheckable" else []
        if claim.get("stated_key") and not off:
            claim["stated_value"] = _stated_from(claim, record, source, line)
        if off:
            verdict = Verdict(NOT_CHECKED, "", "this run used other terms than the claim's: " + "; ".join(off))
        else:
            try:
                verdict = RULES[claim["rule"]](claim, record)
            except KeyError as exc:
                raise ValueError(f"claim {claim['id']}: chapter '{claim['chapter']}' has no result {exc}") from None
            key_text = record.get("text", {}).get(claim["key"])
            if key_text and verdict.computed and claim["rule"] in ("percent", "near_zero", "equal"):
                verdict = Verdict(verdict.verdict, key_text, verdict.reason)  # the chapter page's own text
        page = record.get("notebook", "")
        link = f"{page}.html" + (f"#{claim['section']}" if claim["section"] else "") if page else ""
        rows.append({"id": claim["id"], "claim": claim["claim"], "quote": claim.get("quote", ""),
                     "quote_verified": str(claim.get("quote_verified", "")).lower() != "false",
                     "stated": stated_text(claim), "computed": verdict.computed, "verdict": verdict.verdict,
                     "reason": verdict.reason, "evidence": link, "evidence_title": record.get("title", "")})
    return pd.DataFrame(rows)


def _stated_from(claim: dict, record: dict, source: str, line: int) -> str:
    """The article's figure as the chapter's record holds it; for an `equal` claim, checked against its quote."""
    try:
        value = lookup(record["values"], claim["stated_key"])
    except KeyError:
        raise DataError(Problem(source, f"chapter '{claim['chapter']}' has no result '{claim['stated_key']}'",
                                line=line, column="stated_key")) from None
    if claim["rule"] == "equal" and isinstance(value, int):
        # Matched as a whole number, so that 167 is not found inside 1,167.
        if not re.search(rf"(?<!\d)(?<!\d,)(?:{value}|{value:,})(?!\d)(?!,\d)", claim["quote"]):
            raise DataError(Problem(source, f"the quote does not contain {value:,}, the article's figure as the "
                                            f"{claim['chapter']} chapter reads it ({claim['stated_key']})",
                                    line=line, column="quote"))
    return str(value)


def ledger(data_dir: Path, records: dict[str, dict]) -> pd.DataFrame:
    """The article's claims, each judged against the chapters' results records."""
    return evaluate(load(data_dir, set(records)), records,
                    display_path(Path(data_dir, "raw", SOURCE, "claims.csv")))


def record_values(table: pd.DataFrame) -> dict:
    """What the ledger's results record keeps: each claim's words, figures and verdict, and the tally."""
    return {"claims": {str(r.id): {"claim": r.claim, "quote": r.quote, "quote_verified": bool(r.quote_verified),
                                   "stated": r.stated, "computed": r.computed,
                                   "verdict": r.verdict} for r in table.itertuples()},
            "tally": tally(table)}


def verdict_list() -> str:
    """The verdict set as the ledger's introduction lists it."""
    return "; ".join(VERDICTS)


def tally(table: pd.DataFrame) -> dict[str, int]:
    """How many claims got each verdict (every verdict listed, zero included)."""
    counts = table["verdict"].value_counts()
    return {verdict: int(counts.get(verdict, 0)) for verdict in VERDICTS}


#: How the tally reads for one claim and for several: (singular, plural).
TALLY_PHRASES = {
    MATCHES: ("matches the primary source", "match the primary source"),
    DIFFERS: ("differs from it", "differ from it"),
    OUTDATED: ("was true when written but is no longer", "were true when written but are no longer"),
    BEYOND: ("goes beyond what the data show", "go beyond what the data show"),
    NOT_CHECKED: ("was not checked in this run", "were not checked in this run"),
    UNCHECKABLE: ("cannot be checked with the data here", "cannot be checked with the data here"),
}


def tally_sentence(counts: dict[str, int]) -> str:
    """'Of the article's 30 claims, 20 match the primary source, 1 differs from it, …' (verb agrees with count)."""
    total = sum(counts.values())
    parts = [f"{n:,} {TALLY_PHRASES[v][0 if n == 1 else 1]}" for v, n in counts.items() if n]
    return f"Of the article's {total:,} claims, {join_and(parts)}"


def quotes_sentence(table: pd.DataFrame) -> str:
    """How many claims quote the article's full text and how many quote the project's notes instead."""
    unread = int((table["quote_verified"].astype(str).str.lower() == "false").sum())
    read = len(table) - unread
    if not unread:
        return "each with the article's own words"
    return (f"{count(read, 'claim')} with the article's own words, and {count(unread, 'claim')} with wording from "
            "the project's notes, marked so, because that part of the article's full text was not read here")


# --- Findings for the intro: headlines chosen from the verdicts, details from the chapters' own text ---------


def _verdicts(table: pd.DataFrame, ids: list[str]) -> list[str]:
    known = table.set_index("id")["verdict"]
    return [known[i] for i in ids if i in known.index]


def _checked(verdicts: list[str]) -> list[str]:
    return [v for v in verdicts if v not in (NOT_CHECKED, UNCHECKABLE)]


def findings(table: pd.DataFrame, records: dict[str, dict]) -> dict[str, str]:
    """The intro's key findings: `finding_<chapter>_head` from the ledger's verdicts, `_body` from the chapter's text."""
    out = {}
    for chapter, make in FINDINGS.items():
        if chapter in records:
            head, body = make(table, records[chapter]["text"], records[chapter]["values"])
            out[f"finding_{chapter}_head"], out[f"finding_{chapter}_body"] = head, body
    return out


def _arrests(table, text, values):
    verdict = _verdicts(table, ["places-sum"])
    excess = values["article_excess"]
    if not _checked(verdict):
        head = "The arrests by place were not checked in this run."
    elif excess == 0:
        head = "The places add up to the total."
    else:
        head = f"The places add up to {'more' if excess > 0 else 'less'} than the total."
    body = (f"The article's places sum to {text['article_total']} arrests, {text['article_vs_stated']} of "
            f"{text['stated_total']}; ICE's own list sums to {text['ice_total']}.")
    if values.get("la_explains_excess") and excess:
        body += (f" The difference is Los Angeles: the article took the field office's {text['la_article']} "
                 f"where ICE's list counted {text['la_ice']} in Los Angeles County.")
    return head, body


def _offences(table, text, values):
    verdicts = _verdicts(table, ["convicted", "not-convicted", "dui", "dui-most-common"])
    checked = _checked(verdicts)
    if not checked:
        head = "The conviction figures were not checked in this run."
    elif all(v == MATCHES for v in checked) and len(checked) == len(verdicts):
        head = "The conviction figures hold."
    elif DIFFERS in checked:
        head = "Some conviction figures differ from ICE's."
    elif BEYOND in checked:
        head = "The conviction figures hold, but the article reads more into them than they show."
    else:
        head = "The conviction figures hold, with a caveat."
    body = (f"{text['convicted']} of {text['total']} people arrested had criminal convictions "
            f"({text['convicted_pct']})")
    if "share_vs_national" in text:
        body += f", {text['share_vs_national']} ICE's national {text['national_pct']} in {text['fy']}"
    body += "."
    if "largest_certainty" in text:
        body += (f" The largest conviction category ICE itemised is {text['largest_category']} "
                 f"({text['largest_category_people']} people). {text['largest_certainty']}: {text['largest_reason']}.")
    return head, body


def _visas(table, text, values):
    ids = ["politico-six", "politico-arab", "politico-muslim", "politico-all"]
    verdicts = _verdicts(table, ids)
    checked = _checked(verdicts)
    matched = sum(v == MATCHES for v in checked)
    if not checked:
        head = "Politico's visa figures were not checked in this run."
    elif matched == len(verdicts):
        head = "Politico's visa figures reproduce."
    elif matched == 0:
        head = "Politico's visa figures do not reproduce."
    else:
        head = f"{matched} of Politico's {len(verdicts)} visa figures reproduce."
    return head, text["finding"]  # the visa page's own words for its figures (templates/03_visas.md)


def _refugees(table, text, values):
    verdict = _verdicts(table, ["refugee-lowest"])
    since = values["since_year"]
    head = {MATCHES: f"\"Lowest since {since}\" was true when written, and still is.",
            OUTDATED: f"\"Lowest since {since}\" was true when written, and has not stayed true.",
            DIFFERS: f"\"Lowest since {since}\" was not true when written."}.get(
        verdict[0] if verdict else "", "The refugee ceiling claim was not checked in this run.")
    return head, f"{text['lowest_finding']} {text['later_finding']}"


FINDINGS = {"arrests": _arrests, "offences": _offences, "visas": _visas, "refugees": _refugees}


#: Verdict → (short badge text, CSS class suffix). A verdict not listed here gets a badge with its own words.
BADGES = {
    MATCHES: ("Matches", "matches"),
    DIFFERS: ("Differs", "differs"),
    OUTDATED: ("No longer true", "outdated"),
    BEYOND: ("Goes beyond the data", "beyond"),
    NOT_CHECKED: ("Not checked", "unchecked"),
    UNCHECKABLE: ("Can't be checked", "uncheckable"),
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

    from .charts import link_addresses

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
        claim = link_addresses(str(row["claim"]))
        if has_quote and str(row["quote"]).strip():
            quote = link_addresses(str(row["quote"]).strip())
            unverified = str(row.get("quote_verified", "")).lower() == "false"
            # A quote nobody read in the article's full text is not presented as the article's words.
            source = ("From the project's notes (not read in the article's full text)" if unverified
                      else "The article")
            claim += f'<span class="safecity-quote">{source}: <q>{quote}</q></span>'
        stated = esc(f"{row['stated']} {row.get('unit', '')}".strip())
        evidence = str(row.get("evidence", ""))
        link = f'<a href="{esc(evidence)}">{esc(str(row.get("evidence_title") or "chapter"))}</a>' if evidence else ""
        why = link_addresses(str(row["reason"]))
        if link:
            why += f'<span class="safecity-evidence">Evidence: {link}</span>'
        cells = [("Claim", claim), ("Verdict", chip(str(row["verdict"]))), ("As stated", stated),
                 ("From the data", esc(str(row["computed"])) or "none"), ("Why", why)]
        lines.append(f'<tr id="claim-{esc(str(row["id"]))}" data-verdict="{esc(badge(str(row["verdict"]))[1])}">'
                     + "".join(f'<td data-label="{label}">{value}</td>' for label, value in cells) + "</tr>")
    lines += ["</tbody>", "</table>", "</div>"]
    return "\n".join(lines)
