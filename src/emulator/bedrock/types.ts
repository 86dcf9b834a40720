/**
 * A batch inference job as the emulator keeps it (internal; `wire.ts` builds the API's
 * ModelInvocationJobSummary from it). Times are emulator-clock milliseconds.
 */
export type JobStatus =
  | 'Submitted'
  | 'Validating'
  | 'Scheduled'
  | 'InProgress'
  | 'Completed'
  | 'PartiallyCompleted'
  | 'Failed'
  | 'Stopping'
  | 'Stopped'
  | 'Expired';

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopped',
  'Expired',
]);

export type InvocationType = 'InvokeModel' | 'Converse';

/** One input `.jsonl` object, as snapshotted when the job was validated. */
export interface InputFile {
  /** Its S3 key. */
  key: string;
  /** Its output object's name under `<output>/<jobId>/` (`<name>.out`): the key relative to the input prefix. */
  name: string;
  /** The hard link to its data in the job's directory. */
  snapshot: string;
  records: number;
  bytes: number;
  /** Bytes of the `.out` object that belong to the records processed so far. */
  outBytes: number;
}

export interface JobRecord {
  id: string;
  arn: string;
  seq: number;
  name: string;
  modelId: string;
  roleArn: string;
  clientRequestToken: string;
  inputS3Uri: string;
  inputBucketOwner?: string;
  outputS3Uri: string;
  outputKmsKeyId?: string;
  outputBucketOwner?: string;
  vpcConfig?: { subnetIds: string[]; securityGroupIds: string[] };
  invocationType: InvocationType;
  timeoutHours: number;
  /** Speed and queueing delay in force at creation, so a restart with other settings does not jump progress. */
  speed: number;
  scheduledMs: number;
  status: JobStatus;
  message?: string;
  submitMs: number;
  lastModifiedMs: number;
  endMs?: number;
  /** When it began InProgress. */
  startMs?: number;
  stopMs?: number;
  /** Set by validation. */
  inputs: InputFile[];
  total?: number;
  processed: number;
  succeeded: number;
  errored: number;
  inputTokens: number;
  outputTokens: number;
  /** Execution cursor: the input file and the byte offset just after the last processed record. */
  cursor: { file: number; offset: number };
  /** Records whose exact body had been answered successfully before (paid twice). */
  duplicates: number;
  /** Create calls that repeated this job's clientRequestToken and got this job back. */
  replays: number;
}
