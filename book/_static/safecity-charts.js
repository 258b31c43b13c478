/* Interactive charts, loaded only when a reader reaches for them. Each chart is first shown as its static
   drawing (made when the notebook ran), so a page paints fast and reads without scripts. The vega bundle
   (about 0.9 MB) is fetched on the reader's first gesture on the page (pointer, touch, key, wheel, scroll),
   and then each chart queued by its figure's own script is drawn in place of its static drawing. This file
   is added only to pages that have a chart. */
(function () {
  var script = document.currentScript;
  var bundle = script && script.src.replace(/safecity-charts\.js(\?.*)?$/, 'vega-bundle.js');
  // Not 'scroll': the theme scrolls its sidebar by itself, and a page opened at an anchor scrolls too.
  var gestures = ['pointerdown', 'pointermove', 'touchstart', 'keydown', 'wheel'];
  var started = false;

  function drawAll() {
    var queued = window.safecityCharts || [];
    // Charts that register from now on are drawn at once.
    window.safecityCharts = { push: function (draw) { draw(); } };
    queued.forEach(function (draw) { draw(); });
  }

  function load() {
    if (started || !bundle) return;
    started = true;
    gestures.forEach(function (name) { window.removeEventListener(name, load, true); });
    if (typeof window.vegaEmbed === 'function') { drawAll(); return; }
    var tag = document.createElement('script');
    tag.src = bundle;
    tag.onload = drawAll;
    tag.onerror = function () { console.error('The interactive charts could not be loaded; the static drawings stay.'); };
    document.head.appendChild(tag);
  }

  gestures.forEach(function (name) { window.addEventListener(name, load, { capture: true, passive: true }); });
})();
