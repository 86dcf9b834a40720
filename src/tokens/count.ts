/**
 * Token counting with the real tokenizer of the model's encoding (gpt-tokenizer). Used for
 * estimates before paying (dry run, scheduler) and by the emulator for plausible `usage`.
 */
import type * as O200k from 'gpt-tokenizer/encoding/o200k_base';

type Encoding = typeof O200k;

/**
 * The encodings' tables are megabytes of code that take a good part of a second to compile and
 * build, so each is loaded on demand: a build that only polls or collects, a no-op and `status`
 * never pay for them, and a job on gpt-4.1 never loads cl100k. Await `loadTokenizersFor(models)`
 * (or `loadTokenizers()` for both) before counting; counting without it is a bug and throws.
 */
type EncodingName = 'o200k' | 'cl100k';
const encodings: Partial<Record<EncodingName, Encoding>> = {};

const importers: Record<EncodingName, () => Promise<Encoding>> = {
  o200k: () => import('gpt-tokenizer/encoding/o200k_base'),
  cl100k: () => import('gpt-tokenizer/encoding/cl100k_base'),
};

/** Loads the encodings these models count with. */
export async function loadTokenizersFor(models: Iterable<string>): Promise<void> {
  const names = new Set<EncodingName>();
  for (const model of models) names.add(encodingNameFor(model));
  await Promise.all([...names].filter((n) => !encodings[n]).map(async (n) => (encodings[n] = await importers[n]())));
}

/** The encodings loaded so far (for tests of what a command loads). */
export function loadedEncodings(): EncodingName[] {
  return (Object.keys(encodings) as EncodingName[]).sort();
}

export function loadTokenizers(): Promise<void> {
  return loadTokenizersFor(['gpt-4.1', 'gpt-4']);
}

/** Models of the gpt-4 / gpt-3.5 era use cl100k_base; gpt-4o, gpt-4.1, o-series and later use o200k_base. */
function encodingNameFor(model: string): EncodingName {
  return /^(gpt-4(-|$)|gpt-4-turbo|gpt-3\.5|text-embedding-(ada|3))/.test(model) && !model.startsWith('gpt-4o')
    ? 'cl100k'
    : 'o200k';
}

export function encodingFor(model: string): Encoding {
  const encoding = encodings[encodingNameFor(model)];
  if (!encoding) throw new Error(`Internal error: no tokenizer loaded for ${model} (await loadTokenizersFor first)`);
  return encoding;
}

/** The default model requests without one are counted as (see request-file.ts). */
export const DEFAULT_COUNTING_MODEL = 'gpt-4.1';

export function countTextTokens(model: string, text: string): number {
  return encodingFor(model).countTokens(text);
}

export interface ChatMessageLike {
  role: string;
  content?: unknown;
}

/**
 * Prompt tokens of a chat completion request as the API bills them: the content tokens plus the
 * per-message framing (3 tokens per message, 3 to prime the reply), as in OpenAI's cookbook.
 */
export function countChatPromptTokens(model: string, messages: readonly ChatMessageLike[]): number {
  const enc = encodingFor(model);
  let total = 3;
  for (const m of messages) {
    total += 3 + enc.countTokens(m.role);
    if (typeof m.content === 'string') total += enc.countTokens(m.content);
    else if (Array.isArray(m.content)) {
      for (const part of m.content as { type?: string; text?: string }[]) {
        if (part.type === 'text' && typeof part.text === 'string') total += enc.countTokens(part.text);
      }
    }
  }
  return total;
}
