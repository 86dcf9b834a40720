/**
 * Receiving an upload body (PutObject, UploadPart) straight to a file: decoded from aws-chunked
 * when the client streams, measured, MD5'd (the ETag) and checked against the checksums the client
 * sent, all in one pass, so a body of any size never sits in memory. A bad body leaves no file.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ByteCounter } from '../http.ts';
import { decodeAwsChunked } from './aws-chunked.ts';
import { checksumHeader, parseAlgorithm, runningChecksum, type ChecksumAlgorithm } from './checksums.ts';
import { S3Error } from './errors.ts';

/** S3's largest single PUT (an object by PutObject, or one part). */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

export interface ReceivedBody {
  bytes: number;
  /** Hex MD5 of the payload: a single-part object's ETag. */
  md5: string;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Which flexible checksum the client sent (as a header, or announced as a trailer). */
function announcedAlgorithm(req: IncomingMessage): ChecksumAlgorithm | undefined {
  const named = parseAlgorithm(header(req, 'x-amz-sdk-checksum-algorithm'));
  if (named) return named;
  const trailer = header(req, 'x-amz-trailer')?.toLowerCase();
  const fromTrailer = trailer?.startsWith('x-amz-checksum-') ? trailer.slice('x-amz-checksum-'.length) : undefined;
  if (fromTrailer) return parseAlgorithm(fromTrailer);
  const sent = Object.keys(req.headers).find((h) => h.startsWith('x-amz-checksum-') && h !== 'x-amz-checksum-type');
  return sent ? parseAlgorithm(sent.slice('x-amz-checksum-'.length)) : undefined;
}

export async function receiveBody(req: IncomingMessage, file: string, counter: ByteCounter): Promise<ReceivedBody> {
  const chunked =
    (header(req, 'content-encoding') ?? '').includes('aws-chunked') ||
    (header(req, 'x-amz-content-sha256') ?? '').startsWith('STREAMING-');
  const algorithm = announcedAlgorithm(req);
  const checksum = algorithm ? runningChecksum(algorithm) : undefined;
  const contentSha = header(req, 'x-amz-content-sha256');
  const sha256 = contentSha && /^[0-9a-f]{64}$/.test(contentSha) ? createHash('sha256') : undefined;
  const md5 = createHash('md5');
  const trailers = new Map<string, string>();
  let bytes = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      counter.addIn(chunk.length);
      yield chunk;
    }
  }
  async function* payload(): AsyncGenerator<Buffer> {
    for await (const chunk of chunked ? decodeAwsChunked(counted(), trailers) : counted()) {
      bytes += chunk.length;
      if (bytes > MAX_PUT_BYTES)
        throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
      md5.update(chunk);
      sha256?.update(chunk);
      checksum?.update(chunk);
      yield chunk;
    }
  }
  try {
    await pipeline(payload, createWriteStream(file));
    const decoded = header(req, 'x-amz-decoded-content-length');
    if (chunked && decoded !== undefined && Number(decoded) !== bytes)
      throw new S3Error(
        400,
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header.',
      );
    const digest = md5.digest();
    const contentMd5 = header(req, 'content-md5');
    if (contentMd5 !== undefined && contentMd5 !== digest.toString('base64'))
      throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    if (sha256 && sha256.digest('hex') !== contentSha)
      throw new S3Error(
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    if (!algorithm || !checksum) return { bytes, md5: digest.toString('hex') };
    const sent = header(req, checksumHeader(algorithm)) ?? trailers.get(checksumHeader(algorithm));
    const computed = checksum.digest();
    if (sent !== undefined && computed !== undefined && sent !== computed)
      throw new S3Error(400, 'BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
    const value = sent ?? computed;
    return { bytes, md5: digest.toString('hex'), ...(value ? { checksum: { algorithm, value } } : {}) };
  } catch (e) {
    await rm(file, { force: true });
    throw e;
  }
}
