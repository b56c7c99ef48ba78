// Confirm dangerous buttons (CSP forbids inline handlers, so we bind here).
document.addEventListener('click', function (ev) {
  var el = ev.target.closest('[data-confirm]');
  if (el && !window.confirm(el.getAttribute('data-confirm'))) { ev.preventDefault(); }
});
