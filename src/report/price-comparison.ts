/**
 * `build -n --compare`: the same job priced on every provider and model of the price table, side
 * by side. Token counts are the dry run's (OpenAI's tokenizers; other providers count their own
 * way, so their figures are estimates of an estimate — said under the table).
 */
import { allProviders } from '../providers/registry.ts';
import type { Estimate } from '../stages/types.ts';
import { BATCH_DISCOUNT, DEFAULT_PRICES, formatUsd, PRICE_TABLE, type PriceTable } from '../tokens/prices.ts';

export interface PriceRow {
  providers: string;
  model: string;
  batchUsd: number;
  standardUsd: number;
}

/** Which providers serve a model of the table: the one its price was taken from, and those that run its models (Azure's deployments run OpenAI's). */
function providersOf(model: string): string {
  const source = PRICE_TABLE[model]?.source;
  if (!source) return 'your pricing';
  return [
    source,
    ...allProviders()
      .filter((p) => p.servesModelsOf === source)
      .map((p) => p.name),
  ].join(', ');
}

export function comparePrices(
  total: Pick<Estimate, 'inputTokens' | 'outputTokens'>,
  table: PriceTable = DEFAULT_PRICES,
): PriceRow[] {
  return Object.entries(table)
    .map(([model, price]) => {
      const standardUsd = (total.inputTokens * price.input + total.outputTokens * price.output) / 1_000_000;
      return { providers: providersOf(model), model, batchUsd: standardUsd * BATCH_DISCOUNT, standardUsd };
    })
    .sort((a, b) => a.batchUsd - b.batchUsd || a.model.localeCompare(b.model));
}

export function formatPriceComparison(
  rows: readonly PriceRow[],
  total: Pick<Estimate, 'inputTokens' | 'outputTokens'>,
): string {
  const header = ['Provider', 'Model', 'Batch price', 'Standard price'];
  const body = rows.map((r) => [r.providers, r.model, formatUsd(r.batchUsd), formatUsd(r.standardUsd)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const n = (v: number) => v.toLocaleString('en-US');
  return [
    '',
    `The same job on every model of the price table (~${n(total.inputTokens)} input, ~${n(total.outputTokens)} output tokens):`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    "Tokens are counted with OpenAI's tokenizers; other providers count their own way, so theirs are approximate.",
    '',
  ].join('\n');
}
