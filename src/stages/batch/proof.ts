/**
 * Proof that a batch found without metadata (Anthropic) is this part's: its results answer the
 * part's own custom ids. A provider without batch metadata can only offer size and creation time
 * to go by, and two parts of the same size whose creates were both lost, or a provider clock hours
 * off ours, make those ambiguous: adopting the wrong batch would write another part's rows off as
 * unanswered (sent and paid again) and leave this part's batch orphaned. Results exist once the
 * batch has ended, and custom ids are unique per target, so the first result line decides.
 */
import type { ApiError, BatchApi } from '../../providers/batch-api.ts';
import { err, ok, type Result } from '../../util/result.ts';
import { streamLines } from './collect.ts';
import { lineId } from '../../providers/registry.ts';
import { isRecord } from '../../util/is-record.ts';

/** `ours` / `theirs`, or `unprovable` when the results are gone (a 404) or empty. */
export type Proof = 'ours' | 'theirs' | 'unprovable';

export async function proveByCustomIds(
  api: BatchApi,
  resultsFileId: string,
  ownIds: ReadonlySet<string>,
): Promise<Result<Proof, ApiError>> {
  const stream = await api.downloadFile(resultsFileId);
  if (!stream.ok) return stream.error.kind === 'not-found' ? ok('unprovable') : err(stream.error);
  try {
    for await (const line of streamLines(stream.value)) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      const customId = isRecord(value) ? lineId(value) : undefined;
      if (customId === undefined) continue;
      return ok(ownIds.has(customId) ? 'ours' : 'theirs');
    }
    return ok('unprovable');
  } finally {
    stream.value.destroy();
  }
}
