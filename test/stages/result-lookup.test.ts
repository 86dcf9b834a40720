/** ResultLookup: the merge's join by custom_id — same answer whatever the order, streamed when in order. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResultLookup } from '../../src/stages/result-lookup.ts';

const line = (id: string, text: string) => ({
  custom_id: id,
  response: { status_code: 200, body: { choices: [{ message: { content: text } }] } },
  error: null,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lookup-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function lookupOver(lines: readonly object[]): Promise<ResultLookup> {
  const file = path.join(dir, 'results.jsonl');
  await writeFile(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const opened = await ResultLookup.open(file);
  if (!opened.ok) throw new Error(JSON.stringify(opened.problems));
  return opened.lookup;
}

async function textsFor(lookup: ResultLookup, ids: readonly string[]): Promise<(string | undefined)[]> {
  const texts: (string | undefined)[] = [];
  for (const id of ids) {
    const found = (await lookup.get(id)) as ReturnType<typeof line> | undefined;
    texts.push(found?.response.body.choices[0]!.message.content);
  }
  await lookup.close();
  return texts;
}

const ids = Array.from({ length: 200 }, (_, i) => `s-${i}`);

describe('ResultLookup', () => {
  it('serves results in file order from the stream, without reading at offsets', async () => {
    const lookup = await lookupOver(ids.map((id) => line(id, `T${id}`)));
    expect(await textsFor(lookup, ids)).toEqual(ids.map((id) => `T${id}`));
    expect(lookup.outOfOrder).toBe(0);
  });

  it('finds every result in reversed and shuffled files', async () => {
    const reversed = await lookupOver([...ids].reverse().map((id) => line(id, `T${id}`)));
    expect(await textsFor(reversed, ids)).toEqual(ids.map((id) => `T${id}`));
    const shuffled = [...ids].sort(
      (a, b) =>
        ((a.length * 7919 + a.charCodeAt(a.length - 1) * 31) % 17) -
        ((b.length * 7919 + b.charCodeAt(b.length - 1) * 31) % 17),
    );
    const lookup = await lookupOver(shuffled.map((id) => line(id, `T${id}`)));
    expect(await textsFor(lookup, ids)).toEqual(ids.map((id) => `T${id}`));
  });

  it('re-synchronises after a local swap or a missing result', async () => {
    const lines = ids.map((id) => line(id, `T${id}`));
    [lines[10], lines[11]] = [lines[11]!, lines[10]!];
    lines.splice(50, 1);
    const lookup = await lookupOver(lines);
    const texts = await textsFor(lookup, ids);
    expect(texts[50]).toBeUndefined();
    expect(texts.filter((t, i) => t !== `T${ids[i]}`)).toEqual([undefined]);
    expect(lookup.outOfOrder).toBe(1); // only the swapped pair's first lookup reads at an offset
  });

  it('answers with the first line of a repeated id, in order or not', async () => {
    const inOrder = await lookupOver([line('a', 'first'), line('a', 'second'), line('b', 'B')]);
    expect(await textsFor(inOrder, ['a', 'b'])).toEqual(['first', 'B']);
    const outOfOrder = await lookupOver([line('b', 'B'), line('a', 'first'), line('a', 'second')]);
    expect(await textsFor(outOfOrder, ['a', 'b'])).toEqual(['first', 'B']);
  });

  it('reports lines that are not result lines, with their numbers', async () => {
    const file = path.join(dir, 'bad.jsonl');
    await writeFile(file, `${JSON.stringify(line('a', 'A'))}\nnot json\n{"no":"id"}\n`);
    const opened = await ResultLookup.open(file);
    expect(opened.ok).toBe(false);
    expect(!opened.ok && opened.problems.map((p) => p.line)).toEqual([2, 3]);
  });
});
