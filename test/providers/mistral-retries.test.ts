/**
 * Mistral's transport retries what is safe to retry as the other transports do, a bounded few
 * times (the endpoint's `maxRetries`, default 2), not for as long as 30 s per call: under an
 * outage every call of a build used to retry for half a minute, so a build took minutes to say
 * "try again later" (70–100 s per run in the fault campaign, against 2–5 s on Gemini).
 *
 * And each retry is timed on its own: the SDK's timeout was one signal for a call and all its
 * retries, so a retry sent after a 429's retry-after of 1 s, with a timeout of 1 s, was aborted
 * before it left the process. Under the campaign's burst of 429s before every build the same first
 * parts' status reads failed "Request timed out" in every build, and those parts were never
 * collected (issue #30). The waits here are the SDK's own (retry-after), in real time.
 */
import { afterEach, expect, it } from 'vitest';
import { createHarness, type Harness } from '../batch/harness.ts';

let h: Harness | undefined;
afterEach(async () => h?.close());

it('a list call that keeps failing with 503 gives up after its retries, within seconds', async () => {
  h = await createHarness({ provider: 'mistral', maxRetries: 2 });
  h.emulator.setFaults({ http: [{ route: h.routes.list, status: 503, rate: 1 }] });
  const started = Date.now();
  const listed = await h.api.listBatches({ limit: 10 });
  expect(listed.ok).toBe(false);
  expect(listed.ok ? undefined : listed.error.kind).toBe('server-error');
  // The first call and its retries: about 3 with maxRetries 2 (the SDK bounds them by time: 5 at most).
  expect(h.api.calls.byRoute[h.clientRoutes.list]).toBeGreaterThanOrEqual(2);
  expect(h.api.calls.byRoute[h.clientRoutes.list]).toBeLessThanOrEqual(5);
  expect(Date.now() - started).toBeLessThan(10_000);
}, 60_000);

it('a retry sent after the first attempt’s timeout has passed reaches the server and succeeds', async () => {
  h = await createHarness({ provider: 'mistral', maxRetries: 2, timeoutMs: 300 });
  // One 429 asking for a second's wait: longer than an attempt may take, not longer than the call may.
  h.emulator.setFaults({ http: [{ route: h.routes.list, status: 429, count: 1, retryAfterSeconds: 1 }] });
  const listed = await h.api.listBatches({ limit: 10 });
  expect(listed.ok ? 'listed' : listed.error.message).toBe('listed');
  expect((await h.emulator.stats()).routeCalls[h.routes.list]).toBe(2);
}, 60_000);

it('a burst of 429s before every build does not starve the same parts build after build', async () => {
  h = await createHarness({ provider: 'mistral', maxRetries: 2, timeoutMs: 1000 });
  const subjects = ['anatomy', 'astronomy', 'botany'];
  for (const s of subjects) await h.writeRequests(s, h.lines(s, 3));
  const submitted = await h.cycle(subjects);
  expect([...submitted.values()].map((o) => (o === 'crashed' ? o : o.kind))).toEqual(['pending', 'pending', 'pending']);
  h.clock.advance(10 * 60_000); // every job has ended

  // As in the fault campaign: three 429s (retry-after 1 s) re-armed before each build, the timeout 1 s.
  const left = new Set(subjects);
  const said: string[] = [];
  for (let build = 0; build < 3 && left.size > 0; build++) {
    h.emulator.setFaults({ http: [{ status: 429, count: 3, retryAfterSeconds: 1 }] });
    for (const [subject, outcome] of await h.cycle([...left])) {
      if (outcome !== 'crashed' && outcome.kind === 'done') left.delete(subject);
      else said.push(`${subject}: ${JSON.stringify(outcome)}`);
    }
  }
  expect(said).toEqual([]);
  for (const s of subjects) expect(await h.results(s)).toHaveLength(3);
}, 120_000);

it('a download whose body stalls for longer than the timeout, after its answer came in time, is read whole', async () => {
  h = await createHarness({ provider: 'mistral', maxRetries: 2, timeoutMs: 300 });
  const content = Buffer.from(Array.from({ length: 200 }, (_, i) => `{"custom_id":"r-${i}"}\n`).join(''));
  const uploaded = await h.api.upload(content, 'results.jsonl');
  if (!uploaded.ok) throw new Error(uploaded.error.message);
  // Half the body at once, the rest 0.9 s later: the answer's headers came well within 300 ms.
  h.emulator.setFaults({ stallDownloads: { ms: 900 } });
  const download = await h.api.downloadFile(uploaded.value.id);
  if (!download.ok) throw new Error(download.error.message);
  const chunks: Buffer[] = [];
  for await (const chunk of download.value) chunks.push(Buffer.from(chunk as Buffer));
  expect(Buffer.concat(chunks).equals(content)).toBe(true);
  expect((await h.emulator.stats()).downloadsStalled).toBe(1);
}, 60_000);
