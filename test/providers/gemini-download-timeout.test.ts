/**
 * Gemini's downloads (through shared/rest.ts) are timed per attempt up to the answer's headers,
 * then on each silence of the body, never on the body's whole length: one signal for the whole
 * call used to cut a results file once `timeoutMs` had passed, however fast it was coming, so a
 * large file came in slices of a minute, each resumed with a byte range. A body that stops
 * altogether is still cut. The waits are the emulator's (slow replies, stalled bodies), in real time.
 */
import { afterEach, expect, it } from 'vitest';
import { createHarness, type Harness } from '../batch/harness.ts';

const DOWNLOAD = 'GET /download/v1beta/files/{file}:download';

let h: Harness | undefined;
afterEach(async () => h?.close());

async function uploaded(harness: Harness): Promise<{ id: string; content: Buffer }> {
  const content = Buffer.from(Array.from({ length: 200 }, (_, i) => `{"key":"r-${i}"}\n`).join(''));
  const file = await harness.api.upload(content, 'results.jsonl');
  if (!file.ok) throw new Error(file.error.message);
  return { id: file.value.id, content };
}

async function read(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

it('a download that takes longer than the timeout in all, with no silence as long, is read whole', async () => {
  h = await createHarness({ provider: 'gemini', maxRetries: 0, timeoutMs: 2000 });
  const file = await uploaded(h);
  // The answer after 1.2 s, half its first chunk, then the rest 1.2 s later: 2.4 s in all.
  h.emulator.setFaults({ slowMs: 1200, slowRoutes: [DOWNLOAD], stallDownloads: { ms: 1200 } });
  const download = await h.api.downloadFile(file.id);
  if (!download.ok) throw new Error(download.error.message);
  expect((await read(download.value)).equals(file.content)).toBe(true);
  expect((await h.emulator.stats()).downloadsStalled).toBe(1);
}, 60_000);

it('a download whose body stops for longer than the timeout fails there, as a timeout', async () => {
  h = await createHarness({ provider: 'gemini', maxRetries: 0, timeoutMs: 1000 });
  const file = await uploaded(h);
  h.emulator.setFaults({ stallDownloads: { ms: 10_000 } });
  const download = await h.api.downloadFile(file.id);
  if (!download.ok) throw new Error(download.error.message);
  const started = Date.now();
  await expect(read(download.value)).rejects.toThrow(/no bytes for 1000 ms|abort/i);
  // Cut at the silence, not when the stalled body would have resumed.
  expect(Date.now() - started).toBeLessThan(8000);
}, 60_000);

it('a call whose answer hangs past the timeout is sent again and answered', async () => {
  h = await createHarness({ provider: 'gemini', maxRetries: 2, timeoutMs: 1500 });
  const file = await uploaded(h);
  h.emulator.setFaults({ slowMs: 20_000, slowCount: 1, slowRoutes: [DOWNLOAD] });
  const download = await h.api.downloadFile(file.id);
  if (!download.ok) throw new Error(download.error.message);
  expect((await read(download.value)).equals(file.content)).toBe(true);
  expect((await h.emulator.stats()).routeCalls[DOWNLOAD]).toBe(2);
}, 60_000);
