/** Bad input fails its own target with file, line and reason; everything else goes on. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localConfig, records, Rig } from '../helpers/rig.ts';

let rig: Rig;
beforeEach(async () => {
  rig = await Rig.create();
  await rig.write({ 'pipeline.config.ts': localConfig(), 'data/original/astronomy.jsonl': records('astronomy', 2) });
});
afterEach(() => rig.dispose());

const good = (n: number) => JSON.stringify(records('anatomy', n)[n - 1]);

const CASES: [string, string, RegExp, number | undefined][] = [
  ['malformed JSON', `${good(1)}\n{"question_number": 2, "analysis": \n`, /^invalid JSON/, 2],
  ['empty file', '', /the file has no records/, undefined],
  ['missing analysis', `${good(1)}\n{"question_number": 2}\n`, /^missing "analysis"/, 2],
  [
    'analysis of the wrong type',
    `${good(1)}\n{"question_number": 2, "analysis": 42}\n`,
    /^"analysis" must be a non-empty string/,
    2,
  ],
  ['duplicate question_number', `${good(1)}\n${good(1)}\n`, /^duplicate question_number 1 \(first on line 1\)/, 2],
  ['missing question_number', `{"analysis": "text"}\n`, /^missing "question_number"/, 1],
  ['not an object', `[1,2]\n`, /^expected a JSON object/, 1],
  ['invalid UTF-8', `${good(1)}\n{"question_number": 2, "analysis": "caf\xff"}\n`, /^invalid UTF-8/, 2],
];

describe('bad input', () => {
  it.each(CASES)(
    '%s → that target fails naming file and line; the others are built',
    async (_name, content, message, line) => {
      await rig.write({ 'data/original/anatomy.jsonl': '' });
      const { writeFile } = await import('node:fs/promises');
      await writeFile(rig.path('data/original/anatomy.jsonl'), Buffer.from(content, 'latin1'));
      const run = await rig.build();
      const failed = run.events.find((e) => e.type === 'failed');
      expect(failed).toMatchObject({
        target: 'requests/anatomy.jsonl',
        failure: { reason: 'bad-input', file: 'original/anatomy.jsonl', ...(line ? { line } : {}) },
      });
      expect(failed?.type === 'failed' && failed.failure.message).toMatch(message);
      expect(run.ran).toContain('counts/astronomy.txt');
      expect(run.summary.results.get('counts/anatomy.txt')).toMatchObject({
        state: 'blocked',
        blockedBecause: 'failed',
      });
    },
  );

  it('accepts a BOM and CRLF line ends', async () => {
    await rig.write({ 'data/original/anatomy.jsonl': `\uFEFF${good(1)}\r\n${good(2)}\r\n` });
    const run = await rig.build();
    expect(run.events.filter((e) => e.type === 'failed')).toEqual([]);
    expect(await rig.lines('data/requests/anatomy.jsonl')).toHaveLength(2);
  });

  it('keeps what was built before and retries the failed target on the next build', async () => {
    await rig.write({ 'data/original/anatomy.jsonl': records('anatomy', 2) });
    await rig.build();
    const before = await rig.read('data/requests/anatomy.jsonl');
    await rig.write({ 'data/original/anatomy.jsonl': `${good(1)}\nnot json\n` });
    const failing = await rig.build();
    expect(failing.events.some((e) => e.type === 'failed')).toBe(true);
    expect(await rig.read('data/requests/anatomy.jsonl')).toBe(before); // the paid-for output is not deleted
    const again = await rig.build();
    expect(again.ran).toContain('requests/anatomy.jsonl'); // a failed target is stale
    await rig.write({ 'data/original/anatomy.jsonl': records('anatomy', 3) });
    const fixed = await rig.build();
    expect(fixed.events.filter((e) => e.type === 'failed')).toEqual([]);
    expect(await rig.lines('data/requests/anatomy.jsonl')).toHaveLength(3);
  });

  it('lists every bad line, not just the first', async () => {
    await rig.write({ 'data/original/anatomy.jsonl': `${good(1)}\nbad\n{"question_number": 3}\nworse\n` });
    const run = await rig.build();
    const failed = run.events.find((e) => e.type === 'failed');
    expect(failed?.type === 'failed' && failed.failure.details).toEqual([
      'original/anatomy.jsonl:2: invalid JSON (Unexpected token \'b\', "bad" is not valid JSON)',
      'original/anatomy.jsonl:3: missing "analysis"',
      expect.stringMatching(/^original\/anatomy.jsonl:4: invalid JSON/),
    ]);
  });
});
