/**
 * Finding a rule's sources on disk: the directory walk that replaced a glob library keeps its
 * meaning (files only, no dot names, symlinks followed, the state dir ignored) and matches the
 * pattern as the graph does, repeated wildcards included.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { findFiles } from '../../src/graph/find-files.ts';
import { compilePattern, matchPattern } from '../../src/graph/pattern.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'pipeline-find-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function files(...rels: string[]): Promise<void> {
  for (const rel of rels) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), 'x');
  }
}

const find = (patterns: string[], stateDir = '.pipeline') =>
  findFiles(root, patterns.map(compilePattern), stateDir).sort();

it('lists the files one directory pattern matches, skipping dot names, directories and other extensions', async () => {
  await files('original/a.jsonl', 'original/b_2.jsonl', 'original/.hidden.jsonl', 'original/c.csv', 'other/d.jsonl');
  await mkdir(path.join(root, 'original', 'dir.jsonl'));
  expect(find(['original/{subject}.jsonl'])).toEqual(['original/a.jsonl', 'original/b_2.jsonl']);
});

it('walks wildcards in directory names, and a repeated wildcard must repeat its value', async () => {
  await files('data/en/en-train.jsonl', 'data/en/fr-train.jsonl', 'data/fr/fr-train.jsonl', 'data/.git/x-train.jsonl');
  expect(find(['data/{lang}/{lang}-train.jsonl'])).toEqual(['data/en/en-train.jsonl', 'data/fr/fr-train.jsonl']);
  expect(find(['data/{lang}/{other}-train.jsonl'])).toHaveLength(3);
});

it('follows symlinks to files and directories; a broken link is nothing', async () => {
  await files('elsewhere/x.jsonl', 'linked-dir/y.jsonl');
  await mkdir(path.join(root, 'original'));
  await symlink(path.join(root, 'elsewhere/x.jsonl'), path.join(root, 'original/x.jsonl'));
  await symlink(path.join(root, 'nowhere.jsonl'), path.join(root, 'original/broken.jsonl'));
  await mkdir(path.join(root, 'sets'));
  await symlink(path.join(root, 'linked-dir'), path.join(root, 'sets/linked'));
  expect(find(['original/{s}.jsonl'])).toEqual(['original/x.jsonl']);
  expect(find(['sets/{set}/{s}.jsonl'])).toEqual(['sets/linked/y.jsonl']);
});

it('ignores the state dir, missing directories and a literal file that is absent; each file once', async () => {
  await files('.pipeline/a.jsonl', 'state/b.jsonl', 'fixed.jsonl', 'in/a.jsonl');
  expect(find(['{name}.jsonl', 'fixed.jsonl', 'missing/{x}.jsonl', 'absent.jsonl'])).toEqual(['fixed.jsonl']);
  expect(find(['state/{s}.jsonl'], 'state')).toEqual([]);
  expect(find(['state/{s}.jsonl'], './state/')).toEqual([]);
  expect(find(['in/{s}.jsonl', 'in/{t}.jsonl'])).toEqual(['in/a.jsonl']);
});

it('takes glob characters in literal parts of a pattern literally', async () => {
  await files('data [v2]/a.jsonl', 'data v/b.jsonl');
  expect(find(['data [v2]/{s}.jsonl'])).toEqual(['data [v2]/a.jsonl']);
});

it('a wildcard repeated in a pattern must match the same text, even followed by a digit', () => {
  const p = compilePattern('data/{x}-{y}/{x}0.jsonl');
  expect(matchPattern(p, 'data/a-b/a0.jsonl')).toEqual({ x: 'a', y: 'b' });
  expect(matchPattern(p, 'data/a-b/c0.jsonl')).toBeUndefined();
  expect(matchPattern(compilePattern('{s}/{s}.txt'), 'ab/ab.txt')).toEqual({ s: 'ab' });
});
