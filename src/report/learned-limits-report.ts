/**
 * What `status` says about the provider limits builds have learned (provider-limits.json): per
 * provider, endpoint and model, the limit as stated and when, what planning uses now (probed
 * upward after batches that fit), when it is forgotten, and the token ratio with what showed it.
 */
import { LIMIT_TTL_MS, limitInForce, plannedLimit, type LearnedEntry } from '../stages/batch/learned-limits.ts';

export interface LearnedLimitView {
  provider: string;
  endpoint: string;
  model: string;
  /** As the provider last stated it, with when and how (absent when only a ratio was learned, or it aged out). */
  statedLimit?: number;
  statedAt?: string;
  statedBy?: string;
  /** What planning fills to (× SAFETY): the stated limit raised by the probes that fit since. */
  plannedLimit?: number;
  probes?: number;
  /** When the stated limit is forgotten (the next failure states it again). */
  forgottenAt?: string;
  ratio?: number;
  ratioFrom?: string;
}

export function learnedLimitViews(entries: Iterable<LearnedEntry>, now: number): LearnedLimitView[] {
  const views: LearnedLimitView[] = [];
  for (const e of entries) {
    const view: LearnedLimitView = { provider: e.provider, endpoint: e.endpoint, model: e.model };
    if (limitInForce(e, now)) {
      view.statedLimit = e.limit!;
      view.statedAt = e.limitSeenAt!;
      if (e.limitFrom) view.statedBy = e.limitFrom;
      view.plannedLimit = plannedLimit(e)!;
      if (e.probes) view.probes = e.probes;
      view.forgottenAt = new Date(Date.parse(e.limitSeenAt!) + LIMIT_TTL_MS).toISOString();
    }
    if (e.ratio !== undefined) {
      view.ratio = e.ratio;
      if (e.ratioFrom) view.ratioFrom = e.ratioFrom;
    }
    if (view.statedLimit !== undefined || view.ratio !== undefined) views.push(view);
  }
  return views;
}

const n = (x: number) => x.toLocaleString('en-US');
const when = (iso: string) => iso.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');

function ago(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  return minutes < 90 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
}

/** The lines `status` prints (nothing when nothing was learned). */
export function formatLearnedLimits(views: readonly LearnedLimitView[], now: number): string {
  if (views.length === 0) return '';
  const lines = ['Learned provider limits:'];
  for (const v of views) {
    const parts: string[] = [];
    if (v.statedLimit !== undefined) {
      const by = v.statedBy ? ` (${v.statedBy})` : '';
      const planned =
        v.plannedLimit !== v.statedLimit
          ? `; planning at ${n(v.plannedLimit!)} after ${v.probes} probe${v.probes === 1 ? '' : 's'} upward that fit`
          : '';
      parts.push(
        `${n(v.statedLimit)} enqueued tokens, stated ${when(v.statedAt!)} (${ago(now - Date.parse(v.statedAt!))})${by}${planned}; forgotten after ${when(v.forgottenAt!)}`,
      );
    }
    if (v.ratio !== undefined)
      parts.push(`counts ${v.ratio.toFixed(2)}× our estimate${v.ratioFrom ? ` (${v.ratioFrom})` : ''}`);
    lines.push(`  ${v.provider} ${v.model} (${v.endpoint}): ${parts.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}
