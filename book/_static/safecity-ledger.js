/* The claims ledger, for scanning. Without scripts every row is shown, under its group's line. With them:
   - each group of routine claims folds into its line, a button that opens it (aria-expanded);
   - "Show:" filters the rows by verdict (opening the groups that hold such rows);
   - "Order:" puts the rows in the article's order instead of the claims that matter first;
   - a link to a claim in a folded group opens the group.
   Plain buttons, so keyboards and screen readers work as usual; a status line says what is shown. Nothing
   is fetched. */
(function () {
  function setUp(ledger) {
    var table = ledger.querySelector('table.safecity-ledger-table');
    var filter = ledger.querySelector('.safecity-ledger-filter');
    var order = ledger.querySelector('.safecity-ledger-order');
    var status = ledger.querySelector('.safecity-ledger-status');
    if (!table || !filter || !order) return;
    var lead = table.querySelector('tbody.safecity-ledger-lead');
    var bodies = Array.prototype.slice.call(table.querySelectorAll('tbody'));
    var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr[data-verdict]'));
    var home = rows.map(function (row) { return row.parentNode; });
    var byNumber = rows.slice().sort(function (a, b) {
      return Number(a.getAttribute('data-number')) - Number(b.getAttribute('data-number'));
    });
    var state = { verdict: '', label: '', article: false };

    bodies.forEach(function (body) {
      if (!body.classList.contains('safecity-ledger-fold')) return;
      var cell = body.querySelector('tr.safecity-ledger-heading th');
      var button = document.createElement('button');
      button.type = 'button';
      button.setAttribute('aria-expanded', 'false');
      button.setAttribute('aria-controls', body.id);
      while (cell.firstChild) button.appendChild(cell.firstChild);
      cell.appendChild(button);
      button.addEventListener('click', function () {
        body.setAttribute('data-open', body.getAttribute('data-open') === 'true' ? 'false' : 'true');
        render();
      });
    });

    function matches(row) { return !state.verdict || row.getAttribute('data-verdict') === state.verdict; }

    function render() {
      var shown = 0;
      if (state.article) {
        byNumber.forEach(function (row) { lead.appendChild(row); });
      } else {
        rows.forEach(function (row, i) { home[i].appendChild(row); });
      }
      bodies.forEach(function (body) {
        var heading = body.querySelector('tr.safecity-ledger-heading');
        var members = Array.prototype.slice.call(body.querySelectorAll('tr[data-verdict]'));
        var folded = body.classList.contains('safecity-ledger-fold');
        var open = !folded || state.verdict !== '' || body.getAttribute('data-open') === 'true';
        var any = false;
        members.forEach(function (row) {
          var keep = matches(row) && (state.article || open);
          row.hidden = !keep;
          // Hidden only because its group is folded: such a row prints (see safecity.css).
          row.toggleAttribute('data-folded', !keep && matches(row) && !state.article);
          if (matches(row)) any = true;
          if (keep) shown += 1;
        });
        if (heading) heading.hidden = state.article || !any;
        var button = heading && heading.querySelector('button');
        if (button) button.setAttribute('aria-expanded', open ? 'true' : 'false');
      });
      if (status) {
        status.textContent = state.verdict ? 'Showing ' + shown + ' of ' + rows.length + ' claims: ' + state.label + '.' : '';
      }
    }

    function press(group, button) {
      Array.prototype.forEach.call(group.querySelectorAll('button'), function (b) {
        b.setAttribute('aria-pressed', b === button ? 'true' : 'false');
      });
    }
    Array.prototype.forEach.call(filter.querySelectorAll('button[data-verdict]'), function (button) {
      button.addEventListener('click', function () {
        state.verdict = button.getAttribute('data-verdict');
        state.label = button.textContent.replace(/\s*\(\d+\)$/, '');
        press(filter, button);
        render();
      });
    });
    Array.prototype.forEach.call(order.querySelectorAll('button[data-order]'), function (button) {
      button.addEventListener('click', function () {
        state.article = button.getAttribute('data-order') === 'article';
        press(order, button);
        render();
      });
    });

    function reveal() {
      var id = decodeURIComponent(window.location.hash.slice(1));
      var row = id && document.getElementById(id);
      if (!row || rows.indexOf(row) < 0 || !row.hidden) return;
      var body = home[rows.indexOf(row)];
      body.setAttribute('data-open', 'true');
      if (!matches(row)) {
        state.verdict = '';
        press(filter, filter.querySelector('button[data-verdict=""]'));
      }
      render();
      row.scrollIntoView();
    }
    window.addEventListener('hashchange', reveal);

    filter.hidden = false;
    order.hidden = false;
    render();
    reveal();
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('.safecity-ledger'), setUp);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
