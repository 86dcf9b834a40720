/**
 * The crash campaign's CI subset on the providers added after OpenAI and Anthropic: the real CLI
 * SIGKILLed at a few representative points of submit, poll and collect, then run to the end,
 * against each provider's flavour of a test-owned emulator through its own SDK and environment
 * variables. Each provider finds a lost create its own way, as its spec declares
 * (`findsLostCreates`): Gemini by the display name that carries the intent, Mistral by its
 * metadata, Bedrock by creating again with the same idempotency token; `after-create` kills
 * exactly there. No duplicate batch or job, no request paid twice (the emulator's books for that
 * flavour), no row lost or wrong. The full campaign: `npm run reliability` (crash-gemini, …).
 */
import { describe, expect, it } from 'vitest';
import { killAtPoints } from '../reliability/crash.ts';
import { referenceRun } from '../reliability/lib.ts';

/** A kill after upload (file providers), right after create, mid-download, and before the merge commits. */
const POINTS = ['after-upload', 'after-create', 'during-download', 'before-commit:merge'];

describe.each(['gemini', 'mistral', 'bedrock'] as const)('%s', (provider) => {
  it('killed after upload, after create, during download and before the merge commits: nothing paid twice, nothing lost', async () => {
    const spec = { subjects: 2, records: 6, seed: 23, provider };
    const reference = await referenceRun(spec);
    // One target at a time: a kill right after one create's answer can catch the other subject's
    // create sent but not yet made, which rightly waits out the 10-minute adoption window — too
    // long for a subprocess on the real clock. That case at the default parallelism is
    // test/e2e/crash.test.ts (the build's clock moved past the window); kills before the sends at
    // the default parallelism on all five providers: parallel-crash.test.ts.
    const f = await killAtPoints({ spec, points: POINTS, reference, args: ['-j', '1'] });
    expect(f.unexpected).toEqual([]);
    expect(f.killedAt).toEqual(POINTS);
    expect({ duplicates: f.duplicates, lost: f.rowsLost, wrong: f.rowsWrong, identical: f.allIdentical }).toEqual({
      duplicates: 0,
      lost: 0,
      wrong: 0,
      identical: true,
    });
    expect(f.batchesCreated).toBe(f.batchesRecorded);
    expect(f.rowsExpected).toBe(12);
  }, 180_000);
});
