"""Offline Altair charts and the house chart conventions.

A chart is published as a `<figure>` holding: a one-line takeaway title, the
chart itself (rendered in the browser by the vega bundle shipped as a site
static file, so no CDN is ever contacted), a caption naming the source, a text
alternative generated from the data, and the chart's numbers as a table and as
a CSV download. The element id is derived from the spec, so re-running a
notebook produces byte-identical output.
"""

from __future__ import annotations

import hashlib
import html
import json
import urllib.parse
from pathlib import Path

import altair as alt
import pandas as pd

#: Okabe-Ito palette: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

#: File name of the vega/vega-lite/vega-embed bundle in the site's static folder.
BUNDLE_NAME = "vega-bundle.js"


#: Appended to the bundle: wraps `vegaEmbed` for the book's charts.
#: - Specs carry no "$schema" (it would put a host name in every page), so vega-embed guesses the
#:   spec's language from its top-level keys; its list lacks "concat", so a wrapped concat chart
#:   (`alt.concat(..., columns=2)`) was taken for a Vega spec and drawn as an empty 0x0 SVG, silently.
#:   Every spec here is Vega-Lite (Altair), so that is the default mode.
#: - Vega labels the element it renders into as role="graphics-document", aria-label="Vega
#:   visualization", overwriting the figure's own text alternative; the container's role and
#:   aria-label are put back once the chart is drawn, so screen readers get the generated alt text.
_EMBED_WRAPPER = """(function () {
  var embed = window.vegaEmbed;
  if (typeof embed !== 'function') return;
  var wrapped = function (el, spec, opts) {
    var target = typeof el === 'string' ? document.querySelector(el) : el;
    var role = target && target.getAttribute('role'), label = target && target.getAttribute('aria-label');
    var restore = function () {
      if (!target || label === null) return;
      target.setAttribute('role', role || 'img');
      target.setAttribute('aria-label', label);
      target.removeAttribute('aria-roledescription');
    };
    opts = Object.assign({mode: 'vega-lite'}, opts || {});
    return embed(el, spec, opts).then(function (result) { restore(); return result; },
                                      function (err) { restore(); throw err; });
  };
  for (var key in embed) { if (Object.prototype.hasOwnProperty.call(embed, key)) wrapped[key] = embed[key]; }
  window.vegaEmbed = wrapped;
})();
"""


def write_bundle(static_dir: Path) -> Path:
    """Write vl-convert's vega bundle into `static_dir`, wrapped in a function scope.

    The bundle assigns `vega`, `vegaLite` and `vegaEmbed` to `window`; wrapped,
    its other top-level names (such as `_`) cannot clobber Sphinx's globals.
    Bundling takes seconds, so the file's first line names the vl-convert version and the
    wrapper it was made with, and an up-to-date file is left untouched (its mtime stays stable).
    """
    import importlib.metadata

    version = importlib.metadata.version("vl-convert-python")
    wrapper = hashlib.sha256(_EMBED_WRAPPER.encode()).hexdigest()[:12]
    header = f"/* vega, vega-lite and vega-embed, bundled by vl-convert-python {version}; wrapper {wrapper} */\n"
    target = Path(static_dir, BUNDLE_NAME)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        with open(target, encoding="utf-8") as handle:
            if handle.readline() == header:
                return target
    import vl_convert

    target.write_text(header + "(function () {\n" + vl_convert.javascript_bundle() + "\n})();\n" + _EMBED_WRAPPER,
                      encoding="utf-8")
    return target


def _script_json(value) -> str:
    """JSON safe to place inside a <script> element (no `</script>` can end it early)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def csv_data_uri(frame: pd.DataFrame) -> str:
    return "data:text/csv;charset=utf-8," + urllib.parse.quote(frame.to_csv(index=False, lineterminator="\n"))


def table_html(frame: pd.DataFrame, caption: str | None = None) -> str:
    """An accessible HTML table; every value is escaped so labels cannot inject markup."""
    # pandas renders pd.NA in nullable columns as "<NA>" whatever na_rep says: replace every kind of missing.
    shown = frame.astype(object).where(frame.notna(), "missing")
    out = shown.to_html(index=False, escape=True, border=0, classes=["safecity-table"])
    if caption:
        out = out.replace(">\n", f">\n<caption>{html.escape(caption)}</caption>\n", 1)
    return out


class Figure:
    """A chart with its title, caption, text alternative and data, displayable in Jupyter and the book."""

    def __init__(self, chart: alt.TopLevelMixin, *, name: str, title: str, source: str, alt_text: str,
                 data: pd.DataFrame, note: str = ""):
        self.chart = chart
        self.name = name
        self.title = title
        self.source = source
        self.alt_text = alt_text
        self.data = data
        self.note = note

    @property
    def spec(self) -> dict:
        # "$schema" is a URL only used by editors; leaving it out keeps every host name out of the page.
        spec = self.chart.to_dict()
        spec.pop("$schema", None)
        return spec

    @property
    def element_id(self) -> str:
        digest = hashlib.sha256(_script_json(self.spec).encode()).hexdigest()[:12]
        return f"vis-{self.name}-{digest}"

    def _repr_html_(self) -> str:
        esc = html.escape
        vid = self.element_id
        caption = f"{esc(self.note)} " if self.note else ""
        return (
            f'<figure class="safecity-figure" id="figure-{esc(self.name)}">\n'
            f'<p class="safecity-figure-title"><strong>{esc(self.title)}</strong></p>\n'
            f'<div id="{vid}" class="safecity-chart" role="img" aria-label="{esc(self.alt_text)}"></div>\n'
            "<script>(function () {\n"
            f"  var el = document.getElementById({json.dumps(vid)});\n"
            "  if (typeof window.vegaEmbed !== 'function') {\n"
            "    el.textContent = 'Chart needs the book\\'s vega bundle (see the table below).';\n"
            "    return;\n"
            "  }\n"
            f"  window.vegaEmbed(el, {_script_json(self.spec)}, {{actions: false, renderer: 'svg'}})\n"
            "    .catch(function (err) { console.error(err); el.textContent = 'Chart failed to render: ' + err; });\n"
            "})();</script>\n"
            f'<figcaption>{caption}Source: {esc(self.source)}. '
            f'<a download="{esc(self.name)}.csv" href="{csv_data_uri(self.data)}">Download the data (CSV)</a>.'
            f'<br><span class="safecity-alt">{esc(self.alt_text)}</span></figcaption>\n'
            f"<details><summary>The numbers behind this chart</summary>\n{table_html(self.data)}</details>\n"
            "</figure>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._repr_html_(), "text/plain": f"{self.title}\n{self.alt_text}"}
