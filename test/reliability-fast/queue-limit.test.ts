/**
 * Short version of the queue-limit campaign (test/reliability/queue-limit.ts, issue #18), through
 * the real CLI: 10 subjects with 4 records each against an enqueued-token limit below every request
 * file and no limit flag, so every part waits for the one before it (the campaign's scaled-down row
 * had 57 such subjects: over 100 batches one after the other, ten minutes on a busy machine). The
 * campaign runs the full job (57 subjects, 14,042 records, 200,000 tokens).
 */
import { expect, it } from 'vitest';
import { referenceRun } from '../reliability/lib.ts';
import { queueLimitCampaign } from '../reliability/queue-limit.ts';

it('a queue limit below every request file, no flag: learned from the first failures, never hit again; nothing lost or paid twice', async () => {
  const spec = { subjects: 10, records: 4, seed: 17 };
  const reference = await referenceRun(spec);
  const f = await queueLimitCampaign({
    spec,
    reference,
    limit: { shareOfSmallestFile: 0.75 },
    backoffSeconds: 2,
    pollSeconds: 0.02,
    waitSliceMs: 20_000,
    deadlineMs: 5 * 60_000,
  });
  expect(f.unclear).toEqual([]);
  expect(f.subjectsAboveLimit).toBe(spec.subjects);
  expect(f.learnedLimit).toBe(f.limit);
  expect(f.failuresAfterLearned).toBe(0);
  expect(f.peakEnqueued).toBeLessThanOrEqual(f.limit);
  expect({
    finished: f.finished,
    duplicates: f.duplicates,
    lost: f.rowsLost,
    wrong: f.rowsWrong,
    identical: f.identical,
  }).toEqual({ finished: true, duplicates: 0, lost: 0, wrong: 0, identical: true });
}, 420_000);
