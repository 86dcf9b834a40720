/**
 * Inline requests: a small part goes inside the create call instead of through the Files API, as
 * the SDK's inline requests. Only a part whose every request the SDK's conversion carries
 * unchanged goes inline; one with a field outside the set it copies as is goes by file, so what
 * is sent is exactly the bytes the request cache hashed.
 */
import { isRecord } from '../../util/is-record.ts';

/** What the SDK's inline conversion copies unchanged; a request with anything else goes by file. */
const INLINE_SAFE = new Set(['model', 'contents', 'systemInstruction', 'generationConfig']);
const INLINE_SAFE_CONFIG = new Set([
  'temperature',
  'topP',
  'topK',
  'candidateCount',
  'maxOutputTokens',
  'stopSequences',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseMimeType',
  'responseJsonSchema',
  'responseLogprobs',
  'logprobs',
  'thinkingConfig',
]);

/** The part's `{key, request}` lines as the SDK's inline requests (the part passed `inlineable`). */
export function inlineRequests(data: Buffer | undefined): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const text of (data ?? Buffer.alloc(0)).toString('utf8').split('\n')) {
    if (!text.trim()) continue;
    const line = JSON.parse(text) as { key: string; request: Record<string, unknown> };
    const { contents, systemInstruction, generationConfig } = line.request;
    out.push({
      contents,
      config: {
        ...(isRecord(generationConfig) ? generationConfig : {}),
        ...(systemInstruction ? { systemInstruction } : {}),
      },
      metadata: { key: line.key },
    });
  }
  return out;
}

/** Whether every request of a part is carried unchanged by the SDK's inline conversion. */
export function inlineable(data: Buffer): boolean {
  for (const text of data.toString('utf8').split('\n')) {
    if (!text.trim()) continue;
    const request: unknown = (JSON.parse(text) as { request?: unknown }).request;
    if (!isRecord(request) || Object.keys(request).some((k) => !INLINE_SAFE.has(k))) return false;
    const config = request.generationConfig;
    if (config !== undefined && (!isRecord(config) || Object.keys(config).some((k) => !INLINE_SAFE_CONFIG.has(k))))
      return false;
  }
  return true;
}
