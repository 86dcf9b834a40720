/**
 * Planning: which requests must still be sent, and how they are cut into parts within the
 * provider's limits. Parts hold one model and one endpoint each (a batch may not mix them) and
 * keep request-file order, so their line lists stay compact.
 */
import type { PriceTier } from '../../tokens/bill.ts';
import type { PriceTable } from '../../tokens/prices.ts';
import { costModel, type CostModel } from '../cost-model.ts';
import type { Estimate } from '../types.ts';
import { maxOutputTokens, type RequestEntry } from './request-file.ts';
import { StoredRequest } from './stored-request.ts';
import { countedTokens } from '../../tokens/request-tokens.ts';

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

export interface PlannedPart {
  model: string;
  endpoint: string;
  entries: RequestEntry[];
  /** At most the bytes to upload (a line's raw length, with its newline); the exact bytes are written by part-writer.ts. */
  bytes: number;
  inputTokens: number;
}

export interface SplitLimits {
  maxRequests: number;
  maxBytes: number;
  maxTokens?: number | undefined;
  /** The provider's minimum per batch: a short last part takes requests from the one before it. */
  minRequests?: number | undefined;
}

export function splitIntoParts(needed: readonly RequestEntry[], limits: SplitLimits): PlannedPart[] {
  const groups = new Map<string, RequestEntry[]>();
  for (const e of needed) {
    const key = `${e.endpoint}\u0000${e.model}`;
    const g = groups.get(key);
    if (g) g.push(e);
    else groups.set(key, [e]);
  }
  const parts: PlannedPart[] = [];
  for (const group of groups.values()) {
    let cur: RequestEntry[] = [];
    let bytes = 0;
    let tokens = 0;
    const flush = () => {
      if (cur.length > 0) parts.push(makePart(cur, tokens));
      cur = [];
      bytes = 0;
      tokens = 0;
    };
    const first = parts.length;
    for (const e of group) {
      const b = lineBytes(e);
      const t = limits.maxTokens !== undefined ? tokensOf(e) : 0;
      const full =
        cur.length >= limits.maxRequests ||
        bytes + b > limits.maxBytes ||
        (limits.maxTokens !== undefined && tokens + t > limits.maxTokens);
      if (full && cur.length > 0) flush();
      cur.push(e);
      bytes += b;
      tokens += t;
    }
    flush();
    evenOut(parts, first, limits);
  }
  return parts;
}

/**
 * A group's last part below the minimum takes requests from the part before it, when that one
 * can spare them and stay at the minimum (Bedrock's 100 against its 50,000 cap always can) and
 * the grown part stays within the caps.
 */
function evenOut(parts: PlannedPart[], first: number, limits: SplitLimits): void {
  const min = limits.minRequests ?? 1;
  const last = parts.length - 1;
  if (last <= first || parts[last]!.entries.length >= min) return;
  const before = parts[last - 1]!.entries;
  const need = min - parts[last]!.entries.length;
  if (before.length - need < min) return;
  const grown = makePart([...before.slice(before.length - need), ...parts[last]!.entries], 0);
  const tokens = limits.maxTokens !== undefined && grown.inputTokens > limits.maxTokens;
  if (grown.bytes > limits.maxBytes || tokens) return;
  parts[last - 1] = makePart(before.slice(0, before.length - need), 0);
  parts[last] = grown;
}

function makePart(entries: RequestEntry[], knownTokens: number): PlannedPart {
  const first = entries[0]!;
  const inputTokens = knownTokens > 0 ? knownTokens : entries.reduce((sum, e) => sum + tokensOf(e), 0);
  const bytes = entries.reduce((sum, e) => sum + lineBytes(e), 0);
  return { model: first.model, endpoint: first.endpoint, entries, bytes, inputTokens };
}

/**
 * A line's size in a part, newline included, without reading it: the raw line's length in the
 * request file (a BOM or CR it carries makes this a little more, never less); a line built in
 * memory (a re-ask) has its text at hand.
 */
function lineBytes(e: RequestEntry): number {
  return (e instanceof StoredRequest ? e.bytes : Buffer.byteLength(e.text)) + 1;
}
