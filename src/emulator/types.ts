/**
 * The emulator's public shapes: its options (per flavour), the fault knobs, and the stats it keeps.
 * The records each flavour persists are its own (`openai/types.ts`, `anthropic/types.ts`, …).
 */
import type { Clock } from '../util/clock.ts';
import type { AwsStats } from './aws/stats.ts';
import type { BedrockOptions } from './bedrock/options.ts';
import type { InvalidReplyFaults } from './invalid-replies.ts';
import type { OnlineFaults, OnlineOptions, OnlineStats } from './online/types.ts';

export interface HttpFault {
  /** A route key like 'POST /v1/batches' or 'GET /v1/batches/{batch_id}'; omitted = any route. */
  route?: string;
  /** 529 is Anthropic's `overloaded_error`; on the OpenAI routes it is a bare server error. */
  status: 500 | 502 | 503 | 429 | 529;
  /** Probability (0..1) per matching call, drawn from the seeded PRNG. */
  rate?: number;
  /** Fire on the next N matching calls, then stop. */
  count?: number;
  retryAfterSeconds?: number;
}

export interface RequestErrorFaults {
  rate5xx?: number;
  rate4xx?: number;
  customIds5xx?: string[];
  customIds4xx?: string[];
  /** How many times a 5xx'd request body fails before it succeeds (default 1). */
  transientAttempts?: number;
}

/**
 * Downloads of file contents (every flavour's result files, S3 objects) whose connection ends
 * part-way through the body: the headers and some of the bytes arrive, then the socket is reset
 * (`reset`) or closed early (`close`, a truncated stream). Decided per download from the seeded PRNG.
 */
export interface CutDownloadFaults {
  /** Probability (0..1) per download (default 1). */
  rate?: number;
  /** Cut only the next N downloads, then none. */
  count?: number;
  /** How the connection ends (default: either, drawn per cut). */
  how?: 'reset' | 'close';
  /** Route keys this applies to (default: every route that serves a file's content). */
  routes?: string[];
}

export interface StallDownloadFaults {
  /** How long the body stops after its first bytes (real time, as `slowMs`). */
  ms: number;
  /** Probability (0..1) per download (default 1). */
  rate?: number;
  /** Route keys this applies to (default: every route that serves a file's content). */
  routes?: string[];
}

export interface FaultOptions {
  http?: HttpFault[];
  /** Probability of destroying the socket without answering. */
  dropRate?: number;
  /** Route keys `dropRate` applies to; omitted = every route. */
  dropRoutes?: string[];
  /**
   * Probability of doing the work and then destroying the socket instead of answering: the call
   * took effect (a batch was created, a file stored) but the client never hears of it — the
   * ambiguous case crash-safe clients must handle. Applies to `lostReplyRoutes` (default: every route).
   */
  lostReplyRate?: number;
  lostReplyRoutes?: string[];
  slowMs?: number;
  /** Probability a response is delayed by `slowMs` (default 1 when slowMs is set). */
  slowRate?: number;
  /** Route keys `slowMs` applies to; omitted = every route. */
  slowRoutes?: string[];
  /** Delay only the next N matching replies, then none (a hang that a retry gets past). */
  slowCount?: number;
  requestErrors?: RequestErrorFaults;
  /** Result file downloads cut part-way through their body: see cut-body.ts. */
  cutDownloads?: CutDownloadFaults;
  /** Result file downloads whose body stalls part-way: see stall-body.ts. */
  stallDownloads?: StallDownloadFaults;
  /** Structured replies (a JSON Schema asked for) answered unusably: see invalid-replies.ts. */
  invalidReplies?: InvalidReplyFaults;
  /** Batches expire once this fraction (0..1) of their requests is done. */
  expireAfterFraction?: number;
  /** Batch create answers "Cannot find file" while the input file is younger than this. */
  fileNotFoundAfterUploadMs?: number;
  /**
   * Eventual consistency of GET /v1/batches: a batch is left out of the list until it is this many
   * milliseconds old (by the emulator's clock, from its creation). Retrieve by id sees it at once.
   */
  listLagMs?: number;
  /** Faults of the online endpoints (`/v1/chat/completions`, `/v1/embeddings`); see online/types.ts. */
  online?: OnlineFaults;
}

export interface EmulatorOptions {
  stateDir: string;
  port?: number;
  speed?: number;
  clock?: Clock;
  enqueuedTokenLimit?: number | Record<string, number>;
  /** What the enqueued-token limit counts per prompt token (default 1; a provider counting differently, e.g. 1.45). */
  enqueuedTokenFactor?: number;
  faults?: FaultOptions;
  seed?: number;
  /**
   * Largest input file batch create accepts (default 200 MB, the real Batch API limit). Checked at
   * create, not at upload: a bigger `.jsonl` uploads fine and create answers 400 "File is too large.".
   */
  maxBatchFileBytes?: number;
  /** Largest accepted upload of any purpose (default 512 MB, the real Files API limit); bigger is a 413. */
  maxUploadBytes?: number;
  /**
   * When set, only `Authorization: Bearer <apiKey>` is accepted; any other key gets the live API's
   * 401 (`code: 'invalid_api_key'`, the key masked in the message). Unset: any key is accepted.
   * A missing Authorization header is always a 401.
   */
  apiKey?: string;
  /**
   * Skew of the emulator's wall clock, in milliseconds (may be negative, e.g. -3 h = -10_800_000):
   * its notion of now is the injected clock (plus any POST /_emulator/clock advance) plus this. Every
   * time it shows is skewed alike (`created_at`, `expires_at`, `*_at`, file times, reply `created`,
   * the `date` header), while durations (progress, the 24 h window, file expiry, fault ages) are
   * unchanged, as on a server whose clock is off. State is kept in the emulator's time, so restart a
   * state dir with the same skew.
   */
  clockSkewMs?: number;
  /**
   * Model names accepted in request lines besides the built-in set (the price table's models, a
   * few other real batch models, and their dated snapshots); any other model fails validation with
   * `model_not_found`.
   */
  extraModels?: readonly string[];
  /** Limits and latency of the online endpoints (`POST /v1/chat/completions`, `POST /v1/embeddings`). */
  online?: OnlineOptions;
  /** The Anthropic Message Batches flavour (`/v1/messages/batches…`, always served). */
  anthropic?: AnthropicOptions;
  /** The Azure OpenAI flavour (the Files + Batches routes under `/openai/v1/…`, always served). */
  azure?: AzureOptions;
  /** The Gemini Batch Mode flavour (`/v1beta/…`, `/upload/v1beta/…`, `/download/v1beta/…`, always served). */
  gemini?: GeminiOptions;
  /** The Mistral batch flavour (`/mistral/v1/…`, always served). */
  mistral?: MistralOptions;
  /** The AWS flavour's Bedrock batch inference (S3 is always served beside it; see bedrock/options.ts). */
  bedrock?: BedrockOptions;
}

export interface GeminiOptions {
  /** The `x-goog-api-key` accepted (default: `apiKey`; unset: any key). */
  apiKey?: string;
  /** Batch enqueued tokens per model across active jobs, for every model or per model (default: unlimited). */
  maxEnqueuedTokens?: number | Record<string, number>;
  /** Active (unfinished) batch jobs at a time (default 100, the documented limit). */
  maxConcurrentBatches?: number;
  /** Largest create request with inline requests (default 20 MB). */
  maxInlineBytes?: number;
  /** Largest uploaded file (default 2 GB). */
  maxFileBytes?: number;
  /** File storage per project, uploads and result files together (default 20 GB). */
  maxStorageBytes?: number;
  /**
   * Order of `GET /v1beta/batches` (undocumented by Google): 'shuffled' (default: a fixed order
   * drawn from the seed, so a client that assumes one fails its tests), 'newest' or 'oldest' first.
   */
  listOrder?: 'shuffled' | 'newest' | 'oldest';
  /** Gemini model names accepted besides the built-in set; any other is a 404 at create. */
  extraModels?: readonly string[];
}

export interface MistralOptions {
  /** The bearer key accepted (default: `apiKey`; unset: any key). */
  apiKey?: string;
  /** Most requests per job (default 100,000, the documented limit). */
  maxRequestsPerJob?: number;
  /** Largest input per job, all its files together (default 512 MB). */
  maxJobBytes?: number;
  /** Mistral model names accepted besides the built-in set. */
  extraModels?: readonly string[];
}

export interface AzureOptions {
  /**
   * Batch deployments of the emulated resource: deployment name → model. A request line's `model`
   * must name one (else the batch fails validation with `model_not_found`). Default: every known
   * model is deployed under its own name.
   */
  deployments?: Record<string, string>;
  /** Enqueued-token quota, for every deployment or per deployment name (default: unlimited). */
  maxEnqueuedTokens?: number | Record<string, number>;
  /**
   * true (default, Azure's "fail fast" regions): create answers 400 `token_limit_exceeded` with the
   * `deployment-*-enqueued-tokens` headers; false: the batch is created and fails at validation.
   */
  failFast?: boolean;
  /** The `api-key` Azure accepts (default: `apiKey`; unset: any key). */
  apiKey?: string;
}

export interface AnthropicOptions {
  /** Largest create body (default 256 MB, the real limit); bigger is a 413 `request_too_large`. */
  maxBatchBytes?: number;
  /** Most requests per create (default 100,000, the real limit); more is a 400. */
  maxRequestsPerBatch?: number;
  /** Claude model names accepted besides the built-in set; any other gives `not_found_error` results. */
  extraModels?: readonly string[];
}

/** The counters each flavour keeps of its own (they also add up into the totals). */
export interface FlavourCounts {
  batchesCreated: number;
  filesUploaded: number;
  requestsExecuted: number;
  /** Request bodies answered successfully again: paid twice. */
  duplicateExecutions: number;
  /** Structured replies spoiled by the invalid-replies fault. */
  invalidReplies: number;
  /** File downloads cut part-way by the cutDownloads fault. */
  downloadsCut: number;
  /** File downloads whose body the stallDownloads fault held part-way. */
  downloadsStalled: number;
  inputTokens: number;
  outputTokens: number;
  /** Of `inputTokens`: reported as read from the prompt cache (`cached_tokens`). */
  cachedTokens: number;
}

/** Totals over every flavour, then each flavour's own counts and its batches by status. */
export interface EmulatorStats extends FlavourCounts {
  tokensEnqueuedPeak: Record<string, number>;
  routeCalls: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  batchesByStatus: Record<string, number>;
  /** Anthropic message batches by `processing_status` (their batches and requests also count above). */
  messageBatchesByStatus: Record<string, number>;
  /** Azure batches by status (their batches, files and requests also count above). */
  azureBatchesByStatus: Record<string, number>;
  /** Gemini batch jobs by `metadata.state` (deleted ones included: their work goes on). */
  geminiBatchesByState: Record<string, number>;
  /** Mistral batch jobs by `status`. */
  mistralJobsByStatus: Record<string, number>;
  /** Each flavour's own counts: openai, azure, anthropic, gemini, mistral (a flavour appears once it counted). */
  flavours: Record<string, FlavourCounts>;
  /** What the online endpoints did in this server's life (not persisted; executions also count above). */
  online: OnlineStats;
  /** The AWS flavour: Bedrock jobs (by status, per clientRequestToken) and S3 usage. */
  aws?: AwsStats;
}
