/**
 * The crash campaign's CI subset at the default parallelism, on every batch provider's own SDK:
 * four subjects' targets submit at once, and the real CLI is SIGKILLed right after a part is
 * recorded `creating`, before its request leaves — again and again, so the kills leave several
 * targets' creates unsent at the same time. Each such part's ledger says its request never left,
 * so the next run creates it with the same intent at once: the re-runs finish within a bounded
 * number on the real clock (before the fix each waited out the 10-minute adoption window), with no
 * duplicate batch, no request paid twice, and every row merged as an uninterrupted run merges it.
 * Kills after a create's answer, with siblings' requests in flight: test/e2e/crash.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { BATCH_PROVIDERS } from '../helpers/test-providers.ts';
import {
  booksOf,
  buildUntilDone,
  compareRows,
  emulatorFor,
  envFor,
  makeJob,
  mergedFiles,
  recordedBatches,
  referenceRun,
  runCliKillable,
} from '../reliability/lib.ts';

const SUBJECTS = 4;

describe.each(BATCH_PROVIDERS)('%s', (provider) => {
  it('killed before the sends, with the other targets in flight: created at once, nothing paid twice, nothing lost', async () => {
    const spec = { subjects: SUBJECTS, records: 6, seed: 31, provider };
    const reference = await referenceRun(spec);
    const job = await makeJob(spec, 'pipeline-rel-parallel-');
    const emu = await emulatorFor(job, { speed: 20 }, provider);
    try {
      const env = envFor(emu, {}, provider);
      let kills = 0;
      let mostUnsentAtOnce = 0;
      // A run is killed as long as some part reaches `creating`: one kill per subject, and one more.
      for (let i = 0; i <= SUBJECTS; i++) {
        const r = await runCliKillable(['build'], job.rig.dir, { ...env, PIPELINE_FAILPOINT: 'after-creating' });
        expect(r.killed, `run ${i + 1} was not killed (exit ${String(r.code)}):\n${r.stdout}\n${r.stderr}`).toBe(true);
        kills += 1;
        const { parts } = await recordedBatches(job);
        const unsent = parts.filter((p) => p.state === 'creating' && p.createNotSent).length;
        mostUnsentAtOnce = Math.max(mostUnsentAtOnce, unsent);
      }
      // The kills really left creates unsent (the test is not vacuous): on a quiet machine several
      // targets' at once; on a loaded CI machine a run may reach only one before its kill.
      expect(mostUnsentAtOnce).toBeGreaterThanOrEqual(1);

      // Real clock, in this process: a part that had to wait out the adoption window would not finish here.
      const done = await buildUntilDone(job.rig.dir, env, [], 60);
      expect(done.runs).toBeLessThanOrEqual(15);
      const books = await booksOf(emu, job, provider);
      const rows = compareRows(reference, await mergedFiles(job));
      expect({ kills, duplicates: books.duplicates, paidTwice: books.duplicateExecutions }).toEqual({
        kills: SUBJECTS + 1,
        duplicates: 0,
        paidTwice: 0,
      });
      expect(books.batchesCreated).toBe(books.batchesRecorded);
      expect(rows).toEqual({ expected: SUBJECTS * 6, lost: 0, wrong: 0, identical: true });
    } finally {
      await emu.close();
      await job.dispose();
    }
  }, 180_000);
});
