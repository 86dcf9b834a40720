/** What the provider answers, and what the stage makes of it (design §4, "Outcomes"). */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerSchema } from '../../src/stages/batch/ledger.ts';
import { batchStage } from '../../src/stages/batch/stage.ts';
import type { StageOutcome } from '../../src/stages/types.ts';
import { readAnyResult } from '../../src/providers/registry.ts';
import { testProfile as profileOf } from '../helpers/test-providers.ts';
import { createHarness, expectDone, idOf, requestLines, TEST_PROVIDERS, type Harness } from './harness.ts';

let h: Harness;
afterEach(async () => h?.close());

const ledgerOf = async (subject: string) => ledgerSchema.parse(JSON.parse(await readFile(h.marker(subject), 'utf8')));
const failedOf = (o: StageOutcome | 'crashed' | undefined) => {
  if (!o || o === 'crashed' || o.kind !== 'failed') throw new Error(`expected failed, got ${JSON.stringify(o)}`);
  return o.failure;
};

/** Whether a raw result line is a success, read by its provider's line format. */
const succeeded = (r: Record<string, unknown>) => readAnyResult(r)?.kind === 'succeeded';

/** What a failed raw result line says, read by its provider's line format: retryable or not, and its code. */
const failureOf = (r: Record<string, unknown>) => {
  const read = readAnyResult(r);
  return read?.kind === 'errored' ? { retryable: read.retryable, code: read.code } : read?.kind;
};

describe.each(TEST_PROVIDERS)('batch outcomes (%s)', (provider) => {
  it('expired: finished results are kept and only the remainder is sent again', async () => {
    const byControl = profileOf(provider).expiresBy === 'control';
    h = await createHarness({ provider, ...(byControl ? {} : { emulator: { faults: { expireAfterFraction: 0.5 } } }) });
    const lines = h.lines('geo', 20);
    await h.writeRequests('geo', lines);
    await h.cycle(['geo']);
    if (byControl) {
      h.clock.advance(1_200); // validated after 1 s, then 50 requests/s: about half done
      const id = (await ledgerOf('geo')).parts[0]!.batchId!;
      const at = `${new URL(h.emulator.url).origin}/_emulator/batches/${encodeURIComponent(id)}/expire`;
      expect((await fetch(at, { method: 'POST' })).status).toBe(200);
    } else {
      // Bedrock has no expire control: its job's processing is cut at half (PartiallyCompleted).
      h.clock.advance(60_000);
      await h.cycle(['geo']);
      h.emulator.setFaults({});
    }
    const { outcomes } = await h.untilSettled(['geo']);
    expectDone(outcomes.get('geo'));
    const ledger = await ledgerOf('geo');
    expect(ledger.parts).toHaveLength(2);
    const kept = (await ledgerOf('geo')).parts[0]!.counts!.completed;
    expect(ledger.parts[1]!.status).toBe('completed');
    // Gemini's expired batch has no results at all, whatever its stats said: all sent again.
    if (h.profile.expiryKeepsResults) {
      expect(kept).toBeGreaterThan(0);
      expect(ledger.parts[1]!.requests).toBe(20 - kept);
    } else expect(ledger.parts[1]!.requests).toBe(20);
    expect(await h.books()).toMatchObject({ duplicateExecutions: 0, batchesHeld: 2 });
    expect(h.ids(await h.results('geo'))).toEqual(h.ids(lines));
  });

  it('per-request 5xx are retried in a follow-up part of only those requests', async () => {
    h = await createHarness({
      provider,
      emulator: { faults: { requestErrors: { customIds5xx: ['bio-2', 'bio-5'], transientAttempts: 1 } } },
    });
    await h.writeRequests('bio', h.lines('bio', 8));
    const { outcomes } = await h.untilSettled(['bio']);
    const done = expectDone(outcomes.get('bio'));
    expect(done.summary).toBe('8 results');
    const ledger = await ledgerOf('bio');
    expect(ledger.parts.map((p) => p.requests)).toEqual([8, 2]);
    expect(ledger.parts[1]!.lines).toBe('2,5');
    expect(Object.keys(ledger.requestFailures)).toHaveLength(0);
    expect((await h.results('bio')).every(succeeded)).toBe(true);
    expect(await h.providerBatches()).toBe(2);
  });

  it('transient failures past maxAttempts become permanent, with the provider error line', async () => {
    h = await createHarness({
      provider,
      config: { maxAttempts: 2 },
      emulator: { faults: { requestErrors: { customIds5xx: ['phys-3'], transientAttempts: 10 } } },
    });
    await h.writeRequests('phys', h.lines('phys', 4));
    const done = expectDone((await h.untilSettled(['phys'])).outcomes.get('phys'));
    const error = '.+';
    expect(done.summary).toMatch(
      new RegExp(
        `3 results, 1 failed: phys-3 \\(line 3\\): ${error} \\(after 2 attempts\\) — sent again by the next build`,
      ),
    );
    expect(await h.books()).toMatchObject({ batchesCreated: 2, batchesHeld: 2 });
    const results = await h.results('phys');
    expect(idOf(results[2]!)).toBe('phys-3');
    expect(failureOf(results[2]!)).toMatchObject({ retryable: true });
  });

  it('per-request 4xx are permanent: recorded with status and message, never retried', async () => {
    h = await createHarness({ provider, emulator: { faults: { requestErrors: { customIds4xx: ['law-3'] } } } });
    await h.writeRequests('law', h.lines('law', 5));
    const done = expectDone((await h.untilSettled(['law'])).outcomes.get('law'));
    const error = '.+';
    expect(done.summary).toMatch(
      new RegExp(`4 results, 1 failed: law-3 \\(line 3\\): ${error}.* — needs a change to the request`),
    );
    expect((await h.books()).batchesCreated).toBe(1);
    const results = await h.results('law');
    expect(h.ids(results)).toEqual(['law-1', 'law-2', 'law-3', 'law-4', 'law-5']);
    expect(failureOf(results[2]!)).toMatchObject({ retryable: false });
    const ledger = await ledgerOf('law');
    expect(Object.values(ledger.requestFailures)).toMatchObject([{ customId: 'law-3', permanent: true }]);
    const status = await batchStage.describe!(h.ctx('law'), h.config);
    expect(status.failures?.[0]).toMatch(/law-3: /);

    // --force sends the failed request again (and only it).
    h.emulator.setFaults({});
    await h.cycle(['law'], { force: true });
    expectDone((await h.untilSettled(['law'])).outcomes.get('law'));
    expect(await h.books()).toMatchObject({ batchesCreated: 2, batchesHeld: 2, requestsExecuted: 6 });
  });

  it('cancel: the next build keeps finished results and sends only what is missing', async () => {
    h = await createHarness({ provider });
    const lines = h.lines('art', 200); // 4 s of emulated work
    await h.writeRequests('art', lines);
    await h.cycle(['art']);
    h.clock.advance(2_000); // validated at 1 s, ~50 done by 2 s
    // A provider that queues a job longer first (Bedrock: 3 s): on until some are done, where counts show it.
    const id = (await ledgerOf('art')).parts[0]!.batchId!;
    for (let i = 0; i < 10 && !h.profile.spec.traits.countsOnlyAtEnd; i++) {
      const remote = await h.api.retrieveBatch(id);
      if (remote.ok && remote.value.requestCounts.completed > 0) break;
      h.clock.advance(500);
    }
    const cancelled = await batchStage.cancel!(h.ctx('art'), h.config);
    expect(cancelled.cancelled).toBe(1);
    h.clock.advance(5_000);
    await h.cycle(['art']);
    const ledger = await ledgerOf('art');
    expect(ledger.parts[0]!.status).toBe('cancelled');
    const finished = ledger.parts[0]!.counts!.completed;
    expect(finished).toBeGreaterThan(0);
    expect(finished).toBeLessThan(200);
    expect(ledger.parts[1]!.requests).toBe(200 - finished);
    expectDone((await h.untilSettled(['art'])).outcomes.get('art'));
    expect(await h.books()).toMatchObject({ requestsExecuted: 200, duplicateExecutions: 0, batchesHeld: 2 });
    expect(h.ids(await h.results('art'))).toEqual(h.ids(lines));
    // Cancelling when nothing is in flight is harmless.
    expect((await batchStage.cancel!(h.ctx('art'), h.config)).cancelled).toBe(0);
  });

  it('create answered 429 waits and retries; no failure, one batch', async () => {
    h = await createHarness({ provider });
    h.emulator.setFaults({ http: [{ route: h.routes.create, status: 429, count: 1, retryAfterSeconds: 2 }] });
    await h.writeRequests('med', h.lines('med', 3));
    expect((await h.cycle(['med'])).get('med')).toMatchObject({ kind: 'pending', state: 'submitting' });
    expect((await ledgerOf('med')).parts[0]!.note).toMatch(/429/);
    const { outcomes } = await h.untilSettled(['med'], { stepMs: 15_000 });
    expectDone(outcomes.get('med'));
    expect(await h.books()).toMatchObject({ batchesCreated: 1, batchesHeld: 1 });
  });
});

describe('batch outcomes', () => {
  it('a batch failing validation fails the target with request-file line numbers, and is not resent unchanged', async () => {
    h = await createHarness({ config: { maxRequestsPerBatch: 2 } });
    const lines: unknown[] = requestLines('chem', 5);
    (lines[2] as { method: string }).method = 'GET'; // line 3: part 2, line 1
    await h.writeRequests('chem', lines);
    const { outcomes } = await h.untilSettled(['chem']);
    const failure = failedOf(outcomes.get('chem'));
    expect(failure.reason).toBe('provider-error');
    expect(failure.file).toBe('paraphrase_batch/chem.jsonl');
    expect(failure.message).toMatch(/rejected batch batch_\w+ \(part 2/);
    expect(failure.details?.join('\n')).toMatch(
      /paraphrase_batch\/chem\.jsonl:3: invalid_method: Invalid value: 'GET'/,
    );
    expect((await batchStage.describe!(h.ctx('chem'), h.config)).state).toBe('failed');
    const created = (await h.emulator.stats()).batchesCreated;
    expect(created).toBe(3);

    // Unchanged file: fails again at once, sends nothing.
    failedOf((await h.cycle(['chem'])).get('chem'));
    expect((await h.emulator.stats()).batchesCreated).toBe(created);

    // Fixed: only the requests without a result are sent.
    (lines[2] as { method: string }).method = 'POST';
    await h.writeRequests('chem', lines);
    expectDone((await h.untilSettled(['chem'])).outcomes.get('chem'));
    const stats = await h.emulator.stats();
    expect(stats.batchesCreated).toBe(created + 1);
    expect(stats.requestsExecuted).toBe(5);
  });

  it('token_limit_exceeded re-queues with backoff instead of failing', async () => {
    const lines = requestLines('econ', 6);
    h = await createHarness({ config: { maxRequestsPerBatch: 3 } });
    await h.writeRequests('econ', lines);
    // Room for one part of 3 requests at a time at the provider, none configured here.
    const { estimateCost } = await import('../../src/stages/work/estimate.ts');
    const { readRequestFile } = await import('../../src/stages/work/request-file.ts');
    const req = await readRequestFile(h.ctx('econ').inputs[0]!, h.root);
    if (!req.ok) throw new Error('bad fixture');
    const partTokens = estimateCost(req.value.entries.slice(0, 3), 0.55, {}).inputTokens;
    await h.close();
    h = await createHarness({
      config: { maxRequestsPerBatch: 3 },
      emulator: { enqueuedTokenLimit: Math.ceil(partTokens * 1.5) },
    });
    await h.writeRequests('econ', lines);
    const { outcomes, history } = await h.untilSettled(['econ'], { stepMs: 30_000 });
    expect(history.every((o) => o !== 'crashed' && o.kind !== 'failed')).toBe(true);
    expectDone(outcomes.get('econ'));
    const ledger = await ledgerOf('econ');
    expect(ledger.parts.some((p) => p.note?.includes('token_limit_exceeded'))).toBe(true);
    expect((await h.results('econ')).map((r) => r.custom_id)).toEqual(lines.map((l) => l.custom_id));
  });

  it('create answered 429 or "Cannot find file" waits and retries; no failure, one batch', async () => {
    h = await createHarness({
      emulator: {
        faults: {
          fileNotFoundAfterUploadMs: 5_000,
          http: [{ route: 'POST /v1/batches', status: 429, count: 1, retryAfterSeconds: 2 }],
        },
      },
    });
    await h.writeRequests('med', requestLines('med', 3));
    expect((await h.cycle(['med'])).get('med')).toMatchObject({ kind: 'pending', state: 'submitting' });
    let ledger = await ledgerOf('med');
    expect(ledger.parts[0]).toMatchObject({ state: 'uploaded' });
    expect(ledger.parts[0]!.note).toMatch(/429/);
    h.clock.advance(3_000);
    await h.cycle(['med']);
    ledger = await ledgerOf('med');
    expect(ledger.parts[0]!.note).toMatch(/Cannot find file/i);
    const { outcomes } = await h.untilSettled(['med'], { stepMs: 15_000 });
    expectDone(outcomes.get('med'));
    expect((await h.emulator.stats()).batchesCreated).toBe(1);
  });
});
