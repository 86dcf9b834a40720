/**
 * Planning: how the requests that must still be sent are cut into parts within the
 * provider's limits (their cost: ../work/estimate.ts). Parts hold one model and one endpoint each (a batch may not mix them) and
 * keep request-file order, so their line lists stay compact.
 */
import { tokensOf } from '../work/estimate.ts';
import type { RequestEntry } from '../work/request-file.ts';
import { StoredRequest } from '../work/stored-request.ts';

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
