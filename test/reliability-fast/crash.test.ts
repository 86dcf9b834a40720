/** A small crash campaign: ~15 SIGKILLs of the whole build process group, re-run after each. */
import { expect, it } from 'vitest';
import { crashCampaign } from '../reliability/crash.ts';
import { referenceRun } from '../reliability/lib.ts';

it('15 kills at random moments and failpoints: no duplicate, no lost or wrong row, byte-identical output', async () => {
  const spec = { subjects: 3, records: 8, seed: 21 };
  const reference = await referenceRun(spec);
  const f = await crashCampaign({ spec, kills: 15, seed: 7, reference, failpointShare: 0.4, maxDelayMs: 2200 });
  expect(f.unexpected).toEqual([]);
  expect({ duplicates: f.duplicates, lost: f.rowsLost, wrong: f.rowsWrong, identical: f.allIdentical }).toEqual({
    duplicates: 0,
    lost: 0,
    wrong: 0,
    identical: true,
  });
  expect(f.batchesCreated).toBe(f.batchesRecorded);
  expect(f.kills).toBeGreaterThanOrEqual(15);
}, 150_000);
