/**
 * `pipeline prices`: the built-in price table as people and scripts read it — per model its
 * standard and batch rates at every tier, the page they were read from and when, and whether that
 * is old enough to check again.
 */
import { ageInDays, PRICE_TABLE, STALE_AFTER_DAYS, type PriceEntry } from '../tokens/price-table.ts';
import { BATCH_DISCOUNT, type ModelPrice } from '../tokens/prices.ts';

interface Rates {
  input: number;
  cachedInput: number;
  cacheWrite: number;
  output: number;
}

export interface PriceRow {
  model: string;
  provider: PriceEntry['provider'];
  page: string;
  readAt: string;
  ageDays: number;
  /** Read more than `STALE_AFTER_DAYS` ago: check the page. */
  stale: boolean;
  note?: string;
  /** USD per 1M tokens. */
  standard: Rates;
  batch: Rates;
  longContext?: { aboveInputTokens: number; standard: Rates; batch: Rates };
}

function rates(p: Omit<ModelPrice, 'longContext'>, scale: number): Rates {
  // Rounded to a billionth of a dollar: the JSON shows 0.1375, not 0.13750000000000001.
  const at = (usd: number) => Math.round(usd * scale * 1e9) / 1e9;
  return {
    input: at(p.input),
    cachedInput: at(p.cachedInput ?? p.input),
    cacheWrite: at(p.cacheWrite ?? p.input),
    output: at(p.output),
  };
}

export function priceRows(now: number, provider?: string): PriceRow[] {
  return Object.entries(PRICE_TABLE)
    .filter(([, e]) => provider === undefined || e.provider === provider)
    .map(([model, e]) => {
      const age = ageInDays(e, now);
      const long = e.price.longContext;
      return {
        model,
        provider: e.provider,
        page: e.page,
        readAt: e.readAt,
        ageDays: age,
        stale: age > STALE_AFTER_DAYS,
        ...(e.note ? { note: e.note } : {}),
        standard: rates(e.price, 1),
        batch: rates(e.price, BATCH_DISCOUNT),
        ...(long
          ? {
              longContext: {
                aboveInputTokens: long.aboveInputTokens,
                standard: rates(long, 1),
                batch: rates(long, BATCH_DISCOUNT),
              },
            }
          : {}),
      };
    });
}

const HEADER = [
  'model',
  'input',
  'cached',
  'c.write',
  'output',
  '│',
  'input',
  'cached',
  'c.write',
  'output',
  '│',
  'read at',
];

/** Rows grouped by provider and page, rates in two blocks (standard │ batch), long-context tiers under their model. */
export function formatPriceRows(rows: readonly PriceRow[]): string {
  // Cents always, and the fractions of a cent the rate has (3.125, 0.0125): no rounding away.
  const usd = (n: number) => n.toFixed(4).replace(/(\.\d{2}\d*?)0+$/, '$1');
  const block = (r: Rates) => [r.input, r.cachedInput, r.cacheWrite, r.output].map(usd);
  const table: string[][] = [];
  const notes = new Map<number, string[]>();
  const groups = new Map<string, PriceRow[]>();
  for (const r of rows) {
    const key = `${r.provider} — ${r.page}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const heads = new Map<number, string>();
  for (const [head, members] of groups) {
    heads.set(table.length, head);
    for (const r of members) {
      const age = `${r.readAt} (${r.ageDays} days${r.stale ? ', check the page' : ''})`;
      table.push([`  ${r.model}`, ...block(r.standard), '│', ...block(r.batch), '│', age]);
      const under: string[] = [];
      if (r.longContext)
        table.push([
          `    above ${r.longContext.aboveInputTokens.toLocaleString('en-US')} input`,
          ...block(r.longContext.standard),
          '│',
          ...block(r.longContext.batch),
          '│',
          '',
        ]);
      if (r.note) under.push(`    note: ${r.note}`);
      if (under.length > 0) notes.set(table.length - 1, under);
    }
  }
  const widths = HEADER.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [
    `USD per 1M tokens: standard │ batch (${BATCH_DISCOUNT * 100}% of each rate). c.write: prompt-cache writes.`,
    `${' '.repeat(widths[0]!)}  ${'standard'.padEnd(widths.slice(1, 5).reduce((a, b) => a + b + 2, -2))}  │  batch`,
    line(HEADER),
  ];
  table.forEach((row, i) => {
    const head = heads.get(i);
    if (head) out.push(head);
    out.push(line(row));
    for (const n of notes.get(i) ?? []) out.push(n);
  });
  const stale = rows.filter((r) => r.stale).length;
  out.push(
    '',
    stale > 0
      ? `${stale} of ${rows.length} entries were read more than ${STALE_AFTER_DAYS} days ago: check their page; a rule's \`pricing\` overrides any model.`
      : `Every entry was read within ${STALE_AFTER_DAYS} days. A rule's \`pricing\` overrides any model.`,
    "Azure deployments: a rule's `deployments: { name: model }` prices each deployment as its model.",
  );
  return `${out.join('\n')}\n`;
}
