/**
 * One `run()` of a batch target: advance every recorded part, then plan and submit what is still
 * needed (within the scheduler's room and the cost guard), and answer `done` with the complete
 * results file once every request has a cached success or a permanent failure.
 */
import path from 'node:path';
import { DEFAULT_PRICES, formatUsd } from '../../tokens/prices.ts';
import type { StageFailure, StageOutcome, TargetContext } from '../types.ts';
import { advancePart } from './advance.ts';
import { readCacheIndex, targetFiles } from './cache.ts';
import { priceTable, type BatchStageConfig } from './config.ts';
import { emptyLedger, isInFlight, loadLedger, ms } from './ledger.ts';
import { partRequests } from './part-file.ts';
import { estimateCost, splitIntoParts, type PlannedPart } from './plan.ts';
import { readRequestFile, type RequestEntry, type RequestFile } from './request-file.ts';
import { tallyResults } from './results.ts';
import { markSaved, now, save, type BatchRun } from './run-context.ts';
import { remoteState } from './state.ts';
import { submitNewPart } from './submit.ts';

const failed = (failure: StageFailure): StageOutcome => ({ kind: 'failed', failure });

export async function runBatch(ctx: TargetContext, config: BatchStageConfig): Promise<StageOutcome> {
  const svc = ctx.services.batch;
  if (!svc) return failed({ reason: 'missing-credentials', message: 'the batch stage needs the Batch API: set OPENAI_API_KEY (or run with --offline)' });
  if (!ctx.marker) return failed({ reason: 'bad-input', message: `rule ${ctx.rule} needs a marker path for its batch ledger` });
  const loaded = await loadLedger(ctx.marker, ctx.root);
  if (!loaded.ok) return failed(loaded.error);
  const request = await readRequestFile(ctx.inputs[0]!, ctx.root);
  if (!request.ok) return failed(request.error);
  const current = request.value;
  const run: BatchRun = { ctx, svc, config, ledger: loaded.value ?? emptyLedger(ctx.target, ctx.clock.now()), files: targetFiles(ctx.root, ctx.target), createdThisRun: new Set() };
  if (loaded.value) markSaved(run);
  const { ledger } = run;
  const prices = priceTable(config, DEFAULT_PRICES);
  if (ctx.force) {
    ledger.requestFailures = {};
    delete ledger.rejected;
    delete ledger.backoff;
  }
  const live = new Set(current.entries.map((e) => e.hash));
  for (const hash of Object.keys(ledger.requestFailures)) if (!live.has(hash)) delete ledger.requestFailures[hash];

  // 1. Everything already recorded moves first: results collected now are not sent again below.
  const problems: string[] = [];
  const waits: string[] = [];
  for (const part of ledger.parts.filter(isInFlight)) {
    const step = await advancePart(run, part, current);
    if (step.kind === 'failed') problems.push(step.message, ...(step.details ?? []));
    if (step.kind === 'waiting') waits.push(step.why);
  }
  const inFlight = ledger.parts.filter(isInFlight);
  svc.scheduler.setLoad(ctx.target, inFlight);
  if (problems.length > 0) return failWith(run, { reason: 'provider-error', message: problems[0]!, details: problems.slice(1) });
  // A rejection of an older version of the request file does not block the current one.
  if (ledger.rejected && ledger.rejected.requestSha !== current.sha256) delete ledger.rejected;
  if (ledger.rejected) return failWith(run, { reason: 'provider-error', message: ledger.rejected.message, file: rel(ctx, ctx.inputs[0]!), details: ledger.rejected.details });

  // 2. Plan: what has no cached success, no permanent failure and is not in flight.
  const index = await readCacheIndex(run.files.cache);
  const flying = await inFlightHashes(run, current);
  let queued = 0;
  let queuedWhy = '';
  if (flying) {
    const seen = new Set<string>();
    const needed = current.entries.filter((e) => {
      if (index.has(e.hash) || ledger.requestFailures[e.hash]?.permanent || flying.has(e.hash) || seen.has(e.hash)) return false;
      seen.add(e.hash);
      return true;
    });
    if (needed.length === 0 && inFlight.length === 0) return finish(run, current, index, prices);
    if (needed.length > 0) {
      const submitted = await submitNeeded(run, current, needed, prices);
      if ('failure' in submitted) return failWith(run, submitted.failure);
      ({ queued, why: queuedWhy } = submitted);
      waits.push(...submitted.waits);
    }
  } else waits.push('a part in flight cannot be matched to its requests; nothing new is sent until it is collected');

  const tally = await tallyResults({ entries: current.entries, index, failures: ledger.requestFailures, cacheFile: run.files.cache, prices });
  const running = ledger.parts.filter(isInFlight);
  const inBatches = running.reduce((sum, p) => sum + (p.counts ? p.counts.completed + p.counts.failed : 0), 0);
  ledger.summary = { requestSha: current.sha256, total: tally.total, succeeded: tally.succeeded, failed: tally.failed, queued, usage: tally.usage, ...(tally.costUsd !== undefined ? { costUsd: tally.costUsd } : {}) };
  await save(run);
  const done = Math.min(tally.total, tally.succeeded + tally.failed + inBatches);
  const parts = [`${tally.succeeded}/${tally.total} answered`, running.length > 0 ? `${running.length} batch${running.length > 1 ? 'es' : ''} in flight` : '', queued > 0 ? `${queued} queued (${queuedWhy})` : '', ...waits.slice(0, 3)];
  return {
    kind: 'pending',
    progress: { done, total: tally.total, ...(tally.failed > 0 ? { failed: tally.failed } : {}) },
    summary: parts.filter(Boolean).join('; '),
    state: running.length === 0 ? 'queued' : remoteState(running),
  };
}

type SubmitOutcome = { queued: number; why: string; waits: string[] } | { failure: StageFailure };

async function submitNeeded(run: BatchRun, current: RequestFile, needed: RequestEntry[], prices: ReturnType<typeof priceTable>): Promise<SubmitOutcome> {
  const { ledger, config, svc, ctx } = run;
  if (ledger.backoff && ms(ledger.backoff.until) > now(run)) {
    return { queued: needed.length, why: `enqueued-token limit reached; retrying after ${ledger.backoff.until}`, waits: [] };
  }
  const limits = {
    maxEnqueuedTokens: svc.limits?.maxEnqueuedTokens ?? config.maxEnqueuedTokens,
    maxInFlightBatches: svc.limits?.maxInFlightBatches ?? config.maxInFlightBatches,
  };
  const maxTokens = [config.maxTokensPerBatch, limits.maxEnqueuedTokens].filter((n): n is number => n !== undefined);
  const planned = splitIntoParts(needed, { maxRequests: config.maxRequestsPerBatch, maxBytes: config.maxBytesPerBatch, maxTokens: maxTokens.length ? Math.min(...maxTokens) : undefined });

  // Cost guard, all or nothing: this target's outstanding work (in flight + still to send).
  const estimate = estimateCost(needed, config.outputTokenRatio, prices);
  const inFlightCost = ledger.parts.filter(isInFlight).reduce((sum, p) => sum + (p.estCostUsd ?? 0), 0);
  const outstanding = inFlightCost + estimate.costUsd;
  const guard = config.maxCostUsd ?? svc.limits?.maxCostUsd;
  if (guard !== undefined && estimate.unpriced.length > 0) {
    return { failure: { reason: 'budget-exceeded', message: `cannot check the cost limit (${formatUsd(guard)}): no price for model ${estimate.unpriced.join(', ')}; add it to the rule's \`pricing\`` } };
  }
  if (config.maxCostUsd !== undefined && outstanding > config.maxCostUsd) return { failure: budgetFailure(outstanding, config.maxCostUsd, estimate.requests, 'the rule\'s maxCostUsd') };
  const reserved = svc.scheduler.reserveCost(ctx.target, outstanding, svc.limits?.maxCostUsd);
  if (!reserved.ok) return { failure: budgetFailure(reserved.committed + outstanding, svc.limits!.maxCostUsd!, estimate.requests, '--max-cost for this build') };

  let queued = 0;
  const waits: string[] = [];
  for (const part of planned) {
    if (!svc.scheduler.admit(ctx.target, part.model, part.inputTokens, limits)) {
      queued += part.entries.length;
      continue;
    }
    const step = await submitNewPart(run, part, current.sha256, partCost(part, config.outputTokenRatio, prices));
    if (step.kind === 'failed') return { failure: { reason: 'provider-error', message: step.message, ...(step.details ? { details: step.details } : {}) } };
    if (step.kind === 'waiting') waits.push(step.why);
  }
  return { queued, why: `waiting for room: ${limits.maxInFlightBatches ?? '∞'} batches / ${limits.maxEnqueuedTokens?.toLocaleString('en-US') ?? '∞'} enqueued tokens per model`, waits };
}

function partCost(part: PlannedPart, ratio: number, prices: ReturnType<typeof priceTable>): number | undefined {
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

/** Request hashes of parts in flight; undefined if one cannot be matched (then nothing new is planned). */
async function inFlightHashes(run: BatchRun, current: RequestFile): Promise<Set<string> | undefined> {
  const out = new Set<string>();
  for (const part of run.ledger.parts.filter(isInFlight)) {
    const ids = await partRequests(run, part, current);
    if (!ids) return undefined;
    for (const h of ids.values()) out.add(h);
  }
  return out;
}

async function finish(run: BatchRun, current: RequestFile, index: Awaited<ReturnType<typeof readCacheIndex>>, prices: ReturnType<typeof priceTable>): Promise<StageOutcome> {
  const tally = await tallyResults({ entries: current.entries, index, failures: run.ledger.requestFailures, cacheFile: run.files.cache, prices, writeTo: run.ctx.tempOutput });
  run.ledger.summary = { requestSha: current.sha256, total: tally.total, succeeded: tally.succeeded, failed: tally.failed, queued: 0, usage: tally.usage, ...(tally.costUsd !== undefined ? { costUsd: tally.costUsd } : {}) };
  await save(run);
  const summary = tally.failed > 0
    ? `${tally.succeeded} results, ${tally.failed} failed permanently: ${tally.failures.slice(0, 3).join('; ')}${tally.failed > 3 ? '; …' : ''}`
    : `${tally.succeeded} results`;
  return { kind: 'done', summary, usage: tally.usage, ...(tally.costUsd !== undefined ? { costUsd: tally.costUsd } : {}) };
}

async function failWith(run: BatchRun, failure: StageFailure): Promise<StageOutcome> {
  await save(run);
  return failed(failure);
}

function rel(ctx: TargetContext, file: string): string {
  const r = path.relative(ctx.root, file);
  return r.startsWith('..') ? file : r;
}
