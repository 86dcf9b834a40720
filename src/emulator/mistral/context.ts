/** What the Mistral routes need: a flavour's context plus their files, models and limits. */
import type { BatchContext, SizeLimits } from '../context.ts';
import type { FilesStore } from '../files-store.ts';
import type { ModelTable } from '../model-table.ts';
import type { MistralJob } from './types.ts';

export interface MistralContext extends BatchContext<MistralJob> {
  files: FilesStore;
  models: ModelTable;
  limits: SizeLimits;
}

/** Documented limits (providers.md J.2, the "Known limitations" page): the safe caps. */
export const MAX_REQUESTS_PER_JOB = 100_000;
export const MAX_JOB_BYTES = 512 * 1024 * 1024;
/** Uploaded files are kept 30 days; results can be downloaded for 24 h after the job completes. */
export const UPLOAD_LIFETIME_S = 30 * 86_400;
export const RESULTS_LIFETIME_S = 86_400;

/** The endpoints a job may name (@mistralai/mistralai 2.7.0's ApiEndpoint). */
export const ENDPOINTS = [
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/fim/completions',
  '/v1/moderations',
  '/v1/chat/moderations',
  '/v1/ocr',
  '/v1/classifications',
  '/v1/chat/classifications',
  '/v1/conversations',
  '/v1/audio/transcriptions',
];
