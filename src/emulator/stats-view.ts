/** The full stats view: persisted counters plus every flavour's batches by status, brought up to now. */
import type { ServedFlavour } from './flavours.ts';
import type { OnlineServer } from './online/server.ts';
import type { StatsKeeper } from './stats.ts';
import type { EmulatorStats } from './types.ts';

/** Where each flavour's counts by status appear in the stats. */
const STATUS_KEY = {
  openai: 'batchesByStatus',
  anthropic: 'messageBatchesByStatus',
  azure: 'azureBatchesByStatus',
  gemini: 'geminiBatchesByState',
  mistral: 'mistralJobsByStatus',
} as const;

export async function collectStats(
  stats: StatsKeeper,
  flavours: readonly ServedFlavour[],
  online: OnlineServer,
): Promise<EmulatorStats> {
  const byStatus = {
    batchesByStatus: {},
    messageBatchesByStatus: {},
    azureBatchesByStatus: {},
    geminiBatchesByState: {},
    mistralJobsByStatus: {},
  };
  // Statuses are lazy; bringing unfinished batches up to now runs what is due (and counts it).
  for (const f of flavours) byStatus[STATUS_KEY[f.name]] = await f.statusCounts();
  return { ...(await stats.flush()), ...byStatus, online: online.view() };
}
