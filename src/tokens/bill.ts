/**
 * What one answered request costs, from its billed `usage`, at every tier that applies: batch or
 * standard, cached input (reads) and cache writes at their own rates, and the long-context rates
 * when the prompt is above the model's threshold. One function, so estimates, tallies, the spend
 * log and the tests all do the same arithmetic.
 */
import { BATCH_DISCOUNT, priceFor, type ModelPrice, type PriceTable } from './prices.ts';

/** A request's billed tokens. `input` counts every input token: uncached, cache reads and cache writes. */
export interface BilledUsage {
  input: number;
  output: number;
  /** Of `input`: read from the prompt cache. */
  cached?: number;
  /** Of `input`: written to the prompt cache (Anthropic). */
  cacheWrite?: number;
}

export type PriceTier = 'batch' | 'standard';

/** USD for one request at a model's price; `tier` batch bills half of every rate. */
export function billRequest(price: ModelPrice, usage: BilledUsage, tier: PriceTier): number {
  const long = price.longContext && usage.input > price.longContext.aboveInputTokens ? price.longContext : undefined;
  const rates = long ?? price;
  const cached = Math.min(usage.cached ?? 0, usage.input);
  const written = Math.min(usage.cacheWrite ?? 0, usage.input - cached);
  const plain = usage.input - cached - written;
  const usd =
    (plain * rates.input +
      cached * (rates.cachedInput ?? rates.input) +
      written * (rates.cacheWrite ?? rates.input) +
      usage.output * rates.output) /
    1_000_000;
  return tier === 'batch' ? usd * BATCH_DISCOUNT : usd;
}

/** Both prices of one request, or undefined when the model has no price. */
export function billOf(
  model: string,
  usage: BilledUsage,
  table: PriceTable,
  tier: PriceTier,
): { usd: number; standardUsd: number } | undefined {
  const price = priceFor(model, table);
  if (!price) return undefined;
  return { usd: billRequest(price, usage, tier), standardUsd: billRequest(price, usage, 'standard') };
}
