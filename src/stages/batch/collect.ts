/**
 * Collecting a finished batch: its output and error files are streamed into the request cache
 * and the ledger's request failures, and only then is the part marked `collected` — a crash
 * mid-download just downloads again (the cache keeps the first line per request).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { RemoteBatch } from '../../providers/batch-api.ts';
import { describeApiError } from '../../providers/batch-api.ts';
import { CacheAppender } from '../work/cache.ts';
import { downloadWhole, DownloadDropped } from './download.ts';
import { isTokenLimitFailure } from './classify.ts';
import { backOffOnTokenLimit } from './token-limit.ts';
import { readResultLine, type ResultLine } from '../result-line.ts';
import { noteReply } from '../structured/note-reply.ts';
import { sentAs } from '../structured/reask.ts';
import { afterError, afterUnanswered } from './request-failures.ts';
import { recordEvent, type Part } from './ledger.ts';
import { decodeLines } from './line-ranges.ts';
import type { RequestFile } from '../work/request-file.ts';
import { partFile, partRequests } from './part-file.ts';
import { learnedLimits, now, save, type BatchRun, type StepResult } from './run-context.ts';
import { maybeCrash } from './services.ts';
import { appendSpend } from '../spend-log.ts';
import { billOf } from '../../tokens/bill.ts';
import { rulePrices } from '../../tokens/rule-prices.ts';

export async function collectPart(
  run: BatchRun,
  part: Part,
  batch: RemoteBatch,
  current: RequestFile,
): Promise<StepResult> {
  part.status = batch.status;
  part.counts = batch.requestCounts;
  if (batch.status === 'failed') return collectFailedBatch(run, part, batch);

  // custom_id → request hash; undefined when the part can no longer be matched to its requests.
  const ids = await partRequests(run, part, current);
  const answers = new Map<string, Answer>();
  let billed = 0;
  const spend = newSpend();
  const prices = rulePrices(run.config);
  const lost: string[] = [];
  const appender = await CacheAppender.open(run.files.cache);
  try {
    for (const [kind, fileId] of [
      ['output', batch.outputFileId],
      ['error', batch.errorFileId],
    ] as const) {
      if (!fileId) continue;
      const stream = await downloadWhole(run.svc.api, fileId, run.ctx.clock, run.ctx.signal);
      if (!stream.ok) {
        // A terminal batch's file that the provider no longer has (expired, deleted) will never
        // come back: its requests are unanswered, which is a definite outcome, not a wait.
        if (stream.error.kind === 'not-found') {
          lost.push(`${kind} file ${fileId}`);
          continue;
        }
        return { kind: 'waiting', why: `downloading results of ${batch.id}: ${describeApiError(stream.error)}` };
      }
      for await (const text of streamLines(stream.value)) {
        const r = readResultLine(parseJson(text)); // a line we cannot read is treated like a missing one: sent again
        if (!r || answers.has(r.customId)) continue;
        const hash = ids?.get(r.customId);
        if (ids && !hash) continue; // not a request of this part
        if (r.kind === 'succeeded') {
          // Paid results are kept before anything decides whether they are still wanted.
          await appender.append(
            hash
              ? { hash, custom_id: r.customId, batch: batch.id, result: r.line }
              : { hash: null, request_sha: part.requestSha, custom_id: r.customId, batch: batch.id, result: r.line },
          );
          answers.set(r.customId, 'succeeded');
          // Checked now, recorded with the part's collection (one save): a crash repeats both.
          if (hash && run.config.schema)
            noteReply(run.ledger, hash, r, run.config.schema, run.svc.session, sentAs(r.customId, part.reasks));
          billed += r.usage.input;
          addToSpend(spend, billOf(part.model, r.usage, prices, 'batch'), r.usage);
          if (answers.size === Math.ceil(part.requests / 2))
            maybeCrash(run.svc, 'during-download', { target: run.ctx.target, part: part.n });
        } else answers.set(r.customId, r.kind === 'errored' ? r : r.kind);
      }
    }
  } catch (error) {
    // Kept so far: the paid lines already in the cache. The rest is downloaded again next time.
    if (error instanceof DownloadDropped)
      return {
        kind: 'waiting',
        why: `downloading results of ${batch.id}: the connection kept dropping (${error.message}); trying again next poll`,
      };
    throw error;
  } finally {
    await appender.close();
  }
  maybeCrash(run.svc, 'after-download', { target: run.ctx.target, part: part.n });
  const tally = ids ? recordAnswers(run, batch, ids, answers, lost) : undefined;
  const succeeded = [...answers.values()].filter((a) => a === 'succeeded').length;
  const learned = learnedLimits(run);
  // Taken by the provider's queue (it ran): one more batch that fit under what was learned.
  learned.noteFit(part.endpoint, part.model);
  if (succeeded === part.requests)
    learned.learnFromUsage(part.endpoint, part.model, billed, part.inputTokens, batch.id);
  await learned.save();
  if (!tally) {
    part.note =
      `${batch.status}: ${succeeded} results kept in the request cache, unmatched: the part's local copy and the request file ` +
      'it was cut from are both gone (they are used again if that version of the request file comes back)';
  } else {
    const notRun = tally.resent + tally.exhausted;
    const failed = answers.size - succeeded - tally.unansweredLines;
    const outOfAttempts = tally.exhausted ? `, ${tally.exhausted} out of attempts` : '';
    const unanswered = notRun > 0 ? `, ${notRun} not answered (${tally.resent} sent again${outOfAttempts})` : '';
    part.note = `${batch.status}: ${succeeded} succeeded, ${failed} failed${unanswered}`;
    const event =
      lost.length > 0
        ? `results of ${batch.id} are gone (404 on its ${lost.join(' and ')})`
        : batch.status === 'expired' || batch.status === 'cancelled'
          ? `${batch.id} ${batch.status} with ${notRun} of ${part.requests} requests unanswered`
          : notRun > 0
            ? `${batch.id} ${batch.status} without answering ${notRun} requests`
            : '';
    if (event)
      recordEvent(
        run.ledger,
        now(run),
        `${event}: ${tally.resent} requests re-sent${tally.exhausted ? `, ${tally.exhausted} failed after ${run.config.maxUnansweredAttempts} unanswered attempts` : ''}`,
      );
  }
  // What this batch cost goes on record before the part is marked collected: a crash between
  // the two collects it again and rewrites the same line (keyed by the batch id), never loses it.
  if (spend.requests > 0)
    await appendSpend(run.ctx.stateDir, {
      key: batch.id,
      at: new Date(now(run)).toISOString(),
      target: run.ctx.target,
      rule: run.ctx.rule,
      provider: run.config.provider,
      model: part.model,
      ...spend,
      // Our count of the answered requests' input (the part's, in proportion): what the input ratio is learned from.
      estimatedInput: Math.round((part.inputTokens * spend.requests) / Math.max(1, part.requests)),
    });
  part.state = 'collected';
  delete run.ledger.backoff;
  await save(run);
  await rm(partFile(run, part.sha256), { force: true });
  return { kind: 'advanced' };
}

interface BatchSpend {
  requests: number;
  usage: { input: number; output: number; cached: number; cacheWrite: number };
  costUsd?: number;
  standardCostUsd?: number;
}

function newSpend(): BatchSpend {
  return { requests: 0, usage: { input: 0, output: 0, cached: 0, cacheWrite: 0 }, costUsd: 0, standardCostUsd: 0 };
}

/** Adds one answered request; a model with no price leaves the batch's dollars unknown. */
function addToSpend(
  spend: BatchSpend,
  bill: { usd: number; standardUsd: number } | undefined,
  usage: BatchSpend['usage'],
): void {
  spend.requests += 1;
  for (const k of ['input', 'output', 'cached', 'cacheWrite'] as const) spend.usage[k] += usage[k];
  if (!bill) {
    delete spend.costUsd;
    delete spend.standardCostUsd;
  } else if (spend.costUsd !== undefined && spend.standardCostUsd !== undefined) {
    spend.costUsd += bill.usd;
    spend.standardCostUsd += bill.standardUsd;
  }
}

/** What a result line said of a request: success, an error to record, or no answer at all. */
type Answer = 'succeeded' | 'expired' | 'canceled' | 'missing' | Extract<ResultLine, { kind: 'errored' }>;

/** Updates the ledger's request failures from a collected part's answers; every request of the part is accounted for. */
function recordAnswers(
  run: BatchRun,
  batch: RemoteBatch,
  ids: ReadonlyMap<string, string>,
  answers: ReadonlyMap<string, Answer>,
  lost: readonly string[],
) {
  const failures = run.ledger.requestFailures;
  const caps = { maxAttempts: run.config.maxAttempts, maxUnansweredAttempts: run.config.maxUnansweredAttempts };
  const t = now(run);
  let resent = 0;
  let exhausted = 0;
  let unansweredLines = 0;
  // A batch that answered some of its requests made progress: re-sending the rest cannot loop
  // forever (each round answers at least one), so only batches that answered none of them, or
  // whose results are gone, count against maxUnansweredAttempts.
  const progressed = lost.length === 0 && [...answers.values()].some((a) => a === 'succeeded' || typeof a === 'object');
  for (const [customId, hash] of ids) {
    const a = answers.get(customId);
    if (a === 'succeeded') {
      delete failures[hash];
      continue;
    }
    if (typeof a === 'object') {
      failures[hash] = afterError(failures[hash], a, caps, run.svc.session, t);
      continue;
    }
    if (a !== undefined) unansweredLines += 1;
    if (progressed) {
      resent += 1;
      continue;
    }
    const why =
      a === 'expired'
        ? { code: 'batch_expired', message: `${batch.id} expired before it ran` }
        : a === 'canceled'
          ? { code: 'batch_cancelled', message: `${batch.id} was cancelled before it ran` }
          : lost.length > 0
            ? { code: 'results_lost', message: `results of ${batch.id} are gone (404 on its ${lost.join(' and ')})` }
            : { code: 'no_result', message: `${batch.id} (${batch.status}) returned no line for it` };
    const f = afterUnanswered(failures[hash], customId, why, caps, run.svc.session, t);
    failures[hash] = f;
    if (f.permanent) exhausted += 1;
    else resent += 1;
  }
  return { resent, exhausted, unansweredLines };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function collectFailedBatch(run: BatchRun, part: Part, batch: RemoteBatch): Promise<StepResult> {
  part.state = 'collected';
  await rm(partFile(run, part.sha256), { force: true }).catch(() => undefined);
  if (isTokenLimitFailure(batch.errors)) {
    await backOffOnTokenLimit(
      run,
      part,
      batch.errors.map((e) => e.message ?? ''),
      batch.id,
    );
    return { kind: 'advanced' };
  }
  const lines = decodeLines(part.lines);
  const rel = path.relative(run.ctx.root, run.ctx.inputs[0]!) || run.ctx.inputs[0]!;
  const details = batch.errors.map((e) => {
    const line = typeof e.line === 'number' ? lines[e.line - 1] : undefined;
    const where = line !== undefined ? `${rel}:${line}` : rel;
    return `${where}: ${e.code ? `${e.code}: ` : ''}${e.message ?? 'invalid'} (batch ${batch.id}${typeof e.line === 'number' ? `, line ${e.line} of part ${part.n}` : ''})`;
  });
  const message = `the provider rejected batch ${batch.id} (part ${part.n}, ${part.requests} requests): ${batch.errors[0]?.message ?? 'failed without a reason'}`;
  part.note = message;
  const advice = 'the same requests are not sent again until the request file changes (or build --force)';
  run.ledger.rejected = {
    requestSha: part.requestSha,
    message,
    details: [...(details.length > 0 ? details : [message]), advice],
  };
  await save(run);
  return { kind: 'advanced' };
}

/** Lines of a byte stream, decoded as UTF-8, without loading the whole file. */
export async function* streamLines(stream: Readable | AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    rest += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (let i = rest.indexOf('\n'); i !== -1; i = rest.indexOf('\n', start)) {
      const line = rest.slice(start, i).replace(/\r$/, '');
      start = i + 1;
      if (line.trim()) yield line;
    }
    rest = rest.slice(start);
  }
  rest += decoder.end();
  if (rest.trim()) yield rest;
}
