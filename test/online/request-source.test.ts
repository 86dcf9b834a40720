/**
 * The online run keeps refs of the request file, not its bodies, and reads each request again by
 * byte offset when a worker sends it: the bytes read back must be the checked line (BOM, CRLF and
 * multi-byte text included), and a line edited in between must stop the run, never send the edit.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readRequestFile, type RequestEntry } from '../../src/stages/work/request-file.ts';
import { RequestSource } from '../../src/stages/online/request-source.ts';
import { requestLines } from '../e2e/online-helpers.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-request-source-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function refsOf(file: string) {
  const read = await readRequestFile(file, dir, 'openai', { keep: 'refs' });
  if (!read.ok) throw new Error(read.error.message);
  return read.value.entries;
}

it('keeps no text or body per line, and reads each line back as checked (BOM, CRLF, multi-byte text)', async () => {
  const lines = requestLines(5, (i, line) =>
    i === 2 ? { ...line, body: { ...line.body, messages: [{ role: 'user', content: 'naïve café — 東京 ✓' }] } } : line,
  );
  const file = path.join(dir, 'requests.jsonl');
  await writeFile(file, '\uFEFF' + lines.map((l) => JSON.stringify(l)).join('\r\n') + '\r\n');
  const refs = await refsOf(file);
  expect(refs.map((r) => Object.keys(r).sort())).toEqual(
    refs.map(() => ['bytes', 'customId', 'endpoint', 'hash', 'line', 'model', 'offset', 'wire']),
  );
  const full = await readRequestFile(file, dir);
  if (!full.ok) throw new Error(full.error.message);
  const source = await RequestSource.open(file, refs);
  const read = [];
  for (let e = await source.next(); e; e = await source.next()) read.push(e);
  await source.close();
  expect(source.changed).toBeUndefined();
  // The batch stage's entries read their text and body back when asked: compare what both say.
  const said = (e: RequestEntry) => ({
    ref: { line: e.line, customId: e.customId, hash: e.hash },
    text: e.text,
    body: e.body,
  });
  expect(read.map(said)).toEqual(full.value.entries.map(said));
});

it('concurrent workers each get a different request, in file order, then none', async () => {
  const file = path.join(dir, 'requests.jsonl');
  await writeFile(
    file,
    requestLines(20)
      .map((l) => JSON.stringify(l) + '\n')
      .join(''),
  );
  const refs = await refsOf(file);
  const source = await RequestSource.open(file, refs.slice(3));
  const got = await Promise.all(Array.from({ length: 20 }, () => source.next()));
  await source.close();
  expect(got.filter(Boolean).map((e) => e!.line)).toEqual(refs.slice(3).map((r) => r.line));
  expect(got.slice(17)).toEqual([undefined, undefined, undefined]);
});

it('a line edited after the check is never sent: the source stops and names it', async () => {
  const file = path.join(dir, 'requests.jsonl');
  const lines = requestLines(4);
  await writeFile(file, lines.map((l) => JSON.stringify(l) + '\n').join(''));
  const refs = await refsOf(file);
  // Same length, different prompt: the offsets still land on line starts, the hash does not match.
  const edited = JSON.stringify(lines[1]).replace(
    /"content":"(.)/,
    (m, c: string) => m.slice(0, -1) + (c === 'x' ? 'y' : 'x'),
  );
  await writeFile(
    file,
    [lines[0], edited, lines[2], lines[3]].map((l) => (typeof l === 'string' ? l : JSON.stringify(l)) + '\n').join(''),
  );
  const source = await RequestSource.open(file, refs);
  expect((await source.next())?.line).toBe(1);
  expect(await source.next()).toBeUndefined();
  expect(await source.next()).toBeUndefined();
  await source.close();
  expect(source.changed?.line).toBe(2);
});
