// Forms: the error summary takes the focus, and lookups search as one types.
// CSP forbids inline scripts, so everything is bound here (see core.web.lookups).
(function () {
  'use strict';

  function focusErrorSummary() {
    var summary = document.querySelector('.form-error-summary');
    if (summary) { summary.focus(); }
  }

  function Lookup(box) {
    var idInput = box.querySelector('.lookup-id');
    var search = box.querySelector('.lookup-search');
    var list = box.querySelector('.lookup-listbox');
    var chosen = box.querySelector('.lookup-chosen');
    var url = box.getAttribute('data-lookup-url');
    var oid = idInput.id;
    var timer = null, pending = null, options = [], active = -1;

    // The id goes hidden; the visible input (now carrying the label's id) searches.
    idInput.id = oid + '-id';
    idInput.type = 'hidden';
    search.id = oid;
    search.required = idInput.required;
    idInput.required = false;
    search.hidden = false;
    chosen.textContent = box.getAttribute('data-lookup-detail') || '';

    function open(isOpen) {
      list.hidden = !isOpen;
      search.setAttribute('aria-expanded', isOpen ? 'true' : 'false');
      if (!isOpen) { setActive(-1); }
    }

    function setActive(index) {
      options.forEach(function (li, i) {
        li.setAttribute('aria-selected', i === index ? 'true' : 'false');
        li.classList.toggle('active', i === index);
      });
      active = index;
      if (index >= 0) {
        search.setAttribute('aria-activedescendant', options[index].id);
        options[index].scrollIntoView({block: 'nearest'});
      } else {
        search.removeAttribute('aria-activedescendant');
      }
    }

    function choose(index) {
      var li = options[index];
      if (!li) { return; }
      idInput.value = li.getAttribute('data-id');
      search.value = li.getAttribute('data-label');
      chosen.textContent = li.getAttribute('data-detail');
      open(false);
      idInput.dispatchEvent(new Event('change', {bubbles: true}));
    }

    function message(text) {
      list.textContent = '';
      options = [];
      var li = document.createElement('li');
      li.className = 'list-group-item text-muted lookup-message';
      li.setAttribute('role', 'option');
      li.setAttribute('aria-disabled', 'true');
      li.textContent = text;
      list.appendChild(li);
      open(true);
    }

    function show(results) {
      if (!results.length) { message(box.getAttribute('data-lookup-empty')); return; }
      list.textContent = '';
      options = results.map(function (r, i) {
        var li = document.createElement('li');
        li.id = oid + '-option-' + i;
        li.className = 'list-group-item list-group-item-action lookup-option';
        li.setAttribute('role', 'option');
        li.setAttribute('data-id', String(r.id));
        li.setAttribute('data-label', r.label);
        li.setAttribute('data-detail', r.detail || '');
        li.appendChild(document.createTextNode(r.label));
        if (r.detail) {
          var small = document.createElement('small');
          small.className = 'd-block text-muted';
          small.textContent = r.detail;
          li.appendChild(small);
        }
        // mousedown, not click: the input keeps the focus (no blur closing the list first)
        li.addEventListener('mousedown', function (ev) { ev.preventDefault(); choose(i); });
        list.appendChild(li);
        return li;
      });
      open(true);
      setActive(-1);
    }

    function fetchResults() {
      var q = search.value.trim();
      if (pending) { pending.abort(); }
      if (!q) { open(false); return; }
      pending = new AbortController();
      fetch(url + '?q=' + encodeURIComponent(q), {
        credentials: 'same-origin', headers: {'Accept': 'application/json'}, signal: pending.signal
      }).then(function (res) {
        return res.json().then(function (body) { return {ok: res.ok, body: body}; });
      }).then(function (answer) {
        if (answer.ok) { show(answer.body.results || []); }
        else { message(answer.body.error || box.getAttribute('data-lookup-failed')); }
      }).catch(function (err) {
        if (err.name !== 'AbortError') { message(box.getAttribute('data-lookup-failed')); }
      });
    }

    search.addEventListener('input', function () {
      idInput.value = '';  // typed text is not a choice until one is picked
      chosen.textContent = '';
      clearTimeout(timer);
      timer = setTimeout(fetchResults, 250);
    });

    search.addEventListener('keydown', function (ev) {
      var isOpen = !list.hidden && options.length > 0;
      if (ev.key === 'ArrowDown') {
        ev.preventDefault();
        if (!isOpen) { fetchResults(); return; }
        setActive((active + 1) % options.length);
      } else if (ev.key === 'ArrowUp') {
        if (!isOpen) { return; }
        ev.preventDefault();
        setActive(active <= 0 ? options.length - 1 : active - 1);
      } else if (ev.key === 'Enter') {
        if (!list.hidden) {
          ev.preventDefault();  // choosing, not submitting
          choose(active >= 0 ? active : (options.length === 1 ? 0 : -1));
        }
      } else if (ev.key === 'Escape') {
        if (!list.hidden) { ev.preventDefault(); open(false); }
      }
    });

    search.addEventListener('blur', function () { open(false); });
  }

  function init() {
    focusErrorSummary();
    Array.prototype.forEach.call(document.querySelectorAll('.mutuo-lookup[data-lookup-url]'), function (box) {
      if (box.getAttribute('data-lookup-url')) { Lookup(box); }
    });
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', init); } else { init(); }
})();
