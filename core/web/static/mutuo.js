// Confirm dangerous buttons (CSP forbids inline handlers, so we bind here).
document.addEventListener('click', function (ev) {
  var el = ev.target.closest('[data-confirm]');
  if (el && !window.confirm(el.getAttribute('data-confirm'))) { ev.preventDefault(); }
});

// Phone-width cards (mutuo.css, table.listing-cards): a cell without its own data-label takes its column's
// header, so a hand-written table only needs the class to read "Label: value" on a card (docs/web.md).
document.querySelectorAll('table.listing-cards').forEach(function (table) {
  // its own rows only: a table inside a cell (a history's field-by-field diff) keeps its own layout
  var heads = Array.prototype.map.call(table.querySelectorAll(':scope > thead > tr > th'), function (th) { return th.textContent.trim(); });
  table.querySelectorAll(':scope > tbody > tr, :scope > tr').forEach(function (tr) {
    if (tr.querySelector('td[colspan]')) { return; }
    Array.prototype.forEach.call(tr.children, function (td, i) {
      if (!td.hasAttribute('data-label') && heads[i]) { td.setAttribute('data-label', heads[i]); }
    });
  });
});
