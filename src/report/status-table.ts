/**
 * The `pipeline status` table, like the seed's (Subject / Status / Progress) plus tokens, cost,
 * age against the 24 h window and why a target is not up to date.
 */
import type { TargetStatus } from '../engine/status.ts';
import { formatUsd } from '../tokens/prices.ts';
import { describeCounts, describeHopeless, HOPELESS_ADVICE } from '../stages/structured/reply-counts.ts';
import type { ReplyCounts } from '../stages/types.ts';
import { formatDuration, paint, progressBar, table, type Output } from './terminal.ts';

const STATE_STYLE = {
  'up-to-date': 'green',
  stale: 'yellow',
  failed: 'red',
  pending: 'cyan',
  queued: 'magenta',
  waiting: 'gray',
  'missing-input': 'red',
} as const;

export function renderStatus(out: Output, statuses: readonly TargetStatus[], now: number): string {
  const rows = statuses.map((s) => {
    const p = s.remote?.progress;
    const progress = p
      ? `${out.isTTY ? `${progressBar(p.done, p.total, 10)} ` : ''}${p.done}/${p.total}${p.failed ? ` (${p.failed} failed)` : ''}`
      : '';
    const tokens = s.usage ? `${(s.usage.input + s.usage.output).toLocaleString('en-US')}` : '';
    const age = s.remote?.inFlightSince ? `${formatDuration(now - s.remote.inFlightSince)}/24h` : '';
    // Up to date with rows that asking again will not make valid: the one thing to say about it.
    const hopeless = s.replies?.hopeless
      ? `${s.replies.hopeless} row${s.replies.hopeless > 1 ? 's' : ''} never valid by asking again (below)`
      : '';
    const why = s.state === 'up-to-date' ? hopeless : (s.reasons[0] ?? '');
    // A pending target shows where its batches are (validating, in_progress, finalizing…).
    const stateText =
      s.state === 'pending' && s.remote && s.remote.state !== 'none' && s.remote.state !== 'complete'
        ? s.remote.state
        : s.state;
    return [
      s.target,
      s.rule,
      paint(out, STATE_STYLE[s.state], stateText),
      progress,
      tokens,
      s.costUsd !== undefined ? formatUsd(s.costUsd) : '',
      age,
      truncate(why, 70),
    ];
  });
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  // Only remote targets own tokens and dollars; local ones (a merge) may repeat their inputs'.
  const owners = statuses.filter((s) => s.remoteStage);
  const totalCost = owners.reduce((sum, s) => sum + (s.costUsd ?? 0), 0);
  const totalTokens = owners.reduce((sum, s) => sum + (s.usage ? s.usage.input + s.usage.output : 0), 0);
  const failures = statuses
    .filter((s) => s.failure)
    .map(
      (s) =>
        `\n${paint(out, 'red', s.target)}: ${s.failure!.file ? `${s.failure!.file}${s.failure!.line ? `:${s.failure!.line}` : ''}: ` : ''}${s.failure!.message}${(
          s.failure!.details ?? []
        )
          .slice(0, 10)
          .map((d) => `\n    ${d}`)
          .join('')}`,
    )
    .join('');
  const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  const spent =
    totalCost > 0
      ? ` — spent ${formatUsd(totalCost)} (batch price), ${totalTokens.toLocaleString('en-US')} tokens`
      : '';
  const head = table(['Target', 'Rule', 'Status', 'Progress', 'Tokens', 'Cost', 'Age', 'Why'], rows);
  const replies = statuses
    .filter((s) => s.replies)
    .map((s) => `\n  ${s.target} ${describeCounts(s.replies!)}${hopelessLines(s.replies!)}`)
    .join('');
  const repliesBlock = replies ? `\nStructured replies:${replies}\n` : '';
  return `${head}\nSummary: ${summary}${spent}\n${repliesBlock}${failures}${failures ? '\n' : ''}`;
}

/** Each row re-asking will not make valid, with its last reply, then what to do. */
function hopelessLines(replies: ReplyCounts): string {
  const rows = replies.hopelessRows ?? [];
  if (rows.length === 0) return '';
  const more = (replies.hopeless ?? rows.length) - rows.length;
  return [
    ...rows.map(describeHopeless),
    ...(more > 0 ? [`… and ${more} more`] : []),
    replies.whatToDo ?? HOPELESS_ADVICE,
  ]
    .map((line) => `\n    ${line}`)
    .join('');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
