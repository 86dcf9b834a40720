/** `describe()`: a batch target's remote progress for `status`, from its ledger plus the build's poll. */
import { batchServicesFor } from '../services.ts';
import type { RemoteStatus, TargetContext } from '../types.ts';
import type { BatchStageConfig } from './config.ts';
import { isInFlight, loadLedger, ms, type Ledger } from './ledger.ts';
import { formatUsd } from '../../tokens/prices.ts';
import { describeFailure } from '../work/request-failure.ts';
import { remoteState } from './state.ts';
import { targetMoney } from './target-money.ts';
import { describeCounts, describeHopeless, HOPELESS_ADVICE, withHopelessRows } from '../structured/reply-counts.ts';

export async function describeBatch(ctx: TargetContext, config: BatchStageConfig): Promise<RemoteStatus> {
  if (!ctx.marker) return { state: 'none' };
  const loaded = await loadLedger(ctx.marker, ctx.root);
  if (!loaded.ok) return { state: 'failed', summary: loaded.error.message, failures: loaded.error.details ?? [] };
  const ledger = loaded.value;
  if (!ledger) return { state: 'none' };
  const snap = batchServicesFor(ctx.services, config.provider)?.poll;
  const running = ledger.parts.filter(isInFlight).map((p) => {
    const b = p.batchId ? snap?.batches.get(p.batchId) : undefined;
    return b ? { ...p, status: b.status, counts: b.requestCounts } : p;
  });
  const s = ledger.summary;
  const inBatches = running.reduce((sum, p) => sum + (p.counts ? p.counts.completed + p.counts.failed : 0), 0);
  const permanent = Object.values(ledger.requestFailures).filter((f) => f.permanent);
  const failures = ledger.rejected
    ? ledger.rejected.details
    : [...permanent.slice(0, 20).map((f) => `${f.customId}: ${describeFailure(f)}`), ...hopelessLines(ledger)];
  // Rejected with other parts still in flight: both — their state, and the failure that stands once they are in.
  const state: RemoteStatus['state'] =
    running.length > 0 ? remoteState(running) : ledger.rejected ? 'failed' : s && s.queued > 0 ? 'queued' : 'complete';
  const since = running.map((p) => ms(p.createdAt ?? p.intentAt));
  const lastEvent = ledger.events?.at(-1)?.message;
  return {
    state,
    ...(s
      ? {
          progress: {
            done: Math.min(s.total, s.succeeded + s.failed + inBatches),
            total: s.total,
            ...(s.failed ? { failed: s.failed } : {}),
          },
          usage: s.usage,
        }
      : {}),
    ...(s?.costUsd !== undefined ? { costUsd: s.costUsd } : {}),
    ...(since.length > 0 ? { inFlightSince: Math.min(...since) } : {}),
    money: await targetMoney(ctx.stateDir, ctx.target, ctx.rule, config, s),
    ...(s?.invalid !== undefined
      ? {
          replies: withHopelessRows(
            {
              valid: s.succeeded - s.invalid,
              invalid: s.invalid,
              reasked: s.reasked ?? 0,
              ...(s.rounds ? { rounds: s.rounds } : {}),
              ...(s.hopeless ? { hopeless: s.hopeless } : {}),
            },
            ledger.hopeless,
          ),
        }
      : {}),
    summary:
      ledger.rejected && running.length === 0
        ? ledger.rejected.message
        : [
            describeParts(running.length, s, permanent.length),
            ledger.rejected ? `failed: ${ledger.rejected.message}` : '',
            replyCounts(s),
            lastEvent,
          ]
            .filter(Boolean)
            .join('; '),
    ...(failures.length > 0 ? { failures } : {}),
    ...(ledger.rejected && running.length > 0
      ? { failure: { reason: 'provider-error', message: ledger.rejected.message, details: ledger.rejected.details } }
      : {}),
  };
}

/** With a reply schema: how the answered rows' replies stand. */
export function replyCounts(
  s: { succeeded: number; invalid?: number; reasked?: number; rounds?: number; hopeless?: number } | undefined,
): string {
  if (s?.invalid === undefined) return '';
  return describeCounts({ ...s, valid: s.succeeded - s.invalid, invalid: s.invalid, reasked: s.reasked ?? 0 });
}

/** The hopeless rows, each named with its last reply, then what to do about them. */
function hopelessLines(ledger: Ledger): string[] {
  const rows = ledger.hopeless ?? [];
  return rows.length > 0 ? [...rows.map(describeHopeless), HOPELESS_ADVICE] : [];
}

function describeParts(running: number, s: Ledger['summary'], permanent: number): string {
  const held = s?.held;
  const queued = (s?.queued ?? 0) - (held?.requests ?? 0);
  const bits = [
    running > 0 ? `${running} batch${running > 1 ? 'es' : ''} in flight` : '',
    queued > 0 ? `${queued} requests queued` : '',
    held
      ? `${held.requests} requests held back by a cost limit (${formatUsd(held.worstUsd)} to finish at worst, ~${formatUsd(held.expectedUsd)} expected)`
      : '',
    permanent > 0 ? `${permanent} requests failed` : '',
  ];
  return bits.filter(Boolean).join(', ') || 'all requests answered';
}
