/**
 * The Bedrock flavour's knobs. Quotas are data (Service Quotas' defaults, providers.md I.4), so a
 * test can shrink them; times are emulator-clock milliseconds.
 */
export interface BedrockQuotas {
  /** "Minimum number of records per batch inference job": fewer fails the job at validation. */
  minRecordsPerJob: number;
  /** "Records per input file per batch inference job". */
  maxRecordsPerFile: number;
  /** "Records per batch inference job". */
  maxRecordsPerJob: number;
  /** "Batch inference input file size" (1 GB). */
  maxInputFileBytes: number;
  /** "Batch inference job size" (5 GB). */
  maxJobBytes: number;
  /** "Sum of in-progress and submitted batch inference jobs using a base model": over it, create is refused. */
  maxConcurrentJobsPerModel: number;
}

export const DEFAULT_BEDROCK_QUOTAS: Readonly<BedrockQuotas> = {
  minRecordsPerJob: 100,
  maxRecordsPerFile: 50_000,
  maxRecordsPerJob: 50_000,
  maxInputFileBytes: 1024 ** 3,
  maxJobBytes: 5 * 1024 ** 3,
  maxConcurrentJobsPerModel: 20,
};

export interface BedrockOptions {
  quotas?: Partial<BedrockQuotas>;
  /**
   * How long a validated job waits in `Scheduled` before it starts (default 1000, divided by the
   * speed). A wait reaching the job's `timeoutDurationInHours` (not divided) makes it `Expired`.
   */
  scheduledMs?: number;
  /**
   * How long a `clientRequestToken` is remembered (default 24 h; AWS documents none). A repeat
   * create within it gets the original job's ARN and creates nothing.
   */
  idempotencyWindowMs?: number;
  /**
   * Roles the caller may pass to a job (`iam:PassRole`); any other `roleArn` is an
   * AccessDeniedException at create. Default: any role.
   */
  passableRoles?: string[];
}

export const DEFAULT_SCHEDULED_MS = 1000;
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
/** AWS documents no default for `timeoutDurationInHours`; the emulator's guess is the maximum, 7 days. */
export const DEFAULT_TIMEOUT_HOURS = 168;
export const SUBMITTED_MS = 1000;
