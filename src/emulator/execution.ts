/**
 * Running a batch's requests, a slice at a time as its clock time advances: each line of its
 * `input.jsonl` (streamed from the persisted byte offset) is turned into a result row by the
 * flavour's `step` and appended to one of the batch's partial result files. Counts, the cursor
 * and part sizes are saved after each slice, so a restart resumes exactly; a part is cut back to
 * its saved size before anything is appended, so a torn tail left by a crash is never kept. The
 * injected per-request errors are decided here too, the same way for every flavour.
 */
import type { CoreContext } from './context.ts';
import type { Job } from './job.ts';
import type { JobStore } from './job-store.ts';
import { readLines } from './lines.ts';
import { hashUniform } from './prng.ts';
import { LineWriter } from './writer.ts';

/** A result row and the partial file it goes to. */
export interface Row {
  part: string;
  line: unknown;
}

async function openParts<J extends Job>(store: JobStore<J>, job: J, parts: readonly string[]) {
  const writers = new Map<string, LineWriter>();
  for (const part of parts) {
    job.parts[part] ??= { bytes: 0, lines: 0 };
    writers.set(part, await LineWriter.append(store.part(job.id, part), job.parts[part].bytes));
  }
  return writers;
}

async function closeParts<J extends Job>(job: J, writers: Map<string, LineWriter>): Promise<void> {
  for (const [part, writer] of writers) {
    await writer.close();
    const size = job.parts[part] ?? { bytes: 0, lines: 0 };
    job.parts[part] = { bytes: size.bytes + writer.bytes, lines: size.lines + writer.lines };
  }
}

/** What a line gives: a row, several (in different parts), or nothing to write. */
export type Rows = Row | readonly Row[] | null;

/**
 * Feeds the batch's lines not yet consumed to `rowFor` until `stop()` says so, appending the rows
 * it returns to their parts. Does not save the record.
 */
async function consume<J extends Job>(
  store: JobStore<J>,
  job: J,
  parts: readonly string[],
  stop: () => boolean,
  rowFor: (text: string) => Promise<Rows>,
): Promise<void> {
  const writers = await openParts(store, job, parts);
  try {
    for await (const { text, end } of readLines(store.input(job.id), job.inputOffset)) {
      if (stop()) break;
      if (text.trim() !== '') {
        const rows = await rowFor(text);
        for (const row of rows === null ? [] : 'part' in rows ? [rows] : rows)
          await writers.get(row.part)?.line(row.line);
      }
      job.inputOffset = end;
    }
  } finally {
    await closeParts(job, writers);
  }
}

/** Runs requests until `job.executed === target` (never past the input's end), then saves. */
export async function executeUpTo<J extends Job>(
  ctx: CoreContext,
  store: JobStore<J>,
  job: J,
  target: number,
  parts: readonly string[],
  step: (text: string, index: number) => Rows | Promise<Rows>,
): Promise<void> {
  if (target <= job.executed) return;
  await ctx.ledger.refresh();
  await consume(
    store,
    job,
    parts,
    () => job.executed >= target,
    async (text) => {
      const row = await step(text, job.executed);
      ctx.stats.add('requestsExecuted');
      job.executed++;
      return row;
    },
  );
  await ctx.ledger.flush();
  await store.save(job);
}

/**
 * Gives every request not run yet its row (as the batch expires or is cancelled); the index is
 * the request's place in the input. Does not save: the batch's end does.
 */
export async function closeUnrun<J extends Job>(
  store: JobStore<J>,
  job: J,
  parts: readonly string[],
  rowFor: (text: string, index: number) => Rows,
): Promise<void> {
  let index = job.executed;
  await consume(
    store,
    job,
    parts,
    () => false,
    (text) => Promise.resolve(rowFor(text, index++)),
  );
}

/**
 * The injected per-request errors (`faults.requestErrors`): a permanent 4xx or a transient 5xx,
 * fixed by the request body's hash (or named by custom id). A transient one fails the same body
 * `transientAttempts` times across batches (counted in the ledger, noted here), then it runs.
 */
export function requestFate(ctx: CoreContext, customId: string, hash: string): '4xx' | '5xx' | 'run' {
  const f = ctx.faults.options.requestErrors;
  if (!f) return 'run';
  if (f.customIds4xx?.includes(customId) || (f.rate4xx && hashUniform(ctx.seed, '4xx', hash) < f.rate4xx)) return '4xx';
  const chosen = f.customIds5xx?.includes(customId) || (f.rate5xx && hashUniform(ctx.seed, '5xx', hash) < f.rate5xx);
  if (chosen && ctx.ledger.failures5xx(hash) < (f.transientAttempts ?? 1)) {
    ctx.ledger.markFailed5xx(hash);
    return '5xx';
  }
  return 'run';
}
