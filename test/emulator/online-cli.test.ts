import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import OpenAI, { RateLimitError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runEmulatorCommand } from '../../src/emulator/cli.ts';
import { parseOnlineFlags } from '../../src/emulator/online/cli-flags.ts';
import { spawnEmulator } from './helpers.ts';
import { chatBody } from './online-helpers.ts';

let stateDir: string;
beforeEach(async () => (stateDir = await mkdtemp(path.join(tmpdir(), 'emulator-online-cli-'))));
afterEach(() => rm(stateDir, { recursive: true, force: true }));

async function run(argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runEmulatorCommand(argv, { stdout, stderr });
  return { code, out, err };
}

describe('pipeline emulator: online flags', () => {
  it('are listed in the help, and a bad value exits 2 naming the flag', async () => {
    const help = await run(['--help']);
    expect(help.out).toContain('--rpm N');
    expect(help.out).toContain('--rate-limit-storm START:DUR');
    expect(await run(['--rpm', '0'])).toMatchObject({
      code: 2,
      err: expect.stringContaining("--rpm must be a positive integer, got '0'") as string,
    });
    expect(await run(['--online-error-status', '404'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--online-error-status') as string,
    });
    expect(await run(['--rate-limit-storm', 'soon'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('START:DURATION') as string,
    });
    expect(await run(['--hang-rate', '0.7', '--online-lost-reply-rate', '0.7'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('add up to more than 1') as string,
    });
  });

  it('serve limits, headers and faults to the SDK from a separate process', async () => {
    const { child, url, key } = await spawnEmulator([
      '--state-dir',
      stateDir,
      '--rpm',
      '2',
      '--tpm',
      '100000',
      '--max-concurrency',
      '4',
    ]);
    try {
      const client = new OpenAI({ apiKey: key, baseURL: url, maxRetries: 0 });
      const { data, response } = await client.chat.completions.create(chatBody(1)).withResponse();
      expect(data.choices[0]?.message.content).toBe('A large fast query number 1.');
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('2');
      expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
      await client.chat.completions.create(chatBody(2));
      const refused = await client.chat.completions.create(chatBody(3)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RateLimitError);
      expect((refused as RateLimitError).headers?.get('retry-after')).toMatch(/^\d+$/);
      // The control route's clock refills the bucket (30 s = one request at 2 per minute).
      await fetch(url.replace('/v1', '/_emulator/clock'), {
        method: 'POST',
        body: JSON.stringify({ advanceMs: 30_000 }),
      });
      await expect(client.chat.completions.create(chatBody(3))).resolves.toMatchObject({ object: 'chat.completion' });
      const stats = (await (await fetch(url.replace('/v1', '/_emulator/stats'))).json()) as {
        online: { byStatus: Record<string, number> };
      };
      expect(stats.online.byStatus).toEqual({ '200': 3, '429': 1 });
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('turn into online options and faults', () => {
    expect(
      parseOnlineFlags({
        'max-queue': '0',
        'no-ratelimit-headers': true,
        'latency-per-token-ms': '2.5',
        'online-error-rate': '0.1',
        'online-error-status': '498',
        'online-retry-after': '3',
        'hang-rate': '0.05',
        'rate-limit-storm': ['10:5', '60:0.5'],
      }),
    ).toEqual({
      ok: true,
      value: {
        options: { maxQueue: 0, latencyPerOutputTokenMs: 2.5, rateLimitHeaders: false },
        faults: {
          errors: [{ status: 498, rate: 0.1, retryAfterSeconds: 3 }],
          hangRate: 0.05,
          rateLimitStorms: [
            { afterMs: 10_000, durationMs: 5000 },
            { afterMs: 60_000, durationMs: 500 },
          ],
        },
      },
    });
  });
});
