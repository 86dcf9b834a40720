// pipeline view: the header, the totals and the overview table (one row per target).
(() => {
  'use strict';
  const { live, state, STATE_LABEL, DAY, $, h, int, usd, now, duration, clock, pill, bar } = window.pipelineView;

  function renderHeader(s) {
    $('root').textContent = s.root;
    const where = live
      ? s.build
        ? `live · a build is running: ${s.build}`
        : `live · ${s.source.kind === 'files' ? 'from the files' : `refreshed from the ${s.source.kind === 'api' ? 'Batch API' : 'emulator'}`}`
      : 'snapshot';
    $('live').textContent = `${where} · ${clock(s.generatedAt)}`;
    $('live').className = `live ${live ? 'on' : ''}`;
    $('note').hidden = !s.source.note;
    $('note').textContent = s.source.note || '';
  }

  function renderTotals(s) {
    const t = s.totals;
    const chips = Object.entries(t.byState).map(([st, n]) =>
      h('span', { class: `pill st-${st}`, text: `${n} ${STATE_LABEL[st] || st}` }),
    );
    const card = (key, label, value, sub) =>
      h(
        'div',
        { class: 'card', dataset: { total: key } },
        h('div', { class: 'label', text: label }),
        h('div', { class: 'value' }, value),
        sub ? h('div', { class: 'sub' }, sub) : null,
      );
    const r = t.requests;
    $('totals').replaceChildren(
      card('targets', 'Targets', int(t.targets), chips),
      card(
        'requests',
        'Requests answered',
        r.total ? `${int(r.done)} / ${int(r.total)}` : '—',
        r.total
          ? [bar(r.done / r.total), r.failed ? h('span', { class: 'bad', text: ` ${int(r.failed)} failed` }) : null]
          : null,
      ),
      card(
        'tokens',
        'Tokens',
        int(t.tokens.input + t.tokens.output),
        `${int(t.tokens.input)} in · ${int(t.tokens.output)} out`,
      ),
      card('spent', 'Spent', usd(t.spentUsd), 'batch price'),
      card(
        'expected',
        'Still expected',
        t.estimating && !t.expectedUsd ? 'estimating…' : usd(t.expectedUsd),
        'not sent yet + in flight',
      ),
      card(
        'age',
        'Oldest batch',
        t.oldestInFlightSince ? h('span', { class: 'age', dataset: { since: t.oldestInFlightSince } }) : '—',
        'of the 24 h window',
      ),
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

  function renderOverview(s) {
    const rows = s.targets.map((t) => {
      const p = t.progress;
      const tokens = t.usage ? t.usage.input + t.usage.output : undefined;
      const why = [];
      if (t.state !== 'up-to-date')
        why.push(
          h('span', { class: t.failure ? 'bad' : '', text: t.failure ? t.failure.message : t.reasons[0] || '' }),
        );
      const details = [...((t.failure && t.failure.details) || []), ...(t.remoteFailures || [])];
      if (details.length > 0) {
        const box = h(
          'details',
          {
            open: state.expanded.has(t.target),
            ontoggle: (e) => (e.target.open ? state.expanded.add(t.target) : state.expanded.delete(t.target)),
          },
          h('summary', { text: `${details.length} detail${details.length > 1 ? 's' : ''}` }),
          h(
            'ul',
            {},
            details.map((d) => h('li', { text: d })),
          ),
        );
        why.push(box);
      }
      return h(
        'tr',
        { dataset: { target: t.target, state: t.state } },
        h(
          'td',
          { class: 'target' },
          h('span', { text: t.target, title: t.target }),
          t.rows && live
            ? h('a', { class: 'rows-link', href: `#rows:${encodeURIComponent(t.target)}`, text: 'rows' })
            : null,
        ),
        h('td', { text: t.rule }),
        h('td', { class: 'state' }, pill(t)),
        h(
          'td',
          { class: 'progress' },
          p
            ? [
                bar(p.total ? p.done / p.total : 0, p.failed ? 'some-failed' : ''),
                h('span', {
                  class: 'progress-text',
                  text: `${int(p.done)}/${int(p.total)}${p.failed ? ` · ${int(p.failed)} failed` : ''}`,
                }),
              ]
            : null,
        ),
        // Nothing is known of a batch's tokens before its results are in: blank, not a misleading 0.
        h('td', {
          class: 'num',
          title: t.usage ? `${int(t.usage.input)} in · ${int(t.usage.output)} out` : undefined,
          text: tokens === undefined || (tokens === 0 && t.state !== 'up-to-date') ? '' : int(tokens),
        }),
        h('td', { class: 'num spent', text: usd(t.spentUsd) }),
        h('td', {
          class: 'num expected',
          text: t.remote && t.expectedUsd === undefined && s.totals.estimating ? '…' : usd(t.expectedUsd),
        }),
        h(
          'td',
          { class: 'num' },
          t.inFlightSince ? h('span', { class: 'age', dataset: { since: t.inFlightSince } }) : null,
        ),
        h('td', { class: 'why' }, why),
      );
    });
    const head = ['Target', 'Rule', 'State', 'Progress', 'Tokens', 'Spent', 'Expected', 'Age', 'Why'].map((c) =>
      h('th', { text: c }),
    );
    $('tab-overview').replaceChildren(
      h('table', { class: 'grid overview' }, h('thead', {}, h('tr', {}, head)), h('tbody', {}, rows)),
    );
    updateAges();
  }

  Object.assign(window.pipelineView, { renderHeader, renderTotals, renderOverview, updateAges });
})();
