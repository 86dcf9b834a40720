/**
 * `--max-cost`: the job's budget, one per build process, shared by every batch provider and the
 * online stage. The promise is
 *
 *   spent (the spend log) + in flight (unanswered work at its worst case) + to send (at its worst) ≤ limit
 *
 * so the provider's bill cannot pass the limit whatever the replies (requests without a bound on
 * their output are the exception: their worst case is an estimate, and every message says so).
 *
 * What is in flight is reserved here per key (a batch target's parts, an online target's requests),
 * and a key's reservation shrinks only after what it paid is in the spend log. Reading the log and
 * the reservations happens in one synchronous step (`roomFor`), so a collection that appends its
 * bill and then releases its reservation is never missed by both reads, only counted twice.
 */
import { billOf } from '../tokens/bill.ts';
import type { PriceTable } from '../tokens/prices.ts';
import { readSpendNow, type SpendEntry } from './spend-log.ts';

export interface Spent {
  usd: number;
  /** Models of spend lines with no price (not in the log, not in the rule's prices): dollars unknown. */
  unpriced: string[];
}

/** Dollars in these spend lines; a line logged without a price is priced now if `prices` knows its model. */
export function spentIn(entries: readonly SpendEntry[], prices: PriceTable): Spent {
  let usd = 0;
  const unpriced = new Set<string>();
  for (const e of entries) {
    if (e.costUsd !== undefined) {
      usd += e.costUsd;
      continue;
    }
    const tier = e.provider === 'online' ? 'standard' : 'batch';
    const bill = billOf(e.model, e.usage, prices, tier);
    if (bill) usd += bill.usd;
    else unpriced.add(e.model || '(no model)');
  }
  return { usd, unpriced: [...unpriced] };
}

export interface Room {
  limit: number;
  spent: Spent;
  /** Reserved by every other key (work in flight at its worst case). */
  others: number;
  /**
   * Of `others`, work this build is following (its targets run in this build; online requests): it
   * is billed, often below its worst case, before the build ends — so what is held back now may
   * be sent by the next cycle. The rest waits for a later build to collect it.
   */
  followed: number;
  /** Left for this key: limit − spent − others (may be negative). */
  left: number;
}

export class Budget {
  readonly #reserved = new Map<string, number>();
  /** Keys whose work this build follows (see Room.followed). */
  #followed = new Set<string>();
  #waiters: (() => void)[] = [];

  /** `limit` undefined: no budget (everything is admitted, nothing is read). */
  constructor(readonly limit: number | undefined) {}

  /** What this key may still commit, from the spend log as it is now and the others' reservations. */
  roomFor(key: string, stateDir: string, prices: PriceTable): Room | undefined {
    if (this.limit === undefined) return undefined;
    const spent = spentIn(readSpendNow(stateDir), prices);
    let others = 0;
    let followed = 0;
    for (const [k, usd] of this.#reserved) {
      if (k === key) continue;
      others += usd;
      if (this.#followed.has(k)) followed += usd;
    }
    return { limit: this.limit, spent, others, followed, left: this.limit - spent.usd - others };
  }

  /** Marks keys whose work this build follows to its bill (`on`), or stops following them. */
  follow(keys: Iterable<string>, on = true): void {
    for (const k of keys) {
      if (on) this.#followed.add(k);
      else this.#followed.delete(k);
    }
  }

  reserved(key: string): number {
    return this.#reserved.get(key) ?? 0;
  }

  /** Sets what a key has committed (in flight at its worst case); lowering it wakes those waiting for room. */
  set(key: string, usd: number): void {
    const before = this.reserved(key);
    if (usd <= 0) this.#reserved.delete(key);
    else this.#reserved.set(key, usd);
    if (usd < before) this.#wake();
  }

  add(key: string, usd: number): void {
    this.set(key, this.reserved(key) + usd);
  }

  /** Resolves the next time any reservation shrinks (an answer was billed, a part collected). */
  released(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) w();
  }
}

/** Float noise must not hold back a request that fits exactly. */
export const BUDGET_EPSILON = 1e-9;
