/**
 * Sending what is still needed: cut it into parts within the provider's limits, check the cost
 * guard (all or nothing for the target), then submit each part the scheduler has room for; the
 * rest waits as queued.
 */
import { formatUsd } from '../../tokens/prices.ts';
import type { StageFailure } from '../types.ts';
import { partCaps, type priceTable } from './config.ts';
import { isInFlight, ms } from './ledger.ts';
import { estimateCost, splitIntoParts, type PlannedPart, type RatioFor } from './plan.ts';
import { learnedOutput } from '../learned-output.ts';
import { readSpend, totalSpent } from '../spend-log.ts';
import { loadTokenizersForRequests, type RequestEntry, type RequestFile } from './request-file.ts';
import path from 'node:path';
import { SAFETY } from './learned-limits.ts';
import { learnedLimits, now, type BatchRun } from './run-context.ts';
import { submitNewPart } from './submit.ts';

export type SendOutcome = { queued: number; why: string; waits: string[] } | { failure: StageFailure };

export async function sendOutstanding(
  run: BatchRun,
  current: RequestFile,
  needed: RequestEntry[],
  prices: ReturnType<typeof priceTable>,
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
  const split = splitIntoParts(needed, { ...caps, maxTokens: maxTokens.length ? Math.min(...maxTokens) : undefined });
  // Below the provider's minimum per batch (Bedrock's 100 records): never padded with paid filler.
  const small = split.filter((p) => p.entries.length < caps.minRequests);
  const planned = split.filter((p) => p.entries.length >= caps.minRequests);
  if (small.length > 0 && planned.length === 0 && !ledger.parts.some(isInFlight))
    return { failure: belowMinimum(run, small, caps.minRequests) };
  const tooLarge = planned.find(
    (p) => p.entries.length === 1 && (learned.budget(p.model, configured) ?? Infinity) < p.inputTokens,
  );
  if (tooLarge) return { failure: oversizedRequest(run, tooLarge, configured) };

  // Cost guard, all or nothing: this target's outstanding work (in flight + still to send), its
  // output estimated from what the rule's answers so far were billed.
  const learnedOut = await learnedOutput(ctx.root, ctx.rule, config.outputTokenRatio);
  const estimate = estimateCost(needed, learnedOut.ratioOf, prices);
  const inFlightCost = ledger.parts.filter(isInFlight).reduce((sum, p) => sum + (p.estCostUsd ?? 0), 0);
  const outstanding = inFlightCost + estimate.costUsd;
  const guard = config.maxCostUsd ?? svc.limits?.maxCostUsd;
  if (guard !== undefined && estimate.unpriced.length > 0) {
    return {
      failure: {
        reason: 'budget-exceeded',
        message: `cannot check the cost limit (${formatUsd(guard)}): no price for model ${estimate.unpriced.join(', ')}; add it to the rule's \`pricing\``,
      },
    };
  }
  if (config.maxCostUsd !== undefined && outstanding > config.maxCostUsd)
    return { failure: budgetFailure(outstanding, config.maxCostUsd, estimate.requests, "the rule's maxCostUsd") };
  // --max-cost is a budget for the whole job over every run: what was paid (the spend log), what
  // every target has in flight, and what this one would send.
  const spent = svc.limits?.maxCostUsd !== undefined ? totalSpent(await readSpend(ctx.root)) : 0;
  const reserved = svc.scheduler.reserveCost(ctx.target, outstanding, svc.limits?.maxCostUsd, spent);
  if (!reserved.ok)
    return {
      failure: jobBudgetFailure({
        target: ctx.target,
        limit: svc.limits!.maxCostUsd!,
        spent,
        inFlight: reserved.others + inFlightCost,
        toSend: estimate.costUsd,
        requests: estimate.requests,
      }),
    };

  let queued = 0;
  const waits: string[] = [];
  for (const part of planned) {
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
    const step = await submitNewPart(run, part, current.sha256, partCost(part, learnedOut.ratioOf, prices), budget);
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
  const tokens = budgets.length > 0 ? Math.min(...budgets).toLocaleString('en-US') : '∞';
  return {
    queued,
    why: `waiting for room: ${maxInFlightBatches ?? '∞'} batches / ${tokens} estimated enqueued tokens per model`,
    waits,
  };
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

function partCost(part: PlannedPart, ratio: RatioFor, prices: ReturnType<typeof priceTable>): number | undefined {
  const e = estimateCost(part.entries, ratio, prices);
  return e.unpriced.length > 0 ? undefined : e.costUsd;
}

function budgetFailure(estimate: number, limit: number, requests: number, which: string): StageFailure {
  return {
    reason: 'budget-exceeded',
    message: `estimated cost ${formatUsd(estimate)} is above the limit ${formatUsd(limit)} (${which}); nothing was submitted`,
    details: [`${requests} requests still to send, at batch price`, 'raise the limit, or send fewer requests'],
  };
}

/**
 * The job's budget would be passed: what was spent, what is in flight and what is left, so the
 * person can tell whether to raise it. The reporter lists every target held back this way.
 */
function jobBudgetFailure(b: {
  target: string;
  limit: number;
  spent: number;
  inFlight: number;
  toSend: number;
  requests: number;
}): StageFailure {
  const left = Math.max(0, b.limit - b.spent - b.inFlight);
  return {
    reason: 'budget-exceeded',
    message: `held back by --max-cost ${formatUsd(b.limit)}: ${formatUsd(b.spent)} spent, ${formatUsd(b.inFlight)} in flight, ${formatUsd(left)} left; ${b.target} would send ${formatUsd(b.toSend)} more; nothing was submitted`,
    details: [
      `${b.requests} requests still to send, at batch price; spent counts every earlier run (.pipeline/spend.jsonl)`,
      'raise --max-cost, or build fewer targets',
    ],
  };
}
