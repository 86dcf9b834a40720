/** The pattern generator behind structured replies: strings each pattern matches, fixed by the seed. */
import { describe, expect, it } from 'vitest';
import { stringMatching } from '../../src/emulator/schema-regex.ts';

const PATTERNS = [
  '^\\d{3}-\\d{2}-\\d{4}$',
  '^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$',
  '^(foo|bar)+$',
  '^\\p{Lu}\\p{Ll}+$',
  '^[A-Z][a-z]*(?: [A-Z][a-z]*)*$',
  '^#[0-9a-fA-F]{6}$',
  '^[\\w.-]+/[\\w.-]+$',
  '^(a|b)c\\1$',
  '^[^0-9]{2,5}$',
  '^\\$?\\d+(\\.\\d{2})?$',
  '^\\u00e9t\\u00e9 \\x41$',
  'id_[0-9]+',
];

describe('stringMatching', () => {
  it('draws a string each pattern matches, the same one for the same seed', () => {
    for (const pattern of PATTERNS) {
      const re = new RegExp(pattern, 'u');
      for (let seed = 1; seed < 20; seed++) {
        const s = stringMatching(pattern, seed, () => true);
        expect(s, `${pattern} (seed ${seed})`).not.toBeNull();
        expect(re.test(s ?? ''), `${pattern} → ${s}`).toBe(true);
        expect(stringMatching(pattern, seed, () => true)).toBe(s);
      }
    }
  });

  it('honours a length the caller needs, and gives up (null) when none fits or the pattern is broken', () => {
    const s = stringMatching('^[a-z]+$', 7, (x) => x.length === 3);
    expect(s).toMatch(/^[a-z]{3}$/);
    expect(stringMatching('^[a-z]{2}$', 7, (x) => x.length === 3)).toBeNull();
    expect(stringMatching('^(unclosed', 7, () => true)).toBeNull();
  });
});
