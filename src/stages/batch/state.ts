/** The remote state shown for a target: that of its least advanced part in flight. */
import { TERMINAL_STATUSES } from '../../providers/batch-api.ts';
import type { RemoteState } from '../types.ts';
import type { Part } from './ledger.ts';

const ORDER: readonly RemoteState[] = [
  'submitting',
  'validating',
  'in_progress',
  'finalizing',
  'cancelling',
  'downloading',
];

export function partState(part: Part): RemoteState {
  if (part.state !== 'submitted') return 'submitting';
  const s = part.status ?? 'validating';
  if (TERMINAL_STATUSES.has(s)) return 'downloading';
  return (ORDER as readonly string[]).includes(s) ? (s as RemoteState) : 'in_progress';
}

export function remoteState(parts: readonly Part[]): RemoteState {
  let best = ORDER.length - 1;
  for (const p of parts) best = Math.min(best, ORDER.indexOf(partState(p)));
  return ORDER[best] ?? 'in_progress';
}
