/**
 * What one request should cost and the most it can cost, before it is sent. Expected: its input
 * (our count × the learned input ratio), output at the learned output ratio, capped by its bound.
 * Worst: its input with the input margin (exactly its count for OpenAI's models), output at its
 * bound, priced at the highest rate its input can be billed at — so a budget that admits requests
 * at their worst case cannot be passed by the bill. A request without a bound has no worst case:
 * its "worst" is an estimate (output at the ratio × `UNBOUNDED_MARGIN`), and it is flagged so.
 */
import { billRequest, type PriceTier } from '../tokens/bill.ts';
import { worstInputFactor, type InputBasis } from '../tokens/input-ratio.ts';
import { priceFor, type PriceTable } from '../tokens/prices.ts';
import { countedTokens, type CountableRequest } from '../tokens/request-tokens.ts';

/** Output of a request without a bound, for a budget: the learned (or configured) ratio plus half. */
export const UNBOUNDED_MARGIN = 1.5;

export interface RequestCost {
  /** Prompt tokens: our count corrected by the learned input ratio. */
  input: number;
  expectedOutput: number;
  /** The request's bound on its output; undefined: it sets none. */
  maxOutput: number | undefined;
  /** Undefined: the model has no price (never counted as free). */
  usd?: {
    expected: number;
    /** The expected tokens at the standard (synchronous) price. */
    standard: number;
    /** The most it can be billed (with no bound: an estimate). */
    worst: number;
  };
}

export interface CostModel {
  readonly tier: PriceTier;
  of(entry: PricedRequest): RequestCost;
}

/** A request as its line format reads it (the bound on its output is its format's). */
export interface PricedRequest extends CountableRequest {
  wire: CountableRequest['wire'] & { maxOutputTokens(body: Record<string, unknown>): number | undefined };
  /** The line as written, when at hand (searched for `cache_control`). */
  readonly text?: string;
  /** Known without reading the body (a line kept in its file, see batch/stored-request.ts). */
  readonly maxOutput?: number | undefined;
  readonly cacheWrites?: boolean;
}

export interface CostModelOptions {
  /** Output tokens per billed input token, per model. */
  outputRatio: number | ((model: string) => number);
  /** Per model: how our count relates to what is billed. Default: counted exactly. */
  inputBasis?: (model: string) => InputBasis;
  prices: PriceTable;
  tier: PriceTier;
}

export function costModel(opts: CostModelOptions): CostModel {
  const ratioOf = typeof opts.outputRatio === 'number' ? () => opts.outputRatio as number : opts.outputRatio;
  const basisOf = opts.inputBasis ?? ((model: string) => ({ model, ratio: 1, answered: 0, exact: true }));
  return {
    tier: opts.tier,
    of(entry) {
      const price = priceFor(entry.model, opts.prices);
      const raw = countedTokens(entry);
      const basis = basisOf(entry.model);
      const input = Math.round(raw * basis.ratio);
      const worstInput = Math.ceil(raw * worstInputFactor(basis));
      const cap = 'maxOutput' in entry ? entry.maxOutput : entry.wire.maxOutputTokens(entry.body);
      const ratio = ratioOf(entry.model);
      const expectedOutput = Math.round(Math.min(cap ?? Infinity, input * ratio));
      const worstOutput = cap ?? Math.ceil(worstInput * ratio * UNBOUNDED_MARGIN);
      // A request that writes to the prompt cache may bill its input at the cache-write rate (Anthropic: 1.25×).
      const writes =
        entry.cacheWrites ??
        (entry.text !== undefined ? entry.text.includes('"cache_control"') : hasCacheControl(entry.body));
      const worst = { input: worstInput, output: worstOutput };
      const cost: RequestCost = { input, expectedOutput, maxOutput: cap };
      if (!price) return cost;
      cost.usd = {
        expected: billRequest(price, { input, output: expectedOutput }, opts.tier),
        standard: billRequest(price, { input, output: expectedOutput }, 'standard'),
        worst: Math.max(
          billRequest(price, worst, opts.tier),
          writes ? billRequest(price, { ...worst, cacheWrite: worstInput }, opts.tier) : 0,
        ),
      };
      return cost;
    },
  };
}

function hasCacheControl(body: Record<string, unknown>): boolean {
  return JSON.stringify(body).includes('"cache_control"');
}
