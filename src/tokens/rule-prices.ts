/**
 * What a rule's requests are priced at: the built-in table, the rule's deployments priced as the
 * models they run, and its own `pricing` over both. No zod here: `status` prices from it.
 */
import type { StalePrice } from './price-table.ts';
import { ageInDays, STALE_AFTER_DAYS, tableEntryFor } from './price-table.ts';
import { DEFAULT_PRICES, priceFor, type ModelPrice, type PriceTable } from './prices.ts';

export type PricedRule = {
  pricing?: PriceTable | undefined;
  deployments?: Readonly<Record<string, string>> | undefined;
};

/** The prices a rule's requests are billed at: the built-in table, its deployments priced as their models, its `pricing` over both. */
export function rulePrices(config: PricedRule, defaults: PriceTable = DEFAULT_PRICES): PriceTable {
  if (!config.pricing && !config.deployments) return defaults;
  const own = { ...defaults, ...config.pricing };
  const deployed: Record<string, ModelPrice> = {};
  for (const [name, model] of Object.entries(config.deployments ?? {})) {
    const price = priceFor(model, own);
    if (price) deployed[name] = price;
  }
  return { ...defaults, ...deployed, ...config.pricing };
}

/** Config check: every deployment names a model with a price (else its requests could not be priced). */
export function deploymentIssues(config: PricedRule): { path: string[]; message: string }[] {
  const own = { ...DEFAULT_PRICES, ...config.pricing };
  return Object.entries(config.deployments ?? {})
    .filter(([, model]) => !priceFor(model, own))
    .map(([name, model]) => ({
      path: ['deployments', name],
      message: `model ${model} has no price in the built-in table (\`pipeline prices\` lists it) nor in this rule's \`pricing\`: add it to \`pricing\``,
    }));
}

/** The models (of `models`) a rule prices from built-in entries read more than STALE_AFTER_DAYS before `now`. */
export function stalePrices(models: Iterable<string>, config: PricedRule, now: number): StalePrice[] {
  const out = new Map<string, StalePrice>();
  for (const name of models) {
    if (priceFor(name, config.pricing ?? {})) continue; // the rule's own price
    const model = config.deployments?.[name] ?? name;
    if (config.deployments?.[name] && priceFor(model, config.pricing ?? {})) continue;
    const entry = tableEntryFor(model);
    if (!entry) continue;
    const ageDays = ageInDays(entry, now);
    if (ageDays > STALE_AFTER_DAYS)
      out.set(entry.model, { model: entry.model, readAt: entry.readAt, page: entry.page, ageDays });
  }
  return [...out.values()];
}
