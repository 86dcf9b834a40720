/**
 * Anthropic's header checks: the key, in `x-api-key` or (as SDK 1.x sends it) `Authorization:
 * Bearer` — 401 `authentication_error` without one, or with a key other than the configured one —
 * and an `anthropic-version` the API knows (400 otherwise).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken } from '../http.ts';
import { AnthropicApiError } from './errors.ts';

/** Versions the API accepts: the long-standing one, its predecessor, and the 2026 one SDK 1.x sends. */
const VERSIONS = new Set(['2023-01-01', '2023-06-01', '2026-10-21']);

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The version the call uses; throws the refusal when the headers do not let it through. */
export function checkHeaders(headers: IncomingHttpHeaders, apiKey: string | undefined): string {
  const key = one(headers['x-api-key']);
  const bearer = bearerToken(headers.authorization);
  if (!key && !bearer) throw new AnthropicApiError('authentication_error', 'x-api-key header is required');
  if (apiKey !== undefined && key && key !== apiKey)
    throw new AnthropicApiError('authentication_error', 'invalid x-api-key');
  if (apiKey !== undefined && !key && bearer !== apiKey)
    throw new AnthropicApiError('authentication_error', 'Invalid bearer token');
  const version = one(headers['anthropic-version']);
  if (!version) throw new AnthropicApiError('invalid_request_error', 'anthropic-version: header is required');
  if (!VERSIONS.has(version))
    throw new AnthropicApiError('invalid_request_error', `anthropic-version: invalid version '${version}'`);
  return version;
}
