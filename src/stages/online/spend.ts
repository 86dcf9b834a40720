/**
 * The online stage's lines in the spend log: one per answer, written before the answer is cached
 * (so a kill never leaves a paid answer unrecorded), keyed by the send that got it. A send with no
 * answer to show for it — a timeout or dropped connection, or a process killed while waiting — may
 * still have been billed: it is recorded at its worst case, `presumed`, under the same key, so an
 * answer that did get recorded is never counted twice and a re-run never records it again.
 */
import { randomBytes } from 'node:crypto';
import { billOf } from '../../tokens/bill.ts';
import { BATCH_DISCOUNT } from '../../tokens/prices.ts';
import { countedTokens } from '../../tokens/request-tokens.ts';
import type { Clock } from '../../util/clock.ts';
import {
  loadTokenizersForRequests,
  type RequestEntry,
  type RequestFile,
  type RequestRef,
} from '../work/request-file.ts';
import { RequestSource } from './request-source.ts';
import type { LineUsage } from '../result-line.ts';
import type { RuleCosts } from '../rule-costs.ts';
import { appendSpend, readSpendNow } from '../spend-log.ts';

export class OnlineSpend {
  constructor(
    private readonly at: { root: string; target: string; rule: string; clock: Clock },
    private readonly costs: RuleCosts,
  ) {}

  /** A fresh key for one send (journaled with it). */
  static newKey(): string {
    return randomBytes(8).toString('hex');
  }

  lineKey(k: string): string {
    return `online:${this.at.target}:${k}`;
  }

  /** Whether the spend log already has a line for this send. */
  recorded(k: string): boolean {
    const key = this.lineKey(k);
    return readSpendNow(this.at.root).some((e) => e.key === key);
  }

  answered(entry: RequestEntry, k: string, usage: LineUsage): Promise<void> {
    const bill = billOf(entry.model, usage, this.costs.prices, this.costs.model.tier);
    return this.#append(entry, k, {
      usage: { input: usage.input, output: usage.output, cached: usage.cached, cacheWrite: usage.cacheWrite },
      ...(bill ? { costUsd: bill.usd, standardCostUsd: bill.standardUsd } : {}),
      estimatedInput: countedTokens(entry),
    });
  }

  /** A send that may have been billed without our seeing the answer: its worst case. */
  presume(entry: RequestEntry, k: string): Promise<void> {
    const c = this.costs.model.of(entry);
    return this.#append(entry, k, {
      usage: { input: c.input, output: c.maxOutput ?? c.expectedOutput, cached: 0, cacheWrite: 0 },
      ...(c.usd
        ? {
            costUsd: c.usd.worst,
            standardCostUsd: this.costs.model.tier === 'batch' ? c.usd.worst / BATCH_DISCOUNT : c.usd.worst,
          }
        : {}),
      presumed: true,
    });
  }

  #append(
    entry: RequestEntry,
    k: string,
    money: {
      usage: { input: number; output: number; cached: number; cacheWrite: number };
      costUsd?: number;
      standardCostUsd?: number;
      estimatedInput?: number;
      presumed?: boolean;
    },
  ): Promise<void> {
    return appendSpend(this.at.root, {
      key: this.lineKey(k),
      at: new Date(this.at.clock.now()).toISOString(),
      target: this.at.target,
      rule: this.at.rule,
      provider: 'online',
      model: entry.model,
      requests: 1,
      ...money,
    });
  }
}

/**
 * Sends a killed run left without an answer (the journal's last `sent` line of a request) and
 * without a spend line: recorded at their worst case before anything new is sent. Their request
 * must still be in the file to be priced; one that is not (the file was edited since) is skipped.
 */
export async function presumeLostSends(
  spend: OnlineSpend,
  lostSends: ReadonlyMap<string, string>,
  current: RequestFile<RequestRef>,
  file: string,
): Promise<void> {
  const missing = [...lostSends].filter(([, k]) => !spend.recorded(k));
  if (missing.length === 0) return;
  const byHash = new Map(current.entries.map((e) => [e.hash, e]));
  await loadTokenizersForRequests(current.entries);
  const source = await RequestSource.open(file, []);
  try {
    for (const [hash, k] of missing) {
      const ref = byHash.get(hash);
      const entry = ref && (await source.whole(ref));
      if (entry) await spend.presume(entry, k);
    }
  } finally {
    await source.close();
  }
}
