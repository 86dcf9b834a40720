/**
 * What one answer of the server means for its request, and the result line it becomes (the Batch
 * API's output line shape, so `result-line.ts`, the cache, the results file and the merge read
 * online answers exactly like batch ones).
 */
import { randomBytes } from 'node:crypto';
import type { OnlineAnswer } from '../../providers/online-api.ts';

/** Answers that mean "the server is full or over its limits": everyone pauses, nobody is blamed. */
export const THROTTLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 498, 529]);

export type AnswerMeaning =
  | { kind: 'succeeded'; line: Record<string, unknown> }
  /** Back off globally and send again; not an attempt. */
  | { kind: 'throttled'; status: number; message: string; line: Record<string, unknown> }
  /** May work later (5xx, 408, timeouts, dropped connections): counts as an attempt. */
  | { kind: 'transient'; status?: number; code: string; message: string; line: Record<string, unknown> }
  /** A 4xx: the request itself is refused; sending it again will not help. */
  | { kind: 'refused'; status: number; code?: string; message: string; line: Record<string, unknown> };

export function meaningOf(customId: string, answer: OnlineAnswer): AnswerMeaning {
  if (answer.kind === 'no-response') {
    const line = {
      id: null,
      custom_id: customId,
      response: null,
      error: { code: answer.code, message: answer.message },
    };
    return { kind: 'transient', code: answer.code, message: answer.message, line };
  }
  const line = {
    id: `online_${randomBytes(12).toString('hex')}`,
    custom_id: customId,
    response: { status_code: answer.status, request_id: answer.requestId ?? null, body: answer.body },
    error: null,
  };
  if (answer.status >= 200 && answer.status < 300)
    return { kind: 'succeeded', line: { ...line, response: { ...line.response, status_code: 200 } } };
  const error = answer.body.error as { message?: unknown; code?: unknown } | undefined;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${answer.status}`;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  // 429 insufficient_quota is OpenAI's "no credit left": waiting will not fix it.
  if (THROTTLE_STATUSES.has(answer.status) && code !== 'insufficient_quota')
    return { kind: 'throttled', status: answer.status, message, line };
  if (answer.status >= 500 || answer.status === 408)
    return { kind: 'transient', status: answer.status, code: code ?? `http_${answer.status}`, message, line };
  return { kind: 'refused', status: answer.status, ...(code ? { code } : {}), message, line };
}
