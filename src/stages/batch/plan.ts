/**
 * Planning: which requests must still be sent, and how they are cut into parts within the
 * provider's limits. Parts hold one model and one endpoint each (a batch may not mix them) and
 * keep request-file order, so their line lists stay compact.
 */
import { billRequest, type PriceTier } from '../../tokens/bill.ts';
import { priceFor, type PriceTable } from '../../tokens/prices.ts';
import { hashText } from '../../util/hash.ts';
import type { Estimate } from '../types.ts';
import { maxOutputTokens, promptTokens, type RequestEntry } from './request-file.ts';

const tokenMemo = new WeakMap<RequestEntry, number>();

export function tokensOf(entry: RequestEntry): number {
  let t = tokenMemo.get(entry);
  if (t === undefined) {
    t = promptTokens(entry);
    tokenMemo.set(entry, t);
  }
  return t;
}

export interface CostEstimate extends Omit<Estimate, 'cachedRequests'> {
  /** Models missing from the price table (their cost counts as 0 above). */
  unpriced: string[];
}

/** Output tokens per input token, per model (the configured ratio, or one learned from results). */
export type RatioFor = number | ((model: string) => number);

/**
 * Tokens and dollars for sending these requests: output ≈ ratio × input, capped by max_tokens,
 * each request priced at its tier (long-context rates above the model's threshold). No prompt is
 * assumed cached: an estimate should not count on the provider's best-effort cache.
 */
export function estimateCost(
  entries: readonly RequestEntry[],
  outputRatio: RatioFor,
  prices: PriceTable,
  tier: PriceTier = 'batch',
): CostEstimate {
  const ratioOf = typeof outputRatio === 'number' ? () => outputRatio : outputRatio;
  const e: CostEstimate = {
    requests: entries.length,
    inputTokens: 0,
    outputTokens: 0,
    maxOutputTokens: 0,
    costUsd: 0,
    standardCostUsd: 0,
    unpriced: [],
  };
  const unpriced = new Set<string>();
  for (const entry of entries) {
    const input = tokensOf(entry);
    const cap = maxOutputTokens(entry);
    const expected = input * ratioOf(entry.model);
    const output = Math.round(cap === undefined ? expected : Math.min(cap, expected));
    e.inputTokens += input;
    e.outputTokens += output;
    e.maxOutputTokens += cap ?? output;
    const price = priceFor(entry.model, prices);
    if (!price) {
      unpriced.add(entry.model || '(no model)');
      continue;
    }
    e.standardCostUsd += billRequest(price, { input, output }, 'standard');
    e.costUsd += billRequest(price, { input, output }, tier);
  }
  e.unpriced = [...unpriced];
  return e;
}

export interface PlannedPart {
  model: string;
  endpoint: string;
  entries: RequestEntry[];
  /** The exact bytes to upload. */
  data: Buffer;
  sha256: string;
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
      const b = Buffer.byteLength(e.text) + 1;
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
  if (grown.data.length > limits.maxBytes || tokens) return;
  parts[last - 1] = makePart(before.slice(0, before.length - need), 0);
  parts[last] = grown;
}

function makePart(entries: RequestEntry[], knownTokens: number): PlannedPart {
  const data = Buffer.from(entries.map((e) => `${e.text}\n`).join(''), 'utf8');
  const first = entries[0]!;
  const inputTokens = knownTokens > 0 ? knownTokens : entries.reduce((sum, e) => sum + tokensOf(e), 0);
  return { model: first.model, endpoint: first.endpoint, entries, data, sha256: hashText(data), inputTokens };
}
