/**
 * The local copy of each part's exact bytes, `.pipeline/cache/<target>.parts/<sha256>.jsonl`, kept
 * from before the intent is recorded until the part is collected. It is what gets uploaded (so a
 * re-upload after a crash sends the same bytes) and how results are matched to request hashes
 * even after the request file has been edited.
 */
import path from 'node:path';
import { lineId } from '../../providers/registry.ts';
import { readLines } from '../../util/jsonl.ts';
import { isRecord } from '../record-template.ts';
import type { Part } from './ledger.ts';
import { decodeLines } from './line-ranges.ts';
import { lineKey } from '../structured/reask.ts';
import type { RequestFile } from '../work/request-file.ts';
import type { BatchRun } from './run-context.ts';

export function partFile(run: Pick<BatchRun, 'files'>, sha256: string): string {
  return path.join(run.files.partsDir, `${sha256}.jsonl`);
}

/** The custom ids of a part's requests, from its local copy (undefined once that is gone). */
export async function partCustomIds(run: Pick<BatchRun, 'files'>, part: Part): Promise<Set<string> | undefined> {
  const ids = new Set<string>();
  const found = await eachPartLine(partFile(run, part.sha256), (id) => ids.add(id));
  return found ? ids : undefined;
}

/** custom_id → request hash for the lines of a part: from its local copy, else from the unchanged request file. */
export async function partRequests(
  run: Pick<BatchRun, 'files'>,
  part: Part,
  current: RequestFile,
): Promise<Map<string, string> | undefined> {
  const ids = new Map<string, string>();
  if (await eachPartLine(partFile(run, part.sha256), (id, line) => ids.set(id, lineKey(line, part.reasks)))) return ids;
  if (current.sha256 !== part.requestSha) return undefined;
  const byLine = new Map(current.entries.map((e) => [e.line, e]));
  for (const n of decodeLines(part.lines)) {
    const e = byLine.get(n);
    if (e) ids.set(e.sentId ?? e.customId, e.hash);
  }
  return ids;
}

/**
 * Calls `each` for every line of a part's local copy that names a request, one line at a time (a
 * part can be 200 MB); false when the copy is gone. A line we cannot read names no request.
 */
async function eachPartLine(file: string, each: (id: string, line: Record<string, unknown>) => void): Promise<boolean> {
  try {
    for await (const raw of readLines(file)) {
      if (!raw.text.trim()) continue;
      let v: unknown;
      try {
        v = JSON.parse(raw.text);
      } catch {
        continue;
      }
      const id = isRecord(v) ? lineId(v) : undefined;
      if (id) each(id, v as Record<string, unknown>);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
