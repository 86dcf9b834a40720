/**
 * The error answers of the online endpoints, in the texts the real servers use: OpenAI's 429s
 * (`rate_limit_exceeded`, type `requests` or `tokens`), Ollama's 503 for a full queue, Groq flex's
 * 498 and the 529 "overloaded". Each comes with the retry headers a client should honour.
 */
import { ApiError, STATUS_TEXT, type FaultText } from '../openai/errors.ts';
import { formatDuration } from './duration.ts';
import type { RateLimitRefusal } from './rate-limits.ts';
import type { OnlineErrorStatus } from './types.ts';

export interface OnlineErrorAnswer {
  error: ApiError;
  headers: Record<string, string>;
}

const ORGANIZATION = 'org-emulator';
const LEARN_MORE = 'Visit https://platform.openai.com/account/rate-limits to learn more.';

/** `retry-after` in whole seconds (rounded up) and `retry-after-ms`, as OpenAI sends them. */
export function retryHeaders(ms: number): Record<string, string> {
  const wait = Math.max(0, Math.ceil(ms));
  return { 'retry-after': String(Math.ceil(wait / 1000)), 'retry-after-ms': String(wait) };
}

const perMinute = (type: RateLimitRefusal['type']) =>
  type === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';

export function rateLimitAnswer(model: string, refusal: RateLimitRefusal): OnlineErrorAnswer {
  const { type, limit, used, requested, waitMs } = refusal;
  const where = `for ${model} in organization ${ORGANIZATION} on ${perMinute(type)}`;
  if (!Number.isFinite(waitMs)) {
    // Bigger than the whole limit: waiting never helps, so no retry headers.
    return {
      error: new ApiError(
        429,
        `Request too large ${where}: Limit ${limit}, Requested ${requested}. The input or output tokens must be reduced in order to run successfully. ${LEARN_MORE}`,
        null,
        'rate_limit_exceeded',
        type,
      ),
      headers: {},
    };
  }
  return {
    error: new ApiError(
      429,
      `Rate limit reached ${where}: Limit ${limit}, Used ${used}, Requested ${requested}. Please try again in ${formatDuration(waitMs)}. ${LEARN_MORE}`,
      null,
      'rate_limit_exceeded',
      type,
    ),
    headers: retryHeaders(waitMs),
  };
}

/** A 429 from an injected storm: the provider is out of capacity for everyone, whatever the limits say. */
export function stormAnswer(leftMs: number): OnlineErrorAnswer {
  return {
    error: new ApiError(
      429,
      `Rate limit reached for requests. Please try again in ${formatDuration(leftMs)}.`,
      null,
      'rate_limit_exceeded',
      'requests',
    ),
    headers: retryHeaders(leftMs),
  };
}

export function queueFullAnswer(): OnlineErrorAnswer {
  return {
    error: new ApiError(
      503,
      'server busy, please try again.  maximum pending requests exceeded',
      null,
      null,
      'api_error',
    ),
    headers: {},
  };
}

const FAULT_TEXT: Record<OnlineErrorStatus, FaultText> = {
  500: STATUS_TEXT[500],
  502: STATUS_TEXT[502],
  503: STATUS_TEXT[503],
  498: {
    message: 'Flex tier capacity exceeded. This is a temporary error due to high demand. Please try again later.',
    type: 'capacity_exceeded',
    code: 'capacity_exceeded',
  },
  529: { message: 'Overloaded', type: 'overloaded_error', code: 'overloaded' },
};

export function faultAnswer(status: OnlineErrorStatus, retryAfterSeconds: number | undefined): OnlineErrorAnswer {
  const { message, type, code } = FAULT_TEXT[status];
  return {
    error: new ApiError(status, message, null, code, type),
    headers: retryAfterSeconds === undefined ? {} : retryHeaders(retryAfterSeconds * 1000),
  };
}
