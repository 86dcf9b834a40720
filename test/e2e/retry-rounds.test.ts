/**
 * Rows that failed are never stuck (issue #11.9), through the real CLI: a row that ran out of
 * attempts on transient errors is sent again by the next plain build, and a batch sent by a forced
 * rebuild is collected by the following plain builds whatever flags sent it.
 */
import { afterEach, expect, it } from 'vitest';
import { expectMergedCorrectly, startE2e, type E2e } from './helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

/** Builds until nothing is pending; returns the last run. */
async function settle(build: () => ReturnType<E2e['build']>) {
  let last = await build();
  for (let i = 0; i < 30 && last.code === 75; i++) {
    await new Promise((r) => setTimeout(r, 200));
    last = await build();
  }
  return last;
}

it('a row out of attempts on a 5xx: the build says it will be retried, and the next plain build retries it', async () => {
  e = await startE2e(
    { subjects: 1, recordsPerSubject: 5 },
    { faults: { requestErrors: { customIds5xx: ['abstract_algebra-2'], transientAttempts: 1 } } },
    'maxAttempts: 1',
  );
  const first = await settle(() => e!.build());
  expect(first.code).toBe(1);
  expect(first.stdout).toMatch(
    /question_number 2 \(abstract_algebra-2\): HTTP 5\d\d: .* — the next build sends it again/,
  );
  const created = (await e.emulator.stats()).batchesCreated;
  const second = await settle(() => e!.build());
  expect(second.code, second.stdout + second.stderr).toBe(0);
  expect((await e.emulator.stats()).batchesCreated).toBe(created + 1);
  await expectMergedCorrectly(e);
});

it('a batch sent by `build -B` is collected by the next plain builds', async () => {
  e = await startE2e(
    { subjects: 1, recordsPerSubject: 4 },
    { faults: { requestErrors: { customIds4xx: ['abstract_algebra-3'] } } },
  );
  const first = await settle(() => e!.build());
  expect(first.code).toBe(1);
  expect(first.stdout).toMatch(/abstract_algebra-3\): HTTP 400: .* — needs a change to the request/);
  // The provider fixed (or the user decides to try again anyway): force the batch target.
  e.emulator.setFaults({});
  const forced = await e.build(['-B', 'paraphrase_batch/results/abstract_algebra.jsonl']);
  expect(forced.code, forced.stdout + forced.stderr).toBe(75);
  const after = await settle(() => e!.build());
  expect(after.code, after.stdout + after.stderr).toBe(0);
  await expectMergedCorrectly(e);
  const stats = await e.emulator.stats();
  expect(stats.batchesCreated).toBe(2);
  expect(stats.duplicateExecutions).toBe(0);
});
