/** A JSON request body as Google refuses it: too large, or not JSON (400 INVALID_ARGUMENT either way). */
import type { IncomingMessage } from 'node:http';
import { readBytes, type ByteCounter } from '../http.ts';
import { GoogleApiError } from './errors.ts';

/** The parsed body (undefined when empty), at most `maxBytes`. */
export async function readJson(req: IncomingMessage, counter: ByteCounter, maxBytes: number): Promise<unknown> {
  const raw = await readBytes(
    req,
    counter,
    maxBytes,
    () => new GoogleApiError('INVALID_ARGUMENT', `Request payload size exceeds the limit: ${maxBytes} bytes.`),
  );
  const text = raw.toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GoogleApiError('INVALID_ARGUMENT', 'Invalid JSON payload received. Unexpected token.');
  }
}
