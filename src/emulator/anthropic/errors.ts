/**
 * Anthropic's error envelope, `{type:"error", error:{type, message}, request_id}`, with the HTTP
 * status each error type comes with (docs: api/errors). The `request-id` header is set by the router
 * on every answer; the body repeats it.
 */
import type { ServerResponse } from 'node:http';
import { HttpError } from '../http.ts';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export const STATUS_OF: Readonly<Record<AnthropicErrorType, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

export const errorObject = (type: AnthropicErrorType, message: string, requestId: string | null) => ({
  type: 'error' as const,
  error: { type, message },
  request_id: requestId,
});

/** An expected refusal of a call, answered with the envelope; thrown from handlers to the router. */
export class AnthropicApiError extends HttpError {
  constructor(
    readonly type: AnthropicErrorType,
    message: string,
    status?: number,
  ) {
    super(status ?? STATUS_OF[type], message);
  }

  body(res: ServerResponse): unknown {
    const requestId = res.getHeader('request-id');
    return errorObject(this.type, this.message, typeof requestId === 'string' ? requestId : null);
  }
}

/** What an injected HTTP fault of this status looks like on Anthropic's side. */
export function faultError(status: number): AnthropicApiError {
  if (status === 429)
    return new AnthropicApiError(
      'rate_limit_error',
      'Number of requests has exceeded your per-minute rate limit for the Message Batches API. Please try again later.',
    );
  if (status === 529 || status === 503) return new AnthropicApiError('overloaded_error', 'Overloaded', status);
  return new AnthropicApiError('api_error', 'Internal server error', status);
}
