/**
 * Time on the Message Batches side, on an injected clock: the 24 h window (unprocessed requests
 * `expired`), forced and fractional expiry, 29-day result retention (then `archived_at` and a 404),
 * clock skew, list lag and a create whose reply is lost after the batch was made.
 */
import { APIConnectionError, NotFoundError } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.ts';
import { createBatch, later, results, startAnthropicRig, type AnthropicRig } from './anthropic-helpers.ts';

let rig: AnthropicRig;
afterEach(() => rig.close());

const START = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

describe('expiry', () => {
  it('requests still unprocessed 24 h after creation are expired; the batch ends then', async () => {
    // At 0.00002× speed the queueing second lasts 50,000 s and each request 1,000 s: 36 are done at 24 h.
    rig = await startAnthropicRig({ clock: new ManualClock(START), speed: 0.00002 });
    const b = await createBatch(rig.client, 100);
    expect((await later(rig, b.id, DAY - 1)).processing_status).toBe('in_progress');
    const ended = await later(rig, b.id, 1);
    expect(ended).toMatchObject({
      processing_status: 'ended',
      ended_at: new Date(START + DAY).toISOString(),
      expires_at: new Date(START + DAY).toISOString(),
      request_counts: { processing: 0, succeeded: 36, expired: 64 },
    });
    const lines = await results(rig.client, b.id);
    expect(lines.filter((l) => l.result.type === 'expired')).toHaveLength(64);
    expect(lines.find((l) => l.result.type === 'expired')?.result).toEqual({ type: 'expired' });
  });

  it('forced (POST /_emulator/batches/ID/expire) and fractional (expireAfterFraction) expiry', async () => {
    rig = await startAnthropicRig();
    const b = await createBatch(rig.client, 100);
    rig.clock.advance(1000 + 400); // 20 processed
    const res = await fetch(`http://127.0.0.1:${rig.emulator.port}/_emulator/batches/${b.id}/expire`, {
      method: 'POST',
    });
    expect(await res.json()).toMatchObject({
      processing_status: 'ended',
      request_counts: { succeeded: 20, expired: 80 },
    });
    rig.emulator.setFaults({ expireAfterFraction: 0.5 });
    const half = await createBatch(rig.client, 10);
    expect((await later(rig, half.id, 10_000)).request_counts).toMatchObject({ succeeded: 5, expired: 5 });
  });
});

describe('retention', () => {
  it('results for 29 days after creation; then archived_at is set and results are a 404', async () => {
    rig = await startAnthropicRig({ clock: new ManualClock(START) });
    const b = await createBatch(rig.client, 3);
    expect((await later(rig, b.id, 29 * DAY - 1)).archived_at).toBeNull();
    expect(await results(rig.client, b.id)).toHaveLength(3);
    const archived = await later(rig, b.id, 1);
    expect(archived).toMatchObject({
      processing_status: 'ended',
      archived_at: new Date(START + 29 * DAY).toISOString(),
      results_url: expect.stringContaining(b.id) as string,
    });
    const gone = rig.client.messages.batches.results(b.id);
    await expect(gone).rejects.toBeInstanceOf(NotFoundError);
    await expect(gone).rejects.toMatchObject({ type: 'not_found_error' });
    expect((await rig.client.messages.batches.list()).data.map((x) => x.id)).toEqual([b.id]);
  });
});

describe('clock skew, list lag and lost replies', () => {
  it('clockSkewMs shifts every timestamp but not durations', async () => {
    const skew = -3 * 3600_000;
    rig = await startAnthropicRig({ clock: new ManualClock(START), clockSkewMs: skew });
    const b = await createBatch(rig.client, 1);
    expect(b.created_at).toBe(new Date(START + skew).toISOString());
    expect(b.expires_at).toBe(new Date(START + skew + DAY).toISOString());
    const raw = await fetch(`${rig.emulator.anthropicUrl}/v1/messages/batches/${b.id}`, {
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(Date.parse(raw.headers.get('date') ?? '')).toBe(START + skew);
    expect((await later(rig, b.id, 1520)).ended_at).toBe(new Date(START + skew + 1520).toISOString());
  });

  it('listLagMs leaves new batches out of the list, not out of retrieve', async () => {
    rig = await startAnthropicRig({ faults: { listLagMs: 5000 } });
    const b = await createBatch(rig.client, 1);
    expect((await rig.client.messages.batches.list()).data).toEqual([]);
    expect((await rig.client.messages.batches.retrieve(b.id)).id).toBe(b.id);
    rig.clock.advance(5000);
    expect((await rig.client.messages.batches.list()).data.map((x) => x.id)).toEqual([b.id]);
  });

  it('a create whose reply is lost still made the batch: the list shows it, stats count one', async () => {
    rig = await startAnthropicRig({ faults: { lostReplyRate: 1, lostReplyRoutes: ['POST /v1/messages/batches'] } });
    await expect(createBatch(rig.client, 2)).rejects.toBeInstanceOf(APIConnectionError);
    const listed = await rig.client.messages.batches.list();
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]?.request_counts.processing).toBe(2);
    expect((await rig.emulator.stats()).batchesCreated).toBe(1);
  });
});
