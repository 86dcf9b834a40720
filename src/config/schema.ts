/**
 * The shape of `pipeline.config.ts` as written, checked with zod. Stage-specific options are
 * checked later by each stage's own schema (the config layer knows no stage), so every error
 * still carries the path of the offending key (`rules[1].stage.model`).
 */
import { z } from 'zod';
import { wildcardsOf } from './wildcards.ts';

const pathPattern = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
    message: 'must be a path relative to the pipeline root, without ".."',
  });

export const stageConfigSchema = z.looseObject({ kind: z.string().min(1) });

export const ruleSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z][\w-]*$/, 'use letters, digits, "-" and "_"')
      .describe("The rule's name: `pipeline build NAME` selects all its targets."),
    inputs: z
      .array(pathPattern)
      .min(1)
      .describe(
        'Input path patterns, relative to the root, with `{wildcard}`s (`original/{subject}.jsonl`). Sources are found by globbing the first one; the others are derived from its wildcards.',
      ),
    output: pathPattern.describe(
      'The output path pattern, relative to the root; its wildcards must all appear in the first input.',
    ),
    marker: pathPattern
      .optional()
      .describe(
        "A remote stage's durable ledger (batch ids and state), one per target; the `batch` and `online` stages need it.",
      ),
    description: z.string().optional().describe('One line saying what the rule does, for people reading the config.'),
    stage: stageConfigSchema.describe(
      'What the rule does: `requests(…)`, `batch(…)`, `online(…)`, `merge(…)` or `shell(…)`.',
    ),
  })
  .superRefine((rule, ctx) => {
    const bound = new Set(wildcardsOf(rule.inputs[0] ?? ''));
    const named = new Set(wildcardsOf(rule.output));
    const fanIn = [...bound].some((w) => !named.has(w));
    const unnamed = rule.marker ? wildcardsOf(rule.marker).filter((w) => !named.has(w)) : [];
    if (fanIn && unnamed.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['marker'],
        message: `wildcard {${unnamed[0]}} is not in the output "${rule.output}": one target gathers every input, so its marker is one file`,
      });
    for (const [key, pattern] of [
      ['output', rule.output],
      ['marker', rule.marker],
      ...rule.inputs.slice(1).map((p, i) => [`inputs.${i + 1}`, p] as const),
    ] as const) {
      if (!pattern) continue;
      for (const w of wildcardsOf(pattern)) {
        if (!bound.has(w)) {
          ctx.addIssue({
            code: 'custom',
            path: key.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k)),
            message: `wildcard {${w}} does not appear in the first input "${rule.inputs[0]}"`,
          });
        }
      }
    }
  });

export const pipelineSchema = z.strictObject({
  root: z
    .string()
    .min(1)
    .default('.')
    .describe('The directory target paths are relative to, itself relative to the config file.'),
  rules: z.array(ruleSchema).min(1).describe('The rules, each making files from files; their order does not matter.'),
  stateDir: z
    .string()
    .default('.pipeline')
    .describe(
      'Where state, the request cache and the lock live, relative to the root (keep it out of version control).',
    ),
});

export type RuleConfig = z.output<typeof ruleSchema>;
export type PipelineConfigInput = z.input<typeof pipelineSchema>;
export type PipelineConfig = z.output<typeof pipelineSchema>;

/** A config problem with the dotted path of the key at fault. */
export interface ConfigIssue {
  path: string;
  message: string;
}

export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out || '(root)';
}

export function issuesFromZod(error: z.ZodError, prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: formatIssuePath([...prefix, ...issue.path]), message: issue.message }));
}
