/**
 * From an HTTP failure to an `ApiError`, the same way for every provider's SDK: what the caller
 * should do depends on the status, not on which SDK threw. Secrets are scrubbed from messages
 * before they can reach a marker, a log or a status line.
 */
import type { ApiError, QueueHeaders } from '../batch-api.ts';
import { isFileForm, sendFileForm } from './form-upload.ts';
import { atSendGate } from './send-gate.ts';

export interface HttpFailure {
  /** Undefined: no answer at all (connection refused, reset, timeout). */
  status: number | undefined;
  message: string;
  headers?: Headers | undefined;
  code?: string | undefined;
  param?: string | undefined;
}

/** `ambiguous`: the call was a create, whose lost answer may hide a batch that was made. */
export function classifyFailure(failure: HttpFailure, ambiguous: boolean): ApiError {
  const { status, message } = failure;
  if (status === undefined) return ambiguous ? { kind: 'ambiguous', message } : { kind: 'network', message };
  if (status === 429) {
    const retryAfterMs = retryAfter(failure.headers);
    return { kind: 'rate-limited', status, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  // A 5xx (or Anthropic's 529 overloaded) answer to create may come after the batch was made.
  if (status >= 500)
    return ambiguous ? { kind: 'ambiguous', status, message } : { kind: 'server-error', status, message };
  if (status === 404) return { kind: 'not-found', status, message };
  if (status === 409) return { kind: 'conflict', status, message };
  if (status === 401 || status === 403) return { kind: 'auth', status, message };
  if (status === 400 || status === 422 || status === 413) {
    // Azure refuses a create at once when the deployment's queue is full ("token_limit_exceeded").
    if (failure.code === 'token_limit_exceeded' || /token_limit_exceeded/.test(message))
      return { kind: 'queue-full', status, message, queue: queueHeaders(failure.headers) };
    return { kind: 'bad-request', status, message, code: failure.code, param: failure.param };
  }
  return { kind: 'http', status, message };
}

export function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Removes the key itself and anything that looks like an OpenAI or Anthropic secret key from a message. */
export function scrubSecrets(text: string, apiKey?: string): string {
  let out = apiKey && apiKey.length >= 4 ? text.split(apiKey).join('[redacted]') : text;
  out = out.replace(/\bsk-(?:ant-)?[A-Za-z0-9_*-]{6,}/g, 'sk-[redacted]');
  return out;
}

/** `/v1/batches/batch_123/cancel` → `/v1/batches/{id}/cancel`, for per-route call counts. */
export function routeOf(pathname: string): string {
  return pathname.replace(/\/(batches|files|jobs|model-invocation-job)\/[^/:]+/g, '/$1/{id}');
}

/**
 * A fetch that counts the calls it makes (SDK retries included), for tests and benchmarks. It is
 * the last step before the network, so a gated create's hook runs here (see send-gate.ts).
 */
export function countingFetch(calls: { total: number; byRoute: Record<string, number> }): typeof fetch {
  return async (input, init) => {
    await atSendGate();
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    // SDKs built on Request objects (Mistral's) pass the method on the request, not in init.
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const route = `${method.toUpperCase()} ${routeOf(url.pathname)}`;
    calls.total += 1;
    calls.byRoute[route] = (calls.byRoute[route] ?? 0) + 1;
    // An upload (a batch part from disk) goes with back-pressure: fetch would hold it all in memory.
    if (isFileForm(init?.body)) return sendFileForm(url, { ...init, body: init.body });
    return fetch(input, init);
  };
}

/** Azure's queue headers, when sent (on a create's answer, refused or not). */
export function queueHeaders(headers: Headers | undefined): QueueHeaders | undefined {
  const read = (name: string) => {
    const n = Number(headers?.get(name) ?? NaN);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const fileTokens = read('deployment-enqueued-tokens');
  const maxEnqueuedTokens = read('deployment-maximum-enqueued-tokens');
  return fileTokens === undefined && maxEnqueuedTokens === undefined ? undefined : { fileTokens, maxEnqueuedTokens };
}
