/**
 * Azure's key check: the `api-key` header (an Entra token in `Authorization` is not emulated). A
 * missing or wrong key gets Azure's 401, whose text is the same for both.
 */
import { ApiError } from '../openai/errors.ts';

const DENIED =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';

export function azureAuthError(header: string | string[] | undefined, apiKey: string | undefined): ApiError | null {
  const key = Array.isArray(header) ? header[0] : header;
  if (key && (apiKey === undefined || key === apiKey)) return null;
  return new ApiError(401, DENIED, null, '401', 'invalid_request_error');
}
