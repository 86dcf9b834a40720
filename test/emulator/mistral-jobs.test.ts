/**
 * Mistral batch conformance, driven by the real @mistralai/mistralai SDK under the `/mistral`
 * prefix: a job's life (QUEUED → RUNNING → SUCCESS with output and error files), inline requests
 * and `?inline=true`, what the lines get (the stand-in's answers, failed lines), cancel, timeout,
 * delete, list filters and pages, and the limits and retention the docs give.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import {
  chatBody,
  download,
  later,
  line,
  startMistralRig,
  submit,
  uploadLines,
  type MistralRig,
} from './mistral-helpers.ts';

let rig: MistralRig;
afterEach(() => rig.close());

const HOUR = 3_600_000;

describe('job lifecycle', () => {
  it('QUEUED → RUNNING with counts → SUCCESS; output lines {id, custom_id, response:{status_code, body}, error}', async () => {
    rig = await startMistralRig();
    const job = await submit(rig, 100, { intent: 'abc' });
    const created = Math.floor(rig.clock.now() / 1000);
    expect(job).toMatchObject({
      object: 'batch',
      status: 'QUEUED',
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
      metadata: { intent: 'abc' },
      errors: [],
      totalRequests: 100,
      completedRequests: 0,
      createdAt: created,
      startedAt: null,
      completedAt: null,
      outputFile: null,
    });
    expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await later(rig, job.id, 2000)).toMatchObject({
      status: 'RUNNING',
      completedRequests: 50,
      succeededRequests: 50,
      startedAt: created + 1,
    });
    const done = await later(rig, job.id, 1500);
    expect(done).toMatchObject({
      status: 'SUCCESS',
      succeededRequests: 100,
      failedRequests: 0,
      completedAt: created + 3,
    });
    expect(done.errorFile).toBeNull();
    const lines = await download(rig, done.outputFile);
    expect(lines).toHaveLength(100);
    expect(new Set(lines.map((l) => l.custom_id)).size).toBe(100);
    expect(lines.map((l) => l.custom_id)).not.toEqual(lines.map((l) => l.custom_id).sort());
    const r7 = lines.find((l) => l.custom_id === 'r7');
    expect(r7).toEqual({
      id: expect.stringMatching(/^batch-[0-9a-f]{32}$/) as string,
      custom_id: 'r7',
      response: {
        status_code: 200,
        body: {
          id: expect.any(String) as string,
          object: 'chat.completion',
          model: 'mistral-small-latest',
          created: expect.any(Number) as number,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: standInParaphrase('A big quick question number 7.'),
                tool_calls: null,
              },
              finish_reason: 'stop',
            },
          ],
          usage: {
            prompt_tokens: expect.any(Number) as number,
            completion_tokens: expect.any(Number) as number,
            total_tokens: expect.any(Number) as number,
          },
        },
      },
      error: null,
    });
    const stats = await rig.emulator.stats();
    expect(stats.mistralJobsByStatus).toEqual({ SUCCESS: 1 });
    expect(stats.flavours.mistral).toMatchObject({ batchesCreated: 1, filesUploaded: 1, requestsExecuted: 100 });
    expect(stats.routeCalls['POST /mistral/v1/batch/jobs']).toBe(1);
    expect(stats.routeCalls['GET /mistral/v1/batch/jobs/{job_id}']).toBe(2);
    expect(stats.routeCalls['GET /mistral/v1/files/{file_id}/content']).toBe(1);
  });

  it('inline requests (model per line, custom_id optional); get ?inline=true carries the result lines', async () => {
    rig = await startMistralRig();
    const job = await rig.client.batch.jobs.create({
      endpoint: '/v1/chat/completions',
      requests: [
        { customId: 'a', body: { model: 'mistral-large-latest', ...chatBody(1) } },
        { body: { model: 'ministral-8b-2410', ...chatBody(2) } },
      ],
    });
    expect(job).toMatchObject({ model: null, inputFiles: [], totalRequests: 2 });
    rig.clock.advance(5000);
    const got = await rig.client.batch.jobs.get({ jobId: job.id, inline: true });
    const outputs = (got.outputs ?? []) as { custom_id: string; response: { body: { model: string } } }[];
    expect(outputs.map((o) => [o.custom_id, o.response.body.model]).sort()).toEqual([
      ['1', 'ministral-8b-2410'],
      ['a', 'mistral-large-latest'],
    ]);
    expect((await rig.client.batch.jobs.get({ jobId: job.id })).outputs).toBeUndefined();
  });
});

describe('lines', () => {
  it('failed lines go to the error file with the status and body the endpoint would answer', async () => {
    rig = await startMistralRig({ faults: { requestErrors: { customIds4xx: ['r0'] } } });
    const file = await uploadLines(rig, [
      line(0),
      line(1, { model: 'gpt-4.1' }),
      line(2, { max_completion_tokens: 5 }),
      line(3, { messages: [] }),
      line(4, { max_tokens: 2 }),
      line(5, {
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'x',
            schema: { type: 'object', properties: { label: { type: 'string', enum: ['a', 'b'] } } },
          },
        },
      }),
    ]);
    const job = await rig.client.batch.jobs.create({
      inputFiles: [file],
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
    });
    const done = await later(rig, job.id, 5000);
    expect(done).toMatchObject({ status: 'SUCCESS', succeededRequests: 2, failedRequests: 4 });
    const errors = Object.fromEntries((await download(rig, done.errorFile)).map((l) => [l.custom_id, l.response]));
    expect(errors.r0).toEqual({
      status_code: 400,
      body: {
        object: 'error',
        message: 'Invalid request: rejected by an injected emulator fault.',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    expect(errors.r1).toEqual({
      status_code: 400,
      body: { object: 'error', message: 'Invalid model: gpt-4.1', type: 'invalid_model', param: null, code: '1500' },
    });
    expect(errors.r2).toEqual({
      status_code: 422,
      body: {
        detail: [
          {
            type: 'extra_forbidden',
            loc: ['body', 'max_completion_tokens'],
            msg: 'Extra inputs are not permitted',
            input: 5,
          },
        ],
      },
    });
    expect(errors.r3?.status_code).toBe(422);
    const outputs = Object.fromEntries(
      (await download(rig, done.outputFile)).map((l) => [l.custom_id, l.response.body]),
    );
    const choice = (body: Record<string, unknown> | undefined) =>
      (body?.choices as { finish_reason: string; message: { content: string } }[])[0];
    expect(choice(outputs.r4)?.finish_reason).toBe('length');
    expect(['a', 'b']).toContain((JSON.parse(choice(outputs.r5)?.message.content ?? '{}') as { label: string }).label);
  });

  it('an injected 5xx line succeeds when the same body is sent again', async () => {
    rig = await startMistralRig({ faults: { requestErrors: { customIds5xx: ['r0'] } } });
    const first = await later(rig, (await submit(rig, 1)).id, 5000);
    expect([500, 503]).toContain((await download(rig, first.errorFile))[0]?.response.status_code);
    const second = await later(rig, (await submit(rig, 1)).id, 5000);
    expect(await download(rig, second.outputFile)).toHaveLength(1);
    expect((await rig.emulator.stats()).flavours.mistral?.duplicateExecutions).toBe(0);
  });
});

describe('create', () => {
  it('is checked at once: 422 for the schema, 400 for a model, 404 for a file', async () => {
    rig = await startMistralRig();
    const bad = await rig.rest('POST', '/v1/batch/jobs', { endpoint: '/v1/nothing', requests: [] });
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ detail: [{ type: 'enum', loc: ['body', 'endpoint'] }] });
    const hours = await rig.rest('POST', '/v1/batch/jobs', {
      endpoint: '/v1/embeddings',
      requests: [],
      timeout_hours: 0,
    });
    expect(hours.json).toMatchObject({ detail: [{ loc: ['body', 'timeout_hours'] }] });
    await expect(
      rig.client.batch.jobs.create({
        inputFiles: ['nope'],
        endpoint: '/v1/chat/completions',
        model: 'mistral-small-latest',
      }),
    ).rejects.toMatchObject({ statusCode: 404 });
    const model = await rig.rest('POST', '/v1/batch/jobs', {
      endpoint: '/v1/chat/completions',
      model: 'gpt-4.1',
      requests: [{ body: {} }],
    });
    expect(model).toEqual({
      status: 400,
      json: { object: 'error', message: 'Invalid model: gpt-4.1', type: 'invalid_model', param: null, code: '1500' },
    });
    expect((await rig.rest('POST', '/v1/batch/jobs', { endpoint: '/v1/chat/completions' })).status).toBe(400);
  });

  it('lines that are no request, or more than the limit, fail the job as it leaves the queue', async () => {
    rig = await startMistralRig({ mistral: { maxRequestsPerJob: 3 } });
    const file = await uploadLines(rig, [line(0), 'not json', '{"custom_id": "x"}', 'nor this']);
    const job = await rig.client.batch.jobs.create({
      inputFiles: [file],
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
    });
    const failed = await later(rig, job.id, 1000);
    expect(failed.status).toBe('FAILED');
    expect(failed.errors).toEqual([
      { message: 'Invalid JSON line: each line must be an object {"custom_id": …, "body": {…}}', count: 2 },
      { message: 'Missing body: each line must carry the request body in "body"', count: 1 },
      { message: 'The job has 4 requests: at most 3 are allowed.', count: 1 },
    ]);
  });
});

describe('cancel, timeout, delete', () => {
  it('cancel: CANCELLATION_REQUESTED, then CANCELLED with the lines done; a finished job cannot be cancelled', async () => {
    rig = await startMistralRig();
    const job = await submit(rig, 100);
    rig.clock.advance(1400);
    expect((await rig.client.batch.jobs.cancel({ jobId: job.id })).status).toBe('CANCELLATION_REQUESTED');
    const cancelled = await later(rig, job.id, 1000);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', succeededRequests: 20 });
    expect(await download(rig, cancelled.outputFile)).toHaveLength(20);
    expect((await rig.client.batch.jobs.cancel({ jobId: job.id })).status).toBe('CANCELLED');
    const other = await later(rig, (await submit(rig, 1)).id, 5000);
    await expect(rig.client.batch.jobs.cancel({ jobId: other.id })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('work still unfinished timeout_hours after creation is TIMEOUT_EXCEEDED; the lines done are kept', async () => {
    // At 0.0002× speed the queue lasts 5,000 s and a line 100 s: none is done at 1 h, 22 are at 2 h.
    rig = await startMistralRig({ speed: 0.0002 });
    const file = await uploadLines(
      rig,
      Array.from({ length: 100 }, (_, i) => line(i)),
    );
    const job = await rig.client.batch.jobs.create({
      inputFiles: [file],
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
      timeoutHours: 1,
    });
    const over = await later(rig, job.id, HOUR);
    expect(over).toMatchObject({
      status: 'TIMEOUT_EXCEEDED',
      succeededRequests: 0,
      completedAt: over.createdAt + 3600,
    });
    const job2 = await rig.client.batch.jobs.create({
      inputFiles: [file],
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
      timeoutHours: 2,
    });
    const part = await later(rig, job2.id, 2 * HOUR);
    expect(part).toMatchObject({ status: 'TIMEOUT_EXCEEDED', succeededRequests: 22 });
    expect(await download(rig, part.outputFile)).toHaveLength(22);
  });

  it('delete answers {id, object, deleted} and hides the job; its work goes on', async () => {
    rig = await startMistralRig();
    const job = await submit(rig, 10);
    expect(await rig.client.batch.jobs.delete({ jobId: job.id })).toEqual({
      id: job.id,
      object: 'batch',
      deleted: true,
    });
    await expect(rig.client.batch.jobs.get({ jobId: job.id })).rejects.toMatchObject({ statusCode: 404 });
    expect((await rig.client.batch.jobs.list()).total).toBe(0);
    rig.clock.advance(60_000);
    expect((await rig.emulator.stats()).mistralJobsByStatus).toEqual({ SUCCESS: 1 });
  });
});

describe('list', () => {
  it('filters by metadata (as the SDK sends it, or JSON), status and created_after; orders and pages', async () => {
    rig = await startMistralRig();
    const a = await submit(rig, 1, { run: 'x', part: '1' });
    rig.clock.advance(1000);
    const b = await submit(rig, 1, { run: 'x', part: '2' });
    rig.clock.advance(1000);
    const c = await submit(rig, 1, { run: 'y' });
    const ids = async (req: Parameters<MistralRig['client']['batch']['jobs']['list']>[0]) =>
      ((await rig.client.batch.jobs.list(req)).data ?? []).map((j) => j.id);
    expect(await ids({})).toEqual([c.id, b.id, a.id]);
    expect(await ids({ orderBy: 'created' })).toEqual([a.id, b.id, c.id]);
    expect(await ids({ metadata: { run: 'x' } })).toEqual([b.id, a.id]);
    expect(await ids({ metadata: { run: 'x', part: '1' } })).toEqual([a.id]);
    const json = await rig.rest('GET', `/v1/batch/jobs?metadata=${encodeURIComponent('{"run":"y"}')}`);
    expect((json.json.data as { id: string }[]).map((j) => j.id)).toEqual([c.id]);
    expect(await ids({ createdAfter: new Date(a.createdAt * 1000) })).toEqual([c.id, b.id]);
    rig.clock.advance(1500);
    expect(await ids({ status: ['SUCCESS'] })).toEqual([b.id, a.id]);
    expect(await ids({ status: ['RUNNING', 'QUEUED'] })).toEqual([c.id]);
    const page = await rig.client.batch.jobs.list({ page: 1, pageSize: 2 });
    expect(page).toMatchObject({ object: 'list', total: 3 });
    expect(page.data?.map((j) => j.id)).toEqual([a.id]);
  });
});

describe('files, auth and faults', () => {
  it('files are listed by search, purpose and sample type; results can be downloaded for 24 h after completion, uploads are kept 30 days', async () => {
    rig = await startMistralRig({ clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const done = await later(rig, (await submit(rig, 2)).id, 5000);
    const output = await rig.client.files.retrieve({ fileId: done.outputFile as string });
    expect(output).toMatchObject({ purpose: 'batch', sampleType: 'batch_result', source: 'mistral', deleted: false });
    expect(output.expiresAt).toBe((done.completedAt as number) + 86_400);
    const byName = await rig.client.files.list({ search: 'input', purpose: 'batch' });
    expect(byName.data.map((f) => f.filename)).toEqual(['input.jsonl']);
    const results = await rig.client.files.list({ sampleType: ['batch_result'] });
    expect(results.data.map((f) => f.id)).toEqual([done.outputFile]);
    rig.clock.advance(24 * HOUR);
    await expect(rig.client.files.download({ fileId: done.outputFile as string })).rejects.toMatchObject({
      statusCode: 404,
    });
    expect((await rig.client.files.list()).data.map((f) => f.sampleType)).toEqual(['batch_request']);
    rig.clock.advance(29 * 24 * HOUR);
    expect((await rig.client.files.list()).total).toBe(0);
  });

  it('a missing or wrong key is a 401 {"detail":"Unauthorized"}; HTTP faults answer in Mistral bodies', async () => {
    rig = await startMistralRig({ mistral: { apiKey: 'right' } });
    const res = await fetch(`${rig.emulator.mistralUrl}/v1/batch/jobs`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: 'Unauthorized' });
    await expect(rig.client.batch.jobs.list()).rejects.toMatchObject({ statusCode: 401 });
    rig.emulator.setFaults({ http: [{ route: 'GET /mistral/v1/batch/jobs', status: 429, count: 1 }] });
    const limited = await fetch(`${rig.emulator.mistralUrl}/v1/batch/jobs`, {
      headers: { authorization: 'Bearer right' },
    });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      object: 'error',
      message: 'Requests rate limit exceeded',
      type: 'rate_limited',
      param: null,
      code: '1300',
    });
  });

  it('a create whose reply is lost made the job: found again by its metadata', async () => {
    rig = await startMistralRig({ faults: { lostReplyRate: 1, lostReplyRoutes: ['POST /mistral/v1/batch/jobs'] } });
    await expect(submit(rig, 1, { intent: 'lost-1' })).rejects.toThrow();
    rig.emulator.setFaults({});
    const found = await rig.client.batch.jobs.list({ metadata: { intent: 'lost-1' } });
    expect(found.total).toBe(1);
  });
});
