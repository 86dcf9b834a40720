/**
 * What a provider has told us about its enqueued-token limits, kept per provider, endpoint and
 * model in the pipeline's state (`<stateDir>/provider-limits.json`, `.pipeline/` by default) so
 * later builds plan within them with no flag:
 *
 * - the limit itself, parsed from a `token_limit_exceeded` error ("… Limit: 200,000 enqueued
 *   tokens …") or a queue header, with when it was stated;
 * - how the provider's token count compares with our estimate (`ratio`, never below 1): raised
 *   when a batch sent within a budget we believed safe still fails on the limit, and learned from
 *   billed prompt tokens once results arrive.
 *
 * Limits change (an account moves up a tier), so a learned one ages, on the build's clock: once it
 * is older than `PROBE_AFTER_MS`, each run of `FITS_TO_PROBE` batches that fit makes planning try
 * `PROBE_STEP` more (a failure then states the limit again, and planning falls back to it); a limit
 * stated more than `LIMIT_TTL_MS` ago is forgotten (the next failure states it again). Planning keeps `estimate × ratio` under `limit × SAFETY`.
 *
 * Written only by a build (under the lock), atomically, merged key by key with what is on disk
 * (each provider's services hold their own copy); a file a newer llmake wrote (its `version`) is
 * refused, never read as "nothing learned" and overwritten. Read without zod: `status` shows it on
 * its no-op path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../util/fs-atomic.ts';
import { isRecord } from '../../util/is-record.ts';
import { checkFormat, STATE_FORMAT } from '../../util/state-format.ts';

/** Share of a learned provider limit we plan to fill: room for estimate noise. Documented in the README. */
export const SAFETY = 0.9;
/** Batches in a row that fit under a learned limit before planning tries a larger one. */
export const FITS_TO_PROBE = 3;
/** A limit the provider stated this recently is taken as it is: probing starts once it is older. */
export const PROBE_AFTER_MS = 60 * 60_000;
/** How much larger each probe plans (×1.25, compounding), at most `MAX_PROBES` times. */
export const PROBE_STEP = 1.25;
const MAX_PROBES = 4;
/** A limit stated longer ago than this (one day, on the build's clock) is forgotten. */
export const LIMIT_TTL_MS = 24 * 60 * 60_000;

export interface LearnedEntry {
  provider: string;
  endpoint: string;
  model: string;
  /** The provider's enqueued-token limit, in its own count, and when (ISO) and how it was stated. */
  limit?: number;
  limitSeenAt?: string;
  limitFrom?: string;
  /** Probes upward since the limit was stated: planning uses `limit × PROBE_STEP^probes`. */
  probes?: number;
  /** Batches that fit since the limit was stated or last probed upward. */
  fits?: number;
  /** The provider's token count per token of our estimate (≥ 1), and what showed it. */
  ratio?: number;
  ratioFrom?: string;
}

type Stored = Omit<LearnedEntry, 'provider' | 'endpoint' | 'model'>;

export function limitsFile(stateDir: string): string {
  return path.join(stateDir, 'provider-limits.json');
}

const keyOf = (provider: string, endpoint: string, model: string) => `${provider} ${endpoint} ${model}`;

/** The limit stated in a provider's enqueued-token error, if it states one. */
export function parseEnqueuedLimit(message: string | undefined): number | undefined {
  // OpenAI: "… Limit: 200,000 enqueued tokens …"; Azure: "… the configured limit of 30K for the deployment …".
  const openai = /limit:\s*([\d,_ ]+)\s*enqueued tokens/i.exec(message ?? '');
  if (openai) return positive(Number(openai[1]!.replace(/[,_ ]/g, '')));
  const azure = /configured limit of\s*([\d.]+)\s*([KMB]?)\b/i.exec(message ?? '');
  if (!azure) return undefined;
  const scale = { '': 1, K: 1e3, M: 1e6, B: 1e9 }[azure[2]!.toUpperCase() as '' | 'K' | 'M' | 'B'];
  return positive(Math.round(Number(azure[1]) * scale));
}

function positive(n: number): number | undefined {
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Every entry of the file (a missing or unreadable one: none); a newer file throws NewerStateError. */
export function readLearned(stateDir: string): Map<string, LearnedEntry> {
  const file = limitsFile(stateDir);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return new Map();
  }
  if (!isRecord(value)) return new Map();
  checkFormat(value.version, file);
  const entries = new Map<string, LearnedEntry>();
  for (const raw of Array.isArray(value.limits) ? (value.limits as unknown[]) : []) {
    const entry = entryOf(raw);
    if (entry) entries.set(keyOf(entry.provider, entry.endpoint, entry.model), entry);
  }
  // (Entries keyed by model alone, as 0.1.0 wrote them under `models`, name no provider: learned again.)
  return entries;
}

function entryOf(raw: unknown): LearnedEntry | undefined {
  if (!isRecord(raw)) return undefined;
  const { provider, endpoint, model } = raw;
  if (typeof provider !== 'string' || typeof endpoint !== 'string' || typeof model !== 'string') return undefined;
  const entry: LearnedEntry = { provider, endpoint, model };
  const count = (v: unknown, min: number) => (typeof v === 'number' && Number.isFinite(v) && v >= min ? v : undefined);
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const fields: Stored = {
    limit: count(raw.limit, 1),
    limitSeenAt: text(raw.limitSeenAt),
    limitFrom: text(raw.limitFrom),
    probes: count(raw.probes, 0),
    fits: count(raw.fits, 0),
    ratio: count(raw.ratio, 1),
    ratioFrom: text(raw.ratioFrom),
  };
  for (const [k, v] of Object.entries(fields))
    if (v !== undefined) (entry as unknown as Record<string, unknown>)[k] = v;
  return entry;
}

/** Whether an entry's limit is still in force at `now`. */
export function limitInForce(entry: LearnedEntry, now: number): boolean {
  if (entry.limit === undefined) return false;
  const seen = entry.limitSeenAt ? Date.parse(entry.limitSeenAt) : NaN;
  return Number.isFinite(seen) && now - seen < LIMIT_TTL_MS;
}

/** The limit planning uses: the stated one, raised by the probes that fit since. */
export function plannedLimit(entry: LearnedEntry): number | undefined {
  return entry.limit === undefined ? undefined : Math.floor(entry.limit * PROBE_STEP ** (entry.probes ?? 0));
}

/** One provider's learned limits, as a build uses them. */
export class LearnedLimits {
  #changed = new Set<string>();
  private constructor(
    readonly file: string,
    private readonly provider: string,
    private readonly now: () => number,
    private readonly entries: Map<string, LearnedEntry>,
  ) {}

  /** `now`: the build's clock (limits age on it). */
  static load(stateDir: string, provider: string, now: () => number): LearnedLimits {
    return new LearnedLimits(limitsFile(stateDir), provider, now, readLearned(stateDir));
  }

  #entry(endpoint: string, model: string): LearnedEntry | undefined {
    return this.entries.get(keyOf(this.provider, endpoint, model));
  }

  #update(endpoint: string, model: string, change: (e: LearnedEntry) => void): void {
    const key = keyOf(this.provider, endpoint, model);
    const entry = { ...(this.entries.get(key) ?? { provider: this.provider, endpoint, model }) };
    change(entry);
    this.entries.set(key, entry);
    this.#changed.add(key);
  }

  /** The limit planning uses now (stated, probed upward), unless it has aged out. */
  limit(endpoint: string, model: string): number | undefined {
    const e = this.#entry(endpoint, model);
    return e && limitInForce(e, this.now()) ? plannedLimit(e) : undefined;
  }

  ratio(endpoint: string, model: string): number {
    return this.#entry(endpoint, model)?.ratio ?? 1;
  }

  /**
   * The most estimated tokens to keep enqueued: the configured limit (the user's own margin) or
   * the learned one at SAFETY, whichever is lower, divided by the learned ratio.
   */
  budget(endpoint: string, model: string, configured: number | undefined): number | undefined {
    const learned = this.limit(endpoint, model);
    const caps = [configured, learned !== undefined ? learned * SAFETY : undefined].filter(
      (n): n is number => n !== undefined,
    );
    return caps.length > 0 ? Math.floor(Math.min(...caps) / this.ratio(endpoint, model)) : undefined;
  }

  /** Whether planning is trying more than the provider last stated (a failure then says nothing about the ratio). */
  probing(endpoint: string, model: string): boolean {
    const e = this.#entry(endpoint, model);
    return !!e && limitInForce(e, this.now()) && (e.probes ?? 0) > 0;
  }

  /** The provider stated its limit: kept for later plans, as it is now (no probe, no fits yet). */
  learnLimit(endpoint: string, model: string, limit: number, from: string): void {
    this.#update(endpoint, model, (e) => {
      e.limit = limit;
      e.limitSeenAt = new Date(this.now()).toISOString();
      e.limitFrom = from;
      delete e.probes;
      delete e.fits;
    });
  }

  /** A probe failed on the limit without the provider stating it: back to the step before. */
  probeFailed(endpoint: string, model: string): void {
    this.#update(endpoint, model, (e) => {
      e.probes = Math.max(0, (e.probes ?? 0) - 1);
      e.fits = 0;
    });
  }

  /** A batch planned under a learned limit was taken (not failed on the limit): after a run of them, try more. */
  noteFit(endpoint: string, model: string): void {
    const e = this.#entry(endpoint, model);
    if (!e || !limitInForce(e, this.now())) return;
    const settled = this.now() - Date.parse(e.limitSeenAt!) >= PROBE_AFTER_MS;
    this.#update(endpoint, model, (u) => {
      u.fits = (u.fits ?? 0) + 1;
      if (settled && u.fits >= FITS_TO_PROBE && (u.probes ?? 0) < MAX_PROBES) {
        u.probes = (u.probes ?? 0) + 1;
        u.fits = 0;
      }
    });
  }

  /**
   * A batch failed on the limit although it was sent within a budget we believed safe: the
   * provider counts more than we estimate. Our view of what was enqueued at its validation is not
   * exact (batches finish and start around it), so the ratio is raised step by step (×1.25, at
   * most 3) rather than computed from one sample; a failure sent with no known limit says nothing
   * about the ratio.
   */
  raiseRatio(endpoint: string, model: string, batchId: string): void {
    this.#update(endpoint, model, (e) => {
      e.ratio = Math.min(3, (e.ratio ?? 1) * 1.25);
      e.ratioFrom = `${batchId} failed on the limit although sent within the planned budget`;
    });
  }

  /** A part answered in full: the prompt tokens billed against what we estimated for it. */
  learnFromUsage(endpoint: string, model: string, billed: number, estimated: number, batchId: string): void {
    if (estimated <= 0 || billed <= estimated * 1.02) return; // our estimate held: nothing to learn
    const ratio = Math.min(10, billed / estimated);
    if (ratio <= this.ratio(endpoint, model)) return;
    this.#update(endpoint, model, (e) => {
      e.ratio = ratio;
      e.ratioFrom = `${batchId} billed ${billed.toLocaleString('en-US')} prompt tokens where ${estimated.toLocaleString('en-US')} were estimated`;
    });
  }

  /** Writes what changed, merged into the file as it is now; limits aged out are dropped. */
  async save(): Promise<void> {
    if (this.#changed.size === 0) return;
    const stateDir = path.dirname(this.file);
    const merged = readLearned(stateDir);
    for (const key of this.#changed) merged.set(key, this.entries.get(key)!);
    const now = this.now();
    const limits = [...merged.values()]
      .map((e) => (e.limit === undefined || limitInForce(e, now) ? e : withoutLimit(e)))
      .filter((e) => e.limit !== undefined || e.ratio !== undefined);
    await writeFileAtomic(this.file, `${JSON.stringify({ version: STATE_FORMAT, limits }, null, 2)}\n`);
    this.#changed.clear();
  }
}

function withoutLimit(e: LearnedEntry): LearnedEntry {
  const { limit: _limit, limitSeenAt: _at, limitFrom: _from, probes: _probes, fits: _fits, ...rest } = e;
  return rest;
}
