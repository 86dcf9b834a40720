// pipeline view: the rows of a merged target, paged and searchable, fetched from the server.
(() => {
  'use strict';
  const { live, state, $, h, int, stateText } = window.pipelineView;

  const PAGE_SIZE = 25;

  function renderRowTargets(s) {
    const select = $('rows-target');
    const targets = s.targets.filter((t) => t.rows);
    const key = targets.map((t) => `${t.target}:${t.state}`).join('|');
    if (select.dataset.key === key) return;
    select.dataset.key = key;
    select.replaceChildren(
      ...targets.map((t) => h('option', { value: t.target, text: `${t.target} — ${stateText(t)}` })),
    );
    if (state.rows.target) select.value = state.rows.target;
    // A target whose state changed (merged, failed) has other rows now.
    const current = targets.find((t) => t.target === state.rows.target);
    const seen = current ? `${current.state}:${current.builtAt || ''}` : '';
    if (state.tab === 'rows' && state.rows.target && seen !== state.rows.seen) loadRows();
  }

  async function loadRows() {
    const r = state.rows;
    if (!live) {
      $('rows-head').replaceChildren(
        h('p', {
          class: 'note',
          text: 'Rows are read from the files by `pipeline view`; this saved page holds the overview only.',
        }),
      );
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
      if (r.asked === asked)
        $('rows-head').replaceChildren(h('p', { class: 'bad', text: `cannot read rows: ${error.message}` }));
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
    $('rows-range').textContent = filtered
      ? `searched lines ${int(page.from + 1)}–${int(end || page.from + page.scanned)}${of} · ${page.rows.length} found`
      : page.rows.length
        ? `lines ${int(page.rows[0].line)}–${int(page.rows[page.rows.length - 1].line)}${of}`
        : `no rows${of}`;
    $('rows-prev').disabled = r.back.length === 0;
    $('rows-next').disabled = page.next === undefined;
    r.next = page.next;
    const compare = f.sourceFields.length
      ? `comparing ${f.sourceFields.join(', ')} with ${f.outputField}`
      : `no prompt fields found: showing every field beside ${f.outputField}`;
    const head = [
      h('p', {
        class: 'muted',
        text: `${page.file} · ${compare} · tokens from ${page.mode === 'merged' ? f.tokensField : 'the raw results'} · click a row to show its whole texts`,
      }),
    ];
    if (page.note) head.push(h('p', { class: 'note', text: page.note }));
    if (page.failure) {
      head.push(
        h(
          'div',
          { class: 'failure' },
          h('strong', { text: page.failure.message }),
          page.failure.details
            ? h(
                'ul',
                {},
                page.failure.details.map((d) => h('li', { text: d })),
              )
            : null,
        ),
      );
    }
    $('rows-head').replaceChildren(...head);
    const body = page.rows.map((row) => {
      const source = row.source.map((s, i) =>
        h(
          'div',
          { class: 'field' },
          row.source.length > 1 ? h('span', { class: 'fname', text: s.field }) : null,
          i === 0 && row.diff ? segments(row.diff.source, 'del') : s.text,
        ),
      );
      let answer = null;
      if (row.answer && row.answer.fields)
        answer = h(
          'dl',
          { class: 'fields' },
          Object.entries(row.answer.fields).map(([k, v]) => [
            h('dt', { text: k }),
            h('dd', { text: typeof v === 'string' ? v : JSON.stringify(v) }),
          ]),
        );
      else if (row.answer)
        answer = h('div', { class: 'field' }, row.diff ? segments(row.diff.answer, 'ins') : row.answer.text);
      const other = Object.keys(row.other).length
        ? h(
            'details',
            { class: 'other' },
            h('summary', { text: 'fields' }),
            h('pre', { text: JSON.stringify(row.other, null, 1) }),
          )
        : null;
      const status =
        row.status === 'answered'
          ? h('span', { class: 'ok', text: row.diff ? `✓ ${Math.round(row.diff.kept * 100)}% kept` : '✓' })
          : h('span', { class: 'bad reason', text: `✗ ${row.status}: ${row.reason || ''}` });
      return h(
        'tr',
        {
          class: `row ${row.status}`,
          dataset: { line: row.line, id: row.id || '' },
          onclick: (e) => {
            if (!e.target.closest('details')) e.currentTarget.classList.toggle('open');
          },
        },
        h(
          'td',
          { class: 'num' },
          h('div', { text: String(row.line) }),
          h('div', { class: 'muted', text: row.id || '' }),
          other,
        ),
        h('td', { class: 'text' }, source),
        h('td', { class: 'text' }, answer, row.status !== 'answered' ? status : null),
        h('td', {
          class: 'num',
          title: row.usage ? `${int(row.usage.input)} in · ${int(row.usage.output)} out` : undefined,
          text: row.usage ? int(row.usage.total) : '',
        }),
        h('td', {}, row.status === 'answered' ? status : h('span', { class: 'bad', text: '✗' })),
      );
    });
    const headers = [
      'Line / id',
      f.sourceFields.length ? f.sourceFields.join(', ') : 'record',
      f.outputField,
      'Tokens',
      '',
    ].map((c) => h('th', { text: c }));
    $('rows-body').replaceChildren(
      h('table', { class: 'grid rows' }, h('thead', {}, h('tr', {}, headers)), h('tbody', {}, body)),
    );
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

  Object.assign(window.pipelineView, { renderRowTargets, loadRows, wireRows });
})();
