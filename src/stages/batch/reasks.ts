/**
 * The batch stage's view of re-asks (see structured/reask.ts): the request file with each line
 * standing for its current re-ask, and the counts `status` shows.
 */
import { effectiveEntries, NEXT_BUILD, type InvalidRecord } from '../structured/reask.ts';
import { countReplies, type ReplyTally } from '../structured/reply-counts.ts';
import type { CachedLocation } from '../work/cache.ts';
import type { BatchStageConfig } from './config.ts';
import type { Ledger } from './ledger.ts';
import type { RequestFile } from '../work/request-file.ts';

export type ReaskedFile = RequestFile & { hopeless?: Map<string, InvalidRecord[]> };

/**
 * The request file as this target must answer it now, in build `session` (fresh rounds for rows
 * an earlier build ran out of re-asks); drops records of requests no line leads to any more.
 */
export function effectiveRequests(
  ledger: Ledger | undefined,
  config: Pick<BatchStageConfig, 'schema' | 'maxInvalidAttempts' | 'repairPrompt'>,
  written: RequestFile,
  session: string,
): ReaskedFile {
  if (!config.schema || !ledger?.invalidReplies) return written;
  const { entries, chain, hopeless } = effectiveEntries(written.entries, ledger.invalidReplies, config, session);
  for (const key of Object.keys(ledger.invalidReplies)) if (!chain.has(key)) delete ledger.invalidReplies[key];
  return { sha256: written.sha256, entries, ...(hopeless.size > 0 ? { hopeless } : {}) };
}

/**
 * Rows whose final reply is invalid, rows asked again, rows in a fresh round (a later build's) and
 * rows that will never be valid by asking again; nothing without a schema.
 */
export function structuredCounts(
  ledger: Ledger,
  config: Pick<BatchStageConfig, 'schema' | 'maxInvalidAttempts'>,
  current: ReaskedFile,
  index: ReadonlyMap<string, CachedLocation>,
): Partial<ReplyTally> {
  if (!config.schema) return {};
  return countReplies({
    entries: current.entries,
    invalid: ledger.invalidReplies,
    answered: (hash) => index.has(hash),
    maxInvalidAttempts: config.maxInvalidAttempts,
    hopeless: current.hopeless,
  });
}

/** Whether the next build gives some row a fresh round (so this target must run again then). */
export function freshRoundsNext(
  ledger: Ledger,
  config: Pick<BatchStageConfig, 'schema' | 'maxInvalidAttempts' | 'repairPrompt'>,
  written: RequestFile,
  now: ReaskedFile,
): number {
  if (!config.schema || !ledger.invalidReplies) return 0;
  const next = effectiveEntries(written.entries, ledger.invalidReplies, config, NEXT_BUILD).entries;
  return next.filter((e, i) => (e.reask ?? 0) > (now.entries[i]?.reask ?? 0)).length;
}
