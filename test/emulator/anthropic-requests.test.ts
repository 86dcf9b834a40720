/**
 * Per-request outcomes of a message batch: params are checked when each request is processed (an
 * `errored` result, not a create-time 400), injected errors are realistic (overloaded_error /
 * api_error transient, invalid_request_error permanent), and re-sent bodies are counted as paid twice.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { byCustomId, createBatch, later, results, startAnthropicRig, type AnthropicRig } from './anthropic-helpers.ts';

let rig: AnthropicRig;
afterEach(() => rig.close());

const errorOf = (result: unknown) => (result as { error: { error: { type: string; message: string } } }).error.error;

describe('params are validated per request', () => {
  it('a bad request is an errored result with the API error; the others succeed', async () => {
    rig = await startAnthropicRig();
    const b = await createBatch(rig.client, 7, (i) => {
      if (i === 1) return { params: { max_tokens: undefined } };
      if (i === 2) return { model: 'claude-does-not-exist-9' };
      if (i === 3) return { params: { stream: true } };
      if (i === 4) return { params: { max_tokens: 100_000 } };
      if (i === 5) return { params: { messages: [] } };
      if (i === 6) return { params: { max_tokens: 3 } };
      return {};
    });
    const ended = await later(rig, b.id, 5000);
    expect(ended.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 5, canceled: 0, expired: 0 });
    const r = byCustomId(await results(rig.client, b.id));
    expect(r['req-0']?.type).toBe('succeeded');
    expect(r['req-1']).toEqual({
      type: 'errored',
      error: {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
        request_id: expect.stringMatching(/^req_011C/) as string,
      },
    });
    expect(errorOf(r['req-2'])).toEqual({ type: 'not_found_error', message: 'model: claude-does-not-exist-9' });
    expect(errorOf(r['req-3']).type).toBe('invalid_request_error');
    expect(errorOf(r['req-4']).message).toBe(
      'max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5',
    );
    expect(errorOf(r['req-5']).type).toBe('invalid_request_error');
    // max_tokens cuts the reply: stop_reason says so.
    expect(r['req-6']).toMatchObject({
      type: 'succeeded',
      message: { stop_reason: 'max_tokens', usage: { output_tokens: 3 } },
    });
    const stats = await rig.emulator.stats();
    expect(stats.requestsExecuted).toBe(7);
  });

  it('temperature/top_p/top_k are refused under anthropic-version 2026-10-21 (what SDK 1.x sends), not under 2023-06-01', async () => {
    rig = await startAnthropicRig();
    const params = { temperature: 0.7 };
    const current = await createBatch(rig.client, 1, () => ({ params }));
    const legacy = new Anthropic({
      apiKey: 'k',
      baseURL: rig.emulator.anthropicUrl,
      maxRetries: 0,
      defaultHeaders: { 'anthropic-version': '2023-06-01' },
    });
    const old = await createBatch(legacy, 1, () => ({ params }));
    rig.clock.advance(5000);
    const [refused] = await results(rig.client, current.id);
    expect(errorOf(refused?.result).message).toMatch(/^temperature: /);
    const [answered] = await results(legacy, old.id);
    expect(answered?.result.type).toBe('succeeded');
  });
});

describe('injected per-request errors', () => {
  it('5xx-like errors are transient (overloaded_error/api_error), 4xx permanent; resubmitting a success is a counted duplicate', async () => {
    rig = await startAnthropicRig({
      faults: { requestErrors: { customIds5xx: ['req-1', 'req-3'], customIds4xx: ['req-2'] } },
    });
    const first = await createBatch(rig.client, 4);
    expect((await later(rig, first.id, 5000)).request_counts).toMatchObject({ succeeded: 1, errored: 3 });
    const r = byCustomId(await results(rig.client, first.id));
    expect(['overloaded_error', 'api_error']).toContain(errorOf(r['req-1']).type);
    expect(['overloaded_error', 'api_error']).toContain(errorOf(r['req-3']).type);
    expect(errorOf(r['req-2']).type).toBe('invalid_request_error');
    // req-0 already succeeded (a paid duplicate), req-1 now succeeds, req-2 fails again.
    const retry = await createBatch(rig.client, 3);
    expect((await later(rig, retry.id, 5000)).request_counts).toMatchObject({ succeeded: 2, errored: 1 });
    const stats = await rig.emulator.stats();
    expect(stats).toMatchObject({ requestsExecuted: 7, duplicateExecutions: 1, batchesCreated: 2 });
  });

  it('rate-based errors pick the same requests for the same seed, with both server-side types', async () => {
    const failed = async () => {
      const r = await startAnthropicRig({ seed: 7, faults: { requestErrors: { rate5xx: 0.2 } } });
      const b = await createBatch(r.client, 200);
      r.clock.advance(10_000);
      const lines = (await results(r.client, b.id)).filter((l) => l.result.type === 'errored');
      await r.close();
      return lines.map((l) => `${l.custom_id}:${errorOf(l.result).type}`).sort();
    };
    rig = await startAnthropicRig();
    const a = await failed();
    expect(a).toEqual(await failed());
    expect(a.length).toBeGreaterThan(20);
    expect(a.some((x) => x.endsWith('overloaded_error'))).toBe(true);
    expect(a.some((x) => x.endsWith('api_error'))).toBe(true);
  });
});
