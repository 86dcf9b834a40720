/**
 * Bedrock's error answers, in the restJson1 shape the SDK deserialises: the status, the error's
 * name in `x-amzn-ErrorType` (the SDK throws the exception class of that name), `{"message": …}`,
 * and `x-amzn-RequestId`. Validation messages follow AWS's wording ("1 validation error detected:
 * Value … at 'jobName' failed to satisfy constraint: …").
 */
import type { ServerResponse } from 'node:http';
import { sendJson, type ByteCounter } from '../http.ts';

export type BedrockErrorName =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'AccessDeniedException'
  | 'ServiceQuotaExceededException'
  | 'ConflictException'
  | 'ThrottlingException'
  | 'InternalServerException'
  | 'ServiceUnavailableException'
  | 'MissingAuthenticationTokenException'
  | 'UnknownOperationException';

const STATUS: Record<BedrockErrorName, number> = {
  ValidationException: 400,
  ResourceNotFoundException: 404,
  AccessDeniedException: 403,
  ServiceQuotaExceededException: 400,
  ConflictException: 400,
  ThrottlingException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  MissingAuthenticationTokenException: 403,
  UnknownOperationException: 404,
};

export class BedrockError extends Error {
  readonly status: number;
  constructor(
    readonly errorType: BedrockErrorName,
    message: string,
    status?: number,
  ) {
    super(message);
    this.status = status ?? STATUS[errorType];
  }
}

/** One "Value … at 'field' failed to satisfy constraint: …" clause. */
export interface Violation {
  field: string;
  value: unknown;
  constraint: string;
}

/** AWS's validation message for one or more violated constraints. */
export function validationError(violations: Violation[]): BedrockError {
  const clauses = violations.map(({ field, value, constraint }) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const shown = value === undefined || value === null ? 'null' : `'${text}'`;
    return `Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`;
  });
  const n = violations.length;
  return new BedrockError(
    'ValidationException',
    `${n} validation error${n === 1 ? '' : 's'} detected: ${clauses.join('; ')}`,
  );
}

/** What an injected HTTP fault answers on Bedrock. */
export function bedrockFaultError(status: number): BedrockError {
  if (status === 429)
    return new BedrockError('ThrottlingException', 'Too many requests, please wait before trying again.');
  if (status === 503 || status === 529)
    return new BedrockError('ServiceUnavailableException', 'Service temporarily unavailable, please try again.', 503);
  return new BedrockError('InternalServerException', 'Internal server error. Please try again.', status);
}

/** Bedrock's JSON answers are the core's: `application/json`, counted bytes. */
export const sendBedrockJson = sendJson;

export function sendBedrockError(
  res: ServerResponse,
  e: BedrockError,
  counter: ByteCounter,
  headers: Record<string, string> = {},
): void {
  sendBedrockJson(res, e.status, { message: e.message }, counter, { 'x-amzn-errortype': e.errorType, ...headers });
}
