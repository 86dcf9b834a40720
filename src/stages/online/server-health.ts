/**
 * Whether one server of a fleet gets new rows. A run of failures with no answer between them
 * (connections refused or reset, timeouts, 5xx) drains it: its dispatcher sends nothing new to it, and the
 * requests it still holds are given up (aborted) so their rows go to the other servers. Once its
 * pause is over, its dispatcher probes it (`GET /models`, a short timeout, nothing billed); an answer
 * brings it back, silence doubles the pause. A server alone is never drained: there is nowhere
 * else to send, so its rows keep their own back-off as before.
 */
import { setMaxListeners } from 'node:events';
import type { OnlineApi } from '../../providers/online-api.ts';
import type { Clock } from '../../util/clock.ts';
import { Changes } from './wake.ts';

/** Failures in a row (no answer between them) that drain a server. */
export const FAILURES_TO_DRAIN = 3;
export const FIRST_PAUSE_MS = 5_000;
export const MAX_PAUSE_MS = 60_000;
/** A probe is one cheap call: a server that cannot list its models this fast is not back. */
export const PROBE_TIMEOUT_MS = 10_000;

/** What a probe needs of a server's transport. */
export type ProbeApi = Pick<OnlineApi, 'probe'>;

export class ServerHealth {
  #failures = 0;
  #downUntil: number | undefined;
  /** Drains since it last answered a request, for the pause's doubling. */
  #drainsInARow = 0;
  #probing = false;
  #requests = unlimited(new AbortController());
  /** Notified when it is drained or comes back. */
  readonly changes = new Changes();
  readonly counts = { drained: 0, probes: 0 };

  constructor(
    private readonly clock: Clock,
    /** False for a server alone. */
    readonly drains: boolean,
  ) {}

  get up(): boolean {
    return this.#downUntil === undefined;
  }

  /** When the next probe is due (undefined: up). */
  get probeAt(): number | undefined {
    return this.#downUntil;
  }

  /** Aborted when the server is drained: the requests it holds are given up and their rows sent elsewhere. */
  get signal(): AbortSignal {
    return this.#requests.signal;
  }

  /** It answered (any answer that is not a 5xx). */
  answered(): void {
    this.#failures = 0;
    if (this.up) this.#drainsInARow = 0;
  }

  /** A connection refused or reset, a timeout, or a 5xx. */
  failed(): void {
    if (!this.drains || !this.up) return;
    this.#failures += 1;
    if (this.#failures >= FAILURES_TO_DRAIN) this.#drain();
  }

  /** Probes a drained server whose pause is over (one probe at a time; other callers wait for `changes`). */
  async probe(api: ProbeApi, signal: AbortSignal): Promise<void> {
    if (this.up || this.#probing || this.clock.now() < this.#downUntil!) return;
    this.#probing = true;
    this.counts.probes += 1;
    try {
      const reachable = api.probe ? await api.probe({ timeoutMs: PROBE_TIMEOUT_MS, signal }) : true;
      if (signal.aborted) return;
      if (!reachable) return this.#drain();
      this.#downUntil = undefined;
      this.#failures = 0;
      this.changes.notify();
    } finally {
      this.#probing = false;
    }
  }

  #drain(): void {
    const pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** this.#drainsInARow);
    this.#drainsInARow += 1;
    this.#downUntil = this.clock.now() + pause;
    this.#failures = 0;
    this.counts.drained += 1;
    const holding = this.#requests;
    this.#requests = unlimited(new AbortController());
    holding.abort(new Error('server drained'));
    this.changes.notify();
  }
}

/** Every request in flight on the server listens to its signal: many listeners are expected, not a leak. */
function unlimited(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
