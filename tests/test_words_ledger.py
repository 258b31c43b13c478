"""Property tests: the ledger's verdicts, tally and findings follow the chapter values, whatever they are.

Chapter records are the committed ones (`book/results/`), perturbed in memory: place figures changed, visa changes
moved, later refugee ceilings added or removed, conviction figures changed, values made missing. The claims are
the project's own (`data/raw/article-claims/claims.csv`). Each example runs the ledger (`claims.evaluate`) and its
template (`prose.blocks`), never the notebooks.
"""

from __future__ import annotations

import copy
import html
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safecity import claims, prose, record

from conftest import DATA, ROOT

CLAIMS = claims.load(DATA)
NAMES = claims.place_names(DATA)
RECORDS = record.read_all(ROOT / "book" / "results", exclude=(claims.CHAPTER,))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PLACES = sorted(RECORDS["arrests"]["values"]["by_place"])
POLITICO = ["six_change", "arab_change", "muslim_change", "all_change"]

changes = st.one_of(st.none(), st.floats(min_value=-0.9, max_value=0.9, allow_nan=False))


@st.composite
def perturbed(draw):
    """Changes to the committed chapter records (kept small, so a failing example reads as what changed)."""
    return {
        "ice": draw(st.dictionaries(st.sampled_from(PLACES), st.integers(min_value=0, max_value=300), max_size=4)),
        "stated_total": draw(st.integers(min_value=400, max_value=700)),
        "visas": {key: draw(changes) for key in POLITICO},
        "is_lowest": draw(st.one_of(st.none(), st.booleans())),  # None: a ceiling the comparison needs is missing
        "later_lower": [{"year": y, "ceiling": c, "revised": r is not None, "direction": "raised" if r else None,
                         "revised_to": r} for y, (c, r) in sorted(draw(st.dictionaries(
                             st.integers(min_value=2019, max_value=2030),
                             st.tuples(st.integers(min_value=1000, max_value=44000),
                                       st.one_of(st.none(), st.integers(min_value=45000, max_value=90000))),
                             max_size=3)).items())],
        "convicted": draw(st.one_of(st.none(), st.integers(min_value=0, max_value=498))),
        "largest_category": draw(st.sampled_from(["DUI", "assault", "drug offences"])),
    }


def _apply(change) -> dict:
    """The committed chapter records with `change` made to them."""
    records = copy.deepcopy(RECORDS)
    arrests = records["arrests"]["values"]
    for place, ice in change["ice"].items():
        entry = arrests["by_place"][place]
        entry["ice"] = ice
        for finding in arrests["findings"]:
            if finding["area"] == entry["ice_area"] and finding["kind"] == "subset":
                finding["ice"] = ice
    arrests["stated_total"] = change["stated_total"]
    records["visas"]["values"].update(change["visas"])
    records["refugees"]["values"].update(is_lowest=change["is_lowest"], later_lower=change["later_lower"])
    records["offences"]["values"].update(convicted=change["convicted"], largest_category=change["largest_category"])
    return records


def _run(records):
    rows = claims.evaluate(CLAIMS, records, places=NAMES)
    values = record._plain(claims.record_values(rows, records))
    text = prose.blocks("07_claims_ledger", values | {"run": record.run_context({}, [])})
    return {r["id"]: r for r in rows}, values, text


def _why(text, claim_id):
    row = re.search(rf'<tr id="claim-{claim_id}"[^>]*>(.*?)</tr>', text["ledger"]).group(1)
    return html.unescape(re.sub(r"<[^>]+>", " ", re.search(r'data-label="Why">(.*?)</td>', row).group(1)))


@SETTINGS
@given(perturbed())
def test_verdicts_follow_the_chapter_values(change):
    records = _apply(change)
    rows, _, text = _run(records)
    visas = records["visas"]["values"]
    tolerance = visas["tolerance_points"]
    for claim_id, key in [("politico-six", "six_change"), ("politico-arab", "arab_change"),
                          ("politico-muslim", "muslim_change")]:
        value, row = visas[key], rows[claim_id]
        if value is None:
            assert row["verdict"] == claims.NOT_CHECKED and "could not compute" in _why(text, claim_id)
        else:
            within = abs(value * 100 - row["stated"] * 100) <= tolerance + 1e-9
            assert row["verdict"] == (claims.MATCHES if within else claims.DIFFERS), claim_id
            assert prose.pct(value, 1, signed=True) in _why(text, claim_id)
    if visas["all_change"] is None:
        assert rows["politico-all"]["verdict"] == claims.NOT_CHECKED
    else:
        near = abs(visas["all_change"]) <= visas["near_zero"]
        assert rows["politico-all"]["verdict"] == (claims.MATCHES if near else claims.DIFFERS)
    arrests = records["arrests"]["values"]
    for place, entry in arrests["by_place"].items():
        row = next(r for r in rows.values() if r["rule"] == "place" and r.get("place") == place)
        named_as = NAMES[place]["named_as"]
        assert row["verdict"] == (claims.DIFFERS if entry["article"] != entry["ice"] else claims.BEYOND
                                  if named_as == claims.NAMED_NARROWER else claims.MATCHES), place
    over = arrests["article_total"] > arrests["stated_total"]
    assert rows["places-sum"]["verdict"] == (claims.DIFFERS if over else claims.MATCHES)
    refugees = records["refugees"]["values"]
    # Rated as of the day the article appeared: later ceilings never change the rating, only the update beside it.
    expected = (claims.NOT_CHECKED if refugees["is_lowest"] is None else claims.DIFFERS if not refugees["is_lowest"]
                else claims.MATCHES)
    assert rows["refugee-lowest"]["verdict"] == expected
    for r in refugees["later_lower"]:
        if expected == claims.MATCHES:
            assert "Update, not part of the rating" in _why(text, "refugee-lowest")
            revised = f", raised to {prose.num(r['revised_to'])} during the year" if r["revised"] else ""
            assert f"{prose.fy(r['year'])} ({prose.num(r['ceiling'])}{revised})" in _why(text, "refugee-lowest")
    offences = records["offences"]["values"]
    if offences["convicted"] is None:
        assert rows["convicted"]["verdict"] == claims.NOT_CHECKED
    else:
        assert rows["convicted"]["verdict"] == (claims.MATCHES if offences["convicted"] == 317 else claims.DIFFERS)
    assert rows["dui-most-common"]["verdict"] == (claims.MATCHES if offences["largest_category"] == "DUI"
                                                 else claims.DIFFERS)


@SETTINGS
@given(perturbed())
def test_the_tally_and_the_legend_count_the_verdicts_shown(change):
    records = _apply(change)
    rows, values, text = _run(records)
    followers = [r for r in rows.values() if r["follows_from"]]
    for verdict in claims.VERDICTS:
        n = sum(1 for r in rows.values() if r["verdict"] == verdict and not r["follows_from"])
        assert values["tally"]["counts"][verdict] == n
        shown = sum(1 for r in rows.values() if r["verdict"] == verdict)
        legend_list = text["ledger"][:text["ledger"].index("</ul>")]
        legend = re.search(rf'verdict-{"unchecked" if verdict == claims.NOT_CHECKED else verdict}">[^<]+</span> '
                           rf'[^(]+\((\d+) claims?', legend_list)
        assert (int(legend.group(1)) if legend else None) == (n if shown else None), \
            f"{verdict}: a verdict no claim has gets no badge; one that some have shows their count"
        button = re.search(rf'data-verdict="{"unchecked" if verdict == claims.NOT_CHECKED else verdict}" '
                           rf'aria-pressed="false">[^(]+\((\d+)\)', text["ledger"])
        assert (int(button.group(1)) if button else 0) == shown, verdict
    headline, sentence = text["verdict"].split("\n\n", 1)
    counts = values["tally"]["counts"]
    judged, held = sum(counts[v] for v in claims.JUDGED), counts[claims.MATCHES]
    expected = ("No claim was rated" if judged == 0 else "Every claim" if held == judged
                else "Not one of the claims" if held == 0 else "Most of" if held > judged / 2 else "Half of" if held == judged / 2
                else "Only")
    assert headline.startswith(f"**{expected}"), (headline, held, judged)
    if 0 < held < judged:
        assert f"{held} of" in headline and f"{judged} claims" in headline or f"of {judged}." in headline, headline
    assert sentence.startswith(f"Of the article's {prose.count(len(rows), 'claim')}, ")
    first = sentence.split(". ")[0].split("2017, ", 1)[1]
    numbers = [int(n) for n in re.findall(r"(?<![\w.])(\d+) (?=is|are|was|were|go|cannot|more)", first)]
    assert sum(numbers) == len(rows), sentence
    assert (" more is inaccurate only" in sentence or " more are inaccurate only" in sentence) == bool(followers)
    for follower in followers:
        assert all(rows[i]["verdict"] == claims.DIFFERS for i in follower["follows_from"])


@SETTINGS
@given(perturbed())
def test_the_ledger_shows_every_claim_once_and_never_folds_one_that_does_not_hold(change):
    rows, values, text = _run(_apply(change))
    bodies = re.findall(r'<tbody class="([^"]+)"[^>]*>\s*<tr class="safecity-ledger-heading"><th[^>]*>([^<]+)</th></tr>'
                        r'(.*?)</tbody>', text["ledger"])
    shown = [(kind, line, re.findall(r'<tr id="claim-([^"]+)" data-verdict="([^"]+)"', body))
             for kind, line, body in bodies]
    ids = [i for _, _, members in shown for i, _ in members]
    assert sorted(ids) == sorted(rows), "every claim is in the ledger exactly once"
    for kind, line, members in shown:
        if kind == "safecity-ledger-lead":
            continue
        assert members, line
        assert all(rows[i]["verdict"] in claims.FOLDED for i, _ in members), f"{line}: a claim that does not hold is folded"
        assert len({v for _, v in members}) == 1, f"{line}: one verdict per folded line"
        assert re.match(rf"[^:]+: {len(members)} ", html.unescape(line)), line
        verdict = rows[members[0][0]]["verdict"]
        words = {claims.MATCHES: " accurate", claims.UNCHECKABLE: " cannot be checked", claims.NOT_CHECKED: " not checked"}
        assert words[verdict] in line, line
    for page, ids in values["cards"].items():
        cards = re.findall(r'<div class="safecity-card" id="card-([^"]+)">\s*<p class="safecity-card-verdict">'
                           r'<span class="verdict verdict-([a-z]+)">', text[f"cards_{page}"])
        assert [i for i, _ in cards] == ids and set(ids) <= set(values["cards"]["intro"])
        for claim_id, css in cards:
            assert css == ("unchecked" if rows[claim_id]["verdict"] == claims.NOT_CHECKED else rows[claim_id]["verdict"])
    assert {i for i, r in rows.items() if r["verdict"] in (claims.DIFFERS, claims.BEYOND)} \
        <= set(values["cards"]["intro"]), "every claim that does not hold is on the intro's cards"


@SETTINGS
@given(perturbed())
def test_findings_choose_their_headline_from_the_verdicts(change):
    records = _apply(change)
    rows, values, text = _run(records)
    politico = [rows[i]["verdict"] for i in claims.FINDING_CLAIMS["visas"]]
    judged = [v for v in politico if v in claims.JUDGED]
    missing = values["findings"]["visas"]["missing"]
    assert bool(missing) == any(records["visas"]["values"][k] is None for k in POLITICO)
    head = text["finding_visas"].split("**")[1] if not missing else ""
    if missing:  # a missing value: the finding says so and gives no figure and no verdict
        assert "so this finding is not given" in text["finding_visas"] and "reproduce" not in text["finding_visas"]
    elif not judged:
        assert head == "Politico's visa figures were not checked in this run."
    elif all(v == claims.MATCHES for v in politico):
        assert head == "Politico's visa figures reproduce."
    elif not any(v == claims.MATCHES for v in politico):
        assert head == "Politico's visa figures do not reproduce."
    else:
        assert head == f"{sum(v == claims.MATCHES for v in politico)} of Politico's 4 visa figures reproduce."
    refugees = text["finding_refugees"]
    verdict = rows["refugee-lowest"]["verdict"]
    assert ("was not true when written" in refugees) == (verdict == claims.DIFFERS)
    assert ("was accurate when the article appeared" in refugees) == (verdict == claims.MATCHES)
    if verdict == claims.NOT_CHECKED:  # a missing value: no verdict on the claim
        assert "true when written" not in refugees and "accurate" not in refugees
    else:
        assert ("went lower" in refugees) == bool(records["refugees"]["values"]["later_lower"])
    arrests = records["arrests"]["values"]
    words = text["finding_arrests"]
    assert prose.num(arrests["article_total"]) in words and prose.num(arrests["stated_total"]) in words


MY_TEMPLATES = ["_ledger.md", "07_claims_ledger.md", "intro.md", "methods.md", "05_sources.md", "06_downloads.md"]


def test_the_ledgers_templates_choose_words_and_do_no_arithmetic():
    """Code computes every count, difference and direction; these templates only compare and format."""
    from jinja2 import nodes

    arithmetic = (nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow, nodes.Neg)
    for name in MY_TEMPLATES:
        tree = prose.ENV.parse(prose.ENV.loader.get_source(prose.ENV, name)[0])
        assert not list(tree.find_all(arithmetic)), name
        filters = {f.name for f in tree.find_all(nodes.Filter)}
        assert not filters & {"length", "sum", "abs", "round", "int", "float", "wordcount"}, (name, filters)


@SETTINGS
@given(st.sampled_from(["2017-03", "2017-04", "2018-03"]), st.sampled_from(["2017-08", "2018-08"]),
       st.sampled_from([2015, 2016]), st.sampled_from(["Operation Safe City", "Another operation"]))
def test_claims_made_on_other_terms_get_no_verdict_anywhere(start, end, baseline, operation):
    records = copy.deepcopy(RECORDS)
    records["visas"]["parameters"].update(window_start=start, window_end=end, baseline_fy=baseline)
    records["arrests"]["parameters"]["operation"] = operation
    rows, values, text = _run(records)
    politico_terms = (start, end, baseline) == ("2017-03", "2017-08", 2016)
    for claim_id in claims.FINDING_CLAIMS["visas"]:
        assert (rows[claim_id]["verdict"] == claims.NOT_CHECKED) == (not politico_terms), claim_id
        if not politico_terms:
            assert rows[claim_id]["computed"] is None and "This run used other terms" in _why(text, claim_id)
    if not politico_terms:
        assert text["finding_visas"].startswith("**Politico's visa figures were not checked in this run.**")
        assert "Politico:" not in text["finding_visas"] and "reproduce" not in text["finding_visas"]
    places = [r for r in rows.values() if r["chapter"] == "arrests"]
    assert all((r["verdict"] == claims.NOT_CHECKED) == (operation != "Operation Safe City") for r in places)
    if operation != "Operation Safe City":
        assert "not checked in this run" in text["finding_arrests"] and "add up" not in text["finding_arrests"]
    counted = values["tally"]["counts"][claims.NOT_CHECKED]
    assert counted == sum(r["verdict"] == claims.NOT_CHECKED for r in rows.values())
    assert (f"{counted} were not checked in this run" in text["verdict"]) == (counted > 1)
