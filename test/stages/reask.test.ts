/** Re-ask chains (structured/reask.ts): keys, bodies, custom ids, the cap, and the dry run's expectation. */
import { describe, expect, it } from 'vitest';
import type { RequestEntry } from '../../src/stages/work/request-file.ts';
import { lineHash } from '../../src/stages/work/request-file.ts';
import { providerSpec } from '../../src/providers/registry.ts';
import { expectedReasks } from '../../src/stages/structured/expected-reasks.ts';
import { effectiveEntries, lineKey, type InvalidRecord } from '../../src/stages/structured/reask.ts';

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
const bad = (attempt: number, message = 'difficulty: Required'): InvalidRecord => ({
  customId: 'a-1',
  attempt,
  kind: 'schema',
  message,
});

describe('effective entries', () => {
  it('a line without an invalid reply stands for itself', () => {
    const e = entry('a-1');
    expect(effectiveEntries([e], {}, { maxInvalidAttempts: 2, repairPrompt: false }).entries).toEqual([e]);
  });

  it('each invalid reply moves the line to its next re-ask, up to the cap', () => {
    const e = entry('a-1');
    const settings = { maxInvalidAttempts: 2, repairPrompt: false };
    const one = effectiveEntries([e], { [e.hash]: bad(0) }, settings).entries[0]!;
    expect(one.reask).toBe(1);
    expect(one.customId).toBe('a-1'); // the row's own id: results are written under it
    expect(one.body).toEqual(e.body); // the same request, asked again…
    expect(one.hash).not.toBe(e.hash); // …under its own cache key
    const sent = JSON.parse(one.text) as Record<string, unknown>;
    expect(sent.custom_id).toBe('a-1__reask1');
    expect(lineKey(sent)).toBe(one.hash); // a results line names its key again
    const two = effectiveEntries([e], { [e.hash]: bad(0), [one.hash]: bad(1) }, settings);
    expect(two.entries[0]!.reask).toBe(2);
    const capped = effectiveEntries(
      [e],
      { [e.hash]: bad(0), [one.hash]: bad(1), [two.entries[0]!.hash]: bad(2) },
      settings,
    );
    expect(capped.entries[0]!.reask).toBe(2); // the last re-ask's invalid reply is final
    expect(capped.chain.size).toBe(3);
  });

  it('repairPrompt appends the validation error to the last user message', () => {
    const e = entry('a-1');
    const r = effectiveEntries([e], { [e.hash]: bad(0) }, { maxInvalidAttempts: 1, repairPrompt: true }).entries[0]!;
    const messages = r.body.messages as { content: string }[];
    expect(messages.at(-1)!.content).toMatch(/^Label it\n\nYour previous reply was not valid \(difficulty: Required\)/);
    expect(r.hash).not.toBe(
      effectiveEntries([e], { [e.hash]: bad(0) }, { maxInvalidAttempts: 1, repairPrompt: false }).entries[0]!.hash,
    );
  });

  it("an Anthropic re-ask's custom_id fits 64 characters and stays unique", () => {
    const long = `x${'y'.repeat(62)}`;
    const e = entry(long, true);
    const r = effectiveEntries([e], { [e.hash]: bad(0) }, { maxInvalidAttempts: 1, repairPrompt: false }).entries[0]!;
    const sent = JSON.parse(r.text) as { custom_id: string; params: unknown };
    expect(sent.custom_id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(sent.custom_id.endsWith('__reask1')).toBe(true);
    expect(sent.params).toEqual(e.body);
  });
});

describe('expected re-asks', () => {
  it('is 0 on a fresh job, and the sum of rate^k up to the cap after', () => {
    expect(expectedReasks(undefined, 0, 2)).toBe(0);
    expect(expectedReasks({}, 10, 2)).toBe(0);
    expect(expectedReasks({ a: 1, b: 1 }, 10, 2)).toBeCloseTo(0.2 + 0.04);
  });
});
