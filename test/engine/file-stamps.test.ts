/**
 * The per-build stat cache: a file is stat'd once whether it is named by the graph's
 * root-relative path (statUnder) or by its absolute path (statSync, stamp), and forgetting it by
 * either name after a write makes the next look-up see the new file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FileStamps } from '../../src/engine/file-stamps.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'file-stamps-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

it('one cache entry per file, by relative or absolute name; invalidating by either name is seen by both', async () => {
  await writeFile(path.join(root, 'a.jsonl'), 'x');
  const stamps = new FileStamps();
  expect(stamps.statUnder(root, 'a.jsonl')?.size).toBe(1);
  await writeFile(path.join(root, 'a.jsonl'), 'xyz'); // changed behind the cache's back
  expect(stamps.statSync(path.join(root, 'a.jsonl'))?.size).toBe(1); // the same entry: not stat'd again
  expect((await stamps.stamp(path.join(root, 'a.jsonl')))?.size).toBe(1);
  stamps.invalidate(path.join(root, 'a.jsonl'));
  expect(stamps.statUnder(root, 'a.jsonl')?.size).toBe(3);

  expect(stamps.statUnder(root, 'missing.jsonl')).toBeUndefined();
  await writeFile(path.join(root, 'missing.jsonl'), 'now');
  expect(stamps.statSync(path.join(root, 'missing.jsonl'))).toBeUndefined(); // cached as missing
  stamps.invalidate(path.join(root, 'missing.jsonl'));
  expect(stamps.statUnder(root, 'missing.jsonl')?.size).toBe(3);

  // A path that is not in normal form, and another root, are looked up by their absolute paths.
  expect(stamps.statUnder(root, './a.jsonl')?.size).toBe(3);
  const other = await mkdtemp(path.join(os.tmpdir(), 'file-stamps-other-'));
  try {
    await writeFile(path.join(other, 'a.jsonl'), 'other file');
    expect(stamps.statUnder(other, 'a.jsonl')?.size).toBe(10);
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});
