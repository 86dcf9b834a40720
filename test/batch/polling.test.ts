/** Bulk polling: one list call per 100 batches in flight, shared by every target of the build. */
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, TEST_PROVIDERS, type Harness } from './harness.ts';

let h: Harness;
afterEach(async () => h?.close());

/**
 * 101 batches in flight at once: above Gemini's 100 and Bedrock's 20 concurrent jobs, so checked
 * where the provider allows it (Mistral's 101 uploads take longer than the test's minute).
 */
const MANY_IN_FLIGHT = TEST_PROVIDERS.filter((p) => p === 'openai' || p === 'anthropic');

describe.each(MANY_IN_FLIGHT)('polling (%s)', (provider) => {
  it('polls n in-flight batches with at most ceil(n/100) list calls and no per-batch retrieve', async () => {
    h = await createHarness({ provider });
    // Just over one page of 100: two list calls, where one retrieve per batch would be 101.
    const subjects = Array.from({ length: 101 }, (_, i) => `s${i}`);
    for (const s of subjects) await h.writeRequests(s, h.lines(s, 1));
    await h.cycle(subjects);
    expect((await h.emulator.stats()).batchesCreated).toBe(101);
    expect(await h.providerBatches()).toBe(101);
    h.clock.advance(500); // still validating: everything stays in flight
    const calls = () => ({
      list: h.api.calls.byRoute[h.clientRoutes.list] ?? 0,
      retrieve: h.api.calls.byRoute[h.clientRoutes.retrieve] ?? 0,
    });
    const before = calls();
    const out = await h.cycle(subjects);
    const after = calls();

    expect([...out.values()].every((o) => o !== 'crashed' && o.kind === 'pending')).toBe(true);
    expect(after.list - before.list).toBeLessThanOrEqual(Math.ceil(101 / 100));
    expect(after.retrieve - before.retrieve).toBe(0);

    h.clock.advance(60_000);
    const before2 = calls();
    const done = await h.cycle(subjects);
    expect([...done.values()].every((o) => o !== 'crashed' && o.kind === 'done')).toBe(true);
    expect(calls().list - before2.list).toBeLessThanOrEqual(2);
    expect(calls().retrieve - before2.retrieve).toBe(0);
  });
});

describe('thousands of batches, at test size', () => {
  it('collects 200 batches with ⌈200/100⌉ list calls and one download per result file, nothing else per batch', async () => {
    h = await createHarness({ provider: 'openai' });
    const n = 200;
    const subjects = Array.from({ length: n }, (_, i) => `t${i}`);
    for (const s of subjects) await h.writeRequests(s, h.lines(s, 1));
    await h.cycle(subjects);
    expect((await h.emulator.stats()).batchesCreated).toBe(n);
    h.clock.advance(60_000); // every batch has finished
    const before = { ...h.api.calls.byRoute };
    const done = await h.cycle(subjects);
    expect([...done.values()].every((o) => o !== 'crashed' && o.kind === 'done')).toBe(true);
    const used = Object.fromEntries(
      Object.entries(h.api.calls.byRoute)
        .map(([route, calls]) => [route, calls - (before[route] ?? 0)] as const)
        .filter(([, calls]) => calls > 0),
    );
    // The walk of the list may take one page more than ⌈n/100⌉ to see that it reached the oldest batch.
    expect(used['GET /v1/batches']).toBeLessThanOrEqual(Math.ceil(n / 100) + 1);
    expect(used['GET /v1/files/{id}/content']).toBe(n); // each batch's output file, once
    expect(Object.keys(used).sort()).toEqual(['GET /v1/batches', 'GET /v1/files/{id}/content']);
  }, 180_000); // 200 targets submitted and collected in process: room for a loaded 2-core machine
});
