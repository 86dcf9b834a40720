/**
 * Issue 19, done-when: `--max-cost` is a budget for the whole job, over every run. Three runs cut
 * short (SIGKILL right after a batch is created, a plain run that exits while batches are in
 * flight, SIGKILL after a download but before the batch is marked collected), then runs until
 * nothing is in flight: the job never pays more than the budget, later runs hold the rest back
 * (not "nothing in flight, so the whole budget is free again"), and the message says what was
 * spent, what is left and which targets were held back.
 */
import { afterEach, expect, it } from 'vitest';
import { startE2e, type E2e } from '../e2e/helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

const BUDGET = 0.05; // about 3 of the 6 subjects (~$0.0145 each at gpt-4.1 batch price)

it('the budget holds across three interrupted runs', async () => {
  // A ratio near the stand-in model's, so the first run's estimates (before any answer) are fair.
  e = await startE2e({ subjects: 6, recordsPerSubject: 8 }, {}, 'outputTokenRatio: 0.8');
  const build = (extra: NodeJS.ProcessEnv = {}, args: string[] = []) =>
    e!.build(['--max-cost', String(BUDGET), ...args], extra);

  // One target at a time (-j 1): the kill never catches a sibling's create in flight (its part
  // would rightly wait out the 10-minute adoption window, as no list may show it yet).
  const first = await build({ PIPELINE_FAILPOINT: 'after-create' }, ['-j', '1']);
  expect(first.signal).toBe('SIGKILL');
  const second = await build();
  expect([1, 75], second.stdout + second.stderr).toContain(second.code);
  await new Promise((r) => setTimeout(r, 300)); // let the emulator finish the batches
  const third = await build({ PIPELINE_FAILPOINT: 'after-download' });
  expect(third.signal === 'SIGKILL' || [1, 75].includes(third.code!), third.stdout + third.stderr).toBe(true);

  // Then run until nothing is in flight: every target is either built or held back.
  let last = third;
  for (let run = 0; run < 30; run++) {
    last = await build();
    expect([1, 75], last.stdout + last.stderr).toContain(last.code);
    if (last.code === 1) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(last.code).toBe(1);
  const created = (await e.emulator.stats()).batchesCreated;
  const again = await build(); // everything collected: a re-run must not find the budget free again
  expect(again.code).toBe(1);
  expect((await e.emulator.stats()).batchesCreated).toBe(created);

  const stats = await e.emulator.stats();
  const bill =
    ((stats.inputTokens - stats.cachedTokens) * 1.0 + stats.cachedTokens * 0.25 + stats.outputTokens * 4.0) / 1e6;
  expect(bill).toBeLessThanOrEqual(BUDGET);
  expect(bill).toBeGreaterThan(BUDGET / 2); // it did spend: 2 or 3 subjects, not nothing
  expect(stats.duplicateExecutions).toBe(0);

  const money = JSON.parse((await e.rig.run(['status', '--json', '--money'], { env: e.env })).stdout) as {
    spentUsd: number;
  };
  // status --json rounds dollars to micro-dollars: at most half a micro-dollar off.
  expect(Math.abs(money.spentUsd - bill)).toBeLessThanOrEqual(5e-7 + 1e-12);
  // The message: spent, left, and which targets were held back.
  expect(again.stdout).toMatch(/held back by --max-cost \$0\.05: \$0\.0\d+ spent, \$0\.00 in flight, \$0\.0\d+ left/);
  const held = /held back by the cost limit \((\d) targets?\): (.*)\n/.exec(again.stdout);
  expect(held, again.stdout).not.toBeNull();
  const done = e.subjects.filter((s) => !held![2]!.includes(s));
  expect(Number(held![1])).toBe(6 - done.length);
  expect(done.length).toBeGreaterThanOrEqual(2);
}, 300_000);
