/**
 * The stand-in moderation model: a `/v1/moderations` response shaped like the real one (one result
 * per input string, or one for a multi-modal input array), never flagged, with small scores fixed
 * by the text so a rerun gives the same bytes.
 */
import { isRecord } from './http.ts';
import { derivedHex } from './ids.ts';
import { seedFrom } from './prng.ts';

/** The default when a moderations body names no model, as on the real API. */
export const DEFAULT_MODERATION_MODEL = 'omni-moderation-latest';

/** The categories of the omni models; `true` marks those also scored on images. */
const CATEGORIES: readonly [string, boolean][] = [
  ['harassment', false],
  ['harassment/threatening', false],
  ['hate', false],
  ['hate/threatening', false],
  ['illicit', false],
  ['illicit/violent', false],
  ['self-harm', true],
  ['self-harm/intent', true],
  ['self-harm/instructions', true],
  ['sexual', true],
  ['sexual/minors', false],
  ['violence', true],
  ['violence/graphic', true],
];

interface ModerationInput {
  text: string;
  image: boolean;
}

/** The inputs that each get a result: each string of a string array, or a whole multi-modal array. */
export function moderationInputs(input: unknown): ModerationInput[] {
  if (typeof input === 'string') return [{ text: input, image: false }];
  if (!Array.isArray(input)) return [];
  if (input.every((x) => typeof x === 'string')) return input.map((text: string) => ({ text, image: false }));
  const parts = input.filter(isRecord);
  const text = parts
    .map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : ''))
    .filter(Boolean)
    .join('\n');
  return [{ text, image: parts.some((p) => p.type === 'image_url') }];
}

function result(input: ModerationInput): Record<string, unknown> {
  const categories: Record<string, boolean> = {};
  const scores: Record<string, number> = {};
  const applied: Record<string, string[]> = {};
  for (const [name, images] of CATEGORIES) {
    categories[name] = false;
    // Below 0.001, as real scores for harmless text are: plausible, and never near a threshold.
    scores[name] = Math.round((seedFrom(input.text, name) / 4294967296) * 1e-3 * 1e9) / 1e9;
    applied[name] = [
      ...(input.text !== '' || !input.image ? ['text'] : []),
      ...(images && input.image ? ['image'] : []),
    ];
  }
  return { flagged: false, categories, category_scores: scores, category_applied_input_types: applied };
}

export function moderationBody(key: string, model: string, input: unknown): Record<string, unknown> {
  return { id: `modr-${derivedHex(key)}`, model, results: moderationInputs(input).map(result) };
}
