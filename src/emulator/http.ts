/** HTTP plumbing: the OpenAI error envelope, JSON replies and bounded JSON request bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An API error answered with the `{"error":{message,type,param,code}}` envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

export interface ByteCounter {
  addIn(n: number): void;
  addOut(n: number): void;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  counter: ByteCounter,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  const bytes = Buffer.byteLength(text);
  counter.addOut(bytes);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes), ...headers });
  res.end(text);
}

export function errorBody(e: ApiError): unknown {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

export function sendError(
  res: ServerResponse,
  e: ApiError,
  counter: ByteCounter,
  headers: Record<string, string> = {},
): void {
  sendJson(res, e.status, errorBody(e), counter, headers);
}

const MAX_JSON_BODY = 1 << 20;

/** Reads a small JSON body (batch create, control routes); empty body = undefined. */
export async function readJsonBody(req: IncomingMessage, counter: ByteCounter): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    counter.addIn(chunk.length);
    if (size > MAX_JSON_BODY) throw new ApiError(413, 'Request body too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    );
  }
}

/** Drains an unread body so a fault reply does not leave the client writing into a closed pipe. */
export function drain(req: IncomingMessage, counter: ByteCounter): Promise<void> {
  return new Promise((resolve) => {
    req.on('data', (c: Buffer) => counter.addIn(c.length));
    req.on('end', resolve);
    req.on('error', () => resolve());
    req.resume();
  });
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
