/**
 * Dollars still to come from batches already in flight: their estimate (recorded in the marker
 * when each part was sent) times the share of their requests not answered yet. What a dry run
 * estimates covers only requests not sent; together they are what the target is still expected
 * to cost.
 */
import { isInFlight, loadLedger } from '../stages/batch/ledger.ts';

/**
 * `answered`: the target's requests answered so far as `status` reports them (fresher than the
 * marker when the view polled the Batch API itself); without it the marker's own counts are used.
 */
export async function inFlightExpectedUsd(marker: string, root: string, answered?: number): Promise<number> {
  const loaded = await loadLedger(marker, root).catch(() => undefined);
  if (!loaded?.ok || !loaded.value) return 0;
  const ledger = loaded.value;
  const parts = ledger.parts.filter(isInFlight);
  const requests = parts.reduce((sum, p) => sum + p.requests, 0);
  const cost = parts.reduce((sum, p) => sum + (p.estCostUsd ?? 0), 0);
  if (requests === 0) return cost;
  const s = ledger.summary;
  // `status` counts requests answered earlier (in the summary) plus those answered in flight.
  const inBatches =
    answered !== undefined && s
      ? answered - s.succeeded - s.failed
      : parts.reduce((sum, p) => sum + (p.counts ? p.counts.completed + p.counts.failed : 0), 0);
  return cost * (1 - Math.min(1, Math.max(0, inBatches) / requests));
}
