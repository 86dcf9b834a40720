/**
 * Token counting with the real tokenizer of the model's encoding (gpt-tokenizer). Used for
 * estimates before paying (dry run, scheduler) and by the emulator for plausible `usage`.
 */
import type * as O200k from 'gpt-tokenizer/encoding/o200k_base';

type Encoding = typeof O200k;

/**
 * The encodings' tables take seconds to build, so they are loaded on demand, not at start-up: a
 * no-op build or `status` never pays for them. Await `loadTokenizers()` before counting.
 */
let encodings: { o200k: Encoding; cl100k: Encoding } | undefined;

export async function loadTokenizers(): Promise<void> {
  if (encodings) return;
  const [o200k, cl100k] = await Promise.all([
    import('gpt-tokenizer/encoding/o200k_base'),
    import('gpt-tokenizer/encoding/cl100k_base'),
  ]);
  encodings = { o200k, cl100k };
}

/** Models of the gpt-4 / gpt-3.5 era use cl100k_base; gpt-4o, gpt-4.1, o-series and later use o200k_base. */
export function encodingFor(model: string): Encoding {
  if (!encodings) throw new Error('Internal error: loadTokenizers() was not awaited before counting tokens');
  return /^(gpt-4(-|$)|gpt-4-turbo|gpt-3\.5|text-embedding-(ada|3))/.test(model) && !model.startsWith('gpt-4o')
    ? encodings.cl100k
    : encodings.o200k;
}

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
