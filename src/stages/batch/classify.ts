/**
 * What to do with one result line of a finished batch (output or error file, see
 * docs/openai-batch-api.md §3.2–3.3):
 * - HTTP 200 → success, cached;
 * - `batch_expired` / `batch_cancelled` → never ran: sent again, no attempt counted;
 * - 5xx, 429, 408, `request_timeout` (and unknown non-HTTP codes) → transient: retried up to maxAttempts;
 * - other 4xx → permanent: recorded, written to the results file as the provider's error line.
 */
import { isRecord } from '../record-template.ts';

export type LineOutcome =
  | { kind: 'success'; customId: string; line: Record<string, unknown> }
  | { kind: 'requeue'; customId: string; code: string }
  | { kind: 'transient' | 'permanent'; customId: string; status?: number; code?: string; message: string; line: Record<string, unknown> };

export function classifyResultLine(value: unknown): LineOutcome | undefined {
  if (!isRecord(value) || typeof value.custom_id !== 'string') return undefined;
  const customId = value.custom_id;
  const error = value.error;
  if (isRecord(error)) {
    const code = typeof error.code === 'string' ? error.code : 'error';
    const message = typeof error.message === 'string' ? error.message : code;
    if (code === 'batch_expired' || code === 'batch_cancelled') return { kind: 'requeue', customId, code };
    return { kind: 'transient', customId, code, message, line: value };
  }
  const response = value.response;
  if (!isRecord(response)) return { kind: 'requeue', customId, code: 'no_response' };
  const status = typeof response.status_code === 'number' ? response.status_code : 0;
  if (status === 200) return { kind: 'success', customId, line: value };
  const body = isRecord(response.body) ? response.body : {};
  const err = isRecord(body.error) ? body.error : {};
  const message = typeof err.message === 'string' ? err.message : `HTTP ${status}`;
  const code = typeof err.code === 'string' ? err.code : undefined;
  const transient = status === 408 || status === 429 || status >= 500 || status === 0;
  return { kind: transient ? 'transient' : 'permanent', customId, status, ...(code ? { code } : {}), message, line: value };
}

/** The batch failed because the model's enqueued-token limit was reached: not the input's fault. */
export function isTokenLimitFailure(errors: readonly { code?: string | undefined; message?: string | undefined }[]): boolean {
  return errors.some((e) => e.code === 'token_limit_exceeded' || /enqueued token limit/i.test(e.message ?? ''));
}
