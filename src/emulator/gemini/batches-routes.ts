/**
 * The batch routes: `models/{model}:batchGenerateContent` (create: checked and counted at once,
 * answered with the long-running operation), `batches/{id}` (get, delete), `batches` (list),
 * `batches/{id}:cancel`. Creates are refused with 429 RESOURCE_EXHAUSTED past the concurrent
 * batch limit or the model's enqueued-token quota: the docs name both limits but not how a create
 * over them fails, so that answer is this emulator's choice.
 */
import { rm } from 'node:fs/promises';
import { sendJson } from '../http.ts';
import { isActive, newJob, queuedTokens } from '../job.ts';
import { LOWER_ALNUM, randomChars } from '../ids.ts';
import { seedFrom } from '../prng.ts';
import { BATCH_WINDOW_MS, type GeminiContext } from './context.ts';
import { parseCreate, writeInput, type Written } from './create-request.ts';
import { GoogleApiError, notFound } from './errors.ts';
import type { GeminiCall } from './files-routes.ts';
import { readJson } from './json-body.ts';
import { bareModel } from './models.ts';
import { compareKeys, pageOf, type SortKey } from './pages.ts';
import type { GeminiBatch } from './types.ts';
import { operationOf } from './wire.ts';

const exhausted = (message: string) => new GoogleApiError('RESOURCE_EXHAUSTED', message);

function checkQuota(ctx: GeminiContext, model: string, written: Written): void {
  const limit = ctx.limits.maxEnqueuedTokens(model);
  const queued = queuedTokens(ctx.batches.all(), model);
  if (limit !== undefined && queued + written.tokens > limit)
    throw exhausted(
      `Quota exceeded for quota metric 'Batch Enqueued Tokens' and limit 'Batch enqueued tokens per model' of service 'generativelanguage.googleapis.com' for model ${model}: ${queued} tokens are enqueued, this batch adds ${written.tokens}, the limit is ${limit}.`,
    );
  ctx.stats.peak(model, queued + written.tokens);
}

export async function createBatch(call: GeminiCall): Promise<void> {
  const { ctx } = call;
  const model = bareModel(call.id);
  if (!ctx.models.isKnown(model))
    throw new GoogleApiError(
      'NOT_FOUND',
      `models/${model} is not found for API version v1beta, or is not supported for batchGenerateContent. Call ListModels to see the list of available models and their supported methods.`,
    );
  const input = parseCreate(await readJson(call.req, ctx.counter, ctx.limits.maxInlineBytes));
  const now = ctx.clock.now();
  const source = input.fileName === null ? null : ctx.files.get(input.fileName.slice('files/'.length), now);
  if (input.fileName !== null && !source)
    throw new GoogleApiError(
      'PERMISSION_DENIED',
      `You do not have permission to access the File ${input.fileName} or it may not exist.`,
    );
  await ctx.jobs.refreshAll();
  if (ctx.batches.all().filter(isActive).length >= ctx.limits.maxConcurrentBatches)
    throw exhausted(
      `Too many batch jobs at once: at most ${ctx.limits.maxConcurrentBatches} may be pending or running.`,
    );
  // Like the real ids: 36 lowercase letters and digits (`batches/leg9wy9p5df66syjxke2eq4xfjqcwp47ejv3`).
  const id = randomChars(36, LOWER_ALNUM);
  let written: Written;
  try {
    written = await writeInput(ctx, id, model, input, source ? ctx.files.contentPath(source.id) : null);
    checkQuota(ctx, model, written);
  } catch (e) {
    await rm(ctx.batches.workDir(id), { recursive: true, force: true });
    throw e;
  }
  const b: GeminiBatch = {
    ...newJob(id, ctx.batches.nextSeq(), ctx.speed, now, now + BATCH_WINDOW_MS, written.total),
    displayName: input.displayName,
    model,
    inputFile: input.fileName,
    priority: input.priority,
    enqueuedTokens: written.tokens,
    succeeded: 0,
    failed: 0,
    badInput: written.badInput,
    error: null,
    responsesFile: null,
  };
  await ctx.batches.save(b);
  ctx.stats.add('batchesCreated');
  sendJson(call.res, 200, await operationOf(ctx, b), ctx.counter);
}

/** A batch of this project that was not deleted, or Google's 404. */
function found(ctx: GeminiContext, id: string): GeminiBatch {
  const b = ctx.batches.visible(id);
  if (!b) throw notFound();
  return b;
}

export async function getBatch(call: GeminiCall): Promise<void> {
  const b = await call.ctx.jobs.refresh(found(call.ctx, call.id));
  sendJson(call.res, 200, await operationOf(call.ctx, b), call.ctx.counter);
}

/**
 * The list's order is not documented. By default it is a fixed order drawn from the seed, neither
 * newest nor oldest first, so a client that assumes an order (instead of paging through all, as
 * finding a batch again by its display name must) fails its tests here rather than in production.
 */
function orderKey(ctx: GeminiContext): (b: GeminiBatch) => SortKey {
  if (ctx.listOrder === 'newest') return (b) => [-b.seq];
  if (ctx.listOrder === 'oldest') return (b) => [b.seq];
  return (b) => [seedFrom(ctx.seed, 'list', b.id), b.seq];
}

export async function listBatches(call: GeminiCall): Promise<void> {
  const { ctx, query } = call;
  if (query.get('filter'))
    throw new GoogleApiError(
      'INVALID_ARGUMENT',
      'The emulator does not filter batches: the filter syntax for batches is not documented.',
    );
  const key = orderKey(ctx);
  const all = ctx.batches
    .listed(ctx.clock.now(), ctx.faults.options.listLagMs)
    .sort((a, b) => compareKeys(key(a), key(b)));
  const { page, nextPageToken } = pageOf(all, key, query, 50, 1000);
  const operations = [];
  for (const b of page) operations.push(await operationOf(ctx, await ctx.jobs.refresh(b), 'list'));
  sendJson(
    call.res,
    200,
    { ...(operations.length ? { operations } : {}), ...(nextPageToken ? { nextPageToken } : {}) },
    ctx.counter,
  );
}

/** Best effort, as Google says: a batch already ended stays as it was; the answer is empty either way. */
export async function cancelBatch(call: GeminiCall): Promise<void> {
  await call.ctx.jobs.cancel(found(call.ctx, call.id));
  sendJson(call.res, 200, {}, call.ctx.counter);
}

/** Gone from get and list at once; its work is not cancelled (the API says so), and goes on being paid for. */
export async function deleteBatch({ ctx, id, res }: GeminiCall): Promise<void> {
  await ctx.jobs.hide(found(ctx, id));
  sendJson(res, 200, {}, ctx.counter);
}
