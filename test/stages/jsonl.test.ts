/** JSONL reading and writing: what real files contain, across chunk boundaries, byte offsets exact. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonl, readLines } from '../../src/util/jsonl.ts';
import { JsonlWriter } from '../../src/util/jsonl-writer.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'jsonl-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('JSONL', () => {
  it('writes many lines through batched writes and reads them back with exact offsets', async () => {
    const file = path.join(dir, 'big.jsonl');
    const writer = await JsonlWriter.open(file);
    // Lines of varied length (some far above the 64 KiB read chunk) so lines straddle chunk edges.
    const values = Array.from({ length: 3000 }, (_, i) => ({
      i,
      text: 'é'.repeat((i * 7919) % (i % 100 === 0 ? 150_000 : 3000)),
    }));
    for (const v of values) await writer.write(v);
    await writer.close();
    expect(writer.lines).toBe(3000);
    const bytes = await readFile(file);
    const read: unknown[] = [];
    for await (const entry of readJsonl(file)) {
      expect(entry.kind).toBe('value');
      expect(bytes.subarray(entry.offset, entry.offset + entry.bytes).toString('utf8')).toBe(entry.text);
      if (entry.kind === 'value') read.push(entry.value);
    }
    expect(read).toEqual(values);
  });

  it('accepts a BOM, CRLF, blank lines and no final newline; flags invalid UTF-8 but not a real U+FFFD', async () => {
    const file = path.join(dir, 'odd.jsonl');
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('\uFEFF{"a":1}\r\n\n{"b":"\uFFFD"}\n'),
        Buffer.from([0x7b, 0x22, 0x63, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]),
        Buffer.from('{"d":4}'),
      ]),
    );
    const lines = [];
    for await (const l of readLines(file)) lines.push({ line: l.line, text: l.text, invalid: l.invalidUtf8 });
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}', invalid: false },
      { line: 2, text: '', invalid: false },
      { line: 3, text: '{"b":"\uFFFD"}', invalid: false },
      { line: 4, text: '{"c":"\uFFFD"}', invalid: true },
      { line: 5, text: '{"d":4}', invalid: false },
    ]);
  });
});
