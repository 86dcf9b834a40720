/**
 * A provider queue limit smaller than one request file (issue #18.2–3): the limit stated in the
 * first `token_limit_exceeded` error is kept per model, request files are cut into parts that fit,
 * and the job finishes with no flag and no limit failure after the first round.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LearnedLimits, parseEnqueuedLimit, SAFETY } from '../../src/stages/batch/learned-limits.ts';
import { estimateCost } from '../../src/stages/work/estimate.ts';
import { readRequestFile } from '../../src/stages/work/request-file.ts';
import { ledgerSchema } from '../../src/stages/batch/ledger.ts';
import { DEFAULT_PRICES } from '../../src/tokens/prices.ts';
import { createHarness, expectDone, requestLines, type Harness } from './harness.ts';

let h: Harness;
afterEach(async () => h?.close());

async function fileTokens(subject: string): Promise<number> {
  const req = await readRequestFile(h.ctx(subject).inputs[0]!, h.root);
  if (!req.ok) throw new Error('bad fixture');
  return estimateCost(req.value.entries, 0.55, DEFAULT_PRICES).inputTokens;
}

describe('learned enqueued-token limits', () => {
  it('parses the limit from the provider message, with or without separators', () => {
    expect(
      parseEnqueuedLimit(
        'Enqueued token limit reached for gpt-4o in organization org-XYZ. Limit: 90,000 enqueued tokens. Please try again',
      ),
    ).toBe(90_000);
    expect(parseEnqueuedLimit('… Limit: 200000 enqueued tokens …')).toBe(200_000);
    expect(parseEnqueuedLimit('Enqueued token limit reached')).toBeUndefined();
  });

  it('a limit below one request file: parts are cut to fit and the job finishes with no flag', async () => {
    h = await createHarness();
    const subjects = ['anatomy', 'botany', 'chemistry'];
    for (const s of subjects) await h.writeRequests(s, requestLines(s, 24));
    const perFile = await fileTokens('anatomy');
    const limit = Math.floor(perFile / 3); // each file is three times the provider's queue
    await h.close();
    h = await createHarness({ emulator: { enqueuedTokenLimit: limit }, config: { tokenLimitBackoffSeconds: 1 } });
    for (const s of subjects) await h.writeRequests(s, requestLines(s, 24));

    // First round: every file alone is above the limit and fails on it; the limit is learned.
    await h.cycle(subjects);
    h.clock.advance(2_000);
    await h.cycle(subjects);
    const learned = LearnedLimits.load(h.root);
    expect(learned.limit('gpt-4.1')).toBe(limit);
    const failedFirst = (await h.emulator.stats()).batchesByStatus.failed ?? 0;
    expect(failedFirst).toBeGreaterThan(0);

    const { outcomes, history } = await h.untilSettled(subjects, { stepMs: 5_000, maxCycles: 80 });
    expect(history.every((o) => o !== 'crashed' && o.kind !== 'failed')).toBe(true);
    for (const s of subjects) expectDone(outcomes.get(s));
    const stats = await h.emulator.stats();
    // No limit failure after the first round, and the provider's queue never held more than its limit.
    expect(stats.batchesByStatus.failed ?? 0).toBe(failedFirst);
    expect(stats.tokensEnqueuedPeak['gpt-4.1']).toBeLessThanOrEqual(limit);
    for (const s of subjects) {
      const ledger = ledgerSchema.parse(JSON.parse(await readFile(h.marker(s), 'utf8')));
      for (const p of ledger.parts.filter((p) => p.status === 'completed'))
        expect(p.inputTokens).toBeLessThanOrEqual(limit * SAFETY);
      expect((await h.results(s)).map((r) => r.custom_id)).toEqual(requestLines(s, 24).map((l) => l.custom_id));
    }
    expect(stats.duplicateExecutions).toBe(0);
  });

  it('one request alone above the learned limit fails its target, naming the request', async () => {
    h = await createHarness({ emulator: { enqueuedTokenLimit: 30 }, config: { tokenLimitBackoffSeconds: 1 } });
    await h.writeRequests('law', requestLines('law', 2));
    await h.cycle(['law']);
    h.clock.advance(2_000);
    await h.cycle(['law']); // collects the failure: the limit (30) is learned
    h.clock.advance(5_000);
    const outcome = (await h.cycle(['law'])).get('law');
    expect(outcome).toMatchObject({
      kind: 'failed',
      failure: { reason: 'bad-input', file: 'paraphrase_batch/law.jsonl', line: 1 },
    });
    if (outcome === 'crashed' || outcome?.kind !== 'failed') throw new Error('unreachable');
    expect(outcome.failure.message).toMatch(
      /request law-1 alone is estimated at \d+ tokens, above the provider's enqueued-token limit for gpt-4.1 \(30/,
    );
  });
  it('a provider that counts 1.45× our estimate: a user limit at 75% stops failing once the ratio is learned', async () => {
    h = await createHarness();
    const subjects = ['econ', 'ethics', 'film'];
    for (const s of subjects) await h.writeRequests(s, requestLines(s, 24));
    const limit = Math.floor((await fileTokens('econ')) * 1.2);
    await h.close();
    h = await createHarness({
      emulator: { enqueuedTokenLimit: limit, enqueuedTokenFactor: 1.45 },
      config: { maxEnqueuedTokens: Math.floor(limit * 0.75), tokenLimitBackoffSeconds: 1 },
    });
    for (const s of subjects) await h.writeRequests(s, requestLines(s, 24));
    const { outcomes } = await h.untilSettled(subjects, { stepMs: 5_000, maxCycles: 80 });
    for (const s of subjects) expectDone(outcomes.get(s));
    const learned = LearnedLimits.load(h.root);
    expect(learned.limit('gpt-4.1')).toBe(limit);
    expect(learned.ratio('gpt-4.1')).toBeGreaterThanOrEqual(1.25);
    const stats = await h.emulator.stats();
    // Only the first batch, sent before anything was learned, failed on the limit.
    expect(stats.batchesByStatus.failed ?? 0).toBe(1);
    expect(stats.tokensEnqueuedPeak['gpt-4.1']).toBeLessThanOrEqual(limit);
  });
});
