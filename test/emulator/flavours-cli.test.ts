/**
 * `pipeline emulator` in its own process serves every flavour on one port: its banner (one write)
 * carries the export line of each provider, and the Azure flags take effect.
 */
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { Mistral } from '@mistralai/mistralai';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageRequest } from './anthropic-helpers.ts';
import { spawnEmulator, submit } from './helpers.ts';

let stateDir: string;
beforeEach(async () => (stateDir = await mkdtemp(path.join(tmpdir(), 'emulator-flavours-'))));
afterEach(() => rm(stateDir, { recursive: true, force: true }));

describe('pipeline emulator', () => {
  it('prints the base URL of each flavour and serves them all; --azure-* flags take effect', async () => {
    const { child, url, key, output } = await spawnEmulator([
      '--state-dir',
      stateDir,
      '--azure-deployment',
      'batch41=gpt-4.1',
      '--azure-max-enqueued-tokens',
      '1000000',
    ]);
    try {
      const banner = output();
      const origin = url.replace(/\/v1$/, '');
      expect(banner).toContain(`  export ANTHROPIC_BASE_URL=${origin} ANTHROPIC_API_KEY=${key}\n`);
      expect(banner).toContain(`  export AZURE_OPENAI_ENDPOINT=${origin} AZURE_OPENAI_API_KEY=${key}\n`);
      const anthropicUrl = /export ANTHROPIC_BASE_URL=(\S+)/.exec(banner)?.[1] as string;
      const endpoint = /export AZURE_OPENAI_ENDPOINT=(\S+)/.exec(banner)?.[1] as string;

      const anthropic = new Anthropic({ apiKey: key, baseURL: anthropicUrl, maxRetries: 0 });
      const mb = await anthropic.messages.batches.create({ requests: [messageRequest(0)] });
      expect(mb).toMatchObject({ type: 'message_batch', processing_status: 'in_progress' });

      const azure = new OpenAI({
        apiKey: 'unused',
        baseURL: `${endpoint}/openai/v1/`,
        defaultHeaders: { 'api-key': key },
        maxRetries: 0,
      });
      const good = await submit(azure, 2, () => ({ model: 'batch41' }));
      const { response } = await azure.batches.retrieve(good.id).withResponse();
      expect(response.status).toBe(200);
      const bad = await submit(azure, 1, () => ({ model: 'gpt-4.1' }));
      await fetch(`${origin}/_emulator/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: 60_000 }) });
      expect((await azure.batches.retrieve(good.id)).status).toBe('completed');
      expect((await azure.batches.retrieve(bad.id)).errors?.data?.[0]?.code).toBe('model_not_found');
      expect((await anthropic.messages.batches.retrieve(mb.id)).processing_status).toBe('ended');

      const stats = (await (await fetch(`${origin}/_emulator/stats`)).json()) as Record<string, unknown>;
      expect(stats).toMatchObject({
        batchesCreated: 3,
        messageBatchesByStatus: { ended: 1 },
        azureBatchesByStatus: { completed: 1, failed: 1 },
      });
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('prints the Gemini and Mistral base URLs and takes their --gemini-* and --mistral-* flags', async () => {
    const { child, key, output } = await spawnEmulator([
      '--state-dir',
      stateDir,
      '--gemini-max-concurrent-batches',
      '1',
      '--gemini-list-order',
      'oldest',
      '--mistral-max-requests-per-job',
      '1',
    ]);
    try {
      const baseUrl = /export GEMINI_BASE_URL=(\S+) GEMINI_API_KEY=(\S+)\n/.exec(output());
      expect(baseUrl?.[2]).toBe(key);
      const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: baseUrl?.[1] as string } });
      const src = [{ contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }];
      const job = await ai.batches.create({ model: 'gemini-2.5-flash', src, config: { displayName: 'one' } });
      expect(job.state).toBe('JOB_STATE_PENDING');
      await expect(
        ai.batches.create({ model: 'gemini-2.5-flash', src, config: { displayName: 'two' } }),
      ).rejects.toMatchObject({ status: 429 });

      const serverURL = /export MISTRAL_BASE_URL=(\S+) MISTRAL_API_KEY=\S+\n/.exec(output())?.[1] as string;
      expect(serverURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mistral$/);
      const mistral = new Mistral({ apiKey: key, serverURL });
      const body = { model: 'mistral-small-latest', messages: [{ role: 'user', content: 'hi' }] };
      const requests = [
        { customId: 'a', body },
        { customId: 'b', body },
      ];
      const mjob = await mistral.batch.jobs.create({ endpoint: '/v1/chat/completions', requests });
      const origin = serverURL.replace(/\/mistral$/, '');
      await fetch(`${origin}/_emulator/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: 60_000 }) });
      expect(await mistral.batch.jobs.get({ jobId: mjob.id })).toMatchObject({
        status: 'FAILED',
        errors: [{ message: 'The job has 2 requests: at most 1 are allowed.', count: 1 }],
      });
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('refuses a malformed --azure-deployment before serving', async () => {
    await expect(spawnEmulator(['--state-dir', stateDir, '--azure-deployment', 'no-model'])).rejects.toThrow(
      /--azure-deployment must be NAME=MODEL, got 'no-model'/,
    );
    await expect(spawnEmulator(['--state-dir', stateDir, '--gemini-list-order', 'random'])).rejects.toThrow(
      /--gemini-list-order must be shuffled, newest, oldest, got '"random"'/,
    );
  });
});
