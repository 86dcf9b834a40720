/**
 * The output/input ratio a rule's estimates use, per model: learned from what its answered
 * requests were billed (the spend log, every run so far), else the rule's `outputTokenRatio`.
 */
import { outputBasis, type OutputBasis } from '../tokens/output-ratio.ts';
import { observedBy, readSpend } from './spend-log.ts';

export interface LearnedOutput {
  ratioOf: (model: string) => number;
  /** How each model's ratio was found, for the note under an estimate. */
  basis: (models: Iterable<string>) => OutputBasis[];
}

export async function learnedOutput(stateDir: string, rule: string, configured: number): Promise<LearnedOutput> {
  const spend = await readSpend(stateDir);
  const memo = new Map<string, OutputBasis>();
  const of = (model: string) => {
    let b = memo.get(model);
    if (!b) {
      b = outputBasis(rule, model, observedBy(spend, rule, model), configured);
      memo.set(model, b);
    }
    return b;
  };
  return {
    ratioOf: (model) => of(model).ratio,
    basis: (models) => [...new Set(models)].map(of),
  };
}
