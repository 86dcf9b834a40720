/**
 * The cost limits while an online target sends (`--max-cost`, the job's; the rule's `maxCostUsd`,
 * this target's over every run): a request is sent only if its worst case fits in what is left,
 * reserved before it leaves and released once its bill (or its presumed worst case) is in the spend
 * log. So the worst-case cost in flight never passes what the budget has left. A request that does
 * not fit waits while this target has requests in flight (their bills free room), and is held once
 * none are.
 */
import { formatUsd, priceFor } from '../../tokens/prices.ts';
import { BUDGET_EPSILON, spentIn, type Budget } from '../budget.ts';
import { loadTokenizersForRequests, type RequestEntry, type RequestRef } from '../work/request-file.ts';
import { RequestSource } from './request-source.ts';
import type { RuleCosts } from '../rule-costs.ts';
import { readSpendNow } from '../spend-log.ts';
import type { StageFailure } from '../types.ts';
import type { Held } from '../work/held.ts';

export class BudgetGate {
  readonly #key: string;
  /** Worst case of each request in flight, by entry. */
  readonly #inFlight = new Map<RequestEntry, number>();
  #own = 0;

  constructor(
    private readonly budget: Budget,
    private readonly at: { root: string; target: string },
    private readonly costs: RuleCosts,
    private readonly ruleLimit: number | undefined,
  ) {
    this.#key = `online:${at.target}`;
    budget.follow([this.#key]);
  }

  get limited(): boolean {
    return this.budget.limit !== undefined || this.ruleLimit !== undefined;
  }

  /** The first limit that applies, for messages. */
  get flag(): string {
    return this.budget.limit !== undefined
      ? `--max-cost ${formatUsd(this.budget.limit)}`
      : `maxCostUsd ${formatUsd(this.ruleLimit)}`;
  }

  /** Reserves the request's worst case, waiting for this target's answers while they may free room; false: held. */
  async enter(entry: RequestEntry, signal: AbortSignal): Promise<boolean> {
    if (!this.limited) return true;
    const worst = this.costs.model.of(entry).usd?.worst ?? Infinity;
    for (;;) {
      if (worst <= this.#left() + BUDGET_EPSILON) {
        this.#inFlight.set(entry, worst);
        this.#own += worst;
        this.budget.set(this.#key, this.#own);
        return true;
      }
      if (this.#inFlight.size === 0 || signal.aborted) return false;
      let onAbort = () => {};
      const aborted = new Promise<void>((resolve) => (onAbort = resolve));
      signal.addEventListener('abort', onAbort, { once: true });
      await Promise.race([this.budget.released(), aborted]);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** After the request's bill (or presumed worst case) is in the spend log, or it was not billed. */
  leave(entry: RequestEntry): void {
    const worst = this.#inFlight.get(entry);
    if (worst === undefined) return;
    this.#inFlight.delete(entry);
    // Summed again rather than subtracted: float residue must not look like a request in flight.
    this.#own = [...this.#inFlight.values()].reduce((a, b) => a + b, 0);
    this.budget.set(this.#key, this.#own);
  }

  /** What this target may still commit: the least of the job's and the rule's room, less its requests in flight. */
  #left(): number {
    let left = Infinity;
    const job = this.budget.roomFor(this.#key, this.at.root, this.costs.prices);
    if (job) left = job.left - this.#own;
    if (this.ruleLimit !== undefined) {
      const mine = readSpendNow(this.at.root).filter((e) => e.target === this.at.target);
      left = Math.min(left, this.ruleLimit - spentIn(mine, this.costs.prices).usd - this.#own);
    }
    return left;
  }

  /** What was spent and what is left now, for the held-back message. */
  standing(): { spent: number; left: number } {
    const job = this.budget.roomFor(this.#key, this.at.root, this.costs.prices);
    return { spent: job?.spent.usd ?? 0, left: Math.max(0, this.#left()) };
  }
}

/** Models of these requests with no price: under a limit they cannot be sent (they could cost anything). */
export function unpricedUnderLimit(models: Iterable<string>, costs: RuleCosts, flag: string): StageFailure | undefined {
  const unpriced = [...new Set(models)].filter((m) => !priceFor(m, costs.prices));
  if (unpriced.length === 0) return undefined;
  return {
    reason: 'budget-exceeded',
    message: `cannot keep the cost limit (${flag}): model ${unpriced.join(', ')} has no price, so its requests could cost anything; nothing was sent`,
    details: [
      "add it to the rule's `pricing` (or map the served name to the model it runs with `deployments`); `pipeline prices` lists the built-in table",
    ],
  };
}

/** An online target stopped by a cost limit: what it sent is kept; what is held and what it would take. */
export function onlineHeldFailure(
  target: string,
  flag: string,
  held: Held,
  standing: { spent: number; left: number },
): StageFailure {
  return {
    reason: 'budget-exceeded',
    message: `held back by ${flag}: ${formatUsd(standing.spent)} spent, ${formatUsd(standing.left)} left; ${target} needs ${formatUsd(held.worstUsd)} more at worst (~${formatUsd(held.expectedUsd)} expected) for its ${held.requests} unsent request${held.requests > 1 ? 's' : ''}; the answers it got are kept`,
    details: [
      'at worst: every reply at its max_tokens, so the bill cannot pass the limit; spent counts every earlier run (.pipeline/spend.jsonl), a send whose answer was lost at its worst case',
      ...(held.unbounded > 0
        ? [
            `${held.unbounded} of these requests set no max_tokens: their worst case is an estimate, so the bill may pass the limit for them; set max_tokens to make it a promise`,
          ]
        : []),
      'raise the limit (or build fewer targets) and build again: only the unsent requests are sent',
    ],
  };
}

/** The requests a cost limit left unsent, and what they would take (their bodies read back one by one). */
export async function heldOf(todo: readonly RequestRef[], file: string, costs: RuleCosts): Promise<Held> {
  const held: Held = { requests: todo.length, worstUsd: 0, expectedUsd: 0, unbounded: 0 };
  await loadTokenizersForRequests(todo);
  const source = await RequestSource.open(file, []);
  try {
    for (const ref of todo) {
      const entry = await source.whole(ref);
      if (!entry) continue;
      const c = costs.model.of(entry);
      held.worstUsd += c.usd?.worst ?? 0;
      held.expectedUsd += c.usd?.expected ?? 0;
      if (c.maxOutput === undefined) held.unbounded += 1;
    }
  } finally {
    await source.close();
  }
  return held;
}
