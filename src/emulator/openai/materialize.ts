/** Turning a finished batch's partial files into its output and error files (../publish.ts). */
import { publishParts } from '../publish.ts';
import type { EmulatorContext } from './context.ts';
import type { BatchRecord } from './types.ts';

const THIRTY_DAYS = 2_592_000;

/**
 * Creates the output/error files (only when they have lines: the real API gives null ids
 * otherwise). `at` is the moment the batch finished, not the moment of the (lazy) read that got
 * here: on the real service the files exist from then on, so their `created_at` is that moment
 * and their retention (`output_expires_after`, anchored on the file's creation, default 30 days)
 * runs from it, even if nobody looks until later; they may already be gone when first seen.
 */
export async function materialize(ctx: EmulatorContext, rec: BatchRecord, at: number): Promise<void> {
  const expiresAt = Math.floor(at / 1000) + (rec.outputExpiresAfterSeconds ?? THIRTY_DAYS);
  const ids = await publishParts(
    ctx.batches,
    ctx.files,
    ctx.seed,
    rec,
    ['output', 'error'],
    (kind) => ({ filename: `${rec.id}_${kind}.jsonl`, purpose: 'batch_output', createdMs: at, expiresAt }),
    // Azure gives even a batch without errors an error file, empty (providers.md B.5).
    (kind) => ctx.azure !== undefined && kind === 'error',
  );
  rec.outputFileId = ids.output;
  rec.errorFileId = ids.error;
}
