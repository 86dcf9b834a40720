/**
 * The money actually spent, over every run: `<root>/.pipeline/spend.jsonl`, one line per paid
 * batch (its billed usage and what it cost), appended when its results are downloaded and before
 * the part is marked collected. A crash between the two downloads it again and appends a second
 * line for the same batch: readers keep the last line per key, so nothing is counted twice.
 *
 * The ledgers (markers) say what a target's current results cost; this log says what was paid,
 * including results a later prompt change made useless. The `--max-cost` guard counts it, so
 * re-running cannot creep past a budget, and the output/input ratio learned per rule and model
 * comes from it. Reading it is one small file, no network, no tokenizer: fit for `status`.
 */
import { appendFile, mkdir, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const spendSchema = z.object({
  /** The batch id (one line per batch; a repeated one replaces the earlier line). */
  key: z.string().min(1),
  at: z.string(),
  target: z.string(),
  rule: z.string(),
  provider: z.string(),
  model: z.string(),
  /** Requests answered (billed) by this batch. */
  requests: z.number().int().nonnegative(),
  usage: z.object({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    cached: z.number().nonnegative(),
    cacheWrite: z.number().nonnegative(),
  }),
  /** What was billed (batch price), and the same tokens at standard price; absent when the model has no price. */
  costUsd: z.number().nonnegative().optional(),
  standardCostUsd: z.number().nonnegative().optional(),
});

export type SpendEntry = z.output<typeof spendSchema>;

export function spendFile(root: string): string {
  return path.join(root, '.pipeline', 'spend.jsonl');
}

/** Appends one entry. The leading newline ends a line a crash may have torn, so only that one is lost. */
export async function appendSpend(root: string, entry: SpendEntry): Promise<void> {
  const file = spendFile(root);
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, `\n${JSON.stringify(entry)}\n`);
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
  const entries = parseSpend(readFileSync(file, 'utf8'));
  memo.set(file, { size: st.size, mtimeMs: st.mtimeMs, entries });
  return entries;
}

export function parseSpend(text: string): SpendEntry[] {
  const byKey = new Map<string, SpendEntry>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // torn by a crash
    }
    const parsed = spendSchema.safeParse(value);
    if (!parsed.success) continue;
    byKey.delete(parsed.data.key);
    byKey.set(parsed.data.key, parsed.data);
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
