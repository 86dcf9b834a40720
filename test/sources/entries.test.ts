/** Reading CSV and JSON-array sources: records with the line they start on, problems with theirs. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSourceEntries, type SourceEntry } from '../../src/sources/entries.ts';
import { formatOf } from '../../src/sources/format.ts';
import { RecordWriter } from '../../src/sources/record-writer.ts';
import { Rig } from '../helpers/rig.ts';

let rig: Rig;
beforeEach(async () => (rig = await Rig.create('pipeline-sources-')));
afterEach(() => rig.dispose());

async function entries(name: string, content: string): Promise<SourceEntry[]> {
  await rig.write({ [name]: content });
  const out: SourceEntry[] = [];
  for await (const entry of readSourceEntries(rig.path(name))) out.push(entry);
  return out;
}

const errors = (list: SourceEntry[]) => list.filter((e) => e.kind === 'error').map((e) => [e.line, e.message]);
const values = (list: SourceEntry[]) => list.filter((e) => e.kind === 'value').map((e) => [e.line, e.value]);

describe('format by extension', () => {
  it('knows .csv, .json, .jsonl and .ndjson, and reads anything else as JSONL', () => {
    expect(['a.csv', 'a.CSV', 'a.json', 'a.jsonl', 'a.ndjson', 'a.txt'].map(formatOf)).toEqual([
      'csv',
      'csv',
      'json',
      'jsonl',
      'jsonl',
      'jsonl',
    ]);
  });
});

describe('CSV', () => {
  it('turns rows into objects of strings, numbered by the line they start on', async () => {
    const got = await entries(
      'a.csv',
      '\uFEFFid,text\r\n007,"hello, ""world""\nsecond line"\r\n\r\n8,plain\r\n9,no final newline',
    );
    expect(errors(got)).toEqual([]);
    expect(values(got)).toEqual([
      [2, { id: '007', text: 'hello, "world"\nsecond line' }],
      [5, { id: '8', text: 'plain' }],
      [6, { id: '9', text: 'no final newline' }],
    ]);
  });

  it('reports a row with the wrong number of fields and goes on', async () => {
    const got = await entries('a.csv', 'id,text\n1,a\n2,b,extra\n3\n4,d\n');
    expect(errors(got)).toEqual([
      [3, '3 fields, the header has 2'],
      [4, '1 field, the header has 2'],
    ]);
    expect(values(got).map(([line]) => line)).toEqual([2, 5]);
  });

  it('reports broken quoting with its line', async () => {
    const got = await entries('a.csv', 'id,text\n1,a\n2,"b"x\n3,c\n');
    expect(errors(got)).toEqual([[3, expect.stringMatching(/^invalid CSV \(Invalid Closing Quote/)]]);
  });

  it('refuses a header with a duplicate or empty name', async () => {
    expect(errors(await entries('a.csv', 'id,id\n1,2\n'))).toEqual([[1, 'the header names "id" twice']]);
    expect(errors(await entries('b.csv', 'id,,x\n1,2,3\n'))).toEqual([[1, "the header's column 2 has no name"]]);
  });
});

describe('JSON array', () => {
  it('yields each element with the line it starts on, brackets inside strings included', async () => {
    const got = await entries(
      'a.json',
      '\uFEFF[\n  {"id": 1, "text": "a ] and a , and a \\" quote"},\n  {"id": 2,\n   "nested": {"list": [1, [2]]}},\n\n  {"id": 3}\n]\n',
    );
    expect(errors(got)).toEqual([]);
    expect(values(got)).toEqual([
      [2, { id: 1, text: 'a ] and a , and a " quote' }],
      [3, { id: 2, nested: { list: [1, [2]] } }],
      [6, { id: 3 }],
    ]);
  });

  it('reports a bad element with its line and goes on to the next', async () => {
    const got = await entries('a.json', '[\n{"id": 1},\n{"id": 2, "text": tru},\n{"id": 3}\n]');
    expect(errors(got)).toEqual([[3, expect.stringMatching(/^invalid JSON/)]]);
    expect(values(got).map(([line]) => line)).toEqual([2, 4]);
  });

  it.each([
    ['not an array', '{"id": 1}', 1, 'expected a JSON array of records ("[" first)'],
    ['empty file', '\n', 2, 'the file is empty (expected a JSON array)'],
    ['unclosed array', '[\n{"id": 1},\n{"id": 2}\n', 4, 'the array is not closed ("]" missing)'],
    ['trailing comma', '[{"id": 1},\n]', 2, 'a comma before "]" (JSON allows no trailing comma)'],
    ['text after the array', '[{"id": 1}]\nx', 2, 'text after the closing "]" of the array'],
  ])('%s is reported with its line', async (_name, content, line, message) => {
    expect(errors(await entries('a.json', content))).toEqual([[line, message]]);
  });

  it('reads an empty array as no records, and elements split across read chunks', async () => {
    expect(await entries('empty.json', '[ ]')).toEqual([]);
    const long = Array.from({ length: 3000 }, (_, i) => ({ id: i, text: `record ${i} ${'x'.repeat(40)}` }));
    const got = await entries('long.json', `[\n${long.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`);
    expect(errors(got)).toEqual([]);
    expect(values(got)).toEqual(long.map((r, i) => [i + 2, r]));
  });
});

describe('writing records', () => {
  const records = [
    { id: '1', text: 'a, "quoted"\nline', tokens: { input: 1, output: 2 } },
    { id: '2', text: 'b', tokens: { input: 3, output: 4 } },
  ];

  it('writes CSV that reads back, nested values as JSON text', async () => {
    const writer = await RecordWriter.open(rig.path('out.csv'), 'csv');
    for (const r of records) await writer.write(r);
    await writer.close();
    const got: SourceEntry[] = [];
    for await (const e of readSourceEntries(rig.path('out.csv'))) got.push(e);
    expect(values(got)).toEqual([
      [2, { id: '1', text: 'a, "quoted"\nline', tokens: '{"input":1,"output":2}' }],
      [4, { id: '2', text: 'b', tokens: '{"input":3,"output":4}' }],
    ]);
  });

  it('writes a JSON array (and an empty one) that JSON.parse reads', async () => {
    for (const list of [records, []]) {
      const writer = await RecordWriter.open(rig.path('out.json'), 'json');
      for (const r of list) await writer.write(r);
      await writer.close();
      expect(JSON.parse(await rig.read('out.json'))).toEqual(list);
    }
  });
});
