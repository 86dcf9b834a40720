/**
 * A batch target's side of the cost limits (`--max-cost`, the job's, see ../budget.ts; and the
 * rule's `maxCostUsd`, this target's over every run): which of its outstanding requests may be
 * sent now. In request-file order, the longest run of requests whose worst cases fit in what is
 * left is admitted — not all or nothing — and reserved at once, before anything is uploaded; the
 * rest is held, with what it would take. As batches in flight are billed below their worst case,
 * the next build admits more.
 */
import { formatUsd, type PriceTable } from '../../tokens/prices.ts';
import { worstInputFactor } from '../../tokens/input-ratio.ts';
import { billRequest } from '../../tokens/bill.ts';
import { priceFor } from '../../tokens/prices.ts';
import { BUDGET_EPSILON, spentIn } from '../budget.ts';
import { UNBOUNDED_MARGIN, type RequestCost } from '../cost-model.ts';
import type { RuleCosts } from '../rule-costs.ts';
import { readSpendNow } from '../spend-log.ts';
import type { StageFailure } from '../types.ts';
import { isInFlight, type Ledger, type Part } from './ledger.ts';
import type { Held } from '../work/held.ts';
import type { RequestEntry } from '../work/request-file.ts';
import type { BatchRun } from './run-context.ts';

/** The limit that held requests back, as it stood. */
export interface Binding {
  flag: string;
  limit: number;
  spent: number;
  /** Work in flight (every target's for `--max-cost`), at its worst case. */
  inFlight: number;
  /** Left for this target's new requests. */
  left: number;
  /** Of `inFlight`, other targets' work this build follows to its bill (it may leave room). */
  followed: number;
}

/** What may be sent: a prefix of the outstanding requests (all of them under no limit), and the limit that cut it. */
export type Admission =
  | { kind: 'admitted'; admitted: RequestEntry[]; costs: Map<RequestEntry, RequestCost>; binding?: Binding }
  | { kind: 'refused'; failure: StageFailure };

/** What a part can still be billed at most, as fixed when it was admitted. */
export function partWorst(part: Part, ledger: Ledger, prices: PriceTable): number {
  return part.worstCostUsd ?? legacyWorst(part, ledger, prices);
}

/** Every in-flight part of the ledger at its worst case. */
export function inFlightWorst(ledger: Ledger, prices: PriceTable): number {
  return ledger.parts.filter(isInFlight).reduce((sum, p) => sum + partWorst(p, ledger, prices), 0);
}

/**
 * Checks the limits and reserves what is admitted in one synchronous step after `costs` are known,
 * so targets running side by side never both take the last of the budget.
 */
export function admitWithinLimits(run: BatchRun, needed: readonly RequestEntry[], costs: RuleCosts): Admission {
  const { ctx, config, svc, ledger } = run;
  const perRequest = new Map(needed.map((e) => [e, costs.model.of(e)]));
  const jobLimit = svc.budget.limit;
  const ruleLimit = config.maxCostUsd;
  if (jobLimit === undefined && ruleLimit === undefined)
    return { kind: 'admitted', admitted: [...needed], costs: perRequest };
  const unpriced = [...new Set(needed.filter((e) => !perRequest.get(e)!.usd).map((e) => e.model || '(no model)'))];
  const limitText = formatUsd(jobLimit ?? ruleLimit);
  if (unpriced.length > 0)
    return {
      kind: 'refused',
      failure: {
        reason: 'budget-exceeded',
        message: `cannot keep the cost limit (${limitText}): model ${unpriced.join(', ')} has no price, so its requests could cost anything; nothing was submitted`,
        details: [
          "add it to the rule's `pricing` (or map a deployment to the model it runs with `deployments`); `pipeline prices` lists the built-in table",
        ],
      },
    };

  // From here to the reservation nothing awaits: the spend log and the reservations are read together.
  const own = inFlightWorst(ledger, costs.prices);
  const spend = readSpendNow(ctx.root);
  const bindings: Binding[] = [];
  const job = svc.budget.roomFor(ctx.target, ctx.root, costs.prices);
  if (job) {
    if (job.spent.unpriced.length > 0)
      return { kind: 'refused', failure: unpricedSpend(job.spent.unpriced, limitText) };
    bindings.push({
      flag: '--max-cost',
      limit: job.limit,
      spent: job.spent.usd,
      inFlight: job.others + own,
      left: job.left - own,
      followed: job.followed,
    });
  }
  if (ruleLimit !== undefined) {
    const spent = spentIn(
      spend.filter((e) => e.target === ctx.target),
      costs.prices,
    );
    if (spent.unpriced.length > 0) return { kind: 'refused', failure: unpricedSpend(spent.unpriced, limitText) };
    bindings.push({
      flag: "the rule's maxCostUsd",
      limit: ruleLimit,
      spent: spent.usd,
      inFlight: own,
      left: ruleLimit - spent.usd - own,
      followed: 0,
    });
  }
  const binding = bindings.reduce((a, b) => (b.left < a.left ? b : a));
  let used = 0;
  let n = 0;
  for (const e of needed) {
    const worst = perRequest.get(e)!.usd!.worst;
    if (used + worst > binding.left + BUDGET_EPSILON) break;
    used += worst;
    n += 1;
  }
  svc.budget.set(ctx.target, own + used);
  return { kind: 'admitted', admitted: needed.slice(0, n), costs: perRequest, binding };
}

/** What holding these requests back leaves unsent, at worst and expected. */
export function heldOf(entries: readonly RequestEntry[], costs: ReadonlyMap<RequestEntry, RequestCost>): Held {
  const held: Held = { requests: entries.length, worstUsd: 0, expectedUsd: 0, unbounded: 0 };
  for (const e of entries) {
    const c = costs.get(e)!;
    held.worstUsd += c.usd?.worst ?? 0;
    held.expectedUsd += c.usd?.expected ?? 0;
    if (c.maxOutput === undefined) held.unbounded += 1;
  }
  return held;
}

/** A target that could send nothing: what was spent, what is in flight, what is left, and what it would take. */
export function heldFailure(target: string, held: Held, b: Binding): StageFailure {
  const raiseTo = b.limit + held.worstUsd - Math.max(0, b.left);
  return {
    reason: 'budget-exceeded',
    message: `held back by ${b.flag} ${formatUsd(b.limit)}: ${formatUsd(b.spent)} spent, ${formatUsd(b.inFlight)} in flight, ${formatUsd(Math.max(0, b.left))} left; ${target} needs ${formatUsd(held.worstUsd)} more at worst (~${formatUsd(held.expectedUsd)} expected) for its ${held.requests} request${held.requests > 1 ? 's' : ''}; nothing was submitted`,
    details: [
      'at worst: every reply at its max_tokens, so the bill cannot pass the limit; in flight: unanswered batches at their worst case until they are billed; spent counts every earlier run (.pipeline/spend.jsonl)',
      ...heldNotes(held),
      `${b.inFlight > 0 ? 'batches in flight billed below their worst case leave room for the next build; ' : ''}to send all of this target's requests now, raise ${b.flag === '--max-cost' ? '--max-cost' : 'maxCostUsd'} to ${formatUsd(raiseTo)} (or build fewer targets)`,
    ],
  };
}

/** "8 held back by --max-cost ($0.03 to finish at worst, ~$0.01 expected)", for a target still waiting. */
export function describeHeld(held: Held, b: Binding, waitingForOthers = false): string {
  const why = waitingForOthers
    ? `; ${formatUsd(b.followed)} of other targets' batches in flight may be billed below their worst case and leave room`
    : '';
  return `${held.requests} held back by ${b.flag} ${formatUsd(b.limit)} (${formatUsd(held.worstUsd)} to finish at worst, ~${formatUsd(held.expectedUsd)} expected)${why}`;
}

function heldNotes(held: Held): string[] {
  if (held.unbounded === 0) return [];
  return [
    `${held.unbounded} of these requests set no max_tokens: their worst case is an estimate (output at the learned ratio × ${UNBOUNDED_MARGIN}), so the bill may pass the limit for them; set max_tokens in the requests rule's params to make it a promise`,
  ];
}

function unpricedSpend(models: readonly string[], limit: string): StageFailure {
  return {
    reason: 'budget-exceeded',
    message: `cannot keep the cost limit (${limit}): .pipeline/spend.jsonl has requests of model ${models.join(', ')} billed with no price, so what was spent is unknown; nothing was submitted`,
    details: ["add the model to the rule's `pricing`: those lines are then priced with it"],
  };
}

/**
 * A part recorded before parts kept their worst case: its requests' input with the margin, and
 * the average bound of its request file's requests (the ledger's plan); without a bound, its
 * expected cost with the unbounded margin.
 */
function legacyWorst(part: Part, ledger: Ledger, prices: PriceTable): number {
  const price = priceFor(part.model, prices);
  const plan =
    ledger.summary?.requestSha === part.requestSha
      ? ledger.summary.plan?.find((m) => m.model === part.model)
      : undefined;
  if (!price || !plan || plan.uncapped > 0 || plan.requests === 0) return (part.estCostUsd ?? 0) * UNBOUNDED_MARGIN;
  const input = part.inputTokens * worstInputFactor({ model: part.model, ratio: 1, answered: 0, exact: false });
  return billRequest(price, { input, output: (part.requests * plan.maxOutputTokens) / plan.requests }, 'batch');
}
