/**
 * A string matching a JSON Schema `pattern` (an ECMA-262 regular expression), drawn from a seeded
 * generator: the stand-in model's structured replies must validate, and a schema's pattern is a
 * constraint like any other. The common syntax is generated from (classes, escapes, groups,
 * alternation, quantifiers, back-references); lookarounds generate nothing, so every candidate is
 * checked against the real RegExp and a few others are drawn when one does not match.
 */
import { mulberry32, type Rng } from '../util/prng.ts';

type Range = readonly [number, number];
type Node =
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'group'; body: Node; index: number | null }
  | { kind: 'repeat'; node: Node; min: number; max: number }
  | { kind: 'set'; ranges: Range[]; negated: boolean }
  | { kind: 'backref'; index: number };

const EMPTY: Node = { kind: 'seq', items: [] };
const code = (c: string): number => c.codePointAt(0) ?? 0;
const literal = (c: string): Node => ({ kind: 'set', ranges: [[code(c), code(c)]], negated: false });
const DIGITS: Range[] = [[48, 57]];
const WORD: Range[] = [
  [97, 122],
  [65, 90],
  [48, 57],
  [95, 95],
];
const LETTERS: Range[] = [
  [97, 122],
  [65, 90],
];
/** What `.`, `\S`, `\W` and `\D` generate: characters surely in them, readable ones first. */
const NOT_DIGIT: Range[] = [[97, 122]];
const NOT_WORD: Range[] = [[45, 45]];
const NOT_SPACE: Range[] = [
  [97, 122],
  [48, 57],
];
const CONTROL: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11, '0': 0 };
/** Unbounded quantifiers (`*`, `+`, `{n,}`) and wide ones repeat at most this many more times. */
const EXTRA_REPEATS = 4;

class Parser {
  #i = 0;
  #groups = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.#alternation();
    if (this.#i < this.src.length) throw new Error(`unexpected '${this.src[this.#i]}'`);
    return node;
  }

  #alternation(): Node {
    const options = [this.#sequence()];
    while (this.src[this.#i] === '|') {
      this.#i++;
      options.push(this.#sequence());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options };
  }

  #sequence(): Node {
    const items: Node[] = [];
    while (this.#i < this.src.length && this.src[this.#i] !== '|' && this.src[this.#i] !== ')')
      items.push(this.#quantified(this.#atom()));
    return { kind: 'seq', items };
  }

  #atom(): Node {
    const c = this.src[this.#i++] as string;
    if (c === '^' || c === '$') return EMPTY;
    if (c === '.') return { kind: 'set', ranges: NOT_SPACE, negated: false };
    if (c === '[') return this.#charClass();
    if (c === '(') return this.#group();
    if (c === '\\') return this.#escape(false);
    return literal(c);
  }

  #group(): Node {
    let index: number | null = null;
    let lookaround = false;
    const rest = this.src.slice(this.#i);
    if (rest.startsWith('?:')) this.#i += 2;
    else if (/^\?<?[=!]/.test(rest)) {
      lookaround = true;
      this.#i += rest[1] === '<' ? 3 : 2;
    } else {
      const named = /^\?<[A-Za-z_$][\w$]*>/.exec(rest);
      if (named) this.#i += named[0].length;
      index = ++this.#groups;
    }
    const body = this.#alternation();
    if (this.src[this.#i++] !== ')') throw new Error('unclosed group');
    return lookaround ? EMPTY : { kind: 'group', body, index };
  }

  #quantified(node: Node): Node {
    const c = this.src[this.#i];
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      this.#i++;
      [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
    } else {
      const braces = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.#i)) : null;
      if (!braces) return node;
      this.#i += braces[0].length;
      min = Number(braces[1]);
      max = braces[2] === undefined ? min : braces[3] ? Number(braces[3]) : Infinity;
    }
    if (this.src[this.#i] === '?') this.#i++; // lazy: the same strings match
    return { kind: 'repeat', node, min, max };
  }

  #charClass(): Node {
    const negated = this.src[this.#i] === '^';
    if (negated) this.#i++;
    const ranges: Range[] = [];
    while (this.#i < this.src.length && this.src[this.#i] !== ']') {
      const from = this.#classAtom();
      if (
        this.src[this.#i] === '-' &&
        this.src[this.#i + 1] !== ']' &&
        from.length === 1 &&
        from[0]?.[0] === from[0]?.[1]
      ) {
        this.#i++;
        const to = this.#classAtom();
        ranges.push([from[0]?.[0] ?? 0, to[0]?.[1] ?? 0]);
      } else ranges.push(...from);
    }
    if (this.src[this.#i++] !== ']') throw new Error('unclosed character class');
    return { kind: 'set', ranges, negated };
  }

  #classAtom(): Range[] {
    const c = String.fromCodePoint(this.src.codePointAt(this.#i) ?? 0);
    this.#i += c.length;
    if (c !== '\\') return [[code(c), code(c)]];
    const escaped = this.#escape(true);
    return escaped.kind === 'set' ? escaped.ranges : [];
  }

  #escape(inClass: boolean): Node {
    const c = this.src[this.#i++] ?? '\\';
    const set = (ranges: Range[]): Node => ({ kind: 'set', ranges, negated: false });
    switch (c) {
      case 'd':
        return set(DIGITS);
      case 'D':
        return set(NOT_DIGIT);
      case 'w':
        return set(WORD);
      case 'W':
        return set(NOT_WORD);
      case 's':
        return set([[32, 32]]);
      case 'S':
        return set(NOT_SPACE);
      case 'b':
        return inClass ? set([[8, 8]]) : EMPTY;
      case 'B':
        return EMPTY;
      case 'p':
      case 'P':
        return set(this.#property(c === 'P'));
      case 'u':
      case 'x': {
        const hex = /^\{([0-9a-fA-F]+)\}|^[0-9a-fA-F]{4}/.exec(this.src.slice(this.#i));
        const text = c === 'x' ? this.src.slice(this.#i, this.#i + 2) : (hex?.[1] ?? hex?.[0] ?? '');
        this.#i += c === 'x' ? 2 : (hex?.[0].length ?? 0);
        const n = parseInt(text, 16);
        return set([[n, n]]);
      }
      case 'k': {
        const named = /^<[^>]*>/.exec(this.src.slice(this.#i));
        this.#i += named?.[0].length ?? 0;
        return EMPTY;
      }
      default:
        if (c in CONTROL) return set([[CONTROL[c] as number, CONTROL[c] as number]]);
        if (!inClass && /[1-9]/.test(c)) {
          const digits = /^\d*/.exec(this.src.slice(this.#i))?.[0] ?? '';
          this.#i += digits.length;
          return { kind: 'backref', index: Number(c + digits) };
        }
        return literal(c);
    }
  }

  /** `\p{…}`: letters (upper or lower case when named), digits for number classes. */
  #property(negated: boolean): Range[] {
    const name = /^\{([^}]*)\}/.exec(this.src.slice(this.#i));
    this.#i += name?.[0].length ?? 0;
    const prop = name?.[1] ?? 'L';
    if (negated) return /^N|Number|Nd/.test(prop) ? LETTERS : DIGITS;
    if (/^(N|Nd|Number|Decimal_Number)$/.test(prop)) return DIGITS;
    if (/^(Lu|Uppercase_Letter)$/.test(prop)) return [[65, 90]];
    if (/^(Ll|Lowercase_Letter)$/.test(prop)) return [[97, 122]];
    return LETTERS;
  }
}

function pickFromSet(ranges: Range[], negated: boolean, random: Rng): string {
  if (negated) {
    const allowed: number[] = [];
    for (let c = 33; c < 127; c++) if (!ranges.some(([lo, hi]) => c >= lo && c <= hi)) allowed.push(c);
    return String.fromCodePoint(allowed[Math.floor(random() * allowed.length)] ?? 32);
  }
  const [lo, hi] = ranges[Math.floor(random() * ranges.length)] ?? [120, 120];
  return String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));
}

function generate(node: Node, random: Rng, groups: string[]): string {
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
  let tree: Node;
  try {
    tree = new Parser(pattern).parse();
  } catch {
    return null;
  }
  for (let attempt = 0; attempt < 32; attempt++) {
    const s = generate(tree, mulberry32(seed + attempt), []);
    if (re.test(s) && fits(s)) return s;
  }
  return null;
}
