/**
 * The results file: one line per request of the request file, in its order — the provider's raw
 * output line for a success (from the request cache), its raw error line for a permanent failure.
 * The same pass adds up tokens and dollars from the results' `usage`.
 */
import { billOf, type PriceTier } from '../../tokens/bill.ts';
import type { PriceTable } from '../../tokens/prices.ts';
import { JsonlWriter } from '../../util/jsonl-writer.ts';
import { isRecord } from '../record-template.ts';
import { readResultLine } from '../result-line.ts';
import { withLineId } from '../../providers/registry.ts';
import { CacheReader, type CachedLocation } from './cache.ts';
import { describeFailure, type RequestFailure } from './request-failure.ts';
import type { RequestRef } from './request-file.ts';

export interface Tally {
  total: number;
  succeeded: number;
  /** Requests that failed permanently (4xx, or transient errors past maxAttempts). */
  failed: number;
  failures: string[];
  /** Billed tokens of the answered requests; `cached` and `cacheWrite` are shares of `input`. */
  usage: { input: number; output: number; cached: number; cacheWrite: number };
  /** What the answers cost at the tier they were billed at, and the same tokens at standard price (undefined: a model has no price). */
  costUsd: number | undefined;
  standardCostUsd: number | undefined;
}

export async function tallyResults(opts: {
  entries: readonly RequestRef[];
  index: ReadonlyMap<string, CachedLocation>;
  failures: Readonly<Record<string, RequestFailure>>;
  cacheFile: string;
  prices: PriceTable;
  /** How the answers were billed: `batch` (the default) or `standard` (an online answer off the flex tier). */
  tier?: PriceTier;
  /** Write the results file here (only when every request has an answer). */
  writeTo?: string;
}): Promise<Tally> {
  const t: Tally = {
    total: opts.entries.length,
    succeeded: 0,
    failed: 0,
    failures: [],
    usage: { input: 0, output: 0, cached: 0, cacheWrite: 0 },
    costUsd: 0,
    standardCostUsd: 0,
  };
  const reader = await CacheReader.open(opts.cacheFile);
  const out = opts.writeTo ? await JsonlWriter.open(opts.writeTo) : undefined;
  try {
    for (const entry of opts.entries) {
      const loc = opts.index.get(entry.hash);
      if (loc) {
        const result = await reader.read(loc);
        t.succeeded += 1;
        const usage = usageOf(result);
        t.usage.input += usage.input;
        t.usage.output += usage.output;
        t.usage.cached += usage.cached;
        t.usage.cacheWrite += usage.cacheWrite;
        const bill = billOf(entry.model, usage, opts.prices, opts.tier ?? 'batch');
        t.costUsd = bill === undefined || t.costUsd === undefined ? undefined : t.costUsd + bill.usd;
        t.standardCostUsd =
          bill === undefined || t.standardCostUsd === undefined ? undefined : t.standardCostUsd + bill.standardUsd;
        await out?.write(withLineId(result, entry.customId));
        continue;
      }
      const failure = opts.failures[entry.hash];
      if (failure?.permanent) {
        t.failed += 1;
        t.failures.push(`${entry.customId} (line ${entry.line}): ${describeFailure(failure)}`);
        // An unanswered request has no provider line: write one whose code cannot pass for "never ran, send again".
        const line = isRecord(failure.result)
          ? failure.result
          : {
              id: null,
              custom_id: entry.customId,
              response: null,
              error: { code: failure.unanswered ? 'unanswered' : (failure.code ?? 'error'), message: failure.message },
            };
        await out?.write(withLineId(line, entry.customId));
        continue;
      }
      if (out) throw new Error(`Internal error: writing results while ${entry.customId} has no answer`);
    }
  } catch (error) {
    out?.destroy();
    throw error;
  } finally {
    await reader.close();
  }
  await out?.close();
  return t;
}

function usageOf(line: Record<string, unknown>): { input: number; output: number; cached: number; cacheWrite: number } {
  const read = readResultLine(line);
  return read?.kind === 'succeeded' ? read.usage : { input: 0, output: 0, cached: 0, cacheWrite: 0 };
}
