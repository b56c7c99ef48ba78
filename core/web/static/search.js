// The shell's search box: results as one types (GET /search?format=json), arrows to move,
// Enter opens the chosen result (or the results page), Escape closes. No inline script (CSP).
(function () {
  var form = document.getElementById('shell-search');
  if (!form) { return; }
  var input = form.querySelector('input[name=q]');
  var menu = document.getElementById('shell-search-results');
  var min = parseInt(form.getAttribute('data-min') || '2', 10);
  var timer = null, seq = 0, active = -1;

  function items() { return menu.querySelectorAll('a.dropdown-item'); }

  function close() {
    menu.classList.remove('show');
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function highlight(index) {
    var links = items();
    if (!links.length) { return; }
    active = (index + links.length) % links.length;
    links.forEach(function (a, i) {
      a.classList.toggle('active', i === active);
      a.setAttribute('aria-selected', i === active ? 'true' : 'false');
    });
    input.setAttribute('aria-activedescendant', links[active].id);
    links[active].scrollIntoView({block: 'nearest'});
  }

  function render(data) {
    menu.textContent = '';
    var n = 0;
    data.groups.forEach(function (group) {
      var header = document.createElement('h6');
      header.className = 'dropdown-header';
      header.textContent = group.title;
      menu.appendChild(header);
      group.results.forEach(function (hit) {
        var a = document.createElement('a');
        a.className = 'dropdown-item';
        a.href = hit.url;
        a.id = 'shell-search-hit-' + (n++);
        a.setAttribute('role', 'option');
        a.textContent = hit.label;
        if (hit.detail) {
          var small = document.createElement('small');
          small.className = 'text-muted ms-2';
          small.textContent = hit.detail;
          a.appendChild(small);
        }
        menu.appendChild(a);
      });
    });
    active = -1;
    var show = n > 0;
    menu.classList.toggle('show', show);
    input.setAttribute('aria-expanded', show ? 'true' : 'false');
  }

  function ask() {
    var q = input.value.trim();
    if (q.length < min) { close(); return; }
    var mine = ++seq;
    fetch(form.action + '?format=json&q=' + encodeURIComponent(q), {credentials: 'same-origin',
      headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : {groups: []}; })
      .then(function (data) { if (mine === seq) { render(data); } })
      .catch(function () { close(); });
  }

  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  input.addEventListener('keydown', function (ev) {
    if (ev.key === 'ArrowDown') { ev.preventDefault(); highlight(active + 1); }
    else if (ev.key === 'ArrowUp') { ev.preventDefault(); highlight(active - 1); }
    else if (ev.key === 'Escape') { close(); }
    else if (ev.key === 'Enter' && active >= 0) {
      ev.preventDefault();
      window.location.href = items()[active].href;
    }
  });
  document.addEventListener('click', function (ev) { if (!form.contains(ev.target)) { close(); } });
}());
