/**
 * A server at its rate limit is waited on once, not once per free slot: the online runner has one
 * dispatcher per server, so a rule with many slots (`maxConcurrency: 48`) and a tight budget does
 * not wake every idle slot for each request the budget allows (which cost more CPU than the
 * requests on a fleet of large servers). Counted as the waits the run asks of its clock, in the
 * real CLI (in-process, `main`) against the emulator over loopback, sharing one clock that runs
 * faster than the system's so the budget refills within the test.
 */
import { afterEach, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { systemClock, type Clock } from '../../src/util/clock.ts';
import { Rig } from '../helpers/rig.ts';
import { FAKE_KEY } from '../e2e/helpers.ts';
import { requestLines } from '../e2e/online-helpers.ts';

let rig: Rig | undefined;
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  await rig?.dispose();
  rig = emulator = undefined;
});

/** The system clock run `factor` times faster, counting the waits asked of it. */
function countingClock(factor: number): Clock & { sleeps: number } {
  const t0 = Date.now();
  const p0 = performance.now();
  const clock = {
    sleeps: 0,
    now: () => t0 + (performance.now() - p0) * factor,
    sleep: (ms: number, signal?: AbortSignal) => {
      clock.sleeps += 1;
      return systemClock.sleep(ms / factor, signal);
    },
  };
  return clock;
}

it('waits for a rate budget once per server, not once per idle slot', { timeout: 60_000 }, async () => {
  const rows = 40;
  rig = await Rig.create('pipeline-dispatch-');
  const clock = countingClock(20);
  emulator = await startEmulator({ stateDir: rig.path('emulator'), clock, speed: 1 });
  // 120 a minute: a tenth of a minute's budget at once (12), then one every half second.
  const stage = { kind: 'online', baseURL: emulator.url, maxConcurrency: 48, requestsPerMinute: 120 };
  await rig.write({
    'pipeline.config.ts': `export default {
  root: 'data',
  rules: [{ name: 'online', inputs: ['requests/{name}.jsonl'], output: 'results/{name}.jsonl', marker: 'journal/{name}.jsonl', stage: ${JSON.stringify(stage)} }],
};
`,
    'data/requests/a.jsonl': requestLines(rows),
  });
  let out = '';
  const output = { isTTY: false, color: false, columns: 120, write: (t: string) => void (out += t) };
  const code = await main(['build'], {
    stdout: output,
    stderr: output,
    cwd: rig.dir,
    env: { OPENAI_API_KEY: FAKE_KEY },
    signal: new AbortController().signal,
    clock,
  });
  expect(code, out).toBe(0);
  expect(await rig.lines('data/results/a.jsonl')).toHaveLength(rows);
  expect((await emulator.stats()).online.byStatus['429'] ?? 0).toBe(0);
  // 28 requests wait for the budget. One waiter per server: 4 waits on a quiet run, 41 on a CI
  // machine under load (a slow turn of the loop lets the budget refill between wake-ups). One
  // waiter per idle slot, as before: 206 on the quiet run, every slot woken per request.
  expect(clock.sleeps).toBeLessThan(rows * 2);
});
