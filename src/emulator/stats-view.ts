/** The full stats view: persisted counters plus the current batch counts by status. */
import type { EmulatorContext } from './context.ts';
import { refresh } from './lifecycle.ts';
import { TERMINAL, type EmulatorStats } from './types.ts';

export async function collectStats(ctx: EmulatorContext): Promise<EmulatorStats> {
  // Statuses are lazy; bring unfinished batches up to now so the counts are current.
  for (const b of ctx.batches.all().reverse()) if (!TERMINAL.has(b.status)) await refresh(ctx, b);
  const batchesByStatus: Record<string, number> = {};
  for (const b of ctx.batches.all()) batchesByStatus[b.status] = (batchesByStatus[b.status] ?? 0) + 1;
  return { ...(await ctx.stats.flush()), batchesByStatus };
}
