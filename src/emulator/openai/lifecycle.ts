/**
 * The OpenAI flavour on the shared lifecycle (../lifecycle.ts): a batch is `validating` while
 * queued, then its input is validated (line errors or the enqueued-token limit fail it), its
 * requests run, and its output and error files are published as it ends.
 */
import { Lifecycle } from '../lifecycle.ts';
import { azureLineError } from '../azure/line-errors.ts';
import type { EmulatorContext } from './context.ts';
import { executeBatch, writeUnfinished } from './execution.ts';
import { materialize } from './materialize.ts';
import type { BatchRecord } from './types.ts';
import { validateInput } from './validation.ts';

/** Prompt tokens of other batches for `model` that were enqueued (validated, unfinished) at `at`. */
async function enqueuedAt(ctx: EmulatorContext, rec: BatchRecord, model: string, at: number): Promise<number> {
  let sum = 0;
  // Oldest first: an earlier batch may still owe its own validation, which must happen first.
  for (const b of ctx.batches.all().reverse()) {
    if (b.seq >= rec.seq) break;
    if (b.phase !== 'ended') await ctx.locks.run(b.id, () => ctx.jobs.advance(b, at));
    const running = b.runningMs !== null && b.runningMs <= at;
    if (b.model === model && running && (b.endedMs === null || b.endedMs > at)) sum += b.enqueuedTokens;
  }
  return sum;
}

async function validate(ctx: EmulatorContext, rec: BatchRecord, at: number): Promise<boolean> {
  const v = await validateInput(
    ctx.batches.input(rec.id),
    rec.endpoint,
    ctx.batches.file(rec.id, 'tokens.bin'),
    ctx.isKnownModel,
    ctx.maxRequestsPerBatch,
  );
  if (ctx.azure) v.errors = v.errors.map(azureLineError);
  rec.model = v.model;
  if (v.errors.length > 0) {
    rec.errors = v.errors;
    return false;
  }
  const model = v.model ?? '';
  const others = await enqueuedAt(ctx, rec, model, at);
  const limit = ctx.tokenLimit(model);
  // Providers count enqueued tokens their own way (OpenAI-compatible servers have been seen at
  // ~1.45× a tiktoken count): the factor lets tests show a client whose estimate runs low.
  const tokens = Math.ceil(v.tokens * ctx.enqueuedTokenFactor);
  if (limit !== undefined && others + tokens > limit) {
    const message = `Enqueued token limit reached for ${model} in organization org-emulator. Limit: ${limit.toLocaleString('en-US')} enqueued tokens. Please try again once some in_progress batches have been completed.`;
    rec.errors = [{ code: 'token_limit_exceeded', message, param: null, line: null }];
    return false;
  }
  ctx.stats.peak(model, others + tokens);
  rec.total = v.total;
  rec.enqueuedTokens = tokens;
  return true;
}

/** The lifecycle of this context's batches (set on the context as `jobs`). */
export function openaiLifecycle(ctx: EmulatorContext): Lifecycle<BatchRecord> {
  return new Lifecycle(ctx, ctx.batches, {
    admit: (rec, at) => validate(ctx, rec, at),
    execute: (rec, target) => executeBatch(ctx, rec, target),
    close: (rec, outcome) => writeUnfinished(ctx, rec, outcome),
    publish: (rec, at) => materialize(ctx, rec, at),
  });
}
