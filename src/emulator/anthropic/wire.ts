/**
 * The MessageBatch object as the API returns it: RFC 3339 times, explicit nulls, and counts that
 * stay all-`processing` until the batch has ended (Anthropic reports no progress while it runs).
 * `results_url` points at this server, as the real one points at api.anthropic.com.
 */
import { RETENTION_MS } from './context.ts';
import { processingStatus, type MessageBatchRecord } from './types.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function messageBatchObject(rec: MessageBatchRecord, now: number, origin: string): Record<string, unknown> {
  const ended = rec.phase === 'ended';
  const archivedMs = rec.createdMs + RETENTION_MS;
  return {
    id: rec.id,
    type: 'message_batch',
    processing_status: processingStatus(rec),
    request_counts: ended
      ? { processing: 0, ...rec.counts }
      : { processing: rec.total, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    ended_at: iso(rec.endedMs),
    created_at: iso(rec.createdMs),
    expires_at: iso(rec.deadlineMs),
    archived_at: now >= archivedMs ? iso(archivedMs) : null,
    cancel_initiated_at: iso(rec.cancellingMs),
    results_url: ended ? `${origin}/v1/messages/batches/${rec.id}/results` : null,
  };
}
