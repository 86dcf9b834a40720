/**
 * Queue limit below a request file (issue #18), as a real CLI campaign: the 57-subject job against
 * an enqueued-token limit with no flag; after the limit is learned from the first failures, no
 * batch may fail on it again, and the job must finish with nothing lost and nothing paid twice.
 */
import path from 'node:path';
import { readLearned } from '../../src/stages/batch/learned-limits.ts';
import type { RunningEmulator } from '../../src/emulator/index.ts';
import { runCli } from '../helpers/rig.ts';
import {
  addOutcome,
  blank,
  buildRequests,
  listed,
  MODEL,
  noteRun,
  requestTokens,
  subjectOf,
  withBatchOptions,
  type HoleFigures,
} from './campaign-figures.ts';
import { emulatorFor, envFor, makeJob, ROOT, runCliKillable, type JobSpec } from './lib.ts';

export interface QueueLimitOptions {
  /** The generator's default subjects (57), with their real test-split sizes or few records each. */
  spec: JobSpec;
  reference: Map<string, string | undefined>;
  /** The provider's enqueued-token limit: in tokens, or as a share of the smallest request file. */
  limit: { tokens: number } | { shareOfSmallestFile: number };
  /** The emulator's speed (default 50). */
  emulatorSpeed?: number;
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
  /** Request files whose estimated tokens alone are above the limit (they must be split into parts). */
  subjectsAboveLimit: number;
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
    subjectsAboveLimit: 0,
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
    f.limit =
      'tokens' in opts.limit ? opts.limit.tokens : Math.floor(f.fileTokens.min * opts.limit.shareOfSmallestFile);
    f.subjectsAboveLimit = sizes.filter((n) => n > f.limit).length;
    emu = await emulatorFor(job, { speed: opts.emulatorSpeed ?? 50, enqueuedTokenLimit: f.limit });
    const env = envFor(emu);
    const limitsFile = job.rig.path(`${ROOT}/.pipeline/provider-limits.json`);
    // Round 1: every request file alone is above the limit; the batches fail and the limit is learned.
    let before: Set<string> | undefined;
    let learnedAt = NaN;
    while (!before && f.runsToLearn < 4) {
      f.runsToLearn += 1;
      const r = await runCliKillable(['build'], job.rig.dir, env);
      noteRun(f, r, [75], `plain build ${f.runsToLearn}`);
      const learned = [...readLearned(path.dirname(limitsFile)).values()].find((e) => e.model === MODEL);
      if (learned) {
        f.learnedLimit = learned.limit;
        learnedAt = Date.parse(learned.limitSeenAt ?? '');
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
      const ended = await run;
      clearTimeout(slice);
      // A SIGINT landing while node tears down after the build (its handlers gone) ends it by the
      // signal: a shell reports that as 130 too, and the build had finished its work.
      const r = ended.code === null && interrupted && ended.signal === 'SIGINT' ? { ...ended, code: 130 } : ended;
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
