/**
 * A message batch on the shared lifecycle (../lifecycle.ts): `in_progress` from creation (its
 * requests start after the queueing delay and run at the emulator's rate) until it has `ended`;
 * `canceling` → `ended` with the unprocessed requests `canceled`; 24 h after creation (or on a
 * forced/fractional expiry fault) the unprocessed ones are `expired`. Results are shuffled into
 * their final file as the batch ends (the API promises no order).
 */
import { Lifecycle } from '../lifecycle.ts';
import { shuffleLines } from '../shuffle.ts';
import type { AnthropicContext } from './context.ts';
import { AnthropicApiError } from './errors.ts';
import { closeUnprocessed, processUpTo } from './execute.ts';
import type { MessageBatchRecord } from './types.ts';

/** The lifecycle of the context's message batches (set on the context as `jobs`). */
export function anthropicLifecycle(ctx: AnthropicContext): Lifecycle<MessageBatchRecord> {
  return new Lifecycle(ctx, ctx.batches, {
    execute: (rec, target) => processUpTo(ctx, rec, target),
    close: (rec, outcome) => closeUnprocessed(ctx, rec, outcome),
    publish: (rec) =>
      shuffleLines(ctx.batches.part(rec.id, 'results'), results(ctx, rec.id), ctx.seed, rec.id, 'results'),
  });
}

/** The results file of an ended batch. */
export const results = (ctx: AnthropicContext, id: string): string => ctx.batches.file(id, 'results.jsonl');

export function found(ctx: AnthropicContext, id: string): MessageBatchRecord {
  const rec = ctx.batches.get(id);
  if (!rec) throw new AnthropicApiError('not_found_error', `Message Batch ${id} not found.`);
  return rec;
}

/** Requests already running may still finish (they were processed up to now); the rest are canceled at the end. */
export const cancel = (ctx: AnthropicContext, rec: MessageBatchRecord): Promise<MessageBatchRecord> =>
  ctx.jobs.cancel(rec, (ended) => {
    throw new AnthropicApiError(
      'invalid_request_error',
      `Message Batch ${ended.id} has already ended and can no longer be canceled.`,
    );
  });

export const remove = (ctx: AnthropicContext, rec: MessageBatchRecord): Promise<void> =>
  ctx.jobs.at(rec, async (r) => {
    if (r.phase !== 'ended')
      throw new AnthropicApiError(
        'invalid_request_error',
        `Message Batch ${r.id} is still being processed and cannot be deleted. Cancel it first, then delete it once it has ended.`,
      );
    await ctx.batches.delete(r.id);
  });
