/**
 * Reading one raw Batch API result line (output or error file format) into what the merge needs:
 * the reply text and token usage, or why there is none. Tolerant of the shapes providers emit.
 */
import { isRecord } from './record-template.ts';

export type ParsedResult =
  | { ok: true; customId: string; text: string; usage: { input: number; output: number; total: number } }
  | { ok: false; customId: string | undefined; why: string };

export function parseResultLine(value: unknown): ParsedResult {
  if (!isRecord(value)) return { ok: false, customId: undefined, why: 'not a JSON object' };
  const customId = typeof value.custom_id === 'string' ? value.custom_id : undefined;
  if (!customId) return { ok: false, customId, why: 'no custom_id' };
  const error = value.error;
  if (isRecord(error)) return { ok: false, customId, why: `${asText(error.code) || 'error'}: ${asText(error.message)}`.trim() };
  const response = value.response;
  if (!isRecord(response)) return { ok: false, customId, why: 'no response' };
  const body = isRecord(response.body) ? response.body : {};
  const status = typeof response.status_code === 'number' ? response.status_code : 0;
  if (status !== 200) {
    const message = isRecord(body.error) ? asText(body.error.message) : '';
    return { ok: false, customId, why: `HTTP ${status}${message ? `: ${message}` : ''}` };
  }
  const choices = Array.isArray(body.choices) ? (body.choices as unknown[]) : [];
  const first = choices[0];
  const message = isRecord(first) && isRecord(first.message) ? first.message : undefined;
  const text = typeof message?.content === 'string' ? message.content : undefined;
  if (text === undefined) return { ok: false, customId, why: 'response has no message content' };
  const usage = isRecord(body.usage) ? body.usage : {};
  const input = Number(usage.prompt_tokens ?? 0);
  const output = Number(usage.completion_tokens ?? 0);
  return { ok: true, customId, text, usage: { input, output, total: Number(usage.total_tokens ?? input + output) } };
}

function asText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}
