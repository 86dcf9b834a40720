/**
 * Turning a finished batch's partial files into its output and error files. The real service
 * does not keep input order, so lines are shuffled, deterministically (seeded by the batch id)
 * and within bounded windows so memory stays flat whatever the file size.
 */
import { rm, writeFile } from 'node:fs/promises';
import type { EmulatorContext } from './context.ts';
import { readLines } from './lines.ts';
import { mulberry32, seedFrom, shuffleInPlace } from './prng.ts';
import type { BatchRecord } from './types.ts';
import { LineWriter } from './writer.ts';

const WINDOW = 1000;
const THIRTY_DAYS = 2_592_000;

async function shuffleInto(ctx: EmulatorContext, rec: BatchRecord, kind: 'output' | 'error'): Promise<string> {
  const random = mulberry32(seedFrom(ctx.seed, rec.id, kind));
  const tmp = ctx.files.tempPath();
  const out = LineWriter.create(tmp);
  let window: string[] = [];
  const flush = async () => {
    shuffleInPlace(window, random);
    await out.write(window.join('\n') + '\n');
    window = [];
  };
  try {
    for await (const { text } of readLines(ctx.batches.part(rec.id, kind))) {
      if (text === '') continue;
      window.push(text);
      if (window.length === WINDOW) await flush();
    }
    if (window.length > 0) await flush();
  } finally {
    await out.close();
  }
  return tmp;
}

async function emptyFile(ctx: EmulatorContext): Promise<string> {
  const tmp = ctx.files.tempPath();
  await writeFile(tmp, '');
  return tmp;
}

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
    const lines = kind === 'output' ? rec.outputLines : rec.errorLines;
    // Azure gives even a batch without errors an error file, empty (providers.md B.5).
    const emptyErrorFile = ctx.azure !== undefined && kind === 'error' && lines === 0;
    if (lines === 0 && !emptyErrorFile) continue;
    const tmp = emptyErrorFile ? await emptyFile(ctx) : await shuffleInto(ctx, rec, kind);
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

/** The working files are only needed while the batch runs. */
export async function cleanUp(ctx: EmulatorContext, rec: BatchRecord): Promise<void> {
  for (const file of [
    ctx.batches.input(rec.id),
    ctx.batches.tokens(rec.id),
    ctx.batches.part(rec.id, 'output'),
    ctx.batches.part(rec.id, 'error'),
  ]) {
    await rm(file, { force: true });
  }
}
