/**
 * The invalid-replies fault: a chosen share of structured replies (those whose request asks for a
 * JSON Schema or forces a tool) comes back unusable, in the ways real models fail a schema:
 *
 * - `not-json`: the JSON wrapped in a Markdown fence (Anthropic: a text block instead of the tool);
 * - `missing-field`: an object without its first property;
 * - `truncated`: cut halfway, `finish_reason: "length"` (Responses: `incomplete`; Anthropic:
 *   `stop_reason: "max_tokens"` with the fields written so far);
 * - `refusal`: OpenAI's `refusal` field (Responses: a `refusal` content part); Anthropic's
 *   `stop_reason: "refusal"`.
 *
 * Which bodies and which kind are fixed by (seed, body hash), so runs repeat; a body stays invalid
 * for `attempts` answers (default 1), counted in the execution ledger across batches and restarts,
 * so re-asking the very same body is answered validly, as a real model usually does.
 */
import { countTextTokens } from '../tokens/count.ts';
import { isRecord } from './http.ts';
import { hashUniform } from './prng.ts';

export const INVALID_REPLY_KINDS = ['not-json', 'missing-field', 'truncated', 'refusal'] as const;
export type InvalidReplyKind = (typeof INVALID_REPLY_KINDS)[number];

export interface InvalidReplyFaults {
  /** Share (0..1) of structured request bodies answered invalidly. */
  rate?: number;
  /** These custom ids, and pipeline's re-asks of them (`<id>__reask<k>`, `…_<n>`), are answered invalidly (within `attempts`). */
  customIds?: string[];
  /** The kinds to draw from (default all four), one fixed per body. */
  kinds?: InvalidReplyKind[];
  /** How many answers to the same body are invalid before it gets a valid one (default 1). */
  attempts?: number;
}

export const REFUSAL_TEXT = "I'm sorry, but I can't help with that request.";

/** The kind of invalid answer this body gets now, or undefined for a valid one. */
export function invalidReplyFor(
  faults: InvalidReplyFaults | undefined,
  seed: number,
  customId: string,
  hash: string,
  invalidSoFar: number,
): InvalidReplyKind | undefined {
  if (!faults) return undefined;
  const row = customId.replace(/__reask\d+(_\d+)?$/, '');
  const chosen = faults.customIds?.includes(row) || (faults.rate && hashUniform(seed, 'invalid', hash) < faults.rate);
  if (!chosen || invalidSoFar >= (faults.attempts ?? 1)) return undefined;
  const kinds = faults.kinds && faults.kinds.length > 0 ? faults.kinds : INVALID_REPLY_KINDS;
  return kinds[Math.floor(hashUniform(seed, 'invalid-kind', hash) * kinds.length)];
}

const fenced = (json: string) => `\`\`\`json\n${json}\n\`\`\``;
const half = (text: string) => text.slice(0, Math.max(1, Math.floor(text.length / 2)));

function withoutFirstField(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const [, ...rest] = Object.entries(value);
  return Object.fromEntries(rest);
}

function withHalfTheFields(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const entries = Object.entries(value);
  return Object.fromEntries(entries.slice(0, Math.floor(entries.length / 2)));
}

/** Spoils a chat completions or Responses body in place; returns the new output token count. */
export function spoilOpenAi(body: Record<string, unknown>, kind: InvalidReplyKind, model: string): number {
  const choice: unknown = Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (isRecord(choice) && isRecord(choice.message)) {
    const text = typeof choice.message.content === 'string' ? choice.message.content : '';
    const next = spoiledText(text, kind);
    choice.message.content = kind === 'refusal' ? null : next;
    if (kind === 'refusal') choice.message.refusal = REFUSAL_TEXT;
    if (kind === 'truncated') choice.finish_reason = 'length';
    return countTextTokens(model, kind === 'refusal' ? REFUSAL_TEXT : next);
  }
  const item: unknown = Array.isArray(body.output) ? body.output[0] : undefined;
  const part: unknown = isRecord(item) && Array.isArray(item.content) ? item.content[0] : undefined;
  if (!isRecord(item) || !isRecord(part)) return 0;
  const next = spoiledText(typeof part.text === 'string' ? part.text : '', kind);
  if (kind === 'refusal') item.content = [{ type: 'refusal', refusal: REFUSAL_TEXT }];
  else part.text = next;
  if (kind === 'truncated') {
    body.status = 'incomplete';
    body.incomplete_details = { reason: 'max_output_tokens' };
    item.status = 'incomplete';
  }
  return countTextTokens(model, kind === 'refusal' ? REFUSAL_TEXT : next);
}

function spoiledText(json: string, kind: InvalidReplyKind): string {
  switch (kind) {
    case 'not-json':
      return fenced(json);
    case 'missing-field':
      return JSON.stringify(withoutFirstField(JSON.parse(json) as unknown));
    case 'truncated':
      return half(json);
    case 'refusal':
      return '';
  }
}

/** Spoils an Anthropic message that answered with a forced tool, in place; returns the output tokens. */
export function spoilAnthropic(message: Record<string, unknown>, kind: InvalidReplyKind, model: string): number {
  const content = Array.isArray(message.content) ? (message.content as unknown[]) : [];
  const tool = content.find((c): c is Record<string, unknown> => isRecord(c) && c.type === 'tool_use');
  const input: unknown = tool?.input;
  let shown = '';
  switch (kind) {
    case 'not-json':
      shown = `Here is the answer:\n${fenced(JSON.stringify(input))}`;
      message.content = [{ type: 'text', text: shown }];
      message.stop_reason = 'end_turn';
      break;
    case 'missing-field':
      if (tool) tool.input = withoutFirstField(input);
      shown = JSON.stringify(tool?.input);
      break;
    case 'truncated':
      if (tool) tool.input = withHalfTheFields(input);
      shown = JSON.stringify(tool?.input);
      message.stop_reason = 'max_tokens';
      break;
    case 'refusal':
      shown = REFUSAL_TEXT;
      message.content = [{ type: 'text', text: shown }];
      message.stop_reason = 'refusal';
      break;
  }
  return countTextTokens(model, shown);
}

/**
 * Spoils a Gemini GenerateContentResponse in place; returns the output tokens. Gemini does not
 * refuse in words: a refused answer is blocked, with no content and `finishReason: "SAFETY"`.
 */
export function spoilGemini(response: Record<string, unknown>, kind: InvalidReplyKind, model: string): number {
  const candidate: unknown = Array.isArray(response.candidates) ? response.candidates[0] : undefined;
  const content = isRecord(candidate) && isRecord(candidate.content) ? candidate.content : undefined;
  const part: unknown = Array.isArray(content?.parts) ? content.parts[0] : undefined;
  if (!isRecord(candidate) || !isRecord(part)) return 0;
  if (kind === 'refusal') {
    delete candidate.content;
    candidate.finishReason = 'SAFETY';
    return 0;
  }
  const next = spoiledText(typeof part.text === 'string' ? part.text : '', kind);
  part.text = next;
  if (kind === 'truncated') candidate.finishReason = 'MAX_TOKENS';
  return countTextTokens(model, next);
}
