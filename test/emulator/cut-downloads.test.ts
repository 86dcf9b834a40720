/**
 * The `cutDownloads` fault: a file download's connection ends part-way through its body (reset,
 * or closed early) on every flavour that serves result files — OpenAI, Azure, Anthropic results,
 * Gemini, Mistral, S3 objects — read through each provider's own SDK (or, for the byte counts,
 * plain fetch). Only the content routes are cut; error answers are sent whole.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatch, later, results, startAnthropicRig } from './anthropic-helpers.ts';
import { createBucket, getText, putText, startAwsRig } from './aws-helpers.ts';
import { startGeminiRig } from './gemini-helpers.ts';
import { download as mistralDownload, startMistralRig, uploadLines } from './mistral-helpers.ts';
import { startRig, upload } from './helpers.ts';
import type { RunningEmulator } from '../../src/emulator/index.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** 40 KB of lines: a body long enough that a cut lands in its middle. */
const TEXT = Array.from({ length: 600 }, (_, i) => JSON.stringify({ custom_id: `r-${i}`, n: i })).join('\n') + '\n';

const cut = async (emulator: RunningEmulator) => (await emulator.stats()).downloadsCut;

/** Reads a raw answer chunk by chunk: the bytes that arrived, and whether the read failed. */
async function readRaw(url: string, headers: Record<string, string>) {
  const res = await fetch(url, { headers });
  const declared = Number(res.headers.get('content-length'));
  let received = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) received += chunk.length;
    return { declared, received, failed: false };
  } catch {
    return { declared, received, failed: true };
  }
}

describe('cutDownloads', () => {
  it('OpenAI: the body stops part-way (closed early or reset), the SDK read fails; the next download is whole', async () => {
    const rig = await startRig({ faults: { cutDownloads: { count: 1, how: 'close' } } });
    closers.push(() => rig.close());
    const file = await upload(rig.client, TEXT);
    const raw = await readRaw(`${rig.emulator.url}/files/${file.id}/content`, { authorization: 'Bearer t' });
    expect(raw.failed).toBe(true);
    expect(raw.declared).toBe(Buffer.byteLength(TEXT));
    expect(raw.received).toBeGreaterThan(0); // mid-body: headers and some bytes came first
    expect(raw.received).toBeLessThan(raw.declared);
    expect(await (await rig.client.files.content(file.id)).text()).toBe(TEXT); // count: 1 — only once

    rig.emulator.setFaults({ cutDownloads: { count: 1, how: 'reset' } });
    await expect((await rig.client.files.content(file.id)).text()).rejects.toThrow();
    expect(await cut(rig.emulator)).toBe(2);
    // Only the content route: the file's metadata and an error answer are whole.
    rig.emulator.setFaults({ cutDownloads: { rate: 1 } });
    await expect(rig.client.files.retrieve(file.id)).resolves.toMatchObject({ id: file.id });
    await expect(rig.client.files.content('file-missing')).rejects.toMatchObject({ status: 404 });
    expect(await cut(rig.emulator)).toBe(2);
  });

  it('Azure: the same routes under /openai/v1 are cut', async () => {
    const rig = await startRig({ faults: { cutDownloads: { rate: 1, how: 'close' } } });
    closers.push(() => rig.close());
    const origin = new URL(rig.emulator.url).origin;
    const azure = new OpenAI({ apiKey: 'k', baseURL: `${origin}/openai/v1`, defaultHeaders: { 'api-key': 'k' } });
    const file = await upload(azure, TEXT);
    const raw = await readRaw(`${origin}/openai/v1/files/${file.id}/content`, { 'api-key': 'k' });
    expect(raw).toMatchObject({ failed: true });
    expect(raw.received).toBeLessThan(raw.declared);
    expect(await cut(rig.emulator)).toBe(1);
  });

  it('Anthropic: the results stream of an ended batch is cut; the SDK iteration fails', async () => {
    const rig = await startAnthropicRig({ faults: { cutDownloads: { count: 1, how: 'close' } } });
    closers.push(() => rig.close());
    const batch = await createBatch(rig.client, 200);
    expect((await later(rig, batch.id, 3_600_000)).processing_status).toBe('ended');
    await expect(results(rig.client, batch.id)).rejects.toThrow();
    expect(await results(rig.client, batch.id)).toHaveLength(200);
    expect(await cut(rig.emulator)).toBe(1);
  });

  it('Gemini: both download routes are cut', async () => {
    const rig = await startGeminiRig({ faults: { cutDownloads: { rate: 1, how: 'close' } } });
    closers.push(() => rig.close());
    const name = await rig.upload(TEXT);
    const headers = { 'x-goog-api-key': 'test-key' };
    for (const prefix of ['/download/v1beta', '/v1beta']) {
      const raw = await readRaw(`${rig.emulator.geminiUrl}${prefix}/${name}:download?alt=media`, headers);
      expect(raw, prefix).toMatchObject({ failed: true });
      expect(raw.received).toBeLessThan(raw.declared);
    }
    expect(await cut(rig.emulator)).toBe(2);
  });

  it('Mistral: files.download is cut', async () => {
    const rig = await startMistralRig({ faults: { cutDownloads: { count: 1 } } });
    closers.push(() => rig.close());
    const id = await uploadLines(rig, TEXT.trimEnd().split('\n'));
    await expect(mistralDownload(rig, id)).rejects.toThrow();
    expect(await mistralDownload(rig, id)).toHaveLength(600);
    expect(await cut(rig.emulator)).toBe(1);
  });

  it('S3: GetObject is cut, PutObject is not', async () => {
    const rig = await startAwsRig({ faults: { cutDownloads: { count: 1, how: 'close' } } });
    closers.push(() => rig.close());
    await createBucket(rig, 'results');
    await putText(rig, 'results', 'out/part.jsonl.out', TEXT);
    await expect(getText(rig.s3, 'results', 'out/part.jsonl.out')).rejects.toThrow();
    expect(await getText(rig.s3, 'results', 'out/part.jsonl.out')).toBe(TEXT);
    expect(await cut(rig.emulator)).toBe(1);
  });
});
