/* The claims ledger's filter by verdict: shows the filter buttons (hidden without scripts) and, when one
   is pressed, only the rows with that verdict. Plain buttons with aria-pressed, so keyboards and screen
   readers work as usual; a status line says how many claims are shown. Nothing is fetched. */
(function () {
  function setUp(ledger) {
    var filter = ledger.querySelector('.safecity-ledger-filter');
    var status = ledger.querySelector('.safecity-ledger-status');
    var rows = Array.prototype.slice.call(ledger.querySelectorAll('tbody tr[data-verdict]'));
    if (!filter || !rows.length) return;
    var buttons = Array.prototype.slice.call(filter.querySelectorAll('button[data-verdict]'));
    function show(verdict, button) {
      var shown = 0;
      rows.forEach(function (row) {
        var keep = !verdict || row.getAttribute('data-verdict') === verdict;
        row.hidden = !keep;
        if (keep) shown += 1;
      });
      buttons.forEach(function (b) { b.setAttribute('aria-pressed', b === button ? 'true' : 'false'); });
      if (status) {
        status.textContent = verdict ? 'Showing ' + shown + ' of ' + rows.length + ' claims: '
          + button.textContent.replace(/\s*\(\d+\)$/, '') + '.' : '';
      }
    }
    buttons.forEach(function (button) {
      button.addEventListener('click', function () { show(button.getAttribute('data-verdict'), button); });
    });
    filter.hidden = false;
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('.safecity-ledger'), setUp);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
