/**
 * A request's prompt tokens as its provider bills them, counted with OpenAI's tokenizers (the
 * model's own for OpenAI models; for others, whose tokenizers are not public, the learned input
 * ratio corrects the count: see stages/learned-input.ts). The messages come from the request's
 * line format (its `prompt`); besides them, providers bill what they put in the prompt for the
 * request's definitions: the structured-output schema (OpenAI `response_format` / Responses
 * `text.format`, Gemini `generationConfig.responseSchema`) and the tools (OpenAI functions,
 * Anthropic tools plus the system prompt that enables them, Gemini function declarations).
 */
import { countChatPromptTokens, countTextTokens, DEFAULT_COUNTING_MODEL, type ChatMessageLike } from './count.ts';

/**
 * Anthropic adds a tool-use system prompt to every request with `tools`: 313–346 tokens on current
 * models (its "tool use pricing" page, by `tool_choice`); the larger is counted.
 */
export const ANTHROPIC_TOOL_SYSTEM_TOKENS = 346;

export interface CountableRequest {
  model: string;
  body: Record<string, unknown>;
  /** The request's line format: its prompt as chat messages. */
  wire: { prompt(body: Record<string, unknown>): ChatMessageLike[] };
}

const memo = new WeakMap<object, number>();

/**
 * `promptTokens`, counted once per request object (planning, pricing and the scheduler all ask).
 * Keyed by the request, not its body: a request kept in its file reads a new body each time.
 */
export function countedTokens(entry: CountableRequest): number {
  let n = memo.get(entry);
  if (n === undefined) memo.set(entry, (n = promptTokens(entry)));
  return n;
}

export function promptTokens(entry: CountableRequest): number {
  const model = entry.model || DEFAULT_COUNTING_MODEL;
  const body = entry.body; // read once: it may be read back from a file
  const request = { model, body, wire: entry.wire };
  return countChatPromptTokens(model, withSystemBlocks(request)) + definitionTokens(model, body);
}

/** Anthropic's system prompt as text blocks (as `cache_control` needs it) counts as the string would. */
function withSystemBlocks(entry: CountableRequest): ChatMessageLike[] {
  const messages = entry.wire.prompt(entry.body);
  const blocks = entry.body.system;
  if (!Array.isArray(blocks) || messages.some((m) => m.role === 'system')) return messages;
  const text = blocks
    .map((b) => (isObject(b) && typeof b.text === 'string' ? b.text : ''))
    .filter(Boolean)
    .join('\n');
  return text ? [{ role: 'system', content: text }, ...messages] : messages;
}

/** Tokens of the schema and tool definitions a provider puts in the prompt. */
export function definitionTokens(model: string, body: Readonly<Record<string, unknown>>): number {
  let n = 0;
  const config = isObject(body.generationConfig) ? body.generationConfig : undefined;
  const format =
    schemaOf(body.response_format) ??
    schemaOf(isObject(body.text) ? body.text.format : undefined) ??
    config?.responseSchema ??
    config?.responseJsonSchema;
  if (format !== undefined) n += countTextTokens(model, JSON.stringify(format));
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    n += countTextTokens(model, JSON.stringify(body.tools));
    if (body.tools.some((t) => isObject(t) && 'input_schema' in t)) n += ANTHROPIC_TOOL_SYSTEM_TOKENS;
  }
  return n;
}

/** The JSON schema part of an OpenAI structured-output format (`json_schema`), if the request asks for one. */
function schemaOf(format: unknown): unknown {
  if (!isObject(format) || format.type !== 'json_schema') return undefined;
  return isObject(format.json_schema) ? format.json_schema : format; // chat nests it; Responses inlines it
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
