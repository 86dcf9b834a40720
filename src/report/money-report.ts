/**
 * The money report of `status`: what was paid (every run, from the spend log), what the same
 * tokens would have cost at standard price, what the unanswered requests should still cost and
 * the most they can — per target, per rule and per provider and model, and in total.
 */
import type { TargetStatus } from '../engine/status.ts';
import type { SpendEntry } from '../stages/spend-log.ts';
import { describeBasis, type OutputBasis } from '../tokens/output-ratio.ts';
import { formatUsd } from '../tokens/prices.ts';

export interface MoneyLine {
  /** Billed, over every run (batch price for batches). */
  spentUsd: number;
  /** The same tokens at the standard (synchronous) price. */
  standardUsd: number;
  requests: number;
  tokens: { input: number; cached: number; cacheWrite: number; output: number };
  /** Expected still to pay, and the most (null in JSON: some requests set no max_tokens). */
  toGoUsd: number;
  maxToGoUsd: number;
}

export interface MoneyReport extends MoneyLine {
  basis: OutputBasis[];
  /** Unanswered requests without a bound on their output: no ceiling, a budget is an estimate for them. */
  unbounded: number;
  /** Requests a cost limit held back in the last build. */
  held: number;
  /** Of `spentUsd`: sends whose answers were lost, counted at their worst case (they may have been billed). */
  presumed: { requests: number; usd: number };
  /** Remote targets with nothing sent yet: `status` does not count their tokens (`build -n` does). */
  notStarted: string[];
  byTarget: Record<string, MoneyLine & { rule: string }>;
  byRule: Record<string, MoneyLine>;
  /** Keyed `provider/model`. */
  byModel: Record<string, MoneyLine>;
}

const empty = (): MoneyLine => ({
  spentUsd: 0,
  standardUsd: 0,
  requests: 0,
  tokens: { input: 0, cached: 0, cacheWrite: 0, output: 0 },
  toGoUsd: 0,
  maxToGoUsd: 0,
});

function addSpend(line: MoneyLine, e: SpendEntry): void {
  line.spentUsd += e.costUsd ?? 0;
  line.standardUsd += e.standardCostUsd ?? 0;
  line.requests += e.requests;
  line.tokens.input += e.usage.input;
  line.tokens.cached += e.usage.cached;
  line.tokens.cacheWrite += e.usage.cacheWrite;
  line.tokens.output += e.usage.output;
}

/** The report over the targets shown (their spend entries and their remote stages' outlook). */
export function moneyReport(spend: readonly SpendEntry[], statuses: readonly TargetStatus[]): MoneyReport {
  const report: MoneyReport = {
    ...empty(),
    basis: [],
    unbounded: 0,
    held: 0,
    presumed: { requests: 0, usd: 0 },
    notStarted: [],
    byTarget: {},
    byRule: {},
    byModel: {},
  };
  const shown = new Map(statuses.filter((s) => s.remoteStage).map((s) => [s.target, s]));
  const at = <K extends string>(map: Record<K, MoneyLine>, key: K) => (map[key] ??= empty());
  for (const s of shown.values()) report.byTarget[s.target] = { ...empty(), rule: s.rule };
  for (const e of spend) {
    if (!shown.has(e.target)) continue;
    for (const line of [
      report,
      report.byTarget[e.target]!,
      at(report.byRule, e.rule),
      at(report.byModel, `${e.provider}/${e.model}`),
    ])
      addSpend(line, e);
    if (e.presumed) {
      report.presumed.requests += e.requests;
      report.presumed.usd += e.costUsd ?? 0;
    }
  }
  const basis = new Map<string, OutputBasis>();
  for (const s of shown.values()) {
    const m = s.remote?.money;
    // No outlook (never sent, or held back before its request file was counted) and no spending yet.
    if (!m || m.basis.length === 0) {
      if (s.state !== 'up-to-date' && !report.byTarget[s.target]!.requests) report.notStarted.push(s.target);
      if (!m) continue;
    }
    for (const line of [report, report.byTarget[s.target]!, at(report.byRule, s.rule)]) {
      line.toGoUsd += m.toGoUsd;
      line.maxToGoUsd += m.maxToGoUsd;
    }
    for (const b of m.basis) basis.set(`${b.rule}\u0000${b.model}`, b);
    report.unbounded += m.unbounded ?? 0;
    report.held += m.held ?? 0;
  }
  report.basis = [...basis.values()];
  for (const line of [
    report,
    ...Object.values(report.byTarget),
    ...Object.values(report.byRule),
    ...Object.values(report.byModel),
  ])
    roundDollars(line);
  return report;
}

/** Micro-dollars are plenty, and spare readers of the JSON the float noise of long sums. */
function roundDollars(line: MoneyLine): void {
  for (const k of ['spentUsd', 'standardUsd', 'toGoUsd', 'maxToGoUsd'] as const)
    if (Number.isFinite(line[k])) line[k] = Math.round(line[k] * 1e6) / 1e6;
}

/** The lines under the status table. */
export function formatMoney(report: MoneyReport): string {
  if (report.spentUsd === 0 && report.toGoUsd === 0 && report.notStarted.length === 0) return '';
  const saved = report.standardUsd > report.spentUsd ? ` (${formatUsd(report.standardUsd)} at standard price)` : '';
  const cached =
    report.tokens.cached > 0
      ? `, ${report.tokens.cached.toLocaleString('en-US')} input tokens from the prompt cache`
      : '';
  const lines = [`Money: ${formatUsd(report.spentUsd)} spent${saved}${cached}`];
  const p = report.presumed;
  if (p.requests > 0)
    lines.push(
      `  of which ${formatUsd(p.usd)} for ${p.requests} send${p.requests > 1 ? 's' : ''} whose answer was lost (a timeout, a dropped connection, a killed run): counted at the worst case, as the server may have billed ${p.requests > 1 ? 'them' : 'it'}`,
    );
  if (report.toGoUsd > 0) {
    const most = Number.isFinite(report.maxToGoUsd)
      ? `at most ${formatUsd(report.maxToGoUsd)} if every reply reaches max_tokens`
      : 'no ceiling: some requests set no max_tokens';
    lines.push(
      `  ~${formatUsd(report.toGoUsd)} to go (${most}), ~${formatUsd(report.spentUsd + report.toGoUsd)} when finished`,
    );
    for (const b of report.basis) lines.push(`  ${describeBasis(b)}`);
    if (report.unbounded > 0)
      lines.push(
        `  ${report.unbounded} unanswered request${report.unbounded > 1 ? 's set' : ' sets'} no max_tokens: a --max-cost budget is only an estimate for them (their replies may run longer than the ratio above); set max_tokens to make it a promise`,
      );
    if (report.held > 0)
      lines.push(
        `  ${report.held} request${report.held > 1 ? 's' : ''} held back by a cost limit in the last build: a larger --max-cost (or maxCostUsd) sends ${report.held > 1 ? 'them' : 'it'}`,
      );
  }
  const n = report.notStarted.length;
  if (n > 0)
    lines.push(
      `  ${n} target${n > 1 ? 's' : ''} not started yet: \`pipeline build -n\` prices ${n > 1 ? 'them' : 'it'}`,
    );
  return `${lines.join('\n')}\n`;
}
