/** What the AWS flavour shows in GET /_emulator/stats (its calls also count in `routeCalls`). */
import { refreshAll } from '../bedrock/lifecycle.ts';
import type { AwsContext } from './handler.ts';

export interface AwsStats {
  /** Bedrock batch inference jobs by status. */
  jobsByStatus: Record<string, number>;
  jobsCreated: number;
  /** clientRequestToken → jobs created with it: more than 1 is a duplicate job. */
  jobsPerToken: Record<string, number>;
  /** Creates answered with an existing job's ARN (a repeated token). */
  idempotentReplays: number;
  recordsProcessed: number;
  /** Records whose exact body had already been answered successfully (paid twice). */
  duplicateRecordExecutions: number;
  s3: { buckets: number; objects: number; bytes: number; uploadsInProgress: number };
}

export async function awsStats(ctx: AwsContext): Promise<AwsStats> {
  await refreshAll(ctx.bedrock);
  const stats: AwsStats = {
    jobsByStatus: {},
    jobsCreated: 0,
    jobsPerToken: {},
    idempotentReplays: 0,
    recordsProcessed: 0,
    duplicateRecordExecutions: 0,
    s3: { ...ctx.s3.store.usage(), uploadsInProgress: ctx.s3.uploads.inProgress().length },
  };
  for (const job of ctx.bedrock.jobs.all()) {
    stats.jobsByStatus[job.status] = (stats.jobsByStatus[job.status] ?? 0) + 1;
    stats.jobsCreated++;
    stats.jobsPerToken[job.clientRequestToken] = (stats.jobsPerToken[job.clientRequestToken] ?? 0) + 1;
    stats.idempotentReplays += job.replays;
    stats.recordsProcessed += job.processed;
    stats.duplicateRecordExecutions += job.duplicates;
  }
  return stats;
}
