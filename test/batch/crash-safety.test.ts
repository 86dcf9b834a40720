/**
 * A process may be killed at any instant: simulated crashes at every step of the submit/collect
 * protocol, and hand-made markers in intermediate states. Whatever happens, exactly one batch per
 * part, every result, and no request executed twice.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerSchema } from '../../src/stages/batch/ledger.ts';
import type { CrashPoint } from '../../src/stages/batch/services.ts';
import { batchStage } from '../../src/stages/batch/stage.ts';
import { hashText } from '../../src/util/hash.ts';
import { testProfile } from '../helpers/test-providers.ts';
import { createHarness, expectDone, requestLines, TEST_PROVIDERS, type Harness, type TestProvider } from './harness.ts';

let h: Harness;
afterEach(async () => h?.close());

/**
 * The protocol steps a process may die at, per provider: every step of submit and collect. A
 * provider that takes small parts inline in the create call (Anthropic, Gemini) has no upload for
 * them, so `during-upload` and `after-upload` do not exist there (the intent goes straight to
 * `creating`); every other step is the same protocol.
 */
const STAGE_POINTS: readonly CrashPoint[] = [
  'after-intent',
  'during-upload',
  'after-upload',
  'after-creating',
  'after-create',
  'during-download',
  'after-download',
];
const pointsOf = (provider: TestProvider) => STAGE_POINTS.filter((p) => testProfile(provider).failpoints.includes(p));

describe.each(TEST_PROVIDERS)('crash safety (%s)', (provider) => {
  const uploads = testProfile(provider).failpoints.includes('after-upload');
  for (const point of pointsOf(provider)) {
    it(`a crash ${point} makes no duplicate batch or upload and loses no result`, async () => {
      h = await createHarness({ provider, config: { maxRequestsPerBatch: 4 } });
      const lines = h.lines('logic', 10);
      await h.writeRequests('logic', lines);
      let crashes = 0;
      // Crash once at this point for every part (3 parts).
      const crashed = new Set<number>();
      h.services.crashAt = (p, info) => {
        if (p !== point || crashed.has(info.part)) return false;
        crashed.add(info.part);
        crashes += 1;
        return true;
      };
      const { outcomes, history } = await h.untilSettled(['logic'], { stepMs: 60_000 });
      expect(history).toContain('crashed');
      expect(crashes).toBeGreaterThan(0);
      expectDone(outcomes.get('logic'));
      expect(h.ids(await h.results('logic'))).toEqual(h.ids(lines));
      const books = await h.books();
      expect(books.batchesCreated).toBe(3);
      expect(books.batchesHeld).toBe(3);
      // An upload whose answer was lost is found again by name: no orphaned file at the provider.
      if (books.filesUploaded !== undefined) expect(books.filesUploaded).toBe(uploads ? 3 : 0);
      expect(books.requestsExecuted).toBe(10);
      expect(books.duplicateExecutions).toBe(0);
      const ledger = ledgerSchema.parse(JSON.parse(await readFile(h.marker('logic'), 'utf8')));
      expect(ledger.parts.filter((p) => p.state === 'collected')).toHaveLength(3);
    });
  }

  it('adopts a batch created by a run that died before recording its id (marker left in `creating`)', async () => {
    h = await createHarness({ provider });
    await h.writeRequests('ethics', h.lines('ethics', 6));
    h.services.crashAt = (p) => p === 'after-create';
    expect((await h.cycle(['ethics'])).get('ethics')).toBe('crashed');
    const marker = JSON.parse(await readFile(h.marker('ethics'), 'utf8')) as {
      parts: { state: string; batchId?: string }[];
    };
    expect(marker.parts[0]).toMatchObject({ state: 'creating' });
    expect(marker.parts[0]!.batchId).toBeUndefined();
    delete h.services.crashAt;

    // `status` already shows it as being submitted, and `clean` will not drop the marker.
    expect((await batchStage.describe!(h.ctx('ethics'), h.config)).state).toBe('submitting');
    expect(await batchStage.cleanable!(h.ctx('ethics'), h.config)).toEqual([]);

    const { outcomes } = await h.untilSettled(['ethics']);
    expectDone(outcomes.get('ethics'));
    expect(await h.books()).toMatchObject({ batchesCreated: 1, batchesHeld: 1, requestsExecuted: 6 });
    const ledger = ledgerSchema.parse(JSON.parse(await readFile(h.marker('ethics'), 'utf8')));
    // Found again as the spec says it finds a lost create: by its intent (metadata, Gemini's display
    // name), by its results' custom ids (no metadata), or by creating again with the same token.
    if (testProfile(provider).spec.traits.findsLostCreates === 'idempotent')
      expect((await h.emulator.stats()).aws?.idempotentReplays).toBe(1);
    else expect(ledger.parts[0]!.adopted).toBe(true);
  });

  const idempotent = testProfile(provider).spec.traits.findsLostCreates === 'idempotent';

  it(`an unanswered create (connection dropped) is ${idempotent ? 'sent again with the same token' : 'looked up before creating again'}`, async () => {
    h = await createHarness({ provider });
    await h.writeRequests('music', h.lines('music', 5));
    h.emulator.setFaults({ dropRate: 1, dropRoutes: [h.routes.create] });
    const first = (await h.cycle(['music'])).get('music');
    expect(first).toMatchObject({ kind: 'pending', state: 'submitting' });
    h.emulator.setFaults({});
    h.clock.advance(1_000);
    const second = (await h.cycle(['music'])).get('music');
    // Too soon to conclude from the list that nothing was made: wait. With an idempotency token
    // there is nothing to conclude: the same create is sent again and answers the one job.
    if (idempotent) expect(second).toMatchObject({ kind: 'pending', state: 'validating' });
    else expect(second).toMatchObject({ kind: 'pending', state: 'submitting' });
    const { outcomes } = await h.untilSettled(['music']);
    expectDone(outcomes.get('music'));
    expect(await h.books()).toMatchObject({ batchesCreated: 1, batchesHeld: 1 });
    if (!idempotent) expect((await h.emulator.stats()).routeCalls[h.routes.list]).toBeGreaterThan(0);
  });

  it(`a create that took effect but whose answer was lost is ${idempotent ? 'answered again by its token' : 'found again'}, never made twice`, async () => {
    h = await createHarness({ provider });
    const lines = h.lines('poetry', 5);
    await h.writeRequests('poetry', lines);
    h.emulator.setFaults({ lostReplyRate: 1, lostReplyRoutes: [h.routes.create] });
    expect((await h.cycle(['poetry'])).get('poetry')).toMatchObject({ kind: 'pending', state: 'submitting' });
    h.emulator.setFaults({});
    expect((await h.books()).batchesCreated).toBe(1); // made, the answer lost
    const { outcomes } = await h.untilSettled(['poetry'], { stepMs: 60_000 });
    expectDone(outcomes.get('poetry'));
    expect(h.ids(await h.results('poetry'))).toEqual(h.ids(lines));
    expect(await h.books()).toMatchObject({
      batchesCreated: 1,
      batchesHeld: 1,
      requestsExecuted: 5,
      duplicateExecutions: 0,
    });
    const ledger = ledgerSchema.parse(JSON.parse(await readFile(h.marker('poetry'), 'utf8')));
    // The path the spec declares: by intent (metadata, Gemini's display name), by custom ids once
    // the batch ended (no metadata), or the same create again with the same token.
    if (idempotent) expect((await h.emulator.stats()).aws?.idempotentReplays).toBe(1);
    else expect(ledger.parts[0]).toMatchObject({ adopted: true });
  });
});

describe('crash safety', () => {
  it('a corrupt marker is a clear bad-input failure naming the file, and is left untouched', async () => {
    h = await createHarness();
    await h.writeRequests('history', requestLines('history', 3));
    const garbage = '{"version": 1, "parts": [{"batchId": "batch_abc123", "state": "submitted"'; // truncated
    await writeFile(h.marker('history'), garbage);
    const outcome = (await h.cycle(['history'])).get('history');
    expect(outcome).toMatchObject({
      kind: 'failed',
      failure: { reason: 'bad-input', file: 'paraphrase_batch/history.batch.json' },
    });
    if (outcome === 'crashed' || outcome?.kind !== 'failed') throw new Error('unreachable');
    expect(outcome.failure.message).toMatch(/history\.batch\.json is not a valid ledger/);
    expect(outcome.failure.details?.join('\n')).toContain('batch_abc123');
    expect(await readFile(h.marker('history'), 'utf8')).toBe(garbage);
    expect(await batchStage.cleanable!(h.ctx('history'), h.config)).toEqual([]);
    expect((await batchStage.describe!(h.ctx('history'), h.config)).state).toBe('failed');

    // Valid JSON, wrong shape (a hand edit): same kind of failure, with the offending key.
    await writeFile(
      h.marker('history'),
      JSON.stringify({ version: 1, target: 'x', updatedAt: 'yesterday', parts: [], requestFailures: {} }),
    );
    const again = (await h.cycle(['history'])).get('history');
    expect(again).toMatchObject({ kind: 'failed', failure: { reason: 'bad-input' } });
    expect((await h.emulator.stats()).batchesCreated).toBe(0);
  });

  it('a hand-made marker left in `creating` (no part file) adopts the batch that carries its intent', async () => {
    h = await createHarness();
    const lines = requestLines('ml', 3);
    await h.writeRequests('ml', lines);
    const data = Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const sha = hashText(data);
    const file = await h.api.upload(data, 'ml.jsonl');
    if (!file.ok) throw new Error('upload');
    const made = await h.api.createBatch({
      inputFileId: file.value.id,
      endpoint: '/v1/chat/completions',
      model: 'gpt-4.1',
      completionWindow: '24h',
      metadata: { pipeline_intent: 'handmade01', pipeline_sha256: sha },
    });
    if (!made.ok) throw new Error('create');
    const at = new Date(h.clock.now()).toISOString();
    const requestSha = hashText(await readFile(h.ctx('ml').inputs[0]!));
    await writeFile(
      h.marker('ml'),
      JSON.stringify(
        {
          version: 1,
          target: 'paraphrase_batch/results/ml.jsonl',
          updatedAt: at,
          requestFailures: {},
          parts: [
            {
              n: 1,
              state: 'creating',
              sha256: sha,
              intent: 'handmade01',
              intentAt: at,
              createAttemptAt: at,
              model: 'gpt-4.1',
              endpoint: '/v1/chat/completions',
              requests: 3,
              bytes: data.length,
              inputTokens: 100,
              requestSha,
              lines: '1-3',
              fileId: file.value.id,
            },
          ],
        },
        null,
        2,
      ),
    );
    const { outcomes } = await h.untilSettled(['ml']);
    expectDone(outcomes.get('ml'));
    expect((await h.emulator.stats()).batchesCreated).toBe(1);
    expect((await h.results('ml')).map((r) => r.custom_id)).toEqual(['ml-1', 'ml-2', 'ml-3']);
  });
});
