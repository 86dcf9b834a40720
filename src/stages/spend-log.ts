/**
 * The money actually spent, over every run: `<root>/.pipeline/spend.jsonl`, one line per paid
 * batch (its billed usage and what it cost), appended when its results are downloaded and before
 * the part is marked collected. A crash between the two downloads it again and appends a second
 * line for the same batch: readers keep the last line per key, so nothing is counted twice.
 *
 * The ledgers (markers) say what a target's current results cost; this log says what was paid,
 * including results a later prompt change made useless. The `--max-cost` guard counts it, so
 * re-running cannot creep past a budget, and the output/input ratio learned per rule and model
 * comes from it. Reading it is one small file, no network, no tokenizer: fit for `status`. Its
 * first line is the state header (util/state-format.ts; none in logs of llmake 0.1.0, whose first
 * line is empty).
 */
import { stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isStateHeaderLine } from '../util/state-format.ts';
import { openStateLines } from '../util/state-lines.ts';

export interface SpendEntry {
  /** The batch id (one line per batch; a repeated one replaces the earlier line). */
  key: string;
  at: string;
  target: string;
  rule: string;
  provider: string;
  model: string;
  /** Requests answered (billed) by this batch. */
  requests: number;
  usage: { input: number; output: number; cached: number; cacheWrite: number };
  /** What was billed (batch price), and the same tokens at standard price; absent when the model has no price. */
  costUsd?: number;
  standardCostUsd?: number;
}

const STRINGS = ['at', 'target', 'rule', 'provider', 'model'] as const;
const USAGE = ['input', 'output', 'cached', 'cacheWrite'] as const;

/**
 * A line as an entry, its known fields only; undefined when it is not one. Checked by hand, not by
 * a schema: `status` reads this file on every run and must not load zod for it.
 */
function spendEntry(v: unknown): SpendEntry | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const usage = r.usage as Record<string, unknown> | null | undefined;
  const amount = (x: unknown) => typeof x === 'number' && x >= 0 && Number.isFinite(x);
  const ok =
    typeof r.key === 'string' &&
    r.key !== '' &&
    STRINGS.every((k) => typeof r[k] === 'string') &&
    Number.isInteger(r.requests) &&
    (r.requests as number) >= 0 &&
    typeof usage === 'object' &&
    usage !== null &&
    USAGE.every((k) => amount(usage[k])) &&
    (r.costUsd === undefined || amount(r.costUsd)) &&
    (r.standardCostUsd === undefined || amount(r.standardCostUsd));
  if (!ok) return undefined;
  const entry = Object.fromEntries(['key', ...STRINGS, 'requests'].map((k) => [k, r[k]])) as unknown as SpendEntry;
  entry.usage = Object.fromEntries(USAGE.map((k) => [k, usage[k]])) as SpendEntry['usage'];
  if (r.costUsd !== undefined) entry.costUsd = r.costUsd as number;
  if (r.standardCostUsd !== undefined) entry.standardCostUsd = r.standardCostUsd as number;
  return entry;
}

export function spendFile(root: string): string {
  return path.join(root, '.pipeline', 'spend.jsonl');
}

/** Appends of this process run one after another, so that only the first to a new file writes its header. */
let appending = Promise.resolve();

/** Appends one entry (after a line a crash may have torn, so only that one is lost). */
export function appendSpend(root: string, entry: SpendEntry): Promise<void> {
  const append = async () => {
    const handle = await openStateLines(spendFile(root));
    try {
      await handle.write(`${JSON.stringify(entry)}\n`);
    } finally {
      await handle.close();
    }
  };
  const done = appending.then(append);
  appending = done.catch(() => undefined);
  return done;
}

/** Per file: the last read, reused while size and mtime are unchanged (estimates read it once per target). */
const memo = new Map<string, { size: number; mtimeMs: number; entries: SpendEntry[] }>();

/** Every entry, the last one per key, in file order; a missing file is no spending. */
export async function readSpend(root: string): Promise<SpendEntry[]> {
  const file = spendFile(root);
  let st;
  try {
    st = await stat(file);
  } catch {
    return [];
  }
  const known = memo.get(file);
  if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.entries;
  const entries = parseSpend(readFileSync(file, 'utf8'), file);
  memo.set(file, { size: st.size, mtimeMs: st.mtimeMs, entries });
  return entries;
}

/** `file`: where `text` came from, to name it when its header is a newer format's (NewerStateError). */
export function parseSpend(text: string, file = 'spend.jsonl'): SpendEntry[] {
  const byKey = new Map<string, SpendEntry>();
  const lines = text.split('\n');
  // Files of 0.1.0 start with an empty line; the header, when there is one, is the first line.
  if (isStateHeaderLine(lines[0]!, file)) lines[0] = '';
  for (const line of lines) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // torn by a crash
    }
    const entry = spendEntry(value);
    if (!entry) continue;
    byKey.delete(entry.key);
    byKey.set(entry.key, entry);
  }
  return [...byKey.values()];
}

/** Dollars spent over the entries (unpriced ones count 0). */
export function totalSpent(entries: readonly SpendEntry[]): number {
  return entries.reduce((sum, e) => sum + (e.costUsd ?? 0), 0);
}

/** Answered requests and their tokens per rule and model: what the learned output ratio is made of. */
export interface Observed {
  requests: number;
  input: number;
  output: number;
}

export function observedBy(entries: readonly SpendEntry[], rule: string, model: string): Observed {
  const o: Observed = { requests: 0, input: 0, output: 0 };
  for (const e of entries) {
    if (e.rule !== rule || e.model !== model) continue;
    o.requests += e.requests;
    o.input += e.usage.input;
    o.output += e.usage.output;
  }
  return o;
}
