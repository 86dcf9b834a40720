/**
 * The Azure OpenAI flavour, driven by the `openai` SDK as Azure's v1 API is called: baseURL
 * `…/openai/v1/` and an `api-key` header. Same Files + Batches routes, with Azure's differences:
 * deployments as `model`, 100,000 lines per file, no 24 h expiry, an empty error file on success,
 * and the fail-fast `token_limit_exceeded` at create with the enqueued-token headers.
 */
import OpenAI, { AuthenticationError, BadRequestError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { chatLine, download, jsonl, startRig, upload, type Rig } from './helpers.ts';

let rig: Rig;
let azure: OpenAI;
afterEach(() => rig.close());

const KEY = 'azure-key-0001';

async function startAzure(opts: Partial<EmulatorOptions> = {}): Promise<void> {
  rig = await startRig(opts);
  azure = new OpenAI({
    apiKey: 'unused-by-azure',
    baseURL: `${rig.emulator.azureUrl}/`,
    defaultHeaders: { 'api-key': KEY },
    maxRetries: 0,
  });
}

const DEPLOYMENTS = { 'gpt41-batch': 'gpt-4.1', 'mini-batch': 'gpt-4.1-mini', 'emb-batch': 'text-embedding-3-small' };

async function submitTo(client: OpenAI, n: number, model: string, endpoint = '/v1/chat/completions') {
  const file = await upload(client, jsonl(Array.from({ length: n }, (_, i) => chatLine(i, { model }))));
  return client.batches.create({
    input_file_id: file.id,
    endpoint: endpoint as '/v1/chat/completions',
    completion_window: '24h',
  });
}

describe('Azure flavour', () => {
  it('runs a batch on a deployment: the deployed model answers, an empty error file on success, counted apart', async () => {
    await startAzure({ azure: { deployments: DEPLOYMENTS } });
    const b = await submitTo(azure, 10, 'gpt41-batch', '/chat/completions');
    expect(b).toMatchObject({ status: 'validating', endpoint: '/v1/chat/completions' });
    rig.clock.advance(5000);
    const done = await azure.batches.retrieve(b.id);
    expect(done).toMatchObject({
      status: 'completed',
      model: 'gpt41-batch',
      request_counts: { completed: 10, failed: 0 },
    });
    const [line] = await download(azure, done.output_file_id);
    expect((line?.response as { body: { model: string } }).body.model).toBe('gpt-4.1-2025-04-14');
    expect(done.error_file_id).toMatch(/^file-/);
    expect(await azure.files.retrieve(done.error_file_id as string)).toMatchObject({ bytes: 0 });
    expect(await (await azure.files.content(done.error_file_id as string)).text()).toBe('');
    // The Azure resource and the OpenAI account do not see each other's objects.
    expect((await rig.client.batches.list()).data).toEqual([]);
    await expect(rig.client.batches.retrieve(b.id)).rejects.toMatchObject({ status: 404 });
    const stats = await rig.emulator.stats();
    expect(stats.routeCalls['POST /openai/v1/batches']).toBe(1);
    expect(stats.routeCalls['POST /openai/v1/files']).toBe(1);
    expect(stats.routeCalls['POST /v1/batches']).toBeUndefined();
    expect(stats).toMatchObject({ batchesCreated: 1, requestsExecuted: 10, batchesByStatus: {} });
    expect(stats.azureBatchesByStatus).toEqual({ completed: 1 });
  });

  it('authenticates with the api-key header (401 with Azure text otherwise)', async () => {
    await startAzure({ azure: { apiKey: KEY } });
    const res = await fetch(`${rig.emulator.azureUrl}/batches`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: {
        code: '401',
        message: expect.stringMatching(/^Access denied due to invalid subscription key/) as string,
      },
    });
    const wrong = azure.withOptions({ defaultHeaders: { 'api-key': 'nope' } });
    await expect(wrong.batches.list()).rejects.toBeInstanceOf(AuthenticationError);
    await expect(azure.batches.list()).resolves.toMatchObject({ data: [] });
  });

  it('file expiry: expires_after from 14 days (OpenAI allows 1 hour)', async () => {
    await startAzure();
    const create = (seconds: number) =>
      azure.files.create({
        file: new File(['{}\n'], 'a.jsonl'),
        purpose: 'batch',
        expires_after: { anchor: 'created_at', seconds },
      });
    await expect(create(3600)).rejects.toMatchObject({ status: 400, code: 'integer_below_min_value' });
    await expect(create(1_209_600)).resolves.toMatchObject({ purpose: 'batch' });
    await expect(
      rig.client.files.create({
        file: new File(['{}\n'], 'a.jsonl'),
        purpose: 'batch',
        expires_after: { anchor: 'created_at', seconds: 3600 },
      }),
    ).resolves.toMatchObject({ purpose: 'batch' });
  });

  it('jobs do not expire at 24 h: they run until done', async () => {
    await startAzure({ clock: new ManualClock(), speed: 0.00002 });
    const b = await submitTo(azure, 100, 'gpt-4.1-mini');
    rig.clock.advance(25 * 3600_000);
    expect(await azure.batches.retrieve(b.id)).toMatchObject({ status: 'in_progress', expired_at: null });
    rig.clock.advance(100 * 1000_000);
    expect(await azure.batches.retrieve(b.id)).toMatchObject({
      status: 'completed',
      request_counts: { completed: 100 },
    });
  });
});

describe('Azure validation', () => {
  it('an unknown deployment is model_not_found per line; another deployment is model_mismatch', async () => {
    await startAzure({ azure: { deployments: DEPLOYMENTS } });
    const file = await upload(
      azure,
      jsonl([
        chatLine(0, { model: 'mini-batch' }),
        chatLine(1, { model: 'gpt41-batch' }),
        chatLine(2, { model: 'nope' }),
      ]),
    );
    const b = await azure.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    rig.clock.advance(1000);
    const failed = await azure.batches.retrieve(b.id);
    expect(failed.status).toBe('failed');
    expect(failed.errors?.data?.map((e) => [e.code, e.line])).toEqual([
      ['model_mismatch', 2],
      ['model_not_found', 3],
    ]);
    expect(failed.errors?.data?.[1]?.message).toMatch(/^The model deployment 'nope' specified in the model property/);
    // gpt-4.1 is a model, not a deployment of this resource.
    const direct = await submitTo(azure, 1, 'gpt-4.1');
    rig.clock.advance(1000);
    expect((await azure.batches.retrieve(direct.id)).errors?.data?.[0]?.code).toBe('model_not_found');
  });

  it('takes 100,000 lines per file (OpenAI: 50,000), not more', async () => {
    await startAzure({ azure: { deployments: DEPLOYMENTS } });
    // Embedding lines are the cheapest to count: the 100,001st line is refused as too many tasks.
    const embedding = (i: number) => ({
      custom_id: `${i}`,
      method: 'POST',
      url: '/v1/embeddings',
      body: { model: 'emb-batch', input: 'x' },
    });
    const chat = (i: number) => chatLine(i, { model: 'mini-batch', content: 'x' });
    const create = async (lines: unknown[], endpoint: string) => {
      const file = await upload(azure, jsonl(lines));
      const b = await azure.batches.create({
        input_file_id: file.id,
        endpoint: endpoint as '/v1/chat/completions',
        completion_window: '24h',
      });
      rig.clock.advance(1000);
      return azure.batches.retrieve(b.id);
    };
    const over = await create(
      Array.from({ length: 100_001 }, (_, i) => embedding(i)),
      '/v1/embeddings',
    );
    expect(over.status).toBe('failed');
    expect(over.errors?.data?.[0]).toMatchObject({ code: 'too_many_tasks', line: 100_001 });
    const fine = await create(
      Array.from({ length: 50_001 }, (_, i) => chat(i)),
      '/v1/chat/completions',
    );
    expect(fine).toMatchObject({ status: 'in_progress', request_counts: { total: 50_001 } });
  });
});

describe('Azure enqueued-token quota', () => {
  it('fails fast at create with token_limit_exceeded and the deployment-*-enqueued-tokens headers', async () => {
    await startAzure({ azure: { deployments: DEPLOYMENTS, maxEnqueuedTokens: { 'mini-batch': 1000 } } });
    const first = await upload(
      azure,
      jsonl(Array.from({ length: 30 }, (_, i) => chatLine(i, { model: 'mini-batch' }))),
    );
    const create = () =>
      azure.batches.create({ input_file_id: first.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const { data: a, response } = await create().withResponse();
    const tokens = Number(response.headers.get('deployment-enqueued-tokens'));
    expect(tokens).toBeGreaterThan(500);
    expect(tokens).toBeLessThan(1000);
    expect(response.headers.get('deployment-maximum-enqueued-tokens')).toBe('1000');
    const refused = await create()
      .withResponse()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BadRequestError);
    expect(refused).toMatchObject({ status: 400, code: 'token_limit_exceeded' });
    const error = refused as BadRequestError;
    expect(error.message).toContain('token_limit_exceeded');
    expect(error.message).toContain("configured limit of 1K for the deployment 'mini-batch'");
    expect(error.headers.get('deployment-enqueued-tokens')).toBe(String(tokens));
    // Another deployment has its own queue; once the first batch is done the queue is free again.
    await expect(submitTo(azure, 30, 'gpt41-batch')).resolves.toMatchObject({ status: 'validating' });
    rig.clock.advance(5000);
    expect((await azure.batches.retrieve(a.id)).status).toBe('completed');
    await expect(create()).resolves.toMatchObject({ status: 'validating' });
    expect((await rig.emulator.stats()).batchesCreated).toBe(3);
  });

  it('without fail-fast the batch is created and fails at validation, as outside those regions', async () => {
    await startAzure({ azure: { maxEnqueuedTokens: 100, failFast: false } });
    const b = await submitTo(azure, 30, 'gpt-4.1-mini');
    rig.clock.advance(1000);
    const failed = await azure.batches.retrieve(b.id);
    expect(failed).toMatchObject({ status: 'failed', errors: { data: [{ code: 'token_limit_exceeded' }] } });
  });
});
