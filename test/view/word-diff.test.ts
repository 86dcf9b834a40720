import { describe, expect, it } from 'vitest';
import { MAX_DIFF_CELLS, wordDiff } from '../../src/view/word-diff.ts';

const join = (segments: [boolean, string][]) => segments.map(([, t]) => t).join('');
const changed = (segments: [boolean, string][]) => segments.filter(([c]) => c).map(([, t]) => t.trim());

describe('wordDiff', () => {
  it('marks the words only in the source and only in the answer, and puts both texts back together exactly', () => {
    const source = 'The answer is B because the  question asks about energy.';
    const answer = 'The reply is B since the  question asks about energy.';
    const d = wordDiff(source, answer)!;
    expect(join(d.source)).toBe(source);
    expect(join(d.answer)).toBe(answer);
    expect(changed(d.source)).toEqual(['answer', 'because']);
    expect(changed(d.answer)).toEqual(['reply', 'since']);
    expect(d.kept).toBeCloseTo(8 / 10);
  });

  it('identical texts have nothing marked; empty texts are fine', () => {
    expect(wordDiff('same words here', 'same words here')).toEqual({
      source: [[false, 'same words here']],
      answer: [[false, 'same words here']],
      kept: 1,
    });
    expect(wordDiff('', 'new text')).toEqual({ source: [], answer: [[true, 'new text']], kept: 0 });
  });

  it('does not compare texts too long for the table', () => {
    const long = 'word '.repeat(Math.ceil(Math.sqrt(MAX_DIFF_CELLS)));
    expect(wordDiff(long, long)).toBeUndefined();
  });
});
