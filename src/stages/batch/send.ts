/**
 * Sending what is still needed: check the cost limits (the requests whose worst cases fit are
 * admitted, in request-file order; see budget-guard.ts), cut what is admitted into parts within the
 * provider's limits, then submit each part the scheduler has room for; the rest waits as queued.
 */
import path from 'node:path';
import type { StageFailure } from '../types.ts';
import { partCaps } from './config.ts';
import { ms } from './ledger.ts';
import { splitIntoParts, type PlannedPart } from './plan.ts';
import { loadTokenizersForRequests, type RequestEntry, type RequestFile } from './request-file.ts';
import { SAFETY } from './learned-limits.ts';
import { learnedLimits, now, type BatchRun } from './run-context.ts';
import { submitNewPart } from './submit.ts';
import { admitWithinLimits, inFlightWorst, type Binding, type Held } from './budget-guard.ts';
import type { RuleCosts } from '../rule-costs.ts';
import type { RequestCost } from '../cost-model.ts';

export type SendOutcome =
  { queued: number; why: string; waits: string[]; held?: { held: Held; binding: Binding } } | { failure: StageFailure };

export async function sendOutstanding(
  run: BatchRun,
  current: RequestFile,
  needed: RequestEntry[],
  costs: RuleCosts,
): Promise<SendOutcome> {
  const { ledger, config, svc, ctx } = run;
  if (ledger.backoff && ms(ledger.backoff.until) > now(run)) {
    return {
      queued: needed.length,
      why: `enqueued-token limit reached; retrying after ${ledger.backoff.until}`,
      waits: [],
    };
  }
  await loadTokenizersForRequests(needed);
  const configured = svc.limits?.maxEnqueuedTokens ?? config.maxEnqueuedTokens;
  const maxInFlightBatches = svc.limits?.maxInFlightBatches ?? config.maxInFlightBatches;
  // Per model: the configured limit or the one the provider stated, in units of our estimate.
  const learned = learnedLimits(run);
  const budgets = [...new Set(needed.map((e) => e.model))]
    .map((m) => learned.budget(m, configured))
    .filter((n): n is number => n !== undefined);
  const maxTokens = [config.maxTokensPerBatch, ...budgets].filter((n): n is number => n !== undefined);
  const caps = { ...partCaps(config), maxTokens: maxTokens.length ? Math.min(...maxTokens) : undefined };
  const tooLarge = splitIntoParts(needed, caps).find(
    (p) => p.entries.length === 1 && (learned.budget(p.model, configured) ?? Infinity) < p.inputTokens,
  );
  if (tooLarge) return { failure: oversizedRequest(run, tooLarge, configured) };

  const admission = admitWithinLimits(run, needed, costs);
  if (admission.kind === 'refused') return { failure: admission.failure };
  const admitted = admission.kind === 'all' ? needed : admission.admitted;
  const held = admission.kind === 'some' ? { held: admission.held, binding: admission.binding } : undefined;

  let queued = held?.held.requests ?? 0;
  const waits: string[] = [];
  try {
    for (const part of splitIntoParts(admitted, caps)) {
      if (
        !svc.scheduler.admit(ctx.target, part.model, part.inputTokens, {
          maxEnqueuedTokens: learned.budget(part.model, configured),
          maxInFlightBatches,
        })
      ) {
        queued += part.entries.length;
        continue;
      }
      const budget = learned.budget(part.model, configured);
      const step = await submitNewPart(run, part, current.sha256, partMoney(part, admission.costs), budget);
      if (step.kind === 'failed')
        return {
          failure: {
            reason: 'provider-error',
            message: step.message,
            ...(step.details ? { details: step.details } : {}),
          },
        };
      if (step.kind === 'waiting') waits.push(step.why);
    }
  } finally {
    // What was reserved for parts not submitted (queued, or a failure) is released: only the
    // parts now in the ledger stay reserved, at their worst case.
    svc.budget.set(ctx.target, inFlightWorst(ledger, costs.prices));
  }
  const tokens = budgets.length > 0 ? Math.min(...budgets).toLocaleString('en-US') : '∞';
  return {
    queued,
    why: `waiting for room: ${maxInFlightBatches ?? '∞'} batches / ${tokens} estimated enqueued tokens per model`,
    waits,
    ...(held ? { held } : {}),
  };
}

/** A part's expected and worst-case dollars, and how many of its requests set no bound. */
function partMoney(part: PlannedPart, costs: ReadonlyMap<RequestEntry, RequestCost>) {
  let expectedUsd = 0;
  let worstUsd = 0;
  let unbounded = 0;
  for (const e of part.entries) {
    const c = costs.get(e)!;
    expectedUsd += c.usd?.expected ?? 0;
    worstUsd += c.usd?.worst ?? 0;
    if (c.maxOutput === undefined) unbounded += 1;
  }
  const priced = part.entries.every((e) => costs.get(e)!.usd);
  return priced ? { expectedUsd, worstUsd, unbounded } : { unbounded };
}

/** One request alone is above what the provider lets us enqueue: it can never be sent. */
function oversizedRequest(run: BatchRun, part: PlannedPart, configured: number | undefined): StageFailure {
  const e = part.entries[0]!;
  const learned = learnedLimits(run);
  const limit = learned.limit(part.model);
  const source =
    limit !== undefined && (configured === undefined || limit * SAFETY < configured)
      ? `the provider's enqueued-token limit for ${part.model} (${limit.toLocaleString('en-US')}, stated in a token_limit_exceeded error)`
      : `maxEnqueuedTokens (${configured!.toLocaleString('en-US')})`;
  return {
    reason: 'bad-input',
    message: `request ${e.customId} alone is estimated at ${Math.ceil(part.inputTokens * learned.ratio(part.model)).toLocaleString('en-US')} tokens, above ${source}: it can never be enqueued`,
    file: path.relative(run.ctx.root, run.ctx.inputs[0]!),
    line: e.line,
    details: ['shorten that request (or its prompt), or use a model with a higher limit'],
  };
}
