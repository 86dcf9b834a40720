/**
 * The Mistral models the stand-in answers as, with their most output tokens; dated versions
 * (`mistral-small-2506`) are known with their family, as are the price table's Mistral models and
 * the `extra` names. A job or a line naming any other is refused as Mistral refuses it.
 */
import { modelTable, type ModelTable } from '../model-table.ts';

const MAX_OUTPUT: Readonly<Record<string, number>> = {
  'mistral-large': 128_000,
  'mistral-medium': 128_000,
  'mistral-small': 128_000,
  'magistral-medium': 40_000,
  'magistral-small': 40_000,
  'ministral-8b': 128_000,
  'ministral-3b': 128_000,
  'open-mistral-nemo': 128_000,
  codestral: 256_000,
  'devstral-small': 128_000,
  'devstral-medium': 128_000,
  'pixtral-large': 128_000,
  'mistral-embed': 8_192,
  'codestral-embed': 8_192,
  'mistral-moderation': 8_192,
};

/** `mistral-small-latest`, `mistral-small-2506` → `mistral-small`. */
const family = (model: string): string => model.replace(/-(latest|\d{4})$/, '');

const MISTRAL = /^(mistral|magistral|ministral|open-mistral|codestral|devstral|pixtral)/;

export const mistralModels = (extra: readonly string[] = []): ModelTable =>
  modelTable(MAX_OUTPUT, 128_000, (m) => MISTRAL.test(m), extra, family);
