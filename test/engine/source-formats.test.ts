/** The requests and merge stages on CSV and JSON-array sources: same records, same file:line errors. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSourceEntries } from '../../src/sources/entries.ts';
import { Rig } from '../helpers/rig.ts';

const config = (ext: string, outputFormat?: string) => `export default {
  root: 'data',
  rules: [
    { name: 'requests', inputs: ['src/{name}.${ext}'], output: 'requests/{name}.jsonl',
      stage: { kind: 'requests', prompt: 'Summarise: {text}', idField: 'id', customId: '{name}-{id}' } },
    { name: 'merge', inputs: ['src/{name}.${ext}', 'results/{name}.jsonl'], output: 'merged/{name}.${outputFormat ? ext : 'jsonl'}',
      stage: { kind: 'merge', idField: 'id', customId: '{name}-{id}', outputField: 'summary', tokensField: 'tokens'${outputFormat ? `, outputFormat: '${outputFormat}'` : ''} } },
  ],
};
`;

const CSV = 'id,text,lang\n1,"first, with a comma",en\n2,"second\nspans two lines",fr\n3,third,en\n';
const JSON_ARRAY =
  '[\n  {"id": 1, "text": "first, with a comma", "lang": "en"},\n  {"id": 2, "text": "second\\nspans two lines", "lang": "fr"},\n  {"id": 3, "text": "third", "lang": "en"}\n]\n';

const answer = (customId: string, text: string) => ({
  id: `batch_req_${customId}`,
  custom_id: customId,
  response: {
    status_code: 200,
    request_id: 'req',
    body: {
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
    },
  },
  error: null,
});

let rig: Rig;
beforeEach(async () => (rig = await Rig.create('pipeline-formats-')));
afterEach(() => rig.dispose());

async function records(rel: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const e of readSourceEntries(rig.path(rel))) out.push(e.kind === 'value' ? e.value : e);
  return out;
}

describe.each([
  ['csv', CSV, (id: number) => String(id)],
  ['json', JSON_ARRAY, (id: number) => id],
])('%s source', (ext, content, idOf) => {
  beforeEach(() => rig.write({ [`data/src/book.${ext}`]: content }));

  it('becomes one request per record, then merges into JSONL by default', async () => {
    await rig.write({ 'pipeline.config.ts': config(ext) });
    await rig.build(['requests']);
    const requests = (await rig.lines('data/requests/book.jsonl')) as {
      custom_id: string;
      body: { messages: { content: string }[] };
    }[];
    expect(requests.map((r) => [r.custom_id, r.body.messages[0]!.content])).toEqual([
      ['book-1', 'Summarise: first, with a comma'],
      ['book-2', 'Summarise: second\nspans two lines'],
      ['book-3', 'Summarise: third'],
    ]);
    await rig.write({ 'data/results/book.jsonl': [3, 1, 2].map((i) => answer(`book-${i}`, `S${i}`)) });
    const run = await rig.build();
    expect(run.events.filter((e) => e.type === 'failed')).toEqual([]);
    const merged = (await rig.lines('data/merged/book.jsonl')) as Record<string, unknown>[];
    expect(merged.map((m) => [m.id, m.lang, m.summary, m.tokens])).toEqual(
      [1, 2, 3].map((i) => [idOf(i), i === 2 ? 'fr' : 'en', `S${i}`, { input: 10, output: 2, total: 12 }]),
    );
  });

  it("merges into the source's own format when asked", async () => {
    await rig.write({
      'pipeline.config.ts': config(ext, 'source'),
      'data/results/book.jsonl': [1, 2, 3].map((i) => answer(`book-${i}`, `S${i}`)),
    });
    const run = await rig.build();
    expect(run.events.filter((e) => e.type === 'failed')).toEqual([]);
    const merged = (await records(`data/merged/book.${ext}`)) as Record<string, unknown>[];
    const tokens = ext === 'csv' ? '{"input":10,"output":2,"total":12}' : { input: 10, output: 2, total: 12 };
    expect(merged.map((m) => [m.id, m.text, m.summary, m.tokens])).toEqual([
      [idOf(1), 'first, with a comma', 'S1', tokens],
      [idOf(2), 'second\nspans two lines', 'S2', tokens],
      [idOf(3), 'third', 'S3', tokens],
    ]);
  });
});

describe('bad CSV and JSON-array sources', () => {
  it.each([
    [
      'csv',
      'id,text\n1,a\n1,b\n2,\n',
      3,
      ['src/book.csv:3: duplicate id 1 (first on line 2)', 'src/book.csv:4: "text" must be a non-empty string'],
    ],
    ['csv', 'id,text\n1,a\n2,b,c\n', 3, ['src/book.csv:3: 3 fields, the header has 2']],
    [
      'json',
      '[\n{"id": 1, "text": "a"},\n{"id": 2, "text": 7},\n{"text": "c"}\n]',
      3,
      ['src/book.json:3: "text" must be a non-empty string', 'src/book.json:4: missing "id"'],
    ],
    ['json', '[\n{"id": 1, "text": "a"},\n"just a string"\n]', 3, ['src/book.json:3: expected a JSON object']],
  ])('%s: the target fails naming file and line (%#)', async (ext, content, line, details) => {
    await rig.write({ 'pipeline.config.ts': config(ext), [`data/src/book.${ext}`]: content });
    const run = await rig.build(['requests']);
    expect(run.events.find((e) => e.type === 'failed')).toMatchObject({
      target: 'requests/book.jsonl',
      failure: { reason: 'bad-input', file: `src/book.${ext}`, line, details },
    });
  });
});
