/**
 * The stand-in's embeddings: unit vectors fixed by the text, as long as the model's documented
 * output (text-embedding-3-small 1536, -3-large 3072, ada-002 1536, mistral-embed 1024), shortened
 * as the API shortens them when `dimensions` asks (the first N values, normalized again, so a
 * short vector is a prefix of the long one up to scale), as floats or base64 (little-endian
 * float32, what the `openai` Node SDK asks for by default and decodes).
 */
import { isRecord } from './http.ts';
import { seedFrom } from './prng.ts';

interface EmbeddingModel {
  dimensions: number;
  /** Whether it takes `dimensions` (the text-embedding-3 models do, ada-002 does not). */
  shortens: boolean;
}

const MODELS: Readonly<Record<string, EmbeddingModel>> = {
  'text-embedding-3-small': { dimensions: 1536, shortens: true },
  'text-embedding-3-large': { dimensions: 3072, shortens: true },
  'text-embedding-ada-002': { dimensions: 1536, shortens: false },
  'mistral-embed': { dimensions: 1024, shortens: false },
  'codestral-embed': { dimensions: 1536, shortens: false },
};

/** A model not in the table (a local server's, added with `extraModels`) answers like 3-small. */
const embeddingModel = (model: string): EmbeddingModel =>
  MODELS[model] ?? MODELS[model.replace(/-\d{4}-\d{2}-\d{2}$/, '')] ?? { dimensions: 1536, shortens: true };

export const ENCODING_FORMATS = ['float', 'base64'] as const;

export interface EmbeddingsProblem {
  code: string;
  message: string;
  param: string;
}

/**
 * What is wrong with an embeddings body's `dimensions` or `encoding_format` for `model` (named
 * `prefix + name`, `body.` in a batch line), or null.
 */
export function embeddingsProblem(
  body: Record<string, unknown>,
  model: string,
  prefix: string,
): EmbeddingsProblem | null {
  const format = body.encoding_format;
  if (format !== undefined && format !== null && !(ENCODING_FORMATS as readonly unknown[]).includes(format))
    return {
      code: 'invalid_value',
      message: `Invalid value: '${typeof format === 'string' ? format : JSON.stringify(format)}'. Supported values are: 'float' and 'base64'.`,
      param: `${prefix}encoding_format`,
    };
  const dims = body.dimensions;
  if (dims === undefined || dims === null) return null;
  const param = `${prefix}dimensions`;
  const spec = embeddingModel(model);
  // The API's words; its code for this is undocumented, `invalid_value` is the emulator's.
  if (!spec.shortens)
    return { code: 'invalid_value', message: 'This model does not support specifying dimensions.', param };
  if (typeof dims !== 'number' || !Number.isInteger(dims))
    return { code: 'invalid_type', message: `Invalid type for '${param}': expected an integer.`, param };
  if (dims < 1)
    return {
      code: 'integer_below_min_value',
      message: `Invalid '${param}': integer below minimum value. Expected a value >= 1, but got ${dims} instead.`,
      param,
    };
  if (dims > spec.dimensions)
    return {
      code: 'integer_above_max_value',
      message: `Invalid '${param}': integer above maximum value. Expected a value <= ${spec.dimensions}, but got ${dims} instead.`,
      param,
    };
  return null;
}

/** The `data` of an embeddings answer to `inputs`: one vector per input, in the asked encoding. */
export function embeddingsData(body: Record<string, unknown>, model: string, inputs: string[]): unknown[] {
  const spec = embeddingModel(model);
  const asked = typeof body.dimensions === 'number' && spec.shortens ? body.dimensions : spec.dimensions;
  const dims = Math.max(1, Math.min(spec.dimensions, Math.floor(asked)));
  const base64 = isRecord(body) && body.encoding_format === 'base64';
  return inputs.map((text, index) => {
    const v = vector(text, dims);
    return { object: 'embedding', index, embedding: base64 ? float32Base64(v) : v };
  });
}

/** A unit-length vector fixed by the text: the first `dims` values of its sequence, normalized. */
function vector(text: string, dims: number): number[] {
  let s = seedFrom(text);
  const v: number[] = [];
  for (let i = 0; i < dims; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v.push(s / 2147483648 - 1);
  }
  const norm = Math.sqrt(v.reduce((sum, x) => sum + x * x, 0)) || 1;
  return v.map((x) => Math.round((x / norm) * 1e6) / 1e6);
}

function float32Base64(v: number[]): string {
  const bytes = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
  return bytes.toString('base64');
}
