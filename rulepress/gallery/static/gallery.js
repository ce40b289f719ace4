// The gallery's only script: search and filters on the index, the copy button on a template page.
// Search data comes from search-data.js (a script file: pages opened from disk cannot fetch).
'use strict';
(function () {
  const q = document.getElementById('q');
  if (q) {
    const index = new Map((window.RULEPRESS_SEARCH || []).map((item) => [item.id, item.text]));
    const kind = document.getElementById('kind');
    const trigger = document.getElementById('trigger');
    const category = document.getElementById('category');
    const status = document.getElementById('status');
    const empty = document.getElementById('empty');
    const apply = () => {
      const words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
      const shown = new Set();
      for (const card of document.querySelectorAll('.card')) {
        const text = index.get(card.dataset.id) || '';
        const ok = words.every((w) => text.includes(w)) &&
          (!kind.value || card.dataset.kind === kind.value) &&
          (!trigger.value || card.dataset.trigger === trigger.value) &&
          (!category.value || card.closest('.group').dataset.category === category.value);
        card.hidden = !ok;
        if (ok) shown.add(card.dataset.id);
      }
      for (const group of document.querySelectorAll('.group')) {
        group.hidden = !group.querySelector('.card:not([hidden])');
      }
      status.textContent = shown.size + ' template(s)';
      empty.hidden = shown.size !== 0;
    };
    document.getElementById('filters').addEventListener('submit', (event) => event.preventDefault());
    for (const control of [q, kind, trigger, category]) {
      control.addEventListener('input', apply);
      control.addEventListener('change', apply);
    }
    apply();
  }
  for (const button of document.querySelectorAll('button.copy')) {
    button.addEventListener('click', async () => {
      const text = document.getElementById(button.dataset.target).value;
      const said = button.parentElement.querySelector('.copied');
      try {
        await navigator.clipboard.writeText(text);
        said.textContent = 'Copied.';
      } catch (err) {
        const area = document.getElementById(button.dataset.target);
        area.select();
        said.textContent = document.execCommand('copy') ? 'Copied.' : 'Select the code and copy it.';
      }
    });
  }
})();
