/**
 * A job as GetModelInvocationJob and ListModelInvocationJobs show it (ModelInvocationJobSummary):
 * ISO 8601 times, `message` only when there is one, `endTime` once ended, and the record counts
 * (0 until validation has counted the records, as AWS shows them while validating).
 */
import type { JobRecord } from './types.ts';
import { deadlineOf } from './lifecycle.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

export function jobSummary(job: JobRecord): Record<string, unknown> {
  return {
    jobArn: job.arn,
    jobName: job.name,
    modelId: job.modelId,
    clientRequestToken: job.clientRequestToken,
    roleArn: job.roleArn,
    status: job.status,
    ...(job.message !== undefined ? { message: job.message } : {}),
    submitTime: iso(job.submitMs),
    lastModifiedTime: iso(job.lastModifiedMs),
    ...(job.endMs !== undefined ? { endTime: iso(job.endMs) } : {}),
    inputDataConfig: {
      s3InputDataConfig: {
        s3InputFormat: 'JSONL',
        s3Uri: job.inputS3Uri,
        ...(job.inputBucketOwner ? { s3BucketOwner: job.inputBucketOwner } : {}),
      },
    },
    outputDataConfig: {
      s3OutputDataConfig: {
        s3Uri: job.outputS3Uri,
        ...(job.outputKmsKeyId ? { s3EncryptionKeyId: job.outputKmsKeyId } : {}),
        ...(job.outputBucketOwner ? { s3BucketOwner: job.outputBucketOwner } : {}),
      },
    },
    ...(job.vpcConfig ? { vpcConfig: job.vpcConfig } : {}),
    timeoutDurationInHours: job.timeoutHours,
    jobExpirationTime: iso(deadlineOf(job)),
    modelInvocationType: job.invocationType,
    totalRecordCount: job.total ?? 0,
    processedRecordCount: job.processed,
    successRecordCount: job.succeeded,
    errorRecordCount: job.errored,
  };
}
