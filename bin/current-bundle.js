// The prebuilt CLI bundle of a checkout (scripts/bundle-cli.ts, run by `npm ci` through `prepare`),
// if it is current. Current means: built by this Node major for this package version, and every
// source file that went into it still has the content it was built from (sha256 over the files
// esbuild reported, in order). Content, not mtimes: an edit, a checkout or a deleted file makes it
// stale, and the entries then run the TypeScript sources, so development never runs stale code.
// Plain JavaScript, no dependencies: it runs before anything else is loaded.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE_DIR = path.join(REPO, 'node_modules', '.cache', 'llmake', 'cli');
export const MANIFEST = 'manifest.json';

/** sha256 over each input's path and content; undefined when one is missing. */
export function sourceHash(inputs) {
  const hash = createHash('sha256');
  for (const rel of inputs) {
    let content;
    try {
      content = readFileSync(path.join(REPO, rel));
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
    manifest = JSON.parse(readFileSync(path.join(BUNDLE_DIR, MANIFEST), 'utf8'));
  } catch {
    return undefined; // never built (or being replaced): run the sources
  }
  if (manifest.node !== process.versions.node.split('.')[0]) return undefined;
  if (manifest.version !== packageVersion()) return undefined;
  if (!Array.isArray(manifest.inputs) || sourceHash(manifest.inputs) !== manifest.hash) return undefined;
  return pathToFileURL(path.join(BUNDLE_DIR, manifest.entry)).href;
}

export function packageVersion() {
  return JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
}
