// pipeline view: the target graph as SVG, one column per rule, nodes coloured by state.
(() => {
  'use strict';
  const { live, STATE_LABEL, $, h, svg, int, middleEllipsis } = window.pipelineView;

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
      return svg(
        'path',
        { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`, class: 'edge' },
        svg('title', {}, document.createTextNode(e.rule)),
      );
    });
    const heads = columns.map((c, i) => {
      const rules = [...new Set(c.map((n) => (n.source ? 'source files' : `rule ${n.rule}`)))].join(', ');
      return svg('text', { x: lefts[i], y: 16, class: 'colhead' }, document.createTextNode(rules));
    });
    const nodes = g.nodes.map((n) => {
      const p = at.get(n.id);
      const fits = Math.floor((p.w - 16) / CHAR);
      const box = svg(
        'g',
        {
          class: `node ${n.source ? 'source' : `st-${n.state || 'none'}`}`,
          transform: `translate(${p.x},${p.y})`,
          'data-node': n.id,
        },
        svg(
          'title',
          {},
          document.createTextNode(
            `${n.id}${n.state ? ` — rule ${n.rule}, ${STATE_LABEL[n.state] || n.state}` : ' — source file'}`,
          ),
        ),
        svg('rect', { width: p.w, height: BOX, rx: 4 }),
        svg('text', { x: 8, y: 15 }, document.createTextNode(middleEllipsis(n.id, fits))),
      );
      const target = s.targets.find((t) => t.target === n.id);
      if (target && target.rows && live) {
        box.classList.add('link');
        box.addEventListener('click', () => (location.hash = `#rows:${encodeURIComponent(n.id)}`));
      }
      return box;
    });
    const legend = h(
      'p',
      { class: 'legend' },
      ['up-to-date', 'pending', 'queued', 'waiting', 'stale', 'failed'].map((st) =>
        h('span', { class: `pill st-${st}`, text: STATE_LABEL[st] || st }),
      ),
      h('span', { class: 'pill source', text: 'source file' }),
    );
    const width = lefts.length ? lefts[lefts.length - 1] + widths[widths.length - 1] + 10 : 100;
    const picture = svg('svg', { width, height: TOP + rows * ROW, class: 'graph' }, heads, edges, nodes);
    $('tab-graph').replaceChildren(
      legend,
      g.omitted ? h('p', { class: 'note', text: `${int(g.omitted)} more files not drawn` }) : '',
      h('div', { class: 'scroll' }, picture),
    );
  }

  Object.assign(window.pipelineView, { renderGraph });
})();
