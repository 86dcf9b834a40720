/**
 * The local copy of each part's exact bytes, `.pipeline/cache/<target>.parts/<sha256>.jsonl`, kept
 * from before the intent is recorded until the part is collected. It is what gets uploaded (so a
 * re-upload after a crash sends the same bytes) and how results are matched to request hashes
 * even after the request file has been edited.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { lineId } from '../../providers/registry.ts';
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
  const text = await readFile(partFile(run, part.sha256), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    try {
      const v: unknown = line.trim() ? JSON.parse(line) : undefined;
      const id = isRecord(v) ? lineId(v) : undefined;
      if (id) ids.add(id);
    } catch {
      // A line we cannot read names no request.
    }
  }
  return ids;
}

/** custom_id → request hash for the lines of a part: from its local copy, else from the unchanged request file. */
export async function partRequests(
  run: Pick<BatchRun, 'files'>,
  part: Part,
  current: RequestFile,
): Promise<Map<string, string> | undefined> {
  const ids = new Map<string, string>();
  const text = await readFile(partFile(run, part.sha256), 'utf8').catch(() => undefined);
  if (text !== undefined) {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        continue;
      }
      const id = isRecord(v) ? lineId(v) : undefined;
      if (id) ids.set(id, lineKey(v as Record<string, unknown>, part.reasks));
    }
    return ids;
  }
  if (current.sha256 !== part.requestSha) return undefined;
  const byLine = new Map(current.entries.map((e) => [e.line, e]));
  for (const n of decodeLines(part.lines)) {
    const e = byLine.get(n);
    if (e) ids.set(e.sentId ?? e.customId, e.hash);
  }
  return ids;
}
