/**
 * The parser behind schema-regex.ts: an ECMA-262 regular expression's source read into a tree of
 * sequences, alternations, groups, repeats, character sets and back-references — the syntax a
 * JSON Schema `pattern` uses. Lookarounds, anchors and word boundaries become empty sequences
 * (they constrain, but generate nothing); escapes that name classes become sets of readable
 * characters surely in them.
 */
export type Range = readonly [number, number];
export type RegexNode =
  | { kind: 'seq'; items: RegexNode[] }
  | { kind: 'alt'; options: RegexNode[] }
  | { kind: 'group'; body: RegexNode; index: number | null }
  | { kind: 'repeat'; node: RegexNode; min: number; max: number }
  | { kind: 'set'; ranges: Range[]; negated: boolean }
  | { kind: 'backref'; index: number };

export const EMPTY: RegexNode = { kind: 'seq', items: [] };
const code = (c: string): number => c.codePointAt(0) ?? 0;
const literal = (c: string): RegexNode => ({ kind: 'set', ranges: [[code(c), code(c)]], negated: false });
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
const NUMBER_CLASS = /^(N|Nd|Number|Decimal_Number)$/;

/** One pattern's tree: `new RegexParser(source).parse()`; throws on syntax it cannot read. */
export class RegexParser {
  #i = 0;
  #groups = 0;
  constructor(private readonly src: string) {}

  parse(): RegexNode {
    const node = this.#alternation();
    if (this.#i < this.src.length) throw new Error(`unexpected '${this.src[this.#i]}'`);
    return node;
  }

  #alternation(): RegexNode {
    const options = [this.#sequence()];
    while (this.src[this.#i] === '|') {
      this.#i++;
      options.push(this.#sequence());
    }
    return options.length === 1 ? (options[0] as RegexNode) : { kind: 'alt', options };
  }

  #sequence(): RegexNode {
    const items: RegexNode[] = [];
    while (this.#i < this.src.length && this.src[this.#i] !== '|' && this.src[this.#i] !== ')')
      items.push(this.#quantified(this.#atom()));
    return { kind: 'seq', items };
  }

  #atom(): RegexNode {
    const c = this.src[this.#i++] as string;
    if (c === '^' || c === '$') return EMPTY;
    if (c === '.') return { kind: 'set', ranges: NOT_SPACE, negated: false };
    if (c === '[') return this.#charClass();
    if (c === '(') return this.#group();
    if (c === '\\') return this.#escape(false);
    return literal(c);
  }

  #group(): RegexNode {
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

  #quantified(node: RegexNode): RegexNode {
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

  #charClass(): RegexNode {
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

  #escape(inClass: boolean): RegexNode {
    const c = this.src[this.#i++] ?? '\\';
    const set = (ranges: Range[]): RegexNode => ({ kind: 'set', ranges, negated: false });
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
    if (negated) return NUMBER_CLASS.test(prop) ? LETTERS : DIGITS;
    if (NUMBER_CLASS.test(prop)) return DIGITS;
    if (/^(Lu|Uppercase_Letter)$/.test(prop)) return [[65, 90]];
    if (/^(Ll|Lowercase_Letter)$/.test(prop)) return [[97, 122]];
    return LETTERS;
  }
}
