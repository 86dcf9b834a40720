/** The Batch and File objects as the API returns them: unix seconds and explicit nulls for unset fields. */
import { fileBasics, type FileRecord } from '../files-store.ts';
import { endedAs } from '../job.ts';
import { snapshotOf } from '../model.ts';
import { statusOf, type BatchRecord } from './types.ts';

const sec = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

export function batchObject(b: BatchRecord): Record<string, unknown> {
  const createdAt = Math.floor(b.createdMs / 1000);
  return {
    id: b.id,
    object: 'batch',
    endpoint: b.endpoint,
    model: b.model === null ? null : snapshotOf(b.model),
    errors: b.errors === null ? null : { object: 'list', data: b.errors },
    input_file_id: b.inputFileId,
    completion_window: b.completionWindow,
    status: statusOf(b),
    output_file_id: b.outputFileId,
    error_file_id: b.errorFileId,
    created_at: createdAt,
    in_progress_at: sec(b.runningMs),
    // Always 24 h after creation, as in every live sample (derived, never drifts by rounding).
    expires_at: createdAt + 86_400,
    finalizing_at: sec(b.finalizingMs),
    completed_at: sec(endedAs(b, 'completed')),
    failed_at: sec(endedAs(b, 'failed')),
    expired_at: sec(endedAs(b, 'expired')),
    cancelling_at: sec(b.cancellingMs),
    cancelled_at: sec(endedAs(b, 'cancelled')),
    request_counts: { total: b.total, completed: b.completed, failed: b.failed },
    usage: {
      input_tokens: b.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: b.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: b.inputTokens + b.outputTokens,
    },
    metadata: b.metadata,
  };
}

export function fileObject(rec: FileRecord): Record<string, unknown> {
  return {
    ...fileBasics(rec),
    expires_at: rec.expiresAt,
    filename: rec.filename,
    purpose: rec.purpose,
    status: 'processed',
    status_details: null,
  };
}
