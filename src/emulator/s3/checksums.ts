/**
 * S3's flexible checksums, computed over an upload as it streams: CRC32 (the SDK's default),
 * CRC32C, SHA1 and SHA256 are checked against the header or trailer the client sent (a mismatch
 * is `BadDigest`, as on S3); CRC64NVME is stored as sent, not checked (no cheap implementation in
 * Node, and the SDK only uses it when asked). Content-MD5 and a hex `x-amz-content-sha256` are
 * checked too.
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export const checksumHeader = (algorithm: ChecksumAlgorithm): string => `x-amz-checksum-${algorithm.toLowerCase()}`;

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function crc32c(data: Uint8Array, previous: number): number {
  let c = ~previous >>> 0;
  for (const byte of data) c = (CRC32C_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

const crcBase64 = (value: number): string => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b.toString('base64');
};

/** Incremental digest of one algorithm; `digest()` is the base64 value S3 shows (undefined: not computed). */
export interface RunningChecksum {
  update(data: Buffer): void;
  digest(): string | undefined;
}

export function runningChecksum(algorithm: ChecksumAlgorithm): RunningChecksum {
  if (algorithm === 'CRC32' || algorithm === 'CRC32C') {
    const step = algorithm === 'CRC32' ? (d: Buffer, v: number) => crc32(d, v) : crc32c;
    let value = 0;
    return { update: (d) => (value = step(d, value)), digest: () => crcBase64(value) };
  }
  if (algorithm === 'SHA1' || algorithm === 'SHA256') {
    const hash: Hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
    return { update: (d) => void hash.update(d), digest: () => hash.digest('base64') };
  }
  return { update: () => undefined, digest: () => undefined };
}

export function parseAlgorithm(value: string | undefined): ChecksumAlgorithm | undefined {
  const upper = value?.toUpperCase();
  return CHECKSUM_ALGORITHMS.find((a) => a === upper);
}
