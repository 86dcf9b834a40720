// pipeline view, the page's last script: tabs, and the snapshot rendered live from the server's
// event stream (`pipeline view`) or once from the snapshot embedded in the file (`status --html`).
(() => {
  'use strict';
  const V = window.pipelineView;
  const { live, state, $ } = V;

  function showTab() {
    const hash = decodeURIComponent(location.hash.slice(1));
    const [tab, target] = hash.startsWith('rows:') ? ['rows', hash.slice(5)] : [hash || 'overview'];
    state.tab = ['overview', 'graph', 'money', 'rows'].includes(tab) ? tab : 'overview';
    for (const a of document.querySelectorAll('.tabs a')) a.classList.toggle('active', a.dataset.tab === state.tab);
    for (const name of ['overview', 'graph', 'money', 'rows']) $(`tab-${name}`).hidden = name !== state.tab;
    if (state.tab !== 'rows') return renderTab();
    const first = state.snapshot && state.snapshot.targets.find((t) => t.rows);
    const chosen = target || state.rows.target || (first && first.target) || '';
    if (chosen !== state.rows.target || !state.rows.seen)
      Object.assign(state.rows, { target: chosen, from: 0, back: [] });
    $('rows-target').value = chosen;
    V.loadRows();
  }

  /** Only the tab on screen is drawn (a graph of a thousand files is not redrawn unseen). */
  function renderTab() {
    const s = state.snapshot;
    if (!s) return;
    if (state.tab === 'overview') V.renderOverview(s);
    else if (state.tab === 'graph') V.renderGraph(s);
    else if (state.tab === 'money') V.renderMoney(s);
  }

  function render(s) {
    state.snapshot = s;
    if (live) state.clockOffset = Date.now() - s.generatedAt;
    V.renderHeader(s);
    V.renderTotals(s);
    renderTab();
    V.renderRowTargets(s);
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
  V.wireRows();
  if (live) {
    connect();
    setInterval(() => {
      V.updateAges();
      if (state.tab === 'money' && state.snapshot) V.renderMoney(state.snapshot);
    }, 1000);
  } else {
    render(V.embedded);
    document.querySelector('.tabs a[data-tab="rows"]').hidden = true;
  }
  showTab();
})();
