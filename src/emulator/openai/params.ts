/** Parameter validation with OpenAI's generic wording ("Invalid value: …", "integer below …"). */
import { ApiError } from './errors.ts';

/** `Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'.` */
export function supported(value: string, values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  const list =
    quoted.length <= 1
      ? quoted.join('')
      : quoted.length === 2
        ? quoted.join(' and ')
        : `${quoted.slice(0, -1).join(', ')}, and ${quoted.at(-1)}`;
  return `Invalid value: '${value}'. Supported values are: ${list}.`;
}

export function intParam(raw: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) {
    throw new ApiError(400, `Invalid '${name}': expected an integer, but got '${raw}' instead.`, name, 'invalid_type');
  }
  if (n < min)
    throw new ApiError(
      400,
      `Invalid '${name}': integer below minimum value. Expected a value >= ${min}, but got ${n} instead.`,
      name,
      'integer_below_min_value',
    );
  if (n > max)
    throw new ApiError(
      400,
      `Invalid '${name}': integer above maximum value. Expected a value <= ${max}, but got ${n} instead.`,
      name,
      'integer_above_max_value',
    );
  return n;
}

/** How OpenAI's messages name a value's type: 'a string', 'an integer', 'a decimal', 'an array'… */
export const typeName = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? 'an integer'
          : 'a decimal'
        : typeof v === 'object'
          ? 'an object'
          : `a ${typeof v}`;

/** Metadata rules: 16 pairs, keys ≤ 64 and values ≤ 512 characters, values strings. */
export function checkMetadata(metadata: unknown): Record<string, string> | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new ApiError(
      400,
      `Invalid type for 'metadata': expected an object, but got ${typeName(metadata)} instead.`,
      'metadata',
      'invalid_type',
    );
  }
  const entries = Object.entries(metadata as Record<string, unknown>);
  if (entries.length > 16) {
    throw new ApiError(
      400,
      `Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with ${entries.length} properties instead.`,
      'metadata',
      'object_above_max_properties',
    );
  }
  for (const [key, value] of entries) {
    const keyLength = [...key].length;
    if (keyLength > 64) {
      throw new ApiError(
        400,
        `Invalid property name in 'metadata': '${key}' is too long. Expected a string with maximum length 64, but got a string with length ${keyLength} instead.`,
        `metadata.${key}`,
        'property_name_above_max_length',
      );
    }
    if (typeof value !== 'string') {
      throw new ApiError(
        400,
        `Invalid type for 'metadata.${key}': expected a string, but got ${typeName(value)} instead.`,
        `metadata.${key}`,
        'invalid_type',
      );
    }
    const valueLength = [...value].length;
    if (valueLength > 512) {
      throw new ApiError(
        400,
        `Invalid 'metadata.${key}': string too long. Expected a string with maximum length 512, but got a string with length ${valueLength} instead.`,
        `metadata.${key}`,
        'string_above_max_length',
      );
    }
  }
  return metadata as Record<string, string>;
}
