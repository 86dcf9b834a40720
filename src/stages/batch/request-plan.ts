/**
 * A request file's size per model (requests, estimated input tokens, the sum of max_tokens),
 * counted once per version of the file and kept in the ledger's summary: `status` and the
 * `--wait` display price what is not answered yet from it, without a tokenizer.
 */
import type { Ledger } from './ledger.ts';
import { tokensOf } from '../work/estimate.ts';
import { loadTokenizersForRequests, maxOutputTokens, type RequestFile } from '../work/request-file.ts';

export type RequestPlan = NonNullable<NonNullable<Ledger['summary']>['plan']>;

export async function requestPlan(current: RequestFile, previous: Ledger['summary']): Promise<RequestPlan> {
  if (previous?.plan && previous.requestSha === current.sha256) return previous.plan;
  await loadTokenizersForRequests(current.entries);
  const byModel = new Map<string, RequestPlan[number]>();
  for (const e of current.entries) {
    const m = byModel.get(e.model) ?? { model: e.model, requests: 0, inputTokens: 0, maxOutputTokens: 0, uncapped: 0 };
    m.requests += 1;
    m.inputTokens += tokensOf(e);
    const cap = maxOutputTokens(e);
    if (cap === undefined) m.uncapped += 1;
    else m.maxOutputTokens += cap;
    byModel.set(e.model, m);
  }
  return [...byModel.values()];
}

/** The plan scaled to the requests not answered yet (answered ones leave in proportion). */
export function remainingOf(plan: RequestPlan, total: number, unanswered: number): RequestPlan {
  if (total <= 0 || unanswered <= 0) return [];
  const share = Math.min(1, unanswered / total);
  return plan.map((m) => ({
    model: m.model,
    requests: m.requests * share,
    inputTokens: m.inputTokens * share,
    maxOutputTokens: m.maxOutputTokens * share,
    uncapped: m.uncapped * share,
  }));
}
