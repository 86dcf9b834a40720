/**
 * The `pipeline emulator` flags of the online endpoints: their parseArgs table, their help text,
 * and turning their values into options and faults (a bad value is a typed error naming the flag).
 */
import { err, ok, type Result } from '../../util/result.ts';
import type { OnlineErrorStatus, OnlineFaults, OnlineOptions, RateLimitStorm } from './types.ts';

export const ONLINE_FLAGS = {
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  'max-concurrency': { type: 'string' },
  'max-queue': { type: 'string' },
  'no-ratelimit-headers': { type: 'boolean' },
  'latency-ms': { type: 'string' },
  'latency-per-token-ms': { type: 'string' },
  'online-error-rate': { type: 'string' },
  'online-error-status': { type: 'string' },
  'online-retry-after': { type: 'string' },
  'hang-rate': { type: 'string' },
  'hang-ms': { type: 'string' },
  'online-lost-reply-rate': { type: 'string' },
  'rate-limit-storm': { type: 'string', multiple: true },
} as const;

export const ONLINE_USAGE = `Online endpoints (POST /v1/chat/completions, /v1/responses, /v1/embeddings):
  --rpm N                       requests per minute per model (429 beyond; default: unlimited)
  --tpm N                       tokens per minute per model, prompt + max_tokens (default: unlimited)
  --max-concurrency N           requests worked on at once (default: no cap)
  --max-queue N                 requests waiting for a slot; one more gets 503 (default 512)
  --no-ratelimit-headers        send no x-ratelimit-* headers (as vLLM and Ollama)
  --latency-ms MS               time to answer any request (default 0; divided by --speed)
  --latency-per-token-ms MS     added time per output token (default 0; divided by --speed)
Online faults (decided per request body and attempt from --seed):
  --online-error-rate R         share of requests answered with --online-error-status
  --online-error-status S       500, 502, 503, 498 or 529 (default 500)
  --online-retry-after S        retry-after seconds on those answers
  --hang-rate R                 share of requests never answered
  --hang-ms MS                  close a hung request's connection after MS (default: never)
  --online-lost-reply-rate R    share of requests worked on and billed, reply lost
  --rate-limit-storm START:DUR  answer every request 429 from START for DUR seconds after
                                the emulator starts (repeatable)
`;

type Values = Record<string, unknown>;

const ERROR_STATUSES: readonly OnlineErrorStatus[] = [500, 502, 503, 498, 529];

function number(
  values: Values,
  name: string,
  check: (n: number) => boolean,
  what: string,
): Result<number | undefined, string> {
  const raw = values[name];
  if (raw === undefined) return ok(undefined);
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !check(n))
    return err(`--${name} must be ${what}, got '${typeof raw === 'string' ? raw : JSON.stringify(raw)}'`);
  return ok(n);
}

const positiveInteger = (n: number) => Number.isInteger(n) && n > 0;
const nonNegative = (n: number) => n >= 0;
const share = (n: number) => n >= 0 && n <= 1;

function storms(values: Values): Result<RateLimitStorm[], string> {
  const raw = values['rate-limit-storm'];
  const list = Array.isArray(raw) ? raw.filter((s): s is string => typeof s === 'string') : [];
  const result: RateLimitStorm[] = [];
  for (const text of list) {
    const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(text);
    if (!m) return err(`--rate-limit-storm must be START:DURATION in seconds, got '${text}'`);
    result.push({ afterMs: Number(m[1]) * 1000, durationMs: Number(m[2]) * 1000 });
  }
  return ok(result);
}

export function parseOnlineFlags(values: Values): Result<{ options: OnlineOptions; faults: OnlineFaults }, string> {
  const fields = {
    requestsPerMinute: number(values, 'rpm', positiveInteger, 'a positive integer'),
    tokensPerMinute: number(values, 'tpm', positiveInteger, 'a positive integer'),
    maxConcurrency: number(values, 'max-concurrency', positiveInteger, 'a positive integer'),
    maxQueue: number(values, 'max-queue', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0'),
    baseLatencyMs: number(values, 'latency-ms', nonNegative, 'a number of milliseconds'),
    latencyPerOutputTokenMs: number(values, 'latency-per-token-ms', nonNegative, 'a number of milliseconds'),
    errorRate: number(values, 'online-error-rate', share, 'a rate between 0 and 1'),
    errorStatus: number(
      values,
      'online-error-status',
      (n) => (ERROR_STATUSES as number[]).includes(n),
      '500, 502, 503, 498 or 529',
    ),
    retryAfterSeconds: number(values, 'online-retry-after', nonNegative, 'a number of seconds'),
    hangRate: number(values, 'hang-rate', share, 'a rate between 0 and 1'),
    hangMs: number(values, 'hang-ms', nonNegative, 'a number of milliseconds'),
    lostReplyRate: number(values, 'online-lost-reply-rate', share, 'a rate between 0 and 1'),
  };
  const parsed: Partial<Record<keyof typeof fields, number>> = {};
  for (const [key, field] of Object.entries(fields) as [keyof typeof fields, Result<number | undefined, string>][]) {
    if (!field.ok) return field;
    if (field.value !== undefined) parsed[key] = field.value;
  }
  const stormList = storms(values);
  if (!stormList.ok) return stormList;
  const { errorRate, errorStatus, retryAfterSeconds, hangRate, hangMs, lostReplyRate, ...options } = parsed;
  if ((errorRate ?? 0) + (hangRate ?? 0) + (lostReplyRate ?? 0) > 1)
    return err('--online-error-rate, --hang-rate and --online-lost-reply-rate add up to more than 1');
  const faults: OnlineFaults = {
    ...(errorRate
      ? {
          errors: [
            {
              status: (errorStatus ?? 500) as OnlineErrorStatus,
              rate: errorRate,
              ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
            },
          ],
        }
      : {}),
    ...(hangRate === undefined ? {} : { hangRate }),
    ...(hangMs === undefined ? {} : { hangMs }),
    ...(lostReplyRate === undefined ? {} : { lostReplyRate }),
    ...(stormList.value.length > 0 ? { rateLimitStorms: stormList.value } : {}),
  };
  return ok({
    options: { ...options, ...(values['no-ratelimit-headers'] === true ? { rateLimitHeaders: false } : {}) },
    faults,
  });
}
