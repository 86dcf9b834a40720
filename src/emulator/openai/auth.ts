/**
 * Bearer-key checks with the live API's 401s. Without a configured key any key is accepted (the
 * SDK insists on sending one); with `apiKey` set, any other key is refused as the real service
 * refuses a wrong one, so a client's handling of a bad key can be tested.
 */
import { bearerToken } from '../http.ts';
import { ApiError } from './errors.ts';

const NO_KEY =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.";

/** The live API echoes a wrong key masked: its start and its last four characters. */
export function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

/** The error for this Authorization header, or null when the call may go on. */
export function authError(header: string | undefined, apiKey: string | undefined): ApiError | null {
  if (!header) return new ApiError(401, NO_KEY);
  if (apiKey === undefined) return null;
  const key = bearerToken(header);
  if (key === apiKey) return null;
  return new ApiError(
    401,
    `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    null,
    'invalid_api_key',
  );
}
