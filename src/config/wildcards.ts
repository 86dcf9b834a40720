/**
 * The `{wildcard}` syntax of the paths a config writes (`original/{subject}.jsonl`): defined here,
 * where the config is checked, and compiled into matchers by graph/pattern.ts.
 */
export const WILDCARD = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The wildcards a path pattern names, each once, in order. */
export function wildcardsOf(source: string): string[] {
  return [...new Set([...source.matchAll(WILDCARD)].map((m) => m[1]!))];
}
