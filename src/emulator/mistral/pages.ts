/** `page` (from 0) and `page_size` (default 100) paging, as Mistral's list calls take them (422 for a bad value). */
import { MistralValidationError } from './errors.ts';

function intParam(query: URLSearchParams, name: string, fallback: number, min: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new MistralValidationError([
      {
        type: 'int_parsing',
        loc: ['query', name],
        msg: `Input should be a valid integer of at least ${min}`,
        input: raw,
      },
    ]);
  return n;
}

export function pageOf<T>(items: readonly T[], query: URLSearchParams): T[] {
  const size = intParam(query, 'page_size', 100, 1);
  const page = intParam(query, 'page', 0, 0);
  return items.slice(page * size, (page + 1) * size);
}
