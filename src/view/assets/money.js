// pipeline view: dollars and tokens per subject, and requests answered over time.
(() => {
  'use strict';
  const { live, $, h, svg, int, usd, now, clock } = window.pipelineView;

  function barChart(title, groups, parts, format) {
    const max = Math.max(1e-12, ...groups.map((g) => parts.reduce((sum, p) => sum + g[p.key], 0)));
    const legend = h(
      'p',
      { class: 'legend' },
      parts.map((p) => h('span', { class: `swatch ${p.cls}`, text: p.label })),
    );
    const rows = groups.map((g) =>
      h(
        'div',
        { class: 'hbar' },
        h('span', { class: 'hlabel', text: g.group, title: g.group }),
        h(
          'span',
          { class: 'htrack' },
          parts.map((p) => {
            const seg = h('span', { class: `hseg ${p.cls}`, title: `${p.label}: ${format(g[p.key])}` });
            seg.style.width = `${(g[p.key] / max) * 100}%`;
            return seg;
          }),
        ),
        h('span', { class: 'hvalue', text: parts.map((p) => format(g[p.key])).join(' + ') }),
      ),
    );
    return h(
      'div',
      { class: 'chart' },
      h('h2', { text: title }),
      legend,
      groups.length ? rows : h('p', { class: 'muted', text: 'nothing yet' }),
    );
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
    for (let i = 1; i < data.length; i++)
      d += ` L${x(data[i][0])},${y(data[i - 1][1])} L${x(data[i][0])},${y(data[i][1])}`;
    const ticks = [];
    for (let i = 0; i <= 4; i++) {
      const t = t0 + ((t1 - t0) * i) / 4;
      const v = (ymax * i) / 4;
      ticks.push(
        svg('text', { x: x(t), y: H - 8, 'text-anchor': 'middle', class: 'tick' }, document.createTextNode(clock(t))),
      );
      ticks.push(
        svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, document.createTextNode(int(v))),
      );
      ticks.push(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'gridline' }));
    }
    box.append(svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'timeline' }, ticks, svg('path', { d, class: 'line' })));
    box.append(h('p', { class: 'muted', text: `${int(last[1])} answered by ${clock(last[0])}` }));
    return box;
  }

  function renderMoney(s) {
    $('tab-money').replaceChildren(
      h(
        'div',
        { class: 'charts' },
        barChart(
          'Dollars per subject',
          s.money,
          [
            { key: 'spentUsd', label: 'spent', cls: 'c-spent' },
            { key: 'expectedUsd', label: 'still expected', cls: 'c-expected' },
          ],
          usd,
        ),
        barChart(
          'Tokens per subject',
          s.money,
          [
            { key: 'input', label: 'input', cls: 'c-input' },
            { key: 'output', label: 'output', cls: 'c-output' },
          ],
          int,
        ),
        timeChart(s.timeline.points),
      ),
    );
  }

  Object.assign(window.pipelineView, { renderMoney });
})();
