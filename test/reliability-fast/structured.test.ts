/**
 * A short version of the structured-output campaign (test/reliability/structured.ts), through the
 * real CLI: 20% invalid replies, a few SIGKILLs; every row ends valid or named, the only bodies
 * executed again are re-asks, and no batch is created twice.
 */
import { expect, it } from 'vitest';
import { structuredCampaign } from '../reliability/structured.ts';

it('20% invalid replies with kills: every row valid or named, no duplicate execution, no duplicate batch', async () => {
  const f = await structuredCampaign({ subjects: 1, records: 12, invalidRate: 0.2, kills: 1, seed: 14 });
  expect(f.finished).toBe(true);
  expect(f.invalidReplies).toBeGreaterThan(0);
  expect({ lost: f.lost, duplicates: f.duplicates }).toEqual({ lost: 0, duplicates: 0 });
  expect(f.valid + f.named).toBe(f.rows);
  expect(f.batchesCreated).toBe(f.batchesRecorded);
}, 90_000);
