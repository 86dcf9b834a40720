/** The full stats view: persisted counters plus the current batch counts by status. */
import { refreshAll as refreshMessageBatches } from './anthropic/lifecycle.ts';
import { awsStats } from './aws/stats.ts';
import type { EmulatorContext } from './context.ts';
import { refreshAll } from './lifecycle.ts';
import type { EmulatorStats } from './types.ts';

export async function collectStats(ctx: EmulatorContext): Promise<EmulatorStats> {
  // Statuses are lazy; bring unfinished batches up to now so the counts are current.
  await refreshAll(ctx);
  const batchesByStatus: Record<string, number> = {};
  for (const b of ctx.batches.all()) batchesByStatus[b.status] = (batchesByStatus[b.status] ?? 0) + 1;
  const messageBatchesByStatus: Record<string, number> = {};
  const anthropic = ctx.siblings?.anthropic;
  if (anthropic) {
    await refreshMessageBatches(anthropic);
    for (const b of anthropic.store.all())
      messageBatchesByStatus[b.status] = (messageBatchesByStatus[b.status] ?? 0) + 1;
  }
  const azureBatchesByStatus: Record<string, number> = {};
  const azure = ctx.siblings?.azure;
  if (azure) {
    await refreshAll(azure);
    for (const b of azure.batches.all()) azureBatchesByStatus[b.status] = (azureBatchesByStatus[b.status] ?? 0) + 1;
  }
  return {
    ...(await ctx.stats.flush()),
    batchesByStatus,
    messageBatchesByStatus,
    azureBatchesByStatus,
    online: ctx.online.view(),
    ...(ctx.siblings?.aws ? { aws: await awsStats(ctx.siblings.aws) } : {}),
  };
}
