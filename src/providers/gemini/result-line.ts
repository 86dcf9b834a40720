/**
 * Gemini's result lines, `{key, response}` (a GenerateContentResponse) or `{key, error}` (a
 * google.rpc.Status: its numeric canonical code is named, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE,
 * 4 DEADLINE_EXCEEDED, 13 INTERNAL and 10 ABORTED retried; the docs leave the failed row's field
 * unconfirmed), read into the one normalised outcome.
 */
import { isRecord } from '../../util/is-record.ts';
import { count, type ResultLine } from '../outcome.ts';
import { partsText } from './parts.ts';

/** finishReasons that mean the model would not answer (safety, recitation…): a refusal. */
const REFUSED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);
/** Errors that are Google's trouble, not the request's. */
const TRANSIENT = new Set(['RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INTERNAL', 'DEADLINE_EXCEEDED', 'ABORTED']);
/**
 * google.rpc.Code: a failed row is a google.rpc.Status (providers.md C.5), whose `code` is one of
 * these numbers and which carries no name (Google's HTTP error envelope has the HTTP status in
 * `code` and the name in `status`).
 */
const RPC_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export function readResult(line: Record<string, unknown>): ResultLine | undefined {
  const customId = line.key;
  if (typeof customId !== 'string' || customId === '' || !('response' in line || 'error' in line)) return undefined;
  if (isRecord(line.error)) {
    const { code, status } = errorCode(line.error);
    const message = typeof line.error.message === 'string' ? line.error.message : code;
    const retryable = TRANSIENT.has(code) || status === 429 || (status !== undefined && status >= 500);
    return { kind: 'errored', customId, retryable, ...(status !== undefined ? { status } : {}), code, message, line };
  }
  if (!isRecord(line.response)) return { kind: 'missing', customId, code: 'no_response' };
  const response = line.response;
  const candidate =
    Array.isArray(response.candidates) && isRecord(response.candidates[0]) ? response.candidates[0] : {};
  const content = isRecord(candidate.content) ? candidate.content : {};
  const text = partsText(content);
  const finish = typeof candidate.finishReason === 'string' ? candidate.finishReason : undefined;
  const blocked = isRecord(response.promptFeedback) ? response.promptFeedback.blockReason : undefined;
  const usage = isRecord(response.usageMetadata) ? response.usageMetadata : {};
  // promptTokenCount includes cached content; thinking is billed as output.
  const input = count(usage.promptTokenCount) + count(usage.toolUsePromptTokenCount);
  const output = count(usage.candidatesTokenCount) + count(usage.thoughtsTokenCount);
  return {
    kind: 'succeeded',
    customId,
    line,
    text,
    usage: {
      input,
      output,
      total: count(usage.totalTokenCount) || input + output,
      cached: count(usage.cachedContentTokenCount),
      cacheWrite: 0,
    },
    truncated: finish === 'MAX_TOKENS',
    refusal:
      typeof blocked === 'string'
        ? `prompt blocked: ${blocked}`
        : finish !== undefined && REFUSED.has(finish)
          ? (text ?? `refused: ${finish}`)
          : undefined,
    toolInput: undefined,
  };
}

/**
 * A row error's name, and its HTTP status when it has one: a google.rpc.Status's numeric `code`
 * (8 → RESOURCE_EXHAUSTED, no HTTP status), or Google's HTTP envelope (`code` 429, `status` its name).
 */
export function errorCode(e: Record<string, unknown>): { code: string; status?: number } {
  const n = typeof e.code === 'number' && Number.isInteger(e.code) ? e.code : undefined;
  if (typeof e.status === 'string' && e.status)
    return { code: e.status, ...(n !== undefined && n >= 100 ? { status: n } : {}) };
  if (n === undefined) return { code: 'error' };
  const name = RPC_NAMES[n];
  return name ? { code: name } : n >= 100 ? { code: String(n), status: n } : { code: String(n) };
}
