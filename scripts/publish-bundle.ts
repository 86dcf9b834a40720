/**
 * Makes a finished bundle directory the current one (bin/current-bundle.js reads the pointer), and
 * leaves the directories it replaces in place for a day. A running `pipeline build --wait` or
 * `watch` imports its lazy chunks (a stage, the emulator, the merge) long after it started, from
 * the directory it started from: swapping that directory away under it made such an import fail
 * (or, as seen in the test suite, hang) when `npm pack` re-ran `prepare` during a run (the bundle is
 * built by `postprepare` now, which `npm pack` does not run; `npm ci` and `npm run bundle` still can).
 */
import { readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { POINTER } from '../bin/current-bundle.js';

/** Marks a replaced directory; its mtime is when it was replaced. */
export const RETIRED_MARKER = 'RETIRED';
/** How long a replaced bundle stays for processes that still load from it. */
export const KEEP_RETIRED_MS = 24 * 60 * 60 * 1000;

/** Bundle directories of this layout (cli-<id>) and of the one before it (cli, cli.old-*, cli.tmp-*). */
const BUNDLE_DIR_NAME = /^cli(?:[-.]|$)/;

export async function publishBundle(root: string, dir: string, manifest: object, now = Date.now()): Promise<void> {
  // A concurrent bundler may have marked this directory (still being built) as replaced.
  await rm(path.join(root, dir, RETIRED_MARKER), { force: true });
  const pointer = path.join(root, POINTER);
  const staged = `${pointer}.tmp-${process.pid}`;
  await writeFile(staged, `${JSON.stringify({ ...manifest, dir }, null, 2)}\n`);
  await rename(staged, pointer); // atomic: a starting process sees the old bundle or the new one
  await retireOthers(root, now);
}

/** Marks each other bundle directory as replaced now, and removes those replaced over a day ago. */
async function retireOthers(root: string, now: number): Promise<void> {
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !BUNDLE_DIR_NAME.test(entry.name)) continue;
    if (entry.name === (await currentDir(root))) continue; // re-read: another bundler may have published since
    const marker = path.join(root, entry.name, RETIRED_MARKER);
    const retiredAt = await stat(marker).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (retiredAt === undefined) {
      await writeFile(marker, 'replaced by a newer build of the bundle; removed a day later\n');
      await utimes(marker, now / 1000, now / 1000);
    } else if (now - retiredAt > KEEP_RETIRED_MS) {
      await rm(path.join(root, entry.name), { recursive: true, force: true });
    }
  }
}

async function currentDir(root: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(root, POINTER), 'utf8')) as { dir?: string }).dir;
  } catch {
    return undefined;
  }
}
