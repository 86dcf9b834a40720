/**
 * Reading and checking a create call's body: `{requests: [{custom_id, params}]}` inline, up to
 * 256 MB (beyond it the edge answers 413 `request_too_large` before the API sees it) and 100,000
 * requests. Only the envelope is checked here (400 at create, worded like the API's field errors:
 * `requests.0.custom_id: String should have at most 64 characters`); `params` are checked when
 * each request is processed (see request-params.ts).
 */
import type { IncomingMessage } from 'node:http';
import { isRecord, readBytes } from '../http.ts';
import type { AnthropicContext } from './context.ts';
import { AnthropicApiError } from './errors.ts';

export interface BatchRequest {
  custom_id: string;
  params: Record<string, unknown>;
}

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

const tooLarge = () =>
  new AnthropicApiError('request_too_large', 'Request exceeds the maximum allowed number of bytes.');
const invalid = (message: string) => new AnthropicApiError('invalid_request_error', message);

/** The body, refused with 413 as soon as it is known to exceed the limit. */
export const readBody = (ctx: AnthropicContext, req: IncomingMessage): Promise<Buffer> =>
  readBytes(req, ctx.counter, ctx.limits.maxBytes, tooLarge);

function checkCustomId(v: unknown, i: number, seen: Set<string>): string {
  const field = `requests.${i}.custom_id`;
  if (v === undefined) throw invalid(`${field}: Field required`);
  if (typeof v !== 'string') throw invalid(`${field}: Input should be a valid string`);
  if (v.length < 1) throw invalid(`${field}: String should have at least 1 character`);
  if (v.length > 64) throw invalid(`${field}: String should have at most 64 characters`);
  if (!CUSTOM_ID.test(v)) throw invalid(`${field}: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
  if (seen.has(v))
    throw invalid(
      `${field}: Duplicate custom_id '${v}'. Each request in a Message Batch must have a unique custom_id.`,
    );
  return v;
}

/** The requests of a create body, or the 400 that refuses it. */
export function parseRequests(ctx: AnthropicContext, raw: Buffer): BatchRequest[] {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalid('There was an error parsing the body of your request. Please make sure it is valid JSON.');
  }
  if (!isRecord(body)) throw invalid('Input should be a valid dictionary');
  const requests = body.requests;
  if (requests === undefined) throw invalid('requests: Field required');
  if (!Array.isArray(requests)) throw invalid('requests: Input should be a valid list');
  if (requests.length === 0) throw invalid('requests: List should have at least 1 item after validation, not 0');
  if (requests.length > ctx.limits.maxRequests)
    throw invalid(
      `requests: List should have at most ${ctx.limits.maxRequests} items after validation, not ${requests.length}`,
    );
  for (const key of Object.keys(body)) if (key !== 'requests') throw invalid(`${key}: Extra inputs are not permitted`);
  const seen = new Set<string>();
  return requests.map((r: unknown, i): BatchRequest => {
    if (!isRecord(r)) throw invalid(`requests.${i}: Input should be a valid dictionary`);
    const custom_id = checkCustomId(r.custom_id, i, seen);
    seen.add(custom_id);
    if (r.params === undefined) throw invalid(`requests.${i}.params: Field required`);
    if (!isRecord(r.params)) throw invalid(`requests.${i}.params: Input should be a valid dictionary`);
    return { custom_id, params: r.params };
  });
}
