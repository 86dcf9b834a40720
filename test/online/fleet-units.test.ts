/**
 * The fleet's bookkeeping in isolation: what the journal says of each server (which answered a
 * row, which left one unanswered), `status`'s figures per server, and a server's health (drained
 * after a run of failures, its requests given up, probed again after a pause that doubles).
 * Time is a ManualClock; the probe is a function the test answers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replayJournal } from '../../src/stages/online/journal.ts';
import { describeOnline } from '../../src/stages/online/describe.ts';
import {
  FAILURES_TO_DRAIN,
  FIRST_PAUSE_MS,
  ServerHealth,
  type ProbeApi,
} from '../../src/stages/online/server-health.ts';
import type { TargetContext } from '../../src/stages/types.ts';
import { ManualClock } from '../../src/util/clock.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('journal of a fleet', () => {
  it('knows which server answered each row and which left a row unanswered, across runs', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'online-fleet-'));
    const file = path.join(dir, 'j.jsonl');
    const A = 'http://10.0.0.1:8000/v1';
    const B = 'http://10.0.0.2:8000/v1';
    const lines = [
      { t: 'run', at: 0, session: 's1', total: 4, todo: 4, lost: 0 },
      { t: 'sent', h: 'a', id: 'A', at: 1, s: A },
      { t: 'sent', h: 'b', id: 'B', at: 1, s: A },
      { t: 'sent', h: 'c', id: 'C', at: 1, s: B },
      { t: 'sent', h: 'd', id: 'D', at: 1, s: B },
      { t: 'ok', h: 'a', id: 'A', at: 2, in: 10, out: 5, s: A },
      // No answer from A (a dropped connection): A may have billed it; then B's 500 is an answer.
      { t: 'err', h: 'b', id: 'B', at: 2, code: 'connection_error', message: 'reset', final: false, session: 's1' },
      { t: 'sent', h: 'b', id: 'B', at: 3, s: B },
      { t: 'err', h: 'b', id: 'B', at: 4, status: 500, message: 'oops', final: false, session: 's1' },
      { t: 'ok', h: 'c', id: 'C', at: 4, in: 10, out: 5, s: B },
      // d: killed in flight on B.
    ];
    await writeFile(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const r = await replayJournal(file);
    expect(Object.fromEntries([...r.unansweredOn].map(([h, s]) => [h, [...s]]))).toEqual({ b: [A], d: [B] });
    expect(r.sinceRun.byServer).toEqual({ [A]: 1, [B]: 1 });
    const described = await describeOnline({ marker: file } as TargetContext, 10);
    expect(described.summary).toContain('by server: 10.0.0.1:8000 1, 10.0.0.2:8000 1');
  });
});

describe('ServerHealth', () => {
  const probing = (answers: boolean[]): ProbeApi & { calls: number } => {
    const api = {
      calls: 0,
      probe: () => {
        api.calls += 1;
        return Promise.resolve(answers.shift() ?? true);
      },
    };
    return api;
  };
  const never = new AbortController().signal;

  it('drains after a run of failures, gives up its requests, and comes back after a probe', async () => {
    const clock = new ManualClock();
    const health = new ServerHealth(clock, true);
    const held = health.signal;
    for (let i = 1; i < FAILURES_TO_DRAIN; i++) health.failed();
    health.answered(); // an answer between failures: not a run
    for (let i = 1; i < FAILURES_TO_DRAIN; i++) health.failed();
    expect(health.up).toBe(true);
    health.failed();
    expect(health.up).toBe(false);
    expect(held.aborted).toBe(true); // its requests in flight are given up
    expect(health.signal.aborted).toBe(false); // later requests are not

    const api = probing([false, true]);
    await health.probe(api, never); // too early: no probe
    expect(api.calls).toBe(0);
    clock.advance(FIRST_PAUSE_MS);
    await health.probe(api, never); // no answer: drained again, twice as long
    expect(health.up).toBe(false);
    expect(health.probeAt).toBe(clock.now() + 2 * FIRST_PAUSE_MS);
    clock.advance(2 * FIRST_PAUSE_MS);
    await health.probe(api, never);
    expect(health.up).toBe(true);
    expect(api.calls).toBe(2);
  });

  it('a server alone is never drained', () => {
    const health = new ServerHealth(new ManualClock(), false);
    for (let i = 0; i < 10; i++) health.failed();
    expect(health.up).toBe(true);
  });
});
