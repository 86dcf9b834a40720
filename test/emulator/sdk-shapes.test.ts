/**
 * Contract with the `openai` SDK's own types: every reply the emulator sends over HTTP — online
 * and in batch output lines — carries each key the SDK's type for it requires, walked down
 * through usage details, output items and their content (sdk-types.ts reads the package's
 * `.d.ts` files). `output_text` is left out of the check: the SDK computes it on the client
 * from `output` (the API does not send it, and batch lines never have it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { after, download, jsonl, startRig, upload, type Rig } from './helpers.ts';
import { SdkTypes } from './sdk-types.ts';

const types = new SdkTypes([
  'resources/responses/responses.d.ts',
  'resources/chat/completions/completions.d.ts',
  'resources/completions.d.ts',
  'resources/embeddings.d.ts',
  'resources/files.d.ts',
  'resources/batches.d.ts',
  'resources/shared.d.ts',
  'core/pagination.d.ts',
]);
const CLIENT_SIDE = ['$.output_text'];

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: { label: { type: 'string', enum: ['yes', 'no'] } },
  required: ['label'],
};

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());

const raw = async (call: { asResponse(): Promise<Response> }): Promise<unknown> => (await call.asResponse()).json();

describe('the walk is not vacuous', () => {
  it('names what a reply leaves out, nested too', () => {
    const reply = {
      id: 'resp_1',
      object: 'response',
      created_at: 1,
      output: [{ type: 'message', id: 'msg_1', role: 'assistant', content: [{ type: 'output_text', text: 'x' }] }],
      usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2, output_tokens_details: { reasoning_tokens: 0 } },
    };
    const missing = types.missingKeys(reply, 'Response', CLIENT_SIDE);
    expect(missing).toEqual(
      expect.arrayContaining([
        '$.parallel_tool_calls',
        '$.tool_choice',
        '$.tools',
        '$.output[0].status',
        '$.output[0].content[0].annotations',
        '$.usage.input_tokens_details',
      ]),
    );
    expect(types.missingKeys({ data: [] }, 'CursorPageResponse')).toEqual(['$.has_more']);
  });
});

describe('replies carry every key the SDK types require', () => {
  it('Responses, online: plain, structured, cut short, with tools and instructions echoed', async () => {
    const replies = [
      await raw(rig.client.responses.create({ model: 'gpt-4.1-mini', input: 'Say a big thing.' })),
      await raw(
        rig.client.responses.create({
          model: 'gpt-5-mini',
          instructions: 'Answer yes or no.',
          input: [{ role: 'user', content: 'Is it big?' }],
          text: { format: { type: 'json_schema', name: 'label', strict: true, schema: SCHEMA } },
          tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: {} }, strict: false }],
          tool_choice: 'none',
          temperature: 0.2,
          metadata: { run: 'a' },
        }),
      ),
      await raw(
        rig.client.responses.create({ model: 'gpt-4.1', input: 'Say a big thing at length.', max_output_tokens: 2 }),
      ),
    ];
    for (const reply of replies) expect(types.missingKeys(reply, 'Response', CLIENT_SIDE)).toEqual([]);
    expect(replies[1]).toMatchObject({
      instructions: 'Answer yes or no.',
      tool_choice: 'none',
      tools: [{ type: 'function', name: 'lookup' }],
      temperature: 0.2,
      metadata: { run: 'a' },
      text: { format: { type: 'json_schema', name: 'label' } },
      parallel_tool_calls: true,
    });
    expect(replies[2]).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    // The SDK's helper reads the text from the output items.
    const parsed = await rig.client.responses.create({ model: 'gpt-4.1-mini', input: 'Say a big thing.' });
    expect(parsed.output_text).toBe('Say a large thing.');
  });

  it('Responses in batch output lines, and the Batch objects', async () => {
    const lines = [
      { custom_id: 'r', method: 'POST', url: '/v1/responses', body: { model: 'gpt-4.1-mini', input: 'Hello there.' } },
    ];
    const file = await upload(rig.client, jsonl(lines));
    const batch = await rig.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/responses',
      completion_window: '24h',
    });
    expect(types.missingKeys(batch, 'Batch')).toEqual([]);
    const done = await after(rig, batch.id, 60_000);
    expect(types.missingKeys(done, 'Batch')).toEqual([]);
    const [line] = await download(rig.client, done.output_file_id);
    const body = (line?.response as { body: unknown }).body;
    expect(types.missingKeys(body, 'Response', CLIENT_SIDE)).toEqual([]);
  });

  it('chat completions and embeddings, online', async () => {
    const chat = await raw(
      rig.client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Hi.' }] }),
    );
    expect(types.missingKeys(chat, 'ChatCompletion')).toEqual([]);
    const embedding = await raw(rig.client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }));
    expect(types.missingKeys(embedding, 'CreateEmbeddingResponse')).toEqual([]);
  });

  it('files and batches lists, empty and not', async () => {
    const empty = await startRig();
    try {
      for (const list of [
        await raw(empty.client.files.list()),
        await raw(empty.client.batches.list()),
        await raw(rig.client.files.list()),
        await raw(rig.client.batches.list()),
      ])
        expect(types.missingKeys(list, 'CursorPageResponse')).toEqual([]);
      expect(await raw(empty.client.files.list())).toEqual({
        object: 'list',
        data: [],
        first_id: null,
        last_id: null,
        has_more: false,
      });
      const files = await rig.client.files.list();
      for (const f of files.data) expect(types.missingKeys(f, 'FileObject')).toEqual([]);
    } finally {
      await empty.close();
    }
  });
});
