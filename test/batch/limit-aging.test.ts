/**
 * Learned limits age (issue #31.6): a limit learned from a provider's error is kept per provider,
 * endpoint and model; once it is an hour old, each run of batches that fit makes planning try 25%
 * more, and a limit stated a day ago is forgotten — on the build's (injected) clock. Counted in the
 * sizes of the batches actually submitted.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FITS_TO_PROBE,
  LearnedLimits,
  LIMIT_TTL_MS,
  PROBE_AFTER_MS,
  readLearned,
  SAFETY,
} from '../../src/stages/batch/learned-limits.ts';
import { ledgerSchema } from '../../src/stages/batch/ledger.ts';
import { estimateCost } from '../../src/stages/work/estimate.ts';
import { readRequestFile } from '../../src/stages/work/request-file.ts';
import { DEFAULT_PRICES } from '../../src/tokens/prices.ts';
import { createHarness, expectDone, requestLines, type Harness } from './harness.ts';

const CHAT = '/v1/chat/completions';
const HOUR = 60 * 60_000;

let h: Harness | undefined;
afterEach(async () => h?.close());

describe('a learned limit, on its own', () => {
  it('is kept per provider, endpoint and model; probed upward only once settled; forgotten after a day', async () => {
    const dir = path.join(await import('node:os').then((os) => os.tmpdir()), `limits-${process.pid}-${Date.now()}`);
    let now = Date.UTC(2026, 0, 1);
    const openai = LearnedLimits.load(dir, 'openai', () => now);
    openai.learnLimit(CHAT, 'gpt-4.1', 10_000, 'batch_1 failed on it');
    await openai.save();
    expect(openai.limit(CHAT, 'gpt-4.1')).toBe(10_000);
    expect(openai.limit('/v1/responses', 'gpt-4.1')).toBeUndefined(); // another endpoint
    expect(LearnedLimits.load(dir, 'azure', () => now).limit(CHAT, 'gpt-4.1')).toBeUndefined(); // another provider
    for (let i = 0; i < FITS_TO_PROBE * 2; i++) openai.noteFit(CHAT, 'gpt-4.1');
    expect(openai.limit(CHAT, 'gpt-4.1')).toBe(10_000); // fresh: taken as stated
    now += PROBE_AFTER_MS;
    for (let i = 0; i < FITS_TO_PROBE; i++) openai.noteFit(CHAT, 'gpt-4.1');
    expect(openai.limit(CHAT, 'gpt-4.1')).toBe(12_500);
    expect(openai.probing(CHAT, 'gpt-4.1')).toBe(true);
    openai.probeFailed(CHAT, 'gpt-4.1'); // failed without the limit stated: one step back
    expect(openai.limit(CHAT, 'gpt-4.1')).toBe(10_000);
    await openai.save();
    const [entry] = readLearned(dir).values();
    expect(entry).toMatchObject({ provider: 'openai', endpoint: CHAT, model: 'gpt-4.1', limit: 10_000 });
    now += LIMIT_TTL_MS;
    expect(LearnedLimits.load(dir, 'openai', () => now).limit(CHAT, 'gpt-4.1')).toBeUndefined();
  });
});

async function fileTokens(harness: Harness, subject: string): Promise<number> {
  const req = await readRequestFile(harness.ctx(subject).inputs[0]!, harness.root);
  if (!req.ok) throw new Error('bad fixture');
  return estimateCost(req.value.entries, 0.55, DEFAULT_PRICES).inputTokens;
}

/** The estimated tokens of each batch submitted for a subject, in the order they were made. */
async function submittedSizes(harness: Harness, subject: string): Promise<number[]> {
  const ledger = ledgerSchema.parse(JSON.parse(await readFile(harness.marker(subject), 'utf8')));
  return ledger.parts.filter((p) => p.batchId && p.status !== 'failed').map((p) => p.inputTokens);
}

describe('learned limits in a build', () => {
  it('fitting batches probe upward once the limit is an hour old; a day later it is forgotten', async () => {
    h = await createHarness();
    await h.writeRequests('probe', requestLines('probe', 24));
    const perFile = await fileTokens(h, 'probe');
    await h.close();
    const limit = Math.floor(perFile / 3);
    // Read by the emulator on every check: raised below as the account moves up a tier.
    const providerLimits: Record<string, number> = { 'gpt-4.1': limit };
    h = await createHarness({
      emulator: { enqueuedTokenLimit: providerLimits },
      config: { tokenLimitBackoffSeconds: 1 },
    });
    const settle = async (subject: string) => {
      await h!.writeRequests(subject, requestLines(subject, 24));
      const { outcomes } = await h!.untilSettled([subject], { stepMs: 5_000, maxCycles: 80 });
      expectDone(outcomes.get(subject));
      return submittedSizes(h!, subject);
    };
    const learned = () => [...readLearned(path.join(h!.root, '.pipeline')).values()];

    // Learned from the first failure, then every batch within it.
    const first = await settle('first');
    expect(learned()).toMatchObject([{ provider: 'openai', endpoint: CHAT, model: 'gpt-4.1', limit }]);
    expect(first.length).toBeGreaterThanOrEqual(FITS_TO_PROBE);
    expect(Math.max(...first)).toBeLessThanOrEqual(limit * SAFETY);
    const failedOnLimit = (await h.emulator.stats()).batchesByStatus.failed ?? 0;
    expect(failedOnLimit).toBeGreaterThan(0);

    // The account's queue grows; an hour on, each run of fitting batches plans larger ones.
    providerLimits['gpt-4.1'] = limit * 4;
    h.clock.advance(2 * HOUR);
    const probed = await settle('probed');
    expect(Math.max(...probed)).toBeGreaterThan(limit * SAFETY); // larger than the stated limit allowed
    expect((await h.emulator.stats()).batchesByStatus.failed ?? 0).toBe(failedOnLimit); // and they fit
    expect(learned()[0]!.probes).toBeGreaterThan(0);

    // A day after it was stated, the limit is forgotten: the next file goes whole.
    h.clock.advance(LIMIT_TTL_MS);
    const whole = await settle('whole');
    expect(whole).toEqual([await fileTokens(h, 'whole')]);
    expect((await h.emulator.stats()).duplicateExecutions).toBe(0);
  }, 120_000);
});
