/**
 * The built-in price table: per model, who sells it at these rates, the page they were read from
 * and the date they were read (per model: pages change one model at a time). Re-read the page and
 * update a model's rates and its date together; `pipeline prices` prints the table, and `build -n`
 * names every model it prices from an entry older than `STALE_AFTER_DAYS`.
 */
import type { ModelPrice } from './prices.ts';

export interface PriceEntry {
  /** Whose rates these are (`build -n --compare` lists the model under this provider). */
  provider: string;
  /** The page the rates were read from. */
  page: string;
  /** When they were read: YYYY-MM-DD, or YYYY-MM when only the month is known. */
  readAt: string;
  /** A caveat about where the rates come from, shown beside them. */
  note?: string;
  price: ModelPrice;
}

/** A model priced from an entry read more than `STALE_AFTER_DAYS` ago (named by `build -n`). */
export interface StalePrice {
  model: string;
  readAt: string;
  page: string;
  ageDays: number;
}

const OPENAI_PAGE = 'https://openai.com/api/pricing/';
const ANTHROPIC_PAGE = 'https://docs.claude.com/en/docs/about-claude/pricing';
const GEMINI_PAGE = 'https://ai.google.dev/gemini-api/docs/pricing';
const BEDROCK_PAGE = 'https://aws.amazon.com/bedrock/pricing/';
const MISTRAL_PAGE = 'https://mistral.ai/pricing#api-pricing';

function openai(readAt: string, price: ModelPrice, note?: string): PriceEntry {
  return { provider: 'openai', page: OPENAI_PAGE, readAt, ...(note ? { note } : {}), price };
}

function anthropic(readAt: string, price: ModelPrice): PriceEntry {
  return { provider: 'anthropic', page: ANTHROPIC_PAGE, readAt, price };
}

/**
 * Rates taken from public pricing summaries, not read from the provider's page here (this machine
 * has no internet): they carry a note saying so, and `pipeline prices` shows it beside them.
 */
function quoted(provider: string, page: string, readAt: string, price: ModelPrice): PriceEntry {
  const note = 'standard rates quoted in public summaries of the page, not read from it here: check them';
  return { provider, page, readAt, note, price };
}

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

/** Gemini: cached input at 10% of input; Pro's long-context tier above 200K input tokens. */
function gemini(input: number, output: number, longContext?: { input: number; output: number }): ModelPrice {
  return {
    input,
    output,
    cachedInput: input * 0.1,
    ...(longContext
      ? { longContext: { aboveInputTokens: 200_000, ...longContext, cachedInput: longContext.input * 0.1 } }
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

const QUOTED =
  "the model page's rates as quoted in public pricing fixes of August 2026, not read from OpenAI's page here: check them";

export const PRICE_TABLE: Readonly<Record<string, PriceEntry>> = {
  'gpt-4.1': openai('2025-08-07', { input: 2.0, cachedInput: 0.5, output: 8.0 }),
  'gpt-4.1-mini': openai('2025-08-07', { input: 0.4, cachedInput: 0.1, output: 1.6 }),
  'gpt-4.1-nano': openai('2025-08-07', { input: 0.1, cachedInput: 0.025, output: 0.4 }),
  'gpt-4o': openai('2025-08-07', { input: 2.5, cachedInput: 1.25, output: 10.0 }),
  'gpt-4o-mini': openai('2025-08-07', { input: 0.15, cachedInput: 0.075, output: 0.6 }),
  'gpt-5': openai('2025-08-07', { input: 1.25, cachedInput: 0.125, output: 10.0 }),
  'gpt-5-mini': openai('2025-08-07', { input: 0.25, cachedInput: 0.025, output: 2.0 }),
  'gpt-5-nano': openai('2025-08-07', { input: 0.05, cachedInput: 0.005, output: 0.4 }),
  // A prompt above 272K input tokens bills the whole request at the long-context rates, on
  // standard, batch and flex alike.
  'gpt-5.4': openai('2026-08', openaiLong(2.5, 0.25, 15.0), QUOTED),
  'gpt-5.5': openai('2026-08', openaiLong(5.0, 0.5, 30.0), QUOTED),
  'o4-mini': openai('2025-08-07', { input: 1.1, cachedInput: 0.275, output: 4.4 }),
  'claude-opus-4-5': anthropic('2025-11-24', claude(5.0, 25.0)),
  'claude-opus-4-1': anthropic('2025-11-24', claude(15.0, 75.0)),
  // Sonnet bills prompts above 200K input tokens at 2× input and 1.5× output.
  'claude-sonnet-4-5': anthropic('2025-11-24', claude(3.0, 15.0, { input: 6.0, output: 22.5 })),
  'claude-sonnet-4': anthropic('2025-11-24', claude(3.0, 15.0, { input: 6.0, output: 22.5 })),
  'claude-haiku-4-5': anthropic('2025-11-24', claude(1.0, 5.0)),
  'claude-3-5-haiku': anthropic('2025-11-24', claude(0.8, 4.0)),
  // Gemini: batch is half these rates [providers.md C.7]; Pro bills prompts above 200K input
  // tokens at its long-context rates; cached input is 10% of input (the "90% discount").
  'gemini-3-pro-preview': quoted('gemini', GEMINI_PAGE, '2026-03', gemini(2.0, 12.0, { input: 4.0, output: 18.0 })),
  'gemini-2.5-pro': quoted('gemini', GEMINI_PAGE, '2026-03', gemini(1.25, 10.0, { input: 2.5, output: 15.0 })),
  'gemini-2.5-flash': quoted('gemini', GEMINI_PAGE, '2026-03', gemini(0.3, 2.5)),
  'gemini-2.5-flash-lite': quoted('gemini', GEMINI_PAGE, '2026-03', gemini(0.1, 0.4)),
  // Bedrock: on-demand rates; batch is 50% of them [providers.md I.6]. Claude on Bedrock is priced
  // as on Anthropic's own API (no prompt caching in batch is documented, so no cache rates).
  'anthropic.claude-sonnet-4-5': quoted('bedrock', BEDROCK_PAGE, '2026-03', { input: 3.0, output: 15.0 }),
  'anthropic.claude-haiku-4-5': quoted('bedrock', BEDROCK_PAGE, '2026-03', { input: 1.0, output: 5.0 }),
  'anthropic.claude-3-5-haiku': quoted('bedrock', BEDROCK_PAGE, '2026-03', { input: 0.8, output: 4.0 }),
  'amazon.nova-pro': quoted('bedrock', BEDROCK_PAGE, '2026-03', { input: 0.8, output: 3.2 }),
  'amazon.nova-lite': quoted('bedrock', BEDROCK_PAGE, '2026-03', { input: 0.06, output: 0.24 }),
  'amazon.nova-micro': quoted('bedrock', BEDROCK_PAGE, '2026-03', { input: 0.035, output: 0.14 }),
  // Mistral: batch is "a 50% discount" [providers.md J.2]. Public summaries disagree on Large's
  // rates across its versions; these are Mistral Large 2.1's.
  'mistral-large': quoted('mistral', MISTRAL_PAGE, '2026-03', { input: 2.0, output: 6.0 }),
  'mistral-medium': quoted('mistral', MISTRAL_PAGE, '2026-03', { input: 0.4, output: 2.0 }),
  'mistral-small': quoted('mistral', MISTRAL_PAGE, '2026-03', { input: 0.1, output: 0.3 }),
};

/** An entry older than this many days is named by `build -n`: prices change, and this table does not know. */
export const STALE_AFTER_DAYS = 180;

/** Whole days since the entry's rates were read (a month-only date counts from the month's first day). */
export function ageInDays(entry: Pick<PriceEntry, 'readAt'>, now: number): number {
  return Math.floor((now - Date.parse(entry.readAt)) / 86_400_000);
}

/** The table's entry a model is priced from (dated snapshots match their base name), if any. */
export function tableEntryFor(model: string): (PriceEntry & { model: string }) | undefined {
  const key = PRICE_TABLE[model] ? model : baseModelName(model);
  const entry = PRICE_TABLE[key];
  return entry ? { ...entry, model: key } : undefined;
}

/**
 * The name a model is priced under: `gpt-4.1-2025-04-14` → `gpt-4.1`, `claude-sonnet-4-5-20250929`
 * → `claude-sonnet-4-5`; Bedrock's ARNs, cross-Region profiles and versions
 * (`us.anthropic.claude-sonnet-4-5-20250929-v1:0` → `anthropic.claude-sonnet-4-5`,
 * `amazon.nova-lite-v1:0` → `amazon.nova-lite`); Mistral's aliases and versions
 * (`mistral-large-latest`, `mistral-large-2411` → `mistral-large`).
 */
export function baseModelName(model: string): string {
  return model
    .replace(/^arn:[^/]+\//, '')
    .replace(/^(us|eu|apac|global|us-gov|jp|au|ca)\.(?=[a-z]+\.)/, '')
    .replace(/-v\d+(:\d+)?$/, '')
    .replace(/-latest$/, '')
    .replace(/-\d{4}-\d{2}-\d{2}$/, '')
    .replace(/-\d{8}$/, '')
    .replace(/^(mistral-[a-z]+)-\d{4}$/, '$1');
}
