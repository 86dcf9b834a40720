/**
 * `pageSize`/`pageToken` paging as Google's list calls have it. The token names the sort key of
 * the last item served, not an offset, so a page boundary stays put when items are added or
 * removed between calls (an item added before the boundary is simply not seen by this pass).
 */
import { GoogleApiError } from './errors.ts';

/** A sort key: compared element by element. */
export type SortKey = readonly number[];

/** Orders sort keys element by element. */
export const compareKeys = (a: SortKey, b: SortKey): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
};

function pageSize(raw: string | null, fallback: number, max: number): number {
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new GoogleApiError('INVALID_ARGUMENT', `Invalid value at 'page_size' (TYPE_INT32), "${raw}"`);
  // Google coerces a page size above the maximum to the maximum, and 0 to the default.
  return n === 0 ? fallback : Math.min(n, max);
}

function after(token: string): SortKey {
  try {
    const key: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.every((x) => typeof x === 'number')) return key;
  } catch {
    // Falls through to the refusal.
  }
  throw new GoogleApiError('INVALID_ARGUMENT', 'Invalid page token.');
}

/** One page of `items` ordered by `keyOf` (the caller sorts them so), from the query's page token. */
export function pageOf<T>(
  items: readonly T[],
  keyOf: (item: T) => SortKey,
  query: URLSearchParams,
  fallbackSize: number,
  maxSize: number,
): { page: T[]; nextPageToken: string | undefined } {
  const size = pageSize(query.get('pageSize'), fallbackSize, maxSize);
  const token = query.get('pageToken');
  const from = token ? after(token) : undefined;
  const rest = from ? items.filter((item) => compareKeys(keyOf(item), from) > 0) : items;
  const page = rest.slice(0, size);
  const last = page.at(-1);
  const more = last !== undefined && rest.length > page.length;
  return { page, nextPageToken: more ? Buffer.from(JSON.stringify(keyOf(last))).toString('base64url') : undefined };
}
