/**
 * Google's error envelope, `{"error":{code, message, status, details?}}` (google.rpc.Status over
 * HTTP: `code` is the HTTP status, `status` the canonical code's name), and the numeric canonical
 * codes a batch row's or an operation's own `error` carries (google.rpc.Code: 3 INVALID_ARGUMENT…).
 */
import { HttpError } from '../http.ts';

export type GoogleStatus =
  | 'CANCELLED'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'UNAUTHENTICATED';

const HTTP_OF: Readonly<Record<GoogleStatus, number>> = {
  CANCELLED: 499,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  UNAUTHENTICATED: 401,
};

/** google.rpc.Code numbers, as a row's `error.code` and an operation's `error.code` give them. */
export const RPC_CODE: Readonly<Record<GoogleStatus, number>> = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};

export class GoogleApiError extends HttpError {
  constructor(
    readonly grpcStatus: GoogleStatus,
    message: string,
    readonly details?: unknown[],
    status = HTTP_OF[grpcStatus],
  ) {
    super(status, message);
  }

  body(): unknown {
    return {
      error: {
        code: this.status,
        message: this.message,
        status: this.grpcStatus,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

/**
 * A failed row's status, a google.rpc.Status: the canonical code as a number (as rows were
 * observed) and the message, no name: a client must read the number.
 */
export const rowError = (status: GoogleStatus, message: string) => ({ code: RPC_CODE[status], message });

/** The message Google gives for a bad argument it does not explain. */
export const INVALID_ARGUMENT = 'Request contains an invalid argument.';

export const notFound = () => new GoogleApiError('NOT_FOUND', 'Requested entity was not found.');

/** What an injected HTTP fault of this status looks like on Google's side. */
export function faultError(status: number): GoogleApiError {
  if (status === 429)
    return new GoogleApiError('RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', undefined, 429);
  if (status === 503 || status === 529)
    return new GoogleApiError('UNAVAILABLE', 'The model is overloaded. Please try again later.', undefined, status);
  return new GoogleApiError(
    'INTERNAL',
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
    undefined,
    status,
  );
}
