/**
 * A message batch's life, computed lazily like the OpenAI side's: whenever it is read it is
 * advanced to the clock's now, replaying what happened since (each transition at the time it
 * happened). `in_progress` from creation (requests start after a short queueing delay and run at
 * the emulator's rate) → `ended`; `canceling` → `ended` with the unprocessed requests `canceled`;
 * 24 h after creation (or on a forced/fractional expiry fault) the unprocessed ones are `expired`.
 * Results are shuffled into their final file when the batch ends (the API promises no order).
 */
import { rm } from 'node:fs/promises';
import { CANCELLING_MS, FINALIZING_MS, REQUESTS_PER_SECOND, VALIDATING_MS } from '../context.ts';
import { readLines } from '../lines.ts';
import { mulberry32, seedFrom, shuffleInPlace } from '../prng.ts';
import { LineWriter } from '../writer.ts';
import { RETENTION_MS, type AnthropicContext } from './context.ts';
import { AnthropicApiError } from './errors.ts';
import { closeUnprocessed, processUpTo } from './execute.ts';
import type { MessageBatchRecord } from './types.ts';

const WINDOW = 1000;

const perMsOf = (rec: MessageBatchRecord): number => (REQUESTS_PER_SECOND * rec.speed) / 1000;
const startOf = (rec: MessageBatchRecord): number => rec.createdMs + VALIDATING_MS / rec.speed;

/** When the unprocessed requests expire: the 24 h window, a forced expiry, or `expireAfterFraction`. */
function expiryOf(ctx: AnthropicContext, rec: MessageBatchRecord): number {
  let at = Math.min(rec.expiresMs, rec.forcedExpireMs ?? Infinity);
  const fraction = ctx.faults.options.expireAfterFraction;
  if (fraction !== undefined) at = Math.min(at, startOf(rec) + Math.ceil(fraction * rec.total) / perMsOf(rec));
  return at;
}

async function writeResults(ctx: AnthropicContext, rec: MessageBatchRecord): Promise<void> {
  const random = mulberry32(seedFrom(ctx.seed, rec.id, 'results'));
  const out = LineWriter.create(ctx.store.results(rec.id));
  let window: string[] = [];
  const flush = async () => {
    shuffleInPlace(window, random);
    await out.write(window.join('\n') + '\n');
    window = [];
  };
  try {
    for await (const { text } of readLines(ctx.store.part(rec.id))) {
      if (text === '') continue;
      window.push(text);
      if (window.length === WINDOW) await flush();
    }
    if (window.length > 0) await flush();
  } finally {
    await out.close();
  }
}

async function end(
  ctx: AnthropicContext,
  rec: MessageBatchRecord,
  unprocessed: 'canceled' | 'expired' | null,
  at: number,
): Promise<void> {
  if (unprocessed) await closeUnprocessed(ctx, rec, unprocessed);
  await writeResults(ctx, rec);
  rec.status = 'ended';
  rec.endedMs = at;
  await ctx.store.save(rec);
  // The working files are only needed while the batch runs.
  await rm(ctx.store.requests(rec.id), { force: true });
  await rm(ctx.store.part(rec.id), { force: true });
}

/** Advances `rec` through everything due by `now`. Call only under the batch's lock. */
export async function advance(
  ctx: AnthropicContext,
  rec: MessageBatchRecord,
  now: number,
): Promise<MessageBatchRecord> {
  const perMs = perMsOf(rec);
  const start = startOf(rec);
  const countAt = (t: number) => Math.max(0, Math.min(rec.total, Math.floor((t - start) * perMs + 1e-6)));
  if (rec.status === 'in_progress') {
    const doneAt = start + rec.total / perMs;
    const expiry = expiryOf(ctx, rec);
    if (expiry <= now && expiry < doneAt) {
      await processUpTo(ctx, rec, countAt(expiry));
      await end(ctx, rec, 'expired', expiry);
    } else {
      await processUpTo(ctx, rec, countAt(now));
      const endAt = doneAt + FINALIZING_MS / rec.speed;
      if (endAt <= now) await end(ctx, rec, null, endAt);
    }
  } else if (rec.status === 'canceling') {
    const due = (rec.cancelInitiatedMs ?? now) + CANCELLING_MS / rec.speed;
    if (due <= now) await end(ctx, rec, 'canceled', due);
  }
  if (rec.status === 'ended' && now >= rec.createdMs + RETENTION_MS)
    await rm(ctx.store.results(rec.id), { force: true });
  return rec;
}

export function refresh(ctx: AnthropicContext, rec: MessageBatchRecord): Promise<MessageBatchRecord> {
  return ctx.locks.run(rec.id, () => advance(ctx, rec, ctx.clock.now()));
}

export async function refreshAll(ctx: AnthropicContext): Promise<void> {
  for (const b of ctx.store.all().reverse()) if (b.status !== 'ended') await refresh(ctx, b);
}

export function found(ctx: AnthropicContext, id: string): MessageBatchRecord {
  const rec = ctx.store.get(id);
  if (!rec) throw new AnthropicApiError('not_found_error', `Message Batch ${id} not found.`);
  return rec;
}

/** Requests already running may still finish (they were processed up to now); the rest are canceled at the end. */
export function cancel(ctx: AnthropicContext, rec: MessageBatchRecord): Promise<MessageBatchRecord> {
  return ctx.locks.run(rec.id, async () => {
    const now = ctx.clock.now();
    await advance(ctx, rec, now);
    if (rec.status === 'ended')
      throw new AnthropicApiError(
        'invalid_request_error',
        `Message Batch ${rec.id} has already ended and can no longer be canceled.`,
      );
    if (rec.status === 'canceling') return rec;
    rec.status = 'canceling';
    rec.cancelInitiatedMs = now;
    await ctx.store.save(rec);
    return rec;
  });
}

export function remove(ctx: AnthropicContext, rec: MessageBatchRecord): Promise<void> {
  return ctx.locks.run(rec.id, async () => {
    await advance(ctx, rec, ctx.clock.now());
    if (rec.status !== 'ended')
      throw new AnthropicApiError(
        'invalid_request_error',
        `Message Batch ${rec.id} is still being processed and cannot be deleted. Cancel it first, then delete it once it has ended.`,
      );
    await ctx.store.delete(rec.id);
  });
}

/** Test control: expire the unprocessed requests now (no-op once canceling or ended). */
export function forceExpire(ctx: AnthropicContext, rec: MessageBatchRecord): Promise<MessageBatchRecord> {
  return ctx.locks.run(rec.id, async () => {
    const now = ctx.clock.now();
    await advance(ctx, rec, now);
    if (rec.status !== 'in_progress') return rec;
    rec.forcedExpireMs = now;
    return advance(ctx, rec, now);
  });
}
