/**
 * Writes a state fixture: the job of fixture-config.ts built to the end (--offline --wait) by the
 * code of this checkout, then its project (config, sources, outputs, markers, .pipeline/ without
 * the emulator's own state and the lock) copied to test/state/fixtures/<name>/. The fixtures are
 * kept as written: each one is what a version of llmake left on disk, for later versions to read.
 *
 *   npx tsx test/state/write-fixture.ts 0.1.0
 */
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';
import { LearnedLimits } from '../../src/stages/batch/learned-limits.ts';

const name = process.argv[2];
if (!name) throw new Error('usage: tsx test/state/write-fixture.ts <name>');
const dest = path.join(import.meta.dirname, 'fixtures', name);
const dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-state-fixture-'));
await cp(path.join(import.meta.dirname, 'fixture-config.ts'), path.join(dir, 'pipeline.config.ts'));
const texts = {
  anatomy: ['The heart pumps blood through the body.', 'Bones are living tissue.'],
  astronomy: ['A light year measures distance, not time.', 'The Moon has no air.', 'Mars has two moons.'],
};
await mkdir(path.join(dir, 'job/original'), { recursive: true });
for (const [subject, lines] of Object.entries(texts))
  await writeFile(
    path.join(dir, 'job/original', `${subject}.jsonl`),
    lines.map((text, i) => `${JSON.stringify({ id: i + 1, text })}\n`).join(''),
  );

const text = { out: '', err: '' };
const output = (k: 'out' | 'err') => ({
  write: (t: string) => void (text[k] += t),
  isTTY: false,
  color: false,
  columns: 100,
});
const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', PIPELINE_EMULATOR_SPEED: '200' };
const code = await main(['build', '--offline', '--wait'], {
  stdout: output('out'),
  stderr: output('err'),
  cwd: dir,
  env,
  signal: new AbortController().signal,
});
if (code !== 0) throw new Error(`build exited ${code}:\n${text.out}\n${text.err}`);

// Learned only from a provider's token_limit_exceeded: recorded through the same code here.
const limits = LearnedLimits.load(path.join(dir, 'job', '.pipeline'), 'openai', () => Date.now());
limits.learnLimit('/v1/chat/completions', 'gpt-4.1', 200_000, 'a token_limit_exceeded error');
await limits.save();

await rm(path.join(dir, 'job/.pipeline/emulator'), { recursive: true, force: true });
for (const f of await readdir(path.join(dir, 'job/.pipeline')))
  if (f.startsWith('lock') || f.includes('.tmp-')) await rm(path.join(dir, 'job/.pipeline', f), { force: true });
await rm(dest, { recursive: true, force: true });
await cp(dir, dest, { recursive: true, preserveTimestamps: true });
await rm(dir, { recursive: true, force: true });
process.stdout.write(`${text.out}\nwrote ${path.relative(process.cwd(), dest)}\n`);
