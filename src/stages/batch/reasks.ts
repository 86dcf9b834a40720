/**
 * The batch stage's view of re-asks (see structured/reask.ts): the request file with each line
 * standing for its current re-ask, and the counts `status` shows.
 */
import { effectiveEntries } from '../structured/reask.ts';
import type { CachedLocation } from '../work/cache.ts';
import type { BatchStageConfig } from './config.ts';
import type { Ledger } from './ledger.ts';
import type { RequestFile } from '../work/request-file.ts';

/** The request file as this target must answer it now; drops records of requests no line leads to any more. */
export function effectiveRequests(
  ledger: Ledger | undefined,
  config: Pick<BatchStageConfig, 'schema' | 'maxInvalidAttempts' | 'repairPrompt'>,
  written: RequestFile,
): RequestFile {
  if (!config.schema || !ledger?.invalidReplies) return written;
  const { entries, chain } = effectiveEntries(written.entries, ledger.invalidReplies, config);
  for (const key of Object.keys(ledger.invalidReplies)) if (!chain.has(key)) delete ledger.invalidReplies[key];
  return { sha256: written.sha256, entries };
}

/** Rows whose final reply is invalid, and rows asked again; nothing without a schema. */
export function structuredCounts(
  ledger: Ledger,
  config: Pick<BatchStageConfig, 'schema'>,
  current: RequestFile,
  index: ReadonlyMap<string, CachedLocation>,
): { invalid?: number; reasked?: number } {
  if (!config.schema) return {};
  const invalid = current.entries.filter((e) => index.has(e.hash) && ledger.invalidReplies?.[e.hash]).length;
  const reasked = current.entries.filter((e) => (e.reask ?? 0) > 0).length;
  return { invalid, reasked };
}
