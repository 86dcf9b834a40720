/** What the Message Batches routes need: the core context plus their own store, lifecycle, models and limits. */
import type { CoreContext } from '../context.ts';
import type { JobStore } from '../job-store.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { ClaudeModels } from './models.ts';
import type { MessageBatchRecord } from './types.ts';

export interface AnthropicContext extends CoreContext {
  /** Unset: any `x-api-key` is accepted. */
  apiKey: string | undefined;
  store: JobStore<MessageBatchRecord>;
  jobs: Lifecycle<MessageBatchRecord>;
  models: ClaudeModels;
  maxRequestsPerBatch: number;
  maxBatchBytes: number;
}

/** Anthropic's documented limits per create call (docs: batch-processing). */
export const MAX_REQUESTS_PER_BATCH = 100_000;
export const MAX_BATCH_BYTES = 256 * 1024 * 1024;
/** Results can be downloaded for 29 days after creation, then the batch is archived. */
export const RETENTION_MS = 29 * 86_400_000;
export const WINDOW_MS = 86_400_000;
