/**
 * Publishing a finished batch's partial result files as files of its flavour's Files API, each
 * shuffled (see shuffle.ts). A part without lines gives no file (null), as OpenAI and Mistral give
 * null ids then, unless `keepEmpty` says the flavour makes one anyway.
 */
import { writeFile } from 'node:fs/promises';
import type { FileMeta, FilesStore } from './files-store.ts';
import type { Job } from './job.ts';
import type { JobStore } from './job-store.ts';
import { shuffleLines } from './shuffle.ts';

export async function publishParts<J extends Job, P extends string>(
  store: JobStore<J>,
  files: FilesStore,
  seed: number,
  job: J,
  parts: readonly P[],
  meta: (part: P) => FileMeta,
  keepEmpty: (part: P) => boolean = () => false,
): Promise<Record<P, string | null>> {
  const ids = {} as Record<P, string | null>;
  for (const part of parts) {
    const lines = job.parts[part]?.lines ?? 0;
    ids[part] = null;
    if (lines === 0 && !keepEmpty(part)) continue;
    const tmp = files.tempPath();
    if (lines === 0) await writeFile(tmp, '');
    else await shuffleLines(store.part(job.id, part), tmp, seed, job.id, part);
    ids[part] = (await files.add(tmp, meta(part))).id;
  }
  return ids;
}
