/**
 * Downloading a result file whole, over connections that drop: a body cut short (a reset, a
 * stream that ends early) is asked for again from the byte it reached, with the SDKs' kind of
 * back-off (1 s doubling), a few times, before the collection is left for the next poll. Without
 * this a dropped connection crashed the stage mid-collection, and `build --wait` gave up on it.
 */
import type { Readable } from 'node:stream';
import type { ApiError, BatchApi } from '../../providers/batch-api.ts';
import { describeApiError } from '../../providers/batch-api.ts';
import type { Clock } from '../../util/clock.ts';
import { err, ok, type Result } from '../../util/result.ts';

/** Tries after the first connection drops (the first request included, 1 + this many in all). */
const RESUMES = 5;
const FIRST_WAIT_MS = 1000;

/** The download could not be finished now; what was read so far is kept by the caller, nothing is lost. */
export class DownloadDropped extends Error {}

/** The file's bytes as one stream, resumed across dropped connections; the first answer's failure as a value. */
export async function downloadWhole(
  api: BatchApi,
  id: string,
  clock: Clock,
  signal?: AbortSignal,
): Promise<Result<AsyncIterable<Buffer>, ApiError>> {
  const first = await api.downloadFile(id);
  if (!first.ok) return err(first.error);
  return ok(resumed(api, id, first.value, clock, signal));
}

async function* resumed(
  api: BatchApi,
  id: string,
  firstStream: Readable,
  clock: Clock,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  let stream = firstStream;
  let received = 0;
  for (let resume = 0; ; resume++) {
    try {
      for await (const chunk of stream as AsyncIterable<Buffer | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        received += bytes.length;
        yield bytes;
      }
      return;
    } catch (error) {
      stream.destroy();
      if (resume >= RESUMES) throw new DownloadDropped(`${id}: ${(error as Error).message} (after ${resume} resumes)`);
    }
    await clock.sleep(FIRST_WAIT_MS * 2 ** resume, signal);
    let next = await api.downloadFile(id, received);
    for (let tries = 0; !next.ok && tries < RESUMES && transient(next.error); tries++) {
      await clock.sleep(FIRST_WAIT_MS * 2 ** tries, signal);
      next = await api.downloadFile(id, received);
    }
    if (!next.ok) throw new DownloadDropped(`${id}: ${describeApiError(next.error)}`);
    stream = next.value;
  }
}

function transient(error: ApiError): boolean {
  return error.kind === 'network' || error.kind === 'server-error' || error.kind === 'rate-limited';
}
