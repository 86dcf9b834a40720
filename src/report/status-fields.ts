/**
 * `status --json --fields a,b,…`: the row fields a script asks for. Without `--fields` every row
 * carries every field it has, `money` included, exactly as before; with it, each row has the
 * fields asked for (a field a target does not have stays absent, as without `--fields`) and
 * nothing else. A field's name and meaning never change with the fields asked for, so a script
 * that names its fields reads the same values as one that reads whole rows.
 *
 * The money report (the spend log read and summed) is made only when `money` is asked for: on
 * tens of thousands of targets it was a visible share of `status --json`.
 */
import type { TargetStatus } from '../engine/status.ts';

/** Every field a `status --json` row may carry, in the order rows print them. */
export const STATUS_FIELDS = [
  'target',
  'rule',
  'remoteStage',
  'state',
  'reasons',
  'failure',
  'remote',
  'replies',
  'usage',
  'costUsd',
  'builtAt',
  'money',
] as const satisfies readonly (keyof TargetStatus | 'money')[];

export type StatusField = (typeof STATUS_FIELDS)[number];

/** The fields named by `--fields` (comma-separated, each once, in the order given), or what is wrong. */
export function parseStatusFields(text: string): { ok: true; fields: StatusField[] } | { ok: false; message: string } {
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  if (names.length === 0) return { ok: false, message: `--fields takes field names, one or more of: ${known()}` };
  const unknown = names.filter((n) => !(STATUS_FIELDS as readonly string[]).includes(n));
  if (unknown.length > 0)
    return {
      ok: false,
      message: `--fields: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}; known: ${known()}`,
    };
  return { ok: true, fields: [...new Set(names)] as StatusField[] };
}

/** A row with only `fields` (those it has), in the order asked for. */
export function pickFields(
  row: TargetStatus & { money?: unknown },
  fields: readonly StatusField[],
): Partial<Record<StatusField, unknown>> {
  const picked: Partial<Record<StatusField, unknown>> = {};
  for (const f of fields) if (row[f] !== undefined) picked[f] = row[f];
  return picked;
}

const known = () => STATUS_FIELDS.join(', ');
