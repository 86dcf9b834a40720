/** The full stats view: persisted counters plus the current batch counts by status. */
import type { EmulatorContext } from './context.ts';
import { refreshAll } from './lifecycle.ts';
import type { EmulatorStats } from './types.ts';

export async function collectStats(ctx: EmulatorContext): Promise<EmulatorStats> {
  // Statuses are lazy; bring unfinished batches up to now so the counts are current.
  await refreshAll(ctx);
  const batchesByStatus: Record<string, number> = {};
  for (const b of ctx.batches.all()) batchesByStatus[b.status] = (batchesByStatus[b.status] ?? 0) + 1;
  return { ...(await ctx.stats.flush()), batchesByStatus, online: ctx.online.view() };
}
