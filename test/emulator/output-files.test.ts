/**
 * Output and error files exist from the moment their batch finished, whenever the batch is first
 * read: dated then, and expiring on their own clock (`output_expires_after`, anchored on the
 * file's creation; default 30 days). Once gone they answer exactly like a file that never was.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { after, chatLine, jsonl, startRig, submit, upload, type Rig } from './helpers.ts';

let rig: Rig;
afterEach(() => rig.close());

const DAY = 86_400_000;
const THIRTY_DAYS = 2_592_000;

/** The 404 of a file id that never existed, with `id` in place of the real one. */
async function unknownFileError(r: Rig): Promise<unknown> {
  try {
    await r.client.files.retrieve('file-neverexisted');
  } catch (e) {
    return JSON.parse(
      JSON.stringify((e as { error: unknown }).error)
        .split('file-neverexisted')
        .join('ID'),
    ) as unknown;
  }
  throw new Error('expected a 404');
}

async function errorOf(call: () => Promise<unknown>, id: string): Promise<{ status: number; error: unknown }> {
  try {
    await call();
  } catch (e) {
    const { status, error } = e as { status: number; error: unknown };
    return { status, error: JSON.parse(JSON.stringify(error).split(id).join('ID')) as unknown };
  }
  throw new Error('expected an error');
}

describe('output and error files', () => {
  it('are dated when the batch finished, even when it is first read days later', async () => {
    rig = await startRig({ faults: { requestErrors: { customIds4xx: ['req-1'] } } });
    const b = await submit(rig.client, 2);
    const c = await submit(rig.client, 100);
    await after(rig, c.id, 1400);
    await rig.client.batches.cancel(c.id);
    rig.clock.advance(2 * DAY);
    const done = await rig.client.batches.retrieve(b.id);
    expect(done).toMatchObject({
      status: 'completed',
      completed_at: done.created_at + 1,
      request_counts: { completed: 1, failed: 1 },
    });
    for (const id of [done.output_file_id, done.error_file_id]) {
      expect(await rig.client.files.retrieve(id as string)).toMatchObject({
        created_at: done.completed_at,
        expires_at: (done.completed_at as number) + THIRTY_DAYS,
        purpose: 'batch_output',
      });
    }
    const cancelled = await rig.client.batches.retrieve(c.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelled_at: cancelled.created_at + 2 });
    expect(await rig.client.files.retrieve(cancelled.error_file_id as string)).toMatchObject({
      created_at: cancelled.cancelled_at,
      expires_at: (cancelled.cancelled_at as number) + THIRTY_DAYS,
    });
  });

  it('expire output_expires_after seconds after the file was created (not the batch), then 404 like an unknown file', async () => {
    // At speed 0.001 the batch completes 1,540 s after creation: the first read below (5,139 s after
    // creation) is past batch created_at + 3600 but before file created_at + 3600.
    rig = await startRig({ speed: 0.001 });
    const file = await upload(rig.client, jsonl([chatLine(0), chatLine(1)]));
    const b = await rig.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      output_expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    const done = await after(rig, b.id, (1540 + 3599) * 1000);
    expect(done).toMatchObject({ status: 'completed', completed_at: b.created_at + 1540 });
    const out = done.output_file_id as string;
    expect(await rig.client.files.retrieve(out)).toMatchObject({
      created_at: done.completed_at,
      expires_at: (done.completed_at as number) + 3600,
    });
    expect(await (await rig.client.files.content(out)).text()).toContain('req-1');

    rig.clock.advance(1000);
    const unknown = { status: 404, error: await unknownFileError(rig) };
    expect(unknown.error).toEqual({
      message: 'No such File object: ID',
      type: 'invalid_request_error',
      param: 'id',
      code: null,
    });
    expect(await errorOf(() => rig.client.files.retrieve(out), out)).toEqual(unknown);
    expect(await errorOf(() => rig.client.files.content(out), out)).toEqual(unknown);
    expect(await errorOf(() => rig.client.files.delete(out), out)).toEqual(unknown);
    expect((await rig.client.files.list()).data.map((f) => f.id)).toEqual([file.id]);
    expect(await rig.client.batches.retrieve(b.id)).toMatchObject({ status: 'completed', output_file_id: out });
  });

  it('may already be gone when the batch is first read', async () => {
    rig = await startRig();
    const file = await upload(rig.client, jsonl([chatLine(0)]));
    const b = await rig.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      output_expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    const done = await after(rig, b.id, 2 * 3600_000);
    expect(done.status).toBe('completed');
    await expect(rig.client.files.retrieve(done.output_file_id as string)).rejects.toMatchObject({
      status: 404,
      param: 'id',
    });
  });

  it('deleting an output file makes its content 404; the batch keeps the id', async () => {
    rig = await startRig();
    const done = await after(rig, (await submit(rig.client, 2)).id, 5000);
    const out = done.output_file_id as string;
    expect(await rig.client.files.delete(out)).toEqual({ id: out, object: 'file', deleted: true });
    await expect(rig.client.files.content(out)).rejects.toMatchObject({
      status: 404,
      param: 'id',
      error: { message: `No such File object: ${out}` },
    });
    await expect(rig.client.files.retrieve(out)).rejects.toMatchObject({ status: 404 });
    expect((await rig.client.batches.retrieve(done.id)).output_file_id).toBe(out);
  });

  it('are listed as soon as the batch finished, by their created_at, without reading the batch', async () => {
    rig = await startRig();
    const b = await submit(rig.client, 2);
    const first = (await rig.client.files.list()).data[0]?.id as string;
    rig.clock.advance(10_000);
    const later = await upload(rig.client, jsonl([chatLine(9)]), 'later.jsonl');
    const listed = (await rig.client.files.list()).data;
    expect(listed.map((f) => f.filename)).toEqual(['later.jsonl', `${b.id}_output.jsonl`, 'input.jsonl']);
    expect(listed.map((f) => f.id)).toEqual([
      later.id,
      (await rig.client.batches.retrieve(b.id)).output_file_id,
      first,
    ]);
  });

  it('output_expires_after is checked like the real API (anchor created_at, 3600–2592000 s, both required)', async () => {
    rig = await startRig();
    const file = await upload(rig.client, jsonl([chatLine(0)]));
    const create = (v: unknown) =>
      rig.client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        output_expires_after: v as { anchor: 'created_at'; seconds: number },
      });
    await expect(create({ anchor: 'created_at', seconds: 3599 })).rejects.toMatchObject({
      status: 400,
      param: 'output_expires_after.seconds',
      code: 'integer_below_min_value',
    });
    await expect(create({ anchor: 'created_at', seconds: 2_592_001 })).rejects.toMatchObject({
      status: 400,
      param: 'output_expires_after.seconds',
      code: 'integer_above_max_value',
    });
    await expect(create({ anchor: 'created_at', seconds: '3600' })).rejects.toMatchObject({
      status: 400,
      param: 'output_expires_after.seconds',
      code: 'invalid_type',
    });
    await expect(create({ anchor: 'completed_at', seconds: 3600 })).rejects.toMatchObject({
      status: 400,
      param: 'output_expires_after.anchor',
      code: 'invalid_value',
      error: { message: "Invalid value: 'completed_at'. Supported values are: 'created_at'." },
    });
    await expect(create({ anchor: 'created_at' })).rejects.toMatchObject({
      status: 400,
      param: 'output_expires_after.seconds',
      code: 'missing_required_parameter',
    });
    await expect(create({ seconds: 3600 })).rejects.toMatchObject({
      status: 400,
      param: 'output_expires_after.anchor',
      code: 'missing_required_parameter',
    });
    await expect(create({ anchor: 'created_at', seconds: 3600 })).resolves.toMatchObject({ status: 'validating' });
    await expect(create({ anchor: 'created_at', seconds: 2_592_000 })).resolves.toMatchObject({ status: 'validating' });
  });
});
