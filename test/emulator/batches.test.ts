import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { after, chatLine, jsonl, startRig, submit, upload, type Rig } from './helpers.ts';

let rig: Rig;
beforeEach(async () => (rig = await startRig()));
afterEach(() => rig.close());

const meta = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

describe('batch create, retrieve and list', () => {
  it('creates a validating batch with explicit nulls and a 24 h expiry', async () => {
    const file = await upload(rig.client, jsonl([chatLine(1)]));
    const b = await rig.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'x' },
    });
    expect(b.id).toMatch(/^batch_[0-9a-f]{32}$/);
    expect(b).toMatchObject({
      object: 'batch',
      status: 'validating',
      endpoint: '/v1/chat/completions',
      input_file_id: file.id,
      errors: null,
      output_file_id: null,
      error_file_id: null,
      in_progress_at: null,
      completed_at: null,
      cancelled_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      metadata: { job: 'x' },
      expires_at: b.created_at + 86_400,
    });
    expect(await rig.client.batches.retrieve(b.id)).toEqual(b);
  });

  it('rejects bad create parameters with the real messages and codes', async () => {
    const file = await upload(rig.client, jsonl([chatLine(1)]));
    const base = {
      input_file_id: file.id,
      endpoint: '/v1/chat/completions' as const,
      completion_window: '24h' as const,
    };
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [
        { completion_window: '1h' },
        {
          status: 400,
          param: 'completion_window',
          error: { message: "Invalid value: '1h'. Supported values are: '24h'." },
        },
      ],
      [{ endpoint: '/v1/nope' }, { status: 400, param: 'endpoint', code: 'invalid_value' }],
      [
        { metadata: meta(17) },
        {
          status: 400,
          param: 'metadata',
          code: 'object_above_max_properties',
          error: {
            message:
              "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with 17 properties instead.",
          },
        },
      ],
      [
        { metadata: { ['k'.repeat(65)]: 'v' } },
        {
          param: `metadata.${'k'.repeat(65)}`,
          error: {
            message: `Invalid property name in 'metadata': '${'k'.repeat(65)}' is too long. Expected a string with maximum length 64, but got a string with length 65 instead.`,
          },
        },
      ],
      [
        { metadata: { k: 'v'.repeat(513) } },
        {
          param: 'metadata.k',
          code: 'string_above_max_length',
          error: {
            message:
              "Invalid 'metadata.k': string too long. Expected a string with maximum length 512, but got a string with length 513 instead.",
          },
        },
      ],
      [
        { input_file_id: 'file-missing' },
        { status: 404, param: 'id', error: { message: 'No such File object: file-missing' } },
      ],
      [{ input_file_id: undefined }, { status: 400, param: 'input_file_id', code: 'missing_required_parameter' }],
    ];
    for (const [override, expected] of cases) {
      await expect(rig.client.batches.create({ ...base, ...override })).rejects.toMatchObject(expected);
    }
    await expect(rig.client.batches.create({ ...base, metadata: meta(16) })).resolves.toMatchObject({
      status: 'validating',
    });
    const notes = await upload(rig.client, 'x', 'notes.jsonl', 'user_data');
    await expect(rig.client.batches.create({ ...base, input_file_id: notes.id })).rejects.toMatchObject({
      status: 400,
      param: 'input_file_id',
    });
    await expect(rig.client.batches.retrieve('batch_nope')).rejects.toMatchObject({
      status: 404,
      error: { message: "No batch found with id 'batch_nope'.", param: null, code: null },
    });
    expect((await rig.emulator.stats()).batchesCreated).toBe(1);
  });

  it('an empty list leaves out first_id/last_id (optional strings in the spec, never null)', async () => {
    const raw = (await (await rig.client.batches.list().asResponse()).json()) as Record<string, unknown>;
    expect(raw).toEqual({ object: 'list', data: [], has_more: false });
    const b = await submit(rig.client, 1);
    const past = (await (await rig.client.batches.list({ after: b.id }).asResponse()).json()) as Record<
      string,
      unknown
    >;
    expect(past).toEqual({ object: 'list', data: [], has_more: false });
  });

  it('lists newest first (limit 1–100, default 20) and auto-paginates over 105 batches', async () => {
    const file = await upload(rig.client, jsonl([chatLine(1)]));
    const ids: string[] = [];
    for (let i = 0; i < 105; i++)
      ids.push(
        (
          await rig.client.batches.create({
            input_file_id: file.id,
            endpoint: '/v1/chat/completions',
            completion_window: '24h',
          })
        ).id,
      );
    ids.reverse();
    const first = await rig.client.batches.list();
    expect(first.data.map((b) => b.id)).toEqual(ids.slice(0, 20));
    const raw = (await (await rig.client.batches.list().asResponse()).json()) as Record<string, unknown>;
    expect(raw).toMatchObject({ object: 'list', has_more: true, first_id: ids[0], last_id: ids[19] });
    const seen: string[] = [];
    for await (const b of rig.client.batches.list({ limit: 100 })) seen.push(b.id);
    expect(seen).toEqual(ids);
    expect((await rig.emulator.stats()).routeCalls['GET /v1/batches']).toBe(4);
    const tail = await rig.client.batches.list({ after: ids[103] });
    expect(tail.data.map((b) => b.id)).toEqual([ids[104]]);
    expect(tail.has_more).toBe(false);
    await expect(rig.client.batches.list({ limit: 101 })).rejects.toMatchObject({ status: 400, param: 'limit' });
  });

  it('cancel of a terminal batch is a 409 that the SDK retries unless maxRetries is 0', async () => {
    const b = await submit(rig.client, 2);
    expect((await after(rig, b.id, 10_000)).status).toBe('completed');
    const retrying = rig.client.withOptions({ maxRetries: 2 });
    await expect(retrying.batches.cancel(b.id)).rejects.toMatchObject({
      status: 409,
      error: {
        message: "Cannot cancel a batch with status 'completed'.",
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    expect((await rig.emulator.stats()).routeCalls['POST /v1/batches/{batch_id}/cancel']).toBe(3);
    await expect(retrying.batches.cancel(b.id, { maxRetries: 0 })).rejects.toMatchObject({ status: 409 });
    expect((await rig.emulator.stats()).routeCalls['POST /v1/batches/{batch_id}/cancel']).toBe(4);
  });

  it('the 409 carries no retry hint (no retry-after, retry-after-ms or x-should-retry), for every terminal status', async () => {
    // A retry-after on another route's fault must not leak into the 409.
    rig.emulator.setFaults({ http: [{ route: 'GET /v1/files', status: 429, retryAfterSeconds: 1 }] });
    const completed = await submit(rig.client, 1);
    const cancelled = await submit(rig.client, 1);
    await rig.client.batches.cancel(cancelled.id);
    const bad = await upload(rig.client, jsonl(['{oops']));
    const failed = await rig.client.batches.create({
      input_file_id: bad.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    rig.clock.advance(10_000);
    for (const [id, status] of [
      [completed.id, 'completed'],
      [cancelled.id, 'cancelled'],
      [failed.id, 'failed'],
    ] as const) {
      const res = await fetch(`${rig.emulator.url}/batches/${id}/cancel`, {
        method: 'POST',
        headers: { authorization: 'Bearer t' },
      });
      expect(res.status).toBe(409);
      expect([...res.headers.keys()].filter((k) => k.startsWith('retry-after') || k === 'x-should-retry')).toEqual([]);
      expect(await res.json()).toEqual({
        error: {
          message: `Cannot cancel a batch with status '${status}'.`,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
    }
  });
});
