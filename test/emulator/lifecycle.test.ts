import { afterEach, describe, expect, it } from 'vitest';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { after, chatLine, download, jsonl, startRig, submit, upload, type Rig } from './helpers.ts';

let rig: Rig;
afterEach(() => rig.close());

/** Uploads `lines` (or this exact text) and returns the errors of the failed batch over them. */
async function failsWith(lines: unknown[] | string, endpoint = '/v1/chat/completions') {
  const file = await upload(rig.client, typeof lines === 'string' ? lines : jsonl(lines));
  const b = await rig.client.batches.create({
    input_file_id: file.id,
    endpoint: endpoint as '/v1/chat/completions',
    completion_window: '24h',
  });
  const done = await after(rig, b.id, 1000);
  expect(done).toMatchObject({ status: 'failed', output_file_id: null, error_file_id: null });
  expect(done.failed_at).toBe(done.created_at + 1);
  return done.errors?.data ?? [];
}

describe('batch lifecycle', () => {
  it('validating → in_progress → finalizing → completed, with paraphrased replies, usage and model', async () => {
    rig = await startRig();
    const b = await submit(rig.client, 100, (i) => ({ custom_id: `q${i}` }));
    expect((await after(rig, b.id, 999)).status).toBe('validating');
    const running = await after(rig, b.id, 1);
    expect(running).toMatchObject({
      status: 'in_progress',
      request_counts: { total: 100, completed: 0 },
      model: 'gpt-4.1-mini-2025-04-14',
    });
    expect((await after(rig, b.id, 1000)).request_counts).toEqual({ total: 100, completed: 50, failed: 0 });
    const finalizing = await after(rig, b.id, 1000);
    expect(finalizing).toMatchObject({ status: 'finalizing', finalizing_at: finalizing.created_at + 3 });
    const done = await after(rig, b.id, 500);
    expect(done).toMatchObject({
      status: 'completed',
      error_file_id: null,
      request_counts: { total: 100, completed: 100, failed: 0 },
    });
    const lines = await download(rig.client, done.output_file_id);
    expect(lines).toHaveLength(100);
    const ids = lines.map((l) => l.custom_id as string);
    expect(new Set(ids).size).toBe(100);
    expect(ids).not.toEqual([...ids].sort((a, z) => Number(a.slice(1)) - Number(z.slice(1))));
    const first = lines.find((l) => l.custom_id === 'q7') as {
      id: string;
      response: {
        status_code: number;
        body: {
          choices: { message: { content: string } }[];
          usage: { prompt_tokens: number; completion_tokens: number };
        };
      };
    };
    expect(first.id).toMatch(/^batch_req_/);
    expect(first.response.status_code).toBe(200);
    expect(first.response.body.choices[0]?.message.content).toBe(standInParaphrase('A big quick question number 7.'));
    expect(first.response.body.choices[0]?.message.content).toBe('A large fast query number 7.');
    const stats = await rig.emulator.stats();
    expect(done.usage).toMatchObject({
      input_tokens: stats.inputTokens,
      output_tokens: stats.outputTokens,
      total_tokens: stats.inputTokens + stats.outputTokens,
    });
    expect(stats.requestsExecuted).toBe(100);
    expect(stats.tokensEnqueuedPeak['gpt-4.1-mini']).toBe(stats.inputTokens);
    const out = await rig.client.files.retrieve(done.output_file_id as string);
    expect(out).toMatchObject({ purpose: 'batch_output', filename: `${b.id}_output.jsonl` });
  });

  it('fails validation with each per-line error and its 1-based line number', async () => {
    rig = await startRig();
    const base = chatLine(1);
    const errors = await failsWith([
      base,
      '{not json',
      { ...chatLine(3), method: 'GET' },
      { ...chatLine(4), url: '/v1/embeddings' },
      chatLine(5, { model: 'gpt-4o' }),
      chatLine(6, { custom_id: 'req-1' }),
      { custom_id: 'x7', method: 'POST', url: '/v1/chat/completions' },
    ]);
    expect(errors.map((e) => [e.code, e.line])).toEqual([
      ['invalid_json_line', 2],
      ['invalid_method', 3],
      ['url_mismatch', 4],
      ['mismatched_model', 5],
      ['duplicate_custom_id', 6],
      ['missing_required_parameter', 7],
    ]);
    expect(errors[0]).toEqual({
      code: 'invalid_json_line',
      message: 'This line is not parseable as valid JSON.',
      param: null,
      line: 2,
    });
    expect(errors[4]?.message).toBe(
      'The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.',
    );
    expect(errors[5]).toMatchObject({ param: 'body', message: "Missing required parameter: 'body'." });
    expect(await failsWith('')).toEqual([
      { code: 'empty_file', message: expect.stringContaining('empty') as string, param: null, line: null },
    ]);
    const many = await failsWith(
      Array.from({ length: 50_001 }, (_, i) => ({ custom_id: `${i}` })),
      '/v1/embeddings',
    );
    expect(many.length).toBe(100);
    const tooMany = await failsWith(
      Array.from({ length: 50_001 }, (_, i) => ({
        custom_id: `${i}`,
        method: 'POST',
        url: '/v1/embeddings',
        body: { model: 'text-embedding-3-small', input: 'x' },
      })),
      '/v1/embeddings',
    );
    expect(tooMany).toMatchObject([{ code: 'too_many_tasks', line: 50_001 }]);
    expect((await rig.emulator.stats()).requestsExecuted).toBe(0);
  });

  it('validates request bodies: messages an array, no streaming, known models; blank lines are errors', async () => {
    rig = await startRig({ extraModels: ['my-finetune'] });
    const body = (i: number, extra: Record<string, unknown>) => chatLine(i, { extra });
    const errors = await failsWith([
      chatLine(1),
      body(2, { messages: 'Hello' }),
      body(3, { messages: undefined }),
      body(4, { messages: [] }),
      body(5, { stream: true }),
      chatLine(6, { model: 'gpt-9-ultra' }),
      '',
      body(8, { stream: false }),
      '   ',
      { ...chatLine(10), body: { messages: [{ role: 'user', content: 'x' }] } },
      chatLine(11, { model: 'gpt-4.1-mini-2025-04-14' }),
    ]);
    expect(errors).toEqual([
      {
        code: 'invalid_type',
        message: "Invalid type for 'body.messages': expected an array, but got a string instead.",
        param: 'body.messages',
        line: 2,
      },
      {
        code: 'missing_required_parameter',
        message: "Missing required parameter: 'body.messages'.",
        param: 'body.messages',
        line: 3,
      },
      {
        code: 'empty_array',
        message:
          "Invalid 'body.messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        param: 'body.messages',
        line: 4,
      },
      {
        code: 'invalid_value',
        message: expect.stringContaining('Streaming is not supported') as string,
        param: 'body.stream',
        line: 5,
      },
      {
        code: 'model_not_found',
        message: 'The model `gpt-9-ultra` does not exist or you do not have access to it.',
        param: 'body.model',
        line: 6,
      },
      { code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line: 7 },
      { code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line: 9 },
      {
        code: 'missing_required_parameter',
        message: "Missing required parameter: 'body.model'.",
        param: 'body.model',
        line: 10,
      },
      {
        code: 'mismatched_model',
        message: expect.stringContaining("'gpt-4.1-mini-2025-04-14'") as string,
        param: 'body.model',
        line: 11,
      },
    ]);
    // A trailing blank line is a line too (a final newline is not).
    expect(await failsWith(jsonl([chatLine(1)]) + '\n')).toEqual([
      { code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line: 2 },
    ]);
    // Known: the price table's models, their dated snapshots, and extraModels.
    const ok = await submit(rig.client, 4, (i) => ({
      model: ['gpt-4.1', 'gpt-4.1-2025-04-14', 'o4-mini', 'my-finetune'][i],
      custom_id: `m${i}`,
    }));
    const validated = await after(rig, ok.id, 1000);
    expect(validated).toMatchObject({
      status: 'failed',
      errors: {
        data: [
          { code: 'mismatched_model', line: 2 },
          { code: 'mismatched_model', line: 3 },
          { code: 'mismatched_model', line: 4 },
        ],
      },
    });
    for (const model of ['gpt-4.1', 'gpt-4.1-2025-04-14', 'o4-mini', 'my-finetune', 'gpt-4o-mini', 'gpt-5-nano']) {
      expect((await after(rig, (await submit(rig.client, 1, () => ({ model }))).id, 1000)).status).toBe('in_progress');
    }
  });

  it('answers /v1/moderations lines with moderation results (model optional, as on the API)', async () => {
    rig = await startRig();
    const line = (i: number, body: Record<string, unknown>) => ({
      custom_id: `mod-${i}`,
      method: 'POST',
      url: '/v1/moderations',
      body,
    });
    const file = await upload(
      rig.client,
      jsonl([
        line(0, { input: 'A good question.' }),
        line(1, { model: 'omni-moderation-latest', input: ['one', 'two'] }),
        line(2, {
          input: [
            { type: 'text', text: 'a caption' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        }),
      ]),
    );
    const b = await rig.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/moderations',
      completion_window: '24h',
    });
    const done = await after(rig, b.id, 5000);
    expect(done).toMatchObject({
      status: 'completed',
      error_file_id: null,
      model: 'omni-moderation-2024-09-26',
      request_counts: { total: 3, completed: 3, failed: 0 },
    });
    type Result = {
      flagged: boolean;
      categories: Record<string, boolean>;
      category_scores: Record<string, number>;
      category_applied_input_types: Record<string, string[]>;
    };
    const lines = await download(rig.client, done.output_file_id);
    type Body = { id: string; model: string; results: Result[] };
    const bodies: Record<string, Body | undefined> = Object.fromEntries(
      lines.map((l) => [String(l.custom_id), (l.response as { body: Body }).body]),
    );
    expect(['mod-0', 'mod-1', 'mod-2'].map((id) => bodies[id]?.results.length)).toEqual([1, 2, 1]);
    expect(bodies['mod-1']).toMatchObject({
      id: expect.stringMatching(/^modr-/) as string,
      model: 'omni-moderation-2024-09-26',
    });
    const first = bodies['mod-0']?.results[0] as Result;
    expect(first.flagged).toBe(false);
    expect(Object.keys(first.categories)).toHaveLength(13);
    expect(Object.values(first.categories).every((c) => c === false)).toBe(true);
    expect(Object.values(first.category_scores).every((x) => x >= 0 && x < 0.001)).toBe(true);
    expect(first.category_applied_input_types).toMatchObject({ violence: ['text'], hate: ['text'] });
    expect((bodies['mod-2']?.results[0] as Result).category_applied_input_types).toMatchObject({
      violence: ['text', 'image'],
      hate: ['text'],
    });
    expect(done.usage?.input_tokens).toBeGreaterThan(0);
  });

  it('serves every endpoint the stand-in knows: a batch of each completes', async () => {
    rig = await startRig();
    const cases: [string, Record<string, unknown>, string][] = [
      [
        '/v1/chat/completions',
        { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'good' }] },
        'chat.completion',
      ],
      ['/v1/responses', { model: 'gpt-5-mini', input: 'a good answer' }, 'response'],
      ['/v1/embeddings', { model: 'text-embedding-3-small', input: ['a', 'b'] }, 'list'],
      ['/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'good' }, 'text_completion'],
    ];
    for (const [url, body, object] of cases) {
      const file = await upload(
        rig.client,
        jsonl([0, 1].map((i) => ({ custom_id: `c${i}`, method: 'POST', url, body }))),
      );
      const b = await rig.client.batches.create({
        input_file_id: file.id,
        endpoint: url as '/v1/responses',
        completion_window: '24h',
      });
      const done = await after(rig, b.id, 5000);
      expect(done, url).toMatchObject({ status: 'completed', request_counts: { total: 2, completed: 2, failed: 0 } });
      const lines = await download(rig.client, done.output_file_id);
      expect(lines.map((l) => (l.response as { body: { object: string } }).body.object)).toEqual([object, object]);
    }
  });

  it('fails with token_limit_exceeded when enqueued tokens would pass the limit, and frees them on completion', async () => {
    rig = await startRig({ enqueuedTokenLimit: { 'gpt-4.1-mini': 3000 } });
    const a = await submit(rig.client, 100);
    const b = await submit(rig.client, 100);
    expect((await after(rig, a.id, 1000)).status).toBe('in_progress');
    const failed = await rig.client.batches.retrieve(b.id);
    expect(failed.status).toBe('failed');
    expect(failed.errors?.data).toEqual([
      {
        code: 'token_limit_exceeded',
        message:
          'Enqueued token limit reached for gpt-4.1-mini in organization org-emulator. Limit: 3,000 enqueued tokens. Please try again once some in_progress batches have been completed.',
        param: null,
        line: null,
      },
    ]);
    expect((await after(rig, a.id, 3000)).status).toBe('completed');
    const c = await submit(rig.client, 100);
    expect((await after(rig, c.id, 1000)).status).toBe('in_progress');
  });

  it('expires at expires_at with finished lines in the output and the rest as batch_expired', async () => {
    // At speed 0.00002 validation takes 50,000 s and each request 1,000 s: 36 of 100 finish in 24 h.
    rig = await startRig({ speed: 0.00002 });
    const b = await submit(rig.client, 100);
    expect((await after(rig, b.id, 86_399_999)).status).toBe('in_progress');
    const expired = await after(rig, b.id, 1);
    expect(expired).toMatchObject({
      status: 'expired',
      expired_at: expired.expires_at,
      request_counts: { total: 100, completed: 36, failed: 0 },
    });
    expect(await download(rig.client, expired.output_file_id)).toHaveLength(36);
    const errs = await download(rig.client, expired.error_file_id);
    expect(errs).toHaveLength(64);
    expect(errs[0]).toMatchObject({
      response: null,
      error: {
        code: 'batch_expired',
        message: 'This request could not be executed before the completion window expired.',
      },
    });
    expect((await rig.emulator.stats()).requestsExecuted).toBe(36);
  });

  it('expires on demand (control route) and after a fraction of requests (fault)', async () => {
    rig = await startRig({ faults: { expireAfterFraction: 0.3 } });
    const b = await submit(rig.client, 100);
    const partial = await after(rig, b.id, 5000);
    expect(partial).toMatchObject({ status: 'expired', request_counts: { total: 100, completed: 30, failed: 0 } });
    expect(await download(rig.client, partial.error_file_id)).toHaveLength(70);
    rig.emulator.setFaults({});
    const c = await submit(rig.client, 100);
    await after(rig, c.id, 1500);
    const res = await fetch(`http://127.0.0.1:${rig.emulator.port}/_emulator/batches/${c.id}/expire`, {
      method: 'POST',
    });
    expect(await res.json()).toMatchObject({ status: 'expired', request_counts: { completed: 25 } });
  });

  it('cancels: cancelling now, cancelled ~1 s later with partial output and batch_cancelled lines', async () => {
    rig = await startRig();
    const b = await submit(rig.client, 100);
    await after(rig, b.id, 1400);
    const cancelling = await rig.client.batches.cancel(b.id);
    expect(cancelling).toMatchObject({
      status: 'cancelling',
      cancelling_at: cancelling.created_at + 1,
      request_counts: { completed: 20 },
    });
    expect((await after(rig, b.id, 999)).status).toBe('cancelling');
    const done = await after(rig, b.id, 1);
    expect(done).toMatchObject({
      status: 'cancelled',
      cancelled_at: done.created_at + 2,
      request_counts: { total: 100, completed: 20, failed: 0 },
    });
    expect(await download(rig.client, done.output_file_id)).toHaveLength(20);
    const errs = await download(rig.client, done.error_file_id);
    expect(errs).toHaveLength(80);
    expect(errs.every((e) => (e.error as { code: string }).code === 'batch_cancelled' && e.response === null)).toBe(
      true,
    );
    const v = await submit(rig.client, 3);
    expect((await rig.client.batches.cancel(v.id)).status).toBe('cancelling');
    expect(await after(rig, v.id, 1000)).toMatchObject({
      status: 'cancelled',
      output_file_id: null,
      error_file_id: null,
    });
  });
});
