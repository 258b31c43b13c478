"""The claims ledger (`data/raw/article-claims/`): every checkable statement in the article, checked.

Claims are data (`claims.csv`): the article's exact words (`quote`), the value as stated, which chapter
checks it, the rule that compares them, the key of the chapter value to compare with, the source the
verdict names, and the terms the claim assumes (`terms`: the article's operation, visa window, baseline
year, tested fiscal year). Chapter values are read from the chapters' results records
(:mod:`safecity.record`); nothing is recomputed here. Each rule returns plain data (the verdict, both
values, the numbers that decide it); every word the ledger and the intro show for them is in
`templates/07_claims_ledger.md`. A claim whose chapter ran under other terms, or whose value the
chapter could not compute, is not checked: a missing value is never a verdict.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .errors import DataError, Problem
from .packages import display_path
from .validate import read_table

SOURCE = "article-claims"
CHAPTER = "claims"
TITLE = "The claims ledger"
SOURCES = [SOURCE]
LABELS: dict[str, str] = {}

# The verdicts: the keys the record, the rules and the templates share.
MATCHES = "matches"
DIFFERS = "differs"
BEYOND = "beyond"
NOT_CHECKED = "not checked"
UNCHECKABLE = "uncheckable"
VERDICTS = [MATCHES, BEYOND, DIFFERS, NOT_CHECKED, UNCHECKABLE]
#: The verdicts that judge a claim (the others say why it was not judged).
JUDGED = (MATCHES, BEYOND, DIFFERS)

#: The book's published rating standard, as data: every page, card, tally and the ClaimReview data read a claim's
#: rating name and definition from here (through the ledger's record). `scale` is the rating's place on the scale
#: (3 best); the two that are not ratings have none. A claim is rated on what was true and public on the day the
#: article appeared (AS_OF); what happened later is shown beside the rating as an update and never changes it.
AS_OF = "2017-09-30"
RATINGS = [
    {"verdict": MATCHES, "name": "Accurate", "short": "Accurate", "scale": 3,
     "definition": "The statement says what its source said, or what the record showed, when the article appeared, "
                   "and it adds nothing the source does not support."},
    {"verdict": BEYOND, "name": "Goes beyond its source", "short": "Goes beyond", "scale": 2,
     "definition": "The figure or fact is the source's, but the article's words claim more than the source said: "
                   "a narrower place, a stronger word, a whole group where the source names a part."},
    {"verdict": DIFFERS, "name": "Inaccurate", "short": "Inaccurate", "scale": 1,
     "definition": "The statement is not what its source said, or not what the record showed, when the article "
                   "appeared: a different figure, date, name or list."},
    {"verdict": UNCHECKABLE, "name": "Cannot be checked", "short": "Can't be checked", "scale": None,
     "definition": "No public document the book found settles it. The ledger says why, and which document would "
                   "settle it. It is not counted for or against the article."},
    {"verdict": NOT_CHECKED, "name": "Not checked in this run", "short": "Not checked", "scale": None,
     "definition": "The chapter ran on other terms than the article's, such as another operation, window or year, or "
                   "could not compute a value the rule needs. Only runs on other parameters show it."},
]
RATING = {r["verdict"]: r for r in RATINGS}
#: How a claim's note marks what happened after the article appeared (an update beside the rating, never counted).
UPDATE_MARK = "Update after the article"
#: How the article's place figures are named against ICE's list (claims' `place_names.csv`, column `named_as`).
NAMED_AS_ICE = "ice"        # the name ICE gave the figure, in either version of its release, or its abbreviation
NAMED_NARROWER = "narrower"  # a place inside the one ICE named (a city for ICE's county)
NAMED_AS = (NAMED_AS_ICE, NAMED_NARROWER)
#: What a claim's first source is: the primary document, a reproduction of it, or a report of it.
SOURCE_KINDS = ("primary", "reproduction", "report")

#: How a stated value is shown (the template formats each kind with the prose filters).
KINDS = ("count", "fraction", "date", "list", "text")

#: The chapter values each finding on the intro reads (a key a chapter no longer records is named as missing).
FINDING_KEYS = {
    "arrests": ["article_total", "stated_total", "ice_total", "article_excess", "findings"],
    "offences": ["convicted", "total", "convicted_share", "national_share", "fiscal_year", "largest_category",
                 "largest_category_people", "largest_is_certain", "not_itemised"],
    "visas": ["six_change", "six_countries", "arab_change", "muslim_change", "all_change"],
    "refugees": ["since_year", "tested_year", "tested_ceiling", "min_ceiling", "min_ceiling_years", "later_lower"],
}
#: The ledger's blocks the intro shows, in order.
INTRO_BLOCKS = ["verdict", "cards_intro", "finding_arrests", "finding_offences", "finding_visas", "finding_refugees", "finding_ledger"]
#: The claims each finding's headline is chosen from.
FINDING_CLAIMS = {
    "arrests": ["places-sum"],
    "offences": ["convicted", "not-convicted", "dui", "dui-most-common"],
    "visas": ["politico-six", "politico-arab", "politico-muslim", "politico-all"],
    "refugees": ["refugee-lowest"],
}


def load(data_dir: Path, chapters: set[str] | None = None) -> pd.DataFrame:
    """The article's claims, checked for unknown chapters, rules and claims followed before anything is evaluated."""
    claims = read_table(data_dir, SOURCE, "claims")
    shown = display_path(Path(data_dir, "raw", SOURCE, "claims.csv"))
    ids = set(claims["id"])
    for index, row in claims.iterrows():
        line = index + 2
        if row["rule"] not in RULES:
            raise DataError(Problem(shown, f"unknown rule '{row['rule']}' (known: {', '.join(RULES)})",
                                    line=line, column="rule"))
        if chapters is not None and row["rule"] not in UNJUDGED_RULES and row["chapter"] not in chapters:
            raise DataError(Problem(shown, f"unknown chapter '{row['chapter']}' (known: {', '.join(sorted(chapters))})",
                                    line=line, column="chapter"))
        try:
            parse_terms(row.get("terms"))
        except ValueError as exc:
            raise DataError(Problem(shown, str(exc), line=line, column="terms"))
        if row["rule"] == "document" and row.get("rating") not in JUDGED:
            raise DataError(Problem(shown, f"a claim settled by a document gives its rating ({', '.join(JUDGED)})",
                                    line=line, column="rating"))
        if row["rule"] in UNJUDGED_RULES and not _given(row.get("note")):
            raise DataError(Problem(shown, "say what the document says, or why the claim cannot be checked and "
                                           "what would settle it", line=line, column="note"))
        if row["rule"] != "uncheckable" and not _given(row.get("source_url")):
            raise DataError(Problem(shown, "a rated claim links at least one document a reader can open",
                                    line=line, column="source_url"))
        if _given(row.get("stated_value")) == _given(row.get("stated_key")) and row["rule"] not in UNJUDGED_RULES:
            raise DataError(Problem(shown, "give the stated value either as stated_value or as stated_key (the "
                                           "chapter result that reads it from the article), not both or neither",
                                    line=line, column="stated_value"))
        unknown = [i for i in _ids(row.get("follows")) if i not in ids]
        if unknown:
            raise DataError(Problem(shown, f"follows an unknown claim: {', '.join(unknown)}", line=line,
                                    column="follows"))
    return claims


#: Rules no chapter value decides: a claim settled by reading a document, and one no document found settles.
UNJUDGED_RULES = ("uncheckable", "document")


def place_names(data_dir: Path) -> dict[str, dict]:
    """How each of the article's places is named against ICE's list (`place_names.csv`): ICE's name or names for the
    figure (first and corrected release), what ICE's name covered, and whether the article's place is ICE's or a
    narrower one."""
    table = read_table(data_dir, SOURCE, "place-names")
    shown = display_path(Path(data_dir, "raw", SOURCE, "place_names.csv"))
    out = {}
    for index, row in table.iterrows():
        if row["named_as"] not in NAMED_AS:
            raise DataError(Problem(shown, f"named_as must be one of {', '.join(NAMED_AS)}", line=index + 2,
                                    column="named_as"))
        out[row["place"]] = {"named_as": row["named_as"], "ice_labels": _ids(row["ice_labels"]),
                             "covers": row["covers"], "source": row["source"], "source_url": row["source_url"]}
    return out


def _given(value) -> bool:
    return value is not None and not pd.isna(value) and bool(str(value).strip())


def _ids(text) -> list[str]:
    return [part.strip() for part in str(text).split(";") if part.strip()] if _given(text) else []


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


def _plain_number(value):
    """A whole number as int, anything else as float."""
    number = float(value)
    return int(number) if number.is_integer() else number


def stated_value(claim: dict):
    """The article's figure as plain data: 45000, −0.44 (a fraction), "2017-09-24", ["Chad", ...] or text."""
    value, unit = str(claim["stated_value"]).strip(), str(claim.get("unit", "")).strip()
    if not value:
        return None
    if claim["rule"] == "equal_date":
        return value
    if claim["rule"] in ("same_set", "all_in", "targets"):
        return [x.strip() for x in value.split(";")]
    try:
        number = _number(value)
    except ValueError:
        return value
    if unit == "percent change":
        return number / 100
    return _plain_number(number)


def value_kind(claim: dict, value) -> str:
    """How a value is shown: a count, a fraction (as a percentage), a date, a list or text."""
    if claim["rule"] in ("equal_date",) and value is not None:
        return "date"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool) or value is None:
        return "text"
    if isinstance(value, (int, float)):
        return "fraction" if str(claim.get("unit", "")) == "percent change" else "count"
    return "text"


class Missing(Exception):
    """A chapter value the rule needs was not computed (null in the record)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _value(values: dict, key: str):
    found = lookup(values, key)
    if found is None:
        raise Missing(key)
    return found


def rule_equal(claim, values) -> dict:
    """The stated number must equal the computed one exactly."""
    computed, stated = _value(values, claim["key"]), claim["stated"]
    difference = _plain_number(_number(computed) - _number(stated))
    return {"verdict": MATCHES if difference == 0 else DIFFERS, "computed": _plain_number(_number(computed)),
            "difference": difference}


def rule_goes_beyond(claim, values) -> dict:
    """The number matches, but the article's words claim more than the data can show."""
    out = rule_equal(claim, values)
    return out | {"verdict": BEYOND} if out["verdict"] == MATCHES else out


def rule_equal_date(claim, values) -> dict:
    """The stated date (ISO) must be the date in the primary source."""
    computed = str(_value(values, claim["key"]))
    return {"verdict": MATCHES if computed == str(claim["stated"]) else DIFFERS, "computed": computed}


def rule_percent(claim, values) -> dict:
    """A stated percentage change matches if the computed one is within the chapter's tolerance of it."""
    computed, tolerance = float(_value(values, claim["key"])), float(_value(values, "tolerance_points"))
    gap = round((computed - claim["stated"]) * 100, 6)
    return {"verdict": MATCHES if abs(gap) <= tolerance else DIFFERS, "computed": computed, "gap_points": gap,
            "tolerance_points": tolerance}


def rule_near_zero(claim, values) -> dict:
    """'Virtually unchanged': the computed change is within the chapter's near-zero band."""
    computed, band = float(_value(values, claim["key"])), float(_value(values, "near_zero"))
    return {"verdict": MATCHES if abs(computed) <= band else DIFFERS, "computed": computed, "band": band}


def rule_lowest_since(claim, values) -> dict:
    """'Lowest since <year>': was it the lowest when written, and has a later value gone lower since?

    Reads the chapter's `is_lowest` (None when a ceiling the comparison needs is missing), `min_ceiling`,
    `min_ceiling_years` and `later_lower` (the later years whose ceiling as first set went lower: year, ceiling
    and, when it was changed during the year, `revised`, `direction` and `revised_to`); `key` names the tested
    value."""
    out = {"computed": _value(values, claim["key"]), "min_ceiling": _value(values, "min_ceiling"),
           "min_ceiling_years": _value(values, "min_ceiling_years"), "since_year": _value(values, "since_year"),
           "later_lower": later_rows(_value(values, "later_lower"))}
    # Rated as of the day the article appeared: a later, lower ceiling is an update beside the rating, never the
    # rating (rate_as_of).
    return out | {"verdict": rate_as_of(bool(_value(values, "is_lowest"))), "update": bool(out["later_lower"])}


def rate_as_of(true_when_written: bool) -> str:
    """The rating of a claim about the record as it stood on AS_OF: what happened later never enters it."""
    return MATCHES if true_when_written else DIFFERS


def later_rows(later) -> list[dict]:
    """The refugees chapter's later ceilings below the tested one, in year order: year, ceiling and, when it was
    changed during the year, `revised`, `direction` and `revised_to` (an older record's {year: ceiling} too)."""
    if isinstance(later, dict):
        later = [{"year": year, "ceiling": ceiling} for year, ceiling in later.items()]
    return [{"year": int(r["year"]), "ceiling": r["ceiling"], "revised": bool(r.get("revised")),
             "direction": r.get("direction"), "revised_to": r.get("revised_to")}
            for r in sorted(later, key=lambda r: int(r["year"]))]


def rule_same_set(claim, values) -> dict:
    """A stated list (separated by ';') must name the same items as the computed list."""
    computed = sorted(str(x) for x in _value(values, claim["key"]))
    stated = sorted(claim["stated"])
    return {"verdict": MATCHES if computed == stated else DIFFERS, "computed": computed,
            "not_in_article": sorted(set(computed) - set(stated)), "not_in_source": sorted(set(stated) - set(computed))}


def rule_at_most(claim, values) -> dict:
    """The stated figure is a part of the computed whole, so it must not be larger."""
    computed = _plain_number(_number(_value(values, claim["key"])))
    excess = _plain_number(_number(claim["stated"]) - computed)
    return {"verdict": MATCHES if excess <= 0 else DIFFERS, "computed": computed, "excess": excess}


def rule_largest(claim, values) -> dict:
    """The stated category must be the largest the source itemizes (the article's "most common offense cited by
    ICE"). `key` is the prefix of the chapter's `<key>_category`, `<key>_category_people` and `<key>_is_certain`
    values; `not_itemised` counts the people whose most serious conviction the source does not itemise, so
    whether the category is the largest of all convictions is said beside the verdict, not as it."""
    prefix = claim["key"]
    category = _value(values, f"{prefix}_category")
    return {"verdict": MATCHES if str(category).casefold() == str(claim["stated"]).casefold() else DIFFERS,
            "computed": str(category), "people": values.get(f"{prefix}_category_people"),
            "certain": bool(_value(values, f"{prefix}_is_certain")), "not_itemised": values.get("not_itemised")}


#: "Nearly N": no more than N, and less than this fraction of N below it.
NEARLY = 0.1


def rule_nearly(claim, values) -> dict:
    """'Nearly 50': the computed figure is no more than the stated one and within a tenth of it."""
    computed = _plain_number(_number(_value(values, claim["key"])))
    stated = _number(claim["stated"])
    shortfall = _plain_number(stated - computed)
    return {"verdict": MATCHES if 0 <= shortfall <= stated * NEARLY else DIFFERS, "computed": computed,
            "shortfall": shortfall, "nearly": NEARLY}


def rate_place(stated: int, ice: int, named_as: str) -> str:
    """The published rule for a place figure the article gives from ICE's release, rated as attributed: a figure ICE
    did not give for that place is inaccurate; ICE's figure under a name ICE gave it (in its first or its corrected
    release) is accurate, whatever ICE's name covered; ICE's figure under a narrower place than ICE named goes
    beyond its source. What ICE's own records show is reported beside it, never as the rating."""
    if named_as not in NAMED_AS:
        raise ValueError(f"named_as must be one of {', '.join(NAMED_AS)}, got {named_as!r}")
    if stated != ice:
        return DIFFERS
    return BEYOND if named_as == NAMED_NARROWER else MATCHES


def rule_place(claim, values) -> dict:
    """A place's figure in the article against ICE's figure for the place it names (`rate_place`).

    `key` names the article's place in the chapter's `by_place`; `naming` (from `place_names.csv`) says which name
    or names ICE gave that figure and whether the article's place is ICE's or a narrower one. The chapter's
    `findings` (later local reports) are shown beside the rating: they explain a figure, never rate it."""
    place = _value(values, claim["key"])
    stated, ice, area = int(place["article"]), int(place["ice"]), str(place["ice_area"])
    naming = claim.get("naming") or {}
    if not naming:
        raise KeyError(f"place_names.csv has no row for {claim['key'].partition('.')[2]}")
    out = {"computed": ice, "ice": ice, "area": area, "place": claim["key"].partition(".")[2],
           "difference": stated - ice, "excess": stated - ice, "named_as": naming["named_as"],
           "ice_labels": naming["ice_labels"], "covers": naming["covers"],
           "verdict": rate_place(stated, ice, naming["named_as"])}
    finding = next((f for f in values.get("findings") or [] if f.get("area") == area), None)
    if finding:
        figures = {p["name"]: p["arrests"] for p in finding.get("parts", [])}
        if finding["kind"] == "subset":
            figures[finding["covered"]] = finding["ice"]
        out |= {"parts": [{"name": n, "arrests": v} for n, v in figures.items()], "report": finding.get("source", ""),
                "ranged": finding.get("ranged"), "explains_gap": bool(finding.get("explains_gap")),
                "whole": finding["article"] if finding["kind"] == "subset" else finding["ice"]}
        out["whole_under_narrower_name"] = finding["kind"] == "subset" and stated == finding["article"]
    return out


def rule_targets(claim, values) -> dict:
    """A list of countries a measure targets the citizens of: the same list as the measure's (`key`), and each
    country's citizens restricted, not only some of its officials (`part` names the chapter's list of countries
    restricted for officials only). The right list with such a country goes beyond its source."""
    out = rule_same_set(claim, values)
    officials = sorted(str(x) for x in _value(values, claim["part"]) if str(x) in claim["stated"])
    out["officials_only"] = officials
    if out["verdict"] == MATCHES and officials:
        out["verdict"] = BEYOND
    return out


def rule_document(claim, values) -> dict:
    """A statement settled by reading a public document (`source_url`): the rating is the one the reading gave
    (`rating`), and `note` says what the document says."""
    return {"verdict": claim["rating"], "computed": None}


def rule_all_in(claim, values) -> dict:
    """Every item of the stated list (or of the chapter list `stated_key` names) is in the computed list `key`."""
    listed = {str(x) for x in _value(values, claim["key"])}
    outside = sorted(str(x) for x in claim["stated"] if str(x) not in listed)
    return {"verdict": DIFFERS if outside else MATCHES, "outside": outside, "n_items": len(claim["stated"]),
            "computed": sorted(str(x) for x in claim["stated"] if str(x) in listed)}  # the stated items on the list


def rule_uncheckable(claim, values) -> dict:
    """A statement no data or document here can settle: rated "cannot be checked", with `note` saying why."""
    return {"verdict": UNCHECKABLE, "computed": None}


RULES = {"equal": rule_equal, "targets": rule_targets, "document": rule_document, "percent": rule_percent, "near_zero": rule_near_zero,
         "lowest_since": rule_lowest_since, "same_set": rule_same_set, "at_most": rule_at_most,
         "largest": rule_largest, "goes_beyond": rule_goes_beyond, "equal_date": rule_equal_date,
         "place": rule_place, "nearly": rule_nearly,
         "all_in": rule_all_in, "uncheckable": rule_uncheckable}


def off_terms(claim: dict, record: dict) -> list[dict]:
    """The claim's terms that the chapter's run did not use: name, the value in this run (None: not a
    parameter of the chapter) and the value the claim is about. A dotted name is a key inside a parameter
    (`groups.six`: the six countries' list of the visas chapter's `groups`)."""
    ran = record.get("parameters", {})
    off = []
    for name, wanted in parse_terms(claim.get("terms")).items():
        try:
            value = lookup(ran, name)
        except KeyError:
            value = None
        if value is None or str(value) != wanted:
            off.append({"name": name, "ran": None if value is None else str(value), "wanted": wanted})
    return off


def _clean(claim: dict) -> dict:
    return {k: ("" if not isinstance(v, (list, dict)) and pd.isna(v) else v) for k, v in claim.items()}


def evaluate(claims: pd.DataFrame, records: dict[str, dict], source: str = "claims.csv",
             places: dict[str, dict] | None = None) -> list[dict]:
    """One plain record per claim: its words, the stated and computed values, the verdict and what decided it.

    A claim with a `stated_key` takes the article's figure from the chapter that reads it from the article (the
    places list), so the ledger and the chapter show one figure; the claim's quote must then contain it."""
    rows = []
    for line, claim in enumerate(claims.to_dict("records"), start=2):
        claim = _clean(claim)
        record = records.get(claim["chapter"], {"values": {}, "parameters": {}})
        values = record.get("values", {})
        off = off_terms(claim, record) if claim["rule"] not in UNJUDGED_RULES else []
        # The article's figure: from claims.csv, or from the chapter that reads it from the article (only when the
        # chapter ran on the claim's terms: another operation's places are not the article's).
        stated = stated_value(claim) if not claim.get("stated_key") else None
        if claim.get("stated_key") and not off:
            stated = _stated_from(claim, record, source, line)
        claim["stated"] = stated
        if claim["rule"] == "place":
            claim["naming"] = (places or {}).get(str(claim["key"]).partition(".")[2])
        outcome: dict = {"computed": None}
        if off:
            outcome |= {"verdict": NOT_CHECKED, "why": "other terms", "off_terms": off}
        else:
            try:
                outcome |= RULES[claim["rule"]](claim, values)
            except Missing as exc:
                outcome |= {"verdict": NOT_CHECKED, "why": "missing", "missing": exc.key}
            except KeyError as exc:
                raise ValueError(f"claim {claim['id']}: chapter '{claim['chapter']}' has no result {exc}") from None
        page = record.get("notebook", "")
        link = f"{page}.html" + (f"#{claim['section']}" if claim["section"] else "") if page else ""
        rows.append({"id": claim["id"], "number": line - 1, "claim": claim["claim"], "quote": claim.get("quote", ""),
                     "rule": claim["rule"], "chapter": claim["chapter"], "unit": claim.get("unit", ""), "stated": stated,
                     "stated_kind": value_kind(claim, stated), "computed_kind": value_kind(claim, outcome["computed"]),
                     "source": claim.get("source", ""), "source_url": claim.get("source_url", ""),
                     "source_kind": claim.get("source_kind", ""), "why_reproduction": claim.get("why_reproduction", ""),
                     "also": claim.get("also", ""), "also_url": claim.get("also_url", ""),
                     "note": claim.get("note", ""), "evidence": link, "evidence_title": record.get("title", ""),
                     "group": claim.get("group", ""),
                     "follows": _ids(claim.get("follows")), "follows_from": [],
                     "context": context(claim, records, source, line), **outcome})
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        # A difference that only repeats another claim's (a sum that is off because one of its parts is) is
        # said to follow from it, and the tally counts the error once.
        if row["verdict"] == DIFFERS:
            row["follows_from"] = [i for i in row["follows"] if by_id[i]["verdict"] == DIFFERS
                                   and by_id[i].get("excess", 0) != 0]
    return rows


def context(claim: dict, records: dict[str, dict], source: str, line: int) -> list[dict]:
    """Chapter values shown beside a claim as context, never judged (`context`: `chapter:key; ...`), each with
    the label its chapter gives it; a chapter with no record in this run gives a missing value, said so."""
    found = []
    for item in _ids(claim.get("context")):
        chapter, _, key = item.partition(":")
        if not key:
            raise DataError(Problem(source, f"context '{item}' is not chapter:key", line=line, column="context"))
        record = records.get(chapter)
        value = None
        area = key.startswith(AREA_RECORDS + ".")
        if record is not None:
            try:
                value = lookup(record["values"], key) if area else record["values"].get(key)
            except KeyError:
                area = False  # named below as a value the chapter does not hold
            if not area and key not in record.get("labels", {}):
                raise DataError(Problem(source, f"chapter '{chapter}' labels no value '{key}'", line=line,
                                        column="context"))
        found.append({"chapter": chapter, "key": key, "value": value,
                      # an area's records: every arrest in the area that holds the place, never the place's own figure
                      "kind": "area" if area else value_kind(claim, value),
                      "name": key[len(AREA_RECORDS) + 1:] if area else "",
                      "label": (record or {}).get("labels", {}).get(key, key),
                      "title": (record or {}).get("title", ""), "page": (record or {}).get("notebook", "")})
    return found


#: The records chapter's values for the area that holds each place ICE named (`records_by_place.<ICE's name>`):
#: `records` (every arrest the area's records hold over the operation's days), `aor`, `extent` ("area": ICE's name
#: stands for the whole area; "part": the place is part of it), `ice`, `article`, `with_operation`.
AREA_RECORDS = "records_by_place"


def _stated_from(claim: dict, record: dict, source: str, line: int):
    """The article's figure as the chapter's record holds it, checked against the claim's quote."""

    try:
        value = lookup(record["values"], claim["stated_key"])
    except KeyError:
        raise DataError(Problem(source, f"chapter '{claim['chapter']}' has no result '{claim['stated_key']}'",
                                line=line, column="stated_key")) from None
    if isinstance(value, int) and claim["rule"] in ("equal", "place"):
        # Matched as a whole number, so that 167 is not found inside 1,167.
        if not re.search(rf"(?<!\d)(?<!\d,)(?:{value}|{value:,})(?!\d)(?!,\d)", claim["quote"]):
            raise DataError(Problem(source, f"the quote does not contain {value:,}, the article's figure as the "
                                            f"{claim['chapter']} chapter reads it ({claim['stated_key']})",
                                    line=line, column="quote"))
    return value


def ledger(data_dir: Path, records: dict[str, dict]) -> list[dict]:
    """The article's claims, each judged against the chapters' results records."""
    return evaluate(load(data_dir, set(records)), records,
                    display_path(Path(data_dir, "raw", SOURCE, "claims.csv")), place_names(data_dir))


def tally(rows: list[dict]) -> dict:
    """How many claims got each verdict, counting a difference that follows from another claim's once: `counts`
    (every verdict, zero included, followers left out), `followers` (each with the claims it follows from),
    `n_judged` (the claims given a verdict, followers left out) and `held`: how many of those match their source
    ("all", "most", "half", "few", "none"; None when none was judged)."""
    followers = [r for r in rows if r["follows_from"]]
    counts = {verdict: sum(1 for r in rows if r["verdict"] == verdict and not r["follows_from"]) for verdict in VERDICTS}
    shown = {verdict: sum(1 for r in rows if r["verdict"] == verdict) for verdict in VERDICTS}
    names = {r["id"]: r["claim"] for r in rows}
    judged = sum(counts[v] for v in JUDGED)
    held = counts[MATCHES]
    share = ("none" if held == 0 else "all" if held == judged else "most" if 2 * held > judged
             else "half" if 2 * held == judged else "few") if judged else None
    return {"n_claims": len(rows), "counts": counts, "all_counts": shown, "n_distinct_errors": counts[DIFFERS],
            "n_judged": judged, "held": share,
            "followers": [{"id": r["id"], "claim": r["claim"], "verdict": r["verdict"],
                           "follows_from": [names[i] for i in r["follows_from"]]} for r in followers],
            "n_followers": len(followers), "n_updates": sum(1 for r in rows if r.get("update")
                                                            or UPDATE_MARK in str(r.get("note", "")))}


def chapter_findings(rows: list[dict], records: dict[str, dict]) -> dict:
    """What each finding on the intro reads: the verdicts of its claims and the chapter values it states
    (None and named in `missing` when the chapter's record lacks them)."""
    verdicts = {r["id"]: r["verdict"] for r in rows}
    out = {}
    for chapter, keys in FINDING_KEYS.items():
        record = records.get(chapter)
        values = (record or {}).get("values", {})
        claimed = [verdicts[i] for i in FINDING_CLAIMS[chapter] if i in verdicts]
        judged = [v for v in claimed if v in JUDGED]
        out[chapter] = {
            "recorded": record is not None,
            "values": {key: later_rows(values[key]) if key == "later_lower" and values.get(key) is not None
                       else values.get(key) for key in keys},
            "missing": [key for key in keys if values.get(key) is None],
            "parameters": (record or {}).get("parameters", {}),
            "verdicts": claimed,
            "n_claims": len(claimed),
            "n_judged": len(judged),
            "n_matches": sum(v == MATCHES for v in judged),
            "n_differs": sum(v == DIFFERS for v in judged),
            "n_beyond": sum(v == BEYOND for v in judged),
            "n_updated": sum(1 for r in rows if r["id"] in FINDING_CLAIMS[chapter] and r.get("update")),
            "verdict_of": {i: verdicts[i] for i in FINDING_CLAIMS[chapter] if i in verdicts},
            "page": (record or {}).get("notebook", ""),
            # Places whose figure is a field office's total given under a narrower name.
            "narrower": [{k: r.get(k) for k in ("id", "place", "stated", "part", "computed", "explains_gap")}
                         for r in rows if r["rule"] == "place" and r.get("whole_under_narrower_name")
                         and r["id"] in _chapter_ids(rows, chapter)],
            # Whether one area's difference explains the whole gap between the places' sum and the total.
            "gap_explained": any(x.get("kind") == "subset" and x.get("explains_gap")
                                 for x in ((record or {}).get("values") or {}).get("findings") or []),
        }
    return out


def _chapter_ids(rows: list[dict], chapter: str) -> set[str]:
    return {r["id"] for r in rows if r.get("chapter") == chapter}


#: Verdicts that fold into their group's line: routine confirmations, and claims no data here can speak to.
FOLDED = (MATCHES, UNCHECKABLE, NOT_CHECKED)
#: The order the claims that matter are shown in: errors first. Within a verdict, the article's order.
LEAD_ORDER = [DIFFERS, BEYOND, MATCHES, NOT_CHECKED, UNCHECKABLE]
#: The pages that open with verdict cards: the intro and each chapter that checks claims or gives their context.
CARD_PAGES = ["intro", "arrests", "seattle", "offences", "visas", "refugees"]


def layout(rows: list[dict]) -> dict:
    """The ledger's reading order. `lead`: the claims that matter (no `group` in claims.csv, or a verdict that
    does not fold), errors first. `folds`: the rest, one line per group and verdict (confirmations first, then
    the article's order), each with its claims, the source they share (empty when they name different ones)
    and, on a group's first line, how many of the group's claims are among the lead."""
    lead = sorted((r for r in rows if not r["group"] or r["verdict"] not in FOLDED),
                  key=lambda r: LEAD_ORDER.index(r["verdict"]))
    lead_ids = [r["id"] for r in lead]
    folds: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        if row["id"] not in lead_ids:
            folds.setdefault((row["group"], row["verdict"]), []).append(row)
    lines, seen = [], set()
    for (group, verdict), members in sorted(folds.items(), key=lambda item: LEAD_ORDER.index(item[0][1])):
        sources = {m["source"] for m in members}
        first = group not in seen
        seen.add(group)
        lines.append({"id": f"{_slug(group)}-{_slug(verdict)}", "group": group, "verdict": verdict,
                      "ids": [m["id"] for m in members], "n": len(members),
                      "source": sources.pop() if len(sources) == 1 and verdict in JUDGED else "",
                      "n_in_lead": sum(1 for r in lead if r["group"] == group) if first else 0})
    return {"lead": lead_ids, "folds": lines}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def cards(rows: list[dict], lead: list[str]) -> dict[str, list[str]]:
    """The verdict cards each page opens with: the claims that matter, on the intro, and on each chapter those
    it checks or gives context for."""
    by_id = {r["id"]: r for r in rows}
    shown = {"intro": lead}
    for page in CARD_PAGES[1:]:
        shown[page] = [i for i in lead if by_id[i]["chapter"] == page
                       or any(x["chapter"] == page for x in by_id[i]["context"])]
    return shown


def record_values(rows: list[dict], records: dict[str, dict]) -> dict:
    """What the ledger's results record keeps: each claim with its verdict and the values that decided it,
    the tally, the ledger's reading order, each page's verdict cards and the intro's findings."""
    order = layout(rows)
    return {"claims": {row["id"]: row for row in rows}, "order": [row["id"] for row in rows],
            "verdicts": VERDICTS, "ratings": RATINGS, "as_of": AS_OF,
            "place_table": [row["id"] for row in rows if row["rule"] == "place" and row["verdict"] in JUDGED], "tally": tally(rows), "layout": order, "cards": cards(rows, order["lead"]),
            "findings": chapter_findings(rows, records)}


#: The chapter values the Methods page states, by chapter (None when the chapter has no record).
METHODS_KEYS = {"visas": ["six_countries", "tolerance_points", "near_zero", "missing_nonimmigrant_months"],
                "refugees": ["since_year"]}


def methods_values(records: dict[str, dict]) -> dict:
    """What the Methods page states: the visas run's terms and bands, the refugee test's first year, and how many of
    Politico's figures the ledger checks (the same count the intro's visas finding gives)."""
    out = {}
    for chapter, keys in METHODS_KEYS.items():
        record = records.get(chapter)
        out[chapter] = None if record is None else (
            {key: record["values"].get(key) for key in keys} | {k: v for k, v in record.get("parameters", {}).items()
                                                                if k in ("window_start", "window_end", "baseline_fy")})
    ledger = records.get(CHAPTER, {}).get("values", {})
    out["ratings"], out["as_of"] = RATINGS, AS_OF
    out["politico"] = {"n_claims": (ledger.get("findings", {}).get("visas") or {}).get("n_claims", len(FINDING_CLAIMS["visas"]))}
    return out


def csv_table(page: dict) -> pd.DataFrame:
    """The ledger as a CSV for analysts: plain values, and the words the page shows for each verdict."""
    values = page["values"]
    rows = []
    for claim_id in values["order"]:
        c = values["claims"][claim_id]
        rows.append({"id": c["id"], "claim": c["claim"], "quote": c["quote"], "verdict": c["verdict"],
                     "stated": _csv(c["stated"]), "unit": c["unit"], "computed": _csv(c["computed"]),
                     "source": c["source"], "evidence": c["evidence"] or c["source_url"]})
    return pd.DataFrame(rows)


def _csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def article(data_dir: Path) -> dict:
    """The article the book checks (headline, author, publisher, datePublished, url), from its claims' package."""
    import json

    package = Path(data_dir, "raw", SOURCE, "datapackage.json")
    return json.loads(package.read_text(encoding="utf-8"))["article"]


def show_page(page: str, values: dict) -> None:
    """Render a page's template (`templates/<page>.md`) and glue each block for `{glue:md}`, for pages that keep
    no results record of their own (the intro, Sources, Downloads)."""
    from IPython.display import Markdown
    from myst_nb import glue

    from . import prose

    for name, block in prose.blocks(page, values).items():
        glue(name, Markdown(block), display=False)


def show_blocks(text: dict[str, str], names: list[str]) -> None:
    """Glue blocks another page's record holds (the intro shows the ledger's findings as the ledger renders them)."""
    from IPython.display import Markdown
    from myst_nb import glue

    for name in names:
        glue(name, Markdown(text[name]), display=False)
