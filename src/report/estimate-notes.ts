/**
 * What the dry run says under its totals about the money: the worst case, and every reason a
 * figure is less certain than it looks — requests without a bound, models with no price, prices
 * read long ago, input counted with another provider's tokenizer.
 */
import type { Estimate } from '../stages/types.ts';
import type { StalePrice } from '../tokens/price-table.ts';
import { UNBOUNDED_MARGIN } from '../stages/cost-model.ts';
import { describeInputBasis, type InputBasis } from '../tokens/input-ratio.ts';
import { formatUsd } from '../tokens/prices.ts';
import { STALE_AFTER_DAYS } from '../tokens/price-table.ts';

/** ", at most $0.37 if every reply reaches its max_tokens", after the dollars of the totals line. */
export function worstClause(total: Estimate): string {
  if (total.worstCostUsd === undefined || total.requests === 0) return '';
  return total.unboundedRequests
    ? `; at most ~${formatUsd(total.worstCostUsd)} (an estimate: ${total.unboundedRequests} requests set no max_tokens)`
    : `; at most ${formatUsd(total.worstCostUsd)} if every reply reaches its max_tokens`;
}

export function estimateNoteLines(total: Estimate): string[] {
  const lines: string[] = [];
  const n = total.unboundedRequests ?? 0;
  if (n > 0)
    lines.push(
      `${n} request${n > 1 ? 's set' : ' sets'} no max_tokens: no ceiling on ${n > 1 ? 'their' : 'its'} cost, so a --max-cost budget is only an estimate for ${n > 1 ? 'them' : 'it'} (output at the ratio × ${UNBOUNDED_MARGIN}); set max_tokens in the requests rule's params to make it a promise`,
    );
  for (const model of total.unpriced ?? [])
    lines.push(
      `no price for model ${model}: its requests are not in the dollars above (unknown, not free), and --max-cost refuses to send them; add it to the rule's pricing (or deployments)`,
    );
  if (total.stalePrices?.length) lines.push(staleLine(total.stalePrices));
  for (const b of total.inputBasis ?? []) {
    const text = describeInputBasis(b);
    if (text) lines.push(text);
  }
  return lines;
}

function staleLine(stale: readonly StalePrice[]): string {
  const each = stale.map((s) => `${s.model} (read ${s.readAt}, ${s.ageDays} days ago, ${s.page})`).join(', ');
  return `prices older than ${STALE_AFTER_DAYS} days: ${each}; check them (\`pipeline prices\`), or set the rule's pricing`;
}

/** Sums the notes of several estimates into `total` (sums, and the union of named things). */
export function addEstimateNotes(total: Estimate, e: Estimate): void {
  if (e.worstCostUsd !== undefined) total.worstCostUsd = (total.worstCostUsd ?? 0) + e.worstCostUsd;
  if (e.unboundedRequests) total.unboundedRequests = (total.unboundedRequests ?? 0) + e.unboundedRequests;
  if (e.unpriced?.length) total.unpriced = [...new Set([...(total.unpriced ?? []), ...e.unpriced])];
  if (e.stalePrices?.length) total.stalePrices = unionBy(total.stalePrices, e.stalePrices, (s) => s.model);
  if (e.inputBasis?.length) total.inputBasis = unionBy(total.inputBasis, e.inputBasis, (b: InputBasis) => b.model);
}

function unionBy<T>(a: readonly T[] | undefined, b: readonly T[], key: (t: T) => string): T[] {
  const out = new Map((a ?? []).map((t) => [key(t), t]));
  for (const t of b) out.set(key(t), t);
  return [...out.values()];
}
