/**
 * A reply schema (zod) as the JSON Schema sent to the provider, and the check that it fits
 * OpenAI's strict structured-output subset — done at config load, so a schema the provider would
 * refuse for every request is an error naming the field, not a batch of 400s a day later.
 *
 * The JSON Schema is zod's own conversion of the schema's *input* side (what the model must write;
 * transforms and defaults apply when the merge parses it).
 */
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/** Keywords OpenAI's strict mode accepts (its structured-outputs guide, "Supported schemas"). */
const SUPPORTED = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  '$ref',
  '$defs',
  'definitions',
  'description',
  'title',
  'pattern',
  'format',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'minItems',
  'maxItems',
]);

/** Whether a value is a zod 4 schema (duck-typed: a config may load its own copy of zod). */
export function isZodSchema(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value && 'safeParse' in value;
}

// `tsType` tells the generated option types (scripts/config-reference.ts) what JSON Schema cannot say.
export const zodSchemaOption = z
  .custom<z.ZodType>(isZodSchema, { message: 'must be a zod schema (z.object({...}))' })
  .meta({ tsType: 'z.ZodType' });

export function replyJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return closeObjects(rest) as JsonSchema;
}

/**
 * zod leaves `additionalProperties` out of a plain `z.object`'s input schema (it strips unknown
 * keys rather than refusing them); forbidding them loses nothing and is what strict mode needs.
 * Loose objects and records keep theirs, and the subset check names them.
 */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!isRecordOf(node)) return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, closeObjects(v)]));
  if (out.type === 'object' && isRecordOf(out.properties) && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

export interface SchemaIssue {
  /** Where in the reply: `topics[]`, `(root)`. */
  at: string;
  message: string;
}

/** Every place the schema leaves OpenAI's strict subset, with the field it concerns. */
export function strictSubsetIssues(schema: JsonSchema): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (schema.type !== 'object') issues.push({ at: '(root)', message: 'the reply schema must be an object (z.object)' });
  walk(schema, '', issues);
  return issues;
}

function walk(node: unknown, at: string, issues: SchemaIssue[]): void {
  if (typeof node !== 'object' || node === null) return;
  const schema = node as JsonSchema;
  const here = at || '(root)';
  for (const key of Object.keys(schema)) {
    if (!SUPPORTED.has(key)) issues.push({ at: here, message: `"${key}" is not supported in strict mode${hint(key)}` });
  }
  if (
    Object.keys(schema).length === 0 ||
    (schema.type === undefined && !schema.anyOf && !schema.$ref && !schema.enum && schema.const === undefined)
  )
    issues.push({ at: here, message: 'has no type (z.any/z.unknown are not allowed in strict mode)' });
  if (schema.type === 'object' || isRecordOf(schema.properties)) {
    const properties = isRecordOf(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    if (schema.additionalProperties !== false)
      issues.push({
        at: here,
        message: 'must not allow other keys (additionalProperties: false; use z.object, not z.record/z.looseObject)',
      });
    for (const [name, child] of Object.entries(properties)) {
      const path = at ? `${at}.${name}` : name;
      if (!required.has(name))
        issues.push({
          at: path,
          message: 'is optional; strict mode requires every property (use .nullable() instead of .optional())',
        });
      walk(child, path, issues);
    }
  }
  if (schema.items !== undefined) walk(schema.items, `${at}[]`, issues);
  if (Array.isArray(schema.anyOf)) for (const option of schema.anyOf) walk(option, at, issues);
  for (const defs of [schema.$defs, schema.definitions])
    if (isRecordOf(defs)) for (const [name, def] of Object.entries(defs)) walk(def, `$defs.${name}`, issues);
}

function hint(key: string): string {
  if (key === 'minLength' || key === 'maxLength')
    return ' (drop .min()/.max() on strings; check lengths in a transform)';
  if (key === 'default') return ' (drop .default(): the model must always write the field)';
  if (key === 'oneOf' || key === 'allOf') return ' (use z.union, which becomes anyOf)';
  return '';
}

function isRecordOf(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
