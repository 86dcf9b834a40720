/**
 * Which requests of the request file an online run still sends, from the request cache (paid
 * answers, shared with the batch stage) and the journal (final failures, requests lost in flight).
 */
import { readCacheIndex, type CachedLocation } from '../work/cache.ts';
import { matchUnhashed } from '../work/unhashed.ts';
import type { RequestEntry, RequestFile, RequestRef } from '../work/request-file.ts';
import { maxOutputTokens } from '../work/request-file.ts';
import { countedTokens } from '../../tokens/request-tokens.ts';
import { replayJournal, type FinalFailure, type JournalReplay } from './journal.ts';

export interface OnlinePlan {
  index: Map<string, CachedLocation>;
  replay: JournalReplay;
  /** Failures that stop a request in this session: a 4xx (until it changes), or retries used up in this session. */
  stopping: Map<string, FinalFailure>;
  /** In request-file order. */
  todo: RequestRef[];
  /** Of `todo`: sent by a run that died before the answer was journaled. */
  lostInFlight: number;
}

export async function planOnline(
  current: RequestFile<RequestRef>,
  files: { cache: string; journal: string },
  opts: { session: string; force: boolean; entries?: readonly RequestRef[] },
): Promise<OnlinePlan> {
  const index = await readCacheIndex(files.cache, matchUnhashed(current));
  const replay = await replayJournal(files.journal);
  const stopping = new Map<string, FinalFailure>();
  if (!opts.force)
    for (const [hash, f] of replay.failures) if (!f.exhausted || f.session === opts.session) stopping.set(hash, f);
  const todo = (opts.entries ?? current.entries).filter((e) => !index.has(e.hash) && !stopping.has(e.hash));
  const lostInFlight = todo.filter((e) => replay.lostInFlight.has(e.hash)).length;
  return { index, replay, stopping, todo, lostInFlight };
}

/**
 * The token budget a request takes: its prompt (real tokenizer) plus the most it may write. The
 * count is kept with the request, since its spend line counts the same prompt again.
 */
export function tokenCost(entry: RequestEntry, outputTokenRatio: number): number {
  const prompt = countedTokens(entry);
  return prompt + (maxOutputTokens(entry) ?? Math.ceil(prompt * outputTokenRatio));
}
