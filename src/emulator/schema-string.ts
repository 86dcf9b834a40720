/**
 * A string valid for a JSON Schema's string keywords: `format` (the ones OpenAI's Structured
 * Outputs accept — date-time, time, date, duration, email, hostname, ipv4, ipv6, uuid — and uri),
 * `pattern`, `minLength`/`maxLength` (in code points, as JSON Schema counts). Otherwise a few words
 * of the prompt's paraphrase, so replies read like answers about the prompt.
 */
import { derivedHex } from './ids.ts';
import { hashUniform } from './prng.ts';
import { stringMatching } from './schema-regex.ts';

const length = (s: string): number => [...s].length;
const two = (n: number): string => String(n).padStart(2, '0');

/** Values for each format, drawn by `u` (uniform in [0, 1)) and `hex` (32 hex digits). */
const FORMATS: Readonly<Record<string, (u: (k: string) => number, hex: string, word: string) => string>> = {
  date: (u) => date(u),
  'date-time': (u) => `${date(u)}T${time(u)}Z`,
  time: (u) => `${time(u)}Z`,
  duration: (u) => `P${1 + Math.floor(u('d') * 9)}DT${Math.floor(u('h') * 24)}H${Math.floor(u('m') * 60)}M`,
  email: (_u, hex, word) => `${word}.${hex.slice(0, 4)}@example.com`,
  hostname: (_u, hex, word) => `${word}-${hex.slice(0, 4)}.example.com`,
  ipv4: (u) => `10.${Math.floor(u('a') * 256)}.${Math.floor(u('b') * 256)}.${1 + Math.floor(u('c') * 254)}`,
  ipv6: (_u, hex) => `2001:db8::${hex.slice(0, 4)}:${hex.slice(4, 8)}`,
  uuid: (_u, hex) =>
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[parseInt(hex[16] ?? '0', 16) % 4]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
  uri: (_u, hex, word) => uri(hex, word),
  url: (_u, hex, word) => uri(hex, word),
};

const uri = (hex: string, word: string): string => `https://example.com/${word}/${hex.slice(0, 6)}`;

function date(u: (k: string) => number): string {
  return `${2000 + Math.floor(u('y') * 30)}-${two(1 + Math.floor(u('mo') * 12))}-${two(1 + Math.floor(u('day') * 28))}`;
}

function time(u: (k: string) => number): string {
  return `${two(Math.floor(u('hh') * 24))}:${two(Math.floor(u('mm') * 60))}:${two(Math.floor(u('ss') * 60))}`;
}

/** `text` brought within [min, max] code points: words repeated to grow, cut (never on a space) to shrink. */
function fitted(text: string, fill: string[], min: number, max: number): string {
  let out = text;
  for (let i = 0; length(out) < min; i++) out = `${out} ${fill[i % fill.length] ?? 'x'}`.trimStart();
  if (length(out) > max) out = [...out].slice(0, max).join('');
  return out.replace(/\s+$/, (space) => 'x'.repeat(space.length));
}

/**
 * A string valid for `schema`, fixed by (`seed`, `at`); `prose` is what it says when no keyword
 * decides (the caller's words), `words` what pads it.
 */
export function stringFor(
  schema: Record<string, unknown>,
  seed: number,
  at: string,
  prose: string,
  words: string[],
): string {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const fits = (s: string): boolean => length(s) >= min && length(s) <= max;
  if (typeof schema.pattern === 'string') {
    const matching = stringMatching(schema.pattern, seedFromDraw(seed, at), fits);
    if (matching !== null) return matching;
  }
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  if (format) {
    const word = (prose.toLowerCase().match(/[a-z]+/)?.[0] ?? 'reply').slice(0, 20);
    return format((k) => hashUniform(seed, at, k), derivedHex(seed, at), word);
  }
  return fitted(prose, words.length > 0 ? words : [at], min, max);
}

const seedFromDraw = (seed: number, at: string): number => Math.floor(hashUniform(seed, at, 'pattern') * 2 ** 32);
