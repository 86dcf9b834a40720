/**
 * One `run()` of a batch target: advance every recorded part, then plan and submit what is still
 * needed (within the scheduler's room and the cost guard), and answer `done` with the complete
 * results file once every request has a cached success or a failure that stops it.
 */
import path from 'node:path';
import type { PriceTable } from '../../tokens/prices.ts';
import type { StageFailure, StageOutcome, TargetContext } from '../types.ts';
import { advancePart } from './advance.ts';
import { readCacheIndex, targetFiles } from '../work/cache.ts';
import { whatToSet, type BatchStageConfig } from './config.ts';
import { rulePrices } from '../../tokens/rule-prices.ts';
import { batchServicesFor } from '../services.ts';
import { emptyLedger, isInFlight, loadLedger, recordEvent, type Ledger } from './ledger.ts';
import { inFlightHashes, outstandingRequests } from './outstanding.ts';
import { matchUnhashed } from '../work/unhashed.ts';
import { readRequestFile, type RequestFile } from '../work/request-file.ts';
import { grantFreshRounds } from './request-failures.ts';
import { tallyResults, type Tally } from '../work/results.ts';
import { requestPlan } from './request-plan.ts';
import { targetMoney } from './target-money.ts';
import { markSaved, now, save, type BatchRun } from './run-context.ts';
import { sendOutstanding, type SendOutcome } from './send.ts';
import { describeHeld, heldFailure, inFlightWorst } from './budget-guard.ts';
import { ruleCosts } from '../rule-costs.ts';
import { remoteState } from './state.ts';
import { replyCounts } from './describe.ts';
import { effectiveRequests, freshRoundsNext, structuredCounts, type ReaskedFile } from './reasks.ts';
import { describeHopelessRows, hopelessRows } from '../structured/reply-counts.ts';

const failed = (failure: StageFailure): StageOutcome => ({ kind: 'failed', failure });

export async function runBatch(ctx: TargetContext, config: BatchStageConfig): Promise<StageOutcome> {
  const svc = batchServicesFor(ctx.services, config.provider);
  if (!svc)
    return failed({
      reason: 'missing-credentials',
      message: `the batch stage needs the ${config.provider} batch API: set ${whatToSet(config)} (or run with --offline)`,
    });
  if (!ctx.marker)
    return failed({ reason: 'bad-input', message: `rule ${ctx.rule} needs a marker path for its batch ledger` });
  const loaded = await loadLedger(ctx.marker, ctx.root);
  if (!loaded.ok) return failed(loaded.error);
  const request = await readRequestFile(ctx.inputs[0]!, ctx.root, config.provider);
  if (!request.ok) return failed(request.error);
  const written = request.value;
  const run: BatchRun = {
    ctx,
    svc,
    config,
    ledger: loaded.value ?? emptyLedger(ctx.target, ctx.clock.now()),
    files: targetFiles(ctx.stateDir, ctx.target),
    createdThisRun: new Set(),
    startedAt: ctx.clock.now(),
  };
  if (loaded.value) markSaved(run);
  const { ledger } = run;
  for (const p of ledger.parts) if (p.batchId) svc.claimed.add(p.batchId);
  const prices = rulePrices(config);
  if (ctx.force) {
    ledger.requestFailures = {};
    delete ledger.rejected;
    delete ledger.backoff;
  }
  // Lines whose reply was invalid stand for their re-ask; recomputed below once new results are in.
  let current = effectiveRequests(ledger, config, written, svc.session);
  const live = new Set(current.entries.map((e) => e.hash));
  for (const hash of Object.keys(ledger.requestFailures)) if (!live.has(hash)) delete ledger.requestFailures[hash];
  // Re-running is the user's "try again": requests whose attempts ran out in an earlier build get a fresh round.
  const granted = grantFreshRounds(ledger.requestFailures, svc.session);
  if (granted > 0)
    recordEvent(
      ledger,
      now(run),
      `${granted} request${granted > 1 ? 's' : ''} that ran out of attempts in an earlier build sent again`,
    );

  // 1. Everything already recorded moves first: results collected now are not sent again below.
  const problems: string[] = [];
  const stuckParts = new Set<number>();
  const waits: string[] = [];
  for (const part of ledger.parts.filter(isInFlight)) {
    const step = await advancePart(run, part, current);
    if (step.kind === 'failed') {
      problems.push(step.message, ...(step.details ?? []));
      stuckParts.add(part.n);
    }
    if (step.kind === 'waiting') waits.push(step.why);
  }
  const inFlight = ledger.parts.filter(isInFlight);
  svc.scheduler.setLoad(ctx.target, inFlight);
  // Collected parts are in the spend log now: only what is still in flight stays reserved, at its worst.
  svc.budget.set(ctx.target, inFlightWorst(ledger, prices));
  // A rejection of an older version of the request file does not block the current one.
  if (ledger.rejected && ledger.rejected.requestSha !== current.sha256) delete ledger.rejected;
  const failure: StageFailure | undefined =
    problems.length > 0
      ? { reason: 'provider-error', message: problems[0]!, details: problems.slice(1) }
      : ledger.rejected
        ? {
            reason: 'provider-error',
            message: ledger.rejected.message,
            file: rel(ctx, ctx.inputs[0]!),
            details: ledger.rejected.details,
          }
        : undefined;
  // Failed, with nothing else of this target in flight: nothing is left to wait for. With parts
  // still in flight, they are collected first (they are paid for): the target stays pending,
  // naming its failure, and sends nothing new.
  // A part that failed to advance (unknown to the provider) is no work to wait for.
  if (failure && inFlight.every((p) => stuckParts.has(p.n))) return failWith(run, failure);

  // 2. Plan: what has no cached success, no failure that stops it and is not in flight.
  current = effectiveRequests(ledger, config, written, svc.session);
  const index = await readCacheIndex(run.files.cache, matchUnhashed(current));
  const flying = await inFlightHashes(run, ledger, current);
  let queued = 0;
  let queuedWhy = '';
  let held: Extract<SendOutcome, { queued: number }>['held'];
  if (failure) waits.push('nothing new is sent until the failure is fixed');
  else if (flying) {
    const needed = outstandingRequests(current.entries, { index, ledger, flying });
    if (needed.length === 0 && inFlight.length === 0) return finish(run, written, current, index, prices);
    if (needed.length > 0) {
      const costs = await ruleCosts(ctx.stateDir, ctx.rule, config, 'batch');
      const sent = await sendOutstanding(run, current, needed, costs);
      if ('failure' in sent) return failWith(run, sent.failure);
      ({ queued, why: queuedWhy, held } = sent);
      waits.push(...sent.waits);
    }
  } else waits.push('a part in flight cannot be matched to its requests; nothing new is sent until it is collected');

  const tally = await tallyResults({
    entries: current.entries,
    index,
    failures: ledger.requestFailures,
    cacheFile: run.files.cache,
    prices,
  });
  const running = ledger.parts.filter(isInFlight);
  const inBatches = running.reduce((sum, p) => sum + (p.counts ? p.counts.completed + p.counts.failed : 0), 0);
  ledger.summary = {
    ...(await summaryOf(current, ledger.summary, tally, queued)),
    ...structuredCounts(ledger, config, current, index),
    ...(held
      ? { held: { requests: held.held.requests, worstUsd: held.held.worstUsd, expectedUsd: held.held.expectedUsd } }
      : {}),
  };
  await save(run);
  // Held back with nothing of this target in flight: while batches this build follows may still be
  // billed below their worst case it waits for them; once none are, nothing changes until the limit
  // is raised — a failure naming what it would take.
  const stuck = held !== undefined && running.length === 0 && queued === held.held.requests;
  if (held && stuck && held.binding.followed <= 0) return failed(heldFailure(ctx.target, held.held, held.binding));
  const money = await targetMoney(ctx.stateDir, ctx.target, ctx.rule, config, ledger.summary);
  const done = Math.min(tally.total, tally.succeeded + tally.failed + inBatches);
  const parts = [
    `${tally.succeeded}/${tally.total} answered`,
    replyCounts(ledger.summary),
    running.length > 0 ? `${running.length} batch${running.length > 1 ? 'es' : ''} in flight` : '',
    held ? describeHeld(held.held, held.binding, stuck) : '',
    queued - (held?.held.requests ?? 0) > 0 ? `${queued - (held?.held.requests ?? 0)} queued (${queuedWhy})` : '',
    ...recentEvents(run),
    ...waits.slice(0, 3),
  ];
  return {
    kind: 'pending',
    progress: { done, total: tally.total, ...(tally.failed > 0 ? { failed: tally.failed } : {}) },
    summary: parts.filter(Boolean).join('; '),
    state: running.length === 0 ? 'queued' : remoteState(running),
    money,
    ...(failure ? { failure } : {}),
  };
}

/** The ledger's summary of this run: answers, their tokens and dollars, and the request file's plan. */
async function summaryOf(
  current: RequestFile,
  previous: Ledger['summary'],
  tally: Tally,
  queued: number,
): Promise<NonNullable<Ledger['summary']>> {
  return {
    requestSha: current.sha256,
    total: tally.total,
    succeeded: tally.succeeded,
    failed: tally.failed,
    queued,
    usage: tally.usage,
    ...(tally.costUsd !== undefined ? { costUsd: tally.costUsd } : {}),
    ...(tally.standardCostUsd !== undefined ? { standardCostUsd: tally.standardCostUsd } : {}),
    plan: await requestPlan(current, previous),
  };
}

/** Events recorded by this run (lost results, expiries…), for the build log. */
function recentEvents(run: BatchRun): string[] {
  const since = run.startedAt;
  return (run.ledger.events ?? []).filter((e) => Date.parse(e.at) >= since).map((e) => e.message);
}

async function finish(
  run: BatchRun,
  written: RequestFile,
  current: ReaskedFile,
  index: Awaited<ReturnType<typeof readCacheIndex>>,
  prices: PriceTable,
): Promise<StageOutcome> {
  const tally = await tallyResults({
    entries: current.entries,
    index,
    failures: run.ledger.requestFailures,
    cacheFile: run.files.cache,
    prices,
    writeTo: run.ctx.tempOutput,
  });
  run.ledger.summary = {
    ...(await summaryOf(current, run.ledger.summary, tally, 0)),
    ...structuredCounts(run.ledger, run.config, current, index),
  };
  // Named in the marker for `status` (the newest build's list replaces the last).
  const hopeless = hopelessRows(current.hopeless);
  if (hopeless.length > 0) run.ledger.hopeless = hopeless;
  else delete run.ledger.hopeless;
  await save(run);
  const failures = Object.values(run.ledger.requestFailures).filter((f) => f.permanent);
  const retried = failures.filter((f) => f.exhausted).length;
  const reaskNext = freshRoundsNext(run.ledger, run.config, written, current);
  const counts = replyCounts(run.ledger.summary);
  const summary =
    (tally.failed > 0
      ? `${tally.succeeded} results, ${tally.failed} failed: ${tally.failures.slice(0, 3).join('; ')}${tally.failed > 3 ? '; …' : ''}`
      : `${tally.succeeded} results`) +
    (counts ? ` (${counts})` : '') +
    (hopeless.length > 0 ? `; ${describeHopelessRows(hopeless)}` : '');
  return {
    kind: 'done',
    summary,
    usage: tally.usage,
    ...(tally.costUsd !== undefined ? { costUsd: tally.costUsd } : {}),
    // Rows that only ran out of attempts (or of re-asks) are not final: the next build must run this target again.
    ...(retried + reaskNext > 0
      ? {
          retry: [
            retried > 0
              ? `${retried} request${retried > 1 ? 's' : ''} ran out of attempts on transient errors or unanswered batches`
              : '',
            reaskNext > 0
              ? `${reaskNext} row${reaskNext > 1 ? 's' : ''} still invalid after ${run.config.maxInvalidAttempts} re-asks`
              : '',
          ]
            .filter(Boolean)
            .join('; ')
            .concat('; sent again by this build'),
        }
      : {}),
  };
}

async function failWith(run: BatchRun, failure: StageFailure): Promise<StageOutcome> {
  await save(run);
  return failed(failure);
}

function rel(ctx: TargetContext, file: string): string {
  const r = path.relative(ctx.root, file);
  return r.startsWith('..') ? file : r;
}
