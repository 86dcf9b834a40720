/**
 * What the requests not answered yet should still cost: each model's remaining input tokens at
 * its price, output from the rule's output ratio (capped by the requests' `max_tokens`), and the
 * most they can cost if every reply runs to its `max_tokens`. Priced per average request, so a
 * long-context tier applies only where single requests are above its threshold.
 */
import { billRequest, type PriceTier } from './bill.ts';
import { priceFor, type PriceTable } from './prices.ts';

export interface Remaining {
  model: string;
  requests: number;
  inputTokens: number;
  /** Sum of the `max_tokens` of the requests that set one. */
  maxOutputTokens: number;
  /** Requests that set no `max_tokens`: their replies have no ceiling we know of. */
  uncapped?: number;
}

export interface ToGo {
  /** Expected dollars still to pay. */
  expectedUsd: number;
  /** Dollars if every reply used its whole `max_tokens` (Infinity: some requests set none). */
  maxUsd: number;
  /** Models with no price (their dollars count 0 above). */
  unpriced: string[];
  /** Requests with no bound on their output (why `maxUsd` is Infinity). */
  unbounded: number;
}

export function toGo(
  remaining: readonly Remaining[],
  ratioOf: (model: string) => number,
  prices: PriceTable,
  tier: PriceTier,
  /** Billed input tokens per counted one (a model whose tokenizer is not public); default 1. */
  inputRatioOf: (model: string) => number = () => 1,
): ToGo {
  const out: ToGo = { expectedUsd: 0, maxUsd: 0, unpriced: [], unbounded: 0 };
  for (const r of remaining) {
    if (r.requests <= 0) continue;
    const price = priceFor(r.model, prices);
    if (!price) {
      out.unpriced.push(r.model);
      continue;
    }
    const uncapped = r.uncapped ?? 0;
    out.unbounded += uncapped;
    const capped = r.requests - uncapped;
    const input = (r.inputTokens / r.requests) * inputRatioOf(r.model);
    const cap = capped > 0 ? r.maxOutputTokens / capped : Infinity;
    const expected = Math.min(cap, input * ratioOf(r.model));
    out.expectedUsd += billRequest(price, { input, output: expected }, tier) * r.requests;
    out.maxUsd += uncapped > 0 ? Infinity : billRequest(price, { input, output: cap }, tier) * r.requests;
  }
  return out;
}
