/**
 * Turning a finished batch's partial files into its output and error files, shuffled (the real
 * service does not keep input order; see ../shuffle.ts).
 */
import { writeFile } from 'node:fs/promises';
import { shuffleLines } from '../shuffle.ts';
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
  for (const kind of ['output', 'error'] as const) {
    const lines = rec.parts[kind]?.lines ?? 0;
    // Azure gives even a batch without errors an error file, empty (providers.md B.5).
    const emptyErrorFile = ctx.azure !== undefined && kind === 'error' && lines === 0;
    if (lines === 0 && !emptyErrorFile) continue;
    const tmp = ctx.files.tempPath();
    if (emptyErrorFile) await writeFile(tmp, '');
    else await shuffleLines(ctx.batches.part(rec.id, kind), tmp, ctx.seed, rec.id, kind);
    const file = await ctx.files.add(tmp, {
      filename: `${rec.id}_${kind}.jsonl`,
      purpose: 'batch_output',
      createdMs: at,
      expiresAt,
    });
    if (kind === 'output') rec.outputFileId = file.id;
    else rec.errorFileId = file.id;
  }
}
