"""A Sphinx extension for the book's accessibility: myst-nb's "Show code cell source" toggles.

myst-nb renders a hidden code cell as `<details><summary aria-label="Toggle hidden content">` around the
visible words "Show code cell source", so the name a screen reader announces is not the label a reader
sees (WCAG 2.5.3 "label in name"; axe's label-content-name-mismatch). This renders the same markup with
the summary named by its visible words (the hidden "Hide ..." line is `display: none` until opened).
"""

from html import escape

from myst_nb.sphinx_ import HideCodeCellNode


def visit_hide_cell_input(self, node):
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def depart_hide_cell_input(self, node):
    self.body.append("</details>\n")


def setup(app):
    app.setup_extension("myst_nb")
    app.add_node(HideCodeCellNode, override=True, html=(visit_hide_cell_input, depart_hide_cell_input))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
