/**
 * Gemini's objects as REST returns them (proto JSON, as observed): the File, and a batch as a
 * long-running operation whose `metadata` is the GenerateContentBatch. RFC 3339 times, int64 counts
 * as strings, and fields at their default left out (a zero count, `done` while running).
 */
import { readFile } from 'node:fs/promises';
import type { FileRecord } from '../files-store.ts';
import type { GeminiContext } from './context.ts';
import { RPC_CODE } from './errors.ts';
import { stateOf, type GeminiBatch } from './types.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

const TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main';

/** Generated files (batch results) are named after their batch: `batch-<id>`. */
export const isGenerated = (id: string): boolean => id.startsWith('batch-');

export function fileObject(rec: FileRecord, origin: string): Record<string, unknown> {
  return {
    name: `files/${rec.id}`,
    ...(rec.filename ? { displayName: rec.filename } : {}),
    mimeType: rec.mimeType ?? 'application/octet-stream',
    sizeBytes: String(rec.bytes),
    createTime: iso(rec.createdMs),
    updateTime: iso(rec.createdMs),
    ...(rec.expiresAt === null ? {} : { expirationTime: iso(rec.expiresAt * 1000) }),
    uri: `${origin}/v1beta/files/${rec.id}`,
    state: 'ACTIVE',
    source: isGenerated(rec.id) ? 'GENERATED' : 'UPLOADED',
  };
}

/** int64 counts as JSON strings, zeros left out. */
function batchStats(b: GeminiBatch): Record<string, string> {
  const counts = {
    requestCount: b.total,
    successfulRequestCount: b.succeeded,
    failedRequestCount: b.failed,
    pendingRequestCount: b.total - b.succeeded - b.failed,
  };
  return Object.fromEntries(Object.entries(counts).flatMap(([k, n]) => (n > 0 ? [[k, String(n)]] : [])));
}

/** The batch's results as `output` shows them: its responses file, or the inline responses in input order. */
async function outputOf(
  ctx: GeminiContext,
  b: GeminiBatch,
  inline: boolean,
): Promise<Record<string, unknown> | undefined> {
  if (b.responsesFile) return { responsesFile: b.responsesFile };
  if (!inline || b.inputFile !== null || b.phase !== 'ended') return undefined;
  let text: string;
  try {
    text = await readFile(ctx.batches.file(b.id, 'results.jsonl'), 'utf8');
  } catch {
    return undefined;
  }
  const rows = text.split('\n').filter((l) => l !== '');
  return { inlinedResponses: { inlinedResponses: rows.map((l) => JSON.parse(l) as unknown) } };
}

/**
 * The operation: `full` (get, create) or as `list` shows it, without inline responses (a batch
 * read from the list must be read again to get them, as clients of the real service note).
 */
export async function operationOf(
  ctx: GeminiContext,
  b: GeminiBatch,
  view: 'full' | 'list' = 'full',
): Promise<Record<string, unknown>> {
  const name = `batches/${b.id}`;
  const output = await outputOf(ctx, b, view === 'full');
  const updated = Math.max(b.createdMs, b.runningMs ?? 0, b.cancellingMs ?? 0, b.endedMs ?? 0);
  const metadata = {
    '@type': `${TYPE}.GenerateContentBatch`,
    model: `models/${b.model}`,
    displayName: b.displayName,
    ...(b.inputFile ? { inputConfig: { fileName: b.inputFile } } : {}),
    ...(output ? { output } : {}),
    createTime: iso(b.createdMs),
    ...(b.endedMs === null ? {} : { endTime: iso(b.endedMs) }),
    updateTime: iso(updated),
    batchStats: batchStats(b),
    state: stateOf(b),
    ...(b.priority === '0' ? {} : { priority: b.priority }),
    name,
  };
  if (b.phase !== 'ended') return { name, metadata };
  // An operation ends with either its error (failed, cancelled, expired) or its response.
  if (b.error)
    return { name, metadata, done: true, error: { code: RPC_CODE[b.error.status], message: b.error.message } };
  return { name, metadata, done: true, response: { '@type': `${TYPE}.GenerateContentBatchOutput`, ...output } };
}
