/**
 * Plain HTTP calls for what an SDK does not give us (Gemini's SDK drops batch counts and cannot
 * stream a download): JSON GETs and streamed downloads with a few retries on the provider's
 * transient answers, every failure classified as the SDK transports classify theirs.
 */
import type { Readable } from 'node:stream';
import { isRecord } from '../../util/is-record.ts';
import { err, ok, type Result } from '../../util/result.ts';
import type { ApiError } from '../batch-api.ts';
import { bodyFrom, rangeHeader } from './byte-range.ts';
import { stallTimed } from './body-stall.ts';
import { classifyFailure, scrubSecrets } from './http-errors.ts';

export interface RestClient {
  fetch: typeof fetch;
  headers: Record<string, string>;
  /** Retries of an idempotent call on 429, 5xx and dropped connections. */
  retries: number;
  timeoutMs: number;
  /** Scrubbed from every message. */
  secret: string;
}

/** A JSON answer, or the failure said as an ApiError (the provider's error message kept). */
export async function restJson(client: RestClient, url: string, init: Init = {}): Promise<Result<unknown, ApiError>> {
  const answer = await call(client, url, init);
  if (!answer.ok) return answer;
  try {
    const text = await answer.value.text();
    return ok(text ? (JSON.parse(text) as unknown) : {});
  } catch (error) {
    return err(classifyFailure({ status: undefined, message: scrub(client, error) }, false));
  }
}

/** A streamed body (result files can be hundreds of MB), from byte `from` on. */
export async function restStream(client: RestClient, url: string, from = 0): Promise<Result<Readable, ApiError>> {
  const answer = await call(client, url, { headers: rangeHeader(from) });
  if (!answer.ok) return answer;
  return ok(bodyFrom(answer.value.body, from, answer.value.status === 206));
}

interface Init {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

async function call(client: RestClient, url: string, init: Init): Promise<Result<Response, ApiError>> {
  const method = init.method ?? 'GET';
  for (let attempt = 0; ; attempt++) {
    let failure: ApiError;
    try {
      const response = await timedAttempt(client, url, {
        method,
        headers: {
          ...client.headers,
          ...init.headers,
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      if (response.ok) return ok(response);
      const message = scrubSecrets(await errorMessage(response), client.secret);
      failure = classifyFailure({ status: response.status, message, headers: response.headers }, false);
    } catch (error) {
      failure = classifyFailure({ status: undefined, message: scrub(client, error) }, false);
    }
    const transient = failure.kind === 'rate-limited' || failure.kind === 'server-error' || failure.kind === 'network';
    if (!transient || attempt >= client.retries) return err(failure);
    const hinted = failure.kind === 'rate-limited' ? failure.retryAfterMs : undefined;
    await new Promise((r) => setTimeout(r, Math.min(hinted ?? 500 * 2 ** attempt, 8000)));
  }
}

/**
 * One attempt, timed as attempt-timeout.ts times Mistral's: `timeoutMs` for the answer's status and
 * headers, then for each silence of its body (body-stall.ts), never for the whole body. A single
 * signal for the whole call used to cut a large Gemini results file every `timeoutMs` (60 s), so
 * it came in one-minute slices, each resumed with a byte range.
 */
async function timedAttempt(client: RestClient, url: string, init: RequestInit): Promise<Response> {
  const attempt = new AbortController();
  const timer = setTimeout(
    () => attempt.abort(new DOMException(`no answer within ${client.timeoutMs} ms`, 'TimeoutError')),
    client.timeoutMs,
  );
  try {
    return stallTimed(await client.fetch(url, { ...init, signal: attempt.signal }), attempt, client.timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

/** Google's `{error: {code, message, status}}` and the like; else the status line. */
async function errorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body: unknown = JSON.parse(text);
    const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    if (error && typeof error.message === 'string')
      return typeof error.status === 'string' ? `${error.status}: ${error.message}` : error.message;
  } catch {
    // not JSON: the status line says it
  }
  return `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

function scrub(client: RestClient, error: unknown): string {
  return scrubSecrets(error instanceof Error ? error.message : String(error), client.secret);
}
