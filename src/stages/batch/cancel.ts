/**
 * `cancel()`: cancel a target's batches in flight. A part whose create was never confirmed is
 * first looked for (it may exist and be running); an intent that never became a batch is simply
 * dropped. Finished requests of a cancelled batch are kept: the next build collects them.
 */
import { batchServicesFor } from '../services.ts';
import type { TargetContext } from '../types.ts';
import type { BatchStageConfig } from './config.ts';
import { confirmCreation } from './adoption.ts';
import { discardUpload } from './submit.ts';
import { targetFiles } from '../work/cache.ts';
import { partCustomIds } from './part-file.ts';
import { iso, isInFlight, loadLedger, saveLedger } from './ledger.ts';

export async function cancelBatches(
  ctx: TargetContext,
  config: BatchStageConfig,
): Promise<{ cancelled: number; message: string }> {
  const svc = batchServicesFor(ctx.services, config.provider);
  if (!svc || !ctx.marker) return { cancelled: 0, message: 'no Batch API connection' };
  const loaded = await loadLedger(ctx.marker, ctx.root);
  if (!loaded.ok) return { cancelled: 0, message: loaded.error.message };
  if (!loaded.value) return { cancelled: 0, message: 'nothing in flight' };
  const ledger = loaded.value;
  let cancelled = 0;
  const notes: string[] = [];
  const files = targetFiles(ctx.root, ctx.target);
  for (const p of ledger.parts.filter(isInFlight)) {
    if (p.state === 'creating') {
      const found = await confirmCreation(
        svc.api,
        svc.poll,
        p,
        svc.confirmedCreates,
        ctx.clock.now(),
        svc.claimed,
        () => partCustomIds({ files }, p),
      );
      if (!found.ok) {
        notes.push(`part ${p.n}: cannot confirm whether it was created (${found.error.message}); cancel again later`);
        continue;
      }
      if (found.value.kind === 'found') {
        const b = found.value.batch;
        Object.assign(p, {
          state: 'submitted',
          batchId: b.id,
          createdAt: iso(b.createdAt),
          status: b.status,
          adopted: true,
        });
      } else if (found.value.kind === 'unproven') {
        // Cancelling a batch that may be another's is not ours to do: it is adopted (and then cancellable) once it proves ours.
        notes.push(
          `part ${p.n}: its create got no answer and ${found.value.candidates.map((b) => b.id).join(', ')} may be its batch (no metadata to tell until it ends); cancel again later`,
        );
        continue;
      } else if (found.value.kind === 'unsure') {
        // Too recent for the list to prove nothing was made: dropping it could orphan a paid batch.
        notes.push(`part ${p.n}: its creation is not confirmed yet; cancel again after ${iso(found.value.until)}`);
        continue;
      }
    }
    if (p.state !== 'submitted') {
      // No batch exists for it: dropping the intent (and its upload) is the cancellation.
      Object.assign(p, { state: 'abandoned', note: 'cancelled before a batch was created' });
      await discardUpload(svc.api, p);
      continue;
    }
    const r = await svc.api.cancelBatch(p.batchId!);
    if (!r.ok) notes.push(`${p.batchId}: ${r.error.message}`);
    else if (r.value.alreadyTerminal) notes.push(`${p.batchId} had already finished`);
    else {
      cancelled += 1;
      p.status = r.value.batch?.status ?? 'cancelling';
    }
  }
  await saveLedger(ctx.marker, ledger, ctx.clock.now());
  return {
    cancelled,
    message: [
      `${cancelled} batch${cancelled === 1 ? '' : 'es'} cancelled; the next build keeps their finished results and sends the rest`,
      ...notes,
    ].join('; '),
  };
}
