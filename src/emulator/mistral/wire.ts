/** Mistral's BatchJob and file objects as its API returns them: unix seconds, explicit nulls. */
import { fileBasics, type FileRecord } from '../files-store.ts';
import { statusOf, type MistralJob } from './types.ts';

const sec = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

export function jobObject(j: MistralJob, outputs?: unknown[]): Record<string, unknown> {
  return {
    id: j.id,
    object: 'batch',
    input_files: j.inputFiles,
    metadata: j.metadata,
    endpoint: j.endpoint,
    model: j.model,
    agent_id: null,
    output_file: j.outputFile,
    error_file: j.errorFile,
    errors: j.errors,
    ...(outputs ? { outputs } : {}),
    status: statusOf(j),
    created_at: Math.floor(j.createdMs / 1000),
    total_requests: j.total,
    completed_requests: j.succeeded + j.failed,
    succeeded_requests: j.succeeded,
    failed_requests: j.failed,
    started_at: sec(j.runningMs),
    completed_at: sec(j.endedMs),
  };
}

/**
 * A file: what a user uploads is a `batch_request` sample from an `upload`; a job's output and
 * error files (stored with purpose `batch_result`/`batch_error`) come from `mistral`.
 */
export function fileObject(rec: FileRecord): Record<string, unknown> {
  const produced = rec.purpose === 'batch_result' || rec.purpose === 'batch_error';
  return {
    ...fileBasics(rec),
    filename: rec.filename,
    purpose: produced ? 'batch' : rec.purpose,
    sample_type: produced ? rec.purpose : rec.purpose === 'batch' ? 'batch_request' : 'instruct',
    num_lines: null,
    mimetype: rec.mimeType ?? null,
    source: produced ? 'mistral' : 'upload',
    expires_at: rec.expiresAt,
    visibility: 'workspace',
  };
}
