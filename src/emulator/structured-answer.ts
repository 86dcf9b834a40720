/**
 * The stand-in model's structured replies: asked for a JSON Schema (OpenAI `response_format` /
 * `text.format`, or an Anthropic tool forced with `tool_choice`), it answers an object valid for
 * that schema, derived from the prompt so the same request always gets the same answer.
 */
import { isRecord } from './http.ts';
import { hashUniform, seedFrom } from './prng.ts';
import { standInParaphrase } from './paraphrase.ts';

/** The JSON Schema a chat completions or Responses body asks the reply to follow, if any. */
export function requestedSchema(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const chat = isRecord(body.response_format) ? body.response_format : undefined;
  if (chat?.type === 'json_schema' && isRecord(chat.json_schema) && isRecord(chat.json_schema.schema))
    return chat.json_schema.schema;
  const format = isRecord(body.text) && isRecord(body.text.format) ? body.text.format : undefined;
  if (format?.type === 'json_schema' && isRecord(format.schema)) return format.schema;
  return undefined;
}

/** The tool an Anthropic request forces (`tool_choice: {type: 'tool', name}`), with its input schema. */
export function forcedTool(
  params: Record<string, unknown>,
): { name: string; schema: Record<string, unknown> } | undefined {
  const choice = isRecord(params.tool_choice) ? params.tool_choice : undefined;
  if (choice?.type !== 'tool' || typeof choice.name !== 'string' || !Array.isArray(params.tools)) return undefined;
  const tool = (params.tools as unknown[]).find((t) => isRecord(t) && t.name === choice.name);
  return isRecord(tool) && isRecord(tool.input_schema) ? { name: choice.name, schema: tool.input_schema } : undefined;
}

/** A value valid for `schema` (the strict subset: objects, arrays, enums, scalars, anyOf), fixed by `prompt`. */
export function standInObject(schema: Record<string, unknown>, prompt: string): unknown {
  const words = standInParaphrase(prompt).split(/\s+/).filter(Boolean);
  return valueFor(schema, schema, seedFrom(prompt), 'reply', words);
}

function valueFor(node: unknown, root: Record<string, unknown>, seed: number, at: string, words: string[]): unknown {
  if (!isRecord(node)) return null;
  if (typeof node.$ref === 'string') return valueFor(resolveRef(root, node.$ref), root, seed, at, words);
  if (node.const !== undefined) return node.const;
  const pick = (n: number) => Math.floor(hashUniform(seed, at) * n);
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[pick(node.enum.length)];
  if (Array.isArray(node.anyOf) && node.anyOf.length > 0) return valueFor(node.anyOf[0], root, seed, `${at}|`, words);
  const type = Array.isArray(node.type) ? (node.type as unknown[]).find((t) => t !== 'null') : node.type;
  switch (type) {
    case 'object': {
      const properties = isRecord(node.properties) ? node.properties : {};
      return Object.fromEntries(
        Object.entries(properties).map(([k, v]) => [k, valueFor(v, root, seed, `${at}.${k}`, words)]),
      );
    }
    case 'array': {
      const min = typeof node.minItems === 'number' ? node.minItems : 1;
      const max = typeof node.maxItems === 'number' ? node.maxItems : Math.max(min, 3);
      const n = min + Math.floor(hashUniform(seed, at, 'n') * (max - min + 1));
      return Array.from({ length: n }, (_, i) => valueFor(node.items, root, seed, `${at}[${i}]`, words));
    }
    case 'boolean':
      return pick(2) === 1;
    case 'integer':
    case 'number': {
      const low = typeof node.minimum === 'number' ? node.minimum : 0;
      const high = typeof node.maximum === 'number' ? Math.min(node.maximum, low + 100) : low + 100;
      const x = low + hashUniform(seed, at) * (high - low);
      return type === 'integer' ? Math.floor(x) : Math.round(x * 100) / 100;
    }
    case 'string': {
      // A few words of the prompt's paraphrase, longer for fields that read like prose.
      const n = /rationale|reason|explanation|summary|text|analysis/i.test(at) ? 24 : 2;
      const start = words.length > n ? pick(words.length - n) : 0;
      return words.slice(start, start + n).join(' ') || at;
    }
    case 'null':
      return null;
    default:
      return null;
  }
}

function resolveRef(root: Record<string, unknown>, ref: string): unknown {
  let node: unknown = root;
  for (const part of ref.replace(/^#\/?/, '').split('/').filter(Boolean))
    node = isRecord(node) ? node[part] : undefined;
  return node;
}
