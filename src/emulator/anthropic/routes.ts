/** The /v1/messages/batches routes: create, retrieve, list, cancel, delete, results. */
import { mkdir, rm } from 'node:fs/promises';
import { sendJson, streamFile } from '../http.ts';
import { newJob } from '../job.ts';
import type { Call } from '../router.ts';
import { LineWriter } from '../writer.ts';
import { RETENTION_MS, WINDOW_MS, type AnthropicContext } from './context.ts';
import { parseRequests, readBody } from './create-request.ts';
import { AnthropicApiError } from './errors.ts';
import { newMessageBatchId } from './ids.ts';
import { cancel, found, remove, results } from './lifecycle.ts';
import { emptyCounts, type MessageBatchRecord } from './types.ts';
import { messageBatchObject } from './wire.ts';

/** A call to these routes: `auth` is the `anthropic-version` it was made with. */
export type AnthropicCall = Call<AnthropicContext, string>;

const reply = ({ ctx, res, origin }: AnthropicCall, rec: MessageBatchRecord) =>
  sendJson(res, 200, messageBatchObject(rec, ctx.clock.now(), origin), ctx.counter);

export async function createMessageBatch(call: AnthropicCall): Promise<void> {
  const { ctx } = call;
  const requests = parseRequests(ctx, await readBody(ctx, call.req));
  const now = ctx.clock.now();
  const rec: MessageBatchRecord = {
    ...newJob(newMessageBatchId(), ctx.batches.nextSeq(), ctx.speed, now, now + WINDOW_MS, requests.length),
    version: call.auth,
    counts: emptyCounts(),
  };
  await mkdir(ctx.batches.workDir(rec.id), { recursive: true });
  const out = LineWriter.create(ctx.batches.input(rec.id));
  try {
    for (const r of requests) await out.line(r);
  } finally {
    await out.close();
  }
  await ctx.batches.save(rec);
  ctx.stats.add('batchesCreated');
  reply(call, rec);
}

export async function retrieveMessageBatch(call: AnthropicCall): Promise<void> {
  reply(call, await call.ctx.jobs.refresh(found(call.ctx, call.id)));
}

export async function cancelMessageBatch(call: AnthropicCall): Promise<void> {
  reply(call, await cancel(call.ctx, found(call.ctx, call.id)));
}

export async function deleteMessageBatch({ ctx, id, res }: AnthropicCall): Promise<void> {
  await remove(ctx, found(ctx, id));
  sendJson(res, 200, { id, type: 'message_batch_deleted' }, ctx.counter);
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
export async function listMessageBatches(call: AnthropicCall): Promise<void> {
  const { ctx, query } = call;
  const limit = limitOf(query.get('limit'));
  const afterId = query.get('after_id');
  const beforeId = query.get('before_id');
  if (afterId && beforeId)
    throw new AnthropicApiError('invalid_request_error', 'Only one of after_id and before_id may be given.');
  const all = ctx.batches.listed(ctx.clock.now(), ctx.faults.options.listLagMs);
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
  for (const b of page) data.push(messageBatchObject(await ctx.jobs.refresh(b), ctx.clock.now(), call.origin));
  sendJson(
    call.res,
    200,
    { data, has_more: hasMore, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null },
    ctx.counter,
  );
}

/** The results file, streamed: only once the batch has ended, and only for 29 days after creation. */
export async function messageBatchResults({ ctx, id, res }: AnthropicCall): Promise<void> {
  const rec = await ctx.jobs.refresh(found(ctx, id));
  if (rec.phase !== 'ended')
    throw new AnthropicApiError(
      'invalid_request_error',
      `Message Batch ${id} has not finished processing: results are available once processing_status is 'ended'.`,
    );
  if (ctx.clock.now() >= rec.createdMs + RETENTION_MS) {
    await rm(results(ctx, id), { force: true });
    throw new AnthropicApiError(
      'not_found_error',
      `The results of Message Batch ${id} are no longer available: results are kept for 29 days after the batch was created.`,
    );
  }
  await streamFile(res, results(ctx, id), ctx.counter, { 'content-type': 'application/binary' });
}
