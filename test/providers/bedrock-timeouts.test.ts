/**
 * Bedrock's AWS SDK clients are timed per attempt (PIPELINE_API_TIMEOUT_MS, the endpoint's
 * `timeoutMs`): the SDK's HTTP handler sets no timeout by default, so a call whose answer never
 * came waited forever, and the fault campaign's slow replies never timed out on Bedrock. A hung
 * attempt is cut and retried; a result object's body may take longer than the timeout while it
 * moves, and is cut only when it stops. The waits are the emulator's, in real time.
 */
import { afterEach, expect, it } from 'vitest';
import { createHarness, type Harness } from '../batch/harness.ts';
import { BEDROCK_TEST_S3 } from '../helpers/test-providers.ts';

const GET_OBJECT = 'S3 GetObject';
const RULE = { s3Uri: BEDROCK_TEST_S3 };

let h: Harness | undefined;
afterEach(async () => h?.close());

/** A result object (`….out`) under the job folder `s3Uri/input/`, as a job's output is read. */
async function resultObject(harness: Harness): Promise<{ folder: string; content: Buffer }> {
  const content = Buffer.from(Array.from({ length: 200 }, (_, i) => `{"recordId":"r-${i}"}\n`).join(''));
  const put = await harness.api.upload(content, 'part.jsonl.out', RULE);
  if (!put.ok) throw new Error(put.error.message);
  return { folder: `${BEDROCK_TEST_S3}/input/`, content };
}

async function read(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

it('a call whose answer hangs past the timeout is cut and sent again', async () => {
  h = await createHarness({ provider: 'bedrock', maxRetries: 2, timeoutMs: 1500 });
  h.emulator.setFaults({ slowMs: 20_000, slowCount: 1, slowRoutes: [h.routes.list] });
  const started = Date.now();
  const listed = await h.api.listBatches({ limit: 10 });
  expect(listed.ok ? 'listed' : listed.error.message).toBe('listed');
  expect((await h.emulator.stats()).routeCalls[h.routes.list]).toBe(2);
  // Answered by the retry, long before the hung attempt's answer would have come.
  expect(Date.now() - started).toBeLessThan(15_000);
}, 60_000);

it('a call that hangs on every attempt fails within its retries, as a timeout', async () => {
  h = await createHarness({ provider: 'bedrock', maxRetries: 1, timeoutMs: 300 });
  h.emulator.setFaults({ slowMs: 3000, slowRoutes: [h.routes.retrieve] });
  const got = await h.api.retrieveBatch('arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghijkl');
  expect(got.ok).toBe(false);
  expect(got.ok ? '' : got.error.message).toMatch(/TimeoutError/);
  expect((await h.emulator.stats()).routeCalls[h.routes.retrieve]).toBe(2);
}, 60_000);

it('a result object that takes longer than the timeout in all, with no silence as long, is read whole', async () => {
  h = await createHarness({ provider: 'bedrock', maxRetries: 0, timeoutMs: 2000 });
  const object = await resultObject(h);
  // The answer after 1.2 s, half its first chunk, then the rest 1.2 s later: 2.4 s in all.
  h.emulator.setFaults({ slowMs: 1200, slowRoutes: [GET_OBJECT], stallDownloads: { ms: 1200 } });
  const download = await h.api.downloadFile(object.folder);
  if (!download.ok) throw new Error(download.error.message);
  expect((await read(download.value)).equals(object.content)).toBe(true);
  expect((await h.emulator.stats()).downloadsStalled).toBe(1);
}, 60_000);

it('a result object whose body stops for longer than the timeout fails there', async () => {
  h = await createHarness({ provider: 'bedrock', maxRetries: 0, timeoutMs: 1000 });
  const object = await resultObject(h);
  h.emulator.setFaults({ stallDownloads: { ms: 10_000 } });
  const download = await h.api.downloadFile(object.folder);
  if (!download.ok) throw new Error(download.error.message);
  const started = Date.now();
  await expect(read(download.value)).rejects.toThrow(/timed out|timeout/i);
  expect(Date.now() - started).toBeLessThan(8000);
}, 60_000);
