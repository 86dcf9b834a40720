/**
 * Google's API-key check: the key in `x-goog-api-key` (what @google/genai sends) or a `key` query
 * parameter. Without one the call is an unregistered caller's (403 PERMISSION_DENIED); a key other
 * than the configured one is refused as Google refuses an invalid key: 400 INVALID_ARGUMENT with
 * reason API_KEY_INVALID (observed in many client reports; not a 401).
 */
import type { IncomingMessage } from 'node:http';
import { GoogleApiError } from './errors.ts';

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function checkKey(req: IncomingMessage, query: URLSearchParams, apiKey: string | undefined): void {
  const key = one(req.headers['x-goog-api-key']) ?? query.get('key') ?? '';
  if (!key)
    throw new GoogleApiError(
      'PERMISSION_DENIED',
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  if (apiKey !== undefined && key !== apiKey)
    throw new GoogleApiError('INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
    ]);
}
