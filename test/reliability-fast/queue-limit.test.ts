/**
 * Short version of the queue-limit campaign (test/reliability/queue-limit.ts, issue #18), through
 * the real CLI: the 57 subjects with 4 records each against an enqueued-token limit below every
 * request file and no limit flag. The campaign runs the full job (14,042 records, 200,000 tokens).
 */
import { expect, it } from 'vitest';
import { referenceRun } from '../reliability/lib.ts';
import { queueLimitCampaign } from '../reliability/queue-limit.ts';

it('a queue limit below every request file, no flag: learned from the first failures, never hit again; nothing lost or paid twice', async () => {
  const spec = { subjects: 57, records: 4, seed: 17 };
  const reference = await referenceRun(spec);
  const f = await queueLimitCampaign({
    spec,
    reference,
    limit: { shareOfSmallestFile: 0.75 },
    backoffSeconds: 2,
    pollSeconds: 0.02,
    waitSliceMs: 20_000,
    deadlineMs: 8 * 60_000,
  });
  expect(f.unclear).toEqual([]);
  expect(f.subjectsAboveLimit).toBe(57);
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
}, 600_000);
