"""Data is data (issue 34): whatever a data file or a parameters file holds reaches the page as text, never as
Markdown, MyST, HTML or a template; labels no real source holds are refused by `check`; downloads cannot start a
spreadsheet formula.

The unit tests run every hostile string through the escaping and the label check. One build (the slow test at the
end) puts them all at once into the labels a data folder and a parameters file carry and reads the built site."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from safecity import pipeline, prose, validate
from safecity.__main__ import main
from safecity.text import FORMULA_START, spreadsheet_safe

from conftest import DATA, ROOT

#: Text that is syntax in one of the formats a value passes through on its way to a page.
HOSTILE = [
    "{{ lipsum.__globals__.os.popen('touch CANARY').read() }}",
    "{% for x in range(3) %}loop{% endfor %}",
    "{# comment #}",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[click](javascript:alert(3))",
    "![image](x.png)",
    "<https://example.com>",
    "{glue:md}`x`",
    "{ref}`intro`",
    "```",
    "~~~",
    ":::{note}",
    "$x^2$",
    "$$",
    "*bold* _it_ `tick` | pipe",
    "**strong** __strong__",
    "a\\*b",
    "&lt;b&gt; &amp;",
    "# heading",
    "- item",
    "+ item",
    "1. list",
    "2) list",
    "% comment",
    "(target)=",
    "> quote",
    "---",
    "| a | b |",
    "=HYPERLINK(\"http://x\",\"y\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "Côte d'Ivoire",
    "Washington, D.C.",
]

#: Characters no label of a real source holds.
INVISIBLE = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\t", "\n", "\r", "\u202a", "\u202b", "\u202c", "\u202d",
             "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\u200c",
             "\u200d", "\ufeff", "\u2060", "\u2028", "\u00ad"]


def _myst(markdown: str) -> list:
    """The tokens MyST (as the book configures it) parses from a Markdown text."""
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser
    from markdown_it.renderer import RendererHTML

    config = MdParserConfig(enable_extensions={"colon_fence", "dollarmath"})
    return create_md_parser(config, RendererHTML).parse(markdown)


def _render(source: str, **values) -> str:
    """A template in the book's environment (its filters, escaping and tidying), rendered with `values`."""
    template = prose.ENV.from_string(source)
    return prose._tidy("".join(template.root_render_func(template.new_context(values))))


# --------------------------------------------------------------------------- values are text

@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_is_one_paragraph_of_its_own_text_in_myst(value):
    """At the start of a line, inside a sentence, in a list: MyST reads the value as text, character for character."""
    for template, before, after in (("{{ v }}", "", ""), ("In {{ v }} there were 3.", "In ", " there were 3."),
                                    ("- {{ v }}", "", "")):
        tokens = _myst(_render(template, v=value))
        inline = [t for t in tokens if t.type == "inline"]
        assert [t.type for t in tokens if t.type not in ("inline",)] in (
            ["paragraph_open", "paragraph_close"],
            ["bullet_list_open", "list_item_open", "paragraph_open", "paragraph_close", "list_item_close",
             "bullet_list_close"]), (template, value, [t.type for t in tokens])
        assert len(inline) == 1
        assert {c.type for c in inline[0].children} <= {"text", "text_special"}, (value, inline[0].children)
        assert "".join(c.content for c in inline[0].children) == before + value + after


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_in_raw_html_is_its_own_text(value):
    """Templates that write raw HTML (the ledger, the verdict cards) escape attribute values with `|e`."""
    html = _render('<p title="{{ v | e }}" class="x">{{ v }}</p>', v=value)
    soup = BeautifulSoup(html, "html.parser")
    (p,) = soup.find_all(True)
    assert p.name == "p" and set(p.attrs) == {"title", "class"}
    assert p["title"] == value
    assert p.get_text() == value


def test_the_books_own_formatting_still_renders():
    """Numbers and links the book formats itself are not escaped: only the values inside them are."""
    text = _render("{{ n | num }} and {{ s | cite }} and {{ xs | and_list }}", n=-1234.0,
                   s="ICE *release*, https://www.ice.gov/news/a_b_c", xs=["*a*", "b"])
    assert text.startswith("\u22121,234 and ICE &#42;release&#42;, [www.ice.gov/news/a_b_c](https://www.ice.gov/news/a_b_c)")
    tokens = [c for t in _myst(text) if t.type == "inline" for c in t.children]
    assert [t.attrs.get("href") for t in tokens if t.type == "link_open"] == ["https://www.ice.gov/news/a_b_c"]
    assert "em_open" not in {t.type for t in tokens}


def test_jinja_inside_a_value_is_never_evaluated():
    """The value is a string to the template; a `{{ }}` in it is characters, and the page's parser has no
    substitution step to evaluate it later."""
    value = "{{ 7 * 7 }}"
    assert "49" not in _render("{{ v }}", v=value)
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "substitution" not in config["parse"]["myst_enable_extensions"]


def test_every_template_still_renders_its_records_text_unchanged():
    """Escaping changes nothing a real value shows: every committed record's blocks render again byte for byte."""
    from safecity import record

    for path in sorted((ROOT / "book" / "results").glob("*.json")):
        saved = json.loads(path.read_text(encoding="utf-8"))
        text = record.render(saved["notebook"], saved["values"], saved["parameters"], saved["overridden"])
        assert {k: v for k, v in saved["text"].items() if k in text} == text, path.name


def test_a_figures_words_are_plain_text():
    """A chart's title and text alternative are the record's blocks, shown as text in its HTML (escaped once)."""
    import altair as alt

    from safecity.charts import Figure

    name = "<img src=x onerror=alert(1)> *x*"
    text = {"c_title": str(prose.escape(name)), "c_alt": str(prose.escape(name)), "c_source": "here"}
    figure = Figure(alt.Chart(pd.DataFrame({"a": [1]})).mark_bar(), name="c", text=text,
                    data=pd.DataFrame({"a": [name]}))
    soup = BeautifulSoup(figure._repr_html_(), "html.parser")
    assert soup.find("p", class_="safecity-figure-title").get_text() == name
    assert soup.find("div", class_="safecity-chart")["aria-label"] == name
    # The one image is the chart itself, drawn at build time; the name is only its text alternative.
    images = soup.find_all("img")
    assert [img.get("class") for img in images] == [["safecity-chart-static"]]
    assert images[0]["alt"] == name and images[0]["src"].startswith("data:image/svg+xml")
    assert not soup.find("script", src=True)


# --------------------------------------------------------------------------- labels no source holds

@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_an_invisible_or_control_character_in_a_csv_is_one_line_naming_file_line_and_column(tmp_path, char):
    path = tmp_path / "t.csv"
    path.write_text(f'place,arrests\nDenver,1\n"Bal{char}timore",2\nSeattle,3\n', encoding="utf-8")
    (problem,) = validate.csv_label_problems(path)
    assert (problem.line, problem.column) == (3, "place")
    assert f"U+{ord(char):04X}" in problem.reason
    assert "\n" not in str(problem) and char not in str(problem)


def test_a_label_problem_in_a_column_name_is_named_without_the_character(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("place\u202e,arrests\nDenver,1\n", encoding="utf-8")
    (problem,) = validate.csv_label_problems(path)
    assert (problem.line, problem.column) == (1, "place\\u202e")


@pytest.mark.parametrize("value", HOSTILE)
def test_printable_labels_pass(value):
    assert validate.label_problem(value) is None


def test_no_real_file_is_refused():
    """Every CSV resource of the project's data passes the label check (`check` runs it with the schemas)."""
    for package in validate.package_paths(DATA):
        for resource in validate.load_descriptor(package).get("resources", []):
            paths = resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
            for rel in paths:
                allowed = "" if "schema" in resource else "\r\n"  # a table kept as published may break lines
                assert validate.csv_label_problems(package.parent / rel, resource.get("encoding", "utf-8"),
                                                   allowed) == []


@pytest.fixture
def data(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _cli(capsys, *argv) -> tuple[int, list[str]]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, [line for line in (out + err).splitlines() if line.startswith("error:")]


def test_check_refuses_a_bidi_override_in_a_place_name(data, capsys):
    path = data / "raw" / "ice-safe-city" / "arrests_by_area.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("Denver", "Den\u202ever", 1)
    assert "\u202e" in lines[3]
    path.write_text("".join(lines), encoding="utf-8")
    status, errors = _cli(capsys, "check", "--data-dir", data)
    assert status == 2
    assert errors == [f"error: {validate.display_path(path)}, line 4, column 'area': holds U+202E (RIGHT-TO-LEFT "
                      "OVERRIDE): invisible or control characters are not allowed in a text value"]


def test_check_refuses_a_zero_width_character_in_a_monthly_visa_file(data, capsys):
    path = sorted((data / "raw" / "state-dept-monthly-visas" / "nonimmigrant").glob("*.jsonl.gz"))[-1]
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")
    row = json.loads(lines[1])
    row["Nationality"] += "\u200b"
    lines[1] = json.dumps(row, ensure_ascii=False)
    path.write_bytes(gzip.compress("\n".join(lines).encode("utf-8"), mtime=0))
    status, errors = _cli(capsys, "check", "--data-dir", data)
    assert status == 2
    assert errors == [f"error: {validate.display_path(path)}, line 2, column 'Nationality': holds U+200B (ZERO "
                      "WIDTH SPACE): invisible or control characters are not allowed in a text value"]


def test_check_refuses_a_nul_in_a_parameters_files_key(tmp_path, capsys):
    params = tmp_path / "params.yml"
    params.write_text('03_visas:\n  groups:\n    six: raw/travel-ban/eo-13780-countries.csv\n'
                      '    "arab\\0": raw/country-groups/arab-league-members.csv\n', encoding="utf-8")
    status, errors = _cli(capsys, "check", "--params", params)
    assert status == 2
    assert errors == [f"error: {validate.display_path(params)}, line 4, column '03_visas.groups': holds U+0000 "
                      "(a NUL character): invisible or control characters are not allowed in a text value"]


def test_check_refuses_an_invisible_character_in_a_data_package(data, capsys):
    """A package's titles and sources reach the Sources page: they are held to the same rule."""
    path = data / "raw" / "ice-safe-city" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["resources"][0]["title"] += "\u2066"
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "\\u2066" in text)
    status, errors = _cli(capsys, "check", "--data-dir", data)
    assert status == 2
    assert errors == [f"error: {validate.display_path(path)}, line {line}, column 'resources.title': holds U+2066 "
                      "(LEFT-TO-RIGHT ISOLATE): invisible or control characters are not allowed in a text value"]


# --------------------------------------------------------------------------- downloads

def test_download_cells_cannot_start_a_formula_and_numbers_stay_numbers():
    frame = pd.DataFrame({"name": ["=1+1", "+A1", "-A1", "@A1", "\tA1", "\rA1", "-0.44", None],
                          "=n": [-1, 2, 3, 4, 5, 6, 7, 8], "share": [-0.5] * 8})
    safe = spreadsheet_safe(frame)
    assert list(safe.columns) == ["name", "'=n", "share"]
    assert list(safe["name"].fillna("")) == ["'=1+1", "'+A1", "'-A1", "'@A1", "'\tA1", "'\rA1", "-0.44", ""]
    assert safe["'=n"].tolist() == frame["=n"].tolist() and safe["share"].tolist() == frame["share"].tolist()
    assert list(frame.columns) == ["name", "=n", "share"] and frame["name"][0] == "=1+1"  # the table is not changed


# --------------------------------------------------------------------------- one build with every payload

OPERATION = "Operation {{ lipsum.__globals__.os.popen('touch CANARY-op').read() }} <img src=x onerror=alert(1)> *e*"
GROUP = "{{ lipsum.__globals__.os.popen('touch CANARY-group').read() }} <img src=x onerror=alert(4)>"
AREAS = [value for value in HOSTILE if value not in ("Côte d'Ivoire", "Washington, D.C.")]


def _rewrite(path: Path, change) -> None:
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(change(rows))
    path.write_text(out.getvalue(), encoding="utf-8")


def _hostile_data(data: Path) -> None:
    """The operation renamed everywhere it is named, and one ICE area per hostile string (1 arrest each), with the
    string as its geography and in its source."""
    for folder in ("ice-safe-city", "ice-safe-city-offences", "ice-records-coding"):
        for path in (data / "raw" / folder).glob("*.csv"):
            _rewrite(path, lambda rows: rows[:1] + [[OPERATION if c == "Operation Safe City" else c for c in r]
                                                    for r in rows[1:]])
    _rewrite(data / "raw" / "ice-safe-city" / "arrests_by_area.csv",
             lambda rows: rows + [[OPERATION, area, "1", area, f"source {area}"] for area in AREAS])


def _params(path: Path) -> Path:
    import yaml

    from conftest import defaults

    groups = defaults("03_visas")["groups"] | {GROUP: "raw/country-groups/arab-league-members.csv"}
    path.write_text(yaml.safe_dump({"01_arrests_by_area": {"operation": OPERATION},
                                    "02_offences": {"operation": OPERATION},
                                    "08_seattle_records": {"operation": OPERATION},
                                    "03_visas": {"groups": groups}}, allow_unicode=True), encoding="utf-8")
    return path


def _attributes(site: Path) -> dict[str, set]:
    """Per page: every element, and every (element, attribute name), the built HTML holds."""
    found = {}
    for page in site.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        found[page.relative_to(site).as_posix()] = ({(t.name, a) for t in soup.find_all(True) for a in t.attrs}
                                                    | {(t.name, "") for t in soup.find_all(True)})
    return found


def test_hostile_labels_build_as_text_run_nothing_and_download_neutral(tmp_path, built_site):
    data = tmp_path / "hostile"
    shutil.copytree(DATA, data)
    _hostile_data(data)
    params = _params(tmp_path / "params.yml")
    run = [sys.executable, "-m", "safecity"]
    recorded = subprocess.run([*run, "data", "record", "--data-dir", str(data)], cwd=tmp_path, capture_output=True,
                              text=True)
    assert recorded.returncode == 0, recorded.stderr
    work = pipeline.work_root(ROOT, data, params)
    try:
        proc = subprocess.run([*run, "build", "--jobs", "1", "--data-dir", str(data), "--params", str(params)],
                              cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        # The canary: the Jinja payload would have created these files wherever the build ran.
        for folder in (tmp_path, ROOT, work, work / "book", work / "_build"):
            assert not list(Path(folder).glob("CANARY*")), folder
        site = work / "_build" / "html"
        clean = _attributes(built_site)
        for page, pairs in _attributes(site).items():
            extra = {p for p in pairs - clean.get(page, set())}
            assert not extra, (page, extra)  # no element or attribute kind the clean book lacks
        for page in site.rglob("*.html"):
            soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
            assert not soup.find("img", src="x"), page
            for tag in soup.find_all(True):
                assert not any(a.startswith("on") and "alert(" in tag[a] for a in tag.attrs), (page, tag.attrs)
                for name in ("href", "src"):
                    assert not str(tag.get(name, "")).lower().startswith("javascript:"), (page, tag)
            for script in soup.find_all("script"):
                assert "alert(" not in (script.string or "") or script.get("type") == "application/ld+json" \
                    or "vegaEmbed" in (script.string or ""), (page, script)
        # Every payload is on the arrests page as its own text (Sphinx's smart quotes aside).
        page = BeautifulSoup((site / "book" / "01_arrests_by_area.html").read_text(encoding="utf-8"), "html.parser")
        shown = page.get_text().translate(str.maketrans("‘’“”", "''\"\""))
        for value in AREAS + [OPERATION]:
            assert value in shown, value
        assert GROUP in BeautifulSoup((site / "book" / "03_visas.html").read_text(encoding="utf-8"),
                                      "html.parser").get_text().translate(str.maketrans("‘’“”", "''\"\""))
        # Every download cell is neutral, and the record keeps the exact values.
        downloads = sorted((work / "book" / "_static" / "downloads").glob("*.csv"))
        assert downloads
        for path in downloads:
            for row in csv.reader(path.open(newline="", encoding="utf-8")):
                for cell in row:
                    assert not cell.startswith(FORMULA_START) or re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?", cell), \
                        (path, cell)
        cells = {c for row in csv.reader((work / "book" / "_static" / "downloads" / "arrests_by_area.csv").open(
            newline="", encoding="utf-8")) for c in row}
        assert "'=HYPERLINK(\"http://x\",\"y\")" in cells and "'@SUM(1+1)" in cells
        saved = json.loads((work / "book" / "results" / "01_arrests_by_area.json").read_text(encoding="utf-8"))
        assert "=HYPERLINK(\"http://x\",\"y\")" in json.dumps(saved["values"], ensure_ascii=False).replace('\\"', '"')
    finally:
        shutil.rmtree(work, ignore_errors=True)
