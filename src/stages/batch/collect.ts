/**
 * Collecting a finished batch: its output and error files are streamed into the request cache
 * and the ledger's request failures, and only then is the part marked `collected` — a crash
 * mid-download just downloads again (the cache keeps the first line per request).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { RemoteBatch } from '../../batch-api/types.ts';
import { describeApiError } from '../../batch-api/types.ts';
import { CacheAppender } from './cache.ts';
import { classifyResultLine, isTokenLimitFailure } from './classify.ts';
import { iso, ms, type Part } from './ledger.ts';
import { decodeLines } from './line-ranges.ts';
import type { RequestFile } from './request-file.ts';
import { partFile, partRequests } from './part-file.ts';
import { now, save, type BatchRun, type StepResult } from './run-context.ts';
import { maybeCrash } from './services.ts';

const TOKEN_LIMIT_BACKOFF_MAX_MS = 30 * 60_000;

export async function collectPart(run: BatchRun, part: Part, batch: RemoteBatch, current: RequestFile): Promise<StepResult> {
  part.status = batch.status;
  part.counts = batch.requestCounts;
  if (batch.status === 'failed') return collectFailedBatch(run, part, batch);

  const ids = await partRequests(run, part, current);
  if (!ids) {
    part.state = 'collected';
    part.note = 'the local copy of this part and the request file it came from are both gone: its results could not be matched and are not used';
    await save(run);
    return { kind: 'advanced' };
  }
  const seen = new Set<string>();
  const failures = run.ledger.requestFailures;
  const updates = new Map<string, (typeof failures)[string] | null>();
  const appender = await CacheAppender.open(run.files.cache);
  try {
    for (const fileId of [batch.outputFileId, batch.errorFileId]) {
      if (!fileId) continue;
      const stream = await run.svc.api.downloadFile(fileId);
      if (!stream.ok) return { kind: 'waiting', why: `downloading results of ${batch.id}: ${describeApiError(stream.error)}` };
      for await (const text of streamLines(stream.value)) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          continue; // a provider line we cannot read is treated like a missing one: sent again
        }
        const outcome = classifyResultLine(value);
        const hash = outcome && ids.get(outcome.customId);
        if (!outcome || !hash || seen.has(outcome.customId)) continue;
        seen.add(outcome.customId);
        if (outcome.kind === 'success') {
          await appender.append({ hash, custom_id: outcome.customId, batch: batch.id, result: outcome.line });
          updates.set(hash, null);
          if (seen.size === Math.ceil(ids.size / 2)) maybeCrash(run.svc, 'during-download', { target: run.ctx.target, part: part.n });
        } else if (outcome.kind !== 'requeue') {
          const before = updates.get(hash) ?? failures[hash];
          const attempts = (before?.attempts ?? 0) + (outcome.kind === 'transient' ? 1 : 0);
          updates.set(hash, {
            customId: outcome.customId,
            attempts,
            permanent: outcome.kind === 'permanent' || attempts >= run.config.maxAttempts,
            ...(outcome.status !== undefined ? { status: outcome.status } : {}),
            ...(outcome.code !== undefined ? { code: outcome.code } : {}),
            message: outcome.message,
            result: outcome.line,
          });
        }
      }
    }
  } finally {
    await appender.close();
  }
  maybeCrash(run.svc, 'after-download', { target: run.ctx.target, part: part.n });
  for (const [hash, f] of updates) {
    if (f) failures[hash] = f;
    else delete failures[hash];
  }
  const succeeded = [...updates.values()].filter((f) => f === null).length;
  const unfinished = part.requests - seen.size;
  part.note = `${batch.status}: ${succeeded} succeeded, ${seen.size - succeeded} failed${unfinished > 0 ? `, ${unfinished} not run (sent again)` : ''}`;
  part.state = 'collected';
  delete run.ledger.backoff;
  await save(run);
  await rm(partFile(run, part.sha256), { force: true });
  return { kind: 'advanced' };
}

async function collectFailedBatch(run: BatchRun, part: Part, batch: RemoteBatch): Promise<StepResult> {
  part.state = 'collected';
  await rm(partFile(run, part.sha256), { force: true }).catch(() => undefined);
  if (isTokenLimitFailure(batch.errors)) {
    // Not the input's fault: the requests are planned again after a growing pause.
    const count = (run.ledger.backoff?.count ?? 0) + 1;
    const wait = Math.min(TOKEN_LIMIT_BACKOFF_MAX_MS, run.config.tokenLimitBackoffSeconds * 1000 * 2 ** (count - 1));
    const until = Math.max(now(run) + wait, run.ledger.backoff ? ms(run.ledger.backoff.until) : 0);
    run.ledger.backoff = { until: iso(until), count, reason: batch.errors[0]?.message ?? 'token_limit_exceeded' };
    part.note = `failed with token_limit_exceeded; its requests are queued again after ${iso(until)}`;
    await save(run);
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
  run.ledger.rejected = { requestSha: part.requestSha, message, details: [...(details.length > 0 ? details : [message]), advice] };
  await save(run);
  return { kind: 'advanced' };
}

/** Lines of a byte stream, decoded as UTF-8, without loading the whole file. */
export async function* streamLines(stream: Readable): AsyncGenerator<string> {
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
