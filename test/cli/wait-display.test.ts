/**
 * On a terminal the wait display redraws its block in place; only a line actually printed under
 * it (a built target, a failure) makes the next draw start below. (Every cycle's unprinted
 * 'start' event used to end the block, so each poll drew a new copy under the old one.)
 */
import { expect, it } from 'vitest';
import { humanReporter } from '../../src/report/build-reporter.ts';
import type { Output } from '../../src/report/terminal.ts';
import { WaitDisplay } from '../../src/report/wait-display.ts';

function terminal(): Output & { text: string } {
  const out = { text: '', isTTY: true, color: false, columns: 100, write: (t: string) => void (out.text += t) };
  return out;
}

const pending = {
  type: 'pending',
  target: 'results/a.jsonl',
  rule: 'batch',
  progress: { done: 1, total: 4 },
  summary: '1/4 answered',
} as const;

it('redraws in place across cycles whose events print nothing, and below a printed line', () => {
  const out = terminal();
  const display = new WaitDisplay(out);
  const reporter = humanReporter(display.passThrough());
  display.observe(pending);
  display.draw(0, 1000);
  const moveUp = '\x1b[2A\x1b[J';
  expect(out.text).not.toContain(moveUp);

  display.startCycle();
  reporter.event({ type: 'start', target: 'results/a.jsonl', rule: 'batch', reasons: ['never built'] }); // not printed
  display.observe(pending);
  display.draw(1000, 1500);
  expect(out.text.split(moveUp)).toHaveLength(2); // drawn over the previous block

  display.startCycle();
  reporter.event({ type: 'done', target: 'results/b.jsonl', rule: 'batch', ms: 5 }); // printed
  display.observe(pending);
  out.text = '';
  display.draw(2000, 2000);
  expect(out.text).not.toContain(moveUp); // the printed line stays; the block is drawn under it
});

it('overall figures count targets that finished while waiting: done never goes back, the rate is never negative', () => {
  const out = { text: '', isTTY: false, color: false, columns: 100, write: (t: string) => void (out.text += t) };
  const display = new WaitDisplay(out);
  display.observe({ ...pending, target: 'results/a.jsonl', progress: { done: 3, total: 4 } });
  display.observe({ ...pending, target: 'results/b.jsonl', progress: { done: 1, total: 4 } });
  display.draw(0, 1000);
  display.startCycle();
  display.observe({ type: 'done', target: 'results/a.jsonl', rule: 'batch', ms: 5 });
  display.observe({ ...pending, target: 'results/b.jsonl', progress: { done: 2, total: 4 } });
  display.draw(1000, 1000);
  const last = out.text.trim().split('\n').at(-1)!;
  expect(last).toMatch(/waiting: 1 pending, 6\/8 requests \(75\.0%\), 2\.0 req\/s/);
});
