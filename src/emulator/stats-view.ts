/** The full stats view: persisted counters plus what every flavour adds (its batches by status), brought up to now. */
import type { ServedFlavour } from './flavours.ts';
import type { OnlineServer } from './online/server.ts';
import type { StatsKeeper } from './stats.ts';
import type { EmulatorStats } from './types.ts';

export async function collectStats(
  stats: StatsKeeper,
  flavours: readonly ServedFlavour[],
  online: OnlineServer,
): Promise<EmulatorStats> {
  let byFlavour: Partial<EmulatorStats> = {
    batchesByStatus: {},
    messageBatchesByStatus: {},
    azureBatchesByStatus: {},
    geminiBatchesByState: {},
    mistralJobsByStatus: {},
  };
  // Statuses are lazy; bringing unfinished batches up to now runs what is due (and counts it).
  for (const f of flavours) byFlavour = { ...byFlavour, ...(await f.stats()) };
  return { ...(await stats.flush()), ...byFlavour, online: online.view() } as EmulatorStats;
}
