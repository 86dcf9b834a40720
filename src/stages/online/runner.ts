/**
 * Sends requests to one server or a fleet of them until each has a final answer or the run must
 * stop. Each server has its own dispatcher, its own `Limiter` (slots, budgets, cool-down) and its
 * own health; a dispatcher takes the next row from the shared queue only when its server has a
 * free slot and room in its budgets now, so rows go to whichever server is free and each server
 * runs at its own capacity. A row comes back to the queue after a rate-limit answer or a transient
 * failure (after its back-off), and a row a server left unanswered (it may have run and billed it)
 * goes to another server unless none other is up. Stopping (Ctrl-C, `--max-time`) sends nothing
 * new; requests in flight finish and are journaled, since the server bills them anyway.
 */
import { setMaxListeners } from 'node:events';
import type { OnlineApi } from '../../providers/online-api.ts';
import type { Clock } from '../../util/clock.ts';
import type { RequestEntry } from '../work/request-file.ts';
import { meaningOf, type AnswerMeaning } from './answer.ts';
import type { Limiter, Permit } from './limiter.ts';
import { readRateLimits, retryAfterMs } from './rate-headers.ts';
import { RowQueue, type Row, type RowFilter } from './row-queue.ts';
import type { ServerHealth } from './server-health.ts';
import { wake } from './wake.ts';

export interface RunnerOptions {
  maxAttempts: number;
  maxThrottledAttempts: number;
  timeoutSeconds: number;
  serviceTier?: string | undefined;
}

/** Where answers go; each call resolves once the answer (and what it cost) is durable. */
export interface AnswerSink {
  /** A request leaves for `server` (journaled for a fleet); resolves with the key of this send (its spend line's). */
  sent(entry: RequestEntry, server: string | undefined): Promise<string>;
  succeeded(
    entry: RequestEntry,
    line: Record<string, unknown>,
    send: string,
    server: string | undefined,
  ): Promise<void>;
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

/** One server of the fleet, with what the build shares for it (its limiter and health). */
export interface FleetServer {
  /** Its base URL (journaled for a fleet). */
  label: string;
  api: OnlineApi;
  limiter: Limiter;
  health: ServerHealth;
  /** This run's requests in flight on it at most (the limiter, shared by the build, may lower it). */
  maxConcurrency: number;
}

export interface RunnerJob {
  /** How many requests `next` yields in all. */
  total: number;
  /** The next request to send (undefined: none left). */
  next: () => Promise<RequestEntry | undefined>;
  servers: readonly FleetServer[];
  /** Servers an earlier run sent this request to and heard nothing back from (see journal.ts). */
  unansweredOn?: (hash: string) => Iterable<string> | undefined;
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
  /** Answers per server label. */
  byServer: Record<string, number>;
}

export async function runRequests(job: RunnerJob): Promise<RunnerResult> {
  const result: RunnerResult = { sent: 0, succeeded: 0, failed: 0, throttled: 0, byServer: {} };
  const stop = new AbortController();
  const onAbort = () => stop.abort(job.signal.reason);
  job.signal.addEventListener('abort', onAbort, { once: true });
  if (job.signal.aborted) stop.abort(job.signal.reason);
  // The deadline aborts the waits too (a dispatcher may sleep in the limiter past it).
  const timer = new AbortController();
  if (job.deadline !== undefined)
    job.clock
      .sleep(Math.max(0, job.deadline - job.clock.now()), timer.signal)
      .then(() => stop.abort(new Error('max-time')))
      .catch(() => undefined);
  const { clock, servers } = job;
  const fleet = servers.length > 1;
  const queue = new RowQueue(job.next, (entry) => ({
    cost: job.tokenCost(entry),
    unanswered: fleet ? job.unansweredOn?.(entry.hash) : undefined,
  }));
  // A cost limit holds the rest: nothing more is sent.
  const holding = new AbortController();
  // A request's answer could not be recorded (a write failed): nothing more is sent, the error is the run's.
  const crashed = new AbortController();
  let failure: { error: unknown } | undefined;
  // Waits end when sending stops, or when every row is done.
  const quit = AbortSignal.any([stop.signal, queue.over, holding.signal, crashed.signal]);
  const live = () => !quit.aborted;
  // Every wait listens to these run-long signals, some twice: many listeners are expected, not a leak.
  setMaxListeners(0, quit, stop.signal);
  const anyChange = () => [queue.changes.wait(), ...servers.map((s) => s.health.changes.wait())];
  // A server takes a row it left unanswered only if every server still up did too.
  const mayTake =
    (server: FleetServer): RowFilter =>
    (row) =>
      !row.unanswered.has(server.label) || servers.every((s) => !s.health.up || row.unanswered.has(s.label));

  /** The next row for this server once it has room for it now (budgets taken), or undefined: look again. */
  const pick = async (server: FleetServer): Promise<Row | undefined> => {
    const may = mayTake(server);
    while (live() && server.health.up) {
      await queue.fill();
      const now = clock.now();
      const row = queue.firstFor(may, now);
      if (!row) {
        if (queue.setAsideHead(may) || queue.unread) continue; // another server took the row read ahead
        await wake(clock, queue.dueIn(may, now), anyChange(), quit);
        continue;
      }
      const wait = server.limiter.tryTake(row.cost);
      if (wait === 0) {
        queue.take(row);
        return row;
      }
      // The row may go to another server meanwhile: this one takes whatever is first once it has room.
      await wake(clock, wait, [server.health.changes.wait()], quit);
    }
    return undefined;
  };

  /**
   * One dispatcher per server: it takes a slot, then the first row the server has room for now,
   * and sends it without waiting for the answer, until the run is over. One loop per server, not
   * one per slot: a server at its rate limit has one waiter for its budget, not one per idle slot
   * all woken at once for the one request the budget allows (which cost more CPU than the
   * requests themselves on a fleet of large servers).
   */
  const dispatch = async (server: FleetServer) => {
    const inFlight = new Set<Promise<void>>();
    while (live()) {
      if (!server.health.up) {
        await server.health.probe(server.api, quit);
        if (!server.health.up) await wake(clock, server.health.probeAt! - clock.now(), anyChange(), quit);
        continue;
      }
      // This run's own cap (the limiter's is the build's, shared with the server's other targets).
      if (inFlight.size >= server.maxConcurrency) {
        await Promise.race(inFlight);
        continue;
      }
      let permit: Permit;
      try {
        permit = await server.limiter.slot(quit);
      } catch {
        break; // stopped or done while waiting for a slot
      }
      const row = await pick(server);
      if (!row) {
        permit.release();
        continue;
      }
      const sending: Promise<void> = carry(server, row, permit)
        .catch((error: unknown) => {
          failure ??= { error };
          crashed.abort(error);
        })
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    // Requests in flight finish and are journaled: the server bills them anyway.
    await Promise.all(inFlight);
  };

  const carry = async (server: FleetServer, row: Row, permit: Permit) => {
    const { entry } = row;
    // The budget before anything is sent (it may wait for answers in flight).
    if (job.gate && !(await job.gate.enter(entry, stop.signal))) {
      permit.release();
      if (!stop.signal.aborted) holding.abort(); // never sent; nor is anything after it
      queue.done();
      return;
    }
    const body = job.options.serviceTier ? { ...entry.body, service_tier: job.options.serviceTier } : entry.body;
    const label = fleet ? server.label : undefined;
    let meaning: AnswerMeaning;
    let send: string;
    try {
      send = await job.sink.sent(entry, label);
      result.sent += 1;
      const answer = await server.api.send(entry.endpoint, body, {
        timeoutMs: job.options.timeoutSeconds * 1000,
        signal: server.health.signal,
      });
      meaning = meaningOf(entry.customId, answer);
      if (answer.kind === 'response') {
        const info = readRateLimits(answer.header);
        if (meaning.kind === 'throttled')
          server.limiter.throttled(retryAfterMs(answer.header, clock.now()), info, meaning.status);
        else server.limiter.learn(info);
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
        server.limiter.succeeded();
        server.health.answered();
        await settle(job.sink.succeeded(entry, meaning.line, send, label));
        result.succeeded += 1;
        result.byServer[server.label] = (result.byServer[server.label] ?? 0) + 1;
        return queue.done();
      case 'refused':
        server.health.answered();
        await settle(job.sink.failed(entry, meaning, true, false, send));
        result.failed += 1;
        return queue.done();
      case 'throttled': {
        result.throttled += 1;
        const exhausted = ++row.throttles >= job.options.maxThrottledAttempts;
        await settle(job.sink.failed(entry, meaning, exhausted, exhausted, send));
        if (exhausted) {
          result.failed += 1;
          return queue.done();
        }
        return queue.again(row); // when this server's cool-down is over, or now on another
      }
      case 'transient': {
        server.health.failed();
        if (meaning.status === undefined) row.unanswered.add(server.label);
        const exhausted = ++row.attempts >= job.options.maxAttempts;
        await settle(job.sink.failed(entry, meaning, exhausted, exhausted, send));
        if (exhausted) {
          result.failed += 1;
          return queue.done();
        }
        // This request's own back-off (the server is not full, this request failed): 0.5 s, 1 s, 2 s… up to 30 s.
        row.notBefore = clock.now() + Math.min(30_000, 500 * 2 ** (row.attempts - 1));
        return queue.again(row);
      }
    }
  };

  try {
    await Promise.all(servers.map(dispatch));
  } finally {
    timer.abort();
    job.signal.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure.error;
  if (result.succeeded + result.failed < job.total && stop.signal.aborted)
    result.stopped = job.signal.aborted ? 'interrupted' : 'max-time';
  else if (holding.signal.aborted) result.stopped = 'budget';
  return result;
}
