/**
 * The models the emulator serves: a request line naming any other fails validation with
 * `model_not_found`, as on the real service. The base set is the project's price table (the
 * models it can cost) plus the stand-in's snapshot aliases and a few real non-chat batch models
 * (legacy completions, embeddings, moderation) the price table does not list; `extraModels` adds more. A dated
 * snapshot (`gpt-4.1-2025-04-14`) is known when its base name is.
 */
import { DEFAULT_PRICES } from '../../tokens/prices.ts';
import { SNAPSHOTS } from '../model.ts';

const OTHER_MODELS = [
  'gpt-3.5-turbo',
  'gpt-3.5-turbo-instruct',
  'davinci-002',
  'babbage-002',
  'gpt-4',
  'gpt-4-turbo',
  'o1',
  'o3',
  'o3-mini',
  'text-embedding-3-small',
  'text-embedding-3-large',
  'text-embedding-ada-002',
  'omni-moderation-latest',
  'text-moderation-latest',
  'text-moderation-stable',
];

export function knownModels(extra: readonly string[] = []): (model: string) => boolean {
  const known = new Set([...Object.keys(DEFAULT_PRICES), ...Object.keys(SNAPSHOTS), ...OTHER_MODELS, ...extra]);
  return (model) => known.has(model) || known.has(model.replace(/-\d{4}-\d{2}-\d{2}$/, ''));
}
