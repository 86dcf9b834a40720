/**
 * Results cached before the cache recorded request hashes are found again by their request file's
 * sha256 and custom id: shared by the batch and online stages' cache lookups.
 */
import type { MatchUnhashed } from './cache.ts';
import type { RequestFile, RequestRef } from './request-file.ts';

/** Matches results cached without a hash (see cache.ts) to the current request file's entries. */
export function matchUnhashed(current: RequestFile<RequestRef>): MatchUnhashed {
  let byId: Map<string, string> | undefined;
  return (requestSha, customId) => {
    if (requestSha !== current.sha256) return undefined;
    byId ??= new Map(current.entries.map((e) => [e.customId, e.hash]));
    return byId.get(customId);
  };
}
