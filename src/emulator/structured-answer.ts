/**
 * The stand-in model's structured replies: asked for a JSON Schema (OpenAI `response_format` /
 * `text.format`, or an Anthropic tool forced with `tool_choice`), it answers an object valid for
 * that schema, derived from the prompt so the same request always gets the same answer.
 */
import { isRecord } from './http.ts';
import { hashUniform, seedFrom } from './prng.ts';
import { standInParaphrase } from './paraphrase.ts';
import { numberFor } from './schema-number.ts';
import { stringFor } from './schema-string.ts';

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

/**
 * A value valid for `schema`, fixed by `prompt`: objects (every property), arrays within
 * `minItems`/`maxItems` (distinct items under `uniqueItems`), `enum`/`const`, `anyOf`/`oneOf`,
 * `allOf` of objects, `$ref` into `$defs`, numbers (schema-number.ts) and strings with their
 * formats, patterns and lengths (schema-string.ts). `sample` > 0 draws another answer (the
 * further choices of a request with `n` > 1).
 */
export function standInObject(schema: Record<string, unknown>, prompt: string, sample = 0): unknown {
  const words = standInParaphrase(prompt).split(/\s+/).filter(Boolean);
  const seed = sample === 0 ? seedFrom(prompt) : seedFrom(prompt, 'sample', sample);
  return valueFor(schema, { root: schema, seed, words }, 'reply', 0);
}

interface Draw {
  root: Record<string, unknown>;
  seed: number;
  words: string[];
}

/** Past this depth a recursive schema takes its shortest way out (null branches, fewest items). */
const DEEP = 6;

function valueFor(node: unknown, d: Draw, at: string, depth: number): unknown {
  if (!isRecord(node)) return null;
  if (typeof node.$ref === 'string') return valueFor(resolveRef(d.root, node.$ref), d, at, depth + 1);
  if (node.const !== undefined) return node.const;
  const pick = (n: number) => Math.floor(hashUniform(d.seed, at) * n);
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[pick(node.enum.length)];
  const branches = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (branches && branches.length > 0) {
    const way = depth > DEEP ? branches.findIndex((b) => isRecord(b) && b.type === 'null') : -1;
    return valueFor(branches[way >= 0 ? way : 0], d, `${at}|`, depth + 1);
  }
  if (Array.isArray(node.allOf)) return valueFor(mergedAllOf(node, node.allOf, d.root), d, at, depth);
  const types = Array.isArray(node.type) ? (node.type as unknown[]) : [node.type];
  const type =
    types.find((t) => t !== 'null' && t !== undefined) ??
    (isRecord(node.properties) ? 'object' : node.items !== undefined ? 'array' : types[0]);
  switch (type) {
    case 'object': {
      const properties = isRecord(node.properties) ? node.properties : {};
      return Object.fromEntries(
        Object.entries(properties).map(([k, v]) => [k, valueFor(v, d, `${at}.${k}`, depth + 1)]),
      );
    }
    case 'array':
      return arrayFor(node, d, at, depth);
    case 'boolean':
      return pick(2) === 1;
    case 'integer':
    case 'number':
      return numberFor(node, type === 'integer', hashUniform(d.seed, at));
    case 'string': {
      // A few words of the prompt's paraphrase, longer for fields that read like prose.
      const n = /rationale|reason|explanation|summary|text|analysis/i.test(at) ? 24 : 2;
      const start = d.words.length > n ? pick(d.words.length - n) : 0;
      return stringFor(node, d.seed, at, d.words.slice(start, start + n).join(' ') || at, d.words);
    }
    default:
      return null;
  }
}

function arrayFor(node: Record<string, unknown>, d: Draw, at: string, depth: number): unknown[] {
  const max = typeof node.maxItems === 'number' ? node.maxItems : Infinity;
  const min = typeof node.minItems === 'number' ? node.minItems : depth > DEEP ? 0 : Math.min(1, max);
  const top = depth > DEEP ? min : Number.isFinite(max) ? max : Math.max(min, 3);
  const n = min + Math.floor(hashUniform(d.seed, at, 'n') * (top - min + 1));
  const items: unknown[] = [];
  const seen = new Set<string>();
  // Distinct items when asked: each place draws again (another key) until its item is new.
  for (let i = 0, salt = 0; items.length < n && salt < n * 20; salt++) {
    const item = valueFor(node.items, d, `${at}[${i}]${salt > i ? `~${salt}` : ''}`, depth + 1);
    const key = JSON.stringify(item);
    if (node.uniqueItems === true && seen.has(key)) continue;
    seen.add(key);
    items.push(item);
    i++;
  }
  return items;
}

/** `allOf` read as one schema: its parts' properties and keywords together (the common use). */
function mergedAllOf(
  node: Record<string, unknown>,
  parts: unknown[],
  root: Record<string, unknown>,
): Record<string, unknown> {
  const { allOf: _allOf, ...own } = node;
  const merged: Record<string, unknown> = { ...own };
  for (const written of parts) {
    const part = isRecord(written) && typeof written.$ref === 'string' ? resolveRef(root, written.$ref) : written;
    if (!isRecord(part)) continue;
    Object.assign(merged, part, {
      properties: {
        ...(isRecord(merged.properties) ? merged.properties : {}),
        ...(isRecord(part.properties) ? part.properties : {}),
      },
    });
  }
  return merged;
}

function resolveRef(root: Record<string, unknown>, ref: string): unknown {
  let node: unknown = root;
  for (const part of ref.replace(/^#\/?/, '').split('/').filter(Boolean))
    node = isRecord(node) ? node[part] : undefined;
  return node;
}
