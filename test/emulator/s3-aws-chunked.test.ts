/**
 * The aws-chunked decoder on its own: signed chunks (`;chunk-signature=`), unsigned chunks with a
 * trailing checksum, any split of the bytes across network reads, and malformed bodies refused.
 */
import { describe, expect, it } from 'vitest';
import { decodeAwsChunked } from '../../src/emulator/s3/aws-chunked.ts';
import { S3Error } from '../../src/emulator/s3/errors.ts';

async function decode(wire: string, split: number): Promise<{ body: string; trailers: Map<string, string> }> {
  const bytes = Buffer.from(wire, 'latin1');
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += split) pieces.push(bytes.subarray(i, i + split));
  const trailers = new Map<string, string>();
  const out: Buffer[] = [];
  for await (const chunk of decodeAwsChunked(pieces, trailers)) out.push(Buffer.from(chunk));
  return { body: Buffer.concat(out).toString('latin1'), trailers };
}

const SIGNED = '5;chunk-signature=aaaa\r\nhello\r\n7;chunk-signature=bbbb\r\n, world\r\n0;chunk-signature=cccc\r\n\r\n';
const TRAILER = 'a\r\n0123456789\r\n3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AbCd==\r\nx-amz-trailer-signature:ff\r\n\r\n';

describe('decodeAwsChunked', () => {
  it('decodes signed chunks and trailers whatever the read boundaries', async () => {
    for (const split of [1, 2, 3, 7, 64, 4096]) {
      expect((await decode(SIGNED, split)).body).toBe('hello, world');
      const { body, trailers } = await decode(TRAILER, split);
      expect(body).toBe('0123456789abc');
      expect(trailers.get('x-amz-checksum-crc32')).toBe('AbCd==');
    }
  });

  it('refuses a bad size line, a chunk without its CRLF, and a body cut before the last chunk', async () => {
    for (const wire of ['zz\r\nhello\r\n0\r\n\r\n', '5\r\nhelloXX0\r\n\r\n', '5\r\nhello\r\n']) {
      const error = await decode(wire, 4).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(S3Error);
      expect(error).toMatchObject({ code: 'IncompleteBody', status: 400 });
    }
  });
});
