/**
 * What the online endpoints did, for tests and benchmarks: answers by status, billed answers per
 * request body (a body answered twice was paid twice), minute windows of requests and tokens,
 * and peak concurrency. Kept in memory for this server's life; what must survive a killed process
 * (executions, duplicates, tokens) goes to the shared execution ledger and persisted counters.
 */
import type { Slots } from './slots.ts';
import type { OnlineStats, OnlineWindow } from './types.ts';

const WINDOW_MS = 60_000;

export class OnlineStatsKeeper {
  readonly #startMs: number;
  #received = 0;
  #byStatus: Record<string, number> = {};
  #answered = 0;
  #lostReplies = 0;
  #hangs = 0;
  #arrivals = new Map<string, number>();
  #answers = new Map<string, number>();
  #windows = new Map<number, OnlineWindow>();

  constructor(startMs: number) {
    this.#startMs = startMs;
  }

  /** Notes a valid request for `hash`; returns how many times that body arrived before (its attempt number). */
  arrived(hash: string): number {
    this.#received++;
    const before = this.#arrivals.get(hash) ?? 0;
    this.#arrivals.set(hash, before + 1);
    return before;
  }

  status(status: number): void {
    this.#byStatus[status] = (this.#byStatus[status] ?? 0) + 1;
  }

  charged(now: number, tokens: number): void {
    const w = this.#window(now);
    w.requests++;
    w.chargedTokens += tokens;
  }

  answered(now: number, hash: string, promptTokens: number, completionTokens: number): void {
    this.#answered++;
    this.#answers.set(hash, (this.#answers.get(hash) ?? 0) + 1);
    const w = this.#window(now);
    w.answered++;
    w.promptTokens += promptTokens;
    w.completionTokens += completionTokens;
  }

  lostReply(): void {
    this.#lostReplies++;
  }

  hung(): void {
    this.#hangs++;
  }

  #window(now: number): OnlineWindow {
    const index = Math.max(0, Math.floor((now - this.#startMs) / WINDOW_MS));
    let w = this.#windows.get(index);
    if (!w) {
      w = {
        startMs: this.#startMs + index * WINDOW_MS,
        requests: 0,
        chargedTokens: 0,
        answered: 0,
        promptTokens: 0,
        completionTokens: 0,
      };
      this.#windows.set(index, w);
    }
    return w;
  }

  view(slots: Slots): OnlineStats {
    const answersByBody = Object.fromEntries(this.#answers);
    return {
      received: this.#received,
      byStatus: { ...this.#byStatus },
      answered: this.#answered,
      lostReplies: this.#lostReplies,
      hangs: this.#hangs,
      answersByBody,
      bodiesAnsweredTwice: [...this.#answers.values()].filter((n) => n > 1).length,
      peakConcurrency: slots.peakActive,
      peakQueue: slots.peakQueue,
      active: slots.active,
      queued: slots.queued,
      windows: [...this.#windows.entries()].sort(([a], [b]) => a - b).map(([, w]) => ({ ...w })),
    };
  }
}
