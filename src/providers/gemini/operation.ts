/**
 * A batch operation as the REST routes give it (the SDK drops `batchStats`, the output and the
 * operation's error: providers.md C.2), read into a `RemoteBatch`: states `PENDING, RUNNING,
 * SUCCEEDED, FAILED, CANCELLED, EXPIRED` (EXPIRED: 48 h without finishing, no results), counts as
 * int64 strings, and where its results are: a responses file, or inline results, which are read
 * from the batch itself when it is collected (the list carries none) and written out in the
 * results file's line format.
 */
import { isRecord } from '../../util/is-record.ts';
import type { RemoteBatch } from '../batch-api.ts';
import { count } from '../outcome.ts';
import { metadataOf } from './intent-name.ts';
import { errorCode } from './result-line.ts';

/** The outputFileId of a batch whose results came inline. */
export const INLINE = 'inline:';

/**
 * Where an operation's results are: its `response` when it succeeded; an ended operation carries
 * either its response or its error (providers.md C.1), so a cancelled batch's finished rows are
 * only in `metadata.output`, where every batch's results also appear (C.4, C.5).
 */
export function outputOf(op: Record<string, unknown>): Record<string, unknown> {
  const hasResults = (o: unknown): o is Record<string, unknown> =>
    isRecord(o) && (typeof o.responsesFile === 'string' || isRecord(o.inlinedResponses));
  const meta = isRecord(op.metadata) ? op.metadata : {};
  return hasResults(op.response) ? op.response : hasResults(meta.output) ? meta.output : {};
}

/** Inline results written out as the responses file's lines: `{key, response}` or `{key, error}`. */
export function* inlineResultLines(output: Record<string, unknown>): Generator<string> {
  const wrapper = isRecord(output.inlinedResponses) ? output.inlinedResponses : {};
  for (const r of Array.isArray(wrapper.inlinedResponses) ? (wrapper.inlinedResponses as unknown[]) : []) {
    if (!isRecord(r)) continue;
    const key = isRecord(r.metadata) ? r.metadata.key : undefined;
    if (typeof key !== 'string') continue;
    yield `${JSON.stringify(isRecord(r.error) ? { key, error: r.error } : { key, response: r.response ?? null })}\n`;
  }
}

export const STATES: Readonly<Record<string, RemoteBatch['status']>> = {
  PENDING: 'validating',
  RUNNING: 'in_progress',
  SUCCEEDED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  EXPIRED: 'expired',
};

/** A batch operation as REST gives it: `{name, metadata: {state, batchStats, …}, done, response?, error?}`. */
export function fromRest(op: Record<string, unknown>): RemoteBatch {
  const name = typeof op.name === 'string' ? op.name : '';
  const meta = isRecord(op.metadata) ? op.metadata : {};
  const state = (typeof meta.state === 'string' ? meta.state : '').replace(/^(BATCH|JOB)_STATE_/, '');
  const stats = isRecord(meta.batchStats) ? meta.batchStats : {};
  const output = outputOf(op);
  const file = typeof output.responsesFile === 'string' ? output.responsesFile : undefined;
  // An ended batch without a responses file is read again for its results when collected: the
  // list leaves inline responses out (C.5), and a cancelled batch keeps them in its metadata.
  const readAgain = op.done === true || isRecord(output.inlinedResponses);
  const error = isRecord(op.error) ? op.error : undefined;
  return {
    ...emptyBatch(name, metadataOf(meta.displayName)),
    status: STATES[state] ?? (state.toLowerCase() || 'validating'),
    createdAt: Date.parse(typeof meta.createTime === 'string' ? meta.createTime : '') || 0,
    outputFileId: file ?? (readAgain && name ? `${INLINE}${name}` : null),
    errors: error
      ? [
          {
            code: errorCode(error).code,
            message: typeof error.message === 'string' ? error.message : 'failed',
          },
        ]
      : [],
    requestCounts: {
      total: count(stats.requestCount),
      completed: count(stats.successfulRequestCount),
      failed: count(stats.failedRequestCount),
    },
  };
}

export function emptyBatch(name: string, metadata: Record<string, string>): RemoteBatch {
  return {
    id: name,
    status: 'validating',
    createdAt: 0,
    inputFileId: '',
    outputFileId: null,
    errorFileId: null,
    errors: [],
    requestCounts: { total: 0, completed: 0, failed: 0 },
    metadata,
  };
}
