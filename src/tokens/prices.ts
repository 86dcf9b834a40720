/**
 * Dollars per million tokens at the standard (synchronous) price. The Batch API bills half of it.
 * The config may override or extend this table (`pricing` in pipeline.config.ts).
 */
export interface ModelPrice {
  /** USD per 1M input tokens, standard API. */
  input: number;
  /** USD per 1M output tokens, standard API. */
  output: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** Standard prices as published for these models; batch price is `BATCH_DISCOUNT` of them. */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4.1': { input: 2.0, output: 8.0 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10.0 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-5': { input: 1.25, output: 10.0 },
  'gpt-5-mini': { input: 0.25, output: 2.0 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  // Anthropic (Message Batches bill 50% of these too). Cache writes and reads are billed at
  // their own rates, not modelled here: they count as input.
  'claude-opus-4-5': { input: 5.0, output: 25.0 },
  'claude-opus-4-1': { input: 15.0, output: 75.0 },
  'claude-sonnet-4-5': { input: 3.0, output: 15.0 },
  'claude-sonnet-4': { input: 3.0, output: 15.0 },
  'claude-haiku-4-5': { input: 1.0, output: 5.0 },
  'claude-3-5-haiku': { input: 0.8, output: 4.0 },
};

export const BATCH_DISCOUNT = 0.5;

/** The price of a model, matching dated snapshots (`gpt-4.1-2025-04-14`, `claude-sonnet-4-5-20250929`) to their base name. */
export function priceFor(model: string, table: PriceTable = DEFAULT_PRICES): ModelPrice | undefined {
  if (table[model]) return table[model];
  const base = model.replace(/-\d{4}-\d{2}-\d{2}$/, '').replace(/-\d{8}$/, '');
  return table[base];
}

export interface TokenCounts {
  input: number;
  output: number;
}

/** USD at the standard price, or undefined when the model is not in the table. */
export function standardCost(model: string, tokens: TokenCounts, table?: PriceTable): number | undefined {
  const price = priceFor(model, table);
  if (!price) return undefined;
  return (tokens.input * price.input + tokens.output * price.output) / 1_000_000;
}

/** USD at the Batch API price (half the standard price). */
export function batchCost(model: string, tokens: TokenCounts, table?: PriceTable): number | undefined {
  const cost = standardCost(model, tokens, table);
  return cost === undefined ? undefined : cost * BATCH_DISCOUNT;
}

export function formatUsd(usd: number | undefined): string {
  if (usd === undefined) return '?';
  return usd < 0.01 && usd > 0 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}
