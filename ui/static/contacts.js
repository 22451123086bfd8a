// smsgw console: the contacts import form. Choosing a file asks the server
// for a preview (POST /contacts/import/preview: the file's first rows and
// the columns it recognised); the user can change which column is which,
// and the choice goes with the import as JSON in the hidden "columns".
'use strict';

(function () {
  const form = document.getElementById('import-form');
  if (!form) return;
  const file = document.getElementById('i-file');
  const preview = document.getElementById('preview');
  const mapping = document.getElementById('mapping');
  const sample = document.getElementById('sample');
  const problem = document.getElementById('preview-error');
  const columns = document.getElementById('columns');
  const csrf = form.querySelector('input[name=csrf]').value;
  let selects = [];

  function cell(tag, text) {
    const el = document.createElement(tag);
    el.textContent = text;
    return el;
  }

  function show(p) {
    mapping.replaceChildren();
    sample.replaceChildren();
    selects = [];
    const width = Math.max(p.header ? p.header.length : 0, ...p.sample.map((r) => r.length));
    for (const f of p.fields) {
      const box = document.createElement('div');
      const label = cell('label', f.label);
      const sel = document.createElement('select');
      sel.id = 'map-' + f.field;
      sel.dataset.field = f.field;
      label.htmlFor = sel.id;
      sel.append(new Option('（无）', ''));
      for (let i = 0; i < width; i++) {
        const name = p.header && p.header[i] ? p.header[i] : '第' + (i + 1) + '列';
        sel.append(new Option(name, String(i), false, p.columns[f.field] === i));
      }
      box.append(label, sel);
      mapping.append(box);
      selects.push(sel);
    }
    if (p.header) {
      const tr = document.createElement('tr');
      for (const h of p.header) tr.append(cell('th', h));
      sample.append(tr);
    }
    for (const r of p.sample) {
      const tr = document.createElement('tr');
      for (const v of r) tr.append(cell('td', v));
      sample.append(tr);
    }
    document.getElementById('preview-rows').textContent = '共 ' + p.rows + ' 行，以下是前 ' + p.sample.length + ' 行';
    preview.hidden = false;
  }

  // The group list offers only the groups of the book (and department)
  // chosen, so a mismatch is not found after the upload.
  const book = document.getElementById('i-book');
  const dept = document.getElementById('i-dept');
  const group = document.getElementById('i-group');
  function fitGroups() {
    for (const o of group.options) {
      if (!o.value) continue;
      const fits = o.dataset.book === book.value && (book.value === 'personal' || o.dataset.dept === dept.value);
      o.hidden = !fits;
      o.disabled = !fits;
      if (!fits && o.selected) group.value = '';
    }
    dept.disabled = book.value === 'personal';
  }
  book.addEventListener('change', fitGroups);
  dept.addEventListener('change', fitGroups);
  fitGroups();

  file.addEventListener('change', async () => {
    problem.hidden = true;
    preview.hidden = true;
    columns.value = '';
    if (!file.files.length) return;
    const body = new FormData();
    body.append('file', file.files[0]);
    try {
      const resp = await fetch('/contacts/import/preview', { method: 'POST', body, headers: { 'X-CSRF-Token': csrf } });
      const p = await resp.json();
      if (!resp.ok) throw new Error(p.message || resp.statusText);
      show(p);
    } catch (e) {
      problem.textContent = '无法预览：' + e.message;
      problem.hidden = false;
    }
  });

  form.addEventListener('submit', () => {
    if (!selects.length) return;
    const chosen = {};
    for (const sel of selects) if (sel.value !== '') chosen[sel.dataset.field] = Number(sel.value);
    columns.value = JSON.stringify(chosen);
  });
})();
