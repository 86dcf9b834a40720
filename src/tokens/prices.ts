/**
 * Dollars per million tokens at the standard (synchronous) price, every tier a model bills, in one
 * table. The Batch API bills `BATCH_DISCOUNT` of each rate (OpenAI and Anthropic halve cached
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

/**
 * Where each provider's figures come from, and the date they are as of. The rates were copied
 * from the providers' pricing pages as they stood on those dates; re-read the page and update
 * both the rates and the date together.
 */
export const PRICE_SOURCES = {
  openai: { page: 'https://openai.com/api/pricing/', takenAt: '2025-08-07' },
  anthropic: { page: 'https://docs.claude.com/en/docs/about-claude/pricing', takenAt: '2025-11-24' },
} as const;

export type PriceSource = keyof typeof PRICE_SOURCES;

/** Anthropic's cache multipliers: writes (5-minute TTL) 1.25× the input rate, reads 0.1×. */
function claude(input: number, output: number, longContext?: { input: number; output: number }): ModelPrice {
  return {
    input,
    output,
    cachedInput: input * 0.1,
    cacheWrite: input * 1.25,
    ...(longContext
      ? {
          longContext: {
            aboveInputTokens: 200_000,
            ...longContext,
            cachedInput: longContext.input * 0.1,
            cacheWrite: longContext.input * 1.25,
          },
        }
      : {}),
  };
}

/** OpenAI's long-context tier (GPT-5.4, GPT-5.5): above 272K input tokens, 2× input and cached input, 1.5× output. */
function openaiLong(input: number, cachedInput: number, output: number): ModelPrice {
  return {
    input,
    cachedInput,
    output,
    longContext: { aboveInputTokens: 272_000, input: input * 2, cachedInput: cachedInput * 2, output: output * 1.5 },
  };
}

/** The table, with the provider each model's rates were taken from. */
export const PRICE_TABLE: Readonly<Record<string, { source: PriceSource; price: ModelPrice }>> = {
  'gpt-4.1': { source: 'openai', price: { input: 2.0, cachedInput: 0.5, output: 8.0 } },
  'gpt-4.1-mini': { source: 'openai', price: { input: 0.4, cachedInput: 0.1, output: 1.6 } },
  'gpt-4.1-nano': { source: 'openai', price: { input: 0.1, cachedInput: 0.025, output: 0.4 } },
  'gpt-4o': { source: 'openai', price: { input: 2.5, cachedInput: 1.25, output: 10.0 } },
  'gpt-4o-mini': { source: 'openai', price: { input: 0.15, cachedInput: 0.075, output: 0.6 } },
  'gpt-5': { source: 'openai', price: { input: 1.25, cachedInput: 0.125, output: 10.0 } },
  'gpt-5-mini': { source: 'openai', price: { input: 0.25, cachedInput: 0.025, output: 2.0 } },
  'gpt-5-nano': { source: 'openai', price: { input: 0.05, cachedInput: 0.005, output: 0.4 } },
  // GPT-5.4 and GPT-5.5 bill a prompt above 272K input tokens at 2× input (and cached input) and
  // 1.5× output for the whole request, on standard, batch and flex alike. These rates are the model
  // pages' as quoted in public pricing fixes of 2026-08 (not read from the page here): check them.
  'gpt-5.4': { source: 'openai', price: openaiLong(2.5, 0.25, 15.0) },
  'gpt-5.5': { source: 'openai', price: openaiLong(5.0, 0.5, 30.0) },
  'o4-mini': { source: 'openai', price: { input: 1.1, cachedInput: 0.275, output: 4.4 } },
  'claude-opus-4-5': { source: 'anthropic', price: claude(5.0, 25.0) },
  'claude-opus-4-1': { source: 'anthropic', price: claude(15.0, 75.0) },
  // Sonnet bills prompts above 200K input tokens at 2× input and 1.5× output.
  'claude-sonnet-4-5': { source: 'anthropic', price: claude(3.0, 15.0, { input: 6.0, output: 22.5 }) },
  'claude-sonnet-4': { source: 'anthropic', price: claude(3.0, 15.0, { input: 6.0, output: 22.5 }) },
  'claude-haiku-4-5': { source: 'anthropic', price: claude(1.0, 5.0) },
  'claude-3-5-haiku': { source: 'anthropic', price: claude(0.8, 4.0) },
};

/** Standard prices by model, as used everywhere a price is looked up. */
export const DEFAULT_PRICES: PriceTable = Object.fromEntries(
  Object.entries(PRICE_TABLE).map(([model, { price }]) => [model, price]),
);

export const BATCH_DISCOUNT = 0.5;

/** The price of a model, matching dated snapshots (`gpt-4.1-2025-04-14`, `claude-sonnet-4-5-20250929`) to their base name. */
export function priceFor(model: string, table: PriceTable = DEFAULT_PRICES): ModelPrice | undefined {
  if (table[model]) return table[model];
  const base = model.replace(/-\d{4}-\d{2}-\d{2}$/, '').replace(/-\d{8}$/, '');
  return table[base];
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
