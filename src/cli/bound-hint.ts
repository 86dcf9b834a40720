/**
 * The one-time hint (once per run, not per target) for `requests` rules whose params set no bound
 * on the reply: their requests have no worst case, so a cost limit is only an estimate for them.
 * Each rule's provider says where the bound goes in its request lines (its line format).
 */
import { providerSpec } from '../providers/registry.ts';
import type { LineSettings } from '../providers/spec.ts';

interface RuleConfigs {
  rules: ReadonlyMap<string, { config: unknown }>;
}

/** The `requests` rules whose requests would carry no bound on the output, by name. */
export function unboundedRequestRules(project: RuleConfigs): string[] {
  const out: string[] = [];
  for (const [name, { config }] of project.rules) {
    const c = config as Partial<LineSettings> & { kind?: string; provider?: string };
    if (c.kind !== 'requests' || !c.provider || !c.model || !c.endpoint) continue;
    const wire = providerSpec(c.provider).wire;
    const line = wire.writeRequest(
      { model: c.model, endpoint: c.endpoint, params: c.params ?? {} },
      'x',
      undefined,
      'x',
    );
    const body = wire.readRequest(line)?.body;
    if (body && wire.maxOutputTokens(body) === undefined) out.push(name);
  }
  return out;
}

export function boundHint(rules: readonly string[]): string {
  const names = rules.map((r) => `\`${r}\``).join(', ');
  return `hint: requests rule${rules.length > 1 ? 's' : ''} ${names} set${rules.length > 1 ? '' : 's'} no bound on the reply in params, so its requests have no worst case: a cost limit is only an estimate for them (output at the learned ratio plus a margin), not a promise; set the provider's bound (max_tokens for OpenAI and Anthropic, max_completion_tokens, maxOutputTokens for Gemini), e.g. params: { max_tokens: 1024 }\n`;
}
