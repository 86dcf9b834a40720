/**
 * The tokenizers are megabytes of code: a build loads one only when it counts tokens (to send, to
 * estimate, or for a new version of a request file), and only the encoding its models use.
 */
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startE2e, type E2e } from '../e2e/helpers.ts';
import { runCli } from '../helpers/rig.ts';

const REPORT = path.join(import.meta.dirname, 'fixtures/report-tokenizers.ts');

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

async function loaded(args: string[]): Promise<{ code: number | null; tokenizers: string }> {
  const run = await runCli(args, { cwd: e!.rig.dir, env: e!.env, preload: [REPORT] });
  return { code: run.code, tokenizers: /tokenizers loaded: \[(.*)\]/.exec(run.stderr)?.[1] ?? run.stderr };
}

it('a build that only polls loads no tokenizer; one that sends loads only its model’s (gpt-4.1: o200k)', async () => {
  // Slow batches (the emulator's clock is not moved): they stay in flight for the polling builds.
  e = await startE2e({ subjects: 2, recordsPerSubject: 5 }, { speed: 0.001 });
  expect(await loaded(['build'])).toEqual({ code: 75, tokenizers: 'o200k' });
  expect(await loaded(['build'])).toEqual({ code: 75, tokenizers: '' });
  expect(await loaded(['status'])).toEqual({ code: 0, tokenizers: '' });
  expect((await loaded(['build', '-n'])).tokenizers).toBe(''); // nothing left to send: nothing to count
  expect((await e.emulator.stats()).batchesCreated).toBe(2);
});
