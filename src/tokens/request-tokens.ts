/**
 * A request's prompt tokens as its provider bills them, counted with OpenAI's tokenizers (the
 * model's own for OpenAI models; for others, whose tokenizers are not public, the learned input
 * ratio corrects the count: see stages/learned-input.ts). Besides the messages, providers bill
 * what they put in the prompt for the request's definitions: the structured-output schema
 * (OpenAI `response_format` / Responses `text.format`) and the tools (OpenAI functions, Anthropic
 * tools plus the system prompt that enables them). One place, extended per request shape.
 */
import { countChatPromptTokens, countTextTokens, DEFAULT_COUNTING_MODEL, type ChatMessageLike } from './count.ts';

/**
 * Anthropic adds a tool-use system prompt to every request with `tools`: 313–346 tokens on current
 * models (its "tool use pricing" page, by `tool_choice`); the larger is counted.
 */
export const ANTHROPIC_TOOL_SYSTEM_TOKENS = 346;

const memo = new WeakMap<object, number>();

/** `promptTokens`, counted once per body object (planning, pricing and the scheduler all ask). */
export function countedTokens(entry: { model: string; body: Readonly<Record<string, unknown>> }): number {
  let n = memo.get(entry.body);
  if (n === undefined) memo.set(entry.body, (n = promptTokens(entry)));
  return n;
}

export function promptTokens(entry: { model: string; body: Readonly<Record<string, unknown>> }): number {
  const model = entry.model || DEFAULT_COUNTING_MODEL;
  const body = entry.body;
  return messageTokens(model, body) + definitionTokens(model, body);
}

function messageTokens(model: string, body: Readonly<Record<string, unknown>>): number {
  // Anthropic's system prompt is a top-level field (a string or text blocks): counted as a system message.
  const system = systemText(body.system);
  const head = system !== undefined ? [{ role: 'system', content: system }] : [];
  if (Array.isArray(body.messages))
    return countChatPromptTokens(model, [...head, ...(body.messages as ChatMessageLike[])]);
  const input = body.input ?? body.prompt;
  if (Array.isArray(input) && input.every(isMessage)) return countChatPromptTokens(model, [...head, ...input]);
  return countChatPromptTokens(model, [
    ...head,
    { role: 'user', content: typeof input === 'string' ? input : JSON.stringify(input ?? '') },
  ]);
}

/** Tokens of the schema and tool definitions a provider puts in the prompt. */
export function definitionTokens(model: string, body: Readonly<Record<string, unknown>>): number {
  let n = 0;
  const format = schemaOf(body.response_format) ?? schemaOf(isObject(body.text) ? body.text.format : undefined);
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

function systemText(system: unknown): string | undefined {
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) return undefined;
  return system
    .map((b) => (isObject(b) && typeof b.text === 'string' ? b.text : ''))
    .filter(Boolean)
    .join('\n');
}

function isMessage(v: unknown): v is ChatMessageLike {
  return isObject(v) && typeof v.role === 'string';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
