/**
 * Short versions of two batch-hole campaigns (test/reliability/holes.ts), through the real CLI:
 * result files deleted before the tool downloads them, and a provider where every batch expires.
 */
import { expect, it } from 'vitest';
import { endlessExpiryCampaign, lostResultsCampaign } from '../reliability/holes.ts';
import { referenceRun } from '../reliability/lib.ts';

it('lost result files: every lost request is sent again and reported; no duplicate, identical output, never stuck', async () => {
  const spec = { subjects: 2, records: 5, seed: 51 };
  const reference = await referenceRun(spec);
  // The first batch of each subject loses its output and/or error file.
  const f = await lostResultsCampaign({
    spec,
    reference,
    seed: 5,
    deleteChance: 1,
    maxLossesPerSubject: 1,
    requestErrorRate: 0.3,
    maxRuns: 8,
  });
  expect(f.unclear).toEqual([]);
  expect({
    finished: f.finished,
    duplicates: f.duplicates,
    lost: f.rowsLost,
    wrong: f.rowsWrong,
    identical: f.identical,
  }).toEqual({ finished: true, duplicates: 0, lost: 0, wrong: 0, identical: true });
  expect(f.batchesHit).toBe(2);
  expect(f.reported).toBe(f.batchesHit);
  expect(f.duplicateExecutions).toBe(f.reExecutionsExpected);
  expect(f.batchesCreated).toBe(f.batchesRecorded);
}, 90_000);

it('endless expiry: the build ends (exit 1) after maxUnansweredAttempts batches naming every row, then finishes once the provider recovers', async () => {
  const spec = { subjects: 2, records: 3, seed: 52 };
  const reference = await referenceRun(spec);
  const f = await endlessExpiryCampaign({ spec, reference, maxUnansweredAttempts: 2 });
  expect(f.unclear).toEqual([]);
  expect(f.endExit).toBe(1);
  expect(f.batchesExpired).toBe(spec.subjects * 2);
  expect(f.rowsNamed).toBe(spec.subjects * spec.records);
  expect({
    finished: f.finished,
    duplicates: f.duplicates,
    lost: f.rowsLost,
    wrong: f.rowsWrong,
    identical: f.identical,
  }).toEqual({ finished: true, duplicates: 0, lost: 0, wrong: 0, identical: true });
}, 90_000);
