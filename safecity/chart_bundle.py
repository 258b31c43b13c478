"""The charts' script bundle: Vega, Vega-Lite and vega-embed (from vl-convert-python) with the book's embed
wrapper, written into the site's static files. Apart from `charts` so that a site build need not import Altair."""

from __future__ import annotations

import hashlib
from pathlib import Path

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
#: - Vega sizes a chart of width "container" when the window is resized, not when its box is: a box that
#:   narrows for another reason (the dark theme puts outputs on a padded panel) would leave the chart
#:   wider than its column until the window changed. A box whose width changes is told as a resize.
_EMBED_WRAPPER = """(function () {
  var embed = window.vegaEmbed;
  if (typeof embed !== 'function') return;
  var pending = false;
  var watcher = typeof ResizeObserver === 'function' && new ResizeObserver(function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; window.dispatchEvent(new Event('resize')); });
  });
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
    return embed(el, spec, opts).then(function (result) {
                                        restore();
                                        if (watcher && target) watcher.observe(target);
                                        return result;
                                      },
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
