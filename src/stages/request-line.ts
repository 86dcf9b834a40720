/**
 * One request line in the shape its provider's batch API takes, from the same prompt template:
 *
 * - OpenAI, Azure and compatible servers: `{custom_id, method, url, body: {model, messages, …params}}`,
 *   the system prompt as the first message;
 * - Anthropic: `{custom_id, params: {model, system, messages, max_tokens, …params}}`, the system
 *   prompt as the top-level `system` field (Anthropic has no system role in `messages`).
 */
import type { ProviderName } from '../batch-api/types.ts';

/** Anthropic's rule for custom ids (checked when lines are written, naming the record). */
const ANTHROPIC_CUSTOM_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface LineSettings {
  provider: ProviderName;
  model: string;
  endpoint: string;
  params: Record<string, unknown>;
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
      },
    };
  }
  const messages = [
    ...(system !== undefined ? [{ role: 'system', content: system }] : []),
    { role: 'user', content: user },
  ];
  return {
    custom_id: customId,
    method: 'POST',
    url: settings.endpoint,
    body: { model: settings.model, messages, ...settings.params },
  };
}

/** Why this custom id cannot be sent to this provider, or undefined when it can. */
export function customIdProblem(provider: ProviderName, customId: string): string | undefined {
  if (provider === 'anthropic' && !ANTHROPIC_CUSTOM_ID.test(customId))
    return "is not allowed by Anthropic (1–64 characters of A–Z, a–z, 0–9, '_' and '-'); change the rule's customId template";
  return undefined;
}
