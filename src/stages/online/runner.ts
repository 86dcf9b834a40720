/**
 * Sends requests to an online endpoint until each has a final answer or the run must stop.
 * Workers (one per concurrency slot) each carry one request to its end: an answer in the cache, a
 * refusal (4xx), or retries used up. Everything passes through the shared `Limiter` (slots,
 * budgets, global cool-down). Stopping (Ctrl-C, `--max-time`) sends nothing new; requests already
 * in flight finish and are journaled, since the server bills them whether we listen or not.
 */
import type { OnlineApi } from '../../providers/online-api.ts';
import type { Clock } from '../../util/clock.ts';
import type { RequestEntry } from '../work/request-file.ts';
import { meaningOf, type AnswerMeaning } from './answer.ts';
import type { Limiter } from './limiter.ts';
import { readRateLimits, retryAfterMs } from './rate-headers.ts';

export interface RunnerOptions {
  maxConcurrency: number;
  maxAttempts: number;
  maxThrottledAttempts: number;
  timeoutSeconds: number;
  serviceTier?: string | undefined;
}

/** Where answers go; each call resolves once the answer (and what it cost) is durable. */
export interface AnswerSink {
  /** A request leaves; resolves with the key of this send (its spend line's). */
  sent(entry: RequestEntry): Promise<string>;
  succeeded(entry: RequestEntry, line: Record<string, unknown>, send: string): Promise<void>;
  /** `final`: no more sending in this build (`exhausted`: retries ran out; otherwise refused). */
  failed(
    entry: RequestEntry,
    meaning: Exclude<AnswerMeaning, { kind: 'succeeded' }>,
    final: boolean,
    exhausted: boolean,
    send: string,
  ): Promise<void>;
}

/** The cost limits: a request's worst case is reserved before it leaves, released once it is billed. */
export interface CostGate {
  /** False: it does not fit, and nothing this run has in flight can make room (held). */
  enter(entry: RequestEntry, signal: AbortSignal): Promise<boolean>;
  leave(entry: RequestEntry): void;
}

export interface RunnerJob {
  /** How many requests `next` yields in all. */
  total: number;
  /** The next request to send (undefined: none left). Workers call it concurrently. */
  next: () => Promise<RequestEntry | undefined>;
  api: OnlineApi;
  limiter: Limiter;
  clock: Clock;
  /** Aborted: stop sending (Ctrl-C). */
  signal: AbortSignal;
  /** Clock time after which nothing new is sent (`--max-time`). */
  deadline?: number | undefined;
  options: RunnerOptions;
  /** What a request costs in the token budget: prompt tokens plus its max_tokens. */
  tokenCost: (entry: RequestEntry) => number;
  sink: AnswerSink;
  gate?: CostGate;
}

export interface RunnerResult {
  /** Why sending stopped before every request had a final answer (`budget`: a cost limit held the rest). */
  stopped?: 'max-time' | 'interrupted' | 'budget';
  sent: number;
  succeeded: number;
  failed: number;
  throttled: number;
}

export async function runRequests(job: RunnerJob): Promise<RunnerResult> {
  const result: RunnerResult = { sent: 0, succeeded: 0, failed: 0, throttled: 0 };
  const stop = new AbortController();
  const onAbort = () => stop.abort(job.signal.reason);
  job.signal.addEventListener('abort', onAbort, { once: true });
  if (job.signal.aborted) stop.abort(job.signal.reason);
  // The deadline aborts the waits too (a worker may sleep in the limiter past it).
  const timer = new AbortController();
  if (job.deadline !== undefined)
    job.clock
      .sleep(Math.max(0, job.deadline - job.clock.now()), timer.signal)
      .then(() => stop.abort(new Error('max-time')))
      .catch(() => undefined);
  let held = false;
  const worker = async () => {
    while (!stop.signal.aborted && !held) {
      const entry = await job.next();
      if (!entry) return;
      await carry(entry);
    }
  };
  const carry = async (entry: RequestEntry) => {
    let attempts = 0;
    let throttles = 0;
    const body = job.options.serviceTier ? { ...entry.body, service_tier: job.options.serviceTier } : entry.body;
    const cost = job.tokenCost(entry);
    for (;;) {
      // The budget first (it may wait for answers in flight), then the server's limits.
      if (job.gate && !(await job.gate.enter(entry, stop.signal))) {
        if (!stop.signal.aborted) held = true; // never sent; nor is anything after it
        return;
      }
      let permit;
      try {
        permit = await job.limiter.acquire(cost, stop.signal);
      } catch {
        job.gate?.leave(entry);
        return; // stopped while waiting: never sent
      }
      let meaning: AnswerMeaning;
      let send: string;
      try {
        send = await job.sink.sent(entry);
        result.sent += 1;
        const answer = await job.api.send(entry.endpoint, body, { timeoutMs: job.options.timeoutSeconds * 1000 });
        meaning = meaningOf(entry.customId, answer);
        const now = job.clock.now();
        if (answer.kind === 'response') {
          const info = readRateLimits(answer.header);
          if (meaning.kind === 'throttled')
            job.limiter.throttled(retryAfterMs(answer.header, now), info, meaning.status);
          else job.limiter.learn(info);
        }
      } finally {
        permit.release();
      }
      // What it cost is in the spend log once the sink has it: only then is its reservation released.
      const settle = async (done: Promise<void>) => {
        try {
          await done;
        } finally {
          job.gate?.leave(entry);
        }
      };
      switch (meaning.kind) {
        case 'succeeded':
          job.limiter.succeeded();
          await settle(job.sink.succeeded(entry, meaning.line, send));
          result.succeeded += 1;
          return;
        case 'refused':
          await settle(job.sink.failed(entry, meaning, true, false, send));
          result.failed += 1;
          return;
        case 'throttled': {
          result.throttled += 1;
          const exhausted = ++throttles >= job.options.maxThrottledAttempts;
          await settle(job.sink.failed(entry, meaning, exhausted, exhausted, send));
          if (exhausted) {
            result.failed += 1;
            return;
          }
          break;
        }
        case 'transient': {
          const exhausted = ++attempts >= job.options.maxAttempts;
          await settle(job.sink.failed(entry, meaning, exhausted, exhausted, send));
          if (exhausted) {
            result.failed += 1;
            return;
          }
          // This request's own back-off (the server is not full, this request failed): 0.5 s, 1 s, 2 s… up to 30 s.
          await job.clock.sleep(Math.min(30_000, 500 * 2 ** (attempts - 1)), stop.signal).catch(() => undefined);
          break;
        }
      }
      if (stop.signal.aborted) return;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(job.options.maxConcurrency, job.total) }, worker));
  } finally {
    timer.abort();
    job.signal.removeEventListener('abort', onAbort);
  }
  if (result.succeeded + result.failed < job.total && stop.signal.aborted)
    result.stopped = job.signal.aborted ? 'interrupted' : 'max-time';
  else if (held) result.stopped = 'budget';
  return result;
}
