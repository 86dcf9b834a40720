/**
 * One request line in the shape its provider's batch API takes, from the same prompt template:
 *
 * - OpenAI, Azure and compatible servers: `{custom_id, method, url, body: {model, messages, …params}}`,
 *   the system prompt as the first message;
 * - Anthropic: `{custom_id, params: {model, system, messages, max_tokens, …params}}`, the system
 *   prompt as the top-level `system` field (Anthropic has no system role in `messages`).
 *
 * A reply schema becomes the provider's structured-output request: OpenAI's `response_format`
 * json_schema (chat) or `text.format` (`/v1/responses`, whose messages go in `input`); for
 * Anthropic, one tool whose input is the schema, forced with `tool_choice`, so the reply is that
 * tool's `input` object.
 */
import type { ProviderName } from '../batch-api/types.ts';
import type { JsonSchema } from './structured/reply-schema.ts';

/** Anthropic's rule for custom ids (checked when lines are written, naming the record). */
const ANTHROPIC_CUSTOM_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface LineSettings {
  provider: ProviderName;
  model: string;
  endpoint: string;
  params: Record<string, unknown>;
  /** The reply's JSON Schema and its name, when the rule asks for structured output. */
  reply?: { name: string; schema: JsonSchema };
}

export function requestLine(
  settings: LineSettings,
  customId: string,
  system: string | undefined,
  user: string,
): Record<string, unknown> {
  if (settings.provider === 'anthropic') {
    return {
      custom_id: customId,
      params: {
        model: settings.model,
        ...(system !== undefined ? { system } : {}),
        messages: [{ role: 'user', content: user }],
        ...settings.params,
        ...(settings.reply ? anthropicForcedTool(settings.reply) : {}),
      },
    };
  }
  const messages = [
    ...(system !== undefined ? [{ role: 'system', content: system }] : []),
    { role: 'user', content: user },
  ];
  const reply = settings.reply;
  const format = reply && { type: 'json_schema', name: reply.name, strict: true, schema: reply.schema };
  const body =
    settings.endpoint === '/v1/responses'
      ? { model: settings.model, input: messages, ...settings.params, ...(format ? { text: { format } } : {}) }
      : {
          model: settings.model,
          messages,
          ...settings.params,
          ...(reply
            ? {
                response_format: {
                  type: 'json_schema',
                  json_schema: { name: reply.name, strict: true, schema: reply.schema },
                },
              }
            : {}),
        };
  return { custom_id: customId, method: 'POST', url: settings.endpoint, body };
}

function anthropicForcedTool(reply: { name: string; schema: JsonSchema }): Record<string, unknown> {
  return {
    tools: [{ name: reply.name, description: 'Give your answer through this tool.', input_schema: reply.schema }],
    tool_choice: { type: 'tool', name: reply.name },
  };
}

/** Why this custom id cannot be sent to this provider, or undefined when it can. */
export function customIdProblem(provider: ProviderName, customId: string): string | undefined {
  if (provider === 'anthropic' && !ANTHROPIC_CUSTOM_ID.test(customId))
    return "is not allowed by Anthropic (1–64 characters of A–Z, a–z, 0–9, '_' and '-'); change the rule's customId template";
  return undefined;
}
