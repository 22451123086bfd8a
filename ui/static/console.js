// smsgw console: the page behaviour, as files the Content-Security-Policy
// allows (script-src 'self': no inline script, no eval). Alpine is its CSP
// build, so templates use only the components registered here, by property
// and method name; server data comes in data-* attributes or a
// <script type="application/json"> block, which is read, never run.
'use strict';

// Forms that ask first (data-confirm="question?"), forms whose buttons are
// disabled once sent (data-once), and links back (data-back).
document.addEventListener('submit', (ev) => {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) {
    ev.preventDefault();
    return;
  }
  if (form.hasAttribute('data-once')) {
    for (const b of form.querySelectorAll('button')) b.disabled = true;
  }
});
document.addEventListener('click', (ev) => {
  const a = ev.target instanceof Element ? ev.target.closest('a[data-back]') : null;
  if (a && window.history.length > 1) {
    ev.preventDefault();
    window.history.back();
  }
});

// readJSON parses the <script type="application/json"> block with this id.
function readJSON(id) {
  const el = document.getElementById(id);
  if (!el) return null;
  try {
    return JSON.parse(el.textContent);
  } catch (e) {
    return null;
  }
}

// Numbers as the server reads them.
const mobileRE = /^1[3-9]\d{9}$/;
function splitNumbers(v) { return v.split(/[\s,;，；、\u3000]+/).filter(Boolean); }
function normNumber(n) { return n.replace(/^(\+86|0086|86(?=1\d{10}$))/, ''); }
function uniqueValid(v) {
  const seen = new Set(), out = [];
  for (const raw of splitNumbers(v)) {
    const n = normNumber(raw);
    if (mobileRE.test(n) && !seen.has(n)) { seen.add(n); out.push(n); }
  }
  return out;
}

document.addEventListener('alpine:init', () => {
  // toggle: a part shown and hidden by buttons (edit forms, confirmations).
  window.Alpine.data('toggle', () => ({
    open: false,
    flip() { this.open = !this.open; },
    show() { this.open = true; },
    hide() { this.open = false; },
  }));

  // sendForm is the send page: live counts, preview, uploads, confirmation,
  // and sending over 10,000 numbers in parts. Its data is #send-data.
  window.Alpine.data('sendForm', () => {
    const d = readJSON('send-data') || {};
    return {
      valid: 0, dups: 0, invalid: 0, chars: 0, segments: 0, unicode: false, text: '',
      templates: d.templates || [], signatures: d.signatures || [], csrf: d.csrf || '',
      kind: d.kind || 'free', tplID: d.templateID || '', sig: '', params: d.params || {},
      per: {}, perCount: 0, perJSON: '', perFirst: '',
      uploadState: '', bad: [], badCount: 0,
      progress: '', progressPct: 0,
      bookTotal: -1, bookNote: '', bookAsked: 0, contactHits: [], picked: d.picked || [], contactAsked: 0, tallyKey: '', tallyTimer: 0,
      mode: d.mode === 'scheduled' ? 'scheduled' : 'now', sendAt: d.sendAt || '', confirming: false, sending: false,
      balance: null, unmetered: false, balanceAsked: 0,

      init() { this.$nextTick(() => this.count()); },

      // What the attributes read.
      get isFree() { return this.kind === 'free'; },
      get isTemplate() { return this.kind === 'template'; },
      get scheduled() { return this.mode === 'scheduled'; },
      get hasJunk() { return this.dups + this.invalid > 0; },
      get hasBad() { return this.bad.length > 0; },
      get tplContent() { const t = this.tpl(); return t ? t.content : ''; },
      get tplVars() { const t = this.tpl(); return t && !this.perCount ? (t.vars || []) : []; },
      get perValue() { return this.perCount ? this.perJSON : ''; },
      get rule() { return this.unicode ? '70/67' : '160/153'; },
      // With groups ticked, the server's count (after repeats and the blacklist); else the typed numbers.
      get sendCount() { return this.bookTotal >= 0 ? this.bookTotal : this.valid; },
      get cannotSend() { return this.sendCount === 0 || this.chars === 0 || this.sending || (this.isTemplate && !this.tpl()); },
      get preview() { return this.$refs.content ? this.text : ''; },
      get total() { return this.sendCount * this.segments; },
      get sendAtText() { return this.sendAt.replace('T', ' '); },
      get progressStyle() { return {width: this.progressPct + '%'}; },
      bracket(g) { return '【' + g + '】'; },
      paramID(v) { return 'param_' + v; },
      varLabel(v) { return '变量 ' + v; },
      param(v) { return this.params[v] || ''; },
      setParam(ev) { this.params[ev.target.dataset.var] = ev.target.value; this.count(); },
      // askConfirm opens the confirmation and asks the server for the
      // balance now, so the dialog shows what the send leaves.
      askConfirm() {
        this.confirming = true;
        const ask = ++this.balanceAsked;
        fetch('/account/balance')
          .then((r) => r.json().then((ans) => ({ok: r.ok, ans: ans})))
          .then(({ok, ans}) => {
            if (ask !== this.balanceAsked || !ok) return;
            this.unmetered = ans.unmetered;
            this.balance = ans.balance;
          })
          .catch(() => {});
      },
      get balanceKnown() { return this.balanceAsked > 0 && (this.unmetered || this.balance !== null); },
      get balanceAfter() { return this.unmetered ? '不限额' : (this.balance - this.total) + ' 条'; },
      get balanceShort() { return !this.unmetered && this.balance !== null && this.balance < this.total; },
      cancelConfirm() { this.confirming = false; },

      tpl() { return this.templates.find((t) => t.id === this.tplID) || this.templates[0]; },
      clearPer() { this.per = {}; this.perCount = 0; this.perJSON = ''; this.count(); },
      // The text as the server will make it; the default signature shows as 【签名】.
      body() {
        if (this.kind !== 'template') return this.$refs.content ? this.$refs.content.value.trim() : '';
        const t = this.tpl();
        if (!t) return '';
        const values = this.perCount ? (this.per[this.perFirst] || {}) : this.params;
        return '【' + (this.sig || (this.signatures.length === 1 ? this.signatures[0] : '签名')) + '】' +
          t.content.replace(/\$\{(\w+)\}/g, (m, v) => values[v] || m);
      },
      count() {
        const seen = new Set();
        let dups = 0, invalid = 0;
        for (const raw of splitNumbers(this.$refs.numbers.value)) {
          const n = normNumber(raw);
          if (!mobileRE.test(n)) { invalid++; continue; }
          if (seen.has(n)) { dups++; continue; }
          seen.add(n);
        }
        this.valid = seen.size; this.dups = dups; this.invalid = invalid;
        this.tallyLater();
        if (!this.tplID && this.templates.length) this.tplID = this.templates[0].id;
        this.text = this.body();
        this.unicode = /[^\x20-\x7e\n\r]/.test(this.text);
        const units = this.text.length; // UTF-16 units, as the server counts
        this.chars = units;
        const one = this.unicode ? 70 : 160, part = this.unicode ? 67 : 153;
        this.segments = units === 0 ? 0 : units <= one ? 1 : Math.ceil(units / part);
      },
      // tallyLater asks for a new tally once typing pauses, and only when the
      // numbers or the address-book choices changed since the last one.
      tallyLater() {
        const form = this.$el.closest('form') || document.getElementById('send-form');
        const ticked = form ? [...form.querySelectorAll('input[name=group_ids]:checked')].map((t) => t.value) : [];
        const key = this.$refs.numbers.value + '|' + ticked.join(',') + '|' + this.picked.map((c) => c.id).join(',');
        if (key === this.tallyKey) return;
        this.tallyKey = key;
        clearTimeout(this.tallyTimer);
        if (!ticked.length && !this.picked.length) { this.tallyBooks(); return; }
        this.tallyTimer = setTimeout(() => this.tallyBooks(), 400);
      },
      // tallyBooks asks the server what the ticked address-book groups add
      // to the typed numbers (after removing repeats and blacklisted
      // numbers, by the send policy's own rules); the last answer wins.
      tallyBooks() {
        const form = this.$el.closest('form') || document.getElementById('send-form');
        const ticked = form ? [...form.querySelectorAll('input[name=group_ids]:checked')] : [];
        const ask = ++this.bookAsked;
        if (!ticked.length && !this.picked.length) { this.bookTotal = -1; this.bookNote = ''; return; }
        const body = new FormData();
        body.append('numbers', this.$refs.numbers.value);
        for (const t of ticked) body.append('group_ids', t.value);
        for (const c of this.picked) body.append('contact_ids', c.id);
        this.bookNote = '正在统计通讯录号码 …';
        fetch('/send/recipients', {method: 'POST', body: body, headers: {'X-CSRF-Token': this.csrf}})
          .then((r) => r.json().then((ans) => ({ok: r.ok, ans: ans})))
          .then(({ok, ans}) => {
            if (ask !== this.bookAsked) return;
            if (!ok) { this.bookTotal = -1; this.bookNote = ans.message || '无法统计通讯录号码'; return; }
            this.bookTotal = ans.sendable;
            this.bookNote = '所选分组和联系人增加 ' + ans.from_books + ' 个号码（已与输入的号码去重）；合计可发送 ' + ans.sendable + ' 个' +
              (ans.blacklisted ? '，另有 ' + ans.blacklisted + ' 个在黑名单中不会发送' : '') + '。';
          })
          .catch(() => { if (ask === this.bookAsked) this.bookNote = '无法统计通讯录号码：网络错误'; });
      },
      // findContacts searches the address books the user sees (GET /contacts/search).
      findContacts() {
        const q = this.$refs.contactQ.value.trim();
        const ask = ++this.contactAsked;
        if (!q) { this.contactHits = []; return; }
        fetch('/contacts/search?limit=20&q=' + encodeURIComponent(q))
          .then((r) => r.json().then((ans) => ({ok: r.ok, ans: ans})))
          .then(({ok, ans}) => {
            if (ask !== this.contactAsked || !ok) return;
            this.contactHits = ans.items.map((c) => ({id: c.id, label: c.name + ' ' + c.phone + (c.blacklisted ? '（黑名单）' : '')}));
          })
          .catch(() => {});
      },
      addContact(ev) {
        const c = this.contactHits.find((h) => h.id === ev.target.dataset.id);
        if (c && !this.picked.some((p) => p.id === c.id)) this.picked.push(c);
        this.count();
      },
      dropContact(ev) {
        this.picked = this.picked.filter((p) => p.id !== ev.target.dataset.id);
        this.count();
      },
      clean() {
        this.$refs.numbers.value = uniqueValid(this.$refs.numbers.value).join('\n');
        this.count();
      },
      upload(ev) {
        const file = ev.target.files[0];
        if (!file) return;
        this.uploadState = '正在上传 ' + file.name + ' …'; this.bad = []; this.badCount = 0;
        const body = new FormData(); body.append('file', file);
        const xhr = new XMLHttpRequest();
        xhr.open('POST', '/send/upload');
        xhr.setRequestHeader('X-CSRF-Token', this.csrf);
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable) this.uploadState = '正在上传 ' + file.name + '：' + Math.round(100 * e.loaded / e.total) + '%';
        };
        xhr.upload.onload = () => { this.uploadState = '已上传，正在检查号码 …'; };
        xhr.onerror = () => { this.uploadState = '上传失败：网络错误'; };
        xhr.onload = () => {
          let ans = {};
          try { ans = JSON.parse(xhr.responseText); } catch (e) { /* not JSON: the status says it */ }
          if (xhr.status !== 200) { this.uploadState = ans.message || ('上传失败：HTTP ' + xhr.status); return; }
          this.$refs.numbers.value = ans.numbers.join('\n');
          this.bad = ans.bad; this.badCount = ans.bad_count;
          this.uploadState = '已读入 ' + ans.numbers.length + ' 个号码，去除重复 ' + ans.duplicates + ' 个，无效 ' + ans.bad_count + ' 行。';
          this.count();
        };
        xhr.send(body);
        ev.target.value = '';
      },
      uploadParams(ev) {
        const file = ev.target.files[0];
        if (!file || !this.tpl()) return;
        this.uploadState = '正在上传 ' + file.name + ' …'; this.bad = []; this.badCount = 0;
        const body = new FormData(); body.append('file', file); body.append('template_id', this.tpl().id);
        fetch('/send/upload-params', {method: 'POST', body: body, headers: {'X-CSRF-Token': this.csrf}})
          .then((r) => r.json().then((ans) => ({ok: r.ok, ans: ans})))
          .then(({ok, ans}) => {
            if (!ok) { this.uploadState = ans.message || '上传失败'; return; }
            this.$refs.numbers.value = ans.numbers.join('\n');
            this.per = ans.params; this.perCount = ans.numbers.length; this.perJSON = JSON.stringify(ans.params);
            this.perFirst = ans.numbers[0];
            this.bad = ans.bad; this.badCount = ans.bad_count;
            this.uploadState = '已读入 ' + ans.numbers.length + ' 个号码及其变量，去除重复 ' + ans.duplicates + ' 个，无效 ' + ans.bad_count + ' 行。';
            this.count();
          })
          .catch(() => { this.uploadState = '上传失败：网络错误'; });
        ev.target.value = '';
      },
      // Over 10,000 numbers go as batches of 10,000, one call each, with progress.
      async submitAll(ev) {
        const form = ev.target;
        this.sending = true;
        const nums = uniqueValid(this.$refs.numbers.value);
        if (nums.length <= 10000) { HTMLFormElement.prototype.submit.call(form); return; } // (a button is called submit)
        const all = new FormData(form);
        const chunks = Math.ceil(nums.length / 10000);
        for (let i = 0; i < chunks; i++) {
          const part = new FormData();
          // The address-book groups and contacts go with the first part only, so no number is sent twice.
          for (const [k, v] of all.entries()) if (k !== 'numbers' && k !== 'token' && (i === 0 || (k !== 'group_ids' && k !== 'contact_ids'))) part.append(k, v);
          part.append('token', all.get('token') + '-' + i);
          part.append('numbers', nums.slice(i * 10000, (i + 1) * 10000).join('\n'));
          this.progress = '正在提交第 ' + (i + 1) + ' / ' + chunks + ' 批 …';
          const resp = await fetch('/send', {method: 'POST', body: part, redirect: 'manual'});
          if (resp.type !== 'opaqueredirect' && !resp.redirected && !resp.ok) {
            this.progress = '第 ' + (i + 1) + ' 批提交失败（HTTP ' + resp.status + '），前 ' + i + ' 批已提交，请到发送记录查看。';
            this.sending = false;
            return;
          }
          this.progressPct = Math.round(100 * (i + 1) / chunks);
        }
        this.progress = '全部 ' + chunks + ' 批已提交。';
        window.location = '/records';
      },
    };
  });
});
