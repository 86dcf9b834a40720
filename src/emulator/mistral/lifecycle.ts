/**
 * A Mistral job on the shared lifecycle (../lifecycle.ts): QUEUED, then its lines are checked
 * (lines that are no request, or more than 100,000, fail it with `errors: [{message, count}]`),
 * RUNNING, and SUCCESS with its output and error files (shuffled: clients re-sort by custom_id);
 * `timeout_hours` after creation unfinished work is TIMEOUT_EXCEEDED, a cancel ends it CANCELLED,
 * both keeping the lines done. Result files can be downloaded for 24 h, then they are gone.
 */
import { Lifecycle } from '../lifecycle.ts';
import { publishParts } from '../publish.ts';
import { RESULTS_LIFETIME_S, type MistralContext } from './context.ts';
import { executeJob } from './execute.ts';
import type { MistralJob } from './types.ts';

function admit(ctx: MistralContext, j: MistralJob): Promise<boolean> {
  j.errors = [...j.rejectedLines];
  if (j.total > ctx.limits.maxRequests)
    j.errors.push({
      message: `The job has ${j.total} requests: at most ${ctx.limits.maxRequests} are allowed.`,
      count: 1,
    });
  return Promise.resolve(j.errors.length === 0);
}

async function publish(ctx: MistralContext, j: MistralJob, at: number): Promise<void> {
  const ids = await publishParts(ctx.batches, ctx.files, ctx.seed, j, ['output', 'error'], (kind) => ({
    filename: `batch-${j.id}-${kind}.jsonl`,
    purpose: kind === 'output' ? 'batch_result' : 'batch_error',
    mimeType: 'application/jsonl',
    createdMs: at,
    expiresAt: Math.floor(at / 1000) + RESULTS_LIFETIME_S,
  }));
  j.outputFile = ids.output;
  j.errorFile = ids.error;
}

export function mistralLifecycle(ctx: MistralContext): Lifecycle<MistralJob> {
  return new Lifecycle(ctx, ctx.batches, {
    admit: (j) => admit(ctx, j),
    execute: (j, target) => executeJob(ctx, j, target),
    publish: (j, at) => publish(ctx, j, at),
  });
}
