/** The /v1/messages/batches routes: create, retrieve, list, cancel, delete, results. */
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { LineWriter } from '../writer.ts';
import { RETENTION_MS, WINDOW_MS, type AnthropicContext } from './context.ts';
import { parseRequests, readBody } from './create-request.ts';
import { AnthropicApiError, sendAnthropicJson } from './errors.ts';
import { newMessageBatchId } from './ids.ts';
import { cancel, forceExpire, found, refresh, remove } from './lifecycle.ts';
import { emptyCounts, type MessageBatchRecord } from './types.ts';
import { messageBatchObject } from './wire.ts';

/** What every handler gets besides the context: where this server is, and the version header. */
export interface CallInfo {
  origin: string;
  version: string;
}

const reply = (ctx: AnthropicContext, res: ServerResponse, rec: MessageBatchRecord, call: CallInfo) =>
  sendAnthropicJson(res, 200, messageBatchObject(rec, ctx.clock.now(), call.origin), ctx.counter);

export async function createMessageBatch(
  ctx: AnthropicContext,
  req: IncomingMessage,
  res: ServerResponse,
  call: CallInfo,
): Promise<void> {
  const requests = parseRequests(ctx, await readBody(ctx, req));
  const now = ctx.clock.now();
  const rec: MessageBatchRecord = {
    id: newMessageBatchId(),
    seq: ctx.store.nextSeq(),
    version: call.version,
    speed: ctx.speed,
    status: 'in_progress',
    createdMs: now,
    expiresMs: now + WINDOW_MS,
    forcedExpireMs: null,
    cancelInitiatedMs: null,
    endedMs: null,
    total: requests.length,
    counts: emptyCounts(),
    executed: 0,
    inputOffset: 0,
    partBytes: 0,
    partLines: 0,
  };
  await mkdir(ctx.store.workDir(rec.id), { recursive: true });
  const out = LineWriter.create(ctx.store.requests(rec.id));
  try {
    for (const r of requests) await out.line(r);
  } finally {
    await out.close();
  }
  await ctx.store.save(rec);
  ctx.stats.add('batchesCreated');
  reply(ctx, res, rec, call);
}

export async function retrieveMessageBatch(ctx: AnthropicContext, id: string, res: ServerResponse, call: CallInfo) {
  reply(ctx, res, await refresh(ctx, found(ctx, id)), call);
}

export async function cancelMessageBatch(ctx: AnthropicContext, id: string, res: ServerResponse, call: CallInfo) {
  reply(ctx, res, await cancel(ctx, found(ctx, id)), call);
}

export async function deleteMessageBatch(ctx: AnthropicContext, id: string, res: ServerResponse): Promise<void> {
  await remove(ctx, found(ctx, id));
  sendAnthropicJson(res, 200, { id, type: 'message_batch_deleted' }, ctx.counter);
}

function limitOf(raw: string | null): number {
  if (raw === null || raw === '') return 20;
  const n = Number(raw);
  if (!Number.isInteger(n))
    throw new AnthropicApiError('invalid_request_error', 'limit: Input should be a valid integer');
  if (n < 1 || n > 1000)
    throw new AnthropicApiError(
      'invalid_request_error',
      `limit: Input should be ${n < 1 ? 'greater than or equal to 1' : 'less than or equal to 1000'}`,
    );
  return n;
}

/** Newest first; `after_id` pages towards older batches, `before_id` towards newer ones. */
export async function listMessageBatches(
  ctx: AnthropicContext,
  query: URLSearchParams,
  res: ServerResponse,
  call: CallInfo,
): Promise<void> {
  const limit = limitOf(query.get('limit'));
  const afterId = query.get('after_id');
  const beforeId = query.get('before_id');
  if (afterId && beforeId)
    throw new AnthropicApiError('invalid_request_error', 'Only one of after_id and before_id may be given.');
  // The listLagMs fault: the list lags behind creation (eventual consistency), retrieve does not.
  const lag = ctx.faults.options.listLagMs ?? 0;
  const now = ctx.clock.now();
  const all = ctx.store.all().filter((b) => now - b.createdMs >= lag);
  let page: MessageBatchRecord[];
  let hasMore: boolean;
  if (beforeId) {
    const at = all.findIndex((b) => b.id === beforeId);
    const from = Math.max(0, at - limit);
    page = at <= 0 ? [] : all.slice(from, at);
    hasMore = at > 0 && from > 0;
  } else {
    const from = afterId ? all.findIndex((b) => b.id === afterId) + 1 : 0;
    page = afterId && from === 0 ? [] : all.slice(from, from + limit);
    hasMore = page.length > 0 && from + page.length < all.length;
  }
  const data = [];
  for (const b of page) data.push(messageBatchObject(await refresh(ctx, b), ctx.clock.now(), call.origin));
  sendAnthropicJson(
    res,
    200,
    { data, has_more: hasMore, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null },
    ctx.counter,
  );
}

/** The results file, streamed: only once the batch has ended, and only for 29 days after creation. */
export async function messageBatchResults(ctx: AnthropicContext, id: string, res: ServerResponse): Promise<void> {
  const rec = await refresh(ctx, found(ctx, id));
  if (rec.status !== 'ended')
    throw new AnthropicApiError(
      'invalid_request_error',
      `Message Batch ${id} has not finished processing: results are available once processing_status is 'ended'.`,
    );
  if (ctx.clock.now() >= rec.createdMs + RETENTION_MS)
    throw new AnthropicApiError(
      'not_found_error',
      `The results of Message Batch ${id} are no longer available: results are kept for 29 days after the batch was created.`,
    );
  const file = ctx.store.results(id);
  const { size } = await stat(file);
  res.writeHead(200, { 'content-type': 'application/binary', 'content-length': String(size) });
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  stream.on('data', (c) => ctx.counter.addOut(c.length));
  await pipeline(stream, res);
}

/** Test control (POST /_emulator/batches/{id}/expire): the batch's unprocessed requests expire now. */
export async function forceExpireMessageBatch(
  ctx: AnthropicContext,
  id: string,
  res: ServerResponse,
  origin: string,
): Promise<void> {
  reply(ctx, res, await forceExpire(ctx, found(ctx, id)), { origin, version: '' });
}
