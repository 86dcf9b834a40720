/**
 * `{wildcard}` path patterns, as in make's pattern rules: `original/{subject}.jsonl`.
 * A pattern matches a path by binding each wildcard to one path segment part (no `/`).
 */
import { WILDCARD } from '../config/wildcards.ts';

export interface Pattern {
  readonly source: string;
  readonly wildcards: readonly string[];
  readonly regex: RegExp;
}

export function compilePattern(source: string): Pattern {
  const wildcards: string[] = [];
  let regex = '';
  let last = 0;
  for (const m of source.matchAll(WILDCARD)) {
    regex += escapeRegex(source.slice(last, m.index));
    const name = m[1]!;
    // Numbered groups, not named ones: a match then builds no groups object (see matchPattern).
    if (wildcards.includes(name))
      regex += `(?:\\${wildcards.indexOf(name) + 1})`; // delimited: a digit may follow
    else {
      wildcards.push(name);
      regex += '([^/]+?)';
    }
    last = m.index + m[0].length;
  }
  regex += escapeRegex(source.slice(last));
  return { source, wildcards, regex: new RegExp(`^${regex}$`) };
}

export function matchPattern(pattern: Pattern, path: string): Record<string, string> | undefined {
  const m = pattern.regex.exec(path);
  if (!m) return undefined;
  // Copied name by name from numbered groups: spreading a named match's groups object was several
  // times slower, and building that object at all was a visible share of building a graph of
  // tens of thousands of targets.
  const bindings: Record<string, string> = {};
  const names = pattern.wildcards;
  for (let i = 0; i < names.length; i++) bindings[names[i]!] = m[i + 1]!;
  return bindings;
}

/**
 * A pattern split once at its wildcards, for filling: literal parts at even indexes, wildcard
 * names at odd ones. The graph fills several patterns per target, and a regex replace with a
 * callback per fill was a visible share of building a large graph.
 */
const templates = new Map<string, string[]>();

/**
 * Fills a pattern's wildcards; throws on a wildcard with no value (a config bug caught at load).
 * The path comes back as one flat string, joined rather than concatenated: `+` makes a rope
 * (V8's cons string), and every graph path is then a key of several maps (targets, stats,
 * records) looked up tens of thousands of times in a no-op, each lookup walking the rope: maps
 * of flat keys were several times faster.
 */
export function instantiate(source: string, bindings: Readonly<Record<string, string>>): string {
  let parts = templates.get(source);
  if (!parts) {
    parts = source.split(WILDCARD);
    templates.set(source, parts);
  }
  if (parts.length === 1) return parts[0]!;
  const pieces: string[] = new Array<string>(parts.length);
  for (let i = 0; i < parts.length; i += 2) {
    pieces[i] = parts[i]!;
    if (i + 1 === parts.length) break;
    const value = bindings[parts[i + 1]!];
    if (value === undefined) throw new Error(`Internal error: no value for {${parts[i + 1]!}} in ${source}`);
    pieces[i + 1] = value;
  }
  return pieces.join('');
}

/** Whether a pattern (or one of its path segments) has a `{wildcard}`. */
export function hasWildcard(source: string): boolean {
  return source.search(WILDCARD) !== -1;
}

/** Splits a pattern at its wildcards: `{a}-{b}.jsonl` → `['', '-', '.jsonl']`. */
export function literalParts(source: string): string[] {
  return source.split(WILDCARD).filter((_, i) => i % 2 === 0);
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
