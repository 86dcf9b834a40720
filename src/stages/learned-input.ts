/**
 * The input ratio a model's estimates use (see tokens/input-ratio.ts): 1 for the models OpenAI's
 * tokenizers count exactly, else learned from what their billed requests were counted at.
 */
import { providerSpec } from '../providers/registry.ts';
import { tableEntryFor } from '../tokens/price-table.ts';
import { inputBasis, type InputBasis } from '../tokens/input-ratio.ts';
import { inputObservedBy, readSpend } from './spend-log.ts';

export interface LearnedInput {
  basisOf: (model: string) => InputBasis;
  basis: (models: Iterable<string>) => InputBasis[];
}

/**
 * `priceAs`: the model a name runs (a rule's deployments), so an Azure deployment of gpt-4.1 is
 * counted as exactly as gpt-4.1 is.
 */
export async function learnedInput(root: string, priceAs: (model: string) => string = (m) => m): Promise<LearnedInput> {
  const spend = await readSpend(root);
  const memo = new Map<string, InputBasis>();
  const basisOf = (model: string) => {
    let b = memo.get(model);
    if (!b) {
      b = inputBasis(model, countedExactly(priceAs(model)), inputObservedBy(spend, model));
      memo.set(model, b);
    }
    return b;
  };
  return { basisOf, basis: (models) => [...new Set(models)].map(basisOf) };
}

/** Models whose seller publishes its tokenizer (OpenAI's: gpt-tokenizer's encodings) are counted exactly. */
export function countedExactly(model: string): boolean {
  const seller = tableEntryFor(model)?.provider;
  return seller !== undefined && providerSpec(seller).traits.publicTokenizer;
}
