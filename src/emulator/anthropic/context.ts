/** What the Message Batches routes need: a flavour's context plus their models and limits. */
import type { BatchContext, SizeLimits } from '../context.ts';
import type { ClaudeModels } from './models.ts';
import type { MessageBatchRecord } from './types.ts';

export interface AnthropicContext extends BatchContext<MessageBatchRecord> {
  models: ClaudeModels;
  limits: SizeLimits;
}

/** Anthropic's documented limits per create call (docs: batch-processing). */
export const MAX_REQUESTS_PER_BATCH = 100_000;
export const MAX_BATCH_BYTES = 256 * 1024 * 1024;
/** Results can be downloaded for 29 days after creation, then the batch is archived. */
export const RETENTION_MS = 29 * 86_400_000;
export const WINDOW_MS = 86_400_000;
