/**
 * Drives one recorded part as far as it can go right now: finish its submission, read its status
 * (from the build's list snapshot, else one retrieve) and collect it once it is terminal.
 */
import { TERMINAL_STATUSES, describeApiError, type RemoteBatch } from '../../providers/batch-api.ts';
import { providerSpec } from '../../providers/registry.ts';
import { collectPart } from './collect.ts';
import type { Part } from './ledger.ts';
import type { RequestFile } from '../work/request-file.ts';
import type { BatchRun, StepResult } from './run-context.ts';
import { advanceSubmit } from './submit.ts';

export async function advancePart(run: BatchRun, part: Part, current: RequestFile): Promise<StepResult> {
  if (part.state === 'intent' || part.state === 'uploaded' || part.state === 'creating') {
    const step = await advanceSubmit(run, part);
    if (step.kind !== 'advanced' || (part.state as Part['state']) !== 'submitted') return step;
  }
  if (part.state !== 'submitted' || !part.batchId) return { kind: 'advanced' };
  if (run.createdThisRun.has(part.batchId))
    return { kind: 'waiting', why: `part ${part.n} submitted as ${part.batchId}` };

  const batch = await currentStatus(run, part.batchId);
  if (!batch.ok) return batch.step;
  part.status = batch.value.status;
  part.counts = batch.value.requestCounts;
  if (!TERMINAL_STATUSES.has(batch.value.status)) {
    const c = batch.value.requestCounts;
    // Anthropic reports counts only once a batch has ended: say what is in flight, not a false 0/n.
    const progress = run.svc.api.traits.countsOnlyAtEnd
      ? `, ${part.requests} requests`
      : c.total
        ? ` ${c.completed + c.failed}/${c.total}`
        : '';
    return { kind: 'waiting', why: `part ${part.n} (${part.batchId}) ${batch.value.status}${progress}` };
  }
  return collectPart(run, part, batch.value, current);
}

async function currentStatus(
  run: BatchRun,
  id: string,
): Promise<{ ok: true; value: RemoteBatch } | { ok: false; step: StepResult }> {
  const snap = run.svc.poll;
  // Each snapshot entry is used once: a later build without a fresh prepare() retrieves instead.
  const seen = snap?.batches.get(id);
  if (seen) {
    snap!.batches.delete(id);
    return { ok: true, value: seen };
  }
  const notFound = (why: string): StepResult => ({
    kind: 'failed',
    message: `batch ${id} recorded in the marker is unknown to the provider (${why}); check where calls go (${providerSpec(run.svc.api.provider).env.hint}), or delete the marker if that batch is gone for good`,
  });
  if (snap?.missing.has(id)) return { ok: false, step: notFound('HTTP 404') };
  const one = await run.svc.api.retrieveBatch(id);
  if (one.ok) return one;
  if (one.error.kind === 'not-found') return { ok: false, step: notFound(describeApiError(one.error)) };
  return {
    ok: false,
    step: { kind: 'waiting', why: `cannot read the status of ${id}: ${describeApiError(one.error)}` },
  };
}
