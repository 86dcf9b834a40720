/**
 * The holes of the batch protocol found by review (issues #11 and #18), as real CLI campaigns
 * against a test-owned emulator, counted like the crash and fault campaigns (duplicates, rows
 * lost/wrong against an uninterrupted reference run, unclear answers):
 *
 * - lost result files: finished batches lose their output and/or error file (deleted through the
 *   Files API) before the tool downloads them; the lost requests must be sent again, the loss
 *   reported, and the job must finish byte-identical;
 * - global limits across selections: `build paraphrased/<one subject>.jsonl` rotating through the
 *   subjects with `--max-enqueued-tokens` (or the rule's `maxInFlightBatches`): the limits hold
 *   over every in-flight batch of the pipeline, not only the selected target's;
 * - endless expiry: every batch expires before it runs; the build must end (exit 1 naming every
 *   row) after `maxUnansweredAttempts` batches per request, and finish once the provider recovers;
 * - queue limit below a request file (#18): the 57-subject job against an enqueued-token limit
 *   smaller than any request file, with no flag; after the limit is learned from the first
 *   failures, no batch may fail on it again.
 */
import { readFile } from 'node:fs/promises';
import { estimateCost } from '../../src/stages/batch/plan.ts';
import { readRequestFile } from '../../src/stages/batch/request-file.ts';
import { DEFAULT_PRICES } from '../../src/tokens/prices.ts';
import { ManualClock } from '../../src/util/clock.ts';
import type { RunningEmulator } from '../../src/emulator/index.ts';
import { runCli } from '../helpers/rig.ts';
import {
  booksOf,
  compareRows,
  emulatorFor,
  envFor,
  FAKE_KEY,
  listAllBatches,
  makeJob,
  mergedFiles,
  prng,
  recordedBatches,
  repoConfig,
  ROOT,
  runCliKillable,
  type Attempt,
  type Job,
  type JobSpec,
  type OutcomeFigures,
  type RemoteBatchRow,
} from './lib.ts';

const MODEL = 'gpt-4.1';
const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

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

function blank(): HoleFigures {
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
interface ListedBatch extends RemoteBatchRow {
  created_at: number;
  output_file_id: string | null;
  error_file_id: string | null;
  errors?: { data?: { code?: string }[] } | null;
}

async function listed(emu: RunningEmulator): Promise<ListedBatch[]> {
  return (await listAllBatches(emu.url)) as ListedBatch[];
}

/** The repo's config with extra options for the batch rule (they come last, so they win). */
async function withBatchOptions(job: Job, options: string): Promise<void> {
  const config = (await repoConfig()).replace(
    /stage: batch\(\{ ?(.*?) ?\}\)/,
    (_, own: string) => `stage: batch({ ${[own, options].filter(Boolean).join(', ')} })`,
  );
  if (!config.includes(options)) throw new Error('could not add batch options to the config');
  await job.rig.write({ 'pipeline.config.ts': config });
}

/** Counts one CLI run: its exit code, and whatever makes its answer unclear (unexpected code, stack trace). */
function noteRun(f: HoleFigures, r: Attempt, expected: readonly number[], label: string): void {
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
async function addOutcome(
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

async function filesApi(emu: RunningEmulator, method: 'GET' | 'DELETE', suffix: string): Promise<Response> {
  return fetch(`${emu.url}/files/${suffix}`, { method, headers: { authorization: `Bearer ${FAKE_KEY}` } });
}

/** Waits until every batch a marker records as submitted has finished at the provider (listing advances them). */
async function untilSubmittedFinish(emu: RunningEmulator, job: Job, timeoutMs = 5000): Promise<void> {
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
async function requestTokens(job: Job): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of job.subjects) {
    const req = await readRequestFile(job.rig.path(`${ROOT}/paraphrase_batch/${s}.jsonl`), job.rig.path(ROOT));
    if (!req.ok) throw new Error(`request file of ${s}: ${req.error.message}`);
    out.set(s, estimateCost(req.value.entries, 0.55, DEFAULT_PRICES).inputTokens);
  }
  return out;
}

/** Runs the local `requests` rule through the CLI (no API needed). */
async function buildRequests(job: Job, f: HoleFigures): Promise<void> {
  const r = await runCliKillable(['build', 'requests'], job.rig.dir, {});
  noteRun(f, r, [0], 'build requests');
  if (r.code !== 0) throw new Error(`build requests exited ${String(r.code)}: ${r.stdout}${r.stderr}`);
}

const subjectOf = (b: RemoteBatchRow) =>
  /paraphrase_batch\/results\/(.+)\.jsonl$/.exec(b.metadata?.pipeline_target ?? '')?.[1];

// ---------------------------------------------------------------------------------------------
// 1. Lost result files

export interface LostResultsOptions {
  spec: JobSpec;
  reference: Map<string, string | undefined>;
  seed: number;
  /** Fresh jobs, one after the other. */
  rounds?: number;
  /** Chance that a finished, not yet downloaded batch loses its result file(s) before the next build. */
  deleteChance?: number;
  /** Most losses per subject: below maxUnansweredAttempts (5), so every row must still be merged. */
  maxLossesPerSubject?: number;
  /** Share of request lines that fail once with a 5xx, so batches have error files to lose too. */
  requestErrorRate?: number;
  /** Runs per round before the job counts as stuck. */
  maxRuns?: number;
  emulatorSpeed?: number;
  log?: (line: string) => void;
}

export interface LostResultsFigures extends HoleFigures {
  rounds: number;
  outputFilesDeleted: number;
  errorFilesDeleted: number;
  /** Batches that lost at least one file before the tool downloaded it. */
  batchesHit: number;
  /** Result lines in the deleted files (requests whose answer was lost). */
  linesLost: number;
  /** Successful executions in the deleted output files: run (and paid) again by design. */
  reExecutionsExpected: number;
  /** Hits whose loss a later build reported ("results of batch_… are gone (404 on its … file file-…)"). */
  reported: number;
  mostRunsInARound: number;
  /** One of the lines that reported a loss. */
  sample: string | undefined;
}

export async function lostResultsCampaign(opts: LostResultsOptions): Promise<LostResultsFigures> {
  const started = Date.now();
  const random = prng(opts.seed);
  const f: LostResultsFigures = {
    ...blank(),
    rounds: 0,
    outputFilesDeleted: 0,
    errorFilesDeleted: 0,
    batchesHit: 0,
    linesLost: 0,
    reExecutionsExpected: 0,
    reported: 0,
    mostRunsInARound: 0,
    sample: undefined,
  };
  f.finished = true;
  const maxRuns = opts.maxRuns ?? 25;
  const cap = opts.maxLossesPerSubject ?? 3;
  for (let round = 1; round <= (opts.rounds ?? 1); round++) {
    f.rounds = round;
    const job = await makeJob(opts.spec, 'pipeline-rel-lost-');
    const emu = await emulatorFor(job, {
      speed: opts.emulatorSpeed ?? 20,
      seed: opts.seed + round,
      faults: { requestErrors: { rate5xx: opts.requestErrorRate ?? 0.25, transientAttempts: 1 } },
    });
    const env = envFor(emu);
    const considered = new Set<string>();
    const losses = new Map<string, number>();
    const hits: { batch: string; files: string[]; reported: boolean }[] = [];
    let reExecutions = 0;
    let done = false;
    let runs = 0;
    try {
      while (!done && runs < maxRuns) {
        runs += 1;
        const r = await runCliKillable(['build'], job.rig.dir, env);
        noteRun(f, r, [0, 75], `round ${round} run ${runs}`);
        const lines = `${r.stdout}\n${r.stderr}`.split('\n');
        for (const h of hits.filter((h) => !h.reported)) {
          const said = lines.filter((l) => l.includes(`results of ${h.batch} are gone (404 on its`));
          h.reported = h.files.every((id) => said.some((l) => l.includes(` file ${id}`)));
          if (h.reported) f.sample ??= said[0]!.trim();
        }
        if (r.code === 0) done = true;
        if (r.code !== 75) break;
        // The batches sent by that run finish at the provider; some lose their files before the next run looks.
        await untilSubmittedFinish(emu, job);
        const remote = new Map((await listed(emu)).map((b) => [b.id, b]));
        for (const p of (await recordedBatches(job)).parts) {
          const b = p.state === 'submitted' && p.batchId ? remote.get(p.batchId) : undefined;
          if (!b || !TERMINAL.has(b.status) || considered.has(b.id)) continue;
          considered.add(b.id);
          const subject = subjectOf(b) ?? '?';
          if ((losses.get(subject) ?? 0) >= cap || random() >= (opts.deleteChance ?? 0.6)) continue;
          const which = random();
          const files = [
            b.output_file_id && (which < 2 / 3 || !b.error_file_id) ? ['output', b.output_file_id] : undefined,
            b.error_file_id && (which >= 1 / 3 || !b.output_file_id) ? ['error', b.error_file_id] : undefined,
          ].filter((x): x is [string, string] => x !== undefined);
          if (files.length === 0) continue;
          for (const [kind, id] of files) {
            const content = await filesApi(emu, 'GET', `${id}/content`);
            const n = (await content.text()).split('\n').filter(Boolean).length;
            f.linesLost += n;
            if (kind === 'output') {
              reExecutions += n;
              f.outputFilesDeleted += 1;
            } else f.errorFilesDeleted += 1;
            const del = await filesApi(emu, 'DELETE', id);
            if (!del.ok) throw new Error(`DELETE /files/${id}: HTTP ${del.status}`);
          }
          losses.set(subject, (losses.get(subject) ?? 0) + 1);
          hits.push({ batch: b.id, files: files.map(([, id]) => id), reported: false });
          opts.log?.(
            `round ${round} after run ${runs}: ${b.id} (${subject}) lost its ${files.map(([k, id]) => `${k} file ${id}`).join(' and ')}`,
          );
        }
      }
      if (!done) {
        f.finished = false;
        f.unclear.push(`round ${round}: stuck, not done after ${runs} runs (exits ${JSON.stringify(f.exits)})`);
      }
      for (const h of hits.filter((h) => !h.reported))
        f.unclear.push(`round ${round}: the loss of ${h.batch}'s ${h.files.join(', ')} was never reported by a build`);
      f.batchesHit += hits.length;
      f.reported += hits.filter((h) => h.reported).length;
      f.reExecutionsExpected += reExecutions;
      f.mostRunsInARound = Math.max(f.mostRunsInARound, runs);
      await addOutcome(f, emu, job, opts.reference, reExecutions);
      opts.log?.(
        `round ${round}: ${done ? 'done' : 'STUCK'} after ${runs} runs; ${hits.length} batches lost files; dup ${f.duplicates}, lost ${f.rowsLost}, wrong ${f.rowsWrong}`,
      );
    } finally {
      await emu.close();
      await job.dispose();
    }
  }
  f.ms = Date.now() - started;
  return f;
}

// ---------------------------------------------------------------------------------------------
// 2. Global limits across selections

export interface GlobalLimitsOptions {
  spec: JobSpec;
  reference: Map<string, string | undefined>;
  seed: number;
  /** 'tokens': `--max-enqueued-tokens N` on every build; 'batches': the rule's `maxInFlightBatches`. */
  leg: 'tokens' | 'batches';
  /** Subjects that fit at once (default 2). */
  fit?: number;
  /** Builds before the job counts as stuck (default 15 per subject). */
  maxBuilds?: number;
  log?: (line: string) => void;
}

export interface GlobalLimitsFigures extends HoleFigures {
  leg: 'tokens' | 'batches';
  /** N for --max-enqueued-tokens, or maxInFlightBatches. */
  limit: number;
  subjectTokens: { min: number; max: number };
  /** `build paraphrased/<subject>.jsonl` runs. */
  builds: number;
  /** Builds that found no room and left their subject queued. */
  queuedBuilds: number;
  /** Most batches / estimated tokens in flight at the provider seen after any build. */
  mostBatchesInFlight: number;
  mostTokensInFlight: number;
  /** The emulator's own peak of enqueued prompt tokens. */
  peakEnqueued: number;
}

export async function globalLimitsCampaign(opts: GlobalLimitsOptions): Promise<GlobalLimitsFigures> {
  const started = Date.now();
  const random = prng(opts.seed);
  const fit = opts.fit ?? 2;
  const job = await makeJob(opts.spec, 'pipeline-rel-limits-');
  const f: GlobalLimitsFigures = {
    ...blank(),
    leg: opts.leg,
    limit: 0,
    subjectTokens: { min: 0, max: 0 },
    builds: 0,
    queuedBuilds: 0,
    mostBatchesInFlight: 0,
    mostTokensInFlight: 0,
    peakEnqueued: 0,
  };
  // Time at the provider moves only when the campaign says so: batches stay in flight across builds.
  const clock = new ManualClock(Date.now());
  let emu: RunningEmulator | undefined;
  try {
    if (opts.leg === 'batches') await withBatchOptions(job, `maxInFlightBatches: ${fit}`);
    await buildRequests(job, f);
    const tokens = await requestTokens(job);
    const sizes = [...tokens.values()].sort((a, b) => b - a);
    f.subjectTokens = { min: sizes.at(-1)!, max: sizes[0]! };
    // Any `fit` subjects fit under N; `fit + 1` never do (the sizes differ by far less than that).
    f.limit = opts.leg === 'tokens' ? sizes.slice(0, fit).reduce((a, b) => a + b, 0) : fit;
    if (opts.leg === 'tokens' && sizes.slice(-(fit + 1)).reduce((a, b) => a + b, 0) <= f.limit)
      throw new Error('subject sizes too uneven for this campaign');
    emu = await emulatorFor(job, { speed: 1, clock, seed: opts.seed });
    const env = envFor(emu);
    const flags = opts.leg === 'tokens' ? ['--max-enqueued-tokens', String(f.limit)] : [];
    const pending = [...job.subjects];
    const maxBuilds = opts.maxBuilds ?? 15 * job.subjects.length;
    for (let i = 0; pending.length > 0 && f.builds < maxBuilds; i++) {
      const subject = pending[i % pending.length]!;
      f.builds += 1;
      const r = await runCliKillable(['build', `paraphrased/${subject}.jsonl`, ...flags], job.rig.dir, env);
      noteRun(f, r, [0, 75], `build paraphrased/${subject}.jsonl ${flags.join(' ')}`);
      if (/waiting for room/.test(r.stdout)) f.queuedBuilds += 1;
      if (r.code === 0) pending.splice(pending.indexOf(subject), 1);
      // What the provider holds right after the build (its clock stood still meanwhile: this is the most it held).
      const flying = (await listed(emu)).filter((b) => !TERMINAL.has(b.status));
      const flyingTokens = flying.reduce((sum, b) => sum + (tokens.get(subjectOf(b) ?? '') ?? 0), 0);
      f.mostBatchesInFlight = Math.max(f.mostBatchesInFlight, flying.length);
      f.mostTokensInFlight = Math.max(f.mostTokensInFlight, flyingTokens);
      if (opts.leg === 'tokens' && flyingTokens > f.limit)
        f.unclear.push(
          `after building ${subject}: ${flyingTokens} estimated tokens in flight at the provider, above --max-enqueued-tokens ${f.limit} (${flying.map((b) => subjectOf(b)).join(', ')})`,
        );
      if (opts.leg === 'batches' && flying.length > f.limit)
        f.unclear.push(
          `after building ${subject}: ${flying.length} batches in flight at the provider, above maxInFlightBatches ${f.limit} (${flying.map((b) => subjectOf(b)).join(', ')})`,
        );
      // The provider's time moves 0.3–1.2 s per build; a batch of 40 requests takes ~2.3 s at speed 1
      // (1 s validating, 0.8 s running, 0.5 s finalizing): the next builds find it still in flight.
      clock.advance(300 + Math.floor(random() * 900));
    }
    f.finished = pending.length === 0;
    if (!f.finished) f.unclear.push(`stuck: ${pending.join(', ')} not done after ${f.builds} builds`);
    f.peakEnqueued = (await emu.stats()).tokensEnqueuedPeak[MODEL] ?? 0;
    if (opts.leg === 'tokens' && f.peakEnqueued > f.limit)
      f.unclear.push(`the provider's enqueued-token peak ${f.peakEnqueued} is above --max-enqueued-tokens ${f.limit}`);
    await addOutcome(f, emu, job, opts.reference);
    opts.log?.(
      `${opts.leg}: ${f.finished ? 'done' : 'STUCK'} after ${f.builds} builds (${f.queuedBuilds} found no room); most in flight ${f.mostBatchesInFlight} batches / ${f.mostTokensInFlight} tokens; peak ${f.peakEnqueued} (limit ${f.limit})`,
    );
  } finally {
    await emu?.close();
    await job.dispose();
    f.ms = Date.now() - started;
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// 3. Endless expiry

export interface EndlessExpiryOptions {
  spec: JobSpec;
  reference: Map<string, string | undefined>;
  /** The rule's maxUnansweredAttempts (default: the tool's default, 5). */
  maxUnansweredAttempts?: number;
  log?: (line: string) => void;
}

export interface EndlessExpiryFigures extends HoleFigures {
  cap: number;
  /** Runs until the build stopped answering 75. */
  runsUntilEnd: number;
  endExit: number | null;
  batchesExpired: number;
  batchesExpected: number;
  rowsToName: number;
  /** Rows the failing build named with their results file and custom id. */
  rowsNamed: number;
  /** One of the lines that named a row. */
  sample: string | undefined;
  /** Builds after the provider recovered, until exit 0. */
  runsAfterRecovery: number;
}

export async function endlessExpiryCampaign(opts: EndlessExpiryOptions): Promise<EndlessExpiryFigures> {
  const started = Date.now();
  const cap = opts.maxUnansweredAttempts ?? 5;
  const f: EndlessExpiryFigures = {
    ...blank(),
    cap,
    runsUntilEnd: 0,
    endExit: null,
    batchesExpired: 0,
    batchesExpected: 0,
    rowsToName: 0,
    rowsNamed: 0,
    sample: undefined,
    runsAfterRecovery: 0,
  };
  const job = await makeJob(opts.spec, 'pipeline-rel-expiry-');
  if (opts.maxUnansweredAttempts !== undefined) await withBatchOptions(job, `maxUnansweredAttempts: ${cap}`);
  const emu = await emulatorFor(job, { speed: 50, faults: { expireAfterFraction: 0 } });
  const env = envFor(emu);
  try {
    // Every batch expires before running a request: each build collects one expiry and sends again, until the cap.
    let last: Attempt | undefined;
    const bound = 2 * cap + 4;
    while (f.runsUntilEnd < bound) {
      f.runsUntilEnd += 1;
      last = await runCliKillable(['build'], job.rig.dir, env);
      noteRun(f, last, [1, 75], `expiring run ${f.runsUntilEnd}`);
      if (last.code !== 75) break;
      await untilSubmittedFinish(emu, job);
    }
    f.endExit = last?.code ?? null;
    if (f.endExit === 75)
      f.unclear.push(`stuck: still pending (75) after ${f.runsUntilEnd} runs with every batch expiring`);
    const stats = await emu.stats();
    f.batchesExpired = stats.batchesByStatus.expired ?? 0;
    f.batchesExpected = job.subjects.length * cap;
    if (stats.batchesCreated !== f.batchesExpected)
      f.unclear.push(
        `${stats.batchesCreated} batches created while every batch expired; expected ${job.subjects.length} subjects × maxUnansweredAttempts ${cap} = ${f.batchesExpected}`,
      );
    // The failure names every row: its results file and its custom id, as unanswered.
    const out = last ? `${last.stdout}\n${last.stderr}` : '';
    for (const subject of job.subjects) {
      const source = (await readFile(job.rig.path(`${ROOT}/original/${subject}.jsonl`), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { question_number: number }).question_number);
      const fileNamed = out.includes(`paraphrase_batch/results/${subject}.jsonl`);
      for (const n of source) {
        f.rowsToName += 1;
        const id = `${subject}-${n}`;
        const line = out.split('\n').find((l) => l.includes(`(${id})`));
        if (fileNamed && line && /unanswered|no answer after/.test(line)) {
          f.rowsNamed += 1;
          f.sample ??= line.trim();
        } else
          f.unclear.push(
            `the failing build did not name row ${id} (results file ${fileNamed ? 'named' : 'NOT named'}): ${line ?? 'no line'}`,
          );
      }
    }
    opts.log?.(
      `expiring: exit ${String(f.endExit)} after ${f.runsUntilEnd} runs; ${stats.batchesCreated} batches (${f.batchesExpired} expired); ${f.rowsNamed}/${f.rowsToName} rows named`,
    );
    // The provider recovers: the next builds give the rows a fresh round and finish.
    emu.setFaults({});
    let done = false;
    while (!done && f.runsAfterRecovery < 10) {
      f.runsAfterRecovery += 1;
      const r = await runCliKillable(['build'], job.rig.dir, env);
      noteRun(f, r, [0, 75], `run ${f.runsAfterRecovery} after recovery`);
      if (r.code === 0) done = true;
      else if (r.code !== 75) break;
    }
    f.finished = done && f.endExit === 1;
    if (!done) f.unclear.push(`not done ${f.runsAfterRecovery} runs after the provider recovered`);
    await addOutcome(f, emu, job, opts.reference);
    opts.log?.(
      `recovered: ${done ? 'done' : 'NOT done'} after ${f.runsAfterRecovery} runs; dup ${f.duplicates}, lost ${f.rowsLost}, wrong ${f.rowsWrong}`,
    );
  } finally {
    await emu.close();
    await job.dispose();
    f.ms = Date.now() - started;
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// 4. Queue limit below a request file (#18)

export interface QueueLimitOptions {
  /** The generator's default subjects (57), with few records each. */
  spec: JobSpec;
  reference: Map<string, string | undefined>;
  /** The provider's enqueued-token limit as a share of the smallest request file (< 1). */
  limitShare: number;
  /** The rule's tokenLimitBackoffSeconds (the first round's pause; default 60 s). */
  backoffSeconds?: number;
  /** `build --wait --poll-interval` (the first wait; it grows ×1.5 per poll up to 60 s). */
  pollSeconds?: number;
  /** Each `build --wait` is interrupted (SIGINT, as Ctrl-C) after this long and started again. */
  waitSliceMs?: number;
  /** Give up (stuck) after this long. */
  deadlineMs: number;
  log?: (line: string) => void;
}

export interface QueueLimitFigures extends HoleFigures {
  subjects: number;
  records: number;
  jobTokens: number;
  fileTokens: { min: number; max: number };
  limit: number;
  learnedLimit: number | undefined;
  /** Plain builds until .pipeline/provider-limits.json appeared. */
  runsToLearn: number;
  firstRoundFailures: number;
  /** Batches failed after the limit was learned (each one is unclear). */
  failuresAfterLearned: number;
  batchesCompleted: number;
  mostPartsPerSubject: number;
  peakEnqueued: number;
  waitRuns: number;
}

export async function queueLimitCampaign(opts: QueueLimitOptions): Promise<QueueLimitFigures> {
  const started = Date.now();
  const f: QueueLimitFigures = {
    ...blank(),
    subjects: 0,
    records: 0,
    jobTokens: 0,
    fileTokens: { min: 0, max: 0 },
    limit: 0,
    learnedLimit: undefined,
    runsToLearn: 0,
    firstRoundFailures: 0,
    failuresAfterLearned: 0,
    batchesCompleted: 0,
    mostPartsPerSubject: 0,
    peakEnqueued: 0,
    waitRuns: 0,
  };
  const job = await makeJob(opts.spec, 'pipeline-rel-queue-');
  f.subjects = job.subjects.length;
  f.records = job.records;
  let emu: RunningEmulator | undefined;
  try {
    if (opts.backoffSeconds !== undefined)
      await withBatchOptions(job, `tokenLimitBackoffSeconds: ${opts.backoffSeconds}`);
    await buildRequests(job, f);
    const tokens = await requestTokens(job);
    const sizes = [...tokens.values()];
    f.jobTokens = sizes.reduce((a, b) => a + b, 0);
    f.fileTokens = { min: Math.min(...sizes), max: Math.max(...sizes) };
    f.limit = Math.floor(f.fileTokens.min * opts.limitShare);
    emu = await emulatorFor(job, { speed: 50, enqueuedTokenLimit: f.limit });
    const env = envFor(emu);
    const limitsFile = job.rig.path(`${ROOT}/.pipeline/provider-limits.json`);
    // Round 1: every request file alone is above the limit; the batches fail and the limit is learned.
    let before: Set<string> | undefined;
    let learnedAt = NaN;
    while (!before && f.runsToLearn < 4) {
      f.runsToLearn += 1;
      const r = await runCliKillable(['build'], job.rig.dir, env);
      noteRun(f, r, [75], `plain build ${f.runsToLearn}`);
      const learned = await readFile(limitsFile, 'utf8').then(
        (t) => JSON.parse(t) as { models: Record<string, { limit?: number; limitSeenAt?: string }> },
        () => undefined,
      );
      if (learned) {
        f.learnedLimit = learned.models[MODEL]?.limit;
        learnedAt = Date.parse(learned.models[MODEL]?.limitSeenAt ?? '');
        // What was created by now belongs to the round that taught the limit, unless created after it was learned (same build).
        before = new Set((await listed(emu)).filter((b) => !(b.created_at * 1000 > learnedAt + 1000)).map((b) => b.id));
      }
    }
    if (!before) f.unclear.push(`the limit was not learned after ${f.runsToLearn} builds`);
    if (f.learnedLimit !== f.limit)
      f.unclear.push(`learned limit ${String(f.learnedLimit)}, the provider's is ${f.limit}`);
    opts.log?.(
      `learned ${String(f.learnedLimit)} after ${f.runsToLearn} builds; job ${f.jobTokens} tokens, files ${f.fileTokens.min}–${f.fileTokens.max}, limit ${f.limit}`,
    );
    // Then `build --wait`, started again whenever the harness interrupts it (its polls back off to 60 s).
    while (!f.finished && Date.now() - started < opts.deadlineMs) {
      const run = runCli(['build', '--wait', '--poll-interval', String(opts.pollSeconds ?? 0.02)], {
        cwd: job.rig.dir,
        env,
      });
      let interrupted = false;
      const slice = setTimeout(
        () => {
          interrupted = true;
          try {
            process.kill(-run.child.pid!, 'SIGINT');
          } catch {
            // already done
          }
        },
        Math.min(opts.waitSliceMs ?? 20_000, Math.max(1000, opts.deadlineMs - (Date.now() - started))),
      );
      const r = await run;
      clearTimeout(slice);
      f.waitRuns += 1;
      noteRun(f, { ...r, killed: false, ms: 0 }, interrupted ? [0, 130] : [0], `build --wait ${f.waitRuns}`);
      if (r.code === 0) f.finished = true;
      else if (!interrupted || r.code !== 130) break;
      const s = await emu.stats();
      opts.log?.(
        `build --wait ${f.waitRuns}: exit ${String(r.code)}; ${s.batchesCreated} batches (${JSON.stringify(s.batchesByStatus)})`,
      );
    }
    if (!f.finished)
      f.unclear.push(
        `stuck: not done after ${((Date.now() - started) / 1000).toFixed(0)} s (${f.waitRuns} build --wait runs)`,
      );
    const remote = await listed(emu);
    const failed = remote.filter((b) => b.status === 'failed');
    f.firstRoundFailures = failed.filter((b) => before?.has(b.id)).length;
    const late = failed.filter((b) => !before?.has(b.id));
    f.failuresAfterLearned = late.length;
    for (const b of late)
      f.unclear.push(
        `${b.id} (${subjectOf(b) ?? '?'}) failed after the limit was learned: ${JSON.stringify(b.errors?.data?.map((e) => e.code))}`,
      );
    f.batchesCompleted = remote.filter((b) => b.status === 'completed').length;
    const perSubject = new Map<string, number>();
    for (const b of remote.filter((b) => b.status === 'completed'))
      perSubject.set(subjectOf(b) ?? '?', (perSubject.get(subjectOf(b) ?? '?') ?? 0) + 1);
    f.mostPartsPerSubject = Math.max(0, ...perSubject.values());
    f.peakEnqueued = (await emu.stats()).tokensEnqueuedPeak[MODEL] ?? 0;
    if (f.peakEnqueued > f.limit)
      f.unclear.push(`the provider's enqueued-token peak ${f.peakEnqueued} is above its limit ${f.limit}`);
    await addOutcome(f, emu, job, opts.reference);
    opts.log?.(
      `${f.finished ? 'done' : 'STUCK'} in ${((Date.now() - started) / 1000).toFixed(0)} s; ${f.batchesCompleted} batches completed, ${f.firstRoundFailures} failed in the first round, ${f.failuresAfterLearned} after; dup ${f.duplicates}, lost ${f.rowsLost}, wrong ${f.rowsWrong}`,
    );
  } finally {
    await emu?.close();
    await job.dispose();
    f.ms = Date.now() - started;
  }
  return f;
}
