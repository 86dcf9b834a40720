/**
 * Planning: how the requests that must still be sent are cut into parts within the
 * provider's limits (their cost: ../work/estimate.ts). Parts hold one model and one endpoint each (a batch may not mix them) and
 * keep request-file order, so their line lists stay compact.
 */
import { hashText } from '../../util/hash.ts';
import { tokensOf } from '../work/estimate.ts';
import type { RequestEntry } from '../work/request-file.ts';

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
