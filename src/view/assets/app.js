// The page of `pipeline view` (and of `pipeline status --html`). Plain browser JavaScript, no
// build step: it renders the server's snapshot (src/view/snapshot.ts), live through server-sent
// events, or the snapshot embedded in a self-contained file. All text goes in through textContent,
// never as HTML.
(() => {
  'use strict';

  const embedded = window.PIPELINE_SNAPSHOT;
  const live = embedded === undefined;
  const PAGE_SIZE = 25;
  const DAY = 24 * 3600 * 1000;
  const STATE_LABEL = { 'up-to-date': 'up to date', 'missing-input': 'missing input' };

  const state = { snapshot: undefined, clockOffset: 0, tab: 'overview', expanded: new Set(), rows: { target: '', from: 0, back: [], search: '', problems: false, seen: '' } };
  const $ = (id) => document.getElementById(id);

  // ---- small helpers -------------------------------------------------------------------------

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = value;
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else el.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) el.append(child instanceof Node ? child : String(child));
    return el;
  }

  function svg(tag, attrs, ...children) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [key, value] of Object.entries(attrs || {})) if (value !== undefined) el.setAttribute(key, String(value));
    for (const child of children.flat()) if (child) el.append(child);
    return el;
  }

  const int = (n) => Math.round(n).toLocaleString('en-US');
  const usd = (n) => (n === undefined ? '' : n > 0 && n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);
  const now = () => Date.now() - state.clockOffset;

  function duration(ms) {
    const s = Math.max(0, ms) / 1000;
    if (s < 60) return `${s.toFixed(0)}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
    return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
  }

  const clock = (t) => new Date(t).toLocaleTimeString('en-GB', { hour12: false });
  const stateText = (t) => (t.state === 'pending' && t.remoteState ? t.remoteState.replace('_', ' ') : STATE_LABEL[t.state] || t.state);
  const pill = (t) => h('span', { class: `pill st-${t.state}`, text: stateText(t) });

  function bar(fraction, cls) {
    const inner = h('span', { class: `fill ${cls || ''}` });
    inner.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
    return h('span', { class: 'bar' }, inner);
  }

  function middleEllipsis(text, max) {
    if (text.length <= max) return text;
    const keep = max - 1;
    return `${text.slice(0, Math.ceil(keep / 2))}…${text.slice(text.length - Math.floor(keep / 2))}`;
  }

  // ---- header and totals ---------------------------------------------------------------------

  function renderHeader(s) {
    $('root').textContent = s.root;
    const where = live ? (s.build ? `live · a build is running: ${s.build}` : `live · ${s.source.kind === 'files' ? 'from the files' : `refreshed from the ${s.source.kind === 'api' ? 'Batch API' : 'emulator'}`}`) : 'snapshot';
    $('live').textContent = `${where} · ${clock(s.generatedAt)}`;
    $('live').className = `live ${live ? 'on' : ''}`;
    $('note').hidden = !s.source.note;
    $('note').textContent = s.source.note || '';
  }

  function renderTotals(s) {
    const t = s.totals;
    const chips = Object.entries(t.byState).map(([st, n]) => h('span', { class: `pill st-${st}`, text: `${n} ${STATE_LABEL[st] || st}` }));
    const card = (key, label, value, sub) => h('div', { class: 'card', dataset: { total: key } }, h('div', { class: 'label', text: label }), h('div', { class: 'value' }, value), sub ? h('div', { class: 'sub' }, sub) : null);
    const r = t.requests;
    $('totals').replaceChildren(
      card('targets', 'Targets', int(t.targets), chips),
      card('requests', 'Requests answered', r.total ? `${int(r.done)} / ${int(r.total)}` : '—', r.total ? [bar(r.done / r.total), r.failed ? h('span', { class: 'bad', text: ` ${int(r.failed)} failed` }) : null] : null),
      card('tokens', 'Tokens', int(t.tokens.input + t.tokens.output), `${int(t.tokens.input)} in · ${int(t.tokens.output)} out`),
      card('spent', 'Spent', usd(t.spentUsd), 'batch price'),
      card('expected', 'Still expected', t.estimating && !t.expectedUsd ? 'estimating…' : usd(t.expectedUsd), 'not sent yet + in flight'),
      card('age', 'Oldest batch', t.oldestInFlightSince ? h('span', { class: 'age', dataset: { since: t.oldestInFlightSince } }) : '—', 'of the 24 h window'),
    );
    updateAges();
  }

  function updateAges() {
    for (const el of document.querySelectorAll('[data-since]')) {
      const age = now() - Number(el.dataset.since);
      el.textContent = `${duration(age)} / 24h`;
      el.classList.toggle('late', age > 0.75 * DAY);
    }
  }

  // ---- overview ------------------------------------------------------------------------------

  function renderOverview(s) {
    const rows = s.targets.map((t) => {
      const p = t.progress;
      const tokens = t.usage ? t.usage.input + t.usage.output : undefined;
      const why = [];
      if (t.state !== 'up-to-date') why.push(h('span', { class: t.failure ? 'bad' : '', text: t.failure ? t.failure.message : t.reasons[0] || '' }));
      const details = [...((t.failure && t.failure.details) || []), ...(t.remoteFailures || [])];
      if (details.length > 0) {
        const box = h('details', { open: state.expanded.has(t.target), ontoggle: (e) => (e.target.open ? state.expanded.add(t.target) : state.expanded.delete(t.target)) }, h('summary', { text: `${details.length} detail${details.length > 1 ? 's' : ''}` }), h('ul', {}, details.map((d) => h('li', { text: d }))));
        why.push(box);
      }
      return h(
        'tr',
        { dataset: { target: t.target, state: t.state } },
        h('td', { class: 'target' }, h('span', { text: t.target, title: t.target }), t.rows && live ? h('a', { class: 'rows-link', href: `#rows:${encodeURIComponent(t.target)}`, text: 'rows' }) : null),
        h('td', { text: t.rule }),
        h('td', { class: 'state' }, pill(t)),
        h('td', { class: 'progress' }, p ? [bar(p.total ? p.done / p.total : 0, p.failed ? 'some-failed' : ''), h('span', { class: 'progress-text', text: `${int(p.done)}/${int(p.total)}${p.failed ? ` · ${int(p.failed)} failed` : ''}` })] : null),
        // Nothing is known of a batch's tokens before its results are in: blank, not a misleading 0.
        h('td', { class: 'num', title: t.usage ? `${int(t.usage.input)} in · ${int(t.usage.output)} out` : undefined, text: tokens === undefined || (tokens === 0 && t.state !== 'up-to-date') ? '' : int(tokens) }),
        h('td', { class: 'num spent', text: usd(t.spentUsd) }),
        h('td', { class: 'num expected', text: t.remote && t.expectedUsd === undefined && s.totals.estimating ? '…' : usd(t.expectedUsd) }),
        h('td', { class: 'num' }, t.inFlightSince ? h('span', { class: 'age', dataset: { since: t.inFlightSince } }) : null),
        h('td', { class: 'why' }, why),
      );
    });
    const head = ['Target', 'Rule', 'State', 'Progress', 'Tokens', 'Spent', 'Expected', 'Age', 'Why'].map((c) => h('th', { text: c }));
    $('tab-overview').replaceChildren(h('table', { class: 'grid overview' }, h('thead', {}, h('tr', {}, head)), h('tbody', {}, rows)));
    updateAges();
  }

  // ---- graph ---------------------------------------------------------------------------------

  function renderGraph(s) {
    const g = s.graph;
    const ROW = 30;
    const BOX = 22;
    const TOP = 30;
    const GAP = 50;
    const CHAR = 7; // width of a character of the 11.5px monospace labels
    const columns = [];
    for (const n of g.nodes) (columns[n.layer] = columns[n.layer] || []).push(n);
    const widths = columns.map((c) => Math.min(460, 16 + CHAR * Math.max(...c.map((n) => n.id.length))));
    const lefts = widths.map((_, i) => 10 + widths.slice(0, i).reduce((sum, w) => sum + w + GAP, 0));
    const rows = Math.max(1, ...g.nodes.map((n) => n.row + 1));
    const at = new Map(g.nodes.map((n) => [n.id, { x: lefts[n.layer], y: TOP + n.row * ROW, w: widths[n.layer] }]));
    const edges = g.edges.map((e) => {
      const a = at.get(e.from);
      const b = at.get(e.to);
      const x1 = a.x + a.w;
      const y1 = a.y + BOX / 2;
      const x2 = b.x;
      const y2 = b.y + BOX / 2;
      const mid = (x1 + x2) / 2;
      return svg('path', { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`, class: 'edge' }, svg('title', {}, document.createTextNode(e.rule)));
    });
    const heads = columns.map((c, i) => {
      const rules = [...new Set(c.map((n) => (n.source ? 'source files' : `rule ${n.rule}`)))].join(', ');
      return svg('text', { x: lefts[i], y: 16, class: 'colhead' }, document.createTextNode(rules));
    });
    const nodes = g.nodes.map((n) => {
      const p = at.get(n.id);
      const fits = Math.floor((p.w - 16) / CHAR);
      const box = svg('g', { class: `node ${n.source ? 'source' : `st-${n.state || 'none'}`}`, transform: `translate(${p.x},${p.y})`, 'data-node': n.id },
        svg('title', {}, document.createTextNode(`${n.id}${n.state ? ` — rule ${n.rule}, ${STATE_LABEL[n.state] || n.state}` : ' — source file'}`)),
        svg('rect', { width: p.w, height: BOX, rx: 4 }),
        svg('text', { x: 8, y: 15 }, document.createTextNode(middleEllipsis(n.id, fits))));
      const target = s.targets.find((t) => t.target === n.id);
      if (target && target.rows && live) {
        box.classList.add('link');
        box.addEventListener('click', () => (location.hash = `#rows:${encodeURIComponent(n.id)}`));
      }
      return box;
    });
    const legend = h('p', { class: 'legend' }, ['up-to-date', 'pending', 'queued', 'waiting', 'stale', 'failed'].map((st) => h('span', { class: `pill st-${st}`, text: STATE_LABEL[st] || st })), h('span', { class: 'pill source', text: 'source file' }));
    const width = lefts.length ? lefts[lefts.length - 1] + widths[widths.length - 1] + 10 : 100;
    const picture = svg('svg', { width, height: TOP + rows * ROW, class: 'graph' }, heads, edges, nodes);
    $('tab-graph').replaceChildren(legend, g.omitted ? h('p', { class: 'note', text: `${int(g.omitted)} more files not drawn` }) : '', h('div', { class: 'scroll' }, picture));
  }

  // ---- money and time ------------------------------------------------------------------------

  function barChart(title, groups, parts, format) {
    const max = Math.max(1e-12, ...groups.map((g) => parts.reduce((sum, p) => sum + g[p.key], 0)));
    const legend = h('p', { class: 'legend' }, parts.map((p) => h('span', { class: `swatch ${p.cls}`, text: p.label })));
    const rows = groups.map((g) =>
      h('div', { class: 'hbar' }, h('span', { class: 'hlabel', text: g.group, title: g.group }),
        h('span', { class: 'htrack' }, parts.map((p) => {
          const seg = h('span', { class: `hseg ${p.cls}`, title: `${p.label}: ${format(g[p.key])}` });
          seg.style.width = `${(g[p.key] / max) * 100}%`;
          return seg;
        })),
        h('span', { class: 'hvalue', text: parts.map((p) => format(g[p.key])).join(' + ') })));
    return h('div', { class: 'chart' }, h('h2', { text: title }), legend, groups.length ? rows : h('p', { class: 'muted', text: 'nothing yet' }));
  }

  function timeChart(points) {
    const box = h('div', { class: 'chart' }, h('h2', { text: 'Requests answered over time' }));
    if (points.length === 0) {
      box.append(h('p', { class: 'muted', text: 'no request answered yet' }));
      return box;
    }
    const data = points.slice();
    const last = data[data.length - 1];
    if (live && now() > last[0]) data.push([now(), last[1]]);
    const W = 760;
    const H = 220;
    const L = 60;
    const R = 40;
    const B = 28;
    const t0 = data[0][0];
    const t1 = Math.max(t0 + 1000, data[data.length - 1][0]);
    const ymax = Math.max(1, ...data.map((p) => p[1]));
    const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
    const y = (v) => H - B - (v / ymax) * (H - B - 10);
    let d = `M${x(data[0][0])},${y(0)} L${x(data[0][0])},${y(data[0][1])}`;
    for (let i = 1; i < data.length; i++) d += ` L${x(data[i][0])},${y(data[i - 1][1])} L${x(data[i][0])},${y(data[i][1])}`;
    const ticks = [];
    for (let i = 0; i <= 4; i++) {
      const t = t0 + ((t1 - t0) * i) / 4;
      const v = (ymax * i) / 4;
      ticks.push(svg('text', { x: x(t), y: H - 8, 'text-anchor': 'middle', class: 'tick' }, document.createTextNode(clock(t))));
      ticks.push(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, document.createTextNode(int(v))));
      ticks.push(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'gridline' }));
    }
    box.append(svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'timeline' }, ticks, svg('path', { d, class: 'line' })));
    box.append(h('p', { class: 'muted', text: `${int(last[1])} answered by ${clock(last[0])}` }));
    return box;
  }

  function renderMoney(s) {
    $('tab-money').replaceChildren(
      h('div', { class: 'charts' },
        barChart('Dollars per subject', s.money, [{ key: 'spentUsd', label: 'spent', cls: 'c-spent' }, { key: 'expectedUsd', label: 'still expected', cls: 'c-expected' }], usd),
        barChart('Tokens per subject', s.money, [{ key: 'input', label: 'input', cls: 'c-input' }, { key: 'output', label: 'output', cls: 'c-output' }], int),
        timeChart(s.timeline.points)),
    );
  }

  // ---- rows ----------------------------------------------------------------------------------

  function renderRowTargets(s) {
    const select = $('rows-target');
    const targets = s.targets.filter((t) => t.rows);
    const key = targets.map((t) => `${t.target}:${t.state}`).join('|');
    if (select.dataset.key === key) return;
    select.dataset.key = key;
    select.replaceChildren(...targets.map((t) => h('option', { value: t.target, text: `${t.target} — ${stateText(t)}` })));
    if (state.rows.target) select.value = state.rows.target;
    // A target whose state changed (merged, failed) has other rows now.
    const current = targets.find((t) => t.target === state.rows.target);
    const seen = current ? `${current.state}:${current.builtAt || ''}` : '';
    if (state.tab === 'rows' && state.rows.target && seen !== state.rows.seen) loadRows();
  }

  async function loadRows() {
    const r = state.rows;
    if (!live) {
      $('rows-head').replaceChildren(h('p', { class: 'note', text: 'Rows are read from the files by `pipeline view`; this saved page holds the overview only.' }));
      return;
    }
    if (!r.target) return;
    const t = state.snapshot && state.snapshot.targets.find((x) => x.target === r.target);
    r.seen = t ? `${t.state}:${t.builtAt || ''}` : '';
    const query = new URLSearchParams({ target: r.target, from: String(r.from), limit: String(PAGE_SIZE) });
    if (r.search) query.set('q', r.search);
    if (r.problems) query.set('problems', '1');
    const asked = query.toString();
    r.asked = asked;
    $('rows-range').textContent = 'loading…';
    let page;
    try {
      const res = await fetch(`/api/rows?${asked}`);
      page = await res.json();
      if (!res.ok) throw new Error(page.error || res.statusText);
    } catch (error) {
      if (r.asked === asked) $('rows-head').replaceChildren(h('p', { class: 'bad', text: `cannot read rows: ${error.message}` }));
      return;
    }
    if (r.asked !== asked) return; // a later request has been made meanwhile
    renderRows(page);
  }

  function segments(list, cls) {
    return list.map(([changed, text]) => (changed ? h('mark', { class: cls, text }) : text));
  }

  function renderRows(page) {
    const r = state.rows;
    const f = page.fields;
    const filtered = r.search || r.problems;
    const end = page.next === undefined ? page.total : page.next;
    const of = page.total === undefined ? '' : ` of ${int(page.total)}`;
    $('rows-range').textContent = filtered ? `searched lines ${int(page.from + 1)}–${int(end || page.from + page.scanned)}${of} · ${page.rows.length} found` : page.rows.length ? `lines ${int(page.rows[0].line)}–${int(page.rows[page.rows.length - 1].line)}${of}` : `no rows${of}`;
    $('rows-prev').disabled = r.back.length === 0;
    $('rows-next').disabled = page.next === undefined;
    r.next = page.next;
    const compare = f.sourceFields.length ? `comparing ${f.sourceFields.join(', ')} with ${f.outputField}` : `no prompt fields found: showing every field beside ${f.outputField}`;
    const head = [h('p', { class: 'muted', text: `${page.file} · ${compare} · tokens from ${page.mode === 'merged' ? f.tokensField : 'the raw results'} · click a row to show its whole texts` })];
    if (page.note) head.push(h('p', { class: 'note', text: page.note }));
    if (page.failure) {
      head.push(h('div', { class: 'failure' }, h('strong', { text: page.failure.message }), page.failure.details ? h('ul', {}, page.failure.details.map((d) => h('li', { text: d }))) : null));
    }
    $('rows-head').replaceChildren(...head);
    const body = page.rows.map((row) => {
      const source = row.source.map((s, i) => h('div', { class: 'field' }, row.source.length > 1 ? h('span', { class: 'fname', text: s.field }) : null, i === 0 && row.diff ? segments(row.diff.source, 'del') : s.text));
      let answer = null;
      if (row.answer && row.answer.fields) answer = h('dl', { class: 'fields' }, Object.entries(row.answer.fields).map(([k, v]) => [h('dt', { text: k }), h('dd', { text: typeof v === 'string' ? v : JSON.stringify(v) })]));
      else if (row.answer) answer = h('div', { class: 'field' }, row.diff ? segments(row.diff.answer, 'ins') : row.answer.text);
      const other = Object.keys(row.other).length ? h('details', { class: 'other' }, h('summary', { text: 'fields' }), h('pre', { text: JSON.stringify(row.other, null, 1) })) : null;
      const status = row.status === 'answered' ? h('span', { class: 'ok', text: row.diff ? `✓ ${Math.round(row.diff.kept * 100)}% kept` : '✓' }) : h('span', { class: 'bad reason', text: `✗ ${row.status}: ${row.reason || ''}` });
      return h('tr', { class: `row ${row.status}`, dataset: { line: row.line, id: row.id || '' }, onclick: (e) => { if (!e.target.closest('details')) e.currentTarget.classList.toggle('open'); } },
        h('td', { class: 'num' }, h('div', { text: String(row.line) }), h('div', { class: 'muted', text: row.id || '' }), other),
        h('td', { class: 'text' }, source),
        h('td', { class: 'text' }, answer, row.status !== 'answered' ? status : null),
        h('td', { class: 'num', title: row.usage ? `${int(row.usage.input)} in · ${int(row.usage.output)} out` : undefined, text: row.usage ? int(row.usage.total) : '' }),
        h('td', {}, row.status === 'answered' ? status : h('span', { class: 'bad', text: '✗' })));
    });
    const headers = ['Line / id', f.sourceFields.length ? f.sourceFields.join(', ') : 'record', f.outputField, 'Tokens', ''].map((c) => h('th', { text: c }));
    $('rows-body').replaceChildren(h('table', { class: 'grid rows' }, h('thead', {}, h('tr', {}, headers)), h('tbody', {}, body)));
  }

  function wireRows() {
    let timer;
    $('rows-target').addEventListener('change', (e) => (location.hash = `#rows:${encodeURIComponent(e.target.value)}`));
    $('rows-search').addEventListener('input', (e) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        Object.assign(state.rows, { search: e.target.value, from: 0, back: [] });
        loadRows();
      }, 300);
    });
    $('rows-problems').addEventListener('change', (e) => {
      Object.assign(state.rows, { problems: e.target.checked, from: 0, back: [] });
      loadRows();
    });
    $('rows-next').addEventListener('click', () => {
      if (state.rows.next === undefined) return;
      state.rows.back.push(state.rows.from);
      state.rows.from = state.rows.next;
      loadRows();
    });
    $('rows-prev').addEventListener('click', () => {
      if (state.rows.back.length === 0) return;
      state.rows.from = state.rows.back.pop();
      loadRows();
    });
  }

  // ---- tabs, live updates --------------------------------------------------------------------

  function showTab() {
    const hash = decodeURIComponent(location.hash.slice(1));
    const [tab, target] = hash.startsWith('rows:') ? ['rows', hash.slice(5)] : [hash || 'overview'];
    state.tab = ['overview', 'graph', 'money', 'rows'].includes(tab) ? tab : 'overview';
    for (const a of document.querySelectorAll('.tabs a')) a.classList.toggle('active', a.dataset.tab === state.tab);
    for (const name of ['overview', 'graph', 'money', 'rows']) $(`tab-${name}`).hidden = name !== state.tab;
    if (state.tab !== 'rows') return renderTab();
    const first = state.snapshot && state.snapshot.targets.find((t) => t.rows);
    const chosen = target || state.rows.target || (first && first.target) || '';
    if (chosen !== state.rows.target || !state.rows.seen) Object.assign(state.rows, { target: chosen, from: 0, back: [] });
    $('rows-target').value = chosen;
    loadRows();
  }

  /** Only the tab on screen is drawn (a graph of a thousand files is not redrawn unseen). */
  function renderTab() {
    const s = state.snapshot;
    if (!s) return;
    if (state.tab === 'overview') renderOverview(s);
    else if (state.tab === 'graph') renderGraph(s);
    else if (state.tab === 'money') renderMoney(s);
  }

  function render(s) {
    state.snapshot = s;
    if (live) state.clockOffset = Date.now() - s.generatedAt;
    renderHeader(s);
    renderTotals(s);
    renderTab();
    renderRowTargets(s);
    if (state.tab === 'rows' && !state.rows.target) showTab();
    document.body.dataset.generatedAt = String(s.generatedAt);
  }

  function connect() {
    const events = new EventSource('/api/events');
    events.addEventListener('snapshot', (e) => render(JSON.parse(e.data)));
    events.addEventListener('error', () => {
      $('live').textContent = 'disconnected — retrying…';
      $('live').className = 'live off';
    });
  }

  window.addEventListener('hashchange', showTab);
  wireRows();
  if (live) {
    connect();
    setInterval(() => {
      updateAges();
      if (state.tab === 'money' && state.snapshot) renderMoney(state.snapshot);
    }, 1000);
  } else {
    render(embedded);
    document.querySelector('.tabs a[data-tab="rows"]').hidden = true;
  }
  showTab();
})();
