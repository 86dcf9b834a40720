/**
 * The `aws-chunked` content encoding the S3 client uses for streamed bodies (and for any body when
 * a trailing checksum is sent): `hex-size[;chunk-signature=…]\r\n<bytes>\r\n` repeated, a zero-size
 * chunk, then trailer lines `x-amz-checksum-crc32:…\r\n` and an empty line. Decoded as it arrives,
 * so a multi-GB upload never sits in memory; chunk signatures are read past, not checked.
 */
import { S3Error } from './errors.ts';

const CRLF = Buffer.from('\r\n');

const incomplete = (why: string) =>
  new S3Error(400, 'IncompleteBody', `The aws-chunked request body is malformed: ${why}.`);

/** Yields the payload bytes; fills `trailers` (lower-cased names) once the final chunk is read. */
export async function* decodeAwsChunked(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  trailers: Map<string, string>,
): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let remaining = -1; // bytes of the current chunk still to come; -1: a size line is next
  let done = false;
  for await (const chunk of source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (done) {
        const end = pending.indexOf(CRLF);
        if (end === -1) break;
        const line = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 2);
        if (line === '') return;
        const colon = line.indexOf(':');
        if (colon > 0) trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        continue;
      }
      if (remaining === -1) {
        const end = pending.indexOf(CRLF);
        if (end === -1) {
          if (pending.length > 4096) throw incomplete('a chunk header is too long');
          break;
        }
        const sizeText = pending.subarray(0, end).toString('latin1').split(';')[0]?.trim() ?? '';
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw incomplete(`bad chunk size '${sizeText}'`);
        pending = pending.subarray(end + 2);
        remaining = parseInt(sizeText, 16);
        if (remaining === 0) done = true;
        continue;
      }
      if (remaining > 0) {
        if (pending.length === 0) break;
        const take = Math.min(remaining, pending.length);
        yield pending.subarray(0, take);
        pending = pending.subarray(take);
        remaining -= take;
        continue;
      }
      // End of a data chunk: its CRLF.
      if (pending.length < 2) break;
      if (!pending.subarray(0, 2).equals(CRLF)) throw incomplete('a chunk does not end with CRLF');
      pending = pending.subarray(2);
      remaining = -1;
    }
  }
  // Some clients end the body right after the last trailer line, without the closing empty line.
  if (!done) throw incomplete('the body ended before the final chunk');
}
