/**
 * `findUpload` (an upload whose answer was lost, found again by its name) reads every page of
 * the provider's files, not only the newest 100: the file looked for is the oldest of 110, behind
 * newer uploads of other jobs. Each provider's own transport, against the emulator. (Anthropic
 * uploads nothing; Bedrock's upload is an S3 object found by its key.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { providerSpec } from '../../src/providers/registry.ts';
import { ManualClock } from '../../src/util/clock.ts';

let dir: string;
let emulator: RunningEmulator;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'find-upload-'));
  emulator = await startEmulator({ stateDir: dir, clock: new ManualClock() });
});
afterAll(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

const LINE = Buffer.from(
  `${JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: {} })}\n`,
);

describe.each(['openai', 'azure', 'gemini', 'mistral'])('%s', (provider) => {
  it('finds the oldest of 110 uploads by name, and says none for a name never uploaded', async () => {
    const spec = providerSpec(provider);
    const api = await spec.batch({ ...spec.offline(new URL(emulator.url).origin), maxRetries: 0 });
    const wanted = 'job_a.part1.intent-oldest.jsonl';
    const first = await api.upload(LINE, wanted);
    expect(first.ok).toBe(true);
    for (let i = 0; i < 109; i++) expect((await api.upload(LINE, `job_b.part${i}.newer.jsonl`)).ok).toBe(true);
    const found = await api.findUpload(wanted);
    expect(found.ok && found.value?.id).toBe(first.ok && first.value.id);
    const none = await api.findUpload('job_c.part1.never.jsonl');
    expect(none).toEqual({ ok: true, value: undefined });
  }, 60_000);
});
