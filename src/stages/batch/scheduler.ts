/**
 * Per build, per model: how many estimated input tokens and batches are enqueued across all the
 * build's batch targets, so parts are submitted only while under `maxEnqueuedTokens` and
 * `maxInFlightBatches` (the provider fails a batch past its enqueued-token limit; design §4).
 * (The job's cost reservations are in ../budget.ts.) All checks and reservations are
 * synchronous, so concurrent target runs cannot both take the last slot.
 */
export interface ModelLoad {
  tokens: number;
  batches: number;
}

export interface AdmitLimits {
  maxEnqueuedTokens?: number | undefined;
  maxInFlightBatches?: number | undefined;
}

export class Scheduler {
  /** target → model → what that target has in flight. */
  readonly #load = new Map<string, Map<string, ModelLoad>>();

  /** A new build: forget everything (prepare() registers the targets again). */
  reset(): void {
    this.#load.clear();
  }

  /** Replaces a target's in-flight load (after it polled and collected its parts). */
  setLoad(target: string, parts: readonly { model: string; inputTokens: number }[]): void {
    const byModel = new Map<string, ModelLoad>();
    for (const p of parts) {
      const l = byModel.get(p.model) ?? { tokens: 0, batches: 0 };
      l.tokens += p.inputTokens;
      l.batches += 1;
      byModel.set(p.model, l);
    }
    this.#load.set(target, byModel);
  }

  total(model: string): ModelLoad {
    const t = { tokens: 0, batches: 0 };
    for (const byModel of this.#load.values()) {
      const l = byModel.get(model);
      if (l) {
        t.tokens += l.tokens;
        t.batches += l.batches;
      }
    }
    return t;
  }

  /**
   * Takes room for one part if the limits allow. A part larger than the token limit on its own is
   * admitted only when nothing else of its model is enqueued (planning never makes one unless a
   * single request is that large), so the queue cannot deadlock.
   */
  admit(target: string, model: string, tokens: number, limits: AdmitLimits): boolean {
    const t = this.total(model);
    if (limits.maxInFlightBatches !== undefined && t.batches >= limits.maxInFlightBatches) return false;
    if (limits.maxEnqueuedTokens !== undefined && t.tokens > 0 && t.tokens + tokens > limits.maxEnqueuedTokens)
      return false;
    const byModel = this.#load.get(target) ?? new Map<string, ModelLoad>();
    const l = byModel.get(model) ?? { tokens: 0, batches: 0 };
    byModel.set(model, { tokens: l.tokens + tokens, batches: l.batches + 1 });
    this.#load.set(target, byModel);
    return true;
  }
}
