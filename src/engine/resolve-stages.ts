/**
 * Checks each rule's stage options against that stage's own schema. Errors carry the config path
 * (`rules[1].stage.model`) so the user can find the key; the engine accepts only resolved rules.
 */
import type { RuleConfig } from '../config/schema.ts';
import { issuesFromZod, type ConfigIssue } from '../config/schema.ts';
import type { AnyStage } from '../stages/types.ts';
import { nearest } from '../graph/select.ts';
import { err, ok, type Result } from '../util/result.ts';
import type { StageIdentity } from './fingerprint.ts';

export interface ResolvedRule {
  rule: RuleConfig;
  stage: AnyStage;
  /** The stage's options after its schema applied defaults. */
  config: { kind: string };
}

/** What the fingerprint knows of a rule's stage: kind, version, options. */
/** One identity object per resolved rule, so its config hash is computed once (fingerprint.ts). */
const identities = new WeakMap<ResolvedRule, StageIdentity>();

export function stageIdentity(resolved: ResolvedRule): StageIdentity {
  let identity = identities.get(resolved);
  if (!identity) {
    // A stage may say what of its options counts (a transform: its function's source, not the function).
    const config = resolved.stage.identity ? resolved.stage.identity(resolved.config) : resolved.config;
    identity = { kind: resolved.config.kind, version: resolved.stage.version, config };
    identities.set(resolved, identity);
  }
  return identity;
}

export function resolveStages(
  rules: readonly RuleConfig[],
  registry: ReadonlyMap<string, AnyStage>,
): Result<Map<string, ResolvedRule>, ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const resolved = new Map<string, ResolvedRule>();
  rules.forEach((rule, index) => {
    if (resolved.has(rule.name)) {
      issues.push({ path: `rules[${index}].name`, message: `duplicate rule name "${rule.name}"` });
      return;
    }
    const stage = registry.get(rule.stage.kind);
    if (!stage) {
      const hint = nearest(rule.stage.kind, [...registry.keys()]);
      issues.push({
        path: `rules[${index}].stage.kind`,
        message: `unknown stage kind "${rule.stage.kind}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${[...registry.keys()].join(', ')}`,
      });
      return;
    }
    const parsed = stage.schema.safeParse(rule.stage);
    if (!parsed.success) {
      issues.push(...issuesFromZod(parsed.error, ['rules', index, 'stage']));
      return;
    }
    if (stage.remote && !rule.marker) {
      issues.push({
        path: `rules[${index}].marker`,
        message: `the "${stage.kind}" stage needs a marker path to record its batches`,
      });
      return;
    }
    resolved.set(rule.name, { rule, stage, config: parsed.data as { kind: string } });
  });
  return issues.length > 0 ? err(issues) : ok(resolved);
}
