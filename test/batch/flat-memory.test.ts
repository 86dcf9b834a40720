/**
 * Flat memory on the batch stage's data path: a request file larger than the V8 heap the CLI is
 * allowed twice still builds end to end (read, hash, split into parts, upload, collect, results
 * file). The stage used to hold every line's text and parsed body while it submitted — twice the
 * file on the heap, beside the tokenizer's ~40 MB — and this 24 MB file under a 56 MB heap ran out
 * of memory before anything was sent.
 */
import { mkdtemp, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { runCli } from '../helpers/rig.ts';

const HEAP_MB = 56;
const LINES = 200;
/** ~120 KB of prompt per line: a 24 MB request file, which does not fit the heap twice (text and body). */
const PROMPT_CHARS = 120_000;

const CONFIG = `export default { root: '.', rules: [
  { name: 'batch', inputs: ['requests/{name}.jsonl'], output: 'results/{name}.jsonl', marker: 'results/{name}.batch.json', stage: { kind: 'batch' } },
] };
`;

let dir: string;
let emulator: RunningEmulator;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flat-memory-'));
  emulator = await startEmulator({ stateDir: path.join(dir, '.emulator'), port: 0, speed: 1000 });
  const words = 'the quick brown fox jumps over a lazy dog and keeps running through the fields ';
  const pad = words.repeat(Math.ceil(PROMPT_CHARS / words.length)).slice(0, PROMPT_CHARS);
  const lines = Array.from({ length: LINES }, (_, i) =>
    JSON.stringify({
      custom_id: `r${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: `${i} ${pad}` }] },
    }),
  );
  await mkdir(path.join(dir, 'requests'));
  await writeFile(path.join(dir, 'requests/big.jsonl'), `${lines.join('\n')}\n`);
  await writeFile(path.join(dir, 'pipeline.config.ts'), CONFIG);
});
afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

it(`builds a request file larger than the CLI's ${HEAP_MB} MB heap, end to end`, async () => {
  const size = (await stat(path.join(dir, 'requests/big.jsonl'))).size;
  // Twice the file (its text and bodies) beside the tokenizer's ~40 MB is well over the heap.
  expect(size * 2 + 40 * 1024 * 1024).toBeGreaterThan(1.4 * HEAP_MB * 1024 * 1024);
  const env = {
    OPENAI_BASE_URL: emulator.url,
    OPENAI_API_KEY: 'test-key',
    NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`,
  };
  const run = await runCli(['build', '--wait'], { cwd: dir, env });
  expect(run.stderr).not.toMatch(/heap out of memory/i);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(`built       results/big.jsonl (${LINES} results`);
  const results = await runCli(['status', '--json'], { cwd: dir, env });
  expect(results.code).toBe(0);
}, 240_000); // ~6 s of CPU (24 MB tokenized, uploaded, answered): a loaded machine needs the room
