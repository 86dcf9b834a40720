/** What `pipeline cancel`, and a `build --wait` that answers it, print about a cancellation. */
import type { CancelAnswer, CancelOutcome, CancelRequest } from '../engine/cancel-mailbox.ts';

/** One line per target, then the number of batches cancelled. */
export function formatCancelOutcomes(outcomes: readonly CancelOutcome[]): string {
  const total = outcomes.reduce((sum, o) => sum + o.cancelled, 0);
  const lines = outcomes.filter((o) => o.cancelled > 0 || o.message).map((o) => `${o.target}: ${o.message}\n`);
  return `${lines.join('')}${total} batch${total === 1 ? '' : 'es'} cancelled\n`;
}

/** `cancel`'s report of the answer a waiting build gave. */
export function formatCancelAnswer(answer: CancelAnswer): string {
  const n = answer.stopped.length;
  const stopped =
    n > 0
      ? `the running build (pid ${answer.pid}) stopped waiting for ${n} target${n === 1 ? '' : 's'}; the next build sends what they had not finished\n`
      : '';
  return `${formatCancelOutcomes(answer.outcomes)}${stopped}`;
}

/** The waiting build's own note of a request it answered, among its progress lines. */
export function formatAnsweredRequest(request: CancelRequest, answer: CancelAnswer, json: boolean): string {
  if (json) return `${JSON.stringify({ type: 'cancel-request', from: request.pid, ...answer })}\n`;
  const lines = answer.outcomes.map((o) => `  ${o.target}: ${o.message}\n`);
  const stopped =
    answer.stopped.length > 0
      ? `no longer waiting for ${answer.stopped.join(', ')}`
      : 'none of them was in flight in this build';
  return `cancel requested by \`pipeline cancel\` (pid ${request.pid}):\n${lines.join('')}  ${stopped}\n`;
}
