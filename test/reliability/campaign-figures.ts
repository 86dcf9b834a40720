/**
 * What the hole campaigns (holes.ts, queue-limit.ts, lagging-lists.ts, lock-races.ts) share: the
 * figures every such row reports, how one CLI run is counted, the provider's books and merged rows
 * of a finished job, and small helpers around the emulator and the job's config.
 */
import { estimateCost } from '../../src/stages/work/estimate.ts';
import { loadTokenizersForRequests, readRequestFile } from '../../src/stages/work/request-file.ts';
import { DEFAULT_PRICES } from '../../src/tokens/prices.ts';
import type { RunningEmulator } from '../../src/emulator/index.ts';
import {
  booksOf,
  compareRows,
  FAKE_KEY,
  listOpenAiBatches,
  mergedFiles,
  recordedBatches,
  repoConfig,
  ROOT,
  runCliKillable,
  type Attempt,
  type Job,
  type OutcomeFigures,
  type RemoteBatchRow,
} from './lib.ts';

export const MODEL = 'gpt-4.1';
export const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** What every campaign here reports; `unclear` holds one line per unclear answer, stuck job or broken limit. */
export interface HoleFigures extends OutcomeFigures {
  runs: number;
  exits: Record<string, number>;
  intentDuplicates: number;
  identical: boolean;
  finished: boolean;
  ms: number;
  unclear: string[];
}

export function blank(): HoleFigures {
  return {
    runs: 0,
    exits: {},
    duplicates: 0,
    orphanBatches: 0,
    intentDuplicates: 0,
    duplicateExecutions: 0,
    batchesCreated: 0,
    batchesRecorded: 0,
    rowsExpected: 0,
    rowsLost: 0,
    rowsWrong: 0,
    identical: true,
    finished: false,
    ms: 0,
    unclear: [],
  };
}

/** Figures of several campaigns (or legs) as one row's. */
export function combined(all: readonly HoleFigures[]): HoleFigures {
  const sum = blank();
  sum.finished = all.length > 0;
  for (const f of all) {
    for (const k of [
      'runs',
      'duplicates',
      'orphanBatches',
      'intentDuplicates',
      'duplicateExecutions',
      'batchesCreated',
      'batchesRecorded',
      'rowsExpected',
      'rowsLost',
      'rowsWrong',
      'ms',
    ] as const)
      sum[k] += f[k];
    for (const [code, n] of Object.entries(f.exits)) sum.exits[code] = (sum.exits[code] ?? 0) + n;
    sum.identical &&= f.identical;
    sum.finished &&= f.finished;
    sum.unclear.push(...f.unclear);
  }
  return sum;
}

/** The batch list as the emulator serves it (more fields than lib's RemoteBatchRow). */
export interface ListedBatch extends RemoteBatchRow {
  created_at: number;
  output_file_id: string | null;
  error_file_id: string | null;
  errors?: { data?: { code?: string }[] } | null;
}

export async function listed(emu: RunningEmulator): Promise<ListedBatch[]> {
  return (await listOpenAiBatches(emu.url)) as ListedBatch[];
}

/** The repo's config with extra options for the batch rule (they come last, so they win). */
export async function withBatchOptions(job: Job, options: string): Promise<void> {
  const config = (await repoConfig()).replace(
    /stage: batch\(\{ ?(.*?) ?\}\)/,
    (_, own: string) => `stage: batch({ ${[own, options].filter(Boolean).join(', ')} })`,
  );
  if (!config.includes(options)) throw new Error('could not add batch options to the config');
  await job.rig.write({ 'pipeline.config.ts': config });
}

/** Counts one CLI run: its exit code, and whatever makes its answer unclear (unexpected code, stack trace). */
export function noteRun(f: HoleFigures, r: Attempt, expected: readonly number[], label: string): void {
  f.runs += 1;
  f.exits[String(r.code)] = (f.exits[String(r.code)] ?? 0) + 1;
  const out = `${r.stdout}\n${r.stderr}`;
  if (!expected.includes(r.code ?? -1))
    f.unclear.push(
      `${label}: exit ${String(r.code)} (${String(r.signal)}), expected ${expected.join('/')}\n${out.slice(-1500)}`,
    );
  else if (/\n\s+at .+:\d+:\d+\)?\n/.test(out))
    f.unclear.push(`${label}: stack trace in the output\n${out.slice(-1500)}`);
}

/** Books and rows of a finished job, added to the figures. `legitReExecutions`: successes the campaign itself threw away. */
export async function addOutcome(
  f: HoleFigures,
  emu: RunningEmulator,
  job: Job,
  reference: Map<string, string | undefined>,
  legitReExecutions = 0,
): Promise<void> {
  const books = await booksOf(emu, job);
  const rows = compareRows(reference, await mergedFiles(job));
  f.orphanBatches += books.orphanBatches;
  f.intentDuplicates += books.intentDuplicates;
  f.duplicateExecutions += books.duplicateExecutions;
  // Bodies run again because the campaign deleted their results are paid twice by design; any other one is a duplicate.
  f.duplicates +=
    books.orphanBatches + books.intentDuplicates + Math.abs(books.duplicateExecutions - legitReExecutions);
  f.batchesCreated += books.batchesCreated;
  f.batchesRecorded += books.batchesRecorded;
  f.rowsExpected += rows.expected;
  f.rowsLost += rows.lost;
  f.rowsWrong += rows.wrong;
  f.identical &&= rows.identical;
}

export async function filesApi(emu: RunningEmulator, method: 'GET' | 'DELETE', suffix: string): Promise<Response> {
  return fetch(`${emu.url}/files/${suffix}`, { method, headers: { authorization: `Bearer ${FAKE_KEY}` } });
}

/** Waits until every batch a marker records as submitted has finished at the provider (listing advances them). */
export async function untilSubmittedFinish(emu: RunningEmulator, job: Job, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ids = (await recordedBatches(job)).parts
      .filter((p) => p.state === 'submitted' && p.batchId)
      .map((p) => p.batchId!);
    const remote = new Map((await listed(emu)).map((b) => [b.id, b.status]));
    if (ids.every((id) => TERMINAL.has(remote.get(id) ?? '')) || Date.now() > until) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Estimated input tokens of each subject's request file, as the tool counts them. */
export async function requestTokens(job: Job): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of job.subjects) {
    const req = await readRequestFile(job.rig.path(`${ROOT}/paraphrase_batch/${s}.jsonl`), job.rig.path(ROOT));
    if (!req.ok) throw new Error(`request file of ${s}: ${req.error.message}`);
    await loadTokenizersForRequests(req.value.entries);
    out.set(s, estimateCost(req.value.entries, 0.55, DEFAULT_PRICES).inputTokens);
  }
  return out;
}

/** Runs the local `requests` rule through the CLI (no API needed). */
export async function buildRequests(job: Job, f: HoleFigures): Promise<void> {
  const r = await runCliKillable(['build', 'requests'], job.rig.dir, {});
  noteRun(f, r, [0], 'build requests');
  if (r.code !== 0) throw new Error(`build requests exited ${String(r.code)}: ${r.stdout}${r.stderr}`);
}

/** The subject a batch was sent for, from its metadata. */
export const subjectOf = (b: RemoteBatchRow) =>
  /paraphrase_batch\/results\/(.+)\.jsonl$/.exec(b.metadata?.pipeline_target ?? '')?.[1];
