/**
 * HTTP plumbing every flavour shares: the base of their error envelopes, JSON replies, bounded
 * request bodies, and draining a body that will not be read.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

/**
 * An expected refusal of a call, thrown from a handler to the router, which answers it with the
 * flavour's envelope: each flavour's error class says how its body looks.
 */
export abstract class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** The JSON body of the answer (`res` carries the request id the flavour stamped). */
  abstract body(res: ServerResponse): unknown;
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

export function sendError(
  res: ServerResponse,
  e: HttpError,
  counter: ByteCounter,
  headers: Record<string, string> = {},
): void {
  sendJson(res, e.status, e.body(res), counter, headers);
}

/** `retry-after` (seconds, as the HTTP standard has it) and `retry-after-ms` (as OpenAI's and Anthropic's SDKs read it). */
export function retryHeaders(seconds: number | undefined): Record<string, string> {
  if (seconds === undefined) return {};
  return { 'retry-after': String(seconds), 'retry-after-ms': String(Math.round(seconds * 1000)) };
}

/**
 * Reads a whole body of at most `maxBytes`; a larger one (declared or sent) is drained and refused
 * with `tooLarge()` as soon as it is known to be too large.
 */
export async function readBytes(
  req: IncomingMessage,
  counter: ByteCounter,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    await drain(req, counter);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    counter.addIn(chunk.length);
    if (size > maxBytes) {
      await drain(req, counter);
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
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

/** Streams a stored file as the body of a 200 answer: large files never pass through memory whole. */
export async function streamFile(
  res: ServerResponse,
  file: string,
  counter: ByteCounter,
  headers: Record<string, string>,
): Promise<void> {
  const { size } = await stat(file);
  res.writeHead(200, { 'content-length': String(size), ...headers });
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  stream.on('data', (c) => counter.addOut(c.length));
  await pipeline(stream, res);
}

/** The token of an `Authorization: Bearer …` header ('' when there is none). */
export const bearerToken = (header: string | string[] | undefined): string =>
  /^Bearer\s+(.*)$/i.exec((Array.isArray(header) ? header[0] : header) ?? '')?.[1]?.trim() ?? '';
