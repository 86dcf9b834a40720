/**
 * A multipart upload sent with node:http's back-pressure. Node's fetch (undici) reads a FormData
 * body ahead of the socket: a 115 MB batch part, streamed from disk, sat whole in the process's
 * memory (RSS +150 MB) while a busy server read it. Here the part's bytes are read from disk only
 * as fast as the server takes them. The answer is a standard `Response`, so an SDK's error
 * handling and retries see no difference.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** True for a body this module sends: a FormData holding at least one file. */
export function isFileForm(body: unknown): body is FormData {
  return body instanceof FormData && [...body.values()].some((v) => typeof v !== 'string');
}

export async function sendFileForm(url: URL, init: RequestInit & { body: FormData }): Promise<Response> {
  const boundary = `----llmake${randomBytes(12).toString('hex')}`;
  const pieces: (Buffer | Blob)[] = [];
  for (const [key, entry] of init.body.entries()) {
    const name = String(key);
    const value = entry as string | File; // what a FormData holds (some type libraries widen it)
    const head =
      typeof value === 'string'
        ? `Content-Disposition: form-data; name="${quote(name)}"\r\n\r\n`
        : `Content-Disposition: form-data; name="${quote(name)}"; filename="${quote(value.name)}"\r\n` +
          `Content-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`;
    pieces.push(Buffer.from(`--${boundary}\r\n${head}`), typeof value === 'string' ? Buffer.from(value) : value);
    pieces.push(Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  const length = pieces.reduce((n, p) => n + (p instanceof Blob ? p.size : p.length), 0);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, key) => (headers[key] = value));
  headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
  headers['content-length'] = String(length);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = send(url, { method: init.method ?? 'POST', headers, ...(init.signal ? { signal: init.signal } : {}) });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  async function* body() {
    for (const p of pieces) {
      if (p instanceof Blob) for await (const chunk of p.stream()) yield chunk;
      else yield p;
    }
  }
  // A server may answer (an error) before it has read everything: its answer wins over the write.
  const sent = pipeline(Readable.from(body()), req).catch(() => undefined);
  const res = await answered;
  void sent;
  const status = res.statusCode ?? 0;
  const out = new Headers();
  for (const [key, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(key, v);
  }
  const empty = status === 204 || status === 205 || status === 304;
  if (empty) res.resume();
  return new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
    status,
    statusText: res.statusMessage ?? '',
    headers: out,
  });
}

const quote = (s: string): string => s.replace(/["\r\n]/g, (c) => encodeURIComponent(c));
