/**
 * The holes of the batch protocol found by review (issue #11), as real CLI campaigns against a
 * test-owned emulator, counted like the crash and fault campaigns (duplicates, rows lost/wrong
 * against an uninterrupted reference run, unclear answers):
 *
 * - lost result files: finished batches lose their output and/or error file (deleted through the
 *   Files API) before the tool downloads them; the lost requests must be sent again, the loss
 *   reported, and the job must finish byte-identical;
 * - global limits across selections: `build paraphrased/<one subject>.jsonl` rotating through the
 *   subjects with `--max-enqueued-tokens` (or the rule's `maxInFlightBatches`): the limits hold
 *   over every in-flight batch of the pipeline, not only the selected target's;
 * - endless expiry: every batch expires before it runs; the build must end (exit 1 naming every
 *   row) after `maxUnansweredAttempts` batches per request, and finish once the provider recovers.
 *
 * The others live beside it: queue-limit.ts (#18), lagging-lists.ts, lock-races.ts.
 */
import { readFile } from 'node:fs/promises';
import { ManualClock } from '../../src/util/clock.ts';
import type { RunningEmulator } from '../../src/emulator/index.ts';
import {
  addOutcome,
  blank,
  filesApi,
  listed,
  MODEL,
  noteRun,
  requestTokens,
  buildRequests,
  subjectOf,
  TERMINAL,
  untilSubmittedFinish,
  withBatchOptions,
  type HoleFigures,
} from './campaign-figures.ts';
import {
  emulatorFor,
  envFor,
  makeJob,
  prng,
  recordedBatches,
  ROOT,
  runCliKillable,
  type Attempt,
  type JobSpec,
} from './lib.ts';

export { combined, type HoleFigures } from './campaign-figures.ts';

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
