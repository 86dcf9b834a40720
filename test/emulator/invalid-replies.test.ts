/**
 * The invalid-replies fault, seen through the real SDKs: a structured request answered in each
 * invalid kind, the same body answered validly once `attempts` are used, plain requests untouched,
 * and the CLI flags.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INVALID_REPLY_KINDS } from '../../src/emulator/invalid-replies.ts';
import { spawnEmulator, startRig, type Rig } from './helpers.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const schema = {
  type: 'object',
  properties: { difficulty: { type: 'string', enum: ['easy', 'hard'] }, rationale: { type: 'string' } },
  required: ['difficulty', 'rationale'],
  additionalProperties: false,
};
const body = (n: number) => ({
  model: 'gpt-4.1-mini',
  messages: [{ role: 'user' as const, content: `Label question ${n}: what is ${n} + ${n}?` }],
  response_format: { type: 'json_schema' as const, json_schema: { name: 'label', strict: true, schema } },
});

describe.each(INVALID_REPLY_KINDS)('%s', (kind) => {
  it('spoils a structured reply once, then answers the same body validly', async () => {
    rig = await startRig({ faults: { invalidReplies: { rate: 1, kinds: [kind] } } });
    const bad = await rig.client.chat.completions.create(body(1));
    const choice = bad.choices[0]!;
    const parse = () => JSON.parse(choice.message.content ?? '') as Record<string, unknown>;
    if (kind === 'not-json') expect(parse).toThrow();
    if (kind === 'missing-field') expect(Object.keys(parse())).toEqual(['rationale']);
    if (kind === 'truncated') {
      expect(choice.finish_reason).toBe('length');
      expect(parse).toThrow();
    }
    if (kind === 'refusal') {
      expect(choice.message.content).toBeNull();
      expect(choice.message.refusal).toMatch(/can't help/);
    }
    expect(bad.usage?.completion_tokens).toBeGreaterThan(0);
    const good = await rig.client.chat.completions.create(body(1));
    expect(Object.keys(JSON.parse(good.choices[0]!.message.content ?? '') as object)).toEqual([
      'difficulty',
      'rationale',
    ]);
    const stats = await rig.emulator.stats();
    expect(stats.invalidReplies).toBe(1);
    expect(stats.duplicateExecutions).toBe(0);
  });
});

it('leaves replies without a schema alone, and a share of bodies fixed by the seed', async () => {
  rig = await startRig({ seed: 3, faults: { invalidReplies: { rate: 0.5 } } });
  const plain = await rig.client.chat.completions.create({ model: 'gpt-4.1-mini', messages: body(1).messages });
  expect(plain.choices[0]!.finish_reason).toBe('stop');
  for (let i = 0; i < 20; i++) await rig.client.chat.completions.create(body(i));
  const spoiled = (await rig.emulator.stats()).invalidReplies;
  expect(spoiled).toBeGreaterThan(2);
  expect(spoiled).toBeLessThan(18);
});

it('the CLI takes --invalid-reply-rate and --invalid-reply-kinds, and names unknown kinds', async () => {
  // Its own state dir: the default one (.pipeline/emulator) keeps attempts across runs, and a body
  // spoiled once is answered validly the next time.
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-invalid-cli-'));
  const emu = await spawnEmulator([
    '--port',
    '0',
    '--state-dir',
    stateDir,
    '--invalid-reply-rate',
    '1',
    '--invalid-reply-kinds',
    'refusal',
  ]);
  try {
    const res = await fetch(`${emu.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body(2)),
    });
    const answer = (await res.json()) as { choices: { message: { refusal: string | null } }[] };
    expect(answer.choices[0]!.message.refusal).toMatch(/can't help/);
  } finally {
    const exited = once(emu.child, 'exit');
    emu.child.kill('SIGTERM');
    await exited;
    await rm(stateDir, { recursive: true, force: true });
  }
  const wrong = await spawnEmulator(['--invalid-reply-rate', '1', '--invalid-reply-kinds', 'rude']).catch(
    (e: Error) => e.message,
  );
  expect(wrong).toMatch(/--invalid-reply-kinds: unknown rude/);
});
