/**
 * `build --sample N` on the batch job: N answers online in a minute, in `<output>.sample.jsonl`,
 * and the batch that follows does not pay for them again (they are in the same request cache).
 */
import { afterEach, expect, it } from 'vitest';
import { expectMergedCorrectly, startE2e, type E2e } from './helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

it('samples the first rows online; the batch build then sends only the rest', async () => {
  e = await startE2e({ subjects: 2, recordsPerSubject: 6 });
  const [subject] = e.subjects;
  const sample = await e.build(['--sample', '2', `paraphrase_batch/results/${subject}.jsonl`]);
  expect(sample.code, sample.stderr).toBe(0);
  expect(sample.stdout).toContain(`sample of 2 → `);
  const lines = (await e.rig.lines(`results/mmlu/paraphrase_batch/results/${subject}.sample.jsonl`)) as {
    custom_id: string;
    response: { status_code: number };
  }[];
  expect(lines.map((l) => [l.custom_id, l.response.status_code])).toEqual([
    [`${subject}-1`, 200],
    [`${subject}-2`, 200],
  ]);
  expect((await e.emulator.stats()).online.answered).toBe(2);

  await e.buildUntilDone();
  const stats = await e.emulator.stats();
  expect(stats.requestsExecuted).toBe(12); // 2 online + 10 in batches
  expect(stats.duplicateExecutions).toBe(0);
  await expectMergedCorrectly(e);
});
