/**
 * The money actually spent, over every run: `<stateDir>/spend.jsonl` (`.pipeline/` by default), one line per paid
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
import { readFileSync, statSync } from 'node:fs';
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
  /** Our count of the same requests' input tokens (OpenAI's tokenizer): billed / this is the learned input ratio. */
  estimatedInput?: number;
  /**
   * Not a bill but a presumption: a request sent by a process killed before its answer arrived,
   * counted at its worst case (the server may have answered and billed it). Its own key, so an
   * answer that did arrive for it replaces this line (see online/spend.ts).
   */
  presumed?: boolean;
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
    (r.standardCostUsd === undefined || amount(r.standardCostUsd)) &&
    (r.estimatedInput === undefined || amount(r.estimatedInput)) &&
    (r.presumed === undefined || r.presumed === true);
  if (!ok) return undefined;
  const entry = Object.fromEntries(['key', ...STRINGS, 'requests'].map((k) => [k, r[k]])) as unknown as SpendEntry;
  entry.usage = Object.fromEntries(USAGE.map((k) => [k, usage[k]])) as SpendEntry['usage'];
  if (r.costUsd !== undefined) entry.costUsd = r.costUsd as number;
  if (r.standardCostUsd !== undefined) entry.standardCostUsd = r.standardCostUsd as number;
  if (r.estimatedInput !== undefined) entry.estimatedInput = r.estimatedInput as number;
  if (r.presumed) entry.presumed = true;
  return entry;
}

/** `stateDir`: the absolute state directory (the config's `stateDir` under the root). */
export function spendFile(stateDir: string): string {
  return path.join(stateDir, 'spend.jsonl');
}

/** Entries waiting for the next write, per file, and whether a write to it is under way. */
const pending = new Map<string, { lines: string[]; settle: { done: () => void; fail: (e: unknown) => void }[] }>();
const writing = new Set<string>();

/**
 * Appends one entry (after a line a crash may have torn, so only that one is lost). It resolves
 * once the line is in the kernel (written and the file closed), so a kill after that cannot lose
 * it: the promise this log has always made (it is not fsynced, as it never was). Entries that arrive while a write is under way go together in the next one
 * (group commit): one open, write and close for all of them, not one per answer, which on a busy
 * machine limited how fast a fleet's answers could be recorded.
 */
export function appendSpend(stateDir: string, entry: SpendEntry): Promise<void> {
  const file = spendFile(stateDir);
  let group = pending.get(file);
  if (!group) pending.set(file, (group = { lines: [], settle: [] }));
  const line = `${JSON.stringify(entry)}\n`;
  const written = new Promise<void>((done, fail) => {
    group.lines.push(line);
    group.settle.push({ done, fail });
  });
  if (!writing.has(file)) void drain(file);
  return written;
}

/** Writes the waiting entries of `file` one group at a time until none are left. */
async function drain(file: string): Promise<void> {
  writing.add(file);
  try {
    for (let group = pending.get(file); group; group = pending.get(file)) {
      pending.delete(file);
      try {
        // Opened per group: the file is only ever held while lines are written to it.
        const handle = await openStateLines(file);
        try {
          await handle.write(group.lines.join(''));
        } finally {
          await handle.close();
        }
        for (const s of group.settle) s.done();
      } catch (error) {
        for (const s of group.settle) s.fail(error);
      }
    }
  } finally {
    writing.delete(file);
  }
}

/** Per file: the last read, reused while size and mtime are unchanged (estimates read it once per target). */
const memo = new Map<string, { size: number; mtimeMs: number; entries: SpendEntry[] }>();

/** Every entry, the last one per key, in file order; a missing file is no spending. */
export async function readSpend(stateDir: string): Promise<SpendEntry[]> {
  const file = spendFile(stateDir);
  return fromMemo(file, await stat(file).catch(() => undefined));
}

/**
 * The same, synchronously: the budget reads what was spent and what is reserved in one step, so
 * no collection can move money from one to the other between the two reads (see budget.ts).
 */
export function readSpendNow(stateDir: string): SpendEntry[] {
  const file = spendFile(stateDir);
  let st;
  try {
    st = statSync(file);
  } catch {
    st = undefined;
  }
  return fromMemo(file, st);
}

function fromMemo(file: string, st: { size: number; mtimeMs: number } | undefined): SpendEntry[] {
  if (!st) return [];
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
    // A presumed line is a worst case, not what the provider counted.
    if (e.rule !== rule || e.model !== model || e.presumed) continue;
    o.requests += e.requests;
    o.input += e.usage.input;
    o.output += e.usage.output;
  }
  return o;
}

/** Requests whose billed input can be set against our count of it: what the learned input ratio is made of. */
export interface InputObserved {
  requests: number;
  /** Our count (OpenAI's tokenizer). */
  counted: number;
  billed: number;
}

/** Per model over every rule: a tokenizer's ratio to ours is the model's, not the rule's. */
export function inputObservedBy(entries: readonly SpendEntry[], model: string): InputObserved {
  const o: InputObserved = { requests: 0, counted: 0, billed: 0 };
  for (const e of entries) {
    if (e.model !== model || e.presumed || !e.estimatedInput) continue;
    o.requests += e.requests;
    o.counted += e.estimatedInput;
    o.billed += e.usage.input;
  }
  return o;
}
