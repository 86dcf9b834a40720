/**
 * `prepare()`: once per build, before any batch target runs. Reads the ledger of EVERY batch
 * target of the pipeline (not only the selected ones: the provider's limits are per model for the
 * whole organisation, so `build a` followed by `build b` must not put both above the limit),
 * refreshes all their in-flight batches with one walk of the provider's list, and registers what
 * is really still enqueued with the scheduler.
 */
import { TERMINAL_STATUSES } from '../../providers/batch-api.ts';
import type { TargetContext } from '../types.ts';
import { confirmedCreatesOf } from './adoption.ts';
import type { BatchStageConfig } from './config.ts';
import { LearnedLimits } from './learned-limits.ts';
import { isInFlight, loadLedger, ms, type Ledger } from './ledger.ts';
import { refreshBatches } from './poller.ts';
import { batchServicesFor } from '../services.ts';
import { inFlightWorst } from './budget-guard.ts';
import { rulePrices } from '../../tokens/rule-prices.ts';

type Item = { ctx: TargetContext; config: BatchStageConfig };

export async function prepareBatches(selected: readonly Item[], everyTarget: readonly Item[]): Promise<void> {
  // Each provider has its own list, limits and scheduler: prepared separately.
  const providers = new Set([...selected, ...everyTarget].map((i) => i.config.provider));
  for (const provider of providers) {
    const mine = (items: readonly Item[]) => items.filter((i) => i.config.provider === provider);
    await prepareProvider(mine(selected), mine(everyTarget));
  }
}

async function prepareProvider(selected: readonly Item[], everyTarget: readonly Item[]): Promise<void> {
  const first = selected[0] ?? everyTarget[0];
  const svc = first && batchServicesFor(first.ctx.services, first.config.provider);
  if (!svc || !first) return;
  svc.scheduler.reset();
  delete svc.poll;
  svc.learned = LearnedLimits.load(first.ctx.stateDir, first.config.provider, () => first.ctx.clock.now());
  const ledgers = new Map<string, Ledger>();
  const ids = new Set<string>();
  let oldest: number | undefined;
  let intentsSince: number | undefined;
  const all = new Map<string, Item>();
  for (const item of [...everyTarget, ...selected]) all.set(item.ctx.target, item);
  for (const { ctx } of all.values()) {
    const loaded = ctx.marker ? await loadLedger(ctx.marker, ctx.root) : undefined;
    if (!loaded?.ok || !loaded.value) continue;
    ledgers.set(ctx.target, loaded.value);
    confirmedCreatesOf(loaded.value.parts, svc.confirmedCreates);
    for (const p of loaded.value.parts) if (p.batchId) svc.claimed.add(p.batchId);
    for (const p of loaded.value.parts.filter(isInFlight)) {
      if (p.batchId && p.state === 'submitted') {
        ids.add(p.batchId);
        oldest = Math.min(oldest ?? Infinity, p.createdAt ? ms(p.createdAt) : ms(p.intentAt));
      } else if (p.state === 'creating' && !p.createNotSent)
        intentsSince = Math.min(intentsSince ?? Infinity, ms(p.intentAt));
    }
  }
  const snap = await refreshBatches(svc.api, { ids, oldestCreatedAt: oldest, intentsSince }, first.ctx.clock.now());
  if (snap.ok) svc.poll = snap.value; // on failure each run retrieves its own batches
  for (const [target, ledger] of ledgers) {
    // A batch the provider has finished no longer holds enqueued tokens, collected or not.
    const running = ledger.parts.filter(
      (p) => isInFlight(p) && !(p.batchId && TERMINAL_STATUSES.has(svc.poll?.batches.get(p.batchId)?.status ?? '')),
    );
    svc.scheduler.setLoad(target, running);
  }
  // Every target's batches in flight count against --max-cost at their worst case, selected or
  // not (the budget is the job's): a target with none reserves nothing, whatever an earlier cycle left.
  for (const { ctx, config } of all.values()) {
    const ledger = ledgers.get(ctx.target);
    svc.budget.set(ctx.target, ledger ? inFlightWorst(ledger, rulePrices(config)) : 0);
  }
  // The selected targets' batches are collected by this build: room they free may be used by its next cycle.
  const chosen = new Set(selected.map((i) => i.ctx.target));
  svc.budget.follow(
    [...all.keys()].filter((t) => !chosen.has(t)),
    false,
  );
  svc.budget.follow(chosen);
}
