/**
 * Issue 4's headline: the full synthetic 57-subject set (14,042 records) reaches "up to date" by
 * re-running `pipeline build` (no --wait) until it exits 0, with one batch per subject, correct
 * rows, a dry-run estimate within 5% of what the emulator counted, and a final build that sends
 * nothing.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectMergedCorrectly, FAKE_KEY, startE2e, type E2e } from './helpers.ts';

let e: E2e;
beforeAll(async () => {
  e = await startE2e({});
}, 120_000);
afterAll(() => e.dispose());

it('runs the 57-subject set to completion by re-running build', async () => {
  expect(e.subjects).toHaveLength(57);
  expect(e.records).toBe(14_042);

  const dry = await e.build(['-n', '--json']);
  expect(dry.code).toBe(0);
  const summary = JSON.parse(dry.stdout.trim().split('\n').at(-1)!) as {
    estimate: { requests: number; inputTokens: number; costUsd: number; standardCostUsd: number };
  };
  expect(summary.estimate.requests).toBe(14_042);
  expect((await e.emulator.stats()).batchesCreated).toBe(0); // a dry run sends nothing

  const runs = await e.buildUntilDone();
  expect(runs).toBeGreaterThanOrEqual(2);
  const stats = await e.emulator.stats();
  expect(stats.batchesCreated).toBe(57);
  expect(stats.requestsExecuted).toBe(14_042);
  expect(stats.duplicateExecutions).toBe(0);
  // The estimate is within 5% of the tokens the emulator counted, and priced from the table.
  expect(Math.abs(summary.estimate.inputTokens - stats.inputTokens) / stats.inputTokens).toBeLessThan(0.05);
  expect(summary.estimate.costUsd).toBeCloseTo(summary.estimate.standardCostUsd / 2, 6);
  await expectMergedCorrectly(e);

  const before = await e.emulator.stats();
  const again = await e.build();
  expect(again.code).toBe(0);
  expect(again.stdout).toBe('171 up to date\n');
  const after = await e.emulator.stats();
  expect(after.routeCalls).toEqual(before.routeCalls); // a no-op build makes no API call at all
}, 600_000);

it('never writes the API key to any file under the pipeline root', async () => {
  const root = e.rig.dir;
  const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((d) => d.isFile());
  expect(files.length).toBeGreaterThan(200);
  for (const f of files) {
    const text = await readFile(path.join(f.parentPath, f.name), 'utf8');
    expect(text.includes(FAKE_KEY), path.join(f.parentPath, f.name)).toBe(false);
  }
});
