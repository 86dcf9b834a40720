/**
 * Where one refresh of the page reads in-flight progress from, decided afresh each time:
 *
 * - a build holds the lock → only the files: the build polls and records progress in its markers
 *   (and with --offline it owns the emulator's state: a second emulator could advance the same
 *   batches twice, so the view must not start one);
 * - no build, and a way to reach the Batch API (a key, or --offline) → one poll through it, at the
 *   slower API interval;
 * - otherwise the files alone: the state as last recorded.
 *
 * The view never takes the lock and never writes; a connection lives for one refresh only, so an
 * emulator opened here never outlives the moment it was safe to open it.
 */
import { describeHolder, liveLockHolder } from '../engine/lock.ts';
import type { StageServices } from '../stages/services.ts';
import type { Result } from '../util/result.ts';
import type { ViewSnapshot } from './snapshot.ts';

export interface Connector {
  kind: 'api' | 'emulator';
  open(): Promise<Result<{ services: StageServices; close(): Promise<void> }, string>>;
}

export interface ProgressSourceOptions {
  /** Absolute state directory (where the build lock lives). */
  stateDir: string;
  connector?: Connector;
  /** Without a connector: the setting that is missing to reach the API (a key variable). */
  missingSetting?: string;
  /** Between refreshes through the Batch API. */
  apiIntervalMs: number;
  /** Between refreshes from the files while a build runs (its progress shows within this). */
  filesIntervalMs: number;
  /** Between refreshes from the files when nothing runs: only a build (or an edit) changes them. */
  idleIntervalMs?: number;
}

/** What the page says about where progress came from; `staleNote` only matters while batches are in flight. */
export type SourceInfo = ViewSnapshot['source'] & { staleNote?: string };

export interface RefreshSource {
  services: StageServices;
  source: SourceInfo;
  /** The running build, described. */
  build?: string;
  /** When to refresh next. */
  nextInMs: number;
  release(): Promise<void>;
}

const nothing = () => Promise.resolve();

export async function openProgressSource(opts: ProgressSourceOptions): Promise<RefreshSource> {
  const holder = await liveLockHolder(opts.stateDir);
  if (holder) {
    const build = describeHolder(holder);
    return {
      services: {},
      source: { kind: 'files', note: 'a build is running: progress as it records it' },
      build,
      nextInMs: opts.filesIntervalMs,
      release: nothing,
    };
  }
  if (opts.connector) {
    const opened = await opts.connector.open();
    if (opened.ok)
      return {
        services: opened.value.services,
        source: { kind: opts.connector.kind },
        nextInMs: opts.apiIntervalMs,
        release: () => opened.value.close(),
      };
    return {
      services: {},
      source: { kind: 'files', note: `cannot reach the Batch API (${opened.error}); showing the last recorded state` },
      nextInMs: opts.apiIntervalMs,
      release: nothing,
    };
  }
  return {
    services: {},
    source: {
      kind: 'files',
      staleNote: `in-flight batches as last recorded (set ${opts.missingSetting ?? 'the API key'} or use --offline to refresh them)`,
    },
    nextInMs: opts.idleIntervalMs ?? opts.filesIntervalMs,
    release: nothing,
  };
}
