/**
 * What still needs sending — the one filter behind planning, the dry run and the scheduler: a
 * request of the current file that has no cached success, no failure that stops it (a 4xx, or
 * attempts used up in this session) and is not in a part still in flight. Requests with the same
 * body are sent once.
 */
import type { CachedLocation } from '../work/cache.ts';
import { isInFlight, type Ledger } from './ledger.ts';
import { partRequests } from './part-file.ts';
import type { RequestEntry, RequestFile } from '../work/request-file.ts';
import type { BatchRun } from './run-context.ts';

export function outstandingRequests(
  entries: readonly RequestEntry[],
  known: {
    index: ReadonlyMap<string, CachedLocation>;
    ledger: Ledger | undefined;
    flying: ReadonlySet<string>;
    force?: boolean;
    nextBuild?: boolean;
  },
): RequestEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    if (known.index.has(e.hash) || known.flying.has(e.hash) || seen.has(e.hash)) return false;
    const failure = known.ledger?.requestFailures[e.hash];
    // `nextBuild` (the dry run): requests out of attempts get a fresh round there, so they count as to be sent.
    if (!known.force && failure?.permanent && !(known.nextBuild && failure.exhausted)) return false;
    seen.add(e.hash);
    return true;
  });
}

/** Request hashes of the parts in flight; undefined if one cannot be matched (then nothing new may be planned). */
export async function inFlightHashes(
  run: Pick<BatchRun, 'files'>,
  ledger: Ledger | undefined,
  current: RequestFile,
): Promise<Set<string> | undefined> {
  const out = new Set<string>();
  for (const part of ledger?.parts.filter(isInFlight) ?? []) {
    const ids = await partRequests(run, part, current);
    if (!ids) return undefined;
    for (const h of ids.values()) out.add(h);
  }
  return out;
}
