/**
 * The send gate, on every provider's own SDK: the ledger stops saying a create was "not sent" only
 * at the last moment before its request leaves the process, never after the provider has it. A
 * part whose ledger still says "not sent" after a crash is created again at once (the same intent)
 * instead of waiting out the 10-minute adoption window; a hook that fails sends nothing.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchApi, CreateBatchParams } from '../../src/providers/batch-api.ts';
import { ledgerSchema, type Part } from '../../src/stages/batch/ledger.ts';
import { createHarness, expectDone, TEST_PROVIDERS, type Harness } from './harness.ts';

let h: Harness;
afterEach(async () => h?.close());

const partsOf = async (subject: string): Promise<Part[]> =>
  ledgerSchema.parse(JSON.parse(await readFile(h.marker(subject), 'utf8'))).parts;

/** The stage's API with each create's params passed through `wrap` first. */
function wrapCreates(wrap: (p: CreateBatchParams) => CreateBatchParams): void {
  const real: BatchApi = h.services.api;
  h.services.api = { ...real, createBatch: (p) => real.createBatch(wrap(p)) };
}

describe.each(TEST_PROVIDERS)('send gate (%s)', (provider) => {
  it('the ledger says "may have been sent" before the provider has the request, never after', async () => {
    h = await createHarness({ provider });
    await h.writeRequests('ethics', h.lines('ethics', 6));
    const seen: { notSentBefore: boolean; notSentAfter: boolean; batchesAtGate: number }[] = [];
    wrapCreates((p) => ({
      ...p,
      beforeSend: async () => {
        const before = (await partsOf('ethics'))[0]!;
        await p.beforeSend!();
        const after = (await partsOf('ethics'))[0]!;
        seen.push({
          notSentBefore: before.state === 'creating' && before.createNotSent === true,
          notSentAfter: after.createNotSent === true,
          batchesAtGate: (await h.books()).batchesCreated,
        });
      },
    }));
    expect((await h.cycle(['ethics'])).get('ethics')).not.toBe('crashed');
    // Once per create, with the record written on disk and no batch at the provider yet.
    expect(seen).toEqual([{ notSentBefore: true, notSentAfter: false, batchesAtGate: 0 }]);
    expect((await h.books()).batchesCreated).toBe(1);
    expect((await partsOf('ethics'))[0]).toMatchObject({ state: 'submitted' });
  });

  it('a crash before the send (after `creating` is recorded) creates the batch again at once, not after the adoption window', async () => {
    h = await createHarness({ provider });
    await h.writeRequests('logic', h.lines('logic', 5));
    h.services.crashAt = (point) => point === 'after-creating';
    expect((await h.cycle(['logic'])).get('logic')).toBe('crashed');
    expect((await partsOf('logic'))[0]).toMatchObject({ state: 'creating', createNotSent: true });
    delete h.services.crashAt;
    // No time passes: the part is not "unsure" (nothing can have been sent), so the next run creates it.
    await h.cycle(['logic']);
    expect((await partsOf('logic'))[0]).toMatchObject({ state: 'submitted' });
    const { outcomes } = await h.untilSettled(['logic']);
    expectDone(outcomes.get('logic'));
    expect(await h.books()).toMatchObject({ batchesCreated: 1, requestsExecuted: 5, duplicateExecutions: 0 });
  });

  it('a hook that fails stops the request: nothing reaches the provider, and the next run creates it once', async () => {
    h = await createHarness({ provider });
    await h.writeRequests('music', h.lines('music', 4));
    let refused = 0;
    wrapCreates((p) => ({
      ...p,
      beforeSend: () => {
        refused += 1;
        return Promise.reject(new Error('the ledger could not be written'));
      },
    }));
    await h.cycle(['music']);
    expect(refused).toBe(1);
    expect((await h.books()).batchesCreated).toBe(0);
    expect((await partsOf('music'))[0]).toMatchObject({ state: 'creating', createNotSent: true });
    h.services.api = h.api;
    const { outcomes } = await h.untilSettled(['music'], { stepMs: 1_000 });
    expectDone(outcomes.get('music'));
    expect(await h.books()).toMatchObject({ batchesCreated: 1, requestsExecuted: 4, duplicateExecutions: 0 });
  });
});
