/** What the Gemini routes need: a flavour's context plus their files, uploads, models and limits. */
import type { BatchContext } from '../context.ts';
import type { FilesStore } from '../files-store.ts';
import type { GeminiOptions } from '../types.ts';
import type { GeminiModels } from './models.ts';
import type { GeminiBatch } from './types.ts';
import type { UploadSessions } from './uploads.ts';

export interface GeminiLimits {
  /** Batch enqueued tokens per model across active jobs (undefined: unlimited). */
  maxEnqueuedTokens(model: string): number | undefined;
  maxConcurrentBatches: number;
  maxInlineBytes: number;
  maxFileBytes: number;
  maxStorageBytes: number;
}

export interface GeminiContext extends BatchContext<GeminiBatch> {
  files: FilesStore;
  uploads: UploadSessions;
  models: GeminiModels;
  limits: GeminiLimits;
  listOrder: NonNullable<GeminiOptions['listOrder']>;
}

/** Documented limits (providers.md C.3, C.7). */
export const MAX_INLINE_BYTES = 20 * 1024 * 1024;
export const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;
export const MAX_STORAGE_BYTES = 20 * 1024 * 1024 * 1024;
export const MAX_CONCURRENT_BATCHES = 100;
/** Uploaded files expire after 48 h; batches still pending or running at 48 h expire too. */
export const FILE_LIFETIME_MS = 48 * 3_600_000;
export const BATCH_WINDOW_MS = 48 * 3_600_000;
