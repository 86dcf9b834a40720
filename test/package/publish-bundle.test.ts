/**
 * A rebuild of the CLI bundle (npm ci, npm run bundle) while a command runs
 * from the old one: the old directory stays, so the running command's later lazy imports still
 * find their chunks; the pointer names the new one; a directory replaced over a day ago goes.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { POINTER } from '../../bin/current-bundle.js';
import { KEEP_RETIRED_MS, publishBundle, RETIRED_MARKER } from '../../scripts/publish-bundle.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'pipeline-bundles-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function built(name: string): Promise<void> {
  await mkdir(path.join(root, name));
  await writeFile(path.join(root, name, 'run.mjs'), `export const from = '${name}';\n`);
  await writeFile(path.join(root, name, 'chunk-lazy.mjs'), '');
}
const pointer = async () => JSON.parse(await readFile(path.join(root, POINTER), 'utf8')) as { dir: string };
const present = (name: string) => existsSync(path.join(root, name, 'chunk-lazy.mjs'));

it('a rebuild leaves the bundle a running command loads from in place for a day, then removes it', async () => {
  const t0 = Date.UTC(2026, 11, 4);
  await built('cli-a');
  await publishBundle(root, 'cli-a', { entry: 'run.mjs' }, t0);
  expect(await pointer()).toMatchObject({ dir: 'cli-a', entry: 'run.mjs' });

  await built('cli-b');
  await publishBundle(root, 'cli-b', { entry: 'run.mjs' }, t0 + 1000);
  expect((await pointer()).dir).toBe('cli-b');
  expect(present('cli-a')).toBe(true); // a command started from cli-a still finds its chunks
  expect(existsSync(path.join(root, 'cli-a', RETIRED_MARKER))).toBe(true);
  expect(existsSync(path.join(root, 'cli-b', RETIRED_MARKER))).toBe(false);

  await built('cli-c');
  await publishBundle(root, 'cli-c', { entry: 'run.mjs' }, t0 + 1000 + KEEP_RETIRED_MS / 2);
  expect(present('cli-a')).toBe(true); // replaced half a day ago
  expect(present('cli-b')).toBe(true);

  await built('cli-d');
  await publishBundle(root, 'cli-d', { entry: 'run.mjs' }, t0 + 2000 + KEEP_RETIRED_MS);
  expect(present('cli-a')).toBe(false); // replaced over a day ago
  expect(present('cli-b')).toBe(true);
  expect(present('cli-c')).toBe(true);
  expect((await pointer()).dir).toBe('cli-d');
});

it("the directory being published is never one a concurrent bundler's pass marked as replaced", async () => {
  await built('cli-new');
  await writeFile(path.join(root, 'cli-new', RETIRED_MARKER), ''); // marked while it was still being built
  await publishBundle(root, 'cli-new', { entry: 'run.mjs' }, Date.now() + 2 * KEEP_RETIRED_MS);
  expect(present('cli-new')).toBe(true);
  expect(existsSync(path.join(root, 'cli-new', RETIRED_MARKER))).toBe(false);
});

it('the layout before this one (a single cli/ directory swapped in place) is retired like any other', async () => {
  await built('cli');
  await built('cli-x');
  await publishBundle(root, 'cli-x', { entry: 'run.mjs' }, 0);
  expect(present('cli')).toBe(true);
  await publishBundle(root, 'cli-x', { entry: 'run.mjs' }, KEEP_RETIRED_MS + 1);
  expect(present('cli')).toBe(false);
  expect(present('cli-x')).toBe(true);
});
