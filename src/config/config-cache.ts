/**
 * A cache of evaluated configs, so a no-op `build` or `status` neither starts tsx's loader nor
 * transpiles and runs pipeline.config.ts when nothing it depends on changed. It holds the
 * config's default export as JSON, keyed by the content of every file the value depends on
 * (config-sources.ts). Beside it, once validated, the entry keeps what validation made of it (the
 * config with defaults, each rule's checked stage options) under the id of the tool's build
 * (util/build-id.ts): the same build would check the same value the same way, so a command that
 * finds them loads no zod and no stage code. Another build, or the sources, validate again.
 *
 * Where: the state dir is named by the config itself, so it cannot hold the cache that spares
 * loading the config; like tsx's own transform cache, it lives in the temp dir, per user
 * (`<tmp>/llmake-<uid>/configs/`, mode 0700, used only when this user owns it and no one else
 * can write it). A missing, torn or foreign entry is a miss, never an error.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ConfigSources } from './config-sources.ts';

interface Entry {
  key: string;
  exported: unknown;
  validated?: ValidatedConfig;
}

/** What validation made of the exported config, by one build of the tool. */
export interface ValidatedConfig {
  build: string;
  /** The config with its schema's defaults (a PipelineConfig). */
  config: unknown;
  /** Each rule's stage options as its stage checked them (resolve-stages.ts's CheckedStage), in order. */
  stages: unknown[];
}

/** Bumped when the entry format or what is cached changes. */
const FORMAT = 2;

function cacheDir(): string {
  const user = process.getuid?.() ?? os.userInfo().username;
  return path.join(os.tmpdir(), `llmake-${user}`, 'configs');
}

function entryFile(configFile: string): string {
  return path.join(cacheDir(), `${createHash('sha256').update(configFile).digest('hex').slice(0, 32)}.json`);
}

export function cacheKey(sources: ConfigSources): string {
  const hash = createHash('sha256').update(`format ${FORMAT}\0`);
  sources.files.forEach((file, i) => hash.update(`${file}\0${sources.contents[i]}\0`));
  return hash.digest('hex');
}

/** Only a directory this user owns and nobody else may write to is trusted. */
function trusted(dir: string): boolean {
  try {
    const st = statSync(dir);
    const uid = process.getuid?.();
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The cached export for this config and key, or undefined. */
export function readCachedConfig(
  configFile: string,
  key: string,
): { exported: unknown; validated?: ValidatedConfig } | undefined {
  const dir = cacheDir();
  if (!trusted(dir) || !trusted(path.dirname(dir))) return undefined;
  try {
    const entry = JSON.parse(readFileSync(entryFile(configFile), 'utf8')) as Entry;
    if (entry.key !== key) return undefined;
    return entry.validated ? { exported: entry.exported, validated: entry.validated } : { exported: entry.exported };
  } catch {
    return undefined;
  }
}

/**
 * Caches the export (and what validation made of it) when JSON gives it back unchanged (no
 * functions, dates, undefined holes…). Best effort: a cache that cannot be written only costs the
 * next load its speed.
 */
export function writeCachedConfig(
  configFile: string,
  key: string,
  exported: unknown,
  validated?: ValidatedConfig,
): void {
  try {
    const entry: Entry = validated ? { key, exported, validated } : { key, exported };
    const text = JSON.stringify(entry);
    if (!isDeepStrictEqual(JSON.parse(text), entry)) return;
    const dir = cacheDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trusted(dir) || !trusted(path.dirname(dir))) return;
    const file = entryFile(configFile);
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // not cached
  }
}
