/**
 * The spend log keeps one line per batch however often a crash makes it appended; the money
 * report adds it up per target, rule and provider/model; the --wait display shows spent and to go.
 */
import { expect, it } from 'vitest';
import type { BuildEvent } from '../../src/engine/events.ts';
import type { TargetStatus } from '../../src/engine/status.ts';
import { formatMoney, moneyReport } from '../../src/report/money-report.ts';
import { WaitDisplay } from '../../src/report/wait-display.ts';
import { parseSpend, totalSpent, type SpendEntry } from '../../src/stages/spend-log.ts';

const entry = (key: string, target: string, costUsd: number, extra: Partial<SpendEntry> = {}): SpendEntry => ({
  key,
  at: '2026-12-02T12:00:00.000Z',
  target,
  rule: 'batch',
  provider: 'openai',
  model: 'gpt-4.1',
  requests: 10,
  usage: { input: 1000, output: 800, cached: 100, cacheWrite: 0 },
  costUsd,
  standardCostUsd: costUsd * 2,
  ...extra,
});

it('the spend log keeps the last line per batch and skips a line torn by a crash', () => {
  const text = [
    JSON.stringify(entry('batch_1', 'r/a.jsonl', 0.5)),
    '{"key":"batch_2","at":"2026', // torn
    JSON.stringify(entry('batch_2', 'r/b.jsonl', 0.25)),
    JSON.stringify(entry('batch_1', 'r/a.jsonl', 0.5)), // downloaded again after a crash
    '',
  ].join('\n');
  const spend = parseSpend(text);
  expect(spend.map((e) => e.key)).toEqual(['batch_2', 'batch_1']);
  expect(totalSpent(spend)).toBeCloseTo(0.75, 12);
});

it('the spend log skips lines that are not entries and keeps only the known fields', () => {
  const { costUsd: _, ...unpriced } = entry('b3', 'r/c.jsonl', 0);
  const text = [
    JSON.stringify({ ...entry('b1', 'r/a.jsonl', 0.5), note: 'extra', usage: { ...entry('', '', 0).usage, more: 1 } }),
    JSON.stringify(entry('b2', 'r/b.jsonl', -1)), // a negative cost
    JSON.stringify({ ...entry('b4', 'r/d.jsonl', 1), requests: 2.5 }),
    JSON.stringify({ ...entry('b5', 'r/e.jsonl', 1), usage: { input: 1, output: 1, cached: 0 } }),
    JSON.stringify({ ...entry('', 'r/f.jsonl', 1) }), // no key
    JSON.stringify({ ...entry('b6', 'r/g.jsonl', 1), model: 4 }),
    '[1,2]',
    'null',
    JSON.stringify(unpriced),
  ].join('\n');
  const spend = parseSpend(text);
  expect(spend).toEqual([entry('b1', 'r/a.jsonl', 0.5), { ...unpriced, standardCostUsd: 0 }]);
});

it('the report: per target, per rule, per provider/model, at standard price, and what is to go', () => {
  const status = (target: string, rule: string, extra: Partial<TargetStatus> = {}): TargetStatus => ({
    target,
    rule,
    remoteStage: true,
    state: 'up-to-date',
    reasons: [],
    ...extra,
  });
  const spend = [
    entry('b1', 'r/a.jsonl', 0.5),
    entry('b2', 'r/a.jsonl', 0.25),
    entry('m1', 'c/a.jsonl', 1, { rule: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-5' }),
    entry('x1', 'r/other.jsonl', 9), // a target not shown
  ];
  const basis = [{ rule: 'batch', model: 'gpt-4.1', ratio: 0.8, answered: 20 }];
  const statuses = [
    status('r/a.jsonl', 'batch', {
      state: 'pending',
      remote: { state: 'in_progress', money: { spentUsd: 0.75, toGoUsd: 0.4, maxToGoUsd: 0.9, basis } },
    }),
    status('c/a.jsonl', 'claude'),
    status('r/new.jsonl', 'batch', { state: 'stale' }),
    status('merged/a.jsonl', 'merge', { remoteStage: false }),
  ];
  const report = moneyReport(spend, statuses);
  expect(report.spentUsd).toBeCloseTo(1.75, 12);
  expect(report.standardUsd).toBeCloseTo(3.5, 12);
  expect(report.byTarget['r/a.jsonl']).toMatchObject({ spentUsd: 0.75, toGoUsd: 0.4, maxToGoUsd: 0.9, requests: 20 });
  expect(report.byRule.claude).toMatchObject({ spentUsd: 1, standardUsd: 2 });
  expect(Object.keys(report.byModel).sort()).toEqual(['anthropic/claude-sonnet-4-5', 'openai/gpt-4.1']);
  expect(report.byTarget['merged/a.jsonl']).toBeUndefined();
  expect(report.notStarted).toEqual(['r/new.jsonl']);
  expect(formatMoney(report)).toBe(
    [
      'Money: $1.75 spent ($3.50 at standard price), 300 input tokens from the prompt cache',
      '  ~$0.40 to go (at most $0.90 if every reply reaches max_tokens), ~$2.15 when finished',
      '  batch (gpt-4.1): output estimated from 20 answered requests (0.80 output tokens per input token)',
      '  1 target not started yet: `pipeline build -n` prices it',
      '',
    ].join('\n'),
  );
});

it('--wait shows "$3.10 spent, ~$16.20 to go" over the targets it waits on', () => {
  const out = { text: '', isTTY: false, color: false, columns: 100, write: (t: string) => void (out.text += t) };
  const display = new WaitDisplay(out);
  const pending = (target: string, spentUsd: number, toGoUsd: number): BuildEvent => ({
    type: 'pending',
    target,
    rule: 'batch',
    progress: { done: 0, total: 4 },
    summary: '',
    money: { spentUsd, toGoUsd, maxToGoUsd: toGoUsd * 2, basis: [] },
  });
  display.observe(pending('a', 3, 10));
  display.observe(pending('b', 0.1, 6.2));
  display.draw(0, 1000);
  expect(out.text).toContain('; $3.10 spent, ~$16.20 to go; next poll in');
  display.startCycle();
  display.observe({ type: 'done', target: 'a', rule: 'batch', ms: 1, costUsd: 13 }); // finished: its bill, nothing to go
  display.observe(pending('b', 0.1, 6.2));
  display.draw(1000, 1000);
  expect(out.text.trim().split('\n').at(-1)).toContain('$13.10 spent, ~$6.20 to go');
});

it('says how much of what was spent is presumed: sends whose answers were lost, at their worst case', () => {
  const spend = [
    entry('online:r/a.jsonl:k1', 'r/a.jsonl', 0.5, { provider: 'online', requests: 1 }),
    entry('online:r/a.jsonl:k2', 'r/a.jsonl', 0.25, { provider: 'online', requests: 1, presumed: true }),
  ];
  const status = { target: 'r/a.jsonl', rule: 'online', state: 'up-to-date', remoteStage: true } as TargetStatus;
  const report = moneyReport(spend, [status]);
  expect(report.presumed).toEqual({ requests: 1, usd: 0.25 });
  expect(report.spentUsd).toBeCloseTo(0.75, 12);
  expect(formatMoney(report)).toMatch(
    /^Money: \$0\.75 spent.*\n {2}of which \$0\.25 for 1 send whose answer was lost \(a timeout, a dropped connection, a killed run\): counted at the worst case/,
  );
});
