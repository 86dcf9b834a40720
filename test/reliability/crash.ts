/**
 * The crash campaign: SIGKILL the build (its whole process group) at random moments — a random
 * time after start, or a protocol failpoint — re-run after each kill, until the job is done; then
 * count duplicates and compare the merged files with an uninterrupted run. Rounds use fresh jobs
 * until the wanted number of kills is reached.
 */
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { testProfile } from '../helpers/test-providers.ts';
import {
  booksOf,
  buildUntilDone,
  compareRows,
  emulatorFor,
  envFor,
  executionLogDuplicates,
  failpointsOf,
  makeJob,
  mergedFiles,
  prng,
  ROOT,
  runCliKillable,
  type Books,
  type JobSpec,
  type OutcomeFigures,
  type RowFigures,
} from './lib.ts';

export interface CrashOptions {
  spec: JobSpec;
  kills: number;
  seed: number;
  reference: Map<string, string | undefined>;
  /** Share of kills made at a protocol failpoint instead of a random time. */
  failpointShare?: number;
  /** `build --offline`: the emulator runs inside the killed process (state under the root). */
  offline?: boolean;
  /** Longest random kill delay (ms after spawn). */
  maxDelayMs?: number;
  emulatorSpeed?: number;
  log?: (line: string) => void;
}

export interface CrashFigures extends OutcomeFigures {
  kills: number;
  randomKills: number;
  failpointKills: number;
  rounds: number;
  runs: number;
  intentDuplicates: number;
  allIdentical: boolean;
  /** Runs that were not killed yet exited with something other than 0 or 75, with their output. */
  unexpected: string[];
}

export async function crashCampaign(opts: CrashOptions): Promise<CrashFigures> {
  const random = prng(opts.seed);
  const f: CrashFigures = {
    kills: 0,
    randomKills: 0,
    failpointKills: 0,
    rounds: 0,
    runs: 0,
    duplicates: 0,
    orphanBatches: 0,
    intentDuplicates: 0,
    duplicateExecutions: 0,
    batchesCreated: 0,
    batchesRecorded: 0,
    rowsExpected: 0,
    rowsLost: 0,
    rowsWrong: 0,
    allIdentical: true,
    unexpected: [],
  };
  const maxDelay = opts.maxDelayMs ?? 2500;
  const provider = opts.spec.provider ?? 'openai';
  const failpoints = failpointsOf(provider);
  while (f.kills < opts.kills) {
    f.rounds += 1;
    const job = await makeJob(opts.spec, 'pipeline-rel-crash-');
    const speed = opts.emulatorSpeed ?? 20;
    let emu: RunningEmulator | undefined = opts.offline ? undefined : await emulatorFor(job, { speed }, provider);
    try {
      const env = opts.offline
        ? { OPENAI_API_KEY: 'unused-offline', PIPELINE_EMULATOR_SPEED: String(speed) }
        : envFor(emu!, {}, provider);
      const args = ['build', ...(opts.offline ? ['--offline'] : [])];
      let done = false;
      let attempt = 0;
      while (!done) {
        attempt += 1;
        if (attempt > 200) throw new Error('round did not finish after 200 attempts');
        const wantKill = f.kills < opts.kills && random() < 0.8;
        const useFailpoint = wantKill && random() < (opts.failpointShare ?? 0.3);
        const point = failpoints[Math.floor(random() * failpoints.length)]!;
        const delay = Math.floor(150 + random() * (maxDelay - 150));
        const r = await runCliKillable(
          args,
          job.rig.dir,
          useFailpoint ? { ...env, PIPELINE_FAILPOINT: point } : env,
          wantKill && !useFailpoint ? delay : undefined,
        );
        f.runs += 1;
        if (r.killed) {
          f.kills += 1;
          if (useFailpoint) f.failpointKills += 1;
          else f.randomKills += 1;
          opts.log?.(`  kill ${f.kills}: ${useFailpoint ? `failpoint ${point}` : `after ${delay} ms`}`);
          continue;
        }
        if (r.code === 0) done = true;
        else if (r.code !== 75)
          f.unexpected.push(`round ${f.rounds} attempt ${attempt}: exit ${String(r.code)}\n${r.stdout}\n${r.stderr}`);
        if (f.unexpected.length > 5) throw new Error(`unexpected exits:\n${f.unexpected.join('\n---\n')}`);
      }
      if (opts.offline)
        emu = await startEmulator({ stateDir: path.join(job.rig.path(ROOT), '.pipeline', 'emulator'), speed });
      const books: Books = await booksOf(emu!, job, provider);
      if (opts.offline) {
        // Stats deltas die with a SIGKILLed process: count from the emulator's durable execution log.
        const stateDir = path.join(job.rig.path(ROOT), '.pipeline', 'emulator');
        const log = await executionLogDuplicates(testProfile(provider).ledgerDir(stateDir));
        books.duplicateExecutions = log.duplicates;
        books.duplicates = books.orphanBatches + books.intentDuplicates + log.duplicates;
      }
      const rows: RowFigures = compareRows(opts.reference, await mergedFiles(job));
      f.duplicates += books.duplicates;
      f.orphanBatches += books.orphanBatches;
      f.intentDuplicates += books.intentDuplicates;
      f.duplicateExecutions += books.duplicateExecutions;
      f.batchesCreated += books.batchesCreated;
      f.batchesRecorded += books.batchesRecorded;
      f.rowsExpected += rows.expected;
      f.rowsLost += rows.lost;
      f.rowsWrong += rows.wrong;
      f.allIdentical &&= rows.identical;
      opts.log?.(
        `round ${f.rounds}: ${f.kills} kills so far; batches ${books.batchesCreated} created / ${books.batchesRecorded} recorded; dup ${books.duplicates}; rows lost ${rows.lost} wrong ${rows.wrong}; identical ${rows.identical}`,
      );
    } finally {
      await emu?.close();
      await job.dispose();
    }
  }
  return f;
}

export interface PointsFigures extends CrashFigures {
  /** The failpoints the build was killed at, in order (a point the run never reached is skipped). */
  killedAt: string[];
}

/**
 * The CI subset of the crash campaign: one fresh job, the build SIGKILLed at each of `points` in
 * turn (a run that does not reach its point exits 75 and is run again, at most `tries` times),
 * then run to the end; the same books and rows as a campaign round.
 */
export async function killAtPoints(opts: {
  spec: JobSpec;
  points: readonly string[];
  reference: Map<string, string | undefined>;
  tries?: number;
  emulatorSpeed?: number;
  /** Extra arguments of the killed builds (e.g. `-j 1`). */
  args?: readonly string[];
}): Promise<PointsFigures> {
  const provider = opts.spec.provider ?? 'openai';
  const job = await makeJob(opts.spec, 'pipeline-rel-points-');
  const emu = await emulatorFor(job, { speed: opts.emulatorSpeed ?? 20 }, provider);
  const f: PointsFigures = {
    ...emptyFigures(),
    killedAt: [],
  };
  try {
    const env = envFor(emu, {}, provider);
    for (const point of opts.points) {
      for (let i = 0; i < (opts.tries ?? 6); i++) {
        const r = await runCliKillable(['build', ...(opts.args ?? [])], job.rig.dir, {
          ...env,
          PIPELINE_FAILPOINT: point,
        });
        f.runs += 1;
        if (r.killed) {
          f.kills += 1;
          f.failpointKills += 1;
          f.killedAt.push(point);
          break;
        }
        if (r.code !== 0 && r.code !== 75)
          f.unexpected.push(`${point}: exit ${String(r.code)}\n${r.stdout}\n${r.stderr}`);
        if (r.code === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const done = await buildUntilDone(job.rig.dir, env);
    f.runs += done.runs;
    const books = await booksOf(emu, job, provider);
    const rows = compareRows(opts.reference, await mergedFiles(job));
    Object.assign(f, {
      rounds: 1,
      duplicates: books.duplicates,
      orphanBatches: books.orphanBatches,
      intentDuplicates: books.intentDuplicates,
      duplicateExecutions: books.duplicateExecutions,
      batchesCreated: books.batchesCreated,
      batchesRecorded: books.batchesRecorded,
      rowsExpected: rows.expected,
      rowsLost: rows.lost,
      rowsWrong: rows.wrong,
      allIdentical: rows.identical,
    });
  } finally {
    await emu.close();
    await job.dispose();
  }
  return f;
}

function emptyFigures(): CrashFigures {
  return {
    kills: 0,
    randomKills: 0,
    failpointKills: 0,
    rounds: 0,
    runs: 0,
    duplicates: 0,
    orphanBatches: 0,
    intentDuplicates: 0,
    duplicateExecutions: 0,
    batchesCreated: 0,
    batchesRecorded: 0,
    rowsExpected: 0,
    rowsLost: 0,
    rowsWrong: 0,
    allIdentical: true,
    unexpected: [],
  };
}
