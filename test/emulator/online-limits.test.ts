import { APIConnectionTimeoutError, InternalServerError, RateLimitError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/emulator/online/duration.ts';
import { startRig, type Rig } from './helpers.ts';
import { chatBody, onlineStats, post, until } from './online-helpers.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const rateHeaders = (h: Headers) =>
  Object.fromEntries([...h.entries()].filter(([k]) => k.startsWith('x-ratelimit-') || k.startsWith('retry-after')));

describe('reset durations', () => {
  it("are written in OpenAI's (Go's) notation", () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(0.2)).toBe('1ms');
    expect(formatDuration(120)).toBe('120ms');
    expect(formatDuration(1000)).toBe('1s');
    expect(formatDuration(8640)).toBe('8.64s');
    expect(formatDuration(90_500)).toBe('1m30.5s');
    expect(formatDuration(360_000)).toBe('6m0s');
    expect(formatDuration(3_723_000)).toBe('1h2m3s');
  });
});

describe('requests per minute', () => {
  it('lets the limit through, then answers 429 with retry-after until the bucket refills', async () => {
    rig = await startRig({ online: { requestsPerMinute: 3 } });
    const first = await post(rig, '/chat/completions', chatBody(1));
    expect(first.status).toBe(200);
    expect(rateHeaders(first.headers)).toEqual({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '2',
      'x-ratelimit-reset-requests': '20s',
    });
    await rig.client.chat.completions.create(chatBody(2));
    const third = await post(rig, '/chat/completions', chatBody(3));
    expect(third.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(third.headers.get('x-ratelimit-reset-requests')).toBe('1m0s');

    const refused = await post(rig, '/chat/completions', chatBody(4));
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: {
        message:
          'Rate limit reached for gpt-4.1-mini in organization org-emulator on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.',
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    expect(rateHeaders(refused.headers)).toMatchObject({ 'retry-after': '20', 'retry-after-ms': '20000' });
    await expect(rig.client.chat.completions.create(chatBody(4))).rejects.toBeInstanceOf(RateLimitError);

    rig.clock.advance(19_999);
    expect((await post(rig, '/chat/completions', chatBody(4))).headers.get('retry-after-ms')).toBe('1');
    rig.clock.advance(1);
    await expect(rig.client.chat.completions.create(chatBody(4))).resolves.toMatchObject({ object: 'chat.completion' });
    // 429s are not charged: the three refused calls left the bucket as it was.
    expect((await onlineStats(rig)).byStatus).toEqual({ '200': 4, '429': 3 });
  });

  it('is kept per model', async () => {
    rig = await startRig({ online: { requestsPerMinute: 1 } });
    expect((await post(rig, '/chat/completions', chatBody(1))).status).toBe(200);
    expect((await post(rig, '/chat/completions', chatBody(1, { model: 'gpt-4.1' }))).status).toBe(200);
    expect((await post(rig, '/chat/completions', chatBody(2))).status).toBe(429);
  });
});

describe('tokens per minute', () => {
  it('charges prompt tokens plus max_tokens when the request arrives', async () => {
    rig = await startRig({ online: { tokensPerMinute: 1000 } });
    const probe = await rig.client.chat.completions.create(chatBody(1, { max_tokens: 400 }));
    const prompt = probe.usage?.prompt_tokens ?? 0;
    expect(prompt).toBeGreaterThan(5);
    // The answer used a few completion tokens, but the limit counted all 400 it may use.
    expect(probe.usage?.completion_tokens).toBeLessThan(20);
    const second = await post(rig, '/chat/completions', chatBody(2, { max_completion_tokens: 400 }));
    const left = 1000 - 2 * (prompt + 400);
    expect(rateHeaders(second.headers)).toEqual({
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': String(left),
      'x-ratelimit-reset-tokens': formatDuration(((1000 - left) * 60_000) / 1000),
    });

    const refused = await post(rig, '/chat/completions', chatBody(3, { max_tokens: 400 }));
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { type: 'tokens', code: 'rate_limit_exceeded' } });
    const waitMs = ((prompt + 400 - left) * 60_000) / 1000;
    expect(refused.headers.get('retry-after-ms')).toBe(String(Math.ceil(waitMs)));
    expect(refused.headers.get('retry-after')).toBe(String(Math.ceil(waitMs / 1000)));
    expect((refused.body.error as { message: string }).message).toContain(
      `Limit 1000, Used ${1000 - left}, Requested ${prompt + 400}. Please try again in ${formatDuration(waitMs)}.`,
    );
    rig.clock.advance(Math.ceil(waitMs));
    expect((await post(rig, '/chat/completions', chatBody(3, { max_tokens: 400 }))).status).toBe(200);
  });

  it('refuses a request larger than the whole limit, without retry headers', async () => {
    rig = await startRig({ online: { tokensPerMinute: 1000 } });
    const refused = await post(rig, '/chat/completions', chatBody(1, { max_tokens: 2000, n: 1 }));
    expect(refused.status).toBe(429);
    expect((refused.body.error as { message: string }).message).toMatch(
      /^Request too large for gpt-4\.1-mini .* on tokens per min \(TPM\): Limit 1000, Requested \d+\. The input or output tokens must be reduced/,
    );
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(refused.headers.get('x-ratelimit-remaining-tokens')).toBe('1000');
  });

  it('counts tokens per minute window for the stats', async () => {
    rig = await startRig({ online: { tokensPerMinute: 100_000 } });
    const a = await rig.client.chat.completions.create(chatBody(1, { max_tokens: 50 }));
    rig.clock.advance(60_000);
    await rig.client.chat.completions.create(chatBody(2));
    await rig.client.chat.completions.create(chatBody(3));
    const { windows } = await onlineStats(rig);
    expect(windows.map((w) => [w.requests, w.answered])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(windows[0]?.chargedTokens).toBe((a.usage?.prompt_tokens ?? 0) + 50);
    expect(windows[0]?.completionTokens).toBe(a.usage?.completion_tokens);
    expect((windows[1]?.startMs ?? 0) - (windows[0]?.startMs ?? 0)).toBe(60_000);
  });
});

describe('rate-limit headers', () => {
  it('come with both limits, can be turned off, and are absent without limits', async () => {
    rig = await startRig({ online: { requestsPerMinute: 600, tokensPerMinute: 200_000 } });
    expect(Object.keys(rateHeaders((await post(rig, '/chat/completions', chatBody(1))).headers)).sort()).toEqual([
      'x-ratelimit-limit-requests',
      'x-ratelimit-limit-tokens',
      'x-ratelimit-remaining-requests',
      'x-ratelimit-remaining-tokens',
      'x-ratelimit-reset-requests',
      'x-ratelimit-reset-tokens',
    ]);
    expect((await post(rig, '/chat/completions', chatBody(1))).headers.get('x-ratelimit-reset-requests')).toBe('200ms');
    await rig.close();

    rig = await startRig({ online: { requestsPerMinute: 1, rateLimitHeaders: false } });
    expect(rateHeaders((await post(rig, '/chat/completions', chatBody(1))).headers)).toEqual({});
    const refused = await post(rig, '/chat/completions', chatBody(2));
    expect(refused.status).toBe(429);
    expect(rateHeaders(refused.headers)).toEqual({ 'retry-after': '60', 'retry-after-ms': '60000' });
    await rig.close();

    rig = await startRig();
    expect(rateHeaders((await post(rig, '/chat/completions', chatBody(1))).headers)).toEqual({});
  });
});

describe('concurrency slots and queue', () => {
  it('works on N at once, queues the next, answers 503 when the queue is full', async () => {
    rig = await startRig({ online: { maxConcurrency: 2, maxQueue: 1, baseLatencyMs: 1000 } });
    const { client } = rig;
    const calls = [1, 2, 3, 4].map((i) =>
      client.chat.completions.create(chatBody(i)).then(
        (r) => r.choices[0]?.message.content ?? '',
        (e: unknown) => e,
      ),
    );
    await until(rig, (s) => s.active === 2 && s.queued === 1 && s.byStatus['503'] === 1);
    rig.clock.advance(1000);
    await until(rig, (s) => s.answered === 2 && s.active === 1 && s.queued === 0);
    rig.clock.advance(1000);
    const results = await Promise.all(calls);
    const refused = results.filter((r) => r instanceof InternalServerError);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({
      status: 503,
      message: '503 server busy, please try again.  maximum pending requests exceeded',
    });
    expect(results.filter((r) => typeof r === 'string')).toHaveLength(3);
    expect(await onlineStats(rig)).toMatchObject({
      peakConcurrency: 2,
      peakQueue: 1,
      active: 0,
      queued: 0,
      byStatus: { '200': 3, '503': 1 },
    });
  });

  it('takes latency per output token on the emulator clock, divided by its speed', async () => {
    rig = await startRig({ speed: 2, online: { baseLatencyMs: 100, latencyPerOutputTokenMs: 10 } });
    const reply = rig.client.chat.completions.create(chatBody(1));
    await until(rig, (s) => s.active === 1);
    // The reply has 8 tokens ("A large fast query number 1."): (100 + 8 × 10) / 2 = 90 ms.
    rig.clock.advance(89);
    expect(await onlineStats(rig)).toMatchObject({ active: 1, answered: 0 });
    rig.clock.advance(1);
    const done = await reply;
    expect(done.usage?.completion_tokens).toBe(8);
    expect((await onlineStats(rig)).answered).toBe(1);
  });

  it('frees the slot of a client that gives up, without billing it', async () => {
    rig = await startRig({ online: { maxConcurrency: 1, baseLatencyMs: 1000 } });
    await expect(rig.client.chat.completions.create(chatBody(1), { timeout: 50 })).rejects.toBeInstanceOf(
      APIConnectionTimeoutError,
    );
    await until(rig, (s) => s.active === 0);
    const next = rig.client.chat.completions.create(chatBody(2));
    await until(rig, (s) => s.active === 1);
    rig.clock.advance(1000);
    await next;
    const stats = await rig.emulator.stats();
    expect(stats.online.answered).toBe(1);
    expect(stats.requestsExecuted).toBe(1);
  });
});
