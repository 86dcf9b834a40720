/**
 * A Gemini batch on the shared lifecycle (../lifecycle.ts): PENDING while queued (a bad input
 * file fails it then), RUNNING while its requests run, SUCCEEDED with its results published in
 * input order: inline ones kept for the operation, a file's as `files/batch-<id>`. A cancelled
 * batch keeps the rows finished before the cancel; an expired one (48 h) has no results at all,
 * so the requests it ran are taken back from the ledger: not delivered, not paid.
 */
import { rename } from 'node:fs/promises';
import { Lifecycle } from '../lifecycle.ts';
import { readLines } from '../lines.ts';
import type { GeminiContext } from './context.ts';
import { executeBatch } from './execute.ts';
import type { GeminiBatch } from './types.ts';

async function takeBack(ctx: GeminiContext, b: GeminiBatch): Promise<void> {
  if (!b.parts.paid) return;
  await ctx.ledger.refresh();
  for await (const { text } of readLines(ctx.batches.part(b.id, 'paid')))
    if (text) ctx.ledger.markTakenBack(JSON.parse(text) as string);
  await ctx.ledger.flush();
}

async function publish(ctx: GeminiContext, b: GeminiBatch, at: number, outcome: 'completed' | 'expired' | 'cancelled') {
  if (outcome === 'expired') {
    b.error = {
      status: 'DEADLINE_EXCEEDED',
      message: 'The batch expired: it was pending or running for more than 48 hours.',
    };
    return takeBack(ctx, b);
  }
  if (outcome === 'cancelled') b.error = { status: 'CANCELLED', message: 'The batch was cancelled.' };
  if ((b.parts.results?.lines ?? 0) === 0) return;
  const part = ctx.batches.part(b.id, 'results');
  if (b.inputFile === null) return rename(part, ctx.batches.file(b.id, 'results.jsonl'));
  const id = `batch-${b.id}`;
  // Retention of result files is not documented: they live until deleted (which the service refuses).
  const meta = { filename: id, purpose: 'batch_output', mimeType: 'application/jsonl', createdMs: at, expiresAt: null };
  await ctx.files.add(part, meta, id);
  b.responsesFile = `files/${id}`;
}

export function geminiLifecycle(ctx: GeminiContext): Lifecycle<GeminiBatch> {
  return new Lifecycle(ctx, ctx.batches, {
    admit: (b) => {
      if (b.badInput) b.error = { status: 'INVALID_ARGUMENT', message: b.badInput };
      return Promise.resolve(b.badInput === null);
    },
    execute: (b, target) => executeBatch(ctx, b, target),
    publish: (b, at, outcome) => publish(ctx, b, at, outcome),
  });
}
