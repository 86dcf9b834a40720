/**
 * Lagging lists and skewed clocks (issue #11.5), as a real CLI campaign: the whole job (requests →
 * batch → merge) against an emulator whose batch list leaves out batches younger than `listLagMs`
 * (retrieve by id sees them at once), whose clock is hours off the tool's, and which loses the
 * reply to some creates after making the batch. Plain `build` is re-run until the job is done.
 *
 * A create whose reply is lost must be adopted once the list shows its batch — never created a
 * second time, however long the list lags (below the tool's 10-minute retry window) and whatever
 * the skew (below the 24 h window). The lag is in real time and longer than the 30 s the tool
 * once trusted the list to be current within, so a tool that trusted it would create twice here.
 */
import type { RunningEmulator } from '../../src/emulator/index.ts';
import { addOutcome, blank, noteRun, type HoleFigures } from './campaign-figures.ts';
import { emulatorFor, envFor, makeJob, recordedBatches, runCliKillable, type JobSpec } from './lib.ts';

export interface LaggingListsOptions {
  spec: JobSpec;
  reference: Map<string, string | undefined>;
  seed: number;
  /** One fresh job per skew, one after the other (ms; negative: the provider's clock is behind). */
  skewsMs: readonly number[];
  /** How long a new batch stays out of the list (real time). */
  listLagMs: number;
  /** Share of `POST /v1/batches` whose reply is lost after the batch was made. */
  lostReplyRate: number;
  /** Builds per job before it counts as stuck. */
  maxRuns?: number;
  emulatorSpeed?: number;
  log?: (line: string) => void;
}

export interface LaggingListsFigures extends HoleFigures {
  rounds: number;
  /** Parts the tool recorded as adopted (found in the list after a create it never heard back from). */
  adoptions: number;
  /** Builds that waited on a lagging list instead of creating again ("the provider's list may lag"). */
  lagWaits: number;
  /** Longest time from a lost create to the end of the build that adopted it, by the tool's clock (ms). */
  longestAdoptionMs: number;
  /** Batches the provider made whose create the tool never heard back from (created − confirmed). */
  unconfirmedCreates: number;
  mostRunsInARound: number;
}

const LAG_WAIT = /the provider's list may lag/;

export async function laggingListsCampaign(opts: LaggingListsOptions): Promise<LaggingListsFigures> {
  const started = Date.now();
  const f: LaggingListsFigures = {
    ...blank(),
    rounds: 0,
    adoptions: 0,
    lagWaits: 0,
    longestAdoptionMs: 0,
    unconfirmedCreates: 0,
    mostRunsInARound: 0,
  };
  f.finished = true;
  const maxRuns = opts.maxRuns ?? 80;
  for (const skew of opts.skewsMs) {
    f.rounds += 1;
    const round = f.rounds;
    const job = await makeJob(opts.spec, 'pipeline-rel-lag-');
    let emu: RunningEmulator | undefined;
    try {
      emu = await emulatorFor(job, {
        speed: opts.emulatorSpeed ?? 20,
        seed: opts.seed + round,
        clockSkewMs: skew,
        faults: {
          listLagMs: opts.listLagMs,
          lostReplyRate: opts.lostReplyRate,
          lostReplyRoutes: ['POST /v1/batches'],
        },
      });
      const env = envFor(emu);
      // Intent → when the build that adopted its batch ended (local time).
      const adoptedBy = new Map<string, number>();
      let done = false;
      let runs = 0;
      while (!done && runs < maxRuns) {
        runs += 1;
        const r = await runCliKillable(['build'], job.rig.dir, env);
        noteRun(f, r, [0, 75], `skew ${hours(skew)} run ${runs}`);
        if (LAG_WAIT.test(r.stdout + r.stderr)) f.lagWaits += 1;
        for (const p of (await recordedBatches(job)).parts)
          if (p.adopted && !adoptedBy.has(p.intent)) adoptedBy.set(p.intent, Date.now());
        if (r.code === 0) done = true;
        else if (r.code !== 75) break;
      }
      if (!done) {
        f.finished = false;
        f.unclear.push(`skew ${hours(skew)}: stuck, not done after ${runs} builds`);
      }
      // The books are read from a current list: with the lag on, the newest batches (an extra one
      // among them) would be left out of the count.
      emu.setFaults({});
      const { parts } = await recordedBatches(job);
      const adopted = parts.filter((p) => p.adopted);
      for (const p of adopted) {
        const attempt = Date.parse(p.createAttemptAt ?? '');
        const at = adoptedBy.get(p.intent);
        if (Number.isFinite(attempt) && at !== undefined)
          f.longestAdoptionMs = Math.max(f.longestAdoptionMs, at - attempt);
      }
      const stats = await emu.stats();
      const confirmed = parts.filter((p) => p.batchId && !p.adopted).length;
      const unconfirmed = stats.batchesCreated - confirmed;
      f.adoptions += adopted.length;
      f.unconfirmedCreates += unconfirmed;
      if (unconfirmed !== adopted.length)
        f.unclear.push(
          `skew ${hours(skew)}: ${unconfirmed} batches made without a confirmed create, ${adopted.length} adopted`,
        );
      f.mostRunsInARound = Math.max(f.mostRunsInARound, runs);
      await addOutcome(f, emu, job, opts.reference);
      opts.log?.(
        `skew ${hours(skew)}: ${done ? 'done' : 'STUCK'} after ${runs} builds; ${stats.batchesCreated} batches, ${adopted.length} adopted; dup ${f.duplicates}, lost ${f.rowsLost}, wrong ${f.rowsWrong}`,
      );
    } finally {
      await emu?.close();
      await job.dispose();
    }
  }
  f.ms = Date.now() - started;
  return f;
}

export function hours(ms: number): string {
  return `${ms >= 0 ? '+' : '−'}${Math.abs(ms / 3_600_000)} h`;
}
