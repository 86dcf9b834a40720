/** Re-ask chains (structured/reask.ts): keys, bodies, custom ids, the cap, and the dry run's expectation. */
import { describe, expect, it } from 'vitest';
import type { RequestEntry } from '../../src/stages/work/request-file.ts';
import { lineHash } from '../../src/stages/work/request-file.ts';
import { providerSpec } from '../../src/providers/registry.ts';
import { expectedReasks } from '../../src/stages/structured/expected-reasks.ts';
import { effectiveEntries, lineKey, sentAs, type InvalidRecord } from '../../src/stages/structured/reask.ts';

function entry(customId: string, anthropic = false): RequestEntry {
  const body = { model: 'm', messages: [{ role: 'user', content: 'Label it' }] };
  const line = anthropic
    ? { custom_id: customId, params: body }
    : { custom_id: customId, method: 'POST', url: '/v1/chat/completions', body };
  return {
    line: 1,
    customId,
    hash: lineHash(line),
    model: 'm',
    endpoint: '/v1/chat/completions',
    offset: 0,
    bytes: JSON.stringify(line).length,
    text: JSON.stringify(line),
    body,
    wire: providerSpec(anthropic ? 'anthropic' : 'openai').wire,
  };
}
const bad = (attempt: number, message = 'difficulty: Required', session = 'S1'): InvalidRecord => ({
  customId: 'a-1',
  attempt,
  kind: 'schema',
  message,
  session,
});

describe('effective entries', () => {
  it('a line without an invalid reply stands for itself', () => {
    const e = entry('a-1');
    expect(effectiveEntries([e], {}, { maxInvalidAttempts: 2, repairPrompt: false }, 'S1').entries).toEqual([e]);
  });

  it('each invalid reply moves the line to its next re-ask, up to the cap', () => {
    const e = entry('a-1');
    const settings = { maxInvalidAttempts: 2, repairPrompt: false };
    const one = effectiveEntries([e], { [e.hash]: bad(0) }, settings, 'S1').entries[0]!;
    expect(one.reask).toBe(1);
    expect(one.customId).toBe('a-1'); // the row's own id: results are written under it
    expect(one.body).toEqual(e.body); // the same request, asked again…
    expect(one.hash).not.toBe(e.hash); // …under its own cache key
    const sent = JSON.parse(one.text) as Record<string, unknown>;
    expect(sent.custom_id).toBe('a-1__reask1');
    expect(lineKey(sent, { 'a-1__reask1': { row: 'a-1', attempt: 1 } })).toBe(one.hash); // through the part's record
    expect(lineKey(sent, undefined)).toBe(one.hash); // a part of older state: by the suffix
    expect(lineKey(sent, {})).toBe(e.hash); // an id of the user's that only looks like a re-ask
    const two = effectiveEntries([e], { [e.hash]: bad(0), [one.hash]: bad(1) }, settings, 'S1');
    expect(two.entries[0]!.reask).toBe(2);
    const capped = effectiveEntries(
      [e],
      { [e.hash]: bad(0), [one.hash]: bad(1), [two.entries[0]!.hash]: bad(2) },
      settings,
      'S1',
    );
    expect(capped.entries[0]!.reask).toBe(2); // the last re-ask's invalid reply is final
    expect(capped.chain.size).toBe(3);
  });

  it('repairPrompt appends the validation error to the last user message', () => {
    const e = entry('a-1');
    const r = effectiveEntries([e], { [e.hash]: bad(0) }, { maxInvalidAttempts: 1, repairPrompt: true }, 'S1')
      .entries[0]!;
    const messages = r.body.messages as { content: string }[];
    expect(messages.at(-1)!.content).toMatch(/^Label it\n\nYour previous reply was not valid \(difficulty: Required\)/);
    expect(r.hash).not.toBe(
      effectiveEntries([e], { [e.hash]: bad(0) }, { maxInvalidAttempts: 1, repairPrompt: false }, 'S1').entries[0]!
        .hash,
    );
  });

  it("an Anthropic re-ask's custom_id fits 64 characters and stays unique", () => {
    const long = `x${'y'.repeat(62)}`;
    const e = entry(long, true);
    const r = effectiveEntries([e], { [e.hash]: bad(0) }, { maxInvalidAttempts: 1, repairPrompt: false }, 'S1')
      .entries[0]!;
    const sent = JSON.parse(r.text) as { custom_id: string; params: unknown };
    expect(sent.custom_id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(sent.custom_id.endsWith('__reask1')).toBe(true);
    expect(sent.params).toEqual(e.body);
  });
});

describe('re-ask ids', () => {
  it("never take a user's own id: a line named like a re-ask keeps its id, and the re-ask goes around it", () => {
    const x = entry('x');
    const lookalike = { ...entry('x__reask1'), line: 2, hash: 'f'.repeat(64) }; // another request, valid
    const r = effectiveEntries(
      [x, lookalike],
      { [x.hash]: bad(0) },
      { maxInvalidAttempts: 1, repairPrompt: false },
      'S1',
    );
    const sentIds = r.entries.map((e) => (JSON.parse(e.text) as { custom_id: string }).custom_id);
    expect(sentIds).toEqual(['x__reask1_2', 'x__reask1']);
    expect(new Set(sentIds).size).toBe(2);
    expect(r.entries[0]!.sentId).toBe('x__reask1_2');
    expect(sentAs('x__reask1_2', { x__reask1_2: { row: 'x', attempt: 1 } })).toEqual({ customId: 'x', attempt: 1 });
    expect(sentAs('x__reask1', { x__reask1_2: { row: 'x', attempt: 1 } })).toEqual({
      customId: 'x__reask1',
      attempt: 0,
    });
    expect(sentAs('x__reask1', undefined)).toEqual({ customId: 'x', attempt: 1 }); // older state's reading
  });
});

describe('fresh rounds', () => {
  const settings = { maxInvalidAttempts: 2, repairPrompt: false };
  /** The chain's invalid records, each reply's message from `messages` (k-th reply, k-th message). */
  function chainOf(messages: string[], sessions: string[]): Record<string, InvalidRecord> {
    const e = entry('a-1');
    const invalid: Record<string, InvalidRecord> = {};
    let key = e.hash;
    messages.forEach((m, k) => {
      invalid[key] = bad(k, m, sessions[k]);
      key = effectiveEntries([e], invalid, settings, 'later').entries[0]!.hash;
    });
    return invalid;
  }

  it('a row out of re-asks in an earlier build gets maxInvalidAttempts more; not within the build that ran it out', () => {
    const e = entry('a-1');
    const invalid = chainOf(['x0', 'x1', 'x2'], ['S1', 'S1', 'S1']);
    expect(effectiveEntries([e], invalid, settings, 'S1').entries[0]!.reask).toBe(2);
    const next = effectiveEntries([e], invalid, settings, 'S2');
    expect(next.entries[0]!.reask).toBe(3);
    expect(next.hopeless.size).toBe(0);
    // Old state (no session on its records) is an earlier build's: a fresh round too.
    const old = Object.fromEntries(Object.entries(invalid).map(([k, r]) => [k, { ...r, session: undefined }]));
    expect(effectiveEntries([e], old, settings, 'S2').entries[0]!.reask).toBe(3);
  });

  it('two rounds of the same reply: hopeless, named with its replies, asked no more', () => {
    const e = entry('a-1');
    const same = chainOf(
      ['refused: no', 'refused: no', 'refused: no', 'refused: no', 'refused: no'],
      ['S1', 'S1', 'S1', 'S2', 'S2'],
    );
    const r = effectiveEntries([e], same, settings, 'S3');
    expect(r.entries[0]!.reask).toBe(4);
    expect(r.hopeless.get('a-1')).toHaveLength(5);
    const varied = chainOf(['x0', 'x1', 'x2', 'x3', 'x4'], ['S1', 'S1', 'S1', 'S2', 'S2']);
    const v = effectiveEntries([e], varied, settings, 'S3');
    expect(v.entries[0]!.reask).toBe(5); // a third round
    expect(v.hopeless.size).toBe(0);
  });
});

describe('expected re-asks', () => {
  it('is 0 on a fresh job, and the sum of rate^k up to the cap after', () => {
    expect(expectedReasks(undefined, 0, 2)).toBe(0);
    expect(expectedReasks({}, 10, 2)).toBe(0);
    expect(expectedReasks({ a: 1, b: 1 }, 10, 2)).toBeCloseTo(0.2 + 0.04);
  });
});
