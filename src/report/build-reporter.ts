/**
 * Turns build events into what a person reads: one line per target that did something, failures
 * with file:line and the details under them, and a one-line summary. `--json` writes one JSON
 * object per event instead, for scripts.
 */
import type { BuildEvent, BuildSummary } from '../engine/events.ts';
import { emptyEstimate, type Estimate, type StageFailure } from '../stages/types.ts';
import { describeBasis, type OutputBasis } from '../tokens/output-ratio.ts';
import { formatUsd } from '../tokens/prices.ts';
import { comparePrices, formatPriceComparison } from './price-comparison.ts';
import { addEstimateNotes, estimateNoteLines, worstClause } from './estimate-notes.ts';
import { unreachable } from '../util/result.ts';
import { EXIT_FAILED, EXIT_PENDING } from './exit-codes.ts';
import { formatDuration, paint, type Output } from './terminal.ts';

export interface BuildReporter {
  event(event: BuildEvent): void;
  summary(summary: BuildSummary, code: number, opts?: SummaryOptions): void;
}

export interface SummaryOptions {
  /**
   * List every failure again under the summary: after a long `--wait`, the failure lines
   * printed when they happened have scrolled far away.
   */
  recapFailures?: boolean;
}

export function jsonReporter(out: Output, opts: { compare?: boolean } = {}): BuildReporter {
  return {
    event: (event) => out.write(`${JSON.stringify(event)}\n`),
    summary: (summary, code) => {
      const counts = countStates(summary);
      const estimate = totalEstimate(summary);
      const comparison = estimate && opts.compare ? comparePrices(estimate) : undefined;
      out.write(
        `${JSON.stringify({ type: 'summary', exitCode: code, ...counts, ...(estimate ? { estimate } : {}), ...(comparison ? { comparison } : {}) })}\n`,
      );
    },
  };
}

export function humanReporter(out: Output, opts: { verbose?: boolean; compare?: boolean } = {}): BuildReporter {
  return {
    event(event) {
      const line = formatEvent(out, event, opts.verbose ?? false);
      if (line) out.write(`${line}\n`);
    },
    summary(summary, code, summaryOpts = {}) {
      const c = countStates(summary);
      const cancelled = [...summary.results.values()].filter((r) => r.cancelled).length;
      const parts = [
        c.built && `${c.built} built`,
        c.fresh && `${c.fresh} up to date`,
        c.pending - cancelled && `${c.pending - cancelled} pending`,
        cancelled && `${cancelled} cancelled`,
        c['would-run'] && `${c['would-run']} would run`,
        c.blocked && `${c.blocked} waiting`,
        c.failed && paint(out, 'red', `${c.failed} failed`),
      ].filter(Boolean);
      out.write(`${parts.join(', ') || 'nothing to do'}${hintFor(summary, code)}\n`);
      if (summaryOpts.recapFailures) out.write(failureRecap(out, summary));
      out.write(heldBack(summary));
      const total = totalEstimate(summary);
      if (total) {
        const n = (v: number) => v.toLocaleString('en-US');
        const requests = `would send ${n(total.requests)} requests (${n(total.cachedRequests)} answered from cache)`;
        const tokens = `~${n(total.inputTokens)} input tokens, ~${n(total.outputTokens)} output tokens expected (at most ${n(total.maxOutputTokens)})`;
        const dollars = `${formatUsd(total.costUsd)} at batch price, ${formatUsd(total.standardCostUsd)} at standard price`;
        out.write(`${requests}: ${tokens}; ${dollars}${worstClause(total)}\n`);
        for (const b of total.basis ?? []) out.write(`  ${describeBasis(b)}\n`);
        for (const line of estimateNoteLines(total)) out.write(`  ${line}\n`);
        if (opts.compare) out.write(formatPriceComparison(comparePrices(total), total));
      }
    },
  };
}

/**
 * What to do next, from the exit code (report/exit-codes.ts: work in flight wins it over failures)
 * and what failed beside that work.
 */
function hintFor(summary: BuildSummary, code: number): string {
  const pending = [...summary.results.values()].filter((r) => r.state === 'pending');
  const inFlight = pending.some((r) => !r.cancelled);
  const failed = [...summary.results.values()].filter((r) => r.state === 'failed' || r.failure);
  // Only held back by the budget: nothing to fix, a decision to make.
  const budgetOnly = failed.length > 0 && failed.every((r) => r.failure?.reason === 'budget-exceeded');
  const fix = budgetOnly
    ? 'held back by the cost limit: raise --max-cost (or maxCostUsd) to send them'
    : 'fix the errors above';
  if (code === EXIT_PENDING && !inFlight && pending.length > 0)
    return ' — their batches were cancelled; the next build keeps their finished results and sends the rest';
  if (code === EXIT_PENDING)
    return failed.length > 0
      ? ` — ${fix}; batches are still running: run the same command again later to finish them (or add --wait)`
      : ' — batches are still running; run the same command again later (or add --wait)';
  if (code !== EXIT_FAILED) return '';
  return budgetOnly ? ` — ${fix}; finished work is kept` : ` — ${fix} and run again; finished work is kept`;
}

/** The targets a cost limit held back, in one line under the summary (their own lines say why). */
function heldBack(summary: BuildSummary): string {
  const held = [...summary.results.values()].filter(
    (r) => r.state === 'failed' && r.failure?.reason === 'budget-exceeded',
  );
  if (held.length === 0) return '';
  const names = held.map((r) => r.target);
  const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? `, … (${names.length - 10} more)` : '');
  return `held back by the cost limit (${held.length} target${held.length > 1 ? 's' : ''}): ${shown}\n`;
}

function failureRecap(out: Output, summary: BuildSummary): string {
  const failed = [...summary.results.values()].filter((r) => r.failure);
  if (failed.length === 0) return '';
  const lines = failed.map(
    ({ target, failure }) =>
      `  ${paint(out, 'red', target)}: ${failure!.file ? `${failure!.file}${failure!.line ? `:${failure!.line}` : ''}: ` : ''}${failure!.message}`,
  );
  return `failed:\n${lines.join('\n')}\n`;
}

function formatEvent(out: Output, event: BuildEvent, verbose: boolean): string | undefined {
  switch (event.type) {
    case 'fresh':
      return verbose ? paint(out, 'gray', `  up to date  ${event.target}`) : undefined;
    case 'start':
      return verbose ? paint(out, 'gray', `  run         ${event.target} (${event.reasons.join('; ')})`) : undefined;
    case 'done': {
      const cost = event.costUsd !== undefined ? `, ${formatUsd(event.costUsd)}` : '';
      return `${paint(out, 'green', '✓ built')}       ${event.target} ${paint(out, 'gray', `(${event.summary ?? event.rule}${cost}, ${formatDuration(event.ms)})`)}`;
    }
    case 'pending': {
      const line = `${paint(out, 'yellow', '… pending')}     ${event.target} ${paint(out, 'gray', `(${event.summary})`)}`;
      // Failed already, still collecting what is in flight: the failure is listed now, not only at the end.
      return event.failure ? `${line}\n    ${paint(out, 'red', 'failed:')} ${failureText(event.failure)}` : line;
    }
    case 'failed':
      return `${paint(out, 'red', '✗ failed')}      ${event.target}\n    ${failureText(event.failure)}`;
    case 'blocked':
      return verbose
        ? paint(
            out,
            'gray',
            `  waiting     ${event.target} (input ${event.waitingOn} ${event.because === 'failed' ? 'failed' : 'not ready yet'})`,
          )
        : undefined;
    case 'would-run': {
      const e = event.estimate;
      const cached =
        (e?.cachedRequests ? ` (+${e.cachedRequests} cached)` : '') +
        (e?.expectedReasks ? ` (incl. ~${e.expectedReasks} re-asks of invalid replies)` : '');
      const est = e
        ? ` — ${e.requests} requests${cached}, ~${e.inputTokens.toLocaleString('en-US')} in / ~${e.outputTokens.toLocaleString('en-US')} out tokens, ` +
          `${formatUsd(e.costUsd)} at batch price (standard ${formatUsd(e.standardCostUsd)})`
        : '';
      return `${paint(out, 'cyan', '» would run')}   ${event.target} ${paint(out, 'gray', `(${event.reasons.join('; ')})`)}${est}`;
    }
    default:
      return unreachable(event);
  }
}

/** A failure's place, message and details (indented under it). */
function failureText(failure: StageFailure): string {
  const where = failure.file ? `${failure.file}${failure.line ? `:${failure.line}` : ''}: ` : '';
  const details = (failure.details ?? [])
    .slice(0, 20)
    .map((d) => `\n      ${d}`)
    .join('');
  return `${where}${failure.message}${details}`;
}

/** The dry run's estimates added up over all targets, or undefined when no stage estimated. */
export function totalEstimate(summary: BuildSummary): Estimate | undefined {
  let total: Estimate | undefined;
  const basis = new Map<string, OutputBasis>();
  for (const r of summary.results.values()) {
    const e = r.estimate;
    if (!e) continue;
    total ??= emptyEstimate();
    for (const key of NUMBERS) total[key] += e[key];
    // Every target of a rule shares its rule's basis: listed once.
    for (const b of e.basis ?? []) basis.set(`${b.rule}\u0000${b.model}`, b);
    if (e.expectedReasks) total.expectedReasks = (total.expectedReasks ?? 0) + e.expectedReasks;
    addEstimateNotes(total, e);
  }
  if (total && basis.size > 0) total.basis = [...basis.values()];
  return total;
}

const NUMBERS = [
  'requests',
  'inputTokens',
  'outputTokens',
  'maxOutputTokens',
  'costUsd',
  'standardCostUsd',
  'cachedRequests',
] as const satisfies readonly (keyof Estimate)[];

export function countStates(
  summary: BuildSummary,
): Record<'fresh' | 'built' | 'pending' | 'failed' | 'blocked' | 'would-run', number> {
  const counts = { fresh: 0, built: 0, pending: 0, failed: 0, blocked: 0, 'would-run': 0 };
  for (const r of summary.results.values()) counts[r.state] += 1;
  return counts;
}
