/**
 * The batch lifecycle, computed lazily: whenever a batch is read, it is advanced to the clock's
 * now, replaying the transitions it went through since it was last looked at (each at the time
 * it happened, not the time of the read) and persisting them. One batch is only ever advanced
 * under its own lock, so concurrent reads never validate or materialize twice.
 */
import { CANCELLING_MS, FINALIZING_MS, REQUESTS_PER_SECOND, VALIDATING_MS, type EmulatorContext } from './context.ts';
import { azureLineError } from './azure/line-errors.ts';
import { executeUpTo, writeUnfinished } from './execution.ts';
import { ApiError } from './http.ts';
import { cleanUp, materialize } from './materialize.ts';
import { TERMINAL, type BatchRecord } from './types.ts';
import { validateInput } from './validation.ts';

const endOf = (b: BatchRecord): number | null => b.completedMs ?? b.expiredMs ?? b.cancelledMs ?? b.failedMs;

/** Prompt tokens of other batches for `model` that were enqueued (validated, unfinished) at `at`. */
async function enqueuedAt(ctx: EmulatorContext, rec: BatchRecord, model: string, at: number): Promise<number> {
  let sum = 0;
  // Oldest first: an earlier batch may still owe its own validation, which must happen first.
  for (const b of ctx.batches.all().reverse()) {
    if (b.seq >= rec.seq) break;
    if (!TERMINAL.has(b.status)) await ctx.locks.run(b.id, () => advance(ctx, b, at));
    const end = endOf(b);
    if (
      b.model === model &&
      b.inProgressMs !== null &&
      b.inProgressMs <= at &&
      (end === null || end > at) &&
      b.failedMs === null
    )
      sum += b.enqueuedTokens;
  }
  return sum;
}

async function validate(ctx: EmulatorContext, rec: BatchRecord, at: number): Promise<void> {
  const v = await validateInput(
    ctx.batches.input(rec.id),
    rec.endpoint,
    ctx.batches.tokens(rec.id),
    ctx.isKnownModel,
    ctx.maxRequestsPerBatch,
  );
  if (ctx.azure) v.errors = v.errors.map(azureLineError);
  rec.model = v.model;
  if (v.errors.length > 0) return fail(ctx, rec, at, v.errors);
  const model = v.model ?? '';
  const others = await enqueuedAt(ctx, rec, model, at);
  const limit = ctx.tokenLimit(model);
  // Providers count enqueued tokens their own way (OpenAI-compatible servers have been seen at
  // ~1.45× a tiktoken count): the factor lets tests show a client whose estimate runs low.
  const tokens = Math.ceil(v.tokens * ctx.enqueuedTokenFactor);
  if (limit !== undefined && others + tokens > limit) {
    const message = `Enqueued token limit reached for ${model} in organization org-emulator. Limit: ${limit.toLocaleString('en-US')} enqueued tokens. Please try again once some in_progress batches have been completed.`;
    return fail(ctx, rec, at, [{ code: 'token_limit_exceeded', message, param: null, line: null }]);
  }
  ctx.stats.peak(model, others + tokens);
  rec.total = v.total;
  rec.enqueuedTokens = tokens;
  rec.status = 'in_progress';
  rec.inProgressMs = at;
  await ctx.batches.save(rec);
}

async function fail(ctx: EmulatorContext, rec: BatchRecord, at: number, errors: BatchRecord['errors']): Promise<void> {
  rec.status = 'failed';
  rec.failedMs = at;
  rec.errors = errors;
  await ctx.batches.save(rec);
  await cleanUp(ctx, rec);
}

/** When this batch expires: the 24 h window, a forced expiry, or the `expireAfterFraction` fault. */
function expiryOf(ctx: EmulatorContext, rec: BatchRecord, perMs: number): number {
  // Azure does not expire jobs at 24 h: they run until done or cancelled (providers.md B.5).
  let at = Math.min(ctx.azure ? Infinity : rec.expiresMs, rec.forcedExpireMs ?? Infinity);
  const fraction = ctx.faults.options.expireAfterFraction;
  if (fraction !== undefined && rec.inProgressMs !== null)
    at = Math.min(at, rec.inProgressMs + Math.ceil(fraction * rec.total) / perMs);
  return at;
}

async function finish(
  ctx: EmulatorContext,
  rec: BatchRecord,
  status: 'completed' | 'expired' | 'cancelled',
  at: number,
): Promise<void> {
  if (status === 'expired') await writeUnfinished(ctx, rec, 'batch_expired');
  if (status === 'cancelled') await writeUnfinished(ctx, rec, 'batch_cancelled');
  await materialize(ctx, rec, at);
  rec.status = status;
  if (status === 'completed') rec.completedMs = at;
  else if (status === 'expired') rec.expiredMs = at;
  else rec.cancelledMs = at;
  await ctx.batches.save(rec);
  await cleanUp(ctx, rec);
}

/** Advances `rec` through every transition due by `now`. Call only under the batch's lock. */
export async function advance(ctx: EmulatorContext, rec: BatchRecord, now: number): Promise<BatchRecord> {
  const perMs = (REQUESTS_PER_SECOND * rec.speed) / 1000;
  for (;;) {
    switch (rec.status) {
      case 'validating': {
        const due = rec.createdMs + VALIDATING_MS / rec.speed;
        const expiry = expiryOf(ctx, rec, perMs);
        if (expiry <= now && expiry < due) {
          await finish(ctx, rec, 'expired', expiry);
          break;
        }
        if (now < due) return rec;
        await validate(ctx, rec, due);
        break;
      }
      case 'in_progress': {
        const start = rec.inProgressMs ?? rec.createdMs;
        const doneAt = start + rec.total / perMs;
        const expiry = expiryOf(ctx, rec, perMs);
        const countAt = (t: number) => Math.min(rec.total, Math.floor((t - start) * perMs + 1e-6));
        if (expiry <= now && expiry < doneAt) {
          await executeUpTo(ctx, rec, countAt(expiry));
          await finish(ctx, rec, 'expired', expiry);
          break;
        }
        if (doneAt > now) {
          await executeUpTo(ctx, rec, countAt(now));
          return rec;
        }
        await executeUpTo(ctx, rec, rec.total);
        rec.status = 'finalizing';
        rec.finalizingMs = doneAt;
        await ctx.batches.save(rec);
        break;
      }
      case 'finalizing': {
        const due = (rec.finalizingMs ?? now) + FINALIZING_MS / rec.speed;
        if (now < due) return rec;
        await finish(ctx, rec, 'completed', due);
        break;
      }
      case 'cancelling': {
        const due = (rec.cancellingMs ?? now) + CANCELLING_MS / rec.speed;
        if (now < due) return rec;
        await finish(ctx, rec, 'cancelled', due);
        break;
      }
      default:
        return rec;
    }
  }
}

/** Reads a batch, advanced to now. */
export function refresh(ctx: EmulatorContext, rec: BatchRecord): Promise<BatchRecord> {
  return ctx.locks.run(rec.id, () => advance(ctx, rec, ctx.clock.now()));
}

/**
 * Advances every unfinished batch to now, oldest first (an older batch's validation must happen
 * before a newer one counts enqueued tokens). For views over many objects (the files list, stats)
 * that must show what a batch nobody has read yet has already produced.
 */
export async function refreshAll(ctx: EmulatorContext): Promise<void> {
  for (const b of ctx.batches.all().reverse()) if (!TERMINAL.has(b.status)) await refresh(ctx, b);
}

export function cancel(ctx: EmulatorContext, rec: BatchRecord): Promise<BatchRecord> {
  return ctx.locks.run(rec.id, async () => {
    const now = ctx.clock.now();
    await advance(ctx, rec, now);
    // No x-should-retry header: the real API's behaviour is unknown, so the SDK retries this 409.
    if (TERMINAL.has(rec.status)) throw new ApiError(409, `Cannot cancel a batch with status '${rec.status}'.`);
    if (rec.status === 'cancelling') return rec;
    rec.status = 'cancelling';
    rec.cancellingMs = now;
    await ctx.batches.save(rec);
    return rec;
  });
}

/** Test control: expire a batch now (no-op once it is finishing, cancelling or terminal). */
export function forceExpire(ctx: EmulatorContext, rec: BatchRecord): Promise<BatchRecord> {
  return ctx.locks.run(rec.id, async () => {
    const now = ctx.clock.now();
    await advance(ctx, rec, now);
    if (rec.status !== 'validating' && rec.status !== 'in_progress') return rec;
    rec.forcedExpireMs = now;
    return advance(ctx, rec, now);
  });
}
