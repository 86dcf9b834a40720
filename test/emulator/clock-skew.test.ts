/**
 * clockSkewMs: the emulator's wall clock runs off the injected clock by a fixed amount. Every time
 * it shows is skewed, while durations (progress, windows, expiry) are not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.ts';
import { after, chatLine, download, jsonl, startRig, submit, upload, type Rig } from './helpers.ts';

let rig: Rig;
afterEach(() => rig.close());

const START = Date.UTC(2026, 0, 1);
const HOURS_3 = 3 * 3600_000;

describe('clockSkewMs', () => {
  it('skews every timestamp (objects, files, reply bodies, the date header) by the same amount', async () => {
    rig = await startRig({ clock: new ManualClock(START), clockSkewMs: -HOURS_3 });
    const skewed = (START - HOURS_3) / 1000;
    const file = await upload(rig.client, jsonl([chatLine(0), chatLine(1)]));
    expect(file).toMatchObject({ created_at: skewed, expires_at: skewed + 2_592_000 });
    const b = await rig.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(b).toMatchObject({ created_at: skewed, expires_at: skewed + 86_400 });
    const raw = await fetch(`${rig.emulator.url}/batches/${b.id}`, { headers: { authorization: 'Bearer t' } });
    expect(Date.parse(raw.headers.get('date') ?? '')).toBe(START - HOURS_3);

    // Progress is unchanged: validating for 1 s, 2 requests, 0.5 s finalizing.
    expect((await after(rig, b.id, 999)).status).toBe('validating');
    expect(await after(rig, b.id, 1)).toMatchObject({ status: 'in_progress', in_progress_at: skewed + 1 });
    const done = await after(rig, b.id, 540);
    expect(done).toMatchObject({ status: 'completed', completed_at: skewed + 1 });
    expect(await rig.client.files.retrieve(done.output_file_id as string)).toMatchObject({ created_at: skewed + 1 });
    const [line] = await download(rig.client, done.output_file_id);
    expect((line?.response as { body: { created: number } }).body.created).toBe(skewed + 1);
  });

  it('expiry still runs on durations: a 1 h file lives 1 h, a batch window 24 h', async () => {
    rig = await startRig({ clock: new ManualClock(START), clockSkewMs: -HOURS_3, speed: 0.00002 });
    const f = await rig.client.files.create({
      file: new File(['{}\n'], 'a.jsonl'),
      purpose: 'batch',
      expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    const b = await submit(rig.client, 100);
    rig.clock.advance(3_599_999);
    await expect(rig.client.files.retrieve(f.id)).resolves.toMatchObject({ id: f.id });
    rig.clock.advance(1);
    await expect(rig.client.files.retrieve(f.id)).rejects.toMatchObject({ status: 404 });
    expect((await after(rig, b.id, 86_400_000 - 3_600_001)).status).toBe('in_progress');
    const expired = await after(rig, b.id, 1);
    expect(expired).toMatchObject({
      status: 'expired',
      expired_at: b.created_at + 86_400,
      expires_at: b.created_at + 86_400,
    });
    expect(b.created_at).toBe((START - HOURS_3) / 1000);
  });

  it('can be positive; the clock control route reports the skewed now', async () => {
    rig = await startRig({ clock: new ManualClock(START), clockSkewMs: 90_000 });
    expect((await submit(rig.client, 1)).created_at).toBe(START / 1000 + 90);
    const res = await fetch(`http://127.0.0.1:${rig.emulator.port}/_emulator/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceMs: 10 }),
    });
    expect(await res.json()).toEqual({ now: START + 90_010 });
  });
});
