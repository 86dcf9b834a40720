/**
 * The most output a request can be billed for: the bound it sets on its reply, in whichever field
 * its provider reads. This is what makes `--max-cost` a promise rather than an estimate, so every
 * provider's request shape must be known here (one function, extended per provider):
 *
 *   OpenAI chat            max_completion_tokens (includes reasoning tokens), else max_tokens; × n choices
 *   OpenAI responses       max_output_tokens
 *   Anthropic messages     max_tokens (required; includes extended thinking)
 *   Gemini                 generationConfig.maxOutputTokens (× candidateCount)
 */
export function maxOutputTokens(body: Readonly<Record<string, unknown>>): number | undefined {
  const gemini = isObject(body.generationConfig) ? body.generationConfig : undefined;
  if (gemini) {
    const cap = positive(gemini.maxOutputTokens);
    return cap === undefined ? undefined : cap * (positive(gemini.candidateCount) ?? 1);
  }
  for (const key of ['max_completion_tokens', 'max_tokens', 'max_output_tokens']) {
    const cap = positive(body[key]);
    if (cap !== undefined) return cap * (positive(body.n) ?? 1);
  }
  return undefined;
}

/** The fields a bound may be set in, for messages that tell people how to set one. */
export const OUTPUT_BOUND_FIELDS =
  'max_tokens (Anthropic, OpenAI), max_completion_tokens, max_output_tokens (Responses) or generationConfig.maxOutputTokens (Gemini)';

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
