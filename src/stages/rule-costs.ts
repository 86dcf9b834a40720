/** A rule's cost model with what it has learned so far: prices (with deployments), output and input ratios. */
import type { PriceTier } from '../tokens/bill.ts';
import type { PriceTable } from '../tokens/prices.ts';
import { rulePrices, stalePrices, type PricedRule } from '../tokens/rule-prices.ts';
import type { CostEstimate } from './work/estimate.ts';
import type { Estimate } from './types.ts';
import { costModel, type CostModel } from './cost-model.ts';
import { learnedInput, type LearnedInput } from './learned-input.ts';
import { learnedOutput, type LearnedOutput } from './learned-output.ts';

export interface RuleCosts {
  model: CostModel;
  prices: PriceTable;
  output: LearnedOutput;
  input: LearnedInput;
}

export async function ruleCosts(
  root: string,
  rule: string,
  config: PricedRule & { outputTokenRatio: number },
  tier: PriceTier,
): Promise<RuleCosts> {
  const prices = rulePrices(config);
  const output = await learnedOutput(root, rule, config.outputTokenRatio);
  const input = await learnedInput(root, (m) => config.deployments?.[m] ?? m);
  return {
    prices,
    output,
    input,
    model: costModel({ outputRatio: output.ratioOf, inputBasis: input.basisOf, prices, tier }),
  };
}

/** What an estimate says beyond its sums: the worst case, what is not bounded or not priced, and how it was counted. */
export function estimateNotes(
  e: CostEstimate,
  costs: RuleCosts,
  models: readonly string[],
  config: PricedRule,
  now: number,
): Pick<Estimate, 'worstCostUsd' | 'unboundedRequests' | 'unpriced' | 'stalePrices' | 'inputBasis' | 'basis'> {
  if (models.length === 0) return {};
  const stale = stalePrices(models, config, now);
  const inputs = costs.input.basis(models).filter((b) => !b.exact);
  return {
    worstCostUsd: e.worstCostUsd,
    basis: costs.output.basis(models),
    ...(e.unbounded > 0 ? { unboundedRequests: e.unbounded } : {}),
    ...(e.unpriced.length > 0 ? { unpriced: e.unpriced } : {}),
    ...(stale.length > 0 ? { stalePrices: stale } : {}),
    ...(inputs.length > 0 ? { inputBasis: inputs } : {}),
  };
}
