/**
 * A provider's model names, as the Anthropic, Gemini and Mistral flavours know them: a table of
 * models with the most output tokens each allows, every model of that family in the project's
 * price table, and the extra names a test or a config adds. `baseName` maps an alias or a dated
 * snapshot onto the name the table knows (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`).
 */
import { DEFAULT_PRICES } from '../tokens/prices.ts';

export interface ModelTable {
  isKnown(model: string): boolean;
  maxOutputTokens(model: string): number;
}

export function modelTable(
  maxOutput: Readonly<Record<string, number>>,
  fallbackMaxOutput: number,
  family: (model: string) => boolean,
  extra: readonly string[],
  baseName: (model: string) => string,
): ModelTable {
  const known = new Set([...Object.keys(maxOutput), ...Object.keys(DEFAULT_PRICES).filter(family), ...extra]);
  return {
    isKnown: (model) => known.has(model) || known.has(baseName(model)),
    maxOutputTokens: (model) => maxOutput[baseName(model)] ?? fallbackMaxOutput,
  };
}
