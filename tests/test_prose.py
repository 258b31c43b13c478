"""The prose templates: words only, no arithmetic, and nothing missing or machine-made reaches a page."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes

from safecity import prose

TEMPLATES = sorted(Path(prose.__file__).with_name("templates").glob("*.md"))
ARITHMETIC = (nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow, nodes.Neg,
              nodes.Concat)
#: Built-in filters that compute rather than format: code supplies these values.
COMPUTING_FILTERS = {"abs", "sum", "length", "count", "round", "int", "float", "max", "min", "sort", "unique",
                     "map", "select", "reject", "selectattr", "rejectattr", "groupby", "batch", "slice", "list"}


def test_the_templates_folder_holds_every_page_template():
    assert TEMPLATES, "no templates found"
    assert all(path.suffix == ".md" for path in TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_do_no_arithmetic(path):
    tree = prose.ENV.parse(path.read_text(encoding="utf-8"))
    found = [type(node).__name__ for node in tree.find_all(ARITHMETIC)]
    assert not found, f"{path.name}: arithmetic in a template ({', '.join(found)}); compute it in code"
    filters = {node.name for node in tree.find_all(nodes.Filter)} - set(prose.FILTERS)
    assert not filters & COMPUTING_FILTERS, f"{path.name}: computing filters {sorted(filters & COMPUTING_FILTERS)}"


@pytest.mark.parametrize("name", ["num", "pct", "count", "fy", "day", "month"])
@pytest.mark.parametrize("missing", [None, float("nan")])
def test_number_filters_refuse_a_missing_value(name, missing):
    args = ("area",) if name == "count" else ()
    with pytest.raises(prose.MissingValue):
        prose.FILTERS[name](missing, *args)


def test_filters_format_as_a_reader_expects():
    assert prose.num(1234567) == "1,234,567"
    assert prose.num(-66) == "\u221266" and prose.num(-66, unsigned=True) == "66"
    assert prose.pct(-0.4391, signed=True) == "\u221243.9%" and prose.pct(0.02, signed=True) == "+2.0%"
    assert prose.pct(-0.0001, signed=True) == "0.0%"  # never a signed zero
    assert prose.count(1, "area") == "1 area" and prose.count(2, "country", "countries") == "2 countries"
    assert prose.day("2017-09-27") == "Wednesday 27 September 2017"
    assert prose.month("2017-03") == "March 2017" and prose.fy(2018) == "FY2018"
    assert prose.and_list(["A", "B", "C"]) == "A, B and C"


def test_an_undefined_value_is_an_error_naming_the_block(tmp_path, monkeypatch):
    env = prose.ENV.overlay(loader=jinja2.DictLoader({"page.md": "{% block intro %}{{ nothing }}{% endblock %}"}))
    monkeypatch.setattr(prose, "ENV", env)
    with pytest.raises(jinja2.UndefinedError, match="page.md, block intro"):
        prose.blocks("page", {})


@pytest.mark.parametrize("leak", ["nan", "None", "/work/main/book", "RuntimeWarning: x"])
def test_a_block_that_would_show_a_leak_is_refused(monkeypatch, leak):
    env = prose.ENV.overlay(loader=jinja2.DictLoader({"page.md": "{% block b %}It was {{ v }}.{% endblock %}"}))
    monkeypatch.setattr(prose, "ENV", env)
    with pytest.raises(ValueError, match="would show"):
        prose.blocks("page", {"v": leak})


def test_tag_lines_leave_nothing_and_line_breaks_stay_spaces(monkeypatch):
    source = ("{% block b %}\n{% if yes %}\nOne sentence ends{% if yes %} here{% endif %}\n(and goes on).\n"
              "{% endif %}\n\n- a list\n- stays\n{% endblock %}")
    env = prose.ENV.overlay(loader=jinja2.DictLoader({"page.md": source}))
    monkeypatch.setattr(prose, "ENV", env)
    assert prose.blocks("page", {"yes": True})["b"] == "One sentence ends here (and goes on).\n\n- a list\n- stays"


def test_chart_and_table_labels_are_the_templates_words():
    """Each chapter's axis titles, tooltip names, legend entries and column labels are the `labels` mapping of
    its template, as written there; a page that sets none, or one not written out, is refused."""
    from safecity import arrests, offences, refugees, seattle, visas_config

    for module, page in ((arrests, "01_arrests_by_area"), (offences, "02_offences"), (visas_config, "03_visas"),
                         (refugees, "04_refugees"), (seattle, "08_seattle_records")):
        source = (Path(prose.__file__).parent / "templates" / f"{page}.md").read_text(encoding="utf-8")
        assert module.LABEL == prose.labels(page)
        assert all(f'"{key}": "{word}"' in source for key, word in module.LABEL.items())
    assert len(refugees.LABEL) >= 30 and set(refugees.SERIES) <= set(refugees.LABEL.values())
    assert arrests.NOT_LISTED == arrests.LABEL["not_listed"]
    assert set(visas_config.KIND_LABELS.values()) <= set(visas_config.LABEL.values())
    loader = prose.ENV.loader
    try:
        prose.ENV.loader = jinja2.DictLoader({"x.md": "{% set labels = {'a': value} %}",
                                              "y.md": "{% block a %}{% endblock %}"})
        with pytest.raises(ValueError, match="written out"):
            prose.labels.__wrapped__("x")
        with pytest.raises(ValueError, match="no `{% set labels"):
            prose.labels.__wrapped__("y")
    finally:
        prose.ENV.loader = loader
