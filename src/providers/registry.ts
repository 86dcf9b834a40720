/**
 * The providers a rule may name: one line each. Adding a provider is its file in this folder and
 * a line here; the config schemas, the connection, the reports and the readers of result lines
 * all go through this list.
 */
import { anthropic } from './anthropic.ts';
import { azure } from './azure.ts';
import { bedrock } from './bedrock.ts';
import { gemini } from './gemini.ts';
import { groq } from './groq.ts';
import { mistral } from './mistral.ts';
import { openai } from './openai.ts';
import { openaiCompatible } from './openai-compatible.ts';
import type { ResultLine } from './outcome.ts';
import type { ProviderSpec, WireFormat } from './spec.ts';
import { xai } from './xai.ts';

const REGISTRY = {
  openai,
  anthropic,
  azure,
  'openai-compatible': openaiCompatible,
  groq,
  xai,
  gemini,
  mistral,
  bedrock,
} satisfies Record<string, ProviderSpec>;

export type ProviderName = keyof typeof REGISTRY;

/** The names rules may use, the default first. */
export const PROVIDER_NAMES = Object.keys(REGISTRY) as [ProviderName, ...ProviderName[]];
export const DEFAULT_PROVIDER: ProviderName = 'openai';

const SPECS: readonly ProviderSpec[] = Object.values(REGISTRY);

/** The spec of a provider the config has already checked (an unknown name is a bug). */
export function providerSpec(name: string): ProviderSpec {
  const spec = (REGISTRY as Record<string, ProviderSpec | undefined>)[name];
  if (!spec) throw new Error(`Internal error: no provider named ${name}`);
  return spec;
}

export function allProviders(): readonly ProviderSpec[] {
  return SPECS;
}

/** Each line format once (each reads only its own lines: a line never reads as another's). */
const WIRES: readonly WireFormat[] = [...new Set(SPECS.map((s) => s.wire))];

/** The normalised outcome of a result line of any provider, or undefined when it is not one. */
export function readAnyResult(line: Record<string, unknown>): ResultLine | undefined {
  for (const wire of WIRES) {
    const read = wire.readResult(line);
    if (read) return read;
  }
  return undefined;
}

/** The line format a request line is in, when it is one of ours (to name a rule's mismatched provider). */
export function wireOfRequest(line: Record<string, unknown>): WireFormat | undefined {
  return WIRES.find((w) => typeof line[w.idField] === 'string' && w.readRequest(line) !== undefined);
}

/** Where any format keeps a line's id (`custom_id`, `key`, `recordId`). */
export const ID_FIELDS: readonly string[] = [...new Set(WIRES.map((w) => w.idField))];

/** A line's id, whatever its format; undefined when it has none. */
export function lineId(line: Record<string, unknown>): string | undefined {
  for (const field of ID_FIELDS) {
    const id = line[field];
    if (typeof id === 'string' && id !== '') return id;
  }
  return undefined;
}

/** The line with its id replaced, in the field its format uses. */
export function withLineId(line: Record<string, unknown>, id: string): Record<string, unknown> {
  const field = ID_FIELDS.find((f) => typeof line[f] === 'string') ?? 'custom_id';
  return line[field] === id ? line : { ...line, [field]: id };
}
