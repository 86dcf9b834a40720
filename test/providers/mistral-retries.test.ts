/**
 * Mistral's transport retries what is safe to retry as the other transports do, a bounded few
 * times (the endpoint's `maxRetries`, default 2), not for as long as 30 s per call: under an
 * outage every call of a build used to retry for half a minute, so a build took minutes to say
 * "try again later" (70–100 s per run in the fault campaign, against 2–5 s on Gemini).
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
