/**
 * Any server with OpenAI's Files + Batches API and line formats (providers.md D, K): the rule
 * names its `baseURL` and the variable holding its key (`apiKeyEnv`, default OPENAI_API_KEY),
 * and may ask for a longer completion window where the server offers one. OpenAI's limits apply
 * unless the rule sets lower ones. Servers with a preset of their own (groq.ts, xai.ts) need none
 * of that.
 */
import { openAiFamily } from './shared/openai-family.ts';

export const openaiCompatible = openAiFamily({
  name: 'openai-compatible',
  title: 'an OpenAI-compatible batch API',
  traits: { completionWindow: { defaultHours: 24, minHours: 1, maxHours: 24 * 365 }, ruleBaseURL: true },
  key: 'OPENAI_API_KEY',
  baseURLVariable: 'OPENAI_BASE_URL',
  purpose: "for the rule's OpenAI-compatible server",
  hint: "the rule's baseURL and apiKeyEnv (default OPENAI_API_KEY, OPENAI_BASE_URL)",
});
