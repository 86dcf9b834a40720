/**
 * Reading a GenerateContentRequest as the REST API takes it (proto JSON: a field may be named in
 * camelCase or as in the proto, `generation_config`): its texts, system instruction and generation
 * config, with the checks the service applies per request (a failed row, not a refused batch).
 */
import { countTextTokens } from '../../tokens/count.ts';
import { isRecord } from '../http.ts';
import type { GeminiModels } from './models.ts';

type Message = Record<string, unknown>;

/** A field by its JSON name or its proto name (Google's parsers accept both). */
export const field = (msg: Message, name: string): unknown =>
  msg[name] ?? msg[name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];

const REQUEST_FIELDS = new Set([
  'model',
  'contents',
  'systemInstruction',
  'tools',
  'toolConfig',
  'safetySettings',
  'generationConfig',
  'cachedContent',
  'labels',
  'serviceTier',
]);

export interface ReadRequest {
  /** The text of each content (role, text), in order. */
  contents: { role: string; text: string }[];
  system: string;
  maxOutputTokens: number | undefined;
  /** The JSON Schema the reply must follow (from `responseJsonSchema`, or `responseSchema` made JSON Schema). */
  schema: Record<string, unknown> | undefined;
  /** `responseMimeType: application/json`. */
  json: boolean;
}

const camel = (name: string): string => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

const textOf = (content: unknown): string =>
  isRecord(content) && Array.isArray(content.parts)
    ? content.parts
        .filter((p): p is { text: string } => isRecord(p) && typeof p.text === 'string')
        .map((p) => p.text)
        .join('\n')
    : '';

/** An OpenAPI-subset `responseSchema` (types in upper case) as the JSON Schema the stand-in reads. */
export function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'type' && typeof v === 'string') out.type = v.toLowerCase();
    else if (k === 'properties' && isRecord(v))
      out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, jsonSchemaOf(s)]));
    else out[camel(k)] = jsonSchemaOf(v);
  }
  return out;
}

function range(name: string, value: number, low: number, high: string): string {
  return `Unable to submit request because it has a ${name} value of ${value} but the supported range is from ${low} (inclusive) to ${high} (exclusive). Update the value and try again.`;
}

function readConfig(
  config: Message,
  model: string,
  models: GeminiModels,
): Omit<ReadRequest, 'contents' | 'system'> | string {
  const max = field(config, 'maxOutputTokens');
  const limit = models.maxOutputTokens(model);
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > limit))
    return range('maxOutputTokens', Number(max), 1, String(limit + 1));
  const temperature = field(config, 'temperature');
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 2))
    return range('temperature', Number(temperature), 0, '2.0001');
  const json = field(config, 'responseMimeType') === 'application/json';
  const jsonSchema = field(config, 'responseJsonSchema');
  const openApiSchema = field(config, 'responseSchema');
  if (jsonSchema !== undefined && openApiSchema !== undefined)
    return '* GenerateContentRequest.generation_config.response_schema: response_schema and response_json_schema cannot both be set.\n';
  if ((jsonSchema !== undefined || openApiSchema !== undefined) && !json)
    return '* GenerateContentRequest.generation_config.response_mime_type: response_mime_type must be application/json when a response schema is set.\n';
  const schema = jsonSchema ?? jsonSchemaOf(openApiSchema);
  return { maxOutputTokens: max, schema: isRecord(schema) ? schema : undefined, json };
}

/** The request read, or the message of the INVALID_ARGUMENT its row fails with. */
export function readRequest(request: unknown, model: string, models: GeminiModels): ReadRequest | string {
  if (!isRecord(request)) return "Invalid JSON payload received. Expected an object for 'request'.";
  for (const key of Object.keys(request))
    if (!REQUEST_FIELDS.has(camel(key)))
      return `Invalid JSON payload received. Unknown name "${key}" at 'request': Cannot find field.`;
  const contents = field(request, 'contents');
  if (!Array.isArray(contents) || contents.length === 0)
    return '* GenerateContentRequest.contents: contents is not specified\n';
  for (const [i, c] of contents.entries())
    if (!isRecord(c) || !Array.isArray(c.parts) || c.parts.length === 0)
      return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`;
  const configField = field(request, 'generationConfig');
  const config = readConfig(isRecord(configField) ? configField : {}, model, models);
  if (typeof config === 'string') return config;
  return {
    ...config,
    contents: contents.map((c: Message) => ({ role: typeof c.role === 'string' ? c.role : 'user', text: textOf(c) })),
    system: textOf(field(request, 'systemInstruction')),
  };
}

/** Prompt tokens as the stand-in bills them: every text of the system instruction and the contents. */
export const promptTokensOf = (model: string, r: Pick<ReadRequest, 'contents' | 'system'>): number =>
  r.contents.reduce((n, c) => n + countTextTokens(model, c.text), r.system ? countTextTokens(model, r.system) : 0);

/** The last user turn's text: what the stand-in answers. */
export const lastUserText = (r: ReadRequest): string =>
  [...r.contents].reverse().find((c) => c.role === 'user')?.text ?? '';
