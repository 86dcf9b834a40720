/**
 * A result download cut short is resumed from the byte it reached (stages/batch/download.ts), with
 * back-off on the injected clock; a server that ignores the range is skipped past (byte-range.ts);
 * one that keeps dropping ends as a `DownloadDropped` the collection turns into a wait.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BatchApi } from '../../src/providers/batch-api.ts';
import { skipBytes } from '../../src/providers/shared/byte-range.ts';
import { DownloadDropped, downloadWhole } from '../../src/stages/batch/download.ts';
import { ok } from '../../src/util/result.ts';

const FILE = Buffer.from(Array.from({ length: 200 }, (_, i) => `{"custom_id":"r-${i}","n":${i}}\n`).join(''));

/** A stream of `bytes` that fails after `cut` bytes (or ends cleanly when cut is undefined). */
function dropping(bytes: Buffer, cut?: number): Readable {
  return Readable.from(
    (async function* () {
      const end = cut ?? bytes.length;
      for (let i = 0; i < end; i += 97) yield await Promise.resolve(bytes.subarray(i, Math.min(i + 97, end)));
      if (cut !== undefined) throw new Error('socket hang up');
    })(),
  );
}

/** A transport whose downloads drop after the cuts given, one per call; `honoursRange: false` resends the whole file. */
function fakeApi(cuts: (number | undefined)[], honoursRange = true): { api: BatchApi; asked: number[] } {
  const asked: number[] = [];
  const api = {
    downloadFile(_id: string, from = 0) {
      asked.push(from);
      const cut = cuts.shift();
      if (honoursRange) return Promise.resolve(ok(dropping(FILE.subarray(from), cut)));
      // The whole file again; the transport skips what was had (as bodyFrom does for a 200).
      return Promise.resolve(ok(skipBytes(dropping(FILE, cut === undefined ? undefined : cut + from), from)));
    },
  } as unknown as BatchApi;
  return { api, asked };
}

function clock() {
  const slept: number[] = [];
  return { slept, clock: { now: () => 0, sleep: (ms: number) => (slept.push(ms), Promise.resolve()) } };
}

async function read(stream: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe('resumed result downloads', () => {
  it('asks for the rest from the byte reached after each drop, backing off, and gets every byte once', async () => {
    const { api, asked } = fakeApi([1000, 1500, undefined]);
    const { clock: c, slept } = clock();
    const opened = await downloadWhole(api, 'file-1', c);
    expect(opened.ok).toBe(true);
    const bytes = await read(opened.ok ? opened.value : []);
    expect(bytes.equals(FILE)).toBe(true);
    expect(asked).toEqual([0, 1000, 1000 + 1500]);
    expect(slept).toEqual([1000, 2000]);
  });

  it('a server that ignores Range: the repeated bytes are skipped, not duplicated', async () => {
    const { api, asked } = fakeApi([700, undefined], false);
    const opened = await downloadWhole(api, 'file-1', clock().clock);
    const bytes = await read(opened.ok ? opened.value : []);
    expect(bytes.equals(FILE)).toBe(true);
    expect(asked[1]).toBeGreaterThan(0);
  });

  it('a connection that keeps dropping ends as DownloadDropped, after a bounded number of resumes', async () => {
    const { api, asked } = fakeApi(Array.from({ length: 20 }, () => 10));
    const opened = await downloadWhole(api, 'file-1', clock().clock);
    await expect(read(opened.ok ? opened.value : [])).rejects.toBeInstanceOf(DownloadDropped);
    expect(asked.length).toBe(6);
  });
});
