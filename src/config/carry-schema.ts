/**
 * The reply schema is declared once, on the `requests` rule, and carried down the rows it shapes:
 * to the results stage that reads its request files (`batch`, `online`: replies are checked as
 * they arrive and the invalid ones re-asked) and on to the `merge` that reads those results (the
 * replies parsed and validated). A rule that gives its own `schema` keeps it, and passes that one
 * on. Without this, a `batch` rule that did not repeat the schema silently re-asked nothing.
 *
 * Rules are linked by their patterns: a rule reads another's rows when one of its input patterns
 * is that rule's output pattern (wildcard names aside: `{subject}` and `{s}` are the same slot).
 * A merge reading the results of rules with different schemas takes none (it must say which).
 */
import type { RuleConfig } from './schema.ts';

/** What each stage kind does with a reply schema: writes it into requests, checks replies, or parses them. */
const SCHEMA_ROLE: Readonly<Record<string, 'declares' | 'checks' | 'parses'>> = {
  requests: 'declares',
  batch: 'checks',
  online: 'checks',
  merge: 'parses',
};

const slotless = (pattern: string) => pattern.replace(/\{[^}]*\}/g, '{}');

/** Each rule's stage options with the schema it inherits added (rules that set their own, or inherit none, unchanged). */
export function carrySchemas(rules: readonly RuleConfig[]): RuleConfig['stage'][] {
  const stages = rules.map((r) => r.stage);
  const byOutput = new Map<string, number>();
  rules.forEach((r, i) => byOutput.set(slotless(r.output), i));
  const schemaOf = (stage: RuleConfig['stage']): unknown => (stage as { schema?: unknown }).schema;
  // Each pass carries a schema one rule further down (requests → batch → merge); rules are few.
  for (let pass = 0; pass < rules.length; pass++) {
    let changed = false;
    rules.forEach((rule, i) => {
      const role = SCHEMA_ROLE[rule.stage.kind];
      if ((role !== 'checks' && role !== 'parses') || schemaOf(rule.stage) !== undefined) return;
      // A results stage reads its request file (the first input); a merge may read results in any input.
      const inputs = role === 'checks' ? rule.inputs.slice(0, 1) : rule.inputs;
      const from = new Set<unknown>();
      for (const input of inputs) {
        const upstream = byOutput.get(slotless(input));
        if (upstream === undefined || upstream === i) continue;
        const upRole = SCHEMA_ROLE[rules[upstream]!.stage.kind];
        const given = schemaOf(stages[upstream]!);
        if (given !== undefined && (upRole === 'declares' || upRole === 'checks')) from.add(given);
      }
      if (from.size !== 1) return;
      const inherited = [...from][0];
      if (schemaOf(stages[i]!) === inherited) return;
      stages[i] = { ...rule.stage, schema: inherited };
      changed = true;
    });
    if (!changed) break;
  }
  return stages;
}
