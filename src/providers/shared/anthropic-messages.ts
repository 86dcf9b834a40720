/**
 * Anthropic's Messages format, shared by Anthropic's Message Batches and by Claude on Bedrock
 * (whose `modelInput` is the same body without `model`, and whose `modelOutput` is the same
 * message): the request body from the prompt template, and what a reply message says.
 *
 * The system prompt is the top-level `system` field (Messages has no system role). A reply schema
 * becomes one tool whose input is the schema, forced with `tool_choice`, so the reply is that
 * tool's `input` object.
 */
import type { ChatMessageLike } from '../../tokens/count.ts';
import { isRecord } from '../../util/is-record.ts';
import type { ReplyEnd } from '../outcome.ts';
import type { LineSettings } from '../spec.ts';
import { appendToLastUser } from './line-tools.ts';

/** The Messages body for one prompt (`model` included; Bedrock leaves it out). */
export function messagesBody(
  settings: Omit<LineSettings, 'endpoint'>,
  system: string | undefined,
  user: string,
): Record<string, unknown> {
  return {
    model: settings.model,
    ...(system !== undefined ? { system } : {}),
    messages: [{ role: 'user', content: user }],
    ...settings.params,
    ...(settings.reply ? forcedTool(settings.reply) : {}),
  };
}

function forcedTool(reply: { name: string; schema: Record<string, unknown> }): Record<string, unknown> {
  return {
    tools: [{ name: reply.name, description: 'Give your answer through this tool.', input_schema: reply.schema }],
    tool_choice: { type: 'tool', name: reply.name },
  };
}

/** The system prompt counted as a system message, then the conversation. */
export function messagesPrompt(body: Record<string, unknown>): ChatMessageLike[] {
  const system = typeof body.system === 'string' ? [{ role: 'system', content: body.system }] : [];
  return [...system, ...(Array.isArray(body.messages) ? (body.messages as ChatMessageLike[]) : [])];
}

export function messagesMaxTokens(body: Record<string, unknown>): number | undefined {
  return typeof body.max_tokens === 'number' && body.max_tokens > 0 ? body.max_tokens : undefined;
}

export function messagesWithRepair(body: Record<string, unknown>, text: string): Record<string, unknown> {
  return Array.isArray(body.messages)
    ? { ...body, messages: appendToLastUser(body.messages as unknown[], text) }
    : body;
}

/** How a reply message ended: cut at max_tokens, a refusal, a forced tool's input. */
export function messageEnd(message: Record<string, unknown>): ReplyEnd {
  const content = Array.isArray(message.content) ? (message.content as unknown[]) : [];
  const tool = content.find((c) => isRecord(c) && c.type === 'tool_use');
  return {
    truncated: message.stop_reason === 'max_tokens',
    refusal: message.stop_reason === 'refusal' ? (messageText(message) ?? 'refused') : undefined,
    toolInput: isRecord(tool) ? tool.input : undefined,
  };
}

/** The text blocks of a message, joined. */
export function messageText(message: Record<string, unknown>): string | undefined {
  if (!Array.isArray(message.content)) return undefined;
  const texts = (message.content as unknown[])
    .filter((c): c is Record<string, unknown> => isRecord(c) && c.type === 'text' && typeof c.text === 'string')
    .map((c) => c.text as string);
  return texts.length > 0 ? texts.join('') : undefined;
}

/** Error types that are the provider's trouble (sent again); anything else needs a change to the request. */
export const TRANSIENT_ERROR_TYPES: ReadonlySet<string> = new Set([
  'overloaded_error',
  'api_error',
  'rate_limit_error',
  'timeout_error',
]);
