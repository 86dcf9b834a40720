// pipeline view, shared by the page's other scripts (loaded first): the page's state and small
// DOM and formatting helpers, on window.pipelineView. Plain browser JavaScript, no build step; all
// text goes in through textContent, never as HTML.
(() => {
  'use strict';

  const embedded = window.PIPELINE_SNAPSHOT;
  const STATE_LABEL = { 'up-to-date': 'up to date', 'missing-input': 'missing input' };
  const state = {
    snapshot: undefined,
    clockOffset: 0,
    tab: 'overview',
    expanded: new Set(),
    rows: { target: '', from: 0, back: [], search: '', problems: false, seen: '' },
  };
  const $ = (id) => document.getElementById(id);

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
    for (const child of children.flat())
      if (child !== undefined && child !== null && child !== false)
        el.append(child instanceof Node ? child : String(child));
    return el;
  }

  function svg(tag, attrs, ...children) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [key, value] of Object.entries(attrs || {}))
      if (value !== undefined) el.setAttribute(key, String(value));
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
  const stateText = (t) =>
    t.state === 'pending' && t.remoteState ? t.remoteState.replace('_', ' ') : STATE_LABEL[t.state] || t.state;
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

  window.pipelineView = {
    embedded,
    live: embedded === undefined,
    state,
    STATE_LABEL,
    DAY: 24 * 3600 * 1000,
    $,
    h,
    svg,
    int,
    usd,
    now,
    duration,
    clock,
    stateText,
    pill,
    bar,
    middleEllipsis,
  };
})();
