/**
 * Dollars still to come from batches already in flight: each part's estimate (recorded in the
 * marker when it was sent) times the share of its requests not answered yet. What a dry run
 * estimates covers only requests not sent; together they are what the target is still expected
 * to cost.
 */
import { isInFlight, loadLedger } from '../stages/batch/ledger.ts';

export async function inFlightExpectedUsd(marker: string, root: string): Promise<number> {
  const loaded = await loadLedger(marker, root).catch(() => undefined);
  if (!loaded?.ok || !loaded.value) return 0;
  let usd = 0;
  for (const part of loaded.value.parts.filter(isInFlight)) {
    const c = part.counts;
    const answered = c && c.total > 0 ? Math.min(1, (c.completed + c.failed) / c.total) : 0;
    usd += (part.estCostUsd ?? 0) * (1 - answered);
  }
  return usd;
}
