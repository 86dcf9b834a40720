/**
 * Issue 19, done-when: on the 57-subject job, once the first 5 subjects are answered, the dry
 * run's estimate of the rest (output from the ratio learned from those answers) plus what was
 * spent lands within 10% of the emulator's bill for the whole job — where the configured ratio
 * alone misses by more. The real CLI against the emulator, as a user would run it.
 */
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_PRICES } from '../../src/tokens/prices.ts';
import { billRequest } from '../../src/tokens/bill.ts';
import { startE2e, type E2e } from '../e2e/helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

interface DryRunSummary {
  estimate: { costUsd: number; requests: number; basis?: { answered: number; ratio: number }[] };
}

async function dryRun(job: E2e): Promise<DryRunSummary> {
  const run = await job.build(['-n', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as DryRunSummary;
}

async function buildUntilDone(job: E2e, args: string[]): Promise<void> {
  for (let run = 1; ; run++) {
    const result = await job.build(args);
    expect([0, 75], result.stdout + result.stderr).toContain(result.code);
    if (result.code === 0) return;
    expect(run).toBeLessThan(60);
    await new Promise((r) => setTimeout(r, 200));
  }
}

it('after 5 of 57 subjects, spent + the learned estimate of the rest is within 10% of the final bill', async () => {
  e = await startE2e({ subjects: 57, recordsPerSubject: 8 });
  const before = await dryRun(e);
  expect(before.estimate.basis?.[0]?.answered).toBe(0); // the configured ratio: nothing answered yet

  await buildUntilDone(
    e,
    e.subjects.slice(0, 5).map((s) => `paraphrased/${s}.jsonl`),
  );
  const early = JSON.parse((await e.rig.run(['status', '--json', '--money'], { env: e.env })).stdout) as {
    spentUsd: number;
  };
  const learned = await dryRun(e);
  expect(learned.estimate.requests).toBe(52 * 8);
  expect(learned.estimate.basis?.[0]?.answered).toBe(5 * 8);
  const forecast = early.spentUsd + learned.estimate.costUsd;

  await buildUntilDone(e, []);
  // The emulator's bill, by hand: gpt-4.1 at batch price (half of $2 input, $0.50 cached input, $8 output per 1M).
  const stats = await e.emulator.stats();
  expect(stats.cachedTokens).toBeGreaterThan(0);
  const bill =
    ((stats.inputTokens - stats.cachedTokens) * 1.0 + stats.cachedTokens * 0.25 + stats.outputTokens * 4.0) / 1e6;
  expect(
    billRequest(
      DEFAULT_PRICES['gpt-4.1']!,
      { input: stats.inputTokens, cached: stats.cachedTokens, output: stats.outputTokens },
      'batch',
    ),
  ).toBeCloseTo(bill, 9);

  const report = JSON.parse((await e.rig.run(['status', '--json', '--money'], { env: e.env })).stdout) as {
    spentUsd: number;
    standardUsd: number;
  };
  expect(report.spentUsd).toBeCloseTo(bill, 6); // the spend log is the emulator's bill
  expect(report.standardUsd).toBeCloseTo(bill * 2, 6);

  const configuredGuess = before.estimate.costUsd;
  const error = Math.abs(forecast - bill) / bill;
  console.log(
    `bill $${bill.toFixed(4)}; configured-ratio estimate $${configuredGuess.toFixed(4)} (${((100 * (configuredGuess - bill)) / bill).toFixed(1)}%); after 5 subjects $${forecast.toFixed(4)} (${(100 * error).toFixed(1)}%)`,
  );
  expect(error).toBeLessThan(0.1);
  expect(Math.abs(configuredGuess - bill) / bill).toBeGreaterThan(error);
}, 600_000);
