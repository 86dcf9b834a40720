/** The reply schema declared once on the requests rule reaches the rules that check and parse its replies. */
import { expect, it } from 'vitest';
import { z } from 'zod';
import { carrySchemas } from '../../src/config/carry-schema.ts';
import type { RuleConfig } from '../../src/config/schema.ts';

const A = z.object({ a: z.string() });
const B = z.object({ b: z.string() });

function rule(name: string, inputs: string[], output: string, stage: Record<string, unknown>): RuleConfig {
  return { name, inputs, output, stage } as unknown as RuleConfig;
}

it('requests → batch → merge, wildcard names aside; a rule that sets its own keeps it and passes it on', () => {
  const rules = [
    rule('merge', ['original/{s}.jsonl', 'b/results/{s}.jsonl'], 'out/{s}.jsonl', { kind: 'merge' }),
    rule('batch', ['b/{s}.jsonl'], 'b/results/{s}.jsonl', { kind: 'batch' }),
    rule('requests', ['original/{subject}.jsonl'], 'b/{subject}.jsonl', { kind: 'requests', schema: A }),
    rule('online', ['b/{x}.jsonl'], 'o/results/{x}.jsonl', { kind: 'online', schema: B }),
    rule('merge-online', ['original/{x}.jsonl', 'o/results/{x}.jsonl'], 'o/out/{x}.jsonl', { kind: 'merge' }),
    rule('shell', ['b/{s}.jsonl'], 'counts/{s}.txt', { kind: 'shell', command: 'wc -l' }),
  ];
  const stages = carrySchemas(rules) as { schema?: unknown }[];
  expect(stages[1]!.schema).toBe(A);
  expect(stages[0]!.schema).toBe(A);
  expect(stages[3]!.schema).toBe(B); // its own
  expect(stages[4]!.schema).toBe(B); // passed on
  expect(stages[5]!.schema).toBeUndefined(); // a shell takes none
  expect(rules[1]!.stage).toEqual({ kind: 'batch' }); // the config itself is left as written
});

it('a merge reading results of two different schemas takes none', () => {
  const rules = [
    rule('ra', ['src/{s}.jsonl'], 'a/{s}.jsonl', { kind: 'requests', schema: A }),
    rule('rb', ['src/{s}.jsonl'], 'b/{s}.jsonl', { kind: 'requests', schema: B }),
    rule('ba', ['a/{s}.jsonl'], 'a/results/{s}.jsonl', { kind: 'batch' }),
    rule('bb', ['b/{s}.jsonl'], 'b/results/{s}.jsonl', { kind: 'batch' }),
    rule('m', ['src/{s}.jsonl', 'a/results/{s}.jsonl', 'b/results/{s}.jsonl'], 'out/{s}.jsonl', { kind: 'merge' }),
  ];
  const stages = carrySchemas(rules) as { schema?: unknown }[];
  expect(stages[2]!.schema).toBe(A);
  expect(stages[3]!.schema).toBe(B);
  expect(stages[4]!.schema).toBeUndefined();
});
