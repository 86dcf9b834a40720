/**
 * Small pieces every line format uses: the request cache's hash of a request, usage read in any
 * provider's naming, and a repair prompt appended to a conversation.
 */
import { canonicalJson, hashText } from '../../util/hash.ts';
import { isRecord } from '../../util/is-record.ts';
import { count, type LineUsage } from '../outcome.ts';

/** sha256 of the canonical JSON of a request's method, route and body: equal requests share results. */
export function requestHash(method: unknown, url: unknown, body: unknown): string {
  return hashText(canonicalJson({ method: method ?? null, url: url ?? null, body }));
}

/**
 * Tokens from a `usage` object in OpenAI's chat (`prompt_tokens`) or Responses (`input_tokens`)
 * naming, or Anthropic's. OpenAI's prompt tokens include the cached ones; Anthropic's input_tokens
 * leave out cache writes and reads, billed at their own rates: all are input here, with the cached
 * shares apart.
 */
export function usageOf(raw: unknown): LineUsage {
  const usage = isRecord(raw) ? raw : {};
  const details = isRecord(usage.prompt_tokens_details)
    ? usage.prompt_tokens_details
    : isRecord(usage.input_tokens_details)
      ? usage.input_tokens_details
      : {};
  const cacheWrite = count(usage.cache_creation_input_tokens);
  const cacheRead = count(usage.cache_read_input_tokens);
  const input = count(usage.prompt_tokens ?? usage.input_tokens) + cacheWrite + cacheRead;
  const output = count(usage.completion_tokens ?? usage.output_tokens);
  return {
    input,
    output,
    total: count(usage.total_tokens) || input + output,
    cached: cacheRead + count(details.cached_tokens),
    cacheWrite,
  };
}

/** Chat-style messages with `extra` appended to the last user message (string or content blocks). */
export function appendToLastUser(messages: readonly unknown[], extra: string): unknown[] {
  const out = [...messages];
  for (let i = out.length - 1; i >= 0; i--) {
    const m = out[i];
    if (!isRecord(m) || m.role !== 'user') continue;
    const content = Array.isArray(m.content)
      ? [...(m.content as unknown[]), { type: 'text', text: extra.trim() }]
      : `${typeof m.content === 'string' ? m.content : ''}${extra}`;
    out[i] = { ...m, content };
    break;
  }
  return out;
}
