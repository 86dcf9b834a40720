/**
 * The online runner's pure parts on an injected clock: token buckets, `x-ratelimit-*` and
 * `retry-after` parsing, the limiter's concurrency, pacing, global cool-down and learned limits,
 * and the journal's replay after a kill (torn line, requests lost in flight).
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Limiter, type Permit } from '../../src/stages/online/limiter.ts';
import { replayJournal } from '../../src/stages/online/journal.ts';
import { LineAppender } from '../../src/stages/online/line-appender.ts';
import { parseDuration, readRateLimits, retryAfterMs } from '../../src/stages/online/rate-headers.ts';
import { TokenBucket } from '../../src/stages/online/token-bucket.ts';
import { isLocalUrl } from '../../src/stages/online/services.ts';
import { ManualClock } from '../../src/util/clock.ts';

const flush = () => new Promise<void>((r) => setImmediate(r));
const headers = (h: Record<string, string>) => (name: string) => h[name];

describe('TokenBucket', () => {
  it('refills continuously up to its limit and says how long a cost must wait', () => {
    const b = new TokenBucket(600, 0, 0); // 10 per second
    expect(b.waitFor(1, 0)).toBe(100);
    expect(b.level(50)).toBeCloseTo(0.5);
    expect(b.waitFor(1, 100)).toBe(0);
    b.take(1, 100);
    expect(b.level(100)).toBeCloseTo(0);
    expect(b.level(10 * 60_000)).toBe(600); // capped
  });

  it('lets a cost above the limit through once full, then pays it back', () => {
    const b = new TokenBucket(100, 0);
    expect(b.waitFor(250, 0)).toBe(0);
    b.take(250, 0);
    expect(b.waitFor(1, 0)).toBe(Math.ceil((151 * 60_000) / 100));
  });

  it('a lower learned limit caps the level', () => {
    const b = new TokenBucket(1000, 0);
    b.setLimit(100, 0);
    expect(b.level(0)).toBe(100);
  });
});

describe('rate-limit headers', () => {
  it("reads OpenAI's x-ratelimit-* headers and reset durations", () => {
    const info = readRateLimits(
      headers({
        'x-ratelimit-limit-requests': '600',
        'x-ratelimit-remaining-requests': '599',
        'x-ratelimit-reset-requests': '100ms',
        'x-ratelimit-limit-tokens': '200000',
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-tokens': '6m0s',
      }),
    );
    expect(info).toEqual({
      limitRequests: 600,
      remainingRequests: 599,
      resetRequestsMs: 100,
      limitTokens: 200_000,
      remainingTokens: 0,
      resetTokensMs: 360_000,
    });
    expect(readRateLimits(headers({}))).toEqual({});
    expect(parseDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('prefers retry-after-ms, then retry-after in seconds or as a date', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' }), 0)).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': '3' }), 0)).toBe(3000);
    const now = Date.UTC(2026, 0, 1);
    expect(retryAfterMs(headers({ 'retry-after': new Date(now + 5000).toUTCString() }), now)).toBe(5000);
    expect(retryAfterMs(headers({}), 0)).toBeUndefined();
  });
});

describe('Limiter', () => {
  const never = new AbortController().signal;

  it('caps requests in flight', async () => {
    const clock = new ManualClock(0);
    const limiter = new Limiter({ maxConcurrency: 2 }, clock);
    const a = await limiter.acquire(1, never);
    await limiter.acquire(1, never);
    let third: Permit | undefined;
    void limiter.acquire(1, never).then((p) => (third = p));
    await flush();
    expect(third).toBeUndefined();
    a.release();
    await flush();
    expect(third).toBeDefined();
  });

  it('paces requests by the per-minute budget', async () => {
    const clock = new ManualClock(0);
    const limiter = new Limiter({ maxConcurrency: 100, requestsPerMinute: 60 }, clock); // one per second
    const times: number[] = [];
    const take = async () => {
      (await limiter.acquire(1, never)).release();
      times.push(clock.now());
    };
    const all = Promise.all([take(), take(), take(), take(), take(), take(), take(), take()]);
    for (let i = 0; i < 20; i++) {
      await flush();
      clock.advance(500);
    }
    await all;
    // 6 at once (a tenth of the minute), then one per second.
    expect(times.filter((t) => t === 0)).toHaveLength(6);
    expect(times.slice(6)).toEqual([1000, 2000]);
  });

  it('a rate-limit answer pauses every worker for retry-after, not only the one that got it', async () => {
    const clock = new ManualClock(0);
    const limiter = new Limiter({ maxConcurrency: 10 }, clock);
    expect(limiter.throttled(5000, {})).toBe(5000);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) void limiter.acquire(1, never).then(() => got.push(clock.now()));
    await flush();
    clock.advance(4999);
    await flush();
    expect(got).toEqual([]);
    clock.advance(1);
    await flush();
    await flush();
    expect(got).toEqual([5000, 5000, 5000]);
    expect(limiter.counts.throttled).toBe(1);
  });

  it('backs off exponentially without a hint, and from the reset header of the exhausted budget', () => {
    const clock = new ManualClock(0);
    const limiter = new Limiter({ maxConcurrency: 1 }, clock);
    expect(limiter.throttled(undefined, {})).toBe(1000);
    expect(limiter.throttled(undefined, {})).toBe(2000);
    limiter.succeeded();
    expect(limiter.throttled(undefined, { remainingTokens: 0, resetTokensMs: 7000, limitTokens: 100 })).toBe(7000);
  });

  it('learns limits from headers but never above the configured ones', () => {
    const clock = new ManualClock(0);
    const configured = new Limiter({ maxConcurrency: 1, requestsPerMinute: 100 }, clock);
    configured.learn({ limitRequests: 600, limitTokens: 50_000 });
    expect(configured.limits).toEqual({ requestsPerMinute: 100, tokensPerMinute: 50_000 });
    configured.learn({ limitRequests: 30 });
    expect(configured.limits.requestsPerMinute).toBe(30);
    const open = new Limiter({ maxConcurrency: 1 }, clock);
    expect(open.limits).toEqual({});
    open.learn({ limitRequests: 600, remainingRequests: 0 });
    expect(open.limits).toEqual({ requestsPerMinute: 600 });
  });

  it('a first budget learned from an answer leaves out the other requests still in flight', async () => {
    const clock = new ManualClock(0);
    const limiter = new Limiter({ maxConcurrency: 10 }, clock);
    // Five sent before any limit was known; the first answer says 50 remain, counted when it left
    // the server: the four others may not be in that count yet.
    const permits = await Promise.all(Array.from({ length: 5 }, () => limiter.slot(never)));
    limiter.learn({ limitRequests: 600, remainingRequests: 50 });
    permits[0]!.release();
    let sendable = 0;
    while (limiter.tryTake(1) === 0) sendable += 1;
    expect(sendable).toBe(46);
  });
});

describe('journal', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('replays answers, final failures and requests lost in flight, skipping a torn last line', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'online-journal-'));
    const file = path.join(dir, 'j.jsonl');
    const lines = [
      { t: 'run', at: 0, session: 's1', total: 4, todo: 4, lost: 0 },
      { t: 'sent', h: 'a', id: 'A', at: 1 },
      { t: 'sent', h: 'b', id: 'B', at: 1 },
      { t: 'sent', h: 'c', id: 'C', at: 1 },
      { t: 'ok', h: 'a', id: 'A', at: 2, in: 10, out: 5 },
      { t: 'err', h: 'b', id: 'B', at: 2, status: 400, message: 'bad', final: true, session: 's1' },
      { t: 'sent', h: 'd', id: 'D', at: 3 },
      { t: 'err', h: 'd', id: 'D', at: 4, status: 500, message: 'oops', final: false, session: 's1' },
    ];
    await writeFile(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"t":"ok","h":"c","id":"C","at`);
    const r = await replayJournal(file);
    expect([...r.lostInFlight]).toEqual(['c']); // its answer line was torn: sent again
    expect([...r.failures.keys()]).toEqual(['b']);
    expect(r.sinceRun).toMatchObject({ ok: 1, failed: 1, input: 10, output: 5 });
    expect(r.stopped).toBeUndefined();
    expect((await replayJournal(path.join(dir, 'none.jsonl'))).failures.size).toBe(0);
  });

  it('appends whole lines after a torn one, each written before append resolves', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'online-journal-'));
    const file = path.join(dir, 'j.jsonl');
    await writeFile(file, '{"t":"sent","h":"x"');
    const appender = await LineAppender.open(file);
    await Promise.all([1, 2, 3].map((i) => appender.append({ t: 'sent', h: `h${i}`, id: `${i}`, at: i })));
    // Written (not only buffered) before close: a kill now would not lose them.
    const before = await readFile(file, 'utf8');
    expect(before.split('\n').filter(Boolean)).toHaveLength(4);
    await appender.close();
    await appendFile(file, '');
    expect([...(await replayJournal(file)).lostInFlight]).toEqual(['h1', 'h2', 'h3']);
  });
});

describe('local servers', () => {
  it('knows loopback and private addresses need no key', () => {
    for (const url of [
      'http://localhost:11434/v1',
      'http://127.0.0.1:8000/v1',
      'http://[::1]:8080/v1',
      'http://192.168.1.5:8000/v1',
      'http://gpu-box:8000/v1',
    ])
      expect(isLocalUrl(url), url).toBe(true);
    for (const url of ['https://api.openai.com/v1', 'https://example.org/v1']) expect(isLocalUrl(url), url).toBe(false);
  });
});

describe('Limiter and a full queue', () => {
  it('a 503 without retry-after lowers the requests sent at once to what the server held', async () => {
    const clock = new ManualClock(0);
    const never = new AbortController().signal;
    const limiter = new Limiter({ maxConcurrency: 8 }, clock);
    const permits = await Promise.all(Array.from({ length: 5 }, () => limiter.acquire(1, never)));
    limiter.throttled(undefined, {}, 503);
    expect(limiter.concurrency).toBe(4);
    for (const p of permits) p.release();
    clock.advance(1000); // the cool-down that came with it
    const again = await Promise.all(Array.from({ length: 4 }, () => limiter.acquire(1, never)));
    let fifth = false;
    void limiter.acquire(1, never).then(() => (fifth = true));
    await flush();
    expect(fifth).toBe(false);
    again[0]!.release();
    await flush();
    expect(fifth).toBe(true);
  });
});
