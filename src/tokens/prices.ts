/**
 * Dollars per million tokens at the standard (synchronous) price, every tier a model bills, in one
 * table (price-table.ts: each model's provider, source page and the date its rates were read). The Batch API bills `BATCH_DISCOUNT` of each rate (OpenAI and Anthropic halve cached
 * and cache-write rates too: the discounts stack). The config may override or extend the table
 * per model (`pricing` in pipeline.config.ts). The arithmetic is in bill.ts.
 */
export interface ModelPrice {
  /** USD per 1M input tokens, standard API. */
  input: number;
  /** USD per 1M output tokens, standard API. */
  output: number;
  /** USD per 1M input tokens read from the prompt cache (OpenAI `cached_tokens`, Anthropic cache reads). Unset: the input rate. */
  cachedInput?: number;
  /** USD per 1M input tokens written to the prompt cache (Anthropic, 5-minute TTL). Unset: the input rate. */
  cacheWrite?: number;
  /** Rates for a request whose prompt (every input token, cached or not) is above `aboveInputTokens`. */
  longContext?: {
    aboveInputTokens: number;
    input: number;
    output: number;
    cachedInput?: number;
    cacheWrite?: number;
  };
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

import { baseModelName, PRICE_TABLE } from './price-table.ts';

export { PRICE_TABLE, type PriceEntry } from './price-table.ts';

/** Standard prices by model, as used everywhere a price is looked up. */
export const DEFAULT_PRICES: PriceTable = Object.fromEntries(
  Object.entries(PRICE_TABLE).map(([model, { price }]) => [model, price]),
);

export const BATCH_DISCOUNT = 0.5;

/** The price of a model, matching dated snapshots (`gpt-4.1-2025-04-14`, `claude-sonnet-4-5-20250929`) to their base name. */
export function priceFor(model: string, table: PriceTable = DEFAULT_PRICES): ModelPrice | undefined {
  return table[model] ?? table[baseModelName(model)];
}

/** The built-in table with a rule's `pricing` over it (a model there replaces the built-in entry). */
export function withOverrides(overrides: PriceTable | undefined, defaults: PriceTable = DEFAULT_PRICES): PriceTable {
  return overrides ? { ...defaults, ...overrides } : defaults;
}

export interface TokenCounts {
  input: number;
  output: number;
}

/** USD at the standard price for plain (uncached, short-context) tokens, or undefined when the model is not in the table. */
export function standardCost(model: string, tokens: TokenCounts, table?: PriceTable): number | undefined {
  const price = priceFor(model, table);
  if (!price) return undefined;
  return (tokens.input * price.input + tokens.output * price.output) / 1_000_000;
}

/** USD at the Batch API price (half the standard price) for plain tokens. */
export function batchCost(model: string, tokens: TokenCounts, table?: PriceTable): number | undefined {
  const cost = standardCost(model, tokens, table);
  return cost === undefined ? undefined : cost * BATCH_DISCOUNT;
}

export function formatUsd(usd: number | undefined): string {
  if (usd === undefined) return '?';
  return usd < 0.01 && usd > 0 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}
