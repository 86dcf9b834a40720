/**
 * ListModelInvocationJobs: newest first by default (`sortBy` CreationTime is the only key), filtered
 * by `submitTimeAfter`/`submitTimeBefore` (inclusive: AWS does not say), `statusEquals` and
 * `nameContains` (case-sensitive substring), paged by `maxResults` (1–1000; default 1000, a guess:
 * AWS documents none) and an opaque `nextToken`. Every unfinished job is brought up to now first.
 */
import type { ServerResponse } from 'node:http';
import type { BedrockContext } from './context.ts';
import { BedrockError, sendBedrockJson, validationError } from './errors.ts';
import { refreshAll } from './lifecycle.ts';
import type { JobStatus } from './types.ts';
import { jobSummary } from './wire.ts';

const STATUSES: readonly JobStatus[] = [
  'Submitted',
  'InProgress',
  'Completed',
  'Failed',
  'Stopping',
  'Stopped',
  'PartiallyCompleted',
  'Expired',
  'Validating',
  'Scheduled',
];

function timeParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw validationError([{ field: name, value: raw, constraint: 'Member must be a timestamp' }]);
  return ms;
}

const encodeToken = (seq: number): string => Buffer.from(`seq:${seq}`).toString('base64');

function decodeToken(token: string): number {
  const m = /^seq:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  if (!m?.[1]) throw new BedrockError('ValidationException', 'The provided nextToken is not valid.');
  return Number(m[1]);
}

export async function listJobs(ctx: BedrockContext, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const after = timeParam(query, 'submitTimeAfter');
  const before = timeParam(query, 'submitTimeBefore');
  const status = query.get('statusEquals');
  if (status !== null && !STATUSES.includes(status as JobStatus))
    throw validationError([
      {
        field: 'statusEquals',
        value: status,
        constraint: `Member must satisfy enum value set: [${STATUSES.join(', ')}]`,
      },
    ]);
  const sortBy = query.get('sortBy');
  if (sortBy !== null && sortBy !== 'CreationTime')
    throw validationError([
      { field: 'sortBy', value: sortBy, constraint: 'Member must satisfy enum value set: [CreationTime]' },
    ]);
  const order = query.get('sortOrder') ?? 'Descending';
  if (order !== 'Ascending' && order !== 'Descending')
    throw validationError([
      { field: 'sortOrder', value: order, constraint: 'Member must satisfy enum value set: [Ascending, Descending]' },
    ]);
  const rawMax = query.get('maxResults');
  const max = rawMax === null ? 1000 : Number(rawMax);
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    throw validationError([
      { field: 'maxResults', value: rawMax, constraint: 'Member must have value between 1 and 1000' },
    ]);
  const token = query.get('nextToken');
  const from = token === null ? undefined : decodeToken(token);
  const nameContains = query.get('nameContains');
  await refreshAll(ctx);
  const jobs = ctx.jobs.all(); // newest first
  if (order === 'Ascending') jobs.reverse();
  const matching = jobs.filter(
    (j) =>
      (from === undefined || (order === 'Descending' ? j.seq < from : j.seq > from)) &&
      (after === undefined || j.submitMs >= after) &&
      (before === undefined || j.submitMs <= before) &&
      (status === null || j.status === status) &&
      (nameContains === null || j.name.includes(nameContains)),
  );
  const page = matching.slice(0, max);
  const last = page[page.length - 1];
  const body: Record<string, unknown> = { invocationJobSummaries: page.map(jobSummary) };
  if (matching.length > page.length && last) body.nextToken = encodeToken(last.seq);
  sendBedrockJson(res, 200, body, ctx.counter);
}
