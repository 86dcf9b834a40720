/** Shared per-build state: the per-model scheduler and the cost guards. */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerSchema, isInFlight } from '../../src/stages/batch/ledger.ts';
import { estimateCost } from '../../src/stages/work/estimate.ts';
import { readRequestFile } from '../../src/stages/work/request-file.ts';
import { batchStage } from '../../src/stages/batch/stage.ts';
import { DEFAULT_PRICES } from '../../src/tokens/prices.ts';
import { createHarness, expectDone, requestLines, type Harness } from './harness.ts';

let h: Harness;
afterEach(async () => h?.close());

async function fileEstimate(subject: string) {
  const req = await readRequestFile(h.ctx(subject).inputs[0]!, h.root);
  if (!req.ok) throw new Error('bad fixture');
  return estimateCost(req.value.entries, 0.55, DEFAULT_PRICES);
}

describe('scheduling and cost guards', () => {
  it('keeps estimated enqueued tokens per model under maxEnqueuedTokens; the rest wait as queued', async () => {
    h = await createHarness();
    const subjects = ['a', 'b', 'c'];
    for (const s of subjects) await h.writeRequests(s, requestLines(s, 8));
    const perTarget = (await fileEstimate('a')).inputTokens;
    const limit = Math.floor(perTarget * 1.6); // room for one target's batch at a time
    await h.close();
    h = await createHarness({ config: { maxEnqueuedTokens: limit }, emulator: { enqueuedTokenLimit: limit } });
    for (const s of subjects) await h.writeRequests(s, requestLines(s, 8));
    const first = await h.cycle(subjects);
    expect([...first.values()].map((o) => (o === 'crashed' ? o : o.kind === 'pending' ? o.state : o.kind))).toEqual([
      'validating',
      'queued',
      'queued',
    ]);
    const queued = await batchStage.describe!(h.ctx('b'), h.config);
    expect(queued.state).toBe('queued');
    const { outcomes, history } = await h.untilSettled(subjects, { stepMs: 5_000 });
    expect(history.some((o) => o !== 'crashed' && o.kind === 'failed')).toBe(false);
    for (const s of subjects) expectDone(outcomes.get(s));
    const stats = await h.emulator.stats();
    expect(stats.tokensEnqueuedPeak['gpt-4.1']).toBeLessThanOrEqual(limit);
    expect(stats.batchesCreated).toBe(3);
  });

  it('services.limits.maxInFlightBatches overrides the rule: one batch at a time across targets', async () => {
    h = await createHarness({
      config: { maxInFlightBatches: 5, maxRequestsPerBatch: 2 },
      limits: { maxInFlightBatches: 1 },
    });
    const subjects = ['x', 'y'];
    for (const s of subjects) await h.writeRequests(s, requestLines(s, 4));
    let peak = 0;
    for (let i = 0; i < 30; i++) {
      const out = await h.cycle(subjects);
      let flying = 0;
      for (const s of subjects) {
        const ledger = ledgerSchema.parse(JSON.parse(await readFile(h.marker(s), 'utf8')));
        flying += ledger.parts.filter(isInFlight).length;
      }
      peak = Math.max(peak, flying);
      if ([...out.values()].every((o) => o !== 'crashed' && o.kind === 'done')) break;
      h.clock.advance(5_000);
    }
    expect(peak).toBe(1);
    expect((await h.emulator.stats()).batchesCreated).toBe(4);
  });

  it('refuses to submit past maxCostUsd, with what it would take at worst and the limit', async () => {
    h = await createHarness({ config: { maxCostUsd: 0.0001 } });
    await h.writeRequests('big', requestLines('big', 50));
    const out = (await h.cycle(['big'])).get('big');
    expect(out).toMatchObject({ kind: 'failed', failure: { reason: 'budget-exceeded' } });
    if (out === 'crashed' || out?.kind !== 'failed') throw new Error('unreachable');
    expect(out.failure.message).toMatch(
      /^held back by the rule's maxCostUsd \$0\.0001: \$0\.00 spent, \$0\.00 in flight, \$0\.0001 left; .*big\.jsonl needs \$0\.\d+ more at worst \(~\$0\.\d+ expected\) for its 50 requests/,
    );
    const stats = await h.emulator.stats();
    expect(stats.filesUploaded).toBe(0);
    expect(stats.batchesCreated).toBe(0);
  });

  it('--max-cost bounds the whole build at worst case, request by request: the second target sends what fits', async () => {
    h = await createHarness();
    await h.writeRequests('one', requestLines('one', 10));
    await h.writeRequests('two', requestLines('two', 10));
    const each = (await fileEstimate('one')).worstCostUsd / 10; // the requests are alike
    await h.close();
    h = await createHarness({ limits: { maxCostUsd: each * 15.5 } });
    await h.writeRequests('one', requestLines('one', 10));
    await h.writeRequests('two', requestLines('two', 10));
    const out = await h.cycle(['one', 'two']);
    expect(out.get('one')).toMatchObject({ kind: 'pending' });
    expect(out.get('two')).toMatchObject({ kind: 'pending' });
    if (out.get('two') === 'crashed') throw new Error('unreachable');
    expect((out.get('two') as { summary: string }).summary).toMatch(
      /5 held back by --max-cost \$0\.\d+ \(\$0\.\d+ to finish at worst, ~\$0\.\d+ expected\)/,
    );
    const two = ledgerSchema.parse(JSON.parse(await readFile(h.marker('two'), 'utf8')));
    expect(two.parts.map((p) => p.requests)).toEqual([5]);
    expect(two.parts[0]!.worstCostUsd).toBeCloseTo(each * 5, 9);
    expect(two.summary?.held).toMatchObject({ requests: 5 });
    expect((await h.emulator.stats()).batchesCreated).toBe(2);
  });

  it('estimate() prices what would be sent, with the real tokenizer and max_tokens as ceiling', async () => {
    h = await createHarness();
    await h.writeRequests('est', requestLines('est', 10));
    const e = await batchStage.estimate!(h.ctx('est'), h.config);
    expect(e.requests).toBe(10);
    expect(e.cachedRequests).toBe(0);
    expect(e.inputTokens).toBeGreaterThan(10 * 20);
    expect(Math.abs(e.outputTokens - e.inputTokens * 0.55)).toBeLessThanOrEqual(10); // ratio × input, rounded per request
    expect(e.maxOutputTokens).toBe(10 * 256);
    expect(e.costUsd).toBeCloseTo(e.standardCostUsd / 2, 10);
    expect(e.costUsd).toBeCloseTo((e.inputTokens * 2 + e.outputTokens * 8) / 2e6, 6);
  });
});
