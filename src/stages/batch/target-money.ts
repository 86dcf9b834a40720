/**
 * A batch target's money from stored state only (its ledger summary and the spend log): what it
 * has paid over every run, and what its unanswered requests should still cost — for `status` and
 * the `--wait` display. No network, no tokenizer.
 */
import { toGo } from '../../tokens/to-go.ts';
import { learnedOutput } from '../learned-output.ts';
import { learnedInput } from '../learned-input.ts';
import { readSpend } from '../spend-log.ts';
import type { TargetMoney } from '../types.ts';
import type { BatchStageConfig } from './config.ts';
import { rulePrices } from '../../tokens/rule-prices.ts';
import type { Ledger } from './ledger.ts';
import { remainingOf } from './request-plan.ts';

export async function targetMoney(
  stateDir: string,
  target: string,
  rule: string,
  config: BatchStageConfig,
  summary: Ledger['summary'],
): Promise<TargetMoney> {
  const spend = (await readSpend(stateDir)).filter((e) => e.target === target);
  const spentUsd = spend.reduce((sum, e) => sum + (e.costUsd ?? 0), 0);
  const money: TargetMoney = { spentUsd, toGoUsd: 0, maxToGoUsd: 0, basis: [] };
  if (!summary?.plan) return money;
  const unanswered = summary.total - summary.succeeded - summary.failed;
  const remaining = remainingOf(summary.plan, summary.total, unanswered);
  if (remaining.length === 0) return money;
  const learned = await learnedOutput(stateDir, rule, config.outputTokenRatio);
  const input = await learnedInput(stateDir, (m) => config.deployments?.[m] ?? m);
  const t = toGo(remaining, learned.ratioOf, rulePrices(config), 'batch', (m) => input.basisOf(m).ratio);
  return {
    spentUsd,
    toGoUsd: t.expectedUsd,
    maxToGoUsd: t.maxUsd,
    basis: learned.basis(remaining.map((r) => r.model)),
    ...(t.unpriced.length > 0 ? { unpriced: t.unpriced } : {}),
    ...(t.unbounded > 0 ? { unbounded: Math.round(t.unbounded) } : {}),
    ...(summary.held ? { held: summary.held.requests } : {}),
  };
}
