/** What one `run()` of one target carries through the protocol steps. */
import type { TargetContext } from '../types.ts';
import type { TargetFiles } from '../work/cache.ts';
import type { BatchStageConfig } from './config.ts';
import { LearnedLimits } from './learned-limits.ts';
import { saveLedger, type Ledger } from './ledger.ts';
import type { BatchServices } from './services.ts';

export interface BatchRun {
  ctx: TargetContext;
  svc: BatchServices;
  config: BatchStageConfig;
  ledger: Ledger;
  files: TargetFiles;
  /** Batches created by this run: their status is fresh, no need to poll them again now. */
  createdThisRun: Set<string>;
  /** When this run started (clock ms): events recorded since are reported with its outcome. */
  startedAt: number;
  /** The ledger as last read or written, to skip rewriting an unchanged marker on every poll. */
  saved?: string;
}

export function now(run: BatchRun): number {
  return run.ctx.clock.now();
}

/** Durably records the ledger (atomic temp + rename) before the next step with remote effects. */
export async function save(run: BatchRun): Promise<void> {
  const content = JSON.stringify({ ...run.ledger, updatedAt: '' });
  if (content === run.saved) return;
  await saveLedger(run.ctx.marker!, run.ledger, now(run));
  run.saved = content;
}

/** Remembers the ledger as loaded from disk (an unchanged one is not written back). */
export function markSaved(run: BatchRun): void {
  run.saved = JSON.stringify({ ...run.ledger, updatedAt: '' });
}

/** What a step concluded about its part. */
export type StepResult =
  { kind: 'advanced' } | { kind: 'waiting'; why: string } | { kind: 'failed'; message: string; details?: string[] };

/** The build's learned provider limits, read from the pipeline state on first use. */
export function learnedLimits(run: BatchRun): LearnedLimits {
  run.svc.learned ??= LearnedLimits.load(run.ctx.root);
  return run.svc.learned;
}
