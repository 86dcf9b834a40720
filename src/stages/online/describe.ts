/**
 * `describe()`: an online target's progress for `status`, from its journal alone (no network):
 * done/total, requests and tokens per second over the last run, and the time left at that pace.
 * A build that is running appends to the journal as answers arrive, so `status` beside it is live.
 */
import type { RemoteStatus, ReplyCounts, TargetContext } from '../types.ts';
import { replayJournal, type JournalReplay } from './journal.ts';
import { repliesOfOldJournal } from './replies.ts';

export async function describeOnline(
  ctx: TargetContext,
  now = ctx.clock.now(),
  config?: { schema?: unknown; maxInvalidAttempts: number },
): Promise<RemoteStatus> {
  if (!ctx.marker) return { state: 'none' };
  const r = await replayJournal(ctx.marker);
  const run = r.lastRun;
  if (!run) return { state: 'none' };
  const s = r.sinceRun;
  const total = run.total;
  const done = Math.min(total, total - run.todo + s.ok + s.failed);
  const finished = r.stopped?.why === 'done' || r.stopped?.why === 'sample';
  const seconds = s.lastAt !== undefined && s.firstAt !== undefined ? (s.lastAt - s.firstAt) / 1000 : 0;
  const perSecond = seconds > 0 ? s.ok / seconds : 0;
  const tokensPerSecond = seconds > 0 ? (s.input + s.output) / seconds : 0;
  const left = total - done;
  const pace =
    perSecond > 0
      ? `${perSecond.toFixed(1)} requests/s, ${Math.round(tokensPerSecond).toLocaleString('en-US')} tokens/s`
      : '';
  const eta = perSecond > 0 && left > 0 && !r.stopped ? `ETA ${formatSeconds(left / perSecond)}` : '';
  const stoppedWhy =
    r.stopped?.why === 'max-time'
      ? `stopped by --max-time with ${left} left`
      : r.stopped?.why === 'interrupted'
        ? `interrupted with ${left} left`
        : r.stopped?.why === 'budget'
          ? `${left} held back by a cost limit (raise it and build again)`
          : '';
  const running = !r.stopped ? `running since ${formatSeconds((now - run.at) / 1000)} ago` : '';
  const byServer = Object.entries(s.byServer);
  const servers =
    byServer.length > 0 ? `by server: ${byServer.map(([url, n]) => `${shortUrl(url)} ${n}`).join(', ')}` : '';
  const failures = [...r.failures.values()]
    .filter((f) => f.final)
    .slice(0, 20)
    .map((f) => `${f.id}: ${f.status !== undefined ? `HTTP ${f.status}` : (f.code ?? 'error')}: ${f.message}`);
  return {
    state: finished ? 'complete' : r.stopped ? 'queued' : 'in_progress',
    progress: { done, total, ...(s.failed ? { failed: s.failed } : {}) },
    usage: { input: s.input, output: s.output },
    summary: [`${done}/${total} answered`, pace, eta, running, stoppedWhy, servers].filter(Boolean).join(', '),
    ...(failures.length > 0 ? { failures } : {}),
    ...(config?.schema && finished ? { replies: repliesOf(r, total - s.failed, config.maxInvalidAttempts) } : {}),
  };
}

/** As the finished run counted them (replies.ts), or from the invalid records of an older journal. */
function repliesOf(r: JournalReplay, answered: number, max: number): ReplyCounts {
  if (!r.replies) return repliesOfOldJournal(r.invalid, answered, max);
  const { t: _t, at: _at, ...counts } = r.replies;
  return counts;
}

/** `http://gpu-1:8000/v1` → `gpu-1:8000`: enough to tell a fleet's servers apart. */
function shortUrl(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
