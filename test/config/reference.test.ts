/** docs/config.md and src/config/options.ts are what the schemas' descriptions say now. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { format } from 'prettier';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  DOCS_FILE,
  REPO,
  TYPES_FILE,
  jsonSchema,
  renderConfigDocs,
  renderOptionTypes,
  stageSchemas,
} from '../../scripts/config-reference.ts';
import { pipelineSchema, ruleSchema } from '../../src/config/schema.ts';
import { stageRegistry } from '../../src/stages/registry.ts';

const STALE = 'is out of date: run `npm run docs:config` and commit the result';

describe('config reference', () => {
  it(`${DOCS_FILE} is generated from the schemas`, async () => {
    expect(await readFile(path.join(REPO, DOCS_FILE), 'utf8'), `${DOCS_FILE} ${STALE}`).toBe(renderConfigDocs());
  });

  it(`${TYPES_FILE} is generated from the schemas`, async () => {
    const expected = await format(renderOptionTypes(), { printWidth: 120, singleQuote: true, parser: 'typescript' });
    expect(await readFile(path.join(REPO, TYPES_FILE), 'utf8'), `${TYPES_FILE} ${STALE}`).toBe(expected);
  });

  it('every option of every schema has a description', () => {
    const undescribed: string[] = [];
    const schemas: [string, z.ZodType][] = [['pipeline', pipelineSchema], ['rule', ruleSchema], ...stageSchemas];
    for (const [name, schema] of schemas) {
      const json = jsonSchema(schema) as { properties?: Record<string, { description?: string }> };
      for (const [key, option] of Object.entries(json.properties ?? {})) {
        if (key !== 'kind' && !option.description) undescribed.push(`${name}.${key}`);
      }
    }
    expect(undescribed, 'add .describe("…") to these options').toEqual([]);
  });

  it('lists every stage and option, with defaults and limits', () => {
    const docs = renderConfigDocs();
    for (const kind of stageRegistry.keys()) expect(docs).toContain(`## Stage \`${kind}\``);
    expect(docs).toMatch(/^\| `maxAttempts` \| `number` \| `3` \| .* Must be an integer, > 0, ≤ 20\. \|$/m);
    expect(docs).toMatch(/^\| `prompt` \| `string` \| \(required\) \| The user message template/m);
  });
});
