/**
 * The one-time hint (once per run, not per target) for `requests` rules whose params set no bound
 * on the reply: their requests have no worst case, so a cost limit is only an estimate for them.
 */
import { maxOutputTokens, OUTPUT_BOUND_FIELDS } from '../tokens/output-bound.ts';

interface RuleConfigs {
  rules: ReadonlyMap<string, { config: unknown }>;
}

/** The `requests` rules whose `params` set no bound on the output, by name. */
export function unboundedRequestRules(project: RuleConfigs): string[] {
  const out: string[] = [];
  for (const [name, { config }] of project.rules) {
    const c = config as { kind?: string; params?: Record<string, unknown> };
    if (c.kind === 'requests' && maxOutputTokens(c.params ?? {}) === undefined) out.push(name);
  }
  return out;
}

/** Whether any rule limits its own cost (`maxCostUsd`). */
export function anyRuleBudget(project: RuleConfigs): boolean {
  return [...project.rules.values()].some((r) => (r.config as { maxCostUsd?: number }).maxCostUsd !== undefined);
}

export function boundHint(rules: readonly string[]): string {
  const names = rules.map((r) => `\`${r}\``).join(', ');
  return `hint: requests rule${rules.length > 1 ? 's' : ''} ${names} set${rules.length > 1 ? '' : 's'} no bound on the reply in params, so its requests have no worst case: a cost limit is only an estimate for them (output at the learned ratio plus a margin), not a promise; set ${OUTPUT_BOUND_FIELDS}, e.g. params: { max_tokens: 1024 }\n`;
}
