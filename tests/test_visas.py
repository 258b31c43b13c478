"""The visa chapter: importers (every kind of mess in the monthly files), the comparisons, and the shipped figures."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import math
import random
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from safecity import cache, visas
from safecity.errors import DataError
from safecity.validate import display_path
from safecity.sources import country_groups, nationalities, state_dept_annual, state_dept_monthly

from conftest import DATA, FIXTURES, defaults, visas_values

FIXTURE = FIXTURES / "visas"
BAD = FIXTURES / "visas-bad"
FIXTURE_GROUPS = {"six": "raw/travel-ban/eo-13780-countries.csv", "test": "raw/country-groups/test-group.csv"}


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of the fixture data directory."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    return target


def _replace_month(data_dir: Path, bad_name: str, month: str = "2017-03-01") -> Path:
    target = data_dir / "raw" / "state-dept-monthly-visas" / "nonimmigrant" / f"{month}.jsonl.gz"
    shutil.copyfile(BAD / bad_name, target)
    return target


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return [(f"{m:%Y-%m}", n, c, int(i)) for m, n, c, i in frame.itertuples(index=False)]


# --------------------------------------------------------------------------- the monthly importer


def test_fixture_rows_are_clean_and_tidy():
    niv = state_dept_monthly.read(FIXTURE, "nonimmigrant")
    assert list(niv.issuances.columns) == ["month", "nationality", "visa_class", "issuances"]
    assert _rows(niv.issuances) == [
        # thousands separators parsed; the starred name mapped; the grand total and the footnote left out
        ("2017-03", "Iran", "B1/B2", 1234), ("2017-03", "Iran", "F1", 56), ("2017-03", "North Korea", "A1", 2),
        ("2017-03", "Syria", "B1/B2", 300), ("2017-03", "Non-nationality based issuances", "B1/B2", 7),
        # "North Korea" and "Korea, North" are one name; "Syria  " is "Syria"; a row split from a joined key
        ("2017-04", "Iran", "B1/B2", 1000), ("2017-04", "North Korea", "A1", 1), ("2017-04", "Syria", "B1/B2", 250),
        ("2017-04", "Yemen", "F1", 4),
        # a repeated row summed; a table row used as the keys recovered, then the rows read under those keys
        ("2017-06", "Iran", "B1/B2", 900), ("2017-06", "Iran", "F1", 12), ("2017-06", "Yemen", "B1", 3),
        ("2017-06", "Yemen", "F1", 5), ("2017-06", "Yemen", "J1", 1),
    ]
    repairs = " | ".join(niv.repairs["repair"])
    for expected in ("joined by line breaks", "summed", "recovered as a row", "spurious keys",
                     "'Grand Total' and its count joined"):
        assert expected in repairs


def test_grand_totals_are_kept_apart_and_mismatches_reported():
    totals = state_dept_monthly.read(FIXTURE, "nonimmigrant").totals
    assert [f"{m:%Y-%m}" for m in totals["month"]] == ["2017-03", "2017-04", "2017-06"]
    assert totals["grand_total"].tolist() == [1599, 1265, 921]
    assert totals["rows_total"].tolist() == [1599, 1255, 921]
    assert totals["difference"].tolist() == [0, 10, 0]
    shown = visas.totals_check(state_dept_monthly.read(FIXTURE, "nonimmigrant"))
    assert shown.to_dict("records") == [{"month": "2017-04", "grand total": 1265, "sum of rows": 1255,
                                         "grand total minus rows": 10}]
    # immigrant files before 2024 have no grand total: missing, not zero
    iv = state_dept_monthly.read(FIXTURE, "immigrant").totals
    assert iv["grand_total"].isna().tolist() == [True, True, True, False]


def test_renamed_immigrant_key_is_read_by_role():
    iv = state_dept_monthly.read(FIXTURE, "immigrant")
    assert _rows(iv.issuances) == [
        ("2017-03", "Iran", "IR1", 40), ("2017-03", "Yemen", "IR5", 1050), ("2017-04", "Iran", "IR1", 35),
        ("2017-05", "Iran", "IR1", 30), ("2017-05", "North Korea", "IR5", 1), ("2017-06", "Iran", "CR1", 3),
    ]


def test_name_variants_are_merged_through_the_published_crosswalk():
    niv = state_dept_monthly.read(FIXTURE, "nonimmigrant")
    merged = niv.spellings[niv.spellings["nationality"] == "North Korea"]
    assert sorted(merged["spelling"]) == ["Korea, North", "North Korea"]
    crosswalk = nationalities.crosswalk(DATA)
    # the shipped crosswalk covers the country lists' and the annual table's spellings as well
    assert crosswalk.lookup["Palestine"] == crosswalk.lookup["Palestinian Authority Travel Document"]
    assert crosswalk.lookup["Congo, Dem. Rep. of the (Kinshasa)"] == "Democratic Republic of the Congo"
    assert crosswalk.lookup[nationalities.clean("China – mainland born")] == "China (mainland)"


def test_missing_month_is_missing_never_zero():
    niv = state_dept_monthly.read(FIXTURE, "nonimmigrant")
    assert [f"{m:%Y-%m}" for m in niv.missing_months] == ["2017-05"]
    series = visas.monthly_series(niv, ["Yemen"])
    assert series.loc["2017-03-01"] == 0  # a file without a Yemen row: a true zero
    assert math.isnan(series.loc["2017-05-01"])  # no file: missing
    assert math.isnan(visas.span_total(series, visas.window("2017-04", "2017-06")))
    assert visas.span_total(series, visas.window("2017-03", "2017-04")) == 4
    data = visas.load(FIXTURE, FIXTURE_GROUPS, cached=False)
    comparison = visas.compare(data, "2017-03", "2017-06", 2016)
    assert all(g.change is None for g in comparison.groups.values())
    values = visas.results(data, comparison)
    assert values["window_missing_months"] == ["2017-05"]
    table = visas.politico_table(values)
    assert table["records"].isna().all()  # shown as "missing", never as a number
    assert [f"{m:%Y-%m}" for m in comparison["six"].missing_months] == ["2017-05"]


def test_malformed_line_names_file_and_line(data_copy):
    _replace_month(data_copy, "malformed-line.jsonl.gz")
    with pytest.raises(DataError) as error:
        state_dept_monthly.read(data_copy, "nonimmigrant")
    message = str(error.value)
    assert "nonimmigrant/2017-03-01.jsonl.gz, line 2: malformed JSON" in message


def test_unknown_name_names_file_line_and_name(data_copy):
    _replace_month(data_copy, "unknown-name.jsonl.gz")
    with pytest.raises(DataError) as error:
        state_dept_monthly.read(data_copy, "nonimmigrant")
    assert "2017-03-01.jsonl.gz, line 2, column 'place': unknown place name 'Ruritania'" in str(error.value)


@pytest.mark.parametrize("bad, line, reason", [
    ("non-numeric-count.jsonl.gz", 2, "count is not a whole number: 'n/a'"),
    ("negative-count.jsonl.gz", 1, "negative count '-5'"),
])
def test_bad_counts_name_file_line_and_column(data_copy, bad, line, reason):
    _replace_month(data_copy, bad)
    with pytest.raises(DataError) as error:
        state_dept_monthly.read(data_copy, "nonimmigrant")
    assert f"2017-03-01.jsonl.gz, line {line}, column 'Issuances': {reason}" in str(error.value)


def test_unexpected_keys_are_an_error(data_copy):
    path = data_copy / "raw" / "state-dept-monthly-visas" / "nonimmigrant" / "2017-03-01.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"Nationality":"Iran","Visa Class":"F1","Issuances":"1"}\n{"Country":"Iran"}\n'))
    with pytest.raises(DataError, match=r"2017-03-01.jsonl.gz, line 2: unexpected keys \['Country'\]"):
        state_dept_monthly.read(data_copy, "nonimmigrant")


def _assert_same(left: state_dept_monthly.MonthlyVisas, right: state_dept_monthly.MonthlyVisas) -> None:
    for part in ("issuances", "months", "totals", "repairs", "spellings"):
        pd.testing.assert_frame_equal(getattr(left, part), getattr(right, part), obj=part)


_MUTATIONS = [
    lambda line, r: line.replace(b'":"', b'": "', 1),
    lambda line, r: line.replace(b'"Issuances":"', b'"Issuances":', 1).replace(b'"}', b"}"),  # a number
    lambda line, r: line.replace(b"/", b"\\/"),
    lambda line, r: line.replace(b'"Visa Class":"', b'"Visa Class":null,"x":"', 1),
    lambda line, r: line[:-1] + b',"Extra":null}',
    lambda line, r: line[:-1] + b',"Visa Class":null}',  # a later key repeats one of the table's
    lambda line, r: line[:-1] + b',"Extra":"1"}',
    lambda line, r: line[: r.randrange(len(line) + 1)],  # cut short
    lambda line, r: line + b"\r",
    lambda line, r: b"",
    lambda line, r: line.replace(b"Iran", b"Ir\\u0061n"),
    lambda line, r: line.replace(b"Iran", "Irán".encode()),
    lambda line, r: line.replace(b"Iran", b"Ir\xe1n"),  # not UTF-8
    lambda line, r: line.replace(b"Iran", b"Ir\tan"),
    lambda line, r: line.replace(b'"1,234"', b'"1,2345"'),
    lambda line, r: line.replace(b"{", b"[", 1),
    lambda line, r: line.replace(b'"Nationality"', b'"Thailand"').replace(b'"Visa Class"', b'"R2"')
    .replace(b'"Issuances"', b'"1"'),  # a table row taken for the keys
]
ONE_PROBLEM = re.compile(r"\S[^\n]*\.jsonl\.gz, line \d+(, column '[^\n']+')?: [^\n]+")


def _plain(raw: bytes) -> bytes | None:
    """A line as the json module reads it, written plainly (text values, no escapes or spacing); a blank
    line stays blank; None if the json module cannot read it as one object of text or number values."""
    try:
        obj = json.loads(raw.decode("utf-8")) if raw.strip() else ""
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if obj == "":
        return b""
    if not isinstance(obj, dict) or any(isinstance(v, (dict, list)) for v in obj.values()):
        return None
    values = {k: v if v is None or isinstance(v, str) else str(v) for k, v in obj.items()}
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("seed", range(40))
def test_damaged_files_give_one_clear_error_or_the_tables_of_their_plain_content(data_copy, seed):
    """Whatever the mess, the importer either names the file and the first line the json module cannot
    read, or gives the same tables, or the same one-line errors, as the same content written plainly."""
    rng = random.Random(seed)
    folder = data_copy / "raw" / "state-dept-monthly-visas" / "nonimmigrant"
    damaged, unreadable = {}, []
    for path in sorted(folder.glob("*.jsonl.gz")):
        lines = gzip.decompress(path.read_bytes()).split(b"\n")
        for _ in range(rng.randrange(3)):
            at = rng.randrange(len(lines))
            lines[at] = rng.choice(_MUTATIONS)(lines[at], rng)
        damaged[path] = lines
        unreadable += [(path, n) for n, line in enumerate(lines, start=1) if _plain(line) is None]

    def outcome():
        try:
            return state_dept_monthly.read(data_copy, "nonimmigrant")
        except DataError as exc:
            assert all(ONE_PROBLEM.fullmatch(line) for line in str(exc).splitlines()), str(exc)
            return str(exc)

    if not unreadable:  # the same content, written plainly, read first as the reference
        for path, lines in damaged.items():
            path.write_bytes(gzip.compress(b"\n".join(_plain(line) for line in lines)))
        plain = outcome()
    for path, lines in damaged.items():
        path.write_bytes(gzip.compress(b"\n".join(lines)))
    found = outcome()
    if unreadable:
        path, line = unreadable[0]
        assert isinstance(found, str) and found.startswith(f"{display_path(path)}, line {line}")
    elif isinstance(found, str) or isinstance(plain, str):
        assert found == plain
    else:
        _assert_same(found, plain)


def test_tidy_tables_are_cached_on_the_raw_content(data_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "DIR", tmp_path / "cache")
    first = state_dept_monthly.load(data_copy, "nonimmigrant")
    assert len(list((tmp_path / "cache" / "tidy").iterdir())) == 2  # the monthly tables and the crosswalk
    monkeypatch.setattr(state_dept_monthly, "read", None)  # served from the cache: the raw files are not read
    again = state_dept_monthly.load(data_copy, "nonimmigrant")
    _assert_same(first, again)
    monkeypatch.undo()
    monkeypatch.setattr(cache, "DIR", tmp_path / "cache")
    _replace_month(data_copy, "negative-count.jsonl.gz", month="2017-04-01")
    with pytest.raises(DataError):  # new content, new key: re-imported (and found bad), not served stale
        state_dept_monthly.load(data_copy, "nonimmigrant")


# --------------------------------------------------------------------------- other importers


def test_annual_totals_are_checked(data_copy):
    annual = state_dept_annual.read(data_copy)
    assert annual.totals.set_index("nationality")["total_visas"].to_dict() == {
        "Iran": 24000, "Syria": 3600, "North Korea": 0, "Yemen": 1200}
    path = data_copy / "raw" / "state-dept-annual-visas" / "niv-detail-fy2016.csv"
    path.write_text(path.read_text().replace("2016,Iran,20000,4000,24000", "2016,Iran,20000,4000,24001"))
    with pytest.raises(DataError, match=r"line 2, column 'Total Visas': 'Total Visas' is 24,001 but the class "
                                        r"columns add up to 24,000"):
        state_dept_annual.read(data_copy)


def test_groups_are_sourced_lists():
    group = country_groups.group(DATA, "raw/country-groups/muslim-majority-countries.csv")
    assert len(group.nationalities()) == 49 and "Lebanon" in group.nationalities()
    assert "Pew Research Center" in group.description  # the list says where it comes from
    lebanon = group.members.set_index("nationality").at["Lebanon", "note"]
    assert "Pew Research Center" in lebanon and "recalled" not in lebanon.lower()
    arab = country_groups.group(DATA, "raw/country-groups/arab-league-members.csv")
    assert len(arab.nationalities()) == 22 and "Palestinian territories" in arab.nationalities()


def test_monthly_file_hashes_match_the_data_package():
    folder = DATA / "raw" / "state-dept-monthly-visas"
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        assert sorted(resource["fileHashes"]) == sorted(resource["path"])
        for path, expected in resource["fileHashes"].items():
            assert "sha256:" + hashlib.sha256((folder / path).read_bytes()).hexdigest() == expected, path


# --------------------------------------------------------------------------- the shipped figures


@pytest.fixture(scope="module")
def shipped():
    return visas.load(DATA, defaults("03_visas")["groups"])


def _group(values: dict, key: str) -> dict:
    return next(g for g in values["groups"] if g["key"] == key)


def _figure(values: dict, key: str) -> dict:
    return next(f for f in values["politico_figures"] if f["key"] == key)


def _page(data, **parameters) -> tuple[dict, dict]:
    """The chapter's values (as the record holds them) and its rendered blocks, for the book's default run."""
    from safecity import prose, record

    values = record._plain(visas_values(DATA, data, **parameters))
    return values, prose.blocks("03_visas", values | {"run": record.run_context({}, [])})


def _files_page(values: dict) -> dict:
    """The data reporters' page's blocks (How the visa files were read), rendered from the chapter's values."""
    from safecity import record

    return record.render(visas.FILES_PAGE, values)


def _compared(data, **parameters) -> visas.Comparison:
    p = defaults("03_visas") | parameters
    return visas.compare(data, p["window_start"], p["window_end"], p["baseline_fy"])


def test_six_countries_reproduce_politicos_44_percent(shipped):
    r = visas_values(DATA, shipped)
    six = _group(r, "six")
    assert [m["issuances"] for m in six["months"]] == [2551, 2014, 2517, 3032, 2095, 2790]
    assert six["window_total"] == 14999
    assert six["baseline_total"] == 53440
    assert round(r["six_change"] * 100, 1) == -43.9
    assert _figure(r, "six")["politico_change"] == -0.44
    assert six["countries"] == ["Iran", "Libya", "Somalia", "Sudan", "Syria", "Yemen"] and six["is_order"]
    assert sorted(r["proclamation_country_list"]) == ["Chad", "Iran", "Libya", "North Korea", "Somalia", "Syria",
                                                      "Venezuela", "Yemen"]


def test_every_politico_figure_is_reproduced_within_its_tolerance(shipped):
    r = visas_values(DATA, shipped)
    for key in ("six", "arab", "muslim"):
        assert abs(_figure(r, key)["difference_points"]) <= r["tolerance_points"], key
    assert _figure(r, "all")["kind"] == "near_zero" and _figure(r, "all")["politico_change"] is None
    assert abs(r["all_change"]) <= r["near_zero"]
    assert r["n_politico_figures"] == 4 and r["n_reproduced"] == 4  # "virtually unchanged" is one of them
    assert r["politico_terms"] and r["politico_complete"]
    assert r["classes"]["baseline_total_visas"] == r["classes"]["baseline_grand_total"]  # BCC column is 0 in FY2016


def test_changing_a_parameter_changes_the_result(shipped):
    default = visas_values(DATA, shipped)
    shorter = visas_values(DATA, shipped, window_end="2017-05")
    assert _group(shorter, "six")["window_total"] == 2551 + 2014 + 2517
    assert shorter["six_change"] != default["six_change"]
    assert not shorter["politico_terms"]
    assert round(_group(default, "muslim")["change_without_travel_documents"] * 100, 1) == -8.1
    assert round(_group(default, "arab")["change_without_travel_documents"] * 100, 1) == -15.8
    swapped = visas_values(DATA, groups={"six": "raw/country-groups/arab-league-members.csv"})
    assert swapped["six_change"] == pytest.approx(default["arab_change"])
    assert {"name": "groups", "group": "arab", "description": "all Arab nations", "reason": "absent"} \
        in swapped["politico_terms_off"]
    # FY2018 is not in the annual table: its baseline is the twelve monthly tables
    fy2018 = visas_values(DATA, shipped, baseline_fy=2018)
    assert fy2018["baseline_source"] == "monthly"
    assert _group(fy2018, "six")["baseline_total"] > 0 and fy2018["six_change"] != default["six_change"]
    # FY2019 includes the missing month: the comparison is refused, not computed with a zero, and says why
    fy2019 = visas_values(DATA, shipped, baseline_fy=2019)
    assert fy2019["six_change"] is None and fy2019["baseline_missing_months"] == ["2019-05"]
    spring = visas_values(DATA, shipped, window_start="2019-04", window_end="2019-06")
    assert spring["all_change"] is None and spring["window_missing_months"] == ["2019-05"]


@pytest.mark.parametrize("name, value", [("baseline_fy", 2009), ("window_start", "2010-01")])
def test_a_parameter_that_selects_no_data_is_refused_by_name(shipped, name, value):
    parameters = {name: value} | ({"window_end": "2010-06"} if name == "window_start" else {})
    with pytest.raises(ValueError, match=f"parameter '{name}'"):
        visas_values(DATA, shipped, **parameters)


def test_bad_parameters_fail_clearly():
    with pytest.raises(ValueError, match="expected a month as YYYY-MM"):
        visas.window("March 2017", "2017-08")
    with pytest.raises(ValueError, match="ends"):
        visas.window("2017-08", "2017-03")


def test_chart_shows_the_missing_month_as_a_gap(shipped):
    _, text = _page(shipped)
    figure = visas.proclamation_chart(shipped, _compared(shipped), text)
    spec = json.dumps(figure.spec)
    assert '"invalid": "break-paths-show-domains"' in spec
    assert "May 2019 is missing for non-immigrant visas" in figure.alt_text
    assert figure.data["nonimmigrant"].isna().sum() == shipped.proclamation["country"].nunique()
    assert "missing" in figure._repr_html_()


def _panels(spec: dict) -> list[dict]:
    """The chart's country panels (the first view of the column is the strip of labelled dates)."""
    return [p for p in spec["vconcat"] if "title" in p]


def _strip_labels(spec: dict) -> list[str]:
    """The labels the strip above the panels writes at the dates (each its own text layer, over a white halo)."""
    data = {name: rows for name, rows in spec.get("datasets", {}).items()}
    strip = spec["vconcat"][0]
    labels = []
    for layer in strip["layer"]:
        if layer["mark"]["type"] == "text" and layer["mark"].get("color") != "white":
            row = layer["transform"][0]["filter"].split("===")[-1].strip(" ()")
            labels += [r["label"] for name, rows in data.items() for r in rows if str(r.get("row")) == row
                       and "label" in r]
    return labels


def test_chart_fits_a_phone_and_indexes_every_country_on_one_scale(shipped):
    """One column of panels as wide as the page's column (so a 342-px phone's too), one shared index scale, the
    orders and rulings labelled on the chart at their dates, and the series too small to index (North Korea's
    handful) left out and named in the note with the reason."""
    values, text = _page(shipped)
    figure = visas.proclamation_chart(shipped, _compared(shipped), text)
    spec = figure.spec
    assert "vconcat" in spec and all(p["width"] == "container" for p in spec["vconcat"])
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}  # axes and padding inside the column
    assert spec["resolve"]["scale"]["y"] == "shared"
    titles = [p["title"]["text"] for p in _panels(spec)]
    assert "North Korea" not in titles and "Venezuela" in titles and len(titles) == values["procl"]["n_drawn"] == 7
    # every date of the records' span is a labelled rule, in date order, with the label the dates table gives it
    charted = [e["label"] for e in values["procl"]["chart_events"]]
    assert charted[0] == "EO 13780 signed" and "Proclamation 9645 revoked" in charted and len(charted) == 9
    assert _strip_labels(spec) == charted
    assert "North Korea's non-immigrant visas (7.7 a month in Mar–Aug 2017, too few to index)" in figure.note
    assert not re.search(r"\bnan\b", figure._repr_html_(), re.I)
    assert figure.title == "Visas to the 8 countries fell under the proclamation"  # one line: the detail is below
    assert "non-immigrant −57.2%, immigrant −70.0%" in figure.subtitle
    base = figure.data[(figure.data["month"] >= "2017-03") & (figure.data["month"] <= "2017-08")]
    iran = base[base["country"] == "Iran"]["nonimmigrant_index"]
    assert iran.mean() == pytest.approx(100, abs=0.05)


WINDOW_STARTS = pd.date_range("2017-03-01", "2024-12-01", freq="MS")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.sampled_from(list(WINDOW_STARTS)), length=st.integers(1, 12))
@example(start=pd.Timestamp("2017-03-01"), length=6)  # the book's window
@example(start=pd.Timestamp("2019-04-01"), length=3)  # a window over the missing May 2019
def test_every_index_is_100_over_the_window_and_every_other_series_is_named_with_its_reason(shipped, start, length):
    """For any window the chapter is run with, each series with a base averages exactly 100 (to the index's one
    decimal) over that window; each without one has no index at all and the chart's note names it with its reason:
    a month of the window missing (May 2019 for non-immigrant visas), no visa issued, or too few to index."""
    end = min(start + pd.DateOffset(months=length - 1), pd.Timestamp("2025-05-01"))
    window_start, window_end = f"{start:%Y-%m}", f"{end:%Y-%m}"
    values, text = _page(shipped, window_start=window_start, window_end=window_end)
    comparison = _compared(shipped, window_start=window_start, window_end=window_end)
    frame = visas.index_series(shipped, comparison)
    in_window = frame[frame["month"].isin(visas.window(window_start, window_end))]
    unindexed = {(u["country"], u["kind"]): u for u in values["procl"]["unindexed"]}
    note = text["visas_proclamation_countries_note"]
    for country in shipped.restrictions["nationality"]:
        for kind in ("nonimmigrant", "immigrant"):
            index = frame.loc[frame["country"] == country, f"{kind}_index"]
            if (country, kind) in unindexed:
                assert index.isna().all(), (country, kind)
                reason = unindexed[(country, kind)]["reason"]
                kind_word = "non-immigrant" if kind == "nonimmigrant" else "immigrant"
                said = {"missing": "is missing, so there is no base", "none": "none issued in",
                        "too_few": "too few to index"}[reason]
                assert re.search(rf"{re.escape(country)}'s {kind_word} visas \([^)]*{re.escape(said)}", note), \
                    (country, kind, reason, note)
                if reason == "missing":
                    assert kind == "nonimmigrant" and "2019-05" in values["window_missing_months"]
            else:
                mean = in_window.loc[in_window["country"] == country, f"{kind}_index"].mean()
                assert mean == pytest.approx(100, abs=0.05), (country, kind, window_start, window_end)
    assert not re.search(r"\bnan\b", "\n".join(text.values()), re.I)


def test_a_country_with_no_visa_in_the_window_gets_no_index_and_the_page_says_so(shipped):
    """Somalia's non-immigrant visas of the window removed (a true 0 in each month, the files being there): no
    index, no line, no division by zero and no "nan"; the note says none were issued."""
    niv = shipped.monthly["nonimmigrant"]
    rows = niv.issuances
    gone = rows["month"].isin(visas.window("2017-03", "2017-08")) & (rows["nationality"] == "Somalia")
    data = dataclasses.replace(shipped, monthly={**shipped.monthly,
                                                 "nonimmigrant": dataclasses.replace(niv, issuances=rows[~gone])})
    values, text = _page(data)
    assert {"country": "Somalia", "kind": "nonimmigrant", "reason": "none", "average": 0.0} \
        in values["procl"]["unindexed"]
    figure = visas.proclamation_chart(data, _compared(data), text)
    somalia = figure.data[figure.data["country"] == "Somalia"]
    assert somalia["nonimmigrant_index"].isna().all() and somalia["immigrant_index"].notna().any()
    assert "Somalia's non-immigrant visas (none issued in Mar–Aug 2017, so no base)" in figure.note
    assert "Somalia" in [p["title"]["text"] for p in _panels(figure.spec)]  # its immigrant line is still drawn
    assert not re.search(r"\bnan\b", figure._repr_html_(), re.I)


def test_period_averages_refuse_to_span_the_missing_month(shipped):
    averages = visas.period_averages(visas.proclamation_series(shipped))
    niv = averages[averages["kind"] == "nonimmigrant"]
    assert niv["y2019"].isna().all()
    assert np.isfinite(averages[averages["kind"] == "immigrant"]["y2019"]).all()


def test_proclamation_words_follow_the_averages(shipped):
    """The direction words in the proclamation section and its chart title come from the averages beside them:
    as shipped visas fell; with the first year's averages made higher than before, the same text says they rose."""
    from safecity import prose, record

    values, text = _page(shipped)
    assert "non-immigrant visas fell to 2,851 a month (−57.2%) and immigrant visas fell to 465 a month (−70.0%)" \
        in text["procl_periods"]
    assert "there is none for non-immigrant visas in Jan–Dec 2019." in text["procl_periods"]
    assert ("In the latest twelve months of records (Jun 2024–May 2025), after the proclamation was revoked on "
            "20 January 2021, the 8 countries received") in text["procl_periods"]
    assert text["visas_proclamation_countries_title"] == "Visas to the 8 countries fell under the proclamation"
    assert text["visas_proclamation_countries_subtitle"].endswith(
        "In the first year in full effect (Dec 2017–Nov 2018), against Mar–Aug 2017: non-immigrant −57.2%, "
        "immigrant −70.0%.")

    comparison = _compared(shipped)
    rose = dataclasses.replace(comparison, averages=comparison.averages.assign(
        first_year=comparison.averages["before"] * 2))
    values = record._plain(visas.results(shipped, rose))
    changed = prose.blocks("03_visas", values | {"run": record.run_context({}, [])})
    assert "non-immigrant visas rose to" in changed["procl_periods"] and "(+100.0%)" in changed["procl_periods"]
    assert changed["visas_proclamation_countries_title"] == "Visas to the 8 countries rose under the proclamation"
    assert "non-immigrant +100.0%, immigrant +100.0%" in changed["visas_proclamation_countries_subtitle"]


def test_crosswalk_is_checked_against_its_schema(data_copy):
    path = data_copy / "raw" / "nationality-crosswalk" / "nationalities.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "Iran,Persia,country,\nSyria,Syria,country or territory,\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        nationalities.crosswalk(data_copy)
    message = str(error.value)
    assert "nationalities.csv, line 10, column 'kind': 'country' is not one of" in message
    assert "nationalities.csv, line 10, column 'raw_name': duplicated value 'Iran'" in message


def test_months_off_their_printed_total_are_tied_to_repairs_only_when_they_were_repaired(shipped):
    """The page ties the months whose rows fall short of the grand total to the import's repairs only while the
    import repaired those months, and never speaks of months that are not there."""

    def sentence(niv):
        data = dataclasses.replace(shipped, monthly={**shipped.monthly, "nonimmigrant": niv})
        return _files_page(_page(data)[0])["import_details"]

    niv = shipped.monthly["nonimmigrant"]
    shipped_sentence = sentence(niv)
    assert ("less than the printed total in 3 months (February to April 2022): the same months in which the parser "
            "mangled a page break (see the repairs below), which suggests it lost rows there too.") in shipped_sentence
    assert "more than the printed total in" in shipped_sentence

    unrepaired = sentence(dataclasses.replace(niv, repairs=niv.repairs[:0]))
    assert "less than the printed total in 3 months (February to April 2022), which the files alone cannot explain" \
        in unrepaired
    assert "page break" not in unrepaired

    agreeing = dataclasses.replace(niv, totals=niv.totals.assign(difference=niv.totals["difference"] * 0))
    assert "They agree in every month." in sentence(agreeing)


def _executed(name: str) -> tuple[dict[str, str], str]:
    """An executed page of the book: the Markdown it glues, by block name, and everything it shows, as one string.
    (A notebook's working cells, tagged `remove-cell`, are not on the page.)"""
    import nbformat

    nb = nbformat.read(DATA.parent / "book" / f"{name}.ipynb", as_version=4)
    glued, shown = {}, []
    for cell in nb.cells:
        if "remove-cell" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":
            shown.append(cell.source)
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook", {})
            data = output.get("data", {})
            if scrap.get("name") and scrap["mime_prefix"] + "text/markdown" in data:
                glued[scrap["name"]] = data[scrap["mime_prefix"] + "text/markdown"]
            shown += [str(v) for k, v in data.items() if k.endswith(("text/html", "text/markdown"))]
    return glued, "\n".join(shown)


def test_the_visa_files_page_is_for_data_reporters_and_holds_what_left_the_visa_page():
    """The import's repairs, the visa classes and each group's countries are on their own page in the "For data
    reporters" part (before the re-running guide), rendered from the visa chapter's record, and no longer on the
    reader's page, which links to it."""
    import html

    import yaml

    from safecity import pipeline, record

    toc = yaml.safe_load((DATA.parent / "_toc.yml").read_text(encoding="utf-8"))
    part = next(p for p in toc["parts"] if p["caption"] == "For data reporters")
    files = [c["file"] for c in part["chapters"]]
    assert files.index("book/09_visa_files") < files.index("book/rerun")
    notebook = next(nb for nb in pipeline.notebooks(DATA.parent) if nb.name == visas.FILES_PAGE)
    assert notebook.after == ["03_visas"]  # it reads the chapter's record, so it runs after the chapter

    chapter = record.read("03_visas", DATA.parent / "book" / "results")
    expected = record.render(visas.FILES_PAGE, chapter["values"], chapter["parameters"], chapter["overridden"])
    glued, files_page = _executed(visas.FILES_PAGE)
    for name in ("intro", "import_details", "classes", "data_note"):
        assert glued[name] == expected[name], name  # the chapter's record, rendered whole
    for caption in ("repairs_caption", "totals_caption", "spellings_caption", "groups_table_caption",
                    "breakdown_caption", "dates_caption"):
        assert f"<caption>{html.escape(expected[caption])}</caption>" in files_page, caption
    assert "Rows under the wrong keys" in files_page and "How the monthly files were cleaned" not in files_page

    visas_glued, visas_page = _executed("03_visas")
    assert not {"import_details", "import_intro", "classes"} & set(visas_glued)
    assert not {"import_details", "import_intro", "classes", "repairs_caption"} & set(chapter["text"])
    for words in ("Rows repaired on import", "Rows under the wrong keys", "Grand Total", "BBBCC",
                  expected["groups_table_caption"]):
        assert words not in visas_page, words
    assert visas_page.count("(09_visa_files.ipynb)") == 1  # one sentence links to it


def test_the_orders_are_cited_once_not_on_every_row(shipped):
    """The restrictions table has no source column (all its rows cite the same proclamation, cited once under it);
    each date of the orders is listed once with a link named by the site it goes to."""
    values, text = _page(shipped)
    table = visas.restrictions_table(shipped)
    assert not {"source", "later"} & set(table.columns) and len(table) == 8
    assert "Later, the restrictions changed for 1 country: Chad (removed from the proclamation in April 2018)." in text["procl_intro"]
    cited = set(shipped.restrictions["source"])
    assert len(cited) == 1 and text["restrictions_source"].count("Proclamation 9645 of September 24, 2017") == 1
    assert "[thefederalregister.org/82-FR/45161](https://thefederalregister.org/82-FR/45161)" \
        in text["restrictions_source"]
    items = [line for line in text["dates_list"].splitlines() if line.startswith("- ")]
    assert len(items) == len(shipped.dates) == 12  # the orders up to the proclamation of 16 December 2025
    assert items[0] == ("- 27 January 2017: Executive Order 13769 signed: entry suspended for 90 days for nationals "
                        "of Iran, Iraq, Libya, Somalia, Sudan, Syria and Yemen "
                        "([thefederalregister.org](https://thefederalregister.org/82-FR/8977))")
    assert "([govinfo.gov](https://www.govinfo.gov/content/pkg/FR-2021-01-25/html/2021-01749.htm))" in items[9]
