/* Two fixes to the site search, made by wrapping Sphinx's own functions (searchtools.js) rather than
   replacing them:
   - Sphinx drops every search term made only of digits, so "498" or "45,000" found nothing in a book
     about numbers. The digits terms are put back into the terms searched for and highlighted.
   - Sphinx takes a result's snippet from the page's [role=main], which in this theme starts with the
     page's toolbar ("Color mode", the download menu) and its contents list; those are left out. */
(function () {
  var FURNITURE = ".bd-header-article, .header-article-items, .bd-sidebar-secondary, .prev-next-area, " +
    "footer, .bd-footer-article, .bd-footer-content, nav, .onlyprint, .cell_input, .toggle-hidden";
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Search === "undefined" || typeof splitQuery === "undefined") return;
    var parse = Search._parseQuery;
    if (parse) {
      Search._parseQuery = function (query) {
        var parsed = parse(query);  // [query, searchTerms, excludedTerms, highlightTerms, objectTerms]
        splitQuery(query.trim()).forEach(function (term) {
          if (/^\d+$/.test(term)) { parsed[1].add(term); parsed[3].add(term); }
        });
        return parsed;
      };
    }
    var toText = Search.htmlToText;
    if (toText) {
      Search.htmlToText = function (htmlString, anchor) {
        var doc = new DOMParser().parseFromString(htmlString, "text/html");
        doc.querySelectorAll(FURNITURE).forEach(function (el) { el.remove(); });
        return toText(doc.documentElement.outerHTML, anchor).replace(/\s+/g, " ");
      };
    }
  });
})();
