/**
 * One source for what every config option means: the `.describe()` texts of the zod schemas
 * (src/config/schema.ts and each stage's own). From them this writes
 *   - docs/config.md, the reference of every option, and
 *   - src/config/options.ts, the option types with those texts as JSDoc, so an editor explains each
 *     option as it is typed (declaration files of zod schemas keep no comments).
 * `npm run docs:config` rewrites both; test/config/reference.test.ts fails when either is stale.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { pipelineSchema, ruleSchema } from '../src/config/schema.ts';
import { stageRegistry } from '../src/stages/registry.ts';

/** Each stage kind's option schema (stages load their code, and so their schema, on demand). */
export const stageSchemas: [string, z.ZodType][] = await Promise.all(
  [...stageRegistry.values()].map(async (s): Promise<[string, z.ZodType]> => [s.kind, (await s.validation()).schema]),
);

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DOCS_FILE = 'docs/config.md';
export const TYPES_FILE = 'src/config/options.ts';

interface JsonSchema {
  /** A TypeScript type JSON Schema cannot express (a function, a zod schema), from the option's `.meta()`. */
  tsType?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
}

interface Section {
  title: string;
  /** How it is written in a config. */
  usage: string;
  typeName: string;
  schema: JsonSchema;
  /** Options whose type is another generated type rather than the schema's own. */
  overrides: Record<string, string>;
}

const pascal = (kind: string) => kind.replace(/(^|[-_])(\w)/g, (_, __, c: string) => c.toUpperCase());
// Functions and zod schemas (transform's `run`, a reply `schema`) have no JSON Schema: they carry a `tsType`.
export const jsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

function sections(): Section[] {
  const stages = stageSchemas.map(([kind, schema]) => ({
    title: `Stage \`${kind}\``,
    usage: `stage: ${kind}({ … })`,
    typeName: `${pascal(kind)}StageOptions`,
    schema: jsonSchema(schema),
    overrides: {},
  }));
  return [
    {
      title: 'The pipeline',
      usage: 'export default definePipeline({ … })',
      typeName: 'PipelineOptions',
      schema: jsonSchema(pipelineSchema),
      overrides: { rules: 'RuleOptions[]' },
    },
    {
      title: 'A rule',
      usage: 'rule({ … })',
      typeName: 'RuleOptions',
      schema: jsonSchema(ruleSchema),
      overrides: { stage: 'StageOptions' },
    },
    ...stages,
  ];
}

function tsType(s: JsonSchema): string {
  if (s.tsType) return s.tsType;
  if (s.const !== undefined) return JSON.stringify(s.const).replace(/"/g, "'");
  if (s.enum) return s.enum.map((v) => JSON.stringify(v).replace(/"/g, "'")).join(' | ');
  if (s.anyOf) return s.anyOf.map(tsType).join(' | ');
  if (Array.isArray(s.type)) return s.type.map((type) => tsType({ type })).join(' | ');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const item = s.items ? tsType(s.items) : 'unknown';
      return item.includes(' ') && !item.startsWith('{') ? `(${item})[]` : `${item}[]`;
    }
    case 'object': {
      if (s.properties) {
        const required = new Set(s.required ?? []);
        const fields = Object.entries(s.properties).map(([k, v]) => `${k}${required.has(k) ? '' : '?'}: ${tsType(v)}`);
        return `{ ${fields.join('; ')} }`;
      }
      const values = s.additionalProperties;
      return `Record<string, ${typeof values === 'object' && Object.keys(values).length > 0 ? tsType(values) : 'unknown'}>`;
    }
  }
  return 'unknown';
}

/** What the schema demands beyond the type, as the end of a sentence: ` Must be an integer, > 0.` */
function constraints(s: JsonSchema): string {
  const out: string[] = [];
  if (s.type === 'integer') out.push('an integer');
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER)
    out.push(`≤ ${s.maximum.toLocaleString('en-US')}`);
  if (s.minLength) out.push('non-empty');
  if (s.minItems) out.push(`a list of at least ${s.minItems}`);
  if (s.pattern) out.push(`matching \`${s.pattern}\``);
  return out.length > 0 ? ` Must be ${out.join(', ')}.` : '';
}

const options = (section: Section) =>
  Object.entries(section.schema.properties ?? {}).map(([name, schema]) => ({
    name,
    schema,
    required: (section.schema.required ?? []).includes(name),
    type: section.overrides[name] ?? tsType(schema),
  }));

export function renderConfigDocs(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    '# Config reference',
    '',
    "<!-- Generated by `npm run docs:config` from the zod schemas' descriptions (src/config/schema.ts and",
    "     each stage's schema); do not edit by hand. test/config/reference.test.ts fails when it is stale. -->",
    '',
    '`pipeline.config.ts` default-exports `definePipeline({ … })`, built with the helpers of the package',
    "(`import { definePipeline, rule, requests, batch, online, merge, shell, transform, z } from 'llmake'`); editors show these",
    'texts as you type. The config is validated when it is loaded: an invalid key is reported with its',
    'path (`rules[1].stage.model: …`) and exit 2.',
  ];
  for (const section of sections()) {
    lines.push('', `## ${section.title}`, '', `\`${section.usage}\``, '');
    lines.push('| option | type | default | meaning |', '| --- | --- | --- | --- |');
    for (const o of options(section)) {
      if (o.name === 'kind') continue;
      const fallback = o.required ? '(required)' : '';
      const def = o.schema.default === undefined ? fallback : `\`${JSON.stringify(o.schema.default)}\``;
      const meaning = `${o.schema.description ?? ''}${constraints(o.schema)}`;
      lines.push(`| \`${o.name}\` | \`${cell(o.type)}\` | ${def} | ${cell(meaning)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function renderOptionTypes(): string {
  const all = sections();
  const out = [
    '/**',
    " * The options of `pipeline.config.ts` with the zod schemas' descriptions as JSDoc, so editors explain",
    ' * each option as it is typed. Generated by `npm run docs:config` (scripts/config-reference.ts): do not',
    ' * edit. src/config/options-check.ts proves at compile time that they are exactly what the schemas accept.',
    ' */',
    '',
    "import type { z } from 'zod';",
    "import type { RecordFn, WholeFileFn } from '../stages/transform-types.ts';",
    '',
    `/** Any stage: the \`stage\` of a rule. */`,
    `export type StageOptions = ${all
      .filter((s) => s.typeName.endsWith('StageOptions'))
      .map((s) => s.typeName)
      .join(' | ')};`,
  ];
  for (const section of all) {
    out.push(
      '',
      `/** ${section.title.replace(/`/g, '')}: \`${section.usage}\`. */`,
      `export type ${section.typeName} = {`,
    );
    for (const o of options(section)) {
      const def = o.schema.default === undefined ? '' : ` Default: \`${JSON.stringify(o.schema.default)}\`.`;
      const doc = `${o.schema.description ?? ''}${constraints(o.schema)}${def}`.trim();
      if (doc) out.push(`  /** ${doc.replace(/\*\//g, '*\\/')} */`);
      out.push(`  ${o.name}${o.required ? '' : '?'}: ${o.type};`);
    }
    out.push('};');
  }
  return `${out.join('\n')}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { format } = await import('prettier');
  const config = { printWidth: 120, singleQuote: true };
  await writeFile(path.join(REPO, DOCS_FILE), renderConfigDocs());
  await writeFile(path.join(REPO, TYPES_FILE), await format(renderOptionTypes(), { ...config, parser: 'typescript' }));
  process.stdout.write(`wrote ${DOCS_FILE} and ${TYPES_FILE}\n`);
}
