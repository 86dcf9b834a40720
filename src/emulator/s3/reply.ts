/** S3's success answers: XML documents, empty answers, and the headers that describe an object. */
import { readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ByteCounter } from '../http.ts';
import { receiveBody } from './body.ts';
import type { S3Context } from './context.ts';
import type { ObjectRecord } from './store.ts';

export function sendXml(
  res: ServerResponse,
  xml: string,
  counter: ByteCounter,
  headers: Record<string, string> = {},
): void {
  const bytes = Buffer.byteLength(xml);
  counter.addOut(bytes);
  res.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(bytes), ...headers });
  res.end(xml);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': '0', ...headers });
  res.end();
}

export const quoted = (etag: string): string => `"${etag}"`;

/** S3's timestamps in XML: ISO 8601 with milliseconds. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** The headers GetObject and HeadObject describe an object with (size and range are the caller's). */
export function objectHeaders(rec: ObjectRecord): Record<string, string> {
  const headers: Record<string, string> = {
    etag: quoted(rec.etag),
    'last-modified': new Date(rec.lastModifiedMs).toUTCString(),
    'content-type': rec.contentType,
    'accept-ranges': 'bytes',
  };
  for (const [name, value] of Object.entries(rec.metadata ?? {})) headers[`x-amz-meta-${name}`] = value;
  return headers;
}

/** `x-amz-meta-*` request headers, as stored. */
export function userMetadata(req: IncomingMessage): Record<string, string> | undefined {
  const entries: [string, string][] = Object.entries(req.headers)
    .filter(([name, v]) => name.startsWith('x-amz-meta-') && typeof v === 'string')
    .map(([name, v]) => [name.slice('x-amz-meta-'.length), v as string]);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/**
 * A small XML request body, read through the same decoding and checksum checks as uploads
 * (the SDK sends DeleteObjects with a CRC32, maybe aws-chunked). Bounded: these bodies are tiny.
 */
export async function readSmallBody(ctx: S3Context, req: IncomingMessage): Promise<string> {
  const file = path.join(ctx.tmpDir, `body-${randomBytes(6).toString('hex')}`);
  try {
    const { bytes } = await receiveBody(req, file, ctx.counter);
    if (bytes > 2 * 1024 * 1024) return '';
    return await readFile(file, 'utf8');
  } finally {
    await rm(file, { force: true });
  }
}
