/**
 * Short versions of two campaigns, through the real CLI: a provider whose list lags, whose clock
 * is hours off and which loses every create's reply (test/reliability/lagging-lists.ts), and builds
 * racing for the lock, on a free lock and on one still being written (test/reliability/lock-races.ts).
 */
import { expect, it } from 'vitest';
import { laggingListsCampaign } from '../reliability/lagging-lists.ts';
import { referenceRun } from '../reliability/lib.ts';
import { lockRaceCampaign } from '../reliability/lock-races.ts';

it('lagging list, skewed clock, lost create replies: every batch adopted, none created twice, nothing lost', async () => {
  const spec = { subjects: 2, records: 4, seed: 53 };
  const reference = await referenceRun(spec);
  const f = await laggingListsCampaign({
    spec,
    reference,
    seed: 7,
    skewsMs: [-3 * 3_600_000],
    listLagMs: 6_000,
    lostReplyRate: 1,
    maxRuns: 30,
  });
  expect(f.unclear).toEqual([]);
  // Whether a build ran while the list still lagged depends on how fast builds start (the campaign's
  // 45 s lag makes sure of it; test/batch/holes.test.ts proves the wait on a manual clock).
  expect(f.adoptions).toBe(2);
  expect({
    finished: f.finished,
    duplicates: f.duplicates,
    lost: f.rowsLost,
    wrong: f.rowsWrong,
    identical: f.identical,
  }).toEqual({ finished: true, duplicates: 0, lost: 0, wrong: 0, identical: true });
}, 180_000);

it('builds racing for the lock: exactly one proceeds, the others name it; a lock being written makes all wait', async () => {
  const spec = { subjects: 1, records: 3, seed: 54 };
  const reference = await referenceRun(spec);
  const f = await lockRaceCampaign({
    spec,
    reference,
    trials: [
      { racers: 2, kind: 'free' },
      { racers: 2, kind: 'being-written' },
    ],
  });
  expect(f.unclear).toEqual([]);
  expect({ oneWinner: f.oneWinner, allWaited: f.allWaited, doubleHolds: f.doubleHolds }).toEqual({
    oneWinner: 1,
    allWaited: 1,
    doubleHolds: 0,
  });
  expect({ finished: f.finished, duplicates: f.duplicates, lost: f.rowsLost, identical: f.identical }).toEqual({
    finished: true,
    duplicates: 0,
    lost: 0,
    identical: true,
  });
}, 180_000);
