/**
 * Checks each rule's stage options against that stage's own schema. Errors carry the config path
 * (`rules[1].stage.model`) so the user can find the key; the engine accepts only resolved rules.
 * The outcome of a check (each rule's options with defaults applied, and what the fingerprint
 * sees of them) is plain JSON for most configs: it is cached with the config, and a command that
 * finds it there resolves its rules without zod or any stage's code (`resolvedFromCache`).
 */
import type { RuleConfig, ConfigIssue } from '../config/schema.ts';
import { carrySchemas } from '../config/carry-schema.ts';
import type { AnyStage } from '../stages/types.ts';
import { nearest } from '../graph/select.ts';
import { err, ok, type Result } from '../util/result.ts';
import type { StageIdentity } from './fingerprint.ts';

export interface ResolvedRule {
  rule: RuleConfig;
  stage: AnyStage;
  /** The stage's options after its schema applied defaults. */
  config: { kind: string };
  /** What the fingerprint sees of them (see StageValidation.identity). */
  identity: unknown;
}

/** One rule's checked stage options, as the config cache keeps them. */
export interface CheckedStage {
  config: { kind: string };
  identity: unknown;
}

/** One identity object per resolved rule, so its config hash is computed once (fingerprint.ts). */
const identities = new WeakMap<ResolvedRule, StageIdentity>();

/** What the fingerprint knows of a rule's stage: kind, version, options. */
export function stageIdentity(resolved: ResolvedRule): StageIdentity {
  let identity = identities.get(resolved);
  if (!identity) {
    identity = { kind: resolved.config.kind, version: resolved.stage.version, config: resolved.identity };
    identities.set(resolved, identity);
  }
  return identity;
}

export async function resolveStages(
  rules: readonly RuleConfig[],
  registry: ReadonlyMap<string, AnyStage>,
): Promise<Result<Map<string, ResolvedRule>, ConfigIssue[]>> {
  const issues: ConfigIssue[] = [];
  const resolved = new Map<string, ResolvedRule>();
  // The requests rule's reply schema, carried to the stages that check and parse its replies.
  const stageOptions = carrySchemas(rules);
  for (const [index, rule] of rules.entries()) {
    if (resolved.has(rule.name)) {
      issues.push({ path: `rules[${index}].name`, message: `duplicate rule name "${rule.name}"` });
      continue;
    }
    const stage = registry.get(rule.stage.kind);
    if (!stage) {
      const hint = nearest(rule.stage.kind, [...registry.keys()]);
      issues.push({
        path: `rules[${index}].stage.kind`,
        message: `unknown stage kind "${rule.stage.kind}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${[...registry.keys()].join(', ')}`,
      });
      continue;
    }
    const validation = await stage.validation();
    const parsed = validation.schema.safeParse(stageOptions[index]);
    if (!parsed.success) {
      const { issuesFromZod } = await import('../config/schema.ts');
      issues.push(...issuesFromZod(parsed.error, ['rules', index, 'stage']));
      continue;
    }
    if (stage.remote && !rule.marker) {
      issues.push({
        path: `rules[${index}].marker`,
        message: `the "${stage.kind}" stage needs a marker path to record its batches`,
      });
      continue;
    }
    const config = parsed.data as { kind: string };
    // As JSON: the fingerprint hashes its JSON (dropping undefined keys and functions alike), and
    // in this form it is kept in the config cache unchanged.
    const identity: unknown = JSON.parse(JSON.stringify(validation.identity ? validation.identity(config) : config));
    resolved.set(rule.name, { rule, stage, config, identity });
  }
  return issues.length > 0 ? err(issues) : ok(resolved);
}

/** The rules as a cached check resolved them; undefined if the cache does not fit these rules. */
export function resolvedFromCache(
  rules: readonly RuleConfig[],
  checked: readonly CheckedStage[],
  registry: ReadonlyMap<string, AnyStage>,
): Map<string, ResolvedRule> | undefined {
  if (checked.length !== rules.length) return undefined;
  const resolved = new Map<string, ResolvedRule>();
  for (const [index, rule] of rules.entries()) {
    const stage = registry.get(rule.stage.kind);
    const { config, identity } = checked[index]!;
    if (!stage || config.kind !== rule.stage.kind || resolved.has(rule.name)) return undefined;
    resolved.set(rule.name, { rule, stage, config, identity });
  }
  return resolved;
}

/** What the cache keeps of resolved rules, in config order. */
export function checkedStages(resolved: ReadonlyMap<string, ResolvedRule>): CheckedStage[] {
  return [...resolved.values()].map(({ config, identity }) => ({ config, identity }));
}
