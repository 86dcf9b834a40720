/**
 * Limits and money (issue 5): with the provider's enqueued-token limit at about a fifth of the
 * job, re-running `build` finishes everything and the user never sees a failure; told the limit,
 * the tool keeps under it and no batch fails on it; `--max-cost` refuses to submit past a budget.
 */
import { afterEach, expect, it } from 'vitest';
import { expectMergedCorrectly, startE2e, type E2e } from './helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

const JOB = { subjects: 57, recordsPerSubject: 8 };
/** ~1/5 of the job's input tokens (57 × 8 requests of ~430 tokens ≈ 196k). */
const LIMIT = 40_000;

it('the provider limit at a fifth of the job: re-running build finishes it, never showing a failure', async () => {
  // Slow enough batches (seconds each) that the 57 submitted together overlap at the provider.
  e = await startE2e(JOB, { enqueuedTokenLimit: LIMIT, speed: 0.3 }, 'tokenLimitBackoffSeconds: 0.2');
  const estimate = JSON.parse((await e.build(['-n', '--json'])).stdout.trim().split('\n').at(-1)!) as {
    estimate: { inputTokens: number };
  };
  expect(estimate.estimate.inputTokens / LIMIT).toBeGreaterThan(4.5);
  // Re-run until done, as a user would; bounded by time (the batches' pace), not by a run count.
  const deadline = Date.now() + 240_000;
  for (;;) {
    const result = await e.build();
    expect(result.code, result.stdout).not.toBe(1);
    expect(result.stdout).not.toContain('✗ failed');
    if (result.code === 0) break;
    expect(Date.now(), 'not done within 4 minutes').toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 250));
  }
  const stats = await e.emulator.stats();
  expect(stats.batchesByStatus.failed ?? 0).toBeGreaterThan(0); // the provider did refuse some…
  expect(stats.duplicateExecutions).toBe(0); // …and they were re-queued, never paid twice
  await expectMergedCorrectly(e);
}, 300_000);

it('told the limit, the tool keeps enqueued tokens under it and no batch fails on it', async () => {
  e = await startE2e(JOB, { enqueuedTokenLimit: LIMIT });
  const runs = await e.buildUntilDone(['--max-enqueued-tokens', String(LIMIT)], 240);
  expect(runs).toBeGreaterThan(2);
  const stats = await e.emulator.stats();
  expect(stats.batchesByStatus.failed ?? 0).toBe(0);
  expect(stats.batchesCreated).toBe(57);
  expect(stats.tokensEnqueuedPeak['gpt-4.1']).toBeLessThanOrEqual(LIMIT);
  await expectMergedCorrectly(e);
}, 300_000);

it('--max-cost refuses to submit past the budget, with the estimate and the limit', async () => {
  e = await startE2e({ subjects: 2, recordsPerSubject: 10 });
  const run = await e.build(['--max-cost', '0.001']);
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/\$0\.0\d+.*\$0\.001|\$0\.001.*\$0\.0\d+/);
  // Nothing to fix, a budget to raise: the closing hint says so.
  expect(run.stdout).toMatch(/held back by the cost limit: raise --max-cost/);
  expect(run.stdout).not.toMatch(/fix the errors above/);
  expect((await e.emulator.stats()).filesUploaded).toBe(0);
  expect((await e.build(['--max-cost', '5'])).code).toBe(75); // a sufficient budget submits
});
