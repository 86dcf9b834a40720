/**
 * A provider's batch transport: what the batch stage needs from any batch API, independent of the
 * SDK and of the wire format. Every call answers a Result: expected failures (rate limits,
 * outages, a batch that may or may not exist) are values the protocol reasons about, never
 * exceptions. Statuses are said in OpenAI's words (the protocol's vocabulary); each transport maps
 * its provider's own to them.
 */
import type { Readable } from 'node:stream';
import type { Result } from '../util/result.ts';
import type { ProviderTraits } from './spec.ts';

export type RemoteBatchStatus =
  'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['failed', 'completed', 'expired', 'cancelled']);

export interface RemoteBatchError {
  code?: string | undefined;
  message?: string | undefined;
  line?: number | null | undefined;
}

/** Azure's `deployment-enqueued-tokens` (its count of this file) and `deployment-maximum-enqueued-tokens`. */
export interface QueueHeaders {
  fileTokens?: number | undefined;
  maxEnqueuedTokens?: number | undefined;
}

/** The fields of a provider Batch object the stage uses; times in epoch milliseconds. */
export interface RemoteBatch {
  id: string;
  status: RemoteBatchStatus | (string & {});
  createdAt: number;
  inputFileId: string;
  outputFileId: string | null;
  errorFileId: string | null;
  errors: RemoteBatchError[];
  requestCounts: { total: number; completed: number; failed: number };
  metadata: Record<string, string>;
  /** Only from a create, when the provider sent its queue headers (Azure). */
  queue?: QueueHeaders | undefined;
}

/**
 * A failed call, classified by what the caller should do about it.
 * - `ambiguous`: only from `createBatch` — the request may have created a batch (connection lost,
 *   timeout, 5xx); the caller must look for it before creating again.
 * - `rate-limited`, `server-error`, `network`: transient; try again later.
 * - the rest are definitive answers from the provider.
 */
export type ApiError =
  | { kind: 'rate-limited'; status: 429; message: string; retryAfterMs?: number }
  | { kind: 'server-error'; status: number; message: string }
  | { kind: 'network'; message: string }
  | { kind: 'ambiguous'; message: string; status?: number }
  | { kind: 'not-found'; status: 404; message: string }
  | { kind: 'bad-request'; status: number; message: string; code?: string | undefined; param?: string | undefined }
  | { kind: 'auth'; status: number; message: string }
  | { kind: 'conflict'; status: 409; message: string }
  /** The provider refused to queue more tokens now (Azure answers this at create); back off as for a batch failed on the limit. */
  | { kind: 'queue-full'; status: number; message: string; queue?: QueueHeaders | undefined }
  | { kind: 'http'; status: number; message: string };

export function isTransient(error: ApiError): boolean {
  return (
    error.kind === 'rate-limited' ||
    error.kind === 'server-error' ||
    error.kind === 'network' ||
    error.kind === 'ambiguous'
  );
}

export interface CreateBatchParams {
  /** The uploaded input file (parts above the provider's inline size). */
  inputFileId?: string | undefined;
  /** The part's request lines themselves (parts the provider takes inline, see `ProviderTraits.inlineUpToBytes`). */
  inputData?: Buffer | undefined;
  endpoint: string;
  /** Every request of a part names the same model; providers that take it per batch (Gemini, Mistral, Bedrock) send it. */
  model: string;
  completionWindow: string;
  /**
   * Our intent id, part hash and target. Providers keep it as metadata, or in a name they keep
   * (Gemini's displayName, Bedrock's jobName and idempotency token), or drop it (Anthropic).
   */
  metadata: Record<string, string>;
  /** The rule's provider-specific settings (Bedrock's `s3Uri`, `roleArn`). */
  rule?: Readonly<Record<string, unknown>> | undefined;
  /**
   * Awaited once, as late as the transport can: right before the create's request is handed to the
   * network (see shared/send-gate.ts). Until it has run, no batch can come of this call; if it
   * throws, nothing is sent and the call fails with its error.
   */
  beforeSend?: (() => Promise<void>) | undefined;
}

export interface BatchPage {
  data: RemoteBatch[];
  /** The cursor of the next page (opaque: a last id, a page token, a page number); undefined on the last page. */
  next?: string | undefined;
}

/** HTTP calls actually made (SDK retries included), for tests and benchmarks. */
export interface CallStats {
  total: number;
  /** e.g. `{"GET /v1/batches": 3, "POST /v1/files": 2}`; ids are written `{id}`. */
  byRoute: Record<string, number>;
}

export interface BatchApi {
  /** The provider's name (a spec in the registry). */
  readonly provider: string;
  readonly traits: ProviderTraits;
  /**
   * Uploads batch input bytes (purpose `batch`); retried by the SDK. A Blob backed by the part's
   * local copy (`fs.openAsBlob`) is streamed where the SDK can (OpenAI's family), not held in memory.
   * `rule`: where it goes, for providers that need a place (Bedrock's `s3Uri`).
   */
  upload(
    data: Buffer | Blob,
    filename: string,
    rule?: Readonly<Record<string, unknown>>,
  ): Promise<Result<{ id: string }, ApiError>>;
  /** Creates a batch with SDK retries off: a lost answer is `ambiguous`, never a silent second batch. */
  createBatch(params: CreateBatchParams): Promise<Result<RemoteBatch, ApiError>>;
  retrieveBatch(id: string): Promise<Result<RemoteBatch, ApiError>>;
  /** One page of the batch list (newest first where the provider says so); `after`: the previous page's `next`. */
  listBatches(params: { limit: number; after?: string }): Promise<Result<BatchPage, ApiError>>;
  /** Cancels a batch; a 409 (already terminal) is `alreadyTerminal`, not an error. */
  cancelBatch(id: string): Promise<Result<{ alreadyTerminal: boolean; batch?: RemoteBatch }, ApiError>>;
  /** The newest batch input file with this exact name, if the provider has one (finds an upload whose answer was lost). */
  findUpload(
    filename: string,
    rule?: Readonly<Record<string, unknown>>,
  ): Promise<Result<{ id: string; bytes: number } | undefined, ApiError>>;
  /** Deletes a file (an upload no batch will use); a 404 counts as deleted. */
  deleteFile(id: string): Promise<Result<void, ApiError>>;
  /**
   * A file's content as a byte stream (result files can be hundreds of MB), from byte `from` on
   * (default 0): a download cut short is asked for again from where it stopped.
   */
  downloadFile(id: string, from?: number): Promise<Result<Readable, ApiError>>;
  readonly calls: CallStats;
}

/** One line for a person: what failed and, when known, the HTTP status. */
export function describeApiError(error: ApiError): string {
  const status = 'status' in error && error.status !== undefined ? `HTTP ${error.status}: ` : '';
  return `${status}${error.message}`;
}
