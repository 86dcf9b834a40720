/**
 * The online target's journal (its rule's `marker`, JSON lines, append-only). Paid answers go to
 * the request cache (cache.ts of the batch stage, keyed by request hash); the journal records
 * around them what the cache cannot:
 *
 *   {"t":"run", "at", "session", "total", "todo", "lost"}   a run starts: requests in the file, still to send, answers lost in flight before
 *   {"t":"sent", "h", "id", "at", "k", "s"?}                 a request leaves (before the HTTP call); `k` keys its spend line
 *   {"t":"ok", "h", "id", "at", "in", "out", "s"?}           its answer is in the cache
 *   {"t":"err", "h", "id", "at", "status"?, "code"?, "message", "retry", "final", "result"?}
 *   {"t":"stop", "at", "why"}                                a run ends (done, max-time, interrupted, sample, budget)
 *   {"t":"invalid", "h", "customId", "attempt", "kind", "message"}  its structured reply is invalid: re-asked
 *                                                            (written before the answer is cached, so a kill between
 *                                                            the two re-asks it rather than keeping it unchecked)
 *   {"t":"replies", "at", "valid", "invalid", "reasked", …}  with a reply schema, once every request is answered:
 *                                                            how the replies stand, for `status` (replies.ts)
 *
 * The first line is the state header (util/state-format.ts; none in journals of llmake 0.1.0).
 *
 * `h` is the request hash (method, url and body: an edited request has a new one), `id` the custom_id.
 * A request whose last line is `sent` was in flight when the process died: its answer, if the
 * server sent one, is lost, and it is sent again (counted in the next `run` line as `lost`). The
 * server may have billed it: unless its spend line (key `k`) made it to the spend log, the next
 * run records it there at its worst case (see spend.ts).
 *
 * With a fleet of servers, `s` names the server (its base URL) a request went to and the one that
 * answered it. A server sent a request that gave no answer (killed in flight, a dropped
 * connection, a timeout) may have run and billed it: the next send of that row goes to another
 * server if one is up, so no row is paid twice on the same server.
 */
import { readJsonl } from '../../util/jsonl.ts';
import { isStateHeader } from '../../util/state-format.ts';
import { isRecord } from '../record-template.ts';
import type { InvalidRecord } from '../structured/reask.ts';
import type { RepliesLine } from './replies.ts';

export type JournalLine =
  | { t: 'run'; at: number; session: string; total: number; todo: number; lost: number }
  | { t: 'sent'; h: string; id: string; at: number; k?: string; s?: string }
  | { t: 'ok'; h: string; id: string; at: number; in: number; out: number; s?: string }
  | {
      t: 'err';
      h: string;
      id: string;
      at: number;
      status?: number;
      code?: string;
      message: string;
      /** A rate-limit answer (429/503/498/529): not the request's fault, not an attempt. */
      throttled?: boolean;
      /** Final for this session: a 4xx (needs a change), or retries ran out (`exhausted`). */
      final: boolean;
      exhausted?: boolean;
      session: string;
      /** The result line written for a final failure (batch output line shape). */
      result?: Record<string, unknown>;
    }
  | { t: 'stop'; at: number; why: 'done' | 'max-time' | 'interrupted' | 'sample' | 'budget' }
  | ({ t: 'invalid'; h: string } & InvalidRecord)
  | RepliesLine;

export type FinalFailure = Extract<JournalLine, { t: 'err' }>;

export interface JournalReplay {
  /** Last final failure per request hash (a later success or send clears it). */
  failures: Map<string, FinalFailure>;
  /** Requests sent whose answer never reached the journal (killed in flight). */
  lostInFlight: Set<string>;
  /** Of those, the spend key of the last send, by request hash. */
  lostSends: Map<string, string>;
  /** Of a fleet's requests with no answer yet: the servers sent them that gave none (they may have billed them). */
  unansweredOn: Map<string, Set<string>>;
  /** Lines since the last `run` line, for progress. */
  lastRun?: Extract<JournalLine, { t: 'run' }>;
  sinceRun: {
    ok: number;
    failed: number;
    input: number;
    output: number;
    firstAt?: number;
    lastAt?: number;
    /** Answers per server, for a fleet. */
    byServer: Record<string, number>;
  };
  stopped?: Extract<JournalLine, { t: 'stop' }>;
  /** Invalid structured replies, by the key of the request that got them (see structured/reask.ts). */
  invalid: Record<string, InvalidRecord>;
  /** How the replies stood when the last run finished (none while a run is under way). */
  replies?: RepliesLine;
}

export async function replayJournal(file: string): Promise<JournalReplay> {
  const replay: JournalReplay = {
    failures: new Map(),
    lostInFlight: new Set(),
    lostSends: new Map(),
    unansweredOn: new Map(),
    invalid: {},
    sinceRun: { ok: 0, failed: 0, input: 0, output: 0, byServer: {} },
  };
  /** The server of each request's last send, until its answer. */
  const lastServer = new Map<string, string>();
  try {
    for await (const entry of readJsonl(file)) {
      if (entry.offset === 0 && entry.kind === 'value' && isStateHeader(entry.value, file)) continue;
      // A torn last line (killed mid-write) is skipped: its request is simply sent again.
      if (entry.kind !== 'value' || !isRecord(entry.value) || typeof entry.value.t !== 'string') continue;
      apply(replay, entry.value as JournalLine, lastServer);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return replay;
}

function apply(r: JournalReplay, line: JournalLine, lastServer: Map<string, string>): void {
  switch (line.t) {
    case 'run':
      r.lastRun = line;
      r.sinceRun = { ok: 0, failed: 0, input: 0, output: 0, firstAt: line.at, byServer: {} };
      delete r.stopped;
      delete r.replies;
      return;
    case 'sent':
      r.lostInFlight.add(line.h);
      if (line.k) r.lostSends.set(line.h, line.k);
      else r.lostSends.delete(line.h);
      if (line.s !== undefined) {
        // Unanswered until its answer says otherwise (a kill leaves it so).
        lastServer.set(line.h, line.s);
        const on = r.unansweredOn.get(line.h) ?? new Set<string>();
        r.unansweredOn.set(line.h, on.add(line.s));
      } else lastServer.delete(line.h);
      return;
    case 'ok':
      r.lostInFlight.delete(line.h);
      r.lostSends.delete(line.h);
      r.failures.delete(line.h);
      r.unansweredOn.delete(line.h);
      lastServer.delete(line.h);
      r.sinceRun.ok += 1;
      r.sinceRun.input += line.in;
      r.sinceRun.output += line.out;
      r.sinceRun.lastAt = line.at;
      if (line.s !== undefined) r.sinceRun.byServer[line.s] = (r.sinceRun.byServer[line.s] ?? 0) + 1;
      return;
    case 'err': {
      // An error answer (any status) came from the server: it did not bill the request.
      const server = lastServer.get(line.h);
      if (server !== undefined && line.status !== undefined) {
        const on = r.unansweredOn.get(line.h);
        on?.delete(server);
        if (on?.size === 0) r.unansweredOn.delete(line.h);
      }
      lastServer.delete(line.h);
      r.lostInFlight.delete(line.h);
      r.lostSends.delete(line.h);
      if (line.final) {
        r.failures.set(line.h, line);
        r.sinceRun.failed += 1;
      } else r.failures.delete(line.h);
      r.sinceRun.lastAt = line.at;
      return;
    }
    case 'stop':
      r.stopped = line;
      return;
    case 'invalid': {
      const { t: _t, h, ...record } = line;
      r.invalid[h] = record;
      return;
    }
    case 'replies':
      r.replies = line;
      return;
  }
}
