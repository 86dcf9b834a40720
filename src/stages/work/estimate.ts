/**
 * What sending requests would cost: tokens and dollars at the expected, standard and worst case,
 * shared by the batch and online stages (planning, the dry run, `--max-cost`).
 */
import type { PriceTier } from '../../tokens/bill.ts';
import type { PriceTable } from '../../tokens/prices.ts';
import { countedTokens } from '../../tokens/request-tokens.ts';
import { costModel, type CostModel } from '../cost-model.ts';
import type { Estimate } from '../types.ts';
import { maxOutputTokens, type RequestEntry } from './request-file.ts';

/** A request's prompt tokens as we count them (memoized). */
export function tokensOf(entry: RequestEntry): number {
  return countedTokens(entry);
}

export interface CostEstimate extends Omit<Estimate, 'cachedRequests'> {
  /** Models with no price: their requests are counted in tokens, not in dollars (never as free). */
  unpriced: string[];
  /** The most the priced requests can cost (every reply at its bound; unbounded ones estimated). */
  worstCostUsd: number;
  /** Requests that set no bound on their output: their worst case is an estimate. */
  unbounded: number;
}

/** Output tokens per input token, per model (the configured ratio, or one learned from results). */
export type RatioFor = number | ((model: string) => number);

/**
 * Tokens and dollars for sending these requests at the configured or learned ratio (see
 * cost-model.ts); no prompt is assumed cached: an estimate should not count on the provider's
 * best-effort cache.
 */
export function estimateCost(
  entries: readonly RequestEntry[],
  outputRatio: RatioFor,
  prices: PriceTable,
  tier: PriceTier = 'batch',
): CostEstimate {
  return estimateWith(entries, costModel({ outputRatio, prices, tier }));
}

export function estimateWith(entries: readonly RequestEntry[], model: CostModel): CostEstimate {
  const e: CostEstimate = {
    requests: entries.length,
    inputTokens: 0,
    outputTokens: 0,
    maxOutputTokens: 0,
    costUsd: 0,
    standardCostUsd: 0,
    worstCostUsd: 0,
    unbounded: 0,
    unpriced: [],
  };
  const unpriced = new Set<string>();
  for (const entry of entries) {
    const cap = maxOutputTokens(entry);
    if (cap === undefined) e.unbounded += 1;
    const c = model.of(entry);
    e.inputTokens += c.input;
    e.outputTokens += c.expectedOutput;
    e.maxOutputTokens += cap ?? c.expectedOutput;
    if (!c.usd) {
      unpriced.add(entry.model || '(no model)');
      continue;
    }
    e.costUsd += c.usd.expected;
    e.standardCostUsd += c.usd.standard;
    e.worstCostUsd += c.usd.worst;
  }
  e.unpriced = [...unpriced];
  return e;
}
