/**
 * Bad input end to end through the batch stage (the engine-level cases are in
 * test/engine/bad-input.test.ts): clear answer naming file, line and target; good subjects merged,
 * no batch sent for the bad one; damaged results files and markers; a property test over random
 * source files.
 */
import { describe, expect, it } from 'vitest';
import { acceptedCase, damageCases, fuzzSources, SOURCE_CASES, sourceCase } from '../reliability/badinput.ts';

describe('bad input through the batch stage', () => {
  it.concurrent.each(
    SOURCE_CASES.filter((c) => ['malformed JSON', 'invalid UTF-8'].includes(c.name)).map((c) => [c.name, c] as const),
  )(
    '%s: exit 1, file:line and target named, the good subjects merged',
    async (_name, c) => {
      const o = await sourceCase(c);
      expect(o.why).toBe('');
    },
    60_000,
  );

  it('BOM + CRLF are accepted and merged', async () => {
    expect((await acceptedCase('BOM + CRLF')).why).toBe('');
  }, 60_000);

  it('garbage in a results file, a truncated marker, a hand-edited marker, an invalid config', async () => {
    const outcomes = await damageCases();
    expect(outcomes.filter((o) => !o.ok).map((o) => `${o.name}: ${o.why}`)).toEqual([]);
    expect(outcomes).toHaveLength(5);
  }, 90_000);

  it('property: every invalid line of random source files is reported; every valid row is merged', async () => {
    const outcomes = await fuzzSources(Number(process.env.FUZZ_SEED ?? 42), 4);
    expect(outcomes.filter((o) => !o.ok).map((o) => `${o.name}: ${o.why}`)).toEqual([]);
  }, 90_000);
});
