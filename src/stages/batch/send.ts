/**
 * Sending what is still needed: cut it into parts within the provider's limits, check the cost
 * limits (the requests whose worst cases fit are admitted, in request-file order; see
 * budget-guard.ts), then submit each part the scheduler has room for; the rest waits as queued.
 */
import path from 'node:path';
import type { StageFailure } from '../types.ts';
import { partCaps } from './config.ts';
import { isInFlight, ms } from './ledger.ts';
import { splitIntoParts, type PlannedPart } from './plan.ts';
import { loadTokenizersForRequests, type RequestEntry, type RequestFile } from '../work/request-file.ts';
import { SAFETY } from './learned-limits.ts';
import { learnedLimits, now, type BatchRun } from './run-context.ts';
import { submitNewPart } from './submit.ts';
import { admitWithinLimits, heldOf, inFlightWorst, type Binding } from './budget-guard.ts';
import type { Held } from '../work/held.ts';
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
  const maxInFlightBatches =
    svc.limits?.maxInFlightBatches ?? config.maxInFlightBatches ?? svc.api.traits.maxConcurrentBatches;
  // Per model: the configured limit or the one the provider stated, in units of our estimate.
  const learned = learnedLimits(run);
  const budgets = [...new Set(needed.map((e) => e.model))]
    .map((m) => learned.budget(m, configured))
    .filter((n): n is number => n !== undefined);
  const maxTokens = [config.maxTokensPerBatch, ...budgets].filter((n): n is number => n !== undefined);
  const caps = partCaps(config);
  const splitCaps = { ...caps, maxTokens: maxTokens.length ? Math.min(...maxTokens) : undefined };
  const split = splitIntoParts(needed, splitCaps);
  // Below the provider's minimum per batch (Bedrock's 100 records): never padded with paid filler.
  const small = split.filter((p) => p.entries.length < caps.minRequests);
  const planned = split.filter((p) => p.entries.length >= caps.minRequests);
  if (small.length > 0 && planned.length === 0 && !ledger.parts.some(isInFlight))
    return { failure: belowMinimum(run, small, caps.minRequests) };
  const tooLarge = planned.find(
    (p) => p.entries.length === 1 && (learned.budget(p.model, configured) ?? Infinity) < p.inputTokens,
  );
  if (tooLarge) return { failure: oversizedRequest(run, tooLarge, configured) };

  const sendable = planned.flatMap((p) => p.entries);
  const admission = admitWithinLimits(run, sendable, costs);
  if (admission.kind === 'refused') return { failure: admission.failure };
  // A cut that leaves a part below the provider's minimum holds that part back too.
  const parts = splitIntoParts(admission.admitted, splitCaps);
  const cut = parts.filter((p) => p.entries.length < caps.minRequests).flatMap((p) => p.entries);
  const heldEntries = [...sendable.slice(admission.admitted.length), ...cut];
  const held =
    admission.binding && heldEntries.length > 0
      ? { held: heldOf(heldEntries, admission.costs), binding: admission.binding }
      : undefined;

  let queued = held?.held.requests ?? 0;
  const waits: string[] = [];
  try {
    for (const part of parts.filter((p) => p.entries.length >= caps.minRequests)) {
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
    // What was reserved for parts not submitted (queued, held, or a failure) is released: only the
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

/** Requests too few for one batch of this provider, and nothing in flight that could bring more: said, with what to do. */
function belowMinimum(run: BatchRun, small: readonly PlannedPart[], min: number): StageFailure {
  const requests = small.reduce((n, p) => n + p.entries.length, 0);
  const rel = path.relative(run.ctx.root, run.ctx.inputs[0]!);
  return {
    reason: 'provider-error',
    message: `${requests} request${requests > 1 ? 's' : ''} of ${rel} to send, fewer than ${run.config.provider}'s minimum of ${min.toLocaleString('en-US')} per batch: nothing was submitted`,
    file: rel,
    details: [
      `rows: ${small
        .flatMap((p) => p.entries.map((e) => e.customId))
        .slice(0, 10)
        .join(', ')}${requests > 10 ? ', …' : ''}`,
      "gather small request files into one (a requests rule whose output has no {wildcard} of its input, as examples/bedrock.config.ts does), send these rows with another provider, or, if your account has a lower quota, set the rule's minRequestsPerBatch",
    ],
  };
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
