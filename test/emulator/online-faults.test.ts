import { APIConnectionError, APIConnectionTimeoutError, APIError, InternalServerError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { fateOf } from '../../src/emulator/online/faults.ts';
import { startRig, type Rig } from './helpers.ts';
import { chatBody, onlineStats, post, until } from './online-helpers.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const statusesOf = async (r: Rig, n: number): Promise<number[]> => {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) seen.push((await post(r, '/chat/completions', chatBody(i))).status);
  return seen;
};

describe('fates', () => {
  it('are fixed by seed, body and attempt, and the kinds never overlap', () => {
    const faults = { errors: [{ status: 500 as const, rate: 0.2 }], hangRate: 0.2, lostReplyRate: 0.2 };
    const draw = (seed: number) =>
      Array.from({ length: 400 }, (_, i) => fateOf(faults, seed, `hash-${i % 200}`, Math.floor(i / 200)).kind);
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    expect(draw(8)).not.toEqual(a);
    for (const kind of ['error', 'hang', 'lose-reply', 'run']) {
      const share = a.filter((k) => k === kind).length / a.length;
      expect(share).toBeGreaterThan(kind === 'run' ? 0.3 : 0.12);
      expect(share).toBeLessThan(kind === 'run' ? 0.5 : 0.28);
    }
    // A second attempt of the same body is drawn afresh.
    expect(a.slice(200)).not.toEqual(a.slice(0, 200));
  });
});

describe('error answers', () => {
  it('answer a share of requests with 5xx, the same ones for the same seed; a retry is drawn afresh', async () => {
    const faults = { online: { errors: [{ status: 502 as const, rate: 0.5 }] } };
    rig = await startRig({ seed: 3, faults });
    const first = await statusesOf(rig, 20);
    await rig.close();
    rig = await startRig({ seed: 3, faults });
    expect(await statusesOf(rig, 20)).toEqual(first);
    expect(first.filter((s) => s === 502).length).toBeGreaterThan(3);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(3);
    const failed = first.findIndex((s) => s === 502);
    const retries: number[] = [];
    for (let i = 0; i < 10 && retries.at(-1) !== 200; i++)
      retries.push((await post(rig, '/chat/completions', chatBody(failed))).status);
    expect(retries.at(-1)).toBe(200);
    const stats = await rig.emulator.stats();
    expect(stats.online.byStatus['502']).toBe(first.filter((s) => s === 502).length + retries.length - 1);
    // Failed answers are not billed.
    expect(stats.requestsExecuted).toBe(stats.online.byStatus['200']);
  });

  it("answer Groq flex's 498 and the 529 overload, with retry headers when asked", async () => {
    rig = await startRig({ faults: { online: { errors: [{ status: 498, rate: 1, retryAfterSeconds: 2 }] } } });
    const capacity = await post(rig, '/chat/completions', chatBody(1));
    expect(capacity).toMatchObject({ status: 498, body: { error: { code: 'capacity_exceeded' } } });
    expect(capacity.headers.get('retry-after')).toBe('2');
    expect(capacity.headers.get('retry-after-ms')).toBe('2000');
    await expect(rig.client.chat.completions.create(chatBody(1))).rejects.toSatisfy(
      (e) => e instanceof APIError && e.status === 498 && !(e instanceof InternalServerError),
    );
    rig.emulator.setFaults({ online: { errors: [{ status: 529, rate: 1 }] } });
    await expect(rig.client.chat.completions.create(chatBody(1))).rejects.toMatchObject({
      status: 529,
      type: 'overloaded_error',
    });
    expect((await onlineStats(rig)).byStatus).toEqual({ '498': 2, '529': 1 });
  });
});

describe('429 storms', () => {
  it('refuse every request inside the window, counted from when the faults were set', async () => {
    rig = await startRig({ faults: { online: { rateLimitStorms: [{ afterMs: 1000, durationMs: 5000 }] } } });
    expect((await post(rig, '/chat/completions', chatBody(1))).status).toBe(200);
    rig.clock.advance(1000);
    const refused = await post(rig, '/chat/completions', chatBody(2));
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'rate_limit_exceeded', type: 'requests' } } });
    expect(refused.headers.get('retry-after-ms')).toBe('5000');
    expect(refused.headers.get('retry-after')).toBe('5');
    rig.clock.advance(4999);
    expect((await post(rig, '/chat/completions', chatBody(2))).headers.get('retry-after-ms')).toBe('1');
    rig.clock.advance(1);
    expect((await post(rig, '/chat/completions', chatBody(2))).status).toBe(200);

    // Set at run time through the control route: the window starts at that moment.
    const set = await fetch(`http://127.0.0.1:${rig.emulator.port}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ online: { rateLimitStorms: [{ afterMs: 0, durationMs: 3000 }] } }),
    });
    expect(set.status).toBe(200);
    expect((await post(rig, '/chat/completions', chatBody(3))).headers.get('retry-after-ms')).toBe('3000');
  });

  it('are checked with the other online faults by the control route', async () => {
    rig = await startRig();
    const bad = await fetch(`http://127.0.0.1:${rig.emulator.port}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ online: { hangRate: 0.6, lostReplyRate: 0.6 } }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('add up to more than 1');
  });
});

describe('hung requests', () => {
  it('are never answered: the client times out, its slot is freed, nothing is billed', async () => {
    rig = await startRig({ online: { maxConcurrency: 1 }, faults: { online: { hangRate: 1 } } });
    await expect(rig.client.chat.completions.create(chatBody(1), { timeout: 50 })).rejects.toBeInstanceOf(
      APIConnectionTimeoutError,
    );
    await until(rig, (s) => s.active === 0);
    const stats = await rig.emulator.stats();
    expect(stats.online).toMatchObject({ hangs: 1, answered: 0, byStatus: {} });
    expect(stats.requestsExecuted).toBe(0);
  });

  it('end with a closed connection after hangMs of emulator time', async () => {
    rig = await startRig({ faults: { online: { hangRate: 1, hangMs: 30_000 } } });
    const call = rig.client.chat.completions.create(chatBody(1));
    await until(rig, (s) => s.hangs === 1 && s.active === 1);
    rig.clock.advance(30_000);
    await expect(call).rejects.toBeInstanceOf(APIConnectionError);
    await until(rig, (s) => s.active === 0);
  });
});

describe('lost replies', () => {
  it('are worked on and billed, but the client hears nothing; sending again pays twice', async () => {
    rig = await startRig({ faults: { online: { lostReplyRate: 1 } } });
    await expect(rig.client.chat.completions.create(chatBody(1))).rejects.toBeInstanceOf(APIConnectionError);
    let stats = await rig.emulator.stats();
    expect(stats.online).toMatchObject({ answered: 1, lostReplies: 1, bodiesAnsweredTwice: 0, byStatus: {} });
    expect(stats.requestsExecuted).toBe(1);
    rig.emulator.setFaults({});
    await expect(rig.client.chat.completions.create(chatBody(1))).resolves.toMatchObject({ object: 'chat.completion' });
    stats = await rig.emulator.stats();
    expect(stats.online.bodiesAnsweredTwice).toBe(1);
    expect(stats.duplicateExecutions).toBe(1);
  });

  it('are billed across emulator restarts on one state dir (the execution ledger)', async () => {
    rig = await startRig({ faults: { online: { lostReplyRate: 1 } } });
    const { stateDir } = rig;
    await expect(rig.client.chat.completions.create(chatBody(1))).rejects.toBeInstanceOf(APIConnectionError);
    await rig.emulator.close();
    const again = await startRig({ stateDir });
    try {
      await again.client.chat.completions.create(chatBody(1));
      expect((await again.emulator.stats()).duplicateExecutions).toBe(1);
    } finally {
      await again.close();
    }
  });
});
