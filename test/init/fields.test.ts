/** How `pipeline init` reads a dataset's fields and chooses the id and the prompt's text. */
import { describe, expect, it } from 'vitest';
import { chooseIdField, chooseTextField, summariseFields } from '../../src/init/fields.ts';

const choose = (records: Record<string, unknown>[], requested?: string) =>
  chooseIdField(summariseFields(records), records.length, requested);

const reviews = [
  { stars: 5, sku: 'A1', review: 'Good product, very useful', author: 'ann' },
  { stars: 1, sku: 'B2', review: 'It broke after a day', author: 'bob' },
  { stars: 3, sku: 'C3', review: 'Fine, but hard to clean', author: 'ann' },
];

describe('id field', () => {
  it('prefers a field named like an id, wherever it is', () => {
    expect(choose(reviews.map((r, i) => ({ ...r, review_id: `r${i}` })))).toEqual({
      ok: true,
      value: { field: 'review_id', alternatives: ['stars', 'sku'] },
    });
  });

  it('then the first column, then numbers; never prose, never a field with repeats', () => {
    expect(choose(reviews)).toMatchObject({ ok: true, value: { field: 'stars' } });
    const [, ...withoutStars] = Object.keys(reviews[0]!);
    const reordered = reviews.map((r) => Object.fromEntries(withoutStars.map((k) => [k, r[k as keyof typeof r]])));
    expect(choose(reordered)).toMatchObject({ ok: true, value: { field: 'sku', alternatives: [] } });
    // `review` is unique but words; `author` repeats.
    const noKey = reviews.map(({ review, author }) => ({ author, review }));
    expect(choose(noKey)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^no field identifies a record/) as string,
    });
  });

  it('needs the field in every record', () => {
    const gappy = [{ id: 1, text: 'a b' }, { text: 'b c' }, { id: 3, text: 'c d' }];
    expect(choose(gappy)).toMatchObject({ ok: false });
    expect(choose(gappy, 'id')).toEqual({ ok: false, error: '--id id: missing or empty in 1 of the first 3 records' });
  });

  it('checks a field named with --id', () => {
    expect(choose(reviews, 'sku')).toEqual({ ok: true, value: { field: 'sku', alternatives: [] } });
    expect(choose(reviews, 'author')).toMatchObject({
      ok: false,
      error: expect.stringContaining('not unique') as string,
    });
    expect(choose(reviews, 'nope')).toMatchObject({
      ok: false,
      error: expect.stringContaining('no such field') as string,
    });
    const spaced = reviews.map((r, i) => ({ 'row id': i, ...r }));
    expect(choose(spaced, 'row id')).toMatchObject({
      ok: false,
      error: expect.stringContaining('cannot name it') as string,
    });
  });

  it('never takes objects or booleans, or values equal as text only across kinds', () => {
    expect(choose([{ flag: true }, { flag: false }])).toMatchObject({ ok: false });
    expect(choose([{ k: { a: 1 } }, { k: { a: 2 } }])).toMatchObject({ ok: false });
    expect(choose([{ k: 1 }, { k: '1' }])).toMatchObject({ ok: true, value: { field: 'k' } });
  });
});

describe('text field', () => {
  it('is a string field present in most records, named like text, else the longest', () => {
    const fields = summariseFields(reviews);
    expect(chooseTextField(fields, 'sku')).toBe('review');
    const records = [
      { id: 1, title: 'Short', notes: 'a much longer free-text note about the thing' },
      { id: 2, title: 'Other', notes: 'another long note' },
    ];
    expect(chooseTextField(summariseFields(records), 'id')).toBe('notes');
    const partial = [
      { id: 1, body: 'text', title: 't1' },
      { id: 2, title: 't2' },
    ];
    expect(chooseTextField(summariseFields(partial), 'id')).toBe('title');
    expect(chooseTextField(summariseFields([{ id: 1, n: 2 }]), 'id')).toBeUndefined();
  });
});
