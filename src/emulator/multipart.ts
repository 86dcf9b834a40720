/**
 * A multipart/form-data upload (OpenAI's and Mistral's Files APIs), streamed to a temp file in the
 * files store: the upload is never held in memory. The `file` part beyond `maxBytes` is cut off
 * and marked `truncated`; the caller refuses it.
 */
import busboy from 'busboy';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ByteCounter } from './http.ts';

export interface Upload {
  tmp: string;
  filename: string;
  /** The part's own content type. */
  mimeType: string;
  truncated: boolean;
}

export interface Received {
  fields: Record<string, string>;
  upload: Upload | null;
}

/** True when the request is multipart/form-data (else the caller answers its own 400). */
export const isMultipart = (req: IncomingMessage): boolean =>
  (req.headers['content-type'] ?? '').startsWith('multipart/form-data');

export async function receiveMultipart(
  req: IncomingMessage,
  counter: ByteCounter,
  maxBytes: number,
  tempPath: () => string,
): Promise<Received> {
  const fields: Record<string, string> = {};
  let upload: Upload | null = null;
  const writes: Promise<void>[] = [];
  const bb = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 1, fieldSize: 1 << 16 } });
  bb.on('field', (name, value) => (fields[name] = value));
  bb.on('file', (name, stream, info) => {
    if (name !== 'file' || upload) return void stream.resume();
    const current: Upload = {
      tmp: tempPath(),
      filename: info.filename || 'upload',
      mimeType: info.mimeType,
      truncated: false,
    };
    upload = current;
    stream.on('limit', () => (current.truncated = true));
    writes.push(pipeline(stream, createWriteStream(current.tmp)));
  });
  req.on('data', (c: Buffer) => counter.addIn(c.length));
  await pipeline(req, bb);
  await Promise.all(writes);
  return { fields, upload };
}
