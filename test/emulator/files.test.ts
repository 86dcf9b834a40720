import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatLine, jsonl, startRig, upload, type Rig } from './helpers.ts';

let rig: Rig;
beforeEach(async () => (rig = await startRig({ maxBatchFileBytes: 4096, maxUploadBytes: 8192 })));
afterEach(() => rig.close());

describe('files', () => {
  it('uploads from a Buffer and from a ReadStream, with the real object shape', async () => {
    const text = jsonl([chatLine(1)]);
    const a = await upload(rig.client, text);
    expect(a).toMatchObject({
      object: 'file',
      bytes: Buffer.byteLength(text),
      filename: 'input.jsonl',
      purpose: 'batch',
      status: 'processed',
      status_details: null,
    });
    expect(a.id).toMatch(/^file-[A-Za-z0-9]{22}$/);
    expect(a.expires_at).toBe(a.created_at + 2_592_000);
    const file = path.join(rig.stateDir, 'stream.jsonl');
    await writeFile(file, text);
    const b = await rig.client.files.create({
      file: createReadStream(file),
      purpose: 'batch',
      expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    expect(b).toMatchObject({ filename: 'stream.jsonl', bytes: a.bytes, expires_at: b.created_at + 3600 });
    const other = await upload(rig.client, 'notes', 'notes.txt', 'user_data');
    expect(other.expires_at).toBeNull();
  });

  it('rejects bad uploads with the real texts', async () => {
    await expect(upload(rig.client, jsonl([chatLine(1)]), 'input.csv')).rejects.toMatchObject({
      status: 400,
      error: {
        message: 'Invalid file format for Batch API. Must be .jsonl',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    await expect(
      rig.client.files.create({ file: new File(['x'], 'a.jsonl'), purpose: 'nonsense' as 'batch' }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'purpose',
      code: 'invalid_value',
      error: {
        message:
          "Invalid value: 'nonsense'. Supported values are: 'assistants', 'batch', 'fine-tune', 'vision', 'user_data', and 'evals'.",
      },
    });
    await expect(
      rig.client.files.create({
        file: new File(['x'], 'a.jsonl'),
        purpose: 'batch',
        expires_after: { anchor: 'created_at', seconds: 60 },
      }),
    ).rejects.toMatchObject({ status: 400, param: 'expires_after.seconds', code: 'integer_below_min_value' });
    expect((await rig.emulator.stats()).filesUploaded).toBe(0);
  });

  it('size limits: 512 MB per upload (413), 200 MB per batch input checked at batch create, not at upload', async () => {
    // Scaled down: maxUploadBytes 8192 stands for 512 MB, maxBatchFileBytes 4096 for 200 MB.
    await expect(upload(rig.client, 'x'.repeat(9000), 'big.txt', 'user_data')).rejects.toMatchObject({
      status: 413,
      error: { message: 'Request Entity Too Large' },
    });
    await expect(upload(rig.client, 'x'.repeat(9000))).rejects.toMatchObject({ status: 413 });
    const line = JSON.stringify(chatLine(0));
    const text =
      Array.from({ length: Math.ceil(5000 / line.length) }, (_, i) => JSON.stringify(chatLine(i))).join('\n') + '\n';
    expect(Buffer.byteLength(text)).toBeGreaterThan(4096);
    const big = await upload(rig.client, text);
    expect(big).toMatchObject({ bytes: Buffer.byteLength(text), purpose: 'batch' });
    await expect(
      rig.client.batches.create({ input_file_id: big.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ).rejects.toMatchObject({
      status: 400,
      error: { message: 'File is too large.', type: 'invalid_request_error', param: null, code: null },
    });
    const small = await upload(rig.client, jsonl([chatLine(0)]));
    await expect(
      rig.client.batches.create({
        input_file_id: small.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    ).resolves.toMatchObject({ status: 'validating' });
    expect((await rig.emulator.stats()).batchesCreated).toBe(1);
  });

  it('retrieves, streams content, deletes, and answers 404 for unknown ids', async () => {
    const text = jsonl([chatLine(1), chatLine(2)]);
    const f = await upload(rig.client, text);
    expect(await rig.client.files.retrieve(f.id)).toEqual(f);
    const res = await rig.client.files.content(f.id);
    expect(res.headers.get('content-length')).toBe(String(f.bytes));
    expect(await res.text()).toBe(text);
    expect(await rig.client.files.delete(f.id)).toEqual({ id: f.id, object: 'file', deleted: true });
    for (const call of [
      () => rig.client.files.retrieve(f.id),
      () => rig.client.files.content(f.id),
      () => rig.client.files.delete(f.id),
    ]) {
      await expect(call()).rejects.toMatchObject({
        status: 404,
        param: 'id',
        error: { message: `No such File object: ${f.id}` },
      });
    }
  });

  it('lists newest first with purpose, order, limit and after; auto-paginates', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await upload(rig.client, jsonl([chatLine(i)]))).id);
    await upload(rig.client, 'n', 'n.txt', 'user_data');
    const page = await rig.client.files.list({ purpose: 'batch', limit: 2 });
    expect(page.data.map((f) => f.id)).toEqual([ids[4], ids[3]]);
    expect(page.has_more).toBe(true);
    const asc = await rig.client.files.list({ purpose: 'batch', order: 'asc', after: ids[1] });
    expect(asc.data.map((f) => f.id)).toEqual(ids.slice(2));
    expect(asc.has_more).toBe(false);
    const all: string[] = [];
    for await (const f of rig.client.files.list({ purpose: 'batch', limit: 2 })) all.push(f.id);
    expect(all).toEqual([...ids].reverse());
    expect((await rig.client.files.list()).data).toHaveLength(6);
    await expect(rig.client.files.list({ limit: 0 })).rejects.toMatchObject({
      status: 400,
      code: 'integer_below_min_value',
    });
    await expect(rig.client.files.list({ limit: 10_001 })).rejects.toMatchObject({
      status: 400,
      code: 'integer_above_max_value',
    });
  });

  it('expires files at expires_at', async () => {
    const f = await rig.client.files.create({
      file: new File(['{}\n'], 'a.jsonl'),
      purpose: 'batch',
      expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    rig.clock.advance(3_600_000);
    await expect(rig.client.files.retrieve(f.id)).rejects.toMatchObject({ status: 404 });
  });

  it('answers unknown routes and missing keys with the error envelope and a request id', async () => {
    const res = await fetch(`${rig.emulator.url}/nope`, { headers: { authorization: 'Bearer x' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(await res.json()).toEqual({
      error: { message: 'Invalid URL (GET /v1/nope)', type: 'invalid_request_error', param: null, code: null },
    });
    const noKey = await fetch(`${rig.emulator.url}/files`);
    expect(noKey.status).toBe(401);
    const { request_id } = await rig.client.files.list().withResponse();
    expect(request_id).toMatch(/^req_/);
    await expect(
      new OpenAI({ apiKey: 'k', baseURL: rig.emulator.url, maxRetries: 0 }).batches.retrieve('batch_x'),
    ).rejects.toThrow("404 No batch found with id 'batch_x'.");
  });
});
