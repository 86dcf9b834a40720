/**
 * One `run()` of an online target: send what has no answer yet (see plan.ts) through the shared
 * limiter until every request has a final answer, then write the results file in request order.
 * It is local work, so it keeps going until done; Ctrl-C or `--max-time` stop it early with
 * `pending` (exit 75), and the next build sends only what is left.
 */
import { relative } from 'node:path';
import type { StageFailure, StageOutcome, TargetContext } from '../types.ts';
import { targetFiles } from '../work/cache.ts';
import type { RequestFailure } from '../work/request-failure.ts';
import {
  loadTokenizersForRequests,
  readRequestFile,
  type RequestEntry,
  type RequestFile,
  type RequestRef,
} from '../work/request-file.ts';
import { tallyResults } from '../work/results.ts';
import { billedAtBatchPrice, type OnlineStageConfig } from './config.ts';
import { rulePrices } from '../../tokens/rule-prices.ts';
import { ruleCosts, type RuleCosts } from '../rule-costs.ts';
import { OnlineSpend, presumeLostSends } from './spend.ts';
import { BudgetGate, heldOf, onlineHeldFailure, unpricedUnderLimit } from './budget-gate.ts';
import type { FinalFailure } from './journal.ts';
import { planOnline, tokenCost } from './plan.ts';
import { RequestSource } from './request-source.ts';
import { runRequests, type FleetServer } from './runner.ts';
import type { OnlineServices } from './services.ts';
import { JournalSink } from './sink.ts';
import { replayJournal } from './journal.ts';
import { effectiveEntries, NEXT_BUILD, type InvalidRecord } from '../structured/reask.ts';
import { describeCounts, describeHopelessRows, hopelessRows } from '../structured/reply-counts.ts';
import { recordReplies } from './replies.ts';
import { fleetFor, ONLINE_ENV, type ServerPlan } from './fleet.ts';
import { DEFAULT_PROVIDER } from '../../providers/registry.ts';

const failed = (failure: StageFailure): StageOutcome => ({ kind: 'failed', failure });

export interface OnlineRunOptions {
  /** Send only these requests (a `--sample`), and write their results here instead of the output. */
  only?: readonly RequestRef[];
  writeTo?: string;
}

export async function runOnline(
  ctx: TargetContext,
  config: OnlineStageConfig,
  opts: OnlineRunOptions = {},
): Promise<StageOutcome> {
  const svc = ctx.services.online;
  if (!svc)
    return failed({
      reason: 'missing-credentials',
      message: `the online stage needs a server: set ${ONLINE_ENV.baseURL} (and ${ONLINE_ENV.key}), or run with --offline`,
    });
  if (!ctx.marker)
    return failed({ reason: 'bad-input', message: `rule ${ctx.rule} needs a marker path for its journal` });
  const fleet = fleetFor(svc, config);
  if (!fleet.ok) return failed(fleet.failure);
  // Refs only: each body is read again when it is sent (request-source.ts), so memory stays flat.
  const request = await readRequestFile(ctx.inputs[0]!, ctx.root, DEFAULT_PROVIDER, { keep: 'refs' });
  if (!request.ok) return failed(request.error);
  const files = { cache: targetFiles(ctx.stateDir, ctx.target).cache, journal: ctx.marker };
  // What this rule pays: flex at the batch price, any other tier at the standard one.
  const costs = await ruleCosts(ctx.stateDir, ctx.rule, config, billedAtBatchPrice(config) ? 'batch' : 'standard');
  const money: RoundMoney = {
    costs,
    spend: new OnlineSpend({ stateDir: ctx.stateDir, target: ctx.target, rule: ctx.rule, clock: ctx.clock }, costs),
    gate: new BudgetGate(svc.budget, { stateDir: ctx.stateDir, target: ctx.target }, costs, config.maxCostUsd),
  };
  // Sends a killed run left unanswered may have been billed: on record before anything new is sent.
  await presumeLostSends(money.spend, (await replayJournal(files.journal)).lostSends, request.value, ctx.inputs[0]!);
  // Rounds: the requests, then the re-asks their invalid replies call for (at most maxInvalidAttempts more).
  let current: ReaskedRefs = request.value;
  let stopped: Stop | undefined;
  for (let round = 0; round <= (config.schema ? config.maxInvalidAttempts : 0) && !stopped; round++) {
    current = await withReasks(request.value, ctx.inputs[0]!, files.journal, config, svc.session);
    const only = opts.only && current.entries.filter((e) => opts.only!.some((o) => o.customId === e.customId));
    const plan = await planOnline(current, files, {
      session: svc.session,
      force: ctx.force && round === 0,
      ...(only ? { entries: only } : {}),
    });
    if (round > 0 && plan.todo.length === 0) break;
    if (money.gate.limited) {
      const refused = unpricedUnderLimit(
        plan.todo.map((e) => e.model),
        costs,
        money.gate.flag,
      );
      if (refused) return failed(refused);
    }
    const sent = await sendRound(
      ctx,
      config,
      svc,
      fleet.value,
      files,
      plan,
      (only ?? current.entries).length,
      !!only,
      money,
    );
    if (sent.changed)
      return failed({
        reason: 'bad-input',
        message: `${relative(ctx.root, ctx.inputs[0]!)} changed while it was being sent (line ${sent.changed.line} no longer reads as checked); run the build again`,
      });
    stopped = sent.stopped;
  }
  current = await withReasks(request.value, ctx.inputs[0]!, files.journal, config, svc.session);
  const only = opts.only && current.entries.filter((e) => opts.only!.some((o) => o.customId === e.customId));
  // Rows this build ran out of re-asks: the next build gives them a fresh round, so it must run this target.
  const next = await withReasks(request.value, ctx.inputs[0]!, files.journal, config, NEXT_BUILD);
  const reaskNext = next.entries.filter((e, i) => reaskOf(e) > reaskOf(current.entries[i])).length;
  const settled = { ...opts, ...(only ? { only } : {}), reaskNext };
  return finish(ctx, config, current, files, svc.session, settled, stopped, money);
}

type Stop = 'max-time' | 'interrupted' | 'budget';

const reaskOf = (e: RequestRef | undefined): number => (e && 'reask' in e ? ((e as RequestEntry).reask ?? 0) : 0);

/** A run's money: its rule's costs, its spend lines, and the cost limits it sends under. */
interface RoundMoney {
  costs: RuleCosts;
  spend: OnlineSpend;
  gate: BudgetGate;
}

/** The request file as withReasks() leaves it, with the rows re-asking will not make valid. */
type ReaskedRefs = RequestFile<RequestRef> & { hopeless?: Map<string, InvalidRecord[]> };

/**
 * The request file with each line standing for its current re-ask (see structured/reask.ts). A
 * re-ask's body is not in the file: only those lines are read whole, the rest stay refs.
 */
async function withReasks(
  written: RequestFile<RequestRef>,
  file: string,
  journal: string,
  config: OnlineStageConfig,
  /** This build's: rows whose re-asks ran out in an earlier one get a fresh round. */
  session: string,
): Promise<ReaskedRefs> {
  if (!config.schema) return written;
  const { invalid } = await replayJournal(journal);
  if (Object.keys(invalid).length === 0) return written;
  const reader = await RequestSource.open(file, []);
  try {
    const entries: RequestRef[] = [];
    const hopeless = new Map<string, InvalidRecord[]>();
    for (const ref of written.entries) {
      const full = invalid[ref.hash] ? await reader.read(ref) : undefined;
      // A line that no longer reads as checked stays a ref: sending it stops the run, naming it.
      const effective = full ? effectiveEntries([full], invalid, config, session) : undefined;
      entries.push(effective ? effective.entries[0]! : ref);
      for (const [id, replies] of effective?.hopeless ?? []) hopeless.set(id, replies);
    }
    return { sha256: written.sha256, entries, ...(hopeless.size > 0 ? { hopeless } : {}) };
  } finally {
    await reader.close();
  }
}

async function sendRound(
  ctx: TargetContext,
  config: OnlineStageConfig,
  svc: OnlineServices,
  fleet: readonly ServerPlan[],
  files: { cache: string; journal: string },
  plan: Awaited<ReturnType<typeof planOnline>>,
  total: number,
  sample: boolean,
  money: RoundMoney,
): Promise<{ stopped?: Stop | undefined; changed?: RequestRef | undefined }> {
  const sink = await JournalSink.open(files, ctx.clock, svc.session, money.spend, config.schema);
  const source = await RequestSource.open(ctx.inputs[0]!, plan.todo);
  let stopped: Stop | undefined;
  try {
    await sink.note({
      t: 'run',
      at: ctx.clock.now(),
      session: svc.session,
      total,
      todo: plan.todo.length,
      lost: plan.lostInFlight,
    });
    if (plan.todo.length > 0) {
      const model = plan.todo[0]!.model;
      // Each server's limiter and health are the build's, shared with its other targets.
      const servers: FleetServer[] = fleet.map((server) => ({
        label: server.label,
        api: svc.api(server.endpoint),
        limiter: svc.limiter(`${server.label}\u0000${model}`, server.limits, ctx.clock),
        health: svc.health(server.label, fleet.length > 1, ctx.clock),
        maxConcurrency: server.limits.maxConcurrency,
      }));
      await loadTokenizersForRequests(plan.todo);
      const outcome = await runRequests({
        total: plan.todo.length,
        next: () => source.next(),
        servers,
        unansweredOn: (hash) => plan.replay.unansweredOn.get(hash),
        clock: ctx.clock,
        signal: ctx.signal,
        deadline: svc.deadline,
        options: config,
        tokenCost: (e) => tokenCost(e, config.outputTokenRatio),
        sink,
        ...(money.gate.limited ? { gate: money.gate } : {}),
      });
      stopped = outcome.stopped;
    }
    // A request file edited mid-run ends the round unfinished: never journaled as done.
    const why = stopped ?? (source.changed ? 'interrupted' : sample ? 'sample' : 'done');
    await sink.note({ t: 'stop', at: ctx.clock.now(), why });
  } finally {
    await source.close();
    await sink.close();
  }
  return { stopped, changed: source.changed };
}

async function finish(
  ctx: TargetContext,
  config: OnlineStageConfig,
  current: ReaskedRefs,
  files: { cache: string; journal: string },
  session: string,
  opts: OnlineRunOptions & { reaskNext: number },
  stopped: Stop | undefined,
  money: RoundMoney,
): Promise<StageOutcome> {
  const entries = opts.only ?? current.entries;
  const after = await planOnline(current, files, { session, force: false, entries });
  const tally = await tallyResults({
    entries,
    index: after.index,
    failures: asRequestFailures(after.stopping),
    cacheFile: files.cache,
    prices: rulePrices(config),
    tier: billedAtBatchPrice(config) ? 'batch' : 'standard',
    ...(after.todo.length === 0 ? { writeTo: opts.writeTo ?? ctx.tempOutput } : {}),
  });
  const cost = tally.costUsd !== undefined ? { costUsd: tally.costUsd } : {};
  if (after.todo.length > 0 && stopped === 'budget') {
    const held = await heldOf(after.todo, ctx.inputs[0]!, money.costs);
    return failed(onlineHeldFailure(ctx.target, money.gate.flag, held, money.gate.standing()));
  }
  if (after.todo.length > 0) {
    const why =
      stopped === 'interrupted' ? 'interrupted' : stopped === 'max-time' ? 'time budget (--max-time) spent' : 'stopped';
    return {
      kind: 'pending',
      progress: {
        done: tally.succeeded + tally.failed,
        total: tally.total,
        ...(tally.failed ? { failed: tally.failed } : {}),
      },
      summary: `${tally.succeeded}/${tally.total} answered; ${after.todo.length} left (${why}); the next build sends only those`,
      state: 'in_progress',
    };
  }
  const retried = [...after.stopping.values()].filter((f) => f.exhausted).length;
  const hopeless = hopelessRows(current.hopeless);
  // Counted as the batch stage counts them, and journaled for `status`.
  const replies = config.schema
    ? await recordReplies(files.journal, ctx.clock.now(), {
        entries,
        invalid: after.replay.invalid,
        answered: (hash) => after.index.has(hash),
        maxInvalidAttempts: config.maxInvalidAttempts,
        hopeless: current.hopeless,
        answeredRows: tally.succeeded,
        hopelessRows: hopeless,
      })
    : undefined;
  const summary =
    (tally.failed > 0
      ? `${tally.succeeded} results, ${tally.failed} failed in ${relative(ctx.root, ctx.inputs[0]!)}: ${tally.failures.slice(0, 3).join('; ')}${tally.failed > 3 ? '; …' : ''}`
      : `${tally.succeeded} results`) +
    (replies && (replies.invalid > 0 || replies.reasked > 0) ? ` (${describeCounts(replies)})` : '') +
    (hopeless.length > 0 ? `; ${describeHopelessRows(hopeless)}` : '');
  return {
    kind: 'done',
    summary,
    usage: tally.usage,
    ...cost,
    ...(retried + opts.reaskNext > 0
      ? {
          retry: [
            retried > 0 ? `${retried} request${retried > 1 ? 's' : ''} ran out of attempts on transient errors` : '',
            opts.reaskNext > 0
              ? `${opts.reaskNext} row${opts.reaskNext > 1 ? 's' : ''} still invalid after ${config.maxInvalidAttempts} re-asks`
              : '',
          ]
            .filter(Boolean)
            .join('; ')
            .concat('; sent again by the next build'),
        }
      : {}),
  };
}

function asRequestFailures(stopping: ReadonlyMap<string, FinalFailure>): Record<string, RequestFailure> {
  const out: Record<string, RequestFailure> = {};
  for (const [hash, f] of stopping)
    out[hash] = {
      customId: f.id,
      attempts: 0,
      permanent: true,
      ...(f.exhausted ? { exhausted: true } : {}),
      ...(f.status !== undefined ? { status: f.status } : {}),
      ...(f.code !== undefined ? { code: f.code } : {}),
      message: f.message,
      ...(f.result ? { result: f.result } : {}),
    };
  return out;
}
