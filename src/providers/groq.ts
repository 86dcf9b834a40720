/**
 * Groq's batch API (providers.md D, K): OpenAI's Files + Batches wire format at
 * `https://api.groq.com/openai/v1`, with completion windows from 24 hours to 7 days (longer ones
 * are recommended to avoid expiry), 50,000 lines and 200 MB per file, OpenAI-style metadata (so a
 * lost create is found by its intent, as on OpenAI), and half the price (not stacked with prompt
 * caching). No idempotency key is documented.
 */
import { openAiFamily } from './shared/openai-family.ts';

export const groq = openAiFamily({
  name: 'groq',
  title: 'Groq Batch API',
  traits: { completionWindow: { defaultHours: 24, minHours: 24, maxHours: 7 * 24 } },
  key: 'GROQ_API_KEY',
  baseURLVariable: 'GROQ_BASE_URL',
  defaultBaseURL: 'https://api.groq.com/openai/v1',
  purpose: "to use Groq's batch API",
  hint: 'GROQ_API_KEY (GROQ_BASE_URL for another server)',
});
