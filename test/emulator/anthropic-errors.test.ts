/**
 * Message Batches refusals as the SDK sees them: every error envelope
 * `{type:"error", error:{type, message}, request_id}` with its HTTP status and SDK error class, the
 * `request-id` header on every answer, the create limits and the custom_id rule.
 */
import Anthropic, {
  AuthenticationError,
  BadRequestError,
  ContentTooLargeError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatch, messageRequest, startAnthropicRig, type AnthropicRig } from './anthropic-helpers.ts';

let rig: AnthropicRig;
afterEach(() => rig.close());

const HEADERS = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };

const raw = (r: AnthropicRig, path: string, init: RequestInit = {}) =>
  fetch(`${r.emulator.anthropicUrl}${path}`, { ...init, headers: { ...HEADERS, ...init.headers } });

const calls = async (r: AnthropicRig, key: string) => (await r.emulator.stats()).routeCalls[key] ?? 0;

describe('error envelopes', () => {
  it('401 authentication_error without a key, or with the wrong one (x-api-key or Bearer)', async () => {
    rig = await startAnthropicRig({ apiKey: 'sk-ant-right' });
    const res = await fetch(`${rig.emulator.anthropicUrl}/v1/messages/batches`, {
      headers: { 'anthropic-version': '2023-06-01' },
    });
    expect(res.status).toBe(401);
    const requestId = res.headers.get('request-id');
    expect(requestId).toMatch(/^req_011C[A-Za-z0-9]{20}$/);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'x-api-key header is required' },
      request_id: requestId,
    });
    const wrong = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: rig.emulator.anthropicUrl, maxRetries: 0 });
    const refused = wrong.messages.batches.list();
    await expect(refused).rejects.toBeInstanceOf(AuthenticationError);
    await expect(refused).rejects.toMatchObject({ status: 401, type: 'authentication_error' });
    expect((await raw(rig, '/v1/messages/batches', { headers: { 'x-api-key': 'nope' } })).status).toBe(401);
    const right = new Anthropic({ apiKey: 'sk-ant-right', baseURL: rig.emulator.anthropicUrl, maxRetries: 0 });
    await expect(right.messages.batches.list()).resolves.toMatchObject({ data: [] });
    expect((await raw(rig, '/v1/messages/batches', { headers: { 'x-api-key': 'sk-ant-right' } })).status).toBe(200);
  });

  it('400 invalid_request_error without anthropic-version or with an unknown one', async () => {
    rig = await startAnthropicRig();
    const missing = await fetch(`${rig.emulator.anthropicUrl}/v1/messages/batches`, { headers: { 'x-api-key': 'k' } });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });
    expect((await raw(rig, '/v1/messages/batches', { headers: { 'anthropic-version': '1999-01-01' } })).status).toBe(
      400,
    );
  });

  it('404 not_found_error for an unknown batch or route, with the request id the header carries', async () => {
    rig = await startAnthropicRig();
    const missing = rig.client.messages.batches.retrieve('msgbatch_01nope');
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    const error = (await missing.catch((e: unknown) => e)) as NotFoundError;
    expect(error.type).toBe('not_found_error');
    expect(error.requestID).toMatch(/^req_011C/);
    expect(error.error).toMatchObject({ type: 'error', request_id: error.requestID });
    const route = await raw(rig, '/v1/messages/batches/x/nothing');
    expect(route.status).toBe(404);
    expect(await route.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('injected 429/500/529 come as rate_limit_error/api_error/overloaded_error, retried by the SDK', async () => {
    rig = await startAnthropicRig({
      faults: { http: [{ route: 'GET /v1/messages/batches', status: 429, count: 1, retryAfterSeconds: 7 }] },
    });
    const limited = rig.client.messages.batches.list();
    await expect(limited).rejects.toBeInstanceOf(RateLimitError);
    const e429 = (await limited.catch((e: unknown) => e)) as RateLimitError;
    expect(e429).toMatchObject({ status: 429, type: 'rate_limit_error' });
    expect(e429.headers.get('retry-after')).toBe('7');
    rig.emulator.setFaults({ http: [{ route: 'POST /v1/messages/batches', status: 500, count: 1 }] });
    const failed = createBatch(rig.client, 1);
    await expect(failed).rejects.toBeInstanceOf(InternalServerError);
    await expect(failed).rejects.toMatchObject({ status: 500, type: 'api_error' });
    rig.emulator.setFaults({ http: [{ route: 'POST /v1/messages/batches', status: 529, count: 1 }] });
    const overloaded = createBatch(rig.client, 1);
    await expect(overloaded).rejects.toBeInstanceOf(OverloadedError);
    await expect(overloaded).rejects.toMatchObject({ status: 529, type: 'overloaded_error' });
    // With retries on, the SDK goes through two faults and creates once: three calls, one batch.
    rig.emulator.setFaults({
      http: [{ route: 'POST /v1/messages/batches', status: 529, count: 2, retryAfterSeconds: 0.01 }],
    });
    const before = await calls(rig, 'POST /v1/messages/batches');
    await expect(
      rig.client.withOptions({ maxRetries: 2 }).messages.batches.create({ requests: [messageRequest(0)] }),
    ).resolves.toMatchObject({ processing_status: 'in_progress' });
    expect((await calls(rig, 'POST /v1/messages/batches')) - before).toBe(3);
    expect((await rig.emulator.stats()).batchesCreated).toBe(1);
  });

  it('results before the batch has ended: 400 (the SDK refuses on its own while results_url is null)', async () => {
    rig = await startAnthropicRig();
    const b = await createBatch(rig.client, 1);
    const res = await raw(rig, `/v1/messages/batches/${b.id}/results`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});

describe('create limits', () => {
  it('413 request_too_large over the byte limit, before anything is created', async () => {
    rig = await startAnthropicRig({ anthropic: { maxBatchBytes: 2000 } });
    const big = Array.from({ length: 20 }, (_, i) => messageRequest(i));
    const refused = rig.client.messages.batches.create({ requests: big });
    await expect(refused).rejects.toBeInstanceOf(ContentTooLargeError);
    await expect(refused).rejects.toMatchObject({
      status: 413,
      type: 'request_too_large',
      error: { error: { message: 'Request exceeds the maximum allowed number of bytes.' } },
    });
    await expect(rig.client.messages.batches.create({ requests: big.slice(0, 2) })).resolves.toBeDefined();
    expect((await rig.emulator.stats()).batchesCreated).toBe(1);
  });

  it('100,000 requests at most (400), and at least one', async () => {
    rig = await startAnthropicRig();
    const tiny = (i: number) => ({
      custom_id: `r${i}`,
      params: { model: 'claude-haiku-4-5', max_tokens: 1, messages: [] },
    });
    const over = rig.client.messages.batches.create({ requests: Array.from({ length: 100_001 }, (_, i) => tiny(i)) });
    await expect(over).rejects.toBeInstanceOf(BadRequestError);
    await expect(over).rejects.toMatchObject({
      type: 'invalid_request_error',
      error: { error: { message: 'requests: List should have at most 100000 items after validation, not 100001' } },
    });
    await expect(
      rig.client.messages.batches.create({ requests: Array.from({ length: 100_000 }, (_, i) => tiny(i)) }),
    ).resolves.toMatchObject({ request_counts: { processing: 100_000 } });
    await expect(rig.client.messages.batches.create({ requests: [] })).rejects.toMatchObject({
      status: 400,
      error: { error: { message: 'requests: List should have at least 1 item after validation, not 0' } },
    });
    expect((await rig.emulator.stats()).batchesCreated).toBe(1);
  });

  it('custom_id must match ^[a-zA-Z0-9_-]{1,64}$ and be unique in the batch (400 naming the request)', async () => {
    rig = await startAnthropicRig();
    const create = (ids: string[]) =>
      rig.client.messages.batches.create({ requests: ids.map((id, i) => messageRequest(i, { custom_id: id })) });
    const message = async (ids: string[]) =>
      ((await create(ids).catch((e: unknown) => e)) as BadRequestError).apiMessage;
    expect(await message(['ok', 'x'.repeat(65)])).toBe(
      'requests.1.custom_id: String should have at most 64 characters',
    );
    expect(await message(['BRK.B'])).toBe("requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'");
    expect(await message([''])).toBe('requests.0.custom_id: String should have at least 1 character');
    expect(await message(['a', 'b', 'a'])).toMatch(/^requests\.2\.custom_id: Duplicate custom_id 'a'/);
    await expect(create(['x'.repeat(64), 'A_b-9'])).resolves.toMatchObject({ request_counts: { processing: 2 } });
    const noParams = rig.client.messages.batches.create({
      requests: [{ custom_id: 'a' } as unknown as Anthropic.Messages.BatchCreateParams.Request],
    });
    await expect(noParams).rejects.toMatchObject({
      status: 400,
      error: { error: { message: 'requests.0.params: Field required' } },
    });
    expect((await rig.emulator.stats()).batchesCreated).toBe(1);
  });
});
