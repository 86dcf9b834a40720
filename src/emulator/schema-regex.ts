/**
 * A string matching a JSON Schema `pattern` (an ECMA-262 regular expression), drawn from a seeded
 * generator: the stand-in model's structured replies must validate, and a schema's pattern is a
 * constraint like any other. The common syntax is generated from (classes, escapes, groups,
 * alternation, quantifiers, back-references); lookarounds generate nothing, so every candidate is
 * checked against the real RegExp and a few others are drawn when one does not match.
 */
import { mulberry32, type Rng } from '../util/prng.ts';
import { EMPTY, RegexParser, type Range, type RegexNode } from './schema-regex-parse.ts';

/** Unbounded quantifiers (`*`, `+`, `{n,}`) and wide ones repeat at most this many more times. */
const EXTRA_REPEATS = 4;

function pickFromSet(ranges: Range[], negated: boolean, random: Rng): string {
  if (negated) {
    const allowed: number[] = [];
    for (let c = 33; c < 127; c++) if (!ranges.some(([lo, hi]) => c >= lo && c <= hi)) allowed.push(c);
    return String.fromCodePoint(allowed[Math.floor(random() * allowed.length)] ?? 32);
  }
  const [lo, hi] = ranges[Math.floor(random() * ranges.length)] ?? [120, 120];
  return String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));
}

function generate(node: RegexNode, random: Rng, groups: string[]): string {
  switch (node.kind) {
    case 'seq':
      return node.items.map((n) => generate(n, random, groups)).join('');
    case 'alt':
      return generate(node.options[Math.floor(random() * node.options.length)] ?? EMPTY, random, groups);
    case 'group': {
      const text = generate(node.body, random, groups);
      if (node.index !== null) groups[node.index] = text;
      return text;
    }
    case 'repeat': {
      const max = Math.min(node.max, node.min + EXTRA_REPEATS);
      const n = node.min + Math.floor(random() * (max - node.min + 1));
      return Array.from({ length: n }, () => generate(node.node, random, groups)).join('');
    }
    case 'set':
      return pickFromSet(node.ranges, node.negated, random);
    case 'backref':
      return groups[node.index] ?? '';
  }
}

/** JSON Schema patterns are ECMA-262 with Unicode semantics; some schemas only compile without. */
function compile(pattern: string): RegExp | null {
  for (const flags of ['u', '']) {
    try {
      return new RegExp(pattern, flags);
    } catch {
      // try the next flags
    }
  }
  return null;
}

/**
 * A string that `pattern` matches and whose length (in code points) `fits`, fixed by `seed`; null
 * when the pattern does not compile or no draw of a few fits (the caller then ignores the pattern).
 */
export function stringMatching(pattern: string, seed: number, fits: (s: string) => boolean): string | null {
  const re = compile(pattern);
  if (!re) return null;
  let tree: RegexNode;
  try {
    tree = new RegexParser(pattern).parse();
  } catch {
    return null;
  }
  for (let attempt = 0; attempt < 32; attempt++) {
    const s = generate(tree, mulberry32(seed + attempt), []);
    if (re.test(s) && fits(s)) return s;
  }
  return null;
}
