// The prebuilt CLI bundle of a checkout (scripts/bundle-cli.ts, run by `npm ci` through `postprepare`),
// if it is current. Current means: built by this Node major for this package version, and every
// source file that went into it still has the content it was built from (sha256 over the files
// esbuild reported, in order). An edit, a checkout or a deleted file makes it stale, and the
// entries then run the TypeScript sources, so development never runs stale code.
// Fast path (ninja's): when every file still has the size and mtime recorded at build time, its
// content is taken as unchanged (one stat per file instead of a read); any difference, a `touch`
// included, falls back to comparing the content hash.
// Plain JavaScript, no dependencies: it runs before anything else is loaded.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import process from 'node:process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Each build of the bundle gets a directory of its own here (cli-<id>/), and cli.json names the
 * current one with its manifest. A rebuild (`npm ci`, `npm run bundle`) never
 * moves or deletes the directory a running process loads its lazy chunks from
 * (scripts/publish-bundle.ts).
 */
export const BUNDLE_ROOT = path.join(REPO, 'node_modules', '.cache', 'llmake');
export const POINTER = 'cli.json';

/** sha256 over each input's path and content; undefined when one is missing. */
export function sourceHash(inputs) {
  const hash = createHash('sha256');
  for (const rel of inputs) {
    let content;
    try {
      content = readFileSync(`${REPO}/${rel}`);
    } catch {
      return undefined;
    }
    hash.update(`${rel}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex');
}

/** The file: URL of the bundle's entry when it is current, else undefined. */
export function currentBundle() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(BUNDLE_ROOT, POINTER), 'utf8'));
  } catch {
    return undefined; // never built: run the sources
  }
  if (typeof manifest.dir !== 'string' || typeof manifest.entry !== 'string') return undefined;
  if (manifest.node !== process.versions.node.split('.')[0]) return undefined;
  if (manifest.version !== packageVersion()) return undefined;
  if (!Array.isArray(manifest.inputs)) return undefined;
  if (!unchangedStamps(manifest.inputs, manifest.stamps) && sourceHash(manifest.inputs) !== manifest.hash)
    return undefined;
  return pathToFileURL(path.join(BUNDLE_ROOT, manifest.dir, manifest.entry)).href;
}

/** `[size, mtimeMs]` of each input, as the bundler records them; undefined when one is missing. */
export function sourceStamps(inputs) {
  const stamps = [];
  for (const rel of inputs) {
    const st = statSync(`${REPO}/${rel}`, { throwIfNoEntry: false });
    if (!st) return undefined;
    stamps.push([st.size, st.mtimeMs]);
  }
  return stamps;
}

function unchangedStamps(inputs, recorded) {
  if (!Array.isArray(recorded) || recorded.length !== inputs.length) return false;
  const now = sourceStamps(inputs);
  return now !== undefined && now.every(([size, mtime], i) => recorded[i][0] === size && recorded[i][1] === mtime);
}

export function packageVersion() {
  return JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
}
