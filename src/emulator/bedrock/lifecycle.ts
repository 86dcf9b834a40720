/**
 * A job's life, computed lazily like the other flavours' batches: whenever it is read it is
 * advanced to the clock's now, each transition replayed at the time it happened. `Submitted` (1 s)
 * → `Validating` (1 s; inputs and quotas checked, else `Failed`) → `Scheduled` (the flavour's
 * `scheduledMs`) → `InProgress` (records at the emulator's rate, output growing in S3) →
 * `Completed`. Durations are divided by the job's speed; the timeout is not: a job still
 * `Scheduled` at submit + `timeoutDurationInHours` is `Expired`, one still `InProgress` then is
 * `PartiallyCompleted` (what was processed is kept). `Stopping` → `Stopped` after 1 s, keeping
 * what was processed. Jobs that ran write `manifest.json.out` when they end.
 */
import { CANCELLING_MS, FINALIZING_MS, REQUESTS_PER_SECOND, VALIDATING_MS } from '../context.ts';
import { S3Error } from '../s3/errors.ts';
import type { BedrockContext } from './context.ts';
import { processUpTo, writeManifest } from './execute.ts';
import { validateJob } from './input.ts';
import { SUBMITTED_MS } from './options.ts';
import { TERMINAL_STATUSES, type JobRecord, type JobStatus } from './types.ts';

const perMsOf = (job: JobRecord): number => (REQUESTS_PER_SECOND * job.speed) / 1000;
const validatingAt = (job: JobRecord): number => job.submitMs + SUBMITTED_MS / job.speed;
const scheduledAt = (job: JobRecord): number => validatingAt(job) + VALIDATING_MS / job.speed;
const startAt = (job: JobRecord): number => scheduledAt(job) + job.scheduledMs / job.speed;
/** When the job times out (submit + timeoutDurationInHours): Expired if not started, PartiallyCompleted if running. */
export const deadlineOf = (job: JobRecord): number => job.submitMs + job.timeoutHours * 3_600_000;

/** When processing is cut short: the timeout, or the `expireAfterFraction` fault. */
function cutOf(ctx: BedrockContext, job: JobRecord, start: number): number {
  const fraction = ctx.faults.options.expireAfterFraction;
  const byFraction = fraction === undefined ? Infinity : start + Math.ceil(fraction * (job.total ?? 0)) / perMsOf(job);
  return Math.min(deadlineOf(job), byFraction);
}

function move(job: JobRecord, status: JobStatus, at: number): void {
  job.status = status;
  job.lastModifiedMs = at;
}

async function finish(ctx: BedrockContext, job: JobRecord, status: JobStatus, at: number, message?: string) {
  move(job, status, at);
  job.endMs = at;
  if (message !== undefined) job.message = message;
  if (job.startMs !== undefined && status !== 'Failed') await writeManifest(ctx, job);
  await ctx.jobs.save(job);
  await ctx.jobs.dropSnapshots(job);
}

/** One step of the job's life due by `now`; false when nothing more is due. */
async function step(ctx: BedrockContext, job: JobRecord, now: number): Promise<boolean> {
  const countAt = (t: number, start: number) =>
    Math.max(0, Math.min(job.total ?? 0, Math.floor((t - start) * perMsOf(job) + 1e-6)));
  switch (job.status) {
    case 'Submitted':
      if (now < validatingAt(job)) return false;
      move(job, 'Validating', validatingAt(job));
      return true;
    case 'Validating': {
      const at = scheduledAt(job);
      if (now < at) return false;
      const problem = await validateJob(ctx, job);
      if (problem) await finish(ctx, job, 'Failed', at, problem);
      else move(job, 'Scheduled', at);
      return true;
    }
    case 'Scheduled': {
      const start = startAt(job);
      const deadline = deadlineOf(job);
      if (start >= deadline) {
        if (now < deadline) return false;
        await finish(ctx, job, 'Expired', deadline);
        return true;
      }
      if (now < start) return false;
      job.startMs = start;
      move(job, 'InProgress', start);
      return true;
    }
    case 'InProgress': {
      const start = job.startMs ?? startAt(job);
      const doneAt = start + (job.total ?? 0) / perMsOf(job);
      const cut = cutOf(ctx, job, start);
      if (cut < doneAt && now >= cut) {
        await processUpTo(ctx, job, countAt(cut, start));
        await finish(ctx, job, 'PartiallyCompleted', cut);
        return true;
      }
      const endAt = doneAt + FINALIZING_MS / job.speed;
      if (cut >= doneAt && now >= endAt) {
        await processUpTo(ctx, job, job.total ?? 0);
        await finish(ctx, job, 'Completed', endAt);
        return true;
      }
      await processUpTo(ctx, job, countAt(now, start));
      return false;
    }
    case 'Stopping': {
      const at = (job.stopMs ?? now) + CANCELLING_MS / job.speed;
      if (now < at) return false;
      await finish(ctx, job, 'Stopped', at);
      return true;
    }
    default:
      return false;
  }
}

/** Advances `job` through everything due by `now`. Call only under the job's lock. */
export async function advance(ctx: BedrockContext, job: JobRecord, now: number): Promise<JobRecord> {
  const before = `${job.status}:${job.lastModifiedMs}`;
  try {
    while (await step(ctx, job, now));
  } catch (e) {
    // The output location vanished mid-job (bucket deleted): the job fails, as it would on Bedrock.
    if (!(e instanceof S3Error)) throw e;
    await finish(ctx, job, 'Failed', now, `Unable to write the output to ${job.outputS3Uri}: ${e.message}.`);
  }
  if (`${job.status}:${job.lastModifiedMs}` !== before) await ctx.jobs.save(job);
  return job;
}

export const jobLock = (id: string): string => `bedrock:${id}`;

export function refresh(ctx: BedrockContext, job: JobRecord): Promise<JobRecord> {
  return ctx.locks.run(jobLock(job.id), () => advance(ctx, job, ctx.clock.now()));
}

/** Brings every unfinished job up to now (before a list, a quota count, stats, or an S3 read). */
export async function refreshAll(ctx: BedrockContext): Promise<void> {
  for (const job of ctx.jobs.all().reverse()) if (!TERMINAL_STATUSES.has(job.status)) await refresh(ctx, job);
}
