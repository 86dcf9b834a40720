/**
 * Counters kept on disk (`stats.json`) so they survive restarts and add up across processes that
 * share a state dir: each process accumulates deltas in memory and merges them into the file
 * under a lock file (read, add, write atomically).
 */
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import type { EmulatorStats, FlavourCounts } from './types.ts';

export type Counter =
  | 'batchesCreated'
  | 'filesUploaded'
  | 'requestsExecuted'
  | 'duplicateExecutions'
  | 'invalidReplies'
  | 'downloadsCut'
  | 'downloadsStalled'
  | 'inputTokens'
  | 'outputTokens'
  | 'cachedTokens'
  | 'bytesIn'
  | 'bytesOut';

const COUNTERS = [
  'batchesCreated',
  'filesUploaded',
  'requestsExecuted',
  'duplicateExecutions',
  'invalidReplies',
  'downloadsCut',
  'downloadsStalled',
  'inputTokens',
  'outputTokens',
  'cachedTokens',
  'bytesIn',
  'bytesOut',
] as const satisfies readonly Counter[];

/** Where a flavour's handlers count: into the emulator's totals and into the flavour's own. */
export interface StatsSink {
  add(name: Counter, n?: number): void;
  route(key: string): void;
  peak(model: string, tokens: number): void;
}

export type PersistedStats = Omit<
  EmulatorStats,
  | 'batchesByStatus'
  | 'messageBatchesByStatus'
  | 'azureBatchesByStatus'
  | 'geminiBatchesByState'
  | 'mistralJobsByStatus'
  | 'online'
>;

const zeros = (): FlavourCounts => ({
  batchesCreated: 0,
  filesUploaded: 0,
  requestsExecuted: 0,
  duplicateExecutions: 0,
  invalidReplies: 0,
  downloadsCut: 0,
  downloadsStalled: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedTokens: 0,
});

const empty = (): PersistedStats => ({
  ...zeros(),
  tokensEnqueuedPeak: {},
  routeCalls: {},
  bytesIn: 0,
  bytesOut: 0,
  flavours: {},
});

export class StatsKeeper implements StatsSink {
  #file: string;
  #lock: string;
  #delta = empty();
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.#file = path.join(stateDir, 'stats.json');
    this.#lock = path.join(stateDir, 'stats.lock');
  }

  add(name: Counter, n = 1): void {
    this.#delta[name] += n;
    this.#schedule();
  }

  /** A view that also counts into `flavours[name]` (the byte counts stay emulator-wide). */
  scoped(flavour: string): StatsSink {
    return {
      add: (name, n = 1) => {
        this.add(name, n);
        if (name === 'bytesIn' || name === 'bytesOut') return;
        const counts = (this.#delta.flavours[flavour] ??= zeros());
        counts[name] += n;
      },
      route: (key) => this.route(key),
      peak: (model, tokens) => this.peak(model, tokens),
    };
  }

  route(key: string): void {
    this.#delta.routeCalls[key] = (this.#delta.routeCalls[key] ?? 0) + 1;
    this.#schedule();
  }

  peak(model: string, tokens: number): void {
    this.#delta.tokensEnqueuedPeak[model] = Math.max(this.#delta.tokensEnqueuedPeak[model] ?? 0, tokens);
    this.#schedule();
  }

  /** Merges pending deltas into the file and returns the totals. */
  async flush(): Promise<PersistedStats> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const run = this.#flushing.then(() => this.#merge());
    this.#flushing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  // Flushing on a short timer keeps the file current for other processes without a write per call.
  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => void this.flush().catch(() => undefined), 200);
    this.#timer.unref();
  }

  async #merge(): Promise<PersistedStats> {
    const delta = this.#delta;
    this.#delta = empty();
    await this.#acquire();
    try {
      const total = await this.#read();
      for (const k of COUNTERS) total[k] += delta[k];
      for (const [name, counts] of Object.entries(delta.flavours)) {
        const sum = (total.flavours[name] = { ...zeros(), ...total.flavours[name] });
        for (const [k, v] of Object.entries(counts) as [keyof FlavourCounts, number][]) sum[k] += v;
      }
      for (const [k, v] of Object.entries(delta.routeCalls)) total.routeCalls[k] = (total.routeCalls[k] ?? 0) + v;
      for (const [k, v] of Object.entries(delta.tokensEnqueuedPeak))
        total.tokensEnqueuedPeak[k] = Math.max(total.tokensEnqueuedPeak[k] ?? 0, v);
      await writeFileAtomic(this.#file, JSON.stringify(total, null, 1));
      return total;
    } finally {
      await rm(this.#lock, { force: true });
    }
  }

  async #read(): Promise<PersistedStats> {
    try {
      return { ...empty(), ...(JSON.parse(await readFile(this.#file, 'utf8')) as Partial<PersistedStats>) };
    } catch {
      return empty();
    }
  }

  // An O_EXCL lock file; a lock older than 5 s is taken to be left by a killed process. Only an
  // existing lock is waited for: any other failure (the state dir removed) would never clear.
  async #acquire(): Promise<void> {
    const started = Date.now();
    for (;;) {
      try {
        await (await open(this.#lock, 'wx')).close();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (Date.now() - started > 5000) {
          await rm(this.#lock, { force: true });
          continue;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
}
