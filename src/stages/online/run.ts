/**
 * One `run()` of an online target: send what has no answer yet (see plan.ts) through the shared
 * limiter until every request has a final answer, then write the results file in request order.
 * It is local work, so it keeps going until done; Ctrl-C or `--max-time` stop it early with
 * `pending` (exit 75), and the next build sends only what is left.
 */
import { relative } from 'node:path';
import { BATCH_DISCOUNT, DEFAULT_PRICES, type PriceTable } from '../../tokens/prices.ts';
import type { StageFailure, StageOutcome, TargetContext } from '../types.ts';
import { targetFiles } from '../batch/cache.ts';
import type { RequestFailure } from '../batch/ledger.ts';
import { readRequestFile, type RequestEntry, type RequestFile } from '../batch/request-file.ts';
import { tallyResults } from '../batch/results.ts';
import { billedAtBatchPrice, onlinePriceTable, type OnlineStageConfig } from './config.ts';
import type { FinalFailure } from './journal.ts';
import { planOnline, tokenCost } from './plan.ts';
import { runRequests } from './runner.ts';
import { isLocalUrl, NO_KEY, type OnlineEndpoint, type OnlineServices } from './services.ts';
import { JournalSink } from './sink.ts';
import { replayJournal } from './journal.ts';
import { effectiveEntries } from '../structured/reask.ts';

const failed = (failure: StageFailure): StageOutcome => ({ kind: 'failed', failure });

export interface OnlineRunOptions {
  /** Send only these requests (a `--sample`), and write their results here instead of the output. */
  only?: readonly RequestEntry[];
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
      message: 'the online stage needs a server: set OPENAI_BASE_URL (and OPENAI_API_KEY), or run with --offline',
    });
  if (!ctx.marker)
    return failed({ reason: 'bad-input', message: `rule ${ctx.rule} needs a marker path for its journal` });
  const endpoint = endpointFor(svc, config);
  if (!endpoint.ok) return failed(endpoint.failure);
  const request = await readRequestFile(ctx.inputs[0]!, ctx.root);
  if (!request.ok) return failed(request.error);
  const files = { cache: targetFiles(ctx.root, ctx.target).cache, journal: ctx.marker };
  // Rounds: the requests, then the re-asks their invalid replies call for (at most maxInvalidAttempts more).
  let current = request.value;
  let stopped: 'max-time' | 'interrupted' | undefined;
  for (let round = 0; round <= (config.schema ? config.maxInvalidAttempts : 0) && !stopped; round++) {
    current = await withReasks(request.value, files.journal, config);
    const only = opts.only && current.entries.filter((e) => opts.only!.some((o) => o.customId === e.customId));
    const plan = await planOnline(current, files, {
      session: svc.session,
      force: ctx.force && round === 0,
      ...(only ? { entries: only } : {}),
    });
    if (round > 0 && plan.todo.length === 0) break;
    stopped = await sendRound(ctx, config, svc, endpoint.value, files, plan, (only ?? current.entries).length, !!only);
  }
  current = await withReasks(request.value, files.journal, config);
  const only = opts.only && current.entries.filter((e) => opts.only!.some((o) => o.customId === e.customId));
  return finish(ctx, config, current, files, svc.session, only ? { ...opts, only } : opts, stopped);
}

/** The request file with each line standing for its current re-ask (see structured/reask.ts). */
async function withReasks(written: RequestFile, journal: string, config: OnlineStageConfig): Promise<RequestFile> {
  if (!config.schema) return written;
  const { invalid } = await replayJournal(journal);
  return { sha256: written.sha256, entries: effectiveEntries(written.entries, invalid, config).entries };
}

async function sendRound(
  ctx: TargetContext,
  config: OnlineStageConfig,
  svc: OnlineServices,
  endpoint: OnlineEndpoint,
  files: { cache: string; journal: string },
  plan: Awaited<ReturnType<typeof planOnline>>,
  total: number,
  sample: boolean,
): Promise<'max-time' | 'interrupted' | undefined> {
  const sink = await JournalSink.open(files, ctx.clock, svc.session, config.schema);
  let stopped: 'max-time' | 'interrupted' | undefined;
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
      const limiter = svc.limiter(
        `${endpoint.baseURL ?? ''}\u0000${model}`,
        {
          maxConcurrency: config.maxConcurrency,
          requestsPerMinute: config.requestsPerMinute,
          tokensPerMinute: config.tokensPerMinute,
        },
        ctx.clock,
      );
      const outcome = await runRequests({
        entries: plan.todo,
        api: svc.api(endpoint),
        limiter,
        clock: ctx.clock,
        signal: ctx.signal,
        deadline: svc.deadline,
        options: config,
        tokenCost: (e) => tokenCost(e, config.outputTokenRatio),
        sink,
      });
      stopped = outcome.stopped;
    }
    await sink.note({ t: 'stop', at: ctx.clock.now(), why: stopped ?? (sample ? 'sample' : 'done') });
  } finally {
    await sink.close();
  }
  return stopped;
}

async function finish(
  ctx: TargetContext,
  config: OnlineStageConfig,
  current: RequestFile,
  files: { cache: string; journal: string },
  session: string,
  opts: OnlineRunOptions,
  stopped: 'max-time' | 'interrupted' | undefined,
): Promise<StageOutcome> {
  const entries = opts.only ?? current.entries;
  const after = await planOnline(current, files, { session, force: false, entries });
  const prices = pricesAsBilled(config);
  const tally = await tallyResults({
    entries,
    index: after.index,
    failures: asRequestFailures(after.stopping),
    cacheFile: files.cache,
    prices,
    ...(after.todo.length === 0 ? { writeTo: opts.writeTo ?? ctx.tempOutput } : {}),
  });
  const cost = tally.costUsd !== undefined ? { costUsd: tally.costUsd } : {};
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
  const summary =
    tally.failed > 0
      ? `${tally.succeeded} results, ${tally.failed} failed in ${relative(ctx.root, ctx.inputs[0]!)}: ${tally.failures.slice(0, 3).join('; ')}${tally.failed > 3 ? '; …' : ''}`
      : `${tally.succeeded} results`;
  return {
    kind: 'done',
    summary,
    usage: tally.usage,
    ...cost,
    ...(retried > 0
      ? {
          retry: `${retried} request${retried > 1 ? 's' : ''} ran out of attempts on transient errors; sent again by the next build`,
        }
      : {}),
  };
}

/** The server this rule talks to, and a key for it (a local server needs none). */
function endpointFor(
  svc: OnlineServices,
  config: OnlineStageConfig,
): { ok: true; value: OnlineEndpoint } | { ok: false; failure: StageFailure } {
  if (svc.offline || !config.baseURL) {
    const url = svc.endpoint.baseURL ?? 'https://api.openai.com/v1';
    if (svc.endpoint.apiKey === NO_KEY && !isLocalUrl(url)) return { ok: false, failure: missingKey(url) };
    return { ok: true, value: svc.endpoint };
  }
  if (svc.endpoint.apiKey === NO_KEY && !isLocalUrl(config.baseURL))
    return { ok: false, failure: missingKey(config.baseURL) };
  return { ok: true, value: { baseURL: config.baseURL, apiKey: svc.endpoint.apiKey } };
}

function missingKey(url: string): StageFailure {
  return {
    reason: 'missing-credentials',
    message: `OPENAI_API_KEY environment variable is not set (needed for ${url}); a local server (localhost, 127.0.0.1, a private address) needs none`,
  };
}

/**
 * tallyResults prices at the batch rate (half the standard one); an online answer is billed at
 * the standard rate unless the tier is flex, so the table is scaled to make its sum right.
 */
function pricesAsBilled(config: OnlineStageConfig): PriceTable {
  const table = onlinePriceTable(config, DEFAULT_PRICES);
  if (billedAtBatchPrice(config)) return table;
  return Object.fromEntries(
    Object.entries(table).map(([model, p]) => [
      model,
      { input: p.input / BATCH_DISCOUNT, output: p.output / BATCH_DISCOUNT },
    ]),
  );
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
