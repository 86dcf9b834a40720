import { afterEach, describe, expect, it } from 'vitest';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { after, chatLine, download, jsonl, startRig, submit, upload, type Rig } from './helpers.ts';

let rig: Rig;
afterEach(() => rig.close());

async function failsWith(lines: unknown[], endpoint = '/v1/chat/completions') {
  const file = await upload(rig.client, jsonl(lines));
  const b = await rig.client.batches.create({ input_file_id: file.id, endpoint: endpoint as '/v1/chat/completions', completion_window: '24h' });
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
    expect(running).toMatchObject({ status: 'in_progress', request_counts: { total: 100, completed: 0 }, model: 'gpt-4.1-mini-2025-04-14' });
    expect((await after(rig, b.id, 1000)).request_counts).toEqual({ total: 100, completed: 50, failed: 0 });
    const finalizing = await after(rig, b.id, 1000);
    expect(finalizing).toMatchObject({ status: 'finalizing', finalizing_at: finalizing.created_at + 3 });
    const done = await after(rig, b.id, 500);
    expect(done).toMatchObject({ status: 'completed', error_file_id: null, request_counts: { total: 100, completed: 100, failed: 0 } });
    const lines = await download(rig.client, done.output_file_id);
    expect(lines).toHaveLength(100);
    const ids = lines.map((l) => l.custom_id as string);
    expect(new Set(ids).size).toBe(100);
    expect(ids).not.toEqual([...ids].sort((a, z) => Number(a.slice(1)) - Number(z.slice(1))));
    const first = lines.find((l) => l.custom_id === 'q7') as { id: string; response: { status_code: number; body: { choices: { message: { content: string } }[]; usage: { prompt_tokens: number; completion_tokens: number } } } };
    expect(first.id).toMatch(/^batch_req_/);
    expect(first.response.status_code).toBe(200);
    expect(first.response.body.choices[0]?.message.content).toBe(standInParaphrase('A big quick question number 7.'));
    expect(first.response.body.choices[0]?.message.content).toBe('A large fast query number 7.');
    const stats = await rig.emulator.stats();
    expect(done.usage).toMatchObject({ input_tokens: stats.inputTokens, output_tokens: stats.outputTokens, total_tokens: stats.inputTokens + stats.outputTokens });
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
    expect(errors[0]).toEqual({ code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line: 2 });
    expect(errors[4]?.message).toBe('The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.');
    expect(errors[5]).toMatchObject({ param: 'body', message: "Missing required parameter: 'body'." });
    expect(await failsWith([])).toEqual([{ code: 'empty_file', message: expect.stringContaining('empty') as string, param: null, line: null }]);
    const many = await failsWith(Array.from({ length: 50_001 }, (_, i) => ({ custom_id: `${i}` })), '/v1/embeddings');
    expect(many.length).toBe(100);
    const tooMany = await failsWith(Array.from({ length: 50_001 }, (_, i) => ({ custom_id: `${i}`, method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'x' } })), '/v1/embeddings');
    expect(tooMany).toMatchObject([{ code: 'too_many_tasks', line: 50_001 }]);
    expect((await rig.emulator.stats()).requestsExecuted).toBe(0);
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
        message: 'Enqueued token limit reached for gpt-4.1-mini in organization org-emulator. Limit: 3,000 enqueued tokens. Please try again once some in_progress batches have been completed.',
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
    expect(expired).toMatchObject({ status: 'expired', expired_at: expired.expires_at, request_counts: { total: 100, completed: 36, failed: 0 } });
    expect(await download(rig.client, expired.output_file_id)).toHaveLength(36);
    const errs = await download(rig.client, expired.error_file_id);
    expect(errs).toHaveLength(64);
    expect(errs[0]).toMatchObject({ response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } });
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
    const res = await fetch(`http://127.0.0.1:${rig.emulator.port}/_emulator/batches/${c.id}/expire`, { method: 'POST' });
    expect(await res.json()).toMatchObject({ status: 'expired', request_counts: { completed: 25 } });
  });

  it('cancels: cancelling now, cancelled ~1 s later with partial output and batch_cancelled lines', async () => {
    rig = await startRig();
    const b = await submit(rig.client, 100);
    await after(rig, b.id, 1400);
    const cancelling = await rig.client.batches.cancel(b.id);
    expect(cancelling).toMatchObject({ status: 'cancelling', cancelling_at: cancelling.created_at + 1, request_counts: { completed: 20 } });
    expect((await after(rig, b.id, 999)).status).toBe('cancelling');
    const done = await after(rig, b.id, 1);
    expect(done).toMatchObject({ status: 'cancelled', cancelled_at: done.created_at + 2, request_counts: { total: 100, completed: 20, failed: 0 } });
    expect(await download(rig.client, done.output_file_id)).toHaveLength(20);
    const errs = await download(rig.client, done.error_file_id);
    expect(errs).toHaveLength(80);
    expect(errs.every((e) => (e.error as { code: string }).code === 'batch_cancelled' && e.response === null)).toBe(true);
    const v = await submit(rig.client, 3);
    expect((await rig.client.batches.cancel(v.id)).status).toBe('cancelling');
    expect(await after(rig, v.id, 1000)).toMatchObject({ status: 'cancelled', output_file_id: null, error_file_id: null });
  });
});
