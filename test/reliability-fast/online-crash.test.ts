/**
 * The online runner SIGKILLed at 5 random moments of a run, then run to the end: no request
 * answered twice except those whose answer a kill lost in flight (counted apart), no row lost.
 * The 50-kill version is a row of the reliability campaign (`npm run reliability online-crash`).
 */
import { expect, it } from 'vitest';
import { onlineCrashCampaign } from '../reliability/online-crash.ts';

it('SIGKILL at random moments: zero requests answered twice (besides answers lost in flight), zero rows lost', async () => {
  const f = await onlineCrashCampaign({ kills: 5, seed: 7, log: (l) => process.stderr.write(`${l}\n`) });
  expect(f.kills).toBe(5);
  expect({ finished: f.finished, duplicates: f.duplicates, rowsLost: f.rowsLost }).toEqual({
    finished: true,
    duplicates: 0,
    rowsLost: 0,
  });
  // Re-sent answers are only ever those a kill lost while in flight.
  expect(f.reanswered).toBeLessThanOrEqual(f.lostInFlight);
}, 300_000);
