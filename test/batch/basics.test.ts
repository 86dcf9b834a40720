/** The batch stage end to end against the emulator: results, splitting, the request cache. */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { batchStage } from '../../src/stages/batch/stage.ts';
import { ledgerSchema } from '../../src/stages/batch/ledger.ts';
import { allFiles, API_KEY, createHarness, expectDone, requestLines, type Harness } from './harness.ts';

let h: Harness;
afterEach(async () => h?.close());

describe('batch stage', () => {
  it('submits, polls and writes every result in request order, joined by custom_id', async () => {
    h = await createHarness();
    const lines = requestLines('anatomy', 30);
    await h.writeRequests('anatomy', lines);
    const first = await h.cycle(['anatomy']);
    expect(first.get('anatomy')).toMatchObject({ kind: 'pending', state: 'validating' });
    const status = await batchStage.describe!(h.ctx('anatomy'), h.config);
    expect(status.state).toBe('validating');
    expect(status.inFlightSince).toBe(h.clock.now());

    const { outcomes } = await h.untilSettled(['anatomy']);
    const done = expectDone(outcomes.get('anatomy'));
    expect(done.usage!.input).toBeGreaterThan(0);
    expect(done.costUsd).toBeGreaterThan(0);
    const results = await h.results('anatomy');
    expect(results.map((r) => r.custom_id)).toEqual(lines.map((l) => l.custom_id));
    expect(results.every((r) => (r.response as { status_code: number }).status_code === 200)).toBe(true);
    const stats = await h.emulator.stats();
    expect(stats.batchesCreated).toBe(1);
    expect(stats.requestsExecuted).toBe(30);
    const ledger = ledgerSchema.parse(JSON.parse(await readFile(h.marker('anatomy'), 'utf8')));
    expect(ledger.parts.map((p) => p.state)).toEqual(['collected']);
    expect(await batchStage.cleanable!(h.ctx('anatomy'), h.config)).toEqual([h.marker('anatomy')]);

    // The API key is in no file the stage wrote (marker, cache, results).
    for (const file of await allFiles(h.root)) expect(await readFile(file, 'utf8')).not.toContain(API_KEY);
  });

  it('splits a request file into parts within maxRequestsPerBatch', async () => {
    h = await createHarness({ config: { maxRequestsPerBatch: 10 } });
    const lines = requestLines('law', 25);
    await h.writeRequests('law', lines);
    const { outcomes } = await h.untilSettled(['law']);
    expectDone(outcomes.get('law'));
    expect((await h.results('law')).map((r) => r.custom_id)).toEqual(lines.map((l) => l.custom_id));
    const ledger = ledgerSchema.parse(JSON.parse(await readFile(h.marker('law'), 'utf8')));
    expect(ledger.parts.map((p) => [p.requests, p.lines])).toEqual([
      [10, '1-10'],
      [10, '11-20'],
      [5, '21-25'],
    ]);
    expect((await h.emulator.stats()).batchesCreated).toBe(3);
  });

  it('never sends a request with a cached success: one edit sends one request, a new prompt sends all', async () => {
    h = await createHarness();
    const lines = requestLines('virology', 12);
    await h.writeRequests('virology', lines);
    expectDone((await h.untilSettled(['virology'])).outcomes.get('virology'));
    const before = await h.emulator.stats();
    const estimateBefore = await batchStage.estimate!(h.ctx('virology'), h.config);
    expect(estimateBefore).toMatchObject({ requests: 0, cachedRequests: 12 });

    lines[4]!.body.messages[1]!.content += ' (edited)';
    await h.writeRequests('virology', lines);
    const estimate = await batchStage.estimate!(h.ctx('virology'), h.config);
    expect(estimate).toMatchObject({ requests: 1, cachedRequests: 11 });
    expectDone((await h.untilSettled(['virology'])).outcomes.get('virology'));
    const after = await h.emulator.stats();
    expect(after.requestsExecuted - before.requestsExecuted).toBe(1);
    expect(after.batchesCreated - before.batchesCreated).toBe(1);
    const results = await h.results('virology');
    expect(results.map((r) => r.custom_id)).toEqual(lines.map((l) => l.custom_id));

    await h.writeRequests('virology', requestLines('virology', 12, 'Rewrite this in plain words.'));
    expectDone((await h.untilSettled(['virology'])).outcomes.get('virology'));
    const last = await h.emulator.stats();
    expect(last.requestsExecuted - after.requestsExecuted).toBe(12);
    expect(last.duplicateExecutions).toBe(0);
  });

  it('tolerates garbage and duplicate lines in the cache', async () => {
    h = await createHarness();
    await h.writeRequests('astronomy', requestLines('astronomy', 5));
    expectDone((await h.untilSettled(['astronomy'])).outcomes.get('astronomy'));
    const cache = `${h.root}/.pipeline/cache/paraphrase_batch/results/astronomy.jsonl`;
    const text = await readFile(cache, 'utf8');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(cache, `${text}${text}{"hash": "torn line`);
    const before = await h.emulator.stats();
    const outcome = expectDone((await h.untilSettled(['astronomy'])).outcomes.get('astronomy'));
    expect(outcome.summary).toBe('5 results');
    expect((await h.emulator.stats()).requestsExecuted).toBe(before.requestsExecuted);
  });

  it('sends identical requests once and answers each under its own custom_id', async () => {
    h = await createHarness();
    const lines = requestLines('dup', 4);
    lines[3]!.body = structuredClone(lines[1]!.body); // same request as dup-2
    await h.writeRequests('dup', lines);
    expectDone((await h.untilSettled(['dup'])).outcomes.get('dup'));
    const results = await h.results('dup');
    expect(results.map((r) => r.custom_id)).toEqual(['dup-1', 'dup-2', 'dup-3', 'dup-4']);
    expect(results[3]!.response).toEqual(results[1]!.response);
    expect((await h.emulator.stats()).requestsExecuted).toBe(3);
  });

  it('a request file edited while its batch is in flight: old results are kept, the new version completes', async () => {
    h = await createHarness();
    const lines = requestLines('edit', 6);
    await h.writeRequests('edit', lines);
    await h.cycle(['edit']); // part 1 in flight
    lines[0]!.body.messages[1]!.content += ' (new wording)';
    await h.writeRequests('edit', lines);
    const second = (await h.cycle(['edit'])).get('edit');
    expect(second).toMatchObject({ kind: 'pending' }); // edit-1 is sent now, the rest is in flight
    const { outcomes } = await h.untilSettled(['edit']);
    expectDone(outcomes.get('edit'));
    const results = await h.results('edit');
    expect(results.map((r) => r.custom_id)).toEqual(lines.map((l) => l.custom_id));
    const stats = await h.emulator.stats();
    expect(stats.requestsExecuted).toBe(7); // 6 of the first version + the edited one
    expect(stats.batchesCreated).toBe(2);
  });
});
